"""An S3 copy root's generation stored, its chain never (the run SIGKILLed between the two
uploads): the next run removes that manifest and writes its own generation, so the history a
download gives back passes ``ascmhl-debug verify`` (``destinations.s3unchained``)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from s3.conftest import admin
from s3.test_s3_cli import keys, make_card, offload
from s3.test_s3_faults import _offload_process, stop_while_held
from s3.test_s3_verify import download_prefix, verify

CARD = {"CLIPS/A001C001.mov": 300_000, "A001.xml": 900}
HISTORY = "day1/A001/ascmhl/"
RECORD = "day1/A001/.offload/ascmhl-generation.json"


def _manifests(endpoint: str, bucket: str) -> list[str]:
    return [k for k in keys(endpoint, bucket) if k.startswith(HISTORY) and k.endswith(".mhl")]


def _only_chained(endpoint: str, bucket: str, orphan: str) -> list[str]:
    """The manifests stored, each listed by the chain; *orphan* among them only as a new
    generation of the same name (made in the same second: stored with If-None-Match, so
    only once the orphan was deleted). Returns them."""
    stored = _manifests(endpoint, bucket)
    if stored:
        chain = admin(endpoint).get_object(Bucket=bucket, Key=f"{HISTORY}ascmhl_chain.xml")
        listed = chain["Body"].read()
        assert all(key.rpartition("/")[2].encode() in listed for key in stored), orphan
    return stored


def _killed_before_the_chain(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, *args: str, command: str = "copy"
) -> str:
    """A run of ``offload COMMAND ARGS`` SIGKILLed while the PUT of ``s3://bucket/day1/A001``'s
    chain is held (its manifest stored); returns that manifest's key."""
    before = set(_manifests(s3_server.url, bucket))
    proxy.hold("PUT", f"/{bucket}/{HISTORY}ascmhl_chain.xml")
    process = _offload_process(tmp_path / "killed", proxy.url, *args, command=command)
    stop_while_held(proxy, process, signal.SIGKILL, "the chain's upload")
    assert process.returncode == -signal.SIGKILL
    stored = set(_manifests(s3_server.url, bucket)) - before
    assert len(stored) == 1
    assert RECORD in keys(s3_server.url, bucket)  # the intent, stored before the manifest
    return stored.pop()


def _orphaned(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> tuple[Path, str, str]:
    """The card ``make_card(CARD)``, its bucket's folder ``s3://bucket/day1`` and the
    manifest its first ``offload copy`` there stored before it was SIGKILLed, its chain
    never stored (``_killed_before_the_chain``)."""
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    return card, url, _killed_before_the_chain(s3_server, bucket, proxy, tmp_path, str(card), url)


def _record_left_after_the_chain(  # type: ignore[no-untyped-def]
    bucket, proxy, tmp_path
) -> tuple[Path, str]:
    """The card ``make_card(CARD)`` and its bucket's folder ``s3://bucket/day1``, where its
    first ``offload copy`` (a process of its own, over by then) stored its generation and
    chain but could not delete its generation record (the DELETE refused, 403: as a kill
    at that moment leaves it): a record naming a manifest the chain lists."""
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    proxy.intercept("DELETE", f"/{bucket}/{RECORD}", status=403)
    first = _offload_process(tmp_path / "first", proxy.url, str(card), url)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    return card, url


def _removed_words(bucket: str, orphan: str) -> str:
    """The warning of a run that removed the manifest *orphan* no chain listed."""
    return (
        f"removed ASC MHL manifest s3://{bucket}/{orphan}: an earlier run wrote it and was "
        "stopped before ascmhl_chain.xml listed it (no chain ever vouched for it)"
    )


def _said(out: str) -> list[str]:
    """The warnings of a ``--json`` run's output."""
    return [
        e["message"] for e in map(json.loads, out.splitlines()) if e["event"] == "warning_issued"
    ]


def _history_verifies(  # type: ignore[no-untyped-def]
    endpoint: str, bucket: str, tmp_path, judge
) -> None:
    """``day1/A001`` downloaded (its history with it) passes ``ascmhl-debug verify``."""
    copy = download_prefix(endpoint, bucket, "day1/A001", tmp_path / "dl" / "A001")
    result = judge.verify(copy)
    assert result.clean, result.describe()


@pytest.mark.parametrize("first", [True, False], ids=["first-generation", "second-generation"])
def test_a_generation_stored_unchained_by_a_killed_run_is_removed_by_the_next(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, judge, first
) -> None:
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    if not first:  # a history of one generation, then a clip more
        assert offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)[0] == 0
        (card / "CLIPS" / "A001C002.mov").write_bytes(os.urandom(200_000))
    orphan = _killed_before_the_chain(s3_server, bucket, proxy, tmp_path, str(card), url)
    code, out, _ = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 0, out[-2000:]
    # Said as the manifests' warning, in the local record's words, naming the object.
    said = _said(out)
    removed = [m for m in said if m.startswith("removed ASC MHL manifest")]
    assert removed == [_removed_words(bucket, orphan)], said
    assert not [m for m in said if "does not list" in m], said  # nothing left to warn of
    # Every generation chained, the orphan gone; the intent record gone with this run's.
    stored = _only_chained(s3_server.url, bucket, orphan)
    assert len(stored) == (1 if first else 2)
    assert RECORD not in keys(s3_server.url, bucket)
    _history_verifies(s3_server.url, bucket, tmp_path, judge)


@pytest.mark.parametrize(
    "writer", [{}, {"host": "dit-cart-2"}], ids=["this-computer", "another-computer"]
)
def test_verify_after_a_first_offload_stored_no_chain_names_the_rerun(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, writer
) -> None:
    """``offload verify s3://`` of a copy root whose first offload was SIGKILLed between
    its manifest's upload and its chain's: refused (exit 32, as ``ascmhl-debug verify``),
    in the local check's words, which name the fix: the same ``offload copy`` again; done
    as said, the check passes. Failed before: "restore ascmhl/ from another copy of this
    card (or a backup)"; for another computer's run (which wrote under a lock: over for
    the next copy, the bucket's rule) again so after revfix7_61 (the review of it)."""
    card, url, orphan = _orphaned(s3_server, bucket, proxy, tmp_path)
    if writer:
        _rewrite_record(s3_server.url, bucket, **writer)
    code, _, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 32, err
    (line,) = [line for line in err.splitlines() if line.startswith("ERROR:")]
    name = orphan.rpartition("/")[2]
    assert f"an offload was stopped after it wrote {name} and before it wrote" in line, line
    assert "run the same offload copy again" in line and "restore" not in line, line
    assert RECORD in keys(s3_server.url, bucket) and orphan in _manifests(s3_server.url, bucket)
    assert offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)[0] == 0
    code, _, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 0, err


def test_a_generation_an_append_stored_unchained_is_removed_by_the_next_append(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, judge
) -> None:
    url = f"s3://{bucket}/day1"
    assert (
        offload(tmp_path, "--s3-endpoint", s3_server.url, str(make_card(tmp_path, CARD)), url)[0]
        == 0
    )
    root = f"{url}/A001"
    orphan = _killed_before_the_chain(
        s3_server, bucket, proxy, tmp_path, "--append", root, command="verify"
    )
    # Its lock left, which a check does not take over: deleted by hand, as its line says.
    admin(s3_server.url).delete_object(Bucket=bucket, Key="day1/A001/.offload/lock")
    code, out, _ = verify(tmp_path, s3_server.url, "--append", "--json", root)
    assert code == 0, out[-3000:]
    notes = json.loads(out)["notes"]
    assert notes[0] == _removed_words(bucket, orphan), notes
    stored = _only_chained(s3_server.url, bucket, orphan)
    assert len(stored) == 2
    assert RECORD not in keys(s3_server.url, bucket)
    _history_verifies(s3_server.url, bucket, tmp_path, judge)


def test_a_record_left_after_the_chain_is_deleted_and_the_generation_kept(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    card, url = _record_left_after_the_chain(bucket, proxy, tmp_path)
    (generation,) = _manifests(s3_server.url, bucket)
    assert RECORD in keys(s3_server.url, bucket)
    code, out, _ = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 0, out[-2000:]
    said = _said(out)
    assert not [m for m in said if "ASC MHL manifest" in m], said  # nothing of ours to undo
    assert generation in _manifests(s3_server.url, bucket)
    assert RECORD not in keys(s3_server.url, bucket)


def _rewrite_record(endpoint: str, bucket: str, **fields: object) -> None:
    """The generation record with *fields* changed (a value None: the field removed)."""
    client = admin(endpoint)
    record = json.loads(client.get_object(Bucket=bucket, Key=RECORD)["Body"].read())
    record.update(fields)
    record = {k: v for k, v in record.items() if v is not None}
    client.put_object(Bucket=bucket, Key=RECORD, Body=json.dumps(record).encode())


@pytest.mark.parametrize(
    "writer",
    [{"pid_space": "another-boot/1"}, {"host": "elsewhere", "pid_space": "another-boot/1"}],
    ids=["after-a-power-cut", "another-computer"],
)
def test_a_record_written_under_a_lock_since_taken_over_is_settled(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, judge, writer
) -> None:
    # The killed run's record as a run of another boot (a power cut, a new container) or
    # computer leaves it: its pid proves nothing, but the lock it names (its nonce) is not
    # the one this run took over, so that run is over. Before: left for good ("run ... again
    # on that run's computer", exit 1 for a first generation, every re-run).
    card, url, orphan = _orphaned(s3_server, bucket, proxy, tmp_path)
    _rewrite_record(s3_server.url, bucket, **writer)
    code, out, _ = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 0, out[-2000:]
    removed = [m for m in _said(out) if "ASC MHL manifest" in m]
    assert removed == [_removed_words(bucket, orphan)]
    assert len(_only_chained(s3_server.url, bucket, orphan)) == 1
    assert RECORD not in keys(s3_server.url, bucket)
    _history_verifies(s3_server.url, bucket, tmp_path, judge)


def test_a_record_of_a_run_that_held_no_lock_is_left_and_its_manifest_named(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    card, url, orphan = _orphaned(s3_server, bucket, proxy, tmp_path)
    # Another computer's run that held no lock (its lock could not be taken): nothing
    # proves it over.
    _rewrite_record(s3_server.url, bucket, host="elsewhere", pid_space="another-boot/1", lock=None)
    code, out, _ = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    left = [m for m in _said(out) if m.startswith("left ASC MHL manifest")]
    assert len(left) == 1 and f"s3://{bucket}/{orphan}" in left[0], out[-2000:]
    assert "held no lock of the copy root" in left[0] and f"s3://{bucket}/{RECORD}" in left[0]
    assert "again on that run's computer" not in left[0]  # no re-run proves it over
    assert orphan in _manifests(s3_server.url, bucket) and RECORD in keys(s3_server.url, bucket)
    assert code != 0  # as before: a first generation no chain lists is not built on


def test_another_computers_manifest_behind_an_unreadable_chain_is_not_said_stopped(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """The record of the test above (another computer's, no lock), and the chain object
    not well-formed XML: the manifest cannot be judged, and its writer may be running, so
    the warning never says it was stopped. Failed before (QA, thirty-eighth pass): "could
    not settle ..., which an earlier run wrote and was stopped before ascmhl_chain.xml
    listed it (...)"."""
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    assert offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)[0] == 0
    (card / "CLIPS" / "A001C002.mov").write_bytes(os.urandom(200_000))  # a second generation
    orphan = _killed_before_the_chain(s3_server, bucket, proxy, tmp_path, str(card), url)
    _rewrite_record(s3_server.url, bucket, host="elsewhere", pid_space="another-boot/1", lock=None)
    admin(s3_server.url).put_object(Bucket=bucket, Key=f"{HISTORY}ascmhl_chain.xml", Body=b"<a")
    _code, out, _ = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    (said,) = [m for m in _said(out) if m.startswith("could not settle")]
    assert f"s3://{bucket}/{orphan}" in said and "stopped" not in said, said
    assert "another computer (elsewhere) wrote it: if no offload is running there" in said
    assert f"s3://{bucket}/{RECORD} by hand" in said and "again on that computer" not in said
    assert orphan in _manifests(s3_server.url, bucket) and RECORD in keys(s3_server.url, bucket)


def test_this_computers_other_boot_behind_an_unreadable_chain_says_no_lock_was_held(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """As above, the record naming this computer's name but another boot (a power cut, a
    container) and no lock: the line says what S3's rule says of such a run, that it held
    no lock of the copy root and nothing proves it over, as its ``left ...`` line does,
    never the local rule's "(another boot's or container's, or on a share)". Failed before
    (review, thirty-eighth pass): the local words."""
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    assert offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)[0] == 0
    (card / "CLIPS" / "A001C002.mov").write_bytes(os.urandom(200_000))
    orphan = _killed_before_the_chain(s3_server, bucket, proxy, tmp_path, str(card), url)
    _rewrite_record(
        s3_server.url, bucket, host=os.uname().nodename, pid_space="another-boot/1", lock=None
    )
    admin(s3_server.url).put_object(Bucket=bucket, Key=f"{HISTORY}ascmhl_chain.xml", Body=b"<a")
    _code, out, _ = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    (said,) = [m for m in _said(out) if m.startswith("could not settle")]
    assert f"s3://{bucket}/{orphan}" in said and "stopped" not in said, said
    assert "held no lock of the copy root" in said, said
    assert "or on a share" not in said, said
    assert f"s3://{bucket}/{RECORD} by hand" in said, said


def test_a_record_naming_a_chained_manifest_is_removed_whoever_wrote_it(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    # A record left after its chain (its delete refused), of a writer nothing proves over:
    # before, it stayed, and every later generation went without a record of its own (its
    # If-None-Match PUT refused, silently).
    card, url = _record_left_after_the_chain(bucket, proxy, tmp_path)
    _rewrite_record(s3_server.url, bucket, host="elsewhere", pid_space="another-boot/1", lock=None)
    (card / "CLIPS" / "A001C002.mov").write_bytes(os.urandom(200_000))
    code, out, _ = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 0, out[-2000:]
    assert not [m for m in _said(out) if "ASC MHL manifest" in m]
    assert len(_manifests(s3_server.url, bucket)) == 2
    assert RECORD not in keys(s3_server.url, bucket)


def test_a_run_whose_lock_was_taken_over_never_stores_its_chain(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    # The rule that settles a record written under another lock holds only if its writer,
    # its lock taken over, never stores the chain after: it reads the lock back first.
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    lock = "day1/A001/.offload/lock"
    proxy.hold("GET", f"/{bucket}/{lock}")  # the read-back before the chain
    process = _offload_process(tmp_path / "taken", proxy.url, str(card), url)
    try:
        assert proxy.held.wait(60), "the lock was never read back before the chain"
        client = admin(s3_server.url)
        body = json.loads(client.get_object(Bucket=bucket, Key=lock)["Body"].read())
        body.update(lock="another-run", pid=1, host="elsewhere")
        client.put_object(Bucket=bucket, Key=lock, Body=json.dumps(body).encode())
        proxy.release()
        out, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    assert "is no longer this run's: the chain was not stored" in out, out[-3000:]
    # Nothing of a generation stored: the manifest taken back, its record deleted.
    assert _manifests(s3_server.url, bucket) == []
    assert not [k for k in keys(s3_server.url, bucket) if k.startswith(HISTORY)]
    assert RECORD not in keys(s3_server.url, bucket)


def test_a_manifest_put_that_raised_after_the_service_stored_it_keeps_its_record(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch
) -> None:
    # The manifest's PUT stored, its answer lost, its retries answered 503: the run cannot
    # know it is there, so no take-back deletes it. Before, its record was deleted all the
    # same: an unchained manifest no record named, every re-run "BUT NO MANIFEST".
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    manifest = f"/{bucket}/{HISTORY}0001_"
    proxy.lose_answer("PUT", manifest, go_down=False)
    proxy.intercept("PUT", manifest, status=503, code="SlowDown", count=50)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    first = _offload_process(tmp_path / "first", proxy.url, str(card), url)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 1, err
    (orphan,) = _manifests(s3_server.url, bucket)
    assert RECORD in keys(s3_server.url, bucket)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    code, out, _ = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 0, out[-2000:]
    assert [m for m in _said(out) if "ASC MHL manifest" in m] == [_removed_words(bucket, orphan)]
    assert len(_only_chained(s3_server.url, bucket, orphan)) == 1
    assert RECORD not in keys(s3_server.url, bucket)


def test_a_manifest_step_failing_after_its_settle_says_what_it_removed(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    # The orphan removed, then this run's own manifest refused (403): before, the step's
    # error replaced its outcome, and the removal went unsaid.
    card, url, orphan = _orphaned(s3_server, bucket, proxy, tmp_path)
    proxy.intercept("PUT", f"/{bucket}/{HISTORY}0001_", status=403)
    code, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), url)
    assert code != 0
    assert f"removed ASC MHL manifest s3://{bucket}/{orphan}" in out + err, out[-3000:]


def test_an_append_refused_after_its_settle_says_what_it_removed(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    # A first copy killed before its chain: the append's settle removes its manifest, and
    # then no history is left to append to (64). Before, the refusal said nothing of it.
    url = f"s3://{bucket}/day1"
    card = make_card(tmp_path, CARD)
    orphan = _killed_before_the_chain(s3_server, bucket, proxy, tmp_path, str(card), url)
    admin(s3_server.url).delete_object(Bucket=bucket, Key="day1/A001/.offload/lock")
    code, out, err = verify(tmp_path, s3_server.url, "--append", f"{url}/A001")
    assert code == 64, out + err
    assert f"removed ASC MHL manifest s3://{bucket}/{orphan}" in out + err, out + err
    assert orphan not in _manifests(s3_server.url, bucket)


def test_a_run_whose_lock_was_lost_before_its_manifests_stores_nothing(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch
) -> None:
    # Its lock taken over during the copy (a laptop asleep past the stale time), a beat
    # failing says so (``lost``) before the manifest step. Before: that lock was treated as
    # none, so the run stored a record without its nonce ("held no lock", false), its
    # manifest, and a chain over the new holder's, with no If-Match.
    from threading import Thread

    from offload.destinations import s3lock
    from offload.destinations.s3lock import S3CopyRootLock

    monkeypatch.setitem(S3CopyRootLock.__init__.__kwdefaults__, "heartbeat_s", 0.2)
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    assert offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)[0] == 0
    (first,) = _manifests(s3_server.url, bucket)
    (card / "CLIPS" / "A001C002.mov").write_bytes(os.urandom(200_000))
    proxy.hold("PUT", f"/{bucket}/day1/A001/CLIPS/A001C002.mov")
    done: list[tuple[int, str, str]] = []
    run = Thread(
        target=lambda: done.append(offload(tmp_path, "--s3-endpoint", proxy.url, str(card), url))
    )
    run.start()
    try:
        assert proxy.held.wait(60), "the clip's upload never started"
        # The new holder: its lock, and a chain of its own.
        client = admin(s3_server.url)
        lock = "day1/A001/.offload/lock"
        body = json.loads(client.get_object(Bucket=bucket, Key=lock)["Body"].read())
        body.update(lock="another-run", pid=1, host="elsewhere")
        client.put_object(Bucket=bucket, Key=lock, Body=json.dumps(body).encode())
        chain_key = f"{HISTORY}ascmhl_chain.xml"
        theirs = client.get_object(Bucket=bucket, Key=chain_key)["Body"].read() + b"<!-- b -->\n"
        client.put_object(Bucket=bucket, Key=chain_key, Body=theirs)
        deadline = time.monotonic() + 60
        while not any(held.lost for held in list(s3lock._HELD.values())):  # a beat saw it
            assert time.monotonic() < deadline, "no heartbeat saw the takeover"
            time.sleep(0.1)
    finally:
        proxy.release()
        run.join(120)
    code, out, err = done[0]
    assert code != 0
    assert "was taken over by another offload" in out + err, (out + err)[-3000:]
    assert _manifests(s3_server.url, bucket) == [first]
    assert client.get_object(Bucket=bucket, Key=chain_key)["Body"].read() == theirs
    assert RECORD not in keys(s3_server.url, bucket)


@pytest.mark.parametrize("first", [True, False], ids=["first-generation", "second-generation"])
def test_a_chain_put_that_raised_after_the_service_stored_it_keeps_its_manifest(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch, judge, first
) -> None:
    # The chain stored, its answer lost, its retries answered 503. Before, the run took back
    # the manifest the stored chain names: a history that fails to verify.
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    if not first:
        assert offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)[0] == 0
        (card / "CLIPS" / "A001C002.mov").write_bytes(os.urandom(200_000))
    chain = f"/{bucket}/{HISTORY}ascmhl_chain.xml"
    proxy.lose_answer("PUT", chain, go_down=False)
    proxy.intercept("PUT", chain, status=503, code="SlowDown", count=50)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    run = _offload_process(tmp_path / "lost", proxy.url, str(card), url)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err[-3000:]
    assert len(_manifests(s3_server.url, bucket)) == (1 if first else 2)
    assert RECORD not in keys(s3_server.url, bucket)
    _history_verifies(s3_server.url, bucket, tmp_path, judge)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    code, out, _ = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 0, out[-2000:]
    assert not [m for m in _said(out) if "ASC MHL" in m or "lock" in m], _said(out)


def test_a_chain_another_writer_stored_meanwhile_is_never_overwritten(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    # Another chain stored while ours was on its way (a writer that holds no lock, or one
    # that took ours over after the lock's read-back): the PUT is on If-Match of the chain
    # this run read. Before: stored over it, its generation listed nowhere.
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    assert offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)[0] == 0
    (first,) = _manifests(s3_server.url, bucket)
    (card / "CLIPS" / "A001C002.mov").write_bytes(os.urandom(200_000))
    chain_key = f"{HISTORY}ascmhl_chain.xml"
    proxy.hold("PUT", f"/{bucket}/{chain_key}")
    process = _offload_process(tmp_path / "raced", proxy.url, str(card), url)
    try:
        assert proxy.held.wait(60), "the chain's upload never started"
        client = admin(s3_server.url)
        theirs = client.get_object(Bucket=bucket, Key=chain_key)["Body"].read() + b"<!-- b -->\n"
        client.put_object(Bucket=bucket, Key=chain_key, Body=theirs)
        proxy.release()
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0, err[-3000:]
    assert f"s3://{bucket}/{chain_key}" in out, out[-3000:]  # the chain's error, named
    assert client.get_object(Bucket=bucket, Key=chain_key)["Body"].read() == theirs
    assert _manifests(s3_server.url, bucket) == [first]  # ours taken back
    assert RECORD not in keys(s3_server.url, bucket)


def test_verify_names_no_rerun_for_a_record_of_a_run_that_held_no_lock(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """The other side of the bucket's rule: another computer's run that held no lock is
    not over for the next copy (which leaves its manifest): no rerun is named."""
    card = make_card(tmp_path, CARD)
    url = f"s3://{bucket}/day1"
    _killed_before_the_chain(s3_server, bucket, proxy, tmp_path, str(card), url)
    _rewrite_record(s3_server.url, bucket, host="elsewhere", pid_space="another-boot/1", lock=None)
    code, _, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 32, err
    assert "run the same offload copy again" not in err, err
