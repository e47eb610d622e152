"""The ``offload`` and ``offload.manifest`` packages' public names load on first use (PEP
562), and the packages still give their submodules as attributes, as when they imported them
eagerly."""

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


def test_a_manifest_module_imports_neither_the_verifier_nor_the_others() -> None:
    """``offload copy`` imports the manifest writer, not ``offload verify``'s verifier:
    importing one module of ``offload.manifest`` no longer imports them all."""
    done = _run(
        "import sys\n"
        "import offload.manifest.model\n"
        "print(sorted({'offload.manifest.verify', 'offload.manifest.legacy'} & set(sys.modules)))\n"
        "import offload.manifest as manifest\n"
        "assert manifest.verify_tree and manifest.write_legacy_mhl and manifest.ASCMHL_FOLDER\n"
        "assert manifest.dirhash.directory_hashes\n"
        "from offload.manifest import *\n"
        "assert VerifyReport and IgnoreSpec\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]"]
