"""An upload's bytes count as written once the service holds them, not once buffered: an
S3 destination's ``DestinationBytesWritten`` events (whence the live view's pace, its ETA
lane and the progress trace are computed) follow the link from the upload's first second
(``S3Partial.on_sent``). The events are asserted, not those views."""

from __future__ import annotations

import threading
import time

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from offload.events import DestinationBytesWritten, DestinationWriting, Event
from offload.options import CopyOptions
from s3.test_s3_cli import make_card

MiB = 1024 * 1024
PART = 5 * MiB
CLIP = "CLIPS/A001C001.mov"
CARD = {CLIP: 6 * PART + 7}  # 7 parts: more than the 5 buffers (4 parts in flight + 1)
LINK = 4 * MiB  # bytes a second through the proxy: a part takes 1.25 s


class _Landed:
    """A sink noting when each destination byte count came, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: list[tuple[float, int]] = []

    def emit(self, event: Event) -> None:
        if isinstance(event, DestinationBytesWritten) and event.nbytes:
            with self._lock:
                self.counts.append((time.monotonic(), event.nbytes))


def test_an_uploads_bytes_count_as_they_reach_the_service(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    card = make_card(tmp_path, CARD)
    settings = S3Settings(endpoint_url=proxy.url, region="us-east-1", part_size=PART)
    proxy.throttle(LINK)
    landed = _Landed()
    report = offload(
        card,
        [f"s3://{bucket}/day1"],
        options=OffloadOptions(copy=CopyOptions(), s3=settings),
        sink=landed,
    )
    assert all(f.ok for f in report.job.files)
    assert sum(n for _, n in landed.counts) == CARD[CLIP]  # every byte, once
    # From the clip's first part on the link: the preflight's time before it would loosen
    # the bound (under load, by seconds: the old pace could pass).
    started = min(at for at, method, target in proxy.arrivals if method == "PUT" and CLIP in target)
    # Never more counted than the link could carry by then (one part of slack: a part's
    # bytes count at its answer). Before, 5 parts (25 MiB) counted within the first second,
    # as fast as the card was read: a pace of ~100 MB/s on a 4 MiB/s link.
    total = 0
    for at, nbytes in landed.counts:
        total += nbytes
        assert total <= LINK * (at - started) + PART, (total, at - started)


class _Said:
    """A sink keeping each ``DestinationWriting`` and each 0-byte ``DestinationBytesWritten``
    (what a write's upload took), in order, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.said: list[tuple[str, int]] = []

    def emit(self, event: Event) -> None:
        if isinstance(event, DestinationWriting):
            with self._lock:
                self.said.append(("writing", 0))
        elif isinstance(event, DestinationBytesWritten) and not event.nbytes:
            with self._lock:
                self.said.append(("taken", event.taken))


def test_each_write_says_what_its_upload_took_and_ends_a_write_said_in_flight(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """Each write to a bucket says what its upload took (``taken``, ``pfndispatchcopy -v``'s
    "uploading"), a small file's as a large file's chunk's; a chunk's ends the
    ``DestinationWriting`` said for it, and no 0 says none. Before: a small file's said
    nothing, and ``-v`` printed a bare "copied 0 of 200000 bytes" while its PutObject was
    held (the thirty-fourth pass had taken it out for one event less a file, its CPU within
    the load's noise: docs/performance.md)."""
    small = {f"CLIPS/A001C{n:03d}.xml": 900 for n in range(20)}
    card = make_card(tmp_path, {**small, CLIP: 2 * PART + 7})
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", part_size=PART)
    sink = _Said()
    report = offload(
        card,
        [f"s3://{bucket}/day1"],
        options=OffloadOptions(copy=CopyOptions(), s3=settings),
        sink=sink,
    )
    assert all(f.ok for f in report.job.files)
    writing = [n for n, (kind, _) in enumerate(sink.said) if kind == "writing"]
    assert len(writing) >= 2  # the clip's chunks
    # Each chunk said in flight is ended by its own 0 (one writer thread a destination).
    assert all(sink.said[n + 1][0] == "taken" for n in writing), sink.said
    taken = [k for kind, k in sink.said if kind == "taken"]
    assert len(taken) == len(writing) + len(small) and all(taken), sink.said
    assert sum(taken) == sum(small.values()) + (2 * PART + 7)  # every byte taken, once
