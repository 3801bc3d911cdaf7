"""Solver benchmarks; each script writes its results into docs/."""
