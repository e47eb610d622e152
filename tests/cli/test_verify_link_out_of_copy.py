"""``offload verify`` never calls a recorded file verified when what stands at its name in the
copy is a symlink reaching a file outside the copy (the card's own clip, say) or into the copy
root's own state: those bytes are not the copy's, so the file is missing there (exit 10), and
a warning says the link leads outside the copy.

Failed before (QA finding): the walk followed the link as ascmhl does, hashed the card's clip
through it and reported "1 OK", exit 0, for a copy that held no bytes of the clip. Links that
stay in the copy (a card's link copied as a link) are still read through; a link to a folder
is still skipped. Real copies made by ``offload copy``, real symlinks, the real CLI (in a
subprocess for the finding itself)."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from support.ascmhl_judge import AscmhlJudge
from support.copied_links import card_with_clips, clips_replaced_by_links
from support.offload_cli import CLI, offload, run_offload

WARNING = "SYMLINK LEADS OUTSIDE THE COPY"


def copied(tmp_path: Path, card: Path, *options: str) -> Path:
    dest = tmp_path / "dest"
    dest.mkdir()
    code, said = offload("copy", "--quiet", *options, str(card), str(dest))
    assert code == 0, said
    return dest / card.name


def verify_json(root: Path, *options: str) -> tuple[int, dict[str, Any]]:
    """``offload verify --json`` in this process: its exit code and the report it printed."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["verify", "--json", "--quiet", *options, str(root)]
    code = main(argv, Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, json.loads(out.getvalue())


def test_a_recorded_clip_replaced_by_a_link_to_the_cards_clip_is_missing(
    tmp_path: Path,
) -> None:
    card = card_with_clips(tmp_path)
    root = copied(tmp_path, card)
    copy = root / "CLIPS" / "A001.MOV"
    copy.unlink()
    copy.symlink_to(card / "CLIPS" / "A001.MOV")

    verified = run_offload("verify", "--json", "--report-dir", tmp_path / "r1", root)

    assert verified.returncode == 10, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["missing"] == ["CLIPS/A001.MOV"]
    assert report["verified"] == ["CLIPS/A002.MOV"]
    assert report["outside"] == ["CLIPS/A001.MOV"] and report["dangling"] == []
    assert report["totals"]["outside"] == 1 and not report["passed"]
    shown = run_offload("verify", "--report-dir", tmp_path / "r2", root)
    assert shown.returncode == 10
    said = " ".join(shown.stderr.split())
    assert f"MISSING {copy}" in said, said
    assert f"{WARNING} (to a file that is not the copy's; not read, not verified) {copy}" in said
    assert f"{root}: 1 OK, 0 changed, 1 missing, 0 new" in shown.stdout
    csv_rows = next((tmp_path / "r2").glob("verify_*.csv")).read_text().splitlines()
    assert "CLIPS/A001.MOV,outside," in csv_rows and "CLIPS/A001.MOV,missing," in csv_rows


@pytest.mark.parametrize(
    "target",
    [
        "../../../card/CLIPS/A001.MOV",  # relative, ``..`` past the copy root
        "../.offload/ledger.jsonl",  # our own state
        "../ascmhl/ascmhl_chain.xml",  # the history itself
    ],
)
def test_a_recorded_clip_linked_past_the_root_or_into_our_state_is_missing(
    tmp_path: Path, target: str
) -> None:
    card = card_with_clips(tmp_path)
    root = copied(tmp_path, card)
    copy = root / "CLIPS" / "A001.MOV"
    copy.unlink()
    copy.symlink_to(target)
    assert copy.is_file()  # the kernel reaches a file through it

    code, report = verify_json(root)

    assert code == 10, report
    assert report["missing"] == ["CLIPS/A001.MOV"] and report["outside"] == ["CLIPS/A001.MOV"]
    assert report["changed"] == [] and report["verified"] == ["CLIPS/A002.MOV"]


def test_links_that_stay_in_the_copy_are_read_through_and_folder_links_skipped(
    tmp_path: Path,
) -> None:
    card = card_with_clips(tmp_path)
    (card / "CLIPS" / "latest.MOV").symlink_to("A001.MOV")  # reproduced as a link
    (card / "ALL").symlink_to("CLIPS")  # a link to a folder: not entered
    root = copied(tmp_path, card)
    assert os.readlink(root / "CLIPS" / "latest.MOV") == "A001.MOV"

    code, report = verify_json(root)

    assert code == 0, report
    assert report["verified"] == ["CLIPS/A001.MOV", "CLIPS/A002.MOV", "CLIPS/latest.MOV"]
    assert report["outside"] == [] and report["dangling"] == [] and report["extra"] == []
    # A recorded clip replaced by a link to another copied file of the same bytes: the
    # copy's own bytes, read through it and compared as ascmhl would.
    (root / "CLIPS" / "twin.MOV").write_bytes((root / "CLIPS" / "A002.MOV").read_bytes())
    (root / "CLIPS" / "A002.MOV").unlink()
    (root / "CLIPS" / "A002.MOV").symlink_to("twin.MOV")
    code, report = verify_json(root)
    assert code == 21, report  # twin.MOV is new; nothing missing or changed
    assert "CLIPS/A002.MOV" in report["verified"] and report["outside"] == []


def test_against_a_legacy_mhl_a_listed_link_out_is_missing_an_unlisted_one_passed_over(
    tmp_path: Path,
) -> None:
    card = card_with_clips(tmp_path)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(b"a file of this machine, not of the card\n")
    (card / "CLIPS" / "host.txt").symlink_to(elsewhere)  # the card's own link out of it
    root = copied(tmp_path, card, "--mhl", "legacy")
    (legacy,) = root.glob("*.mhl")
    code, report = verify_json(root, "--mhl-file", str(legacy))
    assert code == 0, report
    assert report["outside"] == [] and report["extra"] == []  # not listed: passed over

    copy = root / "CLIPS" / "A001.MOV"
    copy.unlink()
    copy.symlink_to(card / "CLIPS" / "A001.MOV")
    code, report = verify_json(root, "--mhl-file", str(legacy))
    assert code == 10, report
    assert report["missing"] == ["CLIPS/A001.MOV"] and report["outside"] == ["CLIPS/A001.MOV"]
    assert report["verified"] == ["CLIPS/A002.MOV"]


def test_against_the_ledger_a_recorded_clip_now_a_link_out_or_nowhere_says_why(
    tmp_path: Path,
) -> None:
    """Ledger mode (no manifest: ``--mhl none``) gives the reason and status manifest mode
    gives. Failed before: both were missing with no reason (``outside`` and ``dangling``
    empty, no warning)."""
    card = card_with_clips(tmp_path)
    root = copied(tmp_path, card, "--mhl", "none")
    assert not (root / "ascmhl").exists()
    first, second = clips_replaced_by_links(card, root)  # to the card's clip; to nowhere
    (root / "CLIPS" / "host.txt").symlink_to(tmp_path / "elsewhere")  # not recorded: not judged

    code, report = verify_json(root)

    assert code == 10, report
    assert report["reference"] == "ledger"
    assert report["missing"] == ["CLIPS/A001.MOV", "CLIPS/A002.MOV"]
    assert report["outside"] == ["CLIPS/A001.MOV"] and report["dangling"] == ["CLIPS/A002.MOV"]
    assert report["verified"] == [] and report["extra"] == [] and not report["passed"]
    shown = run_offload("verify", "--report-dir", tmp_path / "r", root)
    assert shown.returncode == 10
    said = " ".join(shown.stderr.split())
    assert f"MISSING {first}" in said and f"MISSING {second}" in said, said
    assert f"{WARNING} (to a file that is not the copy's; not read, not verified) {first}" in said
    assert f"SYMLINK LEADS NOWHERE (dangling or looping; nothing to check) {second}" in said
    csv_rows = next((tmp_path / "r").glob("verify_*.csv")).read_text().splitlines()
    assert "CLIPS/A001.MOV,outside," in csv_rows and "CLIPS/A002.MOV,dangling," in csv_rows


def test_against_the_ledger_a_recorded_clip_now_a_link_in_the_copy_says_why(
    tmp_path: Path,
) -> None:
    """Ledger mode: a recorded clip replaced by a link to another file of the copy, and one
    by a link to a folder of it: each MISSING line (and its CSV row) says a symlink stands
    there and is no copy, in the words manifest mode uses for a link it reads through ("the
    ledger never records a link ..."). Failed before: "MISSING <path>", no reason. A link
    out of the copy keeps its own line, its MISSING line unchanged."""
    card = card_with_clips(tmp_path)
    root = copied(tmp_path, card, "--mhl", "none")
    first, second = root / "CLIPS" / "A001.MOV", root / "CLIPS" / "A002.MOV"
    (root / "CLIPS" / "twin.MOV").write_bytes(first.read_bytes())
    first.unlink()
    first.symlink_to("twin.MOV")
    second.unlink()
    second.symlink_to("..")
    shown = run_offload("verify", "--report-dir", tmp_path / "r", root)
    assert shown.returncode == 10, shown.stderr
    said = " ".join(shown.stderr.split())
    no_copy = (
        "stands at its name and is no copy: the ledger never records a link (offload copy "
        "makes a card's link as a link); the file recorded there is not read through it"
    )
    assert f"MISSING (a symlink to CLIPS/twin.MOV in this copy {no_copy}) {first}" in said, said
    assert f"MISSING (a symlink to a folder {no_copy}) {second}" in said, said
    csv_rows = next((tmp_path / "r").glob("verify_*.csv")).read_text().splitlines()
    assert f"CLIPS/A001.MOV,missing,a symlink to CLIPS/twin.MOV in this copy {no_copy}" in (
        csv_rows
    ), csv_rows
    # Its JSON report gives each the same reason, with a code (failed before: no reason).
    code, report = verify_json(root)
    assert code == 10
    assert report["reasons"] == {
        "CLIPS/A001.MOV": {
            "code": "symlink",
            "text": f"a symlink to CLIPS/twin.MOV in this copy {no_copy}",
        },
        "CLIPS/A002.MOV": {"code": "symlink-to-folder", "text": f"a symlink to a folder {no_copy}"},
    }


@pytest.mark.parametrize("reference", ["ascmhl", "legacy"])
def test_against_a_manifest_a_recorded_clip_now_a_link_to_a_folder_or_a_folder_says_why(
    tmp_path: Path, reference: str, request: pytest.FixtureRequest
) -> None:
    """Against the ASC MHL history or a legacy MHL, a recorded clip replaced by a link to a
    folder, or by a folder: MISSING, and each line, CSV row and JSON reason says what stands
    there and that nothing there was read. Failed before: "MISSING <path>", no reason, and
    no ``reasons`` in the JSON."""
    card = card_with_clips(tmp_path)
    root = copied(tmp_path, card, "--mhl", reference)
    first, second = root / "CLIPS" / "A001.MOV", root / "CLIPS" / "A002.MOV"
    first.unlink()
    first.mkdir()
    second.unlink()
    second.symlink_to("..")
    options = () if reference == "ascmhl" else ("--mhl-file", str(next(root.glob("*.mhl"))))

    shown = run_offload("verify", "--report-dir", tmp_path / "r", *options, root)
    code, report = verify_json(root, "--report-dir", str(tmp_path / "r2"), *options)

    assert shown.returncode == code == 10, shown.stderr
    # ascmhl finds both names and reads nothing there (it exits 0): said against its history.
    passes = (
        "; ascmhl-debug verify counts the name as found and reads nothing there"
        if reference == "ascmhl"
        else ""
    )
    folder = f"a folder stands at its name: the file recorded there is not read{passes}"
    link = (
        "a symlink to a folder stands at its name: no check enters a link to a folder, so the "
        f"file recorded there is not read{passes}"
    )
    said = " ".join(shown.stderr.split())
    assert f"MISSING ({folder}) {first}" in said and f"MISSING ({link}) {second}" in said, said
    assert report["reasons"] == {
        "CLIPS/A001.MOV": {"code": "folder", "text": folder},
        "CLIPS/A002.MOV": {"code": "symlink-to-folder", "text": link},
    }
    csv_rows = next((tmp_path / "r").glob("verify_*.csv")).read_text().splitlines()
    assert f"CLIPS/A001.MOV,missing,{folder}" in csv_rows, csv_rows
    assert f'CLIPS/A002.MOV,missing,"{link}"' in csv_rows, csv_rows
    if reference == "ascmhl":  # what the words say of the reference tool: no missing file
        judge: AscmhlJudge = request.getfixturevalue("judge")
        judged = judge.verify(root)  # exit 20 here: "Could not find single file" (none read)
        assert "missing file" not in judged.stderr, judged.describe()
        assert "A001.MOV" not in judged.stderr and "A002.MOV" not in judged.stderr


def test_a_recorded_folder_now_a_link_says_why_for_each_file_below_it(tmp_path: Path) -> None:
    """The folder a file was recorded in, now a symlink to a folder (never entered) or a
    file: each file below is MISSING saying so, in every output. Failed before: no reason."""
    card = card_with_clips(tmp_path)
    root = copied(tmp_path, card, "--mhl", "none")
    (root / "CLIPS").rename(root / "KEPT")
    (root / "CLIPS").symlink_to("KEPT")

    code, report = verify_json(root)

    assert code == 10, report
    assert report["missing"] == ["CLIPS/A001.MOV", "CLIPS/A002.MOV"]
    above = (
        "CLIPS, the folder it was recorded in, is now a symlink to a folder, which no check "
        "enters: nothing below it is read"
    )
    assert report["reasons"]["CLIPS/A001.MOV"] == {"code": "symlink-above", "text": above}
    (root / "CLIPS").unlink()
    (root / "CLIPS").write_bytes(b"")
    code, report = verify_json(root)
    assert report["reasons"]["CLIPS/A002.MOV"] == {
        "code": "file-above",
        "text": "CLIPS, the folder it was recorded in, is now a file: nothing of the folder "
        "is there",
    }


def test_against_a_manifest_a_changed_link_says_what_was_read_not_the_ledger(
    tmp_path: Path,
) -> None:
    """A recorded clip replaced by a link to another clip of the copy, against the ASC MHL
    history: read through (as ascmhl does), CHANGED, and the words say what is true there:
    what was read for the record at the link's name, and that offload copy never writes over
    a link. Failed before: "the ledger never records a link ...; ... judged under that
    file's own name" (talking of the ledger against a manifest), and nothing in the JSON."""
    card = card_with_clips(tmp_path)
    root = copied(tmp_path, card)
    (root / "CLIPS" / "A001.MOV").unlink()
    (root / "CLIPS" / "A001.MOV").symlink_to("A002.MOV")

    read = run_offload("verify", "--report-dir", tmp_path / "r", root)
    code, report = verify_json(root)

    assert read.returncode == code == 11, read.stderr
    said = " ".join(read.stderr.split())
    assert (
        "1 symlink above is no copy: what this check reads through it, as ascmhl does, for "
        "what the ASC MHL history records at the link's name is the file it leads to in this "
        "copy; offload copy never writes over a link (it makes a card's link as a link, and "
        "refuses one where it puts a file, --overwrite too: move it away)" in said
    ), said
    assert "never records a link" not in said, said
    why = report["reasons"]["CLIPS/A001.MOV"]
    assert why["code"] == "symlink-read-through", why
    assert why["text"].startswith("a symlink stands at its name and is no copy: what this")
    csv_rows = next((tmp_path / "r").glob("verify_*.csv")).read_text().splitlines()
    assert any(
        row.startswith('CLIPS/A001.MOV,changed,"size 1000, recorded 200000; a symlink stands')
        for row in csv_rows
    ), csv_rows
    # Where offload copy would put a file, a link is refused, --overwrite too (as said).
    code, out = offload("copy", "--quiet", "--overwrite", str(card), str(root.parent))
    assert code == 64 and "exists and is a symlink, where the copy puts a file" in out, out


def test_against_a_manifest_a_recorded_clip_now_a_fifo_says_why(tmp_path: Path) -> None:
    """A FIFO at a recorded clip's name is never opened (it would block the check): MISSING,
    saying what stands there. Failed before: no reason."""
    card = card_with_clips(tmp_path)
    root = copied(tmp_path, card)
    (root / "CLIPS" / "A001.MOV").unlink()
    os.mkfifo(root / "CLIPS" / "A001.MOV")

    code, report = verify_json(root)

    assert code == 10, report
    assert report["missing"] == ["CLIPS/A001.MOV"] and report["verified"] == ["CLIPS/A002.MOV"]
    assert report["reasons"] == {
        "CLIPS/A001.MOV": {
            "code": "not-a-file",
            "text": "a FIFO stands at its name, no file: nothing is read there",
        }
    }


def test_against_the_ledger_a_fifo_at_a_recorded_name_is_missing_never_opened(
    tmp_path: Path,
) -> None:
    """Against the ledger, a FIFO where an empty file was recorded: MISSING, saying what
    stands there, as against a manifest; a FIFO at a clip's name too (not "CHANGED size 0").
    Failed before: the check opened the FIFO and blocked for good (killed here after 20 s),
    and a clip's was called changed."""
    card = card_with_clips(tmp_path)
    (card / "CLIPS" / "empty.bin").write_bytes(b"")
    root = copied(tmp_path, card, "--mhl", "none")
    for name in ("empty.bin", "A001.MOV"):
        (root / "CLIPS" / name).unlink()
        os.mkfifo(root / "CLIPS" / name)

    argv = [*CLI, "verify", "--json", "--report-dir", str(tmp_path / "r"), str(root)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)

    assert done.returncode == 10, done.stderr
    report = json.loads(done.stdout)
    assert report["missing"] == ["CLIPS/A001.MOV", "CLIPS/empty.bin"] and report["changed"] == []
    fifo = {
        "code": "not-a-file",
        "text": "a FIFO stands at its name, no file: nothing is read there",
    }
    assert report["reasons"] == {"CLIPS/A001.MOV": fifo, "CLIPS/empty.bin": fifo}


def test_the_ledger_check_called_directly_says_what_stands_at_a_missing_name(
    tmp_path: Path,
) -> None:
    """``verification.verify_against_ledger`` (the library's check against the ledger)
    fills the reasons itself, as ``verify_tree`` does. Failed before: only ``verify_path``
    filled them; a direct caller got none."""
    from offload.manifest.verify import hash_file_plain
    from offload.verification import verify_against_ledger

    card = card_with_clips(tmp_path)
    root = copied(tmp_path, card, "--mhl", "none")
    (root / "CLIPS" / "A001.MOV").unlink()
    (root / "CLIPS" / "A001.MOV").mkdir()

    report = verify_against_ledger(root, hash_file_plain)

    assert report.missing == ("CLIPS/A001.MOV",)
    assert report.reasons["CLIPS/A001.MOV"].code == "folder"
