"""What a card offload does differently for ``s3://`` destinations (kept out of ``card.py``).

* ``open_s3_destinations``: each ``s3://`` argument becomes an ``S3Backend`` whose preflight
  (``S3Destination.check``) ran before anything is written, and its stand-in root path
  (``/s3:/bucket/prefix``) for the planner;
* ``abort_abandoned``: our unfinished uploads that this run will not resume are aborted (the
  S3 side of removing stray partial files);
* ``write_s3_manifests``: the ASC MHL (and legacy MHL) of an S3 destination are written by
  the same code as on a disk, in a local staging folder that holds the destination's
  ``ascmhl/`` history as downloaded, then the new and changed files are uploaded under the
  copy root's prefix (a new generation never over an existing object; the chain file
  replaced);
* ``show_s3_paths``: the report names ``s3://bucket/key``, not the stand-in path, and notes
  the objects a versioned bucket stores twice (``versions_kept_notes``), and writes
  checked by a HEAD after a 501 to a condition (``complete_refused_notes``).

Symlinks, empty folders and folder times do not exist in an object store: the card layer
skips those steps for S3 roots. A folder is there only as the common prefix of the objects
below it, so an S3 destination's manifest lists only the folders that hold an object it lists
(an empty folder of the card would be a folder the bucket cannot give back: the reference
tool would call it missing in a downloaded copy), and ``folders_not_kept`` names the card's
empty folders before the copy (a preflight warning per S3 destination and folder).
``card.py`` imports this module only when an ``s3://`` destination is named (the S3 code
stays out of every other command's start-up).
"""

from __future__ import annotations

import dataclasses
import errno
import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offload.destinations import s3commands, s3own_keys, s3unchained
from offload.destinations.base import EntryInfo
from offload.destinations.s3 import (
    TAKE_BACK_BUDGET_S,
    LeftBehind,
    ObjectInfo,
    S3Destination,
    get_failure,
)
from offload.destinations.s3 import replaced_words as version_words
from offload.destinations.s3backend import S3Backend, S3ShownPath
from offload.destinations.s3config import (
    S3Settings,
    credential_source,
    redact_secrets,
    settings_from_env,
)
from offload.destinations.s3credentials import TOKEN_ADVICE
from offload.destinations.s3ledger import S3Ledger
from offload.destinations.s3lock import S3CopyRootLock, held_lock, read_lock
from offload.destinations.s3own_keys import CopyRootOwn
from offload.destinations.s3url import (
    MAX_KEY_BYTES,
    S3_ROOT,
    S3Url,
    display_path,
    is_s3_root,
    is_s3_url,
    keep_both_key,
    key_bytes,
    parse_s3_url,
    shown,
)
from offload.errors import (
    DestinationError,
    OffloadError,
    PreflightRefused,
    describe_os_error,
    refusal_lines,
)
from offload.events import (
    DestinationNotAnswering,
    Event,
    EventSink,
    ExistingCopiesChecking,
    JobStarted,
    OffloadPlanned,
)
from offload.history_formats import CopyUnread
from offload.interruptible import signals_unblocked
from offload.ledger import STATE_FOLDER
from offload.manifest import ASCMHL_FOLDER
from offload.manifest.history import generation_number_of
from offload.manifest.layout import CHAIN_FILE_NAME
from offload.options import ExistingFilePolicy
from offload.plan.codes import PreflightCode, PreflightItem
from offload.remedies import RESUME
from offload.removed_unfinished import RemovedUnfinished
from offload.run_scratch import MHL_PREFIX, scratch

if TYPE_CHECKING:
    from offload.card import OffloadPlan, OffloadReport
    from offload.manifest.coverage import Entry, Lister
    from offload.manifest.history import History
    from offload.manifest_options import ManifestOptions
    from offload.manifests_writer import ManifestResult, OffloadRecords
    from offload.plan.destination import DestinationPlan
    from offload.plan.scan import SourceTree
    from offload.results import JobReport


def open_s3_destinations(
    destinations: Sequence[Path | str],
    *,
    settings: S3Settings | None,
    existing: ExistingFilePolicy,
    own_keys: CopyRootOwn,
    env: Mapping[str, str] | None = None,
) -> tuple[list[Path | str], dict[int, S3Backend]]:
    """The destinations with every ``s3://`` URL replaced by its stand-in root, and the
    backends by destination index. Each S3 destination is checked first (UsageError, exit
    64, nothing written, when it cannot be used), the keys offload-ai itself would store
    there among it, before the preflight's probe stores any (``s3own_keys``, the one check
    of them: the preflight's ``check_keys`` checks the card's files' keys only; *own_keys*:
    what those under the copy root depend on): PreflightRefused, code ``path-too-long``."""
    paths: list[Path | str] = []
    backends: dict[int, S3Backend] = {}
    try:
        for index, destination in enumerate(destinations):
            text = str(destination)
            if not is_s3_url(text):
                paths.append(destination)
                continue
            url = parse_s3_url(text)
            # Before the probe's first object: offload-ai's own keys under the prefix and
            # under the copy root.
            _refuse_long_own_keys(url, text, index, own_keys)
            store = S3Destination(
                url, settings or settings_from_env(os.environ if env is None else env)
            )
            backends[index] = S3Backend(store, existing=existing)
            store.stop_after_token_refusal()
            store.stop_once_unreachable()  # a server gone holds no clean-up (s3unreachable)
            store.check()
            store.probe()  # its warnings: ``probe_warnings``
            paths.append(backends[index].root)
    except BaseException:
        close_all(backends)
        raise
    return paths, backends


def say_not_answering(backends: Mapping[int, S3Backend], sink: EventSink | None) -> None:
    """From now on, each S3 destination whose service answers none of its requests while
    they are retried says so on *sink* (``events.DestinationNotAnswering``, from
    ``s3unreachable``'s ``on_wait``); None: no more."""
    for index, backend in backends.items():
        latch = backend.store.unreachable_latch
        if latch is None:
            continue
        if sink is None:
            latch.on_wait = None
            continue

        def said(state: str, since: float, index: int = index, sink: EventSink = sink) -> None:
            sink.emit(DestinationNotAnswering(index, since, state))

        latch.on_wait = said


def _refuse_long_own_keys(url: S3Url, text: str, index: int, own_keys: CopyRootOwn) -> None:
    """``open_s3_destinations``' check of the keys offload-ai itself would store under
    *url* (*text*, destination *index*). Raises PreflightRefused."""
    keys = [
        *s3own_keys.prefix_own_keys(url),
        *s3own_keys.copy_root_own_keys(
            url.bucket,
            url.key(own_keys.folder),
            card_name=own_keys.card_name,
            files=own_keys.files,
            ascmhl=own_keys.ascmhl,
            legacy=own_keys.legacy,
        ),
    ]
    too_long = s3own_keys.too_long(keys)
    if too_long is None:
        return
    item = PreflightItem(
        PreflightCode.PATH_TOO_LONG, None, s3own_keys.refusal(text, url.bucket, too_long), index
    )
    raise PreflightRefused(refusal_lines([item.message]), errors=[item.as_dict()])


def close_all(backends: Mapping[int, S3Backend]) -> None:
    for backend in backends.values():
        backend.close()


def existing_object(backend: S3Backend, final: Path) -> EntryInfo | None:
    """The object no ledger of ours records at *final*, as the listing of its folder shows
    it (``S3Backend.listed``: one listing a folder, its sizes; no HEAD a key), or None: no
    object there, or a destination that cannot be asked (the copy will say what is wrong).
    The card layer decides from its size: read back and compared with the source (the
    source's size), or in the way of the copy (another size)."""
    try:
        return backend.listed(final)
    except OSError:
        return None


def lock_copy_roots(
    plan: OffloadPlan, *, source: str | None
) -> tuple[list[S3CopyRootLock], list[str]]:
    """Take the lock object of every S3 copy root of *plan* (``s3lock``), in order; one held
    by a live run releases those taken and raises CopyRootBusy (exit 64, nothing written).
    Returns the locks held and the warnings of those that could not be taken (the service
    failed the lock's request: that copy root is left unlocked, as a local one whose drive
    cannot be locked; a destination that cannot be written fails in the copy anyway).

    Two answers lose the destination at once instead (``S3Backend.lose``: its files fail
    without a request, the others go on; no warning): the lock's PutObject refused for the
    session token (EKEYEXPIRED: every later request would be, ``s3token_latch`` sends none);
    and the lock just stored, read back (one GET), refused to these credentials (a policy
    denying s3:GetObject on the copy root, which the preflight's probe one level up does
    not meet): every read-back there would be, each after the upload it checks, and the
    manifest step's read of the lock, in every verification mode (the preflight refuses
    such credentials in every mode too, ``s3preflight``)."""
    locks: list[S3CopyRootLock] = []
    warnings: list[str] = []
    try:
        for _dest_plan, backend, root_key in _s3_copy_roots(plan.plans, plan.backends):
            if backend.lost is not None:
                continue  # lost at its plan (``ledger_unreadable``): nothing stored there
            lock = S3CopyRootLock(backend.store, root_key, source=source)
            try:
                lock.acquire()
            except OSError as exc:
                if exc.errno == errno.EKEYEXPIRED:
                    backend.lose(_lock_refused(lock, exc))
                    continue
                warnings.append(
                    f"cannot lock copy root {lock.root} ({exc.strerror or exc}); another "
                    "offload into it would not be stopped"
                )
                continue
            locks.append(lock)
            refused = _unreadable(lock)
            if refused is not None:
                backend.lose(refused)
                locks.remove(lock)
                lock.release()  # nothing is copied there: nothing to hold it for
    except BaseException:
        release_locks(locks)
        raise
    return locks, warnings


def _lock_refused(lock: S3CopyRootLock, exc: OSError) -> DestinationError:
    """The loss of the destination whose copy root's lock *exc* (EKEYEXPIRED: its session
    token refused) kept this run from storing: the token's words and advice, as every
    request refused so says them (``errors.destination_io_error``)."""
    return DestinationError(
        f"cannot lock copy root {lock.root}: {describe_os_error(exc)}; {TOKEN_ADVICE}{RESUME}",
        errno_=exc.errno,
    )


def _unreadable(lock: S3CopyRootLock) -> DestinationError | None:
    """The loss of *lock*'s destination where its credentials may not read what they store
    under its copy root: the lock, just stored, read back once (GET) and refused
    (``get_failure`` "refused": 403, a policy denying s3:GetObject there, a KMS key they
    may not use). None when it reads, or fails otherwise (a service failing says so at the
    copy; a refusal of only some keys below, at each file's read-back, as before)."""
    try:
        read_lock(lock.store, lock.key)
    except OSError as exc:
        if get_failure(exc) != "refused":
            return None
        return DestinationError(unreadable_words(lock, exc, dry_run=False), errno_=exc.errno)
    return None


def unreadable_words(lock: S3CopyRootLock, exc: OSError, *, dry_run: bool) -> str:
    """The line of a copy root whose lock's read *exc* refused (``get_failure``
    "refused"): the run's loss of that destination (``_unreadable``: the lock it had just
    stored), or, *dry_run*, the dry run's finding that the run would lose it (its read of
    the lock there, found or not: an explicit deny answers 403 for a missing key too)."""
    read = "" if dry_run else ", the lock this run had just stored there"
    return _unreadable_root_words(lock.store, lock.root, exc, read, dry_run=dry_run)


def lose_unreadable_ledger(ledger: S3Ledger, exc: OSError) -> bool:
    """Lose *ledger*'s destination (``S3Backend.lose``), before anything is stored there,
    where its read *exc* (``Ledger.load_entries``, a re-run's plan) was refused to these
    credentials (``get_failure`` "refused": a policy denying s3:GetObject on the copy root,
    a KMS key they may not use): every read-back there would be, as ``_unreadable`` finds
    of the lock a first run has just stored; in the same words, the object refused named
    (one of the ledger's), and the dry run's (``busy_copy_root``) kept in
    ``S3Backend.lost_foreseen``. True when lost; False for any other failure (the service
    failing, the bucket gone: the caller refuses the whole run, ``card._load_ledger``)."""
    if get_failure(exc) != "refused":
        return False
    backend = ledger.backend
    root = ledger.store.display(backend.key(ledger.path.parent.parent))
    read = ", the ledger an earlier offload stored there"
    words = _unreadable_root_words(ledger.store, root, exc, read, dry_run=False, earlier=True)
    backend.lose(DestinationError(words, errno_=exc.errno))
    backend.lost_foreseen = _unreadable_root_words(ledger.store, root, exc, read, dry_run=True)
    return True


def _unreadable_root_words(
    store: Any, root: str, exc: OSError, read: str, *, dry_run: bool, earlier: bool = False
) -> str:
    """``unreadable_words``' line for copy root *root* (its ``s3://`` URL) of *store*, its
    read *exc* refused; *read*: what the object refused is (", the lock ..."); *earlier*:
    an object an earlier offload stored (the ledger), this run having stored nothing there,
    so the line never says these credentials may store there (unproven)."""
    source = credential_source(store.client)
    came = f" (from {source})" if source else ""
    if dry_run:
        stored, may = "it would store", "may not read objects there"
        outcome = "the run would lose this destination, nothing copied there"
    elif earlier:
        stored = "an earlier offload stored"
        may = "may not read what an earlier offload stored there"
        outcome = "nothing was copied there"
    else:
        stored, may = "it stores", "may store objects there but not read them"
        outcome = "nothing was copied there"
    return (
        f"cannot read what {stored} under copy root {root}: "
        f"{describe_os_error(exc)}{read}: the credentials{came} {may} (s3:GetObject, or "
        "the KMS key they are encrypted with), which every copy there needs, in every "
        "verification mode (the read-back of each copy, the lock's read before the "
        f"manifest, the ledger a later run reads); {outcome}: allow s3:GetObject on "
        f"{root}/ (docs/s3.md, Permissions) or use credentials that may, then run the "
        "same command again"
    )


def busy_copy_root(
    plans: Sequence[DestinationPlan],
    backends: Mapping[int, S3Backend],
    unreadable: list[PreflightItem] | None = None,
) -> list[PreflightItem]:
    """The ``copy-root-busy`` errors of a refused preflight for the S3 copy roots of *plans*
    another run holds now: a live lock object there (``S3CopyRootLock.live_refusal``, as
    ``acquire`` judges it), its line as ``acquire`` would give it, "nothing was written"
    made true of the probe objects (``nothing_copied_words``). Takes no lock and writes
    nothing; a lock that cannot be read is no finding (the refusal stands on its others).
    Never raises. *unreadable*, when given (``--dry-run``), receives an
    ``s3-copy-root-unreadable`` warning for each copy root whose lock's read was refused
    (``get_failure`` "refused": the run, which reads back the lock it stores, would lose
    that destination, ``_unreadable``), or whose ledger's read was, at the plan
    (``lose_unreadable_ledger``: no lock is read there)."""
    found: list[PreflightItem] = []
    for dest_plan, backend, root_key in _s3_copy_roots(plans, backends):
        if backend.lost is not None:
            # Lost at its plan (``lose_unreadable_ledger``): the run stores no lock there.
            if unreadable is not None and backend.lost_foreseen is not None:
                code = PreflightCode.S3_COPY_ROOT_UNREADABLE
                unreadable.append(PreflightItem(code, None, backend.lost_foreseen, dest_plan.index))
            continue
        lock = S3CopyRootLock(backend.store, root_key)
        try:
            busy = lock.live_refusal()
        except OSError as exc:
            if unreadable is not None and get_failure(exc) == "refused":
                words = unreadable_words(lock, exc, dry_run=True)
                unreadable.append(
                    PreflightItem(
                        PreflightCode.S3_COPY_ROOT_UNREADABLE, None, words, dest_plan.index
                    )
                )
            continue
        if busy is None:
            continue
        words = busy.message.replace("nothing was written", nothing_copied_words(backends))
        found.append(PreflightItem(PreflightCode.COPY_ROOT_BUSY, None, words, dest_plan.index))
    return found


def _s3_copy_roots(
    plans: Sequence[DestinationPlan], backends: Mapping[int, S3Backend]
) -> Iterator[tuple[DestinationPlan, S3Backend, str]]:
    """Each S3 copy root of *plans* once, in order: its first plan, its backend, its key
    (a plan without a backend, a local one, is skipped). A copy root is a bucket's key:
    one prefix in two buckets is two copy roots, one named twice is one."""
    seen: set[tuple[str, str]] = set()
    for dest_plan in plans:
        backend = backends.get(dest_plan.index)
        if backend is None:
            continue
        root_key = backend.key(dest_plan.root)
        if (backend.store.url.bucket, root_key) in seen:
            continue
        seen.add((backend.store.url.bucket, root_key))
        yield dest_plan, backend, root_key


def release_locks(locks: Sequence[S3CopyRootLock], *, budget_s: float | None = None) -> None:
    """Release every lock of ``lock_copy_roots`` (never raises). With *budget_s* (a run
    stopped short: a second Ctrl-C or a SIGTERM while its manifests or reports were stored),
    on a daemon thread waited for at most that long, as the stop's other clean-up
    (``S3Destination.take_back``): a service that stopped answering must not hold a stopped
    run for the read timeout times the retries. A lock not known to be released by then
    (its delete may still come) is named in its store's ``left_behind``, with how the next
    run treats it; a KeyboardInterrupt that cuts the wait short names them first."""
    if budget_s is None:
        for lock in reversed(locks):
            lock.release()
        return
    released: list[S3CopyRootLock] = []

    def work() -> None:
        signals_unblocked()  # a bucket's thread (it may start a credential helper)
        for lock in reversed(locks):
            lock.release()
            released.append(lock)  # list.append: atomic, read by the waiting thread

    worker = threading.Thread(target=work, name="s3-lock-release", daemon=True)
    worker.start()
    try:
        worker.join(budget_s)
    finally:
        done = list(released)
        for lock in locks:
            if lock not in done:
                lock.store.note_left_behind(
                    lock.key,
                    None,
                    f"the lock of {lock.root}: its delete had not finished after {budget_s:g} s "
                    "(the service did not answer in time); left there, the next offload into "
                    "it takes it over: from this host at once (this process will have "
                    "exited), from another once it has not been refreshed for "
                    f"{lock.stale_after_s / 60:g} minutes",
                )


def lost_locks(locks: Sequence[S3CopyRootLock]) -> list[str]:
    """The warnings of the locks another run took over while this one held them, each
    confirmed once the copy is done (``S3CopyRootLock.confirm``)."""
    for lock in locks:
        lock.confirm()
    return [lock.lost for lock in locks if lock.lost is not None]


def abort_abandoned(
    plan: OffloadPlan, backends: Mapping[int, S3Backend]
) -> tuple[RemovedUnfinished, list[tuple[str, str]]]:
    """Abort our unfinished uploads this run will not resume, and delete our old staging
    objects; returns how many of each (``uploads``, ``staging_objects``), and a warning
    (message, lock's URL) per lock that could not be read to tell whether the run that
    recorded an upload is live (the upload kept until 12 hours old)."""
    from offload.destinations.s3lock import UNREADABLE_LOCK_ABANDON_S

    aborted = RemovedUnfinished()
    warnings: list[tuple[str, str]] = []
    for dest_plan in plan.plans:
        backend = backends.get(dest_plan.index)
        if backend is None:
            continue
        store = backend.store
        keys = [backend.key(dest_plan.target_for(f.relative_path)) for f in plan.tree.files]
        staging: list[str] = []
        try:
            swept = store.abort_abandoned(keys, staging)
        except OSError:
            pass  # the copy itself will say what is wrong with the destination
        else:
            aborted.staging_objects += len(staging)
            aborted.uploads += len(swept) - len(staging)
        for key in sorted(store.unreadable_locks):
            where = store.display(key)
            sooner = (
                "allow s3:GetObject on it to have them cleaned up sooner"
                if key in store.refused_locks
                else "the service failed its read: the next offload into this destination "
                "reads it again"
            )
            warnings.append(
                (
                    f"cannot read the lock {where}: unfinished uploads of other runs below it "
                    f"are kept until {int(UNREADABLE_LOCK_ABANDON_S // 3600)} hours old (a "
                    f"run may still be writing them); {sooner}",
                    where,
                )
            )
        store.unreadable_locks.clear()
        store.refused_locks.clear()
    return aborted, warnings


def folders_not_kept(
    tree: SourceTree, plans: Sequence[DestinationPlan], backends: Mapping[int, S3Backend]
) -> list[PreflightItem]:
    """A warning per S3 destination and per folder of the card with no file below it (empty,
    or holding only links or ignored entries): the bucket cannot hold it (no object, so no
    prefix; no marker either: ``aws s3 cp --recursive`` and ``sync`` do not make a folder of
    one, a plain download makes a file of it), so it is neither copied nor listed there."""
    holding = _folders_holding(f.relative_path for f in tree.files)
    empty = [folder for folder in tree.directories if folder not in holding]
    items: list[PreflightItem] = []
    for plan in plans:
        if plan.index not in backends:
            continue
        for folder in empty:
            target = S3ShownPath(plan.target_for(folder))
            items.append(
                PreflightItem(
                    PreflightCode.FOLDER_NOT_KEPT,
                    target,
                    f"{target}: an empty folder of the card is not kept there (an object "
                    "store holds objects, not folders); the manifests written there do not "
                    "list it",
                    plan.index,
                )
            )
    return items


def type_conflicts(
    tree: SourceTree, plans: Sequence[DestinationPlan], backends: Mapping[int, S3Backend]
) -> list[PreflightItem]:
    """An error per S3 destination and key where the copy would put a file at a folder of
    objects (objects lie below ``CLIPS/`` where the card has a file ``CLIPS``), or a folder at
    an object (the object ``CLIPS`` where the card has ``CLIPS/...``, the copy root included):
    a disk's preflight refuses both (``target-type-conflict``), and so does this, for every
    policy. A bucket may hold a file and a folder of one name, but then it can no longer be
    restored to a disk, verified by ``offload verify`` or described by ASC MHL; and
    ``--overwrite`` would replace nothing (the objects below stay).

    What is there comes from the listing of the copy root's folder (``S3Backend.listed_as``,
    shared with the planner's look at each key), then listings without a delimiter
    (``S3Backend.keys_below``: a request a thousand keys, not one a folder, which a card of
    image sequences has thousands of): of the whole copy root when it is the card's own; of
    each top folder of the card found there when the root is shared (``--into``), its top
    files and folders judged from the root's listing. A copy root not there has nothing
    below it: a card's first offload costs one listing. A listing that fails is skipped: the
    copy will say what is wrong with the destination."""
    # Only the folders holding a file are made in a bucket (``folders_not_kept``).
    folders = sorted(_folders_holding(f.relative_path for f in tree.files))
    items: list[PreflightItem] = []
    for plan in plans:
        backend = backends.get(plan.index)
        if backend is not None:
            items.extend(_plan_conflicts(tree, folders, plan, backend))
    return items


def _plan_conflicts(
    tree: SourceTree, folders: Sequence[str], plan: DestinationPlan, backend: S3Backend
) -> list[PreflightItem]:
    items: list[PreflightItem] = []

    def conflict(target: Path, there: str, wanted: str) -> None:
        shown_target = S3ShownPath(target)
        remedy = (
            "move those objects away (a bucket holding both could not be restored to a disk)"
            if there == "a folder of objects"
            else "move that object away"
        )
        items.append(
            PreflightItem(
                PreflightCode.TARGET_TYPE_CONFLICT,
                shown_target,
                f"{shown_target} exists and is {there}, where the copy {wanted}: "
                f"{remedy}, or copy into another destination",
                plan.index,
            )
        )

    def kinds(path: Path) -> tuple[bool, bool] | None:
        try:
            return backend.listed_as(path)
        except OSError:
            return None

    if plan.creates_root:
        found = kinds(plan.root)
        if found is not None and found[0]:
            conflict(plan.root, "a file", "needs a folder")
            return items
        if found is None or not found[1]:
            return items  # a card's first offload here: nothing below the copy root
    # What lies below: every object's key (relative to the copy root), and every folder
    # those keys make. A copy root of the card's own is listed whole; one shared with others
    # (--into) only below the card's top folders found there.
    objects: set[str] = set()
    below: set[str] = set()
    scopes = [""] if plan.creates_root else [f for f in folders if "/" not in f]
    for top in scopes:
        where = Path(plan.target_for(top)) if top else plan.root
        if top:
            found = kinds(where)
            if found is None:
                continue
            if found[0]:
                conflict(where, "a file", "puts a folder")
            if not found[1]:
                continue
        try:
            keys = backend.keys_below(where)
        except OSError:
            continue
        for key in keys:
            relative = f"{top}/{key}" if top else key
            objects.add(relative)
            folder = relative.rpartition("/")[0]
            while folder and folder not in below:
                below.add(folder)
                folder = folder.rpartition("/")[0]
    whole = plan.creates_root  # every key below the root is in *objects*
    for folder in folders:
        if (whole or "/" in folder) and folder in objects:
            conflict(Path(plan.target_for(folder)), "a file", "puts a folder")
    for source_file in tree.files:
        relative = source_file.relative_path
        if whole or "/" in relative:
            if relative in below:
                conflict(Path(plan.target_text(relative)), "a folder of objects", "puts a file")
            continue
        found = kinds(Path(plan.target_text(relative)))
        if found is not None and found[1]:
            conflict(Path(plan.target_text(relative)), "a folder of objects", "puts a file")
    return items


def probe_warnings(
    plans: Sequence[DestinationPlan], backends: Mapping[int, S3Backend]
) -> list[PreflightItem]:
    """What the preflight's probe found each S3 destination's service to do that weakens a
    guarantee (``s3preflight.probe``): a HEAD check instead of conditional writes, part
    checksums nobody checks; a warning each, before the copy."""
    items: list[PreflightItem] = []
    for plan in plans:
        backend = backends.get(plan.index)
        if backend is None:
            continue
        for code, message in backend.store.probe_findings:
            items.append(
                PreflightItem(
                    PreflightCode(code), S3ShownPath(plan.destination), message, plan.index
                )
            )
    return items


def _folders_holding(paths: Iterable[str]) -> set[str]:
    """Every folder above one of *paths* (``/``-separated, relative): the folders a bucket
    holding those objects gives back (the root not included)."""
    folders: set[str] = set()
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def write_s3_manifests(
    records: OffloadRecords,
    options: ManifestOptions,
    backends: Mapping[int, S3Backend],
    sink: EventSink | None = None,
) -> list[ManifestResult]:
    """The manifests of every S3 destination in *records* (see the module docstring). Never
    raises for I/O: a failure is the destination's ``ManifestResult.error``. The folders
    the manifests list are dated as a disk's generation dates them, by *records*: its
    ``folder_dates`` where given (a cascade's, taken before the card's release), else each
    card folder's time read from its ``source`` (``ascmhl.write_generation``'s
    *folder_dates_from*); a folder whose date cannot be read there is recorded undated (the
    staging folder holds only the history, never a folder dated by when it was staged)."""
    from offload.manifest_warnings import left_out_by_warning, warning_events
    from offload.manifests_writer import (
        ManifestResult,
        ledger_lost,
        not_written,
        warning_codes,
        write_manifests,
    )

    results: list[ManifestResult] = []
    for destination in records.destinations:
        backend = backends.get(destination.index)
        if backend is None:
            continue
        # (a run killed here leaves it: the next one sweeps it, run_scratch)
        with scratch(MHL_PREFIX) as staging:
            # Named as the copy root: the manifest's file name carries the root's name.
            root = Path(staging) / (destination.root.name or backend.store.url.bucket)
            settled: str | None = None
            try:
                root.mkdir()
                # The legacy MHLs too, asked for or not: a generation written now ignores
                # those an earlier run stored (manifests_writer._legacy_patterns).
                before = _download_history(backend, destination.root, root, legacy=True)
                backend.history_read.clear()  # (the start's: not needed again this run)
                # A generation a dead run stored and never chained: removed before the
                # history is read (s3unchained), said among the manifests' warnings.
                settled = s3unchained.settle(backend, destination.root, root, before)
                # Only the folders the bucket holds: those above an object the manifest lists.
                holding = _folders_holding(f.relative_path for f in destination.files)
                directories = tuple(d for d in records.directories if d in holding)
                staged = dataclasses.replace(
                    destination,
                    root=root,
                    destination=root,
                    lister=_store_lister(backend, destination.root, directories),
                    read_copy=_object_hasher(backend, destination.root, root),
                )
                # No sink: its warnings name the staging folder until renamed below.
                outcomes = write_manifests(
                    dataclasses.replace(records, destinations=(staged,), directories=directories),
                    options,
                )
                for outcome in outcomes:
                    if settled is not None:
                        outcome.warnings.append(settled)
                    uploaded = upload_history_changes(backend, destination.root, root, before)
                    outcome.written = [display_path(p) for p in uploaded]
                    if uploaded and not outcome.error:  # a re-run storing nothing: none
                        _store_stamp(backend, destination.root, root)
                    if outcome.error:  # the staging folder stands for the copy root
                        outcome.error = outcome.error.replace(
                            str(root), display_path(destination.root)
                        )
                    codes = warning_codes(outcome)  # from the warnings as written
                    named = left_out_by_warning(outcome)
                    outcome.warnings = [
                        w.replace(str(root), display_path(destination.root))
                        for w in outcome.warnings
                    ]
                    if sink is not None:
                        where = str(destination.root)
                        for event in warning_events(outcome, where, codes, named):
                            sink.emit(event)
                    results.append(outcome)
            except (OSError, OffloadError) as exc:
                # An OSError in words, its errno named ("... (EINVAL)"), not str()'s
                # "[Errno 22] ..." (the store's errors carry no path of their own); one
                # raised with words alone (no errno: a lock taken over) is its words.
                message = redact_secrets(
                    getattr(exc, "message", None)
                    or (
                        describe_os_error(exc)
                        if isinstance(exc, OSError) and exc.errno is not None
                        else str(exc)
                    )
                )
                if settled is not None:  # what the settle did is never left unsaid
                    message = f"{settled}; then {message}"
                results.append(
                    ManifestResult(
                        destination.index,
                        error=not_written(backend.store.url, message),
                    )
                )
    for outcome in results:  # never "its ledger records" what the bucket lost since
        backend = backends.get(outcome.destination_index)
        if outcome.error and backend is not None:
            outcome.error = ledger_lost(outcome.error, backend.ledger_lost)
    return results


def _store_stamp(backend: S3Backend, copy_root: Path, staged: Path) -> None:
    """Store a stamp of the history just stored (``manifest_stamp.media_state`` of the
    staging folder *staged*, no files: never one a run trusts to skip a check) as
    ``<copy root>/.offload/manifests-complete.json``: ``offload verify s3://`` warns from it,
    as on a drive, of a history deleted since (``verification._history_gone``) or replaced
    (``own_record.history_replaced``: the generations' names and sizes, which the objects
    share with the staged files). Stored where this run stored a generation or chain only (a
    re-run that stores nothing writes nothing). A bucket written before holds none until
    then: no warning, no claim. Never raises: a failure only leaves those warnings unsaid."""
    from offload.manifest_stamp import media_state, stamp_path, write_stamp

    try:
        write_stamp(staged, media_state(staged, files=None, options={}, legacy=False))
        data = stamp_path(staged).read_bytes()
        backend.store.put_small(backend.key(stamp_path(copy_root)), data, replace=True)
    except (OSError, OffloadError):
        pass


def _object_hasher(
    backend: S3Backend, copy_root: Path, staged: Path
) -> Callable[[Path, Sequence[str]], dict[str, str]]:
    """How the generation reads the object of a file its history knows only in other
    formats (``history_formats``): by the file's path under the staging folder *staged*,
    the object at that path under *copy_root*, streamed and hashed (its ETag and metadata
    noted nowhere: the ledger's entries are written already). Raises OSError: a
    ``CopyUnread`` where the GET was refused or the service kept failing."""

    def hash_object(path: Path, formats: Sequence[str]) -> dict[str, str]:
        copy = copy_root / path.relative_to(staged)
        try:
            return backend.store.read_back(backend.key(copy), formats)[0]
        except OSError as exc:
            # a GET refused or a service failing says nothing of the object: told apart
            # from one that no longer holds what was verified (history_formats.CopyUnread)
            words = None if exc.errno == errno.ECANCELED else backend.unreadable(exc, copy)
            if words is None:
                raise
            raise CopyUnread(exc.errno, words) from exc

    return hash_object


def _store_lister(backend: S3Backend, copy_root: Path, directories: Collection[str]) -> Lister:
    """What stands in each folder of the copy root in the store, for the manifests' folder
    hashes (:mod:`offload.manifest.coverage`): the keys under its prefix (listed once, when
    first asked; another card's objects there are content this generation does not list),
    and the card's folders (*directories*): a store holds no empty folder, so a folder with
    no key is not content left out. S3 keys are flat: a name that is both an object and a
    folder of others (another tool's ``CLIPS`` beside ``CLIPS/...``) is two entries, the
    file one no generation lists, so the folder holding it is not whole."""
    from offload.manifest.coverage import Entry

    children: dict[str, set[tuple[str, bool]]] | None = None  # folder -> (name, is a folder)

    def listing() -> dict[str, set[tuple[str, bool]]]:
        found: dict[str, set[tuple[str, bool]]] = {"": set()}

        def add(path: str, is_dir: bool) -> None:
            parent, _, name = path.rpartition("/")
            if is_dir:
                found.setdefault(path, set())
            if parent:
                add(parent, True)
            found.setdefault(parent, set()).add((name, is_dir))

        prefix = backend.key(copy_root / ASCMHL_FOLDER)[: -len(ASCMHL_FOLDER)]
        for info in backend.store.list_keys(prefix):
            relative = info.key[len(prefix) :]
            if relative and not relative.endswith("/"):
                add(relative, False)
        for folder in directories:
            if folder:
                add(folder, True)
        return found

    def entries(folder: str) -> Iterable[Entry]:
        nonlocal children
        if children is None:
            children = listing()
        return [Entry(n, d, False) for n, d in sorted(children.get(folder, set()))]

    return entries


def history_of(backend: S3Backend, copy_root: Path) -> History:
    """The ASC MHL history of the ``s3://`` copy root *copy_root* as its bucket holds it
    now: its ``ascmhl/`` objects downloaded into a scratch folder (removed on return) and
    read there. Its copies' read-back hashes in its formats a copy it knows only in others
    (``history_formats.with_history_formats``), so the manifest step reads those copies no
    more; the objects downloaded are kept, with their ETags, in ``backend.history_read``, so
    the manifest step downloads only those changed since, or new. Raises OSError,
    HistoryError."""
    from offload.manifest.history import read_history

    with scratch(MHL_PREFIX) as staging:
        root = Path(staging) / (copy_root.name or backend.store.url.bucket)
        root.mkdir()
        _download_history(backend, copy_root, root)
        return read_history(root)


def _download_history(
    backend: S3Backend, copy_root: Path, staging: Path, *, legacy: bool = False
) -> dict[str, bytes]:
    """Copy ``<copy root>/ascmhl/*`` from the store into *staging*; returns what it held.
    *legacy*: the legacy MHLs at the copy root too (``<root name>_*.mhl``: the manifest step
    writes one when the newest does not list every file verified there, and a generation
    ignores those there). An object downloaded earlier in the run (``S3Backend.history_read``,
    with the ETag of its GET) that the listing shows with that ETag still is not downloaded
    again; each one downloaded is kept there."""
    held: dict[str, bytes] = {}
    if legacy:
        under = backend.key(copy_root / ASCMHL_FOLDER)[: -len(ASCMHL_FOLDER)]  # the root's
        for info in backend.store.list_keys(f"{under}{staging.name}_"):
            name = info.key[len(under) :]
            if "/" not in name and name.endswith(".mhl"):
                (staging / name).write_bytes(backend.store.get_small(info.key) or b"")
                held[name] = (staging / name).read_bytes()
    prefix = backend.key(copy_root / ASCMHL_FOLDER) + "/"
    for info in backend.store.list_keys(prefix):
        relative = info.key[len(prefix) :]
        known = backend.history_read.get(info.key)
        if known is not None and info.etag and known[0] == info.etag:
            data = known[1]  # as downloaded at the start, unchanged since (its ETag)
        else:
            found = backend.store.get_small_tagged(info.key)
            data = b"" if found is None else found[0]
            if found is not None and found[1]:
                backend.history_read[info.key] = (found[1], data)
        target = staging / ASCMHL_FOLDER / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        held[f"{ASCMHL_FOLDER}/{relative}"] = data
    return held


def upload_history_changes(
    backend: S3Backend,
    copy_root: Path,
    staging: Path,
    before: Mapping[str, bytes],
    *,
    under: str = "",
) -> list[Path]:
    """Upload every file of *staging* (only those below its folder *under*, if given) that
    is new or changed against *before* (relative path → bytes as downloaded); returns their
    stand-in paths. New files never replace an object (If-None-Match); changed ones (the
    chain) do. In name order, so a new generation is stored before the chain naming it.
    All or nothing for what is new: where an upload fails or the run is cancelled
    (KeyboardInterrupt) before the last one is stored, the new objects this call stored
    under ``ascmhl/`` (a generation's manifest the chain does not name yet; a legacy MHL
    stands on its own and stays) are deleted again, each its own
    version by its id (``S3Destination.delete_own``), so no ASC MHL reader finds an orphan
    generation. That clean-up is bounded (``S3Destination.take_back``: short timeouts, a
    few seconds in all), so a cancel stays prompt against a service that stopped answering;
    what it could not delete is in the store's ``left_behind`` (``left_behind_notes`` names
    it), and the error raised is still the upload's. A chain's PUT that raised is checked
    (``_chain_is``): stored, nothing is taken back and the call succeeds (a cancel is still
    raised); not known, the manifests stay with their record for the next run's settle. A
    changed chain is stored only over the one read (``_put_chain``: If-Match). A copy root's
    lock this run holds that is ``lost`` already: OSError before anything is stored.
    Raises OSError."""
    uploaded: list[Path] = []
    stored: list[tuple[str, str, str | None]] = []  # new objects: key, ETag, VersionId
    # The copy root's lock this run holds: the record names it, and the chain is stored
    # only while it is still ours (a run that took it over settles our record as over).
    lock = held_lock(backend.store, backend.key(copy_root))
    if lock is not None and lock.lost is not None:
        # Taken over (or deleted) while this run was away: nothing is stored, not even the
        # record, which without the lock's nonce would say "held no lock".
        raise OSError(lock.lost)
    lock = lock if lock is not None and lock.held else None
    # Before a new generation's manifest, the intent a SIGKILL cannot take back with it
    # (s3unchained): the next writer removes that manifest if no chain lists it.
    intent = s3unchained.Intent(backend.store, s3unchained.record_key(backend, copy_root), lock)
    sending: str | None = None  # a manifest's key whose PUT was sent and not answered yet
    chain_sent: tuple[str, bytes] | None = None  # the chain's key and bytes, PUT unanswered
    try:
        for folder, _, names in sorted(os.walk(staging / under if under else staging)):
            for name in sorted(names):
                local = Path(folder) / name
                relative = local.relative_to(staging).as_posix()
                data = local.read_bytes()
                if before.get(relative) == data:
                    continue
                target = copy_root / relative
                key = backend.key(target)
                replace = relative in before
                if (
                    not replace
                    and relative == f"{ASCMHL_FOLDER}/{name}"
                    and generation_number_of(name) is not None
                ):
                    intent.note(name, s3unchained.c4_of_bytes(data))
                    sending = key
                chain = relative == f"{ASCMHL_FOLDER}/{CHAIN_FILE_NAME}"
                if chain and stored and lock is not None and not lock.still_ours():
                    raise OSError(
                        lock.lost
                        or f"the lock of copy root {lock.root} is no longer this run's: "
                        "the chain was not stored",
                    )
                if chain:
                    chain_sent = (key, data)
                if chain and replace:
                    etag, version = _put_chain(backend, key, data, before[relative])
                else:
                    etag, version = backend.store.put_small_own(key, data, replace=replace)
                sending = None
                chain_sent = None
                if not replace and relative.startswith(f"{ASCMHL_FOLDER}/"):
                    stored.append((key, etag, version))
                uploaded.append(target)
    except BaseException as exc:
        stored_anyway = chain_sent is not None and _chain_is(backend, *chain_sent)
        if stored_anyway:
            # The chain's PUT raised, yet the chain there is ours (stored, its answer lost;
            # 503s after storing; a Ctrl-C mid-PUT): it names the new manifests, so they stay
            # and the record goes, as after a success. Only a cancel is said as one.
            intent.close(keep=False)
            if not isinstance(exc, Exception):
                raise
            uploaded.append(copy_root / f"{ASCMHL_FOLDER}/{CHAIN_FILE_NAME}")
            return uploaded
        if chain_sent is not None and stored_anyway is None:
            # Not known whether the chain was stored (its read-back failed too): the manifests
            # stay with their record, which the next run settles (chained: the record goes;
            # not: the manifest goes). Taking them back could leave a chain naming none.
            intent.close(keep=True)
            raise
        # The chain (changed, stored last) not stored: take back the new manifests. A chain
        # stored whole names them; none is stored after it, so nothing to undo then.
        backend.store.take_back(list(reversed(stored)))
        # The intent kept while a manifest it names may stand there: its delete failed, or
        # its PUT raised with no answer (the service may have stored it: a lost answer,
        # 503s after storing, a Ctrl-C mid-PUT), which no take-back knows of. A record
        # naming a manifest that is not there is dropped by the next settle.
        left = {item.key for item in backend.store.left_behind}
        intent.close(keep=sending is not None or any(key in left for key, _, _ in stored))
        raise
    intent.close(keep=False)
    return uploaded


def _put_chain(
    backend: S3Backend, key: str, data: bytes, downloaded: bytes
) -> tuple[str, str | None]:
    """Store *data* as the chain at *key* only over the chain this run read (*downloaded*):
    its ETag taken from a GET of the same bytes now, then the PUT on If-Match of that ETag
    (where the service ignores If-Match: a HEAD just before, racy; ``S3Destination._put``).
    Another writer's chain stored since is never overwritten. Returns the ETag and VersionId.
    Raises OSError (the chain changed since it was read: EBADMSG; the service)."""
    found = backend.store.get_small_tagged(key)
    if found is None or found[0] != downloaded:
        raise OSError(
            errno.EBADMSG,
            f"cannot store {backend.store.display(key)}: the chain changed since this run "
            "read it (another offload wrote a generation meanwhile); run `offload verify` on "
            "the copy root once no other offload runs there",
        )
    return backend.store._put(key, data, metadata={}, replace=True, pinned=found[1])


def _chain_is(backend: S3Backend, key: str, data: bytes) -> bool | None:
    """Whether the chain at *key* is *data* now: one GET on the clean-up's client (short
    timeouts, no retry), on a thread waited for at most ``CHAIN_CHECK_S`` (a cancel or a
    failure asks: a service that stopped answering must not hold the run). None: not known
    (the GET failed, or had not answered in time, or a Ctrl-C cut the wait). Never raises."""
    found: list[bool] = []

    def check() -> None:
        client = backend.store._quick_client()
        body = client.get_object(Bucket=backend.store.url.bucket, Key=key)["Body"].read()
        found.append(body == data)

    def guarded() -> None:
        signals_unblocked()  # a bucket's thread (it may start a credential helper)
        try:
            check()
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "NoSuchKey":
                found.append(False)  # no chain there: ours was not stored

    worker = threading.Thread(target=guarded, name="s3-chain-check", daemon=True)
    worker.start()
    try:
        worker.join(CHAIN_CHECK_S)
    except KeyboardInterrupt:
        return None
    return found[0] if found else None


# How long a failed or cancelled chain PUT waits to learn whether the chain was stored.
CHAIN_CHECK_S = 3.0


class S3ReportFolder:
    """``<copy root>/.offload/reports/`` on S3, where ``report.job_report.write_reports``
    stores the job reports (``RemoteReportFolder``). Uses the destination's store after the
    run closed it: ``put_small`` and ``stat_key`` need only its client, not its executors."""

    def __init__(self, store: S3Destination, prefix: str) -> None:
        self.store = store
        self._prefix = prefix  # the folder's key, without the trailing "/"
        self.name = store.display(prefix)
        # What ``put`` last stored under each name (ETag, VersionId): ``remove`` takes back
        # only that object, never another's stored since.
        self._stored: dict[str, tuple[str, str | None]] = {}

    def exists(self, filename: str) -> bool:
        """Raises OSError."""
        return self.store.exists_key(f"{self._prefix}/{filename}")

    def put(self, filename: str, data: bytes, *, replace: bool) -> str:
        """Store *data* as *filename*, never over an object unless *replace*; returns its
        ``s3://`` URL. Raises OSError (FileExistsError: the name is taken)."""
        key = f"{self._prefix}/{filename}"
        self._stored[filename] = self.store.put_small_own(key, data, replace=replace)
        return self.store.display(key)

    def remove(self, filename: str) -> None:
        """Take back the object ``put`` stored as *filename* (``delete_own``: its own
        version where the bucket keeps versions; else only while it is still that object).
        Nothing stored by ``put`` under that name: nothing done. Raises OSError."""
        stored = self._stored.pop(filename, None)
        if stored is not None:
            key = f"{self._prefix}/{filename}"
            self.store.delete_own(key, etag=stored[0], version_id=stored[1])


def changed_since_verified(
    backend: S3Backend,
    ledger: S3Ledger,
    copies: Sequence[tuple[str, Path, int]],
    *,
    unlisted: set[str] | None = None,
) -> dict[str, tuple[str, bool]] | None:
    """Which of *copies* (relative path, the copy's stand-in path, the card file's size:
    each one the report calls good) is no longer the object it was verified as: gone, of
    another size, or another object (another ETag than this run proved, ``replacement_etag``
    or ``known_etag``, else than its ledger entry recorded); relative path -> what was
    found, in words, and whether the object is gone (nothing there to replace). The S3 side
    of the cascade's check of its fast copies at its end
    (``cascade._changed_since_verified``).

    One listing of the copy root answers for every copy (a request a thousand keys); a key
    it does not show as expected is asked for by its own HEAD, so the listing only spares
    requests, never finds more than a HEAD would. Not compared: the version (an object
    stored again with the same bytes has the same ETag and size: the same content, as a
    re-run's ledger check trusts it) and the ``mtime`` metadata (not in a listing). A copy
    with no ETag known (neither this run's nor its entry's) is checked by its size only.
    None: the service did not answer a HEAD (its copies were verified before it stopped
    answering, nothing found says otherwise): nothing is claimed either way.

    *unlisted*: keys of other objects under the copy root (this run's ledger objects, its
    lock) whose presence the caller asks of the same listing: on return it holds those the
    listing did not show, and is emptied where the listing failed (no claim then)."""
    expected: dict[str, tuple[str, int, str]] = {}  # key -> relative, size, ETag ("" unknown)
    entries: dict[str, Any] | None = None
    for relative, final, size in copies:
        try:
            key = backend.key(final)
            etag = backend.replacement_etag(final) or backend.known_etag(final)
        except OSError:
            continue  # a name S3 cannot hold: never stored, never called good
        if not etag:
            if entries is None:
                try:
                    entries = dict(ledger.load())
                except OSError:
                    entries = {}
            entry = entries.get(relative)
            # The entry of this path may be another copy's: with --keep-both two cards'
            # copies of one name stand under one copy root, the path's last entry the other
            # card's, its object at another key. Its ETag is this copy's only where it names
            # this copy (its final name): else the size alone is checked, never a false
            # "written over" (which failed and revoked a good copy).
            named = getattr(entry, "final_name", "") or ""
            mine = entry is not None and (not named or named == final.name)
            etag = (getattr(entry, "etag", "") or "") if mine else ""
        expected[key] = (relative, size, etag)
    if not expected and not unlisted:
        return {}
    listed: dict[str, ObjectInfo] = {}
    try:
        root = backend.key(ledger.copy_root)
        for item in backend.store.list_keys(f"{root}/" if root else ""):
            if item.key in expected:
                listed[item.key] = item
            elif unlisted:
                unlisted.discard(item.key)
    except OSError:
        listed = {}  # each key asked for by its own HEAD
        if unlisted is not None:
            unlisted.clear()  # not known: nothing claimed of them
    found: dict[str, tuple[str, bool]] = {}
    for key, (relative, size, etag) in expected.items():
        info: ObjectInfo | None = listed.get(key)
        if info is None or info.size_bytes != size or (etag and info.etag != etag):
            try:
                info = backend.store.stat_key(key)
            except OSError:
                return None
        if info is None:
            found[relative] = ("gone", True)
        elif info.size_bytes != size:
            found[relative] = (f"{info.size_bytes} bytes long, the card's file {size}", False)
        elif etag and info.etag != etag:
            found[relative] = (
                f"another object (ETag {info.etag}, recorded as {etag}: written over since)",
                False,
            )
    return found


def show_s3_paths(report: OffloadReport, backends: Mapping[int, S3Backend]) -> None:
    """Name S3 copies ``s3://bucket/key`` in the report (after the manifests were written),
    tell it where its job reports go on each S3 destination (``report_folders``) and the
    endpoint each was reached at (``endpoints``), and add ``versions_kept_notes`` to its
    notes."""
    if not backends:
        return
    report.notes.extend(versions_kept_notes(backends))
    report.notes.extend(adopted_versions_notes(backends))
    report.notes.extend(complete_refused_notes(backends))
    for index, reached in backends.items():
        if reached.store.endpoint_url:  # redacted: no user:password, no query
            report.endpoints[index] = reached.store.endpoint
    for plan in report.plans:
        backend = backends.get(plan.index)
        if backend is not None and is_s3_root(plan.root):
            try:
                folder = backend.key(plan.root / STATE_FOLDER / "reports")
            except OSError:
                continue  # a copy root S3 cannot name: the copy said so already
            report.report_folders[plan.index] = S3ReportFolder(backend.store, folder)
    show_job_paths(report.job)
    report.plans = [
        dataclasses.replace(
            plan, destination=S3ShownPath(plan.destination), root=S3ShownPath(plan.root)
        )
        if plan.index in backends
        else plan
        for plan in report.plans
    ]


def versions_kept_notes(backends: Mapping[int, S3Backend]) -> list[str]:
    """A note per S3 destination where the service refused to delete versions of ours
    (``S3Destination.delete_own_version``): on a bucket that keeps versions, storing the
    digests in the metadata of a multipart object left the object it replaced as a
    noncurrent version, so those files are stored twice. Nothing is wrong with the copies
    because of it; the note claims no state for them (a copy may be transfer-checked only, or
    have failed): each file's state is in the report."""
    notes = []
    for backend in backends.values():
        store = backend.store
        kept = list(store.versions_kept)
        if not kept:
            continue
        key, reason = kept[0].key, kept[0].reason
        count = f"{len(kept)} object{'s' if len(kept) != 1 else ''}"
        # The policy is named only where the service refused (403/405/501): a SlowDown or
        # a 5xx is the service failing, which no permission mends.
        allow = "allow s3:DeleteObjectVersion, or " if any(k.refused for k in kept) else ""
        notes.append(
            f"{store.url}: the bucket keeps versions and {count} uploaded in parts "
            f"are stored twice (the version left by storing the digests in the metadata could "
            f"not be deleted: {reason}; e.g. {store.display(key)}): {allow}pass "
            "--s3-no-digest-metadata, or delete the noncurrent versions; nothing is wrong "
            "with the copies because of it (each file's state is in the report)"
        )
    return notes


def adopted_versions_notes(backends: Mapping[int, S3Backend]) -> list[str]:
    """A note per S3 destination where adopted objects of an earlier run were copied onto
    themselves for the digests they lacked (``S3Backend.complete_adopted``) on a bucket
    that keeps versions: S3 changes no metadata in place, so where the copy got a VersionId
    the object each was stays as a noncurrent version of the same bytes, stored twice.
    This run deletes only versions it made, never an earlier run's: the note says so, how
    to see them and what leaves such objects as they are. A copy whose VersionId is "null"
    (versioning suspended) replaced the key's null version: the object copied stays only
    if it was stored while versions were kept, which this run does not know, so those are
    counted apart and said only to *may* stay, never "stored twice". It claims no state
    for any file (each file's is in the report). None where the bucket keeps no versions
    (no VersionId: the object copied is gone)."""
    notes = []
    for backend in backends.values():
        store = backend.store
        with store._lock:
            copies = list(store.adopted_copies)
        kept = [key for key, version in copies if version and version != "null"]
        suspended = [key for key, version in copies if version == "null"]
        if kept:
            notes.append(
                f"{store.url}: {_objects(len(kept))} of an earlier run of offload-ai, found "
                f"equal to the card (e.g. {store.display(kept[0])}), lacked their digests "
                "and were copied onto themselves to store them (S3 changes no metadata in "
                f"place); the object each was, of the same bytes, {version_words(['id'])}, "
                "stored twice: this run deletes no version it did not make, so delete those "
                "versions if they are not wanted, or pass --s3-no-digest-metadata to leave "
                "such objects as they are; nothing is wrong with the copies because of it"
            )
        if suspended:
            notes.append(
                f"{store.url}: {_objects(len(suspended))} of an earlier run of offload-ai, "
                f"found equal to the card (e.g. {store.display(suspended[0])}), lacked "
                "their digests and were copied onto themselves to store them (S3 changes "
                "no metadata in place) on a bucket whose versioning is suspended; the "
                f"object each was, of the same bytes, {version_words(['null'])}: this run "
                "deletes no version it did not make (aws s3api list-object-versions shows "
                "what stays), and --s3-no-digest-metadata leaves such objects as they are; "
                "nothing is wrong with the copies because of it"
            )
    return notes


def _objects(count: int) -> str:
    """ "1 object", "2 objects"."""
    return f"{count} object{'s' if count != 1 else ''}"


def complete_refused_notes(backends: Mapping[int, S3Backend]) -> list[str]:
    """The notes of each S3 destination whose service answered 501 mid-copy to a condition
    the copy meant atomic (the preflight's probe tries PutObject only, and may not run):
    to one on CompleteMultipartUpload (``S3Destination.complete_refused``), each multipart
    upload completed from then on with that condition was checked with a HEAD just before
    instead, racy, PutObject keeping its condition (said only while it did); to a
    PutObject's If-None-Match (``S3Destination.put_refused``), every write from then on
    that must not replace another object (``conditional_create`` False; If-Match kept,
    ``conditional_match``). A note claims
    no state for any file (each file's is in the report)."""
    notes = []
    for backend in backends.values():
        store = backend.store
        refused = store.complete_refused
        if refused:
            what = []
            if "If-None-Match" in refused:
                what.append(
                    "each file uploaded in parts from then on was completed after a HEAD of "
                    "its key instead (racy: an object another writer stored under the same "
                    "key between the HEAD and the completion would be replaced)"
                )
            if "If-Match" in refused:
                what.append(
                    "each object copied onto itself in parts with its digests from then on "
                    "was completed after a HEAD showing it unchanged instead (racy: an "
                    "object another writer stored there between the HEAD and the "
                    "completion would be replaced)"
                )
            kept = "; single-request uploads kept the condition" if store.conditional_create else ""
            notes.append(
                f"{store.url}: the service answered 501 to {' and '.join(refused)} on "
                f"CompleteMultipartUpload, so {'; and '.join(what)}{kept}"
            )
        if store.put_refused:
            notes.append(
                f"{store.url}: the service answered 501 to If-None-Match on PutObject "
                "mid-copy, so every write from then on that must not replace another "
                "object (files, reports, the copy root's lock, completions of uploads in "
                "parts) was made after a HEAD of its key instead of on a condition (racy: "
                "an object another writer stored under the same key between the HEAD and "
                "the write would be replaced); writes only over a given object (If-Match) "
                "kept their condition"
            )
    return notes


#: How many objects a ``left_behind_notes`` note names one by one.
LEFT_NAMED = 10


def _check(store: S3Destination, item: LeftBehind) -> str | None:
    """For an object that may or may not be in the bucket (``LeftBehind.may_be_stored``),
    the command that shows whether it is, and whether it is this run's (its
    ``offload-upload`` metadata), each word as ``errors.shell_word`` writes it (pasted into
    bash: the exact key); None for any other."""
    if not item.may_be_stored:
        return None
    return f"aws s3api head-object {_where(store, item)}"


def _where(store: S3Destination, item: LeftBehind) -> str:
    """The arguments of an ``aws s3api`` command naming *item* on the service *store* reaches,
    shell-quoted: ``--endpoint-url`` (the run's own, from ``--s3-endpoint``, the environment
    or the profile; without its user:password part, which the AWS CLI takes from nowhere
    but the URL: the credentials come from its chain) and ``--profile`` where the run had
    them, so that the command pasted into a shell reaches that service with those
    credentials whatever the shell's environment (before: neither, and a command of a run
    given ``--s3-endpoint`` or ``--s3-profile`` went to AWS's own endpoint, or with the
    shell's default credentials); then ``--bucket`` and ``--key``."""
    return s3commands.where(store, item.key)


def _removal(store: S3Destination, item: LeftBehind) -> str:
    """The command that removes *item* (``aws s3api delete-object``, with ``--if-match``
    where *item* has an ETag and no version id: then it deletes no other object put there
    since; for an unfinished upload, ``aws s3api abort-multipart-upload``), shell-quoted.
    ``--if-match`` on delete-object: AWS CLI 1.46 (botocore 1.43) has it. The service and
    profile of the run are named (``_where``). Each word as ``errors.shell_word`` writes it:
    built once, the terminal's note, the HTML, the PDF and the JSON's ``remove`` show the
    same word, which pasted into bash is the exact key (a name that is not NFC, a control
    character: ``$'...'``; before, a display escape of the quoted key, ``'Cafe\\u0301'``,
    named a key that does not exist, and its delete succeeded, deleting nothing)."""
    where, option = _where(store, item), s3commands.option
    if item.upload_id:
        return f"aws s3api abort-multipart-upload {where} {option('--upload-id', item.upload_id)}"
    if item.version_id:
        return f"aws s3api delete-object {where} {option('--version-id', item.version_id)}"
    pinned = f" {option('--if-match', item.etag)}" if item.etag else ""
    return f"aws s3api delete-object {where}{pinned}"


def replaced_words(store: S3Destination) -> str:
    """What the objects this run's replacements took the place of became on *store*'s
    bucket (``s3.replaced_words`` of the VersionIds their copies got): the end of a
    sentence, ``is gone`` only where the bucket keeps no versions."""
    with store._lock:
        versions = list(store.replaced_versions)
    return version_words(versions)


def nothing_copied_words(backends: Mapping[int, S3Backend]) -> str:
    """What a run refused after the preflight (``--dry-run``'s line, a copy root busy)
    wrote of *backends*: no copy, but the probe objects each ``s3://`` destination's
    preflight stored under ``.offload/probe/``, deleted again unless a delete was refused
    (``s3-probe-left``, whose warning names them); "nothing was written" with none."""
    left = any(
        code == "s3-probe-left"
        for backend in backends.values()
        for code, _ in backend.store.probe_findings
    )
    if left:
        return (
            "nothing was copied (the s3:// preflight wrote its probe objects under "
            ".offload/probe/ and could not delete them all: see its warning)"
        )
    if backends:
        return (
            "nothing was copied (the s3:// preflight wrote and deleted its probe objects "
            "under .offload/probe/)"
        )
    return "nothing was written"


def left_behind_entries(store: S3Destination) -> list[dict[str, Any]]:
    """Each object or version of this run's that *store* may have left in the bucket
    (``S3Destination.left_behind``, once each, in the order met), as the reports'
    ``left_behind`` lists it (``report.left_behind``, docs/json.md): its ``url``
    (``s3://bucket/key``), ``bucket``, ``key``, ``version_id`` (null: the object itself),
    ``reason``, ``refused`` (the service refused the delete by version id: a policy without
    ``s3:DeleteObjectVersion``), ``upload_id`` (an unfinished multipart upload of the key,
    whose abort failed; null: an object or a version), ``may_be_stored`` (true: the request
    that stores it was sent and its answer never came, so it may or may not be there) and
    ``check``, the command that shows whether it is (``aws s3api head-object``; null for
    any other entry), and ``remove``, the command that removes it."""
    return [
        {
            "url": store.display(item.key),
            "bucket": store.url.bucket,
            "key": item.key,
            "version_id": item.version_id,
            "reason": item.reason,
            "refused": item.refused,
            "upload_id": item.upload_id,
            "may_be_stored": item.may_be_stored,
            "check": _check(store, item),
            "remove": _removal(store, item),
        }
        for item in dict.fromkeys(store.left_behind)
    ]


def left_behind_notes(store: S3Destination, *, in_report: bool = True) -> list[str]:
    """One note for *store* when objects, versions or unfinished multipart uploads may be
    left behind (``S3Destination.left_behind``: a delete by version id refused, a clean-up
    cut short, an abort that failed; this run's, or an earlier run's its sweep met),
    naming each (up to ``LEFT_NAMED``, then the count) with why and the command that removes
    it; none otherwise. *in_report*: the note goes into a JSON report whose ``left_behind``
    lists them (``left_behind_entries``), which it then points to for the ones it does not
    name; False for a warning with no report behind it. It claims no state for any copy:
    each file's is in the report."""
    from offload.report.left_behind import LEFT_LISTED

    left = list(dict.fromkeys(store.left_behind))
    if not left:
        return []
    named = []
    for item in left[:LEFT_NAMED]:
        what = store.display(item.key) + (f" version {item.version_id}" if item.version_id else "")
        if item.upload_id:
            what = f"the upload of {store.display(item.key)} (upload id {item.upload_id})"
        look = _check(store, item)
        look = f"; see whether it is there: {look}" if look else ""
        named.append(f"{what} ({item.reason}{look}; remove it: {_removal(store, item)})")
    more = len(left) - len(named)
    tail = f"; and {more} more of the same kind" if more > 0 else ""
    if more > 0 and in_report:
        listed = "every one" if len(left) <= LEFT_LISTED else f"the first {LEFT_LISTED}"
        tail += f" (the JSON report's left_behind lists {listed}, each with its command)"
    if any(item.refused for item in left):
        tail += (
            " (a version left behind stays as a noncurrent version, stored for nothing: allow "
            "s3:DeleteObjectVersion to have the next runs delete theirs)"
        )
    plural = "s" if len(left) != 1 else ""
    count = f"{len(left)} object{plural} or version{plural}"
    if any(item.upload_id for item in left):
        count = f"{len(left)} object{plural}, version{plural} or unfinished upload{plural}"
    return [
        f"{store.url}: {count} that this run or an earlier one left, and that this run meant "
        "to delete or abort, may be left in the bucket: " + "; ".join(named) + tail
    ]


def show_job_paths(job: JobReport) -> None:
    """Name S3 copies, and the S3 destinations, by ``s3://`` URL in *job* (never the
    stand-in path); used by card offloads and by the one-file API."""
    for file in job.files:
        for result in file.destinations:
            if result.final_path and is_s3_root(result.final_path):
                result.final_path = display_path(result.final_path)
            if result.error:
                result.error = shown(result.error)
    for summary in job.destinations:
        summary.root = shown(summary.root)
        summary.device = shown(summary.device)
        if summary.lost_reason:
            summary.lost_reason = shown(summary.lost_reason)


class S3PathSink:
    """Passes events on with every stand-in path shown as its ``s3://`` URL."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink

    def emit(self, event: Event) -> None:
        changes: dict[str, Any] = {}
        for name in ("final_path", "message", "path"):
            value = getattr(event, name, None)
            if isinstance(value, str) and f"{S3_ROOT}/" in value:
                changes[name] = shown(value)
        if isinstance(event, JobStarted | ExistingCopiesChecking | OffloadPlanned):
            changes["destinations"] = tuple(shown(d) for d in event.destinations)
        self._sink.emit(dataclasses.replace(event, **changes) if changes else event)


__all__ = [
    "TAKE_BACK_BUDGET_S",
    "S3Ledger",
    "S3PathSink",
    "S3ReportFolder",
    "abort_abandoned",
    "changed_since_verified",
    "close_all",
    "complete_refused_notes",
    "existing_object",
    "folders_not_kept",
    "left_behind_entries",
    "left_behind_notes",
    "nothing_copied_words",
    "open_s3_destinations",
    "probe_warnings",
    "replaced_words",
    "say_not_answering",
    "show_job_paths",
    "show_s3_paths",
    "upload_history_changes",
    "write_s3_manifests",
]


def kept_keys(
    backend: S3Backend, plan: DestinationPlan, in_the_way: Iterable[str], card_paths: Iterable[str]
) -> dict[str, str]:
    """``--keep-both``: for each card file of *in_the_way* (an object at its key) whose key
    with `` (1)`` fits S3's ``MAX_KEY_BYTES`` but with a longer number may not, the key the
    copy would be kept under, found as the upload finds it (``S3Destination.free_key``:
    the first free `` (n)``, a HEAD a key tried, the card files' own keys, of
    *card_paths*, passed over), past the limit included, for the preflight to hold to it
    (``check_keys``: `` (10)`` is a byte longer than `` (1)``). A key whose `` (9999)``
    fits, or whose `` (1)`` does not (refused as it is), asks nothing; a search that fails
    (the service) is left to the upload's, which names it."""
    found: dict[str, str] = {}
    reserved: frozenset[str] | None = None
    for relative in in_the_way:
        try:
            key = backend.key(plan.target_text(relative))
        except OSError:
            continue  # a name S3 cannot hold: refused on its own
        if key_bytes(keep_both_key(key, 9999)) <= MAX_KEY_BYTES:
            continue
        if key_bytes(keep_both_key(key, 1)) > MAX_KEY_BYTES:
            continue
        if reserved is None:
            reserved = frozenset(_keys_of(backend, plan, card_paths))
        try:
            found[relative] = backend.store.free_key(key, reserved, past_limit=True)[0]
        except OSError:
            continue
    return found


def _keys_of(backend: S3Backend, plan: DestinationPlan, paths: Iterable[str]) -> Iterator[str]:
    """The keys of the card files *paths* on *plan*'s destination (``reserve_names``'),
    a name S3 cannot hold left out."""
    for path in paths:
        try:
            yield backend.key(plan.target_text(path))
        except OSError:
            continue


def run_record_places(plan: OffloadPlan) -> dict[int, Any]:
    """By destination index, the record object (``s3run_record.S3RunRecord``) of each S3
    copy root of *plan* not lost already (its lock refused, its ledger unreadable: nothing
    is stored there), one object a copy root named twice."""
    from offload.destinations.s3run_record import S3RunRecord

    places: dict[int, Any] = {}
    made: dict[tuple[str, str], S3RunRecord] = {}
    for dest_plan in plan.plans:
        backend = plan.backends.get(dest_plan.index)
        if backend is None or backend.lost is not None:
            continue
        try:
            place = S3RunRecord(backend, dest_plan.root)
        except OSError:
            continue  # a key S3 cannot hold: its lock's could not be either
        place = made.setdefault((backend.store.url.bucket, place.key), place)
        places[dest_plan.index] = place
    return places


def lose_unrecorded(backend: S3Backend, place: Any, exc: OSError) -> None:
    """Lose *backend* before its first file (``S3Backend.lose``): its copy root's record of
    this run (*place*) could not be stored, or the record there could not be read (*exc*),
    so that nothing is stored there and any record there of earlier offloads stays true
    (``run_record``)."""
    from offload.run_record import UnreadableRecord

    root = place.shown().rsplit(f"/{STATE_FOLDER}/", 1)[0]
    if isinstance(exc, UnreadableRecord):
        words = f"{place.shown()}: {exc.strerror}"
        todo = (
            "move that record aside (what it recorded of earlier offloads is then unknown: "
            "run the `offload copy` of each card offloaded there again), then run the same "
            "`offload copy` again"
        )
    else:
        # The service's words name the record's key and what to do for the refusal.
        words = str(exc.strerror or exc)
        todo = "run the same `offload copy` again once the bucket takes it"
    backend.lose(
        DestinationError(
            f"cannot record this offload: {words}; nothing was copied to {root}, so any "
            f"record there of earlier offloads stays true; {todo}, or choose another "
            "destination",
            path=root,
            errno_=exc.errno,
        )
    )
