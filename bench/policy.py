"""Time the shipped policies on N small rendered-looking documents.

Usage: python bench/policy.py [N]   (run from the repository root)
Prints compile time, per-document evaluation and one combined evaluation.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from generator.policy import Document, evaluate, load_policies


def documents(count: int) -> list[Document]:
    docs = []
    for index in range(count):
        cluster = f"c{index % 10}"
        if index % 2:
            contents = {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"svc{index // 20}", "namespace": "db", "labels": {"app": "x"}},
                "spec": {"clusterIP": "None", "ports": [{"name": "cql", "port": 9042}]},
            }
        else:
            contents = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cm{index}", "namespace": "db"},
                "data": {"seeds": "a-0.a.db.svc.c0.local,a-0.a.db.svc.c1.local"},
            }
        docs.append(Document(f"output/clusters/{cluster}/workloads/doc-{index}.yaml", contents))
    return docs


def main(count: int) -> None:
    start = time.perf_counter()
    policies = load_policies([Path("policies")])
    compiled = time.perf_counter()
    docs = documents(count)
    per_doc = evaluate(policies, docs)
    evaluated = time.perf_counter()
    combined = evaluate(policies, docs, combined=True)
    done = time.perf_counter()
    print(f"rules: {len(policies.rules)} in {len(policies.packages)} packages")
    print(f"compile: {(compiled - start) * 1000:.1f} ms")
    print(
        f"per-document: {count} docs in {(evaluated - compiled) * 1000:.1f} ms "
        f"({(evaluated - compiled) * 1e6 / count:.0f} us/doc), {len(per_doc)} findings"
    )
    print(f"combined: {count} docs in {(done - evaluated) * 1000:.1f} ms, {len(combined)} findings")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
