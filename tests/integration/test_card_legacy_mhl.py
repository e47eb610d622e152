"""Legacy MHL v1 files on the card (a shuttle drive, another tool's offload) are checked
while the card is read (offload/card_legacy_mhl.py, engine/reader.py ``_history_mismatch``)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import xxhash

from offload.card_legacy_mhl import check_legacy_mhls, formats_to_add, legacy_mhl_paths
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.plan.codes import PreflightCode
from support.ascmhl_judge import AscmhlJudge
from support.requirements import require_tool

# The dry run's title of the copies that fail for their card file's record, and its exit
# reason: why, as the run's line says it (not "would be REFUSED", a file in the way's).
UNLIKE_TITLE = "would FAIL: its source differs from its record (not copied, not read back)"
UNLIKE_REASON = "1 copy would fail: its source differs from its record"


def offload_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def _hash(name: str, size: int, digests: str) -> str:
    return (
        f"  <hash>\n    <file>{name}</file>\n    <size>{size}</size>\n"
        "    <lastmodificationdate>2024-05-01T10:00:00Z</lastmodificationdate>\n"
        f"{digests}    <hashdate>2024-05-01T10:01:00Z</hashdate>\n  </hash>\n"
    )


def _mhl(path: Path, hashes: str, finish: str = "2024-05-01T10:02:00Z") -> None:
    """A legacy MHL as Silverstack/ShotPut/YoYotta write it (v1.1, no namespace)."""
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
        "  <creatorinfo>\n    <username>dit</username>\n    <hostname>cart</hostname>\n"
        "    <tool>Silverstack 8</tool>\n    <startdate>2024-05-01T10:00:00Z</startdate>\n"
        f"    <finishdate>{finish}</finishdate>\n  </creatorinfo>\n{hashes}</hashlist>\n",
        encoding="utf-8",
    )


def _card(tmp_path: Path) -> Path:
    """A card whose CLIPS/ folder carries a legacy MHL: A001C001.mov recorded right (md5 and
    xxh64), A001C002.mov recorded with a wrong md5 (md5 alone: an xxh64 offload must add
    md5 to check it), A001C003.mov listed but gone, A001C004.mov recorded right in sha1."""
    card = tmp_path / "cards" / "A001"
    clips = card / "CLIPS"
    clips.mkdir(parents=True)
    one, two, four = os.urandom(30_000), os.urandom(20_000), b"four"
    for name, data in (("A001C001.mov", one), ("A001C002.mov", two), ("A001C004.mov", four)):
        (clips / name).write_bytes(data)
    wrong = hashlib.md5(two + b"x").hexdigest()
    _mhl(
        clips / "CLIPS_2024-05-01_100200.mhl",
        _hash(
            "A001C001.mov",
            len(one),
            f"    <md5>{hashlib.md5(one).hexdigest()}</md5>\n"
            f"    <xxhash64be>{xxhash.xxh64(one).hexdigest()}</xxhash64be>\n",
        )
        + _hash("A001C002.mov", len(two), f"    <md5>{wrong}</md5>\n")
        + _hash("A001C003.mov", 7, "    <md5>00112233445566778899aabbccddeeff</md5>\n")
        + _hash("A001C004.mov", 4, f"    <sha1>{hashlib.sha1(four).hexdigest()}</sha1>\n"),
    )
    return card


def _copied_to_dest(tmp_path: Path, card: Path) -> tuple[Path, str]:
    """``offload copy -q`` of *card* into *tmp_path*/dest (made), its reports in
    *tmp_path*/r: the copy root and what the run said on stderr. Its exit is checked (0)."""
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
    )
    assert code == 0, err
    return dest / card.name, err


def _verified_by_its_mhl(tmp_path: Path, root: Path, *options: str) -> tuple[int, str, str]:
    """``offload verify -q *options* --mhl-file ROOT/A001.mhl ROOT`` (the card's legacy MHL,
    copied with it), its reports in *tmp_path*/r: exit code, stdout, stderr."""
    return offload_cli(
        "verify",
        *options,
        "-q",
        "--mhl-file",
        str(root / "A001.mhl"),
        "--report-dir",
        str(tmp_path / "r"),
        str(root),
    )


def test_a_file_unlike_its_legacy_mhl_fails_and_a_listed_file_gone_is_named(
    tmp_path: Path,
) -> None:
    """The file whose md5 is not the one its legacy MHL records fails (exit 1), not copied,
    in one line naming the MHL, both digests and the ways on; before, the copy passed with
    exit 0 and no mention. The file listed but gone is named (and fails the run: a lost
    clip); the others are copied."""
    card = _card(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "-t", "xxh64", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
    )
    assert code == 1, err
    (line,) = [x for x in err.splitlines() if "does not match the legacy MHL" in x]
    clip = card / "CLIPS" / "A001C002.mov"
    assert (
        f"source {clip} does not match the legacy MHL 'CLIPS/CLIPS_2024-05-01_100200.mhl' "
        "on the card: md5 " in line
    ), line
    assert "its content changed since that MHL recorded it (now 20000 bytes" in line, line
    assert "or leave this file out with --ignore /CLIPS/A001C002.mov" in line, line
    assert not (dest / "A001" / "CLIPS" / "A001C002.mov").exists()
    assert (dest / "A001" / "CLIPS" / "A001C001.mov").is_file()
    assert (dest / "A001" / "CLIPS" / "A001C004.mov").is_file()
    assert (dest / "A001" / "CLIPS" / "CLIPS_2024-05-01_100200.mhl").is_file()
    assert "'CLIPS/A001C003.mov' is in the legacy MHL 'CLIPS/CLIPS_2024-05-01_100200.mhl' " in err

    # Left out with the pattern the line gives, the rest is copied and verified; the run
    # still exits 1 for the clip the card's legacy MHL lists and the card lost.
    again = tmp_path / "again"
    again.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "-t", "xxh64", "--ignore", "/CLIPS/A001C002.mov",
        "--report-dir", str(tmp_path / "r"), str(card), str(again),
    )  # fmt: skip
    assert code == 1, err
    assert "does not match the legacy MHL" not in err, err
    assert (again / "A001" / "CLIPS" / "A001C001.mov").is_file()


def test_the_plan_checks_only_what_it_can_and_adds_the_cheapest_format(tmp_path: Path) -> None:
    """What check_legacy_mhls finds on that card: the references of the three files there
    (paths from the card's root), the one gone, its warning; formats_to_add asks md5 for
    the md5-only file and sha1 for the sha1-only one, nothing for the file an xxh64 is
    recorded for."""
    card = _card(tmp_path)
    files = sorted(p.relative_to(card).as_posix() for p in card.rglob("*") if p.is_file())
    found = check_legacy_mhls(card, files)
    assert sorted(found.references) == [
        "CLIPS/A001C001.mov", "CLIPS/A001C002.mov", "CLIPS/A001C004.mov"
    ]  # fmt: skip
    assert found.missing == ("CLIPS/A001C003.mov",)
    assert [w.code for w in found.warnings] == [PreflightCode.LEGACY_MHL_FILE_MISSING]
    assert formats_to_add(found.references, ("xxh64",)) == ["md5", "sha1"]
    assert formats_to_add(found.references, ("md5", "sha1")) == []


def test_an_unreadable_legacy_mhl_is_one_warning_not_a_failure(tmp_path: Path) -> None:
    card = tmp_path / "cards" / "B001"
    card.mkdir(parents=True)
    (card / "clip.mov").write_bytes(b"clip")
    (card / "B001_2024-05-01_100200.mhl").write_text("<hashlist version='1.1'><hash>", "utf-8")
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
    )
    assert code == 0, err
    lines = [x for x in err.splitlines() if "legacy MHL 'B001_2024-05-01_100200.mhl'" in x]
    assert len(lines) == 1 and "cannot be read" in lines[0], err
    assert (dest / "B001" / "clip.mov").read_bytes() == b"clip"


def test_the_newer_of_two_mhls_listing_a_file_is_the_one_checked(tmp_path: Path) -> None:
    """A file re-offloaded (edited) since an older MHL: the one finished last decides."""
    card = tmp_path / "card"
    card.mkdir()
    (card / "note.xml").write_bytes(b"new")
    old = _hash("note.xml", 3, f"    <md5>{hashlib.md5(b'old').hexdigest()}</md5>\n")
    new = _hash("note.xml", 3, f"    <md5>{hashlib.md5(b'new').hexdigest()}</md5>\n")
    _mhl(card / "z_older.mhl", old, finish="2024-05-01T10:00:00Z")
    _mhl(card / "a_newer.mhl", new, finish="2024-06-01T10:00:00Z")
    found = check_legacy_mhls(card, ["a_newer.mhl", "note.xml", "z_older.mhl"])
    assert found.references["note.xml"]["md5"] == hashlib.md5(b"new").hexdigest()
    assert found.records["note.xml"] == "the legacy MHL 'a_newer.mhl' on the card"
    # A newer MHL that records no digest we compute for it (<null>) erases none.
    _mhl(
        card / "m_latest.mhl", _hash("note.xml", 3, "    <null>x</null>\n"), "2025-01-01T00:00:00Z"
    )
    found = check_legacy_mhls(card, ["a_newer.mhl", "m_latest.mhl", "note.xml", "z_older.mhl"])
    assert found.records["note.xml"] == "the legacy MHL 'a_newer.mhl' on the card"


def test_history_generations_are_not_legacy_mhls_and_a_card_without_any_costs_nothing() -> None:
    """``ascmhl/`` holds ASC MHL generations (``*.mhl`` too), read by card_history; a card
    without a ``.mhl`` file reads nothing and imports no manifest module."""
    paths = ["ascmhl/0001_A001_2024-05-01_100200Z.mhl", "X/ascmhl/0001_X.mhl", "A/R.MHL", "a.mov"]
    assert legacy_mhl_paths(paths) == ["A/R.MHL"]
    code = (
        "import sys; from pathlib import Path; "
        "from offload.card_legacy_mhl import check_legacy_mhls; "
        "r = check_legacy_mhls(Path('/nonexistent'), ['a.mov', 'b/c.xml']); "
        "assert r.references == {} and r.warnings == (), r; "
        "assert 'offload.manifest.legacy' not in sys.modules; "
        "assert 'xml.etree.ElementTree' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_copy_already_there_is_refused_naming_the_legacy_mhl(tmp_path: Path) -> None:
    """A destination that already holds the copy (no ledger: the copy is adopted by reading
    it and the card file): the card file unlike its legacy MHL fails there too, its line
    naming that MHL, never "the card's own ASC MHL"."""
    card = _card(tmp_path)
    dest = tmp_path / "dest"
    (dest / "A001" / "CLIPS").mkdir(parents=True)
    clip = card / "CLIPS" / "A001C002.mov"
    (dest / "A001" / "CLIPS" / "A001C002.mov").write_bytes(clip.read_bytes())
    # A copy keeping the card file's dates: one dated by its writing is this card's only
    # within 2 s of the card's making (else refused under load: copy-root-of-other-files).
    shutil.copystat(clip, dest / "A001" / "CLIPS" / "A001C002.mov")
    code, _, err = offload_cli(
        "copy", "-q", "-t", "xxh64", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
    )
    assert code == 1, err
    assert f"source {clip} differs from the legacy MHL 'CLIPS/CLIPS_2024-05-01_100200.mhl'" in err
    assert "the card's own ASC MHL" not in err, err


def test_only_computed_formats_are_passed_on_as_the_files_digests(tmp_path: Path) -> None:
    """The plan's tasks carry, of what a legacy MHL records, only the formats this read
    computes (they go into a bucket's object metadata): an md5 recorded beside an xxh64
    is not passed on as proved by an xxh64 offload (nothing added); on the card with an
    md5-only file, md5 is added and so checked for every file."""
    from offload.card import plan_offload

    card = tmp_path / "C002"
    card.mkdir()
    data = os.urandom(5_000)
    (card / "clip.mov").write_bytes(data)
    _mhl(
        card / "C002_2024-05-01_100200.mhl",
        _hash(
            "clip.mov",
            len(data),
            f"    <md5>{hashlib.md5(data).hexdigest()}</md5>\n"
            f"    <xxhash64be>{xxhash.xxh64(data).hexdigest()}</xxhash64be>\n",
        ),
    )
    (tmp_path / "d1").mkdir()
    plan = plan_offload(card, [tmp_path / "d1"])
    assert plan.options.copy.algorithms == ("xxh64",)
    (task,) = [t for t in plan.tasks if t.source.relative_path == "clip.mov"]
    assert dict(task.reference_digests) == {"xxh64": xxhash.xxh64(data).hexdigest()}
    assert task.reference_record == "the legacy MHL 'C002_2024-05-01_100200.mhl' on the card"

    (tmp_path / "d2").mkdir()
    plan = plan_offload(_card(tmp_path), [tmp_path / "d2"])
    by_path = {task.source.relative_path: task for task in plan.tasks}
    assert set(plan.options.copy.algorithms) == {"xxh64", "md5", "sha1"}
    assert set(by_path["CLIPS/A001C001.mov"].reference_digests) == {"xxh64", "md5"}
    assert set(by_path["CLIPS/A001C002.mov"].reference_digests) == {"md5"}
    assert not by_path["CLIPS/CLIPS_2024-05-01_100200.mhl"].reference_digests


def test_a_name_recorded_in_the_other_unicode_spelling_is_found_and_checked(
    tmp_path: Path,
) -> None:
    """A Mac tool's MHL records 'Café.mov' decomposed (NFD) while the card, listed on
    Linux, holds it composed (NFC), or the reverse: one name spelled two ways, on a real
    filesystem that keeps the bytes it is given. Before, the file was "listed but not on
    the card" (a warning) and checked against nothing, so a wrong copy passed; now it is
    the card's file, checked against the MHL's digest under the card's spelling: unlike
    it, it fails."""
    nfc, nfd = unicodedata.normalize("NFC", "Café.mov"), unicodedata.normalize("NFD", "Café.mov")
    assert nfc != nfd
    for on_card, in_mhl in ((nfc, nfd), (nfd, nfc)):
        card = tmp_path / f"C{len(on_card)}"
        card.mkdir()
        data = os.urandom(4_000)
        (card / on_card).write_bytes(data)
        assert sorted(os.listdir(card)) == [on_card]  # the filesystem keeps that spelling
        _mhl(
            card / "card.mhl",
            _hash(in_mhl, len(data), f"    <md5>{hashlib.md5(data + b'x').hexdigest()}</md5>\n"),
        )
        found = check_legacy_mhls(card, ["card.mhl", on_card])
        assert found.missing == () and found.warnings == (), found
        assert found.references == {on_card: {"md5": hashlib.md5(data + b"x").hexdigest()}}
        assert found.records == {on_card: "the legacy MHL 'card.mhl' on the card"}

        dest = tmp_path / f"dest{len(on_card)}"
        dest.mkdir()
        code, _, err = offload_cli(
            "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
        )
        assert code == 1, err
        assert "does not match the legacy MHL 'card.mhl' on the card: md5 " in err, err
        assert "is in the legacy MHL" not in err, err  # never "listed but missing"
        assert not (dest / card.name / on_card).exists()


def test_two_mhls_spelling_one_clip_two_ways_name_the_cards_file_not_a_lost_clip(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Two legacy MHLs on the card list one clip, one spelling its name composed (NFC),
    the other decomposed (NFD, the card's spelling), both with its right md5: one file,
    as for one MHL. Before, they were merged by the spelling each used, so the other
    spelling was a "twin listed beside it": the copy said the clip was MISSING FROM THE
    CARD (exit 1, "Do not format") and ``offload verify`` of the copy said MISSING (exit
    10), though the clip was copied and verified; in either order of dates. Twins the card
    holds, both spellings, are two files still: each checked against its own record."""
    nfc, nfd = (
        unicodedata.normalize("NFC", "Résumé.mov"),
        unicodedata.normalize("NFD", "Résumé.mov"),
    )
    data, plain = os.urandom(5_000), os.urandom(300)
    right = f"    <md5>{hashlib.md5(data).hexdigest()}</md5>\n"
    for order, (first, second) in enumerate(((nfc, nfd), (nfd, nfc))):
        card = tmp_path / f"card{order}" / "cardM"
        (card / "CLIPS").mkdir(parents=True)
        (card / "CLIPS" / nfd).write_bytes(data)
        (card / "CLIPS" / "plain.mov").write_bytes(plain)
        plain_hash = _hash(
            "CLIPS/plain.mov", 300, f"    <md5>{hashlib.md5(plain).hexdigest()}</md5>\n"
        )
        _mhl(
            card / "old.mhl",
            _hash(f"CLIPS/{first}", 5_000, right) + plain_hash,
            "2026-12-01T10:00:00Z",
        )
        _mhl(card / "new.mhl", _hash(f"CLIPS/{second}", 5_000, right), "2026-12-02T10:00:00Z")
        dest = tmp_path / f"M{order}"
        dest.mkdir()
        code, _, err = offload_cli(
            "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
        )
        assert code == 0, err
        assert "MISSING" not in err and "is in the legacy MHL" not in err, err
        assert (dest / "cardM" / "CLIPS" / nfd).read_bytes() == data
        code, out, err = offload_cli("verify", str(dest / "cardM"))
        assert code == 0, out + err
        assert "MISSING" not in out + err, out + err
        judge.assert_checks(dest / "cardM", f"CLIPS/{nfd}")
    # Twins on the card: each spelling its own file, each recorded by one MHL; one unlike.
    card = tmp_path / "twins"
    card.mkdir()
    (card / nfc).write_bytes(b"composed")
    (card / nfd).write_bytes(b"decomposed")
    _mhl(card / "a.mhl", _hash(nfc, 8, f"    <md5>{hashlib.md5(b'composed').hexdigest()}</md5>\n"))
    _mhl(
        card / "b.mhl",
        _hash(nfd, 10, f"    <md5>{hashlib.md5(b'other').hexdigest()}</md5>\n"),
        "2026-12-02T10:00:00Z",
    )
    found = check_legacy_mhls(card, ["a.mhl", "b.mhl", nfc, nfd])
    assert found.missing == () and found.warnings == (), found
    assert found.references == {
        nfc: {"md5": hashlib.md5(b"composed").hexdigest()},
        nfd: {"md5": hashlib.md5(b"other").hexdigest()},
    }


def test_a_lost_twins_record_in_one_mhl_is_missing_not_tied_to_the_other_mhls_file(
    tmp_path: Path,
) -> None:
    """The card holds only ``café.mov`` decomposed (NFD, clip Y); a.mhl lists the composed
    (NFC) spelling with the md5 of clip X, which the card lost; b.mhl lists the NFD name
    with Y's md5. Respelling each MHL before the merge tied a.mhl's record of X to Y's
    file: b.mhl newer, X's loss was hidden (copy exit 0, "All 3 files verified"); a.mhl
    newer, the good clip Y was refused against X's record and X still not missing. Records
    of two spellings in two MHLs are one file only where they agree (size, and a digest of
    a format both hold); else X is missing in either order of dates, Y checked against its
    own record, the copy verified, and ``offload verify`` of the copy says MISSING."""
    nfc, nfd = unicodedata.normalize("NFC", "café.mov"), unicodedata.normalize("NFD", "café.mov")
    lost, kept = b"clip X, lost", b"clip Y, on the card"
    early, late = "2026-12-01T10:00:00Z", "2026-12-02T10:00:00Z"
    for order, (a_date, b_date) in enumerate(((early, late), (late, early))):
        card = tmp_path / f"card{order}" / "cardT"
        card.mkdir(parents=True)
        (card / nfd).write_bytes(kept)
        (card / "plain.mov").write_bytes(b"plain")
        md5 = {data: f"    <md5>{hashlib.md5(data).hexdigest()}</md5>\n" for data in (lost, kept)}
        _mhl(card / "a.mhl", _hash(nfc, len(lost), md5[lost]), a_date)
        _mhl(card / "b.mhl", _hash(nfd, len(kept), md5[kept]), b_date)
        found = check_legacy_mhls(card, ["a.mhl", "b.mhl", nfd, "plain.mov"])
        assert found.missing == (nfc,) and found.missing_in == ("a.mhl",), found
        assert found.references == {nfd: {"md5": hashlib.md5(kept).hexdigest()}}, found
        dest = tmp_path / f"T{order}"
        dest.mkdir()
        code, _, err = offload_cli(
            "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
        )
        assert code == 1, err
        assert "MISSING FROM THE CARD" in err and "does not match" not in err, err
        assert (dest / "cardT" / nfd).read_bytes() == kept
        code, out, err = offload_cli("verify", str(dest / "cardT"))
        assert code == 10, out + err
        assert "MISSING" in out + err and "a.mhl" in out + err, out + err
    # Records that agree (size and md5) in two MHLs are one file, whichever spelling each uses.
    card = tmp_path / "agree"
    card.mkdir()
    (card / nfd).write_bytes(kept)
    same = _hash(nfc, len(kept), f"    <md5>{hashlib.md5(kept).hexdigest()}</md5>\n")
    _mhl(card / "a.mhl", same, "2026-12-01T10:00:00Z")
    _mhl(card / "b.mhl", same.replace(nfc, nfd), "2026-12-02T10:00:00Z")
    found = check_legacy_mhls(card, ["a.mhl", "b.mhl", nfd])
    assert found.missing == () and list(found.references) == [nfd], found
    # Of another size, or with no digest to compare (a <null> record): not known to agree.
    for other in (
        _hash(nfc, len(kept) + 1, f"    <md5>{hashlib.md5(kept).hexdigest()}</md5>\n"),
        _hash(nfc, len(kept), "    <null/>\n"),
    ):
        _mhl(card / "a.mhl", other, "2026-12-01T10:00:00Z")
        found = check_legacy_mhls(card, ["a.mhl", "b.mhl", nfd])
        assert found.missing == (nfc,), found


def test_a_clip_the_cards_legacy_mhl_lists_and_the_card_lost_fails_the_run(
    tmp_path: Path,
) -> None:
    """A card whose own legacy MHL lists a clip that is not there has lost a clip: the
    offload of the rest ends with exit 1, as for a file the card's ASC MHL history lists
    (before: a warning only, exit 0). The summary says so in a MISSING FROM THE CARD line,
    the job report names the file and its MHL (``missing_from_legacy_mhl``), the card is
    not released, and ``--dry-run`` says 1 too."""
    card = tmp_path / "cards" / "B002"
    card.mkdir(parents=True)
    data = os.urandom(3_000)
    (card / "B002C001.mov").write_bytes(data)
    _mhl(
        card / "B002_2024-05-01_100200.mhl",
        _hash("B002C001.mov", len(data), f"    <md5>{hashlib.md5(data).hexdigest()}</md5>\n")
        + _hash("B002C002.mov", 9, "    <md5>00112233445566778899aabbccddeeff</md5>\n"),
    )
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = offload_cli("copy", "--dry-run", str(card), str(dest))
    assert code == 1, err
    reports = tmp_path / "r"
    code, _, err = offload_cli("copy", "--report-dir", str(reports), str(card), str(dest))
    assert code == 1, err
    assert (dest / "B002" / "B002C001.mov").read_bytes() == data
    assert (
        "MISSING FROM THE CARD: 1 legacy MHL on it ('B002_2024-05-01_100200.mhl') lists "
        "1 file the card no longer has: B002C002.mov" in err
    ), err
    assert "Do not format the card: files a legacy MHL on it lists are missing" in err, err
    report = json.loads(sorted(reports.glob("*.json"))[-1].read_text())
    assert report["exit_code"] == 1
    assert report["missing_from_legacy_mhl"] == [
        {"path": "B002C002.mov", "mhl": "B002_2024-05-01_100200.mhl"}
    ]
    assert report["missing_from_card"] == []
    assert "legacy-mhl-file-missing" in [w["code"] for w in report["warnings"]]


def test_a_windows_path_from_a_drive_root_is_outside_the_card_not_a_lost_clip(
    tmp_path: Path,
) -> None:
    """A Windows tool's entry naming the file from its drive's root (``D:\\A001\\...``) is
    no path in the card: before, it was read as a folder ``D:`` of the card, and so a clip
    "listed but not on the card" (now a failure of the run); it is outside the card, one
    ``legacy-mhl-outside`` warning, not checked, as ``/Volumes/...`` is."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.MOV").write_bytes(b"clip")
    _mhl(
        card / "A001.mhl",
        _hash(
            "D:\\A001\\CLIPS\\A001C001.MOV",
            4,
            f"    <md5>{hashlib.md5(b'clip').hexdigest()}</md5>\n",
        )
        + _hash("/Volumes/A001/CLIPS/A001C001.MOV", 4, "    <null/>\n"),
    )
    found = check_legacy_mhls(card, ["A001.mhl", "CLIPS/A001C001.MOV"])
    assert found.missing == () and found.references == {}
    (warning,) = found.warnings
    assert warning.code is PreflightCode.LEGACY_MHL_OUTSIDE
    assert "'D:/A001/CLIPS/A001C001.MOV', '/Volumes/A001/CLIPS/A001C001.MOV'" in warning.message


def test_a_size_only_record_of_another_size_fails_the_file_as_a_digest_would(
    tmp_path: Path,
) -> None:
    """A legacy MHL entry with a ``<null>`` hash (size only) recording another size than the
    card file's: the file fails (exit 1), not copied, in the one line naming that MHL and
    both sizes, as a digest unlike its record fails it; ``offload verify`` of such a copy
    finds it CHANGED (exit 11). Before, the copy passed (exit 0) and took the file as it
    was. A size-only record of the right size lets the file through; a copy already there
    (adopted by reading it and the card file) is refused for it too, naming the MHL."""
    card = tmp_path / "cards" / "N001"
    card.mkdir(parents=True)
    good, bad = os.urandom(2_000), os.urandom(3_000)
    (card / "good.mov").write_bytes(good)
    (card / "bad.mov").write_bytes(bad)
    _mhl(
        card / "N001_2024-05-01_100200.mhl",
        _hash("good.mov", len(good), "    <null/>\n")
        + _hash("bad.mov", len(bad) - 1, "    <null/>\n"),
    )
    found = check_legacy_mhls(card, ["N001_2024-05-01_100200.mhl", "bad.mov", "good.mov"])
    assert found.references == {} and dict(found.sizes) == {"bad.mov": 2_999, "good.mov": 2_000}
    assert found.records["bad.mov"] == "the legacy MHL 'N001_2024-05-01_100200.mhl' on the card"

    dest = tmp_path / "dest"
    dest.mkdir()
    code, out, err = offload_cli(
        "copy", "--json", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
    )
    assert code == 1, err
    # Failed on its size alone, before a byte of it was read or written (before: the whole
    # file read and handed to the copy first, then failed).
    events = [json.loads(x) for x in out.splitlines()]
    # Progress lines are paced, so the last one may come before the last file's bytes: no
    # line may count more than good.mov and the MHL (bad.mov's 3,000 bytes counted before).
    progress = [p for p in events if p["event"] == "progress"]
    mhl_size = (card / "N001_2024-05-01_100200.mhl").stat().st_size
    assert progress
    for line in progress:
        assert line["source_bytes_read"] <= len(good) + mhl_size, line
        assert [d["bytes_written"] <= len(good) + mhl_size for d in line["destinations"]] == [
            True
        ], line
    assert [p.name for p in (dest / "N001").rglob("*") if "bad" in p.name] == []
    assert (dest / "N001" / "good.mov").read_bytes() == good
    shutil.rmtree(dest / "N001")
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
    )
    assert code == 1, err
    (line,) = [x for x in err.splitlines() if "does not match the legacy MHL" in x]
    assert (
        f"source {card / 'bad.mov'} does not match the legacy MHL "
        "'N001_2024-05-01_100200.mhl' on the card: size 3000 bytes read, 2999 bytes recorded"
        in line
    ), line
    assert not (dest / "N001" / "bad.mov").exists()
    assert (dest / "N001" / "good.mov").read_bytes() == good

    # A copy already there, no ledger: adopted only by reading it and the card file, whose
    # size is not the one its MHL records: refused, the MHL named. The copy keeps the card
    # file's dates (another tool's copy): one dated by its writing was this card's only
    # when the runs above took under 2 s; under load the folder was refused as holding
    # another card's files (exit 64, copy-root-of-other-files, "another modification time").
    there = tmp_path / "there"
    (there / "N001").mkdir(parents=True)
    (there / "N001" / "bad.mov").write_bytes(bad)
    shutil.copystat(card / "bad.mov", there / "N001" / "bad.mov")
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(there)
    )
    assert code == 1, err
    assert (
        f"source {card / 'bad.mov'} differs from the legacy MHL 'N001_2024-05-01_100200.mhl' "
        "on the card (size 3000 bytes, recorded 2999 bytes)" in err
    ), err
    # Neither the card file nor its copy is read (it said "1 copy already there to read
    # back", and read the copy whole although it was refused whatever it held).
    assert "0 copies already there to read back" in err, err
    # Its dry run says so (it said "would read back ... adopted if equal", exit 0).
    code, _, err = offload_cli(
        "copy", "--dry-run", "--report-dir", str(tmp_path / "r"), str(card), str(there)
    )
    assert code == 1 and "  0 would read back\n" in err and "adopted if equal" not in err, err
    assert "(size 3000 bytes, recorded 2999 bytes)" in err, err
    # Under a title saying why, as the run's line does (it was listed as "would be REFUSED",
    # a file in the way's title, and the last line said "refused or not cascaded").
    assert "  0 would be REFUSED\n" in err, err
    assert f"  1 {UNLIKE_TITLE}\n    bad.mov: source {card / 'bad.mov'} differs from" in err, err
    assert err.rstrip().endswith(f"would exit 1: {UNLIKE_REASON}"), err

    # What offload verify says of the same file copied whatever its record: CHANGED.
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--ignore", "/N001_2024-05-01_100200.mhl",
        "--report-dir", str(tmp_path / "r"), str(card), str(plain),
    )  # fmt: skip
    assert code == 0, err
    (card / "N001_2024-05-01_100200.mhl").rename(plain / "N001" / "N001_2024-05-01_100200.mhl")
    code, _, err = offload_cli(
        "verify", "-q", "--mhl-file", str(plain / "N001" / "N001_2024-05-01_100200.mhl"),
        "--report-dir", str(tmp_path / "r"), str(plain / "N001"),
    )  # fmt: skip
    assert code == 11, err


def _card_and_its_copy(
    tmp_path: Path, data: dict[str, bytes]
) -> tuple[Path, Path, tuple[str, ...]]:
    """The card ``tmp_path/cards/T001`` holding *data* (name: bytes), an empty destination
    ``tmp_path/dest``, and the arguments of ``offload_cli`` that copy the one to the other
    (xxh64, quiet, reports in ``tmp_path/r``): the card, the destination, those arguments."""
    card = tmp_path / "cards" / "T001"
    card.mkdir(parents=True)
    for name, content in data.items():
        (card / name).write_bytes(content)
    dest = tmp_path / "dest"
    dest.mkdir()
    run = ("copy", "-q", "-t", "xxh64", "--report-dir", str(tmp_path / "r"), str(card), str(dest))
    return card, dest, run


def _copied_card(tmp_path: Path, data: dict[str, bytes]) -> tuple[Path, Path, tuple[str, ...]]:
    """:func:`_card_and_its_copy`, the copy made (exit 0 asserted)."""
    card, dest, run = _card_and_its_copy(tmp_path, data)
    code, _, err = offload_cli(*run)
    assert code == 0, err
    return card, dest, run


def test_a_trusted_copy_is_checked_against_a_legacy_mhl_that_appeared_since(
    tmp_path: Path,
) -> None:
    """A card copied and verified, then a legacy MHL appears on it recording one file at
    another size and one with another xxh64: the re-run, whose ledger trusts both copies
    (not re-read), fails them (exit 1), each in a line naming the MHL, as an existing copy
    whose card file is read and found unlike it is. Before, it trusted them: exit 0, no
    word. A file recorded right passes; a file recorded in md5 alone (no format shared
    with the ledger's xxh64) is not trusted by the ledger then (md5 is added to the run's
    formats): its card file is read and checked, and passes when right."""
    data = {name: os.urandom(4_000 + i) for i, name in enumerate(("a.mov", "b.mov", "c.mov"))}
    data["d.mov"] = os.urandom(1_000)
    card, dest, run = _card_and_its_copy(tmp_path, data)
    code, _, err = offload_cli(*run)
    assert code == 0, err

    def xx(name: str) -> str:
        return xxhash.xxh64(data[name]).hexdigest()

    _mhl(
        card / "T001_2024-05-01_100200.mhl",
        _hash("a.mov", len(data["a.mov"]) + 1, f"    <xxhash64be>{xx('a.mov')}</xxhash64be>\n")
        + _hash("b.mov", len(data["b.mov"]), "    <xxhash64be>0123456789abcdef</xxhash64be>\n")
        + _hash("c.mov", len(data["c.mov"]), f"    <xxhash64be>{xx('c.mov')}</xxhash64be>\n"),
    )
    code, _, err = offload_cli(*run)
    assert code == 1, err
    record = "the legacy MHL 'T001_2024-05-01_100200.mhl' on the card"
    lines = [x for x in err.splitlines() if record in x and "differs from" in x]
    assert len(lines) == 2, err
    assert any(
        f"source {card / 'a.mov'} differs from {record} (size 4000 bytes, recorded 4001 bytes" in x
        for x in lines
    ), lines
    assert any(
        f"source {card / 'b.mov'} differs from {record} (xxh64 {xx('b.mov')}" in x
        and "recorded 0123456789abcdef" in x
        for x in lines
    ), lines
    assert "c.mov" not in "\n".join(lines), err
    # The copies stay as they were (nothing proved them wrong: the card disagrees with its
    # own record), and the next run says so again rather than trusting them.
    assert (dest / "T001" / "a.mov").read_bytes() == data["a.mov"]
    code, _, again = offload_cli(*run)
    assert code == 1 and len([x for x in again.splitlines() if "differs from" in x]) == 2, again

    # An MHL recording d.mov in md5 alone: md5 is added to the run's formats, which no
    # ledger entry holds, so no copy is trusted: every card file and copy is read and
    # compared, the two unlike the first MHL failing as before, d.mov (right) passing.
    _mhl(
        card / "T001_2024-05-01_110000.mhl",
        _hash("d.mov", 1_000, f"    <md5>{hashlib.md5(data['d.mov']).hexdigest()}</md5>\n"),
        finish="2024-05-01T11:00:00Z",
    )
    code, _, err = offload_cli(*run)
    assert code == 1, err
    failed = [x for x in err.splitlines() if "differs from" in x]
    assert len(failed) == 2 and "d.mov" not in err, err


def test_dry_run_names_a_trusted_copy_a_legacy_mhl_records_unlike(tmp_path: Path) -> None:
    """The re-run's dry run says what the run will do with a trusted copy whose card file a
    legacy MHL (appeared since) records at another size: refused, naming the MHL, exit 1,
    on the terminal and in --json. Before, it listed it as verified earlier and exited 0."""
    data = {"a.mov": os.urandom(4_000), "c.mov": os.urandom(4_001)}
    card, _, run = _copied_card(tmp_path, data)
    _mhl(
        card / "T001_2024-05-01_100200.mhl",
        _hash("a.mov", 4_001, f"    <xxhash64be>{xxhash.xxh64(data['a.mov']).hexdigest()}"
              "</xxhash64be>\n"),
    )  # fmt: skip
    line = (
        f"source {card / 'a.mov'} differs from the legacy MHL 'T001_2024-05-01_100200.mhl' "
        "on the card (size 4000 bytes, recorded 4001 bytes"
    )
    code, _, err = offload_cli(*run[:2], "--dry-run", *run[2:])
    assert code == 1, err
    assert f"  1 {UNLIKE_TITLE}\n    a.mov: {line}" in err and "0 would be REFUSED" in err, err
    assert err.rstrip().endswith(f"would exit 1: {UNLIKE_REASON}"), err
    code, out, err = offload_cli(*run[:2], "--dry-run", "--json", *run[2:])
    assert code == 1, err
    assert json.loads(out)["exit_reason"] == UNLIKE_REASON, out
    (shown,) = json.loads(out)["destinations"]
    assert [x["path"] for x in shown["refused"]] == ["a.mov"], shown
    assert line in shown["refused"][0]["why"]
    assert shown["verified_earlier"] == ["c.mov"], shown
    code, _, err = offload_cli(*run)  # the run does as its dry run said
    assert code == 1 and line in err, err


def test_trusted_copy_unlike_compares_size_then_shared_digests_only() -> None:
    """The check without a read: a size unlike the record's is named; a digest is compared
    only in a format the ledger holds; a match or nothing shared says nothing."""
    from offload.card_legacy_mhl import trusted_copy_unlike

    record = "the legacy MHL 'X.mhl' on the card"
    held = {"xxh64": "aa"}
    assert "size 5 bytes, recorded 6 bytes" in str(
        trusted_copy_unlike("/c/a", 5, held, recorded_size=6, recorded_digests={}, record=record)
    )
    unlike = str(
        trusted_copy_unlike(
            "/c/a", 5, held, recorded_size=5, recorded_digests={"xxh64": "bb"}, record=record
        )
    )
    assert "(xxh64 aa, recorded bb;" in unlike
    # The ledger's digest may be a transfer check's (hashed in flight, never read back): the
    # line says who recorded it, never that the copy was verified (it said so before).
    assert "recorded by the run that copied it" in unlike and "verified" not in unlike
    for digests in ({"xxh64": "aa"}, {"md5": "cc"}, {}):
        assert (
            trusted_copy_unlike(
                "/c/a", 5, held, recorded_size=None, recorded_digests=digests, record=record
            )
            is None
        )


def test_a_trusted_copy_is_checked_against_the_card_history_that_appeared_since(
    tmp_path: Path,
) -> None:
    """A card copied and verified, then an ASC MHL history appears on it (another tool's,
    here the history of another card of the same name whose a.mov held other bytes of its
    size): the re-run, whose ledger trusts the copy (not re-read), fails it (exit 1) in the
    line a card file read and found unlike that history gets, without a read, as for a
    legacy MHL. Before, it trusted the copy: exit 0, no word. b.mov, recorded alike in
    both, passes."""
    same = os.urandom(3_000)
    cards = {}
    for which, first in (("card", os.urandom(4_000)), ("other", os.urandom(4_000))):
        card = tmp_path / which / "H001"
        card.mkdir(parents=True)
        (card / "a.mov").write_bytes(first)
        (card / "b.mov").write_bytes(same)
        cards[which] = card
    card = cards["card"]
    dest, elsewhere = tmp_path / "dest", tmp_path / "elsewhere"
    dest.mkdir()
    elsewhere.mkdir()

    def run(source: Path, to: Path, *extra: str) -> tuple[int, str, str]:
        return offload_cli(
            "copy", "-q", "-t", "xxh64", *extra, "--report-dir", str(tmp_path / "r"),
            str(source), str(to),
        )  # fmt: skip

    code, _, err = run(card, dest)
    assert code == 0, err
    code, _, err = run(cards["other"], elsewhere)
    assert code == 0, err
    shutil.copytree(elsewhere / "H001" / "ascmhl", card / "ascmhl")
    line = f"source {card / 'a.mov'} differs from the card's own ASC MHL (xxh64 "
    code, _, err = run(card, dest, "--dry-run")
    assert code == 1 and f"  1 {UNLIKE_TITLE}\n    a.mov: {line}" in err, err
    assert err.rstrip().endswith(f"would exit 1: {UNLIKE_REASON}"), err
    code, _, err = run(card, dest)
    assert code == 1, err
    lines = [x for x in err.splitlines() if "differs from" in x]
    assert len(lines) == 1 and line in lines[0], err
    assert "recorded by the run that copied it" in lines[0], lines
    assert (dest / "H001" / "a.mov").read_bytes() == (card / "a.mov").read_bytes()


def test_dry_run_cascade_says_why_a_file_unlike_its_record_is_not_cascaded(
    tmp_path: Path,
) -> None:
    """A cascade's dry run, the fast destination's trusted copy of a.mov failing the legacy
    MHL that appeared since (another size): the slow destination cannot be fed a.mov, and
    the line says why, as the fast one's does, not "re-run with the card to copy it" (a
    re-run fails it again: the card's own record disagrees)."""
    card = tmp_path / "cards" / "T001"
    card.mkdir(parents=True)
    data = {"a.mov": os.urandom(4_000), "c.mov": os.urandom(4_001)}
    for name, content in data.items():
        (card / name).write_bytes(content)
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    fast.mkdir()
    slow.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "-t", "xxh64", "--report-dir", str(tmp_path / "r"), str(card), str(fast)
    )
    assert code == 0, err
    _mhl(
        card / "T001_2024-05-01_100200.mhl",
        _hash("a.mov", 4_001, f"    <xxhash64be>{xxhash.xxh64(data['a.mov']).hexdigest()}"
              "</xxhash64be>\n"),
    )  # fmt: skip
    code, out, err = offload_cli(
        "copy", "--dry-run", "--json", "-t", "xxh64", "--report-dir", str(tmp_path / "r"),
        str(card), str(fast), "--cascade-to", str(slow),
    )  # fmt: skip
    assert code == 1, err
    shown = {d["copy_root"]: d for d in json.loads(out)["destinations"]}
    (why,) = [x["why"] for x in shown[str(slow / "T001")]["not_cascaded"] if x["path"] == "a.mov"]
    assert why == (
        "no fast destination will hold a verified copy of it (its source differs from its "
        "record: the run fails it on every fast destination)"
    ), why


_READ = re.compile(r"^(?:read|pread64|preadv|preadv2)\(\d+<([^>]*)>.* = (\d+)$", re.MULTILINE)


def _bytes_read_by_path(tmp_path: Path, run: tuple[str, ...], name: str) -> dict[str, int]:
    """``offload`` *run* (its CLI arguments) in a child under ``strace -ff`` of every read
    call (one trace file a process, so no call is split across lines): the bytes read,
    summed by the path of the descriptor read."""
    strace = require_tool("strace")
    prefix = tmp_path / "traces" / name
    prefix.parent.mkdir(exist_ok=True)
    calls = "read,pread64,preadv,preadv2"
    command = [sys.executable, "-m", "offload", *run]
    done = subprocess.run(
        [strace, "-ff", "-qq", "-y", "-e", f"trace={calls}", "-o", str(prefix), *command],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    read: dict[str, int] = {}
    for trace in prefix.parent.glob(f"{name}.*"):
        for path, count in _READ.findall(trace.read_text(errors="replace")):
            read[path] = read.get(path, 0) + int(count)
    return read


def test_a_copy_read_back_for_an_md5_only_legacy_mhl_is_trusted_from_then_on(
    tmp_path: Path,
) -> None:
    """An md5-only legacy MHL appearing on a card an xxh64 offload copied makes every copy
    untrusted once (no ledger entry holds md5): that re-run reads each copy back whole. Its
    read-back's md5, computed from the copy's bytes, lands in the copy's ledger entry, so
    the re-runs after it trust every copy without reading it (strace: at most the report's
    1 KiB header sniff of each copy, and the card file's 2 x 64 KiB fingerprint), the
    second and the third alike: the cost is paid once, not on every re-run."""
    from offload.report.sniff import HEADER_BYTES

    data = {"a.mov": os.urandom(300_000), "b.mov": os.urandom(200_000)}
    card, dest, run = _copied_card(tmp_path, data)
    _mhl(
        card / "T001_2024-05-01_100200.mhl",
        "".join(
            _hash(name, len(content), f"    <md5>{hashlib.md5(content).hexdigest()}</md5>\n")
            for name, content in data.items()
        ),
    )
    copies = {name: str(dest / "T001" / name) for name in data}
    cards = {name: str(card / name) for name in data}

    read = _bytes_read_by_path(tmp_path, run, "first")
    for name, content in data.items():  # untrusted: read back whole, card file too
        assert read.get(copies[name], 0) >= len(content), read
        assert read.get(cards[name], 0) >= len(content), read
    ledger = [
        json.loads(line)
        for line in (dest / "T001" / ".offload" / "ledger.jsonl").read_text().splitlines()
    ]
    for name, content in data.items():
        (last,) = [e for e in ledger if e["relative_path"] == name][-1:]
        assert last["state"] == "verified", last
        assert last["digests"]["md5"] == hashlib.md5(content).hexdigest(), last
        assert last["digests"]["xxh64"] == xxhash.xxh64(content).hexdigest(), last

    for again in ("second", "third"):
        read = _bytes_read_by_path(tmp_path, run, again)
        for name in data:
            assert read.get(copies[name], 0) <= HEADER_BYTES, (again, read)
            assert read.get(cards[name], 0) <= 2 * 64 * 1024, (again, read)


def test_a_legacy_mhl_in_a_folder_named_asc_mhl_is_still_called_an_mhl(tmp_path: Path) -> None:
    """A legacy MHL whose path holds "ASC MHL" (a folder "ASC MHL exports") is an MHL in the
    mismatch's line, by the kind of record, not by its words. Failed before: "since that
    history recorded it" (chosen by the substring "ASC MHL" in the record's words)."""
    card = tmp_path / "cards" / "A001"
    folder = card / "ASC MHL exports"
    folder.mkdir(parents=True)
    data = os.urandom(5_000)
    (folder / "C001.mov").write_bytes(data)
    _mhl(
        folder / "day.mhl",
        _hash("C001.mov", len(data), f"    <md5>{hashlib.md5(data + b'x').hexdigest()}</md5>\n"),
    )
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "-t", "md5", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
    )
    assert code == 1, err
    (line,) = [x for x in err.splitlines() if "does not match the legacy MHL" in x]
    assert "its content changed since that MHL recorded it" in line, line
    assert "copy the version the MHL records" in line, line


def test_a_pretty_printed_file_element_names_the_cards_file_its_own_spaces_kept(
    tmp_path: Path,
) -> None:
    """``<file>\\n      CLIPS/A001C001.mov\\n    </file>`` (an MHL a pretty-printer wrote,
    a line break each side) is the card's ``CLIPS/A001C001.mov``, checked against it, in
    ``offload copy`` and ``offload verify --mhl-file`` of the copy alike; a name's own
    leading space, with no line break beside it (``<file> lead.mov</file>``), is kept.
    Failed before: "MISSING FROM THE CARD ... \\x0a      CLIPS/A001C001.mov\\x0a    ",
    exit 1, the clip never checked against its record."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    one, lead = os.urandom(5_000), b"a name starting with a space"
    (card / "CLIPS" / "A001C001.mov").write_bytes(one)
    (card / " lead.mov").write_bytes(lead)
    _mhl(
        card / "A001.mhl",
        _hash(
            "\n      CLIPS/A001C001.mov\n    ",
            len(one),
            f"    <md5>{hashlib.md5(one).hexdigest()}</md5>\n",
        )
        + _hash(" lead.mov", len(lead), f"    <md5>{hashlib.md5(lead).hexdigest()}</md5>\n"),
    )
    found = check_legacy_mhls(card, ["A001.mhl", "CLIPS/A001C001.mov", " lead.mov"])
    assert found.missing == () and found.warnings == (), found
    assert sorted(found.references) == [" lead.mov", "CLIPS/A001C001.mov"]
    root, err = _copied_to_dest(tmp_path, card)
    assert "MISSING" not in err, err
    code, out, err = _verified_by_its_mhl(tmp_path, root, "--json")
    data = json.loads(out)
    assert data["verified"] == [" lead.mov", "CLIPS/A001C001.mov"], (data, err)
    assert data["missing"] == [] and data["extra"] == [], data
    # The record is the clip's: a clip unlike it fails the offload.
    (card / "CLIPS" / "A001C001.mov").write_bytes(one[::-1])
    again = tmp_path / "again"
    again.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(again)
    )
    assert code != 0 and "does not match the legacy MHL 'A001.mhl' on the card" in err, err


def test_a_little_endian_xxhash64_is_quoted_as_the_mhl_writes_it(tmp_path: Path) -> None:
    """A clip recorded in ``<xxhash64>`` (its XXH64 little-endian, as Windows tools write
    it) and found unlike it: ``offload copy``'s line and ``offload verify --mhl-file``'s
    CHANGED line quote the element and its text as the MHL holds it, with the xxh64 it is
    compared as, so a search of the MHL finds it. Failed before: "xxh64 ... read, X
    recorded" with X the byte-swapped value, found nowhere in the MHL."""
    card = tmp_path / "A001"
    card.mkdir()
    clip = os.urandom(6_000)
    (card / "clip.mov").write_bytes(clip)
    canonical = xxhash.xxh64(clip).hexdigest()
    written = xxhash.xxh64(clip).digest()[::-1].hex()
    assert written != canonical
    _mhl(card / "A001.mhl", _hash("clip.mov", len(clip), f"    <xxhash64>{written}</xxhash64>\n"))
    quoted = f"<xxhash64> {written} (little-endian; as xxh64: {canonical})"
    root, _err = _copied_to_dest(tmp_path, card)
    (root / "clip.mov").write_bytes(clip[::-1])
    code, _, err = _verified_by_its_mhl(tmp_path, root)
    assert code == 11, err
    said = " ".join(err.split())
    changed = xxhash.xxh64(clip[::-1]).hexdigest()
    assert f"CHANGED {root / 'clip.mov'}: xxh64 {changed} (recorded {quoted})" in said, said
    (card / "clip.mov").write_bytes(clip[::-1])
    again = tmp_path / "again"
    again.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(again)
    )
    said = " ".join(err.split())
    assert code != 0 and f"xxh64 {changed} read, {quoted} recorded" in said, said


def test_a_legacy_mhl_listing_one_file_twice_unlike_is_said_not_taken_by_its_last_entry(
    tmp_path: Path,
) -> None:
    """A card's legacy MHL listing ``C/f1.mov`` twice (``C/f1.mov``, then ``C//f1.mov``),
    a wrong md5 then the right one: the MHL contradicts itself; one warning
    (``legacy-mhl-contradicts``) quotes both records and says the file is not checked
    against that MHL (``card_legacy_mhl.merge_entries``, the merge ``offload verify
    --mhl-file`` shares). Failed before: the last entry was silently taken, the file said
    checked against the MHL, no word of the contradiction."""
    card = tmp_path / "CARD"
    (card / "C").mkdir(parents=True)
    data = os.urandom(4000)
    (card / "C" / "f1.mov").write_bytes(data)
    right, wrong = hashlib.md5(data).hexdigest(), "0123456789abcdef0123456789abcdef"
    _mhl(
        card / "check.mhl",
        _hash("C/f1.mov", 4000, f"    <md5>{wrong}</md5>\n")
        + _hash("C//f1.mov", 4000, f"    <md5>{right}</md5>\n"),
    )
    found = check_legacy_mhls(card, ["C/f1.mov", "check.mhl"])
    (warning,) = found.warnings
    assert warning.code is PreflightCode.LEGACY_MHL_CONTRADICTS, warning
    assert wrong in warning.message and right in warning.message, warning.message
    assert "C/f1.mov" not in found.references and not found.missing, found
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(dest)
    )
    assert code == 0, err  # its copy read back as the card's file; only the MHL unchecked
    said = " ".join(err.split())
    assert "legacy MHL 'check.mhl' on the card lists 'C/f1.mov' twice, unlike" in said, said
    assert f"md5 {wrong}; then size 4000 bytes, md5 {right}" in said, said
    assert "the file is not checked against it" in said, said
