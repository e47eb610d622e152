"""The ``offload`` command on a real pseudo-terminal, read back as a terminal shows it.

The process gets a pty (of a given size) as its stdin, stdout and stderr, so rich draws its
live view with cursor moves and line erases, as for a DIT in a terminal; what it writes is fed
to a VT100 emulator (pyte) and the screen's final text is returned. That is the only way a
test sees what a person sees: a redraw that overwrites a printed line, a line glued to the
frame's last row or a stale frame left behind are invisible in the raw byte stream.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyte

OFFLOAD = str(Path(sys.executable).with_name("offload"))


@dataclass
class TerminalRun:
    """How the command ended and what its terminal showed at the end."""

    returncode: int
    rows: list[str]  # the screen, one string a row of the terminal's width
    raw: bytes = (
        b""  # every byte the command wrote, every frame's (what the screen shows last is *rows*)
    )
    colours: list[list[str]] = field(default_factory=list)  # each cell's foreground, as *rows*

    @property
    def lines(self) -> list[str]:
        """The rows, trailing blanks removed, the blank rows at the bottom left out."""
        lines = [row.rstrip() for row in self.rows]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def whole_lines(self) -> list[str]:
        """*lines*, each line the terminal wrapped at its width read whole (``whole_lines``)."""
        return whole_lines(self.lines, len(self.rows[0]) if self.rows else 0)

    def shows(self, text: str) -> bool:
        """Whether *text* is on the screen, wrapped over rows or not."""
        return text in "".join(self.rows)

    def colour(self, line_holding: str, word: str) -> str:
        """The foreground colour (pyte's name: "red", "green", "default"...) of *word*'s
        first cell on the last row holding *line_holding* and *word*; KeyError if none."""
        for row, text in reversed(list(enumerate(self.rows))):
            if line_holding in text and word in text:
                return self.colours[row][text.index(word)]
        raise KeyError(f"no row holds {line_holding!r} and {word!r}")


def whole_lines(rows: Sequence[str], columns: int) -> list[str]:
    """The lines as written, from the *rows* of a *columns*-wide terminal: a row whose text,
    trailing blanks left out, fills all *columns* ran on into the next row (the terminal
    wraps a plain line there, as rich folds a word longer than the width), so the two are
    one line. A test reading a line that names a path (as long as the test folder's) reads
    it here, never as one row: a longer base folder wraps it. Not joined: a line rich
    word-wrapped at a space (its row stops short of the width). Read as one with the next:
    a line exactly *columns* long."""
    lines: list[str] = []
    carried = ""
    for row in rows:
        if columns > 0 and len(row.rstrip()) >= columns:
            carried += row
            continue
        lines.append(carried + row)
        carried = ""
    if carried:
        lines.append(carried)
    return lines


def holds(shown: str, text: str) -> bool:
    """Whether *shown* (what a terminal or a console showed) holds *text* wherever either
    wrapped, compared with every blank left out: rich word-wraps a line at a space (the
    space then a line break, and a row may end flush with the width: ``whole_lines`` cannot
    tell it from a fold) and folds a path longer than the width anywhere."""
    return "".join(text.split()) in "".join(shown.split())


def _sized_pty(columns: int, rows: int) -> tuple[int, int, dict[str, str]]:
    """A new pty of *columns* × *rows* (its primary and secondary descriptors, the caller's
    to close) and the environment of a command on it: this one's, without what would size
    or colour its output otherwise, as an xterm."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    return primary, secondary, env


def run_on_terminal(
    *argv: str | Path,
    columns: int = 120,
    rows: int = 100,
    interrupt_after: str | Sequence[str] | None = None,
    after_interrupt: Callable[[int], None] | None = None,
    timeout_s: float = 120.0,
    wrapper: Sequence[str] = (),
    interrupt_delay_s: float = 0.0,
) -> TerminalRun:
    """Run ``offload *argv`` on a *columns* × *rows* pty (tall enough that nothing scrolls
    off); *interrupt_after*: send SIGINT (Ctrl-C) once the output holds this text; several
    texts: one SIGINT for each, in turn, each once the output after the previous one's
    SIGINT holds it. *after_interrupt*: called with each SIGINT's index (0 for the first)
    once it is sent (to release a FaultyFS stall that held the command at that step, so a
    step shorter than a frame of the view is still there when the Ctrl-C lands).
    *wrapper*: a command that runs ``offload`` as its one child (``strace ... --``, which
    holds a call of it); the SIGINT then goes to that child, as the terminal's Ctrl-C
    reaches it. *interrupt_delay_s*: how long after its text each SIGINT is sent."""
    primary, secondary, env = _sized_pty(columns, rows)
    process = subprocess.Popen(
        [*wrapper, OFFLOAD, *map(str, argv)],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    seen = b""
    raw = b""
    pending = (
        []
        if interrupt_after is None
        else [interrupt_after]
        if isinstance(interrupt_after, str)
        else list(interrupt_after)
    )
    sent = 0
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.1)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the last holder of the terminal's other end has gone
                break
            if not chunk:
                break
            stream.feed(chunk)
            raw += chunk
            if pending:
                seen += chunk
                if pending[0].encode() in seen:
                    time.sleep(interrupt_delay_s)
                    if wrapper:
                        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
                        [child] = map(int, children.read_text().split())
                        os.kill(child, signal.SIGINT)
                    else:
                        process.send_signal(signal.SIGINT)
                    pending.pop(0)
                    seen = b""
                    if after_interrupt is not None:
                        after_interrupt(sent)
                    sent += 1
        returncode = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(primary)
    colours = [[screen.buffer[y][x].fg for x in range(columns)] for y in range(rows)]
    return TerminalRun(returncode, list(screen.display), raw, colours)


class ControllingTerminal:
    """A command started in its own session with a pty as its controlling terminal, as a
    shell in a terminal window starts it; ``hang_up()`` closes our end, so the kernel hangs
    the terminal up as when the window is closed or the ssh connection drops: SIGHUP to the
    command, and every later write of it to the terminal fails with EIO. Not thread-safe."""

    def __init__(self, argv: Sequence[str | Path], columns: int = 120, rows: int = 40) -> None:
        primary, secondary, env = _sized_pty(columns, rows)
        self.process = subprocess.Popen(
            list(map(str, argv)),
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
            close_fds=True,
            start_new_session=True,
            preexec_fn=_take_controlling_terminal,
        )
        os.close(secondary)
        self._primary: int | None = primary
        self.output = b""

    def drain(self, timeout_s: float = 0.05) -> None:
        """Read what the command wrote within *timeout_s* (a full pty would block it)."""
        assert self._primary is not None
        ready, _, _ = select.select([self._primary], [], [], timeout_s)
        if ready:
            try:
                self.output += os.read(self._primary, 65536)
            except OSError:  # EIO: the command has closed its end
                pass

    def hang_up(self) -> None:
        if self._primary is not None:
            os.close(self._primary)
            self._primary = None

    def close(self) -> None:
        """Hang up, and kill the command if it is still running."""
        self.hang_up()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def _take_controlling_terminal() -> None:
    """In the child, after ``setsid``: its stdin (the pty) becomes its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
