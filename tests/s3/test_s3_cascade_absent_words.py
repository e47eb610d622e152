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


def test_a_resumed_cascade_without_its_card_says_how_the_fast_copy_was_read(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, cards
) -> None:
    card = cards / "C1"  # apart from the fast copy: one beside it releases nothing
    (card / "X").mkdir(parents=True)
    for index in range(6):
        (card / "X" / f"a{index}.mov").write_bytes(os.urandom(3_000_000 + index))
    local = tmp_path / "L 1"  # a space: the suggested command quotes it
    local.mkdir()
    reports = tmp_path / "reports"
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
    (said,) = [line for line in again.stderr.splitlines() if line.startswith("The card (")]
    source = local / "C1"
    assert f"this run read its fast copy {source} again now" in said, said
    assert "not read back now" not in said and "--reverify" not in said, said
    assert "6 of 6 files verified only by an earlier run" in said, said
    assert "this run read it again only as its source" in said, said
    assert f"`offload verify {shlex.quote(str(source))}` reads it back" in said, said
    # Pasted into bash, that word is the fast copy (before: unquoted, two words).
    (word,) = re.findall(r"`offload verify ('[^']*')` reads it back", said)
    pasted = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert pasted.stdout == os.fsencode(source), said
    # The job report says the same.
    (report,) = set(reports.glob("*.json")) - before
    release = json.loads(report.read_text())["card_release"]
    assert "this run read it again only as its source" in json.dumps(release), release
    assert "not read back now" not in json.dumps(release), release
