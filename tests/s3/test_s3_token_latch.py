"""A session token refused mid-run (``400 ExpiredToken`` to a clip's PutObject): after the
first refusal nothing more is sent to that destination (``s3token_latch``): the files queued
behind it fail in the same words without a request, the lock is left (named in
``left_behind``), the other destination goes on, and the run with new credentials copies
exactly the files the JSON names as not copied there.

A real server behind the fault proxy (``intercept``: every PUT of a clip answered 400
ExpiredToken; the proxy's list of the requests it saw), the real CLI in this process; the
run resumed straight at the server (new credentials: the refusals gone).

Failed before: each of the 8 clips was PUT (each refused), then the lock refreshed and
deleted: 10 requests after the first refusal."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

from offload.destinations.s3config import S3Settings
from s3.test_s3_cli import card_local_url, offload
from s3.test_s3_faults import report_of, statuses

FIRST = {f"CLIPS/A001C{n:03}.mov": 100_000 for n in range(1, 5)}
LATER = [f"CLIPS/A001C{n:03}.mov" for n in range(5, 13)]


def test_no_request_after_the_token_is_refused_and_the_resume_copies_the_rest(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    card, local, url = card_local_url(tmp_path, bucket, FIRST)
    code, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), str(local), url)
    assert code == 0, out + err
    for relative in LATER:  # shot since: what this run copies
        (card / relative).write_bytes(os.urandom(100_000))
    proxy.intercept("PUT", "/day1/A001/CLIPS/", status=400, code="ExpiredToken", count=1000)
    seen = len(proxy.targets)
    code, out, err = offload(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    assert code == 1, out + err
    sent = list(zip(proxy.stats.methods[seen:], proxy.targets[seen:], strict=True))
    first = next(i for i, (m, t) in enumerate(sent) if m == "PUT" and "/CLIPS/" in t)
    after = sent[first:]
    # Those already in the upload threads when the first answer came, and nothing else.
    assert all(m == "PUT" and "/CLIPS/" in t for m, t in after), after
    assert len(after) <= S3Settings().parallel_parts < len(LATER), after
    report = report_of(out)
    on_s3 = statuses(report, 1)
    assert {p for p, s in on_s3.items() if s == "failed"} == set(LATER), on_s3
    assert all(statuses(report, 0)[p] != "failed" for p in LATER)
    errors = [f["destinations"][1]["error"] for f in report["files"] if f["path"] in LATER]
    assert all("ExpiredToken" in e and "run the same command again" in e for e in errors)
    assert "day1/A001/.offload/lock" in [o["key"] for o in report["left_behind"]["objects"]]

    code, out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), str(local), url
    )
    assert code == 0, out + err
    report = report_of(out)
    copied = {f["path"] for f in report["files"] if f["destinations"][1]["status"] == "verified"}
    assert copied == set(LATER), report["files"]


def test_a_token_refused_to_the_lock_loses_the_destination_at_once(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    """The copy root's lock, the run's first write under it, refused ``400 ExpiredToken``
    (a token expired between the preflight and the lock): the destination is lost there, in
    the latch's words (the lock named, new temporary credentials, run again), no request
    more is sent to it, and no warning says the copy root was left unlocked (nothing is
    copied there to lock it for); the local destination is verified.

    Failed before: "WARNING: cannot lock copy root ...; another offload into it would not
    be stopped", then the destination lost at its first clip's flush ("cannot flush
    .../A001C001.mov ...")."""
    card, local, url = card_local_url(tmp_path, bucket, FIRST)
    proxy.intercept("PUT", "/day1/A001/.offload/lock", status=400, code="ExpiredToken", count=5)
    code, out, err = offload(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    assert code == 1, out + err
    sent = list(zip(proxy.stats.methods, proxy.targets, strict=True))
    assert sent[-1][0] == "PUT" and sent[-1][1].endswith("/day1/A001/.offload/lock"), sent
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    warned = [e["message"] for e in events if e["event"] == "warning_issued"]
    assert not [w for w in warned if "cannot lock copy root" in w], warned
    (lost,) = [e for e in events if e["event"] == "destination_lost"]
    assert lost["destination_index"] == 1 and lost["errno"] == errno.EKEYEXPIRED, lost
    assert lost["message"].startswith(
        f"cannot lock copy root {url}/A001: cannot store {url}/A001/.offload/lock ("
    ), lost
    assert "ExpiredToken: the session token" in lost["message"], lost
    assert lost["message"].endswith("then run the same command again to resume"), lost
    report = report_of(out)
    assert set(statuses(report, 0).values()) == {"verified"}, report["files"]
    assert set(statuses(report, 1).values()) == {"failed"}, report["files"]


def test_one_file_to_s3_sends_nothing_more_after_the_token_is_refused(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    """The one-file copy (``copy_with_multiple_destinations``, ``pfndispatchcopy``): every
    part of a 7-part upload answered ``400 ExpiredToken``. Once the first refusal came,
    only the parts already on their way reach the service: no part more, no abort, no
    clean-up (each would be refused the same); the file fails there in the token's words.

    Failed before: the one-file path did not use the latch: every part was PUT (each
    refused), then the abort and the upload record's delete."""
    from offload.api import copy_with_multiple_destinations
    from s3.conftest import FAST

    source = tmp_path / "A001C001.mov"
    source.write_bytes(os.urandom(6 * FAST["part_size"] + 5))  # type: ignore[operator]
    proxy.intercept("PUT", "partNumber=", status=400, code="ExpiredToken", count=100)
    report = copy_with_multiple_destinations(
        source,
        [f"s3://{bucket}/day1/"],
        s3=S3Settings(endpoint_url=proxy.url, region="us-east-1", **FAST),  # type: ignore[arg-type]
    )
    (copy,) = report.files[0].destinations
    assert copy.status.value == "failed", copy
    assert copy.error is not None and "ExpiredToken" in copy.error, copy.error
    assert "get new temporary credentials" in copy.error, copy.error
    sent = list(zip(proxy.stats.methods, proxy.targets, strict=True))
    first = next(i for i, (m, t) in enumerate(sent) if m == "PUT" and "partNumber=" in t)
    after = sent[first:]
    assert all(m == "PUT" and "partNumber=" in t for m, t in after), after
    assert len(after) <= FAST["parallel_parts"], after  # those in flight, then none


def test_a_token_refused_to_the_lock_of_a_rerun_with_nothing_to_copy_loses_the_destination(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    """A full re-run (every copy trusted from the ledgers: nothing to copy) whose lock PUT
    is answered ``400 ExpiredToken``: the destination is lost before the job, in the
    token's words (``destination_lost``), its manifest and report steps skipped as any lost
    destination's, exit 1, the local destination's copies still verified earlier.

    Failed before: no ``destination_lost`` (the loss surfaced only at a file's upload, and
    there was none), then the manifest step's "cannot list ... ExpiredToken", exit 1 for
    that alone."""
    card, local, url = card_local_url(tmp_path, bucket, FIRST)
    code, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), str(local), url)
    assert code == 0, out + err
    proxy.intercept("PUT", "/day1/A001/.offload/lock", status=400, code="ExpiredToken", count=5)
    seen = len(proxy.targets)
    code, out, err = offload(
        tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), str(local), url
    )
    assert code == 1, out + err
    sent = list(zip(proxy.stats.methods[seen:], proxy.targets[seen:], strict=True))
    assert sent[-1][0] == "PUT" and sent[-1][1].endswith("/day1/A001/.offload/lock"), sent
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    (lost,) = [e for e in events if e["event"] == "destination_lost"]
    assert lost["destination_index"] == 1 and lost["errno"] == errno.EKEYEXPIRED, lost
    assert lost["message"].startswith(f"cannot lock copy root {url}/A001: "), lost
    warned = [e["message"] for e in events if e["event"] == "warning_issued"]
    assert not [w for w in warned if "cannot list" in w or "MANIFEST" in w], warned
    report = report_of(out)
    assert set(statuses(report, 0).values()) == {"verified_earlier"}, report["files"]
    (on_s3,) = [d for d in report["destinations"] if d["index"] == 1]
    assert on_s3["lost"] and "ExpiredToken" in on_s3["lost_reason"], on_s3
    assert "cannot list" not in err and "NO MANIFEST" not in err, err
    names = [e["event"] for e in events]
    assert names.index("destination_lost") < names.index("offload_finishing"), names
