"""pfndispatchcopy's lines and exit codes, in-process and as a real subprocess."""

from __future__ import annotations

import errno
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offload.cli import pfndispatchcopy
from offload.cli.common import Environment
from offload.cli.pfndispatchcopy import main
from offload.events import FileVerified
from offload.plan.names import PATH_MAX_WORDS
from offload.report.words import PAGE_CACHE_CAUSES
from support.faultyfs import FaultyFS
from support.pfn import other_lines, other_text
from support.requirements import require_tool

SPEED_LINE = re.compile(r"^INFO: copy speed (\d+) bytes in (\d+\.\d{5}) sec \((\d+\.\d) MB/sec\)$")


def run(argv: list[str]) -> tuple[int, str, str]:
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    code = main(argv, env)
    assert isinstance(env.stdout, io.StringIO) and isinstance(env.stderr, io.StringIO)
    return code, env.stdout.getvalue(), env.stderr.getvalue()


@pytest.fixture
def card(tmp_path: Path) -> Path:
    source = tmp_path / "A013C0002_251011_VW5X15.MOV"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    for index in (1, 2, 3):
        (tmp_path / f"d{index}").mkdir()
    return source


def xxhsum(path: Path) -> str:
    return subprocess.run(
        [require_tool("xxhsum"), "-H1", str(path)], capture_output=True, text=True, check=True
    ).stdout.split()[0]


def test_verbose_lines_exactly(card: Path) -> None:
    dests = [str(card.parent / f"d{i}" / card.name) for i in (1, 2, 3)]
    code, out, err = run(["-v", "-t", "xxh64be", "-b", "1048576", str(card), *dests])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"INFO: copying {card}..."
    assert all(re.fullmatch(r"INFO: copied \d+ of \d+ bytes", line) for line in lines[1:-2])
    assert lines[-2] == f"hash XXH64BE:{xxhsum(card)}"
    match = SPEED_LINE.match(lines[-1])
    assert match and int(match.group(1)) == card.stat().st_size
    # The three folders share the source's filesystem: the preflight's warning, nothing else.
    assert other_lines(err) == [] and err.startswith("WARNING: destinations "), err
    for dest in dests:
        assert xxhsum(Path(dest)) == xxhsum(card)


def test_a_destination_on_the_sources_drive_is_warned_of_on_stderr(card: Path) -> None:
    """``offload copy`` warns of a destination on the source's filesystem (no backup of it);
    the single-file copy said only a date not kept (its other preflight warnings were
    dropped). Failed before. Now a ``WARNING:`` line on stderr naming the source file, not
    a card, each folder once; stdout Pomfort's lines alone."""
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    d1, d2 = card.parent / "d1", card.parent / "d2"
    done = subprocess.run(
        [exe, "-v", card, d1 / card.name], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert [x.split(" ")[0] for x in done.stdout.splitlines()][-2:] == ["hash", "INFO:"]
    assert done.stderr.splitlines() == [
        f"WARNING: destination {d1} is on the same filesystem as the source: it is not a "
        "backup of the source file: keep the source file until a copy on another disk is "
        "read back"
    ]
    d3 = card.parent / "d3"
    code, out, err = run([str(card), str(d2 / card.name), str(d3)])
    assert code == 0 and out.startswith("hash XXH64BE:"), err
    assert err.splitlines() == [
        f"WARNING: destinations {d2} and {d3} are on the same filesystem as the source: they "
        "are not backups of the source file: keep the source file until a copy on another "
        "disk is read back"
    ]


def test_pomfort_invocation_with_noflush_and_f_size(card: Path) -> None:
    d1, d2 = (str(card.parent / f"d{i}" / card.name) for i in (1, 2))
    size = str(card.stat().st_size)
    code, out, err = run(
        [
            "-v",
            "-noflush_dest",
            d1,
            "-noflush_dest",
            d2,
            "-t",
            "xxh64be",
            "-k",
            "-f_size",
            size,
            "-b",
            "8388608",
            str(card),
            d1,
            d2,
        ]
    )
    assert code == 0, err
    assert f"hash XXH64BE:{xxhsum(card)}" in out.splitlines()
    assert [line.split(": not flushed")[0] for line in other_lines(err)] == [
        f"WARNING: {d1}",
        f"WARNING: {d2}",
    ]


def test_a_noflush_destination_says_it_was_read_back_from_the_page_cache(card: Path) -> None:
    """-noflush_dest: the copy is read back from the page cache, not from the disk, and the
    output says so for that destination alone (a WARNING line on stderr, with or without
    -v), the Pomfort lines on stdout unchanged. Failed before: nothing said it."""
    flushed, kept = (str(card.parent / f"d{i}" / card.name) for i in (1, 2))
    for verbose in (["-v"], []):
        for dest in (flushed, kept):
            Path(dest).unlink(missing_ok=True)
        code, out, err = run([*verbose, "-noflush_dest", kept, str(card), flushed, kept])
        assert code == 0, err
        lines = out.splitlines()
        assert f"hash XXH64BE:{xxhsum(card)}" in lines
        if verbose:
            assert lines[0] == f"INFO: copying {card}..." and SPEED_LINE.match(lines[-1])
        assert other_lines(err) == [
            f"WARNING: {kept}: not flushed (-noflush_dest): read back from the page cache, "
            "not from the disk; the bytes in memory match, the copy on the disk is not verified"
        ]
    Path(kept).unlink()
    code, _out, err = run(["--verify", "transfer", "-noflush_dest", kept, str(card), kept])
    assert code == 0
    assert other_text(err) == (
        f"WARNING: {kept}: not flushed (-noflush_dest) and not read back (--verify transfer): "
        "transfer-checked only\n"
    )


CACHED = (
    "READ THROUGH A CACHE: read back through this machine's page cache, which could not be "
    f"dropped ({PAGE_CACHE_CAUSES}), not from the media; it matched what the cache returned, "
    "the copy on the media is not verified"
)


def test_a_copy_read_back_through_the_page_cache_says_so(
    card: Path, tmpfs_mount: Callable[..., Any]
) -> None:
    """A tmpfs destination, whose read-back cannot avoid the page cache (its storage):
    ``offload copy`` says READ THROUGH A CACHE for it, and so does pfndispatchcopy now, a
    WARNING line on stderr for that destination alone (with or without -v, exit 0, Pomfort's
    lines on stdout unchanged); a re-run that finds the copy there says it was read back
    through a cache, not "verified". Failed before: nothing said it (stderr empty, and "read
    back, verified (kept)" on the re-run)."""
    from offload.api import copy_with_multiple_destinations
    from offload.results import CacheBypass

    disk = card.parent / "d1" / card.name
    memory = Path(tmpfs_mount(8 * 1024 * 1024).path) / card.name
    # What the engine found: the disk read back past the cache, the tmpfs through it.
    on_disk, in_memory = copy_with_multiple_destinations(card, [disk, memory]).files[0].destinations
    assert on_disk.cache_bypass is not CacheBypass.NONE
    assert in_memory.cache_bypass is CacheBypass.NONE
    for verbose in (["-v"], []):
        disk.unlink()
        memory.unlink()
        code, out, err = run([*verbose, str(card), str(disk), str(memory)])
        assert code == 0, err
        assert f"hash XXH64BE:{xxhsum(card)}" in out.splitlines()
        if verbose:
            assert SPEED_LINE.match(out.splitlines()[-1]), out
            assert not [line for line in out.splitlines() if "cache" in line], out
        assert other_lines(err) == [f"WARNING: {memory}: {CACHED}"]
    code, out, err = run(["-v", str(card), str(disk), str(memory)])
    assert code == 0, err
    lines = out.splitlines()
    assert f"INFO: {disk} already holds this file: read back, verified (kept)" in lines
    assert f"INFO: {memory} already holds this file: read back through a cache (kept)" in lines
    assert other_lines(err) == [f"WARNING: {memory}: {CACHED}"]


def test_a_read_only_destination_too_small_says_it_is_not_writable_first(
    card: Path, tmpfs_mount: Callable[..., Any]
) -> None:
    """A read-only tmpfs smaller than the file: its line says it cannot be written (EROFS),
    as ``offload copy`` says of it, then that it has no room; the other destination is
    copied (exit 1). Failed before: only "not enough free space ... choose a larger
    destination" (the first reason of the preflight's, by code, alone)."""
    small = Path(tmpfs_mount(1024 * 1024).path)
    subprocess.run(["mount", "-o", "remount,ro", str(small)], check=True)
    good = card.parent / "d1" / card.name
    code, _, err = run([str(card), str(good), str(small / card.name)])
    assert code == 1, err
    (line,) = [line for line in err.splitlines() if str(small) in line]
    writable, room = line.find("is not writable"), line.find("not enough free space")
    assert 0 <= writable < room, line
    assert "Read-only file system" in line, line
    assert good.read_bytes() == card.read_bytes()


def test_the_free_space_check_counts_the_file_alone(
    tmp_path: Path, tmpfs_mount: Callable[..., Any]
) -> None:
    """QA pfn60: a 1,000,000-byte file onto a 1.6 MB tmpfs was refused ("needs 2.1 MB"): a
    1 MiB margin the docs never named, for files pfndispatchcopy never writes. Now the
    file in allocation units: one that fills the drive exactly is copied, a byte more is
    refused by one block, and --create-folders's folders a block each. Failed before."""
    drive = Path(tmpfs_mount(1_600_000).path)
    free = os.statvfs(drive).f_bavail * os.statvfs(drive).f_frsize  # 391 pages
    source = tmp_path / "A001C007.mov"
    source.write_bytes(os.urandom(free + 1))
    code, _, err = run([str(source), str(drive / "a.mov")])
    assert code == 2 and "short by 4.1 kB (4,096 bytes)" in err, err
    code, _, err = run(["--create-folders", str(source), str(drive / "x" / "y" / "a.mov")])
    assert code == 2 and "short by 12.3 kB (12,288 bytes)" in err, err
    with source.open("r+b") as shorter:
        shorter.truncate(free)
    code, out, err = run([str(source), str(drive / "a.mov")])
    assert code == 0 and out.startswith("hash XXH64BE:"), err
    assert (drive / "a.mov").read_bytes() == source.read_bytes()


def test_a_read_only_destination_in_a_refused_copy_says_read_only(
    card: Path, tmpfs_mount: Callable[..., Any]
) -> None:
    """QA pfn60: in a copy refused for another reason (a destination named twice: no write
    probe is made then, ``os.access`` judges), a read-only tmpfs was labelled EACCES, "no
    write permission for this user, or a read-only mount". Now EROFS, as the probe says
    it. Failed before."""
    read_only = Path(tmpfs_mount(8 * 1024 * 1024).path)
    subprocess.run(["mount", "-o", "remount,ro", str(read_only)], check=True)
    twice = str(card.parent / "d1" / card.name)
    code, _, err = run([str(card), twice, str(read_only / card.name), twice])
    assert code == 64, err
    (line,) = [line for line in err.splitlines() if str(read_only) in line]
    assert "Read-only file system (EROFS)" in line and "EACCES" not in line, line


def test_a_refused_destination_and_the_warnings_are_said_before_the_copy_ends(
    card: Path, tmpfs_mount: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA pfn60: what the preflight knows (a read-only destination failing alone, the
    warning of a destination on the source's drive) came on stderr only once every copy
    was done (a FAT drive's 4 GiB refusal after 46 s). Now as soon as known, each once.
    Failed before (nothing on stderr while the good copy was verified)."""
    read_only = Path(tmpfs_mount(8 * 1024 * 1024).path)
    subprocess.run(["mount", "-o", "remount,ro", str(read_only)], check=True)
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    assert isinstance(env.stderr, io.StringIO)
    emit = pfndispatchcopy._VerboseProgress.emit
    during: list[str] = []

    def emit_and_look(self: Any, event: Any) -> None:
        emit(self, event)
        if isinstance(event, FileVerified):  # the good copy verified, the outcome to come
            during.append(env.stderr.getvalue())

    monkeypatch.setattr(pfndispatchcopy._VerboseProgress, "emit", emit_and_look)
    good = card.parent / "d1" / card.name
    code = main(["-v", str(card), str(good), str(read_only / card.name)], env)
    assert code == 1
    (seen,) = during
    refusal = f"ERROR: destination {read_only} is not writable: Read-only file system"
    assert refusal in seen and "on the same filesystem as the source" in seen, seen
    final = env.stderr.getvalue()
    assert final.count(refusal) == 1 and final.count("on the same filesystem") == 1, final


def test_a_source_that_changed_mid_copy_is_said_once(
    card: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA pfn60: a source that changed mid-copy gave the same ERROR once per destination:
    it is the source's, said once. Failed before (three lines)."""
    emit = pfndispatchcopy._VerboseProgress.emit
    grown: list[bool] = []

    def emit_and_grow(self: Any, event: Any) -> None:
        emit(self, event)
        if not grown and type(event).__name__ == "DestinationBytesWritten":
            grown.append(True)
            with card.open("ab") as source:  # another program writes to it
                source.write(b"more")

    monkeypatch.setattr(pfndispatchcopy._VerboseProgress, "emit", emit_and_grow)
    targets = [str(card.parent / f"d{i}" / card.name) for i in (1, 2, 3)]
    code, out, err = run(["-v", "-b", "65536", str(card), *targets])
    assert code == 2 and grown, err
    errors = [line for line in other_lines(err) if line.startswith("ERROR: ")]
    assert len(errors) == 1 and str(card) in errors[0], err
    assert "hash " not in out


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_a_symlink_to_the_source_is_one_error_line(card: Path, overwrite: list[str]) -> None:
    """The destination a symlink to the source: one line, that it is the source file itself,
    nothing written (before: a second ERROR line, that a symlink is in the way)."""
    link = card.parent / "link.mov"
    link.symlink_to(card)
    whole = card.read_bytes()
    code, out, err = run([*overwrite, str(card), str(link)])
    assert (code, out) == (64, "")
    assert err.splitlines() == [
        f"ERROR: destination {link} is the source file itself; choose another destination; "
        "nothing was written"
    ]
    assert card.read_bytes() == whole and link.is_symlink()


def test_several_hashes_one_line_each(card: Path) -> None:
    code, out, _ = run(["-t", "md5", "-t", "sha1,xxh128", str(card), str(card.parent / "d1")])
    assert code == 0
    md5sum = require_tool("md5sum")
    md5 = subprocess.run([md5sum, str(card)], capture_output=True, text=True).stdout.split()[0]
    assert out.splitlines()[0] == f"hash MD5:{md5}"
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "hash MD5",
        "hash SHA1",
        "hash XXH128",
    ]


@pytest.mark.parametrize(
    "names", [["xxhash64be"], ["xxh64"], ["xxh64be"], ["xxh64", "xxh64be"], ["XXH64BE,xxh64"]]
)
def test_every_name_of_xxh64_is_labelled_big_endian_one_line(card: Path, names: list[str]) -> None:
    """xxh64, xxh64be and xxhash64be are one digest, big-endian hex (as xxhsum -H1): one
    line, Pomfort's label of that, XXH64BE; its bare XXH64 is the little-endian digest, and
    xxhash64be printed XXH64 (and -t xxh64 -t xxh64be one line labelled XXH64) before."""
    argv = [arg for name in names for arg in ("-t", name)]
    code, out, _ = run([*argv, str(card), str(card.parent / "d1")])
    assert code == 0
    assert out.splitlines() == [f"hash XXH64BE:{xxhsum(card)}"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["-t", "xxh32", "{src}", "{d1}"], "unknown hash algorithm 'xxh32'"),
        (["-b", "0", "{src}", "{d1}"], "block size 0"),
        (["-b", "-5", "{src}", "{d1}"], "block size -5"),
        (["-b", str(1 << 40), "{src}", "{d1}"], "out of range"),
        (["{src}"], "the following arguments are required"),
        (["-f_size", "12", "{src}", "{d1}"], "-f_size says 12"),
        (["{src}", "{src}"], "is the source file itself"),
        (["{missing}", "{d1}"], "does not exist; check the path"),
        (["{dangling}", "{d1}"], "is a symlink that leads nowhere (dangling: its target gone"),
        # Review of fixcards59: a -> b -> nowhere said "its target b does not exist" while b
        # is there, a dangling link itself. Failed before.
        (
            ["{chain}", "{d1}"],
            "(dangling: its target dangling.mov is a symlink too, and the last one's target "
            "gone.mov does not exist); name the file itself",
        ),
        (["{src}", "{nowhere}"], "does not exist; create it"),
        (["--bogus", "{src}", "{d1}"], "unrecognized arguments"),
        (["-noflush_dest", "/elsewhere", "{src}", "{d1}"], "is not one of the destinations"),
        # QA pfn60: a lone destination starting with '-' (not there yet) got argparse's
        # "arguments are required: DST", not the leading-dash line. Failed before.
        (["{src}", "-x.mov"], "-x.mov is no option of pfndispatchcopy, but a word starting"),
    ],
)
def test_usage_errors(card: Path, argv: list[str], needle: str) -> None:
    values = {
        "src": str(card),
        "d1": str(card.parent / "d1"),
        "missing": str(card.parent / "missing.mov"),
        "nowhere": str(card.parent / "nowhere" / "x.mov"),
        "dangling": str(card.parent / "dangling.mov"),
        "chain": str(card.parent / "chain.mov"),
        "long": "N" * 252,
        "deep": str(card.parent / "d1" / "/".join(["N" * 200] * 21)),
    }
    # Failed before (QA): a dangling link said "does not exist; check the path".
    os.symlink("gone.mov", values["dangling"])
    os.symlink("dangling.mov", values["chain"])
    code, _out, err = run([a.format(**values) for a in argv])
    assert code == 64
    assert err.startswith("ERROR: ") and needle in err and err.count("\n") == 1
    assert os.listdir(card.parent / "d1") == []


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        # QA pfn60: a destination name or path too long was a traceback (ENAMETOOLONG from
        # Path.is_dir), exit 1; then two lines ("cannot inspect ... check the drive" too).
        # Failed before.
        (["{src}", "{d1}/{long}.mov"], "is 256 bytes long (limit 255)"),
        (["--create-folders", "{src}", "{d1}/{long}.mov"], "is 256 bytes long (limit 255)"),
        (["{src}", "{d1}/{long}xxxx/x.mov"], "has a name longer than its filesystem takes"),
        # One wording of PATH_MAX, the card's (QA hostile62: "(limit 4096)", the NUL
        # counted, here; "at most 4,095 bytes (PATH_MAX)" for a card's path). Failed before.
        (["{src}", "{deep}/x.mov"], f"bytes long: {PATH_MAX_WORDS}; name a shallower destination"),
        (["--create-folders", "{src}", "{deep}/x.mov"], f"bytes long: {PATH_MAX_WORDS}"),
    ],
)
def test_a_name_or_path_a_destination_refuses_fails_it_alone(
    card: Path, argv: list[str], needle: str
) -> None:
    """A destination whose filesystem refuses the name or path typed for the copy cannot
    take the file: it fails alone, its one line ending "was not copied"; alone, exit 2
    (none could take it, as a FAT drive refusing a file over 4 GiB); beside one that can,
    that one is copied, exit 1 (QA hostile62: exit 64, every copy refused for one
    destination's name; failed before)."""
    values = {
        "src": str(card),
        "d1": str(card.parent / "d1"),
        "long": "N" * 252,
        "deep": str(card.parent / "d1" / "/".join(["N" * 200] * 21)),
    }
    words = [a.format(**values) for a in argv]
    code, _out, err = run(words)
    assert code == 2, err
    assert err.startswith("ERROR: ") and needle in err and err.count("\n") == 1, err
    assert err.rstrip().endswith(f"{words[-1]} was not copied"), err
    assert os.listdir(card.parent / "d1") == []
    other = card.parent / "other.mov"
    code, out, err = run([*words, str(other)])
    assert code == 1 and needle in err, err
    assert out.splitlines() == [f"hash XXH64BE:{xxhsum(other)}"]


def test_a_destination_ending_in_a_slash_is_a_folder(card: Path) -> None:
    """QA pfn60: ``SRC newdir/`` wrote a FILE named ``newdir``, exit 0 (``--create-folders``
    too), where cp says "Not a directory". A trailing / is a folder: a missing one refused,
    made with --create-folders, the file in it under the source's name. Failed before."""
    folder = card.parent / "newdir"
    code, _out, err = run([str(card), f"{folder}/"])
    assert code == 64 and not folder.exists(), err
    assert other_lines(err) == [
        f"ERROR: destination folder {folder} does not exist; create it or pass "
        "--create-folders; nothing was written"
    ]
    code, out, err = run(["--create-folders", str(card), f"{folder}/", f"{card.parent}/d1/"])
    assert code == 0 and other_lines(err) == [], err
    assert os.listdir(folder) == os.listdir(card.parent / "d1") == [card.name]
    assert out == f"hash XXH64BE:{xxhsum(folder / card.name)}\n"
    # -noflush_dest names it as it was typed, or as the file it holds.
    code, _out, err = run(["-noflush_dest", f"{folder}/{card.name}", str(card), f"{folder}/"])
    assert code == 0 and "not flushed (-noflush_dest)" in err


def test_verbose_bad_input_prints_only_the_error(card: Path) -> None:
    code, out, err = run(["-v", str(card), str(card.parent / "nowhere" / "x.mov")])
    assert code == 64 and out == "" and err.startswith("ERROR: ")


def test_existing_file_exit_code_and_overwrite(card: Path) -> None:
    dest = card.parent / "d1" / card.name
    dest.write_bytes(b"other take")
    code, _, err = run([str(card), str(dest)])
    assert code == 64 and "already exists" in err and dest.read_bytes() == b"other take"
    code, _, err = run(["--overwrite", str(card), str(dest)])
    assert code == 0 and dest.read_bytes() == card.read_bytes()


def test_a_copy_only_kept_reports_no_byte_copied_and_no_invented_speed(tmp_path: Path) -> None:
    """Every destination already holds the file (read back, kept): no byte is copied, so
    ``-v``'s speed line, still Pomfort's parseable shape, says 0 bytes at 0.0 MB/sec, in the
    time the command took (its read-back). Failed before (QA): "copy speed 250000000 bytes in
    0.02400 sec (10416.4 MB/sec)" of a run that copied nothing and read back for ~2.7 s."""
    source, dest = tmp_path / "clip.mov", tmp_path / "d1" / "clip.mov"
    dest.parent.mkdir()
    source.write_bytes(os.urandom(8_000_000))
    assert run([str(source), str(dest)])[0] == 0
    started = time.monotonic()
    code, out, err = run(["-v", str(source), str(dest)])
    took = time.monotonic() - started
    assert code == 0, err
    lines = out.splitlines()
    assert f"INFO: {dest} already holds this file: read back, verified (kept)" in lines
    match = SPEED_LINE.match(lines[-1])
    assert match, lines
    assert (match[1], match[3]) == ("0", "0.0")
    assert 0 < float(match[2]) <= took


def test_an_equal_copy_already_there_is_read_back_and_kept(card: Path) -> None:
    """A re-run after a stopped one: the copy already at a destination, equal to the source,
    is read back and kept (``INFO`` line with -v), the missing one made, exit 0; a
    foreign file of the same size with other content is still refused, exit 64, nothing
    written anywhere. Failed before: the equal copy was refused too ("already exists")."""
    d1, d2, d3 = (card.parent / f"d{i}" / card.name for i in (1, 2, 3))
    d1.write_bytes(card.read_bytes())
    code, out, err = run(["-v", str(card), str(d1), str(d2)])
    assert code == 0, err
    assert f"INFO: {d1} already holds this file: read back, verified (kept)" in out.splitlines()
    assert f"hash XXH64BE:{xxhsum(card)}" in out.splitlines()
    assert d2.read_bytes() == card.read_bytes()
    # Both there: nothing to write, both read back, the hash of the source as read.
    code, out, err = run([str(card), str(d1), str(d2)])
    assert (code, other_text(err), out) == (0, "", f"hash XXH64BE:{xxhsum(card)}\n")
    # One in turn (the one-at-a-time path) too.
    from offload.api import copy_with_multiple_destinations

    report = copy_with_multiple_destinations(card, [d1, d3], parallel=False)
    assert report.exit_code == 0 and d3.read_bytes() == card.read_bytes()
    assert [r.action.value for r in report.files[0].destinations] == ["adopted", "copied"]
    other = bytearray(card.read_bytes())
    other[-1] ^= 1
    d2.write_bytes(bytes(other))
    d3.unlink()
    code, _out, err = run([str(card), str(d3), str(d2)])
    assert code == 64 and f"destination {d2} already exists with other content" in err, err
    assert d2.read_bytes() == bytes(other) and not d3.exists()


def test_verbose_transfer_check_says_never_read_back(card: Path) -> None:
    """``-v --verify transfer`` printed exactly what a verified run prints; now each copy's
    line says it was transfer-checked only, and --help's exit code 0 says so too."""
    d1 = card.parent / "d1" / card.name
    code, out, err = run(["-v", "--verify", "transfer", str(card), str(d1)])
    assert code == 0, err
    assert (
        f"INFO: {d1}: transfer-checked only (--verify transfer): the bytes written and their "
        "in-flight hash checked, never read back" in out.splitlines()
    )
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    help_text = subprocess.run([str(exe), "--help"], capture_output=True, text=True).stdout
    assert "0 all verified" not in help_text
    assert "transfer-checked only, never read back" in " ".join(help_text.split())


def test_subprocess_help_and_version() -> None:
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "Exit codes" in result.stdout
    assert "-noflush_dest" in result.stdout and "-f_size" in result.stdout


def test_subprocess_copy(card: Path) -> None:
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    result = subprocess.run(
        [
            str(exe),
            "-v",
            "-t",
            "xxh64be",
            str(card),
            str(card.parent / "d1"),
            str(card.parent / "d2"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert f"hash XXH64BE:{xxhsum(card)}" in result.stdout


def test_subprocess_refusal_of_several_problems_marks_every_line(card: Path) -> None:
    """A preflight naming several problems (a destination folder missing, another whose
    folder is a file) prints each as its own ``ERROR:`` line, as the README says: none
    unmarked. (It named /proc's "0 bytes free" before: a size of 0 blocks is now unknown
    free space, a warning. /proc's refusal of the write probe is no longer one of them:
    a run already refused writes no probe, and root's ``os.access`` passes /proc.)"""
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    result = subprocess.run(
        [str(exe), str(card), str(card.parent / "nosuch" / "ok.bin"), str(card / "x.bin")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 64, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) >= 2, result.stderr
    assert all(line.startswith("ERROR: ") for line in lines), result.stderr
    assert not (card.parent / "nosuch").exists()


def test_a_file_that_appears_at_the_target_during_the_copy_is_refused_naming_overwrite_only(
    tmp_path: Path,
) -> None:
    """A file written at the target after the pre-check (another program, mid-copy) is
    refused by the engine; its refusal names --overwrite, the one option this copy has
    (pfndispatchcopy has no --keep-both). Failed before: "--keep-both keeps both"."""
    from offload.api import copy_with_multiple_destinations
    from offload.events import Event, JobStarted
    from offload.results import DestinationStatus

    source = tmp_path / "x.bin"
    source.write_bytes(os.urandom(300_000))
    target = tmp_path / "p2" / "x.bin"
    target.parent.mkdir()

    class Intruder:
        def emit(self, event: Event) -> None:
            if isinstance(event, JobStarted):
                target.write_bytes(b"another program's file")

    report = copy_with_multiple_destinations(source, [target], sink=Intruder())
    result = report.files[0].destinations[0]
    assert result.status is DestinationStatus.FAILED, result
    error = result.error or ""
    assert "already exists" in error and "--overwrite replaces it" in error, error
    assert "--keep-both" not in error, error
    assert target.read_bytes() == b"another program's file"


@pytest.mark.parametrize(
    ("signum", "words"),
    [
        (signal.SIGINT, "Ctrl-C"),
        (signal.SIGTERM, "SIGTERM"),
        (signal.SIGHUP, "SIGHUP (the terminal closed)"),
    ],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
def test_a_signal_once_every_copy_is_verified_cancels_nothing(
    card: Path, monkeypatch: pytest.MonkeyPatch, signum: int, words: str
) -> None:
    """A real SIGINT, SIGTERM or SIGHUP to the process once the last of three copies is
    verified and published, before the job ends: every copy is done, so nothing was
    cancelled: exit 0, the hash line a caller parses, and a WARNING naming the signal that
    came and saying it changed nothing. Failed before: exit 130 and "cancelled; partial
    files were removed; run the same command again", no hash line, with the three copies
    verified under their names; then the WARNING said "Ctrl-C (or SIGTERM)" for a SIGHUP
    too (and for a SIGTERM named a Ctrl-C it did not get)."""
    emit = pfndispatchcopy._VerboseProgress.emit
    verified: list[FileVerified] = []

    def emit_then_signal(self: Any, event: Any) -> None:
        emit(self, event)
        if isinstance(event, FileVerified):
            verified.append(event)
            if len(verified) == 3:  # a committer thread: the handler runs on the main one
                os.kill(os.getpid(), signum)

    monkeypatch.setattr(pfndispatchcopy._VerboseProgress, "emit", emit_then_signal)
    assert threading.current_thread() is threading.main_thread()
    dests = [str(card.parent / f"d{i}" / card.name) for i in (1, 2, 3)]
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO())  # its signal handlers
    code = main(["-v", str(card), *dests], env)
    assert isinstance(env.stdout, io.StringIO) and isinstance(env.stderr, io.StringIO)
    out, err = env.stdout.getvalue(), env.stderr.getvalue()
    assert len(verified) == 3  # the signal was sent, once every copy was verified
    assert code == 0, err
    assert f"hash XXH64BE:{xxhsum(card)}" in out.splitlines()
    assert other_text(err) == (
        f"WARNING: {words} came once every copy had its outcome: nothing was cancelled\n"
    )
    for dest in dests:
        assert Path(dest).read_bytes() == card.read_bytes()


def test_verbose_progress_counts_the_bytes_written_to_a_stalled_destination(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """``INFO: copied N of M bytes`` about once a second while the slowest destination is
    written, N what it was written: a destination whose writes are slow (FaultyFS, 2 s a
    write) gets its lines all along. Before: N counted the bytes read from the source, which
    ran ahead of the writes, so no line came (the source read whole within the first
    second)."""
    source = tmp_path / "clip.mov"
    source.write_bytes(os.urandom(24 << 20))
    slow = faulty_fs()
    slow.stall("write", seconds=2.0)  # 1 MiB a write (FUSE max_write), ~8 at once: 6 s
    exe = Path(sys.executable).with_name("pfndispatchcopy")
    done = subprocess.run(
        [exe, "-v", source, slow.mountpoint / "clip.mov", tmp_path / "fast.mov"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    counts = [
        int(m.group(1))
        for line in done.stdout.splitlines()
        if (m := re.fullmatch(rf"INFO: copied (\d+) of {24 << 20} bytes", line))
    ]
    assert len(counts) >= 2, done.stdout
    assert counts == sorted(counts) and counts[-1] < 24 << 20, counts


def test_a_source_whose_drive_goes_away_mid_copy_says_reconnect_it(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS]
) -> None:
    """QA pfn60: a source whose drive went away mid-copy (ENOTCONN: its FUSE program gone)
    failed with the bare errno's words on each destination; the preflight's line for the
    same drive says "reconnect it". Now that too, once."""
    fs = faulty_fs()
    source = fs.mountpoint / "A001C008.mov"
    source.write_bytes(os.urandom(4 * 1024 * 1024))
    fs.fail("read", errno.ENOTCONN, path="*.mov", offset=1024 * 1024)
    targets = [str(tmp_path / f"d{i}" / source.name) for i in (1, 2)]
    code, out, err = run(["--create-folders", "-b", "262144", str(source), *targets])
    assert code == 2 and out == "", err
    errors = [line for line in other_lines(err) if line.startswith("ERROR: ")]
    assert len(errors) == 1 and "reconnect it" in errors[0], err


def test_every_destination_refused_up_front_says_no_copying(
    card: Path, tmpfs_mount: Callable[..., Any]
) -> None:
    """QA stop65: every destination refused at the preflight (a read-only drive) still got
    ``INFO: copying SRC...`` on stdout, above the ERROR line: nothing is copied, so nothing
    is said to be. Failed before. With one good destination beside it, the line stays."""
    read_only = Path(tmpfs_mount(8 * 1024 * 1024).path)
    subprocess.run(["mount", "-o", "remount,ro", str(read_only)], check=True)
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    assert isinstance(env.stdout, io.StringIO) and isinstance(env.stderr, io.StringIO)
    code = main(["-v", str(card), str(read_only / card.name)], env)
    assert code == 2, env.stderr.getvalue()
    assert env.stdout.getvalue() == "", env.stdout.getvalue()
    assert f"ERROR: destination {read_only} is not writable" in env.stderr.getvalue()
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), install_signal_handlers=False)
    assert isinstance(env.stdout, io.StringIO)
    good = card.parent / "d1" / card.name
    code = main(["-v", str(card), str(good), str(read_only / card.name)], env)
    assert code == 1
    assert env.stdout.getvalue().startswith(f"INFO: copying {card}...\n"), env.stdout.getvalue()


@pytest.mark.parametrize(
    ("operation", "code"), [("fsync", errno.EIO), ("write", errno.EIO), ("write", errno.ENOSPC)]
)
def test_a_failed_destination_says_the_file_is_copied_again_not_resumed(
    tmp_path: Path, faulty_fs: Callable[..., FaultyFS], operation: str, code: int
) -> None:
    """QA qa70faults L2: a destination whose flush or write failed (FaultyFS: EIO, ENOSPC)
    ended its ERROR line "then run the same command again to resume", ``offload copy``'s
    words (its ledger lets it go on); pfndispatchcopy has none, removes the partial at the
    failure, and the same command copies the file from its first byte. Now it says so; the
    other destination is copied and verified, and the partial is gone as the words say."""
    source = tmp_path / "C0001.MP4"
    source.write_bytes(os.urandom(3 * 1024 * 1024))
    fs = faulty_fs()
    rule = fs.fail(operation, code, path="*C0001.MP4*")
    good = tmp_path / "good" / source.name
    good.parent.mkdir()
    code_, _out, err = run([str(source), str(fs.mountpoint / source.name), str(good)])
    assert fs.fired(rule) >= 1, err
    assert code_ != 0, err
    errors = [line for line in other_lines(err) if line.startswith("ERROR: ")]
    assert errors and all("to resume" not in line for line in errors), err
    assert any(
        line.endswith("then run the same command again to copy the file again from the start")
        for line in errors
    ), err
    assert good.read_bytes() == source.read_bytes()
    assert list(fs.mountpoint.iterdir()) == [], err
