"""Issue 19, lesser findings about the console, performed through HTTP (httpx against the
console router over real control services; ``tests.unit.web.conftest`` builds it).

- Sign-in had no CSRF protection and ignored ``Origin``: a page on another site could sign
  a victim into the attacker's account (login CSRF) or post forms with their session.
- Sign-out only deleted the cookie in the browser: a copy kept by anyone kept working
  for 12 hours.
- Pages were sent without CSP, ``X-Frame-Options``, ``nosniff`` or ``Referrer-Policy``
  (clickjacking, script injection without a safety net).
- Failed sign-ins were not throttled.
"""

from __future__ import annotations

import re

import httpx

from tests.unit.web.conftest import World, sign_in, sign_in_form, world

__all__ = ["world"]  # the fixture, imported for pytest

EVIL = "http://evil.example"
PAGES = ["/console/sign-in", "/console/deployments", "/console/sql/new", "/console/clusters"]


async def _sign_in_post(world: World, **data: str) -> httpx.Response:
    fields = {"access_key_id": "MSADMIN", "access_key_secret": "s3cret", **data}
    return await world.client.post("/console/sign-in", data=fields, follow_redirects=False)


def _session_cookie(response: httpx.Response) -> str | None:
    for value in response.headers.get_list("set-cookie"):
        if value.startswith("millstream_console="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


async def test_sign_in_without_the_form_token_is_refused(world: World) -> None:
    # A cross-site form cannot read the sign-in page, so it has no token (login CSRF).
    response = await _sign_in_post(world)
    assert response.status_code == 403
    assert _session_cookie(response) is None
    forged = await _sign_in_post(world, sign_in_token="forged")
    assert forged.status_code == 403
    assert _session_cookie(forged) is None


async def test_a_form_token_without_its_cookie_is_refused(world: World) -> None:
    token = await sign_in_form(world.client)
    world.client.cookies.clear()
    response = await _sign_in_post(world, sign_in_token=token)
    assert response.status_code == 403
    assert _session_cookie(response) is None


async def test_posts_from_another_origin_are_refused(world: World) -> None:
    token = await sign_in_form(world.client)
    cross_site = await world.client.post(
        "/console/sign-in",
        data={"access_key_id": "MSADMIN", "access_key_secret": "s3cret", "sign_in_token": token},
        headers={"origin": EVIL},
        follow_redirects=False,
    )
    assert cross_site.status_code == 403
    assert _session_cookie(cross_site) is None

    csrf = await sign_in(world.client)
    for headers in ({"origin": EVIL}, {"origin": "null"}, {"referer": f"{EVIL}/page"}):
        refused = await world.client.post(
            "/console/scope", data={"csrf": csrf, "scope": "default/other"}, headers=headers
        )
        assert refused.status_code == 403, headers
    same = await world.client.post(
        "/console/scope",
        data={"csrf": csrf, "scope": "default/other"},
        headers={"origin": "http://millstream"},
        follow_redirects=False,
    )
    assert same.status_code == 303


async def test_sign_out_invalidates_the_session_server_side(world: World) -> None:
    csrf = await sign_in(world.client)
    kept = world.client.cookies.get("millstream_console")
    assert kept is not None
    signed_out = await world.client.post(
        "/console/sign-out", data={"csrf": csrf}, follow_redirects=False
    )
    assert signed_out.status_code == 303
    # Someone replays the cookie they copied before the sign-out.
    world.client.cookies.set("millstream_console", kept, path="/console")
    replayed = await world.client.get("/console/deployments", follow_redirects=False)
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/console/sign-in"


async def test_every_console_response_carries_the_security_headers(world: World) -> None:
    await sign_in(world.client)
    responses = [await world.client.get(page) for page in PAGES]
    responses.append(await world.client.get("/console/static/console.js"))
    responses.append(await world.client.post("/console/scope", data={}))  # a refused POST
    for response in responses:
        csp = response.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp, response.url
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    for response in responses[: len(PAGES)]:
        # The CSP forbids inline handlers, so pages must not rely on any.
        assert not re.search(r"\son[a-z]+=", response.text), response.url


async def test_failed_sign_ins_are_throttled(world: World) -> None:
    statuses = []
    for _ in range(22):
        token = await sign_in_form(world.client)
        response = await _sign_in_post(world, access_key_secret="guess", sign_in_token=token)
        statuses.append(response.status_code)
    assert statuses[:20] == [401] * 20
    assert statuses[20:] == [429, 429]
    # The right secret is refused too while the address is blocked.
    token = await sign_in_form(world.client)
    blocked = await _sign_in_post(world, sign_in_token=token)
    assert blocked.status_code == 429
    assert _session_cookie(blocked) is None
