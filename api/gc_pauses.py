"""Short garbage-collection pauses for a server holding thousands of sockets.

A full (generation 2) collection walks every tracked object. With 5,000 open
WebSockets that is on the order of a second, during which no event is sent:
in `bench/propagation.py` one change in ten reached every socket ~1 s late
(p99 1.4 s), and with the collector off p99 was 0.35 s (docs/BENCHMARKS.md).
So, every `freeze_seconds`, after a young-generation collection, the objects
alive by then (mostly the long-lived connections) move to the permanent
generation (`gc.freeze()`, a list splice) and later collections only walk
what is newer. Cycles among frozen objects are not
collected until the next `full_seconds` point, where everything is unfrozen
and collected once: one long pause every few minutes instead of one per
minute, and memory held by dead cycles is bounded by that period.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger("ucg.gc")


class GcFreezer:
    def __init__(self, freeze_seconds: float, full_seconds: float) -> None:
        self._freeze = freeze_seconds
        self._full = full_seconds
        self._stopped = asyncio.Event()
        self.ticks = 0  # freezes done
        self.full_collections = 0

    async def run(self) -> None:
        last_full = time.monotonic()
        while not self._stopped.is_set():
            try:
                await asyncio.wait_for(self._stopped.wait(), self._freeze)
                break
            except TimeoutError:
                pass
            if time.monotonic() - last_full >= self._full:
                gc.unfreeze()
                started = time.perf_counter()
                found = gc.collect()
                last_full = time.monotonic()
                self.full_collections += 1
                log.info(
                    "full collection",
                    extra={"seconds": round(time.perf_counter() - started, 3), "found": found},
                )
            gc.collect(1)  # young cyclic garbage first: only survivors are frozen
            gc.freeze()
            self.ticks += 1

    def stop(self) -> None:
        self._stopped.set()
        gc.unfreeze()
