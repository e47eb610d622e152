"""A list said in words: one text helper for the messages that name several things."""

from __future__ import annotations

from collections.abc import Sequence


def word_list(texts: Sequence[str]) -> str:
    """*texts* as one list in words: ``a``, ``a and b``, ``a, b and c`` (no serial comma).

    The texts are joined as they are: a caller naming paths makes each printable first
    (``plan.preflight.findings.join_paths``). Raises IndexError for none: a message that
    lists nothing has nothing to say."""
    if len(texts) == 1:
        return texts[0]
    return ", ".join(texts[:-1]) + " and " + texts[-1]
