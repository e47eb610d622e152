"""A card file whose name holds a newline (or another control character) is printed on one
terminal line, its control characters escaped (``errors.printable_line``): a real S3 server
process that refuses such a key (moto answers 404 for a key with a newline), the real CLI.
Failed before: "Do not format the card: a copy failed: new" and "ERROR: .../new" were each
cut at the newline, the rest printed as lines of their own ("line.mov.", "ERROR: line.mov
not completed ...")."""

from __future__ import annotations

from pathlib import Path

from s3.test_s3_cli import make_card, offload


def test_a_newline_in_a_failed_files_name_never_splits_a_line(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    card = make_card(tmp_path, {"new\nline.mov": 10, "ok.mov": 5})
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), f"s3://{bucket}/d")
    assert code == 1, err
    lines = err.splitlines()
    assert not [line for line in lines if line.startswith(("line.mov", "ERROR: line.mov"))], err
    release = [line for line in lines if line.startswith("Do not format the card")]
    # One line, the failed copy named whole, then the bucket's reason (served from here).
    (line,) = release
    assert line.startswith("Do not format the card: a copy failed: new\\x0aline.mov; "), err
    assert "is a bucket served from this host" in line, err
    errors = [line for line in lines if line.startswith("ERROR: ")]
    assert errors and all("new\\x0aline.mov" in line for line in errors), err
    assert "\x1b" not in err
