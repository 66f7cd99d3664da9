"""foas packages (spec §3.4): CreatePackage, GetPackage, ListPackage, UpdatePackage,
DeletePackage and GetRefPackageJob over the project's packages
(``control.services.packages``: the namespace's artifacts and their catalog entries).

- CreatePackage registers ``packageName`` with its ``type`` and where the file is:
  ``ossBucket`` + ``ossPath`` become the location ``oss://<bucket>/<path>`` (the bucket
  is the first label of a bucket host such as ``b.oss-cn-hangzhou.aliyuncs.com``),
  which the artifact resolver maps onto the store as configured; an ``ossPath`` that is
  already a URI is kept as is. ``ossEndpoint``/``ossOwner`` are kept and shown back.
  A name registered twice is ``Package.AlreadyExists`` (409).
- Files uploaded to the namespace's artifact store (native API, console) are packages
  too: listed and shown with the type their name suggests.
- DeletePackage removes the entry and the stored file; while a job of the project uses
  the package (in ``packages`` or its artifact) it is refused with ``Package.InUse``
  (409), the document's "referenced by an online job".
- GetRefPackageJob lists those jobs in the document's ``Job`` shape, paged.
- ``ScanState`` is ``SKIP_SCAN``: Millstream runs no security scan of jars.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.context import Project, open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.api.foas.mappers import job_view
from millstream.api.foas.routing import PROJECT, Params, foas_router, read_params
from millstream.api.foas.scan import all_deployments, uses_package
from millstream.control.services.packages import PackagePatch, PackageService
from millstream.domain.errors import Conflict, Unavailable
from millstream.domain.packages import Package, PackageKind

__all__ = ["router"]

router = foas_router()

PACKAGES = PROJECT + "/packages"
PACKAGE = PACKAGES + "/{packageName}"
PACKAGE_EXISTS = "Package.AlreadyExists"
PACKAGE_IN_USE = "Package.InUse"
_OSS_FIELDS = ("ossBucket", "ossEndpoint", "ossOwner", "ossPath")
_MAX_PAGE_SIZE = 100


def _service(project: Project) -> PackageService:
    service = project.services.packages
    if service is None:
        raise Unavailable("packages are not enabled on this server (no package service wired)")
    return service


def _millis(package: Package, which: str) -> int | None:
    moment = package.created_at if which == "created" else package.modified_at
    return int(moment.timestamp() * 1000) if moment is not None else None


def _view(package: Package, project: Project) -> dict[str, Any]:
    attributes = package.attributes
    return {
        "CreateTime": _millis(package, "created"),
        "Creator": package.creator or "",
        "Description": package.description,
        "Md5": package.md5,
        "Modifier": package.modifier or "",
        "ModifyTime": _millis(package, "modified"),
        "OriginName": package.origin_name or package.name,
        "OssBucket": attributes.get("ossBucket", ""),
        "OssEndpoint": attributes.get("ossEndpoint", ""),
        "OssOwner": attributes.get("ossOwner", ""),
        "OssPath": attributes.get("ossPath", package.location),
        "PackageName": package.name,
        "ProjectName": project.name,
        "ScanErrorMessage": "",
        "ScanExtBizNo": "",
        "ScanLink": "",
        "ScanState": "SKIP_SCAN",
        "Tag": package.tag,
        "Type": package.kind.value,
    }


def _kind(params: Params, *, required: bool) -> PackageKind | None:
    raw = params.required("type") if required else params.text("type")
    if raw is None:
        return None
    try:
        return PackageKind(raw.upper())
    except ValueError:
        kinds = ", ".join(k.value for k in PackageKind)
        raise FoasError(
            400, INVALID_PARAMETER, f"type must be one of {kinds}, not {raw[:40]!r}"
        ) from None


def _location(bucket: str | None, path: str | None) -> str | None:
    """``oss://<bucket>/<path>`` from the document's fields (None: not sent)."""
    if path is None:
        return None
    if "://" in path or not bucket:
        return path
    return f"oss://{bucket.split('.', 1)[0]}/{path.lstrip('/')}"


def _patch(params: Params, *, creating: bool, old: Package | None = None) -> PackagePatch:
    attributes = {name: value for name in _OSS_FIELDS if (value := params.text(name)) is not None}
    bucket = attributes.get("ossBucket") or (old.attributes.get("ossBucket") if old else None)
    path = attributes.get("ossPath")
    if path is None and "ossBucket" in attributes and old is not None:
        path = old.attributes.get("ossPath")
    return PackagePatch(
        kind=_kind(params, required=creating),
        location=_location(bucket, path),
        description=params.text("description"),
        tag=params.text("tag"),
        md5=params.text("md5"),
        origin_name=params.text("originName"),
        attributes=attributes,
    )


def _create(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    package_name = params.required("packageName")
    patch = _patch(params, creating=True)
    project = open_project(request, ctx, name)
    try:
        _service(project).register(project.scope, project.actor, package_name, patch)
    except Conflict as exc:
        raise FoasError(409, PACKAGE_EXISTS, exc.message) from None
    return ok(ctx.request_id)


@router.post(PACKAGES, name="CreatePackage")
async def create_package(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_create, request, ctx, projectName, params)


def _get(request: Request, ctx: RequestContext, name: str, package_name: str) -> Response:
    project = open_project(request, ctx, name)
    package = _service(project).get(project.scope, package_name)
    return ok(ctx.request_id, Package=_view(package, project))


@router.get(PACKAGE, name="GetPackage")
async def get_package(
    projectName: str, packageName: str, request: Request, ctx: Context
) -> Response:
    return await run_in_threadpool(_get, request, ctx, projectName, packageName)


def _paging(params: Params) -> tuple[int, int]:
    page_index = params.integer("pageIndex", 1, low=1) or 1
    page_size = min(params.integer("pageSize", 10, low=1) or 10, _MAX_PAGE_SIZE)
    return page_index, page_size


def _page(items: list[Any], page_index: int, page_size: int) -> dict[str, Any]:
    return {
        "PageIndex": page_index,
        "PageSize": page_size,
        "TotalCount": len(items),
        "TotalPage": (len(items) + page_size - 1) // page_size,
    }


def _list(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    page_index, page_size = _paging(params)
    wanted_name = (params.text("packageName") or "").lower()
    wanted_kind = _kind(params, required=False)
    wanted_tag = params.text("tag")
    project = open_project(request, ctx, name)
    found = [
        p
        for p in _service(project).list(project.scope)
        if wanted_name in p.name.lower()
        and (wanted_kind is None or p.kind is wanted_kind)
        and (wanted_tag is None or p.tag == wanted_tag)
    ]
    shown = found[(page_index - 1) * page_size : page_index * page_size]
    return ok(
        ctx.request_id,
        Packages={"Package": [_view(p, project) for p in shown]},
        **_page(found, page_index, page_size),
    )


@router.get(PACKAGES, name="ListPackage")
async def list_package(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_list, request, ctx, projectName, params)


def _update(
    request: Request, ctx: RequestContext, name: str, package_name: str, params: Params
) -> Response:
    project = open_project(request, ctx, name)
    service = _service(project)
    old = service.get(project.scope, package_name)
    service.update(
        project.scope, project.actor, package_name, _patch(params, creating=False, old=old)
    )
    return ok(ctx.request_id)


@router.put(PACKAGE, name="UpdatePackage")
async def update_package(
    projectName: str, packageName: str, request: Request, ctx: Context
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_update, request, ctx, projectName, packageName, params)


def _delete(request: Request, ctx: RequestContext, name: str, package_name: str) -> Response:
    project = open_project(request, ctx, name)

    def users(package: Package) -> list[str]:
        return [
            d.name
            for d in all_deployments(project)
            if uses_package(d, project, package.name, package.location)
        ]

    try:
        _service(project).delete(project.scope, project.actor, package_name, users=users)
    except Conflict as exc:
        raise FoasError(409, PACKAGE_IN_USE, exc.message) from None
    return ok(ctx.request_id)


@router.delete(PACKAGE, name="DeletePackage")
async def delete_package(
    projectName: str, packageName: str, request: Request, ctx: Context
) -> Response:
    return await run_in_threadpool(_delete, request, ctx, projectName, packageName)


def _jobs(
    request: Request, ctx: RequestContext, name: str, package_name: str, params: Params
) -> Response:
    page_index, page_size = _paging(params)
    project = open_project(request, ctx, name)
    package = _service(project).get(project.scope, package_name)
    using = [
        d
        for d in all_deployments(project)
        if uses_package(d, project, package.name, package.location)
    ]
    using.sort(key=lambda d: d.name)
    shown = using[(page_index - 1) * page_size : page_index * page_size]
    return ok(
        ctx.request_id,
        Jobs={"Job": [job_view(d, project=project.name) for d in shown]},
        **_page(using, page_index, page_size),
    )


@router.get(PACKAGE + "/jobs", name="GetRefPackageJob")
async def get_ref_package_job(
    projectName: str, packageName: str, request: Request, ctx: Context
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_jobs, request, ctx, projectName, packageName, params)
