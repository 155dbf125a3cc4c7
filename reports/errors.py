"""Errors of the report layer: an input that is no qcosim result, or an output directory that cannot be written.

A `ReportError` is an `analysis.errors.AnalysisError`, so the CLI prints it as
one line naming the file and exits with code 2.
"""

from __future__ import annotations

from analysis.errors import AnalysisError

__all__ = ["ReportError"]


class ReportError(AnalysisError):
    """A report cannot be made: ``r.txt: not a qcosim result (expected a simulate or search JSON or a sweep store)``."""
