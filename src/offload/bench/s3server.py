"""A local S3 server process on a free loopback port: started, waited for, stopped by its PID;
and moto's S3 server run in it, behind a WSGI layer of the caller's.

Shared by ``offload bench`` (its S3 section, ``bench/s3.py``: ``python -m
offload.bench.s3server --port N``, moto behind ``NullVersionShim``) and the test suite
(tests/s3/conftest.py runs ``support.s3server``: moto behind its checksum gate). Linux: the CPU
time and peak memory of the server are read from ``/proc/<pid>``.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


#: The environment variable naming, in a server process, the read end of its watchdog pipe
#: (``start_local_server``): EOF there means the process that started it is gone.
WATCHDOG_ENV = "OFFLOAD_S3SERVER_WATCHDOG_FD"


@dataclass
class LocalServer:
    """A server process listening on ``HOST:port``; *watchdog*: the write end of its
    watchdog pipe (``start_local_server``), closed by ``stop_local_server``."""

    port: int
    process: subprocess.Popen[bytes]
    watchdog: int | None = None

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
    it). It is handed the read end of a pipe whose write end only this process holds (its
    descriptor in ``WATCHDOG_ENV``): a server that watches it (``serve_moto``) exits once
    this process is gone, killed too (SIGKILL: the kernel closes the write end), so a
    pytest session or a bench killed mid-run leaves no server behind; before, each one it
    had started ran on for good. A pipe, not ``PR_SET_PDEATHSIG``: that follows the thread
    that started the child, and needs a ``preexec_fn``, unsafe in a process with threads.
    Raises RuntimeError naming *what* if it exits or does not listen within *timeout_s*.
    """
    port = free_port()
    raw, watchdog = os.pipe()  # neither inherited but as pass_fds says
    # Above 2: a starter with stdin (or stdout, stderr) closed gets fd 0 (1, 2) from pipe(),
    # which the child's stdin=DEVNULL (stdout, stderr) would replace: EOF at once, exit.
    try:
        watched = fcntl.fcntl(raw, fcntl.F_DUPFD_CLOEXEC, 3)
    except BaseException:
        os.close(watchdog)
        raise
    finally:
        os.close(raw)
    try:
        process = subprocess.Popen(
            list(command(port)),
            env={**(os.environ if env is None else env), WATCHDOG_ENV: str(watched)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            pass_fds=(watched,),
        )
    except BaseException:
        os.close(watchdog)
        raise
    finally:
        os.close(watched)
    server = LocalServer(port, process, watchdog)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            os.close(watchdog)
            raise RuntimeError(f"{what} exited at start (exit {process.returncode})")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    stop_local_server(server)
    raise RuntimeError(f"{what} did not listen on {HOST}:{port} within {timeout_s:.0f} s")


def stop_local_server(server: LocalServer) -> None:
    """SIGTERM the server by its PID, SIGKILL it if it has not exited within 10 s; then
    close its watchdog pipe."""
    if server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(10)
    watchdog, server.watchdog = server.watchdog, None
    if watchdog is not None:
        os.close(watchdog)


def exit_with_starter() -> None:
    """In a server process ``start_local_server`` started: exit at once (``os._exit``: its
    threads serve nothing more) once the process that started it is gone, the watchdog
    pipe's write end closed (EOF). Watched on a daemon thread; nothing where the
    environment names no pipe (a server started by hand)."""
    import threading

    named = os.environ.pop(WATCHDOG_ENV, "")
    if not named.isdigit():
        return
    fd = int(named)

    def watch() -> None:
        try:
            while os.read(fd, 1):
                pass
        except OSError:
            pass
        os._exit(0)

    threading.Thread(target=watch, name="s3server-watchdog", daemon=True).start()


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serve_moto(host: str, port: int, wrap: Callable[[WsgiApp], WsgiApp]) -> None:
    """Run moto's S3 server (what its ``moto_server`` command runs: the same app, threaded,
    moto's request handler) behind ``wrap(app)`` on *host*:*port*, until killed.

    Prints ``READY`` before it listens. Needs moto's server extra (``moto[server]``).
    """
    exit_with_starter()
    os.environ.setdefault("MOTO_PORT", str(port))
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    app = DomainDispatcherApplication(create_backend_app)
    print("READY", flush=True)
    run_simple(host, port, wrap(app), threaded=True, request_handler=MotoRequestHandler)


class NullVersionShim:
    """WSGI layer: a request for ``versionId=null`` is served as one without a version.

    On a bucket without versioning every object's version is "null", and AWS answers a GET or
    HEAD of ``?versionId=null`` with the object; moto 5.2 answers a HEAD with 400. rclone 1.60
    HEADs each object it uploaded by multipart with the version id moto gave it ("null"), so
    without this layer its first pass fails on every large file and it retries the whole copy
    (a cost that AWS would not make it pay). The bench's buckets have no versioning.
    """

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = environ.get("QUERY_STRING", "")
        if "versionId=null" in query:
            environ["QUERY_STRING"] = "&".join(
                part for part in query.split("&") if part != "versionId=null"
            )
        return self.app(environ, start_response)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m offload.bench.s3server --port N``: the bench's S3 server."""
    parser = argparse.ArgumentParser(prog="python -m offload.bench.s3server")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve_moto(args.host, args.port, NullVersionShim)


if __name__ == "__main__":
    main()
