"""An ``s3://`` copy root whose chain object (``ascmhl/ascmhl_chain.xml``) was rewritten to
list ``../CLIP/x`` with that object's own C4 ID: a damaged chain, as on a drive
(``tests/integration/test_chain_names_outside.py``): ``offload verify`` and ``verify
--append`` of the URL both exit 31 with one line naming the chain, and ``--append`` puts no
generation. A real S3 server on 127.0.0.1."""

from __future__ import annotations

from offload.hashing.c4 import C4Hasher
from s3.conftest import admin
from s3.test_s3_cli import keys
from s3.test_s3_verify import copied, verify


def test_a_chain_object_naming_an_object_outside_ascmhl_is_refused(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """Failed before: the entry was joined to the local mirror's ascmhl/ and what stood at
    that path in the mirror hashed as a manifest: "ASC MHL manifest .../ascmhl/../<clip>
    and ascmhl_chain.xml disagree ... restore both from a backup" (a clip named a modified
    manifest, never the chain's damage)."""
    url = copied(s3_server, bucket, tmp_path)
    s3 = admin(s3_server.url)
    root = url.removeprefix(f"s3://{bucket}/")  # day1/A001
    clip = next(
        k
        for k in keys(s3_server.url, bucket)
        if k.startswith(f"{root}/") and "/ascmhl/" not in k and "/.offload" not in k
    )
    hasher = C4Hasher()
    hasher.update(s3.get_object(Bucket=bucket, Key=clip)["Body"].read())
    chain_key = f"{root}/ascmhl/ascmhl_chain.xml"
    chain = s3.get_object(Bucket=bucket, Key=chain_key)["Body"].read().decode()
    entry = (
        f'  <hashlist sequencenr="2">\n    <path>../{clip.removeprefix(root + "/")}</path>\n'
        f"    <c4>{hasher.hexdigest()}</c4>\n  </hashlist>\n</ascmhldirectory>"
    )
    s3.put_object(
        Bucket=bucket, Key=chain_key, Body=chain.replace("</ascmhldirectory>", entry).encode()
    )
    before = [k for k in keys(s3_server.url, bucket) if "/ascmhl/" in k]
    for how in ((), ("--append",)):
        code, _out, err = verify(tmp_path, s3_server.url, *how, f"s3://{bucket}/{root}")
        assert code == 31, err
        assert "Traceback" not in err
        (line,) = [x for x in err.splitlines() if x.startswith("ERROR:")]
        assert "ascmhl_chain.xml is damaged or forged: its generation 2 names '../" in line, line
    assert [k for k in keys(s3_server.url, bucket) if "/ascmhl/" in k] == before
