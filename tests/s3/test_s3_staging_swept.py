"""An ``s3://`` copy root's manifest step stages its ASC MHL history in
``$TMPDIR/offload-s3-mhl-XXXXXXXX``; a run killed there (SIGKILL) cannot remove it. The next
S3 run removes those of runs that ended, never one a live run holds (``run_scratch``: the
cascade's lock-file rule). A real ``offload copy`` held at its manifest step by the fault
proxy, killed for real; the next run the real CLI entry point."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from offload.run_scratch import MHL_PREFIX, scratch
from s3.test_s3_cli import make_card, offload
from s3.test_s3_faults import _offload_process
from support.tcpproxy import FaultProxy


def _staged(tmp: Path) -> list[Path]:
    return sorted(tmp.glob(f"{MHL_PREFIX}*"))


def test_a_killed_runs_history_staging_is_swept_by_the_next_run_a_live_ones_kept(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: the killed run's folder stayed after any number of runs."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))  # the killed run's
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # this process's runs
    card = make_card(tmp_path, {"CLIPS/C001.mov": 20_000})
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err  # a history to read in: the re-run killed reading it
    # A live run's folder, held meanwhile: made first, so that its own sweep (which removes
    # a folder whose holder is proven gone at once) leaves the killed run's to the next run.
    with scratch(MHL_PREFIX) as work:
        live = work.parent
        proxy.hold("GET", "/ascmhl/ascmhl_chain.xml HTTP")  # staged, reading the history in
        process = _offload_process(tmp_path / "killed", proxy.url, str(card), url)
        try:
            assert proxy.held.wait(60), "the re-run never reached its manifest step"
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=60)
        finally:
            proxy.release()
            if process.poll() is None:
                process.kill()
                process.communicate()
        (killed,) = [folder for folder in _staged(tmp) if folder != live]
        hour_ago = time.time() - 3600  # neither changed within the last minute
        for folder in (killed, live):
            os.utime(folder, (hour_ago, hour_ago))
        code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
        assert code == 0, err
        assert _staged(tmp) == [live], "the killed run's staging folder was not swept"
    assert _staged(tmp) == []


def test_a_copy_root_named_like_the_staging_lock_is_staged_and_verified(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """Review of the fixs3v60 merge: the staging folder held its ``.lock`` beside the
    ``<copy root name>`` folder the manifest step and ``offload verify`` make in it, so a
    copy root named ``.lock`` could not be staged (FileExistsError). Failed before. A copy
    into ``s3://<bucket>/.lock`` and its re-run (which reads the history in), then a verify."""
    from s3.test_s3_verify import verify

    card = make_card(tmp_path, {"CLIPS/C001.mov": 2_000})
    url = f"s3://{bucket}/.lock"
    for _ in range(2):
        code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "--into", str(card), url)
        assert code == 0, err
    code, out, err = verify(tmp_path, s3_server.url, url)
    assert code == 0, out + err
