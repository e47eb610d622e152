"""Destination backend paths under real faults and on a real FUSE filesystem: the publish
that fails and loses the destination (issue 11), and the local backend's fallbacks seen in
the operations the filesystem receives (each capability switched off by a Features
override, as on a filesystem or platform without it)."""

from __future__ import annotations

import dataclasses
import errno
import os
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import offload
from offload.destinations.local import LocalDestination, LocalPartial, probe_features
from offload.engine.job import CopyJob
from offload.engine.messages import FileTask
from offload.ledger import Ledger
from offload.model import SourceFile
from offload.options import CopyOptions
from offload.results import CopyAction, DestinationStatus, JobReport
from support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault


def partials_under(root: Path) -> list[str]:
    return [
        name
        for _folder, _dirs, files in os.walk(root)
        for name in files
        if name.startswith(".offload-partial.")
    ]


def make_sources(root: Path, count: int, size: int = 10_000, prefix: str = "f") -> list[SourceFile]:
    root.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(count):
        path = root / f"{prefix}{index}.bin"
        path.write_bytes(os.urandom(size))
        st = path.stat()
        files.append(SourceFile(path, path.name, st.st_size, st.st_mtime_ns))
    return files


def copy_through(
    destination: LocalDestination, files: list[SourceFile], **options: int
) -> JobReport:
    """Copy *files* through *destination*, a backend made for this call, then close it
    (the job closes only the backends it makes)."""
    tasks = [FileTask(f, (destination.root / f.relative_path,)) for f in files]
    with destination:
        return CopyJob(
            tasks, [destination.root], CopyOptions(**options), destinations=[destination]
        ).run()


def test_rename_eio_mid_batch_fails_every_remaining_file_and_removes_partials(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Issue 11: the rename of the 3rd file of a batch fails with EIO (the destination is
    lost); the files after it in the batch had no outcome and kept their partials."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 8)
    fs = faulty_fs()
    plain = tmp_path / "RAID0"
    plain.mkdir()
    rule = fs.fail("rename", errno.EIO, path="*f*.bin", nth=3)
    report = offload(card, [plain, fs.mountpoint])
    assert fs.fired(rule) == 1
    assert report.job.destinations[1].lost
    for file in report.job.files:
        assert file.destination(0).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
        result = file.destination(1)
        assert result is not None and result.status is DestinationStatus.FAILED, file
        assert "no outcome recorded" not in (result.error or ""), result
    assert partials_under(fs.backing) == []
    # The two files published before the failing rename are reported failed: their ledger
    # must not vouch for them (it did: "verified", trusted by the next run).
    assert_ledger_agrees_with(report.job, 1, copy_root=fs.mountpoint / card.name)
    fs.remove(rule)
    again = offload(card, [plain, fs.mountpoint])
    assert again.exit_code == 0
    assert_nothing_failed_here_is_trusted(report.job, again.job, 1)


def assert_ledger_agrees_with(job: JobReport, index: int, *, copy_root: Path) -> None:
    """No file reported failed on destination *index* has an entry vouching for it in the
    ledger of the copy root *copy_root*, as a later run reads it."""
    entries = Ledger(copy_root).load()
    failed = [
        f.relative_path
        for f in job.files
        if f.destination(index).status is DestinationStatus.FAILED  # type: ignore[union-attr]
    ]
    assert failed
    vouched = [
        path
        for path in failed
        if path in entries and entries[path].state in ("verified", "transfer_checked")
    ]
    assert vouched == [], f"reported failed, yet the ledger vouches for {vouched}"


def assert_nothing_failed_here_is_trusted(first: JobReport, again: JobReport, index: int) -> None:
    """The re-run proves again (reads back or copies) every file the first run reported
    failed on destination *index*: none is trusted from the ledger."""
    failed = {
        f.relative_path
        for f in first.files
        if f.destination(index).status is DestinationStatus.FAILED  # type: ignore[union-attr]
    }
    for file in again.files:
        if file.relative_path not in failed:
            continue
        result = file.destination(index)
        assert result is not None and result.status is DestinationStatus.VERIFIED, result
        assert result.action is not CopyAction.TRUSTED, result


def test_a_folder_fsync_that_fails_leaves_no_verified_entry_for_the_files_it_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """QA (a drive unplugged mid-copy): the batch was recorded verified in the ledger,
    published, then the folder fsync failed (the drive gone): every file was reported
    FAILED "not completed", yet the ledger kept a "verified" entry for each, and the re-run
    trusted them ("verified earlier (not re-read)") and a new ASC MHL generation recorded
    them. An entry is now written only once the names it vouches for are durable."""
    card = tmp_path / "cards" / "A001R1AB"
    make_sources(card / "CLIPS", 3)
    make_sources(card / "SEQ" / "shot010", 5, prefix="frame")
    fs = faulty_fs()
    plain = tmp_path / "R1"
    plain.mkdir()
    rule = fs.fail("fsyncdir", errno.EIO, path="A001R1AB/SEQ/shot010")
    report = offload(card, [plain, fs.mountpoint])
    assert fs.fired(rule) >= 1
    assert report.exit_code != 0 and report.job.destinations[1].lost
    copy_root = fs.mountpoint / card.name
    for file in report.job.files:
        assert file.destination(0).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
        result = file.destination(1)
        assert result is not None and result.status is DestinationStatus.FAILED, result
        # The renames happened (the folder fsync failed after them): what a drive plugged
        # back in may well show, at the final names.
        assert (copy_root / file.relative_path).exists()
        # Said so, never "not completed" (failed before: "... not completed: the
        # destination failed (cannot fsync folder ...)" of a file at its name).
        if file.relative_path.startswith("SEQ/shot010/"):
            assert result.error is not None and "not completed" not in result.error, result
            assert "copied to its name" in result.error, result
            assert "may not survive a power cut" in result.error, result
            assert "the next run reads it back" in result.error, result
    assert_ledger_agrees_with(report.job, 1, copy_root=copy_root)
    fs.remove(rule)
    again = offload(card, [plain, fs.mountpoint])
    assert again.exit_code == 0, [f.destination(1) for f in again.job.files]
    assert_nothing_failed_here_is_trusted(report.job, again.job, 1)
    for file in again.job.files:
        assert file.destination(1).action is CopyAction.ADOPTED  # type: ignore[union-attr]


def test_a_file_failed_by_another_files_write_says_why_it_was_not_completed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """QA: "…/A001C002_big.mov not completed: cannot write …/A002C001.mov" read as if this
    file's own write had failed. Each file the loss took says why it was not completed (or
    not copied): the destination failed, and what failed there."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 8)
    # A file whose path the failing file's path starts with (a clip and its sidecar,
    # A001.MOV and A001.MOV.xmp): review found it given the other file's error as its own.
    (card / "f3").write_bytes(os.urandom(50_000))
    fs = faulty_fs()
    plain = tmp_path / "RAID"
    plain.mkdir()
    rule = fs.fail("write", errno.ENOSPC, path="A001/.offload-partial.*f3.bin")
    report = offload(card, [plain, fs.mountpoint])
    assert fs.fired(rule) >= 1
    assert report.job.destinations[1].lost
    culprit = str(fs.mountpoint / card.name)
    others = 0
    for file in report.job.files:
        result = file.destination(1)
        assert result is not None and result.status is DestinationStatus.FAILED, result
        error = result.error or ""
        if file.relative_path == "f3.bin":  # the file whose write failed: its own words
            assert error.startswith(f"cannot write {culprit}/f3.bin"), error
            continue
        others += 1
        assert (
            f"{result.final_path} not completed: the destination failed (cannot write " in error
            or f"{result.final_path} not copied: the destination failed (cannot write " in error
        ), error
        # The failing file's path names its destination: not again (failed before: "cannot
        # write <dest>/A001/f3.bin on destination <dest>: ...").
        assert f"(cannot write {culprit}/f3.bin: No space left on device" in error, error
        assert "on destination" not in error, error
    assert others == 8


def ops_of(fs: FaultyFS, *names: str) -> list[str]:
    return [r.op for r in fs.oplog() if r.op in names]


def test_batch_sync_switch_decides_fsyncs_per_file(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    fs = faulty_fs()
    files = make_sources(tmp_path / "src", 6)
    probed = probe_features(fs.mountpoint)
    assert not probed.durable_batch  # FUSE: syncfs is not trusted to report errors
    fs.oplog(clear=True)
    report = copy_through(LocalDestination(fs.mountpoint), files)
    assert report.exit_code == 0
    assert ops_of(fs, "fsync").count("fsync") >= 6  # one a file
    trusting = dataclasses.replace(probed, durable_batch=True)
    more = make_sources(tmp_path / "src2", 6, prefix="g")
    fs.oplog(clear=True)
    report = copy_through(LocalDestination(fs.mountpoint, features=trusting), more)
    assert report.exit_code == 0
    assert ops_of(fs, "fsync") == []  # one syncfs stood for the batch


@pytest.mark.parametrize(
    ("off", "expected"),
    [
        ({}, ["rename"]),
        ({"atomic_noreplace": False}, ["link", "unlink"]),
        ({"atomic_noreplace": False, "hard_links": False}, ["rename"]),
    ],
    ids=["renameat2", "link-unlink", "check-then-rename"],
)
def test_publish_path_follows_the_features(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    off: dict[str, bool],
    expected: list[str],
) -> None:
    fs = faulty_fs()
    features = dataclasses.replace(probe_features(fs.mountpoint), **off)
    files = make_sources(tmp_path / "src", 1)
    fs.oplog(clear=True)
    report = copy_through(LocalDestination(fs.mountpoint, features=features), files)
    assert report.exit_code == 0
    assert ops_of(fs, "rename", "link", "unlink") == expected
    assert (fs.mountpoint / "f0.bin").read_bytes() == files[0].path.read_bytes()


def test_folder_sync_switch(tmp_path: Path, faulty_fs: Callable[..., FaultyFS]) -> None:
    fs = faulty_fs()
    files = make_sources(tmp_path / "src", 2)
    fs.oplog(clear=True)
    copy_through(LocalDestination(fs.mountpoint), files[:1])
    assert "fsyncdir" in ops_of(fs, "fsyncdir")
    features = dataclasses.replace(probe_features(fs.mountpoint), folder_sync=False)
    fs.oplog(clear=True)
    copy_through(LocalDestination(fs.mountpoint, features=features), files[1:])
    assert ops_of(fs, "fsyncdir") == []


def test_unchanged_folders_are_fsynced_once_and_every_published_name_survives_a_power_cut(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Each batch fsyncs the folders its files were published in, and a folder above them
    only while it may hold a name not yet durable (the first batch; a new clip folder's
    parent): it fsynced every folder up to the destination every batch, each an extra cache
    flush of the disk on ext4. After a power cut every file reported verified is there."""
    card = tmp_path / "src"
    files = []
    for clip in ("100MEDIA", "101MEDIA"):
        for source in make_sources(card / "DCIM" / clip, 6, prefix=clip):
            relative = f"CARD/DCIM/{clip}/{source.relative_path}"
            files.append(SourceFile(source.path, relative, source.size_bytes, source.mtime_ns))
    fs = faulty_fs()
    tasks = [FileTask(f, (fs.mountpoint / f.relative_path,)) for f in files]
    fs.oplog(clear=True)
    with LocalDestination(fs.mountpoint) as destination:
        report = CopyJob(
            tasks, [destination.root], CopyOptions(batch_files=3), destinations=[destination]
        ).run()
    assert report.exit_code == 0
    synced = [r.path for r in fs.oplog() if r.op == "fsyncdir"]
    assert synced.count("CARD/DCIM/100MEDIA") == 2  # its two batches
    assert synced.count("CARD/DCIM/101MEDIA") == 2
    assert synced.count("CARD/DCIM") == 2  # 100MEDIA, then 101MEDIA appeared in it
    assert synced.count("CARD") == 1
    assert synced.count("") == 1  # the destination's root
    fs.power_cut()
    for source in files:
        assert (fs.mountpoint / source.relative_path).read_bytes() == source.path.read_bytes()


@pytest.mark.parametrize("where", ["fsync", "short-write"])
def test_a_ledger_append_that_fails_leaves_no_line_for_the_files_it_failed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], where: str
) -> None:
    """Review: the ledger's append failed after its lines reached the file (its fsync
    refused; or the write cut short, as a full disk does, then refused): the run reported
    every file of the batch FAILED, yet the lines written stayed, and the next run trusted
    those copies ("verified earlier", dated in the run that called them failed). The append
    now takes back what it wrote before raising. Failed before: lines left."""
    card = tmp_path / "cards" / "A001"
    make_sources(card, 8)
    fs = faulty_fs()
    if where == "fsync":
        rule = fs.fail("fsync", errno.EIO, path="A001/.offload/ledger.jsonl")
    else:
        # The first append's write stores 100 bytes (part of its first line), its next fails.
        rule = fs.fail("write", errno.ENOSPC, path="A001/.offload/ledger.jsonl", offset=100)
    report = offload(card, [fs.mountpoint])
    assert fs.fired(rule) >= 1
    failed = {
        f.relative_path
        for f in report.job.files
        if (r := f.destination(0)) is not None and r.status is DestinationStatus.FAILED
    }
    assert failed, "the ledger's failure failed the batch"
    fs.clear()
    ledger = fs.mountpoint / card.name / ".offload" / "ledger.jsonl"
    kept = ledger.read_text() if ledger.exists() else ""
    for relative in failed:
        assert f'"relative_path": "{relative}"' not in kept, (relative, kept)
    # A re-run trusts none of them: each is read back (adopted) or copied again.
    again = offload(card, [fs.mountpoint])
    assert again.exit_code == 0
    for file in again.job.files:
        if file.relative_path in failed:
            result = file.destination(0)
            assert result is not None and result.action is not CopyAction.TRUSTED, result


@pytest.mark.parametrize("folders", ["there", "made"])
@pytest.mark.parametrize("size", [10_000, 1 << 20], ids=["claimed-written", "claimed-read-only"])
def test_a_partial_whose_claim_fails_leaves_no_descriptor_and_no_file(
    faulty_fs: Callable[..., FaultyFS], size: int, folders: str
) -> None:
    """GETATTR answered EIO on the new partial, the n-th one for every n up to the first
    that lets the create through: one of them is ``claim_device``'s fstat, after the create
    (earlier ones are the lookup and the create's own). Whatever raised, no descriptor of
    the process is left open; where the claim raised, the partial is removed too (the
    fstat's failure leaked the descriptor and left the file). With its folders to make
    (``DAY1/C<n>/CLIPS`` below an existing ``DAY1``): whatever raised, the folders the
    create made are gone and ``DAY1``, there before, stays. Failed before: the claim's
    failure left ``C<n>/CLIPS`` behind, empty."""
    fs = faulty_fs()
    claim_failed = False
    day = fs.mountpoint / "DAY1"
    day.mkdir()
    for nth in range(1, 8):
        rule = fs.fail("getattr", errno.EIO, path="*.offload-partial.*", nth=nth)
        folder = day / f"C{nth}" / "CLIPS" if folders == "made" else fs.mountpoint
        # quiet_close and a file above 64 KiB: claimed through a read-only descriptor.
        partial = LocalPartial(
            folder / f"c{nth}.bin", 1 << 20, False, quiet_close=True, size_bytes=size
        )
        before = set(os.listdir("/proc/self/fd"))
        try:
            partial.create(folder_known=folders == "there")
        except OSError as exc:
            assert exc.errno == errno.EIO
            assert set(os.listdir("/proc/self/fd")) <= before
            assert sorted(os.listdir(day)) == [], "a folder made for the partial was left"
            assert partial.created_dirs == ()
            if any(
                frame.name == "claim_device" for frame in traceback.extract_tb(exc.__traceback__)
            ):
                claim_failed = True
                assert not os.path.lexists(partial.partial_text)
        else:
            partial.discard()
            break  # past the getattrs that fail a create: all tried
        finally:
            fs.remove(rule)
    else:
        pytest.fail("every create failed")
    assert claim_failed


@pytest.mark.parametrize("op", ["unlink", "getattr"])
def test_a_stray_partial_the_drive_will_not_remove_is_said_kept(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], op: str
) -> None:
    """A re-run after a power cut on a damaged drive (ntfs-3g answering EIO) could not stat
    or unlink the partial the killed run left, and said nothing, though README promises the
    same command cleans the partials. Now one WARNING line names how many were kept, where,
    and why, and the copy itself goes on. Failed before: no such line."""
    from support.cards import clips_card
    from support.offload_cli import offload_streams

    card = clips_card(tmp_path, 2, 20_000)
    drive = faulty_fs()
    folder = drive.mountpoint / card.name / "CLIPS"
    folder.mkdir(parents=True)
    stray = folder / ".offload-partial.dead010.C001.mov"  # a killed run's: no lock holds it
    stray.write_bytes(b"half a clip")
    drive.fail(op, errno.EIO, path="*/.offload-partial.dead010.*")

    code, _, err = offload_streams("copy", "--report-dir", tmp_path / "r", card, drive.mountpoint)

    assert code == 0, err
    said = [line for line in err.splitlines() if "could not be removed" in line]
    assert said == [
        f"WARNING: 1 partial file of earlier runs could not be removed from {folder} "
        "(Input/output error (EIO)): it is kept, still taking its room; check that drive's "
        "filesystem (a power cut may have damaged it: fsck, or chkdsk for NTFS), then run "
        "the same command again to remove it"
    ], err
    drive.clear()
    assert stray.exists()
