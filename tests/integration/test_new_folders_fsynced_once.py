"""A folder a run makes for its records is fsynced once, with its names in it, not first
empty and then again (docs/performance.md, "Fixed cost: forty-sixth pass"); and still every
new folder's own name is fsynced in the folder above it before the run goes on. Real runs,
real folders: ``os.fsync`` is only watched (each call of a folder's descriptor recorded with
what the folder holds at that moment), then called."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from offload.report.started import STARTED_FOLDER, start_record

# Installed in the run's own process: each folder fsync recorded as (path, its names).
_WATCH = """
import json, os, stat, sys
_fsync = os.fsync
seen = []
def fsync(fd):
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        path = os.readlink(f"/proc/self/fd/{fd}")
        seen.append((path, sorted(os.listdir(path))))
    return _fsync(fd)
os.fsync = fsync
"""


def _folder_fsyncs(seen: list[tuple[str, list[str]]], folder: Path) -> list[list[str]]:
    """What *folder* held at each of its fsyncs, in order."""
    return [names for path, names in seen if path == str(folder)]


def test_a_first_offload_fsyncs_no_folder_it_made_while_empty(tmp_path: Path) -> None:
    """A card's first offload into a new report folder: the report folder and its
    ``started/`` (the start record's), the copy root's ``.offload`` (its lock's, then its
    run record's) and ``.offload/reports`` are each made by the run; before, each was
    fsynced right after its ``mkdir``, empty, then again once its names were in it (four
    fsyncs of the run's 40 that made nothing durable the next one did not). Now none is
    fsynced empty, and each new folder's name is still fsynced in the folder above it
    after the folder was made."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(3):
        (card / "CLIPS" / f"A001C00{n}.mov").write_bytes(bytes([n]) * (1000 + n))
    dest = tmp_path / "dest"
    dest.mkdir()
    reports = tmp_path / "reports"
    out = tmp_path / "fsyncs.json"
    code = _WATCH + (
        "from offload.cli.entry import main\n"
        f"code = main(['copy', '-q', '--verify', 'transfer', '--report-dir', {str(reports)!r},"
        f" {str(card)!r}, {str(dest)!r}])\n"
        f"open({str(out)!r}, 'w').write(json.dumps(seen))\n"
        "assert code == 0, code\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    seen = [(path, names) for path, names in json.loads(out.read_text())]
    state_reports = dest / "A001" / ".offload" / "reports"
    assert list(state_reports.glob("*.json")), "the copy root's report was not written"
    made = {
        reports: (tmp_path, "reports"),
        reports / STARTED_FOLDER: (reports, STARTED_FOLDER),
        state_reports: (state_reports.parent, "reports"),
        # The copy root's ``.offload``, made by its lock: fsynced by the run record.
        state_reports.parent: (dest / "A001", ".offload"),
        dest / "A001": (dest, "A001"),
    }
    for folder, (above, name) in made.items():
        held = _folder_fsyncs(seen, folder)
        assert held, f"{folder} never fsynced"
        assert all(held), f"{folder} fsynced while empty: {held}"
        # Its own name durable: the folder above fsynced once it held it.
        assert any(name in names for names in _folder_fsyncs(seen, above)), (above, name)


def test_a_start_record_s_new_folders_are_each_fsynced_once(tmp_path: Path) -> None:
    """The default report folder made with its parents (``parents=True``) and a named one
    made alone: each folder made is fsynced once, the record in ``started/`` by then, then
    each folder above up to the one that was there; a second record into the same folders
    fsyncs ``started/`` alone."""
    record = start_record(
        source=str(tmp_path / "A001"),
        destinations=[str(tmp_path / "RAID")],
        copy_roots=[str(tmp_path / "RAID" / "A001")],
        started=time.time(),
        run="abcdef-1",
        report="A001_2026-12-07_010203Z",
    )
    for parents, folder in ((True, tmp_path / "a" / "b"), (False, tmp_path / "named")):
        out = tmp_path / f"fsyncs-{parents}.json"
        code = _WATCH + (
            "from pathlib import Path\n"
            "from offload.report.started import write_start_record\n"
            f"record = json.loads({json.dumps(json.dumps(record))})\n"
            f"for run in ('abcdef-1', 'abcdef-2'):\n"
            f"    record['run'] = run\n"
            f"    path, problem = write_start_record(Path({str(folder)!r}), record,"
            f" parents={parents})\n"
            "    assert problem == '' and path is not None, problem\n"
            "    seen.append(('--', []))\n"
            f"open({str(out)!r}, 'w').write(json.dumps(seen))\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        seen = [tuple(item) for item in json.loads(out.read_text())]
        first, second = (
            [path for path, _names in part]
            for part in _split(seen)  # each record's fsyncs
        )
        started = folder / STARTED_FOLDER
        chain = [started, folder, folder.parent, *([folder.parent.parent] if parents else [])]
        assert first == [str(f) for f in chain], (parents, first)
        assert second == [str(started)], (parents, second)
        held = dict(seen[: len(first)])
        assert held[str(started)] == ["abcdef-1.json"], held


def _split(seen: list[tuple[str, list[str]]]) -> list[list[tuple[str, list[str]]]]:
    parts: list[list[tuple[str, list[str]]]] = [[]]
    for path, names in seen:
        if path == "--":
            parts.append([])
        else:
            parts[-1].append((path, names))
    return [part for part in parts if part]
