"""Logging of ``millstream up``: JSON lines, HTTP traffic only at DEBUG, and ``serve``
installs it."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from millstream.server_logging import (
    DEMOTED_LOGGERS,
    JsonFormatter,
    LogFormat,
    LogLevel,
    configure_logging,
)

_TOUCHED = ("", *DEMOTED_LOGGERS, "httpcore", "uvicorn.error")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``configure_logging`` changes process-wide loggers: put them back after each test."""
    saved = {
        name: (logger.level, list(logger.handlers), list(logger.filters))
        for name in _TOUCHED
        for logger in [logging.getLogger(name)]
    }
    yield
    for name, (level, handlers, filters) in saved.items():
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            if handler not in handlers:
                handler.close()
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.filters[:] = filters


def _record(**extra: Any) -> logging.LogRecord:
    record = logging.LogRecord(
        "millstream.test", logging.WARNING, __file__, 1, "a %s", ("b",), None
    )
    record.__dict__.update(extra)
    return record


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def _get_with_httpx() -> None:
    """One real httpx request (httpx logs it at INFO) against an in-memory transport."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json=[]))
    with httpx.Client(transport=transport) as client:
        client.get("http://flink.test:8081/jobs/overview")


# ---------------------------------------------------------------------- JSON formatter


def test_json_formatter_writes_one_object_with_the_standard_fields() -> None:
    entry = json.loads(JsonFormatter().format(_record()))
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "millstream.test"
    assert entry["message"] == "a b"
    assert entry["time"].endswith("+00:00")
    assert "exception" not in entry


def test_json_formatter_keeps_extra_fields_and_writes_odd_values_as_text() -> None:
    entry = json.loads(JsonFormatter().format(_record(job_id="j-1", path=Path("/x/y"))))
    assert entry["job_id"] == "j-1"
    assert entry["path"] == "/x/y"


def test_json_formatter_leaves_out_uvicorns_coloured_copy_of_the_message() -> None:
    entry = json.loads(JsonFormatter().format(_record(color_message="\x1b[36ma b\x1b[0m")))
    assert "color_message" not in entry


def test_json_formatter_includes_the_exception_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "millstream.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert "ValueError: boom" in entry["exception"]


def test_json_formatter_escapes_newlines_in_messages() -> None:
    record = logging.LogRecord("m", logging.INFO, __file__, 1, "two\nlines", None, None)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["message"] == "two\nlines"


# ---------------------------------------------------------------------- configure_logging


def test_json_format_writes_json_lines() -> None:
    stream = io.StringIO()
    configure_logging(log_format=LogFormat.JSON, stream=stream)
    logging.getLogger("millstream.reconciler").info("job %s is RUNNING", "j-1")
    (line,) = _lines(stream)
    assert json.loads(line)["message"] == "job j-1 is RUNNING"


def test_text_format_writes_time_level_logger_and_message() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)
    logging.getLogger("millstream.reconciler").info("job started")
    (line,) = _lines(stream)
    assert line.endswith(" INFO millstream.reconciler: job started")


def test_httpx_requests_are_not_logged_at_info() -> None:
    stream = io.StringIO()
    configure_logging(level=LogLevel.INFO, stream=stream)
    _get_with_httpx()
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /api HTTP/1.1" 200')
    logging.getLogger("millstream").info("an action")
    (line,) = _lines(stream)
    assert line.endswith("INFO millstream: an action")


def test_httpx_requests_are_logged_as_debug_at_debug() -> None:
    stream = io.StringIO()
    configure_logging(level=LogLevel.DEBUG, stream=stream)
    _get_with_httpx()
    lines = [line for line in _lines(stream) if "flink.test" in line]
    assert len(lines) == 1
    assert " DEBUG httpx: HTTP Request: GET http://flink.test:8081/jobs/overview" in lines[0]


def test_httpx_warnings_still_pass_at_info() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)
    logging.getLogger("httpx").warning("something is wrong")
    assert "WARNING httpx: something is wrong" in stream.getvalue()


def test_a_second_configuration_replaces_the_first_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(stream=first)
    configure_logging(log_format=LogFormat.JSON, stream=second)
    logging.getLogger("millstream").warning("once")
    assert first.getvalue() == ""
    assert len(_lines(second)) == 1
    assert len(logging.getLogger("httpx").filters) == 1


def test_serve_installs_the_logging_before_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``millstream up`` runs: httpx at DEBUG only, the chosen format on stderr."""
    import millstream.server as server

    class Stop(Exception):
        pass

    def build_runtime(*_: object, **__: object) -> None:
        raise Stop

    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.setattr(server, "build_runtime", build_runtime)
    with pytest.raises(Stop):
        server.serve(log_format=LogFormat.JSON)
    _get_with_httpx()
    logging.getLogger("millstream").info("started")
    (line,) = _lines(stream)
    assert json.loads(line)["message"] == "started"


def test_above_debug_library_info_lines_are_dropped_before_a_record_is_made() -> None:
    configure_logging(level=LogLevel.INFO, stream=io.StringIO())
    for name in DEMOTED_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
        assert logging.getLogger(name).isEnabledFor(logging.WARNING)
    configure_logging(level=LogLevel.DEBUG, stream=io.StringIO())
    for name in DEMOTED_LOGGERS:
        assert logging.getLogger(name).isEnabledFor(logging.INFO)  # demoted by the filter
