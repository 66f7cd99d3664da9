"""API throughput and latency under an open-loop load (``loadgen.py``) on loopback, for a
Millstream server on SQLite and on PostgreSQL (issue 20's targets):

* GetJob, ListJobs (``pageSize=100``, a full page of 100 jobs) and GetDeployment at
  500 req/s: p99 < 20 ms; CreateDeployment (a new name each) at 100 req/s: p99 < 50 ms;
* signed with ACS3-HMAC-SHA256 (``--auth acs3``: a fresh signature and nonce per
  request, made by ``millstream.client`` before the run so signing is not on the load
  generator's clock) or HTTP Basic (``--auth basic``), or both;
* ``--workers 1,2``: each store once per API process count (``millstream up --workers
  N``; with N > 1 one more process runs the reconciler). Server CPU counts every process.

CreateDeployment validates its SQL through Flink (``/jars/{id}/plan``): the default
cluster is the **fake Flink** (``fake_flink.py``, answers plans at once), so the figure is
Millstream's own cost. ``--baseline NAME`` prints this run beside an earlier results file
(``results/NAME.json``), matched on store, auth, workers, operation and rate.

    python benchmarks/api_load.py [--quick] [--stores sqlite,postgres] [--auth acs3,basic]
        [--rates GetJob=100,CreateDeployment=50] [--operations GetJob] [--baseline NAME]
        [--workers 1,2]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from common import (
    RESULTS,
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

JOBS_PER_DEPLOYMENT = 120
SETTLE_S = 2.0
# Each step first runs this long at its rate, unmeasured: the API processes' connection
# pools, PostgreSQL's prepared statements and the load generator's own connections
# are then open, as on a server that has been up a while (a cold first second of
# 500 req/s on PostgreSQL queued for up to 2 s, which is start-up, not steady state).
WARMUP_S = 2.0
# Issue 20: the rate each operation must sustain and the p99 it must keep there.
TARGETS: dict[str, tuple[int, float]] = {
    "GetJob": (500, 0.020),
    "ListJobs(100)": (500, 0.020),
    "GetDeployment": (500, 0.020),
    "CreateDeployment": (100, 0.050),
}


def _tree_cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children (API workers), in seconds."""
    total = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            todo += [int(child) for child in children]
    return total


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
        "GetDeployment": lambda: ops.get_deployment(namespace, deployment_id),
        "CreateDeployment": lambda: ops.create_deployment(
            namespace,
            Deployment(
                name=f"load-{uuid.uuid4().hex[:12]}",
                artifact=Artifact(kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script=DEMO_SQL)),
            ),
        ),
    }


def _request(http: httpx.Client, config: Any, auth: str, operation: Any) -> bytes:
    """The request's bytes: ACS3-signed (own nonce) or with HTTP Basic credentials."""
    import dataclasses

    from millstream.client import operations as ops

    if auth == "acs3":
        return prepare(ops.build_request(http, config, operation))
    unsigned = dataclasses.replace(config, access_key_id=None, access_key_secret=None)
    request = ops.build_request(http, unsigned, operation)
    token = base64.b64encode(f"{config.access_key_id}:{config.access_key_secret}".encode())
    request.headers["authorization"] = "Basic " + token.decode()
    return prepare(request)


def run_server(
    store: str,
    store_url: str | None,
    fake: FakeFlink,
    *,
    workers: int,
    auths: list[str],
    rates: dict[str, list[int]],
    duration: float,
    operations_wanted: list[str],
    profile: Path | None = None,
) -> list[dict[str, Any]]:
    """One server, every operation x auth x rate on it."""
    from millstream.client import Artifact, Deployment, MillstreamClient, SqlArtifact
    from millstream.control.bootstrap import DEMO_SQL

    results = []
    server = ServerProcess(
        store_url=store_url,
        flink_url=fake.url("c0"),
        extra_env={"MILLSTREAM_BENCH_WORKERS": str(workers)},
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
        probe = MillstreamClient(config)
        pid = server.process.pid if server.process else 0
        for auth in auths:
            for name, make in operations.items():
                if operations_wanted and name not in operations_wanted:
                    continue
                for rate in rates.get(name) or rates.get("*") or [TARGETS[name][0]]:
                    warmup, payloads = (
                        [_request(http, config, auth, make()) for _ in range(int(rate * seconds))]
                        for seconds in (WARMUP_S, duration)
                    )
                    label = f"{store} {auth} w{workers} {name} @ {rate}/s"
                    run_open_loop(server.url, warmup, rate=rate)
                    _drain(probe, job_ids[0])
                    results.append(_step(label, server.url, pid, payloads, rate, profile))
                    results[-1] |= {
                        "store": store,
                        "auth": auth,
                        "workers": workers,
                        "operation": name,
                        "target_rate": rate,
                        "duration_s": duration,
                    }
                    _drain(probe, job_ids[0])
        http.close()
        probe.close()
    return results


def _step(
    label: str, url: str, pid: int, payloads: list[bytes], rate: int, profile: Path | None
) -> dict[str, Any]:
    with contextlib.ExitStack() as spy:
        if profile is not None:
            from profiling import py_spy

            out = profile.with_suffix("." + label.replace(" ", "_").replace("/", "") + ".txt")
            spy.enter_context(py_spy(pid, out))
        cpu0, own0, wall0 = _tree_cpu_seconds(pid), time.process_time(), time.monotonic()
        outcome = run_open_loop(url, payloads, rate=rate)
        wall = time.monotonic() - wall0
        server_cpu = (_tree_cpu_seconds(pid) - cpu0) / wall
        own_cpu = (time.process_time() - own0) / wall
    lat = summarize(outcome.latencies)
    if os.environ.get("API_LOAD_TIMELINE"):  # (offset, latency) pairs, for a closer look
        with open(os.environ["API_LOAD_TIMELINE"], "a") as timeline:
            timeline.write(json.dumps({"label": label, "t": outcome.timeline}) + "\n")
    achieved = outcome.completed / outcome.seconds if outcome.seconds else 0.0
    console.print(
        f"  {label}: {achieved:.0f}/s achieved, p50 {_ms(lat['median'])} "
        f"p99 {_ms(lat['p99'])} ms, {outcome.errors} errors {outcome.error_kinds or ''}, "
        f"server CPU {server_cpu:.2f} cores, load {os.getloadavg()[0]:.1f}"
    )
    return {
        "scheduled": outcome.scheduled,
        "completed": outcome.completed,
        "achieved_rate": achieved,
        "errors": outcome.errors,
        "error_kinds": outcome.error_kinds,
        "latency_s": lat,
        "connections": outcome.connections,
        "server_cpu_cores": server_cpu,
        "loadgen_cpu_cores": own_cpu,
        "load_average_1m": os.getloadavg()[0],
    }


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


def _key(r: dict[str, Any]) -> tuple[Any, ...]:
    return (
        r["store"],
        r.get("auth", "acs3"),
        r.get("workers", 1),
        r["operation"],
        r["target_rate"],
    )


def _cpu_ms(r: dict[str, Any]) -> str:
    """Server CPU per answered request: what the server spent, whatever share of the
    shared machine it got (latencies depend on that share, this much less)."""
    if not r["achieved_rate"]:
        return "-"
    return f"{r['server_cpu_cores'] / r['achieved_rate'] * 1000:.1f}"


def _cells(r: dict[str, Any] | None) -> list[str]:
    if r is None:
        return ["", "", "", "", ""]
    lat = r["latency_s"]
    return [
        f"{r['achieved_rate']:.0f}",
        _ms(lat["median"]),
        _ms(lat["p99"]),
        str(r["errors"]),
        _cpu_ms(r),
    ]


def _verdict(r: dict[str, Any]) -> str:
    rate, p99 = TARGETS.get(r["operation"], (0, 0.0))
    measured = r["latency_s"]["p99"]
    if r["target_rate"] < rate or measured is None:
        return ""
    met = measured < p99 and r["errors"] == 0 and r["achieved_rate"] >= 0.95 * r["target_rate"]
    return f"{'met' if met else 'missed'} (< {p99 * 1000:.0f} ms)"


def report(results: list[dict[str, Any]], baseline: str | None, duration: float) -> None:
    before: dict[tuple[Any, ...], dict[str, Any]] = {}
    if baseline:
        document = json.loads((RESULTS / f"{baseline}.json").read_text())
        before = {_key(r): r for r in document["results"]}
    columns = ["store auth workers operation", "rate/s"]
    if baseline:
        columns += ["before: req/s", "p50 ms", "p99 ms", "err", "CPU ms/req"]
    columns += ["req/s", "p50 ms", "p99 ms", "err", "CPU ms/req", "target"]
    rows = []
    for r in results:
        head = [f"{r['store']} {r['auth']} w{r['workers']} {r['operation']}", str(r["target_rate"])]
        old = _cells(before.get(_key(r))) if baseline else []
        rows.append([*head, *old, *_cells(r), _verdict(r)])
    title = f"API under open-loop load ({duration:.0f} s per step, loopback), latency in ms"
    if baseline:
        title += f"; before = results/{baseline}.json"
    print_table(title, columns, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 s per step instead of 30 s")
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument(
        "--rates",
        default="",
        help="rates for every operation, or per operation (GetJob=100,CreateDeployment=50); "
        "default: each one's target",
    )
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--auth", default="acs3,basic", help="acs3, basic or both")
    parser.add_argument("--operations", default="", help="only these (comma-separated)")
    parser.add_argument("--profile", type=Path, help="py-spy the server into PATH.<step>.txt")
    parser.add_argument("--baseline", default="", help="results file to print beside this run")
    parser.add_argument("--name", default="api_load", help="results file name")
    parser.add_argument(
        "--workers",
        default="1",
        help="API process counts to run, e.g. 1,2 (millstream up --workers)",
    )
    parser.add_argument(
        "--report", action="store_true", help="only print --name beside --baseline (no run)"
    )
    args = parser.parse_args()
    if args.report:
        document = json.loads((RESULTS / f"{args.name}.json").read_text())
        report(document["results"], args.baseline or None, document["duration_per_step_s"])
        return
    duration = args.duration or (5.0 if args.quick else 30.0)
    rates: dict[str, list[int]] = {}
    for item in (r for r in args.rates.split(",") if r):
        name, _, rate = item.rpartition("=")
        rates.setdefault(name or "*", []).append(int(rate))

    results: list[dict[str, Any]] = []
    with FakeFlink() as fake:
        for store in args.stores.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                console.print(f"[bold]API load on {store}, {workers} API process(es)[/bold]")
                with contextlib.ExitStack() as stack:
                    url: str | None = None
                    if store == "postgres":
                        url = stack.enter_context(postgres_database())
                        if url is None:
                            continue
                    results += run_server(
                        store,
                        url,
                        fake,
                        workers=workers,
                        auths=args.auth.split(","),
                        rates=rates,
                        duration=duration,
                        operations_wanted=[o for o in args.operations.split(",") if o],
                        profile=args.profile,
                    )
    report(results, args.baseline or None, duration)
    write_results(
        args.name,
        {
            "mode": "quick" if args.quick else "full",
            "duration_per_step_s": duration,
            "targets": {name: {"rate": r, "p99_s": p} for name, (r, p) in TARGETS.items()},
            "flink": "fake Flink REST server (plans answered immediately)",
            "load_generator": "benchmarks/loadgen.py: open loop, asyncio, keep-alive, "
            "pre-signed requests (one nonce each), latency from scheduled send time",
            "jobs_per_deployment": JOBS_PER_DEPLOYMENT,
            "baseline": args.baseline or None,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
