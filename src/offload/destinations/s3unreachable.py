"""Once an S3 destination's service cannot be reached, no further request is sent to it.

A request that could not connect to the service (botocore's ``after-call-error``, after all
its retries: a connection refused, a connect timeout) loses the destination in the engine
(ECONNREFUSED, ENOTCONN). Each request still queued then (the
read-backs fetched ahead, the delete or abort of every object whose read-back had not
happened, the lock's heartbeat and release) would have waited its own retries (12-24 s a
request, ``s3retries``): a server killed mid-run held the run for minutes after its local
copies were done, printing nothing.

Contract: ``UnreachableLatch.watch(client)`` hooks a boto3 client (anything else is left
alone); the clients of one destination share one latch. After the first request of a
watched client that failed so (any operation), every later call of a watched client raises
``NotSent`` for its own operation without sending anything: ``s3.os_error`` words it as not
sent, with the errno and the words of that first failure, so what the run meant to delete
is named as left in the bucket, never as deleted. ``since``: the monotonic time the latch
was set, None while it is not.

Only a request whose failure loses the destination sets it. A best-effort request, whose
failure the caller swallows and the engine never sees, is still kept back once the latch is
set but never sets it: a client watched with ``trips=False`` (the clean-up's one-attempt
client, ``S3Destination._quick_client``: one dropped connection there says nothing of the
service), and any request made inside ``best_effort()`` on that thread (the lock's
heartbeat and its look for a lock deleted, ``s3lock``). Else a short outage that only the
heartbeat saw (a cascade's slow bucket, idle through the card pass) would lose the
destination for the rest of the run, though the service came back.
Thread-safe (set once under a lock; read without one)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class NotSent(Exception):
    """A request the latch kept back: *first* is the failure that set it."""

    def __init__(self, operation: str, first: BaseException) -> None:
        super().__init__(f"{operation} not sent: the service could not be reached ({first})")
        self.operation = operation
        self.first = first


def unreachable(exc: BaseException) -> bool:
    """Whether *exc* (botocore's, after a request's retries) says no connection to the
    service could be made: refused, or its connect timed out (nothing sent). Not a connection
    closed or a read timed out: one request's answer lost says nothing of the next one, which
    must still be sent (``S3Destination.settle_unanswered`` looks for what it stored)."""
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    return isinstance(exc, EndpointConnectionError | ConnectTimeoutError)


class UnreachableLatch:
    """See the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first: BaseException | None = None
        self.since: float | None = None
        self._local = threading.local()  # ``best_effort``: this thread's requests trip nothing

    @property
    def first(self) -> BaseException | None:
        """The failure that set the latch, None while it is not set."""
        return self._first

    def watch(self, client: object, *, trips: bool = True) -> None:
        """Hook *client*'s calls (module docstring): kept back once the latch is set, and,
        with *trips*, a call of it failing to connect sets it. A client without botocore's
        events (a test's stand-in) is left alone."""
        events = getattr(getattr(client, "meta", None), "events", None)
        if events is None:
            return
        hooks: list[tuple[str, Any]] = [("before-call.s3", self._before)]
        if trips:
            hooks.append(("after-call-error.s3", self._after_error))
        for event, handler in hooks:
            events.register(event, handler, unique_id=f"offload-gone-{event}-{id(self)}")

    @contextmanager
    def best_effort(self) -> Iterator[None]:
        """Inside: this thread's requests of a watched client are kept back once the latch
        is set, and never set it (module docstring)."""
        before = getattr(self._local, "best_effort", False)
        self._local.best_effort = True
        try:
            yield
        finally:
            self._local.best_effort = before

    def _after_error(self, exception: BaseException | None = None, **_: object) -> None:
        if exception is None or self._first is not None or not unreachable(exception):
            return
        if getattr(self._local, "best_effort", False):
            return  # its caller swallows it: the engine has not lost the destination
        with self._lock:
            if self._first is None:
                self._first = exception
                self.since = time.monotonic()

    def _before(self, model: Any = None, **_: object) -> None:
        first = self._first
        if first is not None:
            raise NotSent(str(getattr(model, "name", "") or "request"), first)


__all__ = ["NotSent", "UnreachableLatch", "unreachable"]
