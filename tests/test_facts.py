"""The facts document: golden for the example fleet, exact shape for IPv6 and unparsable ranges."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from generator import pipeline
from generator.facts import FACTS_FILE, facts

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "facts" / "stateful-eu.facts.json"


def _fleet(tmp_path: Path, source: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "fleet.yaml"
    shutil.copy(source, path)
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.fleet is not None
    return loaded.fleet


def test_example_fleet_matches_golden(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, HERE.parent / "fleet.yaml")
    text = json.dumps(facts(fleet), indent=2, sort_keys=True) + "\n"
    if os.environ.get("FLEETGEN_UPDATE_GOLDENS"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_facts_is_a_data_output(tmp_path: Path) -> None:
    fleet = _fleet(tmp_path, HERE.parent / "fleet.yaml")
    files = pipeline.render_output(fleet).files
    assert files[FACTS_FILE] == facts(fleet)


def test_ipv6_bounds_are_strings_and_bad_ranges_are_marked(tmp_path: Path) -> None:
    doc = facts(_fleet(tmp_path, HERE / "fleets" / "facts" / "dual-stack.yaml"))
    a, b = doc["clusters"]
    assert a["ranges"] == [
        {"field": "nodeCIDRs", "cidr": "10.10.0.0/16", "family": 4, "first": 168427520, "last": 168493055, "valid": True},
        {"field": "nodeCIDRs", "cidr": "fd00:10::/64", "family": 6,
         "first": "336294684201234316072892587747630383104", "last": "336294684201234316091339331821339934719", "valid": True},
        {"field": "podCIDRs", "cidr": "10.100.0.1/16", "family": None, "valid": False},
    ]
    assert (a["groups"], a["peers"], a["mesh"], a["dnsServer"], a["zone"]) == (["eu"], ["b"], {"id": 1, "network": "net-a"}, "coredns", "a.local")
    assert (b["zone"], b["dnsServer"], b["mesh"]) == ("b.fleet.internal", "kube-dns", {"id": None, "network": None})
    assert doc["links"] == []
    assert doc["workloads"] == [{
        "name": "etcd", "namespace": "kv",
        "ports": [{"name": "client", "port": 2379, "protocol": "TCP"}, {"name": "dns", "port": 53, "protocol": "UDP"}],
        "placement": {"a": 1}, "seeds": ["etcd-0.etcd.kv.svc.a.local"],
    }]
    assert (doc["fleet"], doc["mesh"], doc["discovery"]) == ("dual", {"type": "none"}, "forward")
    assert list(doc) == ["fleet", "clusters", "links", "workloads", "mesh", "discovery"]
