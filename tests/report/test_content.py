"""The words of the reports: exactly what the JSON's states prove, failures first."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from offload.errors import names_path
from offload.report.clips import group_clips
from offload.report.content import REREAD_BY_CASCADE, _proved, build_view, describe
from offload.report.documents import DocumentOptions, build_documents, default_paper
from report.helpers import pdf_text, pdf_words
from support import camera_cards


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"status": "verified"}, "Verified now"),
        (
            {"status": "verified_earlier", "verified_at": "2026-11-27T14:02:33Z"},
            "Verified earlier (2026-11-27 14:02 UTC, not re-read)",
        ),
        (
            {
                "status": "verified_earlier",
                "verified_at": "2026-11-27T14:02:33Z",
                "verified_mode": "full",
            },
            "Verified earlier (2026-11-27 14:02 UTC, full verification, not re-read)",
        ),
        (
            {
                "status": "verified_earlier",
                "verified_at": "2026-11-27T14:02:33Z",
                "verified_mode": "transfer",
            },
            "Transfer-checked earlier (2026-11-27 14:02 UTC, never read back)",
        ),
        ({"status": "verified_earlier"}, "Verified earlier (not re-read)"),
        ({"status": "transfer_checked"}, "Transfer-checked only (not read back)"),
        ({"status": "failed", "error": "read-back mismatch"}, "FAILED: read-back mismatch"),
        ({"status": "cancelled"}, "Cancelled"),
    ],
)
def test_state_words(entry: dict[str, Any], words: str) -> None:
    assert describe(entry).text == words


@pytest.mark.parametrize(
    "entry",
    [
        {"status": "transfer_checked", "action": "trusted", "verified_mode": "transfer"},
        # a report written before such a copy had its own status
        {"status": "verified_earlier", "verified_mode": "transfer"},
    ],
)
def test_a_transfer_check_trusted_from_the_ledger_is_never_marked_verified(
    entry: dict[str, Any],
) -> None:
    """Failed before: a green ✔ (PDF: OK) beside "Transfer-checked earlier (never read
    back)"."""
    state = describe({**entry, "verified_at": "2026-11-27T14:02:33Z"})
    assert state.text == "Transfer-checked earlier (2026-11-27 14:02 UTC, never read back)"
    assert (state.level, state.mark, state.ascii_mark) == ("transfer_checked", "≈", "~")


@pytest.mark.parametrize(
    ("entry", "counted"),
    [
        (
            {"status": "transfer_checked", "action": "trusted", "verified_mode": "transfer"},
            "files_transfer_checked",
        ),
        # a report written before such a copy had its own status
        ({"status": "verified_earlier", "verified_mode": "transfer"}, "files_verified_earlier"),
    ],
)
def test_copies_trusted_from_a_transfer_record_are_counted_as_their_rows_say(
    entry: dict[str, Any], counted: str
) -> None:
    """Every copy on destination 1 trusted from a transfer-mode record: its result and the
    Totals say "transfer-checked earlier", as the rows do, marked ≈, never ✔. Failed
    before: "≈ 3 transfer-checked only (not read back)", and for an older report "✔ 3
    verified earlier (not re-read)"."""
    data = job()
    for file in data["files"]:
        file["destinations"] = [{"index": 0, **entry}]
    data["destinations"] = [{**data["destinations"][0], counted: 3}]
    view = build_view(data, group_clips(data["files"]), {}, [])
    said = "transfer-checked earlier (trusted from the ledger, never read back)"
    assert dict(view.destinations[0])["Result"] == f"≈ 3 {said}"
    assert (f"Copies: {said.capitalize()}", "3") in view.totals
    assert not any(key.startswith("Copies: Transfer-checked only") for key, _ in view.totals)


def test_a_destination_with_copies_verified_earlier_is_not_said_ok() -> None:
    """1 copy verified now, 2 verified earlier (not re-read): the Result says the summary's
    word, "verified, partly earlier", never ✔ (the PDF's "OK", which README keeps for a
    destination whose every copy was verified now), nor "verified earlier" alone, which
    says no copy there was read back now. Failed before: "✔ 1 verified now, 2 verified
    earlier (not re-read)", then "Verified earlier: 1 verified now, ..."."""
    data = job()
    data["destinations"] = [
        {**data["destinations"][0], "files_verified": 1, "files_verified_earlier": 2},
        {**data["destinations"][1], "files_verified": 3},
    ]
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert dict(view.destinations[0])["Result"] == (
        "Verified, partly earlier: 1 verified now, 2 verified earlier (not re-read)"
    )
    assert dict(view.destinations[1])["Result"] == "✔ 3 verified now"


@pytest.mark.parametrize(
    ("rechecked", "result"),
    [
        (3, f"✔ 3 verified earlier ({REREAD_BY_CASCADE})"),
        (
            1,
            # The one the cascade read again was read back by this run.
            "Verified, partly earlier: 2 verified earlier (not re-read), "
            f"1 verified earlier ({REREAD_BY_CASCADE})",
        ),
    ],
)
def test_copies_a_cascade_read_again_are_not_said_not_re_read(rechecked: int, result: str) -> None:
    """Copies on destination 1 verified earlier, *rechecked* of them read again by the
    cascade this run (``action`` rechecked; the card not released, so its
    ``fast_copies_reread`` is empty): its Result counts them as the terminal's table does
    (``summary._count``). Failed before: "Verified earlier: 3 verified earlier (not
    re-read)" where the cascade read all 3, beside a verdict saying it read them."""
    data = job(cascade={"destinations": [1], "fast_copies_reread": []})
    for n, file in enumerate(data["files"]):
        action = "rechecked" if n < rechecked else "skipped"
        file["destinations"] = [
            {"index": 0, "status": "verified_earlier", "action": action},
            {"index": 1, "status": "verified", "action": "copied"},
        ]
    data["destinations"] = [
        {**data["destinations"][0], "files_verified_earlier": 3},
        {**data["destinations"][1], "files_verified": 3},
    ]
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert dict(view.destinations[0])["Result"] == result


def job(**overrides: Any) -> dict[str, Any]:
    def dest_entries(*statuses: str) -> list[dict[str, Any]]:
        return [
            {"index": i, "status": s, "error": "disk full" if s == "failed" else None}
            for i, s in enumerate(statuses)
        ]

    data: dict[str, Any] = {
        "schema": "offload-ai/job-report/1",
        "tool": {"name": "offload-ai", "version": "0.1.0"},
        "hostname": "cart",
        "source": "/nonexistent/A001R1AB",
        "started": "2026-11-30T10:00:00Z",
        "finished": "2026-11-30T10:05:00Z",
        "elapsed_s": 300.0,
        "verify": "full",
        "algorithms": ["xxh64"],
        "cancelled": False,
        "exit_code": 0,
        "totals": {"files": 3, "bytes": 300, "folders": 1, "symlinks": 0},
        "destinations": [
            {"index": 0, "path": "/mnt/RAID1", "copy_root": "/mnt/RAID1/A001R1AB"},
            {"index": 1, "path": "/mnt/SHUTTLE", "copy_root": "/mnt/SHUTTLE/A001R1AB"},
        ],
        "files": [
            {
                "path": "CLIPS/A001C001.mov",
                "size_bytes": 100,
                "digests": {"xxh64": "0123456789abcdef"},
                "destinations": dest_entries("verified", "verified"),
            },
            {
                "path": "CLIPS/A001C002.mov",
                "size_bytes": 100,
                "digests": {"xxh64": "fedcba9876543210"},
                "destinations": dest_entries("verified", "failed"),
            },
            {
                "path": "CLIPS/A001C002.xml",
                "size_bytes": 100,
                "digests": {"xxh64": "00000000000000ff"},
                "destinations": dest_entries("verified", "verified"),
            },
        ],
        "warnings": [],
        "folder_errors": [],
    }
    data.update(overrides)
    return data


def test_failures_first_and_clip_state_is_its_worst_file() -> None:
    data = job(exit_code=1)
    clips = group_clips(data["files"])
    view = build_view(data, clips, {}, [])
    assert view.verdict.startswith("✖ FAILED") and not view.verdict_ok
    assert view.problems == ["CLIPS/A001C002.mov on destination 2: SHUTTLE: FAILED: disk full"]
    assert [r.name for r in view.clips] == ["A001C002.mov", "A001C001.mov"]
    failed = view.clips[0]
    assert failed.sidecars == ["A001C002.xml (100 B)"]
    (label1, on_raid), (label2, on_shuttle) = failed.states
    assert (label1, on_raid.text) == ("1: RAID1", "Verified now")
    assert label2 == "2: SHUTTLE"
    assert on_shuttle.level == "failed"
    assert on_shuttle.text == (
        "FAILED: 1 of 2 files (A001C002.mov): disk full; Verified now: 1 of 2 files"
    )


def test_production_fields_blank_when_missing_and_reel_from_card() -> None:
    view = build_view(job(), group_clips(job()["files"]), {}, [])
    assert dict(view.production) == {
        "Production": "",
        "Shoot day": "",
        "Camera": "",
        "Reel": "A001R1AB",
        "Offloaded by": "",
        "Location": "",
        "Comment": "",
    }
    data = job(
        production={
            "production": "The Long Take",
            "shoot_day": "Day 12",
            "camera": "A",
            "reel": "A001",
            "author_name": "Dana DIT",
            "author_email": "dana@example.com",
            "author_role": "DIT",
        }
    )
    fields = dict(build_view(data, group_clips(data["files"]), {}, []).production)
    assert fields["Production"] == "The Long Take" and fields["Reel"] == "A001"
    assert fields["Offloaded by"] == "Dana DIT <dana@example.com> (DIT)"


def test_verdicts_never_claim_more_than_the_states() -> None:
    def verdict(*statuses: str, mode: str | None = None) -> str:
        files = [
            {
                "path": f"f{i}.mov",
                "size_bytes": 1,
                "destinations": [{"index": 0, "status": s, "verified_mode": mode}],
            }
            for i, s in enumerate(statuses)
        ]
        data = job(files=files, destinations=job()["destinations"][:1])
        return build_view(data, group_clips(files), {}, []).verdict

    assert verdict("verified", "verified").startswith("✔ ALL COPIES VERIFIED: every copy read")
    assert "1 of 2 verified earlier, not re-read" in verdict("verified", "verified_earlier")
    assert "TRANSFER-CHECKED ONLY" in verdict("verified", "transfer_checked")
    assert "TRANSFER-CHECKED ONLY" in verdict("verified_earlier", mode="transfer")
    assert verdict("verified", "cancelled").startswith("✖")
    cancelled = job(cancelled=True)
    assert build_view(cancelled, [], {}, []).verdict.startswith("✖ CANCELLED")


def test_documents_without_media_and_with_odd_names() -> None:
    data = job()
    data["files"][0]["path"] = "CLIPS/Ünïcødé 日本 clip.mov"
    data["files"][1]["path"] = "CLIPS/latin1-\udce9t\udce9.mov"  # not UTF-8 on the card
    data["destinations"][0].update(lost=True, lost_reason="device unplugged (ENODEV)")
    documents = build_documents(data)  # the card path does not exist: nothing to probe
    html = documents[".html"].decode()
    assert "Ünïcødé 日本 clip.mov" in html and "LOST: device unplugged (ENODEV)" in html
    assert "latin1-\\xe9t\\xe9.mov" in html
    assert "neither the card nor a verified copy" in html
    assert documents[".pdf"].startswith(b"%PDF-")


def test_default_paper_by_locale() -> None:
    assert default_paper({"LANG": "en_US.UTF-8"}) == "letter"
    assert default_paper({"LANG": "de_DE.UTF-8"}) == "a4"
    assert default_paper({"LC_PAPER": "en_CA.UTF-8", "LANG": "fr_FR.UTF-8"}) == "letter"
    assert default_paper({"LANG": "C.UTF-8"}) == "a4"
    assert default_paper({}) == "a4"
    assert default_paper({"OFFLOAD_PAPER": "Letter", "LANG": "de_DE"}) == "letter"


def folders_of_files(
    pattern: str,
    folders: tuple[str, ...],
    count: int,
    *,
    good: str,
    failed: tuple[str, int],
    second: dict[str, Any],
) -> list[dict[str, Any]]:
    """*count* files per folder (*pattern* with {folder} and {n}) on two destinations: *good*
    on the first except the one *failed* there ("disk full"), *second* on the other."""
    return [
        {
            "path": pattern.format(folder=folder, n=n),
            "size_bytes": 1,
            "destinations": [
                {
                    "index": 0,
                    "status": "failed" if (folder, n) == failed else good,
                    "error": "disk full",
                },
                {"index": 1, **second},
            ],
        }
        for folder in folders
        for n in range(count)
    ]


def test_many_other_files_fold_per_folder_but_failures_stay() -> None:
    files = folders_of_files(
        "DATA/{folder}/f{n:04d}.bin",
        ("a", "b"),
        400,
        good="verified",
        failed=("b", 7),
        second={"status": "verified_earlier", "verified_at": 1764000000.0},
    )
    files[9]["source_error"] = "read error"  # copies good, the card's re-read failed
    data = job(files=files)
    view = build_view(data, group_clips(files), {}, [])
    assert [r.name for r in view.clips] == [
        "f0007.bin",
        "f0009.bin",  # folded before, its error in no row
        "DATA/a/ (399 files)",
        "DATA/b/ (399 files)",
    ]
    assert "✖ CARD READ FAILED: read error" in view.clips[1].details
    assert view.clips[0].states[0][1].text == "FAILED: disk full"
    assert view.clips[2].states[0][1].text == "Verified now"
    assert view.clips[2].states[1][1].text == "Verified earlier (2025-11-24 16:00 UTC, not re-read)"
    html = build_documents(data)[".html"].decode()
    assert "DATA/b/ (399 files)" in html and html.count("<tr") < 60  # not 800 rows
    # Written anywhere (``offload report JOB.json --pdf /other/x.pdf``): never "beside this
    # file", which was untrue there (QA).
    assert "The job&#x27;s JSON and CSV reports list every file with its digests." in html
    assert "beside this file" not in html


def test_a_stopped_runs_cancelled_copies_fold_per_folder_but_failures_stay() -> None:
    """A run stopped part-way leaves most copies cancelled: past MAX_FILE_ROWS they are
    counted in their folder's row with the copies verified before the stop (a card of
    10,000 files stopped gave a row a file: a PDF of 456 pages); a failed copy, a file the
    card did not read keep their own rows; past MAX_CLIP_ROWS a cancelled clip without a
    picture folds too."""
    files = folders_of_files(
        "DATA/{folder}/f{n:04d}.bin",
        ("a", "b"),
        400,
        good="cancelled",
        failed=("b", 7),
        second={"status": "cancelled", "error": "cancelled before it was verified"},
    )
    for n in range(3):  # verified before the stop, on both
        for copy in files[n]["destinations"]:
            copy.update(status="verified", error=None)
    files[400 + 9]["source_error"] = "read error"
    data = job(files=files, cancelled=True)
    view = build_view(data, group_clips(files), {}, [])
    assert [r.name for r in view.clips] == [
        "f0007.bin",
        "f0009.bin",
        "DATA/a/ (400 files)",
        "DATA/b/ (398 files)",
    ]
    assert view.clips[0].states[0][1].text.startswith("FAILED: disk full")
    # Folded, its read error was in no row (it was before this test, among good files too).
    assert "✖ CARD READ FAILED: read error" in view.clips[1].details
    mixed, cancelled = view.clips[2], view.clips[3]
    assert mixed.states[0][1].text == ("Cancelled: 397 of 400 files; Verified now: 3 of 400 files")
    assert mixed.states[0][1].level == "cancelled" and mixed.bad
    assert cancelled.states[1][1].text == "Cancelled"
    html = build_documents(data)[".html"].decode()
    assert "DATA/b/ (398 files)" in html and html.count("<tr") < 60  # not 800 rows

    from offload.report.content import MAX_CLIP_ROWS

    clips = folders_of_files(
        "DCIM/{folder}/C{n:05d}.MP4",
        ("100", "101"),
        MAX_CLIP_ROWS // 2 + 1,
        good="cancelled",
        failed=("101", 7),
        second={"status": "cancelled"},
    )
    view = build_view(job(files=clips, cancelled=True), group_clips(clips), {}, [])
    assert [r.name for r in view.clips][1:] == [
        f"DCIM/100/ ({MAX_CLIP_ROWS // 2 + 1} clips)",
        f"DCIM/101/ ({MAX_CLIP_ROWS // 2} clips)",
    ]


def test_many_clips_without_pictures_fold_per_folder_but_pictures_and_failures_stay() -> None:
    from offload.report.content import MAX_CLIP_ROWS
    from offload.report.media import MediaInfo

    count = MAX_CLIP_ROWS // 2 + 1  # per folder: more than MAX_CLIP_ROWS in all
    files = folders_of_files(
        "DCIM/{folder}/C{n:05d}.MP4",
        ("100", "101"),
        count,
        good="transfer_checked",
        failed=("101", 7),
        second={"status": "transfer_checked"},
    )
    data = job(files=files)
    clips = group_clips(files)
    not_media = "not probed: its first bytes are no picture or video format FFmpeg reads"
    media = {i: MediaInfo(error=not_media) for i in range(len(clips))}
    media[3] = MediaInfo(codec="H.264", thumbnail=b"\xff\xd8jpeg")  # a real clip among them
    view = build_view(data, clips, media, [])
    # Files named as clips whose bytes are no video are counted as the totals count them
    # (they were "(500 clips)", beside totals of 1 clip).
    # The folded rows carry a ⚠ (none of their files is readable as media): before the
    # clip with a picture, "problems first".
    assert [r.name for r in view.clips] == [
        "C00007.MP4",
        f"DCIM/100/ ({count - 1} files named as clips, not video)",
        f"DCIM/101/ ({count - 1} files named as clips, not video)",
        "C00003.MP4",
    ]
    failed, folded, pictured = view.clips[0], view.clips[1], view.clips[3]
    assert folded.flagged and f"NOT READABLE AS MEDIA: {count - 1:,} of them" in str(folded.details)
    assert failed.states[0][1].text == "FAILED: disk full" and failed.media_note == not_media
    assert pictured.thumbnail and pictured.details == ["H.264"]
    assert folded.kind == "media" and folded.media_note == not_media
    assert folded.kind_label == "files named as media in a folder"
    assert folded.states[0][1].text == "Transfer-checked only (not read back)"
    html = build_documents(data)[".html"].decode()
    # Drawn from the job alone (no card, no copy to probe): nothing proved them no clips.
    assert f"DCIM/101/ ({count - 1} clips)" in html and html.count("<tr") < 60
    # Up to MAX_CLIP_ROWS, every clip keeps its row.
    few = files[: MAX_CLIP_ROWS - 1]
    assert len(build_view(job(files=few), group_clips(few), {}, []).clips) == len(few)


def test_a_clip_with_a_flag_keeps_its_row_past_a_thousand_clips() -> None:
    """Past MAX_CLIP_ROWS a folder's good clips without a thumbnail fold into one row, which
    says nothing of any one clip: a clip with a ⚠ of its own (spans missing, damage the
    probing found) keeps its row, as one with an empty sound file does. Failed before: both
    were folded into "DCIM/100GOPRO/ (1002 clips)", their ⚠ in no row."""
    from offload.report.content import MAX_CLIP_ROWS
    from offload.report.media import MediaInfo

    files = folders_of_files(
        "DCIM/{folder}/GH01{n:04d}.MP4",
        ("100GOPRO",),
        MAX_CLIP_ROWS + 1,
        good="verified",
        failed=("", -1),
        second={"status": "verified"},
    )
    for name in ("GH012000.MP4", "GH032000.MP4"):  # chapter 2 not on the card
        files.append({**files[0], "path": f"DCIM/100GOPRO/{name}"})
    clips = group_clips(files)
    by_name = {clip.name: i for i, clip in enumerate(clips)}
    damage = "cut off: the file holds 2.0 s of the 10.0 s its header states"
    media = {by_name["GH010005.MP4"]: MediaInfo(damage=damage)}
    view = build_view(job(files=files), clips, media, [])
    rows = {row.name: row for row in view.clips}
    assert sorted(rows) == [
        "DCIM/100GOPRO/ (1,000 clips)",
        "GH010005.MP4",
        "GH012000.MP4 (+1 span)",
    ], sorted(rows)
    assert f"⚠ {damage}" in rows["GH010005.MP4"].details
    assert any(
        d.startswith("⚠ SPANS MISSING") and "GH022000.MP4" in d
        for d in rows["GH012000.MP4 (+1 span)"].details
    ), rows["GH012000.MP4 (+1 span)"].details


def test_a_folded_rows_states_count_every_file_of_its_clips_as_its_list_would() -> None:
    """Past MAX_CLIP_ROWS, each file's copies are worded once and counted into its folder's
    row (content._Tally): the row says what the list of its files' states says, the
    shares in the files' order and the worst first; a clip whose span failed keeps its own
    row, naming its first failed file, and its files are no folded row's."""
    from offload.report.content import MAX_CLIP_ROWS

    def copy(index: int, status: str, **more: Any) -> dict[str, Any]:
        return {"index": index, "status": status, **more}

    earlier = {"verified_at": "2026-11-27T14:02:33Z", "verified_mode": "full"}
    files: list[dict[str, Any]] = []
    for n in range(MAX_CLIP_ROWS + 1):  # GoPro chapters: two files a clip
        for chapter in (1, 2):
            first = (
                copy(0, "verified", cache_bypass="none")
                if n % 3 == 0
                else copy(0, "verified_earlier", **earlier)
                if n % 3 == 1
                else copy(0, "transfer_checked", action="copied")
            )
            second = copy(1, "transfer_checked", action="copied")
            if n == 5 and chapter == 2:
                first = copy(0, "failed", error="disk full")
            if n == 6:  # read back on the second destination: one clip of the folded ones
                second = copy(1, "verified")
            files.append(
                {
                    "path": f"DCIM/100GOPRO/GX{chapter:02d}{n:04d}.MP4",
                    "size_bytes": 1,
                    "destinations": [first, second],
                }
            )
    clips = group_clips(files)
    assert len(clips) == MAX_CLIP_ROWS + 1
    view = build_view(job(files=files), clips, {}, [])
    names = [row.name for row in view.clips]
    assert names == ["GX010005.MP4 (+1 span)", f"DCIM/100GOPRO/ ({MAX_CLIP_ROWS:,} clips)"]
    failed, folded = view.clips
    assert failed.states[0][1].text == (
        "FAILED: 1 of 2 files (GX020005.MP4): disk full; "
        "Transfer-checked only (not read back): 1 of 2 files"
    )
    assert failed.states[0][1].level == "failed"
    # 1,000 clips, 2,000 files: n % 3 == 0 for 334 of them (n = 5 apart), each two files.
    thirds = {0: 0, 1: 0, 2: 0}
    for n in range(MAX_CLIP_ROWS + 1):
        if n != 5:
            thirds[n % 3] += 2
    total = 2 * MAX_CLIP_ROWS
    assert folded.states[0][1] == (
        "transfer_checked",
        f"Transfer-checked only (not read back): {thirds[2]} of {total:,} files; "
        f"Verified earlier (2026-11-27 14:02 UTC, full verification, not re-read): "
        f"{thirds[1]} of {total:,} files; "
        f"Verified now (read through the page cache, not from the disk): {thirds[0]} of "
        f"{total:,} files",
    )
    assert folded.states[1][1] == (
        "transfer_checked",
        f"Transfer-checked only (not read back): {total - 2:,} of {total:,} files; "
        f"Verified now: 2 of {total:,} files",
    )


def test_files_missing_from_the_card_and_notes_are_shown() -> None:
    data = job(
        exit_code=1,
        missing_from_card=["CLIPS/A001C009.mov"],
        card_history_untrusted=None,
        notes=["cannot write the local report into /ro: read-only file system"],
    )
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert not view.verdict_ok
    assert any("A001C009.mov: MISSING FROM THE CARD" in p for p in view.problems)
    assert "cannot write the local report into /ro: read-only file system" in view.warnings


def test_links_the_manifest_does_not_list_are_a_note_once_each_never_verified() -> None:
    note = "it leads out of the card (its content is not part of the card); ignored"
    links = [
        {
            "destination_index": index,
            "relative_path": path,
            "target": target,
            "status": "created",
            "error": None,
            "manifest": manifest,
            "manifest_note": note if manifest == "ignored" else "listed as the file it leads to",
        }
        for index in (0, 1)
        for path, target, manifest in (
            ("outside", "/etc/hostname", "ignored"),
            ("CLIPS/latest.mov", "A001C001.mov", "listed"),
        )
    ]
    data = job(symlinks=links)
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert view.warnings.count(f"Symlink outside -> /etc/hostname (destination 1, 2): {note}") == 1
    assert not any("latest.mov" in w for w in view.warnings)
    assert not any("outside" in p for p in view.problems)


def test_a_sound_card_reads_as_audio_takes_with_their_tracks() -> None:
    """A recorder's WAVs were "other files", one row a track; a take is one row now, its
    tracks listed under it, and the card's counts name the takes."""
    data = job(source="/nonexistent/SOUND_01")
    entry = data["files"][0]
    data["files"] = [
        {**entry, "path": f"250101/S02T01_{n}.WAV", "size_bytes": 2048} for n in (1, 2, 3)
    ] + [{**entry, "path": "250101/250101.CSV"}]
    view = build_view(data, group_clips(data["files"]), {}, [])
    take, report = view.clips
    assert (take.kind, take.name) == ("audio", "S02T01_1.WAV (+2 tracks)")
    assert take.sidecars == ["S02T01_2.WAV (track, 2.05 kB)", "S02T01_3.WAV (track, 2.05 kB)"]
    assert (report.kind, report.name) == ("file", "250101.CSV")
    assert "0 clips, 0 image sequences, 1 audio take" in view.verdict_detail
    assert ("Audio takes", "1") in view.totals
    html = build_documents(data, DocumentOptions(media=False))[".html"].decode()
    assert "audio take" in html and "S02T01_3.WAV (track, 2.05 kB)" in html


def test_an_insta360_recording_lists_its_other_lens_as_a_lens_in_html_and_pdf(
    poppler: dict[str, str], tmp_path: Path
) -> None:
    """Before: the second lens file of an Insta360 recording read "(span, ...)" under its clip
    in both reports, as if the recording had been split in time."""
    data = job(source="/nonexistent/INSTA_01")
    entry = data["files"][0]
    data["files"] = [
        {**entry, "path": f"DCIM/Camera01/{name}", "size_bytes": 2048}
        for name in camera_cards.file_paths(camera_cards.INSTA360)
    ]
    view = build_view(data, group_clips(data["files"]), {}, [])
    row = next(c for c in view.clips if c.name.startswith("VID_"))
    assert row.name == "VID_20250101_120000_00_001.insv (+1 lens)"
    assert row.sidecars == [
        "VID_20250101_120000_10_001.insv (lens, 2.05 kB)",
        "LRV_20250101_120000_01_001.lrv (2.05 kB)",
    ]
    documents = build_documents(data, DocumentOptions(media=False))
    html = documents[".html"].decode()
    assert "VID_20250101_120000_10_001.insv (lens, 2.05 kB)" in html
    assert "(span," not in html and "spans)" not in html
    (tmp_path / "report.pdf").write_bytes(documents[".pdf"])
    text = pdf_words(poppler, tmp_path / "report.pdf")
    assert "(+1 lens)" in text and "(lens, 2.05 kB)" in text
    assert "(span," not in text and "spans)" not in text


def test_many_audio_takes_fold_per_folder_like_clips() -> None:
    """A sound library of thousands of takes must not make a PDF of thousands of rows: past
    MAX_CLIP_ROWS the takes in a good state fold per folder, as clips without a picture do."""
    from offload.report.content import MAX_CLIP_ROWS
    from offload.report.media import NO_PICTURE, MediaInfo

    count = MAX_CLIP_ROWS // 2 + 1
    files = folders_of_files(
        "SOUND/{folder}/T{n:04d}.WAV",
        ("DAY1", "DAY2"),
        count,
        good="verified",
        failed=("DAY2", 7),
        second={"status": "verified"},
    )
    clips = group_clips(files)
    assert {c.kind for c in clips} == {"audio"}
    media = {i: MediaInfo(error=NO_PICTURE, audio="1 track(s), 48 kHz") for i in range(len(clips))}
    view = build_view(job(files=files), clips, media, [])
    assert [r.name for r in view.clips] == [
        "T0007.WAV",
        f"SOUND/DAY1/ ({count} audio takes)",
        f"SOUND/DAY2/ ({count - 1} audio takes)",
    ]
    assert view.clips[0].media_note == "sound only"
    assert view.clips[1].media_note == "sound only"
    assert view.clips[1].kind_label == "audio takes in a folder"  # was "clips in a folder"
    assert view.clips[1].details == [
        f"{count} audio takes ({count} files with their sidecars), "
        "each listed in the JSON/CSV report"
    ]


def test_a_sidecar_in_another_folder_is_named_with_that_folder() -> None:
    """Under a P2 clip, "0001AB00.MXF" and "0001AB.MP4" did not say that one is an audio
    channel and the other the proxy; their folder does."""
    data = job(source="/nonexistent/P2_CARD")
    entry = data["files"][0]
    data["files"] = [
        {**entry, "path": path}
        for path in (
            "CONTENTS/VIDEO/0001AB.MXF",
            "CONTENTS/AUDIO/0001AB00.MXF",
            "CONTENTS/CLIP/0001AB.XML",
            "CONTENTS/PROXY/0001AB.MP4",
            "CONTENTS/VIDEO/0001AB.txt",
            "0001AB.md5",  # at the card's root: its whole path
        )
    ]
    (row,) = build_view(data, group_clips(data["files"]), {}, []).clips
    assert row.sidecars == [
        "0001AB.md5 (100 B)",
        "AUDIO/0001AB00.MXF (100 B)",
        "CLIP/0001AB.XML (100 B)",
        "PROXY/0001AB.MP4 (100 B)",
        "0001AB.txt (100 B)",
    ]


def test_a_destinations_time_is_its_phases_by_name_never_their_sum_as_a_duration() -> None:
    """copy_s and verify_s are each summed over the files and overlap: a cancelled run's
    QA report showed "Duration 2.5 s" per destination against 1.9 s elapsed. Each phase is
    shown by its name instead (before: one "Duration" row, their sum)."""
    data = job(elapsed_s=1.9)
    for d in data["destinations"]:
        d.update(copy_s=1.4, verify_s=1.1)
    data["destinations"][1].update(copy_s=0.8, verify_s=0.0)  # transfer: nothing read back
    view = build_view(data, group_clips(data["files"]), {}, [])
    first, second = (dict(rows) for rows in view.destinations)
    assert "Duration" not in first and "2.5 s" not in first.values()
    assert first["Time"] == "1.4 s copying, 1.1 s reading back (overlapping)"
    assert second["Time"] == "0.8 s copying"


def test_a_destination_row_is_marked_by_the_facts_its_json_result_comes_from() -> None:
    """Failed before: a destination where a symlink of the card could not be made (its JSON
    `result` "failed", exit 1) had a green ✔ row in the HTML/PDF."""
    rows = {
        "links": {"files_verified": 3, "symlinks_failed": 1, "result": "failed"},
        "cancelled": {"files_verified": 1, "files_cancelled": 2, "result": "cancelled"},
        "ok": {"files_verified": 3, "result": "ok"},
    }
    data = job(
        destinations=[
            {"index": i, "path": f"/mnt/{name}", **counts}
            for i, (name, counts) in enumerate(rows.items())
        ]
    )
    view = build_view(data, group_clips(data["files"]), {}, [])
    results = [dict(row)["Result"] for row in view.destinations]
    assert results == [
        "✖ 3 verified now, 1 symlink NOT MADE",
        "✖ 1 verified now, 2 cancelled",
        "✔ 3 verified now",
    ]


def test_copies_read_through_a_cache_are_said_so_on_page_1() -> None:
    """Before, a copy read back from a network share (``server``) or through the page cache
    (``none``) was "Verified now" under "every copy read back from its drive and matched"."""
    files = [
        {
            "path": f"f{i}.mov",
            "size_bytes": 1,
            "destinations": [{"index": 0, "status": "verified", "cache_bypass": how}],
        }
        for i, how in enumerate(("o_direct", "server", "device"))
    ]
    data = job(files=files, destinations=job()["destinations"][:1])
    view = build_view(data, group_clips(files), {}, [])
    assert view.verdict == (
        "✔ ALL COPIES VERIFIED: every copy read back and matched, 1 of 3 through a cache, not "
        "from the media"
    )
    assert any(w.startswith("1 of 3 copies were read back through a cache") for w in view.warnings)
    assert describe(files[1]["destinations"][0]).text == (
        "Verified now (read through a network share's server, maybe from its cache)"
    )
    assert describe(files[2]["destinations"][0]).text == "Verified now"


def test_copies_verified_earlier_through_a_cache_are_said_so_on_page_1() -> None:
    """Verified earlier by a run whose ledger entry records a read-back through the page
    cache (``cache_bypass`` ``none`` carried into the result): the verdict says how many,
    not only the warning (reviewer: the verdict dropped the count)."""
    files = [
        {
            "path": f"f{i}.mov",
            "size_bytes": 1,
            "destinations": [{"index": 0, "status": status, "cache_bypass": how}],
        }
        for i, (status, how) in enumerate(
            (("verified_earlier", "none"), ("verified_earlier", "not-read"), ("verified", "none"))
        )
    ]
    data = job(files=files, destinations=job()["destinations"][:1])
    view = build_view(data, group_clips(files), {}, [])
    assert view.verdict == (
        "✔ ALL COPIES VERIFIED (2 of 3 verified earlier, not re-read, 1 of them read back "
        "through a cache by the earlier run, not from the media; 1 of 3 read back now through "
        "a cache)"
    )
    assert any(w.startswith("2 of 3 copies were read back through a cache") for w in view.warnings)
    assert describe(files[0]["destinations"][0]).text == (
        "Verified earlier (through a cache, not re-read)"
    )
    assert describe(files[1]["destinations"][0]).text == "Verified earlier (not re-read)"


def test_the_verdict_counts_the_lines_page_1_shows_and_the_files_that_failed(
    poppler: dict[str, str], tmp_path: Path
) -> None:
    """250 failed copies on one destination and 230 files missing from the card: page 1
    lists 20 failures and a line counting the rest, 200 missing and a line counting the rest.
    Failed before: "FAILED: 480 problem(s)" and "Problems (480)" over a list of 222 lines
    (a producer counts the lines and finds fewer). Now the verdict, the Problems heading and
    the totals count the lines shown, and the verdict says how many files failed, and on
    how many destinations, as the terminal's NOT ALL VERIFIED line does."""
    files = [
        {
            "path": f"DATA/F{n:03d}.BIN",
            "size_bytes": 8,
            "destinations": [
                {"index": 0, "status": "verified"},
                {"index": 1, "status": "failed", "error": "file exists"},
            ],
        }
        for n in range(250)
    ]
    missing = [f"DATA/GONE{n:03d}.BIN" for n in range(230)]
    data = job(files=files, missing_from_card=missing, exit_code=1)
    view = build_view(data, group_clips(files), {}, [])
    # Each copy's error its own (no ``files_failed`` to count them alike): 20 listed.
    assert len(view.problems) == 222
    verdict = "✖ FAILED: 250 of 250 files failed on 1 destination; 222 problems, listed first below"
    assert view.verdict == verdict, view.verdict
    assert (
        "… and 230 more files on destination 2: SHUTTLE failed: the clip list and the CSV and "
        "JSON reports list each, with its error"
    ) in view.problems
    assert "… and 30 more missing from the card" in view.problems
    assert dict(view.totals)["Problems"] == "222"
    documents = build_documents(data, DocumentOptions(media=False))
    html = documents[".html"].decode()
    assert "<h2>Problems (222)</h2>" in html and verdict in html
    (tmp_path / "report.pdf").write_bytes(documents[".pdf"])
    text = pdf_words(poppler, tmp_path / "report.pdf")
    assert "FAILED: 250 of 250 files failed on 1 destination; 222 problems, listed" in text
    assert "Problems (222)" in text
    with_one = job(exit_code=1)
    one = build_view(with_one, group_clips(with_one["files"]), {}, [])
    assert len(one.problems) == 1
    assert (
        one.verdict
        == "✖ FAILED: 1 of 3 files failed on 1 destination; 1 problem, listed first below"
    )


def test_an_empty_file_named_as_a_clip_is_no_clip_and_is_warned_about(
    poppler: dict[str, str], tmp_path: Path
) -> None:
    """A 0-byte ``A002.MOV`` (a recording that failed) was counted as a clip, with no word
    but "not probed: the file is empty" on its row. It is a row of its own, "empty file",
    named on page 1, counted apart; an empty chapter of a GoPro recording is no span of it
    (the recording lacks that chapter)."""

    def entry(path: str, size: int) -> dict[str, Any]:
        return {
            "path": path,
            "size_bytes": size,
            "destinations": [
                {"index": 0, "status": "verified"},
                {"index": 1, "status": "verified"},
            ],
        }

    files = [
        entry("A001.MOV", 100),
        entry("A002.MOV", 0),
        entry("DCIM/100GOPRO/GX010005.MP4", 100),
        entry("DCIM/100GOPRO/GX020005.MP4", 0),
        entry("DCIM/100GOPRO/GX030005.MP4", 100),
    ]
    data = job(files=files, totals={"files": 5, "bytes": 300})
    clips = group_clips(files)
    assert [(c.kind, c.name) for c in clips] == [
        ("clip", "A001.MOV"),
        ("empty", "A002.MOV"),
        ("clip", "GX010005.MP4 (+1 span)"),
        ("empty", "GX020005.MP4"),
    ]
    assert list(clips[2].missing_spans) == ["GX020005.MP4"]
    view = build_view(data, clips, {}, [])
    said = (
        "EMPTY (0 bytes): nothing was recorded in it (a recording that failed); not counted "
        "as a clip"
    )
    assert f"A002.MOV: {said}" in view.warnings
    assert f"DCIM/100GOPRO/GX020005.MP4: {said}" in view.warnings
    rows = {row.name: row for row in view.clips}
    assert rows["A002.MOV"].kind_label == "empty file" and f"⚠ {said}" in rows["A002.MOV"].details
    assert ("Clips", "2") in view.totals and ("Empty files named as clips", "2") in view.totals
    assert "2 clips, 0 image sequences, 2 empty files named as clips" in view.verdict_detail
    documents = build_documents(data, DocumentOptions(media=False))
    (tmp_path / "report.pdf").write_bytes(documents[".pdf"])
    text = pdf_words(poppler, tmp_path / "report.pdf")
    assert "A002.MOV: EMPTY (0 bytes)" in text and "EMPTY FILE" in text


def test_the_entries_left_out_are_listed_with_why_and_capped_with_a_count(
    poppler: dict[str, str], tmp_path: Path
) -> None:
    """The HTML and PDF said "Ignored (not copied) 5" and named none of them (the card
    release named the first a user's pattern left out). A section lists each with its
    reason, those of a pattern given for the offload first; past 100, the rest are counted
    by reason."""
    apple = "._*: AppleDouble files: macOS stores Finder metadata"
    ignored = [
        {"path": ".DS_Store", "reason": ".DS_Store: macOS Finder view settings"},
        {"path": ".Trashes", "reason": ".Trashes: macOS per-volume trash"},
        *({"path": f"._C{n:03d}.MP4", "reason": apple} for n in range(120)),
        {"path": "DCIM/100MEDIA/DJI_0001.LRF", "reason": "matches ignore pattern *.LRF"},
        {"path": "DCIM/100MEDIA/DJI_0002.LRF", "reason": "matches ignore pattern *.LRF"},
    ]
    data = job(ignored=ignored)
    view = build_view(data, group_clips(data["files"]), {}, [])
    given = "matches ignore pattern *.LRF (a pattern given for this offload)"
    assert view.ignored[:4] == [
        f"DCIM/100MEDIA/DJI_0001.LRF — {given}",
        f"DCIM/100MEDIA/DJI_0002.LRF — {given}",
        ".DS_Store — .DS_Store: macOS Finder view settings",
        ".Trashes — .Trashes: macOS per-volume trash",
    ]
    assert view.ignored[99] == f"._C095.MP4 — {apple}"
    assert view.ignored[100:] == [f"… and 24 more entries: {apple}"]
    assert view.ignored_count == 124
    documents = build_documents(data, DocumentOptions(media=False))
    html = documents[".html"].decode()
    assert "<h2>Ignored (not copied): 124 entries</h2>" in html
    assert "<li>.Trashes — .Trashes: macOS per-volume trash</li>" in html
    (tmp_path / "report.pdf").write_bytes(documents[".pdf"])
    text = pdf_words(poppler, tmp_path / "report.pdf")
    assert "Ignored (not copied): 124 entries" in text
    # The dash drawn as it is (WinAnsi has it): it was "-", as a name's own "-" is.
    assert f"DCIM/100MEDIA/DJI_0002.LRF — {given}" in text and "and 24 more entries" in text


def test_sizes_are_written_in_the_terminals_units() -> None:
    """The terminal writes "2.0 kB" (rich); the HTML and PDF wrote "2.05 KB"."""
    from rich import filesize

    from offload.report.content import human_bytes

    assert human_bytes(2048) == "2.05 kB" and filesize.decimal(2048).endswith(" kB")
    assert human_bytes(999) == "999 B" and human_bytes(2_500_000) == "2.50 MB"


def test_one_row_is_counted_in_the_singular(poppler: dict[str, str], tmp_path: Path) -> None:
    """The clip list's heading said "(1 rows, problems first)"."""
    files = job()["files"][:1]
    data = job(files=files, totals={"files": 1, "bytes": 100})
    documents = build_documents(data, DocumentOptions(media=False))
    assert "<h2>Clips and files (1 row, problems first)</h2>" in documents[".html"].decode()
    (tmp_path / "report.pdf").write_bytes(documents[".pdf"])
    assert "Clips and files (1 row, problems first)" in pdf_text(poppler, tmp_path / "report.pdf")


def test_a_clip_of_several_files_says_its_size_is_theirs_not_its_digests_file() -> None:
    """Failed before (a QA pass): a row showed the clip's size (every file of it: chapters,
    sidecars) beside the digest of its first file alone, as if both were that file's."""
    view = build_view(job(), group_clips(job()["files"]), {}, [])
    rows = {row.name: row for row in view.clips}
    assert rows["A001C002.mov"].size == "200 B in 2 files"  # the .mov and its .xml
    # the row's first file's, said so (never read as the group's)
    assert rows["A001C002.mov"].digests == ["first file xxh64 fedcba9876543210"]
    assert rows["A001C001.mov"].size == "100 B"  # one file: its own
    assert rows["A001C001.mov"].digests[0].startswith("xxh64 ")


def test_a_clip_a_legacy_mhl_on_the_card_lists_and_the_card_lost_is_a_problem() -> None:
    """The job report's ``missing_from_legacy_mhl`` (exit 1: a lost clip) is a problem of
    the HTML/PDF, naming the file and the MHL that lists it, as the history's are; with
    every copy verified the verdict is a failure, never "FAILED AFTER THE COPIES" (which
    says the copies are all there)."""
    lost = [{"path": "CLIPS/A001C003.mov", "mhl": "CLIPS/CLIPS_2024-05-01_100200.mhl"}]
    files = [
        {
            "path": "CLIPS/A001C001.mov",
            "size_bytes": 8,
            "destinations": [{"index": 0, "status": "verified"}],
        }
    ]
    data = job(files=files, missing_from_legacy_mhl=lost, exit_code=1)
    view = build_view(data, group_clips(files), {}, [])
    assert view.verdict.startswith("✖ FAILED: 1 problem, listed first below"), view.verdict
    assert view.problems == [
        "CLIPS/A001C003.mov: MISSING FROM THE CARD (the legacy MHL "
        "CLIPS/CLIPS_2024-05-01_100200.mhl on it lists it): not copied"
    ]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (None, ""),
        (0.0, "0.0 s"),
        (0.041, "under 0.1 s"),  # said "0.0 s" for a read-back of 1,265 files
        (0.05, "0.1 s"),
        (12.34, "12.3 s"),
        (59.96, "1:00 min"),  # said "60.0 s"
        (65.0, "1:05 min"),
        (3723.0, "1:02:03"),
    ],
)
def test_a_time_spent_is_never_said_as_none(seconds: float | None, words: str) -> None:
    from offload.report.content import duration

    assert duration(seconds) == words


def test_the_totals_line_of_a_bucket_says_bucket_not_disk() -> None:
    """A QA run's totals said "Disk s3://qa-bucket/cards" for its S3 destination (failed
    before): a bucket is on no disk of this machine's, as the card's line says too."""
    how = {"read_backs": "parallel", "reason": "the only destination on it"}
    devices = [
        {"device": "/dev/sdb", "kind": "rotational", "destinations": [0], **how},
        {"device": "s3://qa-bucket/cards", "kind": "remote", "destinations": [1], **how},
    ]
    data = job(devices=devices)
    totals = dict(build_view(data, group_clips(data["files"]), {}, []).totals)
    assert "Disk /dev/sdb" in totals and "Bucket s3://qa-bucket/cards" in totals
    assert not any(key.startswith("Disk s3://") for key in totals)


def test_the_cascade_sentence_names_two_destinations_as_the_release_rule_does() -> None:
    """Two fast copies on the card's disk: the documents' cascade sentence says
    "destinations 1 and 2 are", as ``card_release`` numbers destinations (one helper).
    Failed before: "destinations 1, 2 are"."""
    from offload.report.content import _cascade_text

    data = job()
    data["destinations"].append({"index": 2, "path": "/mnt/SLOW", "copy_root": "/mnt/SLOW/A"})
    data["cascade"] = {
        "destinations": [2],
        "card_pass_ended_at": "2026-11-30T10:03:00Z",
        "card_released_at": None,
        "fast_copies_on_card_disk": [0, 1],
    }
    text = _cascade_text(data, fed=True, slow_failed=0, fast_copies=())
    assert "destinations 1 and 2 are on the card's own filesystem or disk" in text, text


def test_a_problem_line_names_a_path_its_message_already_names_once() -> None:
    """A copy's, a card read's and a link's error that names the file's path already gets
    no second path before it (before: "CLIPS/A001C002.mov on destination 2: SHUTTLE:
    FAILED: /mnt/SHUTTLE/A001/CLIPS/A001C002.mov already exists ..."); one that does not
    name it keeps the path first."""
    data = job(exit_code=1)
    taken = "/mnt/SHUTTLE/A001/CLIPS/A001C002.mov already exists on destination /mnt/SHUTTLE"
    data["files"][1]["destinations"][1]["error"] = taken
    data["files"][0]["source_error"] = "source /cards/A001/CLIPS/A001C001.mov changed while read"
    data["symlinks"] = [
        {
            "relative_path": "CLIPS/last.mov",
            "status": "failed",
            "error": "cannot create symlink /mnt/SHUTTLE/A001/CLIPS/last.mov: read-only",
        },
        {"relative_path": "CLIPS/first.mov", "status": "failed", "error": "read-only"},
    ]
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert view.problems == [
        "Card read FAILED: source /cards/A001/CLIPS/A001C001.mov changed while read",
        f"Destination 2: SHUTTLE: FAILED: {taken}",
        "Symlink not made: cannot create symlink /mnt/SHUTTLE/A001/CLIPS/last.mov: read-only",
        "Symlink CLIPS/first.mov: read-only",
    ]


def test_a_link_not_made_with_no_error_recorded_is_said_so_not_none() -> None:
    """Failed before: page 1 read "Symlink CLIPS/last.mov: None" for a link of the card not
    made with no error recorded; it says no reason was recorded, as a copy's line does."""
    data = job(exit_code=1)
    data["symlinks"] = [{"relative_path": "CLIPS/last.mov", "status": "failed", "error": None}]
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert "Symlink CLIPS/last.mov: no reason recorded" in view.problems, view.problems
    assert not any("None" in line for line in view.problems), view.problems


@pytest.mark.parametrize(
    ("message", "path", "named"),
    [
        ("/d/A001/CLIPS/a.mov already exists", "CLIPS/a.mov", True),
        ("cannot read CLIPS/a.mov.", "CLIPS/a.mov", True),
        ("'CLIPS/a.mov': gone", "CLIPS/a.mov", True),
        ("/d/A001/CLIPS/a.mov.bak already exists", "CLIPS/a.mov", False),
        ("/d/A001/XCLIPS/a.mov already exists", "CLIPS/a.mov", False),
        ("disk full", "a", False),
        ("no space left on a drive", "a", False),  # a word, not the file
        ("cannot read 'a': gone", "a", True),
        ("/d/A001/a: gone", "a", True),
        ("anything", "", False),
    ],
)
def test_names_path(message: str, path: str, named: bool) -> None:
    assert names_path(message, path) is named


@pytest.mark.parametrize(
    ("why", "named"),
    [
        ("cannot write /mnt/d/ascmhl/0001.mhl: read-only", True),
        ("/mnt/d is read-only", True),
        ("cannot write '/mnt/d': read-only", True),
        ("the drive went away from /mnt/d.", True),
        ("cannot write /mnt/dx/ascmhl: read-only", False),
        ("cannot write /srv/mnt/d/ascmhl: read-only", False),  # another folder's
    ],
)
def test_a_manifest_error_names_its_destination_once(why: str, named: bool) -> None:
    """A manifest's error names its destination before *why* only where *why* does not name
    it, by the rule the documents' problem lines follow (``errors.names_path``). Failed
    before, with a rule of its own: a root in quotes or ending a sentence named twice, a
    root inside another folder's path ("/srv/mnt/d/...") taken for the destination's."""
    from offload.manifests_writer import not_written

    said = not_written("/mnt/d/", why)
    assert said.startswith("manifest not written: " if named else "manifest not written on ")


def test_a_row_counts_its_copies_under_another_name_apart() -> None:
    """A clip whose movie --keep-both copied beside another file and whose sidecar is at its
    own name: its row says one of its two files is under another name, never both (nor
    neither, as before: "Verified now" where the destination holds the other file)."""
    data = job()
    mov, sidecar = data["files"][1], data["files"][2]
    for entry in (mov, sidecar):
        entry["destinations"] = [{"index": 0, "status": "verified"}]
        entry["destinations"][0]["final_path"] = f"/mnt/RAID1/A001R1AB/{entry['path']}"
    mov["destinations"][0]["final_path"] = "/mnt/RAID1/A001R1AB/CLIPS/A001C002 (1).mov"
    view = build_view(data, group_clips(data["files"]), {}, [])
    row = next(r for r in view.clips if r.name == "A001C002.mov")
    (_label, state), *_ = row.states
    assert state.text == (
        "Verified now; 1 of 2 files under another name, beside the file kept at its name "
        "(--keep-both)"
    )
    other = next(r for r in view.clips if r.name == "A001C001.mov")
    assert other.states[0][1].text == "Verified now"


def test_a_row_never_gives_its_first_files_date_or_cache_to_the_others() -> None:
    """A row of files verified earlier at two times, or verified now through a cache and
    not: each wording is counted, never the first file's said of every file (before:
    "Verified earlier (2026-11-27 14:02 UTC, ...): 2 of 3 files" for two files verified at
    14:02 and 15:40, "Verified now (read through the page cache...)" of a file read from
    the disk)."""
    data = job()
    mov, sidecar = data["files"][1], data["files"][2]
    early = {"status": "verified_earlier", "verified_mode": "full"}
    mov["destinations"] = [{"index": 0, **early, "verified_at": "2026-11-27T14:02:33Z"}]
    sidecar["destinations"] = [{"index": 0, **early, "verified_at": "2026-11-27T15:40:00Z"}]
    mov["destinations"].append({"index": 1, "status": "verified", "cache_bypass": "none"})
    sidecar["destinations"].append({"index": 1, "status": "verified", "cache_bypass": "fadvise"})
    view = build_view(data, group_clips(data["files"]), {}, [])
    row = next(r for r in view.clips if r.name == "A001C002.mov")
    (_one, first), (_two, second) = row.states
    assert first.text == (
        "Verified earlier (2026-11-27 14:02 UTC, full verification, not re-read): 1 of 2 files; "
        "Verified earlier (2026-11-27 15:40 UTC, full verification, not re-read): 1 of 2 files"
    )
    assert second.text == (
        "Verified now (read through the page cache, not from the disk): 1 of 2 files; "
        "Verified now: 1 of 2 files"
    )


def test_a_row_of_copies_all_under_another_name_says_it_once() -> None:
    """Both files of a clip copied beside other files (--keep-both), verified at two
    times: each wording counted, then once how many are under another name (failed
    before: the note repeated after every wording, "...: 1 of 2 files; under another
    name, ...: 1 of 2 files")."""
    data = job()
    early = {"index": 0, "status": "verified_earlier", "verified_mode": "full"}
    for entry, at in zip(data["files"][1:3], ("14:02:33", "15:40:00"), strict=True):
        stem, dot, ext = entry["path"].rpartition(".")
        final = f"/mnt/RAID1/A001R1AB/{stem} (1){dot}{ext}"
        entry["destinations"] = [{**early, "verified_at": f"2026-11-27T{at}Z"}]
        entry["destinations"][0]["final_path"] = final
    view = build_view(data, group_clips(data["files"]), {}, [])
    row = next(r for r in view.clips if r.name == "A001C002.mov")
    assert row.states[0][1].text == (
        "Verified earlier (2026-11-27 14:02 UTC, full verification, not re-read): 1 of 2 files; "
        "Verified earlier (2026-11-27 15:40 UTC, full verification, not re-read): 1 of 2 files; "
        "2 of 2 files under another name, beside the file kept at its name (--keep-both)"
    )


def test_a_row_of_more_wordings_than_it_names_counts_the_rest_together() -> None:
    """Four files of a row verified earlier at four times: three wordings named, the
    fourth counted as "Verified earlier otherwise" (the branch no test reached before)."""
    from offload.report.content import _row_states

    files: list[Any] = []
    for minute in ("01", "02", "03", "04"):
        files.append(
            {
                "path": f"CLIPS/A001C00{minute[1]}.mov",
                "destinations": [
                    {
                        "index": 0,
                        "status": "verified_earlier",
                        "verified_mode": "full",
                        "verified_at": f"2026-11-27T14:{minute}:00Z",
                    }
                ],
            }
        )
    from offload.report.content import _file_states

    (state,) = _row_states(files, _file_states(files, [0], frozenset())[0], 1)
    assert state.text == (
        "Verified earlier (2026-11-27 14:01 UTC, full verification, not re-read): 1 of 4 files; "
        "Verified earlier (2026-11-27 14:02 UTC, full verification, not re-read): 1 of 4 files; "
        "Verified earlier (2026-11-27 14:03 UTC, full verification, not re-read): 1 of 4 files; "
        "Verified earlier otherwise: 1 of 4 files (the JSON and CSV reports give each)"
    )


def test_the_warning_labels_are_keyed_by_preflight_codes() -> None:
    """The one table of the summary's and page 1's labels names codes that exist."""
    from offload.plan.codes import PreflightCode
    from offload.report.words import WARNING_LABELS

    assert {PreflightCode(code) for code in WARNING_LABELS} == {
        PreflightCode.EXISTING_REPLACED,
        PreflightCode.EXISTING_KEPT_BESIDE,
    }


def test_a_bucket_destination_is_named_by_its_bucket_in_either_form() -> None:
    """A destination's row names a bucket by its name whether the report gives its
    ``s3://`` URL (the JSON's) or its stand-in path (``/s3:/bucket/...``, which the check
    takes as a bucket too). Failed before: the stand-in was shown as the row's path; its
    bucket was read 5 characters in, right only because ``/s3:/`` is as long as ``s3://``."""
    for root in ("s3://footage/day1/A001", "/s3:/footage/day1/A001"):
        data = job()
        data["destinations"][0].update(copy_root=root, path=root)
        (first, *_rest) = build_view(data, group_clips(data["files"]), {}, []).destinations
        rows = dict(first)
        assert rows["Volume"] == "S3 bucket footage", (root, rows)
        assert rows["Path"] == "s3://footage/day1/A001", (root, rows)


def _lost_card(count: int) -> dict[str, Any]:
    """A report of *count* other files in 2 folders offloaded to 2 destinations, the second
    lost at the first file's rename: every file failed there of the loss, but ``b/f1.bin``,
    which did not match its card file there before (a failure of its own)."""
    reason = "cannot rename /mnt/SHUTTLE/A001R1AB/a/f0.bin: Input/output error (EIO)"
    files = []
    for i in range(count):
        path = f"{'ab'[i % 2]}/f{i}.bin"
        error = f"/mnt/SHUTTLE/A001R1AB/{path} not copied: the destination failed ({reason})"
        if i == 0:
            error = reason
        elif i == 1:
            error = f"/mnt/SHUTTLE/A001R1AB/{path} does not match the source"
        files.append(
            {
                "path": path,
                "size_bytes": 1,
                "destinations": [
                    {"index": 0, "status": "verified"},
                    {"index": 1, "status": "failed", "error": error},
                ],
            }
        )
    destinations = job()["destinations"]
    destinations[1] = {
        **destinations[1],
        "lost": True,
        "lost_reason": reason,
        "lost_at": "2026-11-30T10:02:33Z",
    }
    return job(files=files, destinations=destinations, exit_code=1)


def test_a_lost_destination_counts_the_files_it_took_in_one_line() -> None:
    """Failed before (QA, 3,005 files on a drive lost mid-card: a PDF of 511 pages): a line
    a file of page 1 for the loss, and a row a file in the clip list. Past MAX_LOSS_LINES
    the loss's files are one line; the file that failed for its own reason keeps its line
    and its row; the rows of the loss fold by folder, never said verified there."""
    from offload.report.content import LOST_COPY, MAX_FILE_ROWS, MAX_LOSS_LINES

    count = MAX_FILE_ROWS + 100
    data = _lost_card(count)
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert view.problems == [
        "Destination 2: SHUTTLE LOST at 2026-11-30 10:02:33 UTC: cannot rename "
        "/mnt/SHUTTLE/A001R1AB/a/f0.bin: Input/output error (EIO)",
        f"{count - 1:,} files FAILED on destination 2: SHUTTLE, lost at 2026-11-30 10:02:33 UTC "
        "(the line above gives the cause): the CSV and JSON reports list each, with its error",
        "Destination 2: SHUTTLE: FAILED: /mnt/SHUTTLE/A001R1AB/b/f1.bin does not match the source",
    ]
    assert len(view.problems) == 3  # the lines page 1 shows
    assert view.verdict.startswith(
        f"✖ FAILED: {count:,} of {count:,} files failed on 1 destination; 3 problems"
    ), view.verdict
    assert [row.name for row in view.clips] == [
        "f1.bin",
        f"a/ ({count // 2} files)",
        f"b/ ({count // 2 - 1} files)",
    ]
    assert (
        view.clips[0].states[1][1].text == "FAILED: /mnt/SHUTTLE/A001R1AB/b/f1.bin does "
        "not match the source"
    )
    for row in view.clips[1:]:
        (_, first), (_, second) = row.states
        assert first.text == "Verified now"
        assert second.level == "failed" and second.text == LOST_COPY
    # A few files of a loss keep their lines: each is named on page 1.
    few = _lost_card(MAX_LOSS_LINES + 1)  # its first file's error is the loss's reason
    view = build_view(few, group_clips(few["files"]), {}, [])
    assert len(view.problems) == 1 + MAX_LOSS_LINES + 1
    assert not any("files FAILED on destination" in line for line in view.problems)


def test_a_card_gone_away_stands_for_the_files_it_failed() -> None:
    """Failed before (QA: a card of 3,000 files pulled mid-card, a PDF of 200 pages): two
    lines a file on page 1 under the card's line, which counts them already. Past
    MAX_LOSS_LINES files that line stands for them and their rows fold; a file that failed
    otherwise (a read error of its own, not one a gone card gives) keeps its lines."""
    from offload.report.content import GONE_COPY, MAX_FILE_ROWS, MAX_LOSS_LINES

    def card(count: int) -> dict[str, Any]:
        files = []
        for i in range(count):
            error = f"cannot open source /media/A001/f{i}.bin: Transport endpoint is not " + (
                "connected (ENOTCONN)" if i else "connected"  # f0: not of the gone card
            )
            files.append(
                {
                    "path": f"f{i}.bin",
                    "size_bytes": 1,
                    "source_error": error,
                    "destinations": [{"index": 0, "status": "failed", "error": error}],
                }
            )
        gone = "the card /media/A001 went away during the offload (...)"
        return job(files=files, destinations=job()["destinations"][:1], card_gone=gone)

    data = card(MAX_FILE_ROWS + 10)
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert view.problems == [
        data["card_gone"],
        "Card read FAILED: cannot open source /media/A001/f0.bin: Transport endpoint is not "
        "connected",
        "Destination 1: RAID1: FAILED: cannot open source /media/A001/f0.bin: Transport "
        "endpoint is not connected",
    ]
    assert [row.name for row in view.clips] == [
        "f0.bin",
        f"(card root)/ ({MAX_FILE_ROWS + 9} files)",
    ]
    folded = view.clips[1]
    assert folded.states[0][1].text == GONE_COPY
    assert (
        f"✖ CARD READ FAILED: {MAX_FILE_ROWS + 9} of {MAX_FILE_ROWS + 9} files"
        in (folded.details[-1])
    )
    few = card(MAX_LOSS_LINES + 1)
    assert len(build_view(few, group_clips(few["files"]), {}, []).problems) == 1 + 2 * (
        MAX_LOSS_LINES + 1
    )
    # A cascade re-run without its card: the fast copy standing in for it went away, in
    # each folded cell as on the row's line. Failed before (review of revfix1_60): each
    # cell said "the card went away" beside "READ OF THE FAST COPY ... FAILED".
    data["warnings"] = [{"code": "card-absent", "path": "/media/A001", "message": "..."}]
    folded = build_view(data, group_clips(data["files"]), {}, []).clips[1]
    assert folded.states[0][1].text == (
        "FAILED: not verified here: the fast copy standing in for the card went away "
        "(the cause is under Problems)"
    )
    assert "READ OF THE FAST COPY STANDING IN FOR THE CARD FAILED" in folded.details[-1]


def test_folders_of_one_cause_past_the_limit_are_one_line() -> None:
    """QA: a card gone away gave page 1 a line for each card folder whose time could not be
    read, and a drive gone read-only one for each folder whose time it refused (the
    terminal counts both, ``failure_lines``): past MAX_LOSS_LINES of one cause, one line
    with the count; fewer keep their lines; another folder error keeps its own."""
    from offload.report.content import MAX_LOSS_LINES

    count = MAX_LOSS_LINES + 5
    unread = [
        f"cannot read the time of the card's folder /media/A001/C{i:03d} (for "
        f"/mnt/RAID1/A001R1AB/C{i:03d}): Transport endpoint is not connected; check the card"
        for i in range(count)
    ]
    refused = [
        f"cannot set the time of folder /mnt/SHUTTLE/A001R1AB/C{i:03d}: Read-only file system "
        "(EROFS)"
        for i in range(count)
    ]
    other = "cannot make folder /mnt/RAID1/A001R1AB/X: Permission denied (EACCES)"
    unset = [{"index": 1, "errno": "EROFS", "message": m} for m in refused]
    data = job(
        folder_errors=[*unread, other, *refused],
        folder_times_unset=unset,
        card_gone="the card /media/A001 went away during the offload (...)",
        exit_code=1,
    )
    view = build_view(data, group_clips(data["files"]), {}, [])
    folder_lines = view.problems[view.problems.index(data["card_gone"]) + 1 :]
    folder_lines = [line for line in folder_lines if "folder" in line]
    assert folder_lines == [
        f"{count} folders of the card whose times could not be read: the card went away (the "
        "first problem); the JSON report lists each",
        other,
        f"{count} folders on destination 2: SHUTTLE whose times could not be set (EROFS), the "
        f"first: {refused[0]}; the JSON report lists each",
    ]


def _history_mismatches(count: int) -> dict[str, Any]:
    """A report of *count* files the card's ASC MHL history did not match (the reader's
    error, which names the file again at its end: ``--ignore /PATH``), each failed on the
    one destination, not lost, with that error."""
    files = []
    for i in range(count):
        path = f"CLIPS/f{i}.mov"
        error = (
            f"source /media/A001/{path} does not match the card's own ASC MHL history: xxh64 "
            f"{i:016x} read, {i + 1:016x} recorded: its content changed since that history "
            "recorded it (now 1 bytes, modified 2026-11-30 10:00:00), edited since (a sidecar "
            "an app rewrote) or damaged; it was not copied: copy the version the history "
            f"records from a copy it verified, or leave this file out with --ignore /{path}"
        )
        files.append(
            {
                "path": path,
                "size_bytes": 1,
                "source_error": error,
                "destinations": [{"index": 0, "status": "failed", "error": error}],
            }
        )
    destinations = job()["destinations"][:1]
    destinations[0] = {**destinations[0], "files_failed": count}
    return job(files=files, destinations=destinations, exit_code=1)


def test_files_the_card_failed_to_read_keep_their_own_lines_and_reasons() -> None:
    """Review of the reports merge: the shared-error rule counted the files the card failed
    to read, and took each error's path out at its last mention, which a history mismatch
    gives again in its remedy (``--ignore /PATH``): page 1 said "N files FAILED ... with
    the same error ()" and the cells "FAILED:  (N files ...)", the reason gone. Failed
    before; each such file keeps its own lines and cells, as the terminal prints them."""
    from offload.report.content import MAX_LOSS_LINES
    from offload.report.loss import Losses, error_words

    count = MAX_LOSS_LINES + 10
    data = _history_mismatches(count)
    assert Losses.of_report(data).alike == {}
    error = data["files"][0]["source_error"]
    assert "--ignore /CLIPS/f0.mov" in error_words(error, "CLIPS/f0.mov")  # cut at its first
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert not any("same error" in line for line in view.problems)
    assert any(line.endswith("--ignore /CLIPS/f0.mov") for line in view.problems)
    for row in view.clips:
        for _label, state in row.states:
            assert state.level == "failed"
            assert "does not match the card's own ASC MHL history" in state.text, state.text


def test_of_the_loss_compares_both_sides_by_one_rule() -> None:
    """Review of the report-words merge: the file's error kept its whole rest once its
    path was out (``fsync: ...``) while the reason was cut at its last ``": "``, so the
    same fsync error on a lost destination was not the loss. Failed before."""
    from offload.report.loss import of_the_loss

    reason = "/D/A001/x.mov: fsync: Input/output error (EIO)"
    assert of_the_loss("/D/A001/y.mov: fsync: Input/output error (EIO)", "A001/y.mov", reason)
    assert of_the_loss("/D/A001/y.mov: Input/output error (EIO)", "A001/y.mov", reason)
    assert not of_the_loss("/D/A001/y.mov: fsync: No space left (ENOSPC)", "A001/y.mov", reason)
    assert not of_the_loss("/D/A001/y.mov: error (EIO)", "A001/y.mov", reason)


def test_a_bad_sector_of_the_card_is_not_said_to_be_a_lost_destinations() -> None:
    """Review of the reports merge: a file the card failed to read with EIO (a bad sector,
    the card still there) whose copy failed with that error on a destination lost with EIO
    passed ``of_the_loss``: its cell said the destination was lost, and page 1 counted it
    among the loss's files while the terminal named it. Failed before; it keeps its own."""
    from offload.report.content import LOST_COPY, MAX_LOSS_LINES

    data = _lost_card(MAX_LOSS_LINES + 1)
    bad = data["files"][4]
    error = f"cannot read source /media/A001/{bad['path']}: Input/output error (EIO)"
    bad["source_error"] = error
    bad["destinations"] = [
        {"index": 0, "status": "failed", "error": error},
        {"index": 1, "status": "failed", "error": error},
    ]
    view = build_view(data, group_clips(data["files"]), {}, [])
    (row,) = [row for row in view.clips if row.name == "f4.bin"]
    assert row.states[1][1].text != LOST_COPY
    assert error in row.states[1][1].text
    lost = view.problems.index(next(p for p in view.problems if " LOST at " in p))
    # The loss's lines: its files' (f0 and every other but f1, its own, and f4, unread).
    taken = [p for p in view.problems[lost + 1 :] if "not copied: the destination failed" in p]
    assert len(taken) == MAX_LOSS_LINES - 2
    assert f"Destination 2: SHUTTLE: FAILED: {error}" in view.problems


def test_a_folded_row_of_two_causes_words_each() -> None:
    """Review of the reports merge: a folded row put every failed file under the first
    one's reason: a folder of files a lost destination took and files the card gone away
    failed said of all of them that the destination was lost. Failed before; each cause
    is worded apart, with its count and its first file."""
    from offload.report.content import GONE_COPY, LOST_COPY, MAX_FILE_ROWS

    count = MAX_FILE_ROWS + 100
    data = _lost_card(count)
    data["card_gone"] = "the card /media/A001 went away during the offload (...)"
    gone = 0
    for i, entry in enumerate(data["files"]):
        if i % 2 == 0 and i >= count // 2:  # the last half of folder a/: the card gone
            error = f"cannot open source /media/A001/{entry['path']}: No such file (ENOENT)"
            entry["source_error"] = error
            entry["destinations"] = [
                {"index": 0, "status": "failed", "error": error},
                {"index": 1, "status": "failed", "error": error},
            ]
            gone += 1
    view = build_view(data, group_clips(data["files"]), {}, [])
    (row,) = [row for row in view.clips if row.name.startswith("a/")]
    files = count // 2
    second = row.states[1][1]
    assert second.level == "failed"
    assert second.text == (
        f"FAILED: {files - gone} of {files} files (f0.bin and {files - gone - 1} more): "
        f"{LOST_COPY.removeprefix('FAILED: ')}; "
        f"FAILED: {gone} of {files} files (f{count // 2 + count // 2 % 2}.bin and {gone - 1} "
        f"more): {GONE_COPY.removeprefix('FAILED: ')}"
    )


def test_a_row_of_more_failures_than_it_names_points_to_the_reports() -> None:
    """Review of the folded-row fix: past three failures of a row, the rest said "(the
    problem list gives each)", false where page 1 counts them in one line (a long DPX
    sequence past its line cap). Failed before; the rest point to the JSON and CSV reports,
    as every other level's do, and the named ones give their first file."""
    from offload.report.content import _file_states, _row_states

    files: list[Any] = [
        {
            "path": f"CLIPS/A001C00{i}.mov",
            "destinations": [{"index": 0, "status": "failed", "error": f"error {i}"}],
        }
        for i in range(1, 5)
    ]
    (state,) = _row_states(files, _file_states(files, [0], frozenset())[0], 1)
    assert state.level == "failed"
    assert state.text == (
        "FAILED: 1 of 4 files (A001C001.mov): error 1; "
        "FAILED: 1 of 4 files (A001C002.mov): error 2; "
        "FAILED: 1 of 4 files (A001C003.mov): error 3; "
        "FAILED otherwise: 1 of 4 files (the JSON and CSV reports give each)"
    )


def test_copies_failed_with_no_error_recorded_are_each_named_alike_on_page_1_and_rows() -> None:
    """Review of the shared-error rule: more than ``LISTED_ALONE`` copies of a destination
    failed with no error recorded were counted as one error, "": their cells read "FAILED:
    (N files failed so here; the first is under Problems)", the reason gone, while page 1
    (which judged "no reason recorded") named each. Failed before; page 1 and the cells
    agree: each its own, no count of a shared error."""
    from offload.report.loss import LISTED_ALONE, Losses

    data = job()
    entry = data["files"][0]
    files = [
        {
            **entry,
            "path": f"CLIPS/A001C{i:03d}.mov",
            "destinations": [{"index": 0, "status": "failed"}],
        }
        for i in range(LISTED_ALONE + 5)
    ]
    destinations = data["destinations"][:1]
    destinations[0] = {**destinations[0], "files_failed": len(files)}
    data = job(files=files, destinations=destinations, exit_code=1)
    assert Losses.of_report(data).alike == {}
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert not any("same error" in line for line in view.problems)
    for row in view.clips:
        for _label, state in row.states:
            assert state.level == "failed"
            assert "so here" not in state.text, state.text


@pytest.mark.parametrize(
    ("paths", "one", "all_"),
    [
        (["/mnt/RAID1", "/mnt/SHUTTLE"], "its drive", "their drives"),
        (["s3://rushes/day1"], "its bucket", "their buckets"),
        (["/mnt/RAID1", "s3://rushes/day1"], "its drive or bucket", "their drives or buckets"),
    ],
)
def test_the_verdict_says_where_copies_were_read_back_from(
    paths: list[str], one: str, all_: str
) -> None:
    """A bucket's copies are read back from the bucket, not a drive. Failed before: the
    banner said "every copy read back from its drive" of an s3:// destination (black-box
    QA of S3)."""
    files = [
        {
            "path": "CLIPS/A001C001.mov",
            "size_bytes": 100,
            "digests": {"xxh64": "0123456789abcdef"},
            "destinations": [
                {"index": i, "status": "verified", "cache_bypass": "o_direct"}
                for i in range(len(paths))
            ],
        }
    ]
    destinations = [{"index": i, "path": path} for i, path in enumerate(paths)]
    data = job(files=files, destinations=destinations)
    view = build_view(data, group_clips(files), {}, [])
    assert view.verdict == f"✔ ALL COPIES VERIFIED: every copy read back from {one} and matched"
    assert _proved(
        Counter(verified=2), copies=2, cached=0, read_again=0, read_from=(one, all_)
    ) == (
        f"✔ ALL COPIES VERIFIED: every copy read back from {one} and matched",
        f"all 2 verified now (read back from {all_} and matched)",
    )


def _own_failures(errors: list[str | None]) -> dict[str, Any]:
    """A report of a file per error of *errors*, each verified on destination 1 and failed
    with it on destination 2."""
    files = [
        {
            "path": f"DATA/F{n:03d}.BIN",
            "size_bytes": 8,
            "destinations": [
                {"index": 0, "status": "verified"},
                {"index": 1, "status": "failed", "error": error},
            ],
        }
        for n, error in enumerate(errors)
    ]
    return job(files=files, exit_code=1)


def _mismatch(n: int) -> str:
    return (
        f"/mnt/SHUTTLE/A001R1AB/DATA/F{n:03d}.BIN on /dev/sdb does not match the source: xxh64 "
        f"{n:016x} read back twice, ffffffffffffffff read from the source"
    )


def test_page_1_names_each_copy_failed_with_no_reason_recorded() -> None:
    """Review of the reports merge: past LISTED_ALONE failures of one destination, copies
    failed with no error recorded were folded into "… and N more files on destination D
    failed, each for a reason of its own", where docs/reports.md says such a copy is
    always listed by name. Failed before (20 named, 5 folded); each is named now."""
    from offload.report.loss import LISTED_ALONE

    data = _own_failures([None] * (LISTED_ALONE + 5))
    view = build_view(data, group_clips(data["files"]), {}, [])
    named = [p for p in view.problems if p.endswith(": FAILED: no reason recorded")]
    assert len(named) == LISTED_ALONE + 5, view.problems
    assert not any(p.startswith("… and") for p in view.problems), view.problems


def test_page_1_says_each_its_own_digests_only_when_each_did_not_match() -> None:
    """Review of the reports merge: the line counting the failures of one destination past
    LISTED_ALONE said "failed, each for a reason of its own" of copies sharing one error
    (up to LISTED_ALONE of them are not counted alike). Failed before; now it says how many
    failed and how many of them did not match, "each with its own digests" only when each
    did, as the terminal's line (``loss.OwnFailures``)."""
    from offload.report.loss import LISTED_ALONE

    denied = "cannot write /mnt/SHUTTLE/A001R1AB/DATA: Permission denied (EACCES)"
    tail = "the clip list and the CSV and JSON reports list each, with its error"
    mixed = [_mismatch(n) for n in range(LISTED_ALONE + 1)] + [denied, denied]
    data = _own_failures(mixed)
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert view.problems[-1] == (
        "… and 3 more files on destination 2: SHUTTLE failed (1 of them did not match the "
        f"source when read back): {tail}"
    ), view.problems
    data = _own_failures([_mismatch(n) for n in range(LISTED_ALONE + 2)])
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert view.problems[-1] == (
        "… and 2 more files on destination 2: SHUTTLE did not match the source when read "
        f"back, each with its own digests: {tail}"
    ), view.problems
    assert len(view.problems) == LISTED_ALONE + 1


def test_a_clip_with_an_empty_sound_file_keeps_its_row_past_a_thousand_clips() -> None:
    """Review of the reports merge: past MAX_CLIP_ROWS clips without thumbnails, a clip
    whose own sound file is empty (``A001C0007.WAV``, 0 bytes) was folded into its folder's
    row, its ⚠ lost (page 1 still warned of it). Failed before; it keeps its own row."""
    from offload.report.content import MAX_CLIP_ROWS

    verified = [{"index": 0, "status": "verified"}, {"index": 1, "status": "verified"}]
    files = [
        {"path": f"CLIPS/A001C{n:04d}.MOV", "size_bytes": 10, "destinations": verified}
        for n in range(MAX_CLIP_ROWS + 1)
    ]
    files.append({"path": "CLIPS/A001C0007.WAV", "size_bytes": 0, "destinations": verified})
    data = job(files=files)
    view = build_view(data, group_clips(files), {}, [])
    rows = {row.name: row for row in view.clips}
    assert "A001C0007.MOV" in rows, sorted(rows)[:5]
    assert any(
        d.startswith("⚠ A001C0007.WAV: EMPTY (0 bytes)") for d in rows["A001C0007.MOV"].details
    ), rows["A001C0007.MOV"].details
    assert len(view.clips) == 2  # that clip, and its folder's row of the others
