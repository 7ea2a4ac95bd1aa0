"""Run Rego policies over a render, the way conftest runs them over files.

Every rendered object and the facts document are evaluated one at a time
(conftest's default) and then all together (conftest's ``--combine``). A
per-document policy sees only the document's contents, so its verdict is a
function of those contents: byte-identical documents (a workload's headless
Service is the same in every cluster of a group) are evaluated once and the
findings copied to each of their paths. Distinct documents are spread over the
cores for large fleets.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Callable, Mapping, Sequence

from generator.diagnostics import Finding, Location, error, sorted_findings, warning
from generator.errors import UsageError
from generator.parallel import balanced_chunks, forked, workers
from generator.policy import verdicts
from generator.write import LazyFiles
from generator.policy.runner import Document, PolicySet, evaluate, load_policies

# Below this many distinct documents a second process costs more than it saves.
PARALLEL_MIN_DOCUMENTS = 2000
# The cost model that spreads documents over the workers: evaluating a document
# costs about (its JSON nodes, counted as `,` and `:` of its canonical text) plus
# this many nodes' worth of fixed cost (setting the input, one query). Measured on
# the 2,170 distinct documents of 1,000 clusters: a Service (46 nodes) ~1.0 ms, a
# ConfigMap (92) ~1.9 ms, the ApplicationSet (7,062) ~147 ms, the facts document
# (117,589) ~1.46 s; bytes predict this worse (a Corefile is long text, few nodes).
DOCUMENT_OVERHEAD_NODES = 30
# The embedded engine (regopy) slows down faster than linearly on one large
# combined input (measured: 978 documents of 100 clusters, the shipped policies
# 7.0 s, a one-pass user policy 1.1 s). Above this many documents combined-mode
# policies do not run: an error (`policy-combined-skipped`), or a warning when
# the user opted to skip them (`check --skip-combined-policies`) and runs them with
# conftest/OPA in CI. Never silently.
COMBINED_MAX_DOCUMENTS = 2000


def shipped_policies() -> Path:
    """The policies shipped with fleetgen (the repository's ``policies/``)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "policies", here.parent / "policies"):
        if candidate.is_dir():
            return candidate
    raise UsageError(f"cannot find the shipped policies next to {here}")


@lru_cache(maxsize=4)
def policy_set(dirs: tuple[Path, ...]) -> PolicySet:
    for d in dirs:
        if not d.is_dir():
            raise UsageError(f"policy directory {d} does not exist")
    return load_policies(list(dirs))


def combined_packages(policies: PolicySet, shipped: Path) -> list[str]:
    """The packages of reporting rules that are not shipped: the ones combined mode evaluates."""
    base = shipped.resolve()
    return sorted({r.package for r in policies.rules if not Path(r.location.file).resolve().is_relative_to(base)})


def document_paths(paths: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The output-relative paths policies read (every YAML file and the facts document), with their cluster."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for path in sorted(paths):
        if not (path.endswith((".yaml", ".yml")) or path == "fleet.facts.json"):
            continue
        parts = path.split("/")
        out.append((path, (parts[1],) if parts[0] == "clusters" and len(parts) > 2 else ()))
    return out


def documents(files: Mapping[str, Any], out_dir: str) -> list[Document]:
    """Every rendered YAML object and the facts document, with the cluster each belongs to."""
    return [Document(f"{out_dir}/{rel}", files[rel], 1, clusters) for rel, clusters in document_paths(files)]


def _content_keys(rels: Sequence[str], files: Mapping[str, Any], raw: Mapping[str, bytes] | None,
                  ) -> tuple[dict[str, str], dict[str, int]]:
    """Each document's content key and each key's estimated evaluation cost.

    With the files' bytes (``raw``, output-relative path -> bytes) the key is the
    digest of the bytes, which determine the parsed contents, and the cost is counted
    on them: no object is parsed or re-serialized. Otherwise the key is the digest of
    the canonical JSON of the contents.
    """
    key_of: dict[str, str] = {}
    cost: dict[str, int] = {}
    for rel in rels:
        data = raw.get(rel) if raw is not None else None
        if data is not None:
            kind = "j" if rel.endswith(".json") else "y"
            # a LazyFiles knows the digests (the verified state file's, or hashed once when read)
            key = files.key(rel) if isinstance(files, LazyFiles) else f"{hashlib.sha256(data).hexdigest()}{kind}"
            # YAML: a mapping entry per `:`, a list item per `- `; JSON: `,` and `:`
            nodes = data.count(b":") + (data.count(b",") if kind == "j" else data.count(b"- "))
        else:
            canonical = json.dumps(files[rel], sort_keys=True, separators=(",", ":")).encode()
            key = hashlib.sha256(canonical).hexdigest()  # a digest, not the text: memory
            nodes = canonical.count(b",") + canonical.count(b":")
        key_of[rel] = key
        cost.setdefault(key, nodes + DOCUMENT_OVERHEAD_NODES)
    return key_of, cost


@contextmanager
def started(
    files: Mapping[str, Any], out_dir: str, extra_dirs: Sequence[Path] = (), *, skip_combined: bool = False,
    raw: Mapping[str, bytes] | None = None,
) -> Iterator[Callable[[], list[Finding]]]:
    """The policies over a render, per-document evaluation started now; their findings when asked.

    Workers are forked on entry, before the caller reads ``files`` (a ``LazyFiles``
    parses on first read): each worker parses only the documents it evaluates, and
    the parent stays free for its own work until it calls the yielded function,
    which collects the per-document verdicts, runs combined mode and returns every
    policy finding. ``raw`` (the files' bytes) makes grouping identical documents
    cheap. Above ``COMBINED_MAX_DOCUMENTS`` combined mode does not run: an error
    finding, or a warning with ``skip_combined`` (the user runs them elsewhere).
    """
    shipped = shipped_policies()
    policies = policy_set((shipped, *extra_dirs))
    paths = document_paths(files)
    key_of, cost = _content_keys([rel for rel, _ in paths], files, raw)
    groups: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for rel, clusters in paths:
        groups.setdefault(key_of[rel], []).append((rel, clusters))
    cache_key = verdicts.policy_digest(policies)
    known = verdicts.load(cache_key)
    todo = [members[0] for key, members in groups.items() if key not in known]
    count = workers() if len(todo) >= PARALLEL_MIN_DOCUMENTS else 1
    batches = balanced_chunks(todo, lambda doc: cost[key_of[doc[0]]], count)

    def evaluate_batch(batch: list[tuple[str, tuple[str, ...]]]) -> list[Finding]:
        return evaluate(policies, [Document(f"{out_dir}/{rel}", files[rel], 1, clusters) for rel, clusters in batch])

    with forked(evaluate_batch, batches if todo else [], count) as results:

        def finish() -> list[Finding]:
            prefix = f"{out_dir}/"
            fresh: dict[str, list[Finding]] = {key_of[rel]: [] for rel, _ in todo}
            for batch_findings in results():
                for finding in batch_findings:
                    fresh[key_of[finding.location.file.removeprefix(prefix)]].append(finding)
            for rel, clusters in todo:
                known[key_of[rel]] = verdicts.store(fresh[key_of[rel]], clusters)
            if todo:
                verdicts.save(cache_key, {key: known[key] for key in groups})
            findings: list[Finding] = []
            for key, members in groups.items():
                for rel, clusters in members:
                    findings.extend(verdicts.restore(known[key], f"{out_dir}/{rel}", clusters))
            return findings + _combined(policies, shipped, files, paths, out_dir, extra_dirs, skip_combined)

        yield finish


def policy_findings(
    files: Mapping[str, Any], out_dir: str, extra_dirs: Sequence[Path] = (), *, skip_combined: bool = False,
    raw: Mapping[str, bytes] | None = None,
) -> list[Finding]:
    """Findings of the shipped policies plus ``extra_dirs`` over a render, per document and combined."""
    with started(files, out_dir, extra_dirs, skip_combined=skip_combined, raw=raw) as finish:
        return sorted_findings(finish())


def _combined(policies: PolicySet, shipped: Path, files: Mapping[str, Any], paths: list[tuple[str, tuple[str, ...]]],
              out_dir: str, extra_dirs: Sequence[Path], skip_combined: bool) -> list[Finding]:
    # The shipped policies are per-document ones (their cross-document twins are built-in
    # checks, generator/crosscheck.py): combined mode runs the user's packages only.
    user = combined_packages(policies, shipped)
    findings: list[Finding] = []
    if user and len(paths) <= COMBINED_MAX_DOCUMENTS:
        docs = [Document(f"{out_dir}/{rel}", files[rel], 1, clusters) for rel, clusters in paths]
        findings += evaluate(policies, docs, combined=True, namespaces=user)
    elif user:
        how = (
            "skipped as asked (--skip-combined-policies)" if skip_combined
            else "pass --skip-combined-policies to skip them on purpose"
        )
        dirs = " ".join(f"--policy {d.as_posix()}" for d in extra_dirs)
        findings.append(
            (warning if skip_combined else error)(
                "policy-combined-skipped",
                f"combined-mode policies were not evaluated: {len(paths):,} documents exceed the "
                f"{COMBINED_MAX_DOCUMENTS:,} the embedded Rego engine evaluates in reasonable time "
                f"(packages {', '.join(user)}); per-document policies ran; {how}. Run them with conftest: "
                f"`conftest test --combine --all-namespaces --policy policies {dirs} {out_dir}`",
                Location(f"{out_dir}/fleet.facts.json", 1, 1),
            )
        )
    return findings
