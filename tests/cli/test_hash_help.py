"""``-t`` help of both command-line clients: every name the registry accepts, as printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from offload.hashing.registry import accepted_names, parse_algorithms

BIN = Path(sys.executable).parent


def hash_help(argv: list[str]) -> str:
    """The help text of -t/--hash (argparse output, unwrapped), from a real subprocess."""
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        timeout=60,
        check=True,
    )
    # argparse wraps at hyphens too ("case-\n insensitive"); undo both kinds of break.
    text = re.sub(r"-\n\s+", "-", done.stdout)
    text = " ".join(text.split())
    start = text.index("-t HASH, --hash HASH")
    end = text.index(" -", start + len("-t HASH, --hash HASH "))
    while not re.match(r" -{1,2}[a-z]", text[end:]):  # a hyphen inside the help, not an option
        end = text.index(" -", end + 1)
    return text[start:end]


@pytest.mark.parametrize(
    ("argv", "default"),
    [
        ([str(BIN / "offload"), "copy", "--help"], "xxh64"),
        ([str(BIN / "pfndispatchcopy"), "--help"], "xxh64be"),
    ],
    ids=["offload-copy", "pfndispatchcopy"],
)
def test_hash_help_lists_every_accepted_name(argv: list[str], default: str) -> None:
    text = hash_help(argv)
    words = set(re.findall(r"[a-z0-9][a-z0-9_-]*[a-z0-9]", text))
    assert set(accepted_names()) <= words, text
    assert "xxh64be" in words
    assert f"default {default}" in text
    # The label the hash line prints (pfndispatchcopy's XXH64BE; Pomfort's bare XXH64 is
    # the little-endian rendering): before, "(XXH64, big-endian hex ...)" said otherwise.
    assert "xxh64, xxh64be and xxhash64be are one algorithm (XXH64, seed 0)" in text
    assert "labelled XXH64BE" in text and "(XXH64, big-endian hex" not in text


def test_every_listed_name_is_accepted() -> None:
    assert parse_algorithms(accepted_names())
    assert {parse_algorithms([name])[0] for name in ("xxh64", "xxh64be", "XXHASH64BE")} == {"xxh64"}
