"""link-missing semantics: transit gateways route transitively, peering and VPN do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator import pipeline


def _fleet(links: list[dict[str, Any]], names: tuple[str, ...] = ("a", "b", "c")) -> dict[str, Any]:
    clusters = [
        {
            "name": n,
            "provider": "generic",
            "apiServer": f"https://{n}.example.com",
            "network": {"nodeCIDRs": [f"10.{i}.0.0/16"], "podCIDRs": [f"10.{100 + i}.0.0/16"]},
            "dns": {"endpoint": f"10.{i}.255.10"},
        }
        for i, n in enumerate(names)
    ]
    spec: dict[str, Any] = {"gitops": {"repoURL": "https://git.example.com/f.git"}, "clusters": clusters}
    if links:
        spec["connectivity"] = {"links": links}
    return {"apiVersion": "fleetgen/v1alpha1", "kind": "Fleet", "metadata": {"name": "t"}, "spec": spec}


def _lines(doc: dict[str, Any], tmp_path: Path) -> list[str]:
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return [f.parsable() for f in pipeline.load(path, "fleet.yaml").findings]


def test_transit_gateway_entries_with_one_name_are_one_gateway(tmp_path: Path) -> None:
    links = [
        {"name": "tgw-eu", "clusters": ["a", "b"], "via": "transit-gateway"},
        {"name": "tgw-eu", "clusters": ["b", "c"], "via": "transit-gateway"},
    ]
    assert _lines(_fleet(links), tmp_path) == []


def test_two_gateways_sharing_a_cluster_do_not_route_between_each_other(tmp_path: Path) -> None:
    links = [{"clusters": ["a", "b"], "via": "transit-gateway"}, {"clusters": ["b", "c"], "via": "transit-gateway"}]
    assert _lines(_fleet(links), tmp_path) == [
        "fleet.yaml:29:11: [error] link-missing clusters 'a' and 'c' are in the same fleet but no link joins them; "
        "add a spec.connectivity.links entry with both (vpn, peering or transit-gateway)"
    ]


def test_vpn_does_not_transit_through_a_third_cluster(tmp_path: Path) -> None:
    links = [{"clusters": ["a", "b"], "via": "vpn"}, {"clusters": ["b", "c"], "via": "vpn"}]
    assert _lines(_fleet(links), tmp_path) == [
        "fleet.yaml:29:11: [error] link-missing clusters 'a' and 'c' are in the same fleet but no link joins them; "
        "add a spec.connectivity.links entry with both (vpn, peering or transit-gateway)"
    ]


def test_one_entry_joins_every_pair_inside_it(tmp_path: Path) -> None:
    assert _lines(_fleet([{"clusters": ["a", "b", "c"], "via": "peering"}]), tmp_path) == []


def test_a_single_cluster_needs_no_link(tmp_path: Path) -> None:
    assert _lines(_fleet([], names=("solo",)), tmp_path) == []
