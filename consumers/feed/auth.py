"""Signing in to the feed: sessions, CSRF tokens, and who may do what.

A session is a random 256-bit id in an HttpOnly, SameSite=Strict cookie (Secure over TLS), held
in the feed's memory with its account, expiry and CSRF token; signing out forgets it. Every
state-changing request (POST, DELETE) must carry the session's CSRF token in ``X-CSRF-Token``
(the page reads it from ``GET /api/session``), and an ``Origin`` header, when sent, must be this
host: a forged cross-site request has neither. The account is looked up again on each request,
so an account removed or made a viewer loses its rights at once.

The live wallboard (``/``, ``/api/incidents``, ``/api/stream``) stays readable without signing
in, as before; the incident's triggering records, its audit trail and every action need a session.

``SessionStore`` and ``SignInThrottle`` are pure (the clock is passed in); the handlers are thin.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from aiohttp import web

from consumers.feed.accounts import Account, AccountBook, AccountsError, verify_password

COOKIE = "govbus_feed_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sign-in failures per account name within the window before further tries are refused (429):
# scrypt already makes each guess cost, this bounds how many one name can take.
MAX_FAILURES, FAILURE_WINDOW_SECONDS = 5, 300.0
MAX_SESSIONS = 10_000   # bounded memory: the oldest session goes first


@dataclass(frozen=True)
class Session:
    sid: str
    name: str
    csrf: str
    expires: float


@dataclass
class SessionStore:
    lifetime: float
    _by_sid: dict[str, Session] = field(default_factory=dict)

    def start(self, name: str, now: float) -> Session:
        self._expire(now)
        while len(self._by_sid) >= MAX_SESSIONS:
            self._by_sid.pop(next(iter(self._by_sid)))
        session = Session(secrets.token_urlsafe(32), name, secrets.token_urlsafe(32), now + self.lifetime)
        self._by_sid[session.sid] = session
        return session

    def get(self, sid: str | None, now: float) -> Session | None:
        session = self._by_sid.get(sid) if sid else None
        if session is None or session.expires <= now:
            if session is not None:
                self._by_sid.pop(session.sid, None)
            return None
        return session

    def end(self, sid: str | None) -> None:
        if sid:
            self._by_sid.pop(sid, None)

    def _expire(self, now: float) -> None:
        for sid in [s.sid for s in self._by_sid.values() if s.expires <= now]:
            del self._by_sid[sid]


@dataclass
class SignInThrottle:
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def blocked(self, name: str, now: float) -> bool:
        recent = [t for t in self._failures.get(name, []) if now - t < FAILURE_WINDOW_SECONDS]
        self._failures[name] = recent
        return len(recent) >= MAX_FAILURES

    def failed(self, name: str, now: float) -> None:
        if len(self._failures) > MAX_SESSIONS:  # bounded: names tried at random do not pile up
            self._failures.clear()
        self._failures.setdefault(name, []).append(now)

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)


def csrf_ok(session: Session, method: str, header: str | None) -> bool:
    """Safe methods need no token; every other one needs the session's, compared in constant time."""
    return method in SAFE_METHODS or (header is not None and hmac.compare_digest(header, session.csrf))


def origin_ok(origin: str | None, host: str | None) -> bool:
    """No Origin (same-origin GETs, old browsers), or this host's own."""
    if origin is None:
        return True
    return host is not None and origin.split("://", 1)[-1] == host


@dataclass
class Auth:
    accounts: AccountBook
    sessions: SessionStore
    secure_cookies: bool = False
    throttle: SignInThrottle = field(default_factory=SignInThrottle)
    clock: Callable[[], float] = time.time
    # Counts each sign-in by outcome (ok, failed, throttled): the feed's metrics (console.py).
    count: Callable[[str], None] = lambda outcome: None


AUTH: web.AppKey[Auth] = web.AppKey("auth", Auth)


def _refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def current(request: web.Request) -> tuple[Session, Account] | None:
    """The request's live session and its account as it is now, or None."""
    auth = request.app[AUTH]
    session = auth.sessions.get(request.cookies.get(COOKIE), auth.clock())
    if session is None:
        return None
    try:
        account = auth.accounts.get(session.name)
    except AccountsError:
        return None  # an unreadable accounts file grants nothing
    if account is None:
        auth.sessions.end(session.sid)
        return None
    return session, account


def account_of(request: web.Request) -> Account:
    """The account of a request a ``signed_in`` handler serves (looked up again: a dict and a stat)."""
    found = current(request)
    if found is None:
        raise web.HTTPUnauthorized(text='{"error": "sign in first"}', content_type="application/json")
    return found[1]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def signed_in(*, act: bool = False) -> Callable[[Handler], Handler]:
    """Wrap a handler: 401 without a session, 403 without the CSRF token (or from another origin)
    on a state-changing request, 403 for a viewer when ``act``."""
    def wrap(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            found = current(request)
            if found is None:
                return _refuse(401, "sign in first")
            session, account = found
            if not origin_ok(request.headers.get("Origin"), request.host):
                return _refuse(403, "cross-origin request refused")
            if not csrf_ok(session, request.method, request.headers.get(CSRF_HEADER)):
                return _refuse(403, "missing or wrong CSRF token: reload the page")
            if act and not account.can_act:
                return _refuse(403, f"{account.name} is a viewer: viewers cannot act on incidents")
            return await handler(request)
        return guarded
    return wrap


def _session_body(session: Session, account: Account) -> dict[str, Any]:
    return {"name": account.name, "role": account.role, "can_act": account.can_act, "csrf": session.csrf,
            "expires": int(session.expires)}


async def sign_in(request: web.Request) -> web.Response:
    """POST /api/session {name, password}: a new session (cookie) and its CSRF token."""
    auth = request.app[AUTH]
    if not origin_ok(request.headers.get("Origin"), request.host):
        return _refuse(403, "cross-origin request refused")
    try:
        body = await request.json()
        name, password = str(body["name"]).strip(), str(body["password"])
    except (ValueError, KeyError, TypeError):
        return _refuse(400, "send JSON {\"name\": …, \"password\": …}")
    now = auth.clock()
    if auth.throttle.blocked(name, now):
        auth.count("throttled")
        return _refuse(429, "too many failed sign-ins for this name: wait five minutes")
    try:
        account = auth.accounts.get(name)
    except AccountsError as exc:
        return _refuse(503, f"accounts unreadable: {exc}")
    # The hash is checked even for an unknown name, so that timing does not tell which names exist.
    # scrypt takes tens of ms: off the event loop, so that the live streams do not stall.
    ok = await asyncio.to_thread(verify_password, password, account.password_hash if account else _DUMMY_HASH)
    if account is None or not ok:
        auth.throttle.failed(name, now)
        auth.count("failed")
        return _refuse(401, "wrong name or password")
    auth.throttle.succeeded(name)
    auth.count("ok")
    session = auth.sessions.start(account.name, now)
    response = web.json_response(_session_body(session, account))
    response.set_cookie(COOKIE, session.sid, max_age=int(auth.sessions.lifetime), path="/", httponly=True,
                        samesite="Strict", secure=auth.secure_cookies or request.secure)
    return response


async def whoami(request: web.Request) -> web.Response:
    """GET /api/session: the signed-in account and the CSRF token, or 401."""
    found = current(request)
    if found is None:
        return _refuse(401, "not signed in")
    return web.json_response(_session_body(*found))


@signed_in()
async def sign_out(request: web.Request) -> web.Response:
    """DELETE /api/session (with the CSRF token): the session is forgotten."""
    request.app[AUTH].sessions.end(request.cookies.get(COOKIE))
    response = web.json_response({"signed_out": True})
    response.del_cookie(COOKIE, path="/")
    return response


_DUMMY_HASH = "scrypt$16384$8$5$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def add_auth_routes(app: web.Application, auth: Auth) -> None:
    app[AUTH] = auth
    app.router.add_post("/api/session", sign_in)
    app.router.add_get("/api/session", whoami)
    app.router.add_delete("/api/session", sign_out)
