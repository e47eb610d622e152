"""What other S3 servers do that AWS does not, and what the copy makes of it: the test server
run in a mode of each behaviour (``support.s3server --mode``: the real server process behaving
so), as a QA pass found them on PyPI ``fake-s3`` 1.0.2, npm ``s3rver`` 3.7.1, plain moto and a
proxy that strips ``If-None-Match``.

* a listing with keys outside the prefix asked for (fake-s3's leading ``/``) is refused, never
  sliced blindly (it hid the user's own object, which was then overwritten);
* a service that ignores ``If-None-Match`` is found by the preflight's probe and refused
  unless ``--s3-head-check`` (then each write is checked by a HEAD, the race named);
* a service that does not check ``x-amz-checksum-*`` is found by the probe: in ``transfer``
  mode its copies are called size-checked, never "in-flight hashes checked".
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from offload.destinations.s3url import S3Url
from offload.errors import UsageError
from s3.conftest import S3Server, admin, destination, new_bucket, serving
from s3.test_s3_cli import make_card, offload


@pytest.fixture(scope="module")
def fake_s3() -> Iterator[S3Server]:
    """Keys listed with a leading ``/`` and the conditions ignored, as fake-s3 1.0.2."""
    yield from serving("slash-keys", "ignore-conditions")


@pytest.fixture(scope="module")
def slash_keys() -> Iterator[S3Server]:
    """Keys listed with a leading ``/``; conditional writes honoured."""
    yield from serving("slash-keys")


@pytest.fixture(scope="module")
def unconditional() -> Iterator[S3Server]:
    """``If-None-Match`` and ``If-Match`` ignored (s3rver, a proxy stripping them)."""
    yield from serving("ignore-conditions")


def _keys(server: S3Server, bucket: str) -> list[str]:
    listing = admin(server.url).list_objects_v2(Bucket=bucket)
    return sorted(o["Key"].lstrip("/") for o in listing.get("Contents", []))


def _user_object(server: S3Server, bucket: str, key: str) -> bytes:
    data = b"the user's own take, not on the card\n"
    admin(server.url).put_object(Bucket=bucket, Key=key, Body=data)
    return data


def _stored(server: S3Server, bucket: str, key: str) -> bytes:
    return admin(server.url).get_object(Bucket=bucket, Key=key)["Body"].read()


def test_fake_s3_refused_and_the_users_object_kept(fake_s3, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The QA's repro: an object of the user under a card file's key; before, the listing's
    ``/e/E001/a.wav`` missed it, the unconditional PutObject replaced it, exit 0 "verified"."""
    bucket = new_bucket(fake_s3.url)
    card = make_card(tmp_path, {"a.wav": 4000})
    data = _user_object(fake_s3, bucket, "e/A001/a.wav")
    code, out, err = offload(tmp_path, "--s3-endpoint", fake_s3.url, str(card), f"s3://{bucket}/e")
    assert code == 64, out + err
    assert _stored(fake_s3, bucket, "e/A001/a.wav") == data
    lines = [line for line in err.splitlines() if f"s3://{bucket}/e" in line]
    assert lines, err
    assert "does not list as S3 does" in err
    assert fake_s3.url in err
    # The probe objects are gone: the user's object is all there is.
    assert _keys(fake_s3, bucket) == ["e/A001/a.wav"]


def test_listing_outside_the_prefix_refused_by_the_backend(slash_keys) -> None:  # type: ignore[no-untyped-def]
    """Every listing of ours checks what it got (the preflight aside): a key outside the
    prefix asked for is an OSError naming the service, never a name cut from the wrong key."""
    bucket = new_bucket(slash_keys.url)
    admin(slash_keys.url).put_object(Bucket=bucket, Key="cards/A001/a.wav", Body=b"x")
    dest = destination(slash_keys.url, bucket)
    try:
        with pytest.raises(OSError) as caught:
            list(dest.list_keys("cards/A001/"))
        assert "does not list as S3 does" in str(caught.value)
        assert slash_keys.url in str(caught.value)
        from offload.destinations.s3backend import S3Backend

        backend = S3Backend(dest)
        with pytest.raises(OSError) as listed:
            backend.list(backend.root / "A001")
        assert "does not list as S3 does" in str(listed.value)
    finally:
        dest.close()


def test_ignored_if_none_match_refused_by_default(unconditional, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(unconditional.url)
    card = make_card(tmp_path, {"a.wav": 4000})
    code, out, err = offload(
        tmp_path, "--s3-endpoint", unconditional.url, str(card), f"s3://{bucket}/e"
    )
    assert code == 64, out + err
    refusal = [line for line in err.splitlines() if "If-None-Match" in line]
    assert len(refusal) == 1, err
    assert f"s3://{bucket}/e" in refusal[0] and "--s3-head-check" in refusal[0]
    assert _keys(unconditional, bucket) == []  # the probe objects deleted, nothing copied


def test_head_check_opt_in_warns_of_the_race_and_refuses_an_existing_key(  # type: ignore[no-untyped-def]
    unconditional, tmp_path
) -> None:
    bucket = new_bucket(unconditional.url)
    card = make_card(tmp_path, {"a.wav": 4000, "b.wav": 3000})
    data = _user_object(unconditional, bucket, "e/A001/a.wav")
    code, out, err = offload(
        tmp_path,
        "--s3-endpoint",
        unconditional.url,
        "--s3-head-check",
        "--json",
        # --into the copy root: without it, a copy root without a ledger line holding
        # nothing of this card's but another object at one of its keys is refused whole
        # (copy-root-of-other-files, card_folder).
        "--into",
        str(card),
        f"s3://{bucket}/e/A001",
    )
    # a.wav is another object of the same key, not the card's size: refused, kept.
    assert code == 1, err
    assert _stored(unconditional, bucket, "e/A001/a.wav") == data
    assert _stored(unconditional, bucket, "e/A001/b.wav") == (card / "b.wav").read_bytes()
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    warnings = [e for e in events if e.get("event") == "warning_issued"]
    race = [w for w in warnings if "If-None-Match" in w.get("message", "")]
    assert race, warnings
    assert "HEAD" in race[0]["message"] and "another writer" in race[0]["message"]


def test_head_check_from_the_environment(unconditional, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(unconditional.url)
    card = make_card(tmp_path, {"a.wav": 4000})
    monkeypatch.setenv("OFFLOAD_S3_HEAD_CHECK", "1")
    code, _out, err = offload(
        tmp_path, "--s3-endpoint", unconditional.url, str(card), f"s3://{bucket}/e"
    )
    assert code == 0, err
    assert "If-None-Match" in err and "HEAD" in err


def test_probe_on_a_service_that_honours_everything(s3_server, bucket) -> None:  # type: ignore[no-untyped-def]
    dest = destination(s3_server.url, bucket)
    try:
        assert dest.probe() == []
        assert dest.conditional_create and dest.checksums_checked
        assert "Contents" not in admin(s3_server.url).list_objects_v2(Bucket=bucket)
    finally:
        dest.close()


def test_probe_finds_unchecked_checksums(unchecked) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(unchecked.url)
    dest = destination(unchecked.url, bucket)
    try:
        dest.probe()
        assert not dest.checksums_checked
        assert dest.conditional_create
        assert _keys(unchecked, bucket) == []
    finally:
        dest.close()


def test_probe_refusal_names_the_url(unconditional) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(unconditional.url)
    dest = destination(unconditional.url, bucket)
    try:
        with pytest.raises(UsageError) as caught:
            dest.probe()
        assert str(caught.value).startswith(f"{S3Url(bucket, 'cards')} ({unconditional.url})")
    finally:
        dest.close()


def test_transfer_mode_on_a_service_that_does_not_check_checksums(  # type: ignore[no-untyped-def]
    unchecked, tmp_path
) -> None:
    """Plain moto stores a part whatever its checksum: "in-flight hashes checked" would be a
    claim nobody made good. The summary, the JSON report and the warnings say size-checked."""
    bucket = new_bucket(unchecked.url)
    card = make_card(tmp_path, {"a.wav": 4000})
    code, out, err = offload(
        tmp_path,
        "--s3-endpoint",
        unchecked.url,
        "--verify",
        "transfer",
        str(card),
        f"s3://{bucket}/e",
    )
    assert code == 0, err
    text = out + err
    assert "in-flight hashes checked" not in text
    assert "does not check" in text and "size-checked" in text
    report = next((tmp_path / "reports").glob("*.json"))
    document = json.loads(report.read_text())
    assert "in-flight hashes checked" not in report.read_text()
    codes = [w.get("code") for w in document.get("warnings", [])]
    assert "s3-checksums-unchecked" in codes, document.get("warnings")


def test_one_file_to_a_service_that_ignores_if_none_match(  # type: ignore[no-untyped-def]
    unconditional, tmp_path, monkeypatch
) -> None:
    """``pfndispatchcopy`` runs the same probe: refused by default; with
    OFFLOAD_S3_HEAD_CHECK=1 copied, the race said in a WARNING line."""
    from s3.test_s3_file import pfn

    bucket = new_bucket(unconditional.url)
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(3000))
    url = f"s3://{bucket}/day1/clip.mov"
    code, _out, err = pfn("--s3-endpoint", unconditional.url, str(source), url)
    assert code == 64, err
    assert "If-None-Match" in err and "--s3-head-check" in err
    assert _keys(unconditional, bucket) == []
    # The refusal's advice works as written (failed before: pfndispatchcopy had no
    # --s3-head-check, "unrecognized arguments").
    code, _out, err = pfn("--s3-endpoint", unconditional.url, "--s3-head-check", str(source), url)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("WARNING: ")]
    assert any("HEAD" in line and "another writer" in line for line in warnings), err
    assert _stored(unconditional, bucket, "day1/clip.mov") == source.read_bytes()
    monkeypatch.setenv("OFFLOAD_S3_HEAD_CHECK", "1")
    other = f"s3://{bucket}/day2/clip.mov"
    code, _out, err = pfn("--s3-endpoint", unconditional.url, str(source), other)
    assert code == 0, err
    assert _stored(unconditional, bucket, "day2/clip.mov") == source.read_bytes()


def test_probe_objects_a_killed_run_left_are_deleted_by_the_next_probe(  # type: ignore[no-untyped-def]
    s3_server, bucket
) -> None:
    """Failed before: a run killed while it probed (SIGKILL; SIGTERM before the command's
    handlers) left its probe object under .offload/probe/ for ever. The next probe deletes
    those older than its threshold (0 here, 15 minutes by default) and keeps a fresh one,
    which may be another run's probing right now."""
    dest = destination(s3_server.url, bucket)
    left = f"{dest._state_key('probe')}/0123456789abcdef"
    admin(s3_server.url).put_object(Bucket=bucket, Key=left, Body=b"probe")
    try:
        assert dest.probe() == []
        assert _keys(s3_server, bucket) == [left]  # fresh: kept
        from offload.destinations import s3preflight

        s3preflight.probe(dest, stale_after_s=0)
        assert _keys(s3_server, bucket) == []
    finally:
        dest.close()


def test_a_dry_run_to_a_bucket_says_it_wrote_and_deleted_the_probe(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """Failed before: "Dry run, nothing was written" after the probe's PutObjects."""
    card = make_card(tmp_path, {"a.wav": 4000})
    code, _out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--dry-run", str(card), f"s3://{bucket}/d"
    )
    assert code == 0, err
    assert "nothing was written" not in err
    assert "Dry run, nothing was copied (the s3:// preflight wrote and deleted its probe" in err
    assert _keys(s3_server, bucket) == []


@pytest.fixture(scope="module")
def no_deletes() -> Iterator[S3Server]:
    """Every delete refused with 403 AccessDenied (a credential without s3:DeleteObject)."""
    yield from serving("deny-deletes")


def test_a_probe_object_whose_delete_is_refused_is_named(no_deletes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A credential without s3:DeleteObject: the copy goes on (it deletes nothing of its own
    on success), but the probe object it could not delete is named in a warning, in the
    terminal and the saved report, and a dry run no longer says it deleted it. Failed
    before: the object stayed silently and the dry run said "wrote and deleted"."""
    bucket = new_bucket(no_deletes.url)
    card = make_card(tmp_path, {"a.wav": 4000, "b.wav": 300})
    code, _out, err = offload(
        tmp_path, "--s3-endpoint", no_deletes.url, "--dry-run", str(card), f"s3://{bucket}/d"
    )
    assert code == 0, err
    [left] = [k for k in _keys(no_deletes, bucket) if k.startswith("d/.offload/probe/")]
    assert "could not delete its probe object" in err and left in err and "AccessDenied" in err
    assert "wrote and deleted" not in err and "could not delete them all" in err

    code, _out, err = offload(
        tmp_path, "--s3-endpoint", no_deletes.url, str(card), f"s3://{bucket}/d"
    )
    assert code == 0, err
    probes = [k for k in _keys(no_deletes, bucket) if k.startswith("d/.offload/probe/")]
    [second] = [k for k in probes if k != left]
    assert second in err and "s3:DeleteObject" in err
    # The advice matches the answer: a plain delete refused on a bucket without versions
    # wants s3:DeleteObject, not s3:DeleteObjectVersion (before: both, whatever the answer).
    assert "s3:DeleteObjectVersion" not in err, err
    [saved] = (tmp_path / "reports").glob("*.json")
    warnings = json.loads(saved.read_text())["warnings"]
    assert any(w["code"] == "s3-probe-left" and second in w["message"] for w in warnings), warnings
