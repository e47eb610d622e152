"""``python -m offload.demo OUT``: make a sample card and offload it to three destinations.

Used by ``make demo``. The card is generated (random bytes, deterministic seed) so the demo
needs nothing but this package.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path


def make_sample_card(root: Path, *, seed: int = 2114, clip_mb: int = 64) -> Path:
    """Write a small ARRI-like card under *root*/A001_C001 and return the card folder.

    Clips with sidecar XML, a thumbnail folder, a hidden file, an empty folder, an image
    sequence of small frames, and OS junk that the default ignore list skips.
    """
    rng = random.Random(seed)
    card = root / "A001R1AB"
    if card.exists():
        shutil.rmtree(card)
    clips = card / "A001C001_261127_R1AB"
    clips.mkdir(parents=True)
    for take in (1, 2):
        name = f"A001C00{take}_261127_R1AB"
        with open(clips / f"{name}.mxf", "wb") as clip:
            remaining = clip_mb * 1024 * 1024 // take
            while remaining:  # in pieces: randbytes() refuses very large sizes
                piece = min(remaining, 16 * 1024 * 1024)
                clip.write(rng.randbytes(piece))
                remaining -= piece
        (clips / f"{name}.xml").write_text(
            f'<?xml version="1.0"?>\n<clip name="{name}" fps="25" reel="A001"/>\n'
        )
    thumbs = card / "THUMBS"
    thumbs.mkdir()
    for index in range(3):
        (thumbs / f"thumb_{index:03d}.jpg").write_bytes(rng.randbytes(20_000))
    sequence = card / "SEQ" / "A001_shot010"
    sequence.mkdir(parents=True)
    for frame in range(1001, 1049):
        (sequence / f"A001_shot010.{frame:07d}.dpx").write_bytes(rng.randbytes(200_000))
    (card / ".camera_meta").write_text("serial=K1.71234\n")
    (card / "EMPTY").mkdir()
    (card / ".DS_Store").write_bytes(b"\0" * 64)
    return card


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "demo-output").absolute()
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
    return offload_cli.main(["copy", str(card), *map(str, destinations)])


if __name__ == "__main__":
    sys.exit(main())
