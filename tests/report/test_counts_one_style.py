"""Every count of our words is written one way, with the thousands separator (QA,
forty-first pass): real runs of the real CLI on a card of 2,100 files, read on the
terminal, in the JSON's card release and on the HTML and PDF pages.

Failed before: one sentence mixed both, "NOT ALL VERIFIED: 1,050 of 2,100 files failed on 1
destination (listed below); 1050 are verified on every destination", beside "Copies
verified now (...): 2100", "1050 copies failed" and "≈ COPIED, TRANSFER-CHECKED ONLY: 4200
of 4200 copies"."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest

from report.helpers import pdf_words
from support.offload_cli import run_offload

pytestmark = [pytest.mark.timeout(240)]

FILES = 2_100
# A count of 4 digits or more written without its separator, in the words that count
# (files, copies, "N of M", "N are verified", "...: N;"): never a date, size or digest.
BARE = re.compile(
    r"(?<![\d,.:/\w-])\d{4,}(?= (?:files?|cop(?:y|ies)|of|are|is|more|verified|"
    r"transfer-checked|FAILED|failed)\b)|\bof \d{4,}(?![\d,.-])|: \d{4,}[;.)]"
)


def _texts(reports: Path, stderr: str, poppler: dict[str, str]) -> dict[str, str]:
    (data_path,) = reports.glob("*.json")
    data = json.loads(data_path.read_text(encoding="utf-8"))
    page = html.unescape(re.sub(r"<[^>]+>", " ", data_path.with_suffix(".html").read_text()))
    return {
        "terminal": " ".join(stderr.split()),
        "json": data["card_release"]["text"],
        "html": " ".join(page.split()),
        "pdf": " ".join(pdf_words(poppler, data_path.with_suffix(".pdf")).split()),
    }


def _bare(texts: dict[str, str]) -> dict[str, list[str]]:
    return {
        where: [text[max(0, m.start() - 60) : m.end() + 20] for m in BARE.finditer(text)]
        for where, text in texts.items()
        if BARE.search(text)
    }


def test_every_count_has_its_thousands_separator(tmp_path: Path, poppler: dict[str, str]) -> None:
    card = tmp_path / "A001"
    (card / "DATA").mkdir(parents=True)
    for index in range(FILES):
        (card / "DATA" / f"f{index:05d}.bin").write_bytes(os.urandom(32))
    first, second, third = (tmp_path / name for name in ("D1", "D2", "D3"))
    for folder in (first, second, third):
        folder.mkdir()
    transfer = tmp_path / "r-transfer"
    done = run_offload(
        "copy", "--verify", "transfer", "--report-dir", transfer, card, first, second
    )
    assert done.returncode == 0, done.stderr
    texts = _texts(transfer, done.stderr, poppler)
    assert "≈ COPIED, TRANSFER-CHECKED ONLY: 4,200 of 4,200 copies" in texts["html"], texts
    assert not _bare(texts), _bare(texts)
    # Half the card recorded again under the same names: refused on the first destination.
    for index in range(FILES // 2):
        (card / "DATA" / f"f{index:05d}.bin").write_bytes(os.urandom(32))
    again = tmp_path / "r-again"
    done = run_offload("copy", "--report-dir", again, card, first, third)
    assert done.returncode == 1, done.stderr
    texts = _texts(again, done.stderr, poppler)
    assert (
        "NOT ALL VERIFIED: 1,050 of 2,100 files failed on 1 destination (listed below); "
        "1,050 are verified on every destination"
    ) in texts["terminal"], texts["terminal"]
    assert "1,050 copies failed" in texts["json"], texts["json"]
    assert not _bare(texts), _bare(texts)
