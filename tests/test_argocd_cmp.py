"""The Argo CD Config Management Plugin, run exactly as argocd-cmp-server runs it (no Argo CD).

A temporary git repository holds the fleet and its committed output; a clone of it
stands for the revision the repo-server checked out. The plugin's own commands
(argocd-cmp/plugin.yaml spec.init / spec.generate) run in the Application's source
directory with the build environment Argo CD sets (ARGOCD_APP_*) and the
Application's plugin env prefixed with ARGOCD_ENV_, taken from the rendered
ApplicationSet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import commands
from generator.diagnostics import sorted_findings
from tests.conftest import FLEETS, ROOT

KUBECTL = shutil.which("kubectl")
PLUGIN = yaml.safe_load((ROOT / "argocd-cmp" / "plugin.yaml").read_text())
BIN = Path(sys.executable).parent
CLUSTER = "aws-euwest1"


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """The platform repository: the fleet and the output `fleetgen render` wrote, committed."""
    repo = tmp_path / "origin"
    repo.mkdir()
    shutil.copy(FLEETS / "render" / "gate-argocd.yaml", repo / "fleet.yaml")
    assert commands.render(repo / "fleet.yaml") == 0
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fleet")
    return repo


def checkout(origin: Path, tmp_path: Path) -> tuple[Path, str]:
    """What the repo-server hands the sidecar: a checkout of the synced revision."""
    work = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, capture_output=True, timeout=60)
    return work, git(work, "rev-parse", "HEAD")


def application_env(checkout_dir: Path, cluster: str) -> tuple[str, dict[str, str]]:
    """The generated Application's source path and plugin env, from the rendered ApplicationSet."""
    appset = yaml.safe_load((checkout_dir / "output" / "hub" / "argocd" / "applicationset.yaml").read_text())
    element = next(e for e in appset["spec"]["generators"][0]["list"]["elements"] if e["cluster"] == cluster)
    source = appset["spec"]["template"]["spec"]["source"]
    assert source["plugin"]["name"] == PLUGIN["metadata"]["name"]
    env = {e["name"]: e["value"].replace("{{.cluster}}", cluster) for e in source["plugin"]["env"]}
    return element["path"], env


def run_plugin(checkout_dir: Path, revision: str, cluster: str, phase: str = "generate",
               path_env: str | None = None, **overrides: str) -> subprocess.CompletedProcess[str]:
    source_path, plugin_env = application_env(checkout_dir, cluster)
    env = {
        "PATH": path_env if path_env is not None else f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(checkout_dir.parent),
        "XDG_CACHE_HOME": str(checkout_dir.parent / "cache"),
        "ARGOCD_APP_NAME": f"stateful-eu-{cluster}",
        "ARGOCD_APP_NAMESPACE": "argocd",
        "ARGOCD_APP_PROJECT_NAME": "default",
        "ARGOCD_APP_REVISION": revision,
        "ARGOCD_APP_SOURCE_PATH": source_path,
        "ARGOCD_APP_SOURCE_REPO_URL": "https://git.example.com/platform/fleet.git",
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        "KUBE_VERSION": "1.33.0",
        **{f"ARGOCD_ENV_{k}": v for k, v in plugin_env.items()},
        **overrides,
    }
    command = PLUGIN["spec"][phase]["command"]
    command = [str(BIN / command[0]), *command[1:], *PLUGIN["spec"][phase].get("args", [])]
    return subprocess.run(command, cwd=checkout_dir / source_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_plugin_file_is_what_argocd_cmp_server_accepts() -> None:
    # cmpserver/plugin/config.go ValidatePluginConfig: kind, metadata.name, spec.generate.command
    assert PLUGIN["apiVersion"] == "argoproj.io/v1alpha1"
    assert PLUGIN["kind"] == "ConfigManagementPlugin"
    assert PLUGIN["metadata"]["name"] == "fleetgen-v1"
    assert "version" not in PLUGIN["spec"]  # newer Argo CD refuses it; the version is in the name
    assert PLUGIN["spec"]["generate"]["command"] == ["fleetgen", "cmp", "generate"]
    assert PLUGIN["spec"]["init"]["command"] == ["fleetgen", "--version"]
    assert PLUGIN["spec"]["discover"] == {"fileName": "./kustomization.yaml"}


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_passing_fleet_prints_exactly_the_kustomize_build(origin: Path, tmp_path: Path) -> None:
    work, revision = checkout(origin, tmp_path)
    init = run_plugin(work, revision, CLUSTER, "init")
    assert init.returncode == 0, init.stderr
    done = run_plugin(work, revision, CLUSTER)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert KUBECTL is not None
    built = subprocess.run([KUBECTL, "kustomize", str(work / "output" / "clusters" / CLUSTER)], capture_output=True,
                           text=True, timeout=60, check=True).stdout
    assert done.stdout == built
    objects = [d for d in yaml.safe_load_all(done.stdout) if d is not None]
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Namespace", "db"), ("Namespace", "fleetgen-verify"), ("ServiceAccount", "fleetgen-verify"),
        ("ConfigMap", "cassandra-seeds"), ("ConfigMap", "fleetgen-verify"), ("ConfigMap", "coredns"),
        ("Service", "cassandra"), ("Service", "fleet-dns"), ("Job", "fleetgen-verify"),
        ("NetworkPolicy", "fleetgen-verify"),
    ]


def test_without_kubectl_the_same_objects_are_printed(origin: Path, tmp_path: Path) -> None:
    work, revision = checkout(origin, tmp_path)
    done = run_plugin(work, revision, CLUSTER, path_env="")
    assert done.returncode == 0, done.stderr
    objects = [d for d in yaml.safe_load_all(done.stdout) if d is not None]
    expected: list[Any] = []
    if KUBECTL is not None:
        built = subprocess.run([KUBECTL, "kustomize", str(work / "output" / "clusters" / CLUSTER)],
                               capture_output=True, text=True, timeout=60, check=True).stdout
        expected = [d for d in yaml.safe_load_all(built) if d is not None]
        assert objects == expected
    assert len(objects) == 10


def test_fleet_pushed_past_the_checks_is_refused_with_its_findings(origin: Path, tmp_path: Path) -> None:
    # Someone pushes a fleet whose pod ranges overlap, without rendering or running the hook.
    fleet = origin / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("podCIDRs: [10.200.0.0/16]", "podCIDRs: [10.100.0.0/16]"))
    git(origin, "commit", "-q", "-am", "direct push")
    work, revision = checkout(origin, tmp_path)
    done = run_plugin(work, revision, CLUSTER)
    assert done.returncode == 1
    assert done.stdout == ""
    expected = [f.parsable() for f in sorted_findings(commands.check_findings(work / "fleet.yaml"))]
    lines = done.stderr.splitlines()
    assert lines[:-1] == [line.replace(str(work / "fleet.yaml"), "fleet.yaml") for line in expected]
    assert lines[0] == ("fleet.yaml:43:20: [error] cidr-overlap podCIDRs 10.100.0.0/16 of cluster 'gcp-europe-west4-c' "
                        "overlaps podCIDRs 10.100.0.0/16 of cluster 'aws-euwest1'; peers route to each other's ranges, "
                        "so move one of them")
    assert lines[-1].startswith("fleetgen: ") and lines[-1].endswith(
        "error(s) in fleet.yaml; nothing is synced until they are fixed")


def test_output_not_rendered_after_a_fleet_change_is_refused_as_stale(origin: Path, tmp_path: Path) -> None:
    fleet = origin / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("seedsPerCluster: 2", "seedsPerCluster: 1"))
    git(origin, "commit", "-q", "-am", "fleet changed, output not rendered")
    work, revision = checkout(origin, tmp_path)
    done = run_plugin(work, revision, CLUSTER)
    assert done.returncode == 1
    assert done.stdout == ""
    stale = [line for line in done.stderr.splitlines() if "[error] output-stale" in line]
    assert "output/clusters/aws-euwest1/workloads/db/cassandra/configmap-seeds.yaml:1:1: [error] output-stale " \
        "output/clusters/aws-euwest1/workloads/db/cassandra/configmap-seeds.yaml differs from what the fleet " \
        "renders; run `fleetgen render fleet.yaml` and commit the result" in stale


@pytest.mark.parametrize(("overrides", "message"), [
    ({"ARGOCD_ENV_FLEETGEN_CLUSTER": ""},
     "fleetgen: ARGOCD_ENV_FLEETGEN_CLUSTER is '': set the Application's spec.source.plugin.env FLEETGEN_CLUSTER "
     "to the cluster's name in the fleet"),
    ({"ARGOCD_ENV_FLEETGEN_CLUSTER": "nowhere"}, "fleetgen: the fleet fleet.yaml has no cluster 'nowhere'"),
    ({"ARGOCD_ENV_FLEETGEN_FLEET": "../fleet.yaml"},
     "fleetgen: ARGOCD_ENV_FLEETGEN_FLEET is '../fleet.yaml': give the fleet file's path relative to the "
     "repository root, without '..'"),
    ({"ARGOCD_ENV_FLEETGEN_CLUSTER": "gcp-europe-west4-c"},
     "fleetgen: the Application's path is 'output/clusters/aws-euwest1', but cluster gcp-europe-west4-c's "
     "manifests are in output/clusters/gcp-europe-west4-c; set spec.source.path to that directory"),
    ({"ARGOCD_APP_SOURCE_PATH": "output/clusters/other"},
     "fleetgen: the working directory {cwd} does not end with ARGOCD_APP_SOURCE_PATH='output/clusters/other': "
     "not run as Argo CD runs a plugin"),
])
def test_misconfigured_application_exits_2_with_one_line(origin: Path, tmp_path: Path, overrides: dict[str, str],
                                                         message: str) -> None:
    work, revision = checkout(origin, tmp_path)
    done = run_plugin(work, revision, CLUSTER, **overrides)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == message.format(cwd=work / "output" / "clusters" / CLUSTER) + "\n"


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_repo_server_patch_adds_the_sidecar_as_argo_cd_documents(tmp_path: Path) -> None:
    # A stand-in for the stock argocd-repo-server Deployment: its var-files and plugins volumes.
    base = tmp_path / "install"
    base.mkdir()
    (base / "repo-server.yaml").write_text(yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "argocd-repo-server"},
        "spec": {"selector": {"matchLabels": {"app": "r"}}, "template": {
            "metadata": {"labels": {"app": "r"}},
            "spec": {"containers": [{"name": "argocd-repo-server", "image": "quay.io/argoproj/argocd:v3.1.0"}],
                     "volumes": [{"name": "var-files", "emptyDir": {}}, {"name": "plugins", "emptyDir": {}}]}}},
    }))
    shutil.copytree(ROOT / "argocd-cmp", base / "argocd-cmp")
    (base / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": "argocd",
        "resources": ["repo-server.yaml", "argocd-cmp"],
        "patches": [{"path": "argocd-cmp/repo-server-patch.yaml"}],
    }))
    assert KUBECTL is not None
    built = subprocess.run([KUBECTL, "kustomize", str(base)], capture_output=True, text=True, timeout=60, check=True)
    docs = {d["kind"]: d for d in yaml.safe_load_all(built.stdout)}
    assert yaml.safe_load(docs["ConfigMap"]["data"]["plugin.yaml"]) == PLUGIN
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    sidecar = next(c for c in pod["containers"] if c["name"] == "fleetgen-cmp")
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsNonRoot"] is True and sidecar["securityContext"]["runAsUser"] == 999
    mounts = {m["mountPath"]: (m["name"], m.get("subPath")) for m in sidecar["volumeMounts"]}
    assert mounts == {
        "/var/run/argocd": ("var-files", None),
        "/home/argocd/cmp-server/plugins": ("plugins", None),
        "/home/argocd/cmp-server/config/plugin.yaml": ("fleetgen-cmp-plugin", "plugin.yaml"),
        "/tmp": ("fleetgen-cmp-tmp", None),
    }
    assert {v["name"] for v in pod["volumes"]} == {"var-files", "plugins", "fleetgen-cmp-plugin", "fleetgen-cmp-tmp"}
