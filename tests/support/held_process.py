"""A real ``offload`` child process sent real signals while something holds it in a call
(a FaultyFS stall rule, a proxy's held request): ``start`` runs it with text pipes,
``signal_while_held`` waits for the hold, sends the signals, and always lets the hold go,
so that the test then reads what the process wrote with ``communicate``."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any


def start(
    command: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[Any] = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """*command* as a child process, its stderr (and by default its stdout) a text pipe."""
    return subprocess.Popen(
        [str(part) for part in command],
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


def signal_while_held(
    process: subprocess.Popen[str],
    *signals: int,
    wait_held: Callable[[], object],
    release: Callable[[], object],
    pause_s: float = 0.3,
) -> None:
    """Call *wait_held* (it returns once the process is held, or raises), send each of
    *signals* in turn with *pause_s* after each, then call *release*, whatever was raised."""
    try:
        wait_held()
        for number in signals:
            process.send_signal(number)
            if pause_s:
                time.sleep(pause_s)
    finally:
        release()


def line_starting(stream: IO[str], prefix: str) -> str:
    """The first line *stream* gives that starts with *prefix*, read as the process writes it
    (so while what holds it still does); "" if the stream ends first."""
    line = stream.readline()
    while line and not line.startswith(prefix):
        line = stream.readline()
    return line
