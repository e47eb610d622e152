"""A source below its card's root (``offload copy CARD/PRIVATE/M4ROOT/CLIP D``, a beginner's
habit): only part of the card is offloaded, so the preflight warns (``source-part-of-volume``,
in ``--dry-run`` too) and the card release keeps the card, naming what was left outside, on
the terminal and in the JSON. The OS's own entries beside the source (a Spotlight index, an
empty folder) leave nothing behind: the release is unchanged. Real tmpfs cards."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

from support import mounts
from support.faultyfs import FaultyFS
from support.offload_cli import newest_html_words, newest_report, offload_streams

CODE = "source-part-of-volume"


def _sony_card(root: Path) -> None:
    (root / "PRIVATE" / "M4ROOT" / "CLIP").mkdir(parents=True)
    (root / "PRIVATE" / "M4ROOT" / "CLIP" / "C0001.MP4").write_bytes(os.urandom(40_000))
    (root / "XDROOT" / "Clip").mkdir(parents=True)
    (root / "XDROOT" / "Clip" / "A005C001.MXF").write_bytes(os.urandom(30_000))


def _release(reports: Path) -> dict[str, object]:
    release = newest_report(reports)["card_release"]
    assert isinstance(release, dict)
    return release


def test_a_folder_or_a_file_of_the_card_keeps_the_card(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """Failed before: "The card may be formatted: every file is verified (read back) on 1
    disk other than the card's", ``may_format`` true, the XDROOT clip never copied (QA)."""
    card = Path(tmpfs_mount(4 << 20).path)
    _sony_card(card)
    clip = card / "PRIVATE" / "M4ROOT" / "CLIP"
    reports = tmp_path / "reports"
    for n, source in enumerate((clip, clip / "C0001.MP4")):
        dest = tmp_path / f"D{n}"
        dest.mkdir()
        within = str(source.relative_to(card))
        code, out, err = offload_streams("copy", "-q", "--report-dir", reports, source, dest)
        assert code == 0, out + err
        assert "may be formatted" not in out + err
        said = (
            f"Do not format the card: only {within} of the card mounted at {card} was "
            "offloaded: 1 other entry on it (XDROOT/ first) was not copied from the card by "
            "this run."
        )
        assert said in err.splitlines()
        assert (
            f"WARNING: only {within} of the card mounted at {card} is offloaded: 1 other "
            "entry on it (XDROOT/ first) is not copied by this run"
        ) in err
        release = _release(reports)
        assert release["may_format"] is False
        assert release["text"] == said
        (warning,) = [w for w in newest_report(reports)["warnings"] if w["code"] == CODE]
        assert warning["path"] == str(card)
        assert (warning["within"], warning["outside_first"], warning["count"]) == (
            within,
            "XDROOT/",
            1,
        )
    # The dry run forecasts it.
    code, out, err = offload_streams("copy", "--dry-run", clip, tmp_path / "D0")
    assert code == 0, out + err
    assert f"only PRIVATE/M4ROOT/CLIP of the card mounted at {card} is offloaded" in out + err
    # The whole card: released, no warning.
    whole = tmp_path / "whole"
    whole.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, card, whole)
    assert code == 0, out + err
    assert _release(reports)["may_format"] is True
    assert CODE not in str(newest_report(reports)["warnings"])


def test_the_os_entries_and_empty_ones_beside_the_source_leave_nothing_behind(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """A Spotlight index, a Windows volume folder, an empty folder and an empty file beside
    the source hold nothing of the card's: the release says what it said (may be formatted);
    one file with data among them keeps the card."""
    card = Path(tmpfs_mount(4 << 20).path)
    (card / "DCIM" / "100GOPRO").mkdir(parents=True)
    (card / "DCIM" / "100GOPRO" / "GX010001.MP4").write_bytes(os.urandom(40_000))
    (card / ".Spotlight-V100" / "Store-V2").mkdir(parents=True)
    (card / ".Spotlight-V100" / "Store-V2" / "index").write_bytes(os.urandom(1000))
    (card / "System Volume Information").mkdir()
    (card / "System Volume Information" / "IndexerVolumeGuid").write_bytes(b"{guid}")
    (card / "MISC" / "EMPTY").mkdir(parents=True)
    (card / "DCIM" / "empty.txt").write_bytes(b"")
    source = card / "DCIM" / "100GOPRO"
    reports, dest = tmp_path / "reports", tmp_path / "D"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, source, dest)
    assert code == 0, out + err
    assert _release(reports)["may_format"] is True
    assert CODE not in out + err
    (card / "MISC" / "EMPTY" / "GPS.LOG").write_bytes(b"data")
    dest = tmp_path / "D2"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, source, dest)
    assert code == 0, out + err
    assert _release(reports)["may_format"] is False
    assert "only DCIM/100GOPRO of the card mounted at" in _release(reports)["text"]
    assert "1 other entry on it (MISC/ first)" in str(_release(reports)["text"])


def test_a_copy_root_of_ours_below_its_drive_root_is_not_called_part_of_a_card(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """A copy root of ours offloaded again (the DIT's drive as the source) beside other copy
    roots on its drive: it is no card, its words are the copy source's, no warning."""
    card = Path(tmpfs_mount(4 << 20).path)
    _sony_card(card)
    drive = Path(tmpfs_mount(8 << 20).path)
    (drive / "OTHER").mkdir()
    (drive / "OTHER" / "clip.mov").write_bytes(os.urandom(1000))
    code, out, err = offload_streams("copy", "-q", "--report-dir", tmp_path / "r1", card, drive)
    assert code == 0, out + err
    (copy_root,) = [p for p in drive.iterdir() if p.name != "OTHER"]
    dest = tmp_path / "E"
    dest.mkdir()
    reports = tmp_path / "r2"
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, copy_root, dest)
    assert code == 0, out + err
    assert CODE not in out + err
    assert _release(reports)["source_is_copy"] is True


def test_the_dry_run_of_a_folder_of_an_exfat_card_warns(
    tmp_path: Path, exfat_loop: Callable[..., mounts.ExfatLoop]
) -> None:
    """The QA's exFAT card (exfat-fuse): ``--dry-run`` of ``PRIVATE/M4ROOT/CLIP`` gave no
    warning (failed before)."""
    card = Path(exfat_loop(path=tmp_path / "card").path)
    _sony_card(card)
    dest = tmp_path / "D"
    dest.mkdir()
    source = card / "PRIVATE" / "M4ROOT" / "CLIP"
    code, out, err = offload_streams("copy", "--dry-run", source, dest)
    assert code == 0, out + err
    assert (
        f"only PRIVATE/M4ROOT/CLIP of the card mounted at {card} is offloaded: 1 other entry "
        "on it (XDROOT/ first) is not copied by this run"
    ) in out + err


def test_a_cascade_re_run_without_the_card_keeps_the_card_a_folder_of_it_came_from(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """A cascade of a folder of the card, then re-run with the card unmounted (its slow copy
    of a clip gone): the fast copy's record of the card's pass says only that folder was
    offloaded, so the re-run keeps the card, naming what was left outside. Failed before
    (rev7_69 H1): exit 0, "It may be formatted on the ledger's word", ``may_format`` true."""
    card = Path(tmpfs_mount(4 << 20).path)
    _sony_card(card)
    clip = card / "PRIVATE" / "M4ROOT" / "CLIP"
    (clip / "C0002.MP4").write_bytes(os.urandom(20_000))
    fast, slow, reports = tmp_path / "F", tmp_path / "S", tmp_path / "reports"
    fast.mkdir()
    slow.mkdir()
    command = ("copy", "-q", "--report-dir", reports, "--cascade-to", slow, clip, fast)
    code, out, err = offload_streams(*command)
    assert code == 0, out + err
    assert _release(reports)["may_format"] is False
    mounts.unmount(card)
    (slow / "CLIP" / "C0002.MP4").unlink()
    code, out, err = offload_streams(*command)
    assert code == 0, out + err
    said = " ".join(err.split())
    assert "card-absent" in str(newest_report(reports)["warnings"])
    assert (
        f"the card's run: only PRIVATE/M4ROOT/CLIP of the card mounted at {card} was "
        "offloaded: 1 other entry on it (XDROOT/ first) was not copied from the card by that "
        "run: keep the card"
    ) in said, said
    release = _release(reports)
    assert release["may_format"] is False, release
    assert (
        f"only PRIVATE/M4ROOT/CLIP of the card mounted at {card} was offloaded: 1 other entry "
        "on it (XDROOT/ first) was not copied from the card by the card's run (its fast copy "
        "does not hold it)"
    ) in str(release["text"]), release
    (absent,) = [w for w in newest_report(reports)["warnings"] if w["code"] == "card-absent"]
    assert absent["card_part_of_volume"] == {
        "path": str(card),
        "within": "PRIVATE/M4ROOT/CLIP",
        "outside_first": "XDROOT/",
        "count": 1,
        "card": True,
    }
    assert (slow / "CLIP" / "C0002.MP4").exists()
    # The documents and the reel name the absent card after the card, not the folder its
    # run offloaded (names70; failed before: Card "CLIP (absent: not read)").
    html = newest_html_words(reports)
    assert f"<th>Card</th><td>{card.name} (absent: not read)</td>" in html, html[:3000]
    assert newest_report(reports)["production"]["reel"] == card.name


def test_a_bind_mount_of_a_folder_of_the_card_is_looked_at_on_the_whole_card(
    tmp_path: Path,
    tmpfs_mount: Callable[..., mounts.Mount],
    bind_mount: Callable[[Path, Path], mounts.Mount],
) -> None:
    """``mount --bind card/PRIVATE/M4ROOT/CLIP bind``: the source is that bind mount's root,
    no volume's root; it is looked at where the card is mounted whole. Failed before (rev7_69
    M1): exit 0, no warning, ``may_format`` true."""
    card = Path(tmpfs_mount(4 << 20).path)
    _sony_card(card)
    bound = Path(bind_mount(card / "PRIVATE" / "M4ROOT" / "CLIP", tmp_path / "bind").path)
    reports, dest = tmp_path / "r", tmp_path / "D1"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, bound, dest)
    assert code == 0, out + err
    release = _release(reports)
    assert release["may_format"] is False, release
    assert (
        f"only PRIVATE/M4ROOT/CLIP of the card mounted at {card} was offloaded: 1 other entry "
        "on it (XDROOT/ first) was not copied from the card by this run"
    ) in str(release["text"])


def test_the_source_spelled_in_another_case_on_exfat_is_not_called_left_out(
    tmp_path: Path, exfat_loop: Callable[..., mounts.ExfatLoop]
) -> None:
    """exFAT takes any case: ``card/dcim`` is the card's ``DCIM``, the source itself, never
    "1 other entry on it (DCIM/ first)". Failed before (rev7_69 M2): that warning, the card
    kept for the source's own folder."""
    card = Path(exfat_loop(path=tmp_path / "card").path)
    (card / "DCIM" / "100GOPRO").mkdir(parents=True)
    (card / "DCIM" / "100GOPRO" / "GX010001.MP4").write_bytes(os.urandom(40_000))
    reports, dest = tmp_path / "r", tmp_path / "E1"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, card / "dcim", dest)
    assert code == 0, out + err
    assert CODE not in str(newest_report(reports)["warnings"])
    # (Kept for another reason: the image of this card is on the destination's disk.)
    assert "of the card mounted at" not in str(_release(reports)["text"])
    # Another folder beside it still keeps the card.
    (card / "MISC").mkdir()
    (card / "MISC" / "GPS.LOG").write_bytes(b"data")
    dest = tmp_path / "E2"
    dest.mkdir()
    code, out, err = offload_streams(
        "copy", "-q", "--report-dir", reports, card / "dcim" / "100gopro", dest
    )
    assert code == 0, out + err
    (warning,) = [w for w in newest_report(reports)["warnings"] if w["code"] == CODE]
    assert (warning["outside_first"], warning["count"]) == ("MISC/", 1), warning


def test_a_folder_of_a_data_drive_is_no_card_to_keep(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """A dump folder on a RAID (no FAT, no camera card's layout at its root) beside others:
    no warning (offloading one folder of a data drive is everyday work) and the release does
    not keep "the card" for the drive's other folders. Failed before (rev7_69 M3): "of the
    card mounted at ...raid ... to offload the whole card: offload copy ...raid DEST", and
    "Do not format the card: ... (DAY1/B001/ first)"."""
    raid = Path(tmpfs_mount(4 << 20).path)
    for roll in ("A001", "B001"):
        (raid / "DAY1" / roll).mkdir(parents=True)
        (raid / "DAY1" / roll / "clip.mov").write_bytes(os.urandom(20_000))
    reports, dest = tmp_path / "r", tmp_path / "RD"
    dest.mkdir()
    code, out, err = offload_streams(
        "copy", "-q", "--report-dir", reports, raid / "DAY1" / "A001", dest
    )
    assert code == 0, out + err
    said = " ".join(err.split())
    assert "DAY1/B001" not in said and "of the card mounted" not in said, said
    assert not [w for w in newest_report(reports)["warnings"] if w["code"] == CODE]
    assert "DAY1/B001" not in str(_release(reports)["text"])


def test_a_deep_folder_tree_beside_the_source_is_looked_at_without_recursion(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """1,200 nested folders beside the source, a clip at the bottom: looked at within the
    budget, found holding data, no
    ``RecursionError``. Failed before (rev7_69 L1): exit 1, a traceback."""
    card = Path(tmpfs_mount(8 << 20).path)
    _sony_card(card)
    deep = card / "DEEP"
    deep.mkdir()
    fd = os.open(deep, os.O_RDONLY)
    try:
        for _ in range(1200):  # by descriptor: no path grows past PATH_MAX
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        clip = os.open("clip.mov", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(clip, b"data at the bottom")
        os.close(clip)
    finally:
        os.close(fd)
    reports, dest = tmp_path / "r", tmp_path / "D"
    dest.mkdir()
    source = card / "PRIVATE" / "M4ROOT" / "CLIP"
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, source, dest)
    assert code == 0, out + err
    assert "Traceback" not in err
    (warning,) = [w for w in newest_report(reports)["warnings"] if w["code"] == CODE]
    # Past the budget the deep tree counts as holding data (never "nothing" on a guess).
    assert warning["outside_first"] == "DEEP/", warning


def test_a_folder_above_the_source_that_cannot_be_listed_is_other_content(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """The card's ``PRIVATE/M4ROOT`` answers EIO to a listing (a real FUSE fault): what it
    holds beside the source is unknown, so it counts as other content, never "nothing".
    Failed before (rev7_69 L2): no warning, the rest of the folder taken for empty."""
    fs = faulty_fs()
    card = fs.mountpoint
    (card / "PRIVATE" / "M4ROOT" / "CLIP").mkdir(parents=True)
    (card / "PRIVATE" / "M4ROOT" / "CLIP" / "C0001.MP4").write_bytes(os.urandom(40_000))
    fs.fail("readdir", errno.EIO, path="PRIVATE/M4ROOT")
    reports, dest = tmp_path / "r", tmp_path / "D"
    dest.mkdir()
    source = card / "PRIVATE" / "M4ROOT" / "CLIP"
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, source, dest)
    assert code == 0, out + err
    (warning,) = [w for w in newest_report(reports)["warnings"] if w["code"] == CODE]
    assert (warning["within"], warning["outside_first"]) == (
        "PRIVATE/M4ROOT/CLIP",
        "PRIVATE/M4ROOT/*",
    ), warning


def test_a_bind_mount_of_a_folder_whose_volume_is_mounted_nowhere_else_says_so(
    tmp_path: Path,
    exfat_loop: Callable[..., mounts.ExfatLoop],
    bind_mount: Callable[[Path, Path], mounts.Mount],
) -> None:
    """An exFAT card's own mount gone, only the bind mount of its folder left: the rest of
    the card cannot be looked at, so the warning says so and the release keeps the card."""
    card = Path(exfat_loop(path=tmp_path / "card").path)
    _sony_card(card)
    bound = Path(bind_mount(card / "PRIVATE" / "M4ROOT" / "CLIP", tmp_path / "bind").path)
    mounts.detach(card)
    reports, dest = tmp_path / "r", tmp_path / "D1"
    dest.mkdir()
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, bound, dest)
    assert code == 0, out + err
    (warning,) = [w for w in newest_report(reports)["warnings"] if w["code"] == CODE]
    assert (warning["within"], warning["count"], warning["card"]) == (
        "PRIVATE/M4ROOT/CLIP",
        0,
        True,
    ), warning
    said = (
        f"only PRIVATE/M4ROOT/CLIP of the card seen at {bound} is offloaded: the source is a "
        "bind mount of that folder and the card is mounted nowhere else, so the rest of it "
        "could not be looked at, so the card must not be formatted after it"
    )
    assert said in " ".join(err.split())
    release = _release(reports)
    assert release["may_format"] is False
    assert "the rest of it could not be looked at" in str(release["text"])


def test_the_documents_name_the_card_after_the_card_and_say_which_folder(
    tmp_path: Path, tmpfs_mount: Callable[..., mounts.Mount]
) -> None:
    """``offload copy A001/PRIVATE/M4ROOT/CLIP``: the HTML names the card after its mount
    folder, ``A001`` (it has no label), and says which folder of it was offloaded; the
    Path row keeps the source. Failed before (words70): "Offload report: CLIP", Card
    "CLIP", nothing saying it was one folder of a card."""
    card = Path(tmpfs_mount(4 << 20, path=tmp_path / "A001").path)
    _sony_card(card)
    source = card / "PRIVATE" / "M4ROOT" / "CLIP"
    dest = tmp_path / "D"
    dest.mkdir()
    reports = tmp_path / "reports"
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, source, dest)
    assert code == 0, out + err
    html = newest_html_words(reports)
    assert "<title>Offload report: A001, only PRIVATE/M4ROOT/CLIP</title>" in html, html[:1500]
    assert "<th>Card</th><td>A001</td>" in html, html[:3000]
    assert (
        "<th>Offloaded</th><td>only PRIVATE/M4ROOT/CLIP of it was offloaded; 1 other entry on "
        "it (XDROOT/ first) was not copied by this run</td>"
    ) in html, html[:3000]
    assert f"<th>Path</th><td>{source}</td>" in html, html[:3000]
    assert "Offload report: CLIP" not in html
    # The reel the JSON records by default, the Reel row and ``offload history`` name the
    # card too (names70; failed before: "CLIP", the source folder's name).
    assert newest_report(reports)["production"]["reel"] == "A001"
    assert "<th>Reel</th><td>A001</td>" in html, html[:3000]
    code, out, err = offload_streams("history", "--json", "--report-dir", reports)
    assert code == 0, err
    assert [e["card"] for e in json.loads(out)] == ["A001"], out
    # The whole card: named as before, no such row.
    whole = tmp_path / "whole"
    whole.mkdir()
    reports = tmp_path / "whole-reports"  # its own: newest_html_words picks by name
    code, out, err = offload_streams("copy", "-q", "--report-dir", reports, card, whole)
    assert code == 0, out + err
    html = newest_html_words(reports)
    assert "<title>Offload report: A001</title>" in html, html[:1500]
    assert "<th>Offloaded</th>" not in html
