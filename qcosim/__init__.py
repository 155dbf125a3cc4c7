"""qcosim: hardware-software co-design simulator for quantized neural-network inference.

The public API is small: load a workload, apply a quantization policy,
describe hardware, and (from the simulator on) simulate.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["simulate", "summarize_workload", "__version__"]

_LAZY = ("simulate", "summarize_workload")


def __getattr__(name: str) -> Any:
    # The API pulls in the simulator (numpy, networkx, simpy); the CLI's `hw` commands need none of it.
    if name in _LAZY:
        from qcosim import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qcosim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
