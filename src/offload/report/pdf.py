"""The PDF report, drawn on reportlab's canvas (its standard fonts need no font file).

A4 or Letter, portrait. Rows never split across pages: each row's height is measured before
it is drawn, and a row that does not fit starts a new page under a repeated table header.
States are words and marks (``OK``, ``~``, ``×``, ``--``) with a heavy bar beside failed
rows, so a black-and-white print says what the colour says. The standard fonts are Latin-1:
other characters are written as their codes (``<U+65E5>``; the HTML report keeps them).
Every page's footer says "page N/M": M is a form drawn once the last page is known
(``Canvas.doForm`` may name a form defined later).

The layout is in millimetres from the top-left corner of the page, as a reader measures a
printed page; ``_Page`` turns that into the canvas's points from the bottom-left.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from offload.errors import escaped_invisible, spelled_apart
from offload.report.content import ClipRow, ReportView, State
from offload.report.words import free_text_lines, plural

# Streams binary, not ASCII85: a quarter smaller, and the encoding is pure Python where
# reportlab's accelerator (rl-accel) is not installed. Read when a page or an image is made;
# nothing else here draws PDFs.
rl_config.useA85 = 0

PAPERS = {"a4": A4, "letter": LETTER}
MARGIN = 12.0
LINE = 3.6  # mm per line at 7.5 pt
PT = 25.4 / 72  # mm per point
MAX_SIDECAR_LINES = 12
# A digest's line: 6.5 pt, smaller (not under 4.8 pt) where its hex would not fit its column on
# one line, since a digest cut over two lines is not found by a search of the PDF's text
# (pdftotext gives two words): md5, xxh128 and sha1 fit whole; sha256 and C4 still wrap.
DIGEST_SIZE = 6.5
DIGEST_MIN_SIZE = 4.8
FOOTER_Y = 9.0  # the footer's top, mm above the bottom edge
BOTTOM = 14.0  # no row below this many mm above the bottom edge
HEADING_H = 10.5  # a section's heading, from the cursor to under its rule (``heading``)
_PAGES_FORM = "page_count"
_REPLACEMENTS = {
    "✔": "OK",
    # The multiplication sign, a Latin-1 glyph of the standard fonts: "XX" read as a
    # placeholder left in ("XX FAILED", "Result: XX 5 verified earlier").
    "✖": "×",
    "≈": "~",
    "⚠": "!!",
    "→": "->",
    # Our own words' other symbols outside WinAnsi (a digest read "≠" the card's, a Linux
    # version "≥ 5.8"): as their ASCII forms, never a code ("<U+2260>") the reader must look
    # up. tests/report/test_pdf.py checks every string of src/offload has each of its.
    "≠": "!=",
    "≤": "<=",
    "≥": ">=",
    "−": "-",
}
# The standard fonts' encoding (WinAnsi, Windows-1252) beyond Latin-1: – — … ’ “ ” € ™ and
# the rest are drawn as they are. They were written as their plain twins ("-", "...", "'"),
# and a name with one then read as another name: "Director’s cut.mov" as "Director's
# cut.mov", which may be a second file of the card.
_WINANSI = frozenset(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore"))
RED = (170, 0, 20)
GREEN = (20, 90, 30)
AMBER = (130, 80, 0)
BLACK = (0, 0, 0)
FONTS = {"": "Helvetica", "B": "Helvetica-Bold", "I": "Helvetica-Oblique"}

Color = tuple[int, int, int]


def _char_widths(font: str) -> dict[str, float]:
    """Each Latin-1 character's width in *font* at 1,000 pt (``stringWidth``); a control
    character never reaches it (``latin1`` spells it ``\\x0a``)."""
    widths = {chr(c): stringWidth(chr(c), font, 1000) for c in range(0x20, 0x100)}
    widths.update((c, stringWidth(c, font, 1000)) for c in _WINANSI)
    return widths


# Made when the module is loaded: the report worker loads it while the command copies, so
# the ~700 look-ups are off the end of the run (docs/performance.md, "Fixed cost:
# thirteenth pass"); the metrics of the standard fonts never change.
_CHAR_WIDTHS = {font: _char_widths(font) for font in FONTS.values()}


# One of the symbols above as our own words write it: a word of its own ("a ≠ b", "✔ ALL",
# "size 1 → 2", "≥ 5.8"), or a minus before a number ("−3"). The same character inside a
# word (a name such as "x−1.mov") keeps its code: "x-1.mov" may be another file of the card.
# A name holding one as a word of its own, within a sentence, still reads as the ASCII form
# there; its own row (``Segment.name``) keeps the code.
_OUR_SYMBOL = re.compile(
    f"(?<!\\S)(?:[{re.escape(''.join(_REPLACEMENTS))}](?!\\S)|\u2212(?=[0-9]))"
)


def _plain(found: re.Match[str]) -> str:
    return _REPLACEMENTS[found.group()]


def latin1(text: str, words: bool = True) -> str:
    """*text* as the standard fonts can show it: the symbols above in words (*words*: where
    one stands as a word of its own, ``_OUR_SYMBOL``; none in a name shown alone), a control,
    format or separator character as the terminal spells it (``\\x0a``, ``\\u202e``:
    ``errors.CONTROL_ESCAPES``), and any other character outside
    Latin-1 and WinAnsi (``_WINANSI``) as its code, ``<U+65E5>``
    (a byte of a name that is not UTF-8 as ``\\xff``, as the terminal spells it). Codes, not
    ``?``: two clips named
    in Japanese became ``???_?????.MOV`` alike, and a row must say which clip it is.
    A name that is not NFC (``e`` and a combining accent, as macOS once wrote names) has
    its marks spelled as the terminal and the HTML spell them, ``Cafe\\u0301.mov``
    (``errors.spelled_apart``): composed, it printed as its NFC twin ``Caf\u00e9.mov``, another
    file a card may hold beside it."""
    if text.isascii() and text.isprintable():  # most names: nothing to replace
        return text
    text = spelled_apart(text)
    if words:
        text = _OUR_SYMBOL.sub(_plain, text)
    # Control characters, the line break too: Latin-1, but no glyph in the standard fonts, and a
    # line break in a file name (a name may hold one) must not start a new line of the row.
    # Spelled as the terminal and the HTML spell them (``errors.printable_name``: ``\x0a``, C1 as
    # ``\u0085``): as ``?`` a name read as another ("new?line.mov"), beside the same line's
    # error naming it ``new\x0aline.mov``: ``errors.CONTROL_ESCAPES``, the terminal's table.
    # Escaped first: a format character (U+202E) or a separator (U+2028) is spelled as there
    # too (``\\u202e``), not as a code of a character the fonts lack. A printable text (most
    # names outside ASCII: accents, Japanese) is not translated (``escaped_invisible``).
    return _OUTSIDE.sub(_code, escaped_invisible(text))


_OUTSIDE = re.compile(f"[^\x00-\xff{re.escape(''.join(sorted(_WINANSI)))}]")


def _code(found: re.Match[str]) -> str:
    point = ord(found.group())
    if 0xDC80 <= point <= 0xDCFF:  # a byte that is not UTF-8, kept by surrogateescape
        # As the terminal and the HTML spell it (``errors.printable_name``), never a
        # second spelling of its own in one document (QA: ``<xE9>`` beside ``\xe9``).
        return f"\\x{point - 0xDC00:02x}"
    return f"<U+{point:04X}>"


#: A word of a command as ``errors.shell_word`` writes it: bash's ``$'...'`` (group 1: its
#: body, ``\\xNN``, ``\\'`` and ``\\\\`` within) or a quoted ``'...'`` (group 2, a quote within
#: as ``'"'"'``), standing as a word of its own: after a space, ``(``, ``=``
#: (``--key=WORD``) or a backtick (a command quoted in prose, the card release's
#: ``offload verify '...'``) and before a space, ``)``, ``,``, ``;``, a backtick or the end.
#: An apostrophe of prose (``the card's``) starts no such word.
_SHELL_WORD = re.compile(
    r"(?<![^\s(=`])(?:\$'((?:[^'\\]|\\.)*)'|('[^']*'(?:\"'\"'[^']*')*))(?=[\s),;`]|$)"
)


def pasteable_words(text: str) -> str:
    """*text* (a problem, a warning, a note) with each word of a command it suggests
    (``errors.shell_word``'s: ``--key '日本_clip.txt'``) that holds a character the
    standard fonts lack re-spelled as bash's ``$'...'``, each such character its UTF-8
    bytes ``\\xNN`` (``--key $'\\xe6\\x97\\xa5\\xe6\\x9c\\xac_clip.txt'``): copied from the PDF and
    pasted, the exact name, where ``latin1``'s ``<U+65E5>`` named no file (a delete of a key
    that does not exist succeeds, and the object stays). The PDF's own spelling: the
    terminal, the HTML and the JSON keep the readable word. A word the fonts show as it is,
    and any other text, is left as it is (``latin1`` then spells the rest)."""
    if text.isascii():
        return text
    return _SHELL_WORD.sub(_bytes_spelled, text)


#: A command quoted in prose between backticks (the card release's ``offload verify
#: '...'``): its words as ``errors.shell_word`` writes them, each whole (a backtick inside
#: a quoted word is the word's: ``'a`b'``), no other backtick in it.
_QUOTED_COMMAND = re.compile(r"`(?:\$'(?:[^'\\]|\\.)*'|'[^']*'|\"[^\"]*\"|[^`'\"$]|\$(?!'))*`")


def quoted_commands_pasteable(text: str) -> str:
    """*text*, prose quoting commands between backticks (the card release), with each such
    command's words re-spelled by :func:`pasteable_words` and nothing else: a path or a
    label the prose names in quotes (``('日本')``) is no command's word and keeps the
    spelling ``latin1`` gives it, as the terminal and the HTML keep theirs."""
    if text.isascii():
        return text
    return _QUOTED_COMMAND.sub(lambda found: pasteable_words(found.group()), text)


def _bytes_spelled(found: re.Match[str]) -> str:
    word = found.group()
    if latin1(word) == word:
        return word
    if found.group(1) is not None:  # bash's $'...': its escapes kept as they are
        chars, quoted = found.group(1), False
    else:
        chars, quoted = found.group(2)[1:-1].replace("'\"'\"'", "'"), True
    out = []
    for char in chars:
        if quoted and char in "\\'":
            out.append("\\" + char)
        elif char.isascii() or latin1(char) == char:
            out.append(char)
        else:
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogateescape"))
    return "$'" + "".join(out) + "'"


def _break_at(word: str, cut: int) -> int:
    """Where to cut *word*, which fits up to *cut* characters: after the last of ``_/-``
    or before the last of ``.[<`` (``<``: a character's code, ``<U+65E5>``, stays whole)
    in the second half of that part, else at *cut*; never
    before the extension's dot, so an extension stays with what precedes it
    (``A001C003_240101_R2EC.`` / ``[0000001-0000008].arx``: a search for "].arx" finds it);
    a name with no such place whose cut would fall before or inside its extension is cut one
    character before the dot instead (``WWW…W`` / ``W.mov``, never ``WWW…W.mo`` / ``v``)."""
    extension = word.rfind(".")
    for at in range(cut, max(cut // 2, 1) - 1, -1):
        if at < len(word) and word[at] in ".[<" and at != extension:
            return at
        if word[at - 1] in "_/-":
            return at
    if 1 < extension <= cut < len(word):
        return extension - 1
    return cut


@dataclass
class Segment:
    text: str
    style: str = ""
    size: float = 7.5
    color: Color = BLACK
    # A file or folder name shown alone (a row's name, its folder, a sidecar, a path): no
    # symbol of it is written as our words' ASCII form (``latin1``), only as its code.
    name: bool = False


def _state_segment(label: str, state: State) -> Segment:
    color = {
        "verified": GREEN,
        "verified_earlier": GREEN,
        "transfer_checked": AMBER,
    }.get(state.level, RED)
    style = "" if state.level in ("verified", "verified_earlier") else "B"
    return Segment(f"[{label}] {state.ascii_mark} {state.text}", style, 7.5, color)


def _laid_height(laid: list[tuple[Segment, list[str]]]) -> float:
    """The height in mm of segments wrapped into their lines."""
    return sum(len(lines) * LINE * seg.size / 7.5 for seg, lines in laid)


def _rgb(color: Color) -> tuple[float, float, float]:
    return color[0] / 255, color[1] / 255, color[2] / 255


class _TextState:
    """What a row's text has been set to so far (``None``: nothing yet)."""

    __slots__ = ("color", "font")

    def __init__(self) -> None:
        self.font: tuple[str, float] | None = None
        self.color: Color | None = None


class _RowOps:
    """The PDF operators of the rows: reportlab's text objects' and ``Canvas.rect``'s.

    A row's text is written as reportlab's ``PDFTextObject`` writes it (``BT``, then a font,
    a colour, an origin and ``(line) Tj T*`` a line, then ``ET``; the canvas given it
    whole by ``Canvas.addLiteral``, as ``drawText`` gives it a text object's code), but
    without a method call, a font look-up and a number formatted a line: those were ~40 %
    of the PDF's time (docs/performance.md, "Fixed cost: thirteenth pass"). What does not
    change within a document is asked of reportlab once: the empty text object's start, a
    font's operator with its leading (the font is registered with the document then, as
    ``setFont`` registers it), a colour's. A line of printable ASCII is escaped here as
    ``textLine`` escapes it (the standard fonts' encoding leaves those characters as they
    are); any other line is written by reportlab's own ``textLine`` (a no-break space, for
    one, becomes a space in that encoding). A row's cells' outlines are written as
    ``Canvas.rect`` writes them, as one literal too, each number a column repeats formatted
    once. The bytes are reportlab's own: tests compare them with its methods' for every
    Latin-1 character, font and size (tests/report/test_pdf_same.py)."""

    __slots__ = ("_canvas", "_colors", "_fonts", "_numbers", "begin")

    def __init__(self, canvas: Canvas) -> None:
        self._canvas = canvas
        # A number as reportlab writes it (``fp_str``), for the columns' places and widths,
        # which every row repeats.
        self._numbers: dict[float, str] = {}
        empty = canvas.beginText().getCode()  # "BT 1 0 0 1 0 0 Tm ET"
        if not empty.endswith(" ET"):
            raise RuntimeError(f"unexpected text object from reportlab: {empty!r}")
        self.begin = empty[: -len(" ET")]
        self._fonts: dict[tuple[str, float], str] = {}
        self._colors: dict[Color, str] = {}

    def _added(self, code: str) -> str:
        """What a text object's *code* holds beyond an empty one's (the calls made on it)."""
        if not (code.startswith(self.begin + " ") and code.endswith(" ET")):
            raise RuntimeError(f"unexpected text object from reportlab: {code!r}")
        return code[len(self.begin) + 1 : -len(" ET")]

    def font(self, style: str, size: float) -> str:
        """The operator that sets *style* at *size* pt and its line height (``LINE``)."""
        key = (style, size)
        op = self._fonts.get(key)
        if op is None:
            text = self._canvas.beginText()
            text.setFont(FONTS[style], size, LINE * size / 7.5 * mm)
            op = self._fonts[key] = self._added(text.getCode())
        return op

    def color(self, color: Color) -> str:
        """The operator that sets the text's fill colour."""
        op = self._colors.get(color)
        if op is None:
            text = self._canvas.beginText()
            text.setFillColorRGB(*_rgb(color))
            op = self._colors[color] = self._added(text.getCode())
        return op

    def number(self, value: float) -> str:
        """*value* as reportlab writes a number (``fp_str``), remembered: for values that
        recur (a column's place and width)."""
        text = self._numbers.get(value)
        if text is None:
            text = self._numbers[value] = fp_str(value)
        return text

    def origin(self, x: float, y: float) -> str:
        """The operator that starts the next lines at (*x*, *y*) points (``setTextOrigin``);
        *x* is a column's."""
        return f"1 0 0 1 {self.number(x)} {fp_str(y)} Tm"

    def borders(self, cells: list[tuple[float, float]], y: float, height: float) -> str:
        """The outlines of *cells* (each its *x* and width, in points) from *y* up *height*
        points: ``Canvas.rect``'s operator for a stroked rectangle, one line each (the
        canvas joins its operators with line breaks, so one literal of them is what a call
        each would have written)."""
        bottom, tall = fp_str(y), fp_str(height)
        number = self.number
        return "\n".join(f"n {number(x)} {bottom} {number(w)} {tall} re S" for x, w in cells)

    def line(self, style: str, size: float, text: str) -> str:
        """*text* shown in *style* at *size*, the cursor then on the next line (``textLine``)."""
        if text.isascii() and text.isprintable():
            return f"({escapePDF(text.encode('ascii'))}) Tj T*" if text else " T*"
        drawn = self._canvas.beginText()
        drawn.setFont(FONTS[style], size, LINE * size / 7.5 * mm)
        drawn.textLine(text)
        return self._added(drawn.getCode())[len(self.font(style, size)) + 1 :]


class _Page:
    """The canvas in the layout's units: millimetres, *y* measured down from the top."""

    def __init__(self, canvas: Canvas, height_mm: float) -> None:
        self.canvas = canvas
        self.height = height_mm

    def text(self, x: float, baseline: float, text: str, style: str, size: float) -> None:
        """One line in black (every drawing sets the fill colour it needs)."""
        self.canvas.setFillColorRGB(*_rgb(BLACK))
        self.canvas.setFont(FONTS[style], size)
        self.canvas.drawString(x * mm, (self.height - baseline) * mm, text)

    def rect(self, x: float, y: float, w: float, h: float, *, fill: bool = False) -> None:
        self.canvas.rect(
            x * mm, (self.height - y - h) * mm, w * mm, h * mm, stroke=int(not fill), fill=int(fill)
        )

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.canvas.line(x1 * mm, (self.height - y1) * mm, x2 * mm, (self.height - y2) * mm)

    def line_width(self, width: float) -> None:
        self.canvas.setLineWidth(width * mm)

    def image(self, image: ImageReader, x: float, y: float, w: float, h: float) -> None:
        self.canvas.drawImage(image, x * mm, (self.height - y - h) * mm, w * mm, h * mm)


class PdfWriter:
    def __init__(self, view: ReportView, paper: str) -> None:
        self.view = view
        self.out = io.BytesIO()
        size = PAPERS.get(paper.lower(), A4)
        self.canvas = Canvas(self.out, pagesize=size)
        self.canvas.setTitle(latin1(view.title))
        self.canvas.setSubject(latin1(view.verdict))
        # Who offloaded, else nothing (reportlab would say "anonymous").
        self.canvas.setAuthor(latin1(dict(view.production).get("Offloaded by", "")))
        self.canvas.setCreator("offload-ai")
        self.page_w, self.page_h = size[0] / mm, size[1] / mm
        self.page = _Page(self.canvas, self.page_h)
        self.page_no = 1
        self.y = MARGIN  # the cursor: where the next block starts, mm from the top
        self.width = self.page_w - 2 * MARGIN
        self.bottom = self.page_h - BOTTOM
        self.page.line_width(0.2)
        self._wrapped: dict[tuple[str, str, float, float, bool], list[str]] = {}
        # The text operators of each wrapped segment (``_write``), by the identity of its
        # lines' list: every such list is ``_wrapped``'s, kept for the writer's life, so an
        # id is never reused for other lines and one list always holds the same text in the
        # same font. A card's rows repeat most segments (each clip's ⚠ sentence, its kind,
        # its state words): each is escaped once, not once a row.
        self._shown: dict[int, str] = {}
        self._measures: dict[tuple[str, float], Callable[[str], float]] = {}
        self.ops = _RowOps(self.canvas)

    # -- pages ------------------------------------------------------------------------------
    def _footer(self) -> None:
        """The footer: "<title>    page N/" and the page count's form after it, centred as
        one line (the count's width is taken as N's: digits are equally wide, so the line is
        off centre by half a digit at most when M has more digits than N)."""
        text = latin1(f"{self.view.title}    page {self.page_no}/")
        size = 7.0
        width = (
            stringWidth(text, FONTS[""], size) + stringWidth(str(self.page_no), FONTS[""], size)
        ) / mm
        x = MARGIN + (self.width - width) / 2
        baseline = self.page_h - FOOTER_Y + 2 + 0.3 * size * PT
        self.page.text(x, baseline, text, "", size)
        self.canvas.saveState()
        self.canvas.translate(
            (x * mm) + stringWidth(text, FONTS[""], size), (self.page_h - baseline) * mm
        )
        self.canvas.doForm(_PAGES_FORM)
        self.canvas.restoreState()

    def _new_page(self) -> None:
        self._footer()
        self.canvas.showPage()  # the next page starts with the canvas's default state
        self.page_no += 1
        self.page.line_width(0.2)
        self.y = MARGIN

    def _finish(self) -> bytes:
        self._footer()
        self.canvas.showPage()
        self.canvas.beginForm(_PAGES_FORM)
        self.canvas.setFont(FONTS[""], 7.0)
        self.canvas.drawString(0, 0, str(self.page_no))
        self.canvas.endForm()
        self.canvas.save()
        return self.out.getvalue()

    # -- measuring and drawing blocks of text ---------------------------------------------
    def _measure(self, style: str, size: float) -> Callable[[str], float]:
        """Width in mm of a Latin-1 text in *style* at *size* pt, from the standard font's
        metrics (``_CHAR_WIDTHS``); one function per font and size."""
        measure = self._measures.get((style, size))
        if measure is None:
            table = _CHAR_WIDTHS[FONTS[style]]
            scale = size * 0.001 / mm

            def measure(text: str) -> float:  # text is latin1()'s: every character in the table
                return sum(map(table.__getitem__, text)) * scale

            self._measures[style, size] = measure
        return measure

    def _lines(self, seg: Segment, width: float) -> list[str]:
        """*seg* wrapped to *width* mm: words first, characters for a word longer than a
        line (paths, digests). Own wrapping with the standard font's metrics (a paragraph
        flowable per cell would cost far more for a card of thousands of rows)."""
        key = (seg.text, seg.style, seg.size, round(width, 3), seg.name)
        cached = self._wrapped.get(key)
        if cached is not None:
            return cached
        measure = self._measure(seg.style, seg.size)
        space = measure(" ")
        lines: list[str] = []
        line, used = "", 0.0
        # latin1() leaves no line break (a name may hold one): a segment is one paragraph.
        for word in latin1(seg.text, words=not seg.name).split(" "):
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
                # At the last separator that fits, so a name breaks between its parts
                # and its extension stays whole (_break_at); else where it must.
                cut = _break_at(word, cut)
                lines.append(word[:cut])
                word = word[cut:]
                size = measure(word)
            line, used = word, size
        lines.append(line)
        self._wrapped[key] = lines
        return lines

    def _height(self, segments: list[Segment], width: float) -> float:
        return _laid_height([(seg, self._lines(seg, width)) for seg in segments])

    def _draw(self, segments: list[Segment], x: float, y: float, width: float) -> None:
        """*segments* one under the other from (*x*, *y*), wrapped to *width*: one text
        object for them all (a ``drawString`` a line made one each, and cost twice as much)."""
        code = [self.ops.begin]
        self._write(code, [(seg, self._lines(seg, width)) for seg in segments], x, y, _TextState())
        code.append("ET")
        self.canvas.addLiteral(" ".join(code))

    def _write(
        self,
        code: list[str],
        laid: list[tuple[Segment, list[str]]],
        x: float,
        y: float,
        state: _TextState,
    ) -> None:
        """The text operators of *laid* (each segment with its wrapped lines) added to
        *code*, one segment under the other from (*x*, *y*); *state* is the text object's
        font and colour so far, each written out only when it changes (a row's cells share
        one text object and its state)."""
        ops, page_h = self.ops, self.page_h
        for seg, lines in laid:
            size = seg.size
            line_h = LINE * size / 7.5
            if (seg.style, size) != state.font:
                state.font = (seg.style, size)
                code.append(ops.font(seg.style, size))
            if seg.color != state.color:
                state.color = seg.color
                code.append(ops.color(seg.color))
            # The baseline: a line's ascent is about 0.8 of the font size.
            baseline = y + line_h * 0.5 + size * PT * 0.36
            code.append(ops.origin(x * mm, (page_h - baseline) * mm))
            shown = self._shown.get(id(lines))
            if shown is None:
                shown = " ".join([ops.line(seg.style, size, line) for line in lines])
                self._shown[id(lines)] = shown
            code.append(shown)
            y += line_h * len(lines)
        self.y = y

    def _ensure(self, height: float, header: Callable[[], None] | None = None) -> None:
        if self.y + height > self.bottom:
            self._new_page()
            if header is not None:
                header()

    def heading(self, text: str) -> None:
        self._ensure(14)  # HEADING_H and a little room under it
        self.y += 3
        self.page.text(MARGIN + 1, self.y + 3 + 0.3 * 11 * PT, latin1(text), "B", 11)
        self.y += 6
        self.page.line_width(0.5)
        self.page.line(MARGIN, self.y, MARGIN + self.width, self.y)
        self.page.line_width(0.2)
        self.y += 1.5

    def row(
        self,
        cells: list[tuple[float, list[Segment]]],
        *,
        image: bytes | None = None,
        image_w: float = 0.0,
        bad: bool = False,
        header: Callable[[], None] | None = None,
        fill: Color | None = None,
    ) -> None:
        pad = 1.0
        laid, picture, image_h, height = self._laid_row(cells, image, image_w)
        self._ensure(height, header)
        x, y = MARGIN, self.y
        if fill is not None:
            self.canvas.setFillColorRGB(*_rgb(fill))
            self.page.rect(x, y, sum(w for w, _ in cells), height, fill=True)
        # One text object for the row's cells: one a cell cost ~6 % more instructions.
        code, state = [self.ops.begin], _TextState()
        outlines = []
        for width, segments in laid:
            outlines.append((x * mm, width * mm))
            if segments:
                self._write(code, segments, x + pad, y + pad, state)
            x += width
        code.append("ET")
        if outlines:
            self.canvas.addLiteral(
                self.ops.borders(outlines, (self.page_h - y - height) * mm, height * mm)
            )
        self.canvas.addLiteral(" ".join(code))
        if picture is not None:
            self.page.image(picture, MARGIN + pad, y + pad, image_w, image_h)
        if bad:  # a heavy bar: failed rows stand out in black and white too
            self.canvas.setFillColorRGB(*_rgb(RED))
            self.page.rect(MARGIN - 2.2, y, 1.8, height, fill=True)
        self.y = y + height

    def _laid_row(
        self, cells: list[tuple[float, list[Segment]]], image: bytes | None, image_w: float
    ) -> tuple[
        list[tuple[float, list[tuple[Segment, list[str]]]]], ImageReader | None, float, float
    ]:
        """A row's cells wrapped (each cell's segments once: measured for the row's height,
        then drawn), its picture and the picture's height, and the row's height."""
        pad = 1.0
        laid = [
            (width, [(seg, self._lines(seg, width - 2 * pad)) for seg in segments])
            for width, segments in cells
        ]
        picture, image_h = None, 0.0
        if image is not None:
            # A JPEG (media.py's thumbnails) is embedded as its own bytes, not re-encoded;
            # reportlab decodes it once only to tell images apart (~0.2 ms a thumbnail).
            picture = ImageReader(io.BytesIO(image))
            pixels_w, pixels_h = picture.getSize()
            image_h = image_w * pixels_h / pixels_w if pixels_w else 0.0
        height = max([*(_laid_height(segments) for _, segments in laid), image_h]) + 2 * pad
        return laid, picture, image_h, height

    # -- sections ---------------------------------------------------------------------------
    def title(self) -> None:
        view = self.view
        for line in self._lines(Segment(view.title, "B", 15), self.width - 2):
            self.page.text(MARGIN + 1, self.y + 3.5 + 0.3 * 15 * PT, line, "B", 15)
            self.y += 7
        self.y += 1
        # Amber for a verdict that proves less than every copy verified (``verdict_warn``).
        color = RED if not view.verdict_ok else AMBER if view.verdict_warn else GREEN
        y = self.y
        verdict = [Segment(view.verdict, "B", 11, color)]
        height = self._height(verdict, self.width - 6) + 5
        self.canvas.setStrokeColorRGB(*_rgb(color))
        self.page.line_width(0.8 if view.verdict_ok else 1.6)
        self.page.rect(MARGIN, y, self.width, height)
        if not view.verdict_ok:
            self.page.line_width(0.4)
            self.page.rect(MARGIN + 1.5, y + 1.5, self.width - 3, height - 3)
        self.page.line_width(0.2)
        self.canvas.setStrokeColorRGB(*_rgb(BLACK))
        self._draw(verdict, MARGIN + 3, y + 2.5, self.width - 6)
        self.y = y + height + 1
        if view.release:  # may the card be formatted: right under the verdict, in its colour
            # Its command (``offload verify '...'``) pasteable as the terminal's is.
            release = [
                Segment(
                    quoted_commands_pasteable(view.release),
                    "B",
                    9.5,
                    GREEN if view.release_ok else RED,
                )
            ]
            self._draw(release, MARGIN + 1, self.y + 0.5, self.width - 2)
            self.y += 1.5
        self._draw([Segment(view.verdict_detail, "", 8)], MARGIN, self.y, self.width)
        self.y += 1

    def bullet_list(
        self, title: str, items: list[str], color: Color, *, commands: bool = True
    ) -> None:
        """*items* under *title*; the commands they suggest pasteable (``pasteable_words``)
        unless *commands* is False (a list of names, whose quotes are the names')."""
        if not items:
            return
        self.heading(title)
        for item in items:
            text = pasteable_words(item) if commands else item
            segs = [Segment(f"- {text}", "B" if color == RED else "", 8, color)]
            height = self._height(segs, self.width)
            self._ensure(height)
            self._draw(segs, MARGIN, self.y, self.width)

    def key_values(self) -> None:
        half = (self.width - 4) / 2
        label_w = 24.0
        blocks = [("Production", self.view.production), ("Card", self.view.card)]
        self.heading("Production and source" if self.view.source_is_copy else "Production and card")
        pairs = max(len(b[1]) for b in blocks)
        for index in range(pairs):
            cells: list[tuple[float, list[Segment]]] = []
            for name, rows in blocks:
                if index < len(rows):
                    key, value = rows[index]
                    # The DIT's own words keep their line breaks (a segment a line); a
                    # card's name, a line break spelled \x0a (``latin1``), also where it
                    # stands in the Production block (``production_names``).
                    words = name == "Production" and key not in self.view.production_names
                    lines = free_text_lines(value) if words else [value]
                    cells.append((label_w, [Segment(key, "B")]))
                    cells.append((half - label_w, [Segment(line or " ") for line in lines]))
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
                Segment(values.get("Path", ""), name=True),
                Segment(f"Volume: {values.get('Volume', '') or 'unknown'}"),
                Segment(f"Free after: {values.get('Free after', '') or 'unknown'}"),
            ]
            if values.get("Fed from"):  # a cascade's: which fast copy fed this one
                left.append(Segment(f"Fed from: {values['Fed from']}"))
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
                Segment(f"Time: {values.get('Time', '') or '-'}"),
                Segment(
                    f"Speed: {values.get('Speed', '') or '-'}; "
                    f"written: {values.get('Written', '') or '-'}"
                ),
            ]
            self.row([(self.width / 2, left), (self.width / 2, right)], bad=bad)

    def clips(self) -> None:
        widths = (30.0, 64.0, 40.0, self.width - 134.0)
        titles = ("Picture", "Clip", "Size and digests", "State on each destination")
        header_cells = [(w, [Segment(t, "B")]) for w, t in zip(widths, titles, strict=True)]
        notes = [[Segment(pasteable_words(note), "I", 7.5)] for note in self.view.notes]
        # The heading, its notes and the table's header start a page of their own unless the
        # first row fits under them: a page ended on a heading and an empty table.
        first = self.view.clips[0] if self.view.clips else None
        needed = (
            HEADING_H
            + sum(self._height(note, self.width) for note in notes)
            + self._laid_row(header_cells, None, 0.0)[3]
            + (0.0 if first is None else self._laid_row(*self._clip_cells(first, widths))[3])
        )
        if self.y > MARGIN and self.y + needed > self.bottom >= MARGIN + needed:
            self._new_page()
        self.heading(f"Clips and files ({plural(len(self.view.clips), 'row')}, problems first)")
        for note in notes:
            self._draw(note, MARGIN, self.y, self.width)

        def header() -> None:
            self.row(header_cells, fill=(230, 230, 230))

        header()
        for clip in self.view.clips:
            self._clip_row(clip, widths, header)

    def _clip_row(
        self, row: ClipRow, widths: tuple[float, ...], header: Callable[[], None]
    ) -> None:
        cells, image, image_w = self._clip_cells(row, widths)
        self.row(cells, image=image, image_w=image_w, bad=row.bad, header=header)

    def _clip_cells(
        self, row: ClipRow, widths: tuple[float, ...]
    ) -> tuple[list[tuple[float, list[Segment]]], bytes | None, float]:
        """A clip's row as the table's cells, its thumbnail and the thumbnail's width."""
        kind = row.kind_label.upper()
        picture: list[Segment] = []
        if not row.thumbnail:
            reason = row.media_note or ("-" if row.kind in ("file", "folder") else "no thumbnail")
            picture = [Segment(reason, "I", 6.5)]
        name = [Segment(kind, "", 6), Segment(row.name, "B", 8, name=True)]
        if row.folder:
            name.append(Segment(f"{row.folder}/", "", 6.5, name=True))
        for detail in row.details:
            alarm = detail.startswith(("⚠", "✖"))
            name.append(Segment(detail, "B" if alarm else "", 7, RED if alarm else BLACK))
        if row.media_note and row.thumbnail:
            name.append(Segment(row.media_note, "I", 6.5))
        sidecars = row.sidecars
        if len(sidecars) > MAX_SIDECAR_LINES:
            more = len(sidecars) - MAX_SIDECAR_LINES + 1
            sidecars = [*sidecars[: MAX_SIDECAR_LINES - 1], f"... and {more} more files"]
        name.extend(Segment(f"+ {s}", "", 6.5, name=True) for s in sidecars)
        size = [Segment(row.size, "B"), *(self._digest(d, widths[2] - 2.0) for d in row.digests)]
        states = [_state_segment(label, state) for label, state in row.states]
        cells = list(zip(widths, [picture, name, size, states], strict=True))
        return cells, row.thumbnail, widths[0] - 2

    def _digest(self, text: str, width: float) -> Segment:
        """*text* (``md5 <hex>``) at the largest size up to ``DIGEST_SIZE``, not under
        ``DIGEST_MIN_SIZE``, at which its last word fits *width* mm on one line."""
        value = latin1(text.rpartition(" ")[2])
        wide = self._measure("", DIGEST_SIZE)(value)
        if wide <= width:
            return Segment(text, "", DIGEST_SIZE)
        # Rounded down to 0.1 pt: a few sizes a document (each measured and set once).
        size = max(DIGEST_MIN_SIZE, int(DIGEST_SIZE * width / wide * 10) / 10)
        return Segment(text, "", size)

    def totals(self) -> None:
        self.heading("Totals")
        for key, value in self.view.totals:
            self.row([(60.0, [Segment(key, "B")]), (self.width - 60.0, [Segment(value)])])
        if self.view.generated:
            self.y += 2
            self._draw([Segment(self.view.generated, "I", 6.5)], MARGIN, self.y, self.width)

    def render(self) -> bytes:
        self.title()
        self.bullet_list(f"Problems ({len(self.view.problems)})", self.view.problems, RED)
        self.bullet_list("Warnings", self.view.warnings, AMBER)
        self.key_values()
        self.destinations()
        self.clips()
        self.bullet_list(
            f"Ignored (not copied): {self.view.ignored_said}",
            self.view.ignored,
            BLACK,
            commands=False,
        )
        self.totals()
        return self._finish()


def render_pdf(view: ReportView, paper: str = "a4") -> bytes:
    """The report as PDF bytes; *paper* is ``a4`` or ``letter``."""
    return PdfWriter(view, paper).render()
