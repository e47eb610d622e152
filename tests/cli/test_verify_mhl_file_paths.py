"""``offload verify --mhl-file X.mhl`` (a legacy MHL given by hand) reads the MHL's paths as
the card's reader of legacy MHLs does (``card_legacy_mhl``):

* a path from a Windows drive's root (``D:\\A001\\META\\notes.txt``) is outside the copy, as
  ``/Volumes/...`` is: that entry is not checked (``NOT CHECKED``, JSON ``from_a_root``),
  the MHL's other entries are, as the card's reader checks the rest of such an MHL, and the
  check is no pass (exit 22 where nothing failed; 31, nothing read, for an MHL naming every
  file so). Before: it was read as a folder ``D:`` of the copy, a MISSING file (exit 10) that
  no copy could ever hold; then the whole MHL was refused (exit 31), nothing checked;
* a name it spells composed (NFC) while the copy holds it decomposed (NFD), or the reverse,
  is that file, read against the MHL (exit 0, or 11 when unlike it). Before: MISSING plus
  NEW (exit 10), the file read against nothing.

Real copies written by ``offload copy --mhl legacy``, real names of both spellings on a
filesystem that keeps each as given, the real CLI in process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from offload.errors import printable_name
from support.spellings import COMPOSED, DECOMPOSED, copied_card, run


def _copy(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A card's copy with its legacy MHL: (the copy root, the MHL)."""
    files = {f"META/{name}": b"the plan\n", "META/ok.txt": b"ok\n"}
    root = copied_card(tmp_path, files, "--mhl", "legacy")
    (mhl,) = root.glob("*.mhl")
    return root, mhl


def test_a_windows_drive_path_is_outside_the_copy(tmp_path: Path) -> None:
    """The entry from a drive's root is not checked and named; the MHL's other entry is
    read against it (OK, then CHANGED once the file changes). Failed before: exit 31,
    nothing read, as for an MHL naming every file from a root."""
    root, mhl = _copy(tmp_path, "notes.txt")
    text = mhl.read_text(encoding="utf-8")
    assert "<file>META/notes.txt</file>" in text
    mhl.write_text(text.replace("<file>META/notes.txt<", "<file>D:\\A001\\META\\notes.txt<"))
    code, out, err = run(
        "verify", "--json", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root
    )
    assert code == 22, err
    data = json.loads(out)
    assert data["from_a_root"] == ["D:/A001/META/notes.txt"], data
    assert data["totals"]["from_a_root"] == 1 and data["passed"] is False
    assert data["verified"] == ["META/ok.txt"] and data["missing"] == [], data
    assert data["extra"] == ["META/notes.txt"], data  # no record of the MHL's is tied to it
    code, out, err = run("verify", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root)
    assert code == 22, err
    assert "NOT CHECKED (the legacy MHL names this file from a root" in err, err
    assert "D:/A001/META/notes.txt" in err and "MISSING" not in err, err
    assert "1 OK, 0 changed, 0 missing, 1 new, 0 unreadable, 1 named from a root" in out, out
    (root / "META" / "ok.txt").write_bytes(b"OK\n")
    code, _, err = run("verify", "--quiet", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root)
    assert code == 11, err
    assert f"CHANGED {root / 'META' / 'ok.txt'}" in err, err


@pytest.mark.parametrize(("recorded", "now"), [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)])
def test_a_name_the_mhl_spells_otherwise_is_read_against_it(
    tmp_path: Path, recorded: str, now: str
) -> None:
    root, mhl = _copy(tmp_path, recorded)
    os.rename(root / "META" / recorded, root / "META" / now)
    code, out, err = run(
        "verify", "--json", "--quiet", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["missing"] == [] and data["extra"] == [], data
    assert f"META/{now}" in data["verified"], data
    assert data["reasons"][f"META/{now}"]["code"] == "other-spelling", data["reasons"]
    (root / "META" / now).write_bytes(b"the Plan\n")
    code, _, err = run("verify", "--quiet", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root)
    assert code == 11, err
    # As printed: a name that is not NFC with its marks as codes (errors.spelled_apart).
    changed = f"CHANGED {printable_name(str(root / 'META' / now))}"
    assert changed in err and "MISSING" not in err, err


def test_a_path_from_a_root_in_an_mhl_below_the_copy_root_is_outside(tmp_path: Path) -> None:
    """An MHL in a folder of the copy naming a file from the system's root: before, the path
    was joined to that folder (``META//Volumes/...``, read as ``META/Volumes/...``): MISSING;
    then exit 31, nothing read. Now that entry is not checked, the other one is."""
    root, mhl = _copy(tmp_path, "notes.txt")
    below = root / "META" / "by_hand.mhl"
    text = mhl.read_text(encoding="utf-8").replace(
        "<file>META/notes.txt<", "<file>/Volumes/A001/META/notes.txt<"
    )
    below.write_text(text.replace("<file>META/", "<file>"), encoding="utf-8")
    code, out, err = run(
        "verify", "--json", "--mhl-file", below, "--report-dir", tmp_path / "r", root
    )
    assert code == 22, err
    data = json.loads(out)
    assert data["from_a_root"] == ["/Volumes/A001/META/notes.txt"], data
    assert data["verified"] == ["META/ok.txt"] and data["missing"] == [], data


def test_an_mhl_naming_every_file_from_a_root_is_refused(tmp_path: Path) -> None:
    """No entry is tied to a file of the copy: nothing can be checked against it (31)."""
    root, mhl = _copy(tmp_path, "notes.txt")
    text = mhl.read_text(encoding="utf-8").replace("<file>META/", "<file>/Volumes/A001/META/")
    mhl.write_text(text, encoding="utf-8")
    code, _, err = run("verify", "--quiet", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root)
    assert code == 31, err
    assert "names its files from a root" in err and "/Volumes/A001/META/notes.txt" in err, err


def test_the_refusal_of_an_mhl_from_a_root_prints_its_name_safely_and_a_way_on(
    tmp_path: Path,
) -> None:
    """An MHL whose name holds a control character (an escape): printed escaped, never
    raw to the terminal, and the line gives the next step. Failed before: the name was
    printed raw and no step was given."""
    root, mhl = _copy(tmp_path, "notes.txt")
    odd = root / "META" / "by\x1bhand.mhl"
    text = mhl.read_text(encoding="utf-8").replace("<file>META/", "<file>/Volumes/A001/META/")
    odd.write_text(text, encoding="utf-8")
    code, _, err = run("verify", "--quiet", "--mhl-file", odd, "--report-dir", tmp_path / "r", root)
    assert code == 31, err
    assert "\x1b" not in err, err
    assert "verify the copy without --mhl-file" in " ".join(err.split()), err
    # Its own way on alone (``ManifestError.says_what_to_do``), not a second one after it.
    assert "name this copy's own legacy MHL" not in " ".join(err.split()), err


def _hand_mhl(entries: dict[str, bytes]) -> bytes:
    """A legacy MHL as another tool writes it: each path as given, its size and md5."""
    import hashlib

    rows = "".join(
        f"<hash><file>{path}</file><size>{len(data)}</size>"
        f"<md5>{hashlib.md5(data).hexdigest()}</md5></hash>\n"
        for path, data in entries.items()
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
    return f"{head}{rows}</hashlist>\n".encode()


def test_an_mhl_path_copy_reads_as_a_card_file_verify_reads_as_that_file(tmp_path: Path) -> None:
    """``C//f1.mov``, ``C/./f2.mov`` and (from an MHL in ``A/``) ``../B/b.mov``: ``offload
    copy`` checks each against the card's file it names (``card_legacy_mhl.listed_path``);
    ``offload verify --mhl-file`` of the copy reads them alike: every file OK, exit 0.
    Failed before: MISSING ``C/./f2.mov``, ``C//f1.mov``, NEW ``C/f1.mov``, ``C/f2.mov``,
    exit 10 (and the ``../`` one, read from ``A``, refused as "broken or forged")."""
    f1, f2, b = b"first clip\n" * 300, b"second clip\n" * 300, b"b clip\n"
    shotput = _hand_mhl({"C//f1.mov": f1, "C/./f2.mov": f2})
    nested = _hand_mhl({"../B/b.mov": b})
    files = {"C/f1.mov": f1, "C/f2.mov": f2, "B/b.mov": b, "shotput.mhl": shotput}
    root = copied_card(tmp_path, {**files, "A/a.mhl": nested}, "--mhl", "none")
    r = tmp_path / "r"
    for mhl in (root / "shotput.mhl", root / "A" / "a.mhl"):
        code, out, err = run(
            "verify", "--json", "--quiet", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root
        )
        data = json.loads(out)
        assert data["missing"] == [] and data["changed"] == [], (data, err)
        assert code == 21 and data["from_a_root"] == [], (code, err)  # the other files: new
    data = json.loads(
        run("verify", "--json", "-q", "--mhl-file", root / "shotput.mhl", "--report-dir", r, root)[
            1
        ]
    )
    assert data["verified"] == ["C/f1.mov", "C/f2.mov"], data
    data = json.loads(
        run("verify", "--json", "-q", "--mhl-file", root / "A" / "a.mhl", "--report-dir", r, root)[
            1
        ]
    )
    assert data["verified"] == ["B/b.mov"], data
    (root / "C" / "f2.mov").write_bytes(f2.upper())
    code, _, err = run("verify", "-q", "--mhl-file", root / "shotput.mhl", "--report-dir", r, root)
    assert code == 11 and f"CHANGED {root / 'C' / 'f2.mov'}" in err, err


def test_an_mhl_path_above_the_checked_folder_is_outside_it_not_forged(tmp_path: Path) -> None:
    """An MHL in ``A/`` listing ``../B/b.mov`` (``B/b.mov`` of the copy root) and its own
    ``a.mov``, checked with PATH ``A``: the ``..`` entry is outside that folder, as
    ``offload copy`` calls such an entry on a card (not checked, named), the other entry is
    checked; no pass (exit 22). Failed before: the MHL refused as "broken or forged", exit
    31, nothing read."""
    a, b = b"a clip\n", b"b clip\n"
    files = {"A/a.mov": a, "B/b.mov": b, "A/a.mhl": _hand_mhl({"../B/b.mov": b, "a.mov": a})}
    root = copied_card(tmp_path, files, "--mhl", "none")
    folder = root / "A"
    code, out, err = run(
        "verify", "--json", "--mhl-file", folder / "a.mhl", "--report-dir", tmp_path / "r", folder
    )
    assert code == 22, err
    data = json.loads(out)
    assert data["verified"] == ["a.mov"] and data["from_a_root"] == ["../B/b.mov"], data
    code, out, err = run(
        "verify", "--mhl-file", folder / "a.mhl", "--report-dir", tmp_path / "r", folder
    )
    assert code == 22 and "broken or forged" not in err, err
    said = " ".join(err.split())
    assert f"NOT CHECKED (the legacy MHL lists this file outside {folder}, above it by '..'" in said
    assert "1 OK, 0 changed, 0 missing, 0 new, 0 unreadable, 1 outside it, not checked" in out
    csv = sorted((tmp_path / "r").glob("verify_A_*.csv"))[-1]
    assert "../B/b.mov,from-a-root,\"outside PATH, above it by '..'\"" in csv.read_text(), (
        csv.read_text()
    )


def test_append_with_a_legacy_mhl_is_refused_in_the_users_words(tmp_path: Path) -> None:
    """``--append`` writes an ASC MHL generation: with ``--mhl-file`` it is refused (64),
    before anything is read, saying so and what to do, naming the MHL; no generation, no
    ``ascmhl/`` made. Failed before: "append_generation needs an ASC MHL history, not a
    legacy MHL" (the code's own parameter's name)."""
    root, mhl = _copy(tmp_path, "notes.txt")
    code, _, err = run(
        "verify", "--append", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root
    )
    assert code == 64, err
    said = " ".join(err.split())
    assert "append_generation" not in said, said
    assert "--append writes a generation of the ASC MHL history in PATH's ascmhl/ folder" in said
    assert f"it cannot append to a legacy MHL ({mhl})" in said, said
    assert "offload verify --mhl-file FILE PATH" in said and "drop --mhl-file" in said, said
    assert not (root / "ascmhl").exists()


@pytest.mark.parametrize("wrong_first", [True, False])
def test_an_mhl_listing_one_file_twice_unlike_says_changed(
    tmp_path: Path, wrong_first: bool
) -> None:
    """An MHL listing ``C/f1.mov`` twice (as ``C/f1.mov`` and ``C//f1.mov``), once with a
    wrong md5, once with the right one: the MHL contradicts itself, so the file is CHANGED
    (exit 11) whichever order, both records quoted in a note. Failed before: only the last
    entry was checked, "1 OK", exit 0 where the right one came last."""
    import hashlib

    data = os.urandom(4000)
    wrong = "0123456789abcdef0123456789abcdef"
    rows = [
        f"<hash><file>C/f1.mov</file><size>4000</size><md5>{wrong}</md5></hash>",
        f"<hash><file>C//f1.mov</file><size>4000</size>"
        f"<md5>{hashlib.md5(data).hexdigest()}</md5></hash>",
    ]
    if not wrong_first:
        rows.reverse()
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
    text += "\n".join(rows) + "\n</hashlist>\n"
    root = copied_card(tmp_path, {"C/f1.mov": data}, "--mhl", "none")
    mhl = root / "check.mhl"
    mhl.write_text(text, encoding="utf-8")
    code, out, err = run(
        "verify", "--json", "--quiet", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root
    )
    assert code == 11, err
    data_ = json.loads(out)
    assert data_["verified"] == [] and [c["path"] for c in data_["changed"]] == ["C/f1.mov"]
    (note,) = [n for n in data_["notes"] if "twice" in n]
    assert wrong in note and hashlib.md5(data).hexdigest() in note, note
    code, _, err = run("verify", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root)
    assert code == 11 and f"CHANGED {root / 'C' / 'f1.mov'}" in err, err
    assert f"recorded {wrong}" in err, err  # the record it reads unlike, quoted


def _contradicting_mhl(root: Path, rows: list[tuple[int, bytes]]) -> Path:
    """A legacy MHL in the copy root *root* listing ``C/f1.mov`` once a row, each row its
    size and the md5 of the bytes given (as ``C/f1.mov``, then ``C//f1.mov``, ...: one
    file, as the card's reader reads them)."""
    import hashlib

    text = '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
    for slashes, (size, data) in enumerate(rows, start=1):
        text += (
            f"<hash><file>C{'/' * slashes}f1.mov</file><size>{size}</size>"
            f"<md5>{hashlib.md5(data).hexdigest()}</md5></hash>\n"
        )
    mhl = root / "check.mhl"
    mhl.write_text(text + "</hashlist>\n", encoding="utf-8")
    return mhl


def _changed_keeping_size_and_date(copy: Path, data: bytes) -> None:
    """*copy* made to hold *data* (of its size), its date as it was: what a run's quick
    check trusts still (``Ledger.as_recorded``)."""
    was = copy.stat()
    copy.write_bytes(data)
    os.utime(copy, ns=(was.st_atime_ns, was.st_mtime_ns))


def _ledger_vouches(root: Path) -> bool:
    """Whether the copy root's ledger still vouches for its copy of ``C/f1.mov``."""
    from offload.ledger import Ledger

    return Ledger(root).load_entries().latest["C/f1.mov"].vouches


_STILL_RECORDS = "this copy root's ledger still records 1 copy found wrong above"
_REVOKED = "this check revoked this copy root's ledger record of the 1 copy it found changed"


@pytest.mark.parametrize("copy_is", ["as recorded", "the other record", "unlike both"])
def test_a_self_contradicting_mhl_is_judged_against_the_ledger_too(
    tmp_path: Path, copy_is: str
) -> None:
    """An MHL listing ``C/f1.mov`` twice, with the md5 of another version of it (*v2*, its
    first byte flipped) then with the copy's as copied (*v1*): the file is CHANGED whatever
    it reads as (the MHL contradicts itself). The copy is judged against the ledger's record
    too (its xxh64, in the same read):

    * as copied (reads as the second record and as the ledger records it): not found
      wrong, no line puts the ledger's record in doubt, nothing revoked;
    * made v2 since, size and date kept (it reads as the MHL's OTHER record, unlike the
      ledger's): a copy found wrong, its record revoked as any other's, so no plain
      ``offload copy`` trusts it as verified earlier. Failed before: nothing said of the
      ledger at all, nothing revoked (the copy read as one of the two records);
    * unlike both records (another byte changed): found wrong, revoked. Failed before: not
      revoked (md5, the MHL's format, is none of the ledger's), the line said it still
      records a copy found wrong."""
    v1 = os.urandom(1 << 20)
    v2 = bytes([v1[0] ^ 0xFF]) + v1[1:]
    root = copied_card(tmp_path, {"C/f1.mov": v1}, "--mhl", "none")
    copy = root / "C" / "f1.mov"
    if copy_is == "the other record":
        _changed_keeping_size_and_date(copy, v2)
    elif copy_is == "unlike both":
        _changed_keeping_size_and_date(copy, v1[:-1] + bytes([v1[-1] ^ 0xFF]))
    mhl = _contradicting_mhl(root, [(len(v1), v2), (len(v1), v1)])
    code, out, err = run(
        "verify", "--json", "--quiet", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root
    )
    assert code == 11, err
    data = json.loads(out)
    assert [c["path"] for c in data["changed"]] == ["C/f1.mov"], data
    found_wrong = copy_is != "as recorded"
    assert data["revoked"] == (["C/f1.mov"] if found_wrong else []), data
    assert _ledger_vouches(root) is not found_wrong
    if found_wrong:
        return
    # The terminal's words of the copy as recorded (a revoked copy's are the revocation's).
    code, _, err = run("verify", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root)
    flat = " ".join(err.split())
    assert code == 11 and f"CHANGED {copy}" in flat, flat
    assert "it contradicts itself, so the file is CHANGED whichever it reads as" in flat, flat
    assert _STILL_RECORDS not in flat and _REVOKED not in flat, flat
    assert "not vouched for" not in flat, flat


def test_a_copy_read_as_the_other_record_is_said_revoked(tmp_path: Path) -> None:
    """The terminal's words of a copy that reads as the MHL's other record, unlike the
    ledger's (a v2 in place of the v1 copied, its size and date kept): CHANGED, the MHL's
    note, and the revocation's line. Failed before: the note alone (the line that the
    ledger still records a copy found wrong was dropped, the copy read as one record)."""
    v1 = os.urandom(1 << 20)
    v2 = bytes([v1[0] ^ 0xFF]) + v1[1:]
    root = copied_card(tmp_path, {"C/f1.mov": v1}, "--mhl", "none")
    copy = root / "C" / "f1.mov"
    _changed_keeping_size_and_date(copy, v2)
    mhl = _contradicting_mhl(root, [(len(v1), v1), (len(v1), v2)])
    code, _, err = run("verify", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root)
    flat = " ".join(err.split())
    assert code == 11 and f"CHANGED {copy}" in flat, flat
    assert "it contradicts itself, so the file is CHANGED whichever it reads as" in flat, flat
    assert _REVOKED in flat, flat


@pytest.mark.parametrize("damaged", [False, True])
def test_a_self_contradicting_mhl_by_size_is_judged_against_the_ledger_too(
    tmp_path: Path, damaged: bool
) -> None:
    """An MHL listing ``C/f1.mov`` twice, first as copied (4000 bytes, its md5), then at
    5000 bytes: CHANGED by its size against the second (the MHL contradicts itself). The
    copy as the ledger records it (read now: as the first record and the ledger's xxh64)
    is not said to be a copy whose size changed that ``--reverify`` replaces. Failed
    before: "1 copy whose size changed is one this copy root's ledger recorded" (never
    read). Damaged since (a byte changed, its size and date kept): found wrong against the
    ledger's record, which is revoked. Failed before: the same false line, not revoked."""
    data = os.urandom(4000)
    root = copied_card(tmp_path, {"C/f1.mov": data}, "--mhl", "none")
    copy = root / "C" / "f1.mov"
    if damaged:
        _changed_keeping_size_and_date(copy, bytes([data[0] ^ 0xFF]) + data[1:])
    mhl = _contradicting_mhl(root, [(4000, data), (5000, data + bytes(1000))])
    code, _, err = run("verify", "--mhl-file", mhl, "--report-dir", tmp_path / "r", root)
    flat = " ".join(err.split())
    assert code == 11 and f"CHANGED {copy}: size 4000, recorded 5000" in flat, flat
    assert "it contradicts itself, so the file is CHANGED whichever it reads as" in flat, flat
    assert "whose size changed" not in flat, flat
    assert (_REVOKED in flat) is damaged, flat
    assert _STILL_RECORDS not in flat, flat
    assert _ledger_vouches(root) is not damaged


def test_a_changed_files_xxhash64_record_is_quoted_as_written_in_json_and_csv(
    tmp_path: Path,
) -> None:
    """An MHL recording a file in ``<xxhash64>`` (XXH64 little-endian, as Windows tools
    write it), the copy's file changed since: the JSON changed entry carries the record as
    written (``expected_as_written``) beside its canonical xxh64, and the CSV quotes it so,
    as the terminal's line does. Failed before: the CSV gave only the canonical hex, a
    value the MHL does not hold."""
    import xxhash

    data = os.urandom(3000)
    little = xxhash.xxh64(data).digest()[::-1].hex()
    root = copied_card(tmp_path, {"C/f1.mov": data}, "--mhl", "none")
    mhl = root / "check.mhl"
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1">\n'
        f"<hash><file>C/f1.mov</file><size>3000</size><xxhash64>{little}</xxhash64></hash>\n"
        "</hashlist>\n",
        encoding="utf-8",
    )
    (root / "C" / "f1.mov").write_bytes(data[::-1])
    reports = tmp_path / "r"
    code, out, err = run(
        "verify", "--json", "--quiet", "--mhl-file", mhl, "--report-dir", reports, root
    )
    assert code == 11, err
    (change,) = json.loads(out)["changed"]
    canonical = xxhash.xxh64(data).hexdigest()
    assert change["expected"] == {"xxh64": canonical}, change
    written = f"<xxhash64> {little} (little-endian; as xxh64: {canonical})"
    assert change["expected_as_written"] == {"xxh64": written}, change
    (csv,) = reports.glob("verify_*.csv")
    (row,) = [r for r in csv.read_text(encoding="utf-8").splitlines() if r.startswith("C/f1.mov")]
    assert f"(recorded {written})" in row, row
