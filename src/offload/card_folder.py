"""Whether the folder an offload names after its card holds another card's offload.

Camera cards share volume names (``EOS_DIGITAL``, ``Untitled``, ``NO NAME``, ``CANON``): by
default (no ``--into``) a card's copy root is ``DEST/<card folder name>``, so a second card
of the same name would land in the first one's folder, its clips merged among the first
card's (and a clip of the same name refused, with ``--overwrite`` among the ways on). A
copy root named after the card that its ledger shows to be another card's is refused before
anything is written (PreflightRefused, exit 64, code ``copy-root-of-another-card``), naming
the folder (as the drive lists it: on exFAT a card ``a001``'s ``DEST/a001`` is the folder
``DEST/A001``, ``as_on_the_drive``) and a free name to copy this card into with ``--into``.
With ``--into`` the user named the folder: a shared copy root is then asked for, and each
file's own rules apply (``card._plan``; README, "Which card").

Whose offload a copy root holds is told by its ledger's standing entries (a ``revoked``
line vouches for nothing and says nothing here):

* an entry is this card's when both cards are known and the same (``ledger.same_card``:
  volume and folder), or, either unknown, when the card has a file at the entry's path of
  the size and modification time the entry records (the quick check, as the ledger trusts
  it for an unknown card);
* the copy root is another card's when no entry is this card's and some entry is not.

So the same card re-run (a resume, a card with new clips, a card that lost some) finds its
own entries and goes on as before.

A copy root on a local disk without a ledger line (no ledger, or an empty one: a folder the
user made, a copy another tool made, a first run killed before its first entry; or one whose
lines all end in revocations that kept records of another card's copies, below) is told by
its files instead: where it holds an entry at one of the card files' names, that entry is
this card's when it is a regular file of the card file's size and modification time
(``Ledger.as_recorded``: what a copy keeping its dates, or ours, is), and the folder is
refused (code ``copy-root-of-other-files``, the same way on) when no such entry is this
card's and some is not: another card of the same name, or this card copied without its
dates, cannot be told apart, and the card's files must not be mixed among another's nor any
of them offered ``--overwrite``. A folder holding none of the card's names (made empty, or
of other names) goes on: nothing there is in a copy's way. A bucket's copy root without a
ledger line is told the same way by its objects (``destinations.s3other_objects``: an object
at a card file's key is the card's file when it has its size and, by its ``mtime`` metadata
or else its LastModified, its date; objects below the key are a folder there), in the same
words and code.

A ledger none of whose lines vouches for a copy (every path's last line ``revoked``, or of a
state no version writes) is told by the records its revocations kept (``revoked_record``:
a revocation's second line, the entry of the copy it ended, ``offload verify``'s and an
offload's own alike, ``Ledger.revoke``): one of this card
(``same_card``, or either unknown, of a card file's path, size and date) and the folder is
this card's (its re-run goes on and reads each copy back); records of another card's copies
alone and the folder is told by its files, as one without a ledger line: a second card of
the name is refused before it merges its files among the first card's, where the refusal of
a copy in its way would offer ``--overwrite`` of what may be the only copy left of that
card. Plain ``revoked`` lines alone (an older version's revocations, or those of entries
whose rename never happened, which keep no record) say nothing of whose the copies were:
the copy root is neither told by its files nor refused, on a disk or a bucket alike; each
copy there is read back by the plan, refused when it differs. Such a folder of another card
is the gap left: its files merge, each copy in the way refused alone.

A card whose every recorded file changed or went (deleted in camera, the card formatted and
shot again) with its identity unknown reads as another card: it is one, for the copy root
(nothing recorded there is on it now), and ``--into`` names that folder on purpose.

Reads the ledgers the plan has loaded and the scan, and, for a local copy root no ledger
line vouches for, ``lstat``s its folders and the card files' names in those there (for a
bucket's: the destination's listing, shared with the type check; when it shows objects
below the copy root, one listing of its prefix, also shared, and a HEAD an object of a
card file's size at its key, until one is the card's file); looks up the free name it
suggests on every destination: ``lstat`` on a local one, on a bucket the one listing of the
destination's prefix (``listed_as``: an object or objects below that name take it), made
only for a refusal. A destination that cannot be asked (a listing that failed) leaves the
message without an example name (it could not be told free).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Protocol

from offload.card_identity import CardIdentity, describe_key
from offload.destinations.s3url import display_path, is_s3_root
from offload.errors import PreflightRefused, pasteable_word, printable_name
from offload.fs.listing import caseless
from offload.ledger import Ledger, LedgerEntries, LedgerEntry, revoked_record, same_card
from offload.model import SourceFile
from offload.plan.codes import PreflightCode, PreflightItem
from offload.plan.destination import AbsentFolders, DestinationPlan
from offload.plan.preflight.paths import is_inside
from offload.plan.preflight.spelling import Speller
from offload.report.dates import utc_words
from offload.report.words import plural

# How far the suggested free name counts (``NAME_2`` .. ``NAME_99``): past it, the message
# names no example (a drive holding 98 cards of one name needs a naming scheme, not a guess).
_MAX_SUFFIX = 99


class Listed(Protocol):
    """What a bucket destination answers of a name (``S3Backend.listed_as``): whether an
    object has its key, whether objects lie below it. Raises OSError when it cannot list."""

    def listed_as(self, path: Path | str) -> tuple[bool, bool]: ...


def refuse_another_cards_folder(
    plans: Sequence[DestinationPlan],
    loaded: Sequence[LedgerEntries],
    card: CardIdentity | None,
    files: Sequence[SourceFile],
    source: str,
    buckets: Mapping[int, Listed] | None = None,
    ledgers: Sequence[Ledger] | None = None,
    zone_shifted: frozenset[int] = frozenset(),
    cascade: AbstractSet[int] = frozenset(),
    source_is_copy: bool = False,
) -> None:
    """Raise PreflightRefused (a UsageError, exit 64) when a copy root the plan named after
    the card (``creates_root``: no ``--into``, a folder source) holds, by its ledger
    (*loaded*, one a plan), another card's offload and none of this one's (module
    docstring). The message is one line: the first such folder, whose offload it holds,
    and the way on (the command with --into and a free name, *source* the card's path;
    *buckets*: the bucket destinations by plan index, asked whether the name is free;
    *ledgers*, one a plan: where one holds no line, a local copy root's files are looked
    at, ``Ledger.as_recorded``, and a bucket's objects, ``s3other_objects``; *zone_shifted*:
    the plans' indices whose ledger records this card read under another time zone,
    ``zone_shift``: never refused; *cascade*: the plans fed in cascade, named with
    ``--cascade-to`` in that command; *source_is_copy*: the source is a copy root of ours,
    no card, said as "the source" in both refusals, ``_refusal``, ``_refuse_other_files``)."""
    if not any(plan.creates_root for plan in plans):
        return  # --into, or a single file: the user named the place
    key = "" if card is None else card.key
    for at, (plan, entries) in enumerate(zip(plans, loaded, strict=True)):
        if not plan.creates_root:
            continue
        # No line; or none that vouches for a copy, and the records the revocations kept
        # (``offload verify``'s) none of this card's: the folder is told by its files.
        if not any(e.vouches for e in entries.standing()):
            ended = [r for e in entries.latest.values() if (r := revoked_record(e)) is not None]
            if entries.latest and not ended:
                continue  # plain revoked lines alone: they say nothing (module docstring)
            if ended:
                by_path = {f.relative_path: f for f in files}
                if any(_this_cards_record(r, by_path, key) for r in ended):
                    continue
            if ledgers is None:
                continue
            if not is_s3_root(str(plan.root)):
                others = _other_files(plan, ledgers[at], files)
            elif buckets and plan.index in buckets:
                others = _other_objects(buckets[plan.index], plan, files)
            else:
                continue
            if others and not _over_the_source(plan, source):
                _refuse_other_files(
                    plan, plans, others, source, buckets or {}, cascade, copy=source_is_copy
                )
            continue
        # A re-run: its first entry (known cards) or first card file (either unknown) is
        # this card's, so the usual re-run asks one entry; a refusal looks at them all.
        if key and _holds_this_cards_entry(entries, key):
            continue
        if any(_this_cards_file(entries, f, key) for f in files):
            continue
        standing = [e for e in entries.standing() if e.vouches]
        if standing and plan.index not in zone_shifted and not _over_the_source(plan, source):
            ledger = ledgers[at] if ledgers is not None else Ledger(plan.root)
            rounded = _dated_by_a_cascade(standing, files, ledger, card)
            message = _refusal(
                source, plan, plans, standing, card, buckets or {}, rounded, cascade,
                copy=source_is_copy,
            )  # fmt: skip
            finding = PreflightItem(
                PreflightCode.COPY_ROOT_OF_ANOTHER_CARD,
                _shown(plan),
                message,
                plan.index,
            )
            # One line on the terminal; --json's offload_refused names its code.
            raise PreflightRefused(message, errors=[finding.as_dict()])


def _over_the_source(plan: DestinationPlan, source: str) -> bool:
    """Whether *plan*'s copy root is the card or holds it, or its destination lies inside
    the card (a card's own copy given as the source into its parent, ``DEST/A001`` into
    ``DEST``): the preflight refuses that in its own words and way on (``paths.
    check_source_overlap``: "would write over the source"), where a refusal here would name
    another card and ``--into`` the source itself. Asked only of a copy root about to be
    refused: the usual run never pays for it."""
    if is_s3_root(str(plan.root)):
        return False
    card = Path(source)
    spell = Speller()
    return is_inside(card, plan.root, spell) or is_inside(plan.destination, card, spell)


def _other_files(
    plan: DestinationPlan, ledger: Ledger, files: Sequence[SourceFile]
) -> list[tuple[str, str]]:
    """The card files (relative path, how what stands there differs, in words) at whose
    name *plan*'s copy root (local, no ledger line) holds something that is not this card's
    file; empty when nothing stands at the card's names or one entry there is this card's
    file by its size and date (module docstring). One listing a folder of the card there
    (absent: nothing below it asked) and one ``lstat`` a card file's name it lists, until
    one this card's is found. A name is compared exactly: one differing by case or
    normalisation alone (``CLIP.MOV`` where the card has ``clip.mov``, found by a look-up
    on exFAT) is the preflight's twin, refused there in its own words."""
    absent = AbsentFolders()
    if absent.holds_nothing_in(str(plan.root)):
        return []  # the usual first run: no such folder yet
    listed: dict[str, frozenset[str]] = {}
    others: list[tuple[str, str]] = []
    for file in files:
        target = plan.target_text(file.relative_path)
        folder, _, name = target.rpartition("/")
        names = listed.get(folder)
        if names is None:
            names = listed[folder] = _names_in(folder, absent)
        if name not in names:
            continue
        try:
            st = os.lstat(target)
        except OSError:
            continue  # gone since, or nothing that can be told: no collision
        if stat.S_ISREG(st.st_mode) and ledger.as_recorded(st, file.size_bytes, file.mtime_ns):
            return []  # this card's file as a copy keeping its dates has it: a re-run
        others.append((file.relative_path, _differs(st, file)))
    return others


def _other_objects(
    bucket: Listed, plan: DestinationPlan, files: Sequence[SourceFile]
) -> list[tuple[str, str]]:
    """``_other_files`` of a bucket's copy root (``s3other_objects``: one listing of its
    prefix, shared with the type check; none when the destination's listing shows nothing
    below it; a HEAD an object of a card file's size). A bucket destination not an
    ``S3Backend`` (a test's stand-in) is not looked at."""
    from offload.destinations.s3backend import S3Backend
    from offload.destinations.s3other_objects import objects_in_the_way

    if not isinstance(bucket, S3Backend):
        return []
    return objects_in_the_way(bucket, plan, files)


def _refuse_other_files(
    plan: DestinationPlan,
    plans: Sequence[DestinationPlan],
    others: Sequence[tuple[str, str]],
    source: str,
    buckets: Mapping[int, Listed],
    cascade: AbstractSet[int] = frozenset(),
    *,
    copy: bool = False,
) -> None:
    """Raise PreflightRefused (code ``copy-root-of-other-files``) for *plan*'s copy root,
    which no ledger line vouches for and where *others* (relative path, how it differs)
    stand at the card's names, none of them this card's file (module docstring). *copy*:
    the source is a copy root of ours, no card: "the source's names", "in the source"
    (``report.source_words``' words, written here where every name is known)."""
    folder = printable_name(as_on_the_drive(plan.root))
    first, how = others[0]
    more = f" and {plural(len(others) - 1, 'other')}" if len(others) > 1 else ""
    into, those = add_to(source, plans, cascade)
    this, whose = ("the source", "the source's") if copy else ("this card", "this card's")
    unlike = (
        f"{whose} files copied without their dates" if copy else f"{whose} copied without its dates"
    )
    if copy and how.endswith(_ON_THE_CARD):  # "N bytes there, M on the card" (_differs)
        how = how.removesuffix(_ON_THE_CARD) + " in the source"
    message = (
        f"{folder} holds files at {whose} names that are not {whose} "
        f"('{printable_name(first)}': {how}{more}) and no ledger says whose they are "
        f"(another card of the same name's, or {unlike}): nothing "
        "was copied; "
        f"{_way(source, plans, buckets, cascade, this=this)}, or {into} to add it to "
        f"{those}{_card_like(plan)} (each file there read back, none overwritten unasked)"
    )
    finding = PreflightItem(
        PreflightCode.COPY_ROOT_OF_OTHER_FILES, _shown(plan), message, plan.index
    )
    raise PreflightRefused(message, errors=[finding.as_dict()])


def _card_like(plan: DestinationPlan) -> str:
    """The flag ``--into`` *plan*'s copy root also needs when that folder, no copy root of
    ours, looks like a camera card (another tool's copy of a card holds its ``DCIM/``,
    ``PRIVATE/``...: the preflight refuses it without ``--allow-card-destination``), in
    words; "" otherwise and for a bucket. Never raises."""
    if is_s3_root(str(plan.root)):
        return ""
    from offload.plan.cardlike import destination_card_sign

    sign = destination_card_sign(plan.root)
    if sign is None:
        return ""
    return f" (with --allow-card-destination: it looks like a camera card, {sign})"


def as_on_the_drive(root: Path | str) -> str:
    """*root* (a copy root there) as its drive lists it, for a message to name: its last
    name replaced by the one its folder lists for it where that folder lists it only
    spelled otherwise (exFAT, FAT, NTFS fold case: a card ``a001``'s copy root
    ``DEST/a001`` is the folder ``DEST/A001`` an earlier card ``A001`` made). The name as
    given when the folder lists it so, when no single listed name matches it caselessly
    (``fs.listing.caseless``), when nothing is there, and on a bucket. Never raises: one
    listing of the folder above it, and one ``lstat`` of *root* when it is not listed so."""
    text = display_path(root)
    if is_s3_root(str(root)):
        return text
    parent, name = os.path.split(str(root))
    try:
        names = os.listdir(parent or ".")
        if name in names or not os.path.lexists(root):
            return text
    except (OSError, ValueError):
        return text
    key = caseless(name)
    found = [listed for listed in names if caseless(listed) == key]
    return os.path.join(parent, found[0]) if len(found) == 1 else text


def _shown(plan: DestinationPlan) -> Path:
    """*plan*'s copy root as a finding names it: a bucket's as its ``s3://`` URL (a plain
    Path of it would read ``s3:/bucket/...``); a drive's as the drive lists it
    (``as_on_the_drive``)."""
    if is_s3_root(str(plan.root)):
        from offload.destinations.s3backend import S3ShownPath

        return S3ShownPath(plan.root)
    return Path(as_on_the_drive(plan.root))


def _names_in(folder: str, absent: AbsentFolders) -> frozenset[str]:
    """The names *folder* lists (none when it is absent or cannot be listed)."""
    if absent.holds_nothing_in(folder):
        return frozenset()
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


#: Where ``_differs`` says the card file's size is (said "in the source" of a copy root).
_ON_THE_CARD = " on the card"


def _differs(st: os.stat_result, file: SourceFile) -> str:
    """How the entry *st* at a card file's name differs from it, in words."""
    if stat.S_ISDIR(st.st_mode):
        return "a folder there"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file there"
    if st.st_size != file.size_bytes:
        return f"{st.st_size} bytes there, {file.size_bytes}{_ON_THE_CARD}"
    return "of its size, another modification time"


def _holds_this_cards_entry(entries: LedgerEntries, key: str) -> bool:
    """Whether an entry standing in *entries* records a copy of the card *key* (known).
    Each other card's key compared once (``same_card`` parses keys that differ: ~8 µs,
    ~0.4 s over a 50,000-entry ledger of another card's entries before this card's)."""
    others: set[str] = set()
    for entry in entries.standing():
        known = entry.card
        if known and known not in others and entry.vouches:
            if same_card(entry, key):
                return True
            others.add(known)
    return False


def _this_cards_record(ended: LedgerEntry, files: Mapping[str, SourceFile], key: str) -> bool:
    """Whether *ended*, the entry of a copy a revocation ended (``revoked_record``), was
    recorded from this card (*key*; both known: ``same_card``), or, either unknown, of a
    card file (*files*, by path) at its path with the size and modification time it
    records."""
    if key and ended.card:
        return same_card(ended, key)
    file = files.get(ended.relative_path)
    return (
        file is not None and file.size_bytes == ended.size_bytes and file.mtime_ns == ended.mtime_ns
    )


def _this_cards_file(entries: LedgerEntries, file: SourceFile, key: str) -> bool:
    """Whether an entry of *file*'s path records it, its card or this card unknown (*key*
    ""): of its size and modification time (an entry of a known card, this card known, was
    asked by its card alone)."""
    found = entries.latest.get(file.relative_path)
    candidates: tuple[LedgerEntry, ...] = (found,) if found is not None else ()
    if entries.beside:
        candidates += entries.beside.get(file.relative_path, ())
    return any(
        e.vouches
        and not (key and e.card)
        and e.size_bytes == file.size_bytes
        and e.mtime_ns == file.mtime_ns
        for e in candidates
    )


def _refusal(
    source: str,
    plan: DestinationPlan,
    plans: Sequence[DestinationPlan],
    standing: Sequence[LedgerEntry],
    card: CardIdentity | None,
    buckets: Mapping[int, Listed],
    rounded: bool = False,
    cascade: AbstractSet[int] = frozenset(),
    *,
    copy: bool = False,
) -> str:
    """The refusal's line; *rounded*: the ledger's entries are the card files' as a coarser
    filesystem dates them (``_dated_by_a_cascade``), whose --into re-run is named first;
    *copy*: the source is a copy root of ours, no card, said as "the source" (a card's
    words unchanged)."""
    folder = printable_name(as_on_the_drive(plan.root))
    into, those = add_to(source, plans, cascade)
    # "Another card's" only where both cards are known (and differ); either unknown, the
    # ledger cannot say whose the copies are: maybe this card's, formatted and shot again,
    # or copied without its dates (shuttle66: never claim more than the ledger says).
    known = card is not None and all(e.card for e in standing)
    this = "the source" if copy else "this card"
    its_card = "the source's card" if copy else "this card"
    whose = "another card's offload" if known else f"another offload, of {its_card} or another"
    if rounded:
        return (
            f"{folder} holds {whose} ({_whose(standing, card, rounded=True, copy=copy)}), "
            "and cards that share a name must not share a folder: nothing was copied; if "
            f"those are {its_card}'s copies, {into} adds it to {those} (each copy there "
            "read back and adopted with the card's dates); else "
            f"{_way(source, plans, buckets, cascade, this=this)}"
        )
    return (
        f"{folder} holds {whose} ({_whose(standing, card, copy=copy)}), and cards that "
        f"share a name must not share a folder: nothing was copied; "
        f"{_way(source, plans, buckets, cascade, this=this)}, or {into} to add it to {those}"
    )


def add_to(
    source: str, plans: Sequence[DestinationPlan], cascade: AbstractSet[int] = frozenset()
) -> tuple[str, str]:
    """The refusal's other way on, adding the card to the copy root it names on purpose, and
    the folder(s) it adds it to, in words: ``--into FOLDER`` where the run has one
    destination; with several, the whole command, naming each destination's copy root (the
    run takes them all at once: one ``--into`` folder alone would leave the others out, a
    command that cannot work), the local ones not there yet made first (``--into`` takes
    an existing folder), the plans in *cascade* after ``--cascade-to`` as in ``_way``."""
    named = [as_on_the_drive(p.root) for p in plans]
    if len(plans) == 1:
        return f"--into {pasteable_word(named[0])}", "that folder"
    pairs = list(zip(named, plans, strict=True))
    absent = [n for n, p in pairs if not is_s3_root(str(p.root)) and not os.path.isdir(p.root)]
    make = f"mkdir {command_words(absent)} && " if absent else ""
    fed = [n for n, p in pairs if p.index not in cascade]
    slow = "".join(f" --cascade-to {command_words([n])}" for n, p in pairs if p.index in cascade)
    command = (
        f"{make}offload copy --into {command_words([source, *fed])}{slow} (with the command's "
        "other options)"
    )
    return command, "those folders"


def _dated_by_a_cascade(
    standing: Sequence[LedgerEntry],
    files: Sequence[SourceFile],
    ledger: Ledger,
    card: CardIdentity | None,
) -> bool:
    """Whether every entry of *standing* (none of them this card's at its size and date)
    records a card file (*files*) at its path as an older version's cascade recorded its
    slow copies, dated as the fast copy on exFAT, FAT, NTFS or a share
    (``rounded_by_a_cascade``). Where any entry is another file, or every entry names a
    known card (*card* known too: they are another card's), that cause is not named."""
    if card is not None and all(e.card for e in standing):
        return False
    by_path = {f.relative_path: f for f in files}
    for entry in standing:
        file = by_path.get(entry.relative_path)
        if file is None or not rounded_by_a_cascade(entry, file, ledger):
            return False
    return True


# The finest date a coarse filesystem keeps (NTFS: 100 ns); exFAT's 10 ms, whole seconds
# (a share, sshfs) and FAT's 2 s are multiples of it.
_COARSEST_TICK_NS = 100


def rounded_by_a_cascade(entry: LedgerEntry, file: SourceFile, ledger: Ledger) -> bool:
    """Whether *entry* records the card's *file* as an older version's cascade recorded its
    slow copies, dated as the fast copy on exFAT, FAT, NTFS or a share: the file's size, a
    date other than the file's yet one such a filesystem keeps (a multiple of 100 ns) and
    within what it rounds (``Ledger.holds_date``, *ledger* the copy root's). A likely
    cause, never a proof: another card's entry of equal size shot within 2 s passes too
    where the card's own dates are multiples of 100 ns already (FAT and exFAT cards, most
    camera cards), so every sentence naming this cause names another card beside it."""
    return (
        entry.size_bytes == file.size_bytes
        and entry.mtime_ns != file.mtime_ns
        and entry.mtime_ns % _COARSEST_TICK_NS == 0
        and ledger.holds_date(file.mtime_ns, entry.mtime_ns)
    )


def _way(
    source: str,
    plans: Sequence[DestinationPlan],
    buckets: Mapping[int, Listed],
    cascade: AbstractSet[int] = frozenset(),
    *,
    this: str = "this card",
) -> str:
    """The way on of a refusal: the ``--into`` command with a free name (the local
    folders made first), or, none found, the words of it; the plans in *cascade* named
    with ``--cascade-to``, as the user's command fed them (dropped, a slow drive would be
    read from the card like a fast one, the card kept for it). *this*: what is copied, in
    words ("the source" of a copy root of ours)."""
    free = _free_name(plans, buckets)
    if free is None:
        way = f"copy {this} into a folder of its own with --into (DEST naming that folder)"
    else:
        # --into takes an existing folder (a drive not mounted is never written into): the
        # local ones are made first.
        named = [display_path(p.destination / free if p.creates_root else p.root) for p in plans]
        local = [n for n, p in zip(named, plans, strict=True) if not is_s3_root(str(p.root))]
        make = f"mkdir {command_words(local)} && " if local else ""
        fed = [n for n, p in zip(named, plans, strict=True) if p.index not in cascade]
        slow = [f" --cascade-to {command_words([n])}" for n, p in zip(named, plans, strict=True)
                if p.index in cascade]  # fmt: skip
        way = (
            f"copy {this} into a folder of its own: {make}offload copy --into "
            f"{command_words([source, *fed])}{''.join(slow)} (with the command's other options)"
        )
    return way


def command_words(paths: Sequence[str]) -> str:
    """*paths* as a shell command's arguments, each one that names that very path pasted
    into bash (``pasteable_word``: a control character as ``$'\\x01'``, never the
    printed escape, which ``mkdir`` would take as four characters of a name)."""
    return " ".join(pasteable_word(path) for path in paths)


def _whose(
    standing: Sequence[LedgerEntry],
    card: CardIdentity | None,
    *,
    rounded: bool = False,
    copy: bool = False,
) -> str:
    """What the ledger says of the other offload: its card(s) and last date, or, its card
    unknown, that none of its files is on this card at its size and date (*rounded*: though
    each is a card file's size and date as a coarser filesystem rounds it, the cause an
    older version's cascade leaves, named first; *copy*: the source a copy root of ours,
    "in the source", "the source's card")."""
    its_card = "the source's card" if copy else "this card"
    on_it = "in the source" if copy else "on this card"
    count = plural(len(standing), "file")
    this = card.words() if card is not None else "unknown"
    last = max((e.recorded_at for e in standing), default=0.0)
    # UTC: the line is the refusal's reason in its record too (``utc_words``).
    when = f", the last on {utc_words(last)}" if last else ""
    cards = sorted({e.card for e in standing if e.card})
    if card is not None and cards and all(e.card for e in standing):
        named = ", ".join(describe_key(key) for key in cards[:2])
        more = f" and {len(cards) - 2} more" if len(cards) > 2 else ""
        return f"its ledger records {count} of {named}{more}{when}; {its_card}: {this}"
    if rounded:
        return (
            f"its ledger records {count}{when}, each of a card file's size and of its date as "
            f"exFAT, FAT, NTFS or a share rounds it: {its_card}'s copies cascaded by an older "
            "version, dated as its fast copy; or another card of the same name"
        )
    return (
        f"its ledger records {count}{when}, none {on_it} at its size and date: "
        f"another card of the same name, or {its_card} formatted and shot again"
    )


def _free_name(plans: Sequence[DestinationPlan], buckets: Mapping[int, Listed]) -> str | None:
    """``<name>_2``, ``<name>_3``, ...: the first that no destination holds (a local one
    asked by ``lstat``, a bucket by its listing), or None past ``_MAX_SUFFIX`` or when a
    bucket cannot be listed."""
    name = plans[0].root.name
    named = [p for p in plans if p.creates_root]
    for suffix in range(2, _MAX_SUFFIX + 1):
        candidate = f"{name}_{suffix}"
        try:
            if not any(_holds(p, candidate, buckets) for p in named):
                return candidate
        except OSError:
            return None  # could not be told free
    return None


def _holds(plan: DestinationPlan, name: str, buckets: Mapping[int, Listed]) -> bool:
    """Whether *plan*'s destination holds *name*: on a bucket, an object of that key or
    objects below it (a bucket not in *buckets* is taken as holding it: never told free
    unasked). Raises OSError when a bucket cannot be listed."""
    if not is_s3_root(str(plan.root)):
        return os.path.lexists(plan.destination / name)
    bucket = buckets.get(plan.index)
    return bucket is None or any(bucket.listed_as(plan.destination / name))


def loaded_for_the_check(
    ledgers: Iterable[Ledger], incremental: bool, loaded: Sequence[LedgerEntries]
) -> Sequence[LedgerEntries]:
    """The entries the check reads: the plan's own (*loaded*) when it reads the ledgers;
    with ``--no-resume`` (*incremental* false) each ledger read for this check alone, one
    that cannot be read (OSError) taken as empty: ``--no-resume`` trusts no entry, and a
    ledger it cannot read never stopped it."""
    if incremental:
        return loaded
    read: list[LedgerEntries] = []
    for ledger in ledgers:
        try:
            read.append(ledger.load_entries())
        except OSError:
            read.append(LedgerEntries({}, {}))
    return read
