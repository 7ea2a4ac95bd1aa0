"""``fleetgen allocate``: the IP planner (generator/allocate.py) and its command."""

from __future__ import annotations

import io
import ipaddress
import shutil
from pathlib import Path

from routing_helpers import HEAD, all_findings, write

from generator import commands, pipeline

REPO = Path(__file__).resolve().parent.parent
UNALLOCATED = REPO / "tests" / "fleets" / "routing" / "ipam-unallocated.yaml"

POOLS = """  ipam:
    pools:
      # one pool per field; every cluster gets one block of each
      - for: nodeCIDRs
        cidr: 10.0.0.0/9
        prefixLength: 20
      - for: podCIDRs
        cidr: 10.128.0.0/9
        prefixLength: 18
      - {for: serviceCIDRs, cidr: 172.16.0.0/12, prefixLength: 20}
"""


def synthetic(n: int, *, preset_every: int = 10) -> str:
    """n clusters in one transit gateway, no ranges except a preset node range on every 10th cluster."""
    names = [f"c{i:03d}" for i in range(n)]
    lines = [HEAD, "  connectivity:\n    mode: native\n    links:\n",
             f"      - name: tgw\n        clusters: [{', '.join(names)}]\n        via: transit-gateway\n", POOLS,
             "  clusters:\n"]
    for i, name in enumerate(names):
        lines.append(f"    # cluster {i}\n    - name: {name}\n      provider: aws\n      apiServer: https://{name}.example.com\n")
        # EKS pins the allocated endpoint through the NLB's subnet (rule lb-pin)
        lines.append(f"      dns:\n        loadBalancerSubnets: [subnet-{name}]\n")
        if i % preset_every == 5:
            # in the middle of where the walk would go: it must be skipped, never moved
            block = ipaddress.IPv4Network((int(ipaddress.IPv4Address("10.0.0.0")) + (11 * (i // preset_every) + 1) * 4096, 20))
            lines.append(f"      network:\n        nodeCIDRs: [{block}]  # set by hand\n")
    return "".join(lines)


def _run(path: Path, dry_run: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = commands.allocate(path, dry_run=dry_run, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_allocate_200_clusters_gives_a_clean_fleet_and_is_idempotent(tmp_path: Path) -> None:
    source = synthetic(200)
    path = write(tmp_path, source)
    code, out, err = _run(path)
    assert (code, err) == (0, "")
    assert out == f"allocated 780 values for 200 clusters in {path}\n"
    assert all_findings(path) == []
    first = path.read_bytes()
    assert _run(path) == (0, f"{path}: nothing to allocate\n", "")
    assert path.read_bytes() == first

    loaded = pipeline.load(path, path.name)
    assert loaded.fleet is not None
    ranges = [(c.name, r.network) for c in loaded.fleet.clusters for r in c.ranges]
    assert len(ranges) == 600
    for i, (a, x) in enumerate(ranges):  # brute-force oracle: nothing overlaps
        for b, y in ranges[i + 1:]:
            assert x is not None and y is not None and not x.overlaps(y), (a, x, b, y)
    by_name = loaded.fleet.by_name
    assert [str(n) for n in by_name["c005"].networks("nodeCIDRs")] == ["10.0.16.0/20"]  # never moved
    assert [str(n) for n in by_name["c000"].networks("nodeCIDRs")] == ["10.0.0.0/20"]
    assert [str(n) for n in by_name["c001"].networks("nodeCIDRs")] == ["10.0.32.0/20"]  # skips the preset one
    assert by_name["c000"].dns_endpoint == "10.0.15.245"
    for c in loaded.fleet.clusters:
        assert ipaddress.ip_address(c.dns_endpoint) in c.networks("nodeCIDRs")[0]

    text = path.read_text()
    comments = [ln.strip() for ln in source.splitlines() if "#" in ln]
    assert [ln[ln.index("#"):] for ln in text.splitlines() if "#" in ln] == [c[c.index("#"):] for c in comments]
    assert "      - {for: serviceCIDRs, cidr: 172.16.0.0/12, prefixLength: 20}\n" in text


def test_example_is_the_allocated_input(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    shutil.copy(UNALLOCATED, path)
    assert _run(path)[0] == 0
    got = path.read_text().splitlines(True)
    want = (REPO / "examples" / "ipam" / "fleet.yaml").read_text().splitlines(True)
    assert got[3:] == want[3:]  # the first three lines are the header comment, which differs
    assert all_findings(path) == []


def test_dry_run_prints_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    shutil.copy(UNALLOCATED, path)
    before = path.read_bytes()
    code, out, err = _run(path, dry_run=True)
    assert (code, err) == (0, "")
    assert path.read_bytes() == before
    assert out.startswith(f"--- {path}\n+++ {path}\n@@ ")
    assert "-        podCIDRs: []\n+        podCIDRs: [10.64.0.0/14]\n+        serviceCIDRs: [172.21.0.0/16]\n" in out
    assert out.endswith(f"would allocate 9 values for 3 clusters in {path} (dry run: nothing written)\n")


def test_pool_too_small_is_an_error_naming_the_pool_and_nothing_is_written(tmp_path: Path) -> None:
    path = write(tmp_path, synthetic(20).replace("cidr: 10.128.0.0/9\n        prefixLength: 18",
                                                 "cidr: 10.128.0.0/16\n        prefixLength: 18"))
    before = path.read_bytes()
    code, out, err = _run(path)
    assert (code, out) == (1, "")
    assert err == (
        "fleet.yaml:21:15: [error] ipam pool 10.128.0.0/16 for podCIDRs has no free /18 left for cluster 'c004'; "
        "enlarge the pool or use a longer prefixLength (nothing was written) (clusters: c004)\n"
        "1 error(s), 0 warning(s)\n"
        "allocate refused: nothing was written\n"
    ).replace("fleet.yaml", str(path), 1)
    assert path.read_bytes() == before


def test_bad_pools_are_reported_with_locations(tmp_path: Path) -> None:
    pools = """  ipam:
    pools:
      - {for: nodeCIDRs, cidr: 10.0.0.1/16, prefixLength: 20}
      - {for: podCIDRs, cidr: 10.128.0.0/16, prefixLength: 8}
      - {for: serviceCIDRs, cidr: 172.16.0.0/12, prefixLength: 20}
      - {for: serviceCIDRs, cidr: 172.32.0.0/12, prefixLength: 20}
"""
    path = write(tmp_path, HEAD + pools + "  clusters:\n    - {name: a, provider: aws, apiServer: https://a.example.com}\n")
    code, out, err = _run(path)
    assert code == 1
    assert err.splitlines() == [
        f"{path}:10:32: [error] ipam pool cidr '10.0.0.1/16' is not a network in CIDR notation (host bits set?)",
        f"{path}:11:60: [error] ipam prefixLength 8 does not fit pool 10.128.0.0/16: use 16..32",
        f"{path}:13:35: [error] ipam a second IPv4 pool for serviceCIDRs (172.32.0.0/12); use one pool per field "
        "and address family",
        "3 error(s), 0 warning(s)",
        "allocate refused: nothing was written",
    ]


def test_overlapping_pools_never_hand_out_overlapping_ranges(tmp_path: Path) -> None:
    pools = """  ipam:
    pools:
      - {for: nodeCIDRs, cidr: 10.0.0.0/14, prefixLength: 16}
      - {for: podCIDRs, cidr: 10.0.0.0/14, prefixLength: 16}
      - {for: podCIDRs, cidr: 'fd00:10::/48', prefixLength: 64}
"""
    clusters = "".join(f"    - {{name: c{i}, provider: generic, apiServer: https://c{i}.example.com}}\n" for i in range(2))
    path = write(tmp_path, HEAD + pools + "  clusters:\n" + clusters)
    assert _run(path)[0] == 0
    loaded = pipeline.load(path, path.name)
    assert loaded.fleet is not None
    got = {c.name: [r.text for r in c.ranges] for c in loaded.fleet.clusters}
    assert got == {
        "c0": ["10.0.0.0/16", "10.1.0.0/16", "fd00:10::/64"],
        "c1": ["10.2.0.0/16", "10.3.0.0/16", "fd00:10:0:1::/64"],
    }
    assert "    - {name: c0, provider: generic, apiServer: https://c0.example.com, network: " in path.read_text()
