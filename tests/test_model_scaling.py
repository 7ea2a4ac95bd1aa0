"""Model helpers answer from indexes built once, not by scanning the fleet per call.

Counts, not times: building the render input and the facts document asks each
workload for its replicas only where it runs (one lookup per reference), where a
scan asked every workload for every cluster (quadratic in the fleet's size).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from generator import facts, view
from generator.loader import load_file
from generator.model import Fleet, Workload, build
from generator.synth import synthetic_fleet


def fleet_of(document: dict, tmp_path: Path) -> Fleet:  # type: ignore[type-arg]
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    loaded = load_file(path, "fleet.yaml")
    return build(loaded.data, loaded.source)


def test_render_input_looks_up_replicas_once_per_reference(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fleet = fleet_of(synthetic_fleet(200, group_size=20), tmp_path)
    calls: list[str] = []
    real = Workload.replicas_in

    def counting(self: Workload, cluster: str) -> int:
        calls.append(cluster)
        return real(self, cluster)

    monkeypatch.setattr(Workload, "replicas_in", counting)
    value = view.render_input(fleet)
    refs = sum(len(c["workloadRefs"]) for c in value["clusters"])
    assert refs == 200 * 2  # two workloads per group, placed in all its clusters
    assert len(calls) == refs  # a scan asked 20 workloads about each of 200 clusters: 4,000 + 400


def test_indexes_agree_with_the_fleet_file(tmp_path: Path) -> None:
    document = synthetic_fleet(6, group_size=3)
    spec = document["spec"]
    spec["groups"].append({"name": "again", "clusters": ["c00001", "c00001", "c00004"]})
    spec["workloads"][0]["placement"] = {"c00000": 0, "c00001": 2, "c00002": 1}
    fleet = fleet_of(document, tmp_path)
    first = fleet.workloads[0]
    assert first.replicas == {"c00000": 0, "c00001": 2, "c00002": 1}
    assert [first.replicas_in(c) for c in ("c00000", "c00001", "c00005")] == [0, 2, 0]
    assert [w.name for w in fleet.workloads_in("c00000")] == [fleet.workloads[1].name]
    assert fleet.workloads_in("nowhere") == ()
    assert fleet.groups_of["c00001"] == (spec["groups"][0]["name"], "again")
    by_name = {c["name"]: c for c in facts.facts(fleet)["clusters"]}
    assert by_name["c00001"]["groups"] == [spec["groups"][0]["name"], "again"]
    assert by_name["c00004"]["groups"] == [spec["groups"][1]["name"], "again"]
