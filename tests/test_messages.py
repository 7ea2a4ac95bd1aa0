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


def test_domain_nested_lands_on_the_zone_written_in_the_file_not_on_the_clusters_that_follow_the_pattern(
    tmp_path: Path,
) -> None:
    body = cluster("a", 1) + cluster("b", 2) + cluster("c", 3, extra="        zone: local\n")
    path = write(tmp_path, HEAD + "  clusters:\n" + body)
    assert [f for f in all_findings(path) if "domain-" in f] == [
        "fleet.yaml:36:15: [error] domain-nested dns.zone 'local' of cluster 'c' contains the zone 'a.local' of "
        "cluster 'a', the zone 'b.local' of cluster 'b' and the clusterDomain 'cluster.local' of clusters 'a', 'b', "
        "'c'; queries for them would be forwarded to 'c': pick a name outside them",
        "fleet.yaml:36:15: [warning] domain-pattern dns.zone 'local' of cluster 'c' deviates from zonePattern "
        "'{cluster}.local' ('c.local'); drop dns.zone or keep it on purpose",
    ]


def test_a_cluster_domain_that_swallows_the_zone_is_reported_at_cluster_domain(tmp_path: Path) -> None:
    body = cluster("a", 1, extra="        clusterDomain: a.local\n")
    path = write(tmp_path, HEAD + "  clusters:\n" + body)
    assert all_findings(path) == [
        "fleet.yaml:18:24: [error] domain-invalid dns.clusterDomain 'a.local' of cluster 'a' equals its own zone "
        "(from zonePattern '{cluster}.local'); pick another clusterDomain (usually 'cluster.local') or set dns.zone",
    ]
    body = cluster("a", 1, extra="        clusterDomain: local\n")
    path = write(tmp_path, HEAD + "  clusters:\n" + body)
    assert all_findings(path) == [
        "fleet.yaml:18:24: [error] domain-nested dns.clusterDomain 'local' of cluster 'a' contains the zone "
        "'a.local' of cluster 'a'; nested zones make forwarding ambiguous: pick a name outside them",
    ]


def test_unknown_clusters_in_placement_and_links_get_did_you_mean(tmp_path: Path) -> None:
    links = "  connectivity:\n    links:\n      - {name: ab, clusters: [aws-euwest1, gcp-west4], via: vpn}\n"
    workloads = (
        "  workloads:\n    - name: db\n      namespace: db\n      ports: [{name: cql, port: 9042}]\n"
        "      placement: {aws-euwest-1: 1, gcp-west4-c: 1, zzz: 1}\n"
    )
    body = cluster("aws-euwest1", 1) + cluster("gcp-west4-c", 2)
    path = write(tmp_path, HEAD + links + "  clusters:\n" + body + workloads)
    assert findings(path, "link-missing")[0] == (
        "fleet.yaml:10:44: [error] link-missing link 'ab' names unknown cluster 'gcp-west4' (did you mean "
        "'gcp-west4-c'?); declare it under spec.clusters or fix the name"
    )
    assert findings(path, "placement") == [
        "fleet.yaml:34:19: [error] placement workload 'db/db' is placed in unknown cluster 'aws-euwest-1' "
        "(did you mean 'aws-euwest1'?)",
        "fleet.yaml:34:52: [error] placement workload 'db/db' is placed in unknown cluster 'zzz'",
    ]


def test_a_failed_url_pattern_is_described_in_words_not_as_a_regular_expression(tmp_path: Path) -> None:
    body = cluster("a", 1).replace("apiServer: https://a.example.com", "apiServer: http://a.example.com")
    path = write(tmp_path, HEAD.replace("https://git.example.com/fleet.git", "ftp://git.example.com/x") + "  clusters:\n" + body)
    assert all_findings(path) == [
        'fleet.yaml:7:14: [error] schema spec.gitops.repoURL: "ftp://git.example.com/x" is not a Git URL starting '
        "with https://, ssh://, git@ or http://, without spaces, quotes or braces",
        'fleet.yaml:11:18: [error] schema spec.clusters[0].apiServer: "http://a.example.com" is not an https:// URL '
        'without spaces, quotes or braces (e.g. "https://a.eks.example.com")',
    ]


def test_every_pattern_of_the_fleet_schema_has_words() -> None:
    from generator.validate import fleet_schema, pattern_words

    def patterns(node: object) -> list[str]:
        if isinstance(node, dict):
            worded = "description" in node or "x-fleetgen-grammar" in node
            own = [node["pattern"]] if isinstance(node.get("pattern"), str) and not worded else []
            return own + [p for v in node.values() for p in patterns(v)]
        if isinstance(node, list):
            return [p for v in node for p in patterns(v)]
        return []

    assert [p for p in patterns(fleet_schema()) if pattern_words(p) is None] == []


def test_a_mistyped_zone_suffix_is_an_error_and_a_different_suffix_a_warning(tmp_path: Path) -> None:
    head = HEAD + "  dns:\n    zonePattern: '{cluster}.internal'\n"
    body = cluster("a", 1) + cluster("b", 2, extra="        zone: b.internl\n") + cluster(
        "c", 3, extra="        zone: c.corp.example\n"
    )
    path = write(tmp_path, head + "  clusters:\n" + body)
    assert findings(path, "domain-pattern") == [
        "fleet.yaml:29:15: [error] domain-pattern dns.zone 'b.internl' of cluster 'b' ends in 'internl', a near miss "
        "of 'internal' (zonePattern '{cluster}.internal' gives 'b.internal'); did you mean 'b.internal'?",
        "fleet.yaml:39:15: [warning] domain-pattern dns.zone 'c.corp.example' of cluster 'c' deviates from zonePattern "
        "'{cluster}.internal' ('c.internal'); drop dns.zone or keep it on purpose",
    ]


def test_an_unknown_cluster_in_a_group_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    groups = "  groups:\n    - {name: eu, clusters: [aws-euwest1, gcp-west4]}\n"
    path = write(tmp_path, HEAD + groups + "  clusters:\n" + cluster("aws-euwest1", 1) + cluster("gcp-west4-c", 2))
    assert all_findings(path) == [
        "fleet.yaml:9:42: [error] group-member group 'eu' names unknown cluster 'gcp-west4' (did you mean "
        "'gcp-west4-c'?); declare it under spec.clusters or fix the name",
    ]
