"""Flink logs: line selection, local and REST reading, the archive, log4j configuration."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from millstream.control.services.logs import ArchiveEntry, LogFile, LogKind, LogWindow
from millstream.domain.deployments import Logging
from millstream.domain.errors import InvalidInput
from millstream.engine.logs import (
    FileLogArchive,
    FlinkLogReader,
    render_log4j_configuration,
    select_lines,
)
from tests.factories import make_cluster

LOG = [
    "2026-05-01 10:00:00,000 INFO  a [] - before\n",
    "2026-05-01 10:00:05,000 INFO  a [] - start\n",
    "java.lang.RuntimeException: trace of start\n",
    "2026-05-01 10:00:09,000 INFO  a [] - middle\n",
    "2026-05-01 10:00:20,000 INFO  a [] - after end\n",
]


def _local(text: str) -> datetime:
    """A Flink stamp (local time) as an aware instant."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").astimezone()


# --------------------------------------------------------------------------- selection


def test_select_lines_in_window_keeps_continuation_lines() -> None:
    window = LogWindow(since=_local("2026-05-01 10:00:04"), until=_local("2026-05-01 10:00:10"))
    text, truncated = select_lines(LOG, window)
    assert text == "".join(LOG[1:4])
    assert truncated is False


def test_select_lines_from_start_keeps_the_head() -> None:
    text, truncated = select_lines(LOG, LogWindow(max_bytes=len(LOG[0]) + 5, from_start=True))
    assert (text, truncated) == (LOG[0], True)


def test_select_lines_tail_keeps_the_end() -> None:
    text, truncated = select_lines(LOG, LogWindow(max_bytes=len(LOG[-1]) + 5))
    assert (text, truncated) == (LOG[-1], True)


# --------------------------------------------------------------------------- reader


def test_local_log_directory_is_read_oldest_file_first(tmp_path: Path) -> None:
    older = tmp_path / "flink-millstream-standalonesession-0-vm.log.1"
    newer = tmp_path / "flink-millstream-standalonesession-0-vm.log"
    older.write_text(LOG[0])
    newer.write_text("".join(LOG[1:]))
    stamp = older.stat().st_mtime
    os.utime(older, (stamp - 60, stamp - 60))
    (tmp_path / "flink-millstream-taskexecutor-0-vm.log").write_text(LOG[1])
    (tmp_path / "flink-millstream-taskexecutor-0-vm.out").write_text("hello\n")
    (tmp_path / "flink-millstream-standalonesession-0-vm.out").write_text("jm out\n")
    cluster = make_cluster(rest_url="http://127.0.0.1:1/")
    reader = FlinkLogReader(local_log_dirs={"http://127.0.0.1:1": tmp_path})
    jobmanager = reader.jobmanager_log(cluster, LogWindow())
    assert jobmanager.text == "".join(LOG)
    assert jobmanager.name == newer.name
    [taskmanager] = reader.taskmanager_logs(cluster, LogWindow())
    assert (taskmanager.source, taskmanager.text) == (
        "taskmanager flink-millstream-taskexecutor-0-vm",
        LOG[1],
    )
    printed = {f.source: f.text for f in reader.stdout(cluster, LogWindow())}
    assert printed == {
        "jobmanager": "jm out\n",
        "taskmanager flink-millstream-taskexecutor-0-vm": "hello\n",
    }


def _flink(request: httpx.Request) -> httpx.Response:
    routes = {
        "/jobmanager/logs": httpx.Response(
            200,
            json={
                "logs": [
                    {"name": "jm.log", "mtime": 2},
                    {"name": "jm.log.1", "mtime": 1},
                    {"name": "jm.out", "mtime": 3},
                ]
            },
        ),
        "/jobmanager/logs/jm.log.1": httpx.Response(200, text=LOG[0]),
        "/jobmanager/logs/jm.log": httpx.Response(200, text="".join(LOG[1:])),
        "/taskmanagers": httpx.Response(200, json={"taskmanagers": [{"id": "tm-1"}]}),
        "/taskmanagers/tm-1/log": httpx.Response(200, text=LOG[3]),
        "/taskmanagers/tm-1/stdout": httpx.Response(200, text="tm out\n"),
        "/jobmanager/stdout": httpx.Response(200, text="jm out\n"),
    }
    return routes.get(request.url.path, httpx.Response(404, json={"errors": ["Not found."]}))


def test_remote_cluster_is_read_through_rest() -> None:
    reader = FlinkLogReader(transport=httpx.MockTransport(_flink))
    cluster = make_cluster(rest_url="http://flink:8081")
    since = _local("2026-05-01 10:00:04")
    jobmanager = reader.jobmanager_log(cluster, LogWindow(since=since))
    assert jobmanager.text == "".join(LOG[1:])
    [taskmanager] = reader.taskmanager_logs(cluster, LogWindow())
    assert (taskmanager.source, taskmanager.text) == ("taskmanager tm-1", LOG[3])
    assert [f.text for f in reader.stdout(cluster, LogWindow())] == ["jm out\n", "tm out\n"]


# --------------------------------------------------------------------------- archive


def test_archive_round_trip_and_delete(tmp_path: Path) -> None:
    archive = FileLogArchive(tmp_path / "logs")
    now = datetime.now().astimezone()
    entry = ArchiveEntry("job-1", now, now + timedelta(days=7))
    archive.save(
        entry,
        {
            LogKind.JOBMANAGER: [LogFile("jobmanager", "jm.log", "jm\n")],
            LogKind.TASKMANAGER: [LogFile("taskmanager a", "a.log", "a\n", truncated=True)],
            LogKind.STDOUT: [],
        },
    )
    assert archive.entries() == [entry]
    assert archive.read("job-1", LogKind.TASKMANAGER) == [
        LogFile("taskmanager a", "a.log", "a\n", truncated=True)
    ]
    assert archive.read("job-2", LogKind.JOBMANAGER) is None
    meta = json.loads((tmp_path / "logs" / "job-1" / "meta.json").read_text())
    assert meta["jobId"] == "job-1"
    archive.delete("job-1")
    assert archive.entries() == []


def test_archive_refuses_path_like_job_ids(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        FileLogArchive(tmp_path).read("../etc", LogKind.JOBMANAGER)


# --------------------------------------------------------------------------- log4j


def test_default_configuration_applies_root_and_loggers() -> None:
    config = render_log4j_configuration(
        Logging(log4j_loggers=(("", "warn"), ("org.apache.kafka", "ERROR")))
    )
    assert config.format == "properties"
    assert "rootLogger.level = WARN\n" in config.text
    assert "logger.user_1.name = org.apache.kafka\nlogger.user_1.level = ERROR\n" in config.text
    assert "appender.main.fileName = ${sys:log.file}" in config.text


def test_jinja_template_receives_root_level_and_loggers() -> None:
    template = (
        "<Configuration><Loggers>{% for name, level in userConfiguredLoggers %}"
        '<Logger name="{{ name }}" level="{{ level }}"/>{% endfor %}'
        '<Root level="{{ rootLoggerLogLevel }}"/></Loggers></Configuration>'
    )
    config = render_log4j_configuration(
        Logging(log4j2_configuration_template=template, log4j_loggers=(("com.acme", "debug"),))
    )
    assert config.format == "xml"
    assert config.text == (
        '<Configuration><Loggers><Logger name="com.acme" level="DEBUG"/>'
        '<Root level="INFO"/></Loggers></Configuration>'
    )


def test_template_without_logger_loop_gets_loggers_appended() -> None:
    config = render_log4j_configuration(
        Logging(
            log4j2_configuration_template="rootLogger.level = {{ rootLoggerLogLevel }}\n",
            log4j_loggers=(("com.acme", "TRACE"),),
        )
    )
    assert config.text == (
        "rootLogger.level = INFO\nlogger.user_1.name = com.acme\nlogger.user_1.level = TRACE\n"
    )


def test_invalid_level_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="LOUD"):
        render_log4j_configuration(Logging(log4j_loggers=(("com.acme", "LOUD"),)))


def test_template_that_cannot_render_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="cannot be rendered"):
        render_log4j_configuration(
            Logging(log4j2_configuration_template="{{ ''.__class__.__mro__ }}")
        )
