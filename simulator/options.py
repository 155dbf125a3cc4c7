"""How to simulate: the knobs of one run, validated once at the edge."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.mapping import Objective
from workloads._model import FrozenModel

__all__ = ["Fidelity", "SimOptions"]

Fidelity = Literal["analytical", "des"]


class SimOptions(FrozenModel):
    """How to simulate.

    Examples
    --------
    >>> from pydantic import ValidationError
    >>> try:
    ...     SimOptions(fidelity="DES")
    ... except ValidationError as exc:
    ...     print(exc.errors()[0]["msg"])
    Input should be 'analytical' or 'des'
    """

    fidelity: Fidelity = "analytical"
    """Closed-form per layer, or discrete-event over tiles with shared DRAM."""
    objective: Objective = Objective.LATENCY
    """What the mapper minimizes per layer (the other of latency and energy breaks ties)."""
    keep_activations_on_chip: bool = True
    """Let activations that fit in a unified activation buffer skip the DRAM round trip."""
    max_events_per_layer: int = Field(default=128, ge=1)
    """Discrete-event budget: identical tiles are grouped so a layer has at most this many."""
    pipeline: bool = False
    """Cut the network into one stage of consecutive layers per engine (layer pipelining), so
    streamed batch items flow engine to engine; otherwise each layer goes where it finishes first."""
    record_timeline: bool = False
    """Keep every discrete-event span in the result (about 1 KB each; `--trace` turns it on)."""
    keep_layers: bool = True
    """Keep the per-layer results; sweeps turn it off for a compact, totals-only result."""
    max_cycles: int | None = Field(default=None, ge=1)
    """Stop the discrete-event run with an error past this many cycles (deadlock guard)."""
