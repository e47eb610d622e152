"""Preflight checks of names: what the destination filesystem refuses or merges (see
:mod:`offload.plan.names`), paths longer than ``PATH_MAX``, symlinks it cannot hold."""

from __future__ import annotations

import os
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from offload.destinations.naming import PARTIAL_NAME_OVERHEAD
from offload.errors import coded_name, pasteable_word, printable_name
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import FilesystemInfo, NameFamily, NameRules
from offload.plan.ignore import ignore_argument
from offload.plan.names import (
    NAME_MAX_BYTES,
    PATH_MAX_BYTES,
    PATH_MAX_WORDS,
    Collision,
    NameProblem,
    find_collisions,
    is_utf8,
    name_problems,
    utf16_units,
)
from offload.plan.preflight.findings import C, Findings
from offload.plan.scan import SourceTree


class EntryKind(Enum):
    """What the copy creates at a path."""

    FILE = "file"
    FOLDER = "folder"
    SYMLINK = "symlink"


class Entry(NamedTuple):
    """One name of the source tree the destination filesystem must accept."""

    relative_path: str
    source_path: Path | str  # a file's as text (SourceFile.path_text): no Path a file
    kind: EntryKind


def entries_of(tree: SourceTree) -> list[Entry]:
    """Every entry a copy creates below the plan root, in walk order."""
    by_rel: dict[str, Entry] = {}
    for d in tree.directories:
        by_rel[d] = Entry(d, tree.root.joinpath(*d.split("/")), EntryKind.FOLDER)
    for f in tree.files:
        by_rel[f.relative_path] = Entry(f.relative_path, f.path_text, EntryKind.FILE)
    for link in tree.symlinks:
        by_rel[link.relative_path] = Entry(link.relative_path, link.path, EntryKind.SYMLINK)
    # Name by name, by bytes: the same order as the bytes of the whole path with "/" made
    # the smallest byte (no name holds a NUL), one key an entry instead of a list of them.
    # Paths all ASCII (nearly every card) sort as their bytes do: the text is the key.
    if "".join(by_rel).isascii():
        return sorted(by_rel.values(), key=lambda e: e.relative_path.replace("/", "\0"))
    return sorted(by_rel.values(), key=lambda e: os.fsencode(e.relative_path).replace(b"/", b"\0"))


def _name_max(path: Path) -> int:
    try:
        value = os.pathconf(path, "PC_NAME_MAX")
    except (OSError, ValueError):
        return NAME_MAX_BYTES
    return value if value > 0 else NAME_MAX_BYTES


def names_all_fit(tree: SourceTree, plan: DestinationPlan, rules: NameRules, name_max: int) -> bool:
    """True only when :func:`check_names` would find nothing on *plan*, told from the
    card's paths joined, without a look at each name: no name of the card (nor the copy
    root's it creates) that ``name_problems`` would name, no target longer than
    ``PATH_MAX``, no symlink the filesystem may not hold, no two names it folds together.
    Answered only for a folder card onto a filesystem that neither folds case nor
    normalisation nor has Windows' rules (ext4, xfs, btrfs, tmpfs...), whose names are all
    printable ASCII and none longer than *name_max* (nor ``max_name_utf16``): bounded by
    the longest relative path, so a card whose paths are longer than that is asked name by
    name. False says nothing: :func:`check_names` then looks at each entry. No I/O; never
    raises.

    Why: on a 50,000-file card the entry-by-entry check (a tuple, a ``name_problems`` call
    and a folder's list an entry, two passes) and the sorted entries it walks were ~0.1 s
    of the plan's CPU before the first byte (docs/performance.md, "The 50,000-file
    card's start, from the process to the first byte: nineteenth pass")."""
    if (
        tree.root_is_file
        or plan.file_name is not None
        or rules.family is NameFamily.WINDOWS
        or rules.case_insensitive
        or rules.normalisation_insensitive
        or (tree.symlinks and rules.symlinks is not True)
    ):
        return False
    paths = [
        *tree.directories,
        *[f.relative_path for f in tree.files],
        *[link.relative_path for link in tree.symlinks],
    ]
    if not paths:
        return False
    # Each name is followed by a "/" in the text: a name's last character is the one
    # before a "/" (and "/" is no name's: no name holds one).
    text = "/".join([plan.root.name, *paths] if plan.creates_root else paths) + "/"
    longest = max(map(len, paths))
    limit = name_max if rules.max_name_utf16 is None else min(name_max, rules.max_name_utf16)
    return (
        text.isascii()
        and text.isprintable()
        # ASCII: a character is a byte and a UTF-16 unit; the longest path bounds its names
        and longest <= limit
        and len(plan.root.name) <= limit
        and rules.forbidden_chars.isdisjoint(text)
        and not (rules.forbid_trailing_dot_or_space and ("./" in text or " /" in text))
        # The longest target, in bytes, with its NUL (the root's text may not be ASCII), and
        # its partial name's overhead (``check_names``: a file's partial path must fit).
        and len(os.fsencode(plan.target_text(""))) + longest + 1 + PARTIAL_NAME_OVERHEAD
        <= PATH_MAX_BYTES
    )


def check_names(
    tree: SourceTree,
    plan: DestinationPlan,
    entries: list[Entry] | Callable[[], list[Entry]],
    fs: FilesystemInfo,
    out: Findings,
    *,
    name_headroom_bytes: int,
    keep_both: bool = False,
    may_keep_beside: AbstractSet[str] | None = None,
) -> None:
    """The findings of the names of *tree* written on *plan* (``fs``'s rules) into *out*.
    *keep_both*: the run was given ``--keep-both``, which a card file's twin already there
    (a name differing only by case or normalisation) is refused despite, said so, and a
    card file whose name is taken there may be kept beside under a name too long
    (:func:`_kept_names_too_long`; *may_keep_beside*: the card files, relative paths, the
    run may write there, to copy or read back, None for every one: not a file a ledger
    trusts, whose copy stays as it is).
    *entries*: the tree's entries (``entries_of``), or what makes them, asked only when
    the names are not all found to fit at once (``names_all_fit``). One ``pathconf`` of
    the destination, and a listing of each folder already there where the filesystem
    folds names."""
    rules: NameRules = fs.rules
    where = f"{fs.name} at {plan.destination}"
    name_max = _name_max(plan.destination) - name_headroom_bytes
    if rules.max_name_utf16 is not None:
        # exFAT, FAT, NTFS, APFS/HFS+ count a name in UTF-16 units, which name_problems
        # checks; their NAME_MAX is that count, not bytes (exfat-fuse and ntfs-3g report
        # 255, and take 100 CJK characters, 300 bytes), and a unit is at most 3 bytes.
        name_max = max(name_max, 3 * rules.max_name_utf16)
    if keep_both:
        _kept_names_too_long(tree, plan, fs, out, name_max, may_keep_beside)
    if names_all_fit(tree, plan, rules, name_max):
        return
    listed = entries() if callable(entries) else entries
    # (folder relative to plan.destination, name, source, path as the card names it, kind)
    named: list[tuple[str, str, Path | str, str, EntryKind]] = []
    prefix = ""
    if plan.creates_root:
        named.append(("", plan.root.name, tree.root, plan.root.name, EntryKind.FOLDER))
        prefix = plan.root.name + "/"
    for entry in listed:
        parent, _, name = (prefix + entry.relative_path).rpartition("/")
        if plan.file_name is not None:  # a single file under a name of its own
            parent, name = "", plan.file_name
        named.append((parent, name, entry.source_path, entry.relative_path, entry.kind))

    folders: dict[str, list[str]] = defaultdict(list)
    for position, (parent, name, source, shown_path, kind) in enumerate(named):
        folders[parent].append(name)
        for problem in name_problems(name, rules, name_max_bytes=name_max):
            if problem.code is C.NAME_NOT_UTF8 and not rules.requires_unicode:
                # The filesystem takes the bytes as they are (ext4, xfs: any but '/' and
                # NUL), and the copy is verified under them; what cannot hold the name is an
                # XML manifest. The copy root's own name is in no manifest: nothing to say.
                if not (plan.creates_root and position == 0):
                    _not_utf8_warning(name, source, plan, where, out, kind)
                continue
            # The card's path names the folder too: a name alone does not say which of the
            # card's folders holds it.
            what = f"the name '{printable_name(name)}' {problem.detail}"
            if shown_path != name:
                what = f"'{printable_name(shown_path)}': {what}"
            if problem.code is C.NAME_RESERVED_WINDOWS:
                # The Linux drivers (ntfs-3g, exfat, fusefat) store such a name and read it
                # back; Windows is what will not open it.
                out.warning(
                    problem.code,
                    Path(source),
                    f"{what}: {where} stores it, but Windows will not open it there; rename "
                    "it on the source if the copy must be read on Windows",
                    plan.index,
                )
                continue
            # Leaving it out first: a rename is a write to the card, which the DIT may not
            # be allowed to make (the card's own ASC MHL records the name).
            of_card = not tree.root_is_file and not (plan.creates_root and position == 0)
            # A single file copied under a name the command line gave it: that name is the
            # one to change, not the source's (pfndispatchcopy f.bin /M/a:b.bin).
            typed = plan.file_name is not None and name != shown_path.rpartition("/")[2]
            remedy = (
                "name the copy otherwise (the name given for it on the command line)"
                if typed
                else "choose another destination, or rename it on the source (a write to the card)"
            )
            if plan.creates_root and position == 0 and not typed:
                # The copy root's own name (the card folder's): --into copies the card's
                # content into a folder the user names, the card left as it is; the command
                # once, at the name's first problem ('CARD:12 ': a colon, a trailing space).
                if plan.index not in out.into_commands:
                    source_word, folder_word = _into_another_folder(
                        plan, tree.root, rules, name_max
                    )
                    said = _into_words(source_word, [folder_word])
                    out.into_commands[plan.index] = (source_word, folder_word, said)
                    remedy = f"{said}, {remedy}"
                else:
                    remedy = f"{_INTO_ABOVE}, {remedy}"
            out.add(
                is_error=problem.code is not C.NAME_NOT_UTF8 or rules.requires_unicode,
                code=problem.code,
                path=Path(source),
                message=f"{what}, which {where} will not take as it is: "
                + (_leave_out(shown_path) if of_card else "")
                + remedy,
                index=plan.index,
            )

    for entry in listed:
        target = plan.target_text(entry.relative_path)
        # An ASCII path's bytes are its characters: no bytes made a path
        size = (len(target) if target.isascii() else len(os.fsencode(target))) + 1
        # A file is written under its partial name in its folder first, at most
        # PARTIAL_NAME_OVERHEAD bytes longer (and --keep-both's " (n)", 7 bytes at most,
        # less): that path too must fit, or the file fails as its copy starts.
        partial = size + PARTIAL_NAME_OVERHEAD if entry.kind is EntryKind.FILE else size
        if size > PATH_MAX_BYTES:
            out.error(
                C.PATH_TOO_LONG,
                Path(entry.source_path),
                f"{target} would be {size - 1:,} bytes long: {PATH_MAX_WORDS}; shorten the "
                "source's folder names, or copy into a shallower destination",
                plan.index,
            )
        elif partial > PATH_MAX_BYTES:
            out.error(
                C.PATH_TOO_LONG,
                Path(entry.source_path),
                f"{target} would be {size - 1:,} bytes long, and up to {partial - 1:,} under the "
                f"partial name it is written to first: {PATH_MAX_WORDS}; shorten the source's "
                "folder names, or copy into a shallower destination",
                plan.index,
            )
        if entry.kind is EntryKind.SYMLINK and rules.symlinks is not True:
            # The remedy never touches the card (a DIT does not edit a camera card): the
            # scan's --ignore leaves the link out, anchored at the card's root, exactly.
            from offload.manifest.links import exact_pattern

            anchored = "/" + exact_pattern(entry.relative_path).removeprefix("**/")
            out.add(
                is_error=rules.symlinks is False,
                code=C.SYMLINK_UNSUPPORTED,
                path=Path(entry.source_path),
                message=f"{where} {'cannot' if rules.symlinks is False else 'may not'} hold "
                f"the symlink {entry.relative_path!r}: leave it out with --ignore "
                f"{pasteable_word(anchored)}, or choose another destination",
                index=plan.index,
            )

    folding = rules.case_insensitive or rules.normalisation_insensitive
    if folding and plan.file_name is None and not tree.root_is_file:
        root_folder = plan.root.name if plan.creates_root else ""
        _own_names_taken(folders.get(root_folder, ()), named, plan, fs, out)
    for parent, names in folders.items():
        folder = _folder_at(plan, parent, prefix)
        # What is already in the folder counts too: a card's 'clip.mov' beside an existing
        # 'CLIP.MOV' is one name to Windows and macOS (ntfs-3g would publish a second file,
        # exFAT would take the old one for it).
        present = _present_names(folder) if folding else set()
        ours = set(names)
        others = _not_ours(folder, present, ours, fs)
        for collision in find_collisions([*names, *sorted(others)], rules):
            there = [n for n in collision.names if n in present and n not in ours]
            if len(there) == len(collision.names):
                continue  # twins already there, none of the card's (a folder ntfs-3g wrote)
            if there:
                _existing_twin(
                    collision, there, folder, plan, fs, out, keep_both, tree.root_is_file
                )
                continue
            case = collision.code is C.NAME_CASE_COLLISION
            how = "case" if case else "Unicode normalisation"
            # Names that differ by normalisation alone: the one not NFC prints its marks as
            # codes ('e\u0301.mov'); the other is written all in codes beside it too
            # ('\u00e9.mov': never '\xe9', a byte that is not UTF-8), unless that is how
            # it prints already.
            shown = ", ".join(
                f"'{printable_name(n)}'"
                if case or coded_name(n) == printable_name(n)
                else f"'{printable_name(n)}' ('{coded_name(n)}')"
                for n in collision.names
            )
            verdict = "will" if collision.is_error else "may"
            # Leaving one out first, as for a name the filesystem refuses: a rename is a
            # write to the card, which the DIT may not be allowed to make.
            below = f"{parent}/"[len(prefix) :] if parent else None
            of_card = not tree.root_is_file and plan.file_name is None
            pattern = (
                ignore_argument(below + collision.names[-1])
                if of_card and below is not None
                else ""
            )
            of_card = bool(pattern)
            if of_card and not case and _one_spelling(collision.names):
                # A pattern beyond ASCII matches both spellings, NFC and NFD (plan/ignore.py);
                # one with a '?' for each such character matches the twin of its length.
                singles = [
                    _single_out_pattern(below or "", name, names) for name in collision.names
                ]
                if all(singles):
                    leave = (
                        "leave one out with "
                        + " or ".join(
                            f"--ignore {p} (only '{coded_name(n)}')"
                            for p, n in zip(singles, collision.names, strict=True)
                        )
                        + ", choose a destination that keeps both (ext4, say), or "
                    )
                else:
                    leave = (
                        "no --ignore pattern leaves one of them out alone (one beyond ASCII "
                        "matches both spellings, one with a '?' for each such character "
                        "another name in the folder too); choose a destination that keeps "
                        "both (ext4, say), or "
                    )
            elif of_card:
                leave = f"leave one out with --ignore {pattern}, choose another destination, or "
            else:
                leave = ""
            # NTFS's Linux drivers (ntfs-3g, ntfs3) keep both names apart: the drive's
            # other readers do not. exFAT, FAT, HFS+ and APFS take the second for the first.
            if "ntfs" in (fs.on_device or fs.fstype).lower():
                outcome = f"Windows and macOS {verdict} see them as one name"
            else:
                outcome = f"they {verdict} become one entry"
            out.add(
                is_error=collision.is_error,
                code=collision.code,
                path=folder,
                message=f"{shown} differ only by {how}: in {folder} on {fs.name} "
                f"{outcome}; {leave}rename one of them on the source"
                + (" (a write to the card)" if leave else ""),
                index=plan.index,
            )


def _single_out_pattern(below: str, name: str, listing: Iterable[str]) -> str:
    """The ``--ignore`` argument (shell-quoted) that leaves *name*, in the card folder *below*
    (``CLIPS/``, ``""`` at the root) whose entries are *listing*, out and no other entry of
    that folder, or ``""`` where there is none. Each character of *name* beyond ASCII (or
    not printable) is a ``?``, its other characters escaped: a pattern beyond ASCII matches
    every Unicode spelling of a name (``plan/ignore.py``), so only a ``?`` for each such
    character tells ``caf\xe9.mov`` (``caf?.mov``) from ``cafe\u0301.mov`` (``cafe?.mov``),
    by their lengths. Checked against *listing* with the scan's own rules."""
    from offload.manifest.links import exact_pattern
    from offload.plan.ignore import IgnoreRules

    folder = "/" + exact_pattern(below).removeprefix("**/") if below else "/"
    escaped = exact_pattern(name).removeprefix("**/")
    pattern = folder + "".join(c if c.isascii() and c.isprintable() else "?" for c in escaped)
    rules = IgnoreRules.none().adding([pattern])
    matched = [n for n in listing if rules.matches(below + n, is_dir=False)]
    return pasteable_word(pattern) if matched == [name] else ""


def _one_spelling(names: tuple[str, ...]) -> bool:
    """Whether *names* are all one name in Unicode's composed spelling (NFC): the same
    letters, composed or decomposed, which one --ignore pattern matches alike."""
    return len({unicodedata.normalize("NFC", name) for name in names}) == 1


def check_root_for_ascmhl(plan: DestinationPlan, out: Findings) -> None:
    """A warning (``ascmhl-cannot-verify-root``) where *plan*'s copy root is at a path
    ascmhl (1.2) cannot verify a history at, though the history offload-ai writes there
    can be checked with ``offload verify`` (said before any is written: nothing of it is
    claimed whole): a path that is not UTF-8 (ascmhl stops with a
    UnicodeEncodeError as it opens the manifests: lxml takes no such file name), or holding
    a line break (ascmhl's ignore patterns then match nothing below it: it calls the copy's
    ``.offload/`` and ``ascmhl/`` files new, exit 21). The names of the history's files
    hold neither (``own_names.name_part``): the copy root renamed, or moved below a path
    of neither, ascmhl-debug verify checks it. No I/O."""
    from offload.own_names import ascmhl_path_problem

    text = os.path.abspath(plan.root)
    why = ascmhl_path_problem(text)
    if why is None:
        return
    out.warning(
        C.ASCMHL_CANNOT_VERIFY_ROOT,
        plan.root,
        f"the path of the copy root {printable_name(text)} {why}: the ASC MHL history "
        "offload-ai writes there can be checked with offload verify, but ascmhl (1.2) "
        "cannot verify it at this path; to check it with ascmhl, rename the copy root (or "
        "the folder above it) to a UTF-8 name without a line break first, or copy the card "
        "into such a folder (--into)",
        plan.index,
    )


def _kept_names_too_long(
    tree: SourceTree,
    plan: DestinationPlan,
    fs: FilesystemInfo,
    out: Findings,
    name_max: int,
    may_keep_beside: AbstractSet[str] | None,
) -> None:
    """``--keep-both``: a card file whose name is taken on the destination already, and
    whose name the copy's commit would keep it under is too long for the filesystem
    (*name_max* bytes, or its UTF-16 units): an error naming that name, as any name the
    filesystem refuses, before the copy. That name is the first free of `` (1)`` to
    `` (9999)`` (``naming.keep_both_text``, before the extension; the commit's own search,
    ``committer._free_name``, another card file's name passed over too); `` (1)`` too long
    refuses whichever it picks (each is at least that long). Else the file was copied, then
    failed under its own name as its kept name was made (ENAMETOOLONG, nothing to do about
    it said), and ``--dry-run`` said nothing (before, `` (1)`` alone was checked: with
    `` (1)`` to `` (9)`` taken, `` (10)``, one byte longer, failed at the commit). A name
    whose `` (9999)`` fits (or whose own length is refused already) costs length checks
    only; one whose `` (1)`` does not, one ``lstat`` of its target; one whose `` (1)`` fits
    but not a longer number, the commit's search: an ``lstat`` of its target and of each
    taken `` (n)``, until the first free one."""
    from offload.destinations.naming import keep_both_text

    rules = fs.rules
    units = rules.max_name_utf16
    limit = name_max if units is None else min(name_max, units)

    def too_long(kept: str) -> list[NameProblem]:
        found = name_problems(kept, rules, name_max_bytes=name_max)
        return [p for p in found if p.code is C.NAME_TOO_LONG]

    card_targets: set[str] | None = None  # the card files' targets, made once if asked
    for file in tree.files:
        # A character is 4 bytes (2 UTF-16 units) at most; a name is no longer than its
        # path; " (9999)", the longest kept name's addition, is 7 bytes.
        if 4 * len(file.relative_path) + 7 <= limit and plan.file_name is None:
            continue
        name = plan.file_name or file.relative_path.rpartition("/")[2]
        if 4 * len(name) + 7 <= limit:
            continue
        # Exactly: room for " (9999)" in bytes and UTF-16 units (name_problems' measures)
        # asks no more (a long ASCII name: two len() calls, no name_problems).
        if name.isascii():
            size = units_used = len(name)
        else:
            size, units_used = len(os.fsencode(name)), utf16_units(name)
        if size + 7 <= name_max and (units is None or units_used + 7 <= units):
            continue
        if may_keep_beside is not None and file.relative_path not in may_keep_beside:
            continue  # trusted from a ledger: its copy stays as it is, none kept beside
        if any(
            p.code is C.NAME_TOO_LONG for p in name_problems(name, rules, name_max_bytes=name_max)
        ):
            continue  # refused for its own length already
        kept = keep_both_text(name, 1)
        refused = too_long(kept)
        if not refused and not too_long(keep_both_text(name, 9999)):
            continue  # kept beside under a name that fits, whichever, or copied as it is
        target = plan.target_text(file.relative_path)
        if not os.path.lexists(target):
            continue  # copied under its own name
        if not refused:
            # (1) fits, a longer number may not: the name the commit will pick, as it does.
            if card_targets is None:
                card_targets = {plan.target_text(f.relative_path) for f in tree.files}
            picked = _kept_name(target, card_targets)
            if picked is None:
                continue  # no free name: the commit says so (FileExistsError)
            kept, refused = picked, too_long(picked)
            if not refused:
                continue
        out.error(
            C.NAME_TOO_LONG,
            Path(file.path_text),
            f"{printable_name(target)} is taken: where what is there is not this "
            "card file, --keep-both keeps the copy beside it as "
            f"'{printable_name(kept)}', which {refused[0].detail} on {fs.name} at "
            f"{plan.destination}: "
            + (
                f"leave it out with --ignore {ignore_argument(file.relative_path)}, "
                if not tree.root_is_file and plan.file_name is None
                else ""
            )
            + "move the file at that name away, or rename the card's file on the "
            "source (a write to the card)",
            plan.index,
        )


def _kept_name(target: str, card_targets: AbstractSet[str]) -> str | None:
    """The name ``--keep-both`` keeps a copy beside the taken *target* under, as the
    commit picks it (``committer._free_name``): the first `` (n)`` of 1 to 9999 nothing
    stands at and no card file's target (*card_targets*) is; None when none is free."""
    from offload.destinations.naming import keep_both_text

    folder, _, name = target.rpartition("/")
    for attempt in range(1, 10_000):
        kept = keep_both_text(name, attempt)
        path = f"{folder}/{kept}"
        if path not in card_targets and not os.path.lexists(path):
            return kept
    return None


def _folder_at(plan: DestinationPlan, parent: str, prefix: str) -> Path:
    """The folder *parent* names (``check_names``' key: *prefix*, the copy root's name and a
    "/" where the plan creates it, then the path below the copy root), found from the copy
    root: for a drive mounted below it (``drives``: a plan whose ``destination`` is that
    drive's mount point, anchored at the same root) ``destination`` is no folder above the
    card's paths."""
    if not parent:
        return plan.destination if plan.creates_root else plan.root
    below = parent[len(prefix) :] if plan.creates_root else parent
    return plan.root.joinpath(*below.split("/")) if below else plan.root


# The entries offload-ai makes at a copy root (offload.ledger.STATE_FOLDER: its ledger,
# reports and locks; offload.manifest.layout.ASCMHL_FOLDER: the ASC MHL history; neither
# imported, as cardlike.py does not), and what each holds.
_OWN_ENTRIES = {".offload": "its ledger and reports", "ascmhl": "the ASC MHL history"}


def _own_names_taken(
    names: list[str] | tuple[()],
    named: list[tuple[str, str, Path | str, str, EntryKind]],
    plan: DestinationPlan,
    fs: FilesystemInfo,
    out: Findings,
) -> None:
    """A card entry at its root whose name is one offload-ai makes at the copy root in
    another case (``.OFFLOAD``, ``ASCMHL``) on a filesystem that folds case: one folder
    there, so the card's files would be mixed into offload-ai's own (the card's
    ``.OFFLOAD/ledger.jsonl`` taken for the ledger, its ``ASCMHL/`` for the history), and
    neither judged as it is. Refused before the copy, whether or not that entry of ours is
    there yet (once it is, the check of what is already in the folder names it too); the
    same name in the same case is another matter (the ignore rules, the card's history)."""
    from offload.plan.names import collision_key

    ours = {collision_key(own, fs.rules): own for own in _OWN_ENTRIES}
    root = plan.root if plan.creates_root else plan.destination
    present = _present_names(root)
    for name in names:
        own = ours.get(collision_key(name, fs.rules))
        if own is None or own == name or own in present:
            continue  # not ours; ours itself; or already there: _existing_twin names it
        source = next((n[2] for n in named if n[1] == name and "/" not in n[3]), root)
        out.error(
            C.NAME_CASE_COLLISION,
            Path(source),
            f"the card's {name!r} and offload-ai's own {own!r} ({_OWN_ENTRIES[own]}) differ "
            f"only by case, which is one name on {fs.name} at {root}: the card's files "
            f"would be mixed into offload-ai's; copy the card to a drive that keeps case "
            f"apart (ext4, XFS, btrfs), or leave it out with --ignore "
            f"{ignore_argument(name)}",
            plan.index,
        )


# Filesystems that store a name decomposed (Linux hfs/hfsplus store and list NFD, Apple's
# variant): a card's NFC name written there is listed under its NFD form.
_STORES_NFD = frozenset({"hfs", "hfsplus"})


def _not_ours(folder: Path, present: set[str], ours: set[str], fs: FilesystemInfo) -> set[str]:
    """The names already in *folder* that are not the card's own entries. A name that
    differs from one of ours by Unicode normalisation alone is ours when the filesystem
    stored our name so (``_STORES_NFD``: a re-run lists the card's earlier copy under its
    NFD name), or when a lookup of our name resolves to that very entry (same device and
    inode: the filesystem folds the two, APFS): it is then the file at its final name, not
    a twin. Case differences stay twins (design: never "the file at its final name")."""
    others = present - ours
    if not others:
        return others
    by_nfd: dict[str, list[str]] = defaultdict(list)
    for name in ours:
        by_nfd[unicodedata.normalize("NFD", name)].append(name)
    stores_nfd = (fs.on_device or fs.fstype).lower() in _STORES_NFD
    theirs = set()
    for name in others:
        mine = by_nfd.get(unicodedata.normalize("NFD", name), ())
        if not mine or not (
            (stores_nfd and unicodedata.normalize("NFD", mine[0]) == name)
            or any(_same_entry(folder, name, own) for own in mine)
        ):
            theirs.add(name)
    return theirs


def _same_entry(folder: Path, one: str, other: str) -> bool:
    """Whether the names *one* and *other* in *folder* are looked up to the same entry."""
    try:
        a, b = os.lstat(folder / one), os.lstat(folder / other)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _present_names(folder: Path) -> set[str]:
    """The names already in *folder* on the destination (none when it is not there yet)."""
    try:
        with os.scandir(folder) as listing:
            return {entry.name for entry in listing}
    except OSError:  # not there yet (created by the copy), or not a folder (paths.py says)
        return set()


def _ours_otherwise(plan: DestinationPlan, single_file: bool) -> str:
    """The other way out of a twin already there: the copy's name changed where it comes
    from, a card's file (a card), the name typed for the copy, or the source file's name
    (a single file: ``pfndispatchcopy``, no card there)."""
    if not single_file:
        return "or the card's file"
    if plan.file_name is not None:
        return "or name the copy otherwise"
    return "or rename the source file"


def _existing_twin(
    collision: Collision,
    there: list[str],
    folder: Path,
    plan: DestinationPlan,
    fs: FilesystemInfo,
    out: Findings,
    keep_both: bool = False,
    single_file: bool = False,
) -> None:
    """A name of the card and an entry already on the destination that its filesystem takes
    for one name: refused up front (or a warning, for normalisation a Windows filesystem
    keeps apart), naming both paths. Never handled as "the file at its final name": the
    drivers disagree on it (ntfs-3g looks names up by case, exFAT and FAT do not), so the
    same card would be adopted on one and written beside the old file on the other. Nor by
    ``--keep-both`` (*keep_both*): it keeps a copy beside a file of the card file's exact
    name alone, and the line says so rather than leave the option seem ignored."""
    ours = [n for n in collision.names if n not in there]
    case = collision.code is C.NAME_CASE_COLLISION
    how = "case" if case else "Unicode normalisation"
    new = ", ".join(str(folder / n) + ("" if case else f" ('{coded_name(n)}')") for n in ours)
    old = ", ".join(str(folder / n) + ("" if case else f" ('{coded_name(n)}')") for n in there)
    # "as Windows or macOS reads it": ntfs-3g itself keeps the two apart, the drive's
    # other readers do not.
    verdict = "is" if collision.is_error else "may be"
    out.add(
        is_error=collision.is_error,
        code=collision.code,
        path=folder / ours[0],
        message=f"{new} would be written where {old} already is: they differ only by {how}, "
        f"which {verdict} one name on {fs.name} as Windows or macOS reads it; "
        + (
            "--keep-both keeps a copy beside a file of the card file's exact name only, not "
            "beside one differing by "
            f"{how}; "
            if keep_both
            else ""
        )
        + f"rename or move {old} ({_ours_otherwise(plan, single_file)}), or choose another "
        "destination",
        index=plan.index,
    )


def _leave_out(shown_path: str) -> str:
    """The words offering the --ignore that leaves *shown_path* out: a name holding a
    backslash is shown as ``ls`` shows it (``printable_name``), its pattern with each
    backslash doubled (a pattern's escape: one stands for the other), said so, since the
    two spellings differ."""
    words = f"leave it out with --ignore {ignore_argument(shown_path)}"
    if "\\" in shown_path:
        words += " (the pattern doubles each backslash of the name: a pattern's escape)"
    return words + ", "


def _not_utf8_warning(
    name: str,
    source: Path | str,
    plan: DestinationPlan,
    where: str,
    out: Findings,
    kind: EntryKind = EntryKind.FILE,
) -> None:
    """What a name that is not UTF-8 really costs on a filesystem that stores bytes: it is
    copied as it is and its copy checked like any other (a symlink, *kind*: copied as a
    link, which is never read back), but an XML manifest (ASC MHL, legacy MHL) cannot hold
    it, so the manifests written there leave it out (``manifests_writer``, which names it
    again after the copy) while the job report lists it with its state."""
    copied = (
        "it is copied as a link (a link is never read back: not verified)"
        if kind is EntryKind.SYMLINK
        # A preflight warning speaks before any outcome: the copy may yet be transfer-checked
        # only (--verify transfer), fail or be cancelled; the report gives its state.
        else "its copy is checked like any other"
    )
    out.warning(
        C.NAME_NOT_UTF8,
        Path(source),
        f"the name '{printable_name(name)}' is not valid UTF-8: {where} takes it as it is "
        f"and {copied}, but an XML manifest cannot hold such a name, so the ASC "
        "MHL (or legacy MHL) written there leaves it out (everything below it, for a folder) "
        "and the job report alone gives its state; rename it on the source if the manifest "
        "must list it",
        plan.index,
    )


def _into_another_folder(
    plan: DestinationPlan, source: Path, rules: NameRules, name_max: int
) -> tuple[str, str]:
    """The way to copy a card whose folder's name *rules* refuse into a folder of a name
    they take, the card untouched: ``--into`` a folder made for it, named as the card's with
    each character they refuse (or none can type) made ``_``, shortened to what the
    filesystem takes (*name_max* bytes, its count of UTF-16 units), trailing dots and spaces
    dropped: the card's path and that folder's, as command words. The paths are written as
    bash takes them back (``pasteable_word``: a control
    character in the card's path is ``$'\\x01'``, not a printed escape naming no path)."""
    name = "".join(
        "_"
        if c in rules.forbidden_chars
        or not c.isprintable()  # a control character, a byte that is not UTF-8
        or (rules.ascii_only and not c.isascii())
        else c
        for c in plan.root.name
    )
    units = rules.max_name_utf16
    while name and (
        len(os.fsencode(name)) > name_max or (units is not None and utf16_units(name) > units)
    ):
        name = name[:-1]
    if rules.forbid_trailing_dot_or_space:
        name = name.rstrip(". ")
    return pasteable_word(source), pasteable_word(plan.destination / (name or "CARD"))


def _into_words(source: str, folders: list[str]) -> str:
    named = " ".join(folders)
    return (
        f"copy its content into a folder of a name it takes with --into, the card left as "
        f"it is (mkdir {named} && offload copy --into {source} {named}, with the command's "
        "other options)"
    )


def one_into_command(out: Findings) -> None:
    """Where the card folder's name is refused on several destinations, the ``--into``
    command once, naming each destination's folder, in the first one's finding; the others
    point to it (the run takes every destination at once: one command, not one for each)."""
    if len(out.into_commands) < 2:
        return
    indices = sorted(out.into_commands)
    source = out.into_commands[indices[0]][0]
    combined = _into_words(source, [out.into_commands[i][1] for i in indices])
    for items in (out.errors, out.warnings):
        for position, item in enumerate(items):
            at = item.destination_index
            said = out.into_commands.get(at) if at is not None else None
            if said is None or said[2] not in item.message:
                continue
            now = combined if at == indices[0] else _INTO_ABOVE
            items[position] = item._replace(message=item.message.replace(said[2], now))
            if now == combined:
                combined = _INTO_ABOVE  # said once


_INTO_ABOVE = "copy its content into a folder with --into (above)"


def check_keys(
    plan: DestinationPlan,
    entries: list[Entry],
    out: Findings,
    *,
    kept_beside: AbstractSet[str] = frozenset(),
    kept_keys: Mapping[str, str] | None = None,
) -> None:
    """The whole key of every file a remote (``s3://``) plan stores: valid UTF-8 (S3 keys
    are UTF-8: a name that is not, its bytes kept by surrogateescape, has no key, and
    ``S3Backend.key`` raises for it), and prefix, card folder and relative path at most
    ``MAX_KEY_BYTES`` of it (S3's limit; ``S3Backend.name_problem`` checks each name alone,
    and a server that takes more, as moto does, would hold a key AWS refuses). An error
    naming the file: refused before the first byte, as a name a drive that stores Unicode
    (exFAT) cannot take, or a local path too long, is. Not the keys offload-ai itself
    stores there (its ledger, upload records, ASC MHL and reports): every remote plan's
    destination was opened by ``s3card.open_s3_destinations``, which refused those before
    the preflight's probe stored anything (``s3own_keys``), the one check of them.
    *kept_beside*: the card files an object stands at the key of, under ``--keep-both``:
    one whose key with `` (1)`` (``s3url.keep_both_key``) would pass ``MAX_KEY_BYTES`` is
    an error too, as a local kept name too long is (:func:`_kept_names_too_long`), not a
    file failed once the rest is copied; *kept_keys*: the key the upload would really keep
    such a copy under, where known (``s3card.kept_keys``: a longer number than `` (1)``,
    `` (10)`` a byte longer), checked instead of `` (1)``'s."""
    from offload.destinations.s3url import (
        MAX_KEY_BYTES,
        S3_ROOT,
        display_path,
        keep_both_key,
        key_bytes,
    )

    root = str(plan.root)
    # The stand-in root /s3:/bucket/prefix: the key is what follows the bucket.
    bucket_and_prefix = root[len(str(S3_ROOT)) + 1 :]
    _bucket, _, prefix = bucket_and_prefix.partition("/")
    head = key_bytes(prefix + "/") if prefix else 0
    for entry in entries:
        if entry.kind is not EntryKind.FILE:
            continue  # a folder is no object; a symlink fails there with its own message
        relative = plan.file_name if plan.file_name is not None else entry.relative_path
        if not is_utf8(relative):
            shown = printable_name(entry.relative_path)
            out.error(
                C.NAME_NOT_UTF8,
                Path(entry.source_path),
                f"'{shown}': its name is not valid UTF-8, which S3 keys must be: "
                f"{display_path(plan.root)} cannot hold it; leave it out with --ignore "
                f"{ignore_argument(entry.relative_path)}, choose another destination, or "
                "rename it on the source (a write to the card)",
                plan.index,
            )
            continue
        size = head + key_bytes(relative)
        if size <= MAX_KEY_BYTES and entry.relative_path in kept_beside:
            kept = (kept_keys or {}).get(entry.relative_path) or keep_both_key(
                f"{prefix}/{relative}" if prefix else relative, 1
            )
            if key_bytes(kept) > MAX_KEY_BYTES:
                out.error(
                    C.PATH_TOO_LONG,
                    Path(entry.source_path),
                    f"'{printable_name(entry.relative_path)}': an object is at its key under "
                    f"{display_path(plan.root)}: where it is not this card file, --keep-both "
                    f"keeps the copy beside it as '{printable_name(kept.rpartition('/')[2])}', "
                    f"which makes its key {key_bytes(kept)} bytes long (S3 keys are at most "
                    f"{MAX_KEY_BYTES} bytes): "
                    + (
                        f"leave it out with --ignore {ignore_argument(entry.relative_path)}, "
                        if plan.file_name is None  # --ignore leaves out no single file
                        else ""
                    )
                    + "copy to a shorter prefix, or move the object at that key away",
                    plan.index,
                )
        if size > MAX_KEY_BYTES:
            out.error(
                C.PATH_TOO_LONG,
                Path(entry.source_path),
                f"'{printable_name(entry.relative_path)}': its key under "
                f"{display_path(plan.root)} would be {size} bytes long (S3 keys are at most "
                f"{MAX_KEY_BYTES} bytes): shorten the source's folder or file names, or copy "
                "to a shorter prefix",
                plan.index,
            )


def check_own_names(
    plan: DestinationPlan,
    fs: FilesystemInfo,
    card_name: str,
    out: Findings,
    *,
    ascmhl: bool,
    legacy: bool,
    single_file: Path | None = None,
) -> None:
    """An error when a file offload-ai itself writes in *plan*'s local copy root
    (``offload.own_names.local_own_names``: its reports, named after *card_name*, its ASC
    MHL generation and legacy MHL, named after the copy root, its ledger, lock and marks),
    under the temporary name it is first written to (``atomic.widest_temp_name``), would
    have a name longer than the filesystem takes (``NAME_MAX`` bytes, or ``fs``' UTF-16
    units, said as such: exFAT, NTFS count a name in those) or a path longer than
    ``PATH_MAX``: the card's files would be copied, then the manifest and reports refused
    (ENAMETOOLONG). One error naming the longest such file and what to do. *ascmhl*: the
    run writes an ASC MHL history (else no generation is counted); *legacy*: it writes a
    legacy MHL (``--mhl legacy`` or ``both``; else none is counted). *single_file*: the
    file copied, when the source is one (its copy root the destination itself, its
    reports named after it: what to do is said for it)."""
    from offload.ledger import STATE_FOLDER
    from offload.manifest.atomic import widest_temp_name
    from offload.own_names import elided, local_own_names
    from offload.plan.names import utf16_units

    rules = fs.rules
    name_max = _name_max(plan.destination)
    root_text = str(plan.root)
    worst: tuple[int, str, str, bool] | None = None  # (over, relative path, why, a path?)
    names = local_own_names(plan.root.name, card_name=card_name, ascmhl=ascmhl, legacy=legacy)
    for relative in names:
        folder, _, final = relative.rpartition("/")
        written = widest_temp_name(final)
        size = len(os.fsencode(written))
        over, why = size - name_max, f"a name of {size} bytes (limit {name_max})"
        if rules.max_name_utf16 is not None:
            units = utf16_units(written)
            over = units - rules.max_name_utf16
            why = f"a name of {units} UTF-16 units (limit {rules.max_name_utf16} UTF-16 units)"
        where = f"{root_text}/{folder}/" if folder else f"{root_text}/"
        path_size = len(os.fsencode(where + written)) + 1
        of_path = path_size - PATH_MAX_BYTES > over
        if of_path:
            over = path_size - PATH_MAX_BYTES
            why = f"a path of {path_size - 1:,} bytes ({PATH_MAX_WORDS})"
        if over > 0 and (worst is None or over > worst[0]):
            worst = (over, relative, why, of_path)
    if worst is None:
        return
    over, relative, why, of_path = worst
    # what "over" counts: the filesystem's UTF-16 units for a name where it counts those
    unit = "UTF-16 unit" if not of_path and rules.max_name_utf16 is not None else "byte"
    shorter = f"{over} {unit}{'' if over == 1 else 's'}"
    if of_path:
        todo = f"copy into a destination at least {shorter} shallower"
    elif relative.startswith(f"{STATE_FOLDER}/reports/") and single_file is not None:
        # offload copy gives a single file's copy its own name: only the source's can change
        todo = (
            "the reports are named after the file copied: copy the folder holding it "
            f"instead ({elided(str(single_file.parent))}; the reports are then named after "
            "that folder), or rename it on the source (a write to the card) to a name at "
            f"least {shorter} shorter"
        )
    elif relative.startswith(f"{STATE_FOLDER}/reports/"):
        todo = (
            "the reports are named after the card's folder: copy the card from a folder "
            f"whose name is at least {shorter} shorter"
        )
    else:
        named = (
            "the ASC MHL history's files are"
            if relative.startswith("ascmhl/")
            else "the legacy MHL is"
        )
        made = "" if single_file is not None else " (made beforehand, with --into)"
        todo = (
            f"{named} named after the copy root: copy into a folder whose name is at least "
            f"{shorter} shorter{made}"
        )
    out.error(
        C.PATH_TOO_LONG,
        plan.root,
        f"{elided(f'{root_text}/{relative}')}, a file offload-ai writes for this copy, "
        f"would have {why} under the temporary name it is written to first: {fs.name} at "
        f"{plan.destination} would take the {'file' if single_file is not None else 'card'}, "
        f"then refuse its manifest and reports; {todo}",
        plan.index,
    )
