"""A manifest step that failed on S3 (its history's listing refused) says the store's error
in words, its errno named, never Python's ``[Errno 22] ...`` spelling of it.

A real server behind the fault proxy (``intercept``: every GET of the copy root's
``ascmhl`` folder answered 400 InvalidRequest), the real CLI in this process.

Failed before: "manifest not written: [Errno 22] cannot list s3://.../A001/ascmhl/ ..."."""

from __future__ import annotations

from pathlib import Path

from s3.test_s3_cli import card_local_url, offload


def test_a_manifest_unwritten_on_s3_says_the_error_in_words(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    card, _, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C001.mov": 3000})
    proxy.intercept("GET", "ascmhl", status=400, code="InvalidRequest", count=1000)
    code, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), url)
    assert code == 1, out + err
    (line,) = [line for line in err.splitlines() if line.startswith("ERROR: manifest not written")]
    assert f"cannot list {url}/A001/ascmhl/ (" in line, line
    assert "InvalidRequest intercepted by the test proxy (EINVAL); the copies there" in line, line
    assert "[Errno" not in out + err, out + err
