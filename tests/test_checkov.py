"""checkov, a real Kubernetes security scanner, over every committed output: no failure at all.

Each check skipped in .checkov.yaml (the one place skips live) carries its reason as a
comment, and must still be needed: a skip that no longer fails anywhere is stale. checkov
comes with the dev extra; it runs offline (no platform download, no update check, and a
loopback proxy so that nothing else can leave the machine).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

CONFIG = ROOT / ".checkov.yaml"
CHECKOV = Path(sys.executable).parent / "checkov"
OUTPUTS = [ROOT / "output", *sorted(ROOT.glob("examples/*/output"))]

pytestmark = pytest.mark.scanner


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("BC_", "PRISMA_", "CKV_"))}
    env.update({
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
        "BC_SKIP_MAPPING": "TRUE",
        # nothing leaves the machine: any request that slips through fails fast on loopback
        "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "", "no_proxy": "",
    })
    return env


def scan_tree(tmp: Path) -> Path:
    """One directory holding every output (one checkov run, one summary)."""
    tree = tmp / "scan"
    for out in OUTPUTS:
        shutil.copytree(out, tree / out.relative_to(ROOT))
    return tree


def checkov(cwd: Path, *args: str) -> list[dict[str, Any]]:
    """checkov in ``cwd`` (it reads a .checkov.yaml from its working directory: only the one we name)."""
    assert CHECKOV.is_file(), f"{CHECKOV} not found: run `make render` (installs the dev extra, checkov)"
    proc = subprocess.run([str(CHECKOV), *args, "--quiet", "-o", "json"], capture_output=True, text=True,
                          env=offline_env(), timeout=600, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    docs, decoder, text, i = [], json.JSONDecoder(), proc.stdout, 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        doc, i = decoder.raw_decode(text, i)
        docs.append(doc)
    # a scan with nothing in it prints an empty summary object, never a list of results
    assert docs and all(isinstance(d, dict) and d.get("check_type") == "kubernetes" for d in docs), proc.stdout[:2000]
    return docs


def skipped_with_reasons() -> dict[str, str]:
    """Every skip-check entry of .checkov.yaml and the comment lines right above it."""
    lines = CONFIG.read_text().splitlines()
    ids = yaml.safe_load(CONFIG.read_text())["skip-check"]
    out = {}
    for check in ids:
        at = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        reason: list[str] = []
        i = at - 1
        while i >= 0 and lines[i].strip().startswith("#"):
            reason.insert(0, lines[i].strip().lstrip("#").strip())
            i -= 1
        out[check] = " ".join(reason)
    return out


def failures(docs: list[dict[str, Any]]) -> list[str]:
    return sorted(f"{f['check_id']} {f['resource']} {f['file_path']}"
                  for d in docs for f in d["results"]["failed_checks"])


def test_every_output_passes_checkov(tmp_path: Path) -> None:
    docs = checkov(tmp_path, "--config-file", str(CONFIG), "-d", str(scan_tree(tmp_path)))
    summary = docs[0]["summary"]
    print(f"checkov: {summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped "
          f"({summary['resource_count']} resources; skipped by .checkov.yaml: {', '.join(skipped_with_reasons())})")
    assert failures(docs) == []
    assert summary["failed"] == 0 and summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 300 and summary["passed"] >= 1000  # it really scanned every output


def test_every_skip_has_a_reason_and_is_still_needed(tmp_path: Path) -> None:
    reasons = skipped_with_reasons()
    for check, reason in reasons.items():
        assert len(reason) >= 80, f"{check} in .checkov.yaml needs its reason in the comment above it"
    docs = checkov(tmp_path, "--framework", "kubernetes", "--skip-download", "--check", ",".join(reasons),
                   "-d", str(scan_tree(tmp_path)))
    failing = {f["check_id"] for d in docs for f in d["results"]["failed_checks"]}
    assert failing == set(reasons), f"stale skips (remove them from .checkov.yaml): {set(reasons) - failing}"
