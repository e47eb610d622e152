"""A cascade whose fast copy an earlier run verified (trusted from its ledger, not read back
by this run): the card is released only on a copy this run proved, by reading it back or
by the cascade's read of it matched to the card's digests; a fast copy the cascade finds
changed loses its ledger's trust. Real files, the real CLI as a child process, the copy
tampered with for real and its date given back (``os.utime``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from offload import cascade_unsettled
from offload.card import OffloadOptions, offload
from offload.cascade_unsettled import unsettled
from offload.engine.cancel import CancelToken
from offload.events import CardReleased, Event
from offload.ledger import Ledger
from offload.report.summary import verdict_lines
from support.cards import ledger_sees_no_write, three_clip_card
from support.offload_cli import run_offload

CLIP = "CLIPS/A001C002.mov"


class Run(NamedTuple):
    code: int
    events: list[dict[str, Any]]  # its JSON lines (``--json``), else none
    err: str  # its stderr, joined into one line (the terminal's words, unwrapped)
    report: dict[str, Any]  # the job report it wrote
    html: str  # the HTML report beside it, its text


def _copy(tmp_path: Path, *args: str | Path, json_lines: bool = False) -> Run:
    """``offload copy`` as a child process (with ``--json`` when *json_lines*)."""
    reports = tmp_path / "reports"
    before = set(reports.glob("*.json"))
    done = run_offload("copy", *(["--json"] if json_lines else []), "--report-dir", reports, *args)
    events = [json.loads(line) for line in done.stdout.splitlines()] if json_lines else []
    (written,) = set(reports.glob("*.json")) - before
    return Run(
        done.returncode,
        events,
        " ".join(done.stderr.split()),
        json.loads(written.read_text()),
        " ".join(written.with_suffix(".html").read_text().split()),
    )


def _tamper(path: Path) -> None:
    """Change a byte of *path* and give it back its dates: the ledger's size and date still
    match, only a read finds it (and, as bit rot, its change time: ``ledger_sees_no_write``)."""
    st = path.stat()
    with open(path, "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0x5A]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    ledger_sees_no_write(path, st.st_ctime_ns)


def _statuses(data: dict[str, Any], path: str) -> dict[int, str]:
    (entry,) = [f for f in data["files"] if f["path"] == path]
    return {d["index"]: d["status"] for d in entry["destinations"]}


def _fast_copy_of_an_earlier_run(tmp_path: Path, cards: Path) -> tuple[Path, Path, Path]:
    """A card offloaded to RAID by an earlier run (no cascade): the card, RAID and an empty
    SHUTTLE."""
    card = three_clip_card(cards)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    first = _copy(tmp_path, card, fast)
    assert first.code == 0, first.err
    return card, fast, slow


@pytest.mark.parametrize("json_lines", [False, True], ids=["terminal", "json"])
def test_a_fast_copy_changed_since_an_earlier_run_never_releases_the_card(
    tmp_path: Path, cards: Path, json_lines: bool
) -> None:
    """QA: the fast copy made by an earlier run, one clip tampered with since (its date
    given back); the cascade run trusted it from the ledger, printed CARD RELEASED and wrote
    ``without_card: true``, then found it changed. Now the card's pass withholds the release
    (the copy was not read back by this run), the cascade's read finds the clip changed, and
    no line, event or report says the card was released; no record of the card's pass is
    left on that copy. Failed before: "CARD RELEASED ... can be ejected" on the terminal, the
    ``card_released`` line's ``without_card`` true, the report's ``card_released_at`` set."""
    card, fast, slow = _fast_copy_of_an_earlier_run(tmp_path, cards)
    _tamper(fast / card.name / CLIP)

    run = _copy(tmp_path, card, fast, "--cascade-to", slow, json_lines=json_lines)
    assert run.code == 1, run.err
    if json_lines:
        released = [e for e in run.events if e["event"] == "card_released"]
        assert len(released) == 1, released  # no release after the cascade either
        assert not released[0]["without_card"], released[0]
        assert released[0]["files_verified_earlier"] == 3, released[0]
        assert not released[0]["after_cascade"], released[0]
    else:
        assert "CARD RELEASED" not in run.err and "can be ejected" not in run.err, run.err
        assert (
            f"CARD PASS DONE: {card} is no longer read; all 3 files are verified on {fast}, all "
            "by an earlier run only (trusted from its ledger, not read back now): keep the card "
            "until the cascade has read them again" in run.err
        ), run.err
        # The cascade's sentence: not released, and why.
        assert "the card NOT released" in run.err and "failed when the cascade read it" in run.err
        assert "The card was released" not in run.err, run.err
        assert "the card NOT released" in run.html and "failed when the cascade read it" in run.html
    assert not (fast / card.name / ".offload" / "cascade-card.json").exists()
    cascade = run.report["cascade"]
    assert cascade["card_released_at"] is None and not cascade["card_released_after_reread"]
    # The changed copy failed on the fast destination and was not cascaded; the others were.
    assert _statuses(run.report, CLIP) == {0: "failed", 1: "failed"}, run.report["files"]
    assert not (slow / card.name / CLIP).exists()
    for other in ("CLIPS/A001C001.mov", "CLIPS/A001C003.mov"):
        assert _statuses(run.report, other) == {0: "verified_earlier", 1: "verified"}


def test_a_fast_copy_found_changed_by_the_cascade_is_not_trusted_again(
    tmp_path: Path, cards: Path
) -> None:
    """The copy the cascade found changed loses its ledger's trust (revoked): the same
    command again reads it back instead of calling it verified earlier, and refuses it (its
    content is not the card's), naming --overwrite; --overwrite then replaces it from the
    card and the slow destination gets the card's clip. Failed before: the re-run trusted it
    again ("verified earlier" on the fast destination) and released the card on it."""
    card, fast, slow = _fast_copy_of_an_earlier_run(tmp_path, cards)
    _tamper(fast / card.name / CLIP)
    assert _copy(tmp_path, card, fast, "--cascade-to", slow).code == 1

    run = _copy(tmp_path, card, fast, "--cascade-to", slow, json_lines=True)
    assert run.code == 1, run.err
    trusted = [
        e
        for e in run.events
        if e["event"] == "file_verified_earlier" and e.get("relative_path") == CLIP
    ]
    assert not trusted, trusted  # read back, never "verified earlier"
    released = [e for e in run.events if e["event"] == "card_released"]
    assert [(e["without_card"], e["files_failed"]) for e in released] == [(False, 1)], released
    assert _statuses(run.report, CLIP) == {0: "failed", 1: "failed"}, run.report["files"]
    (entry,) = [f for f in run.report["files"] if f["path"] == CLIP]
    error = " ".join(str(entry["destinations"][0]["error"]).split())
    assert "--overwrite" in error, error
    assert not (slow / card.name / CLIP).exists()

    run = _copy(tmp_path, "--overwrite", card, fast, "--cascade-to", slow)
    assert run.code == 0, run.err
    assert _statuses(run.report, CLIP) == {0: "verified", 1: "verified"}, run.report["files"]
    assert (fast / card.name / CLIP).read_bytes() == (card / CLIP).read_bytes()
    assert (slow / card.name / CLIP).read_bytes() == (card / CLIP).read_bytes()


@pytest.mark.parametrize("json_lines", [False, True], ids=["terminal", "json"])
def test_an_untouched_fast_copy_is_released_once_the_cascade_has_read_it(
    tmp_path: Path, cards: Path, json_lines: bool
) -> None:
    """The fast copy made by an earlier run, untouched: the card's pass withholds the release
    (nothing of it read back by this run), the cascade reads every clip of it to feed the
    slow destination and finds each equal to the card's digests, and the card is released
    then: a second ``card_released`` (``after_cascade``) after the slow destination's copies,
    ``CARD RELEASED`` after the cascade, the record of the card's pass written there, the
    report's ``card_released_after_reread``. Failed before: the first ``card_released``
    already said ``without_card`` true, on copies this run had not read."""
    card, fast, slow = _fast_copy_of_an_earlier_run(tmp_path, cards)

    run = _copy(tmp_path, card, fast, "--cascade-to", slow, json_lines=json_lines)
    assert run.code == 0, run.err
    if json_lines:
        names = [e["event"] for e in run.events]
        released = [i for i, name in enumerate(names) if name == "card_released"]
        assert [
            (run.events[i]["without_card"], run.events[i]["after_cascade"]) for i in released
        ] == [(False, False), (True, True)], [run.events[i] for i in released]
        on_slow = [
            i
            for i, e in enumerate(run.events)
            if e["event"] == "file_verified" and e["destination_index"] == 1
        ]
        assert len(on_slow) == 3 and released[0] < min(on_slow) and max(on_slow) < released[1]
    else:
        assert f"CARD PASS DONE: {card} is no longer read" in run.err, run.err
        assert (
            f"CARD RELEASED: {card} can be ejected: all 3 files are verified on {fast}, the 3 an "
            "earlier run verified now read again by the cascade and equal to the card's digests."
            in run.err
        ), run.err
        assert run.err.index("CARD PASS DONE") < run.err.index("CARD RELEASED")
        assert "once the cascade had read the fast copies an earlier run verified" in run.err
        assert "once the cascade had read the fast copies an earlier run verified" in run.html
    record = json.loads((fast / card.name / ".offload" / "cascade-card.json").read_text())
    assert record["card"] == str(card) and record["files"] == 3, record
    cascade = run.report["cascade"]
    assert cascade["card_released_after_reread"] and cascade["card_released_at"], cascade


def test_the_dry_run_says_a_copy_verified_earlier_releases_the_card_only_once_read(
    tmp_path: Path,
    cards: Path,
) -> None:
    """``--dry-run`` of the cascade over a fast copy an earlier run verified says when the
    card would be released: once the cascade has read that copy (or with --reverify), not
    "once those are verified" alone. Failed before: the line and JSON promised the release
    at the end of the card's pass, which the run no longer makes on such a copy."""
    card, fast, slow = _fast_copy_of_an_earlier_run(tmp_path, cards)
    args = ("copy", "--dry-run", card, fast, "--cascade-to", slow)
    said = " ".join(run_offload(*args).stderr.split())
    assert "releases it only once the cascade has read it" in said, said
    plan = json.loads(run_offload(*args, "--json").stdout)
    assert "releases it only once the cascade has read it" in plan["cascade"]["card_released"]


def test_reverify_reads_the_fast_copy_back_in_the_cards_pass_and_releases_the_card(
    tmp_path: Path,
    cards: Path,
) -> None:
    """What the withheld release's line offers works: with --reverify the card's pass reads
    the fast copy back (the changed clip found wrong and copied again from the card), so the
    card is released at the end of its pass, and the slow destination gets the card's clip."""
    card, fast, slow = _fast_copy_of_an_earlier_run(tmp_path, cards)
    _tamper(fast / card.name / CLIP)
    run = _copy(tmp_path, "--reverify", card, fast, "--cascade-to", slow, json_lines=True)
    assert run.code == 0, run.err
    released = [e for e in run.events if e["event"] == "card_released"]
    assert [(e["without_card"], e["after_cascade"]) for e in released] == [(True, False)]
    assert (fast / card.name / CLIP).read_bytes() == (card / CLIP).read_bytes()
    assert (slow / card.name / CLIP).read_bytes() == (card / CLIP).read_bytes()


def test_a_cascade_cancelled_before_it_read_the_copies_verified_earlier_keeps_the_card(
    tmp_path: Path,
    cards: Path,
) -> None:
    """The fast copy made by an earlier run, the run cancelled as its card's pass ends (at
    the withheld release, before the cascade read anything): the card is not released, and
    the sentence says how many copies this run did not read and that the cascade was
    cancelled. Failed before: released at the end of the card's pass (``card_released_at``
    set), on copies nothing had read."""
    card, fast, slow = _fast_copy_of_an_earlier_run(tmp_path, cards)
    cancel = CancelToken()

    class StopAtTheCardPass:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                cancel.cancel()

    options = OffloadOptions(cascade=frozenset({1}))
    report = offload(card, [fast, slow], options=options, sink=StopAtTheCardPass(), cancel=cancel)
    assert report.exit_code == 130
    assert report.card_released_at is None and not report.card_released_after_reread
    assert report.cascade_unproven == 3, report.cascade_unproven
    assert not (fast / card.name / ".offload" / "cascade-card.json").exists()
    (words,) = [line for line in verdict_lines(report) if "card's pass" in line]
    assert "the card NOT released: 3 files on the fast destinations were verified by an " in words
    assert words.endswith(f"the cascade to {slow} was cancelled."), words


def test_the_fast_copies_the_cascade_read_are_said_read_again_row_by_row(
    tmp_path: Path, cards: Path
) -> None:
    """Both drives hold the card from an earlier run; two clips are gone from SHUTTLE since.
    The cascade reads those two of RAID (equal to the card's digests) to feed SHUTTLE, not
    the third, which SHUTTLE holds: the card is not released after the cascade, and each
    row says what happened to that copy. Failed before: every row of RAID said "not
    re-read" (the destination as a whole was not read), beside a release sentence counting
    one file not read again."""
    card = three_clip_card(cards)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    first = _copy(tmp_path, card, fast, slow)
    assert first.code == 0, first.err
    clips = sorted(p.relative_to(card).as_posix() for p in (card / "CLIPS").iterdir())
    for relative in clips[:2]:
        (slow / card.name / relative).unlink()
    run = _copy(tmp_path, card, fast, "--cascade-to", slow)
    assert run.code == 0, run.err
    rows = {
        f["path"]: next(d for d in f["destinations"] if d["index"] == 0)
        for f in run.report["files"]
    }
    for relative in clips[:2]:
        assert rows[relative]["status"] == "verified_earlier", rows[relative]
        assert rows[relative]["action"] == "rechecked", rows[relative]
    assert rows[clips[2]]["action"] == "trusted", rows[clips[2]]
    said = run.html.replace("&#x27;", "'")
    assert said.count("; read again now by the cascade, equal to the card's digests)") == 2, said
    assert "4 earlier (2 read again now by the cascade, 2 not re-read)" in run.err, run.err


def test_the_cascades_mark_covers_the_fast_copies_verified_by_an_earlier_run(
    tmp_path: Path, cards: Path
) -> None:
    """The mark a cascade leaves on a fast copy root while it runs must cover the entries it
    feeds from, those of an earlier run too: were the drive to go mid-cascade, a re-run must
    read those copies back. Failed before: the span began when this run started, after the
    earlier run recorded its entries."""
    card, fast, slow = _fast_copy_of_an_earlier_run(tmp_path, cards)
    seen: list[bool] = []

    class LookAtTheMark:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                root = fast / card.name
                marked = cascade_unsettled.spans(root)
                entries = Ledger(root).load().values()
                seen.append(bool(marked) and all(unsettled(e, marked) for e in entries))

    options = OffloadOptions(cascade=frozenset({1}))
    report = offload(card, [fast, slow], options=options, sink=LookAtTheMark())
    assert report.exit_code == 0
    assert seen and seen[0]  # at the first release said (the mark is settled by a later one)
