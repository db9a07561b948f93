"""A benchmark's result with more to say than one ratio: `python -m bench` prints the name, the
baseline and the ratio as for any result, then each of `details` on a line of its own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    baseline: str
    ratio: float
    """What the goal is stated in (say billtrack's req/s over the bare app's), so its direction
    is the benchmark's to say in `details`."""
    details: tuple[str, ...] = ()
