"""``GET /readyz`` for HTTP ingest (docs/operations.md#health-endpoints): 200 when the broker and
the registry answer, 503 naming what does not. Its own module, so that the ingest handlers
(app.py) stay about requests; the answer comes from govbus.core.health."""
from __future__ import annotations

from aiohttp import web

from govbus.core.health_server import Health
from govbus.core.outage import Service
from govbus.core.probes import start_role_health
from govbus.core.settings import GovbusSettings
from producers.http.app import INGEST

HEALTH = web.AppKey("readiness", Health)


async def readyz(request: web.Request) -> web.Response:
    code, body = request.app[HEALTH].ready()
    return web.json_response(body, status=code)


def add_readiness(app: web.Application, settings: GovbusSettings) -> None:
    """Probe the broker and registry (a prober thread; the ingest's web server answers)."""
    health = start_role_health(settings, "ingest", app[INGEST].metrics.registry,
                               (Service.BROKER, Service.REGISTRY), serve=False)
    health.mark_started()
    app[HEALTH] = health
    app.router.add_get("/readyz", readyz)

