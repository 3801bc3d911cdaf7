"""Scenarios side by side: one table of means with 95% confidence intervals, and plots.

Plots use matplotlib's Agg backend (no display needed) and are written as PNG files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scheduler.network.graph import OSM_ATTRIBUTION
from scheduler.simulate.run import SimulationResult
from scheduler.simulate.stats import summarise, welch

__all__ = [
    "HEADLINE",
    "comparison_table",
    "differences",
    "paired",
    "plot_distributions",
    "plot_served_vs_coverage",
    "side_by_side",
    "write_outputs",
]

HEADLINE: tuple[str, ...] = (
    "residents_covered",
    "events_held",
    "event_engineer_hours",
    "home_served",
    "home_deferred",
    "deferred_p1",
    "deferred_p2",
    "late_visits",
    "lateness_min",
    "overtime_min",
    "travel_min",
)
"""The figures a planner reads first: what the events buy, then what they cost at home."""


def comparison_table(results: Sequence[SimulationResult]) -> pd.DataFrame:
    """Every scenario's summary in one long table: columns ``scenario``, ``metric``, ``n``,
    ``mean``, ``std``, ``ci_low``, ``ci_high``."""
    frames = [r.summary.reset_index().assign(scenario=r.name) for r in results]
    table = pd.concat(frames, ignore_index=True)
    return table[["scenario", "metric", "n", "mean", "std", "ci_low", "ci_high"]]


def _cell(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "n/a"
    if math.isnan(low):
        return f"{mean:.1f}"
    return f"{mean:.1f} [{low:.1f}, {high:.1f}]"


def side_by_side(
    results: Sequence[SimulationResult], metrics: Sequence[str] = HEADLINE
) -> pd.DataFrame:
    """One row per metric, one column per scenario: ``"mean [95% CI low, high]"``."""
    data = {
        r.name: [
            _cell(
                _stat(r.summary, m, "mean"),
                _stat(r.summary, m, "ci_low"),
                _stat(r.summary, m, "ci_high"),
            )
            for m in metrics
        ]
        for r in results
    }
    return pd.DataFrame(data, index=pd.Index(list(metrics), name="metric"))


def paired(a: SimulationResult, b: SimulationResult) -> bool:
    """Whether replication ``i`` of ``a`` and of ``b`` saw the same home demand (same seed
    and demand model): then their difference is measured replication by replication."""
    return (
        a.scenario.seed == b.scenario.seed
        and a.scenario.demand == b.scenario.demand
        and a.scenario.network == b.scenario.network
        and len(a.replications) == len(b.replications)
    )


def differences(
    results: Sequence[SimulationResult], metrics: Sequence[str] = HEADLINE, baseline: int = 0
) -> pd.DataFrame:
    """Each scenario minus the ``baseline`` one, per metric: mean difference and its 95%
    interval. With common random numbers (:func:`paired`) the interval is over the
    per-replication differences, much narrower than comparing two separate means;
    otherwise Welch's interval. Columns ``scenario``, ``baseline``, ``metric``, ``method``,
    ``difference``, ``ci_low``, ``ci_high``."""
    base = results[baseline]
    rows = []
    for r in results:
        if r is base:
            continue
        same_days = paired(base, r)
        for m in metrics:
            x = base.replications[m].to_numpy(dtype=np.float64)
            y = r.replications[m].to_numpy(dtype=np.float64)
            if np.isnan(x).any() or np.isnan(y).any():
                diff = low = high = math.nan
            elif same_days:
                one = summarise(pd.DataFrame({m: y - x}), [m])
                diff, low, high = (_stat(one, m, c) for c in ("mean", "ci_low", "ci_high"))
            elif len(x) > 1 and len(y) > 1:
                diff, low, high = welch(x, y)
            else:
                diff, low, high = float(y.mean() - x.mean()), math.nan, math.nan
            rows.append(
                {
                    "scenario": r.name,
                    "baseline": base.name,
                    "metric": m,
                    "method": "paired" if same_days else "welch",
                    "difference": diff,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    columns = ["scenario", "baseline", "metric", "method", "difference", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns)


def plot_served_vs_coverage(results: Sequence[SimulationResult], path: Path) -> Path:
    """Home visits served against residents covered: one point per replication, and each
    scenario's mean with its 95% confidence intervals as error bars."""
    fig, ax = plt.subplots(figsize=(7, 5))
    for r in results:
        reps = r.replications
        s = r.summary
        (points,) = ax.plot(
            reps["residents_covered"], reps["home_served"], "o", alpha=0.35, label=None
        )
        mx, my = _stat(s, "residents_covered", "mean"), _stat(s, "home_served", "mean")
        xerr = _half_width(s, "residents_covered")
        yerr = _half_width(s, "home_served")
        ax.errorbar(
            mx, my, xerr=xerr, yerr=yerr, fmt="s", color=points.get_color(), capsize=4,
            markersize=8, label=f"{r.name} (mean, 95% CI)",
        )  # fmt: skip
    ax.set_xlabel("residents reached by events held")
    ax.set_ylabel("home-service visits served")
    ax.set_title("What outreach buys and what it costs at home")
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    fig.text(0.99, 0.01, OSM_ATTRIBUTION, ha="right", va="bottom", fontsize=7, alpha=0.7)
    return _save(fig, path)


def _stat(summary: pd.DataFrame, metric: str, column: str) -> float:
    """One number of a summary (``summarise``'s frame): ``column`` of ``metric``."""
    value: float = summary[column].astype(float)[metric]
    return float(value)


def _half_width(summary: pd.DataFrame, metric: str) -> float:
    low, high = _stat(summary, metric, "ci_low"), _stat(summary, metric, "ci_high")
    return 0.0 if math.isnan(low) else (high - low) / 2


def plot_distributions(
    results: Sequence[SimulationResult],
    path: Path,
    metrics: Sequence[str] = (
        "home_deferred",
        "lateness_min",
        "overtime_min",
        "travel_min",
        "residents_covered",
        "event_engineer_hours",
    ),
) -> Path:
    """Box plots across replications, one panel per metric, one box per scenario."""
    cols = 3
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    names = [r.name for r in results]
    for ax, m in zip(axes.flat, metrics, strict=False):
        data = [r.replications[m].dropna().to_numpy() for r in results]
        ax.boxplot(data, tick_labels=names)
        ax.set_title(m)
        ax.grid(alpha=0.3, axis="y")
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    fig.suptitle("Distributions across replications")
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_outputs(results: Sequence[SimulationResult], out_dir: Path) -> list[Path]:
    """``summary.csv`` (long form), ``comparison.csv`` (side by side), ``replications.csv``,
    ``events.csv``, ``differences.csv`` (each scenario minus the first, with two or more)
    and the two plots, under ``out_dir``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    summary = out_dir / "summary.csv"
    comparison_table(results).to_csv(summary, index=False)
    written.append(summary)
    side = out_dir / "comparison.csv"
    side_by_side(results).to_csv(side)
    written.append(side)
    reps = out_dir / "replications.csv"
    pd.concat([r.replications for r in results], ignore_index=True).to_csv(reps, index=False)
    written.append(reps)
    events = out_dir / "events.csv"
    tables = [r.events for r in results if not r.events.empty]
    if tables:
        pd.concat(tables, ignore_index=True).to_csv(events, index=False)
    else:
        results[0].events.to_csv(events, index=False)  # the header alone: no candidates
    written.append(events)
    if len(results) > 1:
        diffs = out_dir / "differences.csv"
        differences(results).to_csv(diffs, index=False)
        written.append(diffs)
    written.append(plot_served_vs_coverage(results, out_dir / "served_vs_coverage.png"))
    written.append(plot_distributions(results, out_dir / "distributions.png"))
    return written
