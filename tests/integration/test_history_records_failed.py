"""A Sony Venice card offloaded, then shot again: the camera rewrote its index files
(``XDROOT/MEDIAPRO.XML``, ``CUEUP.XML``), which the re-run refuses, naming ``--overwrite``;
that run replaces them once the new copies are verified. The copy's ASC MHL history keeps
each path's first record as its reference, so the new generation records the new versions
as ``failed`` (as ``ascmhl create`` would), and ``ascmhl-debug verify`` of the copy exits 11
from then on. Said when it happens (warning ``history-records-failed``), not left to the
first check of the copy. Real card folder and destination, the real CLI, judged by the
reference tool."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.ascmhl_judge import AscmhlJudge
from support.cards import corrupt_keeping_size_and_mtime

CLI = [sys.executable, "-m", "offload.cli.offload"]


def copy(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "copy", "--quiet", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
    )


def venice_card(
    tmp_path: Path, mediapro: bytes, cueup: bytes | None = None, into: str = "dest"
) -> tuple[Path, Path, Path]:
    """A Sony Venice card folder (*tmp_path*/cards/SONY_VENICE: one clip of random bytes,
    ``XDROOT/MEDIAPRO.XML`` holding *mediapro*, ``XDROOT/CUEUP.XML`` holding *cueup* unless
    None), and an empty destination (named *into*) and reports folder: (card, dest, reports)."""
    card = tmp_path / "cards" / "SONY_VENICE"
    (card / "XDROOT" / "Clip").mkdir(parents=True)
    (card / "XDROOT" / "Clip" / "A001C001_2612041W.MXF").write_bytes(os.urandom(50_000))
    (card / "XDROOT" / "MEDIAPRO.XML").write_bytes(mediapro)
    if cueup is not None:
        (card / "XDROOT" / "CUEUP.XML").write_bytes(cueup)
    dest, reports = tmp_path / into, tmp_path / "reports"
    dest.mkdir()
    reports.mkdir()
    return card, dest, reports


def test_index_files_replaced_by_overwrite_are_said_to_fail_the_copys_history(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Failed before: the --overwrite run said every file verified, exit 0, and no word of
    the two files its new generation recorded as failed; ascmhl-debug verify of the copy
    then exited 11."""
    card, dest, reports = venice_card(
        tmp_path, b"<MediaProfile>1 clip</MediaProfile>\n", b"<CueUpInfo>1</CueUpInfo>\n"
    )
    clips = card / "XDROOT" / "Clip"
    first = copy("--report-dir", reports / "1", card, dest)
    assert first.returncode == 0, first.stderr
    root = dest / "SONY_VENICE"
    assert judge.verify(root).clean
    # The camera records another clip and rewrites both index files.
    (clips / "A001C002_2612041W.MXF").write_bytes(os.urandom(50_000))
    (card / "XDROOT" / "MEDIAPRO.XML").write_bytes(
        b"<MediaProfile>2 clips, longer</MediaProfile>\n"
    )
    (card / "XDROOT" / "CUEUP.XML").write_bytes(b"<CueUpInfo>2, longer</CueUpInfo>\n")
    refused = copy("--report-dir", reports / "2", card, dest)
    assert refused.returncode == 1, refused.stderr
    assert "failed" not in "".join(x for x in refused.stderr.splitlines() if "ASC MHL" in x)
    replaced = copy("--overwrite", "--report-dir", reports / "3", card, dest)
    assert replaced.returncode == 0, replaced.stderr
    [line] = [x for x in replaced.stderr.splitlines() if "now records" in x]
    assert line.startswith("WARNING: the ASC MHL history on "), line
    assert "XDROOT/CUEUP.XML, XDROOT/MEDIAPRO.XML as failed" in line, line
    assert "hash mismatch (exit 11)" in line, line
    report = json.loads(next((reports / "3").glob("*.json")).read_text())
    codes = [w["code"] for w in report["warnings"]]
    assert codes.count("history-records-failed") == 1, report["warnings"]
    # What the warning says of the copy is so.
    verdict = judge.verify(root)
    assert verdict.returncode == 11, verdict.describe()
    # A re-run that replaces nothing says nothing of it.
    again = copy("--report-dir", reports / "4", card, dest)
    assert again.returncode == 0, again.stderr
    assert "now records" not in again.stderr, again.stderr


def verify(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "verify", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
    )


def test_offload_verify_of_a_replaced_index_file_says_why_and_keeps_its_record(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """After the --overwrite run, ``offload verify`` of the copy agrees with ascmhl-debug
    verify (exit 11: the history is its reference, and ASC MHL keeps a path's first record),
    but says the changed file is the version the ledger records as verified there since
    (``replaced-since-recorded``), and revokes no record of a correct copy. Failed before:
    it revoked the ledger's record of MEDIAPRO.XML (the card's current file, verified), so
    no later run trusted it, and advised --reverify to replace a correct copy."""
    card, dest, reports = venice_card(tmp_path, b"<MediaProfile>1 clip</MediaProfile>\n")
    clips = card / "XDROOT" / "Clip"
    assert copy("--report-dir", reports / "1", card, dest).returncode == 0
    (clips / "A001C002_2612041W.MXF").write_bytes(os.urandom(50_000))
    (card / "XDROOT" / "MEDIAPRO.XML").write_bytes(
        b"<MediaProfile>2 clips, longer</MediaProfile>\n"
    )
    replaced = copy("--overwrite", "--report-dir", reports / "2", card, dest)
    assert replaced.returncode == 0, replaced.stderr
    root = dest / "SONY_VENICE"
    assert judge.verify(root).returncode == 11
    for _ in range(2):  # the same on every check: nothing revoked by the first
        checked = verify(root)
        assert checked.returncode == 11, checked.stderr
        [line] = [x for x in checked.stderr.splitlines() if x.startswith("ERROR: CHANGED")]
        assert "XDROOT/MEDIAPRO.XML" in line, line
        # Its size differs from the history's record: compared by size, not read.
        assert (
            "the copy root's ledger records a version of this size (its content not read "
            "against that record), verified there on" in line
        ), line
        assert "ascmhl-debug verify reports it as a hash mismatch too (exit 11)" in line, line
        said = checked.stderr.replace("does not revoke", "").replace("not revoked", "")
        assert "revoked" not in said, checked.stderr
        # Its size alone compared: nothing proved the copy intact, so the footer's line of
        # a copy the ledger still vouches for stays, the one that names --reverify (failed
        # before: the reason took it out of the footer, leaving no way to read it back).
        # Nor did anything prove it wrong: the footer says what was compared (failed
        # before: "still records 1 copy found wrong above, not revoked").
        [footer] = [x for x in checked.stderr.splitlines() if "still records" in x]
        assert "found wrong above" not in footer, footer
        assert (
            "this copy root's ledger still records 1 copy listed CHANGED above as the version "
            "verified there since the history's record, by its size alone (its content not "
            "read: not proved wrong, so not revoked)"
        ) in footer, footer
        assert "`offload copy --reverify` reads it back" in footer, footer
        assert "whose size changed" not in checked.stderr, checked.stderr
    ledger = (root / ".offload" / "ledger.jsonl").read_text().splitlines()
    last = [json.loads(x) for x in ledger if '"XDROOT/MEDIAPRO.XML"' in x][-1]
    assert last["state"] == "verified", last
    # A plain re-run trusts the copy the ledger records (verified earlier), reading nothing.
    again = copy("--report-dir", reports / "3", card, dest)
    assert again.returncode == 0, again.stderr
    report = json.loads(next((reports / "3").glob("*.json")).read_text())
    [entry] = [f for f in report["files"] if f["path"] == "XDROOT/MEDIAPRO.XML"]
    assert entry["destinations"][0]["action"] == "trusted", entry


def test_a_replaced_copy_compared_by_size_whose_date_changed_is_not_called_found_wrong(
    tmp_path: Path,
) -> None:
    """The copy --overwrite replaced, its size alone compared by the check (the history's
    record is of another size), then its date changed: no run trusts it, and the footer
    says so of a copy listed CHANGED by size alone. Failed before: "1 copy found wrong above
    changed its date", though nothing read it, nor proved it wrong."""
    card, dest, reports = venice_card(tmp_path, b"<MediaProfile>1 clip</MediaProfile>\n")
    assert copy("--report-dir", reports / "1", card, dest).returncode == 0
    (card / "XDROOT" / "MEDIAPRO.XML").write_bytes(b"<MediaProfile>2, longer</MediaProfile>\n")
    assert copy("--overwrite", "--report-dir", reports / "2", card, dest).returncode == 0
    root = dest / "SONY_VENICE"
    os.utime(root / "XDROOT" / "MEDIAPRO.XML", (1_600_000_000, 1_600_000_000))
    checked = verify(root)
    assert checked.returncode == 11, checked.stderr
    [footer] = [x for x in checked.stderr.splitlines() if x.startswith("WARNING: ")]
    assert "found wrong" not in footer, footer
    assert footer.startswith(
        "WARNING: 1 copy listed CHANGED above as the version this copy root's ledger records "
        "there, by size alone (content not read), changed its date since the ledger "
        "recorded it: no `offload copy` trusts it as verified earlier; "
        "`offload copy --reverify` of the card replaces it once the new copy is verified"
    ), footer


def test_a_replaced_file_of_the_same_size_is_read_and_said_to_be_the_ledgers_version(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """An index file rewritten to the same size: the check reads it, finds the ledger's
    digest, and says it is that version; nothing revoked, and no WARNING advises replacing
    it. Failed before: the CHANGED line gave no reason."""
    card, dest, reports = venice_card(tmp_path, b"<MediaProfile>1</MediaProfile>\n")
    assert copy("--report-dir", reports / "1", card, dest).returncode == 0
    (card / "XDROOT" / "MEDIAPRO.XML").write_bytes(b"<MediaProfile>2</MediaProfile>\n")
    assert copy("--overwrite", "--report-dir", reports / "2", card, dest).returncode == 0
    root = dest / "SONY_VENICE"
    assert judge.verify(root).returncode == 11
    checked = verify(root)
    assert checked.returncode == 11, checked.stderr
    [line] = [x for x in checked.stderr.splitlines() if x.startswith("ERROR: CHANGED")]
    assert "the copy root's ledger records this version, verified there on" in line, line
    assert "WARNING" not in checked.stderr, checked.stderr
    ledger = (root / ".offload" / "ledger.jsonl").read_text().splitlines()
    last = [json.loads(x) for x in ledger if '"XDROOT/MEDIAPRO.XML"' in x][-1]
    assert last["state"] == "verified", last


def test_the_warning_under_verify_transfer_does_not_call_the_copy_verified(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Under ``--verify transfer`` the replaced copy is transfer-checked only, never read
    back, yet its generation records it (and ASC MHL as failed): the warning says what the
    run recorded, not "the verified copy". Failed before: it said "the verified copy there
    holds content unlike ..." of a copy no one read back."""
    card, dest, reports = venice_card(tmp_path, b"<MediaProfile>1 clip</MediaProfile>\n")
    first = copy("--verify", "transfer", "--report-dir", reports / "1", card, dest)
    assert first.returncode == 0, first.stderr
    (card / "XDROOT" / "MEDIAPRO.XML").write_bytes(
        b"<MediaProfile>2 clips, longer</MediaProfile>\n"
    )
    replaced = copy(
        "--verify", "transfer", "--overwrite", "--report-dir", reports / "2", card, dest
    )
    assert replaced.returncode == 0, replaced.stderr
    [line] = [x for x in replaced.stderr.splitlines() if "now records" in x]
    assert "XDROOT/MEDIAPRO.XML as failed" in line, line
    assert "verified cop" not in line, line
    assert "the copy there, as this run recorded it, holds content unlike" in line, line
    report = json.loads(next((reports / "2").glob("*.json")).read_text())
    [entry] = [f for f in report["files"] if f["path"] == "XDROOT/MEDIAPRO.XML"]
    assert entry["destinations"][0]["status"] == "transfer_checked", entry
    assert judge.verify(dest / "SONY_VENICE").returncode == 11


def test_a_replaced_file_transfer_checked_is_said_to_be_transfer_checked_not_verified(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The --overwrite run with --verify transfer records the new version transfer-checked,
    never read back: the CHANGED line says so. Failed before: it said "verified there on",
    which no read-back of that copy proved."""
    card, dest, reports = venice_card(tmp_path, b"<MediaProfile>1</MediaProfile>\n")
    assert copy("--report-dir", reports / "1", card, dest).returncode == 0
    (card / "XDROOT" / "MEDIAPRO.XML").write_bytes(b"<MediaProfile>2</MediaProfile>\n")
    replaced = copy(
        "--overwrite", "--verify", "transfer", "--report-dir", reports / "2", card, dest
    )
    assert replaced.returncode == 0, replaced.stderr
    root = dest / "SONY_VENICE"
    ledger = (root / ".offload" / "ledger.jsonl").read_text().splitlines()
    last = [json.loads(x) for x in ledger if '"XDROOT/MEDIAPRO.XML"' in x][-1]
    assert last["state"] == "transfer_checked", last
    assert judge.verify(root).returncode == 11
    checked = verify(root)
    assert checked.returncode == 11, checked.stderr
    [line] = [x for x in checked.stderr.splitlines() if x.startswith("ERROR: CHANGED")]
    assert "the copy root's ledger records this version, transfer-checked there on" in line, line
    assert "verified there" not in line, line
    # Its digests read are the entry's: the line said why, no footer of a copy found wrong.
    assert "WARNING" not in checked.stderr, checked.stderr


def test_the_footer_of_a_transfer_checked_replaced_copy_does_not_call_it_verified(
    tmp_path: Path,
) -> None:
    """The copy ``--overwrite --verify transfer`` replaced, its size alone compared by the
    check: the footer says the ledger records it as transfer-checked there, never read back,
    as its CHANGED line does. Failed before: "as the version verified there ... (verified
    earlier, not re-read)" of a copy no one ever read back."""
    card, dest, reports = venice_card(tmp_path, b"<MediaProfile>1 clip</MediaProfile>\n")
    assert copy("--report-dir", reports / "1", card, dest).returncode == 0
    (card / "XDROOT" / "MEDIAPRO.XML").write_bytes(b"<MediaProfile>2, longer</MediaProfile>\n")
    replaced = copy(
        "--overwrite", "--verify", "transfer", "--report-dir", reports / "2", card, dest
    )
    assert replaced.returncode == 0, replaced.stderr
    root = dest / "SONY_VENICE"
    checked = verify(root)
    assert checked.returncode == 11, checked.stderr
    [line] = [x for x in checked.stderr.splitlines() if x.startswith("ERROR: CHANGED")]
    assert "transfer-checked there" in line, line
    [footer] = [x for x in checked.stderr.splitlines() if "still records" in x]
    assert footer.startswith(
        "WARNING: this copy root's ledger still records 1 copy listed CHANGED above as the "
        "version transfer-checked there since the history's record, by its size alone (its "
        "content not read: not proved wrong, so not revoked): a plain `offload copy` of the "
        "card trusts it while it keeps its size and date (transfer-checked earlier, never "
        "read back); `offload copy --reverify` reads it back"
    ), footer
    assert "verified" not in footer, footer


def test_a_file_replaced_and_hashed_in_a_new_format_is_recorded_failed_and_said(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The history records the clip in md5; the clip is replaced and copied again with
    ``-t xxh64 --overwrite``: the copy is hashed in md5 too, recorded ``failed`` (as ascmhl
    create would) and warned of, and both verifiers agree. Failed before: a second
    ``xxh64 original``, exit 0 with no warning, then verify exit 11 with nothing said."""
    card, dest, reports = venice_card(tmp_path, b"<MediaProfile>1 clip</MediaProfile>\n")
    clip = card / "XDROOT" / "Clip" / "A001C001_2612041W.MXF"
    assert copy("-t", "md5", "--report-dir", reports / "1", card, dest).returncode == 0
    clip.write_bytes(os.urandom(50_000))
    replaced = copy("-t", "xxh64", "--overwrite", "--report-dir", reports / "2", card, dest)
    assert replaced.returncode == 0, replaced.stderr
    [line] = [x for x in replaced.stderr.splitlines() if "now records" in x]
    assert "XDROOT/Clip/A001C001_2612041W.MXF as failed" in line, line
    # Its ledger entry holds xxh64 alone: offload verify, reading md5, revokes it; said so.
    assert "does not revoke" not in line, line
    assert (
        "the copy root's ledger records the copy without the history's md5, read in it again "
        "for this generation alone, so offload verify cannot tie it to that record and "
        "revokes it: the next offload copy reads the copy back against the card"
    ) in line, line
    root = dest / "SONY_VENICE"
    [second] = sorted((root / "ascmhl").glob("0002_*.mhl"))
    text = second.read_text()
    assert '<md5 action="failed"' in text, text
    assert text.count('action="original"') == 0, text
    assert judge.verify(root).returncode == 11
    # A re-run that replaces nothing says nothing of it, nor writes a generation.
    again = copy("-t", "xxh64", "--report-dir", reports / "3", card, dest)
    assert again.returncode == 0, again.stderr
    assert "now records" not in again.stderr, again.stderr
    assert not list((root / "ascmhl").glob("0003_*.mhl"))
    assert verify(root).returncode == 11


def test_a_known_file_copied_in_a_new_format_is_verified_in_its_recorded_one_too(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """``-t xxh64``, then a re-run with ``-t md5``: the new generation records each file
    ``xxh64 verified`` and ``md5 verified`` (as ``ascmhl create -h md5`` over an xxh64
    history does), never a second ``original``. Failed before: ``md5 action="original"``
    for files the history knows. The copies are read back (the ledger lacks md5) and hashed
    in xxh64 in that same read: the manifest step reads none again. Failed before (the
    thirty-fifth pass): "2 copies ... were read once more at the manifest step"."""
    card, dest, reports = venice_card(tmp_path, b"<MediaProfile>1 clip</MediaProfile>\n")
    assert copy("-t", "xxh64", "--report-dir", reports / "1", card, dest).returncode == 0
    again = copy("-t", "md5", "--report-dir", reports / "2", card, dest)
    assert again.returncode == 0, again.stderr
    assert "now records" not in again.stderr, again.stderr
    assert "read once more" not in again.stderr, again.stderr
    root = dest / "SONY_VENICE"
    [second] = sorted((root / "ascmhl").glob("0002_*.mhl"))
    text = second.read_text()
    assert text.count('<xxh64 action="verified"') == 2, text
    assert text.count('<md5 action="verified"') == 2, text
    assert 'action="original"' not in text, text
    assert judge.verify(root).clean
    assert verify(root).returncode == 0


@pytest.mark.parametrize("mhl", ["ascmhl", "both"])
def test_a_copy_read_again_in_the_historys_format_that_changed_is_failed_and_revoked(
    judge: AscmhlJudge, tmp_path: Path, mhl: str
) -> None:
    """The history records the clip in md5 alone (the xxh64 run's generation lost: a run
    killed between its ledger and its manifests), the ledger vouches for its copy in xxh64,
    and the copy changed since (a byte flipped, its date kept). The nothing-new re-run reads
    the copy again in md5 for its generation, finds it no longer what was verified, and
    leaves it out of the generation with a warning naming it; ascmhl-debug verify of the copy
    still fails it against the md5 record. The copy is failed there (exit 1, never "verified
    on every destination") and its ledger entry revoked: the next run reads it back. Failed
    before: exit 0, "All 2 files ... verified", and every re-run warned again and wrote
    another identical generation. With ``--mhl both`` the legacy MHL leaves it out too, and
    the warning names both (failed before: it named the generation alone)."""
    # A destination with a space: the warning's `offload verify` quotes it (failed before).
    card, dest, reports = venice_card(
        tmp_path, b"<MediaProfile>1 clip</MediaProfile>\n", into="de st"
    )
    assert copy("-t", "md5", "--report-dir", reports / "1", card, dest).returncode == 0
    root = dest / "SONY_VENICE"
    shutil.copytree(root / "ascmhl", tmp_path / "history-1")
    assert copy("-t", "xxh64", "--report-dir", reports / "2", card, dest).returncode == 0
    shutil.rmtree(root / "ascmhl")
    shutil.copytree(tmp_path / "history-1", root / "ascmhl")
    (root / ".offload" / "manifests-complete.json").unlink(missing_ok=True)
    clip = root / "XDROOT" / "Clip" / "A001C001_2612041W.MXF"
    corrupt_keeping_size_and_mtime(clip, at=10)
    again = copy("-t", "xxh64", "--mhl", mhl, "--report-dir", reports / "3", card, dest)
    assert again.returncode == 1, again.stderr
    [line] = [x for x in again.stderr.splitlines() if x.startswith("WARNING: copy FAILED: ")]
    manifests = "ASC MHL generation" + (" or legacy MHL" if mhl == "both" else "")
    assert f"copy FAILED: {clip} is not in the new {manifests}: " in line, line
    assert bool(list(root.glob("*.mhl"))) is (mhl == "both")
    for legacy in root.glob("*.mhl"):
        assert "A001C001_2612041W.MXF" not in legacy.read_text()
        assert "MEDIAPRO.XML" in legacy.read_text()
    assert "it no longer holds what was verified (xxh64 differs)" in line, line
    assert "its ledger entry is revoked" in line, line
    (word,) = re.findall(r"; offload verify ('[^']*') says what it holds now", line)
    pasted = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert pasted.stdout == os.fsencode(root), line
    # The note counts the copies the manifest step read (both files), as they were read.
    flat = " ".join(again.stderr.split())
    assert f"2 copies on {root} that its ASC MHL history knows only" in flat, flat
    assert "NOT ALL VERIFIED: 1 of 2 files failed" in again.stderr, again.stderr
    [report] = (reports / "3").glob("*.json")
    [clip_result] = [
        f for f in json.loads(report.read_text())["files"] if f["path"].endswith(".MXF")
    ]
    assert [d["status"] for d in clip_result["destinations"]] == ["failed"], clip_result
    [second] = sorted((root / "ascmhl").glob("0002_*.mhl"))
    assert "A001C001_2612041W.MXF" not in second.read_text()
    assert '<md5 action="verified"' in second.read_text()  # the files it could read
    assert judge.verify(root).returncode == 11
    # The next run does not trust it: it reads the copy back, finds it wrong and says so
    # (no generation, no warning again); --reverify then replaces it.
    third = copy("-t", "xxh64", "--report-dir", reports / "4", card, dest)
    assert third.returncode == 1, third.stderr
    assert f"ERROR: {clip} already exists with other content" in third.stderr, third.stderr
    assert "is not in the new ASC MHL generation" not in third.stderr, third.stderr
    assert not list((root / "ascmhl").glob("0003_*.mhl"))
    mended = copy("-t", "xxh64", "--reverify", "--report-dir", reports / "5", card, dest)
    assert mended.returncode == 0, mended.stderr
