"""An earlier take's copy in the way is read once a run, seen from outside (strace of a
real ``offload copy``): a copy of another size than the card's file now is read by the plan
(``card._earlier_intact``) and by nothing after it; one of the same size (another date) is
read back by the check of files in the way (``existing``), the ledger entry that vouches
for it handed to that check (``ExistingCopy.earlier_digests``), never read for it again.
Damaged in place or not, the count is the same: its refusal's words come from that one
read."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.cards import clips_card
from support.offload_cli import newest_report, offload
from support.requirements import require_tool

READS = "read,pread64,readv,preadv,preadv2"


def _bytes_read(trace: Path, path: Path) -> int:
    """How many bytes the traced run's read calls (one trace file a thread, *trace*.PID:
    ``strace -ff -y``, each call on one line) returned from *path* itself."""
    call = re.compile(rf"^p?readv?2?(?:64)?\(\d+<{re.escape(str(path))}>.*\) += (\d+)$", re.M)
    return sum(
        int(found.group(1))
        for part in trace.parent.glob(f"{trace.name}.*")
        for found in call.finditer(part.read_text())
    )


@pytest.mark.parametrize("damaged", [False, True], ids=["intact", "damaged in place"])
@pytest.mark.parametrize(
    "size",
    [
        pytest.param(200_000, id="same size: read back by the check"),
        pytest.param(300_000, id="other size: read by the plan"),
    ],
)
def test_an_earlier_copy_in_the_way_is_read_once_a_run(
    tmp_path: Path, size: int, damaged: bool
) -> None:
    strace = require_tool("strace")
    card = clips_card(tmp_path / "cards", 2, 200_000)
    dest = tmp_path / "dest"
    dest.mkdir()
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 0, out
    copy = dest / "A001" / "CLIPS" / "C001.mov"
    if damaged:  # one byte flipped, its size and date kept: only a read tells
        st = copy.stat()
        data = bytearray(copy.read_bytes())
        data[len(data) // 2] ^= 0x01
        copy.write_bytes(bytes(data))
        os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    clip = card / "CLIPS" / "C001.mov"
    later = clip.stat().st_mtime_ns + 60 * 10**9
    clip.write_bytes(os.urandom(size))  # another take of the name, a minute later
    os.utime(clip, ns=(later, later))
    kept = copy.read_bytes()

    trace = tmp_path / "trace"
    command = [sys.executable, "-m", "offload", "copy", "--quiet"]
    command += ["--report-dir", str(tmp_path / "reports"), str(card), str(dest)]
    done = subprocess.run(
        [strace, "-ff", "-qq", "-y", "-e", f"trace={READS}", "-o", str(trace), *command],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # refused, as it should be
    data = newest_report(tmp_path / "reports")
    (copied,) = [f for f in data["files"] if f["path"] == "CLIPS/C001.mov"]
    refusal = "damaged_earlier_copy" if damaged else "earlier_copy"
    assert copied["destinations"][0]["refusal"] == refusal, copied
    assert _bytes_read(trace, copy) == len(kept)  # read whole, once
    assert copy.read_bytes() == kept
