"""A re-run that trusts, from the ledger, S3 copies an earlier ``--verify transfer`` run
size-checked only (a service that stores a part whatever its checksum: the real S3 test
server in its ``no-checksums`` mode) says so of them: "size-checked only ... by an earlier
run", never "sizes and in-flight hashes checked", in the terminal, the JSON (each trusted
copy's ``size_checked_only``), the HTML and ``offload history``. The fact is kept in the
ledger (``transfer_check``); an S3 entry without it (a version before the key) cannot tell,
and is said size-checked only too. Real offloads, a real local folder beside the bucket."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from s3.conftest import S3Server, admin, new_bucket
from s3.test_s3_cli import make_card, offload


def _history(reports: Path) -> str:
    listed = io.StringIO()
    code = main(
        ["history", "--report-dir", str(reports)],
        Environment(stdout=listed, stderr=io.StringIO(), install_signal_handlers=False),
    )
    assert code == 0
    return " ".join(listed.getvalue().split())


def _ledger_lines(endpoint: str, bucket: str) -> dict[str, list[dict[str, object]]]:
    """Each ledger object of the bucket (its key) and its lines, read with a plain client."""
    client = admin(endpoint)
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    found = {}
    for item in listing:
        key = str(item["Key"])
        if "/.offload/ledger/" in key:
            text = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            found[key] = [json.loads(line) for line in text.splitlines()]
    return found


def _run(tmp: Path, name: str, endpoint: str, *args: str) -> tuple[str, dict[str, object], Path]:
    """An offload with its reports in tmp/name/reports (a folder of its own: one report
    there): what the terminal said (one line of words), the JSON report and the folder."""
    folder = tmp / name
    folder.mkdir()
    code, out, err = offload(folder, "--s3-endpoint", endpoint, "--verify", "transfer", *args)
    assert code == 0, err
    (report,) = (folder / "reports").glob("*.json")
    return " ".join((out + err).split()), json.loads(report.read_text()), folder / "reports"


def test_a_rerun_says_size_checked_only_of_the_copies_it_trusts(
    unchecked: S3Server, tmp_path: Path
) -> None:
    """Failed before: the re-run said "sizes and in-flight hashes checked ... (4 copies; 4
    checked by an earlier run)", the HTML "Transfer-checked earlier", ``offload history``
    "transfer-checked", beside the s3-checksums-unchecked warning; and, one new card file
    later, "1 copy on s3://... size-checked only" of a bucket holding 3 such copies."""
    bucket = new_bucket(unchecked.url)
    card = make_card(tmp_path, {"CLIPS/a.mov": 4000, "CLIPS/b.mov": 5000})
    local = tmp_path / "d6"
    local.mkdir()
    url = f"s3://{bucket}/tc"
    args = (str(card), str(local), url)
    said, document, _ = _run(tmp_path, "one", unchecked.url, *args)
    assert f"2 copies on {url} size-checked only" in said, said
    # Each copy says what its own check proved: the bucket's, sized alone now, say so (as
    # the destination does); the folder's say nothing (the key only where true).
    copies = [d for f in document["files"] for d in f["destinations"]]
    assert sorted((d["index"], d["action"], d.get("size_checked_only")) for d in copies) == [
        (0, "copied", None),
        (0, "copied", None),
        (1, "copied", True),
        (1, "copied", True),
    ]
    assert [d["size_checked_only"] for d in document["destinations"]] == [False, True]
    # The CSV's last column says so of the same copies.
    with next((tmp_path / "one" / "reports").glob("*.csv")).open(newline="") as table:
        rows = list(csv.DictReader(table))
    assert sorted((r["destination_index"], r["size_checked_only"]) for r in rows) == [
        ("0", ""),
        ("0", ""),
        ("1", "true"),
        ("1", "true"),
    ]
    # The ledger keeps what the check proved, for the next run.
    lines = [line for found in _ledger_lines(unchecked.url, bucket).values() for line in found]
    assert lines and {line.get("transfer_check") for line in lines} == {"size"}, lines

    said, document, reports = _run(tmp_path, "two", unchecked.url, *args)
    assert "in-flight hashes checked" not in said, said
    assert f"2 copies on {url} size-checked only (all by an earlier run" in said, said
    assert "2 of them size-checked only" in said, said  # the trusted copies' own line
    # The note on copies trusted on name, size and date (no card identity): what their
    # earlier check proved: the folder's transfer-checked, the bucket's size-checked only
    # (before: "transfer-checked only (never read back) by an earlier run" of all 4).
    assert (
        "trusted from their ledgers as transfer-checked only (never read back) or, 2 of them, "
        "size-checked only (never read back) by an earlier run" in said
    ), said
    copies = [d for f in document["files"] for d in f["destinations"]]
    assert {d["action"] for d in copies} == {"trusted"}, copies
    # Each trusted copy says what its earlier check proved; the destination's flag stays
    # this run's (no copy size-checked now).
    assert sorted((d["index"], d.get("size_checked_only", False)) for d in copies) == [
        (0, False),
        (0, False),
        (1, True),
        (1, True),
    ]
    assert not any("size_checked_only" in d for d in copies if d["index"] == 0), copies
    assert [d["size_checked_only"] for d in document["destinations"]] == [False, False]
    html = next(reports.glob("*.html")).read_text()
    assert "Size-checked earlier (" in html, html
    assert "2 size-checked earlier (trusted from the ledger, never read back)" in html, html
    assert "2 transfer-checked earlier (trusted from the ledger, never read back)" in html
    assert "2 of those size-checked only" in html, html
    assert "size-checked only" in _history(reports)

    (card / "CLIPS" / "new.mov").write_bytes(b"n" * 3000)
    said, document, _ = _run(tmp_path, "three", unchecked.url, *args)
    # Every size-checked copy of the bucket counted: this run's and the trusted ones.
    assert f"3 copies on {url} size-checked only (2 of them by an earlier run" in said, said
    assert "the service does not check the in-flight hashes" in said, said
    assert [d["size_checked_only"] for d in document["destinations"]] == [False, True]
    # The bucket's copies, this run's and the trusted ones, each size-checked alone.
    copies = [d for f in document["files"] for d in f["destinations"] if d["index"] == 1]
    assert sorted((d["action"], d.get("size_checked_only")) for d in copies) == [
        ("copied", True),
        ("trusted", True),
        ("trusted", True),
    ]


def test_a_dry_run_says_size_checked_earlier(unchecked: S3Server, tmp_path: Path) -> None:
    """``--dry-run`` after a size-checked run names the bucket's trusted copies
    size-checked earlier, never "transfer-checked earlier" (before: it did); the folder's
    stay transfer-checked earlier."""
    bucket = new_bucket(unchecked.url)
    card = make_card(tmp_path, {"CLIPS/a.mov": 4000, "CLIPS/b.mov": 5000})
    local = tmp_path / "d7"
    local.mkdir()
    args = (str(card), str(local), f"s3://{bucket}/tc")
    _run(tmp_path, "one", unchecked.url, *args)
    folder = tmp_path / "dry"
    folder.mkdir()
    code, out, err = offload(
        folder, "--s3-endpoint", unchecked.url, "--verify", "transfer", "--dry-run", *args
    )
    assert code == 0, err
    said = out + err
    # One group each: the folder's 2 copies, then the bucket's.
    groups = re.findall(r"(\d+) (transfer|size)-checked earlier, trusted from the ledger", said)
    assert groups == [("2", "transfer"), ("0", "transfer"), ("2", "size")], said


def test_an_entry_too_old_to_tell_is_not_said_in_flight_checked(
    s3_server: S3Server, tmp_path: Path
) -> None:
    """A service that checks the part checksums (the test server's default): its entries
    record it, and a re-run says "sizes and in-flight hashes checked" of the copies it
    trusts. The same entries without the key (as a version before it wrote them) cannot
    tell: the re-run says the copies size-checked only, never in-flight hashes checked.
    Failed before: the key was never written, and such copies were said in-flight checked."""
    bucket = new_bucket(s3_server.url)
    card = make_card(tmp_path, {"CLIPS/a.mov": 4000, "CLIPS/b.mov": 5000})
    url = f"s3://{bucket}/tc"
    said, _, _ = _run(tmp_path, "one", s3_server.url, str(card), url)
    assert "sizes and in-flight hashes checked" in said, said
    ledger = _ledger_lines(s3_server.url, bucket)
    lines = [line for found in ledger.values() for line in found]
    assert lines and {line.get("transfer_check") for line in lines} == {"size+in-flight"}

    said, _, reports = _run(tmp_path, "two", s3_server.url, str(card), url)
    assert "sizes and in-flight hashes checked" in said, said
    assert "size-checked" not in said, said
    assert "size-checked" not in _history(reports)

    client = admin(s3_server.url)
    for key, found in ledger.items():
        older = "".join(
            json.dumps({k: v for k, v in line.items() if k != "transfer_check"}) + "\n"
            for line in found
        )
        client.put_object(Bucket=bucket, Key=key, Body=older.encode())
    said, document, reports = _run(tmp_path, "three", s3_server.url, str(card), url)
    assert "in-flight hashes checked" not in said, said
    assert re.search(rf"2 copies on {re.escape(url)} size-checked only \(all by an earlier", said)
    # This run's probe found the service checking: no claim that it does not.
    assert "the service does not check" not in said.split("WARNING")[-1], said
    assert {d.get("size_checked_only") for f in document["files"] for d in f["destinations"]} == {
        True
    }
    assert "size-checked only" in _history(reports)
