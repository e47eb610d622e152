"""An endpoint whose user:password and query botocore quotes back in its own error (``Custom
endpoint `http://u:pw@host/?x=1` was not a valid URI``) is still never printed with them:
every command that can name an S3 error (``offload copy``, ``--json``'s ``offload_refused``,
``offload verify``, ``pfndispatchcopy``), the endpoint given as an option and as
AWS_ENDPOINT_URL. Real processes against the real test server. (Such an endpoint, with a
query, is now refused by ``make_client`` before any request, in its own words: still never
with them.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PASSWORD = "pAssQA18zz"
QUERY = "x=qq18secret"


def _run(args: list[str], *, env_endpoint: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if env_endpoint is not None:
        env["AWS_ENDPOINT_URL"] = env_endpoint
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.parametrize("as_variable", [False, True], ids=["option", "AWS_ENDPOINT_URL"])
def test_a_botocore_error_quoting_the_endpoint_says_no_password_nor_query(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path, as_variable: bool
) -> None:
    card = tmp_path / "S1" / "CLIPS"
    card.mkdir(parents=True)
    (card / "C001.mov").write_bytes(os.urandom(10_000))
    endpoint = f"http://u:{PASSWORD}@127.0.0.1:{s3_server.port}/?{QUERY}"
    option = [] if as_variable else ["--s3-endpoint", endpoint]
    variable = endpoint if as_variable else None
    url = f"s3://{bucket}/x"
    reports = ["--report-dir", str(tmp_path / "reports")]
    runs = {
        "copy": ["offload.cli.offload", "copy", *reports, *option, str(card.parent), url],
        "copy --json": [
            "offload.cli.offload", "copy", "--json", *reports, *option, str(card.parent), url,
        ],
        "verify": ["offload.cli.offload", "verify", *option, f"{url}/S1"],
        "pfndispatchcopy": [
            "offload.cli.pfndispatchcopy", *option, str(card / "C001.mov"), f"{url}/C001.mov",
        ],
    }  # fmt: skip
    for what, args in runs.items():
        done = _run(args, env_endpoint=variable)
        said = done.stdout + done.stderr
        assert done.returncode != 0, (what, said)
        assert "127.0.0.1" in said, (what, said)  # the endpoint is named...
        assert PASSWORD not in said and "u:" not in said, (what, said)  # ...without its secrets
        assert QUERY not in said, (what, said)
        if what == "copy --json":
            assert '"offload_refused"' in said, said
