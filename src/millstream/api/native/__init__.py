"""The native dialect: Alibaba Realtime Compute "ververica" API 2022-07-18.

Schemas (``schemas``), domain conversions (``mappers``), the envelope and error mapping
(``errors``) and the router (``routes.build_router``), so the official
``alibabacloud-ververica20220718`` SDK works unchanged against Millstream.
"""

from millstream.api.native.routes import Authenticate, build_router

__all__ = ["Authenticate", "build_router"]
