"""A ledger's entries of several cards for one path (``ledger.fold_lines``): each card's
copy kept under a name of its own (``--keep-both``) stays vouched for by its card's entry;
what ends an entry ends it as in every version. Real ledger files, read back by ``load``."""

from __future__ import annotations

import json
from pathlib import Path

from offload.ledger import Ledger, LedgerEntry, verified_entry

A = '1234-AAAA "A001"'
A_RELABELLED = '1234-AAAA "RENAMED"'  # the same card: the label is for people
B = '5678-BBBB "A001"'
C = '9ABC-CCCC "A001"'
PATH = "CLIPS/C001.MOV"


def _copy(card: str, final_name: str = "", recorded_at: float = 1.0) -> LedgerEntry:
    return verified_entry(
        PATH, size_bytes=10, mtime_ns=20, digests={"xxh64": "00"}, partial_name="",
        final_name=final_name, verify="destination", recorded_at=recorded_at, card=card,
    )  # fmt: skip


def _folded(tmp_path: Path, *entries: LedgerEntry) -> tuple[LedgerEntry, list[LedgerEntry]]:
    ledger = Ledger(tmp_path)
    ledger.append(entries)
    latest, beside = ledger.load_entries()
    assert ledger.load() == latest
    return latest[PATH], list(beside.get(PATH, ()))


def test_another_cards_copy_kept_beside_leaves_each_cards_entry_standing(tmp_path: Path) -> None:
    a, b = _copy(A), _copy(B, "C001 (1).MOV")
    c = _copy(C, "C001 (2).MOV")
    assert _folded(tmp_path, a, b, c) == (c, [a, b])


def test_a_cards_later_entry_replaces_its_own_earlier_one(tmp_path: Path) -> None:
    a, b = _copy(A), _copy(B, "C001 (1).MOV")
    again = _copy(A_RELABELLED, recorded_at=2.0)  # A re-run (its label read otherwise)
    assert _folded(tmp_path, a, b, again) == (again, [b])
    newer_b = _copy(B, "C001 (2).MOV", recorded_at=3.0)
    assert _folded(tmp_path / "2", a, b, newer_b) == (newer_b, [a])


def test_an_entry_of_the_same_name_ends_the_other_cards_entry(tmp_path: Path) -> None:
    """B adopted (or overwrote) the file at A's name: A's entry no longer records it."""
    a, b = _copy(A), _copy(B)
    assert _folded(tmp_path, a, b) == (b, [])
    kept = _copy(B, "C001 (1).MOV")
    over = _copy(C, "C001 (1).MOV")  # C wrote over B's keep-both name
    assert _folded(tmp_path / "2", a, kept, over) == (over, [a])


def test_a_revoked_line_or_one_of_an_unknown_card_ends_every_earlier_entry(
    tmp_path: Path,
) -> None:
    """As in every version (the path's last line): a ``revoked`` line names no card nor
    name, and an entry of an unknown card may be any card's."""
    a, b = _copy(A), _copy(B, "C001 (1).MOV")
    revoked = LedgerEntry(PATH, "revoked")
    assert _folded(tmp_path, a, b, revoked) == (revoked, [])
    unknown = _copy("", "C001 (2).MOV")
    assert _folded(tmp_path / "2", a, b, unknown) == (unknown, [])
    # After it, a known card's entry starts afresh: nothing before the unknown one stands.
    c = _copy(C, "C001 (3).MOV")
    assert _folded(tmp_path / "3", a, b, unknown, c) == (c, [])


def test_a_line_this_version_cannot_read_leaves_the_entries_as_they_were(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    a, b = _copy(A), _copy(B, "C001 (1).MOV")
    ledger.append([a, b])
    with open(ledger.path, "a") as handle:
        handle.write('{"relative_path": "CLIPS/C001.MOV", "state": "verified", "new_key": 1}\n')
        handle.write('{"relative_path": "CLIPS/C001.MOV", "sta')  # torn by a kill
    latest, beside = ledger.load_entries()
    assert (latest[PATH], list(beside[PATH])) == (b, [a])


def _last_line_rule(ledger: Ledger, *, known: set[str]) -> dict[str, dict[str, object]]:
    """The ledger folded as an older version does: the last line of each path whose keys it
    knows (*known*), a line with another key skipped."""
    latest: dict[str, dict[str, object]] = {}
    for line in ledger.path.read_text().splitlines():
        raw = json.loads(line)
        if set(raw) <= known:
            latest[raw["relative_path"]] = raw
    return latest


def test_the_lines_are_those_every_version_reads(tmp_path: Path) -> None:
    """Nothing new is written: an older version reads the same lines by its own rule (the
    last line of a path), trusting no more than before: card A's entry, followed by B's,
    vouches for nothing there (B's copy is the last line; before the ``card`` key every
    line is skipped and each copy read back); nor after a revocation of A's copy."""
    ledger = Ledger(tmp_path)
    a, b = _copy(A), _copy(B, "C001 (1).MOV")
    ledger.append([a, b])
    keys = set(LedgerEntry.__dataclass_fields__)
    assert _last_line_rule(ledger, known=keys)[PATH]["card"] == B
    assert _last_line_rule(ledger, known=keys - {"card"}) == {}
    ledger.revoke({PATH: A})
    assert _last_line_rule(ledger, known=keys)[PATH]["card"] == B
    assert _last_line_rule(ledger, known=keys - {"card"})[PATH]["state"] == "revoked"
    assert ledger.load_entries().latest[PATH] == b  # and this version: B's alone stands


def test_a_revocation_of_one_cards_copy_leaves_the_other_cards_standing(
    tmp_path: Path,
) -> None:
    """``Ledger.revoke``: the revoked card's entry ends, the other cards' stand as they did
    (whichever of them was last); a revocation of an unknown card's copy ends them all."""
    a, b = _copy(A), _copy(B, "C001 (1).MOV")
    c = _copy(C, "C001 (2).MOV")
    ledger = Ledger(tmp_path / "1")
    ledger.append([a, b, c])
    ledger.revoke({PATH: C})
    assert ledger.load_entries().latest[PATH] == b
    assert list(ledger.load_entries().standing()) == [a, b]
    ledger.revoke({PATH: A})
    assert list(ledger.load_entries().standing()) == [b]
    ledger.revoke({PATH: ""})
    assert [e.state for e in ledger.load_entries().standing()] == ["revoked"]


def test_the_standing_entries_written_again_fold_back_to_themselves(tmp_path: Path) -> None:
    """``LedgerEntries.standing``: every entry that vouches for a copy, in an order whose
    lines fold back to the same entries (``offload verify`` of a bucket writes them so)."""
    a, b = _copy(A), _copy(B, "C001 (1).MOV")
    other = verified_entry(
        "CLIPS/C002.MOV", size_bytes=1, mtime_ns=2, digests={}, partial_name="",
        final_name="", verify="destination", recorded_at=1.0, card=A,
    )  # fmt: skip
    ledger = Ledger(tmp_path)
    ledger.append([a, other, b])
    entries = ledger.load_entries()
    assert list(entries.standing()) == [a, b, other]
    copied = Ledger(tmp_path / "copy")
    copied.append(entries.standing())
    assert copied.load_entries() == entries
