"""What a saved result ran on, found again: the accelerator and the workload, by name, checked by digest.

A `SimResult` names its accelerator and network and carries their digests
(`simulator.results.Provenance`), not the descriptions themselves. A report
wants the accelerator's datasheet (peaks per precision, memory, DRAM roof)
and the network's parameter count: a preset or zoo model of the same name is
used only when its digest equals the result's, so a report never shows the
datasheet of another chip under the run's name.
"""

from __future__ import annotations

from hwmodels import Accelerator, load_hardware
from hwmodels.errors import ConfigError
from simulator.assembly import workload_digest
from simulator.hardware_view import hardware_digest
from simulator.results import SimResult
from workloads import WorkloadSummary, apply_quant, load_policy, load_workload, summarize
from workloads.errors import WorkloadError

__all__ = ["matching_hardware", "matching_workload"]


def _same(result: SimResult, digest: str, field: str) -> bool:
    return result.provenance is None or getattr(result.provenance, field) == digest


def matching_hardware(result: SimResult, given: Accelerator | None = None) -> Accelerator | None:
    """The accelerator ``result`` ran on: ``given`` or the preset of its name, whichever has its digest.

    Examples
    --------
    >>> import qcosim
    >>> run = qcosim.simulate("resnet18", "bitfusion", "w4a8")
    >>> matching_hardware(run).name, matching_hardware(run.model_copy(update={"hardware": "my-chip"}))
    ('bitfusion', None)
    """
    if given is not None and _same(result, hardware_digest(given), "hardware_digest"):
        return given
    try:
        preset = load_hardware(result.hardware)
    except ConfigError:
        return None
    return preset if _same(result, hardware_digest(preset), "hardware_digest") else None


def matching_workload(result: SimResult) -> WorkloadSummary | None:
    """MACs, parameters and bytes of ``result``'s network at its policy, when the zoo model of its name
    (default parameters) is the network that ran; None otherwise (files, other parameters, streams)."""
    try:
        graph = apply_quant(load_workload(result.workload), load_policy(result.policy))
    except (WorkloadError, ConfigError, OSError):
        return None
    if result.provenance is None or workload_digest(graph) != result.provenance.workload_digest:
        return None
    return summarize(graph, policy=result.policy)
