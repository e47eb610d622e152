"""The process's stderr for a command whose reader may go away (``offload copy ... 2>&1 |
head -1``): its lines are for whoever watches, not the run's outcome, which its reports and
exit code state. A write or flush that finds the pipe closed (``BrokenPipeError``: Python
ignores SIGPIPE, so the write fails instead of ending the process) points file descriptor 2
at /dev/null and drops that text and all later text, so the run goes on: its reports (the
HTML and PDF too) written, its exit code its own. Before, the first such write raised out of
the summary: exit 1, which says a copy failed, and no HTML or PDF.

Imports only ``os`` and ``sys``: each console script's entry point (``offload``'s, and
``pfndispatchcopy``'s) installs it with ``stderr_reader_may_go``, the one place that does,
before it loads its command; ``pfndispatchcopy``'s stdout, words about the run too, is
wrapped the same way (``stdout_reader_may_go``).

Any other write error (``>/dev/full``: ENOSPC; EIO) is the stream's problem too, never
the run's: its text goes to /dev/null from then on and the stream remembers why
(``lost``), so the command says on its other stream what could not be written (the
hash line of ``pfndispatchcopy``, ``offload verify``'s result lines) with its own exit
code. A stream the process was started without (``>&-``: Python makes ``sys.stdout``
None) is opened on /dev/null first (``standard_streams_open``), its ``lost`` "it was
closed", so nothing the run opens later takes descriptor 1 or 2 (a destination file
receiving a print) and no write finds None."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO, cast


class _ReaderMayGo:
    """*stream* (a text stream on file descriptor 2), its writes and flushes surviving a
    reader gone (module docstring); every other attribute is *stream*'s. As thread-safe as
    *stream* (the live view's refresh thread writes too): a second thread's write racing the
    redirection goes to the pipe (EPIPE again, dropped) or to /dev/null."""

    __slots__ = ("_stream", "lost")

    def __init__(self, stream: TextIO, lost: str | None = None) -> None:
        self._stream = stream
        # Why text written here was lost (not for a reader gone, who asked for no more).
        self.lost = lost

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            self._cannot_write(exc)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            self._cannot_write(exc)

    def _cannot_write(self, exc: OSError) -> None:
        if not isinstance(exc, BrokenPipeError) and self.lost is None:
            self.lost = exc.strerror or str(exc)
        self._reader_gone()

    def _reader_gone(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)
        try:  # what the failed write left in the stream's buffer, now to /dev/null
            self._stream.flush()
        except OSError:
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def lost(stream: TextIO | None) -> str | None:
    """Why text written to *stream* was lost ("No space left on device", "it was
    closed"); None where every write landed, or its reader went away (module docstring)."""
    return getattr(stream, "lost", None) if isinstance(stream, _ReaderMayGo) else None


def standard_streams_open() -> None:
    """Descriptors 1 and 2 the process was started without (``>&-``, ``2>&-``) opened on
    /dev/null, ``sys.stdout`` / ``sys.stderr`` made for them and wrapped, ``lost``: "it
    was closed" (module docstring). Before anything else opens a file."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
            stream = open(fd, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
            setattr(sys, name, _ReaderMayGo(stream, "it was closed"))


def reader_may_go(stream: TextIO) -> TextIO:
    """*stream* wrapped so that a reader gone ends its text, never the command (module
    docstring); *stream* itself when it has no file descriptor (a test's StringIO) or is
    wrapped already."""
    if isinstance(stream, _ReaderMayGo):
        return stream
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return stream
    return cast(TextIO, _ReaderMayGo(stream))


def stderr_reader_may_go() -> None:
    """The process's stderr (``sys.stderr``) wrapped by ``reader_may_go``, for a console
    script's own process, before its command takes ``sys.stderr`` (``Environment``)."""
    sys.stderr = reader_may_go(sys.stderr)


def stdout_reader_may_go() -> None:
    """The process's stdout (``sys.stdout``) wrapped by ``reader_may_go``, for a console
    script whose stdout lines are words about the run, not a document a caller must get
    whole (``pfndispatchcopy``'s INFO and hash lines: ``pfndispatchcopy -v ... | head -1``
    ends those lines, never the copy, whose outcome is its exit code). ``offload``'s stdout
    (``--json``, ``history``) is written through ``cli.common.write_stdout_whole``
    instead."""
    sys.stdout = reader_may_go(sys.stdout)
