"""Footprint: resident memory of the Millstream server process (idle, with the demo job,
under a read load), of the embedded Flink cluster it starts (JobManager + TaskManager),
and the install size of the virtualenv.

The server runs as ``millstream up`` would (embedded Flink on a free port, SQLite);
RSS comes from ``/proc/<pid>/status`` (median of several samples; under load also the
peak). The load is GetJob at ``--rate`` req/s, signed, open loop (``loadgen.py``).

    python benchmarks/footprint.py [--quick] [--rate 200]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from common import (
    ROOT,
    ServerProcess,
    client_config,
    console,
    print_table,
    process_tree_rss,
    rss_bytes,
    wait_until,
    write_results,
)
from loadgen import prepare, run_open_loop

MiB = 1024 * 1024


def _flink_pids(tree: dict[int, tuple[str, int]]) -> dict[str, list[int]]:
    roles: dict[str, list[int]] = {"jobmanager": [], "taskmanager": [], "python": []}
    for pid, (cmd, _) in tree.items():
        if "StandaloneSessionClusterEntrypoint" in cmd:
            roles["jobmanager"].append(pid)
        elif "TaskManagerRunner" in cmd:
            roles["taskmanager"].append(pid)
        elif "pyflink" in cmd and "java" not in cmd:
            roles["python"].append(pid)
    return roles


def _sample(pids: list[int], n: int, interval: float = 0.5) -> float:
    values = []
    for _ in range(n):
        values.append(sum(rss_bytes(pid) for pid in pids))
        time.sleep(interval)
    return float(statistics.median(values))


def _dir_size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def install_sizes() -> dict[str, Any]:
    venv = Path(sys.prefix)
    site = next(iter(sorted((venv / "lib").glob("python*/site-packages"))), venv)
    packages = {}
    for entry in site.iterdir():
        if entry.is_dir() and not entry.name.endswith((".dist-info", "__pycache__")):
            packages[entry.name] = _dir_size(entry)
    biggest = sorted(packages.items(), key=lambda kv: kv[1], reverse=True)[:8]
    return {
        "venv_path": str(venv),
        "venv_bytes": _dir_size(venv),
        "pyflink_bytes": packages.get("pyflink", 0),
        "millstream_source_bytes": _dir_size(ROOT / "src" / "millstream"),
        "largest_packages": [{"name": n, "bytes": b} for n, b in biggest],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 s of load instead of 20 s")
    parser.add_argument("--rate", type=int, default=200)
    args = parser.parse_args()
    duration = 5.0 if args.quick else 20.0

    from millstream.client import Artifact, Deployment, MillstreamClient, SqlArtifact
    from millstream.client import operations as ops
    from millstream.control.bootstrap import DEMO_SQL

    figures: dict[str, Any] = {}
    server = ServerProcess()  # embedded Flink, SQLite: what `make run` starts
    flink_pids: list[int] = []
    with server:
        pid = server.process.pid if server.process else 0
        time.sleep(5)  # let start-up garbage settle
        tree = process_tree_rss(pid)
        roles = _flink_pids(tree)
        flink_pids = roles["jobmanager"] + roles["taskmanager"]
        figures["server_idle_rss"] = _sample([pid], 10)
        figures["jobmanager_idle_rss"] = _sample(roles["jobmanager"], 5)
        figures["taskmanager_idle_rss"] = _sample(roles["taskmanager"], 5)

        config = client_config(server)
        with MillstreamClient(config) as client:
            deployment = client.create_deployment(
                Deployment(
                    name="footprint-demo",
                    artifact=Artifact(
                        kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script=DEMO_SQL)
                    ),
                )
            )
            job = client.start_job(deployment.deployment_id or "")
            job_id = job.job_id or ""
            wait_until(
                lambda: client.get_job(job_id).state == "RUNNING",
                timeout=180,
                interval=0.5,
                what="the demo job",
            )
            time.sleep(5)
            figures["server_one_job_rss"] = _sample([pid], 10)
            figures["jobmanager_one_job_rss"] = _sample(roles["jobmanager"], 5)
            figures["taskmanager_one_job_rss"] = _sample(roles["taskmanager"], 5)

            # Under load: GetJob at --rate req/s, RSS sampled throughout.
            http = httpx.Client()
            payloads = [
                prepare(ops.build_request(http, config, ops.get_job(config.namespace, job_id)))
                for _ in range(int(args.rate * duration))
            ]
            http.close()
            samples: list[int] = []
            stop = threading.Event()

            def sampler() -> None:
                while not stop.wait(0.25):
                    samples.append(rss_bytes(pid))

            thread = threading.Thread(target=sampler, daemon=True)
            thread.start()
            outcome = run_open_loop(server.url, payloads, rate=args.rate)
            stop.set()
            thread.join()
            figures["server_load_rss_median"] = float(statistics.median(samples or [0]))
            figures["server_load_rss_peak"] = float(max(samples or [0]))
            figures["load"] = {
                "operation": "GetJob",
                "rate": args.rate,
                "seconds": duration,
                "completed": outcome.completed,
                "errors": outcome.errors,
            }
            client.stop_job(job_id, "NONE")
    # The server stops the Flink it started on SIGTERM; make sure, and clean up if not.
    left = [p for p in flink_pids if rss_bytes(p)]
    if left:
        console.print(f"[red]embedded Flink processes survived the server: {left}[/red]")
        for p in left:
            os.kill(p, signal.SIGKILL)
    figures["flink_left_running_after_stop"] = left
    figures["install"] = install_sizes()

    def mib(key: str) -> float:
        return float(figures[key]) / MiB

    rows = [
        [
            "Millstream server (python)",
            mib("server_idle_rss"),
            mib("server_one_job_rss"),
            mib("server_load_rss_median"),
            mib("server_load_rss_peak"),
        ],
        ["Flink JobManager", mib("jobmanager_idle_rss"), mib("jobmanager_one_job_rss"), None, None],
        [
            "Flink TaskManager",
            mib("taskmanager_idle_rss"),
            mib("taskmanager_one_job_rss"),
            None,
            None,
        ],
        [
            "total",
            mib("server_idle_rss") + mib("jobmanager_idle_rss") + mib("taskmanager_idle_rss"),
            mib("server_one_job_rss")
            + mib("jobmanager_one_job_rss")
            + mib("taskmanager_one_job_rss"),
            None,
            None,
        ],
    ]
    print_table(
        f"Resident memory (MiB); load = GetJob at {args.rate} req/s for {duration:.0f} s",
        ["process", "idle", "demo job running", "under load (median)", "under load (peak)"],
        rows,
    )
    install = figures["install"]
    print_table(
        "Install size (MiB)",
        ["what", "size"],
        [
            ["virtualenv", install["venv_bytes"] / MiB],
            ["of which pyflink (Flink runtime)", install["pyflink_bytes"] / MiB],
            ["millstream source", install["millstream_source_bytes"] / MiB],
        ]
        + [[f"  {p['name']}", p["bytes"] / MiB] for p in install["largest_packages"]],
    )
    write_results("footprint", {"mode": "quick" if args.quick else "full", "bytes": figures})


if __name__ == "__main__":
    main()
