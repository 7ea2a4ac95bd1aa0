"""The synthetic fleet is valid and overlap-free at scale, and the checks find a planted fault in it."""

from __future__ import annotations

from pathlib import Path

import yaml

from generator import pipeline
from generator.synth import synthetic_fleet


def _load(doc: dict[str, object], tmp_path: Path) -> pipeline.Loaded:
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return pipeline.load(path, "fleet.yaml")


def test_synthetic_fleet_has_no_findings(tmp_path: Path) -> None:
    loaded = _load(synthetic_fleet(230, group_size=50), tmp_path)
    assert loaded.fleet is not None
    assert [f.parsable() for f in loaded.findings] == []
    assert len(loaded.fleet.clusters) == 230


def test_planted_overlap_and_missing_link_are_found(tmp_path: Path) -> None:
    doc = synthetic_fleet(120, group_size=50)
    spec = doc["spec"]
    clusters = spec["clusters"]  # type: ignore[index]
    clusters[77]["network"]["podCIDRs"] = list(clusters[60]["network"]["podCIDRs"])
    spec["connectivity"]["links"][1]["clusters"].remove("c00077")  # type: ignore[index]
    loaded = _load(doc, tmp_path)
    rules = sorted((f.rule, f.severity.value, f.clusters) for f in loaded.findings)
    missing = [("link-missing", "error", (f"c{i:05d}", "c00077")) for i in range(50, 77)]
    missing += [("link-missing", "error", ("c00077", f"c{i:05d}")) for i in range(78, 100)]
    assert rules == sorted([("cidr-overlap", "error", ("c00060", "c00077"))] + missing)
