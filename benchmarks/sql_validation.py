"""SQL validation latency against a real local Flink, through the engine's
``RestFlinkCluster.validate_sql`` (``POST /jars/{runner}/plan``: Flink plans the script in
the JobManager, nothing runs).

* cold: the first call of a fresh cluster adapter (new ``FlinkEngine``: HTTP connection,
  jar lookup by name; the very first one of the cluster also uploads the runner jar and
  has the JobManager load the planner), repeated with a new engine each time;
* warm: the same adapter, called again (median of 20);
* invalid: a script with an unknown column, warm (the error path: Flink's message parsed
  back to line/column);
* baseline: the same ``/jars/{id}/plan`` request sent straight with httpx (the floor).

Warm and baseline calls alternate, so both see the same machine. Target: <= 300 ms warm.

    python benchmarks/sql_validation.py [--quick] [--warm 20] [--cold 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from common import console, flink_cluster, print_table, summarize, write_results

TARGET_WARM_S = 0.300
BAD_SQL = """CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen');
CREATE TEMPORARY TABLE snk (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT no_such_column FROM src;
"""


def _engine(work: Path) -> Any:
    from millstream.engine import FlinkEngine, FlinkRuntime

    return FlinkEngine(data_dir=work, runtime=FlinkRuntime.detect(), request_timeout=60.0)


def _cluster(rest_url: str) -> Any:
    import uuid

    from millstream.domain.clusters import Cluster, ClusterKind

    return Cluster(
        id=str(uuid.uuid4()),
        workspace="default",
        namespace=None,
        name="bench",
        kind=ClusterKind.EXTERNAL,
        rest_url=rest_url,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 warm, 2 cold")
    parser.add_argument("--warm", type=int, default=None)
    parser.add_argument("--cold", type=int, default=None)
    args = parser.parse_args()
    warm_n = args.warm or (5 if args.quick else 20)
    cold_n = args.cold or (2 if args.quick else 5)

    from millstream.control.bootstrap import DEMO_SQL
    from millstream.domain.artifacts import ExecutionMode
    from millstream.domain.errors import InvalidSql
    from millstream.engine.runtime import FlinkRuntime
    from millstream.engine.sql_runner import SqlRunnerJar
    from millstream.engine.submitters import SqlSubmitter

    mode = ExecutionMode.STREAMING
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ms-bench-sql-") as tmp, flink_cluster() as flink:
        work = Path(tmp)
        cluster = _cluster(flink.rest_url)

        def validate(adapter: Any, script: str = DEMO_SQL) -> float:
            started = time.perf_counter()
            adapter.validate_sql(script, execution_mode=mode, flink_conf={})
            return time.perf_counter() - started

        # First call ever: compiles the runner jar (javac; fresh cache dir), uploads it,
        # the JobManager loads the planner.
        engine = _engine(work)
        first_ever = validate(engine.cluster(cluster))
        engine.close()
        console.print(f"first call on a fresh cluster: {first_ever:.3f} s")

        cold = []
        for _ in range(cold_n):
            engine = _engine(work)
            cold.append(validate(engine.cluster(cluster)))
            engine.close()

        engine = _engine(work)
        adapter = engine.cluster(cluster)
        validate(adapter)  # this adapter's own first call is a cold one: not counted
        # Baseline: the identical plan request, straight to Flink.
        runner = SqlSubmitter(SqlRunnerJar(runtime=FlinkRuntime.detect(), cache_dir=work / "jars"))
        run = runner.plan(DEMO_SQL, mode)
        http = httpx.Client(base_url=flink.rest_url, timeout=60.0)
        jar_id = next(
            j["id"] for j in http.get("/jars").json()["files"] if j["name"] == run.jar.name
        )
        body = {
            "entryClass": run.entry_class,
            "programArgsList": list(run.program_args),
            "flinkConfiguration": {"execution.runtime-mode": mode.value},
        }
        warm, direct, invalid = [], [], []
        for _ in range(warm_n):
            warm.append(validate(adapter))
            started = time.perf_counter()
            http.post(f"/jars/{jar_id}/plan", json=body).raise_for_status()
            direct.append(time.perf_counter() - started)
            started = time.perf_counter()
            try:
                adapter.validate_sql(BAD_SQL, execution_mode=mode, flink_conf={})
            except InvalidSql as exc:
                invalid.append(time.perf_counter() - started)
                results["invalid_message"] = f"line {exc.line}, column {exc.column}: {exc}"
        http.close()
        engine.close()

    stats: dict[str, Any] = {
        "first_call_on_fresh_cluster_s": first_ever,
        "cold_fresh_adapter_s": summarize(cold),
        "warm_s": summarize(warm),
        "warm_invalid_sql_s": summarize(invalid),
        "direct_flink_plan_s": summarize(direct),
    }
    rows = [
        ["first call: javac runner + upload + plan", "1", first_ever, None, None],
        ["cold (fresh adapter)", str(len(cold)), *_mp(stats["cold_fresh_adapter_s"])],
        ["warm, valid demo SQL", str(len(warm)), *_mp(stats["warm_s"])],
        ["warm, invalid SQL (error path)", str(len(invalid)), *_mp(stats["warm_invalid_sql_s"])],
        [
            "baseline: POST /jars/{id}/plan direct",
            str(len(direct)),
            *_mp(stats["direct_flink_plan_s"]),
        ],
    ]
    for row in rows[1:]:
        row.append(_overhead(row[2], stats["direct_flink_plan_s"]["median"]))
    rows[0].append(None)
    print_table(
        "SQL validation latency (s); target warm <= 0.300 s",
        ["call", "n", "median", "p90", "max", "vs direct med %"],
        rows,
    )
    if "invalid_message" in results:
        console.print(f"invalid SQL answer: {results['invalid_message'][:160]}")
    write_results(
        "sql_validation",
        {
            "mode": "quick" if args.quick else "full",
            "target_warm_s": TARGET_WARM_S,
            "flink": "real LocalCluster (Flink 2.3.0 wheel), runner jar /jars/{id}/plan",
            **stats,
            **results,
        },
    )


def _mp(stats: dict[str, Any]) -> list[Any]:
    return [stats["median"], stats["p90"], stats["max"]]


def _overhead(value: Any, base: Any) -> float | None:
    if not isinstance(value, float) or not base:
        return None
    return (value / float(base) - 1) * 100


if __name__ == "__main__":
    main()
