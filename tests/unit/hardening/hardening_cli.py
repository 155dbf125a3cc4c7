"""Running corpus cases through the real CLI, in this process (fast) or in a child process (exact)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from hardening_corpus import Case

from qcosim.cli import main


@dataclass
class Outcome:
    """What the CLI did with one case."""

    code: int | None
    stderr: str
    seconds: float

    def problem(self, case: Case) -> str | None:
        """Why this outcome breaks the contract (None when it keeps it)."""
        lines = self.stderr.strip().splitlines()
        if self.code != 2:
            return f"exit {self.code}: {self.stderr.strip()[:300]}"
        if len(lines) != 1 or not lines[0].startswith("error: "):
            return f"not one 'error:' line: {self.stderr[:300]!r}"
        if case.must_name and case.must_name not in lines[0]:
            return f"does not name {case.must_name!r}: {lines[0][:300]}"
        return None


def run_in_process(case: Case, folder: Path) -> Outcome:
    """The case through ``qcosim.cli.main`` in this process, stdout and stderr captured."""
    argv = case.write(folder)
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return Outcome(code, err.getvalue(), time.perf_counter() - start)


def run_in_child(case: Case, folder: Path, *, memory_bytes: int, timeout_s: float) -> Outcome:
    """The case through the ``qcosim`` entry point in a child process limited to ``memory_bytes`` of address space."""
    argv = case.write(folder)
    code = (f"import resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({memory_bytes}, {memory_bytes})); "
            "from qcosim.cli import main; main(sys.argv[1:])")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          timeout=timeout_s, env=env)
    return Outcome(done.returncode, done.stderr, time.perf_counter() - start)
