"""Golden tests for every example fleet (examples/*/fleet.yaml and the root fleet.yaml).

Each fleet is rendered into its own tmp_path and compared file by file with the
committed output next to it; every rendered cluster directory must then build
with `kubectl kustomize` (skipped, with a message, when kubectl is missing).
"""

from __future__ import annotations

import difflib
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from generator import commands

ROOT = Path(__file__).resolve().parent.parent
FLEETS = [ROOT / "fleet.yaml"] + sorted((ROOT / "examples").glob("*/fleet.yaml"))
IDS = [str(f.parent.relative_to(ROOT)) if f.parent != ROOT else "root" for f in FLEETS]


def committed_output(fleet: Path) -> Path:
    return fleet.parent / "output"


def files_under(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def render(fleet: Path, out: Path) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = commands.render(fleet, out, stdout=stdout, stderr=stderr)
    assert code == 0, stderr.getvalue()


@pytest.mark.parametrize("fleet", FLEETS, ids=IDS)
def test_render_matches_committed_output(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "output"
    shutil.copy(fleet, tmp_path / "fleet.yaml")  # the state file names the fleet file relative to the output
    render(tmp_path / "fleet.yaml", out)
    expected = files_under(committed_output(fleet))
    actual = files_under(out)
    assert sorted(actual) == sorted(expected), "rendered file set differs; run `make render` and commit"
    for name in sorted(expected):
        if actual[name] != expected[name]:
            diff = "".join(
                difflib.unified_diff(
                    expected[name].decode().splitlines(keepends=True),
                    actual[name].decode().splitlines(keepends=True),
                    f"committed/{name}",
                    f"rendered/{name}",
                )
            )
            pytest.fail(f"{name} differs from a fresh render:\n{diff}")


def kubectl() -> str | None:
    return shutil.which("kubectl")


@pytest.mark.parametrize("fleet", FLEETS, ids=IDS)
def test_every_cluster_dir_builds_with_kustomize(fleet: Path, tmp_path: Path) -> None:
    binary = kubectl()
    if binary is None:
        pytest.skip("kubectl not found: kustomize builds of examples/*/output/clusters/* are not checked")
    out = tmp_path / "output"
    render(fleet, out)
    cluster_dirs = sorted(p for p in (out / "clusters").iterdir() if p.is_dir())
    assert cluster_dirs
    for directory in cluster_dirs + [out / "hub"]:
        result = subprocess.run([binary, "kustomize", str(directory)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"kubectl kustomize {directory.relative_to(tmp_path)}: {result.stderr}"
        resources = [p for p in directory.rglob("*.yaml") if p.name != "kustomization.yaml"]
        documents = [d for d in result.stdout.split("\n---\n") if d.strip()]
        assert len(documents) == len(resources), f"{directory}: {len(documents)} objects from {len(resources)} files"
