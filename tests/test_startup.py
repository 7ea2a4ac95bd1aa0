"""Start-up: `fleetgen --version` and `--help` load no engine, `check` no allocate machinery.

Which modules a command imports, not how long it takes (that is `make bench`):
each heavy library below costs tens of milliseconds to import, and pre-commit
runs fleetgen on every commit.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = ("jsonschema", "jsonschema_rs", "referencing", "regopy", "rjsonnet", "ruamel.yaml", "yaml", "multiprocessing", "generator.commands")


def modules_after(*args: str, cwd: str = str(ROOT)) -> set[str]:
    code = (
        "import sys, json\n"
        "from generator import cli\n"
        f"code = cli.main({list(args)!r})\n"
        "sys.stdout.flush()\n"
        "sys.__stderr__.write(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)
    return set(json.loads(run.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_engine(flag: str) -> None:
    loaded = modules_after(flag)
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_check_does_not_load_the_allocator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    loaded = modules_after("check", str(ROOT / "fleet.yaml"), "-o", str(tmp_path / "output"))
    assert "regopy" in loaded  # it did check
    assert sorted(m for m in ("ruamel.yaml", "generator.allocate", "importlib.metadata", "kubernetes_validate") if m in loaded) == []
