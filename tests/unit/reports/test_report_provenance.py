"""A preset or zoo model is used for a saved result only when its digest says it is what ran."""

import pytest

import qcosim
from hwmodels import load_hardware
from reports import build_report
from reports.errors import ReportError
from reports.provenance import matching_hardware, matching_workload


def test_zoo_model_found_again_with_its_parameter_count(runs):
    summary = matching_workload(runs[1])
    # torchvision ResNet-18 weight card: 1.814 GMACs, 11,689,512 parameters.
    assert summary.totals.params == 11_689_512 and summary.totals.macs == runs[1].totals.macs == 1_814_073_344
    report = build_report([runs[1]])
    assert "11,689,512 parameters" in report.sections[0].bullets[0]


def test_other_parameters_or_files_are_not_mistaken_for_the_zoo_model(tiny_cnn):
    batch2 = qcosim.simulate("resnet18", "bitfusion", "w4a8", params={"batch": 2})
    assert matching_workload(batch2) is None
    assert matching_workload(qcosim.simulate(tiny_cnn, "bitfusion", "w4a8")) is None
    assert "parameter count: not in the saved result" in build_report([batch2]).sections[0].bullets[0]


def test_hardware_by_digest(runs):
    eyeriss = load_hardware("eyeriss")
    assert matching_hardware(runs[0], eyeriss).name == "bitfusion"  # the given one is not what ran: the preset is
    with pytest.raises(ReportError, match="--hw: accelerator 'eyeriss' is not the one any of the simulations ran on"):
        build_report(runs, hardware=eyeriss)
