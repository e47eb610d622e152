"""The S3 server of the bench's S3 section, and what every contender needs to reach it.

Each measured run gets a **new** moto server process (moto's S3 server as its ``moto_server``
command runs it, behind ``s3server.NullVersionShim``; moto comes with the ``dev`` extra) on a
free loopback port with one empty bucket, started before the run's pause and stopped
after its copies were checked: no contender finds an object of an earlier one (none may skip
work), none inherits a server whose heap earlier uploads grew, and the server's CPU time and
peak RSS are that run's alone. Every contender gets the same credentials, region and endpoint
(``client_env``), and nothing from the machine's ``~/.aws`` or rclone configuration.

moto is a Python server: objects above ~5 MiB (and every part) go to temporary files, which
are put under the run's work folder (``TMPDIR``), on the disk being measured.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offload.bench.s3server import LocalServer, start_local_server, stop_local_server

BUCKET = "bench"
REGION = "us-east-1"
# Credentials of the local server only (moto accepts any); never a real account's.
ACCESS_KEY = "AKIAOFFLOADBENCH0001"
SECRET_KEY = "offload-bench-local-moto-secret-000000"
MOTO = "moto"  # its name in the runner's tool versions


def missing_reason() -> str | None:
    """Why the S3 section cannot run here (no moto server or no boto3), or None."""
    for module, install in (
        ("moto.moto_server", "pip install 'moto[server]' (the dev extra)"),
        ("werkzeug", "pip install 'moto[server]' (the dev extra)"),
        ("boto3", "pip install 'offload-ai[s3]'"),
    ):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{module} not installed ({install})"
    return None


@dataclass
class S3Service:
    """One running server with its empty bucket, for one measured run."""

    server: LocalServer
    home: Path  # config files and the server's TMPDIR
    bucket: str = BUCKET

    @property
    def endpoint(self) -> str:
        return self.server.url

    def client_env(self, base: Mapping[str, str]) -> dict[str, str]:
        """*base* with the same credentials, region and endpoint for every client (boto3,
        awscli, rclone) and no user configuration: the machine's AWS_* and RCLONE_* go."""
        env = {k: v for k, v in base.items() if not k.startswith(("AWS_", "RCLONE_"))}
        rclone_config = self.home / "rclone.conf"
        rclone_config.touch()
        env.update(
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(self.home / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.home / "aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            RCLONE_CONFIG=str(rclone_config),
            RCLONE_S3_PROVIDER="Other",
            RCLONE_S3_ENDPOINT=self.endpoint,
            RCLONE_S3_ACCESS_KEY_ID=ACCESS_KEY,
            RCLONE_S3_SECRET_ACCESS_KEY=SECRET_KEY,
            RCLONE_S3_REGION=REGION,
        )
        return env

    def client(self) -> Any:
        """A plain boto3 client on the server, for setting up and checking (not measured)."""
        import boto3
        from botocore.config import Config

        return boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
        ).client(
            "s3",
            endpoint_url=self.endpoint,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def check(self, prefix: str, names: Sequence[str], sizes: Sequence[int]) -> str | None:
        """None if every ``prefix + name`` is an object of its size; else what is wrong
        (a server that cannot be listed too)."""
        from botocore.exceptions import BotoCoreError, ClientError

        found: dict[str, int] = {}
        try:
            paginator = self.client().get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    found[item["Key"]] = int(item["Size"])
        except (BotoCoreError, ClientError) as exc:
            return f"cannot list s3://{self.bucket}/{prefix}: {exc}"
        for name, size in zip(names, sizes, strict=True):
            key = prefix + name
            if key not in found:
                return f"missing object s3://{self.bucket}/{key}"
            if found[key] != size:
                return f"s3://{self.bucket}/{key} has {found[key]} bytes, expected {size}"
        return None


@contextmanager
def s3_service(home: Path) -> Iterator[S3Service]:
    """A new moto server with an empty bucket, stopped (by its PID) on exit.

    *home* is used for the clients' configuration and the server's TMPDIR. Raises
    RuntimeError when the server does not start or refuses the bucket.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    tmp = home / "server-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp)}
    server = start_local_server(
        lambda port: [sys.executable, "-m", "offload.bench.s3server", "--port", str(port)],
        env=env,
        what="the bench's S3 server (moto)",
    )
    try:
        service = S3Service(server, home)
        try:
            service.client().create_bucket(Bucket=service.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise RuntimeError(f"the bench's S3 server refused the bucket: {exc}") from None
        yield service
    finally:
        stop_local_server(server)


def peer_versions(tools: Mapping[str, str]) -> dict[str, str]:
    """The first line of ``--version`` of the S3 peers, and moto's version (for the report)."""
    versions = {}
    try:
        versions[MOTO] = f"moto {importlib.metadata.version('moto')}"
    except importlib.metadata.PackageNotFoundError:
        pass
    for name, argv in (("aws", ["--version"]), ("rclone", ["version"])):
        if name not in tools:
            continue
        try:
            done = subprocess.run(
                [tools[name], *argv], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        lines = (done.stdout or done.stderr).strip().splitlines()
        if lines:
            versions[name] = lines[0]
    return versions
