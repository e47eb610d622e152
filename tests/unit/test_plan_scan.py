"""scan_source on real trees in tmp dirs: order, names, links, special files, errors, ignores."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offload.plan import IgnoreRules, ScanError, SpecialKind, scan_source
from offload.plan.ignore import HISTORY_TO_BE_CARRIED
from support.listings import act_after_listing, act_before_listing
from support.requirements import require_tool

NFC = unicodedata.normalize("NFC", "Caf\u00e9")
NFD = unicodedata.normalize("NFD", "Caf\u00e9")


def write(path: Path, data: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def rels(tree_files: object) -> list[str]:
    return [f.relative_path for f in tree_files]  # type: ignore[attr-defined]


def test_walk_order_is_by_name_bytes_per_level_and_repeatable(tmp_path: Path) -> None:
    src = tmp_path / "card"
    for rel in ["b", "a-b", "a/z", "a/b/c", "B", "_", "\u00e9", "e"]:
        write(src / rel, b"x")
    (src / "empty").mkdir()

    tree = scan_source(src)

    # Pre-order, each folder's entries sorted by bytes: "a/..." before "a-b" ("a" < "a-b").
    assert rels(tree.files) == ["B", "_", "a/b/c", "a/z", "a-b", "b", "e", "\u00e9"]
    assert tree.directories == ("a", "a/b", "empty")
    assert scan_source(src) == tree


def test_zero_byte_files_sizes_and_totals(tmp_path: Path) -> None:
    src = tmp_path / "card"
    write(src / "empty.bin")
    write(src / "one.bin", b"1")
    write(src / "sub" / "big.bin", b"x" * 100_000)

    tree = scan_source(src)

    sizes = {f.relative_path: f.size_bytes for f in tree.files}
    assert sizes == {"empty.bin": 0, "one.bin": 1, "sub/big.bin": 100_000}
    assert tree.total_bytes == 100_001
    assert (tree.file_count, tree.directory_count, tree.symlink_count) == (3, 1, 0)
    only = tree.files[0]
    assert only.path == src / "empty.bin"
    assert only.mtime_ns == os.lstat(src / "empty.bin").st_mtime_ns


def test_deep_tree_is_walked_without_recursion(tmp_path: Path) -> None:
    src = tmp_path / "card"
    depth = 1200  # deeper than Python's default recursion limit
    deep = src
    src.mkdir()
    for _ in range(depth):  # one by one: Path.mkdir(parents=True) itself recurses
        deep = deep / "d"
        deep.mkdir()
    write(deep / "clip.mov", b"abc")
    try:
        tree = scan_source(src)
    finally:
        # shutil.rmtree (and so pytest's tmp cleanup) recurses once per level: remove it here.
        (deep / "clip.mov").unlink()
        while deep != src:
            deep.rmdir()
            deep = deep.parent

    assert len(tree.directories) == depth
    assert rels(tree.files) == ["/".join(["d"] * depth) + "/clip.mov"]


def test_nfc_and_nfd_names_side_by_side_are_both_kept_exactly(tmp_path: Path) -> None:
    src = tmp_path / "card"
    write(src / NFC, b"nfc")
    write(src / NFD, b"nfd")

    tree = scan_source(src)

    names = rels(tree.files)
    assert sorted(names) == sorted([NFC, NFD]) and NFC != NFD
    assert {f.relative_path: f.path.read_bytes() for f in tree.files} == {NFC: b"nfc", NFD: b"nfd"}


def test_non_utf8_and_long_names_are_kept_as_the_filesystem_gives_them(tmp_path: Path) -> None:
    src = tmp_path / "card"
    src.mkdir()
    raw = b"clip-\xff\xfe.mov"
    fd = os.open(os.fsencode(src) + b"/" + raw, os.O_WRONLY | os.O_CREAT, 0o644)
    os.close(fd)
    long_name = "L" * 251 + ".mov"  # 255 bytes, the NAME_MAX limit
    write(src / long_name)

    tree = scan_source(src)

    assert [os.fsencode(n) for n in rels(tree.files)] == [os.fsencode(long_name), raw]


def test_symlinks_are_recorded_never_followed_and_classified(tmp_path: Path) -> None:
    src = tmp_path / "card"
    write(src / "CLIPS" / "a.mov", b"a")
    outside = tmp_path / "elsewhere"
    write(outside / "secret.bin", b"s" * 10)
    os.symlink("CLIPS/a.mov", src / "inside-rel")
    os.symlink("../card/CLIPS", src / "inside-via-parent")
    os.symlink("../elsewhere", src / "outside-rel")  # a folder: must not be descended
    os.symlink(str(src / "CLIPS" / "a.mov"), src / "absolute-into-source")
    os.symlink("missing-target", src / "dangling")
    os.symlink("outside-rel/secret.bin", src / "chained-outside")  # leaves through another link

    tree = scan_source(src)

    assert rels(tree.files) == ["CLIPS/a.mov"]
    assert tree.total_bytes == 1
    links = {link.relative_path: link.target for link in tree.symlinks}
    assert links == {
        "absolute-into-source": str(src / "CLIPS" / "a.mov"),
        "chained-outside": "outside-rel/secret.bin",
        "dangling": "missing-target",
        "inside-rel": "CLIPS/a.mov",
        "inside-via-parent": "../card/CLIPS",
        "outside-rel": "../elsewhere",
    }
    assert tree.outside_symlinks == {"absolute-into-source", "chained-outside", "outside-rel"}
    assert all(
        tree.points_outside(s) == (s.relative_path in tree.outside_symlinks) for s in tree.symlinks
    )


def test_symlink_root_is_followed(tmp_path: Path) -> None:
    src = tmp_path / "card"
    write(src / "a.mov", b"a")
    alias = tmp_path / "alias"
    os.symlink(src, alias)

    tree = scan_source(alias)

    assert tree.root == alias
    assert rels(tree.files) == ["a.mov"]


def test_fifo_is_skipped_with_an_entry(tmp_path: Path) -> None:
    src = tmp_path / "card"
    write(src / "a.mov")
    os.mkfifo(src / "pipe")

    tree = scan_source(src)  # must not block opening the fifo

    assert rels(tree.files) == ["a.mov"]
    assert [(s.relative_path, s.kind) for s in tree.skipped] == [("pipe", SpecialKind.FIFO)]


def test_single_file_source(tmp_path: Path) -> None:
    clip = write(tmp_path / "A001C001.mov", b"12345")

    tree = scan_source(clip)

    assert tree.root_is_file
    assert [(f.relative_path, f.size_bytes) for f in tree.files] == [("A001C001.mov", 5)]
    assert tree.directories == ()


def test_missing_root_raises_scan_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ScanError) as info:
        scan_source(tmp_path / "nope")
    assert info.value.errno == errno.ENOENT
    assert info.value.path == tmp_path / "nope"
    assert str(tmp_path / "nope") in str(info.value)


def test_special_file_root_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ScanError, match="fifo"):
        scan_source(tmp_path / "pipe")


# --- unreadable folders -------------------------------------------------------------------------
# As root, chmod 000 does not stop reads (CAP_DAC_OVERRIDE). The EACCES case is made real by
# scanning in a child process whose capability bounding set lacks DAC override (setpriv): the
# kernel itself refuses. Where setpriv is missing and we are root, that test skips.

_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from offload.plan import ScanError, scan_source
    try:
        scan_source(Path(sys.argv[1]))
    except ScanError as exc:
        print(json.dumps({"errno": exc.errno, "path": str(exc.path), "op": exc.operation}))
    else:
        print(json.dumps(None))
    """
)


def _scan_without_dac_override(src: Path) -> object:
    cmd = [sys.executable, "-c", _CHILD, str(src)]
    if os.geteuid() == 0:
        setpriv = require_tool("setpriv")  # root ignores permission bits without it
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def test_unreadable_folder_raises_eacces_naming_it(tmp_path: Path) -> None:
    src = tmp_path / "card"
    write(src / "A" / "a.mov")
    locked = src / "B"
    write(locked / "b.mov")
    locked.chmod(0)
    try:
        result = _scan_without_dac_override(src)
    finally:
        locked.chmod(0o755)
    assert result == {"errno": errno.EACCES, "path": str(locked), "op": "list folder"}


def test_folder_vanishing_mid_walk_is_an_error_not_an_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The card "dies" between listing the root and opening CLIPS: the folder is really removed,
    # and the real os.scandir then really fails. The wrapper only chooses the moment.
    src = tmp_path / "card"
    write(src / "CLIPS" / "a.mov")

    def dying(folder: Path) -> None:
        if folder == src / "CLIPS":
            shutil.rmtree(src / "CLIPS")

    act_before_listing(monkeypatch, dying)
    with pytest.raises(ScanError) as info:
        scan_source(src)
    assert info.value.errno == errno.ENOENT
    assert info.value.path == src / "CLIPS"
    assert info.value.operation == "list folder"


def test_file_vanishing_between_listing_and_lstat_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "card"
    write(src / "a.mov")
    act_after_listing(monkeypatch, lambda _: (src / "a.mov").unlink())
    with pytest.raises(ScanError) as info:
        scan_source(src)
    assert (info.value.errno, info.value.path, info.value.operation) == (
        errno.ENOENT,
        src / "a.mov",
        "lstat",
    )


# --- ignore rules -------------------------------------------------------------------------------


def _junk_card(src: Path) -> None:
    for rel in [
        "CLIPS/A001.mov",
        "CLIPS/._A001.mov",
        "CLIPS/.DS_Store",
        ".DS_Store",
        ".Spotlight-V100/Store-V2/x",
        ".fseventsd/fseventsd-uuid",
        ".Trashes/501/deleted.mov",
        "System Volume Information/IndexerVolumeGuid",
        "$RECYCLE.BIN/desktop.ini",
        "Thumbs.db",
        ".hidden-camera-file",
        "ascmhl/0001_card.mhl",
        "CLIPS/ascmhl/0001_CLIPS.mhl",
        "CLIPS/take.tmp",
    ]:
        write(src / rel, b"j")


def test_default_ignores_os_junk_but_not_hidden_files_in_general(tmp_path: Path) -> None:
    src = tmp_path / "card"
    _junk_card(src)

    tree = scan_source(src)

    assert rels(tree.files) == [
        ".hidden-camera-file",
        "CLIPS/A001.mov",
        "CLIPS/ascmhl/0001_CLIPS.mhl",
        "CLIPS/take.tmp",
        "ascmhl/0001_card.mhl",
    ]
    assert tree.directories == ("CLIPS", "CLIPS/ascmhl", "ascmhl")
    assert tree.ignored == (
        "$RECYCLE.BIN",
        ".DS_Store",
        ".Spotlight-V100",
        ".Trashes",
        ".fseventsd",
        "CLIPS/.DS_Store",
        "CLIPS/._A001.mov",
        "System Volume Information",
        "Thumbs.db",
    )


def test_root_ascmhl_flag_excludes_only_the_root_history(tmp_path: Path) -> None:
    src = tmp_path / "card"
    _junk_card(src)

    tree = scan_source(src, ignore=IgnoreRules.default(exclude_root_ascmhl=True))

    assert "ascmhl" in tree.ignored
    assert "CLIPS/ascmhl/0001_CLIPS.mhl" in rels(tree.files)
    assert not any(r.startswith("ascmhl/") for r in rels(tree.files))


def test_patterns_can_be_added_or_replaced(tmp_path: Path) -> None:
    src = tmp_path / "card"
    _junk_card(src)

    added = scan_source(src, ignore=IgnoreRules.default().adding(["CLIPS/*.tmp"]))
    assert "CLIPS/take.tmp" in added.ignored
    assert ".DS_Store" in added.ignored

    replaced = scan_source(src, ignore=IgnoreRules.default().replacing(["**/ascmhl/"]))
    assert replaced.ignored == ("CLIPS/ascmhl", "ascmhl")
    assert ".DS_Store" in rels(replaced.files)

    nothing = scan_source(src, ignore=IgnoreRules.none())
    assert nothing.ignored == ()
    assert len(nothing.files) == 14


def test_pattern_semantics() -> None:
    rules = IgnoreRules.none().adding(["*.tmp", "CLIPS/*", "/top/", "a/**/z"])
    assert rules.matches("deep/x.tmp", is_dir=False)
    assert rules.matches("CLIPS/a.mov", is_dir=False)
    assert not rules.matches("CLIPS/sub/a.mov", is_dir=False)  # "*" stays in one segment
    assert rules.matches("top", is_dir=True)
    assert not rules.matches("top", is_dir=False)  # trailing "/" = folders only
    assert not rules.matches("x/top", is_dir=True)  # patterns with "/" are anchored at the root
    assert rules.matches("a/z", is_dir=False) and rules.matches("a/b/c/z", is_dir=False)
    assert not IgnoreRules.default().matches(".ds_store", is_dir=False)  # case-sensitive
    with pytest.raises(ValueError):
        IgnoreRules(("",))
    with pytest.raises(ValueError):
        IgnoreRules(("a//b",))


def test_an_ignored_root_name_is_still_scanned(tmp_path: Path) -> None:
    src = tmp_path / "Thumbs.db"
    write(src, b"not junk here")
    assert rels(scan_source(src).files) == ["Thumbs.db"]


# --- property: whatever the names, they come back exactly, in byte order ------------------------

_NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=40,
).filter(lambda n: n not in (".", "..") and len(os.fsencode(n)) <= 255)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(_NAME, min_size=1, max_size=8))
def test_any_names_come_back_exactly_in_byte_order(names: set[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "card"
        src.mkdir()
        for name in names:
            (src / name).write_bytes(b"")
        tree = scan_source(src, ignore=IgnoreRules.none())
    assert rels(tree.files) == sorted(names, key=os.fsencode)


def test_a_trailing_double_star_also_matches_the_folder_itself() -> None:
    rules = IgnoreRules.none().adding(["CLIPS/**", "x/**/"])
    assert rules.matches("CLIPS", is_dir=True) and rules.matches("CLIPS/a/b.mov", is_dir=False)
    assert rules.matches("x", is_dir=True) and not rules.matches("x", is_dir=False)
    assert (
        rules.why("CLIPS", history_fate=HISTORY_TO_BE_CARRIED) == "matches ignore pattern CLIPS/**"
    )
    assert IgnoreRules.none().adding(["*"]).matches("any/thing", is_dir=False)


def test_offload_ais_own_entries_on_a_source_say_why_they_are_left_out() -> None:
    """A source that is itself a copy root (a drive's copy offloaded again) holds our state:
    before, its entry read "matches ignore pattern /.offload/", as if the user had given it."""
    from offload.ledger import TOOL_IGNORE_PATTERNS
    from offload.plan.ignore import TOOL_IGNORE_REASONS

    assert tuple(TOOL_IGNORE_REASONS) == TOOL_IGNORE_PATTERNS
    rules = IgnoreRules.default().adding(TOOL_IGNORE_PATTERNS)
    assert rules.why(".offload", history_fate=HISTORY_TO_BE_CARRIED).startswith(
        "/.offload/: offload-ai's own state"
    )
    assert rules.why(
        "CLIPS/.offload-partial.1.A.mov", history_fate=HISTORY_TO_BE_CARRIED
    ).startswith(".offload-partial.*: a partial")
    assert (
        rules.adding(["*.LRF"]).why("A.LRF", history_fate=HISTORY_TO_BE_CARRIED)
        == "matches ignore pattern *.LRF"
    )


def test_macos_versions_and_linux_trash_are_os_junk(tmp_path: Path) -> None:
    """macOS keeps a store of document versions on a volume it mounts (HFS+/APFS recorder
    drives): copied, it made the card's manifests differ per computer that mounted it. A
    Linux desktop moves a clip deleted on the card to .Trash-<uid>/: it was copied, and
    reported as a clip of the card."""
    src = tmp_path / "card"
    write(src / ".DocumentRevisions-V100/db-V1/db.sqlite", b"j")
    write(src / ".Trash-1000/files/A001_C002.braw", b"deleted")
    write(src / ".Trash-1000/info/A001_C002.braw.trashinfo", b"j")
    write(src / "A001_C001.braw", b"clip")
    tree = scan_source(src)
    assert rels(tree.files) == ["A001_C001.braw"]
    assert tree.ignored == (".DocumentRevisions-V100", ".Trash-1000")
    assert "document versions" in IgnoreRules.default().why(
        ".DocumentRevisions-V100", history_fate=HISTORY_TO_BE_CARRIED
    )
    assert "files the user deleted" in IgnoreRules.default().why(
        ".Trash-1000", history_fate=HISTORY_TO_BE_CARRIED
    )


def test_lost_and_found_is_ignored_at_the_root_only(tmp_path: Path) -> None:
    """fsck's lost+found at the root of an ext4 drive is not the card's content (and is
    readable only by root); a folder of that name deeper in the card is the card's."""
    src = tmp_path / "card"
    write(src / "lost+found/#12345", b"a fragment fsck recovered")
    write(src / "CLIPS/lost+found/A001.mov", b"the card's own folder of that name")
    tree = scan_source(src)
    assert rels(tree.files) == ["CLIPS/lost+found/A001.mov"]
    assert tree.ignored == ("lost+found",)
    assert "filesystem check" in IgnoreRules.default().why(
        "lost+found", history_fate=HISTORY_TO_BE_CARRIED
    )


def test_an_ignore_pattern_typed_composed_leaves_out_a_decomposed_name(tmp_path: Path) -> None:
    """A name a Mac wrote decomposed (NFD) looks the same as the one a keyboard types
    (composed, NFC): ``--ignore`` as typed must leave it out, in either spelling. Failed
    before: the pattern matched the bytes typed only, so the file was still scanned (and the
    preflight that had named it refused the card again, the same line)."""
    src = tmp_path / "card"
    decomposed = unicodedata.normalize("NFD", "Señal_día.txt")
    composed = unicodedata.normalize("NFC", "Señal_día.txt")
    write(src / "NOTES" / decomposed, b"d")
    write(src / "NOTES" / "Cafe.txt", b"c")
    write(src / unicodedata.normalize("NFC", "Élan") / "a.mov", b"a")

    typed = IgnoreRules.default().adding(
        [f"/NOTES/{composed}", unicodedata.normalize("NFD", "/Élan/")]
    )
    tree = scan_source(src, ignore=typed)

    assert rels(tree.files) == ["NOTES/Cafe.txt"]
    assert set(tree.ignored) == {f"NOTES/{decomposed}", unicodedata.normalize("NFC", "Élan")}
    assert (
        typed.why(f"NOTES/{decomposed}", history_fate=HISTORY_TO_BE_CARRIED)
        == f"matches ignore pattern /NOTES/{composed}"
    )
    # a pattern already in one spelling only is unchanged, and "!" keeps its place
    again = IgnoreRules.none().adding(["*.txt", f"!{composed}"])
    assert not again.matches(decomposed, is_dir=False)
    assert again.matches("Cafe.txt", is_dir=False)
