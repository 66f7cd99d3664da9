"""``LocalSqlSessions``: interactive SQL through a short-lived local JVM running
``SqlSession.java`` (beside ``SqlRunner.java``) with Flink's ``lib/`` on its class path.

There is no SQL gateway in the wheel (FLINK-NOTES.md), so:

- ``describe`` (ExecuteSqlStatement) rebuilds the namespace's catalog from its DDL, runs
  one new DDL statement through Flink's planner and answers the catalog Flink describes
  afterwards; nothing runs on a cluster.
- ``start_query`` (SQL previews and executions) runs one query with
  ``execution.target=remote`` against a cluster's REST address under a fixed Flink job id;
  the JVM prints the rows as they arrive, stops at the row budget or the time budget and
  cancels the Flink job itself. A reader thread keeps at most ``rows`` rows; ``cancel``
  kills the JVM (the caller cancels the Flink job by its id as well). The control
  services call it through the ``SqlSessions`` port.
"""

from __future__ import annotations

import base64
import importlib.resources
import json
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from millstream.control.sql_session_ports import QueryRequest
from millstream.domain.errors import EngineUnavailable, InvalidSql
from millstream.domain.sql_catalog import check_ddl_statement
from millstream.domain.sql_previews import QueryProgress, QueryState, ResultColumn, ResultRow
from millstream.engine.javac import compile_jar
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.sql_scripts import map_positions, split_raw

__all__ = ["LocalQuery", "LocalSqlSessions"]

_MAIN = "millstream.engine.SqlSession"
_MARK = "@@ms "
_DESCRIBE_TIMEOUT = 120.0
_STARTUP_ALLOWANCE = 120.0
# Flink's own launch scripts open these modules on Java 17 (conf/config.yaml).
_JAVA_OPTS = tuple(
    f"--add-opens=java.base/{p}=ALL-UNNAMED"
    for p in (
        "java.lang",
        "java.net",
        "java.io",
        "java.nio",
        "sun.nio.ch",
        "java.lang.reflect",
        "java.text",
        "java.time",
        "java.util",
        "java.util.concurrent",
        "java.util.concurrent.atomic",
        "java.util.concurrent.locks",
    )
)


class LocalSqlSessions:
    """The ``SqlSessions`` port: one JVM per call (≈3-5 s to start and plan)."""

    def __init__(self, *, runtime: FlinkRuntime, cache_dir: Path, heap_mb: int = 384) -> None:
        self._runtime = runtime
        self._cache_dir = cache_dir
        self._heap_mb = heap_mb
        self._lock = threading.Lock()
        self._jar: Path | None = None

    def jar(self) -> Path:
        """The compiled helper (built once per source and Flink version)."""
        with self._lock:
            if self._jar is None or not self._jar.is_file():
                source = importlib.resources.files("millstream.engine.sql_runner") / (
                    "SqlSession.java"
                )
                with importlib.resources.as_file(source) as path:
                    self._jar = compile_jar(
                        self._runtime,
                        [path],
                        cache_dir=self._cache_dir,
                        name="millstream-sql-session",
                    )
            return self._jar

    def describe(self, catalog_ddl: Sequence[str], statement: str) -> dict[str, Any]:
        """Flink's description of the catalog after ``statement`` (``{"databases",
        "objects"}``); ``InvalidSql`` with Flink's message when the planner refuses it."""
        parts = split_raw(statement)
        if len(parts) != 1:
            raise InvalidSql(
                f"send one DDL statement at a time, not {len(parts)}", line=1, column=1
            )
        text, row, column = parts[0]
        check_ddl_statement(text, line=row, column=column)
        statement = text
        command = self._command("--action", "describe")
        try:
            done = subprocess.run(
                command,
                input=_stdin(catalog_ddl, [statement]),
                capture_output=True,
                text=True,
                timeout=_DESCRIBE_TIMEOUT,
                check=False,
                env=self._runtime.environment(),
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineUnavailable("Flink's planner did not answer within 120 s") from exc
        lines = [_parse(line) for line in done.stdout.splitlines() if line.startswith(_MARK)]
        for line in lines:
            if line.get("type") == "error":
                raise _sql_error(line, (row, column))
            if line.get("type") == "catalog":
                return line
        raise EngineUnavailable(f"the SQL session failed:\n{done.stderr[-2000:]}")

    def start_query(self, request: QueryRequest) -> LocalQuery:
        statements = _query_statements(request.script)
        host = urlsplit(request.rest_url)
        conf = {
            "execution.target": "remote",
            "rest.address": host.hostname or "localhost",
            "rest.port": str(host.port or (443 if host.scheme == "https" else 80)),
            "parallelism.default": str(request.parallelism),
            "$internal.pipeline.job-id": request.flink_job_id,
            "pipeline.name": request.job_name,
            **request.flink_conf,
        }
        args = ["--action", "query", "--mode", "batch" if request.batch else "streaming"]
        args += ["--rows", str(request.max_rows), "--timeout-ms", str(int(request.timeout * 1000))]
        for key, value in conf.items():
            args += ["--conf", f"{key}={value}"]
        process = subprocess.Popen(
            self._command(*args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self._runtime.environment(),
        )
        query = LocalQuery(process, request, [(line, column) for _, line, column in statements])
        assert process.stdin is not None
        process.stdin.write(_stdin(request.catalog_ddl, [text for text, _, _ in statements]))
        process.stdin.close()
        return query

    def _command(self, *args: str) -> list[str]:
        java = str(self._runtime.java_home / "bin" / "java") if self._runtime.java_home else "java"
        classpath = f"{self.jar()}:{self._runtime.lib_dir / '*'}"
        return [
            java,
            f"-Xmx{self._heap_mb}m",
            # A JVM that lives seconds: the C1 compiler only and the serial collector
            # start it 3-5x faster than the defaults (measured: 14-21 s -> 4.3 s while
            # the machine's two cores were busy).
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            *_JAVA_OPTS,
            "-cp",
            classpath,
            _MAIN,
            *args,
        ]


class LocalQuery:
    """One running query: a reader thread turns the JVM's lines into a bounded buffer."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        request: QueryRequest,
        positions: Sequence[tuple[int, int]] = (),
    ) -> None:
        self._positions = list(positions)
        self._process = process
        self._request = request
        self._lock = threading.Lock()
        self._columns: list[ResultColumn] = []
        self._rows: list[ResultRow] = []
        self._state = QueryState.RUNNING
        self._message: str | None = None
        # The JVM enforces the time budget from the job's submission; this backstop also
        # allows for starting the JVM and planning on a busy machine.
        self._deadline = time.monotonic() + request.timeout + _STARTUP_ALLOWANCE
        self._stderr: list[str] = []
        threading.Thread(target=self._drain, args=(process.stderr,), daemon=True).start()
        threading.Thread(target=self._read, daemon=True, name="sql-preview").start()

    def progress(self) -> QueryProgress:
        if self._state is QueryState.RUNNING and time.monotonic() > self._deadline:
            self.cancel(QueryState.FINISHED, "stopped: the time budget ran out")
        with self._lock:
            return QueryProgress(
                state=self._state,
                columns=tuple(self._columns),
                rows=tuple(self._rows),
                message=self._message,
            )

    def cancel(self, state: QueryState = QueryState.CANCELLED, message: str | None = None) -> None:
        """Kill the JVM (the Flink job is cancelled by id by the caller)."""
        with self._lock:
            if self._state is QueryState.RUNNING:
                self._state = state
                self._message = message or "cancelled"
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def _read(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            if not raw.startswith(_MARK):
                continue
            line = _parse(raw)
            with self._lock:
                kind = line.get("type")
                if kind == "schema":
                    self._columns = [
                        ResultColumn(str(c["name"]), str(c["type"])) for c in line["columns"]
                    ]
                elif kind == "row" and len(self._rows) < self._request.max_rows:
                    self._rows.append(
                        ResultRow(
                            kind=str(line.get("kind") or "+I"),
                            values=tuple(_cell(v) for v in line.get("values") or []),
                        )
                    )
                elif kind == "error" and self._state is QueryState.RUNNING:
                    self._state = QueryState.FAILED
                    index = int(line.get("index") or 0)
                    where = self._positions[index] if index < len(self._positions) else (1, 1)
                    self._message = str(_sql_error(line, where))
                elif kind == "end" and self._state is QueryState.RUNNING:
                    self._state = QueryState.FINISHED
                    self._message = _END_REASONS.get(str(line.get("reason")))
        code = self._process.wait()
        with self._lock:
            if self._state is QueryState.RUNNING:
                self._state = QueryState.FAILED
                self._message = f"the SQL session ended ({code}): " + "".join(self._stderr)[-1500:]

    def _drain(self, stream: IO[str] | None) -> None:
        if stream is None:
            return
        for line in stream:
            if len(self._stderr) < 200:
                self._stderr.append(line)


_END_REASONS = {
    "finished": "the query finished",
    "rows": "stopped: the row budget was reached",
    "timeout": "stopped: the time budget ran out",
}


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _stdin(catalog_ddl: Sequence[str], statements: Sequence[str]) -> str:
    def line(tag: str, text: str) -> str:
        return f"{tag} {base64.b64encode(text.encode()).decode('ascii')}\n"

    return "".join(line("P", t) for t in catalog_ddl) + "".join(line("S", t) for t in statements)


def _parse(line: str) -> dict[str, Any]:
    try:
        parsed = json.loads(line[len(_MARK) :])
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _sql_error(line: dict[str, Any], start: tuple[int, int]) -> InvalidSql:
    """Flink's message with positions in the user's text (``start``: where the failing
    statement begins there)."""
    message = str(line.get("message") or "Flink rejected the statement").strip()
    if line.get("where") == "catalog":
        return InvalidSql(f"the namespace's catalog no longer loads in Flink: {message}")
    if line.get("where") == "view":  # a view the statement would break: its own positions
        return InvalidSql(message, line=start[0], column=start[1])
    text, row, column = map_positions(message, *start)
    if row is None:
        row, column = start
    return InvalidSql(text, line=row, column=column)


_QUERY_WORDS = {"SELECT", "WITH", "VALUES", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "("}
_SESSION_WORDS = {"SET", "RESET", "CREATE", "USE", "ALTER", "DROP", "LOAD", "UNLOAD"}


def _query_statements(script: str) -> list[tuple[str, int, int]]:
    """The statements of a preview: SET / temporary DDL, then one query last. Nothing
    that writes (INSERT) runs from a preview."""
    statements = split_raw(script)
    if not statements:
        raise InvalidSql("the SQL text is empty: send a query such as SELECT * FROM orders")
    *setup, (last, line, column) = statements
    if _first_word(last) not in _QUERY_WORDS:
        raise InvalidSql(
            "a preview ends with a query (SELECT, WITH, VALUES, SHOW, DESCRIBE or EXPLAIN); "
            "deploy INSERT statements as a SQL deployment",
            line=line,
            column=column,
        )
    for text, row, col in setup:
        word = _first_word(text)
        if word not in _SESSION_WORDS or (
            word in {"CREATE", "ALTER", "DROP"} and "TEMPORARY" not in text.upper().split()[1:4]
        ):
            raise InvalidSql(
                "before its query a preview may only SET options and declare TEMPORARY "
                "tables, views or functions; change the catalog with ExecuteSqlStatement",
                line=row,
                column=col,
            )
    return statements


def _first_word(text: str) -> str:
    stripped = text.lstrip()
    if stripped.startswith("("):
        return "("
    return stripped.split(None, 1)[0].upper() if stripped else ""
