"""What `spec.gitops.argocd.plugin` and `spec.verify` render, field by field, and `fleetgen explain verify`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from generator import pipeline
from tests.conftest import FLEETS, ROOT

GATE_ARGOCD = FLEETS / "render" / "gate-argocd.yaml"
GATE_FLUX = FLEETS / "render" / "gate-flux.yaml"


def render(tmp_path: Path, source: Path, edit: Any = None) -> dict[str, Any]:
    path = tmp_path / "fleet.yaml"
    text = source.read_text()
    path.write_text(edit(text) if edit else text)
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.fleet is not None, loaded.findings
    output = pipeline.render_output(loaded.fleet)
    assert [f for f in output.findings if f.is_error] == []
    return output.files  # type: ignore[no-any-return]


def test_applicationset_syncs_through_the_plugin(tmp_path: Path) -> None:
    files = render(tmp_path, GATE_ARGOCD)
    source = files["hub/argocd/applicationset.yaml"]["spec"]["template"]["spec"]["source"]
    assert source == {
        "repoURL": "https://git.example.com/platform/fleet.git",
        "targetRevision": "main",
        "path": "{{.path}}",
        "plugin": {"name": "fleetgen-v1", "env": [
            {"name": "FLEETGEN_CLUSTER", "value": "{{.cluster}}"},
            {"name": "FLEETGEN_FLEET", "value": "fleet.yaml"},
        ]},
    }
    plugin = yaml.safe_load((ROOT / "argocd-cmp" / "plugin.yaml").read_text())
    assert source["plugin"]["name"] == plugin["metadata"]["name"]


def test_plugin_fleet_path_follows_gitops_path(tmp_path: Path) -> None:
    files = render(tmp_path, GATE_ARGOCD, lambda t: t.replace("    path: output\n", "    path: fleets/eu/output\n"))
    env = files["hub/argocd/applicationset.yaml"]["spec"]["template"]["spec"]["source"]["plugin"]["env"]
    assert env[1] == {"name": "FLEETGEN_FLEET", "value": "fleets/eu/fleet.yaml"}


def test_without_the_plugin_the_source_is_plain(tmp_path: Path) -> None:
    files = render(tmp_path, GATE_ARGOCD, lambda t: t.replace("    argocd: {plugin: true}\n", ""))
    assert "plugin" not in files["hub/argocd/applicationset.yaml"]["spec"]["template"]["spec"]["source"]


def test_argocd_job_is_a_postsync_hook_listed_by_the_cluster_root(tmp_path: Path) -> None:
    files = render(tmp_path, GATE_ARGOCD)
    job = files["clusters/aws-euwest1/verify/job.yaml"]
    assert job["metadata"]["annotations"] == {
        "argocd.argoproj.io/hook": "PostSync",
        "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
    }
    assert files["clusters/aws-euwest1/kustomization.yaml"]["resources"][-1] == "verify"
    assert files["clusters/aws-euwest1/verify/kustomization.yaml"]["resources"] == [
        "configmap.yaml", "job.yaml", "namespace.yaml", "networkpolicy.yaml", "serviceaccount.yaml"]


def test_job_runs_with_least_privilege(tmp_path: Path) -> None:
    files = render(tmp_path, GATE_ARGOCD)
    job = files["clusters/aws-euwest1/verify/job.yaml"]["spec"]
    assert (job["backoffLimit"], job["activeDeadlineSeconds"], job["ttlSecondsAfterFinished"]) == (1, 300, 3600)
    pod = job["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                      "seccompProfile": {"type": "RuntimeDefault"}}
    (container,) = pod["containers"]
    assert container["image"] == "python:3.12.8-alpine3.21"
    assert container["command"] == ["python3", "-I", "-B", "/etc/fleetgen-verify/verify.py"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
        "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["resources"] == {"requests": {"cpu": "10m", "memory": "32Mi"},
                                      "limits": {"cpu": "200m", "memory": "64Mi"}}
    sa = files["clusters/aws-euwest1/verify/serviceaccount.yaml"]
    assert sa["automountServiceAccountToken"] is False and pod["serviceAccountName"] == sa["metadata"]["name"]


def test_network_policy_allows_dns_and_the_tested_ports_only(tmp_path: Path) -> None:
    files = render(tmp_path, GATE_ARGOCD)
    spec = files["clusters/aws-euwest1/verify/networkpolicy.yaml"]["spec"]
    assert spec == {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "fleetgen-verify"}},
        "policyTypes": ["Ingress", "Egress"],
        "egress": [
            {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            {"to": [{"ipBlock": {"cidr": "10.200.0.0/16"}}],
             "ports": [{"protocol": "TCP", "port": p} for p in (7000, 7001, 7199, 9042)]},
        ],
    }
    pod = files["clusters/aws-euwest1/verify/job.yaml"]["spec"]["template"]["metadata"]["labels"]
    assert pod["app.kubernetes.io/name"] == "fleetgen-verify"


def test_image_digest_pins_the_image(tmp_path: Path) -> None:
    digest = "sha256:" + "a" * 64
    files = render(tmp_path, GATE_ARGOCD, lambda t: t.replace("  verify: {}\n", f"  verify: {{imageDigest: '{digest}'}}\n"))
    image = files["clusters/aws-euwest1/verify/job.yaml"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"python:3.12.8-alpine3.21@{digest}"


def test_bad_image_digest_is_a_schema_error(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fleet.yaml"
    path.write_text(GATE_ARGOCD.read_text().replace("  verify: {}\n", "  verify: {imageDigest: latest}\n"))
    run = fleetgen("check", str(path))
    assert run.code == 1
    assert run.out.splitlines()[0] == (f"{path}:47:25: [error] schema spec.verify.imageDigest: \"latest\" is not in "
                                       "the expected form "
                                       "(sha256:<64 hex digits>, pinning the image (rendered as image@digest))")


def test_flux_verify_kustomization_waits_for_the_cluster(tmp_path: Path) -> None:
    files = render(tmp_path, GATE_FLUX)
    ks = files["hub/flux/kustomization-aws-euwest1-verify.yaml"]
    assert ks["metadata"]["name"] == "stateful-eu-aws-euwest1-verify"
    assert ks["spec"] == {
        "interval": "5m",
        "path": "./output/clusters/aws-euwest1/verify",
        "prune": True,
        "wait": True,
        "force": True,
        "timeout": "360s",
        "dependsOn": [{"name": "stateful-eu-aws-euwest1"}],
        "sourceRef": {"kind": "GitRepository", "name": "stateful-eu"},
        "kubeConfig": {"secretRef": {"name": "aws-euwest1-kubeconfig"}},
    }
    # the cluster's own root does not apply the Job: the verify Kustomization does, afterwards
    assert "verify" not in files["clusters/aws-euwest1/kustomization.yaml"]["resources"]
    assert "annotations" not in files["clusters/aws-euwest1/verify/job.yaml"]["metadata"]


def test_without_verify_nothing_is_rendered(tmp_path: Path) -> None:
    files = render(tmp_path, GATE_FLUX, lambda t: t.replace("  verify: {}\n", ""))
    assert not [p for p in files if "verify" in p]


def test_explain_verify_says_what_the_job_checks(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fleet.yaml"
    shutil.copy(GATE_ARGOCD, path)
    run = fleetgen("explain", "verify", "aws-euwest1", str(path))
    assert run.code == 0, run.err
    seed = "cassandra-{}.cassandra.db.svc.{}.local"
    assert run.out.splitlines() == [
        "After every sync of aws-euwest1, the Job fleetgen-verify in namespace fleetgen-verify (image "
        "python:3.12.8-alpine3.21, at most 300s) checks from inside the cluster:",
        *[f"  seed      {seed.format(i, 'aws-euwest1')} (db/cassandra) resolves through the cluster's DNS to an "
          "address in aws-euwest1's pod ranges 10.100.0.0/16" for i in (0, 1)],
        *[f"  seed      {seed.format(i, 'gcp-europe-west4-c')} (db/cassandra) resolves through the cluster's DNS to "
          "an address in gcp-europe-west4-c's pod ranges 10.200.0.0/16" for i in (0, 1)],
        "  endpoint  gcp-europe-west4-c's DNS endpoint 10.20.255.10:53 answers for its zone gcp-europe-west4-c.local",
        f"  tcp       {seed.format(0, 'gcp-europe-west4-c')} (gcp-europe-west4-c) accepts TCP connections on "
        "9042 (cql), 7000 (intra-node), 7001 (tls-intra-node), 7199 (jmx)",
        "9 checks; the Job prints one JSON line per check and fails (the sync fails) if any check fails.",
    ]


def test_explain_verify_without_spec_verify_and_unknown_cluster(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fleet.yaml"
    shutil.copy(ROOT / "fleet.yaml", path)
    run = fleetgen("explain", "verify", "aws-euwest1", str(path))
    assert (run.code, run.out) == (0, "spec.verify is not set: no verification Job is rendered for aws-euwest1.\n"
                                      "Add `verify: {}` under spec to render one per cluster.\n")
    run = fleetgen("explain", "verify", "nowhere", str(path))
    assert run.code == 2
    assert run.err == "fleetgen: unknown cluster 'nowhere'; the fleet has aws-euwest1, gcp-europe-west4-c\n"


def test_verify_namespace_of_a_workload_is_refused(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fleet.yaml"
    path.write_text(GATE_ARGOCD.read_text().replace("  verify: {}\n", "  verify: {namespace: db}\n"))
    run = fleetgen("check", str(path))
    assert run.code == 1
    assert run.out.splitlines()[0] == (
        f"{path}:47:23: [error] verify-namespace spec.verify.namespace 'db' is also the namespace of workload "
        "'db/cassandra': every cluster would get two Namespace objects of that name; give the verification Job a "
        "namespace of its own (default fleetgen-verify) (clusters: aws-euwest1, gcp-europe-west4-c)")


def test_verify_namespace_reserved_is_refused(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fleet.yaml"
    path.write_text(GATE_ARGOCD.read_text().replace("  verify: {}\n", "  verify: {namespace: kube-verify}\n"))
    run = fleetgen("check", str(path))
    assert run.code == 1
    assert run.out.splitlines()[0] == (
        f"{path}:47:23: [error] verify-namespace spec.verify.namespace 'kube-verify' is owned by Kubernetes (its "
        "system namespaces and every name starting with kube-): the verification Job needs a namespace of its own "
        "(default fleetgen-verify)")


def test_default_verify_namespace_passes_check(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fleet.yaml"
    shutil.copy(GATE_ARGOCD, path)
    run = fleetgen("check", str(path))
    assert (run.code, run.out) == (0, "0 error(s), 0 warning(s)\n"), run.out
