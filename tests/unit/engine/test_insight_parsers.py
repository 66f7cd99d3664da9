"""Flink REST answers (captured from a real Flink 2.3 job, ``flink_answers/``) become
job-insight values: graph, vertex metrics, checkpoints, exceptions, configuration and
TaskManagers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from millstream.domain.job_insights import CheckpointKind, CheckpointStatus, ConfigSource
from millstream.engine.insight_parsers import (
    metric_rows,
    operator_metrics,
    parse_checkpoints,
    parse_configuration,
    parse_exceptions,
    parse_graph,
    parse_taskmanagers,
    parse_vertex_metrics,
)

ANSWERS = Path(__file__).parent / "flink_answers"
SOURCE = "cbc357ccb763df2852fee8c4fc7d55f2"
SINK = "f6dc7f4d2283f4605b127b9364e21148"


def _load(name: str) -> Any:
    return json.loads((ANSWERS / name).read_text())


def _loads() -> dict[str, dict[str, dict[str, Any]]]:
    return {
        SOURCE: metric_rows(_load("vertex_source_metrics.json")),
        SINK: metric_rows(_load("vertex_sink_metrics.json")),
    }


def test_graph_has_vertices_chained_operators_and_a_hash_edge() -> None:
    graph = parse_graph(_load("job.json"), _loads())
    by_id = {v.id: v for v in graph.vertices}
    assert set(by_id) == {SOURCE, SINK}
    source = by_id[SOURCE]
    assert source.parallelism == 1
    assert source.status == "RUNNING"
    assert source.operators == ("Source: src[8]", "Calc[9]", "WatermarkAssigner[10]", "Calc[11]")
    assert source.busy_ratio is None  # Flink reports NaN busy time for this source
    assert by_id[SINK].busy_ratio == 0.045
    assert by_id[SINK].backpressure_ratio == 0.0
    assert by_id[SINK].idle_ratio == 0.955
    assert [(e.source, e.target, e.ship_strategy) for e in graph.edges] == [(SOURCE, SINK, "HASH")]


def test_graph_without_metrics_still_has_its_shape() -> None:
    graph = parse_graph(_load("job.json"), {})
    assert len(graph.vertices) == 2
    assert all(v.busy_ratio is None for v in graph.vertices)


def test_vertex_metrics_sum_rates_and_read_the_watermark() -> None:
    vertices = {v.vertex_id: v for v in parse_vertex_metrics(_load("job.json"), _loads())}
    source, sink = vertices[SOURCE], vertices[SINK]
    assert source.is_source
    assert not source.is_sink
    assert sink.is_sink
    assert not sink.is_source
    assert source.records_out_per_second is not None
    assert round(source.records_out_per_second, 2) == 113.33
    assert source.records_in_per_second == 0.0
    assert source.bytes_out_per_second is not None
    assert source.bytes_out_per_second > 2000
    assert source.input_watermark is None  # sources have no input watermark
    assert round(sink.records_in_per_second or 0, 2) == 113.33
    assert sink.busy_ms_per_second == 45.0
    assert sink.idle_ms_per_second == 955.0
    assert sink.backpressured_ms_per_second == 0.0
    assert sink.input_watermark == datetime.fromtimestamp(1796433820.958, tz=UTC)


def test_no_watermark_yet_is_none() -> None:
    rows = {SINK: {"currentInputWatermark": {"min": -9.223372036854776e18}}}
    vertices = {v.vertex_id: v for v in parse_vertex_metrics(_load("job.json"), rows)}
    assert vertices[SINK].input_watermark is None


def test_checkpoints_summary_and_history() -> None:
    summary = parse_checkpoints(_load("checkpoints.json"), _load("checkpoints_config.json"))
    assert (summary.completed, summary.failed, summary.in_progress) == (20, 1, 1)
    assert summary.interval_ms == 1000
    assert summary.duration_ms.min == 18
    assert summary.duration_ms.max == 272
    assert summary.size_bytes.avg == 5756
    last = summary.last_completed
    assert last is not None
    assert last.id == 20
    assert last.status is CheckpointStatus.COMPLETED
    assert last.kind is CheckpointKind.CHECKPOINT
    assert last.duration_ms == 25
    assert last.location is not None
    assert last.location.endswith("chk-20")
    assert summary.history[0].status is CheckpointStatus.IN_PROGRESS
    assert summary.history[0].duration_ms is None  # Flink's -1 while in progress
    assert summary.restored_from is None


def test_checkpoints_name_what_the_run_restored_from() -> None:
    summary = parse_checkpoints(_load("checkpoints_restored.json"))
    restored = summary.restored_from
    assert restored is not None
    assert restored.id == 1
    assert restored.kind is CheckpointKind.CHECKPOINT
    assert restored.location is not None
    assert restored.location.endswith("chk-1")
    assert summary.restored == 3
    assert summary.interval_ms is None  # no config answer


def test_exceptions_carry_root_cause_task_and_location() -> None:
    history = parse_exceptions(_load("exceptions.json"), limit=10)
    assert history.truncated
    assert len(history.entries) == 3
    last = history.entries[0]
    # The job-level "Recovery is suppressed" wraps the task's NumberFormatException.
    assert last.name == "java.lang.NumberFormatException"
    assert last.message.startswith("For input string")
    assert last.concurrent == 1
    assert last.task is not None
    assert last.task.startswith("Source: src[22]")
    assert last.at == datetime.fromtimestamp(1796433869.861, tz=UTC)
    earlier = history.entries[1]
    assert earlier.name == "java.lang.NumberFormatException"
    assert earlier.location == "localhost:36019 (taskmanager-0)"
    assert earlier.at is not None
    assert last.at is not None
    assert earlier.at < last.at


def test_exceptions_limit_and_empty_history() -> None:
    assert len(parse_exceptions(_load("exceptions.json"), limit=1).entries) == 1
    empty = parse_exceptions(_load("exceptions_empty.json"), limit=10)
    assert empty.entries == ()
    assert not empty.truncated


def test_configuration_is_the_clusters_entries_sorted() -> None:
    config = parse_configuration(_load("jobmanager_config.json"), _load("job_config.json"))
    keys = [e.key for e in config.entries]
    assert keys == sorted(keys)
    assert config.get("execution.checkpointing.interval") == "2s"
    assert {e.source for e in config.entries} == {ConfigSource.CLUSTER}


def test_job_user_configuration_wins_over_the_cluster() -> None:
    job = {"execution-config": {"user-config": {"parallelism.default": "3"}}}
    config = parse_configuration(_load("jobmanager_config.json"), job)
    entry = next(e for e in config.entries if e.key == "parallelism.default")
    assert (entry.value, entry.source) == ("3", ConfigSource.JOB)


def test_taskmanagers_with_slots_cpu_and_memory() -> None:
    metrics = {"taskmanager-0": metric_rows(_load("taskmanager_metrics.json"))}
    tms = parse_taskmanagers("default", _load("taskmanagers.json"), metrics)
    assert (tms.slots_total, tms.slots_free) == (4, 3)
    tm = tms.taskmanagers[0]
    assert tm.address == "127.0.0.1:45193"
    assert tm.cpu_cores == 2
    assert tm.cpu_load is not None
    assert 0 < tm.cpu_load < 1
    assert tm.heap_used_bytes == 205515912
    assert tm.heap_max_bytes == 698351616
    assert tm.managed_total_bytes == 665719939
    assert tm.physical_memory_bytes == 25276203008
    assert tm.last_heartbeat is not None
    assert tm.last_heartbeat.year == 2026


def test_odd_answers_give_empty_values_not_errors() -> None:
    answers: list[Any] = [None, [], "x", {"vertices": "x"}, {"plan": {"nodes": [1]}}]
    for answer in answers:
        assert parse_graph(answer, {}).vertices == ()
        assert parse_vertex_metrics(answer, {}) == ()
        assert parse_checkpoints(answer).completed == 0
        assert parse_exceptions(answer, limit=5).entries == ()
        assert parse_configuration(answer, answer).entries == ()
        assert parse_taskmanagers("c", answer, {}).taskmanagers == ()


def test_source_and_sink_operators_count_what_a_chained_vertex_reads_and_writes() -> None:
    listed = [
        "numRecordsInPerSecond",
        "Source__src[8].numRecordsOutPerSecond",
        "Source__src[8].numRecordsInPerSecond",
        "Calc[9].numRecordsOutPerSecond",
        "snk[14]__Writer.numRecordsInPerSecond",
        "snk[14]__Writer.numRecordsOutPerSecond",
    ]
    assert operator_metrics(listed) == [
        "Source__src[8].numRecordsOutPerSecond",
        "snk[14]__Writer.numRecordsInPerSecond",
    ]
    rows = {
        SOURCE: {
            "numRecordsOutPerSecond": {"sum": 0.0},
            "Source__src[8].numRecordsOutPerSecond": {"sum": 50.0},
            "snk[14]__Writer.numRecordsInPerSecond": {"sum": 48.0},
            "Calc[9].numRecordsOutPerSecond": {"sum": 7.0},
        }
    }
    vertices = {v.vertex_id: v for v in parse_vertex_metrics(_load("job.json"), rows)}
    assert vertices[SOURCE].source_records_per_second == 50.0
    assert vertices[SOURCE].sink_records_per_second == 48.0
    assert vertices[SOURCE].records_out_per_second == 0.0
    assert vertices[SINK].source_records_per_second is None
