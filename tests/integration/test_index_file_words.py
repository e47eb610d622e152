"""The card release line for a camera's index file (Canon ``INDEX.MIF``) refused because
another one is at its name on a destination. The run cannot tell which of the two changed:
the card's (the camera recorded more since the last offload, the usual case) or the one on
the destination (another tool's copy of the card, its index edited or damaged since, no
ledger recording it). The line says what is known, that the two differ, never that the
card's changed. Real card folder and destination, the real CLI."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from support.camera_cards import AVCHD, INSTA360, SONY_XAVC, SOUND_DEVICES, Layout, write_card
from support.offload_cli import copy_quietly, newest_report, run_offload


def test_an_index_file_unlike_the_one_on_a_destination_is_not_said_changed_on_the_card(
    tmp_path: Path,
) -> None:
    """Failed before: "only the card's index file CONTENTS/CLIPS001/INDEX.MIF changed since
    the last offload", of a card no run had offloaded and whose index never changed: the
    destination's copy (another tool's, dates kept) was the one edited."""
    card = tmp_path / "cards" / "CANON_C70"
    clips = card / "CONTENTS" / "CLIPS001"
    clips.mkdir(parents=True)
    (clips / "A001C001_261204AB_CANON.CRM").write_bytes(os.urandom(40_000))
    (clips / "INDEX.MIF").write_bytes(b"index: 1 clip")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    shutil.copytree(card, dest / "CANON_C70")  # another tool's copy, dates kept
    with open(dest / "CANON_C70" / "CONTENTS" / "CLIPS001" / "INDEX.MIF", "ab") as index:
        index.write(b" edited on the copy")
    done = copy_quietly(card, dest, reports)
    assert done.returncode == 1, done.stderr
    release = json.loads(next(reports.glob("*.json")).read_text())["card_release"]
    assert release["index_files_changed"] == ["CONTENTS/CLIPS001/INDEX.MIF"], release
    for text in (release["text"], done.stderr):
        assert "changed since the last offload" not in text, text
        assert (
            "the card's index file CONTENTS/CLIPS001/INDEX.MIF differs from the one "
            "already on a destination (a camera rewrites it whenever it records more) and was "
            "not replaced"
        ) in text, text


def test_an_index_file_refused_beside_another_failed_file_is_named_and_counted(
    tmp_path: Path,
) -> None:
    """A Sony card that shot more (its ``MEDIAPRO.XML`` rewritten at a new size) and one
    of its clip's metadata files differing at the same size, offloaded again to the same 2
    destinations: 4 copies failed, 2 of each. Failed before: "Do not format the card: 2
    copies failed (…C0001M01.XML first)", the index file unnamed and
    ``index_files_changed`` empty."""
    card = write_card(tmp_path / "cards" / "SONY", SONY_XAVC)
    reports = tmp_path / "reports"
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir()
    first = run_offload("copy", "-q", "--report-dir", reports, card, *dests, timeout_s=120)
    assert first.returncode == 0, first.stderr
    m4root = card / "PRIVATE" / "M4ROOT"
    (m4root / "CLIP" / "C0003.MP4").write_bytes(os.urandom(3000))
    (m4root / "MEDIAPRO.XML").write_bytes(b"<MediaProfile>3 clips</MediaProfile>")
    sidecar = m4root / "CLIP" / "C0001M01.XML"
    sidecar.write_bytes(os.urandom(sidecar.stat().st_size))
    again = run_offload("copy", "-q", "--report-dir", reports, card, *dests, timeout_s=120)
    assert again.returncode == 1, again.stderr
    data = newest_report(reports)
    release = data["card_release"]
    assert release["index_files_changed"] == ["PRIVATE/M4ROOT/MEDIAPRO.XML"], release
    said = (
        "Do not format the card: 4 copies failed: 2 of 1 other file "
        "(PRIVATE/M4ROOT/CLIP/C0001M01.XML) and 2 of the card's index file "
        "PRIVATE/M4ROOT/MEDIAPRO.XML, which differs from the one already on a destination"
    )
    for text in (release["text"], again.stderr):
        assert said in text, text


def test_an_avchd_cards_playlists_are_its_index_files(tmp_path: Path) -> None:
    """An AVCHD card that recorded another clip: its playlist (``PLAYLIST/00000.MPL``, a
    play item a clip) and the playlist's ``BACKUP`` copy rewritten, offloaded again to the
    same destination. Failed before: "2 copies failed (…BACKUP/PLAYLIST/00000.MPL
    first)", the generic words of a failed copy, ``index_files_changed`` empty."""
    card = write_card(tmp_path / "cards" / "AVCHD", AVCHD)
    reports, dest = tmp_path / "reports", tmp_path / "dest"
    dest.mkdir()
    assert copy_quietly(card, dest, reports).returncode == 0
    bdmv = card / "PRIVATE" / "AVCHD" / "BDMV"
    (bdmv / "STREAM" / "00002.MTS").write_bytes(os.urandom(3008))
    (bdmv / "CLIPINF" / "00002.CPI").write_bytes(b"clip info of 00002")
    playlists = ("BACKUP/PLAYLIST/00000.MPL", "PLAYLIST/00000.MPL")
    for playlist in playlists:
        (bdmv / playlist).write_bytes(b"MPLS0100 3 play items")
    again = copy_quietly(card, dest, reports)
    assert again.returncode == 1, again.stderr
    release = newest_report(reports)["card_release"]
    named = [f"PRIVATE/AVCHD/BDMV/{playlist}" for playlist in playlists]
    assert release["index_files_changed"] == named, release
    said = f"the card's index files {', '.join(named)} differ from the ones"
    assert said in release["text"], release
    # The destination on the card's disk (said below): the clips are no safer than the
    # index, never "only the card's index files" (review of fixcards59).
    assert "only the card's" not in release["text"], release


@pytest.mark.parametrize(
    ("layout", "rewritten", "device"),
    [
        # A Sound Devices recorder rewrites its sound report after each take.
        (SOUND_DEVICES, ["250101/250101.CSV"], "sound recorder"),
        (INSTA360 | {"DCIM/fileinfo_list.list": b"2 files"}, ["DCIM/fileinfo_list.list"], "camera"),
    ],
    ids=["sound-devices-csv", "insta360-list"],
)
def test_a_recorders_and_cameras_rewritten_lists_are_index_files(
    tmp_path: Path, layout: Layout, rewritten: list[str], device: str
) -> None:
    """A card that recorded more, its recorder's list of what it holds rewritten, offloaded
    again to the same destination. Failed before (QA): "Do not format the card: a copy
    failed: 250101/250101.CSV", the words of a failed clip, while
    Sony's MEDIAPRO.XML got the index file's."""
    card = write_card(tmp_path / "cards" / "CARD", layout)
    reports, dest = tmp_path / "reports", tmp_path / "dest"
    dest.mkdir()
    assert copy_quietly(card, dest, reports).returncode == 0
    for path in rewritten:
        (card / path).write_bytes(b"rewritten after another take")
    again = copy_quietly(card, dest, reports)
    assert again.returncode == 1, again.stderr
    release = newest_report(reports)["card_release"]
    assert release["index_files_changed"] == rewritten, release
    one = len(rewritten) == 1
    # A recorder's list is its sound report (qa70rep L2), a camera's its index file.
    noun = "sound report" if device == "sound recorder" else "index file"
    said = (
        f"the card's {noun}{'' if one else 's'} {', '.join(rewritten)} "
        f"{'differs' if one else 'differ'} from the {'one' if one else 'ones'} already on a "
        f"destination (a {device} rewrites {'it' if one else 'them'} whenever it records more)"
    )
    for text in (release["text"], again.stderr):
        assert said in " ".join(text.split()), text
    assert f"which the {device} does not read" in release["text"], release
