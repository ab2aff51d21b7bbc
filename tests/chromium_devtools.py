"""A headless Chromium driven with the DevTools protocol over a pipe, for the browser tests.

``--remote-debugging-pipe``: JSON messages ending in a NUL byte, read from fd 3 and written to
fd 4, so a test needs no server and no extra package. ``extra_args`` add Chromium switches
(a proxy, host-resolver rules...). ``on_event`` (if set) is called with each event as it comes,
and may itself call the browser (replies are matched by id).
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars"]


class Chromium:
    """A headless Chromium and one page of it, spoken to through the DevTools protocol on a pipe."""

    def __init__(self, profile: Path, extra_args: list[str] = (), window: str = "1100,760"):
        if CHROMIUM is None:
            raise RuntimeError("no `chromium` on PATH: install Debian's chromium (CI's setup does)")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def give_pipes():  # in the child: the protocol's fixed descriptors 3 and 4
            # out of the way first, as a pipe may already sit on 3 or 4 (dup2 onto itself keeps CLOEXEC)
            read_end, write_end = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w))
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, *extra_args, f"--user-data-dir={profile}", f"--window-size={window}",
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=give_pipes)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer, self._next_id, self.events, self._replies = b"", 0, [], {}
        self.on_event = None
        page = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]

    def call(self, method: str, session: str | None = None, timeout: float = 20.0, **params) -> dict:
        self._next_id += 1
        mine = self._next_id
        message = {"id": mine, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while mine not in self._replies:
            received = self._read(deadline)
            if "id" in received:
                self._replies[received["id"]] = received
                continue
            self.events.append(received)
            if self.on_event is not None:
                self.on_event(received)
        reply = self._replies.pop(mine)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def page(self, method: str, **params) -> dict:
        return self.call(method, session=self.session, **params)

    def evaluate(self, expression: str, timeout: float = 20.0):
        """The value of ``expression`` in the page; a promise is awaited."""
        result = self.call("Runtime.evaluate", session=self.session, timeout=timeout, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float, what: str):
        """Evaluate ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {timeout:g} s")
            time.sleep(0.05)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
