"""What each zoo model can be asked for: batch, image size, sequence lengths, LLM phase.

The knobs on the front panel of each built-in network. Every model takes a
``batch``; the rest depend on the family. Values are strict integers (``True``
is not a batch size) and each rule is a pydantic constraint, so a bad value
comes back as ``batch: must be >= 1 (got 0)``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from workloads._model import FrozenModel

__all__ = ["ZooParams", "ImageParams", "VggParams", "VitParams", "BertParams", "LlamaParams"]

PATCH = 16
"""ViT-B/16 patch side, in pixels."""
BERT_MAX_POSITIONS = 512
"""Rows of BERT-base's learned position-embedding table: the longest sequence it reads."""

Count = Annotated[int, Field(ge=1, strict=True)]


class ZooParams(FrozenModel):
    """Parameters every zoo model takes."""

    batch: Count = 1
    """Independent inputs processed together (images or sequences)."""


class ImageParams(ZooParams):
    """A convolutional image classifier."""

    image_size: Count = 224
    """Side of the square input image, in pixels."""


class VggParams(ImageParams):
    """VGG-16: its five unpadded 2x2 max-pools need at least 32 pixels."""

    image_size: Annotated[int, Field(ge=32, strict=True)] = 224
    """Side of the square input image, in pixels."""


class VitParams(ZooParams):
    """ViT-B/16: the image is cut into 16x16 patches, so its side must be a multiple of 16."""

    image_size: Annotated[int, Field(ge=PATCH, strict=True)] = 224
    """Side of the square input image, in pixels; sets the tokens to (image_size/16)^2 + 1."""

    @field_validator("image_size")
    @classmethod
    def _whole_patches(cls, value: int) -> int:
        if value % PATCH:
            raise ValueError(f"must be a multiple of {PATCH} (got {value})")
        return value


class BertParams(ZooParams):
    """BERT-base encoder."""

    seq_len: Annotated[int, Field(ge=1, le=BERT_MAX_POSITIONS, strict=True)] = 128
    """Tokens per sequence (at most 512, the rows of the position-embedding table)."""


class LlamaParams(ZooParams):
    """LLaMA-7B, one forward pass of either phase of generation."""

    phase: Literal["prefill", "decode"] = "prefill"
    """``prefill`` runs the ``seq_len`` prompt tokens at once; ``decode`` runs one new token."""
    seq_len: Count = 512
    """Prompt tokens per sequence processed by a prefill pass."""
    kv_len: Annotated[int, Field(ge=0, strict=True)] = 512
    """Tokens already in the KV cache when a decode step runs (it attends to kv_len + 1 keys)."""

    @model_validator(mode="after")
    def _length_matches_phase(self) -> LlamaParams:
        # A length of the other phase would be silently ignored; say so instead.
        if self.phase == "prefill" and "kv_len" in self.model_fields_set:
            raise ValueError("kv_len applies to phase='decode' only (got phase='prefill')")
        if self.phase == "decode" and "seq_len" in self.model_fields_set:
            raise ValueError(
                "seq_len applies to phase='prefill' only; a decode step runs 1 token, "
                "set kv_len for its context (got phase='decode')"
            )
        return self
