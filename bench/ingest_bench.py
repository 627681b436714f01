"""HTTP ingest throughput: ``POST /v1/hotline.work_order/records`` with batches of ``--batch`` JSON
work orders, ``--concurrency`` requests at a time, into the real broker and registry.

The ingest application (producers.http) is served in this process and the client runs in it
too, on the same event loop: the client's cost (JSON encoding, HTTP) is counted against the
server, so the rate is a floor for a server on a core of its own. A request counts when it is
answered 202, i.e. after every record of it has been acknowledged by the broker. Timed from the
first request to the last answer, after one warm-up request; medians over ``--repeat`` rounds.

    python -m bench.ingest_bench [--records 20000] [--batch 500] [--concurrency 4] [--repeat 3]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import time
import uuid
from datetime import date, datetime
from typing import Any

import aiohttp
from aiohttp import web

from bench import entry
from commands.endpoints import with_endpoints
from govbus.core import identities
from govbus.core.settings import GovbusSettings
from producers.http.logic import hashed_token, tokens_from
from producers.http.main import build_ingest_app
from producers.synthetic.generate import work_orders

DATASET = "hotline.work_order"
TOKEN = "bench-token"  # noqa: S105 - a token for this process's own server, nowhere else


def bodies(count: int, batch: int) -> list[bytes]:
    """JSON request bodies, ``batch`` clean work orders each, as a department would POST them."""
    records = []
    for n, record in enumerate(work_orders(count, seed=11, dirty=0.0)):
        record = {k: v.isoformat() if isinstance(v, (datetime, date)) else v
                  for k, v in record.items() if not k.startswith("_")}
        records.append(record | {"order_no": f"GD{n:013d}"})
    return [json.dumps(records[i:i + batch], ensure_ascii=False).encode() for i in range(0, count, batch)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _post_all(url: str, payloads: list[bytes], concurrency: int) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    queue = list(payloads)
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=queue.pop(), headers=headers) as warm:  # registry, first batch
            assert warm.status == 202, await warm.text()

        async def worker() -> None:
            while queue:
                async with session.post(url, data=queue.pop(), headers=headers) as answer:
                    if answer.status != 202:
                        raise RuntimeError(f"{answer.status}: {(await answer.text())[:300]}")

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, time.process_time() - cpu


async def one_round(base: GovbusSettings, payloads: list[bytes], batch: int,
                    concurrency: int) -> tuple[float, float]:
    """(records/s, records per CPU-second of this process: server, client and librdkafka)."""
    settings = base.model_copy(update={"topic_prefix": f"bench_{uuid.uuid4().hex[:8]}"})
    app: Any = build_ingest_app(settings, tokens_from({hashed_token(TOKEN): "hotline"}), 100_000, batch)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        seconds, cpu = await _post_all(f"http://127.0.0.1:{port}/v1/{DATASET}/records", payloads, concurrency)
    finally:
        await runner.cleanup()
    records = (len(payloads) - 1) * batch
    return records / seconds, records / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = with_endpoints(GovbusSettings(), identity=identities.ADMIN, start_stack=True)
    payloads = bodies(args.records, args.batch)
    rates, cpus = [], []
    for _ in range(args.repeat):
        rate, cpu = asyncio.run(one_round(base, payloads, args.batch, args.concurrency))
        rates.append(rate)
        cpus.append(cpu)
        print(f"round: {rate:,.0f} records/s, {cpu:,.0f} records per CPU-second", flush=True)
    print(f"ingest, batches of {args.batch}, {args.concurrency} concurrent: median "
          f"{statistics.median(rates):,.0f} records/s, {statistics.median(cpus):,.0f} records per CPU-second "
          f"(server and client together; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    entry.run(main)
