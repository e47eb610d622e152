"""The words of a command offload-ai suggests, found in a text as ``errors.shell_word``
writes them, and bash itself as the judge of what each one gives back: one pattern for the
tests that check a suggested command pastes back to the exact path, key or prefix (the
words are found here by their form, never by the code under test's own pattern)."""

from __future__ import annotations

import argparse
import re
import subprocess

#: One word as ``errors.shell_word`` writes it: bash's ``$'...'`` (``\\xNN``, ``\\'``,
#: ``\\\\`` within), a quoted ``'...'`` (a quote within as ``'"'"'``) or a bare word (no
#: space, quote, ``$`` or closing parenthesis).
WORD = r"(?:\$'(?:[^'\\]|\\.)*'|'[^']*'(?:\"'\"'[^']*')*|[^\s'\"$)]+)+"


def words_after(option: str, text: str) -> list[str]:
    """The word after each *option* in *text*, written ``--key WORD`` or ``--key=WORD``."""
    return re.findall(rf"{re.escape(option)}[ =]({WORD})", text)


def bash_word(word: str) -> bytes:
    """The bytes bash makes of *word* (one word of a command, as pasted): ``printf %s``."""
    done = subprocess.run(
        ["bash", "-c", f"printf %s {word}"], capture_output=True, timeout=30, check=True
    )
    return done.stdout


def bash_argv(words: str) -> list[bytes]:
    """The arguments bash makes of *words* (the rest of a command line, as pasted)."""
    done = subprocess.run(
        ["bash", "-c", f"printf '%s\\0' {words}"], capture_output=True, timeout=30, check=True
    )
    return done.stdout.split(b"\0")[:-1]


def aws_s3api_options(command: str) -> dict[str, str | None]:
    """The options of an ``aws s3api <operation> ...`` *command* as the AWS CLI's parser
    (argparse, each option taking one value) reads them once bash has made its words: a
    value that starts with ``-`` written as a separate word is taken for an option and
    refused (``SystemExit``), as the AWS CLI refuses it."""
    head = re.match(r"aws s3api [\w-]+ ", command)
    assert head is not None, command
    parser = argparse.ArgumentParser(exit_on_error=False, add_help=False)
    for name in (
        "--endpoint-url",
        "--profile",
        "--bucket",
        "--key",
        "--if-match",
        "--version-id",
        "--upload-id",
    ):
        parser.add_argument(name)
    argv = [
        os_word.decode("utf-8", "surrogateescape") for os_word in bash_argv(command[head.end() :])
    ]
    return vars(parser.parse_args(argv))
