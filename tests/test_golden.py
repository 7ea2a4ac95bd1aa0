"""Golden output for fleets of every provider, DNS server kind and GitOps engine.

Refresh only on purpose: `make goldens`, then review the diff in git.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import FLEETS, ROOT, tree

GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p.stem for p in (FLEETS / "render").glob("*.yaml"))


def diff(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    out: list[str] = []
    for path in sorted(set(expected) | set(actual)):
        a = expected.get(path, b"").decode().splitlines(keepends=True)
        b = actual.get(path, b"").decode().splitlines(keepends=True)
        if a != b:
            out.extend(difflib.unified_diff(a, b, f"golden/{path}", f"rendered/{path}"))
    return "".join(out)


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    fleet = tmp_path / f"{case}.yaml"  # the state file names the fleet file relative to the output
    shutil.copy(FLEETS / "render" / f"{case}.yaml", fleet)
    run = fleetgen("render", str(fleet), "-o", str(out))
    assert run.code == 0, run.err
    golden = GOLDEN / case
    if os.environ.get("FLEETGEN_UPDATE_GOLDENS") == "1":
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(out, golden)
    delta = diff(tree(golden), tree(out))
    assert not delta, f"rendered output differs from tests/golden/{case} (run `make goldens` if intended):\n{delta}"
