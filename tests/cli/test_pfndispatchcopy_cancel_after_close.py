"""``pfndispatchcopy -v``'s cancel line (review of stop65, L1): once the copy's progress is
closed (the copy ended; its outcome's lines, the hash line a host parses, follow), a late
signal's ``INFO: cancelling`` line is not written; before, ``cancelling`` ignored ``close``
and a late thread's line could land among the outcome's. The line itself says what a cancel
does, not that partial files are removed (a Ctrl-C during the final publish cancels
nothing)."""

from __future__ import annotations

import io

from offload.cli.common import Environment
from offload.cli.pfndispatchcopy import _VerboseProgress


def test_no_cancel_line_once_closed() -> None:
    out = io.StringIO()
    progress = _VerboseProgress(Environment(stdout=out, stderr=io.StringIO()), 10, "/src/a")
    progress.close()
    progress.cancelling("Ctrl-C")
    assert out.getvalue() == ""


def test_the_cancel_line_is_one_line_saying_what_a_cancel_does() -> None:
    out = io.StringIO()
    progress = _VerboseProgress(Environment(stdout=out, stderr=io.StringIO()), 10, "/src/a")
    progress.cancelling("Ctrl-C")
    progress.cancelling("Ctrl-C")  # said once
    progress.close()
    assert out.getvalue() == (
        "INFO: cancelling (Ctrl-C): a copy not yet verified is cancelled and its partial file "
        "removed before the run ends\n"
    )
