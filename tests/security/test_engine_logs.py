"""Issue 19, lesser finding: the shared cluster's logs served to one namespace held other
namespaces' jobs' lines.

Two namespaces run jobs on the default cluster (real Flink); a signed request for one
job's JobManager and TaskManager logs gets only the records naming that job, with a note
saying the cluster is shared.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from millstream.engine import LocalCluster
from tests.security.engine_stack import NS, OTHER_NS, EngineStack, engine_stack

pytestmark = pytest.mark.flink


@pytest.fixture(scope="module")
def stack(flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineStack]:
    with engine_stack(tmp_path_factory.mktemp("logs") / "data", flink.rest_url) as running:
        yield running


def _flink_job_id(stack: EngineStack, job_id: str) -> str:
    with stack.runtime.store.transaction() as repos:
        found = repos.read_job(job_id=job_id)
    assert found is not None
    assert found.flink_job_id is not None
    return found.flink_job_id


def test_a_jobs_log_holds_no_other_namespaces_lines(stack: EngineStack) -> None:
    own = stack.running_demo(stack.editor, NS)
    other = stack.running_demo(stack.victim, OTHER_NS)
    own_fid, other_fid = _flink_job_id(stack, own.job_id), _flink_job_id(stack, other.job_id)
    for kind in ("jobmanager", "taskmanager"):
        answer = stack.call(
            stack.editor,
            "GET",
            f"/api/v2/namespaces/{NS}/jobs/{own.job_id}/logs",
            params={"kind": kind},
        )
        assert answer.status_code == 200, answer.text
        content = answer.json()["data"]["content"]
        assert other_fid not in content, kind
        assert other.job_id not in content, kind
        if kind == "jobmanager":
            assert own_fid in content  # its own lines are still there
            assert "Only the lines of job" in answer.json()["data"]["note"]
        # The whole log of a cluster other namespaces share is never served.
        whole = stack.call(
            stack.editor,
            "GET",
            f"/api/v2/namespaces/{NS}/jobs/{own.job_id}/logs",
            params={"kind": kind, "scope": "cluster"},
        )
        assert whole.status_code == 403, whole.text
        assert other_fid not in whole.text
