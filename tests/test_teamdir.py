"""The team's own manifests in clusters/<name>/local/: included, never pruned or overwritten, still validated."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from routing_helpers import HEAD, cluster, write

from generator import commands
from generator.write import is_team_path

LINKS = "  connectivity:\n    links:\n      - {clusters: [a, b], via: vpn}\n"


def _fleet(tmp_path: Path) -> Path:
    a = cluster("a", 1).replace("      provider: generic\n", "      provider: generic\n      localManifests: true\n")
    return write(tmp_path, HEAD + LINKS + "  clusters:\n" + a + cluster("b", 2))


def _check(fleet: Path, out: Path) -> list[str]:
    buf = io.StringIO()
    commands.check(fleet, fmt="json", out_dir=out, stdout=buf)
    found = json.loads(buf.getvalue())["findings"]
    return [
        f"{f['location']['file']}:{f['location']['line']}:{f['location']['column']}: [{f['severity']}] {f['rule']} {f['message']}"
        for f in found
    ]


def _render(fleet: Path, out: Path) -> None:
    assert commands.render(fleet, out, stdout=io.StringIO(), stderr=io.StringIO()) == 0


def test_the_kustomization_includes_the_team_directory_only_where_declared(tmp_path: Path) -> None:
    fleet, out = _fleet(tmp_path), tmp_path / "out"
    _render(fleet, out)
    a = yaml.safe_load((out / "clusters/a/kustomization.yaml").read_text())["resources"]
    b = yaml.safe_load((out / "clusters/b/kustomization.yaml").read_text())["resources"]
    assert a[-1] == "local" and "local" not in b
    assert not (out / "clusters/a/local").exists()  # fleetgen renders nothing into it
    assert "local" not in (out / ".fleetgen-files").read_text()


def test_a_declared_team_directory_that_is_missing_is_an_error_at_the_declaration(tmp_path: Path) -> None:
    fleet, out = _fleet(tmp_path), tmp_path / "out"
    _render(fleet, out)
    assert _check(fleet, out) == [
        f"{fleet}:14:23: [error] local-manifests cluster 'a' declares localManifests but "
        f"{out.as_posix()}/clusters/a/local/kustomization.yaml does not exist; the cluster's kustomization includes "
        "that directory, so kustomize (and the sync) fails: create it (it may list no resources) or drop localManifests",
    ]


def _team_files(out: Path) -> Path:
    local = out / "clusters/a/local"
    local.mkdir(parents=True)
    (local / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [corp-dns.yaml, app.yaml]\n"
    )
    (local / "corp-dns.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: corp, namespace: kube-system}\ndata: {a: b}\n"
    )
    (local / "app.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: default}\n"
        "spec: {ports: [{port: 80}], selectr: {app: x}}\n"
    )
    return local


def test_check_validates_the_team_objects_with_the_strict_schemas(tmp_path: Path) -> None:
    fleet, out = _fleet(tmp_path), tmp_path / "out"
    _render(fleet, out)
    _team_files(out)
    assert _check(fleet, out) == [
        f"{out.as_posix()}/clusters/a/local/app.yaml:1:1: [error] manifest-schema Service app: spec: "
        "Additional properties are not allowed ('selectr' was unexpected)",
    ]


def test_the_team_directory_survives_a_render_and_a_fleet_change(tmp_path: Path) -> None:
    fleet, out = _fleet(tmp_path), tmp_path / "out"
    _render(fleet, out)
    local = _team_files(out)
    # a team file that copies a generated file, header and all, is still the team's
    shutil.copyfile(out / "clusters/a/kustomization.yaml", local / "copied.yaml")
    before = {p.name: p.read_bytes() for p in local.iterdir()}
    fleet.write_text(fleet.read_text().replace("10.1.255.10", "10.1.255.11"))
    _render(fleet, out)
    assert {p.name: p.read_bytes() for p in local.iterdir()} == before


def test_a_file_outside_the_team_directory_is_reported_as_unsynced(tmp_path: Path) -> None:
    fleet, out = _fleet(tmp_path), tmp_path / "out"
    _render(fleet, out)
    (out / "clusters/a/local").mkdir()
    (out / "clusters/a/local/kustomization.yaml").write_text("resources: []\n")
    (out / "clusters/b/extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    o = out.as_posix()
    assert _check(fleet, out) == [
        f"{o}/clusters/b/extra.yaml:1:1: [warning] local-manifests {o}/clusters/b/extra.yaml is neither rendered by "
        f"fleetgen nor under {o}/clusters/b/local/, so nothing syncs it; move it into {o}/clusters/b/local/ "
        "(and set localManifests: true on cluster 'b')",
    ]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_kustomize_builds_fleetgen_and_team_objects_together(tmp_path: Path) -> None:
    fleet, out = _fleet(tmp_path), tmp_path / "out"
    _render(fleet, out)
    _team_files(out)
    (out / "clusters/a/local/app.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: default}\nspec: {ports: [{port: 80}]}\n"
    )
    built = subprocess.run(["kubectl", "kustomize", str(out / "clusters/a")], capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    names = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(built.stdout) if d}
    assert {("ConfigMap", "corp"), ("Service", "app")} <= names


def test_no_blueprint_path_may_land_in_a_team_directory() -> None:
    assert is_team_path("clusters/a/local/x.yaml")
    assert not is_team_path("clusters/a/localdns.yaml")
    assert not is_team_path("hub/local/x.yaml")


def test_a_team_directory_that_is_a_link_or_holds_broken_yaml_is_reported_not_followed(tmp_path: Path) -> None:
    fleet, out = _fleet(tmp_path), tmp_path / "out"
    _render(fleet, out)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kustomization.yaml").write_text("resources: []\n")
    (out / "clusters/a/local").symlink_to(elsewhere)
    assert _check(fleet, out) == [
        f"{fleet}:14:23: [error] local-manifests {out.as_posix()}/clusters/a/local of cluster 'a' is a symbolic link "
        "or not a directory; make it a plain directory with a kustomization.yaml",
    ]
    (out / "clusters/a/local").unlink()
    local = _team_files(out)
    (local / "app.yaml").write_text("apiVersion: v1\nkind: [\n")
    assert _check(fleet, out) == [
        f"{out.as_posix()}/clusters/a/local/app.yaml:3:1: [error] local-manifests {out.as_posix()}/clusters/a/local/"
        "app.yaml is not valid YAML: did not find expected node content",
    ]
