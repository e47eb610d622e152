#!/usr/bin/env python3
"""A bound on what a native per-file path could save: the destination's system calls for
N small files (the engine's, a file: the partial created with O_EXCL, claimed through a
read-only descriptor, written, the written descriptor closed; a batch's dates, one
``syncfs``, then each file's size check, publish without replacing and close) made once by
a Python loop of ``os`` calls, as the engine makes them, and once by one C loop with the
interpreter lock released (``native_bound.c``, built here with the system's compiler into a
temporary folder; never part of the package). Each run in a process of its own, kinds
interleaved and the order reversed every other round, nothing deleted until the last
(ext4's freed inodes slow the creates after a mass delete), on the folder given (files of
``--size`` bytes in 50 folders, as ``offload bench``'s scale card); the CPU (user, system)
is the loop's alone (``getrusage`` around it). Everything made is deleted at the end
(``RunFolders.remove_all``: noted for the next bench).

Why: the twenty-eighth pass left "a native per-file path" as the lead for the 50,000-file
card; the calls' own cost in C against Python says how much of the gap to ``cp`` such a
path could take before one is built into the engine (docs/performance.md, "The 50,000-file
card's CPU split, and a native per-file path bounded": twenty-ninth pass).

    .venv/bin/python bench/native_bound.py /tmp/scratch --files 50000 --rounds 3
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_MTIME_NS = 1_700_000_000_123_456_789
_FOLDERS = 50


def _names(root: Path, files: int) -> tuple[list[str], list[str]]:
    """The partials' and the finals' paths of *files* files in ``_FOLDERS`` folders."""
    partials, finals = [], []
    for index in range(files):
        folder = root / f"{100 + index * _FOLDERS // files:03d}MEDIA"
        partials.append(f"{folder}/.C{index:06d}.MP4.offload-partial")
        finals.append(f"{folder}/C{index:06d}.MP4")
    return partials, finals


def _python_loop(partials: list[str], finals: list[str], data: bytes, batch_files: int) -> int:
    """The same calls as ``native_bound.c``, from Python (``os``; renameat2 and syncfs
    through ctypes, as ``offload.fs.ops`` makes them)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2, syncfs = libc.renameat2, libc.syncfs
    create = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    read_only = os.O_RDONLY | os.O_CLOEXEC
    failed = 0
    held: list[int] = []
    first = 0
    for index, partial in enumerate(partials):
        fd = os.open(partial, create, 0o666)
        claim = os.open(f"/proc/self/fd/{fd}", read_only)
        fcntl.flock(claim, fcntl.LOCK_SH)
        if os.fstat(claim).st_nlink == 0:
            failed += 1
        if os.write(fd, data) != len(data):
            failed += 1
        os.close(fd)
        held.append(claim)
        if (index + 1) % batch_files == 0 or index + 1 == len(partials):
            for claim in held:
                os.utime(claim, ns=(_MTIME_NS, _MTIME_NS))
            if syncfs(held[-1]) != 0:
                failed += 1
            for offset, claim in enumerate(held):
                if os.lseek(claim, 0, os.SEEK_END) != len(data):
                    failed += 1
                source = partials[first + offset].encode()
                target = finals[first + offset].encode()
                if renameat2(-100, source, -100, target, 1) != 0:
                    failed += 1
                os.close(claim)
            held, first = [], index + 1
    return failed


def _child(kind: str, root: str, files: int, size: int, batch_files: int, build: str) -> None:
    """One run: make the folders, run the loop, print its CPU and wall as a JSON line."""
    import resource

    partials, finals = _names(Path(root), files)
    for folder in {os.path.dirname(p) for p in partials}:
        os.makedirs(folder)
    data = b"x" * size
    sys.path.insert(0, build)
    native = __import__("_native_bound") if kind == "c" else None
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    if native is not None:
        failed = native.run(partials, finals, data, _MTIME_NS, batch_files)
    else:
        failed = _python_loop(partials, finals, data, batch_files)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(json.dumps({"kind": kind, "failed": failed, "wall": wall, "user": user, "sys": system}))


def _build(folder: Path) -> None:
    """Compile ``native_bound.c`` into *folder* (raises CalledProcessError)."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    include = sysconfig.get_paths()["include"]
    source = _HERE / "native_bound.c"
    target = folder / f"_native_bound{suffix}"
    command = [compiler, "-O2", "-shared", "-fPIC", f"-I{include}", "-o", target, source]
    subprocess.run(command, check=True)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, root, files, size, batch, build = sys.argv[2:8]
        _child(kind, root, int(files), int(size), int(batch), build)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scratch", type=Path, help="a folder on the filesystem to measure")
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--batch-files", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--freed-notes",
        type=Path,
        default=None,
        help="folder of the notes of mass deletes (default: the temporary folder)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="native-bound-", dir=args.scratch))
    rows: dict[str, list[dict[str, float]]] = {"python": [], "c": []}
    try:
        _build(work)
        for number in range(args.rounds):
            kinds = ["python", "c"] if number % 2 == 0 else ["c", "python"]
            for kind in kinds:
                root = work / f"{kind}-{number}"
                command = [sys.executable, __file__, "--child", kind, str(root)]
                command += [str(args.files), str(args.size), str(args.batch_files), str(work)]
                subprocess.run(["sync"], check=True)
                out = subprocess.run(command, check=True, capture_output=True, text=True)
                row = json.loads(out.stdout)
                rows[kind].append(row)
                load = os.getloadavg()[0]
                print(
                    f"{kind:6} wall {row['wall']:.3f} s, user {row['user']:.3f} s, "
                    f"system {row['sys']:.3f} s, failed calls {row['failed']} (load {load:.1f})"
                )
    finally:  # nothing deleted between runs: a mass delete slows the next creates
        from offload.bench.outputs import RunFolders

        # Noted for the next bench, as offload bench notes its own.
        RunFolders(work, note_dir=args.freed_notes).remove_all()
    print("medians:")
    for kind, kept in rows.items():
        if kept:
            medians = {k: statistics.median(r[k] for r in kept) for k in ("wall", "user", "sys")}
            print(f"{kind:6} " + ", ".join(f"{k} {v:.3f} s" for k, v in medians.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
