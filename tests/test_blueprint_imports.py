"""Jsonnet imports are confined to the blueprints directory (issue 10, item 9).

A user's blueprints are data; a render must never read a file of the machine
outside them (and commit it into output/), and every file it can import is
part of the render cache digest.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from generator.freshness import inputs_digest
from tests.conftest import ROOT

LABELS = "    'app.kubernetes.io/managed-by': 'fleetgen',\n"


def leaky_blueprints(tmp_path: Path, expression: str) -> Path:
    """A copy of the shipped blueprints whose labels carry ``expression`` (an import)."""
    blueprints = tmp_path / "blueprints"
    shutil.copytree(ROOT / "blueprints", blueprints)
    lib = blueprints / "lib" / "k.libsonnet"
    text = lib.read_text()
    assert LABELS in text
    lib.write_text(text.replace(LABELS, LABELS + f"    'x-leak': {expression},\n"))
    return blueprints


@pytest.mark.parametrize("engine", ["rjsonnet", "gojsonnet"])
@pytest.mark.parametrize(
    "expression, resolved",
    [
        ('importstr "{secret}"', "{secret}"),  # an absolute path
        ('importstr "../../secret.txt"', "{secret}"),  # ../ out of blueprints/lib
        ('importstr "linked.txt"', "{secret}"),  # a symbolic link inside lib/ to a file outside
    ],
)
def test_an_import_outside_the_blueprints_is_refused(
    tmp_path: Path, fleetgen, monkeypatch: pytest.MonkeyPatch, engine: str, expression: str, resolved: str  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("FLEETGEN_JSONNET", engine)
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret\n")
    blueprints = leaky_blueprints(tmp_path, expression.format(secret=secret))
    os.symlink(secret, blueprints / "lib" / "linked.txt")
    out = tmp_path / "output"
    run = fleetgen("render", str(ROOT / "fleet.yaml"), "-o", str(out), "--blueprints", str(blueprints))
    assert run.code == 1
    assert not out.exists()
    assert f"resolves to {resolved.format(secret=secret)}, outside the blueprints directory ({blueprints})" in run.err
    assert "top secret" not in run.out + run.err


def test_an_import_inside_the_blueprints_renders_and_is_in_the_digest(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    blueprints = leaky_blueprints(tmp_path, 'std.rstripChars(importstr "data/team.txt", "\\n")')
    (blueprints / "lib" / "data").mkdir()
    team = blueprints / "lib" / "data" / "team.txt"
    team.write_text("platform\n")
    fleet = tmp_path / "fleet.yaml"
    shutil.copy(ROOT / "fleet.yaml", fleet)
    out = tmp_path / "output"
    run = fleetgen("render", str(fleet), "-o", str(out), "--blueprints", str(blueprints))
    assert run.code == 0, run.err
    assert "x-leak: platform" in (out / "clusters" / "aws-euwest1" / "namespaces" / "db.yaml").read_text()
    before = inputs_digest(fleet, blueprints, (), "rjsonnet")
    team.write_text("storage\n")
    assert inputs_digest(fleet, blueprints, (), "rjsonnet") != before
