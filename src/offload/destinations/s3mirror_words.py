"""The words of ``offload verify``'s S3 check naming its local mirror, named again by the URL.

``offload verify s3://...`` checks a temporary folder (the mirror) that the local check's
words name: a path of it in a note, an ``offload verify PATH`` it suggests. Each is named
again by the URL (``at_url``), so that no temporary path is shown and a suggested command,
pasted, checks the same objects on the same service.

Contract: a word of the mirror is found by its exact spelling, never by re-parsing the
text's words: ``errors.shell_word`` of the mirror's path or of a path below it (bare,
``'...'`` or bash's ``$'...'``), checked by writing it again (a word that does not come
back the same is left as it is); the raw path, anywhere else, as it is. ``offload verify
`` followed at once by such a word (or ``--mhl-file`` and one) gets the service's options
(*reach*); prose ("offload verify of ...") gets none. Raises nothing.
"""

from __future__ import annotations

import os
import re
import shlex

from offload.destinations.s3url import S3Url
from offload.errors import dollar_body, shell_word

#: The rest of a word after its known start, up to its closing quote (bare: its safe
#: characters, those ``shlex.quote`` leaves bare).
_BARE_REST = r"[\w@%+=:,./-]*(?![\w@%+=:,./-])"
_QUOTED_REST = r"[^']*(?:'\"'\"'[^']*)*'"
_DOLLAR_REST = r"(?:[^'\\]|\\.)*'"
#: What stands before a command's first word naming the mirror: ``offload verify `` and,
#: optionally, ``--mhl-file`` and its word.
_COMMAND = "offload verify "


def _word_pattern(mirror: str) -> re.Pattern[str]:
    """The words that may name *mirror* or a path below it, as ``shell_word`` writes them."""
    forms = []
    if shlex.quote(mirror) == mirror:
        forms.append(re.escape(mirror) + _BARE_REST)
    forms.append(re.escape("'" + mirror.replace("'", "'\"'\"'")) + _QUOTED_REST)
    for twin in (False, True):
        forms.append(re.escape("$'" + dollar_body(mirror, twin=twin)) + _DOLLAR_REST)
    unique = "|".join(dict.fromkeys(forms))
    return re.compile(
        rf"(?P<command>{re.escape(_COMMAND)}(?:--mhl-file )?)?(?<![^\s(`=])(?P<word>{unique})",
        re.ASCII,
    )


def _unquoted(word: str) -> str | None:
    """The text bash makes of *word*, written as ``shell_word`` writes one; None for any
    other spelling (an escape it never writes, ``\\x`` without two hex digits)."""
    if word.startswith("$'"):
        body, out, at = word[2:-1], bytearray(), 0
        while at < len(body):
            char = body[at]
            if char != "\\":
                out += os.fsencode(char)
                at += 1
            elif body[at + 1 : at + 2] in ("\\", "'"):
                out += body[at + 1].encode()
                at += 2
            elif body[at + 1 : at + 2] == "x" and re.fullmatch(
                "[0-9a-f]{2}", body[at + 2 : at + 4]
            ):
                out.append(int(body[at + 2 : at + 4], 16))
                at += 4
            else:
                return None
        return os.fsdecode(bytes(out))
    if word.startswith("'"):
        return word[1:-1].replace("'\"'\"'", "'")
    return word


def at_url(text: str, root: str, url: S3Url, reach: str = "") -> str:
    """*text* (an error, a note) with each word and path naming the mirror *root* (or a
    path below it) named by *url*; an ``offload verify`` it suggests given *reach*
    (``s3commands.offload_reach``). See the module's contract."""
    mirror = root.rstrip("/") or "/"
    if mirror == "/":  # no mirror is the root folder; nothing of it to tell apart
        return text

    def rewritten(found: re.Match[str]) -> str:
        word, after = found.group("word"), ""
        if not word.endswith("'"):  # bare: a sentence's ",", ":", "." after it is not its
            kept = word.rstrip(".,:;")
            word, after = kept, word[len(kept) :]
        path = _unquoted(word)
        if (
            path is None
            or not (path == mirror or path.startswith(mirror + "/"))
            or shell_word(path) != word
        ):
            return found.group()  # not a word shell_word wrote of the mirror: as it is
        command = found.group("command")
        head = "" if command is None else _COMMAND + reach + command[len(_COMMAND) :]
        return head + shell_word(str(url) + path[len(mirror) :]) + after

    text = _word_pattern(mirror).sub(rewritten, text)
    return text.replace(mirror, str(url))


__all__ = ["at_url"]
