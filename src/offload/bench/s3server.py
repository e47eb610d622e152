"""A local S3 server process on a free loopback port: started, waited for, stopped by its PID.

Shared by ``offload bench`` (moto's standalone ``moto_server`` for its S3 section,
``bench/s3.py``) and the test suite (tests/s3/conftest.py runs moto behind its checksum gate).
Only the process's life is here; what runs in it is the caller's command. Linux: the CPU time
and peak memory of the server are read from ``/proc/<pid>``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


@dataclass
class LocalServer:
    """A server process listening on ``HOST:port``."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds the process (every thread) has used; None if unknown."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        # After the command name: state is field 3, utime 14 and stime 15 (man 5 proc).
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def peak_rss_kib(self) -> int | None:
        """The process's resident-memory high-water mark (VmHWM), KiB; None if unknown."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return None


def free_port() -> int:
    """A TCP port on HOST that nothing listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_local_server(
    command: Callable[[int], Sequence[str]],
    *,
    env: Mapping[str, str] | None = None,
    what: str = "the S3 server",
    timeout_s: float = 30.0,
) -> LocalServer:
    """Start ``command(port)`` on a free port and return once it accepts connections.

    Its output is discarded; it runs in a session of its own (a Ctrl-C of ours does not reach
    it). Raises RuntimeError naming *what* if it exits or does not listen within *timeout_s*.
    """
    port = free_port()
    process = subprocess.Popen(
        list(command(port)),
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = LocalServer(port, process)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited at start (exit {process.returncode})")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    stop_local_server(server)
    raise RuntimeError(f"{what} did not listen on {HOST}:{port} within {timeout_s:.0f} s")


def stop_local_server(server: LocalServer) -> None:
    """SIGTERM the server by its PID, SIGKILL it if it has not exited within 10 s."""
    if server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(10)


def moto_server_program() -> str | None:
    """moto's standalone server: next to this Python (its venv's bin), else on PATH."""
    beside = Path(sys.executable).with_name("moto_server")
    if os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("moto_server")
