"""What a cascade's lines and reports say, each true of what the run did (QA of the
thirty-eighth pass).

A cascade over a fast copy an earlier run verified (trusted from its ledger): the card's
pass withholds the release, the cascade reads every copy there to feed the slow drive, finds
each equal to the card's digests, and releases the card. Every line that counts those copies
then says they were read again now by the cascade, as their rows, the destination's result
and ``CARD RELEASED`` say, never "not re-read": the verdict of a run whose slow drive was
lost (no byte written: "no new copy completed: …") and of one stopped by SIGTERM mid-cascade
(CANCELLED, exit 130), on the terminal, in the HTML and in the PDF; and the card release
says when the card was released (after the cascade's read, not "at its pass").

A fast drive failing every write (EIO, lost) beside another holding every file: the card's
pass counts each fast destination apart, never "0 files verified on" both, and the HTML
and PDF say which fast copy fed the slow one. A fast copy
removed, or failing its read (EIO), once the card was released: the cascade's sentence
gives the remedy a plain re-run with the card is, never "--overwrite" (nothing there to
replace, or a copy the re-run reads back and keeps).

Real parts: the real CLI as a child process, a FaultyFS drive failing its writes (EIO),
holding its renames until the signal is sent, or holding its first clip's create (then
EIO) until inotify has seen the cascade read each fast copy to its close."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import select
import signal
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from report.helpers import pdf_words
from support.cards import three_clip_card
from support.cascade_drives import fast_copy_flipped_at_release
from support.faultyfs import FaultyFS, signalled_at_stall
from support.offload_cli import copy_acting_at_release, newest_html_words, run_offload

pytestmark = pytest.mark.fault

READ_AGAIN = "read again now by the cascade"
_IN_ACCESS, _IN_CLOSE_NOWRITE = 0x00000001, 0x00000010  # inotify(7)


def _verified_by_an_earlier_run(tmp_path: Path, cards: Path) -> tuple[Path, Path, Path]:
    """A card of 3 clips offloaded to RAID by an earlier run (no cascade): the card, RAID
    and the report folder."""
    card = three_clip_card(cards)
    fast, reports = tmp_path / "RAID", tmp_path / "reports"
    fast.mkdir()
    first = run_offload("copy", "--report-dir", reports, card, fast)
    assert first.returncode == 0, first.stderr
    return card, fast, reports


def _documents(reports: Path) -> tuple[dict[str, Any], str, str]:
    """The newest run's JSON report, and its HTML's and PDF's words."""
    newest = max(reports.glob("*.json"))
    html = newest_html_words(reports)
    pdf = pdf_words({"pdftotext": "pdftotext"}, newest.with_suffix(".pdf"))
    return json.loads(newest.read_text()), html, pdf


class _Reads:
    """The files of one folder read to their close since this was made (Linux inotify:
    an ``IN_CLOSE_NOWRITE`` after an ``IN_ACCESS``, by any process: here the one offload
    that reads them), counted by name."""

    def __init__(self, folder: Path) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self._fd >= 0, os.strerror(ctypes.get_errno())
        self.folder = folder
        self.read: dict[str, int] = {}
        self._accessed: set[str] = set()
        mask = _IN_ACCESS | _IN_CLOSE_NOWRITE
        assert libc.inotify_add_watch(self._fd, os.fsencode(folder), mask) >= 0

    def wait(self, names: list[str], process: subprocess.Popen[str]) -> None:
        """Block until each of *names* was read to its close once; fail once *process* has
        exited first, or nothing was read there for 30 s (a way missed, never waited out)."""
        while any(not self.read.get(name) for name in names):
            assert process.poll() is None, f"the run ended first: {self.read}"
            ready, _, _ = select.select([self._fd], [], [], 30.0)
            assert ready, f"no file of {self.folder} read for 30 s: {self.read}"
            data = os.read(self._fd, 1 << 16)
            at = 0
            while at < len(data):
                _wd, mask, _cookie, size = struct.unpack_from("iIII", data, at)
                name = data[at + 16 : at + 16 + size].rstrip(b"\0").decode()
                at += 16 + size
                if mask & _IN_ACCESS:
                    self._accessed.add(name)
                elif mask & _IN_CLOSE_NOWRITE and name in self._accessed:
                    self._accessed.discard(name)
                    self.read[name] = self.read.get(name, 0) + 1

    def close(self) -> None:
        os.close(self._fd)


def test_the_slow_drive_lost_the_copies_read_by_the_cascade_are_said_read_again(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Failed before: "NOT ALL VERIFIED: … no new copy completed: 3 verified earlier (not
    re-read)" and "Do not format the card: … (the card was released at its pass)" beside
    the CARD RELEASED line that said the card was released once the cascade had read them."""
    card, fast, reports = _verified_by_an_earlier_run(tmp_path, cards)
    slow = faulty_fs()
    # The slow drive fails the create of its first clip (EIO: lost), held until the cascade
    # has read every fast copy whole. Before, every write failed: the record of the run,
    # written as it starts, failed, and the cascade's writer said the drive lost as it took
    # its first file, while the cascade's reader was reading the fast copies: on a loaded
    # machine before it had read them, so none was proved (no release after the cascade,
    # fast_copies_reread [], the test failing). Held, the loss comes once they are read.
    held = slow.stall("create", path=f"{card.name}/CLIPS/*", then_errno=errno.EIO)
    clips = sorted(p.name for p in (fast / card.name / "CLIPS").iterdir())
    reads = _Reads(fast / card.name / "CLIPS")
    command = [sys.executable, "-m", "offload.cli.offload", "copy", "--report-dir", str(reports)]
    argv = [*command, str(card), str(fast), "--cascade-to", str(slow.mountpoint)]
    env = {**os.environ, "COLUMNS": "200"}
    try:
        with subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        ) as process:
            try:
                slow.wait_stalled_while_working(held, process)
                # Each fast copy read to its close by the cascade: the reader then gives the
                # file's digests (what proves it), straight after, without a look at the
                # destinations.
                reads.wait(clips, process)
            finally:
                slow.release(held)
            out, err = process.communicate(timeout=120)
    finally:
        reads.close()
    done = subprocess.CompletedProcess(argv, process.returncode, out, err)
    said = " ".join(done.stderr.split())
    assert done.returncode == 1, said
    data, html, pdf = _documents(reports)
    assert data["cascade"]["fast_copies_reread"] == [0], data["cascade"]
    assert f"no new copy completed: 3 verified earlier ({READ_AGAIN}), 3 copies failed" in said
    assert "not re-read" not in said, said
    release = (
        "every file is verified on destination 1 (the card was released once the cascade had "
        "read the fast copies an earlier run verified and found them equal to the card's "
        "digests), so the same command finishes destination 2 from it without the card"
    )
    for words in (said, html, pdf):
        assert release in words, words
        assert "released at its pass" not in words, words


def test_a_cascade_stopped_after_its_read_says_the_copies_read_again(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """SIGTERM once the cascade has read RAID's copies and written the slow drive's (its
    renames held): exit 130. Failed before: "CANCELLED: … (3 copies now, 3 verified earlier:
    not re-read)" on the terminal, "the copies: 3 verified now, 3 verified earlier (trusted
    from the ledger, not re-read)" at the top of the HTML and PDF."""
    card, fast, reports = _verified_by_an_earlier_run(tmp_path, cards)
    slow = faulty_fs()
    # The clips' renames: not the last run's record's (.offload/last-run.json), renamed in
    # as the run starts, before the cascade has read anything.
    held = slow.stall("rename", path=f"{card.name}/CLIPS/*")
    command = [sys.executable, "-m", "offload.cli.offload", "copy", "--report-dir", str(reports)]
    done = signalled_at_stall(
        slow,
        held,
        [*command, str(card), str(fast), "--cascade-to", str(slow.mountpoint)],
        signal.SIGTERM,
        cwd=tmp_path,
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 130, said
    data, html, pdf = _documents(reports)
    assert data["cascade"]["fast_copies_reread"] == [0], data["cascade"]
    assert f"(3 copies now, 3 verified earlier: {READ_AGAIN})" in said, said
    assert "not re-read" not in said, said
    # The terminal's words (``cascade_words.earlier_how``), one wording everywhere.
    verdict = (
        "CANCELLED: the offload did not finish; the copies: 3 verified now, 3 verified earlier "
        f"({READ_AGAIN})"
    )
    for words in (html, pdf):
        assert verdict in words, words
        assert "not re-read" not in words, words


def test_a_fast_drive_failing_beside_one_holding_every_file_is_counted_apart(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """FUSE fails every write of the card (lost), EXT4 holds every file verified, SLOW is
    fed from it. Failed before: "CARD PASS DONE: … 0 files verified on FUSE, EXT4, 3 FAILED
    there" and "with 3 files not verified on the fast destinations: keep the card and re-run
    with it to copy them" of files EXT4 and SLOW hold verified; the HTML and PDF did not
    say SLOW was fed from EXT4."""
    card = three_clip_card(cards)
    fuse = faulty_fs()
    fuse.fail("write", errno.EIO, path=f"{card.name}/*")
    ext4, slow, reports = tmp_path / "EXT4", tmp_path / "SLOW", tmp_path / "reports"
    ext4.mkdir()
    slow.mkdir()
    done = run_offload(
        "copy", "--report-dir", reports, card, fuse.mountpoint, ext4, "--cascade-to", slow
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 1, said
    assert (
        f"CARD PASS DONE: {card} is no longer read; 0 files verified on {fuse.mountpoint}, 3 "
        f"FAILED there; 3 files verified on {ext4}. Keep the card to retry them; each is "
        f"cascaded from a fast copy that holds it. Now feeding {slow} from those copies." in said
    ), said
    sentence = (
        "with 3 files failed on a fast destination, each held on another: keep the card and "
        f"re-run with it to copy them where they failed; {slow} was then fed from the fast "
        "copies."
    )
    assert sentence in said, said
    _data, html, pdf = _documents(reports)
    assert sentence.replace(str(slow), "destination 3") in html, html
    # Which fast copy fed SLOW, as the JSON's fed_from says (failed before: JSON/CSV only).
    fed = f"3 files read from the fast copy {ext4 / card.name} (not from the card)"
    assert f"<td>{fed}</td>" in html, html
    assert "<td>the card</td>" in html, html  # the fast destinations' column
    assert "Fed from: 3 files read from the fast copy" in pdf, pdf
    for source in sorted((card / "CLIPS").iterdir()):
        assert (slow / card.name / "CLIPS" / source.name).read_bytes() == source.read_bytes()


@pytest.mark.parametrize("fault", ["removed", "removed-after-read", "read-eio", "stat-eio"])
def test_a_fast_copy_removed_or_unreadable_after_the_release_is_mended_by_a_plain_rerun(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS], fault: str
) -> None:
    """After CARD RELEASED a fast copy of a clip is removed before the cascade reads it
    (FUSE's, the copy the cascade reads first), or after (EXT4's, once the slow drive's
    rename of the last clip is held: the cascade read that copy, its end-of-cascade check
    finds it gone), or FUSE's fails its reads (EIO): the cascade feeds SLOW from what it
    can and fails that copy. Failed before: the sentence said "re-run with it and
    --overwrite to replace that copy" (and the read's own ERROR line "--overwrite to
    replace it"), where the same command with the card mends it, as it does here (exit
    0); and, removed after the read (review of revfix4_65, M-C: the flaky half of the
    removed case before, now held), the end check's line said "re-run with the card to
    copy it again", which the headline did not take for the plain re-run's remedy. Its
    ``stat`` failing (EIO) when the cascade comes to it (casc66): said "--overwrite" in its
    line and the sentence, a copy nothing found bad (seen failing before, the cascade's
    stat coming after the fault: see the case's comment). Each copy's JSON
    ``fast_failure`` says which (``results.FastCopyFailure``), what the sentence is decided
    by."""
    card = three_clip_card(cards)
    fuse = faulty_fs()
    ext4, slow, reports = tmp_path / "EXT4", tmp_path / "SLOW", tmp_path / "reports"
    ext4.mkdir()
    clip = f"{card.name}/CLIPS/A001C002.mov"
    after_read = fault == "removed-after-read"
    fast = [str(ext4)] if after_read else [str(fuse.mountpoint), str(ext4)]
    if after_read:
        slow = fuse.mountpoint
    else:
        slow.mkdir()
    # The cascade goes on at once after it prints CARD RELEASED, while this process may not
    # have read that line yet (a loaded machine): FUSE's copy, the first the cascade reads,
    # could be read whole before the fault. So the cascade's opening of it (the card's pass
    # reads its copy back under the partial name, never this one) is held until the fault
    # is made: the fault comes before that read, however late this process is. Removed
    # after the read: the slow drive's rename of the last clip is held, the cascade having
    # read every fast copy before it (in the card's order), and the copy removed then.
    held = (
        fuse.stall("rename", path=f"{card.name}/CLIPS/*A001C003*")
        if after_read
        else fuse.stall("open", path=clip)
    )
    # Its stat failing, or the copy removed before the cascade's read: the cascade stats every
    # fast copy before it opens any, at once after CARD RELEASED. So the cascade's mark on FUSE
    # (``cascade_unsettled``, written after the card's pass, before the release) is held from
    # the start, the fault made while it is held: the cascade's stat comes after the fault,
    # whenever this process reads a line. (Removed: held at the open only, a loaded machine
    # let the stat come before the unlink, the read then finding it gone in its own words.)
    mark = (
        fuse.stall("create", path=f"{card.name}/.offload/.cascade-unsettled.json.*")
        if fault in ("stat-eio", "removed")
        else None
    )

    def at_release(process: subprocess.Popen[str]) -> None:
        if fault == "read-eio":
            fuse.fail("read", errno.EIO, path=clip)
        elif mark is not None:
            fuse.wait_stalled_while_working(mark, process)
            if fault == "stat-eio":
                fuse.fail("getattr", errno.EIO, path=clip)
            else:
                os.unlink(fuse.mountpoint / clip)
            fuse.release(mark)
        elif after_read:
            fuse.wait_stalled_while_working(held, process)
            os.unlink(ext4 / clip)
        fuse.release(held)

    line, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow), str(card), *fast,
        at_release=at_release, line_starts="Offloading " if mark else "CARD RELEASED",
    )  # fmt: skip
    said = " ".join(rest.split())
    assert line and code == 1, line + said
    assert mark is None or "CARD RELEASED" in said, said
    assert "--overwrite to replace" not in said, said  # the advice before, of either copy
    remedy = (
        "check that drive (offload verify), and run the same command again with it, which "
        "reads that copy back: kept if equal to the card, copied anew if gone, refused "
        "(naming --overwrite) if other"
        if fault in ("read-eio", "stat-eio")
        else "keep the card, and run the same command again with it to copy that copy anew"
    )
    assert remedy in said, said
    if after_read:
        gone = "then found gone when the cascade checked the fast copies at its end; run again"
        assert f"{gone} with the card to copy it anew" in said, said
        assert "--overwrite" not in said, said
    if fault == "removed":  # found so by the cascade's read, not by its end check
        assert "when the cascade came to read it; run again with the card" in said, said
    if fault == "stat-eio":  # its stat failed: nothing found bad
        # The cascade's own stat, made after the fault (its mark held till then): never the
        # read's (review of casc66: the open held, the stat came before the fault at times).
        assert "then found unreadable (Input/output error) when the cascade came" in said, said
        assert mark is not None and fuse.fired(mark) >= 1
    elif fault != "removed":  # removed: the cascade's open held, or its lookup after unlink
        assert fuse.fired(held) >= 1  # the cascade's read or the slow rename waited for it
    data, _html, _pdf = _documents(reports)
    (entry,) = [e for e in data["files"] if e["path"] == "CLIPS/A001C002.mov"]
    failed = [copy["fast_failure"] for copy in entry["destinations"] if copy["status"] == "failed"]
    assert failed == ["unreadable" if "eio" in fault else "removed"], entry
    fuse.clear()
    again = run_offload("copy", "--report-dir", reports, card, *fast, "--cascade-to", slow)
    assert again.returncode == 0, again.stderr
    mended = ext4 / clip if after_read else fuse.mountpoint / clip
    assert mended.read_bytes() == (card / "CLIPS" / "A001C002.mov").read_bytes()


def test_a_fast_copy_found_changed_after_the_release_is_mended_as_the_words_say(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A fast copy changed after the card's release (a byte flipped while the slow drive's
    writes wait): the cascade finds it and revokes its ledger entry. The plain re-run with
    the card reads that copy back, finds it other, refuses it (its ERROR line names
    --overwrite). Failed before: that re-run's summary said "keep the card and re-run with it
    to copy it", which refuses it again (exit 1, PARTLY FAILED); and --overwrite mends it."""
    run = fast_copy_flipped_at_release(tmp_path, cards, faulty_fs)
    assert "can be ejected" in run.released, f"{run.code}: {run.rest}"
    assert run.code == 1 and "--overwrite" in run.rest, run.rest
    # Its date changed as the cascade read it (the engine's "changed since it was scanned"),
    # its bytes not compared: a failed read, which the same command reads back (kept if
    # equal, refused naming --overwrite if other), its kind says so; the slow copy's none.
    data, _html, _pdf = _documents(tmp_path / "reports")
    failed = [c for e in data["files"] for c in e["destinations"] if c["status"] == "failed"]
    # (Under load the cascade may read it after the flip's date is back, its bytes then
    # compared: ``changed``; either kind's remedy is the one this test follows.)
    kinds = [c["fast_failure"] for c in failed]
    assert kinds in (["unreadable", None], ["changed", None]), failed
    again = run_offload("copy", *run.argv)
    said = " ".join(again.stderr.split())
    assert again.returncode == 1, said
    errors = [line for line in again.stderr.splitlines() if line.startswith("ERROR: ")]
    assert errors and all("--overwrite" in line for line in errors), errors
    assert "re-run with it to copy it;" not in said, said
    assert (
        "keep the card and re-run with it and --overwrite (it replaces the copy there once the "
        "new one is verified) or --keep-both (the new copy is kept beside it): a different file "
        "holds its name there, so a plain re-run refuses it again" in said
    ), said
    _data, html, pdf = _documents(tmp_path / "reports")
    assert "re-run with it and --overwrite" in html and "re-run with it and --overwrite" in pdf
    # What the words say mends it.
    mended = run_offload("copy", "--overwrite", *run.argv)
    assert mended.returncode == 0, mended.stderr


@pytest.mark.parametrize("size", ["same", "other"])
def test_another_cards_copy_in_the_way_of_a_fast_copy_is_never_said_to_be_overwritten(
    tmp_path: Path, exfat_loop: Any, size: str
) -> None:
    """Two cards (exFAT images, each its own volume serial), both with a folder C9 holding
    a different a0.mov. Card A cascades FAST → SLOW; card B's own command is refused (FAST/C9
    holds card A's offload) naming --into; that command then fails a0.mov on FAST (card A's
    verified copy there). Its ERROR line, the cascade's sentence on the terminal, in the HTML
    and the PDF, and the slow drive's line give --into another folder or --keep-both, never
    --overwrite. Card B's clip of the same size is read back and refused; of another size,
    refused unread by the planner (and by --dry-run, whose cascade line said "--overwrite or
    --keep-both copies it there" before). Failed before: the sentence and the slow drive's
    line said "re-run with it and --overwrite", which replaces card A's verified fast copy
    with card B's."""
    first = exfat_loop(16 << 20, path=tmp_path / "r1" / "A", label="A", serial=0x1A2B3C4D)
    second = exfat_loop(16 << 20, path=tmp_path / "r2" / "B", label="B", serial=0x5E6F7081)
    for card, seed, count in (
        (first.path, b"card one ", 20_000),
        (second.path, b"card two ", 20_000 if size == "same" else 21_000),
    ):
        (card / "C9").mkdir()
        (card / "C9" / "a0.mov").write_bytes(seed * count)
    fast, slow, slow2, reports = (tmp_path / n for n in ("FAST", "SLOW", "SLOW2", "reports"))
    for folder in (fast, slow, slow2):
        folder.mkdir()
    a = run_offload("copy", "--report-dir", reports, first.path / "C9", fast, "--cascade-to", slow)
    assert a.returncode == 0, a.stderr
    card_a_copy = (fast / "C9" / "a0.mov").read_bytes()
    refused = run_offload(
        "copy", "--report-dir", reports, second.path / "C9", fast, "--cascade-to", slow2
    )
    assert refused.returncode == 64 and "--into" in refused.stderr, refused.stderr
    (slow2 / "C9").mkdir()
    dry = run_offload(
        "copy", "--dry-run", "--into", second.path / "C9", fast / "C9", "--cascade-to",
        slow2 / "C9",
    )  # fmt: skip
    dry_said = " ".join((dry.stdout + dry.stderr).split())
    assert "--overwrite" not in dry_said.replace("never --overwrite", ""), dry_said
    into = run_offload(
        "copy",
        "--report-dir",
        reports,
        "--into",
        second.path / "C9",
        fast / "C9",
        "--cascade-to",
        slow2 / "C9",
    )
    said = " ".join(into.stderr.split())
    assert into.returncode == 2, said  # its one file failed everywhere
    errors = [line for line in into.stderr.splitlines() if line.startswith("ERROR")]
    assert errors and any("another card" in line for line in errors), errors
    assert "--overwrite" not in said.replace("never --overwrite", ""), said
    assert "--into another folder (it keeps the two apart) or --keep-both" in said, said
    # Another card's copy, by its kind (``Refusal.ANOTHER_CARD``): never "an earlier take's".
    assert "another card's copy holds its name" in said, said
    assert "earlier take" not in said, said
    _data, html, pdf = _documents(reports)
    for document in (html, pdf):
        assert "--overwrite" not in document.replace("never --overwrite", ""), document
        assert "re-run with it and --into another folder" in document, document
    assert (fast / "C9" / "a0.mov").read_bytes() == card_a_copy


def test_a_fast_copy_read_alike_twice_since_is_not_blamed_on_the_card(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``--verify full`` with the card, the fast drive a FaultyFS whose reads of one clip
    from the third on return a byte flipped (the card's pass reads it back, the cascade's
    copy reads it: both good; the cascade's two re-reads of its source, that fast copy: alike,
    other). The slow copy fails in words for the fast copy (changed on its drive since it
    was read, or that drive returned other bytes), never the engine's "card, reader or
    cable". Failed before: "(card, reader or cable unreliable)" for a fast drive."""
    card = three_clip_card(cards)
    fuse = faulty_fs()
    slow, reports = tmp_path / "SLOW", tmp_path / "reports"
    slow.mkdir()
    clip = "A001C002.mov"
    fuse.flip(100, path=f"*{clip}", op="read", nth=3, times=100)
    done = run_offload(
        "copy", "--verify", "full", "--report-dir", reports, card, fuse.mountpoint,
        "--cascade-to", slow,
    )  # fmt: skip
    said = " ".join(done.stderr.split())
    assert done.returncode == 1, said
    assert "the same on both re-reads" in said, said
    assert "the fast copy changed on its drive since it was read" in said, said
    assert "card, reader or cable" not in said, said
