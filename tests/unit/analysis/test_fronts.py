"""Fronts of a sweep: ranks equal the definition, the knee by hand, rankings per group."""

import itertools

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.fronts import SweepRow, parse_objectives, rankings, sweep_front
from analysis.pareto import knee_index, pareto_ranks


def brute_ranks(values):
    """Peel fronts by the definition: a point is dominated if another is <= everywhere and < somewhere."""
    left, ranks, rank = set(range(len(values))), {}, 0
    while left:
        front = {i for i in left if not any(np.all(values[j] <= values[i]) and np.any(values[j] < values[i])
                                            for j in left if j != i)}
        ranks.update(dict.fromkeys(front, rank))
        left -= front
        rank += 1
    return [ranks[i] for i in range(len(values))]


@pytest.mark.parametrize("seed", range(6))
def test_ranks_equal_the_definition(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, size=(40, 1 + seed % 3)).astype(float)  # small integers: many ties
    assert pareto_ranks(values).tolist() == brute_ranks(values)


def test_nan_rows_rank_last_and_duplicates_share_the_front():
    assert pareto_ranks([[1, 1], [np.nan, 0], [1, 1], [2, 0]]).tolist() == [0, -1, 0, 0]


def test_knee_by_hand():
    # Normalized: (0, 1), (0.25, 0.125), (1, 0): distances 1, 0.2795, 1 -> the middle point.
    assert knee_index([[1.0, 9.0], [2.0, 2.0], [5.0, 1.0]]) == 1


def row(key, policy, rows, latency, energy, area, status="ok"):
    return SweepRow(key=key, status=status, workload="resnet50", policy=policy, values={"engines[0].rows": rows},
                    metrics={"latency_s": latency, "energy_pj": energy, "area_mm2": area, "utilization": 1 / latency if latency else 0.0})


ROWS = [row("a", "w8a8", 16, 4.0, 10.0, 1.0), row("b", "w4a8", 16, 3.0, 8.0, 1.0),
        row("c", "w8a8", 32, 2.0, 12.0, 2.0), row("d", "w4a8", 32, 1.5, 11.0, 2.0),
        row("e", "w4a4", 32, 0.0, 0.0, 0.0, status="failed")]


def test_front_over_three_objectives_with_ranks():
    front = sweep_front(ROWS, ["latency", "energy", "area"], all_ranks=True)
    assert [(p.key, p.rank) for p in front.points] == [("d", 0), ("b", 0), ("c", 1), ("a", 1)]
    assert (front.considered, front.failed) == (4, 1)
    assert front.knee in {"b", "d"}


def test_utilization_is_maximized():
    front = sweep_front(ROWS, ["utilization"])
    assert [p.key for p in front.points] == ["d"]


def test_rankings_per_hardware_and_per_policy():
    per_hw = {g.group: g.members for g in rankings(ROWS, "latency", by="hardware")}
    assert per_hw == {"resnet50 @ engines[0].rows=16": [("w4a8", 3.0), ("w8a8", 4.0)],
                      "resnet50 @ engines[0].rows=32": [("w4a8", 1.5), ("w8a8", 2.0)]}
    per_policy = {g.group: [m for m, _ in g.members] for g in rankings(ROWS, "energy", by="policy")}
    assert per_policy == {"resnet50 @ w8a8": ["engines[0].rows=16", "engines[0].rows=32"],
                          "resnet50 @ w4a8": ["engines[0].rows=16", "engines[0].rows=32"]}


def test_unknown_objective_is_one_line():
    with pytest.raises(AnalysisError) as info:
        parse_objectives("latency,speed")
    assert str(info.value) == ("--objectives: unknown objective 'speed' (known: latency, energy, edp, area, sram, "
                               "size, dram, leakage, utilization)")


def test_front_points_are_mutually_non_dominated():
    rng = np.random.default_rng(7)
    rows = [row(str(i), "w8a8", 16, *rng.random(3)) for i in range(60)]
    front = sweep_front(rows, ["latency", "energy", "area"])
    points = [np.array(list(p.objectives.values())) for p in front.points]
    for a, b in itertools.permutations(points, 2):
        assert not (np.all(a <= b) and np.any(a < b))
