"""Console sign-in sessions: an HMAC-signed cookie and the CSRF token derived from it.

``console.build_console`` issues a ``Session`` when someone signs in with an access key and
reads it back on every request. The cookie holds no secret, only who signed in with which
key id, the (workspace, namespace) they look at and when it expires; the signature
(HMAC-SHA256 with the server's session key) makes it tamper-proof. The key itself is
checked again on every request, so revoking it signs its sessions out.

Signing in is protected against cross-site forgery too: the sign-in page sets a random
pre-session cookie and puts a token derived from it in the form (``sign_in_token``); a
POST without the pair is refused. Signing out revokes the session server-side
(``Revocations``): its cookie stops working at once, even if a copy was kept. Revocations
live in the server process (bounded; an entry is dropped when its session would have
expired anyway); a restart or another replica does not know them, so for those the
session's lifetime and revoking the access key remain the backstop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

__all__ = [
    "COOKIE_NAME",
    "SIGN_IN_COOKIE_NAME",
    "Revocations",
    "Session",
    "SessionCodec",
    "derive_session_key",
    "secrets_match",
]

COOKIE_NAME = "millstream_console"
SIGN_IN_COOKIE_NAME = "millstream_sign_in"
_DEFAULT_LIFETIME = 12 * 3600


def derive_session_key(material: bytes | str) -> bytes:
    """A 32-byte key for signing console cookies, derived from any server secret
    (e.g. the contents of ``<data_dir>/secret.key``) so both never coincide."""
    raw = material.encode() if isinstance(material, str) else material
    return hmac.new(raw, b"millstream-console-session-v1", hashlib.sha256).digest()


def secrets_match(given: str, expected: str) -> bool:
    """Constant-time comparison of an entered secret with the stored one."""
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str
    actor_id: str
    actor_name: str
    workspace: str
    namespace: str
    expires_at: int
    nonce: str  # per sign-in: makes every session's CSRF token unique

    def with_scope(self, workspace: str, namespace: str) -> Session:
        return replace(self, workspace=workspace, namespace=namespace)


class SessionCodec:
    """Signs sessions into cookie values and verifies them back."""

    def __init__(self, key: bytes, *, lifetime_seconds: int = _DEFAULT_LIFETIME) -> None:
        if len(key) < 16:
            raise ValueError("the console session key must be at least 16 bytes")
        self._key = key
        self.lifetime_seconds = lifetime_seconds

    def new(
        self,
        *,
        key_id: str,
        actor_id: str,
        actor_name: str,
        workspace: str,
        namespace: str,
        now: float | None = None,
    ) -> Session:
        issued = int(time.time() if now is None else now)
        return Session(
            key_id=key_id,
            actor_id=actor_id,
            actor_name=actor_name,
            workspace=workspace,
            namespace=namespace,
            expires_at=issued + self.lifetime_seconds,
            nonce=secrets.token_urlsafe(12),
        )

    def encode(self, session: Session) -> str:
        payload = _b64(json.dumps(asdict(session), separators=(",", ":")).encode())
        return f"{payload}.{_b64(self._sign(payload))}"

    def decode(self, value: str | None, *, now: float | None = None) -> Session | None:
        """The session in ``value``; None when missing, tampered with or expired."""
        if not value or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        try:
            given = _unb64(signature)
        except ValueError:
            return None
        if not hmac.compare_digest(given, self._sign(payload)):
            return None
        try:
            data: Any = json.loads(_unb64(payload))
            session = Session(**data)
        except (ValueError, TypeError):
            return None
        if session.expires_at < (time.time() if now is None else now):
            return None
        return session

    def csrf_token(self, session: Session) -> str:
        """The token every state-changing request of this session must carry."""
        message = f"csrf:{session.key_id}:{session.nonce}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    @staticmethod
    def new_sign_in_nonce() -> str:
        """The random value of the pre-session cookie the sign-in page sets."""
        return secrets.token_urlsafe(24)

    def sign_in_token(self, nonce: str) -> str:
        """The form token that must come with the pre-session cookie ``nonce``."""
        message = f"sign-in:{nonce}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def sign_in_matches(self, nonce: str | None, token: str) -> bool:
        """Whether a sign-in POST carries the token of its own pre-session cookie."""
        if not nonce or not token:
            return False
        return secrets_match(token, self.sign_in_token(nonce))

    def _sign(self, payload: str) -> bytes:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64") from exc


class Revocations:
    """Sessions signed out before they expired (by their per-sign-in nonce).

    At most ``max_entries`` are kept; expired sessions are forgotten first (their cookies
    no longer decode anyway), and if every entry is still live the one expiring soonest
    goes. Thread-safe: console handlers run in the thread pool.
    """

    def __init__(self, *, max_entries: int = 100_000) -> None:
        self._max = max_entries
        self._until: dict[str, int] = {}
        self._lock = threading.Lock()

    def revoke(self, session: Session, *, now: float | None = None) -> None:
        current = time.time() if now is None else now
        with self._lock:
            self._until[session.nonce] = session.expires_at
            if len(self._until) > self._max:
                for nonce in [n for n, until in self._until.items() if until < current]:
                    del self._until[nonce]
            while len(self._until) > self._max:
                del self._until[min(self._until, key=self._until.__getitem__)]

    def is_revoked(self, session: Session) -> bool:
        with self._lock:
            return session.nonce in self._until

    def __len__(self) -> int:
        with self._lock:
            return len(self._until)
