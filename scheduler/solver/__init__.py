"""The searches: the compiled ruin-and-recreate search (every rule) and OR-Tools' routing
search (the only package that imports ortools)."""

from scheduler.solver.progress import Progress, ProgressCallback
from scheduler.solver.solve import solve

__all__ = ["Progress", "ProgressCallback", "solve"]
