"""The one shape of a located user-input error: what is wrong, and where.

``LocatedError`` carries ``message`` (what to change) and ``source`` (a file
with its line, a zoo name, an ONNX node, a layer, a command-line option or a
dotted field path) and builds its one-line text in ``__str__`` so that the CLI
prints it as is. It pickles, so it crosses process boundaries in parallel
sweeps. `workloads.errors.WorkloadError` and `analysis.errors.AnalysisError`
are its kinds; hardware errors add a field path and details of their own
(`hwmodels.errors.ConfigError`).
"""

from __future__ import annotations

__all__ = ["LocatedError"]


class LocatedError(ValueError):
    """A user input is unusable: ``message`` says what to change, ``source`` where.

    Examples
    --------
    >>> str(LocatedError("unknown model 'resnet'", "model.yaml"))
    "model.yaml: unknown model 'resnet'"
    >>> import pickle; pickle.loads(pickle.dumps(LocatedError("bad", "x"))).source
    'x'
    """

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__(message, source)
        self.message = message
        self.source = source

    def __reduce__(self):
        return (type(self), (self.message, self.source))

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message
