// Calico BGP overlay objects for one cluster (connectivity.mode: overlay):
// BGPConfiguration default, BGPPeers to the local and remote route reflectors,
// and IPPools (own pod ranges enabled, peers' pod ranges disabled without NAT).
// Input: cluster.calico from generator/overlay.py; names are computed there.
local k = import '../lib/k.libsonnet';

local apiVersion = 'projectcalico.org/v3';

// projectcalico.org/v3 is served by the Calico API server: let Argo CD skip its
// dry run while that API is not registered yet (see docs/overlay-calico.md).
local annotations = { 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' };

local object(fleet, kind, name) =
  k.object(apiVersion, kind, name, null, k.labels(fleet, 'calico', 'overlay'), annotations);

{
  files(fleet, cluster)::
    local c = k.required(cluster.calico, 'cluster.calico (connectivity.mode: overlay)');
    {
      'calico/bgpconfiguration-default.yaml': object(fleet, 'BGPConfiguration', 'default') + {
        spec: {
          // null only in a fleet that rule `overlay` refuses; omitted so `fleetgen check` still reports it
          [if c.asNumber != null then 'asNumber']: c.asNumber,
          nodeToNodeMeshEnabled: c.nodeToNodeMeshEnabled,
        },
      },
    }
    + (
      if c.hasRouteReflectors then {
        'calico/bgppeer-fleetgen-route-reflectors.yaml': object(fleet, 'BGPPeer', 'fleetgen-route-reflectors') + {
          spec: { nodeSelector: 'all()', peerSelector: c.routeReflectorSelector },
        },
      } else {}
    )
    + {
      ['calico/bgppeer-' + p.name + '.yaml']: object(fleet, 'BGPPeer', p.name) + {
        spec: {
          nodeSelector: c.routeReflectorSelector,
          peerIP: p.peerIP,
          [if p.asNumber != null then 'asNumber']: p.asNumber,
          [if p.keepOriginalNextHop then 'keepOriginalNextHop']: true,
        },
      }
      for p in c.peers
    }
    + {
      ['calico/ippool-' + pool.name + '.yaml']: object(fleet, 'IPPool', pool.name) + {
        spec: {
          cidr: pool.cidr,
          blockSize: pool.blockSize,
          ipipMode: pool.ipipMode,
          vxlanMode: pool.vxlanMode,
          natOutgoing: pool.natOutgoing,
          disabled: pool.disabled,
          [if !pool.disabled then 'nodeSelector']: 'all()',
        },
      }
      for pool in c.pools
    },
}
