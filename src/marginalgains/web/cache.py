"""Answers kept per worker process, keyed by everything they depend on, so a repeated read is a lookup.

A key always includes the store's published-data version, the viewer's audience and the disclosure rule
(read from the database on every request), so an entry is never stale and never another audience's: a
publish, a sharing agreement made or revoked, or a new rule changes the key on the next request in every
worker process, and the old entries age out of the bounded LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    """A bounded, thread-safe LRU of made values; one thread makes a missing value while the others wait for it
    (fifty readers of a freshly published view cost one build, not fifty)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept for `key`, made by `make()` (once, whoever asks first) when there is none."""
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
                making = self._making.get(key)
                if making is None:
                    making = self._making[key] = threading.Lock()
                    making.acquire()
                    break
            with making:  # another thread is making it: wait, then look again (it may have failed)
                pass
        try:
            value = make()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._making[key]
            making.release()

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
