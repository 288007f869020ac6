"""Stopping a running `compute` from another thread at once, not after its aggregate queries finish.

`compute(..., interrupter=Interrupter())` runs each aggregate query under the interrupter, which holds
how to stop it: DuckDB's `interrupt()` on the query's own cursor, or Spark's cancellation of the jobs
tagged with the query's tag (their tasks interrupted). `interrupter.interrupt(reason)`, from any thread,
stops the queries running and refuses every later one, and `compute` raises `Interrupted` with the
reason. A backend with no way to stop a query (another Ibis backend) runs the query it is in to its
end and starts no other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from marginalgains.errors import EngineError

log = logging.getLogger(__name__)
Stop = Callable[[], None]


class Interrupted(EngineError):
    """The run was interrupted before it finished (the message says why); it returns nothing."""


class Interrupter:
    """The queries a run has in flight, and whether (and why) it was told to stop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reason: str | None = None
        self._stops: dict[int, Stop] = {}
        self._next = 0

    @property
    def reason(self) -> str | None:
        """Why the run was interrupted; None while it was not."""
        return self._reason

    def interrupt(self, reason: str) -> None:
        """Stop every query running now and refuse later ones (the first reason given is kept).
        DuckDB forgets an interrupt that arrives as a query is being started, so a caller repeats this
        until the run has ended; repeating is harmless."""
        with self._lock:
            self._reason = self._reason or reason
            stops = list(self._stops.values())
        for stop in stops:
            try:
                stop()
            except Exception:  # the query ended as it was stopped; the run still stops before its next one
                log.warning("could not stop a query of an interrupted run", exc_info=True)

    def check(self) -> None:
        """Interrupted, if the run was told to stop."""
        if self._reason is not None:
            raise self._interrupted()

    def _interrupted(self) -> Interrupted:
        return Interrupted(f"the engine was interrupted: {self._reason}")

    @contextmanager
    def query(self, stop: Stop | None) -> Iterator[None]:
        """Run one query, stopped by `stop` (None: it cannot be stopped) when the run is interrupted.
        Interrupted instead of starting it once interrupted, and instead of whatever the backend raised
        when it was stopped."""
        with self._lock:
            self.check()
            key, self._next = self._next, self._next + 1
            if stop is not None:
                self._stops[key] = stop
        try:
            yield
        except Exception:
            if self._reason is not None:
                raise self._interrupted() from None
            raise
        finally:
            with self._lock:
                self._stops.pop(key, None)
