"""What write_report puts on disk: self-contained HTML, Markdown whose tables parse, CSVs equal to the JSON."""

import base64
import csv
import json
import re
from pathlib import Path

import pytest

from reports import build_report, write_files, write_report
from reports.errors import ReportError


@pytest.fixture(scope="module")
def built(runs, search_report, sweep_dir):
    """One report of each kind: a run, a comparison, a search and a sweep."""
    inputs = {"run": [runs[1]], "comparison": runs, "search": [search_report], "sweep": [sweep_dir]}
    return {kind: build_report(items) for kind, items in inputs.items()}


@pytest.fixture(scope="module")
def written(tmp_path_factory, built):
    out = tmp_path_factory.mktemp("reports")
    return {kind: write_files(report, out / kind) for kind, report in built.items()}


@pytest.mark.parametrize("kind", ["run", "comparison", "search", "sweep"])
def test_csv_rereads_to_the_json_numbers(written, kind):
    files = written[kind]
    tables = json.loads(files.tables_json.read_text())
    assert {path.stem for path in files.csv} == set(tables)
    for path in files.csv:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        expected = tables[path.stem]["rows"]
        assert len(rows) == len(expected)
        for got, want in zip(rows, expected, strict=True):
            assert list(got) == list(want)
            for key, value in want.items():
                if value is None:
                    assert got[key] == ""
                elif isinstance(value, int | float):
                    assert float(got[key]) == value, (path.name, key)
                else:
                    assert got[key] == value


@pytest.mark.parametrize("kind", ["run", "comparison", "search", "sweep"])
def test_markdown_tables_parse_and_figures_exist(written, kind):
    files = written[kind]
    text = files.markdown.read_text()
    lines = text.splitlines()
    tables = 0
    for index, line in enumerate(lines):
        if line.startswith("|") and set(line) <= set("|-:"):  # a table's separator row
            header = lines[index - 1]
            columns = header.count("|") - header.count("\\|") - 1
            assert line.count("|") - 1 == columns
            body = lines[index + 1:]
            for row in body[:next((i for i, r in enumerate(body) if not r.startswith("|")), len(body))]:
                assert row.count("|") - row.count("\\|") - 1 == columns, row
            tables += 1
    assert tables == len(json.loads(files.tables_json.read_text()))
    linked = re.findall(r"!\[(?:\\.|[^\]])*\]\((figures/[^)]+\.svg)\)", text)
    assert linked and sorted(linked) == sorted(f"figures/{p.name}" for p in files.figures)
    assert all((files.markdown.parent / link).read_text().lstrip().startswith("<?xml") for link in linked)


@pytest.mark.parametrize("kind", ["run", "comparison", "search", "sweep"])
def test_html_is_self_contained(written, kind):
    page = written[kind].html.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page and "@import" not in page
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(images) == len(written[kind].figures) == page.count("<figure")
    for data in images:
        svg = base64.b64decode(data).decode()
        assert "<svg" in svg
        assert not re.search(r"""(href|src)\s*=\s*["'](https?:|//)|url\(\s*["']?https?:""", svg)  # namespaces only


def test_every_figure_has_units_on_its_axes_and_a_caption(built):
    units = ("(µs)", "(µJ)", "(ms)", "(MACs per", "(MACs per cycle)", "(proxy", "plan (best first)")
    for figure in (figure for report in built.values() for figure in report.figures()):
        assert figure.caption.endswith(".") and len(figure.caption) > 40, figure.name
        assert any(unit in figure.svg for unit in units), figure.name


def test_names_stay_distinct_when_a_report_holds_several_inputs(built, search_report):
    """Figures and tables are files named after them: inputs of one kind get numbered prefixes."""
    for report in [*built.values(), build_report([search_report, search_report])]:
        for names in ([f.name for f in report.figures()], [t.name for t in report.tables()]):
            assert len(names) == len(set(names))


def test_run_report_holds_the_headline_numbers(written, runs):
    tables = json.loads(written["run"].tables_json.read_text())
    headline = {row["quantity"]: row["value"] for row in tables["headline"]["rows"]}
    totals = runs[1].totals
    assert headline["latency"] == totals.latency_s * 1e3
    assert headline["energy per inference"] == totals.energy_pj * 1e-6
    assert headline["efficiency"] == 2 * totals.macs / totals.energy_pj  # TOPS/W = 2 ops per MAC / pJ
    layers = tables["layers"]["rows"]
    assert [row["cycles"] for row in layers] == [layer.cycles for layer in runs[1].layers]
    causes = ("array_cycles", "fill_drain_cycles", "vector_cycles", "buffer_port_cycles", "dram_stall_cycles")
    assert all(sum(row[c] for c in causes) == row["cycles"] for row in layers)
    assert "qcosim simulate resnet18 --hw bitfusion --quant w4a8 --fidelity analytical --json" in \
        written["run"].markdown.read_text()


def test_search_and_sweep_reports_mark_the_chosen_plan_and_the_knee(written, search_report, sweep_dir):
    search = json.loads(written["search"].tables_json.read_text())
    chosen = [row for row in search["search_pareto"]["rows"] if row["chosen"] == "yes"]
    assert len(chosen) == 1 and chosen[0]["sensitivity"] == search_report.result.best.totals["sensitivity"]
    assert {row["layer"]: row["quant"] for row in search["search_plan"]["rows"]} == {
        name: quant for name, quant in search_report.result.best.assignment.items()
        if len(next(r for r in search_report.layers if r.layer == name).options) > 1}
    sweep = json.loads(written["sweep"].tables_json.read_text())
    from analysis.runner import pareto

    front = pareto(sweep_dir, "latency,energy")
    rows = sweep["front_resnet18"]["rows"]
    assert [row["latency_ms"] for row in rows] == [p.objectives["latency"] * 1e3 for p in front.points]
    assert [row["knee"] for row in rows].count("knee") == 1
    assert len(sweep["points"]["rows"]) == 8


def test_nothing_to_report_and_unwritable_directory(tmp_path, runs):
    with pytest.raises(ReportError, match="give at least one result"):
        build_report([])
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ReportError, match=f"{blocker}: cannot write the report"):
        write_report([runs[0]], blocker)


def test_search_without_a_plan_says_why_and_keeps_the_pareto_set():
    from qcosim import precision

    table = Path(__file__).parents[3] / "examples" / "costs.csv"
    report = precision.search_table(table, ["latency=0.1x"])
    built = build_report([report])
    first = built.sections[0]
    assert first.paragraphs == (f"No plan meets the budgets: {report.result.reason}",)
    assert first.code == ("qcosim search --table costs.csv --budget latency=0.1x",)  # the name the search keeps
    assert [t.name for t in built.tables()] == ["search_pareto"]
    assert len(built.tables()[0].rows) == len(report.result.pareto) > 0


def test_energy_parts_add_up_to_the_total_on_a_chip_with_overhead():
    # Eyeriss declares a clock/control/network overhead per occupied PE and cycle (JSSC 2017, calibrated in
    # hwmodels/presets/eyeriss.yaml): the report's energy parts and per-layer columns must include it.
    from qcosim import simulate
    from reports.figures import energy_components
    from reports.simulation import _layer_table

    result = simulate("resnet18", "eyeriss", "w8a8")
    energy = result.totals.energy
    assert energy.overhead_pj > 0
    assert sum(energy_components(energy).values()) == pytest.approx(energy.total_pj, rel=1e-12)
    table = _layer_table(result, "")
    names = [column.key for column in table.columns]
    first = dict(zip(names, table.rows[0], strict=True))
    parts = [key for key in names if key.endswith("_uj") and key != "energy_uj" and not key.startswith(
        ("requant", "dequant", "zero_point", "dynamic_range", "codebook", "padding"))]
    assert sum(first[key] for key in parts) == pytest.approx(first["energy_uj"], rel=1e-9)
