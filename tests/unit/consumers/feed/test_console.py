"""Signing in and acting on the feed (consumers/feed/auth.py, console.py, actions.py) through
aiohttp's test client: sessions, CSRF, roles, the incident view with its records. The action
desk is a stand-in here (the real one sends to the detector: tests/e2e/feed/test_console_actions.py)."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from consumers.feed.accounts import Account, AccountBook, hash_password, save_accounts
from consumers.feed.actions import ActionDesk, ActionRequest, ActionResult, parse_action
from consumers.feed.auth import COOKIE, MAX_FAILURES, Auth, SessionStore, SignInThrottle, csrf_ok, origin_ok
from consumers.feed.console import Console, add_console_routes
from consumers.feed.hub import FeedHub
from consumers.feed.records import RecordIndex, record_view
from consumers.feed.web import build_app
from govbus.core.settings import GovbusSettings
from tests.support.feed_samples import incident

PASSWORD = "correct horse battery"
HASH = hash_password(PASSWORD, cost=(2 ** 8, 8, 1))  # cheap: the cost is not what is tested here
INC = "fire.alarm_burst/350102/20250301T080000.000Z"
EVENT = "6f9619ff-8b86-4d11-b42d-00c04fc964ff"   # tests.support.feed_samples' triggering id


class Desk:
    """Records what it was asked; answers done."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, ActionRequest]] = []

    async def perform(self, account: Account, request: ActionRequest) -> ActionResult:
        self.asked.append((account.name, request))
        return ActionResult("done", "", 2, "acknowledged")


def run(tmp_path, scenario: Callable[[TestClient, Desk, Auth], Awaitable[None]]) -> None:
    path = tmp_path / "accounts.json"
    save_accounts(path, {"alice": Account("alice", "operator", HASH), "bob": Account("bob", "viewer", HASH)})

    async def main() -> None:
        hub, desk = FeedHub(), Desk()
        hub.ingest(incident(INC))
        records = RecordIndex(10)
        records.add(record_view({"envelope": {"event_id": EVENT, "dataset": "fire.alarm", "event_time": 0},
                                 "device_id": "SD-1"}, "t", "r"))
        auth = Auth(AccountBook(path), SessionStore(3600.0))
        console = Console(records, desk, lambda event: {"query": {"event": event}, "entries": []})
        app = build_app(hub, extend=lambda a: add_console_routes(a, hub, console, auth))  # type: ignore[arg-type]
        async with TestClient(TestServer(app)) as client:
            await asyncio.wait_for(scenario(client, desk, auth), 10)
    asyncio.run(main())


async def sign_in(client: TestClient, name: str) -> str:
    response = await client.post("/api/session", json={"name": name, "password": PASSWORD})
    assert response.status == 200
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"]  # plain HTTP here
    return (await response.json())["csrf"]


ACTION = {"incident_id": INC, "action": "ack", "note": "called the site"}


def test_an_operator_signs_in_reads_the_incident_and_acts_with_the_csrf_token(tmp_path):
    async def scenario(client: TestClient, desk: Desk, auth: Auth) -> None:
        csrf = await sign_in(client, "alice")
        assert (await (await client.get("/api/session")).json())["role"] == "operator"
        response = await client.get("/api/incident", params={"id": INC})
        assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Frame-Options"] == "DENY"
        detail = await response.json()
        assert [r["event_id"] for r in detail["records"]] == [EVENT] and detail["records_missing"] == []
        response = await client.post("/api/actions", json=ACTION, headers={"X-CSRF-Token": csrf})
        assert response.status == 200 and (await response.json())["outcome"] == "done"
        assert desk.asked == [("alice", ActionRequest(INC, "ack", "called the site"))]
        metrics = await (await client.get("/metrics")).text()
        assert 'govbus_feed_actions_total{action="ack",outcome="done"} 1.0' in metrics
        assert (await client.get("/api/audit", params={"event": EVENT})).status == 200
        assert (await client.delete("/api/session", headers={"X-CSRF-Token": csrf})).status == 200
        assert (await client.get("/api/session")).status == 401
    run(tmp_path, scenario)


def test_without_a_session_a_token_or_the_operator_role_nothing_is_done(tmp_path):
    async def scenario(client: TestClient, desk: Desk, auth: Auth) -> None:
        assert (await client.post("/api/actions", json=ACTION)).status == 401
        assert (await client.get("/api/incident", params={"id": INC})).status == 401
        assert (await client.get("/api/audit", params={"event": EVENT})).status == 401
        csrf = await sign_in(client, "alice")
        assert (await client.post("/api/actions", json=ACTION)).status == 403
        assert (await client.post("/api/actions", json=ACTION, headers={"X-CSRF-Token": csrf[:-1]})).status == 403
        evil = {"X-CSRF-Token": csrf, "Origin": "http://evil.example"}
        assert (await client.post("/api/actions", json=ACTION, headers=evil)).status == 403
        viewer_csrf = await sign_in(client, "bob")   # the client now holds bob's session
        response = await client.post("/api/actions", json=ACTION, headers={"X-CSRF-Token": viewer_csrf})
        assert response.status == 403 and "viewer" in (await response.json())["error"]
        assert (await client.get("/api/incident", params={"id": INC})).status == 200   # a viewer reads
        save_accounts(auth.accounts.path, {})           # the administrator removes bob: signed out at once
        assert (await client.get("/api/incident", params={"id": INC})).status == 401
        assert desk.asked == []
    run(tmp_path, scenario)


def test_wrong_passwords_are_refused_and_then_throttled(tmp_path):
    async def scenario(client: TestClient, desk: Desk, auth: Auth) -> None:
        assert (await client.post("/api/session", json={"name": "alice", "password": "nope"})).status == 401
        for _ in range(MAX_FAILURES - 1):  # more failures, without paying scrypt for each here
            auth.throttle.failed("alice", auth.clock())
        response = await client.post("/api/session", json={"name": "alice", "password": PASSWORD})
        assert response.status == 429
        assert (await client.post("/api/session", json={"name": "nobody", "password": PASSWORD})).status == 401
        assert (await client.post("/api/session", data=b"not json")).status == 400
        metrics = await (await client.get("/metrics")).text()
        assert 'govbus_feed_signins_total{outcome="failed"} 2.0' in metrics
        assert 'govbus_feed_signins_total{outcome="throttled"} 1.0' in metrics
    run(tmp_path, scenario)


@pytest.mark.parametrize(("body", "problem"), [
    ({"incident_id": INC, "action": "ack", "note": "x"}, None),
    ({"incident_id": INC, "action": "escalate", "note": "x", "grade": "ii"}, None),
    ({"incident_id": INC, "action": "ack", "note": "x", "grade": "II"}, "grade is for escalate only"),
    ({"incident_id": INC, "action": "escalate", "note": "x", "grade": "V"}, "grade is for escalate only"),
    ({"incident_id": INC, "action": "ack", "note": "  "}, "note: a reason is required"),
    ({"incident_id": INC, "action": "ack", "note": "x" * 2001}, "note: at most"),
    ({"incident_id": INC, "action": "delete", "note": "x"}, "action must be one of"),
    ({"incident_id": "INC-1", "action": "ack", "note": "x"}, "incident_id is not an incident id"),
    ([1], "send a JSON object"), (None, "send a JSON object"),
])
def test_parse_action(body, problem):
    parsed = parse_action(body)
    if problem is None:
        assert isinstance(parsed, ActionRequest)
    else:
        assert isinstance(parsed, str) and parsed.startswith(problem)


@pytest.mark.parametrize(("held", "action", "expected"), [
    (None, "ack", ("refused", "no such incident")),
    ({"state": "resolved", "grade": "IV", "version": 4}, "note", ("refused", "already resolved")),
    ({"state": "acknowledged", "grade": "IV", "version": 2}, "ack", ("noop", "already acknowledged")),
])
def test_the_desk_sends_nothing_that_would_change_nothing(held, action, expected):
    desk = ActionDesk(GovbusSettings(bootstrap_servers="127.0.0.1:1"), lambda _id: held)  # never reached
    result = asyncio.run(desk.perform(Account("alice", "operator", HASH), ActionRequest(INC, action, "why")))
    assert (result.kind, result.reason) == expected and result.status in (200, 409)


def test_sessions_expire_and_end():
    store = SessionStore(lifetime=60.0)
    session = store.start("alice", now=1000.0)
    assert store.get(session.sid, 1059.0) == session and store.get(session.sid, 1060.0) is None
    other = store.start("bob", now=2000.0)
    store.end(other.sid)
    assert store.get(other.sid, 2000.0) is None and store.get(None, 0) is None and store.get("forged", 0) is None


def test_the_throttle_forgets_failures_after_the_window_and_on_success():
    throttle = SignInThrottle()
    for t in range(MAX_FAILURES):
        throttle.failed("alice", float(t))
    assert throttle.blocked("alice", 10.0) and not throttle.blocked("alice", 400.0)
    throttle.failed("bob", 0.0)
    throttle.succeeded("bob")
    assert not throttle.blocked("bob", 1.0)


@pytest.mark.parametrize(("method", "header", "ok"), [
    ("GET", None, True), ("POST", None, False), ("POST", "wrong", False), ("POST", "tok", True),
    ("DELETE", "", False),
])
def test_csrf_ok(method, header, ok):
    from consumers.feed.auth import Session

    assert csrf_ok(Session("sid", "alice", "tok", 1.0), method, header) == ok


@pytest.mark.parametrize(("origin", "host", "ok"), [
    (None, "feed:8090", True), ("http://feed:8090", "feed:8090", True), ("https://feed:8090", "feed:8090", True),
    ("http://evil:8090", "feed:8090", False), ("null", "feed:8090", False), ("http://feed:8090", None, False),
])
def test_origin_ok(origin, host, ok):
    assert origin_ok(origin, host) == ok


