"""`python -m bench`: run every bench/bench_*.py and print each candidate's ratio to its baseline;
`python -m bench api startup` runs those whose names contain one of the words."""

from __future__ import annotations

import importlib
import io
import sys
from pathlib import Path


def main(selected: list[str]) -> int:
    # Line by line even into a pipe (nox): some benchmarks run for minutes.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    names = [n for n in names if not selected or any(s in n for s in selected)]
    print(f"{'benchmark':40} {'baseline':32} {'ratio':>8}")
    for name in names:
        for result in importlib.import_module(f"bench.{name}").run():
            print(f"{result.name:40} {result.baseline:32} {result.ratio:8.2f}x")
            # Richer results (bench.figures.Figure) add lines: rates, latencies, goals.
            for line in getattr(result, "details", ()):
                print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
