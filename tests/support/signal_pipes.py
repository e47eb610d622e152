"""Pipes that hold a real ``offload`` process in a write: a pipe shrunk to one page and
kept full, so that a test can send a real signal while the process is held writing a given
line (its stdout or stderr), then read everything it wrote once it exits."""

from __future__ import annotations

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
