"""What a test needs from the machine (a program, root, a FUSE library), and the skip if missing.

``make test`` installs the Debian packages the tests use when it runs as root
(``scripts/install-test-deps``); elsewhere a test that needs a missing one skips with a reason
that says what is missing and where it comes from::

    xxhsum = require_tool("xxhsum")        # the full path, or the test skips
    needs_root = root_mark("mounting a tmpfs")  # a skipif mark

Every such skip reason starts with ``UNAVAILABLE``; under ``CI=true`` tests/conftest.py turns
those skips into failures, because CI must have every tool and run as root.
"""

from __future__ import annotations

import os
import shutil

import pytest

UNAVAILABLE = "not available here: "
"""Prefix of every skip reason given for a missing tool, library or privilege."""

INSTALL_HINT = "`make test` installs it when run as root"

PACKAGES = {
    "xxhsum": "xxhash",
    "rsync": "rsync",
    "strace": "strace",
    "md5sum": "coreutils",
    "sha1sum": "coreutils",
    "sha256sum": "coreutils",
    "cp": "coreutils",
    "tee": "coreutils",
    "setpriv": "util-linux",
    "pdftotext": "poppler-utils",
    "chromium": "chromium",
    "mkfs.exfat": "exfatprogs",
    "mkfs.ntfs": "ntfs-3g",
    "mkfs.vfat": "dosfstools",
    "mkfs.ext4": "e2fsprogs",
    "mount.exfat-fuse": "exfat-fuse",
    "ntfs-3g": "ntfs-3g",
    "mkntfs": "ntfs-3g",
    "sshfs": "sshfs",
    "sftp-server": "openssh-sftp-server",
    "losetup": "mount",
    "fusermount3": "fuse3",
    "rclone": "rclone",
    "s3cmd": "s3cmd",
}
"""Debian package of each program the tests run (the list scripts/install-test-deps installs
is the authority; this maps names for the skip reasons)."""


def unavailable(reason: str) -> str:
    """A skip reason conftest recognises as "missing here" (a failure under CI=true)."""
    return reason if reason.startswith(UNAVAILABLE) else UNAVAILABLE + reason


def skip_unavailable(reason: str | None) -> None:
    """Skip the running test with *reason* (marked as missing here) unless it is None."""
    if reason:
        pytest.skip(unavailable(reason))


def tool_reason(tool: str) -> str | None:
    """Why *tool* cannot be run here (not on PATH), or None when it can."""
    if shutil.which(tool) is not None:
        return None
    package = PACKAGES.get(tool)
    where = f"Debian package {package}; {INSTALL_HINT}" if package else INSTALL_HINT
    return unavailable(f"{tool} not found on PATH ({where})")


def require_tool(tool: str) -> str:
    """The full path of *tool*; skips the test with the reason when it is not installed."""
    skip_unavailable(tool_reason(tool))
    path = shutil.which(tool)
    assert path is not None
    return path


def root_reason(what: str) -> str | None:
    """Why *what* cannot be done here (not root), or None when running as root."""
    if os.geteuid() == 0:
        return None
    return unavailable(f"{what} needs root (`make test` as root, as CI does, runs it)")


def require_root(what: str) -> None:
    """Skips the running test unless it runs as root."""
    skip_unavailable(root_reason(what))


def root_mark(what: str) -> pytest.MarkDecorator:
    """A ``skipif`` mark for tests that need root, with a reason conftest recognises."""
    reason = root_reason(what)
    return pytest.mark.skipif(reason is not None, reason=reason or "")
