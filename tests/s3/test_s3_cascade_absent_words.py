"""A cascade resumed without its card, its bucket served from this host (a copy that may be
on the card's own disk: not counted): the card's release rests on the fast copy an earlier
run read back, and the one paragraph says so without contradicting itself. A real `offload`
process stopped by SIGINT after CARD RELEASED, the card then gone, the same command run
again (a real moto server process, the real CLI).

Failed before: "this run read its fast copy ... again now (checked against the card's
digests)", then "6 of 6 files verified only by an earlier run, trusted from the ledger, not
read back now: --reverify reads them back" (--reverify reads the destinations' copies, not
the source)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from report.helpers import pdf_text
from support.shell_words import bash_word


def _resumed_without_its_card(  # type: ignore[no-untyped-def]
    proxy, bucket, cards, local: Path
) -> tuple[str, Path]:
    """The cascade to the bucket stopped at CARD RELEASED, the card then ejected, the same
    command run again (exit 0): (its ``The card (`` line, its job report)."""
    card = cards / "C1"  # apart from the fast copy: one beside it releases nothing
    (card / "X").mkdir(parents=True)
    for index in range(6):
        (card / "X" / f"a{index}.mov").write_bytes(os.urandom(3_000_000 + index))
    local.mkdir()
    reports = local.parent / "reports"
    proxy.throttle(2_000_000)  # an uplink: the upload outlasts the signal
    command = [sys.executable, "-m", "offload.cli.offload", "copy", "--report-dir",
               str(reports), "--s3-endpoint", proxy.url,
               "--cascade", str(card), str(local), f"s3://{bucket}/cas5"]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("CARD RELEASED"):
                process.send_signal(signal.SIGINT)
                break
        rest = process.stderr.read()
        assert process.wait(timeout=60) == 130, rest
    proxy.throttle(None)
    card.rename(cards / "C1.away")  # ejected
    before = set(reports.glob("*.json"))
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    (said,) = [
        line for line in again.stderr.splitlines() if line.startswith("Do not format the card:")
    ]
    (report,) = set(reports.glob("*.json")) - before
    return said, report


def test_a_resumed_cascade_without_its_card_says_how_the_fast_copy_was_read(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, cards
) -> None:
    local = tmp_path / "L 1"  # a space: the suggested command quotes it
    said, report = _resumed_without_its_card(proxy, bucket, cards, local)
    source = local / "C1"
    assert f"this run read its fast copy {source} again now" in said, said
    assert "not read back now" not in said and "--reverify" not in said, said
    # Resting on the ledger alone: the card kept (QA qa70c H1: "may be formatted" before).
    assert "6 of 6 files are verified only by an earlier run" in said, said
    assert "may be formatted" not in said, said
    assert "this run read it again only as its source" in said, said
    assert f"`offload verify {shlex.quote(str(source))}` reads it back" in said, said
    # Pasted into bash, that word is the fast copy (before: unquoted, two words).
    (word,) = re.findall(r"`offload verify ('[^']*')` reads it back", said)
    pasted = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert pasted.stdout == os.fsencode(source), said
    # The job report says the same.
    release = json.loads(report.read_text())["card_release"]
    assert "this run read it again only as its source" in json.dumps(release), release
    assert "not read back now" not in json.dumps(release), release


def test_the_pdfs_release_command_pastes_back_to_a_fast_copy_named_outside_latin1(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, cards
) -> None:
    """The fast copy's folder named in Japanese, with an emoji and a name not NFC (``e`` and
    U+0301, as macOS writes names), none of which the PDF's fonts draw: the release's
    ``offload verify WORD``, pasted into bash from the terminal, the JSON and the PDF
    (pdftotext of the real PDF), is the fast copy, byte for byte. Failed before: the PDF
    wrote ``'.../<U+65E5><U+672C>...'`` (its ``latin1`` codes), which pasted names no
    folder: the word quoted in backticks was not found as a command's word, and the release
    line was never re-spelled (``pdf.pasteable_words``)."""
    local = tmp_path / "日本🎬Café"  # no space: whole once rejoined
    said, report = _resumed_without_its_card(proxy, bucket, cards, local)
    source = os.fsencode(local / "C1")
    release = json.loads(report.read_text())["card_release"]["text"]
    pdf = pdf_text({"pdftotext": "pdftotext"}, report.with_suffix(".pdf"))
    # pdftotext breaks a long line where the layout did: the word (no space in it) rejoined.
    shown = "".join(pdf.split())
    for text in (said, release, shown):
        (word,) = re.findall(r"`offload\s?verify\s?(\$'(?:[^'\\]|\\.)*'|'[^']*')`", text)
        assert bash_word(word) == source, (word, text)
    assert "<U+" not in shown.split("offloadverify", 1)[1].split("`", 1)[0], shown
