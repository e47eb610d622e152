"""Whether a source is a copy root of ours and which card its ledger records
(``source_copy_root``): real ledgers written by the ledger's own writer, real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from offload.ledger import Ledger, LedgerEntry
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
