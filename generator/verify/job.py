"""fleetgen post-sync verification, run by the Job fleetgen renders into each cluster.

Standard library only (it runs on a stock python image; nothing is installed at
runtime). Reads the cluster's checks from a JSON file (FLEETGEN_VERIFY_CONFIG,
default /etc/fleetgen-verify/config.json), prints one JSON line per check and exits
1 if any check failed (2 if the configuration cannot be read).

  seed      the name resolves, through the cluster's own resolver, to an address in
            the owning cluster's pod ranges
  endpoint  the peer's DNS endpoint answers a query for the peer's zone (SOA)
  tcp       a TCP connection to each declared port of one peer pod succeeds

FLEETGEN_VERIFY_RESOLVER=host[:port] overrides the resolver (default: the first
nameserver of /etc/resolv.conf, port 53); FLEETGEN_VERIFY_TIMEOUT the seconds
each query or connection may take (default 3).
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import socket
import struct
import sys
from typing import Any, Callable, Dict, List, Mapping, Tuple

TYPE_A, TYPE_AAAA, TYPE_SOA = 1, 28, 6
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


class DnsError(Exception):
    pass


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise DnsError("invalid name %r" % name)
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def _skip_name(msg: bytes, pos: int) -> int:
    while True:
        if pos >= len(msg):
            raise DnsError("truncated answer")
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            return pos + 2
        if length == 0:
            return pos + 1
        pos += 1 + length


def query(server: str, port: int, name: str, qtype: int, timeout: float) -> Tuple[str, List[str]]:
    """Send one query over UDP; return (rcode name, [addresses for A/AAAA])."""
    ident = random.randrange(0, 65536)
    packet = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + _encode_name(name) + struct.pack(">HH", qtype, 1)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(packet, (server, port))
        while True:
            msg, _ = sock.recvfrom(4096)
            if len(msg) >= 12 and struct.unpack(">H", msg[:2])[0] == ident:
                break
    _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    pos = 12
    for _ in range(qd):
        pos = _skip_name(msg, pos) + 4
    addresses: List[str] = []
    for _ in range(an):
        pos = _skip_name(msg, pos)
        rtype, _, _, rdlength = struct.unpack(">HHIH", msg[pos:pos + 10])
        pos += 10
        rdata = msg[pos:pos + rdlength]
        pos += rdlength
        if rtype == TYPE_A and rdlength == 4:
            addresses.append(str(ipaddress.IPv4Address(rdata)))
        elif rtype == TYPE_AAAA and rdlength == 16:
            addresses.append(str(ipaddress.IPv6Address(rdata)))
    return RCODES.get(flags & 0xF, str(flags & 0xF)), addresses


def resolver(env: Mapping[str, str]) -> Tuple[str, int]:
    given = env.get("FLEETGEN_VERIFY_RESOLVER")
    if given:
        host, _, port = given.rpartition(":") if given.count(":") == 1 else (given, "", "53")
        return host, int(port or 53)
    try:
        with open("/etc/resolv.conf", encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    return parts[1], 53
    except OSError:
        pass
    return "127.0.0.1", 53


def resolve(res: Tuple[str, int], name: str, timeout: float) -> Tuple[str, List[str]]:
    rcode, addresses = query(res[0], res[1], name, TYPE_A, timeout)
    if rcode == "NOERROR" and not addresses:
        rcode, addresses = query(res[0], res[1], name, TYPE_AAAA, timeout)
    return rcode, addresses


def check_seed(res: Tuple[str, int], seed: Dict[str, Any], timeout: float) -> Dict[str, Any]:
    out = {"check": "seed", "workload": seed["workload"], "name": seed["name"], "owner": seed["owner"]}
    try:
        rcode, addresses = resolve(res, seed["name"], timeout)
    except (OSError, DnsError) as exc:
        return dict(out, ok=False, error="no answer from the resolver %s:%d: %s" % (res[0], res[1], exc))
    out["addresses"] = addresses
    if rcode != "NOERROR" or not addresses:
        return dict(out, ok=False, error="%s: the name does not resolve" % rcode)
    ranges = [ipaddress.ip_network(c) for c in seed["podCIDRs"]]
    outside = [a for a in addresses if not any(ipaddress.ip_address(a) in r for r in ranges)]
    if outside:
        return dict(out, ok=False, error="%s not in %s's pod ranges %s" % (
            ", ".join(outside), seed["owner"], ", ".join(seed["podCIDRs"])))
    return dict(out, ok=True)


def check_endpoint(endpoint: Dict[str, Any], timeout: float) -> Dict[str, Any]:
    out = {"check": "endpoint", "peer": endpoint["peer"], "zone": endpoint["zone"],
           "address": endpoint["address"], "port": endpoint["port"]}
    try:
        rcode, _ = query(endpoint["address"], endpoint["port"], endpoint["zone"], TYPE_SOA, timeout)
    except (OSError, DnsError) as exc:
        return dict(out, ok=False, error="no answer: %s" % (exc or "timed out"))
    if rcode not in ("NOERROR", "NXDOMAIN"):
        return dict(out, ok=False, rcode=rcode, error="%s for its own zone %s" % (rcode, endpoint["zone"]))
    return dict(out, ok=True, rcode=rcode)


def check_tcp(res: Tuple[str, int], target: Dict[str, Any], timeout: float) -> List[Dict[str, Any]]:
    results: List[Dict[str, Any]] = []
    base = {"check": "tcp", "workload": target["workload"], "peer": target["peer"], "name": target["name"]}
    try:
        rcode, addresses = resolve(res, target["name"], timeout)
    except (OSError, DnsError) as exc:
        rcode, addresses = "no answer (%s)" % exc, []
    for port in target["ports"]:
        out = dict(base, port=port["port"], portName=port["name"])
        if not addresses:
            results.append(dict(out, ok=False, error="%s: the pod's name does not resolve" % rcode))
            continue
        try:
            with socket.create_connection((addresses[0], port["port"]), timeout=timeout):
                pass
        except OSError as exc:
            results.append(dict(out, address=addresses[0], ok=False, error="connect failed: %s" % (exc or "timed out")))
            continue
        results.append(dict(out, address=addresses[0], ok=True))
    return results


def run(config: Dict[str, Any], env: Mapping[str, str], write: Callable[[str], Any]) -> int:
    timeout = float(env.get("FLEETGEN_VERIFY_TIMEOUT", "3"))
    res = resolver(env)
    failed = 0
    results = [check_seed(res, s, timeout) for s in config.get("seeds", [])]
    results += [check_endpoint(e, timeout) for e in config.get("endpoints", [])]
    for target in config.get("tcp", []):
        results += check_tcp(res, target, timeout)
    for result in results:
        result["cluster"] = config.get("cluster", "")
        failed += not result["ok"]
        write(json.dumps(result, sort_keys=True) + "\n")
    write(json.dumps({"check": "summary", "cluster": config.get("cluster", ""), "ok": failed == 0,
                      "checks": len(results), "failed": failed}, sort_keys=True) + "\n")
    return 1 if failed else 0


def main() -> int:
    path = os.environ.get("FLEETGEN_VERIFY_CONFIG", "/etc/fleetgen-verify/config.json")
    try:
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
    except (OSError, ValueError) as exc:
        sys.stdout.write(json.dumps({"check": "config", "ok": False, "error": "%s: %s" % (path, exc)}) + "\n")
        return 2
    code = run(config, os.environ, sys.stdout.write)
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
