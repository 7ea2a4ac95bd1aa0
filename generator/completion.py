"""Shell completion (bash, zsh, fish) through argcomplete, with cluster names from the fleet file.

``fleetgen completion SHELL`` prints the script to source; completing runs fleetgen
itself with argcomplete's environment, and ``clusters`` reads the fleet named on the
command line (or ``fleet.yaml``) without checks or rendering, so it answers at once.
Completion never prints an error: a fleet it cannot read completes to nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

SHELLS = ("bash", "zsh", "fish")


def clusters(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    """Cluster names of the fleet on the command line (default fleet.yaml) that start with ``prefix``."""
    from generator.errors import FleetError
    from generator.loader import load_file

    fleet = getattr(parsed_args, "fleet", None) or Path("fleet.yaml")
    try:
        data = load_file(Path(fleet)).data
        names = [c.get("name") for c in data["spec"]["clusters"]]
    except (FleetError, OSError, KeyError, TypeError, AttributeError):
        return []
    return [n for n in names if isinstance(n, str) and n.startswith(prefix)]


def script(shell: str) -> str:
    """The completion script for ``shell`` (source it, or install it where the shell looks)."""
    import argcomplete

    return argcomplete.shellcode(["fleetgen"], shell=shell)
