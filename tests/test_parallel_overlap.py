"""Forked work runs while the parent does its own; files are parsed once per content, when read."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from generator import write
from generator.parallel import fork_map, forked


def test_workers_run_while_the_parent_works(tmp_path: Path) -> None:
    # each worker says it started, then waits for the parent's go; the parent sees both start
    # before it asks for the results: the work overlaps the parent's own
    def work(x: int) -> tuple[int, int]:
        (tmp_path / f"started-{x}").touch()
        deadline = time.monotonic() + 20
        while not (tmp_path / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return os.getpid(), x * 2

    with forked(work, [1, 2], 2) as results:
        deadline = time.monotonic() + 20
        while not all((tmp_path / f"started-{x}").exists() for x in (1, 2)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert all((tmp_path / f"started-{x}").exists() for x in (1, 2)), "workers did not start before results()"
        (tmp_path / "go").touch()
        out = results()
    assert [x for _, x in out] == [2, 4]
    assert os.getpid() not in {pid for pid, _ in out}  # the work ran in other processes


def test_leaving_the_block_early_stops_the_workers() -> None:
    with pytest.raises(RuntimeError, match="parent failed"):
        with forked(lambda x: time.sleep(30) or x, [1, 2], 2):
            raise RuntimeError("parent failed")
    # the pool is terminated, not joined: this returns at once, and the next map works
    assert fork_map(lambda x: x + 1, [1, 2], 2) == [2, 3]


def test_one_process_runs_the_work_when_asked() -> None:
    calls: list[int] = []
    with forked(lambda x: calls.append(x) or x, [1, 2], 1) as results:
        assert calls == []  # nothing ran yet: the parent's own work comes first
        assert results() == [1, 2]


def test_render_is_the_same_whatever_the_jobs_and_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from generator import pipeline
    from generator.synth import synthetic_fleet

    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(synthetic_fleet(12, group_size=6), sort_keys=False))
    fleet = pipeline.load(tmp_path / "fleet.yaml", "fleet.yaml").fleet
    assert fleet is not None
    one = pipeline.render_output(fleet, processes=1)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_CLUSTERS", 1)
    monkeypatch.setattr(pipeline, "JOB_MAX_CLUSTERS", 5)  # three jobs over two workers
    split = pipeline.render_output(fleet, processes=2)
    assert split.contents == one.contents
    assert split.files == one.files
    assert [f.parsable() for f in split.findings] == [f.parsable() for f in one.findings]
    # byte-identical files share one object, across jobs too
    by_content: dict[bytes, set[int]] = {}
    for path, obj in split.files.items():
        by_content.setdefault(split.contents[path], set()).add(id(obj))
    assert all(len(ids) == 1 for ids in by_content.values())
    assert any(len([p for p in split.files if split.contents[p] == c]) > 1 for c in by_content)


def test_lazy_files_parse_what_is_read_once_per_content(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = write._parse_one
    monkeypatch.setattr(write, "_parse_one", lambda rel, raw: parsed.append(rel) or real(rel, raw))
    data = {"a.yaml": b"kind: A\n", "b.yaml": b"kind: A\n", "c.yaml": b"kind: C\n", "d.json": b'{"kind": "D"}'}
    files = write.LazyFiles(data)
    assert parsed == [] and len(files) == 4 and "c.yaml" in files and "z.yaml" not in files
    assert files["b.yaml"] == {"kind": "A"} and files["a.yaml"] is files["b.yaml"]  # one parse for both
    assert parsed == ["b.yaml"]
    assert dict(files) == {"a.yaml": {"kind": "A"}, "b.yaml": {"kind": "A"}, "c.yaml": {"kind": "C"},
                           "d.json": {"kind": "D"}}
    assert parsed == ["b.yaml", "c.yaml", "d.json"]
    # the state file's digests are used as given (verify_exact checked every file against them)
    assert dict(write.LazyFiles(data, {rel: rel for rel in data})) == dict(files)
