"""What a plain `pip install` (pre-commit's way) ships: every module, blueprint and policy."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_python_package_is_listed() -> None:
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "generator").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= set(CONFIG["packages"]), f"add to [tool.setuptools] packages: {sorted(found - set(CONFIG['packages']))}"


def test_every_blueprint_and_policy_is_package_data() -> None:
    for package, directory in CONFIG["package-dir"].items():
        root = ROOT / directory
        patterns = CONFIG["package-data"][package]
        shipped = {p for pattern in patterns for p in root.glob(pattern)}
        files = {p for p in root.rglob("*") if p.is_file() and p.suffix in (".jsonnet", ".libsonnet", ".rego")}
        assert files and files <= shipped, sorted(str(p.relative_to(ROOT)) for p in files - shipped)


def test_an_installed_package_finds_its_data_inside_itself(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from generator import render
    from generator.policy import output

    fake = tmp_path / "site-packages" / "generator"
    (fake / "policy").mkdir(parents=True)
    shutil.copytree(ROOT / "blueprints", fake / "blueprints")
    shutil.copytree(ROOT / "policies", fake / "policies")
    monkeypatch.setattr(render, "__file__", str(fake / "render.py"))
    monkeypatch.setattr(output, "__file__", str(fake / "policy" / "output.py"))
    assert render.default_blueprints() == fake / "blueprints"
    assert output.shipped_policies() == fake / "policies"
