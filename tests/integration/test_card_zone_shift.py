"""A FAT card mounted again under another time zone: FAT stores local time, so every date
it shows moved by the zone's offset (simulated here by moving each file's date by 5 h 30 min,
what fusefat under Asia/Kolkata shows). The same card: its copies are read back and adopted,
one warning (``card-zone-shifted``) says why. Failed before: a card of unknown identity was
refused as "another card's offload" (exit 64); a known one re-read whole, its summary
blaming "another card ... or the card's file changed"."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from integration.test_field_filesystems import newest_report, run, write
from offload.card_identity import card_identity

SHIFT_NS = (5 * 3600 + 30 * 60) * 1_000_000_000
NAMES = ("CLIPS/C001.MOV", "CLIPS/C002.MOV", "CLIPS/C003.MOV")


def shift_dates(card: Path, by_ns: int) -> None:
    for name in NAMES:
        path = card / name
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + by_ns))


@pytest.mark.parametrize("identity", ["unknown", "known"])
def test_a_card_read_under_another_time_zone_is_the_same_card(
    tmp_path: Path, exfat_loop: Any, identity: str
) -> None:
    if identity == "known":
        card = exfat_loop(16 << 20, path=tmp_path / "reader" / "A001", serial=0x3C4D5E6F).path
    else:
        card = tmp_path / "A001"
    for name in NAMES:
        write(card / name, os.urandom(200_000))
    assert (card_identity(card) is not None) == (identity == "known")
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    shift_dates(card, SHIFT_NS)
    again = run("copy", card, dest, "--report-dir", reports)
    out = again.stdout + again.stderr
    assert again.returncode == 0, out
    assert "holds another" not in out
    assert "another card offloaded into this copy root" not in out, out
    report = newest_report(reports)
    (warning,) = [w for w in report["warnings"] if w["code"] == "card-zone-shifted"]
    assert "dated 5 h 30 min later than its ledger records" in warning["message"], warning
    assert "the same card read under another time zone" in warning["message"]
    states = {
        f["path"]: (f["destinations"][0]["status"], f["destinations"][0]["action"])
        for f in report["files"]
    }
    assert states == dict.fromkeys(NAMES, ("verified", "adopted")), states
    assert "its date off by a time zone's offset" in again.stderr, again.stderr
    # Recorded with the dates as read now: the next run trusts them.
    third = run("copy", card, dest, "--report-dir", reports)
    assert third.returncode == 0
    statuses = {f["destinations"][0]["status"] for f in newest_report(reports)["files"]}
    assert statuses == {"verified_earlier"}


def test_a_card_of_other_content_moved_by_hours_is_still_refused(tmp_path: Path) -> None:
    """Another card of the same names and sizes, dated a zone's offset away: its content
    fingerprints differ, so it is another card's offload, refused as before."""
    card, dest, reports = tmp_path / "A001", tmp_path / "dest", tmp_path / "reports"
    for name in NAMES:
        write(card / name, os.urandom(200_000))
    dest.mkdir()
    assert run("copy", card, dest, "--report-dir", reports).returncode == 0
    for name in NAMES:
        path = card / name
        st = path.stat()
        path.write_bytes(os.urandom(200_000))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + SHIFT_NS))
    again = run("copy", card, dest, "--report-dir", reports)
    assert again.returncode == 64, again.stdout + again.stderr
    assert "holds another offload, of this card or another" in again.stderr


def test_another_card_sharing_one_file_an_hour_off_is_still_refused(tmp_path: Path) -> None:
    """Another card of the same folder name that shares only its setup file with the first
    (the same bytes, dated 1 h later): one shifted file of the ledger's three is not the
    same card read under another zone. Failed before: "the same card read under another
    time zone (... 1 files)", card B copied into card A's folder, exit 0."""
    first, dest, reports = tmp_path / "a" / "CARD", tmp_path / "dest", tmp_path / "reports"
    setup = os.urandom(4_000)
    for name in ("CLIPS/A001.mov", "CLIPS/A002.mov"):
        write(first / name, os.urandom(200_000))
    write(first / "SETUP/cam.cfg", setup)
    dest.mkdir()
    assert run("copy", first, dest, "--report-dir", reports).returncode == 0
    other = tmp_path / "b" / "CARD"
    for name in ("CLIPS/B001.mov", "CLIPS/B002.mov"):
        write(other / name, os.urandom(200_000))
    write(other / "SETUP/cam.cfg", setup)
    st = (first / "SETUP/cam.cfg").stat()
    os.utime(other / "SETUP/cam.cfg", ns=(st.st_atime_ns, st.st_mtime_ns + 3600 * 10**9))
    again = run("copy", other, dest, "--report-dir", reports)
    out = again.stdout + again.stderr
    assert again.returncode == 64, out
    assert "another time zone" not in out, out
    assert not (dest / "CARD" / "CLIPS" / "B001.mov").exists()
