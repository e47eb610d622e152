"""The legacy MHLs (v1) a copy holds, checked by ``offload verify`` beside its own records.

A card offloaded with Silverstack, ShotPut or YoYotta before (a shuttle drive), or that such
a tool wrote ``*.mhl`` files on, is copied with them: the copy then holds the card's own
record of its files. ``offload verify`` of the copy (against its ASC MHL history or its
ledger) checks every file those MHLs list against them too, as a DIT expects a verify to
check every checksum record inside the copy it can.

Contract:

* Which MHLs: the files named ``*.mhl`` outside any ``ascmhl/`` folder
  (``card_legacy_mhl.legacy_mhl_paths``) that the check's own reference records and found
  intact (``verified``): the card's, copied and proved. One the copy's records do not hold
  (the copy root's own ``<root>_*.mhl`` written by ``--mhl legacy``, a file added since) or
  found changed is not judged by. Read by ``card_legacy_mhl.read_legacy_mhls`` (one reader,
  the offload's), so a file two list is checked against the one finished last, a name
  spelled composed (NFC) or decomposed (NFD) otherwise than the copy's is that file, an MHL
  that cannot be read or lists paths outside the copy is a note (a WARNING), never a
  failure.
* No second read where it can be helped: the MHLs (but the copy root's own ``<root>_*.mhl``,
  which lists every file in the run's formats) are read before the check and its hasher
  (:meth:`CopyLegacyMhls.hasher`) adds, for each listed file, a format the MHL records when
  the check computes none of them (the fastest: xxh64 before md5 before sha1), keeping
  what it computed (for every file it reads where the copy root holds MHLs of its own
  name, read after the check if it verifies them: they judge by those too); only a listed
  file the check did not read (new to its records), or read in none of the MHL's formats,
  is read again, for the MHL's format alone.
* States, each listed file in one (:class:`LegacyMhlCheck`, one per MHL): ``verified``
  (a recorded digest matches), ``changed`` (its size or a digest differs: a failure of the
  file, put in the report's ``changed``, reason ``legacy-mhl-mismatch``, exit 11; its
  ``actual`` holds every digest the check computed, so a copy the ledger's record still
  proves is not revoked: the copy is the one offloaded, the card's record says otherwise),
  ``missing`` (not in the copy: when the copy's records do not list it either, it is put in
  the report's ``missing``, reason ``legacy-mhl-lists``, exit 10: a clip the card's record
  lists that the copy lacks; its words say the offload refused it, its card file unlike
  the MHL, where the copy's own job report says so, ``CopyLegacyMhls._refused``),
  ``size_only`` (the MHL records no digest we compute, ``<null>``: its size matched; the
  file's own state is the check's, never made ``unverifiable`` by this), ``not_checked``
  (the check found it changed or unreadable already, or a cancel stopped it: that state
  stands).
* On ``s3://`` alike (``destinations/s3verify.py``): the check runs on a local mirror of
  sparse files, each hashed by a GET of its object; the MHLs' objects alone, every one (the
  copy root's own too), are downloaded into it before the check (:func:`find`'s *fetch*: a
  GET each, which the check's read of that object then hashes instead of a second GET, and
  which :meth:`CopyLegacyMhls.judge` reads: a verdict comes from the bytes the check
  proved, never from a second download), a listed file's added format is
  computed in the check's own GET, and a listed object the mirror cannot hold as a file
  (*unheld*: a key no file can be named) is ``not_checked``, never ``missing``. Not against
  ``--mhl-file`` (the legacy MHL is then the reference itself).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import stat
from collections.abc import Callable, Collection, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from offload.card_legacy_mhl import ListedFile, legacy_mhl_paths, read_legacy_mhls
from offload.errors import printable_name

if TYPE_CHECKING:
    from offload.manifest.verify import VerifyReport

HashFile = Callable[[Path, Sequence[str]], dict[str, str]]
# Makes the MHLs named (paths in the copy) readable where the copy's files are not local
# (a bucket's mirror: their objects downloaded); returns why each one that could not be
# made so failed (path → words).
Fetch = Callable[[Sequence[str]], dict[str, str]]

MISMATCH = "legacy-mhl-mismatch"
LISTED_ONLY = "legacy-mhl-lists"


class LegacyMhlCheck(NamedTuple):
    """What one legacy MHL of the copy said of the files it lists (module contract):
    ``mhl`` its path in the copy; the others sorted paths."""

    mhl: str
    verified: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    size_only: tuple[str, ...] = ()
    not_checked: tuple[str, ...] = ()


class CopyLegacyMhls:
    """The legacy MHLs found in a copy before its check (:func:`find`), its hasher's
    additions, and their verdicts once it is over (:meth:`judge`)."""

    def __init__(
        self,
        root: Path,
        names: frozenset[str],
        mhls: list[str],
        *,
        fetch: Fetch | None = None,
        unheld: Collection[str] = (),
    ) -> None:
        self.root = root
        self.names = names
        self.mhls = mhls
        self.fetch = fetch
        self.unheld = unheld
        # Read before the check, for its hasher: all but the copy root's own (``--mhl
        # legacy``: every file, in the run's formats), which are judged by only where the
        # check verified them as the card's (an earlier offload-ai MHL on a shuttle drive).
        from offload.manifest.legacy import is_legacy_mhl_name

        own = _root_name(root)
        self.problems: list[str] = []
        self._failed: set[str] = set()  # those fetch could not make readable, noted once
        # Every MHL fetched once, now: the check hashes that download and judge reads it,
        # so a verdict comes from the bytes the check proved (never a second download).
        readable = self._fetched(mhls, self.problems)
        self.planned = [m for m in readable if "/" in m or not is_legacy_mhl_name(own, m)]
        # A root MHL read only if the check verifies it: what the check computes for every
        # file is kept then (``hasher``), so it judges without a second read; else not.
        self._keep_all = len(self.planned) < len(readable)
        listed, problems = read_legacy_mhls(root, self.planned, names, holder="this copy")
        self.listed = listed
        self.problems += [item.message for item in problems]
        # The listed files' absolute paths as the check names them, and what it computed.
        self._wanted = {str(root / path): path for path, f in listed.items() if f.digests}
        self.computed: dict[str, dict[str, str]] = {}

    def _fetched(self, mhls: list[str], notes: list[str]) -> list[str]:
        """*mhls*, fetched where the copy is not local (``fetch``), less those that could
        not be: each of them one note in *notes*, not judged by."""
        if self.fetch is None or not mhls:
            return mhls
        failed = self.fetch(mhls)
        self._failed.update(failed)
        notes += [
            f"legacy MHL '{printable_name(mhl)}' in this copy cannot be read ({why}): the "
            "files it lists are not checked against it"
            for mhl, why in sorted(failed.items())
        ]
        return [mhl for mhl in mhls if mhl not in failed]

    def hasher(self, inner: HashFile) -> HashFile:
        """*inner*, computing for each listed file a format its MHL records as well when
        the check asks none of them, and keeping what it computed; it answers the formats
        asked only (an appended generation records those alone)."""

        def hash_file(path: Path, formats: Sequence[str]) -> dict[str, str]:
            relative = self._wanted.get(str(path))
            if relative is None:
                digests = inner(path, formats)
                if self._keep_all:  # for a root MHL judged by after the check
                    with contextlib.suppress(ValueError):
                        self.computed[path.relative_to(self.root).as_posix()] = digests
                return digests
            recorded = self.listed[relative].digests
            wanted = list(formats)
            if not set(recorded).intersection(wanted):
                wanted.append(_fastest(recorded))
            digests = inner(path, wanted)
            self.computed[relative] = digests
            return {name: digests[name] for name in formats}

        return hash_file

    def judge(self, report: VerifyReport, inner: HashFile) -> VerifyReport:
        """*report* with the verdicts of the MHLs the check verified (module contract):
        files unlike them moved to ``changed``, files only they list added to ``missing``,
        their reasons, ``legacy_mhls`` and the notes of the MHLs that could not be read.
        *inner* reads a listed file the check did not (new to its records)."""
        from offload.manifest.verify import ChangedFile, ChangeReason, naming_reason

        notes = list(report.notes) + self.problems
        trusted = set(report.verified).intersection(self.mhls)
        if not trusted:
            return dataclasses.replace(report, notes=tuple(notes))
        listed = self.listed
        if trusted != set(self.planned):  # judge by those proved alone
            # (Fetched before the check: one that could not be was noted then.)
            readable = trusted.difference(self._failed)
            listed, problems = read_legacy_mhls(
                self.root, sorted(readable), self.names, holder="this copy"
            )
            # Those read now alone: the others' were noted before the check.
            again = {self.root / m for m in trusted.difference(self.planned)}
            notes += [p.message for p in problems if p.path in again]
        changed = {c.path: c for c in report.changed}
        stopped = set(report.unreadable) | set(report.cancelled) | set(changed)
        verified, missing, extra = set(report.verified), set(report.missing), set(report.extra)
        reasons = dict(report.reasons)
        states: dict[str, dict[str, list[str]]] = {}
        refused = self._refused(
            {p: r.mhl for p, r in listed.items() if p not in self.names and p not in stopped}
        )
        for path, record in sorted(listed.items()):
            state = states.setdefault(record.mhl, {})
            mhl = record.mhl
            if path in stopped or path in self.unheld:
                state.setdefault("not_checked", []).append(path)
                continue
            if path not in self.names:
                state.setdefault("missing", []).append(path)
                if path not in missing and path not in verified and not report.stopped:
                    missing.add(path)
                    words = partial(_listed_only, mhl, refused.get(path))
                    reasons[path] = naming_reason(LISTED_ONLY, words)
                continue
            verdict, found = self._compare(path, record, inner)
            if found is None:
                state.setdefault(verdict, []).append(path)
                continue
            size, actual, expected = found
            reason = (
                ChangeReason.SIZE
                if record.size_bytes is not None and size != record.size_bytes
                else ChangeReason.HASH
            )
            changed[path] = ChangedFile(path, reason, record.size_bytes, size, expected, actual)
            verified.discard(path)
            extra.discard(path)
            reasons[path] = naming_reason(MISMATCH, partial(_mismatch, mhl))
            state.setdefault("changed", []).append(path)
        checks = tuple(
            LegacyMhlCheck(
                mhl,
                **{key: tuple(sorted(paths)) for key, paths in state.items()},
            )
            for mhl, state in sorted(states.items())
        )
        return dataclasses.replace(
            report,
            verified=tuple(p for p in report.verified if p in verified),
            changed=tuple(sorted(changed.values(), key=lambda c: c.path)),
            missing=tuple(sorted(missing)),
            extra=tuple(p for p in report.extra if p in extra),
            reasons=reasons,
            notes=tuple(notes),
            legacy_mhls=checks,
        )

    def _refused(self, absent: dict[str, str]) -> dict[str, str]:
        """Of *absent* (listed paths the copy lacks → the MHL listing each), those an
        offload of this copy refused for not matching that MHL → its job report's path in
        the copy: the newest of the copy's own job reports (``.offload/reports/``, newest
        by the run's start its name holds) to name the file records it failed with the line
        the offload fails such a file with (``... does not match`` or ``... differs from the
        legacy MHL '<mhl>' on ...``). A report's path spelled otherwise than the MHL's
        (NFC, NFD: the card's spelling) names that file. Read only when a listed file is
        absent, one report at a time, newest first, until each absent file is decided (a
        50,000-file report is ~30 MB parsed: never all held at once); a report that cannot
        be read (not a regular file, malformed, nested too deep), or a copy without them (a
        bucket's mirror holds none), says nothing: the reason's words then name each
        possible cause."""
        if not absent:
            return {}
        from unicodedata import normalize

        from offload.state_names import STATE_FOLDER

        folder = self.root / STATE_FOLDER / "reports"
        composed: dict[str, str | None] = {}  # an absent non-ASCII path's NFC → it; None: two
        for path in absent:
            if not path.isascii():
                form = normalize("NFC", path)
                composed[form] = path if form not in composed else None
        refused: dict[str, str] = {}
        left = set(absent)
        for name in _reports_newest_first(folder):
            for item in _report_files(folder / name):
                if not isinstance(item, dict):
                    continue
                named = item.get("path")
                if not isinstance(named, str):
                    continue
                listed: str | None = named
                if named not in absent:
                    listed = None if named.isascii() else composed.get(normalize("NFC", named))
                if listed is None or listed not in left:
                    continue
                left.discard(listed)
                error = item.get("source_error") or ""
                mhl = f"the legacy MHL '{printable_name(absent[listed])}' on "
                if isinstance(error, str) and any(
                    f"{how} {mhl}" in error for how in ("does not match", "differs from")
                ):
                    refused[listed] = f"{STATE_FOLDER}/reports/{name}"
            if not left:
                break
        return refused

    def _compare(
        self, path: str, record: ListedFile, inner: HashFile
    ) -> tuple[str, tuple[int, dict[str, str], dict[str, str]] | None]:
        """What *path* is to *record*: ``("verified", None)`` (its size, and a digest it
        records), ``("size_only", None)`` (its size; the record holds no digest),
        ``("not_checked", None)`` (it cannot be looked at or read now: never called a
        match), or ``("changed", (size, actual, expected))``. Reads the file for the
        record's format when the check did not."""
        try:
            size = os.stat(self.root / path).st_size
        except OSError:
            return "not_checked", None
        if record.size_bytes is not None and size != record.size_bytes:
            return "changed", (size, dict(self.computed.get(path, {})), {})
        if not record.digests:
            return "size_only", None
        computed = self.computed.get(path)
        if computed is None or not set(record.digests).intersection(computed):
            try:
                computed = inner(self.root / path, [_fastest(record.digests)])
            except OSError:
                return "not_checked", None
        shared = [name for name in record.digests if name in computed]
        if all(computed[name] == record.digests[name] for name in shared):
            return "verified", None
        return "changed", (size, dict(computed), {n: record.digests[n] for n in shared})


def find(
    root: Path, *, fetch: Fetch | None = None, unheld: Collection[str] = ()
) -> CopyLegacyMhls | None:
    """The legacy MHLs of the copy at *root* (module contract), read; None when it holds
    none (one walk of its names, the state folders left out). *fetch*: makes the MHLs it
    reads readable first (a bucket's mirror), *unheld*: listed paths there that the tree
    cannot show (module contract). Raises OSError for a folder that cannot be listed."""
    from offload.verification import content_entries

    names = frozenset(item.relative for item in content_entries(root))
    mhls = legacy_mhl_paths(sorted(names))
    return CopyLegacyMhls(root, names, mhls, fetch=fetch, unheld=unheld) if mhls else None


def _root_name(root: Path) -> str:
    return os.path.basename(os.path.normpath(os.path.abspath(root)))


def _fastest(digests: dict[str, str]) -> str:
    from offload.hashing.registry import resolve_algorithm

    return max(digests, key=lambda name: resolve_algorithm(name).gb_per_s)


def _named_mhl(mhl: str, spell: Callable[[str], str]) -> str:
    """The legacy MHL *mhl* in words, its name spelled by *spell* (``naming_reason``)."""
    return f"the legacy MHL '{spell(mhl)}' in this copy"


def _mismatch(mhl: str, spell: Callable[[str], str]) -> str:
    words = _named_mhl(mhl, spell)
    return (
        f"unlike {words}, the card's own record copied with it: the card's file had changed "
        "since that MHL recorded it, or this copy has"
    )


def _listed_only(mhl: str, report: str | None, spell: Callable[[str], str]) -> str:
    """Why a file *mhl* lists is missing: the offload refused it, where *report* (the
    copy's job report saying so, ``CopyLegacyMhls._refused``); else every cause that may
    be, none known to be the one."""
    words = _named_mhl(mhl, spell)
    head = (
        f"{words}, the card's own record copied with it, lists it, but no record of this copy does"
    )
    if report is not None:
        return (
            f"{head}: an offload of this copy refused it: its card file did not match that "
            f"MHL ({spell(report)} says why)"
        )
    return (
        f"{head}: the card no longer had it when it was offloaded, the offload refused it "
        "(its card file did not match that MHL), or it left it out (--ignore, or the default "
        "rules' operating-system files: ._*, .DS_Store, ...)"
    )


# A job report's name: ``<card>_<start, UTC>Z[_N].json`` (``report.report_names``).
_REPORT_NAME = re.compile(r"_(\d{4}-\d\d-\d\d_\d{6})Z(?:_(\d+))?\.json$")


def _reports_newest_first(folder: Path) -> list[str]:
    """The names of the regular files ``*.json`` in *folder* (none: it cannot be listed),
    newest first by the run's start and number their names hold (then by name; a name
    without them last): no file is opened to order them. A FIFO, a device or a symlink
    named so is left out (opening a FIFO would wait for a writer forever)."""
    found: list[tuple[str, int, str]] = []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.endswith(".json"):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue
            match = _REPORT_NAME.search(entry.name)
            stamp, number = (match.group(1), int(match.group(2) or 1)) if match else ("", 0)
            found.append((stamp, number, entry.name))
    return [name for _, _, name in sorted(found, reverse=True)]


def _report_files(path: Path) -> list[object]:
    """The ``files`` list of the job report at *path*; empty when it cannot be read: not a
    regular file by the time it is opened (``O_NONBLOCK``: a FIFO put there since does not
    block; ``O_NOFOLLOW``), not JSON, nested too deep to parse (``RecursionError``), or
    without such a list."""
    import json

    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError:
        return []
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if not regular:
        os.close(fd)
        return []
    try:
        with open(fd, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return []
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, list) else []
