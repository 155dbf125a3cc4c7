"""qcosim: hardware-software co-design simulator for quantized neural-network inference.

The public API is small: load a workload, apply a quantization policy,
describe hardware, and (from the simulator on) simulate.
"""

from qcosim.api import simulate, summarize_workload

__version__ = "0.1.0"
__all__ = ["simulate", "summarize_workload", "__version__"]
