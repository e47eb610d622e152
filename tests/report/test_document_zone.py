"""The documents' times in the zone the terminal says them in (words70): a DIT on set reads
the machine's local time, named; the HTML/PDF gave UTC alone ("Started 2026-12-04 21:46:05
UTC") beside the terminal's "22:46 CET", two times of one moment. Now each document time is
the machine zone's, named, UTC beside it; the JSON keeps UTC. Each test sets ``TZ``."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from offload.report.clips import group_clips
from offload.report.content import build_view, in_run_zone, recorded_zone, when
from offload.report.words import local_and_utc, local_time

# 2026-12-04T21:46:05Z: 22:46:05 in Berlin (CET, +1), 16:46:05 in New York (EST, -5).
MOMENT = 1796420765


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's zone set by the test (``TZ`` and ``time.tzset``), the session's
    again after it."""
    yield
    monkeypatch.undo()
    time.tzset()


def _in(monkeypatch: pytest.MonkeyPatch, tz: str) -> None:
    monkeypatch.setenv("TZ", tz)
    time.tzset()


def _job(started: str, verified_at: str) -> dict[str, object]:
    return {
        "schema": 1,
        "source": "/media/CARD",
        "card": "CARD",
        "started": started,
        "finished": started,
        "verify": "full",
        "exit_code": 0,
        "destinations": [
            {"index": 0, "path": "/mnt/RAID", "result": "ok", "files_verified_earlier": 1}
        ],
        "totals": {"files": 1, "bytes": 10},
        "files": [
            {
                "path": "C/A001.mov",
                "size_bytes": 10,
                "destinations": [
                    {"index": 0, "status": "verified_earlier", "verified_at": verified_at}
                ],
            }
        ],
    }


def test_the_documents_times_are_the_machines_zone_named_with_utc_beside(
    monkeypatch: pytest.MonkeyPatch, zone: None
) -> None:
    """Berlin: the started and finished rows, and a copy verified earlier, say the local
    time the terminal says, its zone named; the start UTC beside it. Failed before:
    "2026-12-04 21:46:05 UTC" and "Verified earlier (2026-12-04 21:46 UTC, ...)"."""
    _in(monkeypatch, "Europe/Berlin")
    iso = "2026-12-04T21:46:05Z"
    data = _job(iso, iso)
    view = build_view(data, group_clips(data["files"]), {}, [])  # type: ignore[arg-type]
    rows = dict(view.card)
    assert rows["Started"] == "2026-12-04 22:46:05 CET (21:46:05 UTC)", rows
    assert rows["Finished"] == rows["Started"], rows
    state = view.clips[0].states[0][1].text
    assert state.startswith("Verified earlier (2026-12-04 22:46 CET, "), state
    # The terminal's words of that moment (card_folder, ledger, summary: local_time).
    assert local_time(MOMENT) == "2026-12-04 22:46 CET"


@pytest.mark.parametrize(
    ("tz", "words"),
    [
        ("UTC", "2026-12-04 21:46:05 UTC"),  # said once
        ("Europe/Berlin", "2026-12-04 22:46:05 CET (21:46:05 UTC)"),
        ("America/New_York", "2026-12-04 16:46:05 EST (21:46:05 UTC)"),
        # Another day in UTC: its date said too.
        ("Asia/Tokyo", "2026-12-05 06:46:05 JST (2026-12-04 21:46:05 UTC)"),
    ],
)
def test_a_document_time_names_its_zone_and_utc(
    monkeypatch: pytest.MonkeyPatch, zone: None, tz: str, words: str
) -> None:
    _in(monkeypatch, tz)
    assert local_and_utc(MOMENT) == words
    assert when("2026-12-04T21:46:05Z") == words
    assert when(MOMENT) == words
    # Not a date the reports write: shown as it is.
    assert when("yesterday") == "yesterday"


def test_the_runs_recorded_zone_is_used_and_a_bad_one_is_not(
    monkeypatch: pytest.MonkeyPatch, zone: None
) -> None:
    """A job report's ``time_zone`` (names70): the documents say its times in it, on a
    machine in any zone; one that can be no zone (an offset past a day, a name not text,
    none) leaves the machine's, never an error."""
    _in(monkeypatch, "America/New_York")
    iso = "2026-12-04T21:46:05Z"
    data = _job(iso, iso)
    data["time_zone"] = {"name": "CET", "utc_offset_s": 3600}
    with in_run_zone(data):
        view = build_view(data, group_clips(data["files"]), {}, [])  # type: ignore[arg-type]
    assert dict(view.card)["Started"] == "2026-12-04 22:46:05 CET (21:46:05 UTC)"
    state = view.clips[0].states[0][1].text
    assert state.startswith("Verified earlier (2026-12-04 22:46 CET, "), state
    assert when(iso) == "2026-12-04 16:46:05 EST (21:46:05 UTC)"  # outside: the machine's
    for bad in (
        {"name": "CET", "utc_offset_s": 90000},
        {"name": 3, "utc_offset_s": 3600},
        {"name": "CET", "utc_offset_s": True},
        "CET",
        None,
    ):
        assert recorded_zone({"time_zone": bad}) is None, bad
        with in_run_zone({"time_zone": bad}):
            assert when(iso) == "2026-12-04 16:46:05 EST (21:46:05 UTC)"
