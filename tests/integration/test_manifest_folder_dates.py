"""The date an ASC MHL generation gives each folder (``<directoryhash><path
lastmodificationdate>``) is the folder's date on the finished copy, which is the card's:
what ``ascmhl create`` run on that copy would write. Failed before: every folder was dated
the moment of the copy (the card's folder times were given to the copy only after the
manifests were written), a date no folder had once the run ended, on the card or the
copy. Real CLI in process, real files, the generation judged by ascmhl 1.2."""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from support.ascmhl_judge import AscmhlJudge

NS = "{urn:ASC:MHL:v2.0}"


def offload(*argv: str | Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [str(a) for a in argv], Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue() + err.getvalue()


def folder_dates(manifest: Path) -> dict[str, str]:
    return {
        path.text or "": path.get("lastmodificationdate", "")
        for folder in ET.parse(manifest).getroot().iter(f"{NS}directoryhash")
        if (path := folder.find(f"{NS}path")) is not None
    }


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def test_each_folder_of_a_generation_is_dated_as_the_card_and_its_copy(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    card = tmp_path / "A001"
    shot = {"CLIPS": 1_700_000_000, "CLIPS/A001C001": 1_700_000_100, "AUDIO": 1_600_000_000}
    for folder in shot:
        (card / folder).mkdir(parents=True, exist_ok=True)
    (card / "CLIPS" / "A001C001" / "A001C001.mxf").write_bytes(os.urandom(20_000))
    (card / "AUDIO" / "T001.wav").write_bytes(os.urandom(5_000))
    for folder, seconds in sorted(shot.items(), key=lambda kv: -kv[0].count("/")):
        os.utime(card / folder, (seconds, seconds))
    dest = tmp_path / "dest"
    dest.mkdir()

    code, output = offload("copy", card, dest, "--report-dir", tmp_path / "r", "--quiet")

    assert code == 0, output
    copy = dest / "A001"
    (manifest,) = (copy / "ascmhl").glob("0001_*.mhl")
    assert folder_dates(manifest) == {folder: iso(s) for folder, s in shot.items()}
    for folder, seconds in shot.items():  # the copy's folders: the card's dates
        assert int((copy / folder).stat().st_mtime) == seconds
    verdict = judge.verify(copy, directory_hashes=True)
    assert verdict.clean, verdict.describe()


def test_a_cascaded_drives_folders_keep_the_card_times_taken_before_its_release(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """``--cascade``: the slow drive's generation is written after the card's release; its
    folders are dated by the times taken before the release (those its folders are given),
    not by the card as it stands then. Failed before (the merge of the card-dated folders
    with the cascade): a card folder touched at the release dated the slow copy's folder."""
    from offload.card import OffloadOptions, plan_offload, run_offload
    from offload.events import CardReleased, Event

    card = tmp_path / "A002"
    (card / "CLIPS").mkdir(parents=True)
    (card / "CLIPS" / "A002C001.mxf").write_bytes(os.urandom(20_000))
    os.utime(card / "CLIPS", (1_700_000_000, 1_700_000_000))
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    fast.mkdir()
    slow.mkdir()

    class TouchTheCardAtRelease:
        def emit(self, event: Event) -> None:
            if isinstance(event, CardReleased):
                os.utime(card / "CLIPS", (1_500_000_000, 1_500_000_000))

    plan = plan_offload(card, [fast, slow], OffloadOptions(cascade=frozenset({1})))
    assert run_offload(plan, sink=TouchTheCardAtRelease()).exit_code == 0
    for copy in (fast / "A002", slow / "A002"):
        (manifest,) = (copy / "ascmhl").glob("0001_*.mhl")
        assert folder_dates(manifest)["CLIPS"] == iso(1_700_000_000), copy
        assert int((copy / "CLIPS").stat().st_mtime) == 1_700_000_000, copy
        verdict = judge.verify(copy, directory_hashes=True)
        assert verdict.clean, verdict.describe()
