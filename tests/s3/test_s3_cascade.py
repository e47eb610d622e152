"""``offload copy --cascade CARD /local s3://bucket/prefix``: the bucket is fed from the
verified local copy after the card was released (a real moto server process, real boto3,
the real CLI)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.report.cascade_words import BUCKET_NEVER_STANDS
from offload.report.content import _cascade_text
from s3.conftest import admin
from s3.test_s3_cli import CARD, card_local_url, keys, make_card


def test_s3_destination_fed_in_cascade_after_the_card_is_released(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    card = make_card(tmp_path)
    local = tmp_path / "local"
    local.mkdir()
    url = f"s3://{bucket}/day1"
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "copy",
            "--report-dir",
            str(tmp_path / "reports"),
            "--s3-endpoint",
            s3_server.url,
            "--json",
            "--cascade",
            str(card),
            str(local),
            url,
        ],
        Environment(stdout=out, stderr=err, install_signal_handlers=False),
    )
    assert code == 0, err.getvalue()
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    names = [e["event"] for e in events]
    released = names.index("card_released")
    assert events[released]["cascade"] == [url]
    on_s3 = [i for i, e in enumerate(events) if e.get("destination_index") == 1]
    assert on_s3 and min(on_s3) > released
    client = admin(s3_server.url)
    for relative in CARD:
        data = (card / relative).read_bytes()
        assert client.get_object(Bucket=bucket, Key=f"day1/A001/{relative}")["Body"].read() == data
    stored = keys(s3_server.url, bucket)
    assert any(k.startswith("day1/A001/ascmhl/") and k.endswith(".mhl") for k in stored)
    assert any(k.startswith("day1/A001/.offload/ledger/") for k in stored)
    # One report, both destinations, the S3 copies named by URL.
    final = events[-1]
    assert final["exit_code"] == 0
    report = json.loads(Path(final["reports"][0]).read_text())
    for file in report["files"]:
        assert [d["status"] for d in file["destinations"]] == ["verified", "verified"]
    assert "/s3:/" not in out.getvalue()


def test_dry_run_with_cascade_says_the_bucket_is_fed_after_the_release(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    card, local, url = card_local_url(tmp_path, bucket)
    args = ["--s3-endpoint", s3_server.url, "--cascade", "--dry-run", str(card), str(local), url]
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    assert main(["copy", "--report-dir", str(tmp_path / "r"), "--json", *args], env) == 0
    data = json.loads(out.getvalue())
    assert data["cascade"]["card_pass"] == [0] and data["cascade"]["cascade_pass"] == [1]
    on_disk, on_s3 = data["destinations"]
    assert on_disk["fed_from"] == "card" and on_s3["copy_root"] == f"{url}/A001"
    assert on_s3["fed_from"] == [{"copy_root": str(local / "A001"), "paths": sorted(CARD)}]
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    assert main(["copy", "--report-dir", str(tmp_path / "r"), *args], env) == 0
    assert f"pass 2 then feeds {url} from the verified copies" in err.getvalue()
    assert keys(s3_server.url, bucket) == [] and list(local.iterdir()) == []


def test_cascade_stopped_then_card_ejected_the_rerun_finishes_the_bucket_from_the_fast_copy(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path, cards
) -> None:
    """A real `offload` process stopped by SIGINT during the upload, after CARD RELEASED said
    the card could be ejected; the card is then gone. The same command (its dry run too)
    takes the verified fast copy as the source, says so plainly, and finishes the bucket;
    `offload verify s3://` proves it. Before: exit 64 "cannot read the source completely"."""
    card = cards / "C1"  # apart from the fast copy: one beside it releases nothing
    (card / "X").mkdir(parents=True)
    for index in range(6):
        (card / "X" / f"a{index}.mov").write_bytes(os.urandom(3_000_000 + index))
    local = tmp_path / "L1"
    local.mkdir()
    url = f"s3://{bucket}/cas4"
    proxy.throttle(2_000_000)  # an uplink: the upload outlasts the signal
    command = [sys.executable, "-m", "offload.cli.offload", "copy", "--report-dir",
               str(tmp_path / "reports"), "--s3-endpoint", proxy.url,
               "--cascade", str(card), str(local), url]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        released = ""
        for line in process.stderr:
            if line.startswith("CARD RELEASED"):
                released = line
                process.send_signal(signal.SIGINT)
                break
        rest = process.stderr.read()
        assert process.wait(timeout=60) == 130, released + rest
    assert "can be ejected" in released and "without the card" in released, released
    assert "cancelled" in rest and "with or without the card" in rest, rest
    proxy.throttle(None)
    card.rename(cards / "C1.away")  # ejected (and formatted)
    before = keys(s3_server.url, bucket)
    absent = f"the card {card} is absent: the source is its fast copy {local / 'C1'}"
    dry = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert absent in dry.stdout + dry.stderr
    assert keys(s3_server.url, bucket) == before  # the dry run wrote nothing
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert absent in again.stderr and "all 6 files of the card's pass" in again.stderr
    client = admin(s3_server.url)
    for index in range(6):
        data = (cards / "C1.away" / "X" / f"a{index}.mov").read_bytes()
        key = f"cas4/C1/X/a{index}.mov"
        assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "offload.cli.offload",
            "verify",
            "--report-dir",
            str(tmp_path / "v"),
            "--s3-endpoint",
            s3_server.url,
            f"{url}/C1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "6 OK, 0 changed, 0 missing" in verify.stdout + verify.stderr


def test_a_bucket_among_the_fast_copies_is_not_called_a_copy_on_the_cards_disk(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path
) -> None:
    """A cascade whose fast copies are a folder beside the card (its own filesystem: no
    backup) and a bucket (never standing for the card): the card is kept, and every surface
    says why in true words, decided once by the run (``cascade.card_kept_by_its_disk``).
    Failed before: ``--dry-run`` said "every one of them is on the card's own filesystem or
    disk" of the bucket too, and the live line and the reports' sentence added "no other
    copy there is recorded read back whole from its media" of a bucket verified now."""
    card = make_card(tmp_path)
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    fast.mkdir()
    slow.mkdir()
    url = f"s3://{bucket}/day1"
    args = ["--s3-endpoint", s3_server.url, "--cascade-to", str(slow)]
    args += ["--report-dir", str(tmp_path / "reports"), str(card), str(fast), url, str(slow)]
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, install_signal_handlers=False)
    assert main(["copy", "--dry-run", *args], env) == 0, err.getvalue()
    dry = " ".join(err.getvalue().split())
    assert "every one of them is on the card's own" not in dry, dry
    assert (
        f"the copy on {fast} is on the card's own filesystem or disk, no backup of "
        "it, and a copy in a bucket never stands for the card, so the card is not released"
    ) in dry, dry
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    main(["copy", *args], env)
    said = " ".join(err.getvalue().split())
    assert "no other copy there is recorded read back whole" not in said, said
    assert (
        f"but the copy on {fast} is on the card's own filesystem or disk, no backup "
        "of it, and a copy in a bucket never stands for the card (keep the card"
    ) in said, said
    (written,) = (tmp_path / "reports").glob("*.json")
    report = json.loads(written.read_text())
    assert report["cascade"]["card_kept_by_its_disk"] is True, report["cascade"]
    assert report["cascade"]["fast_copies_on_card_disk"] == [0], report["cascade"]


def test_a_bucket_verified_now_beside_a_fast_copy_read_in_ram_is_not_denied_a_read_back(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, tmpfs_mount
) -> None:
    """Fast copies on a tmpfs drive (read back through RAM, a cache) and in a bucket (read
    back whole now, but never standing for the card): the card is kept, and neither the
    live line nor the cascade's sentence says "no copy there is recorded read back whole"
    of the bucket's copy that was. Failed before: both said it of every copy there."""
    card = make_card(tmp_path)
    fast = tmpfs_mount(16 << 20).path
    slow = tmp_path / "slow"
    slow.mkdir()
    url = f"s3://{bucket}/ram"
    args = ["--s3-endpoint", s3_server.url, "--cascade-to", str(slow)]
    args += ["--report-dir", str(tmp_path / "reports"), str(card), str(fast), url, str(slow)]
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, install_signal_handlers=False)
    assert main(["copy", *args], env) == 0, err.getvalue()
    said = " ".join(err.getvalue().split())
    assert "no copy there is recorded read back whole" not in said, said
    (live,) = [
        x for x in err.getvalue().splitlines() if x.startswith(("CARD RELEASED", "CARD PASS DONE"))
    ]
    assert live.startswith("CARD PASS DONE: "), live
    outside = "no copy there outside a bucket is recorded read back whole from its media"
    assert f"but {outside}, and {BUCKET_NEVER_STANDS} (keep the card" in live, live
    kept = f"but {outside} (transfer-checked only, or read back through a cache), and "
    kept += f"{BUCKET_NEVER_STANDS}, so a re-run needs the card"
    assert kept in said, said
    (written,) = (tmp_path / "reports").glob("*.json")
    report = json.loads(written.read_text())
    assert report["cascade"]["card_released_at"] is None, report["cascade"]
    # The documents' sentence, from the saved JSON alone: the same words.
    assert kept in _cascade_text(report, True, False, ())
    # The bucket's copies were read back whole (verified), the tmpfs copies through RAM.
    for file in report["files"]:
        assert [d["status"] for d in file["destinations"]][:2] == ["verified", "verified"]
