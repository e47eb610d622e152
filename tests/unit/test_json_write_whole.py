"""``json_text.write_whole``: a JSON document or line written to a pipe while a signal comes
reaches its reader whole. A real child process, a real pipe shrunk to one page and held
full, a real SIGTERM whose handler returns (as ``offload``'s do once a signal is only
recorded). Python's own buffered write dropped the rest of the text there (the first case
shows it still does, so the second is no test that cannot fail)."""

from __future__ import annotations

import fcntl
import signal
import subprocess
import sys
import termios
import time

import pytest

F_SETPIPE_SZ = 1031
WHOLE = ("[" + ",".join(['"' + "x" * 98 + '"'] * 200) + "]\n").encode()  # the child's text
CHILD = """
import signal, sys
from offload.json_text import write_whole
signal.signal(signal.SIGTERM, lambda *_: None)
text = "[" + ",".join(['"' + "x" * 98 + '"'] * 200) + "]\\n"
if sys.argv[1] == "print":
    print(text, end="", flush=True)
else:
    write_whole(sys.stdout, text)
"""


def _written_while_signalled(how: str) -> bytes:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, how], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        reader = child.stdout.fileno()
        page = fcntl.fcntl(reader, F_SETPIPE_SZ, 4096)
        deadline = time.monotonic() + 20
        while fcntl.ioctl(reader, termios.FIONREAD, b"\0\0\0\0") != page.to_bytes(4, "little"):
            assert child.poll() is None and time.monotonic() < deadline, child.stderr
            time.sleep(0.01)
        child.send_signal(signal.SIGTERM)  # held in its write: the pipe is full
        time.sleep(0.2)
        out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    return out


@pytest.mark.timeout(60)
def test_python_print_drops_the_rest_of_a_write_a_signal_interrupts() -> None:
    out = _written_while_signalled("print")
    assert len(out) < len(WHOLE), len(out)


@pytest.mark.timeout(60)
def test_write_whole_writes_every_byte_through_a_signal() -> None:
    out = _written_while_signalled("whole")
    assert out == WHOLE, len(out)
