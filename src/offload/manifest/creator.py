"""The creator fields an ASC MHL manifest can hold (``<creatorinfo>``): the one check, made
by the writer (``ascmhl.write_generation``) and by the commands when they parse their
options (``cli.common.manifest_options``), so that a value the schema refuses is refused
before anything is copied or verified, never after.

Imported only when a creator field is given: it loads the XML text helpers (and datetime).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from offload.manifest.xmltext import check_xml_string

if TYPE_CHECKING:
    from offload.manifest.model import CreatorInfo

# The XSD's EmailAddressAttributeType (an XSD pattern matches the whole value); the other
# creator fields are strings: any text XML 1.0 can carry.
_EMAIL = re.compile(r"[^@]+@[^.]+\..+", re.DOTALL)


def check_creator(creator: CreatorInfo) -> None:
    """Raise for a field of *creator* an ASC MHL manifest cannot hold: UnsupportedTreeError
    for characters XML 1.0 cannot carry, ValueError for an author e-mail the schema's
    pattern (``name@domain.tld``) refuses. The message names the field."""
    for label, value in (
        ("tool name", creator.tool_name),
        ("tool version", creator.tool_version),
        ("hostname", creator.hostname),
        ("author name", creator.author_name),
        ("author email", creator.author_email),
        ("author phone", creator.author_phone),
        ("author role", creator.author_role),
        ("location", creator.location),
        ("comment", creator.comment),
    ):
        if value is not None:
            check_xml_string(value, label)
    if creator.author_email is not None and not _EMAIL.fullmatch(creator.author_email):
        raise ValueError(
            f"author email {creator.author_email!r} is not an e-mail address the ASC MHL "
            "schema accepts (name@domain.tld)"
        )
