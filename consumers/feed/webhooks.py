"""Sending webhook notifications (aiohttp client): signed POSTs, retried with exponential backoff.

The feed calls :meth:`WebhookNotifier.on_change` for each live change (not for the history it
replays on start, which was notified when it happened). A delivery runs as its own task so a
slow receiver never holds the feed; it is tried ``webhook_attempts`` times, waiting
``webhook_backoff_seconds`` × 2ⁿ (at most ``webhook_backoff_max_seconds``) between tries, each
try signed afresh (the timestamp is part of the signature). Outcomes are counted in
``govbus_webhook_deliveries_total{webhook,outcome}`` (delivered, failed) and retries in
``govbus_webhook_retries_total{webhook}``; a failed delivery is logged with the webhook and
incident, never with the secret or the body.

Limits, by choice: delivery is at most once per feed process and change (a change that happens
while no feed runs is not notified; two feed replicas notify twice — receivers drop duplicates
by ``X-Govbus-Delivery``).
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp
from prometheus_client import CollectorRegistry, Counter

from consumers.feed.logic import Change
from consumers.feed.webhook_logic import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    WebhookSpec,
    delivery_id,
    hooks_for,
    payload,
    retry_delays,
    retryable,
    sign,
)
from govbus.core.settings import GovbusSettings

log = logging.getLogger(__name__)
MIN_SECRET_BYTES = 16  # an HMAC key shorter than this can be guessed


class WebhookSecretMissing(RuntimeError):
    """A webhook names a secret file that is not there (the feed refuses to start)."""


@dataclass(frozen=True)
class WebhookMetrics:
    deliveries: Counter
    retries: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> "WebhookMetrics":
        return cls(Counter("govbus_webhook_deliveries", "Webhook notifications by final outcome "
                           "(delivered, failed after every try or refused).", ["webhook", "outcome"],
                           registry=registry),
                   Counter("govbus_webhook_retries", "Webhook tries that failed and were tried again.",
                           ["webhook"], registry=registry))


def read_secrets(hooks: list[WebhookSpec], secrets_dir: Path | None) -> dict[str, bytes]:
    """hook id → secret bytes from ``<secrets_dir>/<secret>.key`` (stripped of surrounding space)."""
    secrets = {}
    for hook in hooks:
        path = secrets_dir / f"{hook.secret}.key" if secrets_dir is not None else None
        if path is None or not path.is_file():
            raise WebhookSecretMissing(f"webhook {hook.id}: no secret file {path or f'{hook.secret}.key'} "
                                       "(set GOVBUS_WEBHOOK_SECRETS_DIR to the folder holding it)")
        if path.stat().st_mode & 0o077:
            raise WebhookSecretMissing(f"webhook {hook.id}: {path} is readable by others; chmod 600 it")
        secret = path.read_bytes().strip()
        if len(secret) < MIN_SECRET_BYTES:
            raise WebhookSecretMissing(f"webhook {hook.id}: {path} holds {len(secret)} bytes; "
                                       f"use at least {MIN_SECRET_BYTES} random bytes")
        secrets[hook.id] = secret
    return secrets


@dataclass
class WebhookSender:
    session: aiohttp.ClientSession
    secrets: dict[str, bytes]
    metrics: WebhookMetrics
    attempts: int = 5
    first_backoff: float = 1.0
    max_backoff: float = 60.0
    timeout: float = 10.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.time

    async def deliver(self, hook: WebhookSpec, body: bytes, delivery: str) -> str:
        """POST until accepted (2xx) or out of tries; the outcome: delivered, failed or refused."""
        delays = retry_delays(self.attempts, self.first_backoff, self.max_backoff)
        for attempt in range(self.attempts):
            status = await self._post(hook, body, delivery)
            if status is not None and 200 <= status < 300:
                return self._done(hook, "delivered", delivery, status)
            if not retryable(status):
                return self._done(hook, "refused", delivery, status)
            if attempt < len(delays):
                self.metrics.retries.labels(hook.id).inc()
                await self.sleep(delays[attempt])
        return self._done(hook, "failed", delivery, status)

    async def _post(self, hook: WebhookSpec, body: bytes, delivery: str) -> int | None:
        headers = {"Content-Type": "application/json; charset=utf-8", DELIVERY_HEADER: delivery,
                   SIGNATURE_HEADER: sign(self.secrets[hook.id], int(self.clock()), body)}
        try:
            async with self.session.post(hook.url, data=body, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                return response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("webhook %s: %s for %s", hook.id, type(exc).__name__, delivery)
            return None

    def _done(self, hook: WebhookSpec, outcome: str, delivery: str, status: int | None) -> str:
        self.metrics.deliveries.labels(hook.id, outcome).inc()
        if outcome != "delivered":
            log.warning("webhook %s: %s %s (last answer %s)", hook.id, outcome, delivery, status or "none")
        return outcome


@dataclass
class WebhookNotifier:
    """Fires the hooks a change matches, each delivery a task of its own."""

    hooks: list[WebhookSpec]
    sender: WebhookSender
    tasks: set[asyncio.Task[str]] = field(default_factory=set)

    def on_change(self, change: Change) -> None:
        matched = hooks_for(self.hooks, change)
        if not matched:
            return
        body, delivery = payload(change), delivery_id(change)
        for hook in matched:
            task = asyncio.get_running_loop().create_task(self.sender.deliver(hook, body, delivery))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def drain(self, timeout: float) -> None:
        """Wait for deliveries in flight (on shutdown), at most ``timeout`` seconds."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)


def sender_for(settings: GovbusSettings, session: aiohttp.ClientSession, hooks: list[WebhookSpec],
               registry: CollectorRegistry) -> WebhookSender:
    return WebhookSender(session, read_secrets(hooks, settings.webhook_secrets_dir), WebhookMetrics.create(registry),
                         attempts=settings.webhook_attempts, first_backoff=settings.webhook_backoff_seconds,
                         max_backoff=settings.webhook_backoff_max_seconds, timeout=settings.webhook_timeout_seconds)
