"""``--verify full`` on a cascade: the slow copies are fed from the verified fast copy, not
from a second read of the card, yet ``verified_mode`` ``full`` is true of them by
docs/json.md's definition ("full: also a second read of the source"): the digests they were
matched to (their ``readback_digests`` read from their media, equal to the fast copy's as
the cascade read it, checked against the card's) are the card's in-flight digests, which the
card's pass confirmed by its second read of the card (``source_reread_digests``, equal).
This pins that chain: were the card's pass to drop its second read, the slow copies' claim
would rest on one read of the card, and this fails.

Real parts: the card, the fast and the slow destination are folders; the real CLI in a
child process."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from support.cascade_drives import tmpfs_card
from support.mounts import Ext4Loop, Mount
from support.offload_cli import run_offload


def test_a_full_cascade_s_slow_copies_match_digests_two_reads_of_the_card_agree_on(
    tmp_path: Path,
) -> None:
    card = tmp_path / "card" / "C9"
    card.mkdir(parents=True)
    for index in range(3):
        (card / f"a{index}.mov").write_bytes(os.urandom(150_000 + index))
    fast, slow, reports = tmp_path / "fast", tmp_path / "slow", tmp_path / "reports"
    fast.mkdir()
    slow.mkdir()
    done = run_offload(
        "copy", "--report-dir", reports, "--verify", "full", "--cascade-to", slow, card, fast
    )
    assert done.returncode == 0, done.stderr
    (report,) = reports.glob("C9_*.json")
    data = json.loads(report.read_text())
    assert data["verify"] == "full"
    slow_index = next(
        d["index"] for d in data["destinations"] if d["copy_root"] == str(slow / "C9")
    )
    for entry in data["files"]:
        # The card read twice, the two reads equal: the digests the copies are matched to.
        reread = entry["source_reread_digests"]
        assert reread and all(entry["digests"][k] == v for k, v in reread.items()), entry
        copy = next(d for d in entry["destinations"] if d["index"] == slow_index)
        assert (copy["status"], copy["action"], copy["verified_mode"]) == (
            "verified", "copied", "full",
        ), copy  # fmt: skip
        assert all(entry["digests"][k] == v for k, v in copy["readback_digests"].items()), copy
    lines = (slow / "C9" / ".offload" / "ledger.jsonl").read_text().splitlines()
    recorded = {json.loads(line)["relative_path"]: json.loads(line) for line in lines}
    for entry in data["files"]:
        assert recorded[entry["path"]]["verify"] == "full"
        assert recorded[entry["path"]]["digests"] == entry["digests"]


def test_a_cascade_without_its_card_never_calls_full_what_one_read_of_the_card_proved(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
) -> None:
    """Without its card, the source is the fast copy: ``--verify full`` would read that copy
    twice, never the card. Where its ledger records the copies verified by ``destination``
    (the card read once), the slow copies are recorded and reported ``destination``, and the
    warning says why. Failed before: ``full`` in the report and the slow ledger (a later
    ``--verify full`` run with the card then trusted them unread)."""
    card = tmpfs_card(tmpfs_mount, 2, 100_000)
    fast, slow, reports = ext4_loop(32 << 20).path, tmp_path / "slow", tmp_path / "reports"
    slow.mkdir()
    first = run_offload(
        "copy", "--report-dir", reports, "--verify", "destination", "--cascade-to", slow,
        card, fast,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    shutil.rmtree(slow / "C9")  # the slow copies to make again, without the card
    card.rename(card.with_name("gone"))
    again = run_offload(
        "copy", "--report-dir", reports, "--verify", "full", "--cascade-to", slow, card, fast
    )
    assert again.returncode == 0, again.stderr
    assert "a second read of the copy is no second read of the card" in again.stderr
    data = json.loads(
        max(reports.glob("C9_*.json"), key=lambda p: p.stat().st_mtime_ns).read_text()
    )
    modes = {d["verified_mode"] for f in data["files"] for d in f["destinations"]}
    assert modes == {"destination"}, data["files"]
    lines = (slow / "C9" / ".offload" / "ledger.jsonl").read_text().splitlines()
    assert {json.loads(line)["verify"] for line in lines} == {"destination"}, lines


def test_a_second_cardless_full_re_run_trusts_the_slow_copies_the_first_verified(
    tmp_path: Path,
    tmpfs_mount: Callable[..., Mount],
    ext4_loop: Callable[..., Ext4Loop],
) -> None:
    """Two cascade re-runs without the card under ``--verify full``, the fast copy verified
    by ``destination``: the first makes the slow copies and records them ``destination``;
    the second (and its ``--dry-run``) trusts them, unread: the run verifies by
    ``destination`` from its plan on, so a ``destination`` entry satisfies it. Failed before
    (review): the plan was made for ``full``, so every slow copy was an upgrade, read back
    again on every later cardless re-run and never trusted (the dry run counted them)."""
    card = tmpfs_card(tmpfs_mount, 2, 100_000)
    fast, slow, reports = ext4_loop(32 << 20).path, tmp_path / "slow", tmp_path / "reports"
    slow.mkdir()
    args = ("--report-dir", reports, "--verify", "full", "--cascade-to", slow, card, fast)
    first = run_offload("copy", *args[:3], "destination", *args[4:])
    assert first.returncode == 0, first.stderr
    shutil.rmtree(slow / "C9")
    card.rename(card.with_name("gone"))
    made = run_offload("copy", *args)
    assert made.returncode == 0, made.stderr
    ledger = slow / "C9" / ".offload" / "ledger.jsonl"
    lines = ledger.read_text().splitlines()
    dry = run_offload("copy", "--dry-run", *args)
    assert dry.returncode == 0, dry.stderr
    said = dry.stdout + dry.stderr
    assert "2 verified earlier, trusted from the ledger" in said, said
    assert "0 would read back" in said, said
    again = run_offload("copy", *args)
    assert again.returncode == 0, again.stderr
    data = json.loads(
        max(reports.glob("C9_*.json"), key=lambda p: p.stat().st_mtime_ns).read_text()
    )
    copies = [d for f in data["files"] for d in f["destinations"]]
    assert {(d["status"], d["action"]) for d in copies} == {("verified_earlier", "trusted")}, copies
    assert ledger.read_text().splitlines() == lines  # nothing read back, nothing recorded
