"""The reference ASC MHL tool (``ascmhl`` 1.2) as a judge of what offload-ai writes.

It lives in its own venv (it pins click 8.1), created once under ``.test-venvs/ascmhl`` in
the repository and reused; the XSDs come from its sdist. Two adjustments keep the judge
offline and honest:

* ``ascmhl`` asks GitHub for a newer release on every run; the fork server below replaces that
  check with a no-op (and a dead local proxy catches anything else), so runs make no
  network traffic besides the one-time install from PyPI.
* ``ASCMHLDirectory.xsd`` imports the ASC MHL schema from a URL; our copy points the import
  at the local ``ASCMHL.xsd`` of the same sdist.

Each check is one run of the tool's own CLI in a process of its own, forked from a server
process of the judge venv that imported the tool once (``_ForkServer``): a run from
``python -c`` spent ~0.17 s of its ~0.2 s of CPU importing it, and the suite runs the judge
hundreds of times. The forked run gets its arguments, environment and folder as a child
process would, stdin from /dev/null, its stdout and stderr in files, and ends as that
process would (click's exit code; an uncaught exception's traceback and 1); nothing of one
run is left in the server for the next, which forks from the state before any run.

``ensure_judge()`` raises :class:`JudgeUnavailable` when the tool cannot be installed.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ASCMHL_VERSION = "1.2"
REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_DIR = REPO_ROOT / ".test-venvs" / "ascmhl"
_READY_MARKER = VENV_DIR / ".judge-ready"
_REMOTE_XSD = "https://raw.githubusercontent.com/ascmitc/mhl/master/xsd/ASCMHL.xsd"
_DEAD_PROXY = "http://127.0.0.1:9"

# The fork server: the release check disabled and both CLIs imported, once; then, for each
# request line (JSON), a child forked from this state runs the named CLI as ``python -c``
# would (click exits with the code; an uncaught exception prints its traceback and exits 1).
# The server answers the child's PID, then its exit code (``subprocess``'s convention: -N
# when killed by signal N). Its replies go on a copy of its stdout; its fd 1
# itself is /dev/null, so no output of the tool's can reach the replies.
_FORK_SERVER = """
import json, os, sys, time
import ascmhl.cli.update as update
update.Updater._get_latest_version = lambda self: None
from ascmhl.cli.ascmhl import mhltool_cli, updater as tool_updater
from ascmhl.cli.ascmhl_debug import mhldebugtool_cli, updater as debug_updater
tool_updater.join()
debug_updater.join()
CLIS = {"ascmhl": mhltool_cli, "ascmhl-debug": mhldebugtool_cli}
replies = os.fdopen(os.dup(1), "w", buffering=1)
null = os.open(os.devnull, os.O_RDWR)
os.dup2(null, 1)
while True:
    line = sys.stdin.buffer.readline()
    if not line:
        break
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        replies.close()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        out = os.open(request["stdout"], os.O_WRONLY | os.O_TRUNC)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_TRUNC)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in (out, err, null):
            os.close(fd)
        sys.argv = ["-c", *request["args"]]
        CLIS[request["tool"]](prog_name=request["tool"])
        raise SystemExit(0)
    replies.write(f"{pid}\\n")
    _, status = os.waitpid(pid, 0)
    replies.write(f"{os.waitstatus_to_exitcode(status)}\\n")
"""


class _ForkServer:
    """The judge venv's fork server (``_FORK_SERVER``), started on first use.

    ``run`` is thread-safe (one run at a time); raises ``subprocess.TimeoutExpired`` (the run
    killed) as ``subprocess.run`` does, and RuntimeError if the server died. ``close`` ends
    it; it also ends by itself when this process dies (its stdin reaches its end). It is in
    a session of its own: a signal a test sends to its process group does not reach it.
    """

    def __init__(self, python: Path) -> None:
        self._python = python
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pending = b""
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def _start(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        self._folder = tempfile.TemporaryDirectory(prefix="ascmhl-judge-")
        for name in ("stdout", "stderr"):
            Path(self._folder.name, name).touch()
        self._pending = b""
        with Path(self._folder.name, "server.log").open("wb") as log:
            self._proc = subprocess.Popen(
                [str(self._python), "-c", _FORK_SERVER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                start_new_session=True,
            )
        return self._proc

    def _line(self, proc: subprocess.Popen[bytes], deadline: float | None) -> str | None:
        """The server's next reply line; None at the deadline."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while b"\n" not in self._pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                assert self._folder is not None
                log = Path(self._folder.name, "server.log").read_text(errors="replace")
                self.close()
                raise RuntimeError(f"the ascmhl judge's fork server died:\n{log}")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode()

    def run(
        self, tool: str, args: list[str], env: dict[str, str], timeout_s: float
    ) -> tuple[int, str, str]:
        with self._lock:
            proc = self._proc if self._proc and self._proc.poll() is None else self._start(env)
            assert proc.stdin is not None and self._folder is not None
            outputs = [Path(self._folder.name, name) for name in ("stdout", "stderr")]
            request = {"tool": tool, "args": args, "env": env, "cwd": os.getcwd()}
            request.update(stdout=str(outputs[0]), stderr=str(outputs[1]))
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
            pid = int(self._line(proc, None) or 0)
            code = self._line(proc, time.monotonic() + timeout_s)
            if code is None:  # as subprocess.run: kill the run, reap it, raise
                os.kill(pid, signal.SIGKILL)
                self._line(proc, None)
                raise subprocess.TimeoutExpired([tool, *args], timeout_s)
            # Decoded as subprocess.run(text=True) decodes: the locale's encoding, newlines
            # translated.
            out, err = (io.TextIOWrapper(io.BytesIO(p.read_bytes())).read() for p in outputs)
            return int(code), out, err

    def close(self) -> None:
        """End the server (if started) and remove its files. Idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


class JudgeUnavailable(RuntimeError):
    """The reference tool could not be installed (no network to PyPI, ...)."""


@dataclass(frozen=True)
class JudgeResult:
    """One run of the reference tool."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def clean(self) -> bool:
        """Exit 0 and no ``ERROR`` on stderr (``verify -dh`` exits 0 despite some errors)."""
        return self.returncode == 0 and "ERROR" not in self.stderr

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit {self.returncode}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


class AscmhlJudge:
    """Runs ``ascmhl`` / ``ascmhl-debug`` from the judge venv, each run a process forked
    from its fork server (see the module's docstring). Thread-safe; ``close`` ends the
    server (the ``judge`` fixture does, at the session's end)."""

    def __init__(self, venv: Path) -> None:
        self.python = venv / "bin" / "python"
        self.xsd_dir = venv / "xsd"
        self.manifest_xsd = self.xsd_dir / "ASCMHL.xsd"
        self.chain_xsd = self.xsd_dir / "ASCMHLDirectory__combined.xsd"
        self._server = _ForkServer(self.python)

    def run(self, tool: str, *args: str | os.PathLike[str], timeout_s: float = 300) -> JudgeResult:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.lower().endswith("_proxy") and not key.startswith("PYTHON")
        }
        env.update(HTTP_PROXY=_DEAD_PROXY, HTTPS_PROXY=_DEAD_PROXY, NO_PROXY="", TZ="UTC")
        texts = [os.fspath(arg) for arg in args]
        code, out, err = self._server.run(tool, texts, env, timeout_s)
        return JudgeResult((tool, *texts), code, out, err)

    def close(self) -> None:
        self._server.close()

    def info(self, root: Path) -> JudgeResult:
        return self.run("ascmhl", "info", "-v", root)

    def diff(self, root: Path) -> JudgeResult:
        return self.run("ascmhl", "diff", root)

    def verify(self, root: Path, *, directory_hashes: bool = False) -> JudgeResult:
        if directory_hashes:
            return self.run("ascmhl-debug", "verify", "-dh", root)
        return self.run("ascmhl-debug", "verify", root)

    def create(self, root: Path, *hash_formats: str) -> JudgeResult:
        options = [part for name in hash_formats for part in ("-h", name)]
        return self.run("ascmhl", "create", *options, root)

    def assert_checks(self, root: Path, relative: str) -> None:
        """The tool really checks *relative* in *root*'s history: its bytes changed behind our
        back, ``verify`` fails naming it (the file is put back afterwards)."""
        path = root / relative
        original = path.read_bytes()
        path.write_bytes(b"changed " + original)
        try:
            verdict = self.verify(root)
            assert verdict.returncode != 0, verdict.describe()
            assert f"hash mismatch        for {relative}" in verdict.stderr, verdict.describe()
        finally:
            path.write_bytes(original)

    def check_manifest_schema(self, manifest: Path) -> JudgeResult:
        return self.run("ascmhl-debug", "xsd-schema-check", "-xsd", self.manifest_xsd, manifest)

    def check_chain_schema(self, chain: Path) -> JudgeResult:
        return self.run("ascmhl-debug", "xsd-schema-check", "-df", "-xsd", self.chain_xsd, chain)


def _run(argv: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JudgeUnavailable(f"{what} failed: {exc}") from exc
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        raise JudgeUnavailable(f"{what} failed (exit {completed.returncode}): " + " | ".join(tail))


def _extract_xsds(sdist: Path, target: Path) -> None:
    wanted = {"ASCMHL.xsd", "ASCMHLDirectory.xsd", "ASCMHLDirectory__combined.xsd"}
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            # the schemas themselves live in <sdist>/xsd/, examples in xsd/examples/
            if len(parts) == 3 and parts[1] == "xsd" and parts[2] in wanted and member.isfile():
                source = archive.extractfile(member)
                assert source is not None
                text = source.read().decode("utf-8")
                (target / parts[2]).write_text(text.replace(_REMOTE_XSD, "ASCMHL.xsd"))
    missing = [name for name in wanted if not (target / name).is_file()]
    if missing:
        raise JudgeUnavailable(f"the ascmhl sdist has no {', '.join(missing)}")


def _install() -> None:
    if VENV_DIR.exists():
        shutil.rmtree(VENV_DIR)
    _run([sys.executable, "-m", "venv", str(VENV_DIR)], "creating the judge venv")
    python = str(VENV_DIR / "bin" / "python")
    pip = [python, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "install", f"ascmhl=={ASCMHL_VERSION}"], f"pip install ascmhl=={ASCMHL_VERSION}")
    download = VENV_DIR / "sdist"
    _run(
        [
            *pip,
            "download",
            f"ascmhl=={ASCMHL_VERSION}",
            "--no-binary",
            ":all:",
            "--no-deps",
            "-d",
            str(download),
        ],
        "downloading the ascmhl sdist",
    )
    sdists = sorted(download.glob("ascmhl-*.tar.gz"))
    if not sdists:
        raise JudgeUnavailable("pip download produced no ascmhl sdist")
    _extract_xsds(sdists[0], VENV_DIR / "xsd")
    _READY_MARKER.write_text(ASCMHL_VERSION + "\n")


def ensure_judge() -> AscmhlJudge:
    """Install the judge once (under a lock, so parallel test runs share it) and return it.

    Raises JudgeUnavailable with the reason when it cannot be installed.
    """
    VENV_DIR.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV_DIR.parent / "ascmhl.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = _READY_MARKER.is_file() and _READY_MARKER.read_text().strip() == ASCMHL_VERSION
        if not ready or not (VENV_DIR / "bin" / "python").exists():
            _install()
    return AscmhlJudge(VENV_DIR)
