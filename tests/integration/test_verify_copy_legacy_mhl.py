"""``offload verify`` of a copy checks the legacy MHLs (v1) copied inside it, the card's own
record, beside the copy's ASC MHL history or ledger (offload/copy_legacy_mhl.py): real
cards, real offloads, real files read back."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

from offload.cli.common import Environment
from offload.cli.offload import main
from support.ascmhl_judge import AscmhlJudge
from support.cards import LEGACY_MHL, corrupt_keeping_size_and_mtime, legacy_mhl_card
from support.offload_cli import CLI, run_offload

MHL = LEGACY_MHL


def offload_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, install_signal_handlers=False))
    return code, out.getvalue(), err.getvalue()


def verify(copy_root: Path) -> tuple[int, dict[str, Any], str]:
    code, out, err = offload_cli("verify", "--json", str(copy_root))
    return code, json.loads(out), err


def verify_human(copy_root: Path) -> tuple[int, str]:
    code, out, err = offload_cli("verify", str(copy_root))
    return code, out + err


def _card(tmp_path: Path, clips: dict[str, bytes], listed: dict[str, bytes]) -> Path:
    """A card A001 whose CLIPS/ holds *clips* and a legacy MHL (md5 alone, as many tools
    write it) recording *listed* (name → the content whose md5 and size it records)."""
    return legacy_mhl_card(tmp_path / "cards" / "A001", clips, listed)


def _offload(tmp_path: Path, card: Path, *extra: str) -> tuple[int, Path, str]:
    dest = tmp_path / "dest"
    dest.mkdir(exist_ok=True)
    code, _, err = offload_cli(
        "copy", "-q", "-t", "xxh64", "--report-dir", str(tmp_path / "r"), *extra,
        str(card), str(dest),
    )  # fmt: skip
    return code, dest / card.name, err


def test_a_copy_whose_card_mhl_holds_passes_and_says_so_reading_each_file_once(
    tmp_path: Path,
) -> None:
    one, two = os.urandom(40_000), os.urandom(30_000)
    card = _card(tmp_path, {"A001C001.mov": one, "A001C002.mov": two}, {
        "A001C001.mov": one, "A001C002.mov": two
    })  # fmt: skip
    code, copy_root, err = _offload(tmp_path, card)
    assert code == 0, err
    code, data, err = verify(copy_root)
    assert code == 0, (data, err)
    assert data["legacy_mhls"] == [
        {
            "mhl": MHL,
            "verified": ["CLIPS/A001C001.mov", "CLIPS/A001C002.mov"],
            "changed": [],
            "missing": [],
            "size_only": [],
            "not_checked": [],
        }
    ]
    # The two clips and the MHL, each read once: its md5 computed in the same read.
    assert data["files_read_from_media"] == len(data["verified"]) == 3
    code, text = verify_human(copy_root)
    assert code == 0
    assert (
        f"Legacy MHL {MHL} in this copy (the card's own record, copied with it): 2 match it" in text
    ), text


def test_a_file_the_copys_history_proves_but_the_cards_mhl_does_not_is_a_failure(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """The card carries its own ASC MHL history (xxh64) and a legacy MHL (md5) whose
    record of A001C002.mov the file no longer matches (changed on the card since that MHL
    was written, before the history). The offload trusts the history (the authority for a
    file it records): the copy passes it. ``offload verify`` of the copy used to pass
    too (exit 0), never reading the card's MHL copied inside it; now the file is CHANGED
    (exit 11), naming that MHL, in the same read (md5 added to the history's xxh64 for the
    files it lists), and the copy's ledger record is not revoked (the copy is the one
    offloaded: the card's record says otherwise)."""
    one, two = os.urandom(40_000), os.urandom(30_000)
    other = two[:-1] + bytes([two[-1] ^ 0xFF])  # never equal to two (b"x" was, 1 run in 256)
    card = _card(tmp_path, {"A001C001.mov": one, "A001C002.mov": two}, {
        "A001C001.mov": one, "A001C002.mov": other
    })  # fmt: skip
    created = judge.create(card, "xxh64")
    assert created.clean, created.describe()
    code, copy_root, err = _offload(tmp_path, card)
    assert code == 0, err
    code, data, err = verify(copy_root)
    assert code == 11, (data, err)
    assert data["reference"] == "ascmhl"
    (changed,) = data["changed"]
    assert changed["path"] == "CLIPS/A001C002.mov" and changed["reason"] == "hash"
    assert changed["expected"] == {"md5": hashlib.md5(other).hexdigest()}
    assert changed["actual"]["md5"] == hashlib.md5(two).hexdigest()
    assert data["reasons"]["CLIPS/A001C002.mov"]["code"] == "legacy-mhl-mismatch"
    assert "CLIPS/A001C002.mov" not in data["verified"]
    assert data["legacy_mhls"][0]["verified"] == ["CLIPS/A001C001.mov"]
    assert data["legacy_mhls"][0]["changed"] == ["CLIPS/A001C002.mov"]
    assert data["revoked"] == []
    recorded = len(data["verified"]) + len(data["changed"])
    assert data["files_read_from_media"] == recorded  # no second read for md5
    code, text = verify_human(copy_root)
    assert code == 11
    assert f"(unlike the legacy MHL '{MHL}' in this copy, the card's own record" in text, text


def test_a_clip_only_the_cards_mhl_lists_is_missing_and_one_put_back_is_checked(
    tmp_path: Path,
) -> None:
    """The card's MHL lists A001C003.mov, which the card had lost when it was offloaded
    (that offload exits 1): the copy's records do not list it, so a verify used to pass
    (exit 0). Now it is missing (exit 10) with its reason. A file put at that name since
    (new to the copy's records, exit 21 before) is read against the card's MHL: unlike it,
    it is CHANGED (exit 11), no longer merely new."""
    one, three = os.urandom(20_000), os.urandom(10_000)
    card = _card(tmp_path, {"A001C001.mov": one}, {"A001C001.mov": one, "A001C003.mov": three})
    code, copy_root, err = _offload(tmp_path, card)
    assert code == 1, err
    code, data, err = verify(copy_root)
    assert code == 10, (data, err)
    assert data["missing"] == ["CLIPS/A001C003.mov"]
    assert data["reasons"]["CLIPS/A001C003.mov"]["code"] == "legacy-mhl-lists"
    assert data["legacy_mhls"][0]["missing"] == ["CLIPS/A001C003.mov"]
    code, text = verify_human(copy_root)
    assert "no record of this copy does" in text, text

    (copy_root / "CLIPS" / "A001C003.mov").write_bytes(os.urandom(10_000))
    code, data, err = verify(copy_root)
    assert code == 11, (data, err)
    assert [c["path"] for c in data["changed"]] == ["CLIPS/A001C003.mov"]
    assert data["extra"] == [] and data["missing"] == []
    (copy_root / "CLIPS" / "A001C003.mov").write_bytes(three)  # the clip found again
    code, data, err = verify(copy_root)
    assert code == 21, (data, err)  # new to the copy's records, but as the card's MHL says
    assert data["extra"] == ["CLIPS/A001C003.mov"]
    assert data["legacy_mhls"][0]["verified"] == ["CLIPS/A001C001.mov", "CLIPS/A001C003.mov"]


REFUSED_WORDS = "an offload of this copy refused it: its card file did not match that MHL"


def _refused_copy(tmp_path: Path, on_card: str = "A001C002.mov", listed_as: str = "") -> Path:
    """The copy of a card whose CLIPS/*on_card* changed since its legacy MHL recorded it
    (as *listed_as*, default the same spelling; its size and mtime kept): the offload
    refused it (exit 1), so the copy lacks it; its job report in the copy says why."""
    one, two = os.urandom(20_000), os.urandom(10_000)
    card = _card(tmp_path, {"A001C001.mov": one, on_card: two}, {
        "A001C001.mov": one, listed_as or on_card: two
    })  # fmt: skip
    corrupt_keeping_size_and_mtime(card / "CLIPS" / on_card)
    code, copy_root, err = _offload(tmp_path, card, "--mhl", "both")
    assert code == 1 and "does not match the legacy MHL" in err, err
    return copy_root


def _refusal_reason(copy_root: Path, listed: str = "CLIPS/A001C002.mov") -> str:
    """The words of ``offload verify --json`` (a child process) for *listed*, missing."""
    done = run_offload("verify", "--json", copy_root, timeout_s=60)
    assert done.returncode == 10, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["missing"] == [listed] and data["reasons"][listed]["code"] == "legacy-mhl-lists"
    return str(data["reasons"][listed]["text"])


def test_a_clip_the_offload_refused_for_its_card_mhl_is_missing_for_that_reason(
    tmp_path: Path,
) -> None:
    """The card's A001C002.mov changed since its legacy MHL recorded it (its size and
    mtime kept): the offload refused it (exit 1), so the copy lacks it. ``offload verify``
    of the copy said it was MISSING because "the card no longer had it when it was
    offloaded, or the offload left it out (--ignore, ...)": neither is true. Now the words
    say what the offload's own job report in the copy records: it refused the file, its card
    file not matching that MHL; the code and exit 10 unchanged."""
    copy_root = _refused_copy(tmp_path)
    code, data, err = verify(copy_root)
    assert code == 10, (data, err)
    assert data["missing"] == ["CLIPS/A001C002.mov"]
    reason = data["reasons"]["CLIPS/A001C002.mov"]
    assert reason["code"] == "legacy-mhl-lists"
    assert "the card no longer had it" not in reason["text"], reason
    report = next((copy_root / ".offload" / "reports").glob("*.json")).name
    assert f"{REFUSED_WORDS} (.offload/reports/{report} says why)" in reason["text"], reason
    code, text = verify_human(copy_root)
    assert code == 10 and REFUSED_WORDS in text, text


def test_the_refusal_is_told_when_the_mhl_and_the_card_spell_the_clip_otherwise(
    tmp_path: Path,
) -> None:
    """The card spells the clip decomposed (NFD), its legacy MHL composed (NFC): the job
    report's path is the card's spelling, the MHL's listed path the other; matched exactly,
    the refusal went unsaid. Matched by their composed form now."""
    nfc = unicodedata.normalize("NFC", "Café.mov")
    nfd = unicodedata.normalize("NFD", nfc)
    copy_root = _refused_copy(tmp_path, on_card=nfd, listed_as=nfc)
    assert REFUSED_WORDS in _refusal_reason(copy_root, f"CLIPS/{nfc}")


def test_the_newest_readable_job_report_decides_and_a_bad_one_is_passed_by(
    tmp_path: Path,
) -> None:
    """Newer (by name) than the offload's own report: a FIFO named ``*.json`` (its open
    waited for a writer forever: ``offload verify`` hung), a report nested too deep to
    parse (RecursionError: verify crashed), a symlink and a file that is not JSON: each
    passed by, the offload's report still says the clip was refused. A newer report
    naming the file with another error (an old run's words) decides then: not refused."""
    copy_root = _refused_copy(tmp_path)
    reports = copy_root / ".offload" / "reports"
    (real,) = reports.glob("*.json")
    os.mkfifo(reports / "A001_2098-01-01_000000Z_4.json")
    (reports / "A001_2098-01-01_000000Z_3.json").write_text("[" * 200_000 + "]" * 200_000)
    (reports / "A001_2098-01-01_000000Z_2.json").symlink_to(reports / "missing.json")
    (reports / "A001_2098-01-01_000000Z.json").write_text("{not json")
    assert f"{REFUSED_WORDS} (.offload/reports/{real.name} says why)" in _refusal_reason(copy_root)
    newer = {"files": [{"path": "CLIPS/A001C002.mov", "source_error": "Input/output error"}]}
    (reports / "A001_2099-01-01_000000Z.json").write_text(json.dumps(newer))
    assert REFUSED_WORDS not in _refusal_reason(copy_root)


def test_older_job_reports_are_not_parsed_once_a_newer_one_decided(tmp_path: Path) -> None:
    """Older reports of 50,000 files each beside the one that decides: every one was parsed
    and its files held at once (peak RSS 36 -> 101 MB for three); now the newest decides,
    the others are left unread, the verify's peak memory the same within a few MB."""
    copy_root = _refused_copy(tmp_path)
    reports = copy_root / ".offload" / "reports"

    def peak_rss() -> int:
        command = [*CLI, "verify", "--json", str(copy_root)]
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as p:
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
        assert p.returncode == 10
        return usage.ru_maxrss * 1024

    alone = peak_rss()
    for day in range(1, 4):  # written a line at a time: this process's size is the child's
        with open(reports / f"A001_2000-01-0{day}_000000Z.json", "w") as handle:
            handle.write('{"files": [\n')
            for i in range(50_000):
                handle.write(
                    f'{{"path": "CLIPS/B{i:05d}.mov", "size_bytes": {i}, '
                    f'"source_error": null, "copies": []}}{"," if i < 49_999 else ""}\n'
                )
            handle.write("]}\n")
    assert peak_rss() - alone < 12 * 2**20
    assert REFUSED_WORDS in _refusal_reason(copy_root)


def test_an_unreadable_mhl_in_the_copy_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    one = os.urandom(5_000)
    card = _card(tmp_path, {"A001C001.mov": one}, {"A001C001.mov": one})
    (card / MHL).write_text("<hashlist version='1.1'><hash>", "utf-8")
    code, copy_root, err = _offload(tmp_path, card)
    assert code == 0, err
    code, data, err = verify(copy_root)
    assert code == 0, (data, err)
    assert data["legacy_mhls"] == []
    (note,) = data["notes"]
    assert note.startswith(f"legacy MHL '{MHL}' on this copy cannot be read ("), note
    # Named once (failed before: "... cannot be read (<copy root>/<MHL> is not well-formed
    # XML: ...)").
    assert note.startswith(
        f"legacy MHL '{MHL}' on this copy cannot be read (not well-formed XML: "
    ), note
    assert str(copy_root) not in note, note


def test_against_the_ledger_too(tmp_path: Path) -> None:
    """A copy written with ``--mhl none`` is verified against its ledger: the card's MHL,
    a file the ledger records, is judged by all the same (a clip it lists that the card
    had lost: missing, exit 10)."""
    one, three = os.urandom(20_000), os.urandom(10_000)
    card = _card(tmp_path, {"A001C001.mov": one}, {"A001C001.mov": one, "A001C003.mov": three})
    code, copy_root, err = _offload(tmp_path, card, "--mhl", "none")
    assert code == 1, err
    code, data, err = verify(copy_root)
    assert data["reference"] == "ledger"
    assert code == 10, (data, err)
    assert data["missing"] == ["CLIPS/A001C003.mov"]
    assert data["legacy_mhls"][0]["verified"] == ["CLIPS/A001C001.mov"]


def test_the_copy_roots_own_legacy_mhl_does_not_cost_a_second_read(
    judge: AscmhlJudge, tmp_path: Path
) -> None:
    """With ``--mhl both`` the copy root holds offload-ai's own legacy MHL too, listing
    every file in the run's formats (xxh64 here: the card's history wins over its MHL, so
    md5 is not added) and finished after the card's: it is not the card's record and is
    not judged by, nor planned for, so the card MHL's md5 is still computed in the check's
    one read of each file (a first version planned by the newest record, ours, and read
    every listed file a second time for md5)."""
    one, two = os.urandom(40_000), os.urandom(30_000)
    card = _card(tmp_path, {"A001C001.mov": one, "A001C002.mov": two}, {
        "A001C001.mov": one, "A001C002.mov": two
    })  # fmt: skip
    created = judge.create(card, "xxh64")
    assert created.clean, created.describe()
    code, copy_root, err = _offload(tmp_path, card, "--mhl", "both")
    assert code == 0, err
    assert len(list(copy_root.glob("A001_*.mhl"))) == 1
    code, data, err = verify(copy_root)
    assert code == 0, (data, err)
    assert [check["mhl"] for check in data["legacy_mhls"]] == [MHL]
    assert data["legacy_mhls"][0]["verified"] == ["CLIPS/A001C001.mov", "CLIPS/A001C002.mov"]
    assert data["files_read_from_media"] == len(data["verified"])


def test_os_files_the_cards_mhl_lists_are_copied_and_then_verified(tmp_path: Path) -> None:
    """A Mac tool's MHL lists the AppleDouble file ``._A001C001.mov`` beside its clip: the
    default ignore rules leave such files out, so the offload copied the clip without it
    (exit 0) and the copy's verify then found a file of the card's record missing (exit
    10). As for the card's ASC MHL history, the card's record says the card held it: it is
    copied (one ``legacy-mhl-os-files-kept`` warning names it) and the copy passes."""
    one, apple = os.urandom(20_000), b"\x00\x05\x16\x07" + os.urandom(4_000)
    card = _card(tmp_path, {"A001C001.mov": one, "._A001C001.mov": apple}, {
        "A001C001.mov": one, "._A001C001.mov": apple
    })  # fmt: skip
    reports = tmp_path / "r"
    code, copy_root, err = _offload(tmp_path, card)
    assert code == 0, err
    assert (copy_root / "CLIPS" / "._A001C001.mov").read_bytes() == apple
    report = json.loads(sorted(reports.glob("*.json"))[-1].read_text())
    (kept,) = [w for w in report["warnings"] if w["code"] == "legacy-mhl-os-files-kept"]
    assert kept["message"].startswith(
        "'CLIPS/._A001C001.mov': operating-system files the default ignore patterns leave "
        f"out, but the legacy MHL '{MHL}' on the card lists them: copied"
    ), kept
    code, data, err = verify(copy_root)
    assert code == 0, (data, err)
    assert data["legacy_mhls"][0]["verified"] == ["CLIPS/._A001C001.mov", "CLIPS/A001C001.mov"]


def test_a_name_the_cards_mhl_spells_decomposed_is_the_copys_composed_file(
    tmp_path: Path,
) -> None:
    """The card's MHL (a Mac tool's) spells 'Café.mov' decomposed (NFD); the card, and so
    its copy, holds it composed (NFC), on a filesystem that keeps the bytes it is given:
    the copy's file is the one the MHL lists, checked against it, never "missing"."""
    nfc, nfd = unicodedata.normalize("NFC", "Café.mov"), unicodedata.normalize("NFD", "Café.mov")
    one = os.urandom(9_000)
    card = _card(tmp_path, {nfc: one}, {nfd: one})
    code, copy_root, err = _offload(tmp_path, card)
    assert code == 0, err
    assert sorted(os.listdir(copy_root / "CLIPS")) == sorted([MHL.split("/")[1], nfc])
    code, data, err = verify(copy_root)
    assert code == 0, (data, err)
    assert data["legacy_mhls"][0]["verified"] == [f"CLIPS/{nfc}"]
    assert data["missing"] == []


def test_a_backslash_in_a_name_our_legacy_mhl_lists_is_the_names_not_a_separator(
    tmp_path: Path,
) -> None:
    """Our legacy MHL writes each path as the card spells it: ``CLIPS/a\\b.mov`` is a name
    with a backslash, beside ``CLIPS/a/b.mov``; read back as ours (its ``<tool>``), neither
    is respelled (a Windows tool's MHL still is: test_legacy_mhl_variants). Failed before
    (QA hostile62): the reader turned every ``\\`` into ``/``: ``verify --mhl-file`` said
    "CHANGED .../CLIPS/a/b.mov" on an intact copy, exit 11; with ``c7\\x.mov`` alone
    "MISSING .../CLIPS/c7/x.mov", exit 10, and an onward offload of that copy "MISSING FROM
    THE CARD ... c7/x.mov", exit 1."""
    card = tmp_path / "cards" / "BS"
    (card / "CLIPS" / "a").mkdir(parents=True)
    (card / "CLIPS" / "a\\b.mov").write_bytes(b"A\n")
    (card / "CLIPS" / "a" / "b.mov").write_bytes(b"B\n")
    (card / "CLIPS" / "c7\\x.mov").write_bytes(b"C\n")
    code, copy_root, err = _offload(tmp_path, card, "--mhl", "both", "-t", "md5")
    assert code == 0, err
    (mhl,) = copy_root.glob("BS_*.mhl")
    assert "<file>CLIPS/c7\\x.mov</file>" in mhl.read_text()
    code, out, err = offload_cli("verify", "--mhl-file", str(mhl), str(copy_root))
    assert code == 0, out + err
    for wrong in ("CHANGED", "MISSING", "NEW"):
        assert wrong not in out + err, out + err
    # The copy offloaded onward (its legacy MHL read as the card's record): nothing missing.
    onward = tmp_path / "onward"
    onward.mkdir()
    code, out, err = offload_cli(
        "copy", "--report-dir", str(tmp_path / "r"), str(copy_root), str(onward)
    )
    assert code == 0, out + err
    assert "MISSING" not in out + err, out + err  # "Do not format": the card's disk is /tmp's
    assert (onward / "BS" / "CLIPS" / "c7\\x.mov").read_bytes() == b"C\n"
