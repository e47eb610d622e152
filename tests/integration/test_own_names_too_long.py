"""A local copy root whose own files' names (the reports, named after the card's folder; the
ASC MHL generation, named after the copy root) would be longer than NAME_MAX under the
temporary name each is written to first (``.<name>.<pid>.<hex>.partial``).

Before: the preflight checked the card's names alone, so ``offload copy`` of a card folder
named 230 bytes copied every file, then failed its manifest and reports (ENAMETOOLONG),
exit 1 with the files copied and no manifest. Now the preflight refuses it, exit 64
``path-too-long``, nothing copied, naming the longest own file and what to do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.offload_cli import offload


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def _card(folder: Path) -> Path:
    (folder / "CLIPS").mkdir(parents=True)
    (folder / "CLIPS" / "A001.mov").write_bytes(os.urandom(10_000))
    (folder / "notes.txt").write_bytes(b"take 1\n")
    return folder


def test_a_card_folder_too_long_for_its_reports_names_is_refused_before_the_copy(
    tmp_path: Path,
) -> None:
    card = _card(tmp_path / ("C" * 230))
    dest = tmp_path / "dest"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest))
    assert code == 64, output  # before: 1, both files copied, no manifest, no report
    assert list(dest.iterdir()) == [], output  # nothing copied
    line = next(line for line in output.splitlines() if "a file offload-ai writes" in line)
    # the report (card name + "_<time>Z_9999.json", 264 bytes) under its temporary name
    assert "_9999.json, a file offload-ai writes for this copy, would have a name of 285 " in line
    assert "(limit 255)" in line, line
    assert "named after the card's folder" in line and "at least 30 bytes shorter" in line, line


def test_a_copy_root_too_long_for_its_generation_name_is_refused_naming_the_manifest(
    tmp_path: Path,
) -> None:
    card = _card(tmp_path / "A001")
    root = tmp_path / "dest" / ("R" * 220)
    root.mkdir(parents=True)
    code, output = offload("copy", "--into", str(card), str(root))
    assert code == 64, output  # before: 1, files copied, the manifest refused
    assert list(root.iterdir()) == [], output
    line = next(line for line in output.splitlines() if "a file offload-ai writes" in line)
    assert "_9999_" not in line and "Z.mhl, a file offload-ai writes" in line, line
    # 9999_<220 bytes>_<date>Z.mhl: 248 bytes, 274 under its temporary name
    assert "a name of 274 bytes (limit 255)" in line, line
    assert "named after the copy root" in line and "at least 19 bytes shorter" in line, line


def test_the_longest_card_folder_name_that_fits_is_copied_with_its_manifest_and_report(
    tmp_path: Path,
) -> None:
    card = _card(tmp_path / ("C" * 200))  # 201 is refused: the report's temporary, 256 bytes
    dest = tmp_path / "dest"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest))
    assert code == 0, output
    root = dest / card.name
    assert [p.suffix for p in (root / "ascmhl").iterdir() if p.name.startswith("0001_")] == [".mhl"]
    assert {p.suffix for p in (root / ".offload" / "reports").iterdir()} >= {".json", ".csv"}
    longer = _card(tmp_path / ("D" * 201))
    code, output = offload("copy", str(longer), str(dest))
    assert code == 64, output
    assert "at least 1 byte shorter" in output, output


def test_a_copy_root_too_long_for_a_generation_is_copied_when_no_ascmhl_history_is_written(
    tmp_path: Path,
) -> None:
    # --mhl none writes no ASC MHL generation: the copy root's name, too long for one, is
    # no reason to refuse (the final review: before, exit 64 naming a .mhl never written).
    card = _card(tmp_path / "A001")
    root = tmp_path / "dest" / ("R" * 220)
    root.mkdir(parents=True)
    code, output = offload("copy", "--mhl", "none", "--into", str(card), str(root))
    assert code == 0, output
    assert not (root / "ascmhl").exists(), output
    assert sorted(p.name for p in (root / ".offload" / "reports").glob("*.json")), output


def test_a_copy_root_too_long_for_its_legacy_mhl_is_refused_naming_it(tmp_path: Path) -> None:
    # --mhl legacy writes <root name>_<date>_<time>.mhl at the copy root: counted as the
    # ASC MHL generation is, only when written (``ManifestOptions.writes_legacy``). Failed
    # before: nothing counted it once the generation was counted only with an ASC MHL
    # history, so every file was copied, then the legacy MHL refused (ENAMETOOLONG).
    card = _card(tmp_path / "A001")
    root = tmp_path / "dest" / ("R" * 220)
    root.mkdir(parents=True)
    code, output = offload("copy", "--mhl", "legacy", "--into", str(card), str(root))
    assert code == 64, output
    assert list(root.iterdir()) == [], output
    line = next(line for line in output.splitlines() if "a file offload-ai writes" in line)
    # <220 bytes>_<date>_<time>_9.mhl: 244 bytes, 270 under its temporary name
    assert "_9.mhl, a file offload-ai writes" in line and "a name of 270 bytes" in line, line
    assert "the legacy MHL is named after the copy root" in line, line
    assert "at least 15 bytes shorter" in line, line


def test_a_single_file_into_a_folder_too_long_for_its_generation_is_refused(
    tmp_path: Path,
) -> None:
    # One file copied into a folder: that folder is the copy root its ledger, ASC MHL
    # history and reports are written to, as an S3 prefix is for a single file's copy
    # there. Failed before: the check was skipped for a single file: the file copied, then
    # its manifest refused (ENAMETOOLONG), exit 1.
    clip = tmp_path / "clip.mov"
    clip.write_bytes(os.urandom(10_000))
    root = tmp_path / "dest" / ("R" * 220)
    root.mkdir(parents=True)
    code, output = offload("copy", str(clip), str(root))
    assert code == 64, output
    assert list(root.iterdir()) == [], output
    line = next(line for line in output.splitlines() if "a file offload-ai writes" in line)
    assert "Z.mhl, a file offload-ai writes" in line and "a name of 274 bytes" in line, line


def test_pfndispatchcopy_into_that_folder_writes_no_own_file_and_is_not_refused(
    tmp_path: Path,
) -> None:
    # pfndispatchcopy writes no ledger, manifest nor report: the folder's name is no reason
    # to refuse it (the check above is ``offload copy``'s alone).
    import io

    from offload.cli.common import Environment
    from offload.cli.pfndispatchcopy import main

    clip = tmp_path / "clip.mov"
    clip.write_bytes(os.urandom(10_000))
    root = tmp_path / "dest" / ("R" * 220)
    root.mkdir(parents=True)
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False)
    assert main([str(clip), str(root / "clip.mov")], env) == 0, err.getvalue()
    assert [p.name for p in root.iterdir()] == ["clip.mov"]
