"""IAM users of a test S3 server that checks every request against IAM (moto's, started with
``INITIAL_NO_AUTH_ACTION_COUNT``): the one set-up of the tests that need real policies
(``test_s3_preflight``, ``test_s3_lock_scope_iam``).

Every client here is made from a boto3 session of its own, given its credentials and region
explicitly: never boto3's default session, which keeps the first credentials it resolved
for the whole process (another test's, another module's server's) and reads the machine's
environment and profile.
"""

from __future__ import annotations

import json
from typing import Any

#: A policy allowing everything the tests do: S3, and IAM to make users of narrower rights.
ALLOW_ALL: list[dict[str, object]] = [
    {"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}
]


def client(service: str, server_url: str, who: tuple[str, str]) -> Any:
    """A *service* client ("iam", "s3") of the server at *server_url* with *who*'s key id
    and secret, from a session of its own."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=who[0], aws_secret_access_key=who[1], region_name="us-east-1"
    )
    return session.client(service, endpoint_url=server_url)


def make_user(
    server_url: str,
    name: str,
    statements: list[dict[str, object]],
    *,
    by: tuple[str, str],
    policy: str = "s3",
) -> tuple[str, str]:
    """A user *name* whose one policy (named *policy*) is *statements*, made by *by* (a key
    id and secret allowed ``iam:*``, or any before the server checks requests: its first
    three, user, policy and key, are then this set-up's); its key id and secret."""
    iam = client("iam", server_url, by)
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName=policy,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def first_user(server_url: str, name: str = "dit") -> tuple[str, str]:
    """The user every test of the server starts from, allowed everything (``ALLOW_ALL``),
    made by the server's first three requests, which it does not check (start it with
    ``INITIAL_NO_AUTH_ACTION_COUNT`` at least 3); its key id and secret."""
    return make_user(server_url, name, ALLOW_ALL, by=("setup", "setup"), policy="all")
