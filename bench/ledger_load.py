"""Time ``Ledger.load_entries`` of a generated ledger with several versions of ``ledger.py``,
interleaved in one process (docs/performance.md, "The ledger's line check at full speed").

Usage::

    PYTHONPATH=src python bench/ledger_load.py [--lines 50000] [--rounds 9] [--accented] \
        NAME=PATH/TO/ledger.py [NAME=...]

(an older version's file: ``git show REV:src/offload/ledger.py > /tmp/ledger_REV.py``).
The ledger is written once into a temporary copy root by the ledger's own writer
(``verified_lines``: two digests, a card, a fingerprint and an identity a line, as a run of
this version records a card; ``--accented``: every folder name not ASCII). Each round loads it
once with each version in turn; the figure is the thread's CPU (``time.thread_time``), not
the wall, so a shared machine's load moves it less. Prints best and median a version (ms).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from offload.ledger import LEDGER_NAME, STATE_FOLDER, VerifiedCopy, verified_lines


def _write_ledger(root: Path, lines: int, accented: bool) -> None:
    folder = "Café" if accented else "CANON"
    records = [
        VerifiedCopy(
            f"DCIM/{i // 1000:03d}{folder}/IMG_{i:05d}.CR3",
            20_000_000 + i,
            1_700_000_000_000_000_000 + i * 1000,
            {"xxh128": f"{i:032x}", "md5": f"{i * 7:032x}"},
            f".offload-partial.ab12cd{i:x}.IMG_{i:05d}.CR3",
            f"IMG_{i:05d}.CR3",
            "full",
            "",
            f"{i:064x}",
        )
        for i in range(lines)
    ]
    identities = [(1000 + i, 1_700_000_000_000_000_000 + i) for i in range(lines)]
    text = verified_lines(records, time.time(), "uuid:1234-ABCD|EOS_DIGITAL|/", identities)
    state = root / STATE_FOLDER
    state.mkdir(parents=True)
    (state / LEDGER_NAME).write_text("".join(line + "\n" for line in text))


def _module(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ledger_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="+", metavar="NAME=PATH")
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--accented", action="store_true")
    args = parser.parse_args()
    modules = {name: _module(name, path) for name, path in (v.split("=", 1) for v in args.versions)}
    times: dict[str, list[float]] = {name: [] for name in modules}
    with tempfile.TemporaryDirectory(prefix="ledger-load-") as folder:
        root = Path(folder)
        _write_ledger(root, args.lines, args.accented)
        for _ in range(args.rounds):
            for name, module in modules.items():
                ledger = module.Ledger(root)
                gc.collect()
                start = time.thread_time()
                entries = ledger.load_entries()
                times[name].append((time.thread_time() - start) * 1000)
                assert len(entries.latest) == args.lines, name
                del entries
    for name, spent in times.items():
        print(f"{name}: best {min(spent):.1f} ms, median {statistics.median(spent):.1f} ms")


if __name__ == "__main__":
    main()
