"""Preflight: everything that can be known to fail before a single byte is copied.

:func:`preflight` looks at the scanned tree and the planned destinations and returns findings:
errors (the copy must not start) and warnings (it may, the user should know). Each finding has
a stable code (:class:`~offload.plan.codes.PreflightCode`), the path concerned and a one-line
message saying what is wrong and what to do.

The checks, by concern: :mod:`.paths` (destinations there and writable, overlaps with the
source and between copies), :mod:`.space` (what each destination holds and needs, free space,
shared devices), :mod:`.names` (names and paths the destination filesystem refuses).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import cache, partial
from itertools import chain
from pathlib import Path

from offload.errors import shell_word
from offload.fs.devices import folder_device
from offload.fs.listing import FolderListings
from offload.options import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_FILES
from offload.plan.cardlike import (
    SoundSign,
    camera_card_volume,
    copy_root_card_sign,
    destination_card_sign,
    enclosing_copy_root_card,
)
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import (
    NO_FIXED_INODES,
    FilesystemInfo,
    SpaceInfo,
    detect_filesystem,
    rules_for_fstype,
    statvfs_space,
)
from offload.plan.names import report_name
from offload.plan.preflight.drives import mounted_below, split_tree
from offload.plan.preflight.findings import (
    C,
    DestinationCheck,
    Findings,
    PreflightReport,
    human_bytes,
)
from offload.plan.preflight.limits import check_file_sizes, check_mtimes
from offload.plan.preflight.names import (
    Entry,
    EntryKind,
    check_keys,
    check_names,
    check_own_names,
    check_root_for_ascmhl,
    entries_of,
    one_into_command,
)
from offload.plan.preflight.paths import (
    KeptProbes,
    Overlap,
    check_duplicates,
    check_folder,
    check_remote_overlaps,
    check_source_overlap,
    check_writable,
    existing_folder,
    may_be_one_share,
    remove_probes,
    skipped_findings,
    source_findings,
    unreadable_findings,
)
from offload.plan.preflight.space import (
    FALLBACK_BLOCK,
    OwnFiles,
    check_devices,
    check_targets,
    folder_entries,
    own_files,
    present_own,
)
from offload.plan.preflight.spelling import Speller
from offload.plan.preflight.system_disk import check_system_disk
from offload.plan.preflight.volumes import check_source_part_of_volume, check_source_volumes
from offload.plan.scan import SourceTree
from offload.plan.strays import stray_partials, strays_of
from offload.state_folder import linked_state_folder
from offload.state_names import STATE_FOLDER


def preflight(
    tree: SourceTree,
    plans: Sequence[DestinationPlan],
    *,
    filesystem_of: Callable[[Path], FilesystemInfo] = detect_filesystem,
    space_of: Callable[[Path], SpaceInfo] = statvfs_space,
    probe_write: bool = True,
    reserve_bytes: int | None = None,
    name_headroom_bytes: int = 0,
    allow_card_destination: bool = False,
    create_folders: bool = False,
    needed: Mapping[int, AbstractSet[str]] | None = None,
    rechecked: Mapping[int, AbstractSet[str]] | None = None,
    expected_equal: Mapping[int, AbstractSet[str]] | None = None,
    remote: Sequence[DestinationPlan] = (),
    algorithms: Sequence[str] = ("xxh64",),
    manifests: int = 1,
    ascmhl: bool = True,
    legacy: bool = False,
    writes_own_files: bool = True,
    absent_card: Path | None = None,
    cascade_fast: AbstractSet[int] = frozenset(),
    source_is_copy: bool = False,
    listings: Mapping[int, FolderListings] | None = None,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    batch_files: int = DEFAULT_BATCH_FILES,
    keep_both: bool = False,
    remote_in_the_way: Mapping[int, AbstractSet[str]] | None = None,
    remote_kept: Mapping[int, Mapping[str, str]] | None = None,
    stamp_options: Mapping[str, object] | None = None,
) -> PreflightReport:
    """Check that the planned copy can be done, before copying anything.

    Errors (:attr:`PreflightReport.errors`, the copy must not start): a destination missing,
    not a folder, not writable (``os.access``, or with ``probe_write`` a real
    ``O_CREAT|O_EXCL`` create and delete of a probe file, made last and only when no other
    check refused the run; never in a destination refused as inside the source, whose
    write access is not checked), inside the source, or whose copy
    would overlap the source or another destination's copy; the same folder named twice; an
    existing entry of the wrong type at a target path; too little free space
    (``f_bavail * f_frsize``; destinations sharing a filesystem share it; a filesystem
    reporting a size of 0 blocks gets a warning instead, its free space unknown) or too few free
    inodes (``f_favail``, where the filesystem has a fixed number: ``f_files`` not 0, not
    exfat-fuse's clusters); names the
    destination filesystem refuses or merges (see :mod:`offload.plan.names`); final paths
    longer than ``PATH_MAX``; offload-ai's own files in a copy root (its reports, ASC MHL
    generation, ledger: :func:`.names.check_own_names`) whose names or paths would be too long;
    symlinks on a filesystem that cannot hold them; files larger
    than the filesystem holds (FAT: 4 GiB - 1 byte).
    Warnings: destinations sharing a device or disk with each other or with the source;
    symlinks leading outside the source; skipped special files; names Windows reserves;
    unknown filesystem type or free space.

    ``filesystem_of`` and ``space_of`` are the probes (injectable for tests).
    ``reserve_bytes`` is the room kept per destination for offload-ai's own files (default
    ``space.own_files``: the ledger, manifests, reports and their folders, scaled with the
    card's files, names, the destinations (*plans* and *remote*), the *algorithms* and the
    number of *manifests*, each file rounded up to the destination's allocation unit; with
    ``reserve_bytes`` given, no inodes are kept for them). ``name_headroom_bytes`` is
    what the copy adds to a file name for its partial file, so that a name that fits
    ``NAME_MAX`` only without it is reported. A destination that looks like a camera card
    (:mod:`offload.plan.cardlike`) is an error unless ``allow_card_destination``. With
    ``create_folders``, the missing folder of a single file's explicit target is checked
    through its nearest existing ancestor (the caller creates it once this passed).
    ``needed``, by destination index, is what the copy will really write there (the
    planner's task list: files a ledger trusts or copies already there to be read back are
    not in it); without it, a file at its target with the same size and mtime counts as
    present (the caller leaves out of it a file in the way that the policy may not replace:
    refused before a byte is written). ``rechecked``, by destination index (with ``needed``
    only), is which of the files already there this run reads back (``existing.py``) and may
    write again beside its old copy (found wrong, or replaced by the existing-file policy;
    not one adopted or refused, ``existing.never_written``), so the
    free space must hold the largest of them as well; a file the ledger alone vouches for is
    never written, and no room is kept for it. Without ``needed``, room is kept for the
    largest file already there. ``expected_equal``, by destination index, is which of the
    ``rechecked`` ones the ledger vouches for (``--reverify``'s copies, and the
    transfer-checked ones a stricter ``--verify`` reads back, ``CheckKind.UPGRADE``):
    written again only if found wrong, their room is not required, and a warning
    (``reverify-room-short``) says when the free space could not hold their new copies.
    ``listings``, by destination index: the plan's listings of its folders
    (``fs.listing``), which answer the ``lstat`` of each target (a name the plan already
    stat'ed: no call again).

    ``remote`` are the plans of destinations that are no local folder (``s3://``: checked
    by their backend when opened, offload-ai's own keys there among it,
    ``s3card.open_s3_destinations``; planned under a stand-in root): only compared with each
    other by name (:func:`.paths.check_remote_overlaps`: the same one named twice, copy
    roots inside one another) and by the length of each file's whole key
    (:func:`.names.check_keys`); ``plans`` may then be empty, and the source's symlinks
    leading outside it are not named (about what a local copy would hold); its unreadable
    files and its skipped special files are, whatever the destinations.

    ``writes_own_files``: the run writes offload-ai's own files in each copy root (its
    reports, ledger, and with *ascmhl* an ASC MHL generation, with *legacy* a legacy MHL),
    checked for their names' lengths (:func:`.names.check_own_names`; a single file's copy
    root is the destination itself); False for the one-file copy of ``api.plan_file``
    (``pfndispatchcopy`` and the library's single-file copy), which writes none.

    ``remote_in_the_way``, by an ``s3://`` destination's index: the card files (relative
    paths) an object stands at the key of, which ``--keep-both`` (*keep_both*) may keep a
    copy beside (:func:`.names.check_keys`: its key's length with `` (1)``); ignored
    without *keep_both*. ``remote_kept``, by the same index: the key the upload would
    keep such a copy under, where a longer number than `` (1)`` may not fit
    (``s3card.kept_keys``), held to S3's limit instead of `` (1)``'s.

    ``stamp_options``: what this run's manifests record (``manifest_stamp.stamp_options``):
    with ``needed``, a destination this run copies and reads back nothing on is counted
    without a new generation only when its stamp tells that the manifest step writes none
    (``manifest_stamp.stamp_spares_manifests``: a kind or an algorithm the stamp does not
    record, another version's stamp, a ledger or history changed since may write one;
    other ignore patterns, fewer kinds or algorithms, another order do not); None: a
    generation is counted there.

    ``source_is_copy``: the source is a copy root of ours (``source_copy_root``, as its scan
    found it): the warning of a destination on its disk names it so, not as a card.
    ``absent_card``: the card a cascade re-run's source (*tree*, a fast copy of it) stands in
    for: a destination sharing that source's filesystem or disk is said to share it with
    the fast copy, not with the card, which is not there. ``cascade_fast``: a cascade's fast
    (not cascaded) destinations, by index: one on the card's filesystem or disk is said not
    to release the card (``cascade._release`` does not count it). ``batch_bytes``, ``batch_files``:
    where the job's batches close (``CopyOptions.closing_batch_bytes``, ``batch_files``),
    which bounds the room for copies written again beside their old ones.

    Never raises for a filesystem problem: every failure to inspect a destination becomes a
    finding. Blocks on one ``lstat`` per planned entry and destination; writes nothing but the
    probe files (with ``probe_write``, when nothing else refused the run), which it removes.
    """
    if not plans and not remote:
        raise ValueError("no destination planned")
    out = Findings()
    unreadable_findings(tree, out)  # whatever the destinations: the card is read for each
    check_source_volumes(tree, out)  # two cards in one folder, whatever the destinations
    if not source_is_copy and absent_card is None:
        # Part of a card: never released (a copy root of ours, a fast copy standing in for
        # an absent card, is no card).
        check_source_part_of_volume(tree, out)
    if plans:
        source_findings(tree, out)
    skipped_findings(tree, out)  # the card's too: no destination copies a fifo
    copy_roots = [str(p.root) for p in (*plans, *remote)]

    reserves: dict[int, OwnFiles] = {}  # by block size: the same for every such destination

    def reserve_for(block: int, plan: DestinationPlan) -> OwnFiles:
        if reserve_bytes is not None:
            return OwnFiles(reserve_bytes, 0)
        if needed is not None:
            # What this run appends to the ledger there, and whether a generation may be
            # written (each destination its own).
            return _own_files_of_run(plan, block)
        if block not in reserves:
            reserves[block] = own_files(
                tree, block, copy_roots=copy_roots, algorithms=algorithms, manifests=manifests
            )
        return reserves[block]

    def stamp_holds(root: Path) -> bool:
        """Whether the stamp of *root* tells that this run writes no manifest there but for
        its files (False when unsure: no options given, the media unreadable)."""
        from offload.manifest_stamp import media_state, stamp_spares_manifests  # by the plan

        if stamp_options is None:
            return False
        try:
            now = media_state(root, files=None, options=stamp_options, legacy=legacy)
        except OSError:
            return False
        return stamp_spares_manifests(root, now)

    def _own_files_of_run(plan: DestinationPlan, block: int) -> OwnFiles:
        assert needed is not None
        to_write = needed.get(plan.index, frozenset())
        reread = (rechecked or {}).get(plan.index, frozenset())
        # A copy read back gets a line; one found wrong is written again by a second job:
        # another line. A file whose copy fails gets a revocation, which the room kept for
        # that copy (removed) holds.
        ledger_paths = chain(to_write, reread, reread)
        # Nothing written or read back there: a generation only when the manifests were not
        # found complete by an earlier run for what this run records (no stamp: a run
        # killed before its manifests, a copy root with links; a stamp lacking a kind or an
        # algorithm asked now, or another version's: the manifest step may write a
        # generation, a legacy MHL if asked). Other ignore patterns write none.
        generation = bool(to_write or reread) or not stamp_holds(plan.root)
        return own_files(
            tree,
            block,
            copy_roots=copy_roots,
            algorithms=algorithms,
            manifests=manifests,
            ledger_paths=ledger_paths,
            generation=generation,
            present=present_own(plan.root),
        )

    def drive_check(
        plan: DestinationPlan,
        mount: Path,
        part: SourceTree,
        may_keep_beside: AbstractSet[str] | None,
    ) -> DestinationCheck | None:
        """The checks of what *plan* puts on the drive mounted at *mount* below its copy
        root (*part* of the card: ``drives.split_tree``): its names, file sizes and dates
        by that drive's filesystem, the targets there, and the room and inodes they take
        on it (``DestinationCheck.space_at``: *mount*; offload-ai's own files are in the
        copy root, not there). None where nothing lands on it or it cannot be stat'ed."""
        if not (part.files or part.directories or part.symlinks):
            return None
        try:
            st_dev = os.stat(mount).st_dev
        except OSError:
            return None  # gone since it was found: the copy says what is wrong
        # The drive's words, rules and NAME_MAX: its own plan, anchored at the copy root.
        on_drive = DestinationPlan(plan.index, mount, plan.root, creates_root=False)
        fs = filesystem_of(mount)
        check_names(
            part,
            on_drive,
            entries_of(part),
            fs,
            out,
            name_headroom_bytes=name_headroom_bytes,
            keep_both=keep_both,
            may_keep_beside=may_keep_beside,
        )
        check_file_sizes(part, on_drive, fs, out)
        to_write = None if needed is None else needed.get(plan.index, frozenset())
        check_mtimes(part, on_drive, fs, out, to_write=to_write)
        space: SpaceInfo | None
        try:
            space = space_of(mount)
        except OSError as exc:
            space = None
            out.warning(
                C.FREE_SPACE_UNKNOWN,
                mount,
                f"cannot read the free space of {mount}, a drive mounted inside "
                f"{plan.destination}: {exc.strerror}; make sure it is large enough",
                plan.index,
            )
        block = space.block_size if space else FALLBACK_BLOCK
        check = check_targets(
            part,
            plan,
            block,
            0,
            out,
            to_write=to_write,
            may_rewrite=None if needed is None else (rechecked or {}).get(plan.index, frozenset()),
            expected_equal=(expected_equal or {}).get(plan.index, frozenset()),
            listing=(listings or {}).get(plan.index),
            entries=folder_entries(fs.fstype.lower(), rules_for_fstype(fs.fstype).family),
            batch_bytes=batch_bytes,
            batch_files=batch_files,
        )
        fixed = space is not None and fs.fstype.lower() not in NO_FIXED_INODES
        return dataclasses.replace(
            check,
            st_dev=st_dev,
            filesystem=fs,
            free_bytes=space.free_bytes if space else None,
            block_size=block,
            free_inodes=space.free_inodes if space is not None and fixed else None,
            space_at=mount,
            reclaimable_bytes=sum(size for _, size in stray_partials(part, plan)),
        )

    entries = (
        # Sorted once, and only when asked: a card whose names all fit (``names_all_fit``)
        # onto local destinations alone needs none.
        cache(partial(entries_of, tree))
        if not tree.root_is_file
        else [Entry(tree.files[0].relative_path, tree.root, EntryKind.FILE)]
    )
    checks: list[DestinationCheck] = []
    spell = Speller()  # the mount table read once for every path compared
    # Each destination to probe for writing: its plan, the folder standing for it, and
    # where among the errors its write check's error goes.
    writable: list[tuple[DestinationPlan, Path | None, int]] = []
    for plan in plans:
        folder = existing_folder(plan, create_folders=create_folders)
        st = check_folder(plan, out, folder=folder)
        if st is None:
            checks.append(DestinationCheck(plan.index, plan.destination))
            continue
        # A copy root not made yet holds no state folder: no name looked up below it (a
        # plan into an empty destination looks up none, ``tests/unit/test_absent_folders``).
        linked = linked_state_folder(plan.root) if os.path.lexists(plan.root) else None
        if linked is not None:
            out.error(C.STATE_FOLDER_LINKED, plan.root / STATE_FOLDER, linked, plan.index)
        # The drive's device as first seen, of '<folder>/' (an automount point's own name
        # gives the automount's): a drive pulled before the plan ends is not taken for the
        # disk below its mount point (``DestinationCheck.folder_dev``).
        folder_dev = folder_device(plan.destination)
        # Inside the card, or the copy over it: no write check there (its folder is the
        # card's; "mount it read-write" would be advice to write on the card).
        overlap = check_source_overlap(tree, plan, out, spell)
        if overlap is Overlap.SOURCE_ITSELF:
            checks.append(DestinationCheck(plan.index, plan.destination))
            continue
        refusal = None if allow_card_destination else _card_refusal(plan)
        if refusal is not None:
            out.error(C.DEST_LOOKS_LIKE_CARD, plan.destination, refusal, plan.index)
            checks.append(DestinationCheck(plan.index, plan.destination))
            continue
        if overlap is Overlap.NONE:
            # Checked after the other checks (below), its error put here.
            at = len(out.errors)
            writable.append((plan, None if folder == plan.destination else folder, at))

        fs = filesystem_of(folder)
        if fs.fstype == "unknown":
            out.warning(
                C.FILESYSTEM_UNKNOWN,
                plan.destination,
                f"cannot tell the filesystem of {plan.destination}: only the generic name "
                "limits were checked",
                plan.index,
            )
        # A drive mounted below the copy root (DEST/A006/CLIPS): what lands on it is
        # checked against it (drive_check), the rest against this filesystem.
        drives = (
            mounted_below(plan.root) if not tree.root_is_file and plan.file_name is None else []
        )
        own, on_drives = split_tree(tree, [r for r, _ in drives]) if drives else (tree, {})
        own_entries = entries_of(own) if drives else entries
        # --keep-both: the files the run may write there (to copy or read back), built once
        # for the copy root and the drives below it; without it, none (up to one a file).
        may_keep_beside = (
            needed.get(plan.index, frozenset()) | (rechecked or {}).get(plan.index, frozenset())
            if keep_both and needed is not None
            else None
        )
        check_names(
            own, plan, own_entries, fs, out, name_headroom_bytes=name_headroom_bytes,
            keep_both=keep_both, may_keep_beside=may_keep_beside,
        )  # fmt: skip
        if writes_own_files:
            check_own_names(
                plan, fs, report_name(str(tree.root)), out,
                ascmhl=ascmhl, legacy=legacy, single_file=tree.root if tree.root_is_file else None,
            )  # fmt: skip
            if ascmhl:
                check_root_for_ascmhl(plan, out)
        check_file_sizes(own, plan, fs, out)
        check_mtimes(
            own, plan, fs, out, to_write=None if needed is None else needed.get(plan.index, ())
        )

        space: SpaceInfo | None
        try:
            space = space_of(folder)
        except OSError as exc:
            space = None
            out.warning(
                C.FREE_SPACE_UNKNOWN,
                plan.destination,
                f"cannot read the free space of {plan.destination}: {exc.strerror}; make sure "
                "it is large enough",
                plan.index,
            )
        block = space.block_size if space else FALLBACK_BLOCK
        reserve = reserve_for(block, plan)
        check = check_targets(
            own,
            plan,
            block,
            reserve.bytes,
            out,
            to_write=None if needed is None else needed.get(plan.index, frozenset()),
            may_rewrite=None if needed is None else (rechecked or {}).get(plan.index, frozenset()),
            expected_equal=(expected_equal or {}).get(plan.index, frozenset()),
            reserve_inodes=reserve.inodes,
            listing=(listings or {}).get(plan.index),
            entries=folder_entries(fs.fstype.lower(), rules_for_fstype(fs.fstype).family),
            batch_bytes=batch_bytes,
            batch_files=batch_files,
        )
        if space is not None and space.free_bytes is None:
            out.warning(
                C.FREE_SPACE_UNKNOWN,
                plan.destination,
                f"the free space of {plan.destination} is unknown: its filesystem "
                f"({fs.name}) reports a size of 0 blocks; the copy needs "
                f"{human_bytes(check.required_bytes)} there: make sure it has room (a "
                "destination that fills up fails its files; the others go on)",
                plan.index,
            )
        fixed = space is not None and fs.fstype.lower() not in NO_FIXED_INODES
        inodes = space.free_inodes if space is not None and fixed else None
        checks.append(
            DestinationCheck(
                index=plan.index,
                destination=plan.destination,
                st_dev=st.st_dev,
                folder_dev=folder_dev,
                filesystem=fs,
                free_bytes=space.free_bytes if space else None,
                block_size=block,
                bytes_to_copy=check.bytes_to_copy,
                files_to_copy=check.files_to_copy,
                files_present=check.files_present,
                required_bytes=check.required_bytes,
                free_inodes=inodes,
                required_inodes=check.required_inodes,
                rewrite_if_wrong_bytes=check.rewrite_if_wrong_bytes,
                # A drive mounted at the copy root (DEST/A006): its room was counted.
                space_at=folder if plan.creates_root and folder == plan.root else None,
                # A card's re-run removes them; a one-file copy (pfndispatchcopy, the API's
                # copy_with_multiple_destinations) removes those of its file's name before
                # its first byte (``api._own_strays_removed``), so a copy that a killed one
                # left its drive too full for is not refused for the room it gives back.
                reclaimable_bytes=sum(
                    size
                    for _, size in (
                        strays_of(plan.target_for(tree.files[0].relative_path))
                        if tree.root_is_file
                        else stray_partials(own, plan)
                    )
                ),
                below=tuple(
                    drive
                    for relative, mount in drives
                    if (drive := drive_check(plan, mount, on_drives[relative], may_keep_beside))
                    is not None
                ),
            )
        )
    one_into_command(out)  # the card folder's --into remedy: one command for all
    usable = [
        (plan, check) for plan, check in zip(plans, checks, strict=True) if check.st_dev is not None
    ]
    # The same folder named twice as the paths and identities tell, before anything is
    # written: a check that refuses without writing.
    duplicate = check_duplicates(tree, usable, out, spell)
    # The write probes (one a destination) made once the free space and inodes were read
    # (each probe takes an inode), kept while the same folder named twice is looked for
    # through them (what no identity tells: two mounts of one share), then removed: none
    # left behind, an error or a Ctrl-C meanwhile too. None once a check above refused the
    # run (every check that refuses without writing comes first): a refused run writes
    # nothing, not even a probe; write access is then judged by ``os.access``, as without
    # *probe_write* (``--dry-run``).
    probe = probe_write and not out.errors
    probes = KeptProbes()
    try:
        for plan, probed, at in reversed(writable):  # the later places first: each stays
            found = Findings()
            check_writable(plan, found, probe=probe, folder=probed, keep=probes)
            out.errors[at:at] = found.errors
        if probes:  # the pass above found nothing: this one adds what the probes show
            duplicate |= check_duplicates(tree, usable, out, spell, probes=probes, identity=False)
    finally:
        remove_probes(probes)
    if not probe_write:  # what only the probes tell, said as not checked
        may_be_one_share(usable, duplicate, out)
    check_devices(
        tree,
        usable,
        duplicate,
        checks,
        out,
        absent_card=absent_card,
        fast=cascade_fast,
        source_is_copy=source_is_copy,
    )
    check_system_disk([plan for plan, _ in usable if plan.index not in duplicate], out)
    check_remote_overlaps(remote, out)
    for plan in remote:
        check_keys(
            plan,
            entries() if callable(entries) else entries,
            out,
            kept_beside=(remote_in_the_way or {}).get(plan.index, frozenset())
            if keep_both
            else frozenset(),
            kept_keys=(remote_kept or {}).get(plan.index, {}),
        )
    return PreflightReport(tuple(out.errors), tuple(out.warnings), tuple(checks))


def _card_refusal(plan: DestinationPlan) -> str | None:
    """The line refusing *plan*'s destination as (or as inside) a camera card, or as our
    copy of one that the copy would go inside (``copy_root_card_sign``) or go inside of
    (``enclosing_copy_root_card``), or None."""
    destination = plan.destination
    # The way through for a false alarm, named: a FAT or exFAT shuttle drive holding another
    # tool's copy of a card at its root is judged as that card (cardlike.py).
    advice = (
        "not writing into it; if it really is a destination, add --allow-card-destination "
        "(a FAT or exFAT drive holding a copy of a card at its root looks like that card)"
    )
    # A sound card (``cardlike.SoundSign``): its takes at its root or in a folder beside its
    # sound report, not a copy of a camera card (rev7_69 L4).
    sound_advice = (
        "not writing into it; if it really is a destination, add --allow-card-destination "
        "(a FAT or exFAT drive holding a recorder's takes at its root, or a folder of them "
        "beside their sound report, looks like that recorder's card)"
    )
    sign = destination_card_sign(destination)
    if isinstance(sign, SoundSign):
        return (
            f"destination {destination} looks like a sound recorder's card ({sign}): {sound_advice}"
        )
    if sign is not None:
        return f"destination {destination} looks like a camera card ({sign}): {advice}"
    ours = copy_root_card_sign(destination) if plan.creates_root else None
    if ours is not None:
        # A copy root of ours is a destination for its own card, --into it (a re-run: the
        # path a word bash takes back, ``errors.shell_word``);
        # a copy made inside it mixes another card into that card's copy and history. The
        # folder that holds a volume's root is another filesystem (/media/user, /Volumes):
        # never named as the way through.
        holder = (
            ""
            if _volume_root(destination)
            else f"give the folder that holds it ({destination.parent}) as the destination, or, "
        )
        return (
            f"destination {destination} is offload-ai's copy of a camera card ({ours}): "
            f"the copy would go inside it, at {plan.root}; {holder}to re-run that card's "
            f"offload, --into {shell_word(destination)}; if it really is a destination, add "
            "--allow-card-destination"
        )
    enclosing = enclosing_copy_root_card(destination)
    if enclosing is not None:
        root, sign = enclosing
        return (
            f"destination {destination} is inside {root}, offload-ai's copy of a camera card "
            f"({sign}): the copy would go into that card's copy, at {plan.root}; give a folder "
            f"outside it as the destination; if it really is a destination, add "
            "--allow-card-destination"
        )
    volume = camera_card_volume(destination)
    if volume is not None:
        root, sign = volume
        if isinstance(sign, SoundSign):
            return (
                f"destination {destination} is on {root}, which looks like a sound "
                f"recorder's card ({sign}): {sound_advice}"
            )
        return (
            f"destination {destination} is on {root}, which looks like a camera card "
            f"({sign}): {advice}"
        )
    return None


def _volume_root(folder: Path) -> bool:
    """Whether *folder* is the root of a mounted volume. Never raises."""
    try:
        return os.path.ismount(os.path.realpath(folder))
    except (OSError, ValueError):
        return False


__all__ = [
    "DestinationCheck",
    "PreflightReport",
    "human_bytes",
    "preflight",
]
