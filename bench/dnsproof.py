"""Time the DNS resolution proof (``dnsproof.prove``) on synthetic fleets.

Usage: python bench/dnsproof.py [N ...]   (run from the repository root; default 1000 5000)
For each size: render once with ``pipeline.render_output`` (not timed), then time
``dnsproof.prove`` alone (best of 3) and print the number of findings.
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

from generator import dnsproof, pipeline
from generator.synth import synthetic_fleet


def one_size(n: int, runs: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_text(yaml.dump(synthetic_fleet(n), Dumper=yaml.CSafeDumper, sort_keys=False))
        loaded = pipeline.load(path, "fleet.yaml")
        assert loaded.fleet is not None
        start = time.perf_counter()
        files = pipeline.render_output(loaded.fleet).files
        render = time.perf_counter() - start
        best, findings = float("inf"), []
        for _ in range(runs):
            start = time.perf_counter()
            findings = dnsproof.prove(loaded.fleet, files)
            best = min(best, time.perf_counter() - start)
        print(f"{n:>6} clusters: render {render:7.2f} s   prove {best:8.3f} s (best of {runs})   findings {len(findings)}", flush=True)


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [1000, 5000]:
        one_size(size, runs=3 if size <= 1000 else 1)
