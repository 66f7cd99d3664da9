"""Millstream's admin API (access keys, audit log), importable from its first home: the
routes are the native dialect's ``api.native.access_keys``."""

from millstream.api.native.access_keys import PREFIX, CreateKeyBody, build_admin_router, router

__all__ = ["PREFIX", "CreateKeyBody", "build_admin_router", "router"]
