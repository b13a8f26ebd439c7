"""rca: root-cause analysis of manufacturing incidents across OT and IT data.

The functions most people need are available from the top level::

    import rca
    inv = rca.open_investigation("sample_data/line3_scrap_spike/investigation.toml")
    changes = inv.changes()            # rca.detect_changes, as the ranking runs it
    ranking = rca.rank_candidates(inv)

Heavier parts (charts, widgets, statistics) are imported on first use, so ``import rca``
stays quick.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0.dev0"

from rca.errors import (  # noqa: F401
    AnalysisError,
    DataQualityWarning,
    ManifestError,
    MissingDependencyError,
    ParameterError,
    RcaError,
    RcaWarning,
    SourceError,
)

# name -> module that defines it; imported lazily by __getattr__.
_LAZY = {
    # loading and alignment
    "open_investigation": "rca.investigation",
    "Investigation": "rca.investigation",
    "read_manifest": "rca.manifest",
    "read_signals": "rca.readers",
    "read_events": "rca.readers",
    "parse_signals": "rca.readers",
    "parse_events": "rca.readers",
    "query_signals": "rca.readers",
    "query_events": "rca.readers",
    "align": "rca.alignment",
    "choose_grid": "rca.alignment",
    "estimate_clock_offset": "rca.alignment",
    # change points
    "detect_changes": "rca.changepoints",
    # relating OT and IT
    "lagged_correlation": "rca.relate",
    "lagged_correlations": "rca.relate",
    "correlation_by_lag": "rca.relate",
    "granger_causality": "rca.relate",
    "event_association": "rca.relate",
    "propagation_graph": "rca.relate",
    "LaggedCorrelation": "rca.relate",
    # ranking
    "rank_candidates": "rca.ranking",
    "propagation_edges": "rca.ranking",
    "detect_ramps": "rca.trends",
    # collaboration and reporting
    "HypothesisLog": "rca.hypotheses",
    "ImportResult": "rca.hypotheses",
    "open_hypothesis_log": "rca.hypotheses",
    "hypothesis_log_path": "rca.hypotheses",
    "HypothesisBoard": "rca.hypothesis_board",
    "build_report": "rca.report",
    "write_report": "rca.report",
    "Report": "rca.report",
    # manifests
    "draft_manifest": "rca.drafting",
    # generated incidents
    "make_incident": "rca.datasets",
}

__all__ = sorted(
    [
        "AnalysisError",
        "DataQualityWarning",
        "ManifestError",
        "MissingDependencyError",
        "ParameterError",
        "RcaError",
        "RcaWarning",
        "SourceError",
        *_LAZY,
    ]
)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rca' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
