"""The repository's user documents, for tests that hold them to the code or to the tools
they name (docs/performance.md is the measurements' log, not a reference)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    "README.md",
    *(f"docs/{name}" for name in ("json.md", "reports.md", "s3.md", "reliability.md")),
    "docs/design.md",
]


def documents_text() -> str:
    """Every document's text, one after the other."""
    return "\n".join((REPO / name).read_text(encoding="utf-8") for name in DOCUMENTS)
