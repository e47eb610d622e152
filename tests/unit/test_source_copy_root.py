"""Whether a source is a copy root of ours and which card its ledger records
(``source_copy_root``): real ledgers written by the ledger's own writer, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offload.ledger import Ledger, LedgerEntry
from offload.model import SourceFile
from offload.source_copy_root import NOT_OURS, source_copy_root

A = '1234-AAAA "EOS_DIGITAL"'
B = '5678-BBBB "EOS_DIGITAL"'
MTIME = 1_700_000_000_000_000_000


def _copy_root(tmp_path: Path, *cards: str, revoked: str = "") -> Path:
    """A copy root whose ledger records one copy per card in *cards* ("" unknown), then a
    revocation of a copy of the card *revoked* (its record kept, naming that card)."""
    root = tmp_path / "A001"
    root.mkdir(parents=True)
    ledger = Ledger(root)
    entries = [
        LedgerEntry(f"CLIPS/C{n:03d}.MOV", "verified", 10, MTIME, {"xxh64": "0" * 16}, card=card)
        for n, card in enumerate(cards)
    ]
    ledger.append(entries)
    if revoked:
        gone = LedgerEntry("CLIPS/GONE.MOV", "verified", 10, MTIME, {"xxh64": "1" * 16},
                           card=revoked)  # fmt: skip
        ledger.append([gone])
        ledger.revoke({"CLIPS/GONE.MOV": revoked}, {"CLIPS/GONE.MOV": gone})
    return root


@pytest.mark.parametrize(
    ("cards", "expected"),
    [
        ((A, A), A),  # one card
        ((A, '1234-AAAA "RENAMED"'), A),  # relabelled: the same volume and folder
        ((A, B), ""),  # two cards --into one folder: unknown
        ((A, ""), ""),  # a copy of an unknown card among them: unknown
    ],
)
def test_the_card_a_copy_roots_ledger_records(
    tmp_path: Path, cards: tuple[str, ...], expected: str
) -> None:
    found = source_copy_root(_copy_root(tmp_path, *cards))
    assert found.ours is True and found.card == expected, found


def test_revocations_and_superseded_lines(tmp_path: Path) -> None:
    """A revocation (its kept record naming the copy's card) vouches for nothing: a copy of
    this card revoked leaves the copy root this card's. A line of another card, since ended,
    makes it unknown: every line that vouched is read, not only those standing (the weaker
    answer, never another card's identity)."""
    root = _copy_root(tmp_path / "same", A, A, revoked=A)
    assert '"revoked_copy"' in (root / ".offload" / "ledger.jsonl").read_text()
    assert source_copy_root(root).card == A
    assert source_copy_root(_copy_root(tmp_path / "other", A, A, revoked=B)).card == ""


def test_no_ledger_or_no_file_at_its_name_is_no_copy_root_of_ours(tmp_path: Path) -> None:
    card = tmp_path / "CARD"
    (card / ".offload").mkdir(parents=True)
    assert source_copy_root(card) == NOT_OURS  # a card's own .offload/, no ledger
    (card / ".offload" / "ledger.jsonl").mkdir()
    assert source_copy_root(card) == NOT_OURS  # a folder at its name: no ledger of ours
    assert source_copy_root(tmp_path / "nowhere") == NOT_OURS


def _file(root: Path, relative: str, size: int = 10, mtime: int = MTIME) -> SourceFile:
    return SourceFile(root / relative, relative, size, mtime)


def test_the_ledger_vouches_for_every_file_or_the_claim_is_not_taken(tmp_path: Path) -> None:
    """The card is taken only where each file of the source has a standing vouching entry of
    its size and date: a file it does not name (a card holding a copy root's .offload/, a
    copy topped up by hand), another size or date, or a revoked copy is not vouched for."""
    root = _copy_root(tmp_path, A, A, revoked=A)
    ours = [_file(root, "CLIPS/C000.MOV"), _file(root, "CLIPS/C001.MOV")]
    assert source_copy_root(root, ours).vouched is True
    assert source_copy_root(root, ours).taken
    assert source_copy_root(root).vouched is None  # not asked
    for other in (
        _file(root, "CLIPS/B001.MOV"),
        _file(root, "CLIPS/C001.MOV", size=11),
        _file(root, "CLIPS/C001.MOV", mtime=MTIME + 60 * 10**9),
        _file(root, "CLIPS/GONE.MOV"),
    ):
        found = source_copy_root(root, [ours[0], other])
        assert found.vouched is False and not found.taken, other


def test_a_copy_root_missing_a_file_its_ledger_vouches_for_is_no_claim(tmp_path: Path) -> None:
    """Every standing entry must be among the source's files too: a copy root that lost a
    clip its ledger vouches for (deleted since; a killed offload of a version before run
    records) is no whole copy of its card, so it never settles that card's entry
    ``finished`` on the next drive. Failed before (review): vouched, the claim taken, and
    ``offload verify`` of the next drive passed without the lost clip (exit 0)."""
    root = _copy_root(tmp_path, A, A)
    found = source_copy_root(root, [_file(root, "CLIPS/C000.MOV")])
    assert found.vouched is False and not found.taken


def test_an_unfinished_offload_of_its_card_there_is_no_claim_taken(tmp_path: Path) -> None:
    """The source's own record holds an entry of its card (or of a card unknown) that did not
    finish, or cannot be read: ``unfinished``; finished, another card's, or none: not."""
    root = _copy_root(tmp_path, A)
    files = [_file(root, "CLIPS/C000.MOV")]
    record = root / ".offload" / "last-run.json"
    assert not source_copy_root(root, files).unfinished  # no record: no claim either way

    def entry(card: str, state: str) -> dict[str, object]:
        return {"card": card, "source": "/media/A001", "run": "r", "state": state}

    for cards, expected in (
        ([entry(A, "finished")], False),
        ([entry(B, "running")], False),
        ([entry(A, "finished"), entry('1234-AAAA "RENAMED"', "running")], True),
        ([entry("", "cancelled")], True),
        ([entry(A, "failed")], True),
    ):
        record.write_text(json.dumps({"cards": cards, **cards[0]}))
        found = source_copy_root(root, files)
        assert found.unfinished is expected and found.taken is not expected, cards
    record.write_text("{torn")
    assert source_copy_root(root, files).unfinished


def test_names_the_ledger_escapes_are_vouched_for_as_the_scan_names_them(tmp_path: Path) -> None:
    """A name JSON writes escaped (non-ASCII, a quote) is read back as the scan's text."""
    root = tmp_path / "A001"
    root.mkdir()
    names = ("CLIPS/Ünïcode.MOV", 'CLIPS/a "quoted" name.MOV')
    Ledger(root).append(
        [LedgerEntry(n, "verified", 10, MTIME, {"xxh64": "0" * 16}, card=A) for n in names]
    )
    found = source_copy_root(root, [_file(root, n) for n in names])
    assert found.vouched is True and found.card == A, found


def test_the_copy_roots_own_legacy_mhl_needs_no_entry(tmp_path: Path) -> None:
    """``--mhl legacy``/``both`` writes ``<root>_<date>_<time>.mhl`` at the copy root, which
    no ledger entry records: no card file, so not counted against the claim; another file
    at the root, even named .mhl otherwise, is."""
    root = _copy_root(tmp_path, A)
    clip = _file(root, "CLIPS/C000.MOV")
    ours = _file(root, "A001_2026-12-06_213101.mhl", size=900)
    assert source_copy_root(root, [clip, ours]).vouched is True
    other = _file(root, "NOTES.mhl", size=900)
    assert source_copy_root(root, [clip, other]).vouched is False
