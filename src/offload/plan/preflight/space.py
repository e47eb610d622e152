"""Preflight checks of space and devices: what each destination already holds and what the
copy needs there, free space per filesystem (shared by the destinations on it), destinations
that share a filesystem or disk with one another or with the source."""

from __future__ import annotations

import errno
import os
import stat
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from itertools import chain
from pathlib import Path
from typing import Literal, NamedTuple

from offload.destinations.naming import PARTIAL_NAME_OVERHEAD
from offload.engine.state import BATCHES_HELD
from offload.errors import printable_name
from offload.fs.listing import FolderListings
from offload.options import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_FILES
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import disk_of
from offload.plan.preflight.findings import (
    C,
    DestinationCheck,
    Findings,
    human_bytes,
    join_paths,
    kind_of,
)
from offload.plan.scan import SourceTree

FALLBACK_BLOCK = 4096

# What offload-ai writes into a copy root besides the card's files, per file of the card,
# in bytes (docs/design.md, "Room for offload-ai's own files"). Fitted to the files of real
# offloads (1 and 3 destinations, names of 12 and 181 bytes, 1 to 4 algorithms) and kept
# 5-35 % above them; tests/integration/test_preflight_reserve.py checks them against the files a
# real offload writes. r: the file's relative path (bytes), R: a destination's copy root
# (bytes), A: the hex digits of the digests asked for (-t), D: the destinations.
#: ledger.jsonl: 300 + 2.5 r + 1.5 A a file (a line naming the file and its final path).
LEDGER_FILE = (300, 2.5, 1.5)
#: an ASC MHL generation (and a legacy MHL, if asked): 220 + 1.2 r + 1.3 A a file.
MANIFEST_FILE = (220, 1.2, 1.3)
#: the JSON report: 320 + r + 1.6 A a file, and 330 + R + r a file and destination.
JSON_FILE = (320, 1.0, 1.6)
JSON_COPY = 330
#: the CSV report: 140 + 2 R + 2 r + 1.3 A a file and destination (a row each).
CSV_COPY = (140, 2.0, 1.3)
#: the HTML and PDF reports, the two together: 380 + 105 D + 1.4 r a row. Past
#: DOCUMENT_ROWS files that are no clip, the good ones fold into a row a folder, and past
#: DOCUMENT_PICTURES clips those without a picture (report/content.py, MAX_FILE_ROWS and
#: MAX_CLIP_ROWS): rows are kept for DOCUMENT_ROWS files and for each file that may be a
#: clip with a picture.
DOCUMENT_ROW = (380, 105, 1.4)
DOCUMENT_ROWS = 300
#: a picture of a clip, in the HTML (base64) and the PDF: for files of at least
#: THUMBNAIL_FILE_BYTES, at most DOCUMENT_PICTURES of them (a 160-pixel JPEG, quality 70).
THUMBNAIL_BYTES = 16 * 1024
THUMBNAIL_FILE_BYTES = 256 * 1024
DOCUMENT_PICTURES = 1000
#: the fixed part of each report and manifest (headers, the destinations, devices, volumes).
OWN_FILE_BASE = 8 * 1024
#: the files and folders of our own a copy root holds: .offload/, .offload/reports/,
#: ascmhl/ (3 folders); the lock (empty), the stamp (or, while a generation is committed, its
#: record, .offload/ascmhl-generation.json: the stamp is removed before a generation is
#: written and written again after it, the record gone by then), the chain file, the record
#: of a carried card history (.offload/ascmhl-carried.json, which the stamp is written
#: beside) and, while one is replaced, its temporary copy (one at a time) (5); the record
#: of the last run, .offload/last-run.json (``run_record``: written as the run starts,
#: replaced through a temporary copy, the one above, as it ends) (1); ledger, generation,
#: JSON, CSV, HTML, PDF (6); a legacy MHL and a report's temporary copy (2).
OWN_ENTRIES = 18
OWN_FOLDERS = 3
#: lock, stamp (or a generation's record), chain file, carried-history record, the last run's
#: record and one temporary copy: a block each
OWN_SMALL_FILES = 6

#: Hex digits of each algorithm's digest (unknown: 64).
DIGEST_HEX = {"xxh64": 16, "xxh3": 16, "xxh128": 32, "md5": 32, "sha1": 40, "sha256": 64, "c4": 90}


#: The reports a run writes into each copy root: JSON, CSV, HTML and PDF.
REPORT_FILES = 4


class OwnPresent(NamedTuple):
    """What of offload-ai's own files a copy root holds already (:func:`present_own`): a
    re-run makes none of these again. *folders*: how many of ``.offload/``,
    ``.offload/reports/`` and ``ascmhl/`` are there; *lock*: whether the lock file is;
    *stamp_chain*: how many of the manifests' stamp and the chain file are; *ledger_bytes*:
    the ledger's size, None where there is none; *run_record*: whether the record of the last
    run (``run_record``, rewritten by every run, never made again) is."""

    folders: int
    lock: bool
    stamp_chain: int
    ledger_bytes: int | None
    run_record: bool = False


def present_own(root: Path) -> OwnPresent | None:
    """What of offload-ai's own folders and files *root* (a local copy root) holds now; one
    that cannot be looked at counts as to be made (the room kept is then the most). None
    where *root* has no ``.offload/`` (a first offload: everything counted, ``OWN_ENTRIES``
    inodes, as before any was written)."""
    from offload.ledger import LEDGER_NAME, STATE_FOLDER
    from offload.lock import LOCK_NAME
    from offload.manifest.layout import ASCMHL_FOLDER, CHAIN_FILE_NAME
    from offload.manifest_stamp import STAMP_NAME
    from offload.run_record import RUN_RECORD_NAME

    state = root / STATE_FOLDER
    if not os.path.isdir(state):
        return None

    def size(path: Path) -> int | None:
        try:
            return os.lstat(path).st_size
        except OSError:
            return None

    folders = (state, state / "reports", root / ASCMHL_FOLDER)
    return OwnPresent(
        sum(os.path.isdir(folder) for folder in folders),
        size(state / LOCK_NAME) is not None,
        sum(
            size(path) is not None
            for path in (state / STAMP_NAME, root / ASCMHL_FOLDER / CHAIN_FILE_NAME)
        ),
        size(state / LEDGER_NAME),
        size(state / RUN_RECORD_NAME) is not None,
    )


class OwnFiles(NamedTuple):
    """What offload-ai's own files take on one destination: bytes (each file rounded up to
    the allocation unit) and inodes (files and folders to create)."""

    bytes: int
    inodes: int


def own_files(
    tree: SourceTree,
    block: int,
    *,
    copy_roots: Sequence[str],
    algorithms: Sequence[str] = ("xxh64",),
    manifests: int = 1,
    ledger_paths: Iterable[str] | None = None,
    generation: bool = True,
    present: OwnPresent | None = None,
) -> OwnFiles:
    """The room offload-ai's own files take in a copy root after an offload of *tree* (every
    file of the card is listed in them, copied in this run or not): the ledger, *manifests*
    manifests (an ASC MHL generation, a legacy MHL), the chain file and the stamp, the JSON,
    CSV, HTML and PDF reports (the documents' thumbnails included) and their folders, each
    rounded up to *block*. *copy_roots*: every destination's copy root (the reports name
    each copy of each file); *algorithms*: the digests the copy records. Estimated from the
    sizes those files were measured to take a file (the constants above, each above what
    the offloads measured wrote).

    The ledger is appended to, never rewritten: *ledger_paths* are the card's files this run
    appends a line for on that destination (a path given twice, two lines), None: every file
    of the card. *generation*: whether a new manifest may be written there (False: a re-run
    that writes none, its manifests found complete); one that is written lists the whole
    card, so it is counted whole.

    *present*: what of those the copy root holds already (``present_own``; None: nothing,
    a first offload, counted as ever), which this run does not make again: a folder there takes
    nothing, the ledger there only the blocks its new lines add, the lock there nothing,
    the stamp and the chain there nothing more than the temporary copy each is replaced
    through while a generation is written (one at a time: a block and an inode, kept).
    Without a generation (a re-run that copies and reads back nothing there) no manifest,
    stamp, chain nor carried history's record is written: the four reports alone are new
    (and the ledger, lock and folders if gone), and a temporary copy of a report restated.
    Inodes are counted the same way with *present*; without it, ``OWN_ENTRIES``."""
    n = tree.file_count + len(tree.symlinks)
    # The bytes of the paths: those of their text joined, encoded once (a path's bytes
    # are its characters' alone), not an encoding a path.
    r = _encoded_length(
        chain((f.relative_path for f in tree.files), (s.relative_path for s in tree.symlinks))
    )
    hex_digits = sum(DIGEST_HEX.get(name, 64) for name in algorithms)
    roots = len(copy_roots)
    root_bytes = sum(len(os.fsencode(root)) for root in copy_roots)

    def per_file(base: int, path: float, digests: float) -> int:
        return int(base * n + path * r + digests * hex_digits * n) + 1

    if ledger_paths is None:
        ledger = per_file(*LEDGER_FILE)
    else:
        paths = ledger_paths if isinstance(ledger_paths, Collection) else list(ledger_paths)
        lines, path_bytes = len(paths), _encoded_length(paths)
        base, path_factor, digest_factor = LEDGER_FILE
        ledger = int(base * lines + path_factor * path_bytes + digest_factor * hex_digits * lines)
    manifest = per_file(*MANIFEST_FILE)
    if not generation:
        manifests = 0
    report = per_file(*JSON_FILE) + int(JSON_COPY * roots * n + root_bytes * n + roots * r)
    base, root_factor, digest_factor = CSV_COPY
    table = int(
        (base + digest_factor * hex_digits) * roots * n + root_factor * (root_bytes * n + roots * r)
    )
    pictures = min(
        DOCUMENT_PICTURES, sum(1 for f in tree.files if f.size_bytes >= THUMBNAIL_FILE_BYTES)
    )
    rows = min(n, DOCUMENT_ROWS + pictures)
    row_base, row_copy, row_path = DOCUMENT_ROW
    documents = int((row_base + row_copy * roots) * rows + row_path * r * rows / max(n, 1))
    # The rows of both documents and the pictures counted as one file; the other one's
    # fixed part as a file of its own (0).
    pictured = documents + THUMBNAIL_BYTES * pictures
    sizes = [*[manifest] * manifests, report, table, pictured, 0]
    if present is None:
        taken = sum(_round_up(OWN_FILE_BASE + size, block) for size in [ledger, *sizes])
        taken += (OWN_FOLDERS + OWN_SMALL_FILES) * block
        return OwnFiles(taken, OWN_ENTRIES)
    taken = sum(_round_up(OWN_FILE_BASE + size, block) for size in sizes)
    # The small files (OWN_SMALL_FILES): the lock, if gone; with a generation also the
    # stamp (or its record) and the chain if gone, the carried history's record, and the
    # temporary copy of the one replaced.
    small = (0 if present.lock else 1) + (0 if present.run_record else 1)
    if generation:
        small += (2 - present.stamp_chain) + 2
    new_folders = OWN_FOLDERS - present.folders
    # 1: a report's temporary copy, beside it while it is restated
    entries = new_folders + small + manifests + REPORT_FILES + 1
    if present.ledger_bytes is None:
        taken += _round_up(OWN_FILE_BASE + ledger, block)
        entries += 1
    else:  # appended to: the blocks its new lines take beyond those it holds
        held = present.ledger_bytes
        taken += _round_up(held + ledger, block) - _round_up(held, block)
    taken += (new_folders + small) * block
    return OwnFiles(taken, entries)


def _encoded_length(paths: Iterable[str]) -> int:
    """The bytes of *paths* together, as the disk holds them (a name byte that is not UTF-8
    kept by surrogateescape)."""
    return len("".join(paths).encode("utf-8", "surrogateescape"))


#: FUSE programs whose free inodes are those of a real inode table (fuse2fs serves ext2/3/4).
_FUSE_REAL_INODES = frozenset({"fuse.fuse2fs"})


def inode_counts_are_real(fstype: str) -> bool:
    """Whether the free inodes a filesystem of *fstype* (lower case, as the mount table
    spells it) reports are a limit the copy meets: a kernel filesystem's (ext2/3/4's fixed
    table; where a filesystem has no fixed number it reports none, ``f_files`` 0, or is in
    ``NO_FIXED_INODES``), not a FUSE program's, which may report what it likes (sshfs,
    s3fs and rclone report made-up numbers), but for those known to serve a real table."""
    return not fstype.startswith("fuse") or fstype in _FUSE_REAL_INODES


def _round_up(size: int, block: int) -> int:
    return -(-size // block) * block


def rewrite_room(
    sizes: Sequence[int],
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    batch_files: int = DEFAULT_BATCH_FILES,
) -> int:
    """The room the new copies of files already there take at most at once, beside their old
    copies, when any of *sizes* (each rounded up to blocks) is written again: the partials a
    destination can hold at once, those of its ``BATCHES_HELD`` batches (the one its
    committer reads back, two waiting, the one its writer fills, whose last file is the one
    being written; with three handed off the writer blocks before it starts another). A
    batch closes once it holds *batch_files* files or *batch_bytes* (the job's
    ``CopyOptions.batch_files`` and ``closing_batch_bytes``: in transfer mode
    ``transfer_batch_bytes``, four times the default; the job only ever makes batches
    smaller): so at most that many files a batch, and at most that many bytes a batch
    before its last file. For clips larger than a batch: one
    clip a batch, ``BATCHES_HELD`` of the largest at once (not the largest alone, which the
    engine may hold beside three more)."""
    largest = sorted(sizes, reverse=True)
    by_count = sum(largest[: BATCHES_HELD * batch_files])
    by_bytes = BATCHES_HELD * batch_bytes + sum(largest[:BATCHES_HELD])
    return min(by_count, by_bytes)


def check_targets(
    tree: SourceTree,
    plan: DestinationPlan,
    block: int,
    reserve_bytes: int,
    out: Findings,
    *,
    to_write: AbstractSet[str] | None = None,
    may_rewrite: AbstractSet[str] | None = None,
    expected_equal: AbstractSet[str] = frozenset(),
    reserve_inodes: int = 0,
    entries: FolderEntries = "posix",
    listing: FolderListings | None = None,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    batch_files: int = DEFAULT_BATCH_FILES,
) -> DestinationCheck:
    """Compare the plan with what is already at the destination; estimate the space needed.

    *to_write*: the files the copy will write here (None: those not already at their target
    with the same size and mtime). The space needed is what will really be written: a block
    for each new folder and link, each file to write rounded up to blocks, the reserve, and
    room for the largest file already there that this run may write again, *may_rewrite*
    (None: every file already there). Such a file is written beside its old copy, which goes
    only once the new one is verified (a copy of ours read back and found wrong, replaced
    through a second job; an existing file the overwrite or keep-both policy replaces or
    keeps), so both take room at once, one file at a time. A file already there that this
    run only trusts (the ledger's) is never written: nothing is kept for it, so a re-run
    with nothing to copy needs no more than the reserve. Those of *may_rewrite* also in
    *expected_equal* (the copies of ours the ledger vouches for: those ``--reverify``
    reads back, and the transfer-checked ones a stricter ``--verify`` reads back,
    ``CheckKind.UPGRADE``) are written again only if the read-back finds them wrong: their
    room is not required but given apart (``rewrite_if_wrong_bytes``), so that re-reading
    a full drive is not refused for a rewrite that copies found as recorded never need.
    *batch_bytes* and *batch_files*: where the job's batches close (``rewrite_room``).

    A folder grows with the names written into it (a large card folder takes many blocks;
    each name and, while it is copied, its partial's: ``folder_bytes``, by the kind of
    *entries* the filesystem keeps), counted in blocks beyond its first (the block of a new
    folder, or the room an existing one has left). ``required_inodes`` counts what will be
    created (folders, links, files, a new copy beside an old one) and *reserve_inodes*
    (offload-ai's own files). *listing*: the plan's listings of the destination's folders,
    which answer each target's ``lstat`` (``fs.listing``)."""
    files_to_copy = files_present = bytes_to_copy = 0
    needed = 0
    inodes = reserve_inodes
    names: dict[str, list[str]] = defaultdict(list)  # folder -> the names created in it
    rewritable: list[int] = []
    if_wrong: list[int] = []  # sizes of the copies rewritten only if found wrong
    root_exists = True
    if plan.creates_root:
        try:
            root_st = os.lstat(plan.root)
        except FileNotFoundError:
            root_exists = False
            needed += block
            inodes += 1
        except OSError as exc:
            out.error(
                C.DEST_UNREADABLE,
                plan.root,
                f"cannot inspect {plan.root}: {exc.strerror}; check the drive and its permissions",
                plan.index,
            )
            return DestinationCheck(plan.index, plan.destination)
        else:
            if not stat.S_ISDIR(root_st.st_mode):
                out.error(
                    C.TARGET_TYPE_CONFLICT,
                    plan.root,
                    f"{plan.root} exists and is {kind_of(root_st.st_mode)}, where the copy needs a "
                    "folder: move it away, or copy into another destination",
                    plan.index,
                )
                return DestinationCheck(plan.index, plan.destination)
    elif plan.file_name is not None:
        # One file under a name of its own (``pfndispatchcopy --create-folders``): each
        # folder above it still to make takes a block and an inode, as a card's folders do.
        folder = plan.root
        while not os.path.lexists(folder) and folder != folder.parent:
            needed += block
            inodes += 1
            folder = folder.parent

    def existing(target: Path | str) -> os.stat_result | OSError | None:
        if not root_exists:
            return None
        try:
            return os.lstat(target) if listing is None else listing.lstat(str(target))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            # A name or path too long (ENAMETOOLONG): nothing can be there, and the name
            # and path checks say what is wrong, one line; not "cannot inspect" besides.
            return None if exc.errno == errno.ENAMETOOLONG else exc

    def conflict(target: Path | str, mode: int, wanted: str) -> None:
        out.error(
            C.TARGET_TYPE_CONFLICT,
            Path(target),
            f"{target} exists and is {kind_of(mode)}, where the copy puts {wanted}: move it "
            "away, or copy into another destination",
            plan.index,
        )

    def unreadable(target: Path | str, exc: OSError) -> None:
        out.error(
            C.DEST_UNREADABLE,
            Path(target),
            f"cannot inspect {target}: {exc.strerror}; check the drive and its permissions",
            plan.index,
        )

    for rel in tree.directories:
        target = plan.target_for(rel)
        st = existing(target)
        if isinstance(st, OSError):
            unreadable(target, st)
        elif st is None:
            needed += block
            inodes += 1
            names[_parent(rel)].append(rel)
        elif not stat.S_ISDIR(st.st_mode):
            conflict(target, st.st_mode, "a folder")
    for link in tree.symlinks:
        target = plan.target_for(link.relative_path)
        st = existing(target)
        if isinstance(st, OSError):
            unreadable(target, st)
        elif st is None:
            needed += block
            inodes += 1
            names[_parent(link.relative_path)].append(link.relative_path)
        elif stat.S_ISDIR(st.st_mode):
            conflict(target, st.st_mode, "a symlink")
    target_text = plan.target_text
    for f in tree.files:
        relative = f.relative_path
        # Into a copy root not there yet (a card's first offload), nothing is at any target:
        # no target made, no call a file
        st = existing(target_text(relative)) if root_exists else None
        if isinstance(st, OSError):
            unreadable(target_text(relative), st)
            continue
        if st is not None and not stat.S_ISREG(st.st_mode):
            conflict(target_text(relative), st.st_mode, "a file")
            continue
        size = f.size_bytes
        present = (
            relative not in to_write
            if to_write is not None
            else st is not None and st.st_size == size and st.st_mtime_ns == f.mtime_ns
        )
        if present:
            files_present += 1
            if relative in expected_equal:
                if_wrong.append(_round_up(size, block))
            elif may_rewrite is None or relative in may_rewrite:
                rewritable.append(_round_up(size, block))
            continue
        files_to_copy += 1
        bytes_to_copy += size
        needed += -(-size // block) * block  # _round_up, written out: once a file
        names[relative.rpartition("/")[0]].append(relative)  # _parent
    rewrite = rewrite_room(rewritable, batch_bytes, batch_files)
    needed += rewrite + reserve_bytes
    # A new copy written beside an old one is a file more until the old one goes.
    inodes += files_to_copy + min(len(rewritable), IN_FLIGHT)
    for created in names.values():
        size = folder_bytes(created, entries)
        # Its first block: counted with a new folder, the room an existing one has left.
        needed += max(0, _round_up(size, block) - block)
    return DestinationCheck(
        plan.index,
        plan.destination,
        bytes_to_copy=bytes_to_copy,
        files_to_copy=files_to_copy,
        files_present=files_present,
        required_bytes=needed,
        required_inodes=inodes,
        rewrite_if_wrong_bytes=(
            rewrite_room(rewritable + if_wrong, batch_bytes, batch_files) - rewrite
            if if_wrong
            else 0
        ),
    )


def _parent(relative_path: str) -> str:
    return relative_path.rpartition("/")[0]


#: The files a destination holds open as partials at most (``rewrite_room``).
IN_FLIGHT = BATCHES_HELD * DEFAULT_BATCH_FILES


#: How a filesystem stores a folder's entries: "posix" (ext4's: 8 bytes and the name, in
#: 4-byte steps), "fat" (exFAT's: 64 bytes and 32 for each 15 characters of the name; also
#: where the filesystem is not known), "memory" (tmpfs, ramfs: no blocks at all).
FolderEntries = Literal["posix", "fat", "memory"]


def folder_entries(fstype: str, family: str) -> FolderEntries:
    """The kind of entries of a filesystem (``mountinfo``'s type, its name rules' family)."""
    if fstype in ("tmpfs", "ramfs"):
        return "memory"
    return "posix" if family == "posix" else "fat"


def folder_bytes(relative_paths: Sequence[str], entries: FolderEntries) -> int:
    """What the entries of *relative_paths* (the names created in one folder) take in it,
    with the partials' names that stand beside them while they are copied (at most
    ``IN_FLIGHT`` at once, each counted as long as the longest name; a partial's entry is
    reused once it is renamed). An htree's index blocks (ext4, past one block) are left to
    the margins."""
    if entries == "memory":
        return 0
    # str.encode, not os.fsencode: the same bytes on Linux, without a call a name.
    lengths = [
        len(path.rpartition("/")[2].encode("utf-8", "surrogateescape")) for path in relative_paths
    ]
    if not lengths:
        return 0
    # The partials as long as the longest name: an entry a name, a bound for each.
    longest = max(lengths) + PARTIAL_NAME_OVERHEAD
    partials = min(len(lengths), IN_FLIGHT)
    if entries == "fat":
        return sum([64 + 32 * ((n + 14) // 15) for n in lengths]) + partials * (
            64 + 32 * ((longest + 14) // 15)
        )
    return sum([8 + ((n + 3) & ~3) for n in lengths]) + partials * (8 + ((longest + 3) & ~3))


def _on_the_source(
    destinations: Sequence[DestinationPlan],
    shared: str,
    source: Path,
    absent_card: Path | None,
    fast: AbstractSet[int] = frozenset(),
    *,
    one_file: bool = False,
    copy_root: bool = False,
) -> str:
    """The one warning of the *destinations* on the source's *shared* filesystem or disk,
    naming them all in one line. The source is the card, or, in a cascade re-run without its
    card (*absent_card*), the fast copy standing in for it: then what shares the drive is
    that copy, and a drive failure loses both copies. *fast*: a cascade's fast (not
    cascaded) destinations (indices); with its card, the card's pass does not release the
    card on their copies (``cascade._release``), and the warning says so before the copy.
    *one_file*: the source is one file (``pfndispatchcopy``), named as such, not a card.
    *copy_root*: the source is a copy root of ours (``source_copy_root``), named as such."""
    # Raw names: join_paths prints each (printed twice, a backslash would show as four).
    paths = [str(p.destination) for p in destinations]
    if one_file:  # targets in one folder: that folder named once
        paths = list(dict.fromkeys(paths))
    one = len(paths) == 1
    subject = f"destination{'' if one else 's'} {join_paths(paths)} {'is' if one else 'are'}"
    if absent_card is None:
        on_fast = [str(p.destination) for p in destinations if p.index in fast]
        if not on_fast:
            release = ""
        elif one:
            release = " on its copy"
        elif len(on_fast) == len(paths):
            release = " on their copies"
        else:
            copies = "the copy on" if len(on_fast) == 1 else "the copies on"
            release = f" on {copies} {join_paths(on_fast)}"
        # "Read back", never "verified": with --verify transfer no copy is read back, and
        # a copy is a backup once read back from its own media, whatever the run's mode.
        backup = "it is not a backup" if one else "they are not backups"
        of = "the source file" if one_file else "the source" if copy_root else "the card"
        release = (
            f" (this cascade will not release {of}{release}: keep {of} until a copy on "
            "another disk is read back)"
            if release
            else ""
        )
        # What to do (QA): the cascade's words say it already; else keep the source.
        release = release or f": keep {of} until a copy on another disk is read back"
        named = "the source (a copy of ours, not a card)" if copy_root else "the source"
        return f"{subject} on the same {shared} as {named}: {backup} of {of}{release}"
    loses = (
        "one drive failure loses both copies, so it is not a backup of that copy"
        if one
        else "one drive failure loses them all with that copy, so none of them is a backup of it"
    )
    return (
        f"{subject} on the same {shared} as the source of this run, the fast copy {source} "
        f"(the card {absent_card} is absent): {loses}"
    )


def check_devices(
    tree: SourceTree,
    usable: Sequence[tuple[DestinationPlan, DestinationCheck]],
    duplicate: set[int],
    checks: Sequence[DestinationCheck],
    out: Findings,
    *,
    absent_card: Path | None = None,
    fast: AbstractSet[int] = frozenset(),
    source_is_copy: bool = False,
) -> None:
    """Destinations sharing a filesystem, a disk or the source's device (warnings) and the
    free space each filesystem has for all the copies it takes (errors). *absent_card*: the
    card the source, a fast copy of it, stands in for (``_on_the_source``); *fast*: a
    cascade's fast destinations (indices), whose warning says the card is not released on
    them; *source_is_copy*: the source is a copy root of ours, as its scan found it
    (``OffloadPlan.source_copy_root``), named as such."""
    by_dev: dict[int, list[tuple[DestinationPlan, DestinationCheck]]] = defaultdict(list)
    for plan, check in usable:
        if plan.index not in duplicate and check.st_dev is not None:
            by_dev[check.st_dev].append((plan, check))

    for dev, group in by_dev.items():
        names = join_paths([str(p.destination) for p, _ in group])
        fs = group[0][1].filesystem
        fs_text = f" ({fs.fstype} at {fs.mount_point})" if fs and fs.mount_point else ""
        if len(group) > 1:
            out.warning(
                C.DEST_SAME_DEVICE,
                group[-1][0].destination,
                f"{names} are on the same filesystem{fs_text}: one drive failure loses every "
                "copy there, so they are not backups of each other: put each copy on a drive "
                "of its own",
                group[-1][0].index,
            )
        if dev == tree.root_dev:
            _warn_on_the_source(
                [p for p, _ in group], "filesystem", tree, absent_card, fast, out, source_is_copy
            )
    # Destinations on one filesystem draw on the same free space, and so do the drives
    # mounted inside their copy roots (``DestinationCheck.below``) on theirs.
    by_room: dict[int, list[tuple[DestinationPlan, DestinationCheck]]] = defaultdict(list)
    for dev, group in by_dev.items():
        by_room[dev].extend(group)
    for plan, check in usable:
        if plan.index not in duplicate:
            for drive in check.below:
                if drive.st_dev is not None:
                    by_room[drive.st_dev].append((plan, drive))
    for group in by_room.values():
        _check_room(group, out)
    disks: dict[str, list[DestinationPlan]] = defaultdict(list)
    source_disk = disk_of(tree.root_dev, tree.root)
    on_source_disk: list[DestinationPlan] = []
    for dev, group in by_dev.items():
        disk = disk_of(dev, group[0][0].destination)
        if disk is not None:
            disks[disk].extend(p for p, _ in group)
            if disk == source_disk and dev != tree.root_dev:
                on_source_disk.extend(p for p, _ in group)
    if on_source_disk:
        on_source_disk.sort(key=lambda p: p.index)
        _warn_on_the_source(
            on_source_disk, f"disk ({source_disk})", tree, absent_card, fast, out, source_is_copy
        )
    for disk, group_plans in disks.items():
        devs = {c.st_dev for p in group_plans for c in checks if c.index == p.index}
        if len(devs) > 1:
            names = join_paths([str(p.destination) for p in group_plans])
            out.warning(
                C.DEST_SAME_DISK,
                group_plans[-1].destination,
                f"{names} are on one disk ({disk}): one drive failure loses every "
                "copy there, so they are not backups of each other: put each copy on a drive "
                "of its own",
                group_plans[-1].index,
            )


def _warn_on_the_source(
    destinations: Sequence[DestinationPlan],
    shared: str,
    tree: SourceTree,
    absent_card: Path | None,
    fast: AbstractSet[int],
    out: Findings,
    source_is_copy: bool = False,
) -> None:
    """One ``dest-on-source-device`` warning for every destination on the source's *shared*
    filesystem or disk (``_on_the_source``): its ``indices`` name them all (the cascade's
    ``on_card_disk`` reads them), its path and ``destination_index`` are the last one's."""
    out.warning(
        C.DEST_ON_SOURCE_DEVICE,
        destinations[-1].destination,
        _on_the_source(
            destinations,
            shared,
            tree.root,
            absent_card,
            fast,
            one_file=tree.root_is_file,
            # A copy root of ours as the source (the DIT's drive): no card to keep. As the
            # scan found it (``source_copy_root``), never its ledger read again here.
            copy_root=absent_card is None and not tree.root_is_file and source_is_copy,
        ),
        destinations[-1].index,
        indices=tuple(p.index for p in destinations),
    )


def _check_room(group: Sequence[tuple[DestinationPlan, DestinationCheck]], out: Findings) -> None:
    """The free space and inodes of one filesystem, for all the copies it takes (*group*:
    the destinations on it and the drives mounted inside copy roots that it is): errors
    where they fall short (``_refuse_room``, ``_refuse_inodes``), warnings where its
    inode count may be no limit or a ``--reverify`` rewrite may not fit."""
    free = next((c.free_bytes for _, c in group if c.free_bytes is not None), None)
    if free is None:
        return
    names = join_paths([shown_where(p, c)[0] for p, c in group])
    fs = group[0][1].filesystem
    # The partials an interrupted run left there: removed before the copy's first byte.
    reclaimed = sum(c.reclaimable_bytes for _, c in group)
    free += reclaimed
    required = sum(c.required_bytes for _, c in group)
    if required > free:
        _refuse_room(group, free, reclaimed, out)
    elif any(c.rewrite_if_wrong_bytes for _, c in group):
        _warn_reverify_room(group, free - required, out)
    # Inodes likewise (f_favail; None: no fixed number, as on btrfs or exFAT).
    inodes = next((c.free_inodes for _, c in group if c.free_inodes is not None), None)
    wanted = sum(c.required_inodes for _, c in group)
    if inodes is not None and wanted > inodes:
        fstype = fs.fstype.lower() if fs is not None else ""
        if not inode_counts_are_real(fstype):
            shared = f"{names} share one filesystem with" if len(group) > 1 else "has"
            for plan, check in group:
                where, named = shown_where(plan, check)
                subject = "" if len(group) > 1 else f"{named} "
                out.warning(
                    C.INSUFFICIENT_INODES,
                    where,
                    f"few inodes: {subject}{shared} room for {inodes:,} more files and "
                    f"folders (free inodes) by what its filesystem ({fstype}) reports, "
                    f"but the copy creates {wanted:,}; a FUSE filesystem's program may "
                    "report a number that is no limit, so the copy starts: if it is "
                    "one, the files past it fail",
                    plan.index,
                )
            return
        _refuse_inodes(group, inodes, out)


def share_in_order(needs: Sequence[int], free: int) -> list[int | None]:
    """How one filesystem's *free* room (bytes or inodes) is given to the destinations on
    it, in the order they were given: each whose need (*needs*, in that order) fits in what
    the ones before it left takes it (None); one that does not gets nothing, and its entry
    is the room the others left it. So a drive with room for one copy of the card but not
    two takes the first, and only the next fails (``pfndispatchcopy`` copies to the first;
    ``offload copy`` refuses the card, naming the next alone)."""
    left = free
    given: list[int | None] = []
    for need in needs:
        if need <= left:
            left -= need
            given.append(None)
        else:
            given.append(left)
    return given


def shown_where(plan: DestinationPlan, check: DestinationCheck) -> tuple[Path, str]:
    """Where a finding about room or inodes points, and how its line names it: the
    destination, or the drive mounted inside it whose room was counted
    (``DestinationCheck.space_at``: ``DEST/A006, a drive mounted inside DEST``), so that
    the line names the filesystem that is short, not the destination's own."""
    if check.space_at is None:
        return plan.destination, printable_name(str(plan.destination))
    return check.space_at, (
        f"{printable_name(str(check.space_at))}, a drive mounted inside "
        f"{printable_name(str(plan.destination))},"
    )


def _remedy(plan: DestinationPlan, check: DestinationCheck, *, alone: bool) -> str:
    """What to do about a refusal for room (``_refuse_room``)."""
    if check.space_at is not None:
        return (
            "free space on that drive, or mount a larger one at "
            f"{printable_name(str(check.space_at))}"
        )
    return "free space or choose a larger destination" + (
        "" if alone else f" for {printable_name(str(plan.destination))}"
    )


class _Short(NamedTuple):
    """A destination of one filesystem that does not get what it needs there
    (``_short_ones``): its *need*, how much it is *short* by, whether the whole filesystem
    could not hold it (*alone*), else the destinations given theirs first (*taking*) and
    what they were given in all (*taken*: the room or inodes left this one is the rest)."""

    plan: DestinationPlan
    check: DestinationCheck
    need: int
    short: int
    alone: bool
    taking: tuple[tuple[DestinationPlan, DestinationCheck], ...]
    taken: int

    def others(self) -> str:
        """The destinations given theirs first, named as their lines are."""
        return join_paths([shown_where(p, c)[0] for p, c in self.taking])

    def everyone(self) -> str:
        """All of them, this one too: "both", "all 3"."""
        return "both" if len(self.taking) == 1 else f"all {len(self.taking) + 1}"


def _short_ones(
    group: Sequence[tuple[DestinationPlan, DestinationCheck]],
    needs: Sequence[int],
    available: int,
) -> Iterator[_Short]:
    """Each destination of one filesystem (*group*, in the order given, *needs* theirs)
    that does not get what it needs of the *available* room or inodes there
    (``share_in_order``): alone when the whole filesystem could not hold it, or when none
    before it took any; the one judgement of ``_refuse_room`` and ``_refuse_inodes``."""
    taking: list[tuple[DestinationPlan, DestinationCheck]] = []
    for (plan, check), need, left in zip(
        group, needs, share_in_order(needs, available), strict=True
    ):
        if left is None:
            taking.append((plan, check))
            continue
        alone = need > available or not taking  # the whole filesystem could not hold it
        short = need - (available if alone else left)
        yield _Short(plan, check, need, short, alone, tuple(taking), available - left)


def _refuse_room(
    group: Sequence[tuple[DestinationPlan, DestinationCheck]],
    free: int,
    reclaimed: int,
    out: Findings,
) -> None:
    """An ``insufficient-space`` error for each destination of one filesystem (*group*, in
    the order given; *free* bytes there, *reclaimed* of them partials this run removes) that
    does not get the room it needs (``_short_ones``): one the whole drive could not hold
    says what is free and what it needs; one that fits alone but not beside the copies
    given the room before it names them and how much more room they all need."""
    counted = (
        f" (counting {human_bytes(reclaimed)} of partial files an interrupted run left, which "
        "this run removes)"
        if reclaimed
        else ""
    )
    for one in _short_ones(group, [c.required_bytes for _, c in group], free):
        plan, check, need = one.plan, one.check, one.need
        short_text = f"{human_bytes(one.short)} ({one.short:,} bytes)"
        where, named = shown_where(plan, check)
        if one.alone:
            message = (
                f"not enough free space: {named} has {human_bytes(free)} free"
                f"{counted} but the copy needs {human_bytes(need)}: short by {short_text}; "
                f"{_remedy(plan, check, alone=True)}"
            )
        else:
            message = (
                f"not enough free space: {named} shares one filesystem with "
                f"{one.others()}, given the room first ({human_bytes(one.taken)} of the "
                f"{human_bytes(free)} free{counted}); the copy to {plan.destination} needs "
                f"{human_bytes(need)}: {one.everyone()} need {human_bytes(one.taken + need)}, "
                f"short by {short_text}; {_remedy(plan, check, alone=False)}"
            )
        out.error(C.INSUFFICIENT_SPACE, where, message, plan.index)


def _refuse_inodes(
    group: Sequence[tuple[DestinationPlan, DestinationCheck]], inodes: int, out: Findings
) -> None:
    """An ``insufficient-inodes`` error for each destination of one filesystem (*group*,
    *inodes* free there) that does not get the inodes it needs (``_short_ones``), in the
    words of ``_refuse_room``."""
    for one in _short_ones(group, [c.required_inodes for _, c in group], inodes):
        plan, wanted = one.plan, one.need
        where, named = shown_where(plan, one.check)
        if one.alone:
            found = (
                f"{named} has room for {inodes:,} more files and folders (free "
                f"inodes) but the copy creates {wanted:,}"
            )
        else:
            found = (
                f"{named} shares one filesystem with "
                f"{one.others()}, given the inodes first "
                f"({one.taken:,} of its room for {inodes:,} more files and folders, free inodes); "
                f"the copy to {plan.destination} creates {wanted:,}: {one.everyone()} create "
                f"{one.taken + wanted:,}"
            )
        out.error(
            C.INSUFFICIENT_INODES,
            where,
            f"out of inodes: {found}: short by {one.short:,}; free "
            "space does not help (its filesystem was made with a fixed number of inodes): "
            "delete files there, or choose another destination",
            plan.index,
        )


def _warn_reverify_room(
    group: Sequence[tuple[DestinationPlan, DestinationCheck]], spare: int, out: Findings
) -> None:
    """Warn, for the destinations of one filesystem (*group*, *spare* bytes left once the
    copy had its room), when writing again the copies the ledger vouches for that this run
    reads back (``--reverify``'s, or transfer-checked ones a stricter ``--verify`` reads),
    should they be found wrong, would not fit (``DestinationCheck.rewrite_if_wrong_bytes``)."""
    wanted = sum(c.rewrite_if_wrong_bytes for _, c in group)
    if wanted <= spare:
        return
    for plan, check in group:
        if not check.rewrite_if_wrong_bytes:
            continue
        out.warning(
            C.REVERIFY_ROOM_SHORT,
            plan.destination,
            f"{plan.destination} has room for the copy, but not for writing again the "
            f"copies the ledger vouches for that it reads back should any be found wrong "
            f"(--reverify, or a stricter --verify than they had; each is written "
            f"beside its old copy first: up to {human_bytes(wanted)}, "
            f"{human_bytes(max(0, spare))} spare); every copy is read back all the same: "
            "one found wrong is named, and if its new copy does not fit it fails there, the "
            "wrong copy left as it is; then free space and copy it again with --overwrite",
            plan.index,
        )
