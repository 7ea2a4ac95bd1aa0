"""One diagnostic record for every step: schema errors, checks, policies, render problems."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

# C0 and C1 controls, DEL, and the Unicode line/paragraph separators: anything a
# terminal or a line-oriented parser would take as a line break or an escape sequence.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` on one line: control characters written as escapes (``\\n``, ``\\x1b``, ``\\u2028``).

    Values from a fleet file or a rendered manifest end up in messages; escaping them
    keeps one finding per line in every format and lets no value send terminal escapes.
    """
    return _CONTROL.sub(_escape_control, text)


def _escape_control(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file. ``line`` and ``column`` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{printable(self.file)}:{self.line}:{self.column or 1}"
        return printable(self.file)


@dataclass(frozen=True)
class Finding:
    """A rule's verdict about the fleet. Sorts by location, then rule."""

    rule: str
    severity: Severity
    message: str
    location: Location
    clusters: tuple[str, ...] = field(default=())

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.rule, self.message)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def parsable(self) -> str:
        """``file:line:col: [severity] rule message`` (yamllint's parsable format)."""
        return f"{self.location}: [{self.severity}] {printable(self.rule)} {printable(self.message)}"

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "clusters": list(self.clusters),
            "location": {
                "file": self.location.file,
                "line": self.location.line,
                "column": self.location.column,
            },
        }


def error(rule: str, message: str, location: Location, clusters: tuple[str, ...] = ()) -> Finding:
    return Finding(rule, Severity.ERROR, message, location, tuple(clusters))


def warning(rule: str, message: str, location: Location, clusters: tuple[str, ...] = ()) -> Finding:
    return Finding(rule, Severity.WARNING, message, location, tuple(clusters))


def sorted_findings(findings: list[Finding] | tuple[Finding, ...]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)
