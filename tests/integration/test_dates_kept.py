"""A destination whose filesystem stores another date than the one set: fusefat holds FAT's
local time, so under a time zone other than UTC every copy's date is off by the zone's
offset, and no later run trusts those copies. One warning (``mtime-not-kept``) names the
destination and the shift. Failed before: nothing said (the dates silently wrong)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from integration.test_field_filesystems import newest_report, run, write
from support.mounts import Mount

# 2023-11-14, a date every FAT holds, at an odd second: FAT keeps 2 s steps, so a 5 h shift
# shows 4:59:59 (said "4 h 59 min" before: the shift is rounded to the zone's quarter hour).
MTIME_NS = 1_700_000_001_000_000_000


@pytest.mark.parametrize("zone", ["America/New_York", "UTC"])
def test_a_drive_that_shifts_every_date_is_named_once(
    tmp_path: Path,
    fusefat_mount: Callable[..., Mount],
    monkeypatch: pytest.MonkeyPatch,
    zone: str,
) -> None:
    monkeypatch.setenv("TZ", zone)  # fusefat's, started below: its local time
    drive = fusefat_mount(16 << 20).path
    card = tmp_path / "A001"
    for name in ("CLIPS/C001.MOV", "CLIPS/C002.MOV"):
        os.utime(write(card / name, os.urandom(100_000)), ns=(MTIME_NS, MTIME_NS))
    reports = tmp_path / "reports"
    done = run("copy", card, drive, "--report-dir", reports)
    assert done.returncode == 0, done.stdout + done.stderr
    said = [w for w in newest_report(reports)["warnings"] if w["code"] == "mtime-not-kept"]
    if zone == "UTC":
        assert not said, said
        assert "dates are not their card files'" not in done.stderr
        return
    (warning,) = said
    assert f"{drive / 'A001'}: the copies' dates are not their card files'" in warning["message"]
    assert "its filesystem shows it 5 h later" in warning["message"], warning
    assert done.stderr.count("the copies' dates are not their card files'") == 1, done.stderr
