"""Acceptance tests for the built-in checks: fleets under tests/fleets/checks/.

Every fleet in valid/ has no findings at all; every invalid/<case>/fleet.yaml
yields exactly the parsable lines in its expected.txt (locks file:line:col).
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from generator import pipeline

HERE = Path(__file__).parent / "fleets" / "checks"
VALID = sorted(p.parent.name for p in (HERE / "valid").glob("*/fleet.yaml"))
INVALID = sorted(p.parent.name for p in (HERE / "invalid").glob("*/fleet.yaml"))


def _findings(src: Path, tmp_path: Path) -> list[str]:
    fleet = tmp_path / "fleet.yaml"
    shutil.copyfile(src, fleet)
    loaded = pipeline.load(fleet, "fleet.yaml")
    return [f.parsable() for f in loaded.findings]


@pytest.mark.parametrize("case", VALID)
def test_valid_fleet_has_no_findings(case: str, tmp_path: Path) -> None:
    assert _findings(HERE / "valid" / case / "fleet.yaml", tmp_path) == []


@pytest.mark.parametrize("case", INVALID)
def test_invalid_fleet_reports_exactly_the_expected_findings(case: str, tmp_path: Path) -> None:
    folder = HERE / "invalid" / case
    expected = (folder / "expected.txt").read_text().splitlines()
    actual = _findings(folder / "fleet.yaml", tmp_path)
    if actual != expected:
        diff = "\n".join(difflib.unified_diff(expected, actual, "expected.txt", "actual", lineterm=""))
        pytest.fail(f"findings for invalid/{case} differ:\n{diff}")


def test_every_rule_has_an_invalid_case() -> None:
    rules = {line.split("] ", 1)[1].split(" ", 1)[0]
             for case in INVALID for line in (HERE / "invalid" / case / "expected.txt").read_text().splitlines()}
    assert rules >= {
        "cidr-invalid", "cidr-overlap", "cidr-reserved", "domain-duplicate", "domain-nested", "domain-invalid",
        "domain-pattern", "dns-endpoint", "link-missing", "mesh-id", "mesh-trust-domain", "reserved-name", "url-credentials",
    }
