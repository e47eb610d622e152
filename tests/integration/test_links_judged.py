"""Symbolic links on a card, offloaded for real and judged by the field's tool (``ascmhl`` 1.2)
on every destination, and on a copy of a destination moved elsewhere (post's machine).

A link to a file of the card is listed with the content it leads to (what ascmhl computes by
following it); every other link (to a folder, dangling, looping, out of the card by an
absolute target or by ``../..``) is copied as a link and named in the generation's own
ignore list, so that ``ascmhl-debug verify`` and ``verify -dh`` skip it and no hash of content
that is not the card's is ever recorded.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from offload.errors import printable_name
from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import offload

# link path -> (target, how the manifests hold it)
LISTED = {
    "CLIPS/latest.mov": "A001C002.mov",  # a file beside it
    "CLIPS/sidecar.xml": "../META/sidecar.xml",  # a file of the card through ..
    "CLIPS/chain.mov": "latest.mov",  # a link to a link to a file
}
IGNORED = {
    "META_LINK": "META",  # a folder of the card
    "CLIPS/dangling.mov": "GONE.mov",
    "CLIPS/loop_a": "loop_b",
    "CLIPS/loop_b": "loop_a",
    "CLIPS/self": "self",
    "hostname": "/etc/hostname",  # out of the card, absolute
    "CLIPS/up.txt": "../../outside.txt",  # out of the card, relative
    "CLIPS/out_and_back.mov": "../../A001/CLIPS/A001C002.mov",  # out, then in by the card's name
    "CLIPS/odd [1] *name?\\.mov ": "gone",  # glob characters and a trailing space, escaped
    "CLIPS/!#bang": "gone",
}


@pytest.fixture(autouse=True)
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OFFLOAD_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def card_with_links(parent: Path) -> Path:
    card = parent / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(200_000))
    (card / "CLIPS" / "A001C002.mov").write_bytes(b"second clip")
    (card / "META").mkdir()
    (card / "META" / "sidecar.xml").write_bytes(b"<xml/>")
    for relative, target in {**LISTED, **IGNORED}.items():
        os.symlink(target, card / relative)
    return card


def copy_report(report_dir: Path) -> dict[str, Any]:
    """The JSON report of the one offload copy (offload verify writes reports of its own)."""
    (data,) = [
        report
        for report in map(json.loads, (p.read_text() for p in report_dir.glob("*.json")))
        if "symlinks" in report
    ]
    return data


def judge_clean(judge: AscmhlJudge, root: Path) -> None:
    for result in (judge.verify(root), judge.verify(root, directory_hashes=True)):
        assert result.clean, result.describe()


def test_every_kind_of_link_is_judged_clean_on_every_destination_and_elsewhere(
    judge: AscmhlJudge, tmp_path: Path, report_dir: Path
) -> None:
    card = card_with_links(tmp_path / "cards")
    (tmp_path / "cards" / "outside.txt").write_bytes(b"next to the card")
    dests = [tmp_path / "RAID0", tmp_path / "RAID1"]
    for dest in dests:
        dest.mkdir()
        # what "../../outside.txt" leads to from the copy, on this machine only
        (dest / "outside.txt").write_bytes(b"next to the copy")
    code, output = offload("copy", str(card), *map(str, dests), "--verify", "full")
    assert code == 0, output
    for dest in dests:
        judge_clean(judge, dest / card.name)
    for relative in IGNORED:
        # each named in a warning, as the terminal shows it (a literal backslash doubled)
        assert printable_name(relative) in output

    for dest in dests:
        root = dest / card.name
        for relative, target in {**LISTED, **IGNORED}.items():
            assert os.readlink(root / relative) == target  # copied as a link, never followed
        history = read_history(root)
        assert history.recorded_file_paths() == {
            "CLIPS/A001C001.mov",
            "CLIPS/A001C002.mov",
            "META/sidecar.xml",
            *LISTED,
        }
        hashes = history.reference_hashes()
        assert hashes["CLIPS/latest.mov"] == hashes["CLIPS/A001C002.mov"]
        assert hashes["CLIPS/chain.mov"] == hashes["CLIPS/A001C002.mov"]
        assert hashes["CLIPS/sidecar.xml"] == hashes["META/sidecar.xml"]
        code, out = offload("verify", "--json", str(root))
        assert code == 0, out
        verdict = json.loads(out[: out.rindex("}") + 1])
        assert sorted(verdict["verified"]) == sorted(hashes)
        assert verdict["extra"] == verdict["dangling"] == verdict["missing"] == []

    # Post's machine: the drive mounted elsewhere, what lay outside the card is not there (or
    # is something else); the card's own content still verifies.
    elsewhere = tmp_path / "post" / "deeper" / card.name
    shutil.copytree(dests[0] / card.name, elsewhere, symlinks=True)
    (tmp_path / "post" / "outside.txt").write_bytes(b"another machine's file")
    judge_clean(judge, elsewhere)
    code, out = offload("verify", str(elsewhere))
    assert code == 0, out
    # A check appended there (and one by ascmhl itself) keeps the ignore list.
    code, out = offload("verify", "--append", str(elsewhere))
    assert code == 0, out
    created = judge.create(elsewhere, "xxh64")
    assert created.clean, created.describe()
    judge_clean(judge, elsewhere)
    assert read_history(elsewhere).recorded_file_paths() == {
        "CLIPS/A001C001.mov",
        "CLIPS/A001C002.mov",
        "META/sidecar.xml",
        *LISTED,
    }

    # The JSON report says how each link stands in each destination's manifest.
    data = copy_report(report_dir)
    states = {(s["destination_index"], s["relative_path"]): s for s in data["symlinks"]}
    for index in range(len(dests)):
        for relative in LISTED:
            assert states[index, relative]["status"] == "created"
            assert states[index, relative]["manifest"] == "listed"
        for relative in IGNORED:
            assert states[index, relative]["status"] == "created"
            assert states[index, relative]["manifest"] == "ignored"
            assert "ignores it" in states[index, relative]["manifest_note"]
    assert "leads out of the card" in states[0, "hostname"]["manifest_note"]
    assert "loops" in states[0, "CLIPS/self"]["manifest_note"]
    assert "folder" in states[0, "META_LINK"]["manifest_note"]
    assert "dangling" in states[0, "CLIPS/dangling.mov"]["manifest_note"]


def test_an_out_of_card_target_that_changes_does_not_fail_the_card(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """Before: the content an out-of-card link led to on the offload machine was recorded;
    once it changed (another machine, another day) every destination failed."""
    card = tmp_path / "cards" / "A002"
    card.mkdir(parents=True)
    (card / "clip.mov").write_bytes(b"clip")
    outside = tmp_path / "elsewhere.txt"
    outside.write_bytes(b"the offload machine's file")
    os.symlink(str(outside), card / "abs.txt")
    dest = tmp_path / "RAID0"
    dest.mkdir()
    (dest / "rel.txt").write_bytes(b"beside the copy")
    os.symlink("../rel.txt", card / "rel.txt")
    code, output = offload("copy", str(card), str(dest))
    assert code == 0, output
    root = dest / card.name
    outside.write_bytes(b"changed")
    (dest / "rel.txt").write_bytes(b"changed too")
    judge_clean(judge, root)
    assert read_history(root).recorded_file_paths() == {"clip.mov"}
    code, out = offload("verify", str(root))
    assert code == 0, out


def offload_a_dangling_link(card: Path, clip: str, link: str) -> tuple[Path, str]:
    """Offload a card of one file *clip* and a dangling *link* to ``<card's folder>/RAID0``:
    the copy root and the command's output."""
    (card / clip).parent.mkdir(parents=True)
    (card / clip).write_bytes(b"a clip: " + clip.encode())
    os.symlink("nowhere.mov", card / link)
    dest = card.parent / "RAID0"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest))
    assert code == 0, output
    return dest / card.name, output


def test_a_link_whose_pattern_would_hide_a_file_is_left_out_not_hiding_it(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """``**/take.mov`` for a dangling link at the root would also hide CLIPS/take.mov: the link
    is left out (ascmhl calls it new), the file stays recorded and judged."""
    root, output = offload_a_dangling_link(tmp_path / "A003", "CLIPS/take.mov", "take.mov")
    assert "would also hide CLIPS/take.mov" in output
    assert read_history(root).recorded_file_paths() == {"CLIPS/take.mov"}
    verdict = judge.verify(root)
    assert "found new file take.mov" in verdict.stderr, verdict.describe()
    assert "CLIPS/take.mov" not in verdict.stderr


def test_a_link_named_like_a_folder_above_the_copy_root_is_left_out_not_hiding_the_tree(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """A dangling link ``RAID0`` at the card's root, copied to ``.../RAID0/A006``: ascmhl-debug
    verify matches ``**/RAID0`` against absolute paths, so every path below the copy root
    matched it. Before, the pattern was written: ascmhl skipped the whole tree and checked
    nothing (exit 20, "could not find single file", on a good copy). Now the link is left
    out, named, and every file is checked."""
    root, output = offload_a_dangling_link(tmp_path / "A006", "CLIPS/clip.mov", "RAID0")
    assert "would also hide CLIPS/clip.mov" in output
    assert "**/RAID0" not in (read_history(root).latest_ignore_patterns() or ())
    verdict = judge.verify(root)
    assert "found new file RAID0" in verdict.stderr, verdict.describe()  # the link, named
    (root / "CLIPS" / "clip.mov").write_bytes(b"changed")
    verdict = judge.verify(root)
    assert "hash mismatch        for CLIPS/clip.mov" in verdict.stderr, verdict.describe()


def test_root_only_ignores_never_hide_the_same_name_deeper_in_the_manifest(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """lost+found (a default) and --ignore /PROXY/ leave out only the folder at the card's
    root. Before, the manifest's ignore list carried them as "lost+found" and "PROXY", which
    left the same names deeper in the card (copied and verified) out of the manifest."""
    card = tmp_path / "cards" / "A004"
    for relative in (
        "lost+found/#12",
        "PROXY/A001.mp4",
        "CLIPS/lost+found/A001.mov",
        "CLIPS/PROXY/A001_proxy.mp4",
    ):
        (card / relative).parent.mkdir(parents=True, exist_ok=True)
        (card / relative).write_bytes(relative.encode())
    dest = tmp_path / "RAID0"
    dest.mkdir()
    code, output = offload("copy", "--ignore", "/PROXY/", str(card), str(dest))
    assert code == 0, output
    root = dest / card.name
    assert not (root / "lost+found").exists() and not (root / "PROXY").exists()
    assert read_history(root).recorded_file_paths() == {
        "CLIPS/lost+found/A001.mov",
        "CLIPS/PROXY/A001_proxy.mp4",
    }
    judge_clean(judge, root)
    code, out = offload("verify", str(root))
    assert code == 0, out


def test_a_file_link_whose_name_xml_cannot_hold_is_left_out_never_called_verified(
    tmp_path: Path, report_dir: Path
) -> None:
    card = tmp_path / "cards" / "A005"
    card.mkdir(parents=True)
    (card / "clip.mov").write_bytes(b"clip")
    os.symlink("clip.mov", os.fsencode(card) + b"/caf\xe9.mov")
    dest = tmp_path / "RAID0"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest))
    assert code == 0, output
    assert read_history(dest / card.name).recorded_file_paths() == {"clip.mov"}
    data = copy_report(report_dir)
    (link,) = data["symlinks"]
    assert link["status"] == "created" and link["manifest"] == "left-out"
    assert "copied as a link" in link["manifest_note"]
    assert "verified" not in link["manifest_note"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (b"caf\xe9", "its name is not valid UTF-8, which an XML manifest cannot hold"),
        (
            b"bell\x07",
            "its name holds the control character \\x07, which an XML manifest cannot hold",
        ),
    ],
    ids=["not-utf8", "control-character"],
)
def test_a_link_left_out_for_its_name_says_which_reason(
    tmp_path: Path, report_dir: Path, name: bytes, reason: str
) -> None:
    """A link to a file and a dangling link, each named so an XML manifest cannot hold the
    name: every line and note about them (the first run's, and a re-run's, whose manifests
    already cover them) gives the one reason that is true, in ``unlisted_name_reason``'s
    words. Failed before: "its name is not valid UTF-8 (or holds a control character)" for
    either, and the preflight said a link's copy "is verified" (a link is never read back)."""
    card = tmp_path / "cards" / "A006"
    card.mkdir(parents=True)
    (card / "clip.mov").write_bytes(b"clip")
    os.symlink("clip.mov", os.fsencode(card) + b"/" + name + b".mov")
    os.symlink("GONE.mov", os.fsencode(card) + b"/" + name + b"-gone.mov")
    dest = tmp_path / "RAID0"
    dest.mkdir()
    code, output = offload("copy", str(card), str(dest))
    assert code == 0, output
    assert "(or holds a control character)" not in output
    shown = os.fsdecode(name).encode("ascii", "backslashreplace").decode()
    shown = shown.replace("\\udc", "\\x").replace("\x07", "\\x07")
    lines = [line for line in output.splitlines() if f"symlink {shown}" in line]
    assert len(lines) == 2, output
    assert all(f" {reason}" in line for line in lines), lines
    assert "its copy is verified" not in output, output
    for again in (False, True):
        if again:  # the manifests there already cover the links: no generation written
            for report in report_dir.glob("*.json"):
                report.unlink()
            code, output = offload("copy", str(card), str(dest))
            assert code == 0, output
        links = copy_report(report_dir)["symlinks"]
        assert len(links) == 2
        for link in links:
            assert link["manifest"] == "left-out", link
            assert reason in link["manifest_note"], link
