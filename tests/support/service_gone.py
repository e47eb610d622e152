"""The S3 service gone for good mid-card, mid-file, then back: a watcher that takes a fault
proxy down once the real server behind it holds enough parts of a multipart upload, and a
new proxy for the re-run. The set-up of the tests of a service lost during a run
(``test_s3_faults``, ``test_s3_gone_leftovers``): the run goes through the proxy, the
watcher looks at the server itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from support.tcpproxy import FaultProxy


def down_once_parts_stored(
    proxy: FaultProxy,
    client: Any,
    bucket: str,
    *,
    parts: int = 2,
    ready: Callable[[], bool] = lambda: True,
    timeout_s: float = 60.0,
) -> threading.Thread:
    """A daemon thread, started, that takes *proxy* down for good (``go_down``) as soon as
    *ready* is true and a multipart upload in *bucket* holds at least *parts* parts, as
    *client* (a boto3 client of the server itself, not through the proxy) lists them,
    looking every 20 ms; after *timeout_s* it ends without taking it down (the test's
    assertions then say what the run did). Join it once the run is over."""

    def watch() -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if ready():
                for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
                    held = client.list_parts(
                        Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    ).get("Parts", [])
                    if len(held) >= parts:
                        proxy.go_down()
                        return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


@contextmanager
def service_back(port: int) -> Iterator[FaultProxy]:
    """The service back for a re-run: a new fault proxy to the real server at *port*,
    faulting nothing, closed when the block ends (what it counted stays readable)."""
    again = FaultProxy(port)
    try:
        yield again
    finally:
        again.close()


@contextmanager
def resetting_endpoint() -> Iterator[tuple[str, list[int]]]:
    """An endpoint on 127.0.0.1 whose every connection is accepted and reset at once (a
    service out of reach, as botocore sees it), and the count of connections it took, so
    a test counts a client's attempts with no clock: ``(url, [count])``."""
    import socket
    import struct

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    taken = [0]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            taken[0] += 1
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # a reset, not an answer

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", taken
    finally:
        listener.close()
        thread.join(timeout=5)
