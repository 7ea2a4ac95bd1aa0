"""Read a fleet file as it was at a git revision, without touching the working tree.

``git show REV:./name`` (run in the fleet's directory) prints the blob; nothing is
checked out, no index is written. The default base is the merge base of ``HEAD``
with the default branch (``origin/HEAD``, else ``main``, else ``master``), or
``HEAD`` itself when the working tree has uncommitted changes to tracked files.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from generator.errors import UsageError

GIT_TIMEOUT = 30  # seconds; a local object read never needs more


@dataclass(frozen=True)
class Base:
    ref: str  # as asked (or chosen by default)
    commit: str  # full object id
    why: str  # how a default was chosen ("" when the user named it)
    content: bytes | None  # None: the file does not exist at that commit (a new fleet)


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise UsageError("git is not installed; `fleetgen diff` reads the base fleet from git") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {' '.join(args)} did not finish within {GIT_TIMEOUT}s") from None


def _out(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stdout.decode("utf-8", "replace").strip()


def _err(proc: subprocess.CompletedProcess[bytes]) -> str:
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


def default_branch(cwd: Path) -> str | None:
    """``origin/HEAD``'s target, else a local ``main`` or ``master``; None if there is none."""
    proc = _git(cwd, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
    if proc.returncode == 0 and _out(proc):
        return _out(proc).removeprefix("refs/remotes/")
    for name in ("main", "master"):
        if _git(cwd, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}").returncode == 0:
            return name
    return None


def default_base(cwd: Path) -> tuple[str, str]:
    """(ref, why) for a diff without ``--base``."""
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no")
    if status.returncode != 0:
        raise UsageError(f"{cwd} is not inside a git work tree ({_err(status)}); name a base with --base")
    if _out(status):
        return "HEAD", "the working tree has uncommitted changes"
    branch = default_branch(cwd)
    if branch is None:
        return "HEAD", "no default branch (origin/HEAD, main, master) found"
    merge_base = _git(cwd, "merge-base", "HEAD", branch)
    if merge_base.returncode != 0:
        raise UsageError(f"no merge base of HEAD and {branch} ({_err(merge_base)}); name a base with --base")
    return _out(merge_base), f"merge base of HEAD and {branch}"


def read_base(fleet_path: Path, ref: str | None) -> Base:
    """The fleet file's bytes at ``ref`` (default: see the module docstring)."""
    if ref is not None and (not ref or ref.startswith("-")):
        raise UsageError(f"--base {ref!r} is not a git revision")
    cwd = fleet_path.parent if str(fleet_path.parent) else Path(".")
    if not cwd.is_dir():
        raise UsageError(f"{cwd} is not a directory")
    why = ""
    if ref is None:
        ref, why = default_base(cwd)
    commit = _git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if commit.returncode != 0:
        raise UsageError(f"{ref!r} is not a commit in the repository of {fleet_path}")
    oid = _out(commit)
    path = f"{oid}:./{fleet_path.name}"
    kind = _git(cwd, "cat-file", "-t", path)
    if kind.returncode != 0:
        return Base(ref, oid, why, None)
    if _out(kind) != "blob":
        raise UsageError(f"{fleet_path.name} at {ref} ({oid[:12]}) is a {_out(kind)}, not a file")
    blob = _git(cwd, "cat-file", "blob", path)
    if blob.returncode != 0:
        raise UsageError(f"cannot read {fleet_path.name} at {ref} ({oid[:12]}): {_err(blob)}")
    return Base(ref, oid, why, blob.stdout)
