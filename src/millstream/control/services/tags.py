"""Tag use cases: key/value tags on resources of a workspace, named by type and id.

``tag`` sets tags (one value per key, at most ``MAX_TAGS`` per resource), ``untag``
removes some keys or all, ``list`` finds the tags of resources, optionally only those
carrying given key/value pairs. The resource's existence is the caller's check (it knows
what the type means). The API dialects call it through ``Services.tags``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from millstream.control.catalog_ports import CatalogStore
from millstream.domain.errors import InvalidInput
from millstream.domain.tags import MAX_TAGS, ResourceTag, validate_resource_id, validate_tag

__all__ = ["TagService"]


class TagService:
    def __init__(self, store: CatalogStore) -> None:
        self._store = store

    def tag(
        self,
        workspace: str,
        resource_type: str,
        resource_ids: Collection[str],
        tags: Mapping[str, str],
    ) -> None:
        if not resource_ids or not tags:
            raise InvalidInput("tagging needs at least one resource and one tag")
        for resource_id in resource_ids:
            validate_resource_id(resource_id)
        for key, value in tags.items():
            validate_tag(key, value)
        with self._store.transaction() as repos:
            for resource_id in resource_ids:
                existing = {
                    t.key
                    for t in repos.read_tags(
                        workspace=workspace, resource_type=resource_type, resource_ids=[resource_id]
                    )
                }
                if len(existing | set(tags)) > MAX_TAGS:
                    raise InvalidInput(
                        f"{resource_type} {resource_id!r} would have more than {MAX_TAGS} tags"
                    )
                for key, value in tags.items():
                    repos.put_tag(
                        tag=ResourceTag(workspace, resource_type, resource_id, key, value)
                    )

    def untag(
        self,
        workspace: str,
        resource_type: str,
        resource_ids: Collection[str],
        keys: Collection[str] | None,
    ) -> int:
        """Remove ``keys`` (``None``: every tag) from the resources; how many went."""
        if not resource_ids:
            raise InvalidInput("untagging needs at least one resource")
        for resource_id in resource_ids:
            validate_resource_id(resource_id)
        with self._store.transaction() as repos:
            return sum(
                repos.delete_tags(
                    workspace=workspace,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    keys=keys,
                )
                for resource_id in resource_ids
            )

    def list(
        self,
        workspace: str,
        resource_type: str,
        resource_ids: Collection[str] | None = None,
        having: Mapping[str, str] | None = None,
    ) -> list[ResourceTag]:
        """Tags of the resources (``None``: all of the type); with ``having``, only the
        resources that carry every one of those key/value pairs."""
        for resource_id in resource_ids or ():
            validate_resource_id(resource_id)
        with self._store.transaction() as repos:
            tags = repos.read_tags(
                workspace=workspace, resource_type=resource_type, resource_ids=resource_ids
            )
        if having:
            by_resource: dict[str, dict[str, str]] = {}
            for tag in tags:
                by_resource.setdefault(tag.resource_id, {})[tag.key] = tag.value
            keep = {
                rid
                for rid, own in by_resource.items()
                if all(own.get(k) == v for k, v in having.items())
            }
            tags = [t for t in tags if t.resource_id in keep]
        return tags
