"""``python -m offload.bench``: run the benchmark (see offload.bench.cli)."""

from __future__ import annotations

import sys

from offload.bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
