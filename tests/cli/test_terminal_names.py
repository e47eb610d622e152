"""Names reach the terminal escaped: a control character in a file's name (ESC, a newline)
can neither drive the terminal nor forge a line of its own (``errors.printable_name``,
``printable_text``); the saved JSON keeps the exact name (each test runs the command as a
subprocess on real files)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from offload.errors import printable_name, printable_text

CLI = [sys.executable, "-m", "offload.cli.offload"]
ESC_NAME = "esc\x1b[2Kred.mov"
NEWLINE_NAME = "two\nWARNING: forged line.mov"


def run(*args: str | Path, reports: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OFFLOAD_REPORT_DIR": str(reports)}
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def test_printable_name_and_text_escape_control_characters() -> None:
    assert printable_name(ESC_NAME) == "esc\\x1b[2Kred.mov"
    assert printable_name(NEWLINE_NAME) == "two\\x0aWARNING: forged line.mov"
    assert printable_name(os.fsdecode(b"bad\xff\xc2\x9b.mov")) == "bad\\xff\\u009b.mov"
    assert (
        printable_name("caf\u00e9 \u30af\u30ea\u30c3\u30d7.mov")
        == "caf\u00e9 \u30af\u30ea\u30c3\u30d7.mov"
    )
    # A message keeps the lines it means; any other control character is escaped.
    assert printable_text("one\x1b[31m\ntwo\r\t") == "one\\x1b[31m\ntwo\\x0d\\x09"


# Names that show as others: a bidi override (``bidi<U+202E>vom.exe`` shows as
# ``bidiexe.mov``), a line separator, a zero-width space and a BOM, a tag beyond U+FFFF.
INVISIBLE = {
    "bidi\u202evom.exe": "bidi\\u202evom.exe",
    "line\u2028para\u2029.mov": "line\\u2028para\\u2029.mov",
    "zero\u200bwidth\ufeff.mov": "zero\\u200bwidth\\ufeff.mov",
    "tag\U000e0041.mov": "tag\\U000e0041.mov",
    "soft\u00adhyphen.mov": "soft\\u00adhyphen.mov",
}


def test_format_characters_and_separators_are_escaped_as_controls_are() -> None:
    """Unicode format characters (Cf) and the line and paragraph separators (Zl, Zp) are
    spelled ``\\uNNNN`` (``\\UNNNNNNNN`` beyond U+FFFF) on the terminal, in the HTML and in
    the PDF, as the C1 controls are; other characters stay as they are. Failed before: all
    printed raw (only C0 and C1 were escaped), so ``bidi<U+202E>vom.exe`` showed as
    ``bidiexe.mov``."""
    from offload.errors import printable_line
    from offload.report.html import escape
    from offload.report.pdf import latin1

    for name, shown in INVISIBLE.items():
        assert printable_name(name) == shown
        assert printable_text(name + "\n") == shown + "\n"
        assert printable_line(name) == shown
        assert escape(name) == shown
        assert latin1(name) == shown
    # Printable names, a no-break space, a letter beyond U+FFFF and an emoji as they are.
    for name in ("caf\u00e9\u00a0A.mov", "\U0001d49c.mov", "\U0001f3ac.mov"):
        assert printable_name(name) == name


def test_a_bidi_override_in_a_name_is_escaped_on_the_terminal(tmp_path: Path) -> None:
    """A card file named with U+202E: the dry run's list and the copy's lines spell it
    ``\\u202e``; the saved JSON keeps the exact name. Failed before: printed raw."""
    card = tmp_path / "card"
    (card / "N").mkdir(parents=True)
    for n, name in enumerate(INVISIBLE):
        (card / "N" / name).write_bytes(bytes([n]) * 10)
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    dry = run("copy", "--dry-run", card, dest, reports=reports)
    copied = run("copy", card, dest, reports=reports)
    assert copied.returncode == 0, copied.stderr
    for result in (dry, copied):
        printed = result.stderr + result.stdout
        assert not [c for c in printed if c in "\u202e\u2028\u2029\u200b\ufeff\U000e0041"]
    assert "N/bidi\\u202evom.exe" in dry.stderr, dry.stderr
    (report,) = reports.glob("card_*.json")
    names = {f["path"] for f in json.loads(report.read_bytes())["files"]}
    assert {f"N/{name}" for name in INVISIBLE} == names


def test_names_with_control_characters_are_escaped_on_the_terminal(tmp_path: Path) -> None:
    """Failed before: the "not in the ASC MHL manifest" warning printed ESC and the newline
    raw (a forged ``WARNING:`` line); the dry run's list likewise."""
    card = tmp_path / "card"
    (card / "N").mkdir(parents=True)
    (card / "N" / ESC_NAME).write_bytes(b"x")
    (card / "N" / NEWLINE_NAME).write_bytes(b"y")
    (card / "N" / "plain.mov").write_bytes(b"z")
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    dry = run("copy", "--dry-run", card, dest, reports=reports)
    copied = run("copy", card, dest, reports=reports)
    assert copied.returncode == 0, copied.stderr
    for result in (dry, copied):
        assert "\x1b" not in result.stderr and "\x1b" not in result.stdout
        lines = result.stderr.splitlines()
        assert not [line for line in lines if line.startswith("WARNING: forged")], result.stderr
        assert "N/esc\\x1b[2Kred.mov" in result.stderr  # the dry run's list, the warning
    # XML holds a newline: that name is in the manifest, named by the dry run's list alone.
    assert "N/two\\x0aWARNING: forged line.mov" in dry.stderr
    # The saved report keeps the exact names.
    (report,) = reports.glob("card_*.json")
    names = {f["path"] for f in json.loads(report.read_bytes())["files"]}
    assert {f"N/{ESC_NAME}", f"N/{NEWLINE_NAME}", "N/plain.mov"} == names


def test_folders_named_with_brackets_and_control_characters_print_whole_and_escaped(
    tmp_path: Path,
) -> None:
    """A card and drives whose folder names hold rich's markup (``[b]``, ``[day1]``, a
    closing ``[/b]``), ESC sequences (``ESC[2J`` clears a screen), a tab, a newline and a
    byte that is not UTF-8: the live view, the summary, ``offload history`` (its table, and
    its line for a folder with no report) and ``offload report`` print each name whole,
    escaped by ``printable_name``, on a real terminal. Failed before: the summary stopped
    with a traceback (rich's MarkupError on ``RAID[/b]``: no "Report:" line, its notes
    lost), ``[day1]`` vanished from the live view's row, history and the report command
    printed ESC raw (the screen cleared)."""
    from tests.support.terminal import holds, run_on_terminal

    card = Path(os.fsdecode(os.fsencode(tmp_path / "cards" / "A001 [b]\x1b[2J") + b"\xff"))
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001 [red].mov").write_bytes(os.urandom(1000))
    # "RAID[" holding "b]\nX": the path's text holds the closing tag "[/b]".
    shuttle, raid = tmp_path / "SHUTTLE [day1]\t\x1b[31m", tmp_path / "RAID[" / "b]\nX"
    shuttle.mkdir()
    raid.mkdir(parents=True)
    reports = tmp_path / "rep [x]\x1b[2J"
    run = run_on_terminal("copy", "--report-dir", reports, card, shuttle, raid, columns=200)
    assert run.returncode == 0, run.text
    assert "Traceback" not in run.text and run.lines[0].startswith("Offloading"), run.text
    rows = [line for line in run.lines if line[:3] in ("1  ", "2  ")]
    assert "SHUTTLE [day1]\\x09\\x1b[31m " in rows[0] and "RAID[/b]\\x0aX " in rows[1], run.text
    # The summary's title (rich word-wraps it at a space where the card's path is long).
    assert holds(run.text, "A001 [b]\\x1b[2J\\xff: full verification"), run.text
    for name in ("SHUTTLE [day1]\\x09\\x1b[31m", "RAID[/b]\\x0aX"):  # the summary's rows
        assert name in "".join(line.strip() for line in run.lines), run.text
    # Each line read whole: one naming the test folder wraps where its path is long.
    assert run.whole_lines[-1].startswith(f"Report: {printable_name(str(reports))}/A001 "), run.text

    # Wide enough for the table to hold each destination whole (the report's own name holds
    # "_" for each control character and byte that is not UTF-8: own_names.name_part).
    listed = run_on_terminal("history", "--report-dir", reports, columns=240)
    assert listed.returncode == 0 and "Traceback" not in listed.text, listed.text
    assert holds(listed.text, f"Offloads and checks in {printable_name(str(reports))}"), listed.text
    assert listed.shows("A001 [b]\\x1b[2J\\xff"), listed.text
    for name in ("[day1]\\x09\\x1b[31m/A001", "RAID[/b]\\x0aX/A001"):  # folded at spaces
        assert name in listed.text, listed.text
    (tmp_path / "none [/]\x1b[2J").mkdir(
        parents=True
    )  # a named folder that does not exist is refused
    empty = run_on_terminal("history", "--report-dir", tmp_path / "none [/]\x1b[2J")
    assert empty.returncode == 0, empty.text
    assert empty.whole_lines == [
        f"No offload reports in {printable_name(str(tmp_path))}/none [/]\\x1b[2J yet."
    ], empty.text

    [job] = reports.glob("A001*.json")
    again = run_on_terminal("report", job, "--no-media", columns=200)
    assert again.returncode == 0, again.text
    # The card's random-bytes clip: the run's CARD CONTENT finding, kept in its JSON and said
    # again where the report is made without probing (qafix70r M1), its name escaped too.
    content = [line for line in again.whole_lines if line.startswith("CARD CONTENT:")]
    assert len(content) == 1 and "CLIPS/C001 [red].mov" in content[0], again.text
    assert [line for line in again.whole_lines if not line.startswith("CARD CONTENT:")] == [
        f"{kind} report: {printable_name(str(job.with_suffix('.' + kind.lower())))}"
        for kind in ("HTML", "PDF")
    ], again.text


def test_refusals_naming_a_path_with_control_characters_are_one_line_each(tmp_path: Path) -> None:
    """Each refusal that names a path the user gave prints it through ``printable_name``:
    one ``ERROR:`` line, ESC and the newline escaped, never a second line the name forged.
    Failed before: ``--progress-trace`` printed "ERROR: ERROR: forged/t: ..." as a line of
    its own; ``pfndispatchcopy``'s source, ``offload report --html`` and ``offload
    history``'s folder likewise split at the newline."""
    named = tmp_path / "no\x1b[2Jcard\nERROR: forged"
    shown = printable_name(str(named))
    card = tmp_path / "A001"
    card.mkdir()
    (card / "clip.mov").write_bytes(b"x" * 100)
    dest = tmp_path / "dest"
    dest.mkdir()
    a_file = tmp_path / "file\x1b[2J\nERROR: forged"
    a_file.write_text("not a folder")
    assert run("copy", card, dest, reports=tmp_path / "reports").returncode == 0
    [job] = (tmp_path / "reports").glob("A001_*.json")
    pfn = [str(Path(sys.executable).with_name("pfndispatchcopy"))]
    for argv, wanted in (
        ([*CLI, "copy", card, dest, "--progress-trace", named / "t"], f"{shown}/t: cannot"),
        ([*pfn, named, dest / "x"], f"source {shown} does not exist"),
        ([*CLI, "history", "--report-dir", a_file], printable_name(str(a_file))),
        ([*CLI, "report", job, "--html", named / "x.html"], f"cannot write {shown}/x.html"),
        ([*CLI, "copy", card, dest, "--report-dir", named / "r"], f"{shown}/r cannot be made"),
    ):
        result = subprocess.run(
            list(map(str, argv)), capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert result.returncode == 64, (argv, result.stderr)
        [line] = result.stderr.splitlines()
        assert line.startswith("ERROR: ") and wanted in line, (argv, line)
        assert "\x1b" not in result.stderr + result.stdout, (argv, result.stderr)


def test_a_folder_error_on_a_drive_whose_name_holds_a_newline_is_one_line(tmp_path: Path) -> None:
    """A destination named with a newline whose reports folder is a file: the run's folder
    error (its report not written there, exit 1) is one ``ERROR:`` line, the newline
    escaped. Failed before: printed as a message of several lines, the name's second part a
    line of its own ("ERROR: forged/card/.offload/reports: ...")."""
    card = tmp_path / "card"
    card.mkdir()
    (card / "clip.mov").write_bytes(b"x" * 100)
    dest = tmp_path / "RAID\nforged"
    (dest / "card" / ".offload").mkdir(parents=True)
    (dest / "card" / ".offload" / "reports").write_text("in the way")
    result = subprocess.run(
        [*CLI, "copy", str(card), str(dest)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "OFFLOAD_REPORT_DIR": str(tmp_path / "reports")},
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert not [line for line in lines if line.startswith("ERROR: forged")], result.stderr
    shown = printable_name(str(dest / "card" / ".offload" / "reports"))
    assert any(line.startswith("ERROR: ") and shown in line for line in lines), result.stderr


# A name and its NFC/NFD twin: two files ext4 holds side by side, drawn alike.
NFC_TWIN = "Caf\u00e9.mov"
NFD_TWIN = "Cafe\u0301.mov"


def test_a_name_and_its_nfd_twin_are_spelled_apart_on_every_printed_page() -> None:
    """The NFC name prints as it is; a name that is not NFC has its marks spelled as codes
    (``Cafe\\u0301.mov``) on the terminal, in the HTML and in the PDF, and a command to paste
    names it by its bytes. Failed before: both printed ``Café.mov`` (the PDF composed the NFD
    one on purpose), so a line could not say which of the two files it meant."""
    from offload.errors import pasteable_word, printable_line, spelled_apart
    from offload.report.html import escape
    from offload.report.pdf import latin1

    for spell in (printable_name, printable_text, printable_line, escape, latin1):
        assert spell(NFC_TWIN) == NFC_TWIN
        assert spell(NFD_TWIN) == "Cafe\\u0301.mov", spell
    # A singleton NFC replaces (the Angstrom sign), Hangul jamo, a mark beyond U+FFFF, and a
    # name with a control character too: each stays one line and shows its codes.
    assert printable_name("\u212b.mov") == "\\u212b.mov"
    assert printable_name("\u1100\u1161.mov") == "\u1100\\u1161.mov"
    assert printable_name("\U0001d15e.mov") == "\\U0001d15e.mov"
    assert (
        spelled_apart("Caf\u00e9 \u30af\u30ea\u30c3\u30d7.mov")
        == "Caf\u00e9 \u30af\u30ea\u30c3\u30d7.mov"
    )
    assert printable_line("new\nCafe\u0301.mov") == "new\\x0aCafe\\u0301.mov"
    # An NFC name with a mark no letter composes with is its own only spelling: as it is.
    assert printable_name("q\u0301.mov") == "q\u0301.mov"
    assert pasteable_word(NFD_TWIN) == "$'Cafe\\xcc\\x81.mov'"
    assert pasteable_word(NFC_TWIN) == f"'{NFC_TWIN}'"


def test_twins_on_one_card_are_told_apart_by_the_dry_run_verify_and_html(tmp_path: Path) -> None:
    """A card holding ``Caf\\u00e9.mov`` and ``Cafe\\u0301.mov`` (ext4 keeps both): the dry run's
    list, ``offload verify``'s line naming the copy found changed and the HTML report spell
    the NFD one ``Cafe\\u0301.mov``; the saved JSON keeps both names exact. Failed before:
    the dry run listed ``Café.mov`` twice and verify's CHANGED line could be either file."""
    card = tmp_path / "card"
    (card / "C").mkdir(parents=True)
    (card / "C" / NFC_TWIN).write_bytes(b"composed")
    (card / "C" / NFD_TWIN).write_bytes(b"decomposed")
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    dry = run("copy", "--dry-run", card, dest, reports=reports)
    assert "    C/Cafe\\u0301.mov\n" in dry.stderr and "    C/Caf\u00e9.mov\n" in dry.stderr
    assert NFD_TWIN not in dry.stderr + dry.stdout
    copied = run("copy", card, dest, reports=reports)
    assert copied.returncode == 0, copied.stderr
    (report,) = reports.glob("card_*.json")
    names = {f["path"] for f in json.loads(report.read_bytes())["files"]}
    assert {f"C/{NFC_TWIN}", f"C/{NFD_TWIN}"} == names
    (html,) = reports.glob("card_*.html")
    page = html.read_text(encoding="utf-8")
    assert "Cafe\\u0301.mov" in page and NFC_TWIN in page and NFD_TWIN not in page
    # The NFD file's copy changed (same size): verify's line says which of the two it is.
    (dest / "card" / "C" / NFD_TWIN).write_bytes(b"DECOMPOSED")
    checked = run("verify", dest / "card", reports=reports)
    assert checked.returncode != 0
    (line,) = [x for x in checked.stderr.splitlines() if x.startswith("ERROR: CHANGED")]
    assert "/C/Cafe\\u0301.mov:" in line, checked.stderr
    assert NFD_TWIN not in checked.stderr + checked.stdout


def test_a_suggested_command_naming_an_nfd_folder_reaches_it_when_pasted(tmp_path: Path) -> None:
    """A folder named ``Cafe\\u0301`` (NFD) beside its NFC twin: each command a message
    suggests for it (the ``--`` and ``./`` forms of a path read as an option:
    ``cli.common._command``; ``offload verify --mhl-file FILE.mhl FOLDER``:
    ``errors.shell_word``), run by bash as pasted, names that folder's bytes, not the
    twin's. Failed before: the word was the printed ``'Cafe\\u0301'``, text naming no file
    ("does not exist")."""
    nfd, nfc = "-Cafe\u0301", "-Caf\u00e9"
    for name in (nfd, nfc):
        (tmp_path / name).mkdir()
    reports = tmp_path / "reports"
    env = {**os.environ, "OFFLOAD_REPORT_DIR": str(reports)}
    refused = subprocess.run(
        [*CLI, "verify", nfd], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
    )
    assert refused.returncode == 64, refused.stderr
    suggested = [
        part.split(")")[0] for part in refused.stderr.split("(offload verify ")[1:]
    ]  # "./" first, then "--"
    assert len(suggested) == 2 and "\\u0301" not in "".join(suggested), refused.stderr
    define = f'offload() {{ {shlex.join(CLI)} "$@"; }}; '
    for words in suggested:
        pasted = subprocess.run(
            ["bash", "-c", define + "offload verify " + words],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
        said = pasted.stdout + pasted.stderr
        assert f"nothing to verify {tmp_path}/" in said and "Cafe\\u0301 against" in said, said
    hinted = run("verify", tmp_path / nfd, reports=reports)
    word = hinted.stderr.split("offload verify --mhl-file FILE.mhl ")[1].split()[0]
    named = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert named.stdout == os.fsencode(tmp_path / nfd), (word, named.stdout)


def test_a_suggested_word_pastes_back_to_its_name_through_every_display() -> None:
    """``errors.shell_word`` (every suggested command's word) and ``plan.ignore
    .ignore_argument`` (its ``--ignore`` pattern), once through the terminal's, the HTML's and
    the PDF's spelling of a line, give back, pasted into bash, the very name: one not NFC, with
    a control character, a format character, a quote, a byte not UTF-8. Failed before: a
    control character's word was the display's ``'new\\x0aline'`` (four characters pasted),
    and ``--ignore`` of a name not NFC ``'/Cafe\\u0301.mov'`` once displayed."""
    import html as html_module
    import subprocess

    from offload.errors import printable_line, shell_word
    from offload.plan.ignore import IgnoreRules, ignore_argument
    from offload.report.html import escape
    from offload.report.pdf import latin1

    def bash(word: str) -> bytes:
        done = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
        return done.stdout

    names = [
        "CLIPS/Cafe\u0301.mov",
        "CLIPS/new\nline.mov",
        "CLIPS/bidi\u202evom.exe",
        "CLIPS/it's \x07 here.mov",
        os.fsdecode(b"CLIPS/caf\xe9.mov"),
        "CLIPS/Caf\u00e9 D\u00e9j\u00e0.mov",
    ]
    displays = (printable_line, lambda t: html_module.unescape(escape(t)), latin1)
    for name in names:
        for display in displays:
            shown = display(f"offload verify {shell_word(name)}").removeprefix("offload verify ")
            assert bash(shown) == os.fsencode(name), (name, shown)
            # The --ignore pattern (a '?' for a character not printable, which matches it):
            # pasted, it leaves out that name, by the scan's own rules.
            shown = display(f"--ignore {ignore_argument(name)}").removeprefix("--ignore ")
            pattern = os.fsdecode(bash(shown))
            rules = IgnoreRules.none().adding([pattern])
            assert rules.matches(name, is_dir=False), (name, shown, pattern)
