"""A run killed after its files were verified (the ledger holds them) but before its manifests
or reports were written: the next run writes the manifests that are missing, recording those
files as verified earlier, and sweeps the temporary files the dead run left. Real faults: a
real ``offload copy`` subprocess, SIGKILLed while an operation on a FaultyFS destination is
stalled; the reference tool (``ascmhl`` 1.2) judges every copy root afterwards."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest import unchained_own
from offload.manifest.history import c4_of_file
from support.ascmhl_judge import AscmhlJudge
from support.faultyfs import FaultyFS, signal_at_stalls

pytestmark = pytest.mark.fault

MIB = 1 << 20
CARD = {"CLIPS/C1.mov": 3 * MIB, "CLIPS/C2.mov": 200_000, "x.xml": 3000, "SUB/t.jpg": 40_000}


def make_card(root: Path, files: Mapping[str, int] = CARD) -> Path:
    """The card A001 in *root*: each file of *files* (its path in the card, its size) of
    random bytes. Returns its folder."""
    card = root / "A001"
    for relative, size in files.items():
        path = card / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return card


OFFLOAD = Path(sys.executable).with_name("offload")


def offload(*argv: str | Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue() + err.getvalue()


def offloaded_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *options: str,
    card: Path | None = None,
    dest: Path | None = None,
) -> tuple[Path, Path, Path]:
    """The run's reports in ``tmp_path/reports`` (``OFFLOAD_REPORT_DIR``); *card* (else card
    A001 of ``CARD``, made in ``tmp_path/card``) offloaded with *options* to *dest* (else a
    new folder ``tmp_path/D1``), exit 0 asserted: (card, dest, the copy root)."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    if card is None:
        card = make_card(tmp_path / "card")
    if dest is None:
        dest = tmp_path / "D1"
        dest.mkdir()
    code, output = offload("copy", *options, card, dest)
    assert code == 0, output
    return card, dest, dest / card.name


def kill_when_stalled(
    fs: FaultyFS,
    op: str,
    path: str,
    copy_args: list[Path],
    report_dir: Path,
    *,
    then_errno: int | None = None,
    command: tuple[str, ...] = ("copy",),
) -> None:
    """Run ``offload copy --quiet *copy_args*`` (or *command*, ``("verify", "--append")``)
    as a subprocess, stall the FaultyFS operation
    *op* on *path*, and SIGKILL the run once it is stalled there (the fault fires for real:
    waiting times out otherwise). The stalled operation, released after the kill, goes on
    (the kernel sent it before the process died), or fails with *then_errno*: as if the
    process had died before making it."""
    rule = fs.stall(op, path=path, then_errno=then_errno)
    process = subprocess.Popen(
        [str(OFFLOAD), *command, "--quiet", *map(str, copy_args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "OFFLOAD_REPORT_DIR": str(report_dir)},
    )
    try:
        fs.wait_stalled(rule, timeout_s=30)
    finally:
        process.send_signal(signal.SIGKILL)
        fs.release(rule)
        fs.clear()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def temp_files(root: Path) -> list[str]:
    return sorted(
        str(Path(folder, name).relative_to(root))
        for folder, _dirs, names in os.walk(root)
        for name in names
        if name.endswith(".partial")
    )


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("op", "path"),
    [
        ("mkdir", "A001/ascmhl"),  # the manifest step has begun: nothing of it written
        ("create", "A001/ascmhl/.0001_*"),  # the generation's temporary file made
        ("rename", "A001/ascmhl/.ascmhl_chain.xml.*"),  # the generation there, no chain
        ("create", "A001/.offload/reports/.A001_*.json.*"),  # manifests done, the report not
    ],
)
def test_killed_at_the_manifest_step_then_a_rerun_writes_them(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    judge: AscmhlJudge,
    monkeypatch: pytest.MonkeyPatch,
    op: str,
    path: str,
) -> None:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    dests = [fs.mountpoint, tmp_path / "D1", tmp_path / "D2"]
    for dest in dests[1:]:
        dest.mkdir()
    kill_when_stalled(fs, op, path, [card, *dests], tmp_path / "reports")
    roots = [dest / card.name for dest in dests]
    for root in roots:  # every file verified (the ledger), before any manifest
        ledger = (root / ".offload" / "ledger.jsonl").read_text().splitlines()
        assert len(ledger) >= len(CARD), root

    code, output = offload("copy", card, *dests)
    assert code == 0, output
    if op != "create" or "reports" not in path:  # the history was cut short on D0
        assert "stopped before writing its manifests" in output, output
    else:  # its report's partial removed and said once, as README promises (before: only
        # counted, ``removed_stray_partials``, no line)
        said = [line for line in output.splitlines() if "unfinished report file" in line]
        assert len(said) == 1 and said[0].startswith("WARNING: "), output
        assert str(roots[0] / ".offload" / "reports") in said[0], said
    for root in roots:
        assert temp_files(root) == [], root  # the dead run's temporary files swept
        verdict = judge.verify(root)
        assert verdict.clean, (root, verdict)
        code, output = offload("verify", root)
        assert code == 0, output
        assert "against ascmhl" in output
    # A third run finds every manifest complete: it writes none.
    before = [sorted(os.listdir(root / "ascmhl")) for root in roots]
    code, output = offload("copy", card, *dests)
    assert code == 0, output
    assert "stopped before writing" not in output
    assert [sorted(os.listdir(root / "ascmhl")) for root in roots] == before


def _chained(root: Path) -> list[str]:
    """The manifests ``ascmhl_chain.xml`` of *root* lists, in its order."""
    return re.findall(r"<path>([^<]*)</path>", (root / "ascmhl" / "ascmhl_chain.xml").read_text())


def _manifests(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "ascmhl").glob("*.mhl"))


def _left_unchained(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], command: tuple[str, ...]
) -> tuple[Path, Path, str, FaultyFS]:
    """A copy root on FaultyFS holding one generation (an offload of card A001), then a run
    of *command* (``copy`` of the card with a new clip, or ``verify --append``) SIGKILLed
    while its chain file's temporary is written: its new generation renamed into
    ``ascmhl/``, the chain listing the first alone; ``first copy``: the first offload so
    killed, no chain file at all. (card, the copy root, that manifest, the FaultyFS)."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    root = fs.mountpoint / card.name
    if command == ("first copy",):  # killed in the first offload: no chain file yet
        kill_when_stalled(
            fs, "write", "A001/ascmhl/.ascmhl_chain.xml.*", [card, fs.mountpoint],
            tmp_path / "reports",
        )  # fmt: skip
        assert not (root / "ascmhl" / "ascmhl_chain.xml").exists()
        (orphan,) = _manifests(root)
        return card, root, orphan, fs
    assert offload("copy", card, fs.mountpoint)[0] == 0
    (first,) = _manifests(root)
    if command == ("copy",):
        (card / "CLIPS" / "C9.mov").write_bytes(os.urandom(100_000))
        args = [card, fs.mountpoint]
    else:
        args = [root]
    kill_when_stalled(
        fs, "write", "A001/ascmhl/.ascmhl_chain.xml.*", args, tmp_path / "reports",
        command=command,
    )  # fmt: skip
    assert _chained(root) == [first]
    (orphan,) = set(_manifests(root)) - {first}
    return card, root, orphan, fs


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", [("first copy",), ("copy",), ("verify", "--append")])
def test_killed_between_a_generation_and_its_chain_entry_the_next_run_removes_it(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    judge: AscmhlJudge,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
) -> None:
    """A run killed after its new generation was renamed into ``ascmhl/`` and before the
    chain file listed it: the next run of the same command removes that manifest (the dead
    run's own: its C4 ID is the one recorded in ``.offload/`` before the rename; no chain
    ever vouched for it), says so in one line, and writes its own generation; ascmhl 1.2
    finds the history whole. Failed before: the manifest stayed unlisted for good, every
    run warned of it, ``verify --append`` refused (exit 31)."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card, root, orphan, _fs = _left_unchained(tmp_path, faulty_fs, command)
    first = command == ("first copy",)
    if first:
        command = ("copy",)
    args = [card, root.parent] if command == ("copy",) else [root]
    code, output = offload(*command, *args)
    assert code == 0, output
    said = [line for line in output.splitlines() if "removed ASC MHL manifest" in line]
    assert len(said) == 1 and orphan in said[0], output
    assert "not listed in" not in output, output
    assert _chained(root) == _manifests(root) and len(_manifests(root)) in (1, 2)
    assert not (root / ".offload" / "ascmhl-generation.json").exists()
    if command == ("copy",):  # verify --append sweeps no dead run's temporary (a copy does)
        assert temp_files(root) == []
    assert judge.verify(root).clean
    assert judge.info(root).clean
    code, output = offload("verify", root)
    assert code == 0 and "against ascmhl" in output and "not listed" not in output, output
    if command == ("copy",) and not first:  # the new clip, in the re-run's generation
        newest = (root / "ascmhl" / _manifests(root)[-1]).read_text()
        assert "CLIPS/C9.mov" in newest


@pytest.mark.timeout(120)
def test_an_unlisted_manifest_not_provably_the_dead_runs_is_kept(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The dead run's unlisted manifest changed since (its C4 ID no longer the recorded
    one): it is no longer provably ours, so it is kept, warned of as any manifest the chain
    does not list, and ``verify --append`` still refuses to build on it (exit 31)."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card, root, orphan, _fs = _left_unchained(tmp_path, faulty_fs, ("copy",))
    manifest = root / "ascmhl" / orphan
    manifest.write_bytes(manifest.read_bytes() + b"\n")
    kept = manifest.read_bytes()
    code, output = offload("copy", card, root.parent)
    assert code == 0, output
    assert manifest.read_bytes() == kept
    assert "is not listed in ascmhl_chain.xml" in output, output
    code, output = offload("verify", "--append", root)
    assert code == 31 and "does not list" in output, output
    assert manifest.read_bytes() == kept


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", [("copy",), ("verify", "--append")])
def test_a_dead_runs_manifest_that_cannot_be_asked_is_left_and_the_run_ends_whole(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
) -> None:
    """The dead run's unlisted manifest cannot be stat'ed (EIO) when the next run settles
    it: that run says it could not settle it, leaves it, and ends as any run does (its
    summary; a copy's job report). Failed before: Path.is_file raised, the run died after
    copying with a traceback (exit 1), no summary and no report."""
    reports = tmp_path / "reports"
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(reports))
    card, root, orphan, fs = _left_unchained(tmp_path, faulty_fs, ("copy",))
    before = set(reports.glob("*")) if reports.exists() else set()
    fs.fail("getattr", errno.EIO, path=f"A001/ascmhl/{orphan}")
    args = [card, root.parent] if command == ("copy",) else [root]
    code, output = offload(*command, *args)
    assert "Traceback" not in output and "Report: " in output, (code, output)
    assert f"could not settle ASC MHL manifest {root / 'ascmhl' / orphan}" in output, output
    if command == ("copy",):
        assert set(reports.glob("*")) - before, output  # its job report
    fs.clear()
    assert (root / "ascmhl" / orphan).exists()
    assert (root / ".offload" / "ascmhl-generation.json").exists()  # for the next run


@pytest.mark.timeout(120)
@pytest.mark.parametrize("another_unlisted", [False, True])
def test_verify_append_refused_after_its_settle_says_what_it_removed(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    monkeypatch: pytest.MonkeyPatch,
    another_unlisted: bool,
) -> None:
    """``verify --append`` removes the dead run's manifest and is then refused: no history
    left (the first offload killed before its chain: exit 64, offload copy named, which
    writes the generation from the ledger), or another unlisted manifest, not ours (exit
    31: the dead run's a second generation). The refusal says the removal. Failed before:
    the line went only into a finished report's notes; ascmhl/ was emptied, nothing said."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    killed = ("copy",) if another_unlisted else ("first copy",)
    card, root, orphan, _fs = _left_unchained(tmp_path, faulty_fs, killed)
    if another_unlisted:  # numbered before ours: nothing built on ours
        (root / "ascmhl" / "0001_A001_2026-12-05_000000Z.mhl").write_bytes(b"<hashlist/>")
    code, output = offload("verify", "--append", root)
    assert not (root / "ascmhl" / orphan).exists()
    assert f"removed ASC MHL manifest {root / 'ascmhl' / orphan}" in output, output
    if another_unlisted:
        assert code == 31, output  # refused: the history is not one to build on
    else:
        assert code == 64 and "run offload copy again" in output, output
        code, output = offload("copy", card, root.parent)
        assert code == 0 and _chained(root) == _manifests(root) != [], output


@pytest.mark.timeout(120)
def test_verify_after_a_first_offload_killed_before_its_chain_names_the_rerun(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    judge: AscmhlJudge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QA's repro: the first offload SIGKILLed after its generation was renamed into
    ``ascmhl/``, before any chain file. ``offload verify`` refuses it (exit 32, as
    ``ascmhl-debug verify``) and names the fix, the same ``offload copy`` again, touching
    nothing; done as said, the check passes. Failed before: "restore ascmhl/ from another
    copy of this card (or a backup)", or move ``ascmhl/`` out of the copy root."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card, root, orphan, _fs = _left_unchained(tmp_path, faulty_fs, ("first copy",))
    before = {p: p.read_bytes() for p in (root / "ascmhl").iterdir()}
    code, output = offload("verify", root)
    assert code == 32, output
    (line,) = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert f"missing ASC MHL chain file {root / 'ascmhl' / 'ascmhl_chain.xml'}" in line, line
    assert f"an offload was stopped after it wrote {orphan}" in line, line
    assert "run the same offload copy again" in line and "restore" not in line, line
    assert {p: p.read_bytes() for p in (root / "ascmhl").iterdir()} == before  # untouched
    assert offload("copy", card, root.parent)[0] == 0
    code, output = offload("verify", root)
    assert code == 0 and "against ascmhl" in output, output
    assert judge.verify(root).clean


@pytest.mark.timeout(120)
def test_verify_after_a_later_offload_killed_before_its_chain_entry_names_the_rerun(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A later offload SIGKILLed between its generation's rename and its chain entry:
    ``offload verify`` uses the unlisted manifest's records (as ascmhl does) and its warning
    says an offload was stopped and names the same ``offload copy`` again, touching
    nothing. Failed before: "a manifest added since the chain was written, or its chain
    entry removed", no fix named."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card, root, orphan, _fs = _left_unchained(tmp_path, faulty_fs, ("copy",))
    code, output = offload("verify", root)
    (said,) = [line for line in output.splitlines() if "is not listed in" in line]
    assert f"{orphan} is not listed in ascmhl_chain.xml: an offload was stopped" in said, said
    assert said.endswith("the same offload copy again removes it and writes its generation")
    assert (root / "ascmhl" / orphan).exists()
    assert offload("copy", card, root.parent)[0] == 0
    code, output = offload("verify", root)
    assert code == 0 and "not listed" not in output, output


@pytest.mark.timeout(120)
def test_killed_after_the_chain_before_the_record_was_cleared_keeps_the_generation(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    judge: AscmhlJudge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run SIGKILLed after its chain listed its generation, while the record's unlink is
    stalled: the record names a chained manifest with its true C4 ID. The re-run keeps it
    (chained: no dead run's leftover), says no removal, clears the record; ascmhl 1.2 finds
    the history whole."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    root = fs.mountpoint / card.name
    assert offload("copy", card, fs.mountpoint)[0] == 0
    (card / "CLIPS" / "C9.mov").write_bytes(os.urandom(100_000))
    record = root / ".offload" / "ascmhl-generation.json"
    kill_when_stalled(
        fs, "unlink", "A001/.offload/ascmhl-generation.json", [card, fs.mountpoint],
        tmp_path / "reports", then_errno=errno.EIO,
    )  # fmt: skip
    manifests = _manifests(root)
    assert record.exists() and len(manifests) == 2 and _chained(root) == manifests
    code, output = offload("copy", card, fs.mountpoint)
    assert code == 0 and "removed ASC MHL manifest" not in output, output
    assert set(manifests) <= set(_manifests(root)) and _chained(root) == _manifests(root)
    assert not record.exists()
    assert judge.verify(root).clean


@pytest.mark.timeout(120)
def test_a_live_writers_manifest_is_kept_by_a_run_that_cannot_see_its_claim(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The reviewer's repro: a writer through a FaultyFS mount (its flock local to that
    mount, as on sshfs or NFS with local_lock, where another computer cannot see it) holds
    its record's claim between its manifest's rename and its chain entry; a settle through
    the backing folder does not see the claim. The record names a writer not proven over:
    the manifest stays, and the line names that writer. Failed before: removed."""
    root = tmp_path / "backing" / "A001"
    (root / ".offload").mkdir(parents=True)
    fs = faulty_fs(backing=tmp_path / "backing")
    seen = fs.mountpoint / "A001"
    (seen / "ascmhl").mkdir()
    manifest = seen / "ascmhl" / "0001_A001_2026-12-05_000000Z.mhl"
    manifest.write_bytes(b"<hashlist/>")
    record = unchained_own.record_for(seen)
    assert record is not None
    fd = unchained_own.note(record, manifest.name, c4_of_file(manifest))
    try:
        said = unchained_own.settle(root, unchained_own.record_for(root))
        assert said is not None and said.startswith("left") and f"pid {os.getpid()}" in said
        assert (root / "ascmhl" / manifest.name).exists()
    finally:
        unchained_own.clear(record, fd)


_HASH_ENTRY = re.compile(
    r'<path [^>]*>([^<]*)</path>\s*<(\w+) action="(\w+)" hashdate="([^"]+)">([^<]*)</'
)


def _dated_entries(root: Path) -> dict[str, tuple[str, str, str, str]]:
    """Each file of the history's generations: (format, action, hash, hashdate)."""
    entries = {}
    for manifest in sorted((root / "ascmhl").glob("*.mhl")):
        for path, fmt, action, hashdate, value in _HASH_ENTRY.findall(manifest.read_text()):
            entries[path] = (fmt, action, value, hashdate)
    return entries


def _ledger_dates(root: Path) -> dict[str, str]:
    """When the ledger first recorded each file, as a manifest's hashdate (UTC, seconds)."""
    dates: dict[str, str] = {}
    for line in (root / ".offload" / "ledger.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if "relative_path" in entry and "recorded_at" in entry:
            moment = datetime.fromtimestamp(entry["recorded_at"], UTC).replace(microsecond=0)
            dates.setdefault(entry["relative_path"], moment.isoformat())
    return dates


@pytest.mark.parametrize("empty_folder", [False, True])
def test_history_removed_after_a_run_is_written_by_the_next(
    tmp_path: Path, judge: AscmhlJudge, monkeypatch: pytest.MonkeyPatch, empty_folder: bool
) -> None:
    """The QA repro: the state a kill before the manifest step leaves (files verified, no
    ascmhl/, or an empty one); the re-run writes the first generation, each file
    ``original`` with the date of the earlier run's verification."""
    card, dest, root = offloaded_once(tmp_path, monkeypatch, "--json")
    first_dated = _dated_entries(root)
    assert first_dated and all(e[1] == "original" for e in first_dated.values()), first_dated
    for item in (root / "ascmhl").iterdir():
        item.unlink()
    if not empty_folder:
        (root / "ascmhl").rmdir()
    else:
        # an empty ascmhl/ blocks nothing: offload verify falls back to the ledger
        code, output = offload("verify", root)
        assert code == 0, output
        assert "against ledger" in output
    code, output = offload("copy", card, dest)
    assert code == 0, output
    assert f"there is no ASC MHL history on {root}" in output
    assert "verified earlier" in output or "earlier (not re-read)" in output
    # the same hash entries as the lost generation (original, the same hashes), each dated
    # when the earlier run recorded it verified in its ledger: the lost generation dated them
    # at that run's end, the same second only when the whole run fit in one (not under load)
    again = _dated_entries(root)
    assert {path: entry[:3] for path, entry in again.items()} == {
        path: entry[:3] for path, entry in first_dated.items()
    }
    recorded = _ledger_dates(root)
    for path, (_, _, _, hashdate) in again.items():
        assert hashdate == recorded[path] <= first_dated[path][3], (path, hashdate)
    assert judge.verify(root).clean
    code, output = offload("verify", root)
    assert code == 0 and "against ascmhl" in output, output


def test_generation_lacking_a_verified_file_is_completed(
    tmp_path: Path, judge: AscmhlJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that copied a new clip was killed between its ledger and its generation: the
    history holds the older files only; the re-run adds a generation holding the new clip
    (``original``, with the digests and date of the killed run's verification) and nothing
    else: the others, trusted from the ledger and not read now, stay the first generation's
    records (before, listed ``verified`` though nothing read them)."""
    card, dest, root = offloaded_once(tmp_path, monkeypatch)
    kept = sorted((root / "ascmhl").iterdir())
    saved = {p.name: p.read_bytes() for p in kept}
    (card / "CLIPS" / "C9.mov").write_bytes(os.urandom(100_000))
    assert offload("copy", card, dest)[0] == 0
    for item in (root / "ascmhl").iterdir():  # the second generation never written
        item.unlink()
    for name, data in saved.items():
        (root / "ascmhl" / name).write_bytes(data)
    code, output = offload("copy", card, dest)
    assert code == 0, output
    assert "does not record CLIPS/C9.mov as verified" in output, output
    newest = sorted((root / "ascmhl").glob("*.mhl"))[-1].read_text()
    lines = [line for line in newest.splitlines() if "action=" in line]
    assert len(lines) == 1 and 'action="original"' in lines[0], lines
    assert judge.verify(root).clean


def test_legacy_mhl_removed_after_a_run_is_written_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, dest, root = offloaded_once(tmp_path, monkeypatch, "--mhl", "both")
    (legacy,) = root.glob("A001_*.mhl")
    legacy.unlink()
    code, output = offload("copy", "--mhl", "both", card, dest)
    assert code == 0, output
    assert f"there is no legacy MHL on {root}" in output
    (legacy,) = root.glob("A001_*.mhl")
    code, output = offload("verify", "--mhl-file", legacy, root)
    assert code == 0, output
    # complete now: another run writes no legacy MHL
    code, output = offload("copy", "--mhl", "both", card, dest)
    assert code == 0 and "legacy MHL" not in output, output
    assert len(list(root.glob("A001_*.mhl"))) == 1


def test_card_history_carried_but_no_transfer_generation_is_completed(
    tmp_path: Path, judge: AscmhlJudge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A card with its own history (``ascmhl create``): a run killed before its manifest
    step left the destination without any; the next run carries the card's, which records
    every file with the hash the ledger holds, and still writes the transfer generation the
    killed run never wrote (the card's generation alone records no copy)."""
    card = make_card(tmp_path / "card")
    assert judge.create(card, "xxh64").clean
    card, dest, root = offloaded_once(tmp_path, monkeypatch, card=card)
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 2
    for item in (root / "ascmhl").iterdir():
        item.unlink()
    code, output = offload("copy", card, dest)
    assert code == 0, output
    assert "holds the card's own generations only" in output, output
    flat = " ".join(output.split())  # the card's generations, not of the copies there
    assert "(the card's record of its file, not of the copy there)" in flat, flat
    manifests = sorted((root / "ascmhl").glob("*.mhl"))
    assert len(manifests) == 2
    assert manifests[0].read_bytes() == next((card / "ascmhl").glob("*.mhl")).read_bytes()
    assert "<process>transfer</process>" in manifests[1].read_text()
    assert judge.verify(root).clean
    code, output = offload("copy", card, dest)
    assert code == 0 and "stopped before writing" not in output, output
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 2


def test_a_temporary_file_of_a_live_writer_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a dead writer's temporary files are swept: a report being written by a process
    still alive (another run, which released the lock and writes its reports) is kept, as
    is a file of the card's own that merely looks like one."""
    card = make_card(tmp_path / "card")
    (card / "SUB" / ".t.jpg.4242.0123abcd.partial").write_bytes(b"the card's")
    card, dest, root = offloaded_once(tmp_path, monkeypatch, card=card)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        reports = root / ".offload" / "reports"
        live = reports / f".A001_2026-01-01_000000Z.json.{alive.pid}.0123abcd.partial"
        stale = reports / f".A001_2026-01-01_000000Z.json.{dead.pid}.0123abcd.partial"
        chain = root / "ascmhl" / f".ascmhl_chain.xml.{dead.pid}.0123abcd.partial"
        legacy = root / f".A001_2026-01-01_000000.mhl.{dead.pid}.0123abcd.partial"
        for path in (live, stale, chain, legacy):
            path.write_bytes(b"")
        assert offload("copy", card, dest)[0] == 0
        assert live.exists()
        assert not stale.exists() and not chain.exists() and not legacy.exists()
        assert (root / "SUB" / ".t.jpg.4242.0123abcd.partial").read_bytes() == b"the card's"
    finally:
        alive.kill()
        alive.wait()


def test_a_copy_root_this_run_could_not_lock_is_not_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep's safety rests on the lock: in a copy root the run could not lock (its lock
    file cannot be opened: here a folder stands at its name) another offload, maybe on another
    host, may be writing those files now, so a dead-looking writer's files are kept; once the
    root can be locked again, the next run sweeps them."""
    card, dest, root = offloaded_once(tmp_path, monkeypatch)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = root / ".offload" / "reports" / f".A001_x.json.{dead.pid}.0123abcd.partial"
    chain = root / "ascmhl" / f".ascmhl_chain.xml.{dead.pid}.0123abcd.partial"
    for path in (stale, chain):
        path.write_bytes(b"")
    lock = root / ".offload" / "lock"
    lock.unlink()
    lock.mkdir()
    code, text = offload("copy", card, dest)
    assert code == 0, text
    assert "cannot lock copy root" in text
    assert stale.exists() and chain.exists()
    lock.rmdir()
    assert offload("copy", card, dest)[0] == 0
    assert not stale.exists() and not chain.exists()


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("op", "path", "expected"),
    [
        # the card's manifest carried, its chain not yet (the folder holds no chain)
        ("rename", "A001/ascmhl/.ascmhl_chain.xml.*", ["0001"]),
        # the card's history carried whole, no generation of ours after it
        ("unlink", "A001/ascmhl/ascmhl_chain.xml", ["0001", "ascmhl_chain.xml"]),
        # being taken back: the chain removed, the card's manifest not yet
        ("unlink", "A001/ascmhl/0001_*", ["0001"]),
    ],
)
def test_killed_while_the_cards_history_is_carried_a_rerun_takes_it_back(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    judge: AscmhlJudge,
    monkeypatch: pytest.MonkeyPatch,
    op: str,
    path: str,
    expected: list[str],
) -> None:
    """A card whose history no generation of ours can follow (a nested history: every run
    refuses to write one), killed while its history is being carried to a destination with
    none, or taken back from it: whatever the kill left in ``ascmhl/`` (the card's manifest
    without a chain, or its history whole with no generation of ours), the next run takes it
    back, which the run that left it could not finish."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card = _card_with_nested_history(tmp_path, judge)
    fs = faulty_fs()
    kill_when_stalled(
        fs, op, path, [card, fs.mountpoint], tmp_path / "reports", then_errno=errno.EIO
    )
    root = fs.mountpoint / card.name
    # the kill left part of the card's history (and maybe a temporary file, swept later)
    left = sorted(n for n in os.listdir(root / "ascmhl") if not n.endswith(".partial"))
    assert [name.split("_")[0] if name.endswith(".mhl") else name for name in left] == expected

    code, output = offload("copy", card, fs.mountpoint)
    assert code != 0  # the nested history refused again: no generation of ours
    assert "nested ASC MHL histories are not supported" in output, output
    assert not (root / "ascmhl").exists(), sorted(os.listdir(root / "ascmhl"))
    assert not (root / ".offload" / "ascmhl-carried.json").exists()
    assert temp_files(root) == []
    code, output = offload("verify", root)
    assert code == 0 and "against ledger" in output, output


@pytest.mark.timeout(180)
def test_killed_while_taking_back_onto_an_earlier_state_a_rerun_restores_that_state(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    judge: AscmhlJudge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A destination holding an earlier state of the card's history alone (its first
    generation and chain, copied there before), a card with a later generation and a nested
    history (no generation of ours can follow): the run carries the later generation, then
    takes it back and is killed between restoring the chain and removing the manifest. The
    manifest the chain no longer lists (whose sequence number our next generation would
    take) is removed by the next run, the earlier state left as it was. Failed before: it
    stayed, unlisted."""
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    card = _card_with_nested_history(tmp_path, judge)
    fs = faulty_fs()
    root = fs.mountpoint / card.name
    (root / "ascmhl").mkdir(parents=True)
    for item in (card / "ascmhl").iterdir():
        (root / "ascmhl" / item.name).write_bytes(item.read_bytes())
    earlier = {p.name: p.read_bytes() for p in (root / "ascmhl").iterdir()}
    (card / "CLIPS" / "C9.mov").write_bytes(os.urandom(10_000))
    assert judge.create(card, "xxh64").clean  # the card's second generation
    kill_when_stalled(
        fs, "unlink", "A001/ascmhl/0002_*", [card, fs.mountpoint], tmp_path / "r",
        then_errno=errno.EIO,
    )  # fmt: skip
    assert len(list((root / "ascmhl").glob("0002_*"))) == 1  # left, the chain restored
    assert (root / "ascmhl" / "ascmhl_chain.xml").read_bytes() == earlier["ascmhl_chain.xml"]

    code, output = offload("copy", card, fs.mountpoint)
    assert code != 0 and "nested ASC MHL histories are not supported" in output, output
    assert {p.name: p.read_bytes() for p in (root / "ascmhl").iterdir()} == earlier
    assert not (root / ".offload" / "ascmhl-carried.json").exists()


def _card_with_nested_history(tmp_path: Path, judge: AscmhlJudge) -> Path:
    """A card whose ASC MHL history (made by ascmhl) holds a nested one in ``N/``: offload-ai
    refuses to write a generation after it, so no generation of ours can follow a carry."""
    card = make_card(tmp_path / "card")
    nested = card / "N"
    (nested / "in").mkdir(parents=True)
    (nested / "in" / "f").write_bytes(b"x\n")
    assert judge.create(nested, "xxh64").clean
    assert judge.create(card, "xxh64").clean
    return card


@pytest.mark.timeout(120)
def test_a_pdf_report_killed_mid_write_in_the_report_folder_is_swept_by_the_next_run(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A run SIGKILLed while its PDF report is written into the user's report folder (held
    there: the temporary's write stalled on FaultyFS) leaves ``.<report>.pdf.<pid>.<hex>
    .partial``; the next run that writes reports there removes it and says so in one line,
    but keeps another tool's file of that shape, a live writer's (its pid alive) and one a
    live writer claims (its ``flock``). Failed before: the dead run's temporary stayed for
    good (only copy roots were swept)."""
    import fcntl

    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    reports = fs.mountpoint
    dest = tmp_path / "D1"
    dest.mkdir()
    kill_when_stalled(fs, "write", ".A001_*.pdf.*.partial", [card, dest], reports)
    # The PDF's temporary, and any other the run had open beside it (the HTML's).
    dead = [p for p in os.listdir(reports) if p.endswith(".partial")]
    pdf = r"\.A001_.*Z\.pdf\.[0-9]+\.[0-9a-f]{8}\.partial"
    assert any(re.fullmatch(pdf, name) for name in dead), dead
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    kept = [
        f".notes.pdf.{gone.pid}.0123abcd.partial",  # not a report's name: another tool's
        f".A001_2026-01-01_000000Z.json.{alive.pid}.0123abcd.partial",  # a live pid's
        f".A001_2026-01-01_000001Z.html.{gone.pid}.0123abcd.partial",  # claimed below
    ]
    for name in kept:
        (reports / name).write_bytes(b"x")
    claim = os.open(reports / kept[2], os.O_RDONLY)
    fcntl.flock(claim, fcntl.LOCK_SH)  # a live writer on another host: its pid means nothing
    try:
        out, err = io.StringIO(), io.StringIO()
        env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
        code = main(["copy", "--report-dir", str(reports), str(card), str(dest)], env)
        assert code == 0, err.getvalue()
        assert not any((reports / name).exists() for name in dead)
        for name in kept:
            assert (reports / name).exists(), name
        # The report folder's line (the copy root's own HTML temporary has one of its own).
        said = [
            line
            for line in err.getvalue().splitlines()
            if "unfinished report" in line and f"left in {reports}:" in line
        ]
        assert len(said) == 1, err.getvalue()
        assert all(name in said[0] for name in dead), said
        assert not any(name in said[0] for name in kept), said
        saved = sorted(reports.glob("A001_*.json"))[-1]  # this run's (the killed one's before)
        assert any("unfinished report" in n for n in json.loads(saved.read_text())["notes"])
    finally:
        os.close(claim)
        alive.kill()
        alive.wait()


def test_offload_report_sweeps_a_dead_runs_report_temporaries_as_copy_does(
    tmp_path: Path,
) -> None:
    """``offload report JOB.json`` writes into the report folder, so it sweeps it as ``offload
    copy`` does: a dead writer's temporaries of a report (its pid gone, no claim) are
    removed and said in one line; a live pid's, one a live writer claims (its ``flock``)
    and another tool's file of that shape are kept. Failed before: nothing was swept."""
    import fcntl

    card = make_card(tmp_path / "card")
    dest, reports = tmp_path / "D1", tmp_path / "reports"
    dest.mkdir()
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    assert main(["copy", "--report-dir", str(reports), str(card), str(dest)], env) == 0
    (job,) = reports.glob("A001_*.json")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = [
        f".A001_2026-01-01_000000Z.pdf.{gone.pid}.0123abcd.partial",
        f".{job.with_suffix('.html').name}.{gone.pid}.89abcdef.partial",
    ]
    kept = [
        f".notes.pdf.{gone.pid}.0123abcd.partial",  # not a report's name: another tool's
        f".A001_2026-01-01_000001Z.json.{alive.pid}.0123abcd.partial",  # a live pid's
        f".A001_2026-01-01_000002Z.html.{gone.pid}.0123abcd.partial",  # claimed below
    ]
    for name in (*dead, *kept):
        (reports / name).write_bytes(b"x")
    claim = os.open(reports / kept[2], os.O_RDONLY)
    fcntl.flock(claim, fcntl.LOCK_SH)  # a live writer on another host: its pid means nothing
    try:
        out, err = io.StringIO(), io.StringIO()
        env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
        assert main(["report", "--no-media", str(job)], env) == 0, err.getvalue()
        assert not any((reports / name).exists() for name in dead)
        for name in kept:
            assert (reports / name).exists(), name
        said = [line for line in err.getvalue().splitlines() if "unfinished report" in line]
        assert len(said) == 1 and said[0].startswith("WARNING: "), err.getvalue()
        assert all(name in said[0] for name in dead) and str(reports) in said[0], said
        assert job.with_suffix(".html").exists() and job.with_suffix(".pdf").exists()
    finally:
        os.close(claim)
        alive.kill()
        alive.wait()


def test_a_report_folder_whose_listing_fails_partway_is_said_not_looked_at(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A report folder of 1,000 dead runs' temporaries whose listing fails with EIO partway (a
    FaultyFS folder answering its third FUSE_READDIR, each some 32 KiB of entries, with EIO:
    the sweep's first look reads one batch, its listing the first batch again, then fails
    on the next: a folder whose later blocks cannot be read): the temporaries listed before
    it are removed, and the line says
    the folder could not be looked at whole, not that nothing else is left. Failed before:
    ``stale_temp_files`` gave [] (nothing removed, nothing said: "nothing stale")."""
    from offload.manifest.atomic import stale_temp_files
    from offload.report.job_report import remove_dead_temporaries

    fs = faulty_fs()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    names = [f".A001_2026-01-01_{i:06d}Z.pdf.{gone.pid}.0123abcd.partial" for i in range(1000)]
    for name in names:
        (fs.backing / name).write_bytes(b"x")
    fs.fail("readdir", errno.EIO, path="", nth=3)
    said = remove_dead_temporaries(fs.mountpoint)
    left = [name for name in names if (fs.backing / name).exists()]
    assert said is not None, "nothing said"
    assert 0 < len(left) < len(names), len(left)  # the first page's removed, the rest kept
    assert f"removed {len(names) - len(left)} unfinished report file(s)" in said, said
    assert f"could not look in {fs.mountpoint} for the unfinished report files" in said, said
    assert "Input/output error (EIO)" in said and "any there are kept" in said, said
    fs.clear()
    fs.fail("readdir", errno.EIO, path="", nth=2)  # its listing's second page
    found = stale_temp_files(fs.mountpoint, lambda name: True)
    assert isinstance(found.unlisted, OSError) and found.unlisted.errno == errno.EIO, found
    assert 0 < len(found.paths) < len(left), len(found.paths)


def test_a_copy_root_folder_whose_listing_fails_partway_is_said_not_looked_at(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A copy root on a FaultyFS drive whose ``.offload/reports/`` holds 1,000 dead runs'
    report temporaries and answers its third FUSE_READDIR with EIO (the sweep's first look,
    then its listing's first batch, then the failure): the run removes those listed before
    it and says in one warning that it could not look in that folder whole. Failed before:
    nothing removed, nothing said (``stale_temp_files`` gave [])."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    reports = fs.backing / card.name / ".offload" / "reports"
    reports.mkdir(parents=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    names = [f".A001_2026-01-01_{i:06d}Z.json.{gone.pid}.0123abcd.partial" for i in range(1000)]
    for name in names:
        (reports / name).write_bytes(b"x")
    fs.fail("readdir", errno.EIO, path=f"{card.name}/.offload/reports", nth=3)
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    code = main(["copy", "--report-dir", str(tmp_path / "r"), str(card), str(fs.mountpoint)], env)
    left = [name for name in names if (reports / name).exists()]
    assert 0 < len(left) < len(names), (len(left), err.getvalue())
    said = [line for line in err.getvalue().splitlines() if "could not look in" in line]
    assert len(said) == 1 and said[0].startswith("WARNING: "), err.getvalue()
    assert str(fs.mountpoint / card.name / ".offload" / "reports") in said[0], said
    assert "Input/output error (EIO)" in said[0] and "any there are kept" in said[0], said
    assert code in (0, 1), err.getvalue()


def test_a_report_temporary_that_cannot_be_asked_keeps_only_itself(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """One dead run's report temporary that the report folder answers EIO for (its stat
    and its open: a failing share, a bad sector in the folder) is kept, and the sweep goes
    on to the others: a dead run's temporary beside it is removed and said. Failed before:
    the one error emptied the whole sweep (nothing removed, nothing said)."""
    from offload.report.job_report import remove_dead_temporaries

    fs = faulty_fs()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    # Sorted so the unanswerable one is listed first, as a directory's order may put it.
    bad = f".A001_2026-01-01_000000Z.html.{gone.pid}.0123abcd.partial"
    dead = f".A001_2026-01-01_000001Z.pdf.{gone.pid}.0123abcd.partial"
    for name in (bad, dead):
        (fs.mountpoint / name).write_bytes(b"x")
    fs.fail("getattr", errno.EIO, path=bad)
    fs.fail("open", errno.EIO, path=bad)
    said = remove_dead_temporaries(fs.mountpoint)
    assert said is not None and dead in said and bad not in said, said
    assert not (fs.backing / dead).exists()
    assert (fs.backing / bad).exists()


def _recorded_by_a_dead_run(root: Path, manifest: str, **writer: object) -> None:
    """*root*'s record names *manifest* (its true C4 ID) as a generation being committed by
    a writer that is gone (a pid reaped; *writer* overrides, ``host`` say): the state a run
    SIGKILLed before its chain entry leaves."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    from offload.lock import process_identity

    body = {"manifest": manifest, "c4": c4_of_file(root / "ascmhl" / manifest)}
    body |= {**process_identity(), "pid": gone.pid, **writer}
    (root / ".offload" / "ascmhl-generation.json").write_text(json.dumps(body))


def _two_generations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, unlist_second: bool
) -> tuple[Path, Path]:
    """A card offloaded twice (a clip added between): (card, copy root), 0001 and 0002 in
    its history; *unlist_second*: the chain as the first offload wrote it (0002 unlisted)."""
    card, dest, root = offloaded_once(tmp_path, monkeypatch)
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    first_chain = chain.read_bytes()
    (card / "CLIPS" / "C9.mov").write_bytes(os.urandom(50_000))
    code, output = offload("copy", card, dest)
    assert code == 0 and len(_manifests(root)) == 2, output
    if unlist_second:
        chain.write_bytes(first_chain)
    return card, root


def test_verify_of_a_chainless_history_with_more_than_the_stopped_runs_manifest_says_restore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review: 0001 and 0002, the record naming 0002 (a later offload killed before its
    chain entry), then the chain file deleted: the same offload copy again cannot mend it
    (it removes 0002, then is refused: "BUT NO MANIFEST ... missing ASC MHL chain file"),
    so verify says to restore ascmhl/. Failed before: "run the same offload copy again"."""
    card, root = _two_generations(tmp_path, monkeypatch, unlist_second=False)
    second = _manifests(root)[1]
    _recorded_by_a_dead_run(root, second)
    (root / "ascmhl" / "ascmhl_chain.xml").unlink()
    code, output = offload("verify", root)
    assert code == 32, output
    (line,) = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert "restore" in line and "run the same offload copy again" not in line, line
    assert (root / "ascmhl" / second).exists()  # touched nothing
    code, output = offload("copy", card, root.parent)  # the rerun does not mend it
    assert code != 0 and "missing ASC MHL chain file" in output, output


@pytest.mark.parametrize("why", ["built on", "another host's"])
def test_verify_names_the_rerun_only_for_a_manifest_the_rerun_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    """Review: the record names an unlisted 0002 that offload copy will not remove: a later
    generation (0003) built on it, or its writer another host's (not proven over). Verify's
    warning is the plain "not listed" one, not "the same offload copy again removes it"
    (which ran, left 0002 and cleared the record). Failed before: the rerun named."""
    card, root = _two_generations(tmp_path, monkeypatch, unlist_second=True)
    second = _manifests(root)[1]
    if why == "built on":
        (card / "CLIPS" / "C10.mov").write_bytes(os.urandom(50_000))
        code, output = offload("copy", card, root.parent)
        assert code == 0 and len(_manifests(root)) == 3, output
        _recorded_by_a_dead_run(root, second)
    else:
        _recorded_by_a_dead_run(root, second, host="another-dit-cart")
    code, output = offload("verify", root)
    assert code == 0, output
    (said,) = [line for line in output.splitlines() if f"{second} is not listed in" in line]
    assert "no C4 ID vouches for it" in said and "offload copy again" not in said, said
    code, output = offload("copy", card, root.parent)
    assert code == 0 and (root / "ascmhl" / second).exists(), output


def test_sigterm_before_the_first_manifest_leaves_no_empty_history_folder(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], judge: AscmhlJudge
) -> None:
    """Two SIGTERMs while the first manifest's file is created in the ``ascmhl/`` folder the
    run just made (the first is only recorded there, as a first Ctrl-C: qafix68): the run
    stops (exit 130) having committed no generation. Failed before: the empty ``ascmhl/``
    stayed, which ascmhl-debug reads as a broken history ("Missing ASC MHL chain file")
    rather than none. The next run writes the history."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    rule = fs.stall("create", path=f"{card.name}/ascmhl/*")
    process = subprocess.Popen(
        [str(OFFLOAD), "copy", "--quiet", str(card), str(fs.mountpoint)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "OFFLOAD_REPORT_DIR": str(tmp_path / "reports")},
    )
    try:
        signal_at_stalls(fs, process, (rule, (signal.SIGTERM, signal.SIGTERM)), pause_s=0.3)
    finally:
        fs.clear()
        process.wait(timeout=60)
    assert process.returncode == 130
    root = fs.mountpoint / card.name
    assert not (root / "ascmhl").exists(), os.listdir(root / "ascmhl")
    code, output = offload("copy", card, fs.mountpoint)
    assert code == 0, output
    assert judge.verify(root).clean
