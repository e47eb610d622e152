"""A cascade's fast copy in a bucket found gone at the cascade's end: what mends it is a plain
re-run with the card (nothing is there to replace), and every report says so, decided by the
copy's ``fast_failure`` (``results.FastCopyFailure``), never by its error's words (a real moto
server process, real boto3, the library's offload, the job report's JSON read back as the
documents read it)."""

from __future__ import annotations

import json

from offload.card import OffloadOptions, plan_offload, run_offload
from offload.destinations.s3config import S3Settings
from offload.events import CardReleased, Event
from offload.report import worker
from offload.report.clips import group_clips
from offload.report.content import build_view
from offload.report.job_report import job_report_dict
from offload.report.summary import verdict_lines
from offload.results import DestinationStatus, FastCopyFailure
from s3.conftest import admin
from s3.test_s3_cli import make_card

CARD = {f"CLIPS/A001C00{n}.mov": 3_000 + n for n in range(3)}
ANEW = "keep the card, and run the same command again with it to copy that copy anew"


def _cascade_words(report_lines: list[str]) -> str:
    """The cascade's sentence among the terminal's verdict lines."""
    said = [line for line in report_lines if "since then a copy there failed" in line]
    assert len(said) == 1, report_lines
    return " ".join(said[0].split())


def test_a_bucket_copy_deleted_before_the_cascades_end_is_copied_anew_never_overwritten(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, cards
) -> None:
    """RAID feeds the cascade to SHUTTLE; the bucket, a fast destination, verified in the
    card's pass. At the card's release one object is deleted: the cascade's end finds it
    gone and fails that copy as removed. The terminal's sentence, and the documents' from
    the JSON (whole, and as the report worker keeps its entries), say to run the same
    command again with the card to copy it anew. Failed before (MEDIUM): both said "re-run
    with it and --overwrite to replace that copy", nothing being there to replace, since
    the copy's error did not hold the words the headline was decided by."""
    card = make_card(cards, CARD)  # on another disk than RAID: the card is released
    raid, shuttle = tmp_path / "RAID", tmp_path / "SHUTTLE"
    raid.mkdir()
    shuttle.mkdir()
    client = admin(s3_server.url)
    deleted = "day1/A001/CLIPS/A001C001.mov"

    class DeleteAtRelease:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                client.delete_object(Bucket=bucket, Key=deleted)

    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    options = OffloadOptions(cascade=frozenset({2}), s3=settings)
    plan = plan_offload(card, [raid, f"s3://{bucket}/day1", shuttle], options)
    report = run_offload(plan, sink=DeleteAtRelease())
    assert report.exit_code == 1
    failed = {f.relative_path: f.destination(1) for f in report.job.files}
    gone = failed["CLIPS/A001C001.mov"]
    assert gone is not None and gone.status is DestinationStatus.FAILED, gone
    assert gone.fast_failure is FastCopyFailure.REMOVED, gone
    assert "found gone when the cascade checked the fast copies at its end" in (gone.error or "")
    assert "--overwrite" not in (gone.error or ""), gone.error
    said = _cascade_words(verdict_lines(report))
    assert ANEW in said and "--overwrite" not in said, said
    # The documents, from the JSON as written and read back, whole and as the worker
    # keeps each entry (its keys the documents read).
    data = json.loads(json.dumps(job_report_dict(report)))
    assert [
        copy["fast_failure"]
        for entry in data["files"]
        for copy in entry["destinations"]
        if copy["index"] == 1 and copy["status"] == "failed"
    ] == ["removed"]
    slim = dict(data, files=worker._kept(json.loads(json.dumps(data["files"])), {}))
    # The worker keeps the kinds (without them the documents fell back to the words).
    kept = [copy for entry in slim["files"] for copy in entry["destinations"]]
    assert all("fast_failure" in copy and "refusal" in copy for copy in kept), kept
    for read in (data, slim):
        view = build_view(read, group_clips(read["files"]), {}, [])
        cascading = [w for w in view.warnings if w.startswith("Cascading copy: ")]
        assert len(cascading) == 1, view.warnings
        words = " ".join(cascading[0].split())
        assert ANEW in words and "--overwrite" not in words, words
