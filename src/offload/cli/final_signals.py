"""A signal that comes once a command's outcome is stated, up to the process's exit: never a
stop, never silent.

Contract:

* ``holding(words)``: SIGINT, SIGTERM and SIGHUP are recorded, not acted on, while the block
  writes an outcome that must go out whole (``offload copy --json``'s ``offload_refused``
  line, its ``ERROR:`` line): the block's output is never cut short by a traceback, and the
  exit code stays the one it states. A signal inherited as ignored stays ignored. After the
  block, a recorded signal is named in one ``WARNING:`` line (*words*: what it came during).
  With ``keep`` the recording handler stays to the process's exit (``register``), so a
  signal after the block is said there too instead of landing in the exit as a
  KeyboardInterrupt or SIGTERM's default.
* ``register(handler, last_words)``: a command of the process's own whose handler stays to
  its exit (``SignalsAfterCopy.kept``, ``offload verify``'s and ``pfndispatchcopy``'s) hands
  over what records a signal and what names the ones not yet said (one line, or None).
* ``say_at_exit()``: called by the entry point as the very last thing before the process
  ends (its output flushed): it blocks the signals, so none can be delivered any more; gives
  the handler those that came meanwhile (``sigpending``: blocked, they wait) and prints the
  registered command's last line, if any, straight to descriptor 2. A signal after that
  call is one that came as the process ended: it has nothing left to stop or be told to
  (blocked, it is discarded by the exit), which is the one window no program can close.

Standard library only: the entry point calls it when the command's own modules may be half
loaded (``entry.cancelled_at_start``)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

from offload.fs.whole import write_all

#: The signals a command takes while it works: Ctrl-C (SIGINT), ``kill`` (SIGTERM), and the
#: hang-up of its terminal (SIGHUP: the window closed, the ssh connection dropped).
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

#: How a line names each of them: the one that came, never "Ctrl-C (or SIGTERM)" for a
#: closed terminal (every command's lines: ``common.signal_words``).
SIGNAL_WORDS: dict[int, str] = {
    signal.SIGINT: "Ctrl-C",
    signal.SIGTERM: "SIGTERM",
    signal.SIGHUP: "SIGHUP (the terminal closed)",
}

# The registered command's (handler, last_words), or None.
_registered: tuple[Callable[[int, object], None], Callable[[], str | None]] | None = None


def register(handler: Callable[[int, object], None], last_words: Callable[[], str | None]) -> None:
    """What records a signal and names those not yet said, for ``say_at_exit``."""
    global _registered
    _registered = (handler, last_words)


def unregister() -> None:
    global _registered
    _registered = None


class _Recorder:
    """The signals that came while ``holding``, in order, and how many were said."""

    __slots__ = ("came", "said", "words")

    def __init__(self, words: str) -> None:
        self.came: list[int] = []
        self.said = 0
        self.words = words

    def handler(self, signum: int, frame: object) -> None:
        self.came.append(signum)

    def last_words(self) -> str | None:
        """The line naming the signals not yet said (each once), or None."""
        fresh = self.came[self.said :]
        self.said = len(self.came)
        if not fresh:
            return None
        names = " and ".join(dict.fromkeys(SIGNAL_WORDS.get(s, f"signal {s}") for s in fresh))
        return (
            f"{names} came {self.words}: it was written whole, and the exit code is the one it "
            "gives"
        )


def _warn(line: str) -> None:
    """``WARNING: line`` on descriptor 2, written whole; a terminal that hung up, or a
    reader gone, drops it."""
    data = f"WARNING: {line}\n".encode("utf-8", "replace")
    with contextlib.suppress(OSError):
        write_all(2, data)


@contextlib.contextmanager
def holding(
    words: str, *, keep: bool = False, warn: Callable[[str], None] | None = None
) -> Iterator[_Recorder]:
    """Record SIGINT, SIGTERM and SIGHUP while the block runs (*words*: "while the ...
    was written"), then name them in one line (*warn*: how a ``WARNING:`` line is printed;
    by default straight to descriptor 2). *keep*: the process is the command's own and ends
    next: the handler stays and is ``register``-ed (said "once" instead of "while" at the
    exit). Only from the main thread (elsewhere: nothing changes)."""
    recorder = _Recorder(words)
    if threading.current_thread() is not threading.main_thread():
        yield recorder
        return
    replaced = {}
    for number in HANDLED_SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            replaced[number] = signal.signal(number, recorder.handler)
    try:
        yield recorder
    finally:
        if not keep:
            for number, old in replaced.items():
                signal.signal(number, old)
        line = recorder.last_words()
        if line is not None:
            with contextlib.suppress(OSError, ValueError):  # a terminal gone, a reader gone
                (warn or _warn)(line)
        if keep:
            recorder.words = recorder.words.replace("while", "once", 1)
            register(recorder.handler, recorder.last_words)


def say_at_exit() -> None:
    """Block the handled signals for the rest of the process, and name in one line any the
    registered command recorded and has not said yet (those pending once blocked
    included). Nothing without a registered command. Main thread only."""
    if _registered is None or threading.current_thread() is not threading.main_thread():
        return
    handler, last_words = _registered
    # Python runs the handlers of signals that came before the block as this returns.
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
    for number in sorted(signal.sigpending() & set(HANDLED_SIGNALS)):
        handler(number, None)
    line = last_words()
    if line is not None:
        _warn(line)
