"""A fifo (socket, device node) on a card offloaded to buckets alone is named, as it is beside
a local destination: the card's findings are the card's, whatever the destinations. Failed
before: with every destination ``s3://`` the preflight left the card's findings out (they
were counted as what a local copy holds), so the fifo was skipped without a word: exit 0, no
warning on the terminal, in the report's ``warnings``, in ``--json`` or in ``--dry-run``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from s3.test_s3_cli import make_card, offload

WORDS = "'CLIPS/fifo' is a fifo, not a file: it will not be copied"


def _card(tmp: Path) -> Path:
    card = make_card(tmp, {"CLIPS/a.mov": 2})
    os.mkfifo(card / "CLIPS" / "fifo")
    return card


def test_a_fifo_on_a_card_offloaded_to_buckets_alone_is_named(s3_server, bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
    card = _card(tmp_path)
    url = f"s3://{bucket}/day9"
    code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "--dry-run", str(card), url)
    assert code == 0, err
    assert f"WARNING: {WORDS}" in out + err, out + err
    code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    assert f"WARNING: {WORDS}" in err, err
    (report,) = [json.loads(p.read_text()) for p in (tmp_path / "reports").glob("*.json")]
    assert [w["message"] for w in report["warnings"] if w["code"] == "special-file-skipped"] == [
        WORDS
    ], report["warnings"]
    code, out, err = offload(tmp_path, "--s3-endpoint", s3_server.url, "--json", str(card), url)
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["message"] for e in events if e.get("code") == "special-file-skipped"] == [WORDS]
