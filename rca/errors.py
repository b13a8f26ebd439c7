"""The exceptions and warnings ``rca`` raises.

Every message names *where* the problem is (file, row, column, manifest key or
parameter), *what* was found and *what* was expected, so a plant engineer can
fix the input without reading a traceback.

All exceptions derive from :class:`RcaError`; most also derive from the
built-in exception a Python user would expect (``ValueError``, ``KeyError``,
``FileNotFoundError``, ``ImportError``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "RcaError",
    "ManifestError",
    "SourceError",
    "ParameterError",
    "AnalysisError",
    "MissingDependencyError",
    "RcaWarning",
    "DataQualityWarning",
]


class RcaError(Exception):
    """Base class of every error raised on purpose by ``rca``."""


class ManifestError(RcaError, ValueError):
    """The investigation manifest is missing, malformed or inconsistent.

    The message names the manifest file and the key (e.g. ``source[2].columns.time``).
    """


class SourceError(RcaError, ValueError):
    """A data source (file, table or query) cannot be read as described.

    The message names the file, and where it applies the row (1-based, counting
    the header as row 1 as a spreadsheet would) and the column.
    """


class ParameterError(RcaError, ValueError):
    """A function was called with an argument it cannot use.

    The message names the parameter, the value received and what was expected.
    """


class AnalysisError(RcaError):
    """An analysis cannot produce a meaningful answer for the data given.

    For example an empty window or a window in which nothing changed. The
    message says what was asked for and what was found instead.
    """


class MissingDependencyError(RcaError, ImportError):
    """An optional package needed for this feature is not installed.

    The message includes the ``pip install`` command that fixes it.
    """


class RcaWarning(UserWarning):
    """Base class of the warnings ``rca`` emits."""


class DataQualityWarning(RcaWarning):
    """Something in the data was excluded or repaired; the ledger has the counts."""
