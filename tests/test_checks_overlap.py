"""The overlap sweep reports exactly the pairs a brute-force O(n^2) comparison reports."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.checks.overlap import IPNetwork, brute_force_pairs, overlapping_pairs


@st.composite
def networks(draw: st.DrawFn) -> IPNetwork:
    if draw(st.booleans()):
        # a narrow IPv4 space so that nesting and equal blocks are common
        prefix = draw(st.integers(min_value=20, max_value=32))
        address = 0x0A000000 + draw(st.integers(min_value=0, max_value=(1 << 14) - 1)) * 4
        return ipaddress.ip_network(f"{ipaddress.IPv4Address(address)}/{prefix}", strict=False)
    prefix = draw(st.integers(min_value=116, max_value=128))
    address = (0xFD << 120) + draw(st.integers(min_value=0, max_value=(1 << 14) - 1))
    return ipaddress.ip_network(f"{ipaddress.IPv6Address(address)}/{prefix}", strict=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(networks(), max_size=40))
def test_sweep_matches_brute_force(nets: list[IPNetwork]) -> None:
    items = [(n, i) for i, n in enumerate(nets)]
    sweep = [tuple(sorted(p)) for p in overlapping_pairs(items)]
    oracle = [tuple(sorted(p)) for p in brute_force_pairs(items)]
    assert len(sweep) == len(set(sweep)), "a pair was reported twice"
    assert sorted(sweep) == sorted(oracle)


def test_equal_and_nested_blocks_are_pairs() -> None:
    nets = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "10.1.0.0/16", "10.1.0.0/16", "11.0.0.0/8", "fd00::/8")]
    pairs = sorted(tuple(sorted(p)) for p in overlapping_pairs([(n, i) for i, n in enumerate(nets)]))
    assert pairs == [(0, 1), (0, 2), (1, 2)]
