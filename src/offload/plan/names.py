"""Name rules: which names a destination filesystem refuses, and which names it confuses.

Pure functions of a name and a :class:`~offload.plan.filesystem.NameRules`, so they can be
property-tested without any filesystem.
"""

from __future__ import annotations

import os
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from offload.plan.codes import PreflightCode
from offload.plan.filesystem import WINDOWS_FORBIDDEN, NameFamily, NameRules

NAME_MAX_BYTES = 255  # Linux NAME_MAX: every filesystem we write to refuses longer names
PATH_MAX_BYTES = 4096  # Linux PATH_MAX, counting the terminating NUL
#: The one wording of that limit, in the bytes a person counts (no NUL): a card's path, a
#: destination's, a copy's, offload-ai's own files' (before, "(limit 4096)" for some, NUL
#: counted, and "at most 4,095 bytes (PATH_MAX)" for others).
PATH_MAX_WORDS = (
    f"Linux names a file or folder by a path of at most {PATH_MAX_BYTES - 1:,} bytes (PATH_MAX)"
)

_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [
        f"{stem}{n}"
        for stem in ("COM", "LPT")
        for n in (*"123456789", "\u00b9", "\u00b2", "\u00b3")
    ]
)


class NameProblem(NamedTuple):
    """Why one name cannot be written as it is (``detail`` completes "the name ...")."""

    code: PreflightCode
    detail: str


def is_utf8(name: str) -> bool:
    """Whether ``name`` came from valid UTF-8 bytes (no surrogate escapes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown_char(char: str) -> str:
    """One character a name may not hold, as a line can show it: quoted (``repr``: a
    control character escaped), but a combining mark by its code point and name, which
    printed alone would sit on the quote before it (a decomposed name's accents), and a
    backslash as itself, named (``repr`` doubles it: ``'\\\\'``, not what the name holds)."""
    if unicodedata.category(char).startswith("M"):
        return f"U+{ord(char):04X} ({unicodedata.name(char, 'a combining mark')})"
    if char == "\\":
        return "'\\' (a backslash)"
    return repr(char)


def utf16_units(name: str) -> int:
    """Length of ``name`` in UTF-16 code units, as exFAT/NTFS/APFS count it."""
    return len(name.encode("utf-16-le", "surrogatepass")) // 2


def name_problems(
    name: str, rules: NameRules, *, name_max_bytes: int = NAME_MAX_BYTES
) -> list[NameProblem]:
    """Every reason ``rules``' filesystem would refuse or alter ``name``, in a fixed order.

    A name is one path component (no ``/``). ``NAME_NOT_UTF8`` is reported for every family;
    the caller decides its severity (an error where ``rules.requires_unicode``).
    ``NAME_RESERVED_WINDOWS`` is only reported for the Windows family. Never raises.
    """
    # The usual name first: printable ASCII (valid UTF-8, one byte and one UTF-16 unit a
    # character, no control character) that fits, holds no forbidden character and does not
    # end as the filesystem forbids; the Windows family's reserved stems are left to the
    # checks below. The same answer (a test holds it to them), ~3 µs less a name: the
    # preflight asks for every file and folder of the card.
    if (
        name.isascii()
        and name.isprintable()
        and len(name) <= name_max_bytes
        and (rules.max_name_utf16 is None or len(name) <= rules.max_name_utf16)
        and rules.forbidden_chars.isdisjoint(name)
        and not (rules.forbid_trailing_dot_or_space and name[-1:] in (".", " "))
        and rules.family is not NameFamily.WINDOWS
    ):
        return []
    problems: list[NameProblem] = []
    if not is_utf8(name):
        problems.append(NameProblem(PreflightCode.NAME_NOT_UTF8, "is not valid UTF-8"))
    size = len(os.fsencode(name))
    if size > name_max_bytes:
        problems.append(
            NameProblem(
                PreflightCode.NAME_TOO_LONG, f"is {size} bytes long (limit {name_max_bytes})"
            )
        )
    # Each character the filesystem refuses once, in the name's order (QA: sorted, '撮影.mov'
    # read "contains '影' '撮'").
    bad = list(
        dict.fromkeys(
            c
            for c in name
            if c in rules.forbidden_chars
            or (rules.forbid_control_chars and ord(c) < 0x20)
            # (A byte that is not UTF-8, a surrogate escape here, is NAME_NOT_UTF8's alone.)
            or (rules.ascii_only and not c.isascii() and not "\udc80" <= c <= "\udcff")
        )
    )
    if bad:
        shown = " ".join(map(_shown_char, bad))
        if rules.ascii_only and not name.isascii():
            marks = any(unicodedata.category(c).startswith("M") for c in bad)
            shown += (
                " (not ASCII: accents written apart from their letters, as a Mac writes names)"
                if marks
                else " (not ASCII)"
            )
        problems.append(NameProblem(PreflightCode.NAME_INVALID_CHARS, f"contains {shown}"))
    if rules.forbid_trailing_dot_or_space and name[-1:] in (".", " "):
        which = "a dot" if name.endswith(".") else "a space"
        problems.append(NameProblem(PreflightCode.NAME_TRAILING_DOT_OR_SPACE, f"ends with {which}"))
    if rules.max_name_utf16 is not None:
        units = utf16_units(name)
        if units > rules.max_name_utf16:
            problems.append(
                NameProblem(
                    PreflightCode.NAME_TOO_LONG,
                    f"is {units} UTF-16 units long (limit {rules.max_name_utf16} UTF-16 units)",
                )
            )
    if rules.family is NameFamily.WINDOWS:
        stem = name.split(".", 1)[0].rstrip(" ").upper()
        if stem in _WINDOWS_RESERVED:
            problems.append(
                NameProblem(PreflightCode.NAME_RESERVED_WINDOWS, "is a reserved name on Windows")
            )
    return problems


def ascii_form(name: str) -> str:
    """*name* as an ASCII name, for the names offload-ai chooses itself (a report's, a
    manifest's) on a destination that takes only ASCII (``NameRules.ascii_only``): accents
    dropped (``Café`` -> ``Cafe``: NFKD, combining marks removed), every other character
    that is not ASCII (and a byte that was not UTF-8) ``_``. Never used on the card's names:
    those are copied as they are, or refused (:func:`name_problems`)."""
    if name.isascii():
        return name
    decomposed = unicodedata.normalize("NFKD", name) if is_utf8(name) else name
    return "".join(c if c.isascii() else "_" for c in decomposed if not unicodedata.combining(c))


def report_name(source: str, folders: Iterable[Path] = ()) -> str:
    """The card's part of the name of a run's reports and of a refused run's record
    (``<this>_<start, UTC>Z``): *source*'s last name (``source`` for a root), as every one
    of *folders*' filesystems takes it (:func:`report_name_for`, :func:`own_name_in`: each
    character one refuses as ``_``, ``:`` on exFAT, NTFS, FAT or an SMB/CIFS share; its
    :func:`ascii_form` where one takes only ASCII names, fusefat: the report would be lost
    for its name alone). Never the run's ``--reel``: the card folder's name, as the reports
    have always been named."""
    return report_name_for(os.path.basename(source.rstrip("/")) or "source", folders)


def report_name_for(name: str, folders: Iterable[Path] = ()) -> str:
    """*name* as a report's name may hold it: by the one rule of offload-ai's own names
    (``own_names.name_part``: a line break, a control character, a byte that is not UTF-8
    as ``_``), then by the name rules of the filesystem of each of *folders*
    (:func:`own_name_in`): every character one of them refuses (``:`` on exFAT, NTFS, FAT,
    SMB/CIFS) as ``_``, and its :func:`ascii_form` when one takes only ASCII names
    (fusefat). One name for every folder, the strictest's. The one rule for ``offload
    copy``'s reports (:func:`report_name`), a refused run's record and ``offload
    verify``'s."""
    if not name.isprintable():
        from offload.own_names import name_part

        name = name_part(name)
    if name.isascii() and WINDOWS_FORBIDDEN.isdisjoint(name):
        return name  # nearly every card's name: no filesystem's rules to ask
    from offload.plan.filesystem import detect_filesystem

    return own_name_in(name, [detect_filesystem(folder).rules for folder in folders])


def own_name_in(part: str, rules: Iterable[NameRules]) -> str:
    """*part* of a name offload-ai chooses itself (a card's or a copy root's name, followed
    in the name by more: ``<part>_<date>Z.json``), as every one of *rules*' filesystems takes
    it: each character one of them refuses (``NameRules.forbidden_chars``: ``: * ? " < > |
    \\`` on exFAT, NTFS, FAT and SMB/CIFS shares, Windows' rules) ``_``, as the
    preflight's ``--into`` remedy names a folder, then its :func:`ascii_form` where one
    takes only ASCII (fusefat). A trailing dot or space is kept: it is not the name's end.
    ntfs-3g takes ``:`` itself, but Windows cannot open such a file: NTFS's rules are
    Windows'. Never used on the card's names (copied as they are, or refused:
    :func:`name_problems`)."""
    rules = list(rules)
    refused = frozenset().union(*(r.forbidden_chars for r in rules))
    if not refused.isdisjoint(part):
        part = "".join("_" if c in refused else c for c in part)
    if not part.isascii() and any(r.ascii_only for r in rules):
        part = ascii_form(part)
    return part


def _simple_upper(name: str) -> str:
    # exFAT and NTFS compare names through an up-case table of one-to-one mappings: "ß" stays
    # "ß" (str.upper() would make it "SS", which those filesystems do not).
    out = []
    for c in name:
        up = c.upper()
        out.append(up if len(up) == 1 else c)
    return "".join(out)


def collision_key(name: str, rules: NameRules) -> str:
    """The form under which ``rules``' filesystem considers two names the same."""
    if rules.normalisation_insensitive:
        name = unicodedata.normalize("NFD", name)
    if rules.case_insensitive:
        name = _simple_upper(name)
    return name


class Collision(NamedTuple):
    """Distinct names of one folder that a filesystem would (or might) treat as one."""

    code: PreflightCode
    names: tuple[str, ...]
    is_error: bool


def find_collisions(names: Iterable[str], rules: NameRules) -> list[Collision]:
    """Groups of ``names`` (the entries of one folder) that collide under ``rules``.

    On a case-insensitive filesystem, names equal up to case are an error
    (``NAME_CASE_COLLISION``); where the filesystem also folds Unicode normalisation, names
    equal up to normalisation are an error too (``NAME_NORMALISATION_COLLISION``). Where it
    does not (exFAT, FAT, NTFS keep NFC and NFD apart) the latter are a warning: macOS and
    some Windows tools do fold them. Order: by first appearance of the group in ``names``.
    """
    distinct = list(dict.fromkeys(names))
    collisions: list[Collision] = []
    if rules.case_insensitive or rules.normalisation_insensitive:
        groups: dict[str, list[str]] = defaultdict(list)
        for name in distinct:
            groups[collision_key(name, rules)].append(name)
        for group in groups.values():
            if len(group) > 1:
                nfc = {unicodedata.normalize("NFC", n) for n in group}
                code = (
                    PreflightCode.NAME_NORMALISATION_COLLISION
                    if len(nfc) == 1
                    else PreflightCode.NAME_CASE_COLLISION
                )
                collisions.append(Collision(code, tuple(group), is_error=True))
    if rules.case_insensitive and not rules.normalisation_insensitive:
        by_key: dict[str, list[str]] = defaultdict(list)
        for name in distinct:
            by_key[collision_key(name, rules)].append(name)
        loose: dict[str, list[str]] = defaultdict(list)
        for key, group in by_key.items():
            loose[unicodedata.normalize("NFC", key)].extend(group)
        for group in loose.values():
            if len({collision_key(n, rules) for n in group}) > 1:
                collisions.append(
                    Collision(PreflightCode.NAME_NORMALISATION_COLLISION, tuple(group), False)
                )
    return collisions
