"""The operator's side of the feed: the incident view, actions, and the audit trail of a record.

    GET  /signin                      the sign-in page (static/signin.html)
    POST /api/session                 sign in (JSON name, password) → cookie + CSRF token
    GET  /api/session                 who is signed in, and the CSRF token
    DELETE /api/session               sign out (CSRF)
    GET  /api/incident?id=…           one incident: its view, the operators' actions on it, and
                                      the records that triggered it (signed in)
    POST /api/actions                 ack / escalate / note / resolve (an operator; CSRF)
    GET  /api/audit?event=…           who received that record, when and under which agreement,
                                      from the audit store (signed in)

Handlers stay thin: consumers/feed/auth.py (sessions), actions.py (the action), records.py (the
triggering records), consumers/audit/actions_report.py (the who-received report).
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from aiohttp import web
from prometheus_client import Counter

from consumers.audit.actions_report import AgreementTerms, who_received
from consumers.audit.main import open_audit_stores
from consumers.feed.accounts import AccountBook, accounts_path
from consumers.feed.actions import ActionDesk, NotRecorded, parse_action
from consumers.feed.auth import Auth, SessionStore, account_of, add_auth_routes, signed_in
from consumers.feed.hub import FeedHub
from consumers.feed.logic import incident_view, place_view
from consumers.feed.records import RecordIndex
from govbus.core.agreements import load_agreements
from govbus.core.settings import GovbusSettings

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"


@dataclass
class Console:
    """What the operator's routes need besides the hub."""

    records: RecordIndex
    desk: ActionDesk | None = None                  # None: actions are not wired (tests of reads)
    who_received: Callable[[str], dict[str, Any]] | None = None
    _audit_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    actions: Counter | None = None                  # set by add_console_routes on the feed's registry
    signins: Counter | None = None

    def counted(self, action: str, outcome: str) -> None:
        if self.actions is not None:
            self.actions.labels(action, outcome).inc()


CONSOLE: web.AppKey[Console] = web.AppKey("console", Console)
HUB_OF: web.AppKey[FeedHub] = web.AppKey("console_hub", FeedHub)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _action_log(incident: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for entry in incident.get("actions") or []:
        at = entry.get("at")
        millis = int(at.timestamp() * 1000) if hasattr(at, "timestamp") else at
        out.append({**{k: entry.get(k, "") for k in ("action", "operator", "identity", "note")}, "at_ms": millis})
    return out


def incident_detail(incident: dict[str, Any], records: RecordIndex) -> dict[str, Any]:
    """The incident view, its operators' actions (newest first) and its triggering records."""
    found, missing = records.triggering(incident.get("triggering_event_ids") or [])
    named = [r | {"place_label": place_view(r["region_code"])["label"] if r["region_code"] else None} for r in found]
    return {"incident": incident_view(incident), "actions": _action_log(incident)[::-1],
            "records": named, "records_missing": missing}


@signed_in()
async def incident(request: web.Request) -> web.Response:
    held = request.app[HUB_OF].board.get(request.query.get("id", ""))
    if held is None:
        return _json({"error": "no such incident on the feed"}, 404)
    return _json(incident_detail(held, request.app[CONSOLE].records))


@signed_in(act=True)
async def act(request: web.Request) -> web.Response:
    desk = request.app[CONSOLE].desk
    if desk is None:
        return _json({"error": "actions are not available on this feed"}, 503)
    try:
        body = await request.json()
    except ValueError:
        body = None
    parsed = parse_action(body)
    if isinstance(parsed, str):
        return _json({"error": parsed}, 400)
    account = account_of(request)
    try:
        result = await desk.perform(account, parsed)
    except NotRecorded as exc:
        log.error("action %s on %s by %s: %s", parsed.action, parsed.incident_id, account.name, exc)
        request.app[CONSOLE].counted(parsed.action, "not_recorded")
        return _json({"error": str(exc)}, 503)
    except Exception as exc:  # noqa: BLE001 - refused or away (broker, registry): one line, the page stays up
        log.warning("action %s on %s by %s failed: %s", parsed.action, parsed.incident_id,
                    account.name, exc)
        request.app[CONSOLE].counted(parsed.action, "failed")
        return _json({"error": f"the action could not be sent or recorded: {exc}; try again"}, 503)
    request.app[CONSOLE].counted(parsed.action, result.kind)
    return _json(result.body(), result.status)


@signed_in()
async def audit(request: web.Request) -> web.Response:
    event = request.query.get("event", "").strip()
    console = request.app[CONSOLE]
    if not event:
        return _json({"error": "give ?event=<envelope event id>"}, 400)
    cli = f"govbus audit who-received --event {event}"
    if console.who_received is None:
        return _json({"error": "the audit store is not configured here", "cli": cli}, 503)
    try:
        async with console._audit_lock:  # one query at a time: the store's engine is shared
            report = await asyncio.to_thread(console.who_received, event)
    except Exception as exc:  # noqa: BLE001 - database or catalogue unreadable: one line, the page stays up
        log.warning("audit query for %s failed: %s", event, exc)
        return _json({"error": f"the audit store did not answer: {exc}", "cli": cli}, 503)
    return _json(report | {"cli": cli})


async def signin_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "signin.html", headers={"Cache-Control": "no-cache"})


PRIVATE_PATHS = ("/api/session", "/api/incident", "/api/actions", "/api/audit")


async def _protect(request: web.Request, response: web.StreamResponse) -> None:
    """No page of the feed may be framed (clickjacking an operator's buttons), and nothing only a
    signed-in account may read is kept by a cache."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith(PRIVATE_PATHS):
        response.headers["Cache-Control"] = "no-store"


def add_console_routes(app: web.Application, hub: FeedHub, console: Console, auth: Auth) -> None:
    registry = hub.metrics.base.registry   # served on the feed's /metrics
    console.actions = Counter("govbus_feed_actions", "Operators' actions from the feed's page, by outcome "
                              "(done, noop, refused, pending, failed, not_recorded).", ["action", "outcome"],
                              registry=registry)
    console.signins = Counter("govbus_feed_signins", "Sign-ins to the feed, by outcome (ok, failed, throttled).",
                              ["outcome"], registry=registry)
    signins = console.signins
    auth.count = lambda outcome: signins.labels(outcome).inc()
    app[CONSOLE], app[HUB_OF] = console, hub
    app.on_response_prepare.append(_protect)
    add_auth_routes(app, auth)
    app.router.add_get("/signin", signin_page)
    app.router.add_get("/api/incident", incident)
    app.router.add_post("/api/actions", act)
    app.router.add_get("/api/audit", audit)


def audit_reporter(settings: GovbusSettings) -> Callable[[str], dict[str, Any]]:
    """``event id → who-received report`` from the audit store (opened at the first question:
    a feed without the database still serves everything else)."""
    opened: list[Any] = []

    def report(event: str) -> dict[str, Any]:
        if not opened:
            found = load_agreements(settings.catalogue_dir).agreements
            opened.extend([*open_audit_stores(settings),
                           {i: AgreementTerms(a.version, a.purpose, a.legal_basis) for i, a in found.items()}])
        store, actions, terms = opened
        entries = who_received(store.by_event(event), actions.by_event(event), terms)
        return {"query": {"event": event}, "entries": entries}
    return report


def default_auth(settings: GovbusSettings) -> Auth:
    return Auth(AccountBook(accounts_path(settings)), SessionStore(float(settings.feed_session_seconds)),
                secure_cookies=settings.feed_secure_cookies)
