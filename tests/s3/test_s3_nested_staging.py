"""A replacement (``--overwrite``) is uploaded first to a staging key,
``shoot/.offload/staging/<hash of the final key>``: under the destination URL, outside every
copy root nested in it. Run B (a card named ``day2``, copy root ``shoot/day2``) replaces
``shoot/day2/BIG.mov`` and is held mid-upload by the fault proxy; run A, into the same URL
(``--into``: copy root ``shoot``), runs meanwhile. Real ``offload`` processes, the real S3
server.

Failed before: the live-lock checks (``may_take_over``, ``abort_abandoned``) ran on the
staging key, whose copy roots are ``shoot``, ``shoot/.offload``...: never B's lock on
``shoot/day2``, while A's own lock on ``shoot`` said "every other run is over". A took B's
live upload over (and, other bytes, aborted it; the same bytes, resumed it: two live runs on
one upload), or aborted it as abandoned; B then failed blaming the service. The checks now
run on the final key the upload record names, and a run that may not take a staging key over
uploads to a staging key of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from offload.manifest_options import ManifestOptions
from s3.conftest import admin
from s3.test_s3_cli import make_card
from s3.test_s3_faults import _offload_process, report_of, statuses
from s3.test_s3_nested_roots import BIG, _uploads

FINAL = "shoot/day2/BIG.mov"


def _start_b(s3_server, bucket: str, proxy, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run B: ``--overwrite`` of its card ``day2`` (BIG.mov) into ``s3://bucket/shoot``
    over an older ``shoot/day2/BIG.mov``, held by the proxy at part 2 of its staging
    upload. Returns its process, its card and the live upload's id."""
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key=FINAL, Body=b"old")
    # The older object is one an earlier offload revoked (its ledger's one line): a copy
    # root without a ledger line holding nothing of this card's would be refused whole
    # before the upload (copy-root-of-other-files, card_folder).
    client.put_object(
        Bucket=bucket,
        Key="shoot/day2/.offload/ledger/00000000000000000001-test0000-000000.jsonl",
        Body=b'{"relative_path": "BIG.mov", "state": "revoked"}\n',
    )
    card_b = make_card(tmp_path / "b", {"BIG.mov": BIG}).rename(tmp_path / "b" / "day2")
    proxy.hold("PUT", "partNumber=2")
    b = _offload_process(
        tmp_path / "rb",
        proxy.url,
        "--mhl",
        "none",
        "--overwrite",
        str(card_b),
        f"s3://{bucket}/shoot",
    )
    assert proxy.held.wait(120), "run B never uploaded its big file"
    ((live, key),) = _uploads(s3_server.url, bucket).items()
    assert key.startswith("shoot/.offload/staging/")  # staged: the case at hand
    return b, card_b, live


def _end(b, proxy) -> tuple[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    proxy.release()
    out_b, _err_b = b.communicate(timeout=120)
    return b.returncode, report_of(out_b)


@pytest.mark.parametrize("same_bytes", [False, True], ids=["other-bytes", "same-bytes"])
def test_a_run_into_the_outer_root_does_not_take_a_nested_runs_staging_upload_over(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, same_bytes
) -> None:
    b, card_b, live = _start_b(s3_server, bucket, proxy, tmp_path)
    try:
        card_a = make_card(tmp_path / "a", {"day2/BIG.mov": BIG, "n.txt": 10})
        if same_bytes:  # A's record would match B's: resumed, two live runs on one upload
            (card_a / "day2" / "BIG.mov").write_bytes((card_b / "BIG.mov").read_bytes())
        a = _offload_process(
            tmp_path / "ra",
            s3_server.url,
            "--mhl",
            "none",
            "--into",
            "--overwrite",
            str(card_a),
            f"s3://{bucket}/shoot",
        )
        out_a, _err_a = a.communicate(timeout=200)
        assert a.returncode == 0, out_a
        assert set(statuses(report_of(out_a), 0).values()) == {"verified"}
        assert live in _uploads(s3_server.url, bucket)  # B's upload neither resumed nor aborted
    finally:
        code_b, report_b = _end(b, proxy)
    assert code_b == 0, report_b
    assert statuses(report_b, 0) == {"BIG.mov": "verified"}
    # B replaced A's replacement last: --overwrite, each run's object whole.
    stored = admin(s3_server.url).get_object(Bucket=bucket, Key=FINAL)["Body"].read()
    assert stored == (card_b / "BIG.mov").read_bytes()
    assert _uploads(s3_server.url, bucket) == {}


def test_abandoned_uploads_clean_up_leaves_a_nested_runs_live_staging_upload(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    b, card_b, live = _start_b(s3_server, bucket, proxy, tmp_path)
    try:
        card_a = make_card(tmp_path / "a", {"other/C001.mov": 300_000})
        options = OffloadOptions(
            # 0: every record is old, so only the live lock of B keeps B's upload.
            s3=S3Settings(endpoint_url=s3_server.url, region="us-east-1", abandon_after_s=0.0),
            manifests=ManifestOptions(kinds=frozenset()),
            into=True,
        )
        report = offload(card_a, [f"s3://{bucket}/shoot"], options=options)
        assert report.exit_code == 0
        assert live in _uploads(s3_server.url, bucket)
    finally:
        code_b, report_b = _end(b, proxy)
    assert code_b == 0, report_b
    stored = admin(s3_server.url).get_object(Bucket=bucket, Key=FINAL)["Body"].read()
    assert stored == (card_b / "BIG.mov").read_bytes()


def test_an_upload_aborted_under_a_run_is_named_so_not_blamed_on_the_service(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """Aborted by something else (here the admin client, as a lifecycle rule or a careless
    run would): the part sent afterwards fails, and the error says the upload was removed,
    not that the service kept failing (a wrong lead: the endpoint, the network)."""
    b, _card_b, live = _start_b(s3_server, bucket, proxy, tmp_path)
    try:
        key = _uploads(s3_server.url, bucket)[live]
        admin(s3_server.url).abort_multipart_upload(Bucket=bucket, Key=key, UploadId=live)
    finally:
        code_b, report_b = _end(b, proxy)
    assert code_b != 0
    (entry,) = report_b["files"]
    (dest,) = entry["destinations"]
    assert dest["status"] == "failed"
    assert "the multipart upload was aborted or removed meanwhile (NoSuchUpload)" in dest["error"]
    assert "kept failing" not in dest["error"], dest["error"]
    # The old object is as it was: a replacement is copied over it only once verified.
    assert admin(s3_server.url).get_object(Bucket=bucket, Key=FINAL)["Body"].read() == b"old"
