"""Shared helpers for the routing, overlay and allocate tests: fleets as text, findings as parsable lines."""

from __future__ import annotations

from pathlib import Path

from generator import pipeline

HEAD = """apiVersion: fleetgen/v1alpha1
kind: Fleet
metadata:
  name: t
spec:
  gitops:
    repoURL: https://git.example.com/fleet.git
"""


def cluster(name: str, octet: int, *, pods: bool = True, extra: str = "") -> str:
    pod_line = f"        podCIDRs: [10.{100 + octet}.0.0/16]\n" if pods else ""
    return (
        f"    - name: {name}\n"
        "      provider: generic\n"
        f"      apiServer: https://{name}.example.com\n"
        "      network:\n"
        f"        nodeCIDRs: [10.{octet}.0.0/16]\n"
        f"{pod_line}"
        f"        serviceCIDRs: [172.{20 + octet}.0.0/16]\n"
        "      dns:\n"
        f"        endpoint: 10.{octet}.255.10\n"
        f"{extra}"
    )


def write(tmp_path: Path, text: str, name: str = "fleet.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def findings(path: Path, rule: str) -> list[str]:
    loaded = pipeline.load(path, path.name)
    return [f.parsable() for f in loaded.findings if f.rule == rule]


def all_findings(path: Path) -> list[str]:
    return [f.parsable() for f in pipeline.load(path, path.name).findings]
