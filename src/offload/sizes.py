"""Sizes as people type them on a command line (``100KB``, ``4MiB``, ``1GiB``).

Owned here, not by the benchmark, because ``offload copy`` (``--s3-part-size``) parses them too.
"""

from __future__ import annotations


def parse_size(text: str) -> int:
    """``"1GiB"`` → 1073741824, ``"100KB"`` → 100000, ``"30MB"``, ``"4M"`` (MiB), ``"512"``.

    Decimal units (kB, KB, MB, GB) are powers of 10; binary ones (KiB, MiB, GiB, and the
    single letters K, M, G) powers of 2. Raises ValueError for anything else.
    """
    units = {
        "": 1,
        "b": 1,
        "kb": 10**3,
        "mb": 10**6,
        "gb": 10**9,
        "kib": 2**10,
        "mib": 2**20,
        "gib": 2**30,
        "k": 2**10,
        "m": 2**20,
        "g": 2**30,
    }
    cleaned = text.strip().lower().replace(" ", "")
    number = cleaned.rstrip("bgikm")
    unit = cleaned[len(number) :]
    message = f"not a size: {text!r} (examples: 512, 100KB, 30MB, 4MiB, 1GiB)"
    if unit not in units or not number:
        raise ValueError(message)
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise ValueError(message) from None
    if value <= 0:
        raise ValueError(f"size must be positive: {text!r}")
    return int(value)
