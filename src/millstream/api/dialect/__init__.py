"""What an API dialect is: the seam every dialect package (``api/<name>/``) plugs into.

A dialect (``Dialect``) brings its name, its signature verifiers, a scope resolver
(``ScopeResolver``: workspace and namespace from path, header, query or JSON body), a
table of its operations (``OperationTable``: name, read or write), its envelope and
request-id header (``Envelope``), its routers, and its total ``error_codes`` and
``job_states`` mappings. Its routes use a ``DialectRoute`` subclass and take the one
shared ``Context`` dependency. ``api.app.create_api(services, access, dialects=[...])``
serves a list of them; nothing below ``api/`` knows a dialect exists.
"""

from millstream.api.dialect.dialects import Dialect, owning_dialect
from millstream.api.dialect.envelopes import Envelope
from millstream.api.dialect.fallbacks import install_fallbacks
from millstream.api.dialect.operations import Access, Operation, OperationTable, read, write
from millstream.api.dialect.routing import (
    Binding,
    Call,
    Context,
    DialectRoute,
    Guard,
    RequestContext,
    authenticated_actor,
    binding_of,
    bound_router,
    call_of,
    request_context,
    resolved_scope,
)
from millstream.api.dialect.scopes import (
    ScopeResolver,
    ScopeSource,
    header,
    json_field,
    path_param,
    query_param,
)

__all__ = [
    "Access",
    "Binding",
    "Call",
    "Context",
    "Dialect",
    "DialectRoute",
    "Envelope",
    "Guard",
    "Operation",
    "OperationTable",
    "RequestContext",
    "ScopeResolver",
    "ScopeSource",
    "authenticated_actor",
    "binding_of",
    "bound_router",
    "call_of",
    "header",
    "install_fallbacks",
    "json_field",
    "owning_dialect",
    "path_param",
    "query_param",
    "read",
    "request_context",
    "resolved_scope",
    "write",
]
