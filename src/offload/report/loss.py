"""Which failures a lost destination's loss explains: the one judgement the terminal's
``ERROR`` lines (``failure_lines``) and the documents (``content``: page 1's problems and
the clip list's rows) make of a file's error on a destination lost mid-run (a drive
pulled, its filesystem answering EIO, unmounted).

A failure there is of the loss only when its error says so: it names the loss's reason
(the engine's "not copied: destination lost (REASON)", "PATH not copied: the destination
failed (REASON)", "PATH not completed: the destination failed (REASON)", or the reason
itself), or it is the same error as the loss's for another file of that destination (the
same words once each error's own path, the file's, is taken out: the files in flight when
the drive went, each failing with the same errno). Any other failure there (a mismatch
found before the loss, a file changed on the card) is its own, and named as such.

No imports: the documents' worker loads it."""

from __future__ import annotations


def of_the_loss(error: str, path: str, reason: str) -> bool:
    """Whether a file's *error* on a lost destination is the loss (*reason*, the
    destination's ``lost_reason``) itself, says it, or is the same error for this file
    (*path*, its relative path, named in it). No *reason* (none recorded): never."""
    if not reason:
        return False
    if reason in error:
        return True
    return _without_path(error, path) == _without_path(reason, None)


def _without_path(message: str, path: str | None) -> str:
    """*message* with the path it names taken out: everything up to its last ``: `` before
    the OS's words (``PATH: Input/output error (EIO)`` → ``Input/output error (EIO)``), or,
    for a known *path*, whatever precedes it."""
    if path and path in message:
        message = message[message.rindex(path) + len(path) :]
    return message.rpartition(": ")[2]
