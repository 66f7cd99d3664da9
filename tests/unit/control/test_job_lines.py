"""A session cluster's log cut to one job's records (``JobLines``), on lines of a real
Flink 2.3 run (``flink_logs/``: excerpts of ``flink-*-standalonesession-*.log`` and
``flink-*-taskexecutor-*.log`` of a test server's embedded cluster, where three jobs of
the same SQL ran one after another, so their vertex ids and task names are equal)."""

from __future__ import annotations

from pathlib import Path

from millstream.control.services.job_lines import JobLines
from millstream.control.services.logs import LogWindow
from millstream.engine.logs import select_lines

HERE = Path(__file__).parent / "flink_logs"
JOB_A = "8b0617306b01567ba9aab2413e7f8a87"  # ran first, cancelled
JOB_B = "6d74aa078ffe5839b24f297095f4dc36"  # execution graph 6a243e3d...
GRAPH_B = "6a243e3d0c56fdfc04405aa02eda31a2"
JOB_C = "7a64d9116ee451ee9762818f00e9f195"  # execution graph 0ebb75a4..., restored from B
GRAPH_C = "0ebb75a43d8f7a89a7f672ba789cfb51"


def _lines(name: str) -> list[str]:
    return (HERE / name).read_text().splitlines(keepends=True)


def test_taskmanager_lines_of_the_job_include_its_tasks_but_not_other_jobs_tasks() -> None:
    lines = JobLines([JOB_B, "millstream-job-b"])
    kept = "".join(lines.filter(_lines("flink-taskexecutor.log")))
    # B's tasks, found by the graph id learned through B's slot
    assert f"Source: numbers (1/1)#0 ({GRAPH_B}_" in kept
    assert f"count-per-key -> discard: Writer (1/1)#0 ({GRAPH_B}_" in kept
    assert "Activate slot 1f0702152bedcf69839454e13adf5c7f" in kept
    # C's tasks have the same names and vertex ids, but not B's graph
    assert GRAPH_C not in kept
    assert JOB_C not in kept
    assert lines.dropped


def test_jobmanager_lines_of_the_job_include_task_state_changes() -> None:
    lines = JobLines([JOB_B])
    kept = "".join(lines.filter(_lines("flink-standalonesession.log")))
    assert f"Job state-57ccd7 ({JOB_B}) switched from state RUNNING to FINISHED" in kept
    # these lines name only the attempt id, not the job id
    assert (
        f"Source: numbers (1/1) ({GRAPH_B}_ca88eee0095684d687a1b6495617f957_0_0) switched" in kept
    )
    for other in (JOB_A, JOB_C, "1e55b6d60a2b525f610891e540b980b7", GRAPH_C):
        assert other not in kept


def test_a_multi_line_record_is_kept_or_dropped_whole() -> None:
    lines = JobLines([JOB_A])
    kept = "".join(lines.filter(_lines("flink-standalonesession.log")))
    assert f"Missing resources:\n\t Job {JOB_A}\n" in kept
    assert JOB_B not in kept


def test_a_job_with_no_lines_keeps_nothing() -> None:
    lines = JobLines(["ffffffffffffffffffffffffffffffff"])
    assert list(lines.filter(_lines("flink-taskexecutor.log"))) == []
    assert lines.dropped


def test_the_byte_limit_applies_to_the_jobs_lines_not_the_whole_log() -> None:
    window = LogWindow(max_bytes=2_000, keep=JobLines([JOB_B]).filter)
    text, truncated = select_lines(_lines("flink-taskexecutor.log"), window)
    assert truncated
    assert f"Remove job {JOB_B} from job leader monitoring." in text  # B's newest lines
    assert GRAPH_C not in text
