"""A GET of a copy root's records answered ``NoSuchBucket`` (404): the bucket vanished
between the listing and the read, or a service or proxy answers so. Never "no such object":
the ledger read as empty let a copy treat the copy root as new. Refused, one line naming
the bucket and what to do: ``offload copy`` exit 64, nothing copied; ``offload verify``
exit 11 (the check cannot be complete), as for a service that failed.

A real server behind the fault proxy (``intercept``: that one GET answered 404
NoSuchBucket), the real CLI.

Failed before: ``get_small`` took any 404 for "no such object": the copy's ledger entries
were dropped and the run went on (exit 0, every copy read back and adopted as one "without
a record in the destination's ledger"); the check of a copy whose ledger GET was so
answered went on without its ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from s3.test_s3_cli import card_local_url, keys, offload
from s3.test_s3_verify import verify

ADVICE = (
    "NoSuchBucket: the service says the bucket does not exist (ENODEV): check the bucket "
    "name '{bucket}' in the URL and the endpoint (--s3-endpoint, AWS_ENDPOINT_URL, or the "
    "profile's endpoint_url), then {again}"
)


@pytest.fixture
def copied(s3_server, bucket, proxy, tmp_path: Path) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    card, _, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C001.mov": 3000, "A001.xml": 900})
    code, _, err = offload(tmp_path, "--s3-endpoint", proxy.url, "--mhl", "none", str(card), url)
    assert code == 0, err
    return card, url


def test_a_ledger_get_answered_no_such_bucket_refuses_the_copy(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path, copied
) -> None:
    card, url = copied
    before = keys(s3_server.url, bucket)
    proxy.intercept("GET", "/.offload/ledger/", status=404, code="NoSuchBucket")
    code, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), url)
    assert code == 64, out + err
    line = err.strip()
    assert "\n" not in line, line
    assert line.startswith(f"ERROR: cannot read the ledger {url}/A001/.offload/ledger: "), line
    assert line.count("does not exist") == 1 and "no longer" not in line, line
    advice = ADVICE.format(bucket=bucket, again="run the same command again")
    assert line.endswith(f"{advice}; nothing was copied"), line
    assert keys(s3_server.url, bucket) == before


def test_a_ledger_get_answered_no_such_bucket_leaves_the_check_incomplete(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path, copied
) -> None:
    _, url = copied
    proxy.intercept("GET", "/.offload/ledger/", status=404, code="NoSuchBucket")
    code, out, err = verify(tmp_path, proxy.url, f"{url}/A001")
    assert code == 11, out + err
    line = err.strip()
    assert line.startswith(f"ERROR: cannot read the records of {url}/A001 "), line
    assert ADVICE.format(bucket=bucket, again="check it again") in line, line
