"""Event/change association internals of :mod:`rca.relate`.

All times are int64 nanoseconds relative to the start of the analysis window.
"""

from __future__ import annotations

import numpy as np

#: Number of rotations of the exact rotation test is the window length in
#: seconds, clipped to this range (more rotations only refine the p-value).
MIN_ROTATIONS = 1_000
MAX_ROTATIONS = 2**21
#: Largest (events x coverage intervals) block processed at once.
_BLOCK = 1_000_000


def coverage(changes: np.ndarray, within: int, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Merged intervals ``[c - within, c]`` clipped to ``[0, total]``.

    A time ``t`` lies in one of them exactly when some change falls in
    ``[t, t + within]``, i.e. when an event at ``t`` would count as followed.
    """
    if len(changes) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    hi = np.sort(changes)
    lo = np.maximum(hi - within, 0)
    # merge: a new interval starts where lo exceeds every earlier hi
    new = np.ones(len(lo), bool)
    new[1:] = lo[1:] > np.maximum.accumulate(hi)[:-1]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], len(lo)] - 1
    return lo[starts], np.minimum(np.maximum.accumulate(hi)[ends], total)


def follow_lead(events: np.ndarray, changes_sorted: np.ndarray, within: int) -> np.ndarray:
    """Time from each event to the first change at or after it, NaN beyond ``within``."""
    idx = np.searchsorted(changes_sorted, events, side="left")
    lead = np.full(len(events), np.nan)
    has = idx < len(changes_sorted)
    gap = changes_sorted[np.minimum(idx, len(changes_sorted) - 1)] - events
    ok = has & (gap <= within)
    lead[ok] = gap[ok]
    return lead


def n_rotations(total: int) -> int:
    """Rotations of the exact test: one per second of the window, clipped."""
    return int(np.clip(total // 1_000_000_000, MIN_ROTATIONS, MAX_ROTATIONS))


def rotation_counts(
    events: np.ndarray, cov_lo: np.ndarray, cov_hi: np.ndarray, total: int, rotations: int
) -> np.ndarray:
    """Followed-event count for every rotation of the events around the window.

    Rotation ``j`` moves every event from ``t`` to ``(t + j * total / rotations)
    mod total``; the changes stay where they are. Entry ``j`` of the result is
    the number of rotated events that land in the coverage intervals, so entry
    0 is the observed count. Computed exactly with a difference array: event
    ``i`` is covered by interval ``[lo, hi]`` for the integer rotations
    ``ceil(lo - u_i) .. floor(hi - u_i)`` (positions ``u`` in rotation steps).
    """
    step = total / rotations
    u = events.astype(float) / step
    lo = cov_lo.astype(float) / step
    hi = cov_hi.astype(float) / step
    diff = np.zeros(rotations + 1, np.int64)
    block = max(1, _BLOCK // max(len(lo), 1))
    for first in range(0, len(u), block):
        uu = u[first : first + block, None]
        j_lo = np.ceil(lo[None, :] - uu).astype(np.int64).ravel()
        j_hi = np.floor(hi[None, :] - uu).astype(np.int64).ravel()
        keep = j_hi >= j_lo
        length = np.minimum(j_hi[keep] - j_lo[keep] + 1, rotations)
        start = np.mod(j_lo[keep], rotations)
        end = start + length
        wrap = end > rotations
        diff += np.bincount(start, minlength=rotations + 1)
        diff -= np.bincount(np.where(wrap, rotations, end), minlength=rotations + 1)
        diff[0] += int(wrap.sum())
        diff -= np.bincount(end[wrap] - rotations, minlength=rotations + 1)
    return np.cumsum(diff)[:rotations]
