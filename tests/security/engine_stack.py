"""A live Millstream for the engine-security tests: the real composition root
(``server.build_runtime`` + ``create_app``: signatures, roles, reconciler, artifact
resolver, log service) on the session's real Flink cluster, served by uvicorn on a free
loopback port so the official SDK and signed httpx requests can attack it.

Two namespaces share the default cluster: ``default-namespace`` (``NS``, with an EDITOR
``eddie`` and a VIEWER ``vera``) and ``ns-b`` (``OTHER_NS``, the victim, whose jobs the
attacker must not reach). Each test module starts its own stack.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions

from millstream.client.signing import sign_request
from millstream.config import FlinkSettings, ReconcilerSettings, Settings
from millstream.control.bootstrap import DEMO_SQL, ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.domain.access import Role
from millstream.domain.clusters import ClusterKind
from millstream.server import Runtime, build_runtime, create_app
from tests.ports import free_port

__all__ = [
    "NS",
    "OTHER_NS",
    "RT",
    "WS",
    "EngineStack",
    "Key",
    "engine_stack",
    "error_of",
    "flink_state",
]

WS = "default"
NS = "default-namespace"
OTHER_NS = "ns-b"
RT = RuntimeOptions(read_timeout=120_000, connect_timeout=10_000)  # first plans are slow


@dataclass(frozen=True)
class Key:
    id: str
    secret: str


@dataclass
class EngineStack:
    runtime: Runtime
    port: int
    data_dir: Path
    admin: Key
    editor: Key  # EDITOR of NS
    viewer: Key  # VIEWER of NS
    victim: Key  # EDITOR of OTHER_NS
    started: list[tuple[Key, str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sdk(self, key: Key) -> Client:
        return Client(
            open_api_models.Config(
                access_key_id=key.id,
                access_key_secret=key.secret,
                endpoint=f"127.0.0.1:{self.port}",
                protocol="http",
            )
        )

    def call(
        self,
        key: Key,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A signed request the way the SDK signs it (for routes the SDK lacks)."""
        content = None if body is None else json.dumps(body).encode()
        headers = {"workspace": WS, "accept": "application/json"}
        if content is not None:
            headers["content-type"] = "application/json; charset=utf-8"
        with httpx.Client(base_url=self.url, timeout=120) as http:
            request = http.build_request(
                method, path, content=content, params=params, headers=headers
            )
            sign_request(request, key.id, key.secret)
            return http.send(request)

    def sql_deployment(self, key: Key, namespace: str, sql: str, *, name: str = "") -> str:
        created = (
            self.sdk(key)
            .create_deployment_with_options(
                namespace,
                vv.CreateDeploymentRequest(
                    body=vv.Deployment(
                        name=name or f"sec-{uuid.uuid4().hex[:8]}",
                        execution_mode="STREAMING",
                        artifact=vv.Artifact(
                            kind="SQLSCRIPT", sql_artifact=vv.SqlArtifact(sql_script=sql)
                        ),
                    )
                ),
                vv.CreateDeploymentHeaders(workspace=WS),
                RT,
            )
            .body.data
        )
        return str(created.deployment_id)

    def start(self, key: Key, namespace: str, deployment_id: str) -> str:
        job = (
            self.sdk(key)
            .start_job_with_params_with_options(
                namespace,
                vv.StartJobWithParamsRequest(
                    body=vv.JobStartParameters(deployment_id=deployment_id)
                ),
                vv.StartJobWithParamsHeaders(workspace=WS),
                RT,
            )
            .body.data
        )
        self.started.append((key, namespace, str(job.job_id)))
        return str(job.job_id)

    def job(self, key: Key, namespace: str, job_id: str) -> Any:
        return (
            self.sdk(key)
            .get_job_with_options(namespace, job_id, vv.GetJobHeaders(workspace=WS), RT)
            .body.data
        )

    def wait_job(
        self, key: Key, namespace: str, job_id: str, *statuses: str, timeout: float = 120
    ) -> Any:
        deadline = time.monotonic() + timeout
        job: Any = None
        while time.monotonic() < deadline:
            job = self.job(key, namespace, job_id)
            if job.status.current_job_status in statuses:
                return job
            time.sleep(0.5)
        raise AssertionError(f"job {job_id} not {statuses}: {job.to_map() if job else None}")

    def running_demo(self, key: Key, namespace: str) -> Any:
        """A started demo job (datagen into blackhole), RUNNING, with its Flink job id."""
        job_id = self.start(key, namespace, self.sql_deployment(key, namespace, DEMO_SQL))
        return self.wait_job(key, namespace, job_id, "RUNNING")

    def stop_started(self) -> None:
        for key, namespace, job_id in self.started:
            try:
                self.sdk(key).stop_job_with_options(
                    namespace,
                    job_id,
                    vv.StopJobRequest(body=vv.StopJobRequestBody(stop_strategy="NONE")),
                    vv.StopJobHeaders(workspace=WS),
                    RT,
                )
            except ClientException:
                continue  # already ended


def error_of(call: Callable[[], Any]) -> ClientException:
    try:
        call()
    except ClientException as exc:
        return exc
    raise AssertionError("the call succeeded; it must have been refused")


def flink_state(rest_url: str, flink_job_id: str) -> str:
    return str(httpx.get(f"{rest_url}/jobs/{flink_job_id}", timeout=10).json()["state"])


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


def _user_key(runtime: Runtime, admin: Actor, name: str, namespace: str, role: Role) -> Key:
    issued = runtime.access.create_key(admin, user=name, create_user=True)
    runtime.access.create_member(admin, Scope(WS, namespace), f"user:{name}", role)
    return Key(issued.key.id, issued.secret)


@contextmanager
def engine_stack(data_dir: Path, flink_rest_url: str | None, **flink: Any) -> Iterator[EngineStack]:
    """The stack on ``flink_rest_url`` (an external cluster), or with its own embedded
    Flink when it is ``None`` (``flink`` settings apply), until the block ends."""
    port = _free_port()
    # pytest's temporary directories are closed to other users: what the Flink user must
    # reach moves here (see engine.flink_user), removed at the end.
    visible = Path("/tmp") / f"millstream-visible-{uuid.uuid4().hex[:12]}"
    flink_settings = FlinkSettings(external_rest_url=flink_rest_url, visible_root=visible, **flink)
    settings = Settings(
        data_dir=data_dir,
        flink=flink_settings,
        reconciler=ReconcilerSettings(interval=0.3),
    )
    settings.api.port = port
    runtime = build_runtime(settings)
    try:
        ensure_defaults(
            runtime.store,
            workspace=WS,
            namespace=OTHER_NS,
            cluster_kind=ClusterKind.EMBEDDED if flink_rest_url is None else ClusterKind.EXTERNAL,
            rest_url=runtime.flink_rest_url,
        )
        issued = runtime.access.ensure_admin()
        assert issued is not None
        admin = Actor(issued.user.id, issued.user.name)
        stack = EngineStack(
            runtime=runtime,
            port=port,
            data_dir=data_dir,
            admin=Key(issued.key.id, issued.secret),
            editor=_user_key(runtime, admin, "eddie", NS, Role.EDITOR),
            viewer=_user_key(runtime, admin, "vera", NS, Role.VIEWER),
            victim=_user_key(runtime, admin, "bob", OTHER_NS, Role.EDITOR),
        )
        server = uvicorn.Server(
            uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        try:
            yield stack
        finally:
            stack.stop_started()
            server.should_exit = True
            thread.join(timeout=30)
    finally:
        runtime.close()
        shutil.rmtree(visible, ignore_errors=True)
