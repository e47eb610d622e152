"""``offload verify``'s reason for a file new to its records whose ledger revocation kept
the entry it ended (``verification_reason.REVOKED_COPY_KEPT``): what replaces it, with a
real ledger written and read back."""

from __future__ import annotations

import os
from pathlib import Path

from offload.ledger import Ledger, verified_entry
from offload.manifest.verify import ReferenceKind, VerifyReport
from offload.verification_reason import with_reasons

CLIP = "CLIPS/C001.MOV"


def test_a_kept_revocation_names_reverify_only_for_the_same_card_else_overwrite(
    tmp_path: Path,
) -> None:
    """--reverify takes such a copy up only when ``Ledger.found_wrong_copy`` holds (the
    same card, its file as recorded); any other run needs --overwrite. Failed before: the
    reason said "--reverify (or --overwrite) replaces it" whatever the card offloaded."""
    root = tmp_path / "A001"
    (root / "CLIPS").mkdir(parents=True)
    (root / CLIP).write_bytes(b"0123456789")
    os.utime(root / CLIP, ns=(20_000_000_000, 20_000_000_000))
    entry = verified_entry(
        CLIP, size_bytes=10, mtime_ns=20_000_000_000, digests={"xxh64": "ab"}, partial_name="",
        final_name="", verify="full", recorded_at=1.0, card="card-1", fingerprint="f1",
    )  # fmt: skip
    ledger = Ledger(root, card="card-1")
    ledger.append([entry])
    ledger.revoke({CLIP: "card-1"}, {CLIP: entry})
    report = with_reasons(
        VerifyReport(
            root=root,
            reference=ReferenceKind.LEDGER,
            verified=(),
            changed=(),
            missing=(),
            extra=(CLIP,),
        )
    )
    why = report.reasons[CLIP]
    assert why.code == "revoked-copy", why
    assert "kept which copy it was" in why.text, why.text
    assert (
        "once the new copy is verified --reverify replaces it when offloading the same card, "
        "its file as recorded, else --overwrite does" in why.text
    ), why.text
    assert "--reverify (or --overwrite)" not in why.text, why.text
