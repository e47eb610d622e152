"""Every command of the reference tool the documents and ``offload``'s help name is a
command of the tool named, and every option written right after it in a code span is one
of that command's: checked against the real ``ascmhl`` 1.2 (the ``judge``), whose
``ascmhl`` has create, diff, flatten and info and whose ``ascmhl-debug`` has verify.
Failed before (the QA's first-hour pass): README named ``ascmhl verify`` ~43 times and
``offload verify --help`` said "(as ascmhl verify)"; ascmhl 1.2 answers "No such command
'verify'". The words offload-ai prints are checked too (every string constant in
``src/offload``), and a list of commands after the tool's name ("ascmhl create, diff and
verify"): failed before (review of the fixfirstB59 merge), two printed messages credited
``ascmhl`` with ``verify``."""

from __future__ import annotations

import argparse
import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import offload
from offload.cli.parser import build_parser
from support.ascmhl_judge import AscmhlJudge
from support.documents import documents_text

TOOLS = ("ascmhl", "ascmhl-debug")
#: A tool's name and the word after it, or the list of words after it ("create, diff and
#: verify"; the name not part of a path or a longer word).
_MENTION = re.compile(
    r"(?<![\w/.-])(ascmhl(?:-debug)?)\s+(?:``)?"
    r"([a-z][a-z_-]*(?:(?:,\s*|\s+and\s+|\s+or\s+)[a-z][a-z_-]*\b)*)"
)
#: A command in a code span, with the options written after it (``-dh``, ``-i .offload``).
_SPAN = re.compile(r"`(ascmhl(?:-debug)?)\s+([a-z][a-z_-]*)((?:\s+--?[a-z_]+(?:\s+[^-`\s]\S*)?)*)")


def _help_texts(parser: argparse.ArgumentParser) -> Iterator[str]:
    """Every description and option help of *parser* and of its commands' parsers."""
    yield parser.description or ""
    for action in parser._actions:
        yield action.help or ""
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from _help_texts(command)


def _source_strings() -> str:
    """Every string constant of ``src/offload`` (an f-string's constant parts joined with
    ``{}`` where a value goes), one a line: the words offload-ai prints or writes."""
    strings = set()
    for path in sorted(Path(offload.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
                strings.add("".join(str(part) for part in parts))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
    return "\n".join(sorted(strings))


@cache
def _commands(judge: AscmhlJudge, tool: str) -> frozenset[str]:
    """The commands *tool*'s own ``--help`` lists."""
    result = judge.run(tool, "--help")
    assert result.returncode == 0, result.describe()
    listed = result.stdout.split("Commands:", 1)[1]
    return frozenset(re.findall(r"^\s+([a-z][a-z_-]*)\s", listed, flags=re.MULTILINE))


def test_every_named_reference_tool_command_exists_in_the_tool_named(
    judge: AscmhlJudge,
) -> None:
    texts = {"the documents": documents_text()}
    texts["offload's help"] = "\n".join(_help_texts(build_parser()))
    texts["offload's source"] = _source_strings()
    every = set().union(*(_commands(judge, tool) for tool in TOOLS))
    wrong = sorted(
        f"{where}: {tool} {word}"
        for where, text in texts.items()
        for tool, words in _MENTION.findall(text)
        for word in re.findall(r"[a-z][a-z_-]*", words)
        if word in every and word not in _commands(judge, tool)
    )
    assert wrong == [], f"named as a command of a tool that has no such command: {wrong}"


def test_every_option_written_after_a_reference_tool_command_is_one_of_its(
    judge: AscmhlJudge,
) -> None:
    spans = {
        (tool, command, option)
        for tool, command, rest in _SPAN.findall(documents_text())
        if command in _commands(judge, tool)
        for option in re.findall(r"(?<!\S)(--?[a-z_]+)", rest)
    }
    assert spans, "no command with an option in the documents: the pattern is wrong"
    helps = {(tool, command): judge.run(tool, command, "--help") for tool, command, _ in spans}
    for result in helps.values():
        assert result.returncode == 0, result.describe()
    unknown = sorted(
        f"{tool} {command} {option}"
        for tool, command, option in spans
        if not re.search(rf"(?<![\w-]){re.escape(option)}\b", helps[tool, command].stdout)
    )
    assert unknown == [], f"an option its command does not have: {unknown}"
