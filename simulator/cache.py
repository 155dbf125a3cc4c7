"""Bounded least-recently-used caches for the mapper: a layer's costs are computed once per process.

Like a compiler's memo of already-scheduled kernels: the mapper's work is a pure
function of plain, hashable data (a loop nest, an array geometry, a frozen
hardware view), so the answer for a key seen before is reused. Each cache is
bounded by entries and by bytes, evicting the least recently used entry, so a
sweep over many hardware points cannot grow a worker without limit.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["BoundedCache", "per_graph"]

_PER_GRAPH: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def per_graph(graph: Any, name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per graph object and ``name``, kept while the graph lives.

    A `workloads.LayerGraph` has no mutating methods (transformations return
    new graphs), so facts of a graph, such as its tensor sizes or its digest,
    hold for as long as the object does: a sweep simulating one graph on
    thousands of accelerators derives them once.
    """
    facts = _PER_GRAPH.setdefault(graph, {})
    if name not in facts:
        facts[name] = compute()
    return facts[name]


class BoundedCache:
    """A dict with least-recently-used eviction past ``max_entries`` entries or ``max_bytes`` bytes.

    Examples
    --------
    >>> cache = BoundedCache(max_entries=2)
    >>> cache.put("a", 1); cache.put("b", 2); cache.get("a")
    1
    >>> cache.put("c", 3)   # evicts "b", the least recently used
    >>> cache.get("b") is None, len(cache)
    (True, 2)
    """

    def __init__(self, max_entries: int = 100_000, max_bytes: int | None = None):
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1 (got {max_entries})")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        """Bytes of the entries held, as declared to `put`."""
        return self._bytes

    def get(self, key: Hashable) -> Any | None:
        """The value stored under ``key`` (now the most recently used), or None."""
        item = self._items.get(key)
        if item is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Hashable, value: Any, nbytes: int = 0) -> None:
        """Store ``value`` (of ``nbytes`` bytes) under ``key``, evicting the least recently used."""
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        self._items[key] = (value, nbytes)
        self._bytes += nbytes
        while len(self._items) > 1 and (
            len(self._items) > self.max_entries or (self.max_bytes is not None and self._bytes > self.max_bytes)
        ):
            _, (_, size) = self._items.popitem(last=False)
            self._bytes -= size

    def clear(self) -> None:
        """Forget every entry (and the hit and miss counts)."""
        self._items.clear()
        self._bytes = self.hits = self.misses = 0
