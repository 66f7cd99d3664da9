"""Native ListEngineVersionMetadata: the engine versions this server runs (any
authenticated caller; not namespaced)."""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from fastapi.responses import JSONResponse

from millstream.api.dialect import Context
from millstream.api.native import mappers
from millstream.api.native.routing import dump, native_router, ok

__all__ = ["router"]

router = native_router()


@router.get("/api/v2/engine-version-meta.json", name="ListEngineVersionMetadata")
def list_engine_version_metadata(ctx: Context) -> JSONResponse:
    return ok(ctx, dump(mappers.engine_versions_to_wire(ctx.services.versions)))
