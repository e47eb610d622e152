"""``offload verify`` against an ASC MHL history holds each copy to the copy root's own ledger too.

Why: the history is a file any tool can rewrite. ``ascmhl create`` run over a damaged clip
(after ``rm -rf ascmhl``), or a manifest's hash edited and the chain's C4 updated, makes a
history that records the damage as the file: the check against it passes. The copy root's
ledger (``.offload/ledger.jsonl``) records what offload-ai read back when it verified the
copy, from the card's digests: our own record is never out-voted by a rebuilt history.

Contract:

* Which record: for each copy (its final name, ``ledger.final_path_of``) the newest standing
  entry of the ledger that vouches for it (``LedgerEntry.vouches``: a copy re-copied with
  ``--overwrite`` is judged by its newest entry), or the entry an earlier ``offload verify``
  revoked keeping it (``ledger.kept_by_check``: the copy it found wrong stays changed on
  every later check), in the formats this version computes (``ledger.computable_formats``).
  A file on disk is its copy under its own spelling, or under its other one (NFC, NFD: the
  ledger records the name as copied, a Mac hands it back decomposed) where that spelling
  names no file there (:meth:`OwnRecords.record_of`, ``respelling``'s rule: a twin is its
  own file). A file no entry vouches for (foreign, revoked by offload itself) is judged by
  the history alone; a ledger that cannot be read too, and the check says so
  (:func:`ledger_unread_note`).
* No second read: :meth:`OwnRecords.hasher` wraps the check's hasher; for a file the ledger
  vouches for it adds the ledger's fastest format where the check computes none of the
  ledger's, keeps what it computed, and answers the check the formats it asked alone (an
  ``--append`` generation records nothing more).
* :meth:`OwnRecords.held`, ``verify_tree``'s *held_to*: right after a file is read and found
  as its history records it, before it is counted verified or a generation is built, a file
  whose size or a digest shared with its entry differs is ``changed`` (reason
  :data:`MISMATCH`: both digests named, exit 11), and an ``--append`` generation leaves it
  out (never ``verified``; :meth:`OwnRecords.left_out_note` says so).
  :meth:`OwnRecords.judge`, on the check's report (a cancelled one's and an unwritten
  generation's too): names those so and moves any other verified file that contradicts its
  entry (a nested history's), so ``verify_revoke`` revokes the entry as for any change found
  against our own records. Files the check found changed, unreadable, missing or new keep
  that state.
* :func:`contradicted` answers, before any read, whether the history's records contradict
  the ledger's (``--append``: a generation recording such a file as verified would carry the
  damage forward; ``verification`` then checks without appending): in a format both hold,
  no generation records the digest of the ledger's newest entry (a clip re-copied with
  ``--overwrite``, its new version recorded beside its first, is not).
* :func:`history_replaced`: the one-line warning where ``ascmhl/`` lacks a generation the
  copy root's stamp of complete manifests (``manifest_stamp``) records, or holds it at
  another size: the history was replaced or rebuilt since offload-ai wrote it. A history
  extended by another tool (a generation added) keeps every stamped generation: no warning.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from offload.ledger import (
    STATE_FOLDER,
    Ledger,
    computable_formats,
    final_path_of,
    kept_by_check,
)
from offload.manifest.layout import ASCMHL_FOLDER
from offload.respelling import RecordOfSpelling
from offload.verify_reads import load_entries

if TYPE_CHECKING:
    from offload.manifest.verify import ChangedFile, VerifyReport

HashFile = Callable[[Path, Sequence[str]], dict[str, str]]

#: The reason of a file the history verified that the copy root's own ledger contradicts.
MISMATCH = "own-record-mismatch"


@dataclasses.dataclass(frozen=True)
class _Record:
    size: int
    digests: Mapping[str, str]


def _vouched(root: Path) -> tuple[dict[str, _Record], str | None]:
    """The newest vouching entry of each copy in *root*'s ledger, by its final path, with
    the digests this version computes alone (``ledger.computable_formats``: a later
    version's format is not compared); empty when there is no ledger. With it, why the
    ledger could not be read (then nothing is held to it: said, never assumed), else None."""
    from offload.errors import describe_os_error

    ledger = Ledger(root)
    try:
        if not ledger.path.is_file():
            return {}, None
        entries = load_entries(ledger)
    except OSError as exc:
        return {}, describe_os_error(exc)
    held: dict[str, _Record] = {}
    for entry in entries.standing():  # oldest first: the last one of a copy wins
        # A copy an earlier check found wrong keeps the entry it revoked as its reference
        # (``ledger.kept_by_check``, as ``verification.checked_wrong``): changed on every
        # later check, never passed by the history that out-voted it once.
        ended = entry if entry.vouches else kept_by_check(entry)
        copy = final_path_of(Path(), ended or entry).as_posix()
        if ended is not None and ended.digests:
            known = computable_formats(ended.digests)
            held[copy] = _Record(ended.size_bytes, {n: ended.digests[n] for n in known})
        else:
            held.pop(copy, None)
    return held, None


def _fastest(digests: Mapping[str, str]) -> str:
    from offload.hashing.registry import resolve_algorithm

    return max(digests, key=lambda name: resolve_algorithm(name).gb_per_s)


class OwnRecords:
    """The copy root *root*'s ledger records, held to the files a check of its history reads
    (module contract)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.records, self.unread = _vouched(root)
        self.computed: dict[str, dict[str, str]] = {}
        # Which record a file on disk is read against (``respelling``'s rule, name by name).
        self._spelling = RecordOfSpelling(
            self.records, lambda name: not os.path.lexists(self.root / name)
        )
        self._held_wrong: set[str] = set()  # moved to changed by :meth:`held` as read

    def record_of(self, path: str) -> _Record | None:
        """The ledger's record of the file at *path* (as the disk spells it, relative to the
        root): its own spelling's, else the one record of its other spelling (NFC, NFD: the
        ledger records the name as copied, a Mac hands it back decomposed) whose own
        spelling names no file there (``respelling``'s rule: a twin of another spelling on
        disk is its own file, never held to the other's entry); None otherwise."""
        recorded = self._spelling.record_of(path)
        return None if recorded is None else self.records[recorded]

    def hasher(self, inner: HashFile) -> HashFile:
        """*inner*, computing for each file the ledger vouches for one of its formats as well
        when the check asks none of them, and keeping what it computed."""
        if not self.records:
            return inner

        def hash_file(path: Path, formats: Sequence[str]) -> dict[str, str]:
            try:
                relative = path.relative_to(self.root).as_posix()
            except ValueError:
                return inner(path, formats)
            record = self.record_of(relative)
            if record is None:
                return inner(path, formats)
            wanted = list(formats)
            if record.digests and not set(record.digests).intersection(wanted):
                wanted.append(_fastest(record.digests))
            digests = inner(path, wanted)
            self.computed[relative] = digests
            return {name: digests[name] for name in formats if name in digests}

        return hash_file

    def held(self, path: str) -> ChangedFile | None:
        """For ``verify_tree``'s *held_to*, right after it read *path* and found it as the
        history records it: the change against the ledger's entry where they differ (the
        file then goes to ``changed``, and an appended generation records it ``failed``,
        never ``verified``), else None."""
        wrong = self._contradiction(path)
        if wrong is not None:
            self._held_wrong.add(path)
        return wrong

    def left_out_note(self, generation: Path) -> str | None:
        """The note of an appended *generation* where :meth:`held` found files the history
        wrongly agrees with: a generation records such a file ``failed`` only against a
        recorded hash it differs from, so it is left out (never ``verified``), and the
        reference tool still passes it against the history alone; None where there is none."""
        if not self._held_wrong:
            return None
        from offload.errors import printable_name

        first = printable_name(sorted(self._held_wrong)[0])
        more = f" and {len(self._held_wrong) - 1} more" if len(self._held_wrong) > 1 else ""
        return (
            f"'{first}'{more}, unlike this copy root's own ledger (see CHANGED), is not "
            f"recorded verified in {generation.name}: left out of it; its ASC MHL history "
            "still records the changed bytes, so ascmhl-debug verify passes it; restore the "
            f"file and {ASCMHL_FOLDER}/ from another copy of this card"
        )

    def _contradiction(self, path: str) -> ChangedFile | None:
        from offload.manifest.verify import ChangedFile, ChangeReason

        record = self.record_of(path)
        computed = self.computed.get(path)
        if record is None or computed is None:
            return None
        shared = [name for name in record.digests if name in computed]
        try:
            size = os.stat(self.root / path).st_size
        except OSError:
            size = record.size
        if size != record.size:
            reason = ChangeReason.SIZE
        elif shared and any(computed[n] != record.digests[n] for n in shared):
            reason = ChangeReason.HASH
        else:
            return None
        return ChangedFile(
            path,
            reason,
            record.size,
            size,
            {n: record.digests[n] for n in shared},
            dict(computed),
        )

    def judge(self, report: VerifyReport) -> VerifyReport:
        """*report* with each file it verified that contradicts its ledger entry moved to
        ``changed``, and those :meth:`held` moved there as they were read named so (reason
        :data:`MISMATCH`). Any report of the check: a cancelled one's, an unwritten
        generation's too."""
        from offload.manifest.verify import naming_reason

        if not self.records or not (report.verified or self._held_wrong):
            return report
        changed = {c.path: c for c in report.changed}
        reasons = dict(report.reasons)
        wrong: set[str] = set()
        for path in report.verified:
            found = self._contradiction(path)
            if found is not None:
                changed[path] = found
                wrong.add(path)
        named = wrong | (self._held_wrong & set(changed))
        if not named:
            return report
        for path in named:
            reasons[path] = naming_reason(MISMATCH, partial(_mismatch_words))
        return dataclasses.replace(
            report,
            verified=tuple(p for p in report.verified if p not in wrong),
            changed=tuple(sorted(changed.values(), key=lambda c: c.path)),
            reasons=reasons,
        )


def _mismatch_words(spell: Callable[[str], str]) -> str:
    return (
        "unlike this copy root's own ledger (what offload-ai read back when it verified the "
        "copy), though its ASC MHL history agrees: the history was rebuilt or edited since, "
        "over a changed file; restore the file from another copy of this card"
    )


def contradicted(root: Path, records: Mapping[str, _Record]) -> list[str]:
    """The paths (as the ledger spells them) that the history of *root* records unlike the
    ledger's *records* (``OwnRecords.records``): in a format both hold, no generation
    records the digest of the ledger's newest entry (a clip re-copied with ``--overwrite``
    has its new version recorded beside its first: not contradicted). A path the history
    spells otherwise (NFC, NFD: ``respelling``) is looked up by that spelling. Sorted;
    nothing read but the records (an unreadable history: none, the check itself says why)."""
    from offload.manifest import ManifestError
    from offload.respelling import respelled_pairs
    from offload.verify_reads import read_history

    if not records:
        return []
    try:
        history = read_history(root)
    except (ManifestError, OSError):
        return []
    spelled = respelled_pairs(history.recorded_file_paths(), records)
    found: list[str] = []
    for path, record in records.items():
        values = history.recorded_hash_values(path) or history.recorded_hash_values(
            spelled.get(path, path)
        )
        shared = [n for n in record.digests if n in values]
        if shared and not any(
            record.digests[n] in values[n] or record.digests[n].lower() in values[n] for n in shared
        ):
            found.append(path)
    return sorted(found)


def ledger_unread_note(root: Path, why: str) -> str:
    """The note of a check against the history of *root* whose ledger could not be read
    (*why*): no file was held to offload-ai's own records."""
    return (
        f"this copy root's own ledger ({STATE_FOLDER}/ledger.jsonl) could not be read ({why}): "
        "each file was checked against its ASC MHL history alone, which any tool can rewrite; "
        "make the ledger readable and verify again"
    )


def history_replaced(root: Path, ledger_held: bool = True) -> str | None:
    """The warning where ``ascmhl/`` of *root* lacks a generation the stamp of complete
    manifests (``.offload/manifests-complete.json``) records, or holds it at another size;
    None otherwise (no stamp, one that cannot be read or lists no generation, no
    ``ascmhl/``: ``verification._history_gone`` says that). *ledger_held*: the files the ledger
    vouches for were held to it (False: its ledger could not be read, which it says)."""
    from offload.manifest_stamp import stamp_path

    folder = root / ASCMHL_FOLDER
    try:
        listed = json.loads(stamp_path(root).read_bytes()).get("ascmhl")
        stamped = {
            entry[0]: entry[-2]
            for entry in listed
            if isinstance(entry[0], str) and entry[0].endswith(".mhl")
        }
    except (OSError, ValueError, AttributeError, TypeError, IndexError, KeyError):
        return None
    if not stamped:
        return None
    try:
        with os.scandir(folder) as listed:  # closed when a stat fails part-way too
            held = {entry.name: entry.stat(follow_symlinks=False).st_size for entry in listed}
    except OSError:
        return None
    differ = sorted(name for name, size in stamped.items() if held.get(name) != size)
    if not differ:
        return None
    more = f" and {len(differ) - 1} more" if len(differ) > 1 else ""
    return (
        f"the ASC MHL history in {ASCMHL_FOLDER}/ is not the one offload-ai wrote: generation "
        f"'{differ[0]}'{more}, as {STATE_FOLDER}/manifests-complete.json records it, is gone or "
        f"rewritten: the history was replaced or rebuilt since by another tool (ascmhl create "
        f"after {ASCMHL_FOLDER}/ was removed?); "
        + (
            "files the ledger vouches for were held to it too"
            if ledger_held
            else "the ledger could not be read, so no file was held to it"
        )
        + f"; restore {ASCMHL_FOLDER}/ from another copy of this card"
    )
