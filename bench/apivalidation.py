"""Time the API-server validation (generator/apivalidation.py) on a synthetic fleet.

Usage: python bench/apivalidation.py [N_CLUSTERS]   (default 1000; run from the repository root)
Renders the synthetic fleet once in this process, then times, as the median of 3 runs,
``apivalidation.validate`` as the pipeline runs it (each distinct object checked once,
told apart by the bytes the render writes), the same with a canonical-JSON key, and the
rules on every object with no cache, next to the render it is part of. A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from run import load_model, median_time, write_fleet  # bench/run.py, beside this script

from generator import apivalidation, pipeline


def median(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    return median_time(fn, runs)


def main(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        fleet = load_model(write_fleet(n, Path(tmp)))
    render_s, output = median(lambda: pipeline.render_output(fleet, processes=1))
    files = output.files
    documents = [o for p, o in files.items() if p.endswith((".yaml", ".yml"))]
    contents = output.contents
    cached_s, findings = median(lambda: apivalidation.validate(fleet, files, contents=contents))
    json_key_s, _ = median(lambda: apivalidation.validate(fleet, files))
    uncached_s, _ = median(lambda: [apivalidation.object_errors(o) for o in documents])
    cache: dict[str, tuple[tuple[str, str], ...]] = {}
    apivalidation.validate(fleet, files, cache=cache, contents=contents)
    return {
        "clusters": n,
        "documents": len(documents),
        "distinct_documents": len(cache),
        "render_with_validation_s": round(render_s, 2),
        "apivalidation_cached_s": round(cached_s, 3),
        "apivalidation_json_key_s": round(json_key_s, 3),
        "apivalidation_every_object_s": round(uncached_s, 3),
        "share_of_render": f"{100 * cached_s / render_s:.1f}%",
        "findings": len(findings),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=2))
