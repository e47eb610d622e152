"""A small TCP proxy between a client and an HTTP/1.1 server, for making network faults for real.

It accepts connections, forwards requests and answers byte for byte, and on command:

* ``cut_next(after_body_bytes)``: the next request that carries a body has both its sockets
  closed after that many body bytes were forwarded (a connection lost mid-part);
* ``corrupt_next(count)``: flips one byte in the body of the next *count* requests that carry
  a body (the server sees other bytes than the client sent and checked);
* ``slow_down_next(count)``: answers the next *count* requests itself with
  ``503 SlowDown`` (as S3 does when throttling), without forwarding them;
* ``stall_next(seconds)``: holds the next request for that long before forwarding it;
* ``go_down()``: closes every connection and refuses new ones (the server gone for good);
* ``intercept(method, path_part, ...)``: the requests with that method whose target holds
  *path_part* (and, if given, a header line holding *header*) are answered with an S3 error
  of the given status instead of being forwarded, or are forwarded and their answer's body
  gets one byte flipped (a download corrupted on its way back);
* ``gate(method, path_part, width)``: each matching request is held until *width* of them
  wait at once (or ``timeout`` passed), then forwarded: ``stats.most_waiting`` shows how many
  such requests a client had in flight together, with no clock in the test.

Requests are parsed only as far as needed (head, Content-Length); answers are forwarded raw.

``hold(method, path_part)`` holds every request of that method whose target contains
*path_part* until ``release()`` (``held`` is set when the first one arrives): the client frozen
at a known step, e.g. the read-back GET of an object just completed. ``targets`` lists every
request's target (path and query), in order, beside ``stats.methods``; ``arrivals`` the same
with the ``time.monotonic()`` at which each request's head arrived.

``lose_answer(method, path_part)``: the next request of that method whose target holds
*path_part* is forwarded whole and answered by the server, and then the proxy goes down for
good without passing the answer on: the request took effect, its client never hears of it
(a request with ``Expect: 100-continue`` is let send its body by the proxy, and forwarded
without that header). ``stats.answers_lost`` lists their targets.

``lose_answer(method, path_part, late=True)``: the request is read whole and its client's
connection closed, but it is not forwarded until ``deliver_late()``, which sends it then: a
request the service was still handling when its connection closed, its object stored after
the client looked for it.

``throttle(bytes_per_s)`` makes a slow link: the request bodies of every connection together
are forwarded at that rate (a shared token bucket, in pieces of at most 64 KiB), as an uplink
would carry them, and the proxy's receive buffers are kept small (as a slow link keeps little
in flight: a client's socket cannot swallow a whole request body); answers are not slowed.
``stats.ended_mid_body`` names the requests whose client stopped sending mid-body, and
``wait_for_bodies`` waits until no request body is being forwarded.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


@dataclass
class _Intercept:
    method: str
    path_part: bytes
    header: bytes
    status: int | None
    code: str
    flip: bool
    count: int
    headers: tuple[tuple[str, str], ...] = ()  # more header lines of the answer
    elements: str = ""  # more XML elements of the error, after its Message


@dataclass
class ProxyStats:
    requests: int = 0
    cut: int = 0
    corrupted: int = 0
    slowed: int = 0
    stalled: int = 0
    intercepted: int = 0
    most_waiting: int = 0
    methods: list[str] = field(default_factory=list)
    # Targets of the requests the server answered and whose answer was dropped (lose_answer).
    answers_lost: list[str] = field(default_factory=list)
    # Targets of the requests whose client closed the connection before the end of the body
    # it announced (a request stopped mid-body by the client).
    ended_mid_body: list[str] = field(default_factory=list)


class FaultProxy:
    def __init__(
        self, upstream_port: int, upstream_host: str = "127.0.0.1", *, port: int = 0
    ) -> None:
        """*port*: where to listen (0: a free port); a gone proxy's port brings the service
        back at the address its clients know (a restart)."""
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.stats = ProxyStats()
        self.targets: list[str] = []
        self.arrivals: list[tuple[float, str, str]] = []  # (monotonic, method, target)
        self._rate: float | None = None
        self._bodies = 0  # request bodies being forwarded now
        self._link_free = 0.0  # when the throttled link has sent what it was given
        self._hold: list[tuple[str, str, str]] = []  # (method, path part, header)
        self.held = threading.Event()
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._bodies_done = threading.Condition(self._lock)
        self._cut: int | None = None
        self._corrupt = 0
        self._corrupt_min = 1
        self._slow = 0
        self._stall = 0.0
        self._down = False
        self._answer_cut: int | None = None
        self._down_after: int | None = None
        self._sockets: set[socket.socket] = set()
        self._intercepts: list[_Intercept] = []
        # ``lose_answer``'s next request: (method, path part, go down after, late).
        self._lose: tuple[str, str, bool, bool] | None = None
        self._late: list[tuple[bytes, bytes]] = []  # requests lost, not yet forwarded
        self._gate_open = threading.Condition()
        self._gate: tuple[str, bytes, int, float] | None = None
        self._waiting = self._group = 0
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- commands --------------------------------------------------------------------------

    def cut_next(self, after_body_bytes: int) -> None:
        """Cut the next request whose body is longer than *after_body_bytes*."""
        with self._lock:
            self._cut = after_body_bytes

    def corrupt_next(self, count: int = 1, *, min_body: int = 1) -> None:
        """Flip a byte in the next *count* request bodies of at least *min_body* bytes."""
        with self._lock:
            self._corrupt = count
            self._corrupt_min = min_body

    def slow_down_next(self, count: int = 1) -> None:
        with self._lock:
            self._slow = count

    def cut_answer_next(self, after_bytes: int) -> None:
        """Cut the next connection whose answers pass *after_bytes* bytes (mid-download)."""
        with self._lock:
            self._answer_cut = after_bytes

    def _take_answer_cut(self, forwarded: int) -> int | None:
        with self._lock:
            cut = self._answer_cut
            if cut is None or forwarded <= cut:
                return None
            self._answer_cut = None
            self.stats.cut += 1
            return cut

    def down_after(self, requests: int) -> None:
        """Go down for good once this many more requests have been seen: the next request's
        head finds the service gone. Request bodies already being forwarded are let finish
        first (at most 30 s), so the requests counted reach the server whole however slowly a
        loaded machine sends them; only what comes after them is lost."""
        with self._lock:
            self._down_after = self.stats.requests + requests

    def intercept(
        self,
        method: str,
        path_part: str,
        *,
        header: str = "",
        status: int | None = None,
        code: str = "AccessDenied",
        flip: bool = False,
        count: int = 1,
        headers: Mapping[str, str] | None = None,
        elements: str = "",
    ) -> None:
        """The next *count* matching requests: answered *status* (an S3 error *code*, with
        the header lines *headers* and the XML *elements* after its Message; a HEAD's
        answer has no body, as a server's), or, with *flip*, forwarded with one byte of
        their answer's body flipped (for requests without ``Expect: 100-continue`` whose
        answer has a Content-Length, such as a GET)."""
        with self._lock:
            self._intercepts.append(
                _Intercept(
                    method,
                    path_part.encode(),
                    header.lower().encode(),
                    status,
                    code,
                    flip,
                    count,
                    tuple((headers or {}).items()),
                    elements,
                )
            )

    def gate(self, method: str, path_part: str, width: int, *, timeout: float = 3.0) -> None:
        """Hold each matching request until *width* of them wait together (see the module
        docstring); a request waits at most *timeout* seconds."""
        with self._gate_open:
            self._gate = (method, path_part.encode(), width, timeout)

    def _pass_gate(self, method: str, head: bytes) -> None:
        with self._gate_open:
            if self._gate is None:
                return
            gate_method, part, width, timeout = self._gate
            if method != gate_method or part not in head.split(b"\r\n", 1)[0]:
                return
            self._waiting += 1
            self.stats.most_waiting = max(self.stats.most_waiting, self._waiting)
            group = self._group
            if self._waiting >= width:
                self._group += 1  # the group is full: it goes
                self._gate_open.notify_all()
            else:
                self._gate_open.wait_for(lambda: self._group != group, timeout)
            self._waiting -= 1

    def _take_intercept(self, method: str, head: bytes) -> _Intercept | None:
        target = head.split(b"\r\n", 1)[0]
        with self._lock:
            for rule in self._intercepts:
                if (
                    rule.count > 0
                    and rule.method == method
                    and rule.path_part in target
                    and (not rule.header or rule.header in head.lower())
                ):
                    rule.count -= 1
                    self.stats.intercepted += 1
                    return rule
        return None

    def lose_answer(
        self, method: str, path_part: str, *, go_down: bool = True, late: bool = False
    ) -> None:
        """The next *method* request whose target holds *path_part*: forwarded, answered by
        the server, its answer dropped and the proxy gone down (see the module docstring);
        not *go_down*: only that connection is closed (the client's retry gets through);
        *late*: not forwarded until ``deliver_late`` (implies not *go_down*)."""
        with self._lock:
            self._lose = (method, path_part, go_down and not late, late)

    def deliver_late(self) -> list[bytes]:
        """Forward the requests ``lose_answer(..., late=True)`` kept; their answers' heads."""
        with self._lock:
            late, self._late = self._late, []
        return [self._side_request(head, body)[0] for head, body in late]

    def _take_lose(self, method: str, target: str) -> tuple[bool, bool] | None:
        """None: not a request to lose the answer of; else (whether to go down after,
        whether to keep it unforwarded until ``deliver_late``)."""
        with self._lock:
            if self._lose is None or self._lose[0] != method or self._lose[1] not in target:
                return None
            _, _, go_down, late = self._lose
            self._lose = None
            return go_down, late

    def stall_next(self, seconds: float) -> None:
        with self._lock:
            self._stall = seconds

    def throttle(self, bytes_per_s: float | None) -> None:
        """Forward request bodies at *bytes_per_s* for all connections together (None: at
        full speed)."""
        with self._lock:
            self._rate = bytes_per_s
            self._link_free = time.monotonic()

    def wait_for_bodies(self, timeout: float) -> bool:
        """Wait until no request body is being forwarded; False if one still is after
        *timeout* seconds."""
        with self._bodies_done:
            return self._bodies_done.wait_for(lambda: self._bodies == 0, timeout)

    def _pace(self, size: int) -> None:
        """Wait until the throttled link has room for *size* more bytes."""
        with self._lock:
            rate = self._rate
            if rate is None:
                return
            start = max(time.monotonic(), self._link_free)
            self._link_free = start + size / rate
            done = self._link_free
        delay = done - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def hold(self, method: str, path_part: str, *, header: str = "", also: bool = False) -> None:
        """Hold every *method* request whose path contains *path_part* (and whose head
        contains *header*, if given) until ``release``. As for ``intercept``, a *path_part*
        ending in `` HTTP`` matches the end of the path only (one key, not those below it).
        *also*: held besides the requests already held (one ``release`` frees them all;
        ``held`` is set when the first of any arrives); else in their place."""
        with self._lock:
            rule = (method, path_part, header.lower())
            self._hold = [*self._hold, rule] if also else [rule]
            if not also:
                self.held.clear()
                self._released.clear()

    def release(self) -> None:
        with self._lock:
            self._hold = []
        self._released.set()

    def reset(self) -> None:
        with self._lock:
            self._cut, self._corrupt, self._slow, self._stall = None, 0, 0, 0.0
            self.stats = ProxyStats()

    def go_down(self) -> None:
        self._released.set()  # nothing stays held by a proxy that is gone
        with self._lock:
            self._down = True
            sockets = list(self._sockets)
        # shutdown, not only close: closing a listening socket does not wake the thread
        # blocked in accept() on Linux, and every proxy left that thread running.
        _close(self._listener)
        for sock in sockets:
            _close(sock)

    close = go_down

    # -- plumbing ------------------------------------------------------------------------

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._down:
                    _close(client)
                    return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        if self._rate is not None:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            _close(client)
            return
        self._track(upstream)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        buffered = b""
        try:
            while True:
                head, buffered = _read_head(client, buffered)
                if head is None:
                    return
                lines = head.split(b"\r\n")
                method, _, rest = lines[0].decode("latin-1").partition(" ")
                with self._lock:
                    holds = self._hold
                if any(
                    method == hold[0]
                    and hold[1] in rest.split(" ")[0] + " HTTP"
                    and hold[2].encode() in head.lower()
                    for hold in holds
                ):
                    self.held.set()
                    self._released.wait(120)
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                with self._lock:
                    going_down = self._down_after is not None and (
                        self.stats.requests >= self._down_after
                    )
                if going_down:
                    self.wait_for_bodies(30.0)
                    self.go_down()
                    return
                with self._lock:
                    self.stats.requests += 1
                    self.stats.methods.append(method)
                    self.targets.append(rest.split(" ")[0])
                    self.arrivals.append((time.monotonic(), method, rest.split(" ")[0]))
                    slow = self._slow > 0
                    if slow:
                        self._slow -= 1
                        self.stats.slowed += 1
                    stall, self._stall = self._stall, 0.0
                    if stall:
                        self.stats.stalled += 1
                    cut = corrupt = None
                    if length and not slow:
                        if self._cut is not None and length > self._cut:
                            cut, self._cut = self._cut, None
                            self.stats.cut += 1
                        if self._corrupt > 0 and length >= self._corrupt_min:
                            self._corrupt -= 1
                            self.stats.corrupted += 1
                            corrupt = True
                if slow:
                    # Read the body (unless the client waits for 100-continue), answer 503.
                    expect = b"100-continue" in head.lower()
                    if not expect:
                        buffered = _skip(client, buffered, length)
                    answer = (
                        b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                        b"Content-Length: " + str(len(_SLOW_DOWN)).encode() + b"\r\n"
                        b"Connection: close\r\n\r\n" + _SLOW_DOWN
                    )
                    client.sendall(answer)
                    return
                if stall:
                    time.sleep(stall)
                self._pass_gate(method, head)
                lose = self._take_lose(method, rest.split(" ")[0])
                if lose is not None:
                    if b"100-continue" in head.lower():
                        # The client waits for leave to send its body: given here, and the
                        # head forwarded without that header (the body goes with it).
                        client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                        head = b"\r\n".join(
                            line
                            for line in head.split(b"\r\n")
                            if not line.lower().startswith(b"expect:")
                        )
                    while len(buffered) < length:
                        more = client.recv(1024 * 1024)
                        if not more:
                            return
                        buffered += more
                    go_down, late = lose
                    if late:
                        with self._lock:
                            self._late.append((head, bytes(buffered[:length])))
                    else:
                        self._side_request(head, buffered[:length])  # stored; answer dropped
                    with self._lock:
                        self.stats.answers_lost.append(rest.split(" ")[0])
                    if go_down:
                        self.go_down()
                    return  # the client's connection closed (finally)
                rule = self._take_intercept(method, head)
                if rule is not None:
                    body = b""
                    if b"100-continue" not in head.lower():
                        while len(buffered) < length:
                            more = client.recv(1024 * 1024)
                            if not more:
                                return
                            buffered += more
                        body, buffered = buffered[:length], buffered[length:]
                    client.sendall(self._intercepted(rule, head, body))
                    continue
                upstream.sendall(head + b"\r\n\r\n")
                remaining = length
                with self._lock:
                    self._bodies += 1
                try:
                    buffered = self._forward_body(
                        client, upstream, buffered, remaining, corrupt, cut, rest.split(" ")[0]
                    )
                finally:
                    with self._lock:
                        self._bodies -= 1
                        self._bodies_done.notify_all()
                if buffered is None:
                    return
        except OSError:
            return
        finally:
            _close(client)
            _close(upstream)

    def _forward_body(
        self,
        client: socket.socket,
        upstream: socket.socket,
        buffered: bytes,
        remaining: int,
        corrupt: bool | None,
        cut: int | None,
        target: str,
    ) -> bytes | None:
        """Forward *remaining* body bytes (with the faults asked for); returns what the client
        sent beyond them, or None when the connection is to be closed (a cut, or the client
        gone mid-body: noted in ``stats.ended_mid_body``)."""
        while remaining:
            if not buffered:
                try:
                    buffered = client.recv(1024 * 1024)
                except OSError:
                    buffered = b""
                if not buffered:
                    with self._lock:
                        self.stats.ended_mid_body.append(target)
                    return None
            step = remaining if self._rate is None else min(remaining, 64 * 1024)
            piece, buffered = buffered[:step], buffered[step:]
            self._pace(len(piece))
            if corrupt:
                piece = bytes([piece[0] ^ 0xFF]) + piece[1:]
                corrupt = None
            if cut is not None:
                if len(piece) >= cut:
                    upstream.sendall(piece[:cut])
                    return None  # both sockets closed by the caller: lost mid-transfer
                cut -= len(piece)
            upstream.sendall(piece)
            remaining -= len(piece)
        return buffered

    def _intercepted(self, rule: _Intercept, head: bytes, body: bytes) -> bytes:
        """The answer to an intercepted request (see ``intercept``)."""
        if rule.status is not None:
            error = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{rule.code}</Code>'
                f"<Message>intercepted by the test proxy</Message>{rule.elements}</Error>"
            ).encode()
            extra = "".join(f"{name}: {value}\r\n" for name, value in rule.headers)
            if rule.method == "HEAD":
                error = b""
            return (
                f"HTTP/1.1 {rule.status} Error\r\nContent-Type: application/xml\r\n{extra}"
                f"Content-Length: {len(error)}\r\n\r\n"
            ).encode() + error
        answer_head, data = self._side_request(head, body)
        if data and rule.flip:
            data[len(data) // 2] ^= 0xFF
        return answer_head + b"\r\n\r\n" + bytes(data)

    def _side_request(self, head: bytes, body: bytes) -> tuple[bytes, bytearray]:
        """Send one request to the server on a connection of its own; its answer's head and
        body (read whole, by its Content-Length)."""
        with socket.create_connection(self.upstream) as side:
            side.sendall(head + b"\r\n\r\n" + body)
            answer_head, rest = _read_head(side, b"")
            assert answer_head is not None
            size = 0
            for line in answer_head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    size = int(value.strip())
            while len(rest) < size:
                more = side.recv(1024 * 1024)
                if not more:
                    break
                rest += more
        return answer_head, bytearray(rest[:size])

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        forwarded = 0
        try:
            while True:
                data = source.recv(256 * 1024)
                if not data:
                    break
                cut = self._take_answer_cut(forwarded + len(data))
                if cut is not None:
                    target.sendall(data[: max(0, cut - forwarded)])
                    break  # both sockets closed below: lost mid-answer
                target.sendall(data)
                forwarded += len(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(target)


def _read_head(sock: socket.socket, buffered: bytes) -> tuple[bytes | None, bytes]:
    while b"\r\n\r\n" not in buffered:
        data = sock.recv(65536)
        if not data:
            return None, b""
        buffered += data
    head, _, rest = buffered.partition(b"\r\n\r\n")
    return head, rest


def _skip(sock: socket.socket, buffered: bytes, length: int) -> bytes:
    while len(buffered) < length:
        data = sock.recv(1024 * 1024)
        if not data:
            return b""
        buffered += data
    return buffered[length:]


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
