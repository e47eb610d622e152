"""``--keep-both`` tells where each new copy went, on a disk and in a bucket alike: a copy
of ours replaced since by another file of the same size is kept, and the card's file is
copied beside it as ``name (1).ext``; the terminal says so and the JSON report's warnings
name the new copy on each destination: ``COPY FOUND DAMAGED`` (``copy-no-longer-matches``)
for the disk's copy of ours whose date changed, found different (nothing tells it from
damage), and for the bucket's object another writer stored over ours.
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
    # change in place: another writer stored it over the object its ledger recorded there,
    # so it is our copy found damaged too, kept at the card's name, said alike (before: a
    # plain KEPT BOTH and "All ... verified" there, tests/s3/test_s3_ours_replaced.py).
    assert code == 1, err
    assert on_disk.read_bytes() == other  # kept as it is
    assert (local / "A001" / "CLIPS" / "A001C002 (1).mov").read_bytes() == (
        card / CLIP
    ).read_bytes()
    client = admin(s3_server.url)
    assert client.get_object(Bucket=bucket, Key=f"day1/A001/{CLIP}")["Body"].read() == other
    beside = client.get_object(Bucket=bucket, Key="day1/A001/CLIPS/A001C002 (1).mov")
    assert beside["Body"].read() == (card / CLIP).read_bytes()
    said = " ".join(err.split())
    report = max((local / "A001" / ".offload" / "reports").glob("*.json"))  # the re-run's
    found = json.loads(report.read_text())["warnings"]
    assert not [w for w in found if w["code"] == "existing-kept-beside"], found
    damaged = sorted(
        (w for w in found if w["code"] == "copy-no-longer-matches"), key=lambda w: w["path"]
    )
    in_bucket = f"{url}/A001/{CLIP}"
    assert [w["path"] for w in damaged] == sorted([str(on_disk), in_bucket]), damaged
    new_copies = {
        str(on_disk): local / "A001" / "CLIPS" / "A001C002 (1).mov",
        in_bucket: f"{url}/A001/CLIPS/A001C002 (1).mov",
    }
    # Each names where the new copy went, verified now.
    for warning in damaged:
        assert warning["kept"] is True, warning
        assert warning["message"].endswith(
            f"the new copy from the card was written beside it as "
            f"{new_copies[warning['path']]}, verified now (read back)"
        ), warning
    assert f"COPY FOUND DAMAGED: {on_disk} has another date than" in said
    assert f"COPY FOUND DAMAGED: {in_bucket} is another object than the copy verified" in said
    assert "KEPT BOTH" not in said, said
