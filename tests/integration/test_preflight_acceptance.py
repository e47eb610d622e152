"""Preflight and plan defects an acceptance pass found, each reproduced through the real CLI
in a subprocess on real files (real tmpfs mounts where the free space matters)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.faultyfs import FaultyFS
from support.mounts import Mount
from support.requirements import require_root

CLI = [sys.executable, "-m", "offload.cli.offload"]


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """Mount real tmpfs filesystems of a given size; unmounted at the end whatever happens."""
    require_root("mounting a tmpfs")
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", point], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", str(point)], check=True)


# --- our own copies are never taken for a camera card ------------------------------------------


@pytest.mark.parametrize(
    "layout",
    [
        "DCIM/100GOPRO/GX010001.MP4",
        "PRIVATE/M4ROOT/CLIP/C0001.MP4",
        "XDROOT/Clip/C0001.MXF",
        "PRIVATE/XDROOT/Clip/C0001.MXF",
    ],
)
def test_a_rerun_into_a_copy_of_a_card_layout_is_not_refused(tmp_path: Path, layout: str) -> None:
    """Failed before: the re-run of `offload copy --into c d` was refused (exit 64, "d looks
    like a camera card (DCIM/ ...)"): the card signs were looked at before our state."""
    card = tmp_path / "c"
    write(card / layout, os.urandom(1000))
    dest = tmp_path / "d"
    dest.mkdir()
    reports = tmp_path / "r"
    first = run("copy", "--into", card, dest, "--report-dir", reports)
    assert first.returncode == 0, first.stderr
    again = run("copy", "--into", card, dest, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    assert "camera card" not in again.stderr
    # A new clip on the card goes on the same way (an incremental offload).
    write(card / layout.replace("0001", "0002"), os.urandom(1000))
    more = run("copy", "--into", card, dest, "--report-dir", reports)
    assert more.returncode == 0, more.stderr
    assert (dest / layout.replace("0001", "0002")).is_file()


@pytest.mark.fault
def test_an_into_offload_of_a_card_stopped_by_ctrl_c_resumes(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Failed before: the resume of an `--into` offload of a Sony card stopped by SIGINT was
    refused ("looks like a camera card (PRIVATE/M4ROOT/ ...)"): the copy stopped after its
    first verified files had put the card's layout at the destination's root.

    The destination (a FaultyFS drive) holds the last clip's writes until the signal is
    sent: unheld, the copy (120 MB) could end before a late signal (exit 0 whenever the
    signal came 1.5 s after the first ``file_verified``)."""
    card = tmp_path / "c"
    for i in range(30):
        write(card / "PRIVATE" / "M4ROOT" / "CLIP" / f"C{i:04d}.MP4", os.urandom(4_000_000))
    drive = faulty_fs()
    dest = drive.mountpoint
    held = drive.stall("write", path="PRIVATE/M4ROOT/CLIP/*C0029.MP4*")
    reports = tmp_path / "r"
    process = subprocess.Popen(
        [*CLI, "copy", "--json", "--into", str(card), str(dest), "--report-dir", str(reports)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if json.loads(line)["event"] == "file_verified":
            break
    process.send_signal(signal.SIGINT)
    drive.release(held)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert (dest / "PRIVATE" / "M4ROOT").is_dir()
    resumed = run("copy", "--into", card, dest, "--report-dir", reports)
    assert resumed.returncode == 0, resumed.stderr
    assert len(list((dest / "PRIVATE" / "M4ROOT" / "CLIP").iterdir())) == 30


def test_a_raid_holding_our_copy_of_a_red_magazine_takes_more_offloads(tmp_path: Path) -> None:
    """Failed before: after `offload copy cards/A001_0101AB.RDM RAID`, every offload into
    RAID (the same one again included) was refused: "looks like a camera card
    (A001_0101AB.RDM/ (RED magazine))"."""
    mag = tmp_path / "cards" / "A001_0101AB.RDM"
    write(mag / "A001_C001_0101AB.RDC" / "A001_C001_0101AB_001.R3D", os.urandom(2000))
    other = tmp_path / "cards" / "B001"
    write(other / "CLIPS" / "B001C001.mov", os.urandom(1000))
    raid = tmp_path / "RAID"
    raid.mkdir()
    reports = tmp_path / "r"
    assert run("copy", mag, raid, "--report-dir", reports).returncode == 0
    again = run("copy", mag, raid, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    second = run("copy", other, raid, "--report-dir", reports)
    assert second.returncode == 0, second.stderr
    assert (raid / "B001" / "CLIPS" / "B001C001.mov").is_file()


def test_our_copy_of_a_card_given_as_a_destination_to_copy_inside_is_refused(
    tmp_path: Path,
) -> None:
    """``offload copy FX6 D1``, then ``offload copy CANON D1/FX6`` (a mistyped
    destination). Failed before (QA): exit 0, the Canon card written to D1/FX6/CANON inside
    the FX6's copy root, while a ``cp -r`` of the FX6 card given so was refused. The FX6's
    own re-run ``--into`` it, and another card into D1, still run."""
    fx6 = tmp_path / "cards" / "FX6"
    write(fx6 / "PRIVATE" / "M4ROOT" / "CLIP" / "C0001.MP4", os.urandom(2000))
    canon = tmp_path / "cards" / "CANON"
    write(canon / "CONTENTS" / "CLIPS001" / "A001C001.CRM", os.urandom(1000))
    d1, reports = tmp_path / "D 1", tmp_path / "r"  # a space: the --into word quotes it
    d1.mkdir()
    assert run("copy", fx6, d1, "--report-dir", reports).returncode == 0
    refused = run("copy", canon, d1 / "FX6", "--report-dir", reports)
    assert refused.returncode == 64, refused.stderr
    assert (
        f"destination {d1 / 'FX6'} is offload-ai's copy of a camera card (PRIVATE/M4ROOT/ "
        f"(Sony XAVC)): the copy would go inside it, at {d1 / 'FX6' / 'CANON'}; give the "
        f"folder that holds it ({d1}) as the destination"
    ) in " ".join(refused.stderr.split()), refused.stderr
    assert not (d1 / "FX6" / "CANON").exists()
    # The --into it names, pasted into bash, is the copy root (failed before: unquoted).
    (word,) = re.findall(r"--into ('[^']*'); ", " ".join(refused.stderr.split()))
    pasted = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert pasted.stdout == os.fsencode(d1 / "FX6"), refused.stderr
    again = run("copy", "--into", fx6, d1 / "FX6", "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    beside = run("copy", canon, d1, "--report-dir", reports)
    assert beside.returncode == 0, beside.stderr


def test_a_folder_inside_our_copy_of_a_card_is_refused_as_a_destination(tmp_path: Path) -> None:
    """``offload copy FX6 D1``, then ``offload copy CANON D1/FX6/PRIVATE``: the Canon card
    would go inside the FX6's copy. Failed before (review): exit 0, D1/FX6/PRIVATE/CANON
    written (only the destination itself was looked at, not the folders above it)."""
    fx6 = tmp_path / "cards" / "FX6"
    write(fx6 / "PRIVATE" / "M4ROOT" / "CLIP" / "C0001.MP4", os.urandom(2000))
    canon = tmp_path / "cards" / "CANON"
    write(canon / "CONTENTS" / "CLIPS001" / "A001C001.CRM", os.urandom(1000))
    d1, reports = tmp_path / "D1", tmp_path / "r"
    d1.mkdir()
    assert run("copy", fx6, d1, "--report-dir", reports).returncode == 0
    inside = d1 / "FX6" / "PRIVATE"
    (inside / "CANON").mkdir()
    for args in ((canon, inside), ("--into", canon, inside / "CANON")):
        refused = run("copy", *args, "--report-dir", reports)
        assert refused.returncode == 64, refused.stderr
        assert (
            f"is inside {d1 / 'FX6'}, offload-ai's copy of a camera card (PRIVATE/M4ROOT/ "
            "(Sony XAVC)): the copy would go into that card's copy"
        ) in " ".join(refused.stderr.split()), refused.stderr
    assert list((inside / "CANON").iterdir()) == []
    assert run("copy", canon, d1, "--report-dir", reports).returncode == 0


@pytest.mark.parametrize(
    "layout",
    ["DCIM/100GOPRO/GX010001.MP4", "XDROOT/Clip/C0001.MXF", "A001_0101AB.RDM/A.RDC/A.R3D"],
)
def test_a_real_card_given_as_destination_is_still_refused(tmp_path: Path, layout: str) -> None:
    """The card signs still count where no state of ours vouches for them: a real card
    (no `.offload/` anywhere), even one beside a copy root of ours."""
    card = tmp_path / "A001"
    write(card / "CLIPS" / "C001.mov", os.urandom(1000))
    other_card = tmp_path / "A002"
    write(other_card / layout, b"clip")
    (other_card / "B001" / ".offload").mkdir(parents=True)  # our copy of another card there
    result = run("copy", card, other_card, "--report-dir", tmp_path / "r")
    assert result.returncode == 64
    assert f"destination {other_card} looks like a camera card" in result.stderr
    assert not (other_card / "A001").exists()


@pytest.mark.parametrize(
    ("layout", "inside"),
    [
        ("PRIVATE/M4ROOT/CLIP/C0001.MP4", "PRIVATE"),
        ("DCIM/100GOPRO/GX010001.MP4", "DCIM/100GOPRO"),
        ("A001_0101AB.RDM/A001_C001_0101AB.RDC/A.R3D", "offloads"),
    ],
)
def test_a_folder_on_a_mounted_camera_card_is_refused_as_a_destination(
    tmp_path: Path, exfat_loop: Callable[..., Mount], layout: str, inside: str
) -> None:
    """Failed before: `offload copy A001 /media/FX6CARD/PRIVATE` wrote into the Sony card
    (only the destination folder itself was looked at, not the card volume holding it). The
    card is a real exFAT volume, as a camera formats it."""
    card = tmp_path / "A001"
    write(card / "CLIPS" / "C001.mov", os.urandom(1000))
    camera = exfat_loop(path=tmp_path / "FX6CARD").path
    write(camera / layout, b"clip")
    (camera / "DCIM").mkdir(exist_ok=True)  # every layout: a folder the destination may be in
    (camera / "offloads").mkdir()
    before = sorted(str(p) for p in camera.rglob("*"))
    destination = camera / inside
    result = run("copy", card, destination, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stderr
    assert f"destination {destination} is on {camera}, which looks like a camera card" in (
        result.stderr
    )
    assert "--allow-card-destination" in result.stderr
    assert sorted(str(p) for p in camera.rglob("*")) == before
    allowed = run(
        "copy", "--allow-card-destination", card, destination, "--report-dir", tmp_path / "r"
    )
    assert allowed.returncode == 0, allowed.stderr
    assert (destination / "A001" / "CLIPS" / "C001.mov").is_file()


def test_a_link_to_a_folder_on_a_mounted_camera_card_is_refused_as_a_destination(
    tmp_path: Path, exfat_loop: Callable[..., Mount]
) -> None:
    """Failed before (review): `ln -s /media/FX6CARD/PRIVATE lnk; offload copy A001 lnk`
    wrote into the Sony card (the walk up to the volume's root followed the link's own path)."""
    card = tmp_path / "A001"
    write(card / "CLIPS" / "C001.mov", os.urandom(1000))
    camera = exfat_loop(path=tmp_path / "FX6CARD").path
    write(camera / "PRIVATE/M4ROOT/CLIP/C0001.MP4", b"clip")
    link = tmp_path / "lnk"
    link.symlink_to(camera / "PRIVATE")
    result = run("copy", card, link, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stderr
    assert f"is on {camera}, which looks like a camera card" in result.stderr
    assert not (camera / "PRIVATE" / "A001").exists()


def test_a_folder_of_a_drive_holding_another_tools_copy_at_its_root_is_not_refused(
    tmp_path: Path, tmpfs: Callable[[str, str], Path]
) -> None:
    """A drive whose root holds a card's ASC MHL history (another tool's copy to the drive's
    root) is an ordinary drive for the folders below it; so is a drive holding our copy of a
    card at its root."""
    card = tmp_path / "A001"
    write(card / "CLIPS" / "C001.mov", os.urandom(1000))
    drive = tmpfs("RAID", "4m")
    write(drive / "ascmhl" / "0001_A001_2026-12-02_100000Z.mhl", b"<hashlist/>")
    write(drive / "CLIPS" / "B001C001.mov", b"clip")
    (drive / "day2").mkdir()
    result = run("copy", card, drive / "day2", "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    ours = tmpfs("RAID2", "4m")
    gopro = tmp_path / "GOPRO"
    write(gopro / "DCIM" / "100GOPRO" / "GX010001.MP4", os.urandom(1000))
    assert run("copy", "--into", gopro, ours, "--report-dir", tmp_path / "r").returncode == 0
    (ours / "day2").mkdir()
    below = run("copy", card, ours / "day2", "--report-dir", tmp_path / "r")
    assert below.returncode == 0, below.stderr


@pytest.mark.parametrize("fs", ["ext4", "tmpfs"])
def test_a_shuttle_drive_holding_a_finder_copy_of_a_card_at_its_root_takes_offloads(
    tmp_path: Path, ext4_loop: Callable[..., Mount], tmpfs: Callable[[str, str], Path], fs: str
) -> None:
    """Failed before (review): a shuttle drive (here a real ext4 volume, or a tmpfs) whose
    root holds a Finder copy of a card's DCIM/ refused every folder of it as "on a camera
    card". No camera formats ext4: the volume check is for FAT and exFAT volumes only."""
    card = tmp_path / "A001"
    write(card / "CLIPS" / "C001.mov", os.urandom(1000))
    drive = ext4_loop(path=tmp_path / "SHUTTLE").path if fs == "ext4" else tmpfs("SHUTTLE", "4m")
    write(drive / "DCIM" / "100GOPRO" / "GX010001.MP4", b"clip")
    write(drive / "PRIVATE" / "M4ROOT" / "CLIP" / "C0001.MP4", b"clip")
    (drive / "day2").mkdir()
    result = run("copy", card, drive / "day2", "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    assert (drive / "day2" / "A001" / "CLIPS" / "C001.mov").is_file()
    # The drive's root itself: a volume no camera formats is no card, whatever its root holds.
    root = run("copy", card, drive, "--report-dir", tmp_path / "r")
    assert root.returncode == 0, root.stderr
    assert (drive / "A001" / "CLIPS" / "C001.mov").is_file()
    # A folder holding a card's layout, given by mistake, is still refused on any volume.
    (drive / "day2" / "B002" / "DCIM").mkdir(parents=True)
    refused = run("copy", card, drive / "day2" / "B002", "--report-dir", tmp_path / "r")
    assert refused.returncode == 64, refused.stderr
    assert f"destination {drive / 'day2' / 'B002'} looks like a camera card" in refused.stderr


@pytest.mark.parametrize("fs", ["ext4", "tmpfs"])
def test_a_shuttle_drive_holding_our_copy_of_a_card_at_its_root_takes_offloads(
    tmp_path: Path, ext4_loop: Callable[..., Mount], tmpfs: Callable[[str, str], Path], fs: str
) -> None:
    """``offload copy --into FX6 DRIVE``, then ``offload copy CANON DRIVE``: a drive root is
    accepted, as a Finder copy there is. Failed before (review): exit 64, "give the folder
    that holds it (...)", a folder on another filesystem (/media/user, /Volumes)."""
    fx6 = tmp_path / "cards" / "FX6"
    write(fx6 / "PRIVATE" / "M4ROOT" / "CLIP" / "C0001.MP4", os.urandom(2000))
    canon = tmp_path / "cards" / "CANON"
    write(canon / "CONTENTS" / "CLIPS001" / "A001C001.CRM", os.urandom(1000))
    drive = ext4_loop(path=tmp_path / "SHUTTLE").path if fs == "ext4" else tmpfs("SHUTTLE", "4m")
    reports = tmp_path / "r"
    assert run("copy", "--into", fx6, drive, "--report-dir", reports).returncode == 0
    result = run("copy", canon, drive, "--report-dir", reports)
    assert result.returncode == 0, result.stderr
    assert (drive / "CANON" / "CONTENTS" / "CLIPS001" / "A001C001.CRM").is_file()


def test_our_copy_of_a_card_at_an_exfat_volumes_root_is_refused_with_advice_on_that_drive(
    tmp_path: Path, exfat_loop: Callable[..., Mount]
) -> None:
    """On a volume a camera formats the root holding our copy of a card is still refused,
    but the advice never names the folder that holds the volume (another filesystem).
    Failed before: "give the folder that holds it (...)"."""
    fx6 = tmp_path / "cards" / "FX6"
    write(fx6 / "PRIVATE" / "M4ROOT" / "CLIP" / "C0001.MP4", os.urandom(2000))
    canon = tmp_path / "cards" / "CANON"
    write(canon / "CONTENTS" / "CLIPS001" / "A001C001.CRM", os.urandom(1000))
    drive = exfat_loop(path=tmp_path / "SHUTTLE").path
    reports = tmp_path / "r"
    assert run("copy", "--into", fx6, drive, "--report-dir", reports).returncode == 0
    refused = run("copy", canon, drive, "--report-dir", reports)
    assert refused.returncode == 64, refused.stderr
    words = " ".join(refused.stderr.split())
    assert f"the copy would go inside it, at {drive / 'CANON'}; to re-run" in words, words
    assert "the folder that holds it" not in words


def test_a_folder_on_a_real_exfat_card_holding_dcim_is_refused(
    tmp_path: Path, exfat_loop: Callable[..., Mount]
) -> None:
    """The same layout on an exFAT volume, as a camera formats its card, is still refused
    (exfat-fuse mounts as ``fuseblk``: its device's boot sector says exFAT), and
    ``--allow-card-destination`` still writes there."""
    card = tmp_path / "A001"
    write(card / "CLIPS" / "C001.mov", os.urandom(1000))
    camera = exfat_loop(path=tmp_path / "GOPRO").path
    write(camera / "DCIM" / "100GOPRO" / "GX010001.MP4", b"clip")
    (camera / "MISC").mkdir()
    before = sorted(str(p) for p in camera.rglob("*"))
    result = run("copy", card, camera / "MISC", "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stderr
    assert f"is on {camera}, which looks like a camera card (DCIM/" in result.stderr
    root = run("copy", card, camera, "--report-dir", tmp_path / "r")
    assert root.returncode == 64, root.stderr
    assert f"destination {camera} looks like a camera card (DCIM/" in root.stderr
    assert sorted(str(p) for p in camera.rglob("*")) == before
    allowed = run(
        "copy", "--allow-card-destination", card, camera / "MISC", "--report-dir", tmp_path / "r"
    )
    assert allowed.returncode == 0, allowed.stderr


# --- free space: only for what this run may really write -------------------------------------


@pytest.mark.fault
def test_a_rerun_on_a_nearly_full_drive_needs_room_only_for_what_it_writes(
    tmp_path: Path, tmpfs: Callable[[str, str], Path]
) -> None:
    """Failed before: once the drive had less free space than the card's largest file, a
    re-run with nothing to copy, or one adding a 4-byte file, was refused (exit 64, "has
    ... free but the copy needs" the size of the largest file already there)."""
    card = tmp_path / "card"
    write(card / "A001.MXF", os.urandom(3_000_000))
    drive = tmpfs("t", "4m")
    reports = tmp_path / "r"
    assert run("copy", card, drive, "--report-dir", reports).returncode == 0
    free = os.statvfs(drive).f_bavail * os.statvfs(drive).f_frsize
    write(drive / "other", bytes(free - 300_000))  # ~300 KB left: far less than 3 MB
    again = run("copy", card, drive, "--report-dir", reports)
    assert again.returncode == 0, again.stderr
    write(card / "A002.txt", b"four")
    more = run("copy", card, drive, "--report-dir", reports)
    assert more.returncode == 0, more.stderr
    assert (drive / "card" / "A002.txt").read_bytes() == b"four"
    # --reverify reads the copies back; one found wrong would be written again beside the
    # old copy before it goes, which would not fit: a warning says so up front, and the
    # copies, all right, are read back and verified (it was refused, exit 64, before
    # --reverify's room counted only the rewrites of copies found wrong).
    reverify = run("copy", "--reverify", card, drive, "--report-dir", reports)
    assert reverify.returncode == 0, reverify.stderr
    assert "not for writing again the copies the ledger vouches for that it reads back" in (
        " ".join(reverify.stderr.split())
    )
    assert "not enough free space" not in reverify.stderr


# --- a name that is not UTF-8: what the warning says is what happens ---------------------------


def test_a_name_that_is_not_utf8_is_copied_and_left_out_of_the_manifest_as_warned(
    tmp_path: Path,
) -> None:
    """Failed before: the warning said the destination "will not take [the name] as it is",
    then the file was copied and verified under it. Now it says what happens: copied and
    verified, left out of the XML manifest."""
    card = tmp_path / "c"
    write(card / "a.mov", b"a\n")
    bad = os.fsencode(card) + b"/bad\xff.wav"
    with open(bad, "wb") as handle:
        handle.write(b"x")
    dest = tmp_path / "d"
    dest.mkdir()
    result = run("copy", card, dest, "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    assert "will not take" not in result.stderr
    assert "'bad\\xff.wav' is not valid UTF-8" in result.stderr
    assert "takes it as it is and its copy is checked like any other" in result.stderr
    with open(os.fsencode(dest) + b"/c/bad\xff.wav", "rb") as handle:
        assert handle.read() == b"x"
    [manifest] = (dest / "c" / "ascmhl").glob("0001_*.mhl")
    assert b"a.mov" in manifest.read_bytes() and b"bad" not in manifest.read_bytes()


# --- -t with no format a manifest asked for can record: refused before the copy ---------------


@pytest.mark.parametrize(
    ("options", "manifest"),
    [
        (["-t", "sha256"], "an ASC MHL history records only c4, md5, sha1, xxh128, xxh3, xxh64"),
        (["-t", "sha256", "--mhl", "legacy"], "a legacy MHL records only md5, sha1, xxh64"),
        (["-t", "xxh3", "--mhl", "both"], "a legacy MHL records only md5, sha1, xxh64"),
    ],
)
def test_hashes_no_manifest_can_record_are_refused_before_the_copy(
    tmp_path: Path, options: list[str], manifest: str
) -> None:
    """Failed before: `offload copy -t sha256 c d` copied the whole card, then exited 1 with
    "manifest not written on d: 'a.mov' has no digest in an ASC MHL format"."""
    card = tmp_path / "c"
    write(card / "a.mov", b"a\n")
    dest = tmp_path / "d"
    dest.mkdir()
    result = run("copy", *options, card, dest, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    asked = options[1]
    assert line.startswith(f"ERROR: -t {asked}: {manifest}")
    assert f"-t {asked} -t xxh64" in line and "--mhl none" in line
    assert list(dest.iterdir()) == []
    fixed = run("copy", *options, "-t", "xxh64", card, dest, "--report-dir", tmp_path / "r")
    assert fixed.returncode == 0, fixed.stderr
    (tmp_path / "n").mkdir()
    reports = tmp_path / "r"
    alone = run("copy", "-t", asked, "--mhl", "none", card, tmp_path / "n", "--report-dir", reports)
    assert alone.returncode == 0, alone.stderr


def test_a_card_history_supplies_a_format_the_manifest_can_record(tmp_path: Path) -> None:
    """The card's own ASC MHL history (xxh64 here) is hashed and continued whatever -t says:
    `-t sha256` alone is then not refused."""
    card = tmp_path / "c"
    write(card / "a.mov", b"a\n")
    first = tmp_path / "d"
    first.mkdir()
    assert run("copy", card, first, "--report-dir", tmp_path / "r").returncode == 0
    second = tmp_path / "e"
    second.mkdir()
    result = run("copy", "-t", "sha256", first / "c", second, "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    assert len(list((second / "c" / "ascmhl").glob("*.mhl"))) == 2


def test_a_venice_card_given_as_destination_is_not_named_an_xdcam_card(tmp_path: Path) -> None:
    """Failed before: a VENICE card (X-OCN under XDROOT/, as on an AXS card) given as the
    destination was refused as "XDROOT/ (Sony XDCAM)". The folder is written alike by Sony's
    XDCAM camcorders, FX9, VENICE and BURANO: the line names the cameras it may be, no one."""
    card = tmp_path / "A001"
    write(card / "CLIPS" / "C001.mov", os.urandom(1000))
    venice = tmp_path / "VENICE_A002"
    write(venice / "XDROOT" / "Clip" / "A002C001_261203AB.mxf", b"x-ocn")
    result = run("copy", card, venice, "--report-dir", tmp_path / "r")
    assert result.returncode == 64
    assert "XDROOT/ (Sony XAVC or X-OCN: XDCAM, FX9, VENICE, BURANO)" in result.stderr
    assert "(Sony XDCAM)" not in result.stderr
    assert not (venice / "A001").exists()
