"""A render is a transaction: killed at any point, the next render leaves exactly a clean render.

Two ways in: a fault injected before every mutating system call of the writer (in a
forked child that dies with ``os._exit``, so nothing is cleaned up, as with kill -9),
and real signals sent to a real ``fleetgen render`` process. Plus concurrency: two
renders into one directory at once.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from generator import commands, outdir, pipeline, write
from tests.conftest import ROOT, tree

FLEETGEN = str(Path(sys.executable).parent / "fleetgen")
MUTATING = ("open", "replace", "unlink", "mkdir", "rmdir")


def _contents(fleet_path: Path) -> dict[str, bytes]:
    loaded = pipeline.load(fleet_path)
    assert loaded.fleet is not None and loaded.ok
    return pipeline.render_output(loaded.fleet, keep_objects=False).contents


def _changed_fleet(tmp_path: Path) -> tuple[Path, Path]:
    """The example fleet, and a change of it that adds, changes and removes files."""
    old = tmp_path / "fleet.yaml"
    shutil.copy(ROOT / "fleet.yaml", old)
    new = tmp_path / "new" / "fleet.yaml"
    new.parent.mkdir()
    text = old.read_text().replace("namespace: db", "namespace: data").replace("seedsPerCluster: 2", "seedsPerCluster: 1")
    new.write_text(text)
    return old, new


class _Crash:
    """``os`` for generator.outdir that dies (no cleanup, like kill -9) at the N-th mutating call."""

    def __init__(self, real: Any, at: int) -> None:
        self._real = real
        self._at = at
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if name not in MUTATING:
            return attr

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if name == "open" and not (len(args) > 1 and args[1] & os.O_CREAT):
                return attr(*args, **kwargs)
            self.calls += 1
            if self.calls == self._at:
                os._exit(137)
            return attr(*args, **kwargs)

        return wrapped


def _in_child(fn: Callable[[], None]) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            fn()
            os._exit(0)
        except BaseException:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _owner(out: Path) -> outdir.Owner:
    return outdir.Owner("stateful-eu", "../fleet.yaml")


def _clean(tmp_path: Path, name: str, contents: dict[str, bytes], owner: outdir.Owner) -> dict[str, bytes]:
    out = tmp_path / name / "output"
    write.write_tree(out, contents, owner)
    return tree(out)


def _plan_is_dirty(out: Path, contents: dict[str, bytes], owner: outdir.Owner) -> bool:
    with outdir.opened(out, create=False) as root:
        assert root is not None
        cur = outdir.current(root)
        return write.plan(root, cur, contents, owner).dirty


def test_every_interruption_point_is_recovered_by_the_next_render(tmp_path: Path) -> None:
    old_fleet, new_fleet = _changed_fleet(tmp_path)
    old, new = _contents(old_fleet), _contents(new_fleet)
    owner = _owner(tmp_path)
    clean_old, clean_new = _clean(tmp_path, "clean-old", old, owner), _clean(tmp_path, "clean-new", new, owner)
    assert clean_old != clean_new
    base = tmp_path / "base" / "output"
    write.write_tree(base, old, owner)

    # how many mutating calls a full old -> new render makes
    probe = tmp_path / "probe" / "output"
    shutil.copytree(base, probe)
    counter = _Crash(os, at=0)
    outdir.os = counter  # type: ignore[attr-defined]
    try:
        write.write_tree(probe, new, owner)
    finally:
        outdir.os = os  # type: ignore[attr-defined]
    points = counter.calls
    assert points > 40  # journal, every file's temporary and rename, prunes, rmdirs, state

    for at in range(1, points + 1):
        out = tmp_path / f"crash-{at}" / "output"
        shutil.copytree(base, out)

        def crash(out: Path = out, at: int = at) -> None:
            outdir.os = _Crash(os, at)  # type: ignore[attr-defined]
            write.write_tree(out, new, owner)

        assert _in_child(crash) == 137, at
        on_disk = {p: d for p, d in tree(out).items() if p != outdir.LOCK_NOTE}  # a stale note is no content
        # never "up to date" while the files differ from a clean render of either fleet
        assert _plan_is_dirty(out, new, owner) == (on_disk != clean_new), at
        assert _plan_is_dirty(out, old, owner) == (on_disk != clean_old), at
        # finish the interrupted render (odd points) or go back to the old fleet (even points)
        target, clean = (new, clean_new) if at % 2 else (old, clean_old)
        write.write_tree(out, target, owner)
        assert tree(out) == clean, at
        assert not _plan_is_dirty(out, target, owner)
        shutil.rmtree(out.parent)


def _big_fleet(tmp_path: Path, clusters: int) -> Path:
    import yaml

    from generator.synth import synthetic_fleet

    path = tmp_path / "big" / "fleet.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(synthetic_fleet(clusters), sort_keys=False))
    return path


# from the moment the journal exists: the write of 904 files takes tens of milliseconds, so most
# of these land inside it however fast the writer gets, and the last ones after it
KILL_DELAYS = (0.0, 0.001, 0.003, 0.006, 0.01, 0.02, 0.05, 0.4)


def test_kill_9_during_a_real_render_is_repaired(tmp_path: Path) -> None:
    """SIGKILL a real `fleetgen render` at several moments of its write; the next render repairs it."""
    fleet = _big_fleet(tmp_path, 80)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = fleet.parent / "output"
    old_text = fleet.read_text().replace("seedsPerCluster: 2", "seedsPerCluster: 1")  # every seed list differs
    new_text = fleet.read_text()
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "fleet.yaml").write_text(new_text)
    assert subprocess.run([FLEETGEN, "render", str(clean / "fleet.yaml")], env=env).returncode == 0
    expected = tree(clean / "output")
    interrupted = 0
    for delay in KILL_DELAYS:
        fleet.write_text(old_text)
        assert subprocess.run([FLEETGEN, "render", str(fleet)], env=env, capture_output=True).returncode == 0
        fleet.write_text(new_text)
        proc = subprocess.Popen([FLEETGEN, "render", str(fleet)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not (out / outdir.JOURNAL_FILE).exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        if (out / outdir.JOURNAL_FILE).exists():
            interrupted += 1
            check = subprocess.run([FLEETGEN, "render", str(fleet), "--check"], env=env, capture_output=True, text=True)
            assert check.returncode == 1 and "interrupted" in check.stdout, check.stdout
        again = subprocess.run([FLEETGEN, "render", str(fleet)], env=env, capture_output=True, text=True)
        assert again.returncode == 0, again.stderr
        assert tree(out) == expected, delay
        final = subprocess.run([FLEETGEN, "render", str(fleet), "--check"], env=env, capture_output=True, text=True)
        assert final.returncode == 0, final.stdout
    assert interrupted >= 3  # most kills landed inside the transaction


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and b"fleetgen" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))  # a forked worker (not a helper program such as uname)
            except OSError:
                continue
    return found


def test_ctrl_c_during_a_parallel_render_exits_130_without_tracebacks(tmp_path: Path) -> None:
    fleet = _big_fleet(tmp_path, 240)  # above the parallel threshold: forked workers render
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "FLEETGEN_WORKERS": "2"}
    proc = subprocess.Popen([FLEETGEN, "render", str(fleet)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(_children(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # wait for both forked workers (a helper such as `uname` is one child): rendering
    time.sleep(0.3)  # past the pool's start, while the parent still ignores SIGINT for the fork
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C on a terminal does: the whole process group
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the render finished before the signal arrived")
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err == "fleetgen: interrupted; an interrupted render is finished by the next one\n"


def test_two_renders_into_one_directory_at_once(tmp_path: Path) -> None:
    """Different fleets: exactly one wins, its output is exactly a clean render, the other is refused."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    shutil.copy(ROOT / "fleet.yaml", a)
    shutil.copy(ROOT / "examples" / "mesh-istio" / "fleet.yaml", b)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "FLEETGEN_LOCK_WAIT": "20"}
    clean = {}
    for fleet in (a, b):
        target = tmp_path / f"clean-{fleet.stem}"
        target.mkdir()
        shutil.copy(fleet, target / fleet.name)  # the same file name: it is in every file's header
        assert subprocess.run([FLEETGEN, "render", str(target / fleet.name), "-o", str(target / "out")],
                              env=env).returncode == 0
        target = target / "out"
        clean[fleet.stem] = {p: d for p, d in tree(target).items() if p != outdir.STATE_FILE}
    winners = {"a": 0, "b": 0}
    for run in range(8):
        out = tmp_path / f"out-{run}"
        procs = {f.stem: subprocess.Popen([FLEETGEN, "render", str(f), "-o", str(out)], env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in (a, b)}
        results = {name: (p.wait(timeout=120), p.stderr.read()) for name, p in procs.items()}  # type: ignore[union-attr]
        codes = sorted(code for code, _ in results.values())
        assert codes == [0, 2], results
        winner = next(name for name, (code, _) in results.items() if code == 0)
        loser_err = next(err for code, err in results.values() if code == 2)
        assert "belongs to fleet" in loser_err or "is in use by" in loser_err, loser_err
        winners[winner] += 1
        assert {p: d for p, d in tree(out).items() if p != outdir.STATE_FILE} == clean[winner]
        assert not [p for p in tree(out) if p.endswith(outdir.TMP_SUFFIX) or p in outdir.CONTROL_FILES - {outdir.STATE_FILE}]


def test_the_same_fleet_twice_at_once_leaves_one_clean_render(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    shutil.copy(ROOT / "fleet.yaml", fleet)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "FLEETGEN_LOCK_WAIT": "20"}
    clean = tmp_path / "clean"
    clean.mkdir()
    shutil.copy(fleet, clean / "fleet.yaml")
    assert commands.render(clean / "fleet.yaml", stdout=io.StringIO(), stderr=io.StringIO()) == 0
    for run in range(4):
        procs = [subprocess.Popen([FLEETGEN, "render", str(fleet)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(2)]
        assert [p.wait(timeout=120) for p in procs] == [0, 0]
        assert tree(tmp_path / "output") == tree(clean / "output")
        shutil.rmtree(tmp_path / "output")


def test_a_waiting_render_names_the_holder(tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    fleet = tmp_path / "fleet.yaml"
    shutil.copy(ROOT / "fleet.yaml", fleet)
    out = tmp_path / "output"
    assert fleetgen("render", str(fleet)).code == 0
    os.environ["FLEETGEN_LOCK_WAIT"] = "0.2"
    try:
        with outdir.opened(out, create=False) as root:
            assert root is not None
            holder = subprocess.Popen([sys.executable, "-c", (
                "import sys, time\n"
                "from pathlib import Path\n"
                "from generator import outdir\n"
                f"with outdir.opened(Path({str(out)!r}), create=False) as root:\n"
                "    with outdir.locked(root, exclusive=True, fleet='stateful-eu'):\n"
                "        print('locked', flush=True)\n"
                "        time.sleep(30)\n"
            )], stdout=subprocess.PIPE, text=True)
            assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
            try:
                fleet.write_text(fleet.read_text().replace("seedsPerCluster: 2", "seedsPerCluster: 1"))
                run = fleetgen("render", str(fleet))
            finally:
                holder.kill()
                holder.wait()
    finally:
        del os.environ["FLEETGEN_LOCK_WAIT"]
    assert run.code == 2
    assert run.err.startswith(f"fleetgen: {out}/ is in use by another fleetgen render (pid {holder.pid} on ")
    assert run.err.endswith("fleet 'stateful-eu', since " + run.err.split("since ")[1].split(")")[0]
                            + "); waited 0.2 s (FLEETGEN_LOCK_WAIT): try again when it has finished\n")
