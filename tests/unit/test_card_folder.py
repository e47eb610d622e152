"""Whose offload a copy root named after the card holds (``card_folder``): real ledger
files written and read back, the plan's destinations as ``plan_destinations`` makes them.
The end-to-end refusals, on real cards: integration/test_card_same_name.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from offload.card_folder import refuse_another_cards_folder
from offload.card_identity import parse_key
from offload.errors import UsageError
from offload.ledger import Ledger, LedgerEntry, verified_entry
from offload.model import SourceFile
from offload.plan.destination import DestinationPlan

A = '1234-AAAA "EOS_DIGITAL"'
B = '5678-BBBB "EOS_DIGITAL"'
CLIP = "DCIM/100CANON/MVI_0001.MOV"
SECOND = 1_000_000_000


def _entry(card: str, size: int = 10, mtime_ns: int = 20, path: str = CLIP) -> LedgerEntry:
    return verified_entry(
        path, size_bytes=size, mtime_ns=mtime_ns, digests={"xxh64": "00"}, partial_name="",
        final_name="", verify="destination", recorded_at=1.0, card=card,
    )  # fmt: skip


def _check(tmp_path: Path, entries: list[LedgerEntry], card: str, *, into: bool = False) -> None:
    """The check of one destination whose copy root's ledger holds *entries*, for a card
    (*card* its key, "" unknown) holding CLIP, 10 bytes, mtime 20."""
    root = tmp_path / "dest" if into else tmp_path / "dest" / "EOS_DIGITAL"
    ledger = Ledger(root)
    if entries:
        ledger.append(entries)
    plan = DestinationPlan(0, tmp_path / "dest", root, creates_root=not into)
    files = [SourceFile(f"/card/{CLIP}", CLIP, 10, 20)]
    refuse_another_cards_folder(
        [plan], [ledger.load_entries()], parse_key(card) if card else None, files, "/card"
    )


@pytest.mark.parametrize(
    ("entries", "card"),
    [
        ([], B),  # no ledger: nothing tells whose
        ([_entry(A)], A),  # the same card
        ([_entry('1234-AAAA "RENAMED"')], A),  # relabelled: the same volume
        ([_entry(A), _entry(B, path="OTHER.MOV")], B),  # both cards there (--into before)
        ([_entry(""), _entry(A, path="OTHER.MOV")], ""),  # this card unknown, its file's entry
        ([_entry("")], B),  # an entry of no card: this card's file, of its size and date
    ],
)
def test_the_same_card_or_no_sign_of_another_goes_on(
    tmp_path: Path, entries: list[LedgerEntry], card: str
) -> None:
    _check(tmp_path, entries, card)


@pytest.mark.parametrize(
    ("entries", "card", "words"),
    [
        (
            [_entry(A)],
            B,
            'of "EOS_DIGITAL", volume 1234-AAAA',
        ),  # another known card, even of equal files
        ([_entry("", size=11)], B, "none on this card at its size and date"),
        ([_entry(A, mtime_ns=20 + 5 * SECOND)], "", "none on this card at its size and date"),
        # Within 2 s but to the nanosecond: another card's, no filesystem's rounding.
        ([_entry(A, mtime_ns=21)], "", "none on this card at its size and date"),
    ],
)
def test_another_cards_folder_is_refused(
    tmp_path: Path, entries: list[LedgerEntry], card: str, words: str
) -> None:
    with pytest.raises(UsageError) as refused:
        _check(tmp_path, entries, card)
    message = str(refused.value)
    assert "\n" not in message and words in message, message
    # "another card's" only where both cards are known; else the ledger cannot say whose
    # (shuttle66: maybe this card's own, another offload of it).
    known = bool(card) and all(e.card for e in entries)
    whose = "another card's offload" if known else "another offload, of this card or another"
    assert f"holds {whose} ({'its ledger records 1 file'}" in message, message
    assert f"--into /card {tmp_path / 'dest' / 'EOS_DIGITAL_2'} (" in message, message
    # Never cascaded (another size, a date past any rounding, another known card): the
    # older cascade's cause is not named (failed before: named on every such refusal).
    assert "cascade" not in message, message


@pytest.mark.parametrize("card", ["", B])
def test_entries_of_the_card_files_rounded_dates_name_an_older_cascade(
    tmp_path: Path, card: str
) -> None:
    """Each entry of a card file's size, its date as exFAT/FAT/a share rounds it (whole
    seconds; the card file's 20 ns): what an older version's cascade recorded of its slow
    copies. The refusal names that cause and the --into re-run that adopts them first,
    this card unknown or known (entries of no card)."""
    with pytest.raises(UsageError) as refused:
        _check(tmp_path, [_entry("", mtime_ns=SECOND)], card)
    message = str(refused.value)
    assert "\n" not in message, message
    assert "this card's copies cascaded by an older version, dated as its fast copy" in message
    assert f"--into {tmp_path / 'dest' / 'EOS_DIGITAL'} adds it to that folder" in message
    assert f"--into /card {tmp_path / 'dest' / 'EOS_DIGITAL_2'} (" in message, message


def test_into_names_the_folder_on_purpose_and_a_revoked_line_vouches_for_nothing(
    tmp_path: Path,
) -> None:
    _check(tmp_path, [_entry(A)], B, into=True)
    revoked = LedgerEntry(relative_path=CLIP, state="revoked")
    _check(tmp_path / "r", [_entry(A), revoked], B)


def test_the_free_name_is_one_no_destination_holds(tmp_path: Path) -> None:
    for taken in ("EOS_DIGITAL_2", "EOS_DIGITAL_3"):
        (tmp_path / "dest" / taken).mkdir(parents=True)
    with pytest.raises(UsageError, match="EOS_DIGITAL_4"):
        _check(tmp_path, [_entry(A)], B)


class _Bucket:
    """A bucket destination's answers (``S3Backend.listed_as``): the names it holds, or
    a listing that fails."""

    def __init__(self, held: set[str], fails: bool = False) -> None:
        self.held, self.fails = held, fails

    def listed_as(self, path: Path | str) -> tuple[bool, bool]:
        if self.fails:
            raise OSError(5, "cannot list")
        return False, Path(path).name in self.held


@pytest.mark.parametrize(
    ("bucket", "named"),
    [
        (_Bucket({"EOS_DIGITAL_2"}), "s3://b/day1/EOS_DIGITAL_3 ("),
        (_Bucket(set()), "s3://b/day1/EOS_DIGITAL_2 ("),
        (_Bucket(set(), fails=True), "copy this card into a folder of its own with --into"),
    ],
)
def test_a_bucket_is_asked_for_the_free_name_and_none_named_if_it_cannot_be(
    bucket: _Bucket, named: str
) -> None:
    from offload.destinations.s3url import S3_ROOT
    from offload.ledger import LedgerEntries

    plan = DestinationPlan(0, S3_ROOT / "b" / "day1", S3_ROOT / "b/day1/EOS_DIGITAL", True)
    files = [SourceFile(f"/card/{CLIP}", CLIP, 10, 20)]
    with pytest.raises(UsageError) as refused:
        refuse_another_cards_folder(
            [plan], [LedgerEntries({CLIP: _entry(A)}, {})], parse_key(B), files, "/card",
            {0: bucket},
        )  # fmt: skip
    assert named in str(refused.value), refused.value


def _revoked_by_a_check(
    tmp_path: Path, recorded: LedgerEntry, card: str, *, plain: bool, own: bool = False
) -> None:
    """The check of a copy root whose ledger's one path ends in ``offload verify``'s
    revocation of *recorded* (its record kept, or *plain*: the plain line alone), a file of
    another size than the card's at CLIP, for a card (*card*) holding CLIP, 10 bytes, mtime
    20, the ledgers passed (so a copy root is told by its files where nothing else tells)."""
    root = tmp_path / "dest" / "EOS_DIGITAL"
    (root / CLIP).parent.mkdir(parents=True)
    (root / CLIP).write_bytes(b"x" * 7)
    ledger = Ledger(root)
    ledger.append([recorded])
    if plain:  # an older version's revocation
        ledger.append([LedgerEntry(relative_path=CLIP, state="revoked")])
    elif own:  # an offload's own (its read-back, the cascade's): the ledger's entry kept
        ledger.revoke({CLIP: recorded.card})
    else:
        ledger.revoke({CLIP: recorded.card}, {CLIP: recorded})
    plan = DestinationPlan(0, tmp_path / "dest", root, creates_root=True)
    files = [SourceFile(f"/card/{CLIP}", CLIP, 10, 20)]
    refuse_another_cards_folder(
        [plan],
        [ledger.load_entries()],
        parse_key(card) if card else None,
        files,
        "/card",
        ledgers=[ledger],
    )


def test_a_ledger_of_revocations_is_told_by_the_records_they_kept(tmp_path: Path) -> None:
    """This card's record (its card, or either unknown its file's size and date): goes on.
    Another card's records alone: told by its files, refused (the file there is not this
    card's). Plain revoked lines alone say nothing: goes on, as before."""
    _revoked_by_a_check(tmp_path / "a", _entry(A), A, plain=False)
    _revoked_by_a_check(tmp_path / "b", _entry(""), "", plain=False)
    _revoked_by_a_check(tmp_path / "c", _entry(A), B, plain=True)
    for at, (entry, card) in enumerate([(_entry(A), B), (_entry("", size=11), "")]):
        with pytest.raises(UsageError, match="holds files at this card's names that are not"):
            _revoked_by_a_check(tmp_path / f"r{at}", entry, card, plain=False)


def test_an_offloads_own_revocations_tell_the_folder_as_a_checks_do(tmp_path: Path) -> None:
    """A ledger whose lines all end in an offload's own revocations (a copy its read-back,
    its cascade or its re-read after fusefat's renames found wrong): they keep the entries
    they ended, as ``offload verify``'s do, so the folder is this card's (goes on) or, their
    records of another card alone, told by its files (refused: the file there is not this
    card's). Failed before: plain lines alone, said nothing, and a second card of the name
    went in, merging its files among the first card's."""
    _revoked_by_a_check(tmp_path / "a", _entry(A), A, plain=False, own=True)
    _revoked_by_a_check(tmp_path / "b", _entry(""), "", plain=False, own=True)
    for at, (entry, card) in enumerate([(_entry(A), B), (_entry("", size=11), "")]):
        with pytest.raises(UsageError, match="holds files at this card's names that are not"):
            _revoked_by_a_check(tmp_path / f"r{at}", entry, card, plain=False, own=True)
