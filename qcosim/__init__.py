"""qcosim: hardware-software co-design simulator for quantized neural-network inference.

The public API is small: `simulate` a network at a policy on an accelerator,
`summarize_workload` its MACs and bytes, `search` the best per-layer
precisions under hardware budgets, `rank` uniform and searched plans, and
`measure_sensitivity` what each precision costs in accuracy, `sweep` a design
space into a resumable store, and `pareto` its non-dominated points.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["simulate", "summarize_workload", "search", "rank", "measure_sensitivity", "sweep", "pareto",
           "__version__"]

_LAZY = {"simulate": ("qcosim.api", "simulate"), "summarize_workload": ("qcosim.api", "summarize_workload"),
         "search": ("qcosim.precision", "search"), "rank": ("qcosim.precision", "rank"),
         "measure_sensitivity": ("qcosim.precision", "measure_sensitivity"),
         "sweep": ("analysis.runner", "run_sweep"), "pareto": ("analysis.runner", "pareto")}


def __getattr__(name: str) -> Any:
    # The API pulls in the simulator (numpy, networkx, simpy); the CLI's `hw` commands need none of it.
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qcosim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
