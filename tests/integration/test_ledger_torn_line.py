"""A ledger whose last line a run stopped writing (killed, a power cut): ``offload verify``
and ``offload copy`` say so once, naming the copy it was recording and what becomes of it,
instead of calling that copy new without a word (QA, thirty-sixth pass). The real CLI in a
subprocess on real files."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from integration.test_field_filesystems import run
from support.cards import flip_bytes
from support.offload_cli import newest_report

TORN = "ends in an incomplete line (it was recording DCIM/C0003T01.JPG): a run stopped"


def offloaded(tmp_path: Path, *more: str, into: str = "nm") -> tuple[tuple[object, ...], Path]:
    """A card of three files offloaded once (``--mhl none`` and *more*) into the folder
    *into*: the copy command (run it again for a re-run) and the copy root's ledger."""
    card = tmp_path / "B002"
    (card / "DCIM").mkdir(parents=True)
    for index in (1, 2, 3):
        (card / "DCIM" / f"C000{index}T01.JPG").write_bytes(os.urandom(5000))
    dest, reports = tmp_path / into, tmp_path / "reports"
    dest.mkdir()
    copy = ("copy", "--mhl", "none", *more, "--report-dir", reports, card, dest)
    assert run(*copy).returncode == 0
    return copy, dest / "B002" / ".offload" / "ledger.jsonl"


def torn_warning(reports: Path) -> str:
    (warning,) = [w for w in newest_report(reports)["warnings"] if w["code"] == "ledger-torn-line"]
    return str(warning["message"])


def statuses(reports: Path) -> dict[str, str]:
    return {f["path"]: f["destinations"][0]["status"] for f in newest_report(reports)["files"]}


def test_a_torn_last_line_is_named_by_verify_and_copy(tmp_path: Path) -> None:
    copy, ledger = offloaded(tmp_path, "--verify", "transfer")
    reports = tmp_path / "reports"
    os.truncate(ledger, ledger.stat().st_size - 100)

    checked = run("verify", "--json", ledger.parents[1])
    (note,) = json.loads(checked.stdout)["notes"]
    assert note.startswith(f"{ledger} {TORN}") and "`offload copy` of the card reads" in note

    again = run(*copy)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count(TORN) == 1
    assert TORN in torn_warning(reports)
    actions = {f["path"]: f["destinations"][0]["action"] for f in newest_report(reports)["files"]}
    assert actions["DCIM/C0003T01.JPG"] == "adopted"


def test_a_torn_line_of_a_path_with_an_earlier_entry_says_that_entry_stands(
    tmp_path: Path,
) -> None:
    # --reverify: a second line for each path; the last one torn, its first one stands.
    copy, ledger = offloaded(tmp_path)
    assert run(*copy, "--reverify").returncode == 0
    os.truncate(ledger, ledger.stat().st_size - 40)

    again = run(*copy)

    assert again.returncode == 0, again.stderr
    words = torn_warning(tmp_path / "reports")
    assert "(it was recording DCIM/C0003T01.JPG)" in words
    assert "DCIM/C0003T01.JPG's earlier entry (verified on " in words
    assert "still stands: `offload copy` of the card trusts that copy" in words
    assert "reads that copy back" not in words
    assert set(statuses(tmp_path / "reports").values()) == {"verified_earlier"}


def test_a_torn_revocation_says_the_copy_is_not_revoked(tmp_path: Path) -> None:
    # A destination with a space in its name: the `offload verify` the words give is one word
    # that bash, pasted, turns back into the copy root (before: unquoted, two words).
    copy, ledger = offloaded(tmp_path, into="n m")
    bad = ledger.parents[1] / "DCIM" / "C0002T01.JPG"
    dated = bad.stat()
    flip_bytes(bad, 100)
    os.utime(bad, ns=(dated.st_atime_ns, dated.st_mtime_ns))
    assert run("verify", ledger.parents[1]).returncode != 0
    # The run stopped while writing the revocation's first (plain) line.
    text = ledger.read_bytes()
    start = text.index(b'{"relative_path": "DCIM/C0002T01.JPG", "state": "revoked"')
    os.truncate(ledger, start + 60)

    torn = ledger.read_bytes()
    checked = run("verify", "--json", ledger.parents[1])
    ledger.write_bytes(torn)  # (that check found it wrong again, and revoked it)
    again = run(*copy)

    revoking = "(it was revoking DCIM/C0002T01.JPG): a run stopped while writing it, so that copy"
    words = torn_warning(tmp_path / "reports")
    assert revoking in words and "is not revoked" in words
    assert "trusts it as that entry records it (read back only where it shows a change" in words
    assert "found it wrong or unreadable; `offload verify " in words
    (word,) = re.findall(r"`offload verify ('[^']*'|\$'(?:[^'\\]|\\.)*')` checks it again", words)
    pasted = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert pasted.stdout == os.fsencode(ledger.parents[1]), words
    # Its damage changed its change time (ledger ``inode``/``ctime_ns``): read back, replaced.
    assert again.returncode == 0, again.stderr
    assert statuses(tmp_path / "reports")["DCIM/C0002T01.JPG"] == "verified"
    (note,) = json.loads(checked.stdout)["notes"]
    assert revoking in note
