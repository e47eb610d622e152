"""The ``offload`` command run in-process, as the CLI tests drive it."""

from __future__ import annotations

import io

from offload.cli.common import Environment
from offload.cli.offload import main


def offload(*argv: str) -> tuple[int, str]:
    """Run ``offload *argv`` in this process: its exit code and its stdout then stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue() + err.getvalue()
