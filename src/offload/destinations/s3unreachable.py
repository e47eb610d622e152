"""Once an S3 destination's service cannot be reached, no further request is sent to it.

A request that could not connect to the service (botocore's ``after-call-error``, after all
its retries: a connection refused, a connect timeout) loses the destination in the engine
(ECONNREFUSED, ENOTCONN). Each request still queued then (the
read-backs fetched ahead, the delete or abort of every object whose read-back had not
happened, the lock's heartbeat and release) would have waited its own retries (12-24 s a
request, ``s3retries``): a server killed mid-run held the run for minutes after its local
copies were done, printing nothing. ``offload verify s3://`` uses it too (one latch for the
check's store, its ledger revocation's and ``--append``'s lock's: ``s3verify``): each
object after a GET that gave up would wait its own retries to be unreadable the same.

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

A service that accepts connections but never answers (a hung server, a server process
stopped, a proxy holding every request) is not refused: each attempt waits its read
timeout (60 s) and is retried; a part's body stalls (urllib3 sends a body under the
connect timeout, 10 s) and its connection is closed. It sets the latch too, but only on
proof that the service answers nothing: a request whose failure loses the destination gave
up with no answer (its last attempt's read timed out; or its connection was closed or
reset, the service quiet, as below, for ``WAIT_SAID_S`` or more: not one answer lost at
once), and no request of any watched client of the destination got an answer (any HTTP
answer, an error's too) from the moment that request started. One slow
answer on a loaded network, while the service answers the other requests, sets nothing:
the engine loses the destination on that request's error as before, and the clean-ups are
still sent. A latch made ``lone`` (``offload verify s3://``: its GETs are sent one after
another, so a GET has nothing else in flight beside it and "nothing answered since it
started" proves nothing of the service) needs a second witness: two requests in a row gave
up so, nothing answered from the start of the first to the failure of the second. One
object whose GET never gets an answer (a bad disk under it, a remote tier fetching it back)
sets nothing while the service answers the next object's GET. Its ``probe`` (where set:
``S3Destination.stop_once_unreachable`` sets ``S3Destination.answers`` on a ``lone`` latch)
is that second witness at once: asked on the thread of the first request given up so (one
HeadBucket sent once, no retry, with the store's own connect and read timeouts: a service
that answers a GET in time answers it in time too, so a slow service is never taken for a
silent one), it sets the latch where it got no answer either; where it got any, that is an
answer, and the next request given up so asks it again. A hung service is so given up
after one request's budget and the probe's one attempt, not two budgets; a service that
answers the probe (one slow object) is never given up on. The probe is asked by one
request at a time: where two watched requests give up together, the second finds the first
already the suspect and sets the latch by the two-in-a-row rule while the first's probe may
still be waiting. ``offload verify`` sends its GETs one at a time, the one ``lone`` latch's
user, so that cannot happen today. A connection refused or a connect timeout sets it at
once either way. A request's budget is its attempts times the read timeout plus its
back-offs (``s3retries``): 9 x 60 s + 12-24 s, ~9.5 min by default; ``AWS_MAX_ATTEMPTS``
shortens it (a ``lone`` latch waits out one such budget and its probe's 10 s to connect and
60 s to answer at most; two such budgets without a probe).

While the service answers nothing, the line (``on_wait``): an attempt of any watched client
that ended with no answer (a read or connect timeout, a connection refused or closed: not
an HTTP error answer), none answered since it was sent, makes the service quiet since that
attempt was sent. Nothing is known of an attempt still waiting: a service that accepts and
never answers is quiet only once the first attempt's read timeout (60 s by default) ends
it. Once it is quiet for ``WAIT_SAID_S`` since then (a timer of its own, started when the
attempt ended: the line comes at once where the attempt took longer),
``on_wait("retrying", since)`` (*since*: Unix s); then, once,
``on_wait("answering", since)`` when any request is answered, or ``on_wait("lost", since)``
when the latch is set. Nothing is said of a quiet time shorter than ``WAIT_SAID_S`` (a
dropped connection retried at once), nor after the latch is set. ``on_wait`` is called on
a request's thread or the timer's; it must be fast and never raise (the card layer's
emits an event, ``events.DestinationNotAnswering``).
Thread-safe (set once under a lock; read without one)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class NotSent(Exception):
    """A request the latch kept back: *first* is the failure that set it."""

    def __init__(self, operation: str, first: BaseException) -> None:
        said = "could not be reached" if unreachable(first) else "answered nothing"
        super().__init__(f"{operation} not sent: the service {said} ({first})")
        self.operation = operation
        self.first = first


def unreachable(exc: BaseException) -> bool:
    """Whether *exc* (botocore's, after a request's retries) says no connection to the
    service could be made: refused, or its connect timed out (nothing sent). Not a connection
    closed or a read timed out: one request's answer lost says nothing of the next one, which
    must still be sent (``S3Destination.settle_unanswered`` looks for what it stored)."""
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    return isinstance(exc, EndpointConnectionError | ConnectTimeoutError)


#: Seconds a service has answered nothing, its requests retried, before ``on_wait`` says so:
#: longer than a dropped connection retried at once, short beside a read timeout (60 s).
WAIT_SAID_S = 5.0


def unanswered(exc: BaseException) -> bool:
    """Whether *exc* (an attempt's, botocore's) ended it with no answer from the service:
    a timeout, a connection refused, closed or reset. Not an HTTP answer (an error's is one)."""
    from botocore.exceptions import ConnectionError, HTTPClientError

    return isinstance(exc, ConnectionError | HTTPClientError)


def read_timed_out(exc: BaseException) -> bool:
    """Whether *exc* (a request's, after its retries) is a read that timed out: the request
    was sent, and no answer came in the read timeout."""
    from botocore.exceptions import ReadTimeoutError

    return isinstance(exc, ReadTimeoutError)


def waiting_words(where: str, since: float) -> str:
    """The line said while the service of destination *where* (its shown ``s3://`` URL,
    printable) answers nothing, its requests retried, since *since* (Unix s, local time)."""
    return f"waiting for {where}: not answering since {clock(since)} (retrying)"


def answering_words(where: str, since: float) -> str:
    """The line said once it answers again (``on_wait`` "answering"), where a line said
    cannot be taken back (no live view)."""
    return f"{where} answers again (it answered nothing from {clock(since)})"


def lost_words(where: str, since: float) -> str:
    """The line said once it is given up on (``on_wait`` "lost")."""
    # Not "the other destinations go on": it may be the only one, or the last one left.
    return f"{where}: not answering since {clock(since)}: given up on (lost)"


def wait_words(state: str, where: str, since: float) -> str | None:
    """The line said of ``on_wait``'s *state* ("retrying", "answering", "lost") for the
    destination *where* (its shown ``s3://`` URL, printable), quiet since *since* (Unix s);
    None for a state with no line."""
    words = {"retrying": waiting_words, "answering": answering_words, "lost": lost_words}
    worded = words.get(state)
    return None if worded is None else worded(where, since)


def clock(when: float) -> str:
    """*when* (Unix s) as the lines say it: HH:MM:SS, local time."""
    return time.strftime("%H:%M:%S", time.localtime(when))


class UnreachableLatch:
    """See the module docstring."""

    def __init__(self, *, lone: bool = False) -> None:
        self._lock = threading.Lock()
        # ``lone`` (module docstring): the start (monotonic) of the last request given up
        # unanswered with nothing answered since it started, not yet the latch's proof.
        self._lone = lone
        self._suspect: float | None = None
        self._first: BaseException | None = None
        self.since: float | None = None
        self._local = threading.local()  # ``best_effort``: this thread's requests trip nothing
        # When a watched client last got an answer (monotonic; none yet: -inf).
        self._answered = float("-inf")
        # Since when the service answered nothing, an attempt ended unanswered (monotonic,
        # Unix s); None while it answers. ``_said``: ``on_wait`` was told "retrying" of it.
        self._quiet: tuple[float, float] | None = None
        self._said = False
        # Told of the quiet service (module docstring); set by the card layer.
        self.on_wait: Callable[[str, float], None] | None = None
        # ``lone``'s probe (module docstring): True where the service answered it.
        self.probe: Callable[[], bool] | None = None

    @property
    def lone(self) -> bool:
        """Whether one request given up unanswered needs a second witness (module
        docstring)."""
        return self._lone

    @property
    def first(self) -> BaseException | None:
        """The failure that set the latch, None while it is not set."""
        return self._first

    @property
    def quiet_since(self) -> float | None:
        """Since when (Unix s) the service answered nothing, where it did (an attempt ended
        unanswered, none answered since it was sent: the module docstring's quiet time, kept
        once the latch is set); None while it answers."""
        quiet = self._quiet
        return None if quiet is None else quiet[1]

    def watch(self, client: object, *, trips: bool = True) -> None:
        """Hook *client*'s calls (module docstring): kept back once the latch is set, and,
        with *trips*, a call of it failing to connect sets it. A client without botocore's
        events (a test's stand-in) is left alone."""
        events = getattr(getattr(client, "meta", None), "events", None)
        if events is None:
            return
        hooks: list[tuple[str, Any]] = [
            ("before-call.s3", self._before),
            ("before-send.s3", self._sending),
            ("response-received.s3", self._received),
        ]
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
        if exception is None or self._first is not None:
            return
        if getattr(self._local, "best_effort", False):
            return  # its caller swallows it: the engine has not lost the destination
        if not unreachable(exception):
            started = getattr(self._local, "started", None)
            # A request left unanswered loses the service only where nothing answered any
            # request since this one started (module docstring): not one slow answer. A
            # read timeout; or a connection closed (a part's body stalled: urllib3 sends a
            # body under the connect timeout) once the service has been quiet for
            # WAIT_SAID_S: one answer lost, the request failed at once, says nothing of
            # the next request (``settle_unanswered`` must still look for what it stored).
            if not unanswered(exception) or started is None:
                return
            with self._lock:
                if self._answered >= started:
                    return
                quiet = self._quiet
                if not read_timed_out(exception) and (
                    quiet is None or time.monotonic() - quiet[0] < WAIT_SAID_S
                ):
                    return
                probe = None
                if self._lone:
                    # One request alone proves nothing (module docstring): the second in a
                    # row does, nothing answered since the first started; or the probe,
                    # asked now, gets no answer either.
                    suspect = self._suspect
                    if suspect is None or self._answered >= suspect:
                        self._suspect = started
                        probe = self.probe
                        if probe is None:
                            return
            if probe is not None and self._probe_answered(probe):
                return
        quiet = self._set(exception)
        if quiet is not None:
            self._tell("lost", quiet[1])

    def _probe_answered(self, probe: Callable[[], bool]) -> bool:
        """Ask *probe* whether the service answers (module docstring): where it does, that
        is an answer (``_received``: the line says "answering"). A probe that raises is
        taken as answered: nothing proves the service silent then; so is a probe left
        unanswered while another request was answered (a lock's heartbeat)."""
        asked = time.monotonic()
        try:
            silent = not probe()
        except Exception:  # a probe's own failure proves nothing
            silent = False
        if silent:
            return self._answered >= asked
        self._received()
        return True

    def _set(self, exception: BaseException) -> tuple[float, float] | None:
        """Set the latch (once): the quiet time said "retrying" it ends, if any."""
        with self._lock:
            if self._first is not None:
                return None
            self._first = exception
            self.since = time.monotonic()
            return self._quiet if self._said else None

    def _before(self, model: Any = None, **_: object) -> None:
        first = self._first
        if first is not None:
            raise NotSent(str(getattr(model, "name", "") or "request"), first)
        self._local.started = time.monotonic()

    def _sending(self, **_: object) -> None:
        """botocore's ``before-send``, once an attempt: when it is sent (returns None: the
        attempt is sent as botocore would)."""
        self._local.sent = (time.monotonic(), time.time())

    def _received(self, exception: BaseException | None = None, **_: object) -> None:
        """botocore's ``response-received``, once an attempt: answered (no exception: any
        HTTP answer), or not (``unanswered``)."""
        if exception is None:
            now = time.monotonic()
            with self._lock:  # never moved back by a thread that read the clock earlier
                self._answered = max(self._answered, now)
            if self._quiet is None:
                return
            with self._lock:
                quiet, said = self._quiet, self._said
                if quiet is None or quiet[0] > now:
                    return
                self._quiet, self._said = None, False
            if said and self._first is None:
                self._tell("answering", quiet[1])
            return
        sent = getattr(self._local, "sent", None)
        if sent is None or not unanswered(exception) or self._first is not None:
            return
        with self._lock:
            if self._quiet is not None or self._answered >= sent[0]:
                return  # quiet already, or answered since this attempt was sent
            self._quiet = sent
        timer = threading.Timer(
            max(0.0, sent[0] + WAIT_SAID_S - time.monotonic()), self._say_waiting, (sent,)
        )
        timer.daemon = True
        timer.start()

    def _say_waiting(self, quiet: tuple[float, float]) -> None:
        """The timer's: "retrying", if the service is still quiet since *quiet*."""
        with self._lock:
            if self._quiet is not quiet or self._said or self._first is not None:
                return
            self._said = True
        self._tell("retrying", quiet[1])

    def _tell(self, state: str, since: float) -> None:
        on_wait = self.on_wait
        if on_wait is not None:
            on_wait(state, since)


__all__ = [
    "WAIT_SAID_S",
    "NotSent",
    "UnreachableLatch",
    "answering_words",
    "clock",
    "lost_words",
    "read_timed_out",
    "unanswered",
    "unreachable",
    "wait_words",
    "waiting_words",
]
