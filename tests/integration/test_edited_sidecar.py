"""A sidecar the card's own ASC MHL history records, edited since: its refusal names the
file, what changed and the ways on (engine/reader.py, ``_history_mismatch``)."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import pytest

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.errors import printable_name


def offload_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", ["[take 1].xml", "[take 1] Cafe\u0301.xml"], ids=["nfc", "nfd"])
def test_an_edited_sidecar_is_named_with_what_changed_and_the_ways_on(
    tmp_path: Path, name: str
) -> None:
    """A card offloaded once carries its history (its copy root, offloaded again, is the
    card here: ``ascmhl/`` records each file). Its ``[take 1].xml`` rewritten by an app
    (one byte longer, dated later) is refused, not copied (exit 1), in one line naming the
    file, its digests read and recorded, its size and date now, both causes (edited or
    damaged) and both ways on: before, "the card file may be damaged" alone. Left out with
    the ``--ignore`` pattern the line gives (its glob characters escaped), as bash takes it
    back pasted, the rest is copied and the run is clean (exit 0). A name that is not NFC
    (as macOS writes names): failed before, its pattern pasted as ``...Cafe\\u0301.xml``
    (the display's spelling), which leaves nothing out."""
    card = tmp_path / "cards" / "A001"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A001C001.mov").write_bytes(os.urandom(40_000))
    sidecar = card / "CLIPS" / name
    sidecar.write_bytes(b"<take>1</take>")
    first = tmp_path / "first"
    first.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(card), str(first)
    )
    assert code == 0, err
    carried = first / "A001"  # the card with its own history now
    edited = carried / "CLIPS" / name
    edited.write_bytes(b"<take>12</take>")
    os.utime(edited, ns=(0, 1_800_000_000 * 10**9))
    again = tmp_path / "again"
    again.mkdir()
    code, _, err = offload_cli(
        "copy", "-q", "--report-dir", str(tmp_path / "r"), str(carried), str(again)
    )
    assert code == 1, err
    # That copy root is a copy of ours, no card: its history the source's (srcwords68).
    (line,) = [x for x in err.splitlines() if "does not match the source's own ASC MHL" in x]
    assert f"source {printable_name(str(edited))} does not match" in line, line
    assert "its content changed since that history recorded it (now 15 bytes, modified " in line
    assert "edited since (a sidecar an app rewrote) or damaged; it was not copied" in line
    (word,) = re.findall(
        r"or leave this file out with --ignore (\$'(?:[^'\\]|\\.)*'|'[^']*')$", line
    )
    pasted = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    pattern = os.fsdecode(pasted.stdout)
    assert pattern == "/CLIPS/\\" + name, line
    assert not (again / "A001" / "CLIPS" / name).exists()

    later = tmp_path / "later"
    later.mkdir()
    code, _, err = offload_cli(
        "copy",
        "-q",
        "--report-dir",
        str(tmp_path / "r"),
        "--ignore",
        pattern,
        str(carried),
        str(later),
    )
    assert code == 0, err
    assert (later / "A001" / "CLIPS" / "A001C001.mov").exists()
    assert not (later / "A001" / "CLIPS" / "[take 1].xml").exists()
