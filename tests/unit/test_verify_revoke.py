"""``verify_revoke.revoke_found_wrong``: which ledger entries a check's findings revoke (only
what it proved wrong, recorded before it began, and still trusted by a run's quick check)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from offload.ledger import Ledger, LedgerEntry, revoked_record
from offload.manifest import ChangedFile, ChangeReason
from offload.verify_revoke import revoke_found_wrong


def copy_root(tmp_path: Path, recorded_at: float = 100.0) -> tuple[Path, LedgerEntry]:
    root = tmp_path / "A001"
    root.mkdir()
    clip = root / "C001.MOV"
    clip.write_bytes(b"x" * 1000)
    st = clip.stat()
    entry = LedgerEntry(
        relative_path="C001.MOV",
        state="verified",
        size_bytes=1000,
        mtime_ns=st.st_mtime_ns,
        digests={"xxh64": "aaaa"},
        verify="full",
        recorded_at=recorded_at,
    )
    Ledger(root).append([entry])
    return root, entry


def changed(actual: dict[str, str], size: int = 1000) -> ChangedFile:
    return ChangedFile("C001.MOV", ChangeReason.HASH, 1000, size, {"md5": "x"}, actual)


def states(root: Path) -> list[str]:
    lines = (root / ".offload" / "ledger.jsonl").read_text().splitlines()
    return [json.loads(line)["state"] for line in lines]


def test_a_digest_other_than_the_entrys_revokes_it(tmp_path: Path) -> None:
    root, _ = copy_root(tmp_path)
    done = revoke_found_wrong(
        root, (), [changed({"xxh64": "bbbb"})], checked_since=200.0, against_own=False
    )
    assert done.revoked == ("C001.MOV",) and not done.error
    # The plain revocation every version reads, then the one carrying the entry it ended.
    assert states(root) == ["verified", "revoked", "revoked"]


def test_the_entrys_own_digest_found_proves_nothing_against_it(tmp_path: Path) -> None:
    """The record the check used was wrong, not the copy: the entry stands."""
    root, _ = copy_root(tmp_path)
    done = revoke_found_wrong(
        root, (), [changed({"xxh64": "aaaa"})], checked_since=200.0, against_own=True
    )
    assert done.revoked == () and states(root) == ["verified"]


def test_no_digest_in_common_proves_it_only_against_our_own_records(tmp_path: Path) -> None:
    root, _ = copy_root(tmp_path)
    legacy = revoke_found_wrong(
        root, (), [changed({"md5": "y"})], checked_since=200.0, against_own=False
    )
    assert legacy.revoked == () and states(root) == ["verified"]
    own = revoke_found_wrong(
        root, (), [changed({"md5": "y"})], checked_since=200.0, against_own=True
    )
    assert own.revoked == ("C001.MOV",)


def test_an_entry_recorded_since_the_check_began_stands(tmp_path: Path) -> None:
    root, _ = copy_root(tmp_path, recorded_at=300.0)
    done = revoke_found_wrong(root, ["C001.MOV"], (), checked_since=200.0, against_own=True)
    assert done.revoked == () and states(root) == ["verified"]


def test_a_copy_whose_date_changed_is_revoked_keeping_its_entry(tmp_path: Path) -> None:
    """A copy found changed whose date changed too is revoked like one that kept it (its
    entry no longer vouches: ``card_beside`` reads the ledger alone), the entry it ended
    kept for ``--reverify`` (``Ledger.found_wrong_copy``). Failed before: not revoked, no
    run trusting it by its quick check."""
    root, entry = copy_root(tmp_path)
    os.utime(root / "C001.MOV", ns=(entry.mtime_ns, entry.mtime_ns + 10_000_000_000))
    done = revoke_found_wrong(
        root, (), [changed({"xxh64": "bbbb"})], checked_since=200.0, against_own=True
    )
    assert done.revoked == ("C001.MOV",) and done.unrecorded == ()
    assert states(root) == ["verified", "revoked", "revoked"]
    kept = revoked_record(Ledger(root).load_entries().latest["C001.MOV"])
    assert kept is not None and kept.digests == entry.digests


def test_a_missing_copy_is_not_revoked(tmp_path: Path) -> None:
    root, _ = copy_root(tmp_path)
    (root / "C001.MOV").unlink()
    done = revoke_found_wrong(root, ["C001.MOV"], (), checked_since=200.0, against_own=True)
    assert done.revoked == () and states(root) == ["verified"]


def test_two_cards_copies_both_found_wrong_are_said_unrecorded(tmp_path: Path) -> None:
    """Two cards' copies of one path (``--keep-both``), both unreadable: both revoked, and
    ``unrecorded`` names them (no record of which copy the line ended is kept, so
    ``offload copy --reverify`` cannot take them up); one card's copy alone is recorded."""
    root = tmp_path / "A001"
    root.mkdir()
    entries = []
    for card, name in (("volA|A001", "C001.MOV"), ("volB|A001", "C001 (1).MOV")):
        (root / name).write_bytes(b"x" * 1000)
        entries.append(
            LedgerEntry(
                relative_path="C001.MOV",
                state="verified",
                size_bytes=1000,
                mtime_ns=(root / name).stat().st_mtime_ns,
                digests={"xxh64": "aaaa"},
                final_name=name,
                verify="full",
                recorded_at=100.0,
                card=card,
            )
        )
    Ledger(root).append(entries)
    done = revoke_found_wrong(
        root, ["C001.MOV", "C001 (1).MOV"], (), checked_since=200.0, against_own=True
    )
    assert done.revoked == ("C001 (1).MOV", "C001.MOV"), done
    assert done.unrecorded == done.revoked, done
