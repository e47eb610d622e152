"""The same card mounted under another folder name (macOS mounts a re-plugged card as
``RED_A001 1``): its offload already stands beside the copy root the run names, and the run
would copy it again in full. A real exFAT card (its volume serial the identity) mounted,
then bind-mounted at a second name: the preflight warns (``card-offloaded-beside``),
naming the folder and the ``--into`` way to resume it."""

from __future__ import annotations

import ctypes
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.card_beside import records_card
from offload.card_identity import CardIdentity
from offload.ledger import LedgerEntry, entry_line
from support import mounts
from support.cards import corrupt_keeping_size_and_mtime
from support.offload_cli import newest_report, offload_streams, run_offload

WORDS = "already holds this card's offload"


def test_the_card_under_another_name_is_told_its_offload_stands_beside(
    tmp_path: Path, exfat_loop: Any, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> None:
    """Failed before: a second full copy into ``D/red 1``, exit 0, no word."""
    card = Path(exfat_loop(label="RED_A001", serial=0x7B55FACA, path=tmp_path / "red").path)
    (card / "CLIPS").mkdir()
    (card / "CLIPS" / "A001C001.R3D").write_bytes(os.urandom(50_000))
    dest, reports = tmp_path / "D", tmp_path / "reports"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, card, dest)
    assert code == 0, out + err
    assert WORDS not in out + err  # the first offload: nothing beside it
    again = tmp_path / "red 1"
    again.mkdir()
    bind_mount(card, again)
    code, out, err = offload_streams("copy", "--dry-run", again, dest)
    assert code == 0, out + err
    warned = [line for line in (out + err).splitlines() if WORDS in line]
    assert warned == [
        f'WARNING: {dest / "red"} {WORDS} ("RED_A001", volume 7B55-FACA): this run copies '
        f"the card again, in full, into {dest / 'red 1'}; to resume it instead: offload copy "
        f"--into '{again}' {dest / 'red'} (with the command's other options)"
    ]
    # The offload says it too and its report keeps it (the copy runs as asked).
    code, out, err = offload_streams("copy", "--report-dir", reports, again, dest)
    assert code == 0, out + err
    assert f"WARNING: {dest / 'red'} {WORDS}" in err
    codes = [w["code"] for w in newest_report(reports)["warnings"]]
    assert "card-offloaded-beside" in codes
    # Its re-run under that name resumes its own copy root: nothing named beside it any
    # more? The folder it made holds this card's offload now: still the first by name
    # beside it, but its own root holds the card's ledger: no warning.
    code, out, err = offload_streams("copy", "--dry-run", again, dest)
    assert code == 0, out + err
    assert WORDS not in out + err
    # The card re-run under its own name: its own root is its offload, no warning either.
    code, out, err = offload_streams("copy", "--dry-run", card, dest)
    assert code == 0, out + err
    assert WORDS not in out + err


def test_another_card_beside_is_not_named(tmp_path: Path, exfat_loop: Any) -> None:
    """A folder beside holding another card's offload (another serial) is not named."""
    first = Path(exfat_loop(label="A", serial=0x11112222, path=tmp_path / "a").path)
    second = Path(exfat_loop(label="B", serial=0x33334444, path=tmp_path / "b").path)
    for card in (first, second):
        (card / "clip.mov").write_bytes(os.urandom(20_000))
    dest = tmp_path / "D"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", tmp_path / "r", first, dest)
    assert code == 0, out + err
    code, out, err = offload_streams("copy", "--dry-run", second, dest)
    assert code == 0, out + err
    assert WORDS not in out + err


def _offloaded_and_mounted_again(
    tmp_path: Path, exfat_loop: Any, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> tuple[Path, Path, Path]:
    """A card offloaded once into ``D/red``, then seen at ``red 1``: (the card at its second
    name, the destination, ``D/red``'s ledger)."""
    card = Path(exfat_loop(label="RED_A001", serial=0x7B55FACB, path=tmp_path / "red").path)
    (card / "A001C001.R3D").write_bytes(os.urandom(20_000))
    dest = tmp_path / "D"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", tmp_path / "r", card, dest)
    assert code == 0, out + err
    again = tmp_path / "red 1"
    again.mkdir()
    bind_mount(card, again)
    return again, dest, dest / "red" / ".offload" / "ledger.jsonl"


def _warned(again: Path, dest: Path) -> list[str]:
    code, out, err = offload_streams("copy", "--dry-run", again, dest)
    assert code == 0, out + err
    return [line for line in (out + err).splitlines() if WORDS in line]


# The first line of a ledger that is not this card's entry: each passed over.
_ANOTHER_CARD = "another card's"
_DAMAGED = "damaged"
_REVOCATION = "revocation"
_OLDER = "older version's"


@pytest.mark.parametrize("first", [_ANOTHER_CARD, _DAMAGED, _REVOCATION, _OLDER])
def test_its_offload_is_found_past_a_first_line_of_another_kind(
    tmp_path: Path,
    exfat_loop: Any,
    bind_mount: Callable[[Path, Path], mounts.Mount],
    first: str,
) -> None:
    """Failed before for each: only the ledger's first line was read, and it names no card
    or another one (a copy root another card was offloaded into first, ``--into``; a line
    damaged; a revocation; a version's before the ``card`` key): no warning, a second full
    copy."""
    again, dest, ledger = _offloaded_and_mounted_again(tmp_path, exfat_loop, bind_mount)
    text = ledger.read_text()
    entry = json.loads(text.splitlines()[0])
    line = {
        _ANOTHER_CARD: json.dumps({**entry, "relative_path": "B.mov", "card": '1111-2222 "B"'}),
        _DAMAGED: '{"relative_path": "B.mov", "state": "verif',
        _REVOCATION: json.dumps({"relative_path": "B.mov", "state": "revoked"}),
        _OLDER: json.dumps({k: v for k, v in entry.items() if k not in ("card", "fingerprint")}),
    }[first]
    ledger.write_text(line + "\n" + text)
    assert _warned(again, dest) == [
        f'WARNING: {dest / "red"} {WORDS} ("RED_A001", volume 7B55-FACB): this run copies '
        f"the card again, in full, into {dest / 'red 1'}; to resume it instead: offload copy "
        f"--into '{again}' {dest / 'red'} (with the command's other options)"
    ]


def _other_card_lines(entry: dict[str, Any], size: int) -> str:
    """Lines of another card's copies (another volume), *size* bytes at least."""
    lines, total, n = [], 0, 0
    while total < size:
        line = json.dumps({**entry, "relative_path": f"B/{n:06d}.mov", "card": '1111-2222 "B"'})
        lines.append(line + "\n")
        total += len(line) + 1
        n += 1
    return "".join(lines)


def test_a_long_ledger_is_read_at_its_start_and_end_only(
    tmp_path: Path, exfat_loop: Any, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> None:
    """A ledger of 1.5 MB: the card's lines after another card's (the card added ``--into``
    a folder another card filled first, its lines the last) are found in its last 256 KiB
    (failed before: its first line is the other card's); before them, in its first 256 KiB;
    in its middle alone, the ledger is not read whole: not named (a miss, never a claim)."""
    again, dest, ledger = _offloaded_and_mounted_again(tmp_path, exfat_loop, bind_mount)
    ours = ledger.read_text()
    others = _other_card_lines(json.loads(ours.splitlines()[0]), 750_000)
    for text, named in (
        (others + ours, True),
        (ours + others, True),
        (others + ours + others, False),
    ):
        ledger.write_text(text)
        assert bool(_warned(again, dest)) is named, len(text)


def test_a_fifo_at_a_ledger_beside_is_passed_over(tmp_path: Path, exfat_loop: Any) -> None:
    """A FIFO at the name of a ledger beside the copy root (nothing writes to it) names no
    card. Failed before: the run waited on its open for ever (here: killed at 60 s)."""
    card = Path(exfat_loop(label="A001", serial=0x5A5A1357, path=tmp_path / "A001").path)
    (card / "C001.mov").write_bytes(os.urandom(20_000))
    state = tmp_path / "dest" / "B002" / ".offload"
    state.mkdir(parents=True)
    os.mkfifo(state / "ledger.jsonl")
    done = run_offload("copy", "--dry-run", card, tmp_path / "dest", timeout_s=60)
    assert done.returncode == 0, done.stderr
    assert WORDS not in done.stdout + done.stderr


def test_an_offload_beside_whose_copy_was_found_changed_is_not_named(
    tmp_path: Path, exfat_loop: Any, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> None:
    """``D/red``'s copy flipped by a byte, its size and date kept (bit rot: what a run's
    quick check still trusts), ``offload verify D/red`` (exit 11) revokes it: its ledger no
    longer vouches for the card's offload, so ``D/red`` is no longer named (its ``--into``
    run would copy the card again anyway). Failed before: each line was read on its own,
    the revocation could not end the entry before it, and the warning still said ``D/red``
    held this card's offload.

    The flip keeps the copy's date: written with the date of its write, the copy was
    revoked only while that date was within the ledger's 2 s of its card file's (a copy
    whose date changed is trusted by no run, and not revoked: ``verify_revoke``), so the
    test failed whenever the card's copy and the dry run took longer (5 runs of 5 under 4
    busy CPUs)."""
    again, dest, ledger = _offloaded_and_mounted_again(tmp_path, exfat_loop, bind_mount)
    assert _warned(again, dest)  # before the check: named
    corrupt_keeping_size_and_mtime(dest / "red" / "A001C001.R3D", at=100)
    code, out, err = offload_streams("verify", dest / "red")
    assert code == 11, out + err
    assert '"revoked"' in ledger.read_text()
    assert _warned(again, dest) == []


def test_an_offload_beside_whose_copy_was_found_changed_with_its_date_is_not_named(
    tmp_path: Path, exfat_loop: Any, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> None:
    """As above, the damaged copy's date moved a minute on too (an app that wrote it, or
    the same flip made by a slow run: the copy's date more than the ledger's 2 s from its
    card file's). ``offload verify D/red`` (exit 11) revokes it all the same: the ledger no
    longer vouches for it, ``D/red`` is not named, and ``--reverify`` of the card into
    ``D/red`` still takes the copy up as ours and replaces it. Failed before: a copy whose
    date changed was not revoked (trusted by no run's quick check), and the warning still
    said ``D/red`` held this card's offload, which the check had just disproved."""
    again, dest, ledger = _offloaded_and_mounted_again(tmp_path, exfat_loop, bind_mount)
    copy = dest / "red" / "A001C001.R3D"
    corrupt_keeping_size_and_mtime(copy, at=100)
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 60 * 10**9))
    code, out, err = offload_streams("verify", dest / "red")
    assert code == 11, out + err
    assert f"CHANGED {copy}" in " ".join(err.split()), err
    assert '"revoked"' in ledger.read_text()
    assert _warned(again, dest) == []
    code, out, err = offload_streams("copy", "-q", "--reverify", "--into", again, dest / "red")
    assert code == 0, out + err
    assert copy.read_bytes() == (again / "A001C001.R3D").read_bytes()


def test_a_later_line_of_another_folder_of_the_volume_at_the_path_leaves_it_named(
    tmp_path: Path, exfat_loop: Any, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> None:
    """``D/red``'s ledger read as a whole (its lines folded together): another card's copy
    of the same path kept beside this card's (``--keep-both``: another name), its line
    after this card's and holding the same volume id (a folder of that volume), leaves
    this card's entry standing: still named."""
    again, dest, ledger = _offloaded_and_mounted_again(tmp_path, exfat_loop, bind_mount)
    text = ledger.read_text()
    entry = json.loads(text.splitlines()[0])
    other = {**entry, "card": '7B55-FACB "RED_A001"/OTHER', "final_name": "A001C001 (1).R3D"}
    ledger.write_text(text + json.dumps(other, ensure_ascii=False) + "\n")
    assert len(_warned(again, dest)) == 1
    # That line of the same name as this card's copy (that file written since by the
    # other card's run): this card's entry of it is ended, as the ledger's reader ends it.
    ledger.write_text(text + json.dumps({**other, "final_name": ""}, ensure_ascii=False) + "\n")
    assert _warned(again, dest) == []


def test_a_folder_of_a_shuttle_drive_is_found_among_its_other_folders_lines(
    tmp_path: Path, exfat_loop: Any, bind_mount: Callable[[Path, Path], mounts.Mount]
) -> None:
    """A card that is a folder of a volume (``CARDS/A001`` of a shuttle drive) offloaded
    into ``D/A001``, whose ledger also holds the lines of the volume's other folders (each
    line holding the volume id; only those ending the key as this folder's are parsed),
    before and after its own: found, and named when the folder is seen at another name."""
    drive = Path(exfat_loop(label="SHUTTLE", serial=0x5A5A2468, path=tmp_path / "drive").path)
    card = drive / "CARDS" / "A001"
    card.mkdir(parents=True)
    (card / "C001.mov").write_bytes(os.urandom(20_000))
    dest = tmp_path / "D"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", tmp_path / "r", card, dest)
    assert code == 0, out + err
    ledger = dest / "A001" / ".offload" / "ledger.jsonl"
    ours = ledger.read_text()
    entry = json.loads(ours.splitlines()[0])
    volume = '5A5A-2468 "SHUTTLE"'
    assert entry["card"] == f"{volume}/CARDS/A001", entry["card"]
    others = "".join(
        json.dumps({**entry, "relative_path": f"B{n}.mov", "card": f"{volume}/CARDS/A{n:03d}"})
        + "\n"
        for n in range(2000)
        if n != 1
    )
    again = tmp_path / "A001 1"
    again.mkdir()
    bind_mount(card, again)
    for text in (others + ours, ours + others):
        ledger.write_text(text)
        assert len(_warned(again, dest)) == 1, len(text)


def _opened(path: Path, look: Callable[[], object]) -> bool:
    """Whether *look* opened the file at *path* (inotify's ``IN_OPEN`` on it, read when
    *look* returned: the kernel queues it in the open call)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    assert fd >= 0, os.strerror(ctypes.get_errno())
    try:
        in_open = 0x20
        assert libc.inotify_add_watch(fd, os.fsencode(path), in_open) >= 0
        look()
        try:
            return bool(os.read(fd, 4096))
        except BlockingIOError:
            return False
    finally:
        os.close(fd)


def test_a_fifo_or_a_link_to_one_at_a_ledger_beside_is_never_opened(tmp_path: Path) -> None:
    """A FIFO at a ledger's name, or a symlink there to one, is not opened (an open wakes a
    writer waiting on it; a device node's open may act): a stat first. A regular file is
    (the check sees it opened). Failed before: opened, then found no regular file."""
    card = CardIdentity("5A5A-1357", "A001", "exfat", "")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    linked = tmp_path / "linked" / ".offload" / "ledger.jsonl"
    linked.parent.mkdir(parents=True)
    linked.symlink_to(fifo)
    at_name = tmp_path / "named" / ".offload" / "ledger.jsonl"
    at_name.parent.mkdir(parents=True)
    os.mkfifo(at_name)
    assert not _opened(fifo, lambda: records_card(tmp_path / "linked", card))
    assert not _opened(at_name, lambda: records_card(tmp_path / "named", card))
    plain = tmp_path / "plain" / ".offload" / "ledger.jsonl"
    plain.parent.mkdir(parents=True)
    plain.write_text("{}\n")
    assert _opened(plain, lambda: records_card(tmp_path / "plain", card))


def test_a_card_whose_copies_were_revoked_but_one_is_named_for_that_one(tmp_path: Path) -> None:
    """A ledger of ten copies of the card (its lines as the ledger writes them), each but
    the last revoked after it: the card's offload still stands there by that last copy
    (past the paths asked one by one, all the lines are read together); each revoked: none."""
    card = CardIdentity("5A5A-9753", "A001", "exfat", "")
    ledger = tmp_path / "B002" / ".offload" / "ledger.jsonl"
    ledger.parent.mkdir(parents=True)

    def copy(n: int) -> str:
        entry = LedgerEntry(f"C{n:03d}.mov", "verified", 10, 1, {"xxh64": "0" * 16}, card=card.key)
        return entry_line(entry) + "\n"

    def revoked(n: int) -> str:
        return entry_line(LedgerEntry(f"C{n:03d}.mov", "revoked")) + "\n"

    copies = "".join(copy(n) for n in range(10))
    ledger.write_text(copies + "".join(revoked(n) for n in range(9)))
    assert records_card(tmp_path / "B002", card)
    ledger.write_text(copies + "".join(revoked(n) for n in range(10)))
    assert not records_card(tmp_path / "B002", card)
