"""A card pulled once it was released (its FUSE daemon SIGKILLed: ENOTCONN on every look):
the HTML and PDF reports are still made, their thumbnails from the copies.

Before the fix ``report/documents.py``'s ``source.is_file()`` on the card's root raised
ENOTCONN: the run warned "cannot build the HTML/PDF report: OSError: [Errno 107] ..." and
``offload report JOB.json`` died with a traceback (exit 1).

Real parts: the card is a FaultyFS FUSE mount, killed with SIGKILL; the commands run as
subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.faultyfs import FaultyFS

OFFLOAD = [sys.executable, "-m", "offload.cli.offload"]


def test_offload_report_after_the_card_was_pulled(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    card_fs = faulty_fs()
    card = card_fs.mountpoint
    (card / "CLIPS").mkdir()
    for index in range(3):
        (card / "CLIPS" / f"C00{index}.mov").write_bytes(os.urandom(200_000 + index))
    destination = tmp_path / "dst"
    destination.mkdir()
    reports = tmp_path / "reports"
    done = subprocess.run(
        [*OFFLOAD, "copy", "--report-dir", str(reports), str(card), str(destination)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (job,) = reports.glob("*.json")
    for made in (job.with_suffix(".html"), job.with_suffix(".pdf")):
        made.unlink()
    card_fs.kill()  # the card pulled: ENOTCONN from now on
    again = subprocess.run(
        [*OFFLOAD, "report", str(job)], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in again.stderr, again.stderr
    assert again.returncode == 0, again.stderr
    assert job.with_suffix(".html").stat().st_size > 0
    assert job.with_suffix(".pdf").read_bytes().startswith(b"%PDF")


def test_folders_on_a_destination_gone_after_its_copies_are_an_error_not_a_crash(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The card's folders are made on a destination once its files are copied
    (``card._make_folders``): a drive gone by then (its FUSE daemon SIGKILLed: ENOTCONN)
    is an error against that destination, each folder named. Before: ``folder.is_dir()``
    raised ENOTCONN out of the end of the run (pathlib raises for all but ENOENT, ENOTDIR,
    EBADF, ELOOP)."""
    from offload.card import _make_folders
    from offload.plan.destination import plan_destinations
    from offload.plan.scan import scan_source

    card = tmp_path / "card" / "C3"
    (card / "CLIPS" / "EMPTY").mkdir(parents=True)
    (card / "CLIPS" / "A.mov").write_bytes(b"x" * 100)
    drive = faulty_fs()
    tree = scan_source(card)
    (plan,) = plan_destinations(tree, card, [drive.mountpoint], into=False)
    drive.kill()
    errors = _make_folders(tree, plan)
    assert errors, errors
    assert all("Transport endpoint is not connected" in e for e in errors), errors
    assert any(str(drive.mountpoint / "C3" / "CLIPS" / "EMPTY") in e for e in errors), errors
