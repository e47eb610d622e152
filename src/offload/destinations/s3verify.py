"""``offload verify s3://bucket/prefix/CARD``: re-hash a copy root on S3 against its records.

The same checks as a local verify (``offload.verification.verify_path``), run on a local
*mirror* of the copy root: a temporary folder that holds

* the ASC MHL histories (every ``ascmhl/`` folder under the prefix) as downloaded,
* ``.offload/ledger.jsonl`` built from the S3 ledger (``<prefix>/.offload/ledger/``), the
  reference when there is no history (no ledger but other objects of ours under
  ``.offload/``, the lock an offload killed before its first record left: the folder
  alone, so the check tells to run that offload again, as for a local copy root),
* one empty sparse file per object, of the object's size (names and sizes as listed; no
  data is downloaded for it),

and a hash function that, for a file of the mirror, streams the GET of its object and hashes
that (``S3Destination.read_back``). So OK / changed / missing / new and the exit codes are
exactly those of a local verify; the report names ``s3://bucket/key``, never the mirror. An
object whose GET fails is ``unreadable``, its reason (code ``get-failed``) saying why and what
reads it (:func:`_get_failed`: an archived object to restore, a credential that may list but
not read, a service to ask again).

A key the mirror cannot hold as a file (an empty, ``.`` or ``..`` component, a name longer
than the local filesystem takes, an object below another object's key) is reported as new,
its reason (``reasons``, code ``key-no-file-name``) saying which; one the reference records
(a card's exFAT takes names of 255 characters, which ext4 takes only up to 255 bytes) is
read back by a GET of its own key and compared with its record (:func:`_read_by_key`):
verified or changed, never ``missing`` nor new; ``unreadable`` only where that GET fails or
the record holds no digest this check recomputes, its reason saying so. The reasons
the local verify finds on the mirror are worded for a bucket (:func:`_bucket_reasons`): a
"folder" at a missing file's name is objects below its key.

S3 keys are flat: ``CLIPS`` and ``CLIPS/A001.mov`` can both be objects, a file and a folder
of the mirror cannot. Where they clash the mirror holds the folder, so the objects below it
are read back like any other (another tool's object at ``CLIPS`` beside our clips), unless
the reference records a file at the key and nothing below it (our object ``CLIPS``, another
tool's below it: those are ``key-no-file-name``). The object at the key not held is new,
code ``key-is-folder``; one the reference records too (two cards copied ``--into`` one root)
is read by its own key as above, never ``missing`` (:func:`_place_clashes`).

``--mhl-file`` (a legacy MHL v1) is the local one too, on the mirror: an ``s3://`` URL under
the copy root is downloaded to its place there (its entries are relative to its folder, as on
a disk); a local file is linked at the mirror's top (it describes the copy root, where
``offload copy`` writes one). Every object it lists with a digest is read back by a GET and
hashed: a digest kept in the object's metadata is never taken for a read-back.

Without ``--mhl-file``, the legacy MHLs the copy holds (the card's own record, copied with
it) are checked as on a disk (``offload.copy_legacy_mhl``): each MHL's object is downloaded
over its sparse file before the check (:func:`_fetch_legacy`, one GET; the check then hashes
that download, no second GET), a format only the MHL records computed in the check's own GET
of each listed object.

``--append`` is the local one too: the local verify appends its ``in-place`` generation to
the mirror's ``ascmhl/`` (each mirror file carries its object's size and LastModified, which
the generation records), then what changed there is uploaded under the prefix by the card
layer's history upload (``s3card.upload_history_changes``: the new manifest never over an
object, then the chain). Where a recorded object is one the mirror does not hold (its key
also a folder of recorded objects; a key no file can be named), ``--append`` is refused
before anything is read (exit 64): the check cannot read that object, and ASC MHL has no
entry for a file that is there unread, so a generation would drop it without saying so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import os
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from offload import copy_legacy_mhl
from offload.card_legacy_mhl import legacy_mhl_paths
from offload.destinations import s3commands, s3mirror_words, s3unchained
from offload.destinations.s3 import (
    UNREADABLE_ERRNOS,
    S3Destination,
    get_failure,
    get_refused,
    mtime_from_metadata,
    timeout_said,
)
from offload.destinations.s3backend import S3Backend, S3ShownPath
from offload.destinations.s3card import (
    left_behind_entries,
    left_behind_notes,
    upload_history_changes,
)
from offload.destinations.s3config import S3Settings
from offload.destinations.s3credentials import TOKEN_ADVICE, TOKEN_REFUSED_BEFORE
from offload.destinations.s3ledger import S3Ledger
from offload.destinations.s3unreachable import (
    NotSent,
    UnreachableLatch,
    clock,
    read_timed_out,
    unreachable,
)
from offload.destinations.s3unread import records_unread
from offload.destinations.s3url import S3Url, is_s3_url, parse_s3_url, s3_root
from offload.errors import (
    OffloadError,
    UsageError,
    describe_os_error,
    printable_name,
    shell_word,
)
from offload.ledger import STATE_FOLDER, Ledger, entry_line, final_path_of
from offload.manifest import (
    ASCMHL_FOLDER,
    CHAIN_FILE_NAME,
    CreatorInfo,
    HistoryError,
    ManifestError,
    VerifyReport,
)
from offload.manifest.coverage import Entry, Lister, local_lister
from offload.manifest.history import read_history
from offload.manifest.legacy import read_legacy_mhl
from offload.manifest.verify import (
    ChangedFile,
    ChangeReason,
    CheckCancelled,
    Reason,
    cancelled_after_reads,
    hash_file_plain,
    naming_reason,
)
from offload.manifest_stamp import STAMP_NAME
from offload.run_scratch import VERIFY_PREFIX, scratch
from offload.state_names import GENERATION_RECORD_NAME


def verify_s3(
    url_text: str,
    *,
    settings: S3Settings,
    legacy_mhl: str | None = None,
    append_generation: bool = False,
    creator: CreatorInfo | None = None,
    on_file: Callable[[Path, int], None] | None = None,
    on_plan: Callable[[int, int], None] | None = None,
    checked: bool = False,
    latch: UnreachableLatch | None = None,
) -> tuple[VerifyReport, int]:
    """Verify the copy root at *url_text*; returns the report (its ``root`` and its
    ``generation`` print as URLs) and how many objects were read back by a GET (each
    hashed as it streamed; nothing is read from a local medium).
    *legacy_mhl*: verify against that legacy MHL instead (an ``s3://`` URL under the copy
    root, or a local file describing it: module docstring).
    *append_generation* (with *creator*) stores an ``in-place`` generation recording this
    check under the prefix, as ``verify_path`` does in a folder (not when a file could not
    be read; refused, before anything is read, where a recorded object is one the mirror
    cannot hold: ``_refuse_append_dropping``). *on_file*, *on_plan*: progress, as for
    ``verify_path`` (the sizes the objects were listed with). *checked*: the preflight's
    look (``store.check``) was made already, by ``verify_lock.guard_s3_check`` (not made
    twice: each is a client of its own, ~75 ms of CPU to make, and two requests). *latch*:
    the command's (``s3unreachable``), shared with its ledger revocation's store, which then
    sends nothing to a service this check gave up on; else one of the check's own. Raises
    what ``verify_path`` raises, its messages naming the URL; UsageError (64) when the
    bucket cannot be used (one line, from the preflight of a copy), *legacy_mhl* is a URL
    outside the copy root,
    or *append_generation* would drop a recorded object the check cannot read as a file;
    GenerationUnwrittenError (11) when the generation cannot be written in the mirror or
    stored, carrying the check's report as it would have been returned (the generation
    None) and the objects read back by a GET; CheckCancelled for a
    cancel in the check or after it (the generation's upload, the reads by key: those not
    yet read ``cancelled``, the generation only once stored)."""
    from offload.verification import GenerationUnwrittenError, bucket_words, verify_path

    url = parse_s3_url(url_text)
    store = S3Destination(url, settings)
    try:
        # Reads, and --append stores small objects: no multipart upload is listed, resumed
        # or aborted, so a service without ListMultipartUploads (s3rver) can be checked.
        if not checked:
            store.check(writes=False)
        # Once its session token is refused, no request more (``s3token_latch``): every
        # object after it would be refused the same, each for nothing.
        store.stop_after_token_refusal()
        # Once the service answers nothing (a hung or stopped server: a GET gave up on read
        # timeouts, nothing answered since it started, and the latch's probe, one
        # HeadBucket, got no answer either; one GET alone may be one slow object, a
        # ``lone`` latch's rule) or cannot be reached, no request more
        # (``s3unreachable``): each object after it would wait its own timeouts and
        # retries, ~9.5 min an object by default, to be unreadable the same.
        store.stop_once_unreachable(latch or UnreachableLatch(lone=True))
        backend = S3Backend(store)
        shown_root = S3ShownPath(s3_root(url))
        # (a check killed here leaves it: the next one sweeps it, run_scratch)
        with scratch(VERIFY_PREFIX) as staging:
            name = PurePosixPath(url.prefix).name or url.bucket
            root = Path(staging) / name
            root.mkdir()
            keys, odd, history, pending = _mirror(backend, root)
            # The copy root's record of the offloads that wrote there (``s3run_record``):
            # one that did not finish is no pass, and no generation may record it whole.
            unfinished, unfinished_states = _unfinished_offload(backend, root)
            # (--append's refusal, exit 64, says there is no history to append to.)
            if (
                legacy_mhl is None
                and not append_generation
                and not (keys or odd or history or pending)
            ):
                _refuse_empty(store, root)
            # A generation a dead --append (or copy) stored and never chained: removed
            # before the history is read (s3unchained), the line a note of the report.
            settled = (
                s3unchained.settle(backend, backend.root, root, history)
                if append_generation and legacy_mhl is None
                else None
            )
            if append_generation and unfinished is not None:
                # Refused before anything is read, after the settle (whose words come first,
                # as where the check refuses on its own: ``_settled_first``).
                raise UsageError(
                    _settled_first(
                        settled,
                        f"cannot append a generation to {url}: {unfinished} (then verify it "
                        "with --append); nothing was verified or written",
                    )
                )
            if not append_generation and legacy_mhl is None:
                _stage_stopped_runs_record(backend, root, history)
            legacy = None if legacy_mhl is None else _stage_legacy(store, root, keys, legacy_mhl)
            recorded = _recorded(root, legacy) if pending or odd else {}
            if pending:
                _place_clashes(root, pending, recorded, keys, odd)
            if append_generation and (root / ASCMHL_FOLDER).is_dir():
                # (Without a history verify_path refuses --append itself.)
                try:
                    _refuse_append_dropping(url, recorded, odd)
                except OffloadError as exc:
                    raise type(exc)(_settled_first(settled, exc.message)) from None
            sizes = {key: size for key, size in keys.values()}
            read_back = 0  # objects hashed from a GET in this run
            # Why each object listed was not read (its GET failed): the local verify keeps
            # only that it was not (``unreadable``); its reason says why and what to do.
            failed: dict[str, OSError] = {}
            # Each object's user metadata, as the GET that hashed it answered: its mtime dates
            # the file in an appended generation (``file_date``), with no HEAD an object.
            metadata: dict[str, dict[str, str]] = {}
            # The link to a local legacy MHL is ours, not the copy's (it leads out of the
            # mirror: a user's link doing so is never read through).
            own = () if legacy is None or not os.path.islink(legacy) else (legacy,)

            # The legacy MHLs the copy holds (the card's own record, copied with it),
            # downloaded into the mirror for the check to read them (offload.copy_legacy_mhl):
            # their paths, whose GET the check hashes from the mirror (no second GET).
            staged: set[str] = set()

            def fetch(mhls: Sequence[str]) -> dict[str, str]:
                return _fetch_legacy(store, root, keys, mhls, staged, metadata)

            def hash_file(path: Path, formats: Sequence[str]) -> dict[str, str]:
                nonlocal read_back
                relative = path.relative_to(root).as_posix()
                found = keys.get(relative)
                if found is None:  # not an object: the history or the ledger we staged
                    raise OSError(errno.ENOENT, f"{relative} is not an object of {url}")
                if relative in staged:  # its GET downloaded it whole: hashed from that
                    read_back += 1
                    return hash_file_plain(path, formats)
                key = found[0]
                try:
                    digests, size = store.read_back(key, formats, metadata=metadata)
                except OSError as exc:
                    failed[relative] = exc
                    raise
                if size != sizes[key] and store.stat_key(key) is None:
                    raise FileNotFoundError(errno.ENOENT, f"{store.display(key)} is gone")
                read_back += 1
                return digests

            def file_date(path: Path) -> int | None:
                # The card file's date from the object's mtime metadata where it holds a
                # valid time; else None: the mirror file's, the object's upload time.
                found = keys.get(path.relative_to(root).as_posix())
                held = None if found is None else metadata.get(found[0])
                return None if held is None else mtime_from_metadata(held)

            # Why --append's generation is not under the prefix, the check over (written in
            # the mirror it was not, or its upload failed): its results stand, reported as
            # any check's (GenerationUnwrittenError, raised once the report is made).
            unwritten: str | None = None

            def shown(message: str) -> str:
                if legacy is not None and legacy_mhl is not None and not is_s3_url(legacy_mhl):
                    message = message.replace(str(legacy), legacy_mhl)  # named as given
                message = bucket_words(message)  # a bucket's words, never a drive's
                return _at_url(message, root, url, s3commands.offload_reach(store))

            try:
                report, _, _ = verify_path(
                    root,
                    legacy_mhl=legacy,
                    hash_file=hash_file,
                    on_file=on_file,
                    on_plan=on_plan,
                    append_generation=append_generation,
                    creator=creator,
                    own_links=own,
                    lister=_bucket_lister(root, odd) if odd else None,
                    file_date=file_date if append_generation else None,
                    # The mirror's folders are made now: each is dated as the history
                    # dated it (the card folder's time the copy recorded), else undated.
                    recorded_folder_dates=append_generation,
                    # A bucket's copy without a *.mhl object: one search of the listed
                    # names, no walk of the mirror.
                    find_legacy=functools.partial(copy_legacy_mhl.find, fetch=fetch, unheld=odd)
                    if legacy is None and legacy_mhl_paths(list(keys))
                    else None,
                    # The staged generation record judged by the bucket's rule, not this
                    # computer's (another computer's writer under a lock is over for the
                    # next copy): the refusal names the rerun that mends it.
                    writer_over=s3unchained.over_for_the_next_run,
                )
            except CheckCancelled as exc:  # what was read before the cancel: at the URL
                # A generation it wrote is the mirror's, never stored under the prefix.
                exc.report = dataclasses.replace(
                    exc.report,
                    root=shown_root,
                    generation=None,
                    **_left(store, exc.report, root, url, settled),
                )
                exc.files_read_from_media = read_back
                raise
            except GenerationUnwrittenError as exc:
                # Not written in the mirror, which this process alone writes (no other
                # writer): a local write under TMPDIR failed. Its paths are local, and true.
                report = exc.report
                unwritten = (
                    f"{url}: checked, but the generation recording the check could not be "
                    f"written in its local staging folder (under {tempfile.gettempdir()}, "
                    f"TMPDIR): {exc.message}; nothing was appended: free space there (or "
                    "set TMPDIR to another folder) and run this again"
                )
            except OffloadError as exc:
                # What the settle did first is never left unsaid (the local check's
                # ``ManifestError.settled``): a removed manifest may have been the history.
                raise type(exc)(_settled_first(settled, shown(exc.message))) from None
            generation: Path | None = None
            # A recorded object the mirror holds no file for (its key is also a folder of
            # recorded objects, which the mirror holds; a name no file here can have) is
            # there: never "missing", nor "new". It is read back by its own key and compared
            # with its record; one that cannot be (no digest this check recomputes, a GET
            # that failed) is unreadable, its reason saying why and what reads it.
            unread = [path for path in report.missing if path in odd]
            by_key: list[str] = []
            changed_by_key: list[ChangedFile] = []
            still: dict[str, str] = {}
            sized: list[str] = []  # no digest to recompute: their size checked (a HEAD)

            def size_only() -> set[str]:
                return set(sized) - {c.path for c in changed_by_key}

            def read_by_get() -> int:
                return len(by_key) + len([c for c in changed_by_key if c.path not in sized])

            try:
                if report.generation is not None:
                    try:
                        upload_history_changes(
                            backend, backend.root, root, history, under=ASCMHL_FOLDER
                        )
                    except OSError as exc:
                        # What it left in the bucket is in the report's notes (``_left``).
                        unwritten = (
                            f"{url}: checked, but the generation recording the check could "
                            f"not be stored: {exc.strerror or exc}; nothing was appended (run "
                            "this again once the bucket takes it)"
                        )
                    else:
                        generation = S3ShownPath(backend.root / report.generation.relative_to(root))
                _read_by_key(store, url, unread, recorded, by_key, changed_by_key, still, sized)
            except KeyboardInterrupt as exc:
                # A cancel after the mirror's check, as a local one after its reads: what
                # was read stands, the objects still to be read by their keys cancelled,
                # and a generation only once stored (``manifest.verify.CheckCancelled``).
                judged = {*by_key, *still, *sized, *(c.path for c in changed_by_key)}
                stopped = cancelled_after_reads(
                    dataclasses.replace(
                        report,
                        root=shown_root,
                        verified=tuple(sorted({*report.verified, *by_key})),
                        changed=tuple(
                            sorted((*report.changed, *changed_by_key), key=lambda c: c.path)
                        ),
                        unreadable=tuple(sorted({*report.unreadable, *still})),
                        unverifiable=tuple(sorted({*report.unverifiable, *size_only()})),
                        cancelled=tuple(sorted(p for p in unread if p not in judged)),
                        generation=generation,
                        **_left(store, report, root, url, settled),
                    )
                )
                stopped.files_read_from_media = read_back + read_by_get()
                raise stopped from exc
            read_back += read_by_get()
            for path, failure in still.items():
                odd[path] = _recorded_unread(path, odd[path], failure)
            compared = {*by_key, *sized, *(c.path for c in changed_by_key)}
            for path in compared:
                del odd[path]  # read and compared: no reason to give
            report = dataclasses.replace(
                report,
                root=shown_root,
                verified=tuple(sorted({*report.verified, *by_key})),
                changed=tuple(sorted((*report.changed, *changed_by_key), key=lambda c: c.path)),
                missing=tuple(p for p in report.missing if p not in unread),
                unreadable=tuple(sorted({*report.unreadable, *still})),
                unverifiable=tuple(sorted({*report.unverifiable, *size_only()})),
                extra=tuple(sorted({*report.extra, *(p for p in odd if p not in unread)})),
                generation=generation,
                **_left(store, report, root, url, settled),
                reasons={
                    **_bucket_reasons(
                        {p: why for p, why in report.reasons.items() if p not in compared}, odd
                    ),
                    # A listed object whose GET failed: why, and what reads it.
                    **_get_failed_reasons(
                        [p for p in report.unreadable if p in failed and p not in report.reasons],
                        failed,
                        store,
                        url,
                    ),
                },
            )
            if unfinished is not None:
                report = dataclasses.replace(
                    report, unfinished_offload=unfinished, unfinished_states=unfinished_states
                )
            if unwritten is not None:
                beaten = GenerationUnwrittenError(unwritten, report, path=shown_root)
                beaten.files_read_from_media = read_back
                raise beaten
            return report, read_back
    finally:
        store.close()


def _unfinished_offload(backend: S3Backend, root: Path) -> tuple[str | None, tuple[str, ...]]:
    """The ``INCOMPLETE`` words of the copy root's record (``run_record.unfinished_in``)
    where an offload that wrote there did not finish, and how each such offload ended
    (``run_record.unfinished_with_states_in``); (None, ()) where each finished or there is
    no record (a copy root an earlier version or another tool wrote). One GET. A record
    that cannot be read is no pass, as a local one's (``run_record.read_all``). Where the
    mirror (*root*) holds our ``.offload/`` and no ledger (an offload that ended before its
    first record), the record is staged there too, so that the check's exit-30 line says
    how that run ended, as a local copy root's does (``verification._how_it_ended``)."""
    from offload import run_record
    from offload.destinations import s3run_record

    try:
        data = s3run_record.read(backend, backend.root)
    except OSError:
        data = b""
    state = root / STATE_FOLDER
    if data and state.is_dir() and not (state / "ledger.jsonl").exists():
        (state / run_record.RUN_RECORD_NAME).write_bytes(data)
    return run_record.unfinished_with_states_in(data)


def _at_url(text: str, root: Path, url: S3Url, reach: str = "") -> str:
    """*text* (an error, a note) with each path and command word of the mirror (*root*)
    named by *url*, an ``offload verify`` it suggests given *reach*
    (``s3mirror_words.at_url``: each such word found by its exact spelling)."""
    return s3mirror_words.at_url(text, str(root), url, reach)


def _left(
    store: S3Destination, report: VerifyReport, root: Path, url: S3Url, settled: str | None
) -> dict[str, Any]:
    """The report's ``notes`` and ``left_behind``: *settled* (``s3unchained.settle``'s line,
    first, as a local check's), *report*'s own notes (the check's: a legacy MHL of the copy
    that could not be read, a manifest its chain does not list), each path of the mirror
    (*root*) in them named by its *url*, and the objects of this run's it may have left in
    the bucket (the note names ten, ``left_behind`` each one)."""
    reach = s3commands.offload_reach(store)
    own = tuple(_at_url(note, root, url, reach) for note in report.notes)
    return {
        "notes": (*((settled,) if settled else ()), *own, *left_behind_notes(store)),
        "left_behind": tuple(left_behind_entries(store)),
    }


def _settled_first(settled: str | None, message: str) -> str:
    """*message* of a refusal after ``s3unchained.settle`` said *settled*: that line first,
    as the local check says its own (``verification._settled_first``)."""
    return f"{settled}; then {message}" if settled is not None else message


def _refuse_append_dropping(
    url: S3Url, recorded: Collection[str], odd: Mapping[str, Reason]
) -> None:
    """Raise UsageError (64) when a recorded file's object is one the mirror does not hold
    (*odd*: its key is also a folder of recorded objects, ``CLIPS`` beside ``CLIPS/...``, or
    no file can be named so): the check cannot read it, and a generation appended without it
    would drop a recorded file without saying so (ASC MHL has no entry for a file that is
    there unread). Refused before anything is read, as an append to nested histories."""
    dropped = sorted(path for path in odd if path in recorded)
    if not dropped:
        return
    path = dropped[0]
    why = odd[path]
    words = (
        f"its key is also a folder of recorded objects ({printable_name(path)}/...), which no "
        "file can be at once"
        if why.code == "key-is-folder"
        else why.text.removesuffix("; it is not read")
    )
    more = f"; {len(dropped) - 1} more recorded objects likewise" if len(dropped) > 1 else ""
    raise UsageError(
        f"cannot append a generation to {url}: {S3Url(url.bucket, url.key(path))} is "
        f"recorded, but its object cannot be read as a file ({words}{more}), and a "
        "generation without it would drop a recorded file without saying so: verify without "
        "--append; nothing was verified or appended"
    )


def _refuse_empty(store: S3Destination, root: Path) -> None:
    """Raise NoReferenceError (exit 30, as any copy with nothing to verify it against)
    where the prefix checked holds no object at all (the mirror *root* empty: no content
    object, no history, none of our ``.offload/`` objects): a prefix or an endpoint other
    than meant is likelier than a copy without records, so the line says to check those,
    with the command that lists what is there (the run's endpoint and profile), not how to
    find a copy's records. Returns where the mirror holds anything."""
    from offload.verification import NoReferenceError

    if any(root.iterdir()):
        return
    url = store.url
    folder = f"s3://{url.bucket}/{url.key('') + '/' if url.prefix else ''}"
    listing = f"aws s3 ls {s3commands.aws_reach(store)}{shell_word(folder)}"
    raise NoReferenceError(
        f"nothing to verify at {url} ({store.endpoint}): no object under it: check the "
        "prefix in the URL (a copy root is the card's folder below the prefix offload copy "
        "was given, s3://bucket/prefix/CARD; list what is there: "
        f"{listing}) and the endpoint (--s3-endpoint, AWS_ENDPOINT_URL, or the profile's "
        "endpoint_url); nothing was verified",
        path=S3ShownPath(s3_root(url)),
    )


def _bucket_reasons(found: Mapping[str, Reason], odd: Mapping[str, Reason]) -> dict[str, Reason]:
    """The reasons the local verify gave on the mirror (``offload.verification_reason``),
    worded for a bucket, and those of the keys the mirror did not hold (*odd*: path →
    why, which wins). A bucket holds no links, so a mirror gives none of those."""
    reasons: dict[str, Reason] = {}
    for path, why in found.items():
        if why.code == "folder":  # the mirror made a folder for the objects below the key
            why = naming_reason("folder", functools.partial(_below_a_missing_key, path))
        reasons[path] = why
    reasons.update(odd)
    return reasons


def _below_a_missing_key(path: str, spell: Callable[[str], str]) -> str:
    """Why the file recorded at *path* is not read: the mirror's folder for the objects
    below its key, no object at it (*path* spelled by *spell*, ``naming_reason``)."""
    return (
        f"no object has its key, but objects lie below it ({spell(path)}/...): "
        "the file recorded there is not read"
    )


def _stage_legacy(
    store: S3Destination, root: Path, keys: dict[str, tuple[str, int]], text: str
) -> Path:
    """Where the mirror at *root* holds the legacy MHL *text* names (module docstring): an
    object under the copy root downloaded over its sparse file (a key that is no object:
    its place, where nothing is, which the local verify reports as it reports a missing
    file), or a link to a local file at the mirror's top. Raises UsageError (64) for a URL
    outside the copy root, OSError for a download that failed."""
    url = store.url
    if is_s3_url(text):
        named = parse_s3_url(text)
        try:
            relative = url.relative(named.prefix) if named.bucket == url.bucket else ""
        except ValueError:
            relative = ""
        parts = _mirror_parts(relative)
        if parts is None:
            raise UsageError(
                f"cannot verify {url}: {text} is not inside {url}; name a legacy MHL "
                f"under it ({S3Url(url.bucket, url.key('NAME.mhl'))}) or a local file"
            )
        target = root.joinpath(*parts)
        found = keys.get(relative)
        data = None if found is None else store.get_small(found[0])
        if data is not None:
            # Its folder may not be made yet: one below a key that is also an object's
            # waits for _place_clashes.
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return target
    # The mirror is a folder of our own: what its top holds is the ledger's folder and one
    # entry a top-level name of the copy root's objects, any of which may be the link's
    # name. A link is never made over what is there (EEXIST: the next name); the link is
    # never uploaded (the legacy MHL is read, no generation is appended to it).
    link, number = root / ".offload-legacy.mhl", 0
    while True:
        try:
            os.symlink(os.path.abspath(text), link)
            return link
        except FileExistsError:
            number += 1
            link = root / f".offload-legacy-{number}.mhl"


def _fetch_legacy(
    store: S3Destination,
    root: Path,
    keys: Mapping[str, tuple[str, int]],
    mhls: Sequence[str],
    staged: set[str],
    metadata: dict[str, dict[str, str]],
) -> dict[str, str]:
    """Download the objects of the legacy MHLs *mhls* (paths of the mirror at *root*, each
    one GET, its user metadata noted in *metadata*, as the check's GET would) over their
    sparse files, keeping each file's time (the object's LastModified); each one done is
    added to *staged*. Returns why each one that could not be failed, in words naming no
    URL (``copy_legacy_mhl``'s ``Fetch``)."""
    failed: dict[str, str] = {}
    for mhl in mhls:
        found = keys.get(mhl)
        if mhl in staged or found is None:
            continue
        target = root / mhl
        try:
            before = os.stat(target)
            answer = store.get_small_tagged(found[0], metadata=metadata)
            if answer is None:
                failed[mhl] = "its object is gone"
                continue
            target.write_bytes(answer[0])
            os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
        except OSError as exc:
            failed[mhl] = _get_failed(exc, store, found[0])
            continue
        staged.add(mhl)
    return failed


def _mirror_parts(relative: str) -> list[str] | None:
    """The components of *relative* as the mirror holds them, None for a key it cannot hold
    (an empty, ``.`` or ``..`` component: see ``_mirror``)."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return parts


def _mirror(
    backend: S3Backend, root: Path
) -> tuple[dict[str, tuple[str, int]], dict[str, Reason], dict[str, bytes], list[_Listed]]:
    """Fill *root* (see the module docstring), all but the objects at or below a key that
    is both an object and a folder of others (returned last, in listing order: where they
    go depends on what the reference records, :func:`_place_clashes`); returns {relative
    path: (key, size)} of the content objects held, {relative path: why} of the keys the
    mirror cannot hold, the histories' files as downloaded ({relative path: bytes}: what an
    appended generation changes), and those pending objects."""
    store = backend.store
    url = store.url
    prefix = url.key("") + "/" if url.prefix else ""
    state = f"{STATE_FOLDER}/"
    keys: dict[str, tuple[str, int]] = {}
    odd: dict[str, Reason] = {}
    history: dict[str, bytes] = {}
    listed: list[_Listed] = []
    state_seen = False  # an object of ours under <prefix>/.offload/ (a lock, a report)
    for info in store.list_keys(prefix):
        relative = info.key[len(prefix) :]
        if relative.startswith(state):
            state_seen = True
            if relative == f"{state}{STAMP_NAME}":
                # The stamp of complete manifests (``s3card._store_stamp``): a history
                # deleted since is warned of from it (``verification._history_gone``).
                with contextlib.suppress(OSError):
                    stamp = store.get_small(info.key)
                    if stamp is not None:
                        (root / STATE_FOLDER).mkdir(exist_ok=True)
                        (root / STATE_FOLDER / STAMP_NAME).write_bytes(stamp)
            continue  # our own state: the ledger is staged below from S3Ledger
        if relative.endswith("/") and info.size_bytes == 0:
            continue  # a "folder" marker some tools write
        parts = _mirror_parts(relative)
        if parts is None:
            odd[relative] = _no_file_name(
                "its key has an empty, '.' or '..' part, which no file name can be: offload "
                "copy never writes such a key"
            )
            continue
        if ASCMHL_FOLDER in parts[:-1]:
            target = root.joinpath(*parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                history[relative] = store.get_small(info.key) or b""
                target.write_bytes(history[relative])
            except PermissionError as exc:
                raise _records_refused(store, exc) from None
            except OSError as exc:
                if exc.errno in _SERVICE_FAILED:
                    raise _records_unread(store, exc) from None
                odd[relative] = _no_file_name(_unheld(exc))
            except ValueError as exc:
                odd[relative] = _no_file_name(_unheld(exc))
            continue
        listed.append(_Listed(info.key, relative, parts, info.size_bytes, info.mtime_ns))
    # S3 keys are flat: CLIPS and CLIPS/A001.mov can both be objects, a file and a folder
    # of the mirror cannot. Such a key and what lies below it wait for the reference.
    folders = {
        "/".join(item.parts[:depth]) for item in listed for depth in range(1, len(item.parts))
    }
    folders.update(
        "/".join(parts[:depth])
        for parts in (relative.split("/") for relative in history)
        for depth in range(1, len(parts))
    )
    clashes = {item.relative for item in listed if item.relative in folders}
    pending: list[_Listed] = []
    for item in listed:
        if clashes and _at_or_below(item.parts, clashes):
            pending.append(item)
        elif (why := _place(root, item)) is not None:
            odd[item.relative] = _no_file_name(why)
        else:
            keys[item.relative] = (item.key, item.size_bytes)
    try:
        entries = S3Ledger(backend, backend.root).load_entries()
    except PermissionError as exc:
        raise _records_refused(store, exc) from None
    except OSError as exc:
        raise _records_unread(store, exc) from None
    if entries.latest:
        ledger = root / STATE_FOLDER / "ledger.jsonl"
        ledger.parent.mkdir(parents=True, exist_ok=True)
        with open(ledger, "w", encoding="utf-8", errors="surrogateescape") as handle:
            # Other cards' entries standing beside a path's last one too (in an order that
            # folds back to them): every copy the bucket's ledger vouches for.
            for entry in entries.standing():
                handle.write(entry_line(entry) + "\n")
    elif state_seen:
        # Our .offload/ there, no ledger in it (an offload killed before its first record
        # left its lock): the mirror holds the folder alone, so that the check says what a
        # local copy root's says (``verification._stopped_offload_hint``: run it again).
        (root / STATE_FOLDER).mkdir(exist_ok=True)
    return keys, odd, history, pending


def _stage_stopped_runs_record(
    backend: S3Backend, root: Path, history: Mapping[str, bytes]
) -> None:
    """Where the history as downloaded (*history*) holds manifests and no chain file (a
    check refuses it, exit 32), the copy root's generation record
    (``s3unchained.record_key``), downloaded to its local name in the mirror (*root*), so
    that the refusal says, as a local copy root's does
    (``unchained_own.left_by_a_stopped_run``), that a run stopped before its chain left it
    and the same offload copy settles it. Only then: one GET, on a refusal's path alone;
    never for ``--append``, whose settle acts on the bucket's record itself. Never
    raises: a record that cannot be read leaves the refusal's general words."""
    chain = f"{ASCMHL_FOLDER}/{CHAIN_FILE_NAME}"
    if chain in history or not any(
        name.startswith(f"{ASCMHL_FOLDER}/") and name.endswith(".mhl") for name in history
    ):
        return
    try:
        data = backend.store.get_small(s3unchained.record_key(backend, backend.root))
        if data is None:
            return
        record = root / STATE_FOLDER / GENERATION_RECORD_NAME
        record.parent.mkdir(exist_ok=True)
        record.write_bytes(data)
    except (OSError, ValueError):
        return


def _records_refused(store: S3Destination, exc: PermissionError) -> UsageError:
    """The one line (exit 64, as the preflight's refusals) of a check whose credential may
    list the copy root but not read the records it is checked against (its ASC MHL
    history or its ledger: a GET refused, 403): nothing can be verified without them, so
    nothing is, rather than every object ``UNREADABLE`` against no record at all. Worded
    by ``s3unread.records_unread`` (the object refused, the service's code, where the
    credentials came from; never a secret)."""
    return UsageError(_records_line(store, exc))


# The errnos of a GET the service failed (``s3.UNREADABLE_ERRNOS`` but a refusal: kept
# failing after the retries, out of reach, a connection reset or timed out; and the bucket
# gone), which say nothing of the object.
_SERVICE_FAILED = (UNREADABLE_ERRNOS - {errno.EACCES, errno.EPERM}) | {errno.ENODEV}


def _records_unread(store: S3Destination, exc: OSError) -> UsageError:
    """The one line (exit 11, ``UnreadableTreeError``: the check cannot be complete) of a
    check whose records (its ASC MHL history, its ledger) the service failed to give:
    ``s3unread.records_unread``'s, to check again once it answers."""
    from offload.verification import UnreadableTreeError

    return UnreadableTreeError(_records_line(store, exc))


def _records_line(store: S3Destination, exc: OSError) -> str:
    """``s3unread.records_unread``'s line of the records of the copy *store* checks."""
    return records_unread(
        exc,
        f"the records of {store.url} (its ASC MHL history and ledger)",
        client=store.client,
        bucket=store.url.bucket,
        again="check it again",
        then="check again",
        outcome="nothing was verified",
    )


class _Listed(NamedTuple):
    """One content object as listed: its key, its path below the copy root (and that
    path's parts), its size and LastModified."""

    key: str
    relative: str
    parts: list[str]
    size_bytes: int
    mtime_ns: int


def _place(root: Path, item: _Listed) -> str | None:
    """Make *item*'s sparse file in the mirror at *root*; None when made, else why the
    mirror cannot hold its key (words naming no mirror path)."""
    target = root.joinpath(*item.parts)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as handle:
            handle.truncate(item.size_bytes)  # sparse: no data, the object's size
        # An appended generation records the file's date: the card file's from the object's
        # metadata, where it holds one, as the GET that hashes it answers (``verify_s3``'s
        # ``file_date``), else this: the object's upload time.
        os.utime(target, ns=(item.mtime_ns, item.mtime_ns))
    except (OSError, ValueError) as exc:
        return _unheld(exc)
    return None


def _place_clashes(
    root: Path,
    pending: Sequence[_Listed],
    recorded: Collection[str],
    keys: dict[str, tuple[str, int]],
    odd: dict[str, Reason],
) -> None:
    """Put in the mirror at *root* the objects :func:`_mirror` left *pending* (at or below
    a key that is also a folder of other keys), adding them to *keys* or *odd*.

    Such a key is held as a file only when the reference records a file there and nothing
    below it (our copy's object, another tool's objects below it: those are then keys no
    file can be named); otherwise as the folder of the objects below it, which are then
    checked like any other, and the object at the key itself is not held (``key-is-folder``,
    :func:`_shadowed_reason`). *recorded*: the paths the reference records (the copy root's
    ``/``-separated relative paths)."""
    recorded_folders = {
        "/".join(p.split("/")[:d]) for p in recorded for d in range(1, p.count("/") + 1)
    }
    folder_keys = {"/".join(i.parts[:d]) for i in pending for d in range(1, len(i.parts))}
    files: set[str] = set()  # clashing keys held as files
    for item in sorted(pending, key=lambda i: len(i.parts)):  # shallowest first
        if item.relative not in folder_keys or _at_or_below(item.parts, files):
            continue
        if item.relative in recorded and item.relative not in recorded_folders:
            files.add(item.relative)
    for item in pending:
        if item.relative in folder_keys and not _at_or_below(item.parts, files):
            odd[item.relative] = _shadowed_reason(item.relative)
            continue
        if (why := _place(root, item)) is not None:
            odd[item.relative] = _no_file_name(why)
        else:
            keys[item.relative] = (item.key, item.size_bytes)


def _bucket_lister(root: Path, odd: Collection[str]) -> Lister:
    """What stands in each folder of the copy root: the mirror at *root*'s entries, and a
    file for each key it does not hold (*odd*, at its folder: another tool's ``CLIPS``
    beside ``CLIPS/...``, in the root), which no generation lists, so the folder holding
    one is not whole (``coverage``) and gets no hash, as a disk's folder holding a file
    put there by hand."""
    mirror = local_lister(root)
    unheld: dict[str, list[str]] = {}
    for path in odd:
        folder, _, name = path.rpartition("/")
        unheld.setdefault(folder, []).append(name)

    def entries(folder: str) -> list[Entry]:
        found = list(mirror(folder))
        return found + [Entry(name, False, False) for name in unheld.get(folder, ())]

    return entries


def _at_or_below(parts: Sequence[str], keys: Collection[str]) -> bool:
    """Whether the path of *parts*, or a folder above it, is one of *keys* (a set: one
    look-up a level, so a listing of thousands of keys costs no product of the two)."""
    return any("/".join(parts[:depth]) in keys for depth in range(1, len(parts) + 1))


def _recorded(root: Path, legacy: Path | None) -> dict[str, _Record]:
    """The file paths (relative to *root*, the mirror) that the reference ``verify_path``
    will use records, each with its recorded size (None where none is) and the digests it
    can be compared with (format → text, as the check compares them: an ASC MHL hash in
    upper-case hex as written, which no recomputed digest equals; empty where none can be
    recomputed): the legacy MHL, else every ASC MHL history (the copy root's and the nested
    ones, at their folders), else the ledger staged there (its verified and
    transfer-checked copies). What cannot be read gives nothing: ``verify_path`` then says
    why."""
    found: dict[str, _Record] = {}
    try:
        if legacy is not None:
            from offload.card_legacy_mhl import merge_entries

            folder = os.path.relpath(os.path.dirname(legacy), root)
            folder = "" if folder == os.curdir or folder.startswith(os.pardir) else folder
            # Each entry read as ``verify_path`` reads it (``merge_entries``: joined to the
            # MHL's folder and normalized, ``C//f1.mov`` the file ``C/f1.mov``; one outside
            # the copy, from a root or above it by ``..``, names no object of it).
            merged = merge_entries(folder.replace(os.sep, "/"), read_legacy_mhl(legacy).entries)
            return {
                path: _Record(entry.size_bytes, dict(entry.digests))
                for path, entry in merged.entries.items()
            }
        if (root / ASCMHL_FOLDER).is_dir():
            for folder, names, _ in os.walk(root):
                if ASCMHL_FOLDER in names:
                    names.remove(ASCMHL_FOLDER)
                    above = Path(folder).relative_to(root).as_posix()
                    above = "" if above == "." else above + "/"
                    history = read_history(Path(folder), check_chain=False)
                    reference = history.reference_hashes()
                    upper = history.upper_case_originals()
                    for path in history.expected_file_paths():
                        digests = {**reference.get(path, {}), **upper.get(path, {})}
                        found[above + path] = _Record(history.reference_size(path), digests)
            return found
        ledger = Ledger(root)
        if ledger.path.exists():
            for entry in ledger.load_entries().standing():
                digests = dict(entry.digests) if entry.vouches else {}
                found[final_path_of(Path(), entry).as_posix()] = _Record(entry.size_bytes, digests)
    except (OSError, ManifestError, HistoryError):
        pass
    return found


class _Record(NamedTuple):
    """What the reference records of one file: its size (None: not recorded) and the
    digests a read can be compared with (format → text; empty: none)."""

    size_bytes: int | None
    digests: dict[str, str]


def _read_by_key(
    store: S3Destination,
    url: S3Url,
    unread: Collection[str],
    recorded: Mapping[str, _Record],
    verified: list[str],
    changed: list[ChangedFile],
    still: dict[str, str],
    sized: list[str],
) -> None:
    """Read back, by a GET of its own key, each recorded object of *unread* (the mirror
    holds no file for it: its key is also a folder of recorded objects, or no file here can
    be named so) and compare it with what *recorded* holds for it: adds to *verified* the
    paths verified now, to *changed* those changed, to *sized* those whose record holds no
    digest this check can recompute (a legacy MHL's ``<null>``), judged by a HEAD of the key
    (``unverifiable`` where the size matches, as that entry for a file on a disk; another
    size is also in *changed*), and to *still* those still not read with why (words: the
    GET or the HEAD failed), each as it is judged, so that a cancel (KeyboardInterrupt,
    which passes) leaves in them what was judged before it. Raises nothing else: a failed
    GET leaves the object unread, as a local check's unreadable file."""
    for path in unread:
        record = recorded.get(path)
        if record is None:
            still[path] = "its record holds no digest this check can recompute"
            continue
        if not record.digests:
            try:
                info = store.stat_key(url.key(path))
            except OSError as exc:
                still[path] = _get_failed(exc, store, url.key(path))
                continue
            if info is None:
                still[path] = "its object is gone since it was listed"
            elif record.size_bytes is not None and record.size_bytes != info.size_bytes:
                # Judged by its HEAD, not read: ``sized`` names it for the count of reads.
                changed.append(
                    ChangedFile(path, ChangeReason.SIZE, record.size_bytes, info.size_bytes)
                )
                sized.append(path)
            else:
                sized.append(path)
            continue
        try:
            actual, size = store.read_back(url.key(path), sorted(record.digests))
        except OSError as exc:
            still[path] = _get_failed(exc, store, url.key(path))
            continue
        compared = {f: actual.get(f, "") for f in record.digests}
        if compared != record.digests:
            changed.append(
                ChangedFile(
                    path, ChangeReason.HASH, record.size_bytes, size, record.digests, compared
                )
            )
        elif record.size_bytes is not None and record.size_bytes != size:
            changed.append(ChangedFile(path, ChangeReason.SIZE, record.size_bytes, size))
        else:
            verified.append(path)


def _shadowed_reason(path: str) -> Reason:
    """Why the object at *path*, a key that is also a folder of the copy (objects lie
    below it) and that the reference does not record, is not read: the mirror holds the
    folder."""
    return naming_reason(
        "key-is-folder",
        lambda spell: (
            f"its key is also a folder of this copy (objects lie below it: {spell(path)}"
            "/...), which no file can be at once; it is not read"
        ),
    )


def _no_file_name(words: str) -> Reason:
    return Reason("key-no-file-name", f"{words}; it is not read")


def _recorded_unread(path: str, why: Reason, failure: str) -> Reason:
    """*why* (``_shadowed_reason`` or ``_no_file_name``) of a key the reference records,
    whose object is there but could not be read by its own key either (*failure*): what
    stands in the way, and what to do."""

    def words(spell: Callable[[str], str]) -> str:
        held = (
            f"its key is also a folder of this copy whose objects are recorded too "
            f"({spell(path)}/...)"
            if why.code == "key-is-folder"
            else why.text.removesuffix("; it is not read")  # _unheld's words name no path
        )
        return (
            f"an object has its key, recorded, but {held}, so this check reads it by its own "
            f"key, and {failure}; it is not verified"
        )

    return naming_reason(why.code, words)


def _get_failed_reasons(
    paths: Sequence[str], failed: Mapping[str, OSError], store: S3Destination, url: S3Url
) -> dict[str, Reason]:
    """The ``get-failed`` reason of each of *paths* (objects listed whose GET failed with
    ``failed[path]``): why and what reads it (``_get_failed``). Once a session token was
    refused (``get_failure`` "token"; after that first refusal the store sends nothing more,
    ``s3token_latch``), the first of those refused in key order says so in full, and each
    other one that it was not read for the same refusal, naming that first object
    (``TOKEN_REFUSED_BEFORE``): one cause, said once on the terminal."""
    reasons: dict[str, Reason] = {}
    first: str | None = None
    latch = store.unreachable_latch
    # The object whose GET the service left unanswered, setting the latch, if one of these.
    silent = next(
        (p for p in sorted(paths) if latch is not None and _cause(failed[p]) is latch.first),
        None,
    )
    for path in sorted(paths):
        exc = failed[path]
        quiet = _quiet_words(exc, store)
        if quiet is not None:
            reasons[path] = Reason(
                "get-failed", _not_answered(exc, quiet, silent if silent != path else None)
            )
            continue
        if first is not None and get_failure(exc) == "token":
            reasons[path] = Reason(
                "get-failed",
                f"{TOKEN_REFUSED_BEFORE}{printable_name(first)} (its reason says why): "
                f"{TOKEN_ADVICE}, then check it again; it is not verified",
            )
            continue
        if get_failure(exc) == "token":
            first = path
        reasons[path] = Reason(
            "get-failed", f"{_get_failed(exc, store, url.key(path))}; it is not verified"
        )
    return reasons


def _cause(exc: BaseException) -> BaseException | None:
    """What *exc* (``S3Destination``'s OSError) was raised from: botocore's error, or the
    latch's ``NotSent``."""
    return exc.__cause__


def _quiet_words(exc: OSError, store: S3Destination) -> str | None:
    """Where the GET that failed with *exc* timed out on every attempt, or was not sent (the
    latch set: ``s3unreachable``): since when the service answered nothing, in words
    ("since HH:MM:SS"), where the latch was set on that proof (its quiet time covers the
    failure); "" where it was not (no latch set, or set by a request that could not reach
    the service: the service may have answered, the GET's answer stopped); None for any
    other failure (said by ``_get_failed``)."""
    cause = _cause(exc)
    latch = store.unreachable_latch
    if not (read_timed_out(cause) if cause is not None else False) and not isinstance(
        cause, NotSent
    ):
        return None
    if latch is None or latch.first is None or unreachable(latch.first):
        return ""
    since = latch.quiet_since
    return "" if since is None else f" since {clock(since)}"


def _not_answered(exc: OSError, since: str, first: str | None) -> str:
    """The reason of an object not read because its GET timed out on every attempt (the
    service answered nothing *since* (``_quiet_words``'), or "": only this GET is known to
    have had no answer, or its answer stopped), or because none was sent once the service
    was given up on: it answered nothing (*first*: the object whose GET got none, if it
    is one of the check's), or could not be reached (no *since*)."""
    advice = "check it again once the service answers; it is not verified"
    cause = _cause(exc)
    if not isinstance(cause, NotSent):
        # The read timeout waited (urllib3 names it): "no answer within 60 s" says the
        # service was reached and said nothing, where "cannot be reached" sent to the network.
        within = "" if cause is None else timeout_said(cause, "read")
        if not since:
            return (
                f"its read timed out on every attempt (no answer{within}, or an answer that "
                f"stopped): {advice}"
            )
        return (
            f"its GET got no answer: the service answered nothing{since}, its read timed "
            f"out on every attempt{f' (no answer{within})' if within else ''}: {advice}"
        )
    if not since:  # the latch was set by a request that could not connect
        text = exc.strerror or str(exc)
        _, _, why = text.partition("): ")
        return f"not read: no GET was sent ({why or text}): {advice}"
    before = "" if first is None else f" (the GET of {printable_name(first)} got none)"
    return (
        f"not read: the service answered nothing{since}{before}, so no GET was sent for "
        f"it: {advice}"
    )


def _get_failed(exc: OSError, store: S3Destination, key: str) -> str:
    """Why the object *key* listed could not be read by its GET (*exc*), and what to do, in
    words naming no URL (the line names it); an archived object's restore command names it
    and the run's service (``s3commands``), as the other commands do."""
    words = get_refused(exc)
    if words is not None:
        return s3commands.restore_named(words, store, key)
    text = exc.strerror or str(exc)
    _, _, why = text.partition("): ")
    return f"its GET failed ({why or text}): check it again once the service answers"


def _unheld(exc: OSError | ValueError) -> str:
    """Why the mirror could not hold a key as a file, in words naming no mirror path."""
    if isinstance(exc, (NotADirectoryError, FileExistsError, IsADirectoryError)):
        # Either key may be offload copy's (CLIPS/A001.MOV beside another tool's CLIPS).
        return (
            "another object's key is a folder of its key, or its key one of another's, "
            "which no file and folder can be at once"
        )
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        # offload copy may have written it: a card's exFAT takes 255 characters, where
        # ext4 and tmpfs take 255 bytes (a name of accented or CJK letters).
        return "its name is longer than a file name of this machine can be"
    if isinstance(exc, OSError):
        return f"no file of this machine can be named so ({describe_os_error(exc)})"
    return "no file of this machine can be named so (a NUL byte)"


__all__ = ["verify_s3"]
