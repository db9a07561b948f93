"""`python -m bench`: run every bench/bench_*.py and print each candidate's ratio to its baseline."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(selected: list[str]) -> int:
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    names = [n for n in names if not selected or any(s in n for s in selected)]
    print(f"{'benchmark':40} {'baseline':32} {'ratio':>8}")
    for name in names:
        for result in importlib.import_module(f"bench.{name}").run():
            print(f"{result.name:40} {result.baseline:32} {result.ratio:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
