"""``offload copy CARD /local s3://bucket/prefix`` end to end: a real moto server process,
real boto3, the real CLI; the S3 copy read back, recorded in a ledger and an ASC MHL history
under the prefix; a re-run trusts it; bad credentials and a missing bucket stop before the
first byte (exit 64); a known secret appears in no output and no file."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from pathlib import Path

import xxhash

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest.history import read_history
from s3.conftest import SECRET_KEY, admin
from support.tcpproxy import FaultProxy

MiB = 1024 * 1024
CARD = {"CLIPS/A001C001.mov": 7 * MiB + 3, "CLIPS/A001C002.mov": 200_000, "A001.xml": 900}


def make_card(tmp: Path, sizes: Mapping[str, int] = CARD) -> Path:
    card = tmp / "A001"
    for relative, size in sizes.items():
        path = card / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return card


def card_local_url(
    tmp: Path, bucket: str, sizes: Mapping[str, int] = CARD
) -> tuple[Path, Path, str]:
    """A card of *sizes*, an empty local destination folder, and ``s3://bucket/day1``."""
    local = tmp / "local"
    local.mkdir()
    return make_card(tmp, sizes), local, f"s3://{bucket}/day1"


def offload(tmp: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["copy", "--report-dir", str(tmp / "reports"), *args],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    return code, out.getvalue(), err.getvalue()


def keys(endpoint: str, bucket: str) -> list[str]:
    listing = admin(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_copy_to_local_and_s3(s3_server, bucket, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    code, out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), str(local), url
    )
    assert code == 0, err
    client = admin(s3_server.url)
    for relative in CARD:
        data = (card / relative).read_bytes()
        assert client.get_object(Bucket=bucket, Key=f"day1/A001/{relative}")["Body"].read() == data
        assert (local / "A001" / relative).read_bytes() == data
    stored = keys(s3_server.url, bucket)
    assert any(k.startswith("day1/A001/ascmhl/") and k.endswith(".mhl") for k in stored)
    assert any(k.startswith("day1/A001/.offload/ledger/") for k in stored)
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    # The ASC MHL history on S3 is a valid history naming every file with its xxh64.
    staging = tmp_path / "mhl" / "A001"
    for key in stored:
        if key.startswith("day1/A001/ascmhl/"):
            target = staging / key[len("day1/A001/") :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    history = read_history(staging)
    recorded = {
        entry.path: {h.format: h.value for h in entry.hashes}.get("xxh64")
        for generation in history.generations
        for entry in generation.files
    }
    for relative in CARD:
        assert recorded[relative] == xxhash.xxh64((card / relative).read_bytes()).hexdigest()
    # The report names the copies by their s3:// URL and says how they were read back.
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert events
    assert "/s3:/" not in out
    assert f"{url}/A001/CLIPS/A001C001.mov" in out

    # A second run trusts what the ledger on S3 records: nothing is uploaded again.
    code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), url)
    assert code == 0, err
    # Nothing uploaded, no new generation: only this run's reports (.offload/reports/).
    again = keys(s3_server.url, bucket)
    assert [k for k in again if "/.offload/reports/" not in k] == [
        k for k in stored if "/.offload/reports/" not in k
    ]
    assert len(again) == len(stored) + 4  # JSON, CSV, HTML, PDF
    assert "verified earlier" in err.lower()


def test_missing_bucket_and_bad_endpoint_exit_64_nothing_written(s3_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), "s3://nope-bucket/x"
    )
    assert code == 64
    assert "s3://nope-bucket/x" in err and "does not exist" in err
    assert list(local.iterdir()) == []  # nothing written on the local destination either


def test_secret_in_no_output_and_no_file(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    outputs, codes = [], []
    for args in (
        ("--json", str(card), str(local), url),
        (str(card), str(local), url),  # again: trusted from the ledger on S3
        (str(card), "s3://nope-bucket/x"),
    ):
        code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, *args)
        outputs += [out, err]
        codes.append(code)
    assert codes == [0, 0, 64]
    assert SECRET_KEY not in "".join(outputs)
    for folder, _, names in os.walk(tmp_path):
        for name in names:
            assert SECRET_KEY.encode() not in (Path(folder) / name).read_bytes(), name
    client = admin(s3_server.url)
    for key in keys(s3_server.url, bucket):
        got = client.get_object(Bucket=bucket, Key=key)
        assert SECRET_KEY.encode() not in got["Body"].read()
        assert SECRET_KEY not in json.dumps(got["Metadata"])


def test_copy_to_s3_only(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    (card / "link.xml").symlink_to("A001.xml")
    code, _, err = offload(
        tmp_path,
        "--s3-endpoint",
        s3_server.url,
        "--verify",
        "destination",
        str(card),
        f"s3://{bucket}",
    )
    # Every file verified; the symlink could not be stored there and is named (exit 1).
    assert code == 1, err
    assert "cannot create symlink s3://" in err and "no symlinks" in err
    client = admin(s3_server.url)
    for relative in CARD:
        data = (card / relative).read_bytes()
        assert client.get_object(Bucket=bucket, Key=f"A001/{relative}")["Body"].read() == data
    assert not Path("s3:").exists() and not Path("/s3:").exists()  # nothing local made


def test_links_s3_cannot_hold_are_named_everywhere_the_exit_code_is_explained(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """Failed before: exit 1 while the summary said "The 1 file ... is verified on every
    destination", the table's result `ok`, the JSON destination `result` `ok` with no count
    of what failed, and no warning before the copy (a disk that may not hold links gets
    one); `totals.symlinks` counted each link once per destination."""
    card = make_card(tmp_path, {"a.mov": 10})
    (card / "link.mov").symlink_to("a.mov")
    (card / "other.mov").symlink_to("a.mov")
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/r5"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), url)
    assert code == 1, err
    warning = f"WARNING: {url}/A001 cannot hold the symlink 'link.mov'"
    assert warning in err and "the offload will exit 1" in err
    assert err.index(warning) < err.index("verified on every destination")  # beforehand
    assert "verified on every destination" in err  # the files are
    assert (
        f"LINKS NOT COPIED to {url}: 2 symlinks of the card could not be made there "
        "(an object store holds no symlinks): link.mov, other.mov." in err
    )
    row = next(line for line in err.splitlines() if line.strip().startswith(url))
    assert row.split()[-1] == "FAILED"
    report = json.loads(sorted((tmp_path / "reports").glob("*.json"))[-1].read_text())
    assert report["exit_code"] == 1
    assert report["totals"]["symlinks"] == 2  # the card's, as files and folders count
    on_disk, on_s3 = report["destinations"]
    assert (on_disk["result"], on_disk["symlinks_failed"]) == ("ok", 0)
    assert (on_s3["result"], on_s3["symlinks_failed"]) == ("failed", 2)
    assert any(w["code"] == "symlink-unsupported" for w in report["warnings"])
    # The dry run exits as the run does (failed before: 0 beside that warning).
    code, out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--dry-run", "--json", str(card), str(local), url
    )
    assert code == 1, err
    assert json.loads(out)["exit_reason"] == "2 warnings name a step that would fail", out
    code, out, _ = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), str(local), url
    )
    assert code == 1
    (final,) = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job_report"]
    assert [(d["result"], d["symlinks_failed"]) for d in final["destinations"]] == [
        ("ok", 0),
        ("failed", 2),
    ]


def test_dry_run_names_the_url_and_writes_nothing(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path)
    code, out, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, "--dry-run", str(card), f"s3://{bucket}/d"
    )
    assert code == 0, err
    assert f"s3://{bucket}/d/A001" in out + err and "/s3:/" not in out + err
    assert keys(s3_server.url, bucket) == []


def test_a_rerun_checks_the_recorded_objects_by_one_listing(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A re-run of a card verified on S3 asked for every recorded object by its own HEAD (a
    # round trip a file: minutes on a real service for a card of thousands); one listing of
    # the copy root answers for them all.
    sizes = {f"DCIM/100CANON/IMG_{n:04d}.JPG": 700 + n for n in range(60)}
    card, local, url = card_local_url(tmp_path, bucket, sizes)
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), str(local), url)
    assert code == 0, err
    proxy = FaultProxy(s3_server.port)
    try:
        code, _, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), url)
        heads = proxy.stats.methods.count("HEAD")
    finally:
        proxy.close()
    assert code == 0, err
    assert "verified earlier and trusted from the destination's ledger" in err
    assert ": 60 (verified" in err  # every file trusted, none re-read or sent again
    assert heads < 10, heads


def test_history_missing_after_a_crash_is_written_by_the_next_run(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """The state a run killed before its manifest step leaves (its files verified, recorded
    in the ledger under the prefix, no ``ascmhl/``; legacy MHL neither): the next run, which
    verifies nothing new, writes them, the files recorded as verified earlier. Failed
    before: exit 0, "verified earlier", and no manifest ever."""
    card = make_card(tmp_path)
    url = f"s3://{bucket}/day1"
    args = ("--s3-endpoint", s3_server.url, "--mhl", "both", str(card), url)
    code, _, err = offload(tmp_path, *args)
    assert code == 0, err
    client = admin(s3_server.url)
    manifests = [k for k in keys(s3_server.url, bucket) if "/ascmhl/" in k or k.endswith(".mhl")]
    assert any(k.endswith("ascmhl_chain.xml") for k in manifests)
    for key in manifests:
        client.delete_object(Bucket=bucket, Key=key)
    code, _, err = offload(tmp_path, *args)
    assert code == 0, err
    assert f"there is no ASC MHL history on {url}/A001" in err, err
    assert f"there is no legacy MHL on {url}/A001" in err, err
    again = [k for k in keys(s3_server.url, bucket) if "/ascmhl/" in k or k.endswith(".mhl")]
    assert len(again) == len(manifests)
    # complete now: a third run writes nothing more
    code, _, err = offload(tmp_path, *args)
    assert code == 0 and "stopped before writing" not in err, err
    assert [
        k for k in keys(s3_server.url, bucket) if "/ascmhl/" in k or k.endswith(".mhl")
    ] == again


def test_a_bucket_copied_in_transfer_mode_is_never_called_done_on_the_terminal(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``--verify transfer`` to a folder and a bucket, on a real pty: each row of the last
    frame, and each result of the summary, says "transfer-checked" (the bucket's objects
    were uploaded with their checksums, never read back), not "done" or "ok" in green."""
    from support.terminal import run_on_terminal

    sizes = {"CLIPS/A001C001.mov": 300_000, "A001.xml": 900}
    card, local, url = card_local_url(tmp_path, bucket, sizes)
    run = run_on_terminal(
        "copy", "--s3-endpoint", s3_server.url, "--verify", "transfer",
        "--report-dir", tmp_path / "reports", card, local, url,
    )  # fmt: skip
    assert run.returncode == 0, run.text
    rows = [line.split() for line in run.lines if line[:3] in ("1  ", "2  ")]
    assert [row[2] for row in rows] == ["transfer-checked"] * 2, run.text
    assert run.colour(url, "transfer-checked") == "blue", run.text
    results = [line for line in run.lines if "B/s" in line and line.rstrip().endswith("transfer-")]
    assert len(results) == 2, run.text  # "transfer-" above "checked", as the header
    assert not [line for line in run.lines if line.rstrip().endswith(" ok")], run.text
