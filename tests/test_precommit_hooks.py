"""The pre-commit hook manifest other repositories consume (driven for real in tests/test_vault.py)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

HOOKS = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"


def test_hooks_map_changed_files_to_their_fleets() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    assert sorted(hooks) == ["fleetgen-check", "fleetgen-render-check"]
    assert hooks["fleetgen-check"]["entry"] == "fleetgen hook check"
    assert hooks["fleetgen-render-check"]["entry"] == "fleetgen hook render-check"
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is True and hook["require_serial"] is True
        for changed in ("envs/prod/fleet.yaml", "fleet.yml", "fleets/a/output/hub/kustomization.yaml",
                        "output/.fleetgen-files", "output/routes/plan.json"):
            assert re.search(hook["files"], changed), changed
        assert not re.search(hook["files"], "README.md")
