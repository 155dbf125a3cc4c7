"""Map once, price many: a schedule is plain data, and pricing it again changes energy, not cycles."""

import json

import numpy as np
import pytest

from hwmodels import load_hardware
from simulator import SimOptions, hardware_view, map_graph, price, simulate
from workloads import apply_quant, load_workload
from workloads.graph import LayerGraph


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


def test_one_set_of_tile_shapes_priced_at_three_weight_widths_by_hand():
    # A 4 x 4 x 4 GEMM, the tile k=2, c=4, y=4 with y innermost and nothing held whole: the weights stay
    # while the rows stream, so they cross DRAM once (16 elements) and the inputs once per k tile (2 x 16);
    # a tile holds 2 x 4 weights, 4 x 4 inputs and 2 x 4 partial sums (32-bit).
    from simulator.tiling import LOOP_ORDERS, LoopNest, OperandWidths, tile_shapes

    nest = LoopNest(instances=1, k=4, c=4, y=4, q=1, r=1, s=1, stride=1, halo=0, input_cols=1, input_elements=16)
    shapes = tile_shapes(nest)
    priced = shapes.at([OperandWidths(w, 8, 8, 32) for w in (8, 4, 2)])
    tile = np.flatnonzero((shapes.k == 2) & (shapes.c == 4) & (shapes.y == 4) & (shapes.resident == 0)
                          & (shapes.order == LOOP_ORDERS.index("kcy")))
    assert len(tile) == 1
    assert priced.weight_tile_bits[:, tile[0]].tolist() == [64, 32, 16]
    assert priced.dram_weight_bits[:, tile[0]].tolist() == [128, 64, 32]
    assert priced.input_tile_bits[:, tile[0]].tolist() == [128] * 3
    assert priced.dram_input_bits[:, tile[0]].tolist() == [256] * 3
    assert priced.output_tile_bits[:, tile[0]].tolist() == [256] * 3


def test_formats_sharing_an_array_are_priced_from_one_set_of_tiles():
    # edge-npu computes in int8: w8a8, w4a8 and w2a8 all run at one MAC per PE, so a layer at the three
    # formats shares its tiles and the mapper finds all three tables built; priming changes no mapping.
    from simulator import mapping

    acc = load_hardware("edge-npu")
    view = hardware_view(acc)
    conv = load_workload("resnet18").layer("layer1.0.conv1")
    layers = [apply_quant(LayerGraph([conv]), q).layer("layer1.0.conv1") for q in ("w8a8", "w4a8", "w2a8")]
    mapping.clear_caches()
    unprimed = [mapping.map_layer(layer, acc, view) for layer in layers]
    mapping.clear_caches()
    mapping.prime_tables(layers, acc, view)
    assert (len(mapping._ARRAY_TILES), len(mapping._CANDIDATES)) == (1, 3)
    primed = [mapping.map_layer(layer, acc, view) for layer in layers]
    assert (len(mapping._ARRAY_TILES), len(mapping._CANDIDATES)) == (1, 3)
    assert primed == unprimed
    # Fewer weight bits, less weight traffic: the same tiles, priced at 8, 4 and 2 bits.
    weights = [m.dram_bits["weights"] for m in primed]
    assert weights[0] > weights[1] > weights[2]
