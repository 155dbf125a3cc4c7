"""The vocabulary workloads and hardware share: number formats, the frozen model base, strict files.

Like a process design kit that both the architect and the layout engineer
read from: ``workloads`` and ``hwmodels`` must not import each other, so the
words they both use (``int4``, ``fp8_e4m3``; a frozen pydantic model; a
YAML file that refuses a key given twice) live here, once. This package
imports nothing else from qcosim.
"""

from vocabulary.documents import DocumentError, parse_document, read_document, require_mapping
from vocabulary.formats import (
    FormatInfo,
    FormatKind,
    FormatNameError,
    format_name,
    lookup_format,
    operand_format,
)
from vocabulary.model import FrozenModel

__all__ = [
    "DocumentError",
    "FormatInfo",
    "FormatKind",
    "FormatNameError",
    "FrozenModel",
    "format_name",
    "lookup_format",
    "operand_format",
    "parse_document",
    "read_document",
    "require_mapping",
]
