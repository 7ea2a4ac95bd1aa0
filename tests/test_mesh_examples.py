"""Golden tests for the mesh example fleets (examples/mesh-*): a fresh render equals the committed output, file by file."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest

from generator import pipeline, write

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("mesh-*/fleet.yaml"))


def fresh(example: Path) -> dict[str, bytes]:
    loaded = pipeline.load(example / "fleet.yaml", "fleet.yaml")
    assert loaded.ok and loaded.fleet is not None, [f.parsable() for f in loaded.findings]
    output = pipeline.render_output(loaded.fleet)
    assert not output.findings, [f.parsable() for f in output.findings]
    return write.serialize_all(output.files, "fleet.yaml")


def committed(example: Path) -> dict[str, bytes]:
    out = example / "output"
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != write.STATE_FILE
    }


def test_there_is_one_example_per_mesh_kind() -> None:
    assert [p.name for p in EXAMPLES] == ["mesh-cilium", "mesh-istio", "mesh-linkerd"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_committed_output_matches_a_fresh_render(example: Path) -> None:
    want = fresh(example)
    have = committed(example)
    assert sorted(have) == sorted(want), "files added or removed: run `make render`"
    for path in sorted(want):
        if have[path] != want[path]:
            diff = difflib.unified_diff(
                have[path].decode().splitlines(), want[path].decode().splitlines(), f"committed/{path}", f"fresh/{path}", lineterm=""
            )
            pytest.fail("\n".join(diff))


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_cluster_dir_and_the_hub_build_with_kustomize(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "output"
    shutil.copytree(example / "output", out)
    roots = sorted(p for p in (out / "clusters").iterdir()) + [out / "hub"]
    for root in roots:
        result = subprocess.run(["kubectl", "kustomize", str(root)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{root.name}: {result.stderr}"
        assert "kind:" in result.stdout
