"""Messages that point at the cause: root cause first, the line at fault, "did you mean", no raw regexes."""

from __future__ import annotations

from pathlib import Path

from routing_helpers import HEAD, all_findings, cluster, findings, write

LINKS_AB_AC = (
    "  connectivity:\n    mode: native\n    links:\n"
    "      - {name: ab, clusters: [a, b], via: vpn}\n"
    "      - {name: ac, clusters: [a, c], via: vpn}\n"
)


def _overlapping_c() -> str:
    return cluster("c", 3).replace("podCIDRs: [10.103.0.0/16]", "podCIDRs: [10.102.128.0/17]")


def test_an_overlap_between_peers_is_reported_once_as_the_cause_not_as_an_ambiguous_route(tmp_path: Path) -> None:
    links = LINKS_AB_AC + "      - {name: bc, clusters: [b, c], via: vpn}\n"
    path = write(tmp_path, HEAD + links + "  clusters:\n" + cluster("a", 1) + cluster("b", 2) + _overlapping_c())
    assert all_findings(path) == [
        "fleet.yaml:38:20: [error] cidr-overlap podCIDRs 10.102.128.0/17 of cluster 'c' overlaps podCIDRs "
        "10.102.0.0/16 of cluster 'b'; peers route to each other's ranges, so move one of them",
    ]


def test_an_overlap_between_clusters_of_different_groups_names_the_ranges_at_the_range(tmp_path: Path) -> None:
    groups = "  groups:\n    - {name: ab, clusters: [a, b]}\n    - {name: ac, clusters: [a, c]}\n"
    path = write(tmp_path, HEAD + LINKS_AB_AC + groups + "  clusters:\n" + cluster("a", 1) + cluster("b", 2) + _overlapping_c())
    assert all_findings(path) == [
        "fleet.yaml:40:20: [warning] cidr-overlap podCIDRs 10.102.128.0/17 of cluster 'c' overlaps podCIDRs "
        "10.102.0.0/16 of cluster 'b'; they share no group today, but joining them later will need a renumbering",
        "fleet.yaml:40:20: [error] route-plan 10.102.128.0/17 of 'c' overlaps 10.102.0.0/16 of 'b', so links 'ab' "
        "and 'ac' both route it for 'a' (ambiguous next hop); move one of the ranges",
    ]


def test_a_backup_link_next_to_a_transit_gateway_is_not_ambiguous(tmp_path: Path) -> None:
    from generator import pipeline
    from generator.routes import plan_files

    links = (
        "  connectivity:\n    mode: native\n    links:\n"
        "      - {name: tgw, clusters: [a, b], via: transit-gateway}\n"
        "      - {name: vpn, clusters: [a, b], via: vpn, role: backup}\n"
    )
    path = write(tmp_path, HEAD + links + "  clusters:\n" + cluster("a", 1) + cluster("b", 2))
    assert all_findings(path) == []
    loaded = pipeline.load(path, path.name)
    assert loaded.fleet is not None
    entries = plan_files(loaded.fleet)["routes/a.auto.tfvars.json"]["fleetgen_routes"]
    assert [(e["link"], e["role"]) for e in entries] == [("tgw", "primary"), ("vpn", "backup")]
    # two links of the same role stay ambiguous
    same = write(tmp_path, HEAD + links.replace(", role: backup", "") + "  clusters:\n" + cluster("a", 1) + cluster("b", 2))
    assert findings(same, "route-plan") == [
        "fleet.yaml:12:9: [error] route-plan links 'tgw' and 'vpn' both route 10.1.0.0/16 for 'b' (ambiguous next hop): "
        "a route table holds one target per destination; join these clusters by one link only, "
        "or declare one of them `role: backup`",
        "fleet.yaml:12:9: [error] route-plan links 'tgw' and 'vpn' both route 10.2.0.0/16 for 'a' (ambiguous next hop): "
        "a route table holds one target per destination; join these clusters by one link only, "
        "or declare one of them `role: backup`",
    ]
