"""Every option the docs name by its short form (``-t``, ``-n``, ``-v``) has its long form
(``--hash``, ``--limit``, ``--verbose``) named in the docs too: a user who reads
``--limit 5`` in a script finds it. Failed before (the QA's docs-vs-behaviour pass):
``offload history --limit``, ``pfndispatchcopy --verbose``, ``--hash``, ``--noflush-dest``
and ``offload copy --hash`` (and ``--block-size``) were in no document, their short forms
were. The parsers are the commands' own; the documents are the repository's."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

from offload.cli.parser import build_parser
from offload.cli.pfndispatchcopy import build_parser as build_pfndispatchcopy_parser
from support.documents import documents_text


def _options(parser: argparse.ArgumentParser) -> Iterator[tuple[str, ...]]:
    """Each option's spellings, of *parser* and of each of its commands' parsers."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from _options(command)
        elif action.option_strings:
            yield tuple(action.option_strings)


def test_every_documented_short_option_has_its_long_form_documented() -> None:
    text = documents_text()
    spellings = set(_options(build_parser())) | set(_options(build_pfndispatchcopy_parser()))
    missing = []
    for option in sorted(spellings):
        shorts = [word for word in option if not word.startswith("--")]
        longs = [word for word in option if word.startswith("--")]
        named = any(re.search(rf"`{re.escape(word)}[` ]", text) for word in shorts)
        if named and longs and not any(re.search(rf"{re.escape(w)}(?![\w-])", text) for w in longs):
            missing.append(option)
    assert missing == [], f"short form documented, long form not: {missing}"
