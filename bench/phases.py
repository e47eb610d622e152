"""The phases of an offload of a few large clips, from its progress trace.

    .venv/bin/offload copy --verify full --progress-trace run.trace CARD D1 D2 D3
    .venv/bin/python bench/phases.py run.trace [more.trace ...]

Prints, per trace, three phases and the bytes per second of each lane in each:

* **first copy**: from the first source byte read to the start of the second file: the first
  file is copied and nothing can be verified yet;
* **middle**: until the last byte is written: each file is copied while the one before is
  read back and its source re-read;
* **tail**: from the last byte written to the last byte verified: the last file's read-backs
  and source re-read, with nothing left to overlap them.

Lanes: ``read`` (source bytes read), ``written`` (all destinations), ``verified`` (all
read-backs) and ``re-read`` (the source re-read of full mode). Their sum is what the engine
asked of the disks per second; on one shared disk, compare it with what the disk can do
(docs/performance.md, "Full verification of large clips"). The trace's own clock starts
when the command started writing it, after start-up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LANES = ("read", "written", "verified", "re-read")


def _lane(event: dict[str, object]) -> str | None:
    name = event["event"]
    if name == "source_bytes_read":
        return "read"
    if name == "destination_bytes_written":
        return "written"
    if name == "bytes_verified":
        return "re-read" if event["destination_index"] == -1 else "verified"
    return None


def phases(path: Path) -> str:
    """One line a phase: its span and each lane's MB/s in it."""
    events = [json.loads(line) for line in path.read_text().splitlines()[1:] if line.strip()]
    flows = [(float(e["t"]), lane, int(e["nbytes"])) for e in events if (lane := _lane(e))]
    if not flows:
        return f"{path}: no bytes moved"
    starts = [
        float(e["t"])
        for e in events
        if e["event"] == "phase_changed" and e["destination_index"] == -1 and e["phase"] == "copy"
    ]
    first = flows[0][0]
    second = starts[1] if len(starts) > 1 else None
    last_written = max(t for t, lane, _ in flows if lane == "written")
    last_verified = max((t for t, lane, _ in flows if lane in ("verified", "re-read")), default=0)
    spans = [("first copy", first, second or last_written), ("middle", second, last_written)]
    spans.append(("tail", last_written, max(last_verified, last_written)))
    lines = [f"{path.name}: first byte at {first:.2f} s, last at {spans[-1][2]:.2f} s"]
    for name, begin, end in spans:
        if begin is None or end <= begin:
            continue
        moved = dict.fromkeys(LANES, 0)
        for t, lane, nbytes in flows:
            if begin < t <= end:
                moved[lane] += nbytes
        rates = "  ".join(f"{lane} {moved[lane] / (end - begin) / 1e6:5.0f}" for lane in LANES)
        total = sum(moved.values()) / (end - begin) / 1e6
        lines.append(
            f"  {name:<10} {begin:6.2f}–{end:6.2f} s ({end - begin:5.2f} s)  MB/s: {rates}"
            f"  all {total:5.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 64
    for arg in argv:
        print(phases(Path(arg)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
