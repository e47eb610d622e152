"""The one-file quick test, exactly as a new user types it (no -t, relative paths):

pfndispatchcopy -v test_50mb.bin dest1.bin dest2.bin dest3.bin
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import xxhash

from support.pfn import other_text

PFNDISPATCHCOPY = Path(sys.executable).with_name("pfndispatchcopy")
COPIED = re.compile(r"INFO: copied (\d+) of 50000000 bytes")
SPEED = re.compile(r"INFO: copy speed 50000000 bytes in \d+\.\d{5} sec \(\d+\.\d MB/sec\)")


def test_quick_test_without_t_prints_the_documented_lines(tmp_path: Path) -> None:
    data = os.urandom(50_000_000)
    (tmp_path / "test_50mb.bin").write_bytes(data)
    done = subprocess.run(
        [str(PFNDISPATCHCOPY), "-v", "test_50mb.bin", "dest1.bin", "dest2.bin", "dest3.bin"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert other_text(done.stderr) == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "INFO: copying test_50mb.bin..."
    progress = [int(COPIED.fullmatch(line).group(1)) for line in lines[1:-2]]  # type: ignore[union-attr]
    assert progress == sorted(progress) and all(0 < n < 50_000_000 for n in progress)
    # the default hash is Pomfort's: XXH64, canonical big-endian hex, labelled XXH64BE
    assert lines[-2] == f"hash XXH64BE:{xxhash.xxh64(data).hexdigest()}"
    assert SPEED.fullmatch(lines[-1]), lines[-1]
    for name in ("dest1.bin", "dest2.bin", "dest3.bin"):
        assert (tmp_path / name).read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == [
        "dest1.bin",
        "dest2.bin",
        "dest3.bin",
        "test_50mb.bin",
    ]
