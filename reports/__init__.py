"""Reports: simulations, comparisons, searches and sweeps rendered as HTML, Markdown, CSV and JSON, with plots.

>>> from reports import write_report          # doctest: +SKIP
>>> files = write_report(["r8.json", "r4.json"], "out/report")   # doctest: +SKIP
>>> files.html                                 # doctest: +SKIP
PosixPath('out/report/report.html')

Heavy imports (matplotlib, the simulator) wait until a report is built.
"""

from typing import Any

__all__ = ["ReportError", "ReportFiles", "build_report", "load_input", "write_files", "write_report"]

_LAZY = {"ReportError": "reports.errors", "ReportFiles": "reports.build", "build_report": "reports.build",
         "write_files": "reports.build", "write_report": "reports.build", "load_input": "reports.load"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'reports' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
