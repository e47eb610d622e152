"""A card file whose copy an earlier offload verified, now of another size or date on the
card (the clip changed since it was copied, or a new take of the same name): the file in
the way is that earlier copy, still as the copy root's ledger recorded it. Its refusal names
that record and when it was verified, and leads with --keep-both / --into, never
--overwrite (which would replace what may be the old take's only copy left), as the
refusal of another card's copy does; its kind is its own (``Refusal.EARLIER_COPY``: this
card's earlier take, never "another card's"). Real files, the real CLI.

Failed before: the same-size file (another date) was refused "already exists with other
content; not overwritten (--overwrite replaces it once the new copy is verified, --keep-both
keeps both)", the other-size one "...; not overwritten: --overwrite replaces it ..." with a
preflight warning and a ``--dry-run`` line leading with --overwrite, none naming the
ledger's record, the refusal's kind ``in_the_way``."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

from offload import run_record
from support.cards import clips_card
from support.cards import new_take as _new_take
from support.offload_cli import (
    cascaded_once,
    newest_html_words,
    newest_report,
    offload,
    offload_streams,
)

LEDGER = "this copy root's ledger records the file there as a copy an earlier offload made"


def _offloaded(tmp_path: Path, clips: int = 2) -> tuple[Path, Path]:
    """A card of *clips* clips offloaded once into ``dest/A001`` (exit 0)."""
    card = clips_card(tmp_path / "cards", clips, 200_000)
    dest = tmp_path / "dest"
    dest.mkdir()
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 0, out
    return card, dest


def _error_lines(out: str, name: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("ERROR:") and name in line]


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(200_000, id="same-size: the read-back's refusal"),
        pytest.param(300_000, id="other-size: the engine's refusal"),
    ],
)
def test_a_copy_verified_earlier_in_the_way_is_never_offered_overwrite_first(
    tmp_path: Path, size: int
) -> None:
    card, dest = _offloaded(tmp_path)
    root = dest / "A001"
    copy = root / "CLIPS" / "C001.mov"
    kept = copy.read_bytes()
    _new_take(card / "CLIPS" / "C001.mov", size)

    # --dry-run: the line of that copy says whose file is there and what to do.
    code, out = offload("copy", "--dry-run", card, dest)
    lines = [line for line in out.splitlines() if "C001.mov" in line and LEDGER in line]
    assert lines, out
    assert all("--overwrite" not in line for line in lines), lines
    assert all("--keep-both keeps both here" in line for line in lines), lines
    if size != 200_000:
        # Refused unread by the plan: the dry run's JSON carries its kind, as the run's would.
        code, json_out, _err = offload_streams("copy", "--dry-run", "--json", card, dest)
        (plan,) = json.loads(json_out)["destinations"]
        (refused,) = [r for r in plan["refused"] if r["path"] == "CLIPS/C001.mov"]
        assert refused["refusal"] == "earlier_copy", refused

    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 1, out
    (error,) = _error_lines(out, "C001.mov")
    assert LEDGER in error and " verified on " in error, error
    assert "this card's file changed since it was copied, or it is another take" in error
    assert "--overwrite" not in error, error
    assert "--keep-both keeps both here, --into another folder keeps them apart" in error
    # The preflight warning (a file of another size only) says the same.
    for line in out.splitlines():
        if "of another size already at the name of a copy" in line:
            assert LEDGER in line and "--overwrite" not in line, line
    if size != 200_000:
        assert any("of another size already at the name" in line for line in out.splitlines())
    # Nothing in the way replaced; the refusal's kind is an earlier take's (never
    # --overwrite, never "another card's"): the run record names it apart (its remedy
    # --keep-both), the JSON says so. Failed before: "another_card".
    assert copy.read_bytes() == kept
    (record,) = run_record.read_all(root) or ()
    assert record.in_the_way == ("CLIPS/C001.mov",), record
    data = newest_report(tmp_path / "reports")
    (copied,) = [f for f in data["files"] if f["path"] == "CLIPS/C001.mov"]
    assert copied["destinations"][0]["refusal"] == "earlier_copy", copied
    assert LEDGER in copied["destinations"][0]["error"]

    # --keep-both, the remedy named first: the new take beside the old one, both verified.
    code, out = offload("copy", "--report-dir", tmp_path / "reports", "--keep-both", card, dest)
    assert code == 0, out
    assert copy.read_bytes() == kept
    assert (root / "CLIPS" / "C001 (1).mov").read_bytes() == (
        card / "CLIPS" / "C001.mov"
    ).read_bytes()


def test_a_file_in_the_way_the_ledger_no_longer_vouches_for_keeps_its_remedy(
    tmp_path: Path,
) -> None:
    """The copy there changed since its ledger recorded it (another file written over it):
    the ledger vouches for nothing there, and the refusal says what it says of any file in
    the way (--overwrite, --keep-both); so for a card file of another size whose entry
    records it, the file there no longer as recorded."""
    card, dest = _offloaded(tmp_path)
    copy = dest / "A001" / "CLIPS" / "C001.mov"
    copy.write_bytes(os.urandom(150_000))
    _new_take(card / "CLIPS" / "C001.mov", 300_000)
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 1, out
    (error,) = _error_lines(out, "C001.mov")
    assert LEDGER not in error and "--overwrite replaces it" in error, error


def test_two_copies_verified_earlier_in_the_way_are_named_so_in_one_warning(
    tmp_path: Path,
) -> None:
    """Two card files of another size now, each whose earlier copy is in the way: the
    destination's one warning counts them as such, with no --overwrite."""
    card, dest = _offloaded(tmp_path, clips=3)
    for name in ("C000.mov", "C002.mov"):
        _new_take(card / "CLIPS" / name, 250_000)
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 1, out
    (warning,) = [
        line for line in out.splitlines() if "files of another size already at the name" in line
    ]
    assert "all are recorded in this copy root's ledger as copies an earlier offload" in warning
    assert "--overwrite" not in warning, warning
    assert len(_error_lines(out, "already exists")) == 2, out


def test_a_cameras_index_file_rewritten_keeps_the_overwrite_its_release_line_advises(
    tmp_path: Path,
) -> None:
    """A camera's index file (``MEDIAPRO.XML``), rewritten by the camera as it records more,
    is not another take: its refusal keeps --overwrite, as the card release line advises
    ("run the same offload again with --overwrite"), never two contradicting remedies.
    Failed before this exemption (with the fix above): the ERROR line said --keep-both,
    never --overwrite, while the release line said --overwrite."""
    card = tmp_path / "cards" / "A001"
    root = card / "PRIVATE" / "M4ROOT"
    (root / "CLIP").mkdir(parents=True)
    (root / "CLIP" / "C0001.MP4").write_bytes(os.urandom(50_000))
    (root / "MEDIAPRO.XML").write_text("<MediaProfile>C0001</MediaProfile>")
    dest = tmp_path / "dest"
    dest.mkdir()
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 0, out
    (root / "CLIP" / "C0002.MP4").write_bytes(os.urandom(50_000))
    _new_take(root / "MEDIAPRO.XML", 200)
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 1, out
    (error,) = _error_lines(out, "MEDIAPRO.XML")
    assert LEDGER not in error and "--overwrite replaces it" in error, error
    assert "run the same offload again with --overwrite" in " ".join(out.split()), out


def test_a_copy_damaged_in_place_of_a_card_file_only_redated_is_called_damaged(
    tmp_path: Path,
) -> None:
    """The card's file only re-dated (same content), the copy damaged in place, its size
    and date kept: the ledger's entry records the card's content, the copy reads back
    unlike it. Damage, never "an earlier take" (which the entry's size and date alone
    suggested); --keep-both never ends the run calling it KEPT BOTH in silence.

    Failed before: "...already exists with other content; not overwritten (this copy root's
    ledger records the file there as a copy an earlier offload made ... (this card's file
    changed since it was copied, or it is another take of the name) ...", damage unsaid."""
    card, dest = _offloaded(tmp_path, clips=3)
    clip = card / "CLIPS" / "C001.mov"
    later = clip.stat().st_mtime_ns + 3600 * 10**9
    os.utime(clip, ns=(later, later))
    copy = dest / "A001" / "CLIPS" / "C001.mov"
    st = copy.stat()
    damaged = bytearray(copy.read_bytes())
    damaged[100_000] ^= 0xFF
    copy.write_bytes(bytes(damaged))
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))

    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 1, out
    (error,) = _error_lines(out, "C001.mov")
    assert "the copy there is damaged" in error, error
    assert "another take" not in error and LEDGER not in error, error
    assert copy.read_bytes() == bytes(damaged)  # never replaced unasked
    data = newest_report(tmp_path / "reports")
    (copied,) = [f for f in data["files"] if f["path"] == "CLIPS/C001.mov"]
    assert copied["destinations"][0]["refusal"] == "in_the_way", copied


def test_the_first_take_in_the_way_of_a_third_is_named_though_a_second_was_kept_beside(
    tmp_path: Path,
) -> None:
    """Take 1 offloaded, take 2 kept beside it (``C001 (1).mov``, the path's last ledger
    entry naming that copy), take 3 run plainly: the file in the way, ``C001.mov``, is
    take 1, still as its entry (the path's first line) recorded: named so, --overwrite
    never offered.

    Failed before: only the path's last entry was read, its name not the file in the way's:
    "--overwrite replaces it once the new copy is verified, --keep-both keeps both"."""
    card, dest = _offloaded(tmp_path, clips=3)
    clip = card / "CLIPS" / "C001.mov"
    copy = dest / "A001" / "CLIPS" / "C001.mov"
    take_1 = copy.read_bytes()
    _new_take(clip, 300_000)
    code, out = offload("copy", "--report-dir", tmp_path / "reports", "--keep-both", card, dest)
    assert code == 0, out
    assert (dest / "A001" / "CLIPS" / "C001 (1).mov").read_bytes() == clip.read_bytes()
    _new_take(clip, 250_000)

    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 1, out
    (error,) = _error_lines(out, "C001.mov")
    assert LEDGER in error and " verified on " in error, error
    assert "--overwrite" not in error, error
    assert copy.read_bytes() == take_1


def test_a_cascade_refused_for_an_earlier_take_never_calls_it_another_cards_copy(
    tmp_path: Path,
) -> None:
    """The refusal of an earlier take's copy on the fast drive has its own kind
    (``Refusal.EARLIER_COPY``; the slow copy's ``FAST_REFUSED_EARLIER_COPY``: never
    --overwrite): the JSON's copies, the cascade's words, the slow copy root's record
    (``last-run.json``) and ``offload verify`` of it name an earlier take's copy, never
    another card's; ``--dry-run`` says so of the slow copy it will not feed.

    Failed before: the fast copy's ``refusal`` "another_card", the slow one's
    "fast_refused_another_card", the record ``"another_card": true`` (no ``earlier_copy``),
    the words "a copy never to be overwritten (another card's, or an earlier take's)", the
    dry run's "a different file holds its name on .../F"."""
    card, (fast,), slow2, reports = cascaded_once(tmp_path, 2, "F")
    _new_take(card / "CLIPS" / "C001.mov", 300_000)

    code, out = offload("copy", "--dry-run", card, fast, "--cascade-to", slow2)
    said = " ".join(out.split())
    assert (
        f"an earlier take's copy holds its name on {fast}: --into another folder or "
        "--keep-both copies it there"
    ) in said, said
    assert "another card's copy" not in said, said

    code, out = offload("copy", "--report-dir", reports, card, fast, "--cascade-to", slow2)
    assert code == 1, out
    said = " ".join(out.split())
    assert "another card's" not in said and "other cards'" not in said, said
    assert "an earlier take's copy holds its name" in said, said
    # The cascade's sentence (the terminal's summary) too.
    assert "an earlier take's copy holds its name there, so a plain re-run refuses" in said
    assert "--overwrite" not in said.replace("never --overwrite", ""), said
    data = newest_report(reports)
    (copied,) = [f for f in data["files"] if f["path"] == "CLIPS/C001.mov"]
    assert [d["refusal"] for d in copied["destinations"]] == [
        "earlier_copy",
        "fast_refused_earlier_copy",
    ], copied
    # The HTML report's cascade sentence, from the JSON's kinds (``content._cascade_text``).
    html = newest_html_words(reports)
    assert "an earlier take's copy holds its name there, so a plain re-run refuses" in html
    assert "another card's" not in html, html
    (entry,) = json.loads((slow2 / "A001" / ".offload" / "last-run.json").read_text())["cards"]
    assert entry["fast_refused"] == ["CLIPS/C001.mov"], entry
    # ``another_card``: a copy never to be overwritten (what older versions read); the kind
    # told by ``earlier_copy`` and ``other_card_copy``.
    assert entry["another_card"] is True and entry["earlier_copy"] is True, entry
    assert entry["other_card_copy"] is False, entry

    code, out = offload("verify", slow2 / "A001")
    said = " ".join(out.split())
    assert "INCOMPLETE" in said, said
    assert "another card's" not in said, said
    assert "(an earlier take's copy holds its name there)" in said, said


DAMAGED = "it is a damaged copy of an earlier take"


def _flip_in_place(copy: Path) -> None:
    """One byte of *copy* flipped in place, its size and date kept (bit rot, or a write in
    place with its date put back): only a read tells it from the copy its ledger recorded."""
    st = copy.stat()
    with copy.open("r+b") as handle:
        handle.seek(st.st_size // 2)
        byte = handle.read(1)
        handle.seek(st.st_size // 2)
        handle.write(bytes([byte[0] ^ 0x01]))
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))


def _damaged_then_new_take(tmp_path: Path, size: int) -> tuple[Path, Path, Path, bytes]:
    """A card offloaded (:func:`_offloaded`), its copy of C001.mov then damaged in place
    (:func:`_flip_in_place`) and the card's C001.mov another take of *size* bytes: the card,
    the destination, that copy and its damaged bytes."""
    card, dest = _offloaded(tmp_path)
    copy = dest / "A001" / "CLIPS" / "C001.mov"
    _flip_in_place(copy)
    damaged = copy.read_bytes()
    _new_take(card / "CLIPS" / "C001.mov", size)
    return card, dest, copy, damaged


def _refused_as_damaged(out: str, reports: Path) -> str:
    """The one ERROR line of C001.mov in *out*, checked to call its copy a damaged copy of
    an earlier take with --keep-both and --into before --overwrite, its kind in the newest
    report in *reports* ``damaged_earlier_copy``: that line."""
    (error,) = _error_lines(out, "C001.mov")
    assert DAMAGED in error, error
    keep = error.index("--keep-both keeps both here, --into another folder keeps them apart")
    assert keep < error.index("--overwrite would replace the damaged copy"), error
    data = newest_report(reports)
    (copied,) = [f for f in data["files"] if f["path"] == "CLIPS/C001.mov"]
    assert copied["destinations"][0]["refusal"] == "damaged_earlier_copy", copied
    return error


def test_an_earlier_copy_damaged_in_place_is_read_and_never_called_the_earlier_take(
    tmp_path: Path,
) -> None:
    """The copy an earlier offload verified, damaged since (one byte, its size and date
    kept), the card now holding another take of the name of another size: the plan reads
    that one copy and, unlike its entry, refuses it as a damaged copy of an earlier take
    (kind ``damaged_earlier_copy``, never ``earlier_copy``), keeping it first (--keep-both, --into)
    and --overwrite named last as what replaces the damaged copy; so for --reverify and
    the dry run. Failed before: ``earlier_copy``, "a copy an earlier offload made ...
    (... another take of the name)", its damage never said, the copy never read."""
    card, dest, copy, damaged = _damaged_then_new_take(tmp_path, 240_000)

    code, json_out, _err = offload_streams("copy", "--dry-run", "--json", card, dest)
    (plan,) = json.loads(json_out)["destinations"]
    (refused,) = [r for r in plan["refused"] if r["path"] == "CLIPS/C001.mov"]
    assert refused["refusal"] == "damaged_earlier_copy", refused

    for extra in ((), ("--reverify",)):
        code, out = offload("copy", "--report-dir", tmp_path / "reports", *extra, card, dest)
        assert code == 1, out
        error = _refused_as_damaged(out, tmp_path / "reports")
        assert "another take of the name)" not in error, error
        assert copy.read_bytes() == damaged


def test_an_earlier_copy_of_the_same_size_damaged_in_place_is_said_damaged_when_read_back(
    tmp_path: Path,
) -> None:
    """The same with a new take of the same size (another date): the copy is read back,
    unlike both its entry and the card's file now: its refusal calls it a damaged copy of
    an earlier take, --keep-both first, never --overwrite first. Failed before: "already
    exists with other content; not overwritten (--overwrite replaces it once the new copy
    is verified, --keep-both keeps both)"."""
    card, dest, copy, damaged = _damaged_then_new_take(tmp_path, 200_000)

    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 1, out
    _refused_as_damaged(out, tmp_path / "reports")
    assert copy.read_bytes() == damaged


def test_two_earlier_copies_damaged_in_place_are_said_damaged_in_the_warning(
    tmp_path: Path,
) -> None:
    """Two such copies (each damaged in place, each card file another take of another
    size): the one warning before the copy says they are damaged copies of earlier takes,
    kept first. Failed before: "all are recorded ... as copies an earlier offload made"."""
    card, dest = _offloaded(tmp_path, clips=3)  # C002 as it was: this card's folder
    for name in ("C000.mov", "C001.mov"):
        _flip_in_place(dest / "A001" / "CLIPS" / name)
        _new_take(card / "CLIPS" / name, 240_000)
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 1, out
    said = " ".join(out.split())
    assert "all are recorded in this copy root's ledger as copies an earlier" in said, out
    assert "damaged copies of earlier takes, maybe their only copies left" in said, out
    _keep_both_before_any_overwrite(said)
    code, out = offload("copy", "--dry-run", card, dest)
    _keep_both_before_any_overwrite(" ".join(out.split()))


def _keep_both_before_any_overwrite(said: str) -> None:
    """Nothing in *said* (a run's words, joined) offers --overwrite before --keep-both."""
    assert "--keep-both" in said, said
    assert "--overwrite" not in said[: said.index("--keep-both")], said


def test_a_damaged_earlier_copy_beside_a_plain_file_is_kept_first_in_the_warning(
    tmp_path: Path,
) -> None:
    """Two damaged earlier copies and one plain file of another size in the way: the one
    warning says the damaged copies first, kept (--keep-both), the generic --overwrite
    words only "for the other"; the run records the damaged copies' own kind
    (``damaged_earlier_copy``), ``earlier_copy`` never said of them. Failed before: "...;
    --overwrite replaces them once the new copies are verified, --keep-both keeps both; 2
    of them are ... a damaged copy", --overwrite offered first, the kind ``in_the_way``."""
    card, dest = _offloaded(tmp_path, clips=3)
    for name in ("C000.mov", "C001.mov"):
        _flip_in_place(dest / "A001" / "CLIPS" / name)
        _new_take(card / "CLIPS" / name, 240_000)
    (dest / "A001" / "CLIPS" / "C002.mov").unlink()
    (dest / "A001" / "CLIPS" / "C002.mov").write_bytes(os.urandom(5))
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code != 0, out  # every copy refused
    said = " ".join(out.split())
    assert "2 of them are recorded in this copy root's ledger as copies an earlier" in said, out
    _keep_both_before_any_overwrite(said)
    assert "for the other:" in said, out
    data = newest_report(tmp_path / "reports")
    kinds = {f["path"]: f["destinations"][0]["refusal"] for f in data["files"]}
    assert kinds["CLIPS/C000.mov"] == kinds["CLIPS/C001.mov"] == "damaged_earlier_copy", kinds


def test_a_damaged_earlier_copy_on_the_fast_drive_is_never_offered_overwrite_first(
    tmp_path: Path,
) -> None:
    """A cascade whose fast drive holds a damaged copy of an earlier take (flipped in place,
    the card's file another take of another size): the card pass's headline, the "cannot
    be cascaded" line and the dry run offer --keep-both (or --into), never --overwrite
    before it; the fast copy's kind is ``damaged_earlier_copy``, the slow one's
    ``fast_refused_damaged_earlier_copy``, and the slow copy root's record says
    ``earlier_copy`` (so older readers never advise --overwrite either). Failed before:
    "re-run with it and --overwrite (it replaces the copy there once the new one is
    verified) or --keep-both", the kinds ``in_the_way`` and ``fast_refused``."""
    card, (fast,), slow2, reports = cascaded_once(tmp_path, 2, "F")
    _flip_in_place(fast / "A001" / "CLIPS" / "C001.mov")
    _new_take(card / "CLIPS" / "C001.mov", 300_000)

    code, out = offload("copy", "--dry-run", card, fast, "--cascade-to", slow2)
    _keep_both_before_any_overwrite(" ".join(out.split()))

    code, out = offload("copy", "--report-dir", reports, card, fast, "--cascade-to", slow2)
    assert code == 1, out
    said = " ".join(out.split())
    assert "cannot be cascaded" in said, said
    _keep_both_before_any_overwrite(said)
    for line in out.splitlines():
        if "--overwrite" in line and "--overwrite would replace" not in line:
            assert "never --overwrite" in line, line
    data = newest_report(reports)
    (copied,) = [f for f in data["files"] if f["path"] == "CLIPS/C001.mov"]
    assert [d["refusal"] for d in copied["destinations"]] == [
        "damaged_earlier_copy",
        "fast_refused_damaged_earlier_copy",
    ], copied
    (entry,) = json.loads((slow2 / "A001" / ".offload" / "last-run.json").read_text())["cards"]
    assert entry["fast_refused"] == ["CLIPS/C001.mov"], entry
    assert entry["another_card"] is True and entry["earlier_copy"] is True, entry
    # The HTML report's cascade sentence, from the JSON's kinds (``content._cascade_text``).
    html = newest_html_words(reports)
    assert "an earlier take's copy holds its name there, so a plain re-run refuses" in html
    code, out = offload("verify", slow2 / "A001")
    said = " ".join(out.split())
    assert "(an earlier take's copy holds its name there)" in said, said
    _keep_both_before_any_overwrite(said)


def test_an_earlier_copy_that_cannot_be_read_is_never_called_damaged(
    tmp_path: Path, faulty_fs: Any
) -> None:
    """The copy an earlier offload verified, on a drive whose reads of it now fail (EIO,
    real FUSE), the card holding another take of the name of another size: it was never
    compared, so its refusal says it could not be read (check the drive), keeps it first
    (--keep-both, --into) and never says it differs from the ledger's record. Failed
    before: "read back now it differs from what the ledger recorded of it: it is a damaged
    copy of an earlier take"."""
    card = clips_card(tmp_path / "cards", 2, 200_000)
    drive = faulty_fs(mountpoint=tmp_path / "d1", direct_io=True)
    dest = drive.mountpoint
    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 0, out
    _new_take(card / "CLIPS" / "C001.mov", 240_000)
    drive.fail("read", errno.EIO, path="A001/CLIPS/C001.mov")

    code, out = offload("copy", "--report-dir", tmp_path / "reports", card, dest)
    assert code == 1, out
    (error,) = _error_lines(out, "C001.mov")
    assert "could not be read now to check it against that record" in error, error
    assert "differs" not in error and "damaged" not in error, error
    keep = error.index("--keep-both keeps both here, --into another folder keeps them apart")
    assert keep < error.index("--overwrite would replace it"), error
    data = newest_report(tmp_path / "reports")
    (copied,) = [f for f in data["files"] if f["path"] == "CLIPS/C001.mov"]
    assert copied["destinations"][0]["refusal"] == "earlier_copy", copied
