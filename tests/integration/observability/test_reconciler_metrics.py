"""The running reconciler daemon's ticks reach ``/metrics`` through its tick observer."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from millstream.config import FlinkSettings, ReconcilerSettings, Settings
from millstream.server import build_runtime, create_app
from tests.ports import free_port

from .conftest import parse, scrape_text


def _closed_port() -> int:
    return free_port()  # reserved for this process, nothing listens (tests/ports.py)


async def test_reconciler_ticks_and_heartbeat_are_exported(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        # No Flink answers there: the reconciler ticks without touching a real cluster.
        flink=FlinkSettings(external_rest_url=f"http://127.0.0.1:{_closed_port()}"),
        reconciler=ReconcilerSettings(interval=0.05),
    )
    runtime = build_runtime(settings, start_flink=False)
    try:
        app = create_app(runtime)
        runtime.daemon.start()
        deadline = time.monotonic() + 30
        while runtime.daemon.heartbeat.ticks < 3:
            assert time.monotonic() < deadline, "the reconciler did not tick"
            await asyncio.sleep(0.05)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
            scraped = parse(await scrape_text(client))
    finally:
        runtime.close(stop_flink=False)
    ok = scraped[("millstream_reconciler_ticks_total", (("outcome", "ok"),))]
    assert ok >= 3
    # The daemon still runs while the scrape reads: the two may differ by a tick.
    assert scraped[("millstream_reconciler_tick_duration_seconds_count", ())] >= 3
    assert scraped[("millstream_reconciler_leader", ())] == 1
    assert scraped[("millstream_reconciler_last_tick_timestamp_seconds", ())] > 0
