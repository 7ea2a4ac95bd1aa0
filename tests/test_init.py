"""`fleetgen init` and `fleetgen schema`: an empty directory to a fleet that checks, renders and commits."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

from generator import scaffold

BIN = Path(sys.executable).parent


def test_init_then_check_passes(fleetgen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "platform"
    run = fleetgen("init", str(target), "--provider", "aws,gcp,azure")
    assert run.code == 0, run.err
    assert run.out.splitlines()[:5] == [
        f"wrote {target}/fleet.yaml", f"wrote {target}/fleet.schema.json", f"wrote {target}/.pre-commit-config.yaml",
        f"wrote {target}/.github/workflows/fleetgen.yaml",
        f"rendered 23 files for 3 clusters into {target}/output/: 23 added, 0 changed, 0 removed, 0 unchanged",
    ]
    fleet = (target / "fleet.yaml").read_text()
    # Ranges and endpoints come from the IP planner, in cluster order, from the declared pools.
    assert re.findall(r"(nodeCIDRs|podCIDRs|serviceCIDRs): \[(.*)\]|endpoint: (.*)", fleet) == [
        ("nodeCIDRs", "10.0.0.0/16", ""), ("podCIDRs", "10.64.0.0/14", ""), ("serviceCIDRs", "172.20.0.0/16", ""),
        ("", "", "10.0.255.245"),
        ("nodeCIDRs", "10.1.0.0/16", ""), ("podCIDRs", "10.68.0.0/14", ""), ("serviceCIDRs", "172.21.0.0/16", ""),
        ("", "", "10.1.255.245"),
        ("nodeCIDRs", "10.2.0.0/16", ""), ("podCIDRs", "10.72.0.0/14", ""), ("serviceCIDRs", "172.22.0.0/16", ""),
        ("", "", "10.2.255.245"),
    ]
    assert fleet.startswith("# yaml-language-server: $schema=./fleet.schema.json\n")
    assert "      - clusters: [aws-eu-west-1, gcp-europe-west4, azure-westeurope]\n" in fleet
    check = fleetgen("check", str(target / "fleet.yaml"), "-o", str(target / "output"))
    assert (check.code, check.out) == (0, "0 error(s), 0 warning(s)\n")
    fresh = fleetgen("render", str(target / "fleet.yaml"), "-o", str(target / "output"), "--check")
    assert fresh.code == 0


def test_init_flux_single_provider(fleetgen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert fleetgen("init", str(tmp_path), "--provider", "generic", "--engine", "flux").code == 0
    assert "    engine: flux " in (tmp_path / "fleet.yaml").read_text()
    assert "    links: []" in (tmp_path / "fleet.yaml").read_text()
    assert (tmp_path / "output" / "hub").is_dir()
    check = fleetgen("check", str(tmp_path / "fleet.yaml"), "-o", str(tmp_path / "output"))
    assert check.code == 0, check.out


def test_init_never_overwrites_and_writes_nothing(fleetgen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    run = fleetgen("init", str(tmp_path))
    assert run.code == 2
    assert run.err == (f"fleetgen: {tmp_path}/.pre-commit-config.yaml already exist(s); fleetgen init never "
                       "overwrites: choose an empty directory\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".pre-commit-config.yaml"]
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == "repos: []\n"


def test_init_misuse(fleetgen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = fleetgen("init", str(tmp_path), "--provider", "aws,ibm")
    assert (run.code, run.err) == (2, "fleetgen: --provider 'aws,ibm': choose one or more of aws, gcp, azure, "
                                      "generic, comma-separated\n")
    assert list(tmp_path.iterdir()) == []


def test_schema_is_the_one_fleetgen_validates_with(fleetgen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = fleetgen("schema")
    schema = json.loads(run.out)
    assert run.code == 0 and schema["required"] == ["apiVersion", "kind", "metadata", "spec"]
    text = scaffold.fleet_text(("aws", "gcp"), "argocd")
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(text))
    bad = yaml.safe_load(text.replace("provider: gcp", "provider: ibm"))
    assert not jsonschema.Draft202012Validator(schema).is_valid(bad)


def test_workflow_uses_no_expression_inside_scripts() -> None:
    workflow = yaml.safe_load(scaffold.WORKFLOW)
    steps = workflow["jobs"]["fleet"]["steps"]
    for step in steps:
        assert "${{" not in step.get("run", ""), step  # values reach scripts only through env (no injection)
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"] == {"sarif_file": "fleetgen.sarif", "category": "fleetgen"}
    assert workflow["jobs"]["fleet"]["permissions"]["security-events"] == "write"
    assert steps[0]["with"] == {"fetch-depth": 0}
    assert [s["run"].split()[:2] for s in steps if "run" in s and s["run"].startswith("fleetgen")] == [
        ["fleetgen", "check"], ["fleetgen", "render"], ["fleetgen", "diff"]]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
                        "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"})


def test_generated_precommit_config_runs_with_pre_commit(fleetgen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    precommit = BIN / "pre-commit"
    assert precommit.is_file(), "pre-commit is a dev dependency (pyproject.toml)"
    repo = tmp_path / "repo"
    assert fleetgen("init", str(repo)).code == 0
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PRE_COMMIT_HOME": str(tmp_path / "pc"),
           "GIT_CONFIG_GLOBAL": "/dev/null"}

    def run_hooks() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(precommit), "run", "--all-files", "--color", "never"], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=300)

    ok = run_hooks()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.findall(r"^(fleetgen.*?)\.+(\w+)$", ok.stdout, re.M) == [
        ("fleetgen check", "Passed"), ("fleetgen render --check (committed output/ is fresh)", "Passed")]
    fleet = repo / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("podCIDRs: [10.68.0.0/14]", "podCIDRs: [10.64.0.0/14]"))
    bad = run_hooks()
    assert bad.returncode == 1
    assert re.findall(r"^(fleetgen.*?)\.+(\w+)$", bad.stdout, re.M) == [
        ("fleetgen check", "Failed"), ("fleetgen render --check (committed output/ is fresh)", "Failed")]
    assert "[error] cidr-overlap podCIDRs 10.64.0.0/14 of cluster 'gcp-europe-west4' overlaps" in bad.stdout
