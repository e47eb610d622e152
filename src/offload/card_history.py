"""The card's own ASC MHL history, checked before anything is copied (``plan_offload``).

A card without an ``ascmhl/`` folder costs one ``stat`` here: the history's reader (XML,
the manifest model) is imported only for a card that has one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from offload.errors import OffloadError, UsageError, printable_name
from offload.manifest.layout import ASCMHL_FOLDER
from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.ignore import DEFAULT_IGNORE_PATTERNS, IgnoreRules
from offload.report.words import listed
from offload.respelling import spelled_as_listed

if TYPE_CHECKING:
    from offload.manifest.history import History


def reference_formats(source_references: dict[str, dict[str, str]]) -> Sequence[str]:
    """The formats a source card's history uses (so they are hashed in flight too)."""
    formats: dict[str, None] = {}
    for digests in source_references.values():
        formats.update(dict.fromkeys(digests))
    return list(formats)


class CardHistory(NamedTuple):
    """What the card's own ASC MHL history says, checked before anything is copied.

    ``references``: ``path → {format → hash}`` every file is checked against while read
    (empty when there is no history or it is not trusted). ``trusted``: the history is
    carried to the destinations and continued there (a destination whose history has
    generations of its own keeps it: :func:`offload.manifest.history.copy_history`).
    ``missing_from_card``: paths the history expects that the card no longer has (a clip
    deleted in camera, or lost), sorted; each is also a warning. A file the history records
    as renamed (``<previousPath>``) is expected at its new name only. ``untrusted_reason``:
    why a history that is there is not trusted (broken or forged: paths outside the card,
    a file recorded twice with different hashes, a damaged chain, a linked manifest...).
    ``warnings``: the findings, in the preflight's form (emitted with the preflight
    warnings and kept in the report).
    """

    references: dict[str, dict[str, str]]
    trusted: bool
    missing_from_card: tuple[str, ...] = ()
    untrusted_reason: str | None = None
    warnings: tuple[PreflightItem, ...] = ()


def history_words(*, fast_copy: bool, source_copy: bool = False) -> tuple[str, str]:
    """Whose ASC MHL history an offload reads and carries, and what holds it, in words:
    ("the card's", "the card"), or for a fast copy standing in for an absent card (a
    cascade re-run without it) ("the fast copy's", "the fast copy"), or for a source that
    is a copy root of ours (*source_copy*: the DIT's drive given as the source, as
    ``report.source_words`` says it) ("the source's", "the source"): named as what was
    really read, never the card's when the card was not read."""
    if fast_copy:
        return ("the fast copy's", "the fast copy")
    return ("the source's", "the source") if source_copy else ("the card's", "the card")


def history_record(*, fast_copy: bool, source_copy: bool = False) -> str:
    """The history as the record a file is found unlike, in a mismatch's line ("source X
    differs from the card's own ASC MHL (...)"): the card's, the fast copy's standing in
    for an absent card, or the source's, a copy root of ours (:func:`history_words`), never
    the card's when the card was not read."""
    return f"{history_words(fast_copy=fast_copy, source_copy=source_copy)[0]} own ASC MHL"


def keep_recorded(source: Path, rules: IgnoreRules) -> IgnoreRules:
    """*rules*, but that no default pattern leaves out a file the card's own ASC MHL history
    records (``IgnoreRules.keeping``): the history is the authority on what the card held
    (``ascmhl create`` on a Mac records its ``._*`` files and ``.DS_Store`` folders), and a
    copy without them fails ``ascmhl-debug verify -dh`` (the folder hashes it records cover
    them). Read before the scan, so the history is read twice (once more by
    :func:`check_card_history`, which reports what this kept); a card without ``ascmhl/``
    costs one ``stat``. A history that cannot be read or is not trusted changes nothing
    (:func:`check_card_history` says why). Never raises for I/O."""
    if not os.path.isdir(source / ASCMHL_FOLDER):
        return rules
    from offload.manifest.history import read_history

    try:
        history = read_history(source)
    except (OffloadError, OSError):
        return rules
    if not history.exists or history.untrusted_reason("") is not None:
        return rules
    return rules.keeping(sorted(history.expected_file_paths()))


def not_carried_warning(
    source: Path,
    history: CardHistory,
    mhl: str,
    *,
    fast_copy: bool = False,
    source_copy: bool = False,
) -> PreflightItem | None:
    """The warning, before the copy, that the card's own ASC MHL history (trusted: one
    not trusted has its own warning, which says it is not carried) goes to no destination
    because the run writes no ASC MHL there (*mhl*: the ``--mhl`` value asked, ``legacy``
    or ``none``; the history is carried only into an ASC MHL history of ours, which hides
    our own files from ``ascmhl-debug verify``, and its folder is no card content to copy): never
    dropped silently. None when there is no such history. Coded
    ``card-history-not-carried``, as a destination's history that keeps its own is.
    *fast_copy*, *source_copy*: whose history it is (:func:`history_words`)."""
    if not history.trusted:
        return None
    whose, _holder = history_words(fast_copy=fast_copy, source_copy=source_copy)
    folder = source / ASCMHL_FOLDER
    writes = _writes(mhl)
    message = (
        f"{whose} ASC MHL history ({printable_name(str(folder))}) is not carried to the "
        f"destinations: --mhl {mhl} writes {writes} there, so no destination will hold it; "
        "use --mhl both to carry it and continue it on each destination"
    )
    return PreflightItem(PreflightCode.CARD_HISTORY_NOT_CARRIED, folder, message)


def _writes(mhl: str) -> str:
    """What a run of ``--mhl`` *mhl* (``legacy``, ``none``) writes on each destination."""
    return "only a legacy MHL" if mhl == "legacy" else "no manifest"


def _no_history(mhl: str) -> str:
    """The words saying that a run of ``--mhl`` *mhl* (one writing no ASC MHL) starts no
    history on the destinations, where one writing it starts a fresh one."""
    return f"no destination gets an ASC MHL history (--mhl {mhl} writes {_writes(mhl)})"


def _unreadable(
    source: Path,
    folder: Path,
    why: str,
    ignore: IgnoreRules | None,
    whose: str,
    holder: str,
    without_ascmhl: str | None,
    roots: Sequence[Path] = (),
    remote: int = 0,
) -> CardHistory:
    """A history that cannot be read (a manifest edited since, its chain file gone): raise
    UsageError (nothing copied) naming the way on that writes nothing to the card, unless
    the run's own ignore rules leave the folder out (``--ignore /ascmhl``): then it is not
    trusted, as one recording paths outside the card is (a warning, the card's files not
    checked against it, the folder not copied, each destination a fresh history, or none
    under *without_ascmhl*: ``check_card_history``).

    Why not go on by default: a history that cannot be continued is a record someone must
    look at; nor carry its folder as plain files: its place on each copy is the fresh
    history's, and a damaged record copied is still damaged (it stays on the card)."""
    damaged = f"{whose} ASC MHL history in {folder} cannot be read: {why}"
    # What the destinations' ASC MHL does in its place: none under --mhl none/legacy, else
    # a fresh history, or the one an earlier offload of this card carried there continued.
    fresh = _fresh_or_continued(roots, remote)
    if ignore is None or not _left_out_by_the_user(ignore):
        instead = fresh[0] if without_ascmhl is None else _no_history(without_ascmhl)
        raise UsageError(
            f"{damaged}; nothing was copied. To offload {holder} without it (nothing is "
            f"written to {holder}): --ignore /{ASCMHL_FOLDER} copies its files, unchecked "
            f"against that history, leaves the damaged folder out, and {instead}",
            path=source,
        )
    reason = f"it cannot be read ({why})"
    instead = _instead(fresh, without_ascmhl)
    message = (
        f"{damaged}. It is left out as --ignore /{ASCMHL_FOLDER} asks: {holder}'s files are "
        f"not checked against it, it is not copied to the destinations (it stays on {holder} "
        f"as it is), and {instead}"
    )
    item = PreflightItem(PreflightCode.CARD_HISTORY_UNTRUSTED, folder, message)
    return CardHistory({}, trusted=False, untrusted_reason=reason, warnings=(item,))


def _not_trusted(
    folder: Path,
    said: str,
    reason: str,
    whose: str,
    holder: str,
    roots: Sequence[Path],
    remote: int,
    without_ascmhl: str | None,
) -> CardHistory:
    """A card history that is broken or forged (*said*: its words, ending "It is not
    trusted" and what to restore; *reason*: ``CardHistory.untrusted_reason``): one rule for
    every kind, as a warning, the copy going on: the card's files are not checked against
    it, it is not carried, each destination's ASC MHL as ``_instead`` says. Never a
    refusal that sends the user to write on the card: its history is a record someone
    restores, the card's files are copied whole meanwhile."""
    instead = _instead(_fresh_or_continued(roots, remote), without_ascmhl)
    message = (
        f"{said}: {holder}'s files are not checked against it, it is not carried to the "
        f"destinations, and {instead}"
    )
    item = PreflightItem(PreflightCode.CARD_HISTORY_UNTRUSTED, folder, message)
    return CardHistory({}, trusted=False, untrusted_reason=reason, warnings=(item,))


def _instead(fresh: tuple[str, str], without_ascmhl: str | None) -> str:
    """What a warning says the destinations' ASC MHL does in place of a card history not
    trusted: *fresh*'s (``_fresh_or_continued``) where one is written, none under
    *without_ascmhl* (``--mhl legacy``, ``none``)."""
    if without_ascmhl is not None:
        return _no_history(without_ascmhl)
    return f"the ASC MHL written on each destination, if any, {fresh[1]}"


def _fresh_or_continued(roots: Sequence[Path], remote: int = 0) -> tuple[str, str]:
    """What the ASC MHL written on the destinations does with the card's history left out,
    as the refusal and the warning say it: a fresh history where a destination's copy root
    (*roots*, the local ones) holds no ``ascmhl/`` yet, else the next generation of the one
    an earlier offload of this card carried there (``continues the history already
    there``), each such destination named; *remote*: how many destinations are buckets
    (not in *roots*), each of which starts its own."""
    present = [root for root in roots if (root / ASCMHL_FOLDER).is_dir()]
    # One that cannot be continued (damaged or forged too, an earlier offload having
    # carried such a card history there): its manifest step writes no generation.
    broken = [root for root in present if not _continuable(root)]
    held = [root for root in present if root not in broken]
    shown = ", ".join(printable_name(str(root)) for root in broken)
    why = "the history there cannot be continued: its line names what to restore"
    none = f"; none on {shown} ({why})" if broken else ""
    if not held:
        if broken and len(broken) == len(roots) and not remote:
            return (
                f"writes no ASC MHL generation on {shown} ({why})",
                f"is refused on {shown} ({why})",
            )
        return (
            f"starts a fresh history on each destination (where an ASC MHL is written){none}",
            f"starts a fresh history there{none}",
        )
    names = ", ".join(printable_name(str(root)) for root in held)
    earlier = "an earlier offload of this card carried it there"
    if len(held) == len(roots) and not remote:
        return (
            f"continues the history already on each destination ({names}: {earlier})",
            f"continues the history already there ({names}: {earlier})",
        )
    return (
        f"continues the history already on {names} ({earlier}) and starts a fresh history "
        f"on each other destination (where an ASC MHL is written){none}",
        f"continues the history already on {names} ({earlier}) and starts a fresh history "
        f"on each other one{none}",
    )


def _continuable(root: Path) -> bool:
    """Whether the ASC MHL history in copy root *root* can take a generation: it reads,
    and is not broken or forged (``History.untrusted_reason``), as ``write_generation``
    judges it."""
    from offload.manifest.history import read_history

    try:
        return read_history(root).untrusted_reason("") is None
    except (OffloadError, OSError):
        return False


def _left_out_by_the_user(ignore: IgnoreRules) -> bool:
    """Whether *ignore*'s own patterns (``--ignore``), not the rule that always leaves the
    root ``ascmhl/`` out of the scan for the manifests to carry, leave that folder out."""
    own = IgnoreRules(ignore.patterns, exclude_root_ascmhl=False)
    return own.excludes(ASCMHL_FOLDER, is_dir=True)


def check_card_history(
    source: Path,
    *,
    fast_copy: bool = False,
    source_copy: bool = False,
    ignore: IgnoreRules | None = None,
    names: Callable[[], Collection[str]] | None = None,
    without_ascmhl: str | None = None,
    roots: Sequence[Path] = (),
    remote: int = 0,
) -> CardHistory:
    """Read and check the card's own ASC MHL history (module doc of :class:`CardHistory`).

    *roots*: the local destinations' copy roots, *remote*: how many are buckets, for the
    words of a history not trusted (``_fresh_or_continued``: fresh there, or the one
    already there continued).

    A history that is broken or forged is not trusted, whatever the kind (paths outside
    the card, a file recorded twice with different hashes: ``History.untrusted_reason``;
    a chain naming no manifest of its folder, a manifest or the folder a symlink, a record
    no writer makes: ``UntrustedHistoryError`` as read): a warning says so and what to
    restore, the offload goes on without it and each destination starts a fresh history (the warning
    says none is started under *without_ascmhl*: the ``--mhl`` word of a run that writes
    no ASC MHL, ``legacy`` or ``none``; None: the run writes one). Raises
    UsageError (nothing copied) when the card carries a history that cannot be read
    (malformed XML, a manifest unlike its chain entry, no chain file),
    unless *ignore*'s own patterns leave it out (``--ignore /ascmhl``: ``_unreadable``).
    *fast_copy*: *source* is a fast copy standing in for an absent card (a cascade re-run
    without it): the messages name the history read, that copy's, never the card's;
    *source_copy*: *source* is a copy root of ours, no card (:func:`history_words`: "the
    source's", "deleted or lost since", never "deleted in camera").
    *ignore*: the scan's rules (from :func:`keep_recorded`): the recorded files a default
    pattern names that they keep are named in a warning. *names*: gives the scan's paths
    (files and links), called only for a card with a history: a recorded path spelled
    otherwise than the card lists it (composed, NFC, or decomposed, NFD: a history made on
    a Mac, the card listed on Linux, or the reverse) is that file of the card, expected and
    checked under the card's spelling (``respelling.spelled_as_listed``, the one rule of
    every record: never where the card holds a file of the recorded spelling, nor where
    the history holds the card's spelling as another file, ``History.two_files``: a
    generation records it beside it (a twin) or its record's digests differ, so the record
    of a file the card lost is missing). Where a later generation recorded the card's
    spelling too (renamed, then recorded again), the file is checked against both records;
    None: as recorded.
    """
    whose, holder = history_words(fast_copy=fast_copy, source_copy=source_copy)
    copied = fast_copy or source_copy  # a copy: its files were not lost in camera
    folder = source / ASCMHL_FOLDER
    if not folder.is_dir():
        return CardHistory({}, trusted=False)
    from offload.manifest.errors import UntrustedHistoryError
    from offload.manifest.history import read_history, what_to_restore

    try:
        history = read_history(source)
    except UntrustedHistoryError as exc:
        # Broken or forged as read (a chain naming no manifest of its folder, a linked
        # manifest or folder, a record no writer makes): the rule of one whose records
        # contradict, below, its own words naming what to restore.
        said = f"{exc.message.rstrip('.')}{what_to_restore(exc)}. It is not trusted"
        why = exc.message
        return _not_trusted(folder, said, why, whose, holder, roots, remote, without_ascmhl)
    except OffloadError as exc:
        return _unreadable(
            source, folder, exc.message, ignore, whose, holder, without_ascmhl, roots, remote
        )
    if not history.exists:
        return CardHistory({}, trusted=False)
    reason = history.untrusted_reason(holder)
    if reason is not None:
        said = (
            f"{whose} ASC MHL history in {folder} is broken or forged: {reason}; restore "
            f"{folder} from a backup or another copy of this card (that ascmhl-debug verify "
            "accepts). It is not trusted"
        )
        return _not_trusted(folder, said, reason, whose, holder, roots, remote, without_ascmhl)
    # The recorded paths and their spellings on the card, made once for the checks below
    # (missing, respelled, OS files kept): each call of expected_file_paths builds the set.
    spelled, missing, references = recorded_on_card(history, source, names)
    warnings = tuple(
        PreflightItem(
            PreflightCode.CARD_HISTORY_FILE_MISSING,
            source / path,
            f"'{printable_name(path)}' is in {whose} own ASC MHL history but not on "
            f"{holder} ({'deleted or lost since' if copied else 'deleted in camera, or lost'}"
            "): it cannot be offloaded",
        )
        for path in missing
    )
    warnings += recorded_warnings(
        history, spelled, f"{whose} own ASC MHL history", holder, folder, ignore
    )
    if ignore is not None:
        warnings += _recorded_left_out(
            [p for p, card in spelled.items() if card not in missing],
            ignore,
            history.latest_ignore_patterns() or (),
            whose,
            folder,
        )
    return CardHistory(references, trusted=True, missing_from_card=missing, warnings=warnings)


def recorded_on_card(
    history: History, source: Path, names: Callable[[], Collection[str]] | None
) -> tuple[dict[str, str], tuple[str, ...], dict[str, dict[str, str]]]:
    """What *history* (read from the folder *source*, whose files *names* gives, from
    *source*: None, as recorded) records of that folder's files, as the card spells them:
    ``(spelled, missing, references)``. *spelled*: each path it expects → its spelling on
    the card (``_as_listed``); *missing*: those spellings the card has no entry at, sorted;
    *references*: the digests each file is checked against, by its card spelling. The
    checks of the card's own history and of one nested in its folders
    (``card_nested_history``) alike."""
    expected = history.expected_file_paths()
    spell = _as_listed(names, expected, history.two_files)
    spelled = {path: spell(path) for path in expected}
    missing = tuple(sorted(p for p in spelled.values() if not os.path.lexists(source / p)))
    # A file is checked against the record of its name spelled otherwise tied to it
    # (``spelled``) and, where a later generation recorded its own spelling too (renamed,
    # then recorded again: the rule ties such records only where they agree), against that
    # one as well: every format either records, the one of its own spelling first.
    references: dict[str, dict[str, str]] = {}
    for path, digests in history.reference_hashes().items():
        card = spelled.get(path, path)
        tied = references.get(card, {})
        references[card] = {**tied, **digests} if card == path else {**digests, **tied}
    return spelled, missing, references


def recorded_warnings(
    history: History,
    spelled: Mapping[str, str],
    named: str,
    holder: str,
    folder: Path,
    ignore: IgnoreRules | None,
    prefix: str = "",
) -> tuple[PreflightItem, ...]:
    """The warnings of what *history* (named *named*: "the card's own ASC MHL history", or a
    nested one's words, ``card_nested_history``; its folder *folder*) records that ascmhl-debug
    verify of a copy judges otherwise than offload-ai checks it: hashes in upper-case hex, paths
    spelled otherwise than *holder* lists them (*spelled*: ``recorded_on_card``'s), and
    operating-system files a default pattern names that *ignore* keeps (None: not asked).
    *prefix*: the history's folder below the card's root (``sub/``), which the paths named are
    shown under. One rule for the card's root history and a nested one."""
    warnings: tuple[PreflightItem, ...] = ()
    upper_case = history.upper_case_originals()
    if upper_case:
        paths = sorted(prefix + p for p in upper_case)
        shown = listed([repr(printable_name(p)) for p in paths], 3)
        warnings += (
            PreflightItem(
                PreflightCode.CARD_HISTORY_UPPER_CASE,
                folder,
                f"{named} records the hashes of {shown} in "
                f"upper-case hex: {holder}'s files are checked against them (the same "
                "digests), but ascmhl-debug verify compares the text and reports each as a hash "
                f"mismatch (exit 11), as offload verify does, on {holder} and on every copy "
                "that carries its history",
            ),
        )
    respelled = sorted(path for path, as_listed in spelled.items() if as_listed != path)
    if respelled:
        one = len(respelled) == 1
        # Renamed since, then recorded again under the card's spelling: read against both.
        hashes = history.reference_hashes()
        again = sum(spelled[path] in hashes for path in respelled)
        both = (
            f" and against the one a later generation made of {holder}'s spelling"
            f"{'' if again == len(respelled) else ', where one did'} (both must match)"
            if again
            else ""
        )
        shown = listed([repr(printable_name(prefix + p)) for p in respelled], 3)
        warnings += (
            PreflightItem(
                PreflightCode.CARD_HISTORY_RESPELLED,
                folder,
                f"{named} records {shown} spelled otherwise than "
                f"{holder} lists {'it' if one else 'them'} (composed, NFC, and decomposed, "
                "NFD: the same name, respelled since by a system that respells names): "
                f"{holder}'s {'file is' if one else 'files are'} checked against "
                f"{'its record' if one else 'their records'}{both} and copied under {holder}'s "
                "spelling, but ascmhl-debug verify compares names byte for byte and reports "
                f"the recorded spelling missing (exit 10) on every copy that carries its "
                "history (offload verify reads each against both spellings)",
            ),
        )
    if ignore is not None:
        warnings += _os_files_kept([prefix + p for p in spelled], ignore, named, holder, folder)
    return warnings


def _as_listed(
    names: Callable[[], Collection[str]] | None,
    recorded: Collection[str],
    two_files: Callable[[str, str], bool],
) -> Callable[[str], str]:
    """How each of *recorded* (the history's paths) is spelled on the card
    (:func:`check_card_history`'s *names*; ``respelling``'s one rule, twins told apart by
    *two_files*: the history's ``History.two_files``)."""
    if names is None:
        return str
    return spelled_as_listed(recorded, names(), twins=two_files)


def _recorded_left_out(
    recorded: Sequence[str],
    ignore: IgnoreRules,
    latest: Sequence[str],
    whose: str,
    folder: Path,
) -> tuple[PreflightItem, ...]:
    """The warning naming the files the card's history records (*recorded*: those on the
    card) that *ignore* leaves out (not copied) and that a check of a copy reports missing
    (exit 10), each check named for the files it reports. The copy's generation writes the
    history's *latest* list and the run's patterns at any depth alone
    (``ascmhl.ignored_for_good``): ``ascmhl-debug verify`` matches its anchored patterns against
    absolute paths, so never (``verify_skips``), and misses a file one left out
    (``--ignore /CLIPS/sub/``, the way a file the card cannot read is left out);
    ``offload verify`` applies the same list at the root (``IgnoreSpec``), so it passes over
    one an anchored pattern the history carries (``/PROXY/``) hides."""
    from offload.manifest.ascmhl import ignored_for_good
    from offload.manifest.ignore import IgnoreSpec, ascmhl_ignore_patterns, verify_skips

    left_out = [p for p in recorded if ignore.excludes(p, is_dir=False)]
    if not left_out:
        return ()
    written = ignored_for_good(latest, ascmhl_ignore_patterns(ignore.patterns))
    by_ascmhl, by_offload = verify_skips(written), IgnoreSpec(written)
    theirs = {p for p in left_out if not by_ascmhl.excludes(p, is_dir=False)}
    ours = {p for p in left_out if not by_offload.excludes(p, is_dir=False)}
    # ours <= theirs: verify_skips is the same list without its anchored positive patterns,
    # so it hides no path the whole list shows.
    missing = sorted(theirs)
    if not missing:
        return ()
    one = len(missing) == 1
    it = "it" if one else "them"
    shown = listed([repr(printable_name(p)) for p in missing], 5)
    return (
        PreflightItem(
            PreflightCode.CARD_HISTORY_FILES_IGNORED,
            folder,
            f"{shown}: {whose} own ASC MHL history records {it}, but this run's ignore "
            f"patterns leave {it} out (not copied): {_who_misses(theirs, ours, one)}; a "
            "pattern that names a name at any depth (no leading or inner /) is carried into "
            "the copy's ignore list, which both leave out of their missing files",
        ),
    )


def _who_misses(theirs: set[str], ours: set[str], one: bool) -> str:
    """Which checks of a copy report the left-out files missing (:func:`_recorded_left_out`):
    *theirs* ``ascmhl-debug verify``'s, *ours* ``offload verify``'s (a subset of *theirs*: the
    list without its anchored positive patterns hides no path the whole list shows), *one*: a
    single file."""
    each = "each copy that carries that history"
    it = "it" if one else "them"
    if theirs == ours:
        return f"ascmhl-debug verify and offload verify of {each} report {it} missing (exit 10)"
    if not ours:
        return (
            f"ascmhl-debug verify of {each} reports {it} missing (exit 10); offload verify, which "
            f"applies the carried anchored pattern at the root, passes over {it}"
        )
    # Each checks some: name each one's files (an anchored pattern the history carries,
    # which offload verify applies at the root and ascmhl-debug verify never, tells them apart).
    return (
        f"ascmhl-debug verify of {each} reports {_shown(theirs)} missing (exit 10), offload "
        f"verify {_shown(ours)}"
    )


def _shown(paths: set[str]) -> str:
    """*paths* sorted, quoted and printable, the first five named (the rest counted)."""
    return listed([repr(printable_name(p)) for p in sorted(paths)], 5)


def _os_files_kept(
    recorded: Collection[str], ignore: IgnoreRules, named: str, holder: str, folder: Path
) -> tuple[PreflightItem, ...]:
    """The warning naming the recorded files (by card path) a default pattern names that
    *ignore* keeps; *named*: the history recording them, in words."""
    defaults = IgnoreRules(DEFAULT_IGNORE_PATTERNS)
    kept = sorted(
        p
        for p in recorded
        if defaults.excludes(p, is_dir=False) and not ignore.excludes(p, is_dir=False)
    )
    if not kept:
        return ()
    shown = listed([repr(printable_name(p)) for p in kept], 5)
    return (
        PreflightItem(
            PreflightCode.CARD_HISTORY_OS_FILES_KEPT,
            folder,
            f"{shown}: operating-system files the default ignore patterns leave out, "
            f"but {named} records them: copied, as {holder} held them "
            "(without them ascmhl-debug verify -dh of a copy reports its folder hashes as "
            "mismatched); --ignore NAME leaves one out all the same",
        ),
    )
