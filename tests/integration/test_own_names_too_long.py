"""A local copy root whose own files' names (the reports, named after the card's folder; the
ASC MHL generation, named after the copy root) would be longer than NAME_MAX under the
temporary name each is written to first (``.<name>.<pid>.<hex>.partial``).

Before: the preflight checked the card's names alone, so ``offload copy`` of a card folder
named 230 bytes copied every file, then failed its manifest and reports (ENAMETOOLONG),
exit 1 with the files copied and no manifest. Now the preflight refuses it, exit 64
``path-too-long``, nothing copied, naming the longest own file and what to do."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.errors import REFUSED
from support.mounts import ExfatLoop
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


def _copy_root(tmp_path: Path, length: int) -> Path:
    """An empty copy root ``dest/RRR…`` whose name is *length* bytes."""
    root = tmp_path / "dest" / ("R" * length)
    root.mkdir(parents=True)
    return root


def _refusal(output: str) -> str:
    """The preflight's line naming the own file whose name would be too long."""
    return next(line for line in output.splitlines() if "a file offload-ai writes" in line)


def _refused_copy(*argv: str, into: Path) -> str:
    """Run ``offload copy *argv``, which must be refused before the copy (exit 64, nothing
    written into the empty folder *into*): the refusal's line."""
    code, output = offload("copy", *argv)
    assert code == 64, output
    assert list(into.iterdir()) == [], output
    return _refusal(output)


def _pfndispatchcopy(*argv: str) -> tuple[int, str]:
    """Run ``pfndispatchcopy *argv`` in this process: its exit code and its stderr."""
    from offload.cli.common import Environment
    from offload.cli.pfndispatchcopy import main

    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False)
    return main(list(argv), env), err.getvalue()


def test_a_card_folder_too_long_for_its_reports_names_is_refused_before_the_copy(
    tmp_path: Path,
) -> None:
    card = _card(tmp_path / ("C" * 230))
    dest = tmp_path / "dest"
    dest.mkdir()
    # before: exit 1, both files copied, no manifest, no report
    line = _refused_copy(str(card), str(dest), into=dest)
    # the report (card name + "_<time>Z_9999.json", 264 bytes) under its temporary name
    assert "_9999.json, a file offload-ai writes for this copy, would have a name of 285 " in line
    assert "(limit 255)" in line, line
    assert "named after the card's folder" in line and "at least 30 bytes shorter" in line, line


def test_a_copy_root_too_long_for_its_generation_name_is_refused_naming_the_manifest(
    tmp_path: Path,
) -> None:
    card = _card(tmp_path / "A001")
    root = _copy_root(tmp_path, 220)
    # before: exit 1, files copied, the manifest refused
    line = _refused_copy("--into", str(card), str(root), into=root)
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
    root = _copy_root(tmp_path, 220)
    code, output = offload("copy", "--mhl", "none", "--into", str(card), str(root))
    assert code == 0, output
    assert not (root / "ascmhl").exists(), output
    assert sorted(p.name for p in (root / ".offload" / "reports").glob("*.json")), output


def test_a_single_file_too_long_for_its_reports_names_is_refused_before_the_copy(
    tmp_path: Path,
) -> None:
    # offload copy CARD/CLIPS/<file> DEST: DEST is the copy root, its reports named after the
    # file. Before: not checked (only a folder card was), the file copied, then its reports
    # refused (ENAMETOOLONG) after the data, exit 1.
    card = _card(tmp_path / "A001")
    clip = card / "CLIPS" / ("C" * 226 + ".mov")  # 230 bytes: fits ext4 and tmpfs itself
    clip.write_bytes(os.urandom(5_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    code, output = offload("copy", str(clip), str(dest))
    assert code == 64, output  # before: 1, the file copied, no report there
    assert list(dest.iterdir()) == [], output  # nothing written, not a byte
    lines = [line for line in output.splitlines() if "a file offload-ai writes" in line]
    assert len(lines) == 1, output
    (line,) = lines
    # one refusal, one line (``errors.refusal_lines``); the report's path elided
    assert line.startswith(f"ERROR: {REFUSED}: {str(dest)[:40]}…"), line
    assert "_9999.json, a file offload-ai writes for this copy" in line, line
    # the report (file name + "_<time>Z_9999.json", 259 bytes) under its temporary name
    assert "would have a name of 285 bytes (limit 255)" in line, line
    assert "named after the file copied" in line, line
    assert str(clip.parent) in line, line  # the folder to copy instead
    # offload copy cannot give the copy another name: the source's is the one to shorten
    # (before: "or the file under a name at least 30 bytes shorter")
    assert line.endswith(
        "or rename it on the source (a write to the card) to a name at least 30 bytes shorter"
    ), line


def test_a_single_file_whose_reports_fit_is_copied_with_its_manifest_and_report(
    tmp_path: Path,
) -> None:
    card = _card(tmp_path / "A001")
    clip = card / "CLIPS" / ("C" * 196 + ".mov")  # 200 bytes: 201 would be refused
    clip.write_bytes(os.urandom(5_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    code, output = offload("copy", str(clip), str(dest))
    assert code == 0, output
    assert (dest / clip.name).read_bytes() == clip.read_bytes()
    assert {p.suffix for p in (dest / ".offload" / "reports").iterdir()} >= {".json", ".csv"}
    assert len(list((dest / "ascmhl").glob("0001_*.mhl"))) == 1


def test_pfndispatchcopy_of_a_file_named_too_long_for_a_report_copies_it(tmp_path: Path) -> None:
    # pfndispatchcopy writes no report, manifest nor ledger: nothing of its own to refuse for.
    source = tmp_path / ("C" * 226 + ".mov")
    source.write_bytes(os.urandom(5_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    code, err = _pfndispatchcopy(str(source), str(dest))
    assert code == 0, err
    assert [p.name for p in dest.iterdir()] == [source.name]


def test_a_copy_root_too_long_for_its_legacy_mhl_name_is_refused_with_mhl_legacy(
    tmp_path: Path,
) -> None:
    # --mhl legacy writes <root name>_<date>_<time>[_N].mhl at the copy root and no
    # generation. Before: that name was not counted (the generation alone was, and not
    # with --mhl legacy): the files copied, then the legacy MHL refused (ENAMETOOLONG).
    card = _card(tmp_path / "A001")
    root = _copy_root(tmp_path, 220)
    # before: exit 1, files copied, the legacy MHL refused
    line = _refused_copy("--mhl", "legacy", "--into", str(card), str(root), into=root)
    # <220 bytes>_<date>_<time>_2.mhl (one name of its second there before it): 244 bytes,
    # 270 under its temporary name
    assert "_2.mhl, a file offload-ai writes" in line and "/ascmhl/" not in line, line
    assert "a name of 270 bytes (limit 255)" in line, line
    assert "the legacy MHL is named after the copy root" in line, line
    assert "at least 15 bytes shorter" in line, line


def test_the_longest_copy_root_for_a_legacy_mhl_alone_is_copied_one_byte_more_refused(
    tmp_path: Path,
) -> None:
    # 205 bytes: the legacy MHL's temporary name is 255 with "_2" (the name the writer gives
    # it when one of its second is there already), 253 without (a generation's would be
    # 259: with --mhl legacy alone none is written, none counted). Before: counted with
    # "_9999", a number the writer never reaches, 203 to 207 bytes were refused.
    card = _card(tmp_path / "A001")
    root = _copy_root(tmp_path, 205)
    code, output = offload("copy", "--mhl", "legacy", "--into", str(card), str(root))
    assert code == 0, output  # before: 64, "at least 3 bytes shorter"
    assert len(list(root.glob("*.mhl"))) == 1, output
    assert not (root / "ascmhl").exists()
    longer = tmp_path / "dest" / ("R" * 206)
    longer.mkdir()
    code, output = offload("copy", "--mhl", "legacy", "--into", str(card), str(longer))
    assert code == 64, output
    assert "the legacy MHL is named after the copy root" in output, output
    assert "at least 1 byte shorter" in output, output
    assert list(longer.iterdir()) == [], output
    code, output = offload("copy", "--mhl", "both", "--into", str(card), str(longer))
    assert code == 64, output  # the generation's name, 4 bytes longer, is the one named
    assert "the ASC MHL history's files are named after the copy root" in output, output
    assert "at least 5 bytes shorter" in output, output


def test_a_second_legacy_mhl_of_the_same_second_fits_the_longest_copy_root(
    tmp_path: Path,
) -> None:
    # What the preflight counts is what the writer does: a run finishing in a second of
    # which a legacy MHL is there already writes <root>_<date>_<time>_2.mhl, whose temporary
    # name is 255 bytes on a 205-byte copy root. The earlier MHL is made to be of every
    # second the re-run may finish in (copies of the first run's, under those names).
    import shutil
    import time

    from offload.manifest.legacy_names import LEGACY_TIME_FORMAT, legacy_name_at

    card = _card(tmp_path / "A001")
    root = _copy_root(tmp_path, 205)
    code, output = offload("copy", "--mhl", "legacy", "--into", str(card), str(root))
    assert code == 0, output
    (first,) = root.glob("*.mhl")
    now = int(time.time())
    for second in range(now - 2, now + 600):
        name = legacy_name_at(root.name, time.strftime(LEGACY_TIME_FORMAT, time.gmtime(second)))
        if not (root / name).exists():
            shutil.copyfile(first, root / name)
    (card / "CLIPS" / "A002.mov").write_bytes(os.urandom(5_000))  # something new to record
    code, output = offload("copy", "--mhl", "legacy", "--into", str(card), str(root))
    assert code == 0, output
    (second_of_its_second,) = root.glob("*_2.mhl")
    assert len(os.fsencode(second_of_its_second.name)) == 229, second_of_its_second.name
    assert b"CLIPS/A002.mov" in second_of_its_second.read_bytes()


def test_on_exfat_the_refusal_counts_utf16_units_and_says_so(
    tmp_path: Path, exfat_loop: Callable[..., ExfatLoop]
) -> None:
    # exFAT counts a name in UTF-16 units (255), not bytes: "é" is 2 bytes, 1 unit. The card
    # folder's name is 220 units (240 bytes); its report's temporary name 275 units (295
    # bytes). Before: "(limit 255)" and "at least 20 bytes shorter", units called bytes.
    card = _card(tmp_path / ("é" * 20 + "C" * 200))
    dest = exfat_loop(16 << 20).path
    code, output = offload("copy", str(card), str(dest))
    assert code == 64, output
    assert not (dest / card.name).exists(), output
    line = _refusal(output)
    assert "_9999.json, a file offload-ai writes" in line, line
    assert "a name of 275 UTF-16 units (limit 255 UTF-16 units)" in line, line
    # the filesystem as every preflight line names it (before: "exFAT allows 255", a name of
    # its own making)
    assert f"first: exFAT (fuseblk) at {dest} would take the card, then refuse" in line, line
    assert "at least 20 UTF-16 units shorter" in line and "bytes shorter" not in line, line


def test_a_single_file_into_a_folder_too_long_for_its_generation_is_refused(
    tmp_path: Path,
) -> None:
    # One file copied into a folder: that folder is the copy root its ledger, ASC MHL
    # history and reports are written to, as an S3 prefix is for a single file's copy
    # there. Failed before: the check was skipped for a single file: the file copied, then
    # its manifest refused (ENAMETOOLONG), exit 1.
    clip = tmp_path / "clip.mov"
    clip.write_bytes(os.urandom(10_000))
    root = _copy_root(tmp_path, 220)
    line = _refused_copy(str(clip), str(root), into=root)
    assert "Z.mhl, a file offload-ai writes" in line and "a name of 274 bytes" in line, line


def test_pfndispatchcopy_into_that_folder_writes_no_own_file_and_is_not_refused(
    tmp_path: Path,
) -> None:
    # pfndispatchcopy writes no ledger, manifest nor report: the folder's name is no reason
    # to refuse it (the check above is ``offload copy``'s alone).
    clip = tmp_path / "clip.mov"
    clip.write_bytes(os.urandom(10_000))
    root = _copy_root(tmp_path, 220)
    code, err = _pfndispatchcopy(str(clip), str(root / "clip.mov"))
    assert code == 0, err
    assert [p.name for p in root.iterdir()] == ["clip.mov"]
