"""``offload copy``'s report worker (``report/worker.py``): a real second process that makes
the HTML and PDF reports. What it makes is what the command makes in-process; whatever
happens to it (killed, interrupted, handed data it cannot take, made for an exit code that
changed), the documents are still written, with the notes the command alone would give, and
it never outlives its use (reaped, no zombie)."""

from __future__ import annotations

import json
import marshal
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from offload.card import offload as offload_card
from offload.cli.common import Environment
from offload.cli.offload import main
from offload.report import job_report
from offload.report import worker as worker_module
from offload.report.card_content import card_content
from offload.report.clips import group_clips
from offload.report.documents import PendingDocuments, write_documents
from offload.report.media import probe_clips
from offload.report.worker import DocumentWorker
from report.helpers import pdf_text

_GENERATED = re.compile(r"on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC|took \d+\.\d s")


def _normal(text: str) -> str:
    """The documents' text but for when they were generated and how long probing took."""
    return _GENERATED.sub("", text)


@pytest.fixture(scope="module")
def job_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The job report of a real offload of a small card (clips, sidecars, a folder)."""
    root = tmp_path_factory.mktemp("offload")
    card = root / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for number in range(6):
        (card / "CLIPS" / f"A001C00{number}.MOV").write_bytes(os.urandom(20_000))
        (card / "CLIPS" / f"A001C00{number}.XML").write_bytes(b"<clip/>")
    (root / "dest").mkdir()
    code = main(
        ["copy", "--quiet", "--report-dir", str(root / "r"), str(card), str(root / "dest")],
        Environment(install_signal_handlers=False),
    )
    assert code == 0
    (report,) = (root / "r").glob("*.json")
    data: dict[str, Any] = json.loads(report.read_text())
    return data


def _gone(pid: int) -> bool:
    """*pid* is neither running nor a zombie of ours (reaped)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return not Path(f"/proc/{pid}").exists() or _not_ours(pid)
    return False


def _not_ours(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return int(stat.rsplit(")", 1)[1].split()[1]) != os.getpid()


def test_the_worker_makes_the_documents_the_command_makes(
    job_data: dict[str, Any], poppler: dict[str, str], tmp_path: Path
) -> None:
    """The worker's HTML is the command's byte for byte, and its PDF reads the same, but for
    the time they were generated; the worker answered (nothing made in-process) and is
    reaped once it has."""
    worker = DocumentWorker.start()
    assert worker is not None
    pid = worker.pid
    assert pid is not None
    assert worker.submit(job_data, "a4")
    made = worker.result()
    assert made is not None, "the worker made nothing"
    assert _gone(pid)
    here = tmp_path / "here" / "CARD.json"
    here.parent.mkdir()
    assert write_documents(job_data, [here]) == []
    html, pdf, content = made
    # Its clips probed as the documents probe them: random bytes named .MOV, no media.
    clips = group_clips(list(job_data["files"]))
    source = Path(job_data["source"])
    probed, _ = probe_clips(clips, lambda clip: source / str(clip.primary["path"]))
    assert content == card_content(clips, probed)
    assert [line["kind"] for line in content] == ["not-readable-as-media"], content
    assert _normal(html.decode()) == _normal(here.with_suffix(".html").read_text())
    (tmp_path / "worker.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    assert _normal(pdf_text(poppler, tmp_path / "worker.pdf")) == _normal(
        pdf_text(poppler, here.with_suffix(".pdf"))
    )


@pytest.mark.parametrize("how", ["killed", "interrupted"])
def test_a_worker_that_died_leaves_the_documents_to_the_command(
    job_data: dict[str, Any], tmp_path: Path, how: str
) -> None:
    """A worker killed (SIGKILL), or interrupted (SIGINT: a Ctrl-C at the terminal reaches
    it too) while it has the job: the documents are made in-process and written, with no
    note, and the worker is reaped."""
    worker = DocumentWorker.start()
    assert worker is not None
    pid = worker.pid
    assert pid is not None
    pending = PendingDocuments(job_data, worker=worker)
    os.kill(pid, signal.SIGKILL if how == "killed" else signal.SIGINT)
    json_path = tmp_path / "CARD.json"
    assert pending.finish([json_path]) == []
    assert b"</html>" in json_path.with_suffix(".html").read_bytes()
    assert json_path.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert _gone(pid)


def test_a_hung_worker_is_killed_and_the_documents_made_here(
    job_data: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that never answers (stopped: SIGSTOP) is waited for ``PATIENCE_S`` (here
    made 1 s), then killed and reaped; the documents are made in-process, without a note."""
    monkeypatch.setattr(worker_module, "PATIENCE_S", 1.0)
    worker = DocumentWorker.start()
    assert worker is not None
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    pending = PendingDocuments(job_data, worker=worker)
    json_path = tmp_path / "CARD.json"
    started = time.monotonic()
    assert pending.finish([json_path]) == []
    assert time.monotonic() - started < 60
    assert json_path.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert _gone(pid)


def test_an_interrupted_worker_ends_without_a_word(tmp_path: Path) -> None:
    """SIGINT ends the worker at once and quietly (no traceback, whatever its stderr), and
    with the signal's status: the command sees a worker that failed. Sent once the worker
    waits for its request (read(2) of its stdin: loaded, its handler set), not after a fixed
    1 s: an interpreter slower to start than that (a loaded machine) took it in its start."""
    done = subprocess.run(
        [sys.executable, "-c", "import os, signal, subprocess, sys, time\n"
         "p = subprocess.Popen([sys.executable, '-m', 'offload.report.worker'],"
         " stdin=subprocess.PIPE, stderr=subprocess.PIPE)\n"
         "deadline = time.monotonic() + 30\n"
         "while open(f'/proc/{p.pid}/syscall').read().split()[:2] != ['0', '0x0']:\n"
         "    assert p.poll() is None and time.monotonic() < deadline\n"
         "    time.sleep(0.01)\n"
         "p.send_signal(signal.SIGINT)\n"
         "print(p.wait(30), repr(p.stderr.read()))\n"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.stdout.split() == [str(-signal.SIGINT), "b''"], done.stderr


def test_data_the_worker_cannot_take_is_made_in_process(
    job_data: dict[str, Any], tmp_path: Path
) -> None:
    """A value that cannot be pickled (a stand-in for a bug: the report dict holds JSON-able
    data) is not sent: the worker is stopped and reaped, the documents made here."""
    worker = DocumentWorker.start()
    assert worker is not None
    pid = worker.pid
    assert pid is not None
    data = {**job_data, "production": {"camera": lambda: "A cam"}}
    assert not worker.submit(data, "a4")
    assert _gone(pid)
    assert worker.result() is None
    json_path = tmp_path / "CARD.json"
    assert PendingDocuments(job_data, worker=worker).finish([json_path]) == []
    assert json_path.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")


def test_documents_made_for_another_exit_code_are_made_again(
    job_data: dict[str, Any], poppler: dict[str, str], tmp_path: Path
) -> None:
    """The worker gets the report before the JSON files are written; a destination that
    refuses its JSON changes the exit code the reports state: the worker's documents (of
    the first code) are not used, the documents state the final one."""
    data = {**job_data, "exit_code": 0}
    worker = DocumentWorker.start()
    assert worker is not None
    pending = PendingDocuments(data, worker=worker)
    data["exit_code"] = 1
    json_path = tmp_path / "CARD.json"
    assert pending.finish([json_path]) == []
    here = tmp_path / "here" / "CARD.json"
    here.parent.mkdir()
    write_documents(data, [here])
    assert _normal(json_path.with_suffix(".html").read_text()) == _normal(
        here.with_suffix(".html").read_text()
    )
    assert worker.pid is None  # stopped and reaped, its answer unread


def _processes_with(marker: str) -> list[int]:
    """Processes whose environment holds *marker* (the worker inherits the command's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _offload(tmp_path: Path, marker: str, *extra: str) -> subprocess.Popen[str]:
    card = tmp_path / "CARD"
    card.mkdir()
    for number in range(60):
        (card / f"C{number:03}.MOV").write_bytes(os.urandom(1_000_000))
    (tmp_path / "dest").mkdir()
    return subprocess.Popen(
        [sys.executable, "-m", "offload", "copy", "--quiet", *extra,
         "--report-dir", str(tmp_path / "r"), str(card), str(tmp_path / "dest")],
        env={**os.environ, "OFFLOAD_TEST_MARKER": marker},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def test_ctrl_c_during_the_copy_ends_the_command_and_its_worker(tmp_path: Path) -> None:
    """A Ctrl-C (SIGINT to the process group, as a terminal sends it) while the card is
    copied: the command cancels (exit 130), its worker ends with it, the cancelled run's
    reports are all written all the same (made in-process), and no worker is left behind."""
    marker = f"offload-worker-test-{uuid.uuid4()}"
    command = _offload(tmp_path, marker, "--verify", "full")
    deadline = time.monotonic() + 30
    while not (tmp_path / "dest" / "CARD").exists() and time.monotonic() < deadline:
        time.sleep(0.002)  # the copy has begun
    assert len(_processes_with(marker)) == 2  # the command and its worker
    os.killpg(command.pid, signal.SIGINT)
    _, err = command.communicate(timeout=60)
    assert command.returncode in (130, 0), err  # 0: the copy was already over
    assert sorted(p.suffix for p in (tmp_path / "r").iterdir()) == [
        ".csv",
        ".html",
        ".json",
        ".pdf",
    ]
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(marker) == []


def test_a_command_that_does_not_use_its_worker_leaves_none(tmp_path: Path) -> None:
    """The entry point spawns the worker before the command parses its arguments; a command
    refused (a usage error, exit 64) closes it: none is left."""
    marker = f"offload-worker-test-{uuid.uuid4()}"
    command = _offload(tmp_path, marker, "--s3-part-size", "1KB")
    _, err = command.communicate(timeout=60)
    assert command.returncode == 64, err
    assert _processes_with(marker) == []


def test_the_documents_state_what_the_json_states_when_a_destination_refuses_its_report(
    tmp_path: Path,
) -> None:
    """A destination whose report folder is in the way: the exit code becomes 1 after the
    worker was handed the report (so the documents are made again, in the command), and the
    documents state what the JSON beside them states: the same exit code, and the problems
    the JSON lists, not the refusal the command adds to its own report afterwards."""
    card = tmp_path / "A001"
    card.mkdir()
    (card / "C001.MOV").write_bytes(os.urandom(10_000))
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    (bad / "A001" / ".offload").mkdir(parents=True)
    (bad / "A001" / ".offload" / "reports").write_text("in the way")
    done = subprocess.run(
        [sys.executable, "-m", "offload", "copy", "--quiet", "--report-dir", str(tmp_path / "r"),
         str(card), str(good), str(bad)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "cannot write the report into" in done.stderr
    (json_path,) = (tmp_path / "r").glob("*.json")
    report = json.loads(json_path.read_text())
    assert report["exit_code"] == 1
    html = json_path.with_suffix(".html").read_text()
    assert ("cannot write the report into" in html) == any(
        "cannot write the report into" in e for e in report["folder_errors"]
    )


def test_a_package_named_offload_in_the_working_folder_does_not_stand_in_for_ours(
    job_data: dict[str, Any], tmp_path: Path
) -> None:
    """The worker runs ``-m offload.report.worker`` from the command's working folder: a
    folder there holding a package named ``offload`` (a user's, another version's) is not
    put first on the worker's path (``-P``), so the worker still answers. Before, it
    imported that package and failed (the documents then made in the command)."""
    (tmp_path / "offload").mkdir()
    (tmp_path / "offload" / "__init__.py").write_text("raise SystemExit('not ours')\n")
    (tmp_path / "job.json").write_text(json.dumps(job_data))
    script = (
        "import json\n"
        "from offload.report.worker import DocumentWorker\n"
        "worker = DocumentWorker.start()\n"
        "assert worker.submit(json.load(open('job.json')), 'a4')\n"
        "print(worker.result() is not None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", script],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.stdout.split() == ["True"], done.stderr


def test_the_json_written_with_a_worker_is_the_json_written_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON report encoded from the file entries made whole, a batch at a time, is the
    bytes encoded from the results themselves (here in batches of 3, the last one short),
    those ``job_report_dict`` gives whole; and a report written with a worker (fed the
    entries' text as it is written) holds them, beside the worker's HTML and PDF."""
    card = tmp_path / "CARD"
    (card / "sub").mkdir(parents=True)
    for number in range(7):
        (card / ("sub" if number % 2 else "") / f"C{number:03}.MOV").write_bytes(
            os.urandom(1000 + number)
        )
    (tmp_path / "dest").mkdir()
    report = offload_card(card, [tmp_path / "dest"])
    monkeypatch.setattr(job_report, "_BATCH", 3)
    data = job_report.report_data(report)
    from_results = b"".join(job_report.json_chunks(data))
    entries = [job_report.file_entry(f) for f in report.job.files]
    assert b"".join(job_report.json_chunks({**data, "files": entries})) == from_results
    assert from_results == job_report.json_bytes({**data, "files": entries})
    worker = DocumentWorker.start()
    assert worker is not None
    result = job_report.write_reports(report, tmp_path / "r", worker=worker)
    result.finish_documents()
    assert result.local_error is None
    assert sorted(p.suffix for p in (tmp_path / "r").iterdir()) == [
        ".csv",
        ".html",
        ".json",
        ".pdf",
    ]
    (json_path,) = (tmp_path / "r").glob("*.json")
    assert json.loads(json_path.read_bytes())["files"] == json.loads(json.dumps(entries))
    assert len(entries) == 7


def test_a_worker_that_stops_reading_a_large_request_costs_the_patience_alone(
    job_data: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker stopped (SIGSTOP) before the command sends it a report larger than the pipe
    holds: the command gives up after ``PATIENCE_S`` (here 1 s), kills and reaps it, and
    makes the documents itself. Failed before: the command's write blocked until the worker
    read, that is for ever (the test then ends it after 20 s by killing the worker)."""
    monkeypatch.setattr(worker_module, "PATIENCE_S", 1.0)
    files = [  # ~4 MB pickled (each entry a dict of its own), beyond the pipe's 1 MB
        {**entry, "path": f"{number:0300}/{entry['path']}"}
        for number in range(1_000)
        for entry in job_data["files"]
    ]
    data = {**job_data, "files": files}
    worker = DocumentWorker.start()
    assert worker is not None
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    sent: list[bool] = []
    sender = threading.Thread(target=lambda: sent.append(worker.submit(data, "a4")))
    sender.start()
    sender.join(20)
    if sender.is_alive():
        os.kill(pid, signal.SIGKILL)  # unblocks the write (EPIPE), so the test can end
        sender.join()
        pytest.fail("the command waited for a stopped worker beyond its patience")
    assert sent == [False]
    assert _gone(pid)
    json_path = tmp_path / "CARD.json"
    assert PendingDocuments(job_data, worker=worker).finish([json_path]) == []
    assert json_path.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")


def test_the_worker_loads_and_draws_with_no_cyclic_collection(
    job_data: dict[str, Any], tmp_path: Path
) -> None:
    """The worker process runs without the cyclic collector: none while it loads reportlab
    and the documents' modules or while it draws (~40 collections before, over objects that
    live until it exits), and it still answers both documents. Failed before: collections
    once reportlab was loading."""
    script = (
        "import gc, os, runpy, sys\n"
        "def seen(phase, info):\n"
        "    if phase == 'start' and 'reportlab' in sys.modules:\n"
        "        os.write(2, b'collected\\n')\n"
        "gc.callbacks.append(seen)\n"
        "runpy.run_module('offload.report.worker', run_name='__main__', alter_sys=True)\n"
    )
    done = _run_worker(script, job_data)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(b"collected") == 0
    html, pdf, _ = marshal.loads(done.stdout)
    assert b"</html>" in html
    assert pdf.startswith(b"%PDF-")


def test_the_worker_draws_without_loading_the_copy_s_plan(
    job_data: dict[str, Any], tmp_path: Path
) -> None:
    """The worker loads what drawing needs, not the plan package (the scan, the preflight,
    the ledger's checks: ~16 ms of its start-up, on the core the copy's threads need then):
    ``fs/below.py``, whose filesystem names the card release reads, loads it only to look a
    filesystem up, which the worker never does (docs/performance.md, "Fixed cost: eighteenth
    pass"). It still answers both documents. Failed before: every ``offload.plan`` module
    was loaded."""
    script = (
        "import os, runpy, sys\n"
        "end = os._exit\n"
        "def done(code):\n"
        "    plan = sorted(m for m in sys.modules if m.split('.')[:2] == ['offload', 'plan'])\n"
        "    os.write(2, repr(plan).encode() + b'\\n')\n"
        "    end(code)\n"
        "os._exit = done\n"
        "runpy.run_module('offload.report.worker', run_name='__main__', alter_sys=True)\n"
    )
    done = _run_worker(script, job_data)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == b"[]"
    html, pdf, _ = marshal.loads(done.stdout)
    assert b"</html>" in html
    assert pdf.startswith(b"%PDF-")


def test_the_worker_draws_without_loading_the_copy_s_file_writing(
    job_data: dict[str, Any],
) -> None:
    """The worker loads neither the device grouping (``engine/devices.py``: the options, the
    hashing registry, the block-device probes), the ledger, nor the file writing of the
    documents (``fs/ops.py`` and ctypes, ``manifest/atomic.py`` and its hashers): it reads a
    group's words (``engine/device_words.py``) and the state's names (``state_names.py``)
    alone, and never writes a report (docs/performance.md, "Fixed cost: twenty-seventh
    pass"). It still answers both documents, the disk's line in them. Failed before: each
    of these was loaded."""
    unneeded = (
        "ctypes",
        "offload.engine.devices",
        "offload.fs.ops",
        "offload.hashing",
        "offload.ledger",
        "offload.manifest.atomic",
        "offload.options",
        "xxhash",
    )
    script = (
        "import os, runpy, sys\n"
        "end = os._exit\n"
        "def done(code):\n"
        f"    loaded = sorted(set({unneeded!r}) & set(sys.modules))\n"
        "    os.write(2, repr(loaded).encode() + b'\\n')\n"
        "    end(code)\n"
        "os._exit = done\n"
        "runpy.run_module('offload.report.worker', run_name='__main__', alter_sys=True)\n"
    )
    disk = {
        "device": "/dev/sdz",
        "destinations": [0],
        "kind": "non-rotational",
        "rotational": False,
        "transport": "usb",
        "model": None,
        "layers": [],
        "source_on_device": False,
        "backing_filesystem": None,
        "read_backs": "parallel",
        "reason": "the only destination on it",
    }
    done = _run_worker(script, {**job_data, "devices": [disk]})
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == b"[]"
    html, pdf, _ = marshal.loads(done.stdout)
    assert b"/dev/sdz (non-rotational, usb): read-backs in parallel" in html
    assert pdf.startswith(b"%PDF-")


def test_the_worker_loads_nothing_once_its_request_comes(job_data: dict[str, Any]) -> None:
    """Every module the worker draws with is loaded before its request is read (while the
    command copies), none after it: what comes after the request is the command's wait at
    the end of the run (docs/performance.md, "The end of the run"). It still answers both
    documents. Failed before: the card content's lines, the frames' check and unicodedata
    were loaded after the request."""
    script = (
        "import os, runpy, sys\n"
        "read, end = os.read, os._exit\n"
        "before = []\n"
        "def reading(fd, size):\n"
        "    if fd == 0 and not before:\n"
        "        before.append(set(sys.modules))\n"
        "    return read(fd, size)\n"
        "def done(code):\n"
        "    after = sorted(set(sys.modules) - before[0])\n"
        "    os.write(2, repr(after).encode() + b'\\n')\n"
        "    end(code)\n"
        "os.read, os._exit = reading, done\n"
        "runpy.run_module('offload.report.worker', run_name='__main__', alter_sys=True)\n"
    )
    done = _run_worker(script, job_data)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == b"[]"
    html, pdf, _ = marshal.loads(done.stdout)
    assert b"</html>" in html
    assert pdf.startswith(b"%PDF-")


def _run_worker(script: str, job_data: dict[str, Any]) -> subprocess.CompletedProcess[bytes]:
    """Run *script* (which runs the worker's module as ``__main__``) in a fresh interpreter,
    the worker's input, *job_data* on A4, on its stdin."""
    import pickle

    head = pickle.dumps((job_data, "a4", None))  # the entries in it: none follow
    return subprocess.run(
        [sys.executable, "-c", script],
        input=len(head).to_bytes(8, "big") + head,
        capture_output=True,
        check=False,
        timeout=120,
    )
