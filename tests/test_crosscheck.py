"""The cross-cluster checks (generator/crosscheck.py) and their Rego twins agree.

``dns-peer-zone-missing`` and ``workload-ports-inconsistent`` run built in, one pass
over the render; ``policies-combined/`` keeps them for ``conftest --combine``. Both
are run on the same renders, as rendered and with the faults they exist to catch,
and must give the same findings.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest

from generator import crosscheck, pipeline
from generator.policy import evaluate, load_policies
from generator.policy.output import documents
from tests.conftest import ROOT

POLICIES = [ROOT / "policies", ROOT / "policies-combined"]
FLEETS = ["examples/discovery-forward/fleet.yaml", "fleet.yaml", "tests/fleets/checks/valid/ipv6-dual-stack/fleet.yaml",
          "examples/mesh-istio/fleet.yaml"]


def render(case: str) -> tuple[Any, dict[str, Any]]:
    loaded = pipeline.load(ROOT / case)
    assert loaded.fleet is not None
    return loaded.fleet, pipeline.render_output(loaded.fleet).files


def built_in(fleet: Any, files: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    found = crosscheck.peer_zones(fleet, files, "output") + crosscheck.workload_ports(fleet, files, "output")
    return sorted((f.rule, f.location.file, f.message, f.clusters) for f in found)


def rego(files: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    policies = load_policies(POLICIES)
    found = evaluate(policies, documents(files, "output"), combined=True, namespaces=["fleetgen.dns", "fleetgen.workloads"])
    return sorted((f.rule, f.location.file, f.message, f.clusters) for f in found)


def drop_peer_block(files: dict[str, Any]) -> str:
    """Remove the first peer server block from the first Corefile."""
    rel = next(p for p in sorted(files) if p.endswith("/dns/configmap-coredns.yaml"))
    text = files[rel]["data"]["Corefile"]
    at = 0
    while True:  # the first `<zone>.local:53` block that forwards (the cluster's own zone does not)
        at = text.index(".local:53 {", at + 1)
        start = text.rindex("\n", 0, at) + 1
        end = text.index("}\n", start) + 2
        if "forward . " in text[start:end]:
            files[rel]["data"]["Corefile"] = text[:start] + text[end:]
            return rel


def wrong_stub_endpoint(files: dict[str, Any]) -> str:
    rel = next(p for p in sorted(files) if p.endswith("/dns/configmap-kube-dns.yaml"))
    stub = json.loads(files[rel]["data"]["stubDomains"])
    zone = sorted(stub)[0]
    stub[zone] = ["10.99.99.99"]
    files[rel]["data"]["stubDomains"] = json.dumps(stub)
    return rel


def wrong_custom_endpoint(files: dict[str, Any]) -> str:
    rel = next(p for p in sorted(files) if p.endswith("/dns/configmap-coredns-custom.yaml"))
    key = next(k for k in sorted(files[rel]["data"]) if k.endswith(".server"))
    text = files[rel]["data"][key]
    files[rel]["data"][key] = text.replace("forward . ", "forward . 10.99.99.", 1)
    return rel


def bracketed_upstream(files: dict[str, Any]) -> str:
    """``forward . fd10:2::53`` written as ``[fd10:2::53]:53``: the same upstream."""
    rel = next(p for p in sorted(files) if p.endswith("/dns/configmap-coredns.yaml"))
    corefile = files[rel]["data"]["Corefile"]
    lines = [ln if "forward . fd" not in ln else ln.replace("forward . ", "forward . [") + "]:53"
             for ln in corefile.split("\n")]
    files[rel]["data"]["Corefile"] = "\n".join(lines)
    return rel


def other_port(files: dict[str, Any]) -> str:
    rel = max(p for p in files if p.endswith("/service-headless.yaml"))
    files[rel]["spec"]["ports"][0]["port"] += 1
    return rel


def drop_protocol(files: dict[str, Any]) -> str:
    """``protocol: TCP`` left out is still TCP: no finding."""
    rel = max(p for p in files if p.endswith("/service-headless.yaml"))
    for port in files[rel]["spec"]["ports"]:
        port.pop("protocol", None)
    return rel


FAULTS: dict[str, tuple[Callable[[dict[str, Any]], str], str | None]] = {
    "as rendered": (lambda files: "", None),
    "peer block removed": (drop_peer_block, "dns-peer-zone-missing"),
    "stub endpoint wrong": (wrong_stub_endpoint, "dns-peer-zone-missing"),
    "custom endpoint wrong": (wrong_custom_endpoint, "dns-peer-zone-missing"),
    "bracketed IPv6 upstream": (bracketed_upstream, None),
    "port differs": (other_port, "workload-ports-inconsistent"),
    "protocol left out": (drop_protocol, None),
}


# (fleet, fault) pairs where the fleet renders what the fault edits (a GKE stubDomains, an AKS coredns-custom)
NOT_APPLICABLE = {
    ("tests/fleets/checks/valid/ipv6-dual-stack/fleet.yaml", "stub endpoint wrong"),
    ("tests/fleets/checks/valid/ipv6-dual-stack/fleet.yaml", "custom endpoint wrong"),
    ("fleet.yaml", "custom endpoint wrong"),
    ("examples/mesh-istio/fleet.yaml", "custom endpoint wrong"),
}


@pytest.mark.parametrize(("case", "fault"), [(c, f) for c in FLEETS for f in FAULTS if (c, f) not in NOT_APPLICABLE])
def test_built_in_and_rego_agree(case: str, fault: str) -> None:
    fleet, rendered = render(case)
    files = {path: copy.deepcopy(obj) for path, obj in rendered.items()}  # render_output shares equal files
    mutate, rule = FAULTS[fault]
    where = mutate(files)
    got = built_in(fleet, files)
    assert got == rego(files)
    if rule is None:
        assert got == []
    else:
        assert got and {r for r, *_ in got} == {rule}
        assert f"output/{where}" in {file for _, file, *_ in got} or rule == "dns-peer-zone-missing"


def test_missing_peer_zone_exact_diagnostic() -> None:
    fleet, rendered = render("examples/discovery-forward/fleet.yaml")
    files = {path: copy.deepcopy(obj) for path, obj in rendered.items()}  # render_output shares equal files
    assert crosscheck.peer_zones(fleet, files, "output") == []
    drop_peer_block(files)
    [finding] = crosscheck.peer_zones(fleet, files, "output")
    assert finding.parsable() == (
        "output/clusters/aws-euwest1/dns/configmap-coredns.yaml:1:1: [error] dns-peer-zone-missing cluster aws-euwest1 "
        "does not forward peer zone gcp-europe-west4-c.local to 10.20.255.10, the DNS endpoint of gcp-europe-west4-c"
    )
    assert finding.clusters == ("aws-euwest1", "gcp-europe-west4-c")


def test_inconsistent_ports_exact_diagnostic() -> None:
    fleet, rendered = render("examples/discovery-forward/fleet.yaml")
    files = {path: copy.deepcopy(obj) for path, obj in rendered.items()}  # render_output shares equal files
    assert crosscheck.workload_ports(fleet, files, "output") == []
    rel = other_port(files)
    [finding] = crosscheck.workload_ports(fleet, files, "output")
    assert finding.location.file == f"output/{rel}"
    assert "has ports [" in finding.message and ", but in cluster " in finding.message


@pytest.mark.parametrize(("written", "address"), [
    ("10.0.0.1", "10.0.0.1"), ("10.0.0.1:53", "10.0.0.1"), ("10.0.0.1:5353", "10.0.0.1:5353"),
    ("fd10:2::53", "fd10:2::53"), ("[fd10:2::53]:53", "fd10:2::53"), ("[fd10:2::53]", "fd10:2::53"),
    ("[fd10:2::53]:5353", "[fd10:2::53]:5353"),
])
def test_upstream_host(written: str, address: str) -> None:
    assert crosscheck.host(written) == address


def test_no_rego_policy_is_combined_only_among_the_shipped(tmp_path: Path) -> None:
    # what fleetgen runs per document must not need the combined input to find anything
    shipped = load_policies([ROOT / "policies"])
    assert not any("lib.manifests" in m.source or "lib.documents" in m.source for m in shipped.modules
                   if not m.path.endswith("lib.rego"))
