"""An in-memory stand-in for a Millstream server's native API, served by MockTransport.

Just enough behaviour for the CLI: deployments, jobs that go STARTING -> RUNNING on the
next read, stops that take a savepoint, SQL validation that rejects ``SELEC``, keys,
artifacts (uploaded through a pre-signed URL), hot updates that move through their
phases, diagnoses, job logs and variables (Encrypted ones answered masked), suspend and
resume, and idempotent starts (a repeated ``x-millstream-client-token`` answers the job
its first start created; ``lost_start_answers`` drops answers after the job exists). It checks
every request's ACS3 signature with the client's signer (the SDK equivalence of that
signer is proven in tests/unit/client/test_signing.py); pre-signed PUTs carry none.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

from millstream.client import signing

AK, SK = "AK-test", "SK-test"
NS = r"/api/v2/namespaces/(?P<ns>[^/]+)"
UPLOAD = "/artifacts/v2/upload/"
MASK = "******"


def envelope(data: Any, status: int = 200, **extra: Any) -> httpx.Response:
    body = {"requestId": "req-1", "success": True, "httpCode": status, "data": data, **extra}
    return httpx.Response(status, json=body)


def error(status: int, code: str, message: str) -> httpx.Response:
    body = {
        "requestId": "req-err",
        "success": False,
        "httpCode": status,
        "errorCode": code,
        "errorMessage": message,
        "code": code,
        "message": message,
    }
    return httpx.Response(status, json=body)


@dataclass
class FakeServer:
    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    savepoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    # statuses a job/savepoint will show on its next reads, by id
    upcoming: dict[str, list[str]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    log_supported: bool = True
    status_endpoint: bool = False
    down: bool = False
    start_outcome: list[str] = field(default_factory=lambda: ["STARTING", "RUNNING"])
    # what a stopped job shows on its next reads; ["CANCELLING", "RUNNING"] = a failed stop
    stop_outcome: list[str] = field(default_factory=lambda: ["CANCELLING", "FINISHED"])
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploaded: dict[str, bytes] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    hot_updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the phases a hot update shows on its next reads
    hot_update_outcome: list[str] = field(default_factory=lambda: ["STOPPING", "STARTING", "DONE"])
    job_logs_supported: bool = True
    # what a suspended / resumed job shows on its next reads
    suspend_outcome: list[str] = field(default_factory=lambda: ["CANCELLING", "SUSPENDED"])
    resume_outcome: list[str] = field(default_factory=lambda: ["STARTING", "RUNNING"])
    start_tokens: dict[str, str] = field(default_factory=dict)  # client token -> job id
    # starts whose answer is lost (a read timeout) after the job was created
    lost_start_answers: int = 0
    # starts answered 503 before anything is created
    unavailable_starts: int = 0

    # ------------------------------------------------------------------ helpers

    def add_deployment(self, name: str, **extra: Any) -> dict[str, Any]:
        deployment = {
            "deploymentId": str(uuid.uuid4()),
            "name": name,
            "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": "SELECT 1;"}},
            "engineVersion": "vvr-8.0.9-flink-1.17",
            "resourceVersion": 1,
            **extra,
        }
        self.deployments[deployment["deploymentId"]] = deployment
        return deployment

    def add_job(self, deployment: dict[str, Any], status: str, start: int = 1) -> dict[str, Any]:
        job = {
            "jobId": str(uuid.uuid4()),
            "deploymentId": deployment["deploymentId"],
            "deploymentName": deployment["name"],
            "status": {"currentJobStatus": status},
            "startTime": 1700000000 + start,
        }
        self.jobs[job["jobId"]] = job
        return job

    def _advance(self, item: dict[str, Any], key: str, ident: str) -> None:
        queue = self.upcoming.get(ident)
        if queue:
            item["status"][key] = queue.pop(0)

    def _verify(self, request: httpx.Request) -> bool:
        auth = str(request.headers.get("authorization", ""))
        match = re.match(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),", auth)
        if not match or match.group(1) != AK:
            return False
        path, _, query = request.url.raw_path.decode().partition("?")
        headers = {name: request.headers[name] for name in match.group(2).split(";")}
        expected = signing.authorization(
            method=request.method,
            raw_path=path,
            query=dict(parse_qsl(query, keep_blank_values=True)),
            headers=headers,
            payload_sha256=signing.sha256_hex(request.content),
            access_key_id=AK,
            access_key_secret=SK,
        )
        return expected == auth

    # ------------------------------------------------------------------ routing

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path, _, raw_query = request.url.raw_path.decode().partition("?")
        query = dict(parse_qsl(raw_query))
        if path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        if path.startswith(UPLOAD) and request.method == "PUT":
            return self._put_presigned(unquote(path.removeprefix(UPLOAD)), query, request)
        if not self._verify(request):
            return error(401, "SignatureDoesNotMatch", "the signature does not match")
        body = json.loads(request.content) if request.content else None
        for method, pattern, action in self._routes():
            match = re.fullmatch(pattern, path)
            if match and method == request.method:
                params = {k: unquote(v) for k, v in match.groupdict().items()}
                response: httpx.Response = action(params, query, body)
                return response
        return error(404, "NotFound", f"no route {request.method} {path}")

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", "/api/millstream/v1/status", self._status),
            ("GET", "/api/v2/engine-version-meta.json", self._engine_versions),
            ("POST", f"{NS}/deployments", self._create_deployment),
            ("GET", f"{NS}/deployments", self._list_deployments),
            ("GET", f"{NS}/deployments/name/(?P<name>[^/]+)", self._deployments_by_name),
            ("GET", f"{NS}/deployments/(?P<id>[^/]+)/latest_jobmanager_start_log", self._log),
            ("GET", f"{NS}/deployments/(?P<id>[^/]+)", self._get_deployment),
            ("PUT", f"{NS}/deployments/(?P<id>[^/]+)", self._update_deployment),
            ("DELETE", f"{NS}/deployments/(?P<id>[^/]+)", self._delete_deployment),
            ("POST", f"{NS}/jobs%3Astart", self._start_job),
            ("GET", f"{NS}/jobs", self._list_jobs),
            ("POST", f"{NS}/jobs/(?P<id>[^/]+)%3Astop", self._stop_job),
            ("POST", f"{NS}/jobs/(?P<id>[^/]+)%3Asuspend", self._suspend_job),
            ("POST", f"{NS}/jobs/(?P<id>[^/]+)%3Aresume", self._resume_job),
            ("GET", f"{NS}/jobs/(?P<id>[^/]+)", self._get_job),
            ("DELETE", f"{NS}/jobs/(?P<id>[^/]+)", self._delete_job),
            ("POST", f"{NS}/savepoints", self._create_savepoint),
            ("GET", f"{NS}/savepoints", self._list_savepoints),
            ("GET", f"{NS}/savepoints/(?P<id>[^/]+)", self._get_savepoint),
            ("DELETE", f"{NS}/savepoints/(?P<id>[^/]+)", self._delete_savepoint),
            ("GET", f"{NS}/events", self._events),
            ("POST", f"{NS}/sql-statement/validate", self._validate),
            ("POST", "/api/millstream/v1/keys", self._create_key),
            ("GET", "/api/millstream/v1/keys", self._list_keys),
            ("POST", "/api/millstream/v1/keys/(?P<id>[^/]+)%3Adisable", self._disable_key),
            ("POST", "/api/millstream/v1/keys/(?P<id>[^/]+)%3Aenable", self._enable_key),
            ("DELETE", "/api/millstream/v1/keys/(?P<id>[^/]+)", self._revoke_key),
            (
                "GET",
                "/artifacts/v2/namespaces/(?P<ns>[^/]+)/getPreSignedUrlForPutObject",
                self._presign,
            ),
            ("GET", f"{NS}/artifacts", self._list_artifacts),
            ("DELETE", f"{NS}/artifacts/(?P<name>.+)", self._delete_artifact),
            ("POST", f"{NS}/jobs/(?P<id>[^/]+)%3AhotUpdate", self._hot_update),
            ("GET", f"{NS}/jobs/hot-updates/(?P<id>[^/]+)", self._hot_update_result),
            (
                "GET",
                f"{NS}/deployments/(?P<d>[^/]+)/jobs/(?P<id>[^/]+)/job-diagnoses/lite",
                self._diagnosis,
            ),
            ("GET", f"{NS}/jobs/(?P<id>[^/]+)/logs", self._job_logs),
            ("POST", f"{NS}/variables", self._create_variable),
            ("GET", f"{NS}/variables", self._list_variables),
            ("PATCH", f"{NS}/variables/(?P<name>[^/]+)", self._update_variable),
            ("DELETE", f"{NS}/variables/(?P<name>[^/]+)", self._delete_variable),
        ]

    # ------------------------------------------------------------------ handlers

    def _status(self, p: dict[str, str], q: dict[str, str], b: Any) -> httpx.Response:  # noqa: ARG002
        if not self.status_endpoint:
            return error(404, "NotFound", "no route")
        return envelope({"version": "0.1.0", "reconciler": "running"})

    def _engine_versions(self, p: Any, q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        return envelope(
            {
                "defaultEngineVersion": "vvr-8.0.9-flink-1.17",
                "engineVersionMetadata": [
                    {"engineVersion": "vvr-8.0.9-flink-1.17", "status": "STABLE"},
                    {"engineVersion": "vvr-6.0.7-flink-1.15", "status": "DEPRECATED"},
                ],
            }
        )

    def _create_deployment(self, p: Any, q: Any, b: dict[str, Any]) -> httpx.Response:  # noqa: ARG002
        script = ((b.get("artifact") or {}).get("sqlArtifact") or {}).get("sqlScript") or ""
        if "SELEC " in script:  # as the server: InvalidSql, its message names no position
            return error(400, "InvalidSql", 'SQL parse failed. Encountered "SELEC"')
        if any(d["name"] == b["name"] for d in self.deployments.values()):
            return error(409, "Conflict", f"deployment {b['name']} exists")
        created = self.add_deployment(b["name"])
        created.update({k: v for k, v in b.items() if k != "deploymentId"})
        return envelope(created)

    def _list_deployments(self, p: Any, q: dict[str, str], b: Any) -> httpx.Response:  # noqa: ARG002
        items = [d for d in self.deployments.values() if q.get("name") in (None, d["name"])]
        return envelope(items, pageIndex=1, pageSize=100, totalSize=len(items))

    def _deployments_by_name(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        return envelope([d for d in self.deployments.values() if d["name"] == p["name"]])

    def _get_deployment(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        found = self.deployments.get(p["id"])
        return envelope(found) if found else error(404, "NotFound", "no such deployment")

    def _update_deployment(self, p: dict[str, str], q: Any, b: dict[str, Any]) -> httpx.Response:  # noqa: ARG002
        found = self.deployments.get(p["id"])
        if found is None:
            return error(404, "NotFound", "no such deployment")
        if b.get("resourceVersion") != found["resourceVersion"]:
            return error(409, "StaleVersion", "resourceVersion is stale")
        found.update(b)
        found["resourceVersion"] += 1
        return envelope(found)

    def _delete_deployment(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        if self.deployments.pop(p["id"], None) is None:
            return error(404, "NotFound", "no such deployment")
        return envelope(None)

    def _start_job(self, p: Any, q: Any, b: dict[str, Any]) -> httpx.Response:  # noqa: ARG002
        request = self.requests[-1]  # the one being handled
        if self.unavailable_starts:
            self.unavailable_starts -= 1
            return error(503, "ServiceUnavailable", "the server is restarting")
        token = request.headers.get("x-millstream-client-token")
        if token in self.start_tokens:
            return self._answer_start(request, self.jobs[self.start_tokens[token]])
        deployment = self.deployments.get(b["deploymentId"])
        if deployment is None:
            return error(404, "NotFound", "no such deployment")
        live = [
            j
            for j in self.jobs.values()
            if j["deploymentId"] == deployment["deploymentId"]
            and j["status"]["currentJobStatus"]
            in ("STARTING", "RUNNING", "CANCELLING", "SUSPENDED")
        ]
        if live:
            return error(409, "JobAlreadyLive", "the deployment already has a live job")
        job = self.add_job(deployment, self.start_outcome[0], start=len(self.jobs) + 1)
        job["restoreStrategy"] = b.get("restoreStrategy")
        job["queue"] = b.get("resourceQueueName")
        self.upcoming[job["jobId"]] = list(self.start_outcome[1:])
        if token is not None:
            self.start_tokens[token] = job["jobId"]
        return self._answer_start(request, job)

    def _answer_start(self, request: httpx.Request, job: dict[str, Any]) -> httpx.Response:
        if self.lost_start_answers:
            self.lost_start_answers -= 1
            raise httpx.ReadTimeout("timed out reading the answer", request=request)
        return envelope(job)

    def _suspend_job(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        job = self.jobs.get(p["id"])
        if job is None:
            return error(404, "JobNotFound", "no such job")
        if job["status"]["currentJobStatus"] != "RUNNING":
            return error(409, "InvalidJobStatus", "only a RUNNING job can be suspended")
        self.upcoming[job["jobId"]] = list(self.suspend_outcome)
        savepoint = self._new_savepoint(job["deploymentId"], job["jobId"], "COMPLETED")
        savepoint["savepointOrigin"] = "STOP_WITH_SAVEPOINT"
        return envelope(job)

    def _resume_job(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        job = self.jobs.get(p["id"])
        if job is None:
            return error(404, "JobNotFound", "no such job")
        if job["status"]["currentJobStatus"] != "SUSPENDED":
            return error(409, "InvalidJobStatus", "only a SUSPENDED job can be resumed")
        self.upcoming[job["jobId"]] = list(self.resume_outcome)
        return envelope(job)

    def _list_jobs(self, p: Any, q: dict[str, str], b: Any) -> httpx.Response:  # noqa: ARG002
        items = [j for j in self.jobs.values() if j["deploymentId"] == q.get("deploymentId")]
        return envelope(items, pageIndex=1, pageSize=100, totalSize=len(items))

    def _get_job(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        job = self.jobs.get(p["id"])
        if job is None:
            return error(404, "NotFound", "no such job")
        self._advance(job, "currentJobStatus", job["jobId"])
        return envelope(job)

    def _stop_job(self, p: dict[str, str], q: Any, b: dict[str, Any]) -> httpx.Response:  # noqa: ARG002
        job = self.jobs.get(p["id"])
        if job is None:
            return error(404, "NotFound", "no such job")
        if job["status"]["currentJobStatus"] != "RUNNING":
            return error(409, "InvalidTransition", "the job is not running")
        job["status"]["currentJobStatus"] = "CANCELLING"
        job["stopStrategy"] = b["stopStrategy"]
        self.upcoming[job["jobId"]] = list(self.stop_outcome)
        if b["stopStrategy"] != "NONE":
            savepoint = self._new_savepoint(job["deploymentId"], job["jobId"], "COMPLETED")
            savepoint["savepointOrigin"] = "STOP_WITH_SAVEPOINT"
        return envelope(job)

    def _delete_job(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        if self.jobs.pop(p["id"], None) is None:
            return error(404, "NotFound", "no such job")
        return envelope(None)

    def _new_savepoint(self, deployment_id: str, job_id: str | None, state: str) -> dict[str, Any]:
        savepoint_id = str(uuid.uuid4())
        savepoint = {
            "savepointId": savepoint_id,
            "deploymentId": deployment_id,
            "jobId": job_id,
            "status": {"state": state},
            "savepointLocation": f"file:///tmp/savepoints/{savepoint_id}",
            "savepointOrigin": "USER_REQUEST",
            "createdAt": 1700000100 + len(self.savepoints),
        }
        self.savepoints[savepoint_id] = savepoint
        return savepoint

    def _create_savepoint(self, p: Any, q: Any, b: dict[str, Any]) -> httpx.Response:  # noqa: ARG002
        running = [
            j
            for j in self.jobs.values()
            if j["deploymentId"] == b["deploymentId"]
            and j["status"]["currentJobStatus"] == "RUNNING"
        ]
        if not running:
            return error(409, "Conflict", "no running job to take a savepoint of")
        savepoint = self._new_savepoint(b["deploymentId"], running[0]["jobId"], "STARTED")
        self.upcoming[savepoint["savepointId"]] = ["STARTED", "COMPLETED"]
        return envelope(savepoint)

    def _list_savepoints(self, p: Any, q: dict[str, str], b: Any) -> httpx.Response:  # noqa: ARG002
        items = [
            s
            for s in self.savepoints.values()
            if q.get("deploymentId") in (None, s["deploymentId"])
            and q.get("jobId") in (None, s["jobId"])
        ]
        return envelope(items, pageIndex=1, pageSize=100, totalSize=len(items))

    def _get_savepoint(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        savepoint = self.savepoints.get(p["id"])
        if savepoint is None:
            return error(404, "NotFound", "no such savepoint")
        self._advance(savepoint, "state", savepoint["savepointId"])
        return envelope(savepoint)

    def _delete_savepoint(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        if self.savepoints.pop(p["id"], None) is None:
            return error(404, "NotFound", "no such savepoint")
        return envelope(None)

    def _events(self, p: Any, q: dict[str, str], b: Any) -> httpx.Response:  # noqa: ARG002
        event = {
            "eventId": "e1",
            "eventName": "JOB_STARTED",
            "message": "job started",
            "createdAt": "1700000000",
            "deploymentId": q.get("deploymentId"),
        }
        items = [event]
        return envelope(items, pageIndex=1, pageSize=int(q.get("pageSize", "100")), totalSize=1)

    def _validate(self, p: Any, q: Any, b: dict[str, Any]) -> httpx.Response:  # noqa: ARG002
        statement: str = b["statement"]
        for number, line in enumerate(statement.splitlines(), start=1):
            column = line.find("SELEC ")
            if column >= 0:
                message = (
                    f'SQL parse failed. Encountered "SELEC" at line {number}, column {column + 1}.'
                )
                return envelope(
                    {
                        "success": True,
                        "message": message,
                        "validationResult": "VALIDATION_RESULT_INVALID",
                        "errorDetails": {
                            "lineNumber": str(number),
                            "columnNumber": str(column + 1),
                            "message": message,
                        },
                    }
                )
        return envelope(
            {
                "success": True,
                "message": "",
                "validationResult": "VALIDATION_RESULT_VALID_INSERT_QUERY",
            }
        )

    def _log(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        if not self.log_supported:
            return error(404, "NotFound", "no route")
        return envelope("INFO JobManager started\nINFO Job submitted\n")

    def _create_key(self, p: Any, q: Any, b: dict[str, Any]) -> httpx.Response:  # noqa: ARG002
        key_id = f"AK{len(self.keys) + 1:04d}"
        key = {
            "accessKeyId": key_id,
            "status": "ACTIVE",
            "createdAt": "1700000000",
            "userId": "u1",
            "userName": b.get("user", "admin"),
        }
        self.keys[key_id] = key
        return envelope({**key, "accessKeySecret": f"secret-{key_id}"})

    def _list_keys(self, p: Any, q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        return envelope(list(self.keys.values()))

    def _disable_key(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        key = self.keys.get(p["id"])
        if key is None:
            return error(404, "NotFound", "no such key")
        key["status"] = "DISABLED"
        return envelope(key)

    def _enable_key(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        key = self.keys.get(p["id"])
        if key is None:
            return error(404, "NotFound", "no such key")
        key["status"] = "ACTIVE"
        return envelope(key)

    def _revoke_key(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        if self.keys.pop(p["id"], None) is None:
            return error(404, "NotFound", "no such key")
        return envelope(None)

    # ------------------------------------------------------------------ artifacts

    def _presign(self, p: dict[str, str], q: dict[str, str], b: Any) -> httpx.Response:  # noqa: ARG002
        name = q.get("fileName")
        if not name:
            return error(400, "InvalidInput", "fileName is required")
        return envelope(
            {
                "jarUrl": f"artifacts://default/{p['ns']}/{name}",
                "preSignedUrl": f"http://millstream.test:8080{UPLOAD}default/{p['ns']}/{name}"
                "?expires=9999999999&signature=fake-sig",
            }
        )

    def _put_presigned(
        self, rest: str, q: dict[str, str], request: httpx.Request
    ) -> httpx.Response:
        if q.get("signature") != "fake-sig":
            return error(403, "SignatureDoesNotMatch", "the pre-signed URL is not valid")
        workspace, namespace, name = rest.split("/", 2)
        self.uploaded[name] = request.content
        stored = {
            "name": name,
            "namespace": namespace,
            "size": len(request.content),
            "uri": f"artifacts://{workspace}/{namespace}/{name}",
            "modifiedAt": 1700000000000,
        }
        self.artifacts[name] = stored
        return envelope(stored)

    def _list_artifacts(self, p: Any, q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        return envelope(list(self.artifacts.values()), totalSize=len(self.artifacts))

    def _delete_artifact(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        if self.artifacts.pop(p["name"], None) is None:
            return error(404, "ArtifactNotFound", f"no artifact named {p['name']!r}")
        return envelope(None)

    # ------------------------------------------------------------------ operations

    def _hot_update_wire(self, update: dict[str, Any]) -> dict[str, Any]:
        phase = update["phase"]
        status = {"DONE": "HOT_UPDATED", "FAILED": "HOT_UPDATE_FAILED"}.get(phase, "HOT_UPDATING")
        failure = {"message": "the savepoint failed"} if phase == "FAILED" else None
        return {
            "jobHotUpdateId": update["id"],
            "jobId": update["jobId"],
            "status": {"status": status, "failure": failure},
            "hotUpdateParams": update["params"],
            "sourceJobId": update["jobId"],
            "newJobId": "new-job" if phase == "DONE" else None,
            "phase": phase,
        }

    def _hot_update(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        job = self.jobs.get(p["id"])
        if job is None:
            return error(404, "JobNotFound", "no such job")
        if job["status"]["currentJobStatus"] != "RUNNING":
            return error(409, "InvalidTransition", "the job is not running")
        update = {"id": f"hu-{len(self.hot_updates) + 1}", "jobId": p["id"], "params": b}
        update["phase"] = "REQUESTED"
        self.hot_updates[update["id"]] = update
        self.upcoming[update["id"]] = list(self.hot_update_outcome)
        return envelope(self._hot_update_wire(update))

    def _hot_update_result(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        update = self.hot_updates.get(p["id"])
        if update is None:
            return error(404, "NotFound", "no such hot update")
        queue = self.upcoming.get(update["id"])
        if queue:
            update["phase"] = queue.pop(0)
        return envelope(self._hot_update_wire(update))

    def _diagnosis(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        job = self.jobs.get(p["id"])
        if job is None or job["deploymentId"] != p["d"]:
            return error(404, "JobNotFound", "no such job")
        symptom = {
            "name": "HighBackpressure",
            "description": "the sink is slow",
            "recommendation": "raise the parallelism",
            "severity": "MEDIUM",
        }
        symptoms = {"startup": [], "runtime": [symptom], "state": [], "troubleshooting": []}
        return envelope(
            {
                "diagnoseId": "dg-1",
                "diagnoseTime": 1700000000000,
                "healthScore": 70,
                "riskLevel": "MEDIUM",
                "symptoms": {**symptoms, "others": [], "autopilot": None},
                "jobId": p["id"],
                "deploymentId": p["d"],
            }
        )

    def _job_logs(self, p: dict[str, str], q: dict[str, str], b: Any) -> httpx.Response:  # noqa: ARG002
        if not self.job_logs_supported:
            return error(404, "NotFound", "no operation here")
        if p["id"] not in self.jobs:
            return error(404, "JobNotFound", "no such job")
        kind = q.get("kind", "jobmanager")
        scope = q.get("scope", "job")
        content = f"[{kind}] INFO Job submitted\n"
        note = "Only the lines of this job are shown." if scope == "job" else None
        if scope == "cluster":
            content += f"[{kind}] INFO another job's line\n"
        return envelope(
            {
                "jobId": p["id"],
                "kind": kind,
                "source": "cluster",
                "scope": scope,
                "note": note,
                "files": [],
                "content": content,
            }
        )

    # ------------------------------------------------------------------ variables

    @staticmethod
    def _shown(variable: dict[str, Any]) -> dict[str, Any]:
        if variable["kind"] == "Encrypted":
            return {**variable, "value": MASK}
        return dict(variable)

    def _create_variable(self, p: Any, q: Any, b: dict[str, Any]) -> httpx.Response:  # noqa: ARG002
        if b["name"] in self.variables:
            return error(409, "VariableAlreadyExists", f"variable {b['name']} exists")
        variable = {"kind": "Plain", "description": None, **b}
        self.variables[b["name"]] = variable
        return envelope(self._shown(variable))

    def _list_variables(self, p: Any, q: dict[str, str], b: Any) -> httpx.Response:  # noqa: ARG002
        index, size = int(q.get("pageIndex", "1")), int(q.get("pageSize", "10"))
        items = list(self.variables.values())
        page = items[(index - 1) * size : index * size]
        return envelope(
            [self._shown(v) for v in page], pageIndex=index, pageSize=size, totalSize=len(items)
        )

    def _update_variable(self, p: dict[str, str], q: Any, b: dict[str, Any]) -> httpx.Response:  # noqa: ARG002
        variable = self.variables.get(p["name"])
        if variable is None:
            return error(404, "VariableNotFound", "no such variable")
        variable.update({k: v for k, v in b.items() if v is not None})
        return envelope(self._shown(variable))

    def _delete_variable(self, p: dict[str, str], q: Any, b: Any) -> httpx.Response:  # noqa: ARG002
        if self.variables.pop(p["name"], None) is None:
            return error(404, "VariableNotFound", "no such variable")
        return envelope(None)
