"""Preflight checks of paths: each destination is there, is a folder, can be written to; the
copy stays out of the source and of the other copies; what the source's links lead to."""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import stat
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from offload.destinations.s3url import display_path
from offload.errors import (
    FULL_ERRNOS,
    describe_os_error,
    drive_unreachable,
    full_in_other_words,
    unexpanded_tilde,
    vanished,
)
from offload.fs import mount_table
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import (
    MOUNTINFO,
    ROOT_TAKES_NO_TIME,
    MountEntry,
    detect_filesystem,
    find_mount,
    parse_mountinfo,
    within,
)
from offload.plan.names import PATH_MAX_BYTES, PATH_MAX_WORDS
from offload.plan.preflight.findings import C, DestinationCheck, Findings, kind_of
from offload.plan.preflight.spelling import Speller
from offload.plan.scan import SourceTree, unreadable_refusal
from offload.state_names import PROBE_PREFIX


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def is_inside(inner: Path, outer: Path, spell: Speller | None = None) -> bool:
    """Whether ``inner`` is ``outer`` or below it, through symlinks, bind mounts and the
    spellings a case-insensitive filesystem takes for one name.

    Both are compared as *spell* (:class:`.spelling.Speller`, made here when None) spells
    them: realpaths, each component below a name-folding filesystem as its folder lists it
    (exfat-fuse and fusefat give ``/M/card`` and ``/M/CARD`` two inodes); comparing the
    ``(st_dev, st_ino)`` of each ancestor of ``inner`` with ``outer``'s catches ``outer``
    reached through a bind mount; a bind mount of a folder *below* ``outer`` (no ancestor of
    ``inner`` is ``outer``) is caught by where each lies in its filesystem
    (:func:`_in_filesystem`).
    """
    spell = spell or Speller()
    inner_real, outer_real = spell(inner), spell(outer)
    if within(inner_real, outer_real):
        return True
    outer_id = _identity(Path(outer_real))
    if outer_id is None:
        return False
    current = inner_real
    while True:
        if _identity(Path(current)) == outer_id:
            return True
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    try:
        mounts = mount_table.parsed(MOUNTINFO, parse_mountinfo)
    except OSError:  # not Linux: the paths and identities above are all there is
        return False
    return _inside_in_filesystem(inner_real, outer_real, mounts)


def _inside_in_filesystem(inner_real: str, outer_real: str, mounts: list[MountEntry]) -> bool:
    """Whether *inner_real* lies in *outer_real*'s folder of one filesystem, as mountinfo
    places each (:func:`_in_filesystem`), confirmed on the disk.

    Why confirmed: the mount root is only a hint. NFS reports ``/`` as the root of every
    mount, and mounts of different folders of one server filesystem share its ``st_dev``,
    so ``nas:/export/ingest`` and ``nas:/export/backup`` would both be "the folder ``/``".
    The claim is true only if the folder where the two views meet (the inner mount's root,
    or the outer folder where that lies deeper) is one folder, the same ``(st_dev,
    st_ino)``, reached through the inner mount and through *outer_real*; both paths exist
    when the claim is true, even if *inner_real* does not yet."""
    inner_mount = find_mount(Path(inner_real), mounts)
    inner_at = _in_filesystem(inner_real, inner_mount)
    outer_at = _in_filesystem(outer_real, find_mount(Path(outer_real), mounts))
    if (
        inner_mount is None
        or inner_at is None
        or outer_at is None
        or inner_at[0] != outer_at[0]
        or not within(inner_at[1], outer_at[1])
    ):
        return False
    # inner_at lies below both the inner mount's root and outer_at: one holds the other.
    meet = inner_mount.root if within(inner_mount.root, outer_at[1]) else outer_at[1]
    via_inner = os.path.join(inner_mount.mount_point, os.path.relpath(meet, inner_mount.root))
    via_outer = os.path.join(outer_real, os.path.relpath(meet, outer_at[1]))
    seen = _identity(Path(via_inner))
    return seen is not None and seen == _identity(Path(via_outer))


def _in_filesystem(real: str, mount: MountEntry | None) -> tuple[int, str] | None:
    """The filesystem holding the path *real* (its device number, from mountinfo) and the
    folder *real* is in that filesystem: the mount's root (``/`` but for a bind mount of a
    folder, or a btrfs subvolume) joined with *real* below the mount point (*mount*, the
    mount holding *real*). A folder bound elsewhere is the same folder of the same
    filesystem at both places, which no path comparison sees. None where mountinfo does not
    say."""
    if mount is None or mount.device < 0 or not mount.root.startswith("/"):
        return None
    below = os.path.relpath(real, mount.mount_point)
    return mount.device, os.path.normpath(os.path.join(mount.root, below))


class KeptProbes(dict[int, Path]):
    """The probes ``_probe_write`` kept, by destination index, and for each the times
    (access, modification; ns) its folder had before it and the folder's modification time
    right after its create, which ``remove_probes`` uses (:func:`_remove_probe`)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: dict[Path, tuple[tuple[int, int] | None, int | None]] = {}


def _folder_times(folder: Path) -> tuple[int, int] | None:
    """*folder*'s times to put back after its probe; None where none are (a drive's root
    folder on a filesystem whose root takes no time: setting it kills fusefat's daemon)."""
    try:
        st = os.stat(folder)
        if os.path.ismount(folder) and detect_filesystem(folder).fstype in ROOT_TAKES_NO_TIME:
            return None
    except OSError:
        return None  # the create will say why (or the folder vanished: nothing to put back)
    return st.st_atime_ns, st.st_mtime_ns


def _mtime(folder: Path) -> int | None:
    """*folder*'s modification time (ns); None where it cannot be read."""
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return None


def _remove_probe(probe: Path, before: tuple[int, int] | None, made: int | None) -> None:
    """Delete *probe* and give its folder its times *before* the probe back, only where the
    folder still has *made*, its modification time right after the probe's create (nothing
    else changed it since: a file another process made or removed meanwhile keeps the date
    it gave), and the delete succeeded (a probe left there keeps its folder's date too).
    Never raises."""
    folder = probe.parent
    unchanged = made is not None and _mtime(folder) == made
    try:
        os.unlink(probe)
    except OSError:
        return
    if unchanged:
        _put_back(folder, before)


def _put_back(folder: Path, times: tuple[int, int] | None) -> None:
    """Give *folder* its *times* of before the probe again. Why: a probe made and deleted
    changes its folder's modification time, and a refused run ("nothing was copied") would
    otherwise leave a copy root dated as the card folder (an earlier run set it) dated as
    the refusal. The change time no program can set back. A file another program made or
    removed there in the instant of the probe would have its date undone with it: the
    folder's date, never its contents. Never raises."""
    if times is not None:
        with contextlib.suppress(OSError):
            os.utime(folder, ns=times)


def _probe_write(folder: Path, keep: KeptProbes | None = None, index: int = -1) -> OSError | None:
    """Create a uniquely named file in ``folder`` (``O_EXCL``) and delete it: ``os.access``
    alone trusts permission bits, a real create also meets read-only mounts, full inode
    tables and FUSE refusals. With *keep*, the probe made is kept, entered in it at
    *index* (a destination's) the instant it exists, for ``check_duplicates`` to look for
    through the other destinations; the caller removes every one (``remove_probes``),
    whatever happens meanwhile. The folder gets its times of before the probe back once the
    probe is gone, where nothing else changed it since the create (:func:`_remove_probe`).
    Returns the create's or close's error, None once done."""
    probe = folder / f"{probe_stem()}{os.urandom(8).hex()}"
    times = _folder_times(folder)
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        return exc
    made = None
    try:
        made = _mtime(folder)  # right after the create: a later change is another's
        if keep is not None:
            keep.times[probe] = (times, made)
            keep[index] = probe
        os.close(fd)
        if keep is None:
            _remove_probe(probe, times, made)
    except OSError as exc:
        _remove_probe(probe, times, made)
        if keep is not None:
            keep.pop(index, None)
            keep.times.pop(probe, None)
        return exc
    except BaseException:  # a Ctrl-C between the create and the delete: no probe left
        _remove_probe(probe, times, made)
        raise
    return None


# A probe lives for the instant between its create and its delete: one this old whose
# process is gone is a killed run's.
_PROBE_STALE_S = 60.0
# One not provably this process space's (another host's or container's, or an older
# version's, whose name holds only a pid): a week old, as the cascade's folders without a
# lock (``cascade_staging``); no preflight holds its probes that long.
_PROBE_FOREIGN_S = 7 * 86400.0


def probe_stem(pid: int | None = None) -> str:
    """The start of a write probe's name: ``.offload-probe-<pid>-<space>-``, where
    *space* (12 hex digits) is a hash of this host's name and ``lock.process_space`` (its
    boot and pid namespace): where the pid counts, so that a sweep judges only the probes of
    its own process space by their pid (another host's pid, on a shared drive, runs nothing
    here yet its probe may be alive). A process space unknown here (no ``/proc``) gives
    ``x``, which no sweep takes for its own. *pid*: this process's by default."""
    pid = os.getpid() if pid is None else pid
    return f"{PROBE_PREFIX}{pid}-{_own_probe_space() or 'x'}-"


def _own_probe_space() -> str:
    """This process space's tag of a probe name (:func:`probe_stem`), "" when unknown."""
    # xxhash, not hashlib: the copy loads it anyway, and OpenSSL (~2 ms) stays unloaded
    # before the job (tests/cli/test_offload_cli.py). A tag, not a secret.
    import xxhash

    from offload.lock import process_space

    space = process_space()
    if not space:
        return ""
    return xxhash.xxh64_hexdigest(f"{os.uname().nodename}\0{space}".encode())[:12]


def remove_stale_probes(folder: Path) -> int:
    """Delete the write probes (:func:`_probe_write`) in *folder* that runs killed between
    their create and their delete left: a probe's name carries its maker's pid and process
    space (:func:`probe_stem`); one of this process space whose pid runs no process and that
    was not changed in the last minute is a dead run's. Any other (another host's or
    container's on a shared drive, whose pid cannot be asked here and whose server's clock
    may make a live probe look old; an older version's, named by a pid alone) only once a
    week old. Returns how many were deleted. Never raises: a folder that cannot be listed, a
    probe that cannot be deleted, is left as it is."""
    from offload.lock import holder_gone, process_space

    removed, host, space, own = 0, os.uname().nodename, process_space(), _own_probe_space()
    try:
        with os.scandir(folder) as entries:
            probes = [e for e in entries if e.name.startswith(PROBE_PREFIX)]
    except OSError:
        return 0
    for entry in probes:
        pid_text, _, rest = entry.name[len(PROBE_PREFIX) :].partition("-")
        tag, _, _ = rest.partition("-")
        try:
            pid = int(pid_text)
            if not entry.is_file(follow_symlinks=False):
                continue
            age = time.time() - entry.stat(follow_symlinks=False).st_mtime
            ours = bool(own) and tag == own and len(rest) > len(own) + 1
            if ours:
                if age < _PROBE_STALE_S or not holder_gone(host, pid, space):
                    continue
            elif age < _PROBE_FOREIGN_S:
                continue
            os.unlink(entry.path)
        except (ValueError, OSError):
            continue
        removed += 1
    return removed


def remove_probes(probes: KeptProbes) -> None:
    """Delete every probe ``_probe_write`` kept in *probes* (and forget it), the last made
    first, each folder given its times of before its probe back where nothing else changed
    it meanwhile (:func:`_remove_probe`; the last made first, so two probes of one folder
    each find the time the other left). Never raises: a probe already gone, or on a drive
    gone meanwhile, is left to that."""
    while probes:
        _index, probe = probes.popitem()
        _remove_probe(probe, *probes.times.pop(probe, (None, None)))


def unreadable_findings(tree: SourceTree, out: Findings) -> None:
    """Each file of the card this process may not read (``SourceTree.unreadable``): an error,
    naming it, with the remedies that leave the card as it is. Why refused up front: a card
    the offload cannot read whole is known before the first byte, and a DIT would rather
    fix the permission (or choose to leave the file out) than learn after an hour of copying
    that one clip is missing from every drive."""
    for relative in tree.unreadable:
        path = tree.root if tree.root_is_file else tree.root / relative
        out.error(
            C.SOURCE_UNREADABLE,
            path,
            unreadable_refusal(tree.root, relative, root_is_file=tree.root_is_file),
        )


def skipped_findings(tree: SourceTree, out: Findings) -> None:
    """Each entry of the card that is neither a file, a folder nor a symlink (a fifo, a
    socket, a device node: ``SourceTree.skipped``): a warning naming it, whatever the
    destinations (the card's, not a destination's: an ``s3://`` destination leaves it out as a
    disk does; before, a run to buckets alone skipped it without a word)."""
    for entry in tree.skipped:
        out.warning(
            C.SPECIAL_FILE_SKIPPED,
            entry.path,
            f"{entry.relative_path!r} is a {entry.kind}, not a file: it will not be copied",
        )


def source_findings(tree: SourceTree, out: Findings) -> None:
    """The card's symlinks leading outside it, each a warning: about what a local copy holds
    (a link, not what it points to); an ``s3://`` destination fails each symlink with its own
    message (``s3card``)."""
    for link in tree.symlinks:
        if tree.points_outside(link):
            why = "is absolute" if os.path.isabs(link.target) else "leads outside the source"
            out.warning(
                C.SYMLINK_OUTSIDE_SOURCE,
                link.path,
                f"symlink {link.relative_path!r} -> {link.target!r} {why}: it is copied as a link "
                "(not followed), so the copy will not contain what it points to",
            )


def existing_folder(plan: DestinationPlan, *, create_folders: bool) -> Path:
    """The folder the checks look at: the destination, or, for a single file whose folder
    is still to be created (*create_folders*), its nearest existing ancestor (the folders
    are created only once every check has passed), or the copy's own folder below the
    destination (``DEST/<card>``) where that is a mount point of another filesystem (a
    drive mounted there): the files land on it, so its free space, inodes and names are
    the ones that count."""
    folder = plan.destination
    if plan.creates_root and _mounted_below(folder, plan.root):
        return plan.root
    if not create_folders or plan.file_name is None or os.path.lexists(folder):
        return folder
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    return folder


def check_folder(
    plan: DestinationPlan, out: Findings, *, folder: Path | None = None
) -> os.stat_result | None:
    """The destination folder (or *folder*, the existing ancestor that stands for it) is
    there and is a folder; returns its stat, or None with an error recorded."""
    dest = folder or plan.destination
    try:
        st = os.stat(dest)
    except FileNotFoundError:
        message = (
            f"destination folder {dest} does not exist; create it or pass --create-folders"
            if plan.file_name is not None
            else f"destination {dest} does not exist: check the drive is mounted, or create "
            "the folder"
        ) + unexpanded_tilde(dest)
        out.error(C.DEST_MISSING, dest, message, plan.index)
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # no such folder can be: not the drive's fault
            # Within PATH_MAX it is a name too long for the filesystem: its own code.
            too_long = len(os.fsencode(dest)) + 1 > PATH_MAX_BYTES
            code = C.PATH_TOO_LONG if too_long else C.NAME_TOO_LONG
            out.error(code, dest, _too_long(dest), plan.index)
            return None
        gone = drive_unreachable(exc, dest)
        out.error(
            C.DEST_UNREADABLE,
            dest,
            gone.message
            if gone is not None
            else f"cannot inspect destination {dest}: {exc.strerror}; check the drive",
            plan.index,
        )
        return None
    if not stat.S_ISDIR(st.st_mode):
        out.error(
            C.DEST_NOT_DIRECTORY,
            dest,
            f"destination {dest} is {kind_of(st.st_mode)}, not a folder: name a folder",
            plan.index,
        )
        return None
    return st


def _access_refused(folder: Path) -> OSError:
    """Why ``os.access`` refused writing in *folder*: a read-only mount (EROFS, as the
    write probe would say it: the remedy is to remount it) where ``statvfs`` says so, else
    no permission (EACCES)."""
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        return OSError(errno.EROFS, os.strerror(errno.EROFS))
    return PermissionError(errno.EACCES, "no write permission for this user, or a read-only mount")


def _too_long(folder: Path) -> str:
    """The line of a destination *folder* the system refuses to look up (ENAMETOOLONG): a
    path longer than Linux takes, or a folder name longer than its filesystem's."""
    size = len(os.fsencode(folder))
    if size + 1 > PATH_MAX_BYTES:  # its NUL counted
        return (
            f"destination folder {folder} is {size:,} bytes long: {PATH_MAX_WORDS}; name a "
            "shallower destination"
        )
    return (
        f"destination folder {folder} has a name longer than its filesystem takes: name "
        "another destination"
    )


def check_writable(
    plan: DestinationPlan,
    out: Findings,
    *,
    probe: bool,
    folder: Path | None = None,
    keep: KeptProbes | None = None,
) -> None:
    """*plan*'s folder (or *folder*, the existing ancestor that stands for it) can be
    written: with *probe*, a file created there (``_probe_write``; kept in *keep*, by
    the destination's index, for ``check_duplicates``: the caller removes it), else
    ``os.access``. A refusal is an error: full (ENOSPC, EDQUOT), vanished (ENOENT,
    ENOTDIR: ``dest-missing``, the folder removed since its stat passed, or a share's stale
    cache showing one removed on the server: ``errors.vanished``, run again), else not
    writable (a read-only mount, permissions)."""
    if folder is None:
        folder = plan.root if plan.creates_root and plan.root.is_dir() else plan.destination
    failure: OSError | None = None
    if probe:
        failure = _probe_write(folder, keep, plan.index)
    elif not os.access(folder, os.W_OK | os.X_OK):
        failure = _access_refused(folder)
    if failure is None:
        return
    if failure.errno in (errno.ENOENT, errno.ENOTDIR):
        # The folder was there a moment ago (its stat passed): it vanished, or a share's
        # cache still shows it removed on the server (sshfs). No permission is at fault.
        out.error(
            C.DEST_MISSING,
            folder,
            f"destination {folder} cannot be written: {vanished(folder)}: "
            f"{describe_os_error(failure)}; run the same command again",
            plan.index,
            errno=failure.errno,
        )
        return
    # A drive full (ENOSPC: no room or no inode left; EDQUOT: this user's quota spent)
    # refuses the probe too, but remounting it or its permissions would not help.
    if failure.errno in FULL_ERRNOS or full_in_other_words(failure.errno, folder):
        # (fusefat answers EPERM when full: ``full_in_other_words`` asks its free space.)
        remedy = "free space there or choose another destination"
        said = f"destination {folder} is full: {describe_os_error(failure)}; {remedy}"
    else:
        said = (
            f"destination {folder} is not writable: {describe_os_error(failure)}; mount it "
            "read-write or fix its permissions, or choose another destination"
        )
    out.error(C.DEST_NOT_WRITABLE, folder, said, plan.index, errno=failure.errno)


class Overlap(enum.Enum):
    """What :func:`check_source_overlap` found of a destination and the source."""

    NONE = "none"  # no refusal (a warning at most)
    #: Refused: the destination's folder is the card's own, or the copy root is, and nothing
    #: may be written there, not even a write probe.
    REFUSED = "refused"
    #: Refused, the target being the source file itself (through a symlink, a hard link):
    #: the destination's other checks would only say that again in other words (a symlink
    #: in the way of the copy), so they are not run.
    SOURCE_ITSELF = "source-itself"


def check_source_overlap(
    tree: SourceTree, plan: DestinationPlan, out: Findings, spell: Speller | None = None
) -> Overlap:
    """The destination inside the card, the copy over it, or the card inside the
    destination (a warning); paths compared as *spell* spells them (:func:`is_inside`).
    Returns whether and how *plan* was refused for it (:class:`Overlap`)."""
    spell = spell or Speller()
    dest = plan.destination
    if not tree.root_is_file and is_inside(dest, tree.root, spell):
        out.error(
            C.DEST_INSIDE_SOURCE,
            dest,
            f"destination {dest} is inside the source {tree.root}: choose a destination on "
            "another drive",
            plan.index,
        )
        return Overlap.REFUSED
    if tree.root_is_file:
        target = plan.target_for(tree.files[0].relative_path)
        if _identity(target) == (tree.root_dev, tree.root_ino):
            out.error(
                C.TARGET_OVERLAPS_SOURCE,
                target,
                f"destination {target} is the source file itself; choose another destination",
                plan.index,
            )
            return Overlap.SOURCE_ITSELF
        overlaps = False
    else:
        overlaps = is_inside(tree.root, plan.root, spell)
    if overlaps:
        out.error(
            C.TARGET_OVERLAPS_SOURCE,
            plan.root,
            f"the copy to {plan.root} would write over the source {tree.root}: choose another "
            "destination",
            plan.index,
        )
        return Overlap.REFUSED
    if is_inside(tree.root, dest, spell):
        out.warning(
            C.DEST_CONTAINS_SOURCE,
            dest,
            f"the source {tree.root} is inside destination {dest}: it is already on that "
            "drive, so this copy adds no safety there",
            plan.index,
        )
    return Overlap.NONE


def _seen_through(a: DestinationPlan, b: DestinationPlan, probes: Mapping[int, Path]) -> bool:
    """Whether the probe ``check_writable`` kept for destination *a* (*probes*, by index) is
    seen through destination *b*: one folder reached two ways that no identity tells (two
    FUSE or network mounts of one share, sshfs, NFS, SMB: each mount its own ``st_dev``,
    inode numbers of its own or the server's; a share and the folder it serves from this
    host). The probe's place below *a*'s destination (in it, or in its copy root) is looked
    up below *b*'s: one ``lstat``. False where *a* has no probe (not probed, or not
    writable: the write check says why), where its probe lies above its destination (a
    folder still to be made: a shared ancestor would not make the two one place), or where
    *b* cannot be looked in."""
    probe = probes.get(a.index)
    if probe is None:
        return False
    below = os.path.relpath(probe, a.destination)
    if below.startswith(os.pardir + os.sep):
        return False
    return os.path.lexists(os.path.join(b.destination, below))


def check_duplicates(
    tree: SourceTree,
    usable: Sequence[tuple[DestinationPlan, DestinationCheck]],
    out: Findings,
    spell: Speller | None = None,
    *,
    probes: Mapping[int, Path] | None = None,
    identity: bool = True,
) -> set[int]:
    """The same folder named twice, or for a single file the same final file (also through
    symlinks, hard links, a folder named two ways or typed in another case where the
    filesystem folds case, :func:`is_inside`; with *probes*, the probe files
    ``check_writable`` kept, by destination index, also two mounts of one share or a share
    and its own folder, which no identity tells: a file made in one is seen in the other,
    :func:`_seen_through`; one probe a destination, looked up through each later one, never
    removed here): an error each, the later one left out of further checks (returned); and
    copies that would overlap. Without *identity*, only what the probes show (the second
    pass, after one with *identity* and no probes found nothing: the preflight's)."""
    probes = probes or {}
    spell = spell or Speller()
    duplicate: set[int] = set()
    for i, (a, _) in enumerate(usable):
        if a.index in duplicate:
            continue
        for b, _ in usable[i + 1 :]:
            if b.index in duplicate:
                continue
            if tree.root_is_file:
                name = tree.files[0].relative_path
                a_target, b_target = a.target_for(name), b.target_for(name)
                # One folder through two mounts holds one file only under one name: the
                # targets of a file copied under several names into one folder (dest1.bin,
                # dest2.bin: pfndispatchcopy) are different files of one folder.
                if (identity and _same_file(a_target, b_target, spell)) or (
                    a_target.name == b_target.name and _seen_through(a, b, probes)
                ):
                    duplicate.add(b.index)
                    out.error(
                        C.DEST_DUPLICATE,
                        b_target,
                        f"destination {b_target} is the same file as {a_target}: name each "
                        "destination once",
                        b.index,
                    )
            elif (
                identity
                and is_inside(a.destination, b.destination, spell)
                and is_inside(b.destination, a.destination, spell)
            ):
                duplicate.add(b.index)
                # As typed (``d2`` and ``x/../d2``), the folder resolved once where that
                # differs: "/x/d2 and /x/d2" alone would not say which arguments are meant.
                if a.destination == b.destination:
                    named = f"{a.given or a.destination} and {b.given or b.destination}"
                    resolved = f", {a.destination}" if a.given or b.given else ""
                else:
                    named, resolved = f"{a.as_typed()} and {b.as_typed()}", ""
                out.error(
                    C.DEST_DUPLICATE,
                    b.destination,
                    f"destinations {named} are the same folder{resolved}: name each "
                    "destination once",
                    b.index,
                )
            elif _seen_through(a, b, probes):
                duplicate.add(b.index)
                out.error(
                    C.DEST_DUPLICATE,
                    b.destination,
                    f"destinations {a.destination} and {b.destination} are the same folder "
                    f"(a file made in {a.destination} is seen in {b.destination}: two mounts "
                    "of one share, or a share and the folder it serves): name each "
                    "destination once",
                    b.index,
                )
            elif identity and (
                is_inside(b.root, a.root, spell) or is_inside(a.root, b.root, spell)
            ):
                out.error(
                    C.DEST_OVERLAP,
                    b.destination,
                    f"the copies to {a.root} and {b.root} would overlap: choose destinations "
                    "that are not inside one another",
                    b.index,
                )
    return duplicate


def may_be_one_share(
    usable: Sequence[tuple[DestinationPlan, DestinationCheck]],
    duplicate: set[int],
    out: Findings,
) -> None:
    """Without write probes (``--dry-run``): each pair of destinations :func:`check_duplicates`
    told no more of, one of them on a network filesystem or a FUSE filesystem that is no
    local drive's (not ``fuseblk``), may be one folder reached two ways (two mounts of one
    share, a share and the folder it serves) that only a probe made in one and seen through
    the other tells (:func:`_seen_through`): a warning each, saying the offload checks it.
    Pairs of kernel filesystems on drives of this machine are told apart by identity."""
    from offload.fs.below import NETWORK_FILESYSTEMS

    def shared(check: DestinationCheck) -> bool:
        fstype = (check.filesystem.fstype if check.filesystem else "").lower()
        return fstype in NETWORK_FILESYSTEMS or fstype == "fuse" or fstype.startswith("fuse.")

    kept = [(plan, check) for plan, check in usable if plan.index not in duplicate]
    for i, (a, a_check) in enumerate(kept):
        for b, b_check in kept[i + 1 :]:
            if shared(a_check) or shared(b_check):
                out.warning(
                    C.DEST_MAYBE_DUPLICATE,
                    b.destination,
                    f"destinations {a.destination} and {b.destination} may be one folder "
                    "reached two ways (a network share or FUSE mount is told apart from "
                    "another path to its folder only by a file made in one and seen in the "
                    "other): the dry run writes nothing, so it did not check; the offload "
                    "does, and refuses them if they are",
                    b.index,
                )


def check_remote_overlaps(remote: Sequence[DestinationPlan], out: Findings) -> None:
    """The rule of :func:`check_duplicates` for destinations that are no local folder (an
    ``s3://`` URL, planned under its stand-in root ``/s3:/bucket/prefix``, which exists
    nowhere on this machine): compared by name, the only identity they have here. Their
    endpoint is one for the whole run (``--s3-endpoint`` or the environment), and the URL
    parser normalised each (``s3://b/p/``, ``s3://b//p`` and ``s3://b/p`` are one stand-in
    root), so one bucket and prefix is one place. The same place named twice is an error
    (the later one): its two copies would be one set of objects, the second refused as
    already there, and a re-run would count each object as two verified copies. Copy roots
    inside one another are an error, as for folders (with ``--into``, ``s3://b/p`` and
    ``s3://b/p/q``; without it, only when the inner one lies in the outer one's copy root,
    ``s3://b/p/<card>/...``)."""
    duplicate: set[int] = set()
    for i, a in enumerate(remote):
        if a.index in duplicate:
            continue
        for b in remote[i + 1 :]:
            if b.index in duplicate:
                continue
            if a.destination == b.destination:
                duplicate.add(b.index)
                out.error(
                    C.DEST_DUPLICATE,
                    b.destination,
                    f"destination {display_path(b.destination)} is named twice (the same "
                    "bucket and prefix, however written): name each destination once",
                    b.index,
                )
            elif within(str(b.root), str(a.root)) or within(str(a.root), str(b.root)):
                out.error(
                    C.DEST_OVERLAP,
                    b.destination,
                    f"the copies to {display_path(a.root)} and {display_path(b.root)} would "
                    "overlap: choose destinations that are not inside one another",
                    b.index,
                )


def _same_file(a: Path, b: Path, spell: Speller) -> bool:
    """Whether two final paths name one file: the same path (as *spell* spells it: a folder
    or name typed in another case on a case-insensitive filesystem is the same), the same
    existing file, or the same name in the same folder (a folder reached two ways)."""
    if a == b or spell(a) == spell(b):
        return True
    a_id, b_id = _identity(a), _identity(b)
    if a_id is not None and a_id == b_id:
        return True
    folder_a, folder_b = _identity(a.parent), _identity(b.parent)
    return folder_a is not None and folder_a == folder_b and a.name == b.name


def _mounted_below(folder: Path, below: Path) -> bool:
    """Whether *below* (inside *folder*) is a folder on another device than *folder*."""
    try:
        outer = os.stat(folder)
        inner = os.stat(below)
    except OSError:
        return False
    return stat.S_ISDIR(inner.st_mode) and inner.st_dev != outer.st_dev
