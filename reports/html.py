"""The report as one self-contained HTML page: styles, plots (inline SVG images) and a sorting script inside.

Nothing is fetched when the page is viewed: no CDN, no web font, no external
image. Every number cell carries its raw value in ``data-value``; a click on
a heading of a sortable table sorts its rows by those values.
"""

from __future__ import annotations

import base64
import html
import re

from reports.document import Figure, Report, Section, Table, format_value

__all__ = ["render_html"]

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1d232b;
  margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px 32px 64px;background:#fff;min-height:100vh}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;margin:36px 0 8px;padding-top:12px;border-top:1px solid #e2e5e9}
h3{font-size:16px;margin:20px 0 6px}.summary{font-size:16px;color:#39424d;margin:0 0 12px}
nav ol{margin:4px 0 0;padding-left:22px;columns:2}nav a{color:#2d5b94;text-decoration:none}
figure{margin:18px 0 26px}figure img{width:100%;max-width:1100px;height:auto;display:block}
figcaption{color:#4a5561;font-size:14px;margin-top:4px}figcaption b{color:#1d232b}
.scroll{display:inline-block;max-width:100%;box-sizing:border-box;overflow-x:auto;max-height:640px;overflow-y:auto;border:1px solid #e2e5e9;border-radius:4px}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #eceef1;white-space:nowrap}
th{background:#f0f2f5;text-align:left;position:sticky;top:0}td.num{text-align:right}th.num{text-align:right}
table.sortable th{cursor:pointer}table.sortable th:hover{background:#e2e7ee}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
tr.highlight td{background:#fff6d6}p.caption{color:#4a5561;font-size:14px;margin:4px 0 10px}
pre{background:#f0f2f5;padding:8px 12px;border-radius:4px;overflow-x:auto;font-size:13px}
footer{margin-top:40px;color:#6b7682;font-size:13px}
"""

_SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var key = function (row) {
        var cell = row.cells[column], raw = cell.getAttribute("data-value");
        return raw === null ? cell.textContent : parseFloat(raw);
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _table(table: Table) -> str:
    numeric = [column.kind != "text" for column in table.columns]
    head = "".join(f'<th class="num" scope="col">{html.escape(c.heading)}</th>' if n
                   else f'<th scope="col">{html.escape(c.heading)}</th>' for c, n in zip(table.columns, numeric, strict=True))
    body = []
    for row in table.rows:
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            text = html.escape(format_value(value, column.kind))
            if column.kind != "text" and isinstance(value, int | float):
                cells.append(f'<td class="num" data-value="{value!r}">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    sortable = ' class="sortable"' if table.sortable else ""
    caption = f'<p class="caption">{html.escape(table.caption)}</p>' if table.caption else ""
    return (f'<h3 id="table-{table.name}">{html.escape(table.title)}</h3>{caption}'
            f'<div class="scroll"><table{sortable} data-table="{table.name}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.svg.encode("utf-8")).decode("ascii")
    return (f'<figure id="figure-{figure.name}"><img src="data:image/svg+xml;base64,{data}" '
            f'alt="{html.escape(figure.title)}"><figcaption><b>{html.escape(figure.title)}.</b> '
            f"{html.escape(figure.caption)}</figcaption></figure>")


def _section(section: Section) -> str:
    parts = [f'<section id="{_anchor(section.title)}"><h2>{html.escape(section.title)}</h2>']
    parts += [f"<p>{html.escape(text)}</p>" for text in section.paragraphs]
    if section.bullets:
        parts.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in section.bullets) + "</ul>")
    if section.code:
        parts.append("<p>Reproduce with:</p><pre><code>" + html.escape("\n".join(section.code)) + "</code></pre>")
    parts += [_table(table) for table in section.tables]
    parts += [_figure(figure) for figure in section.figures]
    parts.append("</section>")
    return "".join(parts)


def render_html(report: Report, *, generator: str = "qcosim") -> str:
    """The whole page as text."""
    toc = "".join(f'<li><a href="#{_anchor(s.title)}">{html.escape(s.title)}</a></li>' for s in report.sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(report.title)}</title><style>{_CSS}</style></head><body><main>"
        f'<h1>{html.escape(report.title)}</h1><p class="summary">{html.escape(report.summary)}</p>'
        f"<nav><b>Contents</b><ol>{toc}</ol></nav>"
        + "".join(_section(section) for section in report.sections)
        + f"<footer>Made by {html.escape(generator)}. The tables are also in tables/*.csv and tables.json beside "
        "this page; report.md holds the same content as Markdown.</footer>"
        f"</main><script>{_SORT_JS}</script></body></html>\n"
    )
