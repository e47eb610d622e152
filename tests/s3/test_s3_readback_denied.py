"""A read-back GET denied (403 AccessDenied: credentials that may store but not read, a
policy changed mid-run) says what to do, credentials that may read, and what became of the
upload: deleted, as any copy not verified is, unless ``left_behind`` names it. Its JSON
``final_path`` names a key that holds nothing of this copy, which the error now says.

A real server behind the fault proxy (``intercept``: every GET of the clip answered 403),
the real CLI in this process.

Failed before: "cannot read it back (...): AccessDenied Access Denied (EACCES)", nothing
more."""

from __future__ import annotations

from pathlib import Path

from s3.test_s3_cli import card_local_url, keys, offload
from s3.test_s3_faults import report_of


def test_a_read_back_denied_says_to_use_credentials_that_may_read(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    card, _, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C001.mov": 3000})
    proxy.intercept("GET", "A001C001.mov", status=403, code="AccessDenied", count=50)
    code, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), url)
    assert code == 2, out + err  # ExitCode.FAILED: nothing copied and verified
    (copy,) = report_of(out)["files"][0]["destinations"]
    assert copy["status"] == "failed", copy
    assert (
        "AccessDenied intercepted by the test proxy (EACCES); the credentials may store "
        in (copy["error"])
    ), copy
    assert "s3:GetObject" in copy["error"] and "use credentials that may" in copy["error"], copy
    assert "this upload is deleted, as any copy not verified is" in copy["error"], copy
    assert not report_of(out)["left_behind"]["count"]
    assert "day1/A001/CLIPS/A001C001.mov" not in keys(s3_server.url, bucket)


def test_a_store_denied_says_to_allow_put_object_there(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path: Path
) -> None:
    """A PutObject denied (403 AccessDenied: a policy allowing the prefix the preflight's
    probe wrote, not the clip's key) names s3:PutObject on that key and what to do. Failed
    before: "cannot store it (...): AccessDenied Access Denied (EACCES)", nothing more."""
    card, _, url = card_local_url(tmp_path, bucket, {"CLIPS/A001C001.mov": 3000})
    proxy.intercept("PUT", "A001C001.mov", status=403, code="AccessDenied", count=50)
    code, out, err = offload(tmp_path, "--s3-endpoint", proxy.url, "--json", str(card), url)
    assert code == 2, out + err  # ExitCode.FAILED: nothing copied and verified
    (copy,) = report_of(out)["files"][0]["destinations"]
    assert copy["status"] == "failed", copy
    assert copy["error"].endswith(
        "AccessDenied intercepted by the test proxy; the credentials may not store objects at "
        "that key: allow s3:PutObject on it (or its prefix) to them (docs/s3.md, "
        "Permissions), or use credentials that may, then run the same command again (EACCES)"
    ), copy
    assert "day1/A001/CLIPS/A001C001.mov" not in keys(s3_server.url, bucket)
