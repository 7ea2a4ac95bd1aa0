"""Every overlapping pair among a set of IP networks, by a sorted sweep.

CIDR blocks are either nested or disjoint, so after sorting by (family, first
address, -last address) the blocks still open at a point form a chain of
ancestors: a stack. Each block overlaps exactly the blocks on the stack when it
arrives, which makes the sweep O(n log n + k) for n blocks and k pairs.
"""

from __future__ import annotations

import ipaddress
from typing import Iterator, Sequence, TypeVar, Union

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
T = TypeVar("T")


def overlapping_pairs(items: Sequence[tuple[IPNetwork, T]]) -> Iterator[tuple[T, T]]:
    """Yield ``(a, b)`` once for every overlapping pair; ``a`` sorts before ``b`` in the sweep."""
    order = sorted(
        range(len(items)),
        key=lambda i: (items[i][0].version, int(items[i][0].network_address), -int(items[i][0].broadcast_address), i),
    )
    stack: list[tuple[int, int, int]] = []  # (version, last address, item index)
    for i in order:
        net = items[i][0]
        first = int(net.network_address)
        while stack and (stack[-1][0] != net.version or stack[-1][1] < first):
            stack.pop()
        for _, _, j in stack:
            yield items[j][1], items[i][1]
        stack.append((net.version, int(net.broadcast_address), i))


def brute_force_pairs(items: Sequence[tuple[IPNetwork, T]]) -> Iterator[tuple[T, T]]:
    """The O(n^2) oracle the sweep is tested against."""
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            a, b = items[i][0], items[j][0]
            if a.version == b.version and a.overlaps(b):
                yield items[i][1], items[j][1]
