"""A refusal of a copy for a file in the way is told by its kind (``remedies.Refusal``: the
result's ``refusal``, the JSON's copy ``refusal``), never by its words: the run record's
``in_the_way`` list, the cascade's words and the reports read the kind. Before, each matched
the remedy's text ("--keep-both keeps both"), so a change of those words (three passes
changed them) silently stopped the run record naming the refused files apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offload import remedies, run_record
from offload.card import OffloadOptions, offload
from offload.remedies import Refusal
from offload.report.job_report import write_reports
from offload.results import DestinationStatus
from support.cards import clips_card


def _card_and_dest(tmp_path: Path, foreign: bytes) -> tuple[Path, Path]:
    """A card of three clips, and a copy root where a foreign file holds the first's name."""
    card = clips_card(tmp_path, 3, 200_000)
    dest = tmp_path / "dest"
    (dest / "CLIPS").mkdir(parents=True)
    (dest / "CLIPS" / "C001.mov").write_bytes(foreign)
    return card, dest


@pytest.mark.parametrize(
    "foreign",
    [
        pytest.param(b"not the card's", id="other-size: the engine's refusal"),
        pytest.param(b"x" * 200_000, id="same-size: the read-back's refusal"),
    ],
)
def test_a_file_in_the_way_is_refused_by_kind_whatever_the_remedy_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, foreign: bytes
) -> None:
    """The remedy worded otherwise (as a later pass may): the copy is still refused as a
    file in the way, and the run record names it apart (``in_the_way``), the JSON says
    ``"refusal": "in_the_way"``. Failed before (the same-size file: the run record's
    ``in_the_way`` empty, the file named as having "no verified copy here"; the other-size
    file likewise): ``remedies.refused_again`` looked for the words "--keep-both keeps
    both"."""
    monkeypatch.setattr(
        remedies,
        "_ANY",
        "--overwrite puts the new copy in its place once verified, --keep-both keeps the two",
    )
    card, dest = _card_and_dest(tmp_path, foreign)
    report = offload(card, [dest], options=OffloadOptions(into=True))
    (clip,) = [f for f in report.job.files if f.relative_path == "CLIPS/C001.mov"]
    (result,) = clip.destinations
    assert result.status is DestinationStatus.FAILED
    assert result.refusal is Refusal.IN_THE_WAY, result.error
    assert "--keep-both keeps the two" in (result.error or "")
    (record,) = run_record.read_all(dest) or ()
    assert record.in_the_way == ("CLIPS/C001.mov",), record
    assert (dest / "CLIPS" / "C001.mov").read_bytes() == foreign
    written = write_reports(report, tmp_path / "reports")
    data = json.loads(Path(next(p for p in written.paths if p.endswith(".json"))).read_text())
    copies = {f["path"]: f["destinations"][0] for f in data["files"]}
    assert copies["CLIPS/C001.mov"]["refusal"] == "in_the_way"
    assert {copies[p]["refusal"] for p in copies if p != "CLIPS/C001.mov"} == {None}


def test_a_report_written_before_the_kind_is_read_by_the_words_it_carried() -> None:
    """A job report of a version before ``refusal`` (no key): its copies' refusals read from
    the remedies those versions wrote (``content._refusal``), fixed words."""
    from offload.report.content import _refusal

    old = "--overwrite replaces it once the new copy is verified, --keep-both keeps both"
    apart = "--into another folder keeps the two cards apart, --keep-both keeps both here"
    assert _refusal({"error": f"a already exists; not overwritten: {old}"}) == "in_the_way"
    assert _refusal({"error": f"a already exists ...; not overwritten ({apart})"}) == (
        "another_card"
    )
    assert _refusal({"error": "cannot read a: EIO"}) is None
    assert _refusal({"error": None}) is None
    # A report with the key: the key alone, whatever the words.
    assert _refusal({"error": f"x: {old}", "refusal": None}) is None
    assert _refusal({"error": "x", "refusal": "another_card"}) == "another_card"


def test_a_slow_copy_the_fast_drive_refused_is_recorded_with_the_fast_drives_remedy(
    tmp_path: Path,
) -> None:
    """A file every fast destination refused for a file in the way there is no plain
    failure on the slow one: the same command refuses it on RAID again, so SHUTTLE would
    fail it again. Its result's kind is ``fast_refused``, its record names it refused on
    RAID (``fast_refused``, never ``in_the_way``: nothing is in the way on SHUTTLE), and
    ``offload verify``'s INCOMPLETE line names what gets past RAID's file. Failed before:
    the slow result had no kind, so the record named it "with no verified copy here" and
    said "run the same `offload copy` again", which failed it the same way every time."""
    card = clips_card(tmp_path / "a", 3, 200_000)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    slow.mkdir()
    (fast / "CLIPS").mkdir(parents=True)
    (fast / "CLIPS" / "C001.mov").write_bytes(b"another file")
    report = offload(card, [fast, slow], options=OffloadOptions(into=True, cascade=frozenset({1})))
    (clip,) = [f for f in report.job.files if f.relative_path == "CLIPS/C001.mov"]
    fast_copy, slow_copy = clip.destinations
    assert fast_copy.refusal is Refusal.IN_THE_WAY
    assert slow_copy.status is DestinationStatus.FAILED
    assert slow_copy.refusal is Refusal.FAST_REFUSED, slow_copy.error
    (record,) = run_record.read_all(slow) or ()
    assert record.state == run_record.FAILED
    assert record.failed == ("CLIPS/C001.mov",)
    assert record.fast_refused == ("CLIPS/C001.mov",) and record.in_the_way == ()
    assert record.refused_on == (str(fast),) and record.another_card is False
    words = run_record.unfinished(slow) or ""
    assert f"1 card file refused on {fast} for a file in the way there (CLIPS/C001.mov)" in words
    assert "no verified copy here" not in words
    assert "run the same `offload copy` again with --overwrite or --keep-both" in words, words
    assert "or without cascading to this copy root" in words
    # RAID's own record names the file in the way there.
    fast_records = [r for r in run_record.read_all(fast) or () if r.state != run_record.FINISHED]
    assert [r.in_the_way for r in fast_records] == [("CLIPS/C001.mov",)]
    # The JSON says the kind.
    written = write_reports(report, tmp_path / "reports")
    data = json.loads(Path(next(p for p in written.paths if p.endswith(".json"))).read_text())
    (entry,) = [f for f in data["files"] if f["path"] == "CLIPS/C001.mov"]
    assert [d["refusal"] for d in entry["destinations"]] == ["in_the_way", "fast_refused"]


def _failed_run(root: Path, failed: list[str], fast_refused: run_record.FastRefused) -> None:
    """*root*'s record of a run of card ``/cards/A001`` started, then settled failed: the
    card files *failed*, those the fast drive refused *fast_refused*."""
    run_record.mark_started([root], "run", 1.0, source="/cards/A001")
    run_record.settle(
        root,
        "run",
        1.0,
        run_record.FAILED,
        source="/cards/A001",
        failed=failed,
        fast_refused=fast_refused,
    )


def test_a_slow_copy_refused_for_another_cards_copy_on_the_fast_drive_is_never_told_overwrite(
    tmp_path: Path,
) -> None:
    """The record of a slow copy root whose files the fast drive refused as another card's
    copies (``FAST_REFUSED_ANOTHER_CARD``) names --into another folder or --keep-both,
    never --overwrite (it would replace what may be that card's only copy); and files
    failed otherwise beside them keep the plain re-run, the fast drive's remedy said apart."""
    root = tmp_path / "SHUTTLE"
    (root / ".offload").mkdir(parents=True)
    _failed_run(
        root,
        ["CLIPS/C000.mov", "CLIPS/C001.mov"],
        run_record.FastRefused(("CLIPS/C001.mov",), ("/mnt/RAID",), True),
    )
    words = run_record.unfinished(root) or ""
    assert "1 card file with no verified copy here (CLIPS/C000.mov)" in words, words
    assert "1 card file refused on /mnt/RAID for a file in the way there (CLIPS/C001.mov)" in words
    assert "--overwrite" not in words
    assert (
        "run the same `offload copy` again (for those refused on /mnt/RAID: with --into "
        "another folder or --keep-both"
    ) in words, words


def test_the_record_names_whose_copy_never_to_be_overwritten_holds_the_name(
    tmp_path: Path,
) -> None:
    """The slow copy root's record tells another card's copy from an earlier take's
    (``FastRefused.another_card``, ``earlier_copy``: the keys ``other_card_copy``,
    ``earlier_copy`` of ``last-run.json``) and its words name only what it tells; its
    ``another_card`` key says a copy never to be overwritten is there, either kind (what
    older versions read: false, they advise --overwrite). A record written before
    ``earlier_copy``, whose ``another_card`` held either, names both; one written with
    ``earlier_copy`` but before ``other_card_copy`` (its ``another_card``: another card's
    alone) names each as it says. Failed before: ``another_card`` false for an earlier
    take's copy (review of kinds66, M2), no ``other_card_copy``."""
    root = tmp_path / "SHUTTLE"
    (root / ".offload").mkdir(parents=True)

    def words(
        another_card: bool,
        earlier_copy: bool,
        *,
        elsewhere: bool = False,
        drop: tuple[str, ...] = (),
    ) -> str:
        _failed_run(
            root,
            ["CLIPS/C001.mov"],
            run_record.FastRefused(
                ("CLIPS/C001.mov",), ("/mnt/RAID",), another_card, earlier_copy, elsewhere
            ),
        )
        path = run_record.record_path(root)
        body = json.loads(path.read_text())
        (entry,) = body["cards"]
        assert entry["earlier_copy"] is earlier_copy, body
        assert entry["other_card_copy"] is another_card, body
        assert entry["another_card"] is True, body
        for entry in (body, *body["cards"]):
            for key in drop:
                entry.pop(key, None)
            if drop == ("other_card_copy",):  # as the version before it wrote the key
                entry["another_card"] = another_card
        path.write_text(json.dumps(body))
        said = run_record.unfinished(root) or ""
        assert "--overwrite or" not in said and "--into another folder or --keep-both (" in said
        return said

    assert "(another card's copy holds its name there)" in words(True, False)
    assert "(an earlier take's copy holds its name there)" in words(False, True)
    both = "a copy never to be overwritten holds its name: another card's, or an earlier take's"
    assert both in words(True, True)
    older = ("earlier_copy", "other_card_copy")
    assert both in words(True, False, drop=older)
    assert both in words(False, True, drop=older)
    assert "(an earlier take's copy holds its name there)" in words(
        False, True, drop=("other_card_copy",)
    )
    assert "(another card's copy holds its name there)" in words(
        True, False, drop=("other_card_copy",)
    )
    # Another file's copy never to be overwritten, this one's a plain file: no --overwrite.
    assert (
        "(--overwrite, for the whole run, would replace a copy never to be overwritten that "
        "holds another file's name there)"
    ) in words(False, False, elsewhere=True)
