"""The commands offload-ai suggests for what a run left in the bucket ("see whether it is
there:", "remove it:") name the object's exact key once pasted into bash, on every surface:
the terminal's warning, the HTML report's text, the PDF's (pdftotext) and the JSON's
``left_behind`` (``check``, ``remove``); and ``offload verify``'s "nothing to verify" line
its exact prefix. Keys of a name that is not NFC (as macOS writes names: ``e`` and U+0301),
with a control character, with a single quote and in Japanese (outside Latin-1: the PDF's
fonts lack it, and its ``latin1`` wrote ``<U+65E5>``, which pasted named no key: failed
before ``pdf.pasteable_words``), below a prefix that starts with ``-`` (the AWS CLI's parser
took ``--key -day1/...`` for an option, "expected one argument": failed before
``s3commands.option``'s ``--key=WORD``).

Failed before: the commands were shell-quoted (``shlex.quote``) and then escaped for display,
so the terminal, the HTML and the PDF gave ``--key 'LEFT/Cafe\\u0301...'``: pasted, bash
keeps those six characters, naming a key that does not exist (and ``aws s3api
delete-object`` of a missing key exits 0: the user believes the object is gone). A real
``offload copy`` (in process), the real test server behind the fault proxy (each read-back
of the files flipped, their deletes refused: the objects are left for real), and bash itself
(``printf %s`` of the word: no AWS CLI needed) as the judge of each word."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from report.helpers import pdf_text
from s3.test_s3_cli import keys, make_card, offload
from s3.test_s3_verify import verify
from support.shell_words import WORD, aws_s3api_options, bash_word

NFD = "Cafe\u0301_A\u0308rger.txt"
CONTROL = "bell\x07tab\tname.txt"
QUOTE = "it's here.txt"
#: Outside Latin-1, which the PDF's fonts lack: there a word of its own spelling.
JAPANESE = "日本_clip.txt"
NAMES = (NFD, CONTROL, QUOTE, JAPANESE)


def key_words(text: str, command: str) -> list[str]:
    """The ``--key`` words of every *command* (``delete-object``) in *text*."""
    return re.findall(rf"{command} [^\n]*?--key[ =]({WORD})", text)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return html.unescape("".join(parser.parts))


def pasted_keys(text: str, command: str) -> set[bytes]:
    """The keys, as bash makes them, of every *command*'s ``--key`` in *text*."""
    return {bash_word(word) for word in key_words(text, command)}


def test_the_commands_for_what_was_left_paste_back_to_the_exact_keys(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    card = make_card(tmp_path, {f"LEFT/{name}": 1000 + i for i, name in enumerate(NAMES)})
    local = tmp_path / "local"
    local.mkdir()
    # Each file's read-back is not the source's bytes, and its delete is refused: the three
    # objects stay in the bucket, named as left behind.
    proxy.intercept("GET", "/LEFT/", flip=True, count=1000)
    proxy.intercept("DELETE", "/LEFT/", status=403, code="AccessDenied", count=1000)
    url = f"s3://{bucket}/-day1"
    code, _out, err = offload(tmp_path, "--s3-endpoint", proxy.url, str(card), str(local), url)
    assert code != 0, err
    left = {f"-day1/A001/LEFT/{name}".encode() for name in NAMES}
    assert left <= {key.encode() for key in keys(s3_server.url, bucket)}
    (json_report,) = (tmp_path / "reports").glob("A001_*.json")
    report = json.loads(json_report.read_text())
    entries = report["left_behind"]["objects"]
    assert {entry["key"].encode() for entry in entries} == left, entries
    # The JSON's commands, the terminal's warning, the HTML's text and the PDF's: each
    # --key, pasted, is the object's key, byte for byte.
    for entry in entries:
        (word,) = key_words(entry["remove"], "delete-object")
        assert bash_word(word) == entry["key"].encode(), entry["remove"]
        # The AWS CLI's parser takes each command's --key as that key: a key that starts
        # with "-" given as --key=WORD (as a word of its own, "expected one argument").
        for command in filter(None, (entry.get("check"), entry["remove"])):
            assert aws_s3api_options(command)["key"] == entry["key"], command
    warnings = "\n".join(line for line in err.splitlines() if line.startswith("WARNING: "))
    assert pasted_keys(warnings, "delete-object") == left, warnings
    shown = html_text(json_report.with_suffix(".html"))
    assert pasted_keys(shown, "delete-object") == left, shown
    # pdftotext breaks a long line where the layout did (between words, here): rejoined.
    pdf = " ".join(pdf_text({"pdftotext": "pdftotext"}, json_report.with_suffix(".pdf")).split())
    assert pasted_keys(pdf, "delete-object") == left, pdf


def test_nothing_to_verify_lists_the_exact_prefix(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    prefix = "Cafe\u0301/it's/card"
    url = f"s3://{bucket}/{prefix}"
    code, _out, err = verify(tmp_path, s3_server.url, url)
    assert code == 30, err
    (line,) = [e for e in err.splitlines() if e.startswith("ERROR: nothing to verify")]
    (word,) = re.findall(r"list what is there: aws s3 ls --endpoint-url \S+ (\S+)\)", line)
    assert bash_word(word) == f"s3://{bucket}/{prefix}/".encode(), line


def test_the_check_suggested_below_pastes_back_to_the_copy_root(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """``offload verify`` of the prefix above a copy root, the prefix not NFC, with a space
    and a quote: the ``offload verify`` it suggests for the copy root below names it as bash
    takes it back. Failed before: the URL was put in the place of the check's local view in
    the command as it was (``s3://B/Cafe\\u0301 it's/A001`` once shown: words of no copy)."""
    prefix = "Cafe\u0301 it's"
    card = make_card(tmp_path, {"A001.xml": 900})
    code, _, err = offload(
        tmp_path, "--s3-endpoint", s3_server.url, str(card), f"s3://{bucket}/{prefix}"
    )
    assert code == 0, err
    code, out, err = verify(tmp_path, s3_server.url, f"s3://{bucket}/{prefix}")
    assert code == 30, out + err
    first = err.splitlines()[0]
    (word,) = re.findall(
        rf"check it with: offload verify --s3-endpoint {s3_server.url} (.+)$", first
    )
    assert bash_word(word) == f"s3://{bucket}/{prefix}/A001".encode(), first
