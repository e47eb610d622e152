"""Two offloads at once into copy roots one inside the other: real processes, a real FUSE
card holding one of them mid-file.

Failed before (review): ``offload copy /media/shoot /mnt/d1`` (copy root ``/mnt/d1/shoot``,
the card has ``day2/``) and ``offload copy /media/day2 /mnt/d1/shoot`` (copy root
``/mnt/d1/shoot/day2``) both write into ``/mnt/d1/shoot/day2``. Whichever started second
removed the partial file the other, live, was writing there as a "stray" of a killed run, and
that run then failed its read-back: a good offload failed. A run now removes only partials
whose writer is provably gone, and counts no other as room it gives back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.card import OffloadOptions, plan_offload, run_offload
from offload.ledger import Ledger
from support.faultyfs import FaultyFS
from support.lock_holder import stop

from .test_copy_root_lock import make_card, offload_cli, run

MIB = 1024 * 1024
# Nested ASC MHL histories are refused (each copy root's ascmhl/ inside the other's): not what
# these tests are about, so neither run writes one.
NO_MHL = ("--mhl", "none")


def partials(folder: Path) -> list[str]:
    try:
        return sorted(name for name in os.listdir(folder) if name.startswith(".offload-partial."))
    except FileNotFoundError:
        return []


def wait_for_partial(folder: Path, timeout_s: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = partials(folder)
        if found:
            return found
        time.sleep(0.05)
    raise TimeoutError(f"no partial appeared in {folder}")


@pytest.mark.fault
@pytest.mark.timeout(300)
@pytest.mark.parametrize("live", ["outer", "inner"])
def test_a_run_leaves_the_partials_of_a_live_run_in_a_nested_copy_root(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], live: str
) -> None:
    """*live* is the run held mid-file by its card (a FUSE read stalled): the outer one
    (copy root ``d1/shoot``, writing ``day2/BIG.MOV``) or the inner one (copy root
    ``d1/shoot/day2``, writing ``BIG.MOV`` there). The other starts then and finishes; the
    held one is let go and must finish too, its copy verified."""
    reader = faulty_fs()
    dest = tmp_path / "d1"
    (dest / "shoot").mkdir(parents=True)  # a folder the inner run is given
    big = {"BIG.MOV": 24 * MIB}
    if live == "outer":
        make_card(reader.backing / "shoot", {"day2/BIG.MOV": 24 * MIB, "notes.txt": 512})
        held_card, held_into = reader.mountpoint / "shoot", dest
        stall = reader.stall("read", path="shoot/day2/BIG.MOV", offset=12 * MIB)
        other_card = make_card(tmp_path / "cards" / "day2", {"C001.MOV": 300_000})
        other_into = dest / "shoot"
    else:
        make_card(reader.backing / "day2", big)
        held_card, held_into = reader.mountpoint / "day2", dest / "shoot"
        stall = reader.stall("read", path="day2/BIG.MOV", offset=12 * MIB)
        other_card = make_card(
            tmp_path / "cards" / "shoot", {"day2/C001.MOV": 300_000, "notes.txt": 512}
        )
        other_into = dest
    shared = dest / "shoot" / "day2"  # the folder both write into
    held = subprocess.Popen(
        offload_cli("--report-dir", tmp_path / "r1", *NO_MHL, held_card, held_into),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reader.wait_stalled(stall, timeout_s=60)
        live_partials = wait_for_partial(shared)
        other = run(offload_cli("--report-dir", tmp_path / "r2", *NO_MHL, other_card, other_into))
        assert other.returncode == 0, other.stderr
        # The live run's partial is still there, untouched by the other's clean-up.
        assert set(live_partials) <= set(partials(shared))
        reader.release(stall)
        _out, err = held.communicate(timeout=120)
        assert held.returncode == 0, err
    finally:
        if held.poll() is None:
            held.kill()
            reader.release()
            held.communicate()
    held_root = dest / "shoot" if live == "outer" else shared
    relative = "day2/BIG.MOV" if live == "outer" else "BIG.MOV"
    entry = Ledger(held_root).load()[relative]
    assert entry.state == "verified"
    assert (held_root / relative).read_bytes() == (
        reader.backing / held_card.name / relative
    ).read_bytes()
    assert partials(shared) == []


# A live offload into the outer copy root: it holds that root's lock and writes a partial
# (named with its own run's token) into a folder of the inner one, then waits.
LIVE_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from offload.destinations.naming import partial_name
    from offload.lock import lock_copy_roots
    root, folder = Path(sys.argv[1]), Path(sys.argv[2])
    locks = lock_copy_roots([root], command=["offload", "copy", "shoot"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / partial_name("BIG.MOV")
    path.write_bytes(bytes(3 << 20))
    print(path.name, flush=True)
    time.sleep(120)
    """
)
# A run that wrote a partial and is gone (killed: its partial stays).
DEAD_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from offload.destinations.naming import partial_name
    path = Path(sys.argv[1]) / partial_name("OLD.MOV")
    path.write_bytes(bytes(2 << 20))
    print(path.name, flush=True)
    """
)


def test_only_a_gone_runs_partial_is_removed_and_counted_as_room(tmp_path: Path) -> None:
    """In a folder a live run writes to (another process holding the copy root above it), a
    partial of that run is kept and not counted as room the clean-up gives back; one of a
    run that is gone (its token in no live lock's body) is removed and counted."""
    dest = tmp_path / "d1"
    shared = dest / "shoot" / "day2"
    live = subprocess.Popen(
        [sys.executable, "-c", LIVE_WRITER, str(dest / "shoot"), str(shared)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert live.stdout is not None
        live_name = live.stdout.readline().strip()
        dead_name = subprocess.run(
            [sys.executable, "-c", DEAD_WRITER, str(shared)],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dead = shared / dead_name
        card = make_card(tmp_path / "cards" / "day2", {"C001.MOV": 300_000})
        plan = plan_offload(card, [dest / "shoot"], OffloadOptions())
        (check,) = plan.preflight.destinations
        assert check.reclaimable_bytes == dead.stat().st_blocks * 512
        report = run_offload(plan)
        assert report.exit_code == 0
        assert report.removed_partials == 1
        assert partials(shared) == [live_name]
    finally:
        stop(live)
    # The live run is gone now: its partial is abandoned, the next run removes it.
    again = run_offload(plan_offload(card, [dest / "shoot"], OffloadOptions()))
    assert again.removed_partials == 1 and partials(shared) == []


def test_a_partial_an_earlier_run_of_this_process_left_is_removed(tmp_path: Path) -> None:
    """A library caller's run that lost its drive mid-copy left a partial named with this
    process's token; the next run of the same process removes it: no lock held now names
    it (a run of this process going on would hold one)."""
    from offload.destinations.naming import partial_name

    card = make_card(tmp_path / "cards" / "day2", {"C001.MOV": 300_000})
    folder = tmp_path / "d1" / "day2"
    folder.mkdir(parents=True)
    left = folder / partial_name("C001.MOV")
    left.write_bytes(bytes(100_000))
    report = run_offload(plan_offload(card, [tmp_path / "d1"], OffloadOptions()))
    assert report.exit_code == 0 and report.removed_partials == 1
    assert partials(folder) == []


def _hold_and_release(
    held: subprocess.Popen[str], reader: FaultyFS, stall: str, body: Callable[[], None]
) -> str:
    """Run *body* while *held* (a live run) is stalled mid-file by *reader*, then let it go;
    its stderr, once it ended (it must end with 0)."""
    try:
        body()
        reader.release(stall)
        _out, err = held.communicate(timeout=120)
        assert held.returncode == 0, err
        return err
    finally:
        if held.poll() is None:
            held.kill()
            reader.release()
            held.communicate()


@pytest.mark.fault
@pytest.mark.timeout(300)
def test_a_run_leaves_the_partial_of_a_live_run_that_reaches_the_folder_by_a_bind_mount(
    tmp_path: Path,
    faulty_fs: Callable[..., FaultyFS],
    bind_mount: Callable[[Path, Path], object],
) -> None:
    """The live run writes ``d1/shoot/day2/BIG.MOV`` (copy root ``d1/shoot``); the other
    offloads a card into ``view/day2``, a bind mount of that same folder (copy root
    ``view/day2``). No path above ``view/day2`` leads to ``d1/shoot``, so the locks the
    other run asks do not include the live one's. Failed before: the other run removed the
    live partial as a killed run's, and the live run failed its read-back."""
    reader = faulty_fs()
    dest = tmp_path / "d1"
    dest.mkdir()
    make_card(reader.backing / "shoot", {"day2/BIG.MOV": 24 * MIB, "notes.txt": 512})
    stall = reader.stall("read", path="shoot/day2/BIG.MOV", offset=12 * MIB)
    shared = dest / "shoot" / "day2"
    held = subprocess.Popen(
        offload_cli("--report-dir", tmp_path / "r1", *NO_MHL, reader.mountpoint / "shoot", dest),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def other_run() -> None:
        reader.wait_stalled(stall, timeout_s=60)
        live_partials = wait_for_partial(shared)
        view = tmp_path / "view"
        bind_mount(shared, view / "day2")
        card = make_card(tmp_path / "cards" / "day2", {"C001.MOV": 300_000})
        other = run(offload_cli("--report-dir", tmp_path / "r2", *NO_MHL, card, view))
        assert other.returncode == 0, other.stderr
        assert (view / "day2" / "C001.MOV").read_bytes() == (card / "C001.MOV").read_bytes()
        # The live run's partial is still there, seen through either path.
        assert set(live_partials) <= set(partials(shared))

    _hold_and_release(held, reader, stall, other_run)
    entry = Ledger(dest / "shoot").load()["day2/BIG.MOV"]
    assert entry.state == "verified"
    assert (shared / "BIG.MOV").read_bytes() == (
        reader.backing / "shoot" / "day2" / "BIG.MOV"
    ).read_bytes()
    assert partials(shared) == []


@pytest.mark.fault
@pytest.mark.timeout(300)
def test_a_card_run_leaves_the_partial_of_a_live_pfndispatchcopy(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """A live ``pfndispatchcopy`` (one file, no copy root, no lock) writes ``d1/day2/BIG.MOV``;
    an offload of a card into ``d1`` (copy root ``d1/day2``) starts meanwhile. Failed before:
    the offload removed the one-file copy's partial as a killed run's, and that copy failed
    its read-back."""
    reader = faulty_fs()
    make_card(reader.backing, {"BIG.MOV": 24 * MIB})
    stall = reader.stall("read", path="BIG.MOV", offset=12 * MIB)
    folder = tmp_path / "d1" / "day2"
    folder.mkdir(parents=True)
    held = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "offload.cli.pfndispatchcopy",
            str(reader.mountpoint / "BIG.MOV"),
            str(folder / "BIG.MOV"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def card_run() -> None:
        reader.wait_stalled(stall, timeout_s=60)
        live_partials = wait_for_partial(folder)
        card = make_card(tmp_path / "cards" / "day2", {"C001.MOV": 300_000})
        other = run(offload_cli("--report-dir", tmp_path / "r2", *NO_MHL, card, tmp_path / "d1"))
        assert other.returncode == 0, other.stderr
        assert set(live_partials) <= set(partials(folder))

    _hold_and_release(held, reader, stall, card_run)
    assert (folder / "BIG.MOV").read_bytes() == (reader.backing / "BIG.MOV").read_bytes()
    assert partials(folder) == []


# A writer that claims a partial (as an offload's writer does) and waits.
CLAIMING_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from offload.destinations.claim import claim
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    os.write(fd, bytes(1 << 20))
    print(claim(fd), flush=True)
    time.sleep(120)
    """
)


def test_a_claimed_partial_is_kept_until_its_writer_is_gone(tmp_path: Path) -> None:
    """``claim``: a live writer's partial is claimed and not removed; once the writer is
    killed it is unclaimed and removed. A partial removed before its claim was granted is
    told to its writer (its claim answers False)."""
    from offload.destinations.claim import claim, claimed, remove_unclaimed
    from offload.destinations.naming import partial_name

    path = tmp_path / partial_name("CLIP.MOV")
    writer = subprocess.Popen(
        [sys.executable, "-c", CLAIMING_WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "True"
        assert claimed(str(path)) is True
        assert remove_unclaimed(str(path)) is False
        assert path.exists()
    finally:
        stop(writer)
    assert claimed(str(path)) is False
    assert remove_unclaimed(str(path)) is True
    assert not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        os.unlink(path)  # a clean-up's, between the writer's open and its claim
        assert claim(fd) is False
    finally:
        os.close(fd)
