"""``verify_reads``: within ``offload verify`` a copy root's ledger and history are parsed
once per state of their files: reused only while the file is the same one at the same
size, date and change time; an append, a cut back and a same-length append, a rewrite (a
new file renamed over it), a torn last line or a new generation read again; the
revocation's read under its lock is never reused."""

from __future__ import annotations

import os
import time
from pathlib import Path

from offload.ledger import Ledger, LedgerEntry
from offload.manifest import ChangedFile, ChangeReason
from offload.verify_reads import load_entries, read_history, reads_once
from offload.verify_revoke import revoke_found_wrong


def _entry(path: str, mtime_ns: int = 1, recorded_at: float = 100.0) -> LedgerEntry:
    return LedgerEntry(
        relative_path=path,
        state="verified",
        size_bytes=1000,
        mtime_ns=mtime_ns,
        digests={"xxh64": "aaaa"},
        verify="full",
        recorded_at=recorded_at,
    )


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "A001"
    root.mkdir()
    Ledger(root).append([_entry("C001.MOV"), _entry("C002.MOV")])
    return root


def test_an_unchanged_ledger_is_parsed_once(tmp_path: Path) -> None:
    root = _root(tmp_path)
    with reads_once() as held:
        first = load_entries(Ledger(root))
        again = load_entries(Ledger(root))
    assert again is first and (held.read, held.reused) == (1, 1)
    assert sorted(first.latest) == ["C001.MOV", "C002.MOV"]


def test_an_append_since_is_read(tmp_path: Path) -> None:
    """Another run appended meanwhile (the reason ``verify_revoke`` reads under its lock)."""
    root = _root(tmp_path)
    with reads_once() as held:
        load_entries(Ledger(root))
        Ledger(root).append([_entry("C003.MOV")])
        after = load_entries(Ledger(root))
    assert "C003.MOV" in after.latest and (held.read, held.reused) == (2, 0)


def test_a_rewrite_of_the_same_size_is_read(tmp_path: Path) -> None:
    """A ledger rewritten into a new file renamed over it (another inode), its size and date
    kept: the new content is read, never the old parse."""
    root = _root(tmp_path)
    path = root / ".offload" / "ledger.jsonl"
    with reads_once():
        load_entries(Ledger(root))
        text = path.read_text().replace("C002.MOV", "C009.MOV")
        st = path.stat()
        new = path.with_name("ledger.new")
        new.write_text(text)
        os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(new, path)
        assert path.stat().st_size == st.st_size
        after = load_entries(Ledger(root))
    assert sorted(after.latest) == ["C001.MOV", "C009.MOV"]


def test_a_torn_last_line_is_never_held(tmp_path: Path) -> None:
    root = _root(tmp_path)
    with (root / ".offload" / "ledger.jsonl").open("a") as handle:
        handle.write('{"path": "C003.MOV", "sta')
    with reads_once() as held:
        ledger = Ledger(root)
        load_entries(ledger)
        assert ledger.torn_line
        again = Ledger(root)
        load_entries(again)
    assert again.torn_line and (held.read, held.reused) == (2, 0)


def test_outside_the_scope_every_call_reads(tmp_path: Path) -> None:
    root = _root(tmp_path)
    assert load_entries(Ledger(root)) is not load_entries(Ledger(root))


def _changed_clip(root: Path) -> ChangedFile:
    """``C001.MOV`` of *root*, recorded in its ledger (at 100.0), found changed by a check."""
    clip = root / "C001.MOV"
    clip.write_bytes(b"x" * 1000)
    Ledger(root).append([_entry("C001.MOV", clip.stat().st_mtime_ns)])
    return ChangedFile("C001.MOV", ChangeReason.HASH, 1000, 1000, {"xxh64": "aaaa"}, {"xxh64": "b"})


def test_the_revocation_reuses_the_checks_read_before_its_lock_only(tmp_path: Path) -> None:
    """Before: ``revoke_found_wrong`` parsed the ledger before its lock and again under it,
    after the check had parsed it already: three parses of one unchanged file. Now the read
    before the lock is the check's; the one under the lock reads the file itself (module
    contract: never answered from a ``stat``); the revocation is the same."""
    root = tmp_path / "A001"
    root.mkdir()
    found = _changed_clip(root)
    with reads_once() as held:
        load_entries(Ledger(root))  # the check's own read (own_record, verification)
        done = revoke_found_wrong(root, (), [found], checked_since=200.0, against_own=True)
        after = load_entries(Ledger(root))  # the footer's, after the revocation's append
    assert done.revoked == ("C001.MOV",) and not done.error
    assert (held.read, held.reused) == (2, 1)
    assert after.latest["C001.MOV"].state == "revoked"


def test_the_read_under_the_lock_sees_what_a_stale_stat_hides(tmp_path: Path) -> None:
    """Another host's run re-recorded the copy (after the check began) between the check's
    read and the revocation's lock, on a share whose ``stat`` answers from its attribute
    cache (NFS, up to ``acregmax``): the state the check's read is held under, so
    ``verify_reads`` answers the old entries. Made here by holding that read under the
    file's state now (no NFS server here). The read under the lock is the file's own: the
    new record stands, never revoked. Failed before: the held read was reused under the
    lock, and the other run's record was revoked."""
    root = tmp_path / "A001"
    root.mkdir()
    found = _changed_clip(root)
    path = root / ".offload" / "ledger.jsonl"
    with reads_once() as held:
        seen = load_entries(Ledger(root))
        clip = root / "C001.MOV"
        Ledger(root).append([_entry("C001.MOV", clip.stat().st_mtime_ns, recorded_at=300.0)])
        load_entries(Ledger(root))  # held under the file's state now...
        state, _ = held.ledgers[os.fspath(path)]
        held.ledgers[os.fspath(path)] = (state, seen)  # ...with what a stale stat answers
        done = revoke_found_wrong(root, (), [found], checked_since=200.0, against_own=True)
    assert done.revoked == () and not done.error, done
    assert Ledger(root).load_entries().latest["C001.MOV"].state == "verified"


def test_a_cut_back_then_an_append_of_the_same_length_is_read(tmp_path: Path) -> None:
    """A failed append cut back (``ledger._take_back``) and a same-length line appended in
    its place within the date's resolution (2 s on FAT: the date set back as it reads
    there): same inode, size and date, another change time, so read again. Failed before
    (the key had no change time): the old parse answered, C002 in place of C009."""
    root = _root(tmp_path)
    path = root / ".offload" / "ledger.jsonl"
    with reads_once():
        load_entries(Ledger(root))
        before = path.stat()
        text = path.read_bytes()
        last = text.rstrip(b"\n").rsplit(b"\n", 1)[-1] + b"\n"
        with path.open("r+b") as handle:
            handle.truncate(len(text) - len(last))  # the cut back
            handle.seek(0, os.SEEK_END)
            handle.write(last.replace(b"C002.MOV", b"C009.MOV"))  # the append after it
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        while path.stat().st_ctime_ns == before.st_ctime_ns:  # a coarse clock's same tick
            time.sleep(0.005)
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        now = path.stat()
        assert (now.st_ino, now.st_size, now.st_mtime_ns) == (
            before.st_ino,
            before.st_size,
            before.st_mtime_ns,
        )
        after = load_entries(Ledger(root))
    assert sorted(after.latest) == ["C001.MOV", "C009.MOV"]


def test_an_unchanged_history_is_read_once_and_a_new_generation_again(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from offload.manifest.ascmhl import write_generation
    from offload.manifest.model import CreatorInfo, ManifestFile

    root = tmp_path / "A001"
    root.mkdir()
    (root / "C001.MOV").write_bytes(b"x")
    creator = CreatorInfo(tool_version="0.1.0", hostname="host")
    now = datetime(2026, 12, 6, tzinfo=UTC)
    clip = ManifestFile("C001.MOV", 1, 1, {"xxh64": "0123456789abcdef"}, now)
    write_generation(root, [clip], creator=creator, process="in-place")
    with reads_once() as held:
        first = read_history(root)
        assert read_history(root) is first
        write_generation(root, [clip], creator=creator, process="in-place")
        assert len(read_history(root).generations) == len(first.generations) + 1
    assert (held.read, held.reused) == (2, 1)
