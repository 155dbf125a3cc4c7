"""Errors raised by the analysis layer: sensitivities, cost tables, searches and rankings.

Hierarchy::

    ValueError
     └── LocatedError       vocabulary.errors: a message and where it comes from
      └── AnalysisError     an analysis cannot run on the inputs it was given (a graph
                            without weights, a bad calibration or trace file, an unknown
                            layer or candidate, an impossible budget)
          ├── BudgetError   a --budget text cannot be read or names no cost column
          ├── CostTableError  a user cost table (CSV) has a missing column, a bad value or
          │                 contradictory rows
          ├── SearchError   per-layer candidates contradict each other (tied layers
          │                 without a common format, a pin that is no candidate)
          └── SweepError    a sweep spec cannot be expanded: a bad field, dotted path,
                            value or constraint, or a hardware sample that does not validate

Like the workload errors, an `AnalysisError` carries the place it comes from
(``source``: a file with its line, a layer, a command-line option) and builds
its one-line message in ``__str__`` so the CLI prints it as is (exit code 2).
It pickles, so it crosses process boundaries in parallel sweeps.
"""

from __future__ import annotations

from vocabulary.errors import LocatedError

__all__ = ["AnalysisError", "BudgetError", "CostTableError", "SearchError", "SweepError"]


class AnalysisError(LocatedError):
    """An analysis could not run on its inputs.

    Parameters
    ----------
    message : str
        What is wrong, phrased so that the user knows what to change.
    source : str, optional
        Where: a file (``traces.csv:3``), a layer, or an option (``--candidates``).

    Examples
    --------
    >>> str(AnalysisError("column 'trace': 'abc' is not a number", "traces.csv:3"))
    "traces.csv:3: column 'trace': 'abc' is not a number"
    """


class BudgetError(AnalysisError):
    """A budget such as ``latency=2.5ms`` cannot be parsed or names no cost column."""


class CostTableError(AnalysisError):
    """A user cost table has a missing column, a bad value or contradictory rows."""


class SearchError(AnalysisError):
    """Per-layer candidates contradict each other: tied layers without a common format, a bad pin."""


class SweepError(AnalysisError):
    """A sweep spec is unusable: ``sweep.yaml: hardware.vary['engines[0].rowz']: no such field``."""
