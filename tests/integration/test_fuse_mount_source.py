"""A plain ``fuse`` mount's source is looked at before it is opened: only an image file or a
block device is read (a FIFO, a character device are never opened), and an image this user
may not read leaves the filesystem untold, as a ``fuseblk`` device unread does. Real FIFOs,
a real blocked writer, real ``/dev/zero``, real ntfs-3g and a real other user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from offload.fs.fstype import image_filesystem
from support.mounts import Mount
from support.nobody import NOBODY
from support.requirements import require_root, require_tool


def test_a_fifo_source_is_never_opened(tmp_path: Path) -> None:
    """Failed before: the source was opened (O_NONBLOCK) before fstat said it was a FIFO,
    which let its blocked writer through."""
    fifo = tmp_path / "source"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"echo x > '{fifo}'"])
    try:
        _wait_blocked_in_open(writer.pid)
        assert image_filesystem(str(fifo)) is None
        try:
            writer.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        assert writer.poll() is None, "the FIFO was opened: its writer went through"
    finally:
        writer.kill()
        writer.wait()


def _wait_blocked_in_open(pid: int) -> None:
    """Until *pid* waits in a FIFO's open for a reader (its kernel wait channel says so)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if Path(f"/proc/{pid}/wchan").read_text() in ("wait_for_partner", "fifo_open"):
            return
        time.sleep(0.01)
    raise AssertionError(f"the writer never blocked on the FIFO: {Path(f'/proc/{pid}/wchan')}")


_OPENS = """
import json, sys
from offload.fs.fstype import image_filesystem
opened = []
sys.addaudithook(lambda event, args: opened.append(args[0]) if event == "open" else None)
found = [image_filesystem(p) for p in sys.argv[1:]]
print(json.dumps([found, [str(p) for p in opened if isinstance(p, (str, bytes))]]))
"""


def test_character_devices_and_folders_are_not_opened(tmp_path: Path) -> None:
    """Failed before: /dev/zero and /dev/fuse were opened (each a no, after its open)."""
    sources = ["/dev/zero", "/dev/null", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-c", _OPENS, *sources],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    found, opened = json.loads(done.stdout)
    assert found == [None, None, None]
    assert not set(opened) & set(sources), opened


def test_an_image_this_user_cannot_read_leaves_the_filesystem_untold(ntfs_image: Mount) -> None:
    """Failed before: root's 0600 image, the DIT a user: "fuse", POSIX rules, so a name NTFS
    refuses was said to be taken "as it is". Now the rules NTFS, exFAT and FAT share, named
    as untold."""
    require_root("a user (nobody) the image's mode stops")
    require_tool("setpriv")
    Path(ntfs_image.source).chmod(0o600)
    probe = (
        "import sys; from pathlib import Path; "
        "from offload.plan.filesystem import detect_filesystem; "
        "f = detect_filesystem(Path(sys.argv[1])); "
        "print(f.name); print(f.rules.requires_unicode, f.rules.symlinks)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [*NOBODY, sys.executable, "-c", probe, str(ntfs_image.path)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "FUSE filesystem of an image this user cannot read (fuse)",
        "True None",
    ]
    assert image_filesystem(ntfs_image.source) == "ntfs"  # root reads it
