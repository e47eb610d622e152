"""The ``offload`` package's public names load on first use (PEP 562), and ``import offload``
still gives its submodules as attributes, as when it imported them eagerly."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter: this one has imported every module already.
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )


def test_public_names_and_submodules_after_import_offload() -> None:
    done = _run(
        "import offload\n"
        "assert offload.results.DestinationStatus.VERIFIED\n"
        "assert offload.card.plan_offload\n"
        "assert callable(offload.offload) and offload.VerifyMode.FULL\n"
        "from offload import *\n"
        "assert CopyOptions and copy_with_multiple_destinations\n"
    )
    assert done.returncode == 0, done.stderr


def test_an_unknown_name_is_an_attribute_error() -> None:
    done = _run(
        "import offload\n"
        "try:\n    offload.no_such_thing\nexcept AttributeError as e:\n    print(e)\n"
        "print(hasattr(offload, '__wrapped__'))\n"
    )
    assert done.returncode == 0, done.stderr
    assert "no attribute 'no_such_thing'" in done.stdout and "False" in done.stdout
