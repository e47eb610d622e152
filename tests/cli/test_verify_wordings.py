"""Two things ``offload verify`` says, held to what is true: the error for an ASC MHL history
whose manifest was edited names the file and what to do; the note on what the ledger vouches
for does not call a changed symlink a copy (one kept beside its new copy by --keep-both).
Real copies by ``offload copy``, the CLI in this process."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import shutil
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue(), err.getvalue()


def copied(tmp_path: Path, link: bool = False) -> Path:
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.MOV").write_bytes(os.urandom(50_000))
    if link:
        (card / "CLIPS" / "latest.MOV").symlink_to("C001.MOV")
    (tmp_path / "dest").mkdir()
    code, _, err = run("copy", "--quiet", card, tmp_path / "dest")
    assert code == 0, err
    return tmp_path / "dest" / "A001"


def test_an_edited_manifest_is_named_with_what_to_do(tmp_path: Path) -> None:
    """Failed before: "cannot verify ROOT: modified ASC MHL manifest M; nothing was verified
    against it", with no next step."""
    root = copied(tmp_path)
    (manifest,) = (root / "ascmhl").glob("0001_*.mhl")
    manifest.write_text(manifest.read_text().replace("<hostname>", "<hostname>x", 1))

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", root)

    assert code == 31, out + err
    lines = [line for line in err.splitlines() if not line.startswith("Report: ")]
    assert lines == [_disagree(root, manifest)], err


def _disagree(root: Path, manifest: Path) -> str:
    """The line of a history whose *manifest* and chain file disagree."""
    return (
        f"ERROR: cannot verify {root}: ASC MHL manifest {manifest} and ascmhl_chain.xml "
        "disagree: the manifest's content is not what the chain records for it (C4 ID); one "
        "of them was modified after it was written, the manifest or the chain file (which, "
        f"cannot be told); restore both from a backup of {root / 'ascmhl'} (only their "
        "original bytes agree); nothing was verified against it"
    )


def test_an_edited_chain_entry_is_not_blamed_on_the_manifest(tmp_path: Path) -> None:
    """The chain file's ``<c4>`` edited, the manifest untouched: the line says the two
    disagree, either may have changed, never that the manifest was. Failed before:
    "modified ASC MHL manifest M ... it was changed after it was written; restore the
    original file" of a manifest that is as it was written."""
    root = copied(tmp_path)
    (manifest,) = (root / "ascmhl").glob("0001_*.mhl")
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    text = chain.read_text()
    at = text.index("<c4>") + len("<c4>") + 2  # a character of the ID after its "c4"
    chain.write_text(text[:at] + ("z" if text[at] != "z" else "y") + text[at + 1 :])

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", root)

    assert code == 31, out + err
    lines = [line for line in err.splitlines() if not line.startswith("Report: ")]
    assert lines == [_disagree(root, manifest)], err


def test_append_without_a_history_says_what_to_do(tmp_path: Path) -> None:
    """A copy made without an ASC MHL history (``--mhl none``): ``--append`` has nothing to
    append to. One line naming the copy and the next step, exit 64, nothing written; and
    the step it names works. Failed before: "ROOT has no ASC MHL history to append a
    generation to", with no next step."""
    card = tmp_path / "A001"
    card.mkdir()
    (card / "C001.MOV").write_bytes(os.urandom(20_000))
    (tmp_path / "dest").mkdir()
    code, _, err = run("copy", "--quiet", "--mhl", "none", card, tmp_path / "dest")
    assert code == 0, err
    root = tmp_path / "dest" / "A001"
    before = sorted(p.relative_to(root) for p in root.rglob("*"))

    code, out, err = run("verify", "--append", "--report-dir", tmp_path / "reports", root)

    assert code == 64, out + err
    lines = [line for line in err.splitlines() if not line.startswith("Report: ")]
    assert lines == [
        f"ERROR: {root} has no ASC MHL history (ascmhl/) to append a generation to; run "
        "offload verify without --append to check it against its offload-ai ledger (or a "
        "legacy MHL: --mhl-file)"
    ], err
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    code, out, err = run("verify", "--report-dir", tmp_path / "reports", root)
    assert code == 0, out + err


def test_append_to_a_folder_with_no_records_at_all_says_what_exists(tmp_path: Path) -> None:
    """A plain folder (never an offload's copy, no ascmhl history, no ledger): ``--append``
    says there is no ledger either, and names nothing that leads to exit 30. Failed before:
    "run offload verify without --append to check it against its offload-ai ledger", which
    then exits 30 (no ledger); one line, exit 64, nothing written."""
    root = tmp_path / "PLAIN"
    root.mkdir()
    (root / "C001.MOV").write_bytes(os.urandom(2_000))

    code, out, err = run("verify", "--append", "--report-dir", tmp_path / "reports", root)

    assert code == 64, out + err
    lines = [line for line in err.splitlines() if not line.startswith("Report: ")]
    assert lines == [
        f"ERROR: {root} has no ASC MHL history (ascmhl/) to append a generation to, and no "
        "offload-ai ledger (.offload/): nothing records its files, so there is "
        "nothing to check it against (a legacy MHL can be: offload verify --mhl-file FILE; "
        "ascmhl create starts a history)"
    ], err
    assert "without --append" not in err
    assert sorted(p.name for p in root.iterdir()) == ["C001.MOV"]


def test_partial_leftovers_are_named_as_ours_not_new(tmp_path: Path) -> None:
    """An entry offload-ai's own unfinished write left (a partial's name, or the
    ``.offload-part`` piece of one fusefat leaves after renames) is no file of the card:
    every output names it a leftover, not a new file; nothing reads or records it (not in
    an --append generation); exit 0 when all else is verified. The ASC MHL history's own
    ignore list hides the fusefat piece (as ``ascmhl-debug verify`` reads it), never a partial,
    which says the copy may lack card files no record names, whatever a list says (QA: a
    partial left in a copy root ``offload copy`` wrote: "12 OK", ``leftovers: []``, failed
    before). The fusefat piece is never to be deleted through fusefat. Failed before:
    NEW (not in the ASC MHL history), exit 21; against the ledger a partial was passed over
    in silence; "delete it" of the piece, whose removal frees clusters a copy still uses;
    "delete it" alone of a partial, whose offload did not finish (found in QA: a run killed
    at its fifth clip of six verified exit 0 against its ledger, 2 OK, and said only to
    delete the partials, not that the copy may lack files no record names)."""
    root = copied(tmp_path)
    (root / "CLIPS" / ".offload-part").write_bytes(b"\0" * 64)
    (root / "CLIPS" / ".offload-partial.abc1230.C002.MOV").write_bytes(b"half a clip")
    leftovers = ["CLIPS/.offload-part", "CLIPS/.offload-partial.abc1230.C002.MOV"]
    reports = tmp_path / "reports"

    for reference in ("ascmhl", "ledger"):
        if reference == "ledger":
            shutil.rmtree(root / "ascmhl")
        code, out, err = run("verify", "--report-dir", reports, root)
        assert code == 0, out + err
        said = [line for line in err.splitlines() if "LEFTOVER" in line or "NEW" in line]
        # The history's ignore list hides the fusefat piece (left after renames that
        # succeeded), never a partial.
        expected = leftovers[1:] if reference == "ascmhl" else leftovers
        lines = {
            "CLIPS/.offload-part": "a piece of an offload-ai partial's name that fusefat left "
            "as a folder entry of its own, not a file of the card; not checked: do not delete "
            "it through fusefat, which may free clusters a copy still uses; fsck.fat repairs "
            "the drive",
            "CLIPS/.offload-partial.abc1230.C002.MOV": "what an unfinished write of offload-ai "
            "left, not a file of the card; not checked: the offload writing it did not "
            "finish, so files of the card may be missing here that no record names: run that "
            "offload again to finish it (it removes this), or delete it",
        }
        assert said == [f"WARNING: LEFTOVER ({lines[p]}) {root / p}" for p in expected], err
        assert f"1 OK, 0 changed, 0 missing, 0 new, 0 unreadable, {len(expected)} leftover" in out
        (saved,) = sorted(reports.glob("verify_*.json"), key=os.path.getmtime)[-1:]
        data = json.loads(saved.read_text())
        assert data["leftovers"] == expected and data["extra"] == []
        assert data["totals"]["leftovers"] == len(expected)
        assert data["exit_code"] == 0
        rows = list(csv.reader(io.StringIO(saved.with_suffix(".csv").read_text())))
        assert sorted(r[0] for r in rows if r[1] == "leftover") == expected

    # Restored history: --append records the check, never the leftovers.
    root2 = copied(tmp_path / "again")
    (root2 / "CLIPS" / ".offload-part").write_bytes(b"\0" * 64)
    (root2 / "CLIPS" / ".offload-partial.abc1230.C002.MOV").write_bytes(b"half a clip")
    code, out, err = run("verify", "--append", "--report-dir", reports, root2)
    assert code == 0, out + err
    assert err.count("WARNING: LEFTOVER") == 1, err
    generations = sorted((root2 / "ascmhl").glob("0002_*.mhl"))
    assert len(generations) == 1
    assert "CLIPS/.offload-part" not in generations[0].read_text()


def test_a_changed_symlink_is_not_called_a_copy_kept_by_keep_both(tmp_path: Path) -> None:
    """A card's link copied as a link reads the clip it leads to: when that clip changed,
    both are CHANGED, and the note on the ledger spoke of the link as "1 changed copy is not
    vouched for by this copy root's ledger (a copy found damaged and kept beside its new
    copy by --keep-both, or one it never recorded): no `offload copy` trusts it", false of a
    link (failed before)."""
    root = copied(tmp_path, link=True)
    clip = root / "CLIPS" / "C001.MOV"
    data = bytearray(clip.read_bytes())
    data[100] ^= 0xFF
    st = clip.stat()
    clip.write_bytes(bytes(data))
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns))  # as a plain run would trust it

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", root)

    assert code == 11, out + err
    said = " ".join(err.split())
    assert f"CHANGED {clip}" in said and f"CHANGED {root / 'CLIPS' / 'latest.MOV'}" in said
    assert "not vouched for" not in said and "still vouches" not in said, said
    # The clip's record is revoked (the check proved it wrong), the link is no copy of it.
    assert "this check revoked this copy root's ledger record of the 1 copy it found" in said
    assert (
        "1 symlink above is no copy: what this check reads through it, as ascmhl does, for "
        "what the ASC MHL history records at the link's name is the file it leads to in this "
        "copy" in said
    ), said


def test_a_folder_inside_a_copy_names_the_copy_root_to_verify(tmp_path: Path) -> None:
    """Failed before: ``offload verify DEST/A001/CLIPS`` said only "nothing to verify against"
    (exit 30), though A001's history records every file below CLIPS."""
    root = copied(tmp_path)

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", root / "CLIPS")

    assert code == 30, out + err
    lines = [line for line in err.splitlines() if not line.startswith("Report: ")]
    assert lines == [
        f"ERROR: nothing to verify {root / 'CLIPS'} against: no ASC MHL history (ascmhl/), no "
        f"legacy MHL given and no offload-ai ledger; it is inside {root}, whose records cover "
        f"it: offload verify {root}"
    ], err


def test_a_card_without_records_is_told_what_to_verify_instead(tmp_path: Path) -> None:
    """QA (the first hour, 38th pass): ``offload verify CARD`` (no ASC MHL history of its
    camera's, no copy root near it) said "nothing to verify ... against" (exit 30) and no
    next step, though README says verify checks "a destination (or a card)". Failed before;
    now the line names the copy root to verify and ``--mhl-file``."""
    card = tmp_path / "reader" / "A 001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.MOV").write_bytes(b"clip")

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", card)

    assert code == 30, out + err
    [line] = [x for x in err.splitlines() if x.startswith("ERROR: ")]
    assert line.endswith(
        "no offload-ai ledger; nothing here or near it records these files (a card holds "
        "records only where its camera or an earlier tool wrote an ASC MHL history): verify "
        "a copy an offload made of it, its copy root (offload verify DEST/CARD), or check it "
        f"against an MHL that lists its files: offload verify --mhl-file FILE.mhl '{card}'"
    ), line


def test_a_folder_inside_a_copy_holding_a_legacy_mhl_names_the_copy_root_first(
    tmp_path: Path,
) -> None:
    """Review of the card merge: a folder of a copy that holds a legacy MHL (``<null>``
    only: a size check) got only the ``--mhl-file`` hint, no longer the copy root above
    whose ledger and ASC MHL check every file by digest. Failed before; the copy root is
    named first, the MHL as well."""
    root = copied(tmp_path)
    mhl = root / "CLIPS" / "S.mhl"
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1"><hash><file>'
        "C001.MOV</file><size>50000</size><null></null></hash></hashlist>\n"
    )
    code, out, err = run("verify", "--report-dir", tmp_path / "reports", root / "CLIPS")
    assert code == 30, out + err
    [line] = [x for x in err.splitlines() if x.startswith("ERROR: ")]
    assert line.endswith(
        f"; it is inside {root}, whose records cover it: offload verify {root}; it also holds "
        f"a legacy MHL at its root, checked when given: offload verify --mhl-file {mhl} "
        f"{root / 'CLIPS'}"
    ), line


def test_a_drive_holding_card_copies_names_the_copies_to_verify(tmp_path: Path) -> None:
    """Failed before (found in QA: ``offload verify`` of a shuttle drive's root holding 16
    card copies): ``offload verify DRIVE``, whose card copies each hold their own history
    and ledger (DRIVE/A001, and one a folder deeper, DRIVE/DAY_02/A002), said only "nothing
    to verify against" (exit 30), naming none of them; ascmhl-debug verify says as little.
    Then (QA, first hour) "each checked on its own: offload verify ...", though none was
    checked: now "none checked: check each with: ...".
    A hidden folder (a Mac's .Spotlight-V100) is not looked into."""
    drive = tmp_path / "SHUTTLE"
    for card, folder in (("A001", drive), ("A002", drive / "DAY_02"), ("A003", drive)):
        source = tmp_path / "cards" / card
        (source / "CLIPS").mkdir(parents=True)
        (source / "CLIPS" / f"{card}C001.MOV").write_bytes(os.urandom(20_000))
        folder.mkdir(parents=True, exist_ok=True)
        code, _, err = run("copy", "--quiet", "--report-dir", tmp_path / "r", source, folder)
        assert code == 0, err
    (drive / ".Spotlight-V100" / "A004" / "ascmhl").mkdir(parents=True)
    (drive / "NOTES").mkdir()

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", drive)

    assert code == 30, out + err
    lines = [line for line in err.splitlines() if not line.startswith("Report: ")]
    assert lines == [
        f"ERROR: nothing to verify {drive} against: no ASC MHL history (ascmhl/), no legacy "
        "MHL given and no offload-ai ledger; 3 folders below it hold records of their own, "
        f"none checked: check each with: offload verify {drive / 'A001'}; offload verify "
        f"{drive / 'A003'}; offload verify {drive / 'DAY_02' / 'A002'}"
    ], err
    # One copy below: named alone.
    code, out, err = run("verify", "--report-dir", tmp_path / "reports", drive / "DAY_02")
    assert code == 30, out + err
    assert err.splitlines()[0].endswith(
        "; 1 folder below it holds records of its own, not checked: check it with: offload "
        f"verify {drive / 'DAY_02' / 'A002'}"
    ), err


def test_a_drive_of_ten_copy_roots_gets_one_line_checking_them_all(tmp_path: Path) -> None:
    """Failed before (QA): a drive holding 10 copy roots named 3 of them, "(7 more not named
    here)": the line to paste checked 3 of 10. Every copy root is named now."""
    drive = tmp_path / "SHUTTLE"
    source = tmp_path / "cards" / "A001"
    (source / "CLIPS").mkdir(parents=True)
    (source / "CLIPS" / "C001.MOV").write_bytes(os.urandom(2_000))
    drive.mkdir()
    code, _, err = run("copy", "--quiet", "--report-dir", tmp_path / "r", source, drive)
    assert code == 0, err
    roots = [drive / "A001"]
    for n in range(2, 11):
        roots.append(drive / f"A{n:03}")
        shutil.copytree(roots[0], roots[-1], symlinks=True)
    code, out, err = run("verify", "--report-dir", tmp_path / "reports", drive)
    assert code == 30, out + err
    line = err.splitlines()[0]
    assert "not named here" not in line, line
    commands = line.split("check each with: ", 1)[1]
    assert (
        shlex.split(commands.replace(";", " ; "))
        == [word for root in roots for word in ("offload", "verify", str(root), ";")][:-1]
    ), line


def test_the_commands_suggested_for_exit_30_paste_as_one_path_each(tmp_path: Path) -> None:
    """Failed before (QA): the folders ``offload verify`` suggests checking were printed
    raw ("verify /media/DAY 2/A001"): a path with a space or a quote broke when pasted.
    Each suggested command's path is now shell-quoted: the shell splits the line back
    into the exact paths, above (a folder inside a copy) and below (a drive of copies)."""
    drive = tmp_path / "SHUTTLE 2"
    roots = [drive / "DIT's A001", drive / "DAY 02" / "A002 $HOME"]
    for root in roots:
        source = tmp_path / "cards" / root.name
        (source / "CLIPS").mkdir(parents=True)
        (source / "CLIPS" / "C001.MOV").write_bytes(os.urandom(20_000))
        root.parent.mkdir(parents=True, exist_ok=True)
        code, _, err = run("copy", "--quiet", "--report-dir", tmp_path / "r", source, root.parent)
        assert code == 0, err

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", drive)
    assert code == 30, out + err
    commands = err.splitlines()[0].split("check each with: ", 1)[1]
    words = shlex.shlex(commands, posix=True, punctuation_chars=";")
    words.whitespace_split = True
    assert list(words) == [
        "offload", "verify", str(roots[1]), ";", "offload", "verify", str(roots[0]),
    ], err  # fmt: skip

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", roots[0] / "CLIPS")
    assert code == 30, out + err
    command = err.splitlines()[0].split("whose records cover it: ", 1)[1]
    assert shlex.split(command) == ["offload", "verify", str(roots[0])], err


def test_a_reason_naming_a_path_spells_it_once_in_the_csv(tmp_path: Path) -> None:
    """A reason that names another path than its row's (the folder a missing file was
    recorded in, now a file; the file a symlink at a recorded name leads to), that name
    holding a control character and a backslash: the CSV's cell gives it exactly as the
    path column gives a name (``\\x01`` once, the backslash ``\\\\``), so that a reader
    undoing the cell's escapes gets the name itself; the terminal's line keeps its own
    spelling. Failed before: the detail cell held ``A\\\\x01\\\\B`` (the terminal's escape
    escaped again), which reads back as a name of a literal backslash and "x01"."""
    from offload.report.csv_cells import cell

    folder, target = "A\x01\\B", "t\x02\\u.mov"
    card = tmp_path / "CARD"
    (card / folder).mkdir(parents=True)
    (card / folder / "a.mov").write_bytes(os.urandom(1000))
    (card / "c.mov").write_bytes(os.urandom(1000))
    (card / target).write_bytes(os.urandom(1000))
    dest = tmp_path / "dest"
    dest.mkdir()
    code, _, err = run(
        "copy", "--quiet", "--mhl", "none", card, dest, "--report-dir", tmp_path / "r0"
    )
    assert code == 0, err
    root = dest / "CARD"
    shutil.rmtree(root / folder)
    (root / folder).write_text("now a file")
    (root / "c.mov").unlink()
    (root / "c.mov").symlink_to(target)
    reports = tmp_path / "reports"
    code, _, err = run("verify", root, "--report-dir", reports)
    assert code == 10, err  # against the ledger: two recorded files missing
    # The literal backslash doubled (QA qanames67: every printed name stands for one file).
    assert "ERROR: MISSING (A\\x01\\B, the folder it was recorded in, is now a file" in err, err
    (table,) = reports.glob("*.csv")
    rows = {row[0]: row for row in csv.reader(io.StringIO(table.read_text()))}
    missing = rows[cell(f"{folder}/a.mov")]
    assert missing[1:] == [
        "missing",
        f"{cell(folder)}, the folder it was recorded in, is now a file: nothing of the folder "
        "is there",
    ], missing
    link = rows[cell("c.mov")]
    assert link[1] == "missing", link
    assert link[2].startswith(f"a symlink to {cell(target)} in this copy stands at its name"), link
    assert "\\\\x0" not in table.read_text(), table.read_text()  # no escape escaped again
    # The JSON keeps the terminal's words, as before.
    (report,) = reports.glob("*.json")
    texts = [r["text"] for r in json.loads(report.read_text())["reasons"].values()]
    assert any(t.startswith("A\\x01\\B, the folder it was recorded in") for t in texts), texts


def test_a_folder_holding_only_a_legacy_mhl_names_the_command_that_checks_it(
    tmp_path: Path,
) -> None:
    """QA (27f73e8e): ``offload verify`` of a Silverstack shuttle copy (its files and a
    legacy MHL at its root, no history, no ledger) said "no legacy MHL given" (exit 30),
    naming neither the MHL there nor ``--mhl-file``. Failed before. The line names it in a
    command that pastes as it is (a space in the path), and that command checks the copy."""
    import hashlib

    root = tmp_path / "DAY 1" / "A001"
    root.mkdir(parents=True)
    clip = b"the clip\n"
    (root / "a.mov").write_bytes(clip)
    mhl = root / "A001_2024-01-01_000000.mhl"
    mhl.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<hashlist version="1.1"><hash><file>a.mov'
        f"</file><size>9</size><md5>{hashlib.md5(clip).hexdigest()}</md5></hash>"
        "</hashlist>\n"
    )
    code, out, err = run("verify", "--report-dir", tmp_path / "reports", root)
    assert code == 30, out + err
    [line] = [x for x in err.splitlines() if x.startswith("ERROR: ")]
    command = line.split("checked when given: ")[1]
    assert command == f"offload verify --mhl-file {shlex.quote(str(mhl))} {shlex.quote(str(root))}"
    code, out, err = run(*shlex.split(command)[1:], "--report-dir", tmp_path / "reports")
    assert code == 0 and "1 OK" in out + err, out + err


def test_a_refusal_that_names_its_remedy_gets_no_second_one(tmp_path: Path) -> None:
    """A history error whose message says what to do already (``ManifestError.
    says_what_to_do``, set where it is raised) is refused with that remedy alone: the
    manifest the chain does not list under ``--append`` (restore the chain file), never also
    the default one of a damaged history (restore ascmhl/ from another copy of this card)."""
    root = copied(tmp_path)
    (manifest,) = (root / "ascmhl").glob("0001_*.mhl")
    unlisted = manifest.with_name("0002_" + manifest.name.partition("_")[2])
    shutil.copyfile(manifest, unlisted)

    code, out, err = run("verify", "--append", "--report-dir", tmp_path / "reports", root)

    assert code == 31, out + err
    (line,) = [x for x in err.splitlines() if x.startswith("ERROR:")]
    assert "restore the chain file from a backup" in line, line
    assert "from another copy of this card" not in line, line
    assert line.count("restore") == 1, line


def test_a_copy_root_whose_offload_stopped_before_its_ledger_says_run_it_again(
    tmp_path: Path,
) -> None:
    """A copy root as an offload killed before its first ledger line leaves it: the copies
    (or partials) and offload-ai's ``.offload/`` folder (its lock), no ledger, no history.
    Failed before (QA): only "nothing to verify against ... no offload-ai ledger", exit 30,
    with no word of the stopped offload or of running it again."""
    root = copied(tmp_path)
    shutil.rmtree(root / "ascmhl")
    for entry in (root / ".offload").iterdir():
        if entry.name != "lock":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    code, out, err = run("verify", "--report-dir", tmp_path / "reports", root)

    assert code == 30, out + err
    lines = [line for line in err.splitlines() if not line.startswith("Report: ")]
    assert lines == [
        f"ERROR: nothing to verify {root} against: no ASC MHL history (ascmhl/), no legacy MHL "
        "given and no offload-ai ledger; its .offload/ folder is there, holding no ledger: an "
        "offload of it ended before it recorded a copy (stopped: killed, a power cut; or "
        "failed there: its drive full or gone), or its ledger was deleted: run that offload "
        "again, the same command (with room on the drive, where it filled): it finishes the "
        "copy and reads back what it finds"
    ], err
