"""``offload verify`` of an ``s3://`` prefix that holds no object at all (a mistyped prefix, a
copy root named one level off, another endpoint than the copy's): one line saying so with
the next step (check the prefix and the endpoint, the ``aws s3 ls`` that lists the folder
on the check's own service), exit 30 as any copy with nothing to verify it against, the
same words in ``--json``'s ``error`` (docs/s3.md). A real server; the bucket holds a copy
elsewhere.

Failed before: the line of a folder with no records ("a card holds records only where its
camera ... wrote an ASC MHL history: verify a copy an offload made of it ... or check it
against an MHL ... --mhl-file"), a next step for a copy without records, not for a prefix
with nothing under it."""

from __future__ import annotations

import json

import pytest

from s3.test_s3_verify import copied, verify


@pytest.mark.parametrize("where", ["day1/A00", "day2/A001", ""], ids=["near", "other", "bucket"])
def test_an_empty_prefix_says_to_check_the_prefix_and_the_endpoint(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, where: str
) -> None:
    if where:
        copied(s3_server, bucket, tmp_path)  # s3://bucket/day1/A001 holds a copy
    url = f"s3://{bucket}/{where}" if where else f"s3://{bucket}"
    code, out, err = verify(tmp_path, s3_server.url, url)
    assert code == 30, err
    (line,) = [e for e in err.splitlines() if e.startswith("ERROR: ")]
    folder = f"s3://{bucket}/{where}/" if where else f"s3://{bucket}/"
    assert line == (
        f"ERROR: nothing to verify at {url} ({s3_server.url}): no object under it: check the "
        "prefix in the URL (a copy root is the card's folder below the prefix offload copy "
        "was given, s3://bucket/prefix/CARD; list what is there: aws s3 ls --endpoint-url "
        f"{s3_server.url} {folder}) and the endpoint (--s3-endpoint, AWS_ENDPOINT_URL, or the "
        "profile's endpoint_url); nothing was verified"
    ), line
    code, out, _err = verify(tmp_path, s3_server.url, "--json", url)
    data = json.loads(out)
    assert code == data["exit_code"] == 30
    assert data["error"] == line.removeprefix("ERROR: "), data["error"]
