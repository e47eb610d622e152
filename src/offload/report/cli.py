"""``offload report JOB.json [--html OUT] [--pdf OUT]``: the HTML and PDF reports again, from
a saved JSON job report (the same code path as after an offload).

Without --html/--pdf both are written beside JOB.json (``JOB.html``, ``JOB.pdf``: that
report's own documents, written again, replacing them). Clips are probed again for thumbnails
(the card, or a verified copy when the card is gone). A file named by --html or --pdf that
exists is never replaced without --overwrite: refused before anything is built or written.
The temporary report files a run killed while writing its reports left in the folders written
to are removed first, by the rules ``offload copy`` sweeps its report folder with
(``job_report.remove_dead_temporaries``: a report's name, its writer dead, no claim on it),
and said in one ``WARNING:`` line. What the card itself holds that is not whole (a RED clip's
span missing, an image sequence's frames missing or not whole, an empty clip file) is printed
before the documents are written (a document that cannot be written is then the last line
said), one ``CARD CONTENT:`` line a kind on stderr, the lines ``offload copy``'s summary
prints (``card_content``), from the grouping of the clips that makes the documents.

Exit codes: 0 written; 1 a report could not be written; 64 usage error (unreadable, not a job
report (an ``offload verify`` report: a check makes no HTML or PDF, and the line names the job
report to give where one is found, ``job_of_verify``), or not a valid one: a key of the wrong
kind, ``report.validate``; an --html or --pdf
path whose folder does not exist, or that exists, without --overwrite; a document that would
be written over JOB.json itself, or --html and --pdf naming one file, with --overwrite too:
nothing written); 130
stopped by Ctrl-C, SIGTERM or SIGHUP (one line naming what was written and what was not;
none is left half-written under its name, nor its temporary file; and what to do: the same
command again, or, once a document --html or --pdf named is written, which a re-run would
refuse, the command for the rest only).
"""

from __future__ import annotations

import argparse
import json
import os
from functools import partial
from pathlib import Path
from typing import Any

from offload.cli.common import Environment, handling_signals, path_value, signal_words
from offload.errors import (
    UsageError,
    describe_os_error,
    printable_line,
    printable_name,
    shell_word,
)
from offload.manifest.atomic import write_file_atomically
from offload.report.documents import DocumentOptions, default_paper, render
from offload.report.job_report import remove_dead_temporaries
from offload.report.media import ProbeBudget
from offload.report.validate import (
    JOB_SCHEMA_PREFIX,
    VERIFY_SCHEMA_PREFIX,
    is_job_report,
    job_report_problem,
)


def add_report_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``report`` to the ``offload`` subcommands (*commands*: argparse subparsers)."""
    budget = ProbeBudget()
    parser: argparse.ArgumentParser = commands.add_parser(
        "report",
        allow_abbrev=False,
        help="write the HTML and PDF reports of a saved JSON job report",
        description="Write the HTML (one self-contained file) and PDF reports of an offload "
        "from its JSON job report: production, card, destinations, and every clip with a "
        "thumbnail, metadata, digests and its state on each destination.",
        epilog="Exit codes: 0 written; 1 a report could not be written; 64 usage error.",
    )
    parser.add_argument("job", metavar="JOB.json", type=path_value)
    parser.add_argument(
        "--html",
        type=path_value,
        metavar="OUT",
        help="write the HTML report to OUT (with --html alone, no PDF is written; with "
        "neither --html nor --pdf, both are written beside JOB.json: JOB.html and JOB.pdf)",
    )
    parser.add_argument(
        "--pdf",
        type=path_value,
        metavar="OUT",
        help="write the PDF report to OUT (with --pdf alone, no HTML is written; with "
        "neither, both beside JOB.json)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a file that --html or --pdf names (without it an existing one is "
        "refused, nothing written); JOB.html and JOB.pdf are always written again",
    )
    parser.add_argument(
        "--paper",
        choices=["a4", "letter"],
        help=f"PDF paper size (default from the locale or $OFFLOAD_PAPER: {default_paper()})",
    )
    parser.add_argument(
        "--no-media", action="store_true", help="no thumbnails or clip metadata (no probing)"
    )
    parser.add_argument(
        "--media-budget",
        type=float,
        metavar="SECONDS",
        default=budget.total_s,
        help=f"total time for probing clips (default {budget.total_s:g}; "
        f"each clip gets at most {budget.per_clip_s:g} s)",
    )
    return parser


# What to give instead of a file that is no job report (one missing, not JSON, another
# JSON): the same words for each.
_NAME_A_JOB_REPORT = "name a saved JSON job report (offload history lists the report folder's)"


def load_job_report(path: Path) -> dict[str, Any]:
    """The job report at *path*; UsageError (one line, *path* escaped: ``printable_name``)
    for one that cannot be read or is not a valid job report."""
    shown = printable_name(str(path))
    try:
        data = json.loads(path.read_bytes().decode("utf-8", "surrogateescape"))
    except OSError as exc:
        raise UsageError(
            f"cannot read {shown}: {describe_os_error(exc)}; {_NAME_A_JOB_REPORT}", path=path
        ) from None
    except ValueError as exc:
        raise UsageError(f"{shown} is not JSON ({exc}); {_NAME_A_JOB_REPORT}", path=path) from None
    if isinstance(data, dict) and str(data.get("schema", "")).startswith(VERIFY_SCHEMA_PREFIX):
        # A check's report: no documents of its own; the job report to give, where found.
        from offload.report.job_of_verify import verify_report_words

        raise UsageError(verify_report_words(path, data), path=path)
    if not isinstance(data, dict) or not is_job_report(data):
        raise UsageError(
            f"{shown} is not an offload-ai job report (no schema {JOB_SCHEMA_PREFIX}*); "
            f"{_NAME_A_JOB_REPORT}",
            path=path,
        )
    problem = job_report_problem(data)
    if problem is not None:  # one line, never a traceback from the code that draws it
        raise UsageError(f"not a valid job report: {shown}: {problem}", path=path)
    return data


class _Stopped(KeyboardInterrupt):
    """A signal stopped ``offload report``: *signum* the one that came."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def cmd_report(args: argparse.Namespace, env: Environment) -> int:
    """The command; a signal stops it with one line and exit 130 (``_stopped_line``)."""
    written: list[Path] = []
    announced: list[Path] = []
    try:
        with handling_signals(env, _stop):
            return _write_documents(args, env, written, announced)
    except _Stopped as stop:
        # A document under its name before the stop (the signal came in its folder's fsync,
        # after the rename) has its stdout line as one written without a stop: the stopped
        # line counts it written, so stdout names it too.
        for target in written:
            if target not in announced:
                _announce(env, target, announced)
        env.error(_stopped_line(args, signal_words(stop.signum), written))
        return 130


def _announce(env: Environment, target: Path, announced: list[Path]) -> None:
    """Stdout's line for the document *target* written (``HTML report: PATH``), once."""
    announced.append(target)
    print(f"{target.suffix[1:].upper()} report: {printable_name(str(target))}", file=env.stdout)


def _targets(args: argparse.Namespace) -> dict[str, Path]:
    """The documents *args* asks for, by suffix (``.html``, ``.pdf``) to the path each is
    written to: the two beside JOB.json by default, else only those --html and --pdf name."""
    html, pdf = args.html, args.pdf
    if html is None and pdf is None:
        return {".html": args.job.with_suffix(".html"), ".pdf": args.job.with_suffix(".pdf")}
    return {suffix: path for suffix, path in ((".html", html), (".pdf", pdf)) if path is not None}


def _stopped_line(args: argparse.Namespace, signal: str, written: list[Path]) -> str:
    """The one line of a run stopped by *signal*: what was written (*written*), what was not,
    and a next step that works. The documents beside JOB.json are written again by the same
    command, so it is that; a document the user named is refused once it exists (without
    --overwrite), so once one is written the next step is the command for the rest only,
    with the same options."""
    missing = [path for path in _targets(args).values() if path not in written]
    shown = ", ".join(printable_name(str(path)) for path in written)
    if not missing:
        return f"stopped by {signal}: {shown} written; nothing left to write"
    left = ", ".join(printable_name(str(path)) for path in missing)
    them = "it" if len(missing) == 1 else "them"
    if not written or (args.html is None and args.pdf is None):
        step = f"run the same command again to write {them}"
    else:
        step = f"to write {them}: " + " ".join(_command_for(args, missing))
    if written:
        done = f"{shown} written, {left} not"
    else:
        done = f"{left} not written" if len(missing) == 1 else f"none of {left} written"
    return f"stopped by {signal}: {done} (nothing is left half-written under its name); {step}"


def _command_for(args: argparse.Namespace, paths: list[Path]) -> list[str]:
    """``offload report`` writing only *paths* (of ``_targets``), with *args*' options."""
    words = ["offload", "report", shell_word(args.job)]
    for suffix, path in _targets(args).items():
        if path in paths:
            words += [f"--{suffix[1:]}", shell_word(path)]
    if args.overwrite:
        words.append("--overwrite")
    if args.paper:
        words += ["--paper", args.paper]
    if args.no_media:
        words.append("--no-media")
    elif args.media_budget != ProbeBudget().total_s:
        words += ["--media-budget", f"{args.media_budget:g}"]
    return words


def _write_documents(
    args: argparse.Namespace, env: Environment, written: list[Path], announced: list[Path]
) -> int:
    """Build the documents and write them, each appended to *written* once under its name,
    and to *announced* once stdout names it (``_announce``)."""
    data = load_job_report(args.job)
    _refuse_one_file_twice(args)
    for given in (args.html, args.pdf):
        # A folder is never made for a path given: a mistyped one is refused, as the other
        # commands refuse a --report-dir that is not a folder (exit 64, nothing written).
        if given is not None and not given.parent.is_dir():
            raise UsageError(
                f"cannot write {printable_name(str(given))}: the folder "
                f"{printable_name(str(given.parent))} does not exist (or is not a "
                "folder); nothing was written (create it, or name a file in an existing folder)",
                path=given,
            )
        if given is not None and not args.overwrite and os.path.lexists(given):
            raise UsageError(
                f"{printable_name(str(given))} exists; nothing was written (name a new file, or "
                "pass --overwrite "
                "to replace it)",
                path=given,
            )
    options = DocumentOptions(
        paper=args.paper,
        media=not args.no_media,
        budget=ProbeBudget(total_s=max(0.0, args.media_budget)),
    )
    # The same grouping of the clips makes the documents and the CARD CONTENT lines.
    html, draw_pdf, content = render(data, options)
    targets = _targets(args)
    # Both drawn before anything is written (the PDF only when it is written).
    documents = {".html": html, **({".pdf": draw_pdf()} if ".pdf" in targets else {})}
    # A dead run's temporaries in the folders written to (a report killed mid-write), swept
    # as ``offload copy`` sweeps its report folder: the same code, the same rules.
    for folder in sorted({target.parent for target in targets.values()}):
        swept = remove_dead_temporaries(folder)
        if swept is not None:
            env.warning(swept)
    # What the card itself holds that is not whole (a span or frames missing, frames
    # damaged, an empty clip file), a line a kind, as ``offload copy``'s summary prints
    # them; they change no exit code. Printed before the documents are written, so that a
    # document that cannot be written is the last line said, nothing after it.
    for line in content:
        print(printable_line(line["message"]), file=env.stderr)
    code = 0
    # The report's own documents beside it are written again; a file the user named is
    # replaced only when asked (one made since the check above is kept: FileExistsError).
    named = {args.html, args.pdf} - {None}
    for suffix, target in targets.items():
        try:
            replace = args.overwrite or target not in named
            # Counted once under its name (the rename), before the folder's fsync: a
            # signal there must not call it "not written" and give a step it refuses.
            write_file_atomically(
                target, documents[suffix], replace=replace, renamed=partial(written.append, target)
            )
        except OSError as exc:
            if target in written:  # under its name; its folder's fsync failed
                env.error(
                    f"{printable_name(str(target))} was written, but its folder could not be "
                    f"synced ({describe_os_error(exc)}): a crash now may lose its name; check "
                    "the disk"
                )
            else:
                env.error(_not_written(target, exc, option=f"--{suffix[1:]}"))
            code = 1
            continue
        # Said apart from the write: an error saying it (a terminal gone) is no fsync's.
        _announce(env, target, announced)
    return code


def _same_file(a: Path, b: Path) -> bool:
    """Whether *a* and *b* name one file: one existing file (``os.path.samefile``: through a
    symlink or a hard link too), else the same path once resolved."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.realpath(a) == os.path.realpath(b)


def _refuse_one_file_twice(args: argparse.Namespace) -> None:
    """UsageError (exit 64, one line, nothing written) for a document to be written over
    JOB.json itself (``--html JOB.json``, a link to it, or the default ``JOB.html`` of a job
    report named ``.html``: the run's only record would be lost, --overwrite or not), and
    for --html and --pdf naming one file (one document would replace the other)."""
    options = {".html": "--html", ".pdf": "--pdf"}
    targets = _targets(args)
    for suffix, target in targets.items():
        if _same_file(target, args.job):
            how = (
                f"{options[suffix]} names it"
                if target in (args.html, args.pdf)
                else f"the default {suffix[1:].upper()} file beside it has its name"
            )
            raise UsageError(
                f"{printable_name(str(target))} is the job report {printable_name(str(args.job))} "
                f"itself ({how}): writing it would replace the run's record; nothing was written "
                f"(name another file with {options[suffix]} OUT)",
                path=target,
            )
    if len(targets) == 2 and _same_file(targets[".html"], targets[".pdf"]):
        raise UsageError(
            f"--html and --pdf both name {printable_name(str(targets['.html']))}: one would "
            "replace the other; nothing was written (name two files)",
            path=targets[".pdf"],
        )


def _not_written(target: Path, exc: OSError, *, option: str) -> str:
    """The one line of a document *target* that could not be written (*exc*): the path,
    why, that nothing was written there (``write_file_atomically`` leaves no partial under
    its name) and what to do with *option* (``--html``, ``--pdf``): for a file the user
    named that appeared after the check that refuses an existing one (FileExistsError), the
    check's own remedy, a new file or --overwrite; for any other error a file elsewhere."""
    if isinstance(exc, FileExistsError):
        remedy = f"name a new file with {option} FILE, or pass --overwrite to replace it"
    else:
        remedy = f"name a file in a folder that can be written with {option} FILE"
    return (
        f"cannot write {printable_name(str(target))}: {describe_os_error(exc)}; nothing was "
        f"written there: {remedy}"
    )
