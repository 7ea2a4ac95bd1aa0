"""Time the stateful-orphan comparison (``orphans.check``) on synthetic fleets.

Renders a fleet of N clusters into a temporary output directory (the committed
output), then times the comparison with the same render (nothing orphaned) and
with the files of the last 10% of clusters dropped (as if they left the fleet).

    .venv/bin/python bench/orphans.py 200 1000
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

import yaml

from generator import commands, orphans, pipeline
from generator.synth import synthetic_fleet


def one_size(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        doc = synthetic_fleet(n)
        fleet = d / "fleet.yaml"
        fleet.write_text(yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False))
        assert commands.render(fleet, d / "output", stdout=io.StringIO(), stderr=io.StringIO()) == 0
        loaded = pipeline.load(fleet, "fleet.yaml")
        assert loaded.fleet is not None
        files = pipeline.render_output(loaded.fleet).files
        dropped = {c["name"] for c in doc["spec"]["clusters"][n - n // 10:]}
        fewer = {p: o for p, o in files.items() if not (p.startswith("clusters/") and p.split("/")[1] in dropped)}
        for label, current in (("unchanged", files), ("10% of clusters gone", fewer)):
            start = time.perf_counter()
            found = orphans.check(loaded.fleet, current, d / "output")
            took = time.perf_counter() - start
            print(f"{n:>5} clusters, {len(files):>6} files, {label:<22} {took * 1000:8.0f} ms  {len(found)} findings")


if __name__ == "__main__":
    for size in (int(a) for a in sys.argv[1:] or ["200"]):
        one_size(size)
