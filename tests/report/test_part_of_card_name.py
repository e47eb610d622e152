"""The card named in the documents when one folder of it was offloaded (words70): its
volume label, else its mount folder's name, and the folder said; the documents named it
after that folder ("CLIP"). The real run: tests/cli/test_source_part_of_card.py."""

from __future__ import annotations

from typing import Any

from offload.report.clips import group_clips
from offload.report.content import build_view, part_of_card

SOURCE = "/media/dit/A001/PRIVATE/M4ROOT/CLIP"


def _job(warning: dict[str, Any] | None, volume: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": 1,
        "source": SOURCE,
        "started": "2026-12-04T21:46:05Z",
        "finished": "2026-12-04T21:46:05Z",
        "verify": "full",
        "exit_code": 0,
        "production": {"reel": "CLIP"},
        "source_volume": volume,
        "warnings": [] if warning is None else [warning],
        "destinations": [{"index": 0, "path": "/mnt/RAID", "result": "ok", "files_verified": 1}],
        "totals": {"files": 1, "bytes": 10},
        "files": [
            {
                "path": "C0001.MP4",
                "size_bytes": 10,
                "destinations": [{"index": 0, "status": "verified"}],
            }
        ],
    }


def _part(**changes: Any) -> dict[str, Any]:
    return {
        "code": "source-part-of-volume",
        "path": "/media/dit/A001",
        "message": "only PRIVATE/M4ROOT/CLIP of the card ...",
        "within": "PRIVATE/M4ROOT/CLIP",
        "outside_first": "XDROOT/",
        "count": 2,
        "card": True,
        **changes,
    }


MOUNTED = {"mount_point": "/media/dit/A001", "volume_label": None}
LABELLED = {
    "mount_point": "/media/dit/A001",
    "volume_label": "SONY_A",
    "volume_label_from": "filesystem",
}


def test_the_card_is_named_after_its_label_else_its_mount_folder() -> None:
    """Failed before: the Card row and the title said "CLIP"."""
    said = (
        "only PRIVATE/M4ROOT/CLIP of it was offloaded; 2 other entries on it (XDROOT/ first) "
        "were not copied by this run"
    )
    assert part_of_card(_job(_part(), MOUNTED)) == ("A001", "PRIVATE/M4ROOT/CLIP", said)
    assert part_of_card(_job(_part(), LABELLED)) == ("SONY_A", "PRIVATE/M4ROOT/CLIP", said)
    # A label udev did not give, only the mount folder's name: that name.
    named = {**LABELLED, "volume_label_from": "mount point"}
    assert part_of_card(_job(_part(), named))[0] == "A001"  # type: ignore[index]
    data = _job(_part(), LABELLED)
    view = build_view(data, group_clips(data["files"]), {}, [])
    assert view.title == "Offload report: SONY_A, only PRIVATE/M4ROOT/CLIP"
    card = dict(view.card)
    assert card["Card"] == "SONY_A"
    assert card["Offloaded"] == said
    assert card["Path"] == SOURCE
    # The Reel the run recorded (the source's name by default) is still shown as a name.
    assert dict(view.production)["Reel"] == "CLIP"
    assert "Reel" in view.production_names


def test_a_bind_mount_of_the_folder_alone_is_named_by_its_label_only() -> None:
    """The folder alone mounted (nothing else of the card seen, ``count`` 0): its label
    names the card; without one, nothing better than the source's name is known."""
    bind = _part(path=SOURCE, outside_first="", count=0)
    at_source = {**LABELLED, "mount_point": SOURCE}
    assert part_of_card(_job(bind, at_source)) == (
        "SONY_A",
        "PRIVATE/M4ROOT/CLIP",
        "only PRIVATE/M4ROOT/CLIP of it was offloaded",
    )
    assert part_of_card(_job(bind, {**MOUNTED, "mount_point": SOURCE})) is None


def test_a_whole_card_or_a_folder_of_a_drive_keeps_its_name() -> None:
    for data in (_job(None, MOUNTED), _job(_part(card=False), MOUNTED)):
        assert part_of_card(data) is None
        view = build_view(data, group_clips(data["files"]), {}, [])
        assert view.title == "Offload report: CLIP"
        assert "Offloaded" not in dict(view.card)
