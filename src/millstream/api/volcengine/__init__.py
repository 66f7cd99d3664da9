"""The Volcengine Flink 2025-01-01 dialect (``volcenginesdkflink20250101``), one package.

RPC on ``/`` (``routes``), the V4 ``HMAC-SHA256`` signature (``signature``), the
``ResponseMetadata`` + ``Result`` envelope (``envelope``, ``errors``), the state table
(``states``), wire models (``schemas``), mappers to and from the domain (``mappers``) and
one module per resource (``applications``, ``instances``, ``savepoints``,
``resource_pools``). ``VOLCENGINE`` is the value the server lists among its dialects.
"""

from millstream.api.dialect import Dialect
from millstream.api.volcengine.errors import VOLCENGINE_CODES
from millstream.api.volcengine.operations import DIALECT
from millstream.api.volcengine.routes import VolcengineRoute, router
from millstream.api.volcengine.signature import VolcengineVerifier
from millstream.api.volcengine.states import INSTANCE_STATES

__all__ = ["VOLCENGINE"]

VOLCENGINE = Dialect(
    name=DIALECT,
    route_class=VolcengineRoute,
    routers=[router],
    verifiers=[VolcengineVerifier()],
    # Its one path is "/" (RPC: the Action is in the query); the route answers every
    # method and every Action itself, and a 413 there is answered in its envelope.
    prefixes=(),
    paths=("/",),
    error_codes=VOLCENGINE_CODES,
    job_states=INSTANCE_STATES,
)
