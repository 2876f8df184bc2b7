"""`python -m bench [check|assign|list ...]`: start Azurite, measure, print one figure a line."""

from __future__ import annotations

import sys

from bench.harness import bench_environment
from bench.measure import assign_1000, license_check, license_check_throughput, list_1000

FIGURES = {
    "check": license_check,
    "throughput": license_check_throughput,
    "assign": assign_1000,
    "list": list_1000,
}


def main(arguments: list[str]) -> int:
    chosen = arguments or list(FIGURES)
    unknown = [name for name in chosen if name not in FIGURES]
    if unknown:
        print(f"unknown figure(s) {unknown}; choose from {list(FIGURES)}", file=sys.stderr)
        return 2
    with bench_environment() as environment:
        for name in chosen:
            for figure, value in FIGURES[name](environment).items():
                print(f"{figure}: {value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
