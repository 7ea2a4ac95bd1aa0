"""Time pipeline.load (read + schema + model + every built-in check) on synthetic fleets.

Usage: .venv/bin/python bench/load_checks.py [N ...]   (default: 100 1000)
Prints the best of three runs per size; a benchmark, not a test.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

from generator import pipeline
from generator.synth import synthetic_fleet


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"fleet-{n}.yaml"
            path.write_text(yaml.dump(synthetic_fleet(n), Dumper=yaml.CSafeDumper, sort_keys=False))
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                loaded = pipeline.load(path, path.name)
                runs.append(time.perf_counter() - start)
            ranges = sum(len(c.ranges) for c in loaded.fleet.clusters) if loaded.fleet else 0
            print(
                f"{n:6d} clusters  {ranges:6d} ranges  {path.stat().st_size:9d} bytes  "
                f"findings {len(loaded.findings):3d}  load+schema+model+checks {min(runs):.3f} s (best of 3)"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000])
