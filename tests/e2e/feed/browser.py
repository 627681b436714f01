"""Headless Chromium for the feed's end-to-end test, driven over the DevTools protocol.

No Selenium or Playwright: Debian's ``chromium`` plus aiohttp's websocket client are enough and
need no driver download (the CI machine has no internet). The browser gets its own profile in a
temporary folder and its own process group, so that ``close()`` ends it and every helper process
it started, even when the test fails halfway.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]
START_SECONDS = 30.0


class BrowserError(RuntimeError):
    pass


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise BrowserError("no chromium here: apt-get install -y chromium (the feed's e2e test needs it)")
    return found


class Browser:
    """One headless Chromium with one page."""

    def __init__(self, proc: subprocess.Popen, http: aiohttp.ClientSession,
                 ws: aiohttp.ClientWebSocketResponse) -> None:
        self._proc, self._http, self._ws = proc, http, ws
        self._ids = itertools.count(1)

    @classmethod
    async def launch(cls, profile: Path) -> "Browser":
        profile.mkdir(parents=True, exist_ok=True)
        with (profile.parent / "chromium.log").open("wb") as log:
            proc = subprocess.Popen([chromium_binary(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        http = aiohttp.ClientSession()
        try:
            port = await _devtools_port(profile, proc)
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            page = next(t for t in targets if t["type"] == "page")
            ws = await http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=64 * 2**20)
        except BaseException:
            await http.close()
            _kill_group(proc)
            raise
        return cls(proc, http, ws)

    async def send(self, method: str, timeout: float = 10.0, **params: Any) -> dict[str, Any]:
        """One CDP command; events arriving meanwhile are ignored (no domain is enabled)."""
        call_id = next(self._ids)
        await self._ws.send_json({"id": call_id, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            message = await self._ws.receive_json(timeout=max(0.01, deadline - time.monotonic()))
            if message.get("id") == call_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float, interval: float = 0.02) -> Any:
        """Poll ``expression`` until it is truthy; its value. Raises after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() >= deadline:
                raise BrowserError(f"not true within {timeout}s: {expression}")
            await asyncio.sleep(interval)

    async def screenshot(self, path: Path) -> None:
        data = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(data["data"]))

    async def close(self) -> None:
        try:
            await self.send("Browser.close", timeout=3)
        except Exception:  # noqa: BLE001 - it may be gone already; the group kill below is what counts
            pass
        await self._ws.close()
        await self._http.close()
        _kill_group(self._proc)


async def _devtools_port(profile: Path, proc: subprocess.Popen) -> int:
    """Chromium writes the port it picked (for --remote-debugging-port=0) into its profile."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BrowserError(f"chromium exited with {proc.returncode}; see {profile.parent / 'chromium.log'}")
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        await asyncio.sleep(0.05)
    raise BrowserError(f"chromium did not open its DevTools port within {START_SECONDS}s")


def _kill_group(proc: subprocess.Popen) -> None:
    """End the browser and its helper processes (zygote, renderers), which share its group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
    with contextlib.suppress(ProcessLookupError):  # helpers that outlived it, or it ignored TERM
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)
