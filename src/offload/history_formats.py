"""A copy root's files that its ASC MHL history knows only in formats this run did not compute.

ASC MHL keeps a path's first record as its reference; a generation can only say a file is
``verified`` or ``failed`` by comparing a hash in a format the history holds for it. A run
hashing in other formats (``-t xxh64`` over a history made with ``-t md5``) would otherwise
record the file ``original`` a second time, and a replaced file would be called the new
reference while ``ascmhl-debug verify`` and ``offload verify`` still compare it against the first
one (exit 11, no warning). The reference tool computes the history's formats too
(``ascmhl create -h xxh64`` over an md5 history writes ``md5 verified`` and
``xxh64 verified``); so does this: each such copy is read once more on the destination, in
the formats the history knows for it plus one this run verified it in, and listed with
those digests added. The generation then records it ``verified`` or ``failed``
(``manifest.ascmhl``), and a replaced file is warned of as every ``failed`` one is.

A copy this run reads back because its ledger entry lacks a format of the run (a ``-t``
change: ``existing.check_existing``'s ADOPT, ``ledger_entry`` "digests") is hashed in those
formats in that same read (:func:`with_history_formats`: the history read once at the
start, for the destinations with such a copy), which a Ctrl-C stops as any read-back; the
manifest step takes those digests (*read_back*) and reads it no more. A copy is still read
once more at the manifest step otherwise: one trusted from the ledger (its generation lost:
nothing new, a manifest gap), one adopted without a ledger entry on a disk (its history is
not read at the start for it), and one written now (the engine's read-back hashes the run's
formats alone).

A copy that cannot be read now, or no longer holds what was verified (its digest in the
format this run or the ledger entry it was trusted by verified it in differs), is left
out of the generation and *on_left_out* is told: its bytes there are nothing a generation
can vouch for, and the copy writer fails it on that destination and revokes its ledger
entry (``ManifestResult.found_wrong``), so the run never calls it verified and the next
one does not trust it. An object store's copy (an S3 copy root's) is hashed in those
formats as it is read back likewise, its history downloaded at the start
(``s3card.history_of``), also for a copy adopted without a ledger entry (a LIST and a GET
a manifest, ~10 MB a generation at 50,000 files, against a full GET of each object; the
manifest step downloads again only what changed since, ``S3Backend.history_read``); one
read at the manifest step (through ``DestinationRecords.read_copy``) that this run
verified and whose read fails for a reason
that says nothing of it (:class:`CopyUnread`) is listed as the run verified it, with a
warning (``history-formats-unread``). A history that knows no file costs nothing, one that
does a dictionary look-up a file.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from offload.errors import OffloadError, describe_os_error, shell_word
from offload.hashing.registry import comparable_digest, resolve_algorithm
from offload.manifest.ascmhl import canonical_digests
from offload.manifest.history import History, read_history
from offload.manifest.model import ManifestFile

if TYPE_CHECKING:
    from offload.existing import ExistingCopy

Hasher = Callable[[Path, Sequence[str]], dict[str, str]]


class CopyUnread(OSError):
    """A *Hasher*'s failure that leaves the copy unread, not wrong: an object store's GET
    refused or its service failing (``S3Backend.unreadable``, whose words are its
    ``strerror``), where a disk's read error may be the medium's own."""


@dataclass(frozen=True)
class Unread:
    """A copy this run verified that could not be read again (:class:`CopyUnread`): listed
    as this run verified it (*item*, in the run's formats only), *why* in a warning."""

    item: ManifestFile
    why: str


# path → the copy listed with the known digests, why it is left out, or why it is listed
# unread: shared by the instances over one copy root (``InKnownFormats``'s *reads*)
Reads = dict[str, "ManifestFile | str | Unread"]


def with_history_formats(
    checks: Sequence[ExistingCopy],
    roots: Mapping[int, Path],
    algorithms: Sequence[str],
    read: Callable[[int], History] | None = None,
    adopting: Collection[int] = (),
) -> list[ExistingCopy]:
    """*checks* with the ``history_formats`` of each copy under one of *roots* (a copy
    root, by destination index; *read* reads the history of one, ``read_history`` of its
    root by default: an ``s3://`` one's is downloaded) whose ASC MHL history records its
    path in formats none of
    which the run hashes in (*algorithms*): the copy's read-back hashes it in them too
    (module doc). A history that cannot be read adds nothing (the manifest step names its
    problem); nor does one that knows no file. Reads the history of a destination only where
    a copy to read back there is one its ledger records without a format this run hashes
    (``ledger_entry`` "digests": a ``-t`` change), or, on one of *adopting* (the buckets:
    a history is a GET a manifest, downloaded once a run, a copy read again a full GET of
    it), any copy adopted (ADOPT:
    without a ledger entry vouching for it), once: a history of 5,000 files costs ~50 ms
    of CPU to read, which a ``--reverify`` run would otherwise pay twice (here and at the
    manifest step, which reads it again after carrying the card's); elsewhere such a copy
    is read again at the manifest step."""
    from offload.existing import CheckKind

    computed = {resolve_algorithm(name).name for name in algorithms}
    indexes = {
        c.destination_index
        for c in checks
        if c.destination_index in roots
        and (
            c.ledger_entry == "digests"
            or (c.destination_index in adopting and c.kind is CheckKind.ADOPT)
        )
    }
    known_by_root: dict[int, Callable[[str], dict[str, str] | None]] = {}
    for index in indexes:
        try:
            history = read_history(roots[index]) if read is None else read(index)
        except (OffloadError, OSError, ValueError):
            continue  # the manifest step reads it again and names its problem
        if history.knows_files():
            known_by_root[index] = history.reference_hash_formats
    if not known_by_root:
        return list(checks)
    made: list[ExistingCopy] = []
    for check in checks:
        known = known_by_root.get(check.destination_index)
        if known is not None:
            try:
                relative = check.final_path.relative_to(roots[check.destination_index])
            except ValueError:  # not under its copy root: no path its history records
                made.append(check)
                continue
            formats = known(relative.as_posix())
            if formats and computed.isdisjoint(formats):
                check = check._replace(history_formats=tuple(sorted(formats)))
        made.append(check)
    return made


class InKnownFormats(Iterable[ManifestFile]):
    """*files* (listed on the copy root *root*, whose history is *history*) with each one the
    history knows and shares no format with given the digests of its copy there in the
    history's formats (module doc). Iterable any number of times; each such copy is read
    once (its result kept: every such file, all of them after a ``-t`` change). *on_left_out*
    gets ``(relative path, message)`` for a copy left out, once; the message names it left
    out of *manifests* (the new ones this iterable is listed in: a legacy MHL too, where
    written from it). *reads*: the reads of another instance over the same copy root and
    history (the nothing-new check's, then the generation's): a copy one of them read is
    not read again, and one it left out is told to this one's *on_left_out* too.
    *read_back*: path → the digests of its copy in the history's formats that this run's
    read-back of it computed (``CheckOutcome.history_digests``, of a copy found equal):
    listed with those, not read again (module doc), unless the history now knows it in a
    format more. *read_now*: the paths whose copies an instance over that copy root read,
    shared as *reads* is (what the manifest step's note counts)."""

    def __init__(
        self,
        files: Iterable[ManifestFile],
        root: Path,
        history: History,
        hasher: Hasher,
        on_left_out: Callable[[str, str], None],
        *,
        manifests: str = "ASC MHL generation",
        reads: Reads | None = None,
        read_back: Mapping[str, Mapping[str, str]] | None = None,
        verified_since: datetime | None = None,
        on_unread: Callable[[str, str], None] | None = None,
        read_now: set[str] | None = None,
    ) -> None:
        self._files = files
        self._root = root
        self._history = history
        self._hasher = hasher
        self._on_left_out = on_left_out
        self._manifests = manifests
        # path → the copy listed with the known digests, or why it is left out: shared
        # (*reads*) by every instance over one copy root, so each copy is read once
        self._read: Reads = {} if reads is None else reads
        self._said: set[str] = set()
        self._since = verified_since
        self._on_unread = on_unread
        # the paths whose copies were read here (a full read each, shared as *reads* is):
        # what the manifest step's note counts, never those listed from *read_back*
        self.read_now: set[str] = set() if read_now is None else read_now
        self._read_back = read_back or {}
        self._knows = history.knows_files()

    def read_again(self) -> dict[str, tuple[str, ...]]:
        """The files whose copies were read again and listed with digests added: path →
        the formats added (those the history knows it in, which the ledger entry the
        copy was listed by does not hold)."""
        return {
            path: tuple(name for name in found.digests if name in added)
            for path, found in self._read.items()
            if isinstance(found, ManifestFile)
            and (added := self._history.reference_hash_formats(path) or {})
        }

    def __iter__(self) -> Iterator[ManifestFile]:
        if not self._knows:
            yield from self._files
            return
        reference = self._history.reference_hash_formats
        for item in self._files:
            known = reference(item.relative_path)
            if known is None or not known.keys().isdisjoint(item.digests):
                yield item  # unknown (original), or compared in a format both hold
                continue
            digests = canonical_digests(item.digests)
            if not digests or not known.keys().isdisjoint(digests):
                yield item  # an alias's digest (xxh64be) in a known format: compared
                continue
            path = item.relative_path
            if path not in self._read:
                hashed = self._read_back.get(path)
                self._read[path] = (
                    item._replace(digests={**digests, **{n: hashed[n] for n in known}})
                    if hashed is not None and known.keys() <= hashed.keys()
                    else self._read_copy(item, digests, sorted(known))
                )
            found = self._read[path]
            if isinstance(found, Unread):
                yield found.item
                if path not in self._said and self._on_unread is not None:
                    self._said.add(path)
                    self._on_unread(path, self._unread(path, found.why, sorted(known)))
            elif not isinstance(found, str):
                yield found
            elif path not in self._said:
                self._said.add(path)
                self._on_left_out(path, self._left_out(path, found))

    def _read_copy(
        self, item: ManifestFile, digests: dict[str, str], known: list[str]
    ) -> ManifestFile | str | Unread:
        """:meth:`_with_known`, its path noted in ``read_now``."""
        self.read_now.add(item.relative_path)
        return self._with_known(item, digests, known)

    def _with_known(
        self, item: ManifestFile, digests: dict[str, str], known: list[str]
    ) -> ManifestFile | str | Unread:
        """*item* with its copy's digests in the *known* formats; why it is left out (a few
        words) when the copy cannot be read or no longer holds what was verified; *item*
        as it is (:class:`Unread`) when a copy this run verified (its hash date not before
        *verified_since*) could not be read for a reason that says nothing of it."""
        check = next(iter(digests))  # a format the run verified the copy in
        path = self._root / item.relative_path
        try:
            read = self._hasher(path, [*known, check])
        except OSError as exc:
            if exc.errno == errno.ECANCELED:
                # An object store's read stopped by the run's cancel says nothing of the
                # copy: listed as the run verified it (an original in its formats), never
                # failed for it.
                return item
            if (
                isinstance(exc, CopyUnread)
                and self._since is not None
                and item.hash_date >= self._since
            ):
                return Unread(item, exc.strerror or describe_os_error(exc))
            return (
                f"it could not be read again to hash it in the format the ASC MHL history "
                f"there records it in ({', '.join(known)}): {describe_os_error(exc)}"
            )
        if comparable_digest(check, read[check]) != comparable_digest(check, digests[check]):
            return (
                f"read again to hash it in the format the ASC MHL history there records it "
                f"in ({', '.join(known)}), it no longer holds what was verified "
                f"({check} differs)"
            )
        return item._replace(digests={**digests, **{name: read[name] for name in known}})

    def _unread(self, relative: str, why: str, known: list[str]) -> str:
        """The warning naming the copy *relative*, verified by this run, that could not be
        read again in the *known* formats for the reason *why*."""
        return (
            f"{self._root / relative} could not be read again to hash it in the format the "
            f"ASC MHL history there records it in ({', '.join(known)}): {why}; this run "
            f"verified it, so it stays verified and the new {self._manifests} lists it in "
            "this run's formats only, as a new original beside the one the history holds "
            "(ascmhl-debug verify and offload verify still compare it against that one)"
        )

    def _left_out(self, relative: str, why: str) -> str:
        """The warning naming the copy *relative* left out for the reason *why*."""
        return (
            f"copy FAILED: {self._root / relative} is not in the new {self._manifests}: "
            f"{why}; its ledger entry is revoked (unless a warning below says it could not "
            "be), so the next offload copy does not trust it; offload verify "
            f"{shell_word(self._root)} "
            "says what it holds now"
        )
