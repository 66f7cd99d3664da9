"""Browser-side protections of the console: the security headers every console response
carries and the same-origin check of state-changing requests.

``route.ConsoleRoute`` applies both to every route under ``/console``.

- ``Content-Security-Policy``: scripts and styles only from the console itself (no
  inline scripts: the templates carry no ``on*=`` handlers, ``static/console.js`` wires
  them), no plugins, no ``<base>`` tricks, forms post only to the console, and no page may
  frame it (with ``X-Frame-Options: DENY`` for older browsers): no clickjacking.
  Inline ``style`` stays allowed because htmx inserts its indicator styles.
- ``X-Content-Type-Options: nosniff``: a file is never run as another type.
- ``Referrer-Policy: same-origin``: links to the Flink UI or elsewhere do not carry
  console URLs (deployment ids, filters) to other sites.
- ``same_origin``: a POST whose ``Origin`` (or, without one, ``Referer``) names another
  host than the one the request was sent to is refused; browsers send ``Origin`` on every
  cross-site form post. Requests with neither header (curl, tests) pass on to the CSRF
  token check, which every POST must pass anyway.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "same_origin"]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _host_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts.netloc.lower() or None


def same_origin(request: Request) -> bool:
    """Whether a browser request comes from a console page of this very host.

    Compares host and port only: behind a TLS-terminating proxy the scheme the server
    sees differs from the browser's while the ``Host`` header is passed on.
    """
    host = (request.headers.get("host") or "").lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and _host_of(origin) == host
    referer = request.headers.get("referer")
    if referer is not None:
        return _host_of(referer) == host
    return True
