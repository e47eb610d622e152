"""``offload verify s3://...``'s words naming its temporary mirror, named again by the URL
(``s3mirror_words.at_url``, called directly on the texts the review found): bash, given
each suggested word, gives back the URL below the prefix, and no temporary path is left.

Failed before (``s3verify._at_url`` re-parsed the text's words with a regex): a bare word's
trailing ``,`` went into the quoted URL (``'s3://B/it'"'"'s/A001,'``); prose ("offload
verify of PATH") got ``--s3-endpoint`` in the middle of the sentence; a quoted or ``$'...'``
word of the mirror not right after ``offload verify`` was left naming the temporary folder;
a malformed ``$'\\x'`` raised ValueError."""

from __future__ import annotations

import re

from offload.destinations.s3mirror_words import at_url
from offload.destinations.s3url import parse_s3_url
from offload.errors import shell_word
from support.shell_words import WORD, bash_word

REACH = "--s3-endpoint http://127.0.0.1:9000 "


def _check(text: str, mirror: str, url: str) -> str:
    said = at_url(text, mirror, parse_s3_url(url), REACH)
    assert mirror not in said, said
    return said


def test_a_bare_word_before_a_comma_keeps_the_comma_out_of_the_url() -> None:
    mirror = "/tmp/offload-verify-x1/copy"
    url = "s3://rushes/it's"
    said = _check(f"check it with: offload verify {mirror}/A001, then format", mirror, url)
    word = shell_word("s3://rushes/it's/A001")
    assert said == f"check it with: offload verify {REACH}{word}, then format", said
    assert bash_word(word) == b"s3://rushes/it's/A001"


def test_prose_naming_the_mirror_gets_no_options() -> None:
    mirror = "/tmp/offload-verify-x2/copy"
    said = _check(
        f"a later offload verify of {mirror}/A001 reads it again", mirror, "s3://rushes/p"
    )
    assert said == "a later offload verify of s3://rushes/p/A001 reads it again", said


def test_a_quoted_word_of_the_mirror_anywhere_is_named_by_the_url() -> None:
    mirror = "/tmp/offload-verify-x3/Cafe\u0301 it's"
    url = "s3://rushes/Cafe\u0301 it's"
    for name in ("CLIPS/it's.mov", "bell\x07.mov", "plain.mov"):
        word = shell_word(f"{mirror}/{name}")
        said = _check(f"the file {word} is unreadable", mirror, url)
        (found,) = re.findall(rf"the file ({WORD}) is unreadable", said)
        assert bash_word(found) == f"{url}/{name}".encode(), said
        said = _check(
            f"check it: offload verify --mhl-file {word} {shell_word(mirror)}", mirror, url
        )
        assert said.startswith(f"check it: offload verify {REACH}--mhl-file "), said
        assert [bash_word(w) for w in re.findall(WORD, said.rpartition(REACH)[2])] == [
            b"--mhl-file",
            f"{url}/{name}".encode(),
            url.encode(),
        ], said


def test_a_malformed_word_is_left_as_it_is_and_raises_nothing() -> None:
    mirror = "/tmp/offload-verify-x4/Cafe\u0301"
    head = "$'" + "/tmp/offload-verify-x4/Cafe\\xcc\\x81"
    for text in (f"offload verify {head}/a\\x'", f"offload verify {head}/a\\q'"):
        said = at_url(text, mirror, parse_s3_url("s3://rushes/p"), REACH)
        assert said == text, said
