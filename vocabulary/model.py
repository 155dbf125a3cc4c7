"""The frozen pydantic base every qcosim value object derives from.

Like the standard-cell library a whole chip is drawn with: one base, so a
workload layer and a memory level freeze, refuse unknown fields and publish
their attribute docstrings in the JSON schema the same way.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["FrozenModel"]


class FrozenModel(BaseModel):
    """Immutable, strict, self-documenting: the shape of every qcosim value object."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)
