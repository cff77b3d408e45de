"""The GC freezer moves survivors to the permanent generation and unfreezes on schedule."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable

from api.gc_pauses import GcFreezer


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while True:
            if condition():
                return
            await asyncio.sleep(0.005)


async def test_frozen_garbage_waits_for_the_full_collection() -> None:
    freezer = GcFreezer(freeze_seconds=0.01, full_seconds=3600)
    task = asyncio.create_task(freezer.run())
    try:
        node = Node()
        alive = weakref.ref(node)
        ticks = freezer.ticks
        await until(lambda: freezer.ticks >= ticks + 2)  # survived a freeze
        assert gc.get_freeze_count() > 0
        del node  # garbage now, but in the permanent generation
        gc.collect()  # even a full collection skips frozen objects
        assert alive() is not None
        freezer._full = 0.0  # the next tick is a full-collection point: unfreeze, collect
        await until(lambda: freezer.full_collections >= 1)
        assert alive() is None
    finally:
        freezer.stop()
        await asyncio.wait_for(task, 1)
    assert gc.get_freeze_count() == 0  # stop gives every object back to the collector
