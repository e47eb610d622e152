"""The PDF report rendered by a process of its own, started before the copy.

Why a process: importing fpdf2 (with Pillow, fontTools and cryptography) costs ~0.35 s of
CPU, about half of what ``offload copy`` spends on a small card beyond moving the data. On a
thread it competed with the copy and the reports for the interpreter lock; in a process it
runs on another core while this one plans, copies and writes the manifests, and the PDF is
then drawn there from the finished view. The command still returns only once the PDF is
written and durable: the caller writes the bytes this process hands back.

    renderer = PdfProcess.start()      # None when no process could be started
    pdf = renderer.render(view, "a4")  # the bytes of render_pdf(view, "a4"); RuntimeError
    renderer.close()                   # an unused renderer is ended

``render`` is ``send`` (the child starts drawing) then ``receive`` (the PDF): the caller may
do other work between the two (``documents.write_documents`` writes the HTML reports).

The protocol: one pickled ``(view, paper)`` on the child's stdin (read as one pickle, so the
child starts drawing before its input ends), the PDF on its stdout, exit status 0; a failure
is a non-zero status with the reason on stderr. An unused child is killed (end of input with
nothing sent also ends it). The child runs in a session of its
own, so a Ctrl-C on the terminal reaches only the command, which decides; if the command
dies, the child's stdin closes and it exits.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offload.report.content import ReportView

_MODULE = "offload.report.pdf_process"
# Environment variables the child does not get (it needs none of them to draw).
_SECRET = re.compile(r"^AWS_|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|_KEY($|_)", re.IGNORECASE)


class PdfProcess:
    """One child process that renders one PDF (or none). Not thread-safe: one owner."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    @classmethod
    def start(cls) -> PdfProcess | None:
        """Start the child (it imports the PDF renderer at once). None if it cannot be
        started: the caller renders in this process instead."""
        if not sys.executable:  # an embedded interpreter: nothing to start
            return None
        # The child imports exactly what this process imports from (a bench snapshot, a
        # source tree, an installed package), and nothing from the working directory: ``-I``
        # (isolated: no current folder or script folder first on the path, no PYTHON*
        # variables, no user site) and this process's own path handed over. It gets no
        # credentials: it only draws.
        bootstrap = (
            "import sys; sys.path[:] = sys.argv[1:]; "
            f"from {_MODULE} import _serve; sys.exit(_serve())"
        )
        env = {name: value for name, value in os.environ.items() if not _SECRET.search(name)}
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-c", bootstrap, *[p for p in sys.path if p]],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError:
            return None
        return cls(process)

    @property
    def pid(self) -> int:
        return self._process.pid

    def render(self, view: ReportView, paper: str) -> bytes:
        """The PDF of *view* on *paper*, as ``render_pdf`` makes it: ``send``, then
        ``receive``. Raises RuntimeError as they do."""
        self.send(view, paper)
        return self.receive()

    def send(self, view: ReportView, paper: str) -> None:
        """Hand *view* to the child, which draws it while the caller goes on. Blocks only
        while the child is still loading the PDF library and the request fills the pipe.
        Raises RuntimeError (the child is gone, or *view* could not be pickled: a bug); the
        child is then reaped."""
        assert self._process.stdin is not None, "started with a pipe on its stdin"
        try:
            request = pickle.dumps((view, paper), protocol=pickle.HIGHEST_PROTOCOL)
            self._process.stdin.write(request)
            self._process.stdin.flush()
        except Exception as exc:  # not picklable (a bug), or the child is gone
            self.close()
            raise RuntimeError(f"the PDF process got no view: {type(exc).__name__}: {exc}") from exc
        except BaseException:  # Ctrl-C: it must not outlive the command
            self.close()
            raise

    def receive(self) -> bytes:
        """The PDF the child drew from what ``send`` handed it. Raises RuntimeError naming
        why it gave none (it died or raised); the child is reaped either way."""
        try:
            out, err = self._process.communicate()
        except Exception as exc:
            self.close()
            raise RuntimeError(f"the PDF process failed: {type(exc).__name__}: {exc}") from exc
        except BaseException:  # Ctrl-C while it draws: it must not outlive the command
            self.close()
            raise
        if self._process.returncode != 0 or not out.startswith(b"%PDF-"):
            reason = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [
                f"exit status {self._process.returncode}"
            ]
            raise RuntimeError(f"the PDF process failed: {reason[0]}")
        return out

    def close(self) -> None:
        """End the child if it was not used and reap it. Never raises. Killed rather than
        told to stop: it may still be importing, it has written nothing, and a command
        that needs no PDF (``--dry-run``, a refusal) must not wait for it."""
        if self._process.returncode is None:
            try:
                self._process.kill()
            except OSError:
                pass
        self._process.communicate()  # closes its pipes, also when it had already ended


_early: PdfProcess | None = None  # started, not yet taken


@contextmanager
def pdf_renderer_started() -> Iterator[None]:
    """Within the block, ``documents`` draws the PDF in a process of its own: the one
    ``start_early`` started (the ``offload`` command's entry point, before its imports), else
    one started now, which imports fpdf2 (~0.35 s of CPU, the largest part of the reports'
    fixed cost on a small card) on another core while this process copies. Leaving the block
    ends the process if it was not used. Where no process can be started, or it fails, the
    PDF is drawn in this process as before."""
    start_early()
    try:
        yield
    finally:
        close_early()


def start_early() -> None:
    """Start the renderer for a command that will write a PDF, before the command's own
    imports (``offload.cli.entry``): the earlier it starts, the sooner the PDF library is
    loaded. ``take_early`` hands it over; ``close_early`` ends it if nobody took it."""
    global _early
    if _early is None:
        _early = PdfProcess.start()


def take_early() -> PdfProcess | None:
    """The renderer ``start_early`` started, now the caller's (None if none)."""
    global _early
    process, _early = _early, None
    return process


def close_early() -> None:
    """End the renderer ``start_early`` started if it was not taken."""
    process = take_early()
    if process is not None:
        process.close()


def _serve() -> int:
    """The child: import the renderer first (the point of starting early), then render
    what comes on stdin."""
    from offload.report.pdf import render_pdf

    try:
        view, paper = pickle.load(sys.stdin.buffer)  # our own parent wrote it
    except EOFError:  # nothing sent: not needed
        return 0
    sys.stdout.buffer.write(render_pdf(view, paper))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
