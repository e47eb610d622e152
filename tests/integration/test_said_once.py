"""What ``offload copy`` prints and writes names each thing once, in the words the run
proved: a manifest refused by a file in the way of ``ascmhl`` (the real CLI in a
subprocess, the reports read back)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support.cards import clips_card
from support.offload_cli import run_offload


def make_card(root: Path, files: int = 2, size: int = 50_000) -> Path:
    return clips_card(root, files, size)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_offload(*args, columns=400, timeout_s=120)


def test_a_manifest_refused_names_its_path_once_and_the_way_on(tmp_path: Path) -> None:
    """A file where the copy root's ``ascmhl`` folder goes: the manifest's error is one line
    naming the manifest's path (which holds the destination), not the destination again
    before it, and says to mend that before the re-run (before: "manifest not written on
    DEST: cannot write ASC MHL manifest DEST/A001/ascmhl/...: Not a directory (ENOTDIR);
    ...: run the same command again to write the manifest", which writes none either)."""
    card = make_card(tmp_path / "cards")
    dest = tmp_path / "dest"
    (dest / "A001").mkdir(parents=True)
    (dest / "A001" / "ascmhl").write_text("not a folder\n")
    reports = tmp_path / "reports"
    done = run("copy", "--report-dir", reports, card, dest)
    assert done.returncode == 1, done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("ERROR: manifest")]
    manifest = f"{dest}/A001/ascmhl/0001_A001_"
    assert line.startswith(f"ERROR: manifest not written: cannot write ASC MHL manifest {manifest}")
    assert line.count(str(dest)) == 1, line
    assert line.endswith(
        "Not a directory (ENOTDIR); the copies there keep the states this run gave them (its "
        "ledger records each one it proved): once that is mended, run the same command again "
        "to write the manifest"
    ), line
    (report,) = reports.glob("A001_*.json")
    data = json.loads(report.read_text())
    (error,) = [e for e in data["folder_errors"] if e.startswith("manifest not written")]
    assert error == line.removeprefix("ERROR: "), error
    verdict = next(x for x in done.stderr.splitlines() if "BUT NO MANIFEST" in x)
    assert "once what it says is mended, run the same command again" in verdict, verdict


def test_a_cascade_dry_run_names_the_destinations_as_the_run_does(
    tmp_path: Path, cards: Path
) -> None:
    """``--cascade-to --dry-run``: its cascade sentence and its "fed from" lines name each
    destination as the run's CARD RELEASED line and summary do (the path given), not its
    copy root (before: "pass 1 reads the card to FAST/A001; ... pass 2 then feeds
    SLOW/A001" and "3 fed from the verified copy on FAST/A001", where the run says "verified
    on FAST", "Now feeding SLOW")."""
    card = make_card(cards, files=3)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    args = (card, fast, "--cascade-to", slow)
    dry = run("copy", "--dry-run", *args)
    assert dry.returncode == 0, dry.stderr
    (sentence,) = [x for x in dry.stderr.splitlines() if x.startswith("Cascading copy:")]
    assert sentence.startswith(f"Cascading copy: pass 1 reads the card to {fast}; "), sentence
    assert f"pass 2 then feeds {slow} from the verified copies" in sentence, sentence
    assert str(fast / "A001") not in sentence and str(slow / "A001") not in sentence, sentence
    assert f"  3 fed from the verified copy on {fast}\n" in dry.stderr, dry.stderr

    done = run("copy", "--report-dir", tmp_path / "reports", *args)
    assert done.returncode == 0, done.stderr
    released = next(x for x in done.stderr.splitlines() if x.startswith("CARD RELEASED"))
    assert f"verified on {fast}" in released and f"Now feeding {slow} from" in released, released
