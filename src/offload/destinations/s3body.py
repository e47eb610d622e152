"""A part's bytes as the stream botocore sends, which stops mid-request at a cancel.

botocore has no way to stop a request in flight. Given a file-like body, it reads it a block
at a time as the socket takes them (urllib3: 16 KiB), and a ``concurrent.futures.CancelledError``
raised by that read is neither wrapped nor retried by botocore (s3transfer cancels its own
transfers this way): the request ends there, its connection is closed, and the service stores
nothing for it. So a part on a slow link stops within one block of a cancel instead of
sending the rest of its megabytes (and the process waiting for it).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import CancelledError


class PartStopped(CancelledError):
    """Raised by ``StoppableBody.read`` once it was told to stop."""


class StoppableBody:
    """*data* read from the start, seekable (botocore rewinds it to retry a request and reads
    it once to sign it); each ``read`` first asks *stopped* and raises ``PartStopped`` when it
    answers True. The reads are views of *data* (no copy of the part)."""

    def __init__(self, data: bytes | bytearray | memoryview, stopped: Callable[[], bool]) -> None:
        self._view = memoryview(data).cast("B")
        self._position = 0
        self._stopped = stopped

    def read(self, size: int | None = -1) -> memoryview:
        if self._stopped():
            raise PartStopped("the part was stopped by a cancel")
        end = len(self._view)
        if size is not None and size >= 0:
            end = min(end, self._position + size)
        piece = self._view[self._position : end]
        self._position = max(self._position, end)
        return piece

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}
        self._position = max(0, base[whence] + offset)
        return self._position

    def tell(self) -> int:
        return self._position


__all__ = ["PartStopped", "StoppableBody"]
