"""Webhook notifications against a real HTTP receiver (aiohttp, in the test): a change reaching
the feed is POSTed signed; a 500 is retried with backoff; the receiver verifies the signature and
detects a tampered body; a receiver that keeps failing is given up on and counted."""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry

from consumers.feed.hub import FeedHub
from consumers.feed.webhook_logic import DELIVERY_HEADER, SIGNATURE_HEADER, WebhookSpec, verify
from consumers.feed.webhooks import WebhookMetrics, WebhookNotifier, WebhookSender
from govbus.core.result import Fault, Ok
from tests.support.feed_samples import incident

SECRET = b"duty-office-secret"


class Receiver:
    """Answers each POST with the next status of ``statuses`` (the last one repeats)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append((dict(request.headers), body))
        status = self.statuses[min(len(self.requests) - 1, len(self.statuses) - 1)]
        if 200 <= status < 300:
            self.arrived.set()
        return web.Response(status=status)


async def _serve(receiver: Receiver) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def _sender(session: aiohttp.ClientSession, registry: CollectorRegistry, attempts: int = 4) -> WebhookSender:
    return WebhookSender(session, {"duty": SECRET}, WebhookMetrics.create(registry), attempts=attempts,
                         first_backoff=0.05, max_backoff=0.2, timeout=5)


def test_a_live_change_is_posted_signed_and_retried_after_a_500():
    async def main() -> tuple[Receiver, CollectorRegistry]:
        receiver = Receiver([500, 200])
        runner, url = await _serve(receiver)
        registry = CollectorRegistry()
        async with aiohttp.ClientSession() as session:
            hook = WebhookSpec(id="duty", url=url, secret="duty", grades=["I", "II"])
            notifier = WebhookNotifier([hook], _sender(session, registry))
            hub = FeedHub()
            hub.listeners.append(notifier.on_change)
            hub.ingest(incident("INC-OLD", grade="I"))          # replayed history: not notified
            hub.mark_replayed()
            hub.ingest(incident("INC-IV", grade="IV"))          # live, but not a grade the hook wants
            hub.ingest(incident("INC-I", grade="I", title_zh="福州市 鼓楼区 (350102) 短时多起火警"))
            await asyncio.wait_for(receiver.arrived.wait(), 10)
            await notifier.drain(5)
        await runner.cleanup()
        return receiver, registry

    receiver, registry = asyncio.run(main())
    assert len(receiver.requests) == 2                        # the 500, then the retry
    (first_headers, first_body), (headers, body) = receiver.requests
    assert first_body == body and first_headers[DELIVERY_HEADER] == headers[DELIVERY_HEADER] == "INC-I@1"
    assert isinstance(verify(SECRET, headers[SIGNATURE_HEADER], body, int(time.time())), Ok)
    sent: dict[str, Any] = json.loads(body)
    assert (sent["change"], sent["incident"]["incident_id"]) == ("opened", "INC-I")
    assert sent["incident"]["title_zh"] == "福州市 鼓楼区 (350102) 短时多起火警"
    # A body changed on the way, or signed with another secret, is detectable by the receiver.
    tampered = verify(SECRET, headers[SIGNATURE_HEADER], body.replace(b"INC-I", b"INC-X"), int(time.time()))
    assert isinstance(tampered, Fault) and tampered.reason == "mismatch"
    forged = verify(b"not-the-secret", headers[SIGNATURE_HEADER], body, int(time.time()))
    assert isinstance(forged, Fault) and forged.reason == "mismatch"
    assert _value(registry, "govbus_webhook_deliveries_total", webhook="duty", outcome="delivered") == 1
    assert _value(registry, "govbus_webhook_retries_total", webhook="duty") == 1


def test_a_receiver_that_keeps_failing_is_given_up_on_and_counted():
    async def main() -> tuple[Receiver, CollectorRegistry, str]:
        receiver = Receiver([503])
        runner, url = await _serve(receiver)
        registry = CollectorRegistry()
        async with aiohttp.ClientSession() as session:
            hook = WebhookSpec(id="duty", url=url, secret="duty")
            outcome = await _sender(session, registry, attempts=3).deliver(hook, b"{}", "INC-1@1")
        await runner.cleanup()
        return receiver, registry, outcome

    receiver, registry, outcome = asyncio.run(main())
    assert outcome == "failed" and len(receiver.requests) == 3
    assert _value(registry, "govbus_webhook_deliveries_total", webhook="duty", outcome="failed") == 1
    assert _value(registry, "govbus_webhook_retries_total", webhook="duty") == 2


def test_a_refusal_is_not_retried_and_an_unreachable_receiver_is():
    async def main() -> tuple[Receiver, str, str]:
        receiver = Receiver([401])
        runner, url = await _serve(receiver)
        registry = CollectorRegistry()
        async with aiohttp.ClientSession() as session:
            sender = _sender(session, registry, attempts=2)
            refused = await sender.deliver(WebhookSpec(id="duty", url=url, secret="duty"), b"{}", "INC-1@1")
            await runner.cleanup()  # nobody listens any more
            unreachable = await sender.deliver(WebhookSpec(id="duty", url=url, secret="duty"), b"{}", "INC-1@2")
        return receiver, refused, unreachable

    receiver, refused, unreachable = asyncio.run(main())
    assert (refused, len(receiver.requests)) == ("refused", 1)
    assert unreachable == "failed"


def test_a_secret_file_missing_open_to_others_or_short_stops_the_feed(tmp_path):
    import pytest

    from consumers.feed.webhooks import WebhookSecretMissing, read_secrets

    hook = WebhookSpec(id="duty", url="http://127.0.0.1:1/hook", secret="duty")
    with pytest.raises(WebhookSecretMissing, match="no secret file"):
        read_secrets([hook], tmp_path)
    key = tmp_path / "duty.key"
    key.write_bytes(b"0123456789abcdef0123\n")
    key.chmod(0o644)
    with pytest.raises(WebhookSecretMissing, match="chmod 600"):
        read_secrets([hook], tmp_path)
    key.chmod(0o600)
    assert read_secrets([hook], tmp_path) == {"duty": b"0123456789abcdef0123"}
    key.write_bytes(b"short")
    with pytest.raises(WebhookSecretMissing, match="at least 16"):
        read_secrets([hook], tmp_path)
