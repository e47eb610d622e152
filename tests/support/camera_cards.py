"""Small synthetic camera cards: the folders and names real cameras and recorders write, with
tiny files (a few bytes each; grouping and manifests depend on names, not on picture data).

Each layout is a mapping of relative path to content (``bytes``; ``None`` for an empty folder).
The layouts were written from the vendors' documented card structures (Panasonic P2, Sony
XDCAM/XAVC, AVCHD, ARRI, RED, Canon Cinema RAW Light and XF, Blackmagic, DJI, GoPro,
Insta360, iPhone, Sound Devices and Zoom recorders); what each camera writes beside its
media is kept, so that a report's grouping can be judged on them. ``write_card`` makes one
on disk.
"""

from __future__ import annotations

import io
import os
import unicodedata
import wave
from collections.abc import Mapping
from pathlib import Path

Layout = Mapping[str, bytes | None]


def _content(path: str) -> bytes:
    """A few bytes that differ per file, so a copy swapped with another is caught."""
    return f"{path}\n".encode()


def _wav(path: str, channels: int = 2) -> bytes:
    """A real (tiny) 48 kHz 24-bit WAV: a recorder's take, readable by FFmpeg. Its samples
    spell *path*, so no two files are alike (a copy swapped with another is caught)."""
    frame = 3 * channels
    samples = path.encode().ljust(frame * 480, b"\0")
    samples += bytes(-len(samples) % frame)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(3)
        out.setframerate(48_000)
        out.writeframes(samples)
    return buffer.getvalue()


def _bwf(path: str, channels: int, scene: str, take: int) -> bytes:
    """A recorder's Broadcast WAV: ``_wav``'s take with a ``bext`` chunk (its timecode as
    samples since midnight) and an ``iXML`` chunk (scene, take, track names) between
    ``fmt `` and ``data``, where Sound Devices and Zoom recorders write them."""
    plain = _wav(path, channels)
    fmt_end = 12 + 8 + int.from_bytes(plain[16:20], "little")
    bext = bytearray(602)
    bext[:32] = f"{scene}-T{take:02d}".encode().ljust(32, b"\0")
    bext[338:346] = (10 * 3600 * 48_000).to_bytes(8, "little")  # TimeReference: 10:00:00:00
    tracks = "".join(
        f"<TRACK><CHANNEL_INDEX>{n}</CHANNEL_INDEX><NAME>Mic {n}</NAME></TRACK>"
        for n in range(1, channels + 1)
    )
    ixml = (
        f'<?xml version="1.0" encoding="UTF-8"?><BWFXML><IXML_VERSION>1.61</IXML_VERSION>'
        f"<SCENE>{scene}</SCENE><TAKE>{take}</TAKE><TRACK_LIST>"
        f"<TRACK_COUNT>{channels}</TRACK_COUNT>{tracks}</TRACK_LIST></BWFXML>"
    ).encode()
    ixml += bytes(len(ixml) % 2)  # a chunk of odd size is padded to an even one
    chunks = b"bext" + len(bext).to_bytes(4, "little") + bytes(bext)
    chunks += b"iXML" + len(ixml).to_bytes(4, "little") + ixml
    body = plain[8:fmt_end] + chunks + plain[fmt_end:]
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def _files(*paths: str) -> dict[str, bytes | None]:
    return {p: _wav(p) if p.upper().endswith(".WAV") else _content(p) for p in paths}


P2 = _files(
    "CONTENTS/VIDEO/0001AB.MXF",
    *(f"CONTENTS/AUDIO/0001AB{n:02d}.MXF" for n in range(4)),
    "CONTENTS/CLIP/0001AB.XML",
    "CONTENTS/ICON/0001AB.BMP",
    "CONTENTS/PROXY/0001AB.MP4",
    "CONTENTS/PROXY/0001AB.BIN",
    "CONTENTS/VOICE/0001AB00.WAV",
    "CONTENTS/VIDEO/0002CD.MXF",
    *(f"CONTENTS/AUDIO/0002CD{n:02d}.MXF" for n in range(2)),
    "CONTENTS/CLIP/0002CD.XML",
    "CONTENTS/ICON/0002CD.BMP",
    "LASTCLIP.TXT",
) | {"CONTENTS/PROXY/INDEX": None}

SONY_XAVC = _files(
    "PRIVATE/M4ROOT/CLIP/C0001.MP4",
    "PRIVATE/M4ROOT/CLIP/C0001M01.XML",
    "PRIVATE/M4ROOT/CLIP/C0002.MP4",
    "PRIVATE/M4ROOT/CLIP/C0002M01.XML",
    "PRIVATE/M4ROOT/THMBNL/C0001T01.JPG",
    "PRIVATE/M4ROOT/THMBNL/C0002T01.JPG",
    "PRIVATE/M4ROOT/SUB/C0001S03.MP4",
    "PRIVATE/M4ROOT/MEDIAPRO.XML",
    "PRIVATE/M4ROOT/STATUS.BIN",
) | {"PRIVATE/M4ROOT/GENERAL": None}

SONY_XDCAM = _files(
    "XDROOT/Clip/A001C001_250101AB.MXF",
    "XDROOT/Clip/A001C001_250101ABM01.XML",
    "XDROOT/Sub/A001C001_250101ABS03.MXF",
    "XDROOT/Clip/A001C002_250101AB.MXF",
    "XDROOT/Clip/A001C002_250101ABM01.XML",
    "XDROOT/Sub/A001C002_250101ABS03.MXF",
    "XDROOT/MEDIAPRO.XML",
    "XDROOT/DISCMETA.XML",
) | {"XDROOT/Take": None, "XDROOT/Edit": None, "XDROOT/General": None}

# XDCAM EX (SxS): a folder a clip; a take past 4 GB is split into clip folders _01, _02 and
# joined by a take list in TAKR.
XDCAM_EX = _files(
    "BPAV/CLPR/FISH0046_01/FISH0046_01.MP4",
    "BPAV/CLPR/FISH0046_01/FISH0046_01M01.XML",
    "BPAV/CLPR/FISH0046_01/FISH0046_01.SMI",
    "BPAV/CLPR/FISH0046_01/FISH0046_01I01.PPN",
    "BPAV/CLPR/FISH0046_01/FISH0046_01R01.BIM",
    "BPAV/CLPR/FISH0046_02/FISH0046_02.MP4",
    "BPAV/CLPR/FISH0046_02/FISH0046_02M01.XML",
    "BPAV/CLPR/FISH0046_02/FISH0046_02.SMI",
    "BPAV/CLPR/FISH0047_01/FISH0047_01.MP4",
    "BPAV/CLPR/FISH0047_01/FISH0047_01M01.XML",
    "BPAV/CLPR/FISH0047_01/FISH0047_01.SMI",
    "BPAV/TAKR/FISH0046/FISH0046.SMI",
    "BPAV/TAKR/FISH0046/FISH0046M01.XML",
    "BPAV/MEDIAPRO.XML",
    "BPAV/CUEUP.XML",
)

AVCHD = _files(
    "PRIVATE/AVCHD/BDMV/STREAM/00000.MTS",
    "PRIVATE/AVCHD/BDMV/STREAM/00001.MTS",
    "PRIVATE/AVCHD/BDMV/CLIPINF/00000.CPI",
    "PRIVATE/AVCHD/BDMV/CLIPINF/00001.CPI",
    "PRIVATE/AVCHD/BDMV/PLAYLIST/00000.MPL",
    "PRIVATE/AVCHD/BDMV/INDEX.BDM",
    "PRIVATE/AVCHD/BDMV/MOVIEOBJ.BDM",
    "PRIVATE/AVCHD/BDMV/BACKUP/CLIPINF/00000.CPI",
    "PRIVATE/AVCHD/BDMV/BACKUP/CLIPINF/00001.CPI",
    "PRIVATE/AVCHD/BDMV/BACKUP/PLAYLIST/00000.MPL",
    "PRIVATE/AVCHD/BDMV/BACKUP/INDEX.BDM",
    "PRIVATE/AVCHD/BDMV/BACKUP/MOVIEOBJ.BDM",
    "PRIVATE/AVCHD/AVCHDTN/THUMB.TDT",
    "PRIVATE/AVCHD/AVCHDTN/THUMB.TID",
)

ARRI = _files(
    "A001R1AB/A001C001_250101_R1AB.mxf",
    "A001R1AB/A001C002_250101_R1AB.mxf",
    "A001R1AB/A001C003_250101_R1AB.mxf",
    *(f"A002C004_250101_R1AB/A002C004_250101_R1AB.{n:07d}.ari" for n in range(1, 6)),
    *(f"A002C005_250101_R1AB/A002C005_250101_R1AB.{n:07d}.ari" for n in (1, 2, 4)),
)

RED = _files(
    "A001_0101AB.RDM/A001_C001_0101AB.RDC/A001_C001_0101AB_001.R3D",
    "A001_0101AB.RDM/A001_C001_0101AB.RDC/A001_C001_0101AB_002.R3D",
    "A001_0101AB.RDM/A001_C001_0101AB.RDC/A001_C001_0101AB_003.R3D",
    "A001_0101AB.RDM/A001_C001_0101AB.RDC/A001_C001_0101AB.RMD",
    "A001_0101AB.RDM/A001_C002_0101CD.RDC/A001_C002_0101CD_001.R3D",
    "A001_0101AB.RDM/A001_C002_0101CD.RDC/A001_C002_0101CD.RMD",
)

CANON_CRM = _files(
    "CONTENTS/CLIPS001/A001C001_250101AB_CANON.CRM",
    "CONTENTS/CLIPS001/A001C001_250101AB_CANON.XML",
    "CONTENTS/CLIPS001/A001C002_250101AB_CANON.CRM",
    "CONTENTS/CLIPS001/A001C002_250101AB_CANON.XML",
    "CONTENTS/CLIPS001/INDEX.MIF",
)

# Canon XF: a folder a clip; a clip past the FAT32 file size is several MXFs, each with a SIF.
CANON_XF = _files(
    "CONTENTS/CLIPS001/AA0012/AA001201.MXF",
    "CONTENTS/CLIPS001/AA0012/AA001202.MXF",
    "CONTENTS/CLIPS001/AA0012/AA001201.SIF",
    "CONTENTS/CLIPS001/AA0012/AA001202.SIF",
    "CONTENTS/CLIPS001/AA0012/AA0012.CIF",
    "CONTENTS/CLIPS001/AA0012/AA0012.XML",
    "CONTENTS/CLIPS001/AA0012/AA0012I.JPG",
    "CONTENTS/CLIPS001/AA0013/AA001301.MXF",
    "CONTENTS/CLIPS001/AA0013/AA0013.XML",
    "CONTENTS/CLIPS001/INDEX.MIF",
)

BLACKMAGIC = _files(
    "A001_01011230_C001.braw",
    "A001_01011230_C001.sidecar",
    "A001_01011231_C002.braw",
    "Proxy/A001_01011230_C001.mp4",
)

DJI = _files(
    "DCIM/100MEDIA/DJI_0001.MP4",
    "DCIM/100MEDIA/DJI_0001.SRT",
    "DCIM/100MEDIA/DJI_0001.LRF",
    "DCIM/100MEDIA/DJI_0002.JPG",
    "DCIM/100MEDIA/DJI_0003.DNG",
    "DCIM/100MEDIA/DJI_0004.DNG",
    "DCIM/100MEDIA/DJI_0006.DNG",
    "DCIM/100MEDIA/DJI_0007.MP4",
    "DCIM/100MEDIA/DJI_0007.SRT",
)

GOPRO = _files(
    "DCIM/100GOPRO/GX010042.MP4",
    "DCIM/100GOPRO/GX020042.MP4",
    "DCIM/100GOPRO/GL010042.LRV",
    "DCIM/100GOPRO/GL020042.LRV",
    "DCIM/100GOPRO/GX010042.THM",
    "DCIM/100GOPRO/GOPR0043.JPG",
    "MISC/version.txt",
)

# Insta360: one file a lens (00, 10) and a low-resolution proxy; a GoPro time-lapse group.
INSTA360 = _files(
    "DCIM/Camera01/VID_20250101_120000_00_001.insv",
    "DCIM/Camera01/VID_20250101_120000_10_001.insv",
    "DCIM/Camera01/LRV_20250101_120000_01_001.lrv",
    "DCIM/Camera01/IMG_20250101_120100_00_002.insp",
)
GOPRO_TIMELAPSE = _files(
    *(f"DCIM/100GOPRO/G001{n:04d}.JPG" for n in range(1, 31)),
    *(f"DCIM/100GOPRO/G002{n:04d}.JPG" for n in range(1, 26)),
)

IPHONE = _files(
    "DCIM/100APPLE/IMG_0001.MOV",
    "DCIM/100APPLE/IMG_0002.HEIC",
    "DCIM/100APPLE/IMG_0002.AAE",
    "DCIM/100APPLE/IMG_0003.MOV",
    "DCIM/100APPLE/IMG_0003.AAE",
    "DCIM/100APPLE/IMG_0004.DNG",
    "DCIM/100APPLE/IMG_0005.DNG",
    "DCIM/100APPLE/IMG_E0003.MOV",
)

SOUND_DEVICES = _files(
    "250101/S01T01.WAV",  # polyphonic: one file a take
    "250101/S01T02.WAV",
    "250101/S02T01_1.WAV",  # monophonic: one file a track
    "250101/S02T01_2.WAV",
    "250101/S02T01_3.WAV",
    "250101/250101.CSV",  # the recorder's sound report
    "ZOOM0001/ZOOM0001_LR.WAV",  # Zoom: a take folder of mono tracks
    "ZOOM0001/ZOOM0001_Tr1.WAV",
    "ZOOM0001/ZOOM0001_Tr2.WAV",
)

SEQUENCES = _files(
    *(f"A004C001/A004C001.{n:07d}.dpx" for n in range(86400, 86410) if n not in (86403, 86404)),
    *(f"VFX_010/plate_v001.{n:04d}.exr" for n in range(1001, 1006)),
    "VFX_010/plate_v001.xml",
)


def sound_library(folder: str, takes: int) -> dict[str, bytes | None]:
    """A recorder's folder of *takes* polyphonic takes (``T0000.WAV`` ...), each a real WAV:
    enough of them to fold into one row of the reports past their clip-row limit."""
    return _files(*(f"{folder}/T{n:04d}.WAV" for n in range(takes)))


# What an operating system leaves on a card it mounted, beside one real clip.
OS_JUNK = _files(
    "DCIM/100MEDIA/DJI_0001.MP4",
    "DCIM/100MEDIA/._DJI_0001.MP4",
    ".DS_Store",
    "DCIM/.DS_Store",
    "._.DS_Store",
    ".Spotlight-V100/Store-V2/store.db",
    ".Trashes/501/._x",
    ".fseventsd/fseventsd-uuid",
    ".TemporaryItems/folders.501/x",
    ".DocumentRevisions-V100/db-V1/db.sqlite",
    ".Trash-1000/files/DJI_0002.MP4",
    "System Volume Information/IndexerVolumeGuid",
    "System Volume Information/WPSettings.dat",
    "$RECYCLE.BIN/desktop.ini",
    "Thumbs.db",
    "DCIM/desktop.ini",
)

# Names that stress the manifests and the destinations' filesystems.
_NFC = "Sc\u00e8ne"  # è as one code point
_NFD = "Sce\u0300ne"  # the same name: e + combining grave accent
_LONG = "/".join(["a_rather_long_folder_name_" + "x" * 40] * 5)
NAMES: dict[str, bytes | None] = _files(
    "Day 1/Card A/clip one.mov",
    "Day 1/Card A/clip one.xml",
    f"{_NFC}/take.mov",
    f"{_NFD}/take.mov",
    f"{_LONG}/A001C001.mov",
    "Ünïcödé_名前.mp4",
) | {"Day 1/empty folder": None, "empty.txt": b""}

# ARRI ALEXA 35 / Mini LF on a Codex drive: a reel folder, a folder per clip (MXF, or an
# ARRIRAW frame sequence with its clip metadata), and a clip folder the camera left empty
# (a take stopped before its first frame).
ALEXA35 = _files(
    *(f"A001RA1B/A001C00{n}_261203_RA1B/A001C00{n}_261203_RA1B.mxf" for n in (1, 2, 3)),
    *(f"A001RA1B/A001C004_261203_RA1B/A001C004_261203_RA1B.{n:07d}.ari" for n in range(1, 25)),
    "A001RA1B/A001C004_261203_RA1B/A001C004_261203_RA1B.xml",
) | {"A001RA1B/A001C005_261203_RA1B": None}

# RED: a clip of twelve spans (their numbers past 9 must sort after 9), one of one span,
# each RDC with its RMD, and the magazine's RTN.
RED_SPANS = _files(
    *(f"A002_1203XY.RDM/A002_C001_1203XY.RDC/A002_C001_1203XY_{n:03d}.R3D" for n in range(1, 13)),
    "A002_1203XY.RDM/A002_C001_1203XY.RDC/A002_C001_1203XY.RMD",
    "A002_1203XY.RDM/A002_C002_1203XY.RDC/A002_C002_1203XY_001.R3D",
    "A002_1203XY.RDM/A002_C002_1203XY.RDC/A002_C002_1203XY.RMD",
    "A002_1203XY.RDM/A002_1203XY.RTN",
)

# Sony Venice / FX: XAVC beside the AVF_INFO index, empty TAKE and GENERAL folders.
VENICE = _files(
    *(f"PRIVATE/M4ROOT/CLIP/B001C00{n}_261203AB.MP4" for n in (1, 2, 3)),
    *(f"PRIVATE/M4ROOT/CLIP/B001C00{n}_261203ABM01.XML" for n in (1, 2, 3)),
    *(f"PRIVATE/M4ROOT/THMBNL/B001C00{n}_261203ABT01.JPG" for n in (1, 2, 3)),
    "PRIVATE/M4ROOT/MEDIAPRO.XML",
    "PRIVATE/M4ROOT/STATUS.BIN",
    "AVF_INFO/AVIN0001.BNP",
    "AVF_INFO/AVIN0001.INP",
    "AVF_INFO/PRV00001.BIN",
) | {"PRIVATE/M4ROOT/TAKE": None, "PRIVATE/M4ROOT/GENERAL/SONY": None}

# Blackmagic (URSA, Pyxis): a folder a clip, the .braw with its .sidecar and a proxy.
BRAW_FOLDERS = _files(
    *(f"A004_12031530_C00{n}/A004_12031530_C00{n}.braw" for n in (1, 2, 3)),
    *(f"A004_12031530_C00{n}/A004_12031530_C00{n}.sidecar" for n in (1, 2, 3)),
    "A004_12031530_C001/Proxy/A004_12031530_C001.mp4",
)

# DJI's naming since 2023 (date and time in the name) and a GoPro whose last chapter the
# card filled up at 0 bytes.
DRONES = _files(
    *(
        f"DCIM/DJI_001/DJI_20261203101{n}00_000{n}_D.{ext}"
        for n in (1, 2)
        for ext in ("MP4", "LRF", "SRT")
    ),
    "DCIM/100GOPRO/GX010050.MP4",
    "DCIM/100GOPRO/GX020050.MP4",
    "DCIM/100GOPRO/GX010050.THM",
    "DCIM/100GOPRO/GL010050.LRV",
    "MISC/version.txt",
) | {"DCIM/100GOPRO/GX030050.MP4": b""}

# Sound Devices (a polyphonic BWF a take, bext and iXML) and a Zoom take folder.
SOUND_BWF: dict[str, bytes | None] = {
    "SOUNDDEV/261203/Sc12A-T03.WAV": _bwf("Sc12A-T03.WAV", 8, "12A", 3),
    "SOUNDDEV/261203/Sc12A-T04.WAV": _bwf("Sc12A-T04.WAV", 8, "12A", 4),
    "ZOOM0007/ZOOM0007_LR.WAV": _bwf("ZOOM0007_LR.WAV", 2, "ZOOM0007", 1),
    "ZOOM0007/ZOOM0007_Tr1.WAV": _bwf("ZOOM0007_Tr1.WAV", 1, "ZOOM0007", 1),
    "ZOOM0007/ZOOM0007_Tr2.WAV": _bwf("ZOOM0007_Tr2.WAV", 1, "ZOOM0007", 1),
} | _files("SOUNDDEV/261203/261203.CSV")

# What macOS leaves beside OS_JUNK's: volume settings (its icon, its Spotlight switch: left
# out by default, as a camera never writes them; `--ignore '!NAME'` brings one back), an
# AppleDouble of a folder, and the Finder's nested scratch folders.
MAC_VOLUME = _files(
    "DCIM/100CANON/MVI_0001.MP4",
    "DCIM/100CANON/._MVI_0001.MP4",
    "._.Trashes",
    ".Trashes/501/._x",
    ".TemporaryItems/folders.501/Cleanup At Startup/x",
    ".fseventsd/0000001",
    ".VolumeIcon.icns",
) | {".metadata_never_index": b""}

# Names a Mac, a Windows PC and a person give: only NFD (the name a Mac's Finder wrote),
# an emoji, leading and trailing spaces, XML's special characters, and a path 15 folders of
# 200 bytes deep (past 3,000 bytes, under Linux's 4,095).
_DEEP = "/".join(f"level_{n:02d}_" + "d" * 191 for n in range(15))
NAMES_MORE: dict[str, bytes | None] = _files(
    f"{unicodedata.normalize('NFD', 'Séquence Café')}/prise 1.mov",
    "emoji 🎬/clip.mov",
    " leading space/x.mov",
    "Day 01/Cam A/trailing space .mov",
    "Day 01/Cam A/two  spaces.mov",
    "quote's & <amp>/a\"b.mov",
    "semi;colon/hash#pct%.mov",
    f"{_DEEP}/deep_clip.mov",
) | {"empty folder/nested empty": None}

# Sony Venice 2 / Burano X-OCN on AXS or CFexpress: XDROOT with Clip, Sub (proxies),
# Thmbnl and the card's index files; empty Take, Edit and General folders.
VENICE_XOCN = _files(
    *(f"XDROOT/Clip/X001C00{n}_261203AB.MXF" for n in (1, 2, 3)),
    *(f"XDROOT/Clip/X001C00{n}_261203ABM01.XML" for n in (1, 2, 3)),
    *(f"XDROOT/Sub/X001C00{n}_261203ABS03.MXF" for n in (1, 2, 3)),
    *(f"XDROOT/Thmbnl/X001C00{n}_261203ABT01.JPG" for n in (1, 2, 3)),
    "XDROOT/MEDIAPRO.XML",
    "XDROOT/CUEUP.XML",
    "XDROOT/DISCMETA.XML",
) | {"XDROOT/Take": None, "XDROOT/Edit": None, "XDROOT/General/Sony/Proxy": None}

# GoPro HEVC (GH): a recording of eleven chapters (10 and 11 after 09), each with its LRV,
# one of one chapter, and an AVC (GX) recording in a second DCIM folder.
GOPRO_HEVC = _files(
    *(f"DCIM/100GOPRO/GH{n:02d}0077.MP4" for n in range(1, 12)),
    *(f"DCIM/100GOPRO/GL{n:02d}0077.LRV" for n in range(1, 12)),
    "DCIM/100GOPRO/GH010077.THM",
    "DCIM/100GOPRO/GH010078.MP4",
    "DCIM/100GOPRO/GL010078.LRV",
    "DCIM/100GOPRO/GH010078.THM",
    "DCIM/101GOPRO/GX010079.MP4",
    "DCIM/101GOPRO/GX020079.MP4",
    "MISC/version.txt",
    "Get_started_with_GoPro.url",
)

# GoPro MAX: a 360 recording of three chapters (GS01-03 .360, each with its LRV), one of one
# chapter, a HERO-mode video (GH, its LRV a GL), and a 360 photo.
GOPRO_MAX = _files(
    *(f"DCIM/100GOPRO/GS0{n}0135.360" for n in (1, 2, 3)),
    *(f"DCIM/100GOPRO/GS0{n}0135.LRV" for n in (1, 2, 3)),
    "DCIM/100GOPRO/GS010135.THM",
    "DCIM/100GOPRO/GS010136.360",
    "DCIM/100GOPRO/GS010136.LRV",
    "DCIM/100GOPRO/GS010136.THM",
    "DCIM/100GOPRO/GH010137.MP4",
    "DCIM/100GOPRO/GL010137.LRV",
    "DCIM/100GOPRO/GH010137.THM",
    "DCIM/100GOPRO/GS__8588.JPG",
    "MISC/version.txt",
)

# Canon Cinema RAW Light over two clip folders, each with its INDEX.MIF; a CRM with its MP4
# proxy recorded beside it.
CANON_CRM_FOLDERS = _files(
    *(f"CONTENTS/CLIPS001/A001C00{n}_261203AB_CANON.CRM" for n in (1, 2, 3)),
    *(f"CONTENTS/CLIPS001/A001C00{n}_261203AB_CANON.XML" for n in (1, 2, 3)),
    "CONTENTS/CLIPS001/INDEX.MIF",
    "CONTENTS/CLIPS002/A001C004_261203AB_CANON.CRM",
    "CONTENTS/CLIPS002/A001C004_261203AB_CANON.XML",
    "CONTENTS/CLIPS002/A001C004_261203AB_CANON.MP4",
    "CONTENTS/CLIPS002/INDEX.MIF",
    "CONTENTS/CANONMVI.MIF",
)

# A Sound Devices card whose last take the recorder left at 0 bytes (power lost): a row of
# its own, "empty", never an audio take.
SOUND_EMPTY_TAKE: dict[str, bytes | None] = (
    {
        f"SD/261203/Sc{scene}-T{take:02d}.WAV": _bwf(f"Sc{scene}-T{take:02d}.WAV", 8, scene, take)
        for scene in ("12A", "12B")
        for take in (1, 2)
    }
    | _files("SD/261203/261203.CSV")
    | {"SD/261203/Sc12B-T03.WAV": b""}
)

# Names at the limits and files a card hides: a file name and a folder name of 255 bytes
# (NAME_MAX), one of 252 bytes in NFD, hidden files a camera or a person left (not OS
# junk: copied), and many small sidecars in one folder.
_NAME_MAX = "A" * 251 + ".mov"
HIDDEN_AND_LONG: dict[str, bytes | None] = _files(
    _NAME_MAX,
    f"{'D' * 255}/{_NAME_MAX}",
    unicodedata.normalize("NFD", "\u00e9" * 83) + ".mo",
    ".hidden_take.mov",
    ".camera/config.xml",
    "DCIM/.thumbnails/IMG_0001.jpg",
    *(f"SIDECARS/clip{n:04d}.xml" for n in range(300)),
) | {".keep": b"", "emptydir": None}

LAYOUTS: dict[str, Layout] = {
    "P2": P2,
    "SONY_XAVC": SONY_XAVC,
    "SONY_XDCAM": SONY_XDCAM,
    "XDCAM_EX": XDCAM_EX,
    "AVCHD": AVCHD,
    "ARRI": ARRI,
    "RED": RED,
    "CANON_CRM": CANON_CRM,
    "CANON_XF": CANON_XF,
    "BLACKMAGIC": BLACKMAGIC,
    "DJI": DJI,
    "GOPRO": GOPRO,
    "INSTA360": INSTA360,
    "GOPRO_TIMELAPSE": GOPRO_TIMELAPSE,
    "IPHONE": IPHONE,
    "SOUND": SOUND_DEVICES,
    "SEQUENCES": SEQUENCES,
    "OS_JUNK": OS_JUNK,
    "NAMES": NAMES,
    "ALEXA35": ALEXA35,
    "RED_SPANS": RED_SPANS,
    "VENICE": VENICE,
    "BRAW_FOLDERS": BRAW_FOLDERS,
    "DRONES": DRONES,
    "SOUND_BWF": SOUND_BWF,
    "MAC_VOLUME": MAC_VOLUME,
    "NAMES_MORE": NAMES_MORE,
    "VENICE_XOCN": VENICE_XOCN,
    "GOPRO_HEVC": GOPRO_HEVC,
    "GOPRO_MAX": GOPRO_MAX,
    "CANON_CRM_FOLDERS": CANON_CRM_FOLDERS,
    "SOUND_EMPTY_TAKE": SOUND_EMPTY_TAKE,
    "HIDDEN_AND_LONG": HIDDEN_AND_LONG,
}


def file_paths(layout: Layout) -> list[str]:
    """The files of *layout* (its empty folders left out)."""
    return [path for path, content in layout.items() if content is not None]


def write_card(root: Path, layout: Layout) -> Path:
    """Write *layout* under *root* (created) and return *root*."""
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in layout.items():
        path = root / relative
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def add_links(root: Path) -> None:
    """A link inside the card and one pointing out of it (copied as links, never followed)."""
    os.symlink("clip one.mov", root / "Day 1" / "Card A" / "latest.mov")
    os.symlink("/etc/hostname", root / "outside")
