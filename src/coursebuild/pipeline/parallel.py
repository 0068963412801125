"""One course's lessons split over the cores: the first share in this process, each other in a forked child.

A process pool would start fresh interpreters (half a second of imports each) and pickle the work out to
them; a fork starts at once with the parsed course, the loaded theme and the lesson cache already in
memory, so only the results travel back, pickled, through a pipe. Shares are contiguous and their results
come back in order, so the output is the same as one process's, byte for byte. A child that fails or dies
has its share done again here: the build then behaves exactly as a serial one, errors included.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items the fork and the pickling cost more than the second core gives back.
MIN_ITEMS = 64


def map_shares(
    function: Callable[[list[T]], R], items: Sequence[T], workers: int, weight: Callable[[T], int] = lambda _: 1
) -> list[R]:
    """`function` of each contiguous share of `items`, in order: one share per worker, of about the same
    total `weight` (the work an item takes), or a single share (here) when there is one worker, few items,
    or no fork on this system."""
    if workers <= 1 or len(items) < MIN_ITEMS or not _can_fork():
        return [function(list(items))]
    shares = _shares(items, workers, weight)
    context = multiprocessing.get_context("fork")
    # The children's collector would otherwise walk every object the course holds, touching each one's
    # memory page, which the kernel then copies: frozen objects are not walked.
    gc.freeze()
    try:
        children = [_start(context, function, share) for share in shares[1:]]
    finally:
        gc.unfreeze()
    try:
        results = [function(shares[0])]
    except BaseException:  # raised as in one process; the children's work is of no use now
        for process, connection in children:
            process.terminate()
            _collect(process, connection)
        raise
    for (process, connection), share in zip(children, shares[1:], strict=True):
        done, value = _collect(process, connection)
        results.append(value if done else function(share))
    return results


def _can_fork() -> bool:
    # A daemon process (a worker of some pools) may not have children.
    return hasattr(os, "fork") and not multiprocessing.current_process().daemon


def _shares(items: Sequence[T], workers: int, weight: Callable[[T], int]) -> list[list[T]]:
    weights = [max(1, weight(item)) for item in items]
    total = sum(weights)
    shares: list[list[T]] = [[] for _ in range(workers)]
    done = 0
    for item, item_weight in zip(items, weights, strict=True):
        # The share whose stretch of the total weight holds this item's middle.
        shares[min(workers - 1, (2 * done + item_weight) * workers // (2 * total))].append(item)
        done += item_weight
    return shares


def _start(context: Any, function: Callable[[list[T]], R], share: list[T]) -> tuple[Any, Connection]:
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_run_share, args=(function, share, sender), daemon=True)
    process.start()
    sender.close()  # the child holds the only writing end, so its death is an end of file here
    return process, receiver


def _run_share(function: Callable[[list[T]], R], share: list[T], sender: Connection) -> None:
    result: tuple[bool, R | None]
    try:
        result = (True, function(share))
    except BaseException:  # the parent does the share again and reports the error itself
        result = (False, None)
    try:
        sender.send(result)
    except Exception:  # a result that cannot be pickled: the parent does the share itself
        sender.send((False, None))
    finally:
        sender.close()


def _collect(process: Any, receiver: Connection) -> tuple[bool, Any]:
    try:
        done, value = receiver.recv()
    except Exception:  # the child died (end of file) or sent what cannot be read back
        done, value = False, None
    finally:
        receiver.close()
        process.join()
    return done, value
