"""``fleetgen init`` and ``fleetgen schema``: a ten-minute start for a team that has never seen fleetgen."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from generator import commands, scaffold
from generator.errors import UsageError


def init(
    directory: Path,
    *,
    providers: str = "aws,gcp",
    engine: str = "argocd",
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Write a commented fleet, its schema, a pre-commit config and a CI workflow into ``directory``; render."""
    stdout = stdout or sys.stdout
    contents = scaffold.files(scaffold.parse_providers(providers), engine)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory")
    written = scaffold.write_new(directory, contents)
    for path in written:
        stdout.write(f"wrote {path}\n")
    fleet = directory / scaffold.FLEET_FILE
    code = commands.render(fleet, directory / "output", stdout=stdout, stderr=stderr)
    if code == 0:
        stdout.write(
            f"next: set repoURL and each apiServer in {fleet}, then `fleetgen check {fleet}`, "
            "`pre-commit install`, and commit\n"
        )
    return code


def schema(*, stdout: TextIO | None = None) -> int:
    """Print the fleet JSON Schema (save it beside fleet.yaml for editor completion)."""
    (stdout or sys.stdout).write(scaffold.schema_text())
    return 0
