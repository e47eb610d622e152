"""The cascade's mark (``.offload/cascade-unsettled.json``) left on a fast copy root by a
run killed mid-cascade, then a re-run without the card fed from that fast copy, then one
with the card. The cardless re-run reads every fast copy whole as its source, against the
card's digests its ledger records (so it trusts none of the marked entries unread: one
damaged since, its size and mtime kept, fails and is not cascaded), but records nothing in
the fast copy's ledger (its source, not one of its destinations), so the entries the mark
covers are still the unsettled ones: the mark stays, by design, and the next run with the
card reads those copies back, records them anew and takes the mark back. Dropping it in the
cardless run would let that run trust them on a read that proved only that the bytes matched
as they were read (a source's read is not a read-back from the media: the page cache may
answer it) and that no ledger records.

Real parts: the card on a tmpfs of its own (``cards``), the fast copy on the test's disk,
the slow one a FaultyFS whose writes wait until the run is SIGKILLed at ``CARD RELEASED``,
the real CLI as a child process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload import cascade_unsettled
from support.cards import corrupt_keeping_size_and_mtime, three_clip_card
from support.faultyfs import FaultyFS
from support.offload_cli import copy_acting_at_release, newest_report, run_offload

pytestmark = pytest.mark.fault


def test_a_cardless_re_run_keeps_the_mark_for_the_run_that_reads_the_fast_copies_back(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card = three_clip_card(cards)
    fast = tmp_path / "RAID"
    fast.mkdir()
    slow = faulty_fs()
    reports = tmp_path / "reports"
    stalled = slow.stall("write", path="A001/CLIPS/*")  # the lock is written before
    args = (
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint), str(card), str(fast)
    )  # fmt: skip
    mark = fast / "A001" / ".offload" / cascade_unsettled.UNSETTLED

    def kill_once_the_cascade_writes(process: subprocess.Popen[str]) -> None:
        slow.wait_stalled(stalled, timeout_s=60)
        process.kill()  # dies once the held write returns, before it runs a line more
        slow.release()

    # Killed once the card is released, the cascade's first write held: the mark stays.
    released, rest, code = copy_acting_at_release(*args, at_release=kill_once_the_cascade_writes)
    assert released.startswith("CARD RELEASED"), rest
    assert code == -signal.SIGKILL, rest
    assert mark.is_file(), rest
    spans = cascade_unsettled.spans(fast / "A001")
    assert len(spans) == 1, spans

    # Without the card: fed from the fast copy, every file of it read and checked against
    # the card's digests: a marked copy damaged since (its size and mtime kept, so its
    # ledger entry would still vouch for it) fails, and nothing of it reaches the slow drive.
    ledger = fast / "A001" / ".offload" / "ledger.jsonl"
    damaged = fast / "A001" / "CLIPS" / "A001C002.mov"
    whole, st = damaged.read_bytes(), damaged.stat()
    corrupt_keeping_size_and_mtime(damaged)  # rewrites the ledger (ledger_sees_no_write)
    recorded = ledger.read_bytes()  # so the ledger as the cardless run finds it
    gone = card.rename(card.with_name("A001-away"))
    cardless = run_offload("copy", *args)
    said = " ".join(cardless.stderr.split())
    assert cardless.returncode == 1, cardless.stderr
    assert "is absent: the source is its fast copy" in said, said
    assert (
        f"ERROR: CLIPS/A001C002.mov: the fast copy {damaged} was verified by an earlier run, "
        "then changed"
    ) in said, said
    for name in ("A001C001.mov", "A001C002.mov", "A001C003.mov"):
        copy = slow.mountpoint / "A001" / "CLIPS" / name
        if name == damaged.name:
            assert not copy.exists(), name
        else:
            assert copy.read_bytes() == (gone / "CLIPS" / name).read_bytes()
    # The source's ledger records only the damaged copy's revocation (cascade_refeed): the
    # mark and what it covers are unchanged.
    added = ledger.read_bytes().removeprefix(recorded).decode().splitlines()
    assert ledger.read_bytes().startswith(recorded)
    assert added and all(
        json.loads(line)["relative_path"] == "CLIPS/A001C002.mov"
        and json.loads(line)["state"] == "revoked"
        for line in added
    ), added
    assert cascade_unsettled.spans(fast / "A001") == spans
    damaged.write_bytes(whole)  # put back as the card holds it, its mtime too
    os.utime(damaged, ns=(st.st_atime_ns, st.st_mtime_ns))

    # With the card: the marked fast copies are read back (never trusted from the ledger
    # the killed run left), recorded anew, and the mark is taken back.
    gone.rename(card)
    again = run_offload("copy", *args)
    assert again.returncode == 0, again.stderr
    data = newest_report(reports)
    fast_index = next(
        d["index"] for d in data["destinations"] if d["copy_root"] == str(fast / "A001")
    )
    statuses = {
        d["status"] for f in data["files"] for d in f["destinations"] if d["index"] == fast_index
    }
    assert statuses == {"verified"}, json.dumps(data["files"])
    assert not mark.exists()


def test_a_cardless_re_run_reads_back_a_marked_copy_it_does_not_feed_before_trusting_it(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The first clip reached the slow drive before the run was killed; the fast copy of it,
    marked unsettled, then damaged (size and mtime kept). The cardless re-run does not feed
    that clip (the slow copy is there, trusted from its ledger), so nothing else reads the
    fast copy of it: it is read back before the copy stands for the card. Found changed,
    the copy cannot stand for it: refused, nothing written, no word that the card may go
    (before: exit 0, "it may be formatted", the damaged copy counted as read now)."""
    card = three_clip_card(cards)
    fast = tmp_path / "RAID"
    fast.mkdir()
    slow = faulty_fs()
    reports = tmp_path / "reports"
    # The later clips' writes slowed (not held: the slow copies are published together).
    slow.stall("write", path="A001/CLIPS/*A001C00[23].mov", seconds=1.0)
    args = (
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint), str(card), str(fast)
    )  # fmt: skip

    first = slow.mountpoint / "A001" / "CLIPS" / "A001C001.mov"

    def kill_once_the_first_clip_is_there(process: subprocess.Popen[str]) -> None:
        deadline = time.monotonic() + 30
        while not first.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()

    _, rest, code = copy_acting_at_release(*args, at_release=kill_once_the_first_clip_is_there)
    assert code == -signal.SIGKILL, rest
    assert first.read_bytes() == (card / "CLIPS" / "A001C001.mov").read_bytes(), rest
    assert cascade_unsettled.spans(fast / "A001"), rest

    damaged = fast / "A001" / "CLIPS" / "A001C001.mov"
    corrupt_keeping_size_and_mtime(damaged)
    card.rename(card.with_name("A001-away"))
    before = sorted(p.name for p in (slow.mountpoint / "A001" / "CLIPS").iterdir())
    cardless = run_offload("copy", *args)
    said = " ".join(cardless.stderr.split())
    assert cardless.returncode == 64, said
    assert "may be formatted" not in said, said
    assert f"{damaged} does not match the card's digests its ledger recorded" in said, said
    assert "nothing was written: insert the card and run the same command again" in said, said
    assert sorted(p.name for p in (slow.mountpoint / "A001" / "CLIPS").iterdir()) == before
