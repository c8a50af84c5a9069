"""rtd-tui benchmarks: ``uv run python -m benchmarks [--quick]`` prints one table of figures.

Each figure is measured side by side with its baseline in the same run, so the
ratios hold on a noisy machine. The test suite never asserts a wall-clock time;
these figures live here instead.
"""
