"""The re-read after fusefat's renames revokes the ledger entry of each copy it found
damaged or did not read again (``renamed_recheck._revoke``): by the path the entry records,
the card file's, also for a ``--keep-both`` copy under a name of its own. A real ledger file
written and read back, the results and plan as the run makes them."""

from __future__ import annotations

import os
from pathlib import Path

from offload.ledger import Ledger, LedgerEntry, revoked_record, verified_entry
from offload.plan.destination import DestinationPlan
from offload.renamed_recheck import _revoke, recheck_after_renames
from offload.results import (
    DestinationFileResult,
    DestinationStatus,
    DestinationSummary,
    FileResult,
    JobReport,
)

CARD = "vol|S1"


def _recorded_kept_both_copy(tmp_path: Path) -> tuple[Path, Ledger, LedgerEntry]:
    """A copy root ``tmp_path/dest/S1`` holding ``CLIPS/b.mov``'s copy kept beside another
    file as ``CLIPS/b (1).mov`` (10 bytes), and its ledger recording it verified under the
    card file's path: the root, the ledger and that entry."""
    root = tmp_path / "dest" / "S1"
    (root / "CLIPS").mkdir(parents=True)
    (root / "CLIPS" / "b (1).mov").write_bytes(b"0123456789")
    os.utime(root / "CLIPS" / "b (1).mov", ns=(20_000_000_000, 20_000_000_000))
    entry = verified_entry(
        "CLIPS/b.mov", size_bytes=10, mtime_ns=20_000_000_000, digests={"xxh64": "ab"},
        partial_name="", final_name="b (1).mov", verify="full", recorded_at=1.0, card=CARD,
    )  # fmt: skip
    ledger = Ledger(root, card=CARD)
    ledger.append([entry])
    return root, ledger, entry


def test_a_kept_both_copy_is_revoked_by_the_path_its_entry_records(tmp_path: Path) -> None:
    """``CLIPS/b.mov`` kept beside another file as ``CLIPS/b (1).mov`` (its entry's
    ``final_name``), then not read again after the renames: its entry is revoked (and the
    revocation keeps it), so no run trusts the copy. Failed before: the revocation named
    ``CLIPS/b (1).mov``, a path no entry records, and ``CLIPS/b.mov``'s entry still vouched
    for the copy the re-read never read (a re-run: "verified earlier")."""
    root, ledger, entry = _recorded_kept_both_copy(tmp_path)
    plan = DestinationPlan(0, tmp_path / "dest", root, creates_root=True)
    result = DestinationFileResult(
        0, str(root / "CLIPS" / "b (1).mov"), DestinationStatus.CANCELLED
    )

    _revoke([(result, "CLIPS/b.mov")], plan, [ledger])

    latest = ledger.load()
    assert set(latest) == {"CLIPS/b.mov"}, latest
    assert (
        latest["CLIPS/b.mov"].state == "revoked" and revoked_record(latest["CLIPS/b.mov"]) == entry
    )
    assert result.error is None


def _kept_both_copy(tmp_path: Path) -> tuple[Path, Ledger, LedgerEntry, JobReport]:
    """A copy root on "fusefat" (as *fstypes* says) holding ``CLIPS/b.mov``'s copy kept
    beside another file as ``CLIPS/b (1).mov``, recorded verified, and the job that
    verified it now, its in-flight digest no longer the copy's (a copy fusefat damaged)."""
    root, ledger, entry = _recorded_kept_both_copy(tmp_path)
    copy = DestinationFileResult(
        0, str(root / "CLIPS" / "b (1).mov"), DestinationStatus.VERIFIED, bytes_written=10
    )
    file = FileResult(
        "CLIPS/b.mov", 10, 20_000_000_000,
        inflight_digests={"xxh64": "ab"}, destinations=[copy],
    )  # fmt: skip
    job = JobReport(
        verify="full",
        algorithms=("xxh64",),
        files=[file],
        destinations=[DestinationSummary(0, str(root), "")],
    )
    return root, ledger, entry, job


def test_the_re_read_revokes_a_damaged_kept_both_copy_by_its_card_files_path(
    tmp_path: Path,
) -> None:
    """``recheck_after_renames`` itself (not ``_revoke`` called by hand): the copy read
    again and found unlike its in-flight digest is failed and revoked by the path its entry
    records (``file.relative_path``, ``CLIPS/b.mov``), never by its own name."""
    root, ledger, entry, job = _kept_both_copy(tmp_path)
    plan = DestinationPlan(0, tmp_path / "dest", root, creates_root=True)

    outcome = recheck_after_renames(job, [plan], [ledger], {0: [(str(root), "fuse.fusefat")]})

    assert [r.relative_path for r in outcome.failed] == ["CLIPS/b.mov"], outcome
    assert job.files[0].destinations[0].status is DestinationStatus.FAILED
    latest = ledger.load()
    assert set(latest) == {"CLIPS/b.mov"}, latest
    assert latest["CLIPS/b.mov"].state == "revoked", latest
    assert revoked_record(latest["CLIPS/b.mov"]) == entry


def test_the_cancelled_re_read_revokes_a_kept_both_copy_by_its_card_files_path(
    tmp_path: Path,
) -> None:
    """The same copy, the re-read cancelled before it: cancelled, and revoked by
    ``CLIPS/b.mov`` (one write with the others not re-checked)."""
    root, ledger, entry, job = _kept_both_copy(tmp_path)
    plan = DestinationPlan(0, tmp_path / "dest", root, creates_root=True)

    outcome = recheck_after_renames(
        job, [plan], [ledger], {0: [(str(root), "fuse.fusefat")]}, cancelled=lambda: True
    )

    assert outcome.cancelled and [n[2] for n in outcome.not_rechecked] == ["CLIPS/b.mov"]
    assert job.files[0].destinations[0].status is DestinationStatus.CANCELLED
    latest = ledger.load()
    assert set(latest) == {"CLIPS/b.mov"}, latest
    assert latest["CLIPS/b.mov"].state == "revoked", latest
    assert revoked_record(latest["CLIPS/b.mov"]) == entry
