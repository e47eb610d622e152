"""What a lost destination's message tells the user to do fits what was lost: a drive, or
an S3 service (``errors.destination_io_error``, with the errno and the path the engine
passes it)."""

from __future__ import annotations

import errno
from pathlib import Path

from offload.destinations.s3url import S3_ROOT, shown
from offload.errors import DestinationError, destination_io_error


def test_a_failing_s3_service_is_not_called_a_drive() -> None:
    """Failed before: a 503 after the retries (EIO) said "the drive could not read or write:
    check the drive and its cable"."""
    failure = OSError(errno.EIO, "upload part 3 (the service kept failing after the retries)")
    error = destination_io_error(failure, "write", S3_ROOT / "bucket/A001/C1.mov", "s3")
    assert isinstance(error, DestinationError)
    assert "drive" not in error.message and "cable" not in error.message
    assert "check the endpoint, the network and the service's status" in error.message
    assert error.message.endswith("then run the same command again to resume")


def test_a_failing_drive_keeps_its_advice() -> None:
    error = destination_io_error(OSError(errno.EIO, "I/O error"), "write", Path("/mnt/a/x"), "sdb")
    assert "check the drive and its cable" in error.message


def test_an_s3_object_named_again_reads_as_english() -> None:
    """The store's "cannot read back URL (endpoint)" and "cannot look up URL (endpoint)",
    the object named already before them, read "cannot read it back" and "cannot look it
    up". Failed before: "cannot read back it (http://...)" (black-box QA of S3)."""
    url = "s3://authb/wo/A001/CLIPS/A001C001.mov"
    for operation, said in (("read back", "read it back"), ("look up", "look it up")):
        failure = PermissionError(
            errno.EACCES,
            f"cannot {operation} {url} (http://127.0.0.1:9002): AccessDenied Access Denied",
        )
        error = destination_io_error(
            failure, "read back", S3_ROOT / "authb/wo/A001/CLIPS/A001C001.mov", "s3://authb/wo"
        )
        # Then what to do (test_s3_readback_denied.py): not this test's.
        assert shown(error.message).startswith(
            f"cannot read back {url} on destination s3://authb/wo: cannot {said} "
            "(http://127.0.0.1:9002): AccessDenied Access Denied (EACCES); "
        ), error.message


def test_an_unreadable_file_says_what_to_do_by_its_errno() -> None:
    """``offload verify``'s reason ``read-error``: a share's EIO names its server, a drive's
    its cable, a drive or share gone says reconnect, a permission read access; each ends
    with running the command again. Before: an UNREADABLE line gave no reason at all."""
    from offload.errors import read_error_words

    share = read_error_words(OSError(errno.EIO, "Input/output error"), share=True)
    assert share.startswith("Input/output error (EIO): the share could not be read: ")
    assert "check the server, its disk and the network" in share and "cable" not in share
    drive = read_error_words(OSError(errno.EIO, "Input/output error"), share=False)
    assert "check the drive and its cable" in drive and "server" not in drive
    gone = read_error_words(
        OSError(errno.ENOTCONN, "Transport endpoint is not connected"), share=True
    )
    assert "(ENOTCONN): the drive or share went away: reconnect it" in gone
    denied = read_error_words(PermissionError(errno.EACCES, "Permission denied"), share=False)
    assert "give this user read access to it" in denied
    for words in (share, drive, gone, denied):
        assert "then run the same command again" in words
