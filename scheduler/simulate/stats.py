"""Confidence intervals over replications: Student's t for one mean, Welch for two."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

__all__ = ["CONFIDENCE", "summarise", "welch"]

CONFIDENCE = 0.95

FloatArray = npt.NDArray[np.float64]


def summarise(replications: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per metric: ``n``, ``mean``, ``std`` (sample) and the 95% confidence interval of the
    mean from Student's t with ``n - 1`` degrees of freedom (NaN bounds when ``n < 2``)."""
    rows = []
    for m in metrics:
        values = replications[m].dropna().to_numpy(dtype=np.float64)
        n = len(values)
        mean = float(values.mean()) if n else math.nan
        std = float(values.std(ddof=1)) if n > 1 else math.nan
        if n > 1:
            half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * std / math.sqrt(n)
        else:
            half = math.nan
        rows.append(
            {
                "metric": m,
                "n": n,
                "mean": mean,
                "std": std,
                "ci_low": mean - half,
                "ci_high": mean + half,
            }
        )
    return pd.DataFrame(rows).set_index("metric")


def welch(x: FloatArray, y: FloatArray) -> tuple[float, float, float]:
    """Mean of ``y - x`` and its 95% Welch interval (unequal variances)."""
    diff = float(y.mean() - x.mean())
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0:
        return diff, diff, diff
    dof = se**4 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, dof)) * se
    return diff, diff - half, diff + half
