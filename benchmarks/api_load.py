"""API throughput and latency under an open-loop load (``loadgen.py``) on loopback, for a
Millstream server process on SQLite and on PostgreSQL:

* GetJob (``GET .../jobs/{id}``), ListJobs (``GET .../jobs?deploymentId=..&pageSize=100``,
  a full page of 100 jobs), CreateDeployment (``POST .../deployments``, a new name each);
* at 100, 500 and 1,000 req/s for 30 s each (``--quick``: 5 s each).

Every request is signed (ACS3-HMAC-SHA256, the admin key the server issued) by
``millstream.client``, ahead of the run: signing is not on the load generator's clock.
CreateDeployment validates its SQL through Flink (``/jars/{id}/plan``): here the default
cluster is the **fake Flink** (``fake_flink.py``, answers plans at once), so the figure is
Millstream's own cost; on a real JobManager a plan takes 70-110 ms of its CPU
(``sql_validation.py``), which caps write throughput far below these rates.
Target: reads p99 < 20 ms at 500 req/s.

    python benchmarks/api_load.py [--quick] [--stores sqlite,postgres] [--rates 100,500,1000]
"""

from __future__ import annotations

import argparse
import contextlib
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from common import (
    ServerProcess,
    client_config,
    console,
    postgres_database,
    print_table,
    summarize,
    write_results,
)
from fake_flink import FakeFlink
from loadgen import prepare, run_open_loop

TARGET_READ_P99_S = 0.020
JOBS_PER_DEPLOYMENT = 120
SETTLE_S = 2.0


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _seed_jobs(store_url: str, deployment_id: str) -> list[str]:
    """Terminal jobs of one deployment, written straight through the repositories."""
    import factories
    from millstream.domain.jobs import JobStatus
    from millstream.store import SqlStore

    store = SqlStore(store_url)
    ids = []
    try:
        with store.transaction() as repos:
            deployment = repos.read_deployment(
                workspace=factories.WORKSPACE,
                namespace=factories.NAMESPACE,
                deployment_id=deployment_id,
            )
            assert deployment is not None
            for _ in range(JOBS_PER_DEPLOYMENT):
                job = factories.job(deployment, cluster_name="default", status=JobStatus.FINISHED)
                repos.create_job(job=job)
                ids.append(job.id)
    finally:
        store.close()
    return ids


def _operations(config: Any, deployment_id: str, job_id: str) -> dict[str, Callable[[], Any]]:
    from millstream.client import Artifact, Deployment, SqlArtifact
    from millstream.client import operations as ops
    from millstream.control.bootstrap import DEMO_SQL

    namespace = config.namespace
    return {
        "GetJob": lambda: ops.get_job(namespace, job_id),
        "ListJobs(100)": lambda: ops.list_jobs(
            namespace, deployment_id, page_index=1, page_size=100
        ),
        "CreateDeployment": lambda: ops.create_deployment(
            namespace,
            Deployment(
                name=f"load-{uuid.uuid4().hex[:12]}",
                artifact=Artifact(kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script=DEMO_SQL)),
            ),
        ),
    }


def run_store(
    store: str,
    store_url: str | None,
    rates: list[int],
    duration: float,
    fake: FakeFlink,
    *,
    operations_wanted: list[str] | None = None,
    profile: Path | None = None,
    patches: str = "",
) -> list[dict[str, Any]]:
    from millstream.client import Artifact, Deployment, MillstreamClient, SqlArtifact
    from millstream.client import operations as ops
    from millstream.control.bootstrap import DEMO_SQL

    results = []
    server = ServerProcess(
        store_url=store_url,
        flink_url=fake.url("c0"),
        extra_env={"MILLSTREAM_BENCH_PATCHES": patches} if patches else {},
    )
    with server:
        url = store_url or f"sqlite:///{server.data_dir / 'data' / 'millstream.db'}"
        config = client_config(server)
        with MillstreamClient(config) as client:
            deployment = client.create_deployment(
                Deployment(
                    name="load-read",
                    artifact=Artifact(
                        kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script=DEMO_SQL)
                    ),
                )
            )
        job_ids = _seed_jobs(url, deployment.deployment_id or "")
        operations = _operations(config, deployment.deployment_id or "", job_ids[0])
        http = httpx.Client()
        client_probe = MillstreamClient(config)
        pid = server.process.pid if server.process else 0
        for name, make in operations.items():
            if operations_wanted and name not in operations_wanted:
                continue
            for rate in rates:
                count = int(rate * duration)
                started = time.monotonic()
                payloads = [prepare(ops.build_request(http, config, make())) for _ in range(count)]
                prepare_s = time.monotonic() - started
                with contextlib.ExitStack() as spy:
                    if profile is not None:
                        from profiling import py_spy

                        spy.enter_context(py_spy(pid, profile.with_suffix(f".{name}.{rate}.txt")))
                    cpu0, own0 = _cpu_seconds(pid), time.process_time()
                    wall0 = time.monotonic()
                    outcome = run_open_loop(server.url, payloads, rate=rate)
                    wall = time.monotonic() - wall0
                    server_cpu = (_cpu_seconds(pid) - cpu0) / wall
                    own_cpu = (time.process_time() - own0) / wall
                lat = summarize(outcome.latencies)
                achieved = outcome.completed / outcome.seconds if outcome.seconds else 0.0
                results.append(
                    {
                        "store": store,
                        "operation": name,
                        "target_rate": rate,
                        "duration_s": duration,
                        "scheduled": outcome.scheduled,
                        "completed": outcome.completed,
                        "achieved_rate": achieved,
                        "errors": outcome.errors,
                        "error_kinds": outcome.error_kinds,
                        "latency_s": lat,
                        "connections": outcome.connections,
                        "server_cpu_cores": server_cpu,
                        "loadgen_cpu_cores": own_cpu,
                        "signing_prepare_s": prepare_s,
                        "patches": patches,
                    }
                )
                console.print(
                    f"  {store} {name} @ {rate}/s: {achieved:.0f}/s achieved, "
                    f"p50 {_ms(lat['median'])} p99 {_ms(lat['p99'])} ms, "
                    f"{outcome.errors} errors, server CPU {server_cpu:.2f} cores"
                )
                _drain(client_probe, job_ids[0])
        http.close()
        client_probe.close()
    return results


def _drain(client: Any, job_id: str) -> None:
    """Wait (at most 120 s) until the server answered the previous step's backlog: one
    GetJob answers within 100 ms, so a step never measures the last one's queue."""
    deadline = time.monotonic() + 120
    time.sleep(SETTLE_S)
    while time.monotonic() < deadline:
        started = time.monotonic()
        with contextlib.suppress(Exception):
            client.get_job(job_id)
            if time.monotonic() - started < 0.1:
                return
        time.sleep(0.5)


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 s per rate instead of 30 s")
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--rates", default="100,500,1000")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--operations", default="", help="only these (comma-separated)")
    parser.add_argument("--profile", type=Path, help="py-spy the server into PATH.<op>.<rate>.txt")
    parser.add_argument("--patch", default="", help="proposed fixes (patches.py) in the server")
    parser.add_argument("--name", default="api_load", help="results file name")
    args = parser.parse_args()
    duration = args.duration or (5.0 if args.quick else 30.0)
    rates = [int(r) for r in args.rates.split(",")]

    results: list[dict[str, Any]] = []
    with FakeFlink() as fake:
        for store in args.stores.split(","):
            console.print(f"[bold]API load on {store}[/bold]")
            with contextlib.ExitStack() as stack:
                url: str | None = None
                if store == "postgres":
                    url = stack.enter_context(postgres_database())
                    if url is None:
                        continue
                results += run_store(
                    store,
                    url,
                    rates,
                    duration,
                    fake,
                    operations_wanted=[o for o in args.operations.split(",") if o],
                    profile=args.profile,
                    patches=args.patch,
                )

    rows = [
        [
            f"{r['store']} {r['operation']}",
            str(r["target_rate"]),
            r["achieved_rate"],
            (r["latency_s"]["median"] or 0) * 1000,
            (r["latency_s"]["p99"] or 0) * 1000,
            str(r["errors"]),
            r["server_cpu_cores"],
        ]
        for r in results
    ]
    print_table(
        f"API under open-loop load ({duration:.0f} s per rate, signed requests, loopback); "
        "latency in ms; target reads p99 < 20 ms at 500 req/s",
        [
            "store / operation",
            "target/s",
            "achieved/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "server CPU (cores)",
        ],
        rows,
    )
    write_results(
        args.name,
        {
            "mode": "quick" if args.quick else "full",
            "duration_per_rate_s": duration,
            "target_read_p99_s_at_500": TARGET_READ_P99_S,
            "flink": "fake Flink REST server (plans answered immediately)",
            "load_generator": "benchmarks/loadgen.py: open loop, asyncio, keep-alive, "
            "pre-signed requests, latency from scheduled send time",
            "jobs_per_deployment": JOBS_PER_DEPLOYMENT,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
