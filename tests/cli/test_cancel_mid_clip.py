"""Ctrl-C (a real SIGINT to a real ``offload copy``) while a large clip is read from a slow
medium: the read stops at the chunk in flight, the run ends with exit 130 at once, nothing
says the medium "may hang", and nothing read before the cancel is reported as a digest or a
match. The slow medium is a FaultyFS mount whose every read of the clip is delayed
(``SLOW_READ_S`` a FUSE request: ~16 MiB/s where the kernel sends 1 MiB requests, as
through a USB card reader); one read at ``HELD_AT`` is held until the signal was sent.

QA (thirty-eighth pass, "the first hour"): a 180 MB clip at 15 MiB/s, Ctrl-C at ~59 MB; the
card's read went on to the clip's end (8.7 s), the cancel then said "waiting for a call on
the card ... (none for 5 s: the card may hang) ... pull the card", the report held the whole
clip's digest; ``--reverify`` read its copies to their ends and reported them matched.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.existing import CHECK_CANCELLED
from offload.hashing.registry import new_hasher
from offload.options import CopyOptions
from tests.support.cards import partials_under
from tests.support.faultyfs import FaultyFS
from tests.support.held_process import signal_while_held
from tests.support.offload_cli import newest_report

OFFLOAD = str(Path(sys.executable).with_name("offload"))
CLIP = "C1.mov"
CLIP_BYTES = 128 << 20  # read whole at SLOW_READ_S, ~8 s: past the 5 s of "may hang"
SLOW_READ_S = 0.06
HELD_AT = 8 << 20  # the first read of the clip's second chunk (8 MiB chunks)
CHUNK = CopyOptions().chunk_size
#: From the signal to the process's end: the chunk in flight (< 0.6 s here) and the
#: clean-up. Before, the clip was read to its end: 7 s and more.
STOPS_WITHIN_S = 4.0

pytestmark = pytest.mark.fault


def _slow_clip(fs: FaultyFS, folder: str = "") -> tuple[str, str]:
    """Put the clip in *folder* of *fs* (written to its backing: no 128 MiB through FUSE),
    make every read of it slow and hold the one at ``HELD_AT``: the rules' ids (slow,
    held)."""
    where = fs.backing / folder
    where.mkdir(parents=True, exist_ok=True)
    (where / CLIP).write_bytes(b"x" * CLIP_BYTES)
    return _slow_reads(fs)


def _slow_reads(fs: FaultyFS) -> tuple[str, str]:
    slow = fs.stall("read", path=f"*{CLIP}", seconds=SLOW_READ_S)
    held = fs.stall("read", path=f"*{CLIP}", offset=HELD_AT, nth=1)
    return slow, held


def _interrupted(fs: FaultyFS, held: str, argv: list[str]) -> tuple[int, str, str, float]:
    """Run *argv*, SIGINT it once *fs* holds its read at ``HELD_AT``, let that read go 0.3 s
    later (the other reads stay slow): its exit code, stdout, stderr and the seconds from
    the signal to its end."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    signal_while_held(
        process,
        signal.SIGINT,
        wait_held=lambda: fs.wait_stalled(held, timeout_s=60),
        release=lambda: fs.release(held),
    )
    signalled = time.monotonic() - 0.3
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err, time.monotonic() - signalled


def _furthest_read(fs: FaultyFS) -> int:
    """The end of the furthest read of the clip the medium was asked for (its oplog)."""
    ends = [
        sum(int(n) for n in record.detail.split("+"))
        for record in fs.oplog()
        if record.op == "read" and record.path.endswith(CLIP)
    ]
    return max(ends)


def test_ctrl_c_stops_the_card_read_of_a_large_clip_at_the_chunk_in_flight(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload copy --json`` of one large clip from a slow card to two folders, SIGINT
    mid-clip. Failed before: the card was read to the clip's end (128 MiB), exit 7.6 s
    after the signal, a ``cancel_waiting {card: true}`` line (and on stderr "none for 5 s:
    the card may hang ... pull the card"), the whole clip's xxh64 in the report."""
    card = faulty_fs(direct_io=True)
    _slow, held = _slow_clip(card)
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    reports = tmp_path / "reports"
    argv = [OFFLOAD, "copy", "--json", "--report-dir", str(reports), str(card.mountpoint)]
    code, out, err, took = _interrupted(card, held, [*argv, str(d1), str(d2)])
    assert code == 130, out + err
    assert _furthest_read(card) <= HELD_AT + CHUNK, err  # no read after the chunk in flight
    assert took < STOPS_WITHIN_S, (took, err)
    assert '"cancel_waiting"' not in out, out
    assert "may hang" not in err and "pull the card" not in err, err
    [clip] = newest_report(reports)["files"]
    assert clip["digests"] == {} and clip["source_reread_digests"] == {}, clip
    assert {d["status"] for d in clip["destinations"]} == {"cancelled"}, clip
    assert all(d["readback_digests"] == {} for d in clip["destinations"]), clip
    whole = new_hasher("xxh64")
    whole.update(b"x" * CLIP_BYTES)
    written = [out, err, *(p.read_text(errors="replace") for p in reports.iterdir())]
    assert not any(whole.hexdigest() in text for text in written)  # in none, HTML and CSV too
    assert not partials_under(d1) and not partials_under(d2)
    assert not list(d1.rglob(CLIP)) and not list(d2.rglob(CLIP))


def test_ctrl_c_stops_reverify_read_backs_mid_clip_and_matches_nothing(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload copy --reverify`` of a card offloaded before to two folders of a slow drive,
    SIGINT while the first copy's read-back is held mid-clip (the other's read-back under
    way too). Failed before: both copies were read to their ends after the signal and
    reported verified ("read back again now and matched"), 7.6 s after it."""
    card = tmp_path / "card"
    card.mkdir()
    (card / CLIP).write_bytes(b"x" * CLIP_BYTES)
    drive = faulty_fs(direct_io=True)
    d1, d2 = drive.mountpoint / "d1", drive.mountpoint / "d2"
    d1.mkdir()
    d2.mkdir()
    reports = tmp_path / "reports"
    argv = [OFFLOAD, "copy", "--report-dir", str(reports), str(card), str(d1), str(d2)]
    first = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    _slow, held = _slow_reads(drive)
    drive.oplog(clear=True)
    code, out, err, took = _interrupted(drive, held, [*argv, "--reverify"])
    assert code == 130, out + err
    # The held copy's read stops at its chunk in flight, the other's at its own (past the
    # held one's by up to a chunk: it went on meanwhile, as slowly).
    assert _furthest_read(drive) <= HELD_AT + 2 * CHUNK, err
    assert took < STOPS_WITHIN_S, (took, err)
    [clip] = newest_report(reports)["files"]
    for copy in clip["destinations"]:
        assert copy["status"] == "cancelled" and copy["error"] == CHECK_CANCELLED, copy
        assert copy["readback_digests"] == {} and copy["verified_at"] is None, copy
    said = " ".join(err.split())
    assert "read back again now and matched" not in said, err
    assert (
        "CANCELLED: 0 of 1 file (0 bytes) are verified on every destination; 2 copies were "
        "cancelled (2 of them already there and kept as they were, not read back;" in said
    ), err
    for folder in (d1, d2):  # each copy whole, as the first run wrote it
        assert (folder / "card" / CLIP).stat().st_size == CLIP_BYTES
