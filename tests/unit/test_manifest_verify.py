"""verify_tree: ok / changed / missing / extra against a history or a legacy MHL."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from offload.manifest import (
    CreatorInfo,
    HistoryError,
    ManifestFile,
    read_history,
    verify_tree,
    write_generation,
    write_legacy_mhl,
)
from offload.manifest.verify import hash_file_plain
from tests.unit.test_manifest_writer import digests_of

CREATOR = CreatorInfo(tool_version="0.1.0", hostname="host")
T1 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
T2 = datetime(2024, 5, 1, 11, 0, 0, tzinfo=UTC)
NS = "{urn:ASC:MHL:v2.0}"
TREE = {"Clips/a.mov": b"alpha", "Clips/b.mov": b"bravo", "c.txt": b"charlie", "d.txt": b"d"}


def build(root: Path, formats: tuple[str, ...] = ("xxh64", "md5")) -> Path:
    entries = []
    for rel, data in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stat = path.stat()
        entries.append(
            ManifestFile(rel, stat.st_size, stat.st_mtime_ns, digests_of(data, formats), T1)
        )
    return write_generation(root, entries, directories=["Clips"], creator=CREATOR, now=lambda: T1)


def test_intact_tree_passes(tmp_path: Path) -> None:
    build(tmp_path)
    (tmp_path / ".DS_Store").write_bytes(b"finder")
    report = verify_tree(tmp_path)
    assert report.passed and report.reference == "ascmhl"
    assert report.verified == tuple(sorted(TREE))


def test_changed_missing_and_extra_are_reported(tmp_path: Path) -> None:
    build(tmp_path)
    data = bytearray((tmp_path / "Clips/a.mov").read_bytes())
    data[0] ^= 1
    (tmp_path / "Clips/a.mov").write_bytes(bytes(data))
    (tmp_path / "c.txt").write_bytes(b"charlie!")
    (tmp_path / "d.txt").unlink()
    (tmp_path / "new.bin").write_bytes(b"n")
    report = verify_tree(tmp_path)
    assert not report.passed
    assert report.verified == ("Clips/b.mov",)
    assert [(c.path, c.reason) for c in report.changed] == [
        ("Clips/a.mov", "hash"),
        ("c.txt", "size"),
    ]
    changed = report.changed[0]
    assert changed.expected == {
        "md5": digests_of(b"alpha")["md5"],
        "xxh64": digests_of(b"alpha")["xxh64"],
    }
    assert changed.actual["xxh64"] == digests_of(bytes(data))["xxh64"]
    assert report.missing == ("d.txt",)
    assert report.extra == ("new.bin",)


def test_injected_hasher_and_format_selection(tmp_path: Path) -> None:
    build(tmp_path)
    calls: list[tuple[str, tuple[str, ...]]] = []

    def spy(path: Path, formats: Sequence[str]) -> dict[str, str]:
        calls.append((path.name, tuple(formats)))
        return hash_file_plain(path, formats)

    report = verify_tree(tmp_path, hash_file=spy, formats=["xxh64be"])
    assert report.passed
    assert {formats for _, formats in calls} == {("xxh64",)}


def test_append_generation_records_the_check(tmp_path: Path) -> None:
    build(tmp_path)
    (tmp_path / "c.txt").write_bytes(b"CHARLIE")  # same size, other bytes
    (tmp_path / "extra.bin").write_bytes(b"e")
    (tmp_path / "Empty").mkdir()
    report = verify_tree(tmp_path, append_generation=True, creator=CREATOR, now=lambda: T2)
    assert report.generation is not None and report.generation.name.startswith("0002_")
    document = ET.parse(report.generation).getroot()
    assert document.findtext(f"{NS}processinfo/{NS}process") == "in-place"
    found = {
        h.findtext(f"{NS}path"): {c.tag.removeprefix(NS): c.get("action") for c in h}
        for h in document.iter(f"{NS}hash")
    }
    assert found["Clips/a.mov"] == {"path": None, "md5": "verified", "xxh64": "verified"}
    assert found["c.txt"] == {"path": None, "md5": "failed", "xxh64": "failed"}
    assert found["extra.bin"] == {"path": None, "md5": "original", "xxh64": "original"}
    assert "Empty" in {d.path for d in read_history(tmp_path).generations[1].directories}


def test_no_history_or_an_empty_nested_history_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError):
        verify_tree(tmp_path)
    build(tmp_path)
    (tmp_path / "Clips" / "ascmhl").mkdir()
    # a nested history is checked on its own (see test_manifest_truth); an empty one is none
    with pytest.raises(HistoryError, match="Clips"):
        verify_tree(tmp_path)


def test_append_generation_needs_a_creator(tmp_path: Path) -> None:
    build(tmp_path)
    with pytest.raises(ValueError, match="creator"):
        verify_tree(tmp_path, append_generation=True)


def test_verify_against_a_legacy_mhl(tmp_path: Path) -> None:
    root = tmp_path / "card"
    entries = []
    for rel, data in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        entries.append(ManifestFile(rel, len(data), 0, digests_of(data, ("xxh64",)), T1))
    legacy = write_legacy_mhl(root, entries, creator=CREATOR, now=lambda: T1)
    report = verify_tree(root, legacy_mhl=legacy)
    assert report.passed and report.reference == "legacy"
    assert report.verified == tuple(sorted(TREE))

    (root / "Clips/b.mov").write_bytes(b"BRAVO")
    os.remove(root / "d.txt")
    (root / "more.bin").write_bytes(b"m")
    report = verify_tree(root, legacy_mhl=legacy)
    assert [c.path for c in report.changed] == ["Clips/b.mov"]
    assert report.missing == ("d.txt",) and report.extra == ("more.bin",)

    with pytest.raises(ValueError, match="legacy"):
        verify_tree(root, legacy_mhl=legacy, append_generation=True, creator=CREATOR)


def test_legacy_mhl_in_a_subfolder_is_resolved_against_its_folder(tmp_path: Path) -> None:
    card = tmp_path / "day" / "card"
    card.mkdir(parents=True)
    (card / "a.mov").write_bytes(b"a")
    legacy = write_legacy_mhl(
        card,
        [ManifestFile("a.mov", 1, 0, digests_of(b"a", ("md5",)), T1)],
        creator=CREATOR,
        now=lambda: T1,
    )
    report = verify_tree(tmp_path / "day", legacy_mhl=legacy)
    assert report.verified == ("card/a.mov",) and report.passed


def test_unreadable_file_is_reported_and_the_check_goes_on(tmp_path: Path) -> None:
    build(tmp_path)

    def flaky(path: Path, formats: Sequence[str]) -> dict[str, str]:
        if path.name == "b.mov":
            raise OSError(5, "Input/output error")
        return hash_file_plain(path, formats)

    report = verify_tree(
        tmp_path, hash_file=flaky, append_generation=True, creator=CREATOR, now=lambda: T2
    )
    assert report.unreadable == ("Clips/b.mov",) and not report.passed
    assert report.verified == ("Clips/a.mov", "c.txt", "d.txt")
    assert report.generation is None  # the folder of b.mov cannot be hashed
    # and the check says so, where --append asked for one (before: nothing said it)
    assert report.notes == (
        "no ASC MHL generation appended (--append): 1 file could not be read, and a "
        "generation without it would record this check in part; the history is as it "
        "was; run the check again once it can be read",
    )
    assert verify_tree(tmp_path, hash_file=flaky).notes == ()


def test_a_nested_historys_link_is_judged_from_the_copy_root(tmp_path: Path) -> None:
    """A link in a nested history's folder reaching a file of the copy root outside that
    folder holds the copy's bytes: read through and verified, as before (a link is "outside"
    only past the copy root, not past the nested history's folder)."""
    data = b"top of the copy"
    (tmp_path / "top.mov").write_bytes(data)
    top = ManifestFile("top.mov", len(data), 0, digests_of(data, ("xxh64",)), T1)
    write_generation(tmp_path, [top], creator=CREATOR, now=lambda: T1)
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "ref.mov").symlink_to("../top.mov")
    (inner / "out.mov").symlink_to(tmp_path / "top.mov")  # absolute: never followed
    linked = [
        ManifestFile(name, len(data), 0, digests_of(data, ("xxh64",)), T1)
        for name in ("ref.mov", "out.mov")
    ]
    write_generation(inner, linked, creator=CREATOR, now=lambda: T1)

    report = verify_tree(tmp_path)

    assert report.nested == ("inner",)
    assert report.verified == ("inner/ref.mov", "top.mov")
    assert report.missing == ("inner/out.mov",) and report.outside == ("inner/out.mov",)


def test_the_callers_own_link_is_left_out_of_the_check(tmp_path: Path) -> None:
    """A link the caller made in the tree (the S3 verify's link to a local legacy MHL at its
    mirror's top) is not an entry of the copy: a legacy MHL that lists that name finds it
    missing, not a link out of the copy. Any other link out of the copy stays judged."""
    root = tmp_path / "mirror"
    root.mkdir()
    (root / "a.mov").write_bytes(b"a")
    listed = [
        ManifestFile(name, 1, 0, digests_of(b"a", ("md5",)), T1) for name in ("a.mov", "theirs.mhl")
    ]
    local = write_legacy_mhl(tmp_path, listed, creator=CREATOR, now=lambda: T1)
    link = root / "theirs.mhl"
    link.symlink_to(local)

    report = verify_tree(root, legacy_mhl=link, own_links=[link])
    assert report.verified == ("a.mov",) and report.missing == ("theirs.mhl",)
    assert report.outside == () and report.extra == ()

    judged = verify_tree(root, legacy_mhl=link)  # a user's link: judged
    assert judged.missing == ("theirs.mhl",) and judged.outside == ("theirs.mhl",)


def test_an_appended_generation_ignores_no_link_whose_pattern_would_hide_a_recorded_path(
    tmp_path: Path,
) -> None:
    """A dangling ``a.mov`` at the root: its exact pattern (``**/a.mov``) would also hide the
    recorded ``Clips/a.mov`` from ascmhl and from later checks, so the appended generation
    leaves that link unignored; a dangling link elsewhere is ignored by its own pattern."""
    build(tmp_path)
    (tmp_path / "a.mov").symlink_to("nowhere.mov")
    (tmp_path / "Clips" / "gone.mov").symlink_to("nowhere.mov")

    report = verify_tree(tmp_path, append_generation=True, creator=CREATOR, now=lambda: T2)

    assert report.dangling == ("Clips/gone.mov", "a.mov") and report.passed
    patterns = read_history(tmp_path).latest_ignore_patterns() or ()
    assert "**/Clips/gone.mov" in patterns and "**/a.mov" not in patterns, patterns
    again = verify_tree(tmp_path)
    assert "Clips/a.mov" in again.verified and again.dangling == ("a.mov",)


def test_a_direct_caller_gets_the_reasons_of_what_stands_at_a_missing_name(
    tmp_path: Path,
) -> None:
    """``verify_tree`` (the library's check, without ``offload verify``) says what stands
    at a missing file's name, nested histories and a legacy MHL included: the reasons are
    part of what the check returns, whoever calls it. Failed before: only
    ``verification.verify_path`` filled ``reasons``; a direct caller got none."""
    build(tmp_path)
    build(tmp_path / "Nested")
    for root in (tmp_path, tmp_path / "Nested"):
        (root / "c.txt").unlink()
        (root / "c.txt").mkdir()  # a folder at a recorded file's name
    for name in TREE:
        if name.startswith("Clips/"):
            (tmp_path / name).unlink()
    (tmp_path / "Clips").rmdir()
    (tmp_path / "Clips").write_bytes(b"")  # the recorded files' folder, now a file

    report = verify_tree(tmp_path)

    assert report.missing == ("Clips/a.mov", "Clips/b.mov", "Nested/c.txt", "c.txt")
    assert {path: why.code for path, why in report.reasons.items()} == {
        "Clips/a.mov": "file-above",
        "Clips/b.mov": "file-above",
        "Nested/c.txt": "folder",
        "c.txt": "folder",
    }
    assert "a folder stands at its name" in report.reasons["c.txt"].text

    legacy = write_legacy_mhl(
        tmp_path / "Nested",
        [ManifestFile("c.txt", 7, 0, digests_of(b"charlie", ("md5",)), T1)],
        creator=CREATOR,
        now=lambda: T1,
    )
    against_legacy = verify_tree(tmp_path / "Nested", legacy_mhl=legacy)
    assert against_legacy.missing == ("c.txt",)
    assert against_legacy.reasons["c.txt"].code == "folder"


def test_a_cancel_in_a_nested_history_keeps_what_was_proved_before(tmp_path: Path) -> None:
    """A cancel (the KeyboardInterrupt ``offload verify``'s signal handler raises in the
    thread that reads) during the second file of a nested history: the copy root's file and
    the nested history's first file, read and matched, stay verified; the file being read and
    the one after it are cancelled, with their paths from the copy root; nothing is called
    missing or new. Failed before: a bare KeyboardInterrupt, every result lost."""
    from offload.manifest.verify import CheckCancelled

    top = ManifestFile("top.mov", 3, 0, digests_of(b"top", ("xxh64",)), T1)
    (tmp_path / "top.mov").write_bytes(b"top")
    write_generation(tmp_path, [top], creator=CREATOR, now=lambda: T1)
    inner = tmp_path / "inner"
    inner.mkdir()
    files = []
    for name in ("a.mov", "b.mov", "c.mov"):
        (inner / name).write_bytes(name.encode())
        files.append(ManifestFile(name, 5, 0, digests_of(name.encode(), ("xxh64",)), T1))
    write_generation(inner, files, creator=CREATOR, now=lambda: T1)
    read: list[str] = []

    def cancelled_at_b(path: Path, formats: Sequence[str]) -> dict[str, str]:
        if path.name == "b.mov":
            raise KeyboardInterrupt
        read.append(path.name)
        return hash_file_plain(path, formats)

    with pytest.raises(CheckCancelled) as raised:
        verify_tree(tmp_path, hash_file=cancelled_at_b)

    report = raised.value.report
    assert read == ["top.mov", "a.mov"]
    assert report.verified == ("inner/a.mov", "top.mov")
    assert report.cancelled == ("inner/b.mov", "inner/c.mov")
    assert report.missing == report.extra == report.changed == ()
    assert report.nested == ("inner",) and not report.passed


def test_append_names_a_link_whose_name_no_pattern_can_hold(tmp_path: Path) -> None:
    """A dangling link whose name holds a control character XML cannot hold gets no ignore
    pattern (the list is XML too): the note names it and why, as offload copy's warning
    does; a dangling link of a plain name gets its pattern and no note. Before, the first
    was left out unsaid (ascmhl then calls it new)."""
    build(tmp_path)
    (tmp_path / "Clips" / "odd\x01.mov").symlink_to("nothing-here.mov")
    (tmp_path / "Clips" / "gone.mov").symlink_to("nothing-here.mov")

    report = verify_tree(tmp_path, append_generation=True, creator=CREATOR, now=lambda: T2)

    assert report.generation is not None and report.passed
    assert "**/Clips/gone.mov" in (read_history(tmp_path).latest_ignore_patterns() or ())
    assert report.notes == (
        f"symlink Clips/odd\\x01.mov on {tmp_path} is not ignored by the appended ASC MHL "
        "generation: its name holds the control character \\x01, which an XML manifest "
        "cannot hold; ascmhl will list it as a new file",
    )
