"""The fleet's topology as a picture: Mermaid (renders on GitHub/GitLab as it is), Graphviz dot, SVG via ``dot``.

Clusters are grouped by provider, then region, each labelled with its ranges, zone and
the workloads placed there (replicas). Links with two members are edges labelled
with their kind; a link with more members (a transit gateway, a peering mesh) is a
small hub node joined to each member, so a 50-member link draws 50 edges, not 1,225.
Above ``COLLAPSE_AT`` clusters, the unchanged clusters of one provider/region fold
into one node (count, ranges, replicas summed) and their links are counted, so a big
fleet stays legible; changed clusters stay expanded.

``change_topology(base, head)`` is the picture of a change: added things in one style,
removed things in another, changed clusters in a third.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, replace
from typing import Callable

from generator.errors import FleetError
from generator.model import Cluster, Fleet, Link, parse_network
from generator.routes import summarise

COLLAPSE_AT = 12  # more clusters than this: fold unchanged clusters per provider/region
GROUP_WORKLOADS = 3  # workloads listed in a folded node's label; the rest are counted
DOT_TIMEOUT = 60

SAME, ADDED, REMOVED, CHANGED = "same", "added", "removed", "changed"


class GraphvizMissing(FleetError):
    """``--format svg`` without Graphviz installed (exit 2)."""


@dataclass(frozen=True)
class Node:
    id: str
    provider: str
    region: str
    lines: tuple[str, ...]  # first line is the title
    status: str = SAME
    hub: bool = False  # a link of more than two members
    replicas: tuple[tuple[str, int], ...] = ()  # workload -> replicas here
    ranges: tuple[tuple[str, str], ...] = ()  # (short field name, CIDR text)
    group: tuple[str, ...] = ()  # the clusters a folded node stands for

    @property
    def members(self) -> tuple[str, ...]:
        return self.group or (self.lines[0],)


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    label: str
    status: str = SAME
    count: int = 1  # links folded into this edge

    @property
    def text(self) -> str:
        if not self.label:  # an edge to a hub: the hub names the link kind
            return "" if self.count == 1 else f"{self.count} members"
        return self.label if self.count == 1 else f"{self.label} x{self.count}"


@dataclass(frozen=True)
class Topology:
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


_SHORT = {"nodeCIDRs": "node", "podCIDRs": "pod", "serviceCIDRs": "svc"}


def _cluster_lines(fleet: Fleet, c: Cluster) -> tuple[str, ...]:
    lines = [c.name, f"zone {c.zone}"]
    for field, short in _SHORT.items():
        texts = [r.text for r in c.cidrs(field)]
        if texts:
            lines.append(f"{short} {', '.join(texts)}")
    if c.mesh_id is not None and fleet.mesh.type != "none":
        lines.append(f"mesh id {c.mesh_id}")
    for w in fleet.workloads_in(c.name):
        lines.append(f"{w.name} x{w.replicas_in(c.name)}")
    return tuple(lines)


def _title(fleet: Fleet) -> str:
    return (f"{fleet.name}: {len(fleet.clusters)} clusters, {fleet.connectivity.mode} routing, "
            f"mesh {fleet.mesh.type}, discovery {fleet.dns.discovery}")


def _link_key(link: Link) -> tuple[str, tuple[str, ...]]:
    return link.via, tuple(dict.fromkeys(link.clusters))


def _parts(fleet: Fleet) -> tuple[dict[str, Node], dict[tuple[str, str, str], Edge]]:
    """Cluster and hub nodes by key, edges by (a, b, label); ids are assigned later."""
    nodes: dict[str, Node] = {}
    for c in fleet.clusters:
        replicas = tuple((w.name, w.replicas_in(c.name)) for w in fleet.workloads_in(c.name))
        ranges = tuple((_SHORT[r.field], r.text) for r in c.ranges)
        nodes.setdefault(c.name, Node(c.name, c.provider, c.region or "(no region)", _cluster_lines(fleet, c),
                                      replicas=replicas, ranges=ranges))
    edges: dict[tuple[str, str, str], Edge] = {}
    for link in fleet.connectivity.links:
        via, members = _link_key(link)
        known = [m for m in members if m in nodes]
        if len(members) == 2 and len(known) == 2:
            edges[(known[0], known[1], via)] = Edge(known[0], known[1], via)
        elif len(known) > 2 or (len(members) > 2 and known):
            hub = f"{via}:{','.join(members)}"
            nodes[hub] = Node(hub, "", "", (f"{via} {link.name}", f"{len(members)} members"), hub=True)
            for m in known:
                edges[(hub, m, "")] = Edge(hub, m, "")
    return nodes, edges


def topology(fleet: Fleet) -> Topology:
    nodes, edges = _parts(fleet)
    return _collapse(Topology(_title(fleet), tuple(nodes.values()), tuple(edges.values())))


def change_topology(base: Fleet, head: Fleet) -> Topology:
    """Head's topology with base's removed clusters and links added back, each marked."""
    old_nodes, old_edges = _parts(base)
    new_nodes, new_edges = _parts(head)
    nodes: dict[str, Node] = {}
    for key, node in new_nodes.items():
        if key not in old_nodes:
            nodes[key] = replace(node, status=ADDED)
        elif old_nodes[key].lines != node.lines or (old_nodes[key].provider, old_nodes[key].region) != (
                node.provider, node.region):
            gone = tuple(f"was: {line}" for line in old_nodes[key].lines[1:] if line not in node.lines)
            nodes[key] = replace(node, status=CHANGED, lines=node.lines + gone)
        else:
            nodes[key] = node
    for key, node in old_nodes.items():
        if key not in new_nodes:
            nodes[key] = replace(node, status=REMOVED)
    edges: dict[tuple[str, str, str], Edge] = {}
    for ekey, edge in new_edges.items():
        edges[ekey] = edge if ekey in old_edges else replace(edge, status=ADDED)
    for ekey, edge in old_edges.items():
        if ekey not in new_edges:
            edges[ekey] = replace(edge, status=REMOVED)
    title = _title(head)
    if _title(base) != title:
        title = f"{title} (was: {_title(base).split(': ', 1)[1]})"
    return _collapse(Topology(title, tuple(nodes.values()), tuple(edges.values())))


def _collapse(topo: Topology) -> Topology:
    """Fold unchanged clusters per provider/region; if that still leaves too many, per provider."""
    if sum(1 for n in topo.nodes if not n.hub) <= COLLAPSE_AT:
        return topo
    topo = _fold(topo, lambda n: (n.provider, n.region))
    if sum(1 for n in topo.nodes if not n.hub) <= COLLAPSE_AT:
        return topo
    return _fold(topo, lambda n: (n.provider, ""))


def _fold(topo: Topology, key_of: Callable[[Node], tuple[str, str]]) -> Topology:
    folded: dict[tuple[str, str], list[Node]] = {}
    for n in topo.nodes:
        if not n.hub and n.status == SAME:
            folded.setdefault(key_of(n), []).append(n)
    into: dict[str, str] = {}
    groups: list[Node] = []
    for (provider, region), members in folded.items():
        if len(members) < 2:
            continue
        key = f"group:{provider}/{region}"
        for m in members:
            into[m.id] = key
        names = tuple(name for m in members for name in m.members)
        replicas: dict[str, int] = {}
        for m in members:
            for w, count in m.replicas:
                replicas[w] = replicas.get(w, 0) + count
        ranges = tuple(r for m in members for r in m.ranges)
        regions = tuple(dict.fromkeys(m.region for m in members))
        label = region or (regions[0] if len(regions) == 1 else f"{len(regions)} regions")
        groups.append(Node(key, provider, label, _group_lines(names, regions if not region else (), ranges, replicas),
                           replicas=tuple(replicas.items()), ranges=ranges, group=names))
    nodes = [n for n in topo.nodes if n.id not in into] + groups
    counted: dict[tuple[str, str, str, str], int] = {}
    for e in topo.edges:
        a, b = into.get(e.a, e.a), into.get(e.b, e.b)
        if a == b:
            continue  # inside one folded group: its label says how many clusters it holds
        counted[(a, b, e.label, e.status)] = counted.get((a, b, e.label, e.status), 0) + e.count
    edges = tuple(Edge(a, b, label, status, n) for (a, b, label, status), n in counted.items())
    return Topology(topo.title, tuple(nodes), edges)


def _group_lines(
    names: tuple[str, ...], regions: tuple[str, ...], ranges: tuple[tuple[str, str], ...], replicas: dict[str, int]
) -> tuple[str, ...]:
    shown = ", ".join(names[:3]) + (f" +{len(names) - 3} more" if len(names) > 3 else "")
    lines = [f"{len(names)} clusters", shown]
    if len(regions) > 1:
        lines.append(", ".join(regions[:3]) + (f" +{len(regions) - 3} more" if len(regions) > 3 else ""))
    for short in _SHORT.values():
        summary = summarise(n for n in (parse_network(t) for s, t in ranges if s == short) if n is not None)
        if summary:
            lines.append(f"{short} {', '.join(map(str, summary[:2]))}"
                         + (f" +{len(summary) - 2} more" if len(summary) > 2 else ""))
    placed = [f"{w} x{n} in total" for w, n in replicas.items()]
    if len(placed) > GROUP_WORKLOADS:
        placed = placed[:GROUP_WORKLOADS] + [f"+{len(placed) - GROUP_WORKLOADS} more workloads"]
    return (*lines, *placed)


# ---- Mermaid -----------------------------------------------------------------------------
_STYLE = {
    ADDED: "fill:#dafbe1,stroke:#1a7f37,stroke-width:2px",
    REMOVED: "fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5",
    CHANGED: "fill:#fff8c5,stroke:#9a6700,stroke-width:2px",
}
_EDGE_STYLE = {ADDED: "stroke:#1a7f37,stroke-width:3px", REMOVED: "stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5"}


def _mm_text(text: str) -> str:
    """User text inside a quoted Mermaid label: entity codes for everything that could end or open markup."""
    out = []
    for ch in text:
        if ch.isalnum() or ch in " .,:/_-+()":
            out.append(ch)
        else:
            out.append(f"#{ord(ch)};")
    return "".join(out)


def _ids(topo: Topology) -> dict[str, str]:
    return {n.id: f"n{i}" for i, n in enumerate(topo.nodes)}


def _groups(topo: Topology) -> dict[str, dict[str, list[Node]]]:
    out: dict[str, dict[str, list[Node]]] = {}
    for n in topo.nodes:
        if not n.hub:
            out.setdefault(n.provider, {}).setdefault(n.region, []).append(n)
    return out


def mermaid(topo: Topology) -> str:
    ids = _ids(topo)
    lines = ["---", f'title: "{_mm_text(topo.title)}"', "---", "flowchart LR"]
    for p, (provider, regions) in enumerate(_groups(topo).items()):
        lines.append(f'  subgraph p{p}["{_mm_text(provider)}"]')
        for r, (region, members) in enumerate(regions.items()):
            lines.append(f'    subgraph p{p}r{r}["{_mm_text(region)}"]')
            for n in members:
                label = "<br/>".join([f"<b>{_mm_text(n.lines[0])}</b>", *(_mm_text(x) for x in n.lines[1:])])
                lines.append(f'      {ids[n.id]}["{label}"]')
            lines.append("    end")
        lines.append("  end")
    for n in topo.nodes:
        if n.hub:
            lines.append(f'  {ids[n.id]}(("{"<br/>".join(_mm_text(x) for x in n.lines)}"))')
    link_styles: list[str] = []
    for i, e in enumerate(topo.edges):
        arrow = {ADDED: "===", REMOVED: "-.-"}.get(e.status, "---")
        label = f"|{_mm_text(e.text)}|" if e.text else ""
        lines.append(f"  {ids[e.a]} {arrow}{label} {ids[e.b]}")
        if e.status in _EDGE_STYLE:
            link_styles.append(f"  linkStyle {i} {_EDGE_STYLE[e.status]}")
    lines += link_styles
    used = sorted({n.status for n in topo.nodes} - {SAME})
    for status in used:
        lines.append(f"  classDef {status} {_STYLE[status]}")
        marked = ",".join(ids[n.id] for n in topo.nodes if n.status == status)
        lines.append(f"  class {marked} {status}")
    return "\n".join(lines) + "\n"


# ---- Graphviz ----------------------------------------------------------------------------
_DOT_FILL = {SAME: "white", ADDED: "#dafbe1", REMOVED: "#ffebe9", CHANGED: "#fff8c5"}
_DOT_EDGE = {SAME: "", ADDED: ', color="#1a7f37", penwidth=2.5', REMOVED: ', color="#cf222e", style=dashed'}


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def dot(topo: Topology) -> str:
    ids = _ids(topo)
    lines = [
        "digraph fleet {",
        f'  graph [rankdir=LR, label="{_dot_text(topo.title)}", labelloc=t, fontname="Helvetica", '
        'fontsize=12, nodesep=0.3, ranksep=0.8];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=9];',
        '  edge [dir=none, fontname="Helvetica", fontsize=8];',
    ]
    for p, (provider, regions) in enumerate(_groups(topo).items()):
        lines.append(f'  subgraph cluster_p{p} {{ label="{_dot_text(provider)}"; style=rounded; color="#57606a";')
        for r, (region, members) in enumerate(regions.items()):
            lines.append(f'    subgraph cluster_p{p}r{r} {{ label="{_dot_text(region)}"; style="rounded,dashed";')
            for n in members:
                label = "\\n".join(_dot_text(x) for x in n.lines)
                extra = ", style=\"rounded,filled,dashed\"" if n.status == REMOVED else ""
                lines.append(f'      {ids[n.id]} [label="{label}", fillcolor="{_DOT_FILL[n.status]}"{extra}];')
            lines.append("    }")
        lines.append("  }")
    for n in topo.nodes:
        if n.hub:
            label = "\\n".join(_dot_text(x) for x in n.lines)
            lines.append(f'  {ids[n.id]} [shape=ellipse, label="{label}", fillcolor="{_DOT_FILL[n.status]}"];')
    for e in topo.edges:
        lines.append(f'  {ids[e.a]} -> {ids[e.b]} [label="{_dot_text(e.text)}"{_DOT_EDGE.get(e.status, "")}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def svg(topo: Topology) -> str:
    """Graphviz's SVG of ``dot(topo)``; GraphvizMissing when ``dot`` is not on PATH."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing(
            "--format svg needs Graphviz's `dot`, which is not installed (Debian/Ubuntu: apt-get install graphviz; "
            "macOS: brew install graphviz); --format mermaid and --format dot work without it"
        )
    try:
        proc = subprocess.run([exe, "-Tsvg"], input=dot(topo).encode(), capture_output=True,
                              timeout=DOT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise FleetError(f"Graphviz `dot` did not finish within {DOT_TIMEOUT}s") from None
    if proc.returncode != 0:
        raise FleetError(f"Graphviz `dot` failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8")


FORMATS = {"mermaid": mermaid, "dot": dot, "svg": svg}
