"""Pipes that hold a real ``offload`` process in a write: a pipe shrunk to one page and
kept full, so that a test can send a real signal while the process is held writing a given
line (its stdout or stderr), then read everything it wrote once it exits. ``one_page``,
``lines_up_to`` and ``held_full``: the same for its own stdout pipe, read up to a given JSON
line, then left to fill."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any


def full_pipe() -> tuple[int, int]:
    """A pipe of one page (read end, write end) for a process's stdout or stderr; ``fill`` fills it,
    so that the process's next write to it waits until the test reads."""
    import fcntl

    read, write = os.pipe()
    fcntl.fcntl(write, 1031, 4096)  # F_SETPIPE_SZ
    return read, write


def fill(read: int, write: int) -> None:
    """Read out what the process wrote to the pipe so far, then fill it (through a
    descriptor of our own: O_NONBLOCK on the shared one would be the process's too)."""
    os.set_blocking(read, False)
    try:
        while os.read(read, 65536):
            pass
    except BlockingIOError:
        pass
    os.set_blocking(read, True)
    filler = os.open(f"/proc/self/fd/{write}", os.O_WRONLY | os.O_NONBLOCK)
    try:
        while True:
            os.write(filler, b"\n")
    except BlockingIOError:
        pass
    finally:
        os.close(filler)


def writing(process: subprocess.Popen[Any], fd: int) -> None:
    """Wait until *process* is held writing to its descriptor *fd* (a full pipe)."""
    deadline = time.monotonic() + 30
    while True:
        call = Path(f"/proc/{process.pid}/syscall").read_text().split()
        if call[:2] == ["1", hex(fd)]:  # write(fd, ...)
            return
        assert process.poll() is None and time.monotonic() < deadline, call
        time.sleep(0.01)


def drain(read: int, write: int, process: subprocess.Popen[bytes]) -> str:
    """Close our end of the pipe, read what the process writes to it until it exits."""
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    process.wait(timeout=60)
    return b"".join(chunks).decode().lstrip("\n")


def one_page(process: subprocess.Popen[bytes]) -> tuple[int, int]:
    """*process*'s stdout pipe (``stdout=subprocess.PIPE``) shrunk to one page: (its
    descriptor, the page's size)."""
    import fcntl

    assert process.stdout is not None
    reader = process.stdout.fileno()
    return reader, fcntl.fcntl(reader, 1031, 4096)  # F_SETPIPE_SZ


def lines_up_to(reader: int, event: str, deadline: float) -> list[bytes]:
    """The JSON lines read from *reader*, a byte at a time (never past the line), up to the
    one whose ``event`` is *event*, before *deadline* (``time.monotonic``)."""
    lines: list[bytes] = []
    pending = b""
    while not lines or json.loads(lines[-1])["event"] != event:
        assert time.monotonic() < deadline, lines[-3:]
        chunk = os.read(reader, 1)
        assert chunk, b"".join(lines)[-500:]
        pending += chunk
        if chunk == b"\n":
            lines.append(pending)
            pending = b""
    return lines


def held_full(
    process: subprocess.Popen[bytes], reader: int, page: int, deadline: float, what: str
) -> None:
    """Wait until the one-page pipe *reader* holds a full page, its writer *process* held in
    a write; *what* names what never came on a failure (the process ended, or *deadline*)."""
    import fcntl
    import termios

    while fcntl.ioctl(reader, termios.FIONREAD, b"\0\0\0\0") != page.to_bytes(4, "little"):
        assert process.poll() is None and time.monotonic() < deadline, what
        time.sleep(0.01)
