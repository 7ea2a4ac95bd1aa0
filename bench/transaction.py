"""The cost of the render transaction: the writer before the vault (a3eade0) vs now, same run, same files.

    .venv/bin/python bench/transaction.py [CLUSTERS]

Renders a synthetic fleet once, then times writing it into an empty directory,
rewriting every file (each changed), and a write where nothing changed, with the
old writer (its source read from git history) and with today's transaction
(journal, O_NOFOLLOW directory fds, lock, fsynced journal and state file).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run import load_model, median_time, write_fleet  # noqa: E402 - bench/run.py, beside this script

from generator import outdir, pipeline, write  # noqa: E402

OLD = "a3eade0"


def old_writer() -> types.ModuleType:
    source = subprocess.run(["git", "show", f"{OLD}:generator/write.py"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    source = source.replace("from generator.freshness import file_digest, last_inputs",
                            "from generator.freshness import file_digest\nlast_inputs = None")
    module = types.ModuleType("old_write")
    sys.modules["old_write"] = module
    exec(compile(source, "old_write.py", "exec"), module.__dict__)  # noqa: S102 - our own history
    return module


def median(fn: Callable[[], object], runs: int) -> float:
    return median_time(fn, runs)[0]


def main() -> None:
    clusters = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    runs = 3
    with tempfile.TemporaryDirectory() as tmp:
        fleet = load_model(write_fleet(clusters, Path(tmp)))
        start = time.perf_counter()
        contents = pipeline.render_output(fleet, keep_objects=False).contents
        render_s = time.perf_counter() - start
        changed = {p: d + b"# changed\n" for p, d in contents.items()}
        old = old_writer()
        owner = outdir.Owner(fleet.name, "../fleet.yaml")
        target = Path(tmp) / "out"

        def old_write(data: dict[str, bytes], where: Path = target) -> None:
            old.apply(where, data, old.plan(where, data))

        def new_write(data: dict[str, bytes], where: Path = target) -> None:
            write.write_tree(where, data, owner)

        result: dict[str, object] = {"clusters": clusters, "files": len(contents), "render_s": round(render_s, 2)}
        for name, writer in (("before", old_write), ("after", new_write)):
            # each fresh write into its own empty directory: deleting 11,000 files is not timed
            empty = iter(Path(tmp) / f"{name}-fresh-{i}" for i in range(runs))

            def fresh(writer: Callable[..., None] = writer) -> None:
                writer(contents, next(empty))

            result[f"{name}_fresh_s"] = round(median(fresh, runs), 2)
            for i in range(runs):
                shutil.rmtree(Path(tmp) / f"{name}-fresh-{i}")
            writer(contents)
            flip = [changed, contents]
            result[f"{name}_all_changed_s"] = round(median(lambda: writer(flip.reverse() or flip[0]), runs), 2)
            writer(contents)
            result[f"{name}_unchanged_s"] = round(median(lambda: writer(contents), runs), 2)
            shutil.rmtree(target, ignore_errors=True)
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
