"""Logging of the server process (``millstream up``): text or JSON lines on stderr.

``server.serve`` calls ``configure_logging`` once, before anything logs. INFO is for state
changes and actions; the HTTP traffic libraries log at INFO (httpx one line per request,
so one per reconciler poll; uvicorn one per API request), and ``configure_logging`` demotes
those lines to DEBUG: ``--log-level debug`` shows them, the default hides them.
"""

from __future__ import annotations

import enum
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = [
    "DEMOTED_LOGGERS",
    "JsonFormatter",
    "LogFormat",
    "LogLevel",
    "configure_logging",
]

# Libraries that log every HTTP request at INFO: httpx (the Flink REST client polls once a
# second per cluster), uvicorn's access log (every API call).
DEMOTED_LOGGERS = ("httpx", "uvicorn.access")
# httpcore traces every socket operation at DEBUG: too much even for --log-level debug.
_QUIET_LOGGERS = ("httpcore",)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The attributes every LogRecord has: anything else came in through ``extra=``
# (uvicorn's ``color_message`` is the message again, with terminal colours).
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "taskName", "color_message"}


class LogFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


class LogLevel(enum.StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def number(self) -> int:
        return logging.getLevelNamesMapping()[self.value.upper()]


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log shippers: time (UTC, ISO 8601), level, logger,
    message, the exception when there is one, and any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = value
        # ``default=str``: an ``extra`` value that JSON cannot hold (a Path, a UUID) is
        # written as its text rather than losing the whole line.
        return json.dumps(entry, default=str, ensure_ascii=False)


class _DemoteToDebug(logging.Filter):
    """Turns a library's INFO record into DEBUG, and drops it when DEBUG is off.

    A logger filter runs after the logger's own level check, so the threshold is read
    from the root logger at each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        if not logging.getLogger().isEnabledFor(logging.DEBUG):
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


class _ServerHandler(logging.StreamHandler[TextIO]):
    """The handler ``configure_logging`` installs (so a second call replaces it)."""


def configure_logging(
    *,
    log_format: LogFormat = LogFormat.TEXT,
    level: LogLevel = LogLevel.INFO,
    stream: TextIO | None = None,
) -> logging.StreamHandler[TextIO]:
    """Log to ``stream`` (stderr) at ``level`` in ``log_format``; HTTP traffic at DEBUG.

    Returns the handler: the live summary redirects its stream while it is shown."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _ServerHandler)]:
        root.removeHandler(old)
        old.close()
    handler = _ServerHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format is LogFormat.JSON else _text_formatter())
    root.addHandler(handler)
    root.setLevel(level.number)
    for name in DEMOTED_LOGGERS:
        logger = logging.getLogger(name)
        # uvicorn sets its own level. Above DEBUG their INFO lines are dropped before a
        # record is made (one per API call: measurable at hundreds a second); at DEBUG
        # the root level decides and the filter demotes them.
        logger.setLevel(logging.NOTSET if level is LogLevel.DEBUG else logging.WARNING)
        if not any(isinstance(f, _DemoteToDebug) for f in logger.filters):
            logger.addFilter(_DemoteToDebug())
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    return handler


def _text_formatter() -> logging.Formatter:
    return logging.Formatter(TEXT_FORMAT)
