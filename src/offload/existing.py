"""Copies that are already on a destination: prove them by reading them back, or copy again.

Three cases reach this module (the planner decides which, ``card.plan_offload``):

* ADOPT: a file is already at its final name, with the source's size, but no ledger of ours
  vouches for it (a copy made with ``cp`` or rsync, or an offload run with ``--no-resume``).
  The source and the copy are both read (the copy from the media, not the page cache) and
  the copy is adopted when every requested digest is equal; it is never replaced unless
  the user asked for it (``--overwrite``, ``--keep-both``).
* UPGRADE: the ledger recorded the copy with a weaker proof than this run asks for (a
  transfer check, or a destination-only read-back when ``full`` is asked). The copy is read
  back and compared with the digests recorded when it was written; in ``full`` mode the
  source is re-read too.
* REVERIFY (``--reverify``): the ledger trusts the copy, but the user asks to re-read it
  anyway (like ``rsync -c``): the copy is read back and compared with the recorded digests;
  in ``full`` mode the source is re-read too.

``--reverify`` also takes up a copy of ours that changed since the ledger recorded it
(``Ledger.changed_copy``: the entry records this card file at that name, the file there is
no longer as recorded; ``ExistingCopy.changed`` says how): one whose size changed is found
wrong without reading it (REVERIFY, nothing read: its size proves it), one whose date alone
changed is read back and compared with the source like an ADOPT (equal: verified now, its
date given back); either one found wrong is a copy of ours found wrong, below.

A copy that matches is VERIFIED now (``action`` ADOPTED or RECHECKED) and recorded in the
ledger; one that does not match is reported and, for UPGRADE and REVERIFY (the copy is ours
and provably wrong), copied again from the card and renamed over the bad one only once the
new copy is verified. A card file read now that differs from any destination's record of it
fails at the source (``FileTask.source_error``) and is written nowhere (its bytes now are
bytes nothing verified): a copy of ours equal to its record is verified against it, at
destination level (the card changed, not the copy; the card was not proven), one unlike it
is found wrong, revoked and kept (``card_changed_words``). Nothing here deletes or rewrites
a file's content.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple, Protocol

from offload import fingerprint, remedies
from offload.card_history import history_record
from offload.card_legacy_mhl import unlike_record
from offload.destinations.s3url import shown
from offload.engine.cancel import CancelToken
from offload.engine.messages import FileTask
from offload.engine.verifier import MediaHasher
from offload.errors import (
    DRIVE_GONE_ERRNOS,
    CancelledError,
    OffloadError,
    describe_os_error,
    on_network_share,
    read_error_words,
    source_io_error,
)
from offload.errors import FULL_ERRNOS as FULL_ERRNOS
from offload.events import BytesVerified, EventSink, NullSink
from offload.fs.below import CachesBelow
from offload.hashing.registry import comparable_digest, fastest
from offload.ledger import (
    Ledger,
    LedgerEntry,
    computable_formats,
    proven_when,
    verified_entry,
)
from offload.model import SourceFile
from offload.options import ExistingFilePolicy
from offload.remedies import Refusal
from offload.results import (
    KEPT_BESIDE,
    CacheBypass,
    CopyAction,
    DestinationFileResult,
    DestinationStatus,
    FileResult,
    JobReport,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    from offload.manifest.history import History
    from offload.plan import PreflightItem
    from offload.trusted_copies import TrustedCopies


class CopyReader(Protocol):
    """How a copy that is not a local file is read back (an object store's backend:
    ``destinations.s3backend.S3Backend``): *path* is its path under the destination's
    (stand-in) root."""

    @property
    def parallel_reads(self) -> int:
        """How many copies to read at once (``hash_copy`` is thread-safe): a copy a round
        trip away is read alongside others (a local disk's copies are read one at a time)."""
        ...

    def hash_copy(self, path: Path, formats: Sequence[str]) -> dict[str, str]:
        """Read the copy at *path* as stored and hash it. Raises OSError."""
        ...

    def complete_adopted(self, path: Path, digests: Mapping[str, str]) -> None:
        """Once the copy at *path*, read by ``hash_copy``, is found equal and adopted: give
        it what a copy of ours written now would carry and it lacks (an object of ours
        without its digests in its metadata, left by a run stopped before it stored them),
        proven by a read again (S3: copied onto itself, read back). Raises OSError."""
        ...

    def unreadable(self, exc: OSError, path: Path) -> str | None:
        """Why *exc*, raised by ``hash_copy`` of *path*, leaves the copy unread without saying
        anything of its bytes (an object store that refuses the read, an archived object, a
        service failing), and what to do, in words naming no path (a command to run names
        it: an archived object's restore); None when the failure is the
        copy's own (it is gone): then it is found wrong, as a disk's copy that cannot be
        read. Pure."""
        ...


#: The error of a copy already there whose check the cancel stopped: before its read-back
#: began, under way (at its next read), or while the card file it is compared with was read
#: (its own read-back done: "not read back" would be untrue). Nothing of it proved.
CHECK_CANCELLED = "cancelled before it was checked; the copy already there is kept as it was"


class CheckKind(StrEnum):
    ADOPT = "adopt"
    UPGRADE = "upgrade"
    REVERIFY = "reverify"


class ExistingCopy(NamedTuple):
    """One copy to prove: ``recorded`` holds the ledger's digests (empty for ADOPT).
    A named tuple (this module's other records are plain classes): a dataclass cost
    ~0.3–0.5 ms to create at every start-up, and most offloads find no copy to prove.

    ``changed`` (``--reverify`` only): how a copy of ours changed since its ledger recorded
    it, naming it (``"<path> is N bytes; the copy verified there on <date> was M bytes"``).
    Set, the copy is ours whatever its kind: found wrong, it is replaced (never refused as
    another file), and a REVERIFY one is found wrong by that alone, without a read.

    ``ledger_entry`` (ADOPT): what the ledger's last entry for the path says, when it has
    one that did not vouch for this copy (the summary says why it was read back, never
    "without a record" then): ``"other"`` (it records another file: another size or date
    than the card's), ``"rounded"`` (the card file's size, its date as a coarser filesystem
    rounds it: an older version's cascade), ``"digests"`` (this file, without every digest
    asked for), ``"unlike"`` (this file, but the copy is not as recorded), ``"revoked"``,
    ``"damaged"`` (a state no version writes: read back like any unrecorded copy, never
    called revoked), ``"card"`` (recorded from another card: ``ledger.same_card``),
    ``"content"`` (this name, size and date, another fingerprint: another file,
    ``offload.fingerprint``); "" for no entry.

    ``other_card`` (ADOPT): the ledger's entry of the path was recorded from another card,
    or records another file of this name, size and date (``"content"``): which and when, in
    words (its refusal, if the read-back finds it different, says so)."""

    task_index: int
    destination_index: int
    final_path: Path
    kind: CheckKind
    recorded: Mapping[str, str] = MappingProxyType({})
    recorded_mode: str = ""
    changed: str = ""
    # A copy of ours that changed since its ledger recorded it (``Ledger.changed_copy``),
    # whatever the run does with it: a refusal of it names --reverify.
    ours: bool = False
    # An S3 object at a key its ledger records as this card file's copy (``ledger_entry``
    # ``"unlike"``), another object there now: an object cannot change in place, so another
    # writer stored it over ours (``S3Ledger._changed_size``). Never written over unasked
    # (``--overwrite`` replaces it); under ``--keep-both`` it is our copy found damaged and
    # kept at the card's name (``_kept_ours``: exit 1), as a disk's copy of ours that changed.
    replaced: bool = False
    # Of a ``replaced`` object, whether its entry records the object's ETag (every S3 entry
    # but an older version's): only then is another object there known to be another
    # writer's. Without it, a size-only upload bad from the start looks the same, and the
    # words say only that it is not the object verified there.
    replaced_etag: bool = False
    # A copy revoked with its record kept (``Ledger.found_wrong_copy``), in a run without
    # --reverify: the ``remedies.in_the_way`` word of who revoked it (``card._revoked_kept``),
    # ``"checked"`` (``offload verify``) or ``"revoked_kept"`` (an offload's own
    # revocation); "" none. A refusal of it names --reverify (with --reverify it is
    # ``ours``, with ``changed``).
    revoked_word: str = ""
    ledger_entry: str = ""
    other_card: str = ""
    # ADOPT, ``ledger_entry`` "other": the ``remedies.earlier_word`` of the copy the
    # ledger's last entry of the path vouches for, still as recorded there, of a card file
    # of this name of another date than the card's file now (``card._earlier_copy``); its
    # refusal, if the read-back finds it different, says so and never names --overwrite
    # (``remedies.earlier_copy``). "" otherwise.
    earlier: str = ""
    # With ``earlier``: the digests that entry recorded of the copy (format: value). Its
    # words are said only of a copy read back equal to them in the formats both share
    # (``_equal_in_shared``; none shared: its size and date, as recorded, all there is): a
    # copy unlike them is damaged in place or another file, whatever its size and date.
    earlier_digests: Mapping[str, str] = MappingProxyType({})
    # Found wrong before (``offload verify``, or an earlier offload, revoked its record and
    # kept which copy it was: ``Ledger.found_wrong_copy``): the plan's line counts those a
    # run may write again (``OffloadPlan.found_wrong_before``).
    found_wrong_before: bool = False
    # The card file's fingerprint its ledger entry recorded and the planner read again and
    # matched (UPGRADE, REVERIFY of a copy as recorded; "" otherwise): its new entry keeps it.
    fingerprint: str = ""
    # How and when the ledger's entry proved the copy, in words (``ledger.proven_when``:
    # "verified on <date>"; "" without a record): the line of a card file that no longer
    # matches a copy still as recorded (``card_changed_words``), or a rewrite's
    # (``rewrite_reference``), says it. ``recorded_mode``, and this, are of the entry that
    # makes the copy ours: ``recorded``'s, or that of a copy of ours that changed.
    recorded_when: str = ""
    # The digests the ledger recorded of the card file when it proved the copy there (its
    # entry's: ``recorded``'s, or that of a copy of ours that changed since, whose
    # ``recorded`` is empty): a copy found wrong is written again only from a card file that
    # still reads as this (``rewrite_reference``). Empty for a copy no entry makes ours.
    card_recorded: Mapping[str, str] = MappingProxyType({})
    # ADOPT under --keep-both of a copy an earlier run kept beside the file at the planned
    # name (``card._kept_copy``; *final_path* is the kept one): that planned name, where the
    # new copy goes beside that file if this one is found different or cannot be read (a
    # read error of a file nothing says is ours is not the card file's failure); "" otherwise.
    beside: str = ""
    # The file at *beside* has the card file's size and no ledger entry makes it another's
    # (``card._kept_copy`` asked where it would have been read back, ADOPT): read back in
    # turn when this kept copy is not the card file's, and adopted if equal, before a new
    # copy is written beside both (``check_existing``).
    beside_at_name: bool = False
    # The formats the copy root's ASC MHL history records this path in, where it shares
    # none with the run's (a ``-t`` change: ``history_formats.with_history_formats``): the
    # copy is hashed in them too in the same read, never compared (``CheckOutcome.
    # history_digests``), so the manifest step lists it in them without reading it again.
    history_formats: tuple[str, ...] = ()
    # ADOPT of a copy no entry vouches for (none records every format of the run's: a run
    # with ``-t`` since; or the copy a clone of the one recorded, ``ledger_entry`` "clone";
    # or the card's dates a zone offset from the entry's, "zone"): the entry of this very
    # card file at that name (``card._entry_of_card``, with a fingerprint), consulted only
    # once the copy is found different from the card (``check_existing``'s
    # ``as_its_entry``): the card file, its fingerprint that entry's, unlike its record is
    # the card's failure, the copy kept (never "other content" that --overwrite would
    # replace with the card's changed bytes). Never read before (a copy equal to the card
    # is adopted without it: no read of the card in the record's formats on a re-run after
    # ``-t md5``). None otherwise.
    card_entry: LedgerEntry | None = None
    # A copy as recorded whose card file (or the fast copy standing for it) was read unlike
    # the fingerprint its entry recorded, or could not be read (``card._plan``'s
    # ``read_against_record``): read back against that record, and its source read too in
    # any verify mode (``needs_source``), so the source's damage or read error is said and
    # settled, never dropped by a --verify destination run that reads no source.
    against_record: bool = False

    @property
    def may_be_protected(self) -> bool:
        """Whether the read-back of this copy may refuse it as a copy never to be
        overwritten (``remedies.NEVER``): the copy an earlier offload recorded of an earlier
        take of the name (``earlier``) or another card's (``other_card``), refused as such
        unless found equal; or one whose entry of this card file is consulted once found
        different (``card_entry``: "digests", "clone", "zone"), refused as another card's
        where the card file's fingerprint is not that entry's (``CheckOutcome.
        other_content``). The planner's words before that read-back count it as refused
        (``OffloadPlan.protected_in_the_way``): found equal, --keep-both first was only
        cautious; found different, --overwrite offered for another file would replace it.
        After the read-back, what it found decides (``card.found_protected``)."""
        return bool(self.earlier or self.other_card or self.card_entry is not None)


def _unreadable_words(check: ExistingCopy, why: str) -> str:
    """The failure of a copy that could not be read for a reason that says nothing of it
    (*why*: ``CopyReader.unreadable``'s words, with what to do): never "found wrong", and
    what became of it (nothing)."""
    if check.kind is CheckKind.ADOPT and not check.ours and not check.changed:
        return (
            f"{check.final_path} is already there but unreadable: {why}; it was neither "
            "compared with the source nor written over"
        )
    return f"{check.final_path} is unreadable, not found wrong: {why}; {UNREAD_KEPT}"


#: What became of a copy of ours that could not be read (``_unreadable_words``), before
#: ``_revoke_unread`` says what became of its ledger entry.
UNREAD_KEPT = "it is kept as it is (nothing was written over it)"


def _unread_words(
    error: str,
    revoke_failure: OSError | None,
    *,
    beside: bool = False,
    unlike: bool = False,
    disk: bool = False,
) -> str:
    """*error* (``_unreadable_words``'s, of a copy of ours as recorded that could not be
    read) saying what became of its ledger entry: revoked (*revoke_failure* None: the next
    run reads the copy back against the card, adopting it if equal; one still unreadable,
    an archived object, fails each run until it can be read), or still standing where the
    revocation failed (the next plain run then trusts it, said). *beside*: the copy's read
    failed (or compared nothing) beside a source that failed too (a card file that could not
    be read, a fast copy standing for the card found unlike it: *error* the source's line
    and the read's): said so, in a disk's words as a bucket's. *unlike*: the copy was
    read, unlike its entry (*error* says how), its source not: kept, nothing written.
    *disk*: a disk's copy whose drive went away as it was read (``_drive_gone``), not an
    object: revoked as ``offload verify`` revokes a copy it could not read."""
    if revoke_failure is not None:
        return (
            f"{error}; its ledger entry could not be revoked "
            f"({describe_os_error(revoke_failure)}), so a plain re-run still trusts it: run "
            "offload verify of the copy, or --reverify again"
        )
    if unlike:
        return (
            f"{error}; its ledger entry is revoked and the copy kept as it is (nothing was "
            "written from the card's file): the next offload of this card reads it back "
            "against the card instead of trusting it"
        )
    if beside:
        return (
            f"{error}; its ledger entry is revoked, as nothing compared the copy with its "
            "record: the next offload of this card reads it back (adopted if equal to the "
            "card's digests) instead of trusting it"
        )
    if disk:
        return (
            f"{error}; its ledger entry is revoked, as offload verify revokes a copy it could "
            "not read: the next offload of this card reads it back against the card (adopted "
            "if equal) instead of trusting it"
        )
    return (
        f"{error}; its ledger entry is revoked, as offload verify revokes an object it could "
        "not read: the next offload of this card reads it back against the card (adopted if "
        "equal) instead of trusting it, and until it can be read (an archived object) each "
        "run fails it"
    )


def _revoke(ledger: Ledger, paths: Sequence[str]) -> OSError | None:
    """Revoke this card's entries of *paths* in *ledger* in one ``Ledger.revoke`` (one
    append: on a bucket one ledger object, after one reading of the ledger), as ``offload
    verify`` revokes in one batch per ledger; the error that stopped it, else None."""
    try:
        ledger.revoke(dict.fromkeys(paths, ledger.card))  # this card's copies, not another's
    except OSError as exc:
        return exc
    return None


class _Revoking(NamedTuple):
    """A copy of ours whose ledger entry ``settle`` revokes once the loop is done: its
    (FAILED) result, and what follows the revocation. ``unread``: the copy could not be
    read (its error then says what became of the entry); else it was found wrong and is
    copied again (``kept``: beside it, ``--keep-both``) once revoked."""

    check: ExistingCopy
    relative: str
    result: DestinationFileResult
    unread: bool
    kept: bool = False
    # Not written again: its card file is unlike its record (``CheckOutcome.card_unlike``),
    # so the card's bytes are bytes nothing verified; its (FAILED) result says so.
    stays: bool = False
    # ``unread`` beside a fast copy standing for the card read unlike it (``_unread_words``).
    beside: bool = False
    # ``unread`` (its source) and the copy read unlike its entry (``record_unlike``).
    unlike: bool = False
    # ``unread``: a disk's copy whose drive went away as it was read (``_drive_gone``).
    disk: bool = False


def in_the_way_word(check: ExistingCopy) -> str:
    """The ``remedies.in_the_way`` word for an ADOPT copy found different: a copy of ours
    whose date changed, one ``offload verify`` (or an offload) found wrong and revoked
    keeping its record, one whose ledger entry an earlier run revoked, or any file. The
    run's refusal of it and ``--dry-run``'s line of it (``report.dry_run``) both ask this."""
    if check.ours:
        return "date"
    if check.revoked_word:
        return check.revoked_word
    return "revoked" if check.ledger_entry == "revoked" else ""


def _recorded_as_card(
    check: ExistingCopy,
    outcome: CheckOutcome,
    ledgers: Sequence[Ledger | None],
    histories: dict[int, History | None],
) -> str:
    """For a file in the way no ledger vouches for (an ADOPT copy of no other card, read
    different from the card): the digest its local copy root's ASC MHL history records at
    its path (``format value``) where every format the history and the card's read now share
    is equal, the history's record being the card's content (its ledger deleted or lost: the
    copy is damaged, not another file); else "" (nothing says so: any file in the way). The
    history is read once a destination (*histories*), only here; one that cannot be read
    says nothing."""
    if (
        check.other_card
        or in_the_way_word(check)
        or not outcome.source_digests
        or not outcome.digests
    ):
        return ""
    ledger = ledgers[check.destination_index]
    root = getattr(ledger, "copy_root", None)
    if not isinstance(root, Path):
        return ""
    index = check.destination_index
    if index not in histories:
        from offload.manifest.history import read_history

        try:
            histories[index] = read_history(root)
        except (OffloadError, OSError, ValueError):
            histories[index] = None
    history = histories[index]
    if history is None:
        return ""
    try:
        relative = Path(check.final_path).relative_to(root).as_posix()
    except ValueError:
        return ""
    known = history.reference_hash_formats(relative)
    if not known:
        return ""
    shared = [name for name in outcome.source_digests if name in known]
    if not shared or any(
        comparable_digest(name, known[name])
        != comparable_digest(name, outcome.source_digests[name])
        for name in shared
    ):
        return ""
    return f"{shared[0]} {known[shared[0]]}"


def _equal_in_shared(recorded: Mapping[str, str], digests: Mapping[str, str]) -> str:
    """``format value`` of *digests* where every format they share with *recorded* is
    equal (at least one); "" otherwise (no format shared: nothing proved either way)."""
    shared = [name for name in digests if name in recorded]
    if not shared or any(
        comparable_digest(name, recorded[name]) != comparable_digest(name, digests[name])
        for name in shared
    ):
        return ""
    return f"{shared[0]} {digests[shared[0]]}"


def other_content_words(entry: LedgerEntry, read: bool, *, fast_copy: bool = False) -> str:
    """What a copy read back says of its path's entry that records another file of the
    card file's name, size and date (another fingerprint, *read* now; False: the card file
    could not be read to compare). *fast_copy*: the source is a cascade's fast copy standing
    for its absent card, whose copies the ledgers record from the card: its file unlike the
    recorded one is that copy changed since it was verified, never another card's."""
    verb, when = proven_when(entry)
    recorded = (
        "this copy root's ledger records a copy of a file of this name, size and date, "
        f"{verb} there{when}"
    )
    if fast_copy:
        if not read:
            return f"{recorded}, and the fast copy's file could not be read to compare it"
        return (
            f"{recorded}, with other content: the first or last 64 KiB of the fast copy's "
            "file, read now, differ from the card's file copied there (the fast copy changed "
            "since it was verified: damaged)"
        )
    if not read:
        return f"{recorded}, and this card's file could not be read to compare its content"
    # (Its date the entry's: a file changed in place keeps its name, size and date too.)
    why = "another card, this card shot again, or this card's file changed since it was copied"
    if entry.size_bytes <= fingerprint.WHOLE:  # (its fingerprint is all of it)
        return (
            f"{recorded}, with other content: this card's file, read now whole, differs from "
            f"that file's ({why})"
        )
    return (
        f"{recorded}, with other content: the first or last 64 KiB of this card's file, "
        f"read now, differ from that file's ({why})"
    )


def _changed_since_entry_words(
    check: ExistingCopy, outcome: CheckOutcome, protected: bool = False
) -> str:
    """The refusal of a copy found different from the card file, which reads as the entry
    of it at the copy's name (``CheckOutcome.as_its_entry``, a format that entry records,
    none or not all of the run's): the copy is what changed (never "no ledger entry there
    records it as ours"), and what replaces it: --overwrite, or, on a disk, a run in that
    format with --reverify, whose entry then makes it ours (replaced once the card's file
    reads as that entry and the new copy is verified). An object cannot change in place:
    another was stored at its key, which no entry makes ours."""
    entry = check.card_entry
    assert entry is not None
    name = outcome.as_its_entry
    recorded = f"{name} {entry.digests[name]}, {''.join(proven_when(entry))}"
    remedy = remedies.in_the_way(protected=protected)
    if outcome.cache_bypass is CacheBypass.REMOTE:
        changed = "another object was stored at its key since"
    else:
        changed = "the copy there changed since (damaged, or another file written over it)"
        remedy = f"{remedy}; -t {name} with --reverify replaces it as a copy of ours"
    return (
        f"{check.final_path} differs from the card's file, which reads as this copy root's "
        f"ledger recorded it ({recorded}): {changed}; not overwritten ({remedy})"
    )


def _damaged_in_place_words(check: ExistingCopy, recorded: str, protected: bool) -> str:
    """The refusal of a copy the ledger recorded as this card file's content as read now
    (only its date changed), read back unlike it: damaged in place (*protected*: no
    --overwrite offered first, ``remedies.in_the_way``)."""
    return (
        f"{check.final_path} differs from what this copy root's ledger records for it "
        f"({recorded}, the card's file as read now): the copy there is damaged; not "
        f"overwritten ({remedies.in_the_way(protected=protected)})"
    )


def _history_damaged_words(check: ExistingCopy, recorded: str, protected: bool) -> str:
    """The refusal of a copy no ledger vouches for whose copy root's ASC MHL history records
    the card's content at its path (*recorded*), read back unlike it: damaged."""
    return (
        f"{check.final_path} differs from what this copy root's ASC MHL history records for "
        f"it ({recorded}, the card's file as read now): the copy there is damaged; not "
        "overwritten, as no ledger entry there records it as ours "
        f"({remedies.in_the_way(protected=protected)})"
    )


def _other_content_refused_words(check: ExistingCopy, clone: str, protected: bool) -> str:
    """The refusal of any other file in the way read back unlike the card file (*clone*: a
    clone's entry's words, ``_NOT_THE_FILE_VERIFIED``)."""
    return (
        f"{check.final_path} already exists with other content{clone}; not overwritten "
        f"({remedies.in_the_way(in_the_way_word(check), protected=protected)})"
    )


def found_wrong_unread(check: ExistingCopy) -> bool:
    """Whether *check* is found wrong by what the planner saw (its size), with no read."""
    return check.kind is CheckKind.REVERIFY and bool(check.changed)


def record_formats(check: ExistingCopy, formats: Sequence[str]) -> tuple[str, ...]:
    """The format of *check*'s ledger record of the card file (``card_recorded``) that the
    card file is hashed in too, where that record shares none with the run's *formats* (a
    run with ``-t`` since: ``ledger.ours_entry``): the fastest this version computes (each
    of the record's digests is of the same bytes: one compared proves the card as it);
    () where it shares one, or records none this version computes. A copy of ours found
    wrong is written again only from a card file read as that record
    (``rewrite_reference``): with no format shared, the run's own reads could compare
    nothing with it."""
    recorded = check.card_recorded
    if not recorded:
        return ()
    for name in formats:  # (a loop, no generator: once a check of a re-run's card)
        if name in recorded:
            return ()
    computable = computable_formats(recorded)
    return (fastest(computable),) if computable else ()


def never_written(check: ExistingCopy, policy: ExistingFilePolicy) -> bool:
    """Whether the file of *check* is never written there by this run, whatever its read-back
    finds: a file no ledger vouches for as ours (ADOPT, not a changed copy of ours that
    ``--reverify`` takes up), under the FAIL policy, is adopted when equal and refused when
    not (``settle``), never replaced: the preflight keeps no room for it."""
    return check.kind is CheckKind.ADOPT and not check.changed and policy is ExistingFilePolicy.FAIL


class SourceRead(NamedTuple):
    """A card file read now for the copies to check against it: its *digests* ({} where it
    could not be used), *error* (the line of why not; None: it could), and *how* the read
    avoided the page cache (``MediaHasher.last_bypass``; NOT_READ where it was not read)."""

    digests: dict[str, str]
    error: str | None
    how: CacheBypass = CacheBypass.NOT_READ
    # Read whole and unlike its reference digests (*error* says how): the source's own
    # failure, whatever its copies hold (``check_existing``'s *on_source_unlike*).
    unlike: bool = False
    # Its digests in the formats of a ledger's record of it that shares none with the run's
    # (``record_formats``), from the same read; kept out of *digests*.
    in_record_formats: Mapping[str, str] = MappingProxyType({})
    # The read stopped at the job's cancel (*error* says so): it proves nothing, and the
    # checks waiting for it are cancelled with it.
    cancelled: bool = False


class SourceUnlike(NamedTuple):
    """What ``check_existing``'s *on_source_unlike* answers for a source read unlike its
    reference digests (a fast copy standing in for an absent card): *instead*, the path of
    another fast copy of the file to read in its place (checked against the same digests,
    the copies then compared with that read); or, None, *words*: what became of that copy's
    ledger, ending the source's error (None: nothing)."""

    words: str | None
    instead: str | None = None


class CheckOutcome:
    """What reading one existing copy proved.

    ``matched``: every requested digest of the copy equals the reference (the source as read
    now, or the recorded digests, or both). ``error``: the copy or the source could not be
    read (then ``matched`` is False and nothing was proved). ``unreadable``: the copy could
    not be read for a reason that says nothing of it (``CopyReader.unreadable``; ``error``
    says why and what to do): neither proved nor found wrong.
    """

    __slots__ = (
        "as_its_entry",
        "cache_bypass",
        "cancelled",
        "card_absent",
        "card_as_recorded",
        "card_unlike",
        "check",
        "digests",
        "error",
        "history_digests",
        "matched",
        "mismatch",
        "other_content",
        "read_damaged",
        "read_failed",
        "record_matched",
        "record_unlike",
        "source_cache_bypass",
        "source_digests",
        "source_error",
        "uncompared",
        "unreadable",
        "verify_s",
    )

    def __init__(self, check: ExistingCopy, matched: bool) -> None:
        self.check = check
        self.matched = matched
        self.digests: dict[str, str] = {}  # of the copy, read from the media
        # Of the copy, in its ExistingCopy.history_formats, from the same read: compared
        # with nothing here (the generation compares them with the history), and kept out
        # of ``digests``, so neither the ledger nor the reports hold them.
        self.history_digests: dict[str, str] = {}
        self.source_digests: dict[str, str] = {}  # of the source, read now
        self.source_cache_bypass = CacheBypass.NOT_READ  # how that read avoided the cache
        # How the copy's read avoided the page cache (O_DIRECT, FADVISE; NONE: it may have
        # come from RAM; REMOTE: read through its destination's CopyReader, an object store).
        self.cache_bypass = CacheBypass.NOT_READ
        self.error: str | None = None
        # The copy's failed read in words without a remedy ("cannot read <path>: <why>"):
        # said of a copy replaced meanwhile, for which ``error``'s "give this user read
        # access to it, then run the same command again" is no longer what to do.
        self.read_failed: str | None = None
        # That read failed with a local disk's I/O error (EIO, EBADMSG; not a network
        # share's, whose EIO may be the server's or the network's): evidence of damage.
        self.read_damaged = False
        self.unreadable = False
        self.source_error: str | None = None
        self.mismatch: str | None = None  # what differed, for the report
        self.verify_s = 0.0
        # The read (the copy's or its source's) stopped at the job's cancel (a reader's
        # ECANCELED, a local read's CancelledError): proves nothing.
        self.cancelled = False
        # The card's file read now differs from a record of it (any destination's ledger
        # entry of this card file): what differed, in words (``card_unlike_words``); "" not.
        # The file fails on every destination then, and nothing of it is written.
        self.card_unlike = ""
        # ``card_unlike`` is a fast copy's standing in for its absent card (the source),
        # unlike the card's digests: the source's whole line, what to do included.
        self.card_absent = False
        # The source could not be read, and the copy's record could not be compared with
        # (``_against_record``: none of its formats computable, or the copy's read again in
        # its record's format failed): a copy of ours is revoked as unread (``settle``),
        # never left vouched for.
        self.uncompared = False
        # ... compared (``_against_record``) and equal: the format compared; "" not.
        self.record_matched = ""
        # ... an ADOPT's, unlike the entry of this card file at its name (``card_entry``):
        # what differed (its entry revoked, the copy kept); "" not.
        self.record_unlike = ""
        # The card file's digests in the run's formats from a read that found it as the
        # ledger's record of it in that record's own formats, none of them the run's
        # (``record_formats``): what a rewrite's read of it must match (``settle``).
        self.card_as_recorded: Mapping[str, str] = MappingProxyType({})
        # A copy found different from the card file, which reads as the entry of it at the
        # copy's name (``ExistingCopy.card_entry``) after a ``-t`` change: the format
        # compared (``"md5"``); "" not (nor for a clone's or a zone shift's entry).
        self.as_its_entry = ""
        # ... whose fingerprint now is not that entry's (another file of this name, size and
        # date, or the card's file changed in its first or last 64 KiB): the refusal's words
        # of that entry (``other_content_words``), as where an entry in the run's formats
        # records it (``ExistingCopy.other_card``): --overwrite is not offered; "" not.
        self.other_content = ""


SOURCE_INDEX = -1  # BytesVerified's index for the source


def needs_source(check: ExistingCopy, verify: str) -> bool:
    """ADOPT always compares with the source; the others only in full mode (the recorded
    digests already tie the copy to the source as it was read when it was written), or
    where the planner found the source unlike its recorded fingerprint or unreadable
    (``ExistingCopy.against_record``): that source is read, its failure said."""
    return check.kind is CheckKind.ADOPT or verify == "full" or check.against_record


# Whose digests a source's reference digests are when no record is named.
HISTORY_WORDS = history_record(fast_copy=False)


def check_existing(
    checks: Sequence[ExistingCopy],
    sources: Sequence[SourceFile],
    *,
    algorithms: Sequence[str],
    verify: str,
    cancel: CancelToken,
    reference_digests: Callable[[int], Mapping[str, str]] | None = None,
    reference_records: Callable[[int], str] | None = None,
    reference_sizes: Callable[[int], int | None] | None = None,
    on_outcome: Callable[[CheckOutcome], None] | None = None,
    sink: EventSink | None = None,
    readers: Mapping[int, CopyReader] | None = None,
    instead: dict[int, ExistingCopy] | None = None,
    on_source_unlike: Callable[[int, Mapping[str, str], str], SourceUnlike | None] | None = None,
    on_source_unreadable: Callable[[int, str, str], str | None] | None = None,
    trusted: Callable[[int], TrustedCopies | None] | None = None,
) -> list[CheckOutcome]:
    """Read each copy (and, where needed, its source) and compare; blocks until done.

    *sources* is indexed by ``check.task_index``. Each source is read at most once however
    many destinations need it; copies are read in parallel, one reader per destination, so
    a slow drive does not hold the others. Returns the outcomes in the order of *checks*
    (those not reached before a cancel are left out). Never raises for I/O: a file that
    cannot be read is an outcome with ``error``. Thread-safe callbacks are the caller's.
    *sink* gets BytesVerified events as each file is read (index -1: the source), a read
    at a time for a local file (a large clip moves the progress while it is read back), at
    most its planned size, from the reading threads; a copy read through a *readers*' reader
    once it is read. *readers*: by destination index, the destinations whose copies are not
    local files (S3): their copies are read through the reader instead of from a path.
    *reference_records*: by task, the record its *reference_digests* are from, in words
    (``FileTask.reference_record``; "": the card's own ASC MHL history). *reference_sizes*:
    by task, the size that record gives the file (``FileTask.reference_size``), None for
    none: a source of another size differs from it as for a digest, and fails unread.
    *instead*: where a check's file at its name was read equal in its place
    (``ExistingCopy.beside_at_name``), ``id`` of that check → the check of that file (its
    outcome's ``check``), for the caller to settle in its place; nothing else is put there.
    *on_source_unlike*: given where the source stands in for an absent card (a fast copy,
    ``cascade_refeed.Revoker.unlike_at_source``): called with the task index, the digests
    read and the path read, in the source's reading thread, as a source reads unlike its
    reference digests, before any copy is compared with it (so the fast copy is revoked
    before a cancel, a kill or a power loss could leave its ledger vouching for it). Its
    ``SourceUnlike``: another fast copy to read in its place (read and judged so in turn,
    the copies compared with the first read equal to the reference digests), or the words
    (what became of that copy's ledger, None: nothing) ending the source's error. A copy of
    ours then is settled as for a card file unlike its record (``CheckOutcome.card_unlike``):
    one as its own record is verified at destination level, the failure the source's,
    nothing written anywhere. *on_source_unreadable*: the same, for a source whose read
    failed (an I/O error: no digest), called with the task index, the path read and the
    read's error (``Revoker.unreadable_at_source``): another fast copy's path to read in its
    place, or None: the read's error is the source's. *trusted*: by task, the copies of
    its card file trusted on other destinations (``FileTask.trusted``): a card file read
    unlike one of their entries fails as one unlike its record, nothing adopted, verified
    or written from it (``_check_one``).
    """
    sink = sink or NullSink()
    if not checks:
        return []
    formats = list(algorithms)
    # By task: the formats of a ledger's record of the card file that shares none with the
    # run's, the card file hashed in them too when it is read (``record_formats``).
    in_record_formats: dict[int, tuple[str, ...]] = {}
    for check in checks:
        extra = record_formats(check, formats)
        if extra:
            known = in_record_formats.get(check.task_index, ())
            in_record_formats[check.task_index] = (*known, *(n for n in extra if n not in known))
    local = threading.local()
    made: list[MediaHasher] = []
    made_lock = threading.Lock()
    below = CachesBelow()  # each filesystem's cache below dropped once for all the threads

    def hasher() -> MediaHasher:
        current: MediaHasher | None = getattr(local, "hasher", None)
        if current is None:
            # The job's token: a cancel stops a read at its next chunk (each check's read
            # and each source's), not at the end of a 4 GB clip.
            current = MediaHasher(below=below, cancel=cancel)
            local.hasher = current
            with made_lock:
                made.append(current)
        return current

    source_lock = threading.Lock()
    source_futures: dict[int, Future[SourceRead]] = {}

    def size_unlike(task_index: int) -> str | None:
        """The line of a card file of another size than its record (a legacy MHL's) gives
        it, None otherwise: it fails unread, and so does every check of its copies (their
        bytes cannot make it pass), none of them read."""
        recorded_size = reference_sizes(task_index) if reference_sizes is not None else None
        source = sources[task_index]
        if recorded_size is None or source.size_bytes == recorded_size:
            return None
        record = reference_records(task_index) if reference_records else ""
        return unlike_record(
            source.path,
            record or HISTORY_WORDS,
            f"size {source.size_bytes} bytes, recorded {recorded_size} bytes",
        )

    def read_source(
        task_index: int, path: str | None = None, progress: _ReadProgress | None = None
    ) -> SourceRead:
        """Read the source of *task_index* (or *path*: another fast copy of it, read in the
        place of one found unlike its reference digests, ``on_source_unlike``, its bytes
        counted in the first read's *progress*: the planned work is one read)."""
        source = sources[task_index]
        # (The stat below still catches a file changed since the scan, whose size is the
        # one size_unlike compares.)
        unlike = size_unlike(task_index)
        if unlike is not None:
            return SourceRead({}, unlike)
        read, seen_mtime_ns = source.path, source.seen_mtime_ns
        try:
            if path is not None:  # its date is its own: the one before this read
                read = Path(path)  # before its stat: a failure of that names this copy
                seen_mtime_ns = os.stat(path).st_mtime_ns
            progress = progress or _ReadProgress(sink, SOURCE_INDEX, source.size_bytes)
            media = hasher()
            extra = in_record_formats.get(task_index, ())
            digests = media(read, [*formats, *extra] if extra else formats, progress)
            how = media.last_bypass  # this thread's hasher: the read just made
        except CancelledError:
            return SourceRead({}, CHECK_CANCELLED, cancelled=True)
        except OSError as exc:
            # (A file gone since the scan is said so, with what to do: errors.source_io_error.)
            error = str(source_io_error(exc, "read", read))
            if on_source_unreadable is not None:  # a fast copy standing for the card: the
                instead = on_source_unreadable(task_index, str(read), error)  # next one's read
                if instead is not None:
                    return read_source(task_index, instead, progress)
            return SourceRead({}, error)
        try:
            st = os.stat(read)
        except OSError as exc:
            return SourceRead({}, str(source_io_error(exc, "stat", read)))
        if st.st_size != source.size_bytes or st.st_mtime_ns != seen_mtime_ns:
            return SourceRead({}, f"source {read} changed since the scan")
        if reference_digests is not None:
            for name, value in reference_digests(task_index).items():
                if name in digests and digests[name] != value:
                    record = reference_records(task_index) if reference_records else ""
                    from offload.manifest.as_written import as_recorded  # <xxhash64>'s words

                    said = unlike_record(
                        read,
                        record or HISTORY_WORDS,
                        f"{name} {digests[name]}, recorded {as_recorded(value)}",
                    )
                    if on_source_unlike is None:
                        return SourceRead({}, said)
                    answer = on_source_unlike(task_index, digests, str(read))
                    if answer is not None and answer.instead is not None:
                        return read_source(task_index, answer.instead, progress)
                    # The file's whole line: its card is absent, so the card's remedy
                    # (``CARD_UNLIKE_REMEDY``) is none of it.
                    words = (answer.words if answer else None) or ": re-run with the card"
                    said = f"{said}; nothing was written from it" + (
                        words if words.startswith(":") else f"; {words}"
                    )
                    return SourceRead({}, said, how, unlike=True)
        if extra:
            recorded = {name: digests.pop(name) for name in extra if name not in formats}
            return SourceRead(digests, None, how, in_record_formats=recorded)
        return SourceRead(digests, None, how)

    # The card files read again for an entry of theirs (``as_its_entry``), by task: its
    # fingerprint (or why not), then its digests by the formats read, each once, whichever
    # destination's copy found it different first; one lock a card file (two card files'
    # re-reads do not wait for each other).
    sampled: dict[int, tuple[str, str | None]] = {}
    again: dict[tuple[int, tuple[str, ...]], SourceRead] = {}
    again_locks: dict[int, threading.Lock] = {}
    locks_lock = threading.Lock()

    def as_its_entry(check: ExistingCopy, outcome: CheckOutcome) -> CheckOutcome:
        """*outcome* of a copy found different from the card file, once that file is
        compared with the entry of it at the copy's name (``ExistingCopy.card_entry``): its
        fingerprint read again first (128 KiB at most); then its digests in a format the
        run's read shares with the entry, else read again in the entry's fastest (only now:
        a copy found different is rare, one equal costs nothing more). Its fingerprint
        another's: the entry is another file's (or the card's file changed in the bytes its
        fingerprint reads), refused in the words of an entry of another file of this name,
        size and date (``CheckOutcome.other_content``), nothing more read. Unlike it: the
        card's failure, the copy kept (``_card_changed``). Either read failing (the card
        file unreadable, or changed since the scan): its error, the copy kept (nothing
        proves which of them changed: never the refusal --overwrite would replace the copy
        after). As it: *outcome* stands (the copy differs from this card file, which is as
        offloaded)."""
        entry = check.card_entry
        assert entry is not None
        shared = [name for name in entry.digests if name in outcome.source_digests]
        computable = () if shared else computable_formats(entry.digests)
        names = (fastest(computable),) if computable else ()
        if not shared and not names:
            return outcome  # (a record of formats this version cannot compute)
        source = sources[check.task_index]
        with locks_lock:
            lock = again_locks.setdefault(check.task_index, threading.Lock())
        with lock:  # (rare: only copies found different get here)
            if check.task_index not in sampled:
                sampled[check.task_index] = _sample_again(source)
            sample, error = sampled[check.task_index]
            if error is None and sample == entry.fingerprint and names:
                key = (check.task_index, names)
                if key not in again:
                    # Its bytes shown as the source's (beyond the planned reads' total, as a
                    # kept copy's file at its name read in turn is), a cancel asked between
                    # its reads.
                    progress = _ReadProgress(sink, SOURCE_INDEX, source.size_bytes)
                    again[key] = _read_again(source, names, hasher(), progress, cancel)
                error = again[key].error
                if error is CHECK_CANCELLED:  # (the job's cancel: settled as cancelled)
                    outcome.cancelled = True
                    return outcome
        if error is not None:
            outcome.mismatch, outcome.source_digests = None, {}
            outcome.source_error = error
            return outcome
        if sample != entry.fingerprint:
            outcome.other_content = other_content_words(entry, True)
            return outcome
        now = again[check.task_index, names].digests if names else outcome.source_digests
        for name in names or shared:
            if now[name] != comparable_digest(name, entry.digests[name]):
                record = check._replace(
                    card_recorded=entry.digests,
                    recorded_mode=entry.verify,
                    recorded_when="".join(proven_when(entry)),
                )
                outcome.mismatch = None
                return _card_changed(
                    check, outcome, card_unlike_words(record, source.path, name, now[name])
                )
        if check.ledger_entry not in ("clone", "zone"):
            # (A -t change since: the refusal names a run in the entry's format, whose
            # --reverify repairs it; a clone's and a zone shift's refusals are their own.)
            outcome.as_its_entry = (names or shared)[0]
        return outcome

    # Imported only for copies to check: concurrent.futures loads logging (~7 ms of CPU),
    # which an offload with nothing already on its destinations never needs.
    from concurrent.futures import ThreadPoolExecutor

    destinations = sorted({c.destination_index for c in checks})
    per_destination = {d: [c for c in checks if c.destination_index == d] for d in destinations}
    source_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="offload-existing-src")

    def source_future(task_index: int) -> Future[SourceRead]:
        with source_lock:
            future = source_futures.get(task_index)
            if future is None:
                future = source_pool.submit(read_source, task_index)
                source_futures[task_index] = future
            return future

    # Queue every source read first, in card order: the source reader then runs ahead of the
    # copies' readers instead of waiting for each of them.
    for check in checks:
        if _reads_source(check, verify, formats) and size_unlike(check.task_index) is None:
            source_future(check.task_index)

    # The ledgers' records of each card file (every destination's copy of ours that has
    # one): a card file read now is compared with all of them, not only with the record of
    # the copy it is read for (a copy found wrong elsewhere is no proof of the card).
    card_records: dict[int, list[ExistingCopy]] = {}
    for check in checks:
        if check.recorded and check.kind is not CheckKind.ADOPT:
            card_records.setdefault(check.task_index, []).append(check)

    outcomes: dict[int, CheckOutcome] = {}
    order = {id(c): i for i, c in enumerate(checks)}

    def run_one(check: ExistingCopy, reader: CopyReader | None) -> bool:
        """Check one copy; False once cancelled (then it has no outcome: it is settled as
        cancelled, not as a copy that failed)."""
        if cancel.cancelled:
            return False
        size = sources[check.task_index].size_bytes
        unlike = size_unlike(check.task_index) if _reads_source(check, verify, formats) else None
        if unlike is not None:  # the card file fails its record by size: the copy unread
            outcome = CheckOutcome(check, matched=False)
            outcome.source_error = unlike
        else:
            progress = _ReadProgress(sink, check.destination_index, size)
            outcome = _check_one(
                check,
                formats,
                verify,
                hasher,
                source_future,
                reader,
                progress,
                sources[check.task_index].path,
                card_records.get(check.task_index, ()),
                stands_in=on_source_unlike is not None,
                as_its_entry=as_its_entry,
                trusted=None if trusted is None else trusted(check.task_index),
            )
        if outcome.cancelled:
            return False
        if check.beside_at_name and not outcome.matched and not outcome.source_error:
            # The kept copy is not the card file's (or unread): the file at the name is
            # read back before a new copy goes beside both; adopted if equal (the check
            # then is its), else the kept copy's outcome stands (written beside the file
            # at the name, as before). Its bytes are beyond the planned reads' total.
            at_name = check._replace(final_path=Path(check.beside), beside="", beside_at_name=False)
            second = _check_one(
                at_name,
                formats,
                verify,
                hasher,
                source_future,
                reader,
                _ReadProgress(sink, check.destination_index, size),
                sources[check.task_index].path,
                card_records.get(check.task_index, ()),
                trusted=None if trusted is None else trusted(check.task_index),
            )
            if second.cancelled:
                return False
            if second.matched:
                outcome = second
                if instead is not None:
                    instead[id(check)] = at_name  # one key a check: no lock needed
        if reader is not None and unlike is None and not found_wrong_unread(check):
            # read whole, then counted
            progress(size)
        outcomes[order[id(check)]] = outcome  # one key a check: no lock needed
        if on_outcome is not None:
            on_outcome(outcome)
        return True

    def run_destination(items: list[ExistingCopy]) -> None:
        reader = (readers or {}).get(items[0].destination_index)
        width = max(1, reader.parallel_reads) if reader is not None else 1
        pending = iter(items)
        taking = threading.Lock()

        def take_and_check() -> None:
            while True:
                with taking:
                    check = next(pending, None)
                if check is None or not run_one(check, reader):
                    return

        if width == 1:
            take_and_check()
            return
        with ThreadPoolExecutor(width, thread_name_prefix="offload-existing-read") as readers_:
            for run in [readers_.submit(take_and_check) for _ in range(width)]:
                run.result()

    try:
        with ThreadPoolExecutor(
            max_workers=len(destinations), thread_name_prefix="offload-existing"
        ) as pool:
            runs = [pool.submit(run_destination, per_destination[d]) for d in destinations]
            for run in runs:
                run.result()
    finally:
        for future in source_futures.values():
            future.cancel()
        source_pool.shutdown(wait=True)
        for item in made:
            item.close()
    return [outcomes[i] for i in sorted(outcomes)]


def _reads_source(check: ExistingCopy, verify: str, formats: Sequence[str]) -> bool:
    """Whether *check*'s card file is read: as ``needs_source`` says, except for a copy found
    wrong by its size alone (nothing of it is compared), read only where its record of the
    card file shares no format with the run's (``record_formats``): that read, in the
    record's formats, is what a rewrite of it is checked against (``_as_its_record``)."""
    if found_wrong_unread(check):
        return bool(record_formats(check, formats))
    return needs_source(check, verify)


def _sample_again(source: SourceFile) -> tuple[str, str | None]:
    """The fingerprint of the card file *source* now (``offload.fingerprint``), read again
    for an entry of it (``check_existing``'s ``as_its_entry``), with None; or "" and the
    error of why not (its read or stat failed, or it changed since the scan)."""
    try:
        sample = fingerprint.read(source.path_text, source.size_bytes)
        st = os.stat(source.path)
    except OSError as exc:
        return "", str(source_io_error(exc, "read", source.path))
    if st.st_size != source.size_bytes or st.st_mtime_ns != source.seen_mtime_ns:
        return "", f"source {source.path} changed since the scan"
    return sample, None


def _read_again(
    source: SourceFile,
    names: tuple[str, ...],
    media: MediaHasher,
    on_read: Callable[[int], None],
    cancel: CancelToken,
) -> SourceRead:
    """The card file *source* read again for an entry of it (``check_existing``'s
    ``as_its_entry``) whose formats the run's read shares none of: its digests in *names*,
    from the media, or the error of why not (its read or stat failed, or it changed since
    the scan). *on_read* gets each read's bytes. A cancel (*cancel*, the job's token, which
    *media* is given too) is seen one way, ``CancelledError``: raised by *media* before a
    read, or here after one (the last read too: a clip read whole in one chunk, or a Ctrl-C
    during its last, is never compared after the run was stopped); its error then is
    ``CHECK_CANCELLED`` itself."""

    def read(nbytes: int) -> None:
        on_read(nbytes)
        if cancel.cancelled:
            raise CancelledError("cancelled")

    try:
        digests = media(source.path, names, read)
        st = os.stat(source.path)
    except CancelledError:
        return SourceRead({}, CHECK_CANCELLED)
    except OSError as exc:
        return SourceRead({}, str(source_io_error(exc, "read", source.path)))
    if st.st_size != source.size_bytes or st.st_mtime_ns != source.seen_mtime_ns:
        return SourceRead({}, f"source {source.path} changed since the scan")
    return SourceRead(digests, None)


def _as_its_record(
    check: ExistingCopy,
    outcome: CheckOutcome,
    read: SourceRead,
    formats: Sequence[str],
    source_path: Path | str,
) -> CheckOutcome:
    """*outcome* once the card file (*read*) is compared with *check*'s ledger record of it
    in that record's own formats, none of them the run's (``record_formats``): as recorded,
    its digests in the run's formats are what the rewrite's read of it must match
    (``CheckOutcome.card_as_recorded``); unlike it, the card file's failure, nothing
    written from it (``_card_changed``)."""
    compared = [name for name in check.card_recorded if name in read.in_record_formats]
    # Never empty: the card file's read hashes every check's ``record_formats`` (an empty
    # list would pass the card unchecked).
    assert compared, (check.card_recorded, read.in_record_formats)
    for name in compared:
        now = read.in_record_formats[name]
        if now != comparable_digest(name, check.card_recorded[name]):
            return _card_changed(check, outcome, card_unlike_words(check, source_path, name, now))
    outcome.card_as_recorded = {
        name: read.digests[name] for name in formats if name in read.digests
    }
    return outcome


class _ReadProgress:
    """Counts one file's read-back as BytesVerified events on *index*, a read at a time, up
    to its *size* (a copy longer than planned is read whole, counted as planned: the bar's
    totals are the planned sizes)."""

    __slots__ = ("_index", "_left", "_sink")

    def __init__(self, sink: EventSink, index: int, size: int) -> None:
        self._sink, self._index, self._left = sink, index, size

    def __call__(self, nbytes: int) -> None:
        counted = min(nbytes, self._left)
        if counted > 0:
            self._left -= counted
            self._sink.emit(BytesVerified(self._index, counted))


def _check_one(
    check: ExistingCopy,
    formats: Sequence[str],
    verify: str,
    hasher: Callable[[], MediaHasher],
    source_future: Callable[[int], Future[SourceRead]],
    reader: CopyReader | None = None,
    on_read: Callable[[int], None] | None = None,
    source_path: Path | str = "the card's file",
    card_records: Sequence[ExistingCopy] = (),
    *,
    stands_in: bool = False,
    as_its_entry: Callable[[ExistingCopy, CheckOutcome], CheckOutcome] | None = None,
    trusted: TrustedCopies | None = None,
) -> CheckOutcome:
    """*stands_in*: the source stands in for an absent card (``check_existing``'s
    *on_source_unlike*): read unlike its reference, a copy is settled as for a card file
    unlike its record (``_card_changed``), not failed with the source's error.
    *as_its_entry*: called with a copy found different from the card whose check carries
    the entry of this card file (``ExistingCopy.card_entry``): the outcome once the card
    file is compared with that entry. *trusted*: the copies of the card file trusted on
    other destinations (``FileTask.trusted``): a card file read unlike one of their entries
    is settled as for a card file unlike its record (``_card_changed``), the copy neither
    adopted nor verified beside a trusted copy of other bytes."""
    started = time.monotonic()
    outcome = CheckOutcome(check, matched=False)
    if found_wrong_unread(check):
        outcome.mismatch = check.changed  # its size proves it: nothing of it to read
        if record_formats(check, formats):
            # The card file is read all the same, in its record's formats: the rewrite's
            # reference in the run's formats (``_as_its_record``).
            read = source_future(check.task_index).result()
            if read.cancelled:
                outcome.cancelled = True
                return outcome
            if read.error is not None:
                outcome.source_error = read.error
                outcome.mismatch = None
                return outcome
            return _as_its_record(check, outcome, read, formats, source_path)
        return outcome
    hashed = [*formats, *check.history_formats] if check.history_formats else formats
    try:
        if reader is not None:
            outcome.digests = reader.hash_copy(check.final_path, hashed)
            outcome.cache_bypass = CacheBypass.REMOTE
        else:
            media = hasher()
            outcome.digests = media(check.final_path, hashed, on_read)
            outcome.cache_bypass = media.last_bypass
        for name in check.history_formats:
            outcome.history_digests[name] = outcome.digests.pop(name)
    except CancelledError:  # a local copy's read stopped at the job's cancel, mid-file
        outcome.cancelled = True
    except OSError as exc:
        _copy_unread(check, outcome, exc, reader)
    if outcome.cancelled:
        return outcome
    if needs_source(check, verify):
        read = source_future(check.task_index).result()
        if read.cancelled:
            outcome.cancelled = True
            return outcome
        outcome.source_digests, outcome.source_error = read.digests, read.error
        outcome.source_cache_bypass = read.how
        if read.unlike and stands_in and not outcome.error:
            assert read.error is not None
            outcome.card_absent = True
            return _card_changed(check, outcome, read.error)
        if read.unlike and stands_in:
            # The copy could not be read either: nothing compared it with its record
            # (``settle`` revokes a copy of ours so, never leaving it vouched for unread).
            outcome.card_absent = True
    outcome.verify_s = time.monotonic() - started
    if not outcome.source_error and outcome.source_digests and record_formats(check, formats):
        # Before the copy is compared (or its read error settled: an unreadable copy of ours
        # is written again too): a card file unlike that record is its own failure.
        judged = _as_its_record(check, outcome, read, formats, source_path)
        if judged.source_error is not None:
            return judged
    if outcome.source_error and not outcome.error and not outcome.cancelled:
        # The source could not be read (an I/O error: the card's file, or a fast copy
        # standing for it), this copy of ours could: compared with its own record all the
        # same (``_against_record``), so a copy unlike it is found wrong (its entry revoked)
        # and never left vouched for unread; one as recorded is kept as it is, the failure
        # the source's.
        its_record = (
            check.recorded
            if check.kind is not CheckKind.ADOPT
            else check.card_entry.digests
            if check.card_entry is not None
            else None
        )
        if its_record is not None:
            _against_record(check, outcome, its_record, formats, hasher, reader, on_read)
    if outcome.error or outcome.source_error:
        return outcome
    if trusted is not None and check.recorded and check.kind is not CheckKind.ADOPT:
        # A copy of ours whose entry disagrees with a copy's trusted elsewhere: they cannot
        # both be verified, whatever the card reads as now or whether it is read at all
        # (``--verify destination``: only the copy is read).
        disagree = trusted.record_unlike(str(source_path), check.recorded, str(check.final_path))
        if disagree is not None:
            return _card_changed(check, outcome, disagree, beside_trusted=True)
    if outcome.source_digests:
        now_read = outcome.source_digests
        unlike = _card_unlike(now_read, card_records, formats)
        if unlike is not None:
            record, name, now = unlike
            return _card_changed(check, outcome, card_unlike_words(record, source_path, name, now))
        # A copy trusted elsewhere from its ledger (not read back in this run): the card file
        # must read as its entry, as where the engine writes it (``engine.reader``).
        beside = None if trusted is None else trusted.card_unlike(str(source_path), now_read)
        if beside is not None:
            return _card_changed(check, outcome, beside, beside_trusted=True)
    references: list[tuple[str, Mapping[str, str]]] = []
    if check.recorded:
        references.append(("the digests recorded when it was written", check.recorded))
    if outcome.source_digests:
        references.append(("the source", outcome.source_digests))
    for label, reference in references:
        for name in formats:
            want = reference.get(name)
            if want is not None and outcome.digests.get(name) != want:
                outcome.mismatch = (
                    f"{check.final_path} differs from {label} "
                    f"({name} {outcome.digests.get(name)}, expected {want})"
                )
                if check.card_entry is not None and as_its_entry is not None:
                    # Different from the card: the card may be what changed since.
                    return as_its_entry(check, outcome)
                return outcome
    if reader is not None and check.kind is CheckKind.ADOPT:
        try:
            reader.complete_adopted(check.final_path, outcome.digests)
        except OSError as exc:
            # Equal to the card, but not what a copy of ours written now is: the file
            # fails here (as an upload whose digests' copy fails), the object kept as it
            # is; the next run reads it back and tries again.
            outcome.error = describe_os_error(exc)
            outcome.cancelled = exc.errno == errno.ECANCELED
            return outcome
    outcome.matched = True
    return outcome


def _copy_unread(
    check: ExistingCopy, outcome: CheckOutcome, exc: OSError, reader: CopyReader | None
) -> None:
    """*outcome* of *check*'s copy whose read failed with *exc* (its first read, or its read
    again in its record's format, ``_against_record``): ``error`` says why and what to do,
    ``read_failed`` the same without a remedy, ``read_damaged`` for a local disk's I/O
    error; ``unreadable`` where its *reader* says the failure tells nothing of the copy;
    ``cancelled`` for a reader's read stopped at the job's cancel. A disk's copy of ours
    whose drive went away (``_drive_gone``: ENOTCONN, ENODEV, ... and its folder no longer
    opens) is ``unreadable`` too: that read says nothing of its bytes, and no new copy can
    be written where the drive is gone, so it is never queued for a rewrite: kept, its file
    failed there, until the drive answers and the same command runs again
    (``read_error_words``)."""
    why = None if reader is None else reader.unreadable(exc, check.final_path)
    if why is None and reader is None and _drive_gone(check, exc):
        why = read_error_words(exc, share=False)
        outcome.read_failed = f"cannot read {check.final_path}: {describe_os_error(exc)}"
    if why is not None:
        outcome.unreadable = True
        outcome.error = _unreadable_words(check, why)
    else:
        # What to do, in ``offload verify``'s words for the same read (the drive and
        # its cable for an EIO, the share's server for one on a share, ...).
        share = exc.errno == errno.EIO and on_network_share(check.final_path)
        outcome.error = f"cannot read {check.final_path}: {read_error_words(exc, share=share)}"
        if reader is None and _ours_unchecked(check):
            # The same command meets the same copy (an ADOPT, never written over), and
            # --overwrite and --keep-both each read it back first: only --reverify writes
            # a new copy in place of a copy of ours it cannot read.
            outcome.error += f"; {REVERIFY_UNREAD}"
        outcome.read_failed = f"cannot read {check.final_path}: {describe_os_error(exc)}"
        outcome.read_damaged = exc.errno in (errno.EIO, errno.EBADMSG) and not share
    # A reader that watches the job's cancel (S3's streamed GET) stops mid-copy with
    # ECANCELED, and only once the job is cancelled.
    outcome.cancelled = exc.errno == errno.ECANCELED


# What a plain run's failed read of a copy of ours adds (``_copy_unread``).
REVERIFY_UNREAD = "if it stays unreadable, --reverify writes a new copy in its place"


def _ours_unchecked(check: ExistingCopy) -> bool:
    """Whether *check* is a copy of ours read back as an ADOPT without --reverify (its
    ledger entry revoked, its date changed, or revoked keeping its record): one a plain run
    reads, fails to read, and leaves as it is, which ``--reverify`` writes again."""
    return (
        check.kind is CheckKind.ADOPT
        and not check.changed
        and (check.ledger_entry == "revoked" or check.ours or bool(check.revoked_word))
    )


def _drive_gone(check: ExistingCopy, exc: OSError) -> bool:
    """Whether *exc*, the failed read of *check*'s copy on a disk, says its drive (or share)
    went away, *check* being a copy of ours (one ``settle`` would otherwise write again:
    not a plain ADOPT, whose read error is its failure, nothing written either way).

    The errno alone is no proof: a flaky FUSE or sshfs can answer ENOTCONN or ECONNABORTED
    for one file, and on NFS ESTALE usually means the file was replaced on the server. So
    the drive is gone only if the copy's folder no longer answers either (``_answers``);
    else the copy is one that could not be read (written again, ``settle``)."""
    if exc.errno not in DRIVE_GONE_ERRNOS:
        return False
    if check.kind is CheckKind.ADOPT and not check.changed:
        return False
    return not _answers(check.final_path.parent)


def _answers(folder: Path) -> bool:
    """Whether *folder* can be opened and its first entries listed now. Not a ``stat``: a
    FUSE mount answers a ``stat`` from its attribute cache after its program died; an open
    and a listing ask it (a FUSE program that declines opendir still gets the listing), and
    an NFS open revalidates the handle. One batch of entries read, however many there are.
    Never raises."""
    try:
        with os.scandir(folder) as entries:
            next(entries, None)
    except OSError:
        return False
    return True


def _against_record(
    check: ExistingCopy,
    outcome: CheckOutcome,
    record: Mapping[str, str],
    formats: Sequence[str],
    hasher: Callable[[], MediaHasher],
    reader: CopyReader | None,
    on_read: Callable[[int], None] | None = None,
) -> None:
    """*outcome* of a copy read whole, its source not (``source_error``), once compared with
    the digests its ledger entry *record* holds (``recorded``; an ADOPT's ``card_entry``'s):
    in a format of the run's it holds, from the read made; else (a ``-t`` change since)
    in the record's fastest this version computes, the copy read again in it (only now: a
    card file that fails its read is rare, and every other check would pay for that format
    in its read). Equal: ``record_matched`` names the format, the copy kept as it is, its
    entry standing. Unlike: a copy of ours (UPGRADE, REVERIFY) is found wrong
    (``mismatch``); an ADOPT's entry no longer vouches for it (``record_unlike``, its
    entry revoked by ``settle``, the copy kept: nothing is written from a card file that
    cannot be read). Nothing compared (no format computable, or the second read failed):
    ``uncompared`` (revoked as unread), a failed read's error set as a first read's is
    (``_copy_unread``: the copy's own I/O error said). A cancel during the second read:
    ``cancelled``. *on_read*: the copy's read progress, given the second read's bytes."""
    shared = [name for name in formats if name in record]
    digests: Mapping[str, str] = outcome.digests
    if not shared:
        computable = computable_formats(record)
        if not computable:
            outcome.uncompared = True
            return
        shared = [fastest(computable)]
        try:
            if reader is not None:
                digests = reader.hash_copy(check.final_path, shared)
            else:
                digests = hasher()(check.final_path, shared, on_read)
        except CancelledError:
            outcome.cancelled = True
            return
        except OSError as exc:
            _copy_unread(check, outcome, exc, reader)
            outcome.uncompared = True
            return
    for name in shared:
        want = comparable_digest(name, record[name])
        if digests.get(name) != want:
            unlike = (
                f"{check.final_path} differs from the digests recorded when it was "
                f"written ({name} {digests.get(name)}, expected {want})"
            )
            if check.kind is CheckKind.ADOPT:
                outcome.record_unlike = unlike
            else:
                outcome.mismatch = unlike
            return
    outcome.record_matched = shared[0]


def record_matched_words(check: ExistingCopy, name: str) -> str:
    """What a copy read back while its source could not be read proved (``CheckOutcome.
    record_matched``, the format *name* compared): its record, not the card."""
    return (
        f"{check.final_path} was read back and matches the digests recorded when it was "
        f"written ({name}): kept as it is, its ledger entry standing"
    )


def _as_recorded(check: ExistingCopy, outcome: CheckOutcome) -> bool:
    """Whether the copy's read-back equals the digests its ledger entry recorded when it was
    written (at least one of them compared, every one compared equal)."""
    shared = [name for name in outcome.digests if name in check.recorded]
    return bool(shared) and all(outcome.digests[name] == check.recorded[name] for name in shared)


def _card_unlike(
    now: Mapping[str, str], records: Sequence[ExistingCopy], formats: Sequence[str]
) -> tuple[ExistingCopy, str, str] | None:
    """The first record of the card file (a copy's ledger entry, *records*) that its digests
    read *now* differ from: (that copy's check, the digest's name, its value now); None
    when every record agrees with the card."""
    for record in records:
        for name in formats:
            then = record.recorded.get(name)
            if then is not None and name in now and now[name] != comparable_digest(name, then):
                return record, name, now[name]
    return None


def card_unlike_words(record: ExistingCopy, source: Path | str, name: str, now: str) -> str:
    """How the card file *source* differs from *record*'s ledger entry of it (*now*: its
    *name* digest read now): the card changed since it was verified (its entry proven in
    full mode: the card was read twice then, and both reads agreed), or, for an entry made
    from one read of the card (destination, transfer), a disagreement either read may be
    the cause of (a flaky reader)."""
    then = record.recorded.get(name) or record.card_recorded[name]
    return record_unlike_words(
        source, name, now, then, record.recorded_when or "verified", record.recorded_mode
    )


def record_unlike_words(
    source: Path | str, name: str, now: str, then: str, when: str, mode: str
) -> str:
    """How the card file *source* differs from a ledger entry of it (its *name* digest
    *now*, *then* recorded; *when*: how and when the entry proved its copy, ``ledger.
    proven_when``; *mode*: its verify mode): ``card_unlike_words``, and the same sentence for
    an entry of a copy trusted elsewhere (``trusted_copies.TrustedCopies.card_unlike``)."""
    if mode == "full":
        return f"{source} differs from what was {when} ({name} {now} now, {then} then)"
    return (
        f"{source} and the record of it disagree ({name} {now} read now, {then} recorded "
        f"when it was {when} from one read of the card): one read of either may have been wrong"
    )


def records_disagree_words(source: Path | str, how: str) -> str:
    """A card file *source* whose destinations' records disagree (*how*: on which digest,
    recorded with which copies), in ``card_unlike_words``' kind: its bytes cannot read as
    both, so nothing is written from it."""
    return (
        f"{source}: the destinations' records of it disagree ({how}): the card changed "
        "between those offloads, or one read of it was wrong"
    )


#: What to do about a card file unlike its record (``card_unlike_words``).
CARD_UNLIKE_REMEDY = (
    "check the card (a changed file, bit rot, or a flaky reader: read it again); to copy the "
    "card's file as it is now too, copy the card with --into another folder or to a new "
    "copy root"
)


def card_changed_words(check: ExistingCopy, card_unlike: str) -> str:
    """The failure, on *check*'s destination, of a card file unlike its record
    (*card_unlike*: ``card_unlike_words``): what became of the copy there (nothing was
    written over it: the card's bytes now are bytes nothing verified) and what to do."""
    return f"{card_unlike}; {_copy_kept_words(check)}: {CARD_UNLIKE_REMEDY}"


def card_file_words(card_unlike: str) -> str:
    """The failure of the card's file itself (its ``FileResult.source_error``) read unlike
    its record (*card_unlike*: ``card_unlike_words``): nothing of it was written, and what
    to do. Its copies' results say what became of each (one as its record: verified)."""
    return f"{card_unlike}; nothing was written from it: {CARD_UNLIKE_REMEDY}"


def rewrite_reference(check: ExistingCopy, *, bridged: bool = False) -> str:
    """The ``FileTask.reference_origin`` of the card file whose copy of ours *check* found
    wrong, when the copy is written again (over it, or beside it with ``--keep-both``): the
    engine reads the card file for the new copy and checks it against the ledger's record
    of it (``ExistingCopy.card_recorded``) before a byte is committed anywhere, so a card
    file changed since it was offloaded (bit rot, an edit with its date put back) is not
    trusted as the source of the rewrite where no check read it (a copy wrong by its size
    alone, ``--verify destination`` or ``transfer``). Unlike it, the file fails on every
    destination its job writes, nothing written, in the engine's line ``<card file> does
    not match <this>: <digest> read, <recorded> expected``: whether the card changed (the
    record proven in full mode, the card read twice then) or either read may have been
    wrong (``card_unlike_words``), and what to do. *bridged*: the record shares no format
    with the run's: the engine compares the card file with its read earlier in the run,
    which found it as that record in the record's own formats (``record_formats``)."""
    when = check.recorded_when or "verified"
    if bridged:
        # The digest expected is that read's, never the ledger's (which records none in the
        # run's formats): said so.
        what = (
            f"its read earlier in this run, which matched the ledger's record of it in "
            f"{', '.join(check.card_recorded)}"
        )
        how = f"its copy {when}; the card's file changed since that read, or either read was wrong"
    elif check.recorded_mode == "full":
        what, how = "the ledger's record of it", f"its copy {when}: the card's file changed since"
    else:
        what = "the ledger's record of it"
        how = f"its copy {when} from one read of the card: either read may have been wrong"
    return (
        f"{what} ({how}; nothing was written from it: check the card, a "
        "changed file, bit rot, or a flaky reader: read it again; a run with --overwrite and "
        "without --reverify would copy it as it is now)"
    )


def _rewrite_source(stand_in: bool) -> str:
    """What a copy of ours found wrong is written again from, on the condition it reads as
    recorded (``rewrite_reference``): the card's file, or, *stand_in*, a fast copy's file
    standing in for the absent card (the card is not read)."""
    if stand_in:
        return "a fast copy's file that reads as the card's digests its ledger recorded"
    return "the card's file as the ledger recorded it"


def _copy_kept_words(check: ExistingCopy, *, wrong: bool = False, absent: bool = False) -> str:
    """What became of *check*'s copy where its source read unlike its record: kept as it
    is. *wrong*: unlike its own record too; *absent*: the source was a fast copy standing
    in for the absent card (the card was not read)."""
    if wrong:
        read = "the fast copy's" if absent else "the card's"
        return (
            f"the copy {check.final_path} is unlike its own record too (found wrong, its "
            f"ledger entry revoked) and is kept, not written over with {read} bytes, "
            "which nothing verified"
        )
    if check.kind is CheckKind.ADOPT:
        return f"{check.final_path} is kept as it is, neither adopted nor written over"
    return f"the copy {check.final_path} still matches that record and is kept, not written over"


def _card_changed(
    check: ExistingCopy, outcome: CheckOutcome, card_unlike: str, *, beside_trusted: bool = False
) -> CheckOutcome:
    """*outcome* for a card file whose digests read now differ from a record of it (how, in
    words: *card_unlike*, ``card_unlike_words``; or a fast copy standing in for its card
    unlike the card's digests, ``check_existing``'s *on_source_unlike*) (a SOURCE
    error for the file, ``settle``: nothing of it is written anywhere): a copy of ours as
    its own record is ``matched`` (it holds what was offloaded: verified against its
    record, at destination level, the card not proven), one unlike it is found wrong
    (``mismatch``), any other (an adopted file, a copy whose date changed, compared with
    the card alone) kept as it is, failed, and none is written with the card's bytes.
    *beside_trusted*: the card file is unlike the entry of a copy trusted on another
    destination (*card_unlike*: ``trusted_copies.TrustedCopies.card_unlike``): a copy of
    ours as its own record is kept as it is, failed, neither verified nor upgraded (it and
    the trusted copy cannot both be right), its entry as it was."""
    outcome.card_unlike = card_unlike
    outcome.source_digests = {}
    outcome.source_error = None
    ours = check.recorded and check.kind is not CheckKind.ADOPT
    as_recorded = ours and _as_recorded(check, outcome)
    if as_recorded and not beside_trusted:
        outcome.matched = True
        return outcome
    if as_recorded:
        outcome.source_error = (
            f"{card_unlike}; the copy {check.final_path} matches its own record and is kept "
            f"as it is, neither verified nor written over: {CARD_UNLIKE_REMEDY}"
        )
        return outcome
    if ours:
        unequal = (n for n, v in check.recorded.items() if outcome.digests.get(n, v) != v)
        got = next(unequal, next(iter(check.recorded)))
        outcome.mismatch = (
            f"{check.final_path} differs from the digests recorded when it was written "
            f"({got} {outcome.digests.get(got)}, expected {check.recorded.get(got)})"
        )
    outcome.source_error = (
        f"{card_unlike}; {_copy_kept_words(check)}"
        if outcome.card_absent
        else card_changed_words(check, card_unlike)
    )
    return outcome


class FoundWrong(NamedTuple):
    """A copy of ours that its read-back found wrong (or could not read): *reason* says how
    (it names the copy). Reported once the run knows what became of it
    (:func:`found_wrong_warnings`)."""

    relative_path: str
    destination_index: int
    final_path: str
    reason: str
    # What it is, in the words the report gives a copy kept (a verb phrase; empty: "was
    # read back and found different from the card").
    unread: str = ""
    # Kept as it is (``--keep-both``): the new copy was written beside it, not over it.
    kept: bool = False


class SettledTasks:
    """The tasks of a run once the existing copies are settled.

    ``tasks``: the main job's (a proven copy is a preset result, a copy to make is a target);
    ``replace_tasks``: copies of ours proven wrong, to copy again and rename over the bad one
    (run with the overwrite policy); ``warnings``: one line per copy that did not match (the
    events', as it is found); ``found_wrong``: those copies, for the job report.
    """

    __slots__ = (
        "found_wrong",
        "replace_tasks",
        "source_cache_bypass",
        "source_digests",
        "tasks",
        "warnings",
    )

    def __init__(self, tasks: list[FileTask], replace_tasks: list[FileTask]) -> None:
        self.tasks = tasks
        self.replace_tasks = replace_tasks
        # (message, path, code): ``copy-no-longer-matches``, or ``copy-unreadable`` for a
        # copy whose read-back failed (not found damaged).
        self.warnings: list[tuple[str, str, str]] = []
        self.found_wrong: list[FoundWrong] = []
        self.source_digests: dict[str, dict[str, str]] = {}  # by relative path
        # How each of those reads that proved a copy avoided the page cache, by relative path.
        self.source_cache_bypass: dict[str, CacheBypass] = {}


def settle(
    tasks: Sequence[FileTask],
    checks: Sequence[ExistingCopy],
    outcomes: Sequence[CheckOutcome],
    ledgers: Sequence[Ledger | None],
    *,
    verify: str,
    policy: ExistingFilePolicy,
    stand_in: bool = False,
    protected: bool = False,
) -> SettledTasks:
    """Turn the outcomes into preset results, targets and re-copies; record proven copies in
    their destination's ledger (durably) and revoke the entries of copies proven wrong.
    *stand_in*: the tasks' source is a fast copy standing in for the absent card (a cascade
    re-run without it), which is what a copy found wrong is written again from.
    *protected*: a copy never to be overwritten is in the run's way as the plan found it
    (``OffloadPlan.holds_protected``, not its guess of what this read-back may refuse): a
    refusal here offers no --overwrite first either
    (``remedies.in_the_way``); nor where this read-back refuses one itself (an earlier
    take's copy or another card's found different, ``remedies.NEVER``): every refusal's
    kind is decided first, its words after, alike for all.

    A check without an outcome (cancelled before it was reached) becomes a CANCELLED result.
    Raises nothing for I/O: a ledger that cannot be written makes that copy FAILED. A
    destination without a ledger (None: the one-file path, ``api``, keeps none) has only
    ADOPT checks: a copy found equal is VERIFIED by this run's read-back alone, recorded
    nowhere (the next run reads it back again).
    """
    # Only the tasks a check touched get new targets or presets (a task is kept for the
    # whole job: the others are passed on as they are, not copied).
    targets: dict[int, list[str | None]] = {}
    presets: dict[int, list[DestinationFileResult]] = {}
    for check in checks:
        task = tasks[check.task_index]
        targets.setdefault(check.task_index, list(task.targets))
        presets.setdefault(check.task_index, list(task.preset))
    replace: dict[int, dict[int, str]] = {}
    settled = SettledTasks([], [])
    reached = {id(o.check): o for o in outcomes}
    # A copy read back from the media now is proven at least at destination level.
    proven_mode = "destination" if verify == "transfer" else verify
    # The proofs of the copies found equal, by destination: recorded together below.
    proofs: dict[int, list[_Proven]] = {}
    # The copies of ours whose ledger entries are revoked, by destination: together below.
    revoking: dict[int, list[_Revoking]] = {}
    # The card files found unlike their record (by any destination's read of the card):
    # none of their copies is written again, on any destination.
    card_unlike = {o.check.task_index: o.card_unlike for o in outcomes if o.card_unlike}
    # ... those of them the card's read found so: the card file's own failure (a
    # ``source_error``, whatever became of its copies: one as its record is verified).
    card_read_unlike = dict(card_unlike) if card_unlike else card_unlike
    # ... those a fast copy standing for its absent card read so: their words the line.
    # (Looked for only where a card file is unlike: no pass over the usual run's outcomes.)
    card_absent = {o.check.task_index for o in outcomes if o.card_absent} if card_unlike else ()
    # The card files whose copies of ours found wrong are written again: by task index, the
    # checks whose records the card file must still read as (``rewrite_reference``).
    rewritten: dict[int, list[ExistingCopy]] = {}
    # ... the card files read as such a record in its own formats, none of them the run's:
    # their digests in the run's formats from that read (``CheckOutcome.card_as_recorded``),
    # with the check whose record it matched (the first), for the words.
    as_recorded: dict[int, tuple[ExistingCopy, Mapping[str, str]]] = {}
    # ... and those whose records of the card disagree: written again nowhere.
    _records_disagree(tasks, outcomes, card_unlike)
    # Each copy root's ASC MHL history, read only for a file in the way found different
    # (``_recorded_as_card``), once a destination.
    histories: dict[int, History | None] = {}
    # The refusals worded by whether --overwrite may be offered: worded once every kind is
    # decided (a copy never to be overwritten refused by this read-back: by none of them).
    unworded: list[tuple[DestinationFileResult, Callable[[bool], str]]] = []
    for check in checks:
        task = tasks[check.task_index]
        relative = task.source.relative_path
        outcome = reached.get(id(check))
        result = DestinationFileResult(
            destination_index=check.destination_index,
            final_path=str(check.final_path),
            status=DestinationStatus.FAILED,
        )
        if outcome is None:
            # Never reached: the copy there is as it was (nothing of it written or removed),
            # its ledger entry untouched. ``action``: what the run set out to do there, as
            # for one that could not be read (never ``copied``: this run wrote nothing).
            result.status = DestinationStatus.CANCELLED
            result.error = CHECK_CANCELLED
            result.action = (
                CopyAction.ADOPTED
                if check.kind is CheckKind.ADOPT and not check.changed
                else CopyAction.RECHECKED
            )
        elif outcome.source_digests and check.task_index not in card_read_unlike:
            # (A card file found unlike a record of it by another copy's check: no read of
            # it proved a copy, none is its digests nor the full mode's second read.)
            settled.source_digests[relative] = outcome.source_digests
            if outcome.matched and not outcome.error:
                # The read proved a copy: the full mode's second read of that card file.
                settled.source_cache_bypass[relative] = outcome.source_cache_bypass
        if outcome is not None and outcome.card_as_recorded:
            # (One read of the card file a task: every such check's is that read's.)
            as_recorded.setdefault(check.task_index, (check, outcome.card_as_recorded))
        if outcome is None:
            pass
        elif check.beside and (outcome.error or outcome.source_error) and not outcome.cancelled:
            # A file at a keep-both name that could not be read (another tool's, a bad
            # sector; or the card file could not be read to compare it): nothing says it is
            # ours, so it is not the card file's failure: the new copy is kept beside the
            # file at the planned name, as any file in the way (the engine reads the card).
            targets[check.task_index][check.destination_index] = check.beside
            continue
        elif outcome.source_error and not outcome.mismatch:
            # The source (a card file, or a fast copy standing for its card) could not be
            # used: the copy there is kept as it is, nothing written. ``action``: what the run
            # set out to do there, as for a cancelled check (never ``copied``).
            result.error = outcome.source_error
            result.action = (
                CopyAction.ADOPTED
                if check.kind is CheckKind.ADOPT and not check.changed
                else CopyAction.RECHECKED
            )
            if outcome.record_matched:
                # Read back, equal to its record (``_against_record``): the copy is kept and
                # its entry stands; only the source is unproven.
                result.error += f"; {record_matched_words(check, outcome.record_matched)}"
            elif (outcome.error or outcome.uncompared or outcome.record_unlike) and (
                not outcome.cancelled
                # (An ADOPT's only where an entry of this card file at its name has it:
                # ``card_entry``, the entry then revoked.)
                and (check.kind is not CheckKind.ADOPT or check.card_entry is not None)
                and not check.changed
                and ledgers[check.destination_index] is not None
            ):
                # The source unreadable or unlike its digests (a fast copy standing for the
                # card), and this copy of ours unreadable too (an EIO, a refused GET: as a
                # run whose source reads revokes a copy it cannot read), or read and compared
                # with nothing: its entry no longer vouches for it (the next run reads it
                # back; the revocation line keeps the entry it ended); its error says so. So
                # too an ADOPT's unlike the entry of the card file at its name
                # (``record_unlike``): said, the copy kept.
                if outcome.error:
                    # The copy is kept, not replaced: its read error's remedy stands (a local
                    # EIO is evidence of damage: the drive and its cable, ``read_error_words``).
                    result.error += f"; {outcome.error}"
                if outcome.record_unlike:
                    result.error += f"; {outcome.record_unlike}"
                revoking.setdefault(check.destination_index, []).append(
                    _Revoking(
                        check,
                        relative,
                        result,
                        unread=True,
                        beside=not outcome.record_unlike,
                        unlike=bool(outcome.record_unlike),
                    )
                )
        elif (
            outcome.matched
            and check.task_index in card_read_unlike
            and not outcome.card_unlike
            and check.kind is CheckKind.ADOPT
            and not check.changed
        ):
            # Equal to a card file another destination's copy found unlike its entry there
            # (``as_its_entry``, in that copy's thread): kept, not adopted, as a check that
            # compared the card with its record first keeps it (``_card_changed``).
            result.error = card_changed_words(check, card_read_unlike[check.task_index])
            result.action = CopyAction.ADOPTED
        elif outcome.matched:
            # VERIFIED once its proof is recorded (_record_proofs), else FAILED as it stands.
            # A copy as its record while the card's file reads unlike it: proven against
            # what was offloaded, not against the card (destination level, whatever --verify).
            result.error = _give_source_mtime(check, outcome, task)
            if result.error is None:
                mode = "destination" if outcome.card_unlike else proven_mode
                proofs.setdefault(check.destination_index, []).append(
                    _Proven(check, outcome, result, _proof(check, outcome, task, mode))
                )
        elif outcome.unreadable:
            # Neither proven nor found wrong (an object store refused the read, or kept
            # failing; a disk's drive went away as it was read, ``_drive_gone``): kept as it
            # is (nothing proved it wrong, and a copy of ours written over it would replace
            # an object, S3 having no rename; a drive gone takes no new copy), the file
            # failed here, never written again in this run (a rewrite that failed would be
            # worded as one of a copy found wrong, ``settle_rewrites``).
            # ``action``: what the run set out to do there. The ledger entry that vouched
            # for it (a re-check of a copy as recorded: its ETag and size) is revoked, as
            # ``offload verify`` revokes an object whose GET failed (``s3revoke``): left
            # standing, the next plain run would call it verified although the last attempt
            # to read it failed; that run reads it back instead (adopted if equal).
            result.error = outcome.error
            if check.kind is not CheckKind.ADOPT or check.changed:
                result.action = CopyAction.RECHECKED
                if not check.changed and ledgers[check.destination_index] is not None:
                    # Its error says what became of the entry once revoked (below).
                    revoking.setdefault(check.destination_index, []).append(
                        _Revoking(
                            check,
                            relative,
                            result,
                            unread=True,
                            disk=outcome.read_failed is not None,
                        )
                    )
        elif (
            check.kind is CheckKind.ADOPT
            and not check.changed
            and not _kept_ours(check, outcome, policy, ledgers)
        ):
            # Refused or unreadable, nothing written: what the run set out to do there was
            # to adopt it (never ``copied``; docs/json.md). Kept beside: the main job's.
            result.action = CopyAction.ADOPTED
            if outcome.error:
                result.error = outcome.error
            elif (
                policy is ExistingFilePolicy.FAIL
                and check.earlier
                and not _equal_in_shared(check.earlier_digests, outcome.digests)
                and (recorded := _equal_in_shared(check.earlier_digests, outcome.source_digests))
            ):
                # The ledger's entry records the card's content as read now (only its date
                # changed), the copy read back unlike it: damaged in place, not another take.
                unworded.append(
                    (
                        result,
                        partial(_damaged_in_place_words, check, recorded),
                    )
                )
                result.refusal = Refusal.IN_THE_WAY
            elif (
                policy is ExistingFilePolicy.FAIL
                and remedies.is_earlier(check.earlier)
                and any(name in check.earlier_digests for name in outcome.digests)
                and not _equal_in_shared(check.earlier_digests, outcome.digests)
            ):
                # Read back unlike what its entry recorded, the card's file unlike it too:
                # a damaged copy of an earlier take (or of the card file before it changed),
                # maybe that take's only copy: kept first, never --overwrite first.
                damaged = remedies.as_damaged(check.earlier)
                result.error = (
                    f"{check.final_path} already exists with other content; not overwritten "
                    f"({remedies.in_the_way(damaged)})"
                )
                result.refusal = remedies.in_the_way_refusal(damaged)
            elif (
                policy is ExistingFilePolicy.FAIL
                and check.earlier
                # (No format shared, a run in other formats than the entry's: its size and
                # date as recorded are all that is known of it, as before the read-back.)
                and (
                    _equal_in_shared(check.earlier_digests, outcome.digests)
                    or not any(name in check.earlier_digests for name in outcome.digests)
                )
            ):
                result.error = (
                    f"{check.final_path} already exists with other content; not overwritten "
                    f"({remedies.in_the_way(check.earlier)})"
                )
                result.refusal = remedies.in_the_way_refusal(check.earlier)
            elif policy is ExistingFilePolicy.FAIL and (check.other_card or outcome.other_content):
                result.error = (
                    f"{check.final_path} already exists with other content; "
                    f"{check.other_card or outcome.other_content}; not overwritten "
                    f"({remedies.another_card()})"
                )
                result.refusal = Refusal.ANOTHER_CARD
            elif (
                policy is ExistingFilePolicy.FAIL
                and outcome.as_its_entry
                and check.ledger_entry not in _NOT_THE_FILE_VERIFIED
            ):
                unworded.append(
                    (
                        result,
                        partial(_changed_since_entry_words, check, outcome),
                    )
                )
                result.refusal = Refusal.IN_THE_WAY
            elif (
                policy is ExistingFilePolicy.FAIL
                # A clone's ledger entry (``ledger.same_file``) vouches for another file:
                # its words below, not "no ledger entry there records it".
                and check.ledger_entry not in _NOT_THE_FILE_VERIFIED
                and (recorded := _recorded_as_card(check, outcome, ledgers, histories))
            ):
                # No ledger vouches for it (deleted, lost), but the copy root's own history
                # records the card's content at its path: a damaged copy, not another file.
                unworded.append(
                    (
                        result,
                        partial(_history_damaged_words, check, recorded),
                    )
                )
                result.refusal = Refusal.IN_THE_WAY
            elif policy is ExistingFilePolicy.FAIL:
                # A clone of a copy of ours (``ledger.same_file``): its entry's words.
                clone = _NOT_THE_FILE_VERIFIED.get(check.ledger_entry, "")
                unworded.append(
                    (
                        result,
                        partial(_other_content_refused_words, check, clone),
                    )
                )
                result.refusal = remedies.in_the_way_refusal(in_the_way_word(check))
            else:
                # (Beside the file at the planned name, never beside a kept copy found
                # different: the committer takes the first free name from there.)
                where = check.beside or str(check.final_path)
                targets[check.task_index][check.destination_index] = where
                continue
        else:
            # Our own copy, provably wrong (or unreadable): say so by name, stop trusting it
            # durably, and copy it again from the source. (One that changed since it was
            # recorded: how, then what its read-back found.)
            # With --keep-both, kept as it is and the new copy written beside it (the main
            # job, under a keep-both name): no record ties a copy to one inode (a file
            # written over ours since looks the same), and keep-both asks that nothing in
            # the way be lost.
            stays = check.task_index in card_unlike
            kept = policy is ExistingFilePolicy.KEEP_BOTH and not stays
            # A read that failed proves nothing of the bytes (EACCES: an intact copy): said
            # as unread, never as no longer matching (what --reverify does is the same).
            unread = _kept_words(check, outcome) == COULD_NOT_READ
            # A local disk's I/O error: evidence of damage, said as what it is.
            failing = _kept_words(check, outcome) == IO_ERROR
            # Replaced by a new copy: the read error's remedy (read access, the drive and
            # its cable, then again) is not what to do any more.
            replaced = (unread or failing) and not kept and not stays
            failed = (outcome.read_failed or outcome.error) if replaced else outcome.error
            reason = outcome.mismatch or failed or "differs"
            if check.changed and not found_wrong_unread(check):
                reason = f"{check.changed}; {reason}"
            elif (check.ours or check.replaced) and not check.changed:
                # A plain --keep-both run (``_kept_ours``): how it changed, as --reverify's.
                # (``recorded_when``: "verified on <date>", ``ledger.proven_when`` joined.)
                verb, _, when = check.recorded_when.partition(" on ")
                copy = (
                    f"the copy {verb} there{' on ' + when if when else ''}"
                    if verb
                    else "the copy its ledger recorded there"
                )
                # An S3 object cannot change in place: another writer stored it over ours,
                # as its recorded ETag tells (without one, never more than "not that one").
                how = (
                    f"is another object than {copy} (another writer stored it over ours since)"
                    if check.replaced and check.replaced_etag
                    else f"is not {copy}"
                    if check.replaced
                    else f"has another date than {copy}"
                )
                reason = f"{check.final_path} {how}; {reason}"
            if stays:
                # Its source found unlike its record: the card's own file (then the card's
                # remedy, ``CARD_UNLIKE_REMEDY``, is appended) or, without the card
                # (``card_absent``), a fast copy standing in for it, where that remedy is
                # none of it: the source's words say what to do.
                absent = check.task_index in card_absent
                unlike = (
                    "the fast copy standing in for the card is unlike the card's digests too"
                    if absent
                    else "the card's file is unlike its record too"
                )
                doing = f"not copied again ({unlike})"
                result.action = CopyAction.RECHECKED
                result.error = f"{card_unlike[check.task_index]}; " + _copy_kept_words(
                    check, wrong=True, absent=absent
                )
                if not absent:
                    result.error += f": {CARD_UNLIKE_REMEDY}"
            elif outcome.source_error:
                # Found unlike its own record, its source unreadable: nothing to copy from.
                doing = "not copied again: its source could not be read"
            elif kept:
                doing = "kept as it is (--keep-both), copying it again beside it"
            else:
                doing = "copying it again"
            said = reason
            if check.card_recorded and not stays:
                # Not yet written: the card is checked against its record as it is read
                # (``rewrite_reference``); unlike it, nothing is (the file's failure says so).
                said = f"{reason} (only from {_rewrite_source(stand_in)})"
            who = _WHO_REPLACES.get(check.kind, "--reverify")
            what = (
                f"copy could not be read back (not found damaged; {who} writes a new copy in "
                "place of a copy of ours it cannot read)"
                if replaced and unread
                else "copy could not be read back (not found damaged)"
                if unread
                else f"copy {IO_ERROR}"
                if failing
                else "copy no longer matches"
            )
            code = UNREADABLE_CODE if unread else FOUND_WRONG_CODE
            settled.warnings.append((f"{what}, {doing}: {said}", str(check.final_path), code))
            settled.found_wrong.append(
                FoundWrong(
                    relative,
                    check.destination_index,
                    str(check.final_path),
                    reason,
                    _kept_words(check, outcome),
                    kept,
                )
            )
            assert ledgers[check.destination_index] is not None  # only a ledger's entry
            # makes a copy ours to recheck: revoked below, then copied again.
            revoking.setdefault(check.destination_index, []).append(
                _Revoking(check, relative, result, unread=False, kept=kept, stays=stays)
            )
            continue
        presets[check.task_index].append(result)
    # Every kind decided: a copy never to be overwritten refused here (or by the plan, in a
    # preset) and no refusal offers --overwrite first.
    if unworded:
        protected = protected or remedies.refuses_never(
            r.refusal for results in presets.values() for r in results
        )
        for result, words_of in unworded:
            result.error = words_of(protected)
    # One revocation per ledger (not one per copy: on a bucket each reads the whole ledger
    # and stores one more ledger object, which every later run reads).
    for index, revoked in revoking.items():
        ledger = ledgers[index]
        assert ledger is not None
        failure = _revoke(ledger, [item.relative for item in revoked])
        for item in revoked:
            if item.unread:
                assert item.result.error is not None  # _unreadable_words'
                item.result.error = _unread_words(
                    item.result.error,
                    failure,
                    beside=item.beside,
                    unlike=item.unlike,
                    disk=item.disk,
                )
            elif failure is not None:
                item.result.error = (
                    f"cannot revoke {item.relative} in its ledger: {describe_os_error(failure)}"
                )
                presets[item.check.task_index].append(item.result)
            elif item.stays:
                presets[item.check.task_index].append(item.result)
            else:
                if item.check.card_recorded:
                    rewritten.setdefault(item.check.task_index, []).append(item.check)
                if item.kept:
                    targets[item.check.task_index][index] = str(item.check.final_path)
                else:
                    again = replace.setdefault(item.check.task_index, {})
                    again[index] = str(item.check.final_path)
    for index, proven in proofs.items():
        _record_proofs(ledgers[index], proven)
    _write_nowhere(checks, card_unlike, targets, presets)
    if rewritten:  # (no look-up a task in the usual run, which rewrites nothing)
        tasks = list(tasks)
        for index, found in rewritten.items():
            # A card file its own ASC MHL history records is checked against that already.
            if not tasks[index].reference_digests:
                # Every record agrees where they share a digest (``_records_disagree``):
                # the card must read as all of them.
                reference: dict[str, str] = {}
                for check in found:
                    reference.update(check.card_recorded)
                # Records sharing no format with the run's: the card file's read that found
                # it as them, in the run's formats, is what the engine's read can compare;
                # never in place of a record's own digest in that format (another
                # destination's record, in the run's formats: the card must read as it).
                worded, bridged = found[0], False
                if index in as_recorded:
                    bridging, read = as_recorded[index]
                    added = {n: v for n, v in read.items() if n not in reference}
                    if added:
                        reference.update(added)
                        worded, bridged = bridging, True
                tasks[index] = dataclasses.replace(
                    tasks[index],
                    reference_digests=reference,
                    reference_origin=rewrite_reference(worded, bridged=bridged),
                )
    for index, task in enumerate(tasks):
        if index in targets:
            task = dataclasses.replace(
                task, targets=tuple(targets[index]), preset=tuple(presets[index])
            )
            if index in card_read_unlike:  # (none in the usual run)
                words = card_unlike[index]
                if index not in card_absent:
                    words = card_file_words(words)
                task = dataclasses.replace(task, source_error=words)
        settled.tasks.append(task)
        if index in replace:
            settled.replace_tasks.append(
                dataclasses.replace(
                    task,
                    targets=tuple(replace[index].get(i) for i in range(len(task.targets))),
                    preset=(),
                )
            )
    return settled


def _kept_ours(
    check: ExistingCopy,
    outcome: CheckOutcome,
    policy: ExistingFilePolicy,
    ledgers: Sequence[Ledger | None],
) -> bool:
    """Whether *check*'s copy, read back under ``--keep-both`` without ``--reverify`` and
    found different from the card, is a copy of ours: one whose ledger entry makes it ours
    (its date changed since, ``ExistingCopy.ours``; or found wrong before and revoked with
    its record kept, ``revoked_word``; or an S3 object of ours another writer replaced,
    ``ExistingCopy.replaced``). Such a copy is found wrong (``copy-no-longer-matches``,
    its entry revoked) and kept beside the new copy, as ``--reverify --keep-both`` keeps it:
    never a plain "kept both" that hides that the file at the card's name is our own damaged
    copy, which the copy root's ASC MHL history records as the card's (its check fails)."""
    return (
        policy is ExistingFilePolicy.KEEP_BOTH
        and bool(check.ours or check.revoked_word or check.replaced)
        and not (outcome.error or outcome.unreadable or outcome.matched)
        and not (check.other_card or check.beside)
        and ledgers[check.destination_index] is not None
    )


def _found_wrong(check: ExistingCopy, outcome: CheckOutcome) -> bool:
    """Whether *outcome* finds *check*'s copy of ours wrong, to be written again (``settle``'s
    last branch): read, neither proven nor unreadable, its source usable, and ours."""
    return not (
        (outcome.source_error and not outcome.mismatch)
        or outcome.matched
        or outcome.unreadable
        or (check.kind is CheckKind.ADOPT and not check.changed)
    )


def _records_disagree(
    tasks: Sequence[FileTask], outcomes: Sequence[CheckOutcome], card_unlike: dict[int, str]
) -> None:
    """Add to *card_unlike* (by task index, its words) each card file whose copies found
    wrong on two destinations come with ledger records of the card file that disagree on
    a digest both recorded (``ExistingCopy.card_recorded``; one destination offloaded it
    before the card changed, another after), or where the card file's read that matched
    one record in that record's own formats (``CheckOutcome.card_as_recorded``: none of
    them the run's) is unlike the other record in a format they share: the card's bytes
    cannot read as both, so none of its copies is written again, on any destination.
    Checked before anything is written, whatever the order of the destinations (one
    record alone as the rewrite's reference would pass or fail the card, and word its
    line, by which destination came first)."""
    found: dict[int, list[CheckOutcome]] = {}
    for outcome in outcomes:
        check = outcome.check
        if check.card_recorded and _found_wrong(check, outcome):
            found.setdefault(check.task_index, []).append(outcome)
    for index, wrong in found.items():
        if len(wrong) < 2 or index in card_unlike:
            continue  # (the usual run: no copy found wrong, or one)
        words = next(
            (w for i, a in enumerate(wrong) for b in wrong[i + 1 :] if (w := _disagree(a, b))),
            "",
        )
        if words:
            card_unlike[index] = records_disagree_words(tasks[index].source.path_text, words)


def _disagree(first: CheckOutcome, second: CheckOutcome) -> str:
    """How the records of the card file of two copies found wrong disagree, in words; ""
    where they do not: a digest both record, or the card file's read that matched one
    record in its own formats against the other's in a format they share."""
    one, two = first.check, second.check
    for name, then in one.card_recorded.items():
        other = two.card_recorded.get(name)
        if other is not None and other != then:
            return f"{name} {then} recorded with {one.final_path}, {other} with {two.final_path}"
    for read, record in ((first, two), (second, one)):
        as_recorded = read.card_as_recorded
        for name, recorded in record.card_recorded.items():
            now = as_recorded.get(name)
            if now is not None and now != comparable_digest(name, recorded):
                matched = ", ".join(read.check.card_recorded)
                return (
                    f"it reads now as its record with {read.check.final_path} ({matched}), "
                    f"as {name} {now}, not as the {name} {recorded} recorded with "
                    f"{record.final_path}"
                )
    return ""


def _write_nowhere(
    checks: Sequence[ExistingCopy],
    card_unlike: dict[int, str],
    targets: dict[int, list[str | None]],
    presets: dict[int, list[DestinationFileResult]],
) -> None:
    """Take every target of the card files in *card_unlike* (by task index: unlike their
    record on some destination): the card's bytes now are bytes nothing verified, so none is
    written anywhere, a destination with no copy yet (added to the run) included. Each
    target taken is a FAILED result with the card-unlike words; ``action`` is what the run
    meant to do there (``copied`` where no copy was checked, as for any failed copy)."""
    if not card_unlike:
        return  # the usual run: nothing to look up
    checked = {(c.task_index, c.destination_index): c for c in checks}
    for index, unlike in card_unlike.items():
        wanted = targets[index]
        for destination, target in enumerate(wanted):
            if target is None:
                continue
            wanted[destination] = None
            check = checked.get((index, destination))
            action = CopyAction.COPIED
            if check is not None:
                action = (
                    CopyAction.ADOPTED
                    if check.kind is CheckKind.ADOPT and not check.changed
                    else CopyAction.RECHECKED
                )
            presets[index].append(
                DestinationFileResult(
                    destination_index=destination,
                    final_path=target,
                    status=DestinationStatus.FAILED,
                    action=action,
                    error=(
                        f"{unlike}; not copied to {target} (the card's bytes now are bytes "
                        f"nothing verified): {CARD_UNLIKE_REMEDY}"
                    ),
                )
            )


# ``FULL_ERRNOS`` (``offload.errors``): a destination that is full, in the job that writes
# again the copies found wrong, fails those rewrites, it is not lost.


def unread_rewrites(found: Sequence[FoundWrong]) -> frozenset[tuple[str, int]]:
    """The copies of ours of *found* (``SettledTasks.found_wrong``) written again in place
    because their read-back failed (read access refused, a disk's I/O error: ``_kept_words``
    ``COULD_NOT_READ``, ``IO_ERROR``), never found different from the card: (relative path,
    destination index) each. Their rewrite's failure names ``--reverify``, not
    ``--overwrite`` (``settle_rewrites``)."""
    return frozenset(
        (wrong.relative_path, wrong.destination_index)
        for wrong in found
        if wrong.unread in (COULD_NOT_READ, IO_ERROR) and not wrong.kept
    )


def wholly_unread(
    unread: frozenset[tuple[str, int]], rewrites: Iterable[tuple[str, int]]
) -> frozenset[int]:
    """The destinations where every rewrite of *rewrites* (a job's: pairs of a file's path
    and the index of a destination it is written to) is a copy of *unread*
    (``unread_rewrites``) there: a failure of such a destination as a whole is worded for
    copies that could not be read back alone (``remedies.rewrite_failed``). A destination
    no rewrite targets is none of them. The one rule of the job's report
    (``settle_rewrites``) and of its live events (``card._PlannedWorkAnnouncer``)."""
    if not unread:
        return frozenset()
    targeted: set[int] = set()
    read: set[int] = set()
    for path, index in rewrites:
        targeted.add(index)
        if (path, index) not in unread:
            read.add(index)
    return frozenset(targeted - read)


def settle_rewrites(report: JobReport, unread: frozenset[tuple[str, int]] = frozenset()) -> None:
    """Word what failed in *report*, the job that writes again the copies of ours found
    wrong (``SettledTasks.replace_tasks``): each failure names ``--overwrite``, the remedy
    that works (``remedies.rewrite_failed``). A destination this job lost for want of room
    (``DestinationSummary.lost_full``: ENOSPC, EDQUOT, or fusefat's EPERM with no free space
    left) is not lost: the main job's copies there stand, only the rewrites
    failed (each its file's failure); the full drive stopped them, and nothing more is
    written there in this job anyway (its ``DestinationLost`` event is not passed on:
    ``card._PlannedWorkAnnouncer``). Any other loss (a drive gone) stays a loss. A rewrite
    keeps ``action`` ``copied``: the copy of ours it replaced is named by its own warning
    (``copy-no-longer-matches``), and ``replaced`` is for what ``--overwrite`` replaced.

    *unread* (``unread_rewrites``): the rewrites of copies whose read-back failed, never
    found different from the card: a failure of one names ``--reverify``, and has no
    refusal kind (``REWRITE_FAILED`` would list it in the run record's ``in_the_way``, and
    ``offload verify`` advise ``--keep-both`` for a file no run refuses as in the way)."""
    whole = wholly_unread(
        unread,
        ((f.relative_path, r.destination_index) for f in report.files for r in f.destinations),
    )
    for summary in report.destinations:
        if summary.lost and summary.lost_full:
            summary.lost, summary.lost_reason, summary.lost_errno = False, None, None
            summary.lost_full = False
            summary.lost_at = None
        elif summary.lost_reason:
            summary.lost_reason = remedies.rewrite_failed(
                summary.lost_reason, unread=summary.index in whole
            )
    for file in report.files:
        for result in file.destinations:
            if result.action is CopyAction.REPLACED:
                result.action = CopyAction.COPIED
            if result.status is DestinationStatus.FAILED and result.error:
                read_failed = (file.relative_path, result.destination_index) in unread
                result.error = remedies.rewrite_failed(result.error, unread=read_failed)
                if not read_failed:
                    # The next run refuses the copy left there (its kind kept if one was).
                    result.refusal = result.refusal or Refusal.REWRITE_FAILED


def found_wrong_warnings(
    found: Sequence[FoundWrong],
    files: Sequence[FileResult],
    fed_by: Callable[[str, int], str] | None = None,
) -> list[PreflightItem]:
    """The job report's warnings (code ``copy-no-longer-matches``; ``copy-unreadable`` for
    a copy whose read-back failed, not found damaged) for the copies of ours *found* wrong,
    each saying what became of it by the end of the run (*files*: the run's results):
    replaced by a new copy (verified now, or transfer-checked only) from the card
    (or, *fed_by* given, by a file's path and the destination's index: what fed that copy,
    "the card" or a fast copy: a cascade's, or one standing for the absent card), or not
    replaced (why). The terminal said so as each was found; the saved reports
    (JSON, HTML, PDF) say it here, so that whoever reads them sees that a copy was damaged."""
    if not found:
        return []
    from offload.plan import PreflightCode, PreflightItem

    wanted = {f.relative_path for f in found}
    results = {f.relative_path: f for f in files if f.relative_path in wanted}
    fed = fed_by or (lambda _path, _index: "the card")
    items = []
    for wrong in found:
        file = results.get(wrong.relative_path)
        index = wrong.destination_index
        result = None if file is None else file.destination(index)
        if wrong.kept:
            became = _kept_beside(wrong, result)
        elif result is None:
            became = "it was not copied again"
        elif result.status is DestinationStatus.VERIFIED:
            became = f"replaced by a new copy from {fed(wrong.relative_path, index)}, verified now "
            became += "(read back)"
        elif result.status is DestinationStatus.TRANSFER_CHECKED:
            became = f"replaced by a new copy from {fed(wrong.relative_path, index)}, "
            became += "transfer-checked only (never read back)"
        elif result.status is DestinationStatus.FAILED:
            # The file's error is said with the file (the terminal's ERROR line, its row in
            # the HTML/PDF, its entry's ``error``): pointed to, not said twice.
            became = (
                f"NOT replaced: {FILE_FAILED_THERE}"
                if result.error
                else "NOT replaced: copying it again failed"
            )
        else:
            became = "NOT replaced: the run was cancelled before the new copy was verified"
        unread = wrong.unread == COULD_NOT_READ
        items.append(
            PreflightItem(
                PreflightCode.COPY_UNREADABLE if unread else PreflightCode.COPY_NO_LONGER_MATCHES,
                Path(wrong.final_path),  # an S3 stand-in: the card layer shows its URL
                shown(f"{_found_words(wrong)}{wrong.reason}; {became}"),
                wrong.destination_index,
                kept=bool(wrong.kept),
            )
        )
    return items


def _kept_words(check: ExistingCopy, outcome: CheckOutcome) -> str:
    """What a copy of ours found wrong is, for :class:`FoundWrong`'s *unread*: empty when its
    read-back found it different from the card (the usual words), else what was found
    without reading it."""
    if found_wrong_unread(check):
        return "is not the copy its ledger recorded (its size changed: not read back)"
    if not outcome.error or outcome.mismatch:
        return ""
    return IO_ERROR if outcome.read_damaged else COULD_NOT_READ


#: Which run writes a new copy in place of a copy of ours it cannot read, by the check's
#: kind (README: "--reverify", and a run asking more than the ledger records).
_WHO_REPLACES = {
    CheckKind.REVERIFY: "--reverify",
    CheckKind.UPGRADE: "a run that asks a stricter --verify than its ledger records",
}


#: What became of a copy of ours found wrong whose file then failed there: why is the
#: file's error, said with it (``found_wrong_warnings``).
FILE_FAILED_THERE = "the file failed there (its error says why)"

#: What a copy of ours is whose read-back failed (:func:`_kept_words`): unread, not wrong.
COULD_NOT_READ = "could not be read back"
#: What a copy of ours is whose read-back failed with a local disk's I/O error (EIO,
#: EBADMSG): evidence of damage, a copy found wrong (``copy-no-longer-matches``).
IO_ERROR = "could not be read back: I/O error (the disk may be failing)"
#: How the ``copy-no-longer-matches`` warning of such a copy begins (the summary's
#: ``COPY UNREADABLE`` line; every other one begins "copy found damaged: ").
UNREAD_FOUND = "copy could not be read back (not found damaged): "
#: How the ``copy-no-longer-matches`` warning of a copy whose read-back failed with a local
#: disk's I/O error begins (``IO_ERROR``): damaged by that evidence, said as the live
#: warning and its failed rewrite's words say it, a copy that could not be read back.
IO_FOUND = "copy could not be read back (an I/O error: the disk may be failing): "


def _found_words(wrong: FoundWrong) -> str:
    """How *wrong*'s warning begins (``found_wrong_warnings``): unread (``UNREAD_FOUND``),
    unread for an I/O error (``IO_FOUND``), else found damaged."""
    if wrong.unread == COULD_NOT_READ:
        return UNREAD_FOUND
    if wrong.unread == IO_ERROR:
        return IO_FOUND
    return "copy found damaged: "


#: The codes of the warnings of a copy of ours found wrong, and of one whose read-back failed
#: (``PreflightCode``'s values; what readers tell them apart by, never the words).
FOUND_WRONG_CODE = "copy-no-longer-matches"
UNREADABLE_CODE = "copy-unreadable"


def _kept_beside(wrong: FoundWrong, result: DestinationFileResult | None) -> str:
    """What became of a copy of ours found wrong and kept (``--keep-both``) and of the new
    copy written beside it (*result*), for :func:`found_wrong_warnings`."""
    what = wrong.unread or "was read back and found different from the card"
    kept = f"{KEPT_BESIDE}: {wrong.final_path} {what}"
    if result is None:
        return f"{kept}; no new copy was written"
    beside = result.final_path
    if result.status is DestinationStatus.VERIFIED:
        return (
            f"{kept}; the new copy from the card was written beside it as {beside}, "
            "verified now (read back)"
        )
    if result.status is DestinationStatus.TRANSFER_CHECKED:
        return (
            f"{kept}; the new copy from the card was written beside it as {beside}, "
            "transfer-checked only (never read back)"
        )
    if result.status is DestinationStatus.FAILED:
        return f"{kept}; the new copy beside it FAILED: {result.error or 'copying it again failed'}"
    return f"{kept}; the run was cancelled before the new copy beside it was verified"


# What a refusal of a copy read back adds where its ledger's entry records another file of
# that name, size and date (``Ledger.other_file``).
_NOT_THE_FILE_VERIFIED = {
    "clone": " (read back: not the file an earlier run verified there, a copy of it?)",
    "touched": " (read back: written or changed since an earlier run verified it there)",
}


def _give_source_mtime(check: ExistingCopy, outcome: CheckOutcome, task: FileTask) -> str | None:
    """Give an adopted local copy the source's mtime (as a copy of ours has); returns an
    error message, or None (``engine.taken.give_source_date``'s rule: one that has it
    already needs none; on a read-only drive one whose date differs fails, the message
    naming the copy, the read-only drive and what to do). (An object keeps no mtime: its
    ledger entry records it.)"""
    if check.kind is not CheckKind.ADOPT or outcome.cache_bypass is CacheBypass.REMOTE:
        return None
    # Imported here: only an adoption needs it (the start-up path loads none of it).
    from offload.engine.taken import give_source_date

    return give_source_date(check.final_path, task.source.mtime_ns)


def _proof(check: ExistingCopy, outcome: CheckOutcome, task: FileTask, mode: str) -> LedgerEntry:
    """The ledger entry that records a copy found equal as verified (by *mode*), with the
    card file's fingerprint where it is known to be this copy's: the one the planner matched
    (``ExistingCopy.fingerprint``), else, where the card file was read whole and found equal
    to the copy now, read from it (two reads, 128 KiB at most: ``offload.fingerprint``)."""
    source = task.source
    planned_name = Path(source.relative_path).name
    sample = check.fingerprint
    if not sample and outcome.source_digests:
        sample = fingerprint.read_or_nothing(source.path_text, source.size_bytes)
    return verified_entry(
        source.relative_path,
        size_bytes=source.size_bytes,
        mtime_ns=source.mtime_ns,
        digests=outcome.digests,
        partial_name="",
        final_name="" if check.final_path.name == planned_name else check.final_path.name,
        verify=mode,
        cache_bypass=outcome.cache_bypass.value,
        fingerprint=sample,
    )


# Proofs recorded by one ledger append (one fsync on a disk, one object on S3): one a copy
# was 1,000 PutObjects (or fsyncs) for a card of 1,000 copies already there.
_PROOFS_AT_ONCE = 1000


class _Proven(NamedTuple):
    """A copy found equal, its (still FAILED) result and the ledger entry to record."""

    check: ExistingCopy
    outcome: CheckOutcome
    result: DestinationFileResult
    entry: LedgerEntry


def _record_proofs(ledger: Ledger | None, proven: Sequence[_Proven]) -> None:
    """Record the proofs durably, _PROOFS_AT_ONCE at a time, and mark each copy whose proof
    is recorded VERIFIED by its entry's mode; one whose proof could not be recorded stays FAILED
    (nothing would vouch for it on the next run), with the reason. No ledger: each copy is
    VERIFIED by the read-back just made, with nothing to record."""
    for start in range(0, len(proven), _PROOFS_AT_ONCE):
        batch = proven[start : start + _PROOFS_AT_ONCE]
        try:
            if ledger is not None:
                # Each proof records which file it read (``Ledger.identified``): the
                # adopted copy's date was set just before (a new change time).
                ledger.append([ledger.identified(item.entry) for item in batch])
        except OSError as exc:
            for item in batch:
                item.result.error = (
                    f"cannot record {item.check.final_path} as verified: {describe_os_error(exc)}"
                )
            continue
        for item in batch:
            result, outcome = item.result, item.outcome
            result.status = DestinationStatus.VERIFIED
            result.digests = dict(outcome.digests)
            result.cache_bypass = outcome.cache_bypass
            # The time its ledger entry records (the manifests' hashdate is that entry's
            # on a later run): the report and the ledger say one time for one proof.
            result.verified_at = item.entry.recorded_at
            result.verified_mode = item.entry.verify
            result.verify_s = outcome.verify_s
            result.action = (
                CopyAction.ADOPTED
                if item.check.kind is CheckKind.ADOPT and not item.check.changed
                else CopyAction.RECHECKED  # ours: a copy its ledger recorded
            )
