"""Destinations on one filesystem share its ``syncfs`` (``destinations.shared_syncfs``): one
round makes every waiting batch durable. A writeback error reported by that shared round
must still fail exactly the destination whose files it hit, never call them verified or
transfer-checked, and never sink the others on the same filesystem.

Real parts: an ext4 filesystem on a loop device whose image file lies on FaultyFS (a FUSE
pass-through); the image's writes in the extents of one destination's files fail with EIO,
so the kernel's writeback of those files fails as on a disk with bad sectors there; the
three destinations are folders of that one ext4; the engine runs in this process
(``CopyJob``), in transfer mode, where nothing but the sync can catch the loss. The same
disk holds the end of a run's documents, written together before they are fsynced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from faults.test_destination_faults import make_sources
from offload.destinations.shared_syncfs import SharedSyncfs
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.fs.ops import fsync_dir
from offload.options import CopyOptions, VerifyMode
from offload.report.documents import write_beside_json
from offload.results import CacheBypass, DestinationStatus, JobReport
from support import mounts
from support.faultyfs import FaultyFS
from support.requirements import skip_unavailable

pytestmark = pytest.mark.fault

_FILES = 6
_SIZE = 256 * 1024  # over ext4's 64 KiB stream threshold: each file its own extent
_TIMEOUT_S = 30.0
# FIEMAP flags of an extent without a place on the disk yet: unknown, delayed allocation.
_NO_PLACE_YET = 0x2 | 0x4


def _partials(root: Path) -> list[Path]:
    return [
        Path(folder) / name
        for folder, _dirs, files in os.walk(root)
        for name in files
        if name.startswith(".offload-partial.")
    ]


def _ext4_on(
    fs: FaultyFS, path: Path, size_bytes: int
) -> contextlib.AbstractContextManager[mounts.Ext4Loop]:
    """An ext4 whose image lies on *fs*; its inode tables and journal written whole by mkfs,
    so no background zeroing writes the image (a stalled one would hold allocations)."""
    skip_unavailable(mounts.unavailable_reason("ext4"))
    return mounts.ext4_loop(
        path,
        size_bytes,
        image=fs.mountpoint / "disk.img",
        mkfs_args=("-E", "nodiscard,lazy_itable_init=0,lazy_journal_init=0"),
    )


def _small_unmerged_requests(disk: mounts.Ext4Loop) -> None:
    """One request a bio, each bio one file's pages (ext4 builds them per inode), so a failed
    request never carries another file's; requests of 64 KiB at most, so a file is several
    and the one held by a stall (which goes through when released) is never all of it."""
    queue = Path("/sys/block") / os.path.basename(os.path.realpath(disk.source)) / "queue"
    (queue / "nomerges").write_text("2")
    (queue / "max_sectors_kb").write_text("64")


def _allocated(partial: Path) -> list[mounts.Extent] | None:
    """The file's extents once ext4 has given every byte of it a place on the disk (written
    or not yet: unwritten extents have theirs); None while any is delayed or unknown."""
    extents = mounts.file_extents(partial, sync=False)
    covered = sum(e.length for e in extents)
    if covered < _SIZE or any(e.flags & _NO_PLACE_YET for e in extents):
        return None
    return extents


def _bad_sectors_under(fs: FaultyFS, extents: list[mounts.Extent]) -> list[str]:
    """EIO for every write to the image within *extents* (bad sectors there, nowhere else);
    the rules' ids, for ``fired`` and ``remove``."""
    return [
        fs.fail("write", errno.EIO, path="disk.img", offset=e.physical, length=e.length)
        for e in extents
    ]


def _placed_somewhere(roots: list[Path]) -> tuple[int, dict[Path, list[mounts.Extent]]]:
    """The index of a destination (the middle one first) some of whose partials writeback
    has placed, and those partials' extents (the shared syncfs's writes to the image are
    held by a stall meanwhile, so none of them reached the disk yet). Which destination's
    files the held round placed is the kernel's timing: a destination whose writer had not
    dirtied its files before the round began has none placed until the next round, which
    waits for the held one (on a busy machine the middle one's was such one run in a few)."""
    deadline = time.monotonic() + _TIMEOUT_S
    while True:
        for index in (1, 0, 2):
            placed: dict[Path, list[mounts.Extent]] = {}
            for partial in _partials(roots[index]):
                extents = _allocated(partial)
                if extents is not None:
                    placed[partial] = extents
            if placed:
                return index, placed
        if time.monotonic() > deadline:
            found = [(p, mounts.file_extents(p, sync=False)) for r in roots for p in _partials(r)]
            raise AssertionError(f"no partial placed by writeback: {found}")
        time.sleep(0.05)


def test_a_writeback_error_in_a_shared_syncfs_fails_only_the_destination_it_hit(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    files = make_sources(tmp_path / "card", _FILES, _SIZE)
    fs = faulty_fs()
    with _ext4_on(fs, tmp_path / "ext4", 64 << 20) as disk:
        _small_unmerged_requests(disk)
        roots = [disk.path / name for name in ("A", "B", "C")]
        for root in roots:
            root.mkdir()
        tasks = [FileTask(f, tuple(root / f.relative_path for root in roots)) for f in files]
        options = CopyOptions(verify=VerifyMode.TRANSFER)
        # Every write to the image waits from now on: the writers fill the page cache, and
        # the batch's shared syncfs allocates the files' blocks and then waits there.
        stall = fs.stall("write", path="disk.img")
        reports: list[JobReport] = []
        job = threading.Thread(
            target=lambda: reports.append(CopyJob(tasks, roots, options).run()), daemon=True
        )
        job.start()
        try:
            fs.wait_stalled(stall, timeout_s=_TIMEOUT_S)
            # Bad sectors under one destination's files that writeback placed, nowhere else
            # (a file placed later is written, but that destination is lost by then). One
            # is enough: how many writeback places before the stalled write holds it back
            # is the kernel's timing (waiting for three failed one run in three on a busy
            # machine).
            hit, placed = _placed_somewhere(roots)
            bad = _bad_sectors_under(fs, [e for extents in placed.values() for e in extents])
        finally:
            fs.release(stall)
        job.join(_TIMEOUT_S)
        assert not job.is_alive()
        fired = sum(fs.fired(rule) for rule in bad)
        for rule in bad:
            fs.remove(rule)  # the unmount's writes are good again
        kept = [index for index in range(len(roots)) if index != hit]
        for file in files:
            for index in kept:
                assert (roots[index] / file.relative_path).read_bytes() == file.path.read_bytes()
            assert not (roots[hit] / file.relative_path).exists()
        assert _partials(roots[hit]) == []
    assert fired >= 1  # the fault happened, in the kernel's writeback
    (report,) = reports
    lost = report.destinations[hit]
    assert lost.lost and lost.lost_errno == errno.EIO, lost
    for file in report.files:
        failed = file.destination(hit)
        assert failed is not None and failed.status is DestinationStatus.FAILED, file
        for index in kept:
            good = file.destination(index)
            assert good is not None and good.status is DestinationStatus.TRANSFER_CHECKED, file
    assert not any(report.destinations[index].lost for index in kept)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + _TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_callers_during_a_round_share_the_next_and_learn_only_errors_since_their_mark(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    fs = faulty_fs()
    with _ext4_on(fs, tmp_path / "ext4", 32 << 20) as disk:
        _small_unmerged_requests(disk)
        shared = SharedSyncfs.open(disk.path)
        start = shared.mark()
        (disk.path / "a").write_bytes(os.urandom(_SIZE))
        # Round 1 runs and is held in its writeback; three callers come meanwhile.
        stall = fs.stall("write", path="disk.img")
        answers: dict[str, bool] = {}

        def sync(name: str, since: int) -> threading.Thread:
            thread = threading.Thread(target=lambda: answers.__setitem__(name, shared.sync(since)))
            thread.start()
            return thread

        first = sync("first", start)
        try:
            _wait_for(lambda: shared.started == 1, "round 1")
            fs.wait_stalled(stall, timeout_s=_TIMEOUT_S)
            late = [sync(f"late{n}", start) for n in range(3)]
            time.sleep(0.2)
            # None may take round 1's answer: it began before they asked.
            assert all(thread.is_alive() for thread in late)
        finally:
            fs.release(stall)
            fs.remove(stall)
        for thread in [first, *late]:
            thread.join(_TIMEOUT_S)
        assert answers == dict.fromkeys(["first", "late0", "late1", "late2"], True)
        assert (shared.started, shared.done) == (2, 2)  # one round for the three

        # A writeback error in round 3: reported to a caller whose files came before it.
        before_error = shared.mark()
        (disk.path / "b").write_bytes(os.urandom(_SIZE))
        stall = fs.stall("write", path="disk.img")
        third = sync("third", before_error)
        try:
            fs.wait_stalled(stall, timeout_s=_TIMEOUT_S)
            _wait_for(lambda: _allocated(disk.path / "b") is not None, "b's blocks")
            extents = _allocated(disk.path / "b")
            assert extents is not None
            bad = _bad_sectors_under(fs, extents)
        finally:
            fs.release(stall)
            fs.remove(stall)
        third.join(_TIMEOUT_S)
        assert sum(fs.fired(rule) for rule in bad) >= 1
        assert answers["third"] is False
        assert shared.rounds_failed == 1
        for rule in bad:
            fs.remove(rule)
        # Round 4 has no error of its own: files begun before round 3's error still hear
        # of it; files begun after it do not.
        after_error = shared.mark()
        assert after_error == 3
        assert shared.sync(before_error) is False
        assert shared.sync(after_error) is True


# The end of a run: the HTML and PDF reports beside each JSON, every temporary handed to
# writeback before the first fsync (``report.documents.write_beside_json``).
_DOCUMENTS = ((".html", os.urandom(_SIZE)), (".pdf", os.urandom(_SIZE)))


def _temporaries(folder: Path, suffix: str) -> list[Path]:
    return sorted(folder.glob(f".CARD{suffix}.*.partial"))


def test_a_writeback_error_under_one_document_fails_that_document_alone(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Four documents (HTML and PDF into two report folders of one ext4), all handed to
    writeback before the first fsync; the disk fails the writes of one folder's HTML. Each
    file's own fsync reports its own error: that HTML is refused with a note and never
    published; the other three are, with their bytes; no temporary is left."""
    fs = faulty_fs()
    with _ext4_on(fs, tmp_path / "ext4", 32 << 20) as disk:
        _small_unmerged_requests(disk)
        folders = [disk.path / "A" / "reports", disk.path / "B"]
        for folder in folders:
            folder.mkdir(parents=True)
        notes: list[str] = []
        # Every write to the image waits from now on: writeback places the files' blocks,
        # then waits there.
        stall = fs.stall("write", path="disk.img")
        writer = threading.Thread(
            target=lambda: notes.extend(
                write_beside_json(_DOCUMENTS, [folder / "CARD.json" for folder in folders])
            ),
            daemon=True,
        )
        writer.start()
        try:
            fs.wait_stalled(stall, timeout_s=_TIMEOUT_S)

            def placed() -> list[mounts.Extent] | None:
                found = _temporaries(folders[0], ".html")
                return _allocated(found[0]) if found else None

            _wait_for(lambda: placed() is not None, "the HTML's blocks")
            extents = placed()
            assert extents is not None
            bad = _bad_sectors_under(fs, extents)
        finally:
            fs.release(stall)
            fs.remove(stall)
        writer.join(_TIMEOUT_S)
        assert not writer.is_alive()
        fired = sum(fs.fired(rule) for rule in bad)
        for rule in bad:
            fs.remove(rule)
        html, pdf = (content for _suffix, content in _DOCUMENTS)
        assert not (folders[0] / "CARD.html").exists()
        assert (folders[0] / "CARD.pdf").read_bytes() == pdf
        assert (folders[1] / "CARD.html").read_bytes() == html
        assert (folders[1] / "CARD.pdf").read_bytes() == pdf
        for folder in folders:
            assert [p.name for p in folder.iterdir() if p.name.endswith(".partial")] == []
    assert fired >= 1  # the fault happened, in the kernel's writeback
    (note,) = notes
    assert note.startswith(f"cannot write the HTML report {folders[0] / 'CARD.html'}: "), note
    assert "Input/output error" in note


def _device_flushes(disk: mounts.Mount) -> int:
    stat = Path("/sys/block") / os.path.basename(os.path.realpath(disk.source)) / "stat"
    return int(stat.read_text().split()[15])  # flush requests completed


def test_the_end_s_documents_share_their_journal_commit(tmp_path: Path) -> None:
    """HTML and PDF into two folders of one ext4: every temporary is written and handed to
    writeback before the first is fsynced, so that fsync's journal commit carries all their
    blocks. Written and fsynced one after the other, each file was a commit and cache flushes
    of its own: 10 flushes of the device (every run); now 7-8."""
    skip_unavailable(mounts.unavailable_reason("ext4"))
    with mounts.ext4_loop(tmp_path / "ext4", 32 << 20) as disk:
        # No periodic journal commit (every 5 s by default) inside the count.
        subprocess.run(["mount", "-o", "remount,commit=300", str(disk.path)], check=True)
        folders = [disk.path / "A" / "reports", disk.path / "B"]
        for folder in folders:
            folder.mkdir(parents=True)
        os.sync()
        before = _device_flushes(disk)
        notes = write_beside_json(_DOCUMENTS, [folder / "CARD.json" for folder in folders])
        flushes = _device_flushes(disk) - before
        assert notes == []
        for folder in folders:
            for suffix, content in _DOCUMENTS:
                assert (folder / f"CARD{suffix}").read_bytes() == content
    assert flushes <= 8, flushes


def test_documents_on_fuse_are_fsynced_each_and_survive_a_power_cut(
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """Each temporary is fsynced before its rename, each folder after them (FUSE, where
    the writeback hint does nothing): a power cut keeps every document."""
    fs = faulty_fs()
    folders = [fs.mountpoint / "A" / "reports", fs.mountpoint / "B"]
    for folder in folders:
        folder.mkdir(parents=True)
    for made in [*folders, fs.mountpoint / "A", fs.mountpoint]:  # the folders survive a cut
        fsync_dir(made)
    fs.oplog(clear=True)
    notes = write_beside_json(_DOCUMENTS, [folder / "CARD.json" for folder in folders])
    assert notes == []
    synced = [r.path for r in fs.oplog() if r.op == "fsync"]
    assert sorted(os.path.basename(p).split(".")[1] for p in synced) == ["CARD"] * 4
    assert len(synced) == 4 and all(p.endswith(".partial") for p in synced), synced
    fs.power_cut()
    for folder in folders:
        for suffix, content in _DOCUMENTS:
            assert (folder / f"CARD{suffix}").read_bytes() == content


def test_a_batch_on_a_filesystem_mounted_inside_the_root_is_fsynced_not_trusted_to_its_syncfs(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The copy goes into ``day1``, a folder below the destination root where another
    filesystem is mounted (a second drive): the root's ``syncfs`` never writes those files
    back. Every write to that filesystem's disk fails: the batch must be fsynced file by
    file and lost, not published and called transfer-checked from the page cache."""
    skip_unavailable(mounts.unavailable_reason("ext4"))
    files = make_sources(tmp_path / "card", _FILES, 64 * 1024)
    fs = faulty_fs()
    with mounts.ext4_loop(tmp_path / "root", 16 << 20) as outer:
        root = outer.path
        with _ext4_on(fs, root / "day1", 16 << 20) as nested:
            tasks = [FileTask(f, (root / "day1" / f.relative_path,)) for f in files]
            bad = fs.fail("write", errno.EIO, path="disk.img")
            try:
                report = CopyJob(tasks, [root], CopyOptions(verify=VerifyMode.TRANSFER)).run()
                fired = fs.fired(bad)
            finally:
                fs.remove(bad)  # the unmount's writes are good again
            published = [f for f in files if (nested.path / f.relative_path).exists()]
    assert fired >= 1  # the fault happened, on the nested filesystem's disk
    assert published == []
    (lost,) = report.destinations
    assert lost.lost and lost.lost_errno == errno.EIO, lost
    for file in report.files:
        failed = file.destination(0)
        assert failed is not None and failed.status is DestinationStatus.FAILED, file


def test_a_read_back_below_the_root_is_judged_by_the_filesystem_it_reads(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The copy goes into ``day1``, a FUSE filesystem (FaultyFS, a pass-through) mounted
    below a root on an ext4 disk: its daemon reads its storage through a cache this
    process cannot drop, so the read-back must say it went through a cache
    (``CacheBypass.NONE``), as a copy into ``day1`` as the root does, never that it read the
    media. Failed before: judged by the root's filesystem."""
    skip_unavailable(mounts.unavailable_reason("ext4"))
    files = make_sources(tmp_path / "card", 3, 64 * 1024)
    with mounts.ext4_loop(tmp_path / "root", 16 << 20) as outer:
        root = outer.path
        faulty_fs(mountpoint=root / "day1")
        options = CopyOptions(verify=VerifyMode.DESTINATION)
        try:
            below = CopyJob(
                [FileTask(f, (root / "day1" / "a" / f.relative_path,)) for f in files],
                [root],
                options,
            ).run()
            alone = CopyJob(
                [FileTask(f, (root / "day1" / "b" / f.relative_path,)) for f in files],
                [root / "day1"],
                options,
            ).run()
        finally:
            mounts.unmount(root / "day1")  # before the ext4 below it
    claims = []
    for report in (below, alone):
        copies = [file.destination(0) for file in report.files]
        assert all(c is not None and c.status is DestinationStatus.VERIFIED for c in copies)
        claims.append({c.cache_bypass for c in copies if c is not None})
    assert claims[1] == {CacheBypass.NONE}
    assert claims[0] == claims[1]
