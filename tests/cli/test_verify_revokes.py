"""``offload verify`` that finds a copy wrong revokes the ledger's record of it, so the next
plain ``offload copy`` does not trust it as "verified earlier" (``offload.verify_revoke``).
Real copies and checks by the CLI, in this process; the copy changed as a bit flip that keeps
its size and modification time, what the ledger's quick check cannot see."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.lock import lock_copy_roots
from support import held_process
from support.ascmhl_judge import AscmhlJudge
from support.cards import corrupt_keeping_size_and_mtime, partials_under
from support.offload_cli import newest_report


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue(), err.getvalue()


@contextmanager
def offload_started_during_the_check(monkeypatch: pytest.MonkeyPatch, root: Path) -> Iterator[None]:
    """Another run takes *root*'s lock once the check has read the copy, before it revokes
    (an ``offload copy`` started during the check): a check started while the copy root is
    held is refused before its reads (``verify_lock``), so the lock is taken then."""
    from offload.cli import verify_cmd

    revoke = verify_cmd._revoke

    def revoke_while_held(*args: Any, **kwargs: Any) -> Any:
        with lock_copy_roots([root]):
            return revoke(*args, **kwargs)

    monkeypatch.setattr(verify_cmd, "_revoke", revoke_while_held)
    yield


def copied(tmp_path: Path) -> tuple[Path, Path]:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.MOV").write_bytes(os.urandom(60_000))
    (card / "CLIPS" / "C002.MOV").write_bytes(os.urandom(30_000))
    (card / "CLIPS" / "C003.MOV").write_bytes(os.urandom(20_000))
    (tmp_path / "dest").mkdir()
    code, _, err = run("copy", "--quiet", card, tmp_path / "dest")
    assert code == 0, err
    return card, tmp_path / "dest" / "A001"


def ledger_states(root: Path) -> list[tuple[str, str]]:
    lines = (root / ".offload" / "ledger.jsonl").read_text().splitlines()
    return [(e["relative_path"], e["state"]) for e in map(json.loads, lines)]


def test_a_copy_found_changed_is_not_verified_earlier_after_the_check(tmp_path: Path) -> None:
    """Failed before, at the check's words: it changed no record ("this copy root's ledger
    still vouches ... (a check changes no record)"); run by hand, the next plain `offload
    copy` then said every file verified, the changed copy "verified earlier", exit 0."""
    card, root = copied(tmp_path)
    changed = root / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(changed)
    (root / "CLIPS" / "C002.MOV").unlink()
    reports = tmp_path / "reports"

    code, out, err = run("verify", "--report-dir", reports, root)

    assert code != 0, out + err
    said = " ".join(err.split())
    assert f"CHANGED {changed}" in said and f"MISSING {root / 'CLIPS' / 'C002.MOV'}" in said
    assert (
        "WARNING: this check revoked this copy root's ledger record of the 1 copy it found "
        "changed or unreadable: no `offload copy` trusts it as verified earlier any more" in said
    ), said
    assert "still vouches" not in said, said
    (saved,) = reports.glob("verify_*.json")
    data = json.loads(saved.read_text())
    # The missing copy keeps its entry: no run trusts it (it is copied again), and a check
    # against the ledger still names it missing.
    assert data["revoked"] == ["CLIPS/C001.MOV"], data["revoked"]
    assert ledger_states(root)[-1] == ("CLIPS/C001.MOV", "revoked")
    assert ("CLIPS/C002.MOV", "revoked") not in ledger_states(root)

    # The next plain copy: the changed copy is read back, not trusted, and refused (it is
    # not the card's file), the missing one copied again, the good one still trusted.
    code, out, err = run("copy", "--json", "--report-dir", tmp_path / "jobs", card, root.parent)
    assert code != 0, err
    events = [json.loads(line) for line in out.splitlines()]
    outcomes = {  # each file's last outcome line (docs/json.md)
        e["relative_path"]: e
        for e in events
        if e["event"] in ("file_verified", "file_verified_earlier", "file_failed")
    }
    assert outcomes["CLIPS/C001.MOV"]["event"] == "file_failed", outcomes
    # Its refusal names the repair: the revocation kept which copy it ended.
    assert (
        "offload verify found the copy at this name wrong and revoked its record in this copy "
        "root's ledger: it is not the card's file; --reverify replaces it once the new copy "
        "is verified (as --overwrite does), --keep-both keeps both"
        in (outcomes["CLIPS/C001.MOV"]["message"])
    ), outcomes["CLIPS/C001.MOV"]
    assert outcomes["CLIPS/C002.MOV"]["event"] == "file_verified", outcomes
    assert outcomes["CLIPS/C003.MOV"]["event"] == "file_verified_earlier", outcomes
    assert changed.read_bytes() != (card / "CLIPS" / "C001.MOV").read_bytes()

    # --overwrite restores a good copy, and the check passes.
    code, _, err = run("copy", "--quiet", "--overwrite", card, root.parent)
    assert code == 0, err
    assert changed.read_bytes() == (card / "CLIPS" / "C001.MOV").read_bytes()
    code, out, err = run("verify", "--report-dir", reports, root)
    assert code == 0, out + err


def test_a_check_that_cannot_revoke_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another offload holds the copy root (as a read-only drive refuses the append): the
    check revokes nothing, says so in one line and in the report's notes, and still tells
    that a plain copy trusts the changed copy."""
    _, root = copied(tmp_path)
    corrupt_keeping_size_and_mtime(root / "CLIPS" / "C001.MOV")
    before = (root / ".offload" / "ledger.jsonl").read_bytes()

    with offload_started_during_the_check(monkeypatch, root):
        code, out, err = run("verify", "--json", "--report-dir", tmp_path / "reports", root)

    assert code != 0, err
    assert (root / ".offload" / "ledger.jsonl").read_bytes() == before
    data = json.loads(out)
    assert data["revoked"] == []
    (note,) = [n for n in data["notes"] if "was not revoked" in n]
    assert note.startswith(
        "the copy root's ledger record of the 1 copy found changed was not revoked: copy root "
    ), note
    assert "is in use by another offload" in note and "--reverify" in note, note


def test_a_check_that_cannot_revoke_counts_only_the_copies_it_meant_to_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two copies found changed: one that kept its size and date (its record revoked, were
    the copy root not held), one edited since (its date changed: trusted by no run, never
    revoked). The note counts the one. Failed before: "the 2 copies found changed was not
    revoked" (every changed copy counted, as though a plain copy still trusted both)."""
    _, root = copied(tmp_path)
    corrupt_keeping_size_and_mtime(root / "CLIPS" / "C001.MOV")
    edited = root / "CLIPS" / "C002.MOV"
    corrupt_keeping_size_and_mtime(edited)
    st = edited.stat()
    os.utime(edited, ns=(st.st_atime_ns, st.st_mtime_ns + 3_600 * 10**9))  # an hour later

    with offload_started_during_the_check(monkeypatch, root):
        code, out, err = run("verify", "--json", "--report-dir", tmp_path / "reports", root)

    assert code != 0, err
    data = json.loads(out)
    assert data["revoked"] == []
    (note,) = [n for n in data["notes"] if "was not revoked" in n]
    assert note.startswith(
        "the copy root's ledger record of the 1 copy found changed was not revoked: copy root "
    ), note


def test_a_check_that_cannot_revoke_prints_no_empty_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: after the one line saying the record was not revoked (another offload
    holds the copy root here; a read-only copy root's EROFS takes the same path), the check
    printed a bare "WARNING: " line, the list of what a plain copy still trusts being empty."""
    _, root = copied(tmp_path)
    corrupt_keeping_size_and_mtime(root / "CLIPS" / "C001.MOV")

    with offload_started_during_the_check(monkeypatch, root):
        code, _, err = run("verify", "--report-dir", tmp_path / "reports", root)

    assert code != 0, err
    assert "was not revoked" in err, err
    lines = err.splitlines()
    assert all(line.strip() not in ("WARNING:", "ERROR:") for line in lines), err


def test_a_copy_edited_since_its_record_is_revoked_and_said_so(tmp_path: Path) -> None:
    """A copy an app edited since it was recorded (same size, its date now): the check finds
    it changed and revokes its record all the same, keeping which copy it was
    (``verify_revoke``: its entry would still say the copy root holds this card's verified
    copy, which ``card_beside`` reads from the ledger alone); its words say it was revoked,
    not that a plain copy trusts a copy that kept its size and date; the next plain copy
    refuses it naming ``--reverify``, which replaces it. Failed before (found in QA, a RED
    card's R3D segment edited in place): "this copy root's ledger still records 1 copy
    found wrong above, not revoked (...): a plain `offload copy` of the card trusts a
    changed copy that kept its size and date", a risk this copy does not run; then (45th
    pass) its record was left standing, a copy found changed still vouched for."""
    card, root = copied(tmp_path)
    edited = root / "CLIPS" / "C001.MOV"
    st = edited.stat()
    data = bytearray(edited.read_bytes())
    data[1000] ^= 0x01
    edited.write_bytes(bytes(data))
    os.utime(edited, ns=(st.st_atime_ns, st.st_mtime_ns + 3_600 * 10**9))  # an hour later

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", root)

    assert code == 11, out + err
    said = " ".join(err.split())
    assert f"CHANGED {edited}" in said, said
    assert "a plain `offload copy` of the card trusts" not in said, said
    assert (
        "WARNING: this check revoked this copy root's ledger record of the 1 copy it found "
        "changed or unreadable: no `offload copy` trusts it as verified earlier any more; "
        "`offload copy --reverify` of the card reads it back against the card and replaces "
        "it if it differs" in said
    ), said
    assert ledger_states(root)[-1] == ("CLIPS/C001.MOV", "revoked")

    code, out, err = run("copy", "--report-dir", tmp_path / "jobs", card, root.parent)
    assert code != 0, err
    said = " ".join(err.split())
    assert "offload verify found the copy at this name wrong and revoked its record" in said
    assert "--reverify replaces it" in said, said
    code, _, err = run("copy", "--quiet", "--reverify", card, root.parent)
    assert code == 0, err
    assert edited.read_bytes() == (card / "CLIPS" / "C001.MOV").read_bytes()


def test_reverify_repairs_a_copy_the_check_found_wrong_without_overwrite(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """After ``offload verify`` found a copy wrong (a bit flipped, its size and date kept)
    and revoked its record, ``offload copy --reverify`` of the card, the documented repair,
    reads it back, finds it wrong and replaces it once the new copy is verified: no
    ``--overwrite``. The revocation carries the entry it ended on a second line (its own
    key: an older version skips it and reads the plain ``revoked`` line before it). Failed
    before: --reverify read it back as a file no ledger vouches for and refused it (exit
    1, "an earlier offload revoked the copy at this name ... --overwrite replaces it")."""
    card, root = copied(tmp_path)
    changed = root / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(changed)
    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "reports", root)
    assert code == 11 and json.loads(out)["revoked"] == ["CLIPS/C001.MOV"], out + err
    plain, carrying = map(
        json.loads, (root / ".offload" / "ledger.jsonl").read_text().splitlines()[-2:]
    )
    assert plain == {**plain, "relative_path": "CLIPS/C001.MOV", "state": "revoked"}
    assert "revoked_copy" not in plain, plain  # what every version reads
    assert carrying["state"] == "revoked" and carrying["revoked_copy"]["state"] == "verified"
    assert carrying["revoked_copy"]["relative_path"] == "CLIPS/C001.MOV", carrying
    assert carrying["revoked_copy"]["size_bytes"] == 60_000, carrying

    code, out, err = run(
        "copy", "--reverify", "--json", "--report-dir", tmp_path / "jobs", card, root.parent
    )
    assert code == 0, out + err
    events = [json.loads(line) for line in out.splitlines()]
    outcomes = {
        e["relative_path"]: e
        for e in events
        if e["event"] in ("file_verified", "file_verified_earlier", "file_failed")
    }
    assert {p: e["event"] for p, e in outcomes.items()} == dict.fromkeys(
        ("CLIPS/C001.MOV", "CLIPS/C002.MOV", "CLIPS/C003.MOV"), "file_verified"
    ), outcomes
    (warning,) = [
        e for e in events if e["event"] == "warning_issued" and "no longer matches" in e["message"]
    ]
    assert f"{changed} was found wrong by offload verify" in warning["message"], warning
    assert changed.read_bytes() == (card / "CLIPS" / "C001.MOV").read_bytes()
    last = {e["relative_path"]: e for e in map(json.loads, ledger_lines(root))}
    assert last["CLIPS/C001.MOV"]["state"] == "verified", last["CLIPS/C001.MOV"]
    assert "revoked_copy" not in last["CLIPS/C001.MOV"]

    # The copy and its manifests are right: offload verify and ascmhl both pass.
    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "reports", root)
    assert code == 0, out + err
    assert json.loads(out)["revoked"] == [] and json.loads(out)["reference"] == "ascmhl"
    checked = judge.verify(root)
    assert checked.clean, checked.describe()


def ledger_lines(root: Path) -> list[str]:
    return (root / ".offload" / "ledger.jsonl").read_text().splitlines()


def test_reverify_does_not_replace_a_revoked_copy_of_another_card_file(tmp_path: Path) -> None:
    """The card's file at that name is not the one the revoked copy was made from (changed
    on the card since, keeping its size and date: another fingerprint): the ledger's record
    does not make the copy ours for this file, so --reverify reads it back like any file no
    ledger vouches for and refuses it, the copy kept as it is."""
    card, root = copied(tmp_path)
    changed = root / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(changed)
    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "reports", root)
    assert code == 11 and json.loads(out)["revoked"] == ["CLIPS/C001.MOV"], out + err
    source = card / "CLIPS" / "C001.MOV"
    st = source.stat()
    source.write_bytes(os.urandom(60_000))  # another file now, of the same size and date
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    kept = changed.read_bytes()

    code, out, err = run(
        "copy", "--reverify", "--json", "--report-dir", tmp_path / "jobs", card, root.parent
    )
    assert code == 1, out + err
    (failed,) = [
        json.loads(line) for line in out.splitlines() if json.loads(line)["event"] == "file_failed"
    ]
    assert failed["relative_path"] == "CLIPS/C001.MOV", failed
    assert "not overwritten" in failed["message"], failed
    assert changed.read_bytes() == kept


def test_a_copy_unlike_only_its_legacy_mhl_keeps_its_ledger_record(tmp_path: Path) -> None:
    """A card's legacy MHL records A.mov as ``<null/>`` with size 4999; the card's file and
    its copy are 5000 bytes and the ledger records them so. The check names the copy unlike
    that MHL (``changed``, exit 11), but the copy is as the ledger recorded it: its record is
    not revoked. Failed before: ``revoked`` listed it (no digest shared with the MHL's
    record, so the change counted as proved against offload-ai's own records)."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A.mov").write_bytes(os.urandom(5000))
    (tmp_path / "dest").mkdir()
    # A.mov copied and recorded first; the MHL added to the card after (an offload now
    # refuses a card file of another size than its legacy record: the copy would not be made
    # with the MHL there), copied by a re-run that trusts A.mov from the ledger.
    code, _, err = run("copy", "--quiet", card, tmp_path / "dest")
    assert code == 0, err
    (card / "CLIPS" / "A001.mhl").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
        "  <hash>\n    <file>A.mov</file>\n    <size>4999</size>\n    <null/>\n"
        "    <hashdate>2024-05-01T10:01:00Z</hashdate>\n  </hash>\n</hashlist>\n",
        encoding="utf-8",
    )
    code, _, err = run("copy", "--quiet", card, tmp_path / "dest")
    assert code in (0, 1), err
    root = tmp_path / "dest" / "A001"
    before = ledger_states(root)
    assert ("CLIPS/A.mov", "verified") in before
    assert ("CLIPS/A001.mhl", "verified") in before
    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", root)
    report = json.loads(out)
    assert code == 11, err
    assert [c["path"] for c in report["changed"]] == ["CLIPS/A.mov"]
    assert report["reasons"]["CLIPS/A.mov"]["code"] == "legacy-mhl-mismatch"
    assert report["revoked"] == []
    assert ledger_states(root) == before


def test_the_offloading_line_counts_the_copies_found_wrong_that_it_may_copy_again(
    tmp_path: Path,
) -> None:
    """A copy ``offload verify`` revoked, then ``--reverify`` or ``--keep-both``: failed
    before, the line said "0 to copy (0 bytes), 3 copies already there to read back" and the
    run then copied it again (beside it with --keep-both). Now the line counts it, and how
    much it may write; a plain run, which refuses it, says nothing of a copy again."""
    card, root = copied(tmp_path)
    corrupt_keeping_size_and_mtime(root / "CLIPS" / "C001.MOV")
    code, _, err = run("verify", "--report-dir", tmp_path / "reports", root)
    assert code != 0 and "this check revoked" in err, err
    size = "60.0 kB"
    # Each run on a clone of the copy root (``copytree``): its two good copies are not the
    # files the ledger recorded (``ledger.same_file``), read back too.
    for option, beside, shown in (
        ("--reverify", "", "3 copies already there to read back, 1 of them"),
        ("--keep-both", " beside it", "3 copies already there to read back, 1 of them"),
        (None, None, "3 copies already there to read back"),
    ):
        dest = tmp_path / f"dest{option}"
        shutil.copytree(root.parent, dest, symlinks=True)
        code, _, err = run(
            "copy", *([option] if option else []), "--report-dir", tmp_path / "jobs", card, dest
        )
        (line,) = [line for line in err.splitlines() if line.startswith("Offloading")]
        assert f"0 to copy (0 bytes), {shown}" in line, line
        if option is None:
            assert code != 0 and "found wrong before" not in line, line
            continue
        # --keep-both keeps the damaged copy at the card file's name: exit 1 (README).
        assert code == (1 if option == "--keep-both" else 0), err
        assert line.endswith(
            " found wrong before (by offload verify or an earlier offload): copied again"
            f"{beside} if still wrong ({size})"
        ), line


def test_the_reverify_line_and_dry_run_count_a_copy_found_wrong_after_its_date_changed(
    tmp_path: Path,
) -> None:
    """QA (the first hour, 38th pass): one copy found CHANGED by ``offload verify`` and
    revoked, one whose content and date changed since (an app edited it after the check:
    not revoked, its entry standing). Failed before: ``--reverify``'s line said "1 of them
    found wrong before ... (60.0 kB)" and the run rewrote both (90 kB); its dry run called
    the revoked copy "a copy of ours whose date changed", which it was not. Now the line
    counts the other as a copy of ours whose date changed, and the dry run says which is
    which. (A copy found changed by the check is revoked whatever its date: below, both.)"""
    card, root = copied(tmp_path)
    corrupt_keeping_size_and_mtime(root / "CLIPS" / "C001.MOV")
    code, _, err = run("verify", "--report-dir", tmp_path / "reports", root)
    assert code == 11 and "revoked this copy root's ledger record of the 1 copy" in err, err
    dated = root / "CLIPS" / "C002.MOV"
    corrupt_keeping_size_and_mtime(dated)
    os.utime(dated, ns=(dated.stat().st_atime_ns, dated.stat().st_mtime_ns + 3600 * 10**9))
    jobs = ("--report-dir", tmp_path / "jobs")

    code, _, err = run("copy", "--reverify", "--dry-run", *jobs, card, root.parent)
    assert code == 0, err
    said = " ".join(err.split())
    assert "CLIPS/C001.MOV: found wrong before (" in said, said
    assert f"CLIPS/C002.MOV: a copy of ours whose date changed ({dated} has another date" in said
    assert "C001.MOV: a copy of ours whose date changed" not in said, said

    code, _, err = run("copy", "--reverify", *jobs, card, root.parent)
    assert code == 0, err
    (line,) = [line for line in err.splitlines() if line.startswith("Offloading")]
    assert line.endswith(
        "0 to copy (0 bytes), 3 copies already there to read back, 1 of them found wrong "
        "before (by offload verify or an earlier offload): copied again if still wrong "
        "(60.0 kB), 1 of them a copy of ours whose date changed since its ledger recorded "
        "it: copied again if it differs (30.0 kB)"
    ), line
    for name in ("C001.MOV", "C002.MOV"):
        assert (root / "CLIPS" / name).read_bytes() == (card / "CLIPS" / name).read_bytes()


def test_a_copy_found_changed_after_its_date_changed_is_revoked_and_reverify_replaces_it(
    tmp_path: Path,
) -> None:
    """Two copies found CHANGED by one check, one with its date kept, one whose date had
    changed too: both revoked, each keeping which copy it was, so ``--reverify``'s dry run
    and line say both were found wrong before, and the run replaces both. Failed before:
    the one whose date changed was not revoked (its entry still vouched for it)."""
    card, root = copied(tmp_path)
    corrupt_keeping_size_and_mtime(root / "CLIPS" / "C001.MOV")
    dated = root / "CLIPS" / "C002.MOV"
    corrupt_keeping_size_and_mtime(dated)
    os.utime(dated, ns=(dated.stat().st_atime_ns, dated.stat().st_mtime_ns + 3600 * 10**9))
    code, _, err = run("verify", "--report-dir", tmp_path / "reports", root)
    assert code == 11 and "revoked this copy root's ledger record of the 2 copies" in err, err
    assert "changed its date since" not in err, err
    jobs = ("--report-dir", tmp_path / "jobs")

    code, _, err = run("copy", "--reverify", "--dry-run", *jobs, card, root.parent)
    assert code == 0, err
    said = " ".join(err.split())
    for name in ("C001.MOV", "C002.MOV"):
        assert f"CLIPS/{name}: found wrong before (" in said, said
    assert "a copy of ours whose date changed" not in said, said

    code, _, err = run("copy", "--reverify", *jobs, card, root.parent)
    assert code == 0, err
    (line,) = [line for line in err.splitlines() if line.startswith("Offloading")]
    assert line.endswith(
        "0 to copy (0 bytes), 3 copies already there to read back, 2 of them found wrong "
        "before (by offload verify or an earlier offload): copied again if still wrong "
        "(90.0 kB)"
    ), line
    for name in ("C001.MOV", "C002.MOV"):
        assert (root / "CLIPS" / name).read_bytes() == (card / "CLIPS" / name).read_bytes()
    code, _, err = run("verify", "--report-dir", tmp_path / "reports", root)
    assert code == 0, err


def offloaded_then_reread_in_md5(
    tmp_path: Path, size: int, *, reread: bool = True
) -> tuple[Path, list[Path]]:
    """A card (its C001.MOV of *size* bytes: one over 128 KiB is changed between the two
    ends its fingerprint samples) offloaded to two copy roots in the default format, then
    read back with ``-t md5``: the copies' ledger entries record md5 only since (not
    *reread*: xxh64 only)."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True, exist_ok=True)  # (a mount made first: ``faulty_fs``)
    (card / "CLIPS" / "C001.MOV").write_bytes(os.urandom(size))
    (card / "CLIPS" / "C002.MOV").write_bytes(os.urandom(30_000))
    dests = [tmp_path / "d1", tmp_path / "d2"]
    for dest in dests:
        dest.mkdir(exist_ok=True)  # (d1 may be a mount made first: ``faulty_fs``)
    for options in ((), ("-t", "md5")) if reread else ((),):
        code, _, err = run("copy", "--quiet", *options, card, *dests)
        assert code == 0, err
    return card, [dest / "A001" for dest in dests]


def events_of(out: str) -> tuple[dict[tuple[str, int], dict[str, Any]], list[dict[str, Any]]]:
    """The JSON lines of a run: each file's outcome by path and destination, every event."""
    events = [json.loads(line) for line in out.splitlines()]
    outcomes = {
        (e["relative_path"], e["destination_index"]): e
        for e in events
        if e["event"] in ("file_verified", "file_verified_earlier", "file_failed")
    }
    return outcomes, events


WRONG_WAYS = ("found wrong by offload verify", "grown since")


def made_wrong(root: Path, how: str, tmp_path: Path) -> Path:
    """The copy of C001.MOV under *root* made wrong *how* (``WRONG_WAYS``): a byte flipped,
    its size and date kept, then found wrong by ``offload verify`` (its record revoked and
    kept: ``Ledger.found_wrong_copy``); or bytes appended (``Ledger.changed_copy``)."""
    copy = root / "CLIPS" / "C001.MOV"
    if how == WRONG_WAYS[1]:
        with copy.open("ab") as handle:
            handle.write(b"appended")
        return copy
    corrupt_keeping_size_and_mtime(copy)
    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "reports", root)
    assert code == 11 and json.loads(out)["revoked"] == ["CLIPS/C001.MOV"], out + err
    return copy


@pytest.mark.parametrize("how", WRONG_WAYS)
def test_reverify_repairs_a_copy_of_ours_found_wrong_after_a_change_of_hash_format(
    tmp_path: Path, judge: AscmhlJudge, how: str
) -> None:
    """The QA repro: copies read back with ``-t md5`` (their entries record md5 only), one
    then found wrong (by ``offload verify``, or grown since). The plain run in the default
    format refuses it, nothing written, read back as a file to adopt (never "copied"), its
    refusal naming --reverify; --reverify replaces it, the card's file checked against the
    md5 record first (hashed in md5 too in the check's read of it), and the copy root's
    manifests pass ``offload verify`` and ascmhl. Failed before: the lookups of a copy of
    ours asked its entry for an xxh64 digest it does not record, so both runs took the
    copy as a file not ours ("--overwrite ..., --keep-both ...", never --reverify) and
    --reverify refused it (exit 1), the copy left wrong."""
    card, (root, other) = offloaded_then_reread_in_md5(tmp_path, 60_000)
    copy = made_wrong(root, how, tmp_path)
    wrong = copy.read_bytes()

    code, out, err = run(
        "copy",
        "--json",
        "--report-dir",
        tmp_path / "plain",
        card,
        *[r.parent for r in (root, other)],
    )
    assert code == 1, out + err
    outcomes, _ = events_of(out)
    assert outcomes["CLIPS/C001.MOV", 0]["event"] == "file_failed", outcomes
    assert "--reverify" in outcomes["CLIPS/C001.MOV", 0]["message"], outcomes
    if how == WRONG_WAYS[0]:
        (saved,) = (tmp_path / "plain").glob("*.json")
        refused = next(
            f for f in json.loads(saved.read_text())["files"] if f["path"] == "CLIPS/C001.MOV"
        )
        # Read back as a file to adopt, never "copied" (docs/json.md's ``action``).
        assert [(d["status"], d["action"]) for d in refused["destinations"]] == [
            ("failed", "adopted"),
            ("verified", "adopted"),
        ], refused
    assert copy.read_bytes() == wrong

    code, out, err = run(
        "copy",
        "--reverify",
        "--json",
        "--report-dir",
        tmp_path / "jobs",
        card,
        root.parent,
        other.parent,
    )
    assert code == 0, out + err
    outcomes, events = events_of(out)
    assert {p: e["event"] for p, e in outcomes.items()} == {
        ("CLIPS/C001.MOV", 0): "file_verified",
        ("CLIPS/C001.MOV", 1): "file_verified",
        ("CLIPS/C002.MOV", 0): "file_verified",
        ("CLIPS/C002.MOV", 1): "file_verified",
    }, outcomes
    (warning,) = [
        e for e in events if e["event"] == "warning_issued" and "no longer matches" in e["message"]
    ]
    assert "only from the card's file as the ledger recorded it" in warning["message"], warning
    assert copy.read_bytes() == (card / "CLIPS" / "C001.MOV").read_bytes()
    for checked in (root, other):
        code, out, err = run("verify", "--json", "--report-dir", tmp_path / "reports", checked)
        assert code == 0 and json.loads(out)["revoked"] == [], out + err
        judged = judge.verify(checked)
        assert judged.clean, judged.describe()


@pytest.mark.parametrize("how", WRONG_WAYS)
def test_reverify_after_a_change_of_hash_format_refuses_a_card_file_changed_since(
    tmp_path: Path, how: str
) -> None:
    """As above, the card's file then changed between the ends its fingerprint samples, its
    size and date kept: unlike the md5 record, nothing is written from it, anywhere; the
    wrong copy is kept as it is, and no line says it verified. Failed before the review of
    16065771 (reverted): the card's read in xxh64 compared nothing with the md5 record and
    the copy was written over, exit 0, "verified"."""
    card, (root, other) = offloaded_then_reread_in_md5(tmp_path, 300_000)
    copy = made_wrong(root, how, tmp_path)
    wrong = copy.read_bytes()
    kept = (other / "CLIPS" / "C001.MOV").read_bytes()
    corrupt_keeping_size_and_mtime(card / "CLIPS" / "C001.MOV", at=200_000)

    code, out, err = run(
        "copy",
        "--reverify",
        "--json",
        "--report-dir",
        tmp_path / "jobs",
        card,
        root.parent,
        other.parent,
    )
    assert code == 1, out + err
    outcomes, events = events_of(out)
    failed = outcomes["CLIPS/C001.MOV", 0]
    assert failed["event"] == "file_failed", outcomes
    assert "md5" in failed["message"] and "kept" in failed["message"], failed
    assert outcomes["CLIPS/C001.MOV", 1]["event"] == "file_failed", outcomes
    assert not [
        e
        for e in events
        if "verified" in e["event"] and e.get("relative_path") == ("CLIPS/C001.MOV")
    ], events
    assert copy.read_bytes() == wrong
    assert (other / "CLIPS" / "C001.MOV").read_bytes() == kept
    assert not partials_under(root.parent) and not partials_under(other.parent)


def test_a_card_file_changed_after_the_check_that_matched_its_md5_record_is_not_written(
    tmp_path: Path,
) -> None:
    """As above, the card's file found as its md5 record by the check (its xxh64 taken from
    that read), then changed before the rewrite reads it (size and date kept): the rewrite's
    read is compared with the check's in xxh64 and fails, nothing written, its line naming
    that read as what was expected, never the ledger (which records no xxh64)."""
    from offload.card import OffloadOptions, offload
    from offload.events import Event, WarningIssued

    card, (root, other) = offloaded_then_reread_in_md5(tmp_path, 300_000)
    copy = made_wrong(root, WRONG_WAYS[0], tmp_path)
    wrong = copy.read_bytes()
    clip = card / "CLIPS" / "C001.MOV"

    class ChangeTheCardOnceChecked:
        def emit(self, event: Event) -> None:
            if isinstance(event, WarningIssued) and "no longer matches" in event.message:
                corrupt_keeping_size_and_mtime(clip, at=200_000)

    report = offload(
        card,
        [root.parent, other.parent],
        options=OffloadOptions(reverify=True),
        sink=ChangeTheCardOnceChecked(),
    )
    assert report.exit_code != 0
    (failed,) = [f for f in report.job.files if f.relative_path == "CLIPS/C001.MOV"]
    assert failed.source_error is not None
    assert failed.source_error.startswith(
        f"{clip} does not match its read earlier in this run, which matched the ledger's "
        "record of it in md5 (its copy verified on "
    ), failed.source_error
    assert "the card's file changed since that read" in failed.source_error, failed.source_error
    assert copy.read_bytes() == wrong
    assert not partials_under(root.parent)


@pytest.mark.parametrize("swapped", [False, True], ids=["xxh64-first", "md5-first"])
def test_records_of_two_formats_that_disagree_write_the_card_file_nowhere(
    tmp_path: Path, swapped: bool
) -> None:
    """The card's file changed between two offloads (size, date and fingerprint kept): one
    drive's record is xxh64 of the old bytes, the other's md5 of the new (``-t md5``).
    Both copies then wrong (the first drive's grown, the second's found wrong by ``offload
    verify``): the card's file reads as the md5 record, not as the xxh64 one, so
    --reverify writes it on neither drive, and every line says the records disagree,
    naming the xxh64 record's copy. Failed before: the check's xxh64 read, bridging the
    md5 record, took the place of the xxh64 record in the rewrite's reference, and both
    copies were written from bytes that record never saw (exit 0); then (md5-first, the
    review of fixrev61) the lines said the card no longer matched "the ledger's record of
    it (its copy verified on <the md5 drive's date>...)", the xxh64 digest expected being
    the other drive's record."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    clip = card / "CLIPS" / "C001.MOV"
    clip.write_bytes(os.urandom(300_000))
    first, second = tmp_path / "d1", tmp_path / "d2"
    for dest in (first, second):
        dest.mkdir()
    old, new = (second, first) if swapped else (first, second)
    assert run("copy", "--quiet", card, old)[0] == 0
    corrupt_keeping_size_and_mtime(clip, at=200_000)
    assert run("copy", "--quiet", "-t", "md5", card, new)[0] == 0
    grown = made_wrong(first / "A001", WRONG_WAYS[1], tmp_path)
    found = made_wrong(second / "A001", WRONG_WAYS[0], tmp_path)
    before = grown.read_bytes(), found.read_bytes()

    code, out, err = run(
        "copy", "--reverify", "--json", "--report-dir", tmp_path / "jobs", card, first, second
    )
    assert code == 2, out + err  # the card's file failed (ExitCode.FAILED)
    outcomes, _ = events_of(out)
    for i in (0, 1):
        failed = outcomes["CLIPS/C001.MOV", i]
        assert failed["event"] == "file_failed", outcomes
        assert "the destinations' records of it disagree" in failed["message"], failed
        assert str(old / "A001" / "CLIPS" / "C001.MOV") in failed["message"], failed
    assert (grown.read_bytes(), found.read_bytes()) == before


@pytest.mark.fault
@pytest.mark.parametrize("card_changed", [False, True], ids=["card-as-recorded", "card-changed"])
def test_an_unreadable_copy_of_ours_after_a_change_of_hash_format(
    tmp_path: Path, faulty_fs: Any, card_changed: bool
) -> None:
    """The copies read back with ``-t md5`` (their entries record md5 only), d1's copy found
    wrong by ``offload verify``, then unreadable (EIO on every read of it: FaultyFS, no page
    cache). --reverify (of d1 alone) writes a new copy in its place only from a card file read as
    the md5 record: as it, replaced and verified, exit 0; changed since (size, date and
    fingerprint kept), the card's failure in md5's words, the unreadable copy kept, nothing
    written. The changed case failed before 860a2dce (the card was compared with the
    record only once the copy was read): the engine's fail-closed line instead of the card
    file's, and no test had caught it (review of fixrev61, LOW 4)."""
    drive = faulty_fs(mountpoint=tmp_path / "d1", direct_io=True)
    card, (root, other) = offloaded_then_reread_in_md5(tmp_path, 300_000)
    copy = made_wrong(root, WRONG_WAYS[0], tmp_path)
    wrong = copy.read_bytes()
    kept = (other / "CLIPS" / "C001.MOV").read_bytes()
    if card_changed:
        corrupt_keeping_size_and_mtime(card / "CLIPS" / "C001.MOV", at=200_000)
    bad = drive.fail("read", errno.EIO, path="A001/CLIPS/C001.MOV")

    code, out, err = run(
        "copy", "--reverify", "--json", "--report-dir", tmp_path / "jobs", card, root.parent
    )
    assert drive.fired(bad) >= 1
    drive.remove(bad)
    outcomes, _ = events_of(out)
    if not card_changed:
        assert code == 0, out + err
        assert outcomes["CLIPS/C001.MOV", 0]["event"] == "file_verified", outcomes
        assert copy.read_bytes() == (card / "CLIPS" / "C001.MOV").read_bytes()
        return
    assert code != 0, out + err
    failed = outcomes["CLIPS/C001.MOV", 0]
    assert failed["event"] == "file_failed", outcomes
    assert "differs from what was verified" in failed["message"], failed
    assert "md5" in failed["message"], failed
    assert copy.read_bytes() == wrong
    assert (other / "CLIPS" / "C001.MOV").read_bytes() == kept
    assert not partials_under(root.parent) and not partials_under(other.parent)


@pytest.mark.parametrize(
    ("reread", "formats"),
    [(True, ()), (False, ("-t", "xxh64,md5"))],
    ids=["md5-only-record", "partly-shared-record"],
)
def test_intact_copies_of_a_card_file_changed_since_their_record_are_kept(
    tmp_path: Path, reread: bool, formats: tuple[str, ...]
) -> None:
    """The copies' entries record md5 only (read back with ``-t md5``), or xxh64 only in a
    run asking xxh64 and md5; the card's file then changed in place (size, date and
    fingerprint kept: bit rot, a bad reader). Each intact copy, found different from the
    card, is compared with its entry of this very card file: the card's failure in the
    words the default format's check uses, each copy kept, nothing written, with or
    without --overwrite or --keep-both (exit 1, ExitCode.PARTIAL: C002.MOV verified; nothing
    written beside them either). Failed before: each
    copy was refused as "already exists with other content; not overwritten (--overwrite
    replaces it ...)", and --overwrite then replaced the only good copies with the card's
    changed bytes, exit 0, "verified"."""
    card, roots = offloaded_then_reread_in_md5(tmp_path, 300_000, reread=reread)
    copies = [root / "CLIPS" / "C001.MOV" for root in roots]
    kept = [copy.read_bytes() for copy in copies]
    clip = card / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(clip, at=200_000)
    recorded = "md5" if reread else "xxh64"

    for policy in ((), ("--overwrite",), ("--keep-both",)):
        code, out, err = run(
            "copy", "--json", "--report-dir", tmp_path / "jobs", *policy, *formats, card,
            *[root.parent for root in roots],
        )  # fmt: skip
        assert code == 1, out + err
        outcomes, _ = events_of(out)
        for index, copy in enumerate(copies):
            failed = outcomes["CLIPS/C001.MOV", index]
            message = failed["message"]
            assert failed["event"] == "file_failed", outcomes
            assert message.startswith(f"{clip} differs from what was verified on "), message
            assert f" ({recorded} " in message, message
            assert f"{copy} is kept as it is, neither adopted nor written over" in message
        assert [copy.read_bytes() for copy in copies] == kept, policy
        # Nothing written beside them either (--keep-both): the card's bytes are unproven.
        assert [sorted(p.name for p in copy.parent.iterdir()) for copy in copies] == [
            ["C001.MOV", "C002.MOV"]
        ] * 2, policy
        assert not partials_under(roots[0].parent) and not partials_under(roots[1].parent)


def test_a_copy_equal_to_a_card_file_found_unlike_its_record_elsewhere_is_not_adopted(
    tmp_path: Path,
) -> None:
    """As above (entries in md5 only, the card's file changed in place), a third drive
    holding a copy of the card's file as it is now (``cp``, no ledger): equal to the card,
    it is kept, neither adopted nor written over, as the card's failure found by d1's and
    d2's copies says (a check comparing the card with its record first keeps it so). Failed
    before this commit's settle: adopted, "verified" now, from bytes nothing verified."""
    card, roots = offloaded_then_reread_in_md5(tmp_path, 300_000)
    clip = card / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(clip, at=200_000)
    third = tmp_path / "d3" / "A001" / "CLIPS" / "C001.MOV"
    third.parent.mkdir(parents=True)
    shutil.copy2(clip, third)

    code, out, err = run(
        "copy", "--json", "--report-dir", tmp_path / "jobs", card,
        *[root.parent for root in roots], tmp_path / "d3",
    )  # fmt: skip
    assert code == 1, out + err
    outcomes, _ = events_of(out)
    kept = outcomes["CLIPS/C001.MOV", 2]
    assert kept["event"] == "file_failed", outcomes
    assert kept["message"].startswith(f"{clip} differs from what was verified on "), kept
    assert f"{third} is kept as it is, neither adopted nor written over" in kept["message"]
    ledger = (tmp_path / "d3" / "A001" / ".offload" / "ledger.jsonl").read_text()
    assert "CLIPS/C001.MOV" not in ledger, ledger
    # No read proved a copy of it: the report claims no second read of the card's file
    # (its digests, the re-read's, how it avoided the cache), as d3's equal copy's had.
    (clip_report,) = [
        f for f in newest_report(tmp_path / "jobs")["files"] if f["path"] == "CLIPS/C001.MOV"
    ]
    assert clip_report["digests"] == {}, clip_report
    assert clip_report["source_reread_digests"] == {}, clip_report
    assert clip_report["source_cache_bypass"] == "not-read", clip_report


@pytest.mark.parametrize(
    ("size", "reread"),
    [(300_000, True), (100_000, True), (100_000, False)],
    ids=["clip-md5-record", "sidecar-md5-record", "sidecar"],
)
def test_a_card_file_changed_where_its_fingerprint_reads_is_refused_without_overwrite(
    tmp_path: Path, size: int, reread: bool
) -> None:
    """As above (entries in md5 only, or in the run's format), the card's file changed in
    its first 64 KiB (size and date kept; a file of 128 KiB or less, a sidecar, anywhere:
    its fingerprint is all of it): its fingerprint is no longer its entry's, so nothing
    tells it from another file of this name, size and date; the intact copy is refused in
    the words a run in the entry's own format gives it, --overwrite not offered, the copy
    kept. Failed before: "already exists with other content; not overwritten (--overwrite
    replaces it once the new copy is verified ...)", the advice that replaces the only good
    copy with the card's changed bytes; and (the sidecar's, this commit's) "(another card,
    or this card shot again)" alone, "the first or last 64 KiB" of a file read whole."""
    card, roots = offloaded_then_reread_in_md5(tmp_path, size, reread=reread)
    corrupt_keeping_size_and_mtime(card / "CLIPS" / "C001.MOV", at=100)
    copy = roots[0] / "CLIPS" / "C001.MOV"
    kept = copy.read_bytes()

    code, out, err = run(
        "copy", "--json", "--report-dir", tmp_path / "jobs", card, roots[0].parent
    )  # fmt: skip
    assert code == 1, out + err
    outcomes, _ = events_of(out)
    refused = outcomes["CLIPS/C001.MOV", 0]["message"]
    assert refused.startswith(
        f"{copy} already exists with other content; this copy root's ledger records a copy of "
        "a file of this name, size and date, verified there on "
    ), refused
    read = (
        "the first or last 64 KiB of this card's file, read now, differ"
        if size > 128 * 1024
        else "this card's file, read now whole, differs"
    )
    assert (
        f"{read} from that file's (another card, this card shot again, or this card's file "
        "changed since it was copied)"
    ) in refused, refused
    assert "--overwrite replaces it" not in refused, refused
    assert copy.read_bytes() == kept


@pytest.mark.parametrize("changed", ["card file shot again", "copy damaged"])
def test_a_copy_that_is_not_this_card_file_is_refused_or_overwritten_as_before(
    tmp_path: Path, changed: str
) -> None:
    """The controls of the test above, entries in md5 only: a card file shot again (another
    date: no entry is of it), refused as other content; or the card's file as its record
    and d1's copy damaged in place (the card read again in md5, as recorded: the copy is
    what differs), refused in those words, with and without --reverify, naming a run in md5
    with --reverify, which repairs it. --overwrite, asked for, replaces the file shot
    again's copy with the card's file, exit 0; it is never advised for it (the copy there is
    the one the ledger vouches for, an earlier take: ``remedies.earlier_copy``). The damaged
    copy failed before (the related untrue word): "differs from what this copy root's ASC
    MHL history records ...; not overwritten, as no ledger entry there records it as ours",
    an entry there recording it in md5."""
    card, roots = offloaded_then_reread_in_md5(tmp_path, 300_000)
    clip = card / "CLIPS" / "C001.MOV"
    copy = roots[0] / "CLIPS" / "C001.MOV"
    if changed == "card file shot again":
        clip.write_bytes(os.urandom(300_000))
        os.utime(clip, ns=(clip.stat().st_atime_ns, clip.stat().st_mtime_ns + 3_600 * 10**9))
        # The copy there is the one its entry vouches for, still as recorded: named so,
        # --overwrite never offered (it would replace the old take's copy), still obeyed.
        words = (
            f"{copy} already exists with other content; not overwritten (this copy root's "
            "ledger records the file there as a copy an earlier offload made of a card file "
            "of this name verified on "
        )
    else:
        corrupt_keeping_size_and_mtime(copy, at=200_000)
        words = (
            f"{copy} differs from the card's file, which reads as this copy root's ledger "
            "recorded it (md5 "
        )
    before = copy.read_bytes()

    # The damaged copy's refusal names a run in md5 with --reverify too, which repairs it.
    repair = ("--reverify", "-t", "md5") if changed == "copy damaged" else ("--overwrite",)
    for policy in ((), ("--reverify",), repair):
        code, out, err = run(
            "copy", "--json", "--report-dir", tmp_path / "jobs", *policy, card,
            *[root.parent for root in roots],
        )  # fmt: skip
        outcomes, _ = events_of(out)
        if policy != repair:
            assert code == 1, out + err
            refused = outcomes["CLIPS/C001.MOV", 0]
            message = refused["message"]
            assert refused["event"] == "file_failed", outcomes
            assert message.startswith(words), message
            assert ("--overwrite replaces it" in message) is (changed == "copy damaged"), message
            assert "no ledger entry there records it" not in message, message
            if repair != ("--overwrite",):
                assert "; -t md5 with --reverify replaces it as a copy of ours)" in message
            assert copy.read_bytes() == before
        else:
            assert code == 0, out + err
            assert copy.read_bytes() == clip.read_bytes()


@pytest.mark.fault
def test_a_default_rerun_after_md5_reads_the_card_no_more_than_before(
    tmp_path: Path, faulty_fs: Any
) -> None:
    """The card on FaultyFS (every read reaching it, no page cache), offloaded then read
    back with ``-t md5``; the next default run adopts each copy, equal to the card: the
    card's clip is opened three times and read whole once, as before the fix above (its
    entries in md5 are consulted only once a copy is found different:
    ``ExistingCopy.card_entry``), never read again for them."""
    drive = faulty_fs(mountpoint=tmp_path / "A001", direct_io=True)
    card, roots = offloaded_then_reread_in_md5(tmp_path, 300_000)
    drive.oplog(clear=True)

    code, out, err = run(
        "copy", "--quiet", "--report-dir", tmp_path / "jobs", card, *[r.parent for r in roots]
    )
    assert code == 0, out + err
    read: dict[str, int] = {}
    opened: dict[str, int] = {}
    for op in drive.oplog():
        if op.op == "read":
            read[op.path] = read.get(op.path, 0) + int(op.detail.split("+")[1])
        elif op.op == "open":
            opened[op.path] = opened.get(op.path, 0) + 1
    clip = "CLIPS/C001.MOV"
    assert opened.get(clip) == 3 and 300_000 <= read[clip] < 2 * 300_000, (opened, read)


@pytest.mark.fault
@pytest.mark.parametrize(
    ("nth", "fault"),
    [(2, "EIO"), (3, "EIO"), (2, "changed"), (3, "changed")],
    ids=[
        "fingerprint-unreadable",
        "md5-reread-unreadable",
        "changed-at-fingerprint",
        "changed-at-md5-reread",
    ],
)
def test_a_card_file_unreadable_when_compared_with_its_entry_keeps_the_copy(
    tmp_path: Path, faulty_fs: Any, nth: int, fault: str
) -> None:
    """As above (entries in md5 only, the card's clip changed in place), the card on
    FaultyFS: the run's read of the clip succeeds (each copy found different from it), then
    the read again for its entry fails once (EIO), or finds the clip changed since the scan
    (its date moved while that read is held): its fingerprint's (*nth* 2), or its md5's (3).
    The card's error, each copy kept, with --overwrite too (exit 1: nothing proves which of
    them changed). EIO at the fingerprint failed before: read as "" and the copy's refusal
    left as it stood, "other content", which --overwrite replaced with the card's changed
    bytes (exit 0, "verified", the only good copies lost); the others passed before, kept
    as guards (``_sample_again`` and ``_read_again``'s error paths)."""
    drive = faulty_fs(mountpoint=tmp_path / "A001", direct_io=True)
    card, roots = offloaded_then_reread_in_md5(tmp_path, 300_000)
    clip = card / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(clip, at=200_000)
    copies = [root / "CLIPS" / "C001.MOV" for root in roots]
    kept = [copy.read_bytes() for copy in copies]
    # (The 1st read at 0: the run's; the 2nd: the fingerprint's; the 3rd: the md5 re-read.)
    rule = drive.add_rule(
        "read",
        "error" if fault == "EIO" else "stall",
        path="CLIPS/C001.MOV",
        errno=errno.EIO if fault == "EIO" else None,
        offset=0,
        length=1,
        nth=nth,
    )

    def change_while_held() -> None:
        drive.wait_stalled(rule, timeout_s=60)
        backing = drive.backing / "CLIPS" / "C001.MOV"
        st = backing.stat()
        os.utime(backing, ns=(st.st_atime_ns, st.st_mtime_ns + 2 * 10**9))
        drive.release(rule)

    changer = threading.Thread(target=change_while_held)
    if fault == "changed":
        changer.start()
    code, out, err = run(
        "copy", "--json", "--report-dir", tmp_path / "jobs", "--overwrite", card,
        *[root.parent for root in roots],
    )  # fmt: skip
    if fault == "changed":
        changer.join()
    assert code == 1, out + err
    outcomes, _ = events_of(out)
    said = (
        f"cannot read source {clip}: Input/output error (EIO)"
        if fault == "EIO"
        else f"source {clip} changed since the scan"
    )
    for index in range(2):
        failed = outcomes["CLIPS/C001.MOV", index]
        assert failed["event"] == "file_failed", outcomes
        assert failed["message"] == said, failed
    assert [copy.read_bytes() for copy in copies] == kept
    assert not partials_under(roots[0].parent) and not partials_under(roots[1].parent)


def shift_card_dates(card: Path, by_ns: int = 3_600 * 10**9) -> None:
    """Every file of *card* dated *by_ns* later (an hour: the card read under another time
    zone, FAT holding local time)."""
    for path in card.rglob("*"):
        if path.is_file():
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + by_ns))


@pytest.mark.parametrize(
    ("made", "formats"),
    [("clone", ()), ("zone", ()), ("zone", ("-t", "md5"))],
    ids=["cp-a-clone", "zone-shift", "zone-shift-md5"],
)
def test_intact_copies_no_entry_vouches_for_are_kept_from_a_card_file_changed_since(
    tmp_path: Path, made: str, formats: tuple[str, ...]
) -> None:
    """Copies whose entries record the card's file but vouch for nothing: d2's copy root a
    ``cp -a`` of d1's (new inodes: ``ledger.same_file``), or every card file dated an hour
    later (a zone shift: ADOPT, ``ledger_entry`` "zone"; entries in the run's format, or in
    md5 only); the card's clip then changed in place (size, date and fingerprint kept).
    Each intact copy read back, found different from the card, is compared with its entry
    of this card file: the card's failure, each copy kept, with --overwrite too (exit 1).
    Failed before: "already exists with other content (read back: not the file an earlier
    run verified there, a copy of it?)" or "... ASC MHL history records ...", and
    --overwrite replaced the intact copies with the card's changed bytes, exit 0."""
    card, roots = offloaded_then_reread_in_md5(tmp_path, 300_000, reread=bool(formats))
    if made == "clone":
        shutil.rmtree(roots[1])
        subprocess.run(["cp", "-a", roots[0], roots[1]], check=True)
    clip = card / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(clip, at=200_000)
    if made == "zone":
        shift_card_dates(card)
    copies = [root / "CLIPS" / "C001.MOV" for root in roots]
    kept = [copy.read_bytes() for copy in copies]

    code, out, err = run(
        "copy", "--json", "--report-dir", tmp_path / "jobs", "--overwrite", card,
        *[root.parent for root in roots],
    )  # fmt: skip
    assert code == 1, out + err
    outcomes, _ = events_of(out)
    # (The clone's source, d1's copy root, still trusted from its ledger: the card unread.)
    for index in (1,) if made == "clone" else (0, 1):
        failed = outcomes["CLIPS/C001.MOV", index]
        message = failed["message"]
        assert failed["event"] == "file_failed", outcomes
        assert message.startswith(f"{clip} differs from what was verified on "), message
        assert f"{copies[index]} is kept as it is, neither adopted nor written over" in message
    assert [copy.read_bytes() for copy in copies] == kept
    assert not partials_under(roots[0].parent) and not partials_under(roots[1].parent)


@pytest.mark.parametrize("formats", [(), ("-t", "md5")], ids=["zone-shift", "zone-shift-md5"])
def test_a_damaged_copy_after_a_zone_shift_is_still_replaced_by_overwrite(
    tmp_path: Path, formats: tuple[str, ...]
) -> None:
    """The control of the test above: the card as offloaded (its dates an hour later), d1's
    copy damaged in place. The card's file reads as its entry: the copy is what differs,
    refused as before (the card's content its history records at that path, "the copy
    there is damaged"), and --overwrite replaces it from the card, exit 0."""
    card, roots = offloaded_then_reread_in_md5(tmp_path, 300_000, reread=bool(formats))
    clip = card / "CLIPS" / "C001.MOV"
    copy = roots[0] / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(copy, at=200_000)
    shift_card_dates(card)

    for policy in ((), ("--overwrite",)):
        code, out, err = run(
            "copy", "--json", "--report-dir", tmp_path / "jobs", *policy, card,
            *[root.parent for root in roots],
        )  # fmt: skip
        outcomes, _ = events_of(out)
        if policy:
            assert code == 0, out + err
            assert copy.read_bytes() == clip.read_bytes()
        else:
            assert code == 1, out + err
            refused = outcomes["CLIPS/C001.MOV", 0]["message"]
            assert refused.startswith(f"{copy} differs from what this copy root's ASC MHL"), refused
            assert "the copy there is damaged" in refused and "--overwrite replaces it" in refused


@pytest.mark.fault
@pytest.mark.timeout(120)
def test_a_cancel_while_the_card_file_is_read_again_for_its_entry_stops_that_read(
    tmp_path: Path, faulty_fs: Any
) -> None:
    """As above (entries in md5 only, the card's clip changed in place, the card on
    FaultyFS): Ctrl-C while the clip is read again in md5 for its entry (its first read held
    by FaultyFS). That read stops at its next chunk: each copy's check is cancelled, kept as
    it was (nothing compared, nothing written), the run cancelled (exit 130). Failed before:
    the re-read went on to its end unasked (no cancel between its reads) and both copies
    were settled as the card's failure after the cancel ("failed": 2)."""
    drive = faulty_fs(mountpoint=tmp_path / "A001", direct_io=True)
    card, roots = offloaded_then_reread_in_md5(tmp_path, 300_000)
    corrupt_keeping_size_and_mtime(card / "CLIPS" / "C001.MOV", at=200_000)
    copies = [root / "CLIPS" / "C001.MOV" for root in roots]
    kept = [copy.read_bytes() for copy in copies]
    # (The 1st read at 0: the run's; the 2nd: the fingerprint's; the 3rd: the md5 re-read.)
    held = drive.add_rule("read", "stall", path="CLIPS/C001.MOV", offset=0, length=1, nth=3)
    command = [
        Path(sys.executable).with_name("offload"), "copy", "--json", "--overwrite",
        "--report-dir", tmp_path / "jobs", card, *[root.parent for root in roots],
    ]  # fmt: skip
    process = held_process.start(command)
    held_process.signal_while_held(
        process,
        signal.SIGINT,
        wait_held=lambda: drive.wait_stalled(held, timeout_s=60),
        release=lambda: drive.release(held),
    )
    out, err = process.communicate(timeout=60)

    assert process.returncode == 130, out + err
    (report,) = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    # (C001's two checks stopped in that read; C002's, after it in each drive's turn, unread.)
    assert report["totals"]["results"] == {
        "verified": 0,
        "verified_earlier": 0,
        "transfer_checked": 0,
        "failed": 0,
        "cancelled": 4,
    }, report["totals"]
    assert [copy.read_bytes() for copy in copies] == kept


BESIDE_TRUSTED = ("deleted", "third-checked", "overwrite", "keep-both", "transfer", "md5")


@pytest.mark.parametrize("how", BESIDE_TRUSTED)
@pytest.mark.parametrize("changed", [True, False], ids=["card-file-changed", "card-as-offloaded"])
def test_a_copy_is_not_written_from_a_card_file_unlike_the_copy_trusted_elsewhere(
    tmp_path: Path, changed: bool, how: str
) -> None:
    """The card offloaded to d1 and d2; d1's copy of the clip deleted (or, *how*, replaced
    by a file of another size that ``--overwrite`` replaces or ``--keep-both`` writes
    beside; a third destination holding an unrecorded copy, read back by a check of its
    own; the runs in ``--verify transfer``; the entries in md5, ``-t md5``), d2's intact and
    trusted from its ledger. The card's clip changed in place (size, date and fingerprint
    kept): the engine's read of it for d1 is compared with d2's entry before d1's copy is
    committed; unlike it, the card's failure, nothing at d1's final name, no partial, d2's
    copy kept (exit 1). Failed before: d1 got the changed bytes, exit 0, "verified on
    every destination", the two copies unlike. The control: the card as offloaded, d1's
    copy written, exit 0. Nothing of d2's entry reaches d1's partial (the engine's
    reference is not it: ``offload.trusted_copies``)."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.MOV").write_bytes(os.urandom(300_000))
    (card / "CLIPS" / "C002.MOV").write_bytes(os.urandom(30_000))
    roots = [tmp_path / "d1", tmp_path / "d2"]
    for root in roots:
        root.mkdir()
    options = {"transfer": ["--verify", "transfer"], "md5": ["-t", "md5"]}.get(how, [])
    code, _, err = run("copy", "--quiet", *options, card, *roots)
    assert code == 0, err
    copies = [root / "A001" / "CLIPS" / "C001.MOV" for root in roots]
    intact = copies[1].read_bytes()
    clip = card / "CLIPS" / "C001.MOV"
    if how == "third-checked":
        third = tmp_path / "d3"
        shutil.copytree(roots[1], third, ignore=shutil.ignore_patterns(".offload*"))
        roots.append(third)
    if changed:
        corrupt_keeping_size_and_mtime(clip, at=200_000)
    if how in ("overwrite", "keep-both"):
        copies[0].write_bytes(b"in the way")
        options = [f"--{how}"]
    else:
        copies[0].unlink()

    code, out, err = run(
        "copy", "--json", *options, "--report-dir", tmp_path / "jobs", card, *roots
    )  # fmt: skip
    outcomes, _ = events_of(out)
    assert copies[1].read_bytes() == intact
    assert outcomes["CLIPS/C001.MOV", 1]["event"] == "file_verified_earlier", outcomes
    written = sorted(p.name for p in copies[0].parent.iterdir() if p.name.startswith("C001"))
    if not changed and how == "keep-both":
        # The file at d1's name replaced our copy (its size changed since its ledger
        # recorded it): --keep-both takes it up as --reverify does, our damaged copy kept
        # at the card's name, the new copy beside it, exit 1 (COPY FOUND DAMAGED).
        assert code == 1, out + err
        assert copies[0].read_bytes() == b"in the way"
        assert copies[0].with_name("C001 (1).MOV").read_bytes() == intact
        return
    if not changed:
        assert code == 0, out + err
        assert copies[0].read_bytes() == intact
        return
    assert code == 1, out + err
    assert written == ([] if how not in ("overwrite", "keep-both") else ["C001.MOV"]), written
    if written:
        assert copies[0].read_bytes() == b"in the way"
    assert not partials_under(roots[0])
    failed = outcomes["CLIPS/C001.MOV", 0]
    assert failed["event"] == "file_failed", outcomes
    copy = roots[1] / "A001" / "CLIPS" / "C001.MOV"
    if how == "keep-both":
        # Taken up as ours (its size changed): the card's file is read against d1's own
        # record first, unlike it, nothing written from it (``existing``'s words).
        assert failed["message"].startswith(
            f"{clip} does not match the ledger's record of it (its copy verified on "
        ), failed
        assert (
            "the card's file changed since; nothing was written from it" in (failed["message"])
        ), failed
        assert outcomes["CLIPS/C002.MOV", 0]["event"] == "file_verified_earlier", outcomes
        return
    if how == "transfer":
        assert failed["message"].startswith(f"{clip} and the record of it disagree ("), failed
        assert "when it was transfer-checked on " in failed["message"], failed
        assert "verified" not in failed["message"], failed
    else:
        assert failed["message"].startswith(f"{clip} differs from what was verified on "), failed
    assert (
        f"; the copy {'transfer-checked' if how == 'transfer' else 'verified'} on "
        in (failed["message"])
    )
    # A third destination's check read the card file first (``existing.check_existing``):
    # its target taken before the engine runs, in that check's words.
    then = (
        f"not copied to {copies[0]} (the card's bytes now are bytes nothing verified)"
        if how == "third-checked"
        else "nothing was written from it"
    )
    assert f" at {copy} is kept; {then}: check the card" in (failed["message"]), failed
    if how == "third-checked":
        third = outcomes["CLIPS/C001.MOV", 2]
        assert third["event"] == "file_failed", outcomes
        assert third["message"].startswith(f"{clip} differs from what was verified on "), third
    assert outcomes["CLIPS/C002.MOV", 0]["event"] == "file_verified_earlier", outcomes


@pytest.mark.parametrize("deleted", ["fast", "slow"])
def test_a_cascade_writes_no_copy_unlike_the_copy_trusted_on_the_other_side(
    tmp_path: Path, deleted: str
) -> None:
    """A cascade (d1 fast, ``--cascade-to`` d2) offloaded; the card's clip then changed in
    place (size, date and fingerprint kept) and one side's copy deleted. *fast* deleted,
    the slow copy trusted: the card is read to write the fast copy, compared with the slow
    copy's entry, unlike it the file fails, nothing at the fast copy's name, the slow copy
    kept (exit 1; failed before: the fast copy got the changed bytes, exit 0, both
    "verified"). *slow* deleted, the fast copy trusted: the card is not read for it; the
    slow copy is fed from the fast one, checked against the fast copy's entry (its
    reference: ``cascade``), so the two copies are the bytes offloaded (exit 0)."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.MOV").write_bytes(os.urandom(300_000))
    fast, slow = tmp_path / "d1", tmp_path / "d2"
    fast.mkdir()
    slow.mkdir()
    args = ("--report-dir", tmp_path / "jobs", card, fast, "--cascade-to", slow)
    code, _, err = run("copy", "--quiet", *args)
    assert code == 0, err
    copies = {
        "fast": fast / "A001" / "CLIPS" / "C001.MOV",
        "slow": slow / "A001" / "CLIPS" / "C001.MOV",
    }
    offloaded = copies["fast"].read_bytes()
    clip = card / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(clip, at=200_000)
    copies[deleted].unlink()

    code, out, err = run("copy", "--json", *args)
    outcomes, _ = events_of(out)
    kept = "slow" if deleted == "fast" else "fast"
    assert copies[kept].read_bytes() == offloaded
    if deleted == "slow":
        assert code == 0, out + err
        assert copies["slow"].read_bytes() == offloaded
        return
    assert code == 1, out + err
    assert not copies["fast"].exists()
    assert not partials_under(fast)
    failed = outcomes["CLIPS/C001.MOV", 0]
    assert failed["event"] == "file_failed", outcomes
    assert failed["message"].startswith(f"{clip} differs from what was verified on "), failed
    assert outcomes["CLIPS/C001.MOV", 1]["event"] == "file_verified_earlier", outcomes


def test_a_copy_is_not_written_beside_trusted_copies_whose_entries_disagree(
    tmp_path: Path,
) -> None:
    """d2 offloaded; the card's clip then changed in place (size, date and fingerprint
    kept) and d3 offloaded alone: both copies trusted, their entries unlike. A run adding
    d1 cannot write a copy like both: the file fails, saying the destinations' records of
    it disagree, nothing at d1's name, d2 and d3 kept (exit 1). Failed before: d1 got the
    card's bytes now, exit 0, three copies "verified", two of them alike."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.MOV").write_bytes(os.urandom(300_000))
    one, two, three = (tmp_path / name for name in ("d1", "d2", "d3"))
    for root in (one, two, three):
        root.mkdir()
    assert run("copy", "--quiet", card, two)[0] == 0
    clip = card / "CLIPS" / "C001.MOV"
    corrupt_keeping_size_and_mtime(clip, at=200_000)
    assert run("copy", "--quiet", card, three)[0] == 0
    copies = [root / "A001" / "CLIPS" / "C001.MOV" for root in (one, two, three)]
    before = [copy.read_bytes() for copy in copies[1:]]
    assert before[0] != before[1]

    code, out, err = run("copy", "--json", "--report-dir", tmp_path / "jobs", card, one, two, three)
    outcomes, _ = events_of(out)
    assert code == 1, out + err
    assert [copy.read_bytes() for copy in copies[1:]] == before
    assert not copies[0].exists()
    assert not partials_under(one)
    failed = outcomes["CLIPS/C001.MOV", 0]
    assert failed["event"] == "file_failed", outcomes
    assert failed["message"].startswith(
        f"{clip}: the destinations' records of it disagree (xxh64 "
    ), failed
    assert f" recorded with {copies[1]}, " in failed["message"], failed
    assert f" with {copies[2]}): the card changed between those offloads" in failed["message"]
    assert [outcomes["CLIPS/C001.MOV", i]["event"] for i in (1, 2)] == ["file_verified_earlier"] * 2


CHECKED_BESIDE_TRUSTED = (
    "adopt",
    "adopt-transfer",
    "adopt-beside-a-write",
    "upgrade",
    "upgrade-destination",
    "upgrade-card-restored",
)


@pytest.mark.parametrize("how", CHECKED_BESIDE_TRUSTED)
@pytest.mark.parametrize("changed", [True, False], ids=["card-file-changed", "card-as-offloaded"])
def test_a_copy_checked_beside_a_copy_trusted_elsewhere_is_not_verified_from_a_changed_card(
    tmp_path: Path, changed: bool, how: str
) -> None:
    """The card offloaded to d2 (and d1), its copy there trusted from d2's ledger; the card's
    clip changed in place since (size, date and fingerprint kept). A copy on d3 that a check
    reads the card for, not the engine (``existing.check_existing``): one made with ``cp``
    of the changed card, no ledger (ADOPT; *how*: in ``--verify transfer``; beside d1's
    copy deleted, which the engine writes), or one an earlier run transfer-checked from the
    changed card (UPGRADE, ``--verify full``; *how*: ``--verify destination``, which reads
    the copy alone; the card's clip restored before, so it reads as d2's entry and unlike
    d3's). The card file read unlike d2's entry (an ADOPT): the card's failure, in the words
    of one written beside a trusted copy; d3's entry unlike d2's (an UPGRADE): "the
    destinations' records of it disagree", whatever the card reads as, or if it is read;
    d3's copy kept as it is, neither adopted nor verified, d2's kept (exit 1; a second run
    says the same: nothing recorded d3's copy as verified). Failed before: exit 0 (1 for
    the card restored), d3 "verified" beside d2's copy of other bytes. The control: the
    card as offloaded, d3 verified now, exit 0."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.MOV").write_bytes(os.urandom(300_000))
    (card / "CLIPS" / "C002.MOV").write_bytes(os.urandom(30_000))
    d1, d2, d3 = (tmp_path / name for name in ("d1", "d2", "d3"))
    for root in (d1, d2, d3):
        root.mkdir()
    code, _, err = run("copy", "--quiet", card, d1, d2)
    assert code == 0, err
    clip = card / "CLIPS" / "C001.MOV"
    trusted = d2 / "A001" / "CLIPS" / "C001.MOV"
    intact = trusted.read_bytes()
    if changed:
        corrupt_keeping_size_and_mtime(clip, at=150_000)
    if how.startswith("upgrade"):
        code, _, err = run("copy", "--quiet", "--verify", "transfer", card, d3)
        assert code == 0, err
        if how == "upgrade-card-restored" and changed:
            corrupt_keeping_size_and_mtime(clip, at=150_000)  # (the byte flipped back)
    else:
        shutil.copytree(card, d3 / "A001")  # (copy2: dates kept, as cp -a)
    checked = d3 / "A001" / "CLIPS" / "C001.MOV"
    before = checked.read_bytes()
    roots = [d1, d2, d3] if how == "adopt-beside-a-write" else [d2, d3]
    if how == "adopt-beside-a-write":
        (d1 / "A001" / "CLIPS" / "C001.MOV").unlink()
    options = {
        "adopt-transfer": ["--verify", "transfer"],
        "upgrade-destination": ["--verify", "destination"],
    }.get(how, [])
    at_d2, at_d3 = roots.index(d2), roots.index(d3)
    for attempt in range(1 if not changed else 2):
        code, out, err = run(
            "copy", "--json", *options, "--report-dir", tmp_path / "jobs", card, *roots
        )  # fmt: skip
        outcomes, _ = events_of(out)
        assert trusted.read_bytes() == intact
        assert checked.read_bytes() == before
        assert outcomes["CLIPS/C001.MOV", at_d2]["event"] == "file_verified_earlier", outcomes
        if not changed:
            assert code == 0, out + err
            assert outcomes["CLIPS/C001.MOV", at_d3]["event"] == "file_verified", outcomes
            return
        assert code == 1, (attempt, out + err)
        failed = outcomes["CLIPS/C001.MOV", at_d3]
        assert failed["event"] == "file_failed", (attempt, outcomes)
        message = failed["message"]
        if how.startswith("upgrade"):
            assert message.startswith(f"{clip}: the destinations' records of it disagree ("), (
                message
            )
            assert f" recorded with {checked}, " in message, message
            assert f" with {trusted}): the card changed between those offloads" in message
        else:
            assert message.startswith(f"{clip} differs from what was verified on "), message
            assert f" at {trusted} is kept; " in message, message
        kept = (
            f"the copy {checked} matches its own record and is kept as it is, neither verified "
            "nor written over: check the card"
            if how.startswith("upgrade")
            else f"{checked} is kept as it is, neither adopted nor written over: check the card"
        )
        assert kept in message, message
        if how == "adopt-beside-a-write":
            assert outcomes["CLIPS/C001.MOV", 0]["event"] == "file_failed", outcomes
            assert not (d1 / "A001" / "CLIPS" / "C001.MOV").exists()
            assert not partials_under(d1)
        assert outcomes["CLIPS/C002.MOV", at_d3]["event"] in (
            ("file_verified", "file_verified_earlier")
        ), outcomes
