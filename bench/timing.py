"""The one timing loop the benches share: the median of some runs after warm-up runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_seconds(function: Callable[[], Any], repeat: int, *, warm: int, clock: Callable[[], float] = time.perf_counter) -> tuple[float, Any]:
    """The median seconds (by `clock`: wall time, or `time.process_time` for the CPU of the
    process) of `repeat` runs of `function` after `warm` warm-up runs, and its last answer."""
    answer = None
    for _ in range(warm):  # caches, plans
        answer = function()
    times = []
    for _ in range(repeat):
        started = clock()
        answer = function()
        times.append(clock() - started)
    return statistics.median(times), answer
