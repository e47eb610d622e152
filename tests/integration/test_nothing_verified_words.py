"""A destination where nothing of the card is verified gets no ASC MHL generation, and no
word of the run says it has one.

``manifests_writer`` returns before writing (or carrying the card's history) where no copy
of the card is verified, and the copy root's tree is then not judged again (each link
stands as no history holds it). The card here carries its own history and a dangling link;
one destination takes it, the other refuses every clip (another file at each name). The
words about manifests (the link's warning that "the manifest there ignores it", the
summary's line on where the card's history was carried, the JSON's symlink records, the
HTML) must name the first destination alone."""

from __future__ import annotations

import os
import re
from functools import partial
from pathlib import Path

from support.ascmhl_judge import AscmhlJudge
from support.offload_cli import card_with_history, newest_report, run_offload

run = partial(run_offload, columns=400, timeout_s=120)

IGNORES_IT = "the manifest there ignores it"


def test_a_destination_where_nothing_is_verified_is_said_to_have_no_manifest(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    card = card_with_history(tmp_path, {"C001.mov": 30_000, "C002.mov": 20_000})
    (card / "CLIPS" / "gone.mov").symlink_to("nothing-here.mov")  # dangling
    good, refused = tmp_path / "good", tmp_path / "refused"
    good.mkdir()
    (refused / "A001" / "CLIPS").mkdir(parents=True)
    for name, size in (("C001.mov", 30_000), ("C002.mov", 20_000)):
        # another file of its size and date at each name: taken for a copy of the card's
        # until read back, then refused, unlike the card's. Its date is the card file's own:
        # written "now", it was the card's only while the card's copy above took less than
        # the 2 s a date may differ by (``ledger.DATE_SLACK_NS``); slower (a loaded machine),
        # the plan refused it as another card's file and nothing was copied anywhere.
        other = refused / "A001" / "CLIPS" / name
        other.write_bytes(os.urandom(size))
        mtime_ns = (card / "CLIPS" / name).stat().st_mtime_ns
        os.utime(other, ns=(mtime_ns, mtime_ns))
    reports = tmp_path / "reports"

    done = run("copy", "--report-dir", reports, card, good, refused, cwd=tmp_path)

    assert done.returncode != 0, done.stdout + done.stderr
    assert (good / "A001" / "ascmhl" / "ascmhl_chain.xml").is_file()
    assert not (refused / "A001" / "ascmhl").exists()
    assert judge.verify(good / "A001").clean
    said = done.stdout + done.stderr
    # The link's warning: on the destination with a generation, never on the other.
    assert f"symlink CLIPS/gone.mov on {good / 'A001'}: " in said
    link_lines = [line for line in said.splitlines() if "CLIPS/gone.mov" in line]
    assert not [line for line in link_lines if str(refused) in line and IGNORES_IT in line]
    # The card's history: carried into the first alone, the other named with why.
    assert f"not into {refused} (nothing of the card verified there)" in said, said
    for line in said.splitlines():
        if str(refused) in line and "manifest" in line.lower():
            assert "nothing of the card verified there" in line, line
    # The JSON report: the link stands on both, recorded as ignored by the first alone.
    report = newest_report(reports)
    links = {s["destination_index"]: s for s in report["symlinks"]}
    assert links[0]["manifest"] == "ignored"
    assert links[1]["manifest"] is None and links[1]["manifest_note"] is None, links[1]
    assert not [
        w for w in report["warnings"] if str(refused) in w["message"] and IGNORES_IT in w["message"]
    ]
    assert all(d["files_verified"] == 0 for d in report["destinations"][1:])
    # The HTML says the link is ignored by a manifest for the first destination alone.
    (html,) = reports.glob("*.html")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.read_text()))
    assert text.count(IGNORES_IT) == 1, text
    assert "(destination 1)" in text.split(IGNORES_IT)[0][-200:]
