"""`check` checks the output as it is when it is provably current, and renders only when it is not."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from generator import commands, pipeline
from tests.conftest import ROOT

FLEETS = [ROOT / "fleet.yaml"] + sorted((ROOT / "examples").glob("*/fleet.yaml"))
IDS = [str(f.parent.relative_to(ROOT)) if f.parent != ROOT else "root" for f in FLEETS]


def _copy(fleet: Path, tmp_path: Path) -> Path:
    shutil.copy(fleet, tmp_path / "fleet.yaml")
    shutil.copytree(fleet.parent / "output", tmp_path / "output")
    return tmp_path / "fleet.yaml"


def _check(fleet: Path) -> tuple[int, str]:
    out = io.StringIO()
    return commands.check(fleet, fmt="json", stdout=out), out.getvalue()


class _Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.real = pipeline.render_output

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.real(*args, **kwargs)


@pytest.mark.parametrize("fleet", FLEETS, ids=IDS)
def test_reused_output_gives_the_same_findings_as_a_render(fleet: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = _copy(fleet, tmp_path)
    counter = _Counter()
    monkeypatch.setattr(pipeline, "render_output", counter)
    cold = _check(path)  # a fresh clone: nothing recorded, renders and compares
    assert counter.calls == 1
    warm = _check(path)  # now recorded: the files are checked as they are
    assert counter.calls == 1, "check rendered again although the output is provably current"
    assert warm == cold


def test_a_hand_edit_with_a_forged_state_entry_is_not_trusted(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    path = _copy(ROOT / "fleet.yaml", tmp_path)
    assert _check(path)[0] == 0
    seeds = tmp_path / "output" / "clusters" / "aws-euwest1" / "workloads" / "db" / "cassandra" / "configmap-seeds.yaml"
    old_digest = hashlib.sha256(seeds.read_bytes()).hexdigest()
    seeds.write_text(seeds.read_text().replace("cassandra-1", "cassandra-9"))
    state = tmp_path / "output" / ".fleetgen-files"  # the pull request updates the hash too
    state.write_text(state.read_text().replace(old_digest, hashlib.sha256(seeds.read_bytes()).hexdigest()))
    counter = _Counter()
    monkeypatch.setattr(pipeline, "render_output", counter)
    code, report = _check(path)
    assert counter.calls == 1
    assert code == 1 and "configmap-seeds.yaml differs from what the fleet renders" in report


def test_render_records_so_the_next_check_does_not_render(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fleet.yaml"
    shutil.copy(ROOT / "fleet.yaml", path)
    assert commands.render(path, stdout=io.StringIO(), stderr=io.StringIO()) == 0
    counter = _Counter()
    monkeypatch.setattr(pipeline, "render_output", counter)
    assert _check(path)[0] == 0
    assert counter.calls == 0
    path.write_text(path.read_text().replace("seedsPerCluster: 2", "seedsPerCluster: 1"))  # inputs changed
    code, report = _check(path)
    assert counter.calls == 1 and code == 1 and "output-stale" in report
