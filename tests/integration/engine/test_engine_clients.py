"""``FlinkEngine.cluster``: one REST client per cluster URL, one TLS context for all of them
(loading the CA bundle per client cost ~25 ms each in the reconciler's first tick)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from millstream.engine import FlinkEngine, FlinkRuntime
from tests.factories import make_cluster


def test_clusters_share_one_tls_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    real = httpx.create_ssl_context

    def counting() -> object:
        context = real()
        made.append(context)
        return context

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    engine = FlinkEngine(data_dir=tmp_path, runtime=FlinkRuntime.detect(), request_timeout=5)
    try:
        first = engine.cluster(make_cluster(name="a", rest_url="http://127.0.0.1:1/a"))
        second = engine.cluster(make_cluster(name="b", rest_url="https://127.0.0.1:1/b"))
        again = engine.cluster(make_cluster(name="c", rest_url="http://127.0.0.1:1/a/"))
    finally:
        engine.close()
    assert first is again
    assert second is not first
    assert len(made) == 1
