"""A generation of ours renamed into ``ascmhl/`` whose chain entry its run never wrote.

:func:`~offload.manifest.ascmhl.write_generation` commits the new manifest into
``ROOT/ascmhl/`` and then rewrites ``ascmhl_chain.xml`` to list it. A run killed between the
two (SIGKILL, a power cut) leaves a manifest no chain lists: a generation to every ASC MHL
reader, vouched for by no C4 ID, which every later run warns of (``History.chain_notes``)
and ``offload verify --append`` refuses to build on (``History.refuse_unchained``). Before
the commit the writer records, durably, the manifest's name and C4 ID in the copy root's
state (:func:`note`); once the chain lists it (or the manifest is taken back) the record is
cleared (:func:`clear`). The next writer of that history (``offload copy``, ``offload
verify --append``), under the copy root's lock and before it reads the history, settles
what a dead run left (:func:`settle`).

Why the manifest is removed, never chained: its run never finished its step, so no chain
vouched for it, no report of that run said it was written, and what it records was
decided against the history as it stood then. Chaining it now would have this run vouch
for a record it did not decide and whose decision it cannot see again (the read-back's
outcome is in the ledger, the choice of actions against the history is not). Removing it
loses no proof: ``offload copy`` records what the ledger vouches for, as verified earlier
with the date of that verification (``ascmhl.first_unheld``: a run stopped before its
manifests), and ``verify --append`` writes the generation of the check it makes now.

Contract:

* :func:`record_for`: ``ROOT/.offload/ascmhl-generation.json`` where ``ROOT/.offload``
  exists (a copy root), else None: nothing is made in a folder offload-ai keeps no state
  in (a history another tool made), so a manifest left unlisted there stays as any other
  (warned; refused for ``--append``). A bucket's generation is written in a temporary
  staging folder, then uploaded, the chain last: a record there outlives no run; a kill
  between those uploads is covered by an object of the same name under the copy root's
  ``.offload/`` (``destinations.s3unchained``, which says what it did in these words).
* :func:`note` (:class:`Pending` for ``write_generation``): the record (the manifest's name
  and C4 ID, and its writer: ``lock.process_identity``) written atomically and fsynced
  (file and folder) before the manifest's rename, so it is durable before the manifest can
  be, then claimed (a shared ``flock`` on it, ``destinations.claim``) until
  the writer is done: the kernel drops it when the writer dies. Raises OSError.
* :func:`clear`: never raises (a record left behind names a manifest the chain lists, or
  none: the next :func:`settle` clears it).
* :func:`settle`: acts only on a record no live writer claims (its claim's ``flock`` is
  free, asked through a read-write descriptor, as NFS's POSIX locks need, and held
  exclusively through the judgment and the unlink: a record that cannot be asked, where the
  filesystem keeps no locks, is left), so a writer that took no copy root lock (the lock
  could not be taken) is never undone while it lives; and only on one whose writer is
  proven over (``lock.body_gone``: this computer's boot and pid namespace, its pid gone or
  reused), since a ``flock`` is local to one computer on most shares (sshfs, FUSE, NFS with
  ``local_lock``): another computer's record is left whole, and a manifest it names that
  stands unlisted is named in a line (``left ...``). It removes the recorded manifest only
  when all hold: it stands there, the chain (or the folder without a chain) does not list
  it, its bytes' C4 ID is the recorded one (ours, unchanged), and no manifest is numbered
  after it (nothing was built on it). Then says so, in one line; the record is cleared in
  every case it can be judged (one whose manifest is listed, gone, changed or built on
  names nothing of ours to undo). Never raises: a record or folder that cannot be read is
  left for the next run (a manifest that cannot be examined: said, ``could not settle``).
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from offload.errors import describe_os_error, printable_name
from offload.fs.ops import fsync_dir
from offload.manifest.atomic import write_file_atomically
from offload.manifest.errors import HistoryError
from offload.manifest.history import (
    c4_of_file,
    generation_number_of,
    manifest_names,
    parse_chain,
)
from offload.manifest.layout import ASCMHL_FOLDER, CHAIN_FILE_NAME
from offload.state_folder import unlink_in
from offload.state_names import GENERATION_RECORD_NAME, STATE_FOLDER

#: ``<copy root>/.offload/<this>``: the generation being committed, until the chain lists it.
RECORD_NAME = GENERATION_RECORD_NAME


def record_for(root: Path) -> Path | None:
    """Where a writer of ``root/ascmhl`` records its generation (module doc), or None."""
    state = root / STATE_FOLDER
    try:
        is_dir = stat.S_ISDIR(os.stat(state).st_mode)
    except OSError:  # absent, or cannot be asked now (EIO): no record kept this run
        return None
    return state / RECORD_NAME if is_dir else None


def note(record: Path, manifest_name: str, c4: str) -> int | None:
    """Record durably that the manifest *manifest_name* (of ``ascmhl/`` beside the record's
    folder), whose bytes' C4 ID is *c4*, is about to be committed, and claim the record
    (``destinations.claim``: a shared ``flock`` the kernel drops when the writer dies, so
    :func:`settle` never takes a live writer's record for a dead one's). Returns the
    claim's descriptor (for :func:`clear`), None when the record was removed before the
    claim was granted (no record then). Raises OSError: FileExistsError where the record
    there names a manifest that stands unlisted (a dead run's a settle left: its remedy is
    kept, and this generation goes without one, as where none is kept; the settle said so)
    or cannot be read."""
    from offload.destinations.claim import claim
    from offload.lock import process_identity

    if _names_an_unlisted_manifest(record):
        raise FileExistsError(f"{record} names a manifest that stands unlisted")

    # Who writes it: settle acts only once that process is proven over (a flock is local
    # to one computer on a share: another's claim is not seen there).
    fields = {"manifest": manifest_name, "c4": c4, **process_identity()}
    data = json.dumps(fields, allow_nan=False).encode()
    write_file_atomically(record, data, replace=True)
    try:
        fd = os.open(record, os.O_RDONLY | os.O_CLOEXEC)
    except BaseException:
        clear(record)  # unclaimed: not left for a settle to take for a dead writer's
        raise
    try:
        if claim(fd):
            return fd
    except BaseException:
        clear(record, fd)
        raise
    os.close(fd)
    return None


def _names_an_unlisted_manifest(record: Path) -> bool:
    """Whether the record at *record* names a manifest that stands in ``ascmhl/`` and its
    chain does not list, or cannot be read (a dead run's remedy, maybe: not replaced)."""
    try:
        name = str(json.loads(record.read_bytes())["manifest"])
    except FileNotFoundError:
        return False
    except OSError:
        return True
    except (ValueError, KeyError, TypeError):
        return False  # names nothing: replacing it loses no remedy
    folder = record.parent.parent / ASCMHL_FOLDER
    try:
        return _stands_unlisted(folder, name)
    except FileNotFoundError:
        return False
    except Exception:
        return True  # cannot be told: kept


def left_by_a_stopped_run(
    root: Path,
    *,
    alone: bool = False,
    writer_over: Callable[[Mapping[str, object]], bool] | None = None,
) -> str | None:
    """The name of the manifest in ``root/ascmhl`` that a writer recorded (its record,
    :func:`record_for`) and that the next ``offload copy`` (or ``verify --append``) removes:
    what :func:`settle` would judge a dead run's leftover (:func:`_removable`: it stands
    there unlisted by the chain, or with no chain, its bytes' C4 ID the recorded one, no
    manifest numbered after it, its writer proven over, the record's ``flock`` not asked);
    *alone*: and no other manifest stands there (``history.manifest_names``: an AppleDouble
    ``._*.mhl`` or a ``notes.mhl`` is none) (a history without a chain file, which that
    removal leaves empty, the next offload's to write; with others left, that run is
    refused too: "restore", not "run it again"). *writer_over*: judges the record's writer
    over instead of this machine's rule, where *root* mirrors another store (a bucket's
    copy root: ``s3unchained.over_for_the_next_run``). Read only, for a check that changes
    nothing (``offload verify``) to name that fix; None where there is no such record or it
    cannot be read. Never raises."""
    record = record_for(root)
    if record is None:
        return None
    folder = root / ASCMHL_FOLDER
    try:
        data = json.loads(record.read_bytes())
        name, c4 = str(data["manifest"]), str(data["c4"])
        over = (lambda: writer_over(data)) if writer_over is not None else None
        if not _removable(folder, record, data, name, c4, over):
            return None
        # The manifests History counts (an AppleDouble ``._0001_….mhl`` or a stray
        # ``notes.mhl`` is none: that rerun is not refused for it).
        if alone and [n for _, n in manifest_names(folder)] != [name]:
            return None
        return name
    except Exception:  # no record, unreadable, malformed: nothing of ours to name
        return None


def _stands_unlisted(folder: Path, name: str) -> bool:
    """Whether *name* is a generation's name whose regular file stands in *folder* and the
    chain there (if any) does not list. Raises OSError (FileNotFoundError: the manifest
    gone), HistoryError (the chain unreadable: a link to nothing, malformed)."""
    if generation_number_of(name) is None or "/" in name:
        return False
    if not stat.S_ISREG(os.stat(folder / name).st_mode):
        return False
    chain = folder / CHAIN_FILE_NAME
    # What stands at the chain's name, said as it is (as ``read_history`` says it): never
    # ENOENT's "No such file" for a link to nothing, which sends the user looking for a
    # file that is there; "leading nowhere" only for one (``os.stat``'s ENOENT), never for
    # a link to a folder, a loop or a folder it may not search. Not judgeable, the record
    # kept (callers take FileNotFoundError for the manifest gone, never the chain).
    try:
        found = os.stat(chain)
    except FileNotFoundError:
        nowhere = _led_nowhere(chain)
        if nowhere is None:  # no chain (or removed since): nothing lists it
            return True
        raise HistoryError(nowhere, path=chain) from None
    except OSError as exc:  # a link loop (ELOOP), a folder it may not search (EACCES)
        raise HistoryError(
            f"{printable_name(str(chain))} cannot be read: {describe_os_error(exc)}", path=chain
        ) from exc
    if not stat.S_ISREG(found.st_mode):
        raise HistoryError(_not_a_chain(chain, found), path=chain)
    try:
        entries = parse_chain(chain)
    except FileNotFoundError as exc:  # gone since, or its link's target since
        raise HistoryError(f"{chain} cannot be read: {describe_os_error(exc)}", path=chain) from exc
    return not any(e.path == name for e in entries)


def _led_nowhere(chain: Path) -> str | None:
    """The words of *chain*, whose ``os.stat`` answered ENOENT: a symlink leading nowhere,
    where it leads and what mends it; None where nothing stands there (never was, or
    removed since)."""
    try:
        target = printable_name(os.readlink(chain))
    except FileNotFoundError:
        return None
    except OSError:  # no link: replaced since by a file or folder, gone from its stat
        if not os.path.lexists(chain):
            return None
        return f"{printable_name(str(chain))} changed while it was read (put there meanwhile)"
    return (
        f"{printable_name(str(chain))} is a symlink leading nowhere (to {target}), not the "
        f"ASC MHL chain file; mount or restore {target}, or restore "
        f"{printable_name(str(chain.parent))} from another copy of this card"
    )


def _not_a_chain(chain: Path, found: os.stat_result) -> str:
    """The words of *chain*, which stands (*found*: its ``os.stat``) but is no regular
    file: a folder, a special file, and through a symlink where it leads."""
    kind = "a folder" if stat.S_ISDIR(found.st_mode) else "a special file (not a regular file)"
    shown = printable_name(str(chain))
    try:
        target = printable_name(os.readlink(chain))
    except OSError:  # no link: what it is says enough
        return f"{shown} is {kind}, not the ASC MHL chain file"
    return f"{shown} is a symlink to {kind} ({target}), not the ASC MHL chain file"


def _provably_ours(folder: Path, name: str, c4: str) -> bool:
    """Whether the unlisted manifest *name* (:func:`_stands_unlisted`) is still the one its
    record names: no manifest numbered after it (nothing built on it) and its bytes' C4 ID
    the recorded *c4* (unchanged). Raises OSError."""
    number = generation_number_of(name)
    later = any(
        (n := generation_number_of(other)) is not None and number is not None and n > number
        for other in os.listdir(folder)
    )
    return not later and c4_of_file(folder / name) == c4


def _removable(
    folder: Path,
    record: Path,
    data: Mapping[str, object],
    name: str,
    c4: str,
    over: Callable[[], bool] | None = None,
) -> bool:
    """The one judgment of a record's manifest as a dead run's to remove, :func:`settle`'s
    (its ``flock`` aside) and :func:`left_by_a_stopped_run`'s: it stands unlisted, its
    writer is proven over (*over*, else :func:`_writer_over`), and it is provably ours.
    Raises OSError."""
    return (
        _stands_unlisted(folder, name)
        and (over() if over is not None else _writer_over(data, record))
        and _provably_ours(folder, name, c4)
    )


def clear(record: Path, fd: int | None = None) -> None:
    """Remove the record (not fsynced: one that reappears after a crash names a manifest
    the chain lists, or none, which :func:`settle` clears), then drop the claim *fd*.
    Never raises."""
    try:
        unlink_in(record)  # never another copy root's (``state_folder``)
    except OSError:
        pass
    if fd is not None:
        os.close(fd)


class Pending:
    """One writer's record (*record*: :func:`record_for`, None for none): :meth:`note`
    before the manifest's commit, :meth:`close` once the writer is done with it."""

    def __init__(self, record: Path | None) -> None:
        self._record = record
        self._fd: int | None = None
        self._noted = False

    def note(self, manifest_name: str, c4: str) -> None:
        """:func:`note`; one that cannot be written leaves the generation without a record
        (the remedy of a kill to come, not this generation's: as where none is kept)."""
        if self._record is None:
            return
        try:
            self._fd = note(self._record, manifest_name, c4)
        except OSError:
            return  # nothing of this writer's left there (another's record kept)
        self._noted = True

    def close(self, *, keep: bool) -> None:
        """Remove the record, unless *keep* (the manifest it names stands unlisted: its
        take-back failed), and drop the claim. Never raises."""
        fd, self._fd = self._fd, None
        if self._record is None or not self._noted or keep:
            if fd is not None:
                os.close(fd)
            return
        clear(self._record, fd)


def settle(root: Path, record: Path | None) -> str | None:
    """Undo what a dead writer left in ``root/ascmhl`` (module doc): the line that says it
    removed the manifest, or that it left one it could not judge or remove (then the
    manifest stays), None when there was nothing of ours to remove. Never raises."""
    if record is None:
        return None
    try:
        # Read-write: NFS turns flock into a POSIX lock, whose exclusive kind a read-only
        # descriptor cannot take (EBADF: "cannot tell" for good there).
        fd = os.open(record, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None  # absent, or not writable (then nothing there is): left as it is
    try:
        # Held through the judgment and the unlink: a writer cannot claim the record in
        # between (``destinations.claim.remove_unclaimed``'s rule).
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None  # a live writer's (claimed), or cannot tell (no locks there)
        try:
            if not os.path.samestat(os.fstat(fd), os.lstat(record)):
                return None  # replaced since it was opened: the next run judges the new one
            data = json.loads(os.pread(fd, 64 * 1024, 0))
            name, c4 = str(data["manifest"]), str(data["c4"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # unreadable now: left for a run that can read it
        return _judge(root, record, data, name, c4)
    finally:
        os.close(fd)  # and with it the lock


def _judge(root: Path, record: Path, data: dict[str, object], name: str, c4: str) -> str | None:
    """:func:`settle`'s judgment of the record (*data*, naming *name* and *c4*), its lock
    held. Never raises."""
    folder = root / ASCMHL_FOLDER
    manifest = folder / name
    # Its writer may live on (another computer's, whose claim this one does not see on a
    # share), between its rename and its chain: nothing of its record is touched then.
    over = _writer_over(data, record)
    try:
        if not _stands_unlisted(folder, name):
            if over:
                clear(record)  # names no manifest there (never committed, removed), or chained
            return None
        if not over:
            return unproven_words(manifest, record, data)
        if not _provably_ours(folder, name, c4):
            clear(record)  # built on, or changed: no longer provably ours
            return None
        manifest.unlink()
        fsync_dir(folder)
    except FileNotFoundError:
        if over:
            clear(record)  # gone meanwhile: nothing of ours left there
        return None
    except Exception as exc:
        why = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
        return (
            could_not_words(manifest, why)
            if over
            else unproven_words(manifest, record, data, why=why)
        )
    clear(record)
    return removed_words(manifest)


def removed_words(manifest: Path | str) -> str:
    """The line of a dead writer's unchained *manifest* removed (a path, or an S3 object's
    URL: ``destinations.s3unchained``)."""
    return (
        f"removed ASC MHL manifest {printable_name(str(manifest))}: an earlier run wrote it "
        f"and was stopped before {CHAIN_FILE_NAME} listed it (no chain ever vouched for it)"
    )


def _writer_over(data: Mapping[str, object], record: Path) -> bool:
    """Whether the writer the record names (``lock.process_identity``'s fields) is proven
    over, the record's flock being free (the caller holds it now): a process of this
    machine's boot and pid namespace whose pid is gone or reused (``lock.body_gone``); or,
    the record on a disk of this machine (not a network share, where another computer's
    claim is not seen), a writer of this host name of another boot (a power cut, a restart)
    or another pid namespace (a container): every process of this kernel that writes there
    takes that flock, so a free one proves none does. A record of another host name, or on
    a share, or naming no writer, is not."""
    from offload.errors import on_network_share
    from offload.lock import body_gone, process_space

    if body_gone(data):
        return True
    if data.get("host") != os.uname().nodename or on_network_share(record):
        return False
    own, theirs = process_space(), data.get("pid_space")
    return bool(own) and isinstance(theirs, str) and bool(theirs) and theirs != own


# Why a writer not proven over cannot be judged here, by the local rule (``_over``): a run
# of another computer, or on a share; of this computer's name but another boot's or
# container's process space. An S3 copy root's rule gives its own (``s3unchained``).
_UNJUDGED_HOST = "cannot be judged from this computer (another computer's, or on a share)"
_UNJUDGED_BOOT = (
    "cannot be judged from this computer (another boot's or container's, or on a share)"
)


def unproven_words(
    manifest: Path | str,
    record: Path | str,
    data: Mapping[str, object],
    *,
    why: str | None = None,
    unjudged: str | None = None,
    again: bool = True,
) -> str:
    """The line of an unchained *manifest* left as it is, its writer (the record *record*,
    its fields *data*) not proven over: a run still going on this machine (the next run
    settles it once it is over), or one this machine cannot judge: then what to do by hand.
    Never "was stopped": that run may be writing there now. *why*: the manifest could not
    be judged (the chain unreadable, say): "could not settle ..." and once "that is mended"
    (None: it stands unlisted, "left ..."). *unjudged*: why its writer cannot be judged
    here (None: the local rule's words, ``_UNJUDGED_HOST``, ``_UNJUDGED_BOOT``); *again*:
    a run on that computer proves it over (the local rule's free flock; not for an S3 copy
    root's run that held no lock, ``destinations.s3unchained``, whose *manifest* and
    *record* are URLs and whose *unjudged* is its own)."""
    from offload.lock import same_process_space

    pid, host = data.get("pid", "?"), printable_name(str(data.get("host", "?")))
    shown, record_shown = printable_name(str(manifest)), printable_name(str(record))
    running = same_process_space(data.get("host"), data.get("pid_space"))
    if why is None:
        head = (
            f"left ASC MHL manifest {shown}, which {CHAIN_FILE_NAME} does not list: the run "
            f"that wrote it (pid {pid} on {host})"
        )
        if running:
            return (
                f"{head} is still running; once it is over, the next offload copy or verify "
                "--append removes the manifest if it is still unlisted"
            )
        by_hand = (
            f"{head} {unjudged or _UNJUDGED_HOST}: once no run writes there, remove that "
            f"manifest and {record_shown} by hand"
        )
        if not again:
            return by_hand
        return f"{by_hand}, or run offload copy or verify --append again on that run's computer"
    head = f"could not settle ASC MHL manifest {shown} ({why})"
    if running:
        return (
            f"{head}: the run that wrote it (pid {pid}) is still running on this computer; "
            "left as it is: once it is over and that is mended, the next offload copy or "
            "verify --append settles it"
        )
    by_hand = (
        f"remove that manifest and {record_shown} by hand if {CHAIN_FILE_NAME} does not "
        "list it; left as it is"
    )
    if data.get("host") != os.uname().nodename:
        rerun = (
            "run offload copy or verify --append again on that computer (it removes the "
            f"manifest if {CHAIN_FILE_NAME} does not list it), or {by_hand}"
            if again
            else by_hand
        )
        return (
            f"{head}: another computer ({host}) wrote it: if no offload is running there, "
            f"once that is mended {rerun}"
        )
    return (
        f"{head}: the run that wrote it (pid {pid} on {host}) {unjudged or _UNJUDGED_BOOT}: "
        f"once no offload is running there and that is mended, {by_hand}"
    )


def could_not_words(manifest: Path | str, why: str) -> str:
    """The line of a dead writer's unchained *manifest* that could not be judged or removed
    (*why*): left as it is. A writer not proven over: :func:`unproven_words`."""
    return (
        f"could not settle ASC MHL manifest {printable_name(str(manifest))}, which an "
        f"earlier run wrote and was stopped before {CHAIN_FILE_NAME} listed it ({why}); "
        "left as it is, for the next run"
    )


__all__ = [
    "RECORD_NAME",
    "clear",
    "could_not_words",
    "left_by_a_stopped_run",
    "note",
    "record_for",
    "removed_words",
    "settle",
    "unproven_words",
]
