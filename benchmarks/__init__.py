"""Benchmark scripts. Each ``bench_*.py`` has ``run(full: bool) -> list[Figure]``; figures are
printed, never asserted. ``python -m benchmarks [--full] [--only NAME]`` runs them all.
"""
