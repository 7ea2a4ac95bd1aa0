"""Work is spread over the workers by cost, not by count."""

from __future__ import annotations

from generator.parallel import balanced_chunks


def test_one_expensive_item_gets_a_chunk_of_its_own() -> None:
    # the facts document (last by path) must not double the cost of the chunk it falls into
    sizes = {f"doc{i}": 10 for i in range(8)} | {"fleet.facts.json": 80}
    chunks = balanced_chunks(sorted(sizes), sizes.__getitem__, 2)
    assert chunks == [["fleet.facts.json"], [f"doc{i}" for i in range(8)]]


def test_equal_costs_split_evenly_in_order() -> None:
    chunks = balanced_chunks(list(range(6)), lambda _: 1, 3)
    assert sorted(map(len, chunks)) == [2, 2, 2]
    assert sorted(x for c in chunks for x in c) == list(range(6))
    assert all(c == sorted(c) for c in chunks)


def test_never_more_chunks_than_items_and_none_empty() -> None:
    assert balanced_chunks(["a"], len, 4) == [["a"]]
    assert balanced_chunks([], len, 4) == [[]]
