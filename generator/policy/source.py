"""Read what the runner needs from Rego source text: package, rule heads, METADATA.

rego-cpp does not expose annotations, so ``# METADATA`` blocks are parsed
here: a comment block whose first line is ``# METADATA`` and whose remaining
lines (comment marker stripped) are YAML. A block with scope ``rule`` (the
default) or ``document`` belongs to the next rule head.

Rule heads are recognised at column 0, as ``opa fmt`` writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Location

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][A-Za-z0-9_.]*)\s*(?:#.*)?$")
_RULE_HEAD = re.compile(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(contains\b|if\b|:=|=|\[|\{|\()")
_KEYWORDS = frozenset({"package", "import", "default", "else", "not", "some", "every"})


@dataclass(frozen=True)
class Metadata:
    """The parts of a METADATA block fleetgen uses."""

    title: str = ""
    description: str = ""
    custom_id: str = ""


@dataclass(frozen=True)
class RuleHead:
    """The first definition of a rule inside one module."""

    name: str
    location: Location
    is_function: bool
    metadata: Metadata = field(default_factory=Metadata)


@dataclass(frozen=True)
class Module:
    path: str
    source: str
    package: str
    rules: tuple[RuleHead, ...]

    @property
    def package_path(self) -> str:
        """``fleetgen.dns`` -> ``fleetgen/dns`` (entrypoints and rule ids use slashes)."""
        return self.package.replace(".", "/")


class MetadataError(ValueError):
    """A METADATA block is not YAML or not a mapping."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.location = location


def read_module(path: Path, display: str) -> Module:
    """Parse ``path`` (shown as ``display`` in locations). Raises OSError, UnicodeError, MetadataError."""
    return parse_module(path.read_text(encoding="utf-8"), display)


def parse_module(source: str, display: str) -> Module:
    lines = source.splitlines()
    package = ""
    rules: list[RuleHead] = []
    seen: set[str] = set()
    pending = Metadata()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip() == "# METADATA":
            pending, index = _read_metadata(lines, index, display)
            continue
        match = _PACKAGE.match(line)
        if match:
            package = match.group(1)
            pending = Metadata()
        else:
            head = _RULE_HEAD.match(line)
            if head and head.group(1) not in _KEYWORDS:
                name = head.group(1)
                if name not in seen:
                    seen.add(name)
                    rules.append(
                        RuleHead(name, Location(display, index + 1, 1), head.group(2) == "(", pending)
                    )
                pending = Metadata()
        index += 1
    return Module(display, source, package, tuple(rules))


def _read_metadata(lines: list[str], start: int, display: str) -> tuple[Metadata, int]:
    body = []
    index = start + 1
    while index < len(lines) and lines[index].startswith("#"):
        text = lines[index][1:]
        body.append(text[1:] if text.startswith(" ") else text)
        index += 1
    try:
        value: Any = yaml.safe_load("\n".join(body)) or {}
    except yaml.YAMLError as exc:
        raise MetadataError(f"METADATA block is not YAML: {exc}", Location(display, start + 1, 1)) from None
    if not isinstance(value, dict):
        raise MetadataError("METADATA block must be a YAML mapping", Location(display, start + 1, 1))
    if value.get("scope", "rule") not in ("rule", "document"):
        return Metadata(), index
    raw_custom = value.get("custom")
    custom: dict[str, Any] = raw_custom if isinstance(raw_custom, dict) else {}
    return (
        Metadata(
            title=str(value.get("title", "")),
            description=str(value.get("description", "")).strip(),
            custom_id=str(custom.get("id", "")),
        ),
        index,
    )
