"""The preflight of an S3 destination: one clear line naming the URL and what to do, raised as
UsageError (exit 64) before the first byte, nothing written. Credentials are really checked:
a second moto server with its IAM authentication on (signatures verified with the secret)."""

from __future__ import annotations

import builtins
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from offload.destinations.s3config import S3Settings, make_client, require_boto3, settings_from_env
from offload.destinations.s3url import S3Url, parse_s3_url
from offload.errors import ExitCode, UsageError
from s3.conftest import S3Server, admin, destination, start_server, stop_server
from support.s3_iam import client as iam_client
from support.s3_iam import first_user, make_user

#: The endpoint a PermanentRedirect names in its body (AWS's, for a bucket in eu-west-3).
EU_ENDPOINT = "rushes.s3.eu-west-3.amazonaws.com"


@pytest.fixture(scope="module")
def auth_server() -> Iterator[tuple[S3Server, str, str]]:
    """A server that checks credentials; yields it and a valid key id and secret."""
    # The first 4 requests (the set-up below) are not authenticated; every later one is.
    server = start_server({"INITIAL_NO_AUTH_ACTION_COUNT": "4"})
    try:
        dit = first_user(server.url)  # allowed iam:* too: tests make narrower users
        iam_client("s3", server.url, dit).create_bucket(Bucket="rushes")
        yield server, *dit
    finally:
        stop_server(server)


def _nothing_written(server_url: str, bucket: str) -> None:
    client = admin(server_url)
    assert "Contents" not in client.list_objects_v2(Bucket=bucket)
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_valid_credentials_pass(auth_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    server, key_id, secret = auth_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    dest = destination(server.url, "rushes")
    dest.check()
    dest.close()


@pytest.mark.parametrize("wrong", ["secret", "key id"])
def test_wrong_credentials_one_line_exit_64(auth_server, monkeypatch, wrong: str) -> None:  # type: ignore[no-untyped-def]
    server, key_id, secret = auth_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id if wrong == "secret" else "AKIANOBODY0000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret" if wrong == "secret" else secret)
    dest = destination(server.url, "rushes")
    with pytest.raises(UsageError) as caught:
        dest.check()
    message = str(caught.value)
    assert caught.value.exit_code is ExitCode.USAGE
    assert "\n" not in message
    assert message.startswith("s3://rushes/cards (") and "access denied" in message
    assert "nothing was written" in message
    assert secret not in message and "not-the-secret" not in message
    dest.close()


def test_refused_credentials_name_the_profile_and_file_they_came_from(  # type: ignore[no-untyped-def]
    auth_server, monkeypatch, tmp_path
) -> None:
    """A DIT with several profiles is told which one was refused, and which file it is in
    (AWS_SHARED_CREDENTIALS_FILE, not ~/.aws/credentials: before, the line named the chain in
    general and the default file whatever was read); never the key id or the secret."""
    from s3.test_s3_cli import offload

    server, key_id, secret = auth_server
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = tmp_path / "shared-credentials"
    credentials.write_text(
        f"[good]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
        f"[stale]\naws_access_key_id = {key_id}\naws_secret_access_key = not-the-secret-42\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(b"x" * 1000)
    code, out, err = offload(
        tmp_path, "--s3-endpoint", server.url, "--s3-profile", "stale", str(card), "s3://rushes/p"
    )
    assert code == 64, err
    assert err.strip() == (
        f"ERROR: s3://rushes/p ({server.url}): access denied (403 on HeadBucket); the "
        f"credentials came from profile 'stale' of {credentials}: check them "
        "(AWS_ACCESS_KEY_ID, AWS_PROFILE, --s3-profile) and the permissions listed in "
        "docs/s3.md; nothing was written"
    ), err
    assert "not-the-secret-42" not in out + err and key_id not in out + err
    code, out, err = offload(
        tmp_path, "--s3-endpoint", server.url, "--s3-profile", "good", str(card), "s3://rushes/p"
    )
    assert code == 0, err


def test_missing_bucket(s3_server) -> None:  # type: ignore[no-untyped-def]
    dest = destination(s3_server.url, "no-such-bucket")
    with pytest.raises(UsageError) as caught:
        dest.check()
    message = str(caught.value)
    assert "\n" not in message and "s3://no-such-bucket/cards" in message
    assert "does not exist" in message and "never creates buckets" in message
    buckets = [b["Name"] for b in admin(s3_server.url).list_buckets()["Buckets"]]
    assert "no-such-bucket" not in buckets
    dest.close()


def test_a_missing_bucket_is_named_by_copy_and_by_verify(s3_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``offload copy CARD s3://missing/x`` and ``offload verify s3://missing/x/A001``: one
    line naming the bucket as missing (not a key: HeadBucket tells them apart), exit 64,
    what to do for each command. Failed before: the check said to create the bucket and
    that "nothing was written", a copy's words (a bucket made now holds no copy to check)."""
    from s3.test_s3_cli import make_card, offload
    from s3.test_s3_verify import verify

    card = make_card(tmp_path)
    where = f"({s3_server.url}): bucket 'no-such-bucket' does not exist;"
    code, out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), "s3://no-such-bucket/day1"
    )
    assert code == 64 and out == "", out + err
    assert err == (
        f"ERROR: s3://no-such-bucket/day1 {where} create it first (offload-ai never creates "
        "buckets) or fix the URL or --s3-endpoint; nothing was written\n"
    ), err
    for append in ((), ("--append",)):
        code, out, err = verify(tmp_path, s3_server.url, *append, "s3://no-such-bucket/day1/A001")
        assert code == 64 and out == "", out + err
        assert err == (
            f"ERROR: s3://no-such-bucket/day1/A001 {where} check the bucket name in the URL "
            "and the endpoint (--s3-endpoint, AWS_ENDPOINT_URL, or the profile's "
            "endpoint_url); nothing was verified\n"
        ), err
    buckets = [b["Name"] for b in admin(s3_server.url).list_buckets()["Buckets"]]
    assert "no-such-bucket" not in buckets


def test_no_network(s3_server) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dest = destination(f"http://127.0.0.1:{port}", "rushes")
    with pytest.raises(UsageError) as caught:
        dest.check()
    message = str(caught.value)
    assert "\n" not in message and "s3://rushes/cards" in message
    assert "cannot be reached" in message and "--s3-endpoint" in message
    dest.close()


def test_virtual_hosted_addressing_unreachable_names_the_host_contacted(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    """A profile's ``addressing_style = virtual`` with an endpoint of the service's own: the
    host botocore contacts is the bucket's name before the endpoint's (``<bucket>.localhost``,
    which does not resolve), while the endpoint itself works. The line names that URL, the
    addressing, and path-style as what to try. Failed before: only the endpoint that works
    was named ("cannot be reached (HeadBucket); check the network and the endpoint")."""
    import socket

    try:
        socket.getaddrinfo(f"{bucket}.localhost", s3_server.port)
        pytest.skip("*.localhost resolves on this machine")
    except OSError:
        pass
    endpoint = f"http://localhost:{s3_server.port}"
    dest = destination(endpoint, bucket, addressing_style="virtual")
    try:
        with pytest.raises(UsageError) as caught:
            dest.check(writes=False)
    finally:
        dest.close()
    assert str(caught.value) == (
        f"s3://{bucket}/cards ({endpoint}): the service cannot be reached at "
        f"http://{bucket}.localhost:{s3_server.port} (virtual-hosted addressing: the bucket's "
        "name before the host) (HeadBucket); check the network and the endpoint "
        "(--s3-endpoint, AWS_ENDPOINT_URL, or the profile's endpoint_url), or set "
        "addressing_style = path in the profile's s3 section (in the AWS config file) where "
        "the service takes path-style requests; nothing was verified"
    )
    path_style = destination(endpoint, bucket, addressing_style="path")
    path_style.check(writes=False)  # the endpoint works
    path_style.close()


def test_check_of_a_good_destination_writes_nothing(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    dest = destination(s3_server.url, bucket)
    dest.check()
    _nothing_written(s3_server.url, bucket)
    dest.close()


def test_a_read_only_credential_verifies_but_cannot_copy(
    auth_server, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A user allowed to list and read (no s3:PutObject), checked for real by the server's
    IAM: ``offload verify s3://`` of a copy passes (exit 0); ``offload copy`` is refused
    before its first byte, one line naming the operation refused and where the permissions
    are listed, exit 64, nothing stored."""
    from s3.test_s3_cli import make_card, offload
    from s3.test_s3_verify import verify

    server, key_id, secret = auth_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    card = make_card(tmp_path)
    prefix = f"ro-{secrets.token_hex(4)}"
    code, _, err = offload(
        tmp_path, "--s3-endpoint", server.url, str(card), f"s3://rushes/{prefix}"
    )
    assert code == 0, err
    user = f"viewer-{prefix}"
    # AWS's actions (its Service Authorization Reference): s3:ListBucket allows HeadBucket
    # and ListObjectsV2, s3:ListBucketMultipartUploads ListMultipartUploads. moto asks other
    # names, all of reads, so they are allowed too: s3:HeadBucket (every version used), and
    # from moto 5.2.6 on the operation's own name (its ``_get_action`` takes the name its
    # router matched, no longer the ``Action`` its S3 layer set from ``ACTION_MAP``):
    # s3:ListObjectsV2, s3:ListMultipartUploads. No name of a write is among them.
    allowed = [
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:GetObject",
        "s3:HeadBucket",
        "s3:ListObjectsV2",
        "s3:ListMultipartUploads",
    ]
    reader = make_user(
        server.url,
        user,
        [{"Effect": "Allow", "Action": allowed, "Resource": "*"}],
        by=(key_id, secret),
        policy="read",
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", reader[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", reader[1])

    code, out, err = verify(tmp_path, server.url, f"s3://rushes/{prefix}/A001")
    assert code == 0, out + err
    code, _, err = offload(
        tmp_path, "--s3-endpoint", server.url, str(card), f"s3://rushes/{prefix}/b"
    )
    assert code == 64, err
    assert err.strip() == (
        f"ERROR: s3://rushes/{prefix}/b ({server.url}): access denied (AccessDenied on "
        "PutObject); the credentials came from the environment (AWS_ACCESS_KEY_ID, "
        "AWS_SECRET_ACCESS_KEY): check them (AWS_ACCESS_KEY_ID, AWS_PROFILE, --s3-profile) "
        "and the permissions listed in docs/s3.md; nothing was copied"
    ), err
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    listed = iam_client("s3", server.url, (key_id, secret)).list_objects_v2(
        Bucket="rushes", Prefix=f"{prefix}/b/"
    )
    assert "Contents" not in listed
    assert reader[1] not in out + err


def test_unknown_profile(s3_server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="profile 'nope'"):
        make_client(S3Settings(endpoint_url=s3_server.url, profile="nope"))


def test_profile_from_aws_config(s3_server, bucket, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from s3.conftest import ACCESS_KEY, SECRET_KEY

    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[dit]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    settings = settings_from_env(
        {
            "AWS_ENDPOINT_URL": s3_server.url,
            "AWS_PROFILE": "dit",
            "AWS_REGION": "us-east-1",
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        }
    )
    assert settings.endpoint_url == s3_server.url and settings.profile == "dit"
    from offload.destinations.s3 import S3Destination

    dest = S3Destination(S3Url(bucket, "x"), settings)
    dest.check()
    dest.close()


def test_aws_files_from_the_environment_given(s3_server, bucket, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The AWS config and credentials files are those of the environment settings_from_env
    was given, for the session as for the message, not those of os.environ (make_client
    took botocore's, from os.environ)."""
    from s3.conftest import ACCESS_KEY, SECRET_KEY

    credentials = tmp_path / "given-credentials"
    credentials.write_text(
        f"[dit]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    config = tmp_path / "given-config"
    config.write_text("[profile dit]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "process-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "process-credentials"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    given = {
        "AWS_ENDPOINT_URL": s3_server.url,
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
    }
    from offload.destinations.s3 import S3Destination

    dest = S3Destination(S3Url(bucket, "x"), settings_from_env(given, profile="dit"))
    dest.check()
    dest.close()
    with pytest.raises(UsageError) as caught:
        make_client(settings_from_env(given, profile="nope"))
    assert str(config) in str(caught.value) and str(credentials) in str(caught.value)
    assert "process-" not in str(caught.value)


def test_the_environment_given_is_the_one_source_of_the_client_settings(  # type: ignore[no-untyped-def]
    s3_server, bucket, monkeypatch, tmp_path
) -> None:
    """settings_from_env's environment is the one source of every client setting, not
    os.environ: the process's AWS_PROFILE, AWS_DEFAULT_REGION, AWS_CA_BUNDLE and
    AWS_ENDPOINT_URL name things that do not exist, the environment given names none of
    them and a config file whose profile holds the endpoint, region and addressing style.
    The copy's client reaches the server by that profile's endpoint, in its region; the
    same settings from os.environ are refused, naming os.environ's profile. Failed before:
    botocore took AWS_PROFILE from os.environ (ProfileNotFound) and, that unset, the
    region, CA bundle and endpoint from os.environ too."""
    config = tmp_path / "given-config"
    config.write_text(
        f"[default]\nregion = eu-west-3\nendpoint_url = {s3_server.url}\n"
        "s3 =\n    addressing_style = path\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "ghost")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "xx-nowhere-1")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "no-such-ca.pem"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    given = {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    settings = settings_from_env(given)
    assert settings.endpoint_url == s3_server.url and settings.profile is None
    assert settings.region == "eu-west-3" and settings.ca_bundle is None
    assert settings.addressing_style == "path"
    from offload.destinations.s3 import S3Destination

    dest = S3Destination(S3Url(bucket, "x"), settings)
    assert dest.client.meta.region_name == "eu-west-3"
    assert dest.client.meta.endpoint_url == s3_server.url
    dest.check()
    dest.close()
    # The variables of the environment given win over its config file, as in AWS's tools.
    ca = tmp_path / "given-ca.pem"
    ca.write_text("")
    settings = settings_from_env(
        {**given, "AWS_REGION": "us-east-1", "AWS_CA_BUNDLE": str(ca), "AWS_PROFILE": "p"}
    )
    assert (settings.region, settings.ca_bundle, settings.profile) == ("us-east-1", str(ca), "p")
    with pytest.raises(UsageError, match="profile 'ghost'"):
        make_client(settings_from_env({**os.environ, **given}))


def test_a_profile_addressing_style_botocore_does_not_know_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config"
    config.write_text("[profile cart]\ns3 =\n    addressing_style = sideways\n")
    with pytest.raises(UsageError) as caught:
        settings_from_env({"AWS_CONFIG_FILE": str(config)}, profile="cart")
    assert str(caught.value) == (
        f"addressing_style = 'sideways' of profile 'cart' in {config} is not one botocore "
        "knows: give path, virtual, auto, or remove it"
    )


def test_endpoint_precedence() -> None:
    env = {"AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_S3": "http://b"}
    assert settings_from_env(env).endpoint_url == "http://b"
    assert settings_from_env(env, endpoint_url="http://c").endpoint_url == "http://c"
    assert settings_from_env({}).endpoint_url is None


@pytest.mark.parametrize(
    ("text", "bucket", "prefix"),
    [
        ("s3://rushes", "rushes", ""),
        ("s3://rushes/", "rushes", ""),
        ("s3://rushes/day 1/A001/", "rushes", "day 1/A001"),
    ],
)
def test_parse_urls(text: str, bucket: str, prefix: str) -> None:
    url = parse_s3_url(text)
    assert (url.bucket, url.prefix) == (bucket, prefix)
    assert url.key("C/clip.mov") == (f"{prefix}/C/clip.mov" if prefix else "C/clip.mov")


@pytest.mark.parametrize(
    "text", ["s3://", "s3://UPPER/x", "s3://a/x", "s3://ok-bucket/a//b", "s3://ok/../x", "/local"]
)
def test_bad_urls(text: str) -> None:
    with pytest.raises(UsageError):
        parse_s3_url(text)


def test_without_boto3_one_line_names_the_extra(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real_import = builtins.__import__

    def no_boto3(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "boto3" or name.startswith("boto3."):
            raise ImportError("No module named 'boto3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "boto3", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_boto3)
    with pytest.raises(UsageError) as caught:
        require_boto3()
    assert "offload-ai[s3]" in str(caught.value) and "\n" not in str(caught.value)


def test_core_imports_without_boto3() -> None:
    """The core (CLI, engine, the s3 modules themselves) imports with boto3 unavailable."""
    code = (
        "import sys; sys.modules['boto3'] = None; sys.modules['botocore'] = None\n"
        "import offload, offload.cli.offload, offload.destinations.s3, offload.card\n"
        "from offload.destinations.s3config import require_boto3\n"
        "try:\n    require_boto3()\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    assert out.startswith("UsageError s3:// destinations need boto3") and "offload-ai[s3]" in out


@pytest.mark.parametrize("which", ["credentials", "config"])
def test_an_aws_file_botocore_cannot_parse_is_one_line_exit_64(  # type: ignore[no-untyped-def]
    s3_server, bucket, monkeypatch, tmp_path, which: str
) -> None:
    """A malformed AWS credentials or config file (a line without ``=``) stops copy and
    verify with one line naming the file and what to do, exit 64 as a missing profile, the
    JSON's ``offload_refused`` saying it; never a line of the file (a broken line may hold a
    secret). Failed before: botocore's ConfigParseError was a traceback, exit 1, no JSON."""
    from s3.test_s3_cli import make_card, offload
    from s3.test_s3_verify import verify

    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYBROKEN"
    broken = tmp_path / f"broken-{which}"
    broken.write_text(f"[default]\naws_access_key_id = AKIABROKEN0000000000\n{secret}\n")
    variable = "AWS_SHARED_CREDENTIALS_FILE" if which == "credentials" else "AWS_CONFIG_FILE"
    monkeypatch.setenv(variable, str(broken))
    card = make_card(tmp_path, {"a.mov": 1000})
    expected = (
        f"ERROR: the AWS {which} file {broken} cannot be parsed (botocore: each setting must "
        "be a 'name = value' line under a [section]); fix it, or point "
        f"{variable} at a valid file"
    )
    url = f"s3://{bucket}/day1"
    code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 64, err
    assert err.strip() == expected, err
    refused = json.loads(out.strip().splitlines()[-1])
    assert refused["event"] == "offload_refused" and refused["exit_code"] == 64
    assert secret not in out + err
    code, out, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 64, err
    assert err.strip() == expected, err
    assert secret not in out + err
    monkeypatch.setenv(variable, str(tmp_path / "none"))
    assert "Contents" not in admin(s3_server.url).list_objects_v2(Bucket=bucket)


def test_a_malformed_region_is_blamed_not_the_endpoint(s3_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """AWS_DEFAULT_REGION='bad region!' is named as the region to fix, exit 64, one line.
    Failed before: "cannot use the S3 endpoint 'http://...': Provided region_name ...; give
    a URL such as https://...", which sent the DIT to fix a good endpoint."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "bad region!")
    with pytest.raises(UsageError) as caught:
        make_client(settings_from_env(os.environ, endpoint_url=s3_server.url))
    assert caught.value.exit_code is ExitCode.USAGE
    assert str(caught.value) == (
        "the AWS region 'bad region!' is not a region name (letters, digits and hyphens, "
        "e.g. us-east-1); fix AWS_REGION, AWS_DEFAULT_REGION or the profile's region in the "
        "AWS config file"
    )


def _user(server_url: str, name: str, statements: list[dict[str, object]]) -> tuple[str, str]:
    """A user of the IAM-checking server (made with the credentials of the environment,
    ``dit``'s, given explicitly) whose one policy is *statements*; its key id and secret."""
    dit = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    return make_user(server_url, name, statements, by=dit)


@pytest.mark.parametrize("mode", ["full", "destination", "transfer"])
def test_a_write_only_credential_is_refused_before_the_first_byte(  # type: ignore[no-untyped-def]
    auth_server, monkeypatch, tmp_path, mode: str
) -> None:
    """A credential that may write but not read (every s3 action but s3:GetObject, checked
    by the server's IAM) is refused by the preflight's probe, which reads its own probe
    object back: one line naming the bucket and s3:GetObject, exit 64, nothing of the card
    stored and no probe object left, in every verification mode (a copy reads its ledger,
    history, lock and upload records whatever the mode). Failed before: the preflight never
    read, the whole card was uploaded, each read-back failed and its object was deleted
    (exit 1); in transfer mode the copy "passed" with a credential its re-run and a resume
    could not use."""
    from s3.test_s3_cli import make_card, offload

    server, key_id, secret = auth_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    prefix = f"wo-{mode}-{secrets.token_hex(4)}"
    writer_id, writer_secret = _user(
        server.url,
        f"writer-{prefix}",
        [
            {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": "*"},
        ],
    )
    card = make_card(tmp_path, {"CLIPS/A001C001.mov": 6 * 1024 * 1024 + 5, "A001.xml": 900})
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", writer_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", writer_secret)
    code, _, err = offload(
        tmp_path,
        "--s3-endpoint",
        server.url,
        "--verify",
        mode,
        str(card),
        f"s3://rushes/{prefix}",
    )
    assert code == 64, err
    assert err.strip() == (
        f"ERROR: s3://rushes/{prefix} ({server.url}): access denied (AccessDenied on GetObject "
        "of the preflight's probe object): the credentials from the environment "
        "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) may write to bucket 'rushes' but not read "
        "it (s3:GetObject), which every copy needs to read back what it stores and to read "
        "its ledger, history, lock and upload records; allow s3:GetObject (docs/s3.md, "
        "Permissions) or use credentials that have it; nothing was copied"
    ), err
    assert writer_secret not in err
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    s3 = iam_client("s3", server.url, (key_id, secret))
    assert "Contents" not in s3.list_objects_v2(Bucket="rushes", Prefix=f"{prefix}/")
    assert not s3.list_multipart_uploads(Bucket="rushes", Prefix=f"{prefix}/").get("Uploads")


def test_a_credential_that_may_list_but_not_read_is_refused_by_verify(  # type: ignore[no-untyped-def]
    auth_server, monkeypatch, tmp_path
) -> None:
    """``offload verify s3://`` with a credential that may list the bucket but not read its
    objects (no s3:GetObject, checked by the server's IAM): the copy's records (its ASC MHL
    history, its ledger) cannot be read, so nothing can be verified: one line naming the
    object refused, s3:GetObject and where the credentials came from, exit 64, as the
    preflight's refusals (docs/s3.md, verify). Failed before: a PermissionError traceback
    from the ledger's load, exit 1. With --json, the refusal is its event."""
    from s3.test_s3_cli import make_card, offload
    from s3.test_s3_verify import verify

    server, key_id, secret = auth_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    prefix = f"lo-{secrets.token_hex(4)}"
    card = make_card(tmp_path, {"CLIPS/A001C001.mov": 2000, "A001.xml": 900})
    for extra in ((), ("--mhl", "none")):  # with an ASC MHL history, and with a ledger alone
        code, _, err = offload(
            tmp_path,
            "--s3-endpoint",
            server.url,
            *extra,
            str(card),
            f"s3://rushes/{prefix}{len(extra)}",
        )
        assert code == 0, err
    lister_id, lister_secret = _user(
        server.url,
        f"lister-{prefix}",
        [
            {
                "Effect": "Allow",
                "Action": [
                    "s3:ListBucket",
                    "s3:HeadBucket",
                    "s3:ListObjectsV2",
                    "s3:ListBucketMultipartUploads",
                    "s3:ListMultipartUploads",
                ],
                "Resource": "*",
            }
        ],
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", lister_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", lister_secret)
    for root in (f"{prefix}0", f"{prefix}2"):
        url = f"s3://rushes/{root}/A001"
        code, out, err = verify(tmp_path, server.url, url)
        assert code == 64, out + err
        line = err.strip()
        assert "\n" not in line and "Traceback" not in line, line
        # The one wording of a copy root's records unread (``s3unread``, as a copy's
        # ledger): the records, the object refused by its URL, the service's code.
        assert line.startswith(
            f"ERROR: cannot read the records of {url} (its ASC MHL history and ledger): "
            f"cannot read s3://rushes/{root}/A001/"
        ), line
        assert f" ({server.url}): AccessDenied " in line, line
        assert lister_secret not in line and lister_id not in line, line
        assert line.endswith(
            "(EACCES): the credentials (they came from the environment (AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY)) may list it but not read it (s3:GetObject, or the KMS "
            "key it is encrypted with); check it again with credentials that may (docs/s3.md, "
            "Permissions); nothing was verified"
        ), line


def test_a_probe_object_given_back_with_other_bytes_of_its_size_says_no_sizes(  # type: ignore[no-untyped-def]
    s3_server, proxy, bucket, tmp_path
) -> None:
    """The preflight's probe object read back with one byte flipped on the way (a proxy):
    refused, exit 64, one line saying the service gave back other bytes than it had just
    stored, with no sizes (they are the same). Failed before: "(N bytes, not N, or other
    content)", sizes that differ in nothing."""
    from s3.test_s3_cli import make_card, offload

    card = make_card(tmp_path, {"a.wav": 1000})
    proxy.intercept("GET", "/.offload/probe/", flip=True, count=1)
    code, _, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), f"s3://{bucket}/d")
    assert code == 64, err
    line = err.strip()
    assert "the service gave back other bytes for the probe object" in line, line
    assert "than it had just stored; offload-ai cannot verify a copy there" in line, line
    assert "bytes, not" not in line, line


def test_a_session_token_refused_is_named_and_what_to_do_said(  # type: ignore[no-untyped-def]
    auth_server, monkeypatch, tmp_path
) -> None:
    """Valid key id and secret with a session token the service does not know (as an expired
    one): the server answers the HEAD 400 with no body. The line says the session token was
    refused and to get new temporary credentials; never the token. Failed before (QA): "the
    service refused HeadBucket (400: Bad Request)", naming neither cause nor remedy."""
    from s3.test_s3_cli import offload

    server, key_id, secret = auth_server
    token = "FwoGZXIvYXdzEXPIRED" + secrets.token_hex(16)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(b"x" * 1000)
    code, out, err = offload(tmp_path, "--s3-endpoint", server.url, str(card), "s3://rushes/t")
    assert code == 64, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"ERROR: s3://rushes/t ({server.url}): the service refused the "), line
    assert "session token (AWS_SESSION_TOKEN, or the profile's) has expired or is not valid" in line
    assert "get new temporary credentials" in line and line.endswith("nothing was written")
    # The token's variable among the source (before, the key's two alone).
    assert (
        "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)" in line
    ), line
    assert token not in out + err and secret not in out + err
    monkeypatch.delenv("AWS_SESSION_TOKEN")  # the check's own client signs without it
    # The module's server and bucket are shared: nothing under this run's prefix, no upload.
    client = admin(server.url)
    assert "Contents" not in client.list_objects_v2(Bucket="rushes", Prefix="t/")
    assert not client.list_multipart_uploads(Bucket="rushes", Prefix="t/").get("Uploads")


def test_a_profile_without_credentials_says_the_variables_set_are_not_used(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--s3-profile virt`` (a profile with settings and no credentials) while
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are exported (the suite's ``aws_env``):
    botocore ignores the variables once a profile is named. Failed before: "no AWS
    credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile",
    both set, a profile named."""
    from s3.test_s3_cli import offload

    Path(os.environ["AWS_CONFIG_FILE"]).write_text("[profile virt]\nregion = us-east-1\n")
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(b"x" * 1000)
    url = f"s3://{bucket}/p"
    argv = ["--s3-endpoint", s3_server.url, "--s3-profile", "virt", str(card), url]
    code, out, err = offload(tmp_path, *argv)
    assert code == 64, out + err
    assert err.strip() == (
        f"ERROR: {url} ({s3_server.url}): no AWS credentials found in profile 'virt' "
        "(--s3-profile or AWS_PROFILE); AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set "
        "but not used once a profile is named: give the profile credentials (in "
        "~/.aws/credentials, or the file AWS_SHARED_CREDENTIALS_FILE names), or name no "
        "profile to use the variables; nothing was written"
    ), err


@pytest.mark.parametrize(
    ("method", "status", "code", "headers", "elements", "region"),
    [
        ("HEAD", 301, "PermanentRedirect", {"x-amz-bucket-region": "eu-west-3"}, "", None),
        ("HEAD", 301, "PermanentRedirect", {"x-amz-bucket-region": "eu-west-3"}, "", "eu-west-3"),
        ("HEAD", 400, "", {"x-amz-bucket-region": "eu-west-3"}, "", None),
        ("GET", 400, "AuthorizationHeaderMalformed", {}, "<Region>eu-west-3</Region>", None),
        ("GET", 301, "PermanentRedirect", {"x-amz-bucket-region": "eu-west-3"},
         f"<Endpoint>{EU_ENDPOINT}</Endpoint>", "eu-west-3"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["copy", "verify"])
def test_a_bucket_in_another_region_is_named_with_the_endpoint_to_use(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, monkeypatch, method, status, code, headers, elements,
    region, command
) -> None:  # fmt: skip
    """A bucket in another region than the endpoint given serves: AWS and Wasabi answer
    HeadBucket ``301`` with ``x-amz-bucket-region`` (no body), a request whose signature
    names another region ``400 AuthorizationHeaderMalformed`` with the expected ``Region``
    in its body. botocore asks again itself, signed for that region, at the same endpoint:
    the line names the region and says to give its endpoint as well as the region, with
    AWS_REGION already that region too (*region*). Failed before: "not the one the requests
    were signed for (us-east-1) ... set AWS_REGION=eu-west-3" (botocore's second request was
    signed for eu-west-3), and with AWS_REGION=eu-west-3 the bare "(301: Moved Permanently)"."""
    from s3.test_s3_cli import offload
    from s3.test_s3_verify import verify

    if region:
        monkeypatch.setenv("AWS_REGION", region)
    proxy.intercept(method, f"/{bucket}", status=status, code=code, headers=headers,
                    elements=elements, count=100)  # fmt: skip
    url = f"s3://{bucket}/p"
    if command == "copy":
        card = tmp_path / "A001"
        card.mkdir()
        (card / "clip.mov").write_bytes(b"x" * 1000)
        exit_code, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), url)
        tail = "nothing was written"
    else:
        exit_code, out, err = verify(tmp_path, proxy.url, f"{url}/A001")
        tail = "nothing was verified"
    assert exit_code == 64, out + err
    named = f" (the service names {EU_ENDPOINT})" if "<Endpoint>" in elements else ""
    assert err.strip().endswith(
        f"bucket {bucket!r} is in region 'eu-west-3', which this endpoint does not serve "
        f"({status if method == 'HEAD' else f'{status} {code}'} on "
        f"{'HeadBucket' if method == 'HEAD' else 'ListObjectsV2'}); give region eu-west-3's "
        f"endpoint{named} (--s3-endpoint, AWS_ENDPOINT_URL, or the profile's endpoint_url) "
        f"and set AWS_REGION=eu-west-3 (or the profile's region), and run the same command "
        f"again; {tail}"
    ), err
    assert "signed for" not in err, err
    if method == "HEAD":
        # botocore's own second request, re-signed for the region the answer named.
        assert proxy.stats.methods.count("HEAD") == 2, proxy.targets


def test_a_400_with_a_code_and_a_region_header_is_no_question_of_region(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """A 400 InvalidRequest that carries ``x-amz-bucket-region`` of another region (AWS puts
    the header on most answers about a bucket): the service's own words, no region advice.
    Failed before: "bucket ... is in region 'eu-west-3' ... set AWS_REGION=eu-west-3"."""
    from s3.test_s3_cli import offload

    proxy.intercept("GET", f"/{bucket}", status=400, code="InvalidRequest",
                    headers={"x-amz-bucket-region": "eu-west-3"}, count=100)  # fmt: skip
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(b"x" * 1000)
    exit_code, out, err = offload(
        tmp_path, "--s3-endpoint", proxy.url, str(card), f"s3://{bucket}/p"
    )
    assert exit_code == 64, out + err
    assert "region" not in err and "the service refused ListObjectsV2 (400 InvalidRequest" in err, (
        err
    )
