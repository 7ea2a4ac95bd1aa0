"""Time the writer's serialization (generator/write.py, generator/yamlemit.py) before and after the fast paths.

Usage: python bench/serialize.py [N_CLUSTERS] [RUNS]   (default 1000 and 5; run from the repository root)
Renders the synthetic fleet once in this process, then times (wall and CPU seconds),
as the minimum of RUNS alternating runs (the machine is shared; noise only adds time),
``write.serialize_all`` against the serializer it replaced (``yaml.dump`` of every
YAML file with the same Dumper, ``json.dumps(indent=2)`` of every JSON file), split
into YAML and JSON, and then ``pipeline.render_output`` (one process) with each of
the two. Both must give the same bytes. A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import yaml
from run import load_model, write_fleet  # bench/run.py, beside this script

from generator import pipeline, write


def before(files: dict[str, Any], fleet_file: str, styles: Any = None) -> dict[str, bytes]:
    """``write.serialize_all`` as it was: PyYAML's representer for every YAML file, json's Python encoder."""

    def one(path: str, obj: Any) -> bytes:
        if path.endswith(".json"):
            return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
        body = yaml.dump(write._ordered(obj) if isinstance(obj, dict) else obj, Dumper=write._Dumper,
                         sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)
        return (write.header(fleet_file) + body).encode()

    return {path: one(path, files[path]) for path in sorted(files)}


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call (CPU time: less disturbed by the other users of a shared machine)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main(n: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        fleet = load_model(write_fleet(n, Path(tmp)))
    files = pipeline.render_output(fleet, processes=1, validate=False).files
    parts = {
        "all": files,
        "yaml": {p: o for p, o in files.items() if not p.endswith(".json")},
        "json": {p: o for p, o in files.items() if p.endswith(".json")},
    }
    assert before(files, "fleet.yaml") == write.serialize_all(files, "fleet.yaml")
    times: dict[str, list[tuple[float, float, Any]]] = {}
    for _ in range(runs):
        for name, fn in (("before", before), ("after", write.serialize_all)):
            for part, chosen in parts.items():
                times.setdefault(f"serialize_{part}_{name}", []).append(timed(lambda: fn(chosen, "fleet.yaml")))
    contents: dict[str, dict[str, bytes]] = {}
    for _ in range(max(2, runs // 2)):
        for name, fn in (("before", before), ("after", write.serialize_all)):
            pipeline.serialize_all = fn  # what render_output calls, in this process only
            run = timed(lambda: pipeline.render_output(fleet, keep_objects=False, processes=1).contents)
            contents[name] = run[2]
            times.setdefault(f"render_output_{name}", []).append(run)
    pipeline.serialize_all = write.serialize_all
    assert contents["before"] == contents["after"]
    out: dict[str, Any] = {"clusters": n, "files": len(files), "yaml_files": len(parts["yaml"]),
                           "json_files": len(parts["json"]), "runs": runs}
    for stage in [*(f"serialize_{part}" for part in parts), "render_output"]:
        for i, unit in ((0, "s"), (1, "cpu_s")):
            b = min(t[i] for t in times[f"{stage}_before"])
            a = min(t[i] for t in times[f"{stage}_after"])
            out[f"{stage}_before_{unit}"] = round(b, 3)
            out[f"{stage}_after_{unit}"] = round(a, 3)
            out[f"{stage}_speedup_{unit}"] = round(b / a, 2)
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(int(args[0]) if args else 1000, int(args[1]) if len(args) > 1 else 5), indent=2))
