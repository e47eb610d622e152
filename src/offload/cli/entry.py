"""The ``offload`` command's entry point (the console script, and ``python -m offload``):
``offload.cli.offload``'s ``main``. A module of its own so that the installed script's target
stays the same whatever the command's module imports."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from offload.cli.offload import main as command

    return command(list(sys.argv[1:] if argv is None else argv))


def entry_point() -> None:
    sys.exit(main())
