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


def _clip_in(fs: FaultyFS, folder: str = "") -> None:
    """Put the clip in *folder* of *fs* (written to its backing: no 128 MiB through FUSE)."""
    where = fs.backing / folder
    where.mkdir(parents=True, exist_ok=True)
    (where / CLIP).write_bytes(b"x" * CLIP_BYTES)


def _slow_reads(fs: FaultyFS) -> str:
    """Make every read of the clip on *fs* slow and hold the first at ``HELD_AT`` (never the
    card file's fingerprint, read near its end as a re-run is planned): the id of the rule
    that holds it."""
    fs.stall("read", path=f"*{CLIP}", seconds=SLOW_READ_S)
    return fs.add_rule("read", "stall", path=f"*{CLIP}", offset=HELD_AT, length=CHUNK, nth=1)


def _interrupted(
    fs: FaultyFS, held: str, argv: list[str], signum: int = signal.SIGINT
) -> tuple[int, str, str, float]:
    """Run *argv*, send it *signum* once *fs* holds its read at ``HELD_AT``, let that read go 0.3 s
    later (the other reads stay slow): its exit code, stdout, stderr and the seconds from
    the signal to its end. *fs*'s oplog then holds the calls made from the hold on."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def held_and_forgotten() -> None:
        fs.wait_stalled(held, timeout_s=60)
        fs.oplog(clear=True)

    signal_while_held(
        process, signum, wait_held=held_and_forgotten, release=lambda: fs.release(held)
    )
    signalled = time.monotonic() - 0.3
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err, time.monotonic() - signalled


def _furthest_read(fs: FaultyFS) -> int:
    """The end of the furthest read of the clip *fs* was asked for since the hold (its
    oplog), 0 for none."""
    ends = [
        sum(int(n) for n in record.detail.split("+"))
        for record in fs.oplog()
        if record.op == "read" and record.path.endswith(CLIP)
    ]
    return max(ends, default=0)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_stops_the_card_read_of_a_large_clip_at_the_chunk_in_flight(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], signum: int
) -> None:
    """``offload copy --json`` of one large clip from a slow card to two folders, SIGINT
    (or SIGTERM) mid-clip. Failed before: the card was read to the clip's end (128 MiB), exit 7.6 s
    after the signal, a ``cancel_waiting {card: true}`` line (and on stderr "none for 5 s:
    the card may hang ... pull the card"), the whole clip's xxh64 in the report."""
    card = faulty_fs(direct_io=True)
    _clip_in(card)
    held = _slow_reads(card)
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    reports = tmp_path / "reports"
    argv = [OFFLOAD, "copy", "--json", "--report-dir", str(reports), str(card.mountpoint)]
    code, out, err, took = _interrupted(card, held, [*argv, str(d1), str(d2)], signum)
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


@pytest.mark.parametrize("slow", ["copies", "card"])
def test_ctrl_c_stops_reverify_reads_mid_clip_and_matches_nothing(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], slow: str
) -> None:
    """``offload copy --reverify`` of a card offloaded before to two folders, SIGINT while a
    read of the clip is held mid-clip: the copies' read-backs on a slow drive (the first
    one's held, the other's under way), or the card's read they are compared with (its
    folders on a slow card). Failed before: the clip was read to its end after the signal,
    7.6 s after it, and both copies reported verified ("read back again now and matched")."""
    fs = faulty_fs(direct_io=True)
    if slow == "copies":
        card, d1, d2 = tmp_path / "card", fs.mountpoint / "d1", fs.mountpoint / "d2"
        card.mkdir()
        (card / CLIP).write_bytes(b"x" * CLIP_BYTES)
    else:
        card, d1, d2 = fs.mountpoint / "card", tmp_path / "d1", tmp_path / "d2"
        _clip_in(fs, "card")
    d1.mkdir()
    d2.mkdir()
    reports = tmp_path / "reports"
    argv = [OFFLOAD, "copy", "--report-dir", str(reports), str(card), str(d1), str(d2)]
    first = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    held = _slow_reads(fs)
    code, out, err, took = _interrupted(fs, held, [*argv, "--reverify"])
    assert code == 130, out + err
    # The held read stops at its chunk in flight; so does the other copy's (copies), past
    # the held one's by up to a chunk (it went on meanwhile, as slowly).
    assert _furthest_read(fs) <= HELD_AT + 2 * CHUNK, err
    assert took < STOPS_WITHIN_S, (took, err)
    [clip] = newest_report(reports)["files"]
    for copy in clip["destinations"]:
        assert copy["status"] == "cancelled" and copy["error"] == CHECK_CANCELLED, copy
        assert copy["readback_digests"] == {} and copy["verified_at"] is None, copy
    said = " ".join(err.split())
    assert "read back again now and matched" not in said, err
    assert (
        "CANCELLED: 0 of 1 file (0 bytes) are verified on every destination; 2 copies were "
        "cancelled (2 of them already there and kept as they were, not checked;" in said
    ), err
    for folder in (d1, d2):  # each copy whole, as the first run wrote it
        assert (folder / "card" / CLIP).stat().st_size == CLIP_BYTES
