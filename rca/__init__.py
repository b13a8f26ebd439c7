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
