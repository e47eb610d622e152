"""``offload copy``'s entry point asks for the card's first files before the command loads
(``cli/entry.py`` ``_read_card_ahead``, ``fs/readahead.py``): parsed by the command's own
parser, never for a re-run, a dry run or a command line the parser refuses.

Each check runs in a fresh interpreter: whether the command's modules are loaded yet is the
point of the first one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from offload.cli.entry import main

_PROBE = """
import json, sys
from offload.cli import entry
args = entry._copy_arguments(json.loads(sys.argv[1]))
asked = 0 if args is None else entry._read_card_ahead(args)
loaded = [m for m in ("offload.card", "offload.engine.job", "offload.cli.offload")
          if m in sys.modules]
print(json.dumps([asked, loaded]))
"""


def _asked(words: list[str]) -> tuple[int, list[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(words)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    asked, loaded = json.loads(done.stdout)
    return asked, loaded


@pytest.fixture
def card(tmp_path: Path) -> Path:
    root = tmp_path / "A001"
    (root / "CLIPS").mkdir(parents=True)
    for index in range(5):
        (root / "CLIPS" / f"C{index}.MP4").write_bytes(os.urandom(10_000))
    return root


def test_a_copys_card_is_asked_for_before_the_commands_modules_load(
    card: Path, tmp_path: Path
) -> None:
    asked, loaded = _asked(["copy", "--quiet", str(card), str(tmp_path / "d1")])
    assert asked == 5
    assert loaded == []


def test_files_of_the_read_block_or_more_are_not_asked_for(card: Path, tmp_path: Path) -> None:
    """``-b`` sets the read block: files of its size or more are streamed past the cache."""
    words = ["copy", "-b", "8192", str(card), str(tmp_path / "d1")]
    assert _asked(words)[0] == 0


@pytest.mark.parametrize("into", [False, True])
def test_a_re_run_asks_for_nothing(card: Path, tmp_path: Path, into: bool) -> None:
    """A copy root holding an earlier run's state: the run may need nothing of the card."""
    first, second = tmp_path / "d1", tmp_path / "d2"
    root = second if into else second / card.name
    (root / ".offload").mkdir(parents=True)
    extra = ["--into"] if into else []
    assert _asked(["copy", *extra, str(card), str(first), str(second)])[0] == 0
    assert _asked(["copy", *extra, str(card), str(first)])[0] == 5


@pytest.mark.parametrize(
    "words",
    [
        ["copy", "--dry-run", "{card}", "{dest}"],
        ["copy", "--no-such-option", "{card}", "{dest}"],
        ["copy", "-b", "0", "{card}", "{dest}"],
        ["copy", "{card}"],
        ["verify", "{card}"],
    ],
)
def test_no_copy_to_make_asks_for_nothing(card: Path, tmp_path: Path, words: list[str]) -> None:
    filled = [w.format(card=card, dest=tmp_path / "d1") for w in words]
    assert _asked(filled)[0] == 0


def test_a_refused_command_line_is_still_refused_by_the_command(
    card: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The early parse says nothing: the command parses again and names the problem once."""
    code = main(["copy", "--no-such-option", str(card), str(tmp_path / "d1")])
    assert code == 64
    err = capsys.readouterr().err
    assert err.count("unrecognized arguments: --no-such-option") == 1
    assert not (tmp_path / "d1").exists()
