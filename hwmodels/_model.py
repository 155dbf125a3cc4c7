"""The constrained types every hardware model shares, and its frozen base (from `vocabulary.model`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic_core import PydanticCustomError

from vocabulary.model import FrozenModel

__all__ = [
    "FrozenModel",
    "Bits",
    "Count",
    "Bandwidth",
    "PicoJoules",
    "Milliwatts",
    "SquareMillimetres",
    "field_error",
]


Bits = Annotated[int, Field(ge=1, le=64)]
"""An operand or word width in bits."""
Count = Annotated[int, Field(gt=0)]
"""A strictly positive count (rows, lanes, instances, ports)."""
Bandwidth = Annotated[float, Field(gt=0)]
"""Bytes per cycle (or GB/s); ``.inf`` means unlimited, NaN is rejected by ``gt``."""
PicoJoules = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""An energy in picojoules."""
Milliwatts = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A power in milliwatts."""
SquareMillimetres = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""An area in mm²."""


def field_error(path: str, message: str) -> PydanticCustomError:
    """A validation error that points below the model raising it.

    Cross-field validators run on a whole model, so pydantic locates their
    errors at the model itself. Raising this instead lets the loader report
    the exact field (``memory[1].size_bytes``) that has to change.

    Parameters
    ----------
    path : str
        Dotted path relative to the model that raises, e.g. ``memory[1]``.
    message : str
        The one-line message.
    """
    return PydanticCustomError("hw_field", "{message}", {"path": path, "message": message})
