"""Map once, price many: a schedule is plain data, and pricing it again changes energy, not cycles."""

import json

import pytest

from hwmodels import load_hardware
from simulator import SimOptions, map_graph, price, simulate
from workloads import apply_quant, load_workload


@pytest.fixture(scope="module")
def graph():
    return apply_quant(load_workload("resnet18"), "w8a8")


def test_price_of_the_schedule_is_the_analytical_result(graph):
    acc = load_hardware("edge-npu")
    schedule = map_graph(graph, acc)
    assert price(graph, schedule, acc, policy="w8a8") == simulate(graph, acc, policy="w8a8")


def test_schedule_is_json_with_tiles_and_traffic_per_level(graph):
    acc = load_hardware("edge-npu")
    data = json.loads(json.dumps(map_graph(graph, acc).to_dict()))
    conv1 = data["layers"][0]
    assert conv1["layer"] == "conv1" and conv1["engine"] == "pe_array"
    assert set(conv1["reads_bits"]) <= {level.name for level in acc.memory}
    # conv1 reads the 3x224x224 int8 image once (plus one fp32 scale), at least.
    assert conv1["dram_read_bits"] >= 3 * 224 * 224 * 8
    assert data["end_cycle"] == simulate(graph, acc).totals.cycles


def test_repricing_at_another_node_keeps_every_count(graph):
    acc = load_hardware("edge-npu")
    older = acc.model_copy(update={"technology_nm": 45.0})
    schedule = map_graph(graph, acc)
    here, there = price(graph, schedule, acc), price(graph, schedule, older)
    assert [r.cycles for r in here.layers] == [r.cycles for r in there.layers]
    assert here.totals.dram_bytes == there.totals.dram_bytes
    # Dynamic energy scales up from 16 nm to 45 nm (Horowitz's table is at 45 nm; smaller nodes scale down).
    assert there.totals.energy.mac_pj > here.totals.energy.mac_pj


def test_totals_only_result_keeps_the_totals(graph):
    acc = load_hardware("bitfusion")
    full, lean = simulate(graph, acc), simulate(graph, acc, SimOptions(keep_layers=False))
    assert lean.layers == [] and lean.totals == full.totals


def test_one_dataflow_vocabulary():
    # The mapper's formulas and the hardware description name dataflows with one enum (issue 7:
    # simulator/tiling.py had a second copy).
    import hwmodels
    from simulator import tiling

    assert tiling.Dataflow is hwmodels.Dataflow
    assert map_graph(apply_quant(load_workload("resnet18"), "w8a8"), load_hardware("eyeriss")).counts[0] \
        .mapping.dataflow is hwmodels.Dataflow.ROW_STATIONARY


def test_layer_cost_on_a_named_engine_that_cannot_run_it():
    from simulator import LayerContext, MappingError, layer_cost
    from workloads import Layer

    with pytest.raises(MappingError) as info:
        layer_cost(Layer(name="fc", op="gemm", p=4, c=8, k=8), load_hardware("edge-npu"), "w8a8",
                   LayerContext(engine="nope"))
    assert str(info.value) == "layer 'fc': engine 'nope' cannot run this layer"


def test_a_graph_costs_the_same_on_a_fresh_object_and_after_a_sweep(graph):
    # Facts derived once per graph object (sizes, keys, digest) must not leak between graphs.
    from simulator import clear_caches

    small = load_hardware("edge-npu")
    for scale in (1, 2, 4):
        data = small.model_dump()
        data["memory"][2]["size_bytes"] *= scale
        simulate(graph, type(small).model_validate(data))
    warm = simulate(graph, small)
    clear_caches()
    fresh = simulate(apply_quant(load_workload("resnet18"), "w8a8"), small)
    assert warm.model_dump() == fresh.model_dump()
