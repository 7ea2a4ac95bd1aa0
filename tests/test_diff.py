"""`fleetgen diff` on real temporary git repositories: one fleet change of each kind, the exact report."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from generator import cli, diffcmd

ROOT = Path(__file__).resolve().parent.parent
SEED = (ROOT / "fleet.yaml").read_text(encoding="utf-8")

MESH = [
    ("  mesh:\n    type: none\n", "  mesh:\n    type: cilium\n"),
    ("[subnet-0a1b2c3d4e5f60718]\n", "[subnet-0a1b2c3d4e5f60718]\n      mesh: {id: 1, endpoint: 10.10.255.20}\n"),
    ("endpoint: 10.20.255.10\n", "endpoint: 10.20.255.10\n      mesh: {id: 2, endpoint: 10.20.255.20}\n"),
]
AZURE_CLUSTER = """    - name: azure-westeurope
      provider: azure
      region: westeurope
      apiServer: https://c.aks.example.com
      network:
        nodeCIDRs: [10.30.0.0/16]
        podCIDRs: [10.130.0.0/16]
        serviceCIDRs: [172.22.0.0/16]
      dns:
        endpoint: 10.30.255.10
  workloads:
"""
# The seed scenario's realistic change (docs/diff.md): Cassandra's GCP replica set moves to a new Azure cluster.
MOVE_TO_AZURE = [
    ("        via: vpn\n", "        via: vpn\n      - clusters: [aws-euwest1, azure-westeurope]\n        via: vpn\n"
                         "      - clusters: [gcp-europe-west4-c, azure-westeurope]\n        via: vpn\n"),
    ("  workloads:\n", AZURE_CLUSTER),
    ("        gcp-europe-west4-c: 3\n", "        azure-westeurope: 3\n"),
]


def _edit(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(repo),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def scenario(tmp_path: Path, head_edits: list[tuple[str, str]], base_edits: list[tuple[str, str]] = ()) -> Path:
    """A repository whose main branch holds the base fleet; the working tree holds the change (uncommitted)."""
    repo = tmp_path / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    fleet = repo / "fleet.yaml"
    base = _edit(SEED, list(base_edits))
    fleet.write_text(base, encoding="utf-8")
    _git(repo, "add", "fleet.yaml")
    _git(repo, "commit", "-q", "-m", "base")
    fleet.write_text(_edit(base, head_edits), encoding="utf-8")
    return fleet


def diff(fleet: Path, **kw: object) -> tuple[int, str]:
    out = io.StringIO()
    code = diffcmd.diff(fleet, stdout=out, stderr=out, **kw)  # type: ignore[arg-type]
    return code, re.sub(r"\(([0-9a-f]{12})\)", "(<commit>)", out.getvalue())


HEADER = "fleetgen diff: {f} at HEAD (<commit>); the working tree has uncommitted changes -> working tree\n"


def body(report: str) -> str:
    """The report without its first line (which names the temporary path)."""
    return report.split("\n", 1)[1]


def test_pod_range_moves_under_running_pods(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [("podCIDRs: [10.200.0.0/16]", "podCIDRs: [10.201.0.0/16]")])
    code, out = diff(fleet)
    assert code == 0
    assert out == HEADER.format(f=fleet) + """\
cluster aws-euwest1 (changed)
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: + 10.201.0.0/16
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: - 10.200.0.0/16
cluster gcp-europe-west4-c (changed)
  ranges: [error] podCIDRs changed: 10.200.0.0/16 -> 10.201.0.0/16: the range moves under running pods of cassandra (db); they keep their old addresses until rescheduled while peers route only the new range
rendered files: 0 added, 3 changed, 0 removed, 22 unchanged
  ~ fleet.facts.json
  ~ routes/aws-euwest1.auto.tfvars.json
  ~ routes/plan.json
risky changes:
{f}:46:20: [error] diff-range-moved podCIDRs changed: 10.200.0.0/16 -> 10.201.0.0/16: the range moves under running pods of cassandra (db); they keep their old addresses until rescheduled while peers route only the new range (clusters: gcp-europe-west4-c)
1 error(s), 0 warning(s)
""".format(f=fleet)


def test_node_range_added_then_removed(tmp_path: Path) -> None:
    two = [("nodeCIDRs: [10.10.0.0/16]", "nodeCIDRs: [10.10.0.0/16, 10.11.0.0/16]")]
    added = scenario(tmp_path / "a", two)
    assert body(diff(added)[1]) == """\
cluster aws-euwest1 (changed)
  ranges: nodeCIDRs added: 10.11.0.0/16
cluster gcp-europe-west4-c (changed)
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: + 10.10.0.0/15
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: - 10.10.0.0/16
rendered files: 0 added, 3 changed, 0 removed, 22 unchanged
  ~ fleet.facts.json
  ~ routes/gcp-europe-west4-c.auto.tfvars.json
  ~ routes/plan.json
0 error(s), 0 warning(s)
"""
    removed = scenario(tmp_path / "r", [(two[0][1], two[0][0])], base_edits=two)
    assert body(diff(removed)[1]) == """\
cluster aws-euwest1 (changed)
  ranges: [error] nodeCIDRs removed: 10.11.0.0/16: the range moves under running nodes of cassandra (db); they keep their old addresses until rescheduled while peers route only the new range
cluster gcp-europe-west4-c (changed)
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: + 10.10.0.0/16
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: - 10.10.0.0/15
rendered files: 0 added, 3 changed, 0 removed, 22 unchanged
  ~ fleet.facts.json
  ~ routes/gcp-europe-west4-c.auto.tfvars.json
  ~ routes/plan.json
risky changes:
{f}:34:20: [error] diff-range-moved nodeCIDRs removed: 10.11.0.0/16: the range moves under running nodes of cassandra (db); they keep their old addresses until rescheduled while peers route only the new range (clusters: aws-euwest1)
1 error(s), 0 warning(s)
""".format(f=removed)


def test_service_range_changed_is_a_warning(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [("serviceCIDRs: [172.21.0.0/16]", "serviceCIDRs: [172.23.0.0/16]")])
    assert body(diff(fleet)[1]) == """\
cluster gcp-europe-west4-c (changed)
  ranges: [warning] serviceCIDRs changed: 172.21.0.0/16 -> 172.23.0.0/16: existing Services keep their ClusterIPs from the old range until recreated
rendered files: 0 added, 1 changed, 0 removed, 24 unchanged
  ~ fleet.facts.json
risky changes:
{f}:47:24: [warning] diff-service-range serviceCIDRs changed: 172.21.0.0/16 -> 172.23.0.0/16: existing Services keep their ClusterIPs from the old range until recreated (clusters: gcp-europe-west4-c)
0 error(s), 1 warning(s)
""".format(f=fleet)


def test_zone_rename_breaks_seed_names(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [("      dns:\n        endpoint: 10.20.255.10",
                                 "      dns:\n        zone: gcp-ew4.example\n        endpoint: 10.20.255.10")])
    assert body(diff(fleet)[1]) == """\
cluster aws-euwest1 (changed)
  dns: forward removed: gcp-europe-west4-c.local (was -> 10.20.255.10)
  dns: forward added: gcp-ew4.example -> 10.20.255.10
cluster gcp-europe-west4-c (changed)
  dns: [error] zone renamed gcp-europe-west4-c.local -> gcp-ew4.example: seed names of cassandra (db) (<pod>.<service>.<namespace>.svc.gcp-europe-west4-c.local) stop resolving in every cluster
rendered files: 0 added, 6 changed, 0 removed, 19 unchanged
  ~ clusters/aws-euwest1/dns/configmap-coredns.yaml
  ~ clusters/aws-euwest1/workloads/db/cassandra/configmap-seeds.yaml
  ~ clusters/gcp-europe-west4-c/dns/configmap-kube-dns.yaml
  ~ clusters/gcp-europe-west4-c/dns/gateway/configmap.yaml
  ~ clusters/gcp-europe-west4-c/workloads/db/cassandra/configmap-seeds.yaml
  ~ fleet.facts.json
risky changes:
{f}:49:15: [error] diff-zone-renamed zone renamed gcp-europe-west4-c.local -> gcp-ew4.example: seed names of cassandra (db) (<pod>.<service>.<namespace>.svc.gcp-europe-west4-c.local) stop resolving in every cluster (clusters: gcp-europe-west4-c)
1 error(s), 0 warning(s)
""".format(f=fleet)


def test_endpoint_move_changes_every_peers_forward(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [("endpoint: 10.20.255.10", "endpoint: 10.20.255.53")])
    assert body(diff(fleet)[1]) == """\
cluster aws-euwest1 (changed)
  dns: forward changed: gcp-europe-west4-c.local -> 10.20.255.53 (was 10.20.255.10)
cluster gcp-europe-west4-c (changed)
  dns: [warning] DNS endpoint moved 10.20.255.10 -> 10.20.255.53: every peer forwards gcp-europe-west4-c.local to the new address; answers cached for the old one expire first
rendered files: 0 added, 4 changed, 0 removed, 21 unchanged
  ~ clusters/aws-euwest1/dns/configmap-coredns.yaml
  ~ clusters/gcp-europe-west4-c/dns/configmap-kube-dns.yaml
  ~ clusters/gcp-europe-west4-c/dns/service-dns-endpoint.yaml
  ~ fleet.facts.json
risky changes:
{f}:49:19: [warning] diff-endpoint-moved DNS endpoint moved 10.20.255.10 -> 10.20.255.53: every peer forwards gcp-europe-west4-c.local to the new address; answers cached for the old one expire first (clusters: gcp-europe-west4-c)
0 error(s), 1 warning(s)
""".format(f=fleet)


def test_link_removed_under_a_spanning_workload_is_an_error(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [("    links:\n      - clusters: [aws-euwest1, gcp-europe-west4-c]\n        via: vpn\n",
                                 "    links: []\n")])
    assert body(diff(fleet)[1]) == """\
cluster aws-euwest1 (changed)
  links: [error] link removed: vpn [aws-euwest1, gcp-europe-west4-c]: no route left to gcp-europe-west4-c, which also run(s) cassandra (db): replication between them stops
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: - 10.20.0.0/16, 10.200.0.0/16
cluster gcp-europe-west4-c (changed)
  links: [error] link removed: vpn [aws-euwest1, gcp-europe-west4-c]: no route left to aws-euwest1, which also run(s) cassandra (db): replication between them stops
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: - 10.10.0.0/16, 10.100.0.0/16
rendered files: not compared (the working tree's fleet has errors (see `fleetgen check`); it was not rendered)
risky changes:
{f}:23:12: [error] diff-link-removed link removed: vpn [aws-euwest1, gcp-europe-west4-c]: no route left to aws-euwest1, which also run(s) cassandra (db): replication between them stops (clusters: gcp-europe-west4-c)
{f}:23:12: [error] diff-link-removed link removed: vpn [aws-euwest1, gcp-europe-west4-c]: no route left to gcp-europe-west4-c, which also run(s) cassandra (db): replication between them stops (clusters: aws-euwest1)
2 error(s), 0 warning(s)
""".format(f=fleet)


def test_link_replaced_by_another_keeps_members_reachable(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [("        via: vpn\n", "        via: peering\n")])
    assert body(diff(fleet)[1]).split("rendered files:")[0] == """\
cluster aws-euwest1 (changed)
  links: link added: peering [aws-euwest1, gcp-europe-west4-c]
  links: link removed: vpn [aws-euwest1, gcp-europe-west4-c]: its members stay reachable through other links
  routes: via peering [aws-euwest1, gcp-europe-west4-c]: + 10.20.0.0/16, 10.200.0.0/16
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: - 10.20.0.0/16, 10.200.0.0/16
cluster gcp-europe-west4-c (changed)
  links: link added: peering [aws-euwest1, gcp-europe-west4-c]
  links: link removed: vpn [aws-euwest1, gcp-europe-west4-c]: its members stay reachable through other links
  routes: via peering [aws-euwest1, gcp-europe-west4-c]: + 10.10.0.0/16, 10.100.0.0/16
  routes: via vpn [aws-euwest1, gcp-europe-west4-c]: - 10.10.0.0/16, 10.100.0.0/16
"""


def test_link_removed_to_a_cluster_without_shared_workloads_is_a_warning(tmp_path: Path) -> None:
    base = MOVE_TO_AZURE[:2]  # azure linked to both, nothing placed there
    fleet = scenario(tmp_path, [("      - clusters: [gcp-europe-west4-c, azure-westeurope]\n        via: vpn\n", "")],
                     base_edits=base)
    out = body(diff(fleet)[1])
    assert "  links: [warning] link removed: vpn [gcp-europe-west4-c, azure-westeurope]: traffic to " \
           "azure-westeurope stops\n" in out
    assert "  links: [warning] link removed: vpn [gcp-europe-west4-c, azure-westeurope]: traffic to " \
           "gcp-europe-west4-c stops\n" in out
    assert out.endswith("0 error(s), 2 warning(s)\n")


def test_workloads_rescaled(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [("aws-euwest1: 3\n", "aws-euwest1: 5\n"),
                                ("gcp-europe-west4-c: 3\n", "gcp-europe-west4-c: 2\n")])
    assert body(diff(fleet)[1]) == """\
cluster aws-euwest1 (changed)
  workloads: cassandra (db) rescaled 3 -> 5
cluster gcp-europe-west4-c (changed)
  workloads: [warning] cassandra (db) rescaled 3 -> 2: decommission the removed replicas before they stop
rendered files: 0 added, 1 changed, 0 removed, 24 unchanged
  ~ fleet.facts.json
risky changes:
{f}:60:29: [warning] diff-scaled-down cassandra (db) rescaled 3 -> 2: decommission the removed replicas before they stop (clusters: gcp-europe-west4-c)
0 error(s), 1 warning(s)
""".format(f=fleet)


def test_mesh_membership_and_id(tmp_path: Path) -> None:
    joined = scenario(tmp_path / "j", MESH)
    assert body(diff(joined)[1]).split("rendered files:")[0] == """\
fleet: mesh none -> cilium
cluster aws-euwest1 (changed)
  mesh: joins the cilium mesh (id 1)
cluster gcp-europe-west4-c (changed)
  mesh: joins the cilium mesh (id 2)
"""
    renumbered = scenario(tmp_path / "r", [("{id: 2,", "{id: 7,")], base_edits=MESH)
    assert body(diff(renumbered)[1]).split("rendered files:")[0] == """\
cluster gcp-europe-west4-c (changed)
  mesh: [warning] mesh id 2 -> 7: workloads in the mesh must restart to pick it up
"""


def test_move_to_a_new_cluster_orphans_the_namespace(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, MOVE_TO_AZURE)
    code, out = diff(fleet)
    assert code == 0
    assert body(out) == """\
cluster aws-euwest1 (changed)
  dns: forward added: azure-westeurope.local -> 10.30.255.10
  links: link added: vpn [aws-euwest1, azure-westeurope]
  routes: via vpn [aws-euwest1, azure-westeurope]: + 10.30.0.0/16, 10.130.0.0/16
cluster gcp-europe-west4-c (changed)
  dns: forward added: azure-westeurope.local -> 10.30.255.10
  links: link added: vpn [gcp-europe-west4-c, azure-westeurope]
  routes: via vpn [gcp-europe-west4-c, azure-westeurope]: + 10.30.0.0/16, 10.130.0.0/16
  workloads: [error] cassandra (db) placement removed (3 replicas): its Service and seeds go; the StatefulSet's data stays until moved and deleted by hand
  namespaces: namespace db will be orphaned: no longer rendered, kept by Prune=false/prune: disabled; delete it by hand once its data has moved
cluster azure-westeurope (added)
  cluster: added: azure westeurope, zone azure-westeurope.local
  ranges: nodeCIDRs added: 10.30.0.0/16
  ranges: podCIDRs added: 10.130.0.0/16
  ranges: serviceCIDRs added: 172.22.0.0/16
  dns: forward added: aws-euwest1.local -> 10.10.255.10
  dns: forward added: gcp-europe-west4-c.local -> 10.20.255.10
  links: link added: vpn [aws-euwest1, azure-westeurope]
  links: link added: vpn [gcp-europe-west4-c, azure-westeurope]
  routes: via vpn [aws-euwest1, azure-westeurope]: + 10.10.0.0/16, 10.100.0.0/16
  routes: via vpn [gcp-europe-west4-c, azure-westeurope]: + 10.20.0.0/16, 10.200.0.0/16
  workloads: cassandra (db) placed: 3 replicas
rendered files: 7 added, 9 changed, 3 removed, 13 unchanged
  + clusters/azure-westeurope/dns/configmap-coredns-custom.yaml
  + clusters/azure-westeurope/dns/service-dns-endpoint.yaml
  + clusters/azure-westeurope/kustomization.yaml
  + clusters/azure-westeurope/namespaces/db.yaml
  + clusters/azure-westeurope/workloads/db/cassandra/configmap-seeds.yaml
  + clusters/azure-westeurope/workloads/db/cassandra/service-headless.yaml
  + routes/azure-westeurope.auto.tfvars.json
  ~ clusters/aws-euwest1/dns/configmap-coredns.yaml
  ~ clusters/aws-euwest1/workloads/db/cassandra/configmap-seeds.yaml
  ~ clusters/gcp-europe-west4-c/dns/configmap-kube-dns.yaml
  ~ clusters/gcp-europe-west4-c/kustomization.yaml
  ~ fleet.facts.json
  ~ hub/argocd/applicationset.yaml
  ~ routes/aws-euwest1.auto.tfvars.json
  ~ routes/gcp-europe-west4-c.auto.tfvars.json
  ~ routes/plan.json
  - clusters/gcp-europe-west4-c/namespaces/db.yaml
  - clusters/gcp-europe-west4-c/workloads/db/cassandra/configmap-seeds.yaml
  - clusters/gcp-europe-west4-c/workloads/db/cassandra/service-headless.yaml
risky changes:
{f}:73:9: [error] diff-placement-removed cassandra (db) placement removed (3 replicas): its Service and seeds go; the StatefulSet's data stays until moved and deleted by hand (clusters: gcp-europe-west4-c)
1 error(s), 0 warning(s)
""".format(f=fleet)
    assert diff(fleet, fail_on="error")[0] == 1
    assert diff(fleet, fail_on="warning")[0] == 1


def test_cluster_removed(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [], base_edits=MOVE_TO_AZURE)
    text = fleet.read_text()
    text = text[:text.index("    - name: azure-westeurope")] + text[text.index("  workloads:"):]
    fleet.write_text(text.replace("        azure-westeurope: 3\n", "").replace(
        "      - clusters: [aws-euwest1, azure-westeurope]\n        via: vpn\n"
        "      - clusters: [gcp-europe-west4-c, azure-westeurope]\n        via: vpn\n", ""))
    out = body(diff(fleet)[1])
    section = out[out.index("cluster azure-westeurope (removed)"):out.index("rendered files:")]
    assert section == """\
cluster azure-westeurope (removed)
  cluster: [error] cluster azure-westeurope removed while cassandra (db) run there: the GitOps engine stops managing it; volumes and namespaces stay until removed by hand
  ranges: nodeCIDRs removed: 10.30.0.0/16
  ranges: podCIDRs removed: 10.130.0.0/16
  ranges: serviceCIDRs removed: 172.22.0.0/16
  dns: forward removed: aws-euwest1.local (was -> 10.10.255.10)
  dns: forward removed: gcp-europe-west4-c.local (was -> 10.20.255.10)
  links: link removed: vpn [aws-euwest1, azure-westeurope]
  links: link removed: vpn [gcp-europe-west4-c, azure-westeurope]
  routes: via vpn [aws-euwest1, azure-westeurope]: - 10.10.0.0/16, 10.100.0.0/16
  routes: via vpn [gcp-europe-west4-c, azure-westeurope]: - 10.20.0.0/16, 10.200.0.0/16
  workloads: cassandra (db) placement removed with the cluster (3 replicas)
  namespaces: namespace db will be orphaned: no longer rendered, kept by Prune=false/prune: disabled; delete it by hand once its data has moved
"""
    assert out.endswith("1 error(s), 0 warning(s)\n")  # one finding for the cluster, not one per workload


def test_fail_on_warning_only_counts_risky_changes(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [("aws-euwest1: 3\n", "aws-euwest1: 4\n")])
    assert diff(fleet, fail_on="warning")[0] == 0
    fleet.write_text(fleet.read_text().replace("aws-euwest1: 4\n", "aws-euwest1: 2\n"))
    assert diff(fleet, fail_on="warning")[0] == 1
    assert diff(fleet, fail_on="error")[0] == 0


def test_no_change_and_default_base_is_the_merge_base(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [])
    repo = fleet.parent
    code, out = diff(fleet)
    assert (code, body(out)) == (0, "no changes\nrendered files: 0 added, 0 changed, 0 removed, 25 unchanged\n"
                                    "0 error(s), 0 warning(s)\n")
    # A branch with a committed change and a clean work tree: the base is the merge base with main.
    _git(repo, "checkout", "-q", "-b", "feature")
    fleet.write_text(_edit(SEED, [("aws-euwest1: 3\n", "aws-euwest1: 4\n")]))
    _git(repo, "commit", "-q", "-am", "scale")
    main = _git(repo, "rev-parse", "main").strip()
    code, out = diff(fleet)
    assert out.splitlines()[0] == f"fleetgen diff: {fleet} at {main[:12]}; merge base of HEAD and main " \
                                  "-> working tree"
    assert "  workloads: cassandra (db) rescaled 3 -> 4" in out
    # --base names any revision; the user's working tree is never touched.
    before = fleet.read_bytes()
    code, out = diff(fleet, base="HEAD")
    assert "no changes" in out and fleet.read_bytes() == before
    assert _git(repo, "status", "--porcelain") == ""


def test_formats(tmp_path: Path) -> None:
    fleet = scenario(tmp_path, [("gcp-europe-west4-c: 3\n", "gcp-europe-west4-c: 2\n")])
    doc = json.loads(diff(fleet, fmt="json")[1])
    assert doc["summary"] == {"errors": 0, "warnings": 1}
    assert doc["clusters"] == [{"name": "gcp-europe-west4-c", "status": "changed", "changes": [
        {"section": "workloads", "text": "cassandra (db) rescaled 3 -> 2: decommission the removed replicas "
         "before they stop", "severity": "warning", "rule": "diff-scaled-down",
         "location": {"file": str(fleet), "line": 60, "column": 29}}]}]
    assert doc["files"] == {"added": [], "changed": ["fleet.facts.json"], "removed": [], "unchanged": 24}
    assert diff(fleet, fmt="github")[1] == (
        f"::warning file={fleet},line=60,col=29,title=diff-scaled-down::cassandra (db) rescaled 3 -> 2: "
        "decommission the removed replicas before they stop\nfleetgen: 0 error(s), 1 warning(s)\n")
    md = diff(fleet, fmt="markdown")[1]
    assert "<summary>:warning: <b>gcp-europe-west4-c</b> (changed, 1 change)</summary>" in md
    assert "```mermaid\n---\ntitle:" in md
    assert "  class n1 changed\n" in md


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fleet = scenario(tmp_path, [])
    assert cli.main(["diff", str(fleet), "--base", "no-such-ref"]) == 2
    assert capsys.readouterr().err == f"fleetgen: 'no-such-ref' is not a commit in the repository of {fleet}\n"
    assert cli.main(["diff", str(fleet), "--base", "--output=x"]) == 2
    capsys.readouterr()
    tree = tmp_path / "repo" / "sub"
    (tree / "x").mkdir(parents=True)
    (tree / "x" / "f").write_text("x")
    _git(tmp_path / "repo", "add", "sub")
    _git(tmp_path / "repo", "commit", "-qm", "a directory named like a fleet")
    (tree / "x" / "f").unlink()
    (tree / "x").rmdir()
    (tree / "x").write_text(SEED)
    assert cli.main(["diff", str(tree / "x"), "--base", "HEAD"]) == 2
    assert capsys.readouterr().err.startswith("fleetgen: x at HEAD (")
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "fleet.yaml").write_text(SEED)
    assert cli.main(["diff", str(outside / "fleet.yaml")]) == 2
    assert "is not inside a git work tree" in capsys.readouterr().err


def test_docs_example_is_what_diff_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/diff.md shows the markdown comment for the seed scenario's move to Azure, as printed today."""
    fleet = scenario(tmp_path, [])
    repo = fleet.parent
    _git(repo, "checkout", "-q", "-b", "move-cassandra")
    fleet.write_text(_edit(SEED, MOVE_TO_AZURE))
    _git(repo, "commit", "-q", "-am", "move")
    monkeypatch.chdir(repo)
    out = io.StringIO()
    assert diffcmd.diff(Path("fleet.yaml"), fmt="markdown", stdout=out) == 0
    doc = (ROOT / "docs" / "diff.md").read_text(encoding="utf-8").split("\n---\n\n", 1)[1]
    hexes = re.compile(r"`[0-9a-f]{12}`")
    assert hexes.sub("`<commit>`", out.getvalue()) == hexes.sub("`<commit>`", doc)


def test_invalid_fleets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fleet = scenario(tmp_path, [("provider: gcp", "provider: ibm")])
    assert cli.main(["diff", str(fleet)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{fleet}:41:17: [error] schema spec.clusters[1].provider: ") and err.endswith(
        "diff refused: the working tree's fleet does not validate\n")
    _git(fleet.parent, "commit", "-qam", "broken base")  # the committed fleet is the broken one now
    fleet.write_text(SEED)
    assert cli.main(["diff", str(fleet), "--base", "HEAD"]) == 2
    assert capsys.readouterr().err.startswith(f"fleetgen: {fleet} at HEAD (")


def test_new_fleet_is_all_added(tmp_path: Path) -> None:
    """The pull request that adds the fleet file: the base has none, so everything is new (exit 0)."""
    fleet = scenario(tmp_path, [])
    other = fleet.parent / "other.yaml"
    other.write_text(SEED)
    code, out = diff(other, base="HEAD")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"fleetgen diff: {other} at HEAD (<commit>); other.yaml does not exist there: a new fleet " \
                       "-> working tree"
    assert lines[1:4] == ["cluster aws-euwest1 (added)", "  cluster: added: aws eu-west-1, zone aws-euwest1.local",
                          "  ranges: nodeCIDRs added: 10.10.0.0/16"]
    assert "  workloads: cassandra (db) placed: 3 replicas" in lines
    assert lines[-1] == "0 error(s), 0 warning(s)"
    assert "rendered files: 25 added, 0 changed, 0 removed, 0 unchanged" in lines
