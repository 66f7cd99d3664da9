"""Sampling profiles for the benchmarks: ``py-spy record`` on a running process and its
children (the API workers of ``--workers N``), all threads (the reconciler's worker pool,
uvicorn's thread pool), sampling only the thread that holds the GIL (``--gil``): where
the CPU goes, not where threads wait. Summarised into the frames that take the most
time.

    with py_spy(pid, out):   # samples while the block runs
        ...
    print(top_frames(out))

py-spy must be installed in the venv (``pip install py-spy``); without it ``py_spy`` is a
no-op that says so.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

__all__ = ["py_spy", "top_frames"]


def _py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def py_spy(pid: int, out: Path, *, rate: int = 250) -> Iterator[bool]:
    """Record ``pid`` while the block runs, collapsed stacks into ``out``; yields whether
    a profiler is running."""
    binary = _py_spy()
    if binary is None:
        print("py-spy not installed: no profile")
        yield False
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "record",
            "-p",
            str(pid),
            "-o",
            str(out),
            "-f",
            "raw",
            "-r",
            str(rate),
            "--nonblocking",
            "--subprocesses",  # the API workers of `--workers N`
            "--gil",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # attach before the measured block starts
    try:
        yield True
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _frame_name(frame: str) -> str:
    # py-spy raw frames: "function (path/to/file.py:123)"; keep the module-relative path
    # and drop the line so samples of one function add up.
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "src/", "lib/python"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def top_frames(collapsed: Path, *, limit: int = 25) -> list[tuple[str, float, float]]:
    """(frame, self %, inclusive %) of the most expensive frames in a py-spy raw file."""
    self_time: Counter[str] = Counter()
    total_time: Counter[str] = Counter()
    samples = 0
    if not collapsed.exists():
        return []
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";")[1:]]  # first: thread name
        if not frames:
            continue
        samples += count
        self_time[frames[-1]] += count
        for frame in set(frames):
            total_time[frame] += count
    if not samples:
        return []
    ranked = sorted(total_time, key=lambda f: (self_time[f], total_time[f]), reverse=True)
    return [
        (frame, 100.0 * self_time[frame] / samples, 100.0 * total_time[frame] / samples)
        for frame in ranked[:limit]
    ]


def top_inclusive(collapsed: Path, *, contains: str, limit: int = 25) -> list[tuple[str, float]]:
    """Inclusive % of frames whose name contains ``contains`` (e.g. ``millstream``)."""
    total_time: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines() if collapsed.exists() else []:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        for frame in {_frame_name(f) for f in stack.split(";")[1:]}:
            if contains in frame:
                total_time[frame] += count
    return [(f, 100.0 * c / max(1, samples)) for f, c in total_time.most_common(limit)]
