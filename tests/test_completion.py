"""Shell completion through argcomplete: subcommands, and cluster names for `explain dns` from the fleet file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _complete(line: str, cwd: Path, tmp_path: Path) -> list[str]:
    """What argcomplete answers for ``line`` (the protocol the shell scripts speak)."""
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(out), "_ARGCOMPLETE_IFS": "\n"}
    proc = subprocess.run([str(BIN / "fleetgen")], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return out.read_text().split("\n")


def test_subcommands_complete(tmp_path: Path) -> None:
    assert _complete("fleetgen di", tmp_path, tmp_path) == ["diff "]
    assert _complete("fleetgen completion ", tmp_path, tmp_path) == ["-h", "--help", "bash", "zsh", "fish"]


def test_explain_dns_completes_cluster_names_from_fleet_yaml(tmp_path: Path) -> None:
    shutil.copy(ROOT / "fleet.yaml", tmp_path / "fleet.yaml")
    assert _complete("fleetgen explain dns g", tmp_path, tmp_path) == ["gcp-europe-west4-c "]
    assert [c for c in _complete("fleetgen explain dns ", tmp_path, tmp_path) if not c.startswith("-")] == [
        "aws-euwest1", "gcp-europe-west4-c"]


def test_no_fleet_completes_to_nothing_silently(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text("spec: [unclosed\n")
    assert [c for c in _complete("fleetgen explain dns ", tmp_path, tmp_path) if not c.startswith("-")] == []


def test_real_bash_completion(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    shutil.copy(ROOT / "fleet.yaml", tmp_path / "fleet.yaml")
    script = (
        'source <(fleetgen completion bash); COMP_LINE="fleetgen explain dns a"; COMP_POINT=${#COMP_LINE}; '
        'COMP_WORDS=(fleetgen explain dns a); COMP_CWORD=3; COMP_TYPE=9; '
        '_python_argcomplete fleetgen a dns; printf "<%s>\\n" "${COMPREPLY[@]}"; complete -p fleetgen'
    )
    proc = subprocess.run([bash, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    assert proc.stdout.splitlines() == [
        "<aws-euwest1 >", "complete -o bashdefault -o default -o nospace -F _python_argcomplete fleetgen"]


@pytest.mark.parametrize("shell,marker", [("zsh", "compdef _python_argcomplete fleetgen"),
                                          ("fish", "complete --command fleetgen")])
def test_zsh_and_fish_scripts(fleetgen, shell: str, marker: str) -> None:  # type: ignore[no-untyped-def]
    run = fleetgen("completion", shell)
    assert run.code == 0 and marker in run.out
