"""The refusal a set ``TokenLatch`` raises carries what a real answer does.

botocore's own handlers read a refusal's ``ResponseMetadata.HTTPHeaders`` directly (its
region redirector, on a ``head_bucket`` refused); the latch's stand-in answer lacked them,
so such a handler raised ``KeyError`` (review of fixs3q61). Failed before: KeyError
'HTTPHeaders'."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError
from botocore.utils import S3RegionRedirectorv2

from offload.destinations.s3token_latch import TokenLatch


def test_a_latched_refusal_carries_the_headers_botocore_reads() -> None:
    latch = TokenLatch()
    refused = {"Error": {"Code": "ExpiredToken", "Message": "The provided token has expired."}}
    latch._after(http_response=SimpleNamespace(status_code=400), parsed=refused)
    assert latch.refused
    with pytest.raises(ClientError) as raised:
        latch._before(model=SimpleNamespace(name="HeadBucket"))
    response = raised.value.response
    assert response["Error"]["Code"] == "ExpiredToken"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["HTTPHeaders"] == {}

    # What botocore's region redirector does with it (its HEAD of the bucket refused by the
    # latch): no region named, no KeyError.
    class LatchedClient:
        """A client whose every call the set latch refuses, as a watched one's is."""

        def head_bucket(self, **_: object) -> None:
            latch._before(model=SimpleNamespace(name="HeadBucket"))

    client = LatchedClient()
    redirector = S3RegionRedirectorv2(None, client)
    first = (None, {"ResponseMetadata": {"HTTPHeaders": {}}, "Error": {}})
    assert redirector.get_bucket_region("b", first) is None
