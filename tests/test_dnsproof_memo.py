"""What the DNS proof shares by content must never hand one cluster another's verdict.

The proof parses each distinct Corefile piece once (corefile.ParseCache), so clusters of a group
share the parsed server blocks of their peers, and it runs per component of the peer relation,
dropping its walk memos in between. These fleets put identical texts in different contexts.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import dnsproof, pipeline
from generator.dnsproof import corefile, rendered
from generator.model import Fleet
from generator.synth import synthetic_fleet

COREFILE = "clusters/{}/dns/configmap-coredns.yaml"  # aws and generic clusters: c00000, c00003, c00004, c00007, ...


def _render(tmp_path: Path, doc: dict[str, Any]) -> tuple[Fleet, dict[str, Any]]:
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.ok and loaded.fleet is not None, [f.parsable() for f in loaded.findings]
    # one copy per file: the render shares one object between byte-identical files
    return loaded.fleet, {rel: copy.deepcopy(obj) for rel, obj in pipeline.render_output(loaded.fleet).files.items()}


@pytest.fixture(scope="module")
def two_groups(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fleet, dict[str, Any]]:
    """16 clusters in two groups of 8 (providers aws, gcp, azure, generic in turn). A CoreDNS
    Corefile holds its own zone's block, then its peers' in fleet order: c00000 and c00003 carry the
    blocks of c00004..c00007 at the same lines."""
    return _render(tmp_path_factory.mktemp("two-groups"), synthetic_fleet(16, group_size=8))


def _messages(fleet: Fleet, files: dict[str, Any]) -> list[str]:
    return [f.message for f in dnsproof.prove(fleet, files, "output")]


def _blocks(files: dict[str, Any], cluster: str) -> dict[str, corefile.ServerBlock]:
    dns = rendered.fleet_dns((cluster,), files)[cluster]
    assert dns.resolver.corefile is not None
    return {b.keys[0].zone: b for b in dns.resolver.corefile.blocks}


def test_the_fixture_shares_peer_blocks(two_groups: tuple[Fleet, dict[str, Any]]) -> None:
    """c00000 and c00003 carry the same text at the same line for their peer c00005: parsed once."""
    fleet, files = two_groups
    assert _messages(fleet, files) == []
    dns = rendered.fleet_dns(tuple(fleet.by_name), files)
    a = {b.keys[0].zone: b for b in dns["c00000"].resolver.corefile.blocks}  # type: ignore[union-attr]
    b = {b.keys[0].zone: b for b in dns["c00003"].resolver.corefile.blocks}  # type: ignore[union-attr]
    assert a["c00005.local"].directives is b["c00005.local"].directives
    assert (a["c00005.local"].source, b["c00005.local"].source) == (COREFILE.format("c00000"), COREFILE.format("c00003"))
    assert a["c00003.local"].directives != b["c00003.local"].directives  # c00003's own zone: answered, not forwarded


def test_corefiles_that_differ_in_one_peer_block(two_groups: tuple[Fleet, dict[str, Any]]) -> None:
    fleet, files = copy.deepcopy(two_groups)
    cm = files[COREFILE.format("c00003")]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("forward . 10.40.0.10", "forward . 10.40.0.11")
    assert _messages(fleet, files) == [
        "from c00003, cassandra-g0-0.cassandra-g0.db.svc.c00005.local is forwarded to 10.40.0.11 which is no "
        "cluster's DNS endpoint (c00005's is 10.40.0.10) (and 3 more seed names)"
    ]


def test_a_cluster_whose_own_zone_block_differs(two_groups: tuple[Fleet, dict[str, Any]]) -> None:
    """c00015's own block answers c00011's zone (the text of c00011's own block): only c00015's names
    break, from every cluster of its group, and c00011 still answers its own."""
    fleet, files = copy.deepcopy(two_groups)
    cm = files[COREFILE.format("c00015")]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("kubernetes c00015.local", "kubernetes c00011.local")
    messages = _messages(fleet, files)
    assert sorted({m.split(",")[0] for m in messages}) == [f"from c000{i:02d}" for i in range(8, 16)]
    assert all(".svc.c00015.local " in m for m in messages)


def test_same_block_text_with_different_endpoints(two_groups: tuple[Fleet, dict[str, Any]]) -> None:
    """c00000 and c00003 share the parsed block `c00005.local:53 { forward . 10.40.0.10 }`, but in
    c00003 that address is a pinned ClusterIP of a Service selecting no DNS pods: only c00003 breaks."""
    fleet, files = copy.deepcopy(two_groups)
    files["clusters/c00003/dns/decoy.yaml"] = {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "decoy", "namespace": "kube-system"},
        "spec": {"type": "ClusterIP", "clusterIP": "10.40.0.10", "selector": {"app": "nothing"},
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]},
    }
    assert _blocks(files, "c00000")["c00005.local"].directives == _blocks(files, "c00003")["c00005.local"].directives
    assert _messages(fleet, files) == [
        "from c00003, cassandra-g0-0.cassandra-g0.db.svc.c00005.local reaches c00003's DNS Service at ClusterIP "
        "10.40.0.10, but Service kube-system/decoy selects no DNS pods (selector app=nothing in namespace "
        "kube-system) (and 3 more seed names)"
    ]


def test_findings_keep_one_pass_order_across_components(tmp_path: Path) -> None:
    """One workload placed in both groups, alternating: the proof runs group by group but reports in
    the order of one pass (seed by seed), so the first-named seed of every finding is the same."""
    doc = synthetic_fleet(8, group_size=4)
    doc["spec"]["workloads"] = [{"name": "x", "namespace": "db", "ports": [{"name": "p", "port": 1}],
                                 "placement": {"c00004": 1, "c00000": 1, "c00007": 1}, "seedsPerCluster": 1}]
    doc["spec"]["connectivity"]["links"].append({"name": "x", "clusters": ["c00000", "c00004"], "via": "vpn"})
    doc["spec"]["connectivity"]["links"].append({"name": "y", "clusters": ["c00000", "c00007"], "via": "vpn"})
    fleet, files = _render(tmp_path, doc)
    for cluster in ("c00004", "c00000", "c00007"):
        files[f"clusters/{cluster}/dns/service-dns-endpoint.yaml"]["spec"]["selector"] = {"app": "nothing"}
    assert [m.split(" reaches")[0] for m in _messages(fleet, files)] == [
        "from c00005, x-0.x.db.svc.c00004.local", "from c00006, x-0.x.db.svc.c00004.local",
        "from c00007, x-0.x.db.svc.c00004.local",
        "from c00001, x-0.x.db.svc.c00000.local", "from c00002, x-0.x.db.svc.c00000.local",
        "from c00003, x-0.x.db.svc.c00000.local",
        "from c00004, x-0.x.db.svc.c00007.local", "from c00005, x-0.x.db.svc.c00007.local",
        "from c00006, x-0.x.db.svc.c00007.local",
    ]


def test_forget_drops_memos_and_keeps_verdicts(two_groups: tuple[Fleet, dict[str, Any]]) -> None:
    fleet, files = copy.deepcopy(two_groups)
    cm = files[COREFILE.format("c00000")]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("forward . 10.40.0.10", "forward . 10.40.0.11")
    t = dnsproof.tracer(fleet, files)
    name = "cassandra-0.cassandra-g0.db.svc.c00005.local"
    before = [t.failures(a, name, "c00005") for a in ("c00000", "c00001", "c00003")]
    t.forget()
    assert not t._memo and not t._finished
    assert [t.failures(a, name, "c00005") for a in ("c00000", "c00001", "c00003")] == before
    assert before[0] and not before[1] and not before[2]


def test_names_share_a_verdict_only_within_one_namespace(tmp_path: Path) -> None:
    """Names are traced per class: zone class, length and the labels a verdict reads (namespace, "svc").
    c00004 answers only namespace db: its db names resolve, the web ones are refused, from every peer."""
    doc = synthetic_fleet(8, group_size=8)
    doc["spec"]["workloads"].append({"name": "web", "namespace": "web", "ports": [{"name": "p", "port": 80}],
                                     "placement": {f"c0000{i}": 1 for i in range(8)}, "seedsPerCluster": 1})
    fleet, files = _render(tmp_path, doc)
    cm = files[COREFILE.format("c00004")]
    cm["data"]["Corefile"] = cm["data"]["Corefile"].replace(
        "kubernetes c00004.local\n", "kubernetes c00004.local {\n        namespaces db\n    }\n")
    t = dnsproof.tracer(fleet, files)
    db = [f"{w}-0.{w}.db.svc.c00004.local" for w in ("cassandra-g0", "etcd-g0")]
    assert t.name_class(db[0]) == t.name_class(db[1]) != t.name_class("web-0.web.web.svc.c00004.local")
    assert _messages(fleet, files) == [
        f"from c0000{i}, web-0.web.web.svc.c00004.local is refused by kubernetes in {COREFILE.format('c00004')}: "
        "namespace web is not in its namespaces (db)"
        for i in (4, 0, 1, 2, 3, 5, 6, 7)
    ]
