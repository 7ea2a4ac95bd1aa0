"""Evaluate the Jsonnet blueprints for a fleet: model in, {output path: object} out.

The whole fleet is evaluated in one Jsonnet run per chunk of clusters (never once
per cluster with the whole fleet as argument, which would be O(N^2)). The
engine is rjsonnet (jrsonnet) by default; FLEETGEN_JSONNET=gojsonnet selects
the official Go implementation, which must produce the same bytes.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from generator.diagnostics import Location, error
from generator.errors import RenderError, UsageError
from generator.model import Cluster, Fleet
from generator.write import is_team_path
from generator.view import render_input

ENGINES = {"rjsonnet": "rjsonnet", "gojsonnet": "_gojsonnet"}
# What each engine's import_callback must return as file contents.
_CONTENTS_AS_BYTES = {"rjsonnet": False, "gojsonnet": True}
DEFAULT_ENGINE = "rjsonnet"
ENTRY = "fleet.jsonnet"
_SAFE_PATH = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*\.ya?ml$", re.I)


class JsonnetEngine(Protocol):
    def evaluate_file(self, filename: str, **kwargs: Any) -> str: ...


@dataclass(frozen=True)
class Rendered:
    """Output path (relative to the output dir) -> Kubernetes object (or kustomization)."""

    files: dict[str, dict[str, Any]]


def default_blueprints() -> Path:
    """The blueprints shipped with the package, or the repo's copy when run from a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "blueprints", here.parent / "blueprints"):
        if (candidate / ENTRY).is_file():
            return candidate
    raise UsageError(f"cannot find the blueprints ({ENTRY}) next to {here}")


def library_path(blueprints: Path) -> tuple[Path, ...]:
    """Where blueprints may import from: the blueprints directory itself (its lib/ included).

    The render cache digest (freshness.inputs_digest) hashes every file under the
    blueprints directory, so every file a render can import is part of the digest.
    """
    return (blueprints,)


class ConfinedImporter:
    """A Jsonnet import callback that serves files only from inside the library path.

    ``import``/``importstr``/``importbin`` of an absolute path, a ``../`` escape or a
    symbolic link leading out of the roots is refused with the path it resolved to:
    blueprints are data a user may extend, and a render must not read (and commit
    into output/) an arbitrary file of the machine it runs on.
    """

    def __init__(self, roots: tuple[Path, ...], as_bytes: bool) -> None:
        self._roots = tuple(Path(os.path.realpath(r)) for r in roots)
        self._as_bytes = as_bytes
        self.refusal: str | None = None  # why the last import was refused (engines garble callback errors)

    def __call__(self, base: str, rel: str) -> tuple[str, str | bytes]:
        candidates = [os.path.join(base, rel)]
        if not os.path.isabs(rel):
            candidates += [os.path.join(str(root), rel) for root in self._roots]
        for candidate in candidates:
            real = Path(os.path.realpath(candidate))
            if not real.is_file():
                continue
            if not any(real.is_relative_to(root) for root in self._roots) or "__pycache__" in real.parts:
                self.refusal = (
                    f"import {rel!r} resolves to {real}, outside the blueprints directory "
                    f"({', '.join(str(r) for r in self._roots)}); blueprints may import only files inside it"
                )
                raise RuntimeError(self.refusal)
            data = real.read_bytes()
            return os.path.normpath(candidate), data if self._as_bytes else data.decode("utf-8")
        raise RuntimeError(f"import {rel!r}: no such file in {base or '.'} or the blueprints directory")


def engine_name_for(name: str | None = None) -> str:
    return name or os.environ.get("FLEETGEN_JSONNET") or DEFAULT_ENGINE


def engine(name: str | None = None) -> JsonnetEngine:
    chosen = engine_name_for(name)
    if chosen not in ENGINES:
        raise UsageError(f"unknown Jsonnet engine {chosen!r}; choose one of {', '.join(ENGINES)}")
    try:
        module: JsonnetEngine = importlib.import_module(ENGINES[chosen])  # type: ignore[assignment]
    except ImportError:
        raise UsageError(f"Jsonnet engine {chosen!r} is not installed (pip install {chosen})") from None
    return module


def evaluate(
    input_value: dict[str, Any], blueprints: Path, engine_name: str | None = None
) -> dict[str, dict[str, Any]]:
    entry = blueprints / ENTRY
    chosen = engine_name_for(engine_name)
    importer = ConfinedImporter(library_path(blueprints), _CONTENTS_AS_BYTES[chosen] if chosen in ENGINES else True)
    try:
        text = engine(chosen).evaluate_file(
            str(entry), tla_codes={"input": json.dumps(input_value)}, import_callback=importer
        )
    except (RuntimeError, UnicodeDecodeError) as exc:
        # gojsonnet can return a callback's error text as undecodable bytes: say what was refused ourselves
        if importer.refusal is not None:
            raise RenderError(
                f"blueprint evaluation failed: {importer.refusal}",
                (error("render", f"blueprint evaluation failed: {importer.refusal}", Location(str(entry))),),
            ) from None
        message = str(exc).strip().splitlines()
        head = message[0] if message else "evaluation failed"
        raise RenderError(
            f"blueprint evaluation failed: {head}",
            (error("render", f"blueprint evaluation failed: {' | '.join(m.strip() for m in message[:4])}", Location(str(entry))),),
        ) from None
    files: dict[str, dict[str, Any]] = json.loads(text)
    return files


def render(
    fleet: Fleet,
    blueprints: Path | None = None,
    clusters: list[Cluster] | None = None,
    hub: bool = True,
    engine_name: str | None = None,
) -> Rendered:
    files = evaluate(render_input(fleet, clusters, hub), blueprints or default_blueprints(), engine_name)
    bad = [p for p in files if not _SAFE_PATH.match(p) or ".." in p.split("/") or is_team_path(p)]
    if bad:
        raise RenderError(
            f"blueprints produced unsafe output paths: {', '.join(sorted(bad)[:5])}",
            tuple(error("render", f"unsafe output path {p!r}", Location(fleet.file)) for p in sorted(bad)),
        )
    return Rendered(files)
