"""The frozen pydantic base every workload-side model derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["FrozenModel"]


class FrozenModel(BaseModel):
    """Immutable, strict, self-documenting: the shape of every qcosim value object."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)
