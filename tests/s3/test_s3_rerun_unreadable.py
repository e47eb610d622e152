"""A re-run into a copy root whose credentials may no longer read what is stored there (a
bucket policy denying s3:GetObject on ``day1/A001/*``, added after a first offload and
evaluated by moto's server itself): the plan's read of the copy root's ledger is refused.
That S3 destination alone is lost, before anything is stored there (no lock, no clip), in
one line naming the copy root, the ledger object refused, s3:GetObject and what to do, as
a first run's read-back of its lock loses it (``test_s3_copy_root_unreadable``); a local
destination on the same command line is copied and verified, exit 1 (2 where the bucket is
the only destination). The dry run says the same, exit 1 / 2 (docs/s3.md, Permissions).

Failed before: the whole run was refused at its plan ("cannot read the ledger ...; nothing
was copied", exit 64), the local destination not copied either; the dry run too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s3 import test_s3_copy_root_unreadable
from s3.conftest import admin
from s3.test_s3_cli import make_card, offload
from s3.test_s3_copy_root_unreadable import (
    CLIPS,
    _deny_get,
    _destinations,
    _dry_run_losing_the_bucket,
    _status,
)

iam_server = test_s3_copy_root_unreadable.iam_server
as_dit = test_s3_copy_root_unreadable.as_dit
iam_proxy = test_s3_copy_root_unreadable.iam_proxy


def _first_then_denied(tmp_path: Path, proxy_url: str, server_url: str, bucket: str) -> Path:
    """The card offloaded once to ``s3://bucket/day1`` (verified), then GetObject denied
    under its copy root: the card."""
    card = make_card(tmp_path, CLIPS)
    (tmp_path / "first").mkdir()
    code, _out, err = offload(
        tmp_path / "first", "--s3-endpoint", proxy_url, str(card), f"s3://{bucket}/day1"
    )
    assert code == 0, err
    _deny_get(server_url, bucket, "day1/A001/*")
    return card


@pytest.mark.parametrize("only", [False, True], ids=["beside-a-drive", "only-destination"])
def test_a_rerun_whose_ledger_may_not_be_read_loses_that_bucket_alone(  # type: ignore[no-untyped-def]
    as_dit, iam_proxy, tmp_path, only: bool
) -> None:
    server, bucket, _dit = as_dit
    card = _first_then_denied(tmp_path, iam_proxy.url, server.url, bucket)
    stored = {
        o["Key"]: o["ETag"] for o in admin(server.url).list_objects_v2(Bucket=bucket)["Contents"]
    }
    local, url, dests = _destinations(tmp_path, bucket, only)
    iam_proxy.stats.methods.clear()
    iam_proxy.targets.clear()
    code, out, err = offload(tmp_path, "--s3-endpoint", iam_proxy.url, str(card), *dests)
    said = out + err
    assert code == (2 if only else 1), said
    (report_file,) = (tmp_path / "reports").glob("*.json")
    report = json.loads(report_file.read_text())
    s3_index = 0 if only else 1
    if not only:
        assert set(_status(report, 0).values()) == {"verified"}, report["files"]
        assert sorted(p.name for p in (local / "A001" / "CLIPS").iterdir()) == sorted(
            Path(p).name for p in CLIPS
        )
    assert set(_status(report, s3_index).values()) == {"failed"}, report["files"]
    (lost,) = [d for d in report["destinations"] if d["lost"]]
    assert lost["index"] == s3_index and "s3:GetObject" in lost["lost_reason"], lost
    (line,) = [e for e in said.splitlines() if e.startswith("ERROR: ") and "s3:GetObject" in e]
    assert line.startswith(f"ERROR: destination {url} lost: "), line
    assert (
        f"cannot read what an earlier offload stored under copy root {url}/A001: cannot "
        f"read {url}/A001/.offload/ledger/"
    ) in line, line
    assert "the ledger an earlier offload stored there" in line, line
    # Nothing stored by this run: whether these credentials may store there is not known
    # (failed before: "may store objects there but not read them").
    assert "may not read what an earlier offload stored there (s3:GetObject, or the KMS" in line
    assert "may store" not in line, line
    assert f"nothing was copied there: allow s3:GetObject on {url}/A001/ (docs/s3.md" in line
    assert "UNREADABLE" not in said and "already there but unreadable" not in said, said
    # Nothing stored, read or written over there: no lock, no clip, no object changed.
    sent = list(zip(iam_proxy.stats.methods, iam_proxy.targets, strict=True))
    assert not [t for m, t in sent if m in ("PUT", "POST") and "/day1/A001/" in t], sent
    assert not [t for m, t in sent if m == "GET" and "/CLIPS/" in t], sent
    now = {
        o["Key"]: o["ETag"] for o in admin(server.url).list_objects_v2(Bucket=bucket)["Contents"]
    }
    assert now == stored


@pytest.mark.parametrize("only", [False, True], ids=["beside-a-drive", "only-destination"])
def test_the_dry_run_of_that_rerun_says_the_bucket_would_be_lost(  # type: ignore[no-untyped-def]
    as_dit, iam_proxy, tmp_path, only: bool
) -> None:
    server, bucket, _dit = as_dit
    card = _first_then_denied(tmp_path, iam_proxy.url, server.url, bucket)
    local, line, warning = _dry_run_losing_the_bucket(tmp_path, iam_proxy, card, bucket, only)
    url = f"s3://{bucket}/day1"
    assert line.startswith(
        f"WARNING: cannot read what it would store under copy root {url}/A001: cannot read "
        f"{url}/A001/.offload/ledger/"
    ), line
    assert f"{url}/A001:" in warning["message"], warning
    assert not list(local.iterdir())
