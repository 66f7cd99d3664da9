"""``Dialect``: one API dialect as a value, the unit the app factory serves.

A dialect is a package ``api/<name>/`` that builds one of these (``api.native.NATIVE``);
``composition.py`` lists the dialects it serves and ``api.app.create_api`` mounts each: its
routers bound to the services and its own guard (its signature verifiers, then RBAC by
operation), its envelope for every failure under its ``prefixes`` (unknown paths, wrong
methods, 413) and its request-id header. ``error_codes`` and ``job_states`` are the
dialect's total mappings of the domain's ``ErrorCode`` and ``JobStatus``, which
``tests/unit/api/test_dialect_mappings.py`` walks for every registered dialect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter

from millstream.api.auth.authenticator import SignatureVerifier
from millstream.api.dialect.envelopes import Envelope
from millstream.api.dialect.operations import OperationTable
from millstream.api.dialect.routing import Binding, DialectRoute, Guard, bound_router
from millstream.api.dialect.scopes import ScopeResolver
from millstream.control.services import Services
from millstream.domain.errors import ErrorCode
from millstream.domain.jobs import JobStatus

__all__ = ["Dialect", "owning_dialect"]

_EXACT = 1 << 30  # longer than any prefix


@dataclass(frozen=True)
class Dialect:
    """What a dialect brings; see README "Adding a dialect"."""

    name: str
    # Its route class: envelope, operation table and scope resolver (class attributes).
    route_class: type[DialectRoute]
    # Module-level routers whose routes all use ``route_class``.
    routers: Sequence[APIRouter]
    # Signature schemes its SDKs use, tried in order by the shared Authenticator.
    verifiers: Sequence[SignatureVerifier]
    # Path prefixes it owns: failures there (404, 405, 413) answer in its envelope.
    prefixes: tuple[str, ...]
    # Domain ErrorCode -> wire code, and domain JobStatus -> wire job state (both total).
    error_codes: Mapping[ErrorCode, str] = field(default_factory=dict)
    job_states: Mapping[JobStatus, str] = field(default_factory=dict)
    # Prefixes whose routes stream the body to disk under their own size limit.
    streamed_prefixes: tuple[str, ...] = ()
    # Exact paths it owns besides its prefixes (an RPC dialect's "/"); they win over
    # any prefix.
    paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.route_class.dialect != self.name:
            raise ValueError(f"route class of {self.name!r} says {self.route_class.dialect!r}")
        if any(prefix in {"", "/"} for prefix in self.prefixes):
            raise ValueError(f"{self.name}: a prefix must not claim every path")

    @property
    def envelope(self) -> Envelope:
        return self.route_class.envelope

    @property
    def operations(self) -> OperationTable:
        return self.route_class.operations

    @property
    def scopes(self) -> ScopeResolver:
        return self.route_class.scopes

    @property
    def request_id_header(self) -> str:
        return self.envelope.request_id_header

    def router(
        self, services: Services, guard: Guard, *, public_url: str | None = None
    ) -> APIRouter:
        """All of its routes, bound to ``services`` and ``guard``."""
        return bound_router(self.routers, Binding(services, guard, public_url))

    def owns(self, path: str) -> int:
        """How specifically it owns ``path``: 0 not at all, else the length of its
        longest prefix ``path`` is under; an exact path beats every prefix."""
        if path in self.paths:
            return _EXACT
        return max((len(p) for p in self.prefixes if path.startswith(p)), default=0)


def owning_dialect(dialects: Iterable[Dialect], path: str) -> Dialect | None:
    """The dialect whose prefix ``path`` is under (the longest prefix wins)."""
    best: Dialect | None = None
    length = 0
    for dialect in dialects:
        owned = dialect.owns(path)
        if owned > length:
            best, length = dialect, owned
    return best
