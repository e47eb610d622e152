"""A source that is a copy root of ours on a network share, and the share drops during the
offload (sshd killed under sshfs: every call then answers ENOTCONN). What its ``.offload/``
is was decided when the source was read, never asked of the gone share at the end; and the
line that says it went away names a share to reconnect, not a card to re-insert. The share
is a real FUSE mount (FaultyFS, mounted as ``fuse.sshfs``: the type the product takes for a
network share), the drop a real ENOTCONN on every call after the plan."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

from offload.card import ignored_with_reasons, plan_offload, run_offload
from offload.report.job_report import report_data
from offload.report.release import card_release
from offload.state_names import FOREIGN_STATE_REASON
from support.cards import three_clip_card
from support.offload_cli import copy_with_reports_in


def test_a_share_that_drops_is_no_source_without_a_ledger_nor_a_card_to_reinsert(
    tmp_path: Path, faulty_fs: Any, cards: Path
) -> None:
    """QA (shuttle66 #3): "Do not format the card: the card's folder .offload/ holds no
    offload-ai ledger: not known to be offload-ai's state ..." and "ERROR: the card
    .../k1/B002 went away during the offload ...: re-insert it". Failed before: the ledger
    was looked for at the report's end, on the gone share (lexists False: "holds none"),
    and the line said "the card ... re-insert it"."""
    share = faulty_fs(subtype="sshfs")
    card = three_clip_card(cards)
    code, err = copy_with_reports_in(tmp_path, str(card), str(share.mountpoint))
    assert code == 0, err
    source = share.mountpoint / card.name
    dest = tmp_path / "DRIVE_A"
    dest.mkdir()
    plan = plan_offload(source, [dest])
    assert (plan.source_volume or {}).get("filesystem") == "fuse.sshfs", plan.source_volume

    dropped = share.fail("*", errno.ENOTCONN)  # the share's server gone
    report = run_offload(plan)
    assert share.fired(dropped) > 0
    assert report.exit_code != 0

    reasons = dict(ignored_with_reasons(plan))
    assert reasons.get(".offload") != FOREIGN_STATE_REASON, reasons
    assert reasons[".offload"].startswith("/.offload/: offload-ai's own state"), reasons
    data = report_data(report)
    release = card_release(data)
    assert "holds no offload-ai ledger" not in release.text, release.text
    assert release.text.startswith("Keep the source (a copy of ours, not a card): "), release
    assert not release.may_format

    gone = report.card_gone or ""
    assert f"the source {source} (a network share) went away during the offload" in gone, gone
    assert "reconnect the share and run the same command again" in gone, gone
    assert "re-insert" not in gone and "the card" not in gone, gone


def test_a_source_ledger_that_cannot_be_looked_at_is_said_so_never_none(
    tmp_path: Path, faulty_fs: Any, cards: Path
) -> None:
    """The source's ``.offload/ledger.jsonl`` answering EIO as the source is read: whether
    the source is a copy of ours cannot be told. Said so ("could not be looked at"), the
    source kept; never "holds no offload-ai ledger", which nothing read proved."""
    share = faulty_fs(subtype="sshfs")
    card = three_clip_card(cards)
    code, err = copy_with_reports_in(tmp_path, str(card), str(share.mountpoint))
    assert code == 0, err
    dest = tmp_path / "DRIVE_A"
    dest.mkdir()
    unread = share.fail("getattr", errno.EIO, path=f"{card.name}/.offload/ledger.jsonl")
    plan = plan_offload(share.mountpoint / card.name, [dest])
    report = run_offload(plan)
    release = card_release(report_data(report))
    assert not release.may_format
    assert "holds no offload-ai ledger" not in release.text, release.text
    assert "the source's folder .offload/ could not be looked at when it was read" in (
        release.text
    ), release.text
    assert share.fired(unread) > 0  # the fault was met, not stepped around


def test_a_copy_root_of_ours_on_a_drive_that_goes_is_no_card_to_reinsert(
    tmp_path: Path, faulty_fs: Any, cards: Path
) -> None:
    """The DIT's drive (a FUSE drive, no share) pulled while its copy is offloaded again:
    the line names the source, a copy of ours, and its drive to reconnect. Failed before:
    "the card ... went away ...; re-insert it"."""
    drive = faulty_fs()
    card = three_clip_card(cards)
    code, err = copy_with_reports_in(tmp_path, str(card), str(drive.mountpoint))
    assert code == 0, err
    source = drive.mountpoint / card.name
    dest = tmp_path / "SHUTTLE"
    dest.mkdir()
    plan = plan_offload(source, [dest])
    drive.unplug()  # every call EIO from now on: the drive pulled
    report = run_offload(plan)
    gone = report.card_gone or ""
    assert f"the source {source} (a copy of ours, not a card) went away during the offload" in (
        gone
    ), gone
    assert "reconnect its drive and run the same command again" in gone, gone
    assert "re-insert" not in gone, gone
