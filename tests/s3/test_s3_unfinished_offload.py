"""``offload verify s3://...`` of a copy root whose last offload did not finish: never a pass.

A card offloaded to ``s3://bucket/shoot`` to its end; the card then gains a 40 MiB clip, and
the next ``offload copy`` (a real process) is SIGKILLed while the fault proxy holds that
clip's part 2. The bucket holds the finished run's records (its ASC MHL history, its ledger),
which name only the first files: ``offload verify`` read every object they name and passed,
"0 missing", exit 0, with the card's new clip never stored. An ``s3://`` copy root now keeps
the record a local one does (``.offload/last-run.json``, ``destinations/s3run_record``):
INCOMPLETE, exit 10, ``--append`` refused, until the same offload is run to its end.
Real server (the suite's S3 server process on 127.0.0.1), real kill."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from s3.conftest import admin
from s3.test_s3_cli import make_card
from s3.test_s3_faults import _offload_process

MiB = 1024 * 1024
BIG = 40 * MiB + 3  # 6 parts: the proxy holds part 2
CARD = {f"A/a{n}.mov": 50_000 for n in range(5)}


def _verify(endpoint: str, url: str, reports: Path, *args: str) -> tuple[int, str, Any]:
    """``offload verify URL``'s exit code, its output and its saved JSON report (None when
    it wrote none)."""
    done = subprocess.run(
        [sys.executable, "-m", "offload.cli.offload", "verify", "--report-dir", str(reports),
         "--s3-endpoint", endpoint, *args, url],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    saved = sorted(reports.glob("verify_*.json"))
    data = json.loads(saved[-1].read_text()) if saved else None
    return done.returncode, done.stdout + done.stderr, data


def _copy(endpoint: str, card: Path, bucket: str, tmp: Path) -> tuple[int, str]:
    process = _offload_process(tmp, endpoint, str(card), f"s3://{bucket}/shoot")
    out, err = process.communicate(timeout=300)
    return process.returncode, out + err


@pytest.mark.timeout(300)
def test_a_copy_killed_mid_card_on_s3_is_incomplete_until_the_rerun_finishes(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """Failed before: exit 0, "5 OK, 0 changed, 0 missing"."""
    card = make_card(tmp_path / "a", CARD).rename(tmp_path / "a" / "day2")
    code, output = _copy(s3_server.url, card, bucket, tmp_path / "r0")
    assert code == 0, output
    (card / "ZZ").mkdir()
    (card / "ZZ" / "big.mov").write_bytes(b"\x01" * BIG)
    proxy.hold("PUT", "partNumber=2")
    process = _offload_process(tmp_path / "r1", proxy.url, str(card), f"s3://{bucket}/shoot")
    try:
        assert proxy.held.wait(120), "the run never uploaded the new clip"
        process.send_signal(signal.SIGKILL)
    finally:
        proxy.release()
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    listed = admin(s3_server.url).list_objects_v2(Bucket=bucket, Prefix="shoot/day2/ZZ/")
    assert not listed.get("Contents")  # the new clip never stored
    url = f"s3://{bucket}/shoot/day2"
    code, output, data = _verify(s3_server.url, url, tmp_path / "v1")
    assert code == 10, output
    (line,) = [line for line in output.splitlines() if "INCOMPLETE:" in line]
    assert "the offload that wrote this copy" in line, line
    assert "did not finish (killed, a power cut, stopped)" in line, line
    assert "0 missing" not in output and "missing: unknown" in output, output
    assert data["passed"] is False and str(data["unfinished_offload"]).startswith("INCOMPLETE")
    # How it ended, from the bucket's record object (``s3verify._unfinished_offload``):
    # what ``offload history`` reads, never the line's words.
    assert data["unfinished_offload_states"] == ["running"], data
    # --append: refused first for the killed run's lock; deleted (as that line says to,
    # once the offload is known to be over), then for the record.
    code, output, _ = _verify(s3_server.url, url, tmp_path / "v2", "--append")
    assert code == 64 and "left by an offload stopped" in output, output
    admin(s3_server.url).delete_object(Bucket=bucket, Key="shoot/day2/.offload/lock")
    code, output, _ = _verify(s3_server.url, url, tmp_path / "v2", "--append")
    assert code == 64 and f"cannot append a generation to {url}: INCOMPLETE" in output, output

    code, output = _copy(s3_server.url, card, bucket, tmp_path / "r2")
    assert code == 0, output
    code, output, data = _verify(s3_server.url, url, tmp_path / "v3")
    assert code == 0 and data["passed"] is True, output
    assert "INCOMPLETE" not in output and data["unfinished_offload"] is None, output
    assert data["unfinished_offload_states"] == [], data


@pytest.mark.timeout(300)
def test_a_bucket_that_refuses_the_record_is_not_written_to(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """The record's PUT refused (403, the fault proxy; the lock object stored): that copy
    root is lost before its first upload, one line naming the record's URL, and nothing of
    the card is stored there (an earlier record there would stay true)."""
    card = make_card(tmp_path / "a", CARD).rename(tmp_path / "a" / "day2")
    proxy.intercept("PUT", "/.offload/last-run.json", status=403, count=1000)
    process = _offload_process(tmp_path / "r0", proxy.url, str(card), f"s3://{bucket}/shoot")
    out, err = process.communicate(timeout=300)
    assert process.returncode == 2, out + err  # its one destination lost
    record = f"s3://{bucket}/shoot/day2/.offload/last-run.json"
    said = f"cannot record this offload: cannot store {record} "
    assert said in out + err and "nothing was copied to s3://" in out + err, out + err
    listed = admin(s3_server.url).list_objects_v2(Bucket=bucket, Prefix="shoot/day2/A/")
    assert not listed.get("Contents")


@pytest.mark.timeout(300)
def test_a_record_unreadable_at_the_settle_is_left_not_replaced(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """Review of the runrec64 merge (MEDIUM): the record's GET failing as the run settled
    (503, the fault proxy, every retry) was taken for no record, and the store's If-Match
    was the ETag of this run's own store at its start: the record was replaced by this
    card's ``finished`` entry alone, another card's ``running`` entry dropped, and
    ``offload verify`` passed. Now a record that cannot be read is left as it is: this
    card's entry ``running`` (the conservative answer), the other card's kept, the check
    INCOMPLETE naming both. Failed before: exit 0."""
    card = make_card(tmp_path / "a", CARD).rename(tmp_path / "a" / "day2")
    code, output = _copy(s3_server.url, card, bucket, tmp_path / "r0")
    assert code == 0, output
    key = "shoot/day2/.offload/last-run.json"
    client = admin(s3_server.url)
    record = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    other = {"state": "running", "run": "b1", "started": "2026-12-01T10:00:00Z"}
    other |= {"card": "", "source": str(tmp_path / "b" / "day2")}
    record["cards"].append(other)
    client.put_object(Bucket=bucket, Key=key, Body=json.dumps(record).encode())
    (card / "ZZ").mkdir()
    (card / "ZZ" / "big.mov").write_bytes(b"\x01" * BIG)
    proxy.hold("PUT", "partNumber=2")
    process = _offload_process(tmp_path / "r1", proxy.url, str(card), f"s3://{bucket}/shoot")
    try:
        assert proxy.held.wait(120), "the run never uploaded the new clip"
        # Past its start (the record stored running): every read of it from now fails.
        proxy.intercept("GET", "/.offload/last-run.json", status=503, code="SlowDown", count=1000)
    finally:
        proxy.release()
    out, err = process.communicate(timeout=240)
    assert process.returncode is not None, out + err
    stored = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    states = {entry["source"]: entry["state"] for entry in stored["cards"]}
    assert states == {str(card): "running", other["source"]: "running"}, stored
    code, output, data = _verify(s3_server.url, f"s3://{bucket}/shoot/day2", tmp_path / "v1")
    assert code == 10 and data["passed"] is False, output
    (line,) = [line for line in output.splitlines() if "INCOMPLETE:" in line]
    assert str(card) in line and other["source"] in line, line


@pytest.mark.timeout(300)
def test_a_record_unreadable_at_the_start_loses_the_bucket_in_the_reads_words(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """Review of the runrec64 merge (LOW 4): the record's GET failing as the run started
    (503 to every try, the fault proxy) was taken for no record, its store then made only
    where there is none, refused 412 over the finished run's: the destination lost in the
    words of a precondition, not of the read that failed. Now lost in the read's words,
    nothing stored, the record as it was."""
    card = make_card(tmp_path / "a", CARD).rename(tmp_path / "a" / "day2")
    code, output = _copy(s3_server.url, card, bucket, tmp_path / "r0")
    assert code == 0, output
    key = "shoot/day2/.offload/last-run.json"
    before = admin(s3_server.url).get_object(Bucket=bucket, Key=key)["Body"].read()
    (card / "ZZ").mkdir()
    (card / "ZZ" / "new.mov").write_bytes(b"\x02" * 70_000)
    proxy.intercept("GET", "/.offload/last-run.json", status=503, code="SlowDown", count=1000)
    process = _offload_process(tmp_path / "r1", proxy.url, str(card), f"s3://{bucket}/shoot")
    out, err = process.communicate(timeout=240)
    assert process.returncode == 1, out + err  # its copies of the first files trusted
    record = f"s3://{bucket}/{key}"
    lines = [line for line in (out + err).splitlines() if "cannot record this offload" in line]
    assert lines, out + err
    for line in lines:
        assert f"cannot record this offload: cannot read {record}" in line, line
        # The words of the run alone, the names made at random for this test taken out: a
        # line held "412" where the fault proxy's port did (127.0.0.1:41200), as may the
        # bucket's name or, in the --json line, a time or a temporary path.
        for said in re.findall(r'cannot record this offload: (?:[^"\\]|\\.)*', line):
            words = said.replace(f"s3://{bucket}", "s3://BUCKET").replace(proxy.url, "ENDPOINT")
            assert "412" not in words and "Precondition" not in words, said
    listed = admin(s3_server.url).list_objects_v2(Bucket=bucket, Prefix="shoot/day2/ZZ/")
    assert not listed.get("Contents")
    assert admin(s3_server.url).get_object(Bucket=bucket, Key=key)["Body"].read() == before


@pytest.mark.timeout(300)
@pytest.mark.parametrize("refusals", [1, 1000])
def test_a_record_the_bucket_will_not_settle_is_said_and_keeps_the_card(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch, refusals
) -> None:
    """Final review L2 on S3: the record stored as the run started, then its store at the
    end (the PUT over it, If-Match) answered 503 SlowDown by the fault proxy. Once
    (*refusals* 1): botocore's standard retries ride it out, the record settles
    ``finished``, exit 0. Every time: the run said nothing and exited 0, the record
    ``running``, ``offload verify`` INCOMPLETE. Now one line names the record's URL and what
    to do (exit 1, in the JSON's ``folder_errors``, the card kept); the same command again,
    the bucket answering, copies nothing and settles it. Failed before: exit 0."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")  # the retries of a 503, kept short
    card = make_card(tmp_path / "a", CARD).rename(tmp_path / "a" / "day2")
    proxy.intercept(
        "PUT", "/.offload/last-run.json", header="if-match:", status=503, code="SlowDown",
        count=refusals,
    )  # fmt: skip
    code, output = _copy(proxy.url, card, bucket, tmp_path / "r0")
    key = "shoot/day2/.offload/last-run.json"
    client = admin(s3_server.url)
    stored = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    url = f"s3://{bucket}/shoot/day2"
    if refusals == 1:
        assert code == 0, output
        assert stored["state"] == "finished", stored
        return
    assert code == 1, output
    assert stored["state"] == "running", stored
    flat = " ".join(output.split())
    # The run named as the record names it (token, start): the verify's advice names it.
    this = f"(run {stored['run']}, started {stored['started'].replace('T', ' ').rstrip('Z')} UTC)"
    said = f"cannot record in {url}/.offload/last-run.json that this offload finished {this}: "
    assert said in flat and "keep the card" in flat, output
    (saved,) = sorted((tmp_path / "r0" / "reports").glob("*.json"))
    data = json.loads(saved.read_text())
    assert data["exit_code"] == 1, data
    assert any(said in " ".join(e.split()) for e in data["folder_errors"]), data
    assert data["totals"]["results"]["verified"] == len(CARD), data["totals"]
    code, output, verified = _verify(s3_server.url, url, tmp_path / "v1")
    assert code == 10 and "INCOMPLETE" in output, output
    assert f"only where the report of that offload {this[:-1]}) says" in " ".join(output.split())
    code, output = _copy(s3_server.url, card, bucket, tmp_path / "r1")
    assert code == 0, output
    stored = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert stored["state"] == "finished", stored
    code, output, verified = _verify(s3_server.url, url, tmp_path / "v2")
    assert code == 0 and verified["passed"] is True, output
