"""A credential helper an upload starts (botocore's ``credential_process``, refreshing
credentials about to expire: aws-vault, granted, saml2aws, an MFA or SSO script) is started
with no signal blocked, so Ctrl-C, SIGTERM and SIGHUP stop it as they stop the run: a child
keeps, through exec, the mask of the thread that started it, and the engine's threads that
make local calls block the three (``interruptible.signals_to_main``). botocore waits for the
helper with no timeout. A real ``offload copy`` to the suite's real S3 server, its
credentials from a real helper process that records its mask (``/proc/self/status``)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from s3.conftest import new_bucket
from support.credential_helper import failing, use_helper
from support.credential_helper import helpers as started_helpers

OFFLOAD = str(Path(sys.executable).with_name("offload"))
#: SIGHUP, SIGINT, SIGTERM as bits of a ``SigBlk`` mask.
HANDLED_BITS = sum(1 << (int(s) - 1) for s in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _offload_with_the_helper(url_base: str, bucket: str, tmp_path: Path) -> subprocess.Popen[str]:
    """A real ``offload copy --json`` of three 20 MiB clips (multipart: parts on the pool) to
    ``s3://<bucket>/day1``, its credentials from the profile's helper alone (no key in its
    environment), in a process group of its own so Ctrl-C reaches it and its helpers."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_ACCESS_KEY_ID", "_ACCESS_KEY"))}
    card = tmp_path / "A001"
    card.mkdir()
    for n in range(3):
        (card / f"C{n}.mov").write_bytes(os.urandom(20 << 20))
    options = ["--json", "--s3-endpoint", url_base, "--report-dir", str(tmp_path / "r")]
    return subprocess.Popen(
        [OFFLOAD, "copy", *options, str(card), f"s3://{bucket}/day1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def _uploading_with_a_sleeping_helper(
    s3_server: object, tmp_path: Path
) -> tuple[subprocess.Popen[str], Path]:
    """A real ``offload copy --json`` of three multipart clips, its credentials from
    *HELPER*, started in a process group of its own, once its upload is under way and a
    helper it started since sleeps (as one waiting for an MFA code does); and the helpers' log."""
    url_base: str = s3_server.url  # type: ignore[attr-defined]
    bucket = new_bucket(url_base)
    log, sleep = use_helper(tmp_path)
    process = _offload_with_the_helper(url_base, bucket, tmp_path)
    assert process.stdout is not None
    try:
        for line in process.stdout:  # the upload under way: its requests are the engine's
            event = json.loads(line)
            if event["event"] == "progress" and event["destinations"][0]["bytes_written"]:
                break
        sleep.touch()
        deadline = time.monotonic() + 30
        while not any(h["sleeping"] for h in started_helpers(log)):
            assert time.monotonic() < deadline, "no helper started after the upload began"
            time.sleep(0.05)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return process, log


def test_a_credential_helper_an_upload_starts_has_no_signal_blocked_and_ctrl_c_ends_the_run(
    s3_server: object, tmp_path: Path
) -> None:
    """Failed before: the helpers started from the engine's threads had SigBlk 4003
    (SIGHUP, SIGINT, SIGTERM blocked); the Ctrl-C to the process group left the helper
    asleep and ``offload`` waiting for it."""
    process, log = _uploading_with_a_sleeping_helper(s3_server, tmp_path)
    try:
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    helpers = started_helpers(log)
    assert len(helpers) > 1, helpers
    blocked = [h for h in helpers if h["blocked"] & HANDLED_BITS]
    assert not blocked, f"helpers started with SIGHUP/SIGINT/SIGTERM blocked: {blocked}"
    assert process.returncode == 130, out[-2000:] + err
    assert not [h for h in helpers if _alive(h["pid"])], helpers


def test_a_cancel_waiting_for_a_credential_helper_names_the_helper_not_the_service(
    s3_server: object, tmp_path: Path
) -> None:
    """A SIGINT to ``offload`` alone (``kill -INT``: the helper, asleep, not signalled):
    the cancel waits for the helper, which botocore waits for with no timeout. Failed
    before: "the service has not answered ...; ... once its timeout ends" (the request
    never reached the service, and no timeout ends that wait)."""
    process, log = _uploading_with_a_sleeping_helper(s3_server, tmp_path)
    assert process.stdout is not None
    try:
        process.send_signal(signal.SIGINT)
        for line in process.stdout:
            if json.loads(line)["event"] == "cancel_waiting":
                break
        (sleeper,) = [h for h in started_helpers(log) if h["sleeping"]]
        os.kill(sleeper["pid"], signal.SIGTERM)  # the person ends the helper
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    said = " ".join(err.split())
    assert process.returncode == 130, out[-2000:] + err
    assert (
        "cancelling: waiting for a call on destination 1 (s3://" in said
        and "(none for 5 s: the credential helper (the AWS profile's credential_process) "
        "that the requests of destination 1 wait for has not answered, and nothing times it "
        "out: it may be waiting for someone (an MFA code, a login): answer it or end it); the "
        "partial uploads are removed once it answers or is ended"
        in said
    ), said
    assert "service has not answered" not in said, said


def test_a_credential_helper_failing_mid_run_says_the_session_expired_and_what_to_do(
    s3_server: object, tmp_path: Path
) -> None:
    """The profile's helper (an ``aws sso login`` session, a ``credential_process``) exits 1
    once the upload is under way, as one whose session expired does: botocore raises
    CredentialRetrievalError, no ClientError. The destination is lost as for a session token
    expired (EKEYEXPIRED), its line naming the helper's failure and to get new credentials.
    Failed before: "LOST ... (EIO); the S3 service kept failing", a service that never
    failed."""
    url_base: str = s3_server.url  # type: ignore[attr-defined]
    bucket = new_bucket(url_base)
    use_helper(tmp_path)
    process = _offload_with_the_helper(url_base, bucket, tmp_path)
    assert process.stdout is not None
    try:
        for line in process.stdout:
            event = json.loads(line)
            if event["event"] == "progress" and event["destinations"][0]["bytes_written"]:
                break
        failing(tmp_path).touch()
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 2, out[-2000:] + err
    (lost,) = [e for e in map(json.loads, out.splitlines()) if e["event"] == "destination_lost"]
    assert lost["errno"] == errno.EKEYEXPIRED, lost
    message = lost["message"]
    assert (
        "the credentials could not be got or renewed (Error when retrieving credentials from "
        "custom-process: Error loading SSO Token: Token for offload-test has expired) "
        "(EKEYEXPIRED); get new temporary credentials (aws sso login, a new assumed role or "
        "session token), then run the same command again to resume"
    ) in message, message
    assert "EIO" not in message and "kept failing" not in message, message


def test_a_credential_helper_failing_at_the_start_is_said_so_not_as_the_endpoint(
    s3_server: object, tmp_path: Path
) -> None:
    """The helper fails as the client is made (botocore gets the credentials then): exit
    64, one line naming the helper's failure and what to do. Failed before: two lines,
    "cannot use the S3 endpoint '...': Error when retrieving credentials ..." and
    "ERROR: ; give a URL such as https://s3.example.com", the endpoint blamed."""
    url_base: str = s3_server.url  # type: ignore[attr-defined]
    use_helper(tmp_path)
    failing(tmp_path).touch()
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_ACCESS_KEY_ID", "_ACCESS_KEY"))}
    card = tmp_path / "A001"
    card.mkdir()
    (card / "C0.mov").write_bytes(b"x" * 1000)
    url = f"s3://{new_bucket(url_base)}/day1"  # a bucket that exists: only the helper fails
    done = subprocess.run(
        [OFFLOAD, "copy", "--s3-endpoint", url_base, str(card), url],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 64, done.stdout + done.stderr
    assert done.stderr.strip() == (
        "ERROR: the credentials could not be got or renewed (Error when "
        "retrieving credentials from custom-process: Error loading SSO Token: Token for "
        "offload-test has expired); get new temporary credentials (aws sso login, a new "
        "assumed role or session token) and run the same command again"
    ), done.stderr
