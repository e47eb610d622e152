"""Issue 9 "Every word true", the manifest and verify part: what the histories say about
symlinks and odd names, judged by the reference tool (ascmhl 1.2), and ``offload verify``
agreeing with it."""

from __future__ import annotations

import io
import json
import os
import pty
import shlex
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from offload.card import plan_offload
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest import hash_file_plain, read_history, verify_tree
from support.ascmhl_judge import AscmhlJudge
from support.faultyfs import FaultyFS, signal_at_stalls, signalled_at_stall
from support.held_process import start
from support.signal_pipes import held_full, lines_up_to, one_page


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Local reports of every run here (subprocesses inherit it) go below tmp_path."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "r"))
    return tmp_path / "r"


def offload_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def small_card(root: Path, name: str = "A001") -> Path:
    card = root / name
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(300_000))
    (card / "CLIPS" / "A001C002.mov").write_bytes(b"second clip")
    (card / "META").mkdir()
    (card / "META" / "sidecar.xml").write_bytes(b"<xml/>")
    return card


def copy(tmp_path: Path, card: Path, *dests: Path, extra: tuple[str, ...] = ()) -> tuple[int, str]:
    for dest in dests:
        dest.mkdir(exist_ok=True)
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "reports"), *extra, str(card), *map(str, dests)
    )
    return code, err


def recorded_paths(root: Path) -> set[str]:
    return read_history(root).recorded_file_paths()


def test_file_symlink_is_recorded_as_its_targets_content(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = small_card(tmp_path / "cards")
    os.symlink("A001C002.mov", card / "CLIPS" / "latest.mov")  # a link to a file on the card
    dests = [tmp_path / "RAID0", tmp_path / "RAID1"]
    code, err = copy(tmp_path, card, *dests)
    assert code == 0, err
    for dest in dests:
        root = dest / card.name
        assert os.readlink(root / "CLIPS" / "latest.mov") == "A001C002.mov"  # still a link
        assert "CLIPS/latest.mov" in recorded_paths(root)
        for result in (
            judge.diff(root),
            judge.verify(root),
            judge.verify(root, directory_hashes=True),
        ):
            assert result.clean, result.describe()
        code, out, _ = offload_cli("verify", "--json", str(root))
        result = json.loads(out)
        assert code == 0, out
        assert "CLIPS/latest.mov" in result["verified"]
        assert result["extra"] == []
    # The manifest says what ascmhl itself says about the same tree.
    os.rename(dests[1] / card.name / "ascmhl", tmp_path / "ours")
    created = judge.run("ascmhl", "create", "-h", "xxh64", "-i", ".offload", dests[1] / card.name)
    assert created.clean, created.describe()
    theirs = read_history(dests[1] / card.name)
    ours = read_history(dests[0] / card.name)
    assert theirs.reference_hashes() == ours.reference_hashes()
    assert theirs.generations[0].root_hash == ours.generations[0].root_hash


def test_folder_and_dangling_symlinks_are_ignored_and_verify_agrees(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = small_card(tmp_path / "cards")
    os.symlink("META", card / "META_LINK")  # a link to a folder: ascmhl skips it
    dest = tmp_path / "RAID0"
    code, err = copy(tmp_path, card, dest)
    assert code == 0, err
    root = dest / card.name
    assert not any("META_LINK" in p for p in recorded_paths(root))
    for result in (
        judge.diff(root),
        judge.verify(root),
        judge.verify(root, directory_hashes=True),  # crashed on a folder link before
    ):
        assert result.clean, result.describe()
    code, out, _ = offload_cli("verify", "--json", str(root))
    assert code == 0, out

    # A dangling link: nothing to hash; named in a warning, ignored, the rest recorded.
    card2 = small_card(tmp_path / "cards2", "A002")
    os.symlink("GONE.mov", card2 / "CLIPS" / "dangling.mov")
    code, err = copy(tmp_path, card2, dest)
    assert code == 0, err
    assert "CLIPS/dangling.mov" in err and "leads nowhere" in err
    assert "the manifest there ignores it" in err
    root2 = dest / card2.name
    assert recorded_paths(root2) == {
        "CLIPS/A001C001.mov",
        "CLIPS/A001C002.mov",
        "META/sidecar.xml",
    }
    code, out, err = offload_cli("verify", str(root2))
    assert code == 0, out + err
    assert "dangling.mov" not in err  # the history's own ignore list skips it, as ascmhl does
    for result in (judge.verify(root2), judge.verify(root2, directory_hashes=True)):
        assert result.clean, result.describe()  # exit 21 ("new file") before


def test_a_name_that_is_not_utf8_leaves_only_that_file_out(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = small_card(tmp_path / "cards")
    bad = os.fsencode(card / "CLIPS") + b"/caf\xe9.mov"
    with open(bad, "wb") as handle:
        handle.write(b"latin-1 name")
    dests = [tmp_path / "RAID0", tmp_path / "RAID1"]
    code, err = copy(tmp_path, card, *dests, extra=("--mhl", "both"))
    assert code == 0, err
    assert "caf" in err and "not in the ASC MHL manifest" in err
    for dest in dests:
        root = dest / card.name
        assert os.path.exists(os.fsencode(root / "CLIPS") + b"/caf\xe9.mov")
        assert recorded_paths(root) == {
            "CLIPS/A001C001.mov",
            "CLIPS/A001C002.mov",
            "META/sidecar.xml",
        }
        schema = judge.check_manifest_schema(next((root / "ascmhl").glob("*.mhl")))
        assert schema.clean, schema.describe()
        # the reference tool sees the file it cannot name as new (exit 21), nothing else
        diff = judge.diff(root)
        assert diff.returncode == 21 and "caf" in diff.stderr, diff.describe()
        # offload verify of a local copy checks it against the copy root's ledger instead
        # (``verification.unheld_by_ledger``): read and verified by that record, not new.
        code, out, _ = offload_cli("verify", "--json", str(root))
        assert code == 0, out
        result = json.loads(out)
        assert result["extra"] == [] and result["missing"] == []
        assert len(result["verified"]) == 4 and len(result["ledger_checked"]) == 1


def test_a_name_left_out_of_the_manifest_is_not_called_verified_in_transfer_mode(
    tmp_path: Path,
) -> None:
    """The warning for a file the manifest cannot name said "the copy itself is verified",
    also for a copy only transfer-checked."""
    card = small_card(tmp_path / "cards")
    with open(os.fsencode(card / "CLIPS") + b"/caf\xe9.mov", "wb") as handle:
        handle.write(b"latin-1 name")
    code, err = copy(tmp_path, card, tmp_path / "RAID0", extra=("--verify", "transfer"))
    assert code == 0, err
    (warning,) = [line for line in err.splitlines() if "not in the ASC MHL manifest" in line]
    assert "verified" not in warning and "job report" in warning


def recorded_hashes(root: Path, path: str) -> list[tuple[str, str, str]]:
    """Every ``<hash>`` element for *path* in the history of *root*, oldest generation
    first: (format, action, digest)."""
    ns = "{urn:ASC:MHL:v2.0}"
    found: list[tuple[str, str, str]] = []
    for manifest in sorted((root / "ascmhl").glob("*.mhl")):
        for element in ET.parse(manifest).getroot().iter(f"{ns}hash"):
            if element.findtext(f"{ns}path") == path:
                found.extend(
                    (child.tag.removeprefix(ns), child.get("action", ""), child.text or "")
                    for child in element
                    if child.tag != f"{ns}path"
                )
    return found


def test_a_copy_trusted_from_its_ledger_is_recorded_with_the_ledgers_digest_beside_a_new_copy(
    tmp_path: Path,
) -> None:
    """A re-run adding a destination: the copy trusted on the first one (its ledger's entry,
    the card file's size, date and fingerprint matching) is recorded there with the digest
    of that verification, not the in-flight digest of this run's read of the card for the
    new destination, which no one computed of that copy. Here the card file changed
    between its fingerprint's bytes: the manifest said the trusted copy ``failed``, with
    a hash never read from it, while the run said it verified."""
    card = small_card(tmp_path / "cards")
    first, second = tmp_path / "RAID0", tmp_path / "RAID1"
    code, err = copy(tmp_path, card, first)
    assert code == 0, err
    clip = card / "CLIPS" / "A001C001.mov"
    (entry,) = [
        json.loads(line)
        for line in (first / card.name / ".offload" / "ledger.jsonl").read_text().splitlines()
        if json.loads(line)["relative_path"] == "CLIPS/A001C001.mov"
    ]
    before = os.stat(clip)
    with open(clip, "r+b") as handle:  # a byte outside the first and last 64 KiB
        handle.seek(150_000)
        byte = handle.read(1)[0]
        handle.seek(150_000)
        handle.write(bytes([byte ^ 1]))
    os.utime(clip, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, err = copy(tmp_path, card, first, second)
    # The card file now reads unlike the entry of the copy trusted on the first: it fails,
    # nothing written from it on the second (``trusted_copies``: never two copies that
    # differ both verified), exit 1.
    assert code == 1, err
    assert "differs from what was verified" in err, err
    assert not (second / card.name / "CLIPS" / "A001C001.mov").exists()
    ((name, digest),) = entry["digests"].items()
    # Nothing new on the first: its history holds the copy as verified (no generation
    # records another hash of it, nor calls it failed).
    assert recorded_hashes(first / card.name, "CLIPS/A001C001.mov") == [(name, "original", digest)]


# -- offload verify: every end has a documented exit code, never a traceback -----------------

OFFLOAD = str(Path(sys.executable).with_name("offload"))


def run_offload(
    *argv: str | Path, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run(
        [OFFLOAD, *map(str, argv)], capture_output=True, text=True, timeout=120, env=env
    )


def offloaded(tmp_path: Path, name: str = "A001") -> Path:
    card = small_card(tmp_path / "cards", name)
    dest = tmp_path / "RAID0"
    code, err = copy(tmp_path, card, dest)
    assert code == 0, err
    return dest / card.name


def test_verify_a_symlink_loop_and_a_dangling_link_subprocess(tmp_path: Path) -> None:
    root = offloaded(tmp_path)
    os.symlink("loop", root / "CLIPS" / "loop")
    os.symlink("../nowhere/at/all", root / "META" / "gone.xml")
    result = run_offload("verify", root)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert "CLIPS/loop" in result.stderr and "META/gone.xml" in result.stderr
    result = run_offload("verify", "--json", root)
    data = json.loads(result.stdout)
    assert data["dangling"] == ["CLIPS/loop", "META/gone.xml"] and data["exit_code"] == 0


def test_a_file_that_vanishes_while_checked_is_missing(tmp_path: Path) -> None:
    root = offloaded(tmp_path)
    victim = root / "META" / "sidecar.xml"

    def hash_then_lose_the_sidecar(path: Path, formats: Sequence[str]) -> dict[str, str]:
        victim.unlink(missing_ok=True)  # the drive drops the file while the check runs
        return hash_file_plain(path, formats)

    report = verify_tree(root, hash_file=hash_then_lose_the_sidecar, ignore_patterns=[".offload"])
    assert report.missing == ("META/sidecar.xml",)
    assert report.unreadable == () and report.extra == ()


def test_verify_nested_histories_subprocess(tmp_path: Path) -> None:
    dest = tmp_path / "DEST"
    dest.mkdir()
    single = tmp_path / "file.mov"
    single.write_bytes(b"one file")
    card = small_card(tmp_path / "cards")
    for source in (single, card):
        code, _, err = offload_cli(
            "copy", "-q", "--report-dir", str(tmp_path / "r"), str(source), str(dest)
        )
        assert code == 0, err
    assert (dest / "ascmhl").is_dir() and (dest / card.name / "ascmhl").is_dir()
    result = run_offload("verify", "--json", dest)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["nested"] == [card.name]
    assert sorted(data["verified"]) == sorted(
        [
            "file.mov",
            *(
                f"{card.name}/{p}"
                for p in ("CLIPS/A001C001.mov", "CLIPS/A001C002.mov", "META/sidecar.xml")
            ),
        ]
    )
    # damage inside the nested history is found and named with its full path
    (dest / card.name / "META" / "sidecar.xml").write_bytes(b"<XML/>")
    result = run_offload("verify", dest)
    assert result.returncode == 11 and f"{card.name}/META/sidecar.xml" in result.stderr
    result = run_offload("verify", "--append", dest)
    assert (
        result.returncode == 64 and "nested" in result.stderr and "Traceback" not in result.stderr
    )


def test_verify_json_into_a_closed_pipe(tmp_path: Path) -> None:
    root = offloaded(tmp_path)
    # `offload verify --json ROOT | head -0`: the reader is gone before the first byte
    process = subprocess.Popen(
        [OFFLOAD, "verify", "--json", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    reports = list((tmp_path / "r").glob("verify_*.json"))
    assert len(reports) == 1 and json.loads(reports[0].read_text())["exit_code"] == 0


# -- the card's own history: files it lists that the card lost, forged histories -------------


def test_files_the_card_history_lists_but_the_card_lost_are_named(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = small_card(tmp_path / "cards")
    created = judge.create(card, "xxh64")
    assert created.clean, created.describe()
    (card / "CLIPS" / "A001C002.mov").unlink()  # deleted in camera after the history
    (card / "META" / "sidecar.xml").unlink()
    dest = tmp_path / "RAID0"
    dest.mkdir()
    plan = plan_offload(card, [dest])
    assert plan.card_history is not None
    assert plan.card_history.missing_from_card == ("CLIPS/A001C002.mov", "META/sidecar.xml")
    code, out, _ = offload_cli(
        "copy", "--json", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
    )
    events = [json.loads(line) for line in out.splitlines()]
    named = [
        e["path"] for e in events if e["event"] == "warning_issued" and "card's own" in e["message"]
    ]
    assert named == [str(card / "CLIPS" / "A001C002.mov"), str(card / "META" / "sidecar.xml")]
    code, err = copy(tmp_path, card, tmp_path / "RAID1")
    assert code == 1, err  # completed, but files are missing: never a silent exit 0
    for path in ("CLIPS/A001C002.mov", "META/sidecar.xml"):
        assert f"'{path}' is in the card's own ASC MHL history but not on the card" in err, err
    # ...and again in the summary and the report, after the table.
    assert "MISSING FROM THE CARD" in err and "CLIPS/A001C002.mov, META/sidecar.xml" in err
    report = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    assert report["missing_from_card"] == ["CLIPS/A001C002.mov", "META/sidecar.xml"]


def forge(card: Path, judge: AscmhlJudge) -> None:
    created = judge.create(card, "xxh64")
    assert created.clean, created.describe()
    manifest = next((card / "ascmhl").glob("*.mhl"))
    text = manifest.read_text().replace(">CLIPS/A001C002.mov<", ">../../etc/A001C002.mov<")
    manifest.write_text(text)
    # a forger also rewrites the chain's C4 of the manifest
    from offload.manifest.history import c4_of_file

    chain = card / "ascmhl" / "ascmhl_chain.xml"
    chain_text = chain.read_text()
    old = chain_text.split("<c4>")[1].split("</c4>")[0]
    chain.write_text(chain_text.replace(old, c4_of_file(manifest)))


def test_a_forged_card_history_is_not_trusted(judge: AscmhlJudge, tmp_path: Path) -> None:
    card = small_card(tmp_path / "cards")
    forge(card, judge)
    # verify: a distinct exit code and a clear message, no MISSING line for the forged path
    result = run_offload("verify", card)
    assert result.returncode == 31, result.stdout + result.stderr
    assert "broken or forged" in result.stderr and "../../etc/A001C002.mov" in result.stderr
    assert "MISSING" not in result.stderr and "Traceback" not in result.stderr
    # copy: a loud warning, the offload goes on with a fresh history of its own
    dest = tmp_path / "RAID0"
    code, err = copy(tmp_path, card, dest)
    assert code == 0, err
    assert "broken or forged" in err and "not trusted" in err
    root = dest / card.name
    manifests = sorted((root / "ascmhl").glob("*.mhl"))
    assert len(manifests) == 1 and "offload-ai" in manifests[0].read_text()
    assert "../" not in manifests[0].read_text()
    for result2 in (judge.diff(root), judge.verify(root)):
        assert result2.clean, result2.describe()
    # the report's ignored entry says what became of it (before: "carried and continued")
    [report] = (tmp_path / "reports").glob("*.json")
    ignored = json.loads(report.read_text())["ignored"]
    assert {
        "path": "ascmhl",
        "reason": "/ascmhl/: the card's ASC MHL history, not carried: not trusted",
        "kind": "folder",
    } in ignored, ignored


@pytest.mark.parametrize(
    ("mhl", "writes"), [("none", "no manifest"), ("legacy", "only a legacy MHL")]
)
def test_a_forged_card_history_under_a_run_writing_no_ascmhl_says_none_is_started(
    judge: AscmhlJudge, tmp_path: Path, mhl: str, writes: str
) -> None:
    """The warning said "each destination starts a fresh history" under ``--mhl none`` and
    ``legacy`` too, where no ASC MHL history is written at all. Failed before."""
    card = small_card(tmp_path / "cards")
    forge(card, judge)
    dest = tmp_path / "RAID0"
    code, err = copy(tmp_path, card, dest, extra=("--mhl", mhl))
    assert code == 0, err
    said = " ".join(err.split())
    assert "broken or forged" in said and "fresh history" not in said, said
    expected = f"no destination gets an ASC MHL history (--mhl {mhl} writes {writes})"
    assert expected in said, said
    assert not (dest / card.name / "ascmhl").exists()


def test_a_forged_card_history_names_the_history_a_destination_already_holds(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A card offloaded once, its history then forged, offloaded again to the same drive:
    the copy there continues the history the first offload wrote, and the warning says so.
    Failed before (the read-only review of the merges): "each destination starts a fresh
    history of its own" while RAID0's history went on from 0001 to 0002."""
    card = small_card(tmp_path / "cards")
    dest = tmp_path / "RAID0"
    assert copy(tmp_path, card, dest)[0] == 0
    forge(card, judge)
    (card / "CLIPS" / "A001C003.mov").write_bytes(b"third clip")
    code, err = copy(tmp_path, card, dest)
    assert code == 0, err
    said = " ".join(err.split())
    assert "broken or forged" in said and "fresh history of its own" not in said, said
    assert f"continues the history already there ({dest / card.name}" in said, said
    held = sorted(p.name[:4] for p in (dest / card.name / "ascmhl").glob("*.mhl"))
    assert held == ["0001", "0002"], held


# -- offload verify: reports and progress ------------------------------------------------------


def test_verify_writes_a_report_per_run_with_its_exit_code(tmp_path: Path) -> None:
    root = offloaded(tmp_path)
    reports = tmp_path / "reports-verify"
    first = run_offload("verify", "--report-dir", reports, root)
    (root / "META" / "sidecar.xml").unlink()
    second = run_offload("verify", "--report-dir", reports, root)
    third = run_offload("verify", "--report-dir", reports, tmp_path / "no-history-here")
    (tmp_path / "empty").mkdir()
    fourth = run_offload(
        "verify", tmp_path / "empty", env_extra={"OFFLOAD_REPORT_DIR": str(reports)}
    )
    codes = [r.returncode for r in (first, second, third, fourth)]
    assert codes == [0, 10, 64, 30]
    found = sorted(reports.glob("verify_*.json"), key=lambda p: p.stat().st_mtime_ns)
    assert len(found) == 3  # no report for a PATH that is not a folder
    codes = [json.loads(p.read_text())["exit_code"] for p in found]
    assert codes == [0, 10, 30]
    data = json.loads(found[1].read_text())
    assert data["schema"] == "offload-ai/verify-report/1" and data["missing"] == [
        "META/sidecar.xml"
    ]
    assert data["report"] == str(found[1])
    table = found[1].with_suffix(".csv").read_text().splitlines()
    assert table[0] == "path,status,detail" and "META/sidecar.xml,missing," in table
    assert f"Report: {found[1]}" in second.stderr


def test_verify_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    root = offloaded(tmp_path)
    for argv, wanted in ((["verify"], True), (["verify", "--json"], False)):
        primary, secondary = pty.openpty()
        process = subprocess.Popen(
            [OFFLOAD, *argv, str(root)],
            stdout=subprocess.PIPE,
            stderr=secondary,
            env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
        )
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.stdout is not None
        out = process.stdout.read()
        process.stdout.close()
        assert process.wait(timeout=120) == 0
        os.close(primary)
        seen = b"".join(chunks).decode("utf-8", "replace")
        assert ("verify" in seen and "files" in seen) is wanted, seen
        if not wanted:
            json.loads(out)


def test_a_card_whose_own_name_is_not_utf8_keeps_its_history(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    card_bytes = os.fsencode(cards) + b"/A00\xe9"
    os.makedirs(card_bytes + b"/CLIPS")
    with open(card_bytes + b"/CLIPS/C001.mov", "wb") as handle:
        handle.write(os.urandom(10_000))
    card = Path(os.fsdecode(card_bytes))
    dest = tmp_path / "RAID0"
    code, err = copy(tmp_path, card, dest, extra=("--mhl", "both"))
    assert code == 0, err
    root = dest / card.name
    manifests = list((root / "ascmhl").glob("*.mhl"))
    assert [m.name.startswith("0001_A00_") for m in manifests] == [True]
    assert recorded_paths(root) == {"CLIPS/C001.mov"}
    result = run_offload("verify", root)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.fault
@pytest.mark.parametrize("reference", ["ascmhl", "legacy", "ledger"])
def test_verify_interrupted_exits_130_with_a_report(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], reference: str
) -> None:
    """A SIGTERM while the check reads the second of three recorded files (its read held by
    FaultyFS): exit 130, a report, and what was proved before the cancel: the first file
    read and matched is ``verified``, the other two ``cancelled`` (JSON, CSV, the terminal's
    count), against each reference. Failed before: "0 verified" and nothing cancelled,
    though a file was read and matched."""
    card = small_card(tmp_path / "cards")
    backing = tmp_path / "disk"
    mhl = {"ascmhl": "ascmhl", "legacy": "legacy", "ledger": "none"}[reference]
    code, err = copy(tmp_path, card, backing, extra=("--mhl", mhl))
    assert code == 0, err
    fs = faulty_fs(backing=backing)
    rule = fs.stall("read", path="A001/CLIPS/A001C002.mov")
    root = fs.mountpoint / card.name
    legacy = [f"--mhl-file={next(root.glob('*.mhl'))}"] if reference == "legacy" else []
    out, data, rows = _verify_cancelled_at(fs, rule, tmp_path / "r", *legacy, str(root))
    assert data["reference"] == reference and data["passed"] is False
    assert data["verified"] == ["CLIPS/A001C001.mov"], data
    assert data["cancelled"] == ["CLIPS/A001C002.mov", "META/sidecar.xml"], data
    assert data["totals"]["verified"] == 1 and data["totals"]["cancelled"] == 2
    assert "2 recorded files not checked (cancelled)" in data["error"]
    # Never looked for: empty lists (what every reader of the schema takes), so named.
    assert data["missing"] == data["extra"] == [] and data["not_looked_for"] == [
        "missing", "missing_folders", "extra", "dangling", "outside", "leftovers",
    ]  # fmt: skip
    # verified, its detail naming the FUSE server's cache it was read through (the CSV says so)
    assert any(row.startswith("CLIPS/A001C001.mov,verified,") for row in rows), rows
    assert "META/sidecar.xml,cancelled," in rows
    assert "CANCELLED: 1 OK, 0 changed, 0 unreadable before the cancel, 2 not checked" in out
    assert "missing" not in out, out  # none was looked for


def _verify_cancelled_at(
    fs: FaultyFS, rule: str, reports: Path, *argv: str
) -> tuple[str, dict[str, object], list[str]]:
    """``offload verify *argv*`` in a subprocess, sent a real SIGTERM while FaultyFS holds
    *rule*'s operation: asserts exit 130, no traceback, one report (exit code 130); returns
    the stdout, the JSON report and the CSV's rows."""
    process = subprocess.Popen(
        [OFFLOAD, "verify", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        fs.wait_stalled(rule)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
    finally:
        fs.release(rule)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "interrupted" in err and "Traceback" not in err, err
    saved = list(reports.glob("verify_*.json"))
    assert [json.loads(p.read_text())["exit_code"] for p in saved] == [130]
    data = json.loads(saved[0].read_text())
    return out, data, saved[0].with_suffix(".csv").read_text().splitlines()


@pytest.mark.fault
@pytest.mark.parametrize("reference", ["ascmhl", "legacy", "ledger", "nested"])
def test_verify_cancelled_after_its_reads_reports_what_they_proved(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], reference: str
) -> None:
    """A SIGTERM once every recorded file there was read and matched, while the check looks
    at what stands at the name of one that is gone (held by FaultyFS: the reasons' lstat,
    after the reads): exit 130 and a report that keeps the two files read and matched
    ``verified``, none ``cancelled``, and names no file missing or new (the check stopped
    before it named them). ``nested``: the card's history nested in a copy root whose own
    history records one more file, the root checked: the nested history's files are kept
    too. Failed before: a plain "interrupted", "0 verified"."""
    card = small_card(tmp_path / "cards")
    backing = tmp_path / "disk"
    mhl = {"legacy": "legacy", "ledger": "none"}.get(reference, "ascmhl")
    code, err = copy(tmp_path, card, backing, extra=("--mhl", mhl))
    assert code == 0, err
    top: list[str] = []
    if reference == "nested":
        (tmp_path / "file.mov").write_bytes(b"one file")
        code, err = copy(tmp_path, tmp_path / "file.mov", backing)
        assert code == 0, err
        top = ["file.mov"]
    (backing / card.name / "META" / "sidecar.xml").unlink()
    fs = faulty_fs(backing=backing)
    # The ledger's check looks at a recorded name not on disk once before its reads (is a
    # link there?): its second look is the one after them.
    rule = fs.stall("getattr", path="A001/META/sidecar.xml", nth=2 if reference == "ledger" else 1)
    root = fs.mountpoint / card.name
    legacy = [f"--mhl-file={next(root.glob('*.mhl'))}"] if reference == "legacy" else []
    if reference == "nested":
        root = fs.mountpoint
    out, data, rows = _verify_cancelled_at(fs, rule, tmp_path / "r", *legacy, str(root))
    assert data["reference"] == reference.replace("nested", "ascmhl"), data
    assert data["passed"] is False, data
    below = f"{card.name}/" if reference == "nested" else ""
    clips = [f"{below}CLIPS/A001C001.mov", f"{below}CLIPS/A001C002.mov"]
    assert data["verified"] == [*clips, *top], data
    assert data["cancelled"] == [] and data["changed"] == [], data
    assert data["missing"] == [] and "missing" in data["not_looked_for"], data
    assert "0 recorded files not checked (cancelled)" in str(data["error"]), data
    assert any(row.startswith(f"{clips[1]},verified,") for row in rows), rows
    assert f"CANCELLED: {len(clips) + len(top)} OK, 0 changed, 0 unreadable before the " in out
    assert "MISSING" not in out, out  # not named: the check stopped before it named them


@pytest.mark.fault
def test_verify_append_cancelled_while_its_generation_is_written(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A SIGTERM while ``offload verify --append`` writes its generation (the manifest's
    creation held by FaultyFS), every file read and matched: exit 130, the three files
    ``verified`` in the report, no generation said or left (the history as it was, nothing
    half-written). Failed before: a plain "interrupted", "0 verified"."""
    card = small_card(tmp_path / "cards")
    backing = tmp_path / "disk"
    code, err = copy(tmp_path, card, backing)
    assert code == 0, err
    before = sorted(p.name for p in (backing / card.name / "ascmhl").iterdir())
    fs = faulty_fs(backing=backing)
    rule = fs.stall("create", path="A001/ascmhl/*")
    out, data, _ = _verify_cancelled_at(
        fs, rule, tmp_path / "r", "--append", str(fs.mountpoint / card.name)
    )
    assert data["verified"] == [
        "CLIPS/A001C001.mov",
        "CLIPS/A001C002.mov",
        "META/sidecar.xml",
    ], data
    assert data["cancelled"] == [] and data["generation"] is None, data
    assert "CANCELLED: 3 OK" in out and "Recorded in" not in out, out
    assert sorted(p.name for p in (backing / card.name / "ascmhl").iterdir()) == before


@pytest.mark.fault
@pytest.mark.parametrize("signals", ["SIGTERM", "SIGINT", "SIGTERM twice"])
def test_verify_signalled_while_its_report_is_written(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], signals: str
) -> None:
    """A real signal once the check is over, while its report's creation is held by
    FaultyFS on the report folder: nothing is left to cancel, so the report is written in
    full, the exit code is the check's (0) and a warning says the signal came then, as
    ``offload copy`` does for one during its reports. A second signal stops it: exit 130,
    one line, no report under its name nor a temporary file left. Failed before: SIGTERM
    killed the process (-15, no report), SIGINT ended it on a traceback. The report says
    what the process did: the signal in its ``notes`` (written before the signal was taken:
    restated), and after a second one exit 130, ``passed`` false and a note. Failed before:
    the signal on stderr only, and a report of exit 0 from a process that exited 130."""
    card = small_card(tmp_path / "cards")
    code, err = copy(tmp_path, card, tmp_path / "disk")
    assert code == 0, err
    fs = faulty_fs()
    rule = fs.stall("create", path="*verify_*.json*")
    csv_rule = fs.stall("create", path="*verify_*.csv*")
    process = subprocess.Popen(
        [OFFLOAD, "verify", "--report-dir", str(fs.mountpoint), str(tmp_path / "disk" / "A001")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    number = signal.SIGINT if signals == "SIGINT" else signal.SIGTERM
    try:
        fs.wait_stalled(rule)
        process.send_signal(number)
        time.sleep(0.3)
        fs.release(rule)
        # Two signals while one call is held come as one: the second once the first
        # was taken, while the CSV's creation is held (if the first has not ended it).
        deadline = time.monotonic() + 10
        while process.poll() is None and not fs.stats()["rules"][csv_rule].get("waiting"):
            assert time.monotonic() < deadline, "the CSV was never created"
            time.sleep(0.01)
        if signals == "SIGTERM twice":
            process.send_signal(number)
            time.sleep(0.3)
    finally:
        fs.release()
    out, err = process.communicate(timeout=60)
    assert "Traceback" not in err, err
    if signals == "SIGTERM twice":
        assert process.returncode == 130, out + err
        assert "stopped by a further signal while the report was written" in err, err
        # The JSON written in full, the CSV cut short: not there, nor its temporary file.
        (report,) = os.listdir(fs.mountpoint)
        assert report.startswith("verify_A001_") and report.endswith(".json"), report
        data = json.loads((fs.mountpoint / report).read_text())
        assert data["exit_code"] == 130 and data["passed"] is False, data
        assert len(data["verified"]) == 3 and data["not_looked_for"] == [], data
        assert data["notes"] == [
            "stopped by a further signal while the report was written, the check over (exit "
            "130): the files' states stand as this report gives them, every list was looked "
            "for; its CSV, and the summary, may be missing"
        ], data
        return
    assert process.returncode == 0, out + err
    words = "Ctrl-C" if signals == "SIGINT" else "SIGTERM"
    assert f"{words} came while the report was written, after the check had finished" in err
    assert "3 OK, 0 changed, 0 missing" in out, out
    (report,) = fs.mountpoint.glob("verify_*.json")
    data = json.loads(report.read_text())
    assert data["exit_code"] == 0 and data["passed"] is True and len(data["verified"]) == 3
    [note] = data["notes"]
    assert f"{words} came while the report was written, after the check had finished" in note
    assert report.with_suffix(".csv").read_text().count(",verified,") == 3


@pytest.mark.timeout(60)
def test_verify_json_signalled_twice_while_its_document_is_written(tmp_path: Path) -> None:
    """``offload verify --json``: two real SIGTERMs while its document is being written to a
    stdout pipe nobody reads yet (the pipe shrunk to one page, held full): the reader gets
    one whole JSON document, the process exits with its ``exit_code`` (0), stderr warns, and
    the saved report names the signal. Failed before: the second SIGTERM cut the document
    short (a fragment ``jq`` refuses) and the process exited 130 after a document of exit 0."""
    card = small_card(tmp_path / "cards")
    for index in range(80):  # a document of a few pages
        (card / "META" / f"frame_{index:04d}_{'x' * 60}.xml").write_bytes(b"<frame/>")
    code, err = copy(tmp_path, card, tmp_path / "disk")
    assert code == 0, err
    root = tmp_path / "disk" / "A001"
    process = subprocess.Popen(
        [OFFLOAD, "verify", "--json", "--report-dir", str(tmp_path / "vr"), str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        reader, page = one_page(process)
        # The document has begun and fills the pipe: its writer is held in the write.
        held_full(process, reader, page, time.monotonic() + 30, "no document")
        for _ in range(2):
            process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
        out, err_bytes = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    err = err_bytes.decode()
    assert "Traceback" not in err, err
    data = json.loads(out)  # one whole document
    assert process.returncode == data["exit_code"] == 0, err
    assert len(data["verified"]) == 83, data
    assert "SIGTERM came while the report was written" in err, err
    saved = json.loads(Path(data["report"]).read_text())
    [note] = saved["notes"]
    assert "SIGTERM came while the report was written" in note, saved


@pytest.mark.timeout(60)
def test_copy_json_signalled_twice_while_its_job_report_line_is_written(tmp_path: Path) -> None:
    """``offload copy --json``: two real SIGINTs while its ``job_report`` line (several
    pages: a card whose many ignored entries it lists) is written to a stdout pipe nobody
    reads yet (shrunk to one page, held full): the reader gets that line whole, the
    process exits with its ``exit_code`` (0) and stderr says the signals came. Failed
    before: the first SIGINT cut the line short (Python's buffered write dropped the rest),
    the second ended the process with exit 130 after a line (had it been whole) of exit 0."""
    card = small_card(tmp_path / "cards")
    for index in range(60):  # ignored entries (an OS file), each named in the line
        folder = card / "META" / f"take_{index:03d}_{'y' * 60}"
        folder.mkdir()
        (folder / ".DS_Store").write_bytes(b"os")
    dest = tmp_path / "disk"
    dest.mkdir()
    process = subprocess.Popen(
        [OFFLOAD, "copy", "--json", "--report-dir", str(tmp_path / "r2"), str(card), str(dest)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        reader, page = one_page(process)
        deadline = time.monotonic() + 30
        # Read up to the line before ``job_report`` (``offload_finished``), then no more.
        lines_up_to(reader, "offload_finished", deadline)
        held_full(process, reader, page, deadline, "no job_report")
        for _ in range(2):
            process.send_signal(signal.SIGINT)
            time.sleep(0.3)
        out, err_bytes = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    err = err_bytes.decode()
    assert "Traceback" not in err, err
    [last] = out.splitlines()
    line = json.loads(last)  # whole
    assert line["event"] == "job_report" and len(last) > 2 * page, last[:200]
    assert process.returncode == line["exit_code"] == 0, err
    assert len(line["ignored"]) == 60, line["ignored"]
    assert "Ctrl-C came while the job_report line was written" in err, err


def _reports_in(folder: Path) -> list[str]:
    """The names in a report folder, temporaries included (a dot name: ``AtomicFile``'s)."""
    return sorted(os.listdir(folder))


@pytest.mark.fault
@pytest.mark.parametrize("signals", ["SIGTERM", "SIGINT twice", "SIGINT", "SIGTERM cascade"])
def test_copy_signalled_while_its_html_and_pdf_are_written(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], signals: str
) -> None:
    """A real signal once the JSON and CSV reports are written, while the HTML report's
    creation is held by FaultyFS on the report folder. One SIGINT cancels nothing: exit 0,
    and every JSON report (the local one, the destination's) says the signal came, as the
    warning does. A SIGTERM, or a second SIGINT (while the PDF's creation is held), stops
    the run: exit 130, every JSON report already written restated with exit 130 and a note
    saying what is missing, no HTML or PDF under a final name (they stated exit 0), no
    temporary left. Failed before: SIGTERM killed the process (-15) and a second SIGINT
    exited 130, each leaving JSON reports that said exit 0; one SIGINT was said on stderr
    only. The same in a cascade (a second destination fed from the first)."""
    card = small_card(tmp_path / "cards")
    dest = tmp_path / "disk"
    dest.mkdir()
    dests = [str(dest)]
    if signals.endswith("cascade"):
        (tmp_path / "slow").mkdir()
        dests = ["--cascade-to", str(tmp_path / "slow"), str(dest), str(tmp_path / "slow")]
    fs = faulty_fs()
    html = fs.stall("create", path="*.html*")
    pdf = fs.stall("create", path="*.pdf*")
    process = subprocess.Popen(
        [OFFLOAD, "copy", "-q", "--report-dir", str(fs.mountpoint), str(card), *dests],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = signal.SIGTERM if signals.startswith("SIGTERM") else signal.SIGINT
    # Held at the HTML: the JSON and CSV reports written (not looked at here: the mount
    # answers nothing while it holds a call). Two signals while one call is held come as
    # one: a second Ctrl-C is sent while the PDF's creation is held.
    steps = [(html, [first])]
    if signals == "SIGINT twice":
        steps.append((pdf, [signal.SIGINT]))
    signal_at_stalls(fs, process, *steps, pause_s=0.3)
    out, err = process.communicate(timeout=60)
    assert "Traceback" not in err, err
    folders = [fs.mountpoint, dest / card.name / ".offload" / "reports"]
    if signals.endswith("cascade"):
        folders.append(tmp_path / "slow" / card.name / ".offload" / "reports")
    reports = [json.loads(next(folder.glob("*.json")).read_text()) for folder in folders]
    if signals == "SIGINT":
        assert process.returncode == 0, out + err
        said = "Ctrl-C came while the reports were written, after every copy had finished"
        assert said in err, err
        # The HTML and PDF were being made as it came: made without it, as the note says
        # (failed before: the note said nothing of them, the documents silent).
        # Failed before: 'made before it came', where it came while they were made.
        unsaid = "the HTML and PDF reports were made without it"
        for data in reports:
            assert data["exit_code"] == 0 and data["cancelled"] is False, data
            assert any(said in note and unsaid in note for note in data["notes"]), data["notes"]
        for folder in folders:
            assert [n.rsplit(".", 1)[1] for n in _reports_in(folder)] == [
                "csv",
                "html",
                "json",
                "pdf",
            ], _reports_in(folder)
        return
    assert process.returncode == 130, out + err
    words = "SIGTERM" if first == signal.SIGTERM else "a further Ctrl-C"
    assert f"stopped by {words} while the reports were written" in err, err
    for data in reports:
        assert data["exit_code"] == 130, data
        assert any(f"stopped by {words}" in note for note in data["notes"]), data["notes"]
    for folder in folders:
        names = _reports_in(folder)
        assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "json"], names


@pytest.mark.fault
def test_report_signalled_while_it_writes_the_pdf(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload report JOB.json`` with a real SIGTERM while the PDF's creation is held by
    FaultyFS: one line naming what was written (the HTML), exit 130, the PDF neither under
    its name nor as a temporary file. Failed before: the process was killed (-15)."""
    card = small_card(tmp_path / "cards")
    code, err = copy(tmp_path, card, tmp_path / "disk")
    assert code == 0, err
    fs = faulty_fs()
    [saved] = (tmp_path / "reports").glob("*.json")
    job = fs.mountpoint / saved.name
    job.write_bytes(saved.read_bytes())
    pdf = fs.stall("create", path="*.pdf*")
    process = start([OFFLOAD, "report", "--no-media", str(job)])
    signal_at_stalls(fs, process, (pdf, [signal.SIGTERM]), pause_s=0.3)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err, err
    said = f"stopped by SIGTERM: {job.with_suffix('.html')} written, {job.with_suffix('.pdf')} not"
    assert said in err, err
    assert "run the same command again to write it" in err, err  # JOB.pdf: written again
    assert _reports_in(fs.mountpoint) == [job.with_suffix(".html").name, job.name]


@pytest.mark.fault
def test_report_stopped_after_a_named_html_says_how_to_write_the_named_pdf(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload report JOB.json --html o.html --pdf o.pdf`` stopped by a real Ctrl-C while
    the PDF's creation is held by FaultyFS: the line names o.pdf as not written and gives
    the command for it alone, which then writes it (exit 0). Failed before: "o.html
    written, the rest not (...); run the same command again to write it", and the same
    command again was refused: "o.html exists; nothing was written", exit 64."""
    card = small_card(tmp_path / "cards")
    code, err = copy(tmp_path, card, tmp_path / "disk")
    assert code == 0, err
    fs = faulty_fs()
    [job] = (tmp_path / "reports").glob("*.json")
    html, pdf = fs.mountpoint / "o.html", fs.mountpoint / "o.pdf"
    stall = fs.stall("create", path="*.pdf*")
    process = start(
        [OFFLOAD, "report", "--no-media", str(job), "--html", str(html), "--pdf", str(pdf)]
    )
    signal_at_stalls(fs, process, (stall, [signal.SIGINT]), pause_s=0.3)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert f"stopped by Ctrl-C: {html} written, {pdf} not" in err, err
    command = f"offload report {job} --pdf {pdf} --no-media"
    assert err.rstrip().endswith(f"to write it: {command}"), err
    assert _reports_in(fs.mountpoint) == ["o.html"]
    fs.clear()
    again = subprocess.run(
        [OFFLOAD, *shlex.split(command)[1:]], capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert _reports_in(fs.mountpoint) == ["o.html", "o.pdf"]


@pytest.mark.fault
def test_report_stopped_while_a_named_documents_folder_is_synced_counts_it_written(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Review of the report-words merge: a Ctrl-C during the folder's fsync after o.html's
    rename left it under its name, yet the line said "o.html not written" and gave the same
    command as the next step, which is refused (it exists, exit 64). Failed before; it is
    counted written once renamed, and nothing is left to do. Its stdout names it, as a
    document written without a stop (QA): failed before, stdout empty (its line was printed
    after the fsync)."""
    card = small_card(tmp_path / "cards")
    code, err = copy(tmp_path, card, tmp_path / "disk")
    assert code == 0, err
    fs = faulty_fs()
    [job] = (tmp_path / "reports").glob("*.json")
    html = fs.mountpoint / "o.html"
    stall = fs.stall("fsyncdir", path="*")
    argv = [OFFLOAD, "report", "--no-media", str(job), "--html", str(html)]
    done = signalled_at_stall(fs, stall, argv, signal.SIGINT, cwd=tmp_path)
    assert done.returncode == 130, done.stdout + done.stderr
    assert f"stopped by Ctrl-C: {html} written; nothing left to write" in done.stderr, done.stderr
    assert "not written" not in done.stderr, done.stderr
    assert done.stdout == f"HTML report: {html}\n", done.stdout
    assert _reports_in(fs.mountpoint) == ["o.html"]


def test_a_card_history_with_a_file_symlink_is_carried_and_continued(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = small_card(tmp_path / "cards")
    os.symlink("../META/sidecar.xml", card / "CLIPS" / "sidecar-link.xml")
    created = judge.create(card, "xxh64")
    assert created.clean, created.describe()
    assert "CLIPS/sidecar-link.xml" in recorded_paths(card)  # ascmhl lists it as a file
    dest = tmp_path / "RAID0"
    code, err = copy(tmp_path, card, dest)
    assert code == 0, err
    assert "does not match" not in err
    root = dest / card.name
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 2
    newest = sorted((root / "ascmhl").glob("*.mhl"))[-1].read_text()
    assert 'action="failed"' not in newest and "sidecar-link.xml" in newest
    for result in (judge.diff(root), judge.verify(root), judge.verify(root, directory_hashes=True)):
        assert result.clean, result.describe()
    assert run_offload("verify", root).returncode == 0


def test_ledger_verify_of_a_copy_with_a_file_symlink(tmp_path: Path) -> None:
    card = small_card(tmp_path / "cards")
    os.symlink("A001C002.mov", card / "CLIPS" / "latest.mov")
    dest = tmp_path / "RAID0"
    code, err = copy(tmp_path, card, dest, extra=("--mhl", "none"))
    assert code == 0, err
    result = run_offload("verify", "--json", dest / card.name)
    data = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert data["reference"] == "ledger" and data["extra"] == []


def test_verify_append_with_a_name_that_is_not_utf8(judge: AscmhlJudge, tmp_path: Path) -> None:
    root = offloaded(tmp_path)
    with open(os.fsencode(root / "META") + b"/new\xff.xml", "wb") as handle:
        handle.write(b"added later")
    result = run_offload("verify", "--append", root)
    assert result.returncode == 21, result.stderr  # new, and said so; the check is recorded
    assert "Traceback" not in result.stderr and "new\\xff.xml" in result.stderr
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 2
    info = judge.info(root)
    assert info.returncode == 0, info.describe()


def test_a_legacy_mhl_path_outside_the_copy_is_not_checked_and_no_pass(tmp_path: Path) -> None:
    """An entry above the copy root (``../../sidecar.xml``) is outside it, as ``offload
    copy`` calls such an entry on a card (``card_legacy_mhl.listed_path``): not checked,
    named, no pass (exit 22), never a MISSING file; the MHL's other entries are checked."""
    card = small_card(tmp_path / "cards")
    dest = tmp_path / "RAID0"
    code, err = copy(tmp_path, card, dest, extra=("--mhl", "legacy"))
    assert code == 0, err
    root = dest / card.name
    legacy = next(root.glob("*.mhl"))
    legacy.write_text(legacy.read_text().replace(">META/sidecar.xml<", ">../../sidecar.xml<"))
    result = run_offload("verify", "--mhl-file", legacy, root)
    assert result.returncode == 22, result.stdout + result.stderr
    assert "NOT CHECKED (the legacy MHL lists this file outside" in result.stderr
    assert "../../sidecar.xml" in result.stderr and "MISSING" not in result.stderr
