"""Wiring for `govbus serve-feed`: the consumer thread, the hub on the event loop, the web server."""
from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import Any, Callable

import aiohttp
from aiohttp import web

from consumers.feed.consumer import IncidentConsumer
from consumers.feed.hub import FeedHub
from consumers.feed.web import build_app
from consumers.feed.webhook_logic import load_webhooks
from consumers.feed.webhooks import WebhookNotifier, sender_for
from govbus.core.lag_gauges import LagGauges
from govbus.core.metrics_endpoint import announce, publish_target
from govbus.core.outage import Service
from govbus.core.outage_watch import ride_out_async
from govbus.core.probes import start_role_health
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings

log = logging.getLogger(__name__)


class LoopSink:
    """Hands the consumer thread's records to the hub on the event loop, in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, hub: FeedHub) -> None:
        self._loop, self._hub = loop, hub

    def incident(self, record: dict[str, Any]) -> None:
        self._loop.call_soon_threadsafe(self._hub.ingest, record)

    def reject(self, reason: str) -> None:
        self._loop.call_soon_threadsafe(self._hub.reject, reason)

    def replayed(self) -> None:
        self._loop.call_soon_threadsafe(self._hub.mark_replayed)


def _consume(consumer: IncidentConsumer, stop: threading.Event, loop: asyncio.AbstractEventLoop,
             hub: FeedHub) -> None:
    loop.call_soon_threadsafe(hub.set_consumer_alive, True)
    try:
        consumer.run(stop)
    except BaseException as exc:
        log.exception("feed consumer stopped")
        loop.call_soon_threadsafe(hub.fail, exc)
    finally:
        loop.call_soon_threadsafe(hub.set_consumer_alive, False)


async def serve_feed(settings: GovbusSettings, host: str, port: int,
                     on_listening: Callable[[str], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; raise when the consumer fails on a broker or registry fault."""
    loop = asyncio.get_running_loop()
    hub = FeedHub()
    hooks = load_webhooks(settings.catalogue_dir)  # CatalogueError: the command says what is wrong
    webhook_session = aiohttp.ClientSession() if hooks else None
    notifier = None
    if webhook_session is not None:
        try:
            notifier = WebhookNotifier(hooks, sender_for(settings, webhook_session, hooks, hub.metrics.base.registry))
        except BaseException:
            await webhook_session.close()
            raise
        hub.listeners.append(notifier.on_change)
    # /readyz: broker and registry reachable, and the incidents read up to their end once.
    health = start_role_health(settings, "feed", hub.metrics.base.registry, (Service.BROKER, Service.REGISTRY),
                               lag_known=lambda: hub.replayed, serve=False)
    # Lag: the feed reads in no consumer group; its series are labelled group="feed".
    consumer = IncidentConsumer(settings, Serde.from_settings(settings), LoopSink(loop, hub), health,
                                LagGauges(hub.metrics.base, "feed", "feed"))
    # Registry call, blocking; the registry may be down at start: wait for it like for any outage.
    await ride_out_async(health.watch, consumer.prepare, health.beat)
    health.mark_started()
    runner = web.AppRunner(build_app(hub, health=health), handle_signals=False)
    await runner.setup()
    stop = threading.Event()
    thread = threading.Thread(target=_consume, args=(consumer, stop, loop, hub), name="feed-consumer",
                              daemon=True)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, hub.stop)
        thread.start()
        if on_listening is not None:
            bound_host, bound_port = runner.addresses[0][:2]  # the real port when 0 was asked
            on_listening(f"http://{bound_host}:{bound_port}/")
        announce("feed", host, runner.addresses[0][1])  # /metrics is on the feed's own port
        publish_target(settings, "feed", host, runner.addresses[0][1])
        await hub.wait_stopped()
    finally:
        stop.set()
        await runner.cleanup()
        if notifier is not None and webhook_session is not None:
            await notifier.drain(5.0)  # deliveries in flight get a moment; their retries do not
            await webhook_session.close()
        if thread.ident is not None:  # not started when the port could not be bound
            await asyncio.to_thread(thread.join, 10)
