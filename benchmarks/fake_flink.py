"""A fake Flink REST server for the benchmarks that need thousands of jobs or thousands of
SQL validations per second, which one real JobManager on two cores cannot give.

It answers what ``millstream.engine`` calls: ``/overview``, ``/jobs/overview``, the per-job
endpoints (``/jobs/{id}``, ``/metrics``, ``/exceptions``, ``/checkpoints``), the jar
endpoints (``/jars``, ``/jars/upload``, ``/jars/{id}/plan``, ``/jars/{id}/run``) and
``PATCH /jobs/{id}`` (cancel). Several simulated clusters share one process under path
prefixes ``/c0``, ``/c1``, ... (each prefix is its own REST URL to Millstream). Bodies of
``/jobs/overview`` are serialised once per change, as a real JobManager's cached answer.

Run as its own process (``FakeFlink`` below starts it) so it never competes with the
code under measurement for the GIL: ``python benchmarks/fake_flink.py --port P --jobs F``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from aiohttp import BodyPartReader, web

__all__ = ["FakeFlink", "overview_row"]

_T0 = int(time.time() * 1000) - 60_000


def overview_row(jid: str, *, state: str = "RUNNING", modified_ms: int = _T0) -> dict[str, Any]:
    """One ``/jobs/overview`` row as Flink 2.3 sends it (2 tasks, all running)."""
    running = 2 if state == "RUNNING" else 0
    return {
        "jid": jid,
        "name": f"job-{jid[:8]}",
        "start-time": _T0,
        "end-time": -1,
        "duration": 60_000,
        "state": state,
        "last-modification": modified_ms,
        "tasks": {
            "running": running,
            "canceling": 0,
            "canceled": 0,
            "total": 2,
            "created": 0,
            "scheduled": 0,
            "deploying": 0,
            "reconciling": 0,
            "finished": 0,
            "initializing": 0,
            "failed": 0,
        },
    }


class _State:
    def __init__(self, clusters: dict[str, list[str]], plan_delay: float) -> None:
        self.plan_delay = plan_delay
        self.rows: dict[str, dict[str, dict[str, Any]]] = {
            name: {jid: overview_row(jid) for jid in jids} for name, jids in clusters.items()
        }
        self.bodies: dict[str, bytes] = {}
        self.requests = 0
        self.jars: dict[str, str] = {}  # jar id -> name

    def overview(self, cluster: str) -> bytes:
        body = self.bodies.get(cluster)
        if body is None:
            rows = list(self.rows.setdefault(cluster, {}).values())
            body = self.bodies[cluster] = json.dumps({"jobs": rows}).encode()
        return body


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json"
    )


def build_app(state: _State) -> web.Application:
    routes = web.RouteTableDef()

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        state.requests += 1
        response: web.StreamResponse = await handler(request)
        return response

    @routes.get("/stats")
    async def stats(_: web.Request) -> web.Response:
        return _json({"requests": state.requests})

    @routes.get("/{c}/overview")
    async def overview(request: web.Request) -> web.Response:
        rows = state.rows.get(request.match_info["c"], {})
        return _json(
            {
                "taskmanagers": 1,
                "slots-total": 10**6,
                "slots-available": 10**6,
                "jobs-running": len(rows),
                "flink-version": "2.3.0",
            }
        )

    @routes.get("/{c}/jobs/overview")
    async def jobs_overview(request: web.Request) -> web.Response:
        body = state.overview(request.match_info["c"])
        return web.Response(body=body, content_type="application/json")

    @routes.get("/{c}/jobs/{jid}")
    async def job(request: web.Request) -> web.Response:
        row = state.rows.get(request.match_info["c"], {}).get(request.match_info["jid"])
        if row is None:
            return _json({"errors": ["Job not found."]}, 404)
        vertex_state = "RUNNING" if row["state"] == "RUNNING" else row["state"]
        vertices = [{"id": f"v{i}", "name": f"v{i}", "status": vertex_state} for i in range(2)]
        return _json({**row, "vertices": vertices})

    @routes.patch("/{c}/jobs/{jid}")
    async def cancel(request: web.Request) -> web.Response:
        rows = state.rows.get(request.match_info["c"], {})
        jid = request.match_info["jid"]
        if jid not in rows:
            return _json({"errors": ["Job not found."]}, 404)
        rows[jid] = overview_row(jid, state="CANCELED", modified_ms=int(time.time() * 1000))
        state.bodies.pop(request.match_info["c"], None)
        return _json({}, 202)

    @routes.get("/{c}/jobs/{jid}/metrics")
    async def metrics(_: web.Request) -> web.Response:
        return _json([{"id": "numRestarts", "value": "0"}])

    @routes.get("/{c}/jobs/{jid}/exceptions")
    async def exceptions(_: web.Request) -> web.Response:
        return _json({"exceptionHistory": {"entries": [], "truncated": False}})

    @routes.get("/{c}/jobs/{jid}/checkpoints")
    async def checkpoints(_: web.Request) -> web.Response:
        return _json({"counts": {}, "latest": {"completed": None, "restored": None}})

    @routes.get("/{c}/jars")
    async def jars(_: web.Request) -> web.Response:
        files = [{"id": jar_id, "name": name} for jar_id, name in state.jars.items()]
        return _json({"address": "http://127.0.0.1", "files": files})

    @routes.post("/{c}/jars/upload")
    async def upload(request: web.Request) -> web.Response:
        reader = await request.multipart()
        name = "upload.jar"
        async for part in reader:
            if isinstance(part, BodyPartReader):
                name = part.filename or name
                await part.read()
        jar_id = f"{len(state.jars)}_{name}"
        state.jars[jar_id] = name
        return _json({"filename": f"/tmp/flink-web-upload/{jar_id}", "status": "success"})

    @routes.post("/{c}/jars/{jar}/plan")
    async def plan(request: web.Request) -> web.Response:
        await request.read()
        if state.plan_delay:
            await asyncio.sleep(state.plan_delay)
        return _json(
            {"plan": {"jid": "0" * 32, "name": "insert-into", "type": "STREAMING", "nodes": []}}
        )

    @routes.post("/{c}/jars/{jar}/run")
    async def run(request: web.Request) -> web.Response:
        body = await request.json()
        jid = str(body.get("jobId") or "0" * 32)
        cluster = request.match_info["c"]
        state.rows.setdefault(cluster, {})[jid] = overview_row(
            jid, modified_ms=int(time.time() * 1000)
        )
        state.bodies.pop(cluster, None)
        return _json({"jobid": jid})

    app = web.Application(middlewares=[count], client_max_size=64 * 1024 * 1024)
    app.add_routes(routes)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--jobs", type=Path, help="JSON: {cluster prefix: [flink job ids]}")
    parser.add_argument("--plan-delay", type=float, default=0.0, help="seconds per /plan")
    args = parser.parse_args(argv)
    clusters = json.loads(args.jobs.read_text()) if args.jobs else {}
    app = build_app(_State(clusters, args.plan_delay))
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


class FakeFlink:
    """Start ``fake_flink.py`` as a child process; ``url(cluster)`` is a cluster's REST URL."""

    def __init__(self, *, jobs_file: Path | None = None, plan_delay: float = 0.0) -> None:
        from common import free_port

        self.port = free_port()
        self._jobs_file = jobs_file
        self._plan_delay = plan_delay
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, cluster: str = "c0") -> str:
        return f"http://127.0.0.1:{self.port}/{cluster}"

    def requests_served(self) -> int:
        return int(httpx.get(f"http://127.0.0.1:{self.port}/stats").json()["requests"])

    def __enter__(self) -> FakeFlink:
        command = [sys.executable, __file__, "--port", str(self.port)]
        if self._jobs_file:
            command += ["--jobs", str(self._jobs_file)]
        command += ["--plan-delay", str(self._plan_delay)]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("fake Flink exited during start-up")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=1.0)
                return self
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("fake Flink did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


if __name__ == "__main__":
    main()
