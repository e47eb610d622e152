"""``pfndispatchcopy -v`` to a bucket whose link is slow: ``INFO: copied N of M bytes``, N what
the service holds (a part at a time, ``S3Partial.on_sent``), says what the upload took beyond
it: "(uploading: K more bytes taken by the upload, not yet stored)". Before, seconds of a bare
"copied 0 of 25165824 bytes" on a throttled link, as if nothing moved.

Real parts: a real S3 server process behind the fault proxy, which holds the first part's
upload (a link that has not carried a part yet), the real ``pfndispatchcopy`` console script
as a child process. A small file (one PutObject, its bytes written as one piece of a pack)
too: before, its held upload printed a bare "copied 0 of 200000 bytes" (``taken`` was sent
only on a large file's chunk path)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.tcpproxy import FaultProxy


@pytest.mark.parametrize(
    ("size", "held"),
    [
        (24 << 20, "partNumber="),  # a multipart upload: no part answered, none carried yet
        (200_000, "clip.mov"),  # a small file's one PutObject, not answered
    ],
)
def test_verbose_progress_counts_what_a_slow_upload_took(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy: FaultProxy, tmp_path: Path, size: int, held: str
) -> None:
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(size))
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    proxy.hold("PUT", held)
    with subprocess.Popen(
        [exe, "-v", "--s3-endpoint", proxy.url, str(source), f"s3://{bucket}/day1/clip.mov"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        lines: list[tuple[int, int]] = []
        try:
            assert proxy.held.wait(60), "nothing was sent"
            for line in process.stdout:
                m = re.fullmatch(
                    rf"INFO: copied (\d+) of {size} bytes(?: \(uploading: (\d+) more bytes "
                    r"taken by the upload, not yet stored\))?",
                    line.strip(),
                )
                if m:
                    lines.append((int(m.group(1)), int(m.group(2) or 0)))
                    if len(lines) == 3:  # three seconds with the part held
                        break
        finally:
            proxy.release()
        out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    # Nothing held by the service yet, and never a bare 0: the first part and those taken
    # behind it are uploading.
    assert len(lines) == 3 and all(n == 0 and 0 < k <= size for n, k in lines), (lines, out)
