"""Packages: files a namespace's deployments use (jars, Python files, dictionaries,
scripts), registered by name with where the file comes from (DESIGN.md §2).

A ``Package`` is the catalog entry of a file: its kind, its location (a URI the
artifact resolver understands: ``oss://bucket/key``, ``https://...``, or the namespace's
artifact store), an optional MD5, a description and a free tag. The file itself is an
artifact of the namespace under the package's name. The package service
(``control.services.packages``) and the store call these; nothing here does I/O.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from millstream.domain.errors import InvalidInput

__all__ = [
    "MAX_ORIGIN_NAME",
    "MAX_TAG",
    "Package",
    "PackageKind",
    "kind_of_file",
    "validate_md5",
    "validate_package_name",
]

MAX_TAG = 2048
MAX_ORIGIN_NAME = 512
_MAX_NAME = 128
_MD5 = re.compile(r"[0-9a-fA-F]{32}")


class PackageKind(enum.StrEnum):
    JAR = "JAR"
    PYTHON = "PYTHON"  # a .py file or a zip of them
    DICTIONARY = "DICTIONARY"  # a plain data file shipped with the job
    SCRIPT = "SCRIPT"


def kind_of_file(name: str) -> PackageKind:
    """The kind a stored file's name suggests (for files nobody registered)."""
    lowered = name.lower()
    if lowered.endswith(".jar"):
        return PackageKind.JAR
    if lowered.endswith((".py", ".zip", ".egg", ".whl")):
        return PackageKind.PYTHON
    if lowered.endswith((".sh", ".sql")):
        return PackageKind.SCRIPT
    return PackageKind.DICTIONARY


def validate_package_name(name: str) -> str:
    """A file name: 1-128 printable characters, no ``/``, not ``.`` or ``..``."""
    if (
        not name
        or len(name) > _MAX_NAME
        or "/" in name
        or "\\" in name
        or name in (".", "..")
        or not name.isprintable()
    ):
        raise InvalidInput(
            f"invalid package name {name[:60]!r}: 1-{_MAX_NAME} printable characters, "
            "a file name without '/'"
        )
    return name


def validate_md5(value: str) -> str:
    """An MD5 in hex (32 digits), kept in lower case."""
    if not _MD5.fullmatch(value):
        raise InvalidInput(f"md5 must be 32 hexadecimal digits, got {value[:40]!r}")
    return value.lower()


@dataclass(slots=True)
class Package:
    """A registered package of one namespace; ``attributes`` keeps the caller's own
    description of the location (e.g. a cloud's bucket, endpoint and owner)."""

    workspace: str
    namespace: str
    name: str
    kind: PackageKind
    location: str = ""
    description: str = ""
    tag: str = ""
    md5: str = ""
    origin_name: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    def validate(self) -> None:
        validate_package_name(self.name)
        if self.md5:
            self.md5 = validate_md5(self.md5)
        if len(self.tag) > MAX_TAG:
            raise InvalidInput(f"a package tag has at most {MAX_TAG} characters")
        if len(self.origin_name) > MAX_ORIGIN_NAME:
            raise InvalidInput(
                f"a package's original name has at most {MAX_ORIGIN_NAME} characters"
            )
        texts = [self.location, self.description, self.tag, self.origin_name]
        texts += [*self.attributes, *self.attributes.values()]
        if any("\x00" in text for text in texts):
            raise InvalidInput("package fields cannot contain NUL characters")
