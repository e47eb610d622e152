"""``offload history``: a run killed while it wrote to a drive and a bucket is finished by a
later offload of the card that left a copy of every card file on both, matched by the
bucket's copy root (``s3://bucket/prefix/CARD``, the start record's ``s3_copy_roots``, as
the job report's ``copy_root`` names it). A record of an earlier version names its bucket
only as given, which no job report's copy root is: never taken as finished (no claim).

A real offload to a real local drive folder and the S3 test server; beside its report,
start records as a killed run leaves them (its process over), written with the module's
own writer."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.report.started import start_record, write_start_record
from s3.test_s3_cli import card_local_url, offload


def _listed(reports: Path) -> list[dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["history", "--json", "--report-dir", str(reports)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 0, err.getvalue()
    return list(json.loads(out.getvalue()))


def _leave(reports: Path, data: dict[str, Any], run: str, started: float, **fields: Any) -> None:
    """A start record of the report *data*'s card and destinations, its run *run* killed
    (its process over), begun at *started*; *fields* over its keys (``None``: removed)."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    local = [d["copy_root"] for d in data["destinations"] if d["endpoint"] is None]
    buckets = [d["copy_root"] for d in data["destinations"] if d["endpoint"] is not None]
    record = start_record(
        source=data["source"],
        destinations=[d["path"] for d in data["destinations"]],
        copy_roots=local,
        s3_copy_roots=buckets,
        started=started,
        run=run,
        report="A001_killed",
    )
    record.update(pid=int(gone.stdout), pid_start="")
    for key, value in fields.items():
        if value is None:
            del record[key]
        else:
            record[key] = value
    path, problem = write_start_record(reports, record)
    assert path is not None, problem


def test_a_killed_run_to_a_drive_and_a_bucket_is_finished_by_the_later_offload_of_both(
    s3_server: Any, bucket: str, tmp_path: Path
) -> None:
    card, local, url = card_local_url(tmp_path, bucket)
    code, _, err = offload(
        tmp_path, "-q", "--s3-endpoint", s3_server.url, str(card), str(local), url
    )
    assert code == 0, err
    reports = tmp_path / "reports"
    [written] = reports.glob("*.json")
    data = json.loads(written.read_text(encoding="utf-8"))
    [bucket_root] = [d["copy_root"] for d in data["destinations"] if d["endpoint"] is not None]
    assert bucket_root.startswith(url + "/"), bucket_root

    _leave(reports, data, "killed-1", data["started_unix"] - 60)
    newest, killed = _listed(reports)
    assert newest["report"] == str(written) and newest["exit_code"] == 0, newest
    assert killed["state"] == "finished_later" and killed["finished_by"] == str(written), killed
    assert killed["result"].startswith("finished by the run of "), killed
    assert "on each of its destinations" in str(killed["reason"]), killed

    # An earlier version's record: its bucket as given alone, never a copy root.
    _leave(reports, data, "older-1", data["started_unix"] - 120, s3_copy_roots=None)
    newest, killed, older = _listed(reports)
    assert killed["run"] == "killed-1" and killed["state"] == "finished_later", killed
    assert older["run"] == "older-1" and older["state"] == "unfinished", older
    assert older["finished_by"] is None and older["result"] == "unfinished", older
