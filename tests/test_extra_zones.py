"""Extra DNS zones (spec.dns.extraZones, dns.extraZones): rendered per DNS server kind, strictly validated, proven."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from routing_helpers import HEAD, all_findings, cluster, write

from generator import dnsproof, pipeline
from generator.errors import RenderError
from generator.model import ExtraZone, Fleet
from generator.render import render

LINKS = "  connectivity:\n    links:\n      - {clusters: [a, b, c], via: vpn}\n"
FLEET_DNS = "  dns:\n    extraZones:\n      - {zone: corp.example.com, forward: [10.9.0.53, 10.9.1.53]}\n"


def _fleet_text(extra_a: str = "") -> str:
    a = cluster("a", 1, extra=extra_a)
    b = cluster("b", 2).replace("provider: generic", "provider: gcp")
    c = cluster("c", 3).replace("provider: generic", "provider: azure")
    return HEAD + FLEET_DNS + LINKS + "  clusters:\n" + a + b + c


def _load(tmp_path: Path, text: str) -> Fleet:
    loaded = pipeline.load(write(tmp_path, text), "fleet.yaml")
    assert loaded.fleet is not None, [f.parsable() for f in loaded.findings]
    assert loaded.ok, [f.parsable() for f in loaded.findings]
    return loaded.fleet


A_OWN = "        extraZones:\n          - {zone: corp.example.com, forward: [192.168.0.53]}\n" \
        "          - {zone: eu-west-1.compute.internal, forward: [169.254.169.253]}\n"


def test_each_dns_server_kind_gets_the_extra_zones_its_own_way(tmp_path: Path) -> None:
    fleet = _load(tmp_path, _fleet_text(A_OWN))
    files = pipeline.render_output(fleet).files
    corefile = files["clusters/a/dns/configmap-coredns.yaml"]["data"]["Corefile"]
    # the cluster's own entry for corp.example.com replaces the fleet-wide one
    assert corefile.endswith(
        "corp.example.com:53 {\n    errors\n    cache 30\n    forward . 192.168.0.53\n}\n"
        "eu-west-1.compute.internal:53 {\n    errors\n    cache 30\n    forward . 169.254.169.253\n}\n"
    )
    stubs = json.loads(files["clusters/b/dns/configmap-kube-dns.yaml"]["data"]["stubDomains"])
    assert stubs["corp.example.com"] == ["10.9.0.53", "10.9.1.53"]
    custom = files["clusters/c/dns/configmap-coredns-custom.yaml"]["data"]
    assert custom["fleet-extra-corp.example.com.server"] == (
        "corp.example.com:53 {\n    errors\n    cache 30\n    forward . 10.9.0.53 10.9.1.53\n}\n"
    )
    assert dnsproof.prove(fleet, files) == []


def test_the_dns_proof_follows_every_extra_zone_to_its_declared_upstreams(tmp_path: Path) -> None:
    fleet = _load(tmp_path, _fleet_text())
    files = pipeline.render_output(fleet).files
    broken = json.loads(json.dumps(files))
    cm = broken["clusters/a/dns/configmap-coredns.yaml"]["data"]
    cm["Corefile"] = cm["Corefile"].replace("forward . 10.9.0.53 10.9.1.53", "forward . 10.9.0.53")
    stubs = broken["clusters/b/dns/configmap-kube-dns.yaml"]["data"]
    stubs["stubDomains"] = stubs["stubDomains"].replace(',"corp.example.com":["10.9.0.53","10.9.1.53"]', "")
    assert [f.parsable() for f in dnsproof.prove(fleet, broken)] == [
        "fleet.yaml:10:43: [error] dns-unresolvable from a, extra zone corp.example.com never reaches 10.9.1.53, "
        "which the fleet file declares as its upstream",
        "output/clusters/b/dns/configmap-kube-dns.yaml:1:1: [error] dns-unresolvable from b, extra zone "
        "corp.example.com matches no stub domain in clusters/b/dns/configmap-kube-dns.yaml and would go to "
        "kube-dns's upstream nameservers",
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "{zone: 'corp.example.com {', forward: [10.9.0.53]}",
            "fleet.yaml:10:16: [error] schema spec.dns.extraZones[0].zone: \"corp.example.com {\" is not an RFC 1123 "
            "DNS name in lower case (labels of letters, digits and '-', separated by '.', e.g. \"corp.example.com\")",
        ),
        (
            "{zone: corp.example.com, forward: ['fe80::1%eth0']}",
            "fleet.yaml:10:44: [error] schema spec.dns.extraZones[0].forward[0]: \"fe80::1%eth0\" is not an IPv4 or "
            "IPv6 address (digits, hex, '.' and ':' only; no zone id, port or spaces)",
        ),
        (
            "{zone: corp.example.com, forward: ['10.9.0.53:5353']}",
            "fleet.yaml:10:44: [error] dns-extra-zone forward '10.9.0.53:5353' of extra zone 'corp.example.com' is not "
            "an IP address",
        ),
        (
            "{zone: corp.example.com, forward: [10.9.0]}",
            "fleet.yaml:10:44: [error] dns-extra-zone forward '10.9.0' of extra zone 'corp.example.com' is not an "
            "IP address",
        ),
        (
            "{zone: corp.example.com, forward: [127.0.0.1]}",
            "fleet.yaml:10:44: [error] dns-extra-zone forward '127.0.0.1' of extra zone 'corp.example.com' is a "
            "loopback address; name the DNS server's routable address",
        ),
        (
            "{zone: x.a.local, forward: [10.9.0.53]}",
            "fleet.yaml:10:16: [error] dns-extra-zone extra zone 'x.a.local' lies inside the fleet zone of cluster "
            "'a' ('a.local'); fleetgen routes that name itself, pick a zone outside it",
        ),
        (
            "{zone: local, forward: [10.9.0.53]}",
            "fleet.yaml:10:16: [error] dns-extra-zone extra zone 'local' contains the fleet zone of cluster 'a' "
            "('a.local'); fleetgen routes that name itself, pick a zone outside it",
        ),
        (
            "{zone: cluster.local, forward: [10.9.0.53]}",
            "fleet.yaml:10:16: [error] dns-extra-zone extra zone 'cluster.local' is the clusterDomain of cluster 'a'; "
            "fleetgen routes that name itself, pick a zone outside it",
        ),
    ],
)
def test_extra_zones_are_held_to_a_strict_grammar_at_the_fleet_line(tmp_path: Path, entry: str, expected: str) -> None:
    text = _fleet_text().replace("{zone: corp.example.com, forward: [10.9.0.53, 10.9.1.53]}", entry)
    assert all_findings(write(tmp_path, text)) == [expected]


def test_a_zone_listed_twice_is_reported_at_the_second(tmp_path: Path) -> None:
    text = _fleet_text().replace(
        "      - {zone: corp.example.com, forward: [10.9.0.53, 10.9.1.53]}\n",
        "      - {zone: corp.example.com, forward: [10.9.0.53]}\n      - {zone: corp.example.com., forward: [10.9.1.53]}\n",
    )
    assert all_findings(write(tmp_path, text)) == [
        "fleet.yaml:11:16: [error] dns-extra-zone extra zone 'corp.example.com' is listed twice; merge the forward "
        "lists into one entry",
    ]


def test_the_emitter_refuses_a_value_outside_the_grammar_a_second_time(tmp_path: Path) -> None:
    fleet = _load(tmp_path, _fleet_text())
    evil = ExtraZone("corp.example.com {\n}\n.", ("10.9.0.53",), "/spec/dns/extraZones/0")
    clusters = tuple(dataclasses.replace(c, extra_zones=(evil,)) for c in fleet.clusters)
    hostile = dataclasses.replace(fleet, clusters=clusters, by_name={c.name: c for c in clusters}, memo={})
    with pytest.raises(RenderError, match="refusing to write an extra zone"):
        render(hostile)
