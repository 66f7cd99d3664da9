"""Flink logs: reading a cluster's log files, keeping ended jobs' excerpts, and making a
job's log4j2 configuration.

- ``FlinkLogReader`` implements ``control.services.logs.ClusterLogs``: clusters whose log
  directory is on this host (the embedded cluster: ``<data_dir>/flink/log``) are read from
  disk, so logs stay readable after the job or even Flink stopped; any other cluster
  through Flink's REST API (``/jobmanager/logs``, ``/taskmanagers/{id}/log``, ``.../stdout``).
- ``FileLogArchive`` implements ``LogArchive`` under ``<data_dir>/logs/<job_id>/``.
- ``render_log4j_configuration(logging)`` turns a deployment's ``logging`` (log4jLoggers,
  log4j2ConfigurationTemplate, loggingProfile) into the text of a log4j2 configuration;
  the dedicated-cluster target writes it into that cluster's configuration directory.
"""

from __future__ import annotations

import collections
import json
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import httpx
from jinja2.sandbox import SandboxedEnvironment

from millstream.control.services.logs import (
    ROOT_LOGGER,
    ArchiveEntry,
    LogFile,
    LogKind,
    LogWindow,
    normalize_level,
)
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Logging
from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.engine.rest import translate_errors

__all__ = [
    "FileLogArchive",
    "FlinkLogReader",
    "Log4jConfiguration",
    "render_log4j_configuration",
    "select_lines",
]

_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})[,.](\d{3})")
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_JOBMANAGER_LOGS = ("*standalonesession*.log*", "*jobmanager*.log*")
_TASKMANAGER_LOGS = ("*taskexecutor*.log*", "*taskmanager*.log*")
_ROTATED = re.compile(r".*\.log(\.\d+)?")


# --------------------------------------------------------------------------- selection


def select_lines(lines: Iterable[str], window: LogWindow) -> tuple[str, bool]:
    """The lines of one log inside ``window`` (Flink stamps lines in its local time; a
    line without a stamp belongs to the stamped line before it), only those
    ``window.keep`` keeps, and whether the byte limit cut some off."""
    if window.keep is not None:  # the job's records only, before the byte limit
        lines = window.keep(lines)
    since = _local(window.since)
    until = _local(window.until)
    inside = since is None
    kept: collections.deque[str] = collections.deque()
    size = 0
    truncated = False
    for line in lines:
        if match := _STAMP.match(line):
            stamp = datetime.strptime(f"{match[1]}.{match[2]}", "%Y-%m-%d %H:%M:%S.%f")
            if until is not None and stamp > until:
                break
            inside = since is None or stamp >= since
        if not inside:
            continue
        kept.append(line)
        size += len(line.encode())
        if size > window.max_bytes:
            truncated = True
            if window.from_start:
                kept.pop()
                break
            while size > window.max_bytes and kept:
                size -= len(kept.popleft().encode())
    text = "".join(line if line.endswith("\n") else line + "\n" for line in kept)
    return text, truncated


def _local(moment: datetime | None) -> datetime | None:
    """An aware instant as a naive local time, like Flink's log stamps."""
    if moment is None:
        return None
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


# --------------------------------------------------------------------------- reader


class FlinkLogReader:
    """``ClusterLogs`` over local log directories (by REST URL) or Flink's REST API."""

    def __init__(
        self,
        *,
        local_log_dirs: Mapping[str, Path] | Callable[[Cluster], Path | None] = {},  # noqa: B006
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._local = local_log_dirs
        self._timeout = timeout
        self._transport = transport

    def jobmanager_log(self, cluster: Cluster, window: LogWindow) -> LogFile:
        if (directory := self._log_dir(cluster)) is not None:
            files = _matching(directory, _JOBMANAGER_LOGS)
            return _join("jobmanager", files, window)
        with self._client(cluster) as http:
            names = _rest_log_names(http, "/jobmanager/logs")
            if not names:
                return _from_stream("jobmanager", "jobmanager.log", http, "/jobmanager/log", window)
            return _join_rest("jobmanager", http, names, "/jobmanager/logs/{}", window)

    def taskmanager_logs(self, cluster: Cluster, window: LogWindow) -> list[LogFile]:
        if (directory := self._log_dir(cluster)) is not None:
            by_process: dict[str, list[Path]] = collections.defaultdict(list)
            for path in _matching(directory, _TASKMANAGER_LOGS):
                by_process[path.name.split(".log")[0]].append(path)
            return [
                _join(f"taskmanager {name}", files, window)
                for name, files in sorted(by_process.items())
            ]
        with self._client(cluster) as http:
            return [
                _from_stream(
                    f"taskmanager {tm}", "taskmanager.log", http, f"/taskmanagers/{tm}/log", window
                )
                for tm in _taskmanager_ids(http)
            ]

    def stdout(self, cluster: Cluster, window: LogWindow) -> list[LogFile]:
        untimed = LogWindow(max_bytes=window.max_bytes, from_start=window.from_start)
        if (directory := self._log_dir(cluster)) is not None:
            return [
                _join(_process(path.name), [path], untimed)
                for path in sorted(directory.glob("*.out"))
            ]
        with self._client(cluster) as http:
            files = [_from_stream("jobmanager", "stdout", http, "/jobmanager/stdout", untimed)]
            files.extend(
                _from_stream(
                    f"taskmanager {tm}", "stdout", http, f"/taskmanagers/{tm}/stdout", untimed
                )
                for tm in _taskmanager_ids(http)
            )
            return files

    def _log_dir(self, cluster: Cluster) -> Path | None:
        if callable(self._local):
            return self._local(cluster)
        found = self._local.get(cluster.rest_url.rstrip("/"))
        return found if found is not None and found.is_dir() else None

    def _client(self, cluster: Cluster) -> AbstractContextManager[httpx.Client]:
        return _client(cluster.rest_url, self._timeout, self._transport)


@contextmanager
def _client(
    url: str, timeout: float, transport: httpx.BaseTransport | None
) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=url.rstrip("/"),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        transport=transport,
    ) as http:
        yield http


def _matching(directory: Path, patterns: Iterable[str]) -> list[Path]:
    found = {
        p for pattern in patterns for p in directory.glob(pattern) if _ROTATED.fullmatch(p.name)
    }
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def _process(file_name: str) -> str:
    if "standalonesession" in file_name or "jobmanager" in file_name:
        return "jobmanager"
    return f"taskmanager {file_name.removesuffix('.out')}"


def _join(source: str, files: list[Path], window: LogWindow) -> LogFile:
    """Rotated files of one process, oldest first, read as one log."""

    def lines() -> Iterator[str]:
        for path in files:
            try:
                with path.open(encoding="utf-8", errors="replace") as handle:
                    yield from handle
            except FileNotFoundError:  # rotated away while we read
                continue

    text, truncated = select_lines(lines(), window)
    name = files[-1].name if files else "(no log file)"
    return LogFile(source=source, name=name, text=text, truncated=truncated)


def _get(http: httpx.Client, path: str) -> Any:
    with translate_errors("GET", path):
        response = http.get(path)
        response.raise_for_status()
        return response.json()


def _rest_log_names(http: httpx.Client, path: str) -> list[str]:
    listing = _get(http, path).get("logs", [])
    rows = [row for row in listing if _ROTATED.fullmatch(str(row.get("name", "")))]
    rows.sort(key=lambda row: (row.get("mtime", 0), row.get("name", "")))
    return [str(row["name"]) for row in rows]


def _taskmanager_ids(http: httpx.Client) -> list[str]:
    return sorted(str(tm["id"]) for tm in _get(http, "/taskmanagers").get("taskmanagers", []))


def _stream_lines(http: httpx.Client, path: str) -> Iterator[str]:
    with translate_errors("GET", path), http.stream("GET", path) as response:
        if response.is_error:
            response.read()  # the error translation reads Flink's answer
        response.raise_for_status()
        yield from response.iter_lines()


def _from_stream(
    source: str, name: str, http: httpx.Client, path: str, window: LogWindow
) -> LogFile:
    text, truncated = select_lines(_stream_lines(http, path), window)
    return LogFile(source=source, name=name, text=text, truncated=truncated)


def _join_rest(
    source: str, http: httpx.Client, names: list[str], template: str, window: LogWindow
) -> LogFile:
    def lines() -> Iterator[str]:
        for name in names:
            yield from _stream_lines(http, template.format(name))

    text, truncated = select_lines(lines(), window)
    return LogFile(source=source, name=names[-1], text=text, truncated=truncated)


# --------------------------------------------------------------------------- archive


class FileLogArchive:
    """Kept logs: ``<root>/<job_id>/meta.json`` plus one file per kept log."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def save(self, entry: ArchiveEntry, logs: dict[LogKind, list[LogFile]]) -> None:
        directory = self._dir(entry.job_id)
        directory.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, list[dict[str, Any]]] = {}
        for kind, files in logs.items():
            manifest[kind.value] = []
            for index, log in enumerate(files):
                file_name = f"{kind.value}-{index}.log"
                (directory / file_name).write_text(log.text, encoding="utf-8")
                manifest[kind.value].append(
                    {
                        "source": log.source,
                        "name": log.name,
                        "file": file_name,
                        "truncated": log.truncated,
                    }
                )
        meta = {
            "jobId": entry.job_id,
            "archivedAt": entry.archived_at.isoformat(),
            "expiresAt": entry.expires_at.isoformat(),
            "files": manifest,
        }
        temporary = directory / "meta.json.tmp"
        temporary.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        temporary.replace(directory / "meta.json")  # the entry exists once complete

    def read(self, job_id: str, kind: LogKind) -> list[LogFile] | None:
        meta = self._meta(self._dir(job_id))
        if meta is None:
            return None
        directory = self._dir(job_id)
        found = []
        for row in meta.get("files", {}).get(kind.value, []):
            path = directory / Path(str(row["file"])).name
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            found.append(
                LogFile(
                    source=str(row["source"]),
                    name=str(row["name"]),
                    text=text,
                    truncated=bool(row.get("truncated")),
                )
            )
        return found

    def entries(self) -> list[ArchiveEntry]:
        if not self._root.is_dir():
            return []
        found = []
        for directory in sorted(self._root.iterdir()):
            meta = self._meta(directory)
            if meta is not None:
                found.append(
                    ArchiveEntry(
                        job_id=str(meta["jobId"]),
                        archived_at=datetime.fromisoformat(str(meta["archivedAt"])),
                        expires_at=datetime.fromisoformat(str(meta["expiresAt"])),
                    )
                )
        return found

    def delete(self, job_id: str) -> None:
        shutil.rmtree(self._dir(job_id), ignore_errors=True)

    def _dir(self, job_id: str) -> Path:
        if not _SAFE_ID.fullmatch(job_id):
            raise InvalidInput(f"job id {job_id!r} cannot name a directory")
        return self._root / job_id

    @staticmethod
    def _meta(directory: Path) -> dict[str, Any] | None:
        try:
            loaded: dict[str, Any] = json.loads((directory / "meta.json").read_text("utf-8"))
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return None
        return loaded


# --------------------------------------------------------------------------- log4j


@dataclass(frozen=True, slots=True)
class Log4jConfiguration:
    """A log4j2 configuration; ``format`` tells the file name it needs
    (``log4j.properties`` / ``log4j-console.properties`` or ``log4j2.xml``)."""

    text: str
    format: Literal["properties", "xml"]


_DEFAULT_PROPERTIES = """\
# Made by Millstream from the deployment's logging settings (profile {profile}).
monitorInterval = 30
rootLogger.level = {root_level}
rootLogger.appenderRef.file.ref = MainAppender
appender.main.name = MainAppender
appender.main.type = RollingFile
appender.main.append = true
appender.main.fileName = ${{sys:log.file}}
appender.main.filePattern = ${{sys:log.file}}.%i
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{{yyyy-MM-dd HH:mm:ss,SSS}} %-5p %-60c %x - %m%n
appender.main.policies.type = Policies
appender.main.policies.size.type = SizeBasedTriggeringPolicy
appender.main.policies.size.size = 100MB
appender.main.policies.startup.type = OnStartupTriggeringPolicy
appender.main.strategy.type = DefaultRolloverStrategy
appender.main.strategy.max = ${{env:MAX_LOG_FILE_NUMBER:-10}}
logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline
logger.netty.level = OFF
"""


def render_log4j_configuration(logging: Logging) -> Log4jConfiguration:
    """The job's log4j2 configuration: ``log4j2ConfigurationTemplate`` rendered (a
    Ververica-style Jinja template: ``rootLoggerLogLevel``, ``userConfiguredLoggers``)
    or Flink's default file logging, with every ``log4jLoggers`` entry applied.
    Raises ``InvalidInput`` for a bad level or template."""
    root_level = "INFO"
    loggers: list[tuple[str, str]] = []
    for index, (name, level) in enumerate(logging.log4j_loggers):
        normalized = normalize_level(level, where=f"logging.log4jLoggers[{index}].loggerLevel")
        if name in (ROOT_LOGGER, "root", "ROOT"):
            root_level = normalized
        else:
            loggers.append((name, normalized))
    template = logging.log4j2_configuration_template
    if not template or not template.strip():
        text = _DEFAULT_PROPERTIES.format(
            profile=logging.logging_profile or "default", root_level=root_level
        )
        return Log4jConfiguration(_with_loggers(text, loggers, "properties"), "properties")
    kind: Literal["properties", "xml"] = (
        "xml" if template.lstrip().startswith("<") else "properties"
    )
    try:
        rendered = (
            SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
            .from_string(template)
            .render(rootLoggerLogLevel=root_level, userConfiguredLoggers=loggers)
        )
    except Exception as exc:  # jinja2 raises many kinds; all mean "fix the template"
        raise InvalidInput(
            f"logging.log4j2ConfigurationTemplate cannot be rendered: {exc}",
            code=ErrorCode.INVALID_LOG_TEMPLATE,
        ) from exc
    if "userConfiguredLoggers" not in template:
        rendered = _with_loggers(rendered, loggers, kind)
    return Log4jConfiguration(rendered, kind)


def _with_loggers(text: str, loggers: list[tuple[str, str]], kind: str) -> str:
    if not loggers:
        return text
    if kind == "properties":
        lines = [
            f"logger.user_{index}.name = {name}\nlogger.user_{index}.level = {level}\n"
            for index, (name, level) in enumerate(loggers, start=1)
        ]
        return text.rstrip("\n") + "\n" + "".join(lines)
    elements = "".join(f'    <Logger name="{n}" level="{lv}"/>\n' for n, lv in loggers)
    if "</Loggers>" in text:
        return text.replace("</Loggers>", elements + "  </Loggers>", 1)
    raise InvalidInput(
        "logging.log4j2ConfigurationTemplate has no <Loggers> element and does not use "
        "userConfiguredLoggers: the log4jLoggers cannot be applied",
        code=ErrorCode.INVALID_LOG_TEMPLATE,
    )
