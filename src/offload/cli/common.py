"""What every CLI shares: signal handling, the environment, error printing, and the options
both copy commands take (``-t/--hash``, ``--verify``, ``-b/--block-size``)."""

from __future__ import annotations

import argparse
import contextlib
import enum
import errno
import importlib
import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO

from offload.cli.final_signals import HANDLED_SIGNALS, SIGNAL_WORDS, register
from offload.engine.cancel import CancelToken
from offload.errors import (
    OffloadError,
    UsageError,
    printable_line,
    printable_name,
    printable_text,
    shell_word,
)
from offload.hashing.registry import UnknownHashError, hash_option_help, parse_algorithms
from offload.manifest.layout import ASCMHL_FOLDER
from offload.manifest_options import ManifestOptions, MhlKind
from offload.options import VerifyMode
from offload.state_names import STATE_FOLDER


class UsageParser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` (exit 64, nothing written) for bad input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The help laid out by HelpFormatter (below) unless told otherwise: argparse's own,
        # its width found without shutil.
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see {self.prog} --help)")

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """argparse's, but an option no parser knows points at the help of the command
        given (``offload copy --help``), not of the program: argparse reports it from the
        top parser, after the command's parser took what it knew; and a path that starts
        with ``-`` (``offload copy -A001 DEST``), which argparse takes for an option, is
        named with the two ways to write it (``_dash_path``)."""
        words = list(sys.argv[1:] if args is None else args)
        try:
            parsed, extras = self.parse_known_args(words, namespace)
        except UsageError as error:
            raise UsageError(self._dash_path(words) or error.message) from None
        dashed = self._dash_path(words) if extras else None
        if dashed:
            raise UsageError(dashed)
        command = getattr(parsed, "command", None)
        prog = f"{self.prog} {command}" if isinstance(command, str) else self.prog
        if extras:
            if "" in extras:  # shown as nothing at all by argparse's words
                raise UsageError(f"an argument {_EMPTY_PATH} (see {prog} --help)")
            hint = _repeat_cascade_to(words, extras) or _option_among_destinations(
                words, extras, parsed
            )
            raise UsageError(
                f"unrecognized arguments: {' '.join(extras)}{hint} (see {prog} --help)"
            )
        if getattr(parsed, "cascade_to", None) and isinstance(getattr(parsed, "source", None), str):
            swallowed = swallowed_slow_drive(
                words, parsed.source, parsed.destinations, into=bool(getattr(parsed, "into", False))
            )
            if swallowed:
                raise UsageError(f"{swallowed} (see {prog} --help)")
        return parsed

    def _dash_path(self, words: Sequence[str]) -> str | None:
        """The one line for a command that failed to parse because a path among *words*
        starts with ``-`` (a card folder ``-A001``: argparse takes it for an option, then
        says a path is missing), or None: the first word before ``--`` that no parser here
        knows as an option (nor ``--opt=value``), the only such word, and that names
        something in the current folder (``lstat``), with the command written the two ways
        that work."""
        known = _option_strings(self)
        end = words.index("--") if "--" in words else len(words)
        unknown = [w for w in words[:end] if _unknown_option(w, known)]
        if len(unknown) != 1:
            return None  # none, or another unknown option too: argparse's words name it
        for at, word in enumerate(words):
            if word == "--":
                return None
            if not _unknown_option(word, known):
                continue
            if at and words[at - 1] in _value_options(self):
                # ``--ignore -x.tmp``: the value of the option before it, which argparse
                # will not take when it starts with '-'; neither ./ nor -- gives it there.
                option = words[at - 1]
                joined = [
                    *self.prog.split(),
                    *words[: at - 1],
                    f"{option}={word}",
                    *words[at + 1 :],
                ]
                return (
                    f"{printable_name(word)} is read as an option, not as the value of "
                    f"{option}: write {option}={printable_name(word)} ({_command(joined)}); "
                    "nothing was done"
                )
            # One not there yet (a destination file, ``pfndispatchcopy SRC -x.mov``) is
            # told by a file name's marks, which no option has: a '.' or a '/'.
            there = os.path.lexists(word)
            if not there and "." not in word and "/" not in word:
                continue
            prog = self.prog.split()
            dotted = [*prog, *words[:at], f"./{word}", *words[at + 1 :]]
            later = [w for w in words[at + 1 :] if w.startswith("-")]
            dashed = f" ({_command([*prog, *words[:at], '--', *words[at:]])})" if not later else ""
            named = "names a path here" if there else f"is no option of {self.prog}"
            return (
                f"{printable_name(word)} {named}, but a word starting with '-' is "
                f"read as an option: write ./{printable_name(word)} ({_command(dotted)}), or "
                f"put -- after the options, before the paths{dashed}; nothing was done"
            )
        return None


def _unknown_option(word: str, known: set[str]) -> bool:
    """Whether *word* reads as an option (``-x...``) that none of *known* is: neither it,
    its part before ``=``, nor (``-tmd5``) its first two characters."""
    if len(word) < 2 or word[0] != "-":
        return False
    if word in known or word.split("=", 1)[0] in known:
        return False
    return word[1] == "-" or word[:2] not in known


def _value_options(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of *parser* and its subcommands' parsers that takes a value
    (``--ignore PATTERN``; not a flag, ``nargs`` 0)."""
    known: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                known |= _value_options(sub)
        elif action.option_strings and action.nargs != 0:
            known.update(action.option_strings)
    return known


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string *parser* and its subcommands' parsers know."""
    known: set[str] = set()
    for action in parser._actions:
        known.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                known |= _option_strings(sub)
    return known


def _command(words: Sequence[str]) -> str:
    """*words* as a shell command line, each word as ``errors.shell_word`` writes it."""
    return " ".join(shell_word(word) for word in words)


# An empty path argument ('': a script's unset variable): the operating system would take it
# as the current folder, and a command would copy into, check, or write its files into
# wherever the script runs. Refused by the parser (exit 64), whichever argument it is.
_EMPTY_PATH = (
    "is empty (''): name the path (an unset variable in a script gives this; write . for "
    "the current folder)"
)


def path_text(text: str) -> str:
    """An argparse ``type`` for a path argument kept as text: *text*, or
    ``ArgumentTypeError`` (the parser's UsageError, exit 64) when it is empty."""
    if not text:
        raise argparse.ArgumentTypeError(_EMPTY_PATH)
    return text


def path_value(text: str) -> Path:
    """``path_text`` as a ``Path`` (``Path('')`` is the current folder: never made)."""
    return Path(path_text(text))


def columns_asked(default: int) -> int:
    """The width ``$COLUMNS`` asks for if a positive number, else *default* (unset, 0,
    negative, not a number: rich laid a table out in a width of 0 or less as nothing)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        return default
    return columns if columns > 0 else default


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing ``shutil``: ``$COLUMNS`` if
    a positive number (``columns_asked``), else the width of the terminal on
    ``sys.__stdout__``, else 80."""
    columns = columns_asked(0)
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, its width found as argparse finds it (the terminal's, less 2)
    without ``shutil``: argparse makes a formatter for every option it adds (to check its
    metavar), and its first one imported ``shutil`` (with ``bz2``, ``lzma``, ``fnmatch``:
    ~7 M instructions, ~2 ms of every command's start-up) for that width alone
    (docs/performance.md, "Fixed cost: sixth pass")."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
        **more: Any,
    ) -> None:
        if width is None:
            width = terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width, **more)


def add_hash_option(parser: argparse.ArgumentParser, default: str) -> None:
    """``-t/--hash HASH`` (repeatable, comma lists too); its help names *default*."""
    parser.add_argument(
        "-t", "--hash", action="append", metavar="HASH", help=hash_option_help(default)
    )


def add_verify_option(parser: argparse.ArgumentParser) -> None:
    """``--verify transfer|destination|full`` (default full)."""
    parser.add_argument(
        "--verify",
        choices=[m.value for m in VerifyMode],
        default=VerifyMode.FULL.value,
        help="transfer: in-flight hash + size; destination: + read back every "
        "copy from the media; full (default): + re-read the source",
    )


def add_block_size_option(parser: argparse.ArgumentParser, default_text: str) -> None:
    """``-b/--block-size BYTES``; *default_text* is how the CLI's help writes 8 MiB."""
    parser.add_argument(
        "-b",
        "--block-size",
        type=int,
        metavar="BYTES",
        help=f"read block size (default {default_text})",
    )


def add_quiet_and_report_dir_options(parser: argparse.ArgumentParser) -> None:
    """``-q/--quiet`` (no live progress) and ``--report-dir`` (local reports)."""
    parser.add_argument("--quiet", "-q", action="store_true", help="no live progress")
    parser.add_argument(
        "--report-dir",
        type=path_value,
        default=None,
        help=f"where local reports go (default {default_report_dir()})",
    )


def hash_algorithms(requested: Sequence[str]) -> tuple[str, ...]:
    """The algorithms ``-t`` asked for; a name we do not know is a usage error."""
    try:
        return parse_algorithms(requested)
    except (UnknownHashError, ValueError) as exc:
        raise UsageError(str(exc)) from None


def engine_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """``--verify`` and ``-b`` as ``CopyOptions`` keyword arguments (no ``chunk_size`` when
    ``-b`` is not given: the default stays ``CopyOptions``'s)."""
    extra = {"chunk_size": args.block_size} if args.block_size is not None else {}
    return {"verify": VerifyMode(args.verify), **extra}


def local_report_dir(given: Path | None, *, nothing: str = "nothing was copied") -> Path:
    """The local report folder: *given* (``--report-dir``), else ``$OFFLOAD_REPORT_DIR``,
    else the default (:func:`default_report_dir`). A folder the user named is made if
    missing, but never the folders above it (as ``mkdir`` without ``-p``): a mistyped path
    is refused now, before anything is copied or verified, not made whole at the end. The
    default is made with its parents (``~/.local/state`` may not exist yet).

    Raises UsageError (exit 64, *nothing* ending its line: "nothing was copied", "nothing
    was verified"): the folder, named or the default, is there and not a folder (a file in
    its place: one wording for both, the default's naming the remedy), or the folder a named
    one would go in does not exist. A default that cannot be made at the end (a file in the
    place of a folder above it) is a warning then: the copies are not affected."""
    named = os.environ.get("OFFLOAD_REPORT_DIR")
    folder = given or default_report_dir()
    if given is None and not named:
        # A file (or anything but a folder) in the default's place is refused as one in a
        # named folder's: it would fail the reports at the end (ENOTDIR, EEXIST), the copy
        # done. A folder above it that is not one leaves the default unmade at the end: a
        # warning then, the copies not affected (that folder is not the report folder).
        if os.path.lexists(folder) and not folder.is_dir():
            raise UsageError(
                f"the report folder {printable_name(str(folder))} is not a folder; it is the "
                "default report folder: remove what is in its place, or name another folder "
                f"with --report-dir (or $OFFLOAD_REPORT_DIR); {nothing}",
                path=folder,
            )
        return folder
    option = "--report-dir" if given is not None else "$OFFLOAD_REPORT_DIR"
    if os.path.lexists(folder):
        if not folder.is_dir():
            raise UsageError(
                f"the report folder {printable_name(str(folder))} is not a folder; {option} "
                f"names the folder the local reports go in, made if missing; {nothing}",
                path=folder,
            )
        return folder
    parent = Path(os.path.abspath(folder)).parent
    if not parent.is_dir():
        raise UsageError(
            f"the report folder {printable_name(str(folder))} cannot be made: "
            f"{printable_name(str(parent))} does not exist (or is not "
            f"a folder); create it first, or fix {option} (the report folder itself is made, "
            "never the folders above it)",
            path=folder,
        )
    return folder


def report_folder_device(folder: Path) -> tuple[Path, int] | None:
    """The folder looked at for the report folder the user named (``local_report_dir``):
    itself, or, not made yet, the one it is to be made in, and its device as the run
    begins (``fs.devices.nearest_folder_device``): the end looks at that same folder
    (``write_reports``' *local_device*: a drive unmounted meanwhile leaves its mount point
    a folder of the disk below, where the report is then not written, a warning). None
    when it cannot be looked at. One ``stat`` (two for a folder not made yet)."""
    from offload.fs.devices import nearest_folder_device  # not on every command's start

    return nearest_folder_device(Path(os.path.abspath(folder)))


def default_report_dir() -> Path:
    """Local reports: $OFFLOAD_REPORT_DIR, else $XDG_STATE_HOME/offload-ai/reports."""
    if os.environ.get("OFFLOAD_REPORT_DIR"):
        return Path(os.environ["OFFLOAD_REPORT_DIR"])
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(state) / "offload-ai" / "reports"


class Environment:
    """Injectable I/O for CLI entry points (tests pass StringIO streams); the process's
    streams by default, as they are when it is made. A plain class: a dataclass cost
    ~0.3 ms to create at every start-up."""

    __slots__ = ("install_signal_handlers", "stderr", "stdout", "stdout_lost_said")

    def __init__(
        self,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        install_signal_handlers: bool = True,
    ) -> None:
        self.stdout = sys.stdout if stdout is None else stdout
        self.stderr = sys.stderr if stderr is None else stderr
        self.install_signal_handlers = install_signal_handlers
        self.stdout_lost_said = False

    def error(self, message: str) -> None:
        """``ERROR: ...`` on stderr, every line of *message* so marked (a refusal that
        names several problems is one per line: a script greps ``^ERROR:`` for them all);
        any other control character escaped (``errors.printable_text``)."""
        for line in printable_text(message).splitlines() or [""]:
            print(f"ERROR: {line}", file=self.stderr, flush=True)

    def warning(self, message: str) -> None:
        """``WARNING: ...`` on stderr, one line: its control characters escaped, a newline
        too (``printable_line``: a name's newline cannot start a line of its own)."""
        print(f"WARNING: {printable_line(message)}", file=self.stderr, flush=True)

    def error_line(self, message: str) -> None:
        """``ERROR: ...`` on stderr for a message that is one line by contract (a file's
        error), a newline in it escaped as in ``warning``."""
        print(f"ERROR: {printable_line(message)}", file=self.stderr, flush=True)


def write_stdout_whole(env: Environment, text: str) -> None:
    """Write *text* to stdout whole (``json_text.write_whole``: a signal cuts no document
    short). A reader that went away (``| head``) is not an error: the rest is dropped, and
    the process's stdout then points at /dev/null, since Python flushes it again at exit
    (a second ``BrokenPipeError``, "Exception ignored")."""
    from offload.cli.reader_gone import lost
    from offload.json_text import write_whole

    try:
        write_whole(env.stdout, text)
    except OSError as exc:
        if env.stdout is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        if not isinstance(exc, BrokenPipeError):
            say_stdout_lost(env, exc.strerror or str(exc))
        return
    if (why := lost(env.stdout)) is not None:  # closed (>&-): its text went to /dev/null
        say_stdout_lost(env, why)


def say_stdout_lost(env: Environment, why: str) -> None:
    """Once per command: a WARNING line on stderr that stdout could not be written (*why*:
    "No space left on device", "it was closed"), so what it was to carry is known lost,
    never silently; the command's outcome and exit code are its own (its reports hold it).
    A reader gone (``| head``) asked for no more: not said (``write_stdout_whole``)."""
    if env.stdout_lost_said:
        return
    env.stdout_lost_said = True
    env.warning(
        f"stdout could not be written ({why}): what this command writes there is lost; its "
        "exit code and its reports still give its outcome"
    )


def signal_words(signum: int | None) -> str:
    """How a line names the signal *signum* the command received (one of
    ``HANDLED_SIGNALS``: "Ctrl-C", "SIGTERM", "SIGHUP (the terminal closed)"); another
    signal by its name; None (no signal recorded: a cancel asked for otherwise) "a cancel"."""
    if signum is None:
        return "a cancel"
    words = SIGNAL_WORDS.get(signum)
    if words is not None:
        return words
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def leave_hung_up_terminal() -> None:
    """Point stdout and stderr at /dev/null where they are a terminal that hung up.

    A terminal that hung up fails every write with EIO (a write of nothing too, which is how
    it is told from a live one, a pipe or a file: those are left as they are). The command
    that got its SIGHUP goes on to cancel, remove its partial files and write its reports:
    its first line to the dead terminal must not end it instead, half-way (a traceback nobody
    sees, exit 1, no report). Safe from a signal handler: only ``write``, ``open``, ``dup2``
    and ``close`` on file descriptors, and never raises: where /dev/null cannot be opened
    (EMFILE: no descriptor left) the output stays on the dead terminal, and the handler
    still runs (an exception here would end, at the line the signal interrupted, a command
    that has not even cancelled)."""
    devnull = -1
    try:
        for fd in (1, 2):
            try:
                os.write(fd, b"")
            except OSError as error:
                if error.errno != errno.EIO:
                    continue
                if devnull < 0:
                    devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, fd)
    except OSError:
        pass
    finally:
        if devnull >= 0:
            os.close(devnull)


@contextlib.contextmanager
def handling_signals(
    env: Environment,
    handler: Callable[[int, object], None],
    *,
    previous: dict[int, Any] | None = None,
    keep: Callable[[], bool] | None = None,
) -> Iterator[None]:
    """*handler* for SIGINT, SIGTERM and SIGHUP (``HANDLED_SIGNALS``) while the block runs;
    what was there before is put back on exit, unless *keep* then returns True (the
    process is the command's own and ends next: ``SignalsAfterCopy.kept``). Only from the
    main thread, and only where the environment allows it. Before *handler* sees a SIGHUP,
    stdout and stderr are taken off the terminal if it hung up (``leave_hung_up_terminal``),
    so what the handler starts (a cancel, the reports) is not cut short by the first line
    printed.

    A signal this process started with ignored (``SIG_IGN``) is left ignored: a script's
    ``offload copy ... &`` inherits SIGINT so from its non-interactive shell (and ``nohup``
    SIGHUP), so that the Ctrl-C meant for the script's foreground job does not reach it.
    Python follows that convention for SIGINT (no KeyboardInterrupt then); a handler put in
    its place here would have made the same ``kill -INT`` ignored while the command loads
    and scans and a cancel during the copy."""
    if not env.install_signal_handlers or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: object) -> None:
        if signum == signal.SIGHUP:
            leave_hung_up_terminal()
        handler(signum, frame)

    replaced: dict[int, Any] = {} if previous is None else previous  # the caller may see them
    for number in HANDLED_SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            replaced[number] = signal.signal(number, on_signal)
    try:
        yield
    finally:
        if keep is None or not keep():
            for signum, old in replaced.items():
                signal.signal(signum, old)


class OutcomeSignals(Protocol):
    """A command's signal handling once its outcome is being stated (``SignalsAfterCopy``,
    ``offload verify``'s): a signal then only recorded (``further``), and whether the handler
    stays to the process's exit (``kept``: ``handling_signals``' *keep*)."""

    further: int | None
    kept: bool

    def handler(self, signum: int, frame: object) -> None: ...


def keep_signals_to_exit(
    env: Environment,
    signals: OutcomeSignals,
    said: Callable[[int], str],
    *,
    keep: bool,
    said_at_exit: Callable[[int], str] | None = None,
) -> None:
    """Once a command's outcome is stated, while *signals*' handler is still the command's:
    a signal it recorded meanwhile (``further``) said in one ``WARNING:`` line (*said*'s
    words), never a stop. With *keep* (the process is the command's own and ends next) the
    handler stays to the process's exit (``kept``) and a signal from now on is named as the
    process ends (``final_signals.register``; *said_at_exit*'s words, else *said*'s): put
    back, Python's KeyboardInterrupt or SIGTERM's default would land in the exit with
    another exit code than the outcome's."""
    further, signals.further = signals.further, None  # one that comes now is said later
    if further is not None:
        env.warning(said(further))
    signals.kept = keep
    if not keep:
        return
    at_exit = said_at_exit or said

    def last_words() -> str | None:
        later, signals.further = signals.further, None
        return None if later is None else at_exit(later)

    register(signals.handler, last_words)


class SignalsAfterCopy:
    """What :func:`cancel_on_signals` does once the copy is over (``after_copy()``, called when
    the job returned): nothing is left to cancel, so the first SIGINT is only recorded (the
    token set: the manifests and reports go on), a SIGINT after that stops the process as
    Python does (KeyboardInterrupt: the command's one line, exit 130), and so does a SIGTERM
    (during the reports, or after a signal recorded), which also gives SIGTERM back what it
    had before our handler (the default: a further SIGTERM ends the process, even one
    blocked in a call a signal does not interrupt: a hung FUSE drive). ``stopped_by``: the
    signal that stopped it, so that the command restates the reports already written (their
    exit code 130, a note) before it returns; a further SIGINT then changes nothing (the
    stop is under way). So a run whose reports hang (a stalled bucket, a share gone) can
    always be stopped, without a kill -9; what is cut short is under a temporary name, never
    half-written under its final one. Before the reports (``reporting`` false: the manifests
    being written, or a cascade's checks of its fast copies) a first SIGTERM is only
    recorded, as a first SIGINT: stopped there, the run would leave no report at all
    (nothing to restate), its run records ``running``; a further SIGTERM or SIGINT stops it.
    A SIGHUP then (the terminal closed) changes nothing: the run writes its manifests and
    reports, its output to a terminal that hung up dropped (``handling_signals``); nothing
    is recorded, as nobody asked for anything. Main thread only, like the handler.

    ``received``: the signal that set the token (None while none did), so that what the
    command says of it names the signal that came (``signal_words``). ``again``: a signal
    that came while the copy was being cancelled by an earlier signal: it changes
    nothing, the partial files must be removed first, but it is recorded so that the command
    says it came (``offload._further_while_cancelling``; before, it was never mentioned),
    and ``on_again`` (set by the command) is called then, on a thread of its own (never in
    the handler: a print there could land in one under way), to say at once what it does.
    ``on_cancel`` (set by the command, None: nothing) is called so, once, when the first
    signal during the copy cancels it: the command says at once that it is cancelling.

    From ``holding`` on, the run's outcome is stated (``--json``'s ``job_report`` line
    being written: its exit code the command's from then on; without ``--json``, every
    report final, restated with any signal recorded before), and nothing stops the process
    any more: a line cut short would be a fragment a reader cannot parse, and a stop would
    make the exit code differ from the one that line and the reports give (restating them
    would remove finished HTML and PDF reports). A SIGINT or SIGTERM then, the first
    SIGINT too, is recorded (``further``) and the command says so at its end. ``kept``: set
    by the command of a process of its own once it has said so, so that the handler stays
    until the process exits (``handling_signals``' *keep*): put back at the block's end,
    Python's KeyboardInterrupt (or SIGTERM's default, the process killed) would still land
    in what is left of the exit, with another exit code than the outcome's."""

    def __init__(self, cancel: CancelToken) -> None:
        self._cancel = cancel
        self.finishing = False
        self.previous: dict[int, Any] = {}  # filled by handling_signals
        self.received: int | None = None
        self.again: int | None = None
        self._signalled = False  # a signal came during the copy
        self.stopped_by: int | None = None
        self.holding = False
        self.further: int | None = None
        self.kept = False
        self.on_again: Callable[[], None] | None = None
        self.step = ""  # what the run was finishing (``OffloadFinishing.step``), for its stop
        self.reporting = False  # the manifest step is over: the reports are being written
        self.on_cancel: Callable[[], None] | None = None

    def after_copy(self, step: str = "") -> None:
        self.finishing = True
        self.step = step or self.step

    def handler(self, signum: int, frame: object) -> None:
        if not self.finishing:
            # A signal came before (the token is then set): the cancel under way is ours,
            # said at the end, never acted on. Not the token alone: a reader's failure
            # sets it too, and the first signal after that is no "further" one.
            if self._signalled and signum != signal.SIGHUP:
                self.again = signum
                if self.on_again is not None:
                    threading.Thread(
                        target=self.on_again, name="offload-again", daemon=True
                    ).start()
            first, self._signalled = not self._signalled, True
            self._set(signum)
            if first and self.on_cancel is not None:
                threading.Thread(target=self.on_cancel, name="offload-cancel", daemon=True).start()
        elif signum == signal.SIGHUP:
            return
        elif self.holding:
            self.further = signum  # the outcome is stated: the command says it came
        elif self.stopped_by is not None:
            # The stop is under way (a hung call waited out on a worker, its steps unwinding):
            # a raise now would land in that unwinding, or leave the worker running
            # (``interruptible.call``). A SIGTERM after a stop by SIGTERM never comes here:
            # its default is back, and ends the process.
            return
        elif not self._cancel.cancelled and (signum == signal.SIGINT or not self.reporting):
            # Recorded; the command says so at the end. A first SIGTERM too while the
            # manifests are written (or a cascade checks its fast copies), before any report:
            # a stop there would leave no report of copies read back, the run records
            # ``running`` and the run out of ``offload history`` (the re-run's report says
            # "verified earlier"); the run goes on to its end, as after a first Ctrl-C.
            self._set(signum)
        elif signum == signal.SIGINT:
            self.stopped_by = signum
            raise KeyboardInterrupt
        else:  # SIGTERM after the copy: a further one gets what was there before (default)
            signal.signal(signum, self.previous.get(signum, signal.SIG_DFL))
            self.stopped_by = signum
            raise KeyboardInterrupt

    def _set(self, signum: int) -> None:
        """Set the token, recording *signum* as ``received`` if it is the first to."""
        if not self._cancel.cancelled:
            self.received = signum
        self._cancel.cancel()

    def words(self) -> str:
        """How a line names the signal that set the token (``signal_words``)."""
        return signal_words(self.received)


@contextlib.contextmanager
def cancel_on_signals(env: Environment, cancel: CancelToken) -> Iterator[SignalsAfterCopy]:
    """SIGINT, SIGTERM and SIGHUP set the cancel token instead of raising; restored on exit
    (:func:`handling_signals`: one inherited as ignored stays ignored). Yields the
    :class:`SignalsAfterCopy` whose ``after_copy()`` the caller calls once the copy is over.

    A second SIGINT while cancelling is ignored: cleaning up the partial files must finish.
    """
    state = SignalsAfterCopy(cancel)
    with handling_signals(env, state.handler, previous=state.previous, keep=lambda: state.kept):
        yield state


def add_creator_arguments(parser: argparse.ArgumentParser, title: str) -> None:
    """``--author-name`` ... ``--comment``: who and where, for the manifests written."""
    group = parser.add_argument_group(title)
    group.add_argument("--author-name", metavar="NAME")
    group.add_argument("--author-email", metavar="EMAIL")
    group.add_argument("--author-role", metavar="ROLE")
    group.add_argument("--location", metavar="TEXT")
    group.add_argument("--comment", metavar="TEXT")


def manifest_options(
    args: argparse.Namespace, kinds: frozenset[MhlKind] = frozenset()
) -> ManifestOptions:
    """The manifests to write, with the creator arguments (:func:`add_creator_arguments`).

    With an ASC MHL among *kinds*, a creator field its schema refuses (an ``--author-email``
    not ``name@domain.tld``, characters XML cannot carry) is a UsageError now, before
    anything is copied or verified: the writer's own check (``manifest.creator``), made
    early, not a second one. A legacy MHL alone holds only the author's name (its
    ``<name>`` and ``<username>``): that name is checked the same way."""
    options = ManifestOptions(
        kinds=kinds,
        author_name=args.author_name,
        author_email=args.author_email,
        author_role=args.author_role,
        location=args.location,
        comment=args.comment,
    )
    given = (args.author_name, args.author_email, args.author_role, args.location, args.comment)
    if MhlKind.ASCMHL in kinds and any(value is not None for value in given):
        from offload.manifest.creator import check_creator  # only then: its XML helpers

        try:
            check_creator(options.creator())
        except (ValueError, OffloadError) as exc:  # OffloadError: text XML cannot carry
            raise UsageError(f"{exc}; correct it: nothing was written") from None
    elif MhlKind.LEGACY in kinds and args.author_name is not None:
        from offload.manifest.xmltext import check_xml_string

        try:
            check_xml_string(args.author_name, "author name")
        except OffloadError as exc:
            raise UsageError(f"{exc}; correct it: nothing was written") from None
    return options


class BackgroundImports:
    """*modules* imported on a daemon thread once ``release`` is called: for modules needed
    after a stretch in which this process mostly waits (a batch's ``syncfs``, the PDF
    process). The ``import`` that needs them then waits for this one (the import system
    locks each module while it loads) instead of loading them on the critical path. A
    module that fails to import here is left to that later ``import``, which raises the
    error where it belongs.

    The thread is started here, parked on an event: ``release`` only sets the event, so the
    thread that calls it (a destination's committer, just before its ``syncfs``) goes on at
    once. Starting a thread there instead made the committer wait for the new thread to
    take the interpreter lock (``Thread.start`` waits for it to run), and the imports then
    competed with the batch's own system calls (docs/performance.md, "Fixed cost:
    fourteenth pass"). ``close`` releases a thread that was never needed without importing
    anything; whoever makes one closes it (the thread is parked until then)."""

    __slots__ = ("_go", "_modules", "released", "thread")

    def __init__(self, *modules: str) -> None:
        self._modules: tuple[str, ...] = modules
        self._go = threading.Event()
        self.released = False  # the imports were asked for (``release``)
        self.thread = threading.Thread(target=self._load, name="offload-import", daemon=True)
        self.thread.start()

    def release(self) -> None:
        """Start the imports (once; a later call does nothing). Never blocks."""
        if not self.released and not self._go.is_set():
            self.released = True
            self._go.set()

    def close(self) -> None:
        """End the thread without importing what was not released yet."""
        if not self._go.is_set():
            self._modules = ()
            self._go.set()

    def _load(self) -> None:
        self._go.wait()
        for name in self._modules:
            try:
                importlib.import_module(name)
            except Exception:
                return


def _cascade_to_values(words: Sequence[str]) -> list[tuple[int, str]]:
    """Each ``--cascade-to`` value among *words* (before ``--``), with the index of the word
    that follows it: ``--cascade-to S1`` and ``--cascade-to=S1`` alike."""
    end = words.index("--") if "--" in words else len(words)
    found = []
    for at, word in enumerate(words[:end]):
        if word == "--cascade-to" and at + 1 < end:
            found.append((at + 2, words[at + 1]))
        elif word.startswith("--cascade-to="):
            found.append((at + 1, word.partition("=")[2]))
    return found


def _repeat_cascade_to(words: Sequence[str], extras: Sequence[str]) -> str:
    """The hint for arguments left over right after a ``--cascade-to`` value (``--cascade-to
    S1 S2 S3``: argparse takes one value an option, S2 and S3 are left over): repeat the
    option for each slow drive, every one named, spelled with the command's own values; ""
    when none is."""
    left = set(extras)
    for after, value in _cascade_to_values(words):
        drives = []
        for word in words[after:]:
            if word not in left or word.startswith("-"):  # an option: not a drive
                break
            drives.append(word)
        if drives:
            repeated = " ".join(f"--cascade-to {shlex.quote(d)}" for d in (value, *drives))
            return (
                "; to cascade to more than one slow drive, repeat --cascade-to for each: "
                f"{repeated}"
            )
    return ""


def _option_among_destinations(
    words: Sequence[str], extras: Sequence[str], parsed: argparse.Namespace
) -> str:
    """The hint for destinations left over after an option written among them (``offload
    copy CARD D1 --s3-endpoint URL s3://b/x``: argparse ends DEST... at the option, and the
    words after its value are left over, "unrecognized arguments: s3://b/x"): every option
    goes before SOURCE or after the last destination; "" where a left-over word is an option
    (argparse's words name it), the command takes no destinations, or a ``--`` was given."""
    if not isinstance(getattr(parsed, "destinations", None), list) or "--" in words:
        return ""
    if not extras or any(word.startswith("-") for word in extras):
        return ""
    last = max(at for at, word in enumerate(words) if word in extras)
    if not any(word.startswith("-") for word in words[:last]):
        return ""  # no option before them: something else was left over
    return (
        f"; {'it comes' if len(extras) == 1 else 'they come'} after an option written among "
        "the destinations, which ends them: put every option before SOURCE or after the "
        "last destination (SOURCE DEST... together)"
    )


def swallowed_slow_drive(
    words: Sequence[str], source: str, destinations: Sequence[str], *, into: bool = False
) -> str:
    """The one line refusing ``offload copy --cascade-to S1 S2 C F`` (options first), or "":
    argparse gives ``--cascade-to`` one value, so S2, meant as a second slow drive, is read
    as the card and the card C as a destination, which the run would write into.

    Built on what was parsed: SOURCE and the DESTs, whichever count of slow drives was meant
    (``--cascade-to S1 S2 S3 C F`` reads S2 as the card, S3 and C as DESTs). Looked at only
    where the word read as SOURCE follows a ``--cascade-to`` value (before any ``--``): then
    the words from SOURCE on may be slow drives up to the card. Which DEST may be that card
    is ``_card_among``'s: never where SOURCE shows a card's signs (a camera's layout, a
    card's volume, clips at its top unless a destination's signs outweigh them:
    ``_card_signs``), nor a DEST given to ``--cascade-to`` too;
    else the first that may be a card after DESTs that may each be a slow drive, where it
    shows a card's signs (weaker ones, where SOURCE shows weaker ones too) or SOURCE may be
    a slow drive too. Such a command is refused naming
    both readings' unambiguous forms, each the user's own words with every other option
    kept. ``--cascade-to S1 -- CARD ...`` and the card written first are never refused. A
    camera card's own layout is refused as a destination anyway (``plan/cardlike.py``)."""
    values = _cascade_to_values(words)
    for after, value in values:
        if after >= len(words) or words[after] != source or source.startswith("-"):
            continue
        card = _card_among(source, destinations, [v for _, v in values], into=into)
        if card is None:
            return ""
        slow_words = [source, *destinations[:card]]
        end = words.index("--") if "--" in words else len(words)
        # Both ways on, spelled from the user's own words (every other option kept: a
        # hash, --verify, --into, another --cascade-to): each word read before the card
        # gets its own --cascade-to, where the first was (so before any ``--``); the card
        # read as SOURCE moves every --cascade-to before it after the paths (before
        # ``--``): one left before SOURCE would read SOURCE as a slow drive again.
        rest, at = list(words[after:]), 0
        for word in slow_words:
            at = rest.index(word, at)
            del rest[at]
        # A word already given to --cascade-to (``--cascade-to S1 S2 S1 CARD``) is not
        # repeated: it is a slow drive there already.
        cascaded = {_drive_key(v) for _, v in values}
        repeated = [
            w
            for word in dict.fromkeys(slow_words)
            if _drive_key(word) not in cascaded
            for w in ("--cascade-to", word)
        ]
        as_slow = [*words[:after], *repeated, *rest]
        moved: set[int] = set()
        for option_end, _ in values:
            if option_end <= after:
                start = option_end - (1 if words[option_end - 1].startswith("--cascade-to=") else 2)
                moved.update(range(start, option_end))
        kept = [w for i, w in enumerate(words[:after]) if i not in moved]
        options = [w for i, w in enumerate(words[:after]) if i in moved]
        card_first = [*kept, *words[after:end], *options, *words[end:]]
        typed = " ".join(shlex.quote(w) for w in (source, *destinations))
        named = shlex.quote(destinations[card])
        what = (
            "a copy an offload wrote (.offload in it), which may be given as the card"
            if _holds_state(destinations[card])
            else "a folder of files, not a drive offload-ai wrote to"
        )
        more = " ".join(shlex.quote(w) for w in slow_words)
        # Every --cascade-to of the command counts, after the paths too.
        nth = _ORDINALS.get(len({_drive_key(v) for _, v in values}) + 1, "further")
        more = (
            f"{more} is a {nth} slow drive"
            if len(slow_words) == 1
            else f"{more} are further slow drives"
        )
        fast = "" if card + 1 < len(destinations) else " with a DEST that is not cascaded"
        return (
            f"--cascade-to {shlex.quote(value)} {typed}: {shlex.quote(source)} is read as the "
            f"card and {named} ({what}) as a destination, which would be written into; if "
            f"{more}, repeat --cascade-to (offload {_command(as_slow)}){fast}; if "
            f"{shlex.quote(source)} is the card, write it first (offload {_command(card_first)})"
        )
    return ""


_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _drive_key(word: str) -> str:
    """*word* as a path or URL compared with another (``LTO`` and ``./LTO/`` alike)."""
    if word.startswith("s3://"):
        return word.rstrip("/")
    return os.path.normpath(os.path.abspath(word))


class _Signs(enum.IntEnum):
    """How strongly a folder shows a camera card's signs (``_card_signs``), weakest first."""

    NONE = 0
    # A camera's own names in a plain folder, or clips in a folder at its top: a card's
    # folders copied loose, or a drive's media folders (``Exports/cut.mp4``): on their own
    # they tell neither (``_card_among`` counts them only against SOURCE's own).
    WEAK = 1
    # A camera's layout, a card's volume (FAT or exFAT, a camera's names at a mounted
    # volume's root), or clips at its top.
    CARD = 2


def _card_signs(word: str, *, history: bool) -> _Signs:
    """How strongly the folder *word* shows a camera card's signs, weighed against a
    destination's (``_Signs``). ``CARD``, whatever else it holds: a camera's layout
    (``plan/cardlike.py``: ``DCIM/``, ``PRIVATE/M4ROOT/``, a RED magazine, ...; with
    *history*, a card's own ASC MHL history at its root too), the root of a FAT or exFAT
    volume (what cameras format their media with), or a camera's own names at the root of a
    mounted volume (an ARRI reel folder holding a clip of that reel, ``A001R2AB/A001C001_...``;
    a Blackmagic clip: ``volume_root_sign``). Unless a destination's own signs outweigh them
    (``_shows_destination_signs``: a RAID holding our state, or copy roots of other cards
    a few folders down, is a drive written to): ``CARD`` for clips at its top (a file whose
    extension is a video, raw or audio recording's: ``A001C001.mov``, the base rule), else
    ``WEAK`` for a camera's names in a plain folder (another tool's copy of a card on a
    drive has them too: ``volume_root_sign`` judges no folder by them) or clips in a folder
    at its top (``Clip/C0001.MXF``, ``Exports/cut.mp4``). An ``s3://`` URL, a path not
    there, or not a folder shows none."""
    if word.startswith("s3://") or not os.path.isdir(word):
        return _Signs.NONE
    from offload.plan.cardlike import (
        camera_card_sign,
        card_filesystem,
        copy_root_card_sign,
        volume_root_sign,
    )

    folder = Path(word)
    if camera_card_sign(folder, history=history) or copy_root_card_sign(folder):
        return _Signs.CARD
    # A sound take at its top is a clip there (below), weighed against a destination's signs
    # on a drive that no camera formats: not a camera's name at any mounted volume's root.
    named = not _holds_state(word) and volume_root_sign(folder, takes=False) is not None
    try:
        real = os.path.realpath(word)
        if os.path.ismount(real) and (named or card_filesystem(Path(real))):
            return _Signs.CARD
    except (OSError, ValueError):
        pass
    entries = _entries(word) or []
    clips = any(_is_clip(e) for e in entries)
    # A card's top holds a few folders: past _FOLDERS_LOOKED_INTO (by name, the same on
    # every filesystem), a drive's many are not each listed (a look at the command line,
    # not a scan of a RAID).
    folders = sorted(entries, key=lambda e: e.name)[:_FOLDERS_LOOKED_INTO]
    weak = named or any(map(_holds_clips, folders))
    if not (clips or weak) or _shows_destination_signs(entries):
        return _Signs.NONE
    return _Signs.CARD if clips else _Signs.WEAK


#: How many folders the look at the command line lists in a folder it judges: for clips in
#: the folders at its top, for copy roots below it (``_copy_root_below``).
_FOLDERS_LOOKED_INTO = 32


def _is_clip(entry: os.DirEntry[str]) -> bool:
    """Whether *entry* is a file whose extension is a video, raw or audio recording's."""
    from offload.report.clips import AUDIO_EXTENSIONS, RAW_EXTENSIONS, VIDEO_EXTENSIONS

    extension = entry.name.rpartition(".")[2].lower() if "." in entry.name else ""
    if extension not in VIDEO_EXTENSIONS | RAW_EXTENSIONS | AUDIO_EXTENSIONS:
        return False
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _holds_clips(entry: os.DirEntry[str]) -> bool:
    """Whether *entry* is a folder (not our state, not a copy root of ours) holding a clip
    (``_is_clip``) at its top: a card's clip folder copied loose. One listing a folder."""
    if entry.name == STATE_FOLDER or not _is_folder(entry):
        return False
    inside = _entries(entry.path)
    if not inside or any(e.name == STATE_FOLDER for e in inside):
        return False
    return any(_is_clip(e) for e in inside)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """Whether *entry* is a folder, not a link to one."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _shows_destination_signs(entries: Sequence[os.DirEntry[str]]) -> bool:
    """Whether a folder of *entries* shows a destination's signs: our state in it (a copy
    root, ``.offload``: an ``--into`` offload's, the card's files beside it), or a copy root
    in a folder up to ``_DESTINATION_LEVELS`` down (``_copy_root_below``), ours
    (``.offload``) or another ASC MHL tool's (``ascmhl/``): a drive other cards were
    offloaded to (``RAID/ShowA/Day1/A001/.offload``). An ASC MHL history at its own top is
    not one: a card may hold its own, and the preflight takes one offload-ai did not write
    for a card's (``plan/cardlike.py``)."""
    if any(e.name == STATE_FOLDER and _is_folder(e) for e in entries):
        return True
    return _copy_root_below(entries, (STATE_FOLDER, ASCMHL_FOLDER), levels=_DESTINATION_LEVELS)


#: How deep a drive's copy roots are looked for: a show, a day, a card's roll
#: (``RAID/ShowA/Day1/A001``).
_DESTINATION_LEVELS = 3


def _copy_root_below(
    entries: Sequence[os.DirEntry[str]], names: Sequence[str], *, levels: int
) -> bool:
    """Whether a folder of *entries* holds, in a folder of it up to *levels* down, a folder
    named one of *names* (a copy root's ``.offload`` or ``ascmhl/``). Depth first, by name
    (the same answer on every filesystem), listing at most ``_FOLDERS_LOOKED_INTO`` folders:
    a look at the command line, not a scan of a RAID; links are not followed."""
    stack = [(e, 1) for e in sorted(entries, key=lambda e: e.name, reverse=True)]
    listed = 0
    while stack and listed < _FOLDERS_LOOKED_INTO:
        entry, level = stack.pop()
        if entry.name in names or not _is_folder(entry):
            continue
        listed += 1
        inside = [e for e in _entries(entry.path) or () if _is_folder(e)]
        if any(e.name in names for e in inside):
            return True
        if level < levels:
            stack.extend((e, level + 1) for e in sorted(inside, key=lambda e: e.name, reverse=True))
    return False


def _card_among(
    source: str, destinations: Sequence[str], cascaded: Sequence[str], *, into: bool
) -> int | None:
    """The index of the DEST that may be the card read as a destination
    (``swallowed_slow_drive``), or None. A false refusal of an ordinary command is worse
    than a contrived misordering let through, so only strong evidence counts, the card's
    signs (``_card_signs``) first:

    * SOURCE shows a card's signs (``_Signs.CARD``): it is the card, None whatever follows
      (``--cascade-to LTO CARD RAIDW RAIDO RAID2``, RAIDO a RAID holding other shows).
      Weaker signs (a folder of clips in it) do not make it the card: a drive reused as a
      slow drive may hold one (``--cascade-to S1 S2 CARD FAST``, S2 holding ``OLD/x.mov``).
    * A DEST given to ``--cascade-to`` too (*cascaded*) is a slow drive, never the card.
    * Otherwise the first DEST that may be a card (``_may_be_a_card``) where every DEST
      before it may be a slow drive (``_may_be_a_slow_drive``), if it shows a card's signs
      (``--cascade-to S1 S2 S3 CARD``, S2 a new drive holding its vendor's files, CARD
      clips at its top; not a RAID holding loose clips beside other cards' copy roots or
      our state), or weaker ones where SOURCE shows weaker ones too (both hold clip folders
      or a camera's names: which is the card is the user's to say; ``A001R2AB/A001C001_...``
      on a DEST is no card's sign where SOURCE shows none, ``--cascade-to LTO PROJ RAID``,
      RAID holding a Finder copy of a card), or if SOURCE may be a slow drive too (there: a
      SOURCE not there is left to the preflight's absent-card line, never counted a slow
      drive; a DEST not there is, a drive not made yet)."""
    source_signs = _card_signs(source, history=True)
    if source_signs is _Signs.CARD:
        return None
    # A DEST's signs that make it the card: a card's, or weaker ones against SOURCE's own.
    enough = _Signs.WEAK if source_signs is _Signs.WEAK else _Signs.CARD
    slow = {_drive_key(value) for value in cascaded}
    source_slow = (source.startswith("s3://") or os.path.lexists(source)) and (
        _may_be_a_slow_drive(source, into=into)
    )
    for at, destination in enumerate(destinations):
        if _drive_key(destination) in slow:
            continue  # a slow drive by the command's own words
        if _may_be_a_card(destination, into=into) and (
            source_slow or _card_signs(destination, history=False) >= enough
        ):
            return at
        if not _may_be_a_slow_drive(destination, into=into):
            return None
    return None


def _holds_state(folder: str) -> bool:
    """Whether *folder* holds an offload's own state itself (a copy root)."""
    return not folder.startswith("s3://") and os.path.isdir(os.path.join(folder, STATE_FOLDER))


def _entries(folder: str) -> list[os.DirEntry[str]] | None:
    """The entries of *folder* other than what an operating system or a filesystem check
    puts on any volume (``lost+found``, ``.Spotlight-V100``: the scan's default ignore
    patterns; a drive just formatted holds them), or None: not there, not a folder,
    unreadable, or an ``s3://`` URL."""
    if folder.startswith("s3://"):
        return None
    import fnmatch

    from offload.plan.ignore import DEFAULT_IGNORE_PATTERNS

    housekeeping = [pattern.strip("/") for pattern in DEFAULT_IGNORE_PATTERNS]
    try:
        with os.scandir(folder) as entries:
            return [
                entry
                for entry in entries
                if not any(fnmatch.fnmatchcase(entry.name, p) for p in housekeeping)
            ]
    except OSError:
        return None


def _offload_wrote_to(entries: Sequence[os.DirEntry[str]], *, levels: int = 1) -> bool:
    """Whether a folder of *entries* holds an offload's own state in a folder in it, or
    one up to *levels* down (``_copy_root_below``): a drive offload-ai wrote to."""
    return _copy_root_below(entries, (STATE_FOLDER,), levels=levels)


def _may_be_a_card(destination: str, *, into: bool) -> bool:
    """Whether the folder *destination* names may be a card given by mistake as a DEST
    (``swallowed_slow_drive``): a folder holding something, none of it an offload's own
    state in a folder in it or up to ``_DESTINATION_LEVELS`` down (a drive offload-ai wrote
    to, ``RAID/ShowA/Day1/A001/.offload``), and without ``--into`` none in
    itself either; with it, a folder holding ``.offload`` is the copy root a run of that
    command wrote to. Without ``--into`` such a copy root is no destination a run writes
    into (its copy would go in a folder of the copy), but a card's copy given as the card.
    A path not there, not a folder, or unreadable is left to the preflight; an ``s3://``
    URL is no card."""
    entries = _entries(destination)
    if not entries or _offload_wrote_to(entries, levels=_DESTINATION_LEVELS):
        return False
    return not (into and any(entry.name == STATE_FOLDER for entry in entries))


def _may_be_a_slow_drive(word: str, *, into: bool) -> bool:
    """Whether *word*, read as SOURCE or a DEST, may be a slow drive meant for
    ``--cascade-to`` (``swallowed_slow_drive``): an ``s3://`` URL, a path not there yet, a
    folder holding nothing (but what a volume holds anyway, ``_entries``), or a drive
    offload-ai wrote to (an offload's own state in a folder in it); with ``--into``, also a
    copy root (``.offload`` in it), the slow copy of that command. Without ``--into`` a copy
    root is a card's copy given as the card (``_may_be_a_card``), not a slow drive: the
    cascade would write its copy in a folder of that copy."""
    if word.startswith("s3://") or not os.path.lexists(word):
        return True
    if not os.path.isdir(word):
        return False
    entries = _entries(word)
    if entries is None:
        return False
    # As deep as ``_may_be_a_card`` looks for a destination's signs: a drive whose copy roots
    # sit a few folders down (RAID/ShowA/Day1/A001/.offload) read as neither stopped the walk
    # of ``_card_among`` short of the card after it, which was then written into.
    return (
        not entries
        or (into and _holds_state(word))
        or _offload_wrote_to(entries, levels=_DESTINATION_LEVELS)
    )
