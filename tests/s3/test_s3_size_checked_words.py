"""A transfer-mode copy to a service that does not check the in-flight hashes (plain moto:
a part whose checksum is wrong is stored, the preflight's ``s3-checksums-unchecked``) had
its size checked only: every document of the run says so of that destination, as the
terminal does, never "transfer-checked" (in-flight hash + size). The real S3 test server in
its ``no-checksums`` mode, a real local folder beside it."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from s3.conftest import S3Server, new_bucket
from s3.test_s3_cli import make_card, offload


def test_size_checked_only_in_the_json_html_and_history(
    unchecked: S3Server, tmp_path: Path
) -> None:
    """Failed before: the JSON had no per-destination flag, the HTML's destination block,
    clip rows and Totals said "transfer-checked only" of the bucket's copies, and
    ``offload history`` "transfer-checked", where the terminal said "size-checked only"."""
    code, out, err = _offloaded(unchecked, tmp_path, "transfer")
    assert code == 0, err
    assert "size-checked only" in out + err
    report = next((tmp_path / "reports").glob("*.json"))
    document = json.loads(report.read_text())
    flags = [d.get("size_checked_only") for d in document["destinations"]]
    assert flags == [False, True], flags
    html = report.with_suffix(".html").read_text()
    # The bucket's block, its clip rows and the Totals count its copies size-checked; the
    # local folder's stay transfer-checked (its write checked the in-flight hashes).
    assert "2 size-checked only (not read back)" in html, html
    assert "Size-checked only (not read back)" in html
    assert "2 of them size-checked only (their service does not check the in-flight" in html
    assert "2 transfer-checked only (not read back)" in html
    text = " ".join(re.sub("<[^>]*>", " ", html).split())
    assert "Copies: Transfer-checked only (not read back) 2" in text, text
    assert "Copies: Size-checked only (not read back) 2" in text, text
    listed = _history(tmp_path / "reports")
    assert "size-checked only" in listed, listed


def _offloaded(unchecked: S3Server, tmp_path: Path, verify: str) -> tuple[int, str, str]:
    """The card's two clips offloaded with ``--verify`` *verify* to a local folder and a new
    bucket of *unchecked*, the reports in tmp_path/reports: the exit code, out and err."""
    bucket = new_bucket(unchecked.url)
    card = make_card(tmp_path, {"CLIPS/a.mov": 4000, "CLIPS/b.mov": 5000})
    local = tmp_path / "d6"
    local.mkdir()
    return offload(
        tmp_path, "--s3-endpoint", unchecked.url, "--verify", verify, str(card), str(local),
        f"s3://{bucket}/tc",
    )  # fmt: skip


def _history(reports: Path) -> str:
    listed = io.StringIO()
    assert (
        main(
            ["history", "--report-dir", str(reports)],
            Environment(stdout=listed, stderr=io.StringIO(), install_signal_handlers=False),
        )
        == 0
    )
    return " ".join(listed.getvalue().split())


def test_a_bucket_read_back_is_not_size_checked_only(unchecked: S3Server, tmp_path: Path) -> None:
    """``--verify destination`` to the same service: the preflight still warns (it does in
    every mode), but every copy in the bucket was read back now. Failed before: the JSON's
    ``size_checked_only`` was true there beside ``files_verified`` 2, where the terminal,
    the HTML and ``offload history`` said verified."""
    code, out, err = _offloaded(unchecked, tmp_path, "destination")
    assert code == 0, err
    said = " ".join((out + err).split())
    # The preflight's warning says it of --verify transfer only; the summary, of no copy.
    assert "with --verify transfer its copies are size-checked only" in said, said
    assert "copies on" not in said and "TRANSFER-CHECKED ONLY" not in said, said
    document = json.loads(next((tmp_path / "reports").glob("*.json")).read_text())
    assert [w["code"] for w in document["warnings"]].count("s3-checksums-unchecked") == 1
    bucket_entry = document["destinations"][1]
    assert bucket_entry["files_verified"] == 2 and bucket_entry["files_transfer_checked"] == 0
    assert [d["size_checked_only"] for d in document["destinations"]] == [False, False]
    html = next((tmp_path / "reports").glob("*.html")).read_text()
    assert "Size-checked only (not read back)" not in html
    assert "size-checked only (not read back)" not in html
    assert "size-checked" not in _history(tmp_path / "reports").lower()


def test_only_the_bucket_of_this_runs_transfer_checks_is_size_checked(
    unchecked: S3Server, tmp_path: Path
) -> None:
    """A re-run in transfer mode that adds a second bucket of the same service: the first
    bucket's copies are trusted from its ledger (size-checked earlier, no size checked now),
    the second's are this run's. Failed before: the JSON flagged both buckets. The terminal
    counts both buckets' size-checked copies, the first's said to be an earlier run's
    (test_s3_size_checked_earlier)."""
    first, second = (new_bucket(unchecked.url) for _ in range(2))
    card = make_card(tmp_path, {"CLIPS/a.mov": 4000, "CLIPS/b.mov": 5000})
    common = ("--s3-endpoint", unchecked.url, "--verify", "transfer", str(card))
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    code, _, err = offload(tmp_path / "one", *common, f"s3://{first}/tc")
    assert code == 0, err
    code, out, err = offload(tmp_path / "two", *common, f"s3://{first}/tc", f"s3://{second}/tc")
    assert code == 0, err
    said = " ".join((out + err).split())
    assert (
        f"4 copies on s3://{first}/tc, s3://{second}/tc size-checked only (2 of them by an "
        "earlier run, trusted from the ledger; the service does not check" in said
    ), said
    document = json.loads(next((tmp_path / "two" / "reports").glob("*.json")).read_text())
    entries = document["destinations"]
    # Both transfer-checked: the first bucket's trusted from its ledger, the second's now.
    assert [d["files_transfer_checked"] for d in entries] == [2, 2]
    actions = {d["action"] for f in document["files"] for d in f["destinations"]}
    assert "trusted" in actions, actions
    assert [d["size_checked_only"] for d in entries] == [False, True]
