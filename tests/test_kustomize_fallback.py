"""fleetgen's own build of its kustomize roots (the plugin without kubectl): same objects as kubectl, nothing else."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import kustomize
from tests.conftest import ROOT

KUBECTL = shutil.which("kubectl")
ROOTS = sorted(p.parent for p in (ROOT / "tests" / "golden").glob("*/clusters/*/kustomization.yaml"))


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@pytest.mark.parametrize("root", ROOTS, ids=[p.relative_to(ROOT / "tests" / "golden").as_posix() for p in ROOTS])
def test_same_objects_in_the_same_order_as_kubectl(root: Path) -> None:
    assert KUBECTL is not None
    built = subprocess.run([KUBECTL, "kustomize", str(root)], capture_output=True, text=True, timeout=60, check=True)
    ours = kustomize.build(root, use_kubectl=False)
    assert list(yaml.safe_load_all(ours)) == list(yaml.safe_load_all(built.stdout))


def _root(tmp_path: Path, kustomization: dict[str, object]) -> Path:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    return tmp_path


@pytest.mark.parametrize(("kustomization", "message"), [
    ({"resources": ["cm.yaml"], "patches": [{"path": "p.yaml"}]}, "uses patches: install kubectl to build it"),
    ({"resources": ["../elsewhere.yaml"]}, "resource '../elsewhere.yaml' is outside the root"),
    ({"resources": ["/etc/passwd"]}, "resource '/etc/passwd' is outside the root"),
    ({"resources": ["https://example.com/x.yaml"]}, "resource 'https://example.com/x.yaml' is outside the root"),
])
def test_anything_but_a_plain_resource_list_is_refused(tmp_path: Path, kustomization: dict[str, object],
                                                       message: str) -> None:
    root = _root(tmp_path, kustomization)
    with pytest.raises(kustomize.KustomizeError) as exc:
        kustomize.build(root, use_kubectl=False)
    assert str(exc.value).endswith(message)


def test_symlinked_resource_is_refused(tmp_path: Path) -> None:
    root = _root(tmp_path, {"resources": ["link.yaml"]})
    (root / "link.yaml").symlink_to(root / "cm.yaml")
    with pytest.raises(kustomize.KustomizeError) as exc:
        kustomize.build(root, use_kubectl=False)
    assert str(exc.value) == f"{root / 'link.yaml'} is a symbolic link"
