"""``offload verify`` of a copy root whose last offload did not finish: never a pass.

QA: an ``offload copy`` killed mid-card left a ledger of the files it verified and no ASC MHL
history; ``offload verify`` read every file the ledger names and passed ("0 missing", exit 0,
``passed: true``) while card files no record names had never been copied; the same after a
power cut, after a kill at the manifest step, and after a Ctrl-C'd run. The copy root's
record of its last run (``.offload/last-run.json``, ``offload.run_record``) now says so:
``INCOMPLETE``, "missing: unknown", exit 10, until the same offload is run again to its end.
Real faults: a real ``offload copy`` process, stopped (SIGKILL, SIGINT) while an operation on
a FaultyFS destination is stalled; the power cut is FaultyFS's.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload import run_record
from support.cards import sized_card
from support.faultyfs import FaultyFS
from support.offload_cli import offload

pytestmark = pytest.mark.fault

OFFLOAD = Path(sys.executable).with_name("offload")
CARD = {
    "CLIPS/C1.mov": 300_000,
    "x.xml": 3000,
    **{f"DCIM/IMG_{n:04}.JPG": 20_000 for n in range(20)},
    "ZZ/last.mov": 400_000,  # copied last: the run is stopped while it writes it
}
#: The read of the card's last file (the card on a FaultyFS of its own), where a run is stopped
#: mid-card: the files before it are verified and recorded meanwhile (their batch closes
#: ``batch_seconds`` after its first file, the writer waiting on the reader no longer).
LAST_READ = "A001/ZZ/last.mov"


def make_card(root: Path) -> Path:
    """The card ``A001`` of :data:`CARD` in *root*."""
    return sized_card(root, CARD)


def stopped_when_stalled(
    fs: FaultyFS,
    op: str,
    path: str,
    args: list[Path | str],
    reports: Path,
    *,
    nth: int | None = None,
    sig: signal.Signals = signal.SIGKILL,
    recorded: Callable[[], bool] | None = None,
) -> int:
    """Run ``offload copy --quiet *args*``, stall *fs*'s *op* on *path* (its *nth*
    matching call), send the run *sig* once it is held there (and *recorded*
    says the files before it are recorded), release it; the run's exit status (its
    returncode)."""
    rule = fs.stall(op, path=path, nth=nth)
    process = subprocess.Popen(
        [str(OFFLOAD), "copy", "--quiet", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "OFFLOAD_REPORT_DIR": str(reports)},
    )
    try:
        fs.wait_stalled_while_working(rule, process)
        if recorded is not None:
            deadline = time.monotonic() + 60
            while not recorded() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert recorded(), "the files before the stall were never recorded"
    finally:
        process.send_signal(sig)
        fs.release(rule)
        fs.clear()
        process.wait(timeout=60)
    return process.returncode


def ledger_synced(fs: FaultyFS) -> Callable[[], bool]:
    """Whether the copy root ``A001`` on *fs* has its ledger fsynced (the files before the
    stall recorded durably: a power cut keeps them)."""
    ledger = "A001/.offload/ledger.jsonl"
    return lambda: any(r.op == "fsync" and r.path == ledger for r in fs.oplog())


def copied(*args: Path | str) -> None:
    """``offload copy --quiet`` of *args* (a card and its destinations, options first),
    checked to exit 0: the finished copy each test starts from."""
    code, output = offload("copy", "--quiet", *args)
    assert code == 0, output


def verified_json(root: Path, reports: Path) -> tuple[int, str, dict[str, object]]:
    """``offload verify ROOT``'s exit code, its output and its saved JSON report."""
    code, output = offload("verify", "--report-dir", reports, root)
    (saved,) = sorted(reports.glob("verify_*.json"), key=os.path.getmtime)[-1:]
    return code, output, json.loads(saved.read_text())


def copied_but_the_last_card_file(tmp_path: Path, card_fs: FaultyFS) -> tuple[Path, Path, str]:
    """The card (:func:`make_card`, on *card_fs*) copied by ``offload copy --quiet``
    (in-process, its reports in the default folder) into *tmp_path*/dest while every read of
    its last file (:data:`LAST_READ`) fails (EIO), the fault cleared after: the card, the
    copy root and what the run said. The run's exit is checked (not 0)."""
    card = make_card(card_fs.mountpoint)
    (tmp_path / "dest").mkdir()
    card_fs.fail("read", path=LAST_READ)
    code, output = offload("copy", "--quiet", card, tmp_path / "dest")
    assert code != 0, output
    card_fs.clear()
    return card, tmp_path / "dest" / card.name, output


def stopped_mid_card(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], sig: signal.Signals = signal.SIGKILL
) -> tuple[Path, FaultyFS, Path, int]:
    """The card (:func:`make_card`, on a FaultyFS of its own) offloaded into another
    FaultyFS (its reports in *tmp_path*/reports), sent *sig* while the card's last file
    (:data:`LAST_READ`) is read, once the files before it are recorded durably
    (:func:`ledger_synced`): the card, the destination's FaultyFS, the copy root and the
    run's exit status. That last file was never copied (checked)."""
    card_fs = faulty_fs()
    card = make_card(card_fs.mountpoint)
    fs = faulty_fs()
    root = fs.mountpoint / card.name
    status = stopped_when_stalled(
        card_fs, "read", LAST_READ, [card, fs.mountpoint], tmp_path / "reports",
        sig=sig, recorded=ledger_synced(fs),
    )  # fmt: skip
    assert not (root / "ZZ" / "last.mov").exists()
    return card, fs, root, status


def card_b_then_a_said_incomplete(
    card_b: Path, card_a: Path, root: Path, reports: Path
) -> tuple[str, dict[str, object]]:
    """Card B (one clip, ``BCLIPS/B1.mov``) made at *card_b* and offloaded ``--into``
    *root*, the copy root of card A at *card_a*, killed mid-card (:func:`stopped_mid_card`);
    ``offload verify`` of *root* then checked to exit 10 with one INCOMPLETE line naming
    card A's unfinished run (its identity unknown, a FUSE mount: by its path and first
    file). That line and the saved JSON report (its reports in *reports*)."""
    (card_b / "BCLIPS").mkdir(parents=True)
    (card_b / "BCLIPS" / "B1.mov").write_bytes(os.urandom(200_000))
    copied("--into", card_b, root)
    code, output, data = verified_json(root, reports)
    assert code == 10, output
    (line,) = [line for line in output.splitlines() if "INCOMPLETE:" in line]
    assert (
        f"the offload of card {card_a} (first file CLIPS/C1.mov, 300,000 bytes) that wrote to "
        "this copy"
    ) in line, line
    assert "did not finish (killed, a power cut, stopped)" in line, line
    return line, data


def assert_complete(root: Path, reports: Path) -> None:
    """``offload verify`` of *root* (its reports in *reports*) passes, exit 0, and says no
    INCOMPLETE."""
    code, output, data = verified_json(root, reports)
    assert code == 0 and data["passed"] is True, output
    assert "INCOMPLETE" not in output, output


def assert_incomplete(code: int, output: str, data: dict[str, object], how: str) -> None:
    assert code == 10, output
    (line,) = [line for line in output.splitlines() if "INCOMPLETE:" in line]
    assert line.startswith("ERROR: INCOMPLETE: the offload that wrote this copy"), line
    assert how in line and "run the same `offload copy` again" in line, line
    assert "missing: unknown" in output and "0 missing" not in output, output
    assert data["passed"] is False and data["exit_code"] == 10, data
    assert str(data["unfinished_offload"]).startswith("INCOMPLETE: "), data


@pytest.mark.timeout(180)
@pytest.mark.parametrize("power_cut", [False, True])
def test_a_copy_killed_mid_card_is_incomplete_until_the_rerun_finishes(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], power_cut: bool
) -> None:
    """Killed while it wrote the card's last file (the files before it verified and in the
    ledger, that one never copied), then (*power_cut*) the power cut: the check read what
    the ledger names and passed, exit 0. Failed before: exit 0, "0 missing"."""
    card, fs, root, status = stopped_mid_card(tmp_path, faulty_fs)
    ledger = root / ".offload" / "ledger.jsonl"
    assert status == -signal.SIGKILL
    if power_cut:
        fs.power_cut()
    assert 1 <= len(ledger.read_text().splitlines()) < len(CARD)
    assert not (root / "ZZ" / "last.mov").exists()
    code, output, data = verified_json(root, tmp_path / "v1")
    assert_incomplete(code, output, data, "did not finish (killed, a power cut, stopped)")

    copied(card, fs.mountpoint)
    code, output, data = verified_json(root, tmp_path / "v2")
    assert code == 0 and data["passed"] is True, output
    assert "INCOMPLETE" not in output and data["unfinished_offload"] is None


@pytest.mark.timeout(180)
def test_a_copy_killed_at_its_manifest_step_is_incomplete(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Every file verified (the ledger holds them), killed as its ASC MHL folder was made:
    the check against the ledger passed, while ``ascmhl-debug verify`` finds no history.
    Failed before: exit 0, "4 OK ... (against ledger)"."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    status = stopped_when_stalled(
        fs, "mkdir", "A001/ascmhl", [card, fs.mountpoint], tmp_path / "reports"
    )
    assert status == -signal.SIGKILL
    root = fs.mountpoint / card.name
    assert len((root / ".offload" / "ledger.jsonl").read_text().splitlines()) >= len(CARD)
    code, output, data = verified_json(root, tmp_path / "v1")
    assert_incomplete(code, output, data, "did not finish")
    assert f"{len(CARD)} OK" in output, output


@pytest.mark.timeout(180)
def test_a_cancelled_copy_is_incomplete_until_the_rerun_finishes(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A Ctrl-C (SIGINT) while the card's last file is written: the run says CANCELLED, exit
    130, and removes its partials; the check then found nothing left over and passed. Failed
    before: exit 0."""
    card, fs, root, status = stopped_mid_card(tmp_path, faulty_fs, signal.SIGINT)
    assert status == 130
    code, output, data = verified_json(root, tmp_path / "v1")
    assert_incomplete(code, output, data, "was cancelled before it finished")
    assert "LEFTOVER" not in output, output  # the cancelled run removed its partials

    copied(card, fs.mountpoint)
    code, output, _data = verified_json(root, tmp_path / "v2")
    assert code == 0, output


def test_a_finished_copy_without_manifests_still_passes(tmp_path: Path) -> None:
    """``--mhl none``: no ASC MHL history, the check is against the ledger; the run finished,
    so its record says so and the check passes as before (and ``offload history`` too)."""
    card = make_card(tmp_path / "card")
    (tmp_path / "dest").mkdir()
    copied("--mhl", "none", card, tmp_path / "dest")
    root = tmp_path / "dest" / card.name
    record = json.loads((root / ".offload" / "last-run.json").read_text())
    assert record["state"] == "finished", record
    code, output, data = verified_json(root, tmp_path / "v1")
    assert code == 0 and data["passed"] is True, output
    assert f"{len(CARD)} OK, 0 changed, 0 missing" in output, output


@pytest.mark.timeout(180)
def test_a_copy_whose_card_file_failed_is_incomplete(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A card file that could not be read (EIO) was never copied: the run ended, settled
    ``finished``, and the check passed, "0 missing", exit 0. Now the root's record is not
    ``finished`` and the check says INCOMPLETE, exit 10, until a run copies it. Failed
    before: exit 0."""
    card, root, _output = copied_but_the_last_card_file(tmp_path, faulty_fs())
    assert not (root / "ZZ" / "last.mov").exists()
    record = json.loads((root / ".offload" / "last-run.json").read_text())
    assert record["state"] != "finished", record
    code, output, data = verified_json(root, tmp_path / "v1")
    assert code == 10, output
    (line,) = [line for line in output.splitlines() if "INCOMPLETE:" in line]
    assert "1 card file with no verified copy here (ZZ/last.mov)" in line, line
    assert "0 missing" not in output, output
    assert data["passed"] is False, data
    # The CSV says it too, in a row of its own (it had no word of it).
    (csv_file,) = (tmp_path / "v1").glob("verify_*.csv")
    rows = csv_file.read_text().splitlines()
    assert rows[1].startswith(".,incomplete,INCOMPLETE: "), rows[:3]
    assert "ZZ/last.mov" in rows[1], rows[1]

    copied(card, tmp_path / "dest")
    code, output, _data = verified_json(root, tmp_path / "v2")
    assert code == 0, output


@pytest.mark.timeout(180)
def test_a_card_read_error_beside_a_complete_copy_leaves_it_complete(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A finished copy; a re-run whose card file cannot be read (EIO) reads the copy back,
    finds it as its ledger records it and keeps it, exit 1 for the card's error. The copy
    is complete: its record stays ``finished``, its check exit 0, ``--append`` allowed.
    Failed before (final review of revfix6_63, HIGH): the record said ``failed`` naming the
    file, and the check said "INCOMPLETE: … 1 card file not copied here (ZZ/last.mov)", exit
    10, of a file it had just verified, for as long as the card stayed unreadable."""
    card_fs = faulty_fs()
    card = make_card(card_fs.mountpoint)
    (tmp_path / "dest").mkdir()
    root = tmp_path / "dest" / card.name
    copied(card, tmp_path / "dest")
    card_fs.fail("read", path=LAST_READ)
    code, output = offload("copy", "--quiet", "--reverify", card, tmp_path / "dest")
    assert code == 1 and "its ledger entry standing" in output, output
    record = json.loads((root / ".offload" / "last-run.json").read_text())
    assert record["state"] == "finished", record
    code, output, data = verified_json(root, tmp_path / "v1")
    assert code == 0 and "INCOMPLETE" not in output, output
    assert data["passed"] is True, data


@pytest.mark.timeout(240)
def test_fast_copies_of_a_cascade_killed_after_the_card_pass_are_complete(
    tmp_path: Path, cards: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A cascade killed on its slow drive once the card's pass was recorded (the card
    released): the fast copies hold the whole card, yet were settled only at the run's end,
    and the re-run without the card reads one as its source and never settles it: ``offload
    verify`` of a fast copy said INCOMPLETE, exit 10, for good. Now each fast root is settled
    as its copy is finished in the card's pass. Failed before: exit 10."""
    card = make_card(cards)  # a drive of its own: a fast copy beside it stands for nothing
    fast = [tmp_path / "fast1", tmp_path / "fast2"]
    for folder in fast:
        folder.mkdir()
    slow = faulty_fs()
    record = fast[0] / card.name / ".offload" / "cascade-card.json"
    args: list[Path | str] = ["--cascade-to", slow.mountpoint, card, *fast]
    status = stopped_when_stalled(
        slow, "write", "A001/CLIPS/*", args, tmp_path / "reports", recorded=record.exists
    )
    assert status == -signal.SIGKILL
    card.rename(card.with_name("A001-away"))  # the card is put away
    copied(*args)
    for folder in fast:
        assert_complete(folder / card.name, tmp_path / f"v-{folder.name}")


@pytest.mark.timeout(180)
def test_a_cancelled_reverify_of_a_complete_copy_keeps_it_complete(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A finished copy, then ``offload copy --reverify`` of it Ctrl-C'd while it read a copy
    back: that run wrote and removed nothing there, yet its record said ``cancelled`` and
    ``offload verify`` INCOMPLETE, exit 10 ("the offload that wrote this copy ... was
    cancelled"). Now a cancelled run that changed nothing there keeps the earlier
    ``finished``. Failed before: exit 10."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    copied(card, fs.mountpoint)
    root = fs.mountpoint / card.name
    status = stopped_when_stalled(
        fs, "read", "A001/ZZ/last.mov", ["--reverify", card, fs.mountpoint],
        tmp_path / "reports", sig=signal.SIGINT,
    )  # fmt: skip
    assert status == 130
    assert_complete(root, tmp_path / "v1")


@pytest.mark.timeout(180)
def test_a_cancelled_run_that_left_card_files_uncopied_is_still_incomplete(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The other side of keeping ``finished``: a finished copy, then the card gains a file
    and a run that would copy it is Ctrl-C'd while it does: the root no longer holds the
    card, so the check says INCOMPLETE (the earlier ``finished`` is not kept)."""
    card_fs = faulty_fs()
    card = make_card(card_fs.mountpoint)
    (tmp_path / "dest").mkdir()
    copied(card, tmp_path / "dest")
    (card / "ZZ" / "later.mov").write_bytes(os.urandom(300_000))
    status = stopped_when_stalled(
        card_fs, "read", "A001/ZZ/later.mov", [card, tmp_path / "dest"], tmp_path / "reports",
        sig=signal.SIGINT,
    )  # fmt: skip
    assert status == 130
    code, output, data = verified_json(tmp_path / "dest" / card.name, tmp_path / "v1")
    assert_incomplete(code, output, data, "was cancelled before it finished")


@pytest.mark.timeout(180)
def test_verify_append_refuses_an_incomplete_copy(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``offload verify --append`` of a copy whose offload did not copy every card file
    there (a card read error: its manifests written without that file) appended a generation
    of the files there, so ``ascmhl-debug verify`` then passed a copy missing a card file.
    Now refused, exit 64, with the INCOMPLETE words, no generation written. Failed before: a
    generation appended."""
    _card, root, output = copied_but_the_last_card_file(tmp_path, faulty_fs())
    manifests = sorted((root / "ascmhl").glob("*.mhl"))
    assert manifests, output
    code, output = offload("verify", "--append", "--report-dir", tmp_path / "v1", root)
    assert code == 64, output
    assert "INCOMPLETE: the offload that wrote this copy" in output, output
    assert "--append" in output, output
    assert sorted((root / "ascmhl").glob("*.mhl")) == manifests


@pytest.mark.timeout(240)
def test_a_second_card_into_the_folder_of_a_killed_one_leaves_it_incomplete(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Card A killed mid-card into its copy root; card B then offloaded ``--into`` that
    same folder (README, "Cards with the same name") and finishing there: the root's one
    record was B's ``finished``, and ``offload verify`` said no INCOMPLETE: A's files "new",
    exit 21, its last file, never copied, named nowhere. Now the record holds an entry per
    card: INCOMPLETE, exit 10, naming card A, until A's own offload is run again to its end.
    Failed before: exit 21, no INCOMPLETE line."""
    card, fs, root, status = stopped_mid_card(tmp_path, faulty_fs)
    assert status == -signal.SIGKILL
    other = tmp_path / "cardB" / "B001"
    line, data = card_b_then_a_said_incomplete(other, card, root, tmp_path / "v1")
    assert str(other) not in line, line
    assert data["passed"] is False, data

    copied(card, fs.mountpoint)
    assert_complete(root, tmp_path / "v2")


@pytest.mark.timeout(240)
def test_two_unknown_cards_from_one_path_into_one_folder_keep_an_entry_each(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Two cards whose identity cannot be read (a FUSE mount: no volume serial or label)
    offloaded from the same path ``--into`` one folder: card A killed mid-card, then card B
    mounted at that same path and offloaded to its end. Their entries were one (the same
    path, no identity): B's ``finished`` took A's ``running`` and ``offload verify`` said no
    INCOMPLETE, A's uncopied file named nowhere. Now each is told by its first file and its
    size (``run_record.FirstFile``): INCOMPLETE, exit 10, naming A by its first file, never
    B's run for A's, until A is offloaded again to its end. Failed before: no INCOMPLETE."""
    card, _fs, root, status = stopped_mid_card(tmp_path, faulty_fs)
    assert status == -signal.SIGKILL
    # Card A out, card B in at the same mount path.
    kept = tmp_path / "cardA"
    shutil.copytree(card, kept)
    shutil.rmtree(card)
    line, _data = card_b_then_a_said_incomplete(card, card, root, tmp_path / "v1")
    assert "BCLIPS" not in line, line
    entries = json.loads((root / ".offload" / "last-run.json").read_text())["cards"]
    assert sorted((e["state"], e["first"][0]) for e in entries) == [
        ("finished", "BCLIPS/B1.mov"),
        ("running", "CLIPS/C1.mov"),
    ], entries

    # Card A back at that path, offloaded again to its end: its own entry settled.
    shutil.rmtree(card)
    shutil.copytree(kept, card)
    copied("--into", card, root)
    assert_complete(root, tmp_path / "v2")


@pytest.mark.parametrize("state", ["running", "finished"])
def test_a_record_of_one_entry_an_earlier_version_wrote_is_read_as_before(
    tmp_path: Path, state: str
) -> None:
    """The record as the version before the card entries wrote it (one entry, no
    ``cards``): ``running`` is INCOMPLETE, ``finished`` passes, as then; a re-run of its card
    (the same path) replaces that entry rather than adding one beside it."""
    card = make_card(tmp_path / "card")
    (tmp_path / "dest").mkdir()
    copied("--mhl", "none", card, tmp_path / "dest")
    root = tmp_path / "dest" / card.name
    record = root / ".offload" / "last-run.json"
    old = {"state": state, "run": "r1", "started": "2026-01-02T03:04:05Z", "source": str(card)}
    record.write_text(json.dumps(old))
    code, output, data = verified_json(root, tmp_path / "v1")
    if state == "running":
        assert_incomplete(code, output, data, "(started 2026-01-02 03:04:05 UTC) did not finish")
    else:
        assert code == 0 and "INCOMPLETE" not in output, output
    copied("--mhl", "none", card, tmp_path / "dest")
    body = json.loads(record.read_text())
    assert body["state"] == "finished" and len(body["cards"]) == 1, body
    code, output, data = verified_json(root, tmp_path / "v2")
    assert code == 0 and data["passed"] is True, output


@pytest.mark.timeout(180)
def test_a_copy_root_whose_record_cannot_be_written_is_not_written_to(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A finished copy on a drive; the card gains a file; the next run cannot write its
    record there (ENOSPC on creating it, a real FUSE fault): the earlier ``finished`` record
    stayed, the run wrote the new file there all the same, and killed afterwards its check
    would have trusted that stale ``finished``. Now that copy root is lost before its first
    file, one line naming the record's path and what to do; the other destination is
    copied; the root stays as the finished offload left it. Failed before: the new file was
    written there, nothing said."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    (tmp_path / "other").mkdir()
    copied(card, fs.mountpoint)
    root = fs.mountpoint / card.name
    record = root / ".offload" / "last-run.json"
    before, ledger = record.read_bytes(), (root / ".offload" / "ledger.jsonl").read_bytes()
    (card / "ZZ" / "later.mov").write_bytes(os.urandom(300_000))
    rule = fs.fail("create", errno.ENOSPC, path="A001/.offload/.last-run.json.*")
    code, output = offload("copy", card, fs.mountpoint, tmp_path / "other")
    assert fs.fired(rule) >= 1
    fs.clear()
    assert code == 1, output
    lines = [line for line in output.splitlines() if "cannot record this offload" in line]
    assert lines, output
    assert f"{record}: " in lines[0] and "free space on that drive" in lines[0], lines
    assert not (root / "ZZ" / "later.mov").exists()
    assert record.read_bytes() == before
    assert (root / ".offload" / "ledger.jsonl").read_bytes() == ledger
    assert (tmp_path / "other" / card.name / "ZZ" / "later.mov").exists()
    code, output, data = verified_json(tmp_path / "other" / card.name, tmp_path / "v1")
    assert code == 0 and data["passed"] is True, output


@pytest.mark.timeout(180)
@pytest.mark.parametrize("more", [[], ["--reverify"]])
def test_a_copy_root_whose_record_cannot_be_read_is_not_written_to(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], more: list[str]
) -> None:
    """Review of the runrec64 merge (MEDIUM): a record whose bytes are no record (here a
    killed run's, cut short) was taken for none, and the run's own entry written alone in
    its place: the entries of the cards it held (a killed card's ``running``) were dropped
    and ``offload verify`` passed, where it calls that very record INCOMPLETE. Now that
    copy root is lost before its first file, as for a record that cannot be written, one
    line naming the record and what to do; the record is left as it is (the check still
    INCOMPLETE); the other destination is copied. Failed before: exit 0, the record
    replaced by this run's ``finished`` entry alone, the check passing. With
    ``--reverify`` (review LOW 1): the copies there were read back all the same and each
    recorded again in its ledger; now none is read there, its ledger as it was (failed
    before: 23 ledger entries appended to the refused root)."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    (tmp_path / "other").mkdir()
    copied(card, fs.mountpoint)
    root = fs.mountpoint / card.name
    record = root / ".offload" / "last-run.json"
    record.write_bytes(record.read_bytes().replace(b'"finished"', b'"running"')[:40])
    before, ledger = record.read_bytes(), (root / ".offload" / "ledger.jsonl").read_bytes()
    (card / "ZZ" / "later.mov").write_bytes(os.urandom(300_000))
    code, output = offload("copy", *more, card, fs.mountpoint, tmp_path / "other")
    assert code == 1, output
    lines = [line for line in output.splitlines() if "cannot record this offload" in line]
    assert lines, output
    assert f"{record}: it holds no record this version can read" in lines[0], lines
    assert "nothing was copied to" in lines[0] and "move that record aside" in lines[0], lines
    assert not (root / "ZZ" / "later.mov").exists()
    assert record.read_bytes() == before
    assert (root / ".offload" / "ledger.jsonl").read_bytes() == ledger
    assert (tmp_path / "other" / card.name / "ZZ" / "later.mov").exists()
    code, output, data = verified_json(root, tmp_path / "v1")
    assert code == 10 and "INCOMPLETE" in output and data["passed"] is False, output


def test_a_record_entry_that_names_no_card_is_cleared_by_the_next_finished_run(
    tmp_path: Path,
) -> None:
    """Review of the runrec64 merge (LOW 3): a record entry naming neither its card nor its
    source (as development versions of that day wrote it) matched no run's card, so none
    ever replaced it: the copy root INCOMPLETE for good. Now it is every card's: the next
    offload that finishes there replaces it. Failed before: exit 10 after that offload."""
    card = make_card(tmp_path / "card")
    (tmp_path / "dest").mkdir()
    copied("--mhl", "none", card, tmp_path / "dest")
    root = tmp_path / "dest" / card.name
    record = root / ".offload" / "last-run.json"
    record.write_text(
        json.dumps({"state": "running", "run": "r1", "started": "2026-12-06T09:00:00Z"})
    )
    code, output, data = verified_json(root, tmp_path / "v1")
    assert code == 10 and "INCOMPLETE" in output, output
    copied("--mhl", "none", card, tmp_path / "dest")
    body = json.loads(record.read_text())
    assert [entry["state"] for entry in body["cards"]] == ["finished"], body
    code, output, data = verified_json(root, tmp_path / "v2")
    assert code == 0 and data["passed"] is True, output


@pytest.mark.timeout(180)
def test_a_record_that_cannot_be_settled_finished_is_said_and_keeps_the_card(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Final review L2: the record written as the run started, then its write at the end
    refused (ENOSPC on its second create, a real FUSE fault: the drive filled meanwhile):
    the copy said nothing and exited 0, its record still ``running``, and the next
    ``offload verify`` said INCOMPLETE and asked for the card, which a DIT told nothing may
    have formatted. Now the run says it in one line naming the record and what to do (that
    destination's ``run-record`` step failed: exit 1, in the JSON's ``folder_errors``, the
    card kept with that line); the copies keep their states (verified now); the same
    command again, the fault gone, copies nothing and settles it: the check passes. Failed
    before: exit 0, nothing said."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    reports = tmp_path / "reports"
    root = fs.mountpoint / card.name
    record = root / ".offload" / "last-run.json"
    rule = fs.fail("create", errno.ENOSPC, path="A001/.offload/.last-run.json.*", nth=2)
    code, output = offload("copy", "--report-dir", reports, card, fs.mountpoint)
    assert fs.fired(rule) == 1, output
    fs.clear()
    assert code == 1, output
    lines = [line for line in output.splitlines() if "that this offload finished" in line]
    assert lines, output
    flat = " ".join(output.split())
    entry = json.loads(record.read_text())["cards"][0]
    this = f"(run {entry['run']}, started {entry['started'].replace('T', ' ').rstrip('Z')} UTC)"
    assert f"cannot record in {record} that this offload finished {this}: " in flat, output
    assert "free space on that drive" in flat and "keep the card" in flat, output
    assert "copies nothing again and records the finish" in flat, output
    assert f"BUT ON {fs.mountpoint}: the record that this offload finished" in flat, output
    assert "Do not format the card: cannot record in" in flat, output
    (saved,) = sorted(reports.glob("*.json"))
    data = json.loads(saved.read_text())
    assert data["exit_code"] == 1, data
    assert any("that this offload finished" in e for e in data["folder_errors"]), data
    assert data["totals"]["results"]["verified"] == len(CARD), data["totals"]
    assert json.loads(record.read_text())["state"] == "running"
    code, output, verified = verified_json(root, tmp_path / "v1")
    assert code == 10 and "INCOMPLETE" in output, output
    # Its line names the way on without the card: this run's line, then the record aside.
    flat = " ".join(output.split())
    # Its own report, found among those saved in the copy root by its run's token and start.
    (own,) = (root / ".offload" / "reports").glob("*.json")
    assert (
        f"without the card: that offload's own report, {own}, says it could not record in "
        f".offload/last-run.json that it finished {this}: only where it says every copy here "
        "verified: move that record aside"
    ) in flat, output
    aside = tmp_path / "aside.json"
    shutil.copy2(record, aside)
    record.unlink()
    code, output, verified = verified_json(root, tmp_path / "v-aside")
    assert code == 0 and verified["passed"] is True, output
    shutil.copy2(aside, record)  # back: the run below settles it
    # The fault gone: the same command copies nothing and settles the record.
    code, output = offload("copy", "--report-dir", tmp_path / "again", card, fs.mountpoint)
    assert code == 0, output
    assert "nothing written" in " ".join(output.split()), output
    assert json.loads(record.read_text())["state"] == "finished"
    code, output, verified = verified_json(root, tmp_path / "v2")
    assert code == 0 and verified["passed"] is True, output


@pytest.mark.parametrize("how", ["cancelled", "failed"])
def test_a_copy_that_ended_before_its_first_ledger_line_is_said_as_its_record_says(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], how: str
) -> None:
    """An offload that ended before it recorded a copy (no ledger): ``offload verify``'s
    exit-30 line says how, from the run record it settled: cancelled (a real SIGINT, the
    first partial's create held on a FaultyFS destination), or failed there (every card
    file's read refused, EIO, the card on a FaultyFS); the remedy kept. Failed before (QA):
    "an offload of it ended before it recorded a copy (stopped: killed, a power cut; or
    failed there: its drive full or gone)", whatever the record said."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    root = fs.mountpoint / card.name
    if how == "cancelled":
        status = stopped_when_stalled(
            fs,
            "create",
            "*.offload-partial*",
            [card, fs.mountpoint],
            tmp_path / "reports",
            nth=1,
            sig=signal.SIGINT,
        )
        assert status == 130
    else:
        card_fs = faulty_fs()
        card = make_card(card_fs.mountpoint)
        root = fs.mountpoint / card.name
        card_fs.fail("read", errno.EIO)
        reports = tmp_path / "reports"
        code, output = offload("copy", "--quiet", "--report-dir", reports, card, fs.mountpoint)
        card_fs.clear()
        assert code != 0, output
    assert not (root / ".offload" / "ledger.jsonl").exists()
    record = json.loads((root / ".offload" / "last-run.json").read_text())
    assert how in json.dumps(record), record
    started = run_record.read(root)
    assert started is not None and started.state == how and started.started

    code, output = offload("verify", "--report-dir", tmp_path / "v1", root)
    assert code == 30, output
    (line,) = [x for x in output.splitlines() if x.startswith("ERROR: nothing to verify")]
    when = started.started.replace("T", " ").rstrip("Z")
    said = (
        f"the offload started {when} UTC was cancelled before it recorded a copy (Ctrl-C or a "
        "stop signal, or this drive lost during the run)"
        if how == "cancelled"
        else f"the offload started {when} UTC failed there, and no copy it recorded stands "
        f"here (its record names {len(CARD)} card files that failed there: "
    )
    assert said in line, line
    assert "killed, a power cut" not in line, line
    assert "run that offload again, the same command" in line, line


@pytest.mark.timeout(240)
def test_the_move_aside_advice_names_the_run_whose_settle_failed_never_another(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Review of the runrec65 merge (M4): R1's settle refused (ENOSPC), its report says
    "cannot record ... finished"; the card gains a file; R2 is killed (SIGKILL) while it
    writes it, no report. ``offload verify`` said "without the card, only where that
    offload's own report says it could not record ...": R1's report read as that one, the
    record moved aside, the check passed with ``ZZ/new.mov`` on the card alone. Now R1's
    line names its run (token, start), and the advice names R2's, whose report no saved one
    is: the advice never points at R1's report. Failed before: R2's run named nowhere."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    root = fs.mountpoint / card.name
    record = root / ".offload" / "last-run.json"
    rule = fs.fail("create", errno.ENOSPC, path="A001/.offload/.last-run.json.*", nth=2)
    code, output = offload("copy", "--report-dir", tmp_path / "r1", card, fs.mountpoint)
    assert fs.fired(rule) == 1 and code == 1, output
    fs.clear()
    first = json.loads(record.read_text())["cards"][0]
    (card / "ZZ" / "new.mov").write_bytes(os.urandom(300_000))
    stopped_when_stalled(fs, "write", "A001/ZZ/*", [card, fs.mountpoint], tmp_path / "r2")
    second = json.loads(record.read_text())["cards"][0]
    assert second["state"] == "running" and second["run"] != first["run"], second
    code, output, _data = verified_json(root, tmp_path / "v")
    flat = " ".join(output.split())
    assert code == 10 and "INCOMPLETE" in flat, output
    r2 = f"run {second['run']}, started {second['started'].replace('T', ' ').rstrip('Z')} UTC"
    assert f"only where the report of that offload ({r2}) says it could not record" in flat, flat
    assert first["run"] not in flat and "that offload's own report, " not in flat, flat
    # R1's own report, saved in the copy root, names R1's run: never R2's.
    saved = " ".join(p.read_text() for p in (root / ".offload" / "reports").glob("*.json"))
    assert f"run {first['run']}, started" in saved and r2 not in saved


@pytest.mark.timeout(180)
def test_a_cancelled_run_that_changed_nothing_says_what_it_could_not_record(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Review of the runrec65 merge (L2): a finished copy, then ``--reverify`` of it Ctrl-C'd
    while it read a copy back (it changed nothing there, so it writes the earlier
    ``finished`` back), that write refused (ENOSPC on the record's 2nd create): its report
    said "cannot record ... that this offload finished" of a cancelled run. Now it says what
    it could not record: that the earlier offload there still stands, this run's token and
    start named as the record names them. Failed before: "that this offload finished"."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    copied(card, fs.mountpoint)
    root = fs.mountpoint / card.name
    record = root / ".offload" / "last-run.json"
    reports = tmp_path / "reports"
    refused = fs.fail("create", errno.ENOSPC, path="A001/.offload/.last-run.json.*", nth=2)
    stall = fs.stall("read", path="A001/ZZ/last.mov")
    process = subprocess.Popen(
        [str(OFFLOAD), "copy", "--quiet", "--reverify", str(card), str(fs.mountpoint)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "OFFLOAD_REPORT_DIR": str(reports)},
    )
    try:
        fs.wait_stalled_while_working(stall, process)
        process.send_signal(signal.SIGINT)
        fs.release(stall)
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert fs.fired(refused) == 1
    fs.clear()
    entry = json.loads(record.read_text())["cards"][0]
    assert entry["state"] == "running", entry
    (saved,) = sorted(reports.glob("*.json"))
    errors = " ".join(" ".join(json.loads(saved.read_text())["folder_errors"]).split())
    this = f"(run {entry['run']}, started {entry['started'].replace('T', ' ').rstrip('Z')} UTC)"
    assert (
        f"cannot record in {record} that the earlier offload of this card there still stands "
        f"(this run changed nothing there) {this}: " in errors
    ), errors
    assert "that this offload finished" not in errors, errors


def test_an_offload_whose_every_copy_read_back_different_is_said_so_by_verify(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Every copy read back different (a byte flipped on its way to the FaultyFS drive,
    each partial's write): the run settles ``failed`` with no ledger line, and ``offload
    verify``'s exit-30 line names that cause among the others. Failed before: "(each card
    file failed there: a card read error, or its drive full or gone)", the read-back's
    finding left out."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    root = fs.mountpoint / card.name
    fs.flip(10, path="*.offload-partial*")
    code, output = offload("copy", "--report-dir", tmp_path / "reports", card, fs.mountpoint)
    fs.clear()
    assert code != 0, output
    assert not (root / ".offload" / "ledger.jsonl").exists(), output
    started = run_record.read(root)
    assert started is not None and started.state == "failed", started

    code, output = offload("verify", "--report-dir", tmp_path / "v1", root)
    assert code == 30, output
    (line,) = [x for x in output.splitlines() if x.startswith("ERROR: nothing to verify")]
    assert "its copy read back different from the card" in line, line


@pytest.mark.timeout(180)
def test_a_failed_settle_that_cannot_be_written_is_said(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A card file whose read fails (EIO), and the record's settle ``failed`` at the end
    refused (ENOSPC on its temporary, the record's 2nd create). Failed before: the error was
    dropped unsaid. The record stays ``running`` (INCOMPLETE as ``failed`` would be), and
    the run says it: a warning naming the record."""
    card_fs, fs = faulty_fs(), faulty_fs()
    card = make_card(card_fs.mountpoint)
    card_fs.fail("read", path=LAST_READ)
    rule = fs.fail("create", errno.ENOSPC, path="A001/.offload/.last-run.json.*", nth=2)
    code, output = offload("copy", card, fs.mountpoint)
    said = " ".join(output.split())
    assert code == 1 and fs.fired(rule) == 1, said
    fs.clear()
    card_fs.clear()
    record = fs.mountpoint / card.name / ".offload" / "last-run.json"
    assert json.loads(record.read_text())["cards"][0]["state"] == "running"
    assert f"cannot record in {record} how this offload ended there" in said, said
    assert "it still says this offload is running" in said, said
    code, output, data = verified_json(fs.mountpoint / card.name, tmp_path / "v")
    assert_incomplete(code, output, data, "did not finish")


def test_a_failed_runs_exit_30_line_names_the_files_its_record_names(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """An offload whose read of one card file failed (EIO, the card on a FaultyFS), the
    others verified and recorded, then its ledger and history deleted (as a bucket whose
    service restarted empty loses them): ``offload verify`` (exit 30) names the one file the run
    record says failed, never "each card file failed there", which last-run.json
    contradicts. Failed before (QA: last-run.json ``"failed": [C004, C005]``, verify "failed
    before it recorded a copy (each card file failed there ...)")."""
    card_fs = faulty_fs()
    card = make_card(card_fs.mountpoint)
    dest = tmp_path / "RAID"
    dest.mkdir()
    card_fs.fail("read", errno.EIO, path="*last.mov")
    code, output = offload("copy", "--quiet", "--report-dir", tmp_path / "r", card, dest)
    card_fs.clear()
    assert code != 0, output
    root = dest / card.name
    record = json.loads((root / ".offload" / "last-run.json").read_text())
    assert record["failed"] == ["ZZ/last.mov"], record
    (root / ".offload" / "ledger.jsonl").unlink()
    shutil.rmtree(root / "ascmhl")  # lost too: nothing to verify against
    code, output = offload("verify", "--report-dir", tmp_path / "v", root)
    assert code == 30, output
    (line,) = [x for x in output.splitlines() if x.startswith("ERROR: nothing to verify")]
    assert "each card file failed there" not in line, line
    assert "its record names 1 card file that failed there: ZZ/last.mov" in line, line
    assert "run that offload again, the same command" in line, line


def test_two_runs_of_one_process_are_two_runs_in_the_record(tmp_path: Path) -> None:
    """Two offloads of one card into one copy root from one process (a library caller, a
    script's two calls, these tests): the run token was the process's, so the record named
    both runs alike, and its "same run" rule (``run_record._may_settle``: a run settles only
    its own entry; a settled one moves only to say less) took the second run's entry for the
    first's: a late settle by the first (its lock lost, a job of it still going) rewrote the
    second's. Now each run has a token of its own (``lock.new_run``), and such a settle is
    refused, the entry the second run's. Failed before: both entries named one run."""
    card = make_card(tmp_path / "card")
    dest = tmp_path / "dest"
    dest.mkdir()
    record = dest / card.name / ".offload" / "last-run.json"
    copied(card, dest)
    first = json.loads(record.read_text())["cards"][0]
    copied(card, dest)
    second = json.loads(record.read_text())["cards"][0]
    assert first["state"] == second["state"] == "finished"
    assert first["run"] != second["run"], (first, second)
    before = record.read_bytes()
    refused = run_record.settle(
        dest / card.name,
        first["run"],
        time.time(),
        run_record.CANCELLED,
        source=second["source"],
        card=second["card"],
        first=None if second["first"] is None else run_record.FirstFile(*second["first"]),
    )
    assert isinstance(refused, run_record.SettleRefused), refused
    assert f"another run ({second['run']})" in str(refused)
    assert record.read_bytes() == before


def test_a_destination_lost_mid_run_is_recorded_failed_never_cancelled(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A destination lost to EIO mid-run (every write of a clip's partial refused on a
    FaultyFS; its ``.offload/`` still written), in a run no cancel stopped (exit 1): its
    record is settled ``failed``, naming the card files it holds no copy of, and ``offload
    verify`` says the offload failed there, never that it "was cancelled before it recorded
    a copy (Ctrl-C or a stop signal, ...)". Failed before (QA pass 68, L2): ``cancelled``."""
    card = make_card(tmp_path / "card")
    fs = faulty_fs()
    root = fs.mountpoint / card.name
    fs.fail("write", errno.EIO, path=f"{card.name}/*.offload-partial*")
    other = tmp_path / "other"
    other.mkdir()
    code, output = offload(
        "copy", "--quiet", "--report-dir", tmp_path / "reports", card, fs.mountpoint, other
    )
    fs.clear()
    assert code == 1, output
    assert "LOST" in output, output
    started = run_record.read(root)
    assert started is not None and started.state == run_record.FAILED, started
    assert started.failed, started
    code, output = offload("verify", "--report-dir", tmp_path / "v1", root)
    said = " ".join(output.split())
    assert "was cancelled before it recorded a copy" not in said, said
    assert "failed there" in said, said


def test_history_words_a_check_of_an_offload_that_ended_with_a_failed_file(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """An offload that ran to its end with one card file unread (EIO: exit 1, its record
    ``failed``), then ``offload verify`` of its copy (INCOMPLETE, exit 10): ``offload
    history`` words the check "offload ended with failures", never "offload not finished".
    Failed before (QA pass 68, L3): "incomplete copy (offload not finished)"."""
    card_fs = faulty_fs()
    card = make_card(card_fs.mountpoint)
    dest = tmp_path / "RAID"
    dest.mkdir()
    card_fs.fail("read", errno.EIO, path="*last.mov")
    reports = tmp_path / "r"
    code, output = offload("copy", "--quiet", "--report-dir", reports, card, dest)
    card_fs.clear()
    assert code == 1, output
    code, output = offload("verify", "--report-dir", reports, dest / card.name)
    assert code == 10, output
    code, output = offload("history", "--report-dir", reports)
    said = " ".join(output.split())
    assert code == 0, output
    assert "offload not finished" not in said, said
    assert "incomplete copy (offload ended with failures)" in said, said


def test_history_reads_how_the_offload_ended_from_the_check_s_states_not_its_words(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """An offload that ran to its end with one card file unread (EIO: exit 1, its record
    ``failed``), that file named ``... was cancelled ...``: ``offload verify`` states how it
    ended (``unfinished_offload_states``: ``["failed"]``) and ``offload history`` reads
    that, "offload ended with failures", whatever the INCOMPLETE line's words hold. Failed
    before (its words parsed): "incomplete copy (offload not finished)". A report of a
    version before the key is still read by its words."""
    card_fs = faulty_fs()
    name = "CLIPS/take 2 was cancelled by the director.mov"
    card = sized_card(card_fs.mountpoint, {**CARD, name: 100_000})
    dest = tmp_path / "RAID"
    dest.mkdir()
    card_fs.fail("read", errno.EIO, path=f"*{name}")
    reports = tmp_path / "r"
    code, output = offload("copy", "--quiet", "--report-dir", reports, card, dest)
    card_fs.clear()
    assert code == 1, output
    code, output, saved = verified_json(dest / card.name, reports)
    assert code == 10, output
    assert " was cancelled " in str(saved["unfinished_offload"]), saved
    assert saved["unfinished_offload_states"] == ["failed"], saved
    code, output = offload("history", "--report-dir", reports)
    said = " ".join(output.split())
    assert code == 0, output
    assert "incomplete copy (offload ended with failures)" in said, said
    assert "offload not finished" not in said, said
    # The same check as a version before the key wrote it: read by its words (which this
    # file's name fools, as the fallback documents), never refused.
    (report,) = reports.glob("verify_*.json")
    older = {k: v for k, v in saved.items() if k != "unfinished_offload_states"}
    report.write_text(json.dumps(older))
    code, output = offload("history", "--report-dir", reports)
    said = " ".join(output.split())
    assert code == 0, output
    assert "incomplete copy (offload not finished)" in said, said


def _lost_with_its_copies_standing(tmp_path: Path, fs: FaultyFS) -> tuple[Path, Path]:
    """The card copied to *fs* and a local folder, its C1 deleted from *fs*, then copied
    again: C1 re-copied there and published whole, its ledger entry's append failing
    ENOTCONN (the destination lost, the clip failed there; exit 1, nothing cancelled), so
    the clip's copy stands. The copy root on *fs* and the report folder."""
    card = make_card(tmp_path / "card")
    root = fs.mountpoint / card.name
    other = tmp_path / "other"
    other.mkdir()
    reports = tmp_path / "reports"
    copied("--report-dir", reports, card, fs.mountpoint, other)
    (root / "CLIPS" / "C1.mov").unlink()
    fs.fail("write", errno.ENOTCONN, path=f"{card.name}/.offload/ledger.jsonl")
    code, output = offload("copy", "--quiet", "--report-dir", reports, card, fs.mountpoint, other)
    fs.clear()
    assert code == 1, output
    return root, reports


def test_a_destination_lost_whose_failed_copies_all_stand_is_recorded_failed_never_cancelled(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A re-run that re-copies a clip deleted from one destination (a FaultyFS), publishes
    it whole, then cannot append its ledger entry (ENOTCONN: the destination LOST, the clip
    failed there; exit 1, nothing cancelled): the clip's copy stands, its first run's entry
    vouching for it, so no card file is missing there, yet the run ended with that
    destination lost. Its record is settled ``failed``, saying so, never ``cancelled``:
    ``offload verify`` never says it "was cancelled" (``unfinished_offload_states``
    ``["failed"]``), and ``offload history`` words the check "offload ended with failures".
    Failed before (review of history69, M1): ``cancelled``, "was cancelled before it
    finished", history "incomplete copy (offload not finished)"."""
    root, reports = _lost_with_its_copies_standing(tmp_path, faulty_fs())
    ran = json.loads(max(reports.glob("*.json"), key=os.path.getmtime).read_text())
    assert ran["cancelled"] is False, ran
    assert [d["lost"] for d in ran["destinations"]] == [True, False], ran
    assert (root / "CLIPS" / "C1.mov").stat().st_size == CARD["CLIPS/C1.mov"]
    record = run_record.read(root)
    assert record is not None and record.state == run_record.FAILED, record
    assert record.failed == (), record  # the clip's copy stands: no card file missing
    code, output, saved = verified_json(root, reports)
    said = " ".join(output.split())
    assert code == 10, output
    assert "cancelled" not in said, said
    assert "ended with this destination lost" in said, said
    # What the run checked of each copy (``card._standing_copies``): its content and its
    # recorded size, not its date (review rev8_69, L4: "the ledger vouches for" said more).
    assert "every card file then with a copy here at the size its ledger entry records" in said
    assert saved["unfinished_offload_states"] == ["failed"], saved
    code, output = offload("history", "--report-dir", reports)
    said = " ".join(output.split())
    assert code == 0, output
    assert "incomplete copy (offload ended with failures)" in said, said
    assert "offload not finished" not in said, said


def test_a_lost_destination_whose_ledger_is_gone_is_never_said_to_fail_before_a_copy(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The run of the test above (a destination lost, ENOTCONN on its ledger's append,
    its record ``failed`` and ``lost`` naming no card file: the clip's copy stands at the
    size its ledger entry records), then that copy root's ledger and ASC MHL history
    deleted: ``offload verify`` finds nothing to verify against (exit 30), and its line says
    the offload lost this drive, its record naming no card file that failed there, never
    that it failed before it recorded a copy. Failed before (review rev8_69, L2): "failed
    before it recorded a copy (each card file failed there: ...)", the opposite."""
    root, _ = _lost_with_its_copies_standing(tmp_path, faulty_fs())
    record = run_record.read(root)
    assert record is not None and record.state == run_record.FAILED, record
    assert record.lost and record.failed == (), record
    (root / ".offload" / "ledger.jsonl").unlink()
    shutil.rmtree(root / "ascmhl")
    code, output = offload("verify", "--report-dir", tmp_path / "v", root)
    assert code == 30, output
    (line,) = [x for x in output.splitlines() if x.startswith("ERROR: nothing to verify")]
    when = record.started.replace("T", " ").rstrip("Z")
    assert (
        f"holding no ledger: the offload started {when} UTC lost this drive during the run "
        "(it failed or went away), its record naming no card file that failed here (each "
        "then had a copy here at the size its ledger entry recorded), or its ledger was "
        "deleted: run that offload again"
    ) in line, line
    assert "failed before it recorded a copy" not in line, line
