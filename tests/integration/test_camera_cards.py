"""Camera card layouts offloaded for real and judged with the field's tools.

Each synthetic card (``support/camera_cards.py``: P2, Sony, AVCHD, ARRI, RED, Canon,
Blackmagic, DJI, GoPro, Insta360, iPhone, sound recorders, sequences, OS junk, odd names;
ALEXA 35 clip folders, RED spans past 9, Venice, Blackmagic clip folders, DJI's dated names,
Broadcast WAVs, a Mac's volume files, more names and a deep path; Venice X-OCN, GoPro HEVC
chapters past 9, GoPro MAX 360 chapters, Canon RAW Light clip folders, a 0-byte take,
names of 255 bytes, hidden files and 300 sidecars in a folder) is
copied to three destinations with full verification; then every destination's ASC MHL
history must pass ``ascmhl-debug verify`` (1.2; the first's with its folder hashes too), every copy
must hash as the card did with ``xxhsum -H1`` and ``md5sum``, the OS's junk must be left out
and listed, and the report must group the files as a DIT would.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from offload.manifest import read_history
from offload.report.clips import group_clips
from support import camera_cards
from support.ascmhl_judge import AscmhlJudge
from support.mounts import exfat_replugged
from support.offload_cli import offload
from support.requirements import require_tool

# What the report must show for a layout: (kind, name) of every row.
ROWS: dict[str, list[tuple[str, str]]] = {
    "P2": [("clip", "0001AB.MXF"), ("clip", "0002CD.MXF"), ("file", "LASTCLIP.TXT")],
    "AVCHD": [
        ("clip", "00000.MTS"),
        ("clip", "00001.MTS"),
        *(
            ("file", name)
            for name in (
                "THUMB.TDT",
                "THUMB.TID",
                "INDEX.BDM",
                "MOVIEOBJ.BDM",
                "00000.MPL",
                "INDEX.BDM",
                "MOVIEOBJ.BDM",
                "00000.MPL",
            )
        ),
    ],
    "RED": [("clip", "A001_C001_0101AB_001.R3D (+2 spans)"), ("clip", "A001_C002_0101CD_001.R3D")],
    # one file a lens, recorded at once: the second is a lens, not a span
    "INSTA360": [
        ("clip", "VID_20250101_120000_00_001.insv (+1 lens)"),
        ("file", "IMG_20250101_120100_00_002.insp"),
    ],
    "SOUND": [
        ("audio", "S01T01.WAV"),
        ("audio", "S01T02.WAV"),
        ("audio", "S02T01_1.WAV (+2 tracks)"),
        ("audio", "ZOOM0001_Tr1.WAV (+2 tracks)"),
        ("file", "250101.CSV"),
    ],
    # a clip folder's MXF is a clip; an ARRIRAW clip folder one sequence (its XML beside it)
    "ALEXA35": [
        *(("clip", f"A001C00{n}_261203_RA1B.mxf") for n in (1, 2, 3)),
        ("sequence", "A001C004_261203_RA1B.[0000001-0000024].ari"),
    ],
    # spans 010-012 after 009: one clip
    "RED_SPANS": [
        ("clip", "A002_C001_1203XY_001.R3D (+11 spans)"),
        ("clip", "A002_C002_1203XY_001.R3D"),
        ("file", "A002_1203XY.RTN"),
    ],
    "BRAW_FOLDERS": [("clip", f"A004_12031530_C00{n}.braw") for n in (1, 2, 3)],
    # the 0-byte chapter a full card left is a row of its own, flagged empty
    "DRONES": [
        ("clip", "GX010050.MP4 (+1 span)"),
        ("empty", "GX030050.MP4"),
        ("clip", "DJI_20261203101100_0001_D.MP4"),
        ("clip", "DJI_20261203101200_0002_D.MP4"),
        ("file", "version.txt"),
    ],
    # X-OCN clips with their XML, proxy (Sub) and thumbnail; the card's index files
    "VENICE_XOCN": [
        *(("clip", f"X001C00{n}_261203AB.MXF") for n in (1, 2, 3)),
        *(("file", name) for name in ("CUEUP.XML", "DISCMETA.XML", "MEDIAPRO.XML")),
    ],
    # chapters 10 and 11 after 09: one recording; its LRVs and THM are its sidecars
    "GOPRO_HEVC": [
        ("clip", "GH010077.MP4 (+10 spans)"),
        ("clip", "GH010078.MP4"),
        ("clip", "GX010079.MP4 (+1 span)"),
        ("file", "Get_started_with_GoPro.url"),
        ("file", "version.txt"),
    ],
    # a MAX's 360 chapters (GS01, GS02, GS03) are one recording
    "GOPRO_MAX": [
        ("clip", "GH010137.MP4"),
        ("clip", "GS010135.360 (+2 spans)"),
        ("clip", "GS010136.360"),
        ("file", "GS__8588.JPG"),
        ("file", "version.txt"),
    ],
    # each clip folder's INDEX.MIF is the card's, beside three clips or one
    "CANON_CRM_FOLDERS": [
        *(("clip", f"A001C00{n}_261203AB_CANON.CRM") for n in (1, 2, 3, 4)),
        ("file", "CANONMVI.MIF"),
        ("file", "INDEX.MIF"),
        ("file", "INDEX.MIF"),
    ],
    # a take of 0 bytes is an empty row, never an audio take
    "SOUND_EMPTY_TAKE": [
        ("audio", "Sc12A-T01.WAV"),
        ("audio", "Sc12A-T02.WAV"),
        ("audio", "Sc12B-T01.WAV"),
        ("audio", "Sc12B-T02.WAV"),
        ("empty", "Sc12B-T03.WAV"),
        ("file", "261203.CSV"),
    ],
    "SOUND_BWF": [
        ("audio", "Sc12A-T03.WAV"),
        ("audio", "Sc12A-T04.WAV"),
        ("audio", "ZOOM0007_Tr1.WAV (+2 tracks)"),
        ("file", "261203.CSV"),
    ],
}
OS_JUNK_IGNORED = [
    "$RECYCLE.BIN",
    ".DS_Store",
    ".DocumentRevisions-V100",
    ".Spotlight-V100",
    ".TemporaryItems",
    ".Trash-1000",
    ".Trashes",
    "._.DS_Store",
    ".fseventsd",
    "DCIM/.DS_Store",
    "DCIM/100MEDIA/._DJI_0001.MP4",
    "DCIM/desktop.ini",
    "System Volume Information",
    "Thumbs.db",
]

# What the default ignore rules leave out of a layout (none but these two).
IGNORED = {
    "OS_JUNK": OS_JUNK_IGNORED,
    "MAC_VOLUME": [
        ".TemporaryItems",
        ".Trashes",
        ".VolumeIcon.icns",
        "._.Trashes",
        ".fseventsd",
        ".metadata_never_index",
        "DCIM/100CANON/._MVI_0001.MP4",
    ],
}


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def field_digests(tool: str, root: Path, paths: list[str]) -> dict[str, str]:
    """*tool*'s digest of each of *paths* below *root* (one run for them all)."""
    argv = [tool, "-H1"] if tool == "xxhsum" else [tool]
    done = subprocess.run(
        [*argv, "--", *paths], cwd=root, capture_output=True, check=True, timeout=120
    )
    digests = {}
    for line in done.stdout.decode("utf-8", "surrogateescape").splitlines():
        digest, _, name = line.partition("  ")
        # Both tools escape a name holding a backslash or newline with a leading "\".
        digests[name] = digest.removeprefix("\\")
    return digests


@pytest.mark.parametrize("layout", sorted(camera_cards.LAYOUTS))
def test_card_layout_offloaded_and_judged(
    layout: str, tmp_path: Path, judge: AscmhlJudge, report_dir: Path
) -> None:
    for tool in ("xxhsum", "md5sum"):
        require_tool(tool)  # a missing judge is a failure under CI=true, not a skip
    card = camera_cards.write_card(tmp_path / "cards" / layout, camera_cards.LAYOUTS[layout])
    if layout == "NAMES":
        camera_cards.add_links(card)
    destinations = [tmp_path / f"dest{n}" for n in range(3)]
    for destination in destinations:
        destination.mkdir()
    code, output = offload(
        "copy", str(card), *map(str, destinations), "--verify", "full", "-t", "xxh64,md5"
    )
    assert code == 0, output
    (report,) = report_dir.glob("*.json")
    data: dict[str, Any] = json.loads(report.read_text())
    files = data["files"]
    assert all(d["status"] == "verified" for f in files for d in f["destinations"])
    # Every file the card holds, but what the ignore rules leave out, was copied.
    ignored = sorted(entry["path"] for entry in data["ignored"])
    assert ignored == IGNORED.get(layout, [])
    on_card = sorted(
        os.path.relpath(os.path.join(folder, name), card)
        for folder, _, names in os.walk(card)
        for name in names
        if not os.path.islink(os.path.join(folder, name))
    )
    kept = [p for p in on_card if not any(p == i or p.startswith(i + "/") for i in ignored)]
    assert sorted(f["path"] for f in files) == kept
    # No two files alike: a copy put under another file's name could not pass unseen.
    assert len({f["digests"]["md5"] for f in files}) == len(files)

    for destination in destinations:
        root = destination / layout
        verdict = judge.verify(root)
        assert verdict.clean, verdict.describe()
        if destination == destinations[0]:  # the folder hashes too (one is enough: same tree)
            deep = judge.verify(root, directory_hashes=True)
            assert deep.clean, deep.describe()
        for tool, algorithm in (("xxhsum", "xxh64"), ("md5sum", "md5")):
            found = field_digests(tool, root, kept)
            assert found == {f["path"]: f["digests"][algorithm] for f in files}, tool
        for junk in ignored:
            assert not os.path.lexists(root / junk)
        if layout == "NAMES":  # a link in the card is its file; one out of it is ignored
            recorded = read_history(root).reference_hashes()
            assert recorded["Day 1/Card A/latest.mov"] == recorded["Day 1/Card A/clip one.mov"]
            assert "outside" not in recorded and os.readlink(root / "outside") == "/etc/hostname"
        for relative, content in camera_cards.LAYOUTS[layout].items():
            if content is None:
                assert (root / relative).is_dir()  # empty folders are kept

    rows = [(c.kind, c.name) for c in group_clips(files)]
    if layout in ROWS:
        assert rows == ROWS[layout]
    # No layout makes a sequence of stills or a gap that is not there.
    gaps = {c.name: c.gaps for c in group_clips(files) if c.gaps}
    expected_gaps = {
        "ARRI": {"A002C005_250101_R1AB.[0000001-0000004].ari": [(3, 3)]},
        "SEQUENCES": {"A004C001.[0086400-0086409].dpx": [(86403, 86404)]},
    }
    assert gaps == expected_gaps.get(layout, {})


def test_a_volumes_own_files_are_left_out_named_and_one_brought_back_on_request(
    tmp_path: Path, judge: AscmhlJudge, report_dir: Path
) -> None:
    """A Mac's volume icon and Spotlight switch were copied as clips: they are the volume's,
    not the card's content, so they are left out, each listed in the report with its reason;
    ``--ignore '!NAME'`` brings one back (copied, recorded in the ASC MHL, judged)."""
    card = camera_cards.write_card(tmp_path / "cards" / "MAC", camera_cards.MAC_VOLUME)
    destination = tmp_path / "dest"
    destination.mkdir()
    code, output = offload("copy", str(card), str(destination), "--ignore", "!.VolumeIcon.icns")
    assert code == 0, output
    (report,) = report_dir.glob("*.json")
    data = json.loads(report.read_text())
    why = {entry["path"]: entry["reason"] for entry in data["ignored"]}
    assert "Spotlight" in why[".metadata_never_index"], why
    assert ".VolumeIcon.icns" not in why
    root = destination / "MAC"
    assert (root / ".VolumeIcon.icns").is_file() and not (root / ".metadata_never_index").exists()
    assert ".VolumeIcon.icns" in read_history(root).reference_hashes()
    verdict = judge.verify(root)
    assert verdict.clean, verdict.describe()


@pytest.mark.parametrize(("first", "then"), [("ascmhl", "both"), ("legacy", "ascmhl")])
def test_a_rerun_that_adds_the_other_manifest_kind_leaves_no_new_file_to_ascmhl(
    first: str, then: str, tmp_path: Path, judge: AscmhlJudge
) -> None:
    """A sound card offloaded with one ``--mhl`` and re-run with another, nothing new on it:
    the legacy MHL at the copy root (written by either run) is no card file, so the newest
    ASC MHL generation must ignore it: else ``ascmhl-debug verify`` and ``offload verify``
    call it a new file (exit 21) after an offload that exited 0."""
    card = camera_cards.write_card(tmp_path / "cards" / "SOUND", camera_cards.SOUND_DEVICES)
    destination = tmp_path / "dest"
    destination.mkdir()
    for kind in (first, then, then):  # the third run finds the manifests complete
        code, output = offload("copy", str(card), str(destination), "--mhl", kind)
        assert code == 0, output
    root = destination / "SOUND"
    assert len(list(root.glob("SOUND_*.mhl"))) == 1
    generations = sorted(p.name for p in (root / "ascmhl").glob("*.mhl"))
    assert len(generations) == (2 if first == "ascmhl" else 1), generations
    verdict = judge.verify(root)
    assert verdict.clean, verdict.describe()
    code, output = offload("verify", str(root))
    assert code == 0, output
    assert " 0 new," in output


@pytest.mark.parametrize(("first", "then"), [("both", "both"), ("legacy", "ascmhl")])
def test_card_files_named_like_the_legacy_mhls_are_in_the_history_and_checked(
    first: str, then: str, tmp_path: Path, judge: AscmhlJudge
) -> None:
    """A card folder that carries another tool's legacy MHL (``DAY2_<date>_<time>.mhl``: a
    copy tool that wrote one onto the card, or an earlier copy root offloaded again) and a
    note named ``DAY2_notes.mhl`` in a clip folder, offloaded with a legacy MHL: the
    generation's pattern that hides the copy root's own legacy MHLs (``DAY2_*.mhl``) hid
    both card files too, at any depth, with no warning, so neither ``ascmhl-debug verify`` nor
    ``offload verify`` saw a change to their copies (both exit 0); so did a generation
    written after an earlier run's legacy MHL. Each must be listed, checked, and a re-run
    with nothing new must write no generation. So must the clips in a card *folder* so
    named (``DAY2_2024.mhl/``, a note so named in it too): the pattern hid the folder, and
    ascmhl does not walk into an ignored folder, so its files were in no generation, with
    no warning; what the list hides elsewhere (``.DS_Store``) stays hidden in there."""
    card = camera_cards.write_card(
        tmp_path / "cards" / "DAY2",
        camera_cards.SOUND_BWF
        | {
            "DAY2_2026-01-01_120000.mhl": b'<hashlist version="1.1"></hashlist>\n',
            "SOUNDDEV/261203/DAY2_notes.mhl": b"scene 12A: wild track\n",
            "DAY2_2024.mhl/C001.mov": b"a clip in a folder named like a legacy MHL\n",
            "DAY2_2024.mhl/DAY2_more.mhl/C002.mov": b"and one deeper\n",
            "DAY2_2024.mhl/DAY2_x.mhl": b"a note\n",
        },
    )
    destination = tmp_path / "dest"
    destination.mkdir()
    for kind in (first, then, then):  # the third run has nothing new
        code, output = offload("copy", str(card), str(destination), "--mhl", kind)
        assert code == 0, output
    root = destination / "DAY2"
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 1
    files = len(camera_cards.file_paths(camera_cards.SOUND_BWF)) + 5
    (root / "DAY2_2024.mhl" / ".DS_Store").write_bytes(b"Finder was here")  # hidden in there
    code, output = offload("verify", str(root))
    assert code == 0 and f"{files} OK, 0 changed, 0 missing, 0 new" in output, output
    assert judge.verify(root).clean
    deep = judge.verify(root, directory_hashes=True)
    assert deep.clean, deep.describe()
    recorded = read_history(root).reference_hashes()
    assert {"DAY2_2024.mhl/C001.mov", "DAY2_2024.mhl/DAY2_more.mhl/C002.mov"} <= set(recorded)
    assert "DAY2_2024.mhl/DAY2_x.mhl" in recorded
    for changed in ("SOUNDDEV/261203/DAY2_notes.mhl", "DAY2_2024.mhl/DAY2_more.mhl/C002.mov"):
        copy = root / changed
        copy.write_bytes(copy.read_bytes()[:-1] + b"X")  # the same size, another byte
        assert judge.verify(root).returncode == 11
        code, output = offload("verify", str(root))
        assert code == 11 and "1 changed" in output, output
        copy.write_bytes((card / changed).read_bytes())


@pytest.mark.parametrize("runs", [("ascmhl", "both", "both"), ("both", "both", "both")])
def test_a_dangling_link_in_a_folder_named_like_the_legacy_mhls_stays_ignored_on_re_runs(
    runs: tuple[str, ...], tmp_path: Path, judge: AscmhlJudge
) -> None:
    """A card folder named like the copy root's legacy MHLs (``DAY2_2024.mhl/``) holding a
    clip, a note so named (``DAY2_x.mhl``) and a dangling link (``gone``), offloaded again.
    Once a run adds the legacy MHLs' pattern after a history that ignores the link (``--mhl
    ascmhl``, then ``both``), the folder's ``!`` pattern came after the link's carried one and
    listed it again: ``ascmhl-debug verify`` found it new (exit 21). With links the re-runs write
    generations again, and each re-scoped the history's own ``DAY2_*.mhl`` below the folder,
    after the note's ``!``: the note hidden, a changed copy of it passed ``ascmhl-debug verify``.
    Now the link stays ignored and the note checked, run after run."""
    card = camera_cards.write_card(
        tmp_path / "cards" / "DAY2",
        camera_cards.SOUND_BWF
        | {
            "DAY2_2024.mhl/C001.mov": b"a clip in a folder named like a legacy MHL\n",
            "DAY2_2024.mhl/DAY2_x.mhl": b"a note\n",
        },
    )
    (card / "DAY2_2024.mhl" / "gone").symlink_to("nowhere")
    (card / "gone2").symlink_to("nowhere")
    destination = tmp_path / "dest"
    destination.mkdir()
    root = destination / "DAY2"
    for kind in runs:
        code, output = offload("copy", str(card), str(destination), "--mhl", kind)
        assert code == 0, output
        verdict = judge.verify(root)
        assert verdict.clean, verdict.describe()
    note = root / "DAY2_2024.mhl" / "DAY2_x.mhl"
    note.write_bytes(b"a notE\n")  # the same size, another byte
    assert judge.verify(root).returncode == 11


@pytest.mark.parametrize(("rule", "left_out"), [(3, ("files", "folders")), (4, ("folders",))])
def test_a_history_written_under_an_earlier_rule_is_written_again_once_and_said_so(
    rule: int, left_out: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy root whose history was written under an earlier rule of what a generation
    lists: before stamp rule 4 the generation's ``DAY2_*.mhl`` hid the card file
    ``SOUNDDEV/261203/DAY2_notes.mhl`` and the folder ``DAY2_2024.mhl/``; under rule 4 (until
    the folders were listed again) the folder still. The re-run's new generation lists them,
    and its warning says why the history lacked them. Failed before: "an earlier run stopped
    before writing its manifests", which no run did; and a stamp of rule 4 was trusted, so
    the folder's clips were never recorded (no generation written, exit 0). The first run is
    this writer with the later steps left out and its stamp of that rule, as that version
    wrote them."""
    from offload import manifest_stamp, manifests_writer

    notes, clip = "SOUNDDEV/261203/DAY2_notes.mhl", "DAY2_2024.mhl/C001.mov"
    card = camera_cards.write_card(
        tmp_path / "cards" / "DAY2",
        camera_cards.SOUND_BWF | {notes: b"scene 12A\n", clip: b"a clip in a folder so named\n"},
    )
    destination = tmp_path / "dest"
    destination.mkdir()
    root = destination / "DAY2"
    with monkeypatch.context() as earlier:
        if "files" in left_out:
            earlier.setattr(manifests_writer, "_card_files_listed_again", lambda *_: [])
        earlier.setattr(manifests_writer, "legacy_named_folders", lambda *_: ([], {}))
        earlier.setattr(manifest_stamp, "_VERSION", rule)
        code, output = offload("copy", str(card), str(destination), "--mhl", "both")
    assert code == 0, output
    hidden = {notes, clip} if "files" in left_out else {clip}
    assert not hidden & set(read_history(root).reference_hashes())  # hidden, as it was
    code, output = offload("copy", str(card), str(destination), "--mhl", "both")
    assert code == 0, output
    flat = " ".join(output.split())
    assert "stopped before writing" not in flat, flat
    assert "as verified, though its ledger does: its newest generation's ignore" in flat, flat
    assert "written under an earlier rule" in flat, flat
    assert {notes, clip} <= set(read_history(root).reference_hashes())
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 2
    code, output = offload("copy", str(card), str(destination), "--mhl", "both")
    assert code == 0 and "earlier rule" not in output, output  # once
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 2


def test_a_card_file_named_ascmhl_is_recorded_and_one_at_the_root_refused_first(
    tmp_path: Path, judge: AscmhlJudge, report_dir: Path
) -> None:
    """A card file named ``ascmhl`` in a clip folder (a card may hold any name) was taken
    for a nested ASC MHL history: the manifest was refused on every destination after the
    whole copy. Only a *folder* so named is a history: the file is listed and checked, also
    where the copy root's path ends with its folder (card ``A001``, file ``A001/ascmhl``:
    the pattern that lists it matches the copy root's own ``ascmhl/`` too, as ascmhl
    matches absolute paths). At the card's root the name is the history folder's: refused
    before the first byte, in one line that names it and what to do."""
    card = camera_cards.write_card(
        tmp_path / "cards" / "A001",
        {"A001/ascmhl": b"a file, not a history\n", "A001/C001.mov": b"clip\n"},
    )
    destination = tmp_path / "dest"
    destination.mkdir()
    for _ in range(2):  # the second run has nothing new: no generation
        code, output = offload("copy", str(card), str(destination), "--mhl", "both")
        assert code == 0 and "manifest not written" not in output, output
    root = destination / "A001"
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 1
    assert "A001/ascmhl" in read_history(root).reference_hashes()
    (legacy,) = root.glob("A001_*.mhl")
    assert "<file>A001/ascmhl</file>" in legacy.read_text()
    deep = judge.verify(root, directory_hashes=True)
    assert deep.clean, deep.describe()
    (root / "A001" / "ascmhl").write_bytes(b"a file, not a historX")
    assert judge.verify(root).returncode == 11
    code, output = offload("verify", str(root))
    assert code == 11 and "1 changed" in output, output

    (card / "ascmhl").write_bytes(b"at the root\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, output = offload("copy", str(card), str(elsewhere))
    assert code == 64, output
    (line,) = [line for line in output.splitlines() if line.startswith("ERROR")]
    assert str(card / "ascmhl") in line and "--ignore /ascmhl" in line, output
    assert not any(elsewhere.iterdir())  # nothing written
    code, output = offload("copy", str(card), str(elsewhere), "--ignore", "/ascmhl")
    assert code == 0, output
    assert not (elsewhere / "A001" / "ascmhl").is_file()


# A day's cards in one folder each, as a DIT brings them to an exFAT shuttle drive (the names
# exFAT refuses, `<>"`, left out: the preflight refuses them, test_field_filesystems.py).
SHUTTLE_CARDS = ("ALEXA35", "DRONES", "SOUND_BWF", "NAMES_MORE")


def test_a_days_cards_on_an_exfat_shuttle_pass_the_field_tools_after_a_replug(
    tmp_path: Path, judge: AscmhlJudge, report_dir: Path, exfat_loop: Any
) -> None:
    """A day's cards offloaded to an exFAT shuttle drive (exfat-fuse over a loop device) and
    a folder, with every hash the legacy MHL records and both manifests; then the drive
    unplugged and plugged in again: ``ascmhl-debug verify -dh``, ``xxhsum -H1``, ``md5sum`` and
    ``sha1sum`` on both, ``offload verify --mhl-file`` (the legacy MHL) on the shuttle,
    must all agree with what the card's files hash to, and the same command again must
    write nothing and trust every copy (verified earlier)."""
    for tool in ("xxhsum", "md5sum", "sha1sum"):
        require_tool(tool)
    card = tmp_path / "cards" / "DAY01"
    for name in SHUTTLE_CARDS:
        layout = camera_cards.LAYOUTS[name]
        camera_cards.write_card(
            card / name, {p: c for p, c in layout.items() if not set('<>"') & set(p)}
        )
    shuttle = exfat_loop(16 << 20)
    folder = tmp_path / "raid"
    folder.mkdir()
    argv = ["copy", str(card), str(shuttle.path), str(folder), "-t", "xxh64,md5,sha1"]
    code, output = offload(*argv, "--mhl", "both")
    assert code == 0, output
    (report,) = report_dir.glob("*.json")
    files = json.loads(report.read_text())["files"]
    assert all(d["status"] == "verified" for f in files for d in f["destinations"])
    paths = [f["path"] for f in files]
    with exfat_replugged(shuttle):
        for root in (shuttle.path / "DAY01", folder / "DAY01"):
            deep = judge.verify(root, directory_hashes=True)
            assert deep.clean, deep.describe()
            for tool, algorithm in (("xxhsum", "xxh64"), ("md5sum", "md5"), ("sha1sum", "sha1")):
                found = field_digests(tool, root, paths)
                assert found == {f["path"]: f["digests"][algorithm] for f in files}, tool
        root = shuttle.path / "DAY01"  # the legacy MHL, which ascmhl does not read
        (legacy,) = root.glob("DAY01_*.mhl")
        code, output = offload("verify", "--mhl-file", str(legacy), str(root))
        assert code == 0 and f"{len(files)} OK, 0 changed" in output, output
        for report_file in report_dir.iterdir():
            report_file.unlink()
        code, output = offload(*argv, "--mhl", "both")
        assert code == 0, output
        (again,) = report_dir.glob("*.json")
        rerun = json.loads(again.read_text())
        assert {d["status"] for f in rerun["files"] for d in f["destinations"]} == {
            "verified_earlier"
        }
        assert [d["bytes_written"] for d in rerun["destinations"]] == [0, 0]
        assert len(list((shuttle.path / "DAY01" / "ascmhl").glob("*.mhl"))) == 1


def test_no_default_ignore_copies_os_files_and_names_each_finder_file_no_manifest_holds(
    tmp_path: Path, judge: AscmhlJudge, report_dir: Path
) -> None:
    """``--no-default-ignore`` of a card a Mac and a PC mounted: every OS file is copied and
    verified, and each is in the ASC MHL history but the ``.DS_Store`` files, which ASC MHL
    leaves out whatever the list (ascmhl's own default, kept by every generation; the legacy
    MHL follows it): those are
    named, terminal and every saved report (``not-in-manifest``), on the run that copies
    them and on a re-run, never left out unsaid, and what a check of the copy does with
    them (passes over them) is said as it is, once a file on the terminal (failed before:
    the manifests' own warning said it again); the judge passes. Failed before: the two
    ``.DS_Store`` copies were in no manifest and no report or line said so (found in QA);
    then the report's warning said a check calls each a new file (exit 21), which it does
    not (the words of a name XML cannot hold)."""
    card = camera_cards.write_card(tmp_path / "cards" / "JUNK", camera_cards.OS_JUNK)
    destination = tmp_path / "dest"
    destination.mkdir()
    root = destination / "JUNK"
    finder = [".DS_Store", "DCIM/.DS_Store"]
    code, output = offload("copy", "--dry-run", str(card), str(destination), "--no-default-ignore")
    assert code == 0, output
    for path in finder:  # named before the copy too, in the words of the reports
        assert (
            f"{root / path} will be copied like the card's other files, but it will be in no "
            "manifest there, ASC MHL or legacy (ASC MHL leaves every .DS_Store out" in output
        ), output
    assert output.count("ascmhl-debug verify and offload verify of the copy pass over it") == 2
    for run in ("copy", "re-run"):
        code, output = offload("copy", str(card), str(destination), "--no-default-ignore")
        assert code == 0, output
        for path in finder:  # said once: the preflight's words, not the manifests' again
            said = f"{root / path} will be copied like the card's other files, but it will be"
            assert output.count(said) == 1, (run, output)
            assert f"{path} on {root} is in no manifest there" not in output, (run, output)
        (report,) = sorted(report_dir.glob("JUNK_*.json"), key=os.path.getmtime)[-1:]
        data = json.loads(report.read_text())
        named = sorted(w["path"] for w in data["warnings"] if w["code"] == "not-in-manifest")
        assert named == sorted(str(root / p) for p in finder), (run, data["warnings"])
        for warning in data["warnings"]:
            if warning["code"] == "not-in-manifest":  # what a check does: passes over it
                assert warning["message"].endswith(
                    "ascmhl-debug verify and offload verify of the copy pass over it: the "
                    "manifests' ignore list hides it"
                ), warning
        assert "calls it new" not in output and "passes over them" in output, output
        assert data["ignored"] == []
    files = camera_cards.file_paths(camera_cards.OS_JUNK)
    assert sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not {"ascmhl", ".offload"} & set(p.relative_to(root).parts)
    ) == sorted(files)
    recorded = set(read_history(root).reference_hashes())
    assert recorded == set(files) - set(finder), sorted(recorded ^ set(files))
    verdict = judge.verify(root)
    assert verdict.clean, verdict.describe()
