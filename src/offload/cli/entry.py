"""The ``offload`` command's entry point (the console script, and ``python -m offload``):
``offload.cli.offload``'s ``main``. A module of its own so that the installed script's target
stays the same whatever the command's module imports."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    import argparse

    from offload.report.worker import DocumentWorker


#: ``offload copy``'s line when Ctrl-C stopped it before its copy (stderr, after ``ERROR:``,
#: and the ``--json`` stream's ``offload_refused`` line). Only what is sure: no file of the
#: card was copied (a preflight probe interrupted between its create and its delete could be
#: left).
CANCELLED_BEFORE_COPY = "cancelled before the copy started: nothing was copied"

#: Each other command's line (stderr, after ``ERROR:``) when Ctrl-C stopped it while it
#: loaded: what it had not done yet, by what it does; ``CANCELLED_AT_START`` for any other
#: command line (``offload`` alone, an unknown command).
CANCELLED_BEFORE = {
    "copy": CANCELLED_BEFORE_COPY,
    "verify": "cancelled before the check started: nothing was verified",
    "history": "cancelled before the reports were read: nothing listed",
    "report": "cancelled before the documents were made: nothing was written",
    "bench": "cancelled before the benchmark started: nothing was measured",
}
CANCELLED_AT_START = "cancelled before the command started: nothing was done"


def main(argv: Sequence[str] | None = None, *, own_process: bool = False) -> int:
    """The ``offload`` command: spawns ``offload copy``'s report worker, loads the command
    and runs it. Every command's modules load here, in one place (``_load``, then the
    command's module): ``offload copy``'s with its parser, any other command's with the
    parser of every command, which imports them all (``parser.build_parser``), handed to the
    command built.
    *own_process*: the process is this command's alone (the console script, ``python -m
    offload``), so the command's modules are loaded with the cyclic collector off and then
    frozen, and a Ctrl-C meanwhile is acted on once they are loaded (``_loading``: one
    ``ERROR:`` line saying what was not done, exit 130), and the code ``dataclasses``,
    ``namedtuple`` and ``typing`` generate is served from the user's cache of it
    (``generated_code.py``) until ``main`` returns; a caller's own process (tests, a
    library user) keeps its collector, its signal handlers and its built-ins as they were,
    and no cache is read or written."""
    words = list(sys.argv[1:] if argv is None else argv)
    began = time.time()  # a Ctrl-C while loading records the attempt from here
    if own_process:  # a terminal's reader gone (``2>&1 | head``) ends no command
        from offload.cli.reader_gone import standard_streams_open, stderr_reader_may_go

        standard_streams_open()  # >&-, 2>&-: on /dev/null, never None, the loss said
        stderr_reader_may_go()
    worker = None
    loaded = None
    whole = False  # the command's module imported whole
    loading = _loading(own_process)
    with contextlib.ExitStack() as code_cache:
        try:
            with loading:
                if own_process:  # opened here: a Ctrl-C while its file loads is recorded too
                    from offload.cli.generated_code import generated_code_cache

                    code_cache.enter_context(generated_code_cache("command"))
                worker = _report_worker(words, own_process=own_process)
                loaded = _load(words)
                from offload.cli.offload import main as command

                whole = True
        except (KeyboardInterrupt, RuntimeError) as exc:
            if not interrupted(exc):
                raise
            loading.interrupted = True
        if loading.interrupted:
            # Ctrl-C while the command loads: nothing was done yet.
            if worker is not None:
                worker.close()
            if whole and loaded is not None and loaded[0] is not None:
                # An ``offload copy`` parsed and its module whole: its attempt recorded
                # (``offload history``), as a Ctrl-C during its planning records it.
                from offload.cli.offload import record_cancel_while_loading

                record_cancel_while_loading(loaded[0], began)
            return cancelled_at_start(
                sys.stdout,
                sys.stderr,
                command=words[0] if words else None,
                as_json="--json" in words,
                hold=own_process,
                keep=own_process,
            )
        assert loaded is not None, "loading ended neither interrupted nor loaded"
        parsed, parser = loaded
        return command(
            words, report_worker=worker, parsed=parsed, parser=parser, own_process=own_process
        )


def _load(
    words: list[str],
) -> tuple[argparse.Namespace | None, argparse.ArgumentParser | None]:
    """What the command line *words* needs before its command's module loads (``main``
    calls this under ``_loading``, then imports that module, ``offload.cli.offload``, under
    the same guard: the one place a command loads): for ``offload copy`` its arguments
    parsed and its card's first files asked for (``_copy_arguments``, ``_read_card_ahead``);
    for any other command line the parser of every command, which imports each command's
    module (``verify_cmd``, ``history_cmd``, ``report.cli``, ``bench.cli`` and what they
    import: most of those commands' start-up). Returns ``(parsed, parser)``: ``offload
    copy``'s arguments parsed, and the other command lines' parser, either None. Before,
    those loaded after the guard, when ``main`` built its parser: a Ctrl-C then was a
    KeyboardInterrupt traceback and a process killed by the signal."""
    parsed = _copy_arguments(words)
    if parsed is not None:
        _read_card_ahead(parsed)
    parser = None
    if words[:1] != ["copy"]:
        from offload.cli.parser import build_parser

        parser = build_parser()
    return parsed, parser


class _loading:
    """The command's modules loaded with the cyclic collector off, then frozen: loading
    them makes ~12,500 objects the collector tracks (classes, functions, the dataclasses'
    compiled methods) that live as long as the process and hold no garbage, yet the
    collector ran over them ~30 times while they loaded (~7 ms of a 200-file card's
    start-up at a load of 3) and again in every later collection of the oldest
    generation. ``gc.freeze`` moves them out of its reach (never collected: they are the
    program). The collector is on again once they are loaded, also when loading fails or
    is interrupted (docs/performance.md, "Fixed cost: eighth pass").

    A Ctrl-C while they load is recorded (``interrupted``), not raised: the
    KeyboardInterrupt Python raises where the signal lands is dropped ("Exception ignored")
    when that is a finaliser or a weakref callback, importlib's module locks' among them,
    and the command then went on to copy. ``main`` acts on it once loading is over (the
    handler Python had is back by then). Only where SIGINT had Python's own handler (a
    SIGINT the shell made ignored stays ignored).

    Not in a process of someone else's (*own* False): nothing changes there."""

    __slots__ = ("_handler", "_own", "_was_enabled", "interrupted")

    def __init__(self, own: bool) -> None:
        self._own = own
        self._was_enabled = False
        self._handler: object = None  # SIGINT's handler before, when replaced
        self.interrupted = False  # a Ctrl-C came while loading

    def __enter__(self) -> None:
        if not self._own:
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._handler = signal.signal(signal.SIGINT, self._record)

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if not self._own:
            return
        if self._handler is not None:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self._handler = None
        if kind is None:
            gc.freeze()
        if self._was_enabled:
            gc.enable()

    def _record(self, signum: int, frame: object) -> None:
        self.interrupted = True


def interrupted(exc: BaseException) -> bool:
    """Whether *exc* is a Ctrl-C: a KeyboardInterrupt, or an error Python raised because of
    one (a KeyboardInterrupt raised while a class body was being set up, in a descriptor's
    ``__set_name__`` such as a dataclass field's, reaches the caller as a RuntimeError whose
    cause it is)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def cancelled_at_start(
    stdout: TextIO,
    stderr: TextIO,
    *,
    command: str | None,
    as_json: bool,
    hold: bool = False,
    keep: bool = False,
) -> int:
    """Ctrl-C before *command* (the command line's first word) did anything (loading,
    parsing; ``offload copy``: its scan and preflight too): one ``ERROR:`` line on stderr
    saying what was not done (``CANCELLED_BEFORE``), and for ``offload copy --json`` the
    stream's last line, ``offload_refused`` with exit code 130 (docs/json.md). Returns 130.
    *hold*: a further signal while they are written is recorded and named, never a
    traceback (``final_signals.holding``; *keep*: to the process's exit, its own).
    Only the standard library here: the command's own modules may be half loaded."""
    from offload.cli.final_signals import holding

    copy = command == "copy"
    what = "the offload_refused line" if copy and as_json else "the line saying so"
    with holding(f"while {what} was written", keep=keep) if hold else contextlib.nullcontext():
        return _say_cancelled_at_start(stdout, stderr, command=command, as_json=as_json)


def _say_cancelled_at_start(
    stdout: TextIO, stderr: TextIO, *, command: str | None, as_json: bool
) -> int:
    message = CANCELLED_BEFORE.get(command or "", CANCELLED_AT_START)
    try:
        print(f"ERROR: {message}", file=stderr, flush=True)
        if command == "copy" and as_json:
            import json
            import time

            payload = {
                "event": "offload_refused",
                "time": round(time.time(), 3),
                "exit_code": 130,
                "message": message,
                "errors": [],
                "warnings": [],
            }
            stdout.write(json.dumps(payload, ensure_ascii=False, allow_nan=False) + "\n")
            stdout.flush()
    except (OSError, ValueError):  # a reader that went away
        pass
    return 130


def _report_worker(words: list[str], *, own_process: bool) -> DocumentWorker | None:
    """For what looks like an ``offload copy`` that will write its reports, its report
    worker (``report/worker.py``), spawned before the command imports anything: the
    worker's interpreter and imports (~0.1 s of CPU) then run on the other core while the
    command loads, not while it copies. The command closes it if it turns out unused (a
    usage error, a card too large for it). Spawned by the command's own process
    (*own_process*), it uses the cache of generated code too (``generated_code.py``)."""
    if words[:1] != ["copy"] or {"--dry-run", "-h", "--help"} & set(words):
        return None
    from offload.report.worker import DocumentWorker

    return DocumentWorker.start(code_cache=own_process)


def _copy_arguments(words: list[str]) -> argparse.Namespace | None:
    """What looks like an ``offload copy`` that will copy (as ``_report_worker``), parsed by
    the command's own parser (``cli/parser.py``) before the command's modules load; the
    command takes the result as it is (``main``'s *parsed*). None for anything else, and
    for a command line the parser refuses: the command parses it again and says what is
    wrong."""
    if words[:1] != ["copy"] or {"--dry-run", "-h", "--help"} & set(words):
        return None
    from offload.cli.parser import build_parser
    from offload.errors import UsageError

    try:
        return build_parser(copy_only=True).parse_args(words)
    except (UsageError, SystemExit):
        return None


def _read_card_ahead(args: argparse.Namespace) -> int:
    """The card's first small files asked of its disk (``fs/readahead.py``) before the
    command's modules load: the disk reads them meanwhile, and the job finds them in the
    page cache instead of waiting for them (docs/performance.md, "Fixed cost: seventeenth
    pass"). Not for a re-run, which may need nothing of the card: a copy root holding an
    earlier run's state (its ``.offload`` folder); not with a read block the command will
    refuse. Returns how many files were asked for."""
    from offload.cli.common import engine_arguments
    from offload.fs.readahead import read_ahead
    from offload.options import CopyOptions
    from offload.state_names import STATE_FOLDER

    try:
        block = CopyOptions(**engine_arguments(args)).chunk_size
    except ValueError:
        return 0
    name = os.path.basename(os.path.abspath(args.source))
    for destination in [*args.destinations, *args.cascade_to]:
        root = destination if args.into else os.path.join(destination, name)
        if os.path.lexists(os.path.join(root, STATE_FOLDER)):
            return 0
    return read_ahead(args.source, below=block)


def entry_point() -> NoReturn:
    _exit(main(own_process=True))


def _exit(code: int) -> NoReturn:
    """End the process with *code* once ``main`` has returned: the exit handlers run, stdout
    and stderr are flushed, then the process ends without the interpreter's teardown, which
    only frees memory (every module's objects: ~10 ms after a 200-file card, more after a
    larger one; docs/performance.md, "Fixed cost: fifth pass"). Every report, manifest and
    copy is written, durable and closed before ``main`` returns. When another thread still
    runs (the interpreter would wait for it), or a stream cannot be flushed (its error is
    the interpreter's to report), the ordinary exit."""
    import threading

    from offload.cli.final_signals import say_at_exit

    if threading.active_count() == 1:
        atexit._run_exitfuncs()  # what the interpreter runs first at its exit (and clears)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            say_at_exit()
            sys.exit(code)
        say_at_exit()  # a signal since the outcome was stated: named, then none delivered
        os._exit(code)
    say_at_exit()
    sys.exit(code)
