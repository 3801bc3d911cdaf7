"""The OR-Tools routing model and search; the only package that imports ortools."""

from scheduler.solver.search import Progress, ProgressCallback, solve

__all__ = ["Progress", "ProgressCallback", "solve"]
