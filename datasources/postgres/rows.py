"""Shared helpers for batch lookups: keep results in the order of the keys asked for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def one_per_key(keys: Sequence[K], items: Iterable[V], key_of: Callable[[V], K]) -> list[V | None]:
    by_key = {key_of(item): item for item in items}
    return [by_key.get(k) for k in keys]


def many_per_key(
    keys: Sequence[K], items: Iterable[V], key_of: Callable[[V], K | None]
) -> list[list[V]]:
    grouped: dict[K | None, list[V]] = defaultdict(list)
    for item in items:
        grouped[key_of(item)].append(item)
    return [grouped.get(k, []) for k in keys]
