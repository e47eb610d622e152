"""Two ``s3://`` destinations naming one place, or copy roots inside one another, are refused
before the first byte (exit 64), as two local folders are: a real S3 server process, the
real CLI. Failed before: `offload copy c s3://b/p3 s3://b/p3` exited 1 ("key exists already"),
and its re-run exited 0 counting the one object as two verified copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from s3.test_s3_cli import keys, make_card, offload

SMALL = {"CLIPS/A001C001.mov": 3000, "A001.xml": 900}


@pytest.mark.parametrize(
    ("first", "second"),
    [("p3", "p3"), ("p1", "p1/"), ("p1", "/p1"), ("p1/", "/p1//")],
)
def test_one_bucket_and_prefix_named_twice_is_refused(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path, first: str, second: str
) -> None:
    card = make_card(tmp_path, SMALL)
    a, b = f"s3://{bucket}/{first}", f"s3://{bucket}/{second}"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), a, b)
    assert code == 64, err
    assert f"destination s3://{bucket}/p" in err and "is named twice" in err
    assert "nothing was copied" in err
    assert keys(s3_server.url, bucket) == []


@pytest.mark.parametrize(
    ("into", "inner"),
    [(True, "p/q"), (False, "p/A001")],  # without --into the copy roots are p/A001, p/A001/A001
)
def test_copy_roots_inside_one_another_are_refused(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path, into: bool, inner: str
) -> None:
    card = make_card(tmp_path, SMALL)
    flags = ["--into"] if into else []
    code, _, err = offload(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        *flags,
        str(card),
        f"s3://{bucket}/p",
        f"s3://{bucket}/{inner}",
    )
    assert code == 64, err
    assert "would overlap" in err and f"s3://{bucket}/p" in err
    assert keys(s3_server.url, bucket) == []


def test_a_prefix_below_another_with_separate_copy_roots_is_copied_to_both(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path
) -> None:
    """As for folders: s3://b/p and s3://b/p/q hold the card at p/A001 and p/q/A001, apart."""
    card = make_card(tmp_path, SMALL)
    code, _, err = offload(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        str(card),
        f"s3://{bucket}/p",
        f"s3://{bucket}/p/q",
    )
    assert code == 0, err
    held = keys(s3_server.url, bucket)
    assert "p/A001/A001.xml" in held and "p/q/A001/A001.xml" in held


def test_cascade_to_a_destination_written_another_way_is_that_destination(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path: Path, cards: Path
) -> None:
    """--cascade-to s3://b//day1 names the s3://b/day1 destination (it used to be added as
    a second one, the same place twice)."""
    card = make_card(cards, SMALL)  # apart from the fast copy: one beside it releases nothing
    local = tmp_path / "local"
    local.mkdir()
    code, _, err = offload(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        str(card),
        str(local),
        f"s3://{bucket}/day1",
        "--cascade-to",
        f"s3://{bucket}//day1/",
    )
    assert code == 0, err
    assert "CARD RELEASED" in err
    assert "day1/A001/A001.xml" in keys(s3_server.url, bucket)
