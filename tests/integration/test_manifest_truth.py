"""Issue 9 "Every word true", the manifest and verify part: what the histories say about
symlinks and odd names, judged by the reference tool (ascmhl 1.2), and ``offload verify``
agreeing with it."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.manifest import read_history
from support.ascmhl_judge import AscmhlJudge


def offload_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def small_card(root: Path, name: str = "A001") -> Path:
    card = root / name
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(300_000))
    (card / "CLIPS" / "A001C002.mov").write_bytes(b"second clip")
    (card / "META").mkdir()
    (card / "META" / "sidecar.xml").write_bytes(b"<xml/>")
    return card


def copy(tmp_path: Path, card: Path, *dests: Path, extra: tuple[str, ...] = ()) -> tuple[int, str]:
    for dest in dests:
        dest.mkdir(exist_ok=True)
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "reports"), *extra, str(card), *map(str, dests)
    )
    return code, err


def recorded_paths(root: Path) -> set[str]:
    return read_history(root).recorded_file_paths()


def test_file_symlink_is_recorded_as_its_targets_content(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = small_card(tmp_path / "cards")
    os.symlink("A001C002.mov", card / "CLIPS" / "latest.mov")  # a link to a file on the card
    dests = [tmp_path / "RAID0", tmp_path / "RAID1"]
    code, err = copy(tmp_path, card, *dests)
    assert code == 0, err
    for dest in dests:
        root = dest / card.name
        assert os.readlink(root / "CLIPS" / "latest.mov") == "A001C002.mov"  # still a link
        assert "CLIPS/latest.mov" in recorded_paths(root)
        for result in (
            judge.diff(root),
            judge.verify(root),
            judge.verify(root, directory_hashes=True),
        ):
            assert result.clean, result.describe()
        code, out, _ = offload_cli("verify", "--json", str(root))
        result = json.loads(out)
        assert code == 0, out
        assert "CLIPS/latest.mov" in result["verified"]
        assert result["extra"] == []
    # The manifest says what ascmhl itself says about the same tree.
    os.rename(dests[1] / card.name / "ascmhl", tmp_path / "ours")
    created = judge.run("ascmhl", "create", "-h", "xxh64", "-i", ".offload", dests[1] / card.name)
    assert created.clean, created.describe()
    theirs = read_history(dests[1] / card.name)
    ours = read_history(dests[0] / card.name)
    assert theirs.reference_hashes() == ours.reference_hashes()
    assert theirs.generations[0].root_hash == ours.generations[0].root_hash


def test_folder_and_dangling_symlinks_are_left_out_and_verify_agrees(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = small_card(tmp_path / "cards")
    os.symlink("META", card / "META_LINK")  # a link to a folder: ascmhl skips it
    dest = tmp_path / "RAID0"
    code, err = copy(tmp_path, card, dest)
    assert code == 0, err
    root = dest / card.name
    assert not any("META_LINK" in p for p in recorded_paths(root))
    for result in (judge.diff(root), judge.verify(root)):
        assert result.clean, result.describe()
    code, out, _ = offload_cli("verify", "--json", str(root))
    assert code == 0, out

    # A dangling link: nothing to hash; named in a warning, left out, the rest recorded.
    card2 = small_card(tmp_path / "cards2", "A002")
    os.symlink("GONE.mov", card2 / "CLIPS" / "dangling.mov")
    code, err = copy(tmp_path, card2, dest)
    assert code == 0, err
    assert "CLIPS/dangling.mov" in err and "leads nowhere" in err
    root2 = dest / card2.name
    assert recorded_paths(root2) == {
        "CLIPS/A001C001.mov",
        "CLIPS/A001C002.mov",
        "META/sidecar.xml",
    }
    code, out, err = offload_cli("verify", str(root2))
    assert code == 0, out + err
    assert "dangling.mov" in err


def test_a_name_that_is_not_utf8_leaves_only_that_file_out(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    card = small_card(tmp_path / "cards")
    bad = os.fsencode(card / "CLIPS") + b"/caf\xe9.mov"
    with open(bad, "wb") as handle:
        handle.write(b"latin-1 name")
    dests = [tmp_path / "RAID0", tmp_path / "RAID1"]
    code, err = copy(tmp_path, card, *dests, extra=("--mhl", "both"))
    assert code == 0, err
    assert "caf" in err and "not in the ASC MHL manifest" in err
    for dest in dests:
        root = dest / card.name
        assert os.path.exists(os.fsencode(root / "CLIPS") + b"/caf\xe9.mov")
        assert recorded_paths(root) == {
            "CLIPS/A001C001.mov",
            "CLIPS/A001C002.mov",
            "META/sidecar.xml",
        }
        schema = judge.check_manifest_schema(next((root / "ascmhl").glob("*.mhl")))
        assert schema.clean, schema.describe()
        # the reference tool sees the file it cannot name as new (exit 21), nothing else
        diff = judge.diff(root)
        assert diff.returncode == 21 and "caf" in diff.stderr, diff.describe()
        code, out, _ = offload_cli("verify", "--json", str(root))
        assert code == 21, out
        result = json.loads(out)
        assert len(result["extra"]) == 1 and result["missing"] == []
        assert len(result["verified"]) == 3
