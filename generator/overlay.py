"""The Calico overlay's render input (view part ``calico``): BGP configuration, peers, pools.

Everything is named and computed here; blueprints/overlay/calico.libsonnet only
shapes the objects. The part is ``null`` unless ``connectivity.mode`` is ``overlay``.

- BGPConfiguration ``default``: the cluster's AS (cluster ``calico.asNumber``, else the
  fleet's), node-to-node mesh off when the cluster has route reflectors.
- BGPPeer ``fleetgen-route-reflectors``: every node peers with the local route
  reflectors (nodes labelled ``route-reflector=true``), which the mesh did before.
- BGPPeer per remote route reflector: from the local route reflectors to each peer
  cluster's route reflectors, with the peer's AS; ``keepOriginalNextHop`` on eBGP
  sessions so traffic goes straight to the remote node, not through its reflector.
- IPPools: this cluster's pod ranges (enabled, NAT outgoing) and every peer's pod
  ranges as disabled pools without NAT, so traffic to remote pods keeps its source IP.
"""

from __future__ import annotations

from typing import Any

from generator.model import Cluster, Fleet

RR_LABEL = "route-reflector"
RR_SELECTOR = "route-reflector == 'true'"
DEFAULT_BLOCK_SIZE_V4 = 26
DEFAULT_BLOCK_SIZE_V6 = 122
# fleet encapsulation -> (ipipMode, vxlanMode)
ENCAPSULATION = {
    "None": ("Never", "Never"),
    "IPIP": ("Always", "Never"),
    "IPIPCrossSubnet": ("CrossSubnet", "Never"),
    "VXLAN": ("Never", "Always"),
    "VXLANCrossSubnet": ("Never", "CrossSubnet"),
}


def as_number(fleet: Fleet, cluster: Cluster) -> int | None:
    value = cluster.calico_as if cluster.calico_as is not None else fleet.connectivity.calico.get("asNumber")
    return value if isinstance(value, int) else None


def _modes(fleet: Fleet, version: int) -> tuple[str, str]:
    ipip, vxlan = ENCAPSULATION.get(str(fleet.connectivity.calico.get("encapsulation", "None")), ("Never", "Never"))
    if version == 6:
        ipip = "Never"  # IPIP carries IPv4 only
    return ipip, vxlan


def _pools(fleet: Fleet, cluster: Cluster, *, own: bool) -> list[dict[str, Any]]:
    block_v4 = int(fleet.connectivity.calico.get("blockSize", DEFAULT_BLOCK_SIZE_V4))
    out = []
    for i, r in enumerate(x for x in cluster.cidrs("podCIDRs") if x.network is not None):
        assert r.network is not None
        ipip, vxlan = _modes(fleet, r.network.version)
        block = block_v4 if r.network.version == 4 else DEFAULT_BLOCK_SIZE_V6
        out.append(
            {
                "name": f"fleetgen-{cluster.name}-pods-{i}" if own else f"fleetgen-peer-{cluster.name}-pods-{i}",
                "cidr": str(r.network),
                "blockSize": max(block, r.network.prefixlen),
                "ipipMode": ipip,
                "vxlanMode": vxlan,
                "natOutgoing": own,
                "disabled": not own,
            }
        )
    return out


def calico_part(fleet: Fleet, cluster: Cluster) -> dict[str, Any]:
    if fleet.connectivity.mode != "overlay":
        return {"calico": None}
    local_as = as_number(fleet, cluster)
    peers = []
    pools = _pools(fleet, cluster, own=True)
    for name in fleet.peers.get(cluster.name, ()):
        peer = fleet.by_name[name]
        peer_as = as_number(fleet, peer)
        for i, ip in enumerate(peer.route_reflectors):
            peers.append(
                {
                    "name": f"fleetgen-{peer.name}-rr-{i}",
                    "peerIP": ip,
                    "asNumber": peer_as,
                    "keepOriginalNextHop": peer_as != local_as,
                }
            )
        pools += _pools(fleet, peer, own=False)
    return {
        "calico": {
            "asNumber": local_as,
            "nodeToNodeMeshEnabled": not cluster.route_reflectors,
            "hasRouteReflectors": bool(cluster.route_reflectors),
            "routeReflectorSelector": RR_SELECTOR,
            "peers": peers,
            "pools": pools,
        }
    }
