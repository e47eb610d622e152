"""Reading an ASC MHL history (``ROOT/ascmhl/``) and carrying one to another root.

A history is the chain file ``ascmhl_chain.xml`` (sequence number, manifest file name and C4
ID of each manifest's bytes) plus the manifests ``NNNN_<root>_<date>_<time>Z.mhl``. Like the
reference tool, every ``*.mhl`` whose name starts with a sequence number is a generation
(also one the chain does not list), and every manifest the chain lists must exist with the
listed C4 ID.

Which hash is "the" recorded hash of a file, as the reference tool decides it:

* a path is known to the history once some generation records an ``action="original"`` hash
  for it (``find_original_hash_entry_for_path``); until then it is new;
* for a known path, the reference hash in a format is the first hash recorded in that format,
  in generation order (``find_first_hash_entry_for_path``); a ``failed`` hash never is one.

Renames (``<previousPath>`` in a ``<hash>`` or ``<directoryhash>``: the path was renamed,
its new name in ``<path>``): a path renamed is no longer expected at its old name but at
its new one (:meth:`History.current_path`, followed through every later rename, unless a
later generation records the old name itself again: something stands there again). A
renamed path's reference hashes are those of the path it was renamed from (as the
reference tool's ``verify`` looks them up), its own first hashes filling in the formats
that path has none in. The reference tool (1.2) follows one rename only: after two renames
of one file (``a`` to ``b``, then ``b`` to ``c``) its ``verify`` reports ``b`` missing; here
the file is expected at ``c`` alone.

Nested histories (an ``ascmhl`` folder below the root) are not interpreted here.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from offload.errors import OffloadError, describe_os_error, printable_name
from offload.fs.ops import fsync_dir
from offload.hashing.c4 import C4Hasher
from offload.hashing.registry import comparable_digest
from offload.manifest import xmlparse
from offload.manifest.atomic import write_file_atomically
from offload.manifest.digest import is_ascmhl_format
from offload.manifest.errors import (
    HistoryError,
    MissingChainError,
    MissingManifestError,
    UntrustedHistoryError,
)
from offload.manifest.layout import ASCMHL_FOLDER as ASCMHL_FOLDER
from offload.manifest.layout import CHAIN_FILE_NAME as CHAIN_FILE_NAME
from offload.manifest.model import (
    ChainEntry,
    DirectoryRecord,
    FileRecord,
    Generation,
    HashRecord,
)
from offload.report.words import listed

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

ASCMHL_NAMESPACE = "urn:ASC:MHL:v2.0"
DIRECTORY_NAMESPACE = "urn:ASC:MHL:DIRECTORY:v2.0"

# What ascmhl (1.2) reads as a generation's name, the name without ".mhl": its sequence
# number (4 digits at least), then "_" and anything without a line break, a lone line break
# at the very end allowed (its pattern is anchored with "$" and "." matches anything but
# "\n"). A name with a newline elsewhere is no generation to it ("does not conform to naming
# convention"): nor to offload verify, which must judge as it does.
_GENERATION_NAME = re.compile(r"(\d{4,})(?:_[^\n]+)?\n?")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element | None) -> str:
    if element is None or element.text is None:
        return ""
    return element.text


def _reference_text(fmt: str, value: str) -> str:
    # The reference a file is checked against, by the one comparison rule (hex
    # case-insensitively, a C4 ID exactly), around it no whitespace (never part of a
    # digest). offload verify still fails hex recorded in upper case, as ascmhl-debug verify does
    # (History.upper_case_originals).
    return comparable_digest(fmt, value.strip())


def path_escapes(path: str) -> bool:
    """Whether a recorded path leaves the root it is relative to (absolute, or ``..``)."""
    return path.startswith("/") or ".." in path.split("/")


def generation_number_of(file_name: str) -> int | None:
    """The sequence number of a manifest file name, or None if it is not one (like ascmhl:
    ``*.mhl`` not starting with ``._``, the stem being digits optionally followed by ``_...``)."""
    if not file_name.endswith(".mhl") or file_name.startswith("._"):
        return None
    match = _GENERATION_NAME.fullmatch(file_name[: -len(".mhl")])
    return int(match.group(1)) if match else None


class History:
    """An ASC MHL history as read from disk. Immutable after construction.

    ``generations`` are sorted by sequence number. The lookups are computed on first use.
    """

    def __init__(
        self,
        root: Path,
        chain: tuple[ChainEntry, ...],
        generations: tuple[Generation, ...],
        unchained: tuple[str, ...] = (),
    ) -> None:
        self.root = root
        self.chain = chain
        self.generations = generations
        # The manifest files (names) the chain does not list: no C4 ID vouches for them,
        # yet they are generations, as the reference tool reads them (``read_history``).
        self.unchained = unchained
        self._reference: dict[str, dict[str, str]] | None = None
        self._sizes: dict[str, int] = {}
        self._recorded: dict[str, dict[str, set[str]]] | None = None
        self._moved: dict[str, str] | None = None
        self._together: dict[str, int] | None = None
        # untrusted_reason's findings, made once (a copy's manifest step asks it twice)
        self._flaws: tuple[list[str], list[tuple[int, str]]] | None = None

    @property
    def exists(self) -> bool:
        """True if the history has at least one generation."""
        return bool(self.generations)

    def latest_sequence_number(self) -> int:
        """The highest sequence number in the history (0 when empty)."""
        return max((g.sequence_number for g in self.generations), default=0)

    def missing_sequence_numbers(self) -> list[int]:
        """The sequence numbers from 1 to the highest that no manifest has: a generation
        removed (with its chain entry: else the chain names it missing), or never written."""
        present = {g.sequence_number for g in self.generations}
        return [n for n in range(1, self.latest_sequence_number()) if n not in present]

    def chain_notes(self, stopped: str | None = None) -> tuple[str, ...]:
        """What the history's chain does not vouch for, in words (a report's notes): each
        manifest the chain does not list (``unchained``), and the sequence numbers no
        manifest has (``missing_sequence_numbers``). The reference tool (1.2) uses such a
        history in silence; its records are used here too, and said. *stopped*: the name of
        an unlisted manifest an offload recorded and was stopped before chaining, which the
        next writer's settle removes (``unchained_own.left_by_a_stopped_run``), said so, with
        the fix: the same offload copy again."""
        folder = self.root / ASCMHL_FOLDER
        notes = [
            f"ASC MHL manifest {folder / name} is not listed in {CHAIN_FILE_NAME}: an offload "
            f"was stopped after it wrote it and before {CHAIN_FILE_NAME} listed it (no C4 ID "
            "vouches for it); its records were used all the same, as ascmhl uses them; the "
            "same offload copy again removes it and writes its generation"
            if name == stopped
            else f"ASC MHL manifest {folder / name} is not listed in {CHAIN_FILE_NAME}: no C4 "
            "ID vouches for it (a manifest added since the chain was written, or its chain "
            "entry removed); its records were used all the same, as ascmhl uses them"
            for name in self.unchained
        ]
        missing = self.missing_sequence_numbers()
        if missing:
            named = ", ".join(str(n) for n in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            present = ", ".join(str(g.sequence_number) for g in self.generations[:10])
            notes.append(
                f"the ASC MHL history in {folder} has no generation "
                f"{named}{more} (its manifests are numbered {present}"
                f"{', ...' if len(self.generations) > 10 else ''}): removed with "
                f"{'its chain entry' if len(missing) == 1 else 'their chain entries'}, or "
                "never written; what it recorded is not known here, the other generations' "
                "records were used"
            )
        return tuple(notes)

    def refuse_unchained(
        self,
        writer: str = "the new ASC MHL generation",
        instead: str = "leave the history as it is",
    ) -> None:
        """Raise UntrustedHistoryError where the history holds a manifest its chain does not
        list (``unchained``): a generation appended now (by *writer*, as the error names it)
        is listed in the chain, so vouched for by it, while what it records was decided
        against that manifest's records: it would launder them into the chain. *instead*:
        what the user may do other than restore the chain file. A gap in the sequence
        numbers is no refusal (every manifest there is vouched for)."""
        if not self.unchained:
            return
        folder = self.root / ASCMHL_FOLDER
        unlisted = ", ".join(str(folder / name) for name in self.unchained)
        raise UntrustedHistoryError(
            f"{writer} would write a generation on top of ASC MHL manifest {unlisted}, which "
            f"{CHAIN_FILE_NAME} does not list (no C4 ID vouches for it: added since the chain "
            "was written, or its chain entry removed): the new generation, listed in the "
            "chain, would record a check made against it; restore the chain file from a "
            f"backup, or {instead}",
            path=folder,
            says_what_to_do=True,
        )

    def latest_ignore_patterns(self) -> tuple[str, ...] | None:
        """The ignore patterns of the newest generation, None if it has none (or no history)."""
        if not self.generations or not self.generations[-1].ignore_patterns:
            return None
        return self.generations[-1].ignore_patterns

    def _build_lookups(self) -> dict[str, dict[str, str]]:
        if self._reference is not None:
            return self._reference
        firsts: dict[str, dict[str, str]] = {}
        known: set[str] = set()
        sizes: dict[str, int] = {}
        renamed_from: dict[str, str] = {}  # path → the previous path of its first record
        for generation in self.generations:
            for record in generation.files:
                previous = record.previous_path
                if record.path not in firsts and previous is not None and previous != record.path:
                    renamed_from[record.path] = previous
                per_format = firsts.setdefault(record.path, {})
                for entry in record.hashes:
                    if entry.action == "failed" or not is_ascmhl_format(entry.format):
                        continue
                    per_format.setdefault(entry.format, _reference_text(entry.format, entry.value))
                    if entry.action == "original" and record.path not in known:
                        known.add(record.path)
                        if record.size_bytes is not None:
                            sizes[record.path] = record.size_bytes
        reference = {path: firsts[path] for path in firsts if path in known}
        # A renamed path takes the reference of the path it was renamed from (resolved in
        # the order the renames were recorded, so a chain of renames carries it along); its
        # own first hashes fill in the formats that one has none in.
        for path, previous in renamed_from.items():
            inherited = reference.get(previous)
            if inherited is None:
                continue
            reference[path] = {**firsts.get(path, {}), **inherited}
            if previous in sizes:
                sizes[path] = sizes[previous]
        self._reference = reference
        self._sizes = sizes
        return self._reference

    def reference_hashes(self) -> dict[str, dict[str, str]]:
        """path → {format → reference hash} for every file the history knows (has an
        ``original`` hash for). Hex is lower case. The caller may keep and mutate the result
        (it is a copy)."""
        return {path: dict(hashes) for path, hashes in self._build_lookups().items()}

    def knows_files(self) -> bool:
        """Whether some path has reference hashes: else :meth:`reference_hash_formats` is
        None for every path (a new history: a writer need not ask it file by file)."""
        return bool(self._build_lookups())

    def reference_hash_formats(self, path: str) -> dict[str, str] | None:
        """The reference hashes of one known path (not a copy: do not mutate), else None."""
        return self._build_lookups().get(path)

    def recorded_hash_values(self, path: str) -> dict[str, set[str]]:
        """Every hash any generation records for *path*, whatever its action (``original``,
        ``verified``, ``failed``): format → values (hex in lower case). Empty for a path no
        generation lists. Not a copy: do not mutate."""
        if self._recorded is None:
            recorded: dict[str, dict[str, set[str]]] = {}
            for generation in self.generations:
                for record in generation.files:
                    per_format = recorded.setdefault(record.path, {})
                    for entry in record.hashes:
                        if is_ascmhl_format(entry.format):
                            per_format.setdefault(entry.format, set()).add(
                                _reference_text(entry.format, entry.value)
                            )
            self._recorded = recorded
        return self._recorded.get(path, {})

    def upper_case_originals(self) -> dict[str, dict[str, str]]:
        """path → {format → text} of the ``original`` hashes recorded in hex that is not
        lower case, as written. The reference tool compares the text: ``ascmhl-debug verify``
        reports each as a hash mismatch (exit 11) whatever the bytes. Empty for a history
        any ASC MHL tool wrote (they write lower case). A C4 ID is never in it (base58)."""
        found: dict[str, dict[str, str]] = {}
        for generation in self.generations:
            for record in generation.files:
                for entry in record.hashes:
                    if (
                        entry.action == "original"
                        and entry.format != "c4"
                        and is_ascmhl_format(entry.format)
                        and entry.value.strip() != entry.value.strip().lower()
                    ):
                        found.setdefault(record.path, {}).setdefault(
                            entry.format, entry.value.strip()
                        )
        return found

    def reference_size(self, path: str) -> int | None:
        """The size recorded with the path's ``original`` hash, if any."""
        self._build_lookups()
        return self._sizes.get(path)

    def recorded_file_paths(self) -> set[str]:
        """Every file path recorded in any generation (known or not)."""
        return {record.path for g in self.generations for record in g.files}

    def recorded_together(self, one: str, other: str) -> bool:
        """Whether one generation records both paths (files or folders, as recorded):
        two entries then, never one renamed (``respelling``: twins spelled NFC and NFD).
        The first call indexes the generations' non-ASCII paths, once."""
        if self._together is None:
            together: dict[str, int] = {}  # path → its generations, one bit each
            for number, generation in enumerate(self.generations):
                bit = 1 << number
                paths = [r.path for r in generation.files]
                paths.extend(r.path for r in generation.directories)
                for path in paths:
                    if not path.isascii():
                        together[path] = together.get(path, 0) | bit
            self._together = together
        return bool(self._together.get(one, 0) & self._together.get(other, 0))

    def two_files(self, one: str, other: str) -> bool:
        """Whether the files recorded at *one* and *other* (a name's two spellings, NFC and
        NFD) are two files, never one renamed (``respelling``'s *twins*): one generation
        records both (:meth:`recorded_together`), or their reference hashes disagree in a
        format both hold (other bytes: a clip lost and another recorded under the other
        spelling since, whose record says nothing of the lost one's)."""
        if self.recorded_together(one, other):
            return True
        first = self.reference_hash_formats(one) or {}
        second = self.reference_hash_formats(other) or {}
        return any(second.get(name, value) != value for name, value in first.items())

    def _moves(self) -> dict[str, str]:
        """Old path → the path it was renamed to, files and folders, as the newest record
        of the old path says: a later generation that records the old path itself (not as
        a previous path) cancels its rename (something stands there again)."""
        if self._moved is None:
            moved: dict[str, str] = {}
            for generation in self.generations:
                records = [(r.path, r.previous_path) for r in generation.files]
                records.extend((r.path, r.previous_path) for r in generation.directories)
                for path, previous in records:
                    if previous is not None and previous != path:
                        moved[previous] = path
                for path, _ in records:
                    moved.pop(path, None)
            self._moved = moved
        return self._moved

    def current_path(self, path: str) -> str:
        """Where the history expects the file or folder recorded as *path* now: *path*,
        or the name of its newest rename, followed through later renames (module doc)."""
        moved = self._moves()
        seen = {path}
        while (renamed := moved.get(path)) is not None and renamed not in seen:
            seen.add(renamed)
            path = renamed
        return path

    def expected_file_paths(self) -> set[str]:
        """The file paths the history expects on disk: every recorded path, at its current
        name (:meth:`current_path`): a file renamed is not expected at its old name."""
        return {self.current_path(path) for path in self.recorded_file_paths()}

    def renamed_paths(self) -> dict[str, str]:
        """Recorded file and folder paths no longer expected at that name → where they are
        expected (:meth:`current_path`). Sorted by old path."""
        return {path: self.current_path(path) for path in sorted(self._moves())}

    def escaping_paths(self) -> list[str]:
        """Recorded paths (files, previous paths, folders) that leave the history's root:
        absolute, or with a ``..`` component. A history holding one is broken or forged
        (``ascmhl`` would join it to the root and check a file outside it). Sorted."""
        # ".." in the text first: the split only of a path that may hold the component
        return sorted(
            p for p in self.recorded_paths() if p.startswith("/") or (".." in p and path_escapes(p))
        )

    def contradicting_paths(self) -> list[tuple[int, str]]:
        """(sequence number, path) of each file one generation records with two different
        hashes in one format (a ``failed`` hash aside, which records a mismatch): two
        ``<hash>`` elements of one path, of which ascmhl (1.2) takes the last as the path's
        record and this reader the first, so each would pass a file the other fails; or two
        hashes in one element, of which both take the first, yet which no ASC MHL writer
        makes (a generation hashes a file once). A history holding either is damaged or
        forged, its records not trusted. Sorted."""
        found: set[tuple[int, str]] = set()
        for generation in self.generations:
            # The text as written first: a digest is made comparable (comparable_digest)
            # only where its path holds a second one in that format (~0.4 s a generation
            # of 50,000 files otherwise, asked by every reader and writer).
            seen: dict[tuple[str, str], str] = {}
            for record in generation.files:
                for entry in record.hashes:
                    if entry.action == "failed":
                        continue
                    key = (record.path, entry.format)
                    first = seen.setdefault(key, entry.value)
                    if first is entry.value or not is_ascmhl_format(entry.format):
                        continue
                    if _reference_text(entry.format, first) != _reference_text(
                        entry.format, entry.value
                    ):
                        found.add((generation.sequence_number, record.path))
        return sorted(found)

    def untrusted_reason(self, holder: str) -> str | None:
        """Why this history is broken or forged, so trusted for nothing, in words ending
        no sentence (``it records paths outside HOLDER (...)``); None: it is not. It
        records paths outside its root (:meth:`escaping_paths`: ascmhl would check a file
        outside it), or one generation records a file with two different hashes
        (:meth:`contradicting_paths`). *holder*: what holds the history, as the words name
        it (``the card``, a copy root's path). The one rule of every reader that trusts a
        history: ``offload verify``, the card's own and nested histories, and every
        writer of a generation (``write_generation``), which never decides a file
        ``verified`` or ``failed`` against such a record."""
        if self._flaws is None:
            self._flaws = (self.escaping_paths(), self.contradicting_paths())
        escaping, contradicting = self._flaws
        if escaping:
            shown = listed([repr(printable_name(p)) for p in escaping], 5)
            return f"it records paths outside {holder} ({shown})"
        if contradicting:
            shown = listed(
                [f"{printable_name(p)!r} in generation {n}" for n, p in contradicting], 5
            )
            return (
                f"one generation records a file with two different hashes ({shown}), a "
                "record no ASC MHL writer makes"
            )
        return None

    def refuse_untrusted(self) -> None:
        """Raise UntrustedHistoryError where the history is broken or forged
        (:meth:`untrusted_reason`, its root named as the holder): nothing may be checked
        against it or written on top of it. The line says what is wrong; what to do is the
        caller's, as for every damaged-or-forged history (:func:`what_to_restore`):
        ``offload verify``'s remedy names the ledger's check meanwhile, ``offload copy``'s
        line the folder to restore."""
        reason = self.untrusted_reason(printable_name(str(self.root)))
        if reason is None:
            return
        folder = printable_name(str(self.root / ASCMHL_FOLDER))
        raise UntrustedHistoryError(
            f"the ASC MHL history in {folder} is broken or forged: {reason}; it is not trusted",
            path=self.root / ASCMHL_FOLDER,
        )

    def recorded_paths(self) -> set[str]:
        """Every path recorded in any generation, as written (from the history's root):
        files, folders (the root's own ``.`` or ``""`` too) and their previous paths."""
        paths: set[str] = set()
        for generation in self.generations:
            named = [(r.path, r.previous_path) for r in generation.files]
            named += [(r.path, r.previous_path) for r in generation.directories]
            for path, previous in named:
                paths.add(path)
                if previous is not None:
                    paths.add(previous)
        return paths

    def recorded_directory_paths(self) -> set[str]:
        """Every folder path recorded with a ``<directoryhash>`` in any generation."""
        return {record.path for g in self.generations for record in g.directories}

    def folder_dates(self) -> dict[str, int]:
        """Each recorded folder, at its current name (:meth:`current_path`), with the date
        (ns since the epoch) its newest record that has one gives it
        (``lastmodificationdate``: the card folder's time the copy recorded); a folder no
        record dates, or dates with no time zone or no valid time, is not in it."""
        dates: dict[str, int] = {}
        for generation in self.generations:
            for record in generation.directories:
                if (
                    record.path not in ("", ".")
                    and (ns := _date_ns(record.last_modification_date)) is not None
                ):
                    dates[self.current_path(record.path)] = ns
        return dates

    def expected_directory_paths(self) -> set[str]:
        """The folder paths the history expects on disk, each at its current name."""
        return {self.current_path(path) for path in self.recorded_directory_paths()}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _date_ns(text: str | None) -> int | None:
    """A recorded ``lastmodificationdate`` as ns since the epoch; None: none, or not an
    ISO 8601 time with its zone."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1_000


class _BadRecord(ValueError):
    """A record of a manifest that cannot be read as ASC MHL records it (its words)."""


def _parse_hash_children(element: ET.Element) -> FileRecord:
    path = ""
    size: int | None = None
    modified: str | None = None
    previous: str | None = None
    hashes: list[HashRecord] = []
    for child in element:
        tag = _local(child.tag)
        if tag == "path":
            path = _text(child)
            size_text = child.get("size")
            try:
                size = int(size_text) if size_text not in (None, "") else None
            except ValueError:
                raise _BadRecord(
                    f"the size of '{printable_name(path)}' is '{printable_name(str(size_text))}', "
                    "not a number of bytes"
                ) from None
            modified = child.get("lastmodificationdate")
        elif tag == "previousPath":
            previous = _text(child)
        elif tag != "metadata":
            hashes.append(HashRecord(tag, _text(child), child.get("action"), child.get("hashdate")))
    if not path:  # ascmhl (1.2) ends in a traceback on one; no file can be checked by it
        raise _BadRecord("a file's record (<hash>) has no path")
    return FileRecord(path, size, modified, tuple(hashes), previous)


def _parse_directory_children(element: ET.Element, path: str | None = None) -> DirectoryRecord:
    content: dict[str, str] = {}
    structure: dict[str, str] = {}
    modified: str | None = None
    previous: str | None = None
    for child in element:
        tag = _local(child.tag)
        if tag == "path":
            path = _text(child)
            modified = child.get("lastmodificationdate")
        elif tag == "previousPath":
            previous = _text(child)
        elif tag in ("content", "structure"):
            target = content if tag == "content" else structure
            for hash_element in child:
                target[_local(hash_element.tag)] = _text(hash_element)
    return DirectoryRecord(path or "", content, structure, modified, previous)


def parse_manifest(path: Path, sequence_number: int) -> Generation:
    """Parse one ASC MHL manifest. Streams (memory stays small for big manifests).

    Raises HistoryError for malformed XML, a document that is not an ASC MHL hashlist or
    a record it cannot read (a ``size`` that is no number, a file's without a path),
    OSError if it cannot be read.
    """
    fields: dict[str, str | None] = {}
    ignore: list[str] = []
    files: list[FileRecord] = []
    directories: list[DirectoryRecord] = []
    references: list[str] = []
    root_hash: DirectoryRecord | None = None
    stack: list[ET.Element] = []
    import xml.etree.ElementTree as ET  # here: a run that reads no history never loads it

    try:
        for event, element in xmlparse.iterparse(path, ("start", "end")):
            if event == "start":
                if not stack and _local(element.tag) != "hashlist":
                    raise HistoryError(f"{path} is not an ASC MHL manifest", path=path)
                stack.append(element)
                continue
            stack.pop()
            tag = _local(element.tag)
            parent = _local(stack[-1].tag) if stack else None
            if tag == "hash" and parent == "hashes":
                files.append(_parse_hash_children(element))
            elif tag == "directoryhash" and parent == "hashes":
                directories.append(_parse_directory_children(element))
            elif tag == "roothash" and parent == "processinfo":
                root_hash = _parse_directory_children(element, ".")
            elif tag == "hashlistreference" and parent == "references":
                references.extend(_text(c) for c in element if _local(c.tag) == "path")
            elif parent == "creatorinfo" and tag in ("creationdate", "hostname"):
                fields[tag] = _text(element)
            elif parent == "creatorinfo" and tag == "tool":
                fields["tool"] = _text(element)
                fields["tool_version"] = element.get("version")
            elif parent == "processinfo" and tag == "process":
                fields["process"] = _text(element)
            elif parent == "ignore" and tag == "pattern":
                ignore.append(_text(element))
            else:
                continue
            # a finished top-level record: drop it so memory does not grow with the manifest
            if tag in ("hash", "directoryhash", "hashlistreference") and stack:
                stack[-1].remove(element)
    except ET.ParseError as exc:
        raise HistoryError(f"{path} is not well-formed XML: {exc}", path=path) from exc
    except _BadRecord as exc:
        # A record no ASC MHL writer makes: damaged or forged, as a path outside the root.
        raise UntrustedHistoryError(
            f"{path} is not a valid ASC MHL manifest: {exc}", path=path
        ) from exc
    return Generation(
        sequence_number=sequence_number,
        file_name=path.name,
        creation_date=fields.get("creationdate"),
        hostname=fields.get("hostname"),
        tool_name=fields.get("tool"),
        tool_version=fields.get("tool_version"),
        process=fields.get("process"),
        root_hash=root_hash,
        ignore_patterns=tuple(ignore),
        files=tuple(files),
        directories=tuple(directories),
        references=tuple(references),
    )


def chain_name_is_a_file_name(name: str) -> bool:
    """Whether a chain file's ``<path>`` names a file in the history's own folder, as every
    ASC MHL writer writes it (ascmhl writes the manifest's base name): one name, no folder
    in it, neither ``.`` nor ``..``, not empty. ascmhl (1.2) joins any ``<path>`` to
    ``ascmhl/`` and hashes what it finds there, ``../CLIP/a.mov`` a file outside the
    history; here such an entry is a damaged chain, never opened."""
    return name not in ("", ".", "..") and "/" not in name and "\0" not in name


def _unnamed_in_chain(path: Path, entry: ChainEntry) -> str:
    """Why the chain file *path* is damaged: its *entry* names no file of its folder."""
    shown = f"'{printable_name(entry.path)}'" if entry.path else "nothing (an empty <path>)"
    return (
        f"the ASC MHL chain file {printable_name(str(path))} is damaged or forged: its "
        f"generation {entry.sequence_number} names {shown}, not a manifest in "
        f"{printable_name(str(path.parent))} (a chain's <path> is a manifest's file name "
        "alone, without '/' or '..')"
    )


def parse_chain(path: Path) -> tuple[ChainEntry, ...]:
    """Parse ``ascmhl_chain.xml``. Raises HistoryError if malformed, UntrustedHistoryError
    where an entry names no file of the chain's own folder
    (:func:`chain_name_is_a_file_name`: nothing outside ``ascmhl/`` is ever opened for a
    chain), OSError if unreadable."""
    entries: list[ChainEntry] = []
    with open(path, "rb") as handle:
        # Opened first: a history with no chain yet (a new copy root's, which the writer's
        # look for another writer reads) raises here without loading the XML parser.
        import xml.etree.ElementTree as ET

        try:
            tree = xmlparse.parse(handle)
        except ET.ParseError as exc:
            raise HistoryError(f"{path} is not well-formed XML: {exc}", path=path) from exc
    root = tree.getroot()
    if _local(root.tag) != "ascmhldirectory":
        raise HistoryError(f"{path} is not an ASC MHL chain file", path=path)
    for element in root:
        if _local(element.tag) != "hashlist":
            continue
        name = ""
        c4 = ""
        for child in element:
            if _local(child.tag) == "path":
                name = _text(child)
            elif _local(child.tag) == "c4":
                c4 = _text(child)
        try:
            number = int(element.get("sequencenr", ""))
        except ValueError:
            raise HistoryError(f"{path}: a hashlist without a sequence number", path=path) from None
        entry = ChainEntry(number, name, c4)
        if not chain_name_is_a_file_name(name):
            raise UntrustedHistoryError(_unnamed_in_chain(path, entry), path=path)
        entries.append(entry)
    return tuple(entries)


def c4_of_file(path: Path) -> str:
    """C4 ID of a file's bytes. Raises OSError."""
    hasher = C4Hasher()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            hasher.update(chunk)
    return hasher.hexdigest()


def manifest_names(folder: Path) -> Iterator[tuple[int, str]]:
    """(number, name) of each manifest of the history in *folder* as History counts them:
    generation-named regular files (not an AppleDouble ``._`` file, a stray ``notes.mhl``).
    Raises OSError."""
    for entry in os.scandir(folder):
        number = generation_number_of(entry.name)
        if number is not None and entry.is_file():
            yield number, entry.name


def latest_ignore_patterns_of(root: Path) -> tuple[str, ...]:
    """The ignore patterns of the newest generation of the history in ``root/ascmhl`` (the
    highest-numbered manifest file, :func:`generation_number_of`), by :func:`parse_manifest`'s
    rule (each ``<pattern>`` of an ``<ignore>``), read up to the end of its
    ``<processinfo>`` only: the patterns come before the file records, so a card's history
    of 50,000 files is not parsed for them. Its chain is not checked. Empty where there is
    no history or no pattern. Raises OSError if it cannot be read, HistoryError for
    malformed XML, UntrustedHistoryError where that manifest, or the ``ascmhl`` folder, is a
    symlink."""
    folder = root / ASCMHL_FOLDER
    _refuse_a_linked_folder(folder)  # never read through, as read_history never reads it
    try:
        names = sorted(manifest_names(folder))
    except (FileNotFoundError, NotADirectoryError):
        return ()
    if not names:
        return ()
    path = folder / names[-1][1]
    _refuse_a_link(path)  # never read through, as read_history never reads it
    patterns: list[str] = []
    stack: list[str] = []
    import xml.etree.ElementTree as ET  # here: a run that reads no history never loads it

    try:
        with open(path, "rb") as handle:  # closed though the parse stops early
            for event, element in xmlparse.iterparse(handle, ("start", "end")):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "hashes":  # past the <processinfo>, or a manifest without one
                        break
                    stack.append(tag)
                    continue
                stack.pop()
                if tag == "pattern" and stack and stack[-1] == "ignore":
                    patterns.append(_text(element))
                elif tag == "processinfo":
                    break
    except ET.ParseError as exc:
        raise HistoryError(f"{path} is not well-formed XML: {exc}", path=path) from exc
    return tuple(patterns)


def what_stands(path: Path) -> str:
    """What stands at *path*, which is no regular file (a chain file's name): "a folder",
    "a symlink leading nowhere", "a special file"."""
    if os.path.isdir(path):
        return "a folder"
    if os.path.islink(path):
        return "a symlink leading nowhere"
    return "a special file (not a regular file)"


def read_history(root: Path, *, check_chain: bool = True) -> History:
    """Read the history in ``root/ascmhl`` (an empty History if there is none).

    With *check_chain* (the default, as the reference tool does on every load) each manifest
    listed in the chain must exist and have the listed C4 ID.
    Raises UntrustedHistoryError where ``root/ascmhl`` is a symlink (never followed: a
    history's folder is a folder), a chain naming no file of it, a manifest that is a link;
    HistoryError for a manifest folder without a chain file (when it holds manifests),
    a modified or missing manifest, a manifest the chain lists whose name holds a line break
    where ascmhl reads no generation's name (:func:`generation_number_of`), malformed XML or
    two manifests with one sequence number; ManifestError-wrapped OSError details are kept
    in the message.
    """
    folder = root / ASCMHL_FOLDER
    try:
        _refuse_a_linked_folder(folder)
        if not folder.is_dir():
            return History(root, (), ())
        names = sorted(manifest_names(folder))
        chain_path = folder / CHAIN_FILE_NAME
        if not chain_path.is_file():
            if names and os.path.lexists(chain_path):
                # Something else at its name (a folder, a link leading nowhere): said as
                # what it is, never "missing", which sends the user looking for a file.
                raise HistoryError(
                    f"{chain_path} is {what_stands(chain_path)}, not the ASC MHL chain file",
                    path=chain_path,
                )
            if names:
                raise MissingChainError(f"missing ASC MHL chain file {chain_path}", path=chain_path)
            return History(root, (), ())
        chain = parse_chain(chain_path)
        _refuse_linked_manifests(folder, chain, names)
        if check_chain:
            for entry in chain:
                manifest = folder / entry.path
                if "\n" in entry.path and generation_number_of(entry.path) is None:
                    raise HistoryError(_misnamed(folder, entry.path), path=manifest)
                if not manifest.is_file():
                    raise MissingManifestError(
                        f"missing ASC MHL manifest {manifest}", path=manifest
                    )
                if c4_of_file(manifest) != entry.c4:
                    # Only the original bytes of both agree: nothing can rebuild them, and
                    # re-making the chain over an edit would make the edit look genuine.
                    # Which of the two was modified cannot be told (an edited <c4> in the
                    # chain looks the same as an edited manifest): never said.
                    raise HistoryError(
                        f"ASC MHL manifest {manifest} and {CHAIN_FILE_NAME} disagree: the "
                        "manifest's content is not what the chain records for it (C4 ID); "
                        "one of them was modified after it was written, the manifest or the "
                        f"chain file (which, cannot be told); restore both from a backup of "
                        f"{folder} (only their original bytes agree)",
                        path=manifest,
                        says_what_to_do=True,
                    )
        generations: list[Generation] = []
        for number, name in names:
            if generations and generations[-1].sequence_number == number:
                raise HistoryError(
                    f"two ASC MHL manifests with sequence number {number} in {folder}",
                    path=folder,
                )
            generations.append(parse_manifest(folder / name, number))
    except OSError as exc:
        raise HistoryError(
            f"cannot read ASC MHL history {folder}: {describe_os_error(exc)}",
            path=folder,
            errno_=exc.errno,
        ) from exc
    listed = {entry.path for entry in chain}
    unchained = tuple(name for _, name in names if name not in listed)
    return History(root, chain, tuple(generations), unchained)


def _refuse_linked_manifests(
    folder: Path, chain: tuple[ChainEntry, ...], names: list[tuple[int, str]]
) -> None:
    """Raise UntrustedHistoryError where a manifest of the history in *folder* (one the
    *chain* lists, or one of the generation *names*) is a symlink: ASC MHL writers write
    regular files, and a link may lead out of ``ascmhl/`` (off the copy, which is then
    checked against records it does not hold). Never followed, as ascmhl would follow it."""
    for name in dict.fromkeys([*(entry.path for entry in chain), *(n for _, n in names)]):
        _refuse_a_link(folder / name)


def _refuse_a_linked_folder(folder: Path) -> None:
    """Raise UntrustedHistoryError where *folder* (a root's ``ascmhl``) is a symlink: ASC
    MHL writers make a folder there, and a link leads out of the root (off the copy, which
    would be checked against records it does not hold, and a generation written through
    it would land outside the copy). Never followed, as ascmhl would follow it. A link to
    nothing too: something stands at the history's name that no writer made."""
    if not os.path.islink(folder):
        return
    try:
        target = f" (to {printable_name(os.readlink(folder))})"
    except OSError:
        target = ""
    raise UntrustedHistoryError(
        f"the ASC MHL folder {printable_name(str(folder))} is a symlink{target}, not a "
        "folder: the history is damaged or forged and is not read, nor written through",
        path=folder,
    )


def _refuse_a_link(manifest: Path) -> None:
    """Raise UntrustedHistoryError where *manifest* (in a history's folder) is a symlink."""
    if not os.path.islink(manifest):
        return
    try:
        target = f" (to {printable_name(os.readlink(manifest))})"
    except OSError:
        target = ""
    raise UntrustedHistoryError(
        f"the ASC MHL manifest {printable_name(str(manifest))} is a symlink{target}, not a "
        "manifest file: the history is damaged or forged and is not read",
        path=manifest,
    )


def what_to_restore(error: OffloadError) -> str:
    """What to do (``; restore ...``) about a damaged-or-forged history *error* refused
    (an UntrustedHistoryError whose words name none: a chain naming no manifest of its
    folder, a manifest or the folder a symlink, a record no writer makes,
    ``History.refuse_untrusted``): restore the ``ascmhl`` folder holding its path from a
    backup or another copy of the card. "" for any other error, or one that says what to
    do itself. The words of ``offload copy``'s line and the card's warning; ``offload
    verify`` says its own remedy (``verification``), naming the ledger's check too."""
    if not isinstance(error, UntrustedHistoryError) or error.says_what_to_do or not error.path:
        return ""
    found = Path(error.path)
    for folder in (found, *found.parents):
        if folder.name == ASCMHL_FOLDER:
            return (
                f"; restore {printable_name(str(folder))} from a backup or another copy of "
                "this card (that ascmhl-debug verify accepts)"
            )
    return ""


def _misnamed(folder: Path, name: str) -> str:
    """Why a history whose chain lists the manifest *name*, which is no generation's name to
    ascmhl (:func:`generation_number_of`: a line break in it), cannot be read as ascmhl
    reads it, and what makes it readable (the manifest's C4 ID is of its bytes: the name
    can change, the chain's ``<path>`` with it)."""
    shown = printable_name(name)
    fixed = printable_name(name.replace("\n", "_"))
    return (
        f"the ASC MHL history in {printable_name(str(folder))} lists the manifest "
        f"'{shown}', whose name does not follow ASC MHL's naming convention (NNNN_<name>.mhl "
        "without a line break; offload-ai 0.1.0 builds before 2026-12-05 kept a card "
        "folder's line break there, another tool may write one): ascmhl reads no "
        'generation from it ("does not conform to naming convention"); rename it '
        f"'{fixed}', and its <path> in {CHAIN_FILE_NAME} alike"
    )


def read_reference_hashes(root: Path) -> dict[str, dict[str, str]]:
    """Read ``root/ascmhl`` into ``path → {format → reference hash}`` (see module doc).

    Empty for a root without history. Raises HistoryError as :func:`read_history`.
    """
    return read_history(root).reference_hashes()


class CarriedHistory(NamedTuple):
    """What :func:`copy_history` did on a destination.

    ``written``: the files it wrote (the chain file last). ``not_carried``: the source's
    manifests (file names, in sequence order) the destination's history lacks and was not
    given, because that history is no earlier state of the source's (it has generations of
    its own since, or none of the source's); empty when it is carried whole.
    ``shares_generations``: such a destination's history holds some of the source's
    generations (it was carried from it once, and continued since). ``previous_chain``: the
    destination's chain file before (None: it had none), and ``made_folder``: the ``ascmhl``
    folder was made by this call, so that :func:`take_back_history` can undo it.
    """

    written: tuple[Path, ...] = ()
    not_carried: tuple[str, ...] = ()
    shares_generations: bool = False
    previous_chain: bytes | None = None
    made_folder: bool = False


def copy_history(
    source_root: Path, destination_root: Path, *, pending: Path | None = None
) -> CarriedHistory:
    """Carry the history of *source_root* into *destination_root* (before a new generation is
    written there), byte for byte, so the chain's C4 IDs stay valid.

    The source history is read and checked first (chain C4 IDs). Each manifest is written
    atomically; the chain file last, so an interrupted copy never leaves a chain that lists
    a manifest the destination does not have. Re-running after an interruption, or on a
    destination that already carries the same history (possibly with more generations after
    it), writes only what is missing; a destination carrying an older state of the same
    history and nothing else (the card got generations since) is brought up to the source's.

    A destination whose history is not such a state (generations of its own after the
    source's, or none of the source's) is the destination's own history: nothing is written
    there, and the source's manifests it lacks are returned as ``not_carried``. A copy of a
    history is the source's generations followed by the copies' own: the source's later
    generations (an ``in-place`` check of the card, say) cannot be appended after a
    ``transfer`` recorded there without reading as if they had been made on the copy.

    *pending*: where to record, durably and before the first write, what this call is about
    to write (:func:`note_pending`): a run killed before its generation follows the carried
    history, or while it is taken back, leaves that record, and the next run takes back what
    it names (:func:`pending_history`) unless a generation of its own follows it then.

    Raises HistoryError if the source history is unusable, or a destination manifest of the
    same name differs from the source's while the chains agree; HistoryError also wraps an
    OSError.
    """
    source = read_history(source_root)
    if not source.exists:
        return CarriedHistory()
    source_folder = source_root / ASCMHL_FOLDER
    destination_folder = destination_root / ASCMHL_FOLDER
    chain_path = destination_folder / CHAIN_FILE_NAME
    previous_chain: bytes | None = None
    made_folder = False
    try:
        if chain_path.is_file():
            destination = read_history(destination_root)
            carried = len(source.chain)
            if destination.chain[:carried] == source.chain:
                return CarriedHistory()  # already carried, maybe with generations after it
            source_names = {g.file_name for g in source.generations}
            if source.chain[: len(destination.chain)] != destination.chain or any(
                g.file_name not in source_names for g in destination.generations
            ):
                held = {entry.c4 for entry in destination.chain}
                return CarriedHistory(
                    not_carried=tuple(e.path for e in source.chain if e.c4 not in held),
                    shares_generations=any(e.c4 in held for e in source.chain),
                )
            previous_chain = chain_path.read_bytes()
        if pending is not None:
            names = [
                g.file_name
                for g in source.generations
                if not (destination_folder / g.file_name).exists()
            ]
            note_pending(
                pending,
                CarriedHistory(
                    (*(destination_folder / name for name in names), chain_path),
                    previous_chain=previous_chain,
                    made_folder=not destination_folder.exists(),
                ),
            )
        if previous_chain is None:
            try:
                destination_folder.mkdir()
            except FileExistsError:
                pass
            else:
                made_folder = True
                fsync_dir(destination_root)
        written: list[Path] = []
        expected = {entry.path: entry.c4 for entry in source.chain}
        for generation in source.generations:
            data = (source_folder / generation.file_name).read_bytes()
            target = destination_folder / generation.file_name
            if target.exists():
                if target.read_bytes() != data:
                    raise HistoryError(
                        f"{target} differs from {source_folder / generation.file_name}",
                        path=target,
                    )
                continue
            hasher = C4Hasher()
            hasher.update(data)
            if (
                generation.file_name in expected
                and hasher.hexdigest() != expected[generation.file_name]
            ):
                raise HistoryError(
                    f"{source_folder / generation.file_name} changed while it was copied",
                    path=source_folder / generation.file_name,
                )
            write_file_atomically(target, data, replace=False)
            written.append(target)
        write_file_atomically(
            chain_path, (source_folder / CHAIN_FILE_NAME).read_bytes(), replace=True
        )
        written.append(chain_path)
    except OSError as exc:
        raise HistoryError(
            f"cannot copy the ASC MHL history to {destination_folder}: {describe_os_error(exc)}",
            path=destination_folder,
            errno_=exc.errno,
        ) from exc
    return CarriedHistory(tuple(written), previous_chain=previous_chain, made_folder=made_folder)


def take_back_history(destination_root: Path, carried: CarriedHistory) -> None:
    """Undo what :func:`copy_history` wrote in *destination_root* (*carried*): the chain file
    as it was first (or removed, when there was none), so that it never lists a manifest
    that is gone, then each manifest it wrote, then the ``ascmhl`` folder it made (when
    empty). For a destination where no generation of the copy can follow the carried
    history. Raises HistoryError wrapping an OSError (what was already undone stays so)."""
    if not carried.written:
        return
    folder = destination_root / ASCMHL_FOLDER
    chain_path = folder / CHAIN_FILE_NAME
    try:
        if not folder.is_dir():
            return  # taken back whole by a run that stopped before it said so
        if carried.previous_chain is not None:
            write_file_atomically(chain_path, carried.previous_chain, replace=True)
        else:
            chain_path.unlink(missing_ok=True)
        for path in carried.written:
            if path != chain_path:
                path.unlink(missing_ok=True)
        fsync_dir(folder)
        if carried.made_folder:
            try:
                folder.rmdir()
            except OSError:
                pass  # something else is in it: it stays
            else:
                fsync_dir(destination_root)
    except OSError as exc:
        raise HistoryError(
            f"cannot take the carried ASC MHL history back from {folder}: {describe_os_error(exc)}",
            path=folder,
            errno_=exc.errno,
        ) from exc


def note_pending(record: Path, carried: CarriedHistory) -> None:
    """Record durably in *record* (a file of the copy root's state) what *carried* names:
    the card's history being carried, with no generation of ours after it yet. A record
    already there (a run that stopped before it was cleared) is merged into: its names are
    kept, and so are the chain and the folder as they were before that run, the state to
    go back to. Raises OSError."""
    earlier = pending_history(record)
    if earlier is not None:
        carried = CarriedHistory(
            tuple(dict.fromkeys((*earlier.written, *carried.written))),
            previous_chain=earlier.previous_chain,
            made_folder=earlier.made_folder,
        )
    data = {
        "written": [path.name for path in carried.written],
        "previous_chain": (
            None if carried.previous_chain is None else carried.previous_chain.hex()
        ),
        "made_folder": carried.made_folder,
    }
    record.parent.mkdir(exist_ok=True)
    write_file_atomically(record, json.dumps(data, allow_nan=False).encode(), replace=True)


def pending_history(record: Path) -> CarriedHistory | None:
    """What *record* (:func:`note_pending`) says a run carried into the ``ascmhl`` folder
    beside the record's folder and never followed with a generation: None when there is no
    record (or an unreadable one: nothing then to go back to). Raises OSError but when the
    record is absent."""
    try:
        data = json.loads(record.read_bytes())
        folder = record.parent.parent / ASCMHL_FOLDER
        previous = data["previous_chain"]
        return CarriedHistory(
            tuple(folder / str(name) for name in data["written"] if _plain_name(str(name))),
            previous_chain=None if previous is None else bytes.fromhex(previous),
            made_folder=bool(data["made_folder"]),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None


def _plain_name(name: str) -> bool:
    """A file name of the ``ascmhl`` folder alone (a record never names a path elsewhere)."""
    return bool(name) and "/" not in name and name not in (".", "..")


__all__ = [
    "ASCMHL_FOLDER",
    "CHAIN_FILE_NAME",
    "CarriedHistory",
    "History",
    "c4_of_file",
    "copy_history",
    "generation_number_of",
    "note_pending",
    "parse_chain",
    "parse_manifest",
    "path_escapes",
    "pending_history",
    "read_history",
    "read_reference_hashes",
    "take_back_history",
    "what_to_restore",
]
