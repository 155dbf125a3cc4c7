"""Every case of the project's bad-input corpus ends in one line naming what to fix, exit 2, in bounded time and memory."""

from __future__ import annotations

import resource

import pytest
from hardening_cli import run_in_child, run_in_process
from hardening_corpus import all_cases

CASES = all_cases()
_HANG_GUARD_S = 60
"""A case still running after this long is a hang (the slowest takes about 2 s); a guard, not a speed target."""
_MEMORY_BYTES = 2 * 2**30
"""Address space of the child processes: enough for qcosim, far too little for an alias bomb or a 93 GiB tensor."""


def test_the_corpus_is_large_and_covers_every_input_kind():
    kinds = {case.ident.split(":")[0] for case in CASES}
    assert len(CASES) > 200
    assert kinds == {"hw", "layers", "policy", "shorthand", "option", "sweep"}
    assert len({case.ident for case in CASES}) == len(CASES)


def test_every_case_is_one_line_naming_what_to_fix_with_exit_2(tmp_path):
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    failures = []
    for index, case in enumerate(CASES):
        folder = tmp_path / str(index)
        folder.mkdir()
        outcome = run_in_process(case, folder)
        problem = outcome.problem(case) or (f"took {outcome.seconds:.0f} s" if outcome.seconds > _HANG_GUARD_S else None)
        if problem:
            failures.append(f"{case.ident}: {problem}")
    assert failures == []
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss_before
    assert grown_kib < 1024 * 1024  # the whole corpus never needed another GiB


@pytest.mark.parametrize("ident", ["layers:bomb", "option:trace-dev-full"])
def test_the_worst_cases_also_hold_in_a_real_process_with_little_memory(tmp_path, ident):
    case = next(c for c in CASES if c.ident == ident)
    outcome = run_in_child(case, tmp_path, memory_bytes=_MEMORY_BYTES, timeout_s=_HANG_GUARD_S)
    assert outcome.problem(case) is None
