"""A fast drive that goes away after ``CARD RELEASED`` (its copies verified, read back, its
manifests written) while the cascade still feeds the slow destination: its report cannot be
written there at the end. The card's release stands (every file verified on a disk other
than the card's before it went), and the last line says so: the card may be formatted, the
report could not be written there (why) and where it was written. Failed before: "Do not
format the card: cannot write the report into ...", after "CARD RELEASED ... can be ejected"
and with every copy verified.

Real parts: the card on a tmpfs (no disk of its own), a fast ext4 loop, a fast FaultyFS FUSE
mount SIGKILLed after the release, the slow destination a FaultyFS whose writes stall until
the kill, the real CLI as a subprocess."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.ledger import Ledger
from support.cascade_drives import tmpfs_card
from support.faultyfs import FaultyFS
from support.mounts import Ext4Loop, Mount, detach
from support.offload_cli import CLI, copy_acting_at_release

pytestmark = pytest.mark.fault


def _drive_with_an_error_trigger(ext4_loop: Callable[..., Ext4Loop]) -> tuple[Ext4Loop, Path]:
    """An ext4 drive remounted read-only at its first error, and the kernel's file that makes
    one (``trigger_fs_error``: a journal abort, as a failing disk's); skipped where the
    kernel has none."""
    fast = ext4_loop(32 << 20, mkfs_args=("-e", "remount-ro"))
    assert fast.source
    trigger = Path(f"/sys/fs/ext4/{os.path.basename(os.path.realpath(fast.source))}")
    trigger /= "trigger_fs_error"
    if not trigger.exists():
        pytest.skip(f"{trigger}: this kernel cannot be told to report an ext4 error")
    return fast, trigger


def test_a_fast_drive_gone_after_the_release_keeps_the_release_and_says_where_the_report_is(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    card = tmpfs_card(tmpfs_mount, 3, 1_000_000)
    fast = ext4_loop(32 << 20).path
    gone = faulty_fs()
    slow = faulty_fs()
    stalled = slow.stall("write", path="C9/*.mov")  # the cascade waits until the drive is gone
    reports = tmp_path / "reports"

    def pull_the_fast_drive(_process: object) -> None:
        gone.kill()  # the cable pulled: ENOTCONN from now on
        slow.release(stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint), str(card),
        str(fast), str(gone.mountpoint), at_release=pull_the_fast_drive,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    assert code == 1, rest  # a report not written where it belongs: exit 1, as before
    lost_root = gone.mountpoint / "C9"
    local = sorted(reports.glob("C9_*.json"))
    assert len(local) == 1, rest
    data = json.loads(local[0].read_text())
    results = {d["copy_root"]: d["result"] for d in data["destinations"]}
    assert results[str(lost_root)] == "failed", results
    assert {f["destinations"][0]["status"] for f in data["files"]} == {"verified"}
    release = data["card_release"]
    assert release["may_format"], release["text"]
    assert "Do not format" not in rest, rest
    text = release["text"]
    assert text.startswith("The card may be formatted: every file is verified"), text
    assert f"The report could not be written into {lost_root}/.offload/reports" in text, text
    assert "Transport endpoint is not connected" in text, text
    assert str(fast / "C9") in text.split("could not be written")[1], text
    assert str(slow.mountpoint / "C9") in text.split("could not be written")[1], text
    assert " ".join(text.split()) in " ".join(rest.split()), rest  # the last line says it


def test_the_only_counting_drive_remounted_read_only_after_the_release_keeps_the_card(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The fast ext4 drive, the only destination that counts (the slow FaultyFS is read back
    through a cache), reports a filesystem error at ``CARD RELEASED`` (the kernel's
    ``trigger_fs_error``, ``errors=remount-ro``: a journal abort): its report is refused with
    EROFS, which says its disk may have failed since the copies were read back. The card is
    kept, and the JSON says why (``reports_refused``). Failed before: "The card may be
    formatted", ``may_format`` true (every report refusal was exempt, by its text)."""
    card = tmpfs_card(tmpfs_mount, 3, 1_000_000)
    fast, trigger = _drive_with_an_error_trigger(ext4_loop)
    slow = faulty_fs()
    stalled = slow.stall("write", path="C9/*.mov")
    reports = tmp_path / "reports"

    def corrupt_the_fast_drive(_process: object) -> None:
        trigger.write_text("offload-ai test: simulated corruption\n")
        slow.release(stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint), str(card),
        str(fast.path), at_release=corrupt_the_fast_drive,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    assert code == 1, rest
    data = json.loads(sorted(reports.glob("C9_*.json"))[0].read_text())
    release = data["card_release"]
    assert not release["may_format"], release["text"]
    assert release["text"].startswith("Do not format the card: "), release["text"]
    assert "destination 1 refused its report (EROFS)" in release["text"], release["text"]
    assert data["reports_refused"] == [
        {
            "index": 0,
            "errno": "EROFS",
            "copies_in_doubt": True,
            "message": data["folder_errors"][0],
        }
    ]
    assert " ".join(release["text"].split()) in " ".join(rest.split()), rest


def test_a_card_ejected_on_card_released_is_described_as_it_was_read(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The card (on a tmpfs) is ejected (``umount -l``) when ``CARD RELEASED`` invites it,
    while the cascade still feeds the slow drive: the report describes the card's volume as
    the scan read it. Failed before: ``source_volume`` was the volume below the card's mount
    point at the end (``/``, ``/dev/vda``), and the card release said "destination 1 is on
    the card's own disk (/dev/vda)", while ``devices`` said no destination was on the
    source's."""
    card = tmpfs_card(tmpfs_mount, 3, 200_000)
    fast = ext4_loop(32 << 20).path  # its image file is on the disk the tmp folder is on
    slow = faulty_fs()
    stalled = slow.stall("write", path="C9/*.mov")
    reports = tmp_path / "reports"

    def eject_the_card(_process: object) -> None:
        detach(card.parent)
        slow.release(stalled)

    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint), str(card),
        str(fast), at_release=eject_the_card,
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    data = json.loads(sorted(reports.glob("C9_*.json"))[0].read_text())
    volume = data["source_volume"]
    assert (volume["filesystem"], volume["mount_point"]) == ("tmpfs", str(card.parent)), volume
    assert not any(group["source_on_device"] for group in data["devices"]), data["devices"]
    text = data["card_release"]["text"]
    assert "own disk" not in text, text
    assert "own disk" not in rest, rest


def test_a_report_refused_in_the_way_names_the_destinations_holding_it_by_index(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
) -> None:
    """A file in the way of one destination's reports folder (EEXIST: nothing said of its
    copies) keeps no card, and the line names where the report was written. That other
    destination's copy root is a tail of the refusing one's path (``<d>/q/<d>/...``): it was
    taken for a refused one by the folder's text before ("no destination holds it").

    The file is there before the run (nothing before the report looks at that name): put
    there at the ``CARD RELEASED`` line, it raced the cascade, which feeds that destination
    and writes its report within ~0.2 s (the test failed whenever its action came 1 s late)."""
    card = tmpfs_card(tmpfs_mount, 2, 100_000)
    fast = ext4_loop(32 << 20).path
    nested = fast / "q" / str(fast).lstrip("/")
    blocked = nested / "C9" / ".offload" / "reports"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("in the way\n")
    reports = tmp_path / "reports"
    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(nested), str(card), str(fast),
    )  # fmt: skip
    assert "can be ejected" in released, f"{code}: {rest}"
    data = json.loads(sorted(reports.glob("C9_*.json"))[0].read_text())
    text = data["card_release"]["text"]
    assert data["card_release"]["may_format"], text
    assert "no destination holds it" not in text, text
    assert f"it was written into the reports folder (.offload/reports) of {fast / 'C9'}." in text
    assert [(r["index"], r["errno"], r["copies_in_doubt"]) for r in data["reports_refused"]] == [
        (1, "EEXIST", False)
    ], data["reports_refused"]
    assert blocked.read_text() == "in the way\n"  # refused, never replaced


def _when_stalled(fs: FaultyFS, rule: str, act: Callable[[], None]) -> Callable[[], None]:
    """In a thread: wait (60 s at most) for a call the stall *rule* holds on *fs*, call
    *act*, then let the call go on (whatever happened: the run never hangs on it). Returns
    the join, which raises what the thread raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            fs.wait_stalled(rule, timeout_s=60)
            act()
        except BaseException as exc:  # re-raised by the join
            raised.append(exc)
        finally:
            fs.release(rule)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join() -> None:
        thread.join(timeout=60)
        assert not thread.is_alive(), "the action at the stall never ended"
        if raised:
            raise raised[0]

    return join


def _fast_copy_failed_after_release(
    copies: dict[str, dict[int, dict[str, object]]], data: dict[str, object], rest: str
) -> None:
    """What a run whose first fast copy of ``a1.mov`` failed after the card's release says:
    that copy failed, the others verified, the card kept (JSON, terminal)."""
    assert copies["a1.mov"][1]["status"] == "verified", copies["a1.mov"]
    assert copies["a1.mov"][2]["status"] == "verified", copies["a1.mov"]
    assert copies["a1.mov"][0]["status"] == "failed", copies["a1.mov"]
    assert {d["status"] for f in ("a0.mov", "a2.mov") for d in copies[f].values()} == {"verified"}
    release = data["card_release"]
    assert isinstance(release, dict)
    assert not release["may_format"], release["text"]
    assert release["text"] == "Do not format the card: a copy failed: a1.mov.", release["text"]
    flat = " ".join(rest.split())
    assert (
        "since then a copy there failed when the cascade read it again or checked the fast "
        "copies at its end" in flat
    ), rest
    assert release["text"] in flat, rest


@pytest.mark.parametrize("fault", ["read-error", "cut-short"])
def test_a_fast_copy_that_fails_its_read_after_the_release_keeps_the_card(
    fault: str,
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """After ``CARD RELEASED`` the cascade reads a fast copy (a FaultyFS drive, the first
    destination: the one it reads first) to feed the slow destination, and one file's read
    fails there (EIO: the drive failing), or that copy was cut short since it was verified
    (found so by its size, before it is read): the file is fed from the other fast copy (an
    ext4 drive), so the slow destination is complete. The copy that could not be read is no
    longer reported verified, the card is kept, and the cascade's sentence says the release
    no longer holds (terminal, JSON, HTML). Failed before: that copy "verified", every
    destination "ok", "The card may be formatted".

    The fault is made while that drive's manifest is written (after its copies were read
    back, before the release): the cascade, which reads every copy it feeds from at once (a
    small file is read whole ahead of the slow writes), cannot have read it yet. Made at
    the ``CARD RELEASED`` line, it raced that read (CI: a copy cut short after it, never read
    again, still "verified"; that case is the next test's)."""
    card = tmpfs_card(tmpfs_mount, 3, 1_000_000)
    failing = faulty_fs()
    fast = ext4_loop(32 << 20).path
    slow = faulty_fs()
    reports = tmp_path / "reports"
    rule = ""

    def fail_a_read_of_the_fast_copy() -> None:
        nonlocal rule
        if fault == "read-error":
            rule = failing.fail("read", errno.EIO, path="C9/a1.mov")
        else:
            os.truncate(failing.mountpoint / "C9" / "a1.mov", 1000)

    join = _when_stalled(
        failing, failing.stall("mkdir", path="C9/ascmhl"), fail_a_read_of_the_fast_copy
    )
    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint), str(card),
        str(failing.mountpoint), str(fast),
    )  # fmt: skip
    join()
    assert "can be ejected" in released, f"{code}: {rest}"
    assert fault != "read-error" or failing.fired(rule) >= 1, rest
    data = json.loads(sorted(reports.glob("C9_*.json"))[0].read_text())
    copies = {f["path"]: {d["index"]: d for d in f["destinations"]} for f in data["files"]}
    _fast_copy_failed_after_release(copies, data, rest)
    error = copies["a1.mov"][0]["error"]
    if fault == "read-error":
        assert "failed its read for the cascade" in error and "Input/output error" in error
    else:
        assert "then found 1000 bytes long, the card's file 1000001 when the cascade came" in error
    assert code == 1, rest
    html = sorted(reports.glob("C9_*.html"))
    assert html and "since then a copy there failed" in html[0].read_text(), html


def test_a_fast_copy_cut_short_after_the_cascade_read_it_keeps_the_card(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The fast copy the cascade fed ``a1.mov`` from (the first destination, a FaultyFS
    drive) is cut short once the cascade read it (while the slow destination's copy is
    renamed to its name: read whole, and read again, before that): nothing reads it again,
    and the cascade's check of every fast copy at its end (a ``lstat``: size, date) finds it.
    It is no longer reported verified, nor vouched for by its ledger, and the card is kept;
    the slow copy, equal to the card's digests, stays verified. Failed before (CI, one run
    in many of the test above, where the cut raced that read): that copy "verified", "The
    card may be formatted"."""
    card = tmpfs_card(tmpfs_mount, 3, 1_000_000)
    failing = faulty_fs()
    fast = ext4_loop(32 << 20).path
    slow = faulty_fs()
    reports = tmp_path / "reports"
    renamed = slow.stall("rename", path="C9/a1.mov")
    join = _when_stalled(
        slow, renamed, lambda: os.truncate(failing.mountpoint / "C9" / "a1.mov", 1000)
    )
    released, rest, code = copy_acting_at_release(
        "--report-dir", str(reports), "--cascade-to", str(slow.mountpoint), str(card),
        str(failing.mountpoint), str(fast),
    )  # fmt: skip
    join()
    assert "can be ejected" in released, f"{code}: {rest}"
    assert slow.fired(renamed) >= 1, rest
    data = json.loads(sorted(reports.glob("C9_*.json"))[0].read_text())
    copies = {f["path"]: {d["index"]: d for d in f["destinations"]} for f in data["files"]}
    _fast_copy_failed_after_release(copies, data, rest)
    assert copies["a1.mov"][0]["error"].startswith(
        f"a1.mov: the copy {failing.mountpoint / 'C9' / 'a1.mov'} was verified, then found "
        "1000 bytes long, the card's file 1000001 when the cascade checked the fast copies at "
        "its end"
    ), copies["a1.mov"][0]
    assert code == 1, rest
    assert Ledger(failing.mountpoint / "C9").load()["a1.mov"].state == "revoked"
    assert Ledger(fast / "C9").load()["a1.mov"].state == "verified"


def test_a_report_rewrite_refused_in_doubt_is_counted_by_the_card_release(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """The ext4 drive (the only destination that counts) takes its report; the second
    destination refuses its own (EACCES: in the way), so the first one's is written again to
    say so, and that rewrite fails: the ext4 drive reported a filesystem error meanwhile
    (EROFS, a journal abort: its disk may have failed since its copies were read back). The
    card release is made again with that refusal: the card is kept, on the terminal and in
    the local report. Failed before: the release made before the rewrite, "The card may be
    formatted", counting that drive, and no word of its refusal in the local report."""
    card = tmpfs_card(tmpfs_mount, 2, 100_000)
    fast, trigger = _drive_with_an_error_trigger(ext4_loop)
    other = faulty_fs()
    stalled = other.stall("mkdir", path="C9/.offload/reports", then_errno=errno.EACCES)
    reports = tmp_path / "reports"
    command = [*CLI, "copy", "--report-dir", str(reports), str(card), str(fast.path)]
    command.append(str(other.mountpoint))
    with subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    ) as process:
        other.wait_stalled(stalled, timeout_s=60)  # the ext4 drive's report is written
        assert sorted((fast.path / "C9" / ".offload" / "reports").glob("C9_*.json"))
        trigger.write_text("offload-ai test: simulated corruption\n")
        other.release(stalled)
        assert process.stderr is not None
        rest = process.stderr.read()
        code = process.wait(timeout=120)
    assert code == 1, rest
    data = json.loads(sorted(reports.glob("C9_*.json"))[0].read_text())
    refusals = [(r["index"], r["errno"], r["copies_in_doubt"]) for r in data["reports_refused"]]
    assert refusals == [(1, "EACCES", False), (0, "EROFS", True)], data["reports_refused"]
    release = data["card_release"]
    assert not release["may_format"], release["text"]
    assert "destination 1 refused its report (EROFS)" in release["text"], release["text"]
    assert " ".join(release["text"].split()) in " ".join(rest.split()), rest
