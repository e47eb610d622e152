"""The ``offload`` console script's exit (``cli/entry.py``): once ``main`` has returned, the
process ends without the interpreter's teardown (it only frees memory), but only after what
an ordinary exit does first: the exit handlers, stdout and stderr flushed, the threads still
running waited for; and with ``main``'s exit code."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.offload_cli import one_file_card, run_script


def _run(tmp_path: Path, before: str, *args: str) -> subprocess.CompletedProcess[str]:
    one_file_card(tmp_path)
    (tmp_path / "dest").mkdir()
    script = (
        "import sys\n"
        f"{before}"
        "from offload.cli.entry import entry_point\n"
        f"sys.argv = ['offload', 'copy', *{list(args)!r}, '--report-dir', sys.argv[1] + '/r',\n"
        "            sys.argv[1] + '/CARD', sys.argv[1] + '/dest']\n"
        "entry_point()\n"
    )
    return run_script(script, tmp_path)


def test_the_exit_handlers_run_and_the_output_is_whole(tmp_path: Path) -> None:
    """An exit handler runs (after the command's own, registered later: last in, first out),
    buffered output written without a flush reaches the pipe, the summary and the report's
    path are on stderr, the exit code is the command's."""
    done = _run(
        tmp_path,
        "import atexit\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "print('buffered, never flushed by its writer')\n",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["buffered, never flushed by its writer", "handler ran"]
    assert done.stderr.splitlines()[-1].startswith("Report: ")


def test_a_thread_still_running_is_waited_for(tmp_path: Path) -> None:
    """A thread that is not a daemon and still runs when the command returns (a library
    user's, say) finishes first, as at an ordinary exit."""
    done = _run(
        tmp_path,
        "import threading, time\n"
        "def late(folder):\n"
        "    time.sleep(1.0)\n"
        "    open(folder + '/late', 'w').write('done')\n"
        "threading.Thread(target=late, args=(sys.argv[1],)).start()\n",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "late").read_text() == "done"


def test_the_exit_code_is_the_command_s(tmp_path: Path) -> None:
    """A usage error exits 64 through the same path."""
    done = _run(tmp_path, "", "--quiet", "--s3-part-size", "1KB")
    assert done.returncode == 64
    assert "ERROR: --s3-part-size 1KB" in done.stderr


_COLLECTIONS = (
    "import atexit, gc\n"
    "while_loading = []\n"
    "def loaded(name):\n"
    "    module = sys.modules.get(name)\n"
    "    return module is not None and not module.__spec__._initializing\n"
    "frozen_after = []\n"
    "def seen(phase, info):\n"
    "    if phase == 'start' and loaded('offload.cli.entry'):\n"
    "        while_loading.append(not loaded('offload.cli.offload'))\n"
    "        if not while_loading[-1]:\n"
    "            frozen_after.append(gc.get_freeze_count())\n"
    "gc.callbacks.append(seen)\n"
    "atexit.register(lambda: print(sum(while_loading), len(frozen_after) > 0,\n"
    "                              min(frozen_after, default=0) > 1000, gc.isenabled()))\n"
)


def test_the_command_loads_with_the_collector_off_then_frozen(tmp_path: Path) -> None:
    """The console script loads the command's modules with the cyclic collector off (it ran
    ~30 times over them while they loaded, ~7 ms of start-up) and freezes them; the collector
    is on again for the rest of the run (which still collects: the plan's and the job's
    objects, never the frozen modules'). Failed before: ~25 collections while loading,
    nothing frozen at the later ones."""
    done = _run(tmp_path, _COLLECTIONS, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "True", "True", "True"], done.stderr
    assert (tmp_path / "dest" / "CARD" / "a.bin").read_bytes() == b"x" * 1000


def test_main_called_in_a_process_of_its_own_leaves_its_collector_as_it_was(
    tmp_path: Path,
) -> None:
    """``main`` called by a library user or a test (not the console script) loads the
    command with the collector as its caller has it, and freezes nothing."""
    one_file_card(tmp_path)
    (tmp_path / "dest").mkdir()
    script = (
        "import gc, sys\n"
        "from offload.cli.entry import main\n"
        "code = main(['copy', '--quiet', '--report-dir', sys.argv[1] + '/r',\n"
        "             sys.argv[1] + '/CARD', sys.argv[1] + '/dest'])\n"
        "print(code, gc.get_freeze_count(), gc.isenabled())\n"
    )
    done = run_script(script, tmp_path)
    assert done.stdout.split() == ["0", "0", "True"], done.stderr
