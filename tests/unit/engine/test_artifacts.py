"""Artifact store, name validation and URI resolution, without Flink or a network:
the store runs on fsspec's in-memory file system, downloads on ``httpx.MockTransport``."""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from millstream.domain.errors import InvalidArtifact, NotFound, PayloadTooLarge
from millstream.engine.artifacts import FsspecArtifactStore, validate_name
from millstream.engine.jar_submitter import program_args
from millstream.engine.jars import JarCache, find_class, main_class
from millstream.engine.python_submitter import check_python_syntax
from millstream.engine.uris import ArtifactResolver, StoreKey, map_uri

WS, NS = "ws", "ns"


@pytest.fixture
def memory_store() -> Iterator[FsspecArtifactStore]:
    root = f"memory://artifacts-{uuid.uuid4().hex}"
    store = FsspecArtifactStore(root, max_upload_bytes=1000)
    yield store
    store._fs.rm(store._root, recursive=True)


@pytest.mark.parametrize(
    "name",
    ["app.jar", "libs/dep-1.0.jar", "word_count.py", "Ünïcode name (v2).zip", "a+b=c~@[x].jar"],
)
def test_safe_names_are_accepted(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "empty"),
        ("../escape.jar", "'..'"),
        ("a/../../b.jar", "'..'"),
        ("./a.jar", "'..'"),
        ("/etc/passwd", "relative"),
        ("a\\b.jar", "relative"),
        ("C:evil.jar", "relative"),
        ("a//b.jar", "empty"),
        (".hidden", "each part"),
        ("a/.uploads/x", "each part"),
        ("bad\x00name", "control"),
        ("new\nline.jar", "control"),
        ("a,b.py", "each part"),
        ("arch#dir.zip", "each part"),
        ("trailing .jar ", "ending in a space"),
        ("x" * 2000, "longer than"),
        ("/".join(["d"] * 9), "deeper"),
    ],
)
def test_unsafe_names_are_refused(name: str, why: str) -> None:
    with pytest.raises(InvalidArtifact, match=why):
        validate_name(name)


def test_upload_is_published_only_when_committed(memory_store: FsspecArtifactStore) -> None:
    upload = memory_store.begin_upload(workspace=WS, namespace=NS, name="libs/a.jar")
    upload.write(b"abc")
    assert memory_store.read_artifacts(workspace=WS, namespace=NS) == []
    stored = upload.commit()
    assert stored.uri == "artifacts://ws/ns/libs/a.jar"
    assert stored.size == 3
    listed = memory_store.read_artifacts(workspace=WS, namespace=NS)
    assert [(a.name, a.size) for a in listed] == [("libs/a.jar", 3)]
    chunks = memory_store.open_artifact(workspace=WS, namespace=NS, name="libs/a.jar")
    assert b"".join(chunks) == b"abc"


def test_oversized_upload_raises_and_leaves_nothing(memory_store: FsspecArtifactStore) -> None:
    upload = memory_store.begin_upload(workspace=WS, namespace=NS, name="big.jar")
    upload.write(b"x" * 600)
    with pytest.raises(PayloadTooLarge, match="1000 bytes"):
        upload.write(b"x" * 600)
    assert memory_store.read_artifacts(workspace=WS, namespace=NS) == []
    assert memory_store._fs.find(memory_store._root) == []


def test_aborted_upload_leaves_nothing(memory_store: FsspecArtifactStore) -> None:
    upload = memory_store.begin_upload(workspace=WS, namespace=NS, name="a.jar")
    upload.write(b"partial")
    upload.abort()
    assert memory_store._fs.find(memory_store._root) == []


def test_missing_artifact_is_not_found(memory_store: FsspecArtifactStore) -> None:
    with pytest.raises(NotFound):
        memory_store.read_artifact(workspace=WS, namespace=NS, name="nope.jar")
    with pytest.raises(NotFound):
        memory_store.delete_artifact(workspace=WS, namespace=NS, name="nope.jar")


def test_namespaces_are_separate_directories(memory_store: FsspecArtifactStore) -> None:
    upload = memory_store.begin_upload(workspace=WS, namespace="other", name="a.jar")
    upload.write(b"1")
    upload.commit()
    assert memory_store.read_artifacts(workspace=WS, namespace=NS) == []
    with pytest.raises(InvalidArtifact):
        memory_store.begin_upload(workspace=WS, namespace="../x", name="a.jar")


SCHEME_MAP = {
    "oss://bucket": "ws/ns",
    "obs://bucket/artifacts": "ws/ns/from-obs",
    "https://oss/bucket": "ws/ns",
}


@pytest.mark.parametrize(
    ("uri", "key"),
    [
        ("artifacts://ws/ns/app.jar", StoreKey("ws", "ns", "app.jar")),
        ("artifacts://ws/ns/libs/a%20b.jar", StoreKey("ws", "ns", "libs/a b.jar")),
        ("app.jar", StoreKey("w0", "n0", "app.jar")),
        ("oss://bucket/test.jar", StoreKey("ws", "ns", "test.jar")),
        ("obs://bucket/artifacts/x/y.py", StoreKey("ws", "ns", "from-obs/x/y.py")),
        ("https://oss/bucket/addition.jar", StoreKey("ws", "ns", "addition.jar")),
        ("https://example.com/a.jar", None),
        ("file:///tmp/a.jar", None),
    ],
)
def test_uris_map_onto_store_keys(uri: str, key: StoreKey | None) -> None:
    assert map_uri(uri, scheme_map=SCHEME_MAP, workspace="w0", namespace="n0") == key


@pytest.mark.parametrize(
    "uri",
    ["artifacts://ws/ns/../../etc/passwd", "oss://bucket/../x.jar", "artifacts://ws/app.jar"],
)
def test_escaping_uris_are_refused(uri: str) -> None:
    with pytest.raises(InvalidArtifact):
        map_uri(uri, scheme_map=SCHEME_MAP, workspace="w0", namespace="n0")


def test_plain_name_needs_a_namespace() -> None:
    with pytest.raises(InvalidArtifact, match="plain name"):
        map_uri("app.jar", scheme_map={})


def _resolver(
    tmp_path: Path, handler: httpx.MockTransport | None = None, **kw: object
) -> ArtifactResolver:
    store = FsspecArtifactStore(str(tmp_path / "store"))
    kw.setdefault("allowed_hosts", ["repo.example"])  # the mock "repository" host
    return ArtifactResolver(
        store,
        cache_dir=tmp_path / "cache",
        scheme_map={"oss://bucket": "ws/ns"},
        transport=handler,
        **kw,  # type: ignore[arg-type]
    )


def test_file_uris_must_stay_inside_allowed_dirs(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "a.jar").write_bytes(b"jar")
    (tmp_path / "secret.jar").write_bytes(b"secret")
    (allowed / "link.jar").symlink_to(tmp_path / "secret.jar")
    resolver = _resolver(tmp_path, allowed_dirs=[allowed])
    assert resolver.resolve((allowed / "a.jar").as_uri()) == (allowed / "a.jar").resolve()
    for outside in [(tmp_path / "secret.jar").as_uri(), (allowed / "link.jar").as_uri()]:
        with pytest.raises(InvalidArtifact, match="outside"):
            resolver.resolve(outside)
    with pytest.raises(InvalidArtifact, match="another host"):
        resolver.resolve("file://evil/etc/passwd")


def test_unmapped_scheme_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(InvalidArtifact, match="scheme_map"):
        _resolver(tmp_path).resolve("obs://other/x.jar")


def test_mapped_missing_file_is_invalid_artifact(tmp_path: Path) -> None:
    with pytest.raises(InvalidArtifact, match="not found"):
        _resolver(tmp_path).resolve("oss://bucket/missing.jar")


def test_downloads_are_cached_by_content(tmp_path: Path) -> None:
    calls: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, content=b"jar-bytes")

    resolver = _resolver(tmp_path, httpx.MockTransport(serve))
    first = resolver.resolve("https://repo.example/lib/a.jar?token=1")
    second = resolver.resolve("https://repo.example/lib/a.jar?token=1")
    assert first == second
    assert first.name == "a.jar"
    assert first.read_bytes() == b"jar-bytes"
    assert first.parent.parent.name == "sha256"
    assert len(calls) == 1


def test_downloads_over_the_limit_are_refused_and_not_kept(tmp_path: Path) -> None:
    def serve(request: httpx.Request) -> httpx.Response:  # noqa: ARG001
        return httpx.Response(200, content=b"x" * 5000)

    resolver = _resolver(tmp_path, httpx.MockTransport(serve), download_max_bytes=1000)
    with pytest.raises(InvalidArtifact, match="download limit"):
        resolver.resolve("http://repo.example/big.jar")
    assert not list((tmp_path / "cache").rglob("*.jar"))
    assert not list((tmp_path / "cache").glob(".download-*"))


def test_failed_download_is_invalid_artifact(tmp_path: Path) -> None:
    resolver = _resolver(
        tmp_path, httpx.MockTransport(lambda _: httpx.Response(404, text="Not Found: secret"))
    )
    with pytest.raises(InvalidArtifact, match="did not send the file") as refused:
        resolver.resolve("http://repo.example/missing.jar")
    assert "404" not in str(refused.value)  # the remote answer is never echoed
    assert "secret" not in str(refused.value)


def test_downloads_can_be_disabled(tmp_path: Path) -> None:
    with pytest.raises(InvalidArtifact, match="disabled"):
        _resolver(tmp_path, allow_downloads=False).resolve("http://repo.example/a.jar")


def _jar(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_merged_jar_keeps_main_first_and_concatenates_services(tmp_path: Path) -> None:
    main = _jar(
        tmp_path / "main.jar",
        {
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\nMain-Class: a.Main\n",
            "a/Main.class": b"main",
            "META-INF/services/x.Factory": b"a.One\n",
        },
    )
    dep = _jar(
        tmp_path / "dep.jar",
        {
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\nMain-Class: b.Other\n",
            "META-INF/DEP.SF": b"signature",
            "a/Main.class": b"shadowed",
            "b/Dep.class": b"dep",
            "META-INF/services/x.Factory": b"b.Two\n",
        },
    )
    cache = JarCache(tmp_path / "jars")
    merged = cache.merged(main, [dep])
    assert cache.merged(main, [dep]) == merged  # cached by content
    with zipfile.ZipFile(merged) as archive:
        assert archive.read("a/Main.class") == b"main"
        assert archive.read("b/Dep.class") == b"dep"
        assert archive.read("META-INF/services/x.Factory") == b"a.One\nb.Two\n"
        assert "META-INF/DEP.SF" not in archive.namelist()
    assert main_class(merged) == "a.Main"
    assert find_class("b.Dep", [main, dep])
    assert not find_class("c.Missing", [main, dep])


def test_published_jar_name_changes_with_content(tmp_path: Path) -> None:
    cache = JarCache(tmp_path / "jars")
    jar = _jar(tmp_path / "app.jar", {"a.class": b"1"})
    first = cache.publish(jar)
    _jar(jar, {"a.class": b"2"})
    assert cache.publish(jar) != first
    assert first.name.startswith("app-")


def test_not_a_jar_is_invalid_artifact(tmp_path: Path) -> None:
    (tmp_path / "x.jar").write_bytes(b"not a zip")
    with pytest.raises(InvalidArtifact, match="not a jar"):
        main_class(tmp_path / "x.jar")


def test_main_args_are_split_like_a_shell() -> None:
    assert program_args("--a 1 --name 'two words' \"x y\"") == [
        "--a",
        "1",
        "--name",
        "two words",
        "x y",
    ]
    assert program_args(None) == []
    with pytest.raises(InvalidArtifact, match="mainArgs"):
        program_args("--a 'unclosed")


def test_python_syntax_errors_carry_pythons_message(tmp_path: Path) -> None:
    program = tmp_path / "job.py"
    program.write_text("x = 1\ndef f(:\n    pass\n")
    with pytest.raises(InvalidArtifact, match=r"job.py.*line 2.*SyntaxError"):
        check_python_syntax(program)
    program.write_text("print('fine')\n")
    check_python_syntax(program)
