"""A SIGTERM once every copy is verified, while the manifests are written: the run goes on
to its end, as after a first Ctrl-C (manifests, reports, the run's record settled), its
exit code the outcome's, and the signal named in the summary and the reports; a further
signal stops it. A real ``python -m offload`` process, a real SIGTERM, sent while FaultyFS
holds the first manifest's create in the copy root's ``ascmhl/`` (never a timing race)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from faults.test_manifest_crash import make_card
from offload import run_record
from offload.cli.common import Environment
from offload.cli.offload import main
from support.faultyfs import FaultyFS, signal_at_stalls, signalled_at_stall

pytestmark = pytest.mark.fault

CARD = {"CLIPS/C1.mov": 3 << 20, "CLIPS/C2.mov": 200_000, "x.xml": 3000}


def _command(reports: Path, card: Path, dest: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "offload.cli.offload",
        "copy",
        "--quiet",
        "--report-dir",
        str(reports),
        str(card),
        str(dest),
    ]


def test_a_sigterm_while_the_manifests_are_written_lets_the_run_end(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Exit 0, the manifests written, the local report there (its note naming SIGTERM), the
    run in ``offload history`` as verified, the copy root's record ``finished``. Failed
    before: exit 130, "stopped by SIGTERM while the manifests were written", no report, no
    history, the record ``running`` (``offload verify``: INCOMPLETE, exit 10)."""
    card = make_card(tmp_path / "card", CARD)
    fs = faulty_fs()
    held = fs.stall("create", path=f"{card.name}/ascmhl/*")
    reports = tmp_path / "reports"
    done = signalled_at_stall(
        fs, held, _command(reports, card, fs.mountpoint), signal.SIGTERM, cwd=tmp_path
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 0, said
    assert "stopped by SIGTERM" not in said, said
    root = fs.mountpoint / card.name
    assert (root / "ascmhl" / "ascmhl_chain.xml").exists()
    record = run_record.read(root)
    assert record is not None and record.state == run_record.FINISHED, record
    (report,) = reports.glob("*.json")
    data = json.loads(report.read_text())
    assert data["exit_code"] == 0, data["notes"]
    note = "SIGTERM came after every copy had finished: nothing was cancelled"
    assert any(n.startswith(note) for n in data["notes"]), data["notes"]
    listed = io.StringIO()
    code = main(
        ["history", "--report-dir", str(reports)],
        Environment(stdout=listed, stderr=io.StringIO(), install_signal_handlers=False),
    )
    assert code == 0 and "verified" in listed.getvalue(), listed.getvalue()
    assert "No offload reports" not in listed.getvalue()


def test_a_second_sigterm_while_the_manifests_are_written_stops_the_run(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The first SIGTERM recorded, a second one stops the run: exit 130, its one line, no
    empty ``ascmhl/`` left (no generation committed); the same command again completes."""
    card = make_card(tmp_path / "card", CARD)
    fs = faulty_fs()
    held = fs.stall("create", path=f"{card.name}/ascmhl/*")
    reports = tmp_path / "reports"
    process = subprocess.Popen(
        _command(reports, card, fs.mountpoint),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    signal_at_stalls(fs, process, (held, (signal.SIGTERM, signal.SIGTERM)), pause_s=0.3)
    _out, err = process.communicate(timeout=60)
    said = " ".join(err.split())
    assert process.returncode == 130, said
    assert "stopped by SIGTERM while the manifests were written" in said, said
    assert "Traceback" not in said, said
    root = fs.mountpoint / card.name
    assert not (root / "ascmhl").exists(), os.listdir(root / "ascmhl")
    again = subprocess.run(
        _command(reports, card, fs.mountpoint), capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert (root / "ascmhl" / "ascmhl_chain.xml").exists()
