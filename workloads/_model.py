"""The frozen pydantic base of every workload-side model (re-exported from `vocabulary.model`)."""

from __future__ import annotations

from vocabulary.model import FrozenModel

__all__ = ["FrozenModel"]
