"""Values that end up inside a configuration language are refused (issue 10, item 2).

At the fleet line by the schema (render and check exit 1, nothing written), by
the model when the schema is bypassed, and a second time by the Corefile,
stubDomains and coredns-custom emitters, so a bypass cannot inject a server block.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import checks
from generator.errors import RenderError
from generator.loader import load_file
from generator.model import build
from generator.render import render
from tests.conftest import ROOT

EXAMPLE = (ROOT / "fleet.yaml").read_text()
# The exact payload of the issue: a new server block sending every .com lookup away.
PAYLOAD = "fd10:2::53%x\n}\ncom:53 {\nforward . 203.0.113.66"


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def injected(endpoint: str = PAYLOAD, node_cidr: str = "fd10:1::%eth0/64") -> str:
    text = edit(EXAMPLE, "        nodeCIDRs: [10.10.0.0/16]", f"        nodeCIDRs: [10.10.0.0/16, {json.dumps(node_cidr)}]")
    return edit(text, "        endpoint: 10.20.255.10", f"        endpoint: {json.dumps(endpoint)}")


EXPECTED = [
    "{f}:34:35: [error] schema spec.clusters[0].network.nodeCIDRs[1]: \"fd10:1::%eth0/64\" is not an IPv4 or IPv6 "
    "network in CIDR notation (digits, letters, '.', ':' and '/' only; no zone id '%', no spaces or control characters)",
    "{f}:49:19: [error] schema spec.clusters[1].dns.endpoint: \"fd10:2::53%x\\n}\\ncom:53 {\\nforward . 203.0.113.66\" "
    "is not an IPv4 or IPv6 address (digits, letters, '.' and ':' only; no zone id '%', no spaces or control characters)",
    "2 error(s), 0 warning(s)",
]


@pytest.mark.parametrize("command", ["render", "check"])
def test_the_corefile_payload_is_refused_at_the_fleet_line(tmp_path: Path, fleetgen, command: str) -> None:  # type: ignore[no-untyped-def]
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(injected())
    out = tmp_path / "output"
    run = fleetgen(command, str(fleet), "-o", str(out))
    assert run.code == 1
    text = run.out if command == "check" else run.err
    lines = [line for line in text.splitlines() if line.startswith(str(fleet)) or line.endswith("warning(s)")]
    assert lines == [line.replace("{f}", str(fleet)) for line in EXPECTED]
    assert not out.exists()
    assert "com:53" not in "".join(p.read_text() for p in tmp_path.rglob("*.yaml") if p != fleet)


GRAMMAR_CASES = [
    ("        endpoint: 10.10.255.10", '        endpoint: "10.10.255.10 203.0.113.66"',
     "38:19: [error] schema spec.clusters[0].dns.endpoint: \"10.10.255.10 203.0.113.66\" is not an IPv4 or IPv6 address "
     "(digits, letters, '.' and ':' only; no zone id '%', no spaces or control characters)"),
    ("        endpoint: 10.10.255.10", "        endpoint: 10.10.255.10\n        zone: 'a.local {'",
     "39:15: [error] schema spec.clusters[0].dns.zone: \"a.local {\" is not a DNS name "
     "(letters, digits, '-', '_' and '.' only; no spaces, braces, quotes or control characters)"),
    ("        endpoint: 10.10.255.10", "        endpoint: 10.10.255.10\n        clusterDomain: \"cluster.local\\n}\"",
     "39:24: [error] schema spec.clusters[0].dns.clusterDomain: \"cluster.local\\n}\" is not a DNS name "
     "(letters, digits, '-', '_' and '.' only; no spaces, braces, quotes or control characters)"),
    ('    zonePattern: "{cluster}.local"', '    zonePattern: "{cluster}.local {"',
     "19:18: [error] schema spec.dns.zonePattern: \"{cluster}.local {\" is not a DNS name with {cluster} in it "
     "(letters, digits, '-', '_', '.' and {cluster} only)"),
    ("[subnet-0a1b2c3d4e5f60718]", '["subnet-0a1b,subnet-evil"]',
     "39:31: [error] schema spec.clusters[0].dns.loadBalancerSubnets[0]: \"subnet-0a1b,subnet-evil\" is not a subnet ID "
     "or name (letters, digits, '-', '_', '.' and '/' only: the annotation is a comma-separated list)"),
    ("      region: eu-west-1", '      region: "eu-west-1\\n"',
     "31:15: [error] schema spec.clusters[0].region: \"eu-west-1\\n\" is not a region name "
     "(letters, digits, '-', '_' and '.' only)"),
    ("    - name: cassandra", '    - name: "cassandra\\n"',
     "51:13: [error] schema spec.workloads[0].name: \"cassandra\\n\" is not a DNS-1123 label "
     "(lower case letters, digits and '-', starting and ending with a letter or digit)"),
    ("  name: stateful-eu", "  name: stateful-eu\n  labels: {team: \"a\\tb\"}",
     "12:18: [error] schema metadata.labels.team: \"a\\tb\" contains a control character; fleet values end up in "
     "Corefiles, JSON and annotations, where it would start new configuration"),
]


@pytest.mark.parametrize("old, new, expected", GRAMMAR_CASES)
def test_values_outside_their_grammar_are_refused_at_their_line(
    tmp_path: Path, fleetgen, old: str, new: str, expected: str  # type: ignore[no-untyped-def]
) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(edit(EXAMPLE, old, new))
    run = fleetgen("check", str(fleet), "-o", str(tmp_path / "output"))
    assert run.code == 1
    assert [line for line in run.out.splitlines() if "[error]" in line] == [f"{fleet}:{expected}"]


def model_of(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    """The model built without schema validation: what a library caller bypassing it gets."""
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(text)
    document = load_file(fleet, "fleet.yaml")
    return build(document.data, document.source)


def test_the_model_refuses_zone_ids_when_the_schema_is_bypassed(tmp_path: Path) -> None:
    fleet = model_of(tmp_path, injected())
    found = [f.parsable() for f in checks.run(fleet) if f.rule == "cidr-invalid"]
    assert found == [
        "fleet.yaml:34:35: [error] cidr-invalid nodeCIDRs 'fd10:1::%eth0/64' of cluster 'aws-euwest1' carries an IPv6 "
        "zone id ('%'); a CIDR names a network, never an interface: drop the zone id",
        "fleet.yaml:49:19: [error] cidr-invalid dns.endpoint 'fd10:2::53%x\\n}\\ncom:53 {\\nforward . 203.0.113.66' of "
        "cluster 'gcp-europe-west4-c' is not an IPv4 or IPv6 address (e.g. 10.10.255.10); drop the IPv6 zone id ('%')",
    ]


@pytest.mark.parametrize("server", ["coredns", "kube-dns", "aks-coredns"])
def test_the_dns_emitters_refuse_the_payload_even_without_schema_and_checks(tmp_path: Path, server: str) -> None:
    text = injected(node_cidr="fd10:1::/64")
    text = edit(text, "        endpoint: 10.10.255.10", f"        endpoint: 10.10.255.10\n        server: {server}")
    with pytest.raises(RenderError) as raised:
        render(model_of(tmp_path, text))
    message = str(raised.value)
    assert "refusing to write" in message and "into DNS configuration" in message
    assert json.dumps(PAYLOAD) in message  # the value, named (escaped) in the error


@pytest.mark.parametrize("zone", ["a.local:53 {\n}\ncom", "a.local x", "A.local"])
def test_the_dns_emitters_refuse_a_zone_outside_the_grammar(tmp_path: Path, zone: str) -> None:
    text = edit(EXAMPLE, "        endpoint: 10.20.255.10", f"        endpoint: 10.20.255.10\n        zone: {json.dumps(zone)}")
    fleet = model_of(tmp_path, text)
    fleet = fleet  # the model lower-cases zones; bypass that too, as a user blueprint's input could
    import dataclasses

    clusters = tuple(dataclasses.replace(c, zone=zone) if c.name == "gcp-europe-west4-c" else c for c in fleet.clusters)
    bypassed = dataclasses.replace(fleet, clusters=clusters, by_name={c.name: c for c in clusters})
    with pytest.raises(RenderError) as raised:
        render(bypassed)
    assert f"{json.dumps(zone)} into DNS configuration: not a DNS name" in str(raised.value)
