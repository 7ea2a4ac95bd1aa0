"""Performance work must not change what `check` finds.

Every example fleet, the root fleet and every test fleet is checked and its
findings (json format) compared with ``tests/findings/baseline.json``, recorded
on the code before the policy, validation and DNS-proof optimisations. Refresh
only on purpose: ``FLEETGEN_UPDATE_FINDINGS=1 pytest tests/test_findings_unchanged.py``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from generator import commands, manifests, schemagate, validate
from tests.conftest import FLEETS, ROOT

BASELINE = ROOT / "tests" / "findings" / "baseline.json"
CASES = sorted(
    [p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*/fleet.yaml")]
    + ["fleet.yaml"]
    + [p.relative_to(ROOT).as_posix() for p in FLEETS.rglob("*.yaml") if "crd-examples" not in p.parts]
)


def findings_of(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.chdir(tmp_path)  # `output/` below is a fresh, empty directory
    sink = io.StringIO()
    code = commands.check(ROOT / case, fmt="json", out_dir=Path("output"), stdout=sink)
    text = sink.getvalue().replace(str(ROOT) + "/", "")
    return {"exit": code, "findings": json.loads(text)}


@pytest.mark.parametrize("case", CASES)
def test_findings_unchanged(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = findings_of(case, tmp_path, monkeypatch)
    baseline = json.loads(BASELINE.read_text()) if BASELINE.is_file() else {}
    if os.environ.get("FLEETGEN_UPDATE_FINDINGS") == "1":
        baseline[case] = got
        BASELINE.write_text(json.dumps(dict(sorted(baseline.items())), indent=1, sort_keys=True) + "\n")
    assert case in baseline, f"no recorded findings for {case}"
    assert got == baseline[case]


@pytest.mark.parametrize("case", CASES)
def test_findings_unchanged_with_the_schema_gate_everywhere(case: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """jsonschema-rs first for every fleet document and every distinct object (small fleets skip it)."""
    monkeypatch.setattr(manifests, "GATE_AFTER", 0)
    monkeypatch.setattr(validate, "GATE_MIN_NODES", 0)
    asked: list[bool] = []
    real = schemagate.Gate.is_valid

    def counted(self: schemagate.Gate, instance: object) -> bool:
        verdict = real(self, instance)
        asked.append(verdict)
        return verdict

    monkeypatch.setattr(schemagate.Gate, "is_valid", counted)
    baseline = json.loads(BASELINE.read_text())
    assert findings_of(case, tmp_path, monkeypatch) == baseline[case]
    assert asked  # the gate decided at least the fleet document
