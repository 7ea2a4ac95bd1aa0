"""The pre-commit hook manifest other repositories consume."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

HOOKS = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"


def test_hooks_run_fleetgen_once_per_commit() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    assert sorted(hooks) == ["fleetgen-check", "fleetgen-render-check"]
    assert hooks["fleetgen-check"]["entry"] == "fleetgen check"
    assert hooks["fleetgen-render-check"]["entry"] == "fleetgen render --check"
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False and hook["name"]
        assert re.search(hook["files"], "envs/prod/fleet.yaml") and re.search(hook["files"], "fleet.yml")
        assert not re.search(hook["files"], "README.md")
