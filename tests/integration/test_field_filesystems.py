"""Names and devices on the filesystems of the field, as an acceptance pass met them on real
loop devices: NTFS (ntfs-3g) and exFAT (exfat-fuse), both ``fuseblk``; FAT through fusefat
(``fuse.fusefat``); btrfs, whose ``st_dev`` is on no disk. Each test runs the real CLI in a
subprocess on a real mount, and failed before its fix (said in its docstring)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from offload.fs.devices import block_device_of
from support.mounts import without_device
from support.pfn import other_lines
from support.shell_words import WORD, bash_word

CLI = [sys.executable, "-m", "offload.cli.offload"]


def run(
    *args: str | Path, prefix: list[str] | None = None, cli: bool = True
) -> subprocess.CompletedProcess[str]:
    """*args* run as ``offload`` (after *prefix*), or as *prefix* alone with *cli* False."""
    return subprocess.run(
        [*(prefix or []), *(CLI if cli else []), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def newest_report(folder: Path) -> dict[str, Any]:
    reports = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    return json.loads(reports[-1].read_text())


# -- a card name beside an existing destination entry of another case -----------------------


@pytest.mark.parametrize("kind", ["ntfs", "exfat"])
def test_a_card_file_beside_an_existing_name_of_other_case_is_refused_up_front(
    tmp_path: Path, kind: str, ntfs_loop: Any, exfat_loop: Any
) -> None:
    """Failed before: on NTFS the folder then held CLIP.MOV and clip.mov ("1 verified now"),
    one name to Windows; on exFAT the copy failed late with "clip.mov already exists"."""
    disk = (ntfs_loop if kind == "ntfs" else exfat_loop)(32 << 20)
    write(disk.path / "R2" / "CLIP.MOV", b"other\n")
    card = tmp_path / "card"
    write(card / "R2" / "clip.mov", b"the card's clip\n")
    result = run("copy", card / "R2", disk.path, "--report-dir", tmp_path / "reports")
    assert result.returncode == 64, result.stdout + result.stderr
    err = result.stderr
    assert f"{disk.path / 'R2' / 'clip.mov'} would be written where " in err, err
    assert f"{disk.path / 'R2' / 'CLIP.MOV'} already is" in err
    assert "differ only by case" in err and f"rename or move {disk.path / 'R2' / 'CLIP.MOV'}" in err
    assert "nothing was copied" in err
    assert sorted(os.listdir(disk.path / "R2")) == ["CLIP.MOV"]
    assert (disk.path / "R2" / "CLIP.MOV").read_bytes() == b"other\n"


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("ntfs", "Windows and macOS will see them as one name"),
        ("exfat", "they will become one entry"),
    ],
)
def test_a_case_pair_of_the_card_is_refused_in_the_words_true_of_its_filesystem(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str, outcome: str
) -> None:
    """Failed before on NTFS: "they will become one entry", which ntfs-3g does not do (it
    keeps both names apart, as the copy written there with --ignore left out shows); the
    drive's readers on Windows and macOS see one name. exFAT does take them for one."""
    disk = request.getfixturevalue(f"{kind}_loop")(32 << 20)
    card = tmp_path / "card"
    write(card / "DCIM" / "CLIP.MOV", b"one\n")
    write(card / "DCIM" / "clip.mov", b"two\n")
    result = run("copy", card, disk.path, "--report-dir", tmp_path / "reports")
    assert result.returncode == 64, result.stdout + result.stderr
    said = " ".join(result.stderr.split())
    assert f"'CLIP.MOV', 'clip.mov' differ only by case: in {disk.path / 'card' / 'DCIM'}" in said
    assert f"{outcome};" in said, said
    assert ("become one entry" in said) is (kind == "exfat"), said
    if kind == "ntfs":  # what ntfs-3g does with the two names: keeps both
        (disk.path / "x").mkdir()
        (disk.path / "x" / "CLIP.MOV").write_bytes(b"one\n")
        (disk.path / "x" / "clip.mov").write_bytes(b"two\n")
        assert sorted(os.listdir(disk.path / "x")) == ["CLIP.MOV", "clip.mov"]


def test_a_copy_root_folder_of_other_case_is_refused_too(tmp_path: Path, ntfs_loop: Any) -> None:
    """Failed before: the card's folder A001 was made beside an existing a001 on NTFS."""
    disk = ntfs_loop(32 << 20)
    (disk.path / "a001").mkdir()
    card = tmp_path / "A001"
    write(card / "clip.mov", b"x" * 100)
    result = run("copy", card, disk.path, "--report-dir", tmp_path / "reports")
    assert result.returncode == 64, result.stderr
    assert f"{disk.path / 'A001'} would be written where {disk.path / 'a001'} already is" in (
        result.stderr
    )
    assert os.listdir(disk.path) == ["a001"]


def test_the_same_name_already_there_is_no_twin(tmp_path: Path, exfat_loop: Any) -> None:
    """The control: a second offload of the same card into the same exFAT folder finds its
    own names there (equal, not twins) and trusts its ledger."""
    disk = exfat_loop(32 << 20)
    card = tmp_path / "card"
    write(card / "R2" / "clip.mov", b"the card's clip\n")
    first = run("copy", card / "R2", disk.path, "--report-dir", tmp_path / "reports")
    assert first.returncode == 0, first.stderr
    again = run("copy", card / "R2", disk.path, "--report-dir", tmp_path / "reports")
    assert again.returncode == 0, again.stderr
    assert "would be written where" not in again.stderr


def test_a_card_entry_named_as_our_own_in_another_case_is_refused_on_exfat(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: the card's ``.OFFLOAD/ledger.jsonl`` and ``ASCMHL/notes.txt`` went into
    offload-ai's own ``.offload/`` and ``ascmhl/`` on exFAT (one name there): "3 verified
    now", exit 0, then the ledger took the card's file's place (``offload verify``: MISSING,
    exit 10) and ``ascmhl-debug verify`` found the history's own manifests new (exit 21)."""
    disk = exfat_loop(32 << 20)
    card = tmp_path / "card"
    write(card / ".OFFLOAD" / "ledger.jsonl", b"the card's own file\n")
    write(card / "ASCMHL" / "notes.txt", b"the card's notes\n")
    write(card / "A001C001.mov", b"clip\n")
    # and two of the card's own names that differ by case: the way on offered first is the
    # one that does not write to the card
    write(card / "DCIM" / "IMG_0001.JPG", b"one\n")
    write(card / "DCIM" / "img_0001.jpg", b"two\n")
    reports = tmp_path / "reports"
    result = run("copy", card, disk.path, "--report-dir", reports)
    assert result.returncode == 64, result.stdout + result.stderr
    err = result.stderr
    for theirs, ours in ((".OFFLOAD", ".offload"), ("ASCMHL", "ascmhl")):
        assert f"the card's {theirs!r} and offload-ai's own {ours!r}" in err, err
        assert f"--ignore /{theirs}" in err
    assert "'IMG_0001.JPG', 'img_0001.jpg' differ only by case" in err
    assert (
        "leave one out with --ignore /DCIM/img_0001.jpg, choose another destination, or rename "
        "one of them on the source (a write to the card)"
    ) in err
    assert "nothing was copied" in err and os.listdir(disk.path) == []
    # The way on that the message names: the card's entries left out (and said so).
    left_out = run(
        "copy",
        card,
        disk.path,
        "--report-dir",
        reports,
        "--ignore",
        "/.OFFLOAD",
        "--ignore",
        "/ASCMHL",
        "--ignore",
        "/DCIM/img_0001.jpg",
    )
    assert left_out.returncode == 0, left_out.stderr
    assert sorted(os.listdir(disk.path / "card" / "ascmhl"))[-1] == "ascmhl_chain.xml"
    assert b"the card's" not in (disk.path / "card" / ".offload" / "ledger.jsonl").read_bytes()


# -- one folder typed in two cases ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["exfat", "fusefat"])
def test_a_destination_inside_the_card_typed_in_another_case_is_refused(
    tmp_path: Path, kind: str, exfat_loop: Any, fusefat_mount: Any
) -> None:
    """Failed before: card ``/M/CARD``, destination ``/M/card/out``: exit 0, the copy
    written into the card (exfat-fuse and fusefat give each spelling its own inode, and the
    realpaths differ). Now refused (64) as the same spelling is, the card untouched."""
    disk = exfat_loop(32 << 20) if kind == "exfat" else fusefat_mount(32 << 20)
    card = disk.path / "CARD"
    write(card / "C" / "a.mov", b"the card's clip\n")
    (card / "out").mkdir()
    before = sorted(str(p.relative_to(card)) for p in card.rglob("*"))
    result = run("copy", card, disk.path / "card" / "out", "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stdout + result.stderr
    assert (
        f"destination {disk.path / 'card' / 'out'} is inside the source {card}" in result.stderr
    ), result.stderr
    assert sorted(str(p.relative_to(card)) for p in card.rglob("*")) == before


def test_one_exfat_folder_named_twice_in_two_cases_is_refused(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: ``/M/Dest`` and ``/M/dest`` passed as two destinations: one copy on
    the drive reported as two verified ones (or EEXIST, or a corrupt ascmhl_chain.xml). Now
    refused as the same folder."""
    disk = exfat_loop(32 << 20)
    (disk.path / "Dest").mkdir()
    card = tmp_path / "CARD"
    write(card / "C" / "a.mov", b"the card's clip\n")
    result = run("copy", card, disk.path / "Dest", disk.path / "dest", "--report-dir", tmp_path)
    assert result.returncode == 64, result.stdout + result.stderr
    assert (
        f"destinations {disk.path / 'Dest'} and {disk.path / 'dest'} are the same folder"
        in result.stderr
    ), result.stderr
    assert os.listdir(disk.path / "Dest") == []


def test_one_file_to_one_exfat_target_typed_in_two_cases_is_refused(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: ``pfndispatchcopy a.mov /M/Dest/a.mov /M/DEST/A.MOV`` exited 0, one
    file on the drive (``A.MOV``) counted as two copies; so did two spellings of a folder
    still to be made (``--create-folders``). Now refused as the same file, nothing written."""
    disk = exfat_loop(32 << 20)
    (disk.path / "Dest").mkdir()
    card = tmp_path / "CARD"
    write(card / "C" / "a.mov", b"the card's clip\n")
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    for options, a, b in (
        ((), disk.path / "Dest" / "a.mov", disk.path / "DEST" / "A.MOV"),
        (("--create-folders",), disk.path / "Dest" / "new" / "a.mov", disk.path / "DEST/NEW/A.MOV"),
    ):
        one = subprocess.run(
            [exe, *options, card / "C" / "a.mov", a, b],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert one.returncode == 64, one.stdout + one.stderr
        assert f"destination {b} is the same file as {a}" in one.stderr, one.stderr
        assert os.listdir(disk.path / "Dest") == []


@pytest.mark.parametrize("typed", [True, False], ids=["name-typed", "into-folder"])
def test_pfndispatchcopy_beside_a_twin_names_no_card_file(
    tmp_path: Path, exfat_loop: Any, typed: bool
) -> None:
    """Failed before: "rename or move .../CLIP.MOV (or the card's file)": there is no card,
    the way out is the name typed for the copy, or the source file's name."""
    disk = exfat_loop(32 << 20)
    write(disk.path / "D" / "CLIP.MOV", b"other\n")
    source = write(tmp_path / "clip.mov", b"a clip\n")
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    target = disk.path / "D" / "clip.mov" if typed else disk.path / "D"
    one = subprocess.run([exe, source, target], capture_output=True, text=True, timeout=300)
    said = " ".join(one.stderr.split())
    assert one.returncode != 0, one.stdout + said
    assert f"rename or move {disk.path / 'D' / 'CLIP.MOV'} (or " in said, said
    assert "card" not in said, said
    otherwise = "or name the copy otherwise" if typed else "or rename the source file"
    assert f"({otherwise}), or choose another destination" in said, said
    assert (disk.path / "D" / "CLIP.MOV").read_bytes() == b"other\n"


def test_a_target_name_exfat_refuses_names_the_typed_name_as_the_one_to_change(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: ``pfndispatchcopy f.bin /M/a:b.bin`` said to "rename it on the source
    (a write to the card)", but 'a:b.bin' is the name typed for the copy, not the source's.
    The one destination cannot take the file: it fails alone, exit 2 (none could take it),
    as a FAT drive refusing a file over 4 GiB (before: 64, the whole copy refused)."""
    disk = exfat_loop(32 << 20)
    source = write(tmp_path / "f.bin", b"a clip\n")
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    one = subprocess.run(
        [exe, source, disk.path / "a:b.bin"], capture_output=True, text=True, timeout=300
    )
    assert one.returncode == 2, one.stdout + one.stderr
    assert "the name 'a:b.bin' contains ':'" in one.stderr, one.stderr
    assert "name the copy otherwise (the name given for it on the command line)" in one.stderr
    assert f"{disk.path / 'a:b.bin'} was not copied" in one.stderr, one.stderr
    assert "rename it on the source" not in one.stderr
    assert os.listdir(disk.path) == []


def test_a_name_one_destination_refuses_fails_it_alone_in_pfndispatchcopy(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """``pfndispatchcopy -v clip1:x.mov EXFAT/PFN/clip1:x.mov OTHER/pfn1.mov``: exFAT
    refuses ':', that destination fails alone with the preflight's line and "was not
    copied"; the other is copied and verified, exit 1 (README: a failed destination never
    stops the others). Failed before: exit 64, the other copy never written."""
    disk = exfat_loop(32 << 20)
    source = write(tmp_path / "card" / "clip1:x.mov", b"a clip\n")
    other = tmp_path / "ext"
    other.mkdir()
    refused = disk.path / "PFN" / "clip1:x.mov"
    pfn = [str(Path(sys.executable).with_name("pfndispatchcopy"))]
    result = run(
        "-v", "--create-folders", source, refused, other / "pfn1.mov", prefix=pfn, cli=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = other_lines(result.stderr)
    assert line.startswith("ERROR: ") and "the name 'clip1:x.mov' contains ':'" in line, line
    assert line.endswith(f"; {refused} was not copied"), line
    assert (other / "pfn1.mov").read_bytes() == b"a clip\n"
    assert not refused.exists()


def test_two_folders_differing_by_case_on_a_case_sensitive_filesystem_are_two(
    tmp_path: Path, ext4_loop: Any
) -> None:
    """The control: on ext4 ``Dest`` and ``dest`` are two folders, two copies."""
    disk = ext4_loop(32 << 20)
    (disk.path / "Dest").mkdir()
    (disk.path / "dest").mkdir()
    card = tmp_path / "CARD"
    write(card / "C" / "a.mov", b"the card's clip\n")
    result = run("copy", card, disk.path / "Dest", disk.path / "dest", "--report-dir", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for folder in ("Dest", "dest"):
        assert (disk.path / folder / "CARD" / "C" / "a.mov").read_bytes() == b"the card's clip\n"


# -- what a fuseblk mount is, and the words said of it --------------------------------------


def test_ntfs_and_exfat_are_named_by_their_filesystem_not_fuseblk(
    tmp_path: Path, ntfs_loop: Any, exfat_loop: Any
) -> None:
    """Failed before: the reserved-name warning said NTFS "will not take" CON.mov (it did,
    and verified it), named the folder-less name only, and called both drives "fuseblk",
    in the terminal and in the report ("ex2 on /dev/loop6 (fuseblk)")."""
    nt, ex = ntfs_loop(32 << 20), exfat_loop(32 << 20)
    card = tmp_path / "card"
    write(card / "CLIPS" / "CON.mov", b"reserved\n")
    reports = tmp_path / "reports"
    result = run("copy", card, nt.path, ex.path, "--report-dir", reports)
    assert result.returncode == 0, result.stderr
    err = result.stderr
    for name, where in (("NTFS", nt.path), ("exFAT", ex.path)):
        assert (
            f"'CLIPS/CON.mov': the name 'CON.mov' is a reserved name on Windows: {name} "
            f"(fuseblk) at {where} stores it, but Windows will not open it there" in err
        ), err
    assert "will not take" not in err
    assert (nt.path / "card" / "CLIPS" / "CON.mov").read_bytes() == b"reserved\n"
    report = newest_report(reports)
    assert [d["filesystem"] for d in report["destinations"]] == ["ntfs", "exfat"]
    (html,) = reports.glob("*.html")
    text = html.read_text()
    assert f"on {nt.device} (ntfs)" in text and f"on {ex.device} (exfat)" in text
    assert "on /dev/loop" in text and "(fuseblk)</" not in text


def test_a_fuseblk_device_it_cannot_read_is_a_fuse_block_filesystem(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Without access to the device (a user outside the disk group; here /dev/loopN is
    /dev/null in the run's mount namespace) nothing tells NTFS from exFAT: said so, and
    the rules both share applied (a symlink a warning, its failure named after the copy)."""
    disk = exfat_loop(32 << 20)
    card = tmp_path / "card"
    write(card / "clip.mov", b"x" * 100)
    (card / "link.mov").symlink_to("clip.mov")
    result = run(
        "copy", card, disk.path, "--report-dir", tmp_path / "r", prefix=without_device(disk.device)
    )
    assert result.returncode == 1, result.stderr
    assert f"FUSE block filesystem (fuseblk) at {disk.path} may not hold the symlink" in (
        result.stderr
    )
    assert "holds no symlinks (exFAT, FAT)" in result.stderr


def test_exfat_read_from_its_device_cannot_hold_a_symlink_up_front(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """Failed before: "fuseblk may not hold" (a warning), then the link failed at copy time."""
    disk = exfat_loop(32 << 20)
    card = tmp_path / "card"
    write(card / "clip.mov", b"x" * 100)
    (card / "link.mov").symlink_to("clip.mov")
    result = run("copy", card, disk.path, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stderr
    assert f"exFAT (fuseblk) at {disk.path} cannot hold the symlink 'link.mov'" in result.stderr
    # The remedy never edits the card (it said "remove it from the source" before): the
    # --ignore it names leaves the link out, and the card is copied.
    assert "leave it out with --ignore /link.mov, or choose another destination" in (result.stderr)
    assert "remove it from the source" not in result.stderr
    again = run("copy", card, disk.path, "--ignore", "/link.mov", "--report-dir", tmp_path / "r")
    assert again.returncode == 0, again.stderr
    assert (card / "link.mov").is_symlink()


# -- FAT through fusefat --------------------------------------------------------------------


def test_fusefat_gets_the_fat_name_rules_and_errors_name_the_folder(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """Failed before: fuse.fusefat got POSIX rules: no name error at all."""
    fat = fusefat_mount(32 << 20)
    card = tmp_path / "card"
    write(card / "DAY1" / "a:b.mov", b"1")
    write(card / "DAY1" / "trailing.", b"2")
    write(card / "DAY1" / "Clip.mov", b"3")
    write(card / "DAY1" / "CLIP.MOV", b"4")
    result = run("copy", card, fat.path, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stderr
    err = result.stderr
    assert "'DAY1/a:b.mov': the name 'a:b.mov' contains ':', which fuse.fusefat at" in err, err
    assert "'DAY1/trailing.': the name 'trailing.' ends with a dot" in err
    assert "'CLIP.MOV', 'Clip.mov' differ only by case" in err
    assert os.listdir(fat.path) == []


def test_a_file_over_4_gib_is_refused_up_front_on_fat_only(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """Failed before: no preflight check of a file's size against FAT's 4 GiB - 1 byte; the
    copy started and the file failed with EFBIG after 4 GiB were written to the drive. Now
    refused before a byte is written, naming the file and the FAT destination only."""
    fat = fusefat_mount(32 << 20)
    ext = tmp_path / "ext"
    ext.mkdir()
    card = tmp_path / "card"
    write(card / "DAY1" / "small.mov", b"1")
    big = card / "DAY1" / "A001C001.MOV"
    with big.open("wb") as f:
        f.truncate(2**32)  # one byte over; sparse, so nothing is really written
    edge = card / "DAY1" / "A001C002.MOV"
    with edge.open("wb") as f:
        f.truncate(2**32 - 1)  # the largest file FAT holds
    result = run("copy", card, fat.path, ext, "--report-dir", tmp_path / "r", "--dry-run")
    assert result.returncode == 64, result.stderr
    err = result.stderr
    too_large = [line for line in err.splitlines() if "FAT keeps a file to 4 GiB - 1 byte" in line]
    assert len(too_large) == 1, err
    assert "'DAY1/A001C001.MOV' (4.3 GB) is larger than fuse.fusefat at" in too_large[0], err
    assert str(fat.path) in too_large[0] and str(ext) not in too_large[0]
    assert os.listdir(fat.path) == [] and os.listdir(ext) == []


def test_a_file_over_4_gib_fails_its_fat_destination_alone_in_pfndispatchcopy(
    tmp_path: Path, fusefat_mount: Any, tmpfs_mount: Any
) -> None:
    """``pfndispatchcopy`` of a file over 4 GiB to a FAT drive and a drive without room:
    each fails alone with the preflight's line and "was not copied" (exit 2: none can take
    it; 1 when another could, as for no room), nothing written on either; the FAT line is
    the file's size, not the FAT drive's room. Failed before: exit 64 (usage error), the
    whole copy refused for one destination's filesystem, while one without room failed
    alone. (No destination here takes the file: a copy that works would write 4 GiB.)"""
    fat = fusefat_mount(32 << 20, fat_bits=32)
    small = tmpfs_mount(2 << 20).path
    big = tmp_path / "A001C001.MOV"
    with big.open("wb") as f:
        f.truncate(2**32)  # one byte over; sparse, so nothing is really written
    pfn = [str(Path(sys.executable).with_name("pfndispatchcopy"))]
    result = run("-v", big, fat.path, small, prefix=pfn, cli=False)
    assert result.returncode == 2, result.stderr
    too_large, no_room = other_lines(result.stderr)
    assert too_large == (
        f"ERROR: 'A001C001.MOV' (4.3 GB) is larger than fuse.fusefat at {fat.path} can hold "
        "(FAT keeps a file to 4 GiB - 1 byte): copy it to an exFAT, NTFS or other drive, or "
        f"reformat this one as exFAT; {fat.path / big.name} was not copied"
    )
    assert no_room.startswith(f"ERROR: not enough free space: {small} has 2.1 MB free"), no_room
    assert no_room.endswith(f"; {small / big.name} was not copied"), no_room
    # No copy made: no hash, no speed, no word of copying (both refused up front).
    assert result.stdout == "", result.stdout
    alone = run(big, fat.path, prefix=pfn, cli=False)
    assert alone.returncode == 2 and other_lines(alone.stderr) == [too_large], alone.stderr
    assert os.listdir(fat.path) == [] and os.listdir(small) == []


def test_a_copy_read_back_through_fusefat_over_an_image_says_through_a_cache(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """Failed before (reviewer's fusefat.py): ``o_direct``, though fusefat answers from the
    image file's page cache. Now ``none``, and the card release does not count it."""
    fat = fusefat_mount(32 << 20)
    card = tmp_path / "card"
    write(card / "c.mov", os.urandom(300_000))
    result = run("copy", card, fat.path, "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    report = newest_report(tmp_path / "r")
    assert report["files"][0]["destinations"][0]["cache_bypass"] == "none"
    assert report["card_release"]["may_format"] is False


def test_fat32_through_fusefat_with_no_size_is_a_warning_not_a_refusal(
    tmp_path: Path, fusefat_mount: Any
) -> None:
    """Failed before: fusefat reports a FAT32 volume's size as 0 blocks (``statvfs``), and
    every offload to it was refused "has 0 bytes free" (64). Now its free space is unknown:
    a warning naming the destination, the copy verified, the report's free space null."""
    fat = fusefat_mount(64 << 20, fat_bits=32)
    assert os.statvfs(fat.path).f_blocks == 0  # what the fix is about; else the test is moot
    card = tmp_path / "card"
    write(card / "c.mov", os.urandom(10_000))
    result = run("copy", card, fat.path, "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        f"WARNING: the free space of {fat.path} is unknown: its filesystem (fuse.fusefat) "
        "reports a size of 0 blocks" in result.stderr
    ), result.stderr
    assert "bytes free" not in result.stderr
    assert (fat.path / "card" / "c.mov").read_bytes() == (card / "c.mov").read_bytes()
    destination = newest_report(tmp_path / "r")["destinations"][0]
    assert destination["free_bytes_after"] is None and destination["total_bytes"] is None


def test_a_second_offload_into_fat_through_fusefat_records_its_ledger(
    tmp_path: Path, fusefat_mount: Any, judge: Any
) -> None:
    """Failed before: fusefat refuses a write that makes an existing file longer (EPERM),
    and the ledger is appended to: a second run of the same card with one new file lost
    the destination ("cannot record .../ledger.jsonl: EPERM", exit 2). Now the ledger is
    written whole where an append is refused: both runs verified, every entry in the
    ledger, the manifests judged clean by ascmhl."""
    fat = fusefat_mount(32 << 20)
    card = tmp_path / "card"
    for i in range(3):
        write(card / "T" / f"f{i}.bin", os.urandom(1000))
    first = run("copy", card, fat.path, "--report-dir", tmp_path / "r")
    assert first.returncode == 0, first.stdout + first.stderr
    write(card / "T" / "new.bin", b"new\n")
    again = run("copy", card, fat.path, "--report-dir", tmp_path / "r")
    assert again.returncode == 0, again.stdout + again.stderr
    report = newest_report(tmp_path / "r")
    actions = {f["path"]: f["destinations"][0]["action"] for f in report["files"]}
    # fusefat sets the mtime to now at the rename; the publish sets the card's again, so
    # the copies of the first run are trusted, never read back nor copied again.
    assert actions.pop("T/new.bin") == "copied"
    assert set(actions.values()) == {"trusted"}, actions
    ledger = (fat.path / "card" / ".offload" / "ledger.jsonl").read_text().splitlines()
    recorded = {json.loads(line)["relative_path"] for line in ledger}
    assert recorded == {"T/f0.bin", "T/f1.bin", "T/f2.bin", "T/new.bin"}
    assert not [n for n in os.listdir(fat.path / "card" / ".offload") if n.endswith(".partial")]
    verdict = judge.verify(fat.path / "card")
    assert verdict.clean, verdict.describe()


# -- btrfs grouped by its disk --------------------------------------------------------------


def test_btrfs_destinations_are_grouped_with_the_others_on_their_disk(
    tmp_path: Path, btrfs_loop: Any, ext4_loop: Any
) -> None:
    """Failed before: each btrfs was "filesystem 0:NN (unknown) ... in parallel", alone,
    while its record said disk /dev/vda; --device-concurrency serial ignored them."""
    disk = block_device_of(tmp_path)
    if disk is None or disk.backing_filesystem is not None:
        pytest.skip(f"{tmp_path} is on no disk sysfs knows: the images need one under them")
    bt, bt2, e4 = btrfs_loop(), btrfs_loop(), ext4_loop(32 << 20)
    card = tmp_path / "card"
    write(card / "clip.mov", b"x" * 1000)
    result = run(
        "copy", "--dry-run", "--device-concurrency", "serial", card, bt.path, bt2.path, e4.path
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert "(unknown)" not in out and "filesystem 0:" not in out, out
    line = next(ln for ln in out.splitlines() if f" share {disk.path} " in ln)
    assert "read-backs one at a time" in line
    for mount in (bt, bt2, e4):
        assert str(mount.path) in line or mount.path.name in line, line


# -- a long non-ASCII name: exFAT and NTFS count a name in UTF-16 units ---------------------


@pytest.mark.parametrize("kind", ["exfat", "ntfs"])
def test_a_long_non_ascii_name_the_card_holds_is_copied_to_exfat_and_ntfs(
    tmp_path: Path, kind: str, exfat_loop: Any, ntfs_loop: Any
) -> None:
    """A name of 100 CJK characters (300 bytes of UTF-8, 100 UTF-16 units) on an exFAT card
    (a Mac-named file on a shuttle drive): exFAT and NTFS hold it (their limit is 255 UTF-16
    units), but exfat-fuse and ntfs-3g report 255 as their NAME_MAX, which the preflight
    took as bytes: the copy was refused, exit 64, "is 304 bytes long (limit 255), which
    exFAT ... will not take". The same name to ext4 (255 bytes) is still refused."""
    card_disk = exfat_loop(32 << 20, label="A001")
    name = "\u540d" * 100 + ".mov"
    write(card_disk.path / "DOCS" / name, b"a long name\n")
    destination = (exfat_loop if kind == "exfat" else ntfs_loop)(32 << 20)
    reports = tmp_path / "reports"
    argv = [*CLI, "copy", str(card_disk.path), str(destination.path), "--report-dir", str(reports)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    copy = destination.path / card_disk.path.name / "DOCS" / name
    assert copy.read_bytes() == b"a long name\n"
    check = [*CLI, "verify", str(copy.parent.parent), "--report-dir", str(reports)]
    verified = subprocess.run(check, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    ext4 = tmp_path / "ext4"
    ext4.mkdir()
    argv = [*CLI, "copy", str(card_disk.path), str(ext4), "--report-dir", str(reports)]
    refused = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert refused.returncode == 64, refused.stderr
    assert "is 304 bytes long (limit 255)" in refused.stderr


def test_the_ignore_offered_for_a_link_not_nfc_pastes_back_and_leaves_it_out(
    tmp_path: Path, exfat_loop: Any
) -> None:
    """A link named not NFC (``e`` and U+0301, as macOS writes names) that exFAT cannot
    hold: the ``--ignore`` the refusal offers, pasted into bash (``printf %s``) and given to
    the same command, leaves it out. Failed before: the pattern was the display's
    (``'/Cafe\\u0301.mov'``), which leaves nothing out (exit 64 again)."""
    import re

    disk = exfat_loop(32 << 20)
    card = tmp_path / "card"
    write(card / "clip.mov", b"x" * 100)
    (card / "Cafe\u0301.mov").symlink_to("clip.mov")
    result = run("copy", card, disk.path, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stderr
    said = " ".join(result.stderr.split())
    (word,) = re.findall(rf"--ignore ({WORD}), or choose another", said)
    pattern = os.fsdecode(bash_word(word))
    again = run("copy", card, disk.path, "--ignore", pattern, "--report-dir", tmp_path / "r")
    assert again.returncode == 0, again.stderr
