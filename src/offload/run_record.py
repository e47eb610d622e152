"""The copy root's record of the last offload that wrote to it: ``.offload/last-run.json``.

Why: a copy root whose offload never finished (killed, a power cut, a Ctrl-C) holds a ledger
of the files it verified before it stopped, and maybe no ASC MHL history; a check against
those records alone (``offload verify``) read every file they name, found them all OK and
passed, "0 missing", while card files no record names were never copied there. Nothing else
in the copy root tells such a run from a finished one: the ledger vouches file by file, the
stamp of complete manifests (``manifest_stamp``) is an optimisation that a ``--mhl none``
run never writes, and leftover partials are removed by the next run, cancelled or not.

Contract:

* :func:`mark_started` is called by each ``offload copy`` once it holds a copy root's lock,
  before it writes anything else there (``card.run_offload``): its card's entry says
  ``running``, with the run's token and start. It is written whole under a temporary name, fsynced,
  renamed and its folder fsynced before the call returns, so that any later write of the
  run that a power cut keeps (a ledger entry is fsynced) is preceded by a kept record.
* :func:`settle` is called once the run's copy of that root is over, lock still held:
  ``finished`` where the run reached the end of that root's copy uncancelled
  (``OffloadReport.finished``: its links, folders, manifests and folder times attempted; a
  step of them that failed the run itself reports, and leaves no card file missing), and
  every card file of the job is there; ``failed`` where it ended there but card files
  failed there (a card read error, a write or read-back that failed: the entry names them,
  and apart those a file in the way refused, ``in_the_way``, whose remedy is ``--keep-both``),
  or where the run lost that destination with nothing cancelled (``lost``, the files that
  failed there named, none where each has a copy the ledger vouches for);
  ``cancelled`` otherwise. Written the same way. A run killed or cut off before it settles
  leaves ``running``.
* :func:`unfinished` is what ``offload verify`` asks: the words of its ``INCOMPLETE`` line
  (of a ``running`` entry in a record of one card, with the one way on without the card,
  which claims nothing: where that run's own report says it could not settle its record,
  the record moved aside, the check then vouching for what the ledger and history name)
  where any card's entry says its last offload did not finish (``running``, ``cancelled``,
  ``failed``: the line names the files with no verified copy there, or a
  record that cannot be read as one: never a pass on a record it cannot read), None where
  it finished or there is no record (a copy root an older version wrote, a copy made by
  another tool: no claim either way, as before).
* A record that cannot be written as the run starts (ENOSPC, EACCES, EROFS), or whose
  earlier record cannot be read then (a read error, a failed GET; bytes that are no
  record, ``UnreadableRecord``: never read as none, which would drop the other cards'
  entries), is left in place, and may say ``finished``: that copy root is lost before
  anything is written there (``Started.refused``, ``card.run_offload``), its line naming
  the path and what to do, the other destinations copied; so any earlier record stays
  true. One that cannot be settled at the end (its write, or its read again, failed) is
  left as it is, this run's entry ``running`` (the conservative answer): :func:`settle`
  returns the error, and the run says it (``card._unsettled``: that destination's
  ``run-record`` step failed, exit 1, the card kept until the same offload, run again,
  settles it: with the card at hand, nothing is copied again).

One entry per card: ``offload copy --into`` may put several cards into one copy root on
purpose (README, "Cards with the same name"), and a card killed there is not made whole by
another card's finishing. Each entry names its card: ``card``, its ``CardIdentity.key``
(the identity its ledger entries record; "" unknown), and ``source``, its path as given (the
absent card's path in a cascade re-run fed from a fast copy). An entry is this run's card's
where both know the card and name the same volume and folder (``same_volume_and_folder``),
or where the entry knows no card and names the same path (a run that could not tell its
card, a record written by the version before the entries: its one entry) and the same first
file (``FirstFile``, which every run records, a cascade re-run's from its fast copy:
two unknown cards mounted at one path are two entries; a card whose first file was deleted
since is taken for another; an entry with no ``first`` key, an older version's, is every
card's of its path). A run that
cannot tell its card never takes over the entry of a card known (two cards may mount at
one path); a card whose identity is unknown and that mounts at another path has an entry
of its own, and a killed run's entry of it is cleared only by a run from its first path
(the ``INCOMPLETE`` line names that path). ``mark_started`` and ``settle`` replace this
run's card's entry alone and write the whole record again (the lock held, nothing else
writes it). The record's top-level fields are those of its first entry that did not
finish (else of the entry just written), beside ``cards``: a version before the entries
reads one entry, and so says "did not finish" where any card's did not.

A later offload of the same card replaces its entry: it starts ``running`` and settles
``finished`` once that run is done, which is when that card's copy is complete again.
Where that card's entry said an offload of it finished, ``mark_started`` notes ``previous:
finished`` and a *cancelled* run that changed nothing there (``card._changed_nothing``)
settles ``finished`` again; a *killed* one leaves ``running``, the conservative answer. A
cascade's fast copy roots are settled once their copy is finished in the card's pass,
before the cascade; settled again ``failed`` where the cascade found a copy there changed
since. A settled entry moves only to say less (``finished`` to ``failed`` or ``cancelled``,
by the run that wrote it: ``_may_settle``), and such a settle that cannot make its temporary
writes the record over in place, within its own bytes, never truncated (``_save``,
``_LocalPlace.save_over``); where even that is refused, the record is left whole, still
saying ``finished``, and the run says so (``card._say_unrecorded_end``: keep the card).
``unfinished`` says ``INCOMPLETE`` where ANY card's entry did not finish, naming each such
card where the record holds more than one.
An ``s3://`` copy root keeps the same record as an object of that name under its prefix
(``destinations.s3run_record``: a ``RecordPlace``, stored conditionally), read by
``s3verify`` (``unfinished_in``).
"""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from offload.fs.ops import fsync_dir
from offload.fs.whole import pwrite_all, write_all
from offload.state_folder import check_held
from offload.state_names import STATE_FOLDER

RUN_RECORD_NAME = "last-run.json"
RUNNING = "running"
FINISHED = "finished"
CANCELLED = "cancelled"
#: The run ended there, but card files failed there (a card read error, a write or read-back
#: that failed: ``failed`` names them; ``steps``, end steps that failed, is read but not
#: written), or the run lost that destination (``lost``: with no card file named where each
#: one that failed there has a copy its ledger vouches for).
FAILED = "failed"
#: How many of the failed files the ``INCOMPLETE`` line names (the record keeps them all).
NAMED_FILES = 5

#: The line ``offload verify`` prints (and its reports keep) for a copy root whose last
#: offload did not finish, before its own words of how it ended.
INCOMPLETE = "INCOMPLETE"


class RunRecord(NamedTuple):
    """The record as read: its state (``RUNNING``, ``FINISHED``, ``CANCELLED``, or ``""``
    for a record that cannot be read as one) and when its run started (UTC, as written)."""

    state: str
    started: str = ""
    failed: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    # The card of the entry (``CardIdentity.key``; "" unknown) and its path as given.
    card: str = ""
    source: str = ""
    # Of ``failed``, those a file in the way refused (their results' ``refusal``): the same
    # command alone refuses them again, so the words name ``--keep-both``.
    in_the_way: tuple[str, ...] = ()
    # Of ``failed``, those a cascade's slow copy root never got because every fast
    # destination refused them for a file in the way there (``FastRefused``): the same
    # command refuses them there again, so the words name the fast destinations' remedy.
    fast_refused: tuple[str, ...] = ()
    refused_on: tuple[str, ...] = ()
    # A copy never to be overwritten holds the name of one of ``fast_refused`` on a fast
    # destination at least: another card's, or an earlier take's (the key every version
    # reads so, but the one that wrote ``earlier_copy`` without ``other_card_copy``, whose
    # ``another_card`` held another card's alone: ``never_overwrite``).
    another_card: bool = False
    # The token of the run that wrote the entry (``lock.new_run``; "" in a record of an
    # older version): ``run_words`` names it with its start.
    run: str = ""
    # As ``FastRefused.earlier_copy``; None in a record of an older version, whose
    # ``another_card`` also held an earlier take's copy (one kind then).
    earlier_copy: bool | None = None
    # Of a card whose identity is unknown, its first file (by path) and that file's size as
    # the run read them (``FirstFile``): two such cards from one path are two entries.
    first: FirstFile | None = None
    # As ``FastRefused.another_card`` (the key ``other_card_copy``); None in a record of an
    # older version, which did not write it.
    other_card_copy: bool | None = None
    # A ``FAILED`` entry of a run that lost this destination (``DestinationSummary.lost``)
    # though nothing cancelled it: its ``failed`` may then be empty (each card file that
    # failed there has a copy the ledger vouches for), and the words say the loss.
    lost: bool = False
    # Of ``in_the_way``, those refused for an object at a key this copy root's ledger
    # recorded as that card file's copy, another object there now (another writer stored it
    # over ours: ``ExistingCopy.replaced``): the words name --overwrite, which replaces it
    # once the new copy is verified, beside --keep-both. () in a record of an older version.
    ours_replaced: tuple[str, ...] = ()

    @property
    def never_overwrite(self) -> bool:
        """A copy never to be overwritten holds the name of one of ``fast_refused`` on a fast
        destination at least, as a record of any version says it."""
        return self.another_card or bool(self.earlier_copy) or bool(self.other_card_copy)


def run_words(run: str, started: str) -> str:
    """The words that tie a line to one run: "run <token>, started <date> UTC" (*started*
    as the record writes it, ``_utc``): the ``cannot record`` line of a run whose settle
    failed (``card._unsettled``) and the ``INCOMPLETE`` advice that names that run's report
    carry the same, so a report of another run is never taken for it."""
    return f"run {run}, started {started.replace('T', ' ').rstrip('Z')} UTC"


def started_words(started: float) -> str:
    """``_utc`` of *started* (a run's ``time.time()``), as the record writes it."""
    return _utc(started)


class FirstFile(NamedTuple):
    """A card's own sign where its identity is unknown (no volume serial or label: a plain
    folder, a FUSE mount, a network share): its first file by card-relative path and that
    file's size, as the scan read them (``card._record_card``). Two such cards offloaded
    from one path ``--into`` one folder are told apart by it (their entries, ``_same_card``)
    where their first files differ in name or size, as a camera's first clips mostly do; not
    where that first file is an index or metadata file alike on every card (README: keep
    such cards apart). A card that grew since keeps its first file. Cheap: the scan's
    names, no read."""

    path: str
    size: int

    def words(self) -> str:
        """ "first file CLIPS/A001C001.mov, 200,000 bytes", for the INCOMPLETE line: the name,
        the card's, as the terminal shows it (``errors.printable_name``: it can neither forge
        a line nor drive the terminal)."""
        from offload.errors import printable_name

        return f"first file {printable_name(self.path)}, {self.size:,} bytes"


def _first_of(entry: Mapping[str, object]) -> FirstFile | None:
    """The ``first`` an entry records, None where it records none (a known card's, an older
    version's, a run that could not tell it)."""
    value = entry.get("first")
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    ):
        return FirstFile(value[0], value[1])
    return None


class FastRefused(NamedTuple):
    """The card files a cascade's slow copy root failed because every fast destination
    refused them for a file in the way there (``card._refused_on_fast``): their *paths*,
    the fast copy roots that refused them (*on*, as the user gave them) and whether each
    file in the way is a copy never to be overwritten (--into another folder or
    --keep-both, never --overwrite, whatever else is in the way: the flag is for the whole
    run): *another_card*, another card's copy holds the name of one of them on a fast
    destination at least (``Refusal.ANOTHER_CARD``); *earlier_copy*, an earlier take's
    copy of this card does (``Refusal.EARLIER_COPY``); both, each; neither, plain files
    alone, which --overwrite may replace, unless *elsewhere*: such a copy holds the name of
    another file of the run on a fast destination (the flag, for the whole run, would
    replace it). Written as the keys ``another_card`` (any of the three: a copy never to be
    overwritten, as every version before reads it), ``earlier_copy`` and
    ``other_card_copy`` (this *another_card*)."""

    paths: tuple[str, ...] = ()
    on: tuple[str, ...] = ()
    another_card: bool = False
    earlier_copy: bool = False
    elsewhere: bool = False


_NONE_REFUSED = FastRefused()


def record_path(root: Path) -> Path:
    """Where the record of the copy root *root* is."""
    return root / STATE_FOLDER / RUN_RECORD_NAME


def _utc(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _write(root: Path, data: bytes) -> None:
    """*data* as the record of *root*, atomically and durably (module doc). Raises OSError
    (``StateFolderReplaced``: the folder is not the one this run's lock holds)."""
    final = record_path(root)
    # Never into another copy root's state folder swapped in for this run's (``state_folder``):
    # written in the folder the lock holds, where it holds one.
    held = check_held(root)
    # The temporary's name is ``manifest.atomic.temp_name``'s (a dot, the final name, the
    # pid, a token, ``.partial``): a killed writer's is swept by the next run's
    # ``card._remove_stale_temps`` as the stamp's is. Not imported: that module loads hashlib,
    # which an offload does not need before its job.
    temp = final.with_name(f".{RUN_RECORD_NAME}.{os.getpid()}.{os.urandom(4).hex()}.partial")
    # Names in the held folder (``dir_fd``), else the paths (no lock of this process).
    at: dict[str, int] = {} if held is None else {"dir_fd": held}
    temp_at: Path | str = temp if held is None else temp.name
    fd = os.open(temp_at, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, **at)
    try:
        try:
            # Each byte written: a short write renamed over the record would cut it short
            # (review of runrec66, L5).
            write_all(fd, data, temp)
            os.fsync(fd)
        finally:
            os.close(fd)
        if held is None:
            os.replace(temp, final)
        else:
            os.replace(temp.name, final.name, src_dir_fd=held, dst_dir_fd=held)
    except BaseException:
        try:
            os.unlink(temp_at, **at)
        except OSError:
            pass
        raise
    if held is None:
        fsync_dir(final.parent)
    else:
        _fsync_folder(held)


def _fsync_folder(fd: int) -> None:
    """``fsync_dir`` of a folder's descriptor: a filesystem that cannot fsync a folder
    (EINVAL on some FUSE) has nothing to flush."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
            raise


class Started(NamedTuple):
    """What :func:`mark_started` did: *kept*, the roots whose record said, before, that an
    offload of the same card finished there (``previous``: see :func:`settle`); *refused*, by
    root, the error of a record that could not be written (that copy root must not be
    written to: ``card.run_offload`` loses it before its first file)."""

    kept: set[Path | RecordPlace]
    refused: dict[Path | RecordPlace, OSError]


def _entries(body: object) -> list[dict[str, object]]:
    """The card entries of a record's *body*: its ``cards``, or the body itself where it is
    a record of one entry (written by a version before the entries: the last offload of the
    copy root, of the card its ``source`` names)."""
    if not isinstance(body, dict):
        return []
    cards = body.get("cards")
    if isinstance(cards, list):
        return [e for e in cards if isinstance(e, dict)]
    return [body] if "state" in body else []


def _same_card(
    entry: Mapping[str, object], card: str, source: str, first: FirstFile | None = None
) -> bool:
    """Whether *entry* is the record of the card this run reads (*card*: its
    ``CardIdentity.key``, "" unknown; *source*: its path as given): the same volume and
    folder where the entry and the run both know the card; the same path where the entry
    does not (written by a run that could not tell its card, or by a version before the
    entries). An entry that knows its card is never this run's where this run cannot tell
    its own: two cards may mount at one path. An entry that names neither (written by a
    development version before ``source``) is every card's: else no run could ever clear
    it, and the copy root would stay INCOMPLETE for good. Of an entry that knows no card,
    its first file (``FirstFile``) decides too, equal to this run's (*first*; None on both
    sides for a card with no file) wherever the entry records the key: two cards whose
    identity is unknown mounted at one path are two entries."""
    recorded = entry.get("card")
    if isinstance(recorded, str) and recorded:
        if not card:
            return False
        from offload.card_identity import same_volume_and_folder

        return same_volume_and_folder(recorded, card)
    at = entry.get("source")
    if at and at != source:
        return False
    # Written by this version, an entry records its card's first file, or ``null`` for a
    # card that had none: then it is this card's only where that is this card's too (a
    # re-run without the card knows it from the fast copy: ``card._record_first``). Only an
    # entry of a version before ``first`` (no key) is every card's of that path.
    if "first" in entry:
        return _first_of(entry) == first
    return True


def _ours(
    entries: list[dict[str, object]], card: str, source: str, first: FirstFile | None
) -> list[dict[str, object]]:
    """The entries of *entries* that are this run's card's (``_same_card``): every run knows
    its card's first file (a cascade re-run too, from the fast copy standing in for it), so
    no other card's entry is ever replaced by its run."""
    return [e for e in entries if _same_card(e, card, source, first)]


class RecordPlace(Protocol):
    """Where a copy root's record is kept other than a local file (an ``s3://`` copy root's
    object: ``destinations.s3run_record``): *load* its bytes (None: none there; raises
    OSError), *save* the whole record (raises OSError; never over a record stored since
    this place's *load*)."""

    def load(self) -> bytes | None: ...

    def save(self, data: bytes) -> None: ...


class _LocalPlace:
    """The record of a local copy root: its file, written by ``_write``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def load(self) -> bytes | None:
        try:
            return record_path(self.root).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def save(self, data: bytes) -> None:
        _write(self.root, data)

    def save_over(self, data: bytes) -> None:
        """*data* written over the record in place, for a settle that says less than the
        record does when ``save`` cannot make its temporary (a full drive). Never truncated
        (review of runrec66, M2: a write that failed after the truncation left no record,
        the other cards' entries lost with it): only where *data* fits in the record's own
        bytes, padded to their length with spaces (JSON's whitespace), so no new block is
        asked of a full drive. Not through a symlink, nor into a record with other hard
        links (a snapshot made with ``cp -al`` or ``rsync --link-dest`` would change too:
        review of runrec66, L3). Raises ``RecordTooLong`` where *data* does not fit, else
        the OSError of the open or of the first byte's write (nothing changed),
        ``TornRecord`` of a later write or fsync that failed: the record then starts with a
        byte no JSON starts with (written first, put back last), so it is unreadable, never
        a mix of the old and the new that still parses."""
        folder = check_held(self.root)  # never another copy root's (``state_folder``)
        flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
        if folder is None:
            fd = os.open(record_path(self.root), flags)
        else:
            fd = os.open(RUN_RECORD_NAME, flags, dir_fd=folder)
        try:
            held = os.fstat(fd)
            if held.st_nlink != 1:
                raise OSError(errno.EMLINK, "the record has other hard links (a snapshot?)")
            if len(data) > held.st_size:
                raise RecordTooLong()
            view = memoryview(data + b" " * (held.st_size - len(data)))
            if not view:
                return
            # The first byte made one no JSON starts with before any other is written, and
            # put back last: a write cut part-way (a power cut, a failed write) leaves no
            # record that parses, never the new record's start over the old one's tail, which
            # can be valid JSON still saying ``finished`` (review of revfix4_66, M1).
            if os.pwrite(fd, b"#", 0) != 1:  # refused: not a byte of the record changed
                raise OSError(errno.EIO, "a short write of the record's first byte")
            try:
                os.fsync(fd)
                pwrite_all(fd, view[1:], 1, record_path(self.root))
                os.fsync(fd)
                if os.pwrite(fd, view[:1], 0) != 1:
                    raise OSError(errno.EIO, "a short write of the record's first byte")
                os.fsync(fd)
            except OSError as exc:
                raise TornRecord(exc) from exc
        finally:
            os.close(fd)


class RecordTooLong(OSError):
    """Where ``_LocalPlace.save_over`` cannot write the record in place: it does not fit in
    the record's own bytes (nothing written)."""

    def __init__(self) -> None:
        super().__init__(errno.ENOSPC, "it does not fit in the record's own bytes")


class TornRecord(OSError):
    """A write over the record in place (``_LocalPlace.save_over``) that failed part-way:
    the record may be torn, so no record this version can read (``offload verify`` says
    INCOMPLETE; the next run refuses it, ``UnreadableRecord``), never more than either.
    Its ``errno`` is the write's; ``card._say_unrecorded_end`` says to move it aside."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(exc.errno, exc.strerror)


def _place(root: Path | RecordPlace) -> RecordPlace:
    return _LocalPlace(root) if isinstance(root, Path) else root


class UnreadableRecord(OSError):
    """A record there whose bytes are no record this version can read (not JSON, no card
    entry): never taken for none, which would drop the entries of the cards it may hold
    (a killed card's ``running``), as ``offload verify`` never passes it (``unfinished``).
    Its ``errno`` is ``EBADMSG``; ``card._unrecorded`` words what to do."""

    def __init__(self, where: str) -> None:
        super().__init__(errno.EBADMSG, "it holds no record this version can read", where)


def _load(place: RecordPlace) -> list[dict[str, object]]:
    """The entries of the record at *place*; none where there is none. Raises OSError where
    it cannot be read (*place*'s error), ``UnreadableRecord`` where its bytes are no record:
    never read as none, which the run's own entry would then replace alone."""
    data = place.load()
    if data is None:
        return []
    try:
        entries = _entries(json.loads(data))
    except ValueError:
        entries = []
    if not entries:
        raise UnreadableRecord(RUN_RECORD_NAME)
    return entries


def _put(
    root: Path | RecordPlace,
    entry: dict[str, object],
    card: str,
    source: str,
    loaded: list[dict[str, object]] | None = None,
    first: FirstFile | None = None,
) -> None:
    """*entry*, this run's card's, in place of that card's earlier entry in *root*'s record
    (the other cards' kept as they are: *loaded*, the record's entries where the caller has
    just read them, else read here), written whole (``_write``). Its top-level fields are
    the first unfinished entry's (else this one's): a version before the entries reads the
    record as one entry, and so says "did not finish" where any card's did not. Raises
    OSError, also where the record there cannot be read (``_load``): nothing written then."""
    place = _place(root)
    if loaded is None:
        loaded = _load(place)
    _save(place, _body(loaded, entry, card, source, first))


def _body(
    loaded: list[dict[str, object]],
    entry: dict[str, object],
    card: str,
    source: str,
    first: FirstFile | None = None,
    *,
    compact: bool = False,
    top: dict[str, object] | None = None,
) -> bytes:
    """The whole record: *loaded* with *entry* in place of this card's (``_put``);
    *compact*, without the separators' spaces, and its top-level fields *top* where they are
    *entry*'s (``_shorter``)."""
    mine = _ours(loaded, card, source, first)
    entries = [e for e in loaded if not any(e is m for m in mine)]
    entries.append(entry)
    head = next((e for e in entries if e.get("state") != FINISHED), entry)
    if head is entry and top is not None:
        head = top
    fields = {**head, "cards": entries}
    if compact:
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps(fields, sort_keys=True).encode()


#: The fields an entry keeps where the record must shrink to say less (``_shorter``).
_BARE = ("state", "run", "started", "settled", "source", "card", "first")


def _shorter(
    loaded: list[dict[str, object]],
    entry: dict[str, object],
    card: str,
    source: str,
    first: FirstFile | None,
) -> list[bytes]:
    """The whole record, each shorter than the last, to be written in place of a record
    that says more (``_save``): compact; its top-level fields only this entry's state, run
    and start (what a version before the entries reads: "did not finish"; the card files it
    names kept in its ``cards`` entry); this entry bare too (``_BARE``: its state alone,
    "ended with a failure", never the files)."""
    bare = {k: v for k, v in entry.items() if k in _BARE}
    head = {k: v for k, v in entry.items() if k in ("state", "run", "started")}
    return [
        _body(loaded, entry, card, source, first, compact=True),
        _body(loaded, entry, card, source, first, compact=True, top=head),
        _body(loaded, bare, card, source, first, compact=True, top=head),
    ]


def _save(
    place: RecordPlace, data: bytes, *, less: bool = False, smaller: Iterable[bytes] = ()
) -> None:
    """*data* stored at *place*. Where it says *less* than the record there (a settled
    ``finished`` taken back: *smaller*, the same record in fewer bytes, ``_shorter``) and
    the atomic write fails, written over it in place (``_LocalPlace.save_over``), the first
    of *data* and *smaller* that fits in the record's own bytes: the record must not go on
    saying ``finished``. Raises the atomic write's OSError where none fits or the record
    cannot be opened so (the record as it was), ``TornRecord`` where the write in place
    failed part-way."""
    try:
        place.save(data)
    except OSError:
        if not (less and isinstance(place, _LocalPlace)):
            raise
        for candidate in (data, *smaller):
            try:
                place.save_over(candidate)
            except RecordTooLong:
                continue
            except TornRecord:
                raise
            except OSError:
                break
            return
        raise


def mark_started(
    roots: Iterable[Path | RecordPlace],
    run: str,
    started: float,
    source: str,
    card: str = "",
    first: FirstFile | None = None,
) -> Started:
    """Record in each of *roots* that the offload *run* (its token) of the card *card*
    (``CardIdentity.key``, "" unknown) at *source* (its path as given) started at *started*
    (``time.time()``) and writes there: that card's entry says ``running`` (module doc),
    the other cards' entries kept. Returns the roots whose entry of this card said an
    offload of it finished there (``Started.kept``), and those whose record could not be
    written, with why (``Started.refused``)."""
    kept: set[Path | RecordPlace] = set()
    refused: dict[Path | RecordPlace, OSError] = {}
    for root in roots:
        body: dict[str, object] = {
            "state": RUNNING,
            "run": run,
            "started": _utc(started),
            "source": source,
            "card": card,
        }
        # ``null`` where the card has no file: never an entry every card's (``_same_card``).
        body["first"] = None if first is None else list(first)
        # Read once: its entries decide ``previous`` and are written back beside this
        # card's (an S3 place's conditional store is over the object this read saw).
        try:
            place = _place(root)
            entries = _load(place)
            if any(e.get("state") == FINISHED for e in _ours(entries, card, source, first)):
                body["previous"] = FINISHED
            _put(place, body, card, source, entries, first)
        except OSError as exc:
            refused[root] = exc
            continue
        if "previous" in body:
            kept.add(root)
    return Started(kept, refused)


def settle(
    root: Path | RecordPlace,
    run: str,
    started: float,
    state: str,
    *,
    source: str = "",
    card: str = "",
    failed: Iterable[str] = (),
    steps: Iterable[str] = (),
    in_the_way: Iterable[str] = (),
    fast_refused: FastRefused = _NONE_REFUSED,
    first: FirstFile | None = None,
    lost: bool = False,
    ours_replaced: Iterable[str] = (),
) -> OSError | None:
    """Record that the offload *run* of the card *card* at *source* (as
    :func:`mark_started`) that started at *started* ended on *root* in *state*
    (``FINISHED``, ``FAILED`` with the card files that *failed* there, card-relative, and
    the end *steps* that failed, or ``CANCELLED``): that card's entry, the others kept;
    of *failed*, those a file in the way refused (*in_the_way*) and those a cascade's fast
    destinations refused so (*fast_refused*), and of *in_the_way*, those refused for an
    object of ours another writer replaced (*ours_replaced*, the key ``ours_replaced``,
    written only then); *lost*: a ``FAILED`` run lost that destination (the key ``lost``,
    written only then; *failed* may be empty).
    Left as it is where it cannot be written, or read again (``_load``: this run's entry
    then says ``running``, the conservative answer): that error is returned (None where
    it was written), for the run to say (``card._unsettled``): ``offload verify`` of that
    copy root says ``INCOMPLETE`` until a run of that card settles its entry."""
    body: dict[str, object] = {
        "state": state,
        "run": run,
        "started": _utc(started),
        "settled": _utc(time.time()),
        "source": source,
        "card": card,
    }
    body["first"] = None if first is None else list(first)
    if state == FAILED:
        body["failed"] = list(failed)
        body["steps"] = list(steps)
        body["in_the_way"] = list(in_the_way)
        replaced = list(ours_replaced)
        if replaced:
            body["ours_replaced"] = replaced
        if lost:
            body["lost"] = True
        if fast_refused.paths:
            body["fast_refused"] = list(fast_refused.paths)
            body["refused_on"] = list(fast_refused.on)
            # ``another_card``: a copy never to be overwritten, as older versions read it
            # (they advise --overwrite where it is false); the kinds told apart beside it.
            body["another_card"] = (
                fast_refused.another_card or fast_refused.earlier_copy or fast_refused.elsewhere
            )
            body["earlier_copy"] = fast_refused.earlier_copy
            body["other_card_copy"] = fast_refused.another_card
    try:
        place = _place(root)
        entries = _load(place)
        ours = _ours(entries, card, source, first)
        _may_settle(ours, run, state)
        # This run's own ``finished`` taken back (a cascade's fast root settled in the
        # card's pass, a copy there failed since): never left saying more (``_save``).
        less = state != FINISHED and any(
            e.get("run") == run and e.get("state") == FINISHED for e in ours
        )
        smaller = _shorter(entries, body, card, source, first) if less else ()
        _save(place, _body(entries, body, card, source, first), less=less, smaller=smaller)
    except OSError as exc:
        return exc
    return None


class SettleRefused(OSError):
    """A settle :func:`settle` does not write (its rule, ``_may_settle``): the card's entry
    there names another run (a record rewritten since this run marked it: its lock lost,
    say), or this run settled it already as not finished, which a later ``finished`` of the
    same run never takes back. Its ``errno`` is ``EALREADY``; the words say which."""

    def __init__(self, why: str) -> None:
        super().__init__(errno.EALREADY, why)

    def __str__(self) -> str:
        return str(self.strerror)


def _may_settle(ours: list[dict[str, object]], run: str, state: str) -> None:
    """Raise ``SettleRefused`` where this run (token *run*) may not settle its card's
    entries *ours* as *state*: one written by another run (a token, not *run*) is that
    run's to settle, never rewritten by this one; one this run settled ``failed`` or
    ``cancelled`` is never made ``finished`` by it (a settled entry moves only to say less:
    ``finished`` to ``failed`` or ``cancelled``, as a cascade's fast root settled in the
    card's pass whose copy the cascade found changed). None there (an entry gone since
    ``mark_started``: a record moved aside) or one without a token is written."""
    for entry in ours:
        token, was = entry.get("run"), entry.get("state")
        if isinstance(token, str) and token and run and token != run:
            raise SettleRefused(f"the record there names another run ({token}) for this card")
        if token == run and state == FINISHED and was in (FAILED, CANCELLED):
            raise SettleRefused(f"this run recorded there already that it {was}")


def _as_record(entry: Mapping[str, object]) -> RunRecord:
    state, started = entry.get("state"), entry.get("started")
    card, source = entry.get("card"), entry.get("source")
    return RunRecord(
        state if isinstance(state, str) else "",
        started if isinstance(started, str) else "",
        _strings(entry.get("failed")),
        _strings(entry.get("steps")),
        card if isinstance(card, str) else "",
        source if isinstance(source, str) else "",
        _strings(entry.get("in_the_way")),
        _strings(entry.get("fast_refused")),
        _strings(entry.get("refused_on")),
        entry.get("another_card") is True,
        run if isinstance(run := entry.get("run"), str) else "",
        earlier if isinstance(earlier := entry.get("earlier_copy"), bool) else None,
        _first_of(entry),
        other if isinstance(other := entry.get("other_card_copy"), bool) else None,
        entry.get("lost") is True,
        _strings(entry.get("ours_replaced")),
    )


def read_all(root: Path) -> list[RunRecord] | None:
    """The entries of *root*'s record, one a card; None where there is none (or its folder
    cannot be looked at: no claim then). A record that cannot be read or parsed, or holds
    no entry, is ``[RunRecord("")]``."""
    try:
        data = record_path(root).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return [RunRecord("")]
    return _parsed(data)


def _parsed(data: bytes) -> list[RunRecord]:
    try:
        entries = _entries(json.loads(data))
    except ValueError:
        return [RunRecord("")]
    return [_as_record(e) for e in entries] or [RunRecord("")]


def read(root: Path) -> RunRecord | None:
    """The record of *root* as one: its first card entry that did not finish, else its
    first; None where there is none (``read_all``). A record that cannot be read or parsed
    is ``RunRecord("")``."""
    records = read_all(root)
    if records is None:
        return None
    return next((r for r in records if r.state != FINISHED), records[0])


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def unfinished(root: Path) -> str | None:
    """The words of ``offload verify``'s ``INCOMPLETE`` line for the copy root *root* where
    the last offload of any card there did not finish (each such card named where the record
    holds more than one); None where each finished or nothing records it (module doc)."""
    return _unfinished_of(read_all(root), root)


def unfinished_in(data: bytes | None) -> str | None:
    """``unfinished`` of a record read elsewhere (an ``s3://`` copy root's object: *data*,
    None where there is none)."""
    return _unfinished_of(None if data is None else _parsed(data))


#: How a card's entry that did not finish ended, as ``offload verify``'s JSON states it
#: beside its words (``unfinished_offload_states``): ``running`` (killed, a power cut, a
#: settle that failed), ``cancelled``, ``failed`` (it ran to its end there, card files
#: failed), ``unreadable`` (a record that cannot be read as one).
UNREADABLE = "unreadable"


def unfinished_with_states(root: Path) -> tuple[str | None, tuple[str, ...]]:
    """:func:`unfinished`'s words for the copy root *root*, and how each card's last offload
    that did not finish there ended (``RUNNING``, ``CANCELLED``, ``FAILED``, ``UNREADABLE``),
    in the order of those words: ``(None, ())`` where each finished or nothing records it.
    The states are what a reader of the check's report tells those words apart by, never
    parsing them (``offload history``). One read of the record."""
    records = read_all(root)
    return _unfinished_of(records, root), _states_of(records)


def unfinished_with_states_in(data: bytes | None) -> tuple[str | None, tuple[str, ...]]:
    """``unfinished_with_states`` of a record read elsewhere (``unfinished_in``'s *data*)."""
    records = None if data is None else _parsed(data)
    return _unfinished_of(records), _states_of(records)


def _states_of(records: list[RunRecord] | None) -> tuple[str, ...]:
    if records is None:
        return ()
    return tuple(
        r.state if r.state in (RUNNING, CANCELLED, FAILED) else UNREADABLE
        for r in records
        if r.state != FINISHED
    )


def _unfinished_of(records: list[RunRecord] | None, root: Path | None = None) -> str | None:
    if records is None:
        return None
    open_ = [r for r in records if r.state != FINISHED]
    if not open_:
        return None
    named = len(records) > 1
    return f"{INCOMPLETE}: " + "; ".join(_unfinished_words(r, named, root) for r in open_)


def _report_of_unsettled(root: Path, record: RunRecord) -> Path | None:
    """The job report in *root*'s ``.offload/reports/`` of the run that wrote *record*
    (its token and start) whose ``cannot record`` line says it could not settle it
    (``card._unsettled``, ``run_words``); None where none does (a run killed wrote no
    report; a report of another run names another token)."""
    # Its line either way (``card._unsettled``: this offload finished, or an earlier one
    # still stands), the run's words just before the error.
    mark = f"({run_words(record.run, record.started)}): ".encode()
    try:
        reports = sorted((root / STATE_FOLDER / "reports").glob("*.json"), reverse=True)
    except OSError:
        return None
    for report in reports:
        try:
            if mark in report.read_bytes():
                return report
        except OSError:
            continue
    return None


def _unfinished_words(record: RunRecord, named: bool, root: Path | None = None) -> str:
    """One card entry's words (``unfinished``); *named*: the card named (a copy root that
    holds more than one card's); *root*: the local copy root, whose saved reports are
    looked in for the run's own (``_report_of_unsettled``)."""
    when = (
        f" (started {record.started.replace('T', ' ').rstrip('Z')} UTC)" if record.started else ""
    )
    who = "the offload that wrote this copy"
    again = "run the same `offload copy` again"
    if named and (record.card or record.source):
        from offload.card_identity import describe_key

        card = describe_key(record.card) if record.card else record.source
        if not record.card and record.first is not None:
            card += f" ({record.first.words()})"
        who = f"the offload of card {card} that wrote to this copy"
        again = "run the same `offload copy` of that card again"
    if record.state == CANCELLED:
        how = f"{who}{when} was cancelled before it finished"
    elif record.state == FAILED:
        how = f"{who}{when} ended with " + _failures(record)
    elif record.state == RUNNING:
        how = f"{who}{when} did not finish (killed, a power cut, stopped)"
    else:
        how = (
            f"the record of the offload that wrote this copy ({STATE_FOLDER}/"
            f"{RUN_RECORD_NAME}) cannot be read: it may not have finished"
        )
    if record.state == FAILED and record.lost and not record.failed and not record.steps:
        # Each card file that failed there has a copy standing at the size its ledger entry
        # records (``card._standing_copies``: the same content, at the recorded size; not
        # its date): none is missing for want of a record, yet the run never finished that
        # destination.
        return (
            f"{how}, every card file then with a copy here at the size its ledger entry "
            f"records: {again}"
        )
    if record.state == FAILED and record.failed and not record.steps:
        if record.in_the_way:
            again = _in_the_way_again(record, again)
        if record.fast_refused:
            again = _fast_again(record, again)
        return f"{how}: {again}"
    if record.state == RUNNING and not named:
        # A run whose settle failed (``card._unsettled``) leaves the same ``running`` as one
        # killed: only that run's own report tells them apart, its ``cannot record`` line
        # naming the run (token and start) the record names, so the user is told which
        # report (found among the copy root's saved ones where it is there) and the one way
        # on without the card that claims nothing: the record moved aside, the check
        # vouching for what the records name, no more. A killed run wrote no such line.
        aside = (
            "every copy here verified: move that record aside, and the check vouches for what "
            "the ledger and the ASC MHL history name, as for a copy without that record"
        )
        if record.run:
            this = run_words(record.run, record.started)
            found = None if root is None else _report_of_unsettled(root, record)
            if found is not None:
                again += (
                    f"; without the card: that offload's own report, {found}, says it could "
                    f"not record in {STATE_FOLDER}/{RUN_RECORD_NAME} that it finished ({this}): "
                    f"only where it says {aside}"
                )
            else:
                again += (
                    f"; without the card, only where the report of that offload ({this}) says "
                    f"it could not record in {STATE_FOLDER}/{RUN_RECORD_NAME} that it "
                    f"finished (`cannot record in ... that this offload finished ({this})`), "
                    f"{aside}"
                )
        else:
            again += (
                "; without the card, only where that offload's own report says it could not "
                f"record in {STATE_FOLDER}/{RUN_RECORD_NAME} that it finished (`cannot record "
                f"in ... that this offload finished`), {aside}"
            )
    return f"{how}: card files no record names may be missing here; {again}"


def _in_the_way_again(record: RunRecord, again: str) -> str:
    """*again* (the same command) with what gets past the files in the way refused here
    (``record.in_the_way``): the same command alone refuses them again (the file in the way
    stays). --keep-both keeps it beside the card's; where the file in the way is an object
    of ours another writer replaced (``record.ours_replaced``), --overwrite is named first:
    it replaces it once the new copy is verified, and --keep-both would leave those other
    bytes at the card's name, which the copy root's ASC MHL history records as the card's."""
    refused = set(record.in_the_way)
    ours = [path for path in record.ours_replaced if path in refused]
    keep = (
        ", which keeps the file in the way beside the card's (--into another folder keeps "
        "them apart)"
    )
    if not ours:
        return again.replace("again", "again with --keep-both", 1) + keep
    object_of_ours = (
        "at a name this copy root's ledger recorded as the card's copy, written over since "
        "by another writer"
    )
    if len(ours) == len(refused):
        return again.replace("again", "again with --overwrite", 1) + (
            f", which replaces the file in the way ({object_of_ours}) once the new copy is "
            "verified; --keep-both keeps it beside the card's, but then the card's name "
            "still holds the other bytes and this check fails for it"
        )
    return (
        again.replace("again", "again with --keep-both", 1)
        + keep
        + f"; for {_files(ours, object_of_ours)}, --overwrite replaces it once the new copy "
        "is verified (and every other file in the way too)"
    )


def _fast_again(record: RunRecord, again: str) -> str:
    """*again* (what to do about the failed files) with what gets past the files in the way
    on the fast destinations that refused ``record.fast_refused``: the same command alone
    refuses them there again, and this slow copy root again gets nothing to copy."""
    fix = (
        "--into another folder or --keep-both (" + _never_overwritten(record) + " there)"
        if record.never_overwrite
        else "--overwrite or --keep-both"
    )
    words = f"with {fix}, or without cascading to this copy root (the card then feeds it)"
    if set(record.failed) <= set(record.fast_refused):
        return f"{again} {words}"
    where = ", ".join(record.refused_on) or "the fast destinations"
    return f"{again} (for those refused on {where}: {words})"


def _never_overwritten(record: RunRecord) -> str:
    """What holds the names of ``record.fast_refused`` on the fast destinations, a copy
    never to be overwritten on one at least (``FastRefused``): named as the record's kinds
    say, both where it holds both or cannot tell (a record before ``earlier_copy``, whose
    ``another_card`` held either; one with ``earlier_copy`` but no ``other_card_copy``
    held another card's alone in ``another_card``)."""
    if record.other_card_copy is not None:
        other, earlier = record.other_card_copy, bool(record.earlier_copy)
    elif record.earlier_copy is not None:
        other, earlier = record.another_card, record.earlier_copy
    else:
        other = earlier = True
    if not earlier and not other:  # of another file of the run (``FastRefused.elsewhere``)
        return (
            "--overwrite, for the whole run, would replace a copy never to be overwritten "
            "that holds another file's name"
        )
    if earlier and not other:
        return "an earlier take's copy holds its name"
    if other and not earlier:
        return "another card's copy holds its name"
    return "a copy never to be overwritten holds its name: another card's, or an earlier take's"


def _files(paths: list[str], what: str) -> str:
    """``N card files <what> (the first NAMED_FILES and M more)``, each name as the terminal
    shows it (``errors.printable_name``: a newline in one split the ``ERROR:`` line)."""
    from offload.errors import printable_name

    named = ", ".join(printable_name(path) for path in paths[:NAMED_FILES])
    more = len(paths) - NAMED_FILES
    count = len(paths)
    return (
        f"{count} card file{'' if count == 1 else 's'} {what} ({named}"
        + (f" and {more} more" if more > 0 else "")
        + ")"
    )


def _failures(record: RunRecord) -> str:
    """What failed, in words: the card files with no verified copy here (a card read error,
    a write or a read-back that failed: the first ``NAMED_FILES``), those refused for a file
    in the way, the destination lost, and the end steps that failed."""
    parts = []
    refused, fast = set(record.in_the_way), set(record.fast_refused)
    others = [path for path in record.failed if path not in refused and path not in fast]
    if others:
        parts.append(_files(others, "with no verified copy here"))
    if refused:
        parts.append(
            _files([p for p in record.failed if p in refused], "refused here for a file in the way")
        )
    if fast:
        where = ", ".join(record.refused_on) or "the fast destinations"
        parts.append(
            _files(
                [p for p in record.failed if p in fast],
                f"refused on {where} for a file in the way there",
            )
        )
    if record.lost:
        parts.append(_LOST)
    if record.steps:
        parts.append(f"its {', '.join(record.steps)} step failed")
    return " and ".join(parts) or "a failure"


#: A ``FAILED`` entry's words for the destination the run lost (``RunRecord.lost``).
_LOST = "this destination lost (it failed or went away during the run)"
