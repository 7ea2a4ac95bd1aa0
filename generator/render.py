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


def engine(name: str | None = None) -> JsonnetEngine:
    chosen = name or os.environ.get("FLEETGEN_JSONNET") or DEFAULT_ENGINE
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
    try:
        text = engine(engine_name).evaluate_file(
            str(entry), tla_codes={"input": json.dumps(input_value)}, jpathdir=[str(blueprints)]
        )
    except RuntimeError as exc:
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
