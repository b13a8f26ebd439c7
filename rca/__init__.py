"""rca: root-cause analysis of manufacturing incidents across OT and IT data."""

from __future__ import annotations

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
from rca.alignment import align, choose_grid, estimate_clock_offset  # noqa: E402,F401
from rca.investigation import Investigation, open_investigation  # noqa: E402,F401
from rca.manifest import read_manifest  # noqa: E402,F401
from rca.readers import (  # noqa: E402,F401
    parse_events,
    parse_signals,
    query_events,
    query_signals,
    read_events,
    read_signals,
)
