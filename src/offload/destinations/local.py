"""The local filesystem as a destination: every OS quirk of writing, syncing, reading back
and renaming lives here (the OS calls themselves are in ``offload.fs``).

What it does, and the fallback taken where a feature is off (``Features``; probed from the
filesystem by ``probe_features``, or switched off by a caller, which is how the tests run
every fallback on Linux):

* partials are created with O_EXCL under a hidden name (``destinations.naming``) in the
  final folder, and claimed (``destinations.claim``: a shared ``flock`` held from their
  creation until they are published or removed, so another run's clean-up of killed runs'
  partials knows a live one, whatever path it reached the folder by; where close(2) reports
  nothing, held by the descriptor written through, or for a file over 64 KiB by a
  read-only descriptor of it opened through ``/proc/self/fd`` and claimed at the create,
  which takes over when the written one is closed at the file's last byte (ext4 gives a
  file open for writing a rounded-up preallocation at writeback; without ``/proc``, the
  read-only one is opened and claimed again then), closed after the rename; else by a
  duplicate made at the seal, whose close heard the error); files of 8 MiB or more
  where one syncfs makes a batch durable, of 1 MiB or more elsewhere
  (``MIN_DIRECT_WRITE_BYTES_DURABLE_BATCH``, ``MIN_DIRECT_WRITE_BYTES``), are written with
  O_DIRECT in page-aligned chunks (the tail buffered, in calls of ``write_call_size``
  bytes), smaller ones buffered, in such calls. A filesystem that refuses O_DIRECT at open
  (EINVAL) gets a plain open; one that refuses a direct write (EINVAL, or FUSE's EIO for a
  short direct write) gets that chunk again, buffered, once. ``direct_writes`` off: always
  buffered.
* a batch is made durable with one ``syncfs``, shared with the job's other destinations on
  the same filesystem (``destinations.shared_syncfs``: one round for every batch that asked
  while the last ran), which covers every file only where the kernel (≥ 5.8) reports
  writeback errors through it and the filesystem is a trusted local one
  (``durable_batch``), no round since the batch's first file reported an error, and every
  file's folder is on the root's mount (another filesystem mounted below the root, a drive
  or a share at the user's ``--into`` folder, is not written back by the root's syncfs at
  all; a btrfs subvolume, another ``st_dev`` on the same mount, is; ``seal`` compares each
  file's own device as well); elsewhere each file is fsynced as well (cheap once syncfs
  wrote the data back), which tells whose an error is. A failed fsync is final. macOS: no
  syncfs; ``F_FULLFSYNC`` per file.
* read-backs use O_DIRECT (``direct_reads``; macOS ``F_NOCACHE``), else drop the file's cache
  and check it empty with ``mincore`` (``cache_eviction``), else read through the cache and
  record ``CacheBypass.NONE``. A batch of small files is evicted and prefetched at once. On
  a FUSE filesystem over a block device (ntfs-3g, exfat-fuse) the device's own page cache
  is dropped too, once the batch is durable (``fs.below``: ``CacheBypass.DEVICE``, or NONE
  where the device cannot be opened); a network filesystem's read-back is recorded
  ``CacheBypass.SERVER`` (the server may answer from its cache).
* publishing without replacing uses ``renameat2(RENAME_NOREPLACE)`` (``atomic_noreplace``;
  macOS ``renamex_np(RENAME_EXCL)``), else ``link()`` + ``unlink()`` (``hard_links``), else a
  check for the name then ``rename()``. ``--overwrite`` uses ``rename()`` (atomic replace).
* the published names are made durable by fsyncing their folders and every folder above
  them up to the root whose own name may not be durable yet, deepest first
  (``folder_sync``); a folder made before a batch's syncfs that reported no error (Linux ≥
  5.17: the filesystem's own errors reported too) has a durable name already, so a new
  clip folder's parent is not fsynced for it.

Thread-safe: a LocalDestination keeps nothing that changes after construction but the
folders it made durable and the devices its syncfs covers (under a lock), which folders
are on them (committer thread) and its filesystem's syncfs rounds (thread-safe:
``destinations.shared_syncfs``); a LocalPartial is used by one thread at a time
(see ``destinations.base``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from offload.destinations.base import Closing, EntryInfo, Features, Partial, ReadBack
from offload.destinations.claim import UNKNOWN_DEVICE, claim_again, claim_device
from offload.destinations.naming import name_problem, partial_name
from offload.destinations.shared_syncfs import SharedSyncfs, SharedSyncfsTable
from offload.errors import DestinationError, printable_name
from offload.fs.below import NOTHING_BELOW, CacheBelow, CachesBelow, cache_below
from offload.fs.devices import folder_device
from offload.fs.direct import O_DIRECT, PAGE_SIZE, disable_direct
from offload.fs.media import MediaReader, evict_and_prefetch
from offload.fs.ops import (
    HAS_SYNCFS,
    filesystem_magic,
    fsync_dir,
    full_fsync,
    mount_id,
    rename_noreplace,
)
from offload.fs.whole import NothingWritten
from offload.remedies import RESUME
from offload.results import CacheBypass

if TYPE_CHECKING:
    from concurrent.futures import Future

# A partial removed by another run's clean-up in the instant between its creation and its
# claim is made again under a new name; a clean-up lists a folder once, so twice is rare.
# (A tuple, not ``range(3)``: no range object made a file on the writer thread.)
_CLAIM_ATTEMPTS = (1, 2, 3)
# Files larger than this are closed for writing at their last byte (``_written_whole``):
# ext4 gives a larger file still open for writing a preallocation of its own, rounded up,
# while files up to 16 blocks (64 KiB of 4 KiB blocks, ``mb_stream_req``) share a locality
# group's and lie end to end whether open or not: for them the two calls more (the read-only
# descriptor's open, the written one's close) would buy nothing
# (and the writer thread paces a card of tiny files).
CLOSE_WRITTEN_ABOVE = 64 * 1024
# A partial's create (``LocalPartial._open``), its flags looked up once.
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
# Linux: opening a descriptor's entry here opens the very file that descriptor is open on
# (by its inode, not by its name), which is how a partial closed at its last byte gets the
# read-only descriptor that claims it from its create on (``LocalPartial._claim_read_only``).
_PROC_FD = "/proc/self/fd/"
_READ_ONLY_FLAGS = os.O_RDONLY | os.O_CLOEXEC
# False once such an open found no ``/proc`` (ENOENT: not mounted): a benign race between
# writer threads, each of which may ask once more.
_proc_fd_opens = True
# ``LocalPartial._claim_read_only``'s answer where no read-only descriptor could be opened.
_UNCLAIMED = -2
# ``LocalPartial._close_at`` once the written descriptor was closed at the last byte: a write
# after it opens the file for writing again (``_write_again``).
_REOPEN = -2
# Files smaller than this are written buffered: below a page-aligned MiB nothing would be
# written direct anyway.
MIN_DIRECT_WRITE_BYTES = 1024 * 1024
# Where one syncfs makes a batch durable (``durable_batch``: a kernel filesystem on a disk),
# files smaller than this (the engine's default chunk: such a file is one chunk, one write)
# are written buffered too: the batch's syncfs hands them to the kernel's writeback at once,
# many requests in flight. Written O_DIRECT, each was one synchronous request, one at a time
# a destination, and on a disk whose requests take long (this project's virtio disk: ~10 ms
# for 4 MB) those writes paced the job: 300 frames of 4 MB to three destinations,
# interleaved, full mode 10.84 s against 14.54 s, transfer 6.62 s against 10.74 s
# (docs/performance.md, "The image sequence's writes: fifteenth pass"). Larger files keep
# O_DIRECT (8 MiB calls, two requests each). Elsewhere (FUSE, a network share) the 1 MiB
# bound stays: each buffered call is a request to the daemon or server, and a chunk's calls
# are not cut short by a cancel (a stalled FUSE write then held Ctrl-C for a chunk's 16).
MIN_DIRECT_WRITE_BYTES_DURABLE_BATCH = 8 * 1024 * 1024

# Local filesystems whose syncfs() writes back every file and reports writeback errors
# (Linux ≥ 5.8 records them per superblock): one syncfs can stand for a batch of fsyncs there.
# FUSE, NFS, SMB and unknown filesystems get one fsync per file.
_SYNCFS_TRUSTED = frozenset(
    {
        0xEF53,  # ext2/3/4
        0x58465342,  # xfs
        0x9123683E,  # btrfs
        0xF2F52010,  # f2fs
        0x2011BAB0,  # exfat (kernel driver)
        0x01021994,  # tmpfs: memory is the medium
    }
)
# The same local filesystems have no flush on close (``->flush``): close(2) cannot report a
# write error there, so a partial's own descriptor can hold its claim until it is published
# (``LocalPartial.seal``), where elsewhere (NFS, FUSE: each close flushes) it is closed at the
# seal, its error heard, and a duplicate holds the claim.
_CLOSE_REPORTS_NOTHING = _SYNCFS_TRUSTED
# Filesystems without symbolic or hard links.
_NO_LINKS = frozenset({0x2011BAB0, 0x4D44})  # exfat, vfat
# FUSE (fuse, fuseblk): the daemon decides what a rename does to the mtime (fusefat: now).
_FUSE = 0x65735546
_NS = 1_000_000_000
_SEP = os.sep


def _linux_at_least(wanted: tuple[int, int]) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        major, minor = (int(part) for part in os.uname().release.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= wanted


# Linux ≥ 5.8: syncfs reports the files' writeback errors (the superblock's ``s_wb_err``).
_SYNCFS_REPORTS_ERRORS = _linux_at_least((5, 8))
# Linux ≥ 5.17: syncfs also returns the filesystem's own error from ``sync_fs`` and from the
# write of its device's buffers (a journal commit or a metadata write that failed), so a
# syncfs that answers 0 made every folder entry made before it durable: a folder made for a
# batch's files then needs no fsync of its parent (``LocalDestination.make_durable``).
# Before 5.17 that error was dropped, and only each folder's fsync tells.
_SYNCFS_REPORTS_METADATA_ERRORS = _linux_at_least((5, 17))


def probe_features(root: Path) -> Features:
    """What the filesystem holding *root* can promise (``fstatfs``, ``fstatvfs``).

    Features a filesystem may still refuse at run time (O_DIRECT, RENAME_NOREPLACE, hard
    links) are tried and fall back then, as if switched off here.
    """
    return _probe(root)[0]


def _probe(root: Path) -> tuple[Features, int | None]:
    """``probe_features`` and the filesystem's magic number (None: unknown)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        magic = filesystem_magic(fd)
        name_max = os.fstatvfs(fd).f_namemax or 255
    finally:
        os.close(fd)
    return _features(magic, name_max), magic


def _magic(root: Path) -> int | None:
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return filesystem_magic(fd)
    finally:
        os.close(fd)


def _features(magic: int | None, name_max: int) -> Features:
    links = magic not in _NO_LINKS
    return Features(
        durable_batch=HAS_SYNCFS and _SYNCFS_REPORTS_ERRORS and magic in _SYNCFS_TRUSTED,
        direct_writes=bool(O_DIRECT),
        direct_reads=bool(O_DIRECT),
        cache_eviction=hasattr(os, "posix_fadvise"),
        atomic_noreplace=sys.platform.startswith("linux"),
        hard_links=links,
        folder_sync=True,
        symlinks=links,
        mtimes=True,
        rename_may_set_mtime=magic == _FUSE,
        max_name_bytes=name_max,
    )


class LocalPartial:
    """A partial file on a local filesystem (the ``Partial`` of ``destinations.base``).

    Every method raises OSError from the OS as is; ``discard()`` never raises. Its paths are
    kept as text and every OS call is made with the text: ``final_path`` and
    ``partial_path`` are made as ``Path`` objects only when someone asks (an error message),
    since making them for every file (parsing the text into parts) was the largest share of
    a small file's cost on the writer thread (docs/performance.md, "The small-file card:
    sixth pass"). Slots, and made with positional arguments by ``open_partial``: one a file
    ("The committer: fifteenth pass").
    """

    bytes_resumed = 0  # a partial file is written whole by every run

    __slots__ = (
        "_check_device",
        "_claim",
        "_close_at",
        "_device",
        "_fd",
        "_final_path",
        "_partial_path",
        "_quiet_close",
        "_root_device",
        "_want_direct",
        "_write_call_size",
        "below",
        "bytes_written",
        "created_dirs",
        "direct",
        "final_text",
        "folder_text",
        "mtime_ns",
        "partial_name",
        "partial_text",
        "published",
        "since",
        "synced_by_batch",
    )

    def __init__(
        self,
        final_path: Path | str,
        write_call_size: int,
        direct: bool,
        below: CacheBelow = NOTHING_BELOW,
        root_device: int | None = None,
        check_device: Callable[[int, int, str], CacheBelow | None] | None = None,
        quiet_close: bool = False,
        size_bytes: int = 0,
        since: int = 0,
    ) -> None:
        final = final_path if type(final_path) is str else os.fspath(final_path)
        # ``_split`` and ``_joined``'s plain case made here (two calls a file less on the
        # writer thread): a folder that is neither empty nor ends with a separator.
        folder, _, name = final.rpartition(_SEP)
        self.final_text = final
        if folder and folder[-1] != _SEP:
            self.partial_name = hidden = partial_name(name)
            self.partial_text = f"{folder}{_SEP}{hidden}"
        else:
            folder, name = os.path.split(final)
            self.partial_name = partial_name(name)
            self.partial_text = _joined(folder, self.partial_name)
        self.folder_text = folder
        self._final_path = final_path if isinstance(final_path, Path) else None
        self._partial_path: Path | None = None
        self.bytes_written = 0
        self.created_dirs: Sequence[Path] = ()  # none made (a list only when some were)
        self.published = False
        self.mtime_ns: int | None = None  # what set_mtime set, for a publish that undoes it
        self.direct = False  # O_DIRECT in effect for the aligned part of the data
        self._want_direct = direct
        self._write_call_size = write_call_size
        # The cache below this file's filesystem: told when the file is durable (a
        # read-back drops it again); the root's, unless ``seal`` finds the file on another.
        self.below = below
        self._fd: int | None = None
        # Holds the claim from ``seal`` on; before it, only a read-only descriptor that
        # claimed the partial at its create while ``_fd`` is the one written through
        # (``_claim_read_only``), until the last byte (``_written_whole``).
        self._claim: int | None = None
        # close(2) reports nothing on this filesystem (``_CLOSE_REPORTS_NOTHING``): the
        # descriptor written through holds the claim from ``seal`` on, no duplicate.
        self._quiet_close = quiet_close
        # Where close(2) reports nothing, the descriptor written through is closed once the
        # file's last byte is written (``_written_whole``); -1: never (a file of 64 KiB or
        # less, or a close that may report an error, heard at the seal).
        self._close_at = size_bytes if quiet_close and size_bytes > CLOSE_WRITTEN_ABOVE else -1
        # The destination root's device, and how to ask whether it is still there and
        # whether the root's syncfs covers another device: ``seal`` compares the file's own
        # device with it (``LocalDestination._check_device``).
        self._root_device = root_device
        self._check_device = check_device
        # The file's own device, from the claim's ``fstat`` at the create (a file's device
        # never changes): what ``seal`` compares with the root's. ``UNKNOWN_DEVICE`` where no
        # claim was taken (no locks there): ``seal`` then asks ``fstat``.
        self._device = UNKNOWN_DEVICE
        # The filesystem's syncfs rounds done before this file was created
        # (``SharedSyncfs.mark``): an error a later round reports may be this file's.
        self.since = since
        # Whether the batch's shared syncfs is to stand for this file's fsync
        # (``LocalDestination.make_durable`` answered True for its batch).
        self.synced_by_batch = False

    @property
    def final_path(self) -> Path:
        if self._final_path is None:
            self._final_path = Path(self.final_text)
        return self._final_path

    @property
    def partial_path(self) -> Path:
        if self._partial_path is None:
            self._partial_path = Path(self.partial_text)
        return self._partial_path

    def create(self, *, folder_known: bool) -> None:
        """Create the partial file (and its missing folders unless *folder_known*) and claim
        it (``destinations.claim``). Raises OSError from the OS; where the create succeeded
        but the claim raised, the new descriptor is closed and the partial removed first,
        and where it raised after this call made folders for the partial (the claim, the
        create itself, a folder made part-way), those folders are removed again, deepest
        first, each only while empty: never one that was there before the call (a file
        that failed left no empty clip folder behind on the drive, in no manifest).
        Writer thread only."""
        folder = self.folder_text
        if folder_known or os.path.isdir(folder):
            self._create_claimed()
            return
        made = _make_folders(folder)
        self.created_dirs = [Path(path) for path in made]
        try:
            self._create_claimed()
        except BaseException:
            _remove_empty_folders(made)
            self.created_dirs = ()
            raise

    def _create_claimed(self) -> None:
        """``create``'s partial, in a folder that exists: made, claimed, or removed again
        (see ``create``). Raises OSError."""
        for _attempt in _CLAIM_ATTEMPTS:
            try:
                fd = self._open()
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    # A FUSE create can make the file and then fail (its GETATTR: EIO): the
                    # name is this run's (O_EXCL, a name of its own), so what stands there
                    # is ours, never another's, and no one else would remove it.
                    with contextlib.suppress(OSError):
                        os.unlink(self.partial_text)
                raise
            try:
                device = self._claim_read_only(fd) if self._close_at >= 0 else _UNCLAIMED
                if device == _UNCLAIMED:
                    device = claim_device(fd)
            except BaseException:
                # ``claim``'s fstat failed (EIO from a failing drive): no Partial is handed
                # out, so nobody else would ever close this descriptor or remove the file.
                self._abandon(fd)
                raise
            if device is not None:
                self._fd = fd
                self._device = device
                return
            # Removed by another run's clean-up before the claim was granted (an instant
            # after the open: ``destinations.claim``): a new partial, under a new name.
            os.close(fd)
            self.direct = False
            self.partial_name = partial_name(os.path.basename(self.final_text))
            self.partial_text = _joined(self.folder_text, self.partial_name)
            self._partial_path = None
        raise OSError(
            errno.ENOENT,
            "the partial file was removed as soon as it was created",
            self.partial_text,
        )

    def _abandon(self, fd: int) -> None:
        """Close *fd*, the partial ``create`` just made and could not claim, and remove the
        partial (this run's name, made with O_EXCL: no one else's). Never raises."""
        try:
            os.close(fd)
        except OSError:
            pass
        try:
            os.unlink(self.partial_text)
        except OSError:
            pass

    def _claim_read_only(self, fd: int) -> int | None:
        """Claim the partial just created on *fd* through a read-only descriptor of the same
        file (``_claim``), for a partial whose written descriptor is closed at its last byte
        (``_written_whole``): that one then takes over with no call of its own, where it
        was opened, claimed again and its written one closed there (one ``flock`` a file
        more, on the thread that paces a card of small files: docs/performance.md, "The
        small card's calls and wake-ups: nineteenth pass"). Opened through ``/proc/self/fd``,
        so it is the file *fd* is open on even if another run's clean-up removed its name
        meanwhile (``claim`` then answers False from its link count, as on *fd*).

        Claimed: the file's device (``claim_device``); None: removed before the claim was
        granted (the read-only descriptor closed; the caller closes *fd* and starts over
        under a new name); ``_UNCLAIMED``: no such descriptor (no ``/proc``, or a mode that
        denies its owner reading): *fd* is claimed instead, and at the last byte the file is
        opened by its name and claimed again (``_written_whole``), as before. Raises OSError
        from ``claim``'s ``fstat``, the read-only descriptor closed. Writer thread only (one
        partial at a time)."""
        global _proc_fd_opens
        if not _proc_fd_opens:
            return _UNCLAIMED
        try:
            held = os.open(f"{_PROC_FD}{fd}", _READ_ONLY_FLAGS)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                _proc_fd_opens = False  # no /proc here: not asked again in this process
            return _UNCLAIMED
        try:
            device = claim_device(held)
        except OSError:
            os.close(held)
            raise
        if device is None:
            os.close(held)
            return None
        self._claim = held
        return device

    def _open(self) -> int:
        """Create the partial (O_EXCL), with O_DIRECT where asked and taken."""
        flags = _CREATE_FLAGS
        if self._want_direct and O_DIRECT:
            try:
                fd = os.open(self.partial_text, flags | O_DIRECT, 0o666)
                self.direct = True
                return fd
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                # EINVAL from open with O_DIRECT: the file may exist now; start over plainly.
                if os.path.lexists(self.partial_text):
                    os.unlink(self.partial_text)
        return os.open(self.partial_text, flags, 0o666)

    @property
    def fd(self) -> int:
        assert self._fd is not None
        return self._fd

    def write(self, data: memoryview) -> None:
        """Write all of *data*; short writes loop.

        While direct I/O is in effect, the page-aligned part of *data* goes in one O_DIRECT
        call; a tail shorter than a page (a file's last chunk: a clip of 12,000,000 bytes
        ends 2,816 bytes past a page) turns O_DIRECT off and is written, like anything after
        it, in calls of at most write_call_size bytes (the kernel's fast path for buffered
        writes). Writing the whole last chunk buffered instead put up to 8 MiB a file
        through the page cache for a few bytes' sake.
        """
        total = len(data)
        if not self.direct and total <= self._write_call_size and self._close_at != _REOPEN:
            # A buffered write of at most one call (every small file's whole write): made
            # here, without ``_write_from``'s loop and slices (the writer thread paces a
            # card of small files); a short write goes on there, as any other.
            fd = self._fd
            assert fd is not None
            written = os.write(fd, data)
            if written != total:
                if written <= 0:
                    raise NothingWritten(self.partial_text)  # the words of our own files' writes
                self._write_from(data, written)
            self.bytes_written += total
            if self.bytes_written == self._close_at:
                self._written_whole()
            return
        if self._close_at == _REOPEN:
            self._write_again()
        position = 0
        if self.direct and self.bytes_written % PAGE_SIZE:
            self._stop_direct()
        if self.direct and total % PAGE_SIZE:
            aligned = total - total % PAGE_SIZE
            if aligned:
                self._write_from(data[:aligned], 0)
                position = aligned
            if self.direct:
                self._stop_direct()
        self._write_from(data, position)
        self.bytes_written += total
        if self.bytes_written == self._close_at:
            self._written_whole()

    def _written_whole(self) -> None:
        """The file's last byte is written: a read-only descriptor claims it again and holds
        it from now on (``set_mtime``, the syncs, ``seal``), and the one written through is
        closed. Why: ext4 gives a file that is still open for writing a preallocation rounded
        up when its data is allocated at writeback (a 100 KB file a 128 KB slot, the rest
        given back at its close), so a batch's small files lay on the disk with holes between
        them and each was a write request of its own; a file closed by then gets its blocks
        exactly, next to the previous file's, and the batch's writeback merges them into
        large requests (docs/performance.md, "The small card's writes: sixteenth pass").
        Only where close(2) reports nothing (``_quiet_close``): elsewhere the close is where
        a deferred write error is heard, at the seal. Best effort: without the new
        descriptor or its claim, the written one stays. The partial's name is this run's
        (``O_EXCL``, claimed: no clean-up removes it), so the path names the file written.

        The read-only descriptor is the one opened and claimed at the create
        (``_claim_read_only``), where there was one: no call here but the close.

        No writeback is started here (``sync_file_range``): each file's own start made one
        write request a file where the batch's ``syncfs`` merges a batch's files, six times
        the disk's requests on the small card and slower in every round
        (docs/performance.md, "thirty-first pass")."""
        held = self._claim
        if held is not None:
            written, self._fd, self._claim = self._fd, held, None
            self.direct = False
            self._close_at = _REOPEN
            if written is not None:
                os.close(written)  # reports nothing here (``_CLOSE_REPORTS_NOTHING``)
            return
        try:
            fd = os.open(self.partial_text, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return
        if not claim_again(fd):
            os.close(fd)
            return
        written, self._fd = self._fd, fd
        self.direct = False
        self._close_at = _REOPEN
        if written is not None:
            os.close(written)  # reports nothing here (``_CLOSE_REPORTS_NOTHING``)

    def _write_again(self) -> None:
        """Bytes past the size the file was opened for (a source that grew while it was
        read: the reader fails it, but its chunks still come): open it for writing again,
        at its end, claimed before the read-only descriptor is closed. Raises OSError."""
        fd = os.open(self.partial_text, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.lseek(fd, self.bytes_written, os.SEEK_SET)
            claim_again(fd)  # where no lock is kept there is no claim to keep either
        except OSError:
            os.close(fd)
            raise
        held, self._fd = self._fd, fd
        self._close_at = -1
        if held is not None:
            os.close(held)

    def _write_from(self, data: memoryview, position: int) -> None:
        """Write *data* from *position* on: O_DIRECT while in effect, else buffered calls."""
        fd = self._fd
        assert fd is not None
        total = len(data)
        while position < total:
            if self.direct:
                try:
                    written = os.write(fd, data[position:])
                except OSError as exc:
                    if exc.errno not in (errno.EINVAL, errno.EIO):
                        raise
                    # EINVAL: the filesystem refuses direct writes after all. EIO: FUSE turns
                    # a short direct write into EIO. Either way the chunk (not yet counted;
                    # the file offset did not move) is written again buffered, once: a real
                    # media error fails again there, or at fsync, or at read-back.
                    self._stop_direct()
                    continue
                if written % PAGE_SIZE:
                    self._stop_direct()
            else:
                end = position + self._write_call_size
                if end > total:  # (not min(): its call a write on the writer thread)
                    end = total
                written = os.write(fd, data[position:end])
            if written <= 0:
                raise NothingWritten(self.partial_text)  # the words of our own files' writes
            position += written

    def _stop_direct(self) -> None:
        disable_direct(self.fd)
        self.direct = False

    def set_mtime(self, mtime_ns: int) -> None:
        assert self._fd is not None
        os.utime(self._fd, ns=(mtime_ns, mtime_ns))
        self.mtime_ns = mtime_ns

    def seal(self, *, sync: bool) -> int:
        fd = self._fd
        assert fd is not None
        if sync:
            full_fsync(fd)  # fsyncgate: a failure is final, never retried
        device = self._device
        if device == UNKNOWN_DEVICE:
            info = os.fstat(fd)
            device, size = info.st_dev, info.st_size
        else:
            # The device is the claim's (an open file's never changes) and the size its
            # end: one call that makes no ``stat_result`` (its float and nanosecond times,
            # ~4,500 instructions a file on the committer thread; docs/performance.md, "The
            # 50,000-file card's copy phase: twentieth pass"). The offset moved is never
            # used: nothing is written through the descriptor after its seal.
            size = os.lseek(fd, 0, os.SEEK_END)
        if device != self._root_device and self._check_device is not None:
            # Not on the root's device: a drive unmounted (even lazily) or swapped at the same
            # path while its batch was written, the file made in whatever is there now (the
            # writer asks for presence only once a batch). The destination says whether it
            # is gone (DestinationError); a folder below the root on a filesystem of its own
            # (a btrfs subvolume) passes.
            other = self._check_device(fd, device, self.folder_text)
            if other is not None:
                # On another filesystem mounted below the root: read back through what lies
                # under that one (a FUSE daemon's cache, a server), not the root's.
                self.below = other
                if self.synced_by_batch:
                    # Mounted since the batch's folders were looked at: the root's syncfs
                    # never wrote this file back.
                    full_fsync(fd)
        # Durable now (synced here, or by the batch's syncfs before): the device's cache
        # must be dropped again before this file is read back (dirty pages cannot be).
        self.below.written()
        if self._quiet_close:
            # Its close cannot report an error here, so the descriptor itself keeps the
            # claim until the partial is published or removed: no dup and no close now (two
            # calls a file; docs/performance.md, "The committer: fifteenth pass").
            self._fd = None
            if self._claim is not None:
                # Never written whole (``_written_whole``): the read-only descriptor claimed
                # at the create keeps the claim; the written one goes (reports nothing).
                os.close(fd)
                return size
            self._claim = fd
            return size
        # The claim is the open file description's: a duplicate keeps it until the partial
        # is published or removed, while close() still reports a deferred write error (NFS,
        # FUSE: each close() flushes).
        self._claim = os.dup(fd)
        self._fd = None
        os.close(fd)
        return size

    def release_claim(self) -> None:
        """Close what holds the claim (``destinations.claim``), once the partial is
        published or removed. Never raises."""
        if self._claim is not None:
            fd, self._claim = self._claim, None
            try:
                os.close(fd)
            except OSError:
                pass

    def discard(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.close(fd)
            except OSError:
                pass
        # Released before the unlink: a FUSE filesystem (libfuse's high-level API) would
        # keep an unlinked file that is still open under a hidden name until it is closed.
        self.release_claim()
        if not self.published:
            try:
                os.unlink(self.partial_text)
            except OSError:
                pass


class LocalDestination(Closing):
    """A folder on a local (or mounted network) filesystem; see the module docstring.

    ``root``: the folder whose device must stay the same while the job runs (unmounted or
    replaced: the destination is gone). ``root_device``: the device (``st_dev``) the plan
    saw there, which every later look compares with; a root found on another one now (a
    drive pulled between the plan and the job: its empty mount point is the disk below) is
    gone at the first ``check_present``, before anything is written. None: the device the
    root is on now. ``copy_root``: a folder below the root on another device as the plan
    saw it (a drive mounted at the copy root, ``DEST/A001``) and that device, which
    ``check_present`` compares too. ``features``: None to probe them.
    ``syncfs_table``: the job's syncfs rounds (``destinations.shared_syncfs``), which own
    their descriptors; None: this destination opens a descriptor of its own on its
    filesystem, which ``close`` closes (or the collector: a destination not closed keeps
    its filesystem busy, an unmount refused, until then). A context manager
    (``with LocalDestination(root) as dest:``; ``destinations.base``, "Lifetime").
    Raises OSError if *root* cannot be reached.
    """

    def __init__(
        self,
        root: Path,
        *,
        device: str | None = None,
        root_device: int | None = None,
        copy_root: tuple[Path, int] | None = None,
        write_call_size: int = 256 * 1024,
        direct_writes: bool = True,
        features: Features | None = None,
        syncfs_table: SharedSyncfsTable | None = None,
    ) -> None:
        self.root = Path(root)
        self.device = device or str(root)
        now = os.stat(self.root).st_dev  # raises for a drive that no longer answers
        # The plan's device, not the one found now: taken late, it would be the disk below
        # a drive pulled meanwhile, and every check would then compare with that disk.
        self.root_device = now if root_device is None else root_device
        # A drive mounted at the copy root itself (DEST/A001), and its device as the plan saw
        # it: pulled, its bare mount point is a folder of DEST's disk, DEST never moved.
        self._copy_root = copy_root
        if features is None:
            features, magic = _probe(self.root)
        else:  # a caller's (the tests switch features off): the filesystem still decides
            magic = _magic(self.root)
        self.features = features
        # Whether a partial's close can report an error here (``LocalPartial.seal``).
        self._quiet_close = magic in _CLOSE_REPORTS_NOTHING
        # The cache under this filesystem (fuseblk's device, a network share's server).
        self.below = cache_below(self.root)
        self._write_call_size = write_call_size
        self._direct_writes = direct_writes and self.features.direct_writes
        # The seal's device check, bound once (a bound method made a file otherwise).
        self._check_device_bound = self._check_device
        self._direct_from = (
            MIN_DIRECT_WRITE_BYTES_DURABLE_BATCH
            if self.features.durable_batch
            else MIN_DIRECT_WRITE_BYTES
        )
        # Folders (as text) whose own name is durable in their parent: their parent was
        # fsynced after they were made (``make_names_durable``), or a batch's syncfs that
        # reported no error began after they were made (``make_durable``). Committer
        # thread; locked anyway, as the contract asks of a Destination's state.
        self._durable_folders: set[str] = set()
        self._durable_lock = threading.Lock()
        # Devices the root's syncfs is known to cover: the root's, and a btrfs subvolume's
        # below it (its own st_dev, the root's mount); and whether each folder a batch was
        # in is on one of them (``_on_root_filesystem``). Another filesystem mounted below
        # the root (a drive, a share) is not written back by the root's syncfs at all.
        self._covered_devices = {self.root_device}
        self._folder_covered: dict[str, bool] = {}
        self._root_mount: int | None = None
        # The cache below each such other filesystem, by device (``_check_device``).
        self._belows = CachesBelow()
        # Whether a rename sets the mtime again (``_keep_mtime``): None until a publish shows
        # it; False at once where the filesystem is known to keep it (no call a file).
        self._rename_sets_mtime: bool | None = None if self.features.rename_may_set_mtime else False
        # The syncfs rounds of this filesystem: the job's, shared with its other destinations
        # there (``syncfs_table``), else this destination's own. Opened now, before any
        # write: its descriptor must be older than every error it is to report.
        self._syncfs: SharedSyncfs | None = None
        self._owns_syncfs = syncfs_table is None
        if HAS_SYNCFS:
            self._syncfs = (
                syncfs_table.for_root(self.root, self.root_device)
                if syncfs_table is not None
                else SharedSyncfs.open(self.root)
            )

    def close(self) -> None:
        """Close the syncfs descriptor this destination opened for itself (one of the job's
        table is the table's: only let go). Idempotent, never raises; call once its writer
        and committer have stopped. Batches after it are fsynced file by file
        (``make_durable`` answers False)."""
        shared, self._syncfs = self._syncfs, None
        if shared is not None and self._owns_syncfs:
            shared.close()

    def check_present(self) -> None:
        """Raise DestinationError where the copy root is gone (no longer there, or now on
        another device: the drive pulled, ``umount -l``), saying what to do; the root named
        only where it is not the destination's own name (it was said three times)."""
        try:
            device = os.stat(self.root).st_dev
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                # The mount point itself is gone (udisks removes it): the drive is gone.
                raise DestinationError(
                    self._gone("no longer exists (unplugged or unmounted?)"), path=self.root
                ) from exc
            raise
        if device != self.root_device:
            raise DestinationError(
                self._gone("is now on another device (unmounted?)"), path=self.root
            )
        if self._copy_root is not None:
            copy_root, seen = self._copy_root
            now = folder_device(copy_root)
            if now != seen:
                what = "no longer exists" if now is None else "is now on another device"
                raise DestinationError(
                    self._gone(f"{what} (unmounted?)", copy_root), path=copy_root
                )

    def _gone(self, what: str, where: Path | None = None) -> str:
        """The line of a destination gone: *what* became of its root (or of *where*, the
        drive mounted at its copy root), and the one next step."""
        root = printable_name(str(where or self.root))
        named = "it" if root == printable_name(self.device) else root
        return f"destination {self.device} is gone: {named} {what}; reconnect it{RESUME}"

    def _check_device(self, fd: int, st_dev: int, folder: str) -> CacheBelow | None:
        """For a partial (open as *fd*, in *folder*) on device *st_dev*, not the root's:
        raise DestinationError if the destination is gone (``check_present``); None where
        the root's syncfs covers the file (same mount: a btrfs subvolume); else it is on
        another filesystem mounted below the root, and this is the cache below that one
        (``fs.below``, probed once a device). Thread-safe."""
        self.check_present()
        if self._covers(st_dev, fd):
            return None
        return self._belows.of_device(st_dev, folder)

    def _covers(self, st_dev: int, where: int | str) -> bool:
        """Whether the root's syncfs writes back what is on device *st_dev* (*where*: a
        descriptor or path there). The root's ``st_dev`` is the root's filesystem (a bind
        mount of it too); another device is covered only on the root's own mount (a btrfs
        subvolume below it). An unknown mount id, a subvolume mounted apart or another
        filesystem answer False, and every file there is fsynced (always safe)."""
        if st_dev in self._covered_devices:
            return True
        try:
            if self._root_mount is None:
                self._root_mount = mount_id(self.root)
            mount = mount_id(where)
        except OSError:
            return False
        if mount is None or mount != self._root_mount:
            return False
        with self._durable_lock:
            self._covered_devices.add(st_dev)
        return True

    def _on_root_filesystem(self, folders: Iterable[str]) -> bool:
        """Whether every one of *folders* is on a filesystem the root's syncfs covers, each
        looked at once a job (a later mount below the root is caught by ``seal``, which
        compares each file's own device). A folder that cannot be looked at is not."""
        known = self._folder_covered
        for folder in folders:
            covered = known.get(folder)
            if covered is None:
                try:
                    covered = self._covers(os.stat(folder).st_dev, folder)
                except OSError:
                    covered = False
                known[folder] = covered
            if not covered:
                return False
        return True

    def exists(self, path: Path | str) -> bool:
        return os.path.lexists(path)

    def open_partial(
        self,
        final_path: Path | str,
        *,
        size_bytes: int,
        folder_known: bool,
        digests: Mapping[str, str] | None = None,
        hashed: Future[dict[str, str] | None] | None = None,
        mtime_ns: int | None = None,
    ) -> Partial:
        # By position: keywords to a class are gathered into a dict, one a file.
        partial = LocalPartial(
            final_path,
            self._write_call_size,
            self._direct_writes and size_bytes >= self._direct_from,
            self.below,
            self.root_device,
            self._check_device_bound,
            self._quiet_close,
            size_bytes,
            self._syncfs.mark() if self._syncfs is not None else 0,
        )
        partial.create(folder_known=folder_known)
        return partial

    def make_durable(self, partials: Sequence[Partial]) -> bool:
        """One ``syncfs`` shared with the job's other destinations on this filesystem
        (``destinations.shared_syncfs``). False (each file is then fsynced, which finds
        whose a writeback error is) where a round since the batch's first file was created
        reported an error, or where syncfs does not report every file's errors. True also
        makes the names of the files' folders durable where syncfs reports the
        filesystem's own errors (Linux ≥ 5.17): ``make_names_durable`` then fsyncs only the
        folders the files are published in."""
        shared = self._syncfs
        if not partials or shared is None:
            return False
        owns = [_own(partial) for partial in partials]
        folders = {own.folder_text for own in owns}
        if not self._on_root_filesystem(folders):
            # Some are on another filesystem mounted below the root (a drive, a share at
            # the user's ``--into`` folder): the root's syncfs never writes them back, and
            # their folders' names are not its to make durable. Each file is fsynced.
            return False
        since = min([own.since for own in owns])
        if not (shared.sync(since) and self.features.durable_batch):
            return False
        for own in owns:
            own.synced_by_batch = True
        if _SYNCFS_REPORTS_METADATA_ERRORS:
            # The round began after every folder of these files was made (each before its
            # file was created) and reported no error, the filesystem's own included: their
            # names are durable in their parents, up to the root. The fsyncs after the
            # renames (``make_names_durable``) are then of the folders the files went into
            # alone, not of a new clip folder's parent as well (docs/performance.md, "The
            # small card's batches and folders: eighteenth pass").
            self._names_made_durable(folders)
        return True

    def _names_made_durable(self, folders: Iterable[str]) -> None:
        """Record *folders*, and every folder above them below the root, as durable in their
        parents (``_durable_folders``)."""
        root = os.fspath(self.root)
        with self._durable_lock:
            durable = self._durable_folders
            for folder in folders:
                while folder not in durable and _strictly_under(folder, root):
                    durable.add(folder)
                    folder = os.path.dirname(folder)

    def prefetch_read_back(self, partial: Partial) -> CacheBypass | None:
        if not self.features.cache_eviction:
            return None
        own = _own(partial)
        return evict_and_prefetch(own.partial_text, own.below)

    def open_read_back(self, partial: Partial, *, bypass_cache: bool) -> ReadBack:
        own = _own(partial)
        return MediaReader(
            own.partial_text,
            direct=bypass_cache and self.features.direct_reads,
            evict=bypass_cache and self.features.cache_eviction,
            below=own.below,
        )

    def publish(
        self,
        partial: Partial,
        target: Path | str,
        *,
        replace: bool,
        digests: Mapping[str, str] | None = None,
    ) -> None:
        own = _own(partial)
        if replace:
            os.replace(own.partial_text, target)
        else:
            rename_noreplace(
                own.partial_text,
                target,
                renameat2=self.features.atomic_noreplace,
                links=self.features.hard_links,
            )
        own.published = True
        if self._rename_sets_mtime is not False and own.mtime_ns is not None:
            self._keep_mtime(own, own.mtime_ns)
        own.release_claim()

    def _keep_mtime(self, own: LocalPartial, mtime_ns: int) -> None:
        """Set the published file's mtime again where the rename changed it (fusefat sets
        it to now: the card's date, set before, lost, and every later run's quick check
        failing). Decided once a destination: a file showing its date (within FAT's 2 s)
        after the rename, dated a minute or more from now, says the filesystem keeps it, and
        no later publish asks; a file whose date setting it again changes says it does not,
        and each later publish sets it (one ``utime``, no check). A date the filesystem
        cannot hold (1975 on exFAT, shown as 1980 before and after) says neither: the next
        file is asked. Only FUSE filesystems ask at all (``rename_may_set_mtime``)."""
        # By its published name: a FUSE daemon may no longer serve the claim's descriptor
        # once the partial's name is gone (a pass-through's link + unlink: ESTALE).
        target = own.final_text
        try:
            if self._rename_sets_mtime:
                os.utime(target, ns=(mtime_ns, mtime_ns))
                return
            shown = os.stat(target).st_mtime_ns
            if abs(shown - mtime_ns) <= 2 * _NS:
                # Kept, or a card file dated about now (a rename to now would look the same):
                # only a date a minute away from now decides.
                if abs(time.time_ns() - mtime_ns) > 60 * _NS:
                    self._rename_sets_mtime = False
                return
            os.utime(target, ns=(mtime_ns, mtime_ns))
            if os.stat(target).st_mtime_ns != shown:
                self._rename_sets_mtime = True
        except OSError:
            # The copy is published and verified: a date that could not be set again fails
            # nothing (a later run reads such a copy back instead of trusting it).
            return

    def make_names_durable(self, paths: Iterable[Path | str]) -> None:
        """Fsync the folders the files are in, and each folder above them whose entry for
        the folder below may not be durable yet: every folder up to the root the first time
        (any of them may be new), then only where a folder this destination has not made
        durable appeared (a new clip folder: its parent). An fsync of an unchanged folder
        still costs the disk a cache flush on ext4 (three a batch on a camera card's
        ``CARD/DCIM/100MEDIA``). Where the batch's syncfs made the folders' own names
        durable (``make_durable``), only the folders the files are in are fsynced."""
        if not self.features.folder_sync:
            return
        root = os.fspath(self.root)
        # A batch's files share a few folders: each chain is walked once per folder, not per
        # file (walking it per file was a hot spot on cards of many small files).
        leaves = {_folder_of(path) for path in paths}
        folders = set(leaves)
        with self._durable_lock:
            durable = self._durable_folders
            for leaf in leaves:
                folder = leaf
                # Its name lives in its parent: durable once this destination fsynced the
                # parent after the folder was there, which it did if it fsynced the folder.
                while folder not in durable and _strictly_under(folder, root):
                    folder = os.path.dirname(folder)
                    folders.add(folder)
        # Deepest first, so a new folder's own entries are durable before its name is.
        for folder in sorted(folders, key=lambda f: f.count(os.sep), reverse=True):
            try:
                fsync_dir(folder)
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, folder) from exc
        with self._durable_lock:
            self._durable_folders.update(folders)

    def remove_partial(self, partial: Partial) -> None:
        _own(partial).discard()

    def stat(self, path: Path) -> EntryInfo | None:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        return _entry(path.name, info)

    def list(self, folder: Path) -> list[EntryInfo]:
        with os.scandir(folder) as entries:
            found = [_entry(e.name, e.stat(follow_symlinks=False)) for e in entries]
        return sorted(found, key=lambda e: e.name)

    def free_space(self) -> int:
        vfs = os.statvfs(self.root)
        return vfs.f_bavail * vfs.f_frsize

    def name_problem(self, name: str) -> str | None:
        return name_problem(name, self.features.max_name_bytes)

    def reserve_names(self, paths: Iterable[str]) -> None:
        """Nothing to keep: a disk's keep-both name is chosen by the committer once the copy
        is verified, just before ``publish``, against the card's names the job hands it
        (``DestinationState.card_names``), not as the partial is opened."""


# ``os.path``'s split, dirname and join of a plain path, made with ``str`` methods: a
# few Python calls (``_get_sep``, ``fspath``, ``rstrip``) less, each a file on the writer and
# the committer (docs/performance.md, "The committer: fifteenth pass"). Any other path
# ("/x", "a//x", a Path) goes to ``os.path``, whose rules these match.


def _split(path: str) -> tuple[str, str]:
    """``os.path.split(path)``."""
    folder, _, name = path.rpartition(os.sep)
    if folder and folder[-1] != os.sep:
        return folder, name
    return os.path.split(path)


def _folder_of(path: Path | str) -> str:
    """``os.path.dirname(path)``."""
    if type(path) is str:
        folder = path.rpartition(os.sep)[0]
        if folder and folder[-1] != os.sep:
            return folder
    return os.path.dirname(path)


def _make_folders(folder: str) -> list[str]:
    """Make *folder* and each missing folder above it, outermost first; the ones this call
    made, in that order (one another writer made meanwhile is not among them). Raises
    OSError, having removed again the ones it made (``_remove_empty_folders``)."""
    missing: list[str] = []
    cursor = folder
    while not os.path.exists(cursor):
        missing.append(cursor)
        parent = os.path.dirname(cursor)
        if parent == cursor:
            break
        cursor = parent
    made: list[str] = []
    try:
        for path in reversed(missing):
            try:
                os.mkdir(path)
            except FileExistsError:
                if not os.path.isdir(path):  # a file at a folder's name: makedirs' error
                    raise
                continue
            made.append(path)
    except BaseException:
        _remove_empty_folders(made)
        raise
    return made


def _remove_empty_folders(made: Sequence[str]) -> None:
    """Remove the folders of *made* (outermost first, as ``_make_folders`` gives them),
    deepest first, each only while empty (``rmdir``): one that another writer put a file in
    meanwhile stays, and so does every folder above it. Never raises."""
    for path in reversed(made):
        try:
            os.rmdir(path)
        except OSError:
            return


def _joined(folder: str, name: str) -> str:
    """``os.path.join(folder, name)`` of a *name* that is not absolute."""
    if folder and folder[-1] != os.sep and name[:1] != os.sep:
        return f"{folder}{os.sep}{name}"
    return os.path.join(folder, name)


def _strictly_under(folder: str, root: str) -> bool:
    """Whether *folder* lies below *root* (both absolute, as text)."""
    return folder != root and folder.startswith(root.rstrip(os.sep) + os.sep)


def _own(partial: Partial) -> LocalPartial:
    if not isinstance(partial, LocalPartial):
        raise TypeError(f"not a partial of a local destination: {partial!r}")
    return partial


def _entry(name: str, st: os.stat_result) -> EntryInfo:
    kind: str
    if stat.S_ISREG(st.st_mode):
        kind = "file"
    elif stat.S_ISDIR(st.st_mode):
        kind = "folder"
    elif stat.S_ISLNK(st.st_mode):
        kind = "symlink"
    else:
        kind = "other"
    return EntryInfo(name=name, kind=kind, size_bytes=st.st_size, mtime_ns=st.st_mtime_ns)
