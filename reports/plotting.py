"""Matplotlib, set up once for reports: the Agg backend, one style, figures rendered to SVG text.

Matplotlib is imported when the first figure is drawn, never on ``import
reports``; without it, `pyplot` raises a `ReportError` with the install hint.
SVG text stays text (``svg.fonttype = none``): smaller files, selectable
labels, and the same bytes go inline in the HTML and beside the Markdown.
"""

from __future__ import annotations

import io
from typing import Any

from reports.errors import ReportError

__all__ = ["pyplot", "to_svg", "PALETTE", "WIDTH_IN", "HEIGHT_IN"]

WIDTH_IN, HEIGHT_IN = 9.0, 4.2
"""Default figure size in inches (100 px each in the page)."""
PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
           "#ccb974", "#64b5cd")
"""Colours in order of use (seaborn's 'deep', readable in print and for most colour-blind readers)."""

_STYLE = {
    "svg.fonttype": "none", "svg.hashsalt": "qcosim", "font.size": 10, "axes.titlesize": 11,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
    "legend.frameon": False, "legend.fontsize": 9, "figure.dpi": 100, "savefig.bbox": "tight",
}


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend with the report style.

    Raises
    ------
    ReportError
        Matplotlib is not installed.
    """
    try:
        import matplotlib
    except ImportError:
        raise ReportError("plots need matplotlib: pip install matplotlib", "reports") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update(_STYLE)
    return plt


def to_svg(figure: Any) -> str:
    """The figure as SVG text, closed afterwards (no date stamp: equal figures give equal bytes)."""
    plt = pyplot()
    buffer = io.StringIO()
    try:
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(figure)
    return buffer.getvalue()
