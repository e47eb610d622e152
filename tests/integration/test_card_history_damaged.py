"""A card whose own ASC MHL history is damaged (its chain file gone, a manifest edited
since: ``read_history`` cannot read it). Refused by default (such a history cannot be
continued), in a line that names the way on that writes nothing to the card:
``--ignore /ascmhl`` copies the card's files, leaves the damaged folder out (it stays on the
card as it is) and starts a fresh history on each destination, said in a warning. The card
is a real copy root written by ``offload copy``, offloaded again by the real CLI."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from support.offload_cli import card_with_history, run_offload

run = partial(run_offload, columns=250, timeout_s=120)


def _damage(card: Path, how: str) -> None:
    folder = card / "ascmhl"
    if how == "chain-removed":
        (folder / "ascmhl_chain.xml").unlink()
    else:  # a manifest edited since (its hostname), which the chain's C4 ID gives away
        [manifest] = folder.glob("0001_*.mhl")
        text = manifest.read_text()
        start = text.index("<hostname>") + len("<hostname>")
        manifest.write_text(text[:start] + "edited-" + text[start:])


@pytest.mark.parametrize("how", ["chain-removed", "manifest-edited"])
def test_a_damaged_card_history_is_refused_with_a_way_on_that_writes_nothing_to_the_card(
    tmp_path: Path, how: str
) -> None:
    """QA (27f73e8e): refused (exit 64) with no way on (chain removed) or "restore both from
    a backup" (manifest edited), which a DIT holding only the card cannot do; ``--ignore
    /ascmhl`` was refused the same. Failed before."""
    card = card_with_history(tmp_path, {"C001.mov": 30_000}, ours=False)
    _damage(card, how)
    before = {p.name: p.read_bytes() for p in (card / "ascmhl").iterdir()}
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    refused = run("copy", "--report-dir", reports, card, dest, cwd=tmp_path)
    assert refused.returncode == 64, refused.stderr
    [line] = [x for x in refused.stderr.splitlines() if x.startswith("ERROR: ")]
    assert "cannot be read" in line and "nothing was copied" in line, line
    assert "--ignore /ascmhl" in line and "nothing is written to the card" in line, line
    assert not (dest / "A001").exists()
    done = run("copy", "--ignore", "/ascmhl", "--report-dir", reports, card, dest, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (dest / "A001" / "CLIPS" / "C001.mov").read_bytes() == (
        card / "CLIPS" / "C001.mov"
    ).read_bytes()
    fresh = sorted(p.name for p in (dest / "A001" / "ascmhl").iterdir())
    assert len(fresh) == 2 and fresh[0].startswith("0001_A001_"), fresh  # a new history
    assert {p.name: p.read_bytes() for p in (card / "ascmhl").iterdir()} == before
    said = " ".join(done.stderr.split())
    assert "It is left out as --ignore /ascmhl asks: the card's files are not checked" in said
    assert "CARD HISTORY NOT TRUSTED: it cannot be read" in said, said
    [report] = [p for p in reports.glob("A001_*.json") if "--ignore" in p.read_text()]
    codes = [w["code"] for w in json.loads(report.read_text())["warnings"]]
    assert codes.count("card-history-untrusted") == 1, codes
    # With no ASC MHL written (--mhl none) no history is started, and none is claimed.
    bare = tmp_path / "bare"
    bare.mkdir()
    done = run("copy", "--mhl", "none", "--ignore", "/ascmhl", "--report-dir", reports, card, bare)
    assert done.returncode == 0, done.stderr
    assert not (bare / "A001" / "ascmhl").exists()
    said = " ".join(done.stderr.split())
    assert "no destination gets an ASC MHL history (--mhl none writes no manifest)" in said
    assert "fresh history" not in said, said


def test_a_history_left_out_continues_the_one_a_destination_already_holds(
    tmp_path: Path,
) -> None:
    """Review of the card merge: where a destination already held an earlier offload of
    this card (its history carried), ``--ignore /ascmhl`` adds the next generation to that
    history, yet the warning said it "starts a fresh history there" and the release line
    that the left-out folder "is on no destination". Failed before; each said true."""
    card = card_with_history(tmp_path, {"C001.mov": 3_000})
    dest, other, reports = tmp_path / "dest", tmp_path / "other", tmp_path / "reports"
    dest.mkdir()
    other.mkdir()
    assert run("copy", "--report-dir", reports, card, dest, cwd=tmp_path).returncode == 0
    _damage(card, "chain-removed")
    (card / "CLIPS" / "C002.mov").write_bytes(b"new" * 1000)
    args = ("copy", "--ignore", "/ascmhl", "--report-dir", reports, card, dest, other)
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "starts a fresh history there" not in said, said
    assert f"continues the history already on {dest / 'A001'}" in said, said
    assert "starts a fresh history on each other one" in said, said
    assert "on no destination" not in said, said
    held = sorted(p.name[:4] for p in (dest / "A001" / "ascmhl").glob("*.mhl"))
    assert held == ["0001", "0002", "0003"], held


def test_a_bucket_beside_a_drive_holding_the_history_is_not_said_to_continue_it(
    tmp_path: Path,
) -> None:
    """The words of a card history left out where one local copy root holds the history
    an earlier offload carried and a bucket is a destination too: the bucket starts its
    own, so never "continues the history already on each destination". Failed before (the
    review of the merges: the bucket was not counted)."""
    from offload.card_history import _fresh_or_continued

    held = tmp_path / "RAID0" / "A001"
    (held / "ascmhl").mkdir(parents=True)
    alone = _fresh_or_continued([held])
    beside_a_bucket = _fresh_or_continued([held], remote=1)
    assert "each destination" in alone[0]
    for words in beside_a_bucket:
        assert "each destination" not in words and "fresh history on each other" in words
