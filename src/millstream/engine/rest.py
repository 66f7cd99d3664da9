"""Typed client of Flink's REST API (httpx, sync), and the translation of its errors.

``RestFlinkCluster`` and ``LocalCluster`` call it; nothing else talks HTTP to Flink.
Every request runs inside ``translate_errors``, the one place where httpx exceptions and
Flink's ``{"errors": [...]}`` answers become domain errors:

    EngineUnavailable          transient: retry with backoff
    └── FlinkServerError       connect error, timeout, 502/503/504, or a 500 that is not
                               about the program (Flink answers 500 for many things)
    EnginePermanentError       retrying cannot fix it: record it as the failure
    └── FlinkRequestRejected   4xx, or a 500 caused by the submitted program
        └── FlinkNotFound      404: no such job / jar / trigger
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypedDict, cast

import httpx
import orjson

from millstream.domain.errors import EnginePermanentError, EngineUnavailable, ErrorCode

__all__ = [
    "FlinkNotFound",
    "FlinkRequestRejected",
    "FlinkRestClient",
    "FlinkServerError",
    "JarRunRequest",
    "summarize_errors",
    "translate_errors",
]

# Text that marks a 500 as the program's fault (bad SQL, bad main class, missing
# connector), as opposed to the cluster's: such an answer will not change on retry.
_PROGRAM_ERRORS = (
    "ProgramInvocationException",
    "The main method caused an error",
    "ValidationException",
    "SqlParserException",
    "SqlParseException",
    "CompilationException",
    "ClassNotFoundException",
    "NoClassDefFoundError",
    "ProgramMissingJobException",
    "MILLSTREAM-SQL[",
)
_TRANSIENT_STATUS = frozenset({502, 503, 504})
_CAUSED_BY = re.compile(r"^Caused by: (.+)$", re.MULTILINE)


class FlinkServerError(EngineUnavailable):
    """Flink could not be reached or failed in a way that may pass."""

    def __init__(self, message: str, *, status: int | None = None, errors: list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors


class FlinkRequestRejected(EnginePermanentError):
    """Flink refused the request itself (4xx) or the program failed (500)."""

    def __init__(self, message: str, *, status: int, errors: list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors

    @property
    def detail(self) -> str:
        """All of Flink's error text (stack traces included), for parsing and logs."""
        return "\n".join(self.errors)


class FlinkNotFound(FlinkRequestRejected):
    code = ErrorCode.NOT_FOUND


class JarRunRequest(TypedDict, total=False):
    """Body of ``POST /jars/{id}/run`` and ``/plan`` (Flink's JarRunRequestBody)."""

    entryClass: str
    programArgsList: list[str]
    parallelism: int
    jobId: str
    savepointPath: str
    allowNonRestoredState: bool
    flinkConfiguration: dict[str, str]


class FlinkRestClient:
    """One httpx client per cluster; all timeouts from the caller (settings).

    ``ssl_context``: one shared by all clusters' clients (``FlinkEngine``); loading the
    CA bundle for each of them costs ~25 ms, ten clusters a quarter of a first tick."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Submitting a jar compiles SQL inside the JobManager: allow the whole timeout for
        # reading, but fail fast when nothing listens.
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            verify=ssl_context if ssl_context is not None else True,
        )

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ cluster

    def overview(self) -> dict[str, Any]:
        """``GET /overview``: taskmanagers, slots-total, slots-available, jobs-running…"""
        return self._json("GET", "/overview")

    def jobs_overview(self) -> list[dict[str, Any]]:
        response = self._request("GET", "/jobs/overview")
        with translate_errors("GET", "/jobs/overview"):
            return cast(list[dict[str, Any]], _loads(response.content)["jobs"])

    def jobmanager_log(self) -> str:
        return self._request("GET", "/jobmanager/log").text

    # ------------------------------------------------------------------ jobs

    def job(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/jobs/{job_id}")

    def job_exceptions(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/jobs/{job_id}/exceptions")

    def job_checkpoints(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/jobs/{job_id}/checkpoints")

    def job_metrics(self, job_id: str, names: list[str]) -> dict[str, str]:
        """Job-level metrics by name; Flink sends values as strings."""
        rows = self._json("GET", f"/jobs/{job_id}/metrics", params={"get": ",".join(names)})
        return {row["id"]: row["value"] for row in cast(list[dict[str, str]], rows)}

    def cancel_job(self, job_id: str) -> None:
        self._request("PATCH", f"/jobs/{job_id}", params={"mode": "cancel"})

    def stop_job(self, job_id: str, *, target_directory: str, drain: bool) -> str:
        body = {"targetDirectory": target_directory, "drain": drain}
        return str(self._json("POST", f"/jobs/{job_id}/stop", json=body)["request-id"])

    def trigger_savepoint(self, job_id: str, *, target_directory: str) -> str:
        # Not the same field name as /stop's: Flink's SavepointTriggerRequestBody.
        body = {"target-directory": target_directory, "cancel-job": False}
        return str(self._json("POST", f"/jobs/{job_id}/savepoints", json=body)["request-id"])

    def savepoint_status(self, job_id: str, trigger_id: str) -> dict[str, Any]:
        return self._json("GET", f"/jobs/{job_id}/savepoints/{trigger_id}")

    # ------------------------------------------------------------------ jars

    def list_jars(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._json("GET", "/jars")["files"])

    def upload_jar(self, jar: Path) -> str:
        """Upload and return Flink's jar id (the stored file name)."""
        with jar.open("rb") as content:
            files = {"jarfile": (jar.name, content, "application/x-java-archive")}
            answer = self._json("POST", "/jars/upload", files=files)
        return Path(str(answer["filename"])).name

    def run_jar(self, jar_id: str, request: JarRunRequest) -> str:
        """Run a jar's main(); returns the JobID Flink reports."""
        return str(self._json("POST", f"/jars/{jar_id}/run", json=request)["jobid"])

    def plan_jar(self, jar_id: str, request: JarRunRequest) -> dict[str, Any]:
        """Run main() in Flink's plan environment: the job graph, nothing executes."""
        return self._json("POST", f"/jars/{jar_id}/plan", json=request)

    # ------------------------------------------------------------------ plumbing

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._request(method, path, **kwargs)
        with translate_errors(method, path):
            return cast(dict[str, Any], response.json())

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with translate_errors(method, path):
            response = self._http.request(method, path, **kwargs)
            response.raise_for_status()
            return response


def _loads(content: bytes) -> Any:
    """The JSON of ``/jobs/overview``, which the reconciler reads from every cluster
    every tick: orjson decodes 10,000 rows in half the time; the standard library what
    orjson refuses (a bare ``NaN``). Its fields are strings and Java longs, which orjson
    keeps exact (it would turn an integer beyond 64 bits into a float)."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


@contextmanager
def translate_errors(method: str, path: str) -> Iterator[None]:
    """Re-raise httpx failures and Flink error answers as domain errors ``from exc``."""
    what = f"Flink {method} {path}"
    try:
        yield
    except httpx.TimeoutException as exc:
        raise FlinkServerError(f"{what} timed out", errors=[]) from exc
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        errors = _error_list(exc.response)
        summary = summarize_errors(errors) or exc.response.reason_phrase
        message = f"{what} answered {status}: {summary}"
        if status == 404:
            raise FlinkNotFound(message, status=status, errors=errors) from exc
        if 400 <= status < 500:
            raise FlinkRequestRejected(message, status=status, errors=errors) from exc
        if status in _TRANSIENT_STATUS or not _is_program_error(errors):
            raise FlinkServerError(message, status=status, errors=errors) from exc
        raise FlinkRequestRejected(message, status=status, errors=errors) from exc
    except httpx.TransportError as exc:
        raise FlinkServerError(f"{what} failed: {exc!r}", errors=[]) from exc
    except ValueError as exc:  # a 2xx whose body is not JSON: not a Flink we understand
        raise FlinkServerError(f"{what} answered something that is not JSON", errors=[]) from exc


def summarize_errors(errors: list[str]) -> str:
    """One readable line from Flink's error list: the deepest cause of the most specific
    entry (Flink puts a generic "Internal server error." first)."""
    if not errors:
        return ""
    detail = errors[-1]
    causes = _CAUSED_BY.findall(detail)
    line = causes[-1] if causes else _strip_server_side(detail).splitlines()[0]
    return line.strip()


def _strip_server_side(text: str) -> str:
    text = text.strip()
    prefix = "<Exception on server side:"
    if text.startswith(prefix):
        text = text[len(prefix) :].strip().removesuffix(">").strip()
    return text or "(empty)"


def _error_list(response: httpx.Response) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        return [response.text] if response.text else []
    if isinstance(body, Mapping) and isinstance(body.get("errors"), list):
        return [str(e) for e in body["errors"]]
    return [response.text]


def _is_program_error(errors: list[str]) -> bool:
    return any(marker in error for error in errors for marker in _PROGRAM_ERRORS)
