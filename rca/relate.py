"""Relate changes across OT and IT: lagged correlation, Granger causality,
event/change association and a propagation graph.

Four building blocks, each a plain function over the pandas objects of
``docs/data-model.md``:

- :func:`lagged_correlation` (one pair), :func:`lagged_correlations` (many
  signals against one target) and :func:`correlation_by_lag` (the lag profile
  as a tidy table): Pearson correlation of Box-Jenkins pre-whitened signals
  over a range of lags, with an effective sample size and a p-value that pays
  for the search over lags.
- :func:`granger_causality`: bivariate Granger F-tests with VAR order
  selection, differencing decided by ADF and KPSS, and a multiple-testing
  correction.
- :func:`event_association`: does a kind of event precede signal changes more
  often than chance? Lift, timing and an exact rotation (circular-shift)
  permutation test or a Poisson test.
- :func:`propagation_graph`: which changes precede which, with lags, as an
  edge table (acyclic by construction) that charts and reports can draw.

Sign convention, everywhere in this module: a **positive lag means the first
argument (``x``, the cause, the source) leads** the second one.

See ``docs/relate.md`` for the method notes and the null models.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from rca import _relate_checks as _checks
from rca import _relate_events as _events
from rca import _relate_granger as _granger
from rca import _relate_stats as _stats
from rca.errors import AnalysisError, ParameterError

__all__ = [
    "LaggedCorrelation",
    "lagged_correlation",
    "lagged_correlations",
    "correlation_by_lag",
    "granger_causality",
    "event_association",
    "propagation_graph",
]

_DIRECTIONS = ("both", "x_leads", "y_leads")
_CORRECTIONS = ("fdr_bh", "fdr_by", "bonferroni", "holm", None)
_CRITERIA = ("bic", "aic", None)


# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------


def _ar_order_option(ar_order: object) -> int | str:
    if isinstance(ar_order, str) and ar_order == "auto":
        return "auto"
    if isinstance(ar_order, (int, np.integer)) and not isinstance(ar_order, bool):
        if ar_order >= 0:
            return int(ar_order)
    raise ParameterError(
        f"ar_order: expected 'auto' or a whole number >= 0 (0 = no pre-whitening), "
        f"got {ar_order!r}"
    )


def _adjust(p_values: np.ndarray, correction: str | None, alpha: float) -> np.ndarray:
    """Multiple-testing adjustment (statsmodels ``multipletests``) of the finite p-values."""
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(p_values), np.nan)
    finite = np.isfinite(p_values)
    if correction is None:
        adjusted[finite] = p_values[finite]
    elif finite.any():
        adjusted[finite] = multipletests(p_values[finite], alpha=alpha, method=correction)[1]
    return adjusted


def _auto_corr_lag(n: int) -> int:
    """Default ``max_lag`` of the correlation functions: a tenth of the span, >= 10 steps."""
    return max(min(10, n // 3), n // 10)


@dataclass(frozen=True)
class _Profiles:
    """Pre-whitened cross-correlation of many ``x`` signals against one ``y``."""

    names: list
    lags: np.ndarray  # grid steps, -L..L
    r: np.ndarray  # (m, 2L+1)
    n: np.ndarray
    n_eff: np.ndarray
    p_lag: np.ndarray
    ar_order: np.ndarray  # -1 where skipped
    reasons: list
    step: pd.Timedelta
    max_lag: int
    n_samples: int
    target: str


def _ar_orders(
    values: np.ndarray, names: list, ar_order: int | str, *, skip: object = None
) -> tuple[np.ndarray, list[str]]:
    """Pre-whitening order per row of ``values`` (-1 and a reason where it cannot be used)."""
    orders = np.full(len(names), -1)
    reasons = [""] * len(names)
    for i, name in enumerate(names):
        x = values[i]
        valid = np.isfinite(x)
        if skip is not None and name == skip:
            reasons[i] = "is the target itself"
        elif valid.sum() < _checks.MIN_SAMPLES:
            reasons[i] = (
                f"{int(valid.sum())} valid samples in the common span; "
                f"at least {_checks.MIN_SAMPLES} are needed"
            )
        elif np.ptp(x[valid]) == 0:
            reasons[i] = f"constant ({float(x[valid][0]):g}) over the common span"
        elif ar_order != "auto":
            rows = int(np.isfinite(_stats.lag_windows(x, ar_order)).all(axis=1).sum())
            if rows < _stats.ROWS_PER_PARAMETER * (ar_order + 1):
                reasons[i] = (
                    f"{rows} complete rows for an AR({ar_order}) fit; need "
                    f"{_stats.ROWS_PER_PARAMETER * (ar_order + 1)}"
                )
    ok = np.array([not reason for reason in reasons], dtype=bool)
    if ar_order == "auto":
        orders[ok] = _stats.select_ar_orders(values[ok], _stats.AUTO_MAX_AR_ORDER)
    else:
        orders[ok] = ar_order
    return orders, reasons


def _profiles(
    signals: object,
    target: object,
    *,
    max_lag: object,
    ar_order: object,
    signals_name: str,
    target_name: str,
    skip_target: bool = True,
) -> _Profiles:
    """Validate, align, pre-whiten and cross-correlate (the engine of the correlation API)."""
    frame, step_x = _checks.signal_frame(signals, name=signals_name)
    y, step_y = _checks.signal_series(target, name=target_name)
    max_lag = _checks.duration(max_lag, name="max_lag", allow_auto=True)
    ar_order = _ar_order_option(ar_order)
    frame, y = _checks.common_grid(
        frame, step_x, y, step_y, name_a=signals_name, name_b=target_name
    )
    n = len(y)
    y_values = y.to_numpy()
    y_valid = np.isfinite(y_values)
    if y_valid.sum() < _checks.MIN_SAMPLES:
        raise AnalysisError(
            f"{target_name} ({y.name!r}): {int(y_valid.sum())} valid samples in the common "
            f"span {y.index[0]} to {y.index[-1]}; at least {_checks.MIN_SAMPLES} are needed"
        )
    if np.ptp(y_values[y_valid]) == 0:
        raise AnalysisError(
            f"{target_name} ({y.name!r}) is constant ({float(y_values[y_valid][0]):g}) over the "
            f"common span {y.index[0]} to {y.index[-1]}; a correlation is undefined"
        )
    if max_lag == "auto":
        steps = _auto_corr_lag(n)
    else:
        steps = _checks.lag_steps(max_lag, step_x, name="max_lag", n=n)
    lags = np.arange(-steps, steps + 1)

    names = list(frame.columns)
    m = len(names)
    values = frame.to_numpy().T.copy()  # (m, n), one row per signal
    orders, reasons = _ar_orders(values, names, ar_order, skip=y.name if skip_target else None)
    ok = orders >= 0
    shape = (m, len(lags))
    r = np.full(shape, np.nan)
    count = np.zeros(shape, np.int64)
    n_eff = np.full(shape, np.nan)
    used = np.flatnonzero(ok)
    if len(used):
        pw = _stats.prewhiten(values, orders, max_lag=steps)
        r[used], count[used], n_eff[used] = _stats.correlate_prewhitened(
            pw, used, y_values, lags
        )
        for i in used[np.isnan(r[used]).all(axis=1)]:
            reasons[i] = (
                f"fewer than {_stats.MIN_PAIRS} overlapping valid samples with the target "
                "at every lag"
            )
            orders[i] = -1
    p_lag = _stats.fisher_p(r, n_eff)
    return _Profiles(
        names=names,
        lags=lags,
        r=r,
        n=count,
        n_eff=n_eff,
        p_lag=p_lag,
        ar_order=orders,
        reasons=reasons,
        step=step_x,
        max_lag=steps,
        n_samples=n,
        target=y.name,
    )


def _best_lags(prof: _Profiles, direction: str, alpha: float) -> pd.DataFrame:
    """One row per signal: the most significant lag and its statistics."""
    allowed = {
        "both": np.ones(len(prof.lags), bool),
        "x_leads": prof.lags >= 0,
        "y_leads": prof.lags <= 0,
    }[direction]
    z = np.abs(_stats.fisher_z(prof.r, prof.n_eff))
    z[:, ~allowed] = np.nan
    n_lags = np.isfinite(z).sum(axis=1)
    # most significant lag; ties go to the smallest |lag|, then to x leading
    preference = np.lexsort((-prof.lags, np.abs(prof.lags)))
    ranked = np.where(np.isfinite(z), z, -np.inf)[:, preference]
    best = preference[np.argmax(ranked, axis=1)]
    rows = np.arange(len(prof.names))
    evaluated = (prof.ar_order >= 0) & (n_lags > 0)
    pick = lambda a: np.where(evaluated, a[rows, best], np.nan)  # noqa: E731
    r, n_eff, p_lag = pick(prof.r), pick(prof.n_eff), pick(prof.p_lag)
    ci_low, ci_high = _stats.fisher_interval(r, n_eff, alpha)
    lag = pd.to_timedelta(prof.lags[best] * prof.step.value, unit="ns")
    return pd.DataFrame(
        {
            "signal": prof.names,
            "lag": lag.where(evaluated, pd.NaT),
            "r": r,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "p_value": _stats.sidak(p_lag, n_lags),
            "n": np.where(evaluated, prof.n[rows, best], 0),
            "n_eff": n_eff,
            "ar_order": np.where(evaluated, prof.ar_order, -1),
            "p_value_lag": p_lag,
            "n_lags": n_lags,
            "reason": [
                reason or ("" if ok else "no lag could be evaluated")
                for reason, ok in zip(prof.reasons, evaluated)
            ],
        }
    )


def _corr_settings(
    prof: _Profiles, ar_order: object, max_lag_auto: bool, **extra: object
) -> dict:
    """What the correlation functions chose, for ``attrs["settings"]``."""
    return dict(
        target=prof.target,
        step=prof.step,
        max_lag=prof.step * prof.max_lag,
        max_lag_chosen="auto (a tenth of the common span, at least 10 steps)"
        if max_lag_auto
        else "given",
        n_samples=prof.n_samples,
        ar_order="auto (BIC, 0..%d, per signal)" % _stats.AUTO_MAX_AR_ORDER
        if ar_order == "auto"
        else int(ar_order),
        prewhitening="Box-Jenkins: AR(p) fitted to x, x and y filtered with x's filter",
        n_eff="pairs at the lag / (1 + 2 sum_j rho_a(j) rho_b(j)), j <= %d"
        % _stats.bartlett_window(prof.n_samples),
        **extra,
    )


# --------------------------------------------------------------------------
# lagged correlation
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LaggedCorrelation:
    """Result of :func:`lagged_correlation`.

    Attributes
    ----------
    x, y : str
        Names of the two signals (the Series names, or ``"x"`` / ``"y"``).
    lag : pandas.Timedelta
        Lag of the most significant correlation [time]; positive means ``x``
        leads ``y`` (``y`` at ``t + lag`` goes with ``x`` at ``t``).
    r : float
        Correlation of the pre-whitened series at ``lag`` [-].
    ci_low, ci_high : float
        ``1 - alpha`` confidence interval of ``r`` (Fisher z with ``n_eff``),
        pointwise at ``lag`` [-].
    p_value : float
        Two-sided p-value of ``r`` corrected for the search over ``n_lags``
        lags (Šidák) [-]. This is the one to compare with ``alpha``.
    p_value_lag : float
        The same p-value before that correction [-].
    n : int
        Pairs of valid samples behind ``r`` [samples].
    n_eff : float
        Effective sample size behind ``r`` after gaps and the remaining
        autocorrelation (Bartlett) [samples].
    ar_order : int
        Order of the AR filter used for pre-whitening (0 = none).
    max_lag : pandas.Timedelta
        Largest lag searched [time].
    n_lags : int
        Number of lags searched.
    direction : str
        Which lags were searched: ``"both"``, ``"x_leads"`` (``lag >= 0``) or
        ``"y_leads"`` (``lag <= 0``).
    alpha : float
        Significance level used for the interval and ``significant`` [-].
    significant : bool
        ``p_value < alpha``.
    """

    x: str
    y: str
    lag: pd.Timedelta
    r: float
    ci_low: float
    ci_high: float
    p_value: float
    p_value_lag: float
    n: int
    n_eff: float
    ar_order: int
    max_lag: pd.Timedelta
    n_lags: int
    direction: str
    alpha: float
    significant: bool

    def to_dict(self) -> dict:
        """The fields as a plain dict."""
        return dataclasses.asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """The fields as a one-row DataFrame."""
        return pd.DataFrame([self.to_dict()])


def lagged_correlation(
    x: pd.Series,
    y: pd.Series,
    *,
    max_lag: str | pd.Timedelta = "auto",
    ar_order: int | str = "auto",
    alpha: float = 0.05,
    direction: str = "both",
) -> LaggedCorrelation:
    """Correlation between two signals at the best lag, after pre-whitening.

    Autocorrelated signals (almost every process signal) correlate by chance
    far more often than white noise does, so the series are pre-whitened
    first (Box & Jenkins): an AR(p) model is fitted to ``x`` and *both*
    series are filtered with that same filter. The residual of ``x`` is then
    (close to) white, so the sample cross-correlation at every lag has
    variance ``1 / n`` when the two are unrelated, whatever the
    autocorrelation of ``y``. The correlation is computed at every lag in
    ``[-max_lag, max_lag]`` over the pairs where both samples are valid, and
    the most significant lag is reported with a p-value corrected for having
    searched ``n_lags`` lags.

    Parameters
    ----------
    x, y : pandas.Series
        Float signals on the same regular tz-aware UTC grid (the aligned
        signals of an investigation). NaN marks missing samples; gaps are
        never bridged. Only the common time span is used.
    max_lag : str or pandas.Timedelta, default "auto"
        Largest lag searched, as a duration [time] (``"10min"``). ``"auto"``
        uses a tenth of the common span, and at least 10 grid steps.
    ar_order : int or "auto", default "auto"
        Order of the pre-whitening AR filter. ``"auto"`` chooses 0..10 by BIC
        on ``x`` (as ``statsmodels.tsa.ar_model.ar_select_order``); 0 turns
        pre-whitening off.
    alpha : float, default 0.05
        Significance level for ``significant`` and the confidence interval [-].
    direction : {"both", "x_leads", "y_leads"}, default "both"
        Lags to search: all, ``lag >= 0`` only or ``lag <= 0`` only. Lag 0 is
        in both one-sided ranges: at the grid resolution it means "together".

    Returns
    -------
    LaggedCorrelation
        Frozen dataclass with ``lag``, ``r``, ``ci_low``, ``ci_high``,
        ``p_value``, ``n_eff``, ``ar_order`` and the settings; see its fields.

    Raises
    ------
    ParameterError
        Naive or irregular index, different grids, bad option values.
    AnalysisError
        Fewer than 30 valid samples, a constant signal, or no overlap.

    Notes
    -----
    The p-value of one lag uses Fisher's z with the effective sample size
    ``n_eff = n / (1 + 2 sum_j rho_a(j) rho_b(j))`` (Bartlett's formula on the
    filtered series, ``j`` up to ``min(n/4, 10 log10 n)``, floored at 1 so it
    only ever lowers ``n``); ``n`` counts valid pairs, so gaps lower it too.
    The search over lags is paid for with Šidák's correction
    ``1 - (1 - p)^n_lags``, exact for independent lags and conservative
    otherwise. See ``docs/relate.md``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rca.relate import lagged_correlation
    >>> rng = np.random.default_rng(0)
    >>> time = pd.date_range("2024-03-01", periods=600, freq="10s", tz="UTC")
    >>> valve = pd.Series(rng.normal(size=600), index=time, name="valve").cumsum()
    >>> flow = (2.0 * valve.shift(6) + rng.normal(size=600)).rename("flow")
    >>> res = lagged_correlation(valve, flow, max_lag="5min")
    >>> res.lag  # valve leads flow by 6 samples of 10 s
    Timedelta('0 days 00:01:00')
    >>> res.significant, res.ar_order
    (True, 1)
    """
    alpha = _checks.probability(alpha, name="alpha")
    direction = _checks.choice(direction, _DIRECTIONS, name="direction")
    xs, _ = _checks.signal_series(x, name="x")
    prof = _profiles(
        xs, y, max_lag=max_lag, ar_order=ar_order, signals_name="x", target_name="y",
        skip_target=False,
    )
    row = _best_lags(prof, direction, alpha).iloc[0]
    if row["ar_order"] < 0:
        raise AnalysisError(f"x ({prof.names[0]!r}): {row['reason']}")
    return LaggedCorrelation(
        x=str(prof.names[0]),
        y=str(prof.target),
        lag=row["lag"],
        r=float(row["r"]),
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        p_value=float(row["p_value"]),
        p_value_lag=float(row["p_value_lag"]),
        n=int(row["n"]),
        n_eff=float(row["n_eff"]),
        ar_order=int(row["ar_order"]),
        max_lag=prof.step * prof.max_lag,
        n_lags=int(row["n_lags"]),
        direction=direction,
        alpha=alpha,
        significant=bool(row["p_value"] < alpha),
    )


def lagged_correlations(
    signals: pd.DataFrame,
    target: pd.Series,
    *,
    max_lag: str | pd.Timedelta = "auto",
    ar_order: int | str = "auto",
    alpha: float = 0.05,
    direction: str = "both",
    correction: str | None = "fdr_bh",
) -> pd.DataFrame:
    """:func:`lagged_correlation` of every signal against one target, at once.

    Each column of ``signals`` plays the role of ``x`` (pre-whitened with its
    own AR filter, which is also applied to ``target``); the target plays
    ``y``. The work is vectorised (one batched FFT for all signals), so 200
    signals of a few thousand samples take a fraction of a second. The
    per-signal p-values are then corrected across signals.

    Parameters
    ----------
    signals : pandas.DataFrame
        Wide frame of float signals on a regular tz-aware UTC grid, one column
        per signal. A column named like ``target`` is reported and skipped.
    target : pandas.Series
        The signal to explain, on the same grid.
    max_lag, ar_order, alpha : see :func:`lagged_correlation`
    direction : {"both", "x_leads", "y_leads"}, default "both"
        ``"x_leads"`` searches only lags where the signal leads (or moves with)
        the target, which is what a root-cause search usually wants.
    correction : {"fdr_bh", "fdr_by", "bonferroni", "holm", None}, default "fdr_bh"
        Multiple-testing correction across signals (``statsmodels``
        ``multipletests``); ``None`` copies ``p_value``.

    Returns
    -------
    pandas.DataFrame
        One row per column of ``signals``, in their order:

        ========== ==========================================================
        signal      column name
        lag         most significant lag [Timedelta]; positive = signal leads
        r           pre-whitened correlation at ``lag`` [-]
        ci_low      lower ``1 - alpha`` confidence limit of ``r`` [-]
        ci_high     upper confidence limit [-]
        p_value     p-value corrected for the search over lags [-]
        p_adjusted  ``p_value`` corrected across signals [-]
        significant ``p_adjusted < alpha``
        n           valid pairs at ``lag`` [samples]
        n_eff       effective sample size at ``lag`` [samples]
        ar_order    pre-whitening order, -1 when the signal was skipped
        p_value_lag p-value at ``lag`` before the lag correction [-]
        n_lags      lags searched
        reason      why a signal was skipped ("" when it was not)
        ========== ==========================================================

        ``attrs["settings"]`` records the automatic choices.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rca.relate import lagged_correlations
    >>> rng = np.random.default_rng(1)
    >>> time = pd.date_range("2024-03-01", periods=900, freq="1min", tz="UTC")
    >>> signals = pd.DataFrame(rng.normal(size=(900, 3)).cumsum(axis=0),
    ...                        index=time, columns=["a", "b", "c"])
    >>> target = (signals["b"].shift(4) + rng.normal(size=900)).rename("y")
    >>> table = lagged_correlations(signals, target, max_lag="30min")
    >>> table.loc[table["significant"], ["signal", "lag"]].to_dict("records")
    [{'signal': 'b', 'lag': Timedelta('0 days 00:04:00')}]
    """
    alpha = _checks.probability(alpha, name="alpha")
    direction = _checks.choice(direction, _DIRECTIONS, name="direction")
    correction = _checks.choice(correction, _CORRECTIONS, name="correction")
    prof = _profiles(
        signals, target, max_lag=max_lag, ar_order=ar_order,
        signals_name="signals", target_name="target",
    )
    table = _best_lags(prof, direction, alpha)
    table.insert(6, "p_adjusted", _adjust(table["p_value"].to_numpy(), correction, alpha))
    table.insert(7, "significant", table["p_adjusted"] < alpha)
    table["ar_order"] = table["ar_order"].astype(int)
    table.attrs["settings"] = _corr_settings(
        prof, ar_order, max_lag_auto=max_lag == "auto", direction=direction,
        lag_correction="sidak", correction=correction, alpha=alpha,
        skipped={name: reason for name, reason in zip(prof.names, prof.reasons) if reason},
    )
    return table


def correlation_by_lag(
    signals: pd.DataFrame,
    target: pd.Series,
    *,
    max_lag: str | pd.Timedelta = "auto",
    ar_order: int | str = "auto",
) -> pd.DataFrame:
    """Pre-whitened correlation of each signal with the target at every lag.

    The data behind a lag/correlation heatmap (signals by lags, coloured by
    ``r``); the same numbers :func:`lagged_correlations` picks its best lag
    from.

    Parameters
    ----------
    signals : pandas.DataFrame or pandas.Series
        Float signals on a regular tz-aware UTC grid.
    target : pandas.Series
        The signal to relate them to, on the same grid.
    max_lag, ar_order : see :func:`lagged_correlation`

    Returns
    -------
    pandas.DataFrame
        Long table, one row per (signal, lag) for every signal that could be
        evaluated, ordered by signal (input order) then lag:

        ======= ==========================================================
        signal  column name
        lag     lag [Timedelta]; positive = signal leads the target
        r       pre-whitened correlation at this lag [-]; NaN when fewer
                than 10 valid pairs
        n       valid pairs [samples]
        n_eff   effective sample size [samples]
        p_value pointwise two-sided p-value (no lag correction) [-]
        ======= ==========================================================

        Skipped signals and the reasons are in ``attrs["settings"]["skipped"]``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rca.relate import correlation_by_lag
    >>> rng = np.random.default_rng(2)
    >>> time = pd.date_range("2024-03-01", periods=500, freq="1min", tz="UTC")
    >>> x = pd.Series(rng.normal(size=500), index=time, name="x")
    >>> y = (x.shift(3) + 0.5 * rng.normal(size=500)).rename("y")
    >>> table = correlation_by_lag(x, y, max_lag="5min")
    >>> table.shape
    (11, 6)
    >>> table.loc[table["r"].idxmax(), "lag"]
    Timedelta('0 days 00:03:00')
    """
    prof = _profiles(
        signals, target, max_lag=max_lag, ar_order=ar_order,
        signals_name="signals", target_name="target",
    )
    keep = np.flatnonzero(prof.ar_order >= 0)
    n_lags = len(prof.lags)
    table = pd.DataFrame(
        {
            "signal": np.repeat(np.asarray(prof.names, dtype=object)[keep], n_lags),
            "lag": pd.to_timedelta(np.tile(prof.lags, len(keep)) * prof.step.value, unit="ns"),
            "r": prof.r[keep].ravel(),
            "n": prof.n[keep].ravel(),
            "n_eff": prof.n_eff[keep].ravel(),
            "p_value": prof.p_lag[keep].ravel(),
        }
    )
    table.attrs["settings"] = _corr_settings(
        prof, ar_order, max_lag_auto=max_lag == "auto",
        skipped={name: reason for name, reason in zip(prof.names, prof.reasons) if reason},
    )
    return table


# --------------------------------------------------------------------------
# Granger causality
# --------------------------------------------------------------------------


def _pairs_option(pairs: object, columns: Sequence[object]) -> list[tuple[object, object]]:
    if pairs is None:
        return [(c, e) for c in columns for e in columns if c != e]
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Sequence):
        raise ParameterError(
            f"pairs: expected None or a list of (cause, effect) column pairs, got {pairs!r}"
        )
    out = []
    known = set(columns)
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ParameterError(
                f"pairs[{i}]: expected a (cause, effect) pair of column names, got {pair!r}"
            )
        for role, name in zip(("cause", "effect"), pair):
            if name not in known:
                raise ParameterError(
                    f"pairs[{i}]: {role} {name!r} is not a column of data; expected one of "
                    f"{_checks.fmt_list(list(columns))}"
                )
        if pair[0] == pair[1]:
            raise ParameterError(
                f"pairs[{i}]: cause and effect are both {pair[0]!r}; expected two different "
                "columns"
            )
        out.append((pair[0], pair[1]))
    if not out:
        raise ParameterError("pairs: the list is empty; expected at least one (cause, effect)")
    return out


def _granger_rows(
    frame: pd.DataFrame,
    pair_list: list[tuple[object, object]],
    step: pd.Timedelta,
    max_lag: pd.Timedelta | str,
    order_cap: int,
    difference: bool | str,
    criterion: str | None,
) -> tuple[dict, list[dict]]:
    """Prepare each signal once (validity, differencing), then test every pair."""
    prepared: dict[object, tuple[np.ndarray | None, bool, str]] = {}
    stationarity: dict[object, dict] = {}
    for name in dict.fromkeys(c for pair in pair_list for c in pair):
        x = frame[name].to_numpy()
        valid = np.isfinite(x)
        if valid.sum() < _checks.MIN_SAMPLES:
            prepared[name] = (
                None, False, f"{int(valid.sum())} valid samples; need {_checks.MIN_SAMPLES}"
            )
            continue
        if np.ptp(x[valid]) == 0:
            prepared[name] = (None, False, f"constant ({float(x[valid][0]):g}) in the window")
            continue
        if difference == "auto":
            st = _granger.stationarity(x)
            diff = st.difference
            stationarity[name] = dict(adf_p=st.adf_p, kpss_p=st.kpss_p, differenced=diff)
        else:
            diff = bool(difference)
            stationarity[name] = dict(adf_p=np.nan, kpss_p=np.nan, differenced=diff)
        values = np.r_[np.nan, np.diff(x)] if diff else x
        if diff and np.ptp(values[np.isfinite(values)]) == 0:
            prepared[name] = (None, True, "constant after differencing (a straight line)")
            continue
        prepared[name] = (values, diff, "")

    rows = []
    for cause, effect in pair_list:
        xv, x_diff, x_reason = prepared[cause]
        yv, y_diff, y_reason = prepared[effect]
        row = dict(cause=cause, effect=effect, lag=pd.NaT, statistic=np.nan, p_value=np.nan,
                   df_num=0, df_denom=0, n=0, cause_differenced=x_diff,
                   effect_differenced=y_diff, reason="")
        if x_reason or y_reason:
            row["reason"] = "; ".join(
                f"{role} {name!r}: {why}"
                for role, name, why in (("cause", cause, x_reason), ("effect", effect, y_reason))
                if why
            )
            rows.append(row)
            continue
        if max_lag == "auto":
            cap = _granger.feasible_order(yv, xv, order_cap)
        else:
            cap = order_cap
        order = (
            cap if criterion is None
            else _granger.select_var_order(yv, xv, cap, criterion=criterion)
        )
        test = _granger.granger_f_test(yv, xv, order)
        row.update(lag=step * order, statistic=test.statistic, p_value=test.p_value,
                   df_num=test.df_num, df_denom=test.df_denom, n=test.n_obs, reason=test.reason)
        rows.append(row)

    return stationarity, rows


def granger_causality(
    data: pd.DataFrame,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    max_lag: str | pd.Timedelta = "auto",
    alpha: float = 0.05,
    correction: str | None = "fdr_bh",
    difference: bool | str = "auto",
    criterion: str | None = "bic",
    window: tuple[object, object] | None = None,
) -> pd.DataFrame:
    """Granger-causality F-tests between signals, with multiple-testing correction.

    For each pair, ``cause`` Granger-causes ``effect`` when past values of
    ``cause`` improve the prediction of ``effect`` beyond what the past of
    ``effect`` already gives. The test is the F-test of statsmodels'
    ``grangercausalitytests`` (``ssr_ftest``): OLS of ``effect_t`` on a
    constant and ``p`` lags of both series, against the regression without
    the ``cause`` lags.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide frame of float signals on a regular tz-aware UTC grid. NaN gaps
        are respected: a regression row is used only when all its lags are valid.
    pairs : list of (cause, effect), optional
        Column pairs to test. Default: every ordered pair of columns.
    max_lag : str or pandas.Timedelta, default "auto"
        Largest lag in the model [time]. ``"auto"`` uses statsmodels' default
        ``12 (n / 100)^(1/4)`` grid steps, reduced until there are at least 10
        complete rows per parameter.
    alpha : float, default 0.05
        Significance level for ``significant`` [-].
    correction : {"fdr_bh", "fdr_by", "bonferroni", "holm", None}, default "fdr_bh"
        Multiple-testing correction across the pairs tested (statsmodels
        ``multipletests``); ``None`` copies ``p_value``.
    difference : {"auto", True, False}, default "auto"
        Difference a series before testing. ``"auto"`` differences a series
        when the ADF test does not reject a unit root *and* the KPSS test
        rejects stationarity (both at 0.05), so that a random walk does not
        produce spurious causality; the decisions are reported.
    criterion : {"bic", "aic", None}, default "bic"
        Lag order selection for each pair: the bivariate VAR order in
        ``1..max_lag`` minimising the criterion (as statsmodels'
        ``VAR.select_order``). ``None`` uses ``max_lag`` itself.
    window : (start, end), optional
        Tz-aware bounds (inclusive) restricting ``data`` before testing.

    Returns
    -------
    pandas.DataFrame
        One row per pair, in the order of ``pairs``:

        ================= ====================================================
        cause             column tested as the cause
        effect            column tested as the effect
        lag               lag order used, as a duration [Timedelta]
        statistic         F statistic [-]
        p_value           p-value of the F-test [-]
        p_adjusted        ``p_value`` corrected across pairs [-]
        significant       ``p_adjusted < alpha``
        df_num, df_denom  degrees of freedom of the F-test
        n                 complete regression rows used [samples]
        cause_differenced whether the cause was differenced
        effect_differenced whether the effect was differenced
        reason            why a pair was not tested ("" when it was)
        ================= ====================================================

        Pairs that cannot be tested (a constant signal, too few rows) are
        kept with NaN statistics and a reason, and left out of the correction.
        ``attrs["settings"]`` has the ADF/KPSS p-values and decisions per
        signal and the lag settings.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from rca.relate import granger_causality
    >>> rng = np.random.default_rng(3)
    >>> n = 600
    >>> x = np.zeros(n); y = np.zeros(n); e = rng.normal(size=(n, 2))
    >>> for t in range(2, n):
    ...     x[t] = 0.6 * x[t - 1] + e[t, 0]
    ...     y[t] = 0.5 * y[t - 1] + 0.8 * x[t - 2] + e[t, 1]
    >>> time = pd.date_range("2024-03-01", periods=n, freq="1s", tz="UTC")
    >>> data = pd.DataFrame({"x": x, "y": y}, index=time)
    >>> result = granger_causality(data)
    >>> result[["cause", "effect", "lag", "significant"]]
      cause effect             lag  significant
    0     x      y 0 days 00:00:02         True
    1     y      x 0 days 00:00:02        False
    """
    frame, step = _checks.signal_frame(data, name="data")
    alpha = _checks.probability(alpha, name="alpha")
    correction = _checks.choice(correction, _CORRECTIONS, name="correction")
    criterion = _checks.choice(criterion, _CRITERIA, name="criterion")
    if not (difference == "auto" or isinstance(difference, bool)):
        raise ParameterError(f"difference: expected 'auto', True or False, got {difference!r}")
    max_lag = _checks.duration(max_lag, name="max_lag", allow_auto=True)
    if window is not None:
        start, end = _checks.window_bounds(window)
        frame = frame.loc[start:end]
    n = len(frame)
    if n < _checks.MIN_SAMPLES:
        raise AnalysisError(
            f"data: {n} samples"
            + (f" in window {window!r}" if window is not None else "")
            + f"; at least {_checks.MIN_SAMPLES} are needed"
        )
    pair_list = _pairs_option(pairs, list(frame.columns))
    if max_lag == "auto":
        order_cap = _granger.schwert_max_lag(n)
    else:
        order_cap = _checks.lag_steps(max_lag, step, name="max_lag", n=n)

    with _granger.single_threaded_blas():
        stationarity, rows = _granger_rows(
            frame, pair_list, step, max_lag, order_cap, difference, criterion
        )

    table = pd.DataFrame(rows)
    table["lag"] = pd.to_timedelta(table["lag"])
    table.insert(5, "p_adjusted", _adjust(table["p_value"].to_numpy(), correction, alpha))
    table.insert(6, "significant", table["p_adjusted"] < alpha)
    table.attrs["settings"] = dict(
        step=step,
        n_samples=n,
        window=None if window is None else (frame.index[0], frame.index[-1]),
        max_lag=step * order_cap,
        max_lag_chosen="auto (12 (n/100)^(1/4) steps, reduced to keep 10 rows per parameter)"
        if max_lag == "auto" else "given",
        criterion=criterion,
        difference=difference,
        stationarity=stationarity,
        correction=correction,
        alpha=alpha,
    )
    return table


# --------------------------------------------------------------------------
# events and changes
# --------------------------------------------------------------------------


def event_association(
    events: pd.DataFrame,
    changes: pd.DataFrame,
    *,
    within: str | pd.Timedelta = "10min",
    by: str | Sequence[str] = ("source", "kind"),
    method: str = "permutation",
    correction: str | None = "fdr_bh",
    alpha: float = 0.05,
    window: tuple[object, object] | None = None,
) -> pd.DataFrame:
    """Do events of a kind precede signal changes more often than chance?

    An event is *followed* when at least one change starts in
    ``[event time, event time + within]``. For each group of events (by
    default each ``(source, kind)``), the number of followed events is
    compared with what chance gives when the events are unrelated to the
    changes, keeping the changes exactly where they are (bursts included).

    Parameters
    ----------
    events : pandas.DataFrame
        Tidy events frame (``docs/data-model.md``); uses ``time`` and the
        ``by`` columns. The ``end`` of an interval is not used.
    changes : pandas.DataFrame
        Tidy changes frame (from ``rca.detect_changes``); uses ``time`` and
        ``signal``. Filter it first to relate events to some signals only.
    within : str or pandas.Timedelta, default "10min"
        Longest lead time from an event to a change it may explain [time].
    by : str or sequence of str, default ("source", "kind")
        Event columns that define a group.
    method : {"permutation", "poisson"}, default "permutation"
        The null model (both condition on the observed change times):

        ``"permutation"``
            Exact rotation test: the whole event train of the group is shifted
            circularly around the window, by every multiple of the rotation
            step (about 1 s), and the p-value is the share of shifts that
            give at least as many followed events as observed. It keeps the
            clustering of the events (an alarm flood stays one flood) and of
            the changes, so a single coincidence of two bursts is not counted
            as many. Deterministic: no random draws, no seed.
        ``"poisson"``
            Events as a homogeneous Poisson process independent of the
            changes: each event is followed with probability ``q`` (the share
            of the window covered by ``[c - within, c]`` of some change ``c``)
            and the number followed is Binomial(``n_events``, ``q``). Fast and
            powerful but over-confident when events come in bursts.
    correction : {"fdr_bh", "fdr_by", "bonferroni", "holm", None}, default "fdr_bh"
        Multiple-testing correction across the groups.
    alpha : float, default 0.05
        Significance level for ``significant`` [-].
    window : (start, end), optional
        Tz-aware bounds of the observation window. Default: from the first to
        the last time among events and changes. Give the span of the signals
        when you know it: the chance rate depends on it.

    Returns
    -------
    pandas.DataFrame
        One row per group, most significant first:

        ============= =======================================================
        <by columns>  the group keys
        n_events      events of the group in the window
        n_followed    of them, followed by a change within ``within``
        expected      ``n_events * q``: followed by chance [events]
        lift          ``n_followed / expected`` [-]
        median_lead   median time from a followed event to the first change
                      after it [Timedelta]
        p_value       one-sided p-value (more followed than chance) [-]
        p_adjusted    ``p_value`` corrected across groups [-]
        significant   ``p_adjusted < alpha``
        n_signals     distinct signals changing within ``within`` after an
                      event of the group
        first_time    first event of the group in the window
        last_time     last event of the group in the window
        ============= =======================================================

        ``attrs["settings"]`` holds the window, ``q`` (``coverage``), the
        rotation step and the rows left out (outside the window, no time).

    Raises
    ------
    AnalysisError
        No change in the window: chance is undefined.

    Notes
    -----
    Neither null model can tell an event that causes changes from an event
    that is caused *with* them: an incident produces both alarm bursts and
    change bursts. Look at ``median_lead``, at the events' ``first_time``
    against the first change, and at the domain knowledge. See
    ``docs/relate.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> from rca.relate import event_association
    >>> t0 = pd.Timestamp("2024-03-01", tz="UTC")
    >>> minutes = lambda *m: [t0 + pd.Timedelta(minutes=v) for v in m]
    >>> events = pd.DataFrame({
    ...     "time": minutes(60, 200, 340, 480, 30, 400, 700),
    ...     "source": ["fw-01"] * 4 + ["backup"] * 3,
    ...     "kind": ["change"] * 4 + ["run"] * 3})
    >>> changes = pd.DataFrame({"signal": "latency",
    ...                         "time": minutes(63, 205, 342, 484, 900)})
    >>> table = event_association(events, changes, within="10min",
    ...                           window=(t0, t0 + pd.Timedelta("1D")))
    >>> table[["source", "n_events", "n_followed", "significant"]]
       source  n_events  n_followed  significant
    0   fw-01         4           4         True
    1  backup         3           0        False
    """
    by = [by] if isinstance(by, str) else list(by)
    _checks.require_columns(events, ["time", *by], name="events")
    _checks.require_columns(changes, ["time", "signal"], name="changes")
    within_td = _checks.duration(within, name="within")
    method = _checks.choice(method, ("permutation", "poisson"), name="method")
    correction = _checks.choice(correction, _CORRECTIONS, name="correction")
    alpha = _checks.probability(alpha, name="alpha")
    ev_time = _checks.time_column(events, "time", name="events")
    ch_time = _checks.time_column(changes, "time", name="changes")

    excluded = {"events without time": int(ev_time.isna().sum()),
                "changes without time": int(ch_time.isna().sum())}
    if window is None:
        both = pd.concat([ev_time.dropna(), ch_time.dropna()])
        if both.empty:
            raise AnalysisError("events and changes have no valid times; cannot set a window")
        start, end = both.min(), both.max()
    else:
        start, end = _checks.window_bounds(window)
    in_ev = ev_time.between(start, end)
    in_ch = ch_time.between(start, end)
    excluded["events outside the window"] = int((ev_time.notna() & ~in_ev).sum())
    excluded["changes outside the window"] = int((ch_time.notna() & ~in_ch).sum())
    total = int((end - start).value)
    if total <= 0:
        raise AnalysisError(
            f"the window {start} to {end} has no length; give window=(start, end)"
        )
    ch_ns = ch_time[in_ch].array.asi8 - start.value
    ch_order = np.argsort(ch_ns, kind="stable")
    ch_ns = ch_ns[ch_order]
    ch_signal = changes.loc[in_ch, "signal"].to_numpy()[ch_order]
    if len(ch_ns) == 0:
        raise AnalysisError(
            f"changes: none in the window {start} to {end} "
            f"({excluded['changes outside the window']} outside it); "
            "without changes there is nothing to associate"
        )
    w = int(within_td.value)
    cov_lo, cov_hi = _events.coverage(ch_ns, w, total)
    q = float((cov_hi - cov_lo).sum() / total)
    rotations = _events.n_rotations(total)

    ev = events.loc[in_ev, by].copy()
    ev["_ns"] = ev_time[in_ev].array.asi8 - start.value
    rows = []
    for keys, group in ev.groupby(by, dropna=False, sort=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        times = np.sort(group["_ns"].to_numpy())
        lead = _events.follow_lead(times, ch_ns, w)
        followed = np.isfinite(lead)
        n_events, n_followed = len(times), int(followed.sum())
        if method == "poisson":
            p = float(stats.binom.sf(n_followed - 1, n_events, q))
        else:
            counts = _events.rotation_counts(times, cov_lo, cov_hi, total, rotations)
            p = float(np.mean(counts >= counts[0]))
        lo_idx = np.searchsorted(ch_ns, times, side="left")
        hi_idx = np.searchsorted(ch_ns, times + w, side="right")
        touched = {s for a, b in zip(lo_idx, hi_idx) for s in ch_signal[a:b]}
        expected = n_events * q
        rows.append(
            dict(
                zip(by, keys),
                n_events=n_events,
                n_followed=n_followed,
                expected=expected,
                lift=n_followed / expected if expected > 0 else np.nan,
                median_lead=float(np.median(lead[followed])) if n_followed else np.nan,
                p_value=p,
                n_signals=len(touched),
                first_time=int(times[0]),
                last_time=int(times[-1]),
            )
        )
    columns = [*by, "n_events", "n_followed", "expected", "lift", "median_lead", "p_value",
               "p_adjusted", "significant", "n_signals", "first_time", "last_time"]
    table = pd.DataFrame(
        rows, columns=[c for c in columns if c not in ("p_adjusted", "significant")]
    )
    table["median_lead"] = pd.to_timedelta(table["median_lead"].astype(float).round(), unit="ns")
    for col in ("first_time", "last_time"):
        table[col] = start + pd.to_timedelta(table[col].astype("int64"), unit="ns")
    table["p_adjusted"] = _adjust(table["p_value"].to_numpy(), correction, alpha)
    table["significant"] = table["p_adjusted"] < alpha
    table = table[columns]
    table = table.sort_values(
        ["p_value", "lift"], ascending=[True, False], kind="mergesort", na_position="last"
    ).reset_index(drop=True)
    table.attrs["settings"] = dict(
        window=(start, end),
        within=within_td,
        by=tuple(by),
        method=method,
        coverage=q,
        rotations=rotations if method == "permutation" else None,
        rotation_step=pd.Timedelta(total // rotations, unit="ns")
        if method == "permutation" else None,
        n_changes=int(len(ch_ns)),
        correction=correction,
        alpha=alpha,
        excluded=excluded,
    )
    return table


# --------------------------------------------------------------------------
# propagation graph
# --------------------------------------------------------------------------


def propagation_graph(
    changes: pd.DataFrame,
    signals: pd.DataFrame | None = None,
    *,
    max_lag: str | pd.Timedelta = "15min",
    max_parents: int | None = 1,
    ar_order: int | str = "auto",
) -> pd.DataFrame:
    """Which changes precede which: a pruned, acyclic edge table.

    Nodes are individual changes (a signal at a time). An edge
    ``source -> target`` links a change to a later change of *another*
    signal at most ``max_lag`` after it. Because every edge points forward in
    time the graph is acyclic by construction (changes at the same instant
    are not linked: their order is unknown). Each target change keeps its
    ``max_parents`` most plausible predecessors:

    - with ``signals``: the largest absolute pre-whitened correlation
      (:func:`correlation_by_lag`) between the source and target signals at a
      lag consistent with the two onsets (their ``time_lo`` .. ``time_hi``
      intervals when present), i.e. evidence that the two signals move
      together with that delay;
    - without ``signals``: the nearest preceding change (``proximity``).

    Parameters
    ----------
    changes : pandas.DataFrame
        Tidy changes frame; uses ``signal`` and ``time``, and ``time_lo``,
        ``time_hi``, ``strength`` when present.
    signals : pandas.DataFrame, optional
        The aligned signals the changes were detected in (regular tz-aware UTC
        grid), used to weight edges by correlation. Every changed signal must
        be a column.
    max_lag : str or pandas.Timedelta, default "15min"
        Longest delay from a change to a change it may have caused [time].
    max_parents : int or None, default 1
        Predecessors kept per change (``None`` keeps all).
    ar_order : int or "auto", default "auto"
        Pre-whitening order, see :func:`lagged_correlation`.

    Returns
    -------
    pandas.DataFrame
        One row per edge, ordered by ``target_time`` then ``rank``:

        ============= =======================================================
        source_signal signal of the earlier change
        target_signal signal of the later change
        source_time   onset of the earlier change
        target_time   onset of the later change
        lag           ``target_time - source_time`` (> 0) [Timedelta]
        weight        plausibility used for pruning: ``abs(r)`` with
                      ``signals``, else ``proximity`` [-]
        proximity     ``1 - lag / max_lag`` [-]
        r             pre-whitened correlation at ``r_lag`` (NaN without
                      ``signals``) [-]
        r_lag         lag within the onset uncertainty where ``abs(r)`` is
                      largest [Timedelta]
        p_value       p-value of ``r``, Šidák-corrected for the lags tried [-]
        rank          1 = most plausible predecessor of this target change
        n_candidates  predecessors the target change had before pruning
        ============= =======================================================

        ``attrs["settings"]`` records the weight used, the changes with no
        predecessor (``roots``) and the rows left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from rca.relate import propagation_graph
    >>> t0 = pd.Timestamp("2024-03-01 08:00", tz="UTC")
    >>> changes = pd.DataFrame({
    ...     "signal": ["gateway_latency", "FIC101.PV", "TI205.PV", "FIC101.PV"],
    ...     "time": [t0, t0 + pd.Timedelta("2min"), t0 + pd.Timedelta("6min"),
    ...              t0 + pd.Timedelta("40min")]})
    >>> graph = propagation_graph(changes, max_lag="15min")
    >>> graph[["source_signal", "target_signal", "lag"]]
         source_signal target_signal             lag
    0  gateway_latency     FIC101.PV 0 days 00:02:00
    1        FIC101.PV      TI205.PV 0 days 00:04:00
    """
    _checks.require_columns(changes, ["signal", "time"], name="changes")
    max_lag_td = _checks.duration(max_lag, name="max_lag")
    ar_order = _ar_order_option(ar_order)
    if max_parents is not None and (
        isinstance(max_parents, bool)
        or not isinstance(max_parents, (int, np.integer))
        or max_parents < 1
    ):
        raise ParameterError(
            f"max_parents: expected None or a whole number >= 1, got {max_parents!r}"
        )
    times = _checks.time_column(changes, "time", name="changes")
    has_bounds = {"time_lo", "time_hi"} <= set(changes.columns)
    lo = _checks.time_column(changes, "time_lo", name="changes") if has_bounds else times
    hi = _checks.time_column(changes, "time_hi", name="changes") if has_bounds else times
    nodes = pd.DataFrame(
        {
            "signal": changes["signal"].to_numpy(),
            "time": times.array,
            "lo": lo.fillna(times).array,
            "hi": hi.fillna(times).array,
            "strength": changes["strength"].to_numpy(dtype=float)
            if "strength" in changes.columns else np.zeros(len(changes)),
        }
    )
    n_no_time = int(nodes["time"].isna().sum())
    nodes = nodes.dropna(subset=["time"]).sort_values(["time", "signal"], kind="mergesort")
    nodes = nodes.reset_index(drop=True)

    t = nodes["time"].array.asi8
    first = np.searchsorted(t, t - max_lag_td.value, side="left")
    last = np.searchsorted(t, t, side="left")  # strictly earlier
    tgt = np.repeat(np.arange(len(t)), last - first)
    src = np.concatenate([np.arange(a, b) for a, b in zip(first, last)] + [np.zeros(0, int)])
    keep = nodes["signal"].to_numpy()[src] != nodes["signal"].to_numpy()[tgt]
    src, tgt = src[keep], tgt[keep]
    lag_ns = t[tgt] - t[src]
    proximity = 1.0 - lag_ns / max_lag_td.value
    r = np.full(len(src), np.nan)
    r_lag = np.full(len(src), np.nan)
    p_value = np.full(len(src), np.nan)

    weight_name = "proximity (1 - lag / max_lag)"
    ar_orders, skipped = None, {}
    if signals is not None:
        weight_name = "abs(r): pre-whitened correlation at a lag consistent with the onsets"
        frame, step = _checks.signal_frame(signals, name="signals")
        missing = sorted(set(nodes["signal"]) - set(frame.columns), key=str)
        if missing:
            raise ParameterError(
                f"signals: no column for the changed signal(s) {_checks.fmt_list(missing)}; "
                f"expected every signal in changes to be a column of signals"
            )
        steps = _checks.lag_steps(max_lag_td, step, name="max_lag", n=len(frame))
        sig = nodes["signal"].to_numpy()
        lo_ns = nodes["lo"].array.asi8
        hi_ns = nodes["hi"].array.asi8
        # every signal is fitted and transformed once, whatever it is related to
        involved = list(pd.unique(sig[np.r_[src, tgt]]))
        values = frame[involved].to_numpy().T.copy()
        orders, reasons = _ar_orders(values, involved, ar_order)
        ar_orders = {name: int(o) for name, o in zip(involved, orders)}
        skipped = {name: why for name, why in zip(involved, reasons) if why}
        pw = _stats.prewhiten(values, orders, max_lag=steps)
        row_of = {name: k for k, name in enumerate(involved)}
        lags = np.arange(steps + 1)
        for target_name in pd.unique(sig[tgt]):
            if target_name in skipped:
                continue
            at = np.flatnonzero(sig[tgt] == target_name)
            at = at[np.array([sig[src[e]] not in skipped for e in at], dtype=bool)]
            sources = list(pd.unique(sig[src[at]]))
            if not sources:
                continue
            r_t, _, n_eff_t = _stats.correlate_prewhitened(
                pw, np.array([row_of[name] for name in sources]),
                values[row_of[target_name]], lags,
            )
            p_t = _stats.fisher_p(r_t, n_eff_t)
            position = {name: k for k, name in enumerate(sources)}
            for e in at:
                k = position[sig[src[e]]]
                # lags (in steps) consistent with both onset intervals, always
                # including the lag between the two onsets themselves
                earliest = (lo_ns[tgt[e]] - hi_ns[src[e]]) / step.value
                latest = (hi_ns[tgt[e]] - lo_ns[src[e]]) / step.value
                k_mid = min(int(round(lag_ns[e] / step.value)), steps)
                k_lo = min(max(0, int(np.floor(earliest))), k_mid)
                k_hi = max(min(steps, int(np.ceil(latest))), k_mid)
                p_row = p_t[k, k_lo : k_hi + 1]
                if not np.isfinite(p_row).any():
                    continue
                j = int(np.nanargmin(p_row))
                r[e] = r_t[k, k_lo + j]
                r_lag[e] = (k_lo + j) * step.value
                p_value[e] = _stats.sidak(p_row[j], int(np.isfinite(p_row).sum()))
        weight = np.abs(r)
    else:
        weight = proximity

    edges = pd.DataFrame(
        {
            "source_signal": nodes["signal"].to_numpy()[src],
            "target_signal": nodes["signal"].to_numpy()[tgt],
            "source_time": nodes["time"].array[src],
            "target_time": nodes["time"].array[tgt],
            "lag": pd.to_timedelta(lag_ns, unit="ns"),
            "weight": weight,
            "proximity": proximity,
            "r": r,
            "r_lag": pd.to_timedelta(r_lag, unit="ns"),
            "p_value": p_value,
            "_target": tgt,
            "_strength": -nodes["strength"].to_numpy()[src],
            "_source_key": nodes["signal"].astype(str).to_numpy()[src],
        }
    )
    edges["_neg_weight"] = -edges["weight"].fillna(-np.inf)
    edges = edges.sort_values(
        ["_target", "_neg_weight", "lag", "_strength", "_source_key"], kind="mergesort"
    )
    edges["rank"] = edges.groupby("_target").cumcount() + 1
    edges["n_candidates"] = edges.groupby("_target")["rank"].transform("size")
    if max_parents is not None:
        edges = edges[edges["rank"] <= max_parents]
    roots = sorted(set(range(len(t))) - set(tgt.tolist()))
    edges = edges.drop(columns=["_target", "_strength", "_source_key", "_neg_weight"])
    edges = edges.reset_index(drop=True)
    for col in ("source_time", "target_time"):
        edges[col] = pd.to_datetime(edges[col], utc=True)
    edges.attrs["settings"] = dict(
        max_lag=max_lag_td,
        max_parents=max_parents,
        weight=weight_name,
        ar_order=ar_orders,
        skipped=skipped,
        n_changes=len(t),
        roots=[(nodes["signal"].iloc[i], nodes["time"].iloc[i]) for i in roots],
        excluded={"changes without time": n_no_time},
    )
    return edges
