"""Reports opened as a person opens them: in a real browser (headless Chromium, Debian's ``chromium``).

The page is loaded from disk with the network off; a copy of it gets two small scripts, one first in
``<head>`` that records script errors, console errors and images that fail, one that on ``load``
writes what the browser saw (every image's natural size, a sort by a click) into a ``<pre>`` that
``--dump-dom`` prints. The numbers shown in the page's tables are then read back and compared
with the results' JSON. A screenshot at desktop width is kept beside the report.

Skips, saying why, only where Chromium is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import qcosim
from reports import write_report

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed: apt-get install "
                                                          "chromium (.ci/run does it where apt is usable)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
DESKTOP = (1400, 2400)

_RECORD = """<script>
window.__problems = [];
window.addEventListener("error", function (event) {
  var target = event.target;
  __problems.push(target && target.tagName === "IMG" ? "image failed: " + target.alt : "error: " + event.message);
}, true);
(function () {
  var original = console.error;
  console.error = function () { __problems.push("console.error: " + Array.prototype.join.call(arguments, " "));
                                original.apply(console, arguments); };
})();
</script>"""

_REPORT = """<script>
window.addEventListener("load", function () {
  var images = Array.prototype.map.call(document.images, function (img) {
    return {alt: img.alt, width: img.naturalWidth, height: img.naturalHeight, shown: img.getBoundingClientRect().width};
  });
  var sorted = null, table = document.querySelector("table.sortable[data-table='SORT_TABLE']");
  if (table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var column = heads.findIndex(function (th) { return th.textContent === "cycles"; });
    heads[column].click(); heads[column].click();  /* the second click sorts descending */
    sorted = Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      return parseFloat(row.cells[column].getAttribute("data-value")); });
  }
  var out = document.createElement("pre");
  out.id = "qcosim-check";
  out.textContent = JSON.stringify({problems: __problems, images: images, sorted: sorted});
  document.body.appendChild(out);
});
</script>"""


def _chromium(*args: str, user_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={user_dir}", *args], capture_output=True, text=True,
                          timeout=120, check=False)


class _Page(HTMLParser):
    """The dumped DOM's tables (cell texts by ``data-table``) and the check block."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.check = ""
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_check = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("data-table")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "pre" and attrs.get("id") == "qcosim-check":
            self._in_check = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "pre":
            self._in_check = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_check:
            self.check += data


def open_in_browser(html: Path, tmp_path: Path, sort_table: str = "") -> tuple[dict, dict[str, list[list[str]]]]:
    """Load a copy of ``html`` with the recording scripts; return what it recorded and the tables.

    ``sort_table`` names a per-layer table to sort by a click on its "cycles" heading.
    """
    page = html.read_text()
    probe = html.with_name("probe.html")
    probe.write_text(page.replace("<head>", "<head>" + _RECORD, 1)
                     .replace("</body>", _REPORT.replace("SORT_TABLE", sort_table) + "</body>", 1))
    run = _chromium("--virtual-time-budget=10000", "--dump-dom", probe.as_uri(), user_dir=tmp_path / "profile")
    parsed = _Page()
    parsed.feed(run.stdout)
    assert parsed.check, f"the page never finished loading: {run.stderr[-500:]}"
    return json.loads(parsed.check), parsed.tables


def screenshot(html: Path, tmp_path: Path) -> Path:
    """A desktop-width screenshot of the report, saved beside it."""
    shot = html.with_name("screenshot.png")
    _chromium(f"--screenshot={shot}", f"--window-size={DESKTOP[0]},{DESKTOP[1]}", html.as_uri(),
              user_dir=tmp_path / "profile")
    return shot


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


@pytest.fixture(scope="module")
def runs():
    return [qcosim.simulate("resnet18", "bitfusion", policy) for policy in ("w8a8", "w4a8")]


def test_comparison_report_in_a_browser(tmp_path, runs):
    files = write_report(runs, tmp_path / "report")
    check, tables = open_in_browser(files.html, tmp_path, sort_table="1_layers")
    assert check["problems"] == []
    assert len(check["images"]) == len(files.figures) >= 9
    for image in check["images"]:  # every plot decoded, with its own size, and laid out on the page
        assert image["width"] > 300 and image["height"] > 150 and image["shown"] > 300, image

    # The numbers a reader sees are the results' own, to the 4 significant digits shown.
    for index, result in enumerate(runs, start=1):
        headline = {row[0]: _number(row[1]) for row in tables[f"{index}_headline"][1:]}
        totals = result.totals
        assert headline["latency"] == pytest.approx(totals.latency_s * 1e3, rel=5e-4)
        assert headline["energy per inference"] == pytest.approx(totals.energy_pj * 1e-6, rel=5e-4)
        assert headline["DRAM traffic"] == pytest.approx(totals.dram_bytes * 1e-6, rel=5e-4)
        assert headline["utilization"] == pytest.approx(totals.utilization * 100, rel=5e-4)
        assert headline["MACs"] == totals.macs and headline["cycles"] == totals.cycles
        header, *rows = tables[f"{index}_layers"]
        cycles = {row[0]: int(_number(row[header.index("cycles")])) for row in rows}
        assert cycles == {layer.name: layer.cycles for layer in result.layers}
    speedups = {row[0]: _number(row[2]) for row in tables["comparison"][1:]}
    assert speedups["w4a8 on bitfusion"] == pytest.approx(runs[0].totals.latency_s / runs[1].totals.latency_s, rel=5e-4)

    # A click on "cycles" (twice) sorted the per-layer table, largest first.
    assert check["sorted"] == sorted((layer.cycles for layer in runs[0].layers), reverse=True)

    shot = screenshot(files.html, tmp_path)
    assert _png_size(shot) == DESKTOP
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one (blank: ~10 kB)


def test_des_search_and_sweep_report_in_a_browser(tmp_path):
    from qcosim import precision

    des = qcosim.simulate("resnet18", "bitfusion", "w4a8", fidelity="des",
                          options=qcosim.api.SimOptions(record_timeline=True))
    search = precision.search(str(Path(__file__).parents[2] / "examples" / "tiny-cnn.yaml"), "bitfusion",
                              "w2a8,w4a8,w8a8", ["latency=range:0.5"], pin_first_last=False)
    files = write_report([des, search], tmp_path / "report")
    check, tables = open_in_browser(files.html, tmp_path)
    assert check["problems"] == []
    assert any(image["alt"] == "Timeline" for image in check["images"])
    assert all(image["width"] > 300 and image["height"] > 150 for image in check["images"])
    header, *rows = tables["2_search_pareto"]
    shown = [_number(row[header.index("sensitivity")]) for row in rows]
    assert shown == pytest.approx([plan.totals["sensitivity"] for plan in search.result.pareto], rel=5e-4)
    assert _png_size(screenshot(files.html, tmp_path)) == DESKTOP
