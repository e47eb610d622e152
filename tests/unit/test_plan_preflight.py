"""plan_destinations and preflight on real trees in tmp dirs (real tmpfs mounts when root)."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from offload.plan import (
    FilesystemInfo,
    IgnoreRules,
    PreflightCode,
    PreflightReport,
    SpaceInfo,
    human_bytes,
    plan_destinations,
    plan_file_targets,
    preflight,
    scan_source,
)
from offload.plan.preflight.findings import Findings
from offload.plan.preflight.paths import (
    KeptProbes,
    check_duplicates,
    check_writable,
    remove_probes,
)
from offload.plan.preflight.space import folder_bytes
from support.requirements import require_root, require_tool, root_mark

C = PreflightCode
ROOT = os.geteuid() == 0
needs_root = root_mark("mounting")


def ext4(_: Path) -> FilesystemInfo:
    return FilesystemInfo("ext4")


def exfat(_: Path) -> FilesystemInfo:
    return FilesystemInfo("exfat", Path("/media/dit/CARD"), "/dev/sdb1")


def write(path: Path, data: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def card(tmp_path: Path) -> Path:
    src = tmp_path / "A001"
    write(src / "CLIPS" / "A001C001.mov", b"m" * 10_000)
    write(src / "CLIPS" / "A001C001.xml", b"<x/>")
    write(src / "empty.txt")
    (src / "EMPTY_DIR").mkdir()
    return src


def run(
    src: Path, dests: list[Path], *, into: bool = False, **kw: object
) -> tuple[PreflightReport, list[object]]:
    tree = scan_source(src)
    plans = plan_destinations(tree, src, dests, into=into)
    kw.setdefault("filesystem_of", ext4)
    return preflight(tree, plans, **kw), list(plans)  # type: ignore[arg-type]


def codes(items: object) -> list[PreflightCode]:
    return [i.code for i in items]  # type: ignore[attr-defined]


def dests(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        (tmp_path / name).mkdir()
        out.append(tmp_path / name)
    return out


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[object]:
    """Mount real tmpfs filesystems of a given size; unmounted at the end whatever happens."""
    require_root("mounting a tmpfs")
    mounted: list[Path] = []

    def mount(name: str, size: str, *options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        opts = ",".join([f"size={size}", *options])
        subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", str(point)], check=True)


# --- planning -----------------------------------------------------------------------------------


def test_plan_default_into_and_single_file(tmp_path: Path) -> None:
    src = card(tmp_path)
    tree = scan_source(src)
    [d] = dests(tmp_path, "d")

    [plan] = plan_destinations(tree, src, [d], into=False)
    assert (plan.root, plan.creates_root) == (d / "A001", True)
    assert plan.target_for("CLIPS/A001C001.mov") == d / "A001" / "CLIPS" / "A001C001.mov"

    [plan] = plan_destinations(tree, src, [d], into=True)
    assert (plan.root, plan.creates_root) == (d, False)

    clip = src / "CLIPS" / "A001C001.mov"
    one = scan_source(clip)
    for into in (False, True):
        [plan] = plan_destinations(one, clip, [d], into=into)
        assert plan.target_for(one.files[0].relative_path) == d / "A001C001.mov"

    with pytest.raises(ValueError):
        plan_destinations(tree, src, [], into=False)
    with pytest.raises(ValueError):
        plan_destinations(tree, tmp_path, [d], into=False)


def probes_in(*folders: Path) -> list[Path]:
    return [p for f in folders for p in f.iterdir() if p.name.startswith(".offload-probe")]


def test_one_write_probe_a_destination_serves_the_same_folder_check(tmp_path: Path) -> None:
    """The write check's probe (one a destination, kept) is what the same-folder check looks
    for through the later destinations: three destinations, three probes, none made by the
    same-folder check (before: one more a pair, made and removed there), and none there
    while the free space and inodes are read (each takes an inode); all removed."""
    src = card(tmp_path)
    folders = dests(tmp_path, "a", "b", "c")
    seen: list[int] = []

    def space_of(_: Path) -> SpaceInfo:
        seen.append(len(probes_in(*folders)))
        return SpaceInfo(10**9, 4096)

    report, plans = run(src, folders, space_of=space_of, reserve_bytes=0)
    assert report.ok, report.errors
    assert seen == [0, 0, 0], seen
    assert probes_in(*folders) == []
    # The two steps themselves: the write check keeps one probe a folder; the same-folder
    # check only looks (no file made nor removed); remove_probes removes them all and gives
    # each folder its dates back.
    for at, folder in enumerate(folders, 1):
        os.utime(folder, ns=(at * 10**18, at * 10**18))
    probes = KeptProbes()
    out = Findings()
    for plan in plans:
        check_writable(plan, out, probe=True, keep=probes)  # type: ignore[arg-type]
    assert not out.errors and sorted(probes) == [0, 1, 2]
    kept = sorted(probes_in(*folders))
    assert len(kept) == 3 and {p.parent for p in probes.values()} == set(folders)
    usable = [(plan, None) for plan in plans]
    assert check_duplicates(scan_source(src), usable, out, probes=probes) == set()  # type: ignore[arg-type]
    assert sorted(probes_in(*folders)) == kept
    remove_probes(probes)
    assert probes == {} and probes_in(*folders) == []
    assert [os.stat(folder).st_mtime_ns for folder in folders] == [10**18, 2 * 10**18, 3 * 10**18]


def test_a_folder_changed_while_its_probe_is_kept_keeps_that_change_s_date(
    tmp_path: Path,
) -> None:
    """Review of the fixcards59 merge: the probed folders' times were put back long after
    each probe (every destination probed, ``check_duplicates`` run), undoing a change
    another process made meanwhile (its file there, the folder dated as it left it), and
    put back even where the probe's delete failed. Failed before (the folder dated 2001
    again); now put back only where the folder still has the time the probe's create gave
    it and the delete succeeded."""
    src = card(tmp_path)
    changed, removed, quiet = dests(tmp_path, "changed", "removed", "quiet")
    _, plans = run(src, [changed, removed, quiet], space_of=lambda _: SpaceInfo(10**9, 4096))
    old = 10**18  # 2001
    for folder in (changed, removed, quiet):
        os.utime(folder, ns=(old, old))
    probes = KeptProbes()
    out = Findings()
    for plan in plans:
        check_writable(plan, out, probe=True, keep=probes)  # type: ignore[arg-type]
    assert not out.errors and sorted(probes) == [0, 1, 2]
    (changed / "A001.MXF").write_bytes(b"another process's file")  # meanwhile
    os.utime(changed, ns=(old + 1, old + 5))  # a coarse clock's time, surely other than ours
    os.unlink(probes[1])  # the delete will fail (someone removed it)
    os.utime(removed, ns=(old + 1, old + 7))
    remove_probes(probes)
    assert probes == {} and probes_in(changed, removed, quiet) == []
    assert os.stat(changed).st_mtime_ns != old
    assert os.stat(removed).st_mtime_ns == old + 7
    assert os.stat(quiet).st_mtime_ns == old


def test_a_ctrl_c_while_the_probes_are_kept_leaves_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C (KeyboardInterrupt) in the same-folder check, the three probes made and
    kept: all removed on the way out."""
    src = card(tmp_path)
    folders = dests(tmp_path, "a", "b", "c")
    preflight_module = sys.modules[
        "offload.plan.preflight"
    ]  # the package: `preflight` is its function
    real = preflight_module.check_duplicates

    def interrupted(*args: object, **kw: object) -> set[int]:
        found = real(*args, **kw)  # type: ignore[arg-type]
        if not kw.get("probes"):  # the first pass, by identity: nothing written yet
            assert probes_in(*folders) == []
            return found  # type: ignore[no-any-return]
        assert len(probes_in(*folders)) == 3
        raise KeyboardInterrupt

    monkeypatch.setattr(preflight_module, "check_duplicates", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(src, folders, space_of=lambda _: SpaceInfo(10**9, 4096), reserve_bytes=0)
    assert probes_in(*folders) == []


# --- a clean run --------------------------------------------------------------------------------


def test_clean_run_has_no_errors_and_counts_what_to_copy(tmp_path: Path) -> None:
    src = card(tmp_path)
    a, b = dests(tmp_path, "a", "b")

    report, _ = run(src, [a, b], space_of=lambda _: SpaceInfo(10**9, 4096), reserve_bytes=0)

    assert report.ok, report.errors
    assert set(codes(report.warnings)) == {C.DEST_SAME_DEVICE, C.DEST_ON_SOURCE_DEVICE}
    check = report.destinations[0]
    assert (check.files_to_copy, check.bytes_to_copy, check.files_present) == (3, 10_004, 0)
    # 10,000 B -> 3 blocks, 4 B -> 1 block, 0 B -> 0; 3 folders (root, CLIPS, EMPTY_DIR).
    assert check.required_bytes == (3 + 1 + 3) * 4096
    assert not any(p.name.startswith(".offload-probe") for p in a.iterdir())  # probe removed


def test_destinations_on_the_source_filesystem_are_named_in_one_warning(tmp_path: Path) -> None:
    """Every destination on the card's filesystem is named in one warning, not one line
    each (before: "destination A is on the same filesystem as the source ..." and the same
    line for B); the cascade still finds each of them on the card's disk (``indices``)."""
    src = card(tmp_path)
    a, b, c = dests(tmp_path, "a", "b", "c")

    report, _ = run(src, [a, b, c], space_of=lambda _: SpaceInfo(10**9, 4096), reserve_bytes=0)

    on_source = [w for w in report.warnings if w.code is C.DEST_ON_SOURCE_DEVICE]
    # Failed before (QA, 38th pass): what is wrong, not what to do.
    assert [w.message for w in on_source] == [
        f"destinations {a}, {b} and {c} are on the same filesystem as the source: they are "
        "not backups of the card: keep the card until a copy on another disk is read back"
    ]
    assert on_source[0].indices == (0, 1, 2)
    assert on_source[0].destination_index == 2
    # A script reads all three, not the last alone (before: `destination_index` 2 only, in
    # `offload_refused`'s warnings, the job report's and the dry run's).
    assert on_source[0].as_dict()["indices"] == [0, 1, 2]
    assert on_source[0].as_report_dict()["indices"] == [0, 1, 2]

    # One destination there: its own sentence, as before.
    report, _ = run(src, [a], space_of=lambda _: SpaceInfo(10**9, 4096), reserve_bytes=0)
    assert [w.message for w in report.warnings if w.code is C.DEST_ON_SOURCE_DEVICE] == [
        f"destination {a} is on the same filesystem as the source: it is not a backup of the "
        "card: keep the card until a copy on another disk is read back"
    ]


def test_files_already_there_are_not_counted_again(tmp_path: Path) -> None:
    src = card(tmp_path)
    [d] = dests(tmp_path, "d")
    for f in scan_source(src).files:
        target = write(d / "A001" / f.relative_path, f.path.read_bytes())
        os.utime(target, ns=(f.mtime_ns, f.mtime_ns))
    write(d / "A001" / "empty.txt", b"different now")

    report, _ = run(src, [d], space_of=lambda _: SpaceInfo(10**9, 4096), reserve_bytes=0)

    check = report.destinations[0]
    assert (check.files_to_copy, check.files_present) == (1, 2)
    assert check.bytes_to_copy == 0  # empty.txt: 0 bytes to write again
    # a partial of each present file (10,000 B and 4 B: rewritten in one batch, beside their
    # old copies, if found wrong) + the missing EMPTY_DIR
    assert check.required_bytes == 3 * 4096 + 4096 + 4096


def test_report_is_deterministic(tmp_path: Path) -> None:
    src = card(tmp_path)
    write(src / "a:b", b"x")
    write(src / "A:B", b"y")
    a, b = dests(tmp_path, "a", "b")
    # Free space is fixed: the real disk's changes while other work runs on the machine.
    space = {"space_of": lambda _: SpaceInfo(10**9, 4096)}
    first, _ = run(src, [a, b], filesystem_of=exfat, **space)
    second, _ = run(src, [a, b], filesystem_of=exfat, **space)
    assert first == second


# --- destination folder -------------------------------------------------------------------------


def test_missing_and_not_a_folder(tmp_path: Path) -> None:
    src = card(tmp_path)
    not_dir = write(tmp_path / "file")
    report, _ = run(src, [tmp_path / "missing", not_dir])
    assert codes(report.errors) == [C.DEST_MISSING, C.DEST_NOT_DIRECTORY]
    assert report.errors[0].path == tmp_path / "missing"
    assert report.errors[0].destination_index == 0
    assert report.errors[1].destination_index == 1


def test_existing_entry_of_the_wrong_type_at_a_target(tmp_path: Path) -> None:
    src = card(tmp_path)
    [d] = dests(tmp_path, "d")
    write(d / "A001" / "CLIPS")  # a file where the copy needs a folder
    (d / "A001" / "empty.txt").mkdir()  # a folder where the copy puts a file
    report, _ = run(src, [d])
    assert [(i.code, i.path) for i in report.errors] == [
        (C.TARGET_TYPE_CONFLICT, d / "A001" / "CLIPS"),
        (C.TARGET_TYPE_CONFLICT, d / "A001" / "empty.txt"),
    ]

    write(tmp_path / "e" / "A001")  # the root itself is a file
    report, _ = run(src, [tmp_path / "e"])
    assert codes(report.errors) == [C.TARGET_TYPE_CONFLICT]


_CHILD = """
import sys
from pathlib import Path
from offload.plan import FilesystemInfo, plan_destinations, preflight, scan_source
src, dest = Path(sys.argv[1]), Path(sys.argv[2])
tree = scan_source(src)
plans = plan_destinations(tree, src, [dest], into=False)
report = preflight(tree, plans, filesystem_of=lambda _: FilesystemInfo("ext4"))
print(" ".join(i.code for i in report.errors))
"""


def test_not_writable_by_permissions(tmp_path: Path) -> None:
    # Root ignores permission bits: run the preflight in a child without DAC override, so the
    # kernel itself refuses the probe file (as it would for a DIT's ordinary user).
    src = card(tmp_path)
    [d] = dests(tmp_path, "d")
    cmd = [sys.executable, "-c", _CHILD, str(src), str(d)]
    if ROOT:
        setpriv = require_tool("setpriv")  # root ignores permission bits without it
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *cmd]
    d.chmod(0o555)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60)
    finally:
        d.chmod(0o755)
    assert done.stdout.split() == [C.DEST_NOT_WRITABLE]


@pytest.mark.fault
def test_read_only_mount_is_not_writable(tmp_path: Path, tmpfs: object) -> None:
    src = card(tmp_path)
    ro = tmpfs("ro", "64k", "ro")  # type: ignore[operator]
    report, _ = run(src, [ro])
    [item] = [i for i in report.errors if i.code is C.DEST_NOT_WRITABLE]
    assert item.path == ro
    assert "Read-only file system" in item.message


# --- overlaps -----------------------------------------------------------------------------------


def test_destination_inside_source_directly_and_through_a_symlink(tmp_path: Path) -> None:
    src = card(tmp_path)
    alias = tmp_path / "alias"
    os.symlink(src / "CLIPS", alias)
    report, _ = run(src, [src / "EMPTY_DIR", alias, src])
    inside = [i for i in report.errors if i.code is C.DEST_INSIDE_SOURCE]
    assert [i.destination_index for i in inside] == [0, 1, 2]


@needs_root
@pytest.mark.fault
def test_destination_inside_source_through_a_bind_mount(tmp_path: Path) -> None:
    src = card(tmp_path)
    bound = tmp_path / "bound"
    bound.mkdir()
    subprocess.run(["mount", "--bind", str(src), str(bound)], check=True)
    try:
        report, _ = run(src, [bound / "EMPTY_DIR"])
    finally:
        subprocess.run(["umount", str(bound)], check=True)
    assert C.DEST_INSIDE_SOURCE in codes(report.errors)


def nfs_mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *exports: str) -> list[Path]:
    """Folders of *tmp_path* that mountinfo shows as NFS mounts of different exports of one
    server filesystem: each ``/`` as mount root (the kernel's NFS reports no other) and one
    device number (mounts of one server filesystem share a superblock). This kernel cannot
    mount NFS here: the lines are crafted into a copy of this process's mountinfo, read
    through the module's MOUNTINFO seam; the folders are real, of distinct inodes, as the
    exports' folders are on the server."""
    from offload.plan.preflight import paths

    folders = [tmp_path / name for name in exports]
    lines = b"".join(
        b"%d 30 0:99 / %s rw,relatime shared:%d - nfs4 nas:/export/%s rw,vers=4.2\n"
        % (900 + i, os.fsencode(folder), 900 + i, os.fsencode(folder.name))
        for i, folder in enumerate(folders)
    )
    for folder in folders:
        folder.mkdir()
    fake = tmp_path / "mountinfo"
    fake.write_bytes(Path("/proc/self/mountinfo").read_bytes() + lines)
    monkeypatch.setattr(paths, "MOUNTINFO", fake)
    return folders


def test_nfs_mounts_of_different_exports_are_different_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: mountinfo's mount roots (all ``/``) and device (shared) made every
    folder of one NFS mount the same as the one at the same place on another: the copy of
    ``ingest/A001`` to ``backup`` "would write over the source", the whole ``ingest`` mount
    copied to ``backup`` was "inside the source", ``backup`` and ``nas2`` "the same folder"."""
    ingest, backup, nas2 = nfs_mounts(tmp_path, monkeypatch, "ingest", "backup", "nas2")
    src = card(ingest)
    report, _ = run(src, [backup, nas2])
    assert report.ok, report.errors
    report, _ = run(ingest, [backup])
    assert report.ok, report.errors
    report, _ = run(src, [backup], into=True)
    assert report.ok, report.errors


def test_nfs_folders_that_are_one_folder_are_still_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The confirmation does not lose what the paths show: a destination inside the card,
    and one named twice, on those NFS-shaped mounts."""
    ingest, backup = nfs_mounts(tmp_path, monkeypatch, "ingest", "backup")
    src = card(ingest)
    report, _ = run(src, [backup, backup / ".", src / "CLIPS"])
    assert [(i.code, i.destination_index) for i in report.errors] == [
        (C.DEST_INSIDE_SOURCE, 2),
        (C.DEST_DUPLICATE, 1),
    ]


def test_copy_that_would_land_on_the_source(tmp_path: Path) -> None:
    src = card(tmp_path)
    # cp -r A001 <its parent> would write A001 onto itself.
    report, _ = run(src, [tmp_path])
    assert C.TARGET_OVERLAPS_SOURCE in codes(report.errors)
    # Copying the content "into" the parent: the target tree holds the source.
    report, _ = run(src, [tmp_path], into=True)
    assert C.TARGET_OVERLAPS_SOURCE in codes(report.errors)
    # A single file copied into its own folder.
    clip = src / "CLIPS" / "A001C001.mov"
    report, _ = run(clip, [src / "CLIPS"])
    assert C.TARGET_OVERLAPS_SOURCE in codes(report.errors)


def test_source_elsewhere_inside_a_destination_is_a_warning(tmp_path: Path) -> None:
    src = card(tmp_path / "ingest")
    report, _ = run(src, [tmp_path])  # lands in tmp_path/A001, beside ingest/A001
    assert report.ok, report.errors
    assert C.DEST_CONTAINS_SOURCE in codes(report.warnings)


def test_same_folder_twice_and_nested_destinations(tmp_path: Path) -> None:
    src = card(tmp_path / "cards")
    [a] = dests(tmp_path, "a")
    os.symlink(a, tmp_path / "a-alias")
    (a / "A001").mkdir()
    report, _ = run(src, [a, tmp_path / "a-alias", a / "A001"])
    assert [(i.code, i.destination_index) for i in report.errors] == [
        (C.DEST_DUPLICATE, 1),
        (C.DEST_OVERLAP, 2),
    ]


def test_destinations_on_one_device_are_not_a_backup(tmp_path: Path) -> None:
    src = card(tmp_path)
    a, b = dests(tmp_path, "a", "b")
    report, _ = run(src, [a, b])
    [same] = [i for i in report.warnings if i.code is C.DEST_SAME_DEVICE]
    assert str(a) in same.message and str(b) in same.message
    # Failed before (QA, 38th pass): what is wrong, not what to do.
    assert same.message.endswith(
        "so they are not backups of each other: put each copy on a drive of its own"
    ), same.message


# --- free space ---------------------------------------------------------------------------------


@pytest.mark.fault
def test_free_space_shortfall_on_a_real_small_tmpfs(tmp_path: Path, tmpfs: object) -> None:
    src = tmp_path / "A001"
    write(src / "a.mov", b"a" * 600_000)
    write(src / "b.mov", b"b" * 600_000)
    small = tmpfs("small", "1m")  # type: ignore[operator]

    report, _ = run(src, [small], reserve_bytes=0)

    [item] = report.errors
    assert (item.code, item.path, item.destination_index) == (C.INSUFFICIENT_SPACE, small, 0)
    check = report.destinations[0]
    assert check.free_bytes == 1024 * 1024
    short = check.required_bytes - check.free_bytes
    assert short > 0 and f"{short:,} bytes" in item.message
    assert human_bytes(short) in item.message


@pytest.mark.fault
def test_block_rounding_counts_many_small_files(tmp_path: Path, tmpfs: object) -> None:
    src = tmp_path / "A001"
    for i in range(300):  # 300 bytes in all, but 300 blocks of 4 KiB on a 256-block tmpfs
        write(src / f"s{i:03}.xml", b"x")
    small = tmpfs("small", "1m")  # type: ignore[operator]

    report, _ = run(src, [small], reserve_bytes=0)

    assert codes(report.errors) == [C.INSUFFICIENT_SPACE]
    # and the folder's own blocks beyond its first: 300 names and the partials' beside them
    grown = -(-folder_bytes([f"s{i:03}.xml" for i in range(300)], "posix") // 4096) - 1
    assert grown > 0
    assert report.destinations[0].required_bytes == (301 + grown) * 4096


@pytest.mark.fault
def test_destinations_on_one_filesystem_share_its_free_space(tmp_path: Path, tmpfs: object) -> None:
    src = tmp_path / "A001"
    write(src / "a.mov", b"a" * 600_000)  # fits once in 1 MiB, not twice
    shared = tmpfs("shared", "1m")  # type: ignore[operator]
    a, b = shared / "a", shared / "b"
    a.mkdir()
    b.mkdir()

    alone, _ = run(src, [a], reserve_bytes=0)
    assert alone.ok, alone.errors

    # The first given takes the room, the next alone is short (failed before: both were,
    # "a and b share one filesystem", and pfndispatchcopy copied to neither).
    both, _ = run(src, [a, b], reserve_bytes=0)
    (space,) = [i for i in both.errors if i.code is C.INSUFFICIENT_SPACE]
    assert space.destination_index == 1 and space.path == b
    assert space.message.startswith(
        f"not enough free space: {b} shares one filesystem with {a}, given the room first ("
    ), space.message
    assert f"; free space or choose a larger destination for {b}" in space.message
    assert ": both need " in space.message and ", short by " in space.message
    # Given the other way round, the other way round.
    (space,) = run(src, [b, a], reserve_bytes=0)[0].errors
    assert space.destination_index == 1 and space.path == a


def test_shared_free_space_with_an_injected_probe(tmp_path: Path) -> None:
    src = card(tmp_path)
    a, b = dests(tmp_path, "a", "b")  # same st_dev: one filesystem
    need = 7 * 4096
    fits_once = lambda _: SpaceInfo(need + 4096, 4096)  # noqa: E731
    alone, _ = run(src, [a], space_of=fits_once, reserve_bytes=0)
    assert alone.ok
    both, _ = run(src, [a, b], space_of=fits_once, reserve_bytes=0)
    assert codes(both.errors) == [C.INSUFFICIENT_SPACE]
    assert both.errors[0].destination_index == 1
    # Room for neither: each says so alone, what is free and what it needs.
    fits_never = lambda _: SpaceInfo(need - 4096, 4096)  # noqa: E731
    neither, _ = run(src, [a, b], space_of=fits_never, reserve_bytes=0)
    assert [i.destination_index for i in neither.errors] == [0, 1]
    for item, dest in zip(neither.errors, (a, b), strict=True):
        assert item.message.startswith(f"not enough free space: {dest} has "), item.message
        assert "short by 4.1 kB (4,096 bytes)" in item.message, item.message


@pytest.mark.fault
def test_shared_inodes_go_to_the_first_destination_given(tmp_path: Path, tmpfs: object) -> None:
    """Failed before: on a tmpfs with inodes for one copy but not two, both destinations
    were out of inodes; now the first given takes them and the next alone is."""
    src = card(tmp_path)
    (plain,) = dests(tmp_path, "plain")
    one = run(src, [plain], reserve_bytes=0)[0].destinations[0].required_inodes
    # Its root and the two folders take 3 of its inodes: one more is left than one copy needs.
    shared = tmpfs("shared", "8m", f"nr_inodes={one + 4}")  # type: ignore[operator]
    a, b = shared / "a", shared / "b"
    a.mkdir()
    b.mkdir()
    assert os.statvfs(shared).f_favail == one + 1
    both, _ = run(src, [a, b], reserve_bytes=0)
    (item,) = both.errors
    assert item.code is C.INSUFFICIENT_INODES and item.destination_index == 1
    assert item.message.startswith(
        f"out of inodes: {b} shares one filesystem with {a}, given the inodes first ({one:,} "
        f"of its room for {one + 1:,} more files and folders, free inodes); the copy to {b} "
        f"creates {one:,}: both create {2 * one:,}: short by {one - 1:,}; "
    ), item.message


def test_unreadable_free_space_is_a_warning(tmp_path: Path) -> None:
    src = card(tmp_path)
    [d] = dests(tmp_path, "d")

    def broken(_: Path) -> SpaceInfo:
        raise OSError(5, "Input/output error")

    report, _ = run(src, [d], space_of=broken)
    assert report.ok
    assert C.FREE_SPACE_UNKNOWN in codes(report.warnings)


# --- names the destination refuses --------------------------------------------------------------


def exfat_card(tmp_path: Path) -> Path:
    src = tmp_path / "A001"
    for rel in [
        "CLIPS/clip:1.mov",
        "CLIPS/what?.mov",
        "CLIPS/tab\there.mov",
        "CLIPS/trailing.",
        "CLIPS/A001C001.MOV",
        "CLIPS/a001c001.mov",
        "CLIPS/ok.mov",
        "CON.txt",
        unicodedata.normalize("NFC", "Caf\u00e9"),
        unicodedata.normalize("NFD", "Caf\u00e9"),
    ]:
        write(src / rel, b"x")
    os.symlink("CLIPS/ok.mov", src / "link")
    return src


def test_exfat_illegal_names_collisions_and_symlinks(tmp_path: Path) -> None:
    src = exfat_card(tmp_path)
    [d] = dests(tmp_path, "d")

    report, _ = run(src, [d], filesystem_of=exfat)

    errors = [(i.code, i.path) for i in report.errors]
    assert errors == [
        (C.NAME_INVALID_CHARS, src / "CLIPS" / "clip:1.mov"),
        (C.NAME_INVALID_CHARS, src / "CLIPS" / "tab\there.mov"),
        (C.NAME_TRAILING_DOT_OR_SPACE, src / "CLIPS" / "trailing."),
        (C.NAME_INVALID_CHARS, src / "CLIPS" / "what?.mov"),
        (C.SYMLINK_UNSUPPORTED, src / "link"),
        (C.NAME_CASE_COLLISION, d / "A001" / "CLIPS"),
    ]
    message = report.errors[0].message
    assert "':'" in message and "exfat" in message and "rename" in message
    warnings = codes(report.warnings)
    assert C.NAME_RESERVED_WINDOWS in warnings
    assert C.NAME_NORMALISATION_COLLISION in warnings
    # The two names print alike: their escaped code points tell them apart (failed before:
    # "'Café', 'Café' differ only by Unicode normalisation"). The composed one's code is a
    # character's, \u00e9, never \xe9, a byte that is not UTF-8; the one not NFC is shown
    # once (QA qanames67: "'e\u0301.mov' ('e\u0301.mov'), 'é.mov' ('\xe9.mov')").
    (collision,) = [w for w in report.warnings if w.code is C.NAME_NORMALISATION_COLLISION]
    assert "'Caf\u00e9' ('Caf\\u00e9')" in collision.message, collision.message
    assert "'Cafe\\u0301'," in collision.message or "'Cafe\\u0301' differ" in collision.message
    assert "\\xe9" not in collision.message and "('Cafe\\u0301')" not in collision.message

    on_ext4, _ = run(src, [d], filesystem_of=ext4)
    assert on_ext4.ok, on_ext4.errors


def test_a_name_that_is_not_utf8_is_only_a_manifest_matter_where_bytes_are_stored(
    tmp_path: Path,
) -> None:
    """Failed before: on ext4 the warning said the filesystem "will not take [it] as it is",
    but ext4 takes any bytes but '/' and NUL, and the file was copied and verified; what
    cannot hold the name is the XML manifest. exFAT (Unicode names) still refuses it."""
    src = tmp_path / os.fsdecode(b"A\xff01")  # the copy root's own name: in no manifest
    write(src / os.fsdecode(b"bad\xff.wav"), b"x")
    write(src / os.fsdecode(b"sub\xfe") / "ok.mov", b"y")
    [d] = dests(tmp_path, "d")

    report, _ = run(src, [d], filesystem_of=ext4)

    assert report.ok, report.errors
    found = [(i.code, i.path) for i in report.warnings if i.code is C.NAME_NOT_UTF8]
    assert found == [
        (C.NAME_NOT_UTF8, src / os.fsdecode(b"bad\xff.wav")),
        (C.NAME_NOT_UTF8, src / os.fsdecode(b"sub\xfe")),
    ]
    message = report.warnings[0].message
    assert "will not take" not in message and "rename it on the source" in message
    assert "'bad\\xff.wav' is not valid UTF-8: ext4 at" in message
    assert "takes it as it is and its copy is checked like any other" in message
    assert "MHL" in message and "leaves it out" in message

    on_exfat, _ = run(src, [d], filesystem_of=exfat)
    refused = [i for i in on_exfat.errors if i.code is C.NAME_NOT_UTF8]
    assert len(refused) == 3  # the root's name too: exFAT stores Unicode
    assert "will not take as it is" in refused[0].message


def test_root_folder_name_is_checked_too(tmp_path: Path) -> None:
    src = tmp_path / "DAY 1: A"
    write(src / "a.mov")
    [d] = dests(tmp_path, "d")
    report, _ = run(src, [d], filesystem_of=exfat)
    assert [(i.code, i.path) for i in report.errors] == [(C.NAME_INVALID_CHARS, src)]
    report, _ = run(src, [d], filesystem_of=exfat, into=True)
    assert report.ok


def test_unknown_filesystem_is_a_warning(tmp_path: Path) -> None:
    src = card(tmp_path)
    [d] = dests(tmp_path, "d")
    report, _ = run(src, [d], filesystem_of=lambda _: FilesystemInfo("unknown"))
    assert report.ok
    assert C.FILESYSTEM_UNKNOWN in codes(report.warnings)


def test_long_names_and_paths_on_every_filesystem(tmp_path: Path) -> None:
    src = tmp_path / "A001"
    name = "N" * 250 + ".mov"  # 254 bytes: fits NAME_MAX, not with a 10-byte partial suffix
    write(src / name)
    [d] = dests(tmp_path, "d")
    report, _ = run(src, [d])
    assert report.ok
    report, _ = run(src, [d], name_headroom_bytes=10)
    assert codes(report.errors) == [C.NAME_TOO_LONG]

    # A source path that fits PATH_MAX and a destination path that makes it too long.
    deep_src = tmp_path / "S"
    rel = "/".join(["s" * 200] * 15)  # ~3 kB
    write(deep_src / rel / "clip.mov")
    deep_dest = tmp_path.joinpath(*["d" * 200] * 6)
    deep_dest.mkdir(parents=True)
    report, _ = run(deep_src, [deep_dest])
    too_long = [i for i in report.errors if i.code is C.PATH_TOO_LONG]
    assert too_long and too_long[-1].path == deep_src / rel / "clip.mov"
    assert set(codes(report.errors)) == {C.PATH_TOO_LONG}


def test_a_destination_folder_name_too_long_is_name_too_long(tmp_path: Path) -> None:
    """A destination folder whose own name is 300 bytes, its path well within 4,096: the
    system refuses to look it up (ENAMETOOLONG). Review of fixpfn60: reported under
    ``path-too-long`` with a name's words. Failed before."""
    dest = tmp_path / ("N" * 300)
    report, _ = run(card(tmp_path), [dest])
    assert [(i.code, i.path) for i in report.errors] == [(C.NAME_TOO_LONG, dest)]
    assert "has a name longer than its filesystem takes" in report.errors[0].message


# --- source findings ----------------------------------------------------------------------------


def test_symlinks_outside_and_special_files_are_warnings(tmp_path: Path) -> None:
    src = card(tmp_path)
    os.symlink("../../etc", src / "out")
    os.symlink("CLIPS", src / "in")
    os.mkfifo(src / "pipe")
    write(src / ".DS_Store")
    [d] = dests(tmp_path, "d")

    report, _ = run(src, [d])

    assert report.ok
    source_items = [(i.code, i.path) for i in report.warnings if i.destination_index is None]
    assert source_items == [
        (C.SYMLINK_OUTSIDE_SOURCE, src / "out"),
        (C.SPECIAL_FILE_SKIPPED, src / "pipe"),
    ]


def test_preflight_needs_a_plan(tmp_path: Path) -> None:
    src = card(tmp_path)
    with pytest.raises(ValueError):
        preflight(scan_source(src, ignore=IgnoreRules.none()), [])


def test_files_that_may_be_written_again_take_room_together(tmp_path: Path) -> None:
    """Copies already there that a re-check may find wrong are rewritten by one job, in
    batches: every file of a batch is written beside its old copy before any is replaced,
    so the room is their sum, not the largest one's. Failed before: 3 blocks kept (the
    largest), while two 10,000 B copies found wrong need 6 beside the old ones."""
    src = tmp_path / "cards" / "A001"
    write(src / "CLIPS" / "a.mov", b"a" * 10_000)
    write(src / "CLIPS" / "b.mov", b"b" * 10_000)
    [d] = dests(tmp_path, "d")
    for f in scan_source(src).files:
        target = write(d / "A001" / f.relative_path, f.path.read_bytes())
        os.utime(target, ns=(f.mtime_ns, f.mtime_ns))

    report, _ = run(src, [d], space_of=lambda _: SpaceInfo(10**9, 4096), reserve_bytes=0)

    check = report.destinations[0]
    assert (check.files_to_copy, check.files_present) == (0, 2)
    assert check.required_bytes == 2 * 3 * 4096


def test_the_room_for_rewrites_is_bounded_by_what_a_job_holds_in_flight() -> None:
    from offload.engine.state import BATCHES_HELD
    from offload.options import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_FILES
    from offload.plan.preflight.space import rewrite_room

    assert rewrite_room([]) == 0
    assert rewrite_room([4096, 8192]) == 12288
    # many small files: no more than the files of the batches in flight
    many = [4096] * (BATCHES_HELD * DEFAULT_BATCH_FILES + 50)
    assert rewrite_room(many) == 4096 * BATCHES_HELD * DEFAULT_BATCH_FILES
    # large clips: a batch closes at DEFAULT_BATCH_BYTES, so one clip a batch held (the file
    # being written is its batch's last: no clip more), not all of them
    clips = [10 * DEFAULT_BATCH_BYTES] * 100
    assert rewrite_room(clips) == BATCHES_HELD * DEFAULT_BATCH_BYTES + BATCHES_HELD * clips[0]
    # batches closing later (transfer mode's): more held at once
    wide = 4 * DEFAULT_BATCH_BYTES
    assert rewrite_room(clips, wide) == BATCHES_HELD * wide + BATCHES_HELD * clips[0]
    assert rewrite_room(many, batch_files=10) == 4096 * BATCHES_HELD * 10


def apfs(_: Path) -> FilesystemInfo:
    return FilesystemInfo("apfs", Path("/Volumes/SHUTTLE"), "/dev/disk4s1")


def test_a_card_name_beside_an_existing_entry_of_other_case_or_form(tmp_path: Path) -> None:
    """A card name equal to an entry already in the destination folder under the
    filesystem's rule (case; on APFS normalisation too) is an error naming both paths; on
    exFAT, NFC beside NFD is a warning (exFAT keeps them apart, macOS may not); the same
    name already there is no twin. Failed before: no finding at all."""
    src = tmp_path / "A001"
    write(src / "CLIPS" / "clip.mov", b"1")
    write(src / "CLIPS" / "caf\u00e9.mov", b"2")
    write(src / "CLIPS" / "same.mov", b"3")
    [d] = dests(tmp_path, "d")
    write(d / "A001" / "CLIPS" / "CLIP.MOV", b"other")
    write(d / "A001" / "CLIPS" / "cafe\u0301.mov", b"other")
    write(d / "A001" / "CLIPS" / "same.mov", b"3")
    write(d / "A001" / "CLIPS" / "X.MOV", b"twins already there, none of the card's")
    write(d / "A001" / "CLIPS" / "x.mov", b"are not this card's to refuse")
    folder = d / "A001" / "CLIPS"

    on_exfat, _ = run(src, [d], filesystem_of=exfat)
    assert [(i.code, i.path) for i in on_exfat.errors] == [
        (C.NAME_CASE_COLLISION, folder / "clip.mov")
    ]
    (error,) = on_exfat.errors
    assert error.message.startswith(
        f"{folder / 'clip.mov'} would be written where {folder / 'CLIP.MOV'} already is: "
        "they differ only by case, which is one name on exfat as Windows or macOS reads it"
    )
    assert [(i.code, i.path) for i in on_exfat.warnings if i.code.name.startswith("NAME_")] == [
        (C.NAME_NORMALISATION_COLLISION, folder / "caf\u00e9.mov")
    ]

    on_apfs, _ = run(src, [d], filesystem_of=apfs)
    assert sorted((i.code, i.path.name) for i in on_apfs.errors) == [
        (C.NAME_CASE_COLLISION, "clip.mov"),
        (C.NAME_NORMALISATION_COLLISION, "caf\u00e9.mov"),
    ]

    on_ext4, _ = run(src, [d], filesystem_of=ext4)
    assert not on_ext4.errors
    assert not [i for i in on_ext4.warnings if i.code.name.startswith("NAME_")]


def test_same_filesystem_warning_names_destinations_printably(tmp_path: Path) -> None:
    """The "same filesystem" warning names each destination as the terminal shows it
    (``printable_name``): a control character as ``\\x1b``, a byte that is not UTF-8 as
    ``\\xff`` (before: the raw paths joined, an escape sequence reaching the terminal)."""
    src = card(tmp_path)
    a, b = dests(tmp_path, "a\x1b[2Jb", os.fsdecode(b"c\xffd"))

    report, _ = run(src, [a, b], space_of=lambda _: SpaceInfo(10**9, 4096), reserve_bytes=0)

    [same] = [w.message for w in report.warnings if w.code is C.DEST_SAME_DEVICE]
    assert same.startswith(
        f"{tmp_path}/a\\x1b[2Jb and {tmp_path}/c\\xffd are on the same filesystem"
    )
    assert "\x1b" not in same
    assert same.encode("utf-8")  # no lone surrogate left to print


@pytest.mark.fault
def test_room_refusal_names_every_destination_printably(tmp_path: Path, tmpfs: object) -> None:
    """A refusal for room on one filesystem shared by two destinations names both as the
    terminal shows them (``printable_name``), the one it is about and the one given the
    room first, in its words and its remedy (before: only the finding's own path was
    escaped; the other's ESC reached the message raw)."""
    src = tmp_path / "A001"
    write(src / "a.mov", b"a" * 600_000)  # fits once in 1 MiB, not twice
    shared = tmpfs("shared", "1m")  # type: ignore[operator]
    a, b = shared / "a\x1b[2Ja", shared / "b\x1b[2Jb"
    a.mkdir()
    b.mkdir()

    both, _ = run(src, [a, b], reserve_bytes=0)
    (space,) = [i for i in both.errors if i.code is C.INSUFFICIENT_SPACE]
    assert "\x1b" not in space.message, space.message
    assert f"{shared}/a\\x1b[2Ja" in space.message and f"{shared}/b\\x1b[2Jb" in space.message


def test_two_folders_still_to_be_made_under_one_are_not_one_place(tmp_path: Path) -> None:
    """A single file into x/new, still to be made (``--create-folders``), and y/new, there,
    below one existing folder: x/new's write probe lies in that folder, above its
    destination, so it tells nothing of whether the two are one place. Not refused as the
    same file (its probe looked up at y/new/../../ would have been found: failed so before
    the guard)."""
    src = write(tmp_path / "card" / "a.mov", b"m" * 100)
    parent = tmp_path / "drive"
    (parent / "y" / "new").mkdir(parents=True)
    tree = scan_source(src)
    plans = plan_file_targets(
        tree, [parent / "x" / "new" / "a.mov", parent / "y" / "new" / "a.mov"]
    )
    report = preflight(
        tree,
        plans,
        filesystem_of=ext4,
        space_of=lambda _: SpaceInfo(10**9, 4096),
        reserve_bytes=0,
        create_folders=True,
    )
    assert C.DEST_DUPLICATE not in codes(report.errors), report.errors
    assert list(parent.iterdir()) == [parent / "y"]  # no probe left
    assert list((parent / "y" / "new").iterdir()) == []


def test_a_card_folder_name_refused_offers_into_a_folder_of_a_name_it_takes(
    tmp_path: Path,
) -> None:
    """Failed before: only "choose another destination, or rename it on the source (a write
    to the card)"; --into a folder of another name leaves the card as it is."""
    src = tmp_path / "CARD:12 "
    write(src / "a.mov")
    [d] = dests(tmp_path, "d")
    report, _ = run(src, [d], filesystem_of=exfat)
    messages = [i.message for i in report.errors]
    command = (
        f"copy its content into a folder of a name it takes with --into, the card left as it "
        f"is (mkdir {d / 'CARD_12'} && offload copy --into '{src}' {d / 'CARD_12'}, with the "
        "command's other options), choose another destination, or rename it on the source"
    )
    # Once for the name's two problems (a colon, a trailing space); failed before: twice.
    assert len(messages) == 2 and sum(command in m for m in messages) == 1, messages
    assert any("copy its content into a folder with --into (above)" in m for m in messages)
    # Two destinations: one command naming both folders, once (failed before: one each).
    [d2] = dests(tmp_path, "d2")
    report, _ = run(src, [d, d2], filesystem_of=exfat)
    both = f"{d / 'CARD_12'} {d2 / 'CARD_12'}"
    messages = [i.message for i in report.errors]
    assert sum("&& offload copy" in m for m in messages) == 1, messages
    assert sum(f"(mkdir {both} && offload copy --into '{src}' {both}," in m for m in messages) == 1
    # The folder it names is one the filesystem takes.
    (d / "CARD_12").mkdir()
    report, _ = run(src, [d / "CARD_12"], filesystem_of=exfat, into=True)
    assert report.ok, report.errors


def test_the_into_command_names_the_card_as_bash_takes_it_back_and_a_name_that_fits(
    tmp_path: Path,
) -> None:
    """Failed before: a control character in the card's folder printed as a literal
    '\\x01' (the pasted command named no such path), and a card folder name too long got a
    suggested folder just as long. The command, run by bash, names the card."""
    src = tmp_path / "CARD\x01"
    write(src / "a.mov")
    [d] = dests(tmp_path, "d")
    report, _ = run(src, [d], filesystem_of=exfat)
    [message] = [i.message for i in report.errors]
    word = f"$'{src}'".replace("\x01", "\\x01")
    assert f"offload copy --into {word} {d / 'CARD_'}," in message, message
    said = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert said.stdout == os.fsencode(src)
    # A name longer than the destination takes (here 155 bytes: 100 held back).
    long = tmp_path / ("x" * 200)
    write(long / "a.mov")
    report, _ = run(long, [d], name_headroom_bytes=100)
    [message] = [i.message for i in report.errors if "--into" in i.message]
    assert f"mkdir {d / ('x' * 155)} &&" in message, message


def test_nfc_nfd_twins_advice_names_an_ignore_pattern_for_each_twin(tmp_path: Path) -> None:
    """Failed before: "no --ignore pattern leaves one out alone", untrue: a '?' for each
    character beyond ASCII matches one spelling only (their lengths differ). Each pattern
    offered, run through the real scan, leaves exactly its twin out."""
    import shlex

    from offload.plan.ignore import IgnoreRules

    src = tmp_path / "A001"
    nfc, nfd = "caf\u00e9.mov", "cafe\u0301.mov"
    write(src / "CLIPS" / nfc, b"nfc")
    write(src / "CLIPS" / nfd, b"nfd")
    write(src / "CLIPS" / "other.mov", b"o")
    [d] = dests(tmp_path, "d")
    report, _ = run(src, [d], filesystem_of=exfat)
    [twins] = [w for w in report.warnings if w.code is C.NAME_NORMALISATION_COLLISION]
    assert "no --ignore pattern" not in twins.message, twins.message
    said = (
        "leave one out with --ignore '/CLIPS/cafe?.mov' (only 'cafe\\u0301.mov') or --ignore "
        "'/CLIPS/caf?.mov' (only 'caf\\u00e9.mov'), choose a destination that keeps both"
    )
    assert said in twins.message, twins.message
    for name, pattern in ((nfc, "'/CLIPS/caf?.mov'"), (nfd, "'/CLIPS/cafe?.mov'")):
        rules = IgnoreRules.default().adding(shlex.split(pattern))
        tree = scan_source(src, ignore=rules)
        assert sorted(tree.ignored) == [f"CLIPS/{name}"]
        assert len(tree.files) == 2
    # A third name of the NFD twin's length: '?' matches it too, no pattern picks that twin.
    write(src / "CLIPS" / "cafeX.mov", b"x")
    report, _ = run(src, [d], filesystem_of=exfat)
    [twins] = [w for w in report.warnings if w.code is C.NAME_NORMALISATION_COLLISION]
    assert "no --ignore pattern leaves one of them out alone" in twins.message, twins.message
    (src / "CLIPS" / "cafeX.mov").unlink()
    # Twins by case keep the pattern that leaves one out.
    write(src / "DCIM" / "IMG.JPG")
    write(src / "DCIM" / "img.jpg")
    report, _ = run(src, [d], filesystem_of=exfat)
    [case] = [e for e in report.errors if e.code is C.NAME_CASE_COLLISION]
    assert "leave one out with --ignore /DCIM/img.jpg" in case.message


def test_a_name_not_utf8_is_refused_once_in_one_spelling(tmp_path: Path) -> None:
    """Failed before: "'CLIPS/bad\\xffname.mov': the name 'bad\\udcffname.mov' ...", two
    spellings of one name, and fusefat (ASCII only) refused the file twice (not UTF-8, and
    again for its surrogate escape "not ASCII")."""
    src = tmp_path / "A001"
    write(src / "CLIPS" / "ok.mov")
    with open(os.fsencode(src / "CLIPS") + b"/bad\xffname.mov", "wb"):
        pass
    [d] = dests(tmp_path, "d")
    for fs in (exfat, lambda _: FilesystemInfo("fuse.fusefat", Path("/media/x"), "/dev/sdc1")):
        report, _ = run(src, [d], filesystem_of=fs)
        [refused] = [e for e in report.errors if "bad" in e.message]
        assert "'CLIPS/bad\\xffname.mov': the name 'bad\\xffname.mov' is not valid UTF-8" in (
            refused.message
        ), refused.message
        assert "udc" not in refused.message


def test_existing_says_the_found_wrong_codes_preflight_code_names() -> None:
    """``existing`` names the codes of a copy found wrong and of one it could not read as
    strings (it imports ``offload.plan`` lazily): they are ``PreflightCode``'s."""
    from offload import existing

    assert PreflightCode.COPY_NO_LONGER_MATCHES.value == existing.FOUND_WRONG_CODE
    assert PreflightCode.COPY_UNREADABLE.value == existing.UNREADABLE_CODE
