"""Errors classified by scope, each with its exit code; OS errors are wrapped at the I/O boundary.

Scope decides what the engine does (docs/design.md, "Failure semantics in one place"):

* ``FILE``: this file failed on this destination; other files and destinations go on.
* ``DESTINATION``: the drive is full, gone or failing: that destination is detached, the
  others go on.
* ``SOURCE``: this file failed on every destination (read error, changed while read).
* ``JOB``: bad arguments or nothing can proceed; nothing is written.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping, Sequence
from enum import Enum, IntEnum
from pathlib import Path

from offload import remedies


class ExitCode(IntEnum):
    """Exit codes shared by every CLI (documented in README.md)."""

    OK = 0  # every file verified (or already verified) on every destination
    PARTIAL = 1  # completed, but some destination or file failed; others verified
    FAILED = 2  # nothing was copied and verified
    USAGE = 64  # bad arguments or bad input (BSD EX_USAGE); nothing was written
    CANCELLED = 130  # interrupted (SIGINT/SIGTERM); partial files removed


class ErrorScope(Enum):
    FILE = "file"
    DESTINATION = "destination"
    SOURCE = "source"
    JOB = "job"


class OffloadError(Exception):
    """Base of every error offload-ai raises on purpose. ``str()`` is a one-line message."""

    scope: ErrorScope = ErrorScope.JOB
    exit_code: ExitCode = ExitCode.FAILED

    def __init__(
        self, message: str, *, path: Path | str | None = None, errno_: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.errno = errno_


class UsageError(OffloadError):
    """Bad arguments or bad input, found before anything was written.

    ``errors``/``warnings``: the findings as ``offload copy --json``'s ``offload_refused``
    and the refused record list them, one dict each (``PreflightRefused``, ``CopyRootBusy``
    have some); none for any other usage error, so a reader needs no test of the kind."""

    scope = ErrorScope.JOB
    exit_code = ExitCode.USAGE

    @property
    def errors(self) -> list[dict[str, object]]:
        return []

    @property
    def warnings(self) -> list[dict[str, object]]:
        return []


class PreflightRefused(UsageError):
    """The preflight found errors: the offload must not start, and nothing was copied.

    ``errors``/``warnings``: the findings as ``offload copy --json`` writes them, one dict
    each (``code``, ``path``, ``message``, ``destination_index``); *message* says it in
    lines for a person."""

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[Mapping[str, object]],
        warnings: Sequence[Mapping[str, object]] = (),
    ) -> None:
        super().__init__(message)
        self._errors = [dict(e) for e in errors]
        self._warnings = [dict(w) for w in warnings]

    @property
    def errors(self) -> list[dict[str, object]]:
        return self._errors

    @property
    def warnings(self) -> list[dict[str, object]]:
        return self._warnings


#: How a preflight refusal begins (``refusal_lines``).
REFUSED = "preflight refused the offload; nothing was copied"


def refusal_lines(reasons: Sequence[str]) -> str:
    """A preflight refusal's message for *reasons* (each one line): one reason on one line
    after :data:`REFUSED` (the project's rule: one refusal, one line), several each on a
    line of its own below it, so that each stays readable."""
    if len(reasons) == 1:
        return f"{REFUSED}: {reasons[0]}"
    return "\n".join((f"{REFUSED}:", *reasons))


class CancelledError(OffloadError):
    """The job was cancelled (Ctrl-C); partial files were removed."""

    scope = ErrorScope.JOB
    exit_code = ExitCode.CANCELLED


class SourceError(OffloadError):
    """The source file could not be read completely: it fails on every destination."""

    scope = ErrorScope.SOURCE


class SourceChangedError(SourceError):
    """The source changed while it was read (size, mtime or content differ)."""


#: In a source's error when both re-reads of a full verification gave the same digest, other
#: than the copy's read: a stable change (the file changed since it was read, or that first
#: read was wrong), not a source that reads differently each time. Its cause, the error's
#: end (``REREAD_ALIKE_CAUSE``), names the card: a cascade whose source is a fast copy words
#: it for that copy (with the card, ``cascade._unread_copy``; without it,
#: ``cascade_refeed._say_changed_since_read``).
REREAD_ALIKE = "the same on both re-reads"
REREAD_ALIKE_CAUSE = (
    "it changed since it was read, or the read while copying was wrong (card, reader or "
    "cable unreliable)"
)


def what_changed(size: int, mtime_ns: int, now_size: int, now_mtime_ns: int) -> str:
    """What of a file changed, in words: ``size 100 → 120 bytes``, ``modification time
    2026-12-03T06:20:01.000000000Z → 2026-12-03T06:20:05.500000000Z`` (a file rewritten at
    the same size), or both joined by ``and``; "" when neither did."""
    changes = []
    if now_size != size:
        changes.append(f"size {size} → {now_size} bytes")
    if now_mtime_ns != mtime_ns:
        changes.append(f"modification time {_utc_ns(mtime_ns)} → {_utc_ns(now_mtime_ns)}")
    return " and ".join(changes)


def _utc_ns(mtime_ns: int) -> str:
    """A time in nanoseconds since the epoch as ISO 8601 UTC to the nanosecond (a rewrite
    within the same second still shows)."""
    import datetime  # only a changed file's message needs it, never a run's start

    seconds, nanos = divmod(mtime_ns, 1_000_000_000)
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


class DestinationError(OffloadError):
    """A destination is lost (full, gone, failing): it is detached, the others go on.

    ``full``: its filesystem said it has no room, in ENOSPC's or EDQUOT's words
    (``FULL_ERRNOS``) or in other words (``full_in_other_words``: fusefat's EPERM with its
    free space gone, which ``destination_io_error`` marks ``answered_full``)."""

    scope = ErrorScope.DESTINATION
    # Set by ``destination_io_error`` where the errno is not a full drive's own but the
    # filesystem's free space says it is (the errno is kept as the filesystem gave it).
    answered_full = False

    @property
    def full(self) -> bool:
        return self.answered_full or self.errno in FULL_ERRNOS


class DestinationFileError(OffloadError):
    """This file failed on this destination only (exists already, too large, bad name...).
    *refusal*: the kind of a refusal the same command would repeat (a file in the way:
    ``remedies.Refusal``), carried to the copy's result (``DestinationFileResult.refusal``);
    None for any other failure."""

    scope = ErrorScope.FILE

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        errno_: int | None = None,
        refusal: remedies.Refusal | None = None,
    ) -> None:
        super().__init__(message, path=path, errno_=errno_)
        self.refusal = refusal


class VerificationError(DestinationFileError):
    """What was read back differs from what was read from the source (after one re-read)."""


# A destination that returns these is not fit for any further file: detach it.
_DESTINATION_LOST_ERRNOS = frozenset(
    code
    for code in (
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EIO,
        errno.ENOTCONN,
        errno.ENODEV,
        errno.ENXIO,
        errno.EROFS,
        errno.ESTALE,
        getattr(errno, "EREMOTEIO", None),
        errno.ESHUTDOWN,
        errno.ENOMEDIUM,
        errno.ECONNABORTED,
        errno.ECONNREFUSED,  # an S3 endpoint that refuses connections: the server down
        errno.EKEYEXPIRED,  # an S3 session token expired: every later request refused too
    )
    if code is not None
)


# The control characters a terminal acts on instead of showing (ESC starts a sequence that
# moves the cursor, erases or recolours; a newline starts what reads as a line of its own):
# C0, DEL and C1 (U+0080..U+009F, which some terminals take as 8-bit controls: U+009B is CSI).
# And the characters that show nothing yet change what is shown (:class:`_Escapes`).
# Public: the PDF report and the CSV cells spell them the same way (``report.pdf``,
# ``report.csv_cells``), from this one table.


class _Escapes(dict[int, "str | int"]):
    """``str.translate``'s table of the characters a name is printed escaped for: C0, DEL
    and C1 as listed (``\\xNN``, C1 ``\\u00NN``), and, looked up on first sight, every
    Unicode format character (category Cf: the bidi overrides and isolates U+202A-U+202E,
    U+2066-U+2069 -- ``bidi<U+202E>vom.exe`` shows as ``bidiexe.mov`` --, the zero-width
    U+200B-U+200F, U+2060, the BOM U+FEFF, the soft hyphen U+00AD, the tags U+E0001...), the
    line and paragraph separators (Zl U+2028, Zp U+2029: a line break to many viewers) and
    the noncharacters (U+FFFE, U+FFFF, U+FDD0-U+FDEF...), as ``\\uNNNN`` (``\\UNNNNNNNN``
    beyond U+FFFF, as Python writes them). Every other character maps to itself. A subclass
    of dict so that ``translate`` stays C code for the characters seen before; the category
    is asked once a character (``__missing__``), never for the whole of Unicode at import.
    Callers skip it for a printable text (``str.isprintable``: no Cc, Cf, Zl, Zp or Cn
    character), nearly every name."""

    def __missing__(self, code: int) -> str | int:
        import unicodedata

        # A noncharacter (U+FFFE, U+FFFF, U+FDD0-U+FDEF, the last two of each plane) is
        # never text, XML holds none of U+FFFE/U+FFFF, and a terminal shows nothing of it.
        noncharacter = 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
        if noncharacter or unicodedata.category(chr(code)) in ("Cf", "Zl", "Zp"):
            value: str | int = f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
        else:
            value = code
        self[code] = value
        return value


CONTROL_ESCAPES = _Escapes({code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)})
CONTROL_ESCAPES.update({code: f"\\u{code:04x}" for code in range(0x80, 0xA0)})
_CONTROLS_BUT_NEWLINE = _Escapes(
    {code: shown for code, shown in CONTROL_ESCAPES.items() if code != 0x0A}
)


def _is_mark(char: str) -> bool:
    """Whether *char* is shown as its code in a name that is not NFC: a combining mark
    (``U+0301``), a character NFC replaces (the singletons: the Angstrom sign U+212B is
    U+00C5 composed) or a Hangul vowel or final consonant jamo (class 0, yet composed with
    the syllable before it)."""
    import unicodedata

    return bool(
        unicodedata.combining(char)
        or 0x1160 <= ord(char) <= 0x11FF
        or unicodedata.normalize("NFC", char) != char
    )


def _code_of(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def spelled_apart(text: str) -> str:
    """*text* with the characters that make it look like another name spelled as codes
    where it is not NFC: a name and its NFC/NFD twin (``Cafe`` U+0301 ``.mov`` and ``Caf``
    U+00E9 ``.mov``, two files on one ext4 card) show alike once drawn, so a line naming one
    could not be told from a line naming the other. The NFC name (what nearly every camera
    and OS writes) is shown as it is; in any other, each combining mark, singleton or
    trailing jamo is written ``\\u0301`` as :data:`CONTROL_ESCAPES` spells a format
    character: ``Cafe\\u0301.mov``. ASCII returns at once; the rest costs one C check
    (``unicodedata.is_normalized``). The one rule of the terminal's lines, the HTML and the
    PDF (saved JSON and CSV keep the exact name)."""
    if text.isascii():
        return text
    import unicodedata

    if unicodedata.is_normalized("NFC", text):
        return text
    return "".join(_code_of(char) if _is_mark(char) else char for char in text)


def escaped_invisible(text: str) -> str:
    """*text* with every character :data:`CONTROL_ESCAPES` lists escaped as it spells them:
    C0, DEL and C1 controls (``\\x0a``, ``\\u0085``), format characters and line/paragraph
    separators (``\\u202e``). Printable text (``str.isprintable``: nearly every name, in
    any script) is returned as it is, without a look-up a character. A CSV cell, whose
    controls its writer escaped already its own way, gets only the rest spelled; the PDF's
    ``latin1`` all of them. Not a name's bytes that are not UTF-8 (surrogates: left as
    they are, for the caller to spell)."""
    return text if text.isprintable() else text.translate(CONTROL_ESCAPES)


def printable_name(path: str) -> str:
    """A name (a path) as the terminal shows it, the one spelling of a name in every line
    printed (warnings, errors, the summary, the live view, ``--dry-run``): bytes that are not
    UTF-8 as ``\\xNN``, control characters as ``\\xNN`` (``\\x1b``, a newline ``\\x0a``; C1 as
    ``\\u0085``), so a name can neither forge a line nor drive the terminal; a format character
    or a line/paragraph separator as ``\\u202e`` (:data:`CONTROL_ESCAPES`), so a name cannot
    show as another (``bidi<U+202E>vom.exe`` as ``bidiexe.mov``). A literal backslash shows
    as it is, as ``ls`` shows it (``back\\slash.mov``), but where what follows it could read
    as an escape or as a doubled one (``x``, ``u``, ``U``, another backslash, an escape):
    there it is doubled (``a\\\\x0ab.mov``, the name, never the newline's ``a\\x0ab.mov``), so
    every spelling reads back as one name alone. Saved JSON keeps the exact name
    (``json_text``); the HTML and the PDF spell these the same way (the CSV its own way:
    ``csv_cells``)."""
    if "\\" in path:
        parts = [printable_name(part) for part in path.split("\\")]
        shown = [parts[0]]
        for index, part in enumerate(parts[1:], start=1):
            last = index == len(parts) - 1
            ambiguous = part[:1] in _READS_AS_ESCAPE if part else not last
            shown.append(("\\\\" if ambiguous else "\\") + part)
        return "".join(shown)
    if path.isprintable():  # no control, format or separator character, valid UTF-8
        return path if path.isascii() else spelled_apart(path)
    return spelled_apart(
        os.fsencode(path).decode("utf-8", "backslashreplace").translate(CONTROL_ESCAPES)
    )


# What may follow a literal backslash ``printable_name`` shows single: anything but the
# start of one of its escapes (``\\xNN``, ``\\uNNNN``, ``\\UNNNNNNNN``) or a backslash.
_READS_AS_ESCAPE = frozenset("xuU\\")


def coded_name(path: str) -> str:
    """*path* in ASCII alone: :func:`printable_name`'s spelling with every other character
    outside ASCII as its code too (``\\u00e9``, ``\\U0001f3ac``), the codes of the one rule
    (a byte that is not UTF-8 stays ``\\xNN``, never a character's code). What a line shows
    beside a name whose twin prints alike (``'é.mov' (\\u00e9.mov)`` against
    ``'e\\u0301.mov'``): QA found ``'\\xe9.mov'`` (Python's ``ascii()``), the notation of a
    byte that is not UTF-8, written for the character U+00E9."""
    shown = printable_name(path)
    if shown.isascii():
        return shown
    return "".join(char if char.isascii() else _code_of(char) for char in shown)


def shell_word(path: str | os.PathLike[str]) -> str:
    """*path* as one word of a command a message suggests (``offload verify '/media/DAY 2'``, ``aws
    s3api delete-object ... --key K``), which pasted into bash is that very path (key,
    pattern...), byte for byte: the one rule of every command offload-ai suggests, on the
    terminal, in the HTML, the PDF and the JSON alike. A name that prints as it is
    (:func:`printable_name`, its doubled backslashes aside) is quoted for a POSIX shell
    (``shlex.quote``), so that a name with a space or a quote is one argument. Any other is
    bash's ``$'...'`` quoting, each control character, byte that is not UTF-8, format
    character or mark of a name that is not NFC written ``\\xNN``, which bash turns back
    into that byte: the line stays one line, shows nothing a terminal acts on, and ASCII as
    it is, no later display escape changes it (the PDF, whose fonts lack the characters
    outside Latin-1, re-spells a word holding one as ``$'...'`` with its bytes:
    ``report.pdf.pasteable_words``). (A name first escaped for display and then quoted,
    ``'Cafe\\u0301'``, would paste as those six characters, naming no file: a delete of a
    key that does not exist succeeds, and the object stays.) A name that is not NFC
    (:func:`spelled_apart`) shows its marks as bytes too, so the word shows which twin it
    names, never its NFC twin's."""
    import shlex  # only where a message suggests a command

    text = os.fspath(path)
    # Printed as it is but for its backslashes, which the display may double (reversible)
    # and a single-quoted word keeps as they are.
    if all(printable_name(part) == part for part in text.split("\\")):
        return shlex.quote(text)
    return "$'" + dollar_body(text, twin=spelled_apart(text) != text) + "'"


def dollar_body(text: str, *, twin: bool) -> str:
    """*text* within bash's ``$'...'`` as :func:`shell_word` writes it: ``\\`` and ``'``
    escaped, each control character, byte that is not UTF-8, format character, and (*twin*:
    a name that is not NFC) mark as its bytes ``\\xNN``; the rest as it is. Exposed for a
    caller that finds a known path's word by its exact start (``s3mirror_words``)."""
    out = []
    for char in text:
        if char in "\\'":
            out.append("\\" + char)
        elif (
            char.isprintable()
            and not 0xDC80 <= ord(char) <= 0xDCFF
            and not (twin and _is_mark(char))
        ):
            out.append(char)
        else:
            out.extend(f"\\x{byte:02x}" for byte in os.fsencode(char))
    return "".join(out)


#: The same rule under the name some callers know it by.
pasteable_word = shell_word


def printable_text(text: str) -> str:
    """A message of one or more lines as printed on the terminal: :func:`printable_name`'s
    escapes but for the newlines the message means (a name within it printed raw, not
    through ``printable_name``, still cannot drive the terminal)."""
    try:
        encoded = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no name decodes to: shown as its escape
        encoded = text.encode("utf-8", "backslashreplace")
    return spelled_apart(
        encoded.decode("utf-8", "backslashreplace").translate(_CONTROLS_BUT_NEWLINE)
    )


def printable_line(text: str) -> str:
    """A message that is one line by contract (a file's error, a warning, a summary line) as
    the terminal prints it: :func:`printable_text`'s escapes and the newline's too (``\\x0a``).
    The names such a message holds come from the engine, the preflight and the ledger as
    they are; a newline in one (``new\\nline.mov``) would otherwise split the line, the rest
    printed as a line of its own (``ERROR: line.mov ...``)."""
    return printable_text(text).replace("\n", "\\x0a")


#: What may stand right before a path a message names, and right after it.
_BEFORE_PATH = frozenset(" /'\"(")
_AFTER_PATH = frozenset(" ;:,)'\"")


def names_path(message: str, path: str, *, folder: bool = False) -> bool:
    """Whether *message* names *path* already: as itself or as the end of a longer path (a
    copy's, the card file's), standing alone (not part of another name: "A001.xml" is not
    named by "A001.xml.bak", nor "a" by "disk full", nor "/mnt/d" by "/srv/mnt/d"; a name
    without a folder only after a slash or in quotes, not "a" by "on a drive"). A *folder*
    (a destination's root) is named by a path inside it too ("/mnt/d" by "/mnt/d/ascmhl").
    The one rule of every line that prefixes a path only where its message does not name it
    (the documents' problem lines, a manifest's error), so no line names it twice. *path*
    raw: a message names it as printed (``printable_name``: a literal backslash doubled) or
    as it is."""
    if not path:
        return False
    printed = printable_name(path)  # not idempotent: never printed again
    return _names(message, path, folder) or (printed != path and _names(message, printed, folder))


def _names(message: str, path: str, folder: bool) -> bool:
    """:func:`names_path`'s rule for *path* spelled one way."""
    ends = _AFTER_PATH | {"/"} if folder else _AFTER_PATH
    start = message.find(path)
    while start >= 0:
        end = start + len(path)
        before = message[start - 1] if start else " "
        after = message[end] if end < len(message) else " "
        if after == "." and (end + 1 == len(message) or message[end + 1] == " "):
            after = " "  # a sentence's full stop
        # A name of one word said alone ("a" in "on a drive") may be a word: a path only
        # after a folder's slash or in quotes.
        path_like = before in "/'\"" or "/" in path
        if before in _BEFORE_PATH and after in ends and path_like:
            return True
        start = message.find(path, start + 1)
    return False


def describe_os_error(exc: OSError) -> str:
    """``strerror (ERRNO)``, e.g. ``No space left on device (ENOSPC)``."""
    name = errno.errorcode.get(exc.errno or 0, str(exc.errno))
    text = exc.strerror or os.strerror(exc.errno or 0)
    return f"{text} ({name})"


def describe_os_error_below(exc: OSError, root: Path | str) -> str:
    """``describe_os_error``'s words, led by the path the error names (its ``filename``,
    printable) when that is not *root* itself: ``<root>/CLIPS/LOCKED: Permission denied
    (EACCES)`` for a folder below *root* that cannot be listed, where the words alone would
    say only that *root* could not be checked."""
    where = exc.filename
    if where is None or os.path.normpath(os.fsdecode(where)) == os.path.normpath(os.fspath(root)):
        return describe_os_error(exc)
    return f"{printable_name(os.fsdecode(where))}: {describe_os_error(exc)}"


def source_io_error(exc: OSError, operation: str, path: Path | str) -> SourceError:
    """Wrap an OS error raised while reading the source; a permission says what to do, and
    a file whose path is gone (ENOENT, ENOTDIR) at any operation, its open, a stat, the
    re-read of a source verification, that it was on the card at the scan and is gone now,
    and what to do. Every message but a permission's ends with ``describe_os_error``'s words
    (``card_presence`` tells a gone card's files by them)."""
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return SourceError(
            f"source {printable_name(str(path))} was on the card when it was scanned and is "
            "gone now (deleted, or the card changed or was pulled): unless it was deleted on "
            "purpose, put it, or the right card, back; then run the same command again (a "
            f"new scan: a file deleted on purpose is left out); cannot {operation} it: "
            f"{describe_os_error(exc)}",
            path=path,
            errno_=exc.errno,
        )
    advice = (
        "; give this user read access to it, then run the same command again to copy it"
        if exc.errno == errno.EACCES
        else ""
    )
    # Its drive gone (ENOTCONN...): what to do, as the preflight's line for it says, before
    # the errno's words (which end the message: ``card_presence`` reads them).
    gone = (
        ": the drive holding it went away: reconnect it, then run the same command again"
        if exc.errno in DRIVE_GONE_ERRNOS
        else ""
    )
    return SourceError(
        f"cannot {operation} source {printable_name(str(path))}{gone}: "
        f"{describe_os_error(exc)}{advice}",
        path=path,
        errno_=exc.errno,
    )


# The stand-in path of an S3 destination's objects (``destinations.s3url.S3_ROOT``, which
# imports this module): a network service, not a drive.
_S3_STAND_IN = "/s3:/"


def out_of_inodes(path: Path | str) -> bool:
    """Whether the filesystem holding *path* (or its nearest existing folder) has no inode
    left for an unprivileged writer while it still has free space: its ENOSPC means "no
    more files", not "no more bytes". False when it cannot tell (nothing there to ask, no
    fixed number of inodes: ``f_files`` 0)."""
    st = _statvfs_nearest(path)
    return st is not None and bool(st.f_files) and st.f_favail == 0 and st.f_bavail > 0


def _statvfs_nearest(path: Path | str) -> os.statvfs_result | None:
    """``statvfs`` of *path*, else of its nearest existing folder above; None when none
    answers."""
    where = os.path.abspath(path)
    while True:
        try:
            return os.statvfs(where)
        except OSError:
            parent = os.path.dirname(where)
            if parent == where:
                return None
            where = parent


# What some filesystems answer a write with once they are full, instead of ENOSPC: fusefat
# EPERM (its create, mkdir and write alike), others EFBIG or EIO. Only with the filesystem's
# own free space below two blocks (``full_in_other_words``) is such an error a full drive.
_FULL_IN_OTHER_WORDS = frozenset({errno.EPERM, errno.EFBIG, errno.EIO})

# The destination operations that ask for room (``destination_io_error``'s words): only their
# failure can be a full drive's in other words. A read-back or a reach (stat) asks for none:
# an EIO there on a drive the run just filled is the drive's or its cable's, and says so.
_WRITE_SIDE = frozenset({"create", "write", "record", "mkdir", "probe", "flush", "name"})


def _asks_for_room(operation: str, code: int | None) -> bool:
    """Whether *operation* failing with *code* may be a full drive's answer. A rename may
    ask for room too: on FAT/exFAT a longer name takes more directory entries, maybe a new
    cluster, and fusefat answers a full drive with EPERM; an EIO at a rename stays the
    drive's (or its cable's), as at a read-back."""
    return operation in _WRITE_SIDE or (operation == "rename" and code == errno.EPERM)


def full_in_other_words(code: int | None, path: Path | str) -> bool:
    """Whether *code* (EPERM, EFBIG or EIO), raised by a write under *path*, is a full drive:
    its filesystem (that of *path* or its nearest existing folder) has fewer than two blocks
    free. False where it cannot tell (no ``statvfs``, a size of 0 blocks: fusefat on FAT32),
    so a drive with room keeps its own error's advice. Asked on a failure only."""
    if code not in _FULL_IN_OTHER_WORDS:
        return False
    st = _statvfs_nearest(path)
    if st is None:
        return False
    block = max(st.f_bsize, st.f_frsize, 1)
    return st.f_blocks > 0 and st.f_bavail * st.f_frsize < 2 * block


def free_space_unread(path: Path | str) -> bool:
    """Whether the filesystem of *path* (or of its nearest existing folder) says nothing of
    its free space: a size of 0 blocks (fusefat on a FAT32 volume), as the preflight's
    ``free-space-unknown`` warning found it (``plan.filesystem.statvfs_space``). There a
    full drive cannot be told from another refusal (``full_in_other_words`` says False).
    Asked on a failure only. Any filesystem that reports 0 blocks, not fusefat's alone (as
    the preflight's warning is given of any): an EPERM there may be a refusal of another
    kind, hence the words' "may be full", never "is full"."""
    st = _statvfs_nearest(path)
    return st is not None and st.f_blocks == 0


#: Added to an EPERM of a write where ``free_space_unread``: fusefat answers a full FAT32
#: drive so, and whether this one is full cannot be read.
MAY_BE_FULL = (
    "the drive may be full (its free space could not be read: its filesystem reports a size "
    f"of 0 blocks): free space there (or choose a larger drive){remedies.RESUME}"
)


def on_network_share(path: Path | str) -> bool:
    """Whether *path* (or its nearest existing folder) is on a network share: its mount's
    type is one of ``fs.below.NETWORK_FILESYSTEMS`` (NFS, SMB, sshfs, ...), whose EIO is
    the server's or the network's, not a drive's or its cable's. Read from the mount table,
    on an error only; never raises."""
    # Here, not with the module: every command imports this module, few meet an error.
    from offload.fs.below import NETWORK_FILESYSTEMS
    from offload.plan.filesystem import detect_filesystem

    return detect_filesystem(Path(path)).fstype in NETWORK_FILESYSTEMS


#: What to do about an EIO on a network share (``on_network_share``), where a drive's is
#: "check the drive and its cable": the server answered with an error, or is gone (sshfs
#: answers EIO once its server died with ``-o reconnect``, or the server's disk filled).
SHARE_EIO = "check the server, its disk and the network"


def vanished(path: Path | str) -> str:
    """Why a folder seen a moment before answers ENOENT now, in words: it vanished, removed
    on the server or seen through a share's stale cache (sshfs keeps showing a folder
    removed on its server) where *path* is on a network share, removed or renamed meanwhile
    elsewhere. Never a permission or a file to move away: run the same command again (it
    then sees what is there)."""
    if on_network_share(path):
        return "the folder vanished (removed on the server, or the share's cache is stale)"
    return "the folder vanished (removed or renamed meanwhile)"


def read_error_words(exc: OSError, *, share: bool) -> str:
    """Why a file could not be read and what to do, for ``offload verify``'s UNREADABLE
    (reason ``read-error``): ``describe_os_error``'s words, then by the errno: a drive or
    share gone (``DRIVE_GONE_ERRNOS``): reconnect it; EIO on a network share (*share*):
    the server, its disk and the network; EIO elsewhere: the drive and its cable (a file
    that stays unreadable is damaged there); EACCES, EPERM: read access; each then the same
    command again."""
    words = describe_os_error(exc)
    again = "then run the same command again"
    if exc.errno in DRIVE_GONE_ERRNOS:
        return f"{words}: the drive or share went away: reconnect it, {again}"
    if exc.errno == errno.EIO and share:
        return f"{words}: the share could not be read: {SHARE_EIO}, {again}"
    if exc.errno == errno.EIO:
        return (
            f"{words}: the drive could not read it: check the drive and its cable, {again} "
            "(a file that stays unreadable is damaged there)"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{words}: give this user read access to it, {again}"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        why = (
            "removed on the server, or the share's cache is stale"
            if share
            else "removed or renamed meanwhile"
        )
        return f"{words}: it vanished while it was read ({why}), {again}"
    return f"{words}: {again} once that is fixed"


def _lost_what_to_do(
    code: int | None, *, service: bool = False, inodes_out: bool = False, share: bool = False
) -> str:
    """What to do about a destination lost to *code* (the copies it verified are kept, and
    a re-run resumes from its ledger); *service*: an S3 service, not a drive (its own words
    for a session token expired or credentials not renewed, EKEYEXPIRED; the bucket not
    found, ENODEV; a service failing or out of reach otherwise: EACCES, credentials refused,
    loses no destination, ``_DESTINATION_LOST_ERRNOS``); *inodes_out*:
    an ENOSPC with free space left but no inode (``out_of_inodes``); *share*: a network
    share (``on_network_share``), whose EIO is its server's or the network's."""
    if service and code == errno.EKEYEXPIRED:
        from offload.destinations.s3credentials import TOKEN_ADVICE

        what = TOKEN_ADVICE
    elif service and code == errno.ENODEV:
        # The service answered NoSuchBucket: no outage, a bucket deleted or another one
        # than meant (a mistyped URL or endpoint); the words of a ledger so unread.
        what = (
            "check the bucket name in the URL and the endpoint (--s3-endpoint, "
            "AWS_ENDPOINT_URL, or the profile's endpoint_url)"
        )
    elif service and code not in (errno.ENOSPC, errno.EDQUOT):
        what = (
            "the S3 service kept failing, did not answer in time or could not be reached: "
            "check the endpoint, the network and the service's status"
        )
    elif code == errno.ENOSPC and inodes_out:
        what = (
            "the destination is out of inodes (it has free space, but no room for another "
            "file or folder): delete files there, or choose another drive (a filesystem "
            "made with more inodes)"
        )
    elif code in (errno.ENOSPC, errno.EDQUOT):
        what = "the destination is full: free space there (or choose a larger drive)"
    elif code == errno.EROFS:
        what = "the destination turned read-only (often a drive's own reaction to errors): check it"
    elif code == errno.EIO and share:
        what = f"the share could not read or write: {SHARE_EIO}"
    elif code == errno.EIO:
        what = "the drive could not read or write: check the drive and its cable"
    else:
        what = "the drive or share went away: reconnect it"
    return f"{what}{remedies.RESUME}"


# The errnos of a drive that is full (out of room, of inodes or of quota): it still answers,
# it has no room for what is written (a write probe refused so: "full", not "read-only").
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

# What a path on a drive that is gone answers: its FUSE program gone (a killed exfat-fuse,
# ntfs-3g: ENOTCONN, ECONNABORTED), its device gone (ENODEV, ENXIO, ENOMEDIUM), a share's
# handle gone stale or its connection shut (ESTALE, ESHUTDOWN). Not EIO: a drive that still
# answers but fails may hold a bad copy (the cascade's advice, `--overwrite`, depends on it).
DRIVE_GONE_ERRNOS = frozenset(
    {
        errno.ENOTCONN,
        errno.ENODEV,
        errno.ENXIO,
        errno.ENOMEDIUM,
        errno.ESTALE,
        errno.ESHUTDOWN,
        errno.ECONNABORTED,
    }
)
# What a path on a drive that went away or fails raises: gone (above), or failing (EIO,
# EREMOTEIO). Not ENOSPC nor EROFS: a full or read-only drive still answers.
_UNREACHABLE_ERRNOS = DRIVE_GONE_ERRNOS | frozenset(
    code for code in (errno.EIO, getattr(errno, "EREMOTEIO", None)) if code is not None
)


class DriveUnreachable(UsageError):
    """A path named on the command line (a destination, a source, a folder to verify) is on
    a drive that went away or cannot be read: refused before anything is written (exit 64),
    in one line that names the path and says to reconnect the drive. Why not "cannot read
    the ledger, move it away": the ledger is fine, the drive is not there."""


def drive_unreachable(exc: OSError, path: Path | str) -> DriveUnreachable | None:
    """The error to raise for *exc*, met looking at *path*, when its errno says the drive
    went away or fails (``_UNREACHABLE_ERRNOS``); None for any other error (the caller's
    own message then). An EIO on a network share (``on_network_share``) names the share
    and its server, its disk and the network (``SHARE_EIO``), not a drive's cable."""
    if exc.errno not in _UNREACHABLE_ERRNOS:
        return None
    shown = printable_name(str(path))
    text = exc.strerror or os.strerror(exc.errno or 0)
    if exc.errno == errno.EIO and on_network_share(path):
        what = f"the share holding {shown} cannot be read ({text}): {SHARE_EIO}"
    elif exc.errno == errno.EIO:
        what = f"the drive holding {shown} cannot be read ({text}): check the drive and its cable"
    else:
        what = f"the drive holding {shown} is not reachable ({text}): reconnect it"
    return DriveUnreachable(f"{what}, then run the same command again", path=path, errno_=exc.errno)


def reach(path: Path | str) -> os.stat_result | None:
    """``os.stat`` of *path*: None when nothing is there (ENOENT, ENOTDIR; as ``Path.exists``
    says False); DriveUnreachable when its drive went away (``drive_unreachable``); any
    other OSError (EACCES, ELOOP) raised as it is. The one look at a path the user named
    whose drive may be gone: ``Path.is_dir`` raises a bare OSError there (a traceback) and
    ``os.path.isdir`` says False (``does not exist``, a wrong remedy)."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise drive_unreachable(exc, path) or exc from None


def unexpanded_tilde(path: Path | str) -> str:
    """A hint for *path*, which does not exist, when a ``~`` no shell expanded is why: a
    quoted ``~`` (``offload copy '~/A001' D``) reaches the program as it is and is read from
    the current folder (``<cwd>/~/A001``). Said as ``"; ..."`` after the error's words,
    naming the path the user likely meant. Only for a ``~`` that began the word as typed:
    *path* itself starts with ``~``, or (a caller that made it absolute) its first part
    below the current folder does; a shell expands no ``~`` mid-path (``/mnt/RAID/~root``
    is a folder's name). Empty otherwise, or when that ``~`` folder is there (a folder
    really named so)."""
    typed = os.fspath(path)
    if not typed.startswith("~"):
        here = Path(os.getcwd()).parts
        parts = Path(os.path.abspath(typed)).parts
        if parts[: len(here)] != here or len(parts) == len(here):
            return ""
        typed = os.path.join(*parts[len(here) :])
        if not typed.startswith("~"):
            return ""
    part = Path(typed).parts[0]
    if os.path.lexists(part):
        return ""
    meant = os.path.expanduser(typed)
    said = f"; {part} was not expanded (the shell leaves a quoted ~ as it is)"
    if meant.startswith("~"):  # ~name of no user here: no path to offer
        return f"{said}: write the path without quotes around {part}"
    return f"{said}: did you mean {printable_name(meant)}? write it without quotes around {part}"


def unreachable_ancestor(path: Path | str) -> DriveUnreachable | None:
    """The DriveUnreachable of *path*, or of its nearest ancestor that exists (a target
    file or folder still to be made), when that drive went away; None when it answers
    (whatever else is wrong with *path* is the preflight's to say)."""
    current = os.path.abspath(path)
    while True:
        try:
            os.stat(current)
            return None
        except (FileNotFoundError, NotADirectoryError):
            parent = os.path.dirname(current)
            if parent == current:
                return None
            current = parent
        except OSError as exc:
            return drive_unreachable(exc, path)


def closed_folder(path: Path | str) -> str | None:
    """The outermost folder above *path* this process may not enter (no search permission
    for its effective ids), or None when every one may be entered. Why: ``lstat`` of a path
    below such a folder fails with EACCES, which ``os.path.lexists`` reports as "not there"
    and a read reports against the file: the folder is what the user must fix."""
    effective = os.access in os.supports_effective_ids
    parent = os.path.dirname(os.path.abspath(path))
    folders: list[str] = []
    while True:
        folders.append(parent)
        above = os.path.dirname(parent)
        if above == parent:
            break
        parent = above
    for folder in reversed(folders):
        # A folder missing, or a file where a folder is named: no permission is at fault
        # (os.access says False for those too).
        if not os.path.isdir(folder):
            return None
        if not os.access(folder, os.X_OK, effective_ids=effective):
            return folder
    return None


def _once(path: str, shown: str, device: str, words: str) -> tuple[str, str]:
    """*shown* (the stand-in path of an S3 object or copy root) and *words* (the store's
    error, which names the object by its ``s3://`` URL: ``cannot upload part 2 of
    s3://bucket/key (endpoint): ...``) so that the line names each once: the object named
    again in *words* is "it" there; a stand-in path that is the destination *device*
    itself is not named before it ("cannot reach destination s3://bucket/prefix")."""
    url = "s3://" + path[len(_S3_STAND_IN) :] if path.startswith(_S3_STAND_IN) else path
    if url == device:
        return "", words
    # A phrasal verb takes "it" before its particle: "cannot read it back (endpoint)", not
    # "cannot read back it" (the store's "cannot read back URL", "cannot look up URL").
    for before, after in (
        (f" back {url} (", " it back ("),
        (f" up {url} (", " it up ("),
        (f" of {url} (", " of it ("),
        (f" {url} (", " it ("),
    ):
        if before in words:
            return shown, words.replace(before, after, 1)
    return shown, words


def name_refused_advice(card_path: str | None, *, folder: bool = False) -> str:
    """What to do about a name a destination's filesystem refused (EILSEQ: ntfs-3g,
    exfat-fuse): the ``--ignore`` that leaves the file (*folder*: the folder) out, from
    *card_path*, its path on the card, where known, another destination, or a rename."""
    kind = "folder" if folder else "file"
    if card_path:
        from offload.plan.ignore import ignore_argument

        leave = f"leave the {kind} out with --ignore {ignore_argument(card_path)}"
    else:
        leave = f"leave the {kind} out with --ignore and its path on the card"
    return (
        "the destination's filesystem does not take this name as it is (a byte that is not "
        f"UTF-8, say): {leave}, choose another destination (ext4 takes any name), or rename "
        "it on the source (a write to the card)"
    )


def destination_io_error(
    exc: OSError,
    operation: str,
    path: Path | str,
    device: str,
    *,
    card_path: str | None = None,
    folder: bool = False,
) -> OffloadError:
    """Wrap an OS error raised on a destination, choosing the scope from the errno. The
    message names *path* and, where *path* is not inside it (an S3 stand-in, a *device*
    that is no folder), the destination *device*: ``cannot OPERATION PATH[ on destination
    DEVICE]: strerror (ERRNO)``, then what to do for a lost destination.

    Lost-device errnos (ENOSPC, EIO, ENOTCONN, EROFS, ...) give DestinationError (detach the
    destination; an EIO on a network share, ``on_network_share`` of *device*, says to check
    the server, its disk and the network); anything else (EFBIG, ENAMETOOLONG, EEXIST,
    EACCES, EINVAL...) is limited to this file. A name the filesystem refuses (EILSEQ) says
    how to leave the file (*folder*: the folder) out: ``--ignore`` with *card_path*, its
    path on the card, where the caller knows it.
    """
    # The name as the terminal shows it (the report's path fields keep it exact).
    shown = printable_name(str(path))
    service = str(path).startswith(_S3_STAND_IN) or device.startswith("s3://")
    if service and operation == "rename":
        # An object store has no rename: its publish of a replacement is a server-side copy.
        operation = "publish"
    # A path inside the destination names it already: "cannot write /RAID/A001/C1.mov on
    # destination /RAID" printed /RAID twice, three times after "destination /RAID lost: ".
    words = describe_os_error(exc)
    text = str(path)
    if service:
        shown, words = _once(text, shown, device, words)
        named = f"{shown} on destination {device}" if shown else f"destination {device}"
    else:
        inside = text == device or text.startswith(device.rstrip("/") + "/")
        named = shown if inside else f"{shown} on destination {device}"
    message = f"cannot {operation} {named}: {words}"
    if (
        not service
        and _asks_for_room(operation, exc.errno)
        and full_in_other_words(exc.errno, path)
    ):
        # A full drive whose filesystem says so otherwise (fusefat: EPERM): the error kept
        # as it was answered, the advice a full drive's, the destination lost as on ENOSPC.
        what = _lost_what_to_do(errno.ENOSPC)
        message = (
            f"{message} (its filesystem's answer when it is full: no free space is left "
            f"there); {what}"
        )
        full = DestinationError(message, path=path, errno_=exc.errno)
        full.answered_full = True
        return full
    if (
        not service
        and exc.errno == errno.EPERM
        and _asks_for_room(operation, exc.errno)
        and free_space_unread(path)
    ):
        # fusefat on FAT32 answers a full drive with EPERM and reports no size (the preflight
        # warned its free space unknown): maybe full, maybe not, said so; the file alone fails.
        # Said on any filesystem reporting 0 blocks (no mount-table lookup on a failure):
        # "may" holds there too, its free space unknown as the preflight warned.
        message = f"{message}; {MAY_BE_FULL}"
    if exc.errno == errno.EILSEQ and not service:
        # ntfs-3g, exfat-fuse: a name that is not UTF-8 (or a character the filesystem
        # refuses), which the preflight refuses where it knows the filesystem.
        message = f"{message}; {name_refused_advice(card_path, folder=folder)}"
    if exc.errno == errno.EACCES and service and operation == "read back":
        # The credentials may store but not read (a policy without s3:GetObject, a KMS key
        # they may not use): no copy is verified there until they may. What the read-back
        # stored is deleted as any copy not verified is (``remove_partial``), unless the
        # service refused that too, which ``left_behind`` then names.
        message = (
            f"{message}; the credentials may store objects there but not read them back "
            "(s3:GetObject, or the KMS key they are encrypted with): use credentials that "
            "may, then run the same command again to copy it again (this upload is deleted, "
            "as any copy not verified is, unless the report's left_behind names it)"
        )
    if service and exc.errno == errno.EREMOTEIO:
        # A bucket in another region than the endpoint serves (``s3region``): the words
        # say what to do already, the preflight's.
        return DestinationError(f"{message}{remedies.RESUME}", path=path, errno_=exc.errno)
    if exc.errno in _DESTINATION_LOST_ERRNOS:
        # A full disk and one out of inodes both give ENOSPC; only the filesystem can say
        # which (statvfs, on this failure only).
        inodes_out = exc.errno == errno.ENOSPC and not service and out_of_inodes(path)
        # An EIO's advice depends on what answered it: a share's server or a drive.
        share = exc.errno == errno.EIO and not service and on_network_share(device)
        what = _lost_what_to_do(exc.errno, service=service, inodes_out=inodes_out, share=share)
        message = f"{message}; {what}"
        return DestinationError(message, path=path, errno_=exc.errno)
    return DestinationFileError(message, path=path, errno_=exc.errno)
