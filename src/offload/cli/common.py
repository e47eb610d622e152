"""What every CLI shares: signal handling, the environment, error printing."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from offload.engine.cancel import CancelToken


def default_report_dir() -> Path:
    """Local reports: $OFFLOAD_REPORT_DIR, else $XDG_STATE_HOME/offload-ai/reports."""
    if os.environ.get("OFFLOAD_REPORT_DIR"):
        return Path(os.environ["OFFLOAD_REPORT_DIR"])
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(state) / "offload-ai" / "reports"


@dataclass
class Environment:
    """Injectable I/O for CLI entry points (tests pass StringIO streams)."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    install_signal_handlers: bool = True

    def error(self, message: str) -> None:
        print(f"ERROR: {message}", file=self.stderr, flush=True)

    def warning(self, message: str) -> None:
        print(f"WARNING: {message}", file=self.stderr, flush=True)


@contextlib.contextmanager
def cancel_on_signals(env: Environment, cancel: CancelToken) -> Iterator[None]:
    """SIGINT/SIGTERM set the cancel token instead of raising; restored on exit.

    A second SIGINT while cancelling is ignored: cleaning up the partial files must finish.
    Only installs handlers when called from the main thread and the environment allows it.
    """
    import threading

    if not env.install_signal_handlers or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        cancel.cancel()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
