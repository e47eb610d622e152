"""Two offloads at once into S3 copy roots one inside the other, in one store (the same
destination URL: run A ``--into`` it, copy root ``shoot``; run B a card named ``day2`` into
it, copy root ``shoot/day2``): both keep their upload records under ``shoot/.offload/uploads/``.
A real ``offload`` process held mid-upload by the fault proxy, the real S3 server.

Failed before: B's clean-up of abandoned uploads (``abort_abandoned``) aborted A's live
multipart upload once its record was older than ``abandon_after_s`` (a run of more than a day
on a slow uplink; 0 here, so that every record is old), and A then failed. A's record is now
kept while a live lock at or above its key (A's, on ``shoot``) names A's run."""

from __future__ import annotations

from pathlib import Path

from offload.card import OffloadOptions, offload
from offload.destinations.s3config import S3Settings
from offload.manifest_options import ManifestOptions
from s3.conftest import admin
from s3.test_s3_cli import make_card
from s3.test_s3_faults import _offload_process, report_of, statuses

MiB = 1024 * 1024
BIG = 40 * MiB + 3  # 6 parts: the proxy holds part 2


def _uploads(endpoint: str, bucket: str) -> dict[str, str]:
    listed = admin(endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return {u["UploadId"]: u["Key"] for u in listed}


def _b_while_a_is_held(
    s3_server, bucket: str, proxy, tmp_path: Path, card_b: Path, **settings: object
):  # type: ignore[no-untyped-def]
    """Run A (``--into`` ``s3://bucket/shoot``, its card ``day2/BIG.mov`` and ``notes.txt``)
    held mid-upload of its big file by the proxy; meanwhile run B (*card_b*, named ``day2``,
    into the same URL, S3Settings *settings*) in this process. Returns B's report, the live
    upload's id, the uploads once B ended, A's process (ended) and its stdout, and A's card."""
    card_a = make_card(tmp_path / "a", {"day2/BIG.mov": BIG, "notes.txt": 500})
    url = f"s3://{bucket}/shoot"
    proxy.hold("PUT", "partNumber=2")  # run A stays live mid-upload of its big file
    # Nested ASC MHL histories are refused (each copy root's ascmhl/ inside the other's): not
    # what these tests are about, so neither run writes one.
    first = _offload_process(
        tmp_path / "ra", proxy.url, "--mhl", "none", "--into", str(card_a), url
    )
    try:
        assert proxy.held.wait(120), "run A never uploaded its big file"
        (live_upload,) = _uploads(s3_server.url, bucket)
        options = OffloadOptions(
            s3=S3Settings(endpoint_url=s3_server.url, region="us-east-1", **settings),  # type: ignore[arg-type]
            manifests=ManifestOptions(kinds=frozenset()),
        )
        report = offload(card_b, [url], options=options)
        after = _uploads(s3_server.url, bucket)
    finally:
        proxy.release()
        out_a, _err_a = first.communicate(timeout=120)
    return report, live_upload, after, first, out_a, card_a


def test_a_run_into_a_nested_copy_root_leaves_a_live_runs_old_upload_alone(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    card_b = make_card(tmp_path / "b", {"C001.mov": 300_000}).rename(tmp_path / "b" / "day2")
    report, live_upload, after, first, out_a, card_a = _b_while_a_is_held(
        s3_server, bucket, proxy, tmp_path, card_b, abandon_after_s=0.0
    )
    assert report.exit_code == 0
    assert after.get(live_upload) == "shoot/day2/BIG.mov"  # not aborted
    assert first.returncode == 0, out_a
    assert set(statuses(report_of(out_a), 0).values()) == {"verified"}
    stored = admin(s3_server.url).get_object(Bucket=bucket, Key="shoot/day2/BIG.mov")
    assert stored["Body"].read() == (card_a / "day2" / "BIG.mov").read_bytes()
    assert _uploads(s3_server.url, bucket) == {}


def test_a_run_holding_a_nested_copy_root_does_not_take_over_a_live_upload_under_it(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """Both runs write the key ``shoot/day2/BIG.mov`` (A's ``day2/BIG.mov``, B's ``BIG.mov``,
    another size). B holds the lock of ``shoot/day2``, the copy root that key lies in, which
    said "every other run into it is over": it took A's live record over and, the sizes
    differing, aborted A's upload. Now A's lock, live and naming A's run, keeps B off it: B
    uploads its own (not resumable), completes first, and A finds the key taken
    (If-None-Match) and fails; the object is B's whole upload."""
    card_b = make_card(tmp_path / "b", {"BIG.mov": 12 * MiB + 5}).rename(tmp_path / "b" / "day2")
    report, live_upload, after, first, out_a, _card_a = _b_while_a_is_held(
        s3_server, bucket, proxy, tmp_path, card_b
    )
    assert report.exit_code == 0
    assert after.get(live_upload) == "shoot/day2/BIG.mov"  # neither resumed nor aborted
    assert first.returncode == 1, out_a
    files = {f["path"]: f["destinations"][0] for f in report_of(out_a)["files"]}
    assert files["notes.txt"]["status"] == "verified"
    assert files["day2/BIG.mov"]["status"] == "failed"
    assert "the key exists already" in files["day2/BIG.mov"]["error"], files["day2/BIG.mov"]
    stored = admin(s3_server.url).get_object(Bucket=bucket, Key="shoot/day2/BIG.mov")
    assert stored["Body"].read() == (card_b / "BIG.mov").read_bytes()
