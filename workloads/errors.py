"""Errors raised while reading or building workloads and quantization policies.

Hierarchy::

    ValueError
     └── LocatedError           vocabulary.errors: a message and where it comes from
          └── WorkloadError     a network, layer list or ONNX file is unusable
               └── QuantSpecError  a quantization format, spec or policy is invalid

Every error carries the place it comes from (``source``: a file, a zoo name, a
node or a field path) and builds its one-line message in ``__str__`` so that
the CLI can print it as is. Errors pickle, so they cross process boundaries in
parallel sweeps.
"""

from __future__ import annotations

from vocabulary.errors import LocatedError

__all__ = ["WorkloadError", "QuantSpecError"]


class WorkloadError(LocatedError):
    """A workload could not be loaded or built.

    Parameters
    ----------
    message : str
        What is wrong, phrased so that the user knows what to change.
    source : str, optional
        Where: a file path, a zoo name, an ONNX node or a dotted field path.
    """


class QuantSpecError(WorkloadError):
    """A number format, tensor quantization, spec or policy is invalid."""
