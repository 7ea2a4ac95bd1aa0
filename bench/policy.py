"""What combined mode costs: a user's one-pass combined policy, the shipped Rego twins, the built-in checks.

Usage: python bench/policy.py [CLUSTERS,...]   (default 25,50,100,200; run from the repository root)

For each size, a synthetic fleet is rendered and, on its documents, timed once each:
  user      a one-pass combined policy (headless Services grouped by name, one array pass)
  twins     the Rego twins of the cross-cluster checks (policies-combined/, conftest --combine)
  built-in  generator/crosscheck.py's two checks, which `fleetgen check` runs instead
and the cost per thousand documents. A benchmark, not a test: nothing asserts a time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from run import load_model, write_fleet  # bench/run.py, beside this script

from generator import crosscheck, pipeline
from generator.policy import evaluate, load_policies
from generator.policy.output import documents

ROOT = Path(__file__).resolve().parent.parent
USER_POLICY = """package bench.user

import rego.v1

# METADATA
# title: headless Services per name
# custom:
#   id: bench-user
deny_lonely contains msg if {
\tsome name, paths in by_name
\tcount(paths) > 100000
\tmsg := name
}

by_name[name] := [doc.path |
\tsome doc in input
\tdoc.contents.kind == "Service"
\tname := doc.contents.metadata.name
]
"""


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        user_dir = Path(tmp) / "user"
        user_dir.mkdir()
        (user_dir / "user.rego").write_text(USER_POLICY)
        user = load_policies([ROOT / "policies", user_dir])
        twins = load_policies([ROOT / "policies", ROOT / "policies-combined"])
        print("| clusters | documents | user policy s | per 1,000 docs | Rego twins s | per 1,000 docs | built-in s |")
        print("|---|---|---|---|---|---|---|")
        for n in sizes:
            where = Path(tmp) / str(n)
            where.mkdir()
            fleet = load_model(write_fleet(n, where))
            files = pipeline.render_output(fleet).files
            docs = documents(files, "output")
            k = len(docs) / 1000
            user_s = timed(lambda: evaluate(user, docs, combined=True, namespaces=["bench.user"]))
            twins_s = timed(lambda: evaluate(twins, docs, combined=True, namespaces=["fleetgen.dns", "fleetgen.workloads"]))
            built_s = timed(lambda: (crosscheck.peer_zones(fleet, files, "output"),
                                     crosscheck.workload_ports(fleet, files, "output")))
            print(f"| {n:,} | {len(docs):,} | {user_s:.2f} | {user_s / k:.2f} | {twins_s:.2f} | {twins_s / k:.2f} | {built_s:.3f} |")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1].split(",")] if len(sys.argv) > 1 else [25, 50, 100, 200])
