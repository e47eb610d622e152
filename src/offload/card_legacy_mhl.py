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
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from offload.card_history import history_words
from offload.errors import printable_name
from offload.plan.codes import PreflightCode, PreflightItem

# A folder of this name holds an ASC MHL history: its ``*.mhl`` files are generations (v2),
# read by ``card_history``, never as legacy MHLs.
_ASCMHL = "ascmhl"
# A name ending ``.mhl`` in any case, in the paths joined by newlines.
_MHL_END = re.compile(r"\.mhl$", re.IGNORECASE | re.MULTILINE)


class CardLegacyMhls(NamedTuple):
    """What the legacy MHLs on the source say, checked before and while it is read.

    ``references``: ``card path → {format → hash}``, the digests each listed file there
    must have (md5, sha1, xxh64, xxh32 as recorded; only those the copy computes are
    compared).
    ``records``: ``card path → words naming the MHL that recorded it`` ("the legacy MHL
    'CLIPS/CLIPS_2024-01-01_120000.mhl' on the card"), for the mismatch line. A file two
    MHLs list is checked against the one finished last (its ``<finishdate>``, then its
    path): the newer record of a file re-offloaded since. ``missing``: listed files the
    source no longer has, sorted (each a warning). ``warnings``: the findings in the
    preflight's form (a missing file; an MHL that cannot be read or lists paths outside the
    source, one each: not a failure, its files are then not checked against it).
    """

    references: dict[str, dict[str, str]]
    records: dict[str, str]
    missing: tuple[str, ...] = ()
    warnings: tuple[PreflightItem, ...] = ()


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


def check_legacy_mhls(
    source: Path, relative_paths: Sequence[str], *, fast_copy: bool = False
) -> CardLegacyMhls:
    """Read the legacy MHLs among *relative_paths* (the scan's files) of *source* (module
    doc of :class:`CardLegacyMhls`). Never raises for an MHL that cannot be read: a warning
    names it and why."""
    found = legacy_mhl_paths(relative_paths)
    if not found:
        return CardLegacyMhls({}, {})
    from offload.manifest.errors import ManifestError
    from offload.manifest.legacy import read_legacy_mhl

    holder = history_words(fast_copy=fast_copy)[1]
    warnings: list[PreflightItem] = []
    read: list[tuple[str, str, str, list[tuple[str, dict[str, str]]]]] = []
    for mhl in found:
        path = source / mhl
        shown = printable_name(mhl)
        try:
            listed = read_legacy_mhl(path)
        except (ManifestError, OSError) as exc:
            reason = getattr(exc, "message", None) or str(exc)
            warnings.append(_unreadable(path, shown, holder, reason))
            continue
        if (listed.version or "").startswith("2"):
            why = "an ASC MHL manifest (version 2) outside an ascmhl/ history folder"
            warnings.append(_unreadable(path, shown, holder, why))
            continue
        folder = posixpath.dirname(mhl)
        entries: list[tuple[str, dict[str, str]]] = []
        outside: list[str] = []
        for entry in listed.entries:
            if not entry.path:
                continue
            joined = posixpath.normpath(posixpath.join(folder, entry.path))
            if entry.path.startswith("/") or joined == ".." or joined.startswith("../"):
                outside.append(entry.path)
                continue
            entries.append((joined, dict(entry.digests)))
        if outside:
            more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
            names = ", ".join(repr(printable_name(p)) for p in outside[:3])
            warnings.append(
                PreflightItem(
                    PreflightCode.LEGACY_MHL_OUTSIDE,
                    path,
                    f"legacy MHL '{shown}' on {holder} lists paths outside {holder} "
                    f"({names}{more}): they are not checked",
                )
            )
        words = f"the legacy MHL '{shown}' on {holder}"
        read.append((listed.finish_date or "", mhl, words, entries))
    references: dict[str, dict[str, str]] = {}
    records: dict[str, str] = {}
    for _, _, words, entries in sorted(read, key=lambda item: (item[0], item[1])):
        for joined, digests in entries:
            if digests or joined not in references:  # a newer <null> erases no digest
                references[joined] = digests
                records[joined] = words
    missing = tuple(sorted(p for p in records if not os.path.lexists(source / p)))
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
        path: digests for path, digests in references.items() if digests and path not in gone
    }
    return CardLegacyMhls(
        checked, {path: records[path] for path in checked}, missing, tuple(warnings)
    )


def _unreadable(path: Path, shown: str, holder: str, reason: str) -> PreflightItem:
    return PreflightItem(
        PreflightCode.LEGACY_MHL_UNREADABLE,
        path,
        f"legacy MHL '{shown}' on {holder} cannot be read ({reason}): the files it lists are "
        "not checked against it (it is copied as any other file)",
    )
