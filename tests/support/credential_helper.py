"""A real credential helper (botocore's ``credential_process``) for the S3 tests: a Python
script that records its pid and signal mask, gives the suite's credentials expiring in five
minutes (so botocore starts it again before each request it signs) and, the first time it
starts once a *sleep* file exists, sleeps as a helper waiting for a person (an MFA code)
does; once a *fail* file exists, exits 1 as a helper whose session expired (``aws sso
login`` needed) does."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HELPER = """\
import datetime, json, os, sys, time
log, sleep, key, secret, fail = sys.argv[1:6]
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
try:
    os.rename(sleep, sleep + ".taken")  # the first helper since *sleep* was made sleeps
    sleeping = True
except FileNotFoundError:
    sleeping = False
with open(log, "a") as f:
    f.write(json.dumps({"pid": os.getpid(), "blocked": int(status["SigBlk"], 16),
                        "sleeping": sleeping}) + "\\n")
if sleeping:
    time.sleep(120)
if os.path.exists(fail):
    sys.exit("Error loading SSO Token: Token for offload-test has expired")
until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
print(json.dumps({"Version": 1, "AccessKeyId": key, "SecretAccessKey": secret,
                  "Expiration": until.strftime("%Y-%m-%dT%H:%M:%SZ")}))
"""


def use_helper(folder: Path) -> tuple[Path, Path]:
    """Make the default profile of ``$AWS_CONFIG_FILE`` (the S3 tests' own, ``aws_env``)
    take its credentials from *HELPER*, given the environment's keys: the helpers' log and
    the file whose making puts the next helper to sleep (and ``failing(folder)``, whose
    making makes every later helper fail). The caller drops the keys from the environment
    of the process that is to use the profile."""
    helper = folder / "helper.py"
    helper.write_text(HELPER)
    log, sleep = folder / "helpers.log", folder / "sleep"
    key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        "[default]\nregion = us-east-1\n"
        f"credential_process = {sys.executable} {helper} {log} {sleep} {key} {secret} "
        f"{failing(folder)}\n"
    )
    return log, sleep


def failing(folder: Path) -> Path:
    """The file whose making, in *folder* (``use_helper``'s), makes every helper started
    since exit 1, as one whose SSO session or token expired does."""
    return folder / "fail"


def helpers(log: Path) -> list[dict[str, int]]:
    """The helpers started so far, as each recorded itself (pid, mask, sleeping)."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.endswith("}")]
