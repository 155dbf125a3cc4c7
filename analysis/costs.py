"""Per-layer costs of every candidate format from the simulator: the table a precision search chooses from.

The cost sheet of a mixed-precision plan: for each MAC layer and each
candidate (``w8a8``, ``w4a8`` …), what the layer costs on the accelerator
(latency, energy, weight bytes, bit operations) and in accuracy (the
sensitivity proxy). Layers are costed one at a time with `simulator.layer_cost`
(cached: each distinct layer shape and format is simulated once), in the
residency context the uniform policy of that candidate gives them, so the sum
over layers approximates the end-to-end figures; the chosen plan is then
simulated end to end and both are reported.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.errors import AnalysisError
from analysis.search import LayerOptions, Option
from hwmodels import Accelerator
from simulator import LayerContext, MappingError, SimOptions, hardware_view, layer_cost, plan_residency
from simulator.cache import per_graph
from simulator.mapping import LayerKey, prime_tables
from workloads.graph import LayerGraph
from workloads.policy import QuantPolicy, apply_quant, parse_spec
from workloads.summary import summarize

__all__ = ["highest_precision", "searchable_layers", "tied_layers", "cost_table", "searched_policy", "METRICS"]

METRICS = ("latency_ms", "energy_uj", "size_bytes", "bops")
"""The cost columns a simulated table has, with their units."""


def highest_precision(candidates: Sequence[str]) -> str:
    """The candidate with the most weight bits, then the most activation bits (the reference plan).

    Examples
    --------
    >>> highest_precision(["w4a8", "w8a8", "w2a8"]), highest_precision(["fp8", "w8a8"])
    ('w8a8', 'w8a8')
    """
    if not candidates:
        raise AnalysisError("at least one candidate is needed", "--candidates")

    def bits(candidate: str) -> tuple:
        spec = parse_spec(candidate)[0]
        if spec is None:
            raise AnalysisError(f"{candidate!r} is not a format a layer can take", "--candidates")
        # Ties (w8a8 and fp8 both have 8 bits) go to integers, then to the text, whatever the order given.
        return (spec.weights.bits, spec.inputs.bits, not spec.compute_is_float, candidate.lower())

    return max(candidates, key=bits)


def searchable_layers(graph: LayerGraph) -> list[str]:
    """MAC layers with static weights, in execution order: the layers a precision search chooses for."""
    return [layer.name for layer in graph.layers() if layer.is_mac and layer.has_static_weights]


def tied_layers(graph: LayerGraph, searchable: Sequence[str]) -> dict[str, str]:
    """Layers that must share a format: the MAC producers of one residual add (HAWQ-V3's rule).

    A residual add sums two tensors; its producers (ResNet's last conv of a
    block and its downsample) take one format so the add sees one scale.
    """
    chosen, ties = set(searchable), {}
    for layer in graph.layers():
        if layer.op.value != "elementwise":
            continue
        producers = [p for p in graph.predecessors(layer.name) if p in chosen]
        if len(producers) < 2:
            continue
        groups = [ties[p] for p in producers if p in ties]
        group = groups[0] if groups else layer.name
        for name, old in list(ties.items()):  # merge groups that now meet at this add
            if old in groups:
                ties[name] = group
        ties.update(dict.fromkeys(producers, group))
    return ties


class _Priced:
    """What pricing ``graph`` at one candidate needs that no hardware changes (kept per graph object).

    A co-design or a sweep prices one network on thousands of accelerators: the
    quantized graph, each layer's cache key, weight bytes and bit operations,
    and which layers share a shape are derived once.
    """

    def __init__(self, graph: LayerGraph, candidate: str):
        self.graph = apply_quant(graph, candidate)
        rows = {row.name: row for row in summarize(self.graph).layers}
        self.keys = {layer.name: LayerKey(layer) for layer in self.graph.layers()}
        self.fixed = {name: {"size_bytes": float(row.weight_bytes), "bops": float(row.bops)} for name, row in rows.items()}

    @staticmethod
    def of(graph: LayerGraph, candidate: str) -> _Priced:
        return per_graph(graph, f"costs.priced:{candidate}", lambda: _Priced(graph, candidate))


def _layer_costs(graph: LayerGraph, acc: Accelerator, candidate: str, layers: Sequence[str],
                 options: SimOptions) -> dict[str, dict[str, float] | None]:
    """Cost metrics of ``layers`` when the whole graph runs at ``candidate`` (None: cannot run it).

    Layers of one shape in one residency context (ResNet's repeated blocks) are
    priced once: 30 of ResNet-50's 72 layers are distinct.
    """
    fixed = _Priced.of(graph, candidate)
    quantized = fixed.graph
    view = hardware_view(acc)
    residency = plan_residency(quantized, view, options.keep_activations_on_chip)
    priced: dict[tuple, tuple[float, float] | None] = {}
    costs: dict[str, dict[str, float] | None] = {}
    for name in layers:
        context = LayerContext(residency=residency[name], objective=options.objective)
        shape = (fixed.keys[name], context)
        if shape not in priced:
            try:
                cost = layer_cost(quantized.layer(name), acc, None, context, view=view, key=fixed.keys[name])
                priced[shape] = (cost.cycles / acc.clock_hz * 1e3, cost.energy_pj * 1e-6)
            except MappingError:
                priced[shape] = None
        found = priced[shape]
        costs[name] = None if found is None else {"latency_ms": found[0], "energy_uj": found[1], **fixed.fixed[name]}
    return costs


def cost_table(graph: LayerGraph, acc: Accelerator, candidates: Sequence[str],
               sensitivity, *, options: SimOptions = SimOptions(),
               pin_first_last: bool = True) -> list[LayerOptions]:
    """Every layer with its candidates' costs on ``acc`` and their sensitivities, in execution order.

    Searchable layers (`searchable_layers`) get one option per candidate they
    can run; every other layer (vector work, matmuls of two activations) one
    option at the highest-precision candidate, which the plan's default gives
    it, with zero sensitivity: so totals and budgets cover the whole network.

    Parameters
    ----------
    graph : LayerGraph
        The network (its own annotations are replaced by each candidate).
    acc : Accelerator
        The hardware the costs come from.
    candidates : sequence of str
        Policy shorthands each layer may take.
    sensitivity : Sensitivity
        ``sensitivity.value(layer, candidate)`` for every searchable layer (`analysis.sensitivity`).
    options : SimOptions
        Mapper objective and on-chip residency.
    pin_first_last : bool
        Keep the first and last searchable layers at the highest-precision candidate.

    Raises
    ------
    AnalysisError
        A layer can run none of the candidates on ``acc``.
    """
    layers = searchable_layers(graph)
    top = highest_precision(candidates)
    everything = [layer.name for layer in graph.layers()]
    # Each layer shape's tables at every candidate, priced together where the formats share the array's lanes.
    distinct = {}
    for c in dict.fromkeys(candidates):
        priced = _Priced.of(graph, c)
        distinct.update({priced.keys[name]: priced.graph.layer(name) for name in layers})
    prime_tables(list(distinct.values()), acc, hardware_view(acc))
    per_candidate = {c: _layer_costs(graph, acc, c, layers if c != top else everything, options)
                     for c in dict.fromkeys(candidates)}
    ties = tied_layers(graph, layers)
    pinned = {layers[0], layers[-1]} if pin_first_last and layers else set()
    table = []
    for name in everything:
        if name not in layers:  # runs at the default whatever is chosen
            fixed = per_candidate[top][name]
            if fixed is None:
                raise AnalysisError(f"layer {name!r} cannot run {top} on {acc.name!r}")
            table.append(LayerOptions(layer=name, options=[Option(quant=top, costs=fixed, sensitivity=0.0)]))
            continue
        choices = [Option(quant=c, costs=per_candidate[c][name], sensitivity=sensitivity.value(name, c))
                   for c in per_candidate if per_candidate[c][name] is not None]
        if not choices:
            raise AnalysisError(f"layer {name!r} can run none of {', '.join(candidates)} on {acc.name!r}")
        pin = top if name in pinned and any(o.quant == top for o in choices) else None
        table.append(LayerOptions(layer=name, options=choices, tie=ties.get(name), pinned=pin))
    return table


def searched_policy(assignment: dict[str, str], default: str) -> QuantPolicy:
    """The policy of a searched plan: ``default`` everywhere, each layer the search moved off it at its format."""
    return QuantPolicy(default=default, layers={name: q for name, q in assignment.items() if q != default})
