"""A runtime's first start and a second cluster's memory: Flink 1.20 beside the bundled 2.3.

What a deployment on another runtime than the default cluster's costs the first time
(``reconciler/runtimes.py``: its cluster starts on demand), the download excluded (the
runtime is installed first, into ``<data-dir>/runtimes``, and not timed):

* ``cluster start``: ``LocalCluster.start()`` of that runtime (1 JobManager + 1 TaskManager,
  4 slots, as the on-demand cluster runs) until the TaskManager registered;
* ``SQL runner``: compiling the SQL runner against that runtime's ``lib/`` (first use only);
* ``first job``: the demo SQL job (datagen -> blackhole) submitted to the fresh cluster until
  Flink reports it RUNNING (jar upload included);
* ``RSS idle`` / ``RSS 1 job``: resident memory of the cluster's processes (JobManager,
  TaskManager), i.e. what a second cluster beside the default one costs.

The bundled 2.3 runtime is measured the same way for comparison. One run per runtime by
default (each start is a fresh data directory: nothing cached but the downloaded runtime).

    python benchmarks/runtime_start.py [--runs 1] [--data-dir .millstream/bench-runtimes]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from common import (
    ROOT,
    console,
    free_port,
    print_table,
    process_tree_rss,
    summarize,
    wait_until,
    write_results,
)

from millstream.config import FlinkSettings
from millstream.control.bootstrap import DEMO_SQL
from millstream.control.ports import Submission
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.engine.flink_cluster import RestFlinkCluster
from millstream.engine.local_cluster import LocalCluster
from millstream.engine.rest import FlinkRestClient
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.runtimes import RuntimeCatalog, bundled_flink_home
from millstream.engine.sql_runner import SqlRunnerJar
from millstream.engine.submitters import SqlSubmitter

MiB = 1024 * 1024


def _rss(cluster: LocalCluster) -> int:
    pids = [pid for pid in [cluster.jobmanager_pid(), *cluster.taskmanager_pids()] if pid]
    return sum(rss for pid in pids for _, rss in process_tree_rss(pid).values())


def measure(runtime: FlinkRuntime, work: Path) -> dict[str, Any]:
    """One first start of ``runtime``'s cluster, its SQL runner and its first job."""
    settings = FlinkSettings(rest_port=free_port(), taskmanagers=1, taskmanager_slots=4, os_user="")
    cluster = LocalCluster(data_dir=work / "cluster", flink=settings, runtime=runtime)
    started = time.monotonic()
    cluster.start()
    start_s = time.monotonic() - started
    try:
        compiled = time.monotonic()
        runner = SqlRunnerJar(runtime=runtime, cache_dir=work / "jars")
        runner.path()
        runner_s = time.monotonic() - compiled
        time.sleep(2.0)  # let the fresh JVMs settle before reading their memory
        idle_rss = _rss(cluster)
        rest = FlinkRestClient(cluster.rest_url, timeout=60.0)
        flink = RestFlinkCluster(rest, sql=SqlSubmitter(runner))
        job_id = uuid.uuid4().hex
        submitted = time.monotonic()
        flink.submit(
            Submission(
                flink_job_id=job_id,
                job_name="bench-runtime",
                artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL),
                execution_mode=ExecutionMode.STREAMING,
                parallelism=1,
                flink_conf={},
            )
        )
        wait_until(
            lambda: (
                httpx.get(f"{cluster.rest_url}/jobs/{job_id}", timeout=5).json()["state"]
                == "RUNNING"
            ),
            timeout=120,
            interval=0.05,
            what="job RUNNING",
        )
        job_s = time.monotonic() - submitted
        time.sleep(2.0)
        busy_rss = _rss(cluster)
        version = str(httpx.get(f"{cluster.rest_url}/config", timeout=5).json()["flink-version"])
        flink.close()
    finally:
        cluster.stop()
    return {
        "flink_version": version,
        "cluster_start_s": start_s,
        "sql_runner_compile_s": runner_s,
        "first_job_running_s": job_s,
        "rss_idle_bytes": idle_rss,
        "rss_one_job_bytes": busy_rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--version", default="1.20", help="the runtime to install and measure")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".millstream" / "test-runtimes")
    options = parser.parse_args()

    catalog = RuntimeCatalog(options.data_dir, bundled_home=bundled_flink_home())
    console.print(f"installing Flink {options.version} if missing (not timed)…")
    installed = catalog.install(options.version).runtime
    runtimes = {
        installed.version: FlinkRuntime.detect(installed.home),
        "bundled": FlinkRuntime.detect(),
    }
    results: dict[str, list[dict[str, Any]]] = {}
    for _ in range(options.runs):
        for name, runtime in runtimes.items():
            with tempfile.TemporaryDirectory(prefix="ms-bench-runtime-") as work:
                console.print(f"first start of Flink {runtime.version}…")
                results.setdefault(name, []).append(measure(runtime, Path(work)))

    rows = []
    summary: dict[str, Any] = {}
    for name, samples in results.items():
        keys = [k for k in samples[0] if k != "flink_version"]
        stats = {key: summarize([float(s[key]) for s in samples]) for key in keys}
        summary[samples[0]["flink_version"]] = {"bundled": name == "bundled", **stats}
        median = {key: float(stats[key]["median"] or 0) for key in keys}
        rows.append(
            [
                f"Flink {samples[0]['flink_version']}"
                + (" (bundled)" if name == "bundled" else ""),
                f"{median['cluster_start_s']:.1f} s",
                f"{median['sql_runner_compile_s']:.1f} s",
                f"{median['first_job_running_s']:.1f} s",
                f"{median['rss_idle_bytes'] / MiB:.0f} MiB",
                f"{median['rss_one_job_bytes'] / MiB:.0f} MiB",
            ]
        )
    print_table(
        f"First start of a runtime's cluster (download excluded), median of {options.runs}",
        ["runtime", "cluster start", "SQL runner", "first job RUNNING", "RSS idle", "RSS 1 job"],
        rows,
    )
    write_results(
        "runtime_start",
        {"runs": options.runs, "results": summary, "samples": results},
    )


if __name__ == "__main__":
    main()
