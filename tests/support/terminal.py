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
from typing import Any

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
    wrapped: frozenset[int] = frozenset()  # the rows whose line the terminal wrapped on

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
        """*lines*, each line the terminal wrapped at its width read whole: its rows joined
        (``wrapped``, as the terminal did it, so a line exactly as wide as the terminal is
        one line, not joined with the next). A test reading a line that names a path (as
        long as the test folder's) reads it here, never as one row: a longer base folder
        wraps it. Rich's own word-wrapping (at a space) is not the terminal's: see
        ``holds``."""
        whole: list[str] = []
        carried = ""
        for row, text in enumerate(self.lines):
            if row in self.wrapped:
                carried += self.rows[row]  # every cell of it is the line's
                continue
            whole.append(carried + text)
            carried = ""
        if carried:
            whole.append(carried.rstrip())
        return whole

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


def holds(shown: str, text: str) -> bool:
    """Whether *shown* (what a terminal or a console showed) holds *text* wherever either
    wrapped, compared with every blank left out: rich word-wraps a line itself, at a space
    (which becomes a line break: not the terminal's wrap, ``TerminalRun.whole_lines`` keeps
    the rows apart), and folds a word longer than the width (a path) anywhere."""
    return "".join(text.split()) in "".join(shown.split())


class _Screen(pyte.Screen):
    """pyte's screen, recording the rows a line ran on from (``wrapped``: the terminal
    wrapped it at its width) as apart from those a newline ended, which a line exactly as
    wide as the terminal looks like on the screen. A row erased to its end, or left by a
    newline, is no longer wrapped. Marks are not moved by scrolling: ``run_on_terminal``'s
    screen is tall enough that nothing scrolls."""

    def __init__(self, columns: int, lines: int) -> None:
        super().__init__(columns, lines)
        self.wrapped: set[int] = set()
        self._drawing = False

    def draw(self, data: str) -> None:
        self._drawing = True  # a line feed meanwhile is the autowrap's
        try:
            super().draw(data)
        finally:
            self._drawing = False

    def linefeed(self) -> None:
        if self._drawing:
            self.wrapped.add(self.cursor.y)
        else:
            self.wrapped.discard(self.cursor.y)
        super().linefeed()

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        if how in (0, 2):  # to the row's end
            self.wrapped.discard(self.cursor.y)
        super().erase_in_line(how, private)

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        rows = {0: range(self.cursor.y, self.lines), 1: range(self.cursor.y)}
        self.wrapped.difference_update(rows.get(how, range(self.lines)))
        super().erase_in_display(how, *args, **kwargs)


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
    screen = _Screen(columns, rows)
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
    return TerminalRun(returncode, list(screen.display), raw, colours, frozenset(screen.wrapped))


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
