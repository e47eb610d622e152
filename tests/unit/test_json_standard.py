"""What offload-ai writes as JSON on purpose is standard JSON (RFC 8259): a float that is not
finite raises ValueError where it is encoded, never written as ``NaN`` or ``Infinity``, which
``json.loads`` takes but other tools (``jq``'s strict parsers, JavaScript's ``JSON.parse``)
refuse. No such float is made today; these pin the guard where a future one would land.
Each failed before: the encoder wrote ``NaN``/``Infinity``."""

from __future__ import annotations

import math

import pytest

from offload import json_text, ledger, manifest_stamp
from offload.ledger import entry_line, verified_entry


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("ascii_only", [False, True])
def test_json_text_refuses_a_float_that_is_not_finite(bad: float, ascii_only: bool) -> None:
    with pytest.raises(ValueError):
        json_text.dumps({"eta_s": bad}, ascii_only=ascii_only)
    with pytest.raises(ValueError):
        json_text.dumps({"eta_s": bad}, indent=2, ascii_only=ascii_only)
    with pytest.raises(ValueError):
        json_text.STRICT.encode([bad])


def test_json_text_writes_what_json_dumps_writes_otherwise() -> None:
    value = {"name": "caf\u00e9 \udce9", "n": 1, "t": 1.5, "none": None, "list": [True]}
    assert json_text.dumps(value) == '{"name": "caf\u00e9 \\udce9", "n": 1, "t": 1.5, ' + (
        '"none": null, "list": [true]}'
    )
    assert json_text.dumps(value, ascii_only=True).isascii()


def test_a_ledger_line_with_a_recorded_at_that_is_not_finite_is_refused() -> None:
    entry = verified_entry(
        "a", size_bytes=1, mtime_ns=2, digests={"xxh64": "00"}, partial_name="",
        final_name="", verify="full", recorded_at=math.inf,
    )  # fmt: skip
    with pytest.raises(ValueError):
        entry_line(entry)


def test_the_manifest_stamp_encoder_refuses_nan() -> None:
    with pytest.raises(ValueError):
        manifest_stamp.STRICT.encode([math.nan])


def test_one_strict_encoder_serves_the_ledger_and_the_manifest_stamp() -> None:
    assert ledger.STRICT is json_text.STRICT
    assert manifest_stamp.STRICT is json_text.STRICT
