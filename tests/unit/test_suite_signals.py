"""The processes the tests start take SIGINT, however pytest itself was started.

A non-interactive shell's ``pytest ... &`` starts pytest with SIGINT ignored; every process a
test starts inherited that, and ``offload`` keeps a SIGINT inherited as ignored ignored (as a
user's ``offload copy ... &`` must), so each test sending a Ctrl-C saw the copy run to its end.
tests/conftest.py gives the test process Python's default handler back.
"""

from __future__ import annotations

import signal
import subprocess
import sys


def test_a_process_a_test_starts_does_not_inherit_sigint_ignored() -> None:
    """Failed before under ``pytest ... &`` from a script (``SIG_IGN`` printed)."""
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
    child = subprocess.run(
        [sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert child.stdout.strip() == str(signal.default_int_handler), child.stdout
