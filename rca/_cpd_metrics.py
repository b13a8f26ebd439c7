"""Scores for change-point detection against human annotations (private).

These follow the definitions of the Turing Change Point Benchmark (van den Burg &
Williams, 2020, "An Evaluation of Change Point Detection Algorithms", section 4):

* locations are 0-based sample positions of the first sample of a new segment;
* before scoring, predicted locations are de-duplicated and only ``1 <= x < n - 1``
  are kept (TCPDBench's clean-up: the end points carry no information);
* **F1** with a margin: the start of the series (position 0) is counted as a change
  point in every annotator's set and in the prediction; a predicted location can
  match at most one annotated location within ``margin`` samples (closest first).
  Precision is taken against the union of all annotators' sets, recall is the mean
  over annotators of the recall against each one's set;
* **covering**: the segmentation covering of each annotator's partition by the
  predicted partition (Arbelaez et al., 2011, eq. 8: every true segment weighted by
  its length and scored by its best Jaccard overlap), averaged over annotators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["clean_locations", "f_measure", "covering", "true_positives"]


def clean_locations(locations: Iterable[int], n_obs: int) -> list[int]:
    """Sorted unique locations with ``1 <= x < n_obs - 1``."""
    return sorted({int(x) for x in locations if 1 <= int(x) < n_obs - 1})


def true_positives(truth: Iterable[int], predicted: Iterable[int], margin: int = 5) -> set:
    """Annotated locations matched by a distinct prediction within ``margin``.

    Annotated locations are visited in Python's iteration order of a ``set`` of them
    (as in the reference implementation); each takes the closest remaining
    prediction (the smaller one on a tie), which is then used up.
    """
    remaining = set(predicted)
    matched = set()
    for tau in set(truth):
        best = None
        for x in remaining:
            dist = abs(tau - x)
            if dist <= margin and (best is None or (dist, x) < best):
                best = (dist, x)
        if best is not None:
            matched.add(tau)
            remaining.discard(best[1])
    return matched


def f_measure(annotations: Mapping[str, Iterable[int]], predictions: Iterable[int], *,
              margin: int = 5, alpha: float = 0.5) -> tuple[float, float, float]:
    """F-measure, precision and recall of ``predictions`` against several annotators."""
    sets = [set(v) | {0} for v in annotations.values()]
    pred = set(predictions) | {0}
    union = set().union(*sets) if sets else {0}
    precision = len(true_positives(union, pred, margin)) / len(pred)
    recall = sum(len(true_positives(s, pred, margin)) / len(s) for s in sets) / len(sets)
    if precision == 0 and recall == 0:
        return 0.0, precision, recall
    f = precision * recall / (alpha * recall + (1 - alpha) * precision)
    return f, precision, recall


def _segments(locations: Iterable[int], n_obs: int) -> list[tuple[int, int]]:
    cuts = sorted({int(x) for x in locations if 0 < int(x) < n_obs})
    bounds = [0, *cuts, n_obs]
    return list(zip(bounds[:-1], bounds[1:]))


def _cover(predicted: list[tuple[int, int]], truth: list[tuple[int, int]], n_obs: int) -> float:
    total = 0.0
    for s, e in truth:
        best = 0.0
        for ps, pe in predicted:
            inter = min(e, pe) - max(s, ps)
            if inter <= 0:
                continue
            jac = inter / ((e - s) + (pe - ps) - inter)
            best = max(best, jac)
        total += (e - s) * best
    return total / n_obs


def covering(annotations: Mapping[str, Iterable[int]], predictions: Iterable[int],
             n_obs: int) -> float:
    """Segmentation covering of each annotator's partition, averaged over annotators."""
    pred = _segments(predictions, n_obs)
    scores = [_cover(pred, _segments(v, n_obs), n_obs) for v in annotations.values()]
    return sum(scores) / len(scores)
