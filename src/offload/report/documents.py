"""HTML and PDF reports from a JSON job report dict: the one path that ``write_reports``
(after every offload) and ``offload report JOB.json`` share.

    build_documents(data) -> {".html": bytes, ".pdf": bytes}

Steps: group the files into clips (``clips``), check the frames of odd size of a DPX or
Cineon sequence against their headers (``frames``), probe each clip once for metadata and a
thumbnail within the time budgets (``media``; reads the card, or a verified copy when the
card is gone), word the states (``content``), render (``html``, ``pdf``).

``offload copy`` has them made by its report worker (``worker.py``, a second process) while
it prints its summary, and writes what it returns (``PendingDocuments``); the modules that
make them are imported only where they are made (this module alone is cheap to import).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offload._version import __version__
from offload.errors import describe_os_error, shell_word

if TYPE_CHECKING:
    from offload.report.clips import Clip
    from offload.report.content import ReportView
    from offload.report.media import ProbeBudget
    from offload.report.worker import DocumentWorker

_SURROGATE = re.compile("[\udc80-\udcff]")


def _hex(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()) - 0xDC00:02x}"


# Territories that print on US Letter (the rest of the world uses A4).
LETTER_TERRITORIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "PR", "GT", "CR"})
READABLE_COPY = ("verified", "verified_earlier", "transfer_checked")


def default_paper(environ: Mapping[str, str] | None = None) -> str:
    """``letter`` where the locale's territory prints on Letter (``en_US.UTF-8``), else
    ``a4``; ``$OFFLOAD_PAPER`` overrides."""
    env = os.environ if environ is None else environ
    chosen = env.get("OFFLOAD_PAPER", "").strip().lower()
    if chosen in ("a4", "letter"):
        return chosen
    for name in ("LC_ALL", "LC_PAPER", "LANG"):
        value = env.get(name, "")
        if value:
            territory = value.split(".")[0].split("@")[0].partition("_")[2].upper()
            return "letter" if territory in LETTER_TERRITORIES else "a4"
    return "a4"


def _probe_budget() -> ProbeBudget:
    from offload.report.media import ProbeBudget

    return ProbeBudget()


@dataclass(frozen=True)
class DocumentOptions:
    paper: str | None = None  # None: default_paper()
    media: bool = True  # probe clips for thumbnails and metadata
    budget: ProbeBudget = field(default_factory=_probe_budget)


def locator(data: Mapping[str, Any]) -> Callable[[Clip], Path | None]:
    """The file to probe for a clip: the first copy a destination holds in a good state,
    else the card if it is still there.

    Copies first: the engine drops the card's pages from the cache once it has read them
    (so that a re-read comes from the media), the card reader is the slowest link, and the
    card may be ejected; a copy that was just written is on a faster drive and, for small
    files, still in the page cache (measured: reading the headers of 5,000 files took 0.98 s
    cold, 0.04 s from the cache).

    The candidates are tried in that order, only as far as the first that is a file, each
    with one ``stat`` of its text, and a ``Path`` is made of that one alone: making one of
    every copy and of the card's file first, then testing them, cost ~18 µs of CPU a clip,
    three times the header sniff that follows (docs/performance.md, "The small-file card in
    full mode: the report's sniffing")."""
    source = Path(str(data.get("source") or ""))
    # ``_is_file``, not ``Path.is_file``: a card pulled since (ENOTCONN, EIO) must not stop
    # the documents, whose clips are then probed from the copies.
    single_file = bool(source.name) and _is_file(str(source))

    def locate(clip: Clip) -> Path | None:
        entry = clip.primary
        for copy in entry.get("destinations", ()):
            final = copy.get("final_path")
            if final and copy.get("status") in READABLE_COPY and _is_file(str(final)):
                return Path(str(final))
        relative = str(entry.get("path") or "")
        if single_file and relative == source.name:
            card_file = source
        else:
            card_file = source.joinpath(*relative.split("/"))
        return card_file if _is_file(str(card_file)) else None

    return locate


def _is_file(path: str) -> bool:
    """*path* is a regular file (links followed), as ``Path.is_file``: False for anything
    that cannot be looked at."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _pdf_drawer(view: ReportView, paper: str) -> Callable[[], bytes]:
    """The function that draws the PDF of *view* when asked (``write_documents`` asks once
    the HTML is written, so a PDF that fails costs the PDF only)."""

    def pdf() -> bytes:
        # Imported here, when the PDF is drawn: only a command that writes the reports
        # needs reportlab (~40 ms of imports), and loaded at the end it adds nothing to
        # the peak memory of a large card (whose peak comes earlier).
        from offload.report.pdf import render_pdf

        return render_pdf(view, paper)

    return pdf


def build_documents(
    data: dict[str, Any], options: DocumentOptions | None = None
) -> dict[str, bytes]:
    """``{".html": ..., ".pdf": ...}`` for the job report *data* (``job_report_dict``)."""
    html, pdf = render_documents(data, options or DocumentOptions())
    return {".html": html, ".pdf": pdf()}


def render_documents(
    data: dict[str, Any], options: DocumentOptions
) -> tuple[bytes, Callable[[], bytes]]:
    """The HTML, and the function that draws the PDF (``_pdf_drawer``)."""
    html, pdf, _ = render(data, options)
    return html, pdf


def render(
    data: dict[str, Any], options: DocumentOptions
) -> tuple[bytes, Callable[[], bytes], list[dict[str, Any]]]:
    """The HTML, the function that draws the PDF (``_pdf_drawer``) and the card's content
    not whole (``card_content.card_content``: the summary's ``CARD CONTENT`` lines), from
    the one grouping of its clips: what the command and its report worker (``worker.py``)
    both run."""
    from offload.report.card_content import card_content
    from offload.report.clips import empty_files_of, group_clips
    from offload.report.content import build_view, in_run_zone, own_flags_of, when
    from offload.report.frames import check_headers
    from offload.report.html import render_html
    from offload.report.media import media_available, probe_clips
    from offload.report.media_record import (
        NO_MEDIA,
        NO_MEDIA_EXTRA,
        NOT_REACHED,
        recall,
        recalled_notes,
    )
    from offload.report.release import source_is_copy

    started = time.monotonic()
    clips = group_clips(list(data.get("files") or []))
    locate = locator(data)
    # The frames of odd size of a DPX/Cineon sequence, against their headers (no PyAV: done
    # with --no-media too; a sequence of frames of one size reads nothing).
    check_headers(clips, locate)
    if options.media:
        media, notes = probe_clips(clips, locate, options.budget)
        unprobed_why = NOT_REACHED if media_available() else NO_MEDIA_EXTRA
    else:
        media, notes = {}, ["Clips were not probed for thumbnails and metadata (--no-media)."]
        unprobed_why = NO_MEDIA
    # The clips this probing could not look at, given what the run's own probing found of
    # them (kept in its job report's ``card_content``): a document made again once the card
    # is formatted and its copies shelved still names a file not readable as media. The
    # note says why each was not probed, never "neither the card nor a copy is there" of a
    # clip --no-media left alone.
    notes += recalled_notes(recall(clips, media, data.get("card_content")), unprobed_why)
    # Each row's empty files, found once: the summary's lines and the documents' rows and
    # page 1 count the same.
    empty_of = empty_files_of(clips)
    # Each row's own ⚠ likewise, made once: the summary's lines, the rows, their folding and
    # page 1 read the same (``own_flags_of``).
    flags_of = own_flags_of(clips, media, empty_of)
    # The probing's damage too; said of the source copy where the source is one of ours.
    content = card_content(
        clips, media, empty_of, source_is_copy=source_is_copy(data), flags_of=flags_of
    )
    probed = time.monotonic() - started
    # Every time in the run's zone, as the job report records it (one clock in a document,
    # wherever and whenever it is made); the machine's for a report that records none.
    with in_run_zone(data):
        generated = (
            f"Generated by offload-ai {__version__} on "
            f"{when(time.time())}"
            f" from the job report of {when(data.get('started'))}; "
            f"clip probing took {probed:.1f} s. "
            # Where this file is written is the caller's (``offload report --pdf``
            # anywhere): the words name the job's reports, not a place.
            "The job's JSON and CSV reports list every file with its digests."
        )
        view = build_view(
            data, clips, media, notes, generated=generated, empty_of=empty_of, flags_of=flags_of
        )
    pdf = _pdf_drawer(view, (options.paper or default_paper()).lower())
    # A name that is not valid UTF-8 (surrogate escapes) shows as \xNN, as in the CSV.
    return _SURROGATE.sub(_hex, render_html(view)).encode("utf-8"), pdf, content


def write_documents(
    data: dict[str, Any],
    json_paths: Sequence[str | Path],
    options: DocumentOptions | None = None,
    *,
    remote: Sequence[tuple[str, Callable[[str, bytes], None]]] = (),
) -> list[str]:
    """Build the documents once and write ``X.html`` and ``X.pdf`` beside every ``X.json``
    in *json_paths* (``write_reports`` calls this after the JSON and CSV are written), and
    store the same bytes beside every JSON of *remote* (its shown path, and the function
    that stores a document given its suffix, raising OSError: a bucket's). Returns notes
    for what failed: a bug or a full disk here must not cost the JSON and CSV reports, and
    ``offload report X.json`` writes the documents again.

    The PDF is drawn first (a failure to draw it costs the PDF alone), then both are written
    beside every JSON: every temporary file, handed to the kernel's writeback at once, then
    each fsynced and renamed, then one fsync a folder: every document written is durable
    when this returns."""
    return PendingDocuments(data, options).finish(json_paths, remote)


def write_beside_json(
    documents: Sequence[tuple[str, bytes]],
    json_paths: Sequence[Path],
    published: list[Path] | None = None,
) -> list[str]:
    """Write each of *documents* (suffix, bytes) beside every JSON of *json_paths*, replacing
    an older one: every temporary file first, each handed to the kernel's writeback at once
    (``AtomicFile.start_writeback``), then each fsynced and renamed (on ext4 the first
    fsync's journal commit carries the blocks of all of them: the others need no commit of
    their own), then one fsync a folder. The notes of what failed (a file that fails is never
    published; the others are, each added to *published* once under its name)."""
    # Here, not with the module: the report worker, which only draws, then loads none of the
    # file writing's modules (ctypes, the hashers: ~3 ms of its start-up); the command has
    # them loaded by now (its manifests were written with them).
    from offload.fs.ops import fsync_dir
    from offload.manifest.atomic import AtomicFile

    notes: list[str] = []
    folders: dict[Path, None] = {}  # written into, in order: each fsynced once
    written: list[tuple[Path, AtomicFile]] = []
    with contextlib.ExitStack() as temporaries:  # a temporary never published is removed
        for suffix, content in documents:
            for target in (json_path.with_suffix(suffix) for json_path in json_paths):
                try:
                    handle = temporaries.enter_context(AtomicFile(target))
                    handle.write_bytes(content)
                    handle.start_writeback()
                except OSError as exc:
                    notes.append(_cannot_write(target, exc))
                    continue
                written.append((target, handle))
        for target, handle in written:
            try:
                handle.commit(replace=True, sync_folder=False)
            except OSError as exc:
                notes.append(_cannot_write(target, exc))
            else:
                if published is not None:
                    published.append(target)
            folders[target.parent] = None  # a failed rename may have happened all the same
    for folder in folders:
        try:
            fsync_dir(folder)
        except OSError as exc:
            notes.append(
                f"cannot make the HTML/PDF reports in {folder} durable: "
                f"{describe_os_error(exc)}{_again(folder)}"
            )
    return notes


def _cannot_write(target: Path, exc: OSError) -> str:
    """The note of a document not written: its final name (never the temporary's, which
    Python's message for the error names) and why, in words, and what to do."""
    return (
        f"cannot write the {target.suffix[1:].upper()} report {target}: "
        f"{describe_os_error(exc)}{_again(target.with_suffix('.json'))}"
    )


def _again(json_path: Path) -> str:
    """What to do about a document not written beside *json_path* (a JSON report, or the
    folder of them): the JSON and CSV are written, and ``offload report`` makes it again."""
    command = (
        f"offload report {shell_word(json_path)}"
        if json_path.suffix == ".json"
        else f"offload report {shell_word(json_path)}/<report>.json"
    )
    return f" (the JSON and CSV reports are written; once that is fixed, {command} makes it again)"


class PendingDocuments:
    """``write_documents`` in two steps, so that ``offload copy``'s report worker
    (``worker.DocumentWorker``) makes the documents while the command writes the JSON and
    CSV reports and prints its summary: made from *data* (handed to the *worker* at once if
    one is given), then written by ``finish``. Whatever the worker does (missing, killed,
    failed), ``finish`` writes the same documents with the same notes: made here when the
    worker gave none, or when *data* changed since it was handed over (its ``exit_code``:
    a destination that refused its JSON report changes it). A plain class (a dataclass
    costs its creation at import)."""

    __slots__ = ("_data", "_exit_code", "_options", "_worker", "card_content", "published")

    def __init__(
        self,
        data: dict[str, Any],
        options: DocumentOptions | None = None,
        *,
        worker: DocumentWorker | None = None,
        entries_follow: bool = False,
    ) -> None:
        self._data = data
        # Made when the documents are made here: the default's probe budget imports the
        # media module (~5 ms), which the command does not need when the worker makes them.
        self._options = options
        self._exit_code = data.get("exit_code")
        self._worker = None
        # The card's content not whole, from the documents' grouping, once ``finish`` has
        # them made (``card_content.card_content``); None: not known (nothing grouped).
        self.card_content: list[dict[str, Any]] | None = None
        # The documents ``finish`` wrote beside the local JSON reports, under their names
        # (what the summary's ``HTML report:``/``PDF report:`` lines name: only those).
        self.published: list[Path] = []
        if worker is not None:
            # The worker makes them with the default options (the command's) on this paper.
            # *entries_follow*: its file entries are not sent now but as the JSON report's
            # text (``feed``, then ``fed``); until they all are, ``finish`` makes them here.
            follow = len(data.get("files") or ()) if entries_follow else None
            if options is None and worker.submit(data, default_paper().lower(), follow=follow):
                self._worker = worker
            else:
                worker.close()

    def feed(self, entries: bytes | memoryview) -> bool:
        """Send the worker a batch of the file entries' JSON text (``job_report.json_chunks``:
        the entries joined by ", ", no brackets). False when there is no worker to send them
        to (any more): the documents are then made here."""
        worker = self._worker
        if worker is None:
            return False
        if not worker.feed(entries):
            self._worker = None  # closed by ``feed``
            return False
        return True

    def fed(self) -> None:
        """Every file entry was sent: the worker's request is whole."""
        if self._worker is not None:
            self._worker.end()

    def restate(self, data: dict[str, Any]) -> None:
        """The report's *data* was made again after it was handed over (a destination refused
        its JSON report: its ``result``, the exit code, ``folder_errors``): the documents are
        made from *data*, here, never from what the worker was given."""
        self._data = data
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()

    def finish(
        self,
        json_paths: Sequence[str | Path],
        remote: Sequence[tuple[str, Callable[[str, bytes], None]]] = (),
    ) -> list[str]:
        """Write the documents beside *json_paths* and *remote* (``write_documents``); the
        notes of what failed."""
        data = self._data
        worker, self._worker = self._worker, None
        shown = [*map(str, json_paths), *(name for name, _ in remote)]
        if not shown:
            if worker is not None:
                worker.close()
            return []
        made = None
        if worker is not None:
            if data.get("exit_code") == self._exit_code:
                made = worker.result()
            else:  # made for another exit code: made again here
                worker.close()
        if made is not None:
            html, drawn, self.card_content = made
            pdf: Callable[[], bytes] = lambda: drawn  # noqa: E731
        else:
            try:
                html, pdf, self.card_content = render(data, self._options or DocumentOptions())
            except Exception as exc:  # reported, never swallowed: the caller shows the note
                return [
                    f"cannot build the HTML/PDF report: {type(exc).__name__}: {exc} "
                    f"(offload report {shell_word(shown[0])} tries again)"
                ]
        notes: list[str] = []
        documents = [(".html", html)]
        pdf_note: str | None = None
        try:
            documents.append((".pdf", pdf()))
        except Exception as exc:  # the HTML is written all the same; the PDF is not
            pdf_note = (
                f"cannot build the PDF report: {type(exc).__name__}: {exc} "
                f"(offload report {shell_word(shown[0])} tries again)"
            )
        # On a worker (``interruptible.call``), as the JSON and CSV reports' calls: a drive
        # that hangs holds it, never the main thread, so a second Ctrl-C still stops the run.
        from offload.interruptible import call

        paths = list(map(Path, json_paths))
        notes.extend(
            call(
                "offload-reports",
                lambda: write_beside_json(documents, paths, self.published),
                tuple(str(path.parent) for path in paths),
            )
        )
        for suffix, content in documents:
            for name, put in remote:
                target_name = name.removesuffix(".json") + suffix
                try:
                    put(suffix, content)
                except OSError as exc:
                    notes.append(
                        f"cannot write the {suffix[1:].upper()} report {target_name}: "
                        f"{describe_os_error(exc)}"
                    )
        if pdf_note is not None:
            notes.append(pdf_note)
        return notes

    def close(self) -> None:
        """Stop the worker if it still runs (the command ends without ``finish``)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()
