"""``--keep-both`` copying a card file beside another file at its name: every report says
where the new copy went, as the terminal's ``KEPT BOTH:`` line does.

Before: the terminal said it; the HTML and PDF listed the JSON's ``existing-kept-beside``
message among the other warnings, unmarked, and the file's row said "Verified now" as for a
copy at its own name (where the destination holds the other file); ``offload history``
said nothing of it. Real files, the real CLI, the HTML in headless Chromium, the PDF
through pdftotext.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from report.helpers import (
    OTHER_TOOLS_BYTES,
    Browser,
    copy_over_other_tools_file,
    offload_cli,
    pdf_words,
)

CODE = "existing-kept-beside"
ROW = "under another name, beside the file kept at its name (--keep-both)"


def test_the_copies_keep_both_wrote_beside_are_named_in_every_report(
    tmp_path: Path, browser: Browser, poppler: dict[str, str]
) -> None:
    card, theirs, reports, argv = copy_over_other_tools_file(tmp_path, "--keep-both")
    beside = theirs.with_name("C001 (1).mov")
    code, out, err = offload_cli(argv)
    assert code == 0, out + err
    assert theirs.read_bytes() == OTHER_TOOLS_BYTES
    assert beside.read_bytes() == (card / "CLIPS" / "C001.mov").read_bytes()
    (line,) = [text for text in (out + err).splitlines() if text.startswith("KEPT BOTH: ")]
    said = line.removeprefix("KEPT BOTH: ")
    assert f"CLIPS/C001.mov as {beside}" in said, said

    (local,) = reports.glob("*.json")
    data: dict[str, Any] = json.loads(local.read_text())
    (warning,) = [w for w in data["warnings"] if w["code"] == CODE]
    assert warning["message"] == said

    page = browser.open(local.with_suffix(".html"))
    assert page.errors == []
    text = " ".join(page.text.split())
    assert f"KEPT BOTH: {said}" in text, text[:3000]
    assert f"Verified now; {ROW}" in text, text
    assert text.count(ROW) == 1, text  # C002.mov's copy is at its own name
    flat = pdf_words(poppler, local.with_suffix(".pdf"))
    assert "KEPT BOTH: 1 card file copied to" in flat, flat[:3000]
    assert "--keep-both): CLIPS/C001.mov as" in flat, flat[:3000]
    assert ROW.split(", ")[0] in flat, flat

    code, out, err = offload_cli(["history", "--json", "--report-dir", str(reports)])
    assert code == 0, err
    (run,) = json.loads(out)
    assert run["result"] == "verified, 1 copy written beside a file kept at its name (--keep-both)"
    code, out, err = offload_cli(["history", "--report-dir", str(reports)])
    assert code == 0, err
    assert "--keep-both" in " ".join(out.split()), out
