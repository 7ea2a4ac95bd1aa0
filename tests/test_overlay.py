"""The Calico overlay: rendered objects (golden) and rule ``overlay``."""

from __future__ import annotations

import difflib
from pathlib import Path

from routing_helpers import HEAD, all_findings, cluster, findings, write

from generator import commands, manifests, pipeline
from generator import write as writer

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "overlay-calico"

OVERLAY = (
    "  connectivity:\n"
    "    mode: overlay\n"
    "    links:\n"
    "      - {clusters: [a, b], via: vpn}\n"
    "    calico:\n"
    "      asNumber: 64512\n"
)


def _rr(ips: str, asn: str = "") -> str:
    return "      calico:\n" + (f"        asNumber: {asn}\n" if asn else "") + f"        routeReflectors: [{ips}]\n"


def _fleet(calico: str = OVERLAY, a_extra: str | None = None, b_extra: str | None = None) -> str:
    a = cluster("a", 1, extra=_rr("10.1.0.5") if a_extra is None else a_extra)
    b = cluster("b", 2, extra=_rr("10.2.0.5, 10.2.1.5", "64602") if b_extra is None else b_extra)
    return HEAD + calico + "  clusters:\n" + a + b


def test_overlay_example_output_is_fresh_file_by_file() -> None:
    loaded = pipeline.load(EXAMPLE / "fleet.yaml", "fleet.yaml")
    assert loaded.ok and loaded.fleet is not None
    output = pipeline.render_output(loaded.fleet, out_dir="examples/overlay-calico/output")
    assert output.findings == ()
    rendered = writer.serialize_all(output.files, "fleet.yaml")
    committed = {
        p.relative_to(EXAMPLE / "output").as_posix()
        for p in (EXAMPLE / "output").rglob("*")
        if p.is_file() and p.name != ".fleetgen-files"
    }
    assert sorted(rendered) == sorted(committed)
    for rel, data in rendered.items():
        want = (EXAMPLE / "output" / rel).read_text()
        got = data.decode()
        assert got == want, "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), rel, rel))


def test_overlay_example_renders_bgp_configuration_peers_and_pools() -> None:
    loaded = pipeline.load(EXAMPLE / "fleet.yaml", "fleet.yaml")
    assert loaded.fleet is not None
    files = pipeline.render_output(loaded.fleet).files
    base = "clusters/aws-euwest1/calico/"
    assert files[base + "bgpconfiguration-default.yaml"]["spec"] == {"asNumber": 64601, "nodeToNodeMeshEnabled": False}
    peer = files[base + "bgppeer-fleetgen-onprem-ams1-rr-0.yaml"]["spec"]
    assert peer == {
        "nodeSelector": "route-reflector == 'true'",
        "peerIP": "10.30.0.5",
        "asNumber": 64512,
        "keepOriginalNextHop": True,
    }
    assert files[base + "bgppeer-fleetgen-route-reflectors.yaml"]["spec"] == {
        "nodeSelector": "all()",
        "peerSelector": "route-reflector == 'true'",
    }
    own = files[base + "ippool-fleetgen-aws-euwest1-pods-0.yaml"]["spec"]
    assert own["cidr"] == "10.100.0.0/16" and own["natOutgoing"] is True and own["disabled"] is False
    remote = files[base + "ippool-fleetgen-peer-gcp-europe-west4-c-pods-0.yaml"]["spec"]
    assert remote["cidr"] == "10.200.0.0/16" and remote["natOutgoing"] is False and remote["disabled"] is True
    assert not [p for p in files if p.startswith(base + "bgppeer-fleetgen-aws-euwest1")]


def test_native_root_fleet_renders_no_calico_objects() -> None:
    loaded = pipeline.load(REPO / "fleet.yaml", "fleet.yaml")
    assert loaded.fleet is not None
    assert not [p for p in pipeline.render_output(loaded.fleet).files if "/calico/" in p]


def test_calico_schemas_reject_ipip_and_vxlan_together() -> None:
    pool = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "IPPool",
        "metadata": {"name": "p"},
        "spec": {"cidr": "10.0.0.0/16", "ipipMode": "Always", "vxlanMode": "Always", "natOutgoing": True},
    }
    report = manifests.validate([("x/ippool.yaml", pool)], "1.33")
    assert report.validated == 1
    assert [f.rule for f in report.findings] == ["manifest-schema"]
    peer = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "BGPPeer",
        "metadata": {"name": "p"},
        "spec": {"peerIP": "10.0.0.1", "asNumber": 64512, "peerSelector": "all()", "typo": 1},
    }
    assert len(manifests.validate([("x/bgppeer.yaml", peer)], "1.33").findings) == 2


def test_overlay_passes(tmp_path: Path) -> None:
    assert all_findings(write(tmp_path, _fleet())) == []


def test_overlay_needs_connectivity_calico(tmp_path: Path) -> None:
    calico = "  connectivity:\n    mode: overlay\n    links:\n      - {clusters: [a, b], via: vpn}\n"
    path = write(tmp_path, _fleet(calico))
    assert findings(path, "overlay") == [
        "fleet.yaml:9:11: [error] overlay connectivity.mode is overlay but connectivity.calico is not set: "
        "declare at least its asNumber",
        "fleet.yaml:13:13: [error] overlay cluster 'a' has no BGP AS number: set calico.asNumber on it or "
        "connectivity.calico.asNumber",
    ]


def test_overlay_route_reflector_outside_node_ranges_and_not_an_ip(tmp_path: Path) -> None:
    path = write(tmp_path, _fleet(a_extra=_rr("10.9.0.5, rr-1")))
    assert findings(path, "overlay") == [
        "fleet.yaml:25:27: [error] overlay route reflector 10.9.0.5 of 'a' is not inside its nodeCIDRs (10.1.0.0/16)",
        "fleet.yaml:25:37: [error] overlay route reflector 'rr-1' of 'a' is not an IP address",
    ]


def test_overlay_cluster_without_route_reflectors(tmp_path: Path) -> None:
    path = write(tmp_path, _fleet(a_extra=""))
    assert findings(path, "overlay") == [
        "fleet.yaml:15:13: [error] overlay cluster 'a' has no calico.routeReflectors: the overlay peers clusters "
        "through their route reflectors (give at least one node IP)",
    ]


def test_overlay_reserved_and_public_as_numbers(tmp_path: Path) -> None:
    calico = OVERLAY.replace("asNumber: 64512", "asNumber: 13335")
    path = write(tmp_path, _fleet(calico, b_extra=_rr("10.2.0.5", "23456")))
    assert findings(path, "overlay") == [
        "fleet.yaml:13:17: [warning] overlay AS number 13335 is public; unless you own it, use a private one "
        "(64512-65534, 4200000000-4294967294)",
        "fleet.yaml:36:19: [error] overlay AS number 23456 is reserved (RFC 5398, 6793, 7300); pick a private one",
    ]


def test_overlay_vxlan_across_clusters_is_a_warning(tmp_path: Path) -> None:
    calico = OVERLAY + "      encapsulation: VXLAN\n"
    path = write(tmp_path, _fleet(calico))
    assert findings(path, "overlay") == [
        "fleet.yaml:14:22: [warning] overlay encapsulation VXLAN across clusters: Calico programs VXLAN routes from "
        "its own cluster's datastore, so pods of other clusters learned over BGP are not reached through VXLAN; "
        "use None or IPIP",
    ]


def test_overlay_with_encapsulation_routes_only_node_ranges(tmp_path: Path) -> None:
    path = write(tmp_path, _fleet(OVERLAY + "      encapsulation: IPIP\n"))
    out = tmp_path / "out"
    assert commands.render(path, out) == 0
    assert '"10.102.0.0/16"' not in (out / "routes" / "a.auto.tfvars.json").read_text()
    pool = (out / "clusters" / "a" / "calico" / "ippool-fleetgen-a-pods-0.yaml").read_text()
    assert "ipipMode: Always" in pool and "vxlanMode: Never" in pool


def test_check_reports_overlay_findings_instead_of_a_render_failure(tmp_path: Path) -> None:
    import io

    calico = "  connectivity:\n    mode: overlay\n    links:\n      - {clusters: [a, b], via: vpn}\n"
    path = write(tmp_path, _fleet(calico))
    out = io.StringIO()
    assert commands.check(path, out_dir=tmp_path / "output", stdout=out) == 1
    assert out.getvalue().splitlines()[-1] == "2 error(s), 0 warning(s)"
    assert "render" not in out.getvalue()
