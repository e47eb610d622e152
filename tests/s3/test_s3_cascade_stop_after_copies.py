"""A stop (Ctrl-C) that comes once every copy of a cascade has its outcome, while the cascade
checks its fast copies at its end (``cascade._s3_changed_since_verified``: one listing of a
fast bucket): nothing was cancelled, so nothing is said cancelled. Before, the run ended
"CANCELLED: 3 of 3 files ... verified on every destination; 0 copies were cancelled", the
slow destination's manifest never written, exit 130. Now it goes on to its end as a plain run
stopped after its copies does: the note "Ctrl-C came after every copy had finished: nothing
was cancelled; the run went on to its end", the slow copy's manifest written, exit 0.

Real parts: a real S3 server process behind the fault proxy (the listing held), the slow
drive a FaultyFS (its first clip write held until the listing is armed), the real CLI as a
child process sent a real SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from s3.test_s3_cli import make_card
from support.faultyfs import FaultyFS
from support.tcpproxy import FaultProxy

pytestmark = pytest.mark.fault


Stopped = Callable[[FaultyFS, int], tuple[str, int, Path]]


@pytest.fixture
def stopped_at_the_fast_check(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy: FaultProxy, tmp_path: Path, cards: Path
) -> Stopped:
    """``stop(slow, ctrl_cs)``: a cascade of a card (in *cards*) to a fast folder and
    ``s3://bucket/day1`` (the real server behind *proxy*), then to the FaultyFS *slow* (its
    first clip write held until the fast bucket's listing at the cascade's end is held by
    the proxy), sent *ctrl_cs* SIGINTs (a second apart) while that listing is held: what it
    printed on stderr (white space folded), its exit code and its report folder."""

    def stop(slow: FaultyFS, ctrl_cs: int) -> tuple[str, int, Path]:
        card = make_card(cards)
        fast = tmp_path / "fast"
        fast.mkdir()
        stalled = slow.stall("write", path="A001/CLIPS/*")
        reports = tmp_path / "reports"
        url = f"s3://{bucket}/day1"
        command = [
            sys.executable, "-m", "offload.cli.offload", "copy", "--report-dir", str(reports),
            "--s3-endpoint", proxy.url, "--cascade-to", str(slow.mountpoint),
            str(card), str(fast), url, str(slow.mountpoint),
        ]  # fmt: skip
        env = {**os.environ, "COLUMNS": "200"}
        with subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        ) as process:
            assert process.stderr is not None
            seen = []
            try:
                for line in process.stderr:
                    seen.append(line)
                    if line.startswith("CARD "):
                        break
                slow.wait_stalled(stalled, timeout_s=60)  # the cascade's copy under way
                proxy.hold("GET", "list-type=2")  # the fast bucket's listing at the cascade's end
                slow.release()
                assert proxy.held.wait(60), "".join(seen)
                for _ in range(ctrl_cs):
                    process.send_signal(signal.SIGINT)
                    if ctrl_cs > 1:
                        time.sleep(1)  # two signals sent at once may be handled as one
            finally:
                proxy.release()
                slow.release()
            said = " ".join(("".join(seen) + process.stderr.read()).split())
            code = process.wait(timeout=120)
        return said, code, reports

    return stop


def test_a_stop_once_every_copy_had_its_outcome_cancels_nothing(
    stopped_at_the_fast_check: Stopped, faulty_fs: Callable[..., FaultyFS]
) -> None:
    slow = faulty_fs()
    said, code, reports = stopped_at_the_fast_check(slow, 1)
    assert "0 copies were cancelled" not in said, said
    assert "CANCELLED" not in said, said
    assert (
        "Ctrl-C came after every copy had finished: nothing was cancelled; the run went on "
        "to its end"
    ) in said, said
    assert code == 0, said
    (written,) = reports.glob("*.json")
    data = json.loads(written.read_text())
    assert data["cancelled"] is False, data["notes"]
    assert data["totals"]["results"]["cancelled"] == 0, data["totals"]
    assert data["totals"]["results"]["verified"] == 9, data["totals"]
    # The slow destination finished as a run without the stop finishes it: its manifest.
    assert list((slow.mountpoint / "A001" / "ascmhl").glob("*.mhl")), said


def test_a_second_ctrl_c_once_every_copy_had_its_outcome_stops_the_run(
    stopped_at_the_fast_check: Stopped, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """Two Ctrl-Cs there: the first cancels nothing, so the second is one after the copy,
    which stops the run (exit 130, what is missing said), as after a plain run's copy job.
    Before, the signal handler still took the copy for under way: the second was told "a
    further Ctrl-C changes nothing: the copy is being cancelled (its partial files are
    removed ...)", false, and the run then ended exit 0."""
    said, code, _ = stopped_at_the_fast_check(faulty_fs(), 2)
    assert "the copy is being cancelled" not in said, said
    assert "stopped by a further Ctrl-C" in said, said
    # The stage it came in: the fast bucket's listing is the cascade's check of its fast
    # copies (before: "while the manifests were written", no manifest step begun).
    assert "while the cascade checked the fast copies" in said, said
    assert code == 130, said
