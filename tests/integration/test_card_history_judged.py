"""A card's own ASC MHL history as the reference tool (``ascmhl`` 1.2) writes it, read by
``offload verify`` and carried by ``offload copy``: renames it records (``<previousPath>``),
a history that grew on the card after an offload, and a card history carried to a
destination where no generation of ours can follow it. Each history here is made by the
reference tool itself (its ``create``), and its ``verify`` judges what offload-ai leaves."""

from __future__ import annotations

import io
import os
import unicodedata
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))


def offload(*argv: str | Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue() + err.getvalue()


def create(judge: AscmhlJudge, root: Path, *options: str) -> None:
    done = judge.run("ascmhl", "create", "-h", "xxh64", *options, root)
    assert done.returncode == 0, done.describe()


def test_a_file_a_nested_history_records_otherwise_is_not_called_verified(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A card whose subfolder holds its own history (``ascmhl create`` of the subfolder,
    then of the card): a byte of a file it records flipped, its date kept. ascmhl-debug
    verify of the card reports the mismatch; the offload fails that file, naming the nested
    history, and verifies the rest. Failed before: "All 5 files ... are verified on every
    destination", the nested history's records never read."""
    card = tmp_path / "NS"
    (card / "sub").mkdir(parents=True)
    clip = card / "sub" / "a.mov"
    clip.write_bytes(bytes(range(250)) * 2)
    (card / "b.mov").write_bytes(b"b" * 500)
    create(judge, card / "sub")
    create(judge, card)
    before = clip.stat()
    flipped = bytearray(clip.read_bytes())
    flipped[10] ^= 1
    clip.write_bytes(bytes(flipped))
    os.utime(clip, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert judge.verify(card).returncode == 11
    dest = tmp_path / "D"
    dest.mkdir()
    # The dry run exits as the run does, and says why (failed before: exit 0).
    code, out = offload("copy", "--dry-run", card, dest)
    assert code == 1, out
    assert "The offload would exit 1: 1 warning names a step that would fail" in out, out
    assert "holds a nested ASC MHL history ('sub/ascmhl')" in out, out
    code, out = offload("copy", card, dest)
    assert code == 1, out
    assert "holds a nested ASC MHL history ('sub/ascmhl')" in out, out
    assert "verified on every destination" not in out.replace("4 are verified", ""), out
    assert "1 of 5 files failed" in out, out
    [line] = [x for x in out.splitlines() if x.startswith("ERROR: source ")]
    assert "sub/a.mov does not match the ASC MHL history 'sub/ascmhl' on the card" in line
    # A history, not an MHL (failed before: "since that MHL recorded it").
    assert "changed since that history recorded it" in line, line
    assert "copy the version the history records" in line, line


def test_a_nested_history_is_warned_of_as_the_root_one_and_its_os_files_copied(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """``ascmhl create -h md5`` of ``NS/sub`` on a Mac (its ``._a.mov`` recorded), its md5
    written in upper-case hex: the offload copies ``sub/._a.mov`` as it
    does a file the root history records, and warns of both as for the root history, naming
    the nested one; ascmhl-debug verify of the copy's ``sub`` then judges it as the card's.
    Failed before: ``sub/._a.mov`` left out (ascmhl-debug verify of the copy: exit 10,
    missing), no warning of either, "all verified"."""
    from integration.test_digest_encodings import upper_case_history

    card = tmp_path / "NS"
    (card / "sub").mkdir(parents=True)
    (card / "sub" / "a.mov").write_bytes(os.urandom(500))
    (card / "sub" / "._a.mov").write_bytes(os.urandom(300))
    upper_case_history(card / "sub", judge)  # (the card's root holds no history)
    dest = tmp_path / "D"
    dest.mkdir()
    code, out = offload("copy", "--mhl", "legacy", card, dest)
    named = "the ASC MHL history 'sub/ascmhl' on the card"
    assert f"{named} records the hashes of 'sub/._a.mov', 'sub/a.mov' in upper-case hex" in out
    assert (
        "'sub/._a.mov': operating-system files the default ignore patterns leave out, but "
        f"{named} records them: copied"
    ) in out, out
    assert code == 0, out
    assert (dest / "NS" / "sub" / "._a.mov").read_bytes() == (card / "sub" / "._a.mov").read_bytes()
    assert judge.verify(dest / "NS" / "sub").returncode == judge.verify(card / "sub").returncode


def test_a_file_a_nested_history_records_and_the_card_lost_is_missing(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """``ascmhl create NS/sub; ascmhl create NS; rm NS/sub/a.mov``: ascmhl-debug verify of
    the card exits 10; the offload names the lost clip (exit 1, its dry run too), as for
    one the card's root history records. Failed before: "all verified", exit 0."""
    card = tmp_path / "NS"
    (card / "sub").mkdir(parents=True)
    (card / "sub" / "a.mov").write_bytes(b"a" * 500)
    (card / "sub" / "b.mov").write_bytes(b"b" * 500)
    create(judge, card / "sub")
    create(judge, card)
    (card / "sub" / "a.mov").unlink()
    assert judge.verify(card).returncode == 10
    dest = tmp_path / "D"
    dest.mkdir()
    words = "'sub/a.mov' is in the ASC MHL history 'sub/ascmhl' on the card but not on the card"
    for dry in (("--dry-run",), ()):
        code, out = offload("copy", *dry, "--mhl", "legacy", card, dest)
        assert code == 1, out
        assert words in out, out


def test_a_file_a_nested_history_records_respelled_and_changed_is_not_verified(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A nested history records ``sub/café.mov`` composed (NFC); the card lists it
    decomposed (NFD, renamed by a system that respells names) and a byte of it flipped,
    its date kept. The file is checked against the record of its other spelling, as for
    the card's root history: failed, naming that history. Failed before: verified, exit 0
    (the record looked up by the exact spelling alone)."""
    card = tmp_path / "NS"
    (card / "sub").mkdir(parents=True)
    composed = unicodedata.normalize("NFC", "café.mov")
    clip = card / "sub" / composed
    clip.write_bytes(bytes(range(250)) * 2)
    (card / "b.mov").write_bytes(b"b" * 500)
    create(judge, card / "sub")
    create(judge, card)
    respelled = card / "sub" / unicodedata.normalize("NFD", composed)
    clip.rename(respelled)
    before = respelled.stat()
    flipped = bytearray(respelled.read_bytes())
    flipped[10] ^= 1
    respelled.write_bytes(bytes(flipped))
    os.utime(respelled, ns=(before.st_atime_ns, before.st_mtime_ns))
    dest = tmp_path / "D"
    dest.mkdir()
    code, out = offload("copy", "--mhl", "legacy", card, dest)
    assert code == 1, out
    assert "1 of 5 files failed" in out, out  # the two clips and the histories' files
    [line] = [x for x in out.splitlines() if x.startswith("ERROR: source ")]
    assert "does not match the ASC MHL history 'sub/ascmhl' on the card" in line, line
    # Warned of as for the root history (failed before: nothing said).
    assert (
        f"the ASC MHL history 'sub/ascmhl' on the card records 'sub/{composed}' spelled "
        "otherwise than the card lists it"
    ) in out, out


@pytest.mark.parametrize("kind", ["symlink", "empty"])
def test_a_folder_named_ascmhl_below_the_root_is_refused_by_the_dry_run_as_by_the_run(
    judge: AscmhlJudge, tmp_path: Path, kind: str
) -> None:
    """``sub/ascmhl`` a symlink to another folder's history (never followed by the scan),
    or an empty folder: ascmhl reads either as a nested history, and the manifest step
    refuses the card. The dry run now says so and exits 1, as the run does; the empty
    folder is named for what it is, not "a nested ASC MHL history". Failed before: the dry
    run exited 0 with no warning, the run 1 ("BUT NO MANIFEST")."""
    card = tmp_path / "NS"
    (card / "sub").mkdir(parents=True)
    (card / "sub" / "a.mov").write_bytes(b"a" * 500)
    if kind == "symlink":
        other = tmp_path / "elsewhere" / "other"
        other.mkdir(parents=True)
        (other / "c.mov").write_bytes(b"c" * 500)
        create(judge, other)
        (card / "sub" / "ascmhl").symlink_to(other / "ascmhl")
        # never read through (a history's folder is a folder): named as what ascmhl reads,
        # its history not checked, a warning saying why
        words = "holds a folder named ascmhl (which ascmhl reads as a history) ('sub/ascmhl')"
    else:
        (card / "sub" / "ascmhl").mkdir()
        words = "holds a folder named ascmhl (which ascmhl reads as a history) ('sub/ascmhl')"
    dest = tmp_path / "D"
    dest.mkdir()
    code, out = offload("copy", "--dry-run", card, dest)
    assert code == 1, out
    assert words in out, out
    if kind == "symlink":
        assert f"the ASC MHL folder {card / 'sub' / 'ascmhl'} is a symlink" in out, out
    code, out = offload("copy", card, dest)
    assert code == 1, out
    assert words in out, out
    assert "nested ASC MHL histories are not supported: sub" in out, out


# --- renames recorded by the card's history (<previousPath>) -------------------------------


def test_a_rename_the_history_records_is_no_missing_file_to_verify_or_copy(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = tmp_path / "C3"
    card.mkdir()
    (card / "a.mov").write_bytes(b"clip\n")
    create(judge, card)
    (card / "a.mov").rename(card / "b.mov")
    create(judge, card, "--detect_renaming")
    assert (
        "<previousPath>a.mov</previousPath>"
        in next((card / "ascmhl").glob("0002_*.mhl")).read_text()
    )
    assert judge.verify(card).clean

    code, out = offload("verify", card)
    assert code == 0, out
    assert "1 OK, 0 changed, 0 missing, 0 new" in out

    (tmp_path / "R3").mkdir()
    code, out = offload("copy", "--quiet", card, tmp_path / "R3")
    assert code == 0, out
    assert "MISSING FROM THE CARD" not in out and "a.mov" not in out
    copy = tmp_path / "R3" / "C3"
    assert judge.verify(copy).clean, judge.verify(copy).describe()
    code, out = offload("verify", copy)
    assert code == 0 and "0 missing" in out, out

    # the renamed file is still checked, against the hash recorded under its old name
    (card / "b.mov").write_bytes(b"CLIP\n")
    code, out = offload("verify", card)
    assert code == 11 and "b.mov" in out, out


def test_renames_are_followed_through_files_and_folders(judge: AscmhlJudge, tmp_path: Path) -> None:
    """Two renames of one file (a, then b, then c): offload verify expects it at its newest
    name. ascmhl 1.2 follows one rename only and calls the middle name missing (exit 10):
    the one place the two differ, documented. A folder renamed (with its file) is expected
    at its new name, by both."""
    card = tmp_path / "card"
    (card / "d").mkdir(parents=True)
    (card / "d" / "a.mov").write_bytes(b"clip\n")
    (card / "z.mov").write_bytes(b"z\n")
    create(judge, card)
    (card / "d" / "a.mov").rename(card / "d" / "b.mov")
    create(judge, card, "--detect_renaming")
    (card / "d" / "b.mov").rename(card / "d" / "c.mov")
    create(judge, card, "--detect_renaming")
    history = read_history(card)
    assert history.current_path("d/a.mov") == "d/c.mov"
    assert history.expected_file_paths() == {"d/c.mov", "z.mov"}
    code, out = offload("verify", card)
    assert code == 0, out
    assert "2 OK, 0 changed, 0 missing, 0 new" in out
    judged = judge.verify(card)
    assert judged.returncode == 10 and "d/b.mov" in judged.stderr, judged.describe()

    other = tmp_path / "other"
    (other / "d").mkdir(parents=True)
    (other / "d" / "a.mov").write_bytes(b"clip\n")
    (other / "z.mov").write_bytes(b"z\n")
    create(judge, other)
    (other / "d").rename(other / "e")
    create(judge, other, "--detect_renaming")
    history = read_history(other)
    assert history.current_path("d") == "e"
    assert history.expected_directory_paths() == {"e"}
    assert history.expected_file_paths() == {"e/a.mov", "z.mov"}
    assert judge.verify(other).clean
    code, out = offload("verify", other)
    assert code == 0, out
    assert "2 OK, 0 changed, 0 missing, 0 new" in out


def test_a_copy_made_with_mhl_none_is_not_said_to_have_stopped_before_its_manifests(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A card with its own ASC MHL history copied with ``--mhl none`` (a completed run),
    then again with the default: the second run carries the card's generations and writes
    the transfer one, with a warning that said "an earlier run stopped before writing its
    manifests", though none stopped: it wrote none, as asked. Now the warning names both
    causes, the one it cannot tell apart; the copy stays right by the reference tool."""
    card = tmp_path / "cardC"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "a.mov").write_bytes(os.urandom(3_000))
    create(judge, card)
    dest = tmp_path / "L2"
    dest.mkdir()
    code, out = offload("copy", "--quiet", "--mhl", "none", card, dest)
    assert code == 0, out
    code, out = offload("copy", "--quiet", card, dest)
    assert code == 0, out
    flat = " ".join(out.split())
    assert "holds the card's own generations only" in flat, flat
    assert "an earlier run stopped before writing its manifests;" not in flat, flat
    assert (
        "no earlier run wrote a generation of its copies there (it ran with --mhl none or "
        "--mhl legacy, or it stopped before writing its manifests)" in flat
    ), flat
    assert judge.verify(dest / "cardC").clean


# --- a card history that grew after an offload ---------------------------------------------


def test_a_card_history_grown_since_an_offload_leaves_the_destination_history_continued(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card's history got a generation (a new file) after the first offload: the copy's
    history, carried then and continued by our generation, is continued again with a
    generation listing the new file (the card's later generation is not placed after ours,
    where it would read as made on the copy), a warning names it; every run exits 0 and the
    reference tool accepts the copy. Before: exit 1 on every run, no manifest written."""
    card = tmp_path / "C4"
    card.mkdir()
    (card / "a.mov").write_bytes(b"a\n")
    create(judge, card)
    raid = tmp_path / "R4"
    raid.mkdir()
    code, out = offload("copy", "--quiet", card, raid)
    assert code == 0, out
    (card / "b.mov").write_bytes(b"b\n")
    create(judge, card)
    card_later = sorted((card / "ascmhl").glob("0002_*.mhl"))[0].name

    code, out = offload("copy", "--quiet", card, raid)
    assert code == 0, out
    assert "manifest not written" not in out
    assert "is not carried on to" in out and card_later in out, out
    # A generation lists what its run hashed (a.mov, trusted, is in none of ours since the
    # first): never "every file verified there".
    flat = " ".join(out.split())
    assert "list every file verified there" not in flat, flat
    assert "each listing the files its run hashed there" in flat, flat
    copy = raid / "C4"
    history = read_history(copy)
    assert [g.tool_name for g in history.generations] == ["ascmhl", "offload-ai", "offload-ai"]
    newest = history.generations[-1]
    assert newest.process == "transfer"
    # a.mov, trusted from the ledger (not read now), stays the earlier generations' record
    assert {r.path: r.hashes[0].action for r in newest.files} == {"b.mov": "original"}
    assert judge.verify(copy).clean, judge.verify(copy).describe()
    code, out = offload("verify", copy)
    assert code == 0 and "2 OK" in out, out

    # again: nothing new, nothing written, still exit 0 (and the same warning)
    code, out = offload("copy", "--quiet", card, raid)
    assert code == 0, out
    assert len(read_history(copy).generations) == 3

    # The card's next generation gets the very name of our newest one (made in the same
    # second): told apart by content, so no generation is written for a "card's own
    # generation newest there" that is ours.
    create(judge, card)
    ours = history.generations[-1].file_name
    theirs = sorted((card / "ascmhl").glob("0003_*.mhl"))[0]
    theirs.rename(card / "ascmhl" / ours)
    chain = card / "ascmhl" / "ascmhl_chain.xml"
    chain.write_text(chain.read_text().replace(theirs.name, ours))
    assert judge.verify(card).clean
    # no stamp of complete manifests (as on a copy root with links): the full check runs
    (copy / ".offload" / "manifests-complete.json").unlink()
    code, out = offload("copy", "--quiet", card, raid)
    assert code == 0, out
    assert "holds the card's own generations only" not in out, out
    assert len(read_history(copy).generations) == 3


# --- no generation of ours: no carried history left alone ----------------------------------


def test_a_card_history_is_not_left_on_a_destination_without_a_generation_of_ours(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card has a nested history, which offload-ai refuses to write a generation for:
    the card's history is not left on the destination either (its ignore list does not
    hide .offload/, so ascmhl-debug verify called our state new files while offload verify said
    OK). Now neither tool finds an ASC MHL history there; offload verify checks the ledger."""
    card = tmp_path / "A"
    (card / "N" / "in").mkdir(parents=True)
    (card / "N" / "in" / "f").write_bytes(b"x\n")
    (card / "g").write_bytes(b"y\n")
    create(judge, card / "N")
    create(judge, card)
    raid = tmp_path / "RA"
    raid.mkdir()
    code, out = offload("copy", "--quiet", card, raid)
    assert code == 1, out
    assert "nested ASC MHL histories are not supported: N" in out
    assert "offload each of those folders as a card of its own" in out, out
    assert "the card's ASC MHL history is not left there either" in out
    # What the refusal says to do: the nested history's folder offloaded as a card of its
    # own has its history extended on the copy, which the reference tool verifies.
    (raid / "reels").mkdir()
    code, out = offload("copy", "--quiet", card / "N", raid / "reels")
    assert code == 0, out
    before = len(read_history(card / "N").generations)
    assert len(read_history(raid / "reels" / "N").generations) == before + 1
    assert judge.verify(raid / "reels" / "N").clean
    assert judge.verify(raid / "reels" / "N", directory_hashes=True).clean
    copy = raid / "A"
    assert (copy / "g").read_bytes() == b"y\n"
    assert not (copy / "ascmhl").exists()
    judged = judge.verify(copy)
    assert judged.returncode == 30, judged.describe()  # no history: nothing claimed
    code, out = offload("verify", copy)
    assert code == 0 and "against ledger" in out, out


def test_a_card_history_is_not_carried_where_every_file_failed(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Every file of the card fails (its bytes differ from the card's own history): nothing
    is verified on the destination, no generation of ours is written, and the card's history
    is not carried there either (before, it was, and ascmhl-debug verify called .offload/ new)."""
    card = tmp_path / "B"
    card.mkdir()
    (card / "a.mov").write_bytes(b"clip\n")
    create(judge, card)
    (card / "a.mov").write_bytes(b"CLIP\n")  # same size, other bytes: only the history tells
    raid = tmp_path / "RB"
    raid.mkdir()
    code, out = offload("copy", "--quiet", card, raid)
    assert code == 2 and "does not match the card's own ASC MHL history" in out, out
    copy = raid / "B"
    assert (copy / ".offload").is_dir()  # the lock, the reports
    assert not (copy / "ascmhl").exists()
    assert judge.verify(copy).returncode == 30


def test_a_card_file_its_history_refutes_is_not_said_unreadable(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A card file read whole but differing from the card's own history: the card was read,
    what it gave is refuted. Failed before: "Do not format the card: the card could not be read:
    b.mov." (and "lists 1 files" for the missing one)."""
    card = tmp_path / "C9"
    card.mkdir()
    (card / "a.mov").write_bytes(b"clip a\n")
    (card / "b.mov").write_bytes(b"clip b\n")
    create(judge, card)
    (card / "b.mov").write_bytes(b"clip B\n")  # same size, other bytes
    (card / "a.mov").unlink()
    (tmp_path / "R9").mkdir()
    code, out = offload("copy", card, tmp_path / "R9")
    assert code == 2, out  # its one file failed: nothing copied and verified
    assert "does not match the card's own ASC MHL history" in out
    (keep,) = [line for line in out.splitlines() if line.startswith("Do not format the card")]
    assert "could not be read" not in keep and "b.mov" in keep
    assert "lists 1 file the card no longer has" in out and "1 files" not in out


# --- card files the card's own history's ignore list hides ---------------------------------


def test_card_files_the_card_historys_ignore_list_hides_are_listed_and_checked(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card's history ignores ``*.tmp`` (``ascmhl create -i``); the card holds such files,
    which offload-ai copies and verifies. The generation carries that ignore list, so
    before, it left them out silently: copied and verified but in no manifest, and neither
    ``offload verify`` ("1 OK, 0 new") nor ``ascmhl-debug verify`` ever checked their copies:
    a corrupted one passed both. Now each is listed again by its exact ``!`` pattern."""
    card = tmp_path / "C7"
    card.mkdir()
    (card / "a.mov").write_bytes(b"clip\n")
    (card / "x.tmp").write_bytes(b"take notes\n")
    create(judge, card, "-i", "*.tmp")
    (card / "y.tmp").write_bytes(b"added later\n")
    (tmp_path / "R7").mkdir()
    code, out = offload("copy", "--quiet", card, tmp_path / "R7")
    assert code == 0, out
    copy = tmp_path / "R7" / "C7"
    assert judge.verify(copy).clean, judge.verify(copy).describe()
    # The newest generation's folder hashes match; the card's own generation hashed the
    # root without the .tmp files, which are on the copy and listed now: ascmhl-debug
    # verify -dh finds that older root hash off, as after "create, new files, create".
    judged = judge.verify(copy, directory_hashes=True)
    errors = [line for line in judged.stderr.splitlines() if "ERROR" in line]
    assert errors and all(line.endswith("(generation 0001)") for line in errors), judged.describe()
    code, out = offload("verify", copy)
    assert code == 0 and "3 OK" in out, out
    (copy / "y.tmp").write_bytes(b"ADDED LATER\n")  # the copy rots: both tools must see it
    code, out = offload("verify", copy)
    assert code == 11 and "y.tmp" in out, out
    assert judge.verify(copy).returncode != 0


def test_a_copy_root_copied_again_lists_its_legacy_mhl_as_the_cards_file(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The shuttle drive's copy root (made with ``--mhl both``: its ``C8_<date>.mhl`` and a
    history ignoring ``C8_*.mhl``) offloaded again, to the RAID, with the default ``--mhl
    ascmhl``: the legacy MHL is the card's file there, copied and verified, and listed in
    the RAID's generation. Before, the carried pattern hid it: in no manifest, never
    checked (it was listed only when the second run wrote a legacy MHL too)."""
    card = tmp_path / "C8"
    card.mkdir()
    (card / "a.mov").write_bytes(b"clip\n")
    (tmp_path / "SHUTTLE").mkdir()
    code, out = offload("copy", "--quiet", "--mhl", "both", card, tmp_path / "SHUTTLE")
    assert code == 0, out
    shuttle = tmp_path / "SHUTTLE" / "C8"
    (legacy,) = shuttle.glob("C8_*.mhl")
    (tmp_path / "RAID").mkdir()
    code, out = offload("copy", "--quiet", shuttle, tmp_path / "RAID")
    assert code == 0, out
    copy = tmp_path / "RAID" / "C8"
    assert (copy / legacy.name).read_bytes() == legacy.read_bytes()
    assert judge.verify(copy).clean, judge.verify(copy).describe()
    code, out = offload("verify", copy)
    assert code == 0 and "2 OK" in out, out
    (copy / legacy.name).write_bytes(legacy.read_bytes().replace(b"<", b"[", 1))
    code, out = offload("verify", copy)
    assert code == 11 and legacy.name in out, out


def test_card_files_in_a_folder_the_card_historys_ignore_list_hides_are_named(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card's history ignores the folder ``Proxy/``: its files are copied and verified,
    but no ``!`` pattern can list them (ascmhl does not walk into an ignored folder), so each
    is named, not-in-manifest, on every run, with what a check does with it (passes over it:
    before, nothing named them, and they were never checked)."""
    card = tmp_path / "C9"
    (card / "Proxy").mkdir(parents=True)
    (card / "a.mov").write_bytes(b"clip\n")
    (card / "Proxy" / "p.mp4").write_bytes(b"proxy\n")
    create(judge, card, "-i", "Proxy/")
    (tmp_path / "R9").mkdir()
    for _ in range(2):  # the re-run, which copies nothing, names it too
        code, out = offload("copy", card, tmp_path / "R9")
        assert code == 0, out
        assert "1 file of the card on " in out, out
        assert "is not in the ASC MHL manifest (Proxy/p.mp4): in a folder the ignore" in out
        (line,) = [x for x in out.splitlines() if x.startswith("NOT IN THE MANIFEST")]
        assert "Proxy/p.mp4" in line and line.endswith("passes over it: its ignore list hides it.")
    copy = tmp_path / "R9" / "C9"
    assert judge.verify(copy).clean


def day_of_cards_with_histories(judge: AscmhlJudge, tmp_path: Path) -> tuple[Path, Path]:
    """A shuttle drive's day folder *tmp_path*/DAY1 of two cards, A001 and A002, each with a
    clip and an ASC MHL history of its own (made by the judge's ``ascmhl create``), and an
    empty destination *tmp_path*/RAID: those two folders."""
    day = tmp_path / "DAY1"
    for reel in ("A001", "A002"):
        (day / reel).mkdir(parents=True)
        (day / reel / "clip.mov").write_bytes(f"{reel}\n".encode())
        create(judge, day / reel)
    raid = tmp_path / "RAID"
    raid.mkdir()
    return day, raid


def test_a_manifest_nested_histories_refuse_is_not_promised_to_a_re_run(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A shuttle drive's day folder of cards, each with its own history, offloaded as one
    source: no manifest can be written (nested histories), and no run of the same command
    will write one. Before, the summary and the error both said "run the same command again
    to write it": the re-run said the same, forever."""
    day, raid = day_of_cards_with_histories(judge, tmp_path)
    for _ in range(2):
        code, out = offload("copy", "--quiet", day, raid)
        assert code == 1, out
        assert "nested ASC MHL histories are not supported: A001, A002" in out, out
        assert "offload each of those folders as a card of its own" in out
        assert "run the same command again to write" not in out, out
        assert "the same command again would not write it" in out
        assert not (raid / "DAY1" / "ascmhl").exists()


def test_mhl_both_writes_the_legacy_mhl_where_nested_histories_refuse_the_generation(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A day folder of cards, each with its own history, offloaded with ``--mhl both``: the
    ASC MHL generation is refused (nested histories), the legacy MHL is written all the
    same, as ``--mhl legacy`` writes it, and every line says only the ASC MHL manifest is
    missing (exit 1); a re-run writes no second legacy MHL and says the one there lists
    every file. Failed before: no legacy MHL either, "BUT NO MANIFEST"."""
    day, raid = day_of_cards_with_histories(judge, tmp_path)
    code, out = offload("copy", "--quiet", "--mhl", "both", day, raid)
    assert code == 1, out
    said = " ".join(out.split())
    assert "nested histories are not supported; the legacy MHL is written on each" in said
    assert f"BUT NO ASC MHL MANIFEST on {raid}: its ASC MHL manifest could not be" in said
    assert "BUT NO MANIFEST" not in said and "the legacy MHL is written;" in said, said
    (legacy,) = (raid / "DAY1").glob("DAY1_*.mhl")
    assert f"ERROR: ASC MHL manifest not written on {raid}: nested ASC MHL histories" in said
    assert f"the legacy MHL {legacy} is written" in said, said
    assert not (raid / "DAY1" / "ascmhl").exists()
    code, out = offload("verify", "--quiet", "--mhl-file", legacy, raid / "DAY1")
    assert code == 0, out
    code, out = offload("copy", "--quiet", "--mhl", "both", day, raid)
    assert code == 1, out
    assert "the legacy MHL there lists every file already" in " ".join(out.split()), out
    assert list((raid / "DAY1").glob("DAY1_*.mhl")) == [legacy]


def test_a_first_run_without_manifests_then_one_with_lists_what_the_card_history_hides(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """``--mhl none`` first, then the default: the second run carries the card's history
    (which ignores ``*.tmp``), finds the ledger's files unrecorded and writes a generation
    listing them, the ``.tmp`` copies too, saying why in words true of this case (before
    the fix the .tmp copies were left out; with it alone the warning blamed "an earlier
    rule" of an earlier offload-ai, which wrote no generation there)."""
    card = tmp_path / "C6"
    card.mkdir()
    (card / "a.mov").write_bytes(b"clip\n")
    (card / "x.tmp").write_bytes(b"notes\n")
    create(judge, card, "-i", "*.tmp")
    (tmp_path / "R6").mkdir()
    code, out = offload("copy", "--quiet", "--mhl", "none", card, tmp_path / "R6")
    assert code == 0, out
    code, out = offload("copy", "--quiet", card, tmp_path / "R6")
    assert code == 0, out
    assert "earlier rule" not in out, out
    assert "no offload's generation follows it yet" in out, out
    copy = tmp_path / "R6" / "C6"
    assert judge.verify(copy).clean, judge.verify(copy).describe()
    code, out = offload("verify", copy)
    assert code == 0 and "2 OK" in out, out


def test_mhl_both_writes_the_legacy_mhl_where_the_cards_history_cannot_be_carried(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A card with its own ASC MHL history, offloaded with ``--mhl both`` to a destination
    where a file stands at its history folder's name (``A001/ascmhl``): the history cannot
    be carried, so no generation; the legacy MHL is written all the same, listing the
    card's file, and the lines say only the ASC MHL manifest is missing (exit 1). Failed
    before: no legacy MHL either, "BUT NO MANIFEST"."""
    card = tmp_path / "DAY1" / "A001"
    card.mkdir(parents=True)
    (card / "clip.mov").write_bytes(b"A001 clip\n" * 100)
    create(judge, card)
    raid = tmp_path / "R2"
    (raid / "A001").mkdir(parents=True)
    (raid / "A001" / "ascmhl").write_bytes(b"x\n")  # a file, not a history folder
    code, out = offload("copy", "--quiet", "--mhl", "both", card, raid)
    assert code == 1, out
    said = " ".join(out.split())
    (legacy,) = (raid / "A001").glob("A001_*.mhl")
    assert "<file>clip.mov</file>" in legacy.read_text(encoding="utf-8")
    assert f"BUT NO ASC MHL MANIFEST on {raid}" in said and "BUT NO MANIFEST" not in said, said
    assert "cannot copy the ASC MHL history" in said, said
    assert f"the legacy MHL {legacy} is written" in said, said
    assert (raid / "A001" / "ascmhl").read_bytes() == b"x\n"  # left as it stood
    code, out = offload("verify", "--quiet", "--mhl-file", legacy, raid / "A001")
    assert code == 0, out
