"""Recognise a render that would change nothing, without rendering.

A render is a pure function of the fleet file, the blueprints, the schemas and
fleetgen's own code. The committed state file records a hash of every file
written; a per-machine cache (``$XDG_CACHE_HOME/fleetgen``, never committed)
records, for each output directory, the digest of the inputs this machine last
rendered (or verified) there and the digest of the state file that render left.
When both match and the directory holds exactly the state file's files with their
hashes, the output is what these inputs render to: ``render`` skips rendering and
``check`` checks the files as they are. Anything else - an edited output or state
file, a new blueprint, another fleetgen version, a fresh clone - falls back to a
full render. The committed state file alone is never trusted for this: a pull
request can edit it together with the output.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

from generator import __version__

PACKAGE = Path(__file__).resolve().parent


def _tree(root: Path) -> Iterable[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def inputs_digest(fleet_path: Path, blueprints: Path, schema_dirs: Iterable[Path], engine: str) -> str:
    h = hashlib.sha256()
    h.update(f"fleetgen {__version__}\0{engine}\0{fleet_path.name}\0".encode())
    h.update(fleet_path.read_bytes())
    for label, root in [("blueprints", blueprints), ("code", PACKAGE), *(("schemas", d) for d in schema_dirs)]:
        if not root.is_dir():
            continue
        for path in _tree(root):
            if path.suffix in (".pyc",):
                continue
            h.update(f"\0{label}/{path.relative_to(root).as_posix()}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cache_file(out: Path) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fleetgen"
    return base / ("render-" + hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:32])


def _record(inputs: str, state: bytes) -> str:
    return f"{inputs} {file_digest(state)}\n"


def trusted(out: Path, inputs: str, state: bytes) -> bool:
    """True if this machine rendered or verified ``inputs`` into ``out`` and left exactly ``state``."""
    try:
        return _cache_file(out).read_text(encoding="utf-8") == _record(inputs, state)
    except OSError:
        return False


def remember(out: Path, inputs: str, state: bytes) -> None:
    """Best effort: without a writable cache the next render is simply a full one."""
    try:
        path = _cache_file(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(_record(inputs, state), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def forget(out: Path) -> None:
    try:
        _cache_file(out).unlink()
    except OSError:
        pass
