"""A real headless Chromium and real review servers, for the browser tests.

Chromium is the system's (Debian ``chromium`` + ``chromium-driver``, which
``.ci/run`` installs), driven by selenium; nothing is downloaded. Each server
is a real ``mne-icalabel review ROOT --browser`` process on a free port of
127.0.0.1, stopped by its pid at the end of the test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,950",
)
_URL = re.compile(r"(http://127\.0\.0\.1:\d+/\S*\?token=\S+)")


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """A headless Chromium driven by selenium (one per test session)."""
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.fail(
            "Chromium is missing: apt-get install -y --no-install-recommends "
            "chromium chromium-driver (.ci/run does)."
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium):
    """The session's Chromium with one blank tab, and no cookie, per test."""
    yield chromium
    handles = chromium.window_handles
    for handle in handles[1:]:
        chromium.switch_to.window(handle)
        chromium.close()
    chromium.switch_to.window(handles[0])
    chromium.delete_all_cookies()
    chromium.get("about:blank")


class Served:
    """A review server process: its URL (with the token), base, pid."""

    def __init__(self, process: subprocess.Popen, url: str, lines: list) -> None:
        self.process, self.url, self.lines = process, url, lines
        self.base = url.split("?")[0]
        self.token = url.split("token=")[1]
        self.port = int(url.split(":")[2].split("/")[0])
        # drained, so that the server never blocks on a full pipe
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def stop(self) -> str:
        """Stop by pid (SIGTERM: the server ends cleanly); return its output."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._reader.join(5)
        self.process.stdout.close()
        return "".join(self.lines)


def start_server(*args: str, module: str = "main") -> Served:
    """Start ``mne-icalabel <args> --browser --port 0 --no-open``; wait for its URL.

    ``module``: the command's module (``"gui"``: ``mne_gui_ic_annotation``).
    """
    process = subprocess.Popen(
        [sys.executable, "-m", f"mne_icalabel.commands.{module}", *args]
        + ["--browser", "--port", "0", "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    end = time.monotonic() + 120
    while time.monotonic() < end:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = _URL.search(line)
        if match:
            return Served(process, match.group(1), lines)
    process.kill()
    raise AssertionError("The server printed no URL:\n" + "".join(lines))


@pytest.fixture
def dataset_server(review_root):
    """``mne-icalabel review ROOT --browser`` on a fresh copy of the dataset."""
    served = start_server("review", str(review_root), "--author", "Reviewer One")
    served.root = review_root
    yield served
    served.stop()
