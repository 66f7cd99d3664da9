"""Issue 19, item 6: an Encrypted variable's value never comes back in a message.

A VIEWER validating ``INSERT INTO `${db_password}` SELECT 1`` used to read "Cannot find
table `<the secret>`". Through the official SDK, against the real server whose SQL
planner is real Flink's: validation does not substitute the secret (it stands as the
mask), and the errors of an EDITOR's create and start are masked too; the audit log and
the events never hold the value either.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from alibabacloud_ververica20220718 import models as vv

from millstream.domain.variables import MASK
from millstream.engine import LocalCluster
from tests.security.engine_stack import NS, RT, WS, EngineStack, engine_stack, error_of

pytestmark = pytest.mark.flink

SECRET = f"pw{uuid.uuid4().hex[:12]}"
PROBE = "INSERT INTO `${db_password}` SELECT 1"


@pytest.fixture(scope="module")
def stack(flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineStack]:
    with engine_stack(tmp_path_factory.mktemp("variables") / "data", flink.rest_url) as running:
        running.sdk(running.admin).create_variable_with_options(
            NS,
            vv.CreateVariableRequest(
                body=vv.Variable(name="db_password", value=SECRET, kind="Encrypted")
            ),
            vv.CreateVariableHeaders(workspace=WS),
            RT,
        )
        yield running


def test_viewer_validation_does_not_reveal_an_encrypted_variable(stack: EngineStack) -> None:
    answer = stack.sdk(stack.viewer).validate_sql_statement_with_options(
        NS,
        vv.ValidateSqlStatementRequest(body=vv.SqlStatementWithContext(statement=PROBE)),
        vv.ValidateSqlStatementHeaders(workspace=WS),
        RT,
    )
    shown = json.dumps(answer.body.to_map())
    assert SECRET not in shown
    assert MASK in shown, shown  # the planner saw the mask where the name was


def test_editor_create_error_masks_an_encrypted_variable(stack: EngineStack) -> None:
    refused = error_of(
        lambda: stack.sql_deployment(stack.editor, NS, PROBE, name=f"v-{uuid.uuid4().hex[:6]}")
    )
    assert refused.status_code == 400
    assert SECRET not in refused.message
    assert MASK in refused.message, refused.message


def test_nothing_the_api_serves_holds_the_value(stack: EngineStack) -> None:
    deployments = stack.call(stack.admin, "GET", f"/api/v2/namespaces/{NS}/deployments")
    events = stack.call(stack.admin, "GET", f"/api/v2/namespaces/{NS}/events")
    audit = stack.call(stack.admin, "GET", f"/api/millstream/v1/namespaces/{NS}/audit")
    for answer in (deployments, events, audit):
        assert answer.status_code == 200, answer.text
        assert SECRET not in answer.text
