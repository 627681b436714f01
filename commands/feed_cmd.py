"""`govbus serve-feed`: the emergency-command feed (live incident page + JSON API)."""
from __future__ import annotations

import asyncio
import logging

import typer
from rich.console import Console

from commands.endpoints import with_endpoints
from govbus.core import identities
from govbus.core.settings import GovbusSettings

# The identity each command connects as (docs/security.md#which-identity-each-command-uses);
# the ACLs compiled from the catalogue and agreements say what it may do.
FEED_IDENTITY = identities.Service.FEED.value

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("serve-feed")(serve_feed_cmd)


def serve_feed_cmd(host: str = typer.Option("127.0.0.1",
                                            help="Address to bind; keep it local unless a proxy fronts it."),
                   port: int = typer.Option(8090, help="Port to bind (0: pick a free one).")) -> None:
    """Serve the live page of emergency incidents from emergency.incidents (SSE, JSON API, /metrics)."""
    from commands.role_failures import log_with_time
    from consumers.feed.service import serve_feed

    log_with_time("feed", logging.INFO)
    for chatty in ("httpx", "httpx2"):  # a line per registry request (and token) would drown the rest
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # No access check here: the feed waits for an unreachable broker itself (docs/operations.md).
    settings = with_endpoints(GovbusSettings(), identity=FEED_IDENTITY, check=False)
    # The line is read by scripts and tests to find the port when 0 was asked: keep its shape. A
    # port in use, or a refusal no retry fixes, is one line from commands.world.
    from commands.exits import REFUSED, Failure
    from consumers.feed.webhooks import WebhookSecretMissing
    from govbus.core.catalogue import CatalogueError

    try:
        asyncio.run(serve_feed(settings, host, port,
                               on_listening=lambda url: console.print(f"feed listening on {url}", soft_wrap=True)))
    except (WebhookSecretMissing, CatalogueError) as exc:  # webhooks configured wrong: fix and restart
        raise Failure(REFUSED, f"serve-feed: {exc}") from exc
