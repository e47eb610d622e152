"""The PDF report, drawn with fpdf2 (pure Python; no system library, no font file).

A4 or Letter, portrait. Rows never split across pages: each row's height is measured before
it is drawn, and a row that does not fit starts a new page under a repeated table header.
States are words and marks (``OK``, ``~``, ``XX``, ``--``) with a heavy bar beside failed
rows, so a black-and-white print says what the colour says. The core fonts are Latin-1:
other characters are replaced (the HTML report keeps them).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from offload.report.content import ClipRow, ReportView, State

PAPERS = {"a4": "A4", "letter": "Letter"}
MARGIN = 12.0
LINE = 3.6  # mm per line at 7.5 pt
MAX_SIDECAR_LINES = 12
_REPLACEMENTS = {
    "✔": "OK",
    "✖": "XX",
    "≈": "~",
    "⚠": "!!",
    "–": "-",
    "—": "-",
    "…": "...",
    "→": "->",
    "’": "'",
    "“": '"',
    "”": '"',
}
RED = (170, 0, 20)
GREEN = (20, 90, 30)
AMBER = (130, 80, 0)
BLACK = (0, 0, 0)


def latin1(text: str) -> str:
    for symbol, plain in _REPLACEMENTS.items():
        text = text.replace(symbol, plain)
    return text.encode("latin-1", "replace").decode("latin-1")


@dataclass
class Segment:
    text: str
    style: str = ""
    size: float = 7.5
    color: tuple[int, int, int] = BLACK


def _state_segment(label: str, state: State) -> Segment:
    color = {
        "verified": GREEN,
        "verified_earlier": GREEN,
        "transfer_checked": AMBER,
    }.get(state.level, RED)
    style = "" if state.level in ("verified", "verified_earlier") else "B"
    return Segment(f"[{label}] {state.ascii_mark} {state.text}", style, 7.5, color)


class _Report(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-9)
        self.set_font("helvetica", "", 7)
        self.set_text_color(*BLACK)
        self.cell(0, 4, latin1(f"{self.footer_text}    page {self.page_no()}/{{nb}}"), align="C")


class PdfWriter:
    def __init__(self, view: ReportView, paper: str) -> None:
        self.view = view
        self.pdf = _Report(orientation="P", unit="mm", format=PAPERS.get(paper.lower(), "A4"))
        self.pdf.footer_text = view.title
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(False, margin=14)
        self.pdf.alias_nb_pages()
        self.pdf.set_title(latin1(view.title))
        self.pdf.set_creator("offload-ai")
        self.pdf.add_page()
        self.width = self.pdf.w - 2 * MARGIN
        self._wrapped: dict[tuple[str, str, float, float], list[str]] = {}
        self.bottom = self.pdf.h - 14

    # -- measuring and drawing blocks of text ---------------------------------------------
    def _lines(self, seg: Segment, width: float) -> list[str]:
        """*seg* wrapped to *width* mm: words first, characters for a word longer than a
        line (paths, digests). Own wrapping with the core font's metrics: fpdf2's
        multi_cell measured 4 ms a row, 20 s for a card of 5,000 files."""
        key = (seg.text, seg.style, seg.size, round(width, 3))
        cached = self._wrapped.get(key)
        if cached is not None:
            return cached
        self.pdf.set_font("helvetica", seg.style, seg.size)
        widths: Any = getattr(self.pdf.current_font, "cw", {})  # Latin-1 char → 1/1000 em
        scale = seg.size * 0.001 / self.pdf.k

        def measure(text: str) -> float:
            return float(sum(widths.get(c, 600) for c in text)) * scale

        space = measure(" ")
        lines: list[str] = []
        for paragraph in latin1(seg.text).split("\n"):
            line, used = "", 0.0
            for word in paragraph.split(" "):
                size = measure(word)
                if line and used + space + size <= width:
                    line, used = f"{line} {word}", used + space + size
                    continue
                if line:
                    lines.append(line)
                while size > width and len(word) > 1:
                    cut, taken = 0, 0.0
                    while cut < len(word) and taken + measure(word[cut]) <= width:
                        taken += measure(word[cut])
                        cut += 1
                    cut = max(cut, 1)
                    lines.append(word[:cut])
                    word = word[cut:]
                    size = measure(word)
                line, used = word, size
            lines.append(line)
        self._wrapped[key] = lines
        return lines

    def _height(self, segments: list[Segment], width: float) -> float:
        return sum(len(self._lines(seg, width)) * LINE * seg.size / 7.5 for seg in segments)

    def _draw(self, segments: list[Segment], x: float, y: float, width: float) -> None:
        for seg in segments:
            line_h = LINE * seg.size / 7.5
            self.pdf.set_font("helvetica", seg.style, seg.size)
            self.pdf.set_text_color(*seg.color)
            for line in self._lines(seg, width):
                # text() takes the baseline; a line's ascent is about 0.8 of the font size.
                self.pdf.text(x, y + line_h * 0.5 + seg.size * 0.3528 * 0.36, line)
                y += line_h
        self.pdf.set_text_color(*BLACK)
        self.pdf.set_xy(x, y)

    def _ensure(self, height: float, header: Any = None) -> None:
        if self.pdf.get_y() + height > self.bottom:
            self.pdf.add_page()
            if header is not None:
                header()

    def heading(self, text: str) -> None:
        self._ensure(14)
        self.pdf.ln(3)
        self.pdf.set_font("helvetica", "B", 11)
        self.pdf.cell(0, 6, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y = self.pdf.get_y()
        self.pdf.set_line_width(0.5)
        self.pdf.line(MARGIN, y, MARGIN + self.width, y)
        self.pdf.set_line_width(0.2)
        self.pdf.ln(1.5)

    def row(
        self,
        cells: list[tuple[float, list[Segment]]],
        *,
        image: bytes | None = None,
        image_w: float = 0.0,
        bad: bool = False,
        header: Any = None,
        fill: tuple[int, int, int] | None = None,
    ) -> None:
        pad = 1.0
        heights = [self._height(segs, w - 2 * pad) for w, segs in cells]
        image_h = 0.0
        if image is not None:
            info = self._image_size(image)
            image_h = image_w * info[1] / info[0] if info[0] else 0.0
        height = max([*heights, image_h]) + 2 * pad
        self._ensure(height, header)
        x, y = MARGIN, self.pdf.get_y()
        if fill is not None:
            self.pdf.set_fill_color(*fill)
            self.pdf.rect(x, y, sum(w for w, _ in cells), height, style="F")
        for width, segments in cells:
            self.pdf.rect(x, y, width, height)
            if segments:
                self._draw(segments, x + pad, y + pad, width - 2 * pad)
            x += width
        if image is not None:
            self.pdf.image(io.BytesIO(image), x=MARGIN + pad, y=y + pad, w=image_w, h=image_h)
        if bad:  # a heavy bar: failed rows stand out in black and white too
            self.pdf.set_fill_color(*RED)
            self.pdf.rect(MARGIN - 2.2, y, 1.8, height, style="F")
        self.pdf.set_xy(MARGIN, y + height)

    @staticmethod
    def _image_size(data: bytes) -> tuple[int, int]:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size

    # -- sections ---------------------------------------------------------------------------
    def title(self) -> None:
        view = self.view
        pdf = self.pdf
        pdf.set_font("helvetica", "B", 15)
        pdf.multi_cell(self.width, 7, latin1(view.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
        color = GREEN if view.verdict_ok else RED
        y = pdf.get_y()
        verdict = [Segment(view.verdict, "B", 11, color)]
        height = self._height(verdict, self.width - 6) + 5
        pdf.set_draw_color(*color)
        pdf.set_line_width(0.8 if view.verdict_ok else 1.6)
        pdf.rect(MARGIN, y, self.width, height)
        if not view.verdict_ok:
            pdf.set_line_width(0.4)
            pdf.rect(MARGIN + 1.5, y + 1.5, self.width - 3, height - 3)
        pdf.set_line_width(0.2)
        pdf.set_draw_color(*BLACK)
        self._draw(verdict, MARGIN + 3, y + 2.5, self.width - 6)
        pdf.set_xy(MARGIN, y + height + 1)
        self._draw([Segment(view.verdict_detail, "", 8)], MARGIN, pdf.get_y(), self.width)
        pdf.ln(1)

    def bullet_list(self, title: str, items: list[str], color: tuple[int, int, int]) -> None:
        if not items:
            return
        self.heading(title)
        for item in items:
            segs = [Segment(f"- {item}", "B" if color == RED else "", 8, color)]
            height = self._height(segs, self.width)
            self._ensure(height)
            self._draw(segs, MARGIN, self.pdf.get_y(), self.width)

    def key_values(self) -> None:
        half = (self.width - 4) / 2
        label_w = 24.0
        blocks = [("Production", self.view.production), ("Card", self.view.card)]
        self.heading("Production and card")
        pairs = max(len(b[1]) for b in blocks)
        for index in range(pairs):
            cells: list[tuple[float, list[Segment]]] = []
            for _, rows in blocks:
                if index < len(rows):
                    key, value = rows[index]
                    cells.append((label_w, [Segment(key, "B")]))
                    cells.append((half - label_w, [Segment(value or " ")]))
                else:
                    cells.append((label_w, []))
                    cells.append((half - label_w, []))
            self.row(cells)

    def destinations(self) -> None:
        self.heading("Destinations")
        for dest in self.view.destinations:
            values = dict(dest)
            bad = values.get("Result", "").startswith("✖")
            left = [
                Segment(f"Destination {values.get('Destination', '')}", "B", 8.5),
                Segment(values.get("Path", "")),
                Segment(f"Volume: {values.get('Volume', '') or 'unknown'}"),
                Segment(f"Free after: {values.get('Free after', '') or 'unknown'}"),
            ]
            right = [
                Segment(
                    f"Result: {values.get('Result', '')}",
                    "B",
                    8,
                    RED if bad else BLACK,
                ),
                Segment(
                    f"Verification: {values.get('Verification', '')}; "
                    f"algorithms: {values.get('Algorithms', '')}"
                ),
                Segment(
                    f"Duration: {values.get('Duration', '') or '-'}; "
                    f"speed: {values.get('Speed', '') or '-'}; "
                    f"written: {values.get('Written', '') or '-'}"
                ),
            ]
            self.row([(self.width / 2, left), (self.width / 2, right)], bad=bad)

    def clips(self) -> None:
        self.heading(f"Clips and files ({len(self.view.clips)} rows, problems first)")
        for note in self.view.notes:
            self._draw([Segment(note, "I", 7.5)], MARGIN, self.pdf.get_y(), self.width)
        widths = (30.0, 64.0, 40.0, self.width - 134.0)

        def header() -> None:
            self.row(
                [
                    (w, [Segment(t, "B")])
                    for w, t in zip(
                        widths,
                        ("Picture", "Clip", "Size and digests", "State on each destination"),
                        strict=True,
                    )
                ],
                fill=(230, 230, 230),
            )

        header()
        for clip in self.view.clips:
            self._clip_row(clip, widths, header)

    def _clip_row(self, row: ClipRow, widths: tuple[float, ...], header: Any) -> None:
        kind = {
            "sequence": "IMAGE SEQUENCE",
            "folder": "FILES IN A FOLDER",
            "clips": "CLIPS IN A FOLDER",
        }.get(row.kind, row.kind)
        kind = kind.upper()
        picture: list[Segment] = []
        if not row.thumbnail:
            reason = row.media_note or ("-" if row.kind in ("file", "folder") else "no thumbnail")
            picture = [Segment(reason, "I", 6.5)]
        name = [Segment(kind, "", 6), Segment(row.name, "B", 8)]
        if row.folder:
            name.append(Segment(f"{row.folder}/", "", 6.5))
        for detail in row.details:
            alarm = detail.startswith(("⚠", "✖"))
            name.append(Segment(detail, "B" if alarm else "", 7, RED if alarm else BLACK))
        if row.media_note and row.thumbnail:
            name.append(Segment(row.media_note, "I", 6.5))
        sidecars = row.sidecars
        if len(sidecars) > MAX_SIDECAR_LINES:
            more = len(sidecars) - MAX_SIDECAR_LINES + 1
            sidecars = [*sidecars[: MAX_SIDECAR_LINES - 1], f"... and {more} more files"]
        name.extend(Segment(f"+ {s}", "", 6.5) for s in sidecars)
        size = [Segment(row.size, "B"), *(Segment(d, "", 6.5) for d in row.digests)]
        states = [_state_segment(label, state) for label, state in row.states]
        self.row(
            list(zip(widths, [picture, name, size, states], strict=True)),
            image=row.thumbnail,
            image_w=widths[0] - 2,
            bad=row.bad,
            header=header,
        )

    def totals(self) -> None:
        self.heading("Totals")
        for key, value in self.view.totals:
            self.row([(60.0, [Segment(key, "B")]), (self.width - 60.0, [Segment(value)])])
        if self.view.generated:
            self.pdf.ln(2)
            generated = [Segment(self.view.generated, "I", 6.5)]
            self._draw(generated, MARGIN, self.pdf.get_y(), self.width)

    def render(self) -> bytes:
        self.title()
        self.bullet_list(f"Problems ({len(self.view.problems)})", self.view.problems, RED)
        self.bullet_list("Warnings", self.view.warnings, AMBER)
        self.key_values()
        self.destinations()
        self.clips()
        self.totals()
        return bytes(self.pdf.output())


def render_pdf(view: ReportView, paper: str = "a4") -> bytes:
    """The report as PDF bytes; *paper* is ``a4`` or ``letter``."""
    return PdfWriter(view, paper).render()
