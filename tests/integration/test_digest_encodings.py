"""Digests compared in the encoding their format has: a C4 ID (base58, SMPTE ST 2114) is
case-sensitive and must never be lowered; hex may be written in either case by other tools.

Before, the cascade (``cascade.py``) and the card-history check (``engine/reader.py``)
lowered the recorded value before comparing, so a C4 ID never matched itself: ``offload copy
-t c4 CARD FAST --cascade-to SLOW`` declared the verified fast copy damaged (exit 2), and a
card whose own ASC MHL history (written by ``ascmhl create -h c4``) held a C4 hash could not
be offloaded at all (exit 2). Real files, the real CLI, the reference tool ``ascmhl`` as the
history's author and judge; the C4 IDs computed here from hashlib's SHA-512 and the base58
alphabet, not by offload-ai's code."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from support.ascmhl_judge import AscmhlJudge

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def c4_of(data: bytes) -> str:
    """The C4 ID of *data*: SHA-512 as a big-endian integer in base58, padded to 88 with
    '1', prefixed 'c4' (FIELD.md, section 2)."""
    number = int.from_bytes(hashlib.sha512(data).digest(), "big")
    digits = ""
    while number:
        number, rest = divmod(number, 58)
        digits = _BASE58[rest] + digits
    return "c4" + digits.rjust(88, "1")


def test_c4_of_matches_the_published_vectors() -> None:
    assert c4_of(b"") == (
        "c459dsjfscH38cYeXXYogktxf4Cd9ibshE3BHUo6a58hBXmRQdZrAkZzsWcbWtDg5oQstpDuni4Hirj75GEmTc1sFT"
    )


def run(tmp: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [*args[:1], "--report-dir", str(tmp / "reports"), *args[1:]],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    return code, out.getvalue(), err.getvalue()


def make_card(root: Path, name: str = "C001") -> Path:
    """A card whose files' C4 IDs hold both cases (any 90-character ID does, in practice)."""
    card = root / name
    (card / "CLIPS").mkdir(parents=True)
    for index in range(3):
        (card / "CLIPS" / f"C{index}.mov").write_bytes(os.urandom(50_000 + index))
    return card


def assert_mixed_case(ids: list[str]) -> None:
    # The point of the test: an ID with no upper-case letter would pass a lowering compare.
    assert any(i[2:] != i[2:].lower() for i in ids), ids


def ledger_c4(copy_root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (copy_root / ".offload" / "ledger.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "c4" in record.get("digests", {}):
            found[record["relative_path"]] = record["digests"]["c4"]
    return found


def test_a_cascade_with_c4_feeds_the_slow_destination(tmp_path: Path) -> None:
    card = make_card(tmp_path / "cards")
    fast, slow = tmp_path / "RAID", tmp_path / "SHUTTLE"
    fast.mkdir()
    slow.mkdir()
    files = sorted(card.rglob("*.mov"))
    assert_mixed_case([c4_of(f.read_bytes()) for f in files])
    code, out, err = run(
        tmp_path, "copy", "-t", "c4", str(card), str(fast), "--cascade-to", str(slow)
    )
    assert code == 0, out + err
    assert "then changed: re-read for the cascade" not in out + err
    for source in files:
        relative = source.relative_to(card)
        assert (slow / card.name / relative).read_bytes() == source.read_bytes()
    expected = {str(f.relative_to(card)): c4_of(f.read_bytes()) for f in files}
    assert ledger_c4(slow / card.name) == expected
    assert ledger_c4(fast / card.name) == expected
    # A re-run (each destination's ledger vouches for every file) changes nothing.
    code, out, err = run(
        tmp_path, "copy", "-t", "c4", str(card), str(fast), "--cascade-to", str(slow)
    )
    assert code == 0, out + err


def test_a_card_whose_history_holds_c4_is_offloaded(tmp_path: Path, judge: AscmhlJudge) -> None:
    card = make_card(tmp_path / "cards")
    created = judge.create(card, "c4")
    assert created.returncode == 0, created.describe()
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, out, err = run(tmp_path, "copy", str(card), str(dest))
    assert code == 0, out + err
    assert "does not match the card's own ASC MHL history" not in out + err
    copy = dest / card.name
    for source in card.rglob("*.mov"):
        assert (copy / source.relative_to(card)).read_bytes() == source.read_bytes()
    verdict = judge.verify(copy)
    assert verdict.clean, verdict.describe()
    judge.assert_checks(copy, "CLIPS/C0.mov")


def test_a_card_whose_later_generation_adds_c4_is_offloaded(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    card = make_card(tmp_path / "cards")
    assert judge.create(card, "xxh64").returncode == 0
    (card / "CLIPS" / "C9.mov").write_bytes(os.urandom(60_000))
    created = judge.create(card, "c4")  # C4 only in the second generation
    assert created.returncode == 0, created.describe()
    assert "<c4" in sorted((card / "ascmhl").glob("0002_*.mhl"))[0].read_text()
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, out, err = run(tmp_path, "copy", str(card), str(dest))
    assert code == 0, out + err
    verdict = judge.verify(dest / card.name)
    assert verdict.clean, verdict.describe()


def test_reverify_and_verify_with_c4(tmp_path: Path) -> None:
    card = make_card(tmp_path / "cards")
    dest = tmp_path / "RAID"
    dest.mkdir()
    assert run(tmp_path, "copy", "-t", "c4", str(card), str(dest))[0] == 0
    code, out, err = run(tmp_path, "copy", "-t", "c4", "--reverify", str(card), str(dest))
    assert code == 0, out + err
    # offload verify: against the ASC MHL history, then (without it) against the ledger.
    code, out, err = run(tmp_path, "verify", str(dest / card.name))
    assert code == 0, out + err
    shutil.rmtree(dest / card.name / "ascmhl")
    code, out, err = run(tmp_path, "verify", str(dest / card.name))
    assert code == 0 and "against ledger" in out, out + err


def test_a_plain_copy_is_adopted_with_c4(tmp_path: Path, judge: AscmhlJudge) -> None:
    card = make_card(tmp_path / "cards")
    dest = tmp_path / "RAID"
    dest.mkdir()
    shutil.copytree(card, dest / card.name)  # a cp/rsync copy made before offload-ai
    code, out, err = run(tmp_path, "copy", "-t", "c4", str(card), str(dest))
    assert code == 0, out + err
    expected = {str(f.relative_to(card)): c4_of(f.read_bytes()) for f in card.rglob("*.mov")}
    assert ledger_c4(dest / card.name) == expected
    verdict = judge.verify(dest / card.name)
    assert verdict.clean, verdict.describe()


def upper_case_history(card: Path, judge: AscmhlJudge) -> None:
    """The card's history by ``ascmhl create -h md5``, its md5 then written in upper case
    (as some tool might), the chain's C4 of the manifest made to match: a history whose only
    flaw is the case of its hex."""
    assert judge.create(card, "md5").returncode == 0
    manifest = sorted((card / "ascmhl").glob("0001_*.mhl"))[0]
    text = re.sub(
        r'(<md5 action="original"[^>]*>)([0-9a-f]+)',
        lambda m: m.group(1) + m.group(2).upper(),
        manifest.read_text(),
    )
    manifest.write_text(text)
    chain = card / "ascmhl" / "ascmhl_chain.xml"
    chain.write_text(
        re.sub(r"<c4>[^<]*</c4>", f"<c4>{c4_of(manifest.read_bytes())}</c4>", chain.read_text())
    )


def test_upper_case_hex_in_an_asc_mhl_history_fails_as_with_ascmhl(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    card = make_card(tmp_path / "cards")
    upper_case_history(card, judge)
    reference = judge.verify(card)
    assert reference.returncode == 11, reference.describe()
    # offload verify agrees with the reference tool (before: exit 0, "3 OK"), and says why.
    code, out, err = run(tmp_path, "verify", str(card))
    assert code == 11, out + err
    assert "3 changed" in out and "upper-case hex" in err, out + err
    # The card is offloaded (its bytes match the digests), with a warning that names the
    # flaw; a copy carrying that history is judged as the card is, by both tools.
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, out, err = run(tmp_path, "copy", str(card), str(dest))
    assert code == 0, out + err
    assert "upper-case hex" in err and "CLIPS/C0.mov" in err, err
    assert judge.verify(dest / card.name).returncode == 11
    assert run(tmp_path, "verify", str(dest / card.name))[0] == 11


def test_a_copy_whose_history_holds_upper_case_hex_is_not_called_replaced(
    tmp_path: Path, judge: AscmhlJudge
) -> None:
    """The copy of a card whose history records its md5 in upper-case hex: ``offload
    verify`` of the copy says CHANGED (exit 11), as ``ascmhl-debug verify`` does (it
    compares the text), and why: the same digest in upper case. It added "a file replaced
    since the history first recorded it: offload copy --overwrite": nothing was replaced,
    the copy is the one offloaded, which its ledger's entry (not revoked) still proves."""
    card = make_card(tmp_path / "cards")
    upper_case_history(card, judge)
    dest = tmp_path / "RAID"
    dest.mkdir()
    code, out, err = run(tmp_path, "copy", "-q", str(card), str(dest))
    assert code == 0, out + err
    assert judge.verify(dest / card.name).returncode == 11
    code, out, err = run(tmp_path, "verify", str(dest / card.name))
    assert code == 11, out + err
    changed = [line for line in err.splitlines() if line.startswith("ERROR: CHANGED")]
    assert len(changed) == 3, err
    assert all("the same digest in upper-case hex" in line for line in changed), err
    assert "replaced since" not in err and "--overwrite" not in err, err
    assert "revoked" not in err.lower(), err
    code, out, err = run(tmp_path, "verify", "--json", str(dest / card.name))
    reasons = json.loads(out)["reasons"]
    assert {r["code"] for r in reasons.values()} == {"recorded-in-upper-case"}, reasons


def test_pfndispatchcopy_prints_the_c4_id_as_it_is(tmp_path: Path) -> None:
    from offload.cli.pfndispatchcopy import main as pfn_main

    source = tmp_path / "A001.mov"
    source.write_bytes(os.urandom(70_000))
    out, err = io.StringIO(), io.StringIO()
    argv = ["-v", "-t", "c4", str(source), str(tmp_path / "copy.mov")]
    code = pfn_main(argv, Environment(stdout=out, stderr=err, install_signal_handlers=False))
    assert code == 0, err.getvalue()
    assert f"hash C4:{c4_of(source.read_bytes())}" in out.getvalue().splitlines()
