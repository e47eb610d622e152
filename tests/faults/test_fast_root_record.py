"""A cascade's fast copy root whose record of the run (``.offload/last-run.json``) cannot be
settled ``finished`` (review of the runrec65 merge, M1 and M2).

M1: the card's pass settled the fast roots' records early, then said ``CARD RELEASED … can
be ejected`` though one of them stayed ``running``: the end said "Do not format the card:
cannot record in …", and once the card was put away the re-run the line named, fed from
the other fast copy, settled nothing there (``offload verify`` of that root INCOMPLETE for
good). Now the card is kept, live and at the end, naming that record.

M2: each fast root was settled twice, early and at the end: the early write failing alone
said "cannot record" over a record the second write settled ``finished`` (exit 1, a false
failure); the second failing alone did the same; failing both, the ERROR twice. Now each is
settled once.

Real faults: a FaultyFS fast drive refusing the record's creates (ENOSPC), the real CLI as a
child process, the card on a filesystem of its own (``cards``)."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cards import three_clip_card
from support.cascade_drives import fast_copy_flipped_at_release
from support.faultyfs import FaultyFS
from support.offload_cli import copy_acting_at_release, run_offload

pytestmark = pytest.mark.fault

#: The record's temporary file, created on each write of it: the run's 1st write marks the
#: run ``running``, the 2nd settles the fast root (early, in the card's pass).
RECORD_TMP = "A001/.offload/.last-run.json.*"


def _cascade(
    tmp_path: Path, cards: Path, fs: FaultyFS
) -> tuple[Path, str, dict[str, object], Path]:
    """The card of 3 clips offloaded to the FaultyFS drive and FAST2, cascaded to SLOW: the
    card, the run's words on the terminal (one line each, spaces joined), its JSON report
    and the FaultyFS root's record."""
    card = three_clip_card(cards)
    fast2, slow, reports = tmp_path / "FAST2", tmp_path / "SLOW", tmp_path / "reports"
    fast2.mkdir()
    slow.mkdir()
    done = run_offload(
        "copy", "--report-dir", reports, card, fs.mountpoint, fast2, "--cascade-to", slow
    )
    said = " ".join(done.stderr.split())
    (saved,) = sorted(reports.glob("*.json"))
    data = json.loads(saved.read_text())
    assert data["exit_code"] == done.returncode, said
    return card, said, data, fs.mountpoint / card.name / ".offload" / "last-run.json"


@pytest.mark.timeout(240)
def test_a_fast_root_whose_record_cannot_be_settled_keeps_the_card_live_and_at_the_end(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """M1 (and M2's ERROR said twice): every settle of the FaultyFS root's record refused.
    Failed before: "CARD RELEASED: … can be ejected" live, then "Do not format the card" at
    the end, the JSON's ``cascade.card_released_at`` set beside ``may_format`` false; the
    "cannot record" ERROR in ``folder_errors`` twice."""
    fs = faulty_fs()
    rule = fs.fail("create", errno.ENOSPC, path=RECORD_TMP, nth=2, times=50)
    card, said, data, record = _cascade(tmp_path, cards, fs)
    assert fs.fired(rule) >= 1, said
    fs.clear()
    assert data["exit_code"] == 1, said
    assert "CARD RELEASED" not in said and "can be ejected" not in said, said
    # (Said "read back through a cache" of the FUSE drive's copies, where no cache drops.)
    assert (
        f"CARD PASS DONE: {card} is no longer read; all 3 files are verified on "
        f"{fs.mountpoint}, {tmp_path / 'FAST2'}"
    ) in said, said
    assert (
        f", but the record that this offload finished could not be written on {fs.mountpoint} "
        "(the ERROR line says why): keep the card; once that is mended, the same `offload "
        "copy` again with the card records the finish."
    ) in said, said
    assert "Do not format the card: cannot record in" in said, said
    assert data["cascade"]["card_released_at"] is None, data["cascade"]
    assert data["cascade"]["fast_copies_unrecorded"] == [0], data["cascade"]
    assert data["card_release"]["may_format"] is False, data["card_release"]
    unsettled = [e for e in data["folder_errors"] if "that this offload finished" in e]
    assert len(unsettled) == 1, data["folder_errors"]
    assert said.count("cannot record in") == 1 + said.count("Do not format the card: cannot"), said
    assert "the card NOT released: every file is on the fast destinations, but the record" in said
    (page,) = (tmp_path / "reports").glob("*.html")
    html = " ".join(page.read_text().split())
    assert (
        "the card NOT released: every file is on the fast destinations, but the record that "
        "this offload finished could not be written on destination 1, so the card is still "
        "needed to record it"
    ) in html, html
    assert json.loads(record.read_text())["cards"][0]["state"] == "running"
    # As the words say: the same command again with the card records the finish.
    again = run_offload("copy", "--report-dir", tmp_path / "again", card, fs.mountpoint,
                        tmp_path / "FAST2", "--cascade-to", tmp_path / "SLOW")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(record.read_text())["cards"][0]["state"] == "finished"


@pytest.mark.timeout(240)
@pytest.mark.parametrize("nth", [2, 3], ids=["early-write-fails", "a-later-write-fails"])
def test_a_fast_root_is_settled_once(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS], nth: int
) -> None:
    """M2: one write of the FaultyFS root's record refused, the 2nd (the card's pass's
    settle) or the 3rd (a second settle at the end). Failed before: with the 2nd refused
    the end's write settled it ``finished`` yet the run said "cannot record … keep the card",
    exit 1; with the 3rd refused, the same over the card's pass's ``finished``. Now the
    record is written once: refused, it stays ``running`` and the run says so; the 3rd
    never asked for, exit 0."""
    fs = faulty_fs()
    rule = fs.fail("create", errno.ENOSPC, path=RECORD_TMP, nth=nth, times=1)
    _card, said, data, record = _cascade(tmp_path, cards, fs)
    fired = fs.fired(rule)
    fs.clear()
    state = json.loads(record.read_text())["cards"][0]["state"]
    unsettled = [e for e in data["folder_errors"] if "that this offload finished" in e]
    if nth == 2:
        assert fired == 1, said
        assert state == "running", said
        assert data["exit_code"] == 1 and len(unsettled) == 1, said
    else:
        assert fired == 0, said
        assert state == "finished", said
        assert data["exit_code"] == 0 and not unsettled, said
        assert "CARD RELEASED" in said, said


@pytest.mark.timeout(240)
def test_a_fast_root_whose_copy_the_cascade_finds_changed_is_settled_again(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """M2's fix settles a fast root once, but not blindly: a fast copy changed after the
    card's release (a byte flipped while the slow drive's writes wait) is found by the
    cascade, which revokes its ledger entry; the record the card's pass settled
    ``finished`` would then vouch for a copy root missing a verified copy. It is settled
    again, ``failed``, naming the file. (Failed with
    the first form of the M2 fix, which skipped every fast root at the end: ``finished``.)"""
    run = fast_copy_flipped_at_release(tmp_path, cards, faulty_fs)
    assert "can be ejected" in run.released and run.code == 1, f"{run.code}: {run.rest}"
    entry = json.loads((run.fast / run.card.name / ".offload" / "last-run.json").read_text())
    assert entry["cards"][0]["state"] == "failed", entry
    assert entry["cards"][0]["failed"] == ["CLIPS/A001C001.mov"], entry


@pytest.mark.timeout(240)
@pytest.mark.parametrize("refused", ["create", "create-and-write"])
def test_a_fast_root_whose_failed_settle_is_refused_never_stays_finished(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS], refused: str
) -> None:
    """The fast root settled ``finished`` in the card's pass, a copy of it then removed
    while the slow drive's first write waits, which the cascade finds and revokes; its
    ``failed`` settle at the end cannot make its temporary (the record's 3rd create on,
    ENOSPC). Failed before: the settle's error was dropped unsaid, and the record still
    said ``finished`` of a copy root missing a verified copy. Now the record is written
    over in place (it says less), ``failed`` naming the file; where that write is refused
    too, the run says so, an ERROR naming the record, which is left whole (review of
    runrec66, M2: it was truncated first, so the record was empty, the other cards' entries
    lost, and the same command the ERROR advised was refused on it): that advice, followed,
    copies the file anew and records the finish."""
    card = three_clip_card(cards)
    fast, slow = faulty_fs(), faulty_fs()
    reports = tmp_path / "reports"
    rules = [fast.fail("create", errno.ENOSPC, path=RECORD_TMP, nth=3, times=50)]
    if refused == "create-and-write":
        record_at = f"{card.name}/.offload/last-run.json"
        rules.append(fast.fail("write", errno.ENOSPC, path=record_at, times=50))
    stalled = slow.stall("write", path=f"{card.name}/CLIPS/*.mov")

    def remove_a_fast_copy(_process: object) -> None:
        slow.wait_stalled(stalled, timeout_s=60)
        (fast.mountpoint / card.name / "CLIPS" / "A001C002.mov").unlink()
        slow.release(stalled)

    argv = ["--report-dir", str(reports), str(card), str(fast.mountpoint)]
    argv += ["--cascade-to", str(slow.mountpoint)]
    # (The FUSE drive's copies are read back through a cache: the card is kept, and its
    # pass's end is the line awaited.)
    passed, rest, code = copy_acting_at_release(
        *argv, at_release=remove_a_fast_copy, line_starts="CARD PASS DONE"
    )
    said = " ".join(rest.split())
    assert passed and code == 1, f"{code}: {said}"
    assert all(fast.fired(rule) >= 1 for rule in rules), said
    fast.clear()
    record = fast.mountpoint / card.name / ".offload" / "last-run.json"
    unrecorded = f"cannot record in {record} that this offload did not finish there"
    if refused == "create":
        entry = json.loads(record.read_text())["cards"][0]
        assert entry["state"] == "failed", entry
        assert entry["failed"] == ["CLIPS/A001C002.mov"], entry
        assert unrecorded not in said, said
    else:
        assert json.loads(record.read_text())["cards"][0]["state"] == "finished"
        assert unrecorded in said, said
        assert "that record still says it finished" in said, said
        assert "keep the card" in said.split(unrecorded)[1], said
        # The advice: once the drive takes the write, the same command again.
        again = run_offload("copy", *argv)
        words = " ".join(again.stderr.split())
        assert again.returncode == 0, words
        entry = json.loads(record.read_text())["cards"][0]
        assert entry["state"] == "finished", entry
        checked = run_offload("verify", fast.mountpoint / card.name)
        words = " ".join(checked.stdout.split() + checked.stderr.split())
        assert checked.returncode == 0 and "INCOMPLETE" not in words, words
        return
    checked = run_offload("verify", fast.mountpoint / card.name)
    words = " ".join(checked.stdout.split() + checked.stderr.split())
    assert checked.returncode == 10 and "INCOMPLETE" in words, words


@pytest.mark.timeout(240)
def test_a_fast_root_settled_failed_early_whose_end_settle_fails_is_worded_so(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Review of runrec66, L4: a fast root whose early settle (in the card's pass) wrote
    ``failed`` (a card read error), then whose end settle could not be written (ENOSPC on
    the record's 3rd create): the run said an ERROR, "that record may still say it
    finished", though it says ``failed``. Now a warning that it still says this offload
    did not finish there (INCOMPLETE, as it would have). Failed before: that ERROR."""
    card_fs, fast = faulty_fs(), faulty_fs()
    card = three_clip_card(card_fs.mountpoint)
    card_fs.fail("read", path="A001/CLIPS/A001C002.mov", times=50)
    rule = fast.fail("create", errno.ENOSPC, path=RECORD_TMP, nth=3, times=50)
    slow, reports = tmp_path / "SLOW", tmp_path / "reports"
    slow.mkdir()
    done = run_offload("copy", "--report-dir", reports, card, fast.mountpoint, "--cascade-to", slow)
    said = " ".join(done.stderr.split())
    assert done.returncode == 1 and fast.fired(rule) >= 1, said
    fast.clear()
    card_fs.clear()
    record = fast.mountpoint / card.name / ".offload" / "last-run.json"
    assert json.loads(record.read_text())["cards"][0]["state"] == "failed"
    assert f"cannot record in {record} how this offload ended there" in said, said
    assert "it still says this offload did not finish there" in said, said
    assert "that this offload did not finish there" not in said, said
    assert "still say it finished" not in said, said
