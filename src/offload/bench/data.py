"""Test data: one file, or a card (a folder tree like a camera's), made once and reused.

Content is random (incompressible, no two blocks alike) so that no layer can shortcut it.
A dataset folder holds a ``.bench-dataset.json`` marker written last: a folder whose marker
matches the spec is reused by later runs, anything else is rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from offload.bench.stats import human_size

_MARKER = ".bench-dataset.json"
_WRITE_BLOCK = 4 * 1024 * 1024
CARD_FOLDER = "CARD"  # a card dataset's root folder; copies land in DEST/CARD/
_SIDECAR_FOLDER = "META/"


@dataclass(frozen=True)
class DatasetSpec:
    """``kind`` "file": one file of ``size_bytes``; "card": ``count`` files of that size,
    named by ``layout``: "camera" (clips and DCIM folders) or "sequence" (image-sequence
    frames, ``A004C001/A004C001.0000001.dpx``, ``files_per_folder`` frames per clip); plus
    ``sidecars`` files of ``sidecar_size`` (``META/A001M001.xml``...) on a card."""

    name: str
    kind: str
    size_bytes: int
    count: int = 1
    files_per_folder: int = 500
    layout: str = "camera"
    sidecars: int = 0
    sidecar_size: int = 0

    @property
    def total_bytes(self) -> int:
        return self.size_bytes * self.count + self.sidecar_size * self.sidecars

    @property
    def file_count(self) -> int:
        return self.count + self.sidecars

    def size_of(self, name: str) -> int:
        """The size of the file *name* (relative, as in ``card_layout``)."""
        return self.sidecar_size if name.startswith(_SIDECAR_FOLDER) else self.size_bytes

    def label(self) -> str:
        if self.kind == "file":
            return human_size(self.size_bytes)
        label = f"{self.count:,} × {human_size(self.size_bytes)}"
        if self.sidecars:
            label += f" + {self.sidecars:,} × {human_size(self.sidecar_size)}"
        return label


@dataclass(frozen=True)
class Dataset:
    """A dataset on disk. ``root`` is the file, or the card folder; ``files`` are relative
    to ``root.parent`` for a file and to ``root`` for a card, sorted."""

    spec: DatasetSpec
    root: Path
    files: tuple[str, ...]

    def paths(self) -> list[Path]:
        base = self.root.parent if self.spec.kind == "file" else self.root
        return [base / name for name in self.files]

    def sizes(self) -> list[int]:
        """The size of each file, in the order of ``files``."""
        return [self.spec.size_of(name) for name in self.files]


def card_layout(spec: DatasetSpec) -> list[str]:
    """Relative paths of a card's files: clips spread over folders like a camera writes them."""
    names = []
    width = max(5, len(str(spec.count)))
    for index in range(spec.count):
        folder = index // spec.files_per_folder
        if spec.layout == "sequence":
            clip = f"A004C{folder + 1:03d}"
            frame = index % spec.files_per_folder
            names.append(f"{clip}/{clip}.{frame + 1:07d}.dpx")
        elif spec.size_bytes >= 64 * 1024 * 1024:
            names.append(f"CLIP/A001C{index + 1:03d}.mov")
        else:
            names.append(f"DCIM/{100 + folder:03d}MEDIA/C{index + 1:0{width}d}.MP4")
    names += [f"{_SIDECAR_FOLDER}A001M{index + 1:03d}.xml" for index in range(spec.sidecars)]
    return sorted(names)


def _marker(spec: DatasetSpec) -> dict[str, object]:
    """What the marker file records; the default layout and no sidecars are left out, so
    datasets made before layouts and sidecars existed are still reused."""
    fields = asdict(spec)
    if spec.layout == "camera":
        del fields["layout"]
    if not spec.sidecars:
        del fields["sidecars"], fields["sidecar_size"]
    return fields


def ensure_dataset(spec: DatasetSpec, data_dir: Path) -> Dataset:
    """The dataset for *spec* under ``data_dir/<name>``, made now unless a matching one exists."""
    home = data_dir / spec.name
    marker = home / _MARKER
    if spec.kind == "file":
        root = home / f"{spec.name}.bin"
        files: tuple[str, ...] = (root.name,)
    elif spec.kind == "card":
        root = home / CARD_FOLDER
        files = tuple(card_layout(spec))
    else:
        raise ValueError(f"unknown dataset kind {spec.kind!r}")
    if spec.layout not in ("camera", "sequence"):
        raise ValueError(f"unknown card layout {spec.layout!r}")
    dataset = Dataset(spec, root, files)
    try:
        if json.loads(marker.read_text()) == _marker(spec) and all(
            p.stat().st_size == size
            for p, size in zip(dataset.paths(), dataset.sizes(), strict=True)
        ):
            return dataset
    except (OSError, ValueError):
        pass
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    for path, size in zip(dataset.paths(), dataset.sizes(), strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_random(path, size)
    os.sync()
    marker.write_text(json.dumps(_marker(spec)))
    return dataset


def _write_random(path: Path, size: int) -> None:
    with open(path, "wb", buffering=0) as handle:
        left = size
        while left:
            block = os.urandom(min(left, _WRITE_BLOCK))
            handle.write(block)
            left -= len(block)
