"""``offload verify s3://`` and ``offload copy --dry-run`` beside a live offload of the same
S3 copy root (``offload.verify_lock.guard_s3_check``, ``card.busy_now``): real ``offload``
processes, a real S3 server process, the fault proxy holding a check mid-read.

Failed before: the dry run and both checks ignored the live lock object (exit 0; the
``--append`` check stored a generation while that offload ran), and a check that appends
took no lock, so an offload started meanwhile was not refused."""

from __future__ import annotations

import json
import os
import socket
import subprocess

from s3.conftest import admin
from s3.test_s3_cli import keys
from s3.test_s3_copy_root_lock import LOCK, _foreign_lock
from s3.test_s3_verify import copied
from support.offload_cli import CLI, run_offload


def via(endpoint: str) -> list[str]:
    return ["--s3-endpoint", endpoint]


def _generations(endpoint: str, bucket: str) -> list[str]:
    return [k for k in keys(endpoint, bucket) if "/ascmhl/" in k and k.endswith(".mhl")]


def test_checks_and_a_dry_run_beside_a_live_s3_offload_are_refused(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    root = copied(s3_server, bucket, tmp_path)  # s3://bucket/day1/A001
    card = tmp_path / "A001"
    endpoint = ("--s3-endpoint", s3_server.url)
    _foreign_lock(s3_server.url, bucket, LOCK)  # another machine's live offload
    before = keys(s3_server.url, bucket)
    dry = run_offload("copy", "--dry-run", *endpoint, card, f"s3://{bucket}/day1")
    plain = run_offload("verify", "--report-dir", tmp_path / "v", *endpoint, root)
    append = run_offload("verify", "--append", "--report-dir", tmp_path / "v", *endpoint, root)
    host = f"pid 1 on not-{socket.gethostname()}"
    for name, done in (("dry-run", dry), ("verify", plain), ("append", append)):
        assert done.returncode == 64, (name, done.stdout, done.stderr)
        assert f"copy root {root} is in use by another offload ({host}" in done.stderr, done
        if name != "dry-run":
            assert "nothing was verified" in done.stderr and " OK" not in done.stderr, done
    assert keys(s3_server.url, bucket) == before  # no generation, the lock untouched
    # That offload over (its lock gone), the check appends, holding the lock meanwhile.
    admin(s3_server.url).delete_object(Bucket=bucket, Key=LOCK)
    done = run_offload("verify", "--append", "--report-dir", tmp_path / "v", *endpoint, root)
    assert done.returncode == 0, done.stderr
    assert len(_generations(s3_server.url, bucket)) == 2
    assert LOCK not in keys(s3_server.url, bucket)  # released


def test_a_check_that_appends_to_a_bucket_holds_its_lock(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """``offload verify --append s3://`` holds the copy root's lock object while it reads,
    its body's ``role`` "check": an ``offload copy`` into it started meanwhile, or a second
    ``--append``, is refused naming the check ("nothing was verified" for the check); a
    plain check reads beside it, as on a disk. Failed before: the plain check was refused
    (exit 64)."""
    root = copied(s3_server, bucket, tmp_path)
    card = tmp_path / "A001"
    proxy.hold("GET", "A001C002.mov")
    check = subprocess.Popen(
        [*CLI, "verify", "--append", "--report-dir", str(tmp_path / "v"), *via(proxy.url), root],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
    )
    try:
        assert proxy.held.wait(120), "the check never read the clip"
        body = json.loads(admin(s3_server.url).get_object(Bucket=bucket, Key=LOCK)["Body"].read())
        (card / "CLIPS" / "A001C009.mov").write_bytes(os.urandom(1000))
        copy = run_offload(
            "copy", "--report-dir", tmp_path / "r", "--s3-endpoint", s3_server.url, card,
            f"s3://{bucket}/day1",
        )  # fmt: skip
        direct = ("--s3-endpoint", s3_server.url)
        plain = run_offload("verify", "--report-dir", tmp_path / "v2", *direct, root)
        second = run_offload("verify", "--append", "--report-dir", tmp_path / "v3", *direct, root)
    finally:
        proxy.release()
        _out, err = check.communicate(timeout=120)
    assert check.returncode == 0, err
    assert body["pid"] == check.pid and "verify --append" in body["command"], body
    assert body["role"] == "check", body
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert second.returncode == 64, second.stdout + second.stderr
    said = " ".join(second.stderr.split())
    assert f"is in use by another offload (pid {check.pid} on" in said, said
    assert "nothing was verified" in said and "nothing was written" not in said, said
    assert copy.returncode == 64, copy.stderr
    assert f"is in use by another offload (pid {check.pid} on" in copy.stderr, copy.stderr
    assert not [k for k in keys(s3_server.url, bucket) if "A001C009" in k]
    assert len(_generations(s3_server.url, bucket)) == 2
    assert LOCK not in keys(s3_server.url, bucket)


def test_the_lock_of_a_killed_check_is_taken_over_by_the_next_append(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """An ``offload verify --append s3://`` SIGKILLed mid-check leaves its lock object (a
    check's, its holder gone on this host): the next ``--append`` takes it over, as a
    disk's lock of a dead holder is, appends, and releases it.
    Failed before: exit 64, "left by an offload stopped before it released it; nothing was
    verified: the next offload copy there takes it over, or delete it": a check refused
    for a check's lock that nothing else was going to remove."""
    root = copied(s3_server, bucket, tmp_path)
    proxy.hold("GET", "A001C002.mov")
    check = subprocess.Popen(
        [*CLI, "verify", "--append", "--report-dir", str(tmp_path / "v"), *via(proxy.url), root],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proxy.held.wait(120), "the check never read the clip"
        check.kill()
        check.communicate(timeout=60)
    finally:
        proxy.release()
    assert LOCK in keys(s3_server.url, bucket)  # a SIGKILLed check cannot delete it
    direct = via(s3_server.url)
    done = run_offload("verify", "--append", "--report-dir", tmp_path / "v2", *direct, root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Recorded in" in done.stdout, done.stdout
    assert len(_generations(s3_server.url, bucket)) == 2
    assert LOCK not in keys(s3_server.url, bucket)  # released


def test_a_copys_stale_lock_swapped_in_before_the_takeover_is_not_taken_over(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """A check's stale lock read by ``guard_s3_check`` (it may be taken over), then, while
    the check's first put of its own lock is held by the proxy, replaced by a stale copy's
    lock (its run token: a takeover would sweep that run's objects): the check refuses,
    the copy's lock left as it is. Failed before: ``acquire`` read the lock again and took
    over whatever stale lock it found, of any role, then swept it."""
    import threading

    from offload.destinations.s3config import S3Settings
    from offload.lock import CHECK_ROLE, CopyRootBusy, holder_body
    from offload.verify_lock import guard_s3_check
    from support.pids import a_pid_not_running

    root = copied(s3_server, bucket, tmp_path)
    client = admin(s3_server.url)
    # This host's holders, their pid one no process has: provably gone, stale.
    dead = {"pid": a_pid_not_running(), "pid_start": None}
    check_lock = json.dumps({**json.loads(holder_body(None, None, role=CHECK_ROLE)), **dead})
    copy = {**json.loads(holder_body(["offload", "copy"], None)), **dead, "token": "0123abcd"}
    copy_lock = json.dumps(copy).encode()
    client.put_object(Bucket=bucket, Key=LOCK, Body=check_lock)
    settings = S3Settings(endpoint_url=proxy.url, region="us-east-1", max_attempts=3)
    outcome: list[object] = []

    def check() -> None:
        try:
            outcome.append(guard_s3_check(root, settings, append=True))
        except BaseException as exc:
            outcome.append(exc)

    proxy.hold("PUT", "/.offload/lock HTTP")  # the check's put of its own lock
    worker = threading.Thread(target=check)
    worker.start()
    try:
        assert proxy.held.wait(30), f"the check never put its lock: {outcome}"
        client.put_object(Bucket=bucket, Key=LOCK, Body=copy_lock)  # between the two reads
    finally:
        proxy.release()
        worker.join(60)
    (refused,) = outcome
    if callable(refused):
        refused()  # the lock taken before: release it
    assert isinstance(refused, CopyRootBusy), refused
    assert "left by an offload stopped before it released it" in refused.message, refused
    assert client.get_object(Bucket=bucket, Key=LOCK)["Body"].read() == copy_lock
