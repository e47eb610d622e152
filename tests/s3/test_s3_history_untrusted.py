"""``offload copy --reverify`` onto an ``s3://`` copy root whose ASC MHL history records a
clip twice in one generation with different hashes (the wrong record first, the chain's C4
ID made to match): as on a drive (``tests/integration/test_destination_history_untrusted.py``)
no generation is decided against it or stored on top of it, exit 1. A real S3 server on
127.0.0.1, the real CLI entry point."""

from __future__ import annotations

from offload.hashing.c4 import C4Hasher
from s3.conftest import admin
from s3.test_s3_cli import keys, offload
from s3.test_s3_verify import copied


def _c4(data: bytes) -> str:
    hasher = C4Hasher()
    hasher.update(data)
    return hasher.hexdigest()


def test_copy_reverify_onto_a_bucket_history_recording_a_clip_twice_stores_no_generation(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """Failed before: exit 0, generation 2 stored recording the good clip ``failed`` and a
    warning that ascmhl-debug verify reports it as a hash mismatch (it gave 0)."""
    url = copied(s3_server, bucket, tmp_path)
    s3 = admin(s3_server.url)
    root = url.removeprefix(f"s3://{bucket}/")  # day1/A001
    [key] = [k for k in keys(s3_server.url, bucket) if k.startswith(f"{root}/ascmhl/0001_")]
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    end = text.index(">CLIPS/A001C002.mov</path>")
    start = text.rindex("<hash>", 0, end)
    record = text[start : text.index("</hash>", start) + len("</hash>")]
    digest = record.split('hashdate="', 1)[1].split(">", 1)[1].split("<", 1)[0]
    edited = text.replace(record, record.replace(digest, "0" * len(digest)) + record, 1)
    s3.put_object(Bucket=bucket, Key=key, Body=edited.encode())
    chain_key = f"{root}/ascmhl/ascmhl_chain.xml"
    chain = s3.get_object(Bucket=bucket, Key=chain_key)["Body"].read().decode()
    fixed = chain.replace(_c4(text.encode()), _c4(edited.encode()))
    assert fixed != chain
    s3.put_object(Bucket=bucket, Key=chain_key, Body=fixed.encode())
    before = [k for k in keys(s3_server.url, bucket) if "/ascmhl/" in k]
    code, _out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--reverify", str(tmp_path / "A001"),
        f"s3://{bucket}/day1",
    )  # fmt: skip
    said = " ".join(err.split())
    assert code == 1, said
    assert "Traceback" not in said
    assert f"the ASC MHL history in {url}/ascmhl is broken or forged" in said, said
    assert f"restore {url}/ascmhl from a backup" in said, said
    assert "two different hashes ('CLIPS/A001C002.mov' in generation 1)" in said, said
    assert "as failed" not in said, said
    assert [k for k in keys(s3_server.url, bucket) if "/ascmhl/" in k] == before
