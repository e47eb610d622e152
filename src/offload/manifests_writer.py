"""The manifests of a finished offload: ASC MHL v2 histories and legacy MHL v1 files.

Plain inputs: the card layer (:mod:`offload.card`) says what to record on each destination
(:class:`OffloadRecords`, one :class:`DestinationRecords` per destination not lost); this
module knows nothing of plans and job reports. For each destination: carry the source
card's own ``ascmhl/`` history (if any; not into a destination history with generations of
its own, which is continued, the card's generations it lacks named in a warning; taken back
when no generation of this run follows it: only ours hides ``.offload/``), then append a
``transfer`` generation (when this run
copied anything there, or when the history does not yet hold every symlink there as a new
generation would: a link the card gained since) listing what this run hashed there, and
of the files an earlier run verified (trusted from the ledger, not read now) those the
history does not record yet, with the digests and the date of that verification
(:func:`_hashed_now`); a folder it does not list whole (a file trusted and left out,
another card's files in a shared ``--into`` root) gets no folder hash
(:mod:`offload.manifest.coverage`); and/or
write a legacy MHL. Copied files are not re-read: their digests are the copy's in-flight
digests, every one of which was matched against the read-back (only what symlinks lead to is
read here, see below). Failures here never touch the copies; they are reported per
destination.
On a local copy root without links, a run that verified nothing new skips the check of the
history against the ledger when the stamp of complete manifests matches the media
(:mod:`offload.manifest_stamp`); it stamps the manifests it found or made complete.

What the reference tool (``ascmhl`` 1.2) does with what is not a plain file, and so what a
generation here records:

* a symlink that leads, inside the card, to a file of the card is a file to ascmhl: it lists
  the link's path with the size, date and hash of the content it leads to
  (``os.path.getsize``/``getmtime``/``open`` follow links). The copy keeps the link a link;
  its content is read here from the destination's media, through the link. It is listed
  only when the file it leads to there is one this manifest records (verified there, now or
  by an earlier run) and that content still has the recorded digests: else it is left out
  (named), never listed with the hash of content that is not the card's proven copy (a
  foreign file at the name the card's copy was refused or kept beside, ``--keep-both``);
* every other symlink (to a folder, dangling, looping, leading out of the card) is not
  recorded and is named in the generation's own ``<ignore>`` list by a pattern that matches
  it alone, so ``ascmhl-debug verify`` (and ``-dh``, which crashes on such a link otherwise) skips
  it; no hash of content that is not the card's is ever claimed
  (:mod:`offload.manifest.links`); a warning names each. ascmhl matches that pattern
  (``**/<path>``) at any depth of the copy root, so one that would also hide another path
  (of the card; or, in a generation written now, standing anywhere in the copy root or
  recorded by any history there: another copy's file where the card was copied ``--into``
  a folder of copies) is not written, the link left out and named (ascmhl calls it new);
  the tree is read through the generation's memoized lister, so the folders the
  generation's own checks list are listed once;
* a name XML cannot hold (bytes that are not UTF-8, control characters) cannot be written
  in any form ascmhl reads back (it crashes hashing such a name): that file (or folder) is
  left out with a warning naming it; every other file keeps its history.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

from offload.engine.verifier import MediaHasher
from offload.errors import (
    OffloadError,
    describe_os_error,
    names_path,
    printable_name,
    shell_word,
)
from offload.events import EventSink, NullSink, WarningIssued
from offload.fs.ops import fsync_dir
from offload.hashing.registry import comparable_digest
from offload.history_formats import Hasher, InKnownFormats, Reads
from offload.ledger import STATE_FOLDER
from offload.manifest import (
    History,
    ManifestFile,
    copy_history,
    read_history,
    unchained_own,
    write_generation,
    write_legacy_mhl,
)
from offload.manifest.ascmhl import (
    SharedWork,
    canonical_digests,
    first_unheld,
    generation_tree,
    held,
    hidden_by_carried,
    ignored_for_good,
    retirable_patterns,
)
from offload.manifest.copy_root import (
    COPY_ROOT_STATE,
    nested_state_paths,
    unhide_nested_state,
)
from offload.manifest.coverage import Lister, local_lister, memoized
from offload.manifest.errors import HistoryError, UnsupportedTreeError
from offload.manifest.foreign import Foreign
from offload.manifest.history import (
    CHAIN_FILE_NAME,
    CarriedHistory,
    parse_chain,
    pending_history,
    take_back_history,
    what_to_restore,
)
from offload.manifest.ignore import (
    ANCHORED_ONLY_CHECKS,
    ANCHORED_ONLY_REASON,
    DEFAULT_IGNORE_PATTERNS,
    FINDER_FILE_REASON,
    IgnoreSpec,
    ascmhl_ignore_patterns,
    finder_files,
    verify_skips,
)
from offload.manifest.layout import ASCMHL_FOLDER
from offload.manifest.links import (
    IGNORED_BECAUSE,
    LinkKind,
    exact_pattern,
    pattern_hides,
    resolve_link,
)
from offload.manifest.listed_again import history_named_files, legacy_named_folders
from offload.manifest.nested_links import TreeRead, link_pattern_problems, why_unread
from offload.manifest.xmlchars import paths_xml_cannot_hold, unlisted_name_reason, xml_can_hold
from offload.manifest.xmltext import xml_safe
from offload.manifest_options import ManifestOptions, MhlKind
from offload.manifest_stamp import (
    media_state,
    remove_stamp,
    stamp_matches,
    stamp_options,
    write_stamp,
)
from offload.plan.codes import PreflightCode
from offload.report.words import listed as shortened
from offload.report.words import plural
from offload.state_folder import unlink_in


class LinkState(StrEnum):
    """How a symlink stands in a destination's manifests (``SymlinkResult.manifest``)."""

    LISTED = "listed"  # as the file it leads to: size, date and hash of that file's copy
    IGNORED = "ignored"  # named in the generation's own ignore list: every judge skips it
    LEFT_OUT = "left-out"  # neither (see the warning): ascmhl will see it as new


class Unlisted(NamedTuple):
    """A card file (or folder) copied to a destination that its manifests leave out
    (``ManifestResult.not_listed``): *why*, in a few words; *message*, the warning naming
    it; *anchored_only*: in a folder only an anchored pattern carried from the card's
    history hides (``ignore.ANCHORED_ONLY_REASON``), so the checks of the copy differ on it
    (``ignore.ANCHORED_ONLY_CHECKS``): the kind kept here, never read back from *why*."""

    why: str
    message: str
    anchored_only: bool = False


@dataclass
class ManifestResult:
    """What the manifest step did on one destination.

    ``left_out``: paths (relative to the copy root, names as the filesystem gives them) that
    are on this destination but not in its manifests, each named in a warning: dangling or
    looping symlinks, names XML cannot hold. ``warnings``: those messages. ``links``: each
    symlink's state in the manifests there, with a note saying why. ``coded``: the code of
    each warning (by its index in ``warnings``) that the job report's ``warnings`` lists too
    (the card's history not carried on). ``not_listed``: the entries of ``left_out`` that
    are the card's files (or folders) this offload copied there, not links: path →
    :class:`Unlisted`, which every saved report names too (code ``not-in-manifest``).
    ``lasting``: *error* comes from the card's tree itself (nested histories), so the same
    command run again writes no manifest either. ``only_ascmhl``: *error* is the ASC MHL
    generation's alone: the legacy MHL (``--mhl both``) is written. ``carried``: the
    card's own ASC MHL history stands whole in this destination's history once this run is
    done (carried by it, or there already and followed), not taken back: what the summary
    says of where the card's history went, never inferred from the copies' states.
    ``found_wrong``: the copies (relative path → the error naming it) that the generation's
    read in the history's formats found no longer what was verified, or could not read
    (:mod:`offload.history_formats`): each also in ``left_out`` and ``warnings``; the card
    layer fails each one on this destination and revokes its ledger entry.
    """

    destination_index: int
    written: list[str] = field(default_factory=list)
    error: str | None = None
    lasting: bool = False
    only_ascmhl: bool = False
    left_out: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    links: dict[str, tuple[LinkState, str]] = field(default_factory=dict)
    coded: dict[int, PreflightCode] = field(default_factory=dict)
    not_listed: dict[str, Unlisted] = field(default_factory=dict)
    carried: bool = False
    found_wrong: dict[str, str] = field(default_factory=dict)


# What a manifest step's failure says of the ledger (``not_written``), true only while the
# ledger holds the lines this run stored; ``ledger_lost`` words it where it does not.
LEDGER_RECORDS = "(its ledger records each one it proved)"


def ledger_lost(error: str, lost: int) -> str:
    """*error* (``not_written``'s words) for a copy root whose ledger no longer holds *lost*
    of the objects this run stored in it (an S3 copy root whose service lost them, or they
    were deleted: ``S3Backend.ledger_lost``): never "its ledger records each one it
    proved"."""
    if not lost:
        return error
    one = lost == 1
    objects = "a ledger object" if one else f"{lost} of the ledger objects"
    return error.replace(
        LEDGER_RECORDS,
        f"(but {objects} this run stored there {'is' if one else 'are'} gone: the service "
        f"lost {'it' if one else 'them'}, or {'it was' if one else 'they were'} deleted; its "
        "ledger does not record the copies this run proved, so the same command reads back, "
        "or copies anew, what it finds there)",
    )


def not_written(
    where: object, why: str, *, lasting: bool = False, legacy: str | None = None
) -> str:
    """The error of a manifest step that failed on the destination *where* (its root or URL)
    for the reason *why*, with the remedy: the copies this run proved there (verified, or
    transfer-checked only) are in its ledger, so the same command run again finds nothing
    to copy and writes the manifests that record them (the check of a run that verifies
    nothing new, ``_write_after_carrying``). It says no more of the copies than that: which
    of them are verified, transfer-checked or failed is the report's to say. *lasting*: the
    card's tree itself refuses the manifest (nested histories: *why* names the way on), so
    no re-run is offered, as none would write it. One line names the destination once:
    where *why* names a path on it already (the manifest's, its ``ascmhl`` folder's), not
    *where* again before it; the remedy is the re-run once what *why* says is mended (a
    file in the way of ``ascmhl``, a drive gone read-only refuse it again until then).
    *legacy*: words saying the legacy MHL stands there all the same (``--mhl both``): only
    the ASC MHL manifest (the generation) is not written, and the line says so."""
    named = names_path(why, str(where).rstrip("/"), folder=True)
    place = "" if named else f" on {where}"
    kind = "manifest" if legacy is None else "ASC MHL manifest"
    written = "" if legacy is None else f"; {legacy}"
    kept = (
        f"{kind} not written{place}: {why}{written}; the copies there keep the states this "
        f"run gave them {LEDGER_RECORDS}"
    )
    if lasting:
        return f"{kept}; the same command again writes no {kind} there either"
    return f"{kept}: once that is mended, run the same command again to write the {kind}"


class LinkToRecord(NamedTuple):
    """A symlink this offload made (or found as it should be) on a destination."""

    relative_path: str  # relative to the copy root, as on the source
    target: str


@dataclass(frozen=True, kw_only=True)
class DestinationRecords:
    """What the manifests of one destination record.

    ``files``: every file verified there, by this run or an earlier one (with that
    verification's digests and date), relative to ``root``; read more than once (the card
    layer makes each record when it is read, so that 50,000 of them are never held at
    once); ``anything_new``: this run verified something there (else no new generation is
    written unless a link there is not yet in the history as a generation would hold it;
    the card's history is only carried); ``links``: the symlinks there, in walk
    order (those to files are listed with the content they lead to, read here);
    ``lister``: what stands in each folder of the copy root (None: the local filesystem at
    ``root``), so that only the folders the generation lists whole get a folder hash;
    ``state_stamp``: ``root`` is the copy root on its own media, whose ``.offload/`` keeps
    the stamp of manifests found complete (:mod:`offload.manifest_stamp`; not an S3 copy
    root's staging folder, whose files are new at every download).
    """

    index: int
    root: Path  # the copy root: where ascmhl/ goes
    destination: Path  # as named by the user (messages)
    files: Collection[ManifestFile]
    anything_new: bool
    links: tuple[LinkToRecord, ...] = ()
    lister: Lister | None = None
    state_stamp: bool = False
    # The copies this run read back hashed in the history's formats too, with those digests,
    # by path (``history_formats``: listed in them, not read again).
    read_back: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # The card's paths (files, links, folders), relative, whose copy there stands at that
    # path: what is the card's though the generation does not list it (a failed copy, a
    # name XML cannot hold, a link left out: each named by a warning of its own), never
    # foreign; not a card file --keep-both put at another name (what stands at its own
    # name is not its copy).
    card_paths: Container[str] = frozenset()
    # How a copy not on the local filesystem at ``root`` is read to hash it in the history's
    # formats (an S3 copy root's objects, by their staging path: ``s3card``); None with a
    # ``lister``: not read (``history_formats``).
    read_copy: Hasher | None = None
    # The paths (relative, as in ``files``) of the copies trusted from the ledger: neither
    # read nor hashed by this run. A generation written now lists one only where its
    # history does not hold it as it would record it (:func:`_hashed_now`).
    trusted: Container[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class OffloadRecords:
    """What the manifests of a finished offload record, on every destination not lost.

    ``ignore_patterns``: the scan's ignore patterns as given (the writer keeps those an
    ASC MHL ignore list can carry); ``directories``: every folder of the source, relative;
    ``card_has_history``: the card's own (trusted) ASC MHL history is carried from ``source``;
    ``fast_copy``: ``source`` is a fast copy standing in for an absent card (a cascade
    re-run without it): the history carried is that copy's, and the warnings say so;
    ``source_copy``: ``source`` is a copy root of ours, no card: the history is the
    source's in the warnings (``card_history.history_words``).
    """

    source: Path
    card_has_history: bool
    directories: tuple[str, ...]
    algorithms: tuple[str, ...]
    ignore_patterns: tuple[str, ...]
    started_at: float
    destinations: tuple[DestinationRecords, ...]
    fast_copy: bool = False
    source_copy: bool = False
    # Each folder's date (ns, by relative path) where the card may have changed since its
    # folders were timed (a cascade's slow destinations, written after the card's release,
    # take the times taken before it); None: each folder is dated as the card holds it now.
    folder_dates: Mapping[str, int] | None = None


_NESTED_STATE = "/" + STATE_FOLDER  # a file named like the copy root's state, below it


class _Links(NamedTuple):
    """The links of one destination as its manifests treat them: those listed (as files),
    and the exact ignore pattern of each link ignored."""

    listed: list[ManifestFile]
    patterns: list[str]


class _LinkPlan(NamedTuple):
    """How a generation written now would hold the links of one destination, before any
    content is read: the links to files of the card (to be listed: link → the file it leads
    to there and the digests this offload recorded for that file), and the links ignored
    (path → pattern). The others are left out (named on the ``ManifestResult``).
    ``kinds``: each link not to a file of the card (ignored, or left out for its pattern),
    by what it leads to: the links whose patterns are judged again against the tree.
    ``hides``: those of them whose pattern would hide a path of the card (its files, its
    folders, the links listed as files), each with such a path (:func:`_card_hides`): not
    judged again, as the card's paths do not change."""

    to_files: dict[str, tuple[str, Mapping[str, str]]]
    ignored: dict[str, str]
    kinds: dict[str, LinkKind]
    hides: dict[str, str]


def _plan_links(
    records: OffloadRecords,
    destination: DestinationRecords,
    followed: ManifestResult,
    judged: ManifestResult,
) -> _LinkPlan:
    """The symlinks of one destination as the manifests treat them (:mod:`offload.manifest.
    links`): a link to a file of the card is listed (its content is read by
    :func:`_linked_files`) when the file it leads to there is one this manifest records
    (verified there, now or by an earlier run), else left out: the file at that name is not
    the card's proven copy (its copy failed or was refused, the card's file was kept under
    another name, or it is no file of the card), and a hash read through the link would
    claim that other content as the card's. Every other link ignored by a pattern naming it
    alone, unless that pattern would hide a path the manifest lists (:func:`_ignore_links`;
    a generation written now judges it against the whole tree again): then left out, and
    ascmhl will call it new. The links left out as they are followed are named on
    *followed*, those ignored or left out for their patterns on *judged*."""
    root = destination.root
    leads: dict[str, str] = {}
    ignored: dict[str, LinkKind] = {}
    for link in destination.links:
        try:
            kind, leads_to = resolve_link(root, link.relative_path)
        except OSError as exc:
            _link_unreadable(followed, root, link, exc)
            continue
        if kind is LinkKind.FILE and leads_to is not None:
            leads[link.relative_path] = leads_to
        else:
            ignored[link.relative_path] = kind
    recorded = _recorded_digests(destination.files, set(leads.values())) if leads else {}
    to_files: dict[str, tuple[str, Mapping[str, str]]] = {}
    for relative, leads_to in leads.items():
        digests = recorded.get(leads_to)
        if digests is not None:
            to_files[relative] = (leads_to, digests)
            continue
        _leave_link_out(
            followed,
            relative,
            f"symlink {printable_name(relative)} on {root}",
            f"it leads to {printable_name(leads_to)}, which is not a copy of the card's file "
            "verified there (its copy failed or was refused, the card's file was kept under "
            "another name, or it is no file of the card): no hash is recorded for it, and "
            "ascmhl will list it as a new file",
            LinkState.LEFT_OUT,
        )
    hides = _card_hides(records, destination, list(to_files), ignored)
    return _LinkPlan(to_files, _ignore_links(destination, ignored, hides, judged), ignored, hides)


def _recorded_digests(
    files: Iterable[ManifestFile], wanted: set[str]
) -> dict[str, Mapping[str, str]]:
    """The digests recorded for each path of *wanted* among *files* (one pass)."""
    return {f.relative_path: f.digests for f in files if f.relative_path in wanted}


def _link_unreadable(outcome: ManifestResult, root: Path, link: LinkToRecord, exc: OSError) -> None:
    """The link could not be followed or read there (EACCES, EIO): left out, named."""
    shown = f"symlink {printable_name(link.relative_path)} -> {printable_name(link.target)}"
    _leave_link_out(
        outcome,
        link.relative_path,
        f"{shown} on {root}",
        f"{describe_os_error(exc)}; it is not in the manifest there (ascmhl will list "
        "it as a new file)",
        LinkState.LEFT_OUT,
    )


def _linked_files(
    records: OffloadRecords,
    destination: DestinationRecords,
    plan: _LinkPlan,
    hasher: MediaHasher,
    outcome: ManifestResult,
    now: datetime,
) -> _Links:
    """The links of one destination as *plan* (:func:`_plan_links`) decides, each link to a
    file of the card with the size, date and digests of the content it leads to there, read
    from the media through the link."""
    root = destination.root
    algorithms = list(records.algorithms)
    targets = {link.relative_path: link for link in destination.links}
    listed: list[ManifestFile] = []
    for relative, (leads_to, recorded) in plan.to_files.items():
        path = root / relative
        try:
            info = os.stat(path)  # follows the link, as ascmhl does
            digests = hasher(path, algorithms)
        except OSError as exc:
            _link_unreadable(outcome, root, targets[relative], exc)
            continue
        differs = [
            name
            for name, value in digests.items()
            if name in recorded
            and comparable_digest(name, value) != comparable_digest(name, recorded[name])
        ]
        if differs:  # changed since it was verified: its hash now is not the card's
            _leave_link_out(
                outcome,
                relative,
                f"symlink {printable_name(relative)} on {root}",
                f"the content it leads to there ({printable_name(leads_to)}) no longer "
                f"matches the card's file as verified ({differs[0]} differs): no hash is "
                "recorded for it, and ascmhl will list it as a new file",
                LinkState.LEFT_OUT,
            )
            continue
        outcome.links[relative] = (LinkState.LISTED, "listed as the file it leads to")
        listed.append(
            ManifestFile(
                relative_path=relative,
                size_bytes=info.st_size,
                mtime_ns=info.st_mtime_ns,
                digests=digests,
                hash_date=now,
            )
        )
    return _Links(listed, list(plan.ignored.values()))


def _covered_links(
    history: History, plan: _LinkPlan, requested: list[str]
) -> dict[str, tuple[LinkState, str]] | None:
    """How the ASC MHL history already on the destination holds each link of *plan*, when it
    holds every one as a generation written now (asked to ignore *requested*) would: each
    link to a file of the card recorded (with a hash) and not ignored by the newest
    generation's patterns, each link ignored now ignored by them; else None. A link no
    generation would list (left out now; a name XML cannot hold; ignored by a pattern a new
    generation carries whatever stands there) needs nothing. Each state names the manifest
    that holds the link so."""
    latest = history.latest_ignore_patterns() or DEFAULT_IGNORE_PATTERNS
    spec = IgnoreSpec(latest)
    # what a new generation ignores whatever it records (write_generation drops a retirable
    # carried pattern when a recorded file stands at its path)
    retirable = set(retirable_patterns(latest, requested).values())
    always = IgnoreSpec(p for p in latest if p not in retirable)
    newest = (
        f"the ignore list of {history.generations[-1].file_name} (the newest manifest there)"
        if history.exists
        else "ascmhl's default ignore list"
    )
    states: dict[str, tuple[LinkState, str]] = {}
    for path in plan.to_files:
        if not xml_can_hold(path):  # left out of any generation (_representable)
            states[path] = (
                LinkState.LEFT_OUT,
                f"{unlisted_name_reason(path)}: it is in no ASC MHL manifest (ascmhl diff "
                "will list it as a new file)",
            )
            continue
        if always.excludes(path, is_dir=False):
            states[path] = (
                LinkState.IGNORED,
                f"{newest} hides it: no hash is recorded for it, ascmhl-debug verify skips it",
            )
        elif history.reference_hash_formats(path) is None or spec.excludes(path, is_dir=False):
            return None
        else:
            states[path] = (
                LinkState.LISTED,
                f"listed as the file it leads to by {_recorded_in(history, path)}",
            )
    for path in plan.ignored:
        if not spec.excludes(path, is_dir=False):
            return None
        states[path] = (
            LinkState.IGNORED,
            f"{newest} ignores it: no hash is recorded for it, ascmhl-debug verify skips it",
        )
    return states


def _left_out_states(
    history: History, *planned: ManifestResult
) -> dict[str, tuple[LinkState, str]]:
    """The links *planned* leaves out of any generation, as the history holds them when no
    generation is written: ignored where its newest ignore list hides them, else left out
    (as *planned* says why)."""
    spec = IgnoreSpec(history.latest_ignore_patterns() or DEFAULT_IGNORE_PATTERNS)
    states: dict[str, tuple[LinkState, str]] = {}
    links = itertools.chain.from_iterable(result.links.items() for result in planned)
    for path, (state, note) in links:
        if state is not LinkState.LEFT_OUT:
            continue
        if spec.excludes(path, is_dir=False):
            states[path] = (
                LinkState.IGNORED,
                "the ignore list of the newest manifest there hides it: no hash is recorded "
                "for it, ascmhl-debug verify skips it",
            )
        else:
            states[path] = (state, note)
    return states


def _recorded_in(history: History, path: str) -> str:
    """The newest manifest of *history* that lists *path* (one the history knows)."""
    for generation in reversed(history.generations):
        if any(record.path == path for record in generation.files):
            return generation.file_name
    return history.generations[-1].file_name  # not reached: a known path is listed


def _card_hides(
    records: OffloadRecords,
    destination: DestinationRecords,
    listed: list[str],
    ignored: dict[str, LinkKind],
) -> dict[str, str]:
    """The links of *ignored* whose exact pattern would hide a path the manifest lists (the
    card's files and folders, *listed*: the links listed as files), each with such a path."""
    if not ignored:
        return {}
    everything = itertools.chain(
        paths_of(destination.files),
        listed,
        records.directories,
    )
    return dict(pattern_hides(ignored, everything, destination.root))


def _ignore_links(
    destination: DestinationRecords,
    ignored: dict[str, LinkKind],
    card_hides: Mapping[str, str],
    outcome: ManifestResult,
    tree: TreeRead | None = None,
) -> dict[str, str]:
    """The exact ignore pattern of each link in *ignored* (each named in a warning), but for
    those :func:`~offload.manifest.nested_links.link_pattern_problems` finds a reason to
    leave out, in its order: a pattern that would hide a path the manifest lists
    (*card_hides*: :func:`_card_hides`), a name XML cannot hold; with *tree*, the tree not
    read whole (no pattern is shown to hide nothing), a pattern that would hide any other
    path standing in the copy root or recorded by a history there (another copy's file in
    a folder the card was copied ``--into``: ascmhl matches ``**/<path>`` at any depth, the
    nested histories' files included, and would skip it)."""
    if not ignored:
        return {}
    problems = link_pattern_problems(ignored, card_hides, tree, destination.root)
    patterns = {}
    for relative, kind in ignored.items():
        link_shown = f"symlink {printable_name(relative)} on {destination.root}"
        why = IGNORED_BECAUSE[kind]
        problem = problems.get(relative)
        if problem is not None:
            _leave_link_out(
                outcome,
                relative,
                link_shown,
                f"{why}; it is copied as a link but not in the manifest, and {problem}: "
                "ascmhl will list it as a new file",
                LinkState.LEFT_OUT,
            )
            continue
        patterns[relative] = exact_pattern(relative)
        _leave_link_out(outcome, relative, link_shown, ignored_link_note(kind), LinkState.IGNORED)
    return patterns


def ignored_link_note(kind: LinkKind) -> str:
    """Why a link of *kind* (any but :attr:`LinkKind.FILE`) is not listed and what the
    manifest does of it, as the run's warning says it after ``symlink X on ROOT: `` (the
    dry run says it in advance with the same words: ``offload.report.dry_run``)."""
    return (
        f"{IGNORED_BECAUSE[kind]}; it is copied as a link, and the manifest there ignores it "
        "(no hash is recorded for it, ascmhl-debug verify skips it)"
    )


def _no_longer_ignored(root: Path, outcome: ManifestResult, relative: str, hidden: str) -> None:
    """The pattern an earlier generation holds for the link at *relative* was not carried
    (``offload.manifest.ascmhl``): it would hide *hidden* (a path this generation records,
    or one standing or recorded in the tree; ``""``: none known, as when a nested copy's
    history no longer ignores the link). If a link not leading to a folder (of an earlier
    card, not this one's) is still there, it is no longer ignored."""
    stands = root / relative
    if relative in outcome.links or not os.path.islink(stands) or os.path.isdir(stands):
        return  # a real file or folder there is listed; this run's link is named
    why = (
        f"would also hide {printable_name(hidden)}"
        if hidden
        else "is no longer due (the history of the copy it is in no longer ignores it, "
        "or the tree could not be read)"
    )
    _leave_out(
        outcome,
        relative,
        f"symlink {printable_name(relative)} on {root}: the ignore pattern an earlier "
        f"generation holds for it {why}, so this generation does not carry it: it is no "
        "longer ignored (ascmhl will list it as a new file)",
    )


def _leave_out(
    outcome: ManifestResult, relative: str, message: str, *, content: str | None = None
) -> None:
    """*relative* is not listed in the manifests there: named in a warning. *content*: why,
    in a few words, for an entry of the card copied there (not a link), which the saved
    reports then name too (``ManifestResult.not_listed``)."""
    outcome.left_out.append(relative)
    outcome.warnings.append(message)
    if content is not None:
        outcome.not_listed[relative] = Unlisted(content, message)


def _found_wrong(outcome: ManifestResult, relative: str, message: str) -> None:
    """The copy *relative* was read again for the generation in the history's formats and
    is not what was verified (or could not be read): left out of the manifests, named in
    a warning, and in ``found_wrong`` so the card layer fails it and revokes its ledger
    entry (a copy found wrong is never left "verified")."""
    _leave_out(outcome, relative, message)
    outcome.found_wrong[relative] = message


def _coded_warning(outcome: ManifestResult, code: PreflightCode, message: str) -> None:
    """*message* added to *outcome*'s warnings with its report *code* (``coded``: the JSON
    report's and ``warning_issued``'s ``code``)."""
    outcome.coded[len(outcome.warnings)] = code
    outcome.warnings.append(message)


def _leave_link_out(
    outcome: ManifestResult, relative: str, shown: str, note: str, state: LinkState
) -> None:
    """The link *relative* is not listed there: named in a warning (*shown*: the link and the
    destination, then *note*), its *state* recorded with *note*."""
    _leave_out(outcome, relative, f"{shown}: {note}")
    outcome.links[relative] = (state, note)


@runtime_checkable
class PathsFirst(Protocol):
    """Files that can give their paths alone, cheaper than the records (``card``'s
    ``_RecordedFiles``: no ``ManifestFile`` made for a check that reads the names)."""

    def relative_paths(self) -> Iterator[str]: ...


def paths_of(files: Iterable[ManifestFile]) -> Iterable[str]:
    """The ``relative_path`` of each of *files*, in order (their ``relative_paths`` when
    they have it)."""
    if isinstance(files, PathsFirst):
        return files.relative_paths()
    return (item.relative_path for item in files)


class _Listed(Iterable[ManifestFile]):
    """What a destination's manifests list: its files, then its links to files, without
    those left out; iterable any number of times, never held whole."""

    def __init__(
        self, files: Iterable[ManifestFile], links: list[ManifestFile], left_out: set[str]
    ) -> None:
        self._files = files
        self._links = links
        self._left_out = left_out

    def __iter__(self) -> Iterator[ManifestFile]:
        for part in (self._files, self._links):
            for item in part:
                if not self._left_out or item.relative_path not in self._left_out:
                    yield item


def _representable(
    files: Iterable[ManifestFile],
    links: list[ManifestFile],
    root: Path,
    outcome: ManifestResult,
    named_like_state: set[str],
) -> _Listed:
    """*files* and *links* without the names an XML manifest cannot hold (each left out
    with a warning, in the order listed). The same pass adds to *named_like_state* the
    files among them named like the copy root's state folder (:func:`_nested_state`)."""
    refused: set[str] = set()
    link_paths = [link.relative_path for link in links]
    for is_link, part in ((False, list(paths_of(files))), (True, link_paths)):
        # The names XML cannot hold, in order (paths_xml_cannot_hold: one search of the
        # paths joined, not one a path), and the others named like our state (one search
        # of the paths joined for the name, the paths asked only when it is there).
        unheld = paths_xml_cannot_hold(part)
        joined = "\0".join(part) + "\0"
        if _NESTED_STATE + "\0" in joined:
            named_like_state.update(
                p for p in part if p.endswith(_NESTED_STATE) and xml_can_hold(p)
            )
        for relative in unheld:
            refused.add(relative)
            shown = printable_name(relative)
            why = unlisted_name_reason(relative)  # which character, or bytes not UTF-8
            if is_link:  # a link is copied, never verified
                _leave_link_out(
                    outcome,
                    relative,
                    f"symlink {shown} on {root}",
                    f"it is not in the ASC MHL manifest: {why}; it is copied as a link "
                    "(ascmhl diff will list it as a new file)",
                    LinkState.LEFT_OUT,
                )
                continue
            _leave_name_out(outcome, relative, root)
        if not is_link:
            for relative in finder_files(part, joined):
                if relative not in refused:
                    refused.add(relative)
                    _leave_finder_file_out(outcome, relative, root)
    return _Listed(files, links, refused)


def _leave_finder_file_out(
    outcome: ManifestResult, relative: str, root: Path, *, earlier: bool = False
) -> None:
    """The card's ``.DS_Store`` file *relative*, copied there (``--no-default-ignore``), is
    in no ASC MHL generation: named (*earlier*: by a run that writes no generation now)."""
    when = " (left out when it was copied)" if earlier else ""
    _leave_out(
        outcome,
        relative,
        f"{printable_name(relative)} on {root} is in no manifest there{when}: "
        f"{FINDER_FILE_REASON}; its copy is in the job report with its state (ascmhl-debug "
        "verify and offload verify of the copy pass over it)",
        content=FINDER_FILE_REASON,
    )


def _leave_name_out(
    outcome: ManifestResult, relative: str, root: Path, *, earlier: bool = False
) -> None:
    """The card's file *relative*, copied there, is left out of the manifests there: its
    name is one XML cannot hold (*earlier*: left out when it was copied, by an earlier run's
    manifests, found complete otherwise now)."""
    when = " (left out when it was copied)" if earlier else ""
    why = unlisted_name_reason(relative)  # which character, or bytes not UTF-8: as reported
    _leave_out(
        outcome,
        relative,
        f"{printable_name(relative)} on {root} is not in the ASC MHL manifest{when}: {why}; "
        "its copy is in the job report with its state (ascmhl-debug verify of the copy calls it "
        "a new file, exit 21, as offload verify of an s3:// copy does; offload verify of a local "
        "copy checks it against the copy root's ledger; ascmhl diff lists it as new)",
        content=why,
    )


def _named_unlisted(destination: DestinationRecords, outcome: ManifestResult) -> None:
    """The files verified there whose names no XML manifest can hold, and the ``.DS_Store``
    ones ASC MHL leaves out, which the manifests there (found complete otherwise: no
    generation is written now) leave out: each named as :func:`_representable` names it
    when it writes one."""
    paths = list(paths_of(destination.files))
    for relative in paths:
        if not xml_can_hold(relative):
            _leave_name_out(outcome, relative, destination.root, earlier=True)
    for relative in finder_files(paths):
        if xml_can_hold(relative):
            _leave_finder_file_out(outcome, relative, destination.root, earlier=True)


def write_manifests(
    records: OffloadRecords,
    options: ManifestOptions,
    sink: EventSink | None = None,
) -> list[ManifestResult]:
    """Write the selected manifests on every destination of *records*. Never raises for I/O.

    Whatever is left out of a manifest is named in a ``WarningIssued`` on *sink* and in the
    destination's ``ManifestResult.left_out``.
    """
    results: list[ManifestResult] = []
    if not options.kinds:
        return results
    sink = sink or NullSink()
    hasher = MediaHasher()
    # The same card's files on every destination: their per-file work done once (one
    # destination: nothing to share, and 50,000 files' results not kept for nothing).
    shared = SharedWork() if len(records.destinations) > 1 else None
    try:
        for destination in records.destinations:
            outcome = _write_on_destination(records, options, destination, hasher, shared)
            results.append(outcome)
            for message, code in zip(outcome.warnings, warning_codes(outcome), strict=True):
                sink.emit(WarningIssued(message, str(destination.root), code and code.value))
    finally:
        hasher.close()
    return results


def _recorded_failed_warning(
    root: Path, paths: list[str], read_again: Mapping[str, Sequence[str]] | None = None
) -> str:
    """The warning for the files a generation just written on *root* records as ``failed``
    (``write_generation``'s *on_failed*): copies it records (verified, or transfer-checked
    only under ``--verify transfer``, by this run or an earlier one and trusted: each later
    generation records them so again) whose content is not what an earlier generation
    recorded at their path, which ASC MHL keeps as their reference. Worded as what the run
    recorded, never "verified": the writer does not know which of them were read back.
    *read_again*: those of *paths* whose copies were read again in the history's formats
    (``history_formats``), with those formats: their ledger entries hold other formats
    alone, so ``offload verify``, which reads the history's, cannot tie them to the version
    the ledger records and revokes their records (the next ``offload copy`` reads them
    back), said of them instead of the rest's promise."""
    one = len(paths) == 1
    shown = shortened([printable_name(p) for p in paths], 3)
    again = read_again or {}
    kept = [p for p in paths if p not in again]
    if not kept:
        after = f" ({_untied_words(again)})"
    else:
        after = (
            " (offload verify adds the version the copy root's ledger records there, and "
            f"does not revoke {'its record' if one else 'their records'} while the copy is "
            "that version"
            + (
                f"; but {shortened([printable_name(p) for p in again], 3)}: " + _untied_words(again)
                if again
                else ""
            )
            + ")"
        )
    return (
        f"the ASC MHL history on {printable_name(str(root))} now records {shown} as "
        f"failed: {'the copy' if one else 'the copies'} there, as this run recorded "
        f"{'it' if one else 'them'}, "
        f"{'holds' if one else 'hold'} content unlike what an earlier generation recorded at "
        f"{'its' if one else 'their'} path (a file replaced "
        "there: ASC MHL keeps a path's first record as its reference and cannot record a new "
        "version of it), so ascmhl-debug verify and offload verify of this copy report "
        f"{'it' if one else 'them'} as a hash mismatch (exit 11) from now on{after}"
    )


def _foreign_warning(root: Path, foreign: Foreign) -> str:
    """The warning for what stands in the copy root *root* that is not the card's and that
    no manifest records (``manifest.foreign``: relative paths, a folder's ending in ``/``):
    this run did not copy it, so it is neither hashed nor recorded; plain
    ``ascmhl-debug verify`` and ``offload verify`` of the copy root call ``foreign.entries``
    new (exit 21), though every copy of the card there is as this run left it;
    ``foreign.anchored_only``, in a folder only an anchored pattern hides, plain
    ``ascmhl-debug verify`` alone (``ignore.ANCHORED_ONLY_CHECKS``)."""
    where = printable_name(str(root))
    parts = []
    if foreign.entries:
        found = foreign.entries
        one = len(found) == 1
        parts.append(
            f"{where} holds {_foreign_count(found)} that {'is' if one else 'are'} not the "
            f"card's ({shortened([printable_name(p) for p in found], 3)}): this run did not "
            f"copy {'it' if one else 'them'}, and {'it is' if one else 'they are'} in no "
            "manifest of this run nor recorded by the copy root's ASC MHL history, so "
            f"ascmhl-debug verify and offload verify of {where} call "
            f"{'it' if one else 'them'} new (exit 21)"
            + (
                " until moved out of it (offload verify --append, which records what it "
                "finds new, refuses a copy root holding nested histories)"
                if foreign.nested
                else f" until {'it is' if one else 'they are'} moved out of it or recorded "
                f"there (offload verify --append {shell_word(str(root))}, which reads "
                f"{'it' if one else 'them'} and records {'it' if one else 'them'} as found now)"
            )
        )
    if foreign.anchored_only:
        found = foreign.anchored_only
        one = len(found) == 1
        parts.append(
            f"{'it' if parts else where} holds {_foreign_count(found)}"
            f"{' more' if parts else ''} that {'is' if one else 'are'} not the card's "
            f"({shortened([printable_name(p) for p in found], 3)}), "
            "hidden only by an anchored pattern of the copy root's ASC MHL history (a folder "
            "it names, or in one: neither offload verify --append nor ascmhl create records "
            "what lies there): "
            f"this run did not copy {'it' if one else 'them'}; "
            + ANCHORED_ONLY_CHECKS.format(it="it" if one else "them")
        )
    return "; ".join(parts) + "; the card's copies there keep the states this run gave them"


def _foreign_count(found: Sequence[str]) -> str:
    """How many entries *found* (relative paths, a folder's ending in ``/``) are, in words:
    ``2 files``, ``1 folder``, ``3 entries``."""
    one = len(found) == 1
    files = sum(not p.endswith("/") for p in found)
    kind = (
        ("file" if one else "files")
        if files == len(found)
        else ("folder" if one else "folders")
        if not files
        else ("entry" if one else "entries")
    )
    return f"{len(found)} {kind}"


def _foreign_unread_warning(root: Path, why: str) -> str:
    """The warning for a look for what is not the card's in the copy root *root*
    (``manifest.foreign``) that failed (*why*: an unexpected error): the generation is
    written all the same, but what ``ascmhl-debug verify`` of it may call new is not known."""
    return (
        f"could not look for files not the card's in {printable_name(str(root))}: {why}; "
        "the generation was written, but ascmhl-debug verify and offload verify of it may "
        "call files this run did not copy new (exit 21)"
    )


def _untied_words(read_again: Mapping[str, Sequence[str]]) -> str:
    """Why ``offload verify`` revokes the ledger records of the copies *read_again* (path
    → the history's formats they were read again in): the ledger holds other formats
    alone."""
    one = len(read_again) == 1
    formats = ", ".join(dict.fromkeys(f for names in read_again.values() for f in names))
    them, records = ("it", "that record") if one else ("them", "those records")
    return (
        f"the copy root's ledger records {'the copy' if one else 'the copies'} without the "
        f"history's {formats}, read in it again for this generation alone, so offload "
        f"verify cannot tie {them} to {records} and revokes {them}: the next offload copy "
        f"reads {'the copy' if one else 'them'} back against the card"
    )


def warning_codes(outcome: ManifestResult) -> list[PreflightCode | None]:
    """The code of each of *outcome*'s warnings, in order, for its ``WarningIssued`` (the
    ``--json`` line's ``code``): its ``coded`` one, ``not-in-manifest`` for a card file
    left out (``not_listed``), else None. Asked before the warnings' text is changed (an
    S3 destination's staging folder named by its URL: ``s3card.write_s3_manifests``)."""
    unlisted = {u.message for u in outcome.not_listed.values()}
    return [
        outcome.coded.get(at) or (PreflightCode.NOT_IN_MANIFEST if message in unlisted else None)
        for at, message in enumerate(outcome.warnings)
    ]


def _write_on_destination(
    records: OffloadRecords,
    options: ManifestOptions,
    destination: DestinationRecords,
    hasher: MediaHasher,
    shared: SharedWork | None = None,
) -> ManifestResult:
    root = destination.root
    outcome = ManifestResult(destination.index)
    ascmhl = MhlKind.ASCMHL in options.kinds
    # A generation a dead run renamed in and never chained: removed before anything below
    # reads the history (never a live writer's: its record is claimed, unchained_own).
    settled = unchained_own.settle(root, unchained_own.record_for(root))
    if settled is not None:
        outcome.warnings.append(settled)
    # The card's folders named like our state (cheap: the folders only); a file so named is
    # found while the generation's files are read (_representable).
    state_folders = (
        {d for d in nested_state_paths(records.directories, ()) if xml_can_hold(d)}
        if ascmhl
        else set()
    )
    # What an earlier run carried of the card's history and never followed with a
    # generation of its own (killed in between, or while taking it back): this run's to
    # finish, taken back below unless a generation of ours follows it by then.
    record = root / STATE_FOLDER / CARRIED_RECORD
    try:
        pending = pending_history(record)
    except OSError:
        pending = None  # unreadable now: the next run that can read it finishes it
    if not destination.anything_new and next(iter(destination.files), None) is None:
        # Nothing verified here, now or by an earlier run: nothing any manifest could record
        # (a link is listed only as a verified file's content; a card folder named like our
        # state or an ignored link would make a generation of ignore patterns alone, which
        # records no check under the process "transfer"), and the card's history is not
        # carried either (no generation of ours would follow it to hide our state).
        if pending is not None:
            _settle(root, records, pending, outcome, record, pending=True)
        return outcome
    # The card's history first: whatever is decided below reads the history as it then is.
    carried = CarriedHistory()
    carry_error: OffloadError | None = None
    if ascmhl and records.card_has_history:
        try:
            carried = copy_history(records.source, root, pending=record)
        except OffloadError as exc:
            if MhlKind.LEGACY not in options.kinds:
                outcome.error = not_written(destination.destination, exc.message)
                return outcome
            # --mhl both: no generation can follow a history not carried, but the legacy
            # MHL depends on none: written all the same, the ASC MHL's error said as the
            # generation's would be (_record_not_written, legacy=...).
            carry_error = exc
            ascmhl = False
            options = replace(options, kinds=frozenset({MhlKind.LEGACY}))
        outcome.written.extend(str(p) for p in carried.written)
        if records.fast_copy and carried.not_carried:
            # The fast copy's generations this destination holds its own record of, written
            # by the same run (``_not_the_same_runs``): one run's record on each copy, not a history
            # at odds with the fast copy's, and nothing a user could act on.
            carried = carried._replace(
                not_carried=_not_the_same_runs(records.source, root, carried.not_carried)
            )
        # Whole in this destination's history (until taken back below, _take_back).
        outcome.carried = not carried.not_carried
        if carried.not_carried:
            outcome.coded[len(outcome.warnings)] = PreflightCode.CARD_HISTORY_NOT_CARRIED
            outcome.warnings.append(_not_carried_warning(records, root, carried))
    if pending is not None:
        carried = CarriedHistory(
            tuple(dict.fromkeys((*pending.written, *carried.written))),
            previous_chain=pending.previous_chain,
            made_folder=pending.made_folder,
        )
    outcome = _write_after_carrying(
        records,
        options,
        destination,
        hasher,
        outcome,
        state_folders,
        carried,
        ascmhl=ascmhl,
        shared=shared,
        carry_error=carry_error,
    )
    if carried.written:
        _settle(root, records, carried, outcome, record, pending=pending is not None)
    return outcome


# <copy root>/.offload/<this>: the card's history carried, no generation of ours after it yet
# (history.note_pending); cleared once one follows it or it is taken back.
CARRIED_RECORD = "ascmhl-carried.json"


def _settle(
    root: Path,
    records: OffloadRecords,
    carried: CarriedHistory,
    outcome: ManifestResult,
    record: Path,
    *,
    pending: bool,
) -> None:
    """The card's history *carried* to *root* (by this run or, *pending*, also by a dead
    one, *record*) is followed by a generation of ours, or is taken back; the record is
    cleared once either is durable (a take-back that fails leaves it, for the next run to
    finish)."""
    followed = _generation_written(root, outcome, carried) or _followed(root, records, carried)
    # Whose history: this run's source's, but a dead run's may have carried another's (the
    # card's, where this run is fed from a fast copy).
    whose = "the" if pending else _whose(records)[0]
    if not followed and not _take_back(root, carried, outcome, whose):
        return
    try:
        unlink_in(record)  # never another copy root's (``state_folder``)
        fsync_dir(record.parent)
    except OSError:
        pass  # left: the next run finds the history followed or taken back, and clears it


def _followed(root: Path, records: OffloadRecords, carried: CarriedHistory) -> bool:
    """Whether the ``ascmhl`` folder of *root* holds a manifest besides the card's (and
    those *carried* names): a generation of ours, which follows the carried history (the
    card's history is carried only where the destination's is an earlier state of it, so
    any other is ours; one not known as the card's is never taken back on a guess)."""
    try:
        card = {p.name for p in (records.source / ASCMHL_FOLDER).glob("*.mhl")}
        card.update(p.name for p in carried.written)
        return any(p.name not in card for p in (root / ASCMHL_FOLDER).glob("*.mhl"))
    except OSError:
        return True  # unknown: nothing is taken back on a guess


def _not_the_same_runs(source: Path, root: Path, names: Sequence[str]) -> tuple[str, ...]:
    """Of *names* (generations of the fast copy at *source* that the history of *root*
    lacks), those of which *root* holds no record of the same run: a generation of the same
    sequence number there whose manifest is the fast copy's but for its dates (when it and
    its hashes were made: ``_DATES``, and the time in its name): the same tool and host,
    the same files, sizes, modification times, digests, actions and ignore list. A cascade
    writes its generation on each copy it verified so, seconds apart: a re-run fed from the
    fast copy found each slow copy's history "of its own, holding none of the fast copy's
    generations". Only a manifest *root*'s chain (``ascmhl_chain.xml``) lists counts: one
    written but never chained (a kill between the two) is no generation of its history. A
    manifest or a chain that cannot be read is kept among *names* (no claim)."""
    kept: list[str] = []
    mine = root / ASCMHL_FOLDER
    try:
        chained = {entry.path for entry in parse_chain(mine / CHAIN_FILE_NAME)}
    except (OSError, HistoryError):
        return tuple(names)
    for name in names:
        sequence = name.partition("_")[0]
        try:
            theirs = _without_dates((source / ASCMHL_FOLDER / name).read_bytes())
            same = any(
                _without_dates(candidate.read_bytes()) == theirs
                for candidate in mine.glob(f"{sequence}_*.mhl")
                if candidate.name in chained
            )
        except OSError:
            same = False
        if not same:
            kept.append(name)
    return tuple(kept)


# The dates of a generation: when it was written (``<creationdate>``) and when each hash in
# it was made (``hashdate``), which differ between the copies one run verified.
_DATES = re.compile(rb"<creationdate>[^<]*</creationdate>|\shashdate=\"[^\"]*\"")


def _without_dates(manifest: bytes) -> bytes:
    """*manifest*'s bytes without its dates (``_DATES``)."""
    return _DATES.sub(b"", manifest)


def _not_carried_warning(records: OffloadRecords, root: Path, carried: CarriedHistory) -> str:
    """The card's manifests *carried* did not bring to *root*: its history there is its own."""
    names = carried.not_carried
    shown = shortened([printable_name(n) for n in names], 3)
    where = printable_name(str(root / ASCMHL_FOLDER))
    source = printable_name(str(records.source / ASCMHL_FOLDER))
    whose, holder = _whose(records)
    if carried.shares_generations:
        why = (
            f"the history in {where} was carried from {holder} by an earlier offload and has "
            f"generations of its own since, so {whose} later generations "
            f"({shown}, made on {holder} after that offload) are not added to it: placed "
            "after them they would read as made on this copy"
        )
    else:
        why = (
            f"{where} holds an ASC MHL history of its own that holds none of {whose} "
            f"generations ({shown}), so {whose} history is not added to it"
        )
    return (
        f"{whose} ASC MHL history ({source}) is not carried on to {root}: {why}. The "
        "history there is continued by offload-ai's generations, each listing the files "
        f"its run hashed there (those {whose} later generations record are checked "
        f"against {whose} history as they are read); {whose} own generations stay on "
        f"{holder} (offload into a new folder to carry them whole)"
    )


def _whose(records: OffloadRecords) -> tuple[str, str]:
    """Whose ASC MHL history this run carries, and what holds it, in words: the card's,
    the fast copy's when it stands in for an absent card, or the source's, a copy root of
    ours (``history_words``)."""
    from offload.card_history import history_words

    return history_words(fast_copy=records.fast_copy, source_copy=records.source_copy)


def _generation_written(root: Path, outcome: ManifestResult, carried: CarriedHistory) -> bool:
    """Whether a generation of this run follows the card's generations *carried* brought to
    *root*: an ASC MHL manifest written there besides them (a legacy MHL is no such one)."""
    brought = {str(p) for p in carried.written}
    folder = root / ASCMHL_FOLDER
    return any(
        path not in brought and path.endswith(".mhl") and Path(path).parent == folder
        for path in outcome.written
    )


def _take_back(root: Path, carried: CarriedHistory, outcome: ManifestResult, whose: str) -> bool:
    """No generation of ours follows the card's history carried to *root*: it is taken
    back, so that no history is left there without one (its ignore list hides our state;
    the card's would leave ``ascmhl-debug verify`` to call ``.offload/`` new files). Whether it
    was. *whose*: whose history it is, in words ("the card's", "the fast copy's", or "the"
    where it is not known)."""
    taken_back = False
    try:
        take_back_history(root, carried)
    except OffloadError as exc:
        note = (
            f"{whose} ASC MHL history carried there could not be taken back ("
            f"{exc.message}): without a generation of offload-ai after it, ascmhl-debug verify "
            f"calls the files of {STATE_FOLDER}/ new"
        )
    else:
        taken_back = True
        outcome.carried = False
        taken = {str(p) for p in carried.written}
        outcome.written = [p for p in outcome.written if p not in taken]
        note = (
            f"{whose} ASC MHL history is not left there either: without a generation of "
            f"offload-ai after it, ascmhl-debug verify would call the files of {STATE_FOLDER}/ new"
        )
    if outcome.error is not None:
        outcome.error = f"{outcome.error}; {note}"
    else:
        outcome.warnings.append(f"no ASC MHL generation written on {root}: {note}")
    return taken_back


def _write_after_carrying(
    records: OffloadRecords,
    options: ManifestOptions,
    destination: DestinationRecords,
    hasher: MediaHasher,
    outcome: ManifestResult,
    state_folders: set[str],
    carried: CarriedHistory,
    *,
    ascmhl: bool,
    shared: SharedWork | None = None,
    carry_error: OffloadError | None = None,
) -> ManifestResult:
    """The manifests of one destination once the card's history is carried there
    (*carried*: what this run, or a dead one it finishes, carried of it). *carry_error*:
    why the card's history could not be carried (``--mhl both``, *options* then asking the
    legacy MHL alone): the ASC MHL's error, recorded once the legacy MHL is written."""
    root = destination.root
    # The stamp stands for the check below only where no link or folder named like our
    # state asks more of the history than its files (each link's state is the history's).
    stamping = destination.state_stamp and not destination.links and not state_folders
    if stamping and not destination.anything_new:
        found = _media_state(records, options, destination)
        if found is not None and stamp_matches(root, found):
            return outcome  # found complete by an earlier run; nothing it read has changed
    else:
        found = None
    # Planned once, into results of their own: their warnings are this run's only when a
    # generation is written now (else the links stand as the history holds them).
    followed = ManifestResult(destination.index)
    judged = ManifestResult(destination.index)
    plan = _plan_links(records, destination, followed, judged)
    creator = options.creator()
    # The card's files named like the history folder are the card's: listed (listed_again)
    patterns = [
        *ascmhl_ignore_patterns((*records.ignore_patterns, *COPY_ROOT_STATE)),
        *history_named_files(paths_of(destination.files)),
    ]
    history: History | None = None
    if ascmhl:
        try:
            history = read_history(root)
        except OffloadError:
            history = None  # write_generation reads it again and names the problem
        if history is not None and history.untrusted_reason(str(root)) is not None:
            # Broken or forged: nothing is decided or read against it (the nothing-new
            # check, history_formats); write_generation refuses it, naming what to restore.
            history = None
    # What the chain does not vouch for (a manifest it does not list, a gap): said by every
    # run writing ASC MHL (the history is read for it alone), once, whether or not it writes
    # a generation (write_generation says it when one is written, on_unvouched: the same
    # notes of the same history), and never stamped complete, so a re-run comes here to say
    # it.
    unvouched: list[str] = list(history.chain_notes()) if history is not None else []
    # The copies read again in the history's formats (history_formats), shared by the
    # nothing-new check and the generation: each read once, not once by each.
    reads: Reads = {}
    read_now: set[str] = set()  # the copies read for them: what the note counts
    legacy = _legacy_patterns(
        options, destination, records.directories, _hiding(history, patterns), outcome
    )
    requested = [*patterns, *legacy, *plan.ignored.values()]
    kinds = set(options.kinds)
    if not destination.anything_new:
        # Nothing new here: each manifest only when it does not yet hold what it would now
        # (else each link's state is the history's). The files an earlier run verified
        # (the ledger) and its manifests never recorded (it stopped in between: killed,
        # power cut, a drive that stalled) are recorded now, as verified earlier.
        kinds, gaps = _kinds_lacking(
            destination,
            kinds,
            plan,
            history,
            patterns,
            legacy,
            state_folders,
            records,
            carried,
            hasher,
            reads,
            read_now,
        )
        if MhlKind.ASCMHL not in kinds:  # no generation: its on_unvouched says nothing
            outcome.warnings.extend(unvouched)
        if MhlKind.ASCMHL not in kinds and history is not None:
            # no generation: each link stands as the history holds it
            outcome.links.update(_left_out_states(history, followed, judged))
            outcome.links.update(_covered_links(history, plan, requested) or {})
        if not kinds:
            # The card's files the manifests there leave out by their names (or in a folder
            # the history's carried patterns hide) are named by every run's reports, not
            # only the run that left them out: never stamped complete, so the next run
            # comes here again (as one that wrote them does not).
            _named_unlisted(destination, outcome)
            _listed_again_past_history(
                history,
                requested,
                (f for f in destination.files if xml_can_hold(f.relative_path)),
                root,
                outcome,
            )
            if found is not None and not outcome.left_out and not unvouched:
                _stamp(root, found)  # read before the check: a change since makes it miss
            return outcome
        outcome.warnings.extend(gaps)
        ascmhl = MhlKind.ASCMHL in kinds
    remove_stamp(root)  # manifests are written: an older stamp stands for nothing now
    # One memoized lister for the generation: the tree's walk below and write_generation's
    # checks (whole folders, nested links) list each folder once between them.
    lister = memoized(destination.lister or local_lister(root))
    tree: TreeRead | None = None
    if ascmhl and plan.ignored and history is not None:
        # The links' patterns as written now: judged against the whole tree too, which a
        # run that writes no generation does not read (each link then stands as the
        # history holds it); write_generation's nested links read it from here.
        # Its walk enters no folder ascmhl's verify skips of what the list written hides
        # for good (write_generation's list but the carried exact patterns, which it may
        # drop; an anchored pattern verify never applies is no skip: ignore.verify_skips).
        # Asked for so far: the state's "!" patterns, the links' own and those listing
        # the history's hidden files again are not known before the links are judged
        # against this tree; without them the walk may skip a card's own .offload
        # folder, whose files are the card's, judged already (plan.hides).
        tree = generation_tree(root, history, [*patterns, *legacy], lister)
        judged = ManifestResult(destination.index)
        ignored = _ignore_links(destination, plan.kinds, plan.hides, judged, tree)
        plan = plan._replace(ignored=ignored)
    if ascmhl:
        for planned in (followed, judged):
            outcome.left_out.extend(planned.left_out)
            outcome.warnings.extend(planned.warnings)
            outcome.links.update(planned.links)
    # The generation lists what this run hashed (copied, read back, read again now), and
    # of the files an earlier run verified (trusted from the ledger, not read now) those
    # its history does not hold yet, with the digests and the date of that verification
    # (_hashed_now); the legacy MHL lists them all.
    links = _linked_files(records, destination, plan, hasher, outcome, options.now())
    directories = [d for d in records.directories if xml_can_hold(d)]
    named_like_state: set[str] = set()
    listed: Iterable[ManifestFile] = _representable(
        destination.files, links.listed, root, outcome, named_like_state
    )
    in_known: InKnownFormats | None = None
    read_copy = _copy_hasher(destination, hasher)
    if ascmhl and history is not None and read_copy is not None:
        # A file the history knows only in formats this run did not hash: its copy here
        # hashed in them too, so the generation compares it (verified, or failed and
        # warned of) instead of recording a second original (history_formats).
        listed = in_known = InKnownFormats(
            listed,
            root,
            history,
            read_copy,
            # an earlier generation records the file (never "not in a manifest", the
            # not-in-manifest code's words); its copy is failed and revoked (card layer)
            functools.partial(_found_wrong, outcome),
            # the legacy MHL is written from the same list: it leaves the copy out too
            manifests="ASC MHL generation or legacy MHL"
            if MhlKind.LEGACY in kinds
            else "ASC MHL generation",
            reads=reads,
            read_now=read_now,
            read_back=destination.read_back,
            # an object store's copy verified now and unreadable now stays verified (an
            # object's GET failing says nothing of it: history_formats.CopyUnread), said
            verified_since=datetime.fromtimestamp(records.started_at, UTC),
            on_unread=lambda _path, message: _coded_warning(
                outcome, PreflightCode.HISTORY_FORMATS_UNREAD, message
            ),
        )
    generation_files = (
        _hashed_now(listed, destination.trusted, history, reads)
        if history is not None and history.knows_files()
        else listed
    )
    state = _nested_state(
        destination.root,
        state_folders | named_like_state,
        _hiding(history, patterns),
        outcome,
    )
    again = (
        _listed_again_past_history(
            history, [*patterns, *legacy, *state, *links.patterns], listed, root, outcome
        )
        if ascmhl
        else []
    )
    unlike: list[str] = []  # files this generation records as failed (replaced there)
    foreign: list[Foreign] = []  # what stands there that is not the card's, in no manifest
    unread: list[str] = []  # why that could not be looked for
    # Why the ASC MHL generation was not written where the legacy MHL is written all the
    # same (--mhl both): it depends on no generation (a card with a nested history, whose
    # generation is refused, still gets the legacy MHL --mhl legacy writes).
    ascmhl_error: OffloadError | ValueError | None = carry_error
    try:
        if ascmhl:
            try:
                outcome.written.append(
                    str(
                        write_generation(
                            root,
                            generation_files,
                            directories=directories,
                            creator=creator,
                            process="transfer",
                            # the legacy MHLs' patterns before the state's: what they list
                            # again would list a card's .offload in such a folder
                            ignore_patterns=[*patterns, *legacy, *state, *links.patterns, *again],
                            now=options.now,
                            on_uncarried=functools.partial(_no_longer_ignored, root, outcome),
                            lister=lister,
                            tree=tree,
                            history=history,
                            shared=shared,
                            # the card's folder times: the copy's once the manifests are written
                            folder_dates=records.folder_dates,
                            folder_dates_from=records.source,
                            on_failed=unlike.append,
                            # An old history's flaw the copy cannot mend: said, not refused
                            # (docs/design.md, "a copy root whose chain does not vouch").
                            on_unvouched=outcome.warnings.extend,
                            intent=unchained_own.record_for(root),
                            on_foreign=foreign.append,
                            expected=destination.card_paths,
                            on_foreign_unread=unread.append,
                        )
                    )
                )
            except (OffloadError, ValueError) as exc:
                if MhlKind.LEGACY not in options.kinds:
                    raise
                ascmhl_error = exc
        if ascmhl and ascmhl_error is None:
            if foreign:
                outcome.coded[len(outcome.warnings)] = PreflightCode.FOREIGN_IN_COPY_ROOT
                outcome.warnings.append(_foreign_warning(root, foreign[0]))
            for why in unread:
                outcome.coded[len(outcome.warnings)] = PreflightCode.FOREIGN_IN_COPY_ROOT
                outcome.warnings.append(_foreign_unread_warning(root, why))
            if unlike:
                outcome.coded[len(outcome.warnings)] = PreflightCode.HISTORY_RECORDS_FAILED
                added = in_known.read_again() if in_known is not None else {}
                outcome.warnings.append(
                    _recorded_failed_warning(
                        root, unlike, {p: added[p] for p in unlike if p in added}
                    )
                )
            if destination.lister is None:  # the folders above a local copy root: its disk's
                _enclosing_warnings(root, [f.relative_path for f in listed], outcome)
            # a read the user did not ask for: said, with what it cost (not the copies
            # hashed in those formats as they were read back: read_back)
            if read_now:
                outcome.warnings.append(
                    _read_again_note(root, len(read_now), stoppable=destination.lister is not None)
                )
        if MhlKind.LEGACY in kinds:
            empty: list[str] = []
            outcome.written.append(
                str(
                    write_legacy_mhl(
                        root,
                        listed,
                        creator=creator,
                        now=options.now,
                        start_date=datetime.fromtimestamp(records.started_at, UTC),
                        ignore_patterns=[*patterns, *state],
                        on_empty=empty.append,
                    )
                )
            )
            if empty:
                shown = shortened([printable_name(p) for p in empty], 3)
                outcome.warnings.append(
                    f"the legacy MHL on {root} lists the empty file{'s' if len(empty) > 1 else ''} "
                    f"{shown} with <size>0</size>, as mhl-tool writes it; a check "
                    "against the MHL v1.1 XSD (size: a positive integer) refuses such an entry"
                )
    except (OffloadError, ValueError) as exc:
        _record_not_written(outcome, destination.destination, exc)
    else:
        if ascmhl_error is not None:
            _record_not_written(
                outcome,
                destination.destination,
                ascmhl_error,
                # written now (the last one written), or complete there already (a re-run)
                legacy=f"the legacy MHL {printable_name(outcome.written[-1])} is written"
                if MhlKind.LEGACY in kinds
                else "the legacy MHL there lists every file already",
            )
    if stamping and outcome.error is None and not outcome.left_out and not unvouched:
        # every file is now in the manifests just written (durable when they returned)
        written = _media_state(records, options, destination)
        if written is not None:
            _stamp(root, written)
    return outcome


def _record_not_written(
    outcome: ManifestResult, where: object, exc: Exception, *, legacy: str | None = None
) -> None:
    """*outcome*'s error for the manifest step that failed on *where* with *exc*
    (:func:`not_written`); *legacy*: words saying the legacy MHL stands there all the same
    (``--mhl both``: written now, or complete already), only the ASC MHL generation
    missing."""
    outcome.lasting = isinstance(exc, UnsupportedTreeError)
    outcome.only_ascmhl = legacy is not None
    # A damaged-or-forged history's words say what is wrong; what to restore is said here
    said = (getattr(exc, "message", None) or str(exc)) + (
        what_to_restore(exc) if isinstance(exc, OffloadError) else ""
    )
    outcome.error = not_written(where, said, lasting=outcome.lasting, legacy=legacy)


def _hashed_now(
    files: Iterable[ManifestFile], trusted: Container[str], history: History, reads: Reads
) -> Iterator[ManifestFile]:
    """*files* as a generation written now lists them: each but a copy trusted from the
    ledger (in *trusted*, not read again for the history's formats: *reads*) that *history*
    holds already as it would be recorded (``ascmhl.held``: its digests recorded there for
    its path). A generation records what its run hashed: ASC MHL's ``verified`` is a hash
    computed by the generation's process and found equal to a record, and this run computed
    none of such a copy; the earlier generations that record it stay its record, which
    ``ascmhl-debug verify`` and ``offload verify`` check it against (a path's reference is
    its first record in any generation). A trusted copy the history does not hold (an
    earlier run's ``--mhl none``, a history removed or lost before its generation) is
    listed, as ``original`` where the history does not know its path, with the digests and
    date of the verification that proved it (else that check would call it new); its
    folders get no folder hash where it is left out (``coverage``: not listed whole)."""
    reference = history.reference_hash_formats
    for item in files:
        path = item.relative_path
        if path in trusted and path not in reads:
            # The usual re-run first: every digest the path's reference (~1 µs a file, where
            # held is ~3 µs); else held's whole test (a digest recorded later, spelling).
            known = reference(path)
            if known is not None and all(
                known.get(name) == value for name, value in item.digests.items()
            ):
                continue
            if held(item, history):
                continue
        yield item


def _copy_hasher(destination: DestinationRecords, hasher: MediaHasher) -> Hasher | None:
    """How *destination*'s copies are read to hash them in its history's formats
    (``history_formats``): a local copy root's from the disk by *hasher*, an S3 copy root's
    through its ``read_copy``; None where they are not read."""
    if destination.lister is None:
        return hasher
    return destination.read_copy


def _read_again_note(root: Path, count: int, *, stoppable: bool = False) -> str:
    """What the generation on *root* read beyond the copy (``history_formats``): how many
    copies (*count*) and why; a full read of each, after the copy, one at a time.
    *stoppable*: an object store's reads, which a cancel stops (each object not yet read
    then listed in the run's formats only); a disk's are not stopped."""
    if stoppable:
        return (
            f"{count} object{'' if count == 1 else 's'} on {root} that its ASC MHL history "
            f"knows only in formats this run did not compute (-t) "
            f"{'was' if count == 1 else 'were'} read once more at the manifest step, one at "
            f"a time, to hash {'it' if count == 1 else 'them'} in the history's formats for "
            "its generation (as ascmhl create does): a full GET of each beyond the copy's "
            "read-back; a Ctrl-C stops them, and an object not read by then is listed in "
            "this run's formats only (a second original, beside the one ascmhl-debug verify "
            "compares against)"
        )
    return (
        f"{count} cop{'y' if count == 1 else 'ies'} on {root} that its ASC MHL history "
        f"knows only in formats this run did not compute (-t) {'was' if count == 1 else 'were'} "
        "read once more at the manifest step, one at a time, to hash "
        f"{'it' if count == 1 else 'them'} in the history's formats for its generation (as "
        "ascmhl create does): a full read of each beyond the copy's, which a Ctrl-C does "
        "not stop"
    )


def _enclosing_warnings(root: Path, paths: Sequence[str], outcome: ManifestResult) -> None:
    """A warning (code ``enclosing-history-hides``) for each folder above *root* whose ASC
    MHL history's ignore list hides one of *paths* (the files the generation just written
    there records) from ``ascmhl-debug verify`` of that folder (:mod:`offload.manifest.enclosing`):
    a damaged copy of such a file would pass that check; one (``enclosing-history-unread``)
    for each whose list could not be read: whether it hides any is not known."""
    from offload.manifest.enclosing import Unread, enclosing_hides

    shown = printable_name(str(root))
    for found in enclosing_hides(root, paths):
        folder = printable_name(str(found.folder))
        above = f"the ASC MHL history of {folder}, a folder above the copy root {shown}"
        if isinstance(found, Unread):
            outcome.coded[len(outcome.warnings)] = PreflightCode.ENCLOSING_HISTORY_UNREAD
            outcome.warnings.append(
                f"{above}, could not be read ({why_unread(found.error)}), so whether its "
                "ignore list hides files of this copy from ascmhl-debug verify of "
                f"{folder} is not known; ascmhl-debug verify and offload verify of {shown} "
                "check them"
            )
            continue
        more = f" and {plural(found.hides - 1, 'other file')}" if found.hides > 1 else ""
        outcome.coded[len(outcome.warnings)] = PreflightCode.ENCLOSING_HISTORY_HIDES
        outcome.warnings.append(
            f"{above}, ignores {printable_name(found.first)}{more} of this copy: "
            f"ascmhl-debug verify of {folder} checks this copy's files with that history's "
            f"ignore list alone, so it skips them and would pass them damaged; ascmhl-debug "
            f"verify of {shown} and offload verify of either folder check them"
        )


def _legacy_patterns(
    options: ManifestOptions,
    destination: DestinationRecords,
    directories: Iterable[str],
    hiding: Sequence[str],
    outcome: ManifestResult,
) -> list[str]:
    """The ignore pattern of the legacy MHLs at the copy root, for a generation written now:
    when this run writes one, or when one of ours stands there already (an earlier run's
    ``--mhl legacy`` or ``both``). Not card content: a generation that does not name them
    leaves each a new file to ``ascmhl-debug verify`` (exit 21) and to ``offload verify``. A card
    entry of such a name (the card was itself a copy root, a copy tool wrote its legacy MHL
    onto the card, a note so named in a clip folder, a folder ``DAY2_2024.mhl/`` of clips)
    is the card's, recorded as such: the pattern hides a name at any depth, folders
    included, so each folder is listed again after it with what it holds
    (:func:`~offload.manifest.listed_again.legacy_named_folders`; *directories*: the card's
    folders; *hiding*: the patterns before it), then each file
    (:func:`_card_files_listed_again`). A folder no pattern can list is left out, named in
    *outcome*."""
    name = destination.root.name
    if not (name.isascii() and name.isprintable()):
        # As the legacy MHL is named (``legacy_root_name``): by the one rule of own names
        # (a line break as "_"), its ASCII form where only ASCII names are written (fusefat).
        from offload.manifest.legacy import legacy_root_name

        name = legacy_root_name(destination.root)
    pattern = f"{xml_safe(name, '?')}_*.mhl"
    if MhlKind.LEGACY not in options.kinds:
        from offload.manifest.legacy import is_legacy_mhl_name  # only when a name may be one

        # The root itself, not destination.lister: an S3 copy root's staging folder holds
        # its legacy MHLs (downloaded with its history, s3card), and the store's lister
        # would list every key under the prefix on a re-run that writes nothing.
        try:
            with os.scandir(destination.root) as entries:
                found = {
                    entry.name
                    for entry in entries
                    if is_legacy_mhl_name(destination.root.name, entry.name)
                    and not entry.is_dir(follow_symlinks=False)
                }
        except OSError:
            return []  # the root cannot be listed: write_generation names the problem
        if found:
            found -= {f.relative_path for f in destination.files if f.relative_path in found}
        if not found:
            return []
    folders, hidden = legacy_named_folders(destination.root, pattern, directories, hiding)
    for path, why in hidden.items():
        _leave_out(
            outcome,
            path,
            f"{printable_name(path)} on {destination.root}: the card's folder, copied (the "
            "job report has its files, each with its state), is not in the ASC MHL manifest "
            f"there: the pattern {pattern} that hides the copy root's legacy MHLs hides it "
            f"too, and {why}; ascmhl-debug verify does not check it",
            content=f"the pattern {pattern} that hides the copy root's legacy MHLs hides it "
            f"too, and {why}",
        )
    return [pattern, *folders, *_card_files_listed_again([pattern, *folders], destination)]


def _card_files_listed_again(patterns: Sequence[str], destination: DestinationRecords) -> list[str]:
    """The patterns that list again, after *patterns* (the copy root's legacy MHLs' first,
    hidden by their name: ascmhl matches a pattern against absolute paths, so no pattern
    names the root's alone; then those that list the card's folders so named again), each
    file of the card on *destination* that the first hides too: ``!`` and the file's exact
    pattern, which matches no legacy MHL of ours (none has a card file's name). Without
    them such a file is copied and verified but in no generation, so neither ``ascmhl-debug
    verify`` nor ``offload verify`` ever checks its copy. A file in a folder left hidden
    stays hidden with it (ascmhl does not walk into an ignored one)."""
    spec = IgnoreSpec(patterns)
    name = IgnoreSpec(patterns[:1])
    again = []
    for relative in paths_of(destination.files):
        if not relative.endswith(".mhl") or not name.matches(relative, is_dir=False):
            continue
        folder = relative.rpartition("/")[0]
        if (folder and spec.excludes(folder, is_dir=True)) or not xml_can_hold(relative):
            continue
        again.append("!" + exact_pattern(relative))
    return again


def _listed_again_past_history(
    history: History | None,
    requested: list[str],
    listed: Iterable[ManifestFile],
    root: Path,
    outcome: ManifestResult,
) -> list[str]:
    """The ``!`` patterns that list again, after *requested* (every other pattern of the
    generation), the card's files in *listed* that a pattern carried from the history there
    would hide (:func:`~offload.manifest.ascmhl.hidden_by_carried`: the card's own history's
    ``*.tmp``, a copy root of ours offloaded again, its legacy MHL hidden by the
    ``<root>_*.mhl`` its history carries); those in a folder such a pattern hides are left
    out, named in one warning (``not-in-manifest``: a proxy folder may hold hundreds; every
    saved report names each), never dropped unsaid."""
    if history is None:
        return []
    left_out = set(outcome.left_out)
    latest = history.latest_ignore_patterns() or ()
    again, hidden = hidden_by_carried(
        latest,
        requested,
        (item.relative_path for item in listed if item.relative_path not in left_out),
    )
    if hidden:
        # plain ascmhl-debug verify walks a folder only an anchored pattern hides (it never applies
        # one): it calls such a file new, where offload verify passes it over
        walked = verify_skips(ignored_for_good(latest, requested))
        anchored: list[str] = []
        both: list[str] = []
        for path in hidden:
            (both if walked.excludes(path, is_dir=False) else anchored).append(path)
        for group, why, checks, only_anchored in (
            (
                both,
                "in a folder the ignore list carried from the card's ASC MHL history hides, "
                "which no pattern can list again",
                "ascmhl-debug verify and offload verify pass over {it}",
                False,
            ),
            (anchored, ANCHORED_ONLY_REASON, ANCHORED_ONLY_CHECKS, True),
        ):
            if not group:
                continue
            one = len(group) == 1
            shown = shortened([printable_name(p) for p in group], 3)
            message = (
                f"{plural(len(group), 'file')} of the card on {root} "
                f"{'is' if one else 'are'} not in the ASC MHL manifest ({shown}): "
                f"{why}; {'its copy is' if one else 'their copies are'} in the job report with "
                f"{'its state' if one else 'their states'} "
                f"({checks.format(it='it' if one else 'them')})"
            )
            outcome.left_out.extend(group)
            outcome.warnings.append(message)
            for path in group:
                outcome.not_listed[path] = Unlisted(why, message, only_anchored)
    return again


def _media_state(
    records: OffloadRecords, options: ManifestOptions, destination: DestinationRecords
) -> dict[str, object] | None:
    """What the stamp of *destination* would record now (:func:`manifest_stamp.media_state`
    with the options a manifest's content depends on); None when the media cannot be read."""
    try:
        return media_state(
            destination.root,
            files=destination.files,
            options=stamp_options(
                kinds=[str(kind) for kind in options.kinds],
                algorithms=records.algorithms,
                ignore_patterns=records.ignore_patterns,
                source=records.source,
                card_has_history=records.card_has_history,
            ),
            legacy=MhlKind.LEGACY in options.kinds,
        )
    except OSError:
        return None


def _stamp(root: Path, state: dict[str, object]) -> None:
    """Write the stamp of *root* (a failure leaves none: the next run checks in full)."""
    try:
        write_stamp(root, state)
    except OSError:
        remove_stamp(root)


def _kinds_lacking(
    destination: DestinationRecords,
    kinds: set[MhlKind],
    plan: _LinkPlan,
    history: History | None,
    patterns: list[str],
    legacy: list[str],
    state_folders: set[str],
    records: OffloadRecords,
    carried: CarriedHistory,
    hasher: MediaHasher,
    reads: Reads,
    read_now: set[str],
) -> tuple[set[MhlKind], list[str]]:
    """The manifests among *kinds* that do not yet hold what a manifest written now would,
    on a destination where this run verified nothing new, each with a warning naming the
    gap when it is files: the ASC MHL history when it cannot be read (the generation names
    the problem), when a link or a folder of the card named like our state is not held as a
    generation would hold it, or when it does not record, verified, a file verified there
    (it has no generation, or an earlier run stopped between recording its files in the
    ledger and writing its manifests, or its newest generation is the card's own, carried:
    no transfer to this destination recorded); the legacy MHL when there is none or the
    newest does not list each file; the ASC MHL history too when its newest generation does not
    ignore *legacy*. *patterns*: the requested ignore patterns (the copy root's state
    last); *legacy*: the legacy MHLs' pattern, when one is or stands there (each as
    :func:`_write_on_destination` passes them); *carried*: what this run (or a dead one it
    finishes) carried of the card's history there; *reads*: the copies read again in the
    history's formats, shared with the generation's (each read once); *read_now*: the
    paths of those read, likewise shared."""
    requested = [*patterns, *legacy, *plan.ignored.values()]
    root = destination.root
    scratch = ManifestResult(destination.index)  # the warnings are the generation's, if any
    exact: tuple[Iterable[ManifestFile], list[str]] | None = None

    def as_written() -> tuple[Iterable[ManifestFile], list[str]]:
        """The files as a manifest would list them, and the patterns that bring back the
        card's entries named like our state and its files a pattern carried from the
        history hides: one more pass over the files, made only when a quick test did not
        settle it."""
        nonlocal exact
        if exact is None:
            named_like_state: set[str] = set()
            listed = _representable(destination.files, [], root, scratch, named_like_state)
            hiding = _hiding(history, patterns)
            state = _nested_state(root, state_folders | named_like_state, hiding, scratch)
            asked = [*patterns, *legacy, *state, *plan.ignored.values()]
            again = _listed_again_past_history(history, asked, listed, root, scratch)
            exact = listed, [*state, *again]
        return exact

    lacking: set[MhlKind] = set()
    gaps: list[str] = []
    if MhlKind.ASCMHL in kinds:
        if (
            history is None  # unreadable: write_generation names the problem
            or _covered_links(history, plan, requested) is None
            or not _state_folders_listed(history, root, state_folders, patterns)
        ):
            lacking.add(MhlKind.ASCMHL)
        else:
            # Quick first (every file held: the ordinary re-run), then as written.
            unheld = first_unheld(destination.files, history, ignore_patterns=None)
            if unheld is not None:
                listed, state = as_written()
                dropped: list[str] = []  # copies it could not read again: not held
                # A local copy only: an object store's is read by the generation this
                # gap writes (once: the next run finds it held), never here at each
                # nothing-new run (a bucket has no stamp that would settle it).
                read_copy = hasher if destination.lister is None else None
                if read_copy is not None:
                    # a file known only in formats not hashed now: held when its copy's
                    # digest in them is one the history records (history_formats); one
                    # it could not read again is left to the generation, which says so
                    listed = InKnownFormats(
                        listed,
                        root,
                        history,
                        read_copy,
                        lambda path, _message: dropped.append(path),
                        reads=reads,
                        read_now=read_now,
                    )
                unheld = first_unheld(
                    listed,
                    history,
                    ignore_patterns=[*patterns, *legacy, *state, *plan.ignored.values()],
                )
                if unheld is None and dropped:
                    unheld = dropped[0]
            if unheld is None and _newest_is_the_cards(history, records, carried):
                lacking.add(MhlKind.ASCMHL)
                gaps.append(
                    f"the ASC MHL history on {root} holds {_whose(records)[0]} own "
                    "generations only, "
                    "though its ledger records files copied there: no earlier run wrote a "
                    "generation of its copies there (it ran with --mhl none or --mhl legacy, "
                    "or it stopped before writing its manifests); a new generation records "
                    "the transfer "
                    "(its ignore list hiding the copy root's state); a file those generations "
                    "record, not re-read now, stays recorded by them alone (the card's record "
                    "of its file, not of the copy there), and a file they do not record is "
                    "listed with the digests and date its ledger records for the earlier "
                    "run's check (verified, or transfer-checked only)"
                )
            elif unheld is not None and _in_other_formats(destination, history, unheld):
                lacking.add(MhlKind.ASCMHL)
                gaps.append(
                    f"the ASC MHL history on {root} records {printable_name(unheld)} only in "
                    "formats this run did not compute (-t): a new generation records each "
                    "such file in them too, its copy read once more there (as ascmhl create "
                    "does), the others, not read now, left to the records the history holds"
                )
            elif unheld is not None:
                lacking.add(MhlKind.ASCMHL)
                what = (
                    f"the ASC MHL history on {root} does not record {printable_name(unheld)} "
                    "as verified, though its ledger does"
                    if history.exists
                    else f"there is no ASC MHL history on {root}, though its ledger records "
                    f"files copied there ({printable_name(unheld)}, ...)"
                )
                if (
                    history.exists
                    and _ignored_by_newest(history, unheld)
                    and _newest_is_the_cards(history, records, carried)
                ):
                    # The card's own history, carried there (a first run with --mhl none,
                    # or stopped before its manifests): its patterns hide a card file that
                    # this generation lists (_listed_again_past_history); no earlier rule.
                    why = (
                        f"the newest generation there is {_whose(records)[0]} own, whose "
                        "ignore patterns hide it, and no offload's generation follows it yet "
                        "(an earlier run wrote no manifest there, or stopped before it)"
                    )
                elif history.exists and _ignored_by_newest(history, unheld):
                    # Left out on purpose, not missed: the newest generation's patterns hide
                    # what this run lists (card files named like the legacy MHLs, listed
                    # again with "!" patterns since the stamp's rule 4; those a pattern
                    # carried from the history hides, since rule 6).
                    why = (
                        "its newest generation's ignore patterns hide it: the history was "
                        "written under an earlier rule (an earlier offload-ai hid card files "
                        "named like the copy root's legacy MHLs, or hidden by a pattern "
                        "carried from the card's history; or other --ignore patterns): "
                        "checked in full this once"
                    )
                else:
                    why = (
                        "no earlier run's generation records it (a run wrote none there, "
                        "--mhl none or --mhl legacy, or it stopped before writing its "
                        "manifests, or the history was changed since)"
                    )
                gaps.append(
                    f"{what}: {why}; a new generation records each file its ledger records "
                    "there that the history does not record, with the digests and date the "
                    "ledger records for the earlier run's check (verified, or "
                    "transfer-checked only; not re-read now)"
                )
        if (
            MhlKind.ASCMHL not in lacking
            and history is not None
            and not set(legacy) <= set(history.latest_ignore_patterns() or ())
        ):
            # A legacy MHL stands (or is written now) at the copy root that the newest
            # generation does not ignore: a generation that does names it.
            lacking.add(MhlKind.ASCMHL)
    if MhlKind.LEGACY in kinds:
        from offload.manifest.legacy import first_unlisted  # only when one is asked for

        listed, state = as_written()
        unlisted = first_unlisted(root, listed, ignore_patterns=[*patterns, *state])
        if unlisted is not None:
            lacking.add(MhlKind.LEGACY)
            what = (
                f"the newest legacy MHL on {root} does not list {printable_name(unlisted)}, "
                "though its ledger records it verified there"
                if unlisted
                else f"there is no legacy MHL on {root}, though its ledger records files "
                "verified there"
            )
            gaps.append(
                f"{what}: no earlier run wrote one listing it (a run wrote none there, "
                "--mhl none or --mhl ascmhl, or it stopped before writing its manifests); a "
                "legacy MHL "
                "now lists every file verified there, those verified by an earlier run with "
                "the digests and dates of that verification (not re-read now)"
            )
    return lacking, gaps


def _in_other_formats(destination: DestinationRecords, history: History, relative: str) -> bool:
    """Whether *history* records the file *relative*, copied to *destination* (an object
    store's: a local copy's is read in ``_kinds_lacking``), in formats none of which its
    digests are in (``history_formats``): the gap is that format change, nothing lost."""
    if destination.lister is None:
        return False
    known = history.reference_hash_formats(relative)
    if not known:
        return False
    digests = next((f.digests for f in destination.files if f.relative_path == relative), {})
    return known.keys().isdisjoint(canonical_digests(digests))


def _ignored_by_newest(history: History, relative: str) -> bool:
    """Whether the newest generation of *history* ignores the file *relative* (its own
    patterns, or a folder above it they hide): it was left out by the rule that wrote it,
    not missed by a run that stopped."""
    latest = history.latest_ignore_patterns()
    return latest is not None and IgnoreSpec(latest).excludes(relative, is_dir=False)


def _newest_is_the_cards(
    history: History, records: OffloadRecords, carried: CarriedHistory
) -> bool:
    """Whether the newest generation of *history* (a destination's, the card's carried
    first) is one of the card's own: no generation of a transfer follows them. Where a fast
    copy stands in for the card, its generations are offload-ai's own transfer generations,
    and one written on this destination in the same second is the same file byte for byte
    (same name, files, hashes and dates): content cannot tell them apart, so only one
    *carried* here (by this run, or a dead one it finishes) is called the fast copy's."""
    if not records.card_has_history or not history.exists:
        return False
    newest = history.generations[-1].file_name
    if records.fast_copy and newest not in {path.name for path in carried.written}:
        return False
    ids = {entry.path: entry.c4 for entry in history.chain}
    if newest not in ids:
        return False  # a manifest the chain does not list: none the card's carried
    try:
        # By content: a generation of ours may have the name of a later one of the card's
        # (the same sequence number, made in the same second).
        card = parse_chain(records.source / ASCMHL_FOLDER / CHAIN_FILE_NAME)
    except (OSError, OffloadError):
        return False  # the card is gone (a cascade's re-run): nothing to tell them apart
    return ids[newest] in {entry.c4 for entry in card}


def _state_folders_listed(
    history: History, root: Path, folders: set[str], hiding: Iterable[str]
) -> bool:
    """Whether the newest generation of *history* lists what a generation written now would
    of the card's *folders* named like our state: each one a pattern can list is not
    hidden by its ignore list."""
    if not folders:
        return True
    latest = history.latest_ignore_patterns() or DEFAULT_IGNORE_PATTERNS
    spec = IgnoreSpec(latest)
    unhiding = unhide_nested_state(root, folders, _hiding(history, hiding))
    hidden = unhiding.hidden
    if not set(unhiding.patterns) <= set(latest):
        return False  # an older list that brings back what it hides elsewhere (.DS_Store)
    return not any(spec.excludes(f, is_dir=True) for f in folders if f not in hidden)


def _hiding(history: History | None, patterns: Iterable[str]) -> list[str]:
    """The ignore list a new generation holds before the patterns that bring back the card's
    entries named like our state: ascmhl's defaults, the history's newest list, *patterns*
    (the requested ones, ending with the copy root's state)."""
    carried = (history.latest_ignore_patterns() or ()) if history is not None else ()
    return list(dict.fromkeys((*DEFAULT_IGNORE_PATTERNS, *carried, *patterns)))


def _nested_state(
    root: Path, nested: set[str], hiding: list[str], outcome: ManifestResult
) -> list[str]:
    """The patterns that list again the card's own entries named like the copy root's state
    folder (:mod:`offload.manifest.copy_root`; *nested*: their paths, names XML can hold),
    those no pattern can list left out, each named in a warning."""
    if not nested:
        return []
    unhiding = unhide_nested_state(root, nested, hiding)
    for path, why in unhiding.hidden.items():
        _leave_out(
            outcome,
            path,
            f"{printable_name(path)} on {root}: the card's own "
            f"{printable_name(path.rpartition('/')[2])}, copied (the job report has its "
            "files, each with its state), is not in the ASC MHL manifest there: the pattern that "
            f"hides the copy root's own state hides it too, and {why}; ascmhl-debug verify does "
            "not check it",
            content=f"the pattern that hides the copy root's own state hides it too, and {why}",
        )
    return unhiding.patterns
