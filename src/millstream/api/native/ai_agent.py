"""Native ChatAiAgent (``POST /advisor/v2/namespaces/{namespace}/ai-agent/stream/agent/v2/
chat``): Millstream has no AI agent, so every call is a documented 404 ``NotFound`` in the
native envelope (plain or SSE call alike) instead of an unrouted path. The body is not read.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from fastapi.responses import JSONResponse

from millstream.api.native.routing import Ctx, native_router
from millstream.domain.errors import ErrorCode, NotFound

__all__ = ["router"]

router = native_router()


@router.post("/advisor/v2/namespaces/{namespace}/ai-agent/stream/agent/v2/chat", name="ChatAiAgent")
def chat_ai_agent(ctx: Ctx) -> JSONResponse:  # noqa: ARG001 (validates the namespace)
    raise NotFound(
        "ChatAiAgent is not supported: Millstream has no AI agent; diagnose a job with "
        "GetJobDiagnosis instead",
        code=ErrorCode.NOT_FOUND,
    )
