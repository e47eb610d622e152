"""``offload verify`` of a copy root whose ledger cannot be read while it finds a copy wrong
or cannot read it: which copies that ledger vouches for is unknown, so the footer says
neither that the ledger still records them nor that it does not ("not vouched for ...: no
`offload copy` trusts it"); the one line said is the revocation's, that nothing was revoked
and a plain `offload copy` still trusts such a copy (--reverify reads it back), which the
next plain copy proves true.

Real parts: the copy root is on a FaultyFS FUSE mount (``direct_io``): the ledger's open
fails EIO, a copy's read fails EIO, or the daemon is killed mid-read (ENOTCONN on every
call); a copy found changed has a byte flipped on the disk below, its date kept; the
commands run as subprocesses. Black-box QA found it (forty-fifth pass)."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.cli import verify_cmd
from offload.cli.common import Environment
from offload.cli.offload import main
from tests.support.faultyfs import FaultyFS

pytestmark = pytest.mark.fault

OFFLOAD = [sys.executable, "-m", "offload.cli.offload"]
CLIP = "CLIPS/A001C003.MOV"
LEDGER = "A001/.offload/ledger.jsonl"
# The line the QA found false: the ledger could not be read, so the copy was counted as one
# it does not record, and the next plain copy trusted it.
NOT_VOUCHED = "not vouched for"
NOT_REVOKED = "was not revoked: its ledger cannot be read"


def _run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OFFLOAD, *map(str, argv)], capture_output=True, text=True, timeout=120)


def _copied(tmp_path: Path, fs: FaultyFS) -> tuple[Path, Path]:
    """A card of six 700 kB clips, copied onto the disk below *fs* (no fault meets it);
    the card and the report folder."""
    card = tmp_path / "cards" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(1, 7):
        (card / "CLIPS" / f"A001C00{index}.MOV").write_bytes(os.urandom(700_000))
    reports = tmp_path / "reports"
    copied = _run("copy", "-q", "--report-dir", reports, card, fs.backing)
    assert copied.returncode == 0, copied.stderr
    return card, reports


def _damaged(copy: Path, change: Callable[[bytes], bytes]) -> None:
    """*copy* changed on the disk below the mount by *change*, its date kept."""
    dated = copy.stat()
    copy.write_bytes(change(copy.read_bytes()))
    os.utime(copy, ns=(dated.st_atime_ns, dated.st_mtime_ns))


def _trusted_by_the_next_copy(card: Path, fs: FaultyFS, reports: Path) -> None:
    """The next plain ``offload copy`` trusts the copy (verified earlier, not re-read), as
    the revocation's line says, and as "no `offload copy` trusts it" denied."""
    before = set(reports.glob("A001_*.json"))
    again = _run("copy", "-q", "--report-dir", reports, card, fs.mountpoint)
    assert again.returncode == 0, again.stderr
    (report,) = set(reports.glob("A001_*.json")) - before
    (clip,) = [f for f in json.loads(report.read_text())["files"] if f["path"] == CLIP]
    assert [d["status"] for d in clip["destinations"]] == ["verified_earlier"], clip


@pytest.mark.parametrize("fault", ["unreadable", "changed"])
def test_an_unreadable_ledger_leaves_no_copy_said_untrusted(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], fault: str
) -> None:
    """The ledger's open fails EIO; A001C003's read fails EIO (UNREADABLE), or its copy was
    damaged in place, its size and date kept (CHANGED): exit 11, the revocation's line
    names the copy and --reverify, and no line says it is not vouched for. Failed before:
    "1 unreadable copy is not vouched for by this copy root's ledger ...: no `offload copy`
    trusts it" (or "1 changed copy ..."), and the next plain copy trusted it."""
    fs = faulty_fs(direct_io=True)
    card, reports = _copied(tmp_path, fs)
    if fault == "changed":
        _damaged(fs.backing / "A001" / CLIP, lambda data: data[:350_000] + b"\0" + data[350_001:])
    else:
        fs.fail("read", errno.EIO, path=f"A001/{CLIP}")
    fs.fail("open", errno.EIO, path=LEDGER)
    checked = _run("verify", "--report-dir", reports, fs.mountpoint / "A001")
    err = checked.stderr
    assert checked.returncode == 11, err
    line = "ERROR: CHANGED" if fault == "changed" else "ERROR: UNREADABLE"
    assert any(x.startswith(line) and CLIP in x for x in err.splitlines()), err
    which = "found changed" if fault == "changed" else "it could not read"
    (revocation,) = [x for x in err.splitlines() if NOT_REVOKED in x]
    assert f"the 1 copy {which} was not revoked" in revocation, revocation
    assert "`offload copy --reverify` reads them back" in revocation, revocation
    assert NOT_VOUCHED not in err and "no `offload copy` trusts" not in err, err
    fs.clear()
    _trusted_by_the_next_copy(card, fs, reports)


def test_a_drive_killed_mid_check_leaves_no_copy_said_untrusted(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The drive's daemon is killed while A001C003 is read (ENOTCONN on every call from
    then on, the ledger's too): four copies UNREADABLE, exit 11, the revocation's line
    says the ledger could not be read, and no line says they are not vouched for. Failed
    before: "4 unreadable copies are not vouched for by this copy root's ledger ...: no
    `offload copy` trusts them"; the next plain copy trusted all four."""
    fs = faulty_fs(direct_io=True)
    card, reports = _copied(tmp_path, fs)
    stall = fs.stall("read", path=f"A001/{CLIP}", offset=300_000)
    process = subprocess.Popen(
        [*OFFLOAD, "verify", "--report-dir", str(reports), str(fs.mountpoint / "A001")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fs.wait_stalled(stall, timeout_s=60)
        fs.kill()
    finally:
        _, err = process.communicate(timeout=120)
    assert process.returncode == 11, err
    unreadable = [x for x in err.splitlines() if x.startswith("ERROR: UNREADABLE")]
    assert len(unreadable) == 4 and "ENOTCONN" in unreadable[-1], err
    assert "ledger record of the 4 copies it could not read was not revoked" in err, err
    assert NOT_VOUCHED not in err and "no `offload copy` trusts" not in err, err
    fs.remount()
    _trusted_by_the_next_copy(card, fs, reports)


def test_an_unreadable_ledger_names_both_ways_to_replace_a_copy_whose_size_changed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The ledger's open fails EIO and A001C003's copy was cut short, its date kept: exit
    11, and the footer names --reverify (the ledger, once readable, records it as ours)
    beside --overwrite, as the next plain copy's refusal does. Failed before: "refused by
    `offload copy` (another file in the way)", --overwrite alone, as if no ledger recorded
    it."""
    fs = faulty_fs(direct_io=True)
    card, reports = _copied(tmp_path, fs)
    _damaged(fs.backing / "A001" / CLIP, lambda data: data[:500_000])
    fs.fail("open", errno.EIO, path=LEDGER)
    checked = _run("verify", "--report-dir", reports, fs.mountpoint / "A001")
    err = checked.stderr
    assert checked.returncode == 11, err
    assert "another file in the way" not in err, err
    (line,) = [x for x in err.splitlines() if "1 copy whose size changed" in x]
    assert "`offload copy --reverify` replaces one this copy root's ledger records" in line
    assert "`offload copy --overwrite` any" in line, line
    fs.clear()
    again = _run("copy", "-q", "--report-dir", reports, card, fs.mountpoint)
    assert again.returncode == 1, again.stderr
    (refused,) = [x for x in again.stderr.splitlines() if x.startswith("ERROR:") and CLIP in x]
    assert "a copy of ours whose size changed" in refused and "--reverify replaces it" in refused


def test_a_ledger_lost_after_the_revocation_says_what_it_records_is_unknown(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A001C003's copy is one the ledger does not record (nothing to revoke; a copy
    whose date changed is revoked since verify_revoke revokes every copy found wrong at
    its name) and its read fails EIO; the revocation reads the ledger, revokes none, and the
    ledger then fails EIO (stat and open) before the footer counts: exit 11, one line says
    whether the ledger records that copy is unknown, and none that it is not vouched for
    (no revocation line said the ledger could not be read). Failed before: "1 unreadable
    copy is not vouched for by this copy root's ledger ...: no `offload copy` trusts it"."""
    fs = faulty_fs(direct_io=True)
    _copied(tmp_path, fs)
    ledger = fs.backing / LEDGER
    kept = [x for x in ledger.read_text("utf-8").splitlines(keepends=True) if CLIP not in x]
    ledger.write_text("".join(kept), "utf-8")
    fs.fail("read", errno.EIO, path=f"A001/{CLIP}")
    revoke = verify_cmd._revoke
    revocations: list[Any] = []

    def revoke_then_lose_the_ledger(*args: Any, **kwargs: Any) -> Any:
        revocations.append(revoke(*args, **kwargs))
        for op in ("getattr", "open"):
            fs.fail(op, errno.EIO, path=LEDGER)
        return revocations[-1]

    monkeypatch.setattr(verify_cmd, "_revoke", revoke_then_lose_the_ledger)
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["verify", "--report-dir", str(tmp_path / "reports"), str(fs.mountpoint / "A001")],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    said = err.getvalue()
    assert code == 11, said
    (revocation,) = revocations
    assert revocation is not None and not revocation.error and not revocation.revoked
    (line,) = [x for x in said.splitlines() if "whether it still records" in x]
    assert "this copy root's ledger could not be read (Input/output error (EIO))" in line
    assert "the 1 copy listed UNREADABLE above is unknown" in line, line
    assert NOT_VOUCHED not in said and "no `offload copy` trusts" not in said, said


def test_a_ledger_lost_after_the_revocation_never_calls_a_copy_compared_by_size_wrong(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A001C003 shot again at another size and replaced by ``--overwrite`` (the ledger
    records the new version, the copy's ASC MHL history the first): the check compares its
    size alone (CHANGED, ``replaced-since-recorded``: not read, neither proved intact nor
    wrong); the ledger then fails EIO (stat and open) after the revocation read it, before
    the footer counts: the footer's line says whether the ledger still records that copy,
    listed CHANGED by size alone, is unknown, never that it was found wrong. Failed before
    (review rev8_69, L1): "whether it still records the 1 copy found wrong above is
    unknown"."""
    fs = faulty_fs(direct_io=True)
    card, reports = _copied(tmp_path, fs)
    (card / CLIP).write_bytes(os.urandom(600_000))
    replaced = _run("copy", "-q", "--overwrite", "--report-dir", reports, card, fs.backing)
    assert replaced.returncode == 0, replaced.stderr
    revoke = verify_cmd._revoke

    def revoke_then_lose_the_ledger(*args: Any, **kwargs: Any) -> Any:
        revocation = revoke(*args, **kwargs)
        for op in ("getattr", "open"):
            fs.fail(op, errno.EIO, path=LEDGER)
        return revocation

    monkeypatch.setattr(verify_cmd, "_revoke", revoke_then_lose_the_ledger)
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["verify", "--report-dir", str(tmp_path / "v"), str(fs.mountpoint / "A001")],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    said = err.getvalue()
    assert code == 11, said
    (changed,) = [x for x in said.splitlines() if x.startswith("ERROR: CHANGED")]
    assert CLIP in changed and "a version of this size" in changed, changed
    (line,) = [x for x in said.splitlines() if "whether it still records" in x]
    assert "this copy root's ledger could not be read (Input/output error (EIO))" in line
    assert "the 1 copy listed CHANGED above by size alone is unknown" in line, line
    assert "found wrong" not in said, said
    assert NOT_VOUCHED not in said and "no `offload copy` trusts" not in said, said
