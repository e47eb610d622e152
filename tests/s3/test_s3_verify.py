"""``offload verify s3://bucket/prefix/CARD`` end to end against the real server process:
OK, an object corrupted afterwards (exit 11, named), one deleted (10), one added (21), the
ledger as the reference when there is no history, nothing to verify against (30), a missing
bucket (64, one line); the JSON report names s3:// keys. ``--append`` stores a generation
under the prefix; the prefix downloaded by boto3 passes the reference tool's verify."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from offload.card import OffloadOptions, plan_offload, run_offload
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.destinations.s3config import S3Settings
from offload.errors import spelled_apart
from offload.manifest.history import read_history
from offload.manifest_options import ManifestOptions
from s3 import test_s3_preflight
from s3.conftest import admin
from s3.test_s3_cli import CARD, keys, make_card, offload
from s3.test_s3_shared_root import hashed_folders
from support.ascmhl_chains import chain_without, unlisted_note
from support.service_gone import resetting_endpoint

# The module-scoped server that checks credentials (its IAM authentication on).
auth_server = test_s3_preflight.auth_server


def verify(tmp: Path, endpoint: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["verify", "--report-dir", str(tmp / "vreports"), "--s3-endpoint", endpoint, *args],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    return code, out.getvalue(), err.getvalue()


def copied(s3_server, bucket, tmp_path, *extra: str) -> str:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, *extra, str(card), url)
    assert code == 0, err
    return f"{url}/A001"


def download_prefix(endpoint: str, bucket: str, prefix: str, target: Path) -> Path:
    """Every object under *prefix* into *target* with a plain boto3 client (no code of ours),
    as a DIT would fetch a copy root from the bucket; returns *target*."""
    client = admin(endpoint)
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix + "/"
    ):
        for item in page.get("Contents", []):
            path = target.joinpath(*item["Key"][len(prefix) + 1 :].split("/"))
            path.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, item["Key"], str(path))
    return target


def test_the_prefix_downloaded_passes_ascmhl_verify_before_and_after_append(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, judge
) -> None:
    url = copied(s3_server, bucket, tmp_path)
    first = download_prefix(s3_server.url, bucket, "day1/A001", tmp_path / "dl1" / "A001")
    for relative in CARD:
        assert (first / relative).read_bytes() == (tmp_path / "A001" / relative).read_bytes()
    # ascmhl 1.2 has its verify under ascmhl-debug (`ascmhl` itself: create, diff, info).
    for result in (judge.verify(first), judge.diff(first)):
        assert result.clean, result.describe()
    before = set(keys(s3_server.url, bucket))

    code, out, err = verify(tmp_path, s3_server.url, "--append", "--author-name", "Dana", url)
    assert code == 0, err
    added = sorted(set(keys(s3_server.url, bucket)) - before)
    manifests = [k for k in added if k.startswith("day1/A001/ascmhl/") and k.endswith(".mhl")]
    assert len(manifests) == 1, added
    assert set(added) == {manifests[0]}, added  # nothing else: no mirror file, no ledger copy
    assert f"Recorded in s3://{bucket}/{manifests[0]}" in out
    assert "offload-s3-verify" not in out + err and "/s3:/" not in out + err

    second = download_prefix(s3_server.url, bucket, "day1/A001", tmp_path / "dl2" / "A001")
    history = read_history(second)
    assert len(history.generations) == 2
    newest = history.generations[-1]
    assert newest.process == "in-place"
    assert sorted(f.path for f in newest.files) == sorted(CARD)
    for result in (
        judge.verify(second, directory_hashes=True),
        judge.diff(second),
        judge.check_manifest_schema(second / "ascmhl" / manifests[0].rpartition("/")[2]),
        judge.check_chain_schema(second / "ascmhl" / "ascmhl_chain.xml"),
    ):
        assert result.clean, result.describe()
    # Our own verify reads the appended history back from the bucket.
    code, out, err = verify(tmp_path, s3_server.url, "--json", url)
    assert code == 0, err
    assert sorted(json.loads(out)["verified"]) == sorted(CARD)


def test_append_records_a_changed_object_as_failed_exit_11(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = copied(s3_server, bucket, tmp_path)
    key = "day1/A001/A001.xml"
    admin(s3_server.url).put_object(Bucket=bucket, Key=key, Body=b"y" * CARD["A001.xml"])
    code, out, err = verify(tmp_path, s3_server.url, "--append", "--json", url)
    assert code == 11, err
    data = json.loads(out)
    assert [c["path"] for c in data["changed"]] == ["A001.xml"]
    assert data["generation"].startswith(f"s3://{bucket}/day1/A001/ascmhl/0002_")
    history = read_history(download_prefix(s3_server.url, bucket, "day1/A001", tmp_path / "d"))
    failed = [f.path for f in history.generations[-1].files if f.hashes[0].action == "failed"]
    assert failed == ["A001.xml"]


def test_verify_ok_then_corrupted_missing_new(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = copied(s3_server, bucket, tmp_path)
    code, out, err = verify(tmp_path, s3_server.url, url)
    assert code == 0, err
    assert f"{url}: 3 OK, 0 changed, 0 missing, 0 new" in out
    assert "/s3:/" not in out + err and "offload-s3-verify" not in out + err
    reports = list((tmp_path / "vreports").glob("verify_A001_*.json"))
    assert len(reports) == 1
    data = json.loads(reports[0].read_text())
    assert data["path"] == url and data["exit_code"] == 0 and data["reference"] == "ascmhl"
    assert sorted(data["verified"]) == sorted(CARD)
    assert data["totals"]["bytes_read"] == sum(CARD.values())

    client = admin(s3_server.url)
    # Different bytes of the same size put under a key afterwards: changed, named (exit 11).
    key = "day1/A001/CLIPS/A001C002.mov"
    client.put_object(Bucket=bucket, Key=key, Body=b"\0" * CARD["CLIPS/A001C002.mov"])
    code, out, err = verify(tmp_path, s3_server.url, "--json", url)
    assert code == 11, err
    data = json.loads(out)
    assert [c["path"] for c in data["changed"]] == ["CLIPS/A001C002.mov"]
    assert data["changed"][0]["reason"] == "hash"
    code, out, err = verify(tmp_path, s3_server.url, url)
    assert code == 11
    assert f"CHANGED s3://{bucket}/{key}" in err

    # Restored, then one object deleted (10), then an object nobody recorded (21).
    client.put_object(
        Bucket=bucket, Key=key, Body=(tmp_path / "A001" / "CLIPS/A001C002.mov").read_bytes()
    )
    assert verify(tmp_path, s3_server.url, url)[0] == 0
    client.delete_object(Bucket=bucket, Key="day1/A001/A001.xml")
    code, out, err = verify(tmp_path, s3_server.url, url)
    assert code == 10 and f"MISSING s3://{bucket}/day1/A001/A001.xml" in err
    client.put_object(
        Bucket=bucket, Key="day1/A001/A001.xml", Body=(tmp_path / "A001" / "A001.xml").read_bytes()
    )
    client.put_object(Bucket=bucket, Key="day1/A001/notes.txt", Body=b"hello")
    code, out, err = verify(tmp_path, s3_server.url, url)
    assert code == 21
    assert f"NEW (not in the ASC MHL history) s3://{bucket}/day1/A001/notes.txt" in err


def test_a_new_key_with_an_empty_part_is_named_under_its_copy_root(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """A key another client stored with an empty part right below the copy root
    (``day1/A001//evil.txt``): NEW, named by its whole key. Failed before: the line ended in
    a bare ``/evil.txt`` (a relative name starting with "/" joined by ``os.path.join``)."""
    url = copied(s3_server, bucket, tmp_path)
    admin(s3_server.url).put_object(Bucket=bucket, Key="day1/A001//evil.txt", Body=b"x")
    code, _, err = verify(tmp_path, s3_server.url, url)
    assert code == 21, err
    new = [line for line in err.splitlines() if "evil.txt" in line]
    assert new and all(f"s3://{bucket}/day1/A001//evil.txt" in line for line in new), err


def test_verify_against_the_s3_ledger(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = copied(s3_server, bucket, tmp_path, "--mhl", "none")
    assert not [k for k in keys(s3_server.url, bucket) if "/ascmhl/" in k]
    code, out, err = verify(tmp_path, s3_server.url, "--json", url)
    assert code == 0, err
    data = json.loads(out)
    assert data["reference"] == "ledger" and sorted(data["verified"]) == sorted(CARD)
    admin(s3_server.url).put_object(
        Bucket=bucket, Key="day1/A001/A001.xml", Body=b"x" * CARD["A001.xml"]
    )
    code, out, err = verify(tmp_path, s3_server.url, url)
    assert code == 11 and f"CHANGED s3://{bucket}/day1/A001/A001.xml" in err


def test_verify_nothing_to_verify_against_and_bad_bucket(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    admin(s3_server.url).put_object(Bucket=bucket, Key="loose/file.bin", Body=b"abc")
    code, _, err = verify(tmp_path, s3_server.url, f"s3://{bucket}/loose")
    assert code == 30, err
    assert f"s3://{bucket}/loose" in err and "offload-s3-verify" not in err
    code, _, err = verify(tmp_path, s3_server.url, "s3://nope-bucket/x")
    assert code == 64
    assert len(err.strip().splitlines()) == 1 and "does not exist" in err
    # A check's refusal says what the check did not do (failed before: "nothing was written").
    assert "nothing was verified" in err and "written" not in err, err
    code, _, err = verify(tmp_path, s3_server.url, "--append", f"s3://{bucket}/loose")
    assert code == 64 and "no ASC MHL history (ascmhl/) to append" in err, err
    # Neither a history nor a ledger there: never "check it against its ledger" (exit 30).
    assert "without --append" not in err and "and no offload-ai ledger" in err, err
    assert len(err.strip().splitlines()) <= 2, err


def test_verify_on_a_service_without_list_multipart_uploads(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy
) -> None:
    """A service that answers ListMultipartUploads 501 NotImplemented (npm s3rver 3.7.1,
    tried by hand: docs/s3.md) cannot take a copy, but a check reads only (and ``--append``
    stores small objects): it runs, and appends. Failed before: refused, exit 64, "does not
    support ListMultipartUploads", though the check never lists an upload."""
    url = copied(s3_server, bucket, tmp_path)
    proxy.intercept("GET", "?uploads", status=501, code="NotImplemented", count=100)

    code, out, err = verify(tmp_path, proxy.url, "--json", url)
    assert code == 0, out + err
    assert json.loads(out)["verified"] == sorted(CARD)
    code, out, err = verify(tmp_path, proxy.url, "--append", "--json", url)
    assert code == 0, out + err
    assert json.loads(out)["generation"].startswith(f"{url}/ascmhl/0002_")
    assert proxy.stats.intercepted == 0  # no upload was listed
    # A copy there is refused before its first byte, saying why.
    code, _, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(tmp_path / "A001"), url)
    assert code == 64 and "does not support ListMultipartUploads" in err, err
    assert proxy.stats.intercepted == 1


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (
            "InvalidObjectState",
            "its GET was refused (InvalidObjectState): the object is in an archive storage "
            "class (Glacier, Deep Archive); restore it (aws s3api restore-object {where} "
            "--restore-request Days=7), then check again; it is not verified",
        ),
        (
            "AccessDenied",
            "its GET was refused (access denied): these credentials may list it but not read "
            "it (s3:GetObject, or the KMS key it is encrypted with); check it again with "
            "credentials that may; it is not verified",
        ),
        (
            "ExpiredToken",
            "its GET failed (ExpiredToken: the session token (AWS_SESSION_TOKEN, or the "
            "profile's) has expired or is not valid): get new temporary credentials (aws sso "
            "login, a new assumed role or session token), then check it again; it is not "
            "verified",
        ),
    ],
)
def test_an_object_listed_but_not_readable_is_unreadable_saying_what_to_do(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy, code: str, words: str
) -> None:
    """An object the listing shows whose GET is refused (an archived object: 403
    InvalidObjectState; a credential that may list but not read: 403 AccessDenied; a
    session token that expired: 400 ExpiredToken): UNREADABLE (exit 11), never OK, its
    reason on its line, in the CSV and the JSON (code ``get-failed``) saying why and what
    reads it, once. Failed before: ``UNREADABLE s3://...`` alone, no reason, nothing said of
    what to do; for ExpiredToken, "has expired or is not valid" said twice."""
    url = copied(s3_server, bucket, tmp_path)
    status = 400 if code == "ExpiredToken" else 403
    proxy.intercept("GET", "/day1/A001/A001.xml HTTP", status=status, code=code, count=100)

    exit_code, out, _ = verify(tmp_path, proxy.url, "--json", url)
    shown_code, _, err = verify(tmp_path, proxy.url, url)
    # The restore command names the object on the check's own service, as the left_behind
    # commands do (before: a bare "aws s3api restore-object", AWS's endpoint).
    words = words.replace(
        "{where}", f"--endpoint-url {proxy.url} --bucket {bucket} --key day1/A001/A001.xml"
    )

    assert exit_code == shown_code == 11, out
    data = json.loads(out)
    # A session token refused is refused to every later request: none is sent after it
    # (``s3token_latch``), the objects read after it unreadable in one line
    # (``test_s3_verify_token``).
    unread = sorted(CARD) if code == "ExpiredToken" else ["A001.xml"]
    assert data["unreadable"] == unread and not data["passed"]
    assert data["verified"] == sorted(set(CARD) - set(unread)) and data["changed"] == []
    assert data["reasons"]["A001.xml"] == {"code": "get-failed", "text": words}
    assert len(data["reasons"]) == len(unread), data["reasons"]
    assert f"UNREADABLE ({words}) {url}/A001.xml" in " ".join(err.split()), err
    csv_text = sorted((tmp_path / "vreports").glob("verify_*.csv"))[-1].read_text()
    assert f'A001.xml,unreadable,"{words}"' in csv_text, csv_text


def test_verify_wrong_credentials_or_no_service_one_line_exit_64(
    auth_server, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    server, key_id, secret = auth_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    code, out, err = verify(tmp_path, server.url, "s3://rushes/day1/A001")
    assert code == 64, err
    assert len(err.strip().splitlines()) == 1 and "access denied" in err
    assert "not-the-secret" not in out + err and secret not in out + err
    assert not (tmp_path / "vreports").exists()  # nothing checked: no report

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, err = verify(tmp_path, f"http://127.0.0.1:{port}", "--json", "s3://rushes/x")
    assert code == 64
    assert json.loads(out)["exit_code"] == 64 and "cannot be reached" in json.loads(out)["error"]


def test_missing_and_new_objects_say_why_in_every_output(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On a bucket, the reasons a folder's check gives, in a bucket's words: a recorded
    object gone whose key objects now lie below (the mirror's folder); keys no file can be
    named (an empty part, a name too long, a key below another object's), which are new
    and not read; a name no manifest can hold. The terminal, the CSV and the JSON say the
    same, the terminal naming each key as it is. Failed before: no reason anywhere (and no
    ``reasons`` in the JSON), and ``a//b.mov`` printed as ``.../a/b.mov``, another key."""
    url = copied(s3_server, bucket, tmp_path)
    client = admin(s3_server.url)
    client.delete_object(Bucket=bucket, Key="day1/A001/A001.xml")
    long_name = "x" * 300 + ".mov"
    for key in (
        "A001.xml/under.bin",
        "a//b.mov",
        long_name,
        "CLIPS/A001C002.mov/x",
        "CLIPS/C\x01.mov",
    ):
        client.put_object(Bucket=bucket, Key=f"day1/A001/{key}", Body=b"late")

    code, out, _ = verify(tmp_path, s3_server.url, "--json", url)
    shown_code, _, err = verify(tmp_path, s3_server.url, url)

    assert code == shown_code == 10, out
    data = json.loads(out)
    assert data["missing"] == ["A001.xml"]
    never = ": offload copy never writes such a key; it is not read"
    both = ", which no file and folder can be at once; it is not read"
    assert data["reasons"] == {
        "A001.xml": {
            "code": "folder",
            "text": "no object has its key, but objects lie below it (A001.xml/...): the file "
            "recorded there is not read",
        },
        "CLIPS/A001C002.mov/x": {
            "code": "key-no-file-name",
            "text": "another object's key is a folder of its key, or its key one of another's"
            + both,
        },
        "CLIPS/C\x01.mov": {
            "code": "name-not-in-manifest",
            "text": "its name holds the control character \\x01, which an XML manifest cannot "
            "hold: offload copy leaves such a file out of the manifest and names it in its "
            "reports; its content is not checked here",
        },
        "a//b.mov": {
            "code": "key-no-file-name",
            "text": "its key has an empty, '.' or '..' part, which no file name can be" + never,
        },
        long_name: {
            "code": "key-no-file-name",
            "text": "its name is longer than a file name of this machine can be; it is not read",
        },
    }
    assert "A001.xml/under.bin" in data["extra"] and "A001.xml/under.bin" not in data["reasons"]
    said = " ".join(err.split())
    for path, why in data["reasons"].items():
        line = (
            f"MISSING ({why['text']}) {url}/{path}"
            if path in data["missing"]
            else f"NEW (not in the ASC MHL history: {why['text']}) {url}/{path}"
        )
        assert line.replace("\x01", "\\x01") in said, (line, said)
    csv_text = sorted((tmp_path / "vreports").glob("verify_*.csv"))[-1].read_text()
    assert f"{long_name},new,its name is longer than a file name of this" in csv_text, csv_text


SMALL = {"CLIPS/A001C001.mov": 3000, "CLIPS/A001C002.mov": 2000, "A001.xml": 900}
AT_A_FOLDER = (
    "its key is also a folder of this copy (objects lie below it: CLIPS/...), which no file "
    "can be at once; it is not read"
)


@pytest.mark.parametrize(
    ("mhl", "records"),
    [
        ((), "the ASC MHL history"),
        (("--mhl", "none"), "offload-ai's ledger"),
        (("--mhl", "legacy"), "the legacy MHL"),
    ],
    ids=["history", "ledger", "legacy"],
)
def test_an_object_at_a_folder_key_of_the_copy_is_new_and_the_objects_below_are_read(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, mhl, records
) -> None:
    """S3 keys are flat: another tool's object at ``CLIPS`` beside our ``CLIPS/*.mov``.
    Failed before: the mirror made a file of ``CLIPS`` and could not hold our objects
    below it, so each was both MISSING (exit 10: untrue, they are there) and NEW, and none
    was read. Now each is read back and compared (one replaced by other bytes of its size
    is CHANGED) and ``CLIPS`` is new, saying why, on the terminal, in the CSV and the JSON.
    Against each reference: where it records a file and nothing below (our
    ``CLIPS/A001C001.mov``, another tool's ``CLIPS/A001C001.mov/x``), the file is read."""
    card = make_card(tmp_path, SMALL)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, *mhl, str(card), url)
    assert code == 0, err
    url += "/A001"
    client = admin(s3_server.url)
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS", Body=b"another tool's object")
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS/A001C002.mov", Body=b"\0" * 2000)
    client.put_object(Bucket=bucket, Key="day1/A001/CLIPS/A001C001.mov/x", Body=b"below")
    # The legacy MHL ``--mhl legacy`` stored at the copy root, named to the check.
    legacy = [
        f"s3://{bucket}/{k}"
        for k in keys(s3_server.url, bucket)
        if k.endswith(".mhl") and "/ascmhl/" not in k
    ]
    against = ("--mhl-file", legacy[0]) if "legacy" in mhl else ()

    code, out, _ = verify(tmp_path, s3_server.url, *against, "--json", url)
    shown_code, _, err = verify(tmp_path, s3_server.url, *against, url)

    assert code == shown_code == 11, out
    data = json.loads(out)
    assert data["verified"] == ["A001.xml", "CLIPS/A001C001.mov"]
    assert [c["path"] for c in data["changed"]] == ["CLIPS/A001C002.mov"]
    assert data["missing"] == [] and data["extra"] == ["CLIPS", "CLIPS/A001C001.mov/x"]
    assert data["objects_read_back"] == 3
    below = (
        "another object's key is a folder of its key, or its key one of another's, which no "
        "file and folder can be at once; it is not read"
    )
    assert data["reasons"] == {
        "CLIPS": {"code": "key-is-folder", "text": AT_A_FOLDER},
        "CLIPS/A001C001.mov/x": {"code": "key-no-file-name", "text": below},
    }
    said = " ".join(err.split())
    assert f"NEW (not in {records}: {AT_A_FOLDER}) {url}/CLIPS" in said, said
    assert f"CHANGED {url}/CLIPS/A001C002.mov" in said and "MISSING" not in said
    csv_text = sorted((tmp_path / "vreports").glob("verify_*.csv"))[-1].read_text()
    assert f'CLIPS,new,"{AT_A_FOLDER}"' in csv_text, csv_text
    assert "CLIPS/A001C001.mov,verified," in csv_text


def _a_file_and_a_folder_recorded_at_one_key(
    s3_server: Any, bucket: str, tmp_path: Path, *, ledger_only: bool = False
) -> str:
    """Two cards copied ``--into`` ``s3://BUCKET/day1``: one holding a file ``CLIPS``, the
    other (SMALL) clips below ``CLIPS/``, the second planned before the first is copied
    (the preflight's ``target-type-conflict`` would refuse it after). Both recorded, which
    no file tree can hold. *ledger_only*: no manifest (``--mhl none``), the S3 ledger the
    only record. Returns the copy root's URL (``.../day1/A001``)."""
    other = make_card(tmp_path / "first", {"CLIPS": 10})
    url = f"s3://{bucket}/day1"
    card = make_card(tmp_path, SMALL)
    settings = S3Settings(endpoint_url=s3_server.url, region="us-east-1", max_attempts=3)
    kinds = ManifestOptions(kinds=frozenset()) if ledger_only else ManifestOptions()
    options = OffloadOptions(into=True, s3=settings, manifests=kinds)
    plan = plan_offload(card, [url + "/A001"], options)
    mhl = ("--mhl", "none") if ledger_only else ()
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, *mhl, str(other), url)
    assert code == 0, err
    assert run_offload(plan).exit_code == 0
    return url + "/A001"


def test_a_recorded_object_at_a_key_that_is_a_recorded_folder_too_is_read_by_its_key(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, proxy
) -> None:
    """A card holding a file ``CLIPS``, and a second card with clips below ``CLIPS/``
    copied ``--into`` the same copy root: both recorded, which no file tree can hold.
    The clips are read (the mirror holds the folder); the object ``CLIPS`` is read back by
    a GET of its own key and compared with its record: OK (exit 0), then, replaced by other
    bytes of its size, CHANGED (exit 11); never MISSING. Failed before: it was UNREADABLE,
    never read, and nothing said how it could be checked. The copy now refuses the second
    card (``target-type-conflict``) unless the first is copied after its plan (a race no
    preflight closes), as here; earlier versions copied it."""
    url = _a_file_and_a_folder_recorded_at_one_key(s3_server, bucket, tmp_path)
    assert "day1/A001/CLIPS" in keys(s3_server.url, bucket)

    code, out, err = verify(tmp_path, s3_server.url, "--json", url)

    assert code == 0, out + err
    data = json.loads(out)
    assert data["verified"] == sorted([*SMALL, "CLIPS"]) and data["unreadable"] == []
    assert data["missing"] == [] and data["extra"] == [] and data["reasons"] == {}
    assert data["objects_read_back"] == 4

    admin(s3_server.url).put_object(Bucket=bucket, Key="day1/A001/CLIPS", Body=b"x" * 10)
    code, out, _ = verify(tmp_path, s3_server.url, "--json", url)
    shown_code, _, err = verify(tmp_path, s3_server.url, url)

    assert code == shown_code == 11, out
    data = json.loads(out)
    assert data["verified"] == sorted(SMALL) and [c["path"] for c in data["changed"]] == ["CLIPS"]
    assert data["missing"] == [] and data["unreadable"] == [] and data["reasons"] == {}
    said = " ".join(err.split())
    assert f"CHANGED {url}/CLIPS: xxh64 " in said and "MISSING" not in said, said
    csv_text = sorted((tmp_path / "vreports").glob("verify_*.csv"))[-1].read_text()
    assert "\nCLIPS,changed," in csv_text, csv_text

    # Its GET refused (403): UNREADABLE, never OK, saying why and what to do (exit 11).
    proxy.intercept("GET", "/day1/A001/CLIPS HTTP", status=403, count=100)
    code, out, _ = verify(tmp_path, proxy.url, "--json", url)
    assert code == 11, out
    data = json.loads(out)
    assert data["verified"] == sorted(SMALL) and data["unreadable"] == ["CLIPS"]
    assert data["changed"] == [] and data["missing"] == [] and not data["passed"]
    why = data["reasons"]["CLIPS"]
    assert why["code"] == "key-is-folder", why
    assert why["text"] == (
        "an object has its key, recorded, but its key is also a folder of this copy whose "
        "objects are recorded too (CLIPS/...), so this check reads it by its own key, and its "
        "GET was refused (access denied): these credentials may list it but not read it "
        "(s3:GetObject, or the KMS key it is encrypted with); check it again with credentials "
        "that may; it is not verified"
    ), why


def test_against_the_ledger_a_recorded_object_at_a_recorded_folder_is_read_by_its_key(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The two cards of the test above, copied with ``--mhl none``: the S3 ledger is the
    only record, and ``CLIPS`` is read by its own key and compared with the digests the
    ledger recorded: OK, then CHANGED once other bytes of its size stand there. Failed
    before: UNREADABLE (exit 11), never read."""
    url = _a_file_and_a_folder_recorded_at_one_key(s3_server, bucket, tmp_path, ledger_only=True)
    assert not [k for k in keys(s3_server.url, bucket) if "/ascmhl/" in k]

    code, out, err = verify(tmp_path, s3_server.url, "--json", url)
    assert code == 0, out + err
    data = json.loads(out)
    assert data["reference"] == "ledger" and data["unreadable"] == []
    assert data["verified"] == sorted([*SMALL, "CLIPS"]) and data["reasons"] == {}

    admin(s3_server.url).put_object(Bucket=bucket, Key="day1/A001/CLIPS", Body=b"y" * 10)
    code, out, err = verify(tmp_path, s3_server.url, "--json", url)
    assert code == 11, out + err
    assert [c["path"] for c in json.loads(out)["changed"]] == ["CLIPS"]


def test_append_hashes_no_folder_holding_an_object_the_mirror_cannot(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--append`` beside another tool's object at ``CLIPS`` (a folder of the copy): the
    generation lists the clips it read, not ``CLIPS`` (no file tree holds both), so the
    root, which holds it, gets no folder hash (CLIPS/ does). Failed before: the clips were
    not read at all; with them read, the generation hashed the root from the mirror, which
    does not hold the object."""
    card = make_card(tmp_path, SMALL)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    url += "/A001"
    admin(s3_server.url).put_object(Bucket=bucket, Key="day1/A001/CLIPS", Body=b"another")
    code, out, err = verify(tmp_path, s3_server.url, "--append", "--json", url)
    assert code == 21, err
    data = json.loads(out)
    assert data["verified"] == sorted(SMALL) and data["extra"] == ["CLIPS"]
    assert data["generation"].startswith(f"s3://{bucket}/day1/A001/ascmhl/0002_")
    history = tmp_path / "history"
    download_prefix(s3_server.url, bucket, "day1/A001/ascmhl", history / "ascmhl")
    assert hashed_folders(history) == [{".", "CLIPS"}, {"CLIPS"}]
    assert {f.path for f in read_history(history).generations[-1].files} == set(SMALL)


def test_append_is_refused_where_a_recorded_object_cannot_be_read_as_a_file(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The two cards of the test above (a file ``CLIPS`` and clips below ``CLIPS/``, both
    recorded): ``--append`` cannot list the object ``CLIPS`` (the check cannot read it as a
    file), and a generation without it would drop a recorded file without saying so. It is
    refused before anything is read: one line naming the key and what to do, exit 64,
    nothing stored; without ``--append`` the check runs (exit 0: ``CLIPS`` is read by its
    own key). Failed before: a generation was appended that silently did not list
    ``CLIPS``."""
    url = _a_file_and_a_folder_recorded_at_one_key(s3_server, bucket, tmp_path)
    before = sorted(keys(s3_server.url, bucket))

    code, out, err = verify(tmp_path, s3_server.url, "--append", "--author-name", "Dana", url)

    assert code == 64, out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0] == (
        f"ERROR: cannot append a generation to {url}: {url}/CLIPS is recorded, but its object "
        "cannot be read as a file (its key is also a folder of recorded objects (CLIPS/...), "
        "which no file can be at once), and a generation without it would drop a recorded "
        "file without saying so: verify without --append; nothing was verified or appended"
    ), err
    assert sorted(keys(s3_server.url, bucket)) == before  # no generation, no chain change
    assert verify(tmp_path, s3_server.url, url)[0] == 0


def test_a_recorded_key_too_long_for_a_file_name_here_is_read_by_its_key(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, exfat_loop
) -> None:
    """A card on exFAT holds a clip whose name is 204 characters but 404 bytes of UTF-8
    (exFAT counts UTF-16 units; ext4 and tmpfs, where the check holds its local view, take
    255 bytes): the copy stores its key, and the check cannot hold that name as a file.
    The clip is read back by a GET of its own key and compared with its record: OK (exit
    0), never MISSING nor NEW; ``--append`` is refused (a generation cannot list it).
    Failed before: first the recorded clip was MISSING (exit 10: untrue, it is there), its
    key NEW; then UNREADABLE (exit 11), never read."""
    card = exfat_loop(32 * 1024 * 1024, path=tmp_path / "A001").path
    long_name = "\u00e9" * 200 + ".mov"
    clip = f"CLIPS/{long_name}"
    (card / "CLIPS").mkdir()
    (card / clip).write_bytes(b"long" * 1000)
    (card / "A001.xml").write_bytes(b"<clip/>")
    url = f"s3://{bucket}/day1"
    code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, out + err
    url += "/A001"

    code, out, err = verify(tmp_path, s3_server.url, "--json", url)

    assert code == 0, out + err
    data = json.loads(out)
    assert data["verified"] == sorted(["A001.xml", clip]) and data["unreadable"] == []
    assert data["missing"] == [] and data["extra"] == [] and data["changed"] == []
    assert data["reasons"] == {} and data["objects_read_back"] == 2

    code, _, err = verify(tmp_path, s3_server.url, "--append", url)
    assert code == 64 and "verify without --append" in err, err


VERIFY_CARD = {"A001.xml": 900, "CLIPS/A001C001.mov": 3000, "CLIPS/A001C002.mov": 2000}


@pytest.mark.parametrize("reference", ["ascmhl", "ledger", "legacy"])
def test_verify_cancelled_by_sigterm_while_a_get_is_held(
    s3_server, bucket, tmp_path, reference
) -> None:  # type: ignore[no-untyped-def]
    """A real ``offload verify s3://...`` process, SIGTERM while the GET of the second of
    three recorded objects is held by the proxy (never answered): it stops at once (the
    held GET does not keep it), exit 130, and says what a local check's cancel says: the
    object read and matched before is ``verified``, the other two ``cancelled`` (the
    terminal's count, the JSON, the CSV), nothing missing or new. No test before."""
    import re

    card = make_card(tmp_path, VERIFY_CARD)
    url = f"s3://{bucket}/day1"
    mhl = {"ascmhl": "ascmhl", "ledger": "none", "legacy": "legacy"}[reference]
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "--mhl", mhl, str(card), url)
    assert code == 0, err
    legacy = []
    if reference == "legacy":
        (key,) = [
            k for k in keys(s3_server.url, bucket) if re.fullmatch(r"day1/A001/[^/]*\.mhl", k)
        ]
        legacy = ["--mhl-file", f"s3://{bucket}/{key}"]
    code, out, err, data = _sigterm_while_held(
        tmp_path,
        s3_server.port,
        "GET",
        f"/{bucket}/day1/A001/CLIPS/A001C001.mov",
        *legacy,
        f"{url}/A001",
    )
    assert code == 130, out + err
    assert (
        f"{url}/A001: CANCELLED: 1 OK, 0 changed, 0 unreadable before the cancel, "
        "2 not checked (cancelled)"
    ) in out, out
    assert (
        "ERROR: interrupted: the check did not finish; 2 recorded files not checked "
        "(cancelled), and no file is named missing or new"
    ) in err, err
    assert data["exit_code"] == 130 and data["passed"] is False
    assert data["reference"] == reference and data["path"] == f"{url}/A001"
    assert data["verified"] == ["A001.xml"], data
    assert data["cancelled"] == ["CLIPS/A001C001.mov", "CLIPS/A001C002.mov"], data
    assert data["totals"]["verified"] == 1 and data["totals"]["cancelled"] == 2, data
    for empty in ("changed", "missing", "extra", "unreadable"):
        assert data[empty] == [], (empty, data)
    assert data["objects_read_back"] == 1 and data["generation"] is None, data
    (csv,) = (tmp_path / "held-reports").glob("verify_*.csv")
    rows = csv.read_text().splitlines()
    assert rows[1:] == [
        "A001.xml,verified,",
        "CLIPS/A001C001.mov,cancelled,",
        "CLIPS/A001C002.mov,cancelled,",
    ], rows


def _sigterm_while_held(
    tmp_path: Path,
    upstream_port: int,
    method: str,
    path_part: str,
    *args: str,
    then_hold: tuple[str, str] | None = None,
) -> tuple[int, str, str, dict[str, Any]]:
    """Run a real ``offload verify`` process through a proxy holding the first *method*
    request whose path has *path_part* (``FaultProxy.hold``), SIGTERM it once held; returns
    its exit code, stdout, stderr and its JSON report. It must end within 10 s (the held
    request does not keep it). *then_hold* (method, path part): once the first is held, the
    proxy holds those requests too, never answered (a service that stopped answering)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from support.tcpproxy import FaultProxy

    reports = tmp_path / "held-reports"
    proxy = FaultProxy(upstream_port)
    try:
        proxy.hold(method, path_part)
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("offload")),
                "verify",
                "--report-dir",
                str(reports),
                "--s3-endpoint",
                proxy.url,
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        try:
            assert proxy.held.wait(30), f"the {method} was never sent"
            if then_hold is not None:
                proxy.hold(*then_hold)
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            out, err = process.communicate(timeout=30)
            took = time.monotonic() - signalled
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    finally:
        proxy.close()
    assert took < 10, took
    assert "Traceback" not in err, err
    (report,) = reports.glob("verify_*.json")
    return process.returncode, out, err, json.loads(report.read_text())


def test_verify_cancelled_while_a_recorded_object_is_read_by_its_key(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The mirror's check over, SIGTERM while the GET of a recorded object the mirror
    cannot hold (``CLIPS``, also a folder of recorded clips) is held: exit 130, the clips
    read and matched stay ``verified``, ``CLIPS`` is ``cancelled`` (not read), no missing
    or new named, as a local check's cancel. Failed before: a bare "interrupted", nothing
    verified, no count."""
    url = _a_file_and_a_folder_recorded_at_one_key(s3_server, bucket, tmp_path)

    code, out, err, data = _sigterm_while_held(
        tmp_path, s3_server.port, "GET", "/day1/A001/CLIPS HTTP", url
    )

    assert code == 130, out + err
    assert (
        f"{url}: CANCELLED: 3 OK, 0 changed, 0 unreadable before the cancel, "
        "1 not checked (cancelled)"
    ) in out, out
    assert "1 recorded file not checked (cancelled)" in err, err
    assert data["exit_code"] == 130 and data["passed"] is False
    assert data["verified"] == sorted(SMALL) and data["cancelled"] == ["CLIPS"], data
    for empty in ("changed", "missing", "extra", "unreadable"):
        assert data[empty] == [], (empty, data)
    assert data["objects_read_back"] == 3 and data["generation"] is None, data
    assert "missing" in data["not_looked_for"], data


def test_verify_append_cancelled_while_the_generation_is_stored(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--append``, the check over, SIGTERM while the upload of its generation is held:
    exit 130, every object read stays ``verified``, none ``cancelled`` (all were read), no
    generation claimed (it was not stored). Failed before: a bare "interrupted", nothing
    verified."""
    url = copied(s3_server, bucket, tmp_path)

    code, out, err, data = _sigterm_while_held(
        tmp_path, s3_server.port, "PUT", "/ascmhl/", "--append", url
    )

    assert code == 130, out + err
    assert data["exit_code"] == 130 and data["passed"] is False
    assert data["verified"] == sorted(CARD) and data["cancelled"] == [], data
    assert data["objects_read_back"] == len(CARD) and data["generation"] is None, data
    # Every object read, the generation not stored: said so. Failed before: "0 recorded
    # files not checked (cancelled)", nothing of the generation.
    assert "interrupted once every recorded file found was read (3 OK, 0 changed" in err, err
    assert "the new ASC MHL generation was not stored" in err, err
    assert "Recorded in" not in out, out


@pytest.mark.fault
def test_verify_append_cancelled_after_the_local_view_holds_its_generation(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, faulty_fs
) -> None:
    """``--append`` with an object deleted: the check writes its generation into its local
    view, then looks at what stands at the missing name (held by FaultyFS, the view's
    folder on it through TMPDIR) and a real SIGTERM comes: exit 130, the objects read
    ``verified``, no generation claimed (the view's was never stored under the prefix).
    Failed before: the report named the view's temporary generation file as recorded."""
    import os
    import signal
    import subprocess
    import sys
    import time

    url = copied(s3_server, bucket, tmp_path)
    admin(s3_server.url).delete_object(Bucket=bucket, Key="day1/A001/A001.xml")
    fs = faulty_fs()
    rule = fs.stall("getattr", path="*/A001/A001.xml")
    reports = tmp_path / "vreports"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("offload")),
            "verify",
            "--report-dir",
            str(reports),
            "--s3-endpoint",
            s3_server.url,
            "--append",
            url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(fs.mountpoint)},
    )
    try:
        fs.wait_stalled(rule, timeout_s=30)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
    finally:
        fs.release()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err, err
    (report,) = reports.glob("verify_*.json")
    data = json.loads(report.read_text())
    assert data["verified"] == sorted(set(CARD) - {"A001.xml"}), data
    assert data["cancelled"] == [] and data["missing"] == [], data
    assert data["generation"] is None and "Recorded in" not in out, data


def _ascmhl_keys(endpoint: str, bucket: str) -> list[str]:
    return [k for k in keys(endpoint, bucket) if k.startswith("day1/A001/ascmhl/")]


def test_verify_append_cancelled_before_its_chain_leaves_no_orphan_generation(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, judge
) -> None:
    """``--append``: its new manifest stored, a real SIGTERM while the PUT of the chain
    naming it is held: exit 130, and the manifest is taken back (deleted), so the bucket's
    ``ascmhl/`` is what it was before the run and a mirror of it passes the reference
    tool's verify. Failed before: the manifest object stayed, a generation no chain
    names."""
    url = copied(s3_server, bucket, tmp_path)
    before = _ascmhl_keys(s3_server.url, bucket)

    code, out, err, data = _sigterm_while_held(
        tmp_path, s3_server.port, "PUT", "/ascmhl/ascmhl_chain.xml", "--append", url
    )

    assert code == 130, out + err
    assert data["generation"] is None and "Recorded in" not in out, out
    assert _ascmhl_keys(s3_server.url, bucket) == before
    mirror = download_prefix(s3_server.url, bucket, "day1/A001", tmp_path / "dl" / "A001")
    for result in (judge.verify(mirror), judge.diff(mirror)):
        assert result.clean, result.describe()


def test_a_cancel_against_a_silent_service_is_prompt_and_names_what_it_left(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--append``, SIGTERM while the chain's PUT is held and the service answers nothing
    more (the proxy holds the clean-up's DELETE too): the run still ends within 10 s, exit
    130, and the report and the terminal name the manifest it could not take back, with the
    command that removes it. Failed before: the DELETE waited for the read timeout (60 s)
    and its retries, the run did not end within 30 s."""
    url = copied(s3_server, bucket, tmp_path)
    before = _ascmhl_keys(s3_server.url, bucket)

    code, out, err, data = _sigterm_while_held(
        tmp_path,
        s3_server.port,
        "PUT",
        "/ascmhl/ascmhl_chain.xml",
        "--append",
        url,
        then_hold=("DELETE", "/ascmhl/"),
    )

    assert code == 130, out + err
    (note,) = data["notes"]
    # The manifest stored before the chain (its DELETE may still land once the proxy lets
    # it go, as the note's "may" says).
    (left,) = re.findall(r"--key (\S+)\)", note)
    assert left.startswith("day1/A001/ascmhl/0002_") and left not in before, note
    assert f"s3://{bucket}/{left}" in note and "may be left" in note, note
    # The command names the endpoint the run used (before: none, so pasted it went to AWS).
    command = rf"aws s3api delete-object --endpoint-url http://127\.0\.0\.1:\d+ --bucket {bucket} "
    assert re.search(command + rf"--key {re.escape(left)}", note), note
    assert "had not finished" in note, note
    assert note.split(": ", 1)[1][:60] in " ".join(err.split()), err
    (entry,) = data["left_behind"]["objects"]  # the same object, structured
    assert data["left_behind"]["count"] == 1 and data["left_behind"]["all_listed"] is True
    assert entry["key"] == left and entry["url"] == f"s3://{bucket}/{left}", entry
    assert entry["remove"] in note and "had not finished" in entry["reason"], entry
    assert entry["refused"] is False and "destination_index" not in entry, entry


def test_verify_append_whose_chain_is_refused_takes_back_its_manifest_version(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--append`` on a versioned bucket, the PUT of the chain refused (AccessDenied,
    through the proxy): the run fails saying nothing was appended, and the manifest it had
    stored is deleted by its version id: no current object, no noncurrent version, no
    delete marker left under ``ascmhl/``. Failed before: the manifest stayed, an orphan
    generation."""
    from support.tcpproxy import FaultProxy

    client = admin(s3_server.url)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    url = copied(s3_server, bucket, tmp_path)
    listing = client.list_object_versions(Bucket=bucket, Prefix="day1/A001/ascmhl/")
    before = sorted((v["Key"], v["VersionId"]) for v in listing.get("Versions", []))

    proxy = FaultProxy(s3_server.port)
    try:
        proxy.intercept("PUT", "/ascmhl/ascmhl_chain.xml", status=403)
        code, out, err = verify(tmp_path, proxy.url, "--append", url)
    finally:
        proxy.close()

    assert code != 0 and "nothing was appended" in err, out + err
    listing = client.list_object_versions(Bucket=bucket, Prefix="day1/A001/ascmhl/")
    after = sorted((v["Key"], v["VersionId"]) for v in listing.get("Versions", []))
    assert after == before, after
    assert listing.get("DeleteMarkers", []) == [], listing["DeleteMarkers"]


def _beaten_append_report(tmp_path: Path, code: int, out: str, err: str) -> dict[str, Any]:
    """The saved JSON report of an ``--append`` whose generation was not put under the
    prefix once the check was over: exit 11, the check's results standing (every file
    verified), no generation."""
    assert code == 11, out + err
    assert "nothing was appended" in err and "Traceback" not in err, err
    (saved,) = (tmp_path / "vreports").glob("verify_*.json")
    data = json.loads(saved.read_text())
    assert data["exit_code"] == 11 and data["generation"] is None, data
    assert data["passed"] is False and data["generation_unwritten"] is True, data
    assert data["verified"] == sorted(CARD), data
    assert data["objects_read_back"] == len(CARD), data
    return data


def test_verify_append_whose_generation_cannot_be_written_locally_keeps_its_results(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, faulty_fs, monkeypatch
) -> None:
    """``--append`` whose generation cannot be written in its local staging mirror (ENOSPC
    under TMPDIR, a real FUSE fault): one line naming that folder and what to do, exit 11,
    the check's results reported, nothing stored under ``ascmhl/``. Failed before: a
    TypeError traceback (the error rebuilt without its report)."""
    import errno
    import tempfile

    url = copied(s3_server, bucket, tmp_path)
    before = _ascmhl_keys(s3_server.url, bucket)
    fs = faulty_fs()
    fs.fail("write", errno.ENOSPC, path="*/A001/ascmhl/.0002_*")
    monkeypatch.setattr(tempfile, "tempdir", str(fs.mountpoint))
    code, out, err = verify(tmp_path, s3_server.url, "--append", url)
    _beaten_append_report(tmp_path, code, out, err)
    said = " ".join(err.split())
    assert f"written in its local staging folder (under {fs.mountpoint}, TMPDIR)" in said, said
    assert "No space left on device" in said and "set TMPDIR to another folder" in said, said
    assert _ascmhl_keys(s3_server.url, bucket) == before


def test_verify_append_whose_generation_cannot_be_stored_keeps_its_results(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--append`` whose manifest's PUT is refused (AccessDenied, through the proxy): exit
    11, the check's results reported as README says, no generation, nothing left under
    ``ascmhl/``. Failed before: exit 11 with one line, no report ("nothing was appended")."""
    from support.tcpproxy import FaultProxy

    url = copied(s3_server, bucket, tmp_path)
    before = _ascmhl_keys(s3_server.url, bucket)
    proxy = FaultProxy(s3_server.port)
    try:
        proxy.intercept("PUT", "/ascmhl/0002_", status=403)
        code, out, err = verify(tmp_path, proxy.url, "--append", url)
    finally:
        proxy.close()
    _beaten_append_report(tmp_path, code, out, err)
    assert "could not be stored" in err, err
    assert _ascmhl_keys(s3_server.url, bucket) == before


def test_a_copy_whose_chain_is_refused_leaves_no_orphan_generation(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``offload`` to S3 stores its manifests in the same order (the generation, then the
    chain): the chain's PUT refused, the run says the manifest was not written and leaves
    no ``ascmhl/`` object behind. Failed before: the generation's manifest stayed."""
    from support.tcpproxy import FaultProxy

    card = make_card(tmp_path)
    proxy = FaultProxy(s3_server.port)
    try:
        proxy.intercept("PUT", "/ascmhl/ascmhl_chain.xml", status=403)
        code, out, err = offload(
            tmp_path, "--s3-endpoint", proxy.url, str(card), f"s3://{bucket}/day1"
        )
    finally:
        proxy.close()

    assert code != 0, out + err
    assert _ascmhl_keys(s3_server.url, bucket) == []
    assert "day1/A001/CLIPS/A001C001.mov" in keys(s3_server.url, bucket)


def test_an_appended_generation_dates_each_file_by_its_mtime_metadata(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--append`` records each file's date: the card file's, from the object's ``mtime``
    metadata (which ``offload copy`` writes and rclone reads), where it holds a valid time;
    else the upload time (an object stored by another tool, or with a malformed value).
    Failed before: every file dated by its upload time."""
    import os

    card = make_card(tmp_path)
    old = 1_500_000_000  # 2017-07-14T02:40:00Z, long before any upload here
    for path in card.rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    client = admin(s3_server.url)
    # Another tool's object of the same bytes: no mtime metadata (a malformed one, likewise).
    clips = sorted(k for k in keys(s3_server.url, bucket) if k.startswith("day1/A001/CLIPS/"))
    for key, metadata in zip(clips[:2], ({}, {"mtime": "not-a-time"}), strict=True):
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        client.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)
    code, out, err = verify(tmp_path, s3_server.url, "--append", f"{url}/A001")
    assert code == 0, out + err
    (generation,) = [k for k in _ascmhl_keys(s3_server.url, bucket) if "/0002_" in k]
    text = client.get_object(Bucket=bucket, Key=generation)["Body"].read().decode()
    by_path = {
        path: date for date, path in re.findall(r'lastmodificationdate="([^"]+)">([^<]+)<', text)
    }
    card_files = [p.relative_to(card).as_posix() for p in card.rglob("*") if p.is_file()]
    retold = {k[len("day1/A001/") :] for k in clips[:2]}
    for relative in card_files:
        if relative in retold:
            assert not by_path[relative].startswith("2017-07-14"), (relative, by_path)
        else:
            assert by_path[relative].startswith("2017-07-14T02:40:00"), (relative, by_path)


def test_the_mtime_metadata_reads_back_what_copy_writes_and_nothing_else() -> None:
    """``mtime_from_metadata`` is the inverse of ``mtime_metadata`` to the nanosecond, takes
    rclone's shorter fractions, and refuses what is no such time."""
    from offload.destinations.s3 import mtime_from_metadata, mtime_metadata

    for ns in (0, 1, 1_500_000_000_123_456_789, 1_700_000_000_000_000_000):
        assert mtime_from_metadata(mtime_metadata(ns)) == ns
    assert mtime_from_metadata({"mtime": "1700000000.5"}) == 1_700_000_000_500_000_000
    assert mtime_from_metadata({"mtime": "1700000000"}) == 1_700_000_000_000_000_000
    for bad in ("", "-1", "1e9", "17 00", "1.2.3", "1.1234567890", "99999999999999", "nan"):
        assert mtime_from_metadata({"mtime": bad}) is None, bad
    assert mtime_from_metadata({}) is None


def test_append_asks_no_head_an_object_for_the_dates(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    """``--append`` dates each file by its object's ``mtime`` metadata, which the GET that
    hashes the object carries in its answer: no HEAD an object (on a real service each is
    a round trip, minutes for a card of thousands of files). Counted at the proxy: the
    check's requests are the preflight's, the listings, the history's GETs, one GET an
    object and the generation's PUTs; the dates are still the card files'. Failed before:
    one HEAD an object (4 here) on top of its GET."""
    import os

    card = make_card(tmp_path)
    old = 1_500_000_000
    for path in card.rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    objects = [p for p in card.rglob("*") if p.is_file()]
    proxy.reset()
    code, out, err = verify(tmp_path, proxy.url, "--append", "--json", f"{url}/A001")
    assert code == 0, out + err
    targets = proxy.targets
    heads = [
        target
        for method, target in zip(proxy.stats.methods, targets, strict=True)
        if method == "HEAD" and "/day1/A001/" in target
    ]
    assert heads == [], heads  # (the preflight's HeadBucket is not an object's)
    content_gets = [
        target
        for method, target in zip(proxy.stats.methods, targets, strict=True)
        if method == "GET"
        and "/day1/A001/" in target
        and "/ascmhl/" not in target
        and "/.offload/" not in target
        and "list-type" not in target
    ]
    assert len(content_gets) == len(objects), content_gets
    client = admin(s3_server.url)
    (generation,) = [k for k in _ascmhl_keys(s3_server.url, bucket) if "/0002_" in k]
    text = client.get_object(Bucket=bucket, Key=generation)["Body"].read().decode()
    by_path = {p: d for d, p in re.findall(r'lastmodificationdate="([^"]+)">([^<]+)<', text)}
    for path in objects:
        assert by_path[path.relative_to(card).as_posix()].startswith("2017-07-14T02:40:00")


@pytest.mark.parametrize("recorded", ["NFC", "NFD"])
def test_against_the_ledger_an_object_respelled_is_read_as_its_record(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, recorded
) -> None:
    """A copy whose ledger records a name composed (NFC) and whose object now stands under
    the decomposed (NFD) key (a Mac tool uploaded it again), or the reverse: ``offload
    verify s3://...``
    reads that object against the record of its other spelling, as the disk verify does
    (``verification._respelled``): OK, never missing under one spelling and new under the
    other; other bytes there are CHANGED (exit 11)."""
    import unicodedata

    composed = unicodedata.normalize(recorded, "CLIPS/Café.mov")
    decomposed = unicodedata.normalize("NFD" if recorded == "NFC" else "NFC", composed)
    card = make_card(tmp_path, {"A001.xml": 900, composed: 5_000})
    url = f"s3://{bucket}/day1"
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--mhl", "none", str(card), url
    )
    assert code == 0, err
    client = admin(s3_server.url)
    body = (card / composed).read_bytes()
    client.put_object(Bucket=bucket, Key=f"day1/A001/{decomposed}", Body=body)
    client.delete_object(Bucket=bucket, Key=f"day1/A001/{composed}")
    code, out, err = verify(tmp_path, s3_server.url, "--json", f"{url}/A001")
    data = json.loads(out)
    assert code == 0, (err, data)
    assert data["missing"] == [] and data["extra"] == [], data
    assert sorted(data["verified"]) == ["A001.xml", decomposed], data
    client.put_object(Bucket=bucket, Key=f"day1/A001/{decomposed}", Body=b"y" * len(body))
    code, out, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 11, err
    # The terminal spells the decomposed name apart from its NFC twin (errors.spelled_apart).
    assert f"CHANGED s3://{bucket}/day1/A001/{spelled_apart(decomposed)}" in err, err


def test_a_reason_naming_a_key_spells_it_once_in_the_csv(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Another tool's object at a key holding a control character and a backslash, objects
    below it too (``key-is-folder``): the CSV's cell gives the key within the reason as the
    path column gives a name (``\\x01`` once, the backslash ``\\\\``); the terminal and the
    JSON keep their spelling. Failed before: the cell held the terminal's escape escaped
    again (``K\\\\x01\\\\D``), which reads back as another name."""
    from offload.report.csv_cells import cell

    url = copied(s3_server, bucket, tmp_path)
    client = admin(s3_server.url)
    key = "K\x01\\D"
    client.put_object(Bucket=bucket, Key=f"day1/A001/{key}", Body=b"another tool's object")
    client.put_object(Bucket=bucket, Key=f"day1/A001/{key}/x.bin", Body=b"below")

    code, out, err = verify(tmp_path, s3_server.url, "--json", url)

    assert code == 21, out + err
    data = json.loads(out)
    assert data["reasons"][key] == {
        "code": "key-is-folder",
        "text": "its key is also a folder of this copy (objects lie below it: K\\x01\\D/...), "
        "which no file can be at once; it is not read",
    }, data["reasons"]
    csv_text = sorted((tmp_path / "vreports").glob("verify_*.csv"))[-1].read_text()
    exact = (
        f"its key is also a folder of this copy (objects lie below it: {key}/...), which no "
        "file can be at once; it is not read"
    )
    rows = {row[0]: row for row in csv.reader(io.StringIO(csv_text))}
    assert rows[cell(key)][1:] == ["new", cell(exact)], rows
    assert "\\\\x01" not in csv_text, csv_text


def test_the_mirrors_reasons_give_each_name_as_it_is_for_the_csv() -> None:
    """The reasons the mirror rewrites or builds (a recorded key whose objects lie below it,
    a recorded object read by its own key) hold a name in the terminal's spelling in their
    text and as it is in their ``exact`` (``naming_reason``), as the local check's do.
    Failed before: no ``exact``, so the CSV escaped the terminal's escape again."""
    from offload.destinations.s3verify import (
        _bucket_reasons,
        _recorded_unread,
        _shadowed_reason,
    )
    from offload.manifest.verify import Reason

    key = "K\x01\\D"
    (folder,) = _bucket_reasons({key: Reason("folder", "a folder stands there")}, {}).values()
    assert folder.text.startswith("no object has its key, but objects lie below it (K\\x01\\D/")
    assert folder.exact is not None and f"({key}/...)" in folder.exact, folder
    unread = _recorded_unread(key, _shadowed_reason(key), "its GET failed")
    assert "(K\\x01\\D/...)" in unread.text, unread
    assert unread.exact is not None and f"({key}/...)" in unread.exact, unread
    assert unread.exact.replace(key, "K\\x01\\D") == unread.text


@pytest.mark.parametrize(
    ("mhl", "records"), [("ascmhl", "/ascmhl/"), ("none", "/.offload/ledger/")]
)
def test_records_the_service_fails_to_give_are_one_line_exit_11(  # type: ignore[no-untyped-def]
    s3_server, proxy, bucket, tmp_path, monkeypatch, mhl: str, records: str
) -> None:
    """The GETs of the copy's records (its ASC MHL history, or its ledger) answered 500 to
    the end of the retries: the check cannot be complete, one line with the service's
    words and what to do, exit 11, nothing verified. Failed before: an OSError traceback
    from the ledger's load (exit 1); a history's object unread became a key no file could
    be named, checked against the ledger alone."""
    card = make_card(tmp_path, {"a.wav": 1000})
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "--mhl", mhl, str(card), url)
    assert code == 0, err
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    proxy.intercept("GET", records, status=500, code="InternalError", count=1000)
    code, out, err = verify(tmp_path, proxy.url, f"{url}/A001")
    assert code == 11, out + err
    line = err.strip().splitlines()[0]
    # The one wording of a copy root's records unread (``s3unread``, as a copy's ledger):
    # the records, the object that failed by its URL (the bucket), the endpoint and the
    # service's code, then what to do.
    assert line.startswith(
        f"ERROR: cannot read the records of {url}/A001 (its ASC MHL history and ledger): "
        f"cannot read {url}/A001{records}"
    ), line
    assert f" ({proxy.url}): InternalError intercepted by the test proxy " in line, line
    assert line.endswith(
        "(the service kept failing after the retries) (EIO): check it again once the "
        "service answers; nothing was verified"
    ), line


def test_verify_names_a_manifest_the_chain_does_not_list_by_its_url(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """A generation of the bucket's history whose chain entry was removed (its manifest
    kept): the warning and the report's note name the manifest by its ``s3://`` URL, never
    the local view's temporary path, and ``--append`` refuses (exit 31), storing nothing.
    Failed before: nothing said, exit 0, and ``--append`` stored 0003 on top."""
    url = copied(s3_server, bucket, tmp_path)
    code, out, err = verify(tmp_path, s3_server.url, "--append", url)
    assert code == 0, out + err
    client = admin(s3_server.url)
    chain_key = "day1/A001/ascmhl/ascmhl_chain.xml"
    text = client.get_object(Bucket=bucket, Key=chain_key)["Body"].read().decode()
    client.put_object(Bucket=bucket, Key=chain_key, Body=chain_without(text, 2).encode())
    (second,) = [k for k in keys(s3_server.url, bucket) if "/ascmhl/0002_" in k]
    manifest = f"s3://{bucket}/{second}"

    code, out, err = verify(tmp_path, s3_server.url, "--json", url)

    assert code == 0, out + err
    note = unlisted_note(manifest)
    assert json.loads(out)["notes"] == [note], out
    before = set(keys(s3_server.url, bucket))
    code, out, err = verify(tmp_path, s3_server.url, "--append", url)
    assert code == 31, out + err
    assert f"on top of ASC MHL manifest {manifest}, which ascmhl_chain.xml" in err, err
    assert "offload-s3-verify" not in err, err
    assert set(keys(s3_server.url, bucket)) == before


def test_verify_refuses_a_service_out_of_reach_as_quickly_as_copy(tmp_path: Path) -> None:
    """The first call of ``offload verify s3://`` is the preflight's, as ``offload copy``'s
    (its quick client: two attempts): the lock object's read, through the store's own
    client (nine attempts and their back-off), came first before, ~10 s to refuse an
    endpoint out of reach (11 connections where copy makes 2)."""
    with resetting_endpoint() as (url, taken):
        code, out, err = verify(tmp_path, url, "s3://rushes/day1")
    assert code == 64 and out == "", err
    assert len(err.strip().splitlines()) == 1 and "cannot be reached" in err, err
    assert "nothing was verified" in err, err
    assert taken[0] == 2, taken


def test_the_check_suggested_below_reaches_the_same_service(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``offload verify --s3-endpoint EP s3://B/day1`` (the folder above a copy root): the
    command it suggests for the copy root below carries ``--s3-endpoint`` (pasted, it checks
    the same service). Failed before: ``check it with: offload verify s3://B/day1/A001``,
    which goes to AWS."""
    copied(s3_server, bucket, tmp_path)
    code, out, err = verify(tmp_path, s3_server.url, f"s3://{bucket}/day1")
    assert code == 30, out + err
    first = err.splitlines()[0]
    assert first.endswith(
        f"check it with: offload verify --s3-endpoint {s3_server.url} s3://{bucket}/day1/A001"
    ), err
