"""A password typed on the command line (``--s3-endpoint http://user:password@host``) is
written nowhere and printed nowhere: not in the copy root's lock file (a file on the
destination drive), not in the message that refuses a second run (it names the holder's
command line), not in any report or object. Real processes: a first ``offload copy`` held
mid-upload by the proxy, a second one refused, then the first let finish."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from offload.lock import lock_path
from s3.conftest import admin

MiB = 1024 * 1024
PASSWORD = "hunter2pw"


def _files_text(root: Path) -> list[tuple[str, str]]:
    found = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            found.append((str(path), path.read_bytes().decode("latin-1")))
    return found


def test_an_endpoint_password_is_in_no_lock_message_report_or_object(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(3 * MiB))
    (card / "A001.xml").write_bytes(b"<clip/>")
    local = tmp_path / "local"
    local.mkdir()
    host = proxy.url.split("://", 1)[1]
    endpoint = f"http://dit:{PASSWORD}@{host}"
    url = f"s3://{bucket}/day1"

    def offload(reports: str, *args: str) -> list[str]:
        return [
            sys.executable, "-m", "offload.cli.offload", "copy", "-q",
            "--report-dir", str(tmp_path / reports), *args,
        ]  # fmt: skip

    proxy.hold("PUT", "A001C001")  # the first run stops mid-upload, holding its locks
    first = subprocess.Popen(
        offload("r1", "--s3-endpoint", endpoint, str(card), str(local), url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = lock_path(local / "A001")
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip()):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first run never took its lock"
            time.sleep(0.05)
        body = json.loads(lock.read_text())
        assert "--s3-endpoint" in body["command"]
        # Both spellings of the option refused alike, and nothing of the password said.
        refusals = []
        for spelling in (["--s3-endpoint", endpoint], [f"--s3-endpoint={endpoint}"]):
            refused = subprocess.run(
                offload("r2", *spelling, str(card), str(local), url),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert refused.returncode == 64, refused.stderr
            assert f"pid {first.pid}" in refused.stderr
            assert "http://***@" in refused.stderr  # the holder's command, redacted
            refusals.append(refused.stdout + refused.stderr)
    except BaseException:
        first.kill()
        first.communicate()
        raise
    finally:
        proxy.release()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err

    said = [lock.read_text(), *refusals, out, err, body["command"]]
    written = _files_text(tmp_path / "r1") + _files_text(tmp_path / "r2") + _files_text(local)
    assert any(path.endswith(".html") for path, _ in written)  # every report was grepped
    assert any(path.endswith(".pdf") for path, _ in written)
    client = admin(s3_server.url)
    stored = []
    for item in client.list_objects_v2(Bucket=bucket)["Contents"]:
        got = client.get_object(Bucket=bucket, Key=item["Key"])
        stored.append((item["Key"], got["Body"].read().decode("latin-1")))
        stored.append((item["Key"], json.dumps(got["Metadata"])))
    assert any(".offload/reports/" in key for key, _ in stored)
    for where, text in [("said", t) for t in said] + written + stored:
        assert PASSWORD not in text, where
        assert "dit:" not in text, where
