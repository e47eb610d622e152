"""A card file whose read fails at byte 100,000 (FaultyFS: every read request reaching that
byte answers EIO): the error names the bytes of the read that failed, a range holding byte
100,000, never one wrong byte.

Before the fix it said "cannot read at byte 0 of source ...": the start of the failing read
request, stated as if the error were there (in the terminal, the JSON and the PDF).

Real parts: the card is a FaultyFS FUSE mount (direct_io: every read reaches it), the
command runs as a subprocess."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.faultyfs import FaultyFS

BAD = 100_000
CONTENT = os.urandom(3_000_000)


def test_a_read_error_names_the_failing_read_not_a_wrong_byte(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card_fs = faulty_fs(direct_io=True)
    card = card_fs.mountpoint
    (card / "CLIPS").mkdir()
    (card / "CLIPS" / "C001.mov").write_bytes(CONTENT)
    (card / "CLIPS" / "C002.mov").write_bytes(os.urandom(1000))
    destination = tmp_path / "dst"
    destination.mkdir()
    reports = tmp_path / "reports"
    rule = card_fs.fail("read", errno.EIO, path="*C001.mov", offset=BAD)
    done = subprocess.run(
        [sys.executable, "-m", "offload.cli.offload", "copy", "--report-dir", str(reports),
         str(card), str(destination)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert card_fs.fired(rule) >= 1
    assert done.returncode == 1, done.stderr
    source = card / "CLIPS" / "C001.mov"
    (job,) = reports.glob("*.json")
    (bad,) = [f for f in json.loads(job.read_text())["files"] if f["path"] == "CLIPS/C001.mov"]
    for said in (done.stderr, bad["source_error"]):
        assert "at byte 0" not in said, said
        found = re.search(
            rf"cannot read bytes ([\d,]+)–([\d,]+) \(one read request\) of source {source}", said
        )
        assert found is not None, said
        start, last = (int(g.replace(",", "")) for g in found.groups())
        assert start <= BAD <= last < len(CONTENT), said
