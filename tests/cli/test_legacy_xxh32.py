"""``offload verify --mhl-file`` against a legacy MHL whose entries hold ``<xxhash>`` (XXH32
in decimal, as mhl-tool, ShotPut and Silverstack wrote it) or no hash offload-ai can
recompute (``<null>``). Before, both were only size-checked and the run exited 0 with a
summary that never named them ("0 OK, 0 changed, ..."), even after the file's content had
changed. Now XXH32 is recomputed (a changed file: 11), and a file checked by size only is
named on the terminal and gives exit 22, never 0. The XXH32 comes from ``xxhsum -H0``, the
system's tool, not from offload-ai's code; the command runs as a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cli.test_scripting import run

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1"><creatorinfo>'
    "<username>u</username><hostname>h</hostname><tool>Silverstack 8</tool>"
    "<startdate>2024-01-01T00:00:00Z</startdate><finishdate>2024-01-01T00:00:00Z</finishdate>"
    "</creatorinfo>\n"
)


def xxh32_decimal(path: Path) -> str:
    if shutil.which("xxhsum") is None:
        pytest.skip("xxhsum: apt-get install xxhash")
    out = subprocess.run(["xxhsum", "-H0", str(path)], capture_output=True, text=True, check=True)
    return f"{int(out.stdout.split()[0], 16):010d}"  # zero-padded, as mhl-tool's %010u


def entry(name: str, size: int, hashes: str) -> str:
    return (
        f"<hash><file>{name}</file><size>{size}</size>"
        "<lastmodificationdate>2024-01-01T00:00:00Z</lastmodificationdate>"
        f"{hashes}<hashdate>2024-01-01T00:00:00Z</hashdate></hash>\n"
    )


def folder(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "L"
    root.mkdir()
    clip = root / "clip.mov"
    clip.write_bytes(bytes(range(256)) * 40)
    mhl = root / "L_2024-01-01_000000.mhl"
    mhl.write_text(
        HEADER
        + entry("clip.mov", clip.stat().st_size, f"<xxhash>{xxh32_decimal(clip)}</xxhash>")
        + "</hashlist>\n"
    )
    return root, mhl


def test_xxh32_is_recomputed_and_a_change_is_found(tmp_path: Path) -> None:
    root, mhl = folder(tmp_path)
    reports = tmp_path / "reports"
    result = run("verify", "--mhl-file", mhl, root, reports=reports)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 OK" in result.stdout and "by size only" not in result.stdout
    with (root / "clip.mov").open("r+b") as f:  # same size, other bytes
        f.seek(100)
        f.write(b"CORRUPT")
    result = run("verify", "--mhl-file", mhl, root, reports=reports)
    assert result.returncode == 11, result.stdout + result.stderr
    assert "CHANGED" in result.stderr and "clip.mov" in result.stderr
    data = json.loads(run("verify", "--json", "--mhl-file", mhl, root, reports=reports).stdout)
    assert data["exit_code"] == 11 and [c["path"] for c in data["changed"]] == ["clip.mov"]
    assert data["unverifiable"] == []


def test_a_file_checked_by_size_only_is_named_and_never_exit_0(tmp_path: Path) -> None:
    root, mhl = folder(tmp_path)
    side = root / "side.xml"
    side.write_bytes(b"<x/>")
    text = mhl.read_text().replace(
        "</hashlist>", entry("side.xml", 4, "<null></null>") + "</hashlist>"
    )
    mhl.write_text(text)
    reports = tmp_path / "reports"
    result = run("verify", "--mhl-file", mhl, root, reports=reports)
    assert result.returncode == 22, result.stdout + result.stderr
    assert "SIZE ONLY" in result.stderr and "side.xml" in result.stderr
    assert "1 OK" in result.stdout and "1 by size only" in result.stdout
    data = json.loads(run("verify", "--json", "--mhl-file", mhl, root, reports=reports).stdout)
    assert data["exit_code"] == 22 and data["unverifiable"] == ["side.xml"]
    assert data["passed"] is False  # checked by size only is no pass (was true with exit 22)
    history = run("history", "--json", "--report-dir", reports, reports=reports)
    entries = json.loads(history.stdout)
    assert entries[0]["result"] == "verified, 1 by size only"
    # A real change still wins over "by size only".
    side.write_bytes(b"<y/>")
    (root / "clip.mov").write_bytes(b"other")
    assert run("verify", "--mhl-file", mhl, root, reports=reports).returncode == 11


def _card_listed_by(tmp_path: Path, element: str, digest: str) -> Path:
    """A card of one clip a legacy MHL at its root lists with one *element* (``<md5>``, …;
    ``null``: no hash), *digest* its text."""
    card = tmp_path / f"card_{element}"
    card.mkdir()
    clip = card / "clip.mov"
    clip.write_bytes(bytes(range(256)) * 40)
    hashes = "<null></null>" if element == "null" else f"<{element}>{digest}</{element}>"
    (card / f"{element}.mhl").write_text(
        HEADER + entry("clip.mov", clip.stat().st_size, hashes) + "</hashlist>\n"
    )
    return card


def test_copy_checks_a_card_against_each_hash_a_legacy_mhl_may_record(tmp_path: Path) -> None:
    """QA (27f73e8e): ``offload copy`` of a card whose legacy MHL records ``<xxhash>`` (XXH32)
    ended in a traceback (``UnknownHashError: unknown hash algorithm 'xxh32' for a copy``),
    ``--dry-run`` and ``--into`` too: the plan added the format to check it and the copy's
    options refused it. Failed before. Now every element a legacy MHL may carry copies, the
    XXH32 computed in the single read (a changed file of the same size fails), and the
    read-backs are still hashed with xxh64, never the 32 bits of XXH32."""
    import hashlib

    import xxhash

    data = bytes(range(256)) * 40
    as_recorded = {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "xxhash64": xxhash.xxh64(data).digest()[::-1].hex(),  # v1: little-endian
        "xxhash64be": xxhash.xxh64(data).hexdigest(),
        "null": "",
    }
    for element, digest in as_recorded.items():
        card = _card_listed_by(tmp_path, element, digest)
        for extra in ([], ["--dry-run"]):
            dest = tmp_path / f"D_{element}{extra and '_dry'}"
            dest.mkdir()
            result = run("copy", *extra, card, dest, reports=tmp_path / "r")
            assert result.returncode == 0, (element, extra, result.stderr)
            assert "Traceback" not in result.stderr
    card = _card_listed_by(tmp_path, "xxhash", xxh32_decimal(tmp_path / "card_md5" / "clip.mov"))
    for extra in ([], ["--dry-run"], ["--into"]):
        dest = tmp_path / f"X_{''.join(extra)}"
        dest.mkdir()
        result = run("copy", *extra, card, dest, reports=tmp_path / "r")
        assert result.returncode == 0, (extra, result.stderr)
        assert "Traceback" not in result.stderr
    # What the read computes, said: the checked-only format apart (it proves no copy).
    assert "xxh64; xxh32 checked against the card's legacy MHL only" in " ".join(
        result.stderr.split()
    )
    with (card / "clip.mov").open("r+b") as f:  # same size, other bytes
        f.seek(100)
        f.write(b"CORRUPT")
    dest = tmp_path / "X_changed"
    dest.mkdir()
    result = run("copy", card, dest, reports=tmp_path / "r")
    assert result.returncode != 0 and "xxhash.mhl" in result.stderr, result.stderr
