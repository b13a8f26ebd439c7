"""Granger-causality internals of :mod:`rca.relate`: stationarity, VAR order, F-test.

The F-test is statsmodels' (``OLSResults.compare_f_test`` on the restricted and
unrestricted regressions), i.e. the ``ssr_ftest`` of
:func:`statsmodels.tsa.stattools.grangercausalitytests`; the regressions are
built here so that rows whose lags touch a NaN gap are left out instead of
bridging the gap.
"""

from __future__ import annotations

import contextlib
import inspect
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.stattools import adfuller, kpss

from rca._relate_stats import ROWS_PER_PARAMETER, lag_windows

#: Significance level of the ADF / KPSS tests that decide on differencing.
STATIONARITY_LEVEL = 0.05
#: Fewest residual degrees of freedom for an F-test.
MIN_DF_RESID = 10

# statsmodels 0.15 returns result objects on request and warns when the old
# tuple is returned implicitly; 0.14 only has the tuple.
_RESULT_OBJECT = "result_object" in inspect.signature(adfuller).parameters


def _p_value(test, *args, **kwargs) -> float:
    if _RESULT_OBJECT:
        return float(test(*args, result_object=True, **kwargs).pvalue)
    return float(test(*args, **kwargs)[1])


@dataclass(frozen=True)
class Stationarity:
    """Outcome of the ADF and KPSS tests on one series."""

    adf_p: float
    kpss_p: float
    difference: bool


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run many small regressions with one BLAS thread (restored afterwards).

    For matrices of a few hundred rows and tens of columns a threaded BLAS only
    adds synchronisation, and on a busy machine the waiting dominates: a 480 x
    35 least-squares fit took 0.4 ms with one thread and 72 ms with two on the
    shared 2-core development machine. Uses ``threadpoolctl`` when installed,
    and does nothing otherwise.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only a speed-up
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def stationarity(values: np.ndarray) -> Stationarity:
    """Decide whether to difference a series: ADF and KPSS must both say "unit root".

    ADF (null: unit root, constant, lag by AIC) and KPSS (null: level
    stationary, automatic bandwidth) are run on the valid samples with gaps
    closed up. The series is differenced only when ADF does not reject a unit
    root *and* KPSS rejects stationarity at :data:`STATIONARITY_LEVEL`; when
    the two disagree the levels are kept (differencing a stationary series
    creates a non-invertible MA part that distorts the F-test).
    """
    x = values[np.isfinite(values)]
    adf_p = _p_value(adfuller, x, autolag="AIC")
    with warnings.catch_warnings():
        # KPSS p-values come from a table covering 0.01..0.10; outside it
        # statsmodels returns the boundary and warns. We only compare the
        # p-value with 0.05, for which the boundary value is exact enough.
        warnings.simplefilter("ignore", InterpolationWarning)
        kpss_p = _p_value(kpss, x, regression="c", nlags="auto")
    difference = adf_p >= STATIONARITY_LEVEL and kpss_p < STATIONARITY_LEVEL
    return Stationarity(adf_p, kpss_p, difference)


def schwert_max_lag(n: int) -> int:
    """``floor(12 (n / 100)^(1/4))``, statsmodels' default VAR ``maxlags``."""
    return int(np.floor(12.0 * (n / 100.0) ** 0.25))


def _pair_rows(effect: np.ndarray, cause: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    wy = lag_windows(effect, order)
    wx = lag_windows(cause, order)
    ok = np.isfinite(wy).all(axis=1) & np.isfinite(wx).all(axis=1)
    return wy[ok], wx[ok]


def feasible_order(effect: np.ndarray, cause: np.ndarray, max_order: int) -> int:
    """Largest order ``<= max_order`` leaving enough rows for a bivariate VAR."""
    while max_order > 1:
        wy, _ = _pair_rows(effect, cause, max_order)
        if len(wy) >= ROWS_PER_PARAMETER * (2 * max_order + 1):
            break
        max_order -= 1
    return max_order


def select_var_order(
    effect: np.ndarray, cause: np.ndarray, max_order: int, *, criterion: str
) -> int:
    """VAR order in ``1..max_order`` minimising BIC (or AIC) on a common sample.

    The criterion is statsmodels' (``VAR.select_order``): ``log det Sigma +
    penalty / nobs * (p k^2 + k)`` with Lütkepohl's penalties, all orders
    fitted on the rows where ``max_order`` lags of both series are valid.
    """
    if max_order <= 1:
        return 1
    wy, wx = _pair_rows(effect, cause, max_order)
    n_obs = len(wy)
    targets = np.column_stack([wy[:, 0], wx[:, 0]])
    # columns: constant, effect lags 1..P, cause lags 1..P; order p uses a sub-block
    design = np.column_stack([np.ones(n_obs), wy[:, 1:], wx[:, 1:]])
    gram = design.T @ design
    cross = design.T @ targets
    total = targets.T @ targets
    penalty = np.log(n_obs) if criterion == "bic" else 2.0
    best_order, best_value = 1, np.inf
    for p in range(1, max_order + 1):
        cols = np.r_[0, 1 : p + 1, max_order + 1 : max_order + 1 + p]
        beta = np.linalg.lstsq(gram[np.ix_(cols, cols)], cross[cols], rcond=None)[0]
        sigma = (total - cross[cols].T @ beta) / n_obs
        sign, logdet = np.linalg.slogdet(sigma)
        value = (logdet if sign > 0 else -np.inf) + penalty / n_obs * (4 * p + 2)
        if value < best_value:
            best_order, best_value = p, value
    return best_order


@dataclass(frozen=True)
class FTest:
    """Granger F-test of ``cause`` -> ``effect`` with ``order`` lags."""

    statistic: float
    p_value: float
    df_num: int
    df_denom: int
    n_obs: int
    reason: str


def granger_f_test(effect: np.ndarray, cause: np.ndarray, order: int) -> FTest:
    """F-test that ``order`` lags of ``cause`` add nothing to lags of ``effect``."""
    wy, wx = _pair_rows(effect, cause, order)
    n_obs = len(wy)
    df_denom = n_obs - (2 * order + 1)
    if df_denom < MIN_DF_RESID:
        return FTest(
            np.nan,
            np.nan,
            order,
            max(df_denom, 0),
            n_obs,
            f"too few complete rows: {n_obs} for {2 * order + 1} parameters "
            f"(lag order {order}); need {2 * order + 1 + MIN_DF_RESID}",
        )
    const = np.ones((n_obs, 1))
    restricted = OLS(wy[:, 0], np.hstack([wy[:, 1:], const])).fit()
    full = OLS(wy[:, 0], np.hstack([wy[:, 1:], wx[:, 1:], const])).fit()
    tss = full.centered_tss
    if tss == 0 or full.ssr / tss < np.finfo(float).eps:
        return FTest(
            np.nan, np.nan, order, df_denom, n_obs,
            "the effect is predicted exactly (perfect fit); the F statistic is undefined",
        )
    statistic, p_value, _ = full.compare_f_test(restricted)
    return FTest(float(statistic), float(p_value), order, int(full.df_resid), n_obs, "")
