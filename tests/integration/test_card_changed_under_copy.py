"""A card file that changed since its copies were verified (bit rot, an edit with its date put
back), while a copy still holds what was verified: ``--reverify`` keeps that copy, verified
against its record (at destination level: the card was not proven), and fails the card's
file at the source, saying the card changed (exit 1); a copy unlike its record then is found
wrong but not written again with the card's bytes, which nothing verified. Failed before:
the intact copy was called wrong ("copy no longer matches ... differs from the source") and
replaced by the card's new bytes, "All 1 file ... verified", and ``offload verify`` of the
copy then said CHANGED."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from integration.test_field_filesystems import run, write
from support.cards import corrupt_keeping_size_and_mtime
from support.offload_cli import newest_report

CLIP = "CLIPS/C.mov"


def test_reverify_keeps_a_copy_as_verified_when_the_card_file_changed(tmp_path: Path) -> None:
    card, dest, reports = tmp_path / "C", tmp_path / "D", tmp_path / "reports"
    write(card / CLIP, os.urandom(1 << 20))
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    copy = dest / "C" / CLIP
    verified = copy.read_bytes()
    corrupt_keeping_size_and_mtime(card / CLIP)
    result = run("copy", "--reverify", card, dest, "--report-dir", reports)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # the copy verified, the card's file failed
    assert copy.read_bytes() == verified
    assert "no longer matches" not in out and "copying it again" not in out, out
    line = next(x for x in result.stderr.splitlines() if "differs from what was verified on" in x)
    assert line.startswith("ERROR: ") and str(card / CLIP) in line, line
    assert "check the card" in line and "--into" in line, line
    # No destination failed: the verdicts say the card did (they said "1 of 1 file failed on
    # at least one destination", the terminal and the HTML/PDF alike).
    said = "1 of 1 file failed as the card was read (no copy failed)"
    assert f"NOT ALL VERIFIED: {said}" in result.stderr, result.stderr
    html = max(reports.glob("*.html"), key=lambda path: path.stat().st_mtime_ns)
    assert f"FAILED: {said}" in html.read_text(encoding="utf-8")
    assert "at least one destination" not in out + html.read_text(encoding="utf-8"), out
    (file,) = newest_report(reports)["files"]
    assert file["source_error"] and str(card / CLIP) in file["source_error"], file
    (there,) = file["destinations"]
    assert (there["status"], there["verified_mode"]) == ("verified", "destination"), there
    # The copy is still what every record of it says: its ledger and ASC MHL agree.
    checked = run("verify", dest / "C")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_reverify_writes_no_copy_with_the_changed_card_bytes(tmp_path: Path) -> None:
    """A copy unlike both its record and the card, while the card file is unlike its record
    too, is found wrong but NOT written again: the card's bytes now are bytes nothing
    verified. Failed before: it was rewritten with them (on D2 while D1 kept the verified
    copy), marked verified, and the next plain run said "All ... verified", exit 0."""
    card, reports = tmp_path / "C", tmp_path / "reports"
    one, two = tmp_path / "D1", tmp_path / "D2"
    write(card / CLIP, os.urandom(1 << 20))
    one.mkdir()
    two.mkdir()
    assert run("copy", card, one, two, "--report-dir", reports).returncode == 0
    verified = (one / "C" / CLIP).read_bytes()
    corrupt_keeping_size_and_mtime(card / CLIP, at=500_000)
    corrupt_keeping_size_and_mtime(two / "C" / CLIP, at=100)  # the copy rotted too, elsewhere
    damaged = (two / "C" / CLIP).read_bytes()
    result = run("copy", "--reverify", card, one, two, "--report-dir", reports)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # D1's copy verified against its record
    assert (one / "C" / CLIP).read_bytes() == verified
    assert (two / "C" / CLIP).read_bytes() == damaged, "written with bytes nothing verified"
    assert "copying it again" not in out, out
    lines = [x for x in result.stderr.splitlines() if "differs from what was verified on" in x]
    assert any(str(two / "C" / CLIP) in x and "found wrong" in x for x in lines), out
    # Nothing was written on either drive: neither result says "copied".
    (file,) = newest_report(reports)["files"]
    assert [d["action"] for d in file["destinations"]] == ["rechecked", "rechecked"], file
    assert [d["status"] for d in file["destinations"]] == ["verified", "failed"], file
    again = run("copy", card, one, two, "--report-dir", reports)
    assert again.returncode != 0, again.stdout + again.stderr
    assert "0 are verified on every destination" in again.stdout + again.stderr


def test_a_record_from_one_card_read_does_not_blame_the_card(tmp_path: Path) -> None:
    """A record made from one read of the card (``--verify destination``) may itself be the
    wrong read (a flaky reader): the line says the card's file and the record disagree,
    never that the card changed. Failed before: "differs from what was verified ... check
    the card (a changed file, bit rot)"."""
    card, dest, reports = tmp_path / "C", tmp_path / "D", tmp_path / "reports"
    write(card / CLIP, os.urandom(1 << 20))
    dest.mkdir()
    done = run("copy", "--verify", "destination", card, dest, "--report-dir", reports)
    assert done.returncode == 0, done.stdout + done.stderr
    corrupt_keeping_size_and_mtime(card / CLIP)
    result = run("copy", "--reverify", card, dest, "--report-dir", reports)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # the copy as its record: verified
    line = next(x for x in result.stderr.splitlines() if str(card / CLIP) in x)
    assert "and the record of it disagree" in line and "may have been wrong" in line, line
    assert "differs from what was" not in line, line


def test_reverify_writes_no_copy_of_a_changed_card_file_to_a_new_destination(
    tmp_path: Path,
) -> None:
    """A destination with no copy yet (added to the run) gets none of a card file unlike its
    record on another destination: the card's bytes now are bytes nothing verified. Failed
    before: D1 failed ("differs from what was verified ... check the card") while D3 was
    written with the changed bytes, "verified", action ``copied``."""
    card, reports = tmp_path / "C", tmp_path / "reports"
    one, three = tmp_path / "D1", tmp_path / "D3"
    write(card / CLIP, os.urandom(1 << 20))
    one.mkdir()
    three.mkdir()
    assert run("copy", card, one, "--report-dir", reports).returncode == 0
    corrupt_keeping_size_and_mtime(card / CLIP)
    result = run("copy", "--reverify", card, one, three, "--report-dir", reports)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # D1's copy verified against its record
    assert not (three / "C" / CLIP).exists(), "written with bytes nothing verified"
    assert not [p for p in (three / "C").rglob("*") if p.is_file() and "CLIPS" in str(p)], out
    (file,) = newest_report(reports)["files"]
    first, new = file["destinations"]
    assert (first["status"], first["action"]) == ("verified", "rechecked"), first
    assert (new["status"], new["action"]) == ("failed", "copied"), new
    assert "differs from what was verified on" in new["error"], new
    assert f"not copied to {three / 'C' / CLIP}" in new["error"], new
    assert "check the card" in new["error"], new
    line = next(x for x in result.stderr.splitlines() if f"not copied to {three}" in x)
    assert str(card / CLIP) in line, line


def _copied_then_card_changed(tmp_path: Path, *verify: str) -> tuple[Path, Path, Path, Path]:
    """A card copied (with *verify*), then its clip changed keeping its size and date (bit
    rot): the card, the destination, the reports folder and the copy."""
    card, dest, reports = tmp_path / "C", tmp_path / "D", tmp_path / "reports"
    write(card / CLIP, os.urandom(1 << 20))
    dest.mkdir()
    done = run("copy", *verify, card, dest, "--report-dir", reports)
    assert done.returncode == 0, done.stdout + done.stderr
    corrupt_keeping_size_and_mtime(card / CLIP)
    return card, dest, reports, dest / "C" / CLIP


@pytest.mark.parametrize("how", ["size", "destination"])
def test_a_copy_found_wrong_is_not_written_again_from_a_card_unlike_its_record(
    tmp_path: Path, how: str
) -> None:
    """Where no check reads the card file (a copy wrong by its size alone; ``--verify
    destination``, which reads the copy against its record only), the rewrite of a copy of
    ours found wrong is checked against the ledger's record of the card file as it reads the
    card: unlike it, nothing is written and the line says so. Failed before: the copy was
    written again from the card's changed bytes, "verified", exit 0."""
    verify = ("--verify", "destination") if how == "destination" else ()
    card, dest, reports, copy = _copied_then_card_changed(tmp_path, *verify)
    if how == "size":
        with copy.open("r+b") as f:
            f.truncate(1000)
    else:
        corrupt_keeping_size_and_mtime(copy, at=100)
    wrong = copy.read_bytes()
    result = run("copy", "--reverify", *verify, card, dest, "--report-dir", reports)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert copy.read_bytes() == wrong, "written again with bytes nothing verified"
    line = next(x for x in result.stderr.splitlines() if "does not match the ledger's" in x)
    assert str(card / CLIP) in line and "check the card" in line, line
    (file,) = newest_report(reports)["files"]
    (result_there,) = file["destinations"]
    assert result_there["status"] == "failed", result_there
    assert "does not match the ledger's record" in result_there["error"], result_there
    # The remedy it names works as said: --overwrite with --reverify checks the card against
    # the same record (fails again); a run with --overwrite and without --reverify copies it.
    # Failed before: "--overwrite would copy it as it is now", which --reverify refutes.
    remedy = "a run with --overwrite and without --reverify would copy it as it is now"
    assert remedy in result_there["error"], result_there
    again = run("copy", "--reverify", "--overwrite", *verify, card, dest, "--report-dir", reports)
    assert again.returncode == 2 and copy.read_bytes() == wrong, again.stdout + again.stderr
    # Its warning, said before the copy, does not promise a copy the record may refuse.
    warned = next(x for x in result.stderr.splitlines() if "copy no longer matches" in x)
    assert "only from the card's file as the ledger recorded it" in warned, warned
    done = run("copy", "--overwrite", *verify, card, dest, "--report-dir", reports)
    assert done.returncode == 0, done.stdout + done.stderr
    assert copy.read_bytes() == (card / CLIP).read_bytes()


def test_a_copy_found_wrong_is_written_again_from_a_card_as_recorded(tmp_path: Path) -> None:
    """The control: a card file still as its record, the copy wrong by its size is written
    again and verified."""
    card, dest, reports = tmp_path / "C", tmp_path / "D", tmp_path / "reports"
    data = os.urandom(1 << 20)
    write(card / CLIP, data)
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    with (dest / "C" / CLIP).open("r+b") as f:
        f.truncate(1000)
    result = run("copy", "--reverify", card, dest, "--report-dir", reports)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (dest / "C" / CLIP).read_bytes() == data


@pytest.mark.parametrize("order", ["D1 D2", "D2 D1"])
def test_a_rewrite_is_refused_when_the_destinations_record_the_card_differently(
    tmp_path: Path, order: str
) -> None:
    """D1 recorded the card file as it was; the card then changed (its size and date kept),
    and D2, offloaded alone in a later run, recorded the changed bytes (with D1 on the
    command line, its copy trusted, the card's file is read against D1's entry and D2 not
    written: ``offload.trusted_copies``). Both copies found wrong by size under
    ``--reverify``: the two records of the card disagree, so neither copy is written again,
    whatever the order of the destinations, and the line says the records disagree. Failed
    before: by order, exit 2 with D2's line blaming D1's record; or exit 0, D1 rewritten
    with bytes unlike its own record."""
    card, reports = tmp_path / "C", tmp_path / "reports"
    one, two = tmp_path / "D1", tmp_path / "D2"
    write(card / CLIP, os.urandom(1 << 20))
    one.mkdir()
    two.mkdir()
    assert run("copy", card, one, "--report-dir", reports).returncode == 0
    corrupt_keeping_size_and_mtime(card / CLIP)
    assert run("copy", card, one, two, "--report-dir", reports).returncode == 1
    assert not (two / "C" / CLIP).exists()
    assert run("copy", card, two, "--report-dir", reports).returncode == 0
    copies = {name: tmp_path / name / "C" / CLIP for name in ("D1", "D2")}
    for copy in copies.values():
        with copy.open("r+b") as f:
            f.truncate(1000)
    wrong = {name: copy.read_bytes() for name, copy in copies.items()}
    dests = [tmp_path / name for name in order.split()]
    verify = ("--verify", "destination")
    result = run("copy", "--reverify", *verify, card, *dests, "--report-dir", reports)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    for name, copy in copies.items():
        assert copy.read_bytes() == wrong[name], f"{name} written again: {out}"
    (file,) = newest_report(reports)["files"]
    for there in file["destinations"]:
        assert there["status"] == "failed", there
        assert "records of it disagree" in there["error"], there
        assert "check the card" in there["error"], there


@pytest.mark.parametrize("mode", ["full", "destination"])
def test_reverify_verifies_a_copy_as_recorded_whatever_the_card_and_the_mode(
    tmp_path: Path, mode: str
) -> None:
    """The card file changed since the offload (its size and date kept), D1's copy rotted,
    D2's still holds what was offloaded. Both ``--verify`` modes say the same: D2's copy is
    verified (read back now equal to its record: proven against the offload, not the card,
    so at destination level), D1's failed, and the card's file failed at the source (exit 1,
    do not format the card); D2's ASC MHL history records its copy as it is, never failed.
    Failed before: full mode failed D2's copy too ("2 copies failed"); ``--verify
    destination`` recorded D2's copy ``failed`` in its history with the card's new digest
    (a WARNING said so), and ``offload verify`` of D2 then called the good copy a mismatch."""
    card, reports = tmp_path / "C", tmp_path / "reports"
    one, two = tmp_path / "D1", tmp_path / "D2"
    write(card / CLIP, os.urandom(300 << 10))
    write(card / "CLIPS/B.mov", os.urandom(1000))
    one.mkdir()
    two.mkdir()
    assert run("copy", card, one, two, "--report-dir", reports).returncode == 0
    offloaded = (two / "C" / CLIP).read_bytes()
    corrupt_keeping_size_and_mtime(card / CLIP)
    corrupt_keeping_size_and_mtime(one / "C" / CLIP, at=100)
    verify = ("--verify", mode)
    result = run("copy", "--reverify", *verify, card, one, two, "--report-dir", reports)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert (two / "C" / CLIP).read_bytes() == offloaded
    assert "records CLIPS/C.mov as failed" not in out, out
    (file,) = (f for f in newest_report(reports)["files"] if f["path"] == CLIP)
    assert str(card / CLIP) in file["source_error"] and "check the card" in file["source_error"]
    first, second = file["destinations"]
    assert first["status"] == "failed", first
    assert (second["status"], second["action"]) == ("verified", "rechecked"), second
    assert second["verified_mode"] == "destination", second
    assert "Do not format the card" in out, out
    # D2's records (ledger, ASC MHL) hold its copy as what it is: offload verify agrees.
    checked = run("verify", two / "C")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    newest = sorted((two / "C" / "ascmhl").glob("0002_*.mhl"))
    assert not newest or 'action="failed"' not in newest[0].read_text(), newest[0].read_text()
