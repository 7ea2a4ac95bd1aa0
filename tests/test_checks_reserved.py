"""cidr-reserved leaves the shared address space 100.64.0.0/10 alone (outside EKS service ranges)."""

from __future__ import annotations

from pathlib import Path

import yaml

from generator import pipeline


def test_shared_address_space_is_not_reported(tmp_path: Path) -> None:
    cluster = {
        "name": "a",
        "provider": "gcp",
        "apiServer": "https://a.example.com",
        "network": {"nodeCIDRs": ["10.0.0.0/16"], "podCIDRs": ["100.64.0.0/14"], "serviceCIDRs": ["100.68.0.0/20"]},
        "dns": {"endpoint": "10.0.255.10"},
    }
    doc = {
        "apiVersion": "fleetgen/v1alpha1",
        "kind": "Fleet",
        "metadata": {"name": "t"},
        "spec": {"gitops": {"repoURL": "https://git.example.com/f.git"}, "clusters": [cluster]},
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert [f.parsable() for f in pipeline.load(path, "fleet.yaml").findings] == []
