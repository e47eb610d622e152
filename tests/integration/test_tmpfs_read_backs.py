"""A destination on tmpfs holds its files in RAM: its page cache is its storage. Every
copy there is read back from RAM, and its ``cache_bypass`` says so (``none``) whatever its
size: tmpfs takes O_DIRECT for a large file, which read the same pages, and the report
called that one ``o_direct`` ("read from the media") beside ``none`` for a small one
(a real tmpfs mount, the command as a subprocess)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from offload.report.words import PAGE_CACHE_CAUSES
from support import mounts
from support.faultyfs import FaultyFS

CLI = [sys.executable, "-m", "offload.cli.offload"]


def test_every_copy_on_tmpfs_is_read_back_through_ram_whatever_its_size(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """Failed before: the 60 MB file's copy was ``o_direct``, the small one's ``none``."""
    card = tmp_path / "CT"
    card.mkdir()
    (card / "big.bin").write_bytes(os.urandom(60_000_000))
    (card / "small.bin").write_bytes(os.urandom(1000))
    disk = tmpfs_mount(128 << 20)
    reports = tmp_path / "reports"
    result = subprocess.run(
        [*CLI, "copy", str(card), str(disk.path), "--report-dir", str(reports)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (saved,) = reports.glob("CT_*.json")
    report = json.loads(saved.read_text())
    bypass = {f["path"]: f["destinations"][0]["cache_bypass"] for f in report["files"]}
    assert bypass == {"big.bin": "none", "small.bin": "none"}
    # The card may not be formatted on the strength of a copy in RAM (report/release.py).
    assert report["card_release"]["may_format"] is False


def test_the_cache_a_tmpfs_copy_was_read_through_is_named_as_memory(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """Why a read-back went through a cache, as `offload copy` and `offload verify` say it:
    for tmpfs, because its storage is RAM. Failed before: both gave only other reasons ("pages
    still cached, or a FUSE filesystem's block device this user may not open"; verify: "a
    network share's server, or a FUSE filesystem's block device ..."), none of which held."""
    card = tmp_path / "CT"
    card.mkdir()
    (card / "a.bin").write_bytes(os.urandom(100_000))
    disk = tmpfs_mount(16 << 20)
    reports = tmp_path / "reports"

    def offload(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args, "--report-dir", str(reports)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    copied = offload("copy", str(card), str(disk.path))
    assert copied.returncode == 0, copied.stderr
    (line,) = [x for x in copied.stderr.splitlines() if x.startswith("READ THROUGH A CACHE")]
    assert "held in memory (tmpfs, ramfs)" in line
    checked = offload("verify", str(disk.path / "CT"))
    assert checked.returncode == 0, checked.stderr
    (warning,) = [x for x in checked.stderr.splitlines() if "read through a cache" in x]
    assert "held in memory (tmpfs, ramfs)" in warning
    # The same reasons as the copy's line, in the same words (report.words).
    assert PAGE_CACHE_CAUSES in line and PAGE_CACHE_CAUSES in warning, (line, warning)


def test_a_cascade_fed_from_copies_read_back_in_ram_says_so_at_the_release(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """The card's pass to a tmpfs drive: its copies were read back from RAM (its storage),
    not from a medium. Failed before: the line said "all 2 files are verified on FAST" as
    of copies read back from the media, where the summary and the reports qualify them.
    And the card is not released (a power cut loses a copy in RAM): no record of the card's
    pass there, a re-run needs the card. Failed before: "CARD RELEASED: ... can be ejected"."""
    card = tmp_path / "CT"
    card.mkdir()
    for name in ("a.bin", "b.bin"):
        (card / name).write_bytes(os.urandom(100_000))
    fast = tmpfs_mount(16 << 20)
    slow = tmp_path / "SLOW"
    slow.mkdir()
    argv = [*CLI, "copy", str(card), str(fast.path), "--cascade-to", str(slow), "--report-dir",
            str(tmp_path / "reports")]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    (line,) = [
        x for x in result.stderr.splitlines() if x.startswith(("CARD RELEASED", "CARD PASS DONE"))
    ]
    assert "all 2 files are verified on" in line
    assert "(2 of them read back through a cache, not from the media)" in line
    assert line.startswith("CARD PASS DONE: ") and "RELEASED" not in line, line
    assert "no copy there is recorded read back whole from its media (keep the card" in line
    assert not (fast.path / "CT" / ".offload" / "cascade-card.json").exists()
    (saved,) = (tmp_path / "reports").glob("CT_*.json")
    report = json.loads(saved.read_text())
    assert report["cascade"]["card_released_at"] is None, report["cascade"]
    # Without the card, the copy in RAM cannot stand for it: refused, nothing written.
    card.rename(tmp_path / "gone")
    again = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 64, again.stderr
    assert f"the card {card} is absent and no fast copy holds it" in again.stderr
    # Why, as it is: the pass verified every file, through a cache. Failed before: "no
    # record that the card's pass verified every file there".
    assert (
        "its copies were read back through a cache (RAM, a server), not from the media: "
        "it cannot stand for the card" in again.stderr
    ), again.stderr
    assert "no record that the card's pass verified" not in again.stderr, again.stderr


def test_a_mixed_transfer_run_words_read_backs_and_earlier_cached_ones_truly(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """``--verify transfer`` beside copies already proven: one verified earlier (read back
    through RAM by the first run), one already there without a ledger record (read back now
    and adopted), one new (transfer-checked). Failed before (review): "1 verified now
    (transfer verification)" of the adopted copy, and "verified earlier (not re-read)"
    without ", 1 of them through a cache"."""
    card = tmp_path / "CT"
    card.mkdir()
    (card / "a.bin").write_bytes(os.urandom(100_000))
    disk = tmpfs_mount(16 << 20)

    def offload(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, "copy", *args, str(card), str(disk.path), "--report-dir", str(tmp_path / "r")],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "COLUMNS": "400"},
        )

    assert offload().returncode == 0  # a.bin verified, read back through RAM
    (card / "b.bin").write_bytes(os.urandom(100_000))
    (disk.path / "CT" / "b.bin").write_bytes((card / "b.bin").read_bytes())  # no record
    (card / "c.bin").write_bytes(os.urandom(100_000))
    result = offload("--verify", "transfer")
    assert result.returncode == 0, result.stderr
    words = " ".join(result.stderr.split())
    assert "1 read back now" in words and "(transfer verification)" not in words, words
    assert (
        "1 verified earlier (not re-read, 1 of them read back through a cache by the earlier "
        "run, not from the media)" in words
    ), words


def test_a_cancelled_run_on_tmpfs_says_its_copies_were_read_through_a_cache(
    tmp_path: Path,
    tmpfs_mount: Callable[..., mounts.Mount],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """A real Ctrl-C once a copy on tmpfs is verified: the terminal's summary warns that the
    copies verified before the cancel were read back through a cache, as its JSON
    (``cache_bypass: none``) and its HTML/PDF say. Failed before: the CANCELLED line alone,
    nothing of a cache (the cancelled branch returned before the line). The card's last
    file is held (FaultyFS) until the signal is sent: a run quicker than the signal (40
    files to tmpfs in 0.2 s, CI) ended exit 0 before it."""
    card_fs = faulty_fs(backing=tmp_path / "card-backing", mountpoint=tmp_path / "CT")
    card = card_fs.mountpoint
    for index in range(40):
        (card_fs.backing / f"C{index:03d}.mov").write_bytes(os.urandom(2_000_000))
    held = card_fs.stall("read", path="C039.mov")
    disk = tmpfs_mount(128 << 20)
    reports = tmp_path / "r"
    process = subprocess.Popen(
        [*CLI, "copy", "--report-dir", str(reports), str(card), str(disk.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    # Its first copies verified: the ledger records them (a batch at a time).
    ledger = disk.path / "CT" / ".offload" / "ledger.jsonl"
    deadline = time.monotonic() + 60
    try:
        while not (ledger.exists() and ledger.stat().st_size):
            assert process.poll() is None and time.monotonic() < deadline, process.poll()
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        time.sleep(0.5)  # the cancel seen before the held read goes on
    finally:
        card_fs.release(held)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    (saved,) = reports.glob("CT_*.json")
    report = json.loads(saved.read_text())
    cached = [d for f in report["files"] for d in f["destinations"] if d["status"] == "verified"]
    assert report["cancelled"] and cached, report["files"][:2]
    assert {d["cache_bypass"] for d in cached} == {"none"}
    words = " ".join(err.split())
    assert "CANCELLED: " in words, words
    assert f"READ THROUGH A CACHE: {len(cached)} cop" in words, words
