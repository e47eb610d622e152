"""An event sink for tests that keeps every event it is sent, in order, from any thread
(the engine's reading threads emit too). It takes every kind of event (``accepts`` None)."""

from __future__ import annotations

import threading

from offload.events import Event


class EventLog:
    """Every event emitted to it, in ``events``."""

    accepts = None

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)
