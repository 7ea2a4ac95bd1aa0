"""Run independent chunks of work in forked worker processes, one per core.

Forking lets workers inherit the loaded fleet instead of pickling it; only each
chunk's result travels back. Where fork is unavailable, or for one worker, the
chunks run in this process.
"""

from __future__ import annotations

import heapq
import os
import signal
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# The task of the current fork_map call; set only for the lifetime of its pool,
# read by the forked children (which inherit it) and never pickled.
_task: Callable[[int], object] | None = None


def _quiet_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool: no traceback from every worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ignore_interrupts() -> object:
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not ours to change
        return None


def _restore_interrupts(previous: object) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)  # type: ignore[arg-type]


def _run(index: int) -> object:
    assert _task is not None
    return _task(index)


def workers(requested: int | None = None) -> int:
    if requested is not None:
        return max(1, requested)
    env = os.environ.get("FLEETGEN_WORKERS")
    if env and env.isdigit():
        return max(1, int(env))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def fork_map(fn: Callable[[T], R], items: Sequence[T], processes: int) -> list[R]:
    """``[fn(x) for x in items]``, in up to ``processes`` forked workers, results in order."""
    with forked(fn, items, processes) as results:
        return results()


@contextmanager
def forked(fn: Callable[[T], R], items: Sequence[T], processes: int) -> Iterator[Callable[[], list[R]]]:
    """``fork_map`` started now, its results when the yielded callable is called.

    The parent is free in between (the DNS proof runs while the workers evaluate
    policies); leaving the block stops any worker still running. With one process
    (or no fork) the work runs in this process when the results are asked for.
    """
    global _task
    import multiprocessing  # only when work is split: a small fleet never pays for it

    if processes <= 1 or len(items) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: [fn(x) for x in items]
        return
    _task = lambda i: fn(items[i])  # noqa: E731 - inherited by the children, never pickled
    try:
        # Workers are forked with SIGINT ignored (not only after their initializer ran: a Ctrl-C
        # during the fork would otherwise print a worker traceback); the parent handles it.
        previous = _ignore_interrupts()
        try:
            pool = multiprocessing.get_context("fork").Pool(min(processes, len(items)), initializer=_quiet_interrupts)
        finally:
            _restore_interrupts(previous)
        with pool:  # terminates the workers on the way out
            pending = pool.map_async(_run, range(len(items)), chunksize=1)

            def results() -> list[R]:
                return pending.get()  # type: ignore[return-value]

            yield results
    finally:
        _task = None


def chunks(items: Sequence[T], count: int) -> list[list[T]]:
    """Split into ``count`` contiguous chunks of near-equal size (none empty)."""
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    out, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        out.append(list(items[start:end]))
        start = end
    return out


def balanced_chunks(items: Sequence[T], cost: Callable[[T], int], count: int) -> list[list[T]]:
    """Split into up to ``count`` chunks of near-equal total ``cost`` (none empty).

    Longest item first, each to the chunk with the least cost so far (LPT: within
    4/3 of the best split); items keep their input order inside a chunk. One
    expensive item (the facts document) gets a chunk of its own instead of
    doubling the chunk it falls into.
    """
    count = max(1, min(count, len(items)))
    if count == 1:
        return [list(items)]
    order = sorted(range(len(items)), key=lambda i: -cost(items[i]))
    heap = [(0, chunk) for chunk in range(count)]
    owner = [0] * len(items)
    for i in order:
        load, chunk = heapq.heappop(heap)
        owner[i] = chunk
        heapq.heappush(heap, (load + cost(items[i]), chunk))
    out: list[list[T]] = [[] for _ in range(count)]
    for i, item in enumerate(items):
        out[owner[i]].append(item)
    return [c for c in out if c]
