"""Writes of a whole buffer: every byte written, or an error; never a loop that spins.

Why: ``os.write`` may write fewer bytes than asked (a FUSE filesystem, a full drive), so
every writer of offload-ai's own files loops until its buffer is written; a call that
writes *nothing* and reports no error (a FUSE daemon answering 0, a driver out of room that
says so only that way) left such a loop asking again for ever, a run hung on its run record
or manifest instead of failing that destination (review of statefold68).

Contract:

* :func:`write_all` writes *data* to *fd* from its offset, :func:`pwrite_all` at *offset*,
  each looping over short writes; a call that writes 0 bytes of a non-empty rest raises
  ``NothingWritten`` (an OSError, ``ENOSPC``: the words say the drive took nothing, full
  perhaps), *path* its filename where given. Other errors are the call's own.
* Imports only ``os`` and ``errno``: the terminal's writer (``json_text``) and the run
  record use it before anything else is loaded.
"""

from __future__ import annotations

import errno
import os

NOTHING_WRITTEN = "the drive took none of the bytes written (it may be full)"


class NothingWritten(OSError):
    """A write that wrote 0 bytes and reported no error (module doc)."""

    def __init__(self, path: object = None) -> None:
        if path is None:
            super().__init__(errno.ENOSPC, NOTHING_WRITTEN)
        else:
            super().__init__(errno.ENOSPC, NOTHING_WRITTEN, str(path))


def write_all(fd: int, data: bytes | memoryview, path: object = None) -> None:
    """Every byte of *data* written to *fd* from its offset (module doc)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise NothingWritten(path)
        view = view[written:]


def pwrite_all(fd: int, data: bytes | memoryview, offset: int, path: object = None) -> None:
    """Every byte of *data* written to *fd* at *offset* on (module doc)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        if written <= 0:
            raise NothingWritten(path)
        view = view[written:]
        offset += written
