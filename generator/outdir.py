"""The output directory as a vault: one owner, safe paths, transactions, one lock.

An output directory belongs to exactly one fleet. Its state file
(``.fleetgen-files``) names that fleet and lists every file fleetgen wrote there
with its sha256; only those paths are ever overwritten or pruned. Paths are
normalized relative paths; every directory on the way is opened relative to the
output root with ``O_NOFOLLOW``, so neither a symlinked component nor a link
swapped in during the run can redirect a write or a delete. A directory holding
another fleet's state file is never entered.

A render is a transaction: before the first file changes, a journal
(``.fleetgen-txn``) records every path the render may touch (the old owned set
and the new one). If the process dies, the next render finds the journal, takes
ownership of those paths back, removes the interrupted render's temporary files
and finishes the job. The state file is replaced last, then the journal removed.

Writers hold an exclusive ``flock`` on the output directory; readers
(``render --check``, ``check``) a shared one. The holder of a write lock leaves a
note (``.fleetgen-lock``: pid, fleet, start time) so a waiting command can name it.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import socket
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from generator.errors import UsageError

STATE_FILE = ".fleetgen-files"
JOURNAL_FILE = ".fleetgen-txn"
LOCK_NOTE = ".fleetgen-lock"
CONTROL_FILES = frozenset({STATE_FILE, JOURNAL_FILE, LOCK_NOTE})
STATE_HEADER = "# Files owned by fleetgen (only these are ever pruned) and their sha256. Generated; do not edit.\n"
TMP_SUFFIX = ".fleetgen-tmp"
_TMP_NAME = re.compile(r"^\..+\.\d+\.fleetgen-tmp$")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
LOCK_WAIT_SECONDS = 30.0


class OutputError(UsageError):
    """The output directory cannot be used as asked (exit 2)."""


def lock_wait() -> float:
    raw = os.environ.get("FLEETGEN_LOCK_WAIT", "")
    try:
        return max(0.0, float(raw)) if raw else LOCK_WAIT_SECONDS
    except ValueError:
        return LOCK_WAIT_SECONDS


# --- paths ---------------------------------------------------------------------------------------

def checked_path(rel: str) -> str | None:
    """``rel`` if it is a normalized relative path inside the output, else None."""
    if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel or rel != rel.strip():
        return None
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts) or parts[0] in CONTROL_FILES:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in rel):
        return None
    return rel


# --- state file ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Owner:
    fleet: str
    fleet_file: str  # relative to the output directory, POSIX separators

    def describe(self) -> str:
        return f"fleet {self.fleet!r} ({self.fleet_file})"


@dataclass(frozen=True)
class State:
    owner: Owner | None  # None: a state file written before owners were recorded
    files: dict[str, str]  # path -> sha256
    raw: bytes


def state_text(owner: Owner, digests: dict[str, str]) -> str:
    lines = [STATE_HEADER, f"@fleet\t{owner.fleet}\n", f"@fleet-file\t{owner.fleet_file}\n"]
    lines += [f"{p}\t{digests[p]}\n" for p in sorted(digests)]
    return "".join(lines)


def parse_state(raw: bytes, where: str) -> State:
    """Parse a state file; a line that is not a safe entry is an error naming file:line (exit 2)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise OutputError(f"{where}:1:1: [error] output-state the state file is not UTF-8; restore it from git") from None
    meta: dict[str, str] = {}
    files: dict[str, str] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        key, tab, value = line.partition("\t")
        if key.startswith("@") and tab:
            meta[key[1:]] = value
            continue
        digest_ok = re.fullmatch(r"[0-9a-f]{64}", value) is not None
        if not tab or checked_path(key) is None or not digest_ok:
            raise OutputError(
                f"{where}:{number}:1: [error] output-state entry {key[:200]!r} is not a normalized relative path "
                "inside the output followed by a tab and its sha256; the state file was edited by hand: restore it "
                "from git or delete it (fleetgen then owns nothing here and refuses to overwrite existing files)"
            )
        files[key] = value
    owner = Owner(meta["fleet"], meta.get("fleet-file", "")) if "fleet" in meta else None
    return State(owner, files, raw)


# --- directories opened without following links ------------------------------------------------

def _holds_state(dir_fd: int) -> bool:
    try:
        os.stat(STATE_FILE, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


class Root:
    """An output directory opened once; every path below it is reached through directory fds."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        self._chain: list[tuple[str, int]] = []  # the currently open directory chain below the root

    def label(self, rel: str = "") -> str:
        return f"{self.path.as_posix()}/{rel}" if rel else f"{self.path.as_posix()}/"

    def close(self) -> None:
        self._close_from(0)
        os.close(self.fd)

    def _close_from(self, depth: int) -> None:
        while len(self._chain) > depth:
            os.close(self._chain.pop()[1])

    def dir_fd(self, parts: list[str], *, create: bool) -> int | None:
        """The fd of the directory ``parts`` below the root (None if it does not exist and not ``create``)."""
        depth = 0
        while depth < len(self._chain) and depth < len(parts) and self._chain[depth][0] == parts[depth]:
            depth += 1
        self._close_from(depth)
        for index in range(depth, len(parts)):
            parent = self._chain[-1][1] if self._chain else self.fd
            name = parts[index]
            rel = "/".join(parts[: index + 1])
            made = False  # a directory this call created holds no other fleet's state file
            try:
                fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
            except FileNotFoundError:
                if not create:
                    return None
                try:
                    os.mkdir(name, 0o755, dir_fd=parent)
                    made = True
                except FileExistsError:
                    pass
                fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise OutputError(
                        f"{self.label(rel)} is a symbolic link or not a directory; fleetgen never writes or "
                        "deletes through links: replace it with a real directory or remove it"
                    ) from None
                raise
            if not made and _holds_state(fd):
                os.close(fd)
                raise OutputError(
                    f"{self.label(rel)} holds another fleet's output (its own {STATE_FILE}); "
                    "fleetgen never writes into or prunes another output: render this fleet elsewhere"
                )
            self._chain.append((name, fd))
        return self._chain[len(parts) - 1][1] if parts else self.fd

    def _split(self, rel: str) -> tuple[list[str], str]:
        parts = rel.split("/")
        return parts[:-1], parts[-1]

    def read(self, rel: str) -> bytes | None:
        """The bytes of a regular file (None if absent); a link or a directory there raises."""
        dirs, name = self._split(rel)
        fd = self.dir_fd(dirs, create=False)
        if fd is None:
            return None
        try:
            file_fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EISDIR):
                raise OutputError(f"{self.label(rel)} is a symbolic link or a directory, not a file fleetgen wrote") from None
            raise
        try:
            if not stat.S_ISREG(os.fstat(file_fd).st_mode):
                raise OutputError(f"{self.label(rel)} is not a regular file")
            chunks = []
            while True:
                chunk = os.read(file_fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(file_fd)

    def write(self, rel: str, data: bytes, *, sync: bool = False) -> None:
        """Replace ``rel`` atomically: a temporary file unique to this process, then rename."""
        try:
            self._write(rel, data, sync)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, self.label(rel)) from None

    def _write(self, rel: str, data: bytes, sync: bool) -> None:
        dirs, name = self._split(rel)
        fd = self.dir_fd(dirs, create=True)
        assert fd is not None
        tmp = f".{name}.{os.getpid()}{TMP_SUFFIX}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            file_fd = os.open(tmp, flags, 0o644, dir_fd=fd)
        except FileExistsError:  # left by a killed process that had our pid
            os.unlink(tmp, dir_fd=fd)
            file_fd = os.open(tmp, flags, 0o644, dir_fd=fd)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(file_fd, view):]
                if sync:
                    os.fsync(file_fd)
            finally:
                os.close(file_fd)
            os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=fd)
            except OSError:
                pass
            raise

    def is_file(self, rel: str) -> bool:
        dirs, name = self._split(rel)
        try:
            fd = self.dir_fd(dirs, create=False)
        except OutputError:
            return False
        if fd is None:
            return False
        try:
            return stat.S_ISREG(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            return False

    def unlink_control(self, name: str) -> None:
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass

    def remove(self, rel: str) -> bool:
        """Unlink a regular file (never a link's target, never a directory); True if it was there."""
        dirs, name = self._split(rel)
        fd = self.dir_fd(dirs, create=False)
        if fd is None:
            return False
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        os.unlink(name, dir_fd=fd)
        return True

    def remove_empty_dirs(self, rels: set[str]) -> None:
        """Remove the now-empty directories of ``rels`` (deepest first), never the root."""
        dirs: set[tuple[str, ...]] = set()
        for rel in rels:
            parts = tuple(rel.split("/")[:-1])
            for i in range(1, len(parts) + 1):
                dirs.add(parts[:i])
        for parts in sorted(dirs, key=lambda p: (-len(p), p)):
            try:
                parent = self.dir_fd(list(parts[:-1]), create=False)
            except OutputError:
                continue
            if parent is None:
                continue
            self._close_from(len(parts) - 1)
            try:
                os.rmdir(parts[-1], dir_fd=parent)
            except OSError:
                pass

    def remove_temporaries(self, dirs: set[tuple[str, ...]]) -> int:
        """Delete interrupted renders' temporary files in ``dirs`` (and the root)."""
        removed = 0
        for parts in sorted(dirs | {()}):
            try:
                fd = self.dir_fd(list(parts), create=False)
            except OutputError:
                continue
            if fd is None:
                continue
            with os.scandir(fd) as entries:
                names = [e.name for e in entries if _TMP_NAME.match(e.name) and e.is_file(follow_symlinks=False)]
            for name in names:
                try:
                    os.unlink(name, dir_fd=fd)
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed

    def walk(self) -> Iterator[str]:
        """Every regular file or link below the root except control files; skips other fleets' outputs.

        Depth first, holding only the fds of the directories on the current path open.
        """
        yield from self._walk(self.fd, "")

    def _walk(self, fd: int, prefix: str) -> Iterator[str]:
        with os.scandir(fd) as it:
            entries = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in it)
        for name, is_dir in entries:
            if not is_dir:
                if not (prefix == "" and name in CONTROL_FILES):
                    yield f"{prefix}{name}"
                continue
            child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            try:
                if not _holds_state(child):  # else another fleet's output: not ours to list
                    yield from self._walk(child, f"{prefix}{name}/")
            finally:
                os.close(child)


@contextmanager
def opened(path: Path, *, create: bool) -> Iterator[Root | None]:
    """Open the output root (never through a link); None when it does not exist and not ``create``."""
    try:
        st = os.lstat(path)
    except NotADirectoryError:
        raise OutputError(f"{path} cannot be created: a parent is not a directory") from None
    except FileNotFoundError:
        if not create:
            yield None
            return
        try:
            path.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise OutputError(f"{path} cannot be created: a parent is not a directory") from None
        except NotADirectoryError:
            raise OutputError(f"{path} cannot be created: a parent is not a directory") from None
        st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(
            f"{path} is a symbolic link; fleetgen writes only into a real directory (pass its target with -o)"
        )
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path} exists and is not a directory")
    root = Root(path, os.open(path, _DIR_FLAGS))
    try:
        yield root
    finally:
        root.close()


# --- lock ----------------------------------------------------------------------------------------

@contextmanager
def locked(root: Root, *, exclusive: bool, fleet: str = "", wait: float | None = None) -> Iterator[None]:
    """Hold the output's lock: exclusive for writers, shared for readers; bounded wait, then exit 2."""
    wait = lock_wait() if wait is None else wait
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    deadline = time.monotonic() + wait
    delay = 0.01
    while True:
        try:
            fcntl.flock(root.fd, mode | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise OutputError(
                    f"{root.label()} is in use by {_holder(root)}; waited {wait:g} s "
                    "(FLEETGEN_LOCK_WAIT): try again when it has finished"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
    try:
        if not exclusive:  # no writer can hold the lock now: a note left behind is a killed writer's
            try:
                os.unlink(LOCK_NOTE, dir_fd=root.fd)
            except OSError:
                pass
        if exclusive:
            note = {"pid": os.getpid(), "host": socket.gethostname(), "fleet": fleet,
                    "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            try:  # written in place: a note cut short by a crash only makes a waiting command less specific
                fd = os.open(LOCK_NOTE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                             dir_fd=root.fd)
                with os.fdopen(fd, "w") as fh:
                    fh.write(json.dumps(note, sort_keys=True) + "\n")
            except OSError:
                pass  # the note only helps a waiting command name us
        yield
    finally:
        if exclusive:
            try:
                os.unlink(LOCK_NOTE, dir_fd=root.fd)
            except OSError:
                pass
        fcntl.flock(root.fd, fcntl.LOCK_UN)


def _holder(root: Root) -> str:
    try:
        note = json.loads(root.read(LOCK_NOTE) or b"{}")
        return f"another fleetgen render (pid {note['pid']} on {note['host']}, fleet {note['fleet']!r}, since {note['since']})"
    except (OSError, ValueError, KeyError, TypeError, UsageError):
        return "another fleetgen command (reading or writing it)"


# --- reading the current state -------------------------------------------------------------------

@dataclass
class Current:
    """What an output directory holds now, as far as fleetgen is concerned."""

    state: State | None
    journal: State | None  # an interrupted render's journal: its paths are owned too
    owned: set[str] = field(default_factory=set)
    temporaries: tuple[str, ...] = ()  # left at the top by a render killed before its journal existed

    @property
    def interrupted(self) -> bool:
        return self.journal is not None or bool(self.temporaries)

    @property
    def owner(self) -> Owner | None:
        if self.journal is not None and self.journal.owner is not None:
            return self.journal.owner
        return self.state.owner if self.state is not None else None


def current(root: Root) -> Current:
    state_raw = root.read(STATE_FILE)
    journal_raw = root.read(JOURNAL_FILE)
    state = parse_state(state_raw, root.label(STATE_FILE)) if state_raw is not None else None
    journal = parse_journal(journal_raw, root.label(JOURNAL_FILE)) if journal_raw is not None else None
    owned = set(state.files) if state else set()
    if journal is not None:
        owned |= set(journal.files)
    with os.scandir(root.fd) as entries:
        temporaries = tuple(sorted(e.name for e in entries if _TMP_NAME.match(e.name)))
    return Current(state, journal, owned, temporaries)


def journal_text(owner: Owner, paths: set[str]) -> str:
    lines = ["# A fleetgen render in progress (or interrupted): the next render finishes it. Do not edit.\n",
             f"@fleet\t{owner.fleet}\n", f"@fleet-file\t{owner.fleet_file}\n"]
    lines += [f"{p}\t{'0' * 64}\n" for p in sorted(paths)]
    return "".join(lines)


def parse_journal(raw: bytes, where: str) -> State:
    return parse_state(raw, where)


def check_owner(cur: Current, owner: Owner, root: Root, *, adopt: bool) -> None:
    """Refuse to render a different fleet into an owned output unless the user adopts it explicitly."""
    have = cur.owner
    if have is None or adopt or have.fleet == owner.fleet and same_file(root, have.fleet_file, owner.fleet_file):
        return
    raise OutputError(
        f"{root.label()} belongs to {have.describe()}, not {owner.describe()}; "
        "render this fleet into its own directory, or pass --adopt to hand the directory over "
        "(the other fleet's files there are then pruned)"
    )


def same_file(root: Root, a: str, b: str) -> bool:
    if a == b:
        return True
    base = root.path
    try:
        return os.path.samefile(base / a, base / b)
    except OSError:
        return False


def owner_for(fleet_name: str, fleet_file: Path, out: Path) -> Owner:
    rel = os.path.relpath(fleet_file.resolve(), out.resolve())
    return Owner(fleet_name, Path(rel).as_posix())


def stray_temporaries(names: list[str]) -> list[str]:
    return [n for n in names if _TMP_NAME.match(n.rsplit("/", 1)[-1])]
