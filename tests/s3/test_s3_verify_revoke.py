"""``offload verify s3://`` revokes the S3 ledger's record of an object whose GET it saw fail
(``destinations.s3revoke``): the next plain ``offload copy`` of the card no longer trusts it
by its ETag ("verified earlier", not read) but reads it back against the card. A copy root
another run holds the lock of is not written: the check's result stands, a note says the
record was not revoked and why. The real server process, a fault proxy refusing that one
GET (403, as for an archived object or a credential that may not read it), the real CLI."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from s3.conftest import destination
from s3.test_s3_cli import make_card, offload
from s3.test_s3_verify import verify
from support.held_process import signal_while_held, start
from support.tcpproxy import FaultProxy

SIZES = {"CLIPS/A001C001.mov": 300_000, "CLIPS/A001C002.mov": 200_000, "A001.xml": 900}
CLIP = "CLIPS/A001C002.mov"


def _copy(endpoint: str, bucket: str, tmp: Path) -> tuple[Path, str]:
    card = make_card(tmp, SIZES)
    code, _, err = offload(tmp, "--s3-endpoint", endpoint, str(card), f"s3://{bucket}/day1")
    assert code == 0, err
    return card, f"s3://{bucket}/day1/A001"


def _gets_of(proxy: FaultProxy, key: str) -> int:
    return sum(
        1
        for method, target in zip(proxy.stats.methods, proxy.targets, strict=True)
        if method == "GET" and target.split("?")[0].endswith(key)
    )


def test_an_object_verify_could_not_get_is_read_back_by_the_next_copy(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy
) -> None:
    """Failed before: the verify revoked nothing (``revoked`` empty), and the next copy
    called the clip verified earlier by its ETag, without a GET of it."""
    card, url = _copy(s3_server.url, bucket, tmp_path)
    proxy.intercept("GET", f"/day1/A001/{CLIP} HTTP", status=403, count=100)
    code, out, err = verify(tmp_path, proxy.url, "--json", url)
    assert code == 11, out + err
    data = json.loads(out)
    assert data["unreadable"] == [CLIP] and data["revoked"] == [CLIP], data
    assert not data["notes"], data["notes"]
    proxy.intercept("GET", f"/day1/A001/{CLIP} HTTP", status=403, count=0)

    again = FaultProxy(s3_server.port)
    try:
        code, _, err = offload(
            tmp_path, "--s3-endpoint", again.url, str(card), f"s3://{bucket}/day1"
        )
        assert code == 0, err
        assert _gets_of(again, f"/day1/A001/{CLIP}") >= 1  # read back against the card
        assert _gets_of(again, "/day1/A001/CLIPS/A001C001.mov") == 0  # still trusted
    finally:
        again.close()
    # Read back and adopted: trusted again by the run after, without a GET.
    last = FaultProxy(s3_server.port)
    try:
        code, _, err = offload(
            tmp_path, "--s3-endpoint", last.url, str(card), f"s3://{bucket}/day1"
        )
        assert code == 0, err
        assert _gets_of(last, f"/day1/A001/{CLIP}") == 0
    finally:
        last.close()


def test_a_copy_root_another_run_holds_is_not_revoked_and_the_note_says_so(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy, monkeypatch
) -> None:
    """The lock of the copy root is held (a live run, started once the check had read the
    copy: one started before refuses the check, ``verify_lock``): nothing is written there;
    the JSON's ``notes`` say the record was not revoked, why, and that a copy still trusts
    it by its ETag; ``revoked`` is empty."""
    from offload.cli import verify_cmd
    from offload.destinations.s3lock import S3CopyRootLock

    _, url = _copy(s3_server.url, bucket, tmp_path)
    store = destination(s3_server.url, bucket, prefix="day1")
    lock = S3CopyRootLock(store, "day1/A001")
    revoke = verify_cmd._revoke_s3

    def revoke_while_held(*args, **kwargs):  # type: ignore[no-untyped-def]
        lock.acquire()
        return revoke(*args, **kwargs)

    monkeypatch.setattr(verify_cmd, "_revoke_s3", revoke_while_held)
    try:
        proxy.intercept("GET", f"/day1/A001/{CLIP} HTTP", status=403, count=100)
        code, out, err = verify(tmp_path, proxy.url, "--json", url)
    finally:
        lock.release()
        store.close()
    assert code == 11, out + err
    data = json.loads(out)
    assert data["unreadable"] == [CLIP] and data["revoked"] == [], data
    (note,) = data["notes"]
    # Failed before: "the copies found wrong", though none was found wrong (QA): the one
    # object there could not be read.
    assert "ledger record of the 1 copy it could not read was not revoked" in note, note
    assert "found wrong" not in note and "found changed" not in note, note
    assert "still trusts such a copy that kept its ETag" in note, note
    assert "the copy root's lock s3://" in note and "is there" in note, note


def test_the_revocation_on_s3_is_said_as_it_is_there(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy
) -> None:
    """The warning of a revocation on ``s3://`` speaks of the object's ETag and a read-back
    by the next copy. Failed before: it said the ledger keeps which copy it revoked and that
    ``offload copy --reverify`` replaces it, neither of which holds there (no record of the
    copy ended is written for an object)."""
    _copy(s3_server.url, bucket, tmp_path)
    proxy.intercept("GET", f"/day1/A001/{CLIP} HTTP", status=403, count=100)
    code, out, err = verify(tmp_path, proxy.url, f"s3://{bucket}/day1/A001")
    assert code == 11, out + err
    said = " ".join(err.split())
    assert (
        "this check revoked this copy root's ledger record of the 1 object whose GET it saw "
        "fail: no `offload copy` trusts it by its ETag any more" in said
    ), said
    assert "--reverify" not in said and "keeps which copy" not in said, said


def test_a_further_signal_while_revoking_on_s3_leaves_the_checks_report(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy
) -> None:
    """``offload verify s3://`` whose revocation's PUT is held, stopped by two real signals
    meanwhile: the revocation is finished, then the command stops (exit 130) and its report
    is written, with the check's own lists (``not_looked_for`` empty) and
    ``stopped_after_check`` true. Failed before: no report was written (the root, a
    mangled ``s3:/`` path, is no folder), yet the line said the report gives the results."""
    _copy(s3_server.url, bucket, tmp_path)
    proxy.intercept("GET", f"/day1/A001/{CLIP} HTTP", status=403, count=100)
    proxy.hold("PUT", "/.offload/ledger/")
    reports = tmp_path / "vreports"
    command = [sys.executable, "-m", "offload", "verify", "--report-dir", str(reports)]
    command += ["--s3-endpoint", proxy.url, f"s3://{bucket}/day1/A001"]
    env = dict(os.environ, OFFLOAD_NO_CODE_CACHE="1")
    process = start(command, env=env)

    def wait_held() -> None:
        assert proxy.held.wait(120), "the revocation's PUT was never held"

    signal_while_held(
        process, signal.SIGTERM, signal.SIGINT, wait_held=wait_held, release=proxy.release
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in err, out + err
    said = " ".join(err.split())
    assert "stopped by a further signal while the check revoked" in said, said
    (saved,) = reports.glob("verify_*.json")
    data = json.loads(saved.read_text())
    assert data["revoked"] == [CLIP] and data["unreadable"] == [CLIP], data
    assert (data["exit_code"], data["passed"]) == (130, False), data
    assert (data["not_looked_for"], data["stopped_after_check"]) == ([], True), data


def test_the_revocation_reads_each_ledger_object_once(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy
) -> None:
    """The revocation reads the bucket's ledger once (the check itself read it before its
    own reads): each of its objects one GET, the listing asked again under the lock to see
    that no run appended since (the conflict check, ``S3Ledger.unchanged``). Failed before:
    each ledger object was read three times by the revocation (before the lock, again under
    it, and again by ``Ledger.revoke`` for the other cards' entries)."""
    from s3.conftest import admin

    _copy(s3_server.url, bucket, tmp_path)
    listed = admin(s3_server.url).list_objects_v2(
        Bucket=bucket, Prefix="day1/A001/.offload/ledger/"
    )
    objects = [item["Key"] for item in listed.get("Contents", [])]
    assert objects
    proxy.intercept("GET", f"/day1/A001/{CLIP} HTTP", status=403, count=100)
    code, out, err = verify(tmp_path, proxy.url, "--json", f"s3://{bucket}/day1/A001")
    assert code == 11, out + err
    assert json.loads(out)["revoked"] == [CLIP]
    sent = list(zip(proxy.stats.methods, proxy.targets, strict=True))
    # The check's own reads end with the clip's GET (refused); what follows is the revocation.
    last_read = max(i for i, (m, t) in enumerate(sent) if m == "GET" and t.endswith(CLIP))
    for key in objects:
        after = [i for i, (m, t) in enumerate(sent) if m == "GET" and t.endswith(key)]
        assert len([i for i in after if i > last_read]) == 1, "\n".join(map(str, sent))


def test_a_run_that_appended_before_the_lock_is_seen_by_the_revocation(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy
) -> None:
    """The ledger read once is checked again under the lock: an entry appended after it was
    read and before the lock was taken (a run that recorded the clip again, read back since
    the check began) is seen, and that clip is not revoked: its new entry vouches for a
    read-back this check did not see fail. The lock's PUT held by the proxy while a new
    ledger object is stored with a plain client."""
    import threading
    import time

    from s3.conftest import admin

    _copy(s3_server.url, bucket, tmp_path)
    client = admin(s3_server.url)
    prefix = "day1/A001/.offload/ledger/"
    (first,) = [i["Key"] for i in client.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    lines = client.get_object(Bucket=bucket, Key=first)["Body"].read().decode().splitlines()
    (line,) = [text for text in lines if json.loads(text).get("relative_path") == CLIP]
    proxy.intercept("GET", f"/day1/A001/{CLIP} HTTP", status=403, count=100)
    proxy.hold("PUT", "/.offload/lock HTTP")
    result: list[tuple[int, str, str]] = []
    check = threading.Thread(
        target=lambda: result.append(
            verify(tmp_path, proxy.url, "--json", f"s3://{bucket}/day1/A001")
        )
    )
    check.start()
    try:
        assert proxy.held.wait(120), "the lock's PUT was never held"
        again = dict(json.loads(line), recorded_at=time.time())
        later = first.replace("-000000.jsonl", "-000001.jsonl").replace(
            first.rsplit("/", 1)[1][:20], str(time.time_ns()).zfill(20)
        )
        client.put_object(Bucket=bucket, Key=later, Body=(json.dumps(again) + "\n").encode())
    finally:
        proxy.release()
        check.join(120)
    ((code, out, err),) = result
    assert code == 11, out + err
    data = json.loads(out)
    assert data["unreadable"] == [CLIP] and data["revoked"] == [], data
