"""``offload verify``'s reason for a file new to its records whose ledger revocation kept
the entry it ended (``verification_reason.REVOKED_COPY_KEPT``): what replaces it, with a
real ledger written and read back."""

from __future__ import annotations

from pathlib import Path

from offload.manifest.verify import ReferenceKind, VerifyReport
from offload.verification_reason import with_reasons
from support.ledger_copies import CLIP, recorded_copy


def test_a_kept_revocation_names_reverify_only_for_the_same_card_else_overwrite(
    tmp_path: Path,
) -> None:
    """--reverify takes such a copy up only when ``Ledger.found_wrong_copy`` holds (the
    same card, its file as recorded); any other run needs --overwrite. Failed before: the
    reason said "--reverify (or --overwrite) replaces it" whatever the card offloaded."""
    ledger, entry = recorded_copy(tmp_path, card="card-1")
    root = ledger.copy_root
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
