"""`python -m bench [check|assign|list ...]`: start Azurite, measure, print one figure a line.

`python -m bench scale` (minutes, not part of the default run): the idle background work at
20k and 200k seats."""

from __future__ import annotations

import sys

from bench.harness import bench_environment
from bench.measure import assign_1000, license_check, license_check_throughput, list_1000
from bench.scale import scale

FIGURES = {
    "check": license_check,
    "throughput": license_check_throughput,
    "assign": assign_1000,
    "list": list_1000,
}
# Chosen by name only: seeding 200k seats takes minutes.
SLOW_FIGURES = {"scale": scale}


def main(arguments: list[str]) -> int:
    chosen = arguments or list(FIGURES)
    known = FIGURES | SLOW_FIGURES
    unknown = [name for name in chosen if name not in known]
    if unknown:
        print(f"unknown figure(s) {unknown}; choose from {list(known)}", file=sys.stderr)
        return 2
    with bench_environment() as environment:
        for name in chosen:
            for figure, value in known[name](environment).items():
                print(f"{figure}: {value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
