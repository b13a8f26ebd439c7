"""Tests for the TCPD scores (rca/_cpd_metrics.py).

The expected values are the worked examples published with TCPDBench's metrics
(van den Burg & Williams 2020), which the implementation must reproduce exactly.
"""

from __future__ import annotations

import pytest

from rca._cpd_metrics import clean_locations, covering, f_measure, true_positives


def test_true_positives_do_not_double_count():
    assert true_positives({1, 10, 20, 23}, {3, 8, 20}) == {1, 10, 20}
    assert true_positives({1, 10, 20, 23}, {1, 3, 8, 20}) == {1, 10, 20}
    assert true_positives({1, 10, 20, 23}, {1, 3, 5, 8, 20}) == {1, 10, 20}
    assert true_positives(set(), {1, 2, 3}) == set()
    assert true_positives({1, 2, 3}, set()) == set()


@pytest.mark.parametrize("annotations, predictions, expected", [
    ({1: [10, 20], 2: [11, 20], 3: [10], 4: [0, 5]}, [10, 20], 1.0),
    ({1: [], 2: [10], 3: [50]}, [10], 0.9090909090909091),
    ({1: [], 2: [10], 3: [50]}, [], 0.8),
])
def test_f_measure_reference_values(annotations, predictions, expected):
    f, p, r = f_measure(annotations, predictions)
    assert f == pytest.approx(expected, abs=1e-12)
    assert 0 <= p <= 1 and 0 <= r <= 1


@pytest.mark.parametrize("annotations, predictions, n, expected", [
    ({1: [10, 20], 2: [10], 3: [0, 5]}, [10, 20], 45, 0.7962962962962963),
    ({1: [], 2: [10], 3: [40]}, [10], 45, 0.7954144620811286),
    ({1: [], 2: [10], 3: [40]}, [], 45, 0.8189300411522634),
])
def test_covering_reference_values(annotations, predictions, n, expected):
    assert covering(annotations, predictions, n) == pytest.approx(expected, abs=1e-12)


def test_margin_is_inclusive():
    assert f_measure({1: [50]}, [55], margin=5)[0] == 1.0
    assert f_measure({1: [50]}, [56], margin=5)[0] < 1.0


def test_clean_locations_drops_end_points_and_duplicates():
    assert clean_locations([0, 1, 5, 5, 98, 99, 150], 100) == [1, 5, 98]
