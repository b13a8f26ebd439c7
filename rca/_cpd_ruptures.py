"""ruptures behind :func:`rca.detect_changes` (private).

The same per-signal contract as :func:`rca._cpd_engine.analyse_signal`: arrays of
change positions in valid-sample coordinates plus the estimates that were made.
"""

from __future__ import annotations

import numpy as np

from rca import _cpd_engine as engine

#: ``method=`` names and the ruptures classes they select.
ALGORITHMS = {
    "pelt": "Pelt",
    "binseg": "Binseg",
    "bottomup": "BottomUp",
    "window": "Window",
    "kernel": "KernelCPD",
}
KERNELS = ("linear", "rbf", "cosine")
#: Costs for which ``penalty="auto"`` has a scale: the gain of a split is a
#: chi-square statistic once divided by the long-run noise variance.
AUTO_PENALTY_COSTS = ("l2", "linear")
_KINDS = {"l2": "mean", "linear": "mean", "normal": "mean+variance"}


def cost_name(model) -> str:
    """Name of a ruptures cost given by name or as a ``BaseCost`` instance."""
    if isinstance(model, str):
        return model
    return str(getattr(model, "model", type(model).__name__))


def build(method: str, model, *, min_size: int, options: dict):
    """Instantiate the ruptures algorithm (not yet fitted)."""
    import ruptures as rpt

    cls = getattr(rpt, ALGORITHMS[method])
    kwargs = {"min_size": min_size, "jump": 1}
    kwargs.update(options)
    if method == "kernel":
        return cls(kernel=model, **kwargs)
    if isinstance(model, str):
        return cls(model=model, **kwargs)
    return cls(custom_cost=model, **kwargs)


def analyse_signal(x: np.ndarray, *, method: str, model, penalty: float | None,
                   min_size: int, options: dict, long_run: str = "plateau") -> tuple[dict, dict]:
    """Run one ruptures algorithm on the valid samples of ``x`` (``long_run``: the rule
    of :func:`rca._cpd_engine.long_run_estimate` behind the automatic penalty)."""
    finite = np.isfinite(x)
    non_finite = int(np.count_nonzero(~finite & ~np.isnan(x)))
    valid = np.flatnonzero(finite)
    y = x[valid].astype(float)
    n = y.size
    crosses = np.diff(valid) > 1
    name = cost_name(model)
    info = {"n_valid": int(n), "n_missing": int(x.size - n - non_finite),
            "non_finite": non_finite, "n_gaps": int(crosses.sum()), "spikes_replaced": 0,
            "noise": float("nan"), "noise_basis": "", "resolution": float("nan"),
            "block": 0, "inflation": float("nan"), "long_run_sd": float("nan"),
            "penalty": float("nan"), "long_run_basis": "block differences",
            "drift_dropped": 0, "status": "ok"}
    changes = engine._empty_changes()
    changes["valid"] = valid
    changes["crosses"] = crosses
    if n < 2 * min_size:
        info["status"] = "too few samples" if n else "no valid samples"
        return changes, info
    prof = engine.noise_profile(y, crosses, long_run=long_run)
    info.update({k: prof[k] for k in ("noise", "noise_basis", "resolution", "block",
                                      "inflation", "long_run_sd")})
    if prof["noise"] == 0.0:
        info["status"] = "constant"
        return changes, info
    beta = engine.default_penalty(n)
    if penalty is None:
        unit = prof["long_run_sd"] ** 2
        pen = beta * unit
    else:
        pen = float(penalty)
        unit = pen / beta
    info["penalty"] = pen
    algo = build(method, model, min_size=min_size, options=options).fit(y)
    bkps = algo.predict(pen=pen)
    cps = np.asarray(sorted(bkps)[:-1], dtype=np.int64)
    if cps.size == 0:
        return changes, info
    cost = algo.cost
    b = np.concatenate(([0], cps, [n]))
    gain = np.array([cost.error(b[i], b[i + 2]) - cost.error(b[i], b[i + 1])
                     - cost.error(b[i + 1], b[i + 2]) for i in range(cps.size)])
    lo = np.empty(cps.size, dtype=np.int64)
    hi = np.empty(cps.size, dtype=np.int64)
    ms = max(min_size, getattr(cost, "min_size", 1))
    for i in range(cps.size):
        s, e = int(b[i]), int(b[i + 2])
        cand = np.arange(max(s + ms, cps[i] - 500), min(e - ms, cps[i] + 500) + 1)
        total = cost.error(s, e)
        prof_gain = np.array([total - cost.error(s, t) - cost.error(t, e) for t in cand])
        inside = cand[prof_gain >= gain[i] - engine.LOCATION_DROP_95 * unit]
        lo[i] = min(int(inside.min()), cps[i]) if inside.size else cps[i]
        hi[i] = max(int(inside.max()), cps[i]) if inside.size else cps[i]
    before, after = engine._segment_means(y, cps)
    kind = _KINDS.get(name, name)
    changes.update({
        "pos": cps, "lo": lo, "hi": hi, "kind": np.full(cps.size, kind, dtype=object),
        "before": before, "after": after,
        "sigma_before": np.full(cps.size, prof["noise"]),
        "sigma_after": np.full(cps.size, prof["noise"]),
        "strength": np.sqrt(np.maximum(gain, 0.0) / unit),
        "end": np.full(cps.size, -1, dtype=np.int64), "slope": np.full(cps.size, np.nan)})
    return changes, info


def check_model(method: str, model) -> None:
    """Raise ``ParameterError`` when ``model`` cannot be used with ruptures ``method``."""
    from rca.errors import ParameterError

    if method == "kernel":
        if model not in KERNELS:
            raise ParameterError(
                f"model={model!r} is not a kernel of method='kernel'; expected one of "
                f"{', '.join(repr(k) for k in KERNELS)}")
        return
    if isinstance(model, str):
        from ruptures.costs import cost_factory

        try:
            cost_factory(model)
        except Exception:
            raise ParameterError(
                f"model={model!r} is not a ruptures cost; expected one of 'l1', 'l2', "
                f"'normal', 'rbf', 'cosine', 'linear', 'clinear', 'rank', 'mahalanobis', "
                f"'ar', or a ruptures.base.BaseCost instance") from None
        return
    from ruptures.base import BaseCost

    if not isinstance(model, BaseCost):
        raise ParameterError(
            f"model={model!r} (type {type(model).__name__}) is neither a ruptures cost name "
            f"nor a ruptures.base.BaseCost instance")
