"""The constrained types every hardware model shares, and its frozen base (from `vocabulary.model`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, model_validator
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
    "refuse_removed",
]


Bits = Annotated[int, Field(ge=1, le=64)]
"""An operand or word width in bits."""
Count = Annotated[int, Field(gt=0)]
"""A strictly positive count (rows, lanes, instances, channels)."""
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


def refuse_removed(removed: Mapping[str, str]) -> Any:
    """A ``mode="before"`` model validator giving a one-line error for fields removed from the schema.

    ``extra="forbid"`` would only say "unknown field"; a file written for an
    older release deserves to hear that the field existed, why it went and
    what to use instead. Assign the result in the model's class body.

    Parameters
    ----------
    removed : mapping of str to str
        Removed field name -> why it was removed and what to use instead.
    """

    def check(cls: type, data: Any) -> Any:
        if isinstance(data, dict):
            for name, why in removed.items():
                if name in data:
                    raise field_error(name, f"removed in schema 1: {why}")
        return data

    return model_validator(mode="before")(classmethod(check))
