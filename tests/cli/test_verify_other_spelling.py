"""``offload verify`` of a copy whose names were respelled since its records were written
(a Mac decomposes names, NFD: a copy moved through one, or restored from one, holds
``Café.txt`` spelled with a combining accent).

Before, against an ASC MHL history, the recorded name was MISSING and the same name spelled
otherwise NEW, the file read against nothing (exit 10, whatever its bytes; an earlier pass
gave both lines the reason ``other-spelling`` so they could be told apart). Now the file is
read against the record of its other spelling (``respelling.spelled_as_listed``, the
one rule the card's records use): verified when its bytes match (exit 0), CHANGED when not
(exit 11); a RESPELLED warning and the reason ``other-spelling`` say which record it was
read against, and that ascmhl-debug verify calls that record missing and the file new.
Real copies made by ``offload copy``, real names of both spellings on a filesystem that
keeps each as given, the real CLI in process."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest

from offload.errors import printable_name
from support.spellings import COMPOSED, DECOMPOSED, copied_card, respelled_ledger_copy, run


@pytest.mark.parametrize(("recorded", "now"), [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)])
def test_a_name_respelled_since_it_was_recorded_is_read_against_its_record(
    tmp_path: Path, recorded: str, now: str
) -> None:
    root = copied_card(tmp_path, {f"NOTES/{recorded}": b"the plan\n", "NOTES/ok.txt": b"ok\n"})
    dest = root.parent
    notes = root / "NOTES"
    os.rename(notes / recorded, notes / now)
    assert sorted(os.listdir(notes)) == sorted(["ok.txt", now])

    code, out, err = run(
        "verify", "--json", "--quiet", "--report-dir", tmp_path / "r", dest / "A001"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["missing"] == [] and data["extra"] == [], data
    assert f"NOTES/{now}" in data["verified"], data
    assert {p: why["code"] for p, why in data["reasons"].items()} == {
        f"NOTES/{now}": "other-spelling"
    }
    code, _, err = run("verify", "--quiet", "--report-dir", tmp_path / "r", dest / "A001")
    assert code == 0, err
    line = next(line for line in err.splitlines() if "RESPELLED" in line)
    assert "ascmhl-debug verify" in line and "read against that record" in line, line
    assert "MISSING" not in err and "NEW" not in err, err
    # The direction that happened is named (QA, forty-first pass: a name recorded NFD and
    # composed since was said respelled "by macOS, NFD").
    if now == COMPOSED:
        assert "Linux and Windows tools write names composed, NFC" in line, line
        assert "macOS decomposes" not in line, line
    else:
        assert "macOS decomposes them, NFD" in line and "composed, NFC" not in line, line

    # Its bytes are what is judged: unlike the record, it is changed (never missing + new).
    (notes / now).write_bytes(b"the Plan\n")
    code, _, err = run("verify", "--quiet", "--report-dir", tmp_path / "r", dest / "A001")
    assert code == 11, err
    assert f"CHANGED {printable_name(str(notes / now))}" in err, err  # an NFD name's marks as codes
    assert "MISSING" not in err, err


def test_a_folder_respelled_since_it_was_recorded_is_there(tmp_path: Path) -> None:
    """A folder's name respelled (NFC to NFD): the folder and the file in it are found and
    read against their records; before, the folder and the file were MISSING, the file NEW."""
    folder = unicodedata.normalize("NFC", "Séquence")
    dest = copied_card(tmp_path, {f"{folder}/C001.mov": b"clip\n"}).parent
    respelled = unicodedata.normalize("NFD", folder)
    os.rename(dest / "A001" / folder, dest / "A001" / respelled)
    code, out, err = run(
        "verify", "--json", "--quiet", "--report-dir", tmp_path / "r", dest / "A001"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["missing"] == [] and data["extra"] == [], data
    assert data["verified"] == [f"{respelled}/C001.mov"], data


def test_a_file_recorded_under_both_spellings_is_read_once_with_one_verdict(
    tmp_path: Path,
) -> None:
    """Copied as NFC, renamed NFD, ``verify --append`` (a generation records the NFD name
    too), then a bit flipped: the file is read once (files_read_from_media 2 for 2 files,
    bytes once), compared against both records, and named changed once (totals.changed 1),
    never verified too. Failed before: ``changed`` listed it twice (totals.changed 2),
    files_read_from_media 3, its bytes counted twice."""
    plan = b"the plan, long enough to flip\n"
    root = copied_card(tmp_path, {f"NOTES/{COMPOSED}": plan, "NOTES/ok.txt": b"ok\n"})
    dest = root.parent
    notes = root / "NOTES"
    os.rename(notes / COMPOSED, notes / DECOMPOSED)
    code, _, err = run(
        "verify", "--quiet", "--append", "--report-dir", tmp_path / "r", dest / "A001"
    )
    assert code == 0, err

    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", dest / "A001")
    assert code == 0, err
    data = json.loads(out)
    assert data["files_read_from_media"] + data["files_read_through_cache"] == 2, data
    assert sorted(data["verified"]) == sorted([f"NOTES/{DECOMPOSED}", "NOTES/ok.txt"]), data
    # Its reason does not call it new to ascmhl-debug: its own spelling is recorded too.
    said = data["reasons"][f"NOTES/{DECOMPOSED}"]["text"]
    assert "read once, against both records" in said and "this file new" not in said, said

    st = (notes / DECOMPOSED).stat()
    flipped = bytearray((notes / DECOMPOSED).read_bytes())
    flipped[4] ^= 0x01
    (notes / DECOMPOSED).write_bytes(bytes(flipped))
    os.utime(notes / DECOMPOSED, ns=(st.st_atime_ns, st.st_mtime_ns))
    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", dest / "A001")
    assert code == 11, err
    data = json.loads(out)
    assert [c["path"] for c in data["changed"]] == [f"NOTES/{DECOMPOSED}"], data
    assert data["totals"]["changed"] == 1, data["totals"]
    assert data["verified"] == ["NOTES/ok.txt"], data
    assert data["files_read_from_media"] + data["files_read_through_cache"] == 2, data
    assert data["totals"]["bytes_read"] == st.st_size + 3, data["totals"]


@pytest.mark.parametrize(("recorded", "now"), [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)])
def test_a_name_respelled_since_the_ledger_recorded_it_is_read_against_its_entry(
    tmp_path: Path, recorded: str, now: str
) -> None:
    """The same against the ledger (a copy made with ``--mhl none``: no manifest, the
    ledger is the reference): the file is read against the entry of its name spelled
    otherwise, verified (exit 0) or CHANGED (exit 11), never MISSING + NEW. Failed before:
    exit 10, the recorded name missing and the same name spelled otherwise new, unread."""
    code, err, root = respelled_ledger_copy(tmp_path, recorded, now)
    assert code == 0, err
    notes = root / "NOTES"

    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", root)
    assert code == 0, out + err
    data = json.loads(out)
    assert data["reference"] == "ledger", data
    assert data["missing"] == [] and data["extra"] == [], data
    assert sorted(data["verified"]) == sorted([f"NOTES/{now}", "NOTES/ok.txt"]), data
    why = data["reasons"][f"NOTES/{now}"]
    assert why["code"] == "other-spelling" and "the ledger records its name" in why["text"]
    assert "read against that record" in why["text"], why

    (notes / now).write_bytes(b"the Plan\n")
    code, out, err = run("verify", "--json", "--report-dir", tmp_path / "r", root)
    assert code == 11, out + err
    data = json.loads(out)
    assert [c["path"] for c in data["changed"]] == [f"NOTES/{now}"], data
    assert data["missing"] == [] and data["extra"] == [], data
