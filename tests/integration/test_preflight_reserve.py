"""The room the preflight keeps for offload-ai's own files (``space.own_files``) against the
files a real offload writes into a copy root: the ledger, the ASC MHL generation and chain,
a legacy MHL, the stamp, the JSON, CSV, HTML and PDF reports and their folders. Never below
what was written (else a destination that passed the preflight loses its manifest or report
to ENOSPC), and not far above (else copies that fit are refused). One and three
destinations, short and long names, one and four algorithms."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from offload.plan.preflight.space import OWN_ENTRIES, own_files
from offload.plan.scan import scan_source
from support.mounts import Mount, leave_free_inodes
from support.offload_cli import offload

BLOCK = 4096


def round_up(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def ours(copy_root: Path) -> tuple[int, int]:
    """What offload-ai's own files and folders take in *copy_root*, in blocks of BLOCK bytes
    (a folder one block), and how many there are."""
    taken = entries = 0
    for top in (copy_root / ".offload", copy_root / "ascmhl"):
        for folder, _, files in os.walk(top):
            taken += BLOCK
            entries += 1
            for name in files:
                taken += round_up(os.lstat(os.path.join(folder, name)).st_size)
                entries += 1
    for name in os.listdir(copy_root):  # a legacy MHL, at the top
        if name.endswith(".mhl"):
            taken += round_up(os.lstat(copy_root / name).st_size)
            entries += 1
    return taken, entries


@pytest.mark.parametrize(
    ("files", "name_bytes", "destinations", "extra"),
    [
        (150, 10, 1, ()),
        (150, 120, 3, ()),
        (400, 10, 3, ()),
        (400, 120, 1, ()),
        (150, 60, 3, ("-t", "xxh64", "-t", "md5", "-t", "sha1", "-t", "c4", "--mhl", "both")),
        (400, 120, 3, ("-t", "xxh128", "-t", "sha256", "-t", "md5", "--mhl", "both")),
    ],
)
def test_the_reserve_holds_what_an_offload_writes_of_its_own(
    tmp_path: Path, files: int, name_bytes: int, destinations: int, extra: tuple[str, ...]
) -> None:
    card = tmp_path / "card" / "A001"
    folder = card / ("F" * (name_bytes // 3))
    folder.mkdir(parents=True)
    for i in range(files):
        stem = f"C{i:04d}_" + "x" * name_bytes
        (folder / f"{stem[: max(5, name_bytes - 4)]}.bin").write_bytes(os.urandom(50))
    dests = [tmp_path / f"destination-number-{i}" for i in range(destinations)]
    for dest in dests:
        dest.mkdir()
    code, output = offload(
        "copy", *extra, str(card), *map(str, dests), "--report-dir", str(tmp_path / "r")
    )
    assert code == 0, output

    algorithms = [extra[i + 1] for i, a in enumerate(extra) if a == "-t"] or ["xxh64"]
    estimate = own_files(
        scan_source(card),
        BLOCK,
        copy_roots=[str(d / card.name) for d in dests],
        algorithms=algorithms,
        manifests=2 if "both" in extra else 1,
    )
    for dest in dests:
        taken, entries = ours(dest / card.name)
        assert taken <= estimate.bytes, (taken, estimate.bytes)
        # Close to it: the margins of the per-file sizes, and the fixed part of each file.
        assert estimate.bytes - taken <= 0.4 * taken + 20 * BLOCK, (taken, estimate.bytes)
        assert entries <= OWN_ENTRIES


@pytest.mark.parametrize("extra", [(), ("--mhl", "both")])
def test_the_reserve_of_a_rerun_holds_what_it_writes_of_its_own(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """A re-run's reserve counts what the copy root holds already (``present_own``): the
    folders, ledger, lock, stamp and chain are not made again. What a re-run with nothing
    new (its reports alone) and one with 10 new files (a generation, ledger lines) write of
    their own stays within it, in blocks and entries."""
    from offload.plan.preflight.space import present_own

    card = tmp_path / "card" / "A001"
    card.mkdir(parents=True)
    for i in range(300):
        (card / f"C{i:04d}_xxxxxxxxxxxx.bin").write_bytes(os.urandom(50))
    dest = tmp_path / "d"
    dest.mkdir()
    argv = ("copy", *extra, str(card), str(dest), "--report-dir", str(tmp_path / "r"))
    assert offload(*argv)[0] == 0
    root = dest / card.name
    for new in (0, 10):
        for i in range(new):
            (card / f"N{i:04d}.bin").write_bytes(os.urandom(50))
        tree = scan_source(card)
        ledger_paths = [f.relative_path for f in tree.files if f.relative_path.startswith("N")]
        estimate = own_files(
            tree,
            BLOCK,
            copy_roots=[str(root)],
            manifests=2 if "both" in extra else 1,
            ledger_paths=ledger_paths,
            generation=bool(new),
            present=present_own(root),
        )
        taken, entries = ours(root)
        code, output = offload(*argv)
        assert code == 0, output
        now_taken, now_entries = ours(root)
        assert now_taken - taken <= estimate.bytes, (now_taken - taken, estimate.bytes)
        assert now_entries - entries <= estimate.inodes, (now_entries - entries, estimate)
        assert estimate.inodes <= (5 if not new else 9), estimate  # not OWN_ENTRIES again


@pytest.mark.parametrize("extra", [(), ("--mhl", "both")], ids=["same-options", "legacy-added"])
def test_a_rerun_with_exactly_its_estimated_inodes_free_writes_everything(
    tmp_path: Path, tmpfs_mount: Callable[..., Mount], extra: tuple[str, ...]
) -> None:
    """The estimate against the run's peak, not what is left after it: a re-run with one
    new file (a generation, a ledger line, the chain's and stamp's temporary copies, a
    report restated through a temporary copy) onto a tmpfs left with exactly the inodes
    the preflight counts (``own_files`` with ``present_own``, and the new copy's) passes
    and writes every manifest and report; one inode fewer is refused up front. Also with
    a legacy MHL asked for the first time (a kind the stamp did not record)."""
    from offload.plan.preflight.space import present_own

    drive = tmpfs_mount(16 << 20, nr_inodes=600).path
    card = tmp_path / "card" / "A001"
    card.mkdir(parents=True)
    for i in range(40):
        (card / f"C{i:04d}.bin").write_bytes(os.urandom(50))
    reports = tmp_path / "r"
    assert offload("copy", str(card), str(drive), "--report-dir", str(reports))[0] == 0
    root = drive / card.name
    (card / "N0001.bin").write_bytes(os.urandom(50))
    estimate = own_files(
        scan_source(card),
        BLOCK,
        copy_roots=[str(root)],
        manifests=2 if extra else 1,
        ledger_paths=["N0001.bin"],
        generation=True,
        present=present_own(root),
    )
    argv = ("copy", *extra, str(card), str(drive), "--report-dir", str(reports))
    leave_free_inodes(drive, estimate.inodes)  # one short: the new copy's own
    code, output = offload(*argv)
    assert code == 64 and "out of inodes" in output, output
    (drive / "filler" / os.listdir(drive / "filler")[0]).unlink()
    assert os.statvfs(drive).f_favail == estimate.inodes + 1
    code, output = offload(*argv)
    assert code == 0, output
    assert "NOT WRITTEN" not in output, output
    assert len(list((root / "ascmhl").glob("*.mhl"))) == 2
    assert len(list(root.glob("*.mhl"))) == (1 if extra else 0)
    assert len(os.listdir(root / ".offload" / "reports")) == 8
