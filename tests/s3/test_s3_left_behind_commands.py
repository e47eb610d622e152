"""The commands a report gives for what a run left in the bucket (``left_behind``: ``check``,
``remove``, and the notes naming them) work when pasted into a shell with the AWS CLI, as
the run reached the service: its endpoint given by ``--s3-endpoint`` or by the profile
``--s3-profile`` names (its ``endpoint_url`` and credentials in the AWS files), not by
``AWS_ENDPOINT_URL``. Before, the commands named neither the endpoint nor the profile: pasted,
they went to AWS's own endpoint with the shell's default credentials (here: no network, so
``Could not connect to the endpoint URL: "https://BUCKET.s3.amazonaws.com/..."``), never to
the service the run wrote to. A real ``offload copy`` (in process), the real test server,
the fault proxy refusing the copy root lock's delete (so the lock is left and named), and
the real ``aws`` of the test extra run by ``bash -c`` on the very text of the command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from s3.conftest import ACCESS_KEY, SECRET_KEY
from s3.test_s3_cli import card_local_url, offload
from s3.test_s3_faults import report_of

LOCK = "day1/A001/.offload/lock"


def pasted(command: str) -> subprocess.CompletedProcess[str]:
    """*command* run as a user pasting it into a shell: bash, the AWS CLI first on PATH, the
    test's environment (AWS_ENDPOINT_URL not set: ``aws_env`` clears every AWS_ variable but
    the credentials and the AWS files); one attempt, so a request to an endpoint out of reach
    fails at once."""
    tools = Path(sys.executable).parent
    if not (tools / "aws").exists() and shutil.which("aws") is None:
        pytest.skip("the AWS CLI (awscli, the test extra) is not installed")
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["AWS_MAX_ATTEMPTS"] = "1"
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("AWS_ENDPOINT_URL_S3", None)
    return subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120, check=False
    )


PASSWORD = "hunter2pw"


@pytest.mark.parametrize("how", ["endpoint-flag", "endpoint-password", "profile"])
def test_the_commands_for_what_was_left_reach_the_service_the_run_used(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch, how
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    card, local, url = card_local_url(tmp_path, bucket, {"A001.xml": 900})
    if how == "endpoint-flag":
        reach = ["--s3-endpoint", proxy.url]
    elif how == "endpoint-password":
        # A user:password in the URL is named nowhere: the command gives the endpoint without.
        reach = ["--s3-endpoint", proxy.url.replace("://", f"://dit:{PASSWORD}@")]
    else:
        # The endpoint and the credentials come from the profile alone.
        Path(os.environ["AWS_CONFIG_FILE"]).write_text(
            f"[profile field]\nendpoint_url = {proxy.url}\nregion = us-east-1\n"
        )
        Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
            f"[field]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        )
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        reach = ["--s3-profile", "field"]
    # The lock's release is refused every time: the run names the lock as left behind.
    proxy.intercept("DELETE", ".offload/lock", status=500, code="InternalError", count=100)
    code, out, err = offload(tmp_path, *reach, "--json", str(card), str(local), url)
    assert code == 0, err
    report = report_of(out)
    entries = [e for e in report["left_behind"]["objects"] if e["key"] == LOCK]
    assert len(entries) == 1, report["left_behind"]
    remove = entries[0]["remove"]
    assert PASSWORD not in json.dumps(report) and PASSWORD not in out + err
    assert f"--endpoint-url {proxy.url} " in remove, remove
    assert LOCK in _keys(s3_server.url, bucket)
    note = [n for n in report["notes"] if "may be left in the bucket" in n]
    assert len(note) == 1 and f"remove it: {remove}" in note[0], note
    # The refusals are over; the command, pasted as given, removes the lock.
    proxy._intercepts.clear()
    done = pasted(remove)
    assert done.returncode == 0, (remove, done.stderr)
    assert LOCK not in _keys(s3_server.url, bucket), remove


def _keys(endpoint: str, bucket: str) -> list[str]:
    """The bucket's keys, by a client of the tests' credentials whatever the environment."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    listing = client.list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in listing.get("Contents", []))
