"""Draft ids: what CreateGWSApplicationDraft answers before the draft has any content.

A Volcengine draft starts empty (name, job type, engine version) and gets its SQL or JAR
from UpdateGWSApplicationDraft; DeployGWSApplicationDraft turns it into an application.
Millstream has no empty deployments, so the draft lives as a deployment from its first
update on (labelled ``volcengine.stage=DRAFT`` until deployed), and the draft id itself
carries what the create said: ``d-`` + base64url of ``{"p": project, "n": JobName,
"t": JobType, "v": EngineVersion}``. The id is not a secret and grants nothing: every
use checks the caller's role in its project. A draft keeps its ``JobName``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from millstream.domain.errors import ErrorCode, NotFound

__all__ = ["Draft", "decode_draft", "encode_draft"]

_PREFIX = "d-"


@dataclass(frozen=True, slots=True)
class Draft:
    project: str
    name: str
    job_type: str
    engine_version: str | None = None


def encode_draft(draft: Draft) -> str:
    payload = {"p": draft.project, "n": draft.name, "t": draft.job_type}
    if draft.engine_version:
        payload["v"] = draft.engine_version
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return _PREFIX + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_draft(draft_id: str) -> Draft:
    """The draft an id names; ``NotFound`` for anything that is not a draft id."""
    text = draft_id.strip()
    if not text.startswith(_PREFIX):
        raise _unknown(draft_id)
    encoded = text[len(_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _unknown(draft_id) from None
    if not isinstance(payload, dict):
        raise _unknown(draft_id)
    project, name, job_type = payload.get("p"), payload.get("n"), payload.get("t")
    version = payload.get("v")
    if not all(isinstance(value, str) and value for value in (project, name, job_type)):
        raise _unknown(draft_id)
    return Draft(
        project=str(project),
        name=str(name),
        job_type=str(job_type),
        engine_version=version if isinstance(version, str) else None,
    )


def _unknown(draft_id: str) -> NotFound:
    return NotFound(
        f"draft {draft_id[:80]!r} not found: use the Id CreateGWSApplicationDraft returned",
        code=ErrorCode.DEPLOYMENT_NOT_FOUND,
    )
