"""Cascading copy (``--cascade-to``): the card is read once to the fast destinations, released
once they are verified, then the slow destinations are fed from a verified fast copy and
checked against the card's digests. Real files, the real CLI and library, no mocks."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload import cascade
from offload.card import OffloadOptions, offload, plan_offload
from offload.card import run_offload as run_plan
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.engine.cancel import CancelToken
from offload.events import CardReleased, Event, FileVerified, WarningIssued
from offload.fingerprint import SAMPLE
from offload.ledger import Ledger, revoked_record
from offload.manifest.history import read_history
from offload.options import CopyOptions, VerifyMode
from offload.plan import IgnoreRules
from offload.report.job_report import json_chunks, report_data
from offload.report.validate import job_report_problem
from offload.results import DestinationStatus, FastCopyFailure
from support.ascmhl_judge import AscmhlJudge
from support.cards import corrupt_keeping_size_and_mtime, flip_bytes, three_clip_card
from support.event_log import EventLog
from support.faultyfs import FaultyFS
from support.offload_cli import card_with_history, run_offload


def make_card(root: Path, files: int = 12, size: int = 200_000) -> Path:
    card = root / "A003R1"
    for index in range(files):
        folder = card / "CLIPS" / f"C{index // 4:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"A003C{index:03d}.mov").write_bytes(os.urandom(size + index))
    (card / "EMPTY").mkdir()
    (card / "link.mov").symlink_to("CLIPS/C00/A003C000.mov")
    return card


def cli(tmp: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--report-dir", str(tmp / "reports"), *args],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    return code, out.getvalue(), err.getvalue()


def _transfer_checked_cascade(
    tmp_path: Path, cards: Path, files: int, *more: str
) -> tuple[Path, Path, Path, tuple[str, ...], str]:
    """A card of *files* clips cascaded with ``--verify transfer`` from RAID to SHUTTLE
    (*more*: ``--dry-run``), exit 0 asserted: (card, RAID, SHUTTLE, the arguments, stderr)."""
    card = make_card(cards, files=files)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    args = ("--verify", "transfer", str(card), str(fast), "--cascade-to", str(slow), *more)
    code, _out, err = cli(tmp_path, *args)
    assert code == 0, err
    return card, fast, slow, args, err


def test_card_released_before_the_slow_destination_gets_a_byte(tmp_path: Path, cards: Path) -> None:
    card = make_card(cards)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    code, out, err = cli(tmp_path, "--json", str(card), str(fast), "--cascade-to", str(slow))
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    names = [e["event"] for e in events]
    released = names.index("card_released")
    # Nothing reached the slow destination (index 1) before the card was released...
    touched_slow = [
        i
        for i, e in enumerate(events)
        if e.get("destination_index") == 1 and e["event"] != "file_verified_earlier"
    ]
    assert touched_slow and min(touched_slow) > released
    # ...and every file was verified on the fast one before.
    fast_verified = [
        i
        for i, e in enumerate(events)
        if e["event"] == "file_verified" and e["destination_index"] == 0
    ]
    assert len(fast_verified) == 12 and max(fast_verified) < released
    event = events[released]
    assert event["destinations"] == [str(fast)] and event["cascade"] == [str(slow)]
    assert event["files_verified"] == 12 and event["files_failed"] == 0
    # The fast destination's manifest was written before the release.
    assert (fast / card.name / "ascmhl").is_dir()
    # Two offload_finishing lines once the jobs are over: the cascade checks its fast copies
    # (``checks``), then the slow destination's manifests are written (``manifests``).
    finishing = [i for i, name in enumerate(names) if name == "offload_finishing"]
    assert [events[i]["step"] for i in finishing] == ["checks", "manifests"], finishing
    last_job = max(i for i, name in enumerate(names) if name == "job_finished")
    assert last_job < finishing[0] < finishing[1] < names.index("offload_finished"), names

    for source in (card / "CLIPS").rglob("*.mov"):
        relative = source.relative_to(card)
        assert (slow / card.name / relative).read_bytes() == source.read_bytes()
        assert (slow / card.name / relative).stat().st_mtime_ns == source.stat().st_mtime_ns
    assert (slow / card.name / "EMPTY").is_dir()
    assert os.readlink(slow / card.name / "link.mov") == "CLIPS/C00/A003C000.mov"
    assert os.stat(slow / card.name).st_mtime_ns == os.stat(card).st_mtime_ns
    # The slow destination has its own ASC MHL history and ledger, with the card's digests.
    history = read_history(slow / card.name)
    recorded = {e.path for g in history.generations for e in g.files}
    assert {str(p.relative_to(card)) for p in (card / "CLIPS").rglob("*.mov")} <= recorded
    assert len(Ledger(slow / card.name).load()) == 12
    # One report covers both destinations.
    final = events[-1]
    assert final["event"] == "job_report" and final["exit_code"] == 0
    report = json.loads(Path(final["reports"][0]).read_text())
    movs = [f for f in report["files"] if f["path"].endswith(".mov") and "link" not in f["path"]]
    assert all([d["status"] for d in f["destinations"]] == ["verified"] * 2 for f in movs)
    assert report["cascade"]["destinations"] == [1] and report["cascade"]["card_released_at"]
    assert len(final["reports"]) == 3  # the local JSON, and one on each destination
    assert any(str(slow) in p for p in final["reports"])
    csv_file = Path(final["reports"][0]).with_suffix(".csv")
    assert str(slow) in csv_file.read_text()
    html, pdf = tmp_path / "job.html", tmp_path / "job.pdf"
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    assert main(["report", final["reports"][0], "--html", str(html), "--pdf", str(pdf)], env) == 0
    assert "Cascading copy" in html.read_text() and str(slow) in html.read_text()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert (slow / card.name / ".offload" / "reports").is_dir()


def test_human_output_says_the_card_can_be_ejected(tmp_path: Path, cards: Path) -> None:
    card = make_card(cards, files=3)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    code, _out, err = cli(tmp_path, str(card), str(fast), str(slow), "--cascade-to", str(slow))
    assert code == 0, err
    assert "CARD RELEASED" in err and "can be ejected" in err
    assert "all 3 files are verified on" in err
    assert f"; {slow} was then fed from the fast copies." in err  # one: "was" (failed before)


def test_the_card_released_line_says_what_was_not_taken_from_the_card(
    tmp_path: Path, cards: Path
) -> None:
    """The DIT ejects the card on ``CARD RELEASED``: what the run left out of it is said
    there, in the summary's and the card release's words. Failed before: the line said
    "can be ejected" alone; the clip --ignore left out was named only at the run's end."""
    card = make_card(cards, files=2)
    (card / "CLIPS" / "C00" / "A003C900.tmp").write_bytes(b"take")
    (card / ".DS_Store").write_bytes(b"finder")  # left out by default: no reason to keep it
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    args = ("--ignore", "*.tmp", str(card), str(fast), "--cascade-to", str(slow))
    code, _out, err = cli(tmp_path, *args)
    assert code == 0, err
    (line,) = [line for line in err.splitlines() if line.startswith("CARD RELEASED")]
    left_out = (
        "1 of the card's entries was left out by an ignore pattern (CLIPS/C00/A003C900.tmp "
        "first) and was not copied from the card by this run"
    )
    said = " ".join(err.split())
    assert "Ignored (not copied): 2 entries (listed in the report)." in said, err  # summary
    assert f"Do not format the card: {left_out}" in said, err  # the release at the end
    assert line.endswith(
        f"Ignored (not copied): 2 entries (listed in the report); do not format the card: "
        f"{left_out}."
    ), line


def test_a_folder_left_out_is_said_a_folder_live_and_without_the_card(
    tmp_path: Path, cards: Path
) -> None:
    """``--ignore PROXY`` on a cascade: the live ``CARD RELEASED`` line says the folder as
    the release at the end does, and so does a re-run without the card (the record of the
    card's pass keeps its kind). Failed before (review LOW): "1 of the card's entries ...
    (PROXY first)" live and without the card, "folders ... (PROXY/ first)" at the end; and
    (QA, thirty-eighth pass) its count "Ignored (not copied): 1 entry" where the summary
    said "1 folder (PROXY/)"."""
    card = make_card(cards, files=2)
    (card / "PROXY").mkdir()
    (card / "PROXY" / "A003C000.mov").write_bytes(b"proxy")
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    args = ("--ignore", "PROXY", str(card), str(fast), "--cascade-to", str(slow))
    code, _out, err = cli(tmp_path, *args)
    assert code == 0, err
    folder = "1 of the card's folders was left out by an ignore pattern (PROXY/ first)"
    (line,) = [line for line in err.splitlines() if line.startswith("CARD RELEASED")]
    assert folder in line, line
    count = "Ignored (not copied): 1 folder (PROXY/) (listed in the report)"
    assert count in line and f"{count}." in " ".join(err.split()), err  # live, as the summary
    assert f"Do not format the card: {folder}" in " ".join(err.split()), err
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, *args)
    assert code == 0, err
    data = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    assert "1 of the card's folders was left out" in data["card_release"]["text"], data
    assert "(PROXY/ first)" in data["card_release"]["text"], data
    (absent,) = [w for w in data["warnings"] if w["code"] == "card-absent"]
    assert absent["card_left_out"] == [
        {"path": "PROXY", "size": None, "reason": absent["card_left_out"][0]["reason"]}
        | {"kind": "folder"}
    ]
    assert "left out 1 of its entries (PROXY/)" in absent["message"], absent


def test_the_card_pass_line_says_the_history_is_among_the_entries_left_out(tmp_path: Path) -> None:
    """The card's ASC MHL history is left out of the scan and carried as manifests: the
    ``CARD ...`` line's count of the entries left out says so, as the summary's does.
    Failed before: "Ignored (not copied): N entries (listed in the report)." alone, the
    summary then naming the history (review LOW)."""
    card = card_with_history(tmp_path, {"A001C001.mov": 10_000})
    (card / ".DS_Store").write_bytes(b"finder")
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 0, err
    # The card with a history is a copy root of ours (``card_with_history``): said so.
    (line,) = [
        line
        for line in err.splitlines()
        if line.startswith(("SOURCE RELEASED", "SOURCE PASS DONE"))
    ]
    words = (
        "Ignored (not copied): 2 folders (.offload/, ascmhl/) and 1 other entry (listed in the "
        "report), one of them the source's ASC MHL history, not copied as a folder of the source"
    )
    assert line.endswith(f" {words}."), line
    # The summary's: the same words, then where the history went.
    assert f"{words}: " in " ".join(err.split()), err


def test_a_fast_copy_damaged_before_the_cascade_fails_that_file_there(
    tmp_path: Path, cards: Path
) -> None:
    card = make_card(cards)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    victim = "CLIPS/C01/A003C005.mov"
    damaged = fast / card.name / victim

    class Damage:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):  # between the passes
                data = bytearray(damaged.read_bytes())
                data[1000] ^= 0x40
                with open(damaged, "r+b") as handle:
                    handle.write(bytes(data))

    report = offload(
        card, [fast, slow], options=OffloadOptions(cascade=frozenset({1})), sink=Damage()
    )
    assert report.exit_code == 1
    failed = [f for f in report.job.files if not f.ok]
    assert [f.relative_path for f in failed] == [victim]
    result = failed[0].destination(1)
    assert result is not None and result.status is DestinationStatus.FAILED
    assert victim in (result.error or "") and str(damaged) in (result.error or "")
    assert "no longer matches the card" in (result.error or "")
    assert failed[0].source_error is None  # the card was fine
    # The fast copy is no longer reported verified either: it was found damaged.
    assert failed[0].destination(0).status is DestinationStatus.FAILED  # type: ignore[union-attr]
    # ... with no verification time (the JSON's and CSV's verified_at): its commit had dated
    # it verified. Failed before: a date on a failed copy.
    assert failed[0].destination(0).verified_at is None  # type: ignore[union-attr]
    assert not (slow / card.name / victim).exists()
    # The card's digest stays the one in the reports, and the other files went through.
    assert report.job.destinations[1].files_verified == 11
    assert any(str(damaged) in w for w in report.job.warnings)


def _seed_with_a_copy(card: Path, dest: Path, relative: str = "CLIPS/C00/A003C000.mov") -> None:
    """One card file already in *dest*'s copy root, copied with its dates (as a run killed
    before its ledger's first line leaves it): the folder is this card's, its other file in
    the way refused file by file. Without it, a folder of nothing but another file at a
    card file's name is refused whole (card_folder, test_card_same_name)."""
    shutil.copy2(card / relative, dest / card.name / relative)


def test_a_file_every_fast_destination_failed_is_not_cascaded(tmp_path: Path, cards: Path) -> None:
    card = make_card(cards, files=4)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    (fast / card.name / "CLIPS" / "C00").mkdir(parents=True)
    (fast / card.name / "CLIPS" / "C00" / "A003C001.mov").write_bytes(b"another file")
    _seed_with_a_copy(card, fast)
    slow.mkdir()
    report = offload(card, [fast, slow], options=OffloadOptions(cascade=frozenset({1})))
    assert report.exit_code == 1
    bad = next(f for f in report.job.files if f.relative_path == "CLIPS/C00/A003C001.mov")
    on_slow = bad.destination(1)
    assert on_slow is not None and on_slow.status is DestinationStatus.FAILED
    assert "cannot be cascaded" in (on_slow.error or "")
    assert "already exists" in (on_slow.error or "")  # why the fast one has no copy
    assert report.job.destinations[1].files_verified == 3


def test_a_file_refused_on_the_fast_destination_names_what_copies_it(
    tmp_path: Path, cards: Path
) -> None:
    """QA: a different file in the way on the fast destination: each run said "... cannot
    be cascaded ... re-run with the card to copy it", and the re-run failed the same way
    (SHUTTLE never got it). The line now names what copies it (--overwrite/--keep-both, or
    not cascading), and that does: --overwrite replaces it once the new copy is verified."""
    card = make_card(cards, files=4)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    victim = "CLIPS/C00/A003C001.mov"
    (fast / card.name / "CLIPS" / "C00").mkdir(parents=True)
    (fast / card.name / victim).write_bytes(os.urandom(5_000))
    _seed_with_a_copy(card, fast)
    slow.mkdir()
    args = ("-q", "--json", str(card), str(fast), "--cascade-to", str(slow))
    for _run in range(2):
        code, out, err = cli(tmp_path, *args)
        assert code == 1, err
        failed = [
            event
            for line in out.splitlines()
            if (event := json.loads(line)).get("event") == "file_failed"
            and event.get("destination_index") == 1
        ]
        assert [event["relative_path"] for event in failed] == [victim], failed
        message = " ".join(failed[0]["message"].split())
        assert "cannot be cascaded" in message
        assert "re-run with the card to copy it" not in message  # a re-run alone refuses it
        assert f"a different file holds its name on {fast}" in message
        assert "--overwrite" in message and "--keep-both" in message
        assert f"without cascading to {slow}" in message
        assert not (slow / card.name / victim).exists()
    code, _out, err = cli(tmp_path, "--dry-run", str(card), str(fast), "--cascade-to", str(slow))
    assert code == 1, err  # as the runs above
    said = " ".join(err.split())
    assert "re-run with the card" not in said and "CANNOT be cascaded" in said
    assert f"a different file holds its name on {fast}: --overwrite" in said
    # What the line says works: --overwrite.
    code, _out, err = cli(tmp_path, "-q", "--overwrite", *args[2:])
    assert code == 0, err
    assert (slow / card.name / victim).read_bytes() == (card / victim).read_bytes()


def test_cancel_during_the_cascade_then_resume_without_the_card(
    tmp_path: Path, cards: Path
) -> None:
    card = make_card(cards, files=40, size=200_000)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    options = OffloadOptions(cascade=frozenset({1}), copy=CopyOptions(batch_files=2))
    cancel = CancelToken()

    class StopInCascade:
        def emit(self, event: Event) -> None:
            if isinstance(event, FileVerified) and event.destination_index == 1:
                cancel.cancel()

    report = offload(card, [fast, slow], options=options, sink=StopInCascade(), cancel=cancel)
    assert report.exit_code == 130
    assert report.card_released_at is not None
    assert report.job.destinations[0].files_verified == 40
    statuses = [f.destination(1).status for f in report.job.files if f.destination(1)]  # type: ignore[union-attr]
    assert DestinationStatus.CANCELLED in statuses and len(statuses) == 40
    on_slow = set(Ledger(slow / card.name).load())
    assert 0 < len(on_slow) < 40

    # The card's files now hold other bytes (same size and time), between their first and
    # last 64 KiB (their fingerprints kept: the fast copy is still trusted for them): a re-run
    # that read the card again would copy those; it must feed the slow destination from the
    # fast copy.
    originals = {}
    for source in (card / "CLIPS").rglob("*.mov"):
        data = source.read_bytes()
        originals[source.relative_to(card)] = data
        st = source.stat()
        middle = os.urandom(len(data) - 2 * SAMPLE)
        source.write_bytes(data[:SAMPLE] + middle + data[-SAMPLE:])
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = offload(card, [fast, slow], options=options)
    assert again.exit_code == 0, [f.destinations for f in again.job.files if not f.ok]
    for file in again.job.files:
        if not file.relative_path.endswith(".mov"):
            continue
        assert file.destination(0).status is DestinationStatus.VERIFIED_EARLIER  # type: ignore[union-attr]
        expected = (
            DestinationStatus.VERIFIED_EARLIER
            if file.relative_path in on_slow
            else DestinationStatus.VERIFIED
        )
        assert file.destination(1).status is expected  # type: ignore[union-attr]
    for relative, data in originals.items():
        assert (slow / card.name / relative).read_bytes() == data
    assert again.job.destinations[1].files_verified == 40 - len(on_slow)


def test_cascade_needs_a_local_destination_that_is_not_cascaded(
    tmp_path: Path, cards: Path
) -> None:
    card = make_card(cards, files=1)
    slow = tmp_path / "SHUTTLE"
    slow.mkdir()
    code, _out, err = cli(tmp_path, str(card), "--cascade-to", str(slow), str(slow))
    assert code == 64
    assert "needs at least one local destination" in err
    assert os.listdir(slow) == []


def test_a_damaged_fast_copy_is_replaced_by_another_fast_one(tmp_path: Path, cards: Path) -> None:
    card = make_card(cards, files=4)
    fast = [tmp_path / "RAID1", tmp_path / "RAID2"]
    slow = tmp_path / "SHUTTLE"
    for folder in (*fast, slow):
        folder.mkdir()
    victim = "CLIPS/C00/A003C002.mov"
    damaged = fast[0] / card.name / victim
    warnings: list[str] = []

    class Damage:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                flip_bytes(damaged, 7)
            if isinstance(event, WarningIssued):
                warnings.append(event.message)

    report = offload(
        card, [*fast, slow], options=OffloadOptions(cascade=frozenset({2})), sink=Damage()
    )
    # The slow copy is good (fed from RAID2); RAID1's copy is reported damaged: exit 1.
    assert report.exit_code == 1
    assert [f.relative_path for f in report.job.files if not f.ok] == [victim]
    bad = next(f for f in report.job.files if f.relative_path == victim)
    assert bad.destination(0).status is DestinationStatus.FAILED  # type: ignore[union-attr]
    assert "was verified, then changed: re-read for the cascade" in (bad.destination(0).error or "")  # type: ignore[union-attr]
    assert bad.destination(0).fast_failure is FastCopyFailure.CHANGED  # type: ignore[union-attr]
    assert bad.destination(2).status is DestinationStatus.VERIFIED  # type: ignore[union-attr]
    assert (slow / card.name / victim).read_bytes() == (card / victim).read_bytes()
    # The warning names the copy that fed it again, and is in the job report's warnings;
    # the report says which fast copy fed how many (failed before: "another fast copy", not
    # in the report, and no fed_from).
    (said,) = [w for w in warnings if "fed again" in w]
    other = fast[1] / card.name / victim
    assert said.startswith(f"{victim}: fed again from the fast copy {other} ("), said
    assert str(damaged) in said, said
    assert said in report.job.warnings
    assert report.job.destinations[2].files_verified == 4
    data = json.loads(b"".join(json_chunks(report_data(report))))
    assert job_report_problem(data) is None
    fed_from = [d["fed_from"] for d in data["destinations"]]
    first, second = (str(f / card.name) for f in fast)
    assert fed_from == [
        "card",
        "card",
        [{"copy_root": first, "files": 3}, {"copy_root": second, "files": 1}],
    ], fed_from


def _ctrl_c_at_release(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> tuple[Path, Path, list[str], str]:
    """A 200-file card cascaded from RAID to SHUTTLE (a FaultyFS drive) by the real CLI, sent
    a real SIGINT as soon as it prints "CARD RELEASED" (exit 130): (card, slow, the command
    without ``--cascade-to``, the stderr after that line). SHUTTLE's writes are held until
    the signal is sent: unheld, the cascade (60 MB) could end before a late signal (it did
    whenever the signal came 1.5 s after the line: exit 0)."""
    card = make_card(cards, files=200, size=300_000)
    fast, drive = tmp_path / "RAID", faulty_fs()
    slow = drive.mountpoint
    fast.mkdir()
    held = drive.stall("write", path="*.mov")
    exe = Path(sys.executable).with_name("offload")
    command = [str(exe), "copy", "--report-dir", str(tmp_path / "r"), str(card), str(fast)]
    with subprocess.Popen(
        [*command, "--cascade-to", str(slow)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:
            seen.append(line)
            if line.startswith("CARD RELEASED"):
                process.send_signal(signal.SIGINT)
                break
        drive.release(held)
        rest = process.stderr.read()
        assert process.wait(timeout=60) == 130, "".join(seen) + rest
    return card, slow, command, rest


@pytest.mark.timeout(120)
def test_ctrl_c_during_the_cascade_exits_130_and_says_the_card_was_released(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card, slow, command, rest = _ctrl_c_at_release(tmp_path, cards, faulty_fs)
    assert "The card was released at" in rest and "cascade to" in rest and "cancelled" in rest
    verified_on_slow = len(Ledger(slow / card.name).load())
    assert verified_on_slow < 200
    # The re-run resumes the slow destination; the fast one has everything already.
    again = subprocess.run(
        [*command, "--cascade-to", str(slow)], capture_output=True, text=True, timeout=100
    )
    assert again.returncode == 0, again.stderr
    assert len(Ledger(slow / card.name).load()) == 200


def test_a_cascade_resumed_without_its_card_keeps_it_for_the_trusted_slow_copies(
    tmp_path: Path, cards: Path
) -> None:
    """The cascade cancelled once SHUTTLE verified some copies, the card then ejected, the
    same command run again: the files resting on the ledger are those the cancelled run had
    cascaded (their copies on SHUTTLE trusted, not read back now; this run never read their
    fast copies): the card is kept for them, and --reverify reads them back (QA qa70c H1:
    before, "may be formatted on the ledger's word"). Failed before that: "this run read it
    again only as its source, not a read-back counted here: `offload verify RAID/...` reads it
    back" (true only when the fast copy is the one copy that counts, tests/s3/
    test_s3_cascade_absent_words.py)."""
    card = make_card(cards)  # 12 clips
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    cancel = CancelToken()

    class StopMidCascade:  # commit batches of 2 files: some copies on SHUTTLE are recorded
        def emit(self, event: Event) -> None:
            if isinstance(event, FileVerified) and event.destination_index == 1:
                cancel.cancel()

    options = OffloadOptions(copy=CopyOptions(batch_files=2), cascade=frozenset({1}))
    report = offload(card, [fast, slow], options=options, sink=StopMidCascade(), cancel=cancel)
    assert report.exit_code == 130
    trusted = len(Ledger(slow / card.name).load())
    assert 0 < trusted < 12, trusted
    card.rename(card.with_name("away"))  # ejected
    code, _, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 0, err
    said = " ".join(err.split())
    assert f"this run read its fast copy {fast / card.name} again now" in said, said
    # Those files rest on the ledger alone: the card is kept (README: a copy an earlier run
    # verified releases no cascade's card until this run has read it; QA qa70c H1).
    assert (
        f"Do not format the card: it ({card}) was absent, this run read its fast copy "
        f"{fast / card.name} again now (checked against the card's digests); {trusted} of 12 "
        "files are verified only by an earlier run (trusted from the ledger) and not read "
        "back by this run, so nothing it did proves them (--reverify reads them back)." in said
    ), said
    assert "may be formatted" not in said, said
    assert "only as its source" not in said and "offload verify" not in said, said


def test_dry_run_shows_the_two_passes_and_which_copy_feeds_each_file(
    tmp_path: Path, cards: Path
) -> None:
    card = make_card(cards, files=4)
    raid1, raid2, shuttle = tmp_path / "RAID1", tmp_path / "RAID2", tmp_path / "SHUTTLE"
    for folder in (raid1, raid2, shuttle):
        folder.mkdir()
    assert cli(tmp_path, str(card), str(raid1))[0] == 0  # RAID1: every file verified earlier
    # A new file, with a different file already at its name on both fast drives: neither will
    # hold a copy of it, so it cannot be cascaded; another, refused on RAID2 only.
    (card / "CLIPS" / "C09").mkdir()
    (card / "CLIPS" / "C09" / "new.mov").write_bytes(b"new clip")
    for raid in (raid1, raid2):
        (raid / card.name / "CLIPS" / "C09").mkdir(parents=True, exist_ok=True)
        (raid / card.name / "CLIPS" / "C09" / "new.mov").write_bytes(b"other content!")
    (raid2 / card.name / "CLIPS" / "C00").mkdir(parents=True)
    (raid2 / card.name / "CLIPS" / "C00" / "A003C000.mov").write_bytes(b"other")
    _seed_with_a_copy(card, raid2, "CLIPS/C00/A003C002.mov")
    before = sorted(str(p) for p in tmp_path.rglob("*") if "reports" not in p.parts)

    args = (str(card), str(raid1), str(raid2), "--cascade-to", str(shuttle), "--dry-run")
    code, out, err = cli(tmp_path, "--json", *args)
    assert code == 1, err  # as the run would: new.mov refused twice, not cascaded, and one more
    data = json.loads(out)
    assert data["exit_reason"] == "4 copies would be refused or not cascaded", data
    assert data["cascade"]["card_pass"] == [0, 1] and data["cascade"]["cascade_pass"] == [2]
    one, two, slow = data["destinations"]
    assert one["cascade_pass"] == two["cascade_pass"] == 1
    assert one["fed_from"] == two["fed_from"] == "card"
    assert slow["cascade_pass"] == 2
    fed = {item["copy_root"]: sorted(item["paths"]) for item in slow["fed_from"]}
    # A copy verified by this run (RAID2) is preferred to one verified earlier (RAID1).
    assert fed == {
        str(raid2 / card.name): [f"CLIPS/C00/A003C{i:03d}.mov" for i in (1, 2, 3)],
        str(raid1 / card.name): ["CLIPS/C00/A003C000.mov"],
    }
    assert [item["path"] for item in slow["not_cascaded"]] == ["CLIPS/C09/new.mov"]

    code, _, err = cli(tmp_path, *args)
    assert code == 1, err
    assert "Cascading copy: pass 1 reads the card to" in err and "CARD RELEASED" in err
    assert f"{shuttle / card.name} (" in err and "pass 2: after the card is released" in err
    assert f"3 fed from the verified copy on {raid2}\n" in err
    assert f"1 fed from the verified copy on {raid1}\n" in err
    assert "1 CANNOT be cascaded" in err and "CLIPS/C09/new.mov" in err
    assert sorted(str(p) for p in tmp_path.rglob("*") if "reports" not in p.parts) == before
    assert list(shuttle.iterdir()) == []  # nothing written


def test_a_card_pass_with_a_failure_never_says_the_card_was_released(
    tmp_path: Path, cards: Path
) -> None:
    """A re-formatted card (same name and size, other bytes) whose file the fast destination
    refuses: the card's pass failed it, so neither the summary nor the HTML report may say
    the card was released (keep the card). Before: "The card was released at ..." in both."""
    card = cards / "CARD"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(300_000))
    fast, slow = tmp_path / "L1", tmp_path / "SH"
    fast.mkdir()
    slow.mkdir()
    assert cli(tmp_path, "-q", str(card), str(fast))[0] == 0
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(300_000))  # the card re-formatted
    # --into the first card's folder: without it, another card's offload is refused before
    # the copy (test_card_same_name.py)
    (slow / "CARD").mkdir()
    into = ("--into", str(card), str(fast / "CARD"), "--cascade-to", str(slow / "CARD"))
    code, _out, err = cli(tmp_path, *into)
    assert code == 2, err
    assert "CARD PASS DONE" in err and "keep the card" in err
    assert "The card was released" not in err
    assert "The card's pass ended at" in err and "1 file not verified" in err
    reports = sorted((tmp_path / "reports").glob("CARD_*.json"))
    data = json.loads(reports[-1].read_text())
    assert data["cascade"]["card_pass_failed"] == 1
    html = tmp_path / "job.html"
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    assert main(["report", str(reports[-1]), "--html", str(html)], env) == 0
    text = html.read_text()
    assert "the card was released" not in text and "keep the card" in text


def test_cascade_without_an_s3_destination_says_it_is_an_ordinary_offload(
    tmp_path: Path, cards: Path
) -> None:
    """--cascade feeds s3:// destinations; with none it is an ordinary offload: said before
    the copy and kept in the reports (JSON notes, so the HTML/PDF), never silent. Before:
    a warning on the terminal only, not saying what ran instead, and nothing in the report."""
    card = make_card(cards, files=2)
    one, two = tmp_path / "L1", tmp_path / "L2"
    one.mkdir()
    two.mkdir()
    code, _out, err = cli(tmp_path, "--cascade", str(card), str(one), str(two))
    assert code == 0, err
    assert "none is named" in err and "ordinary offload" in err
    assert "CARD RELEASED" not in err
    data = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    assert "cascade" not in data
    assert any("ordinary offload" in note for note in data["notes"])


def test_a_fast_copy_the_cascade_does_not_read_changed_after_the_release_is_failed(
    tmp_path: Path,
    cards: Path,
) -> None:
    """RAID1 feeds the cascade; RAID2's copies are never read again. At the card's release
    (``CardReleased``, before the cascade starts) one of RAID2's copies is cut short, one
    given another date (its size kept) and one deleted: the cascade's check of the fast
    copies at its end fails each, saying what it found, and revokes it from RAID2's ledger;
    RAID1's and SHUTTLE's copies stay verified, and the run fails (exit 1). Failed before:
    all three "verified", exit 0."""
    card = make_card(cards, files=4)
    raid1, raid2, slow = tmp_path / "RAID1", tmp_path / "RAID2", tmp_path / "SHUTTLE"
    for folder in (raid1, raid2, slow):
        folder.mkdir()
    copies = raid2 / card.name / "CLIPS" / "C00"

    class ChangeRaid2AtRelease:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                os.truncate(copies / "A003C000.mov", 1000)
                st = (copies / "A003C001.mov").stat()
                os.utime(copies / "A003C001.mov", ns=(st.st_atime_ns, st.st_mtime_ns - 10**10))
                (copies / "A003C002.mov").unlink()

    options = OffloadOptions(cascade=frozenset({2}))
    report = offload(card, [raid1, raid2, slow], options=options, sink=ChangeRaid2AtRelease())
    assert report.exit_code == 1
    results = {f.relative_path: f for f in report.job.files}
    at_end = "when the cascade checked the fast copies at its end"
    found = {
        "CLIPS/C00/A003C000.mov": "found 1000 bytes long, the card's file 200000",
        "CLIPS/C00/A003C001.mov": "found with another modification time than the card's file",
        "CLIPS/C00/A003C002.mov": "found gone",
    }
    kinds = {
        "CLIPS/C00/A003C000.mov": FastCopyFailure.CHANGED,
        "CLIPS/C00/A003C001.mov": FastCopyFailure.CHANGED,
        "CLIPS/C00/A003C002.mov": FastCopyFailure.REMOVED,
    }
    for path, words in found.items():
        result = results[path].destination(1)
        assert result is not None and result.status is DestinationStatus.FAILED, result
        assert f"was verified, then {words} {at_end}" in (result.error or ""), result.error
        assert result.fast_failure is kinds[path], result
    for file in report.job.files:
        for index in (0, 2):
            result = file.destination(index)
            assert result is not None and result.status is DestinationStatus.VERIFIED, result
    assert results["CLIPS/C00/A003C003.mov"].destination(1).status is DestinationStatus.VERIFIED
    entries = Ledger(raid2 / card.name).load()
    assert {p: entries[p].state for p in found} == dict.fromkeys(found, "revoked")
    assert entries["CLIPS/C00/A003C003.mov"].state == "verified"
    # Each revocation kept the entry it ended (an offload's: ``revoked_by``), so RAID2's
    # --reverify takes the two copies still there up as ours and replaces them, without
    # --overwrite. Failed before: plain ``revoked`` lines alone, and --reverify refused both
    # as files in the way (exit 1), naming --overwrite.
    for path in found:
        kept = revoked_record(entries[path])
        assert kept is not None and kept.relative_path == path, entries[path]
        assert entries[path].revoked_by == "offload"
    again = offload(card, [raid2], options=OffloadOptions(reverify=True))
    assert again.exit_code == 0, [
        (f.relative_path, d.error) for f in again.job.files for d in f.destinations if d.error
    ]
    for file in again.job.files:
        copy = raid2 / card.name / file.relative_path
        assert copy.read_bytes() == (card / file.relative_path).read_bytes(), copy


def test_a_fast_copy_replaced_behind_the_run_with_its_ledger_line_is_still_failed(
    tmp_path: Path, cards: Path
) -> None:
    """The cascade's end check of the fast copies compares each with the entry the run
    itself read or wrote, not with its ledger read again. At the card's release another
    process writes other bytes into one of RAID2's copies (never read by the cascade), its
    size and date kept, and appends a line to RAID2's ledger recording that file's new
    inode and change time (a tool that "re-verified" it): the end check still finds the
    copy moved since this run verified it, reads it whole and fails it as other content.
    Failed before: the check loaded the ledger again, took that line for the run's, and
    the copy stayed "verified" (exit 0)."""
    card = make_card(cards, files=4)
    raid1, raid2, slow = tmp_path / "RAID1", tmp_path / "RAID2", tmp_path / "SHUTTLE"
    for folder in (raid1, raid2, slow):
        folder.mkdir()
    victim = "CLIPS/C00/A003C001.mov"
    copy = raid2 / card.name / victim
    ledger_file = raid2 / card.name / ".offload" / "ledger.jsonl"

    class ReplaceOnRaid2AtRelease:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                before = copy.stat()
                with open(copy, "r+b") as handle:
                    handle.write(os.urandom(4096))
                os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
                after = copy.stat()
                (line,) = [
                    fields
                    for text in ledger_file.read_text().splitlines()
                    if (fields := json.loads(text)).get("relative_path") == victim
                ]
                line.update(inode=after.st_ino, ctime_ns=after.st_ctime_ns)
                with open(ledger_file, "a") as handle:
                    handle.write(json.dumps(line) + "\n")

    options = OffloadOptions(cascade=frozenset({2}))
    report = offload(card, [raid1, raid2, slow], options=options, sink=ReplaceOnRaid2AtRelease())
    assert report.exit_code == 1, [
        (f.relative_path, d.error) for f in report.job.files for d in f.destinations if d.error
    ]
    results = {f.relative_path: f for f in report.job.files}
    result = results[victim].destination(1)
    assert result is not None and result.status is DestinationStatus.FAILED, result
    assert "with other content than was verified" in (result.error or ""), result.error
    assert result.fast_failure is FastCopyFailure.CHANGED, result
    for path, file in results.items():
        for index in (0, 2):
            assert file.destination(index).status is DestinationStatus.VERIFIED, path  # type: ignore[union-attr]


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_slow_copy_removed_or_replaced_after_its_read_back_is_not_in_its_manifest(
    tmp_path: Path, cards: Path, how: str
) -> None:
    """A slow drive's copy removed, or another file put at its name with its size and date
    kept, once its read-back verified it (its ``FileVerified``) and before the drive's
    manifest: the drive's copies are looked at again before its manifest
    (``local_looked_again``), the copy is failed saying what was found, revoked from the
    drive's ledger, and the drive's ASC MHL does not list it. Failed before: exit 0, the
    copy "verified" in the report and in that drive's manifest."""
    card = make_card(cards, files=4)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    victim = "CLIPS/C00/A003C001.mov"
    copy = slow / card.name / victim

    class ChangeTheSlowCopy:
        def emit(self, event: Event) -> None:
            if (
                isinstance(event, FileVerified)
                and event.destination_index == 1
                and event.relative_path == victim
            ):
                before = copy.stat()
                copy.unlink()
                if how == "replaced":
                    copy.write_bytes(os.urandom(before.st_size))
                    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))

    options = OffloadOptions(cascade=frozenset({1}))
    report = offload(card, [fast, slow], options=options, sink=ChangeTheSlowCopy())
    assert report.exit_code == 1
    results = {f.relative_path: f for f in report.job.files}
    result = results[victim].destination(1)
    assert result is not None and result.status is DestinationStatus.FAILED, result
    found = "gone" if how == "removed" else "with other content than was verified"
    said = result.error or ""
    assert f"then found {found}" in said and "copies were looked at again" in said, said
    for path, file in results.items():
        assert file.destination(0).status is DestinationStatus.VERIFIED, path  # type: ignore[union-attr]
        if path != victim:
            assert file.destination(1).status is DestinationStatus.VERIFIED, path  # type: ignore[union-attr]
    assert Ledger(slow / card.name).load()[victim].state == "revoked"
    mhl = "".join(p.read_text() for p in (slow / card.name / "ascmhl").glob("*.mhl"))
    assert "A003C000.mov" in mhl and "A003C001.mov" not in mhl, mhl
    if how == "replaced":
        # Its remedy never names --overwrite, which is for the whole run and would replace
        # an earlier take's copy standing in another file's way too (QA qawords67: it did);
        # --reverify, as the next run's own refusal says, mends it.
        assert "--overwrite" not in said and "with --reverify" in said, said
        again = offload(card, [fast, slow], options=OffloadOptions(cascade=frozenset({1})))
        assert again.exit_code == 1, "a plain re-run refuses the copy found other"
        mended = OffloadOptions(cascade=frozenset({1}), reverify=True)
        assert offload(card, [fast, slow], options=mended).exit_code == 0
        assert copy.read_bytes() == (card / victim).read_bytes()


@pytest.mark.parametrize("how", ["chmod", "redated", "written_in_place"])
def test_a_slow_copy_touched_after_its_read_back_is_judged_by_what_changed(
    tmp_path: Path, cards: Path, how: str
) -> None:
    """A slow drive's copy touched once its read-back verified it (its ``FileVerified``),
    before the drive's manifest. ``chmod 0444`` moves its change time only: read again whole
    against its digests, it stays verified (exit 0, in the manifest). Given another date
    than its card file's and than it showed when verified: failed ("another modification
    time"). Written in place with its date put back under ``--verify transfer``: failed
    "with other content than was recorded" (a transfer check never read it back, so never
    "than was verified": review of reads67, LOW 1; failed before on those words)."""
    card = make_card(cards, files=3)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    victim = "CLIPS/C00/A003C001.mov"
    copy = slow / card.name / victim

    class TouchTheSlowCopy:
        def emit(self, event: Event) -> None:
            if not (
                isinstance(event, FileVerified)
                and event.destination_index == 1
                and event.relative_path == victim
            ):
                return
            before = copy.stat()
            if how == "chmod":
                copy.chmod(0o444)
            elif how == "redated":
                os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns + 3600 * 10**9))
            else:
                with open(copy, "r+b") as handle:
                    handle.write(os.urandom(4096))
                os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))

    verify = VerifyMode.TRANSFER if how == "written_in_place" else VerifyMode.FULL
    options = OffloadOptions(cascade=frozenset({1}), copy=CopyOptions(verify=verify))
    report = offload(card, [fast, slow], options=options, sink=TouchTheSlowCopy())
    result = {f.relative_path: f for f in report.job.files}[victim].destination(1)
    assert result is not None
    mhl = "".join(p.read_text() for p in (slow / card.name / "ascmhl").glob("*.mhl"))
    if how == "chmod":
        assert report.exit_code == 0, result.error
        assert result.status is DestinationStatus.VERIFIED, result
        assert "A003C001.mov" in mhl, mhl
        return
    assert report.exit_code == 1
    assert result.status is DestinationStatus.FAILED, result
    said = result.error or ""
    if how == "redated":
        assert "was verified, then found with another modification time" in said, said
        # Its bytes are the card file's: --reverify reads it back and finds it equal, so
        # the words never say it copies it again (review of revfix6_67's base, LOW 5).
        assert "--reverify reads it back and replaces it if it differs" in said, said
        assert "to copy it again" not in said, said
    else:
        assert "was transfer-checked, then found with other content than was recorded" in said
        assert "than was verified" not in said, said
    assert Ledger(slow / card.name).load()[victim].state == "revoked"
    assert "A003C000.mov" in mhl and "A003C001.mov" not in mhl, mhl
    if how == "redated":  # the words followed: read back, found equal
        mended = OffloadOptions(cascade=frozenset({1}), reverify=True)
        assert offload(card, [fast, slow], options=mended).exit_code == 0
        assert copy.read_bytes() == (card / victim).read_bytes()


def test_only_a_cascade_keeps_what_its_ledgers_appended(tmp_path: Path, cards: Path) -> None:
    """A ledger keeps what the run appended (``Ledger.remembers_written``: each copy's record,
    identity and the date it showed when recorded) only in a cascade, whose end checks ask
    (``run_known``, ``dated_as_verified``): a plain run of 50,000 files keeps none (issue 14's
    peak RSS), and ``run_known`` asked of a ledger not remembering raises RuntimeError,
    never answering as if the run wrote nothing. Real runs of each kind (c74fa428's claim,
    untested before)."""
    card = make_card(cards, files=3)
    plain, fast, slow = tmp_path / "PLAIN", tmp_path / "RAID", tmp_path / "SHUTTLE"
    for folder in (plain, fast, slow):
        folder.mkdir()
    plan = plan_offload(card, [plain], OffloadOptions())
    assert run_plan(plan).exit_code == 0
    (ledger,) = plan.ledgers
    assert not ledger.remembers_written
    assert not ledger._written and not ledger._dates_seen
    with pytest.raises(RuntimeError, match="not remembering"):
        ledger.run_known()
    plan = plan_offload(card, [fast, slow], OffloadOptions(cascade=frozenset({1})))
    assert run_plan(plan).exit_code == 0
    for ledger in plan.ledgers:
        assert ledger.remembers_written
        # Dates kept only where a copy does not show its card file's (none on a tmp folder).
        assert not ledger._dates_seen, ledger.path
        assert ledger.run_known().get("CLIPS/C00/A003C001.mov") is not None


_LEDGER_OPENS = """
import json, os, sys
from pathlib import Path
from offload.card import OffloadOptions, offload
card, fast, slow, ledger = sys.argv[1:]
opened = []
# A ledger opened by its path, or by its bare name in the state folder the lock holds
# (``os.open(name, dir_fd=...)``: the event names no folder, so the slow copy's appends
# count too). Each: its mode, and whether it was opened to read.
sys.addaudithook(
    lambda event, args: opened.append(
        [str(args[1]), (args[2] or 0) & os.O_ACCMODE == os.O_RDONLY]
    )
    if event == "open" and str(args[0]) in (ledger, os.path.basename(ledger))
    else None
)
options = OffloadOptions(cascade=frozenset({1}))
report = offload(Path(card), [Path(fast), Path(slow)], options=options)
print(json.dumps([report.exit_code, opened]))
"""


def test_the_cascades_end_check_reads_no_fast_ledger_again(tmp_path: Path, cards: Path) -> None:
    """A cascade onto an empty RAID: its ledger is opened only to append this run's lines
    (``os.open``, mode None), never read: the end check of the fast copies takes the entries
    the run wrote (``Ledger.run_known``). Counted by an audit hook on ``open`` in a process
    of its own. Failed before: one more open, mode "r", the whole ledger read again at the
    cascade's end (0.4-1.1 s of CPU at 50,000 entries)."""
    card = make_card(cards, files=4)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    ledger = fast / card.name / ".offload" / "ledger.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _LEDGER_OPENS, str(card), str(fast), str(slow), str(ledger)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    code, opened = json.loads(done.stdout.splitlines()[-1])
    assert code == 0, done.stderr
    assert opened and all(mode == "None" and not read for mode, read in opened), opened


def released_and_stopped(tmp_path: Path, cards: Path) -> tuple[Path, Path, Path]:
    """A 4-file card cascaded from RAID to SHUTTLE, the run stopped (Ctrl-C) right at the
    card's release: (card, fast, slow). The fast copy holds the card and its record."""
    card = make_card(cards, files=4)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    stopped_at_release(card, fast, slow)
    return card, fast, slow


def stopped_at_release(card: Path, fast: Path, slow: Path, *ignore: str) -> dict[str, Any]:
    """Offload *card* cascaded from *fast* to *slow*, cancelled (as by Ctrl-C) right at the
    card's release: the fast copy holds the card and its record, the slow one nothing yet.
    *ignore*: the ``--ignore`` patterns of the run. Returns its job report's data."""
    cancel = CancelToken()

    class StopAtRelease:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                cancel.cancel()

    options = OffloadOptions(cascade=frozenset({1}), ignore=IgnoreRules.default().adding(ignore))
    first = offload(card, [fast, slow], options=options, sink=StopAtRelease(), cancel=cancel)
    assert first.exit_code == 130 and first.card_released_at is not None
    data: dict[str, Any] = json.loads(b"".join(json_chunks(report_data(first))))
    return data


def alter_keeping_size_and_times(path: Path) -> None:
    """Invert two bytes of *path* (at offset 100), its size and times kept: a change no
    look at the file's metadata sees."""
    st = path.stat()
    flip_bytes(path, 100)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_without_the_card_the_card_files_its_run_left_out_keep_it(
    tmp_path: Path,
    cards: Path,
) -> None:
    """The card's run left out a card file named like our partials and one the user's
    ``--ignore`` matched, then was stopped at the release (its line names them beside the
    cancel); the card gone, the same command again feeds the slow destination from the fast
    copy. Those two files were never copied: the card is kept and both are named. Failed
    before (review of hostilefix57): the cancelled run's line named the cancel alone; the
    re-run exit 0, "It may be formatted", neither file named (the record forgot them)."""
    card = make_card(cards, files=4)
    (card / "CLIPS" / ".offload-partial.x").write_bytes(b"12345")
    (card / "CLIPS" / "take.tmp").write_bytes(b"scratch")
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    cancelled = stopped_at_release(card, fast, slow, "*.tmp")["card_release"]["text"]
    # The card's run, cancelled, names them beside the cancel (before: the cancel alone).
    assert "CLIPS/.offload-partial.x" in cancelled and "CLIPS/take.tmp" in cancelled, cancelled
    card.rename(card.with_name("gone"))
    args = ("--ignore", "*.tmp", str(card), str(fast), "--cascade-to", str(slow))
    code, _out, err = cli(tmp_path, *args)
    assert code == 0, err
    assert not (slow / card.name / "CLIPS" / ".offload-partial.x").exists()
    data = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    release = data["card_release"]
    assert release["may_format"] is False and "may be formatted" not in release["text"], release
    assert "Do not format the card" in release["text"], release
    assert "CLIPS/.offload-partial.x" in release["text"], release
    assert "CLIPS/take.tmp" in release["text"], release
    assert "CLIPS/.offload-partial.x" in err and "CLIPS/take.tmp" in err, err
    assert job_report_problem(data) is None


def test_without_the_card_a_fast_copy_changed_since_verified_is_not_cascaded(
    tmp_path: Path,
    cards: Path,
) -> None:
    """The card gone, the re-run feeds the slow destination from the fast copy, checked
    against the card's digests its ledger recorded: a copy altered since (same size and
    time) fails that file on the slow destination, named as the fast copy's (no other holds
    it), and there (cascade_refeed); the others are verified."""
    card, fast, slow = released_and_stopped(tmp_path, cards)
    victim = fast / card.name / "CLIPS" / "C00" / "A003C001.mov"
    alter_keeping_size_and_times(victim)
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 1, err
    assert f"the card {card} is absent: the source is its fast copy {fast / card.name}" in err
    assert f"the fast copy {victim} was verified by an earlier run, then changed" in err
    assert f"not fed: the fast copy {victim} no longer matches the card's digests" in err
    assert not (slow / card.name / "CLIPS" / "C00" / "A003C001.mov").exists()
    for other in ("A003C000.mov", "A003C002.mov", "A003C003.mov"):
        copied = slow / card.name / "CLIPS" / "C00" / other
        assert (
            copied.read_bytes() == (card.with_name("gone") / "CLIPS" / "C00" / other).read_bytes()
        )


def test_without_the_card_a_rerun_is_refused_when_no_fast_copy_holds_it_all(
    tmp_path: Path,
    cards: Path,
) -> None:
    """A card whose pass failed a file on the fast destination leaves no record that the
    copy holds the card; the card gone, the re-run is refused: 64, one line, nothing
    written, what to do. So is one whose record no longer matches what the copy holds."""
    card = cards / "CARD"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(300_000))
    (card / "CLIPS" / "C002.mov").write_bytes(os.urandom(300_000))
    fast, slow = tmp_path / "L1", tmp_path / "SH"
    fast.mkdir()
    slow.mkdir()
    assert cli(tmp_path, "-q", str(card), str(fast))[0] == 0
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(300_000))  # the card re-formatted
    assert cli(tmp_path, "-q", str(card), str(fast), "--cascade-to", str(slow))[0] == 1
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 64, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"the card {card} is absent" in lines[0], lines
    assert "no record that the card's pass verified every file" in lines[0]
    assert "insert the card" in lines[0]
    assert not (slow / "CARD" / "CLIPS" / "C001.mov").exists()

    # A complete cascade records the pass; a file added to that copy since voids it.
    card.with_name("gone").rename(card)
    (card / "CLIPS" / "C001.mov").unlink()
    shutil.rmtree(fast / "CARD")
    assert cli(tmp_path, "-q", str(card), str(fast), "--cascade-to", str(slow))[0] == 0
    (fast / "CARD" / "CLIPS" / "extra.mov").write_bytes(b"not the card's")
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 64 and "it holds 2 files" in err, err


def test_transfer_checked_fast_copies_never_call_the_card_ejectable(
    tmp_path: Path, cards: Path
) -> None:
    """--verify transfer reads nothing back: no fast copy can stand for the card in a re-run
    without it, so the live line says keep the card (not "can be ejected"), nothing is
    recorded, and a re-run without the card is refused."""
    card, fast, _slow, args, err = _transfer_checked_cascade(tmp_path, cards, 3)
    assert "can be ejected" not in err and "keep the card" in err
    assert not (fast / card.name / ".offload" / "cascade-card.json").exists()
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, *args)
    assert code == 64 and "is absent" in err, err


def test_a_transfer_checked_card_pass_is_never_called_verified(tmp_path: Path, cards: Path) -> None:
    """--verify transfer: the card pass's line says the fast copies are transfer-checked
    (never read back), and the card stays (no copy read back whole). Failed before: the line
    said "all 2 files are on FAST" (the failure branch: "2 files verified on FAST"), counting
    a transfer check as good without saying what it is."""
    _card, _fast, _slow, _args, err = _transfer_checked_cascade(tmp_path, cards, 2)
    (line,) = [
        line for line in err.splitlines() if line.startswith(("CARD RELEASED", "CARD PASS DONE"))
    ]
    assert line.startswith("CARD PASS DONE")
    assert "all 2 files are transfer-checked (never read back) on" in line
    assert "verified" not in line and "format" not in line


def _html_text(tmp_path: Path, report: str) -> str:
    html = tmp_path / "job.html"
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    assert main(["report", report, "--html", str(html)], env) == 0
    return " ".join(html.read_text().split())


def test_a_card_pass_no_file_survived_never_says_the_slow_destination_was_fed(
    tmp_path: Path,
    cards: Path,
) -> None:
    """The only fast destination refuses every file (other files already there): no fast
    copy exists, so nothing can feed the slow one. Failed before: the live line said "Now
    feeding SH from those copies.", the summary "SH was then fed from the fast copies." and
    the HTML "destination(s) 2 were fed from a verified copy on a fast destination"; then
    the HTML's "(the failures are listed below)", a warning after its Problems list."""
    card = cards / "CARD"
    (card / "CLIPS").mkdir(parents=True)
    fast, slow = tmp_path / "L1", tmp_path / "SH"
    (fast / "CARD" / "CLIPS").mkdir(parents=True)
    slow.mkdir()
    for name in ("C001.mov", "C002.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(100_000))
        (fast / "CARD" / "CLIPS" / name).write_bytes(os.urandom(100_000))
        # Dated as the card file (another tool's copy keeping its dates): the ledgerless
        # folder is this card's, its files read back; dated by their writing, it was this
        # card's only within 2 s (else refused under load: copy-root-of-other-files).
        shutil.copystat(card / "CLIPS" / name, fast / "CARD" / "CLIPS" / name)
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 2, err
    (line,) = [
        line for line in err.splitlines() if line.startswith(("CARD RELEASED", "CARD PASS DONE"))
    ]
    assert "0 files verified on" in line and "2 FAILED there" in line
    assert "feeding" not in line and f"Nothing to feed {slow} with" in line
    assert "was then fed" not in err and f"no copy reached {slow} from the fast copies" in err
    assert not list(slow.rglob("*.mov"))
    reports = sorted((tmp_path / "reports").glob("CARD_*.json"))
    text = _html_text(tmp_path, str(reports[-1]))
    assert "were fed" not in text
    assert "no copy reached destination 2 from the fast copies" in text
    # The documents list the failures under Problems, before this warning (QA: "listed
    # below" there); the terminal's ERROR lines come below its sentence.
    assert "(the failures are listed under Problems)" in text, text
    assert "(the failures are listed below)" in err, err


def test_a_file_one_fast_destination_holds_is_not_called_uncascadable(
    tmp_path: Path, cards: Path
) -> None:
    """Two fast destinations, one file refused on the second only: the first holds it, so
    the cascade feeds it from there. Failed before: the live line said of that file "keep
    the card to retry it: it cannot be cascaded", and the slow destination then got it."""
    card = cards / "CARD"
    (card / "CLIPS").mkdir(parents=True)
    fast1, fast2, slow = tmp_path / "L1", tmp_path / "L2", tmp_path / "SH"
    (fast2 / "CARD" / "CLIPS").mkdir(parents=True)
    fast1.mkdir()
    slow.mkdir()
    for name in ("C001.mov", "C002.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(100_000))
    (fast2 / "CARD" / "CLIPS" / "C001.mov").write_bytes(os.urandom(100_000))
    # Dated as the card file, as above (else refused under load as another card's folder).
    shutil.copystat(card / "CLIPS" / "C001.mov", fast2 / "CARD" / "CLIPS" / "C001.mov")
    code, out, err = cli(
        tmp_path, "--json", str(card), str(fast1), str(fast2), "--cascade-to", str(slow)
    )
    assert code == 1, err
    events = [json.loads(line) for line in out.splitlines()]
    (released,) = [e for e in events if e["event"] == "card_released"]
    assert released["files_failed"] == 1 and released["files_not_cascaded"] == 0
    code, _out, err = cli(tmp_path, str(card), str(fast1), str(fast2), "--cascade-to", str(slow))
    assert code == 1, err
    (line,) = [
        line for line in err.splitlines() if line.startswith(("CARD RELEASED", "CARD PASS DONE"))
    ]
    assert "1 FAILED there" in line and "cannot be cascaded" not in line
    assert "Now feeding" in line
    assert (slow / "CARD" / "CLIPS" / "C001.mov").read_bytes() == (
        card / "CLIPS" / "C001.mov"
    ).read_bytes()


def test_a_rerun_whose_slow_destination_needs_nothing_never_says_feeding(
    tmp_path: Path, cards: Path
) -> None:
    """The same cascade run twice: the second finds every copy there (trusted). Failed
    before (review): the live line said "Now feeding SH from those copies" and the HTML "got
    no copy from the fast destinations" (read as a problem) where the summary said "SH
    needed nothing from the fast copies"."""
    card = make_card(cards, files=3)
    fast, slow = tmp_path / "L1", tmp_path / "SH"
    fast.mkdir()
    slow.mkdir()
    args = (str(card), str(fast), str(slow), "--cascade-to", str(slow))
    assert cli(tmp_path, *args)[0] == 0
    code, _out, err = cli(tmp_path, *args)
    assert code == 0, err
    (line,) = [
        line for line in err.splitlines() if line.startswith(("CARD RELEASED", "CARD PASS DONE"))
    ]
    assert "feeding" not in line and f"{slow} needs nothing from them" in line
    assert f"{slow} needed nothing from the fast copies" in err
    reports = sorted((tmp_path / "reports").glob("A003R1_*.json"))
    text = _html_text(tmp_path, str(reports[-1]))
    assert "got no copy" not in text
    assert "destination 2 needed nothing from the fast copies" in text


# How a refused copy is set up on the slow drives SH and K1 (a card of *files* files, the
# first clip changed on *corrupt* of them) and how many copies the CARD line counts refused.
_REFUSED = {
    "one-slow-drive": (3, ("SH",), "1 copy already there was refused", True),
    "both-slow-drives": (3, ("SH", "K1"), "2 copies already there were refused", True),
    "every-slow-copy": (1, ("SH", "K1"), "2 copies already there were refused", False),
}


def _refused_on_slow_drives(
    root: Path, cards: Path, case: str, *args: str, earlier: bool = False
) -> tuple[int, str, str, tuple[Path, Path]]:
    """In *root* (and a card folder of its name in *cards*): the card copied by hand to SH and
    K1 before (dates kept), its first clip changed since on some of them (*case*:
    ``_REFUSED``), its size and date kept; *earlier*: L1 written by an earlier run. Then the
    cascade from L1 to SH and K1, with *args*: its exit code, stdout, stderr, and SH and K1."""
    files, corrupt, _said, _others = _REFUSED[case]
    (cards / root.name).mkdir()
    card = make_card(cards / root.name, files=files)
    fast, slow, other = root / "L1", root / "SH", root / "K1"
    fast.mkdir(parents=True)
    if earlier:
        assert cli(root, str(card), str(fast))[0] == 0
    for drive in (slow, other):
        shutil.copytree(card, drive / card.name)
    for name in corrupt:
        corrupt_keeping_size_and_mtime(root / name / card.name / "CLIPS/C00/A003C000.mov")
    cascade = ("--cascade-to", str(slow), "--cascade-to", str(other))
    return (*cli(root, *args, str(card), str(fast), *cascade), (slow, other))


@pytest.mark.parametrize("case", list(_REFUSED))
@pytest.mark.parametrize("earlier", [False, True], ids=["fast-copied-now", "fast-verified-earlier"])
def test_slow_drives_needing_nothing_but_a_refused_copy_never_say_it_is_there(
    tmp_path: Path, cards: Path, earlier: bool, case: str
) -> None:
    """SH and K1 hold the card already, a clip changed on one or both (``_REFUSED``): the
    card's pass writes L1 (or finds it verified by an earlier run: CARD PASS DONE), SH and K1
    need nothing fed. Failed before (QA): "CARD RELEASED … SH, K1 needs nothing from them
    (its copies are already there)", then the ERROR that SH's clip exists with other content,
    exit 1. Then (review): the clip changed on both, "1 copy already there was refused" (the
    files counted, not the copies), and "the other copies are already there" of a 1-file
    card whose every slow copy was refused."""
    _files, corrupt, said, others = _REFUSED[case]
    code, out, _err, _slow = _refused_on_slow_drives(
        tmp_path / "json", cards, case, "--json", earlier=earlier
    )
    assert code == 1
    (released,) = [e for e in map(json.loads, out.splitlines()) if e["event"] == "card_released"]
    assert released["slow_refused"] == len(corrupt), released
    code, _out, err, (slow, other) = _refused_on_slow_drives(
        tmp_path / "words", cards, case, earlier=earlier
    )
    assert code == 1, err
    start = "CARD PASS DONE" if earlier else "CARD RELEASED"
    (line,) = [line for line in err.splitlines() if line.startswith(start)]
    assert "already there)" not in line and "needs nothing" not in line, line
    rest = "; the other copies are already there" if others else ""
    assert (
        f"{slow}, {other} are fed nothing from them: {said} and not written over (the ERROR "
        f"lines at the end say why and what to do){rest}"
        f"{', so nothing in this run reads them again' if earlier else '.'}" in line
    ), line
    assert others or "other copies" not in line, line
    for drive in (slow, other):  # an ERROR line for each copy refused, none for another
        refused = f"ERROR: {drive}/A003R1/CLIPS/C00/A003C000.mov already exists with other"
        assert (refused in err) == (drive.name in corrupt), err


def test_a_card_kept_with_only_refused_slow_copies_says_nothing_was_to_be_fed(
    tmp_path: Path,
) -> None:
    """The card beside the copies (one disk: the card is kept), a clip changed on SH and on
    K1, nothing to feed them. Failed before (review): the CARD line said "keep the card until
    SH, K1 is done", and the summary and the documents "no copy reached SH, K1 from the fast
    copies (the failures are listed below)", as if feeding them had failed."""
    (tmp_path / "cards").mkdir()
    code, _out, err, (slow, other) = _refused_on_slow_drives(
        tmp_path / "run", tmp_path / "cards", "both-slow-drives"
    )
    assert code == 1, err
    (line,) = [line for line in err.splitlines() if line.startswith("CARD PASS DONE")]
    assert f"keep the card until {slow}, {other} are done" in line, line
    assert "no copy reached" not in err, err
    refused = "2 copies already there were refused and not written over (the failures are listed"
    assert f"{slow}, {other} were fed nothing from the fast copies: {refused} below)" in err, err
    text = _html_text(tmp_path, str(sorted((tmp_path / "run/reports").glob("*.json"))[-1]))
    assert "no copy reached" not in text
    assert f"were fed nothing from the fast copies: {refused} under Problems)" in text, text


def test_a_file_without_a_copy_on_a_fast_destination_is_failed_in_every_count(
    tmp_path: Path, cards: Path
) -> None:
    """One rule for a fast destination with no result for a file (``cascade._not_held``).
    Failed before (review): the card's pass counted it verified on every fast destination
    (``files_verified`` 3, ``files_failed`` 0: "all 3 files are verified on L1, L2") where
    each fast destination's own count (``_counts_on``) failed it there. The engine gives
    each file a result on every destination; the state is made here from a real run's
    report, its result on L2 for one file taken away, and the release said again."""
    card = make_card(cards, files=3)
    fast1, fast2, slow = tmp_path / "L1", tmp_path / "L2", tmp_path / "SH"
    for folder in (fast1, fast2, slow):
        folder.mkdir()
    plan = plan_offload(card, [fast1, fast2, slow], OffloadOptions(cascade=frozenset({2})))
    report = run_plan(plan)
    assert report.exit_code == 0
    first = report.job.files[0]
    first.destinations = [d for d in first.destinations if d.destination_index != 1]
    event, _waiting = cascade._release(plan, report, [0, 1], [2], EventLog())
    assert (event.files_verified, event.files_failed) == (2, 1), event
    assert event.files_failed_on == (0, 1) and event.files_verified_on == (3, 2), event


def test_without_the_card_the_fast_copys_history_is_not_called_the_cards(
    tmp_path: Path,
    cards: Path,
) -> None:
    """A re-run without the card reads the fast copy's ASC MHL history (its own generations
    after the card's), not the card's: the report's reason for leaving its ascmhl/ out of the
    copy names the fast copy's history. Failed before: "the card's ASC MHL history, carried
    and continued", of a history no one read from the card in this run."""
    card, fast, slow = released_and_stopped(tmp_path, cards)
    assert (fast / card.name / "ascmhl").is_dir()  # the fast copy's own history
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 0, err
    report = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    assert report["source"] == str(fast / card.name)
    reasons = {entry["path"]: entry["reason"] for entry in report["ignored"]}
    assert reasons["ascmhl"] == (
        "/ascmhl/: the fast copy's (not the card's) ASC MHL history, to be carried and continued"
    ), reasons
    assert "the card's ASC MHL" not in json.dumps(report)


def test_without_the_card_the_slow_history_is_the_fast_copys_then_its_own_verified(
    tmp_path: Path, cards: Path, judge: AscmhlJudge
) -> None:
    """The slow copy's ASC MHL history after a re-run without the card, as decided
    (docs/design.md, "Cascading copy"): a history travels with the content it records, so
    the fast copy's generation (its transfer from the card: every file ``original``, dated
    when the card was hashed) is carried byte for byte, and the slow copy's own generation
    follows it, every file ``verified`` against those hashes: card → fast copy → slow copy,
    as ``ascmhl create`` gives a folder copied with its history. No generation claims a
    transfer into the slow folder but its own; the reference tool accepts it."""
    card, fast, slow = released_and_stopped(tmp_path, cards)
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 0, err
    carried, own = read_history(slow / card.name).generations
    (fast_generation,) = read_history(fast / card.name).generations
    folder = "ascmhl"
    assert (slow / card.name / folder / carried.file_name).read_bytes() == (
        fast / card.name / folder / fast_generation.file_name
    ).read_bytes()
    assert {h.action for f in carried.files for h in f.hashes} == {"original"}
    assert {h.action for f in own.files for h in f.hashes} == {"verified"}
    assert {f.path for f in own.files} == {f.path for f in carried.files}
    result = judge.verify(slow / card.name)
    assert result.clean, result.describe()


def test_without_the_card_a_history_not_carried_on_is_named_as_the_fast_copys(
    tmp_path: Path,
    cards: Path,
) -> None:
    """The card gone, the slow destination's copy root already holds an ASC MHL history of
    its own (another offload into that folder): the fast copy's history is not carried on
    to it, and the warning says whose it is. Failed before: "the card's ASC MHL history
    (<fast copy>/ascmhl) is not carried on ... the card's own generations stay on the
    card", of a history read from the fast copy, the card not read in that run."""
    card, fast, slow = released_and_stopped(tmp_path, cards)
    other = tmp_path / "other" / card.name  # another source of that name, other files
    (other / "OTHER").mkdir(parents=True)
    (other / "OTHER" / "x.mov").write_bytes(os.urandom(1000))
    assert cli(tmp_path, str(other), str(slow))[0] == 0
    assert (slow / card.name / "ascmhl").is_dir()
    card.rename(card.with_name("gone"))
    # --into: that folder named on purpose (without it, a folder whose ledger records
    # another card's offload alone is refused before the copy: test_card_same_name.py)
    into = ("--into", str(card), str(fast / card.name), "--cascade-to", str(slow / card.name))
    code, _out, err = cli(tmp_path, *into)
    assert code == 0, err
    words = " ".join(err.split())  # rich wraps the line
    start = words.index("ASC MHL history (")
    warning = words[words.rindex("WARNING:", 0, start) : words.index("carry them whole)")]
    source = f"{fast / card.name / 'ascmhl'}"
    assert (
        f"the fast copy's ASC MHL history ({source}) is not carried on to {slow / card.name}"
        in warning
    ), warning
    assert "holds none of the fast copy's generations" in warning, warning
    assert "the fast copy's own generations stay on the fast copy" in warning, warning
    assert "the card" not in warning, warning


def _documents_text(tmp_path: Path, report: Path) -> list[str]:
    """The HTML's and the PDF's text (pdftotext) of *report*, each with its runs of white
    space made one space."""
    html, pdf = tmp_path / "doc.html", tmp_path / "doc.pdf"
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    # Called more than once a test: the documents are made again on purpose.
    argv = ["report", str(report), "--html", str(html), "--pdf", str(pdf), "--overwrite"]
    assert main(argv, env) == 0
    read = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return [" ".join(html.read_text().split()), " ".join(read.stdout.split())]


@pytest.mark.timeout(120)
def test_a_cascade_cancelled_by_ctrl_c_is_called_cancelled_in_the_html_and_pdf(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A real SIGINT right after "CARD RELEASED": the summary says the cascade was
    cancelled, and so must the HTML and the PDF. Failed before: both said "Cascading copy:
    destination(s) 2 needed nothing from the fast destinations" (the JSON's ``cancelled``
    unread), while the slow destination's copies were cancelled."""
    _card, slow, _command, rest = _ctrl_c_at_release(tmp_path, cards, faulty_fs)
    assert f"the cascade to {slow} was cancelled" in rest
    data = json.loads(sorted((tmp_path / "r").glob("*.json"))[-1].read_text())
    assert data["cancelled"] and data["destinations"][1]["files_cancelled"] > 0
    for text in _documents_text(tmp_path, sorted((tmp_path / "r").glob("*.json"))[-1]):
        assert "needed nothing" not in text
        assert "the card was released at" in text.lower()
        assert "the cascade to destination 2 was cancelled" in text


def test_a_transfer_checked_cascade_never_says_the_card_was_released(
    tmp_path: Path, cards: Path
) -> None:
    """``--verify transfer``: no fast copy is read back, so the live line says "CARD PASS
    DONE … keep the card" (design.md). Failed before: the summary then said "The card was
    released at …", the HTML and PDF "the card was released at …", and the JSON's
    ``cascade.card_released_at`` was set."""
    _card, _fast, slow, _args, err = _transfer_checked_cascade(tmp_path, cards, 3)
    (line,) = [
        line for line in err.splitlines() if line.startswith(("CARD RELEASED", "CARD PASS DONE"))
    ]
    assert line.startswith("CARD PASS DONE") and "keep the card" in line
    assert "was released" not in err
    assert "the card NOT released" in err and f"{slow} was then fed from the fast copies" in err
    report = sorted((tmp_path / "reports").glob("*.json"))[-1]
    cascade = json.loads(report.read_text())["cascade"]
    assert cascade["card_released_at"] is None and cascade["card_pass_ended_at"]
    for text in _documents_text(tmp_path, report):
        assert "was released" not in text and "the card NOT released" in text
        assert "destination 2 was then fed from the fast copies" in text


def test_without_the_card_the_report_names_the_fast_copy_as_the_source_not_the_card(
    tmp_path: Path,
    cards: Path,
) -> None:
    """The card gone, the re-run feeds the slow destination from the fast copy, both on this
    machine's one disk. Failed before (QA): the Card panel showed the fast copy's path as the
    card's, the format line said "destination 1 is on the card's own disk" (the card is not
    there) and the fast copy, verified, was counted as no backup."""
    card, fast, slow = released_and_stopped(tmp_path, cards)
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 0, err
    report = sorted((tmp_path / "reports").glob("*.json"))[-1]
    data = json.loads(report.read_text())
    assert data["source"] == str(fast / card.name)
    release = data["card_release"]["text"]
    assert "card's own disk" not in release, release
    assert (
        f"The card ({card}) was absent: this run read its fast copy {fast / card.name} again "
        "now (checked against the card's digests)" in release
    )
    assert "on 1 disk (2 copies), that copy among them." in release
    assert "That is one backup" in release
    for text in _documents_text(tmp_path, report):
        assert "Card path" in text and "(absent: not read)" in text
        assert "card's own disk" not in text and "that copy among them" in text
    html = " ".join(_documents_text(tmp_path, report)[0].split())
    assert f"<th>Card path</th><td>{card}</td><th>Source: fast copy</th>" in html.replace(
        "<tr>", ""
    ).replace("</tr>", "")


def test_a_transfer_checked_dry_run_never_promises_the_card_released(
    tmp_path: Path, cards: Path
) -> None:
    """``--dry-run --verify transfer`` of a cascade: the real run says "CARD PASS DONE … keep
    the card". Failed before (review): the dry run promised "the card is released (CARD
    RELEASED, it can be ejected) once those are verified" and its JSON's
    ``cascade.card_released`` said when."""
    _card, fast, slow, args, err = _transfer_checked_cascade(tmp_path, cards, 3, "--dry-run")
    assert "CARD RELEASED" not in err and "released" not in err.replace("not released", ""), err
    assert "CARD PASS DONE" in err and "pass 2: after the card's pass" in err, err
    assert f"3 fed from the copy on {fast}\n" in err, err
    code, out, err = cli(tmp_path, "--json", *args)
    assert code == 0, err
    assert json.loads(out)["cascade"]["card_released"] is None
    assert list(slow.iterdir()) == [] and list(fast.iterdir()) == []  # nothing written


def test_without_the_card_a_rerun_that_copies_nothing_never_says_it_read_the_copy(
    tmp_path: Path,
    cards: Path,
) -> None:
    """The card gone and the slow destination already complete: the re-run copies nothing,
    reads nothing of the fast copy. Failed before (review): the format line said "this run
    read its fast copy …"."""
    card, fast, slow = released_and_stopped(tmp_path, cards)
    card.rename(card.with_name("gone"))
    args = (str(card), str(fast), "--cascade-to", str(slow))
    assert cli(tmp_path, *args)[0] == 0
    code, _out, err = cli(tmp_path, *args)
    assert code == 0, err
    data = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    assert all(d["bytes_written"] == 0 for d in data["destinations"]), data["destinations"]
    release = data["card_release"]["text"]
    assert f"this run's source was its fast copy {fast / card.name};" in release, release
    assert "read its fast copy" not in release and "read again" not in release, release


def test_without_the_card_a_slow_copy_beside_the_fast_one_names_the_fast_copy(
    tmp_path: Path,
    cards: Path,
) -> None:
    """The card gone, the slow destination on the fast copy's filesystem: the warning names
    what shares that drive, the fast copy. Failed before: "is on the same filesystem as the
    source: it is not a backup of the card", the source being no card but that copy."""
    card, fast, slow = released_and_stopped(tmp_path, cards)
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 0, err
    (line,) = [x for x in err.splitlines() if f"destination {slow}" in x and "same" in x]
    assert line == (
        f"WARNING: destination {slow} is on the same filesystem as the source of this run, the "
        f"fast copy {fast / card.name} (the card {card} is absent): one drive failure loses "
        "both copies, so it is not a backup of that copy"
    ), line


def test_without_the_card_a_copy_read_back_names_the_record_it_differs_from(
    tmp_path: Path,
    cards: Path,
) -> None:
    """The card gone, a copy already on the slow destination (a ``cp`` of the fast copy's
    file) is read back and compared with its source, the fast copy's file, which changed
    since it was verified: the line names the record the digest came from, the card's
    digests in the fast copy's ledger. Failed before: "differs from the card's own ASC MHL",
    a history this run never read (the card was absent)."""
    card, fast, slow = released_and_stopped(tmp_path, cards)
    victim = fast / card.name / "CLIPS" / "C00" / "A003C001.mov"
    (slow / card.name / "CLIPS" / "C00").mkdir(parents=True)
    shutil.copy2(victim, slow / card.name / "CLIPS" / "C00" / victim.name)
    alter_keeping_size_and_times(victim)
    card.rename(card.with_name("gone"))
    code, _out, err = cli(tmp_path, str(card), str(fast), "--cascade-to", str(slow))
    assert code == 1, err
    (line,) = [x for x in err.splitlines() if x.startswith("ERROR: source ")]
    assert line.startswith(
        f"ERROR: source {victim} differs from the card's digests in the fast copy's ledger (xxh64 "
    ), line
    assert "the card's own ASC MHL" not in err, err


def test_a_fast_copy_found_different_before_a_cancel_is_revoked_and_the_mark_settled(
    tmp_path: Path, cards: Path
) -> None:
    """A cascade cancelled mid-way still checks what it read whole before the cancel: a fast
    copy found different from the card is revoked in its ledger before the mark on its root
    is taken back. Failed before: a cancelled cascade skipped that check (its ledger went on
    vouching for the damaged copy) yet settled the mark, so a re-run trusted it unread."""
    card = make_card(cards, files=40, size=200_000)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    victim = "CLIPS/C00/A003C000.mov"
    options = OffloadOptions(cascade=frozenset({1}), copy=CopyOptions(batch_files=2))
    cancel = CancelToken()

    class DamageThenStop:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                alter_keeping_size_and_times(fast / card.name / victim)
            if isinstance(event, FileVerified) and event.destination_index == 1:
                cancel.cancel()

    report = offload(card, [fast, slow], options=options, sink=DamageThenStop(), cancel=cancel)
    assert report.exit_code == 130 and report.card_released_at is not None
    result = next(f for f in report.job.files if f.relative_path == victim).destination(0)
    assert result is not None and result.status is DestinationStatus.FAILED
    entry = Ledger(fast / card.name).load().get(victim)
    assert entry is None or not entry.vouches
    assert not (fast / card.name / ".offload" / "cascade-unsettled.json").exists()


def test_a_re_run_without_the_card_says_a_fast_copy_changed_is_damaged_not_another_card(
    tmp_path: Path, cards: Path
) -> None:
    """The fast copy's last byte flipped (size and date kept) after a complete cascade; the
    card gone. The slow copy's ledger fingerprint no longer matches the source, the fast
    copy: said as that copy changed since it was verified (damaged), never "another card, or
    this card shot again" (before), and the slow copy, as its ledger recorded it, is read
    back against that record and verified at destination level (before the thirty-eighth
    pass: read as a file no ledger vouches for, failed with the fast copy, its entry left
    vouching for it unread)."""
    card = three_clip_card(cards)
    fast, slow, reports = tmp_path / "RAID", tmp_path / "SHUTTLE", tmp_path / "reports"
    for folder in (fast, slow):
        folder.mkdir()
    args = ("--report-dir", reports, "--cascade-to", slow, card, fast)
    assert run_offload("copy", *args).returncode == 0
    damaged = fast / card.name / "CLIPS" / "A001C001.mov"
    st = damaged.stat()
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    os.utime(damaged, ns=(st.st_atime_ns, st.st_mtime_ns))
    good = (card / "CLIPS" / "A001C001.mov").read_bytes()
    card.rename(card.with_name("A001-away"))
    again = run_offload("copy", *args)
    said = " ".join(again.stderr.split())
    assert again.returncode == 1, said
    assert "another card, or this card shot again" not in said, said
    assert "1 file of the fast copy is not the file" in said, said
    assert "the fast copy changed since it was verified (damaged)" in said, said
    assert (slow / card.name / "CLIPS" / "A001C001.mov").read_bytes() == good
    # Its result: verified by its read-back against its ledger's record (the fast copy
    # feeding it is damaged), never "copied" (nothing was copied).
    newest = max(reports.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    (copy,) = next(
        f["destinations"]
        for f in json.loads(newest.read_text())["files"]
        if f["path"].endswith("C001.mov")
    )
    assert (copy["status"], copy["action"]) == ("verified", "rechecked"), copy
    assert copy["verified_mode"] == "destination", copy


VICTIM = "CLIPS/C00/A003C002.mov"  # damaged on SHUTTLE_A by the next helper


def _reverified_with_a_slow_copy_damaged(tmp_path: Path, cards: Path) -> tuple[Path, Path, str]:
    """A 4-file card cascaded from RAID to SHUTTLE_A and SHUTTLE_B, then one file damaged on
    SHUTTLE_A (``VICTIM``), intact on SHUTTLE_B, and the same command with ``--reverify``,
    exit 0: the card's pass reads both back against the card; SHUTTLE_A's is found wrong
    and the cascade writes it again from RAID. Returns RAID's copy root, the run's JSON
    report and its stderr."""
    card = make_card(cards, files=4)
    fast, slow_a, slow_b = (tmp_path / name for name in ("RAID", "SHUTTLE_A", "SHUTTLE_B"))
    for folder in (fast, slow_a, slow_b):
        folder.mkdir()
    args = [str(card), str(fast), "--cascade-to", str(slow_a), "--cascade-to", str(slow_b)]
    code, _out, err = cli(tmp_path, *args)
    assert code == 0, err
    flip_bytes(slow_a / card.name / VICTIM, 1000)
    code, _out, err = cli(tmp_path, "--reverify", *args)
    assert code == 0, err
    assert (slow_a / card.name / VICTIM).read_bytes() == (card / VICTIM).read_bytes()
    reports = (tmp_path / "reports").glob("*.json")
    return fast / card.name, max(reports, key=lambda p: p.stat().st_mtime_ns), err


def test_a_slow_copy_read_back_in_the_card_pass_is_fed_from_nothing(
    tmp_path: Path, cards: Path
) -> None:
    """``_reverified_with_a_slow_copy_damaged``: SHUTTLE_A's copy of the victim was fed from
    RAID; SHUTTLE_B's, read back in the card's pass (nothing written), by nothing (JSON
    ``fed_from`` [], its CSV cell empty). Failed before (QA of the thirty-eighth pass):
    SHUTTLE_B's copy said fed from RAID (the feeder was kept by file, not by copy)."""
    feeder, json_report, _err = _reverified_with_a_slow_copy_damaged(tmp_path, cards)
    data = json.loads(json_report.read_text())
    fed_from = [d["fed_from"] for d in data["destinations"]]
    assert fed_from == ["card", [{"copy_root": str(feeder), "files": 1}], []], fed_from
    with json_report.with_suffix(".csv").open(newline="") as table:
        rows = {
            row["destination_index"]: row["fed_from"]
            for row in csv.DictReader(table)
            if row["relative_path"] == VICTIM
        }
    assert rows == {"0": "", "1": str(feeder), "2": ""}, rows


def test_a_slow_copy_rewritten_by_reverify_names_the_fast_copy_that_fed_it(
    tmp_path: Path, cards: Path
) -> None:
    """``_reverified_with_a_slow_copy_damaged``: SHUTTLE_A's copy found wrong in the card's
    pass is written again by the cascade from RAID; its ``copy-no-longer-matches`` warning
    (the JSON's, the terminal's COPY FOUND DAMAGED line, the HTML's) names RAID, what fed
    it. Failed before (QA of the thirty-eighth pass): "replaced by a new copy from the
    card"."""
    feeder, json_report, err = _reverified_with_a_slow_copy_damaged(tmp_path, cards)
    data = json.loads(json_report.read_text())
    (found,) = [w for w in data["warnings"] if w["code"] == "copy-no-longer-matches"]
    words = f"replaced by a new copy from the fast copy {feeder}, verified now"
    assert words in found["message"], found
    assert "from the card" not in found["message"], found
    assert words in " ".join(err.split()), err
    assert words in " ".join(json_report.with_suffix(".html").read_text().split())


def test_a_slow_copy_replaced_by_overwrite_names_the_fast_copy_that_fed_it(
    tmp_path: Path, cards: Path
) -> None:
    """The card there, ``--overwrite``, a file not ours at a card file's name on SHUTTLE (its
    ledger gone): the cascade writes the card's file over it from RAID, and the REPLACED
    line (the ``existing-replaced`` warning) names RAID, what fed it. Failed before (found
    beside QA's finding of the thirty-eighth pass): "replaced by the card's"."""
    card = make_card(cards, files=4)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    for folder in (fast, slow):
        folder.mkdir()
    args = [str(card), str(fast), "--cascade-to", str(slow)]
    code, _out, err = cli(tmp_path, *args)
    assert code == 0, err
    shutil.rmtree(slow / card.name / ".offload")
    (slow / card.name / VICTIM).write_bytes(b"not ours")
    code, _out, err = cli(tmp_path, "--overwrite", *args)
    assert code == 0, err
    (line,) = [line for line in err.splitlines() if line.startswith("REPLACED")]
    said = " ".join(err[err.index(line) :].split())
    assert f"replaced by copies from the card's fast copy {fast / card.name} (each" in said, err
    assert "replaced by the card's" not in said, err


def test_a_ctrl_c_once_the_cascade_copied_everything_is_shown_as_no_cancel(
    tmp_path: Path, cards: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C once the cascade's copy jobs ended uncancelled, while it checks the fast
    copies (``cascade._changed_since_verified``): the run cancels nothing and goes on to its
    end, so the live view must not say CANCELLING (before: ``copies_over`` was never set in a
    cascade, and the frame said CANCELLING for a run that then ended exit 0)."""
    from rich.console import Console

    from offload.cli.live import render
    from offload.progress import ProgressModel

    card = make_card(cards, files=4, size=100_000)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    model = ProgressModel()
    cancel = CancelToken()
    frames: list[str] = []
    checked = cascade._changed_since_verified

    def ctrl_c_while_checked(*args: Any, **kwargs: Any) -> Any:
        cancel.cancel()  # what the signal handler does on a Ctrl-C
        console = Console(width=160, record=True, color_system=None, force_terminal=False)
        console.print(render(model.snapshot(), cancelled=True))
        frames.append(console.export_text())
        return checked(*args, **kwargs)

    monkeypatch.setattr(cascade, "_changed_since_verified", ctrl_c_while_checked)
    options = OffloadOptions(cascade=frozenset({1}))
    report = offload(card, [fast, slow], options=options, sink=model, cancel=cancel)
    assert not report.job.cancelled and report.exit_code == 0  # nothing was cancelled
    (frame,) = frames
    assert "CANCELLING" not in frame, frame
    assert "Ctrl-C after every copy finished: nothing cancelled" in frame, frame


def test_a_stop_read_at_the_cascades_end_names_the_destinations_not_finished(
    tmp_path: Path, cards: Path
) -> None:
    """A stop the cascade's copy job reads at its end, after its last outcome: no copy was
    cancelled, and only the slow destination is left unfinished (the fast one was finished
    at the card's release). The CANCELLED line names it. Before: "before the steps that
    finish each destination", the fast one included."""
    from offload.report.summary import verdict_lines

    card = make_card(cards, files=4, size=100_000)
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    cancel = CancelToken()

    class StopAtTheLastSlowCopy:  # as a Ctrl-C just after the cascade's last read-back
        verified = 0

        def emit(self, event: Event) -> None:
            if isinstance(event, FileVerified) and event.destination_index == 1:
                self.verified += 1
                if self.verified == 4:
                    cancel.cancel()

    options = OffloadOptions(cascade=frozenset({1}))
    report = offload(
        card, [fast, slow], options=options, sink=StopAtTheLastSlowCopy(), cancel=cancel
    )
    assert report.job.cancelled and report.exit_code == 130
    assert [d.files_cancelled for d in report.job.destinations] == [0, 0]
    assert list((fast / card.name / "ascmhl").glob("*.mhl"))  # finished at the release
    assert not (slow / card.name / "ascmhl").exists()  # not finished
    (line,) = [line for line in verdict_lines(report) if line.startswith("CANCELLED")]
    assert line.endswith(
        f"; no copy was cancelled: the stop came once every copy had its outcome, before the "
        f"steps that finish {slow} (its empty folders, links, folder times and manifests); "
        "run the same command again to finish it"
    ), line


def test_a_stop_after_every_outcome_never_words_a_destination_with_a_failed_copy_finished(
    tmp_path: Path, cards: Path
) -> None:
    """A plain run (no cascade) to D1 and D2, one copy failing on D2 (a folder made at its
    name once the job started), the stop read after every outcome: neither destination was
    finished (the stop returns before each one's links, folders and manifests), D2's result
    ``failed``, not ``cancelled``. The CANCELLED line says "each destination". Before (review
    of revfix3_63): it named D1 alone, as if D2, the one with the failure, were finished."""
    from offload.events import FileFailed, JobStarted
    from offload.report.summary import verdict_lines

    card = make_card(cards, files=4, size=100_000)
    d1, d2 = tmp_path / "D1", tmp_path / "D2"
    d1.mkdir()
    d2.mkdir()
    cancel = CancelToken()
    in_the_way = d2 / card.name / "CLIPS" / "C00" / "A003C003.mov"

    class FailOneOnD2ThenStopAtTheEnd:
        outcomes = 0

        def emit(self, event: Event) -> None:
            if isinstance(event, JobStarted):
                in_the_way.mkdir(parents=True)  # after the preflight: that copy fails on D2
            if isinstance(event, (FileVerified, FileFailed)):
                self.outcomes += 1
                if self.outcomes == 8:  # every file on both destinations has its outcome
                    cancel.cancel()

    report = offload(card, [d1, d2], sink=FailOneOnD2ThenStopAtTheEnd(), cancel=cancel)
    assert report.job.cancelled and report.exit_code == 130
    assert [report.destination_result(d) for d in report.job.destinations] == [
        "cancelled",
        "failed",
    ]
    assert not report.finished
    (line,) = [line for line in verdict_lines(report) if line.startswith("CANCELLED")]
    assert line.endswith(
        "before the steps that finish each destination (its empty folders, links, folder "
        "times and manifests); run the same command again to finish them"
    ), line
