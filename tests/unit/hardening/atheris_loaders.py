"""Coverage-guided fuzzing of the document loader and the shorthand parser with atheris (optional).

Run with ``make fuzz`` or ``python tests/unit/hardening/atheris_loaders.py -runs=100000``. atheris
is not a dependency of qcosim (it needs clang to build); without it this
script says how to install it and exits. The contract is that of
``test_fuzz.py``: every input parses or raises the loader's own error.
"""

from __future__ import annotations

import sys

from vocabulary.documents import DocumentError, parse_document
from workloads.errors import QuantSpecError
from workloads.policy import parse_spec


def one_input(data: bytes) -> None:
    """Feed ``data`` to the YAML and JSON parsers and, as text, to the shorthand parser."""
    text = data.decode("utf-8", errors="replace")
    for json_syntax in (False, True):
        try:
            parse_document(text, json_syntax=json_syntax)
        except DocumentError:
            pass
    try:
        parse_spec(text[:80])
    except QuantSpecError:
        pass


def main() -> int:
    try:
        import atheris
    except ImportError:
        print("atheris is not installed (pip install atheris; it needs clang): skipped", file=sys.stderr)
        return 0
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
