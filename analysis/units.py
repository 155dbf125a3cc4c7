"""Units a user may write in budgets, sweep values and constraints: one table for every analysis input.

Each dimension maps the units it accepts (lower case) to their size in the
dimension's base unit, and spells them for error messages.
"""

from __future__ import annotations

__all__ = ["UNITS"]

UNITS: dict[str, tuple[dict[str, float], str]] = {
    "time": ({"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}, "s, ms, us, ns"),
    "energy": ({"j": 1.0, "mj": 1e-3, "uj": 1e-6, "µj": 1e-6, "nj": 1e-9, "pj": 1e-12}, "J, mJ, uJ, nJ, pJ"),
    "size": ({"b": 1.0, "bytes": 1.0, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 2.0**10, "mib": 2.0**20,
              "gib": 2.0**30, "bits": 0.125}, "B, kB, MB, GB, KiB, MiB, GiB"),
    "power": ({"uw": 1e-3, "µw": 1e-3, "mw": 1.0, "w": 1e3}, "uW, mW, W"),
    "area": ({"um2": 1e-6, "µm2": 1e-6, "mm2": 1.0}, "um2, mm2"),
    "count": ({"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "cycles": 1.0}, "a plain number, k, M, G, T"),
}
"""Dimension -> (unit -> size in the base unit: s, J, bytes, mW, mm², 1; the units as spelled)."""
