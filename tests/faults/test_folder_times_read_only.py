"""A drive whose filesystem goes read-only after its copies were verified and its manifests
written, as the folder times are set (the last step of its end): the first folder's time is
refused (EROFS) and no other folder's is asked (``card.WHOLE_FILESYSTEM_ERRNOS``); the JSON's
``folder_times_unset`` names each folder, those not asked as such.

Real parts: an ext4 loop mounted ``errors=remount-ro`` whose error the kernel is told to
report (``trigger_fs_error``, a journal abort, as a failing disk's), seen through a FaultyFS
pass-through mount that holds the first clip folder's ``utimens`` until the error is made
(the moment after the manifests, before the folder times), then lets it reach ext4, which
refuses it with EROFS; the real ``offload copy`` in-process."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path

import pytest

from faults.test_matrix import make_card, plain_dests
from faults.test_report_after_release import _drive_with_an_error_trigger
from offload.cli.common import Environment
from offload.cli.offload import main as offload_main
from support.faultyfs import FaultyFS
from support.mounts import Ext4Loop

pytestmark = pytest.mark.fault

CLIPS = 12
SIZES = {f"A002C{n:03d}_261204_R2AB/A002C{n:03d}_261204_R2AB.mxf": 5_000 + n for n in range(CLIPS)}
CLIP_FOLDER = "A007R1CD/A002C0[0-9][0-9]_261204_R2AB"


def test_a_drive_remounted_read_only_is_asked_one_folder_time_not_every_one(
    tmp_path: Path,
    ext4_loop: Callable[..., Ext4Loop],
    faulty_fs: Callable[..., FaultyFS],
) -> None:
    """Failed before: after the first clip folder's EROFS, each of the 11 others was asked
    too (12 ``utimens`` reached the drive, each refused), and the JSON could not tell a
    folder refused from one a read-only drive would refuse. Now one is asked; the 12 others
    (11 clip folders, the copy root) are listed as not tried, with the refusal's errno."""
    card = make_card(tmp_path / "cards", SIZES)
    drive, trigger = _drive_with_an_error_trigger(ext4_loop)
    fs = faulty_fs(backing=drive.path)
    held = fs.stall("utimens", path=CLIP_FOLDER, nth=1)
    reports = tmp_path / "reports"
    dests = [*plain_dests(tmp_path, 1), fs.mountpoint]
    argv = ["copy", "--report-dir", str(reports), str(card), *map(str, dests)]
    made: list[BaseException] = []

    def make_the_error_then_go_on() -> None:
        try:
            fs.wait_stalled(held, timeout_s=120)
            trigger.write_text("offload-ai test: simulated corruption\n")
        except BaseException as exc:  # raised below
            made.append(exc)
        finally:
            fs.release(held)

    thread = threading.Thread(target=make_the_error_then_go_on, daemon=True)
    thread.start()
    err = io.StringIO()
    code = offload_main(argv, Environment(stdout=io.StringIO(), stderr=err))
    thread.join(timeout=60)
    assert not thread.is_alive() and not made, made
    said = err.getvalue()
    assert code == 1, said
    asked = [
        r
        for r in fs.oplog()
        if r.op == "utimens" and (r.path == "A007R1CD" or fnmatch(r.path, CLIP_FOLDER))
    ]
    # The held call and nothing after it: the clip folders' times, then the copy root's.
    assert len(asked) == 1, asked
    (report,) = reports.glob("A007R1CD_*.json")
    data = json.loads(report.read_text())
    unset = data["folder_times_unset"]
    assert len(unset) == CLIPS + 1, unset
    assert {(u["index"], u["errno"], u["copies_in_doubt"]) for u in unset} == {(1, "EROFS", True)}
    refused, *untried = [u["message"] for u in unset]
    copy_root = fs.mountpoint / "A007R1CD"
    first = copy_root / asked[0].path.removeprefix("A007R1CD/")
    assert refused.startswith(f"cannot set the time of folder {first}: Read-only file system")
    folders = {copy_root, *((copy_root / name).parent for name in SIZES)} - {first}
    assert {m.split(":")[0] for m in untried} == {
        f"did not try to set the time of folder {folder}" for folder in folders
    }, untried
    # Nothing claimed of the copies: they were verified before; the card is kept (EROFS: the
    # disk may have failed since), the terminal says one line and a count.
    assert "Do not format the card" in said, said
    assert f"... and {CLIPS} more folders on {fs.mountpoint} whose times could not be set" in said
