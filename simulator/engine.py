"""`simulate`: an annotated layer graph on an accelerator, to latency, energy and where they go.

The top of the simulator, like a testbench, in the two steps the design names:
`map_graph` does the shape work (residency plan, a mapping of every MAC layer
on each engine that can run it, counts, list scheduling: a `Schedule`), and
`price` turns a schedule into a `SimResult` with the accelerator's energy
table; the discrete-event fidelity replays the same schedule as events
(`simulator.des`) instead. Per-layer work is cached (`simulator.layer_cost`),
so a layer seen before costs a look-up.
"""

from __future__ import annotations

from hwmodels import Accelerator
from simulator.assembly import assemble
from simulator.hardware_view import HardwareView, hardware_view
from simulator.options import SimOptions
from simulator.residency import plan_residency
from simulator.results import SimResult
from simulator.schedule import Schedule, engine_choices, list_schedule, pipeline_stages
from workloads.graph import LayerGraph

__all__ = ["map_graph", "price", "simulate"]


def map_graph(graph: LayerGraph, acc: Accelerator, options: SimOptions = SimOptions(),
              view: HardwareView | None = None) -> Schedule:
    """Every layer costed on the units that can run it, and placed by list scheduling.

    Raises
    ------
    MappingError
        A layer cannot run on the hardware (format unsupported, no tile fits).
    """
    view = view or hardware_view(acc)
    residency = plan_residency(graph, view, options.keep_activations_on_chip)
    choices = engine_choices(graph, acc, view, options.objective, residency)
    stages = None
    if options.pipeline and len(acc.engines) > 1:
        stages = pipeline_stages(graph, choices, [engine.name for engine in acc.engines])
    return list_schedule(graph, choices, stages)


def price(graph: LayerGraph, schedule: Schedule, acc: Accelerator, options: SimOptions = SimOptions(), *,
          policy: str = "") -> SimResult:
    """The analytical `SimResult` of ``schedule`` priced with ``acc``'s energy table.

    ``acc`` may differ from the accelerator the schedule was mapped on in its
    energy table only (another technology node or table): the counts stay,
    the prices change.
    """
    return assemble(graph, schedule.counts, schedule.spans, schedule.peaks, acc, hardware_view(acc),
                    options.model_copy(update={"fidelity": "analytical"}), policy=policy)


def simulate(graph: LayerGraph, acc: Accelerator, options: SimOptions = SimOptions(), *,
             policy: str = "") -> SimResult:
    """Latency and energy of ``graph`` (annotated with a policy) on ``acc``.

    Parameters
    ----------
    graph : LayerGraph
        The network, each layer annotated with its `QuantSpec` (fp32 where unannotated).
    acc : Accelerator
        The hardware.
    options : SimOptions
        Fidelity, mapper objective, on-chip residency, what the result keeps.
    policy : str
        Label of the policy applied, recorded in the result.

    Raises
    ------
    MappingError
        A layer cannot run on the hardware (format unsupported, no tile fits).
    SimulationError
        The discrete-event run exceeded ``options.max_cycles``.
    """
    view = hardware_view(acc)
    plan = map_graph(graph, acc, options, view)
    if options.fidelity == "des":
        from simulator.des import run_des

        return run_des(graph, plan, acc, view, options, policy=policy)
    return assemble(graph, plan.counts, plan.spans, plan.peaks, acc, view, options, policy=policy)
