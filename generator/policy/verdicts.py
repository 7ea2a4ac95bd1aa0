"""A per-machine cache of per-document policy verdicts.

A per-document policy sees only the document, so its findings are a function
of (the policies, the document). The cache maps a document digest to the
findings its evaluation gave, one file per policy set in
``$XDG_CACHE_HOME/fleetgen``; a check after a small change evaluates only the
documents that changed. Never committed, safe to delete; an unreadable cache is
an empty one.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from generator import __version__
from generator.diagnostics import Finding, Location, Severity
from generator.policy.runner import PolicySet

# findings of one document, as stored: (rule, severity, message, line, column, clusters or None)
Stored = list[list[Any]]


def policy_digest(policies: PolicySet) -> str:
    h = hashlib.sha256(f"fleetgen {__version__}\0".encode())
    import regopy  # loaded already by the engine; importlib.metadata would cost ~40 ms of start-up

    engine_version = getattr(regopy, "__version__", None)
    if not isinstance(engine_version, str):
        try:
            from importlib.metadata import version

            engine_version = version("regopy")
        except Exception:  # noqa: BLE001 - no version, no reuse across engines: still correct
            engine_version = "?"
    h.update(f"regopy {engine_version}".encode())
    for module in sorted(policies.modules, key=lambda m: m.path):
        h.update(f"\0{module.path}\0".encode())
        h.update(module.source.encode())
    return h.hexdigest()


def _file(digest: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fleetgen"
    return base / f"policy-verdicts-{digest[:32]}.json"


def load(digest: str) -> dict[str, Stored]:
    try:
        data = json.loads(_file(digest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(digest: str, verdicts: dict[str, Stored]) -> None:
    """Best effort, atomic: a half-written cache must never be read back."""
    path = _file(digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(verdicts, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def store(findings: list[Finding], own_clusters: tuple[str, ...]) -> Stored:
    return [
        [f.rule, str(f.severity), f.message, f.location.line, f.location.column,
         None if f.clusters == own_clusters else list(f.clusters)]
        for f in findings
    ]


def restore(stored: Stored, path: str, own_clusters: tuple[str, ...]) -> list[Finding]:
    return [
        Finding(rule, Severity(severity), message, Location(path, line, column),
                own_clusters if clusters is None else tuple(clusters))
        for rule, severity, message, line, column, clusters in stored
    ]
