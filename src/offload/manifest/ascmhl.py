"""ASC MHL v2.0 writer: appends one generation (manifest + chain entry) to ``ROOT/ascmhl/``.

What a generation records, and why (the reference tool ``ascmhl`` 1.2 decides the same way,
``commands.seal_file_path`` and ``generator.MHLGenerationCreationSession``, given the
digests it computes: the history's formats for a known file as well as those asked for):

* A path the history does not know yet (no ``original`` hash anywhere): every format is
  written with ``action="original"``.
* A known path: each format the history has a reference hash for is ``verified`` if equal,
  ``failed`` if not. Formats the history has no hash in yet are ``verified`` when some other
  format was verified in this generation (they were computed in the same pass over the same
  bytes), left out when a format failed (a hash of bytes known to be wrong is no reference),
  and ``original`` when the file has no format in common with the history (nothing could
  be compared). The reference tool never meets that case, as it hashes a known file in the
  history's formats too; nor does a local copy root of ours, whose caller adds the digests
  of the copy in those formats first (:mod:`offload.history_formats`). Given digests in new
  formats alone (an S3 copy root's, not read back for it), this writes a second
  ``original``, and the path's first record stays its reference for every verifier.
* Files passed as *failed* (the copy tool found the copy bad): ascmhl writes ``failed`` only
  as the result of comparing with a recorded hash, so such a file is written only when it is
  known to the history and at least one format differs from it; then with the actions above.
  Otherwise it is left out: writing it ``original`` would make bad bytes the reference, and
  a ``failed`` without a recorded hash is nothing the reference tool ever writes or reads.
* The ignore list is ascmhl's defaults, the history's latest list (carried, as ``create``
  does), then the caller's patterns; but a carried pattern that names one path exactly (the
  ``**/`` form written for a link, :mod:`offload.manifest.links`) is left out when it would
  hide a file or folder this generation records: a real file now stands where the link was.
  The reference tool reads the newest generation's list alone (``verify``, ``diff``), so this
  is how such a path is listed and checked again instead of hidden for good.
* Folder hashes cover what is written (plus empty folders), with every digest of each file
  (those of failed formats included, as ascmhl hashes what is on disk). A file left out is
  not hashed into its folder: if it is on disk all the same, ``ascmhl-debug verify -dh`` will
  rightly report the folder. Given a *lister* (what stands in each folder), only the folders
  the generation lists whole get a hash (:mod:`offload.manifest.coverage`): a folder that
  also holds files this generation does not list (another card's, in a shared copy root)
  gets none, nor does any folder above it, the root included. A generation without a root
  hash writes an empty ``<roothash>`` (``ascmhl-debug verify -dh`` crashes on a generation without
  one) and hashes its folders only in formats an earlier generation's root hash has (``-dh``
  takes its formats from the root hashes and crashes on a folder hash in another): none
  when no earlier generation has a root hash.

The manifest is written in one streaming pass (entries are text, not a DOM), atomically, and
never replaces an existing file; then the chain file is rewritten atomically. Nested
histories (an ``ascmhl`` folder below the root) in a folder the generation lists are
refused; one beside what it lists (card copies in the folder a single file is copied into)
is left to itself, the links its newest list ignores ignored by this generation too where
that hides nothing else (:mod:`offload.manifest.nested_links`).
"""

from __future__ import annotations

import errno
import functools
import itertools
import operator
import os
from collections.abc import Callable, Collection, Container, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import NamedTuple, cast

from offload.errors import describe_os_error
from offload.fs.ops import fsync_dir
from offload.hashing import UnknownHashError, resolve_algorithm
from offload.manifest import unchained_own
from offload.manifest.atomic import AtomicFile, write_file_atomically
from offload.manifest.coverage import (
    Lister,
    is_local,
    local_lister,
    memoized,
    whole_as_walked,
    whole_folders,
)
from offload.manifest.creator import check_creator
from offload.manifest.digest import (
    all_canonical,
    format_order,
    normalize_digest,
    sorted_formats,
)
from offload.manifest.dirhash import DirectoryHash, DirectoryHasher
from offload.manifest.errors import HistoryError, ManifestError, UnsupportedTreeError
from offload.manifest.foreign import Foreign, foreign_entries
from offload.manifest.history import (
    ASCMHL_FOLDER,
    CHAIN_FILE_NAME,
    DIRECTORY_NAMESPACE,
    History,
    generation_number_of,
    parse_chain,
    parse_manifest,
    read_history,
)
from offload.manifest.ignore import (
    DEFAULT_IGNORE_PATTERNS,
    IgnoreSpec,
    has_anchored,
    merge_patterns,
    verify_skips,
)
from offload.manifest.layout import generation_file_name as generation_file_name
from offload.manifest.layout import holds_history_folder
from offload.manifest.links import exact_pattern, exact_pattern_path, pattern_hides
from offload.manifest.model import Action, ChainEntry, CreatorInfo, ManifestFile
from offload.manifest.nested_links import (
    NestedLinks,
    TreeRead,
    hiding_elsewhere,
    nested_links,
)
from offload.manifest.xmlchars import paths_xml_cannot_hold
from offload.manifest.xmltext import (
    check_xml_string,
    escape_attribute,
    escape_text,
    iso_utc,
    to_utc,
    utc_from_ns,
)

PROCESSES = ("transfer", "in-place", "flatten")


def utc_now() -> datetime:
    """The default clock: now, in UTC."""
    return datetime.now(UTC)


class _Entry:
    """A file to write: its canonical digests and the hash elements decided for it.

    Slots, and ``written`` None for a path the history does not know (every format
    ``original``, made when the element is written): a manifest of 50,000 files holds
    50,000 of these at once (with an instance dict and a list of tuples each, ~25 MB).
    """

    __slots__ = ("digests", "hash_date", "mtime_ns", "path", "size_bytes", "written")

    def __init__(
        self,
        path: str,
        size_bytes: int,
        mtime_ns: int,
        hash_date: datetime,
        digests: dict[str, str],
    ) -> None:
        self.path = path
        self.size_bytes = size_bytes
        self.mtime_ns = mtime_ns
        self.hash_date = hash_date
        self.digests = digests
        self.written: list[tuple[str, str, Action]] | None = None

    def elements(self) -> list[tuple[str, str, Action]]:
        """The hash elements to write: (format, digest, action)."""
        if self.written is None:
            return [(f, self.digests[f], Action.ORIGINAL) for f in _formats_of(*self.digests)]
        return self.written


# The formats of a file's digests in XSD order, by their names as the digests list them: a
# card's files share one set (``sorted_formats`` a file was ~0.03 s at 50,000 files).
@functools.lru_cache(maxsize=64)
def _formats_of(*names: str) -> tuple[str, ...]:
    return sorted_formats(names)


def check_relative_path(path: str) -> None:
    """Raise ValueError unless *path* is a clean relative ``/``-path (no empty, ``.`` or
    ``..`` components, no leading or trailing ``/``); UnsupportedTreeError if XML cannot
    hold it."""
    if not path or path.startswith("/") or path.endswith("/"):
        raise ValueError(f"not a relative path: {path!r}")
    # A component "", "." or "..": one test of the text for all three (each file's path).
    wrapped = f"/{path}/"
    if "//" in wrapped or "/./" in wrapped or "/../" in wrapped:
        raise ValueError(f"not a clean relative path: {path!r}")
    check_xml_string(path, "path")


def canonical_digests(digests: Mapping[str, str]) -> dict[str, str]:
    """The ASC MHL digests among *digests*, keyed by canonical name, text normalised.

    Names are resolved through the hashing registry (``xxh64be`` → ``xxh64``); names it does
    not know and formats ASC MHL lacks (``sha256``) are dropped. Raises ValueError for a
    malformed digest.
    """
    result: dict[str, str] = {}
    for name, value in digests.items():
        canonical = _ascmhl_name(name)
        if canonical is not None:
            result[canonical] = normalize_digest(canonical, value)
    # *digests* itself when it was canonical already (the usual case): one dict a file, not
    # two, while a manifest of a large card is written. Never modified by the writer.
    return digests if isinstance(digests, dict) and result == digests else result


# Asked for each digest of each file a manifest records (the registry is fixed): a name
# resolved once, not ~1 µs a file.
@functools.lru_cache(maxsize=256)
def _ascmhl_name(name: str) -> str | None:
    """The ASC MHL format *name* resolves to in the hashing registry; None for a name it
    does not know or a format ASC MHL lacks."""
    try:
        algorithm = resolve_algorithm(name)
    except UnknownHashError:
        return None
    return algorithm.name if algorithm.in_ascmhl else None


def _nested_history_root(path: str) -> str | None:
    """The folder holding a nested history that the file at *path* is in: the folder above
    the first *folder* named ``ascmhl`` below the root. A file so named is a file (a card
    may hold one: recorded, :mod:`offload.manifest.listed_again`), never a history."""
    parts = path.split("/")
    for index in range(1, len(parts) - 1):
        if parts[index] == ASCMHL_FOLDER:
            return "/".join(parts[:index])
    return None


class _KeptElement(NamedTuple):
    """A file's ``<hash>`` element as written for one destination, with what it was made of
    (``SharedWork``): its actions all ``original`` (a path the history did not know)."""

    digests: Mapping[str, str]
    hashed: str
    size_bytes: int
    modified: str
    text: str


class _Hashed(NamedTuple):
    path: str
    digests: Mapping[str, str]


class _HashedFrom(NamedTuple):
    """What a generation's folder hashes were computed from (``SharedWork``)."""

    formats: tuple[str, ...]
    folders: set[str]
    entries: list[_Hashed]


_ENTRY_PATH = operator.attrgetter("path")
_ENTRY_DIGESTS = operator.attrgetter("digests")


def _folder_hashes(
    formats: tuple[str, ...], folders: set[str], entries: list[_Entry]
) -> dict[str, DirectoryHash]:
    hasher = DirectoryHasher(formats)
    for folder in folders:
        hasher.add_directory(folder)
    hasher.add_files(zip(map(_ENTRY_PATH, entries), map(_ENTRY_DIGESTS, entries), strict=True))
    return hasher.compute()


class SharedWork:
    """The per-file work of the generations of one offload's destinations that depends on a
    file's path, its digests and the ignore list alone, done for the first destination and
    reused for the others (the same card's files: in transfer mode the very same in-flight
    digests objects, only the hash dates differ).

    Nothing is compared file by file to prove two destinations alike: each result is kept
    under its own inputs (a path checked and matched against the same ignore list; the
    canonical form of the same digests object; the folder hashes of the same folders, in the
    same formats, over files of the same paths with the same digests objects, in the same
    order (one comparison of the entries' paths and digests' identities, not their
    hashing); a ``<hash>`` element of a path no history there knew, with the same digests
    object, size, modification date and hash date's text: a run's files verified within
    the same second on each), so a generation written with it is byte for byte the one
    written without it, whatever differs between destinations. The digests mappings given
    must not change while it lives (a finished job's). Not thread-safe: one writer at a
    time (``manifests_writer.write_manifests`` owns one for its loop).
    """

    def __init__(self) -> None:
        # id(digests) → (that object, kept alive so the id is not reused; canonical form)
        self._canonical: dict[int, tuple[Mapping[str, str], dict[str, str]]] = {}
        # ignore list → path (checked clean) → excluded by that list
        self._excluded: dict[tuple[str, ...], dict[str, bool]] = {}
        # the last folder hashes computed, with what they were computed from
        self._hashes: tuple[_HashedFrom, dict[str, DirectoryHash]] | None = None
        # path → the <hash> element last written for it (its digests object kept alive)
        self.elements: dict[str, _KeptElement] = {}

    def canonical(self, digests: Mapping[str, str]) -> dict[str, str]:
        """``canonical_digests(digests)``, computed once per digests object."""
        kept = self._canonical.get(id(digests))
        if kept is not None and kept[0] is digests:
            return kept[1]
        result = canonical_digests(digests)
        self._canonical[id(digests)] = (digests, result)
        return result

    def excluded(self, patterns: tuple[str, ...]) -> dict[str, bool]:
        """The paths already checked clean, each with whether *patterns* exclude it."""
        return self._excluded.setdefault(patterns, {})

    def folder_hashes(
        self, formats: tuple[str, ...], folders: set[str], entries: list[_Entry]
    ) -> dict[str, DirectoryHash]:
        """:func:`_folder_hashes`, reused when the last call's inputs were the same."""
        kept = self._hashes
        if kept is not None:
            was = kept[0]
            if (
                was.formats == formats
                and was.folders == folders
                and len(was.entries) == len(entries)
                and all(
                    a.digests is b.digests and a.path == b.path
                    for a, b in zip(was.entries, entries, strict=True)
                )
            ):
                return kept[1]
        hashes = _folder_hashes(formats, folders, entries)
        # the entries' paths and digests objects kept, not the entries (changed by _decide)
        self._hashes = (
            _HashedFrom(formats, set(folders), [_Hashed(e.path, e.digests) for e in entries]),
            hashes,
        )
        return hashes


def _prepare(
    files: Iterable[ManifestFile],
    spec: IgnoreSpec,
    seen: set[str],
    nested: set[str],
    shared: SharedWork | None = None,
) -> list[_Entry]:
    items = files if isinstance(files, list) else list(files)
    at_once = _prepared_at_once(items, spec, seen, nested)
    if at_once is not None:
        return at_once
    entries: list[_Entry] = []
    aware: datetime | None = None  # the last hash date found aware (a batch's files share it)
    # One destination (no *shared*): nothing kept, no lookup a file.
    checked = shared.excluded(spec.patterns) if shared is not None else None
    canonical = shared.canonical if shared is not None else canonical_digests
    for item in items:
        path = item.relative_path
        excluded: bool | None
        if checked is None:
            check_relative_path(path)
            excluded = spec.excludes(path, is_dir=False)
        else:
            excluded = checked.get(path)
            if excluded is None:
                check_relative_path(path)
                excluded = checked[path] = spec.excludes(path, is_dir=False)
        if path in seen:
            raise ValueError(f"{path!r} is listed twice")
        seen.add(path)
        # A nested history is a folder named so: no path without the name is below one.
        if ASCMHL_FOLDER in path:
            nested_root = _nested_history_root(path)
            if nested_root is not None:
                nested.add(nested_root)
        if excluded:
            continue
        size = item.size_bytes
        if size < 0:
            raise ValueError(f"negative size for {path!r}")
        digests = canonical(item.digests)
        if not digests:
            raise ValueError(f"{path!r} has no digest in an ASC MHL format")
        date = item.hash_date
        if date is not aware:
            to_utc(date)  # rejects naive datetimes before anything is written
            aware = date
        entries.append(_Entry(path, size, item.mtime_ns, date, digests))
    return entries


# A ManifestFile's fields, by position (a map of them over a card's files: no call a file)
_PATH, _DIGESTS = operator.itemgetter(0), operator.itemgetter(3)


def _prepared_at_once(
    items: list[ManifestFile], spec: IgnoreSpec, seen: set[str], nested: set[str]
) -> list[_Entry] | None:
    """:func:`_prepare`'s entries of *items*, its checks made on all of them at once where
    they all pass so: clean paths XML can hold (their text joined), none listed twice or
    ignored (:meth:`IgnoreSpec.excludes_no_file`), one set of ASC MHL formats whose
    digests are all canonical already (:func:`~offload.manifest.digest.all_canonical`:
    each file's own digests object is its canonical one, as ``canonical_digests`` returns
    it), sizes not negative, hash dates aware. None, with *seen* and *nested* untouched,
    when any of them does not pass for all at once: :func:`_prepare` then asks each file
    in turn, and raises what it raises. The same entries either way, the same *seen* and
    *nested* after: a card's files (~3 µs a file in turn, ~60 ms of the manifest's end
    at 50,000 files) are checked by a few searches of their joined text."""
    if not items:
        return []
    if set(map(type, items)) != {ManifestFile}:
        return None
    paths = list(map(_PATH, items))
    try:
        # check_relative_path's test: each path wrapped in "/" holds no empty, "." or ".."
        # component; the "\0" between them joins none (a NUL in a path: XML refuses it)
        wrapped = "/" + "/\0/".join(paths) + "/"
    except TypeError:  # a path that is not text
        return None
    if "//" in wrapped or "/./" in wrapped or "/../" in wrapped or paths_xml_cannot_hold(paths):
        return None
    unique = set(paths)
    if len(unique) != len(paths) or not seen.isdisjoint(unique):
        return None  # listed twice: the loop names the first
    if not spec.excludes_no_file(paths):
        return None
    first = items[0].digests
    formats = tuple(first) if type(first) is dict else ()
    if not formats or any(_ascmhl_name(name) != name for name in formats):
        return None
    every = list(map(_DIGESTS, items))
    if set(map(type, every)) != {dict} or set(map(len, every)) != {len(formats)}:
        return None
    # each dict holds as many keys as the first and each of its formats: the same keys
    if not all(all_canonical(name, list(map(dict.get, every, repeat(name)))) for name in formats):
        return None
    entries: list[_Entry] = []
    aware: datetime | None = None  # the last hash date found aware (a batch's files share it)
    for path, size, mtime_ns, digests, date in items:
        if size < 0:
            return None
        if date is not aware:
            if date.tzinfo is None or date.utcoffset() is None:
                return None  # naive: to_utc refuses it
            aware = date
        entries.append(_Entry(path, size, mtime_ns, date, cast(dict[str, str], digests)))
    seen.update(unique)
    if ASCMHL_FOLDER in wrapped:
        for path in paths:
            nested_root = _nested_history_root(path) if ASCMHL_FOLDER in path else None
            if nested_root is not None:
                nested.add(nested_root)
    return entries


def _decide(entry: _Entry, history: History) -> None:
    """Decide the hash elements ascmhl would write (module doc): ``entry.written``, left
    None for a path the history does not know (``_Entry.elements``)."""
    known = history.reference_hash_formats(entry.path)
    if known is None:
        entry.written = None
        return
    formats = sorted_formats(entry.digests)
    compared: list[tuple[str, str, Action]] = []
    fresh: list[str] = []
    for fmt in formats:
        recorded = known.get(fmt)
        if recorded is None:
            fresh.append(fmt)
        else:
            action = Action.VERIFIED if recorded == entry.digests[fmt] else Action.FAILED
            compared.append((fmt, entry.digests[fmt], action))
    if any(action is Action.FAILED for _, _, action in compared):
        written = compared
    else:
        fresh_action = Action.VERIFIED if compared else Action.ORIGINAL
        written = compared + [(f, entry.digests[f], fresh_action) for f in fresh]
    entry.written = sorted(written, key=lambda item: format_order(item[0]))


def _select_formats(
    entries: Sequence[_Entry], hash_formats: Sequence[str] | None
) -> tuple[str, ...]:
    if hash_formats is not None:
        formats = sorted_formats(resolve_algorithm(name).name for name in hash_formats)
        if not formats:
            raise ValueError(f"no ASC MHL format among {list(hash_formats)!r}")
        for entry in entries:
            missing = [f for f in formats if f not in entry.digests]
            if missing:
                raise ValueError(f"{entry.path!r} lacks the {', '.join(missing)} digest")
        return formats
    if not entries:
        return ()
    common = set(entries[0].digests)
    for entry in entries[1:]:
        common &= entry.digests.keys()
    if not common:
        raise ValueError("the files have no ASC MHL format in common to hash their folders with")
    return sorted_formats(common)


def _rooted_formats(formats: Sequence[str], history: History) -> tuple[str, ...]:
    """The formats among *formats* that a root hash of *history* has: those a generation
    without a root hash may hash its folders in. ``ascmhl-debug verify -dh`` (1.2) hashes the
    tree in the formats of the history's root hashes alone (c4 when there are none) and
    crashes on a folder hash in any other format."""
    rooted = {
        fmt
        for generation in history.generations
        if generation.root_hash is not None
        for fmt in generation.root_hash.content
    }
    return tuple(f for f in formats if f in rooted)


def _directory_mtime(root: Path, relative: str, dates_from: Path | None = None) -> str | None:
    """The date of folder *relative*: as it stands in *dates_from* (the card, whose folder
    times the copy's folders get once the manifests are written) where given and readable
    there, else in *root*; None where neither can be read."""
    for base in (dates_from, root) if dates_from is not None else (root,):
        try:
            return iso_utc(utc_from_ns(os.stat(base / relative).st_mtime_ns))
        except OSError:
            continue
    return None


def _iso_date(mtime_ns: int | None) -> str | None:
    return None if mtime_ns is None else iso_utc(utc_from_ns(mtime_ns))


def _hashes_block(indent: str, hashes: Mapping[str, str], formats: Sequence[str], date: str) -> str:
    return "".join(
        f'{indent}<{fmt} hashdate="{date}">{escape_text(hashes[fmt])}</{fmt}>\n' for fmt in formats
    )


def _directory_element(
    indent: str, tag: str, path_line: str, hashes: DirectoryHash, formats: Sequence[str], date: str
) -> str:
    inner = indent + "  "
    return (
        f"{indent}<{tag}>\n{path_line}"
        f"{inner}<content>\n{_hashes_block(inner + '  ', hashes.content, formats, date)}"
        f"{inner}</content>\n"
        f"{inner}<structure>\n{_hashes_block(inner + '  ', hashes.structure, formats, date)}"
        f"{inner}</structure>\n"
        f"{indent}</{tag}>\n"
    )


@functools.lru_cache(maxsize=1024)
def _iso_second(second: int) -> str:
    """``iso_utc(utc_from_ns(ns))`` of a time in *second* (``ns // 10**9``): a card's files
    share their seconds, and making, converting and formatting a datetime was ~2 µs a file
    and destination of a manifest."""
    return iso_utc(utc_from_ns(second * 1_000_000_000))


# Each action's text (an enum member's ``value`` is a property: ~0.1 µs a hash element).
_ACTION_TEXT = {action: action.value for action in Action}

# A run's files share their hash dates (a batch's); the same text for equal instants.
_iso_hashed = functools.lru_cache(maxsize=1024)(iso_utc)


def _file_element(entry: _Entry) -> str:
    modified = _iso_second(entry.mtime_ns // 1_000_000_000)
    hashed = _iso_hashed(entry.hash_date)
    digests = entry.digests
    if entry.written is None and len(digests) == 1:
        # The usual file (one format, a path no history there knew): the same text without
        # the list of its one element and its join (~0.4 µs a file). A digest's canonical
        # text (lower-case hex, a C4 ID: _prepare) holds nothing escape_text changes.
        ((fmt, value),) = digests.items()
        return (
            f'    <hash>\n      <path size="{entry.size_bytes}" lastmodificationdate="{modified}">'
            f"{escape_text(entry.path)}</path>\n"
            f'      <{fmt} action="original" hashdate="{hashed}">{value}</{fmt}>\n'
            "    </hash>\n"
        )
    # One string made a file, not a list of lines joined (~1 µs a file less at 50,000):
    # the same text.
    return (
        f'    <hash>\n      <path size="{entry.size_bytes}" lastmodificationdate="{modified}">'
        f"{escape_text(entry.path)}</path>\n"
        + "".join(
            [
                f'      <{fmt} action="{_ACTION_TEXT[action]}" hashdate="{hashed}">'
                f"{escape_text(value)}</{fmt}>\n"
                for fmt, value, action in entry.elements()
            ]
        )
        + "    </hash>\n"
    )


def _kept_file_element(entry: _Entry, kept: dict[str, _KeptElement]) -> str:
    """:func:`_file_element`, reused from *kept* (the elements already written for other
    destinations, by path: :class:`SharedWork`) when every input of its text is the same: a
    path the history does not know, the same digests object, size, date of modification
    and hash date's text; else made and kept."""
    if entry.written is not None:
        return _file_element(entry)
    modified = _iso_second(entry.mtime_ns // 1_000_000_000)
    hashed = _iso_hashed(entry.hash_date)
    same = kept.get(entry.path)
    if (
        same is not None
        and same.digests is entry.digests
        and same.hashed == hashed
        and same.size_bytes == entry.size_bytes
        and same.modified == modified
    ):
        return same.text
    text = _file_element(entry)
    kept[entry.path] = _KeptElement(entry.digests, hashed, entry.size_bytes, modified, text)
    return text


def _creator_block(creator: CreatorInfo, created: str) -> str:
    lines = [
        "  <creatorinfo>\n",
        f"    <creationdate>{created}</creationdate>\n",
        f"    <hostname>{escape_text(creator.hostname)}</hostname>\n",
        f'    <tool version="{escape_attribute(creator.tool_version)}">'
        f"{escape_text(creator.tool_name)}</tool>\n",
    ]
    if creator.has_author:
        attributes = "".join(
            f' {name}="{escape_attribute(value)}"'
            for name, value in (
                ("email", creator.author_email),
                ("phone", creator.author_phone),
                ("role", creator.author_role),
            )
            if value is not None
        )
        lines.append(f"    <author{attributes}>{escape_text(creator.author_name or '')}</author>\n")
    if creator.location is not None:
        lines.append(f"    <location>{escape_text(creator.location)}</location>\n")
    if creator.comment is not None:
        lines.append(f"    <comment>{escape_text(creator.comment)}</comment>\n")
    lines.append("  </creatorinfo>\n")
    return "".join(lines)


def _walk_order(
    folders: set[str], files: Sequence[_Entry]
) -> Iterable[tuple[str, list[_Entry] | None]]:
    """The reference tool's order: for each folder, its sub-folders (sorted, recursively)
    first, then its own files (sorted), then the folder itself. Yields (folder, entries)
    for a folder's own files (sorted, only when it has some), then (folder, None) for the
    folder. Iterative, so deep trees cannot overflow."""
    subfolders: dict[str, list[str]] = {}
    for folder in folders:
        if folder:
            subfolders.setdefault(folder.rpartition("/")[0], []).append(folder)
    own_files: dict[str, list[_Entry]] = {}
    for entry in files:
        own_files.setdefault(entry.path.rpartition("/")[0], []).append(entry)
    stack = [("", iter(sorted(subfolders.get("", ()))))]
    while stack:
        folder, pending = stack[-1]
        child = next(pending, None)
        if child is not None:
            stack.append((child, iter(sorted(subfolders.get(child, ())))))
            continue
        stack.pop()
        own = own_files.get(folder)
        if own:
            yield folder, sorted(own, key=_ENTRY_PATH)
        yield folder, None


def _chain_text(entries: Sequence[ChainEntry]) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<ascmhldirectory xmlns="{DIRECTORY_NAMESPACE}">\n',
    ]
    for entry in entries:
        lines.append(
            f'  <hashlist sequencenr="{entry.sequence_number}">\n'
            f"    <path>{escape_text(entry.path)}</path>\n"
            f"    <c4>{escape_text(entry.c4)}</c4>\n"
            "  </hashlist>\n"
        )
    lines.append("</ascmhldirectory>\n")
    return "".join(lines)


def _remove_if_empty(folder: Path, root: Path) -> None:
    """Remove the history folder *folder* this writer made in *root* and left holding
    nothing (a stop, SIGTERM, or an error before its first manifest was committed): an
    empty ``ascmhl/`` reads to ascmhl-debug as a broken history ("Missing ASC MHL chain
    file", exit 32) where there is none. ``rmdir`` only: a folder that holds anything (a
    temporary left, another writer's manifest) stays. Never raises."""
    try:
        folder.rmdir()
        fsync_dir(root)
    except OSError:
        pass


def write_generation(
    root: Path,
    files: Iterable[ManifestFile],
    *,
    directories: Iterable[str] = (),
    creator: CreatorInfo,
    process: str = "transfer",
    ignore_patterns: Sequence[str] = (),
    now: Callable[[], datetime] = utc_now,
    failed: Iterable[ManifestFile] = (),
    hash_formats: Sequence[str] | None = None,
    on_uncarried: Callable[[str, str], None] | None = None,
    lister: Lister | None = None,
    history: History | None = None,
    shared: SharedWork | None = None,
    folder_dates: Mapping[str, int] | None = None,
    folder_dates_from: Path | None = None,
    on_failed: Callable[[str], None] | None = None,
    tree: TreeRead | None = None,
    on_unvouched: Callable[[tuple[str, ...]], None] | None = None,
    intent: Path | None = None,
    on_foreign: Callable[[Foreign], None] | None = None,
    expected: Container[str] = frozenset(),
    on_foreign_unread: Callable[[str], None] | None = None,
) -> Path:
    """Append a generation to the ASC MHL history of *root*; return the new manifest's path.

    *files*: the files to record (see the module doc for the actions chosen against the
    existing history). *directories*: every folder under *root* (relative), empty ones
    included; the folders of the files are added anyway. *failed*: files the caller found
    bad (written only as ``failed`` against a recorded hash, else left out). *ignore_patterns*
    are added to the history's latest patterns (or ascmhl's defaults; a carried exact
    pattern that would hide a recorded path is dropped, module doc): matching files and
    folders are left out, and the patterns are recorded. *hash_formats*: the formats to hash
    folders with (every recorded file must have them); by default those all files share.
    *now* gives the creation time (aware datetime) used in the file name and dates.
    *on_foreign*: called, once the generation is written, with what stands in *root* that
    it does not list, no generation records and *expected* does not hold
    (:func:`~offload.manifest.foreign.foreign_entries`: what plain ``ascmhl-debug verify``
    calls new), if anything; only with a *lister*. *expected*: the caller's own paths left
    out (a card's files whose copy stands at its path but is not listed: each said
    otherwise). *on_foreign_unread*: called, once the generation is written, with why that
    look failed (an unexpected error: the look never costs the generation).
    *on_uncarried*: called, once the generation is written, with each path whose carried
    exact pattern was dropped and a path that pattern would have hidden (one this
    generation records; for a pattern :mod:`~offload.manifest.nested_links` drops, one
    standing or recorded in the tree, or ``""`` when none is known), unless the list written
    ignores that path anyway.
    *lister*: what stands in each folder of *root* (:mod:`offload.manifest.coverage`); given,
    a folder (and the root) gets a hash only when this generation lists it whole; None: every
    folder is hashed (the caller lists the whole tree, as ``verify_tree`` does).
    *shared*: the per-file work kept from the generations of the same offload's other
    destinations (:class:`SharedWork`); the manifest is the same with it or without.
    *folder_dates*: the date (ns since the epoch) of each folder (relative), where *root*'s
    folders do not hold the copy's times (``offload verify s3://``'s local view: the dates
    its history recorded); a folder not in it is recorded undated; it wins over
    *folder_dates_from*. None: each folder's date as *folder_dates_from* says.
    *folder_dates_from*: the tree each folder's date is read from (a card: the caller gives
    the copy's folders the card's times after the manifests, so a folder is dated as the
    finished copy holds it, as ``ascmhl create`` run on it would); a folder that cannot be
    read there is dated as it stands in *root*, as every folder is without it.
    *on_failed*: called, before anything is written, with the path of each of *files* this
    generation records as ``failed`` (its content unlike the history's reference hash for
    its path: a file replaced there, which ASC MHL cannot record as a new original).
    *tree*: the tree below *root* as the caller read it already, through *lister*, over
    *history* (:class:`~offload.manifest.nested_links.TreeRead`): not listed and read again.
    *on_unvouched*: where the history's chain does not vouch for all of it (a manifest it
    does not list, a gap in the sequence numbers), called before anything is written with
    ``History.chain_notes()``, for the caller to say (``offload copy``'s warnings: its
    generation records what its own read-back proved, and is written); None: a manifest
    the chain does not list refuses the generation (``History.refuse_unchained``: every
    other writer, ``offload verify --append``, which refuses it before its reads too), a
    gap does not (the caller's report says its notes).
    *intent*: where to record durably, before the manifest is renamed in, its name and C4
    ID (``unchained_own.note``, cleared once the chain lists it or it is taken back): a
    run killed between the manifest and the chain leaves that record, and the next writer
    removes the manifest no chain lists (``unchained_own.settle``); None: no record (a
    folder offload-ai keeps no state in: ``unchained_own.record_for``).

    Writes ``root/ascmhl/NNNN_<root name>_<YYYY-MM-DD>_<HHMMSS>Z.mhl`` atomically (never over
    an existing file), then ``ascmhl_chain.xml`` atomically; if the chain cannot be written
    the new manifest is removed again. Offload-ai's writers of one history never run at once
    (each holds the copy root's lock); another writer meanwhile (a manifest numbered this
    one or later, a chain changed since *history* was read: ``another_writer``) is met
    before the manifest's commit, at an EEXIST of it, and before the chain's rewrite: a
    ManifestError naming that writer, this generation not written (never numbered past it:
    it was decided against the older history); a writer between the last look and the
    chain's rename is not seen.

    Raises ValueError for bad input (unclean or duplicate paths, malformed digests, naive
    datetimes, unknown process, no common format), UnsupportedTreeError for nested
    histories or names XML cannot hold, HistoryError for an unusable existing history
    (UntrustedHistoryError for one on top of a manifest its chain does not list, above, and
    for a broken or forged one: ``History.refuse_untrusted``, whatever *on_unvouched*), and
    ManifestError (wrapping the OSError) when writing fails. Nothing is written when an
    input error is raised.
    """
    if process not in PROCESSES:
        raise ValueError(f"unknown ASC MHL process {process!r} (expected one of {PROCESSES})")
    check_creator(creator)
    if history is None:
        history = read_history(root)
    # Broken or forged (paths outside the root, a file recorded with two hashes): no file
    # is decided verified or failed against it, nor a generation chained on top of it.
    history.refuse_untrusted()
    if on_unvouched is None:
        history.refuse_unchained()
    elif notes := history.chain_notes():
        on_unvouched(notes)
    carried = _Carried(history.latest_ignore_patterns() or (), ignore_patterns)
    spec = IgnoreSpec(carried.for_good())
    for pattern in carried.patterns():
        check_xml_string(pattern, "ignore pattern")

    seen: set[str] = set()
    nested: set[str] = set()
    good = _prepare(files, spec, seen, nested, shared)
    bad = _prepare(failed, spec, seen, nested, shared)
    if history.knows_files():  # else every entry is a path it does not know, as made
        for entry in good:
            _decide(entry, history)
            if on_failed is not None and any(
                action is Action.FAILED for _, _, action in entry.written or ()
            ):
                on_failed(entry.path)
    recorded = list(good)
    for entry in bad:
        _decide(entry, history)
        if any(action is Action.FAILED for _, _, action in entry.elements()):
            recorded.append(entry)
    folders = _collect_folders(root, directories, recorded, spec, nested)
    uncarried = carried.hiding(root, recorded, folders)
    patterns = carried.patterns(retired=uncarried)
    formats = _select_formats(recorded, hash_formats)
    hashed = folders
    retired: dict[str, str] = {}  # the nested links' carried patterns dropped
    foreign = Foreign([], [])  # what ascmhl-debug verify will call new (on_foreign)
    unread = ""  # why foreign_entries failed (on_foreign_unread)
    if lister is not None:
        # nested histories are read from the local tree: one listed elsewhere (an object
        # store's keys beside a local staging root holding the root's history alone) would
        # make no pattern due and every carried one stale; there none is added, and a
        # carried one is dropped only where a file stands at what it hides (a store holds
        # no link: nested_links.hiding_elsewhere)
        local = is_local(lister, root)
        lister = memoized(lister)  # whole_folders and nested_links both list the root
        # judged with the list this generation carries: the folder hashes as ascmhl-debug verify
        # -dh applies it (whole_folders: an anchored pattern at the root, after the others),
        # the nested histories' search as plain ascmhl-debug verify walks (whole_as_walked: an
        # anchored pattern never, so a nested copy in a folder one names is searched; one
        # set where no anchored pattern makes them differ, asked of a local tree alone)
        paths = [e.path for e in recorded]
        hashed = whole_folders(folders, paths, patterns, lister)
        # as plain ascmhl-debug verify walks (None: no anchored pattern, so as hashed)
        walked = (
            whole_as_walked(folders, paths, patterns, lister) if has_anchored(patterns) else None
        )
        # the links nested histories ignore, ignored here too (paths below a nested
        # folder, which this generation does not list: no folder's wholeness changes with
        # them); a carried pattern dropped may be a link's in a folder it lists: judged again
        beside = (
            nested_links(
                root,
                patterns,
                carried.retirable,
                walked if walked is not None else hashed,
                [*paths, *folders],
                history,
                lister,
                tree,
            )
            if local
            else NestedLinks(
                [],
                hiding_elsewhere(
                    root,
                    {p: v for p, v in carried.retirable.items() if p not in uncarried},
                    # what the list hides for good (the walk skips what ascmhl-debug verify does)
                    carried.for_good(),
                    lister,
                ),
            )
        )
        retired = beside.retired
        if retired:
            patterns = carried.patterns(retired={*uncarried, *retired})
            hashed = whole_folders(folders, paths, patterns, lister)
            if walked is not None:
                walked = whole_as_walked(folders, paths, patterns, lister)
        patterns += tuple(beside.added)
        if on_foreign is not None:
            try:
                foreign = foreign_entries(
                    folders,
                    # without an anchored pattern, whole as -dh and as plain verify walk
                    # are one
                    walked if walked is not None else hashed,
                    paths,
                    verify_skips(patterns),
                    lister,
                    known=lambda path: history.reference_hash_formats(path) is not None,
                    expected=expected,
                    # as offload verify walks: the list as written
                    checked=IgnoreSpec(patterns) if walked is not None else None,
                    nested_known=functools.partial(_nested_known, root) if local else None,
                )
            except Exception as exc:  # a look that must never cost the generation
                unread = f"{type(exc).__name__}: {exc}"
    elif has_anchored(patterns):
        # No lister: the caller walked the tree itself (offload verify --append), and what
        # it lists is what stands as its walk applies the list (anchored patterns at the
        # root, in the list's order); ascmhl-debug verify -dh puts them after the others, so a
        # file listed past one by a ! pattern is one it skips: judged on the local tree
        hashed = whole_folders(folders, [e.path for e in recorded], patterns, local_lister(root))
    if "" not in hashed:
        formats = _rooted_formats(formats, history)
        if not formats:
            hashed = set()
    folder_hashes = (
        _folder_hashes(formats, folders, recorded)
        if shared is None
        else shared.folder_hashes(formats, folders, recorded)
    )
    plan = _Plan(
        root=root,
        creator=creator,
        process=process,
        patterns=patterns,
        formats=formats,
        folders=folders,
        hashed=hashed,
        entries=recorded,
        folder_hashes=folder_hashes,
        created_at=to_utc(now()),
        folder_dates=folder_dates,
        dates_from=folder_dates_from,
    )
    # The root's name is informational in the file name (ascmhl reads any NNNN_*.mhl without
    # a line break): a name that is not UTF-8, holds a line break, or is not ASCII where
    # only ASCII is written, must not cost the history (``generation_file_name`` applies
    # the one rule of own names, ``own_names.name_part``).
    root_name = os.path.basename(os.path.normpath(os.path.abspath(root)))
    if not root_name.isascii():
        from offload.plan.filesystem import writes_ascii_only
        from offload.plan.names import ascii_form

        if writes_ascii_only(root):
            # fusefat refuses any other name (EPERM): the whole generation would be lost
            # for the informational part of its file name
            root_name = ascii_form(root_name)
    sequence_number = history.latest_sequence_number() + 1
    file_name = generation_file_name(sequence_number, root_name, plan.created_at)
    folder_path = root / ASCMHL_FOLDER
    manifest_path = folder_path / file_name
    pending = unchained_own.Pending(intent)
    committed = chained = made = False
    try:
        try:
            try:
                folder_path.mkdir()
            except FileExistsError:
                pass
            else:
                made = True
                fsync_dir(root)
            with AtomicFile(manifest_path) as out:
                _write_manifest(out, plan, shared)
                # Another writer's generation since this history was read (a program that
                # takes no copy root lock: ascmhl, a run on another machine over a share):
                # this one, decided against the older history, is not written beside it.
                raced = another_writer(folder_path, history, sequence_number)
                if raced is None:
                    pending.note(file_name, out.written_digest())  # durable before it
                    try:
                        out.commit(replace=False)
                    except FileExistsError:  # that writer's manifest has our name: kept
                        raced = another_writer(folder_path, history, sequence_number)
                        if raced is None:
                            raise
                    else:
                        committed = True
            if raced is None:
                assert out.digest is not None  # its C4 ID (AtomicFile's default hasher)
                chain = (*history.chain, ChainEntry(sequence_number, file_name, out.digest))
                try:
                    # The chain as read, unless another writer changed it since (its entry
                    # would be lost): then ours is taken back, the chain left as it is.
                    raced = another_writer(folder_path, history, sequence_number, own=file_name)
                    if raced is None:
                        write_file_atomically(
                            folder_path / CHAIN_FILE_NAME,
                            _chain_text(chain).encode("utf-8"),
                            replace=True,
                        )
                        chained = True
                except BaseException:
                    # a manifest the chain does not list would still be read as a generation
                    manifest_path.unlink(missing_ok=True)
                    raise
                if raced is not None:
                    manifest_path.unlink(missing_ok=True)  # ours, which no chain lists
        except OSError as exc:
            raise ManifestError(
                f"cannot write ASC MHL manifest {manifest_path}: {describe_os_error(exc)}",
                path=manifest_path,
                errno_=exc.errno,
            ) from exc
    finally:
        # The record stays only for a manifest of ours left there unlisted (its take-back
        # failed): the next writer's to remove.
        pending.close(keep=committed and not chained and os.path.lexists(manifest_path))
        if made and not committed:
            _remove_if_empty(folder_path, root)
    if raced is not None:
        raise ManifestError(
            f"cannot write ASC MHL manifest {manifest_path}: {raced} after this run read the "
            "history; this run's generation was not written (made against the older history, "
            "it would break the chain): run this again once that writer is done",
            path=manifest_path,
            errno_=errno.EEXIST,
            says_what_to_do=True,
        )
    if on_uncarried is not None:
        final = IgnoreSpec(patterns)
        for path, hidden in (*uncarried.items(), *retired.items()):
            if path in uncarried or not final.excludes(path, is_dir=False):
                on_uncarried(path, hidden)
    if (foreign.entries or foreign.anchored_only) and on_foreign is not None:
        on_foreign(foreign)
    if unread and on_foreign_unread is not None:
        on_foreign_unread(unread)
    return manifest_path


def _nested_known(root: Path, folder: str) -> Callable[[str], bool] | None:
    """What the nested history at *folder* (below *root*) records, or its own newest list
    hides, by path from *root* (``foreign_entries``' *nested_known*: ascmhl-debug verify of the
    root judges a nested folder's files against its history, offload verify with its list
    too); None where that history cannot be read."""
    try:
        nested = read_history(root / folder, check_chain=False)
    except (OSError, HistoryError):
        return None
    own = IgnoreSpec(nested.latest_ignore_patterns() or ())
    cut = len(folder) + 1

    def known(path: str) -> bool:
        inner = path[cut:]
        return own.matches(inner, is_dir=False) or (
            nested.reference_hash_formats(inner) is not None
        )

    return known


def another_writer(
    folder: Path, history: History, sequence_number: int, *, own: str = ""
) -> str | None:
    """Who wrote into the ASC MHL history *folder* since *history* was read of it, where this
    writer's generation is to be *sequence_number*: a manifest numbered that or later
    (``NNNN_*.mhl``), or a chain file that no longer lists what *history* read, described
    for a message ("another writer added generation 0023 (0023_x.mhl, by ascmhl 1.2 on
    host, created ...)"); None when neither is there. Offload-ai's own writers never meet
    here (they hold the copy root's lock: ``offload.lock``, ``offload.verify_lock``); a
    folder or chain that cannot be read is no writer (the write then says its error).
    *own*: this writer's manifest, once committed (not another's)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for name in names:
        number = generation_number_of(name)
        if number is not None and number >= sequence_number and name != own:
            return (
                f"another writer added generation {number:04d} ({name}"
                f"{_written_by(folder / name)}) to this history"
            )
    try:
        now = parse_chain(folder / CHAIN_FILE_NAME)
    except (OSError, ValueError, ManifestError):
        now = None
    if now is not None and tuple(now) != tuple(history.chain):
        return "another writer changed this history's chain file (ascmhl_chain.xml)"
    return None


def _written_by(manifest: Path) -> str:
    """ ", by <tool> <version> on <host>, created <date>" as *manifest*'s creator info says
    (``history.parse_manifest``: XML unescaped, the creator info's own elements only), ""
    where it says none or the manifest cannot be read or parsed."""
    try:
        found = parse_manifest(manifest, generation_number_of(manifest.name) or 0)
    except (HistoryError, OSError):
        return ""
    words = ""
    tool = (found.tool_name or "").strip()
    if tool:
        words += f", by {tool} {(found.tool_version or '').strip()}".rstrip()
    if found.hostname and found.hostname.strip():
        words += f" on {found.hostname.strip()}"
    if found.creation_date and found.creation_date.strip():
        words += f", created {found.creation_date.strip()}"
    return words


def first_unheld(
    files: Iterable[ManifestFile],
    history: History,
    *,
    ignore_patterns: Sequence[str] | None = (),
) -> str | None:
    """The first of *files* that *history* does not hold as a generation written now (asked
    to ignore *ignore_patterns*, as :func:`write_generation`) would record it: a path the
    history does not know, or shares no format with (the generation would record it
    ``original``), or a digest no generation records for it in its format (``failed``
    against the reference, when it differs); None when the history holds every file it
    would record. A digest recorded before, ``failed`` included, is held: a copy whose
    content differs from the history's reference is recorded once, not by every run.
    *ignore_patterns* None: no file is passed over as ignored (a quick test: None from it
    is None from any list; a path from it may be one a generation would ignore).

    What the manifest step asks when a run verified nothing new on a destination: an earlier
    run may have recorded its files verified (the ledger) and stopped before its generation
    was written, and then only a new generation makes the history hold them. Files the
    generation would leave out (ignored) are passed over; paths are not checked otherwise
    (the caller passes what it would write)."""
    spec: IgnoreSpec | None = None
    for item in files:
        if held(item, history):
            continue
        if ignore_patterns is None:
            return item.relative_path
        if spec is None:  # made for the first file not held: never, on an ordinary re-run
            carried = _Carried(history.latest_ignore_patterns() or (), ignore_patterns)
            spec = IgnoreSpec(carried.for_good())
        if not spec.excludes(item.relative_path, is_dir=False):
            return item.relative_path
    return None


def held(item: ManifestFile, history: History) -> bool:
    """Whether *history* records *item* as :func:`first_unheld` asks (a file without an
    ASC MHL digest, which :func:`write_generation` refuses, counts as held: no generation
    could record it): known to it, in a format *item* has, every such digest of *item*
    one a generation there records for its path. The manifests writer's test too of a copy
    trusted from the ledger that a generation written now leaves out (it hashed nothing of
    it: ``manifests_writer._hashed_now``)."""
    digests = canonical_digests(item.digests)
    if not digests:
        return True
    known = history.reference_hash_formats(item.relative_path)
    if known is None:
        return False  # recorded "original" now
    compared = [fmt for fmt in digests if fmt in known]
    if not compared:
        # no format in common: nothing to compare (the caller adds the copy's digests in
        # the history's formats where it can read it: offload.history_formats)
        return False
    recorded = history.recorded_hash_values(item.relative_path)
    return all(digests[fmt] in recorded.get(fmt, ()) for fmt in compared)


def retirable_patterns(latest: Sequence[str], requested: Sequence[str]) -> dict[str, str]:
    """The carried patterns of *latest* (the history's newest ignore list) that a new
    generation asked to ignore *requested* leaves out once they would hide a file or folder
    it records: those naming one path exactly (:func:`~offload.manifest.links.
    exact_pattern`, written for a link that could not be hashed) that neither the caller
    nor ascmhl's defaults ask for. Path → its pattern (see :class:`_Carried`)."""
    asked = set(requested) | set(DEFAULT_IGNORE_PATTERNS)
    retirable: dict[str, str] = {}
    for pattern in latest:
        path = exact_pattern_path(pattern)
        if path is not None and pattern not in asked:
            retirable[path] = pattern
    return retirable


def hidden_by_carried(
    latest: Sequence[str], requested: Sequence[str], paths: Iterable[str]
) -> tuple[list[str], list[str]]:
    """The files of *paths* (the card's, copied and verified, to be recorded) that a new
    generation asked to ignore *requested* would leave out because of a pattern carried
    from *latest* (the history's newest list: a card's history made with ``ascmhl create
    -i '*.tmp'``, or a copy root's of ours offloaded again, whose ``<root>_*.mhl`` hides its
    legacy MHL, now a file of this card): ``(patterns, hidden)``. *patterns*: ``!`` and each
    such file's exact pattern, to follow every other pattern of the list (each names its
    path alone); *hidden*: those in a folder the list hides, which no ``!`` can list again
    (ascmhl does not walk into an ignored folder). Without this, such a file is copied and
    verified but in no generation: neither ``ascmhl-debug verify`` nor ``offload verify`` ever
    checks its copy. A file *requested* (with ascmhl's defaults) hides by itself is left to
    the caller (a card folder named like our state: ``copy_root``). ``([], [])`` at once
    when *latest* carries no such pattern (every one ascmhl's defaults, asked for again, an
    exact link pattern or a ``!`` one)."""
    asked = set(requested) | set(DEFAULT_IGNORE_PATTERNS)
    if not any(
        p not in asked and not p.startswith("!") and exact_pattern_path(p) is None for p in latest
    ):
        return [], []
    carried = _Carried(latest, requested)
    spec = IgnoreSpec(carried.for_good())
    ours = IgnoreSpec(_Carried((), requested).patterns())  # what the caller hides on purpose
    again: list[str] = []
    hidden: list[str] = []
    for path in paths:
        if not spec.excludes(path, is_dir=False) or ours.excludes(path, is_dir=False):
            continue
        folder = path.rpartition("/")[0]
        if folder and spec.excludes(folder, is_dir=True):
            hidden.append(path)
        else:
            again.append("!" + exact_pattern(path))
    return again, hidden


def hidden_again_below(patterns: Sequence[str]) -> tuple[str, ...]:
    """*patterns* with each one that hides something below a folder a later ``!`` pattern
    brings back (``!<folder>/``, ``listed_again``: pathspec, as ascmhl, brings back
    everything below it) moved after the last such ``!`` one, order kept among the moved.
    The merge keeps a pattern's first place, so one the history carries (a dangling link's
    exact pattern in a card folder named like the legacy MHLs, written before a run that
    adds the legacy MHLs' pattern and the folder's ``!``) would stand before the ``!`` and
    be undone by it: the link listed again, which ``ascmhl-debug verify`` then finds new."""
    brought_back = [
        (index, pattern[1:])
        for index, pattern in enumerate(patterns)
        if pattern.startswith("!") and pattern.endswith("/")
    ]
    moved = [
        pattern
        for index, pattern in enumerate(patterns)
        if not pattern.startswith("!")
        and any(index < at and pattern.startswith(folder) for at, folder in brought_back)
    ]
    if not moved:
        return tuple(patterns)
    last = brought_back[-1][0]
    gone = set(moved)
    before = [p for p in patterns[: last + 1] if p not in gone]
    return (*before, *moved, *(p for p in patterns[last + 1 :] if p not in gone))


class _Carried:
    """The ignore list of a new generation: ascmhl's defaults, the history's latest patterns
    (carried, as the reference tool's ``create`` carries them), then the caller's.

    *Retirable*: a carried pattern that names one path exactly (:func:`~offload.manifest.
    links.exact_pattern`, written for a link that could not be hashed) and that the caller
    does not ask for again. It is carried unless it would hide a file or folder this
    generation records: a real file (or folder) now stands where the link was (the card
    changed, or another card was copied into the same root), and the reference tool reads
    the newest generation's list alone (``verify``, ``diff``), so leaving the pattern out is
    what makes it list and check that path again."""

    def __init__(self, latest: Sequence[str], requested: Sequence[str]) -> None:
        self._latest = tuple(latest)
        self._requested = tuple(requested)
        self.retirable = retirable_patterns(self._latest, self._requested)

    def patterns(self, *, retired: Collection[str] = ()) -> tuple[str, ...]:
        """The list, without the carried patterns of the *retired* paths."""
        dropped = {self.retirable[path] for path in retired}
        kept = [p for p in self._latest if p not in dropped]
        return hidden_again_below(merge_patterns(DEFAULT_IGNORE_PATTERNS, kept, self._requested))

    def for_good(self) -> tuple[str, ...]:
        """The list without any retirable pattern: what it hides whatever it drops."""
        return self.patterns(retired=self.retirable)

    def hiding(
        self, root: Path, recorded: Sequence[_Entry], folders: Iterable[str]
    ) -> dict[str, str]:
        """The retirable paths whose pattern would hide a recorded file or folder (as ascmhl-debug
        ``verify`` matches it too: below *root*'s absolute path), each with a path it hides."""
        if not self.retirable:
            return {}
        listed = itertools.chain((e.path for e in recorded), (f for f in folders if f))
        return pattern_hides(self.retirable, listed, root, itself=True)


def ignored_for_good(latest: Sequence[str], requested: Sequence[str]) -> tuple[str, ...]:
    """The ignore list a generation carrying *latest* (the history's newest list) and asked
    to ignore *requested* writes, without the carried exact patterns it may drop
    (:class:`_Carried`): what it hides whatever it drops. The list the walks of the copy
    root's tree start from (through :func:`~offload.manifest.ignore.verify_skips`): the
    manifests writer's, before the generation, and :func:`write_generation`'s."""
    return _Carried(latest, requested).for_good()


def generation_tree(
    root: Path, history: History, requested: Sequence[str], lister: Lister
) -> TreeRead:
    """The copy root's tree as plain ``ascmhl-debug verify`` of *root* walks it once a generation
    over *history* asked to ignore *requested* is written (:class:`~offload.manifest.
    nested_links.TreeRead`, read when first asked): its walk skips what that generation's
    list hides for good (:func:`ignored_for_good`), an anchored pattern never. The tree a
    link's exact pattern is judged against, by the manifests writer (a card's links) and
    ``offload verify --append`` (the links it did not read) alike. *lister*: the
    generation's, memoized, so its other checks list each folder once."""
    for_good = ignored_for_good(history.latest_ignore_patterns() or (), requested)
    return TreeRead(root, history, lister, for_good)


def _collect_folders(
    root: Path,
    directories: Iterable[str],
    recorded: Sequence[_Entry],
    spec: IgnoreSpec,
    nested: set[str],
) -> set[str]:
    """The folders to hash ("" is the root): those given and not ignored, those of the
    recorded files, and all their ancestors. Raises UnsupportedTreeError for nested
    histories (named in *nested* by the caller or found on disk), ValueError for bad paths."""
    folders: set[str] = {""}
    for folder in directories:
        if folder in ("", "."):
            continue
        check_relative_path(folder)
        nested_root = _nested_history_root(folder + "/x")
        if nested_root is not None:
            nested.add(nested_root)
        if not spec.excludes(folder, is_dir=True):
            folders.add(folder)
    for path in [entry.path for entry in recorded] + list(folders):
        parent = path.rpartition("/")[0]
        while path and parent not in folders:
            folders.add(parent)
            parent = parent.rpartition("/")[0]
    nested.update(f for f in folders if f and holds_history_folder(root / f))
    refused = sorted(n for n in nested if not spec.excludes(n, is_dir=True))
    if refused:
        raise UnsupportedTreeError(
            f"nested ASC MHL histories are not supported: {', '.join(refused)} (each holds "
            f"a folder named {ASCMHL_FOLDER}, which ascmhl reads as a history, a chain file "
            "or not); offload each of those folders as a card of its own: its history is "
            "then extended on the copy",
            path=root,
        )
    return folders


class _Plan(NamedTuple):
    """Everything a manifest says, decided before the first byte is written."""

    root: Path
    creator: CreatorInfo
    process: str
    patterns: tuple[str, ...]
    formats: tuple[str, ...]
    folders: set[str]
    hashed: set[str]  # the folders whose hashes are written ("" the root): those listed whole
    entries: list[_Entry]
    folder_hashes: dict[str, DirectoryHash]
    created_at: datetime
    # Each folder's date where the root's folders do not hold it (``write_generation``).
    folder_dates: Mapping[str, int] | None = None
    dates_from: Path | None = None  # where the folders' dates are read (write_generation)


# The <hash> elements joined into one text at most (~200 bytes each: ~200 KB)
_ELEMENTS_AT_ONCE = 1000

_EMPTY_ROOT_HASH = "    <roothash>\n      <content/>\n      <structure/>\n    </roothash>\n"


def _write_manifest(out: AtomicFile, plan: _Plan, shared: SharedWork | None = None) -> None:
    created = iso_utc(plan.created_at)
    kept = shared.elements if shared is not None else None
    out.write_text('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write_text('<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">\n')
    out.write_text(_creator_block(plan.creator, created))
    out.write_text(f"  <processinfo>\n    <process>{plan.process}</process>\n")
    if plan.formats and "" in plan.hashed:
        root_hash = plan.folder_hashes[""]
        out.write_text(_directory_element("    ", "roothash", "", root_hash, plan.formats, created))
    else:
        # No root hash, said as an empty one (the XSD allows <roothash> with no format): the
        # reference tool's verify -dh reads every generation's root hash and crashes on a
        # generation without the element (ascmhl 1.2 writes such generations itself, with
        # create -sf, and cannot then check directory hashes at all).
        out.write_text(_EMPTY_ROOT_HASH)
    out.write_text("    <ignore>\n")
    for pattern in plan.patterns:
        out.write_text(f"      <pattern>{escape_text(pattern)}</pattern>\n")
    out.write_text("    </ignore>\n  </processinfo>\n")
    # the XSD wants at least one entry inside <hashes>: leave the element out when empty
    if plan.entries or (plan.formats and bool(plan.hashed - {""})):
        out.write_text("  <hashes>\n")
        # A folder's file elements made by one comprehension and written as one text, up
        # to _ELEMENTS_AT_ONCE of them (the same bytes: one write_text call a slice of a
        # folder, not a file; the text held at once stays bounded in a folder of any size)
        element = (
            _file_element if kept is None else functools.partial(_kept_file_element, kept=kept)
        )
        for folder, files in _walk_order(plan.folders, plan.entries):
            if files:
                for at in range(0, len(files), _ELEMENTS_AT_ONCE):
                    part = files[at : at + _ELEMENTS_AT_ONCE]
                    out.write_text("".join([element(item) for item in part]))
            elif folder and plan.formats and folder in plan.hashed:
                modified = (
                    _directory_mtime(plan.root, folder, plan.dates_from)
                    if plan.folder_dates is None
                    else _iso_date(plan.folder_dates.get(folder))
                )
                attribute = "" if modified is None else f' lastmodificationdate="{modified}"'
                path_line = f"      <path{attribute}>{escape_text(folder)}</path>\n"
                hashes = plan.folder_hashes[folder]
                out.write_text(
                    _directory_element(
                        "    ", "directoryhash", path_line, hashes, plan.formats, created
                    )
                )
        out.write_text("  </hashes>\n")
    out.write_text("</hashlist>\n")
