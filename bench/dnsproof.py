"""Time the DNS resolution proof (``dnsproof.prove``) and the route plan on synthetic fleets.

Usage: python bench/dnsproof.py [N ...]   (run from the repository root; default 1000 5000)
For each size: render once with ``pipeline.render_output`` (not timed), then time
``dnsproof.prove`` alone (best of 3 at up to 1,000 clusters), measure the peak memory it
adds (tracemalloc, one more run: Python allocations above what was live before it), and
time ``checks.run`` with its route plan (``routes.fleet_routes``) computed afresh.
Peak memory is only meaningful in a fresh process: pass one size per run to compare.
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

from generator import checks, dnsproof, pipeline
from generator.routes import fleet_routes
from generator.synth import synthetic_fleet


def one_size(n: int, runs: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_text(yaml.dump(synthetic_fleet(n), Dumper=yaml.CSafeDumper, sort_keys=False))
        loaded = pipeline.load(path, "fleet.yaml")
        assert loaded.fleet is not None
        fleet = loaded.fleet
        start = time.perf_counter()
        files = pipeline.render_output(fleet).files
        render = time.perf_counter() - start
        best, findings = float("inf"), []
        for _ in range(runs):
            gc.collect()
            start = time.perf_counter()
            findings = dnsproof.prove(fleet, files)
            best = min(best, time.perf_counter() - start)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        dnsproof.prove(fleet, files)
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        timings = {}
        for name, step in (("route plan", lambda: fleet_routes(fleet)), ("checks.run", lambda: checks.run(fleet))):
            fleet.memo.clear()
            gc.collect()
            start = time.perf_counter()
            step()
            timings[name] = time.perf_counter() - start
        print(f"{n:>6} clusters: render {render:7.2f} s   prove {best:8.3f} s (best of {runs}), "
              f"peak +{peak / 2**20:.0f} MiB   findings {len(findings)}   "
              + "   ".join(f"{k} {v:.3f} s" for k, v in timings.items()), flush=True)


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [1000, 5000]:
        one_size(size, runs=3 if size <= 1000 else 1)
