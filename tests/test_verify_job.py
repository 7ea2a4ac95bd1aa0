"""The post-sync verification script, run for real against the fleet's DNS on loopback.

The rendered Job's ConfigMap (script and checks) is taken from the render; the DNS
servers are the DNS proof's loopback fakes (tests/test_dns_e2e.py), each behaving as
its rendered configuration says. Loopback stands for the clusters' networks: each
cluster's pod range maps to its own 127.0.<k>.0/24, each DNS endpoint to the port of
the fake server its Service selects, and each declared port of a peer pod to a TCP
listener on that pod's loopback address. Every server and listener stops in teardown.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from generator import pipeline
from generator.dnsproof import reserved_addresses
from generator.dnsproof.rendered import fleet_dns
from tests.conftest import FLEETS
from tests.test_dns_e2e import World

FLEET = FLEETS / "dnsproof" / "three-providers.yaml"
ASKER = "aws-a"
PORTS = {"cql": 9042, "intra-node": 7000}


def fleet_text() -> str:
    text = FLEET.read_text()
    text = text.replace("  workloads:\n", "  verify: {}\n  workloads:\n")
    text = text.replace("ports: [{name: cql, port: 9042}]", "ports: [{name: cql, port: 9042}, {name: intra-node, port: 7000}]")
    return text.replace("      seedsPerCluster: 1", "      seedsPerCluster: 1\n      verify: {tcp: true}")


class Lab:
    """The rendered fleet, its DNS on loopback, pods as loopback addresses with listeners."""

    def __init__(self, tmp_path: Path, edit: Any = None) -> None:
        path = tmp_path / "fleet.yaml"
        path.write_text(fleet_text())
        fleet = pipeline.load(path, "fleet.yaml").fleet
        assert fleet is not None
        self.fleet = fleet
        self.files = copy.deepcopy(pipeline.render_output(fleet).files)
        if edit:
            edit(self.files)
        self.net = {c.name: f"127.0.{i + 1}" for i, c in enumerate(fleet.clusters)}
        cm = self.files[f"clusters/{ASKER}/verify/configmap.yaml"]
        self.rendered = json.loads(cm["data"]["config.json"])
        self.script = tmp_path / "verify.py"
        self.script.write_text(cm["data"]["verify.py"])
        pods: dict[str, dict[str, str]] = {}
        for s in self.rendered["seeds"]:
            pods.setdefault(s["owner"], {})[s["name"]] = f"{self.net[s['owner']]}.{len(pods.get(s['owner'], {})) + 1}"
        self.world = World(fleet_dns(tuple(fleet.by_name), self.files, reserved_addresses(fleet)), pods)
        self.listeners: dict[tuple[str, int], socket.socket] = {}
        self.tmp = tmp_path

    def start(self, closed: tuple[tuple[str, int], ...] = ()) -> None:
        self.world.start()
        for target in self.rendered["tcp"]:
            address = self.world.pods[target["peer"]][target["name"]]
            for port in target["ports"]:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.bind((address, 0))
                if (target["peer"], port["port"]) not in closed:
                    sock.listen(4)
                self.listeners[(target["peer"], port["port"])] = sock  # bound, not listening: refused

    def stop(self) -> None:
        self.world.stop()
        for sock in self.listeners.values():
            sock.close()

    def config(self) -> dict[str, Any]:
        """The rendered checks, with the clusters' networks mapped onto loopback."""
        config = copy.deepcopy(self.rendered)
        for s in config["seeds"]:
            s["podCIDRs"] = [f"{self.net[s['owner']]}.0/24"]
        for e in config["endpoints"]:
            port = self.world.port_for(e["address"])
            e["address"], e["port"] = "127.0.0.1", port if port is not None else self._closed_port()
        for t in config["tcp"]:
            for p in t["ports"]:
                p["port"] = self.listeners[(t["peer"], p["port"])].getsockname()[1]
        return config

    def _closed_port(self) -> int:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def run(self) -> tuple[int, list[dict[str, Any]]]:
        config = self.tmp / "config.json"
        config.write_text(json.dumps(self.config()))
        resolver = self.world.port_of(self.world.dns[ASKER].resolver)
        env = {"PATH": os.environ.get("PATH", ""), "FLEETGEN_VERIFY_CONFIG": str(config),
               "FLEETGEN_VERIFY_RESOLVER": f"127.0.0.1:{resolver}", "FLEETGEN_VERIFY_TIMEOUT": "1"}
        # the Job's own command line: python3 -I -B <script>
        done = subprocess.run([sys.executable, "-I", "-B", str(self.script)], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.stderr == ""
        return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Any]:
    made: list[Lab] = []

    def make(edit: Any = None, closed: tuple[tuple[str, int], ...] = ()) -> Lab:
        lab = Lab(tmp_path, edit)
        made.append(lab)
        lab.start(closed)
        return lab

    yield make
    for lab in made:
        lab.stop()


def summary(lines: list[dict[str, Any]]) -> list[tuple[str, str, Any, bool]]:
    out = []
    for line in lines:
        what = line.get("name") if line["check"] == "seed" else line.get("peer")
        out.append((line["check"], what, line.get("port") if line["check"] != "tcp" else line["portName"], line["ok"]))
    return out


SEED = "cassandra-0.cassandra.db.svc.{}.local"


def expected(failing: set[tuple[str, str, Any]]) -> list[tuple[str, str, Any, bool]]:
    rows: list[tuple[str, str, Any]] = [("seed", SEED.format(c), None) for c in ("aws-a", "gcp-b", "azure-c")]
    rows += [("endpoint", "gcp-b", None), ("endpoint", "azure-c", None)]
    rows += [("tcp", peer, name) for peer in ("gcp-b", "azure-c") for name in PORTS]
    return [(c, w, p if c != "endpoint" else None, (c, w, p) not in failing) for c, w, p in rows]


def normalise(lines: list[dict[str, Any]]) -> list[tuple[str, str, Any, bool]]:
    return [(c, w, None if c == "endpoint" else p, ok) for c, w, p, ok in summary(lines[:-1])]


def test_rendered_config_names_every_check(tmp_path: Path) -> None:
    # what the Job of aws-a is told to check, before any network is involved
    rendered = Lab(tmp_path).rendered
    assert rendered["endpoints"] == [
        {"peer": "gcp-b", "zone": "gcp-b.local", "address": "10.20.255.10", "port": 53},
        {"peer": "azure-c", "zone": "azure-c.local", "address": "10.30.255.10", "port": 53},
    ]
    assert [(s["name"], s["owner"], s["podCIDRs"]) for s in rendered["seeds"]] == [
        (SEED.format("aws-a"), "aws-a", ["10.100.0.0/16"]),
        (SEED.format("gcp-b"), "gcp-b", ["10.200.0.0/16"]),
        (SEED.format("azure-c"), "azure-c", ["10.130.0.0/16"]),
    ]
    assert rendered["tcp"] == [
        {"workload": "db/cassandra", "peer": peer, "name": SEED.format(peer),
         "ports": [{"name": "cql", "port": 9042}, {"name": "intra-node", "port": 7000}]}
        for peer in ("gcp-b", "azure-c")
    ]


def test_everything_reachable_passes(lab: Any) -> None:
    code, lines = lab().run()
    assert normalise(lines) == expected(set())
    assert lines[-1] == {"check": "summary", "cluster": "aws-a", "ok": True, "checks": 9, "failed": 0}
    assert code == 0
    seeds = [line for line in lines if line["check"] == "seed"]
    assert [s["addresses"] for s in seeds] == [["127.0.1.1"], ["127.0.2.1"], ["127.0.3.1"]]


def test_missing_forward_fails_the_peer_seed_and_its_pods(lab: Any) -> None:
    def edit(files: dict[str, Any]) -> None:
        cm = files["clusters/aws-a/dns/configmap-coredns.yaml"]
        corefile = cm["data"]["Corefile"]
        assert "gcp-b.local:53 {" in corefile
        cm["data"]["Corefile"] = corefile.replace("gcp-b.local:53 {", "gcp-z.local:53 {")

    code, lines = lab(edit).run()
    failing = {("seed", SEED.format("gcp-b"), None), ("tcp", "gcp-b", "cql"), ("tcp", "gcp-b", "intra-node")}
    assert normalise(lines) == expected(failing)
    bad = next(line for line in lines if line["check"] == "seed" and not line["ok"])
    assert bad["error"] == "SERVFAIL: the name does not resolve"
    assert lines[-1]["failed"] == 3 and code == 1


def test_wrong_endpoint_fails_the_endpoint_and_what_goes_through_it(lab: Any) -> None:
    # azure-c's load balancer came up at another address than the fleet declares
    def edit(files: dict[str, Any]) -> None:
        svc = files["clusters/azure-c/dns/service-dns-endpoint.yaml"]
        key = "service.beta.kubernetes.io/azure-load-balancer-ipv4"
        assert svc["metadata"]["annotations"][key] == "10.30.255.10"
        svc["metadata"]["annotations"][key] = "10.30.255.11"

    code, lines = lab(edit).run()
    failing = {("seed", SEED.format("azure-c"), None), ("endpoint", "azure-c", None),
               ("tcp", "azure-c", "cql"), ("tcp", "azure-c", "intra-node")}
    assert normalise(lines) == expected(failing)
    endpoint = next(line for line in lines if line["check"] == "endpoint" and not line["ok"])
    assert endpoint["peer"] == "azure-c" and endpoint["error"].startswith("no answer")
    assert lines[-1]["failed"] == 4 and code == 1


def test_closed_port_fails_only_that_port(lab: Any) -> None:
    code, lines = lab(closed=(("gcp-b", PORTS["intra-node"]),)).run()
    assert normalise(lines) == expected({("tcp", "gcp-b", "intra-node")})
    bad = next(line for line in lines if not line["ok"])
    assert bad["address"] == "127.0.2.1" and bad["error"].startswith("connect failed: ")
    assert lines[-1]["failed"] == 1 and code == 1


def test_seed_answering_outside_the_owners_pod_range_fails(lab: Any) -> None:
    made = lab()
    made.world.pods["gcp-b"][SEED.format("gcp-b")] = "127.0.3.9"  # an azure-c pod address
    code, lines = made.run()
    bad = [line for line in lines if not line["ok"]]
    assert [(b["check"], b.get("name")) for b in bad][:1] == [("seed", SEED.format("gcp-b"))]
    assert bad[0]["error"] == "127.0.3.9 not in gcp-b's pod ranges 127.0.2.0/24"
    assert code == 1


def test_unreadable_config_exits_2(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    done = subprocess.run([sys.executable, "-I", "-B", str(lab.script)], capture_output=True, text=True, timeout=60,
                          env={"FLEETGEN_VERIFY_CONFIG": str(tmp_path / "missing.json")}, check=False)
    assert done.returncode == 2
    line = json.loads(done.stdout)
    assert line["check"] == "config" and line["ok"] is False


def test_script_uses_only_the_standard_library(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    imports = {line.split()[1] for line in lab.script.read_text().splitlines() if line.startswith(("import ", "from "))}
    assert imports == {"__future__", "ipaddress", "json", "os", "random", "socket", "struct", "sys", "typing"}
