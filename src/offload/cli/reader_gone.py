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
wrapped the same way (``stdout_reader_may_go``)."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO, cast


class _ReaderMayGo:
    """*stream* (a text stream on file descriptor 2), its writes and flushes surviving a
    reader gone (module docstring); every other attribute is *stream*'s. As thread-safe as
    *stream* (the live view's refresh thread writes too): a second thread's write racing the
    redirection goes to the pipe (EPIPE again, dropped) or to /dev/null."""

    __slots__ = ("_stream",)

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_gone()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
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
