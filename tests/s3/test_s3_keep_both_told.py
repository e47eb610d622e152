"""``--keep-both`` tells where each new copy went, on a disk and in a bucket alike: a copy
of ours replaced since by another file of the same size is kept, and the card's file is
copied beside it as ``name (1).ext``; the terminal says so and the JSON report's warnings
name the new copy on each destination: ``KEPT BOTH`` (``existing-kept-beside``) for the
bucket's other object, ``COPY FOUND DAMAGED`` (``copy-no-longer-matches``) for the disk's
copy of ours whose date changed, found different (nothing tells it from damage).
Before, the run ended "verified" and nothing named ``A001C002 (1).mov``. A real ``offload
copy`` (in process), a local folder and the real test server."""

from __future__ import annotations

import json
import os
import time

from s3.conftest import admin
from s3.test_s3_cli import card_local_url, offload

SIZES = {"CLIPS/A001C002.mov": 200_000, "A001.xml": 900}
CLIP = "CLIPS/A001C002.mov"


def test_keep_both_names_the_new_copy_on_each_destination(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    card, local, url = card_local_url(tmp_path, bucket, SIZES)
    code, _out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), url)
    assert code == 0, err
    # Each copy replaced by another file of its size (an editor's, a user's).
    other = os.urandom(SIZES[CLIP])
    on_disk = local / "A001" / CLIP
    on_disk.write_bytes(other)
    later = time.time() + 5
    os.utime(on_disk, (later, later))
    admin(s3_server.url).put_object(Bucket=bucket, Key=f"day1/A001/{CLIP}", Body=other)

    code, _out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--keep-both", str(card), str(local), url
    )
    # On the disk the file in the way is a copy of ours whose date changed, read back and
    # found different: COPY FOUND DAMAGED, kept at the card's name, exit 1 (README, exit
    # codes; tests/report/test_keep_both_own_damaged_copy.py). The bucket's object cannot
    # change in place: another object, KEPT BOTH.
    assert code == 1, err
    assert on_disk.read_bytes() == other  # kept as it is
    assert (local / "A001" / "CLIPS" / "A001C002 (1).mov").read_bytes() == (
        card / CLIP
    ).read_bytes()
    beside = admin(s3_server.url).get_object(Bucket=bucket, Key="day1/A001/CLIPS/A001C002 (1).mov")
    assert beside["Body"].read() == (card / CLIP).read_bytes()
    said = " ".join(err.split())
    report = max((local / "A001" / ".offload" / "reports").glob("*.json"))  # the re-run's
    found = json.loads(report.read_text())["warnings"]
    warnings = [w for w in found if w["code"] == "existing-kept-beside"]
    (damaged,) = [w for w in found if w["code"] == "copy-no-longer-matches"]
    assert damaged["path"] == str(on_disk), damaged
    assert damaged["message"].endswith(
        f"the new copy from the card was written beside it as "
        f"{local / 'A001' / 'CLIPS' / 'A001C002 (1).mov'}, verified now (read back)"
    ), damaged
    assert f"COPY FOUND DAMAGED: {on_disk} has another date than" in " ".join(err.split())
    new_paths = [f"{url}/A001/CLIPS/A001C002 (1).mov"]
    # One warning a destination, its path the new copy, its message naming where it went.
    assert [w["path"] for w in warnings] == new_paths, warnings
    for warning, path in zip(warnings, new_paths, strict=True):
        assert warning["message"].endswith(
            f"beside a file already at its name, which was kept as it is (--keep-both): "
            f"{CLIP} as {path}"
        ), warning
        assert f"{CLIP} as {path}" in said, said
    assert said.count("KEPT BOTH: 1 card file copied to") == 1, said
