"""Observation lag on a real Flink: from Flink reporting a state change to the native API
(``GET .../jobs/{id}``, signed) returning it. Three changes, interleaved run by run:

* ``cancelled in Flink``: a running demo job cancelled straight through Flink's REST API
  (``PATCH /jobs/{id}?mode=cancel``), behind Millstream's back;
* ``job fails``: a SQL job whose CAST fails on the first row (restart strategy none);
* ``batch finishes``: a BATCH job over 100 generated rows.

For each, Flink's job (``GET /jobs/{id}``) and Millstream's are polled alternately every
~20 ms. Lag is measured two ways: from Flink's own ``end-time`` (when the JobManager
recorded the change) and from the first poll that saw it in Flink. The server runs with
its default reconciler settings (1 s periodic tick). Target: <= 1 s.

    python benchmarks/observation_lag.py [--quick] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common import (
    FlinkProbe,
    ServerProcess,
    client_config,
    console,
    flink_cluster,
    print_table,
    summarize,
    wait_until,
    write_results,
)

TARGET_S = 1.0
TIMEOUT = 120.0
API_TERMINAL = ("CANCELLED", "FAILED", "FINISHED")

_SOURCE = """CREATE TEMPORARY TABLE src (id BIGINT, name VARCHAR) WITH (
  'connector' = 'datagen'{options}
);
CREATE TEMPORARY TABLE snk (id BIGINT, v INT) WITH ('connector' = 'blackhole');
"""
STREAMING_SQL = _SOURCE.format(options=", 'rows-per-second' = '10'") + (
    "INSERT INTO snk SELECT id, CHAR_LENGTH(name) FROM src;\n"
)
FAILING_SQL = _SOURCE.format(options=", 'rows-per-second' = '10'") + (
    "INSERT INTO snk SELECT id, CAST(CONCAT('x', name) AS INT) FROM src;\n"
)
BATCH_SQL = _SOURCE.format(options=", 'number-of-rows' = '100'") + (
    "INSERT INTO snk SELECT id, CHAR_LENGTH(name) FROM src;\n"
)


@dataclass
class Scenario:
    name: str
    expect_flink: str
    expect_api: str
    deployment_id: str = ""
    deployment_name: str = ""
    trigger: Callable[[str], None] | None = None  # called with the Flink JobID once RUNNING
    lag_vs_flink_time: list[float] = field(default_factory=list)
    lag_vs_poll: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 runs per scenario")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--patch", default="", help="proposed fixes (patches.py) in the server")
    parser.add_argument("--name", default="observation_lag", help="results file name")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)

    from millstream.client import Artifact, Deployment, MillstreamClient, SqlArtifact
    from millstream.domain.jobs import flink_job_id

    with contextlib.ExitStack() as stack:
        flink = stack.enter_context(flink_cluster(slots=4))
        probe = FlinkProbe(flink.rest_url)
        stack.callback(probe.close)
        server = stack.enter_context(
            ServerProcess(
                flink_url=flink.rest_url,
                extra_env={"MILLSTREAM_BENCH_PATCHES": args.patch} if args.patch else {},
            )
        )
        client = MillstreamClient(client_config(server))
        stack.callback(client.close)

        def deployment(sql: str, mode: str, conf: dict[str, Any]) -> tuple[str, str]:
            created = client.create_deployment(
                Deployment(
                    name=f"bench-lag-{uuid.uuid4().hex[:6]}",
                    artifact=Artifact(kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script=sql)),
                    execution_mode=mode,
                    flink_conf=conf,
                )
            )
            return created.deployment_id or "", created.name or ""

        no_restart = {"restart-strategy.type": "none"}
        scenarios = [
            Scenario(
                "cancelled in Flink (REST PATCH)",
                "CANCELED",
                "CANCELLED",
                *deployment(STREAMING_SQL, "STREAMING", {}),
                trigger=probe.cancel,
            ),
            Scenario(
                "job fails (CAST error)",
                "FAILED",
                "FAILED",
                *deployment(FAILING_SQL, "STREAMING", no_restart),
            ),
            Scenario(
                "batch job finishes", "FINISHED", "FINISHED", *deployment(BATCH_SQL, "BATCH", {})
            ),
        ]
        for index in range(runs):
            for scenario in scenarios:
                try:
                    flink_lag, poll_lag, status = _run(client, probe, scenario, flink_job_id)
                except Exception as exc:  # record and go on with the other scenarios
                    scenario.errors.append(f"{type(exc).__name__}: {exc}")
                    console.print(f"[red]{scenario.name} run {index + 1}: {exc}[/red]")
                    continue
                scenario.lag_vs_flink_time.append(flink_lag)
                scenario.lag_vs_poll.append(poll_lag)
                console.print(
                    f"  {scenario.name} run {index + 1}: API says {status} {flink_lag:.2f} s after "
                    f"Flink's end-time ({poll_lag:.2f} s after our Flink poll saw it)"
                )
    report(scenarios, runs, quick=args.quick, name=args.name, patches=args.patch)


def _run(
    client: Any, probe: FlinkProbe, scenario: Scenario, flink_job_id: Callable[[str, int], str]
) -> tuple[float, float, str]:
    job = client.start_job(scenario.deployment_id)
    job_id = job.job_id or ""
    jid = flink_job_id(job_id, 1)
    try:
        if scenario.trigger is not None:
            wait_until(
                lambda: client.get_job(job_id).state == "RUNNING",
                timeout=TIMEOUT,
                what="the job to run",
            )
            scenario.trigger(jid)

        # The JobID Millstream derives for attempt 1; a job Flink knows by another id
        # (a resubmission) is found by its pipeline name, the deployment's name.
        def flink_id() -> str:
            if probe.job(jid) is not None:
                return jid
            return probe.newest_job_named(scenario.deployment_name) or jid

        flink_seen: float | None = None
        flink_end_ms: int | None = None
        api_seen: float | None = None
        api_wall = 0.0
        status = ""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and api_seen is None:
            if flink_seen is None:
                details = probe.job(flink_id())
                if details is not None and details.get("state") in FlinkProbe.TERMINAL:
                    flink_seen = time.monotonic()
                    flink_end_ms = int(details.get("end-time") or 0)
                    if details["state"] != scenario.expect_flink:
                        raise RuntimeError(f"Flink ended the job {details['state']}")
            status = client.get_job(job_id).state or ""
            if status in API_TERMINAL:
                api_seen, api_wall = time.monotonic(), time.time()
                break
            time.sleep(0.02)
        if api_seen is None:
            flink_now = (probe.job(flink_id()) or {}).get("state")
            raise TimeoutError(
                f"the API never reported the change (API: {status}, Flink: {flink_now})"
            )
        if flink_seen is None or not flink_end_ms or flink_end_ms < 0:
            # The API was first (Flink's /jobs/{id} did not show the end yet): wait for
            # Flink's own record of it; the lag is then negative or about zero.
            ended: dict[str, Any] = {}

            def flink_ended() -> bool:
                ended.update(probe.job(flink_id()) or {})
                return (
                    ended.get("state") in FlinkProbe.TERMINAL and (ended.get("end-time") or 0) > 0
                )

            seen = wait_until(flink_ended, timeout=30, what="Flink to record the end")
            flink_seen = flink_seen if flink_seen is not None else seen
            flink_end_ms = int(ended["end-time"])
        if status != scenario.expect_api:
            console.print(f"[yellow]{scenario.name}: API says {status}[/yellow]")
        return api_wall - (flink_end_ms or 0) / 1000, api_seen - flink_seen, status
    finally:
        with contextlib.suppress(Exception):
            if client.get_job(job_id).state not in API_TERMINAL:
                client.stop_job(job_id, "NONE")
            wait_until(
                lambda: client.get_job(job_id).state in API_TERMINAL,
                timeout=TIMEOUT,
                interval=0.2,
                what="the job to end",
            )


def report(scenarios: list[Scenario], runs: int, *, quick: bool, name: str, patches: str) -> None:
    rows, results = [], []
    for s in scenarios:
        by_time, by_poll = summarize(s.lag_vs_flink_time), summarize(s.lag_vs_poll)
        rows.append(
            [
                s.name,
                str(by_time["n"]),
                by_time["median"],
                by_time["p90"],
                by_time["max"],
                by_poll["median"],
                by_poll["p90"],
                str(len(s.errors)),
            ]
        )
        results.append(
            {
                "scenario": s.name,
                "flink_state": s.expect_flink,
                "api_state": s.expect_api,
                "lag_after_flink_end_time_s": by_time,
                "lag_after_flink_poll_s": by_poll,
                "samples_vs_end_time": s.lag_vs_flink_time,
                "errors": s.errors,
            }
        )
    print_table(
        "Observation lag: Flink state change -> native API returns it (s); target <= 1 s",
        [
            "change",
            "n",
            "vs Flink end-time med",
            "p90",
            "max",
            "vs Flink poll med",
            "p90",
            "errors",
        ],
        rows,
    )
    write_results(
        name,
        {
            "patches": patches,
            "mode": "quick" if quick else "full",
            "runs": runs,
            "target_s": TARGET_S,
            "reconciler": "server defaults: periodic tick 1 s, wake on write",
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
