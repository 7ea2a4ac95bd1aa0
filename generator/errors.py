"""The error hierarchy. Steps raise these; ``cli.main`` maps them to exit codes."""

from __future__ import annotations

from generator.diagnostics import Finding


class FleetError(Exception):
    """Base class: something the user can act on. Exit code 2 unless stated."""

    exit_code = 2


class UsageError(FleetError):
    """The command was misused (bad flag combination, missing file)."""


class LoadError(FleetError):
    """The fleet file could not be read or parsed. Carries one finding with a location."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


class RenderError(FleetError):
    """A blueprint failed to evaluate, or rendered something invalid."""

    def __init__(self, message: str, findings: tuple[Finding, ...] = ()) -> None:
        super().__init__(message)
        self.findings = findings
