"""The native dialect: Alibaba Realtime Compute "ververica" API 2022-07-18.

``NATIVE`` (``dialect``) is the dialect value the server lists. Schemas (``schemas``),
domain conversions (``mappers``), the envelope and error mapping (``errors``,
``envelope``), job states (``states``), the operation table (``operation_table``), the
route class and request context (``routing``) and one route module per resource (listed
in ``routes``), so the official ``alibabacloud-ververica20220718`` SDK works unchanged
against Millstream.
"""

from millstream.api.native.dialect import NATIVE
from millstream.api.native.routes import Authenticate, build_router

__all__ = ["NATIVE", "Authenticate", "build_router"]
