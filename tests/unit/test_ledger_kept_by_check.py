"""``ledger.kept_by_check``: the one test of a copy an earlier ``offload verify`` found
wrong and revoked keeping its entry (``verification.checked_wrong`` and verify's footer both
ask it), and ``ledger.proven_when``: an entry's proof in words."""

from __future__ import annotations

from dataclasses import replace

from offload.ledger import (
    REVOKED_BY_OFFLOAD,
    TRANSFER_IN_FLIGHT,
    TRANSFER_SIZE_ONLY,
    LedgerEntry,
    entry_fields,
    kept_by_check,
    proven_when,
)

COPY = LedgerEntry("CLIP/b.mov", "verified", 5000, 1, {"xxh64": "0" * 16}, verify="full")


def test_a_checks_revocation_gives_the_entry_it_kept() -> None:
    revoked = LedgerEntry("CLIP/b.mov", "revoked", revoked_copy=entry_fields(COPY))
    assert kept_by_check(revoked) == COPY


def test_nothing_else_is_a_kept_record() -> None:
    by_offload = LedgerEntry(
        "CLIP/b.mov", "revoked", revoked_copy=entry_fields(COPY), revoked_by=REVOKED_BY_OFFLOAD
    )
    assert kept_by_check(by_offload) is None  # maybe a copy it never finished
    assert kept_by_check(LedgerEntry("CLIP/b.mov", "revoked")) is None  # kept nothing
    assert kept_by_check(COPY) is None  # vouches: no revocation
    assert kept_by_check(None) is None


def test_an_entry_of_verify_transfer_is_transfer_checked_not_verified() -> None:
    assert proven_when(LedgerEntry("a", "transfer_checked", verify="transfer")) == (
        "transfer-checked",
        "",
    )
    verb, when = proven_when(LedgerEntry("a", "verified", verify="full", recorded_at=1e9))
    assert verb == "verified" and when.startswith(" on 2001-09-")


def test_an_entry_whose_check_proved_the_size_alone_is_size_checked() -> None:
    """An S3 entry recording a size-only check, or too old to tell (an ETag, no
    ``transfer_check``): "size-checked", never "transfer-checked" (before: it was)."""
    s3 = LedgerEntry("a", "transfer_checked", verify="transfer", etag='"e1"')
    assert proven_when(replace(s3, transfer_check=TRANSFER_SIZE_ONLY))[0] == "size-checked"
    assert proven_when(s3)[0] == "size-checked"
    assert proven_when(replace(s3, transfer_check=TRANSFER_IN_FLIGHT))[0] == "transfer-checked"
