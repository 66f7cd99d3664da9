"""Entry point of the server process the benchmarks start (``common.ServerProcess``).

Runs ``millstream.server.serve()`` configured by ``MILLSTREAM_*`` variables. With
``MILLSTREAM_BENCH_PATCHES`` set (comma-separated names from ``patches.py``) it applies
those proposed fixes first, so a benchmark can measure before/after side by side
without touching ``src/``.
"""

from __future__ import annotations

import os

from millstream.server import serve


def main() -> None:
    names = [n for n in os.environ.get("MILLSTREAM_BENCH_PATCHES", "").split(",") if n]
    if names:
        import patches

        patches.apply(names)
    # MILLSTREAM_BENCH_WORKERS: `millstream up --workers N` (API processes on the port).
    serve(workers=int(os.environ.get("MILLSTREAM_BENCH_WORKERS", "1")))


if __name__ == "__main__":
    main()
