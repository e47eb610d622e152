"""The one line of a copy root's records on S3 that cannot be read
(``destinations/s3unread.records_unread``), built from a real botocore error as the store
maps it (``s3.os_error``): what cannot be read, the object by its URL (its bucket), the
endpoint without its user:password, the service's code, then ``s3.get_advice``'s advice,
the same as ``s3.get_refused`` gives an object the listing shows. Before the thirtieth pass
three wordings (a copy's ledger, ``offload verify``'s records refused, and unread) shared
none of this."""

from __future__ import annotations

import pytest

pytest.importorskip("botocore")

from botocore.exceptions import ClientError

from offload.destinations.s3 import get_advice, get_refused, os_error
from offload.destinations.s3unread import records_unread

ENDPOINT = "http://key:S3cr/et@127.0.0.1:9000"
OBJECT = "s3://rushes/day1/A001/.offload/ledger/0001.jsonl"
AGAIN = "run the same command again"


def _error(code: str, status: int) -> OSError:
    answer = {"Error": {"Code": code, "Message": "said by the service"}}
    answer["ResponseMetadata"] = {"HTTPStatusCode": status}  # type: ignore[assignment]
    return os_error(ClientError(answer, "GetObject"), "cannot read", OBJECT, ENDPOINT)  # type: ignore[arg-type]


def _unread(exc: OSError, records: str) -> str:
    """``records_unread``'s line for *records* of bucket ``rushes``, told to run again."""
    return records_unread(
        exc,
        records,
        client=None,
        bucket="rushes",
        again=AGAIN,
        then=AGAIN,
        outcome="nothing was copied",
    )


@pytest.mark.parametrize(
    ("code", "status", "advice"),
    [
        (
            "AccessDenied",
            403,
            "the credentials may list it but not read it (s3:GetObject, or the KMS key it is "
            "encrypted with); run the same command again with credentials that may "
            "(docs/s3.md, Permissions); nothing was copied",
        ),
        (
            "InternalError",
            500,
            "run the same command again once the service answers; nothing was copied",
        ),
        (
            "InvalidObjectState",
            403,
            "the object is in an archive storage class (Glacier, Deep Archive); restore it "
            "(aws s3api restore-object), then run the same command again; nothing was copied",
        ),
    ],
)
def test_one_line_names_the_object_the_code_and_what_to_do(
    code: str, status: int, advice: str
) -> None:
    exc = _error(code, status)
    line = _unread(exc, "the ledger s3://rushes/day1/A001/.offload/ledger")
    assert line.startswith(
        f"cannot read the ledger s3://rushes/day1/A001/.offload/ledger: cannot read {OBJECT} "
        f"(http://127.0.0.1:9000): {code} said by the service"
    ), line
    assert line.endswith(f": {advice}"), line
    assert "S3cr" not in line and "key:" not in line, line
    # The advice is get_refused's, whose own words go on naming its GET as before.
    shared = get_advice(exc, again=AGAIN, then=AGAIN)
    assert shared is not None and shared.split(";")[0].split(" may ")[-1] in line
    refused = get_refused(exc, again=AGAIN, then=AGAIN)
    assert refused is not None and refused.endswith(shared), refused


def test_an_answer_that_is_no_outage_is_not_told_to_wait_for_the_service() -> None:
    """A 400: the service did answer, so no "once the service answers"; check the bucket,
    the endpoint and the network. No permissions section: these credentials were not
    refused. Failed before: "run the same command again once the service answers" (review
    of s3w34)."""
    exc = _error("InvalidRequest", 400)
    assert get_advice(exc, again=AGAIN, then=AGAIN) is None
    assert get_refused(exc, again=AGAIN, then=AGAIN) is None
    line = _unread(exc, "the ledger x")
    assert line.endswith(
        ": check the bucket, the endpoint and the network, then run the same command again; "
        "nothing was copied"
    ), line
    assert "service answers" not in line and "Permissions" not in line, line


def test_the_bucket_gone_is_said_once_and_neutrally() -> None:
    """A GET answered 404 NoSuchBucket: the store's error says once, in the service's name,
    that the bucket does not exist (no "no longer": nothing says it was deleted, a mistyped
    endpoint or a proxy answers so too), and the advice names the bucket to check with the
    endpoint; not "the network", not "once the service answers", no permissions. Failed
    before: "the bucket no longer exists (ENODEV): the service answers that bucket 'rushes'
    does not exist: ...", the same said twice, the first claiming a deletion."""
    exc = _error("NoSuchBucket", 404)
    line = _unread(exc, "the ledger x")
    assert line == (
        f"cannot read the ledger x: cannot read {OBJECT} (http://127.0.0.1:9000): "
        "NoSuchBucket: the service says the bucket does not exist (ENODEV): check the bucket "
        "name 'rushes' in the URL and the endpoint (--s3-endpoint, AWS_ENDPOINT_URL, or the "
        "profile's endpoint_url), then run the same command again; nothing was copied"
    ), line
    assert line.count("does not exist") == 1 and "no longer" not in line, line
