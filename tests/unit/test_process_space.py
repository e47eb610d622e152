"""Whether a lock's or an upload record's holder is known to be over: its pid counted in this
process's pid namespace and boot, not merely under this host name (review: a run in a
container, pid 1 there, took over a live run's S3 lock and upload in another container of
the same host name). A real pid namespace (unshare, as root)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from offload.lock import (
    body_gone,
    holder_body,
    holder_gone,
    process_identity,
    process_space,
    process_start,
    same_process_space,
)
from support.pids import a_pid_not_running
from support.requirements import require_root


def test_a_holder_of_another_pid_namespace_is_never_known_gone() -> None:
    require_root("a pid namespace of its own (unshare --pid)")
    unshare = shutil.which("unshare")
    assert unshare is not None
    body = subprocess.run(
        [
            unshare,
            "--pid",
            "--fork",
            "--mount-proc",
            sys.executable,
            "-c",
            "import sys; from offload.lock import holder_body; "
            "sys.stdout.buffer.write(holder_body(None, None))",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    holder = json.loads(body)
    assert holder["host"] == os.uname().nodename and holder["pid"] == 1
    assert holder["pid_space"] and holder["pid_space"] != process_space()
    assert not same_process_space(holder["host"], holder["pid_space"])
    # Its pid means nothing here: not known gone (the age rule frees it), whatever runs here.
    gone_here = a_pid_not_running()
    assert not holder_gone(holder["host"], gone_here, holder["pid_space"])
    assert not holder_gone(holder["host"], gone_here, None)  # a record without it
    # A holder of this very process space whose pid no longer runs is.
    assert holder_gone(holder["host"], gone_here, process_space())


def test_a_pid_reused_since_is_known_gone_by_its_start() -> None:
    """A record's ``pid_start`` tells the process that made it from a later one given its
    pid: a live pid whose process started at another time is gone; the same start, or a
    start read in another time namespace, or none, is not (alive, as before)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        host, space = os.uname().nodename, process_space()
        start = process_start(process.pid)
        assert start and start == process_start(process.pid)
        assert process_start(os.getpid()) != start
        namespace, _, ticks = start.rpartition(":")
        assert not holder_gone(host, process.pid, space, start)
        assert not holder_gone(host, process.pid, space, None)
        assert holder_gone(host, process.pid, space, f"{namespace}:{int(ticks) - 1}")
        assert not holder_gone(host, process.pid, space, f"other-ns:{int(ticks) - 1}")
        assert not holder_gone(host, process.pid, "another-boot/1", f"{namespace}:1")
    finally:
        process.kill()
        process.wait()


def test_an_s3_lock_of_a_reused_pid_is_stale() -> None:
    """An S3 copy root's lock whose body names a live pid of this process space that now
    runs another process than the one that took it (its ``pid_start``) is stale; the same
    process's, or a body without a start, is not (refreshed just now)."""
    from offload.destinations.s3lock import is_stale

    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        start = process_start(process.pid)
        namespace, _, ticks = start.rpartition(":")
        holder = {"host": os.uname().nodename, "pid": process.pid, "pid_space": process_space()}
        where = ("bucket", "root/.offload/lock")
        assert not is_stale({**holder, "pid_start": start}, 1.0, 180.0, where)
        assert not is_stale(holder, 1.0, 180.0, where)
        assert is_stale({**holder, "pid_start": f"{namespace}:{int(ticks) + 5}"}, 1.0, 180.0, where)
    finally:
        process.kill()
        process.wait()


def test_one_identity_names_this_process_in_a_lock_and_an_upload_record() -> None:
    """``process_identity``: what a lock's body and an upload record name their maker by,
    read once a process; ``body_gone`` judges either, a forked child its own pid."""
    from offload.destinations.s3 import _maker

    me = process_identity()
    assert me == {
        "pid": os.getpid(),
        "host": os.uname().nodename,
        "pid_space": process_space(),
        "pid_start": process_start(os.getpid()),
    }
    body = json.loads(holder_body(["offload"], None))
    assert {k: body[k] for k in me} == me
    assert {k: v for k, v in _maker().items() if k != "run"} == me
    assert not body_gone(me) and not body_gone(body)
    me["pid"] = a_pid_not_running()
    assert body_gone(me) == bool(process_space())
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child's own identity, not its parent's cached one
        status = 1  # whatever raises, the child never runs on into the pytest session
        try:
            os.write(write, json.dumps(process_identity()).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    assert os.waitpid(child, 0)[1] == 0
    with os.fdopen(read) as f:
        theirs = json.loads(f.read())
    assert theirs["pid"] == child and theirs["pid_start"] != process_identity()["pid_start"]
