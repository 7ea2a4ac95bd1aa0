"""The native route plan (generator/routes.py) and rule route-plan (generator/checks/routes.py)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing_helpers import HEAD, all_findings, cluster, findings, write

from generator import pipeline, write as writer
from generator.routes import plan_files, summarise

REPO = Path(__file__).resolve().parent.parent


def _plan(path: Path) -> dict:
    loaded = pipeline.load(path, path.name)
    assert loaded.fleet is not None
    return plan_files(loaded.fleet)


def _links(text_links: str) -> str:
    return f"  connectivity:\n    mode: native\n    links:\n{text_links}"


def test_root_route_plan_matches_committed_output_file_by_file(tmp_path: Path) -> None:
    loaded = pipeline.load(REPO / "fleet.yaml", "fleet.yaml")
    assert loaded.ok and loaded.fleet is not None
    rendered = writer.serialize_all(plan_files(loaded.fleet), "fleet.yaml")
    committed = sorted(p.relative_to(REPO / "output").as_posix() for p in (REPO / "output" / "routes").iterdir())
    assert sorted(rendered) == committed
    for rel, data in rendered.items():
        assert (REPO / "output" / rel).read_bytes() == data, rel


def test_root_route_plan_sends_each_cluster_the_others_ranges_through_the_vpn() -> None:
    loaded = pipeline.load(REPO / "fleet.yaml", "fleet.yaml")
    assert loaded.fleet is not None
    files = plan_files(loaded.fleet)
    assert files["routes/aws-euwest1.auto.tfvars.json"] == {
        "fleetgen_routes": [
            {"link": "link-0", "via": "vpn", "role": "primary", "peers": ["gcp-europe-west4-c"], "destinations": ["10.20.0.0/16", "10.200.0.0/16"]}
        ]
    }
    assert files["routes/gcp-europe-west4-c.auto.tfvars.json"] == {
        "fleetgen_routes": [
            {"link": "link-0", "via": "vpn", "role": "primary", "peers": ["aws-euwest1"], "destinations": ["10.10.0.0/16", "10.100.0.0/16"]}
        ]
    }
    assert files["routes/plan.json"]["clusters"]["aws-euwest1"]["links"][0]["via"] == "vpn"


def test_peering_is_not_transitive_and_a_transit_gateway_reaches_all_members(tmp_path: Path) -> None:
    links = _links(
        "      - {name: ab, clusters: [a, b], via: peering}\n"
        "      - {name: bc, clusters: [b, c], via: vpn}\n"
        "      - {name: tgw, clusters: [c, d, e], via: transit-gateway}\n"
    )
    body = "".join(cluster(n, i + 1) for i, n in enumerate("abcde"))
    files = _plan(write(tmp_path, HEAD + links + "  clusters:\n" + body))
    plan = files["routes/plan.json"]["clusters"]
    assert [(e["link"], e["peers"]) for e in plan["a"]["links"]] == [("ab", ["b"])]
    assert [(e["link"], e["peers"]) for e in plan["b"]["links"]] == [("ab", ["a"]), ("bc", ["c"])]
    assert [(e["link"], e["peers"]) for e in plan["c"]["links"]] == [("bc", ["b"]), ("tgw", ["d", "e"])]
    assert [(e["link"], e["peers"]) for e in plan["e"]["links"]] == [("tgw", ["c", "d"])]
    # d and e: 10.4/16 + 10.5/16 form the aligned 10.4/15 exactly, so they are summarised
    assert plan["c"]["links"][1]["destinations"] == ["10.4.0.0/15", "10.104.0.0/15"]
    assert files["routes/a.auto.tfvars.json"]["fleetgen_routes"][0]["destinations"] == ["10.2.0.0/16", "10.102.0.0/16"]


def test_summary_is_exact_and_a_dns_endpoint_outside_the_node_range_is_a_host_route(tmp_path: Path) -> None:
    links = _links("      - {clusters: [a, b], via: vpn}\n")
    b = cluster("b", 3).replace("endpoint: 10.3.255.10", "endpoint: 192.168.7.7")
    files = _plan(write(tmp_path, HEAD + links + "  clusters:\n" + cluster("a", 1) + b))
    # 10.3.0.0/16 and 10.103.0.0/16 are not adjacent: never widened
    assert files["routes/a.auto.tfvars.json"]["fleetgen_routes"][0]["destinations"] == [
        "10.3.0.0/16", "10.103.0.0/16", "192.168.7.7/32",
    ]


def test_no_links_no_route_files(tmp_path: Path) -> None:
    assert _plan(write(tmp_path, HEAD + "  clusters:\n" + cluster("a", 1) + cluster("b", 2))) == {}


def test_route_plan_passes_on_a_good_fleet(tmp_path: Path) -> None:
    links = _links("      - {clusters: [a, b], via: vpn}\n")
    path = write(tmp_path, HEAD + links + "  clusters:\n" + cluster("a", 1) + cluster("b", 2))
    assert all_findings(path) == []


def test_route_plan_never_sends_own_ranges_away(tmp_path: Path) -> None:
    links = _links("      - {clusters: [a, b], via: vpn}\n")
    b = cluster("b", 2).replace("podCIDRs: [10.102.0.0/16]", "podCIDRs: [10.101.128.0/17]")
    path = write(tmp_path, HEAD + links + "  clusters:\n" + cluster("a", 1) + b)
    # between peers the overlap is cidr-overlap's to report, once; route-plan stays quiet
    assert findings(path, "route-plan") == []
    assert findings(path, "cidr-overlap") == [
        "fleet.yaml:27:20: [error] cidr-overlap podCIDRs 10.101.128.0/17 of cluster 'b' overlaps podCIDRs "
        "10.101.0.0/16 of cluster 'a'; peers route to each other's ranges, so move one of them",
    ]
    loaded = pipeline.load(path, path.name)
    assert loaded.fleet is not None
    plan = plan_files(loaded.fleet)["routes/a.auto.tfvars.json"]["fleetgen_routes"][0]
    assert "10.101.128.0/17" not in plan["destinations"]


def test_route_plan_reports_own_ranges_between_linked_clusters_of_different_groups(tmp_path: Path) -> None:
    links = _links("      - {clusters: [a, b], via: vpn}\n")
    b = cluster("b", 2).replace("podCIDRs: [10.102.0.0/16]", "podCIDRs: [10.101.128.0/17]")
    groups = "  groups:\n    - {name: ga, clusters: [a]}\n    - {name: gb, clusters: [b]}\n"
    path = write(tmp_path, HEAD + links + groups + "  clusters:\n" + cluster("a", 1) + b)
    assert findings(path, "route-plan") == [
        "fleet.yaml:21:20: [error] route-plan the route plan of 'b' would send its own addresses away: "
        "10.101.0.0/16 of 'a' (link 'link-0') overlaps a range of 'b'; left out of the plan",
        "fleet.yaml:30:20: [error] route-plan the route plan of 'a' would send its own addresses away: "
        "10.101.128.0/17 of 'b' (link 'link-0') overlaps a range of 'a'; left out of the plan",
    ]


def test_route_plan_two_links_for_one_destination_is_ambiguous(tmp_path: Path) -> None:
    links = _links(
        "      - {name: vpn-ab, clusters: [a, b], via: vpn}\n"
        "      - {name: peer-ab, clusters: [a, b], via: peering}\n"
    )
    path = write(tmp_path, HEAD + links + "  clusters:\n" + cluster("a", 1) + cluster("b", 2))
    assert findings(path, "route-plan") == [
        "fleet.yaml:12:9: [error] route-plan links 'vpn-ab' and 'peer-ab' both route 10.1.0.0/16 for 'b' "
        "(ambiguous next hop): a route table holds one target per destination; join these clusters by one link only, "
        "or declare one of them `role: backup`",
        "fleet.yaml:12:9: [error] route-plan links 'vpn-ab' and 'peer-ab' both route 10.2.0.0/16 for 'a' "
        "(ambiguous next hop): a route table holds one target per destination; join these clusters by one link only, "
        "or declare one of them `role: backup`",
    ]


def test_route_plan_peer_without_pod_ranges(tmp_path: Path) -> None:
    links = _links("      - {clusters: [a, b], via: vpn}\n")
    path = write(tmp_path, HEAD + links + "  clusters:\n" + cluster("a", 1) + cluster("b", 2, pods=False))
    assert findings(path, "route-plan") == [
        "fleet.yaml:22:13: [error] route-plan cluster 'b' is in a link but has no podCIDRs: its peers have no pod "
        "range to route to it (declare network.podCIDRs, or run `fleetgen allocate` with an ipam pool for podCIDRs)",
    ]


def test_plan_json_is_written_by_render_without_header(tmp_path: Path) -> None:
    from generator import commands

    links = _links("      - {clusters: [a, b], via: vpn}\n")
    path = write(tmp_path, HEAD + links + "  clusters:\n" + cluster("a", 1) + cluster("b", 2))
    out = tmp_path / "out"
    assert commands.render(path, out) == 0
    data = json.loads((out / "routes" / "b.auto.tfvars.json").read_text())
    assert data["fleetgen_routes"][0]["destinations"] == ["10.1.0.0/16", "10.101.0.0/16"]
    assert "routes/plan.json" in (out / ".fleetgen-files").read_text()


@given(st.lists(st.tuples(st.integers(0, 255), st.integers(20, 28), st.booleans()), max_size=40))
def test_summarise_agrees_with_collapse_addresses(blocks: list[tuple[int, int, bool]]) -> None:
    nets = []
    for start, prefix, v6 in blocks:
        if v6:
            nets.append(ipaddress.IPv6Network(((0xFD00 << 112) + (start << 8), prefix + 96), strict=False))
        else:
            nets.append(ipaddress.IPv4Network(((10 << 24) + (start << 12), prefix), strict=False))
    want = list(ipaddress.collapse_addresses(n for n in nets if n.version == 4))
    want += list(ipaddress.collapse_addresses(n for n in nets if n.version == 6))
    assert list(summarise(iter(nets))) == want


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    octets=st.lists(st.integers(1, 4), min_size=2, max_size=6),
    links=st.lists(st.lists(st.integers(0, 5), min_size=2, max_size=5), min_size=1, max_size=3),
)
def test_shared_link_tables_plan_like_one_cluster_at_a_time(tmp_path: Path, octets: list[int], links: list[list[int]]) -> None:
    """A link's destinations are sorted, indexed and partly summarised once for all its members; each
    member's plan must still be its own: peers' ranges minus the ones overlapping its own ranges (clusters
    may share an octet, so ranges overlap), summarised like ipaddress.collapse_addresses."""
    from generator.routes import _peer_destinations, fleet_routes

    names = [f"c{i}" for i in range(len(octets))]
    text_links = "".join(
        f"      - {{name: l{j}, clusters: [{', '.join(names[i % len(names)] for i in members)}], via: vpn}}\n"
        for j, members in enumerate(links)
    )
    path = write(tmp_path, HEAD + _links(text_links) + "  clusters:\n" + "".join(cluster(n, o) for n, o in zip(names, octets)))
    loaded = pipeline.load(path, path.name)
    assert loaded.fleet is not None
    fleet = loaded.fleet
    for cr in fleet_routes(fleet):
        me = fleet.by_name[cr.cluster]
        own = [r.network for r in me.ranges if r.network is not None] + [ipaddress.ip_network(me.endpoint_address)]
        for lr in cr.links:
            peers = tuple(p for p in dict.fromkeys(lr.link.clusters) if p != cr.cluster)
            raw = [d for p in peers for d in _peer_destinations(fleet, fleet.by_name[p], True)]
            routed = [d for d in raw if not any(d.network.overlaps(o) for o in own)]
            assert lr.peers == peers
            assert lr.raw == tuple(routed)
            assert lr.own == tuple(d for d in raw if d not in routed)
            assert list(lr.destinations) == list(ipaddress.collapse_addresses(d.network for d in routed))
