"""``millstream up`` only parses options and hands them to ``millstream.server.serve``."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from millstream.cli.main import app
from millstream.server_logging import LogFormat, LogLevel


def test_up_calls_serve_with_the_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("millstream.server")
    fake.serve = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "millstream.server", fake)
    args = ["up", "--demo", "--host", "0.0.0.0", "--port", "9090", "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert calls == [
        {
            "demo": True,
            "host": "0.0.0.0",
            "port": 9090,
            "data_dir": tmp_path,
            "log_format": LogFormat.TEXT,
            "log_level": LogLevel.INFO,
            "summary": True,
            "workers": 1,
        }
    ]


def test_up_defaults_leave_choices_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("millstream.server")
    fake.serve = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "millstream.server", fake)
    assert CliRunner().invoke(app, ["up"]).exit_code == 0
    assert calls == [
        {
            "demo": False,
            "host": None,
            "port": None,
            "data_dir": None,
            "log_format": LogFormat.TEXT,
            "log_level": LogLevel.INFO,
            "summary": True,
            "workers": 1,
        }
    ]


def test_up_passes_the_log_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("millstream.server")
    fake.serve = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "millstream.server", fake)
    args = ["up", "--log-format", "json", "--log-level", "debug", "--no-summary"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (call,) = calls
    assert call["log_format"] is LogFormat.JSON
    assert call["log_level"] is LogLevel.DEBUG
    assert call["summary"] is False


def test_up_rejects_an_unknown_log_format_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("millstream.server")
    fake.serve = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "millstream.server", fake)
    result = CliRunner().invoke(app, ["up", "--log-format", "xml"])
    assert result.exit_code == 2
    assert "--log-format" in result.output
    assert "text" in result.output
    assert "json" in result.output
    assert calls == []


def test_up_passes_the_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("millstream.server")
    fake.serve = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "millstream.server", fake)
    result = CliRunner().invoke(app, ["up", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert [call["workers"] for call in calls] == [3]


def test_up_rejects_fewer_than_one_worker_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("millstream.server")
    fake.serve = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "millstream.server", fake)
    result = CliRunner().invoke(app, ["up", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output
    assert calls == []
