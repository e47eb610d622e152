"""Credentials that may store objects under the copy root but not read them (a bucket policy
denying s3:GetObject on ``day1/A001/*``, evaluated by the server itself: moto with its IAM
checks on; the preflight's probe, one level up under ``day1/.offload/probe/``, reads its
object back and passes): the run reads back the lock it has just stored there (one GET),
and its refusal loses that destination at once, in one line naming the copy root,
s3:GetObject and what to do, before any file is sent; the local destination beside it is
verified, exit 1 (docs/s3.md). A denial of only some keys below still fails those files
one by one, at their read-back, the destination kept.

The requests are counted by the fault proxy in front of the server (it only forwards here).

Failed before: in ``full``/``destination`` mode every clip was uploaded, its read-back
refused, its object deleted, one ERROR line a clip; in ``transfer`` mode every clip was
uploaded, then the manifest step's read of the lock was refused ("manifest not written ...
once that is mended"), the ledger left unreadable to the next run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3 import test_s3_lock_scope_iam
from s3.conftest import admin
from s3.test_s3_cli import make_card, offload
from support.tcpproxy import FaultProxy

iam_server = test_s3_lock_scope_iam.iam_server
as_dit = test_s3_lock_scope_iam.as_dit

CLIPS = {f"CLIPS/A001C{n:03}.mov": 3000 + n for n in range(1, 6)}


@pytest.fixture
def iam_proxy(as_dit) -> Iterator[FaultProxy]:  # type: ignore[no-untyped-def]
    server, _bucket, _dit = as_dit
    proxy = FaultProxy(server.port)
    try:
        yield proxy
    finally:
        proxy.close()


def _deny_get(server_url: str, bucket: str, *resources: str) -> None:
    """A bucket policy denying s3:GetObject on *resources* (keys, ``*`` patterns) to all
    (set with the environment's credentials, dit's)."""
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": [f"arn:aws:s3:::{bucket}/{key}" for key in resources],
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    admin(server_url).put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def _run(tmp_path: Path, proxy: FaultProxy, bucket: str, *args: str) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    """``offload copy`` of a card of CLIPS to a local folder and ``s3://bucket/day1``
    through *proxy*: its exit code, stderr and JSON report."""
    card = make_card(tmp_path, CLIPS)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    code, out, err = offload(
        tmp_path, "--s3-endpoint", proxy.url, *args, str(card), str(local), url
    )
    (report,) = (tmp_path / "reports").glob("*.json")
    return code, out + err, json.loads(report.read_text())


def _status(report: dict, index: int) -> dict[str, str]:  # type: ignore[type-arg]
    return {
        f["path"]: d["status"]
        for f in report["files"]
        for d in f["destinations"]
        if d["index"] == index
    }


def _destinations(tmp_path: Path, bucket: str, only: bool) -> tuple[Path, str, list[str]]:
    """A local folder (*tmp_path*/local, made) and ``s3://bucket/day1``: the folder, that
    URL and a run's destinations (the URL alone when *only*, else the folder first)."""
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    return local, url, [url] if only else [str(local), url]


def _dry_run_losing_the_bucket(
    tmp_path: Path, proxy: FaultProxy, card: Path, bucket: str, only: bool
) -> tuple[Path, str, dict[str, Any]]:
    """``offload copy --dry-run`` of *card* through *proxy* to ``_destinations``, then the
    same with ``--json``: each must say the run would lose one destination its credentials
    may not read, exit 1 (2 where the bucket is the *only* destination). The local folder,
    the run's one stderr line naming s3:GetObject and its ``s3-copy-root-unreadable`` JSON
    warning, for the test to check what they name."""
    local, _url, dests = _destinations(tmp_path, bucket, only)
    args = ["--s3-endpoint", proxy.url, "--dry-run", str(card), *dests]
    code, _out, err = offload(tmp_path, *args)
    assert code == (2 if only else 1), err
    (line,) = [e for e in err.splitlines() if "s3:GetObject" in e]
    assert "the run would lose this destination, nothing copied there: allow s3:GetObject" in line
    why = "1 destination would be lost: its credentials may not read what they would store there"
    assert err.rstrip().endswith(why + (", none copied or verified" if only else "")), err
    code, out, _err = offload(tmp_path, *args, "--json")
    shown = json.loads(out)
    assert shown["exit_code"] == code == (2 if only else 1), shown
    (warning,) = [w for w in shown["warnings"] if w["code"] == "s3-copy-root-unreadable"]
    return local, line, warning


@pytest.mark.parametrize("mode", ["full", "destination", "transfer"])
def test_a_copy_root_the_credentials_may_not_read_is_lost_before_its_first_clip(  # type: ignore[no-untyped-def]
    as_dit, iam_proxy, tmp_path, mode: str
) -> None:
    server, bucket, _dit = as_dit
    _deny_get(server.url, bucket, "day1/A001/*")
    code, said, report = _run(tmp_path, iam_proxy, bucket, "--verify", mode)
    assert code == 1, said  # ExitCode.PARTIAL: a destination lost, the other verified
    local = "transfer_checked" if mode == "transfer" else "verified"
    assert set(_status(report, 0).values()) == {local}, report["files"]
    assert set(_status(report, 1).values()) == {"failed"}, report["files"]
    # Nothing of the card sent: the lock's PUT and GET (and its release), no clip.
    sent = list(zip(iam_proxy.stats.methods, iam_proxy.targets, strict=True))
    assert not [t for m, t in sent if "/CLIPS/" in t], sent
    assert not [t for m, t in sent if m == "PUT" and "/day1/A001/" in t and "lock" not in t]
    errors = [line for line in said.splitlines() if line.startswith("ERROR: ")]
    (line,) = [line for line in errors if "s3:GetObject" in line]
    assert line.startswith(f"ERROR: destination s3://{bucket}/day1 lost: "), line
    assert (
        f"cannot read what it stores under copy root s3://{bucket}/day1/A001: cannot read the "
        f"lock s3://{bucket}/day1/A001/.offload/lock ("
    ) in line, line
    assert "may store objects there but not read them (s3:GetObject, or the KMS key" in line, line
    assert line.endswith(
        f"nothing was copied there: allow s3:GetObject on s3://{bucket}/day1/A001/ (docs/s3.md, "
        "Permissions) or use credentials that may, then run the same command again)"
    ), line
    assert f"... and {len(CLIPS) - 1} more files on s3://{bucket}/day1 failed: same cause" in said
    (lost,) = [d for d in report["destinations"] if d["lost"]]
    assert lost["index"] == 1 and "s3:GetObject" in lost["lost_reason"], lost
    # The lock released, no report: nothing of this run under the copy root.
    assert "Contents" not in admin(server.url).list_objects_v2(Bucket=bucket, Prefix="day1/")
    assert not admin(server.url).list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_a_read_denied_on_some_keys_below_still_fails_those_files_alone(  # type: ignore[no-untyped-def]
    as_dit, iam_proxy, tmp_path
) -> None:
    """GetObject denied on one clip's key only: the lock reads, the destination is kept;
    that clip fails at its read-back in its own words (its upload deleted), the others are
    verified there."""
    server, bucket, _dit = as_dit
    _deny_get(server.url, bucket, "day1/A001/CLIPS/A001C002.mov")
    code, said, report = _run(tmp_path, iam_proxy, bucket)
    assert code == 1, said
    on_s3 = _status(report, 1)
    assert on_s3.pop("CLIPS/A001C002.mov") == "failed", report["files"]
    assert set(on_s3.values()) == {"verified"}, report["files"]
    assert not any(d["lost"] for d in report["destinations"]), report["destinations"]
    (line,) = [e for e in said.splitlines() if e.startswith("ERROR: ") and "s3:GetObject" in e]
    assert "cannot read back s3://" in line and "A001C002.mov" in line, line
    assert "this upload is deleted, as any copy not verified is" in line, line


@pytest.mark.parametrize("only", [False, True], ids=["beside-a-drive", "only-destination"])
def test_the_dry_run_says_the_run_would_lose_a_copy_root_it_may_not_read(  # type: ignore[no-untyped-def]
    as_dit, iam_proxy, tmp_path, only: bool
) -> None:
    """``--dry-run`` reads the copy root's lock (a live one refuses, as the run's
    ``acquire``): denied (an explicit deny answers 403 for a missing key too), it says the
    run would lose that destination, in the run's words, exit 1 (2 where it is the only
    one), never "would copy", exit 0. Failed before: the refusal dropped, exit 0."""
    server, bucket, _dit = as_dit
    _deny_get(server.url, bucket, "day1/A001/*")
    card = make_card(tmp_path, CLIPS)
    _local, line, warning = _dry_run_losing_the_bucket(tmp_path, iam_proxy, card, bucket, only)
    assert line.startswith(
        f"WARNING: cannot read what it would store under copy root s3://{bucket}/day1/A001: "
        f"cannot read the lock s3://{bucket}/day1/A001/.offload/lock ("
    ), line
    assert "(s3:GetObject, or the KMS key they are encrypted with)" in line, line
    assert warning["path"] is None and f"s3://{bucket}/day1/A001:" in warning["message"]
    assert "Contents" not in admin(server.url).list_objects_v2(Bucket=bucket, Prefix="day1/")
