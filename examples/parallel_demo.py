#!/usr/bin/env python3
"""Sequential copies versus offload-ai's parallel engine, on a file generated for the purpose.

    python3 examples/parallel_demo.py               # 100 MB file, 3 destinations
    python3 examples/parallel_demo.py --size-mb 50 --destinations 5 --verify full

The sequential simulation copies the file to each destination in turn, hashing (xxh64) while
it copies and flushing each copy, as a simple script would. The parallel engine reads the file
once, hashes it in flight and writes every destination at once, with the verification chosen
by ``--verify`` (default ``transfer``: in-flight hash and size check, the same proof as the
simulation's; ``destination``/``full`` add read-backs from the media, so they do more work).
Speeds are source bytes per second (MB = 10^6 bytes), like ``JobReport.speed_mb_sec``.

All files live in a temporary folder (``--dir`` chooses where), removed at the end unless
``--keep``. Every destination shares one disk here, so the gain shows what one read and
parallel writers save, not what separate drives would add.

Run it after the README's set-up (``make demo`` or ``make test`` creates ``.venv``): with
``.venv/bin/python``, or with any ``python3``, which then re-runs it with ``.venv/bin/python``
when offload-ai is not importable (or, without ``.venv``, adds ``src/`` to the path).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
REEXEC_FLAG = "OFFLOAD_PARALLEL_DEMO_REEXEC"
MB = 1_000_000


def _import_offload() -> None:
    """Make ``import offload`` work from a plain ``python3`` in a set-up checkout."""
    try:
        import offload
    except ImportError:
        pass
    else:
        del offload
        return
    if VENV_PYTHON.exists() and not os.environ.get(REEXEC_FLAG):
        os.environ[REEXEC_FLAG] = "1"
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    sys.path.insert(0, str(REPO / "src"))
    try:
        import offload
    except ImportError as exc:
        sys.exit(
            f"cannot import offload-ai ({exc}); set it up first with 'make demo' (creates "
            f".venv) and run: .venv/bin/python {Path(__file__).relative_to(REPO)}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=100, help="file size in MB (100)")
    parser.add_argument("--destinations", type=int, default=3, help="how many copies (3)")
    parser.add_argument(
        "--buffer-mb", type=float, default=2.097152, help="chunk size in MB (2 MiB)"
    )
    parser.add_argument(
        "--verify",
        choices=["transfer", "destination", "full"],
        default="transfer",
        help="the parallel engine's verification (transfer: same proof as the simulation)",
    )
    parser.add_argument("--dir", type=Path, help="where the temporary folder goes")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    if args.size_mb <= 0 or args.destinations < 1 or args.buffer_mb <= 0:
        parser.error("--size-mb, --destinations and --buffer-mb must be positive")
    return args


def generate(path: Path, size: int) -> None:
    """Random (incompressible) bytes, written in 8 MiB pieces."""
    with open(path, "wb") as out:
        left = size
        while left:
            piece = os.urandom(min(left, 8 << 20))
            out.write(piece)
            left -= len(piece)


def copy_in_turn(source: Path, destinations: list[Path], buffer_size: int) -> tuple[float, str]:
    """The sequential simulation: to each destination in turn, xxh64 while copying, flushed.

    Returns (seconds, the xxh64 digest of the last copy's read of the source).
    """
    import xxhash

    digest = ""
    started = time.perf_counter()
    for destination in destinations:
        hasher = xxhash.xxh64()
        with open(source, "rb") as reader, open(destination, "wb") as writer:
            while chunk := reader.read(buffer_size):
                hasher.update(chunk)
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        digest = hasher.hexdigest()
    return time.perf_counter() - started, digest


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _import_offload()
    from offload.api import copy_with_multiple_destinations_parallel
    from offload.options import CopyOptions, VerifyMode

    size = int(args.size_mb * MB)
    buffer_size = int(args.buffer_mb * MB)
    count = args.destinations
    folder = Path(tempfile.mkdtemp(prefix="offload-parallel-demo-", dir=args.dir))
    try:
        source = folder / f"test_{args.size_mb:g}mb.bin"
        generate(source, size)
        print(
            f"{size / MB:g} MB file, {count} destination(s), {buffer_size} byte chunks, in {folder}"
        )

        sequential = [folder / f"sequential{i}" / source.name for i in range(1, count + 1)]
        for path in sequential:
            path.parent.mkdir()
        seconds, digest = copy_in_turn(source, sequential, buffer_size)
        sequential_speed = size / seconds / MB
        label = "sequential (one destination after another, xxh64 while copying)"
        print(f"{label:66} {sequential_speed:8.1f} MB/s ({seconds:.2f} s)")

        parallel = [folder / f"parallel{i}" / source.name for i in range(1, count + 1)]
        for path in parallel:
            path.parent.mkdir()
        results = copy_with_multiple_destinations_parallel(
            source,
            parallel,
            buffer_size,
            options=CopyOptions(verify=VerifyMode(args.verify)),
        )
        if results["exit_code"] != 0:
            print(f"the parallel engine failed (exit {int(results['exit_code'])})")
            return int(results["exit_code"])
        parallel_speed = results["speed_mb_sec"]
        label = f"parallel engine (one read, {count} writers, {args.verify} verification)"
        print(f"{label:66} {parallel_speed:8.1f} MB/s ({results['elapsed_s']:.2f} s)")
        same = results["files"][0].inflight_digests["xxh64"] == digest
        print(f"xxh64 {digest}: {'the same' if same else 'DIFFERENT'} in both runs")
        gain = parallel_speed / sequential_speed if sequential_speed else float("inf")
        print(f"gain: {gain:.2f}x ({(gain - 1) * 100:+.0f}%)")
        return 0 if same else 1
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
            folder.rmdir()


if __name__ == "__main__":
    sys.exit(main())
