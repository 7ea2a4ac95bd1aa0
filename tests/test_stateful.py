"""Stateful safety: no fleet change makes Argo CD or Flux delete a namespace (rules stateful-orphan, stateful-delete).

A fleet is rendered and "committed"; then a cluster, a workload and a placement are
removed. The committed output must carry each engine's keep annotations on every
namespace that disappears, and `fleetgen check` must warn about each one at the
fleet line that caused it (or the committed file when that line is gone).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from generator import commands

FLEET = """\
apiVersion: fleetgen/v1alpha1
kind: Fleet
metadata:
  name: ring
spec:
  gitops:
    engine: {engine}
    repoURL: https://git.example.com/platform/fleet.git
  connectivity:
    links:
      - clusters: {members}
        via: transit-gateway
  clusters:
    - name: a
      provider: aws
      apiServer: https://a.example.com
      network: {{nodeCIDRs: [10.1.0.0/16], podCIDRs: [10.101.0.0/16], serviceCIDRs: [172.21.0.0/16]}}
      dns: {{endpoint: 10.1.255.10}}
    - name: b
      provider: aws
      apiServer: https://b.example.com
      network: {{nodeCIDRs: [10.2.0.0/16], podCIDRs: [10.102.0.0/16], serviceCIDRs: [172.22.0.0/16]}}
      dns: {{endpoint: 10.2.255.10}}
{cluster_c}  workloads:
    - name: cassandra
      namespace: db
      ports: [{{name: cql, port: 9042}}]
      placement: {cassandra}
{etcd}"""

CLUSTER_C = """\
    - name: c
      provider: aws
      apiServer: https://c.example.com
      network: {nodeCIDRs: [10.3.0.0/16], podCIDRs: [10.103.0.0/16], serviceCIDRs: [172.23.0.0/16]}
      dns: {endpoint: 10.3.255.10}
"""

ETCD = """\
    - name: etcd
      namespace: kv
      ports: [{name: client, port: 2379}]
      placement: {a: 3, c: 3}
"""


def fleet_text(engine: str, *, with_c: bool = True, with_etcd: bool = True, cassandra: str = "{a: 3, b: 3, c: 3}") -> str:
    return FLEET.format(engine=engine, members="[a, b, c]" if with_c else "[a, b]", cluster_c=CLUSTER_C if with_c else "",
                        cassandra=cassandra if with_c else "{a: 3}", etcd=ETCD if with_etcd and with_c else "")


def render(fleet: Path, out: Path) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    assert commands.render(fleet, out, stdout=stdout, stderr=stderr) == 0, stderr.getvalue()


def check(fleet: Path, out: Path) -> tuple[int, list[dict[str, object]]]:
    stdout = io.StringIO()
    code = commands.check(fleet, fmt="json", out_dir=out, stdout=stdout)
    findings = json.loads(stdout.getvalue())["findings"]
    return code, [f for f in findings if str(f["rule"]).startswith("stateful-")]


def annotations(path: Path) -> dict[str, str]:
    return yaml.safe_load(path.read_text())["metadata"]["annotations"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("engine", ["argocd", "flux"])
def test_removing_cluster_workload_and_placement_keeps_every_namespace(tmp_path: Path, engine: str) -> None:
    fleet, out = tmp_path / "fleet.yaml", tmp_path / "output"
    fleet.write_text(fleet_text(engine))
    render(fleet, out)
    assert check(fleet, out) == (0, [])
    # every namespace the next changes remove carries both engines' keep annotations in the committed output
    for cluster, ns in (("a", "kv"), ("b", "db"), ("c", "db"), ("c", "kv")):
        assert annotations(out / "clusters" / cluster / "namespaces" / f"{ns}.yaml") == {
            "argocd.argoproj.io/sync-options": "Prune=false,Delete=false,ServerSideApply=true",
            "kustomize.toolkit.fluxcd.io/prune": "disabled",
        }
    if engine == "argocd":
        appset = yaml.safe_load((out / "hub/argocd/applicationset.yaml").read_text())
        assert appset["spec"]["syncPolicy"] == {"preserveResourcesOnDeletion": True}
    else:
        assert yaml.safe_load((out / "hub/flux/kustomization-c.yaml").read_text())["spec"]["prune"] is True

    # one change removes workload etcd and the placement of cassandra in b ...
    fleet.write_text(fleet_text(engine, with_etcd=False, cassandra="{a: 3, c: 3}"))
    code, found = check(fleet, out)
    assert code == 1  # output-stale (not rendered yet); the stateful findings are warnings
    assert _messages(found, tmp_path) == [
        "fleet.yaml:33: [warning] stateful-orphan namespace 'db' in cluster 'b' is no longer rendered (workload "
        "'db/cassandra' is no longer placed in 'b'); the GitOps engine keeps it running but unmanaged: " + STEPS % ("db/cassandra", "b", "b", "db"),
        "output/clusters/a/namespaces/kv.yaml:1: [warning] stateful-orphan namespace 'kv' in cluster 'a' is no longer "
        "rendered (workload 'kv/etcd' was removed from the fleet); the GitOps engine keeps it running but unmanaged: "
        + STEPS % ("kv/etcd", "a", "a", "kv"),
        "output/clusters/c/namespaces/kv.yaml:1: [warning] stateful-orphan namespace 'kv' in cluster 'c' is no longer "
        "rendered (workload 'kv/etcd' was removed from the fleet); the GitOps engine keeps it running but unmanaged: "
        + STEPS % ("kv/etcd", "c", "c", "kv"),
    ]
    # ... another removes cluster c (with everything placed there)
    fleet.write_text(fleet_text(engine, with_c=False))
    code, found = check(fleet, out)
    assert [(f["rule"], f["severity"], f["clusters"], _rel(f, tmp_path)) for f in found] == [
        ("stateful-orphan", "warning", ["b"], "fleet.yaml"),
        ("stateful-orphan", "warning", ["a"], "output/clusters/a/namespaces/kv.yaml"),
        ("stateful-orphan", "warning", ["c"], "output/clusters/c/dns/configmap-coredns.yaml"),
        ("stateful-orphan", "warning", ["c"], "output/clusters/c/namespaces/db.yaml"),
        ("stateful-orphan", "warning", ["c"], "output/clusters/c/namespaces/kv.yaml"),
    ]
    assert "(cluster 'c' was removed from the fleet)" in str(found[3]["message"])
    assert not any(f["severity"] == "error" for f in found)


STEPS = ("drain it (move clients away), decommission the replicas of %s in '%s' (remove them from the data "
         "system's membership so their data re-replicates), scale the StatefulSets to zero, back up the "
         "PersistentVolumeClaims, then `kubectl --context %s delete namespace %s` (docs/decommissioning.md)")


def _messages(found: list[dict[str, object]], tmp: Path) -> list[str]:
    """Findings as ``file:line: [severity] rule message``, files relative to the test's directory."""
    return [f"{_rel(f, tmp)}:{f['location']['line']}: [{f['severity']}] {f['rule']} "  # type: ignore[index]
            f"{str(f['message']).replace(tmp.as_posix() + '/', '')}" for f in found]


def _rel(finding: dict[str, object], tmp: Path) -> str:
    return str(finding["location"]["file"]).removeprefix(tmp.as_posix() + "/")  # type: ignore[index]


def _strip_protection(out: Path) -> None:
    """The committed output as a fleetgen without stateful safety rendered it."""
    for path in (out / "clusters").rglob("namespaces/*.yaml"):
        doc = yaml.safe_load(path.read_text())
        del doc["metadata"]["annotations"]
        path.write_text(yaml.safe_dump(doc))
    appset = out / "hub/argocd/applicationset.yaml"
    if appset.exists():
        doc = yaml.safe_load(appset.read_text())
        del doc["spec"]["syncPolicy"]
        appset.write_text(yaml.safe_dump(doc))


@pytest.mark.parametrize("engine", ["argocd", "flux"])
def test_unprotected_committed_namespace_is_an_error(tmp_path: Path, engine: str) -> None:
    fleet, out = tmp_path / "fleet.yaml", tmp_path / "output"
    fleet.write_text(fleet_text(engine))
    render(fleet, out)
    _strip_protection(out)
    fleet.write_text(fleet_text(engine, cassandra="{a: 3, c: 3}"))
    code, found = check(fleet, out)
    lacks = "Argo CD Prune=false" if engine == "argocd" else "Flux kustomize.toolkit.fluxcd.io/prune: disabled"
    assert code == 1
    assert _messages(found, tmp_path) == [
        f"fleet.yaml:33: [error] stateful-delete namespace 'db' in cluster 'b' is no longer rendered (workload "
        f"'db/cassandra' is no longer placed in 'b') and the committed output/clusters/b/namespaces/db.yaml lacks "
        f"{lacks}: the next sync deletes it and everything in it; render first with a fleetgen that protects it, "
        "sync that, then remove it (docs/decommissioning.md)",
    ]
    if engine == "argocd":  # a removed cluster: the Application is deleted with its resources-finalizer
        fleet.write_text(fleet_text(engine, with_c=False))
        _, found = check(fleet, out)
        assert [(f["rule"], _rel(f, tmp_path)) for f in found if f["clusters"] == ["c"]] == [
            ("stateful-orphan", "output/clusters/c/dns/configmap-coredns.yaml"),  # still carries Delete=false
            ("stateful-delete", "output/clusters/c/namespaces/db.yaml"),
            ("stateful-delete", "output/clusters/c/namespaces/kv.yaml"),
        ]
        assert "lacks Argo CD Delete=false (or ApplicationSet preserveResourcesOnDeletion)" in str(found[-1]["message"])


@pytest.mark.parametrize("engine", ["argocd", "flux"])
def test_renaming_the_fleet_deletes_the_old_syncer_and_needs_the_protection(tmp_path: Path, engine: str) -> None:
    """A renamed fleet renames the ApplicationSet / Kustomizations: the old ones are deleted with what they synced."""
    fleet, out = tmp_path / "fleet.yaml", tmp_path / "output"
    fleet.write_text(fleet_text(engine))
    render(fleet, out)
    fleet.write_text(fleet_text(engine).replace("name: ring", "name: ring2"))
    assert check(fleet, out)[1] == []  # protected: nothing is deleted, the new syncer adopts the namespaces
    _strip_protection(out)
    _, found = check(fleet, out)
    old = "ApplicationSet argocd/ring" if engine == "argocd" else "Flux Kustomization flux-system/ring-a"
    lacks = ("Argo CD Delete=false (or ApplicationSet preserveResourcesOnDeletion)" if engine == "argocd"
             else "Flux kustomize.toolkit.fluxcd.io/prune: disabled")
    assert _messages(found, tmp_path)[0] == (
        f"fleet.yaml:4: [error] stateful-delete namespace 'db' in cluster 'a': the committed {old} is no longer "
        f"rendered (fleet renamed or GitOps engine switched), and the committed output/clusters/a/namespaces/db.yaml "
        f"lacks {lacks}: deleting it deletes the namespace 'db' and everything in it before the new one recreates it "
        "empty; render the old fleet with a fleetgen that protects it and sync that first (docs/decommissioning.md)"
    )
    assert sorted((f["clusters"][0], _rel(f, tmp_path)) for f in found) == [  # type: ignore[index]
        ("a", "fleet.yaml"), ("a", "fleet.yaml"), ("b", "fleet.yaml"), ("c", "fleet.yaml"), ("c", "fleet.yaml")]


def test_rendered_namespace_without_protection_is_an_error(tmp_path: Path) -> None:
    """A blueprint that drops the keep annotations is caught before it is committed."""
    from generator import orphans
    from generator.pipeline import load
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(fleet_text("argocd"))
    loaded = load(fleet, "fleet.yaml")
    assert loaded.fleet is not None
    files = {"clusters/a/namespaces/db.yaml": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "db"}}}
    found = orphans.check(loaded.fleet, files, tmp_path / "missing")
    assert [f.parsable() for f in found] == [
        f"{tmp_path.as_posix()}/missing/clusters/a/namespaces/db.yaml:1:1: [error] stateful-delete namespace 'db' "
        "rendered for cluster 'a' lacks Argo CD Prune=false and Argo CD Delete=false: removing it from the fleet later "
        "would make the GitOps engine delete it and everything in it; keep k.keepOnPrune on it in the blueprint",
    ]


def test_switching_the_engine_deletes_the_applicationset(tmp_path: Path) -> None:
    fleet, out = tmp_path / "fleet.yaml", tmp_path / "output"
    fleet.write_text(fleet_text("argocd"))
    render(fleet, out)
    fleet.write_text(fleet_text("flux"))
    assert check(fleet, out)[1] == []  # preserveResourcesOnDeletion and Delete=false keep everything
    _strip_protection(out)
    _, found = check(fleet, out)
    assert len(found) == 5
    assert {(_rel(f, tmp_path), f["location"]["line"], f["rule"]) for f in found} == {  # type: ignore[index]
        ("fleet.yaml", 7, "stateful-delete")}
    assert "the committed ApplicationSet argocd/ring is no longer rendered" in str(found[0]["message"])


def test_workload_leaving_a_namespace_that_stays_is_reported(tmp_path: Path) -> None:
    """etcd moves into namespace db next to cassandra, then leaves cluster a: db stays, etcd's Service goes."""
    fleet, out = tmp_path / "fleet.yaml", tmp_path / "output"
    text = fleet_text("argocd").replace("namespace: kv", "namespace: db")
    fleet.write_text(text)
    render(fleet, out)
    fleet.write_text(text.replace("placement: {a: 3, c: 3}", "placement: {c: 3}"))
    _, found = check(fleet, out)
    assert _messages(found, tmp_path) == [
        "fleet.yaml:37: [warning] stateful-orphan workload 'db/etcd' leaves cluster 'a' (workload 'db/etcd' is no "
        "longer placed in 'a'): the next sync deletes its headless Service and seeds there, while its StatefulSet "
        "(not rendered by fleetgen) keeps running without stable pod names: decommission the replicas of db/etcd in "
        "'a' and scale it to zero before syncing, then delete it and its PersistentVolumeClaims by hand "
        "(docs/decommissioning.md)",
    ]
