"""The re-read after fusefat's renames revokes the ledger entry of each copy it found
damaged or did not read again (``renamed_recheck._revoke``): by the path the entry records,
the card file's, also for a ``--keep-both`` copy under a name of its own. A real ledger file
written and read back, the results and plan as the run makes them."""

from __future__ import annotations

import os
from pathlib import Path

from offload.ledger import Ledger, revoked_record, verified_entry
from offload.plan.destination import DestinationPlan
from offload.renamed_recheck import _revoke
from offload.results import DestinationFileResult, DestinationStatus

CARD = "vol|S1"


def test_a_kept_both_copy_is_revoked_by_the_path_its_entry_records(tmp_path: Path) -> None:
    """``CLIPS/b.mov`` kept beside another file as ``CLIPS/b (1).mov`` (its entry's
    ``final_name``), then not read again after the renames: its entry is revoked (and the
    revocation keeps it), so no run trusts the copy. Failed before: the revocation named
    ``CLIPS/b (1).mov``, a path no entry records, and ``CLIPS/b.mov``'s entry still vouched
    for the copy the re-read never read (a re-run: "verified earlier")."""
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
