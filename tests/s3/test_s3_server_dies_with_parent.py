"""The suite's S3 server process dies with the process that started it: a pytest session
SIGKILLed mid-run (a CI timeout, a Ctrl-\\ of a developer) left every server it had started
running, a moto process each, for good (``bench.s3server.start_local_server``'s watchdog)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

from s3.conftest import TESTS

# A parent that starts the suite's server as the fixture does, says its pid and port, then
# waits to be killed.
PARENT = textwrap.dedent(
    """
    import sys, time
    from s3.conftest import start_server
    server = start_server()
    print(server.process.pid, server.port, flush=True)
    time.sleep(300)
    """
)


def _gone(pid: int, timeout_s: float) -> bool:
    """Whether the process *pid* (not our child: reaped by whoever adopted it) is gone
    within *timeout_s* (a zombie left to be reaped counts as gone)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                if f.read().rpartition(b")")[2].split()[0] == b"Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


def _session_members(sid: int) -> list[int]:
    """The live (not zombie) processes in session *sid*: the server's session
    (``start_new_session``), so any child it forked is found too."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rpartition(b")")[2].split()
        except OSError:
            continue  # gone meanwhile
        # After the name: state, ppid, pgrp, session.
        if int(fields[3]) == sid and fields[0] != b"Z":
            members.append(int(entry))
    return members


def test_the_server_dies_when_its_starter_is_sigkilled() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=env
    )
    server_pid = 0
    try:
        assert parent.stdout is not None
        server_pid, port = map(int, parent.stdout.readline().split())
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # listening
        parent.send_signal(signal.SIGKILL)
        assert parent.wait(10) == -signal.SIGKILL
        assert _gone(server_pid, 15), f"the S3 server (pid {server_pid}) outlived its starter"
        # Not "the port refuses connections": under xdist another worker's server may get the
        # freed port, and a connect to a free ephemeral port can connect to itself (TCP
        # simultaneous open) - CI failed so once. Anything the server forked shares its session.
        assert _session_members(server_pid) == [], "a process the S3 server started outlived it"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
        if server_pid and not _gone(server_pid, 0.1):
            os.kill(server_pid, signal.SIGKILL)  # the leak this test is about: never left


def test_a_starter_with_its_stdin_closed_starts_the_server() -> None:
    # The pipe's read end was fd 0 there, which the child's stdin=DEVNULL replaced: the
    # server read EOF at once and exited ("exited at start"). Failed before.
    script = textwrap.dedent(
        """
        import os
        os.close(0)
        from offload.bench.s3server import stop_local_server
        from s3.conftest import start_server
        server = start_server()
        assert server.process.poll() is None
        stop_local_server(server)
        print("started", flush=True)
        """
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0 and done.stdout == "started\n", done.stderr[-2000:]
