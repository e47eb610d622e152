"""An S3 destination lost mid-run says why in the words of its cause, never a service
outage's for what was no outage. A session token that expires mid-run (every request signed
with it answered ``400 ExpiredToken``): the destination is lost once, in the preflight's
words (the token has expired: get new temporary credentials, then run the same command
again to resume), never each file failed on its own with a bare ``(EINVAL)``. The bucket
gone (``404 NoSuchBucket``: the server restarted empty): check the bucket name and the
endpoint, as a ledger so unread says. The other destinations go on.

A real server behind the fault proxy (``intercept``: every PUT of the card's clips so
answered), the real CLI in this process.

Failed before: the token, "cannot upload ...: ExpiredToken The provided token has expired.
(EINVAL)", one ERROR line per file, nothing said what to do, and the destination was not
lost; the bucket, "NoSuchBucket: the service says the bucket does not exist (ENODEV); the
S3 service kept failing or could not be reached: check the endpoint, the network and the
service's status", which contradicts it."""

from __future__ import annotations

from pathlib import Path

from offload.destinations.s3credentials import TOKEN_ADVICE, TOKEN_EXPIRED
from s3.test_s3_cli import card_local_url, offload
from s3.test_s3_preflight import EU_ENDPOINT

CARD = {f"CLIPS/A001C{n:03}.mov": 3 << 20 for n in range(1, 5)}


def _lost_line(  # type: ignore[no-untyped-def]
    tmp_path: Path, bucket: str, proxy, status: int, code: str, **answer: object
) -> str:
    """The one line saying the S3 destination was lost, every PUT of a clip answered
    *status* *code* (*answer*: ``intercept``'s headers and elements); the card's copies on
    the local destination checked."""
    card, local, url = card_local_url(tmp_path, bucket, CARD)
    proxy.intercept("PUT", "/day1/A001/CLIPS/", status=status, code=code, count=1000, **answer)
    code_, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), str(local), url)
    assert code_ == 1, out + err
    (lost,) = [
        line for line in err.splitlines() if line.startswith(f"ERROR: destination {url} lost")
    ]
    assert f"ERROR: ... and {len(CARD) - 1} more files on {url} failed: same cause" in err, err
    assert "EINVAL" not in err and "[Errno" not in err, err
    assert "check the endpoint, the network" not in err, err
    assert lost.endswith("then run the same command again to resume"), lost
    assert all((local / "A001" / relative).is_file() for relative in CARD)
    return lost


def test_an_expired_session_token_loses_the_destination_once(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    lost = _lost_line(tmp_path, bucket, proxy, 400, "ExpiredToken")
    assert f"ExpiredToken: {TOKEN_EXPIRED} (EKEYEXPIRED); {TOKEN_ADVICE}, then run" in lost, lost


def test_a_bucket_gone_mid_run_says_to_check_its_name_and_the_endpoint(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    lost = _lost_line(tmp_path, bucket, proxy, 404, "NoSuchBucket")
    assert lost.count("does not exist") == 1, lost
    assert (
        "the bucket does not exist (ENODEV); check the bucket name in the URL and the endpoint "
        "(--s3-endpoint, AWS_ENDPOINT_URL, or the profile's endpoint_url), then run the same "
        "command again to resume"
    ) in lost, lost


def test_a_bucket_in_another_region_mid_run_is_said_as_the_preflight_says_it(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    """A 301 PermanentRedirect after the preflight passed (the clips' PUTs alone answered
    so): the destination is lost once, in the preflight's words and advice (give the
    region's endpoint and set AWS_REGION). Failed before: "cannot upload ...: PermanentRedirect
    ... (EINVAL)", one line per file, the destination not lost."""
    lost = _lost_line(
        tmp_path,
        bucket,
        proxy,
        301,
        "PermanentRedirect",
        headers={"x-amz-bucket-region": "eu-west-3"},
        elements=f"<Endpoint>{EU_ENDPOINT}</Endpoint>",
    )
    assert (
        f"bucket {bucket!r} is in region 'eu-west-3', which this endpoint does not serve "
        f"(301 PermanentRedirect on PutObject); give region eu-west-3's endpoint (the service "
        f"names {EU_ENDPOINT}) (--s3-endpoint, AWS_ENDPOINT_URL, or the profile's "
        "endpoint_url) and set AWS_REGION=eu-west-3 (or the profile's region) (EREMOTEIO), then "
        "run the same command again to resume"
    ) in lost, lost
