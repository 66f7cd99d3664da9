"""Start latency on a real Flink: the demo SQL job (datagen -> blackhole) from "start" to
all of its vertices RUNNING, three ways, interleaved run by run on one cluster:

* ``millstream``: ``POST .../jobs:start`` (StartJobWithParams, through ``millstream.client``)
  against a Millstream server process whose default cluster is that Flink; the reconciler
  submits the SQL runner jar. Measured from sending the request and from its return.
* ``flink-rest``: the same job sent straight to Flink's REST API: the SQL runner jar the
  engine builds, uploaded once, then ``POST /jars/{id}/run`` with the same program
  arguments and Flink configuration as Millstream's job.
* ``pyflink-cold``: what a user would otherwise run: ``python job.py`` (a PyFlink
  ``TableEnvironment`` with ``execution.target: remote``), a new process each time.

"All vertices RUNNING" is read from Flink's ``GET /jobs/{id}`` (polled every 20 ms). Each
run's job is cancelled before the next run. A JAR case (the example JAR job) plugs in as
one more ``Case`` with ``--jar PATH --entry-class CLASS``.

    python benchmarks/start_latency.py [--quick] [--runs 10] [--cold-runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from common import (
    PYTHON,
    FlinkProbe,
    ServerProcess,
    client_config,
    console,
    flink_cluster,
    pct,
    print_table,
    summarize,
    wait_until,
    write_results,
)

RUN_TIMEOUT = 120.0


@dataclass
class Sample:
    to_running_s: float  # from sending the start request (or spawning the script)
    after_return_s: float | None = None  # from the start call's return (Millstream)
    accepted_s: float | None = None  # the start call itself
    api_running_s: float | None = None  # until the native API also says RUNNING


@dataclass
class Case:
    """One way of starting the job; ``run`` starts it, waits for RUNNING, cleans up."""

    name: str
    runs: int
    run: Callable[[], Sample]
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _sql_statements() -> list[str]:
    from millstream.control.bootstrap import DEMO_SQL
    from millstream.engine.sql_scripts import split_statements

    return [s.text for s in split_statements(DEMO_SQL)]


# --------------------------------------------------------------------------- millstream


def millstream_case(server: ServerProcess, probe: FlinkProbe, runs: int) -> tuple[Case, Any]:
    from millstream.client import Artifact, Deployment, MillstreamClient, SqlArtifact
    from millstream.control.bootstrap import DEMO_SQL
    from millstream.domain.jobs import flink_job_id

    client = MillstreamClient(client_config(server))
    deployment = client.create_deployment(
        Deployment(
            name=f"bench-start-{uuid.uuid4().hex[:6]}",
            artifact=Artifact(kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script=DEMO_SQL)),
        )
    )
    deployment_id = deployment.deployment_id or ""
    last_conf: dict[str, Any] = {}

    def run() -> Sample:
        sent = time.monotonic()
        job = client.start_job(deployment_id)
        returned = time.monotonic()
        job_id = job.job_id or ""
        last_conf.update(job.flink_conf or {})
        jid = flink_job_id(job_id, 1)
        try:
            running = wait_until(
                lambda: probe.all_vertices_running(jid),
                timeout=RUN_TIMEOUT,
                what="Millstream's job to run",
            )
            api = wait_until(
                lambda: client.get_job(job_id).state == "RUNNING",
                timeout=RUN_TIMEOUT,
                what="the API to show RUNNING",
            )
        finally:
            with contextlib.suppress(Exception):
                client.stop_job(job_id, "NONE")
                wait_until(
                    lambda: client.get_job(job_id).state in ("CANCELLED", "FAILED", "FINISHED"),
                    timeout=RUN_TIMEOUT,
                    interval=0.2,
                    what="the job to be cancelled",
                )
                probe.wait_terminal(jid)
        return Sample(
            to_running_s=running - sent,
            after_return_s=running - returned,
            accepted_s=returned - sent,
            api_running_s=api - sent,
        )

    return Case("millstream (StartJobWithParams)", runs, run), (client, last_conf)


# --------------------------------------------------------------------------- flink REST


def direct_case(
    flink_url: str, probe: FlinkProbe, runs: int, flink_conf: dict[str, Any], work: Path
) -> Case:
    """The same job through Flink's REST API, as Millstream's engine would send it."""
    from millstream.control.bootstrap import DEMO_SQL
    from millstream.control.ports import Submission
    from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
    from millstream.engine.runtime import FlinkRuntime
    from millstream.engine.sql_runner import SqlRunnerJar
    from millstream.engine.submitters import SqlSubmitter

    submitter = SqlSubmitter(SqlRunnerJar(runtime=FlinkRuntime.detect(), cache_dir=work / "jars"))
    prepared = submitter.prepare(
        Submission(
            flink_job_id="",
            job_name="bench-direct",
            artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL),
            execution_mode=ExecutionMode.STREAMING,
            parallelism=1,
            flink_conf={},
        )
    )
    http = httpx.Client(base_url=flink_url, timeout=60.0)
    with prepared.jar.open("rb") as content:
        files = {"jarfile": (prepared.jar.name, content, "application/x-java-archive")}
        uploaded = http.post("/jars/upload", files=files)
    uploaded.raise_for_status()
    jar_id = Path(uploaded.json()["filename"]).name
    conf = {k: _conf_text(v) for k, v in flink_conf.items()}
    conf |= {"execution.runtime-mode": "STREAMING", "parallelism.default": "1"}

    def run() -> Sample:
        jid = uuid.uuid4().hex
        body = {
            "entryClass": prepared.entry_class,
            "programArgsList": list(prepared.program_args),
            "parallelism": 1,
            "jobId": jid,
            "flinkConfiguration": conf | {"pipeline.name": f"bench-direct-{jid[:6]}"},
        }
        sent = time.monotonic()
        response = http.post(f"/jars/{jar_id}/run", json=body)
        returned = time.monotonic()
        response.raise_for_status()
        try:
            running = wait_until(
                lambda: probe.all_vertices_running(jid), timeout=RUN_TIMEOUT, what="direct job"
            )
        finally:
            probe.cancel(jid)
            probe.wait_terminal(jid)
        return Sample(
            to_running_s=running - sent,
            after_return_s=running - returned,
            accepted_s=returned - sent,
        )

    return Case("flink REST (jars/{id}/run)", runs, run)


def _conf_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------- cold PyFlink

_PYFLINK_JOB = textwrap.dedent(
    '''
    """What a user would run by hand: the demo SQL through PyFlink, remote target."""
    import json
    import sys

    from pyflink.table import EnvironmentSettings, TableEnvironment

    port, name, conf, statements = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = env.get_config()
    for key, value in json.loads(conf).items():
        config.set(key, value)
    config.set("execution.target", "remote")
    config.set("rest.address", "127.0.0.1")
    config.set("rest.port", port)
    config.set("parallelism.default", "1")
    config.set("pipeline.name", name)
    for statement in json.loads(statements):
        env.execute_sql(statement)  # the INSERT submits and returns (detached)
    '''
)


def cold_case(
    rest_port: int, probe: FlinkProbe, runs: int, flink_conf: dict[str, Any], work: Path
) -> Case:
    import json

    script = work / "job.py"
    script.write_text(_PYFLINK_JOB)
    conf = {k: _conf_text(v) for k, v in flink_conf.items() if k != "pipeline.name"}
    statements = json.dumps(_sql_statements())

    def run() -> Sample:
        name = f"bench-cold-{uuid.uuid4().hex[:8]}"
        sent = time.monotonic()
        process = subprocess.Popen(
            [PYTHON, str(script), str(rest_port), name, json.dumps(conf), statements],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        jid: str | None = None
        try:

            def running() -> bool:
                nonlocal jid
                jid = jid or probe.job_named(name)
                if process.poll() not in (None, 0):
                    raise RuntimeError(f"job.py failed: {process.stderr.read()[-2000:]!r}")  # type: ignore[union-attr]
                return jid is not None and probe.all_vertices_running(jid)

            done = wait_until(running, timeout=RUN_TIMEOUT, what="the PyFlink job")
        finally:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=RUN_TIMEOUT)
            if process.poll() is None:
                process.kill()
                process.wait()
            if jid is not None:
                probe.cancel(jid)
                probe.wait_terminal(jid)
        return Sample(to_running_s=done - sent)

    return Case("pyflink script, cold (python job.py)", runs, run)


# --------------------------------------------------------------------------- main


def _jar_case(args: argparse.Namespace) -> Case | None:
    """The example JAR job, when one is given (built by another part of the project)."""
    if not args.jar:
        return None
    raise SystemExit("--jar: the example JAR case is not wired yet (no example jar exists)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 runs each, 2 cold runs")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--cold-runs", type=int, default=None)
    parser.add_argument("--jar", type=Path, help="example JAR job (adds a JAR case)")
    parser.add_argument("--entry-class", help="main class of --jar")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 10)
    cold_runs = args.cold_runs or (2 if args.quick else 5)

    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ms-bench-start-")))
        cluster = stack.enter_context(flink_cluster(slots=4))
        probe = FlinkProbe(cluster.rest_url)
        stack.callback(probe.close)
        server = stack.enter_context(ServerProcess(flink_url=cluster.rest_url))
        ms_case, (client, conf) = millstream_case(server, probe, runs)
        stack.callback(client.close)
        # Warm-up (not measured): the first submission uploads the runner jar, the first
        # JobManager run of it loads classes; every case gets one warm-up run.
        console.print("warm-up: one Millstream run (uploads the runner jar)")
        ms_case.run()
        rest_port = int(cluster.rest_url.rsplit(":", 1)[1])
        cases = [
            ms_case,
            direct_case(cluster.rest_url, probe, runs, conf, work),
            cold_case(rest_port, probe, cold_runs, conf, work),
        ]
        if (jar := _jar_case(args)) is not None:
            cases.append(jar)
        console.print("warm-up: one direct run")
        cases[1].run()
        for index in range(max(c.runs for c in cases)):
            for case in cases:
                if index >= case.runs:
                    continue
                try:
                    sample = case.run()
                except Exception as exc:  # keep measuring the other cases
                    case.errors.append(f"{type(exc).__name__}: {exc}")
                    console.print(f"[red]{case.name} run {index + 1}: {exc}[/red]")
                    continue
                case.samples.append(sample)
                console.print(
                    f"  {case.name} run {index + 1}: {sample.to_running_s:.2f} s to RUNNING"
                )

    report(cases, runs, cold_runs, quick=args.quick)


def report(cases: list[Case], runs: int, cold_runs: int, *, quick: bool) -> None:
    stats = {c.name: summarize([s.to_running_s for s in c.samples]) for c in cases}
    base = stats[cases[1].name]["median"]
    base_p90 = stats[cases[1].name]["p90"]
    rows = []
    results = []
    for case in cases:
        total = stats[case.name]
        after = summarize([s.after_return_s for s in case.samples if s.after_return_s is not None])
        accepted = summarize([s.accepted_s for s in case.samples if s.accepted_s is not None])
        api = summarize([s.api_running_s for s in case.samples if s.api_running_s is not None])
        rows.append(
            [
                case.name,
                f"{total['n']}",
                total["median"],
                total["p90"],
                after["median"],
                accepted["median"],
                api["median"],
                pct(total["median"], base),
                pct(total["p90"], base_p90),
            ]
        )
        results.append(
            {
                "case": case.name,
                "request_to_all_vertices_running_s": total,
                "start_returned_to_all_vertices_running_s": after,
                "start_call_s": accepted,
                "request_to_api_shows_running_s": api,
                "median_overhead_vs_flink_rest_pct": pct(total["median"], base),
                "samples": [vars(s) for s in case.samples],
                "errors": case.errors,
            }
        )
    print_table(
        "Start latency, demo SQL job -> all vertices RUNNING (s); overhead vs flink REST",
        [
            "path",
            "n",
            "median",
            "p90",
            "after return med",
            "call med",
            "API RUNNING med",
            "overhead med %",
            "overhead p90 %",
        ],
        rows,
    )
    cold = stats[cases[2].name]["median"]
    millstream = stats[cases[0].name]["median"]
    speedup = cold / millstream if cold and millstream else None
    console.print(f"cold path / millstream (median): {speedup and round(speedup, 2)}x")
    write_results(
        "start_latency",
        {
            "mode": "quick" if quick else "full",
            "runs": runs,
            "cold_runs": cold_runs,
            "targets": {"overhead_vs_flink_rest_pct": 10, "speedup_vs_cold": 3},
            "job": "demo SQL: datagen (10 rows/s) -> blackhole, parallelism 1, checkpointing "
            "10 s, on a LocalCluster (1 JM 1024m, 1 TM 2048m, 4 slots)",
            "speedup_cold_over_millstream_median": speedup,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
