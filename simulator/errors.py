"""Errors raised while mapping or simulating a workload on an accelerator.

Hierarchy::

    ValueError
     └── MappingError       a layer cannot be placed on the hardware (tile too big,
                            format unsupported, no unit can run it)
    RuntimeError
     └── SimulationError    the simulation itself failed (cycle budget exceeded)

Both carry the layer they concern and build their one-line message in
``__str__``; both pickle, so parallel sweeps can ship them between processes.
"""

from __future__ import annotations

__all__ = ["MappingError", "SimulationError"]


class MappingError(ValueError):
    """A layer cannot run on the accelerator as described.

    Parameters
    ----------
    layer : str
        The layer's name.
    message : str
        What does not fit or is not supported, and what would.
    """

    def __init__(self, layer: str, message: str) -> None:
        super().__init__(layer, message)
        self.layer = layer
        self.message = message

    def __reduce__(self):
        return (type(self), (self.layer, self.message))

    def __str__(self) -> str:
        return f"layer {self.layer!r}: {self.message}"


class SimulationError(RuntimeError):
    """The discrete-event simulation could not finish."""

    def __init__(self, message: str, layer: str | None = None) -> None:
        super().__init__(message, layer)
        self.message = message
        self.layer = layer

    def __reduce__(self):
        return (type(self), (self.message, self.layer))

    def __str__(self) -> str:
        return f"layer {self.layer!r}: {self.message}" if self.layer else self.message
