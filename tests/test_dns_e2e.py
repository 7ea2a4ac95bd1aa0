"""End to end with real DNS packets: one dnslib server per DNS pod set of each cluster, on loopback.

Each fake server behaves as the parsed rendered configuration says (its own,
simple reading of it, independent of the tracer): the longest matching server
block or stub domain; ``kubernetes <zone>`` answers A records for the cluster's
own pods from a small table; ``forward``/stub IPs go to the fake server behind
the cluster DNS endpoint (LoadBalancer Service) with that IP. An address that
is no endpoint, or /etc/resolv.conf, gives SERVFAIL: nothing but 127.0.0.1 is
ever contacted. Servers stop in the fixture's teardown, and by themselves after
a few seconds in any case.
"""

from __future__ import annotations

import copy
import shutil
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from dnslib import QTYPE, RCODE, RR, A, DNSRecord
from dnslib.server import BaseResolver, DNSServer

from generator import pipeline
from generator.dnsproof import corefile
from generator.dnsproof import reserved_addresses
from generator.dnsproof.rendered import ClusterDns, DnsServer, fleet_dns
from generator.view import seeds

FLEET = Path(__file__).parent / "fleets" / "dnsproof" / "three-providers.yaml"
LOOPBACK = "127.0.0.1"
TIMEOUT = 2.0  # seconds a client waits for one answer
LIFETIME = 30.0  # seconds after which a forgotten server stops itself


class _Silent:
    def __getattr__(self, _name: str) -> Any:
        return lambda *args, **kwargs: None


class FakeDns(BaseResolver):  # type: ignore[misc]
    def __init__(self, server: DnsServer, world: "World") -> None:
        self.server = server
        self.world = world

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        name = str(request.q.qname).rstrip(".").lower()
        reply = request.reply()
        action = self._action(name)
        if action[0] == "answer":
            ip = self.world.pods.get(self.server.cluster, {}).get(name)
            if ip is None:
                reply.header.rcode = RCODE.NXDOMAIN
            else:
                reply.add_answer(RR(name, QTYPE.A, rdata=A(ip), ttl=30))
            return reply
        if action[0] == "forward":
            port = self.world.port_for(action[1])
            if port is not None:
                try:
                    return DNSRecord.parse(request.send(LOOPBACK, port, timeout=TIMEOUT))
                except OSError:
                    pass
        reply.header.rcode = RCODE.SERVFAIL
        return reply

    def _action(self, name: str) -> tuple[str, str]:
        if self.server.kind == "kube-dns":
            stubs = sorted((z for z, _ in self.server.stubs if corefile.in_zone(name, z)), key=len)
            if not stubs:
                return ("fail", "")
            return ("forward", dict(self.server.stubs)[stubs[-1]][0])
        assert self.server.corefile is not None
        blocks = [(k.zone, b) for b in self.server.corefile.blocks for k in b.keys if corefile.in_zone(name, k.zone)]
        if not blocks:
            return ("fail", "")
        block = max(blocks, key=lambda zb: 0 if zb[0] == "." else len(zb[0]))[1]
        for d in block.directives:
            if d.name == "kubernetes" and any(corefile.in_zone(name, z) for z in d.args or [k.zone for k in block.keys]):
                return ("answer", "")
        for d in block.directives:
            if d.name == "forward" and corefile.in_zone(name, d.args[0]):
                return ("forward", d.args[1])
        return ("fail", "")


class World:
    """The fleet's DNS on loopback: endpoint IP -> the port of the fake server its Service selects."""

    def __init__(self, dns: dict[str, ClusterDns], pods: dict[str, dict[str, str]]) -> None:
        self.dns = dns
        self.pods = pods
        self.servers: dict[tuple[str, str], DNSServer] = {}
        self.timers: list[threading.Timer] = []

    def start(self) -> None:
        for cluster in self.dns.values():
            for server in cluster.servers:
                if server.problem:
                    continue
                srv = DNSServer(FakeDns(server, self), address=LOOPBACK, port=0, logger=_Silent())
                srv.start_thread()
                timer = threading.Timer(LIFETIME, srv.stop)
                timer.daemon = True
                timer.start()
                self.timers.append(timer)
                self.servers[(server.cluster, server.title)] = srv

    def stop(self) -> None:
        for timer in self.timers:
            timer.cancel()
        for srv in self.servers.values():
            srv.stop()
            srv.server.server_close()

    def port_of(self, server: DnsServer) -> int:
        return int(self.servers[(server.cluster, server.title)].server.server_address[1])

    def port_for(self, upstream: str) -> int | None:
        for cluster in self.dns.values():
            for ep in cluster.endpoints:
                if ep.ip == upstream:
                    chosen = [s for s in cluster.servers if s.selected_by(ep.namespace, dict(ep.selector))]
                    return self.port_of(chosen[0]) if chosen else None
        return None  # not a fleet endpoint: never sent anywhere

    def ask(self, asker: str, name: str) -> DNSRecord:
        query = DNSRecord.question(name, "A")
        return DNSRecord.parse(query.send(LOOPBACK, self.port_of(self.dns[asker].resolver), timeout=TIMEOUT))


def _setup(tmp_path: Path, edit: Any = None) -> tuple[Any, dict[str, Any], World]:
    path = tmp_path / "fleet.yaml"
    shutil.copy(FLEET, path)
    fleet = pipeline.load(path, "fleet.yaml").fleet
    assert fleet is not None
    files = copy.deepcopy(pipeline.render_output(fleet).files)
    if edit:
        edit(files)
    pods: dict[str, dict[str, str]] = {}
    for i, name in enumerate(n for w in fleet.workloads for n in seeds(fleet, w)):
        owner = next(c.name for c in fleet.clusters if name.endswith("." + c.zone))
        pods.setdefault(owner, {})[name] = f"192.0.2.{i + 1}"
    return fleet, files, World(fleet_dns(tuple(fleet.by_name), files, reserved_addresses(fleet)), pods)


@pytest.fixture
def world_factory() -> Iterator[Any]:
    started: list[World] = []

    def make(world: World) -> World:
        started.append(world)
        world.start()
        return world

    yield make
    for world in started:
        world.stop()


def test_every_seed_resolves_over_the_wire(tmp_path: Path, world_factory: Any) -> None:
    fleet, files, world = _setup(tmp_path)
    world_factory(world)
    assert pipeline.check_output(fleet, files) == []
    answers = {}
    for owner, names in world.pods.items():
        for name, ip in names.items():
            for asker in (owner, *fleet.peers[owner]):
                reply = world.ask(asker, name)
                answers[(asker, name)] = (RCODE.get(reply.header.rcode), [str(r.rdata) for r in reply.rr])
                assert answers[(asker, name)] == ("NOERROR", [ip])
    assert len(answers) == 9  # 3 seeds x 3 askers


def test_wrong_forward_fails_on_the_wire_where_the_proof_says(tmp_path: Path, world_factory: Any) -> None:
    def edit(files: dict[str, Any]) -> None:
        cm = files["clusters/aws-a/dns/configmap-coredns.yaml"]
        cm["data"]["Corefile"] = cm["data"]["Corefile"].replace("forward . 10.20.255.10", "forward . 10.20.255.11")

    fleet, files, world = _setup(tmp_path, edit)
    world_factory(world)
    broken = {(f.clusters[0], f.message.split(", ", 1)[1].split(" ", 1)[0]) for f in pipeline.check_output(fleet, files)}
    assert broken == {("aws-a", "cassandra-0.cassandra.db.svc.gcp-b.local")}
    for owner, names in world.pods.items():
        for name in names:
            for asker in (owner, *fleet.peers[owner]):
                rcode = RCODE.get(world.ask(asker, name).header.rcode)
                assert (rcode != "NOERROR") == ((asker, name) in broken), (asker, name, rcode)


def test_lb_selecting_nothing_fails_on_the_wire(tmp_path: Path, world_factory: Any) -> None:
    def edit(files: dict[str, Any]) -> None:
        files["clusters/azure-c/dns/service-dns-endpoint.yaml"]["spec"]["selector"] = {"k8s-app": "kube-dnz"}

    fleet, files, world = _setup(tmp_path, edit)
    world_factory(world)
    broken = {(f.clusters[0], f.message.split(", ", 1)[1].split(" ", 1)[0]) for f in pipeline.check_output(fleet, files)}
    assert broken == {("aws-a", "cassandra-0.cassandra.db.svc.azure-c.local"), ("gcp-b", "cassandra-0.cassandra.db.svc.azure-c.local")}
    for asker in ("aws-a", "gcp-b"):
        assert RCODE.get(world.ask(asker, "cassandra-0.cassandra.db.svc.azure-c.local").header.rcode) == "SERVFAIL"
    assert RCODE.get(world.ask("azure-c", "cassandra-0.cassandra.db.svc.azure-c.local").header.rcode) == "NOERROR"
