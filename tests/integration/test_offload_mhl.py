"""Offloads judged by the reference tool: every destination's ASC MHL history must pass
``ascmhl`` 1.2 (info, schema, diff, verify, verify -dh), across generations and carried card
histories; ``offload verify`` finds corruption from the media."""

from __future__ import annotations

import io
import json
import os
import re
import unicodedata
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest import read_legacy_mhl
from support.ascmhl_judge import AscmhlJudge


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """offload verify writes a report per run: keep them below tmp_path, not in $HOME."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "verify-reports"))
    return tmp_path / "verify-reports"


def offload_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def make_card(root: Path) -> Path:
    card = root / "B003R4XY"
    files = {
        "CLIPS/B003C001_241201.mov": os.urandom(2 << 20),
        "CLIPS/B003C002 & <take> 'two'.mov": b"second clip",
        "CLIPS/" + unicodedata.normalize("NFC", "Café scène.txt"): b"composed",
        "CLIPS/" + unicodedata.normalize("NFD", "Café scène.txt"): b"decomposed",
        "META/sidecar.xml": b"<xml/>",
        "META/deeper/zero.bin": b"",
    }
    for relative, data in files.items():
        path = card / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (card / "EMPTY FOLDER" / "nested").mkdir(parents=True)
    return card


def judge_destination(judge: AscmhlJudge, root: Path, *, grown: bool = False) -> str:
    """Run every check on one destination root; return its newest root hash (xxh64).

    *grown*: files were added since earlier generations. ``verify -dh`` then reports their
    folder hashes as outdated (the reference tool does the same after ``ascmhl create``, add
    a file, ``ascmhl create``); the newest generation's must all match.
    """
    for result in (judge.info(root), judge.diff(root), judge.verify(root)):
        assert result.clean, result.describe()
    deep = judge.verify(root, directory_hashes=True)
    if grown:
        newest = len(list((root / "ascmhl").glob("*.mhl")))
        errors = [line for line in deep.stderr.splitlines() if line.startswith("ERROR")]
        assert not [e for e in errors if f"(generation {newest:04d})" in e], deep.describe()
    else:
        assert deep.clean, deep.describe()
    manifests = sorted((root / "ascmhl").glob("*.mhl"))
    assert manifests
    for manifest in manifests:
        check = judge.check_manifest_schema(manifest)
        assert check.clean, check.describe()
    chain = judge.check_chain_schema(root / "ascmhl" / "ascmhl_chain.xml")
    assert chain.clean, chain.describe()
    text = manifests[-1].read_text()
    match = re.search(r"<roothash>.*?<xxh64[^>]*>([0-9a-f]{16})</xxh64>", text, re.S)
    assert match, text[:2000]
    return match.group(1)


@pytest.mark.slow
def test_histories_accepted_by_the_reference_tool(judge: AscmhlJudge, tmp_path: Path) -> None:
    card = make_card(tmp_path / "cards")
    dests = [tmp_path / f"RAID{i}" for i in range(3)]
    for dest in dests:
        dest.mkdir()
    reports = tmp_path / "reports"
    code, _, err = offload_cli(
        "copy",
        "-q",
        "-t",
        "xxh64",
        "-t",
        "md5",
        "-t",
        "c4",
        "--mhl",
        "both",
        "--author-name",
        "Dana & <Co>",
        "--location",
        "Stage 5",
        "--report-dir",
        str(reports),
        str(card),
        *map(str, dests),
    )
    assert code == 0, err
    roots = {judge_destination(judge, dest / card.name) for dest in dests}
    assert len(roots) == 1  # the same root hash on every destination

    # offload verify --append records the check as a generation the reference tool accepts.
    code, out, _ = offload_cli(
        "verify", "--append", "--author-name", "QC", str(dests[2] / card.name)
    )
    assert code == 0, out
    assert len(list((dests[2] / card.name / "ascmhl").glob("*.mhl"))) == 2
    assert judge_destination(judge, dests[2] / card.name) in roots

    legacy = sorted((dests[0] / card.name).glob("*.mhl"))
    assert len(legacy) == 1 and "<xxhash64be>" in legacy[0].read_text()
    assert "<xxhash64>" not in legacy[0].read_text()
    entries = read_legacy_mhl(legacy[0]).entries
    assert len(entries) == 6

    # A second offload of the same card, one new file: a second generation everywhere.
    (card / "CLIPS" / "B003C003.mov").write_bytes(os.urandom(100_000))
    code, _, err = offload_cli(
        "copy",
        "-q",
        "--report-dir",
        str(reports),
        "-t",
        "xxh64",
        "-t",
        "md5",
        "-t",
        "c4",
        str(card),
        *map(str, dests),
    )
    assert code == 0, err
    for index, dest in enumerate(dests):
        expected = 3 if index == 2 else 2  # RAID2 also has the verify generation
        assert len(list((dest / card.name / "ascmhl").glob("*.mhl"))) == expected
        judge_destination(judge, dest / card.name, grown=True)

    # One byte corrupted on one destination: both judges fail, naming the file.
    victim = dests[1] / card.name / "CLIPS" / "B003C001_241201.mov"
    with open(victim, "r+b") as handle:
        handle.seek(12345)
        byte = handle.read(1)
        handle.seek(12345)
        handle.write(bytes([byte[0] ^ 0x01]))
    code, out, _ = offload_cli("verify", "--json", str(dests[1] / card.name))
    assert code == 11
    result = json.loads(out)
    assert [c["path"] for c in result["changed"]] == ["CLIPS/B003C001_241201.mov"]
    assert result["files_read_from_media"] == 7
    assert judge.verify(dests[1] / card.name).returncode == 11
    code, out, _ = offload_cli("verify", str(dests[0] / card.name))
    assert code == 0, out


@pytest.mark.slow
def test_card_history_is_checked_carried_and_continued(judge: AscmhlJudge, tmp_path: Path) -> None:
    card = make_card(tmp_path / "cards")
    created = judge.create(card, "xxh64", "md5")
    assert created.clean, created.describe()
    dests = [tmp_path / f"D{i}" for i in range(2)]
    for dest in dests:
        dest.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), *map(str, dests)
    )
    assert code == 0, err
    for dest in dests:
        manifests = sorted((dest / card.name / "ascmhl").glob("*.mhl"))
        assert len(manifests) == 2  # the card's own generation, carried, then ours
        assert manifests[0].read_bytes() == next((card / "ascmhl").glob("*.mhl")).read_bytes()
        judge_destination(judge, dest / card.name)

    # A card file that no longer matches the card's own history fails, named, everywhere.
    damaged = card / "META" / "sidecar.xml"
    stat = damaged.stat()
    damaged.write_bytes(b"<xmL/>")
    os.utime(damaged, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    fresh = [tmp_path / f"F{i}" for i in range(2)]
    for dest in fresh:
        dest.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), *map(str, fresh)
    )
    assert code == 1
    assert "sidecar.xml does not match the card's own ASC MHL history" in err
    for dest in fresh:
        assert not (dest / card.name / "META" / "sidecar.xml").exists()
