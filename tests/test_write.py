"""Writing output: deterministic, only-changed, pruning only what fleetgen owns."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.conftest import ROOT, tree


def test_render_twice_same_bytes_and_untouched_mtimes(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "output"
    assert fleetgen("render", str(example), "-o", str(out)).code == 0
    first = tree(out)
    stamps = {p: (out / p).stat().st_mtime_ns for p in first}
    for p in first:  # make any rewrite visible in the mtime
        os.utime(out / p, ns=(1_000_000_000, 1_000_000_000))
    run = fleetgen("render", str(example), "-o", str(out))
    assert run.code == 0
    assert run.out == f"{out}/ is up to date ({len(first) - 1} files, 2 clusters); nothing rendered\n"
    assert tree(out) == first
    assert all((out / p).stat().st_mtime_ns == 1_000_000_000 for p in first), "a no-op render rewrote files"
    assert stamps  # sanity: there was output


def test_no_op_render_without_the_cache_rewrites_nothing(example: Path, tmp_path: Path, fleetgen, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "output"
    assert fleetgen("render", str(example), "-o", str(out)).code == 0
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh-clone-cache"))
    first = tree(out)
    for p in first:
        os.utime(out / p, ns=(1_000_000_000, 1_000_000_000))
    run = fleetgen("render", str(example), "-o", str(out))
    assert f"0 added, 0 changed, 0 removed, {len(first) - 1} unchanged" in run.out
    assert all((out / p).stat().st_mtime_ns == 1_000_000_000 for p in first), "a no-op render rewrote files"


def test_a_hand_edited_output_file_defeats_the_shortcut_and_is_restored(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "output"
    assert fleetgen("render", str(example), "-o", str(out)).code == 0
    seeds = out / "clusters" / "aws-euwest1" / "workloads" / "db" / "cassandra" / "configmap-seeds.yaml"
    original = seeds.read_bytes()
    seeds.write_bytes(original.replace(b"cassandra-1", b"cassandra-9"))
    run = fleetgen("render", str(example), "-o", str(out))
    assert "0 added, 1 changed, 0 removed" in run.out
    assert seeds.read_bytes() == original


def test_output_matches_the_committed_example(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "output"
    assert fleetgen("render", str(example), "-o", str(out)).code == 0
    assert tree(out) == tree(ROOT / "output")


def test_dropped_cluster_is_pruned_but_foreign_files_stay(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "output"
    assert fleetgen("render", str(example), "-o", str(out)).code == 0
    (out / "README.md").write_text("notes kept by the team\n")
    (out / "clusters" / "gcp-europe-west4-c" / "extra.yaml").write_text("kind: ConfigMap\n")
    text = example.read_text()
    # drop cluster B, its workload placement and link
    text = text.replace("      - clusters: [aws-euwest1, gcp-europe-west4-c]\n        via: vpn\n", "")
    text = text.replace("    links:\n", "    links: []\n")
    text = text[: text.index("    - name: gcp-europe-west4-c")] + text[text.index("  workloads:"):]
    text = text.replace("        gcp-europe-west4-c: 3\n", "")
    example.write_text(text)
    run = fleetgen("render", str(example), "-o", str(out))
    assert run.code == 0, run.err
    remaining = tree(out)
    assert not any(p.startswith("clusters/gcp-europe-west4-c/") and p != "clusters/gcp-europe-west4-c/extra.yaml" for p in remaining)
    assert remaining["README.md"] == b"notes kept by the team\n"
    assert remaining["clusters/gcp-europe-west4-c/extra.yaml"] == b"kind: ConfigMap\n"
    assert "clusters/aws-euwest1/kustomization.yaml" in remaining


def test_refuses_to_overwrite_a_file_it_does_not_own(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "output"
    (out / "hub").mkdir(parents=True)
    (out / "hub" / "kustomization.yaml").write_text("# mine\n")
    run = fleetgen("render", str(example), "-o", str(out))
    assert run.code == 2
    assert run.err == (
        f"fleetgen: refusing to overwrite files fleetgen does not own: {out}/hub/kustomization.yaml; "
        f"move them out of {out}/ or delete them\n"
    )
    assert tree(out) == {"hub/kustomization.yaml": b"# mine\n"}, "nothing else may be written"


def test_check_mode_lists_changes_writes_nothing(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "output"
    shutil.copytree(ROOT / "output", out)
    assert fleetgen("render", str(example), "-o", str(out), "--check").code == 0
    example.write_text(example.read_text().replace("seedsPerCluster: 2", "seedsPerCluster: 1"))
    (out / "clusters" / "aws-euwest1" / "namespaces" / "db.yaml").unlink()
    before = tree(out)
    run = fleetgen("render", str(example), "-o", str(out), "--check")
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[:4] == [
        f"added    {out}/clusters/aws-euwest1/namespaces/db.yaml",
        f"changed  {out}/clusters/aws-euwest1/workloads/db/cassandra/configmap-seeds.yaml",
        f"changed  {out}/clusters/gcp-europe-west4-c/workloads/db/cassandra/configmap-seeds.yaml",
        f"changed  {out}/fleet.facts.json",
    ]
    assert lines[4].startswith(f"{out}/ is out of date: 1 added, 3 changed, 0 removed")
    assert tree(out) == before


def test_failed_render_leaves_previous_output_intact(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "output"
    assert fleetgen("render", str(example), "-o", str(out)).code == 0
    before = tree(out)
    broken = tmp_path / "blueprints"
    shutil.copytree(ROOT / "blueprints", broken)
    stateful = broken / "workloads" / "stateful.libsonnet"
    stateful.write_text(stateful.read_text().replace("clusterIP: 'None'", "clusterIP: 'None', clusterIp: 'typo'"))
    run = fleetgen("render", str(example), "-o", str(out), "--blueprints", str(broken))
    assert run.code == 1
    assert (
        f"{out}/clusters/aws-euwest1/workloads/db/cassandra/service-headless.yaml:1:1: [error] manifest-schema "
        "Service cassandra: spec: Additional properties are not allowed ('clusterIp' was unexpected)"
    ) in run.err.splitlines()
    assert tree(out) == before


def test_blueprint_error_is_reported_without_traceback(example: Path, tmp_path: Path, fleetgen) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "blueprints"
    shutil.copytree(ROOT / "blueprints", broken)
    (broken / "fleet.jsonnet").write_text("function(input) { x: error 'must provide zone' }\n")
    run = fleetgen("render", str(example), "-o", str(tmp_path / "out"), "--blueprints", str(broken))
    assert run.code == 1
    assert "[error] render blueprint evaluation failed: runtime error: must provide zone" in run.err
    assert "Traceback" not in run.err
    assert not (tmp_path / "out").exists()
