"""The names offload-ai gives its own files after the card folder (an ASC MHL generation, a
legacy MHL, the reports) follow one rule (``own_names.name_part``): a line break, any other
control character, a separator or a byte that is not UTF-8 is ``_`` there. ascmhl (1.2)
reads a generation's name holding a line break as none ("does not conform to naming
convention", then "Missing ASC MHL history", exit 30), and ``offload verify`` judges the
names as ascmhl does. Real cards on the real filesystem, the real CLI; ascmhl as the judge.

Failed before: the generation of ``card/N<LF>L`` was ``0001_N<LF>L_….mhl``; ascmhl found no
history in the copy (exit 30) while ``offload verify`` read it and exited 0."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest.history import generation_number_of
from support.ascmhl_judge import AscmhlJudge

# A line break, a carriage return, a tab, ESC, a line separator, a byte that is not UTF-8.
CARD_NAME = os.fsdecode(b"N\nL\rT\tE\x1bS\xe2\x80\xa8X\xff")
SAFE = "N_L_T_E_S_X_"


def _run(*args: str | Path) -> tuple[int, str]:
    """The command's exit code and what it printed, stdout then stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [*map(str, args)],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    return code, out.getvalue() + err.getvalue()


def test_name_part_is_the_one_rule() -> None:
    from offload.own_names import name_part

    assert name_part(CARD_NAME) == SAFE
    # Printable names as they are, a format character too (printed escaped elsewhere).
    for name in ("A001", "Café 日本", "bidi\u202eX", "a b"):
        assert name_part(name) == name


def test_generation_names_are_read_as_ascmhl_reads_them() -> None:
    # ascmhl's pattern: NNNN (4 digits at least), then "_" and no line break; a lone line
    # break at the very end is let through by its "$".
    assert generation_number_of("0001_N\nL_2026-12-05_102515Z.mhl") is None
    assert generation_number_of("0002_N\n.mhl") == 2
    assert generation_number_of("0003_N\rL\tT\x1b.mhl") == 3
    assert generation_number_of("0004.mhl") == 4
    assert generation_number_of("004_A.mhl") is None
    assert generation_number_of("0005_\n.mhl") is None
    assert generation_number_of("0006\n.mhl") == 6


def test_every_own_name_after_a_card_folder_with_a_line_break_follows_the_rule(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    card = tmp_path / "cards" / CARD_NAME
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001.mov").write_bytes(os.urandom(5000))
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    code, err = _run("copy", "--mhl", "both", "--report-dir", reports, card, dest)
    assert code == 0, err
    root = dest / CARD_NAME
    (generation,) = [p.name for p in (root / "ascmhl").glob("*.mhl")]
    assert re.fullmatch(rf"0001_{SAFE}_\d{{4}}-\d\d-\d\d_\d{{6}}Z\.mhl", generation), generation
    (legacy,) = [p.name for p in root.glob("*.mhl")]
    assert legacy.startswith(f"{SAFE}_"), legacy
    for folder in (reports, root / ".offload" / "reports"):
        names = sorted(p.name for p in folder.glob("*.*"))
        assert names and all(n.startswith(f"{SAFE}_") for n in names), names
    # ascmhl reads the history once the copy root's own path is one it can take (it cannot
    # match its ignore patterns below a path with a line break, nor read one that is not
    # UTF-8: the warning ascmhl-cannot-verify-root says so before the copy); the folder's
    # name is informational in the names.
    moved = dest / "renamed"
    root.rename(moved)
    verdict = judge.verify(moved)
    assert verdict.returncode == 0 and "naming convention" not in verdict.stderr, verdict.describe()
    code, err = _run("verify", "--report-dir", reports, moved)
    assert code == 0, err


def test_offload_verify_refuses_a_manifest_name_ascmhl_does_not_read(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """A history as offload-ai wrote it before: its chain lists a generation whose name
    holds a line break. ascmhl reads no generation from it; neither does offload verify,
    which says why and how to rename it (exit 31, nothing verified against it)."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001.mov").write_bytes(os.urandom(5000))
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    code, err = _run("copy", "--report-dir", reports, card, dest)
    assert code == 0, err
    root = dest / "A001"
    (generation,) = (root / "ascmhl").glob("*.mhl")
    old_name = generation.name.replace("A001", "N\nL")
    generation.rename(generation.with_name(old_name))
    chain = root / "ascmhl" / "ascmhl_chain.xml"
    chain.write_text(chain.read_text().replace(generation.name, old_name))
    verdict = judge.verify(root)
    assert verdict.returncode != 0 and "naming convention" in verdict.stderr, verdict.describe()
    code, err = _run("verify", "--report-dir", reports, root)
    assert code == 31, err
    assert "does not follow ASC MHL's naming convention" in err, err
    # The manifest may be another tool's: not said to be offload-ai's.
    assert "another tool may write one" in err and "offload-ai wrote" not in err, err
    assert f"rename it '{old_name.replace(chr(10), '_')}'" in err, err
    # Renamed as the line says (the file and its <path> in the chain), both read it.
    fixed = old_name.replace("\n", "_")
    (root / "ascmhl" / old_name).rename(root / "ascmhl" / fixed)
    chain.write_text(chain.read_text().replace(old_name, fixed))
    assert judge.verify(root).returncode == 0
    code, err = _run("verify", "--report-dir", reports, root)
    assert code == 0, err


def test_a_copy_root_ascmhl_cannot_verify_where_it_is_is_warned_before_the_copy(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """A card folder named with bytes that are not UTF-8, and one copied below a folder
    whose name holds a line break: each copied (exit 0) with an ``ascmhl-cannot-verify-root``
    warning before the copy (and in ``--dry-run``), which is true: ascmhl stops at the first
    (UnicodeEncodeError) and calls the second's own files new (exit 21), and verifies each
    once renamed, as the warning says; ``offload verify`` checks them where they are, and
    its summary says ascmhl cannot. Failed before: copied with exit 0 and no word, ascmhl
    crashing on the copy."""
    odd = Path(os.fsdecode(os.fsencode(tmp_path / "cards") + b"/\xff\xfeX"))
    (odd / "CLIPS").mkdir(parents=True)
    (odd / "CLIPS" / "A001.mov").write_bytes(os.urandom(3000))
    dest = tmp_path / "dest"
    dest.mkdir()
    lined = dest / "DAY\n2"
    lined.mkdir()
    reports = tmp_path / "reports"
    for card, into, root in (
        (odd, dest, dest / odd.name),
        (tmp_path / "cards" / "A002", lined, lined / "A002"),
    ):
        if not card.exists():
            (card / "CLIPS").mkdir(parents=True)
            (card / "CLIPS" / "A002.mov").write_bytes(os.urandom(3000))
        code, err = _run("copy", "--dry-run", "--report-dir", reports, card, into)
        assert code == 0 and "ascmhl (1.2) cannot verify it at this path" in err, err
        # Said before any generation is written: nothing of the history claimed whole.
        assert "can be checked with offload verify" in err and " is whole" not in err, err
        code, err = _run("copy", "--report-dir", reports, card, into)
        assert code == 0, err
        (line,) = [x for x in err.splitlines() if "cannot verify it at this path" in x]
        assert line.startswith("WARNING: the path of the copy root"), line
        assert judge.verify(root).returncode != 0
        code, err = _run("verify", "--report-dir", reports, root)
        assert code == 0, err
        assert "\nNot for ascmhl where it is: the path " in err, err
        renamed = tmp_path / f"renamed-{card.name.isascii()}"
        root.rename(renamed)
        verdict = judge.verify(renamed)
        assert verdict.returncode == 0, verdict.describe()
