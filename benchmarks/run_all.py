"""``make bench``: run every benchmark, one after the other, each in its own process.

Each script also runs alone (``python benchmarks/<name>.py --help``); each prints its
table and writes ``benchmarks/results/<name>.json``. ``--quick`` passes ``--quick`` to
all of them (minutes instead of about an hour); ``--only a,b`` runs a subset.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "start_latency",
    "observation_lag",
    "api_load",
    "reconciler_scale",
    "sql_validation",
    "footprint",
    "admission",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs of everything")
    parser.add_argument(
        "--only", default="", help="comma-separated subset of: " + ", ".join(BENCHMARKS)
    )
    args = parser.parse_args()
    chosen = [b for b in args.only.split(",") if b] or BENCHMARKS
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    failed = []
    for name in chosen:
        command = [sys.executable, str(HERE / f"{name}.py")]
        if args.quick:
            command.append("--quick")
        print(f"\n=== {name} {'(quick)' if args.quick else ''}", flush=True)
        started = time.monotonic()
        done = subprocess.run(command, check=False, timeout=4 * 3600)
        print(f"=== {name}: exit {done.returncode} after {time.monotonic() - started:.0f} s")
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
