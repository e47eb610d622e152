"""`offload copy` of real trees: layout, names, incremental runs, resume after SIGKILL."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import OffloadOptions, offload
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.engine.partial import PARTIAL_PREFIX
from offload.events import Event, FileStarted, FileVerified, WarningIssued
from offload.ledger import Ledger
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from offload.progress import ProgressModel
from offload.results import CopyAction, DestinationStatus
from support import mounts
from support.cards import corrupt_keeping_size_and_mtime
from support.requirements import require_tool

NFC = unicodedata.normalize("NFC", "Szene_é")
NFD = unicodedata.normalize("NFD", "Szene_é")


class _Collect:
    """A sink keeping the warnings of an offload."""

    def __init__(self, into: list[WarningIssued]) -> None:
        self.into = into

    def emit(self, event: Event) -> None:
        if isinstance(event, WarningIssued):
            self.into.append(event)


def build_card(root: Path) -> Path:
    card = root / "A002R2EC"
    clips = card / "CLIPS" / "A002C001"
    clips.mkdir(parents=True)
    (clips / "A002C001.mxf").write_bytes(os.urandom(3_000_000))
    (clips / "A002C001.xml").write_text("<clip/>")
    (card / "CLIPS" / "zero.bin").write_bytes(b"")
    deep = card.joinpath(*[f"d{i}" for i in range(25)])
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("deep")
    (card / f"{NFC}.mov").write_bytes(b"nfc" * 1000)
    (card / f"{NFD}.mov").write_bytes(b"nfd" * 1000)
    (card / ("L" * 200 + ".mov")).write_bytes(b"long")
    (card / "EMPTY" / "NESTED_EMPTY").mkdir(parents=True)
    (card / ".hidden_meta").write_text("keep me")
    (card / ".DS_Store").write_bytes(b"junk")
    (card / "link_inside.mxf").symlink_to("CLIPS/A002C001/A002C001.mxf")
    (card / "link_outside").symlink_to("/etc/hostname")
    os.mkfifo(card / "a_fifo")
    os.utime(clips / "A002C001.mxf", ns=(1_700_000_000_000_000_001, 1_700_000_000_000_000_001))
    os.utime(card / "EMPTY", ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return card


def tree_listing(root: Path) -> dict[str, tuple[str, int | str]]:
    listing: dict[str, tuple[str, int | str]] = {}
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        dirs[:] = [d for d in dirs if d not in (".offload", "ascmhl")]
        for name in dirs:
            path = os.path.join(folder, name)
            kind = "link" if os.path.islink(path) else "dir"
            listing[os.path.normpath(os.path.join(rel_folder, name))] = (
                kind,
                os.readlink(path) if kind == "link" else 0,
            )
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                listing[os.path.normpath(os.path.join(rel_folder, name))] = (
                    "link",
                    os.readlink(path),
                )
            elif os.path.isfile(path):
                st = os.stat(path)
                listing[os.path.normpath(os.path.join(rel_folder, name))] = ("file", st.st_mtime_ns)
    return listing


def assert_no_partials(root: Path) -> None:
    for _folder, _dirs, files in os.walk(root):
        assert not [f for f in files if f.startswith(PARTIAL_PREFIX)]


@pytest.fixture
def card(tmp_path: Path) -> Path:
    return build_card(tmp_path / "cards")


@pytest.fixture
def dests(tmp_path: Path) -> list[Path]:
    out = [tmp_path / f"RAID{i}" for i in range(3)]
    for d in out:
        d.mkdir()
    return out


def test_tree_names_times_links_and_empty_folders(card: Path, dests: list[Path]) -> None:
    report = offload(card, dests)
    assert report.exit_code == 0, [f.destinations for f in report.job.files if not f.ok]
    expected = tree_listing(card)
    del expected[".DS_Store"]
    expected.pop("a_fifo", None)
    for dest in dests:
        copy_root = dest / card.name
        got = tree_listing(copy_root)
        assert got == expected
        assert (copy_root / f"{NFC}.mov").read_bytes() == b"nfc" * 1000
        assert (copy_root / f"{NFD}.mov").read_bytes() == b"nfd" * 1000
        assert os.stat(copy_root / "EMPTY").st_mtime_ns == os.stat(card / "EMPTY").st_mtime_ns
        # The copy root's time too, although ascmhl/ was written into it after the copy.
        assert os.stat(copy_root).st_mtime_ns == os.stat(card).st_mtime_ns
        assert_no_partials(copy_root)
        assert not (copy_root / "a_fifo").exists()
    assert {w.code.value for w in report.warnings} >= {
        "special-file-skipped",
        "symlink-outside-source",
    }
    hashes = subprocess.run(
        [
            require_tool("xxhsum"),
            "-H1",
            str(dests[2] / card.name / "CLIPS" / "A002C001" / "A002C001.mxf"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[0]
    mxf = next(f for f in report.job.files if f.relative_path.endswith("A002C001.mxf"))
    assert mxf.inflight_digests["xxh64"] == hashes


def test_into_copies_the_contents(card: Path, dests: list[Path]) -> None:
    report = offload(card, dests[:1], options=OffloadOptions(into=True))
    assert report.exit_code == 0
    assert (dests[0] / "CLIPS" / "A002C001" / "A002C001.mxf").is_file()


def test_second_run_copies_nothing_and_changed_file_is_not_overwritten(
    card: Path, dests: list[Path]
) -> None:
    assert offload(card, dests).exit_code == 0
    progress = ProgressModel()
    again = offload(card, dests, sink=progress)
    assert again.exit_code == 0
    # Skipped files count as done: the progress of a resumed run reaches its total.
    snapshot = progress.snapshot()
    assert snapshot.files_finished == snapshot.total_files == len(again.job.files)
    statuses = {d.status for f in again.job.files for d in f.destinations}
    assert statuses == {DestinationStatus.VERIFIED_EARLIER}
    assert all(s.bytes_written == 0 for s in again.job.destinations)

    changed = card / "CLIPS" / "A002C001" / "A002C001.xml"
    changed.write_text("<clip take='2'/>")
    third = offload(card, dests)
    assert third.exit_code == 1
    failed = [f for f in third.job.files if not f.ok]
    assert [f.relative_path for f in failed] == ["CLIPS/A002C001/A002C001.xml"]
    assert "already exists" in (failed[0].destinations[0].error or "")
    assert (dests[0] / card.name / "CLIPS" / "A002C001" / "A002C001.xml").read_text() == "<clip/>"

    fourth = offload(
        card, dests, options=OffloadOptions(copy=CopyOptions(existing=ExistingFilePolicy.OVERWRITE))
    )
    assert fourth.exit_code == 0
    for dest in dests:
        copy = dest / card.name / "CLIPS" / "A002C001" / "A002C001.xml"
        assert copy.read_text() == "<clip take='2'/>"
        assert_no_partials(dest)


def test_cli_json_events_and_reports(card: Path, dests: list[Path], tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--json", "--report-dir", str(tmp_path / "reports"), str(card), *map(str, dests)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 0, err.getvalue()
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    names = [e["event"] for e in events]
    assert names[0] == "warning_issued" or names[0] == "job_started"
    assert "job_started" in names and "file_verified" in names and names[-1] == "job_report"
    # The manifests are written once the job finished: what they ignore is said then.
    after = names[names.index("job_finished") + 1 : -1]
    # every copy has its outcome; link_outside, on each destination; then the offload's end
    # and its last progress
    assert after == ["offload_finishing"] + ["warning_issued"] * 3 + [
        "progress",
        "offload_finished",
    ]
    assert all("link_outside" in e["message"] for e in events[-6:-3])
    verified = [e for e in events if e["event"] == "file_verified"]
    assert {e["destination_index"] for e in verified} == {0, 1, 2}
    assert all(e["status"] == "verified" for e in verified)
    final = events[-1]
    assert final["exit_code"] == 0 and len(final["reports"]) == 4
    report = json.loads(Path(final["reports"][0]).read_text())
    assert report["schema"] == "offload-ai/job-report/2"
    mxf = next(f for f in report["files"] if f["path"].endswith(".mxf") and "link" not in f["path"])
    assert [d["status"] for d in mxf["destinations"]] == ["verified"] * 3
    assert (dests[0] / card.name / ".offload" / "reports").is_dir()
    csv_files = list((tmp_path / "reports").glob("*.csv"))
    assert len(csv_files) == 1 and "relative_path" in csv_files[0].read_text().splitlines()[0]


def test_usage_errors_exit_64(card: Path, dests: list[Path]) -> None:
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False)
    assert main(["copy", str(card / "missing"), str(dests[0])], env) == 64
    assert "missing does not exist; nothing was copied" in err.getvalue()
    # Below a missing folder, or below a file: no permission is at fault (closed_folder).
    for below in (card / "gone" / "card", card / "CLIPS" / "zero.bin" / "card"):
        err.truncate(0), err.seek(0)
        assert main(["copy", str(below), str(dests[0])], env) == 64
        assert err.getvalue().startswith(f"ERROR: source {below} does not exist;"), err.getvalue()
    assert main(["copy", str(card), str(card / "CLIPS")], env) == 64
    assert main(["copy", str(card), str(dests[0] / "nope")], env) == 64
    assert main(["copy", "-t", "crc32", str(card), str(dests[0])], env) == 64
    assert os.listdir(dests[0]) == []


def test_one_refusal_is_one_line_several_a_line_each_below_the_first(
    card: Path, dests: list[Path]
) -> None:
    """The project's rule: one refusal, one line. Failed before: a lone reason came on a
    second line below "preflight refused the offload; nothing was copied:". Several keep a
    line each below that one, so that each stays readable."""
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False)
    one, two = dests[0] / "one", dests[1] / "two"
    assert main(["copy", str(card), str(one), str(two)], env) == 64
    assert err.getvalue().splitlines() == [
        "ERROR: preflight refused the offload; nothing was copied:",
        *(
            f"ERROR: destination {missing} does not exist: check the drive is mounted, or "
            "create the folder"
            for missing in (one, two)
        ),
    ]


def test_a_line_break_in_a_typed_path_stays_in_its_one_line(card: Path, dests: list[Path]) -> None:
    """Failed before: the refusal printed the path raw, so its second half came out as an
    ERROR line of its own ("ERROR: name does not exist: check the drive is mounted"); the
    same for a source that does not exist."""
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False)
    typed = dests[0] / "bad\nname"
    assert main(["copy", str(card), str(typed)], env) == 64
    assert err.getvalue().splitlines() == [
        "ERROR: preflight refused the offload; nothing was copied: destination "
        f"{dests[0]}/bad\\x0aname does not exist: check the drive is mounted, or create the folder",
    ]
    assert os.listdir(dests[0]) == []
    err.truncate(0), err.seek(0)
    assert main(["copy", str(dests[0] / "no\nsuch"), str(dests[1])], env) == 64
    assert err.getvalue().splitlines() == [
        f"ERROR: source {dests[0]}/no\\x0asuch does not exist; nothing was copied (check the "
        "path, and that the card is mounted)"
    ]


def _big_card(root: Path, files: int, size: int) -> Path:
    card = root / "BIGCARD"
    for index in range(files):
        folder = card / f"CLIP{index // 10:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"frame{index:05d}.dpx").write_bytes(os.urandom(size))
    return card


@pytest.mark.timeout(120)
def test_sigkill_half_way_then_resume(tmp_path: Path) -> None:
    card = _big_card(tmp_path / "src", files=600, size=400_000)
    dests = [tmp_path / f"D{i}" for i in range(3)]
    for d in dests:
        d.mkdir()
    exe = Path(sys.executable).with_name("offload")
    command = [
        str(exe),
        "copy",
        "--quiet",
        "--report-dir",
        str(tmp_path / "r"),
        str(card),
        *map(str, dests),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    firsts = [d / card.name / "CLIP000" / "frame00000.dpx" for d in dests]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if all(first.exists() for first in firsts):
            break  # the first batch (64 MB) is being committed everywhere
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    # Files that reached their final name before the kill, and the ledger's entries: an
    # entry is written only once the names it vouches for are durable, so each names a file
    # at its final name; only those may be skipped by the resumed run, and a file renamed
    # before the kill but not yet recorded is read back (adopted), never trusted nor copied.
    before = []
    recorded = []
    for dest in dests:
        entries = Ledger(dest / card.name).load()
        final = {
            str(p.relative_to(dest / card.name))
            for p in (dest / card.name).rglob("*.dpx")
            if not p.name.startswith(PARTIAL_PREFIX)
        }
        assert set(entries) <= final
        assert all(entry.state == "verified" for entry in entries.values())
        before.append(final)
        recorded.append(set(entries))
    assert min(len(b) for b in before) > 0 and max(len(b) for b in before) < 600, (
        "the kill must land half-way"
    )

    result = subprocess.run(command, capture_output=True, text=True, timeout=100)
    assert result.returncode == 0, result.stderr
    report_file = sorted((tmp_path / "r").glob("*.json"))[-1]
    report = json.loads(report_file.read_text())
    for index, dest in enumerate(dests):
        statuses = {f["path"]: f["destinations"][index]["status"] for f in report["files"]}
        actions = {f["path"]: f["destinations"][index]["action"] for f in report["files"]}
        skipped = {p for p, s in statuses.items() if s == "verified_earlier"}
        verified = {p for p, s in statuses.items() if s == "verified"}
        adopted = {p for p, a in actions.items() if a == "adopted"}
        assert skipped == recorded[index]
        assert adopted == before[index] - recorded[index] and adopted <= verified
        assert skipped | verified == set(statuses) and len(statuses) == 600
        copied = {p for p, a in actions.items() if a == "copied"}
        assert copied.isdisjoint(before[index])  # nothing copied twice
        assert_no_partials(dest)
        for folder, _dirs, files in os.walk(card):
            for name in files:
                source = Path(folder, name)
                copy = dest / card.name / source.relative_to(card)
                assert copy.read_bytes() == source.read_bytes()


def test_transfer_checked_copy_is_not_trusted_by_a_stricter_run(tmp_path: Path) -> None:
    """Review finding: a copy never read back (transfer mode) was skipped as verified by a
    later full run even after it was corrupted."""
    card = tmp_path / "CARD"
    card.mkdir()
    (card / "a.mov").write_bytes(os.urandom(100_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    transfer = OffloadOptions(copy=CopyOptions(verify=VerifyMode.TRANSFER))
    assert offload(card, [dest], options=transfer).exit_code == 0
    copy = dest / "CARD" / "a.mov"
    corrupt_keeping_size_and_mtime(copy, at=5)  # bit rot: no metadata changed
    # The same transfer run trusts its own kind of proof, and says it is no more than that...
    trusted = offload(card, [dest], options=transfer).job.files[0].destinations[0]
    assert (trusted.status, trusted.action) == (
        DestinationStatus.TRANSFER_CHECKED,
        CopyAction.TRUSTED,
    )
    # ...a full run does not: it reads the copy back, finds it wrong, says so by name and
    # copies it again from the card.
    warnings: list[WarningIssued] = []
    full = offload(card, [dest], sink=_Collect(warnings))
    assert full.exit_code == 0
    result = full.job.files[0].destinations[0]
    assert result.status is DestinationStatus.VERIFIED
    assert result.action is CopyAction.COPIED
    assert copy.read_bytes() == (card / "a.mov").read_bytes()
    assert any("no longer matches" in w.message and w.path == str(copy) for w in warnings)


def test_keep_both_records_the_name_the_copy_got(tmp_path: Path) -> None:
    """Review finding: keep-both recorded the planned name, so a later run trusted the old,
    different file under that name."""
    card = tmp_path / "CARD"
    card.mkdir()
    data = os.urandom(100_000)
    (card / "a.mov").write_bytes(data)
    dest = tmp_path / "dest"
    (dest / "CARD").mkdir(parents=True)
    old = bytearray(data)
    old[5] ^= 1
    (dest / "CARD" / "a.mov").write_bytes(bytes(old))
    stat = (card / "a.mov").stat()
    os.utime(dest / "CARD" / "a.mov", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    keep = OffloadOptions(copy=CopyOptions(existing=ExistingFilePolicy.KEEP_BOTH))
    first = offload(card, [dest], options=keep)
    assert first.job.files[0].destinations[0].final_path == str(dest / "CARD" / "a (1).mov")
    second = offload(card, [dest], options=keep)
    result = second.job.files[0].destinations[0]
    assert result.status is DestinationStatus.VERIFIED_EARLIER
    assert result.final_path == str(dest / "CARD" / "a (1).mov")
    assert Path(result.final_path).read_bytes() == data
    assert sorted(p.name for p in (dest / "CARD").glob("*.mov")) == ["a (1).mov", "a.mov"]


@pytest.mark.parametrize("when", ["after-a-batch", "mid-batch"])
def test_destination_folder_vanishing_is_a_lost_destination(tmp_path: Path, when: str) -> None:
    """Review finding: a mount point removed mid-run (udisks) gave ENOENT per file; the
    destination was not lost and the tree and a manifest were recreated on the parent disk.

    mid-batch: removed while the writer is inside one batch (it holds all 40 files), in a
    folder it made: the writer asks for the destination's presence before a folder can be
    made and once a batch, so the failed create asks again (docs/performance.md, "Many
    small files: thirteenth pass"); without that, 20 files failed one by one and the
    destination was kept."""
    card = tmp_path / "CARD"
    (card / "CLIPS").mkdir(parents=True)
    for index in range(40):
        (card / "CLIPS" / f"c{index:02}.mov").write_bytes(os.urandom(30_000))
    mount = tmp_path / "media" / "RAID"
    day = mount / "Day1"
    day.mkdir(parents=True)
    other = tmp_path / "d2"
    other.mkdir()
    pulled: list[bool] = []

    class Unplug:
        def emit(self, event: object) -> None:
            if pulled:
                return
            if (
                isinstance(event, FileVerified)
                and event.destination_index == 0
                and when == "after-a-batch"
            ) or (
                # The reader announces file 20: the writer is past the batch's first file.
                isinstance(event, FileStarted)
                and event.relative_path.endswith("c20.mov")
                and when == "mid-batch"
            ):
                pulled.append(True)
                os.rename(mount, tmp_path / "media" / "RAID.unplugged")

    batch_files = 4 if when == "after-a-batch" else 1000
    options = OffloadOptions(copy=CopyOptions(batch_files=batch_files))
    report = offload(card, [day, other], options=options, sink=Unplug())
    assert pulled
    lost = report.job.destinations[0]
    assert lost.lost and "no longer exists" in (lost.lost_reason or "")
    assert not mount.exists()  # nothing recreated where the drive was
    assert report.job.destinations[1].files_verified == 40
    assert report.exit_code == 1


@pytest.mark.parametrize("how", ["unmounted-lazily", "swapped"])
def test_a_drive_replaced_mid_batch_at_its_mount_point_is_a_lost_destination(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount], how: str
) -> None:
    """Review finding: the writer asks for the destination's presence only before a new
    folder and at a batch's first file, so a drive replaced at the same path mid-batch in a
    folder that exists there too took the rest of the batch, and the committer published
    it, read it back and recorded it "verified" on whatever was mounted there.

    unmounted-lazily (``umount -l``), the card copied ``--into`` the mount point: 21 files,
    the ledger and the manifest landed in the root filesystem's empty mount-point folder.
    swapped: another drive holding ``Day1/CARD/CLIPS`` moved onto the mount point: c20-c39
    were "verified" on it. Now the seal sees each file's device, and the committer asks for
    the destination's presence before it publishes a batch: the destination is lost and
    nothing is called good or written where the drive was."""
    card = tmp_path / "CARD"
    clips = card if how == "unmounted-lazily" else card / "CLIPS"
    clips.mkdir(parents=True, exist_ok=True)
    for index in range(40):
        (clips / f"c{index:02}.mov").write_bytes(os.urandom(30_000))
    point = tmp_path / "media" / "SHUTTLE"
    tmpfs_mount(64 * 1024 * 1024, path=point)
    if how == "swapped":
        (point / "Day1").mkdir()
        other_drive = tmpfs_mount(64 * 1024 * 1024, path=tmp_path / "other-drive")
        (other_drive.path / "Day1" / "CARD" / "CLIPS").mkdir(parents=True)
    target = point if how == "unmounted-lazily" else point / "Day1"
    second = tmp_path / "d2"
    second.mkdir()
    pulled: list[bool] = []

    class Replace:
        def emit(self, event: object) -> None:
            # The reader announces file 20: the writer is past the batch's first file.
            if (
                not pulled
                and isinstance(event, FileStarted)
                and event.relative_path.endswith("c20.mov")
            ):
                pulled.append(True)
                mounts.detach(point)
                if how == "swapped":
                    mounts.move_mount(tmp_path / "other-drive", point)

    options = OffloadOptions(copy=CopyOptions(batch_files=1000), into=how == "unmounted-lazily")
    report = offload(card, [target, second], options=options, sink=Replace())
    assert pulled
    lost = report.job.destinations[0]
    # "now on another device", or "no longer exists" if the writer looked between the
    # unmount and the other drive's arrival.
    assert lost.lost and "is gone" in (lost.lost_reason or ""), lost.lost_reason
    assert lost.files_verified == 0
    for file in report.job.files:
        assert file.destinations[0].status is DestinationStatus.FAILED, file.relative_path
    # Nothing of the run on what is at the mount point now (the root filesystem's folder,
    # or the other drive): no copy, no partial, no ledger, no manifest.
    below = sorted(str(path.relative_to(point)) for path in point.rglob("*") if not path.is_dir())
    assert below == []
    assert report.job.destinations[1].files_verified == 40
    assert report.exit_code == 1
