"""The destination contract (``offload.destinations.base``) on each backend, and every
fallback of the local backend, run on Linux by switching its capability off (a Features
override), so that a platform or filesystem without it (macOS, FUSE, NFS, exFAT) starts from
a tested path."""

from __future__ import annotations

import dataclasses
import errno
import itertools
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.destinations.base import Destination, Features, Partial
from offload.destinations.claim import claimed
from offload.destinations.local import LocalDestination, LocalPartial, probe_features
from offload.destinations.naming import PARTIAL_NAME_OVERHEAD
from offload.engine.cancel import CancelToken
from offload.engine.verifier import hash_read_back
from offload.fs.direct import AlignedBuffer
from offload.fs.ops import cached_pages
from offload.hashing import new_hasher
from offload.results import CacheBypass
from support import mounts
from support.memory_destination import MemoryDestination
from support.mounts import Ext4Loop, Mount, MountError, file_extents, without_proc

MIB = 1024 * 1024


def local(tmp_path: Path, **off: bool) -> LocalDestination:
    root = tmp_path / "dest"
    root.mkdir(exist_ok=True)
    features = dataclasses.replace(probe_features(root), **off)
    return LocalDestination(root, features=features)


@pytest.fixture(params=["local", "memory"])
def destination(request: pytest.FixtureRequest, tmp_path: Path) -> Destination:
    if request.param == "local":
        return local(tmp_path)
    return MemoryDestination(Path("/memory/dest"))


def write_sealed(destination: Destination, final: Path, data: bytes) -> Partial:
    partial = destination.open_partial(final, size_bytes=len(data), folder_known=False)
    partial.write(memoryview(data))
    assert partial.seal(sync=True) == len(data)
    return partial


def read_back(
    destination: Destination, partial: object, *, bypass: bool = True
) -> tuple[str, CacheBypass]:
    buffer = AlignedBuffer(MIB)
    try:
        digest, _size, how = hash_read_back(
            destination.open_read_back(partial, bypass_cache=bypass),
            "xxh64",
            buffer,
            cancel=CancelToken(),
        )
    finally:
        buffer.close()
    return digest, how


def xxh64(data: bytes) -> str:
    hasher = new_hasher("xxh64")
    hasher.update(data)
    return hasher.hexdigest()


# -- the contract, on every backend -----------------------------------------------------------


def test_partial_is_hidden_until_published(destination: Destination) -> None:
    final = destination.root / "CLIPS" / "A001.mov"
    data = os.urandom(3 * MIB + 5)
    partial = write_sealed(destination, final, data)
    assert not destination.exists(final)
    assert destination.exists(partial.partial_path)
    assert partial.created_dirs == [destination.root / "CLIPS"]
    assert read_back(destination, partial)[0] == xxh64(data)
    destination.publish(partial, final, replace=False)
    destination.make_names_durable([final])
    assert destination.exists(final) and not destination.exists(partial.partial_path)
    info = destination.stat(final)
    assert info is not None and info.kind == "file" and info.size_bytes == len(data)
    destination.remove_partial(partial)
    assert destination.exists(final)  # a published file is never removed
    names = [e.name for e in destination.list(destination.root / "CLIPS")]
    assert names == ["A001.mov"]


def test_publish_never_replaces_unless_asked(destination: Destination) -> None:
    final = destination.root / "clip.mov"
    first = write_sealed(destination, final, b"the first take")
    destination.publish(first, final, replace=False)
    second = write_sealed(destination, final, b"second")
    with pytest.raises(FileExistsError):
        destination.publish(second, final, replace=False)
    destination.remove_partial(second)
    destination.remove_partial(second)  # twice: still fine
    assert not destination.exists(second.partial_path)
    third = write_sealed(destination, final, b"third")
    destination.publish(third, final, replace=True)
    assert destination.stat(final).size_bytes == len(b"third")  # type: ignore[union-attr]


def test_names_and_space(destination: Destination) -> None:
    assert destination.free_space() > 0
    assert destination.name_problem("A001C001.mov") is None
    longest = destination.features.max_name_bytes - PARTIAL_NAME_OVERHEAD
    assert destination.name_problem("n" * longest) is None
    assert destination.name_problem("n" * (longest + 1)) is not None
    assert destination.name_problem("a/b") is not None
    assert destination.stat(destination.root / "nothing") is None


def test_check_present_notices_a_lost_destination(tmp_path: Path) -> None:
    from offload.errors import DestinationError

    dest = local(tmp_path)
    dest.check_present()
    dest.root.rmdir()
    with pytest.raises(DestinationError, match="is gone"):
        dest.check_present()
    memory = MemoryDestination(Path("/memory/x"))
    memory.check_present()
    memory.lose()
    with pytest.raises(DestinationError):
        memory.check_present()


def _descriptors_on(folder: Path) -> list[str]:
    """What this process holds open at or below *folder* (``/proc/self/fd``)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the listing's own descriptor, closed by now
        if target == str(folder) or target.startswith(f"{folder}/"):
            found.append(target)
    return found


def test_a_destination_made_outside_a_job_lets_its_drive_go_when_closed(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount]
) -> None:
    """A library user's ``LocalDestination`` opens a descriptor on its filesystem for its
    syncfs rounds (before any write: it must report every later error). ``with`` closes
    it on the way out, so the drive can be unmounted at once, the object still alive;
    ``close`` again does nothing, and a batch after it is never called durable. Failed
    before: no ``close`` (nor ``with``): the descriptor stayed open until the garbage
    collector ran, and ``umount`` said the drive was busy."""
    drive = tmpfs_mount(1 << 20)
    with LocalDestination(drive.path) as dest:
        assert _descriptors_on(drive.path) == [str(drive.path)]
        partial = write_sealed(dest, drive.path / "CLIPS" / "a.mov", b"clip")
        dest.publish(partial, drive.path / "CLIPS" / "a.mov", replace=False)
    assert _descriptors_on(drive.path) == []
    dest.close()
    late = dest.open_partial(drive.path / "b.mov", size_bytes=1, folder_known=True)
    late.write(memoryview(b"b"))
    assert dest.make_durable([late]) is False  # each file fsynced: nothing claimed
    assert late.seal(sync=True) == 1
    dest.remove_partial(late)
    subprocess.run(["umount", str(drive.path)], check=True, capture_output=True)
    assert not drive.is_mounted()


def test_closing_one_of_a_jobs_destinations_leaves_the_shared_rounds_to_the_others(
    tmp_path: Path,
) -> None:
    """Destinations that share the job's syncfs table (one filesystem) do not own its
    descriptor: one closed, the other's batches are still made durable by one syncfs,
    until the table itself is closed."""
    from offload.destinations.shared_syncfs import SharedSyncfsTable

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    table = SharedSyncfsTable()
    first = LocalDestination(tmp_path / "a", syncfs_table=table)
    second = LocalDestination(tmp_path / "b", syncfs_table=table)
    first.close()
    first.close()
    partial = second.open_partial(tmp_path / "b" / "x", size_bytes=1, folder_known=True)
    partial.write(memoryview(b"x"))
    assert second.make_durable([partial]) is second.features.durable_batch
    second.remove_partial(partial)
    second.close()
    table.close()


# -- the local backend's probes and fallbacks --------------------------------------------------


def test_probe_on_linux(tmp_path: Path) -> None:
    features = probe_features(tmp_path)
    assert features.direct_writes and features.direct_reads and features.cache_eviction
    assert features.atomic_noreplace and features.folder_sync and features.mtimes
    assert features.max_name_bytes == os.statvfs(tmp_path).f_namemax


def test_direct_writes_off_writes_buffered(tmp_path: Path) -> None:
    on = local(tmp_path)
    big = on.open_partial(on.root / "a.mov", size_bytes=8 * MIB, folder_known=False)
    assert isinstance(big, LocalPartial) and big.direct
    on.remove_partial(big)
    off = local(tmp_path, direct_writes=False)
    data = os.urandom(8 * MIB)
    partial = write_sealed(off, off.root / "b.mov", data)
    assert isinstance(partial, LocalPartial) and not partial.direct
    assert read_back(off, partial)[0] == xxh64(data)


def test_a_frame_below_the_chunk_is_written_buffered_and_read_back_from_the_media(
    tmp_path: Path,
) -> None:
    # On a disk, a file below the 8 MiB chunk is one write: buffered, so that a batch's
    # syncfs writes many such files back with many requests in flight (one synchronous
    # O_DIRECT request a frame paced the image-sequence card: docs/performance.md, fifteenth
    # pass). Its pages are clean once durable, so the read-back still drops them and reads
    # the media.
    dest = local(tmp_path)
    frame = os.urandom(4_000_000)
    partial = dest.open_partial(
        dest.root / "A004C001.0000001.dpx", size_bytes=len(frame), folder_known=False
    )
    assert isinstance(partial, LocalPartial) and not partial.direct
    partial.write(memoryview(frame))
    assert partial.seal(sync=True) == len(frame)
    assert dest.prefetch_read_back(partial) is CacheBypass.FADVISE
    assert read_back(dest, partial, bypass=False)[0] == xxh64(frame)
    assert read_back(dest, partial) == (xxh64(frame), CacheBypass.O_DIRECT)
    large = dest.open_partial(dest.root / "A004C001.wav", size_bytes=8 * MIB, folder_known=False)
    assert isinstance(large, LocalPartial) and large.direct
    dest.remove_partial(large)
    # Where each file is fsynced instead (FUSE, a share), a frame keeps O_DIRECT: a buffered
    # call there is a request to the daemon, and a cancel waits for a chunk's calls.
    per_file = local(tmp_path, durable_batch=False)
    kept = per_file.open_partial(
        per_file.root / "A004C001.0000002.dpx", size_bytes=len(frame), folder_known=False
    )
    assert isinstance(kept, LocalPartial) and kept.direct
    per_file.remove_partial(kept)


def _open_for_writing(path: str) -> list[int]:
    """This process's descriptors open for writing on the file at *path*."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") != path:
                continue
            with open(f"/proc/self/fdinfo/{name}") as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
        except (OSError, StopIteration):
            continue
        if flags & os.O_ACCMODE != os.O_RDONLY:
            found.append(int(name))
    return found


def test_a_file_written_whole_is_no_longer_open_for_writing_but_stays_claimed(
    tmp_path: Path,
) -> None:
    # Where close(2) reports nothing, the descriptor written through is closed at the last
    # byte and a read-only one holds the partial (its claim, the mtime, the syncs, the seal):
    # ext4 then allocates the file's blocks exactly at writeback (the test below).
    dest = local(tmp_path)
    data = os.urandom(100_000)
    partial = dest.open_partial(dest.root / "C0001.JPG", size_bytes=len(data), folder_known=False)
    assert isinstance(partial, LocalPartial)
    partial.write(memoryview(data[:60_000]))
    assert _open_for_writing(partial.partial_text)  # not whole yet: still written through
    partial.write(memoryview(data[60_000:]))
    assert _open_for_writing(partial.partial_text) == []
    assert claimed(partial.partial_text) is True
    partial.set_mtime(1_600_000_000 * 10**9)
    assert dest.make_durable([partial]) is dest.features.durable_batch
    assert partial.seal(sync=True) == len(data)
    assert claimed(partial.partial_text) is True
    dest.publish(partial, dest.root / "C0001.JPG", replace=False)
    published = dest.root / "C0001.JPG"
    assert published.read_bytes() == data
    # A file of 64 KiB or less shares a locality group's preallocation on ext4, packed end to
    # end open or not: it keeps the descriptor written through (three calls less a file).
    tiny = dest.open_partial(dest.root / "C0003.XML", size_bytes=1_000, folder_known=True)
    tiny.write(memoryview(data[:1_000]))
    assert _open_for_writing(tiny.partial_path.as_posix())
    dest.remove_partial(tiny)
    assert published.stat().st_mtime_ns == 1_600_000_000 * 10**9
    # Bytes past the size it was opened for (a source that grew while it was read: the
    # reader fails the file, its chunks still come): written, at the end, as before.
    grown = dest.open_partial(dest.root / "C0002.JPG", size_bytes=len(data), folder_known=True)
    grown.write(memoryview(data))
    assert _open_for_writing(grown.partial_path.as_posix()) == []
    grown.write(memoryview(b"efg"))
    assert grown.seal(sync=True) == len(data) + 3
    assert grown.partial_path.read_bytes() == data + b"efg"
    assert claimed(grown.partial_path.as_posix()) is True
    dest.remove_partial(grown)


def test_a_partial_sealed_before_its_last_byte_keeps_its_claim_and_no_written_descriptor(
    tmp_path: Path,
) -> None:
    # A file over 64 KiB is claimed at its create on a read-only descriptor of the same
    # file; sealed before its last byte came, the written one is closed at the seal and the
    # read-only one keeps the claim until the partial goes.
    dest = local(tmp_path)
    data = os.urandom(60_000)
    partial = dest.open_partial(dest.root / "C0004.JPG", size_bytes=100_000, folder_known=False)
    assert isinstance(partial, LocalPartial)
    partial.write(memoryview(data))
    assert _open_for_writing(partial.partial_text)
    assert partial.seal(sync=True) == len(data)
    assert _open_for_writing(partial.partial_text) == []
    assert claimed(partial.partial_text) is True
    dest.remove_partial(partial)
    assert not os.path.lexists(partial.partial_text)


WITHOUT_PROC_CHILD = """
import fcntl, os, sys
from pathlib import Path
import offload.destinations.local as local
from offload.destinations.claim import claimed
dest = local.LocalDestination(Path(sys.argv[1]))
data = os.urandom(100_000)
partial = dest.open_partial(dest.root / "C0001.JPG", size_bytes=len(data), folder_known=False)
written = partial.fd
partial.write(memoryview(data))
assert not local._proc_fd_opens  # looked for, not found
held = partial.fd
assert held != written and fcntl.fcntl(held, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
try:
    os.fstat(written)
except OSError:
    pass
else:
    raise AssertionError("the written descriptor is still open")
assert claimed(partial.partial_text) is True
assert dest.make_durable([partial]) is dest.features.durable_batch
assert partial.seal(sync=True) == len(data)
dest.publish(partial, dest.root / "C0001.JPG", replace=False)
assert (dest.root / "C0001.JPG").read_bytes() == data
print("ok")
"""


def test_without_proc_a_file_written_whole_is_opened_by_its_name_and_claimed_again(
    tmp_path: Path,
) -> None:
    # Where ``/proc`` is not mounted the read-only descriptor cannot be opened at the
    # create: the written one is claimed, and at the last byte the file is opened by its
    # name, claimed again and the written one closed, as before ``/proc/self/fd`` was used.
    try:
        prefix = without_proc()
    except MountError as exc:
        pytest.skip(str(exc))
    root = tmp_path / "dest"
    root.mkdir()
    run = subprocess.run(
        [*prefix, sys.executable, "-c", WITHOUT_PROC_CHILD, str(root)],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0 and "umount" in run.stderr:
        pytest.skip(f"no mount namespace here: {run.stderr.strip()}")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_small_files_of_a_batch_lie_next_to_each_other_on_ext4(
    tmp_path: Path, ext4_loop: Callable[..., Ext4Loop]
) -> None:
    # A batch's small files are written, made durable by one syncfs, then sealed, as the
    # committer does. ext4 allocates a delayed file's blocks at writeback, and gives one
    # still open for writing a preallocation rounded up to a power of two (100,000 bytes: a
    # 128 KiB slot), so the files lay 28 KiB apart and writeback sent each as a request of
    # its own (the small card: 7x the write requests of `cp -r` + sync; docs/performance.md,
    # "The small card's writes: sixteenth pass"). Closed by then, they lie end to end.
    drive = ext4_loop(64 << 20, mkfs_args=("-b", "4096"))
    dest = LocalDestination(drive.path)
    partials = []
    for number in range(40):
        partial = dest.open_partial(
            drive.path / "DCIM" / f"C{number:04}.JPG", size_bytes=100_000, folder_known=number > 0
        )
        partial.write(memoryview(os.urandom(100_000)))
        partials.append(partial)
    assert dest.make_durable(partials)
    for partial in partials:
        assert partial.seal(sync=False) == 100_000
    starts_ends = []
    for partial in partials:
        extents = file_extents(partial.partial_path)
        assert len(extents) == 1
        starts_ends.append((extents[0].physical, extents[0].physical + extents[0].length))
    starts_ends.sort()
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(starts_ends)]
    # End to end (a 4 KiB block's rounding at most), not 128 KiB apart.
    assert sum(1 for gap in gaps if gap > 4096) <= 2, gaps
    for partial in partials:
        dest.remove_partial(partial)


def test_a_chunk_that_ends_past_a_page_is_written_direct_but_its_tail(tmp_path: Path) -> None:
    # A 12,000,000-byte clip's last chunk (8 MiB, then 3,611,392 bytes) ends 2,816 bytes past
    # a page: its aligned part goes O_DIRECT (never in the page cache), only the tail's page
    # is written buffered.
    dest = local(tmp_path)
    size = 12_000_000
    buffer = AlignedBuffer(12 * MIB)
    try:
        buffer.view[:size] = os.urandom(size)
        partial = dest.open_partial(dest.root / "f.mov", size_bytes=size, folder_known=False)
        assert isinstance(partial, LocalPartial) and partial.direct
        partial.write(buffer.view[: 8 * MIB])
        partial.write(buffer.view[8 * MIB : size])
        fd = os.open(partial.partial_path, os.O_RDONLY)
        try:
            cached = cached_pages(fd, size)
        finally:
            os.close(fd)
        assert cached is not None and cached <= 1
        assert partial.seal(sync=True) == size
        assert read_back(dest, partial)[0] == xxh64(bytes(buffer.view[:size]))
    finally:
        buffer.close()


def test_direct_reads_off_drops_the_cache_and_says_how(tmp_path: Path) -> None:
    dest = local(tmp_path, direct_reads=False)
    data = os.urandom(2 * MIB)
    partial = write_sealed(dest, dest.root / "a.mov", data)
    digest, how = read_back(dest, partial)
    assert digest == xxh64(data)
    # The cache was dropped and checked: emptied on a disk, not on tmpfs (memory is the media).
    assert how in (CacheBypass.FADVISE, CacheBypass.NONE)
    with_direct = local(tmp_path)
    assert read_back(with_direct, partial)[1] is CacheBypass.O_DIRECT


def test_no_way_around_the_cache_is_recorded_as_none(tmp_path: Path) -> None:
    dest = local(tmp_path, direct_reads=False, cache_eviction=False)
    data = os.urandom(100_000)
    partial = write_sealed(dest, dest.root / "a.mov", data)
    assert dest.prefetch_read_back(partial) is None
    assert read_back(dest, partial) == (xxh64(data), CacheBypass.NONE)


def test_not_flushed_reads_through_the_cache(tmp_path: Path) -> None:
    dest = local(tmp_path)
    partial = write_sealed(dest, dest.root / "a.mov", b"x" * 10_000)
    assert read_back(dest, partial, bypass=False)[1] is CacheBypass.NONE


@pytest.mark.parametrize(
    "off",
    [{"atomic_noreplace": False}, {"atomic_noreplace": False, "hard_links": False}],
    ids=["link-unlink", "check-then-rename"],
)
def test_publish_fallbacks_never_replace(tmp_path: Path, off: dict[str, bool]) -> None:
    dest = local(tmp_path, **off)
    final = dest.root / "clip.mov"
    final.write_bytes(b"the first take")
    partial = write_sealed(dest, final, b"new take")
    with pytest.raises(FileExistsError):
        dest.publish(partial, final, replace=False)
    assert final.read_bytes() == b"the first take"
    other = dest.root / "other.mov"
    dest.publish(partial, other, replace=False)
    assert other.read_bytes() == b"new take"
    assert not partial.partial_path.exists()
    assert sorted(os.listdir(dest.root)) == ["clip.mov", "other.mov"]


def test_publish_of_a_dangling_symlink_name_is_refused(tmp_path: Path) -> None:
    for off in ({}, {"atomic_noreplace": False}, {"atomic_noreplace": False, "hard_links": False}):
        dest = local(tmp_path, **off)
        final = dest.root / f"link{len(off)}.mov"
        final.symlink_to(dest.root / "nowhere")
        partial = write_sealed(dest, final, b"data")
        with pytest.raises(FileExistsError):
            dest.publish(partial, final, replace=False)
        dest.remove_partial(partial)
        assert final.is_symlink()


def test_batch_durability_off_asks_for_a_sync_per_file(tmp_path: Path) -> None:
    on = local(tmp_path, durable_batch=True)
    off = local(tmp_path, durable_batch=False)
    partials = [write_unsealed(off, off.root / f"f{i}.bin") for i in range(3)]
    assert off.make_durable(partials) is False
    assert on.make_durable(partials) is True
    assert on.make_durable([]) is False
    for partial in partials:
        assert partial.seal(sync=True) == 10


def test_a_batch_is_trusted_to_the_roots_syncfs_only_on_the_roots_mount(
    tmp_path: Path, btrfs_loop: Callable[..., Ext4Loop], tmpfs_mount: Callable[..., Mount]
) -> None:
    """A btrfs subvolume below the root (its own ``st_dev``, the root's mount and
    filesystem) and a bind mount of the root's own folder (the root's ``st_dev``) are
    written back by the root's syncfs; another filesystem mounted below the root (a drive
    at the user's ``--into`` folder) is not: each file is fsynced, and none of its folders'
    names is recorded as durable. Failed before the fix: True for the tmpfs."""
    root = btrfs_loop().path
    subprocess.run(["btrfs", "-q", "subvolume", "create", str(root / "day1")], check=True)
    assert os.stat(root / "day1").st_dev != os.stat(root).st_dev
    tmpfs_mount(1 << 20, path=root / "day2")
    (root / "plain").mkdir()
    with mounts.bind_mount(root / "plain", root / "day3"):
        dest = LocalDestination(root)
        assert dest.features.durable_batch
        for folder, trusted in (("day1", True), ("day2", False), ("day3", True)):
            partials = [write_unsealed(dest, root / folder / "clip" / f"f{i}") for i in range(2)]
            assert dest.make_durable(partials) is trusted, folder
            # A batch with one file on the root's mount and one below a mount is not either.
            mixed = [write_unsealed(dest, root / f"m{folder}"), partials[0]]
            assert dest.make_durable(mixed) is trusted, folder
            for partial in [*partials, *mixed[:1]]:
                assert partial.seal(sync=not trusted) == 10
                dest.remove_partial(partial)
        assert str(root / "day2" / "clip") not in dest._durable_folders
        assert str(root / "day1" / "clip") in dest._durable_folders


def write_unsealed(dest: LocalDestination, final: Path) -> LocalPartial:
    partial = dest.open_partial(final, size_bytes=10, folder_known=False)
    partial.write(memoryview(b"0123456789"))
    assert isinstance(partial, LocalPartial)
    return partial


def test_folder_sync_off_does_nothing_and_on_reports_the_folder(tmp_path: Path) -> None:
    dest = local(tmp_path, folder_sync=False)
    dest.make_names_durable([dest.root / "gone" / "deeper" / "x.mov"])  # nothing is opened
    on = local(tmp_path)
    with pytest.raises(OSError) as failed:
        on.make_names_durable([on.root / "gone" / "x.mov"])
    assert failed.value.errno == errno.ENOENT
    assert failed.value.filename == str(on.root / "gone")


def test_features_are_frozen_data() -> None:
    features = Features()
    with pytest.raises(dataclasses.FrozenInstanceError):
        features.durable_batch = True  # type: ignore[misc]
    assert not any(
        value for name, value in dataclasses.asdict(features).items() if name != "max_name_bytes"
    )


@pytest.mark.parametrize(
    "actual", [0, 99_999, 100_000, 100_001, 102_400, 102_401, 400_000, 3 * MIB + 5]
)
def test_a_read_back_bounded_by_the_expected_size_still_reads_the_whole_file(
    tmp_path: Path, actual: int
) -> None:
    """``hash_read_back`` asks for no more than the expected size (rounded past its end to a
    page: ``read_span``), yet a file of any other size, shorter, longer than the span or
    than the buffer, is read whole, its digest and size those of what is there (what the
    committer's and the source re-read's size checks compare)."""
    from offload.fs.media import MediaReader

    data = os.urandom(actual)
    path = tmp_path / "file"
    path.write_bytes(data)
    os.sync()
    buffer = AlignedBuffer(MIB)
    try:
        digest, size, _how = hash_read_back(
            MediaReader(path, direct=True, evict=True),
            "xxh64",
            buffer,
            cancel=CancelToken(),
            expected_size=100_000,
        )
    finally:
        buffer.close()
    assert (digest, size) == (xxh64(data), actual)


class _FailsOnSecondRead:
    """A read-back whose medium fails after its first read (a drive lost mid-file): the
    first read is the file's bytes, the second raises EIO."""

    cache_bypass = CacheBypass.O_DIRECT

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.reads = 0

    def read_into(self, view: memoryview, offset: int) -> int:
        self.reads += 1
        if self.reads > 1:
            raise OSError(errno.EIO, "Input/output error")
        n = min(len(view), len(self._data) - offset)
        view[:n] = self._data[offset : offset + n]
        return n

    def close(self) -> None:
        pass


def test_a_read_back_error_kept_with_its_traceback_does_not_pin_the_buffer() -> None:
    """A committer keeps a lost destination's error (its traceback holds the read-back's
    frames) and then closes its buffer: no view of the buffer may outlive the read, or the
    mapping cannot be closed ("BufferError: cannot close exported pointers exist", a
    traceback in the user's terminal; found by the fault matrix's card-unplugged test).
    Failed before: the last read's view was kept by the hashing loop's frame."""
    buffer = AlignedBuffer(MIB)
    media = _FailsOnSecondRead(os.urandom(MIB))
    with pytest.raises(OSError) as kept:
        hash_read_back(media, "xxh64", buffer, cancel=CancelToken(), expected_size=3 * MIB)
    assert media.reads == 2 and kept.value.__traceback__ is not None
    buffer.close()  # raised BufferError before


@pytest.mark.parametrize("actual", [0, 100_000, 102_400, 3 * MIB + 5])
def test_media_hasher_reads_a_file_whole_asking_for_no_more_than_it_holds(
    tmp_path: Path, actual: int
) -> None:
    """``MediaHasher`` (``offload verify``, copies already there) asks each read for no
    more than the file holds, rounded past its end to a page (``read_span``), and still
    hashes it whole. Under strace: it asked for the whole 8 MiB buffer for a 100 KB file
    before, which a direct read past the end makes ext4 zero in the kernel."""
    import subprocess
    import sys

    from support.requirements import require_tool

    strace = require_tool("strace")
    data = os.urandom(actual)
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    os.sync()
    trace = tmp_path / "trace"
    script = (
        "import sys; from pathlib import Path; from offload.engine.verifier import MediaHasher;"
        "h = MediaHasher(); print(h(Path(sys.argv[1]), ['xxh64'])['xxh64']); h.close()"
    )
    command = [sys.executable, "-c", script, str(path)]
    out = subprocess.run(
        [strace, "-f", "-qq", "-y", "-e", "trace=preadv,preadv2", "-o", str(trace), *command],
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout.split() == [xxh64(data)]
    asked = [
        int(n)
        for line in trace.read_text().splitlines()
        if "file.bin" in line
        for n in re.findall(r"iov_len=(\d+)", line)
    ]
    assert asked
    assert max(asked) <= -(-(actual + 1) // 4096) * 4096, asked
