"""What a chip does with zero activations: a compression code for DRAM and zero gating in the PEs.

Both are off unless a description declares them. Eyeriss does both (Chen,
Krishna, Emer, Sze, "Eyeriss: An Energy-Efficient Reconfigurable Accelerator
for Deep Convolutional Neural Networks", IEEE JSSC 52(1), 2017):

* Sec. IV-B: feature maps are stored in DRAM run-length coded: a run of up
  to 31 zeros as a 5-bit *Run*, the next value as a 16-bit *Level*, three
  (run, level) pairs packed into a 64-bit word whose last bit marks the
  code's last word. The input of the first layer is stored uncoded.
* Sec. V-C: a zero buffer marks zero ifmap values; the PE then skips the
  filter-scratchpad read and keeps the MAC datapath from switching (45% less
  PE power than without the gating logic).

The arithmetic (bits per element after coding) is `simulator.compression`;
the hardware only declares the code's fields.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hwmodels._model import Bits, FrozenModel

__all__ = ["RunLengthCode", "Sparsity"]


class RunLengthCode(FrozenModel):
    """Zero run-length coding: (zero-run, value) pairs packed into fixed words; a value is as wide as the element."""

    kind: Literal["run_length"] = "run_length"
    """The code (run-length coding of zeros is the only one so far)."""
    run_bits: Bits = 5
    """Bits of a run count: runs of up to 2^run_bits - 1 zeros."""
    word_bits: Bits = 64
    """Bits of one packed word."""
    flag_bits: int = Field(default=1, ge=0, le=8)
    """Bits of each word spent on framing (Eyeriss: one bit marking the last word)."""


class Sparsity(FrozenModel):
    """How the chip exploits zero activations; the default exploits none."""

    activation_compression: RunLengthCode | None = None
    """Code activations are stored in DRAM with (inputs read, finished outputs written); unset: stored raw."""
    zero_gating: bool = False
    """PEs skip the MAC and the weight-register read when the input activation is zero."""
