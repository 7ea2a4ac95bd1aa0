"""The pieces of a traced route: where it ends (a stop, a plugin answering, Consul DNS) and the route itself.

A leg is what the walk over the rendered DNS produces for a *zone class* (see
trace.py): the hops and how it ends, before the name itself is looked at. The
ends are compared by identity (``eq=False``): the walk is memoised, so one end
object is shared by every asker whose route reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Union

from generator.dnsproof.consul import ConsulDns
from generator.dnsproof.corefile import Directive, ServerBlock
from generator.dnsproof.rendered import DnsServer


@dataclass(frozen=True, eq=False)
class Stop:
    """The route breaks here whatever the name; ``hint_from``: add where DNS is in that cluster."""

    failure: str  # reads after "from <asker>, <name> ..."
    path: str | None
    hint_from: str | None = None


@dataclass(frozen=True, eq=False)
class Answer:
    """A ``kubernetes``/``kubernetai`` stanza (or kube-dns's cluster domain, ``plugin`` None) answers."""

    server: DnsServer
    plugin: Directive | None
    zones: tuple[str, ...]
    block: ServerBlock | None


@dataclass(frozen=True, eq=False)
class ConsulAnswer:
    """Consul DNS at its pinned ClusterIP answers (from its catalog, at runtime)."""

    consul: ConsulDns


@dataclass(frozen=True, eq=False)
class ExternalAnswer:
    """A declared extra zone (dns.extraZones) reaches one of its declared upstreams, outside the fleet."""

    zone: str
    ip: str


End = Union[Stop, Answer, ConsulAnswer, ExternalAnswer]


# Hops as a rope: hop texts and nested ropes, flattened only when shown (``flat``). A leg is
# extended once per server it passes, for every asker: concatenating tuples there would cost
# more than the whole walk.
Hops = tuple[Union[str, "Hops"], ...]


class Leg(NamedTuple):
    hops: Hops
    end: End


def flat(hops: Hops) -> tuple[str, ...]:
    out: list[str] = []
    stack = [iter(hops)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, str):
                out.append(item)
            else:
                stack.append(iter(item))
                break
        else:
            stack.pop()
    return tuple(out)


@dataclass(frozen=True)
class Route:
    """One way a query can go: the hops taken and, if it breaks, why and in which file."""

    hops: tuple[str, ...]
    resolved: bool
    failure: str | None = None  # reads after "from <asker>, <name> ..."
    path: str | None = None  # output-relative file where it breaks


@dataclass(frozen=True)
class Explanation:
    asker: str
    name: str
    owner: str | None
    routes: tuple[Route, ...]
    missing: str | None = None  # the name's pod or Service does not exist (pods.py): "no such pod: ..."

    @property
    def resolved(self) -> bool:
        return bool(self.routes) and all(r.resolved for r in self.routes) and self.missing is None
