"""``offload verify s3://...`` whose session token expires mid-check: from the GET of the
third clip on, the service answers every request ``400 ExpiredToken`` (the fault proxy in
front of a real server: the GET held until the refusals are set, then let through). After
that first refusal no object's GET is sent (``s3token_latch``, as a copy's), and the
terminal says the first object's refusal on its UNREADABLE line and the rest in one line;
the JSON report, the saved report and the CSV still list each object, its reason (code
``get-failed``) naming the first one refused; exit 11 (docs/s3.md).

Failed before: every later object's GET was sent (each refused), and each printed its own
``UNREADABLE (its GET failed (ExpiredToken ...) ...)`` line."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from offload.destinations.s3credentials import TOKEN_ADVICE
from s3.test_s3_cli import make_card, offload
from s3.test_s3_verify import verify

CLIPS = {f"CLIPS/A001C{n:03}.mov": 2000 + n for n in range(1, 9)}
FIRST = "CLIPS/A001C003.mov"  # the first object whose GET is refused


def _expiring(tmp_path: Path, s3_server, bucket: str, proxy, *args: str):  # type: ignore[no-untyped-def]
    """``offload verify`` of the copy root (copied straight to the server), its token
    expiring at the GET of FIRST: (exit code, stdout, stderr, the requests sent from
    that GET on)."""
    card = make_card(tmp_path, CLIPS)
    url = f"s3://{bucket}/day1"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 0, err
    proxy.hold("GET", f"/day1/A001/{FIRST}")
    seen = len(proxy.targets)
    result: list[tuple[int, str, str]] = []
    check = threading.Thread(
        target=lambda: result.append(verify(tmp_path, proxy.url, *args, f"{url}/A001"))
    )
    check.start()
    try:
        assert proxy.held.wait(60)
        for method in ("GET", "HEAD", "PUT", "DELETE", "POST"):
            proxy.intercept(method, f"/{bucket}", status=400, code="ExpiredToken", count=10_000)
    finally:
        proxy.release()
        check.join(120)
    sent = list(zip(proxy.stats.methods[seen:], proxy.targets[seen:], strict=True))
    first = next(i for i, (_m, t) in enumerate(sent) if t.endswith(FIRST))
    return (*result[0], sent[first:])


def test_a_token_expiring_mid_check_is_one_line_and_no_get_more(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    code, out, err, sent = _expiring(tmp_path, s3_server, bucket, proxy)
    assert code == 11, out + err
    root = f"s3://{bucket}/day1/A001"
    # No object's GET after the first refused (the revocation's one listing of the ledger,
    # another client's, may follow).
    assert not [t for m, t in sent[1:] if "/CLIPS/" in t], sent
    lines = [line for line in err.splitlines() if "UNREADABLE" in line]
    assert len(lines) == 2, err
    assert lines[0].startswith("ERROR: UNREADABLE (its GET failed (ExpiredToken: "), lines
    assert lines[0].endswith(f"{root}/{FIRST}"), lines
    assert lines[1] == (
        f"ERROR: ... and 5 more objects UNREADABLE under {root}: not read, the session token "
        "refused as above (the reports list each)"
    ), lines
    assert "2 OK, 0 changed, 0 missing, 0 new, 6 unreadable" in out, out


def test_the_reports_still_list_each_object_not_read(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    code, out, _err, _sent = _expiring(tmp_path, s3_server, bucket, proxy, "--json")
    data = json.loads(out)
    assert code == data["exit_code"] == 11, data
    later = [f"CLIPS/A001C{n:03}.mov" for n in range(4, 9)]
    assert data["unreadable"] == [FIRST, *later], data["unreadable"]
    assert data["verified"] == ["CLIPS/A001C001.mov", "CLIPS/A001C002.mov"]
    first = data["reasons"][FIRST]
    assert first["code"] == "get-failed" and "ExpiredToken" in first["text"], first
    for path in later:
        reason = data["reasons"][path]
        assert reason == {
            "code": "get-failed",
            "text": f"not read: the session token was refused to the GET of {FIRST} (its "
            f"reason says why): {TOKEN_ADVICE}, then check it again; it is not verified",
        }, reason
    csv_text = sorted((tmp_path / "vreports").glob("verify_*.csv"))[-1].read_text()
    assert all(f"{p},unreadable," in csv_text for p in [FIRST, *later]), csv_text
