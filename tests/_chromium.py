"""Drive Debian's headless Chromium over the DevTools protocol (websocket-client).

:class:`DevToolsPage` starts ``chromium --headless --remote-debugging-port=0`` on 127.0.0.1 with a
fresh profile, connects to its first page and sends protocol commands (``Page.navigate``,
``Runtime.evaluate``, ``Input.dispatchMouseEvent``, ...), recording every network request the
page makes. Nothing here downloads a browser: without a Chromium on the PATH the test is skipped,
and fails instead when ``CI=true`` (``.ci/run`` installs the Debian package).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

__all__ = ["DevToolsPage", "require_chromium"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def require_chromium() -> str:
    """Path of chromium; skip the test without one, fail under ``CI=true``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    msg = "chromium is not installed (Debian package 'chromium'; .ci/run installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(msg + " and CI=true: the report's browser checks must run in CI")
    pytest.skip(msg)


class DevToolsPage:
    """One headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, profile: Path, *, width: int = 1280, height: int = 900):
        import websocket

        exe = require_chromium()
        profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                exe,
                *FLAGS,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": str(profile)},
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise AssertionError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            pages = [t for t in json.loads(r.read()) if t.get("type") == "page"]
        self.ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        self._ids = itertools.count(1)
        self.events: list[dict] = []
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method: str, **params) -> dict:
        """Send a command and return its result (events that arrive meanwhile are kept)."""
        i = next(self._ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == i:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        """Wait for an event named ``method`` (or return one already received)."""
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events:
                if ev.get("method") == method:
                    return ev
            if time.monotonic() > deadline:
                raise AssertionError(f"no {method} event within {timeout} s")
            self.events.append(json.loads(self.ws.recv()))

    def evaluate(self, expression: str):
        """Value of a JavaScript expression in the page (JSON-serialisable)."""
        res = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in res:
            raise AssertionError(f"{expression[:80]}...: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60):
        """Poll ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression[:120]}")

    def mouse(self, kind: str, x: float, y: float, **kw) -> None:
        """``Input.dispatchMouseEvent`` of ``kind`` (mouseMoved, mousePressed, ...) at (x, y)."""
        self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, **kw)

    def requested_urls(self) -> list[str]:
        """URLs of every request the page made (``Network.enable`` must have been sent)."""
        return [
            ev["params"]["request"]["url"]
            for ev in self.events
            if ev.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
