"""Which failed attempts of a PutObject or CompleteMultipartUpload may have reached the
service (``s3.answer_lost``, fed by botocore's ``response-received`` hook): only a
connection never made proves nothing was sent. botocore's ``SSLError`` is a
``ConnectionError`` too, but urllib3 2 wraps any TLS error in it, an ``SSLEOFError`` that
cut the answer's read as well as a failed handshake: before, such an attempt was counted as
never sent (an object stored by it not named). Unit level, with botocore's own exception
classes as its HTTP layer raises them: a TLS fault mid-answer is not practical to stage
against the test server, which serves plain HTTP."""

from __future__ import annotations

import ssl

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import SSLError as URLLib3SSLError

from offload.destinations import s3

URL = "https://s3.example.test/bucket/key"


def _lost_after(exception: BaseException | None) -> bool:
    s3.begin_request()
    s3._note_attempt(exception=exception)
    return s3.answer_lost()


@pytest.mark.parametrize(
    "exception",
    [
        SSLError(endpoint_url=URL, error=URLLib3SSLError(ssl.SSLEOFError(8, "EOF"))),
        ConnectionClosedError(endpoint_url=URL),
        ReadTimeoutError(endpoint_url=URL),
    ],
    ids=["ssl-eof-mid-answer", "closed", "read-timeout"],
)
def test_an_attempt_whose_answer_died_may_have_reached_the_service(
    exception: BaseException,
) -> None:
    assert _lost_after(exception)


@pytest.mark.parametrize(
    "exception",
    [
        None,
        EndpointConnectionError(endpoint_url=URL),
        ConnectTimeoutError(endpoint_url=URL),
        ProxyConnectionError(proxy_url="http://proxy.test:3128", error="refused"),
    ],
    ids=["answered", "refused", "connect-timeout", "proxy"],
)
def test_an_attempt_never_connected_or_answered_is_not_lost(
    exception: BaseException | None,
) -> None:
    assert not _lost_after(exception)
