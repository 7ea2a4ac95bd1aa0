"""Mesh endpoints are checked like DNS endpoints (rule mesh-endpoint; fleets in tests/fleets/checks/invalid/mesh-endpoint),
are part of the route plan, and `fleetgen allocate` keeps every endpoint of a cluster inside the node range it allocates."""

from __future__ import annotations

import io
import ipaddress
from pathlib import Path

import yaml
from routing_helpers import HEAD, all_findings, write

from generator import commands, pipeline
from generator.routes import fleet_routes

MESH = """  mesh:
    type: istio
    meshID: mesh1
    trustDomain: cluster.local
  connectivity:
    links:
      - {clusters: [a, b], via: vpn}
  ipam:
    pools:
      - {for: nodeCIDRs, cidr: 10.0.0.0/12, prefixLength: 20}
      - {for: podCIDRs, cidr: 10.128.0.0/9, prefixLength: 18}
      - {for: serviceCIDRs, cidr: 172.16.0.0/12, prefixLength: 20}
  clusters:
    - name: a
      provider: generic
      apiServer: https://a.example.com
      dns: {endpoint: %s}
      mesh: {network: net-a, endpoint: %s}
    - name: b
      provider: generic
      apiServer: https://b.example.com
      mesh: {network: net-a, endpoint: %s}
"""


def _allocate(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = commands.allocate(path, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_allocate_puts_the_node_range_around_existing_endpoints(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + MESH % ("10.0.40.10", "10.0.40.20", "10.0.90.20"))
    code, out, err = _allocate(path)
    assert (code, err) == (0, ""), err
    clusters = yaml.safe_load(path.read_text())["spec"]["clusters"]
    # the /20 blocks that hold each cluster's endpoints, not the first free ones (10.0.0.0/20, 10.0.16.0/20)
    assert clusters[0]["network"]["nodeCIDRs"] == ["10.0.32.0/20"]
    assert clusters[1]["network"]["nodeCIDRs"] == ["10.0.80.0/20"]
    # b's DNS endpoint is allocated inside its node range and is not its mesh endpoint
    assert clusters[1]["dns"]["endpoint"] == "10.0.95.245"
    assert all_findings(path) == []
    loaded = pipeline.load(path, "fleet.yaml")
    assert loaded.fleet is not None
    plan = {cr.cluster: cr for cr in fleet_routes(loaded.fleet)}
    raw = {(str(d.network), d.pointer) for lr in plan["a"].links for d in lr.raw}
    assert ("10.0.90.20/32", "/spec/clusters/1/mesh/endpoint") in raw  # the peer's mesh endpoint is routed
    assert all(any(ipaddress.ip_address("10.0.90.20") in n for n in lr.destinations) for lr in plan["a"].links)


def test_allocate_avoids_the_mesh_endpoint_for_the_dns_endpoint(tmp_path: Path) -> None:
    text = (HEAD + MESH % ("10.0.40.10", "10.0.40.20", "10.0.95.245"))
    path = write(tmp_path, text)
    assert _allocate(path)[0] == 0
    clusters = yaml.safe_load(path.read_text())["spec"]["clusters"]
    assert clusters[1]["dns"]["endpoint"] == "10.0.95.244"


def test_allocate_reports_endpoints_it_cannot_keep_inside(tmp_path: Path) -> None:
    # a's endpoints sit in two different /20 blocks; b's is outside the pool
    path = write(tmp_path, HEAD + MESH % ("10.0.40.10", "10.0.64.20", "10.200.0.20"))
    before = path.read_bytes()
    code, out, err = _allocate(path)
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == (
        f"{path}:21:13: [error] ipam cannot allocate nodeCIDRs for cluster 'a' from pool 10.0.0.0/12 and keep its "
        "DNS/mesh endpoints inside them: its endpoints 10.0.40.10, 10.0.64.20 do not fit in one /20; set nodeCIDRs "
        "by hand, or drop the endpoints to have them allocated (nothing was written) (clusters: a)"
    )
    assert path.read_bytes() == before
    path = write(tmp_path, HEAD + MESH % ("10.0.40.10", "10.0.40.20", "10.200.0.20"))
    code, out, err = _allocate(path)
    assert code == 1
    assert err.splitlines()[0].endswith(
        "[error] ipam cannot allocate nodeCIDRs for cluster 'b' from pool 10.0.0.0/12 and keep its DNS/mesh "
        "endpoints inside them: 10.200.0.20 is outside the pool; set nodeCIDRs by hand, or drop the endpoints to "
        "have them allocated (nothing was written) (clusters: b)")
    # the block that would hold a's endpoints also holds b's mesh endpoint
    path = write(tmp_path, HEAD + MESH % ("10.0.40.10", "10.0.40.20", "10.0.41.20"))
    code, out, err = _allocate(path)
    assert code == 1
    assert ("cluster 'a' from pool 10.0.0.0/12 and keep its DNS/mesh endpoints inside them: the /20 that holds "
            "10.0.40.10, 10.0.40.20 (10.0.32.0/20) overlaps a range already in use;") in err
