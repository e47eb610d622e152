"""Group a card's files into what a production calls clips.

* An **image sequence** (DPX, EXR, TIFF, DNG, ARRIRAW, ... frames ``name.0001001.dpx``) is one
  row: ``name.[0001001-0001048].dpx``, its frame count, and the missing frame numbers.
  Unpadded numbers (``shot.9.exr``, ``shot.10.exr``) are one sequence ``shot.[9-10].exr``.
* A **clip** is a camera media file (MOV, MP4, MXF, R3D, BRAW, CRM, Phantom CINE, MTS, ...).
  Its sidecars are grouped under it: files in the same folder whose name starts with the
  clip's base name (``A001C001.xml``, Sony ``C0001M01.XML``, DJI ``DJI_0001.SRT``/``.LRF``,
  Blackmagic ``.sidecar``, Phantom ``Cine1.cihx``/``.xml``, audio ``.wav``), such files
  anywhere on the card when exactly one clip has that base name (Sony
  ``THMBNL/C0001T01.JPG``, ``SUB/C0001S03.MXF`` proxies), every file of a folder that holds
  a single clip (RED ``.RDC``, Canon XF per-clip folders) but the card's
  index files (AVCHD ``.MPL``/``.BDM``, Canon ``INDEX.MIF``), and GoPro
  chapters and proxies of the same recording (``GH010001.MP4``, ``GH020001.MP4``,
  ``GL010001.LRV``, ``GH010001.THM``). A spanned clip (RED ``_001.R3D``, ``_002.R3D``; GoPro
  chapters; the parts of a Canon XF clip, ``AA001201.MXF``, ``AA001202.MXF``; the clip
  folders of a split XDCAM EX take, ``CLPR/FISH0046_01``, ``_02``; an Insta360 recording's
  lens files) is one clip whose first span is its primary file; its name counts the others
  (``+2 spans``; ``+1 lens``: an Insta360 writes one file a lens at the same time, not one
  after another). A Panasonic P2 clip's audio
  (``CONTENTS/AUDIO/0001AB00.MXF``...``03.MXF``, one file a channel) and voice memos
  (``CONTENTS/VOICE/0001AB00.WAV``) belong to its video (``CONTENTS/VIDEO/0001AB.MXF``). A
  card's own index (AVCHD ``PLAYLIST/00000.MPL``) is no clip's.
* A **proxy** is a video under a proxy folder at any level (``SUB``, ``Proxy``, ``Proxies``,
  ``Proxy Media``, ``_Proxy``, ...), or alone in a folder named after its clip with a proxy
  suffix (``A001C001_250101XY/A001C001_250101XYS03.mp4``). It is listed under the clip whose
  path it mirrors below the proxy folder (``Proxies/A001R1AB/X.mov`` under
  ``Clips/A001R1AB/X.mov``), else the one clip its base name starts with (``X_proxy.mov``);
  one no clip claims is a clip of its own. A camera-raw clip's video of the same name beside
  it (Nikon ``DSC_0001.NEV`` and ``DSC_0001.MP4``, RED's ``.mov`` in the ``.RDC`` folder) is
  its proxy too, never a span: the raw file is the clip.
* Camera stills in a ``DCIM`` folder (DCF names ``IMG_0001.DNG``, ``DJI_0003.JPG``) are never
  frames of a sequence: their numbers count every photo and video the camera took, so a gap
  is no missing frame. A ``DCIM`` folder is never a clip's own folder.
* An **audio take**: a sound file (WAV, ...) no clip claims, with the other tracks of the
  same take beside it (Sound Devices mono ``S01T01_1.WAV``, ``_2.WAV``, ... ``_12.WAV``, its
  mix ``_X1.WAV``; Zoom ``_Tr1.WAV``, ``_LR.WAV``); a polyphonic WAV is a take of one file.
  Its sidecars are the files of another kind beside it named as it (``S01T01.PMF``).
* A file named as a clip that is **empty** (0 bytes: a recording that failed) is a row of
  its own, kind "empty", never a clip nor a span of one; so is a sound file of 0 bytes no
  clip claims, never an audio take (``empty_noun`` names what its name made it look like).
* A GoPro recording's proxy (``GL010042.LRV``) and thumbnail (``GH010042.THM``) that no
  clip claims, its video not on the card, are one row of kind "no-video" (never "other
  files": a recording's, its main clip absent).
* Everything else is an **other file**, one row each.

Pure functions of the JSON report's ``files`` list: nothing here reads the card.
"""

from __future__ import annotations

import functools
import itertools
import posixpath
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

FileEntry = dict[str, Any]

VIDEO_EXTENSIONS = frozenset(
    {
        "mov", "mp4", "m4v", "mxf", "r3d", "braw", "crm", "mts", "m2ts", "avi", "mkv",
        "insv", "360", "mpg", "mpeg", "webm", "3gp", "dv", "vrw",
        "nev", "m2t", "mod", "tod",  # Nikon N-RAW; HDV; JVC/Panasonic SD cameras
        "cine",  # Vision Research Phantom (its sidecar: the same name's .cihx/.xml)
    }
)  # fmt: skip
# Frames of an image sequence: professional formats need two frames, general picture
# formats (a folder of camera thumbnails is not a sequence) need SEQUENCE_MIN_GENERAL.
SEQUENCE_EXTENSIONS = frozenset(
    {"dpx", "exr", "tif", "tiff", "dng", "ari", "arx", "cin", "cri", "j2c", "jp2", "tga", "sgi"}
)
# Uncompressed frames whose header states the file's size (DPX, Cineon): a frame of another
# size than its sequence's others is checked against it (frames.check_headers).
HEADER_SIZED_EXTENSIONS = frozenset({"dpx", "cin"})
GENERAL_IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "bmp", "webp", "heic"})
SEQUENCE_MIN_GENERAL = 24
AUDIO_EXTENSIONS = frozenset({"wav", "bwf", "aif", "aiff", "mp3", "m4a", "flac"})
RAW_EXTENSIONS = frozenset({"r3d", "braw", "crm", "ari", "arx", "nev", "cine"})
# Folders of proxies, at any level above the file (``Proxies/A001R1AB/X.mov`` mirrors
# ``Clips/A001R1AB/X.mov``), compared lower case without leading or trailing ``_``, ``-`` and
# spaces, inner spaces as ``_`` (``Proxy Media``, ``_Proxy``, Sony ``SUB``).
PROXY_FOLDERS = frozenset(
    {"sub", "proxy", "proxies", "proxy_media", "proxy_files", "lowres", "low_res"}
)
# A proxy's base name is its clip's, or its clip's with one of these after it (``X_proxy``,
# ``X_Proxy``, Sony ``C0001S03``, ``X_lowres``).
_PROXY_SUFFIX = re.compile(r"^(?P<clip>.+?)(?:[_-]?proxy|S03|[_-]low_?res)$", re.IGNORECASE)
# Files of a card's own index, never one clip's even where the numbers agree (AVCHD
# ``PLAYLIST/00000.MPL`` lists several clips), nor a folder's single clip's (Canon's
# ``CLIPS001/INDEX.MIF`` indexes the clips of its folder, one or many).
CARD_INDEX_EXTENSIONS = frozenset({"mpl", "bdm", "mif"})

_FRAME = re.compile(r"^(?P<prefix>.*?)(?P<digits>\d+)(?P<suffix>\.[^.]+)$")
_SPAN = re.compile(r"^(?P<base>.+)_(?P<span>\d{3})$")  # RED A001_C001_0101AB_001
# GoPro chapters: GH/GX video (HERO6 on), GS a MAX's 360 video (.360), GL their proxies
# (LRV), GP a HERO5's or older's chapters after the first.
_GOPRO = re.compile(r"^G(?P<kind>[HXSLP])(?P<chapter>\d\d)(?P<number>\d{4})$", re.IGNORECASE)
# A GoPro HERO5 or older names a recording's first chapter GOPR0042, the next ones GP010042,
# GP020042 (HERO6 on: GH010042, GH020042 or GX..., the first chapter 01).
_GOPRO_FIRST = re.compile(r"^GOPR(?P<number>\d{4})$", re.IGNORECASE)
_GOPRO_GROUP = re.compile(r"^G(?P<group>\d{3})(?P<frame>\d{4})$", re.IGNORECASE)
_INSTA = re.compile(r"^(?:VID|LRV)_(?P<when>\d{8}_\d{6})_\d\d_(?P<number>\d{3})$", re.IGNORECASE)
_XDCAM_EX_PART = re.compile(r"^(?P<take>.+)_\d\d$")  # FISH0046_01: part 01 of take FISH0046
_CANON_XF_CLIP = re.compile(r"^[A-Z]{2}\d{4}$", re.IGNORECASE)  # a Canon XF clip's folder
# DCF (Design rule for Camera File system) file names: four characters, four digits.
_DCF = re.compile(r"^[A-Z0-9_]{4}\d{4}$", re.IGNORECASE)
# P2: a clip's audio channel or voice memo is the clip's six-character name and two digits.
_P2_TRACK = re.compile(r"^(?P<clip>[0-9A-Z]{6})\d\d$", re.IGNORECASE)
_P2_TRACK_FOLDERS = frozenset({"AUDIO", "VOICE"})
# A track of a take recorded as one file a track: Sound Devices ``_1``..``_9``, ``_10`` on
# (unpadded: ``_01`` is a counter, no track), its mix ``_L``, ``_R``, ``_X1``, ``_X2``, a
# track named by a letter (``_A``); Zoom ``_Tr1``, ``_Tr1_2`` (a stereo pair), ``_Tr1_D``
# (dual channel), ``_LR``, ``_MS``.
_TRACK = re.compile(
    r"^(?P<take>.+?)_(?:[1-9]\d*|[A-Z]|X\d+|Tr\d+(?:_\d+)?(?:_D)?|(?:LR|MS)(?:_D)?)$"
)
# A track part that alone does not make files one take: a letter (``CAM_A``, ``CAM_B``: two
# cameras' scratch) or a number of two digits or more (``INT_10``, ``INT_11``: a counter).
# Files a take relies on those for are one take only when their sizes agree (_SAME_LENGTH).
_UNSURE_TRACK = re.compile(r"^.+_(?:[A-Z]|[1-9]\d+)$")
# How far apart in size the mono tracks of one take may be: their sound is as long to the
# sample, their headers differ by a few bytes (iXML names each track). Two recordings a user
# or an app numbered (``REC_10``, ``REC_11``) are seconds apart, hundreds of KB at least.
_SAME_LENGTH_BYTES = 16 * 1024


@dataclass(slots=True)
class Clip:
    """One row of the report (slots: a card of 50,000 clips has 50,000 of them).

    ``sidecars`` and ``gaps`` are a shared empty tuple until there is something in them
    (most clips have neither: two empty lists a clip were ~110 B of the reports' peak);
    ``attach`` adds a sidecar."""

    name: str  # what the report shows (a sequence's name carries its frame range)
    # "clip", "sequence", "audio", "empty" (0 bytes, named as a clip, or a sound file no
    # clip claims), "no-video" (a GoPro recording's proxy and thumbnail, its video absent)
    # or "file"
    kind: str
    folder: str  # relative folder ("" at the card's root)
    primary: FileEntry  # the file probed for a thumbnail (a sequence's middle frame)
    files: list[FileEntry] = field(default_factory=list)  # every member, primary first
    sidecars: Sequence[FileEntry] = ()
    frames: int = 0  # sequence only
    first_frame: int = 0
    last_frame: int = 0
    gaps: Sequence[tuple[int, int]] = ()  # missing frame ranges
    # Frames of a sequence that are not whole: (number, why), in order; 0-byte frames found
    # here, truncated ones by ``frames.check_headers`` (it reads their headers)
    bad_frames: Sequence[tuple[int, str]] = ()
    # Frames of a DPX or Cineon sequence whose size is not the sequence's usual one, for
    # ``frames.check_headers`` to compare with the size their header states
    odd_frames: Sequence[tuple[int, FileEntry]] = ()
    # A recording's spans missing, before its last one (their names: a gap in the
    # chapter or span numbers, or its first one missing), and a GoPro recording's chapters
    # whose proxy or thumbnail is on the card without their video (``_gopro_chapters``)
    missing_spans: Sequence[str] = ()
    # Whether one of ``missing_spans`` comes after its last video, so told by a chapter's
    # proxy or thumbnail alone, not by a gap in the numbers (``spans_missing_why``)
    spans_told_by_sidecars: bool = False
    stem: str = ""  # the base name sidecars match
    part: str = "span"  # what each member after the first is: "span", "track" or "lens"

    @property
    def size_bytes(self) -> int:
        return sum(int(f.get("size_bytes") or 0) for f in self.files)

    @property
    def missing_frames(self) -> int:
        return sum(last - first + 1 for first, last in self.gaps)

    def attach(self, entry: FileEntry) -> None:
        """Add *entry* as a sidecar (and a member) of this clip."""
        if isinstance(self.sidecars, list):
            self.sidecars.append(entry)
        else:
            self.sidecars = [*self.sidecars, entry]
        self.files.append(entry)


def _path_split(path: str) -> tuple[str, str]:
    """``posixpath.split(path)`` of a text path, the same pieces without its checks of the
    argument's type (called several times a file: ~0.2 s of CPU at 50,000 files)."""
    cut = path.rfind("/") + 1
    head, tail = path[:cut], path[cut:]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head, tail


def _split(path: str) -> tuple[str, str, str]:
    """(folder, stem, lower-case extension) of a relative path."""
    folder, name = _path_split(path)
    return folder, *_stem_ext(name)


def _stem_ext(name: str) -> tuple[str, str]:
    """(stem, lower-case extension) of a file name (``_split``'s, for a name already split
    from its folder)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, ext.lower()


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    """Missing numbers between the first and last of sorted *numbers*, as ranges."""
    gaps = []
    for before, after in itertools.pairwise(numbers):
        if after - before > 1:
            gaps.append((before + 1, after - 1))
    return gaps


def _sequences(
    files: list[FileEntry],
) -> tuple[list[Clip], list[tuple[FileEntry, str, str]]]:
    """The image sequences of *files*, and the other files, each with its folder and file
    name (``_path_split``: split once a file, for ``group_clips`` too)."""
    groups: dict[tuple[str, str, str, int], list[tuple[int, FileEntry, str]]] = defaultdict(list)
    padded: set[tuple[str, str, str, int]] = set()  # groups with a frame number like 0042
    rest: list[tuple[FileEntry, str, str]] = []
    for entry in files:
        folder, name = _path_split(str(entry["path"]))
        # A frame's extension is the name's last one (``_FRAME``'s suffix): a file of
        # another kind (most of a camera card) is no frame, without the frame's patterns
        # (~2 µs a file at 50,000 files).
        ext = name.rpartition(".")[2].lower()
        frame = (
            _frame(folder, name)
            if ext in SEQUENCE_EXTENSIONS or ext in GENERAL_IMAGE_EXTENSIONS
            else None
        )
        if frame:
            prefix, digits, suffix = frame
            key = (folder, prefix, suffix, len(digits))
            groups[key].append((int(digits), entry, name))
            if len(digits) > 1 and digits[0] == "0":
                padded.add(key)
        else:
            rest.append((entry, folder, name))
    _join_unpadded(groups, padded)
    sequences = []
    for (folder, prefix, suffix, width), framed in groups.items():
        ext = suffix[1:].lower()
        needed = 2 if ext in SEQUENCE_EXTENSIONS else SEQUENCE_MIN_GENERAL
        if len(framed) < needed:
            rest.extend((entry, folder, name) for _, entry, name in framed)
            continue
        members = [(number, entry) for number, entry, _ in framed]
        members.sort(key=lambda pair: pair[0])
        numbers = [n for n, _ in members]
        first, last = numbers[0], numbers[-1]
        name = f"{prefix}[{first:0{width}d}-{last:0{width}d}]{suffix}"
        sequence = Clip(
            name=name,
            kind="sequence",
            folder=folder,
            primary=members[len(members) // 2][1],
            files=[entry for _, entry in members],
            frames=len(members),
            first_frame=first,
            last_frame=last,
            gaps=_ranges(numbers),
            stem=prefix.rstrip("._-") or prefix,
        )
        _frame_sizes(sequence, members, ext)
        sequences.append(sequence)
    return sequences, rest


def _frame_sizes(sequence: Clip, members: list[tuple[int, FileEntry]], ext: str) -> None:
    """Flag the frames of *sequence* that are empty (0 bytes: always a frame lost), and note
    for a header check (``frames.check_headers``) the frames of an uncompressed format
    (DPX, Cineon: every frame of one sequence the same size) whose size is not the
    sequence's usual one. A size alone flags nothing else: compressed frames (EXR, TIFF,
    DNG, ...) differ in size from one another, and a DPX frame may carry more user data."""
    sizes = [entry.get("size_bytes") for _, entry in members]
    if 0 in sizes:
        sequence.bad_frames = [
            (number, "empty, 0 bytes") for number, entry in members if entry.get("size_bytes") == 0
        ]
    if ext not in HEADER_SIZED_EXTENSIONS:
        return
    counts = Counter(size for size in sizes if size)
    if len(counts) < 2:  # one size (or none): nothing odd
        return
    usual = counts.most_common(1)[0][0]
    odd = [
        (number, entry)
        for number, entry in members
        if entry.get("size_bytes") and entry.get("size_bytes") != usual
    ]
    if odd:
        sequence.odd_frames = odd


def _join_unpadded(
    groups: dict[tuple[str, str, str, int], list[tuple[int, FileEntry, str]]],
    padded: set[tuple[str, str, str, int]],
) -> None:
    """Frames numbered without padding (``shot.9.exr``, ``shot.10.exr``) have as many digits
    as their number: the groups of one folder, prefix and suffix in several widths, none with
    a zero-padded number, are one sequence (width 0: its name is not padded either). A
    padded width (``0099``) stays a sequence of its own."""
    widths: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for folder, prefix, suffix, width in groups:
        widths[(folder, prefix, suffix)].append(width)
    for (folder, prefix, suffix), found in widths.items():
        keys = [(folder, prefix, suffix, width) for width in found]
        if len(keys) < 2 or any(key in padded for key in keys):
            continue
        joined = groups[(folder, prefix, suffix, 0)] = []
        for key in keys:
            joined.extend(groups.pop(key))


# Asked for each file, of its folder: a card has few folders (cached, by folder).
@functools.lru_cache(maxsize=1024)
def _in_dcim(folder: str) -> bool:
    """Whether *folder* is in a DCF ``DCIM`` tree (stills cameras, phones, drones)."""
    return "/dcim/" in f"/{folder.lower()}/"


def _frame(folder: str, name: str) -> tuple[str, str, str] | None:
    """(prefix, frame number digits, suffix) of a file that may be a frame of a sequence.

    In a ``DCIM`` tree a DCF name (``IMG_0004.DNG``) is a camera still, never a frame, but
    a GoPro time-lapse or burst (``G0010001.JPG``: group 001, frame 0001) is a sequence of
    its group."""
    match = _FRAME.match(name)
    if match is None:
        return None
    if _in_dcim(folder):
        stem = name.rpartition(".")[0]
        group = _GOPRO_GROUP.match(stem)
        if group is not None:
            return f"G{group['group']}", group["frame"], match["suffix"]
        if _DCF.match(stem):
            return None
    return match["prefix"], match["digits"], match["suffix"]


def _recording(stem: str) -> str | None:
    """The recording a chapter, lens or proxy file belongs to, where the camera names it in
    the file's name: GoPro ``GX010042``/``GS010042``/``GL010042`` (HERO5 and older: ``GOPR0042``,
    ``GP010042``) → ``GOPRO0042``; Insta360
    ``VID_20230101_120000_00_001`` (one file a lens) and ``LRV_..._01_001`` (its proxy) →
    ``INSTA20230101_120000_001``."""
    return _recording_of(stem, _GOPRO.match(stem))


def _recording_of(stem: str, gopro: re.Match[str] | None) -> str | None:
    """``_recording(stem)`` given *gopro*, ``_GOPRO.match(stem)`` (``group_clips`` has it)."""
    gopro = gopro or _GOPRO_FIRST.match(stem)
    if gopro:
        return f"GOPRO{gopro['number']}"
    insta = _INSTA.match(stem)
    if insta:
        return f"INSTA{insta['when']}_{insta['number']}"
    return None


def _gopro_chapter(stem: str, gopro: re.Match[str] | None) -> tuple[str, str] | None:
    """(number, chapter) of the GoPro recording's chapter a file is named as, whatever its
    kind (video ``GH``/``GX``, proxy ``GL``, thumbnail): ``GH010042`` and ``GL010042`` →
    ("0042", "01"), ``GOPR0042`` (HERO5 and older: its first chapter, the next ones
    ``GP010042``...) → ("0042", "first"); None for a name of no GoPro chapter. *gopro*:
    ``_GOPRO.match(stem)``."""
    if gopro is not None:
        return gopro["number"], gopro["chapter"]
    first = _GOPRO_FIRST.match(stem)
    return (first["number"], "first") if first is not None else None


def _p2_track(folder: str, stem: str) -> tuple[str, str] | None:
    """(folder of its video, clip name), upper case, of a P2 audio channel or voice memo,
    else None."""
    match = _P2_TRACK.match(stem)
    if match is None:  # most files: the folder is not split
        return None
    parent, name = _path_split(folder)
    if name.upper() not in _P2_TRACK_FOLDERS:
        return None
    return posixpath.join(parent, "VIDEO").upper(), match["clip"].upper()


def _clip_key(folder: str, stem: str, ext: str, gopro: re.Match[str] | None) -> tuple[str, str]:
    """Files with the same key are spans/chapters of one recording (RED, GoPro, Insta360's
    lenses, the parts of a Canon XF clip: ``AA0012/AA001201.MXF``, ``AA001202.MXF``; the
    clip folders of an XDCAM EX take: ``CLPR/FISH0046_01/FISH0046_01.MP4``, ``_02``, whose
    key is the ``CLPR`` folder and the take); *gopro*: ``_GOPRO.match(stem)``, the caller's.

    Each pattern is tried only where it can apply (a RED span's on an R3D): eight matches a
    file were ~0.15 of the ~1.3 s ``group_clips`` took profiled at 50,000 files."""
    recording = _recording_of(stem, gopro)
    if recording:
        return folder, recording
    if ext == "r3d" and (span := _SPAN.match(stem)):
        return folder, span["base"]
    own = folder.rpartition("/")[2]  # the folder's own name (posixpath.split's tail)
    if ext == "mxf" and _CANON_XF_CLIP.match(own) and stem[:-2] == own and stem[-2:].isdigit():
        return folder, own
    # XDCAM EX splits a take past 4 GB into clip folders BPAV/CLPR/FISH0046_01, _02, ...
    split = _XDCAM_EX_PART.match(stem) if stem == own else None
    if split:
        parent = _path_split(folder)[0]
        if posixpath.basename(parent).upper() == "CLPR":
            return parent, split["take"]
    return folder, stem


def _span_numbering(path: str) -> tuple[int, Callable[[int], str]] | None:
    """(its number, the recording's first span 1; the name span *n* of its recording has,
    from the row's folder) of a file a camera names by its span, else None: GoPro chapters
    (``GX010042.MP4``, ``GX020042.MP4``; a MAX's 360 ``GS010042.360``; HERO5 and older
    ``GOPR0042.MP4``, ``GP010042.MP4``),
    RED ``_001.R3D``, the parts of a Canon XF clip (``AA0012/AA001201.MXF``), the clip
    folders of an XDCAM EX take (``CLPR/FISH0046_01/FISH0046_01.MP4``: its name from
    ``CLPR``). The schemes ``_clip_key`` groups by; Insta360 lenses are not spans (one file
    a lens, at the same time), nor a P2 clip's channels."""
    folder, stem, ext = _split(path)
    suffix = path.rpartition(".")[2]  # the extension as the card writes it
    gopro = _GOPRO.match(stem)
    if gopro and gopro["kind"].upper() in "HXS":
        kind, number = stem[:2], gopro["number"]
        return int(gopro["chapter"]), lambda n: f"{kind}{n:02d}{number}.{suffix}"
    old = gopro if gopro and gopro["kind"].upper() == "P" else _GOPRO_FIRST.match(stem)
    if old:
        number = old["number"]
        chapter = int(old["chapter"]) + 1 if old.re is _GOPRO else 1
        return (
            chapter,
            lambda n: f"GOPR{number}.{suffix}" if n == 1 else f"GP{n - 1:02d}{number}.{suffix}",
        )
    span = _SPAN.match(stem)
    if span and ext == "r3d":
        base = span["base"]
        return int(span["span"]), lambda n: f"{base}_{n:03d}.{suffix}"
    parent, own = posixpath.split(folder)
    if ext == "mxf" and _CANON_XF_CLIP.match(own) and stem[:-2] == own and stem[-2:].isdigit():
        return int(stem[-2:]), lambda n: f"{own}{n:02d}.{suffix}"
    split = _XDCAM_EX_PART.match(stem) if stem == own else None
    if split and posixpath.basename(parent).upper() == "CLPR":
        take = split["take"]
        return int(stem[len(take) + 1 :]), lambda n: f"{take}_{n:02d}/{take}_{n:02d}.{suffix}"
    return None


def _missing_spans(members: list[FileEntry]) -> tuple[str, ...]:
    """The names of the spans a recording lacks before its last one on the card (a gap in
    its numbers, or its first span missing: ``GX020042.MP4`` alone lacks ``GX010042.MP4``),
    when every member is numbered by one scheme (``_span_numbering``). A last span missing
    cannot be told from the names."""
    numbers: set[int] = set()
    for entry in members:
        found = _span_numbering(str(entry["path"]))
        if found is None:
            return ()
        numbers.add(found[0])
        if len(numbers) == 1:
            name = found[1]
    if len(numbers) != len(members):  # a number twice: not one scheme's spans
        return ()
    return tuple(name(n) for n in range(1, max(numbers)) if n not in numbers)


def _proxy_tail(folder: str, stem: str) -> str | None:
    """The path a proxy mirrors, if *folder*/*stem* is one: below its proxy folder at any
    level (``Proxies/A001R1AB/X`` → ``A001R1AB/X``), or its base name for a proxy alone in a
    folder named after its clip (``A001C001_250101XY/A001C001_250101XYS03``); else None."""
    below = _below_proxy_folder(folder)
    if below is not None:
        return f"{below}{stem}"
    suffixed = _PROXY_SUFFIX.match(stem)
    if folder and suffixed and suffixed["clip"].lower() == folder.split("/")[-1].lower():
        return stem
    return None


@functools.lru_cache(maxsize=1024)
def _below_proxy_folder(folder: str) -> str | None:
    """The path of *folder* below its innermost proxy folder, with a trailing ``/`` when
    not empty ("" for the proxy folder itself), else None: asked for each file of a card's
    few folders (cached, by folder)."""
    parts = folder.split("/") if folder else []
    for depth in range(len(parts) - 1, -1, -1):
        if parts[depth].lower().strip(" _-").replace(" ", "_") in PROXY_FOLDERS:
            return "".join(f"{part}/" for part in parts[depth + 1 :])
    return None


def _starts_with_stem(stem: str, clip_stem: str) -> bool:
    if not clip_stem or not stem.lower().startswith(clip_stem.lower()):
        return False
    rest = stem[len(clip_stem) :]
    return not rest or not rest[0].isdigit()


def group_clips(files: list[FileEntry]) -> list[Clip]:
    """Clips, sequences and audio takes first (by path), then the other files (by path).

    Built for cards of 50,000 clips: a folder's name is one string for all its files, a
    clip's list of files is the one it was grouped in, and the sidecar index (``_Owners``)
    is made once, only when there are files to match against it."""
    folders: dict[str, str] = {}  # one string a folder, not one a file
    # A Mac's AppleDouble files (``._A001C001.mov``: the resource fork and attributes of
    # the file of that name, on a card a Mac wrote to) are other files whatever their
    # extension: never a clip, a frame or an audio take (FFmpeg finds no media in them).
    apple_double = [e for e in files if _apple_double(str(e["path"]))]
    if apple_double:
        files = [e for e in files if not _apple_double(str(e["path"]))]
    sequences, rest = _sequences(files)
    proxies: list[tuple[FileEntry, str]] = []  # with the path each mirrors (_proxy_tail)
    # A recording's files: the entry itself while it has one (most), a list once it has more;
    # by folder, key and extension: spans are of one format (RED .R3D, GoPro .MP4, Canon XF
    # .MXF), so files of one name in two formats are two clips (A001.MOV and A001.MP4), or a
    # raw clip and its proxy (Nikon DSC_0001.NEV and DSC_0001.MP4: below), never one
    # recording's spans.
    primaries: dict[tuple[str, str, str], FileEntry | list[FileEntry]] = {}
    others: list[FileEntry] = []
    p2_tracks: list[tuple[FileEntry, tuple[str, str]]] = []
    empty: list[FileEntry] = []  # files named as clips that hold nothing (0 bytes)
    for entry, folder, name in rest:
        stem, ext = _stem_ext(name)
        gopro = _GOPRO.match(stem)
        p2 = _p2_track(folder, stem)
        if p2 is not None:
            # Its clip is known once the clips are; an empty one is its clip's empty sound
            # file (``empty_sound_sidecars``), as a WAV of 0 bytes beside a clip is.
            p2_tracks.append((entry, p2))
        elif ext in VIDEO_EXTENSIONS and entry.get("size_bytes") == 0:
            empty.append(entry)  # nothing recorded: no clip, and no span of one
        elif ext in VIDEO_EXTENSIONS and gopro and gopro["kind"].upper() == "L":
            others.append(entry)  # GoPro low-res proxy: a sidecar of its recording
        elif ext in VIDEO_EXTENSIONS and (tail := _proxy_tail(folder, stem)) is not None:
            proxies.append((entry, tail))
        elif ext in VIDEO_EXTENSIONS:
            recording = (
                *_clip_key(folders.setdefault(folder, folder), stem, ext, gopro),
                ext,
            )
            held = primaries.setdefault(recording, entry)
            if held is not entry:
                if isinstance(held, list):
                    held.append(entry)
                else:
                    primaries[recording] = [held, entry]
        else:
            others.append(entry)
    clips: list[Clip] = []
    # A camera-raw clip's proxies beside it (RED's A001_C001_0101XY_001.mov in the .RDC
    # folder) are its sidecars, not clips.
    raw: dict[str, list[Clip]] = defaultdict(list)  # by folder
    for (folder, key, ext), held in primaries.items():
        members = held if isinstance(held, list) else [held]
        clip = _recording_row(members, "clip", None, folder, key)
        clips.append(clip)
        if ext in RAW_EXTENSIONS:  # every member's extension, its primary's too
            raw[clip.folder].append(clip)
    del primaries
    if p2_tracks:
        made_before = len(clips)
        others += _attach_p2_tracks(p2_tracks, clips, folders, empty)
        for clip in clips[made_before:]:  # P2 MXF files made clips of their own
            if _split(str(clip.primary["path"]))[2] in RAW_EXTENSIONS:
                raw[clip.folder].append(clip)
    if raw:
        kept = []
        for clip in clips:
            owner = None
            if len(clip.files) == 1 and not any(clip is r for r in raw.get(clip.folder, ())):
                stem = _split(str(clip.primary["path"]))[1]
                owner = next(
                    (r for r in raw.get(clip.folder, ()) if _starts_with_stem(stem, r.stem)),
                    None,
                )
            if owner is None:
                kept.append(clip)
            else:
                owner.attach(clip.primary)
        clips = kept
    owners = _Owners(clips, sequences, room=len(proxies)) if proxies or others else None
    # A proxy goes to the clip whose path it mirrors below its proxy folder, else to the
    # clip its base name starts with (as a sidecar does); one no clip claims is a clip of
    # its own (never dropped).
    made: list[Clip] = []
    for entry, tail in proxies:
        assert owners is not None
        owner = owners.mirrored(tail) or owners.find(entry)
        if owner is None:
            made.append(_one_file_row(entry, "clip", folders))
        else:
            owner.attach(entry)
    if owners is not None:
        owners.add(made)  # after the proxies, as a clip they became owns none of them
    clips += made
    loose: list[FileEntry] = []
    singles: list[FileEntry] = []  # files of no clip (a card's index files among them)
    for entry in others:
        assert owners is not None
        if _split(str(entry["path"]))[2] in CARD_INDEX_EXTENSIONS:
            singles.append(entry)  # the card's, never a clip's sidecar nor a folder's
            continue
        owner = owners.find(entry)
        # A file whose name starts with a sequence's may be a frame of another padding (a
        # clip's sidecars are not asked: one test).
        if (
            owner is not None
            and owner.kind == "sequence"
            and _frame_of_another_sequence(entry, owner)
        ):
            owner = None
        if owner is None:
            loose.append(entry)
        else:
            owner.attach(entry)
    del owners
    rows = clips + sequences
    # A folder whose only clip is X: its remaining files belong to X (RED .RDC, Canon XF).
    by_folder: dict[str, list[Clip]] = defaultdict(list)
    for clip in rows:
        by_folder[clip.folder].append(clip)
    for entry in loose:
        folder = posixpath.dirname(str(entry["path"]))
        in_folder = by_folder.get(folder, [])
        if (
            folder
            and len(in_folder) == 1
            and not _in_dcim(folder)
            and not _of_another_recording(entry, in_folder[0])
            and not _frame_of_another_sequence(entry, in_folder[0])
        ):
            in_folder[0].attach(entry)
        else:
            singles.append(entry)
    del by_folder
    for clip in clips:
        if clip.sidecars and clip.stem.startswith("GOPRO"):
            chapters, past_last = _gopro_chapters(clip)
            if chapters:
                clip.missing_spans, clip.spans_told_by_sidecars = chapters, past_last
    singles = _audio_takes(singles, rows, folders, empty)
    singles = _without_video(singles, rows, folders, empty)
    # After the sidecars found their clips: an empty file is no folder's single clip.
    rows.extend(_one_file_row(entry, "empty", folders) for entry in empty)
    rows.sort(key=lambda c: (c.folder, c.name))
    for clip in rows:
        if isinstance(clip.sidecars, list):
            clip.sidecars.sort(key=lambda e: str(e["path"]))
    singles += apple_double
    singles.sort(key=lambda e: str(e["path"]))
    rows.extend(_one_file_row(e, "file", folders) for e in singles)
    return rows


def _apple_double(path: str) -> bool:
    """Whether *path* is named as a Mac's AppleDouble file (its name begins ``._``)."""
    return path.rpartition("/")[2].startswith("._")


def p2_audio(clip: Clip) -> list[FileEntry]:
    """The audio channels of a P2 clip (``CONTENTS/AUDIO/0001AB00.MXF``, one file a channel)
    that hold something, among its sidecars, in order: the tracks its sound is said from. A
    channel of 0 bytes is none: its empty sound file (``empty_sound_sidecars``), a ⚠ of its
    row, not a track FFmpeg could not read. [] for any other clip (its voice memos are not
    its sound)."""
    return [
        entry
        for entry in clip.sidecars
        if entry.get("size_bytes") != 0 and _is_p2_channel(str(entry["path"]))
    ]


def _is_p2_channel(path: str) -> bool:
    """Whether *path* is a P2 clip's audio channel (``CONTENTS/AUDIO/0001AB00.MXF``): a
    sound file, though named as a video (MXF)."""
    folder, stem, ext = _split(path)
    return (
        ext == "mxf"
        and posixpath.basename(folder).upper() == "AUDIO"
        and _p2_track(folder, stem) is not None
    )


def _attach_p2_tracks(
    tracks: list[tuple[FileEntry, tuple[str, str]]],
    clips: list[Clip],
    folders: dict[str, str],
    empty: list[FileEntry],
) -> list[FileEntry]:
    """Attach each P2 audio channel and voice memo to its video clip (a sidecar: listed
    under it; one of 0 bytes is its empty sound file, ``empty_sound_sidecars``). One whose
    video is not on the card stays what it would have been: an MXF a clip of its own (added
    to *clips*), or of 0 bytes an "empty" row (added to *empty*), anything else returned, to
    be matched as others are."""
    videos = {(c.folder.upper(), c.stem.upper()): c for c in clips if len(c.files) == 1}
    unclaimed: list[FileEntry] = []
    for entry, video in tracks:
        owner = videos.get(video)
        if owner is not None:
            owner.attach(entry)
        elif _split(str(entry["path"]))[2] in VIDEO_EXTENSIONS:
            if entry.get("size_bytes") == 0:
                empty.append(entry)  # nothing recorded: no clip
            else:
                clips.append(_one_file_row(entry, "clip", folders))
        else:
            unclaimed.append(entry)
    return unclaimed


def _audio_takes(
    entries: list[FileEntry], rows: list[Clip], folders: dict[str, str], empty: list[FileEntry]
) -> list[FileEntry]:
    """Make an audio take (kind "audio", added to *rows*) of each sound file in *entries*,
    the tracks of one take (same folder, same name but the track suffix) together, each
    with its sidecars (``_attach_to_takes``); return the other entries. A sound file of
    0 bytes (nothing recorded) is added to *empty* (``group_clips`` makes each an "empty"
    row of its own), never a take nor a track of one."""
    takes: dict[tuple[str, str], list[FileEntry]] = {}
    suffixes: dict[int, str] = {}  # each file's track part of its name ("Tr1", "LR", "")
    remaining: list[FileEntry] = []
    made: dict[str, list[Clip]] = defaultdict(list)  # the takes, by folder
    for entry in entries:
        folder, stem, ext = _split(str(entry["path"]))
        if ext not in AUDIO_EXTENSIONS:
            remaining.append(entry)
            continue
        if entry.get("size_bytes") == 0:  # nothing recorded: no take, and no track of one
            empty.append(entry)
            continue
        track = _TRACK.match(stem)
        take = track["take"] if track else stem
        takes.setdefault((folder, take), []).append(entry)
        suffixes[id(entry)] = stem[len(take) + 1 :]
    for (folder, take), members in _split_lettered(takes):
        folder = folders.setdefault(folder, folder)
        if len(members) > 1:
            members.sort(key=lambda entry: _track_order(suffixes[id(entry)], entry))
        rows.append(_recording_row(members, "audio", "track", folder, take, ordered=True))
        made[folder].append(rows[-1])
    return _attach_to_takes(remaining, made) if made else remaining


def _attach_to_takes(entries: list[FileEntry], takes: dict[str, list[Clip]]) -> list[FileEntry]:
    """Attach to its audio take (of *takes*, by folder) each file of *entries* beside it
    whose base name is the take's, or the take's and a track's part (``_TRACK``: a
    recorder's ``S01T01.PMF`` or ``S01T01_1.PMF`` beside ``S01T01_1.WAV``; QA: it was a
    row of its own); return the others. Stricter than a clip's sidecar rule
    (``_starts_with_stem``): a take's name is a prefix of the next takes' (``S01`` of
    ``S01T02``), and a file of a take not on the card is no other take's. A take's
    sidecars are found here, not by ``_Owners``: a take is made of the files no clip
    claimed."""
    remaining: list[FileEntry] = []
    for entry in entries:
        folder, stem, _ = _split(str(entry["path"]))
        owner = next(
            (take for take in takes.get(folder, ()) if _names_take(stem, take.stem)),
            None,
        )
        if owner is None:
            remaining.append(entry)
        else:
            owner.attach(entry)
    return remaining


def _names_take(stem: str, take: str) -> bool:
    """Whether a file's base name *stem* is the take *take*'s (case aside), or that and a
    track's part (``S01T01_1``, ``ZOOM0001_Tr1``: a recorder's split/channel suffix)."""
    if stem.lower() == take.lower():
        return True
    track = _TRACK.match(stem)
    return track is not None and track["take"].lower() == take.lower()


# A track's part of its file's name (``_TRACK``, after its take's): a number (Sound Devices
# ``1``, Zoom ``Tr1``, its stereo pair ``Tr1_2``) sorts before a name (``A``, ``LR``, ``MS``).
_TRACK_NUMBER = re.compile(r"(?:Tr)?(\d+)(.*)", re.IGNORECASE)


def _track_order(suffix: str, entry: FileEntry) -> tuple[int, int, str, str]:
    """Where a file of a take (*suffix*: its track part of its name, after its take's)
    sorts among its tracks: numbered tracks first, by number (``_Tr2`` before ``_Tr10``),
    then the named ones (``_A``, ``_LR``, ``_MS``), by path: a take is named after its
    first track (docs/reports.md; QA: a Zoom take was named after its ``_LR`` pair, which
    sorts before ``_Tr1`` by name)."""
    number = _TRACK_NUMBER.fullmatch(suffix)
    if number is None:
        return (1, 0, "", str(entry["path"]))
    return (0, int(number[1]), number[2].upper(), str(entry["path"]))


# What a GoPro writes beside a recording's video: its low-resolution proxy (``GL010042.LRV``)
# and its thumbnail (``GH010042.THM``; HERO5 and older ``GOPR0042.THM``). Not its stills
# (``GOPR0043.JPG``), named as a first chapter is.
_GOPRO_SIDECAR_ENDINGS = frozenset({".lrv", ".thm"})


def _without_video(
    entries: list[FileEntry],
    rows: list[Clip],
    folders: dict[str, str],
    empty: Sequence[FileEntry],
) -> list[FileEntry]:
    """Make a row of kind "no-video" (added to *rows*) of the proxy and thumbnail files in
    *entries* (files no clip claimed) of each GoPro recording whose video is not on the
    card, the files of one recording (``_recording``: same folder, same number) together;
    return the other entries. Before, each was an "other file" of its own, nothing saying
    it was a recording's, nor that its video was absent.

    A chapter whose video is on the card but empty (*empty*: the files of 0 bytes named as
    clips, each an "empty" row) puts its proxy and thumbnail in no "no-video" row: they stay
    other files, the empty row says what is wrong (it was said absent beside its own
    "EMPTY" row, and counted twice on the ``CARD CONTENT:`` lines). Only a video of that
    chapter counts (``_gopro_chapter``): neither an empty proxy named as a clip
    (``GL010042.MP4``) nor another chapter's empty video (``GH020042.MP4`` for
    ``GL010042.LRV``) puts the video of a chapter on the card."""
    present = set()
    for entry in empty:
        folder, stem, _ = _split(str(entry["path"]))
        gopro = _GOPRO.match(stem)
        if gopro is not None and gopro["kind"].upper() == "L":
            continue  # a low-res proxy named as a clip: no video of its recording
        chapter = _gopro_chapter(stem, gopro)
        if chapter is not None:
            present.add((folder, chapter))
    recordings: dict[tuple[str, str], list[FileEntry]] = {}
    remaining: list[FileEntry] = []
    for entry in entries:
        path = str(entry["path"])
        # Most files are no LRV nor THM: only those split (50,000 other files of a card).
        if path[-4:].lower() not in _GOPRO_SIDECAR_ENDINGS:
            remaining.append(entry)
            continue
        folder, stem, _ = _split(path)
        recording = _recording(stem)
        if (
            recording is None
            or not recording.startswith("GOPRO")
            or (folder, _gopro_chapter(stem, _GOPRO.match(stem))) in present
        ):
            remaining.append(entry)
            continue
        recordings.setdefault((folder, recording), []).append(entry)
    for (folder, recording), members in recordings.items():
        members.sort(key=lambda e: str(e["path"]))
        folder = folders.setdefault(folder, folder)
        rows.append(
            Clip(
                name=posixpath.basename(str(members[0]["path"])),
                kind="no-video",
                folder=folder,
                primary=members[0],
                files=members,
                sidecars=members[1:],  # listed under it, as a clip's
                stem=recording,
            )
        )
    return remaining


#: What a "no-video" row (``_without_video``) says of its recording, on its row and page 1.
NO_VIDEO = (
    "NO VIDEO ON THE CARD: a GoPro recording's proxy (LRV) or thumbnail (THM) only; its "
    "main clip (MP4) is absent"
)


def _of_another_recording(entry: FileEntry, clip: Clip) -> bool:
    """Whether *entry* is named as a file of a GoPro or Insta360 recording (a chapter's
    proxy or thumbnail: ``GL010002.LRV``, ``GH010002.THM``) that is not *clip*'s: never a
    file of the folder's only clip, which is another recording."""
    stem = _split(str(entry["path"]))[1]
    recording = _recording_of(stem, _GOPRO.match(stem))
    return recording is not None and recording != clip.stem


def _frame_of_another_sequence(entry: FileEntry, clip: Clip) -> bool:
    """Whether *entry* is named as a frame of the image sequence *clip* (its prefix and
    suffix) without being one: padded to another width (``plate.0099.dpx`` beside
    ``plate.[00100-00101].dpx``), it is another sequence's, never a file of the folder's
    only clip (QA: listed under that sequence, it read as part of it)."""
    if clip.kind != "sequence":
        return False
    folder, name = _path_split(str(entry["path"]))
    frame = _frame(folder, name)
    if frame is None:
        return False
    own = _frame(clip.folder, _path_split(str(clip.primary["path"]))[1])
    return own is not None and (frame[0], frame[2]) == (own[0], own[2])


def _gopro_chapters(clip: Clip) -> tuple[tuple[str, ...], bool]:
    """The chapters a GoPro recording (*clip*, its videos numbered by ``_span_numbering``)
    lacks, told by its videos' numbers and by its sidecars': a chapter whose low-res proxy
    (``GL020042.LRV``) or thumbnail (``GH020042.THM``) is on the card was recorded, so its
    video (``GH020042.MP4``) is missing, the last chapter too; and whether one of them comes
    after its last video (told by a sidecar alone: ``Clip.spans_told_by_sidecars``).
    ((), False) where a member is not numbered so, or nothing is missing."""
    sidecars = {id(entry) for entry in clip.sidecars}
    videos: set[int] = set()
    name: Callable[[int], str] | None = None
    for entry in clip.files:
        if id(entry) in sidecars:
            continue
        found = _span_numbering(str(entry["path"]))
        if found is None:
            return (), False
        videos.add(found[0])
        name = name or found[1]
    if name is None:
        return (), False
    chapters = set(videos)
    for entry in clip.sidecars:
        stem = _split(str(entry["path"]))[1]
        gopro = _GOPRO.match(stem)
        if gopro is not None and gopro["kind"].upper() == "L":  # GL020042: chapter 02
            if f"GOPRO{gopro['number']}" == clip.stem:
                chapters.add(int(gopro["chapter"]))
        elif _recording_of(stem, gopro) == clip.stem:
            found = _span_numbering(str(entry["path"]))
            if found is not None:
                chapters.add(found[0])
    last = max(chapters)
    missing = tuple(name(n) for n in range(1, last + 1) if n not in videos)
    return missing, last > max(videos)


def spans_told(by_sidecars: bool, *, one: bool = True) -> str:
    """How missing spans were told, in words, of one clip (*one*) or of several: a gap in
    the numbers; *by_sidecars* (``Clip.spans_told_by_sidecars``), a GoPro chapter's proxy
    or thumbnail too. The one wording of both, for the row and the CARD CONTENT line."""
    gap = "a gap in its numbers" if one else "gaps in their numbers"
    if not by_sidecars:
        return gap
    told = "a chapter whose" if one else "chapters whose"
    return f"{gap}, or {told} proxy or thumbnail is on the card"


def spans_missing_why(clip: Clip) -> str:
    """How a clip's ``missing_spans`` were told, in words (``spans_told``)."""
    return spans_told(clip.spans_told_by_sidecars)


def empty_noun(clip: Clip) -> str:
    """What an "empty" row's name made it look like: "clip" (a video's name), or "sound
    file" (a WAV, ..., a P2 audio channel: never "audio take", which nothing recorded in it
    makes it)."""
    return "sound file" if _is_sound_file(str(clip.primary["path"])) else "clip"


def _is_sound_file(path: str) -> bool:
    """Whether *path* is named as a sound file: a WAV, ... (``AUDIO_EXTENSIONS``), or a P2
    clip's audio channel (an MXF in ``CONTENTS/AUDIO``)."""
    return _split(path)[2] in AUDIO_EXTENSIONS or _is_p2_channel(path)


def empty_files(clip: Clip) -> Iterator[tuple[str, str]]:
    """The files of 0 bytes of *clip*'s row, each (path, what its name made it look like:
    "clip" or "sound file"): an "empty" row's own file (``empty_noun``; such a row claims no
    sidecar), else the sound files of 0 bytes the clip claims (``empty_sound_sidecars``);
    nothing for most rows. The one count of empty files of the ``CARD CONTENT:`` line and
    of page 1's totals."""
    if clip.kind == "empty":
        yield str(clip.primary["path"]), empty_noun(clip)
    elif clip.sidecars:
        for entry in empty_sound_sidecars(clip):
            yield str(entry["path"]), "sound file"


def empty_files_of(clips: Iterable[Clip]) -> dict[int, list[tuple[str, str]]]:
    """Each row of *clips* that has empty files (``empty_files``), by the ``id`` of its
    clip: the one finding of them for a report's documents (``documents.render``), whose
    rows, page 1 (``content.build_view``) and ``CARD CONTENT:`` lines
    (``card_content.card_content``) read it. Most rows have none (no sidecar) and are not
    in it."""
    return {
        id(clip): found
        for clip in clips
        if (clip.kind == "empty" or clip.sidecars) and (found := list(empty_files(clip)))
    }


def empty_sound_sidecars(clip: Clip) -> list[FileEntry]:
    """The sound files of 0 bytes a clip claims (``A001C001.WAV`` beside ``A001C001.MOV``, a
    P2 voice memo, a P2 audio channel ``CONTENTS/AUDIO/0001AB00.MXF``): nothing was recorded
    in them, as in a sound file of 0 bytes no clip claims (an "empty" row); [] for most clips
    (no sidecar: no file's name split)."""
    return [
        entry
        for entry in clip.sidecars
        if entry.get("size_bytes") == 0 and _is_sound_file(str(entry["path"]))
    ]


def _part(stem: str) -> str:
    """What the files of a recording after the first (whose base name is *stem*) are: an
    Insta360 camera writes one file a lens, at the same time ("lens"); every other camera
    splits a recording in time, one file after another ("span": RED, GoPro chapters, Canon
    XF, XDCAM EX)."""
    return "lens" if _INSTA.match(stem) else "span"


# The name's count of the other members: "(+2 spans)", "(+1 lens)", "(+2 lenses)".
_PLURALS = {"span": "spans", "track": "tracks", "lens": "lenses"}


def _recording_row(
    members: list[FileEntry],
    kind: str,
    part: str | None,
    folder: str,
    key: str,
    *,
    ordered: bool = False,
) -> Clip:
    """The row of one recording's *members* (sorted here by path unless *ordered*: the
    caller sorted them; the first is its primary), named after the first with the number
    of the others (*part*: "span", "track", "lens"; None: told from the first's name,
    ``_part``); *key* is the base name its sidecars match.

    The first is named from the row's *folder*: its file name, or, for a recording whose
    files are in folders of their own under it (an XDCAM EX take's clip folders, shown in
    ``CLPR``), its path from there (``FISH0046_01/FISH0046_01.MP4``), so that the name is
    found where the row says it is."""
    if len(members) > 1 and not ordered:
        members.sort(key=lambda e: str(e["path"]))
    path = str(members[0]["path"])
    prefix = f"{folder}/" if folder else ""
    if path.startswith(prefix):
        name = path[len(prefix) :]
        # Its base name from the name already cut from the row's folder (most rows), split
        # from the path again only for a file in a folder below the row's (XDCAM EX).
        stem = _stem_ext(name)[0] if "/" not in name else _split(path)[1]
    else:
        name = posixpath.basename(path)
        stem = _split(path)[1]
    if part is None:
        # A base name that is the recording's key was named by no camera's scheme (an
        # Insta360 lens file's key is INSTA...): a span, without the pattern.
        part = "span" if key == stem else _part(stem)
    others = len(members) - 1
    if others:
        name = f"{name} (+{others} {part if others == 1 else _PLURALS[part]})"
    # A recording a camera names by its spans (its key is not its first file's base name:
    # GOPRO0042, a RED clip's name without _001) may lack some.
    missing: tuple[str, ...] = ()
    if kind == "clip" and part == "span" and key != stem:
        missing = _missing_spans(members)
    return Clip(
        name=name,
        kind=kind,
        folder=folder,
        primary=members[0],
        files=members,
        stem=key,
        part=part,
        missing_spans=missing,
    )


def _split_lettered(
    takes: dict[tuple[str, str], list[FileEntry]],
) -> Iterator[tuple[tuple[str, str], list[FileEntry]]]:
    """*takes*, each "take" kept whole if it is one (``_one_take``), else a take a file."""
    for (folder, take), members in takes.items():
        if _one_take(members, take):
            yield (folder, take), members
        else:
            for entry in members:
                yield (folder, _split(str(entry["path"]))[1]), [entry]


def _one_take(members: list[FileEntry], take: str) -> bool:
    """Whether sound files grouped by name as take *take* are the tracks of one take.

    A track a recorder surely writes (Sound Devices ``_1``..``_9``, its mix ``_X1``; Zoom
    ``_Tr1``, ``_LR``) makes the files one take, unless one of them relies on a letter or a
    number of two digits or more (``_A``, ``_L``, ``_10``): then all must be of one length
    (``_SAME_LENGTH_BYTES``), as the mono tracks of a take are (an 888 take of 12 tracks and
    its mix; one recording only tracks 10 to 12). Files numbered by a user or an app
    (``REC_1`` .. ``REC_12``, ``INT_10``, ``INT_11``) or two cameras' scratch (``CAM_A``,
    ``CAM_B``) differ in length: a take a file. A file with no track part (``INT.WAV``
    beside ``INT_10.WAV``) is no sign of a recorder's tracks."""
    if len(members) == 1:
        return True
    sure = unsure = False
    for entry in members:
        stem = _split(str(entry["path"]))[1]
        if stem == take:
            continue
        if _UNSURE_TRACK.match(stem):
            unsure = True
        else:
            sure = True
    if not unsure:
        return sure
    sizes = [int(entry.get("size_bytes") or 0) for entry in members]
    return max(sizes) - min(sizes) <= _SAME_LENGTH_BYTES


def _one_file_row(entry: FileEntry, kind: str, folders: dict[str, str]) -> Clip:
    """A row of one file (*kind* "clip": a proxy no clip claims; "file": a loose file), its
    folder string shared through *folders*."""
    folder, name = _path_split(str(entry["path"]))
    return Clip(
        name=name,
        kind=kind,
        folder=folders.setdefault(folder, folder),
        primary=entry,
        files=[entry],
        # A loose file's base name matched no sidecar's (matching is done when it is made)
        # and is read no more: not kept, ~60 B a file (a 200,000-file card's documents
        # drawn in the command: 134 -> 122 MiB above its results).
        stem="" if kind == "file" else _stem_ext(name)[0],
    )


class _Owners:
    """The clips sidecars can belong to, indexed by lower-case base name: finding the owner
    of one file looks up each prefix of its own base name (a dozen lookups) instead of
    comparing it with every clip (a card of 10,000 clips with a sidecar each made that
    10⁸ comparisons).

    Ties go by position, as a scan of ``clips + sequences`` would; clips added later
    (``add``) come after *clips* and before the sequences (*room*: how many may be added).
    """

    def __init__(self, clips: list[Clip], sequences: list[Clip], *, room: int = 0) -> None:
        self._by_stem: dict[str, list[tuple[int, Clip]]] = defaultdict(list)
        self._next = len(clips)
        self._index(clips, 0)
        self._index(sequences, len(clips) + room)

    def _index(self, clips: list[Clip], start: int) -> None:
        for position, clip in enumerate(clips, start):
            if clip.stem:
                self._by_stem[clip.stem.lower()].append((position, clip))

    def add(self, clips: list[Clip]) -> None:
        """Index *clips*, after the clips given first (at most *room* of them in all)."""
        self._index(clips, self._next)
        self._next += len(clips)

    def mirrored(self, tail: str) -> Clip | None:
        """The one clip whose primary file's path without its extension is *tail* or ends
        with ``/`` *tail* (a proxy folder mirroring the clip folders), else None."""
        stem = posixpath.basename(tail).lower()
        found = [
            clip
            for _, clip in self._by_stem.get(stem, ())
            if (path := str(clip.primary["path"]).rpartition(".")[0].lower()) == tail.lower()
            or path.endswith(f"/{tail.lower()}")
        ]
        return found[0] if len(found) == 1 else None

    def find(self, entry: FileEntry) -> Clip | None:
        """The clip *entry* is a sidecar of: same folder and base name first, then a unique
        base name match anywhere on the card."""
        folder, stem, _ = _split(str(entry["path"]))
        stem = _recording(stem) or stem
        lower = stem.lower()
        found = sorted(
            (
                pair
                for end in range(1, len(lower) + 1)
                for pair in self._by_stem.get(lower[:end], ())
            ),
            key=lambda pair: pair[0],
        )
        # In the clips' order, so that ties go as a scan of the list would.
        candidates = [clip for _, clip in found if _starts_with_stem(stem, clip.stem)]
        same_folder = [c for c in candidates if c.folder == folder]
        if same_folder:
            return max(same_folder, key=lambda c: len(c.stem))
        if candidates:
            longest = max(len(c.stem) for c in candidates)
            best = [c for c in candidates if len(c.stem) == longest]
            if len(best) == 1:
                return best[0]
        return None
