"""The report worker: a second process that makes the HTML and PDF reports of an
``offload copy`` on the machine's other core.

    worker = DocumentWorker.start()           # the command's start, before its imports
    worker.submit(data, paper, follow=n)      # the job report dict, before the JSON is written
    worker.feed(entries_json); worker.end()   # its n file entries, as the JSON is written
    ...                                       # the command prints its summary meanwhile
    worker.result() -> (html, pdf, content) | None  # None: make them here (documents.py)
    worker.close()                            # always: kills a worker still running, reaps it

Why a process: the command's main process is single-threaded Python (its threads share one
interpreter lock), so the PDF's library (reportlab and Pillow, ~30 ms of imports), the
reports' modules (~20 ms) and the drawing (~35 ms for a 200-file card) all lay on its
critical path; loaded on a thread they competed with the copy for the lock and lost
(docs/performance.md, "Fixed cost: fourth pass"). The worker imports them while the command
imports its own modules (``cli/entry.py`` spawns it first thing for an ``offload copy``),
and makes the documents while the command writes its JSON and CSV reports and prints its
summary (docs/performance.md, "Fixed cost: fifth pass").

What it promises, and how:

* **Nothing is lost.** The worker only computes: it writes no file, takes no lock, holds no
  descriptor of the command's but its two pipes. The command writes what it returns exactly
  as it writes documents made in-process (``documents.PendingDocuments``). A worker that is
  missing, died, answered garbage or failed in any way means ``result`` is None and the
  command makes the documents itself, so the reports and their notes are what the command
  alone would have made.
* **The same documents.** The worker runs ``documents.render_documents`` on the same data
  with the same paper size, the function the command runs in-process: the same bytes but
  for the generation time the reports state (and the PDF's document ID, random in both).
* **Data over a pipe.** The job report dict (its values JSON-able: dicts, lists, text,
  numbers, the results' empty-digests mapping) pickled, the answer marshalled (two byte
  strings and the card's content not whole, ``card_content``: the summary's lines, from
  the same grouping of the clips, so the command groups nothing itself); a dict that
  cannot be pickled is not sent (``submit`` returns False: the documents are made
  in-process). ``offload copy`` sends it without its file entries, then
  the entries as the JSON report's own text, a batch a frame as its first JSON report is
  made (``feed``; each frame is its length, then its bytes): the command makes no entry
  for the worker and pickles none (~4 µs a file), and the worker parses each batch as it
  comes, while the command goes on; entries fewer than announced, or a request never
  ended, and the documents are made in-process.
* **Ctrl-C, crashes, no zombie.** The worker is in the command's process group, so a Ctrl-C
  at the terminal reaches both; it dies on SIGINT without a traceback (its stderr is
  /dev/null in any case). A worker whose command died sees the end of its input and exits.
  ``close`` kills a worker still running and reaps it on every path of the command, but
  one: the console script's worker (``--code-cache``) that has answered whole may still
  write its cache of generated code, and is neither waited for nor killed (reaped by init
  once the command exits; it writes no file of the run's).
* **No secrets.** The AWS variables are not passed to it: it never talks to a bucket.
"""

from __future__ import annotations

import gc
import marshal
import os
import signal
import sys
import time
from collections.abc import Mapping
from typing import Any

from offload.fs.whole import write_all

_PIPE_SIZE = 1 << 20  # the command's request fits in the pipe, up to this, without waiting
_READ = 1 << 16
_LENGTH = 8  # bytes of a frame's length, before its payload (``DocumentWorker._send``)
# How long the command waits for the worker to take the report and answer: far beyond what a
# card of MAX_WORKER_FILES files takes (clip probing alone stops at 20 s); past it the worker
# is taken for hung (stopped, stuck), killed, and the documents are made in the command.
PATIENCE_S = 120.0
# Variables the worker never needs: it draws; the command alone talks to S3.
_SECRET_PREFIXES = ("AWS_",)


def _package_root() -> str:
    """The folder holding the ``offload`` package this process runs: the worker imports the
    same code whatever its ``sys.path`` would find first."""
    import offload

    return os.path.dirname(os.path.dirname(os.path.abspath(offload.__file__)))


def _environment(environ: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if not k.startswith(_SECRET_PREFIXES)}
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = _package_root() + (os.pathsep + path if path else "")
    return env


class DocumentWorker:
    """The command's side of one worker process (one job report). Not thread-safe."""

    __slots__ = ("_deadline", "_detached", "_reader", "_writer", "pid")

    def __init__(self, pid: int, writer: int, reader: int, *, detached: bool = False) -> None:
        self.pid: int | None = pid  # None once reaped (or left to finish alone)
        # A worker of the command's own process: once it has answered, it may still write
        # its cache of generated code; the command neither waits for it nor kills it
        # (``result``). The process ends soon after, and the worker, orphaned, is reaped by
        # init. Elsewhere (a library user's long-lived process) it is always reaped.
        self._detached = detached
        self._deadline = 0.0  # set by submit: when the worker is taken for hung
        self._writer: int | None = writer  # the worker's stdin
        self._reader: int | None = reader  # the worker's stdout

    @classmethod
    def start(cls, *, code_cache: bool = False) -> DocumentWorker | None:
        """Spawn a worker (``python -m offload.report.worker``), or None when it cannot be:
        the command then makes its documents itself. *code_cache*: the worker of the
        command's own process (the console script) uses the user's cache of generated code
        (``cli/generated_code.py``); one spawned from a library user's process does not."""
        if not sys.executable:  # an embedded interpreter: nothing to spawn
            return None
        request_r = request_w = answer_r = answer_w = -1
        try:
            request_r, request_w = os.pipe()  # both ends close on exec: the worker gets
            answer_r, answer_w = os.pipe()  # only its own, as stdin and stdout
            try:
                import fcntl

                fcntl.fcntl(request_w, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
            except (ImportError, AttributeError, OSError):
                pass  # a smaller pipe: the command waits for the worker to read
            pid = os.posix_spawn(
                sys.executable,
                # -P: the working folder is not put first on its path (a folder there that
                # is a package named offload must not stand in for this one).
                [sys.executable, "-P", "-m", "offload.report.worker"]
                + (["--code-cache"] if code_cache else []),
                _environment(os.environ),
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, request_r, 0),
                    (os.POSIX_SPAWN_DUP2, answer_w, 1),
                    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                ],
                # No signal blocked, whichever thread spawns it: a child keeps its starting
                # thread's mask through exec (``interruptible.signals_unblocked``).
                setsigmask=(),
            )
        except OSError:
            for fd in (request_r, request_w, answer_r, answer_w):
                if fd >= 0:
                    os.close(fd)
            return None
        os.close(request_r)
        os.close(answer_w)
        return cls(pid, request_w, answer_r, detached=code_cache)

    def submit(self, data: Mapping[str, Any], paper: str, *, follow: int | None = None) -> bool:
        """Hand the worker the job report dict *data* (its ``files`` a sequence of file
        entries) to make the documents of, on *paper*. False when it cannot be sent (a
        value that is not plain data, the worker gone or not reading for ``PATIENCE_S``):
        the command makes them itself. Blocks while the worker reads, ``PATIENCE_S`` at most.

        *follow*: the number of file entries sent afterwards as the JSON report's text
        (``feed``, then ``end``), *data*'s own ``files`` left out; the request is then not
        whole until ``end``, and ``result`` gives None before it."""
        if self._writer is None:
            return False
        import pickle  # here: the command spawns its worker before it imports anything else

        try:
            if follow is None:
                # A view's entry made a dict (an entry already one sent as it is); its copies
                # stay ``CopyEntryView``s, pickled with the result each reads.
                files = [
                    entry if type(entry) is dict else dict(entry)
                    for entry in data.get("files") or ()
                ]
            else:
                files = []
            head = pickle.dumps(({**data, "files": files}, paper, follow), pickle.HIGHEST_PROTOCOL)
        except Exception:  # cannot be pickled: no worker for this report
            self.close()
            return False
        self._deadline = time.monotonic() + PATIENCE_S
        if not self._send(head):
            return False
        if follow is None:
            self.end()
        return True

    def feed(self, entries: bytes | memoryview) -> bool:
        """Send the JSON text of a batch of the file entries ``submit`` said would follow:
        the entries as the JSON report holds them (UTF-8, ``json_text``'s escapes), joined by
        ", ", without brackets. False when the worker is gone, or did not read for
        ``PATIENCE_S`` (it is then closed: the command makes the documents itself)."""
        if self._writer is None:
            return False
        self._deadline = time.monotonic() + PATIENCE_S
        return self._send(entries)

    def end(self) -> None:
        """The request is whole: the worker's input ends (it then makes the documents)."""
        if self._writer is not None:
            os.close(self._writer)
            self._writer = None

    def _send(self, payload: bytes | memoryview) -> bool:
        """Write *payload* to the worker as one frame (its length, then its bytes), until
        ``self._deadline``; False (the worker closed) when it could not be."""
        assert self._writer is not None
        try:
            # Not blocking: a request larger than the pipe holds, to a worker that stops
            # reading (stopped, hung), costs the command PATIENCE_S at most; a blocking write
            # waited until the worker read, that is for ever.
            os.set_blocking(self._writer, False)
            for part in (len(payload).to_bytes(_LENGTH, "big"), payload):
                view = memoryview(part)
                while view:
                    if not _ready(self._writer, self._deadline, write=True):
                        raise TimeoutError("the report worker does not read")
                    try:
                        view = view[os.write(self._writer, view) :]
                    except BlockingIOError:  # less room than select said: wait again
                        continue
        except OSError:  # EPIPE: the worker died; or it hangs
            self.close()
            return False
        return True

    def result(self) -> tuple[bytes, bytes, list[dict[str, Any]]] | None:
        """The HTML, the PDF and the card's content not whole (``documents.render``), once
        the worker has made them (waits for it); None if it failed in any way. The worker is
        reaped either way."""
        if self._reader is None or self._writer is not None:
            self.close()
            return None
        pieces = []
        hung = False
        try:
            while True:
                if not _ready(self._reader, self._deadline, write=False):
                    hung = True
                    break
                piece = os.read(self._reader, _READ)
                if not piece:
                    break
                pieces.append(piece)
        except OSError:
            pieces = []
        finally:
            # A whole answer from a worker of the command's own process: not waited for (it
            # may still write its cache, off the command's critical path); its answer is
            # checked whole below instead of its exit status. Anything else: reaped.
            if self._detached and pieces and not hung:
                status = self._reap(kill=False, wait=False)
            else:
                status = self._reap(kill=hung)
        if (status is not None and status != 0) or not pieces:
            return None
        try:
            answer = marshal.loads(b"".join(pieces))
        except (ValueError, EOFError, TypeError):
            return None
        if (
            isinstance(answer, tuple)
            and len(answer) == 3
            and isinstance(answer[0], bytes)
            and isinstance(answer[1], bytes)
            and _content_lines(answer[2])
        ):
            return answer[0], answer[1], answer[2]
        return None

    def close(self) -> None:
        """Kill the worker if it still runs, reap it, close the pipes. Idempotent."""
        if self._writer is not None:
            os.close(self._writer)
            self._writer = None
        self._reap(kill=True)

    def _reap(self, *, kill: bool, wait: bool = True) -> int | None:
        """Close our end of its answer, (kill and) wait for the worker; its exit status.
        *wait* False: reaped only if it has exited, else left to end alone (orphaned when the
        command exits, reaped by init), and None."""
        if self._reader is not None:
            os.close(self._reader)
            self._reader = None
        if self.pid is None:
            return None
        pid, self.pid = self.pid, None
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:  # already exited (reaped below)
                pass
        while True:
            try:
                done, status = os.waitpid(pid, 0 if wait else os.WNOHANG)
            except InterruptedError:  # pragma: no cover (PEP 475 retries)
                continue
            except ChildProcessError:  # reaped by someone else
                return None
            return os.waitstatus_to_exitcode(status) if done else None


def _content_lines(content: object) -> bool:
    """Whether *content* is the card's content as ``card_content.card_content`` makes it:
    a list of {``kind``: text, ``count``: int, ``message``: text}."""
    return isinstance(content, list) and all(
        isinstance(item, dict)
        and isinstance(item.get("kind"), str)
        and isinstance(item.get("count"), int)
        and isinstance(item.get("message"), str)
        for item in content
    )


def _ready(fd: int, deadline: float, *, write: bool) -> bool:
    """Wait until *fd* can be written (*write*) or read, at most until *deadline*
    (``time.monotonic``); False if it did not come to that."""
    import select

    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        wanted = ([], [fd]) if write else ([fd], [])
        readable, writable, _ = select.select(*wanted, [], left)
        if readable or writable:
            return True


# The keys of a file entry, and of a copy's, that the documents read (``content.py``,
# ``clips.py``, ``media.py``, ``frames.py``, ``release.py``; ``documents.locator`` the copies'
# ``final_path``): the worker keeps these alone (``_kept``). The others (the card file's
# date and its re-read digests, a copy's read-back digests, times and re-read flag) are in
# the JSON and CSV, which the command writes; the documents never showed them. The card
# file's re-read's cache (``source_cache_bypass``) is kept only where it names a cache the
# re-read went through (``_CARD_CACHED``: the documents name those,
# ``words.card_reread_through_a_cache``): a sixth key on every entry would double its dict's
# table (184 -> 272 bytes an entry).
_FILE_READ = ("path", "size_bytes", "digests", "source_error", "destinations")
_CARD_CACHED = frozenset({"none", "server"})
_COPY_READ = (
    "index",
    "status",
    "action",
    "verified_at",
    "verified_mode",
    "final_path",
    "error",
    "recorded_digests",
    "cache_bypass",
    # What the cascade's sentence decides by (``content._refusal``, ``_fast_failure``): a
    # copy without them is read as one a report written before them gives, by its words.
    "refusal",
    "fast_failure",
)
# Of those, the values that are few and repeated (states, modes, dates to the second): each
# distinct value is kept once.
_COPY_SHARED = (
    "status",
    "action",
    "verified_at",
    "verified_mode",
    "cache_bypass",
    "refusal",
    "fast_failure",
)


def _kept(entries: list[Any], shared: dict[object, object]) -> list[Any]:
    """*entries* (file entries parsed from the JSON report) as the worker keeps them: the
    keys the documents read alone (``_FILE_READ``, ``_COPY_READ``: a new dict each, sized for
    them, in the JSON's order), each repeated value one object (*shared*: the values met so
    far), and every empty digests mapping the results' read-only ``NO_DIGESTS``. The
    documents made from them are those made from the whole entries (tested); a key a
    document comes to read must be added here. Memory: json makes a string, a number or a
    dict for each value; at 50,000 files (a synthetic card, full verification, one copy a
    file) the worker's peak RSS 155 -> 110 MB (docs/performance.md, twenty-fifth pass)."""
    from offload.results import NO_DIGESTS

    kept: list[Any] = []
    for entry in entries:
        slim = {key: entry[key] for key in _FILE_READ if key in entry}
        bypass = entry.get("source_cache_bypass")
        if bypass in _CARD_CACHED:
            slim["source_cache_bypass"] = shared.setdefault(bypass, bypass)
        copies = slim.get("destinations")
        if copies:
            slim["destinations"] = [_kept_copy(copy, shared, NO_DIGESTS) for copy in copies]
        kept.append(slim)
    return kept


def _kept_copy(
    copy: dict[str, Any], shared: dict[object, object], empty: Mapping[str, str]
) -> dict[str, Any]:
    slim = {key: copy[key] for key in _COPY_READ if key in copy}
    for key in _COPY_SHARED:
        if key in slim:
            value = slim[key]
            slim[key] = shared.setdefault(value, value)
    if slim.get("recorded_digests") == {}:
        slim["recorded_digests"] = empty
    # A trusted copy whose earlier check proved its size alone (``content.describe``): kept
    # only where true, so no other copy's dict grows (the documents read it with ``get``).
    if copy.get("size_checked_only") is True:
        slim["size_checked_only"] = True
    return slim


def _frame() -> bytes | None:
    """The next frame of the request on stdin (``DocumentWorker._send``); None at its end.
    Raises EOFError for a frame cut short."""
    length = _exactly(_LENGTH)
    if not length:
        return None
    if len(length) < _LENGTH:
        raise EOFError("a frame's length cut short")
    payload = _exactly(int.from_bytes(length, "big"))
    if len(payload) < int.from_bytes(length, "big"):
        raise EOFError("a frame cut short")
    return payload


def _exactly(size: int) -> bytes:
    """*size* bytes of stdin, fewer at its end."""
    pieces = []
    while size:
        piece = os.read(0, min(size, 1 << 20))
        if not piece:
            break
        pieces.append(piece)
        size -= len(piece)
    return b"".join(pieces)


def _serve() -> int:
    """The worker's main: load what drawing needs, read the request (stdin to its end: the
    report dict, then any file entries that follow it as JSON text), answer the two
    documents (stdout). Exit 1, with nothing on stdout, if anything fails: the command then
    makes them itself."""
    import json
    import pickle
    import unicodedata  # noqa: F401 (non-ASCII text shown: ``render`` loads it, below)

    # Everything drawing needs, loaded before the request comes (while the command copies):
    # the HTML's module and the results' (the report's empty-digests mapping unpickles to
    # one), and what ``render`` imports as it runs (the card's content, the frames' check,
    # ``unicodedata`` for non-ASCII text), are otherwise loaded after the request, while
    # the command waits for the answer (~0.7 ms; docs/performance.md, "The end of the run").
    import offload.report.card_content
    import offload.report.frames
    import offload.report.html
    import offload.results  # noqa: F401
    from offload.report.documents import DocumentOptions, render
    from offload.report.pdf import render_pdf  # noqa: F401 (reportlab, loaded now)

    head = _frame()
    if head is None:  # the command went without asking: nothing to do
        return 0
    data, paper, follow = pickle.loads(head)
    if follow is not None:
        # The file entries as the JSON report's text, a batch a frame, parsed as each comes
        # (while the command goes on with its JSON and CSV); all of them, or no answer.
        # Each frame is read as soon as it is there, before one already read is parsed:
        # the command's writes then find room in the pipe and never wait for the parsing.
        import select
        from collections import deque

        files: list[Any] = []
        shared: dict[object, object] = {}
        unparsed: deque[bytes] = deque()
        ended = False
        while not ended or unparsed:
            if not ended and (not unparsed or select.select([0], [], [], 0)[0]):
                frame = _frame()
                if frame is None:
                    ended = True
                else:
                    unparsed.append(frame)
                continue
            files += _kept(json.loads(b"[" + unparsed.popleft() + b"]"), shared)
        if len(files) != follow:
            return 1
        data["files"] = files
    html, pdf, content = render(data, DocumentOptions(paper=paper))
    answer = marshal.dumps((html, pdf(), content))
    write_all(1, answer)
    # The end of the answer now: the command reads to the end of the pipe and need not wait
    # for what this process still does (the cache of generated code it writes on its way out).
    os.close(1)
    return 0


if __name__ == "__main__":
    # A Ctrl-C at the terminal reaches the whole process group: the command cancels, this
    # process just ends (no traceback; its stderr goes nowhere anyway). A SIGINT the command
    # ignores (started in the background by a shell) stays ignored here too.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    # No cyclic collector in this short-lived process: its imports (reportlab, the
    # documents' modules: ~40 collections over objects that live until it exits) and the
    # drawing (which the command, making the same documents itself, also does with the
    # collector paused: cli/offload.py, collector_paused) leave no garbage worth a pass;
    # reference counting frees as before and the process ends once it has answered
    # (docs/performance.md, "Fixed cost: eighth pass").
    gc.disable()
    if "--code-cache" in sys.argv[1:]:
        # The console script's worker: the code its imports' dataclasses and named tuples
        # generate is looked up in the user's cache of it (cli/generated_code.py, a file
        # of its own).
        from offload.cli.generated_code import generated_code_cache

        with generated_code_cache("worker"):
            code = _serve()
    else:
        code = _serve()
    # At once: the answer is written (os.write, nothing buffered) and nothing else is owed;
    # the interpreter's finalisation (~25 ms: every module's objects) would only delay the
    # end of the pipe and the exit status the command waits for.
    os._exit(code)
