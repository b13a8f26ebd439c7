"""Independent hold-out incidents for evaluating rca's root-cause ranking (benchmarks only).

``generate(cause, seed, *, out_dir)`` writes an incident folder; ``CAUSES`` lists the four
kinds of root cause. See ``README.md`` in this folder.
"""

from __future__ import annotations

import importlib

CAUSES = ("ot_fault", "setpoint_change", "it_change", "it_saturation")
__all__ = ["CAUSES", "generate", "simulate", "export"]


def __getattr__(name):
    # lazy, so ``python -m benchmarks.holdout.generator`` does not import the module twice
    if name in ("generate", "simulate", "export", "GENERATOR_VERSION"):
        return getattr(importlib.import_module("benchmarks.holdout.generator"), name)
    raise AttributeError(f"module 'benchmarks.holdout' has no attribute {name!r}")
