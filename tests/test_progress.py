"""Progress on stderr: stages with counts for a person at a terminal, nothing for machines or with --quiet."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FLEETGEN = str(Path(sys.executable).parent / "fleetgen")
STAGE = re.compile(r"^fleetgen \[ *\d+\.\ds\] (.*)$")


def _on_a_terminal(*args: str, cwd: Path) -> tuple[int, list[str], str]:
    """Run fleetgen with stderr on a pseudo-terminal (stdout a pipe); the stages it printed."""
    master, slave = pty.openpty()
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / "cache")}
    proc = subprocess.Popen([FLEETGEN, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=slave, env=env, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: the process is done with it
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    out = proc.stdout.read() if proc.stdout else ""
    code = proc.wait(timeout=120)
    lines = b"".join(chunks).decode().replace("\r\n", "\n").splitlines()
    return code, [m.group(1) for line in lines if (m := STAGE.match(line))], out


def test_render_and_check_show_their_stages_on_a_terminal(tmp_path: Path) -> None:
    shutil.copy(ROOT / "fleet.yaml", tmp_path / "fleet.yaml")
    code, stages, out = _on_a_terminal("render", "fleet.yaml", cwd=tmp_path)
    assert code == 0 and out.startswith("rendered ")
    assert stages[:2] == ["loading fleet.yaml", "rendering 2 clusters, 1 workloads"]
    assert stages[2].startswith("comparing ") and stages[3].startswith("writing ")
    code, stages, _ = _on_a_terminal("check", "fleet.yaml", cwd=tmp_path)
    assert code == 0
    assert stages[0] == "loading fleet.yaml"
    # the DNS proof runs while the policy workers evaluate: one stage names both
    assert any(s.endswith("; meanwhile team directories, orphans, DNS resolution across 2 clusters") for s in stages)
    assert any(s.startswith("running policies over ") for s in stages)
    assert stages[-1] == "done: 0 findings"


def test_quiet_and_non_terminals_get_no_progress(tmp_path: Path) -> None:
    shutil.copy(ROOT / "fleet.yaml", tmp_path / "fleet.yaml")
    code, stages, _ = _on_a_terminal("render", "fleet.yaml", "--quiet", cwd=tmp_path)
    assert code == 0 and stages == []
    piped = subprocess.run([FLEETGEN, "check", "fleet.yaml"], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert piped.returncode == 0 and piped.stderr == ""
