"""Benchmarks, outside the test suite: run them by hand (see docs/PERFORMANCE.md)."""
