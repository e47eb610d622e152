"""A second card given by mistake as a destination, for the layouts the card signs missed:
ARRI (a reel folder of clip folders at the root), Blackmagic (.braw or ProRes .mov clips at
the root under the camera's names), on the root of an exFAT volume as cameras format it, and
Sound Devices (SOUNDDEV/ at the root, anywhere). Each was written into (exit 0). A drive's
folder holding another tool's copy of such a card is still a destination. Real folders and
real exFAT volumes, the real CLI in a subprocess."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from support.mounts import Mount
from support.offload_cli import run_offload as run

ARRI = "A001R1AB/A001C001_230101_R1AB/A001C001_230101_R1AB.mxf"
LAYOUTS = {
    "arri": (ARRI, "A001R1AB/ (ARRI reel)"),
    "arri-ari": (
        "B002R3CD/B002C004_230101_R3CD/B002C004_230101_R3CD.0000001.ari",
        "B002R3CD/ (ARRI reel)",
    ),
    "braw": ("A001_08151234_C001.braw", "A001_08151234_C001.braw (Blackmagic RAW"),
    "blackmagic-prores": ("A001_08151234_C001.mov", "A001_08151234_C001.mov (Blackmagic ProRes"),
    "sound-devices": ("SOUNDDEV/SETTINGS.SML", "SOUNDDEV/ (Sound Devices recorder)"),
    # Another recorder's takes at the root (Zoom, Tascam...): no folder of its own.
    "sound-takes": ("S01T01_1.WAV", "S01T01_1.WAV (a sound recorder's take at the card's root)"),
    # The earlier cameras (Cinema Camera, Production Camera 4K): DNxHD or ProRes QuickTime,
    # or a CinemaDNG clip folder, named [camera ID]_[reel]_[date]_[hhmm]_C[clip].
    "blackmagic-dnxhd": (
        "BMC01_1_2012-08-08_1631_C0002.mov",
        "BMC01_1_2012-08-08_1631_C0002.mov (Blackmagic QuickTime clip, ProRes or DNxHD",
    ),
    "blackmagic-cinemadng": (
        "BMC01_1_2012-08-08_1631_C0003/BMC01_1_2012-08-08_1631_C0003_000000.dng",
        "BMC01_1_2012-08-08_1631_C0003/ (Blackmagic CinemaDNG clip",
    ),
}


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def card(tmp_path: Path) -> Path:
    source = tmp_path / "S1"
    write(source / "CLIPS" / "C001.mov", os.urandom(1000))
    return source


def test_a_sound_devices_card_given_as_destination_is_refused(tmp_path: Path) -> None:
    """Failed before: exit 0, the first card written into the second."""
    layout, sign = LAYOUTS["sound-devices"]
    other = tmp_path / "CARD2"
    write(other / layout, b"settings")
    before = sorted(str(p) for p in other.rglob("*"))
    result = run("copy", card(tmp_path), other, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stdout + result.stderr
    assert f"destination {other} looks like a camera card ({sign}" in result.stderr
    assert sorted(str(p) for p in other.rglob("*")) == before


@pytest.mark.parametrize(
    "kind",
    [
        "arri",
        "arri-ari",
        "braw",
        "blackmagic-prores",
        "blackmagic-dnxhd",
        "blackmagic-cinemadng",
        "sound-takes",
    ],
)
def test_an_exfat_card_of_this_layout_given_as_destination_is_refused(
    tmp_path: Path, kind: str, exfat_loop: Callable[..., Mount]
) -> None:
    """Failed before: exit 0, the first card written into the second (a Blackmagic card
    recording ProRes: still exit 0 after .braw was detected). The refusal names the way
    through for a drive holding a copy of such a card at its root."""
    layout, sign = LAYOUTS[kind]
    other = exfat_loop(path=tmp_path / "CARD2").path
    write(other / layout, b"clip")
    before = sorted(str(p) for p in other.rglob("*"))
    result = run("copy", card(tmp_path), other, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stdout + result.stderr
    if kind == "sound-takes":
        # A sound card's words: a recorder's takes, not a copy of a camera card.
        assert f"destination {other} looks like a sound recorder's card ({sign}" in result.stderr
        assert (
            "add --allow-card-destination (a FAT or exFAT drive holding a recorder's takes"
        ) in result.stderr
    else:
        assert f"destination {other} looks like a camera card ({sign}" in result.stderr
        assert "add --allow-card-destination (a FAT or exFAT drive holding a copy" in result.stderr
    assert sorted(str(p) for p in other.rglob("*")) == before


def test_a_folder_on_a_mounted_arri_card_is_refused(
    tmp_path: Path, exfat_loop: Callable[..., Mount]
) -> None:
    """Failed before: both the card's root and its reel folder took the copy (exit 0)."""
    camera = exfat_loop(path=tmp_path / "ARRI").path
    write(camera / ARRI, b"clip")
    write(camera / "A001R1AB" / "A001R1AB.mhl", b"<hashlist/>")
    source = card(tmp_path)
    root = run("copy", source, camera, "--report-dir", tmp_path / "r")
    assert root.returncode == 64, root.stderr
    assert f"destination {camera} looks like a camera card (A001R1AB/ (ARRI reel))" in root.stderr
    reel = run("copy", source, camera / "A001R1AB", "--report-dir", tmp_path / "r")
    assert reel.returncode == 64, reel.stderr
    assert f"is on {camera}, which looks like a camera card (A001R1AB/" in reel.stderr


def test_copies_of_such_cards_in_a_drive_folder_are_no_sign(tmp_path: Path) -> None:
    """A RAID folder holding other tools' copies of these cards (in its day folders, or an
    ARRI reel and .braw clips at its own root: where an offload of that card finds them)
    takes offloads; so do a folder named like a reel holding no clip folder of it, and a
    .braw not named as a camera names it."""
    raid = tmp_path / "RAID"
    for kind, (layout, _) in LAYOUTS.items():
        write(raid / "day1" / kind / layout, b"copy")
    write(raid / ARRI, b"another tool's copy")
    write(raid / LAYOUTS["braw"][0], b"another tool's copy")
    write(raid / LAYOUTS["blackmagic-prores"][0], b"another tool's copy")
    write(raid / "B001R1AB" / "notes.txt", b"a folder named like a reel")
    write(raid / "interview_final.braw", b"an edit's export")
    write(raid / "S01T01_1.WAV", b"another tool's copy of a sound card")
    write(raid / LAYOUTS["blackmagic-dnxhd"][0], b"another tool's copy")
    write(raid / "A001C001_230101_R1AB.mov", b"a Canon-named .mov")
    result = run("copy", card(tmp_path), raid, "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (raid / "S1" / "CLIPS" / "C001.mov").is_file()


def test_a_sound_card_given_as_destination_is_refused_unless_allowed(
    tmp_path: Path, exfat_loop: Callable[..., Mount]
) -> None:
    """The QA's: an exFAT sound card holding a recorder's takes at its root, no SOUNDDEV/,
    given by mistake among the destinations. Failed before: exit 0, ``GOPRO/`` written
    beside the WAVs. A drive so laid out is written with --allow-card-destination."""
    sound = exfat_loop(path=tmp_path / "card2").path
    for name in ("S01T01_1.WAV", "S01T01_2.WAV", "S01T01_L.WAV", "S01T01_R.WAV", "S01T02.WAV"):
        write(sound / name, b"RIFF take")
    write(sound / "S01T01.PMF", b"project")
    source = tmp_path / "GOPRO"
    write(source / "DCIM" / "100GOPRO" / "GX010001.MP4", os.urandom(1000))
    dest = tmp_path / "D4"
    dest.mkdir()
    before = sorted(str(p) for p in sound.rglob("*"))
    result = run("copy", source, sound, dest, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stdout + result.stderr
    assert (
        f"destination {sound} looks like a sound recorder's card (S01T01_1.WAV (a sound "
        "recorder's take "
        "at the card's root)"
    ) in result.stderr
    assert sorted(str(p) for p in sound.rglob("*")) == before
    assert list(dest.iterdir()) == []
    allowed = run("copy", source, sound, "--allow-card-destination", "--report-dir", tmp_path / "r")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert (sound / "GOPRO" / "DCIM" / "100GOPRO" / "GX010001.MP4").is_file()


def test_an_exfat_shuttle_with_a_sync_tone_at_its_root_is_a_destination(
    tmp_path: Path, exfat_loop: Callable[..., Mount]
) -> None:
    """An exFAT shuttle drive an earlier offload wrote to, a 5-byte ``sync_tone.wav`` left at
    its root: no recorder names a take so, and one file is no sound card. Failed before
    (rev7_69 L4): exit 64, "looks like a camera card (sync_tone.wav (a sound recorder's take
    at the card's root))". Two such files are a sound card all the same."""
    shuttle = exfat_loop(path=tmp_path / "shuttle").path
    write(shuttle / "sync_tone.wav", b"RIFF!")
    write(shuttle / "EARLIER" / "CLIPS" / "C000.mov", os.urandom(1000))
    result = run("copy", card(tmp_path), shuttle, "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (shuttle / "S1" / "CLIPS" / "C001.mov").is_file()
    write(shuttle / "room_tone.wav", b"RIFF!")
    second = write(tmp_path / "S2" / "CLIPS" / "C002.mov", os.urandom(1000)).parents[1]
    again = run("copy", second, shuttle, "--report-dir", tmp_path / "r")
    assert again.returncode == 64, again.stdout + again.stderr
    assert "looks like a sound recorder's card (room_tone.wav" in again.stderr


def test_a_sound_card_filing_its_takes_by_day_is_refused(
    tmp_path: Path, exfat_loop: Callable[..., Mount]
) -> None:
    """The QA's (qa70rep L1): an exFAT sound card whose recorder files its takes one folder
    down, by day, with its sound report (``250101/250101_T01.WAV`` .. ``T04`` and
    ``250101/250101.CSV``), no SOUNDDEV/ and no take at the root. Failed before: exit 0, the
    GoPro's clips written into the recorder's card. A folder of WAVs with no sound report
    beside them (a shuttle's copy of the day's sound) is still no sign."""
    sound = exfat_loop(path=tmp_path / "SOUND_SD1").path
    for take in range(1, 5):
        write(sound / "250101" / f"250101_T0{take}.WAV", b"RIFF take")
    write(sound / "250101" / "250101.CSV", b"Sound Report\n")
    source = tmp_path / "GOPRO"
    write(source / "DCIM" / "100GOPRO" / "GX010001.MP4", os.urandom(1000))
    before = sorted(str(p) for p in sound.rglob("*"))
    result = run("copy", source, sound, "--report-dir", tmp_path / "r")
    assert result.returncode == 64, result.stdout + result.stderr
    assert (
        f"destination {sound} looks like a sound recorder's card (250101/250101.CSV (a sound "
        "recorder's takes beside its sound report)): not writing into it"
    ) in result.stderr, result.stderr
    # The way through says where such takes are (review of names70, L2: "at its root").
    assert "holding a recorder's takes at its root, or a folder of them beside their sound " in (
        result.stderr
    ), result.stderr
    assert sorted(str(p) for p in sound.rglob("*")) == before
    # A folder of it too: it is on that card, a sound recorder's (L2: "a camera card").
    inside = run("copy", source, sound / "250101", "--report-dir", tmp_path / "r")
    assert inside.returncode == 64, inside.stdout + inside.stderr
    assert (
        f"destination {sound / '250101'} is on {sound}, which looks like a sound recorder's card "
        "(250101/250101.CSV (a sound recorder's takes beside its sound report)): not writing "
        "into it; if it really is a destination, add --allow-card-destination (a FAT or exFAT "
        "drive holding a recorder's takes at its root, or a folder of them beside their sound "
        "report, looks like that recorder's card)"
    ) in inside.stderr, inside.stderr
    assert sorted(str(p) for p in sound.rglob("*")) == before
    # The sound report gone: a folder of takes alone is where a shuttle keeps the day's sound.
    (sound / "250101" / "250101.CSV").unlink()
    result = run("copy", source, sound, "--report-dir", tmp_path / "r")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (sound / "GOPRO" / "DCIM" / "100GOPRO" / "GX010001.MP4").is_file()
