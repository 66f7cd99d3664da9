"""The console router over real services (in-memory store, fake Flink): sessions, CSRF,
roles, every page rendering, actions and how their errors are shown."""

from __future__ import annotations

from millstream.control.context import Scope
from millstream.control.ports import Page
from millstream.domain.errors import InvalidSql
from millstream.domain.jobs import DesiredState
from tests.factories import SQL

from .conftest import NS, WS, World, sign_in, sign_in_form

HX = {"hx-request": "true"}
SCOPE = Scope(WS, NS)


async def _create(world: World, csrf: str, name: str = "orders") -> str:
    response = await world.client.post(
        "/console/sql/save",
        data={"csrf": csrf, "name": name, "sql_script": SQL},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


async def test_pages_need_a_session(world: World) -> None:
    response = await world.client.get("/console/deployments", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in"
    fragment = await world.client.get("/console/deployments/rows", headers=HX)
    assert fragment.headers["hx-redirect"] == "/console/sign-in"


async def test_sign_in_refuses_a_wrong_secret_or_unknown_key(world: World) -> None:
    for key, secret in [("MSADMIN", "nope"), ("MSNOBODY", "s3cret"), ("", "")]:
        token = await sign_in_form(world.client)
        response = await world.client.post(
            "/console/sign-in",
            data={"access_key_id": key, "access_key_secret": secret, "sign_in_token": token},
        )
        assert response.status_code == 401
        assert "do not match an active key" in response.text
        # No session: only a fresh pre-session cookie for the next attempt.
        cookies = response.headers.get_list("set-cookie")
        assert not any(value.startswith("millstream_console=") for value in cookies)


async def test_sign_in_sets_an_httponly_lax_cookie(world: World) -> None:
    token = await sign_in_form(world.client)
    response = await world.client.post(
        "/console/sign-in",
        data={"access_key_id": "MSADMIN", "access_key_secret": "s3cret", "sign_in_token": token},
        follow_redirects=False,
    )
    cookie = next(
        value.lower()
        for value in response.headers.get_list("set-cookie")
        if value.startswith("millstream_console=")
    )
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/console" in cookie
    assert "s3cret" not in response.headers["set-cookie"]


async def test_revoked_key_signs_the_session_out(world: World) -> None:
    await sign_in(world.client)
    del world.access.keys["MSADMIN"]
    response = await world.client.get("/console/deployments", follow_redirects=False)
    assert response.headers["location"] == "/console/sign-in"


async def test_posts_without_the_csrf_token_are_refused(world: World) -> None:
    csrf = await sign_in(world.client)
    deployment_id = await _create(world, csrf)
    response = await world.client.post(
        f"/console/deployments/{deployment_id}/start", data={"csrf": "forged"}, headers=HX
    )
    assert "out of date" in response.text
    assert world.services.jobs.list(SCOPE, deployment_id, Page())[1] == 0


async def test_every_page_renders(world: World) -> None:
    csrf = await sign_in(world.client)
    deployment_id = await _create(world, csrf)
    await world.client.post(
        f"/console/deployments/{deployment_id}/start", data={"csrf": csrf}, headers=HX
    )
    job = world.services.jobs.list(SCOPE, deployment_id, Page())[0][0]
    for path in [
        "/console/deployments",
        "/console/deployments/rows",
        f"/console/deployments/{deployment_id}",
        f"/console/deployments/{deployment_id}/live",
        f"/console/deployments/{deployment_id}/actions",
        f"/console/deployments/{deployment_id}/edit",
        "/console/sql/new",
        f"/console/jobs/{job.id}",
        f"/console/jobs/{job.id}/live",
        "/console/clusters",
        "/console/static/htmx.min.js",
        "/console/static/console.css",
    ]:
        response = await world.client.get(path)
        assert response.status_code == 200, (path, response.text)
    logs = await world.client.get(f"/console/jobs/{job.id}/logs?kind=jobmanager")
    assert logs.status_code == 200
    assert 'id="log-error"' in logs.text  # this world wires no log service
    page = await world.client.get(f"/console/deployments/{deployment_id}")
    assert '<span class="t-k">CREATE</span>' in page.text
    assert 'id="stop-form"' in page.text
    assert "hx-confirm" in page.text


async def test_unknown_static_files_are_not_served(world: World) -> None:
    for name in ["secret.key", "..%2Fconsole.py", "nope.js"]:
        response = await world.client.get(f"/console/static/{name}")
        assert response.status_code == 404


async def test_missing_deployment_is_a_message_not_a_traceback(world: World) -> None:
    await sign_in(world.client)
    response = await world.client.get("/console/deployments/does-not-exist")
    assert response.status_code == 404
    assert "deployment &#39;does-not-exist&#39; not found" in response.text
    assert "Traceback" not in response.text


async def test_filter_and_pages(world: World) -> None:
    csrf = await sign_in(world.client)
    for index in range(23):
        await _create(world, csrf, name=f"job-{index:02d}")
    await _create(world, csrf, name="special")
    first = await world.client.get("/console/deployments/rows")
    assert "1\u201320 of 24" in first.text
    assert "Next" in first.text
    second = await world.client.get("/console/deployments/rows?page=2")
    assert "21\u201324 of 24" in second.text
    assert "Previous" in second.text
    filtered = await world.client.get("/console/deployments/rows?name=spec")
    assert filtered.text.count("data-deployment=") == 1


async def test_invalid_sql_is_marked_at_its_line(world: World) -> None:
    csrf = await sign_in(world.client)
    world.engine.flink.bad_sql = InvalidSql("Column 'nme' not found", line=2, column=8)
    script = "SELECT 1;\nSELECT nme FROM t;"
    validated = await world.client.post(
        "/console/sql/validate", data={"csrf": csrf, "sql_script": script}, headers=HX
    )
    assert 'data-error-line="2"' in validated.text
    assert 'data-error-column="8"' in validated.text
    assert "Column &#39;nme&#39; not found" in validated.text
    assert "sql-line" not in validated.text  # no read-only copy of the script
    saved = await world.client.post(
        "/console/sql/save", data={"csrf": csrf, "name": "bad", "sql_script": script}
    )
    assert saved.status_code == 400
    assert 'data-error-line="2"' in saved.text
    assert 'value="bad"' in saved.text  # the form keeps what was typed
    world.engine.flink.bad_sql = None
    ok = await world.client.post(
        "/console/sql/validate", data={"csrf": csrf, "sql_script": script}, headers=HX
    )
    assert "The script is valid" in ok.text


async def test_edit_detects_a_concurrent_change(world: World) -> None:
    csrf = await sign_in(world.client)
    deployment_id = await _create(world, csrf)
    stale = {"csrf": csrf, "deployment_id": deployment_id, "name": "orders", "sql_script": SQL}
    await world.client.post("/console/sql/save", data={**stale, "expected_version": "1"})
    again = await world.client.post("/console/sql/save", data={**stale, "expected_version": "1"})
    assert again.status_code == 409
    assert "re-read it" in again.text


async def test_actions_report_their_result_or_the_error(world: World) -> None:
    csrf = await sign_in(world.client)
    deployment_id = await _create(world, csrf)
    base = f"/console/deployments/{deployment_id}"

    started = await world.client.post(f"{base}/start", data={"csrf": csrf}, headers=HX)
    assert "Start requested" in started.text
    assert started.headers["hx-trigger"] == "refresh"

    again = await world.client.post(f"{base}/start", data={"csrf": csrf}, headers=HX)
    assert again.status_code == 200  # htmx swaps only 2xx: the error goes to #flash
    assert again.headers["hx-retarget"] == "#flash"
    assert "already has a live job" in again.text
    assert "tone-bad" in again.text

    deleted = await world.client.post(f"{base}/delete", data={"csrf": csrf}, headers=HX)
    assert "stop it before deleting" in deleted.text

    savepoint = await world.client.post(f"{base}/savepoint", data={"csrf": csrf}, headers=HX)
    assert "no RUNNING job" in savepoint.text  # still STARTING: no reconciler here

    stopped = await world.client.post(
        f"{base}/stop", data={"csrf": csrf, "strategy": "NONE"}, headers=HX
    )
    assert "Stop (NONE) requested" in stopped.text
    job = world.services.jobs.list(SCOPE, deployment_id, Page())[0][0]
    assert job.desired is DesiredState.STOPPED


async def test_live_fragment_signals_a_status_change(world: World) -> None:
    csrf = await sign_in(world.client)
    deployment_id = await _create(world, csrf)
    live = f"/console/deployments/{deployment_id}/live"
    unchanged = await world.client.get(f"{live}?seen=NOT%20STARTED")
    assert "hx-trigger" not in unchanged.headers
    await world.client.post(
        f"/console/deployments/{deployment_id}/start", data={"csrf": csrf}, headers=HX
    )
    changed = await world.client.get(f"{live}?seen=NOT%20STARTED")
    assert changed.headers["hx-trigger"] == "status-changed"
    assert "seen=STARTING" in changed.text


async def test_viewer_can_look_but_not_act(world: World) -> None:
    admin_csrf = await sign_in(world.client)
    deployment_id = await _create(world, admin_csrf)
    world.client.cookies.clear()
    csrf = await sign_in(world.client, "MSVIEW", "v1ew")
    page = await world.client.get(f"/console/deployments/{deployment_id}")
    assert "can only look" in page.text
    assert 'id="start-form"' not in page.text
    refused = await world.client.post(
        f"/console/deployments/{deployment_id}/start", data={"csrf": csrf}, headers=HX
    )
    assert "does not allow write" in refused.text
    editor = await world.client.get("/console/sql/new")
    assert editor.status_code == 403


async def test_namespace_switch(world: World) -> None:
    csrf = await sign_in(world.client)
    page = await world.client.get("/console/deployments")
    assert 'value="default/other"' in page.text
    switched = await world.client.post(
        "/console/scope", data={"csrf": csrf, "scope": "default/other"}, follow_redirects=False
    )
    assert switched.status_code == 303
    listing = await world.client.get("/console/deployments")
    assert "default / other" in listing.text
    refused = await world.client.post(
        "/console/scope", data={"csrf": csrf, "scope": "default/secret"}
    )
    assert refused.status_code == 404


async def test_sign_out_clears_the_session(world: World) -> None:
    csrf = await sign_in(world.client)
    response = await world.client.post(
        "/console/sign-out", data={"csrf": csrf}, follow_redirects=False
    )
    assert response.headers["location"] == "/console/sign-in"
    after = await world.client.get("/console/deployments", follow_redirects=False)
    assert after.status_code == 303
