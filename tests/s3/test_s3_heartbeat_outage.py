"""A short outage of the S3 service that only the copy root lock's heartbeat saw does not
lose the destination. In a cascade the bucket sits idle through the card pass and only the
heartbeat talks to it; a beat that could not connect is swallowed (the next beat tries
again), so it must not set the destination's unreachable latch (``s3unreachable``). Before,
it did: once the service was back, every request of the bucket was kept back ("not sent: an
earlier request of this run found so"), the bucket was lost with every file failed and its
lock left in it. Real parts: the suite's S3 server process, the fault proxy in front of it
gone (connections refused) for 0.5 s during the card pass, then back at the same port."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path

from offload.cli.common import Environment
from offload.cli.offload import main
from offload.destinations.s3lock import S3CopyRootLock
from s3.conftest import admin
from support.tcpproxy import FaultProxy

CLIPS = 20
SIZE = 16 * 1024 * 1024  # a card pass that outlasts the outage


def test_an_outage_only_the_heartbeat_saw_does_not_lose_the_bucket(  # type: ignore[no-untyped-def]
    s3_server, bucket, tmp_path, monkeypatch
) -> None:
    # A beat every 0.05 s (30 s in real life) and 1 attempt a request, so beats fail
    # within the outage (the default 8 attempts would outlast it).
    monkeypatch.setitem(S3CopyRootLock.__init__.__kwdefaults__, "heartbeat_s", 0.05)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(CLIPS):
        (card / "CLIPS" / f"C{n:03d}.mov").write_bytes(os.urandom(SIZE))
    fast = tmp_path / "fast"
    fast.mkdir()
    proxies = [FaultProxy(s3_server.port)]
    port = proxies[0].port
    back: list[float] = []

    class Events(io.StringIO):
        """The run's JSON lines, with when the card was released (its pass over)."""

        released: float | None = None

        def write(self, text: str) -> int:
            if self.released is None and '"card_released"' in text:
                self.released = time.monotonic()
            return super().write(text)

    def outage() -> None:
        deadline = time.monotonic() + 120
        while not (fast / "A001" / "CLIPS").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        proxies[0].go_down()  # every connection refused, as by a server down
        time.sleep(0.5)  # ten beats have failed by then
        proxies.append(FaultProxy(s3_server.port, port=port))  # back at the same address
        back.append(time.monotonic())

    thread = threading.Thread(target=outage, daemon=True)
    thread.start()
    out, err = Events(), io.StringIO()
    url = f"s3://{bucket}/day1"
    try:
        code = main(
            [
                *("copy", "--json", "--report-dir", str(tmp_path / "r"), "--s3-endpoint"),
                *(proxies[0].url, str(card), str(fast), "--cascade-to", url),
            ],
            Environment(stdout=out, stderr=err, install_signal_handlers=False),
        )
        thread.join(30)
    finally:
        for proxy in proxies:
            proxy.close()
    # The outage fell in the card pass, as meant (else this proves nothing).
    assert back and out.released is not None and back[0] < out.released, (back, out.released)
    assert code == 0, err.getvalue() + out.getvalue()[-3000:]
    events = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert not [e for e in events if e["event"] == "destination_lost"]
    report = json.loads(Path(events[-1]["reports"][0]).read_text())
    for file in report["files"]:
        assert [d["status"] for d in file["destinations"]] == ["verified", "verified"]
    assert events[-1]["left_behind"]["count"] == 0, events[-1]["left_behind"]
    stored = admin(s3_server.url).list_objects_v2(Bucket=bucket, Prefix="day1/A001/")
    keys = {o["Key"] for o in stored.get("Contents", [])}
    assert "day1/A001/.offload/lock" not in keys  # released
    assert {f"day1/A001/CLIPS/C{n:03d}.mov" for n in range(CLIPS)} <= keys
