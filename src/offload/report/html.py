"""The HTML report: one self-contained file (CSS inline, thumbnails as data: URIs, no
script, nothing fetched), readable on screen and printed in black and white (every state is a
word and a symbol; colour only repeats it)."""

from __future__ import annotations

import base64
from html import escape as _escape

from offload.errors import printable_line, spelled_apart
from offload.report.content import ClipRow, ReportView, State
from offload.report.words import free_text_lines, plural

CSS = """
:root { --bad: #b00020; --ok: #1b5e20; --warn: #8a5a00; --line: #ccc; }
* { box-sizing: border-box; }
body { font: 13px/1.4 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #111; background: #fff; margin: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 2px solid #111; padding-bottom: 2px; }
/* A card's name is one word of up to 255 letters, in the title, the line under the verdict
   and the footer: broken anywhere rather than widen the page (a 68-letter name made a 760 px
   window's page 984 px wide, the clip table's box with it). */
h1, h2, .sub, .verdict, footer { overflow-wrap: anywhere; }
.sub { color: #444; margin-bottom: 12px; }
.release { font-size: 15px; font-weight: 700; margin: 6px 0; padding: 6px 14px;
  border-left: 6px solid var(--bad); color: var(--bad); overflow-wrap: anywhere; }
.release.ok { border-left-color: var(--ok); color: var(--ok); }
.verdict { font-size: 18px; font-weight: 700; padding: 10px 14px; border: 3px solid var(--ok);
  color: var(--ok); margin: 12px 0 4px; }
.verdict.bad { border: 6px double var(--bad); color: var(--bad); background: #fff0f0; }
.verdict.warn { border-color: var(--warn); color: var(--warn); background: #fff8e6; }
.problems { border: 3px solid var(--bad); padding: 8px 14px; background: #fff6f6; }
.problems li { color: var(--bad); font-weight: 600; margin: 2px 0; word-break: break-word; }
.warnings li { color: var(--warn); }
.notes li { color: #444; }
/* A warning or note naming a long path must not widen the page. */
.warnings li, .notes li { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
/* The wide tables scroll in their own box on a narrow screen (a phone's mail): the page
   stays the window's width (the destinations' ten columns made a 700 px window's page
   778 px wide, its right part off screen). Printed, nothing is hidden. */
.wide { overflow-x: auto; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
table.kv { width: auto; min-width: 50%; }
table.kv th { width: 9em; }
/* A card's path, a volume's name: they wrap where they must, not past a narrow window. */
table.kv td { overflow-wrap: anywhere; }
.cols { display: flex; gap: 24px; flex-wrap: wrap; }
.cols > div { flex: 1 1 360px; }
tr.bad td { background: #fff0f0; }
tr.bad td.name { border-left: 6px solid var(--bad); }
td.thumb { width: 172px; text-align: center; }
td.thumb img { width: 160px; height: auto; display: block; border: 1px solid #999; }
.nothumb { width: 160px; height: 90px; border: 1px dashed #999; color: #666; font-size: 11px;
  display: flex; align-items: center; justify-content: center; text-align: center; padding: 4px; }
/* The clip column keeps room for a name: with no width of its own it was squeezed to a
   letter or three by the destinations' columns (a cell's narrowest width is one letter where
   a name may break anywhere): at 900 px a 60-character clip name stood 13 lines of 4
   letters. Broken at a space first, then anywhere; the table scrolls in its box instead. */
td.name { min-width: 16em; }
.name b { font-size: 14px; overflow-wrap: anywhere; }
/* A name as it is: two spaces stay two (white-space: normal shows one, and a name copied
   from the page, or read from its text, would not be the file's). */
.name b, .folder, .side li { white-space: pre-wrap; }
.folder, .side, .digest { color: #555; font-size: 11.5px; }
/* Long paths wrap anywhere: a table cell's narrowest width is its longest unbreakable word. */
.folder, .side, .gap { overflow-wrap: anywhere; }
.digest { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
.side { margin: 2px 0 0 0; padding-left: 16px; }
.state { white-space: normal; min-width: 9em; overflow-wrap: anywhere; }
.state.failed, .state.cancelled, .state.missing { color: var(--bad); font-weight: 700; }
.state.transfer_checked { color: var(--warn); font-weight: 600; }
.state.verified, .state.verified_earlier { color: var(--ok); }
.gap { color: var(--bad); font-weight: 700; }
.kind { font-size: 10.5px; text-transform: uppercase; letter-spacing: .05em; color: #555; }
footer { margin-top: 24px; color: #666; font-size: 11px; }
@media print {
  body { margin: 8mm; font-size: 10px; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .verdict.bad, .problems, tr.bad td { background: none; }
  .wide { overflow: visible; }
}
"""


def escape(text: str) -> str:
    """*text* for the page: HTML-escaped, and each control character a name may hold (a line
    break, a tab, BEL) spelled as the terminal spells it, ``\\x0a`` (``printable_line``). Put
    raw, a line break read as a space in a list item and BEL as nothing: ``new\\nline.mov``
    read as another name, ``new line.mov``. So are a format character and a line or
    paragraph separator (``\\u202e``: ``bidi<U+202E>vom.exe`` read as ``bidiexe.mov``), and
    the marks of a name that is not NFC (``Cafe\\u0301.mov``, ``spelled_apart``): a browser
    draws it as its twin ``Caf\u00e9.mov``, another file of the same card."""
    return _escape(spelled_apart(text) if text.isprintable() else printable_line(text))


def _kv(
    rows: list[tuple[str, str]], *, free_text: bool = False, names: frozenset[str] = frozenset()
) -> str:
    """A block of *rows* (label, value). *free_text*: the values are the DIT's own words
    (the Production block: ``--comment`` and the like), whose line breaks are theirs and
    kept (``free_text_lines``), but for the rows labelled in *names* (a name standing in
    for one, ``ReportView.production_names``); else a line break is a name's, spelled
    ``\x0a``."""

    def show(label: str, value: str) -> str:
        if free_text and label not in names:
            return "<br>".join(map(escape, free_text_lines(value)))
        return escape(value)

    body = "".join(
        f"<tr><th>{escape(k)}</th><td>{show(k, v) if v else '&nbsp;'}</td></tr>" for k, v in rows
    )
    return f'<table class="kv">{body}</table>'


def _state(state: State) -> str:
    return (
        f'<td class="state {escape(state.level)}">'
        f'<span aria-hidden="true">{escape(state.mark)}</span> {escape(state.text)}</td>'
    )


def _clip(row: ClipRow) -> str:
    if row.thumbnail:
        data = base64.b64encode(row.thumbnail).decode("ascii")
        thumb = f'<img alt="frame of {escape(row.name)}" src="data:image/jpeg;base64,{data}">'
    elif row.kind in ("file", "folder"):
        thumb = ""  # sidecar-less other files: no picture expected
    else:
        thumb = f'<div class="nothumb">{escape(row.media_note or "no thumbnail")}</div>'
    lines = []
    for detail in row.details:
        css = ' class="gap"' if detail.startswith(("⚠", "✖")) else ""
        lines.append(f"<div{css}>{escape(detail)}</div>")
    if row.media_note and row.thumbnail:
        lines.append(f'<div class="folder">{escape(row.media_note)}</div>')
    sidecars = ""
    if row.sidecars:
        items = "".join(f"<li>{escape(s)}</li>" for s in row.sidecars)
        sidecars = f'<ul class="side">{items}</ul>'
    folder = f'<div class="folder">{escape(row.folder)}/</div>' if row.folder else ""
    kind = row.kind_label
    digests = "".join(f'<div class="digest">{escape(d)}</div>' for d in row.digests)
    states = "".join(_state(state) for _, state in row.states)
    css = ' class="bad"' if row.bad else ""
    return (
        f"<tr{css}>"
        f'<td class="thumb">{thumb}</td>'
        f'<td class="name"><div class="kind">{kind}</div><b>{escape(row.name)}</b>{folder}'
        f"{''.join(lines)}{sidecars}</td>"
        f"<td>{escape(row.size)}{digests}</td>"
        f"{states}</tr>"
    )


def _list(items: list[str], css: str, title: str) -> str:
    if not items:
        return ""
    body = "".join(f"<li>{escape(i)}</li>" for i in items)
    return f'<h2>{escape(title)}</h2><div class="{css}"><ul>{body}</ul></div>'


def render_html(view: ReportView) -> str:
    destinations = ""
    if view.destinations:
        heads = [k for k, _ in view.destinations[0]]
        head = "".join(f"<th>{escape(h)}</th>" for h in heads)
        body = "".join(
            f"<tr{' class=bad' if dict(row).get('Result', '').startswith('✖') else ''}>"
            + "".join(f"<td>{escape(v)}</td>" for _, v in row)
            + "</tr>"
            for row in view.destinations
        )
        destinations = (
            f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )
    dest_heads = "".join(
        f"<th>Destination {escape(label)}</th>" for label in view.destination_labels
    )
    clips = "".join(_clip(row) for row in view.clips)
    verdict_css = (
        "verdict bad" if not view.verdict_ok else "verdict warn" if view.verdict_warn else "verdict"
    )
    problems = _list(view.problems, "problems", f"Problems ({len(view.problems)})")
    release = ""
    if view.release:
        css = "release ok" if view.release_ok else "release"
        release = f'<div class="{css}">{escape(view.release)}</div>\n'
    totals = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in view.totals)
    ignored = _list(view.ignored, "notes", f"Ignored (not copied): {view.ignored_said}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(view.title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{escape(view.title)}</h1>
<div class="{verdict_css}" role="status">{escape(view.verdict)}</div>
{release}<div class="sub">{escape(view.verdict_detail)}</div>
</header>
{problems}
{_list(view.warnings, "warnings", "Warnings")}
<div class="cols">
<div><h2>Production</h2>{_kv(view.production, free_text=True, names=view.production_names)}</div>
<div><h2>Card</h2>{_kv(view.card)}</div>
</div>
<h2>Destinations</h2>
{destinations}
<h2>Clips and files ({plural(len(view.clips), "row")}, problems first)</h2>
{_list(view.notes, "notes", "About the thumbnails")}
<div class="wide"><table class="clips">
<thead><tr><th>Picture</th><th>Clip</th><th>Size and digests</th>{dest_heads}</tr></thead>
<tbody>
{clips}
</tbody>
</table></div>
{ignored}
<h2>Totals</h2>
<table class="kv">{totals}</table>
<footer>{escape(view.generated)}</footer>
</body>
</html>
"""
