"""``offload verify`` a week later: a copy root's own ledger is never out-voted by a history
rebuilt over a damaged clip. QA (forty-first pass): ``rm -rf ascmhl; ascmhl create`` over a
clip changed behind our back passed (``59 OK ... against ascmhl``, exit 0), though the
ledger in the same root recorded the card's digest."""

from __future__ import annotations

import json
import os
import shutil
import unicodedata
from pathlib import Path

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload


def copied(tmp_path: Path, *options: str) -> tuple[Path, Path, Path]:
    """A card ``A001`` (two clips) copied by ``offload copy --quiet`` into *tmp_path*/dest:
    the card, the copy root and the report folder."""
    card = tmp_path / "card" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "C001.mov").write_bytes(os.urandom(20_000))
    (card / "CLIPS" / "C002.mov").write_bytes(os.urandom(9_000))
    (tmp_path / "dest").mkdir()
    reports = tmp_path / "reports"
    code, output = offload(
        "copy", "--quiet", *options, "--report-dir", reports, card, tmp_path / "dest"
    )
    assert code == 0, output
    return card, tmp_path / "dest" / "A001", reports


def damage(path: Path) -> None:
    """Two bytes changed in place at offset 100, the file's date kept (as ``dd conv=notrunc``
    then ``touch -r``)."""
    st = path.stat()
    with open(path, "r+b") as handle:
        handle.seek(100)
        was = handle.read(2)
        handle.seek(100)
        handle.write(bytes(b ^ 0xFF for b in was))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def ledger_revoked(root: Path, relative: str) -> bool:
    lines = (root / ".offload" / "ledger.jsonl").read_text().splitlines()
    return any(json.loads(line).get("state") == "revoked" and relative in line for line in lines)


def test_a_history_rebuilt_over_a_damaged_clip_does_not_outvote_the_ledger(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    _, root, reports = copied(tmp_path)
    damage(root / "CLIPS" / "C001.mov")
    shutil.rmtree(root / "ascmhl")
    assert judge.create(root, "xxh64").returncode == 0
    assert judge.verify(root).returncode == 0  # the rebuilt history agrees with the damage

    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 11, output
    assert "1 OK, 1 changed" in output, output
    line = next(x for x in output.splitlines() if "CHANGED" in x)
    assert "C001.mov" in line and "unlike this copy root's own ledger" in line, line
    recorded = next(
        json.loads(x)["digests"]["xxh64"]
        for x in (root / ".offload" / "ledger.jsonl").read_text().splitlines()
        if "C001.mov" in x and "digests" in json.loads(x)
    )
    assert f"(recorded {recorded}" in line, line
    assert "is not the one offload-ai wrote" in output, output
    assert "replaced or rebuilt" in output, output
    assert ledger_revoked(root, "CLIPS/C001.mov"), "the ledger's entry was not revoked"
    # Revoked, the copy stays judged by the entry the check ended: changed again.
    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 11 and "unlike this copy root's own ledger" in output, output

    code, out = offload("verify", "--json", "--report-dir", reports, root)
    assert code == 11, out
    document = json.loads(out)
    (changed,) = document["changed"]
    assert changed["path"] == "CLIPS/C001.mov", changed
    assert "own-record-mismatch" in json.dumps(document), document
    assert any("is not the one offload-ai wrote" in n for n in document["notes"]), document


def test_append_over_a_rebuilt_history_writes_no_generation(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    _, root, reports = copied(tmp_path)
    damage(root / "CLIPS" / "C001.mov")
    shutil.rmtree(root / "ascmhl")
    assert judge.create(root, "xxh64").returncode == 0
    before = sorted(p.name for p in (root / "ascmhl").iterdir())

    code, output = offload("verify", "--append", "--report-dir", reports, root)
    assert code == 11, output
    assert "no generation was appended" in output, output
    assert "CHANGED" in output and "C001.mov" in output, output
    assert sorted(p.name for p in (root / "ascmhl").iterdir()) == before


def test_a_history_extended_by_another_tool_still_passes(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    _, root, reports = copied(tmp_path)
    (root / "notes.txt").write_bytes(b"a foreign file")
    assert judge.create(root, "xxh64").returncode == 0

    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 0, output
    assert "WARNING" not in output, output
    code, output = offload("verify", "--append", "--report-dir", reports, root)
    assert code == 0, output


def test_a_file_the_ledger_does_not_vouch_for_is_judged_by_the_history_alone(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    _, root, reports = copied(tmp_path)
    (root / "notes.txt").write_bytes(b"a foreign file")
    assert judge.create(root, "xxh64").returncode == 0
    (root / "notes.txt").write_bytes(b"a foreign fill")  # same size, changed
    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 11, output
    line = next(x for x in output.splitlines() if "CHANGED" in x)
    assert "notes.txt" in line and "own record" not in line, line


def test_a_clip_recopied_with_overwrite_is_held_to_its_newest_entry(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    card, root, reports = copied(tmp_path)
    (card / "CLIPS" / "C002.mov").write_bytes(os.urandom(9_000))  # replaced, same size
    code, output = offload(
        "copy", "--quiet", "--overwrite", "--report-dir", reports, card, tmp_path / "dest"
    )
    assert code == 0, output
    # A history made anew records the clip as it is now: the newest entry agrees with it
    # (the first one, of the clip it replaced, does not).
    shutil.rmtree(root / "ascmhl")
    assert judge.create(root, "xxh64").returncode == 0
    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 0 and "CHANGED" not in output, output
    assert "2 OK, 0 changed" in output, output


def test_a_clip_respelled_by_a_mac_is_still_held_to_the_ledger(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    # Review of later65, H1: the ledger records the name as copied (NFC); a Mac hands the
    # copy back decomposed (NFD). Its damage passed (exit 0, "2 OK") and --append recorded it.
    card = tmp_path / "card" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    composed = unicodedata.normalize("NFC", "Café.mov")
    (card / "CLIPS" / composed).write_bytes(os.urandom(20_000))
    (card / "CLIPS" / "C002.mov").write_bytes(os.urandom(9_000))
    (tmp_path / "dest").mkdir()
    reports = tmp_path / "reports"
    code, output = offload("copy", "--quiet", "--report-dir", reports, card, tmp_path / "dest")
    assert code == 0, output
    root = tmp_path / "dest" / "A001"
    decomposed = unicodedata.normalize("NFD", composed)
    os.rename(root / "CLIPS" / composed, root / "CLIPS" / decomposed)
    damage(root / "CLIPS" / decomposed)
    shutil.rmtree(root / "ascmhl")
    assert judge.create(root, "xxh64").returncode == 0

    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 11, output
    assert "1 OK, 1 changed" in output, output
    line = next(x for x in output.splitlines() if "CHANGED" in x)
    assert "Caf" in line and "unlike this copy root's own ledger" in line, line

    before = sorted(p.name for p in (root / "ascmhl").iterdir())
    code, output = offload("verify", "--append", "--report-dir", reports, root)
    assert code == 11, output
    assert "no generation was appended" in output, output
    assert sorted(p.name for p in (root / "ascmhl").iterdir()) == before


def test_a_twin_spelling_is_not_held_to_the_other_twins_entry(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    # Two files whose names differ only by normalization (Linux keeps both): the one the
    # ledger records is held to its entry, the other (added since, unrecorded) never is.
    card = tmp_path / "card" / "A001"
    card.mkdir(parents=True)
    composed = unicodedata.normalize("NFC", "Café.mov")
    (card / composed).write_bytes(os.urandom(20_000))
    (tmp_path / "dest").mkdir()
    reports = tmp_path / "reports"
    code, output = offload("copy", "--quiet", "--report-dir", reports, card, tmp_path / "dest")
    assert code == 0, output
    root = tmp_path / "dest" / "A001"
    (root / unicodedata.normalize("NFD", composed)).write_bytes(os.urandom(20_000))
    assert judge.create(root, "xxh64").returncode == 0
    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 0, output
    assert "CHANGED" not in output, output


def test_append_over_a_history_in_another_format_records_no_damaged_clip_verified(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    # Review of later65, H2: a history rebuilt in md5 shares no format with the ledger
    # (xxh64): the append wrote the damaged clip action="verified" while printing CHANGED.
    _, root, reports = copied(tmp_path)
    damage(root / "CLIPS" / "C002.mov")
    shutil.rmtree(root / "ascmhl")
    assert judge.create(root, "md5").returncode == 0

    code, output = offload("verify", "--append", "--report-dir", reports, root)
    assert code == 11, output
    line = next(x for x in output.splitlines() if "CHANGED" in x)
    assert "C002.mov" in line and "unlike this copy root's own ledger" in line, line
    (newest,) = (root / "ascmhl").glob("0002_*.mhl")
    assert "C001.mov" in newest.read_text()  # the generation was appended
    assert "C002.mov" not in newest.read_text(), newest.read_text()
    assert f"is not recorded verified in {newest.name}: left out of it" in output, output


def test_append_after_a_clip_recopied_with_overwrite_is_no_rebuilt_history(
    tmp_path: Path,
) -> None:
    # Review of later65, M1: the history's first record of a clip re-copied with
    # --overwrite differs from the ledger's newest entry by design: no accusation, the
    # generation is appended.
    card, root, reports = copied(tmp_path)
    (card / "CLIPS" / "C002.mov").write_bytes(os.urandom(9_000))  # replaced, same size
    code, output = offload(
        "copy", "--quiet", "--overwrite", "--report-dir", reports, card, tmp_path / "dest"
    )
    assert code == 0, output
    before = set((root / "ascmhl").iterdir())
    code, output = offload("verify", "--append", "--report-dir", reports, root)
    assert "no generation was appended" not in output, output
    assert "rebuilt or edited since by another tool" not in output, output
    assert len(set((root / "ascmhl").iterdir()) - before) >= 1, output


def test_a_ledger_digest_of_a_format_this_version_does_not_know_is_passed_over(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    # Review of later65, L2: a later version's format in the ledger made the check refuse
    # (exit 64) where it added the ledger's fastest format to a history in another one.
    _, root, reports = copied(tmp_path)
    ledger = root / ".offload" / "ledger.jsonl"
    lines = []
    for line in ledger.read_text().splitlines():
        entry = json.loads(line)
        if "digests" in entry:
            entry["digests"] = {"zz999": "00ff", **entry["digests"]}
        lines.append(json.dumps(entry))
    ledger.write_text("\n".join(lines) + "\n")
    damage(root / "CLIPS" / "C002.mov")
    shutil.rmtree(root / "ascmhl")
    assert judge.create(root, "md5").returncode == 0
    code, output = offload("verify", "--report-dir", reports, root)
    assert code == 11, output
    line = next(x for x in output.splitlines() if "CHANGED" in x)
    assert "C002.mov" in line and "unlike this copy root's own ledger" in line, line
