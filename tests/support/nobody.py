"""Running a command as ``nobody``, whom permissions stop (tests run as root, whom they do
not): ``NOBODY``, the ``setpriv`` prefix of such a command, and
:func:`folder_nobody_may_write`, a folder to work in where ``nobody`` may write."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.requirements import require_root, require_tool

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@contextmanager
def folder_nobody_may_write() -> Iterator[Path]:
    """A new folder in /tmp (pytest's ``tmp_path`` is under one only root may enter), mode
    0777, removed afterwards. Skips (a failure under CI=true) unless run as root with
    ``setpriv``."""
    require_root("a user (nobody) that permissions stop")
    require_tool("setpriv")
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        Path(folder).chmod(0o777)
        yield Path(folder)


#: The ``setpriv`` prefix of a command run as root without the capabilities that let root
#: read any file (``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``): a file's mode 000 stops it
#: as it stops a user, while root still owns what it made.
WITHOUT_DAC = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]
