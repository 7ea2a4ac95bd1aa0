"""`fleetgen graph`: exact Mermaid/dot for the seed fleet, folding of big fleets, the real Mermaid parser, SVG."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import graph, pipeline
from generator.synth import synthetic_fleet

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "tests" / "js"
DOCS = ROOT / "docs" / "graph"


def _fleet(path: Path):  # type: ignore[no-untyped-def]
    loaded = pipeline.load(path, path.name)
    assert loaded.fleet is not None
    return loaded.fleet


def _synthetic(tmp_path: Path, n: int, group_size: int = 10) -> Path:
    path = tmp_path / f"fleet-{n}.yaml"
    path.write_text(yaml.safe_dump(synthetic_fleet(n, group_size=group_size), sort_keys=False))
    return path


SEED_MERMAID = """\
---
title: "stateful-eu: 2 clusters, native routing, mesh none, discovery forward"
---
flowchart LR
  subgraph p0["aws"]
    subgraph p0r0["eu-west-1"]
      n0["<b>aws-euwest1</b><br/>zone aws-euwest1.local<br/>node 10.10.0.0/16<br/>pod 10.100.0.0/16<br/>svc 172.20.0.0/16<br/>cassandra x3"]
    end
  end
  subgraph p1["gcp"]
    subgraph p1r0["europe-west4"]
      n1["<b>gcp-europe-west4-c</b><br/>zone gcp-europe-west4-c.local<br/>node 10.20.0.0/16<br/>pod 10.200.0.0/16<br/>svc 172.21.0.0/16<br/>cassandra x3"]
    end
  end
  n0 ---|vpn| n1
"""


def test_seed_mermaid_exact(fleetgen) -> None:  # type: ignore[no-untyped-def]
    run = fleetgen("graph", str(ROOT / "fleet.yaml"))
    assert (run.code, run.out, run.err) == (0, SEED_MERMAID, "")


def test_seed_dot_exact_edges_and_groups(fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = fleetgen("graph", str(ROOT / "fleet.yaml"), "--format", "dot").out
    assert '  subgraph cluster_p1 { label="gcp"; style=rounded; color="#57606a";\n' in out
    assert ('      n1 [label="gcp-europe-west4-c\\nzone gcp-europe-west4-c.local\\nnode 10.20.0.0/16\\n'
            'pod 10.200.0.0/16\\nsvc 172.21.0.0/16\\ncassandra x3", fillcolor="white"];\n') in out
    assert '  n0 -> n1 [label="vpn"];\n}\n' in out


def test_link_of_three_is_a_hub_not_a_triangle(fleetgen) -> None:  # type: ignore[no-untyped-def]
    out = fleetgen("graph", str(ROOT / "examples" / "overlay-calico" / "fleet.yaml")).out
    assert out.endswith('  n3(("vpn eu-vpn<br/>3 members"))\n  n3 --- n0\n  n3 --- n1\n  n3 --- n2\n')


def test_fifty_clusters_fold_into_provider_groups(tmp_path: Path) -> None:
    topo = graph.topology(_fleet(_synthetic(tmp_path, 50)))
    clusters = [n for n in topo.nodes if not n.hub]
    assert [(n.provider, n.lines[0]) for n in clusters] == [
        ("aws", "13 clusters"), ("gcp", "13 clusters"), ("azure", "12 clusters"), ("generic", "12 clusters")]
    assert clusters[0].lines[1:4] == ("c00000, c00004, c00008 +10 more", "region-0, region-1, region-2 +2 more",
                                      "node 10.0.0.0/15, 10.8.0.0/15 +11 more")
    assert clusters[0].lines[-1] == "+7 more workloads"
    assert len([n for n in topo.nodes if n.hub]) == 5
    assert sorted({e.text for e in topo.edges}) == ["2 members", "3 members"]
    assert sum(e.count for e in topo.edges) == 50  # every member of every link is still counted once


def test_twenty_clusters_fold_per_region_only(tmp_path: Path) -> None:
    topo = graph.topology(_fleet(_synthetic(tmp_path, 20, group_size=10)))
    assert [(n.provider, n.region, n.lines[0]) for n in topo.nodes if not n.hub] == [
        ("aws", "region-0", "3 clusters"), ("gcp", "region-0", "3 clusters"), ("azure", "region-0", "2 clusters"),
        ("generic", "region-0", "2 clusters"), ("azure", "region-1", "3 clusters"),
        ("generic", "region-1", "3 clusters"), ("aws", "region-1", "2 clusters"), ("gcp", "region-1", "2 clusters")]


def test_change_graph_marks_added_removed_changed(tmp_path: Path) -> None:
    base = _fleet(ROOT / "fleet.yaml")
    moved = tmp_path / "fleet.yaml"
    from test_diff import MOVE_TO_AZURE, SEED, _edit

    moved.write_text(_edit(SEED, MOVE_TO_AZURE))
    text = graph.mermaid(graph.change_topology(base, _fleet(moved)))
    assert "  n0 ===|vpn| n2\n  n1 ===|vpn| n2\n  linkStyle 1 stroke:#1a7f37,stroke-width:3px\n" in text
    assert text.endswith("  class n2 added\n  classDef changed fill:#fff8c5,stroke:#9a6700,stroke-width:2px\n"
                         "  class n1 changed\n")
    assert "svc 172.21.0.0/16<br/>was: cassandra x3\"]\n" in text  # what the changed cluster lost
    back = graph.mermaid(graph.change_topology(_fleet(moved), base))
    assert "  n0 -.-|vpn| n2\n" in back and "  class n2 removed\n" in back


def test_hostile_text_cannot_leave_a_label() -> None:
    assert graph._mm_text('eu"]; click n0 "javascript:x" <b>') == (
        "eu#34;#93;#59; click n0 #34;javascript:x#34; #60;b#62;")


def test_svg_needs_graphviz(fleetgen, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", str(tmp_path))
    run = fleetgen("graph", str(ROOT / "fleet.yaml"), "--format", "svg")
    assert run.code == 2 and run.out == ""
    assert run.err == ("fleetgen: --format svg needs Graphviz's `dot`, which is not installed (Debian/Ubuntu: "
                       "apt-get install graphviz; macOS: brew install graphviz); --format mermaid and --format dot "
                       "work without it\n")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed (the missing case is tested above)")
def test_svg_through_graphviz(fleetgen) -> None:  # type: ignore[no-untyped-def]
    run = fleetgen("graph", str(ROOT / "fleet.yaml"), "--format", "svg")
    assert run.code == 0 and "<svg" in run.out and ">gcp&#45;europe&#45;west4&#45;c</text>" in run.out


def test_committed_pictures_are_fresh() -> None:
    for name in ("mesh-cilium", "overlay-calico"):
        fleet = _fleet(ROOT / "examples" / name / "fleet.yaml")
        assert (DOCS / f"{name}.mmd").read_text() == graph.mermaid(graph.topology(fleet)), name


def _mermaid_parser() -> Path:
    """tests/js with its node_modules (installed here with `npm ci` if missing: never a skip)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm are needed to check the Mermaid output with the real parser")
    if not (JS / "node_modules" / "mermaid" / "package.json").is_file():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(JS)], check=True,
                       capture_output=True, timeout=600)
    return JS / "parse.mjs"


def test_mermaid_parses_with_the_real_parser(tmp_path: Path) -> None:
    parser = _mermaid_parser()
    sources = {
        "seed": graph.mermaid(graph.topology(_fleet(ROOT / "fleet.yaml"))),
        "fifty": graph.mermaid(graph.topology(_fleet(_synthetic(tmp_path, 50)))),
        "broken": "flowchart LR\n  n0 ---|vpn| \n",
    }
    for example in sorted((ROOT / "examples").glob("*/fleet.yaml")):
        sources[example.parent.name] = graph.mermaid(graph.topology(_fleet(example)))
    base = _fleet(ROOT / "fleet.yaml")
    from test_diff import MOVE_TO_AZURE, SEED, _edit

    moved = tmp_path / "moved.yaml"
    moved.write_text(_edit(SEED, MOVE_TO_AZURE))
    sources["change"] = graph.mermaid(graph.change_topology(base, _fleet(moved)))
    sources["change-back"] = graph.mermaid(graph.change_topology(_fleet(moved), base))
    files = []
    for name, text in sources.items():
        (tmp_path / f"{name}.mmd").write_text(text)
        files.append(str(tmp_path / f"{name}.mmd"))
    proc = subprocess.run(["node", str(parser), *files], capture_output=True, text=True, timeout=300)
    lines = dict(line.split(" ", 2)[1::-1] for line in proc.stdout.splitlines())  # file -> "ok"/"error"
    results = {Path(f.rstrip(":")).stem: status for f, status in lines.items()}
    assert results.pop("broken") == "error"  # the parser really rejects a broken diagram
    assert results == {name: "ok" for name in sources if name != "broken"}, proc.stdout + proc.stderr


def test_invalid_fleet_is_refused(fleetgen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "fleet.yaml"
    bad.write_text((ROOT / "fleet.yaml").read_text().replace("provider: gcp", "provider: ibm"))
    run = fleetgen("graph", str(bad))
    assert run.code == 1 and run.out == ""
    assert run.err.startswith(f"{bad}:41:17: [error] schema spec.clusters[1].provider: ")
    assert run.err.endswith("graph refused: the fleet does not validate\n")
