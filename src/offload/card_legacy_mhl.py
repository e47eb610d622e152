"""Legacy MHL files (MHL v1) a source carries, checked while it is read (``plan_offload``).

A shuttle drive from an earlier offload, or a folder another tool (Silverstack, ShotPut,
YoYotta) offloaded, carries ``*.mhl`` files beside the files they list. Each one found in
the scan is read (:func:`offload.manifest.legacy.read_legacy_mhl`) and every file it lists
with a digest we compute (md5, sha1, xxh64, xxh32) is checked against it while it is read,
as the card's own ASC MHL history is (:mod:`offload.card_history`): a mismatch fails the
file on every destination. A card without a ``.mhl`` file costs one search of the scanned
names joined (:func:`legacy_mhl_paths`) and reads and imports nothing.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from offload.card_history import history_words
from offload.engine.messages import MhlRecord
from offload.errors import describe_os_error, printable_name
from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.ignore import DEFAULT_IGNORE_PATTERNS, IgnoreRules
from offload.respelling import respelled_pairs

if TYPE_CHECKING:  # read only where a card holds a .mhl (module doc)
    from offload.manifest.legacy import LegacyEntry

# A folder of this name holds an ASC MHL history: its ``*.mhl`` files are generations (v2),
# read by ``card_history``, never as legacy MHLs.
_ASCMHL = "ascmhl"
# A name ending ``.mhl`` in any case, in the paths joined by newlines.
_MHL_END = re.compile(r"\.mhl$", re.IGNORECASE | re.MULTILINE)


class CardLegacyMhls(NamedTuple):
    """What the legacy MHLs on the source say, checked before and while it is read.

    ``references``: ``card path → {format → hash}``, the digests each listed file there
    must have (md5, sha1, xxh64, xxh32 as recorded; only those the copy computes are
    compared). ``sizes``: ``card path → bytes``, the size the record gives each listed
    file there, a ``<null>`` (size-only) record's too: a file of another size fails as one
    unlike a recorded digest does (as ``offload verify`` of the copy finds it changed).
    ``records``: ``card path → words naming the MHL that recorded it``, each path of
    ``references`` or ``sizes`` ("the legacy MHL
    'CLIPS/CLIPS_2024-01-01_120000.mhl' on the card"), for the mismatch line. A file two
    MHLs list is checked against the one finished last (its ``<finishdate>``, then its
    path): the newer record of a file re-offloaded since. ``missing``: listed files the
    source no longer has, sorted (each a warning, and the offload's exit code 1: a clip the
    card's own record lists and it lost, as for its ASC MHL history); ``missing_in``: the
    path of the MHL (from the source's root) that lists each of them, in the same order.
    ``history_missing``: the files an ASC MHL history nested in the card's folders
    records that the card no longer has (``card_nested_history``: the offload's
    ``missing_from_card``, as its own history's, exit 1). ``warnings``: the findings in the
    preflight's form (a missing file; an MHL that cannot be read or lists paths outside the
    source, one each: not a failure, its files are then not checked against it).
    """

    references: dict[str, dict[str, str]]
    records: dict[str, str]
    missing: tuple[str, ...] = ()
    warnings: tuple[PreflightItem, ...] = ()
    missing_in: tuple[str, ...] = ()
    sizes: Mapping[str, int] = MappingProxyType({})
    history_missing: tuple[str, ...] = ()


def legacy_mhl_paths(relative_paths: Sequence[str]) -> list[str]:
    """The scanned files that may be legacy MHLs: named ``*.mhl`` (any case), not inside an
    ``ascmhl/`` folder (an ASC MHL history's generations). The names joined are searched
    first, once: a card without one is told in ~2 ms for 50,000 files, a test a name ~5 ms
    (docs/performance.md, "Legacy MHLs on the card"); a name holding a newline may pass
    that screen, never fail it, and the test a name decides."""
    if _MHL_END.search("\n".join(relative_paths)) is None:
        return []
    return [
        path
        for path in relative_paths
        if path[-4:].lower() == ".mhl" and _ASCMHL not in path.split("/")[:-1]
    ]


def formats_to_add(references: dict[str, dict[str, str]], algorithms: Sequence[str]) -> list[str]:
    """The formats to hash in flight beside *algorithms* so that every recorded file can be
    checked: none for a file recorded in a format already computed; else its fastest
    recorded one (xxh64 before md5 before sha1), so a legacy MHL in md5 alone adds md5, and
    one with md5 and xxh64 adds nothing to an xxh64 offload."""
    from offload.hashing.registry import resolve_algorithm

    chosen = set(algorithms)
    added: list[str] = []
    for digests in references.values():
        if not digests or chosen.intersection(digests):
            continue
        fastest = max(digests, key=lambda name: resolve_algorithm(name).gb_per_s)
        chosen.add(fastest)
        added.append(fastest)
    return added


class ListedFile(NamedTuple):
    """What the newest legacy MHL listing a file records of it: ``digests`` (format →
    canonical text: md5, sha1, xxh64, xxh32; empty for ``<null>`` or no hash element),
    ``size_bytes`` (None when it records none) and ``mhl``, that MHL's path in the tree."""

    digests: dict[str, str]
    size_bytes: int | None
    mhl: str


def read_legacy_mhls(
    tree: Path,
    mhls: Sequence[str],
    names: Collection[str],
    *,
    holder: str,
    unreadable_tail: str = "",
) -> tuple[dict[str, ListedFile], list[PreflightItem]]:
    """Read the legacy MHLs *mhls* (paths in *tree*, from :func:`legacy_mhl_paths`) and
    say what they list: ``(listed, problems)``. *listed*: ``path → ListedFile`` by the path
    from *tree*'s root, spelled as *names* (the tree's files) spell it where the MHL spells
    it otherwise (composed, NFC, and decomposed, NFD: a Mac tool's MHL on a card listed on
    Linux, or the reverse; ``respelling``'s one rule, applied once the MHLs are merged by
    their own spellings: a twin one MHL lists beside it is never it; records of the two
    spellings in two MHLs are one file, the tree's, only where they agree, size and a
    digest of a format both hold, else the one no file has is missing: :class:`_TwoFiles`);
    a file two MHLs list takes the record
    of the one finished last (its ``<finishdate>``, then its path), but a newer one that
    records no digest (``<null>``) erases none. One MHL's entries naming one file are
    merged first (:func:`merge_entries`); two that disagree leave that file out of
    *listed* (not checked against that MHL: no read could match both), one
    ``legacy-mhl-contradicts`` warning each, both records quoted. *problems*: an MHL that
    cannot be read, or is an ASC MHL manifest, or lists paths outside *tree* (those entries
    left out), one warning each, worded as on *holder* ("the card", "this copy"),
    *unreadable_tail* ending the unreadable one's words. Never raises for an MHL that
    cannot be read."""
    from offload.manifest.errors import ManifestError
    from offload.manifest.legacy import read_legacy_mhl

    problems: list[PreflightItem] = []
    contradicted: list[PreflightItem] = []
    read: list[tuple[str, str, list[tuple[str, ListedFile]]]] = []
    for mhl in mhls:
        path = tree / mhl
        shown = printable_name(mhl)
        try:
            listed = read_legacy_mhl(path)
        except (ManifestError, OSError) as exc:
            reason = _why_unreadable(exc, path)
            problems.append(_unreadable(path, shown, holder, reason, unreadable_tail))
            continue
        if (listed.version or "").startswith("2"):
            why = "an ASC MHL manifest (version 2) outside an ascmhl/ history folder"
            problems.append(_unreadable(path, shown, holder, why, unreadable_tail))
            continue
        merged = merge_entries(posixpath.dirname(mhl), listed.entries)
        outside = merged.outside
        entries = [
            (joined, ListedFile(dict(entry.digests), entry.size_bytes, mhl))
            for joined, entry in merged.entries.items()
            if joined not in merged.unlike
        ]
        if merged.unlike:
            contradicted.extend(
                _contradiction(tree / mhl, shown, holder, joined, pair)
                for joined, pair in merged.unlike.items()
            )
        if outside:
            more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
            names_shown = ", ".join(repr(printable_name(p)) for p in outside[:3])
            problems.append(
                PreflightItem(
                    PreflightCode.LEGACY_MHL_OUTSIDE,
                    path,
                    f"legacy MHL '{shown}' on {holder} lists paths outside {holder} "
                    f"({names_shown}{more}): they are not checked",
                )
            )
        read.append((listed.finish_date or "", mhl, entries))
    read.sort(key=lambda item: (item[0], item[1]))
    newest: dict[str, ListedFile] = {}
    for _, _, entries in read:
        for joined, record in entries:
            if record.digests or joined not in newest:  # a newer <null> erases no digest
                newest[joined] = record
    # Merged by each MHL's own spelling first, then respelled: a record is tied to the
    # tree's file of its other spelling only where no MHL records that file as it is, or
    # one does and the two records agree in another MHL (_TwoFiles).
    pairs = respelled_pairs(newest, names, twins=_TwoFiles(newest, read))
    order = {mhl: rank for rank, (_, mhl, _) in enumerate(read)}
    for name, recorded in pairs.items():
        record = newest.pop(recorded)
        own = newest.get(name)
        if own is None or order[record.mhl] > order[own.mhl]:
            newest[name] = record  # the record of the one finished last (they agree)
    return newest, problems + contradicted


class _TwoFiles:
    """``respelling``'s *twins* for a tree's legacy MHLs merged: whether the records of a
    name's two spellings (*one*, the spelling no file has; *other*, the tree's file's, its
    own record too) are two files. One MHL listing both says two (twins); records in two
    MHLs are one file only where they agree: the same size and an equal digest in a format
    both hold, none unlike (a clip lost, another recorded under the other spelling by
    another MHL: the lost one's record stays missing, never checked against the other's
    bytes). The MHLs' paths are gathered in sets only when a pair is asked about."""

    def __init__(
        self,
        newest: Mapping[str, ListedFile],
        read: Sequence[tuple[str, str, Sequence[tuple[str, ListedFile]]]],
    ) -> None:
        self._newest = newest
        self._read = read
        self._listed: list[set[str]] | None = None

    def __call__(self, one: str, other: str) -> bool:
        first, second = self._newest[one], self._newest[other]
        if first.size_bytes != second.size_bytes:
            return True
        shared = first.digests.keys() & second.digests.keys()
        if not shared or any(first.digests[f] != second.digests[f] for f in shared):
            return True
        if self._listed is None:
            self._listed = [{joined for joined, _ in entries} for _, _, entries in self._read]
        return any(one in paths and other in paths for paths in self._listed)


# A Windows path from a drive's root (``D:\\A001\\CLIPS\\A.MOV``, read as ``D:/A001/...``).
_DRIVE = re.compile(r"[A-Za-z]:/")


def from_a_root(path: str) -> bool:
    """Whether a listed *path* (``\\`` read as ``/``) names a file from a root rather than
    from the MHL's folder: ``/Volumes/...``, ``//server/share/...``, ``D:/...``: outside
    the tree, on the card and in ``offload verify --mhl-file`` alike: such an entry is not
    checked, the MHL's others are (a warning on the card; no pass, exit 22, in verify,
    where the MHL is the reference asked for)."""
    return path.startswith("/") or _DRIVE.match(path) is not None


class Merged(NamedTuple):
    """One legacy MHL's entries by the file each names (:func:`merge_entries`).

    ``entries``: ``path from the tree's root → entry``, the last entry naming it that
    records a digest (a later ``<null>`` erases no digest), else its first. ``unlike``:
    ``path → (earlier, later)``, two entries naming one file that disagree (their sizes,
    or a digest in a format both hold): the MHL contradicts itself, so no read of the file
    can match it (no pass). ``outside``: the written paths naming files outside the tree
    (:func:`listed_path`), in the MHL's order."""

    entries: dict[str, LegacyEntry]
    unlike: dict[str, tuple[LegacyEntry, LegacyEntry]]
    outside: list[str]


def merge_entries(folder: str, listed: Iterable[LegacyEntry]) -> Merged:
    """The entries *listed* of one legacy MHL in *folder* (its folder's path from the
    tree's root) by the file each names (:func:`listed_path`: ``C/f1.mov`` and
    ``C//f1.mov`` are one file): :class:`Merged`. The one merge of a legacy MHL's
    entries, for ``offload copy`` (the card's legacy MHLs, :func:`read_legacy_mhls`) and
    ``offload verify --mhl-file`` alike: an MHL listing one file twice with two different
    md5 is a contradiction said, never its last entry silently taken."""
    from offload.hashing.registry import comparable_digest

    entries: dict[str, LegacyEntry] = {}
    unlike: dict[str, tuple[LegacyEntry, LegacyEntry]] = {}
    outside: list[str] = []
    for entry in listed:
        if not entry.path:
            continue
        joined = listed_path(folder, entry.path)
        if joined is None:
            outside.append(entry.path)
            continue
        before = entries.get(joined)
        if before is None:
            entries[joined] = entry
            continue
        sized = before.size_bytes is not None and entry.size_bytes is not None
        if (sized and before.size_bytes != entry.size_bytes) or any(
            comparable_digest(name, value) != comparable_digest(name, entry.digests[name])
            for name, value in before.digests.items()
            if name in entry.digests
        ):
            unlike.setdefault(joined, (before, entry))
        if entry.digests:  # a later <null> erases no digest
            entries[joined] = entry
    return Merged(entries, unlike, outside)


def listed_path(folder: str, written: str) -> str | None:
    """The path, from the tree's root, of the file a legacy MHL in *folder* (its folder's
    path from that root, ``""`` at the root) lists as *written* (``LegacyEntry.path``):
    joined and normalized (``C//f1.mov``, ``C/./f2.mov``, ``A/../B/b.mov`` are
    ``C/f1.mov``, ``C/f2.mov``, ``B/b.mov``, as the file system reads them); None when it
    names a file outside the tree: from a root (:func:`from_a_root`) or, by ``..``, above
    the tree's root (``../B/b.mov`` from an MHL at the root). The one reading of a listed
    path: the card's legacy MHLs (:func:`read_legacy_mhls`, so ``offload copy`` and the
    copy's legacy MHLs checked by ``offload verify``) and ``offload verify --mhl-file``'s
    MHL (``manifest.verify``) alike."""
    if from_a_root(written):
        return None
    joined = posixpath.normpath(posixpath.join(folder, written))
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


def keep_listed(source: Path, relative_paths: Sequence[str], rules: IgnoreRules) -> IgnoreRules:
    """*rules*, but that no default pattern leaves out a file a legacy MHL among
    *relative_paths* (the scan's files, made with *rules*) lists and *source* holds
    (``IgnoreRules.keeping``, as ``card_history.keep_recorded`` for the card's ASC MHL
    history): the card's record says the card held it (``._A001C001.MOV``, ``.DS_Store``),
    so it is copied, and ``offload verify`` of the copy finds it. *rules* itself (the same
    object) when none is hidden, so the caller scans again only when the rules changed.
    Looks at the card (``lstat``) only for the listed paths *rules* leave out; a card
    without a legacy MHL costs one search of its names. Never raises for an MHL."""
    found = legacy_mhl_paths(relative_paths)
    if not found:
        return rules
    listed, _ = read_legacy_mhls(source, found, frozenset(relative_paths), holder="the card")
    hidden = [
        path
        for path in listed
        if rules.excludes(path, is_dir=False) and os.path.lexists(source / path)
    ]
    return rules.keeping(hidden) if hidden else rules


def _os_files_kept(
    source: Path, listed: dict[str, ListedFile], ignore: IgnoreRules, holder: str
) -> list[PreflightItem]:
    """One warning for each legacy MHL listing files a default pattern names (OS files)
    that *ignore* (the run's rules, :func:`keep_listed`'s) keeps."""
    defaults = IgnoreRules(DEFAULT_IGNORE_PATTERNS)
    kept: dict[str, list[str]] = {}
    for path, record in listed.items():
        if defaults.excludes(path, is_dir=False) and not ignore.excludes(path, is_dir=False):
            kept.setdefault(record.mhl, []).append(path)
    items = []
    for mhl, paths in sorted(kept.items()):
        paths.sort()
        shown = ", ".join(repr(printable_name(p)) for p in paths[:5])
        more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
        items.append(
            PreflightItem(
                PreflightCode.LEGACY_MHL_OS_FILES_KEPT,
                source / mhl,
                f"{shown}{more}: operating-system files the default ignore patterns leave "
                f"out, but the legacy MHL '{printable_name(mhl)}' on {holder} lists them: "
                f"copied, as {holder} held them (offload verify of the copy checks them "
                "against it); --ignore NAME leaves one out all the same",
            )
        )
    return items


def check_legacy_mhls(
    source: Path,
    relative_paths: Sequence[str],
    *,
    fast_copy: bool = False,
    ignore: IgnoreRules | None = None,
) -> CardLegacyMhls:
    """Read the legacy MHLs among *relative_paths* (the scan's files) of *source* (module
    doc of :class:`CardLegacyMhls`). Never raises for an MHL that cannot be read: a warning
    names it and why. *ignore*: the scan's rules (from :func:`keep_listed`): the listed
    files a default pattern names that they keep are named in a warning."""
    found = legacy_mhl_paths(relative_paths)
    if not found:
        return CardLegacyMhls({}, {})
    holder = history_words(fast_copy=fast_copy)[1]
    listed, problems = read_legacy_mhls(
        source,
        found,
        frozenset(relative_paths),
        holder=holder,
        unreadable_tail=" (it is copied as any other file)",
    )
    warnings = list(problems)
    if ignore is not None:
        warnings += _os_files_kept(source, listed, ignore, holder)
    records = {
        path: MhlRecord(f"the legacy MHL '{printable_name(f.mhl)}' on {holder}")
        for path, f in listed.items()
    }
    missing = tuple(sorted(p for p in listed if not os.path.lexists(source / p)))
    warnings += [
        PreflightItem(
            PreflightCode.LEGACY_MHL_FILE_MISSING,
            source / path,
            f"'{printable_name(path)}' is in {records[path]} but not on {holder} (deleted or "
            f"lost since that MHL was written): it cannot be offloaded",
        )
        for path in missing
    ]
    gone = set(missing)  # nothing to check, no format to add for them
    checked = {
        path: record.digests
        for path, record in listed.items()
        if record.digests and path not in gone
    }
    sizes = {
        path: record.size_bytes
        for path, record in listed.items()
        if record.size_bytes is not None and path not in gone
    }
    return CardLegacyMhls(
        checked,
        {path: records[path] for path in (*checked, *sizes)},
        missing,
        tuple(warnings),
        tuple(listed[path].mhl for path in missing),
        sizes,
    )


def _why_unreadable(exc: Exception, path: Path) -> str:
    """Why the legacy MHL at *path* could not be read, without its path (the warning names
    it already: "legacy MHL 'A001.mhl' on the card cannot be read (/media/CARD/A001.mhl is
    not well-formed XML: ...)" named it twice): ``not well-formed XML: ...``, ``not an MHL
    hashlist``, ``Input/output error (EIO)``."""
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    reason = str(getattr(exc, "message", None) or exc)
    for prefix in (f"{path} is ", f"cannot read legacy MHL {path}: "):
        if reason.startswith(prefix):
            return reason[len(prefix) :]
    return reason


def _contradiction(
    path: Path, shown: str, holder: str, joined: str, pair: tuple[LegacyEntry, LegacyEntry]
) -> PreflightItem:
    """The warning for a file one legacy MHL lists twice, unlike (:func:`merge_entries`):
    both records quoted; the file is not checked against that MHL (no read can match
    both), its copy is verified as any other file's."""
    return PreflightItem(
        PreflightCode.LEGACY_MHL_CONTRADICTS,
        path,
        f"legacy MHL '{shown}' on {holder} lists '{printable_name(joined)}' twice, unlike "
        f"({recorded_words(pair[0])}; then {recorded_words(pair[1])}): that MHL contradicts "
        "itself, so the file is not checked against it; check which record is right",
    )


def recorded_words(entry: LegacyEntry) -> str:
    """What one legacy MHL entry records of its file, in words: ``size 4000 bytes, md5
    0123...`` (a ``<xxhash64>`` as written, ``as_written.as_recorded``)."""
    from offload.manifest.as_written import as_recorded

    parts = [] if entry.size_bytes is None else [f"size {entry.size_bytes} bytes"]
    parts += [f"{name} {as_recorded(value)}" for name, value in sorted(entry.digests.items())]
    return ", ".join(parts) or "no size or digest"


def _unreadable(path: Path, shown: str, holder: str, reason: str, tail: str) -> PreflightItem:
    return PreflightItem(
        PreflightCode.LEGACY_MHL_UNREADABLE,
        path,
        f"legacy MHL '{shown}' on {holder} cannot be read ({reason}): the files it lists are "
        f"not checked against it{tail}",
    )


def unlike_record(source_path: object, record: str, detail: str) -> str:
    """The one line for a card file found unlike a record of it (a legacy MHL's, or the
    card's history's: *record*, in words), *detail* saying how (``size N bytes, recorded M
    bytes``; ``xxh64 X, recorded Y``): read (``existing.check_existing``) or compared with
    the ledger's entry without a read (:func:`trusted_copy_unlike`) alike."""
    return f"source {source_path} differs from {record} ({detail})"


def trusted_copy_unlike(
    source_path: str,
    size_bytes: int,
    ledger_digests: Mapping[str, str],
    *,
    recorded_size: int | None,
    recorded_digests: Mapping[str, str],
    record: str,
) -> str | None:
    """Why a card file whose copy the ledger trusts (verified earlier, not re-read) does
    not match the legacy MHL on the card that lists it, or the card's own ASC MHL history
    (*record*, in words; a history records no size: *recorded_size* None), without a
    read: its size from the scan against *recorded_size*, then each digest of
    *recorded_digests* against the ledger's (*ledger_digests*, what the copy and the card
    file held when they were verified; the ledger's entry vouches only while the card
    file's size, mtime and fingerprint are as recorded). The line is the one a copy already
    there gets when its card file is read and found unlike the record
    (``existing.check_existing``); None when it matches or nothing is shared to compare.
    A trusted entry holds every format the run computes, and the run computes one of each
    listed file's recorded formats (:func:`formats_to_add`; every format of the history),
    so a recorded digest always meets one of the ledger's: none is left uncompared for want
    of a read."""
    if recorded_size is not None and size_bytes != recorded_size:
        return unlike_record(
            source_path, record, f"size {size_bytes} bytes, recorded {recorded_size} bytes"
        )
    for name, value in recorded_digests.items():
        held = ledger_digests.get(name)
        if held is not None and held != value:
            # The ledger's digest is the one the run that copied the file recorded: read
            # back and compared then, or only hashed in flight (transfer-checked).
            from offload.manifest.as_written import as_recorded  # a legacy <xxhash64>'s

            return unlike_record(
                source_path,
                record,
                f"{name} {held}, recorded {as_recorded(value)}; {name} {held} is the ledger's, "
                "recorded by the run that copied it",
            )
    return None
