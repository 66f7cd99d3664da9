"""Reconciler scale: ``Reconciler.run_iteration`` over 1,000 and 10,000 deployments whose
jobs run on 10 simulated clusters (a fake Flink REST server, ``fake_flink.py``).

The store is seeded through ``SqlStore`` repositories (in a separate process) with jobs
already RUNNING, their Flink JobIDs set and matching the fake's ``/jobs/overview`` rows;
then the reconciler (wired as ``build_runtime`` wires it: ``FlinkEngine``, 8 workers,
details every 10 s, the default detail budget) ticks like its daemon does (one tick, 1 s
pause, next tick) for a bounded number of ticks:

* tick 1 is the first tick after a start, restart or HA takeover: nothing is known in
  memory, and every job's overview row carries a modification time other than the one
  stored (the fake's clock, not the seeder's), as if all of them had moved while no
  reconciler watched -- the worst case for a replica taking over;
* the following ticks are steady state: one ``/jobs/overview`` per cluster, plus the
  detail reads the budget allows per tick (here they also work off tick 1's backlog).

Each size runs in a fresh child process (so memory figures are not polluted by the
previous size or by seeding). Memory per deployment = RSS growth of that process from
before the first tick to after the last, divided by N; plus the peak traced by
``tracemalloc`` during one extra steady tick, divided by N. Targets: steady tick <= 200 ms
and first tick <= 2 s at 10,000; <= 10 KiB per deployment.

    python benchmarks/reconciler_scale.py [--quick] [--sizes 1000,10000] [--store sqlite|postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from common import (
    PYTHON,
    console,
    postgres_database,
    print_table,
    rss_bytes,
    summarize,
    write_results,
)

CLUSTERS = 10
TARGET_TICK_S = 0.200
TARGET_BYTES_PER_DEPLOYMENT = 10 * 1024


def _seed_into(store_url: str, base_url: str, n: int, modified_ms: int, jobs_file: Path) -> None:
    """``_seed`` in a process of its own; the fake's jobs go to ``jobs_file``."""
    per_cluster = _seed(store_url, lambda prefix: f"{base_url}/{prefix}", n, modified_ms)
    jobs_file.write_text(json.dumps(per_cluster))


def _seed(store_url: str, fake_url: Any, n: int, modified_ms: int) -> dict[str, list[str]]:
    """N deployments with one RUNNING job each, round-robin over the clusters; returns
    cluster prefix -> Flink JobIDs for the fake."""
    import factories
    from millstream.store import SqlStore, upgrade

    upgrade(store_url)
    store = SqlStore(store_url)
    per_cluster: dict[str, list[str]] = {f"c{i}": [] for i in range(CLUSTERS)}
    try:
        with store.transaction() as repos:
            repos.create_namespace(namespace=factories.namespace())
            for i in range(CLUSTERS):
                repos.create_cluster(cluster=factories.cluster(f"sim-{i}", fake_url(f"c{i}")))
        batch = 1000
        for start in range(0, n, batch):
            with store.transaction() as repos:
                for index in range(start, min(n, start + batch)):
                    name = f"sim-{index % CLUSTERS}"
                    deployment = factories.deployment(f"bench-{index:06d}", cluster_name=name)
                    repos.create_deployment(deployment=deployment)
                    job = factories.job(
                        deployment, cluster_name=name, observed_modified_ms=modified_ms
                    )
                    repos.create_job(job=job)
                    per_cluster[f"c{index % CLUSTERS}"].append(job.flink_job_id or "")
    finally:
        store.close()
    return per_cluster


def child(
    n: int,
    store_url: str,
    ticks: int,
    pause: float,
    patches: list[str],
    profile: Path | None = None,
    details_interval: float = 10.0,
) -> dict[str, Any]:
    """Seed, start the fake, tick; runs in its own process. Returns the measurements."""
    from fake_flink import FakeFlink, overview_row

    if patches:
        import patches as patch_module

        patch_module.apply(patches)
    from millstream.control.heap import HeapFreezer
    from millstream.control.reconciler import Reconciler
    from millstream.engine import FlinkEngine, FlinkRuntime
    from millstream.store import SqlStore

    modified_ms = int(overview_row("x")["last-modification"])
    work = Path(tempfile.mkdtemp(prefix="ms-bench-recon-"))
    jobs_file = work / "jobs.json"
    # The fake's port is needed before seeding (cluster URLs): reserve it first.
    fake = FakeFlink(jobs_file=jobs_file)
    started = time.monotonic()
    seeder = multiprocessing.get_context("spawn").Process(
        target=_seed_into, args=(store_url, fake.url("").rstrip("/"), n, modified_ms, jobs_file)
    )
    seeder.start()
    seeder.join()
    if seeder.exitcode != 0:
        raise SystemExit(f"seeding failed (exit code {seeder.exitcode})")
    seed_s = time.monotonic() - started
    with fake:
        store = SqlStore(store_url)
        engine = FlinkEngine(data_dir=work, runtime=FlinkRuntime.detect(), request_timeout=30.0)
        reconciler = Reconciler(store, engine, max_concurrency=8, details_interval=details_interval)
        freezer = HeapFreezer()  # the daemon's tick observer, as build_runtime wires it
        try:
            gc.collect()
            rss_before = rss_bytes(os.getpid())
            samples: list[dict[str, Any]] = []
            for index in range(ticks):
                requests_before = fake.requests_served()
                wall0, cpu0 = time.perf_counter(), time.process_time()
                report = reconciler.run_iteration()
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
                samples.append(
                    {
                        "tick": index + 1,
                        "wall_s": wall,
                        "cpu_s": cpu,
                        "jobs": report.jobs,
                        "jobs_loaded": report.jobs_loaded,
                        "clusters_observed": report.clusters_observed,
                        "unreachable": len(report.clusters_unreachable),
                        "flink_requests": fake.requests_served() - requests_before - 1,
                        "actions": dict(report.actions),
                    }
                )
                console.print(
                    f"  N={n} tick {index + 1}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms "
                    f"CPU, {samples[-1]['flink_requests']} Flink requests, "
                    f"{report.jobs_loaded} full jobs read"
                )
                freeze0 = time.perf_counter()
                freezer(report)
                samples[-1]["after_tick_heap_freeze_s"] = time.perf_counter() - freeze0
                time.sleep(pause)
            gc.collect()
            rss_after = rss_bytes(os.getpid())
            if profile is not None:
                from profiling import py_spy

                with py_spy(os.getpid(), profile):
                    for _ in range(3):
                        reconciler.run_iteration()
            # tracemalloc slows a tick ~3x: only when a tick is short enough to afford it.
            traced_peak: int | None = None
            if samples[-1]["wall_s"] < 10:
                tracemalloc.start()
                reconciler.run_iteration()
                _, traced_peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
        finally:
            reconciler.close()
            engine.close()
            store.close()
            shutil.rmtree(work, ignore_errors=True)
    steady = list(samples[1:])
    quiet = [s for s in steady if s["flink_requests"] <= CLUSTERS * 2]
    return {
        "deployments": n,
        "clusters": CLUSTERS,
        "seed_seconds": seed_s,
        "ticks": samples,
        "cold_tick_s": samples[0]["wall_s"],
        "cold_tick_cpu_s": samples[0]["cpu_s"],
        "cold_tick_flink_requests": samples[0]["flink_requests"],
        "steady_wall_s": summarize([s["wall_s"] for s in steady]),
        "steady_cpu_s": summarize([s["cpu_s"] for s in steady]),
        "overview_only_wall_s": summarize([s["wall_s"] for s in quiet]),
        "rss_growth_bytes": rss_after - rss_before,
        "rss_bytes_per_deployment": (rss_after - rss_before) / n,
        "tick_traced_peak_bytes": traced_peak,
        "tick_traced_peak_per_deployment": None if traced_peak is None else traced_peak / n,
        "rss_after_bytes": rss_after,
        "details_interval_s": details_interval,
        "patches": patches,
    }


def run_size(
    n: int,
    store: str,
    ticks: int,
    pause: float,
    patches: list[str],
    profile: Path | None,
    details_interval: float = 10.0,
) -> dict[str, Any]:
    """One size in a fresh child process (and a fresh database)."""
    with contextlib.ExitStack() as stack:
        if store == "postgres":
            url = stack.enter_context(postgres_database())
            if url is None:
                return {"deployments": n, "skipped": "PostgreSQL unreachable"}
        else:
            work = stack.enter_context(tempfile.TemporaryDirectory(prefix="ms-bench-db-"))
            url = f"sqlite:///{work}/millstream.db"
        out = Path(tempfile.mkstemp(prefix="ms-bench-recon-", suffix=".json")[1])
        command = [
            PYTHON,
            __file__,
            "--child",
            str(n),
            "--store-url",
            url,
            "--ticks",
            str(ticks),
            "--pause",
            str(pause),
            "--out",
            str(out),
            "--patch",
            ",".join(patches),
        ]
        if profile is not None:
            command += ["--profile", str(profile)]
        command += ["--details-interval", str(details_interval)]
        try:
            subprocess.run(command, check=True, timeout=3600)
            result: dict[str, Any] = json.loads(out.read_text())
        finally:
            out.unlink(missing_ok=True)
    result["store"] = store
    return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer ticks")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--store", default="sqlite", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--ticks", type=int, default=None, help="ticks per size")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between ticks")
    parser.add_argument(
        "--patch", default="", help="comma-separated proposed fixes from patches.py"
    )
    parser.add_argument("--compare", default="", help="also run with these patches, side by side")
    parser.add_argument(
        "--profile", type=Path, help="py-spy 3 steady ticks of the largest size into this file"
    )
    parser.add_argument(
        "--details-interval",
        type=float,
        default=10.0,
        help="reconciler.details_interval (the setting's default is 10 s)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store-url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--name", default="reconciler_scale", help="results file name")
    args = parser.parse_args()
    patches = [p for p in args.patch.split(",") if p]
    ticks = args.ticks or (6 if args.quick else 14)
    if args.child:
        result = child(
            args.child,
            args.store_url,
            ticks,
            args.pause,
            patches,
            args.profile,
            args.details_interval,
        )
        Path(args.out).write_text(json.dumps(result))
        return

    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    variants = [patches]
    if args.compare:
        variants.append([p for p in args.compare.split(",") if p])
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for variant in variants:
        for store in stores:
            for n in sizes:
                label = "+".join(variant) or "as is"
                console.print(f"[bold]reconciler: {n} deployments, {store}, {label}[/bold]")
                profile = args.profile if n == max(sizes) else None
                result = run_size(
                    n, store, ticks, args.pause, variant, profile, args.details_interval
                )
                result["variant"] = label
                results.append(result)

    rows = []
    for r in results:
        if "skipped" in r:
            continue
        steady, quiet, cpu = r["steady_wall_s"], r["overview_only_wall_s"], r["steady_cpu_s"]
        rows.append(
            [
                f"{r['deployments']:,} ({r['store']}, {r['variant']})",
                r["cold_tick_s"] * 1000,
                r["cold_tick_flink_requests"],
                _ms(quiet["median"]),
                _ms(steady["median"]),
                _ms(steady["p90"]),
                _ms(steady["max"]),
                _ms(cpu["median"]),
                r["rss_bytes_per_deployment"] / 1024,
                None
                if r["tick_traced_peak_per_deployment"] is None
                else r["tick_traced_peak_per_deployment"] / 1024,
            ]
        )
    print_table(
        "Reconciler tick (ms) and memory per deployment (KiB); targets at 10,000: steady "
        "tick <= 200 ms, first tick <= 2 s, <= 10 KiB/deployment",
        [
            "deployments",
            "first tick",
            "first tick Flink requests",
            "overview-only med",
            "steady med",
            "steady p90",
            "steady max",
            "CPU med",
            "RSS KiB/dep",
            "tick peak KiB/dep",
        ],
        rows,
    )
    write_results(
        args.name,
        {
            "mode": "quick" if args.quick else "full",
            "ticks_per_size": ticks,
            "pause_between_ticks_s": args.pause,
            "targets": {"tick_s_at_10000": TARGET_TICK_S, "bytes_per_deployment": 10240},
            "flink": "fake Flink REST server (benchmarks/fake_flink.py), 10 clusters as "
            "path prefixes of one process",
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
