"""Name rules and filesystem detection: pure rules (property-tested) and mountinfo parsing."""

from __future__ import annotations

import os
import subprocess
import unicodedata
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offload.model import SourceFile, SourceSymlink
from offload.plan import NameFamily, PreflightCode, detect_filesystem, rules_for_fstype
from offload.plan.destination import DestinationPlan
from offload.plan.filesystem import (
    FilesystemInfo,
    NameRules,
    find_mount,
    max_file_bytes,
    parse_mountinfo,
)
from offload.plan.names import (
    _WINDOWS_RESERVED,
    NAME_MAX_BYTES,
    PATH_MAX_BYTES,
    NameProblem,
    collision_key,
    find_collisions,
    is_utf8,
    name_problems,
    utf16_units,
)
from offload.plan.preflight import names as preflight_names
from offload.plan.preflight.findings import Findings
from offload.plan.preflight.names import check_names, entries_of, names_all_fit
from offload.plan.scan import SourceTree
from support.requirements import root_mark

C = PreflightCode
EXFAT = rules_for_fstype("exfat")
EXT4 = rules_for_fstype("ext4")
APFS = rules_for_fstype("apfs")


def _is_safe(name: str) -> bool:
    """No trailing dot or space, and not a Windows reserved name (the code's own list, the
    code's own rule: the stem before the first dot, trailing spaces dropped, any case)."""
    if name.endswith((".", " ")):
        return False
    return name.split(".", 1)[0].rstrip(" ").upper() not in _WINDOWS_RESERVED


_SAFE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters='"*/:<>?\\|\x00'
    ),
    min_size=1,
    max_size=60,
).filter(_is_safe)


def test_the_safe_strategy_excludes_every_reserved_name() -> None:
    # It excluded only "CON": "NUL" (or "aux.mov", "com1") made the property tests fail at
    # random.
    for stem in _WINDOWS_RESERVED:
        for name in (stem, stem.lower(), f"{stem}.mov", f"{stem.title()} .x"):
            assert not _is_safe(name), name


def codes(name: str, rules: object = EXFAT, **kw: int) -> list[PreflightCode]:
    return [p.code for p in name_problems(name, rules, **kw)]  # type: ignore[arg-type]


def test_fstype_families() -> None:
    for fstype in ("exfat", "vfat", "msdos", "fuseblk", "fuse.exfat-fuse", "ntfs", "ntfs3"):
        assert rules_for_fstype(fstype).family is NameFamily.WINDOWS, fstype
    for fstype in ("ext4", "xfs", "btrfs", "tmpfs", "zfs", "nfs4"):
        assert rules_for_fstype(fstype).family is NameFamily.POSIX, fstype
    assert rules_for_fstype("apfs").family is NameFamily.APPLE
    assert rules_for_fstype("exfat").symlinks is False
    assert rules_for_fstype("fuseblk").symlinks is None  # exfat-fuse or ntfs-3g: cannot tell
    assert rules_for_fstype("ntfs3").symlinks is True


@pytest.mark.parametrize(
    ("fstype", "limit"),
    [
        ("vfat", 2**32 - 1),
        ("msdos", 2**32 - 1),
        ("fuse.fusefat", 2**32 - 1),
        ("exfat", None),
        ("fuse.exfat", None),
        ("ntfs3", None),
        ("ext4", None),
        ("hfsplus", None),
    ],
)
def test_only_fat_limits_a_file_to_4_gib_minus_one_byte(fstype: str, limit: int | None) -> None:
    assert max_file_bytes(fstype) == limit
    # A fuseblk mount is what its device holds.
    assert FilesystemInfo("fuseblk", on_device="vfat").max_file_bytes == 2**32 - 1
    assert FilesystemInfo("fuseblk", on_device="exfat").max_file_bytes is None


@given(_SAFE)
def test_safe_names_pass_everywhere(name: str) -> None:
    assert codes(name, EXFAT, name_max_bytes=10_000) == []
    assert codes(name, EXT4, name_max_bytes=10_000) == []


@given(_SAFE, st.sampled_from(list('"*:<>?\\|') + [chr(c) for c in range(1, 32)]), st.data())
def test_a_forbidden_character_anywhere_is_reported_on_exfat_only(
    name: str, bad: str, data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(name) - 1))
    named = name[:at] + bad + name[at:]
    assert C.NAME_INVALID_CHARS in codes(named, EXFAT, name_max_bytes=10_000)
    assert C.NAME_INVALID_CHARS not in codes(named, EXT4, name_max_bytes=10_000)


def test_a_backslash_is_shown_as_the_name_holds_it() -> None:
    """Failed before: ``contains '\\\\'`` (Python's repr, the backslash doubled)."""
    [problem] = [p for p in name_problems("a\\b.mov", EXFAT) if p.code is C.NAME_INVALID_CHARS]
    assert problem.detail == "contains '\\' (a backslash)"
    [problem] = [p for p in name_problems("a\x01b.mov", EXFAT) if p.code is C.NAME_INVALID_CHARS]
    assert problem.detail == "contains '\\x01'"  # a control character stays escaped


@pytest.mark.parametrize("name", ["clip.", "clip ", "clip. ", "..."])
def test_trailing_dot_or_space(name: str) -> None:
    assert C.NAME_TRAILING_DOT_OR_SPACE in codes(name, EXFAT)
    assert codes(name, EXT4) == []


def test_length_limits_in_bytes_and_utf16_units() -> None:
    assert codes("a" * 255, EXT4) == []
    assert codes("a" * 256, EXT4) == [C.NAME_TOO_LONG]
    cjk = "\u6620" * 200  # 600 bytes of UTF-8, 200 UTF-16 units: fine on exFAT (limit 1530 B)
    assert codes(cjk, EXFAT, name_max_bytes=1530) == []
    emoji = "\U0001f3ac" * 128  # 256 UTF-16 units (surrogate pairs)
    assert utf16_units(emoji) == 256
    assert codes(emoji, EXFAT, name_max_bytes=1530) == [C.NAME_TOO_LONG]
    assert codes(emoji, EXT4, name_max_bytes=1530) == []


def test_reserved_windows_names_and_non_utf8() -> None:
    for name in ("CON", "con.txt", "Lpt9.mov", "COM1 .x", "nul"):
        assert codes(name, EXFAT) == [C.NAME_RESERVED_WINDOWS], name
    for name in ("CONSOLE", "COM10", "xCON"):
        assert codes(name, EXFAT) == [], name
    assert codes("CON", EXT4) == []
    not_utf8 = os.fsdecode(b"clip-\xff")
    assert codes(not_utf8, EXT4) == [C.NAME_NOT_UTF8]
    assert codes(not_utf8, EXFAT) == [C.NAME_NOT_UTF8]


@given(_SAFE)
def test_names_equal_up_to_case_collide_on_case_insensitive_fs(name: str) -> None:
    other = collision_key(name, EXFAT)
    if other == name:
        other = name.swapcase()
    found = find_collisions([name, other], EXFAT)
    if name == other or collision_key(name, EXFAT) != collision_key(other, EXFAT):
        return
    assert [(c.code, c.is_error) for c in found] == [(C.NAME_CASE_COLLISION, True)]
    assert find_collisions([name, other], EXT4) == []


def test_collisions_case_and_normalisation() -> None:
    nfc, nfd = (unicodedata.normalize(f, "Caf\u00e9") for f in ("NFC", "NFD"))
    assert find_collisions(["clip.MOV", "CLIP.mov", "other"], EXT4) == []
    [case] = find_collisions(["clip.MOV", "CLIP.mov", "other"], EXFAT)
    assert case.names == ("clip.MOV", "CLIP.mov") and case.is_error
    assert find_collisions(["stra\u00dfe", "STRASSE"], EXFAT) == []  # simple up-case only
    # exFAT keeps NFC and NFD apart, macOS readers may not: a warning.
    [norm] = find_collisions([nfc, nfd], EXFAT)
    assert (norm.code, norm.is_error) == (C.NAME_NORMALISATION_COLLISION, False)
    # APFS/HFS+ fold normalisation: an error.
    [norm] = find_collisions([nfc, nfd], APFS)
    assert (norm.code, norm.is_error) == (C.NAME_NORMALISATION_COLLISION, True)
    assert find_collisions([nfc, nfd], EXT4) == []
    assert find_collisions(["a", "a"], EXFAT) == []


# --- mountinfo ----------------------------------------------------------------------------------

MOUNTINFO = b"""\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
60 27 8:17 / /media/dit/A\\040CARD rw,nosuid shared:40 - exfat /dev/sdb1 rw,iocharset=utf8
61 27 8:33 / /media/dit/RAID rw master:1 - fuseblk /dev/sdc1 rw,user_id=0
62 61 0:50 / /media/dit/RAID/scratch rw - tmpfs tmpfs rw,size=1024k
63 61 0:51 / /media/dit/RAID/scratch rw - vfat /dev/sdd1 rw
garbage line
"""


def test_parse_mountinfo_unescapes_and_skips_garbage() -> None:
    mounts = parse_mountinfo(MOUNTINFO)
    assert [(m.mount_point, m.fstype) for m in mounts] == [
        ("/proc", "proc"),
        ("/", "ext4"),
        ("/media/dit/A CARD", "exfat"),
        ("/media/dit/RAID", "fuseblk"),
        ("/media/dit/RAID/scratch", "tmpfs"),
        ("/media/dit/RAID/scratch", "vfat"),
    ]
    assert mounts[2].source == "/dev/sdb1"


def test_find_mount_longest_prefix_and_last_stacked() -> None:
    mounts = parse_mountinfo(MOUNTINFO)

    def fstype(path: str) -> str | None:
        found = find_mount(Path(path), mounts)
        return found.fstype if found else None

    assert fstype("/media/dit/A CARD/DCIM") == "exfat"
    assert fstype("/media/dit/RAID/day1") == "fuseblk"
    assert fstype("/media/dit/RAID/scratch/x") == "vfat"  # mounted over the tmpfs
    assert fstype("/media/dit/RAIDX") == "ext4"  # a prefix of the name is not a parent
    assert fstype("/home") == "ext4"


def test_detect_filesystem_on_a_real_path(tmp_path: Path) -> None:
    info = detect_filesystem(tmp_path / "not" / "yet")
    assert info.fstype != "unknown"
    assert info.mount_point is not None
    assert str(tmp_path).startswith(str(info.mount_point))


@root_mark("mounting a tmpfs")
def test_detect_filesystem_sees_a_real_tmpfs(tmp_path: Path) -> None:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=True)
    try:
        info = detect_filesystem(mnt / "sub")
        assert (info.fstype, info.mount_point) == ("tmpfs", mnt)
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_fuse_programs_serving_windows_filesystems_get_their_rules() -> None:
    """Failed before: fuse.fusefat (and fuse.lowntfs-3g) got POSIX rules."""
    for fstype in ("fuse.fusefat", "fuse.exfat", "fuse.vfat"):
        rules = rules_for_fstype(fstype)
        assert (rules.family, rules.symlinks) == (NameFamily.WINDOWS, False), fstype
    for fstype in ("fuse.ntfs-3g", "fuse.lowntfs-3g", "fuse.ntfs"):
        rules = rules_for_fstype(fstype)
        assert (rules.family, rules.symlinks) == (NameFamily.WINDOWS, True), fstype
    for fstype in ("fuse.sshfs", "fuse.faultyfs"):
        assert rules_for_fstype(fstype).family is NameFamily.POSIX, fstype


def test_a_fuseblk_mount_is_ruled_and_named_by_the_filesystem_on_its_device() -> None:
    from offload.plan.filesystem import FilesystemInfo

    exfat = FilesystemInfo("fuseblk", None, "/dev/sdb1", "exfat")
    assert (exfat.rules.symlinks, exfat.name) == (False, "exFAT (fuseblk)")
    ntfs = FilesystemInfo("fuseblk", None, "/dev/sdb1", "ntfs")
    assert (ntfs.rules.symlinks, ntfs.name) == (True, "NTFS (fuseblk)")
    unknown = FilesystemInfo("fuseblk", None, "/dev/sdb1")
    assert (unknown.rules.symlinks, unknown.name) == (None, "FUSE block filesystem (fuseblk)")
    assert FilesystemInfo("ext4").name == "ext4"


def _problems_as_before(name: str, rules: NameRules, name_max_bytes: int) -> list[NameProblem]:
    """``name_problems`` as it was before its fast path for printable ASCII (2026-12-02)."""
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
    # Each once, in the name's order (QA qanames67: sorted, "contains '影' '撮'").
    bad = list(
        dict.fromkeys(
            c
            for c in name
            if c in rules.forbidden_chars or (rules.forbid_control_chars and ord(c) < 0x20)
        )
    )
    if bad:
        # a backslash is shown as itself, named (since 2026-12-06), not as repr doubles it
        shown = " ".join("'\\' (a backslash)" if c == "\\" else repr(c) for c in bad)
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


_FSTYPES = ("ext4", "xfs", "exfat", "vfat", "ntfs", "fuseblk", "apfs", "hfsplus", "tmpfs", "nfs")


def _any_rules(
    max_name_utf16: int, **more: st.SearchStrategy[object]
) -> st.SearchStrategy[NameRules]:
    """Each filesystem's name rules, or any mix of the rules (a UTF-16 limit up to
    *max_name_utf16*, or none); *more*: strategies of further ``NameRules`` fields."""
    return st.sampled_from(_FSTYPES).map(rules_for_fstype) | st.builds(
        NameRules,
        family=st.sampled_from(list(NameFamily)),
        forbidden_chars=st.frozensets(st.sampled_from('"*/:<>?\\|a. \x01é')),
        forbid_control_chars=st.booleans(),
        forbid_trailing_dot_or_space=st.booleans(),
        max_name_utf16=st.none() | st.integers(min_value=0, max_value=max_name_utf16),
        **more,
    )


@settings(max_examples=600, deadline=None)
@given(
    name=st.text(
        alphabet=st.characters(max_codepoint=0x7F)
        | st.sampled_from(["é", "\udcff", "\U0001f600", "\x7f", "\x1f"]),
        max_size=300,
    )
    | st.sampled_from(["", ".", " ", "CON", "con.txt", "a.", "a ", "AUX ", "x" * 255, "x" * 256]),
    rules=_any_rules(max_name_utf16=300),
    name_max=st.sampled_from([NAME_MAX_BYTES, 255, 143, 12]),
)
def test_name_problems_are_the_definitions(name: str, rules: NameRules, name_max: int) -> None:
    """The fast path for printable ASCII gives the answer the checks give, for every rule
    set (each filesystem's, and any mix of the rules), length limit and name (quotes,
    reserved stems, control characters, trailing dots and spaces, bytes that are not
    UTF-8)."""
    expected = _problems_as_before(name, rules, name_max)
    assert name_problems(name, rules, name_max_bytes=name_max) == expected


def test_ascii_form_of_the_names_offload_chooses() -> None:
    """A report's or manifest's name on a destination that takes only ASCII (fusefat)."""
    from offload.plan.names import ascii_form

    assert ascii_form("A001") == "A001"
    assert ascii_form("Café") == "Cafe"
    assert ascii_form("Jour_é") == "Jour_e"
    assert ascii_form("カード") == "___"
    assert ascii_form("x\udce9y") == "x_y"  # a byte that was not UTF-8
    assert all(ascii_form(n).isascii() for n in ("ß", "Ø", "ﬁ", "\u0301"))


@given(st.text(min_size=1, max_size=40))
def test_a_name_offload_chooses_holds_nothing_its_drives_refuse(part: str) -> None:
    """The card's part of a report's name (``own_name_in``) under the rules of exFAT/NTFS
    and fusefat together: no character either refuses is left (each is ``_``), and a name
    POSIX takes as it is is left alone where only POSIX rules apply."""
    from offload.plan.names import own_name_in

    windows, fusefat = rules_for_fstype("exfat"), rules_for_fstype("fuse.fusefat")
    made = own_name_in(part, [windows, fusefat])
    assert made.isascii() and windows.forbidden_chars.isdisjoint(made), made
    assert own_name_in(part, [rules_for_fstype("ext4")]) == part
    assert own_name_in("W:12 ", [rules_for_fstype("fuseblk")]) == "W_12 "


# The card's names all at once (``preflight.names.names_all_fit``): trees of plain names,
# one of them at most odd (what a check names: a trailing dot or space, a character a rule
# forbids, a control character, one not ASCII or not UTF-8, a long or reserved name).
_PLAIN_NAME = st.text(alphabet="aZ09_-.", min_size=1, max_size=6)
_ODD_NAME = st.sampled_from(
    ["a.", "b ", "c:d", "e\\f", "g\x1f", "h\x7f", "é", "\udcff", "CON", "x" * 13, "x" * 143]
) | st.sampled_from(["x" * 255, "y" * 256])


def _tree_of(paths: list[list[str]], root: Path, links: int) -> SourceTree:
    """A scanned tree holding *paths* (each a list of names) as files, the folders above
    them, and the last *links* of them as symlinks instead."""
    texts = list(dict.fromkeys("/".join(parts) for parts in paths))
    folders = {text.rsplit("/", i)[0] for text in texts for i in range(1, text.count("/") + 1)}
    leaves = [text for text in texts if text not in folders]
    kept, linked = leaves[: len(leaves) - links], leaves[len(leaves) - links :]
    return SourceTree(
        root=root,
        root_is_file=False,
        files=tuple(SourceFile(f"{root}/{rel}", rel, 1, 0) for rel in kept),
        directories=tuple(sorted(folders)),
        symlinks=tuple(SourceSymlink(Path(root, rel), rel, "x", 0) for rel in linked),
        skipped=(),
        ignored=(),
    )


@settings(max_examples=400, deadline=None)
@given(
    paths=st.lists(st.lists(_PLAIN_NAME, min_size=1, max_size=4), min_size=1, max_size=8),
    odd=st.none() | _ODD_NAME,
    links=st.integers(min_value=0, max_value=2),
    rules=_any_rules(
        max_name_utf16=20,
        case_insensitive=st.booleans(),
        normalisation_insensitive=st.booleans(),
        symlinks=st.sampled_from([True, False, None]),
    ),
    name_max=st.sampled_from([255, 143, 12, 3]),
    creates_root=st.booleans(),
    root_name=st.sampled_from(["CARD", "A001.", "carte é", "r" * 20]),
    depth=st.sampled_from([0, 3900, 4080]),
)
def test_the_names_found_to_fit_at_once_are_those_no_check_refuses(
    paths: list[list[str]],
    odd: str | None,
    links: int,
    rules: NameRules,
    name_max: int,
    creates_root: bool,
    root_name: str,
    depth: int,
) -> None:
    """``names_all_fit`` says True only where the entry-by-entry checks find nothing: no
    name ``name_problems`` names (the copy root's included), no target over ``PATH_MAX``,
    no symlink the filesystem may not hold, no rules that fold names together; and it says
    True for a plain card on POSIX rules (it is used)."""
    destination = Path("/" + "d" * depth) if depth else Path("/media/shuttle")
    root = destination / root_name if creates_root else destination
    plan = DestinationPlan(0, destination, root, creates_root)
    if odd is not None:
        paths[0][-1] = odd
    tree = _tree_of(paths, Path("/card") / root_name, links)
    if not names_all_fit(tree, plan, rules, name_max):
        return
    names = {name for parts in paths for name in parts}
    if creates_root:
        names.add(root_name)
    assert all(name_problems(name, rules, name_max_bytes=name_max) == [] for name in names)
    rels = [*tree.directories, *(f.relative_path for f in tree.files)]
    rels += [link.relative_path for link in tree.symlinks]
    assert all(len(os.fsencode(plan.target_text(rel))) + 1 <= PATH_MAX_BYTES for rel in rels)
    assert not rules.case_insensitive and not rules.normalisation_insensitive
    assert not tree.symlinks or rules.symlinks is True


_POSIX = rules_for_fstype("ext4")


@pytest.mark.parametrize(
    ("odd", "rules", "name_max", "links", "destination"),
    [
        ("a.", NameRules(NameFamily.POSIX, forbid_trailing_dot_or_space=True), 255, 0, ""),
        ("b ", NameRules(NameFamily.POSIX, forbid_trailing_dot_or_space=True), 255, 0, ""),
        ("c:d", NameRules(NameFamily.POSIX, forbidden_chars=frozenset(":")), 255, 0, ""),
        ("g\x1f", NameRules(NameFamily.POSIX, forbid_control_chars=True), 255, 0, ""),
        ("\udcff", _POSIX, 255, 0, ""),  # not UTF-8
        ("é" * 200, _POSIX, 255, 0, ""),  # 200 characters, 400 bytes
        ("x" * 13, NameRules(NameFamily.POSIX, max_name_utf16=12), 255, 0, ""),
        ("x" * 13, _POSIX, 12, 0, ""),
        ("C1.MP4", NameRules(NameFamily.POSIX, case_insensitive=True), 255, 0, ""),
        ("C1.MP4", NameRules(NameFamily.POSIX, normalisation_insensitive=True), 255, 0, ""),
        ("C1.MP4", NameRules(NameFamily.WINDOWS), 255, 0, ""),
        ("C1.MP4", NameRules(NameFamily.POSIX, symlinks=None), 255, 1, ""),
        ("C1.MP4", NameRules(NameFamily.POSIX, symlinks=False), 255, 1, ""),
        ("C1.MP4", _POSIX, 255, 0, "/" + "d" * 4070),  # a target over PATH_MAX
    ],
)
def test_a_card_is_found_to_fit_at_once_unless_a_check_would_look(
    odd: str, rules: NameRules, name_max: int, links: int, destination: str
) -> None:
    """Each reason a name, a link or a target needs the entry-by-entry checks makes
    ``names_all_fit`` say False; the same card without it (plain names, POSIX rules, a
    short destination) is found to fit."""
    folder = Path(destination or "/media/shuttle")
    plan = DestinationPlan(0, folder, folder / "A001", True)
    plain = [["DCIM", "100MEDIA", f"C{i:05d}.MP4"] for i in range(3)]
    tree = _tree_of([*plain, ["DCIM", "100MEDIA", odd]], Path("/a"), links)
    assert not names_all_fit(tree, plan, rules, name_max)
    fine = DestinationPlan(0, Path("/media/shuttle"), Path("/media/shuttle/A"), True)
    assert names_all_fit(_tree_of(plain, Path("/a"), 0), fine, _POSIX, 255)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    paths=st.lists(st.lists(_PLAIN_NAME, min_size=1, max_size=3), min_size=1, max_size=6),
    odd=st.none() | _ODD_NAME,
    links=st.integers(min_value=0, max_value=1),
    fstype=st.sampled_from(_FSTYPES),
)
def test_check_names_finds_the_same_with_and_without_the_names_found_at_once(
    tmp_path: Path, paths: list[list[str]], odd: str | None, links: int, fstype: str
) -> None:
    """The preflight's findings on the names of a card are the same whether or not they
    are first looked at all at once (a destination folder that is there: a real
    ``pathconf``)."""
    plan = DestinationPlan(0, tmp_path, tmp_path / "CARD", True)
    if odd is not None:
        paths[0][-1] = odd
    tree = _tree_of(paths, Path("/card"), links)
    fs = FilesystemInfo(fstype)
    found = []
    for at_once in (names_all_fit, lambda *_: False):
        out = Findings()
        with patch.object(preflight_names, "names_all_fit", at_once):
            check_names(tree, plan, lambda: entries_of(tree), fs, out, name_headroom_bytes=0)
        found.append((out.errors, out.warnings))
    assert found[0] == found[1]


def test_a_copy_root_name_too_long_is_looked_at() -> None:
    """The copy root the run creates is a name the filesystem must take too: one longer
    than the limit, over a card whose paths are all within it, is no fit at once."""
    tree = _tree_of([["a", "b"]], Path("/card"), 0)
    for root, fits in (("A001", False), ("A01", True)):
        plan = DestinationPlan(0, Path("/media/shuttle"), Path("/media/shuttle", root), True)
        assert names_all_fit(tree, plan, _POSIX, 3) is fits


def test_a_combining_mark_a_drive_refuses_is_named_not_printed_bare() -> None:
    """A decomposed (NFD) name's accents are combining marks: printed bare in quotes
    ("contains '́' '̃'") each sits on the quote before it and nothing readable is left.
    Failed before: the line showed the bare marks."""
    from offload.plan.names import name_problems

    fusefat = rules_for_fstype("fuse.fusefat")
    decomposed = name_problems(unicodedata.normalize("NFD", "Señal_día.txt"), fusefat)
    assert [p.detail for p in decomposed] == [
        "contains U+0303 (COMBINING TILDE) U+0301 (COMBINING ACUTE ACCENT) (not ASCII: "
        "accents written apart from their letters, as a Mac writes names)"
    ]
    composed = name_problems(unicodedata.normalize("NFC", "Señal_día.txt"), fusefat)
    assert [p.detail for p in composed] == ["contains 'ñ' 'í' (not ASCII)"]


def test_the_characters_a_drive_refuses_are_named_in_the_name_s_order() -> None:
    """QA qanames67 (6): "'撮影.mov' contains '影' '撮'", the characters sorted by code point;
    each is named once, where it first stands in the name. Failed before (sorted)."""
    from offload.plan.names import name_problems

    fusefat = rules_for_fstype("fuse.fusefat")
    assert [p.detail for p in name_problems("撮影_撮.mov", fusefat)] == [
        "contains '撮' '影' (not ASCII)"
    ]
    exfat = rules_for_fstype("exfat")
    assert [p.detail for p in name_problems("b?a:c*?.mov", exfat)] == ["contains '?' ':' '*'"]
