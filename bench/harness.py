"""Timing as ratios: these machines are noisy, so a candidate is only ever reported against a
baseline measured alongside it, best of several rounds each, interleaved."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    name: str
    baseline: str
    baseline_seconds: float
    candidate_seconds: float

    @property
    def ratio(self) -> float:
        return self.candidate_seconds / self.baseline_seconds


def best_of(work: Callable[[], object], loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        work()
    return (time.perf_counter() - start) / loops


def compare(
    name: str,
    baseline_name: str,
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    loops: int = 200,
    rounds: int = 7,
) -> Comparison:
    baseline_times, candidate_times = [], []
    for _ in range(rounds):
        baseline_times.append(best_of(baseline, loops))
        candidate_times.append(best_of(candidate, loops))
    return Comparison(name, baseline_name, min(baseline_times), min(candidate_times))
