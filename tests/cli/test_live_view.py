"""The live view renders readably at 80 and 120 columns, and says when it was cancelled."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from rich.console import Console

from offload.cli.live import QUIET_SAID_S, CardQuiet, render
from offload.events import (
    BytesVerified,
    DestinationBytesWritten,
    DestinationLost,
    DestinationNotAnswering,
    DestinationWriting,
    ExistingCopiesChecking,
    FileCancelled,
    FileFailed,
    FileStarted,
    FileVerified,
    FileVerifiedEarlier,
    JobFinished,
    JobStarted,
    OffloadFinished,
    OffloadFinishing,
    OffloadPlanned,
    PhaseChanged,
    SourceBytesRead,
    SourceWaiting,
    WorkPlanned,
)
from offload.progress import ProgressModel

LONG = "/Volumes/a-rather-long-shuttle-drive-name/PRODUCTION/DAY_12/A001R1AB"


def _model() -> ProgressModel:
    model = ProgressModel()
    model.emit(JobStarted(304, 110_323_470, (LONG, "/mnt/RAID1", "/mnt/RAID2"), "full", ("xxh64",)))
    model.emit(FileStarted("CLIPS/A001C001_240501_R1AB.mxf", 1_000_000))
    for index in range(3):
        model.emit(PhaseChanged(index, "CLIPS/A001C001_240501_R1AB.mxf", "verify"))
        model.emit(DestinationBytesWritten(index, 50_000_000))
    return model


def _text(width: int, *, cancelled: bool = False) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    console.print(render(_model().snapshot(), cancelled=cancelled))
    return console.export_text()


def test_live_view_fits_80_columns_without_cutting_headers() -> None:
    for width in (80, 120):
        text = _text(width)
        lines = text.splitlines()
        assert all(len(line) <= width for line in lines), text
        for header in ("destination", "state", "written", "read back", "done", "failed"):
            assert header in text  # never "verif…"
        assert "A001R1AB" in text  # the tail of a long destination is kept
        assert "/mnt/RAID1" in text and "/mnt/RAID2" in text
        assert "50.0 MB" in text
        assert "(" not in text.split("read")[0]  # one size format, no nested parentheses
    assert "current file" in _text(120) and "current file" not in _text(80)


def test_live_view_says_cancelling_without_an_eta() -> None:
    """An ETA has no meaning once a cancel was asked for: nothing is left to copy. Failed
    before: "CANCELLING · ... · ETA --:--" (as if the end were only not known yet)."""
    text = _text(80, cancelled=True)
    assert "CANCELLING" in text and "ETA" not in text, text
    assert "ETA" in _text(80), _text(80)


def _print(renderable: object) -> str:
    console = Console(width=120, record=True, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.export_text()


def test_the_first_frames_show_the_announced_totals() -> None:
    """Before the offload's own plan (the copy roots locked, the existing copies checked)
    the view showed "0/0 files · 0 bytes of 0 bytes" under "Offloading 21 files"."""
    text = _print(render(ProgressModel().snapshot(), planned=(21, 209_700_000)))
    assert "0/21 files" in text and "0 bytes of 209.7 MB read" in text, text


def test_the_finishing_steps_are_named_instead_of_an_eta() -> None:
    model = ProgressModel()
    model.emit(OffloadPlanned(2, ("/mnt/A",), 1_000, (1_000,), (2,)))
    model.emit(JobStarted(2, 1_000, ("/mnt/A",), "full", ("xxh64",)))
    model.emit(OffloadFinishing("manifests"))
    text = _print(render(model.snapshot()))
    assert "writing the manifests…" in text and "ETA" not in text, text
    after = _print(render(model.snapshot(), cancelled=True))
    assert "Ctrl-C after every copy finished: nothing cancelled" in after, after
    assert "CANCEL" not in after, after
    model.emit(OffloadFinished(False))
    model.emit(OffloadFinishing("reports"))
    assert "writing the reports…" in _print(render(model.snapshot())), text


def test_a_cascades_check_of_its_fast_copies_is_named() -> None:
    """A cascade's first ``offload_finishing`` (``checks``): the view says the fast copies
    are being checked, then, at the second (``manifests``), that the manifests are written;
    a Ctrl-C during the check names both steps still to come."""
    model = ProgressModel()
    model.emit(OffloadPlanned(2, ("/mnt/A",), 1_000, (1_000,), (2,)))
    model.emit(JobStarted(2, 1_000, ("/mnt/A",), "full", ("xxh64",)))
    model.emit(OffloadFinishing("checks"))
    text = _print(render(model.snapshot()))
    assert "checking the fast copies…" in text and "manifests" not in text, text
    after = _print(render(model.snapshot(), cancelled=True))
    assert "nothing cancelled; checking the fast copies, then writing the manifests" in after
    model.emit(OffloadFinishing("manifests"))
    text = _print(render(model.snapshot()))
    assert "writing the manifests…" in text and "checking" not in text, text
    # Once the JSON and CSV are written (the view's last frame), nothing is said to go on;
    # a signal that came is still named.
    assert "writing" not in _print(render(model.snapshot(), written=True))
    after = _print(render(model.snapshot(), cancelled=True, written=True))
    assert "nothing cancelled" in after and "writing" not in after, after
    # The signal that came is the one named (``SignalsAfterCopy.words``), never a Ctrl-C
    # for a SIGTERM. Before: "Ctrl-C" whatever came.
    after = _print(render(model.snapshot(), cancelled=True, signal="SIGTERM"))
    assert "SIGTERM after every copy finished: nothing cancelled" in after, after
    assert "Ctrl-C" not in after, after


def test_a_reverify_says_what_it_read_back() -> None:
    """Before: "0/5 files · 0 bytes of 750.0 MB read" while reading back at ~140 MB/s, then
    "0 bytes of 0 bytes" once the offload found nothing left to copy."""
    model = ProgressModel()
    model.emit(ExistingCopiesChecking(5, ("/mnt/A", "/mnt/B"), 750_000_000, (750_000_000,) * 2))
    model.emit(BytesVerified(-1, 150_000_000))
    model.emit(BytesVerified(0, 150_000_000))
    text = _print(render(model.snapshot()))
    assert "300.0 MB of 2.2 GB read back (the copies, and the card to compare)" in text, text
    for index, nbytes in ((-1, 600_000_000), (0, 600_000_000), (1, 750_000_000)):
        model.emit(BytesVerified(index, nbytes))
    model.emit(OffloadPlanned(5, ("/mnt/A", "/mnt/B"), 0, (0, 0), (0, 0)))
    text = _print(render(model.snapshot()))
    # The copies' bytes, the rows' sum, apart from the card's (before: "2.2 GB read back"
    # beside two rows of 750.0 MB: the card's re-read counted as read back).
    assert "1.5 GB read back · 750.0 MB of the card re-read" in text, text
    assert "0 bytes of 0 bytes" not in text, text
    # Each row's "read back" keeps what the check read back there (it said "0 bytes" once
    # the offload's plan came, beside the copies it counted done).
    rows = [line.split() for line in text.splitlines() if "/mnt/" in line]
    assert [row[5:7] for row in rows] == [["750.0", "MB"], ["750.0", "MB"]], text


def _ended_job(*, replace: int = 0, cascaded: tuple[int, ...] = ()) -> ProgressModel:
    """An offload whose first job (2 files on A, none on B when B is cascaded) ended
    uncancelled; *replace*: files a later job copies again on A (copies of ours found wrong)."""
    model = ProgressModel()
    slow = 2 if cascaded else 0
    files = (2 + replace, slow)
    model.emit(OffloadPlanned(2, ("/mnt/A", "/mnt/B"), 1_000, (1_000, 1_000), files, cascaded))
    model.emit(JobStarted(2, 1_000, ("/mnt/A", "/mnt/B"), "full", ("xxh64",)))
    model.emit(WorkPlanned(1_000, (1_000, 0 if cascaded else 1_000), (2, 0 if cascaded else 2)))
    model.emit(JobFinished(0, False))
    return model


def test_a_ctrl_c_after_the_last_job_ended_is_never_called_cancelling() -> None:
    """A Ctrl-C landing between the last job's end and ``OffloadFinishing`` cancels nothing
    (the card layer goes on to the manifests, the run ends verified). Failed before: the
    frame said "CANCELLING" then."""
    text = _print(render(_ended_job().snapshot(), cancelled=True))
    assert "CANCEL" not in text, text
    assert "Ctrl-C after every copy finished: nothing cancelled" in text, text
    # A job still to come (copies of ours found wrong, to copy again; a cascade's feeding of
    # its slow destination): a cancel still stops it.
    for model in (_ended_job(replace=1), _ended_job(cascaded=(1,))):
        text = _print(render(model.snapshot(), cancelled=True))
        assert "CANCELLING" in text and "nothing cancelled" not in text, text


def test_nothing_to_read_names_what_the_earlier_run_proved() -> None:
    """A resume whose copies an earlier ``--verify transfer`` run checked: nothing to read,
    and never "verified earlier" of a copy no run read back. Before: "0 bytes of 0 bytes"."""
    for statuses, words in (
        (("verified_earlier",) * 2, "nothing to read: every copy verified earlier"),
        (("transfer_checked",) * 2, "nothing to read: every copy transfer-checked earlier"),
        (
            ("verified_earlier", "transfer_checked"),
            "nothing to read: every copy proven earlier (1 verified, 1 transfer-checked only",
        ),
    ):
        model = ProgressModel()
        model.emit(OffloadPlanned(2, ("/mnt/A",), 0, (0,), (0,)))
        model.emit(JobStarted(2, 0, ("/mnt/A",), "full", ("xxh64",)))
        text = _print(render(model.snapshot()))
        assert "nothing to read" in text and "0 bytes of 0 bytes" not in text, text
        for index, status in enumerate(statuses):
            model.emit(FileVerifiedEarlier(0, f"f{index}", f"/mnt/A/f{index}", 1.0, "full", status))
        text = _print(render(model.snapshot()))
        assert words in text, text


def test_a_destination_read_again_after_its_job_is_done_once_the_manifests_start() -> None:
    """On fusefat every copy is read again after the job (a ``verify`` phase a copy, after
    ``JobFinished``); once the run goes on to its manifests (``OffloadFinishing``), that
    destination is done, no current file. Failed before: "verify" and the last copy read
    again stood beside it while the manifests and reports were written."""
    model = _ended_job()
    model.emit(PhaseChanged(0, "DCIM/G0010055.JPG", "verify"))
    assert "G0010055.JPG" in _print(render(model.snapshot()))  # shown while it is read
    model.emit(OffloadFinishing("manifests"))
    assert [d.phase for d in model.snapshot().destinations] == ["done", "done"]
    text = _print(render(model.snapshot()))
    assert "G0010055.JPG" not in text and "verify" not in text, text


def test_a_copys_later_outcome_replaces_its_first_and_never_counts_the_file_twice() -> None:
    """The fusefat re-read after the renames gives a copy a second outcome after its
    ``FileVerified`` (a ``FileFailed`` when it changed; a ``FileVerified`` when a
    transfer-checked copy read again is equal): the file was finished already and stays
    finished once. Failed before: each later outcome counted the file finished again
    (``files_finished`` 2 and 3 of 2 files)."""
    model = ProgressModel()
    model.emit(OffloadPlanned(2, ("/mnt/A",), 1_000, (1_000,), (2,)))
    model.emit(JobStarted(2, 1_000, ("/mnt/A",), "transfer", ("xxh64",)))
    for name in ("a.mov", "b.mov"):
        model.emit(FileVerified(0, name, f"/mnt/A/{name}", "transfer_checked"))
    model.emit(JobFinished(0, False))
    model.emit(FileVerified(0, "a.mov", "/mnt/A/a.mov", "verified", {"xxh64": "0" * 16}))
    model.emit(FileFailed(0, "b.mov", "changed after the renames"))
    snap = model.snapshot()
    assert snap.files_finished == 2, snap
    [dest] = snap.destinations
    assert (dest.files_done, dest.files_failed) == (1, 1), dest


def test_a_cancelled_reread_after_the_renames_is_cancelled_to_its_last_frame() -> None:
    """fusefat's re-read after the renames (a ``verify`` phase a copy after the last job
    ended uncancelled, ``card._recheck_after_renames``), stopped by a Ctrl-C: the frame says
    CANCELLING while it stops, then CANCELLED, the destination cancelled with the copies
    not re-read no longer done (their ``FileCancelled``), as the summary's CANCELLED line.
    Failed before: the job's end had made every Ctrl-C one "after every copy finished":
    "nothing cancelled; writing the manifests and reports", never CANCELLED."""
    model = ProgressModel()
    model.emit(OffloadPlanned(2, ("/mnt/FAT",), 1_000, (1_000,), (2,)))
    model.emit(JobStarted(2, 1_000, ("/mnt/FAT",), "full", ("xxh64",)))
    model.emit(WorkPlanned(1_000, (1_000,), (2,)))
    for name in ("a.mov", "b.mov"):
        model.emit(FileVerified(0, name, f"/mnt/FAT/{name}", "verified"))
    model.emit(JobFinished(0, False))
    model.emit(PhaseChanged(0, "a.mov", "verify"))
    text = _print(render(model.snapshot(), cancelled=True))
    assert "CANCELLING" in text and "nothing cancelled" not in text, text
    for name in ("a.mov", "b.mov"):
        model.emit(FileCancelled(0, name, f"/mnt/FAT/{name}", "verified before the renames"))
    model.emit(OffloadFinished(True))
    snap = model.snapshot()
    assert [(d.phase, d.files_done) for d in snap.destinations] == [("cancelled", 0)]
    text = _print(render(snap, cancelled=True))
    assert "CANCELLED" in text and "nothing cancelled" not in text, text
    assert " done " not in text.split("current file")[-1], text


def test_a_cancelled_destinations_failures_outweigh_the_cancel() -> None:
    """A run cancelled after every copy on A failed, one of B's failed and one verified, and
    C's one copy verified: A "failed" and B "partly failed" in red (as the summary's FAILED),
    C "cancelled" in yellow (a file left without an outcome there, none failed). Failed
    before: A "done" in green (every file had its outcome there), B "cancelled"."""
    model = ProgressModel()
    model.emit(OffloadPlanned(2, ("/mnt/A", "/mnt/B", "/mnt/C"), 2_000, (2_000,) * 3, (2,) * 3))
    model.emit(JobStarted(2, 2_000, ("/mnt/A", "/mnt/B", "/mnt/C"), "full", ("xxh64",)))
    for name in ("a.mov", "b.mov"):
        model.emit(FileFailed(0, name, "File too large (EFBIG)"))
    model.emit(FileFailed(1, "a.mov", "does not match the source"))
    model.emit(FileVerified(1, "b.mov", "/mnt/B/b.mov", "verified"))
    model.emit(FileVerified(2, "a.mov", "/mnt/C/a.mov", "verified"))
    model.emit(JobFinished(1, True))
    model.emit(OffloadFinished(True))
    console = Console(width=120, record=True, color_system="truecolor", force_terminal=True)
    console.print(render(model.snapshot(), cancelled=True))
    text = console.export_text(clear=False)
    assert "CANCELLED" in text, text
    rows = {line.split()[1]: line.split()[2:4] for line in text.splitlines()[3:]}
    assert rows["/mnt/A"][0] == "failed" and rows["/mnt/B"] == ["partly", "failed"], text
    assert rows["/mnt/C"][0] == "cancelled", text
    styled = console.export_html(inline_styles=True)
    red, yellow = "#800000", "#808000"  # rich's red and yellow
    for word, colour in (("failed", red), ("partly failed", red), ("cancelled", yellow)):
        assert re.search(f'<span style="color: {colour};[^>]*">{word} *</span>', styled), styled


def test_a_destination_whose_copies_were_only_transfer_checked_is_not_called_done() -> None:
    """Its part done, every copy good, one never read back (this run's transfer check, or
    an earlier run's trusted from the ledger): "transfer-checked", not a green "done". A
    copy read back later (fusefat's re-read after the renames) counts as read back; one
    whose proof the cancel took away counts no more. Failed before: "done" on all three."""
    model = ProgressModel()
    model.emit(JobStarted(2, 2_000, ("/mnt/A", "/mnt/B", "/mnt/C"), "transfer", ("xxh64",)))
    for name in ("a.mov", "b.mov"):
        model.emit(FileStarted(name, 1_000))
        for index in range(3):
            status = "verified" if index == 2 else "transfer_checked"
            model.emit(FileVerified(index, name, f"/mnt/{index}/{name}", status))
    model.emit(FileVerified(0, "a.mov", "/mnt/A/a.mov", "verified"))  # read again: verified
    model.emit(FileVerifiedEarlier(2, "c.mov", "/mnt/C/c.mov", 1.0, "transfer", "transfer_checked"))
    model.emit(FileCancelled(1, "b.mov", "/mnt/B/b.mov", "transfer-checked before the renames"))
    model.emit(JobFinished(cancelled=False, exit_code=0))
    snap = model.snapshot()
    assert [d.files_transfer_checked for d in snap.destinations] == [1, 1, 1]
    text = _print(render(snap))
    rows = [line.split() for line in text.splitlines() if line[:1] in "123" and "/mnt/" in line]
    assert [row[2] for row in rows] == ["transfer-checked"] * 3, text
    assert " done " not in text.split("current file")[1], text


def test_a_destination_trusted_from_its_ledger_says_verified_earlier_not_done() -> None:
    """A copy an earlier run read back, trusted from the ledger and not re-read now, is
    "verified earlier" (its own word and style), never the green "done" of a copy this run
    read back: A (every copy trusted) "verified earlier", B (one trusted, one read back now)
    "verified, partly earlier" (the summary's word: failed before, "verified earlier", which
    says no copy there was read back now), C (read back now) "done", D (trusted, then read
    again after the renames: verified now) "done"; the head line counts the copies verified
    earlier, as the summary's "verified earlier (not re-read)" column. Failed before: four
    green "done"."""
    paths = ("/mnt/A", "/mnt/B", "/mnt/C", "/mnt/D")
    model = ProgressModel()
    model.emit(OffloadPlanned(2, paths, 1_000, (0, 500, 1_000, 0), (0, 1, 2, 0)))
    model.emit(JobStarted(2, 1_000, paths, "full", ("xxh64",)))
    for index, names in ((0, "ab"), (1, "a"), (3, "ab")):
        for name in names:
            model.emit(FileVerifiedEarlier(index, name, f"{paths[index]}/{name}", 1.0, "full"))
    for index, names in ((1, "b"), (2, "ab")):
        for name in names:
            model.emit(FileStarted(name, 500))
            model.emit(FileVerified(index, name, f"{paths[index]}/{name}", "verified"))
    model.emit(JobFinished(0, False))
    for name in "ab":  # read again after the renames (renamed_recheck): verified now
        model.emit(FileVerified(3, name, f"/mnt/D/{name}", "verified"))
    model.emit(OffloadFinishing("manifests"))
    model.emit(OffloadFinished(False))
    snap = model.snapshot()
    assert [d.files_verified_earlier for d in snap.destinations] == [2, 1, 0, 0]
    console = Console(width=120, record=True, color_system="truecolor", force_terminal=True)
    console.print(render(snap))
    text = console.export_text(clear=False)
    rows = {line.split()[1]: " ".join(line.split()[2:5]) for line in text.splitlines()[3:]}
    assert rows["/mnt/A"].startswith("verified earlier "), text
    assert rows["/mnt/B"] == "verified, partly earlier", text
    assert rows["/mnt/C"].split()[0] == rows["/mnt/D"].split()[0] == "done", text
    assert "3 copies verified earlier (not re-read)" in text.splitlines()[1], text
    styled = console.export_html(inline_styles=True)
    green = r'<span style="color: #008000;[^"]*'  # rich's green
    assert re.search(green + r'font-style: italic">verified earlier', styled), styled
    assert re.search(green + r'#008000">done', styled), styled


def test_fast_copies_the_cascade_read_again_are_no_longer_verified_earlier() -> None:
    """A cascade re-run: the fast copies on A and B were verified by an earlier run; the
    cascade read A's again and matched them to the card's digests (``CardReleased``
    ``after_cascade``, ``reread`` A): A's row is "done", as the summary counts its copies
    under "verified earlier, read again by the cascade" and says "ok"; B's, not read, stays
    "verified earlier". Failed before this change: both "verified earlier"."""
    from offload.events import CardReleased

    paths = ("/mnt/A", "/mnt/B", "s3://bucket/A001")
    model = ProgressModel()
    model.emit(OffloadPlanned(1, paths, 0, (0, 0, 0), (0, 0, 0), (2,)))
    model.emit(JobStarted(1, 0, paths, "full", ("xxh64",)))
    for index in (0, 1, 2):
        model.emit(FileVerifiedEarlier(index, "a", f"{paths[index]}/a", 1.0, "full"))
    model.emit(JobFinished(0, False))
    model.emit(
        CardReleased(
            "/card", paths[:2], paths[2:], 1, 0, True, after_cascade=True, reread=(paths[0],)
        )
    )
    model.emit(OffloadFinishing("manifests"))
    model.emit(OffloadFinished(False))
    snap = model.snapshot()
    assert [d.files_verified_earlier for d in snap.destinations] == [0, 1, 1]
    rows = [line.split() for line in _print(render(snap)).splitlines() if "/mnt/" in line]
    assert [" ".join(row[2:4]) for row in rows] == ["done 0", "verified earlier"], rows


def test_lines_printed_from_another_thread_never_leave_a_stale_frame() -> None:
    """The command's warnings are printed above the live view from the engine's threads
    while rich's refresh thread and the command redraw it (``LiveView.print_above``). Here
    a thread prints 200 warnings through the command's printer while this one redraws the
    view 200 times, its height changing every time (a ``REPORT NOT WRITTEN`` line shown,
    then not): the screen, as a terminal shows it (pyte), holds one frame. Failed before
    (the printer's lines drawn outside rich's lock): a redraw between a print's place and
    its drawing left frames behind (under load, ``test_live_terminal``'s failed-copy test
    showed its first frame above the warnings)."""
    import io
    import threading

    import pyte

    from offload.cli.common import Environment
    from offload.cli.live import LiveView
    from offload.cli.offload import _WarningPrinter
    from offload.events import WarningIssued

    model = _model()
    stream = io.StringIO()
    console = Console(file=stream, width=120, force_terminal=True, color_system=None)
    printer = _WarningPrinter(Environment(stderr=stream), console)
    with LiveView(model, console) as view:
        printer.view = view

        def warn() -> None:
            for index in range(200):
                printer.emit(WarningIssued(f"warning {index}"))

        thread = threading.Thread(target=warn)
        thread.start()
        for index in range(200):
            view.reports_written([("a report not written", False, None)] * (index % 2))
        thread.join()
    screen = pyte.Screen(120, 1000)
    pyte.Stream(screen).feed(stream.getvalue().replace("\n", "\r\n"))
    lines = [line.rstrip() for line in screen.display]
    frames = [line for line in lines if " files · " in line]
    assert len(frames) == 1, "\n".join(line for line in lines if line)
    assert [line for line in lines if line.startswith("WARNING: ")] == [
        f"WARNING: warning {index}" for index in range(200)
    ]


def test_a_rate_is_said_only_while_the_card_is_read() -> None:
    """Mid-copy, a rate of 0.0 MB/s is no speed (nothing said: the quiet words come at 10
    s); after a cancel no rate at all (nothing is read; the window's rate only fell). Failed
    before (QA, "the first hour"): "36.2 MB of 96.2 MB read · 0.0 MB/s", and "CANCELLED ·
    16.4 MB/s", then 10.9, while nothing was read."""
    now = [0.0]
    model = ProgressModel(clock=lambda: now[0])
    model.emit(JobStarted(2, 100_000_000, ("/mnt/RAID1",), "full", ("xxh64",)))
    model.emit(FileStarted("CLIPS/C001.mov", 50_000_000))
    still = _print(render(model.snapshot()))  # no byte yet: a rate of 0
    assert "MB/s" not in still, still
    now[0] = 1.0
    model.emit(DestinationBytesWritten(0, 20_000_000))
    moving = model.snapshot()
    assert moving.rate_bytes_s > 0
    assert " MB/s" in _print(render(moving))  # while it is read: its rate
    cancelled = _print(render(moving, cancelled=True))
    assert "CANCELLING" in cancelled and "MB/s" not in cancelled, cancelled
    now[0] = 2.0
    model.emit(JobFinished(130, cancelled=True))
    over = _print(render(model.snapshot(), cancelled=True))
    assert "CANCELLED" in over and "MB/s" not in over, over
    assert "ETA" not in cancelled and "ETA" not in over, (cancelled, over)


def test_a_quiet_card_names_the_slowest_destination_still_writing_never_the_card() -> None:
    """The card gives no byte while the copy waits on destinations (a clock of its own, 1 s
    a frame): the one with a write in flight and the lowest pace is named with its pace; one
    whose bytes stopped landing is said so; none busy: "no data from the card". (The words
    before: "no data from the card" whatever held the copy.)"""
    now = [0.0]
    model = ProgressModel(clock=lambda: now[0])
    model.emit(JobStarted(2, 64 << 20, ("/mnt/FAST", "/Volumes/SLOW", "s3://b/p"), "full", ()))
    model.emit(FileStarted("C1.mov", 64 << 20))
    model.emit(SourceBytesRead(24 << 20))
    frame = _quiet_frames(model, now)
    frame()
    model.emit(DestinationBytesWritten(0, 24 << 20))  # the fast one has all the card gave
    for index in (1, 2):
        model.emit(DestinationWriting(index))
    for second in range(1, 40):
        now[0] = float(second)
        if second % 8 == 0:  # /Volumes/SLOW: 1 MiB in 8 s; the bucket 4 MiB
            model.emit(DestinationBytesWritten(1, 1 << 20))
            model.emit(DestinationBytesWritten(2, 4 << 20))
            model.emit(DestinationWriting(1))
            model.emit(DestinationWriting(2))
        words = frame()
        assert "no data from the card" not in words, words
        if second < QUIET_SAID_S:
            # Before the quiet words: neither a wait nor a rate said (the card's 0.0 MB/s is
            # no speed: test_a_rate_is_said_only_while_the_card_is_read).
            assert "waiting on" not in words and "0.0 MB/s" not in words, words
        elif second < 16:
            assert "waiting on /Volumes/SLOW: 0.1 MB/s · ETA" in words, words
    # Its writes end (its last bytes count as its own for LANDED_LATELY_S); the bucket's bytes
    # go on landing, then stop too.
    model.emit(DestinationBytesWritten(1, 1 << 20))
    for second in range(40, 80):
        now[0] = float(second)
        if second < 56 and second % 8 == 0:
            model.emit(DestinationBytesWritten(2, 4 << 20))
            model.emit(DestinationWriting(2))
        words = frame()
        if 50 <= second < 56:
            assert "waiting on s3://b/p: 0.5 MB/s" in words, words
    model.emit(DestinationBytesWritten(2, 4 << 20))  # nothing in flight anywhere
    now[0] = 90.0
    assert "waiting on s3://b/p" in frame()  # its last bytes, just landed
    now[0] = 101.0
    assert "no data from the card for 101 s · ETA --:--" in frame()
    model.emit(DestinationWriting(1))  # in flight, no byte for long: no pace said
    now[0] = 102.0
    assert "waiting on /Volumes/SLOW (no write done for 62 s) · ETA --:--" in frame()


def test_a_failure_of_another_file_there_leaves_the_write_in_flight() -> None:
    """A read-back of an earlier file found wrong (its FileFailed) while a chunk of the next
    is being written there: the write is still in flight (before: any failure there said no
    write was, and the quiet card was blamed); its own file's failure ends it."""
    model = ProgressModel(clock=lambda: 0.0)
    model.emit(JobStarted(2, 64 << 20, ("/mnt/A",), "full", ()))
    model.emit(DestinationWriting(0, "C2.mov"))
    model.emit(FileFailed(0, "C1.mov", "read-back mismatch"))
    assert model.snapshot().destinations[0].writing
    model.emit(FileFailed(0, "C2.mov", "write failed"))
    assert not model.snapshot().destinations[0].writing


def test_a_destination_with_no_pace_gets_no_eta() -> None:
    """A destination whose write hangs (in flight, no byte landing for long) has no pace:
    the ETA is "--:--", not one that grows with the wait (before: "(no write done for
    81 s) · ETA 1:19:25", and more each frame)."""
    now = [0.0]
    model = ProgressModel(clock=lambda: now[0])
    model.emit(JobStarted(1, 1 << 30, ("/Volumes/SLOW",), "full", ()))
    model.emit(FileStarted("C1.mov", 1 << 30))
    frame = _quiet_frames(model, now)
    for second in range(1, 60):  # a healthy 1 MB/s: an ETA is known
        now[0] = float(second)
        model.emit(DestinationWriting(0, "C1.mov"))
        model.emit(SourceBytesRead(1 << 20))
        model.emit(DestinationBytesWritten(0, 1 << 20))
        frame()
    model.emit(DestinationWriting(0, "C1.mov"))  # the write that hangs
    now[0] = 140.0
    assert "waiting on /Volumes/SLOW (no write done for 81 s) · ETA --:--" in frame()


def _quiet_frames(model: ProgressModel, now: list[float]) -> Callable[[], str]:
    """The live view's second line at the model's fake clock *now*, as the view makes it."""
    quiet = CardQuiet(clock=lambda: now[0])

    def frame() -> str:
        snap = model.snapshot()
        quiet_s = quiet.seconds(snap)
        waiting = quiet.waiting(snap) if quiet_s >= QUIET_SAID_S else None
        return _print(render(snap, quiet_s=quiet_s, waiting=waiting)).splitlines()[1]

    return frame


def test_a_card_read_that_hangs_is_the_cards_even_while_a_slow_destination_writes() -> None:
    """The reader had to wait for a buffer, got one, and its card read hangs while the slow
    destination still writes the chunks queued before: from QUIET_SAID_S into that read the
    card is named (before: "waiting on /Volumes/SLOW: 0.1 MB/s · ETA ..." for as long as the
    queued chunks took, ~140 s at 0.3 MB/s, then "no data from the card for 182 s")."""
    now = [0.0]
    model = ProgressModel(clock=lambda: now[0])
    model.emit(JobStarted(1, 64 << 20, ("/Volumes/SLOW",), "full", ()))
    model.emit(FileStarted("C1.mov", 64 << 20))
    model.emit(SourceBytesRead(24 << 20))
    frame = _quiet_frames(model, now)
    frame()
    model.emit(SourceWaiting(True))
    model.emit(DestinationWriting(0, "C1.mov"))
    for second in range(1, 60):
        now[0] = float(second)
        if second == 5:
            model.emit(SourceWaiting(False))  # a buffer again: the card read that hangs
        if second % 4 == 0:  # the queued chunks land, 1 MiB every 4 s
            model.emit(DestinationBytesWritten(0, 1 << 20))
            model.emit(DestinationWriting(0, "C1.mov"))
        words = frame()
        # The view sees the read start at the last frame that saw the wait (a frame early).
        if second >= 4 + QUIET_SAID_S:
            assert f"no data from the card for {second} s · ETA --:--" in words, words
        elif second >= QUIET_SAID_S:
            assert "waiting on /Volumes/SLOW" in words, words


def test_a_flush_that_holds_the_copy_is_the_destinations_never_the_card() -> None:
    """The reader waits for a buffer while no destination writes (one flushes: its writer's
    fsync holds the chunks queued to it): the destinations are named, the one flushing
    where the model knows it, never the card (before: "no data from the card for 36 s"
    while a FaultyFS fsync stall held a destination)."""
    now = [0.0]
    model = ProgressModel(clock=lambda: now[0])
    model.emit(JobStarted(2, 64 << 20, ("/mnt/FAST", "/Volumes/SLOW"), "full", ()))
    model.emit(FileStarted("C1.mov", 64 << 20))
    model.emit(SourceBytesRead(24 << 20))
    frame = _quiet_frames(model, now)
    frame()
    model.emit(SourceWaiting(True))
    for second in range(1, 40):
        now[0] = float(second)
        if second == 12:
            model.emit(PhaseChanged(1, "C0.mov", "flush"))
        words = frame()
        assert "no data from the card" not in words, words
        if QUIET_SAID_S <= second < 12:
            assert "waiting on the destinations (flushing or reading back) · ETA --:--" in words
        elif second >= 12:
            assert "waiting on /Volumes/SLOW (flushing or reading back) · ETA --:--" in words


def test_a_quiet_cards_status_line_fits_80_columns() -> None:
    """At 80 columns "0/12 files · 12.3 GB of 34.5 GB read · no data from the card for 125
    s · ETA --:--" is 82 characters and wrapped (QA): the ETA it cannot give is left out where
    it would wrap, kept where there is room. Failed before: the line folded onto a third."""
    now = [0.0]
    model = ProgressModel(clock=lambda: now[0])
    model.emit(JobStarted(12, 34_500_000_000, ("/mnt/D1", "/mnt/D2", "/mnt/D3"), "full", ()))
    for index in range(5):
        model.emit(FileStarted(f"C000{index}.MP4", 2_875_000_000))
    model.emit(SourceBytesRead(12_340_000_000))
    quiet = CardQuiet(clock=lambda: now[0])
    quiet.seconds(model.snapshot())
    now[0] = 125.0
    snap = model.snapshot()
    quiet_s = quiet.seconds(snap)
    for width, eta in ((80, False), (120, True)):
        console = Console(width=width, record=True, color_system=None, force_terminal=False)
        console.print(render(snap, quiet_s=quiet_s, waiting=None))
        lines = console.export_text().splitlines()
        assert lines[2].startswith("#  destination"), lines  # not folded onto a third
        status = lines[1].rstrip()
        assert "no data from the card for 125 s" in status, status
        assert status.endswith(" · ETA --:--") is eta, status
        assert len(status) <= width, status


def _steady_then_stalled(step_s: float, nbytes: int) -> tuple[ProgressModel, list[float]]:
    """A card of 207.7 MB to one destination, read and written *nbytes* every *step_s*
    seconds (the model's fake clock) until 118.5 MB are done, then nothing more: (the
    model, its clock, at that last move)."""
    now = [0.0]
    model = ProgressModel(clock=lambda: now[0])
    model.emit(JobStarted(43, 207_700_000, ("/Volumes/RAID1",), "full", ("xxh64",)))
    model.emit(FileStarted("CLIPS/C001.mov", 207_700_000))
    done = 0
    while done < 118_500_000:
        now[0] += 0.1
        if round(now[0] / step_s, 6).is_integer():
            model.emit(SourceBytesRead(nbytes))
            model.emit(DestinationBytesWritten(0, nbytes))
            done += nbytes
        model.snapshot()  # the view's polls, 10 a second
    return model, now


def test_a_total_stall_shows_no_rate_and_no_eta_counting_down_after_a_few_seconds() -> None:
    """QA (a card's FUSE daemon SIGSTOPped): for the 10 s before "no data from the card"
    the line said "29.0 MB/s · ETA 00:01" while nothing moved, then "1.0 MB/s" beside
    "ETA 00:01" with 89 MB left. Now the rate and the ETA stand until the work has stood
    still for a few seconds (``still_work``), then neither is said as if it moved
    ("ETA --:--"); a run moving in steps seconds apart keeps both between its steps.
    Failed before: "MB/s" and "ETA 00:01" 3 to 10 s into the stall."""
    model, now = _steady_then_stalled(0.3, 8_700_000)  # 29 MB/s
    frame = _quiet_frames(model, now)
    words = frame()
    assert " MB/s · ETA " in words and "--:--" not in words, words
    start = now[0]
    while now[0] < start + QUIET_SAID_S - 0.1:
        now[0] += 0.1
        words = frame()
        if now[0] - start > 3.5:
            assert "MB/s" not in words and words.endswith("ETA --:--"), words
    # A steady run landing 8 MiB every 4 s (the slowest drive, which the card waits on):
    # its rate and ETA stay between two steps.
    model, now = _steady_then_stalled(4.0, 8 << 20)
    frame = _quiet_frames(model, now)
    for _ in range(39):
        now[0] += 0.1
        words = frame()
        assert "MB/s · ETA" in words and "--:--" not in words, words


@pytest.mark.parametrize("lag", [2, 7, 15], ids=["0.2s", "0.7s", "1.5s"])
def test_a_slow_upload_landing_a_part_then_the_cards_read_keeps_its_rate_and_eta(
    lag: int,
) -> None:
    """Review: on S3 a part's bytes count once the part is sent and the freed buffer's card
    read lands *lag* polls later (a whole chunk's read: seconds on a slow card), so the
    work moves twice a cycle (0.2 s, then 7.8 s apart): the median of those gaps was the
    short one, the stall threshold 3 s, and 1041 of 1800 polls of a steady 1 MB/s upload
    showed "ETA --:--". The pace is the longest recent gap now (``still_work``). Failed
    before: "ETA --:--" 3 s after a part landed (0.2 s: before revfix7_61; 0.7 s and
    1.5 s: after it, whose merging of moves 0.5 s apart the review of it found short)."""
    now = [0.0]
    model = ProgressModel(clock=lambda: now[0])
    model.emit(JobStarted(1, 1 << 30, ("s3://bucket/day1",), "full", ("xxh64",)))
    model.emit(FileStarted("CLIPS/C001.mov", 1 << 30))
    model.emit(SourceBytesRead(8 << 20))  # the first part's read
    frame = _quiet_frames(model, now)
    for poll in range(1, 1800):
        now[0] = poll / 10
        if poll % 80 == 0:
            model.emit(DestinationBytesWritten(0, 8 << 20))  # a part sent
        elif poll % 80 == lag:
            model.emit(SourceBytesRead(8 << 20))  # the freed buffer's card read
        words = frame()
        if poll > 240:  # once a few steps set the pace
            assert " · ETA " in words and "--:--" not in words, (now[0], words)


def test_a_bucket_answering_nothing_has_its_line_until_it_answers_or_is_lost() -> None:
    """``DestinationNotAnswering`` (``s3unreachable``): one line naming the bucket and since
    when, while it is retried; gone once it answers again, or once it is lost (its row says
    LOST then)."""
    model = ProgressModel()
    bucket = "s3://rushes/day1"
    model.emit(JobStarted(2, 2_000_000, ("/mnt/RAID1", bucket), "full", ("xxh64",)))
    model.emit(FileStarted("CLIPS/C001.mxf", 1_000_000))
    since = time.mktime((2026, 12, 7, 14, 2, 11, 0, 0, -1))
    line = f"waiting for {bucket}: not answering since 14:02:11 (retrying)"
    assert "not answering" not in _print(render(model.snapshot()))
    model.emit(DestinationNotAnswering(1, since, "retrying"))
    assert line in _print(render(model.snapshot()))
    model.emit(DestinationNotAnswering(1, since, "answering"))
    assert "not answering" not in _print(render(model.snapshot()))
    model.emit(DestinationNotAnswering(1, since, "retrying"))
    assert line in _print(render(model.snapshot()))
    model.emit(DestinationNotAnswering(1, since, "retrying"))
    model.emit(OffloadFinished(cancelled=True))  # nothing is retried for it any more
    assert "not answering" not in _print(render(model.snapshot()))
    # A request of the lock's release hanging once the offload is over: nothing shown.
    model.emit(DestinationNotAnswering(1, since, "retrying"))
    assert "not answering" not in _print(render(model.snapshot()))
    model.emit(DestinationNotAnswering(1, since, "lost"))
    model.emit(DestinationLost(1, f"cannot store {bucket}/x: the service cannot be reached"))
    text = _print(render(model.snapshot()))
    assert "not answering" not in text and "LOST" in text, text
