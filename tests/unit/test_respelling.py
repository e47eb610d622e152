"""``offload.respelling``: the one rule tying a record to a file of its name spelled
otherwise (composed, NFC; decomposed, NFD). Plain sets of names, as every caller passes."""

from __future__ import annotations

import unicodedata

import pytest

from offload.respelling import respelled_pairs, spelled_as_listed

NFC = unicodedata.normalize("NFC", "Clips/café.mov")
NFD = unicodedata.normalize("NFD", NFC)
# "é" and "è" decomposed one at a time: a third spelling of the same name.
MIXED = unicodedata.normalize("NFC", "Clips/Scène") + unicodedata.normalize("NFD", "é.mov")
SCENE = unicodedata.normalize("NFC", "Clips/Scèneé.mov")


def test_a_record_is_tied_to_its_name_spelled_otherwise() -> None:
    assert respelled_pairs({NFC, "Clips/x.mov"}, {NFD, "Clips/x.mov"}) == {NFD: NFC}
    assert respelled_pairs({NFD}, {NFC}) == {NFC: NFD}
    spell = spelled_as_listed({NFC, "Clips/x.mov"}, {NFD, "Clips/x.mov"})
    assert (spell(NFC), spell("Clips/x.mov")) == (NFD, "Clips/x.mov")


def test_an_exact_match_always_wins_and_a_twin_is_never_tied() -> None:
    """Both twins recorded, one on disk: the lost one's record is tied to nothing (it is
    missing). Failed before for a history's check (no ``recorded`` given: the twin on disk
    was tied to the lost one's record) and for the card's (``spelled_as_listed`` spelled
    the lost twin's record as the twin there)."""
    for on_disk in (NFC, NFD):
        assert respelled_pairs({NFC, NFD}, {on_disk}) == {}
        spell = spelled_as_listed({NFC, NFD}, {on_disk})
        assert (spell(NFC), spell(NFD)) == (NFC, NFD)
    # A file whose own spelling is recorded is never tied to its twin's record.
    assert respelled_pairs({NFC, NFD}, {NFC, NFD}) == {}


def test_two_records_or_two_files_of_one_composed_name_are_ambiguous() -> None:
    assert MIXED != SCENE and unicodedata.normalize("NFC", MIXED) == SCENE
    third = unicodedata.normalize("NFD", SCENE)
    assert respelled_pairs({SCENE}, {MIXED, third}) == {}
    assert respelled_pairs({SCENE, third}, {MIXED}) == {}
    assert respelled_pairs({SCENE}, {MIXED}) == {MIXED: SCENE}


def test_a_history_ties_a_recorded_name_to_a_record_no_generation_holds_beside_it() -> None:
    """*twins* (``History.recorded_together``): a file renamed since and recorded again
    under its new spelling is tied to its old record too; one recorded beside it is not."""
    assert respelled_pairs({NFC, NFD}, {NFD}, twins=lambda a, b: False) == {NFD: NFC}
    assert respelled_pairs({NFC, NFD}, {NFD}, twins=lambda a, b: True) == {}
    # An unrecorded name is tied whatever the generations say.
    assert respelled_pairs({NFC}, {NFD}, twins=lambda a, b: True) == {NFD: NFC}


def test_ascii_names_are_never_respelled_and_cost_no_composition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kelvin = "Clips/\u212a.mov"  # KELVIN SIGN: composes to the ASCII "K"
    assert respelled_pairs({kelvin}, {"Clips/K.mov"}) == {}

    def composed(form: str, name: str) -> str:
        raise AssertionError(f"composed {name!r}")

    # Nothing composed: ASCII names alone, or a non-ASCII name whose record is on disk
    # (without *twins*, or with it and no record absent).
    # (Undone before pytest prints the test's result: its terminal writer composes too.)
    with monkeypatch.context() as patched:
        patched.setattr(unicodedata, "normalize", composed)
        assert respelled_pairs({"Clips/a.mov"}, {"Clips/b.mov"}) == {}
        assert respelled_pairs({"Clips/a.mov", NFC}, {"Clips/b.mov", NFC}) == {}
        assert respelled_pairs({NFC, NFD}, {NFC, NFD}, twins=lambda a, b: False) == {}
        assert spelled_as_listed({"Clips/a.mov"}, {NFD})("Clips/a.mov") == "Clips/a.mov"


def test_a_history_says_which_spellings_one_generation_recorded_together() -> None:
    """``History.recorded_together``: the twins one generation lists are two files; a name
    recorded by one generation and its other spelling by a later one alone are not."""
    from pathlib import Path

    from offload.manifest.history import History
    from offload.manifest.model import FileRecord, Generation

    def generation(number: int, *paths: str) -> Generation:
        files = tuple(FileRecord(p, 1, None, ()) for p in paths)
        return Generation(number, f"{number:04d}_A_x.mhl", files=files)

    renamed = History(Path("A"), (), (generation(1, NFC), generation(2, NFD)))
    assert not renamed.recorded_together(NFC, NFD)
    assert respelled_pairs({NFC, NFD}, {NFD}, twins=renamed.recorded_together) == {NFD: NFC}
    twins = History(Path("A"), (), (generation(1, NFC, NFD), generation(2, NFD)))
    assert twins.recorded_together(NFC, NFD) and twins.recorded_together(NFD, NFC)
    assert respelled_pairs({NFC, NFD}, {NFD}, twins=twins.recorded_together) == {}


def test_a_history_says_two_records_of_a_name_s_spellings_are_two_files() -> None:
    """``History.two_files``: recorded together by one generation, or recorded apart with
    digests that differ in a format both hold (a clip lost, another recorded under the
    other spelling since); records apart that agree, or share no format, are one file
    renamed (read against both by the checks)."""
    from pathlib import Path

    from offload.manifest.history import History
    from offload.manifest.model import FileRecord, Generation, HashRecord

    def generation(number: int, *records: tuple[str, dict[str, str]]) -> Generation:
        files = tuple(
            FileRecord(p, 1, None, tuple(HashRecord(f, v, "original") for f, v in h.items()))
            for p, h in records
        )
        return Generation(number, f"{number:04d}_A_x.mhl", files=files)

    def history(old: dict[str, str], new: dict[str, str]) -> History:
        return History(Path("A"), (), (generation(1, (NFC, old)), generation(2, (NFD, new))))

    a, b = "0123456789abcdef", "fedcba9876543210"
    assert not history({"xxh64": a}, {"xxh64": a}).two_files(NFC, NFD)
    assert not history({"md5": a * 2}, {"xxh64": b}).two_files(NFC, NFD)
    for one, other in ((NFC, NFD), (NFD, NFC)):
        assert history({"xxh64": a}, {"xxh64": b}).two_files(one, other)
        assert history({"xxh64": a, "md5": a * 2}, {"xxh64": b}).two_files(one, other)
    together = History(Path("A"), (), (generation(1, (NFC, {"xxh64": a}), (NFD, {"xxh64": a})),))
    assert together.two_files(NFC, NFD)
    lost = history({"xxh64": a}, {"xxh64": b})
    assert respelled_pairs({NFC, NFD}, {NFD}, twins=lost.two_files) == {}
    renamed = history({"xxh64": a}, {"xxh64": a})
    assert respelled_pairs({NFC, NFD}, {NFD}, twins=renamed.two_files) == {NFD: NFC}


def test_the_record_of_a_name_asked_one_at_a_time() -> None:
    """``RecordOfSpelling``, the rule name by name (``own_record``'s lookup of the ledger's
    record of a file the check reads): its own spelling's record, else the one record of
    its other spelling where that spelling names no file, else none."""
    from offload.respelling import RecordOfSpelling

    def lookup(recorded: set[str], on_disk: set[str]) -> RecordOfSpelling:
        return RecordOfSpelling(recorded, lambda name: name not in on_disk)

    assert lookup({NFC}, {NFD}).record_of(NFD) == NFC
    assert lookup({NFD}, {NFC}).record_of(NFC) == NFD
    assert lookup({NFC, NFD}, {NFD}).record_of(NFD) == NFD  # its own spelling's wins
    assert lookup({NFC}, {NFC, NFD}).record_of(NFD) is None  # a twin: never the other's
    assert lookup({SCENE, MIXED}, {SCENE}).record_of(SCENE) == SCENE
    # Two records of one composed form, the file a third spelling: which is not known.
    third = unicodedata.normalize("NFD", SCENE)
    assert lookup({SCENE, MIXED}, {third}).record_of(third) is None
    assert lookup({"Clips/x.mov"}, {"clips/x.mov"}).record_of("clips/x.mov") is None
