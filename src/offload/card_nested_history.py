"""ASC MHL histories nested in a card's folders, checked while the card is read.

A card folder made with ``ascmhl create`` over a subfolder first (``ascmhl create sub``,
then ``ascmhl create .``) holds a history of its own in ``sub/ascmhl/``: the reference tool
records ``sub``'s files there, not in the root history, and ``ascmhl-debug verify`` of the card
checks them against it. The root history alone is the card's history offload-ai carries
(:mod:`offload.card_history`); a nested one is copied as files, and a generation of ours
refuses to list a tree that holds one (``manifest.ascmhl``). Its records are checked all
the same, by the card's root history's checks (``card_history.recorded_on_card``): a file
it records that the card lost is missing from the card (a ``card-history-file-missing``
warning naming that history, exit 1), a name it spells otherwise (NFC/NFD) is the card's
file; and as a legacy MHL's are (:mod:`offload.card_legacy_mhl`): each file it records with
a hash is checked against it while read, in the format it records (hashed in flight too),
and a mismatch fails the file on every destination, its line naming that history. The root
history stays the authority for a path it records itself. A nested history that cannot be
read, or records paths outside its folder, is named in a warning and checks nothing.

A folder holds one as ascmhl reads it (``layout.holds_history_folder``, the rule of the
generation's refusal too): a folder named ``ascmhl`` with files, an empty one, or a symlink
so named leading to a folder (the scan never follows it); one holding no generation is
named for what it is in the warning, "a folder named ascmhl (which ascmhl reads as a
history)". A card without an entry named ``ascmhl`` below its root costs one search of the
scanned names joined and a test of each folder's and link's name, and reads and imports
nothing.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

from offload.card_history import (
    history_words,
    recorded_on_card,
    recorded_warnings,
)
from offload.card_legacy_mhl import CardLegacyMhls
from offload.errors import OffloadError, printable_name
from offload.manifest.layout import ASCMHL_FOLDER, holds_history_folder
from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.ignore import IgnoreRules
from offload.report.words import listed

_MARK = "/" + ASCMHL_FOLDER + "/"


def nested_history_roots(
    relative_paths: Sequence[str], source: Path | None = None, entries: Sequence[str] = ()
) -> list[str]:
    """The folders below the card's root (relative, ``/``-separated) holding a folder named
    ``ascmhl`` among *relative_paths* (the scan's files), or an entry named ``ascmhl`` of
    *entries* (the scan's folders, an empty one too, and its symlinks, never followed by
    it) that is a folder on *source* or leads to one (``layout.holds_history_folder``, the
    rule the generation's refusal applies: a dry run and a run agree), shallowest first;
    [] at once when no path names such a folder."""
    roots: set[str] = {
        entry.rpartition("/")[0]
        for entry in entries
        if entry.endswith(_MARK[:-1])
        and source is not None
        and holds_history_folder(source / entry.rpartition("/")[0])
    }
    if _MARK in "\n".join(relative_paths):
        for path in relative_paths:
            at = path.find(_MARK)
            while at > 0:
                roots.add(path[:at])
                at = path.find(_MARK, at + 1)
    return sorted(roots, key=lambda r: (r.count("/"), r))


def keep_nested_recorded(
    source: Path, relative_paths: Sequence[str], rules: IgnoreRules
) -> IgnoreRules:
    """*rules*, but that no default pattern leaves out a file a nested history among
    *relative_paths* (the scan's files, made with *rules*) records and *source* holds (as
    ``card_history.keep_recorded`` for the card's root history: ``ascmhl create`` of a
    subfolder on a Mac records its ``._*`` files, and a copy without them fails
    ``ascmhl-debug verify`` of that folder, exit 10). *rules* itself (the same object) when
    none is hidden, so the caller scans again only when the rules changed. A card without
    a nested history costs one search of its names. Never raises for a history."""
    roots = nested_history_roots(relative_paths)
    if not roots:
        return rules
    from offload.manifest.history import read_history

    hidden: list[str] = []
    for root in roots:
        try:
            history = read_history(source / root)
        except (OffloadError, OSError):
            continue  # check_nested_histories names it
        if history.untrusted_reason(root) is not None:
            continue
        inside = root + "/"
        hidden.extend(
            inside + path
            for path in sorted(history.expected_file_paths())
            if rules.excludes(inside + path, is_dir=False) and os.path.lexists(source / root / path)
        )
    return rules.keeping(hidden) if hidden else rules


def check_nested_histories(
    source: Path,
    relative_paths: Sequence[str],
    *,
    entries: Sequence[str] = (),
    fast_copy: bool = False,
    writes_ascmhl: bool = False,
    writes_legacy: bool = False,
    ignore: IgnoreRules | None = None,
) -> CardLegacyMhls:
    """Read the nested histories among *relative_paths* of *source* (module doc):
    ``references`` and ``records`` (the words naming the history of each path, for the
    mismatch line) keyed by card path, a deeper history's record over a shallower one's;
    ``warnings`` for one that checks nothing, and, when the run *writes_ascmhl*, one
    ``card-nested-history`` saying before the copy what its manifest step will refuse
    (no ASC MHL generation on any destination: the run's exit 1, ``--dry-run``'s too; the
    legacy MHL a run that *writes_legacy*, ``--mhl both``, is written all the same);
    and the card's root history's warnings (``card_history.recorded_warnings``: upper-case
    hex, names respelled, OS files *ignore*, the run's rules, keeps). Never raises for a
    history that cannot be read."""
    roots = nested_history_roots(relative_paths, source, entries)
    if not roots:
        return CardLegacyMhls({}, {})
    from offload.manifest.history import read_history

    holder = history_words(fast_copy=fast_copy)[1]
    references: dict[str, dict[str, str]] = {}
    records: dict[str, str] = {}
    warnings: list[PreflightItem] = []
    missing: list[str] = []
    histories = 0  # the roots whose ascmhl folder reads as a history with a generation
    for root in roots:
        folder = source / root / ASCMHL_FOLDER
        named = f"the ASC MHL history '{printable_name(root + '/' + ASCMHL_FOLDER)}' on {holder}"
        try:
            history = read_history(source / root)
        except OffloadError as exc:
            warnings.append(_unchecked(folder, named, f"it cannot be read ({exc.message})"))
            continue
        histories += history.exists
        reason = history.untrusted_reason(f"{root}/")
        if reason is not None:
            warnings.append(_unchecked(folder, named, reason))
            continue
        # The checks of the card's own history (card_history.recorded_on_card): each
        # recorded file under the card's spelling of its name (NFC/NFD), one it lost named.
        inside = root + "/"
        spelled, lost, found = recorded_on_card(
            history,
            source / root,
            functools.partial(_below, relative_paths, inside),
        )
        # ... and the root history's warnings of what ascmhl-debug verify judges otherwise (one
        # rule: card_history.recorded_warnings), its paths named from the card's root.
        warnings.extend(recorded_warnings(history, spelled, named, holder, folder, ignore, inside))
        for path, digests in found.items():
            references[inside + path] = digests
            records[inside + path] = named
        missing.extend(inside + path for path in lost)
        warnings.extend(
            PreflightItem(
                PreflightCode.CARD_HISTORY_FILE_MISSING,
                source / root / path,
                f"'{printable_name(inside + path)}' is in {named} but not on {holder} "
                f"({'deleted or lost since' if fast_copy else 'deleted in camera, or lost'}): "
                "it cannot be offloaded",
            )
            for path in lost
        )
    if writes_ascmhl:
        warnings.insert(
            0, _refused_warning(source, roots, holder, histories == len(roots), writes_legacy)
        )
    return CardLegacyMhls(
        references, records, warnings=tuple(warnings), history_missing=tuple(sorted(missing))
    )


def _refused_warning(
    source: Path, roots: Sequence[str], holder: str, histories: bool, legacy: bool
) -> PreflightItem:
    """The ``card-nested-history`` warning: the manifest step will refuse the card's
    nested *roots*; *histories*: each holds a history with a generation (else some folder
    named ``ascmhl`` holds none, or could not be read: named as what ascmhl takes it for);
    *legacy*: the run writes a legacy MHL too (``--mhl both``), which is written all the
    same: only the ASC MHL manifest is missing then."""
    shown = listed([repr(printable_name(f"{r}/{ASCMHL_FOLDER}")) for r in roots], 3)
    one = len(roots) == 1
    if histories:
        what = "a nested ASC MHL history" if one else "nested ASC MHL histories"
    else:
        what = (
            f"a folder named {ASCMHL_FOLDER} (which ascmhl reads as a history)"
            if one
            else f"folders named {ASCMHL_FOLDER} (which ascmhl reads as histories)"
        )
    return PreflightItem(
        PreflightCode.CARD_NESTED_HISTORY,
        source / roots[0] / ASCMHL_FOLDER,
        f"{holder} holds {what} ({shown}): the files "
        f"{'it records are' if one else 'they record are'} checked against "
        f"{'it' if one else 'them'} as they are read, but no ASC MHL manifest can "
        "be written on any destination (nested histories are not supported"
        + ("; the legacy MHL is written on each" if legacy else "")
        + "), so the offload will end with exit 1: offload each of those folders as a "
        "card of its own (its history is then extended on the copy), or pass --mhl legacy "
        "or --mhl none",
    )


def _below(relative_paths: Sequence[str], inside: str) -> list[str]:
    """The paths of *relative_paths* below the folder *inside* (``sub/``), from it."""
    return [p[len(inside) :] for p in relative_paths if p.startswith(inside)]


def _unchecked(folder: Path, named: str, why: str) -> PreflightItem:
    return PreflightItem(
        PreflightCode.CARD_HISTORY_UNTRUSTED,
        folder,
        f"{named} is not checked: {why}; the files it records are copied and verified "
        "against the card as any other file, not against it",
    )


def with_nested_histories(
    legacy: CardLegacyMhls | None, nested: CardLegacyMhls
) -> CardLegacyMhls | None:
    """*legacy* (the card's legacy MHLs) with *nested*'s records added, a nested ASC MHL
    history's record of a path over a legacy MHL's (its size too: the history's digests
    decide); *legacy* itself when *nested* found no history."""
    if not nested.records and not nested.warnings and not nested.history_missing:
        return legacy
    if legacy is None:
        return nested
    return legacy._replace(
        references={**legacy.references, **nested.references},
        records={**legacy.records, **nested.records},
        warnings=(*legacy.warnings, *nested.warnings),
        history_missing=nested.history_missing,
        sizes={p: n for p, n in legacy.sizes.items() if p not in nested.records},
    )
