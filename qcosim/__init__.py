"""qcosim: hardware-software co-design simulator for quantized neural-network inference.

The public API is small: `simulate` a network at a policy on an accelerator,
`summarize_workload` its MACs and bytes, `search` the best per-layer
precisions under hardware budgets, `rank` uniform and searched plans, and
`measure_sensitivity` what each precision costs in accuracy.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["simulate", "summarize_workload", "search", "rank", "measure_sensitivity", "__version__"]

_LAZY = {"simulate": "api", "summarize_workload": "api", "search": "precision", "rank": "precision",
         "measure_sensitivity": "precision"}


def __getattr__(name: str) -> Any:
    # The API pulls in the simulator (numpy, networkx, simpy); the CLI's `hw` commands need none of it.
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"qcosim.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qcosim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
