"""``python -m offload.demo OUT``: make a sample card and offload it to three destinations.

Used by ``make demo``. The card is generated in a few seconds: real short clips (H.264 in
QuickTime and MP4, MPEG-2 in MXF, each with a start timecode) and a real DPX image sequence,
encoded with PyAV (the ``media`` extra) so the reports show real thumbnails; without PyAV the
clips are random bytes (listed without thumbnails).
"""

from __future__ import annotations

import importlib
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from offload.report.media import media_available

# Colour bars (75 %), left to right: white, yellow, cyan, green, magenta, red, blue.
BARS: tuple[tuple[int, int, int], ...] = (
    *((191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0)),
    *((191, 0, 191), (191, 0, 0), (0, 0, 191)),
)


@dataclass(frozen=True)
class ClipSpec:
    path: str  # relative to the card
    codec: str = "libx264"  # libx264 (mov/mp4) or mpeg2video (mxf)
    seconds: float = 3.0
    rate: int = 25
    width: int = 640
    height: int = 360
    timecode: str = "01:00:00:00"
    hue: int = 0  # which bar the moving box takes (clips differ at a glance)
    scene: int = 0  # 0: colour bars; 1..: a landscape with a moving sun, in its own colours


SKIES = ((40, 90, 170), (230, 120, 50), (20, 30, 70), (120, 170, 210))
GROUNDS = ((50, 110, 40), (120, 80, 40), (30, 50, 40), (170, 160, 120))


def _scene(image: Any, scene: int) -> None:
    """Sky gradient, two hills (the base picture of a scene)."""
    from PIL import ImageDraw

    width, height = image.size
    draw = ImageDraw.Draw(image)
    sky, ground = SKIES[scene % len(SKIES)], GROUNDS[scene % len(GROUNDS)]
    for y in range(height):
        k = y / height
        draw.line(
            (0, y, width, y), tuple(int(c * (1 - 0.5 * k) + 255 * 0.5 * k * 0.6) for c in sky)
        )
    draw.ellipse((-width // 4, height // 2, width * 3 // 4, height * 3 // 2), ground)
    darker = tuple(int(c * 0.7) for c in ground)
    draw.ellipse((width // 3, height * 3 // 5, width * 3 // 2, height * 8 // 5), darker)


def _frames(spec: ClipSpec, label: str, count: int) -> Iterator[Any]:
    """Pillow images: colour bars, a moving box and the clip's name and frame number."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font: Any = ImageFont.load_default(size=max(10, spec.height // 12))
    except TypeError:  # Pillow < 10.1: the small bitmap font
        font = ImageFont.load_default()
    width, height = spec.width, spec.height
    bar = width / len(BARS)
    base = Image.new("RGB", (width, height), (16, 16, 16))
    draw = ImageDraw.Draw(base)
    if spec.scene:
        _scene(base, spec.scene)
    for index, colour in enumerate(() if spec.scene else BARS):
        draw.rectangle((round(index * bar), 0, round((index + 1) * bar), height * 2 // 3), colour)
    for step in range(0 if spec.scene else 8):  # a grey ramp under the bars
        grey = 16 + step * 32
        draw.rectangle(
            (step * width // 8, height * 2 // 3, (step + 1) * width // 8, height * 3 // 4),
            (grey, grey, grey),
        )
    for frame in range(count):
        image = base.copy()
        draw = ImageDraw.Draw(image)
        x = int((frame / max(1, count - 1)) * (width - height // 5))
        if spec.scene:  # the sun crosses the sky
            r = height // 10
            y = height // 3 - int(height / 5 * (1 - abs(2 * frame / max(1, count - 1) - 1)))
            draw.ellipse(
                (x - r + height // 10, y - r, x + r + height // 10, y + r), (255, 230, 120)
            )
            text = f"{label}  #{frame:04d}"
            draw.text((8, height - height // 8), text, fill=(255, 255, 255), font=font)
            yield image
            continue
        draw.rectangle(
            (x, height * 3 // 4 + 4, x + height // 5, height - 4), BARS[spec.hue % len(BARS)]
        )
        text = f"{label}  #{frame:04d}"
        draw.text((8, height * 2 // 3 + 4), text, fill=(255, 255, 255), font=font)
        yield image


def encode_clip(card: Path, spec: ClipSpec) -> Path:
    """Encode a short clip with PyAV (timecode in the container where it allows)."""
    av: Any = importlib.import_module("av")  # the optional media extra; typed loosely here
    path = card / spec.path
    path.parent.mkdir(parents=True, exist_ok=True)
    count = round(spec.seconds * spec.rate)
    pix_fmt = "yuv422p" if spec.codec == "mpeg2video" else "yuv420p"
    options = {"preset": "ultrafast", "g": str(spec.rate)} if spec.codec == "libx264" else {}
    with av.open(str(path), "w") as container:
        container.metadata["timecode"] = spec.timecode
        stream = container.add_stream(spec.codec, rate=spec.rate, options=options)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, pix_fmt
        if spec.codec == "mpeg2video":
            stream.codec_context.gop_size = 12
            stream.codec_context.bit_rate = 4_000_000
        stream.metadata["timecode"] = spec.timecode
        for image in _frames(spec, path.stem, count):
            frame = av.VideoFrame.from_image(image).reformat(format=pix_fmt)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def dpx_frame(width: int = 256, height: int = 144, label: str = "DPX") -> bytes:
    """One real 8-bit RGB DPX frame (encoded with PyAV)."""
    av: Any = importlib.import_module("av")
    spec = ClipSpec("frame.dpx", width=width, height=height, hue=3)
    image = next(iter(_frames(spec, label, 1)))
    codec = av.CodecContext.create("dpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
    codec.time_base = Fraction(1, 24)
    packets = [*codec.encode(av.VideoFrame.from_image(image)), *codec.encode(None)]
    return b"".join(bytes(p) for p in packets)


def write_sequence(
    folder: Path, name: str, frames: range, *, skip: frozenset[int] = frozenset(), **kw: Any
) -> int:
    """Frames ``name.0001001.dpx`` ...; real DPX when PyAV is there (one picture, written for
    every frame: fast), else random bytes. Returns the number of frames written."""
    folder.mkdir(parents=True, exist_ok=True)
    if media_available():
        data = dpx_frame(label=name, **kw)
    else:
        data = random.Random(len(frames)).randbytes(8192)
    written = 0
    for number in frames:
        if number in skip:
            continue
        (folder / f"{name}.{number:07d}.dpx").write_bytes(data)
        written += 1
    return written


DEMO_CLIPS = (
    ClipSpec("A001C001_261127_R1AB/A001C001_261127_R1AB.mov", timecode="14:02:10:00", scene=1),
    ClipSpec("A001C001_261127_R1AB/A001C002_261127_R1AB.mov", timecode="14:05:31:12", scene=2),
    ClipSpec(
        "A001C001_261127_R1AB/A001C003_261127_R1AB.mxf",
        codec="mpeg2video",
        timecode="14:11:02:05",
        hue=2,
    ),
    ClipSpec("DCIM/100MEDIA/DJI_0001.MP4", seconds=2.0, rate=30, timecode="00:00:00:00", scene=4),
)


def make_sample_card(root: Path, *, seed: int = 2114) -> Path:
    """Write a small ARRI-like card under *root*/A001R1AB and return the card folder.

    Clips with sidecar XML, a drone clip with its subtitle track, a DPX image sequence with a
    missing frame, a thumbnail folder, a hidden file, an empty folder, and OS junk that the
    default ignore list skips.
    """
    rng = random.Random(seed)
    card = root / "A001R1AB"
    if card.exists():
        shutil.rmtree(card)
    card.mkdir(parents=True)
    with_media = media_available()
    for spec in DEMO_CLIPS:
        if with_media:
            encode_clip(card, spec)
        else:
            (card / spec.path).parent.mkdir(parents=True, exist_ok=True)
            (card / spec.path).write_bytes(rng.randbytes(2_000_000))
        stem = Path(spec.path).stem
        if spec.path.startswith("A001"):
            (card / spec.path).with_suffix(".xml").write_text(
                f'<?xml version="1.0"?>\n<clip name="{stem}" fps="{spec.rate}" reel="A001" '
                f'timecode="{spec.timecode}"/>\n'
            )
        else:
            (card / spec.path).with_suffix(".SRT").write_text(
                "1\n00:00:00,000 --> 00:00:01,000\nF/2.8, SS 1/60, ISO 100\n"
            )
    thumbs = card / "THUMBS"
    thumbs.mkdir()
    for index, image in enumerate(_frames(ClipSpec("thumb", width=160, height=90), "T", 3)):
        image.save(thumbs / f"thumb_{index:03d}.jpg", "JPEG", quality=80)
    frames = range(1001, 1049)
    write_sequence(card / "SEQ" / "A001_shot010", "A001_shot010", frames, skip=frozenset({1030}))
    (card / ".camera_meta").write_text("serial=K1.71234\n")
    (card / "EMPTY").mkdir()
    (card / ".DS_Store").write_bytes(b"\0" * 64)
    return card


def main(argv: list[str] | None = None) -> int:
    """Make the sample card in OUT/card and offload it to OUT/RAID1-3 (each emptied first),
    the reports in OUT/reports; the offload's exit code. ``--help`` prints the usage (0); an
    option it does not know, a second folder, or an empty OUT (the current folder) is one
    ``ERROR:`` line (64, nothing made): ``--help`` was taken for OUT before, and a folder of
    that name filled."""
    from offload.cli.common import UsageParser, path_text
    from offload.errors import UsageError

    parser = UsageParser(
        prog="python -m offload.demo",
        description="Make a sample card in OUT/card and offload it to OUT/RAID1, OUT/RAID2 "
        "and OUT/RAID3 (each emptied first), the reports in OUT/reports.",
    )
    parser.add_argument(
        "out",
        metavar="OUT",
        nargs="?",
        default="demo-output",
        # "" refused (64), as the main CLI does: Path("") is the current folder, whose
        # RAID1-3 the demo would empty.
        type=path_text,
        help="the folder to make it all in (default: demo-output); a name starting with '-' "
        "after --",
    )
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as error:
        print(f"ERROR: {error.message}", file=sys.stderr)
        return 64
    out = Path(args.out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    card = make_sample_card(out / "card")
    destinations = [out / f"RAID{index}" for index in (1, 2, 3)]
    for destination in destinations:
        if destination.exists():
            shutil.rmtree(destination)
        destination.mkdir()
    from offload.cli import offload as offload_cli

    print(f"Sample card: {card}")
    print(f"Offloading to: {', '.join(map(str, destinations))}\n")
    code = offload_cli.main(
        [
            "copy",
            str(card),
            *map(str, destinations),
            "--report-dir",
            str(out / "reports"),
            *("--production", "The Long Take", "--shoot-day", "Day 12", "--camera", "A"),
            *("--author-name", "Demo DIT", "--author-role", "DIT", "--location", "Stage 4"),
        ]
    )
    # The command's own last lines name its HTML and PDF reports (on stderr): said once
    # (the demo printed them again, aligned otherwise).
    return code


if __name__ == "__main__":
    sys.exit(main())
