"""The review widget in a real JupyterLab / Notebook 7, its kernel, and Chromium.

The Jupyter server runs as its own process on a free port of 127.0.0.1 (stopped by
its pid); Chromium opens a notebook that calls ``label_ica_components``, the
widget shows in the cell output, a key labels a component, and the label is
read back in the kernel over a second client of that kernel.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from ._page import PANELS

pytest.importorskip("anywidget")
pytest.importorskip("jupyterlab")

SETUP = """\
import mne
from tests.gui.conftest import _fit_ica, _mixed_sources
from mne_icalabel.gui import label_ica_components

mne.set_log_level("ERROR")
montage = mne.channels.make_standard_montage("easycap-M1")
info = mne.create_info(montage.ch_names[::4][:16], 100.0, "eeg")
raw = mne.io.RawArray(_mixed_sources(16, 2000, 100.0, 0) * 1e-6, info)
raw.set_montage(montage)
raw.filter(1.0, None)
ica = _fit_ica(raw)
review = label_ica_components(raw, ica)
"""

_READ = """
const root = document.querySelector('.jp-OutputArea .mir-root');
if (!root) return null;
const items = [...root.querySelectorAll('.mir-components .mir-item')];
const panels = {};
for (const c of root.querySelectorAll('canvas[data-panel]')) {
  panels[c.dataset.panel] = c.dataset.component ?? null;
}
return {
  shown: root.dataset.shown ?? null,
  labels: Object.fromEntries(items.map(i => [i.dataset.component, i.dataset.label])),
  panels,
  n_widgets: document.querySelectorAll('.jp-OutputArea .mir-root').length,
  code_cells: document.querySelectorAll('.jp-Notebook .jp-CodeCell').length,
};
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


#: the two web applications: their module and the notebook's page
APPS = {
    "jupyterlab": "lab/tree/review.ipynb",
    "notebook": "notebooks/review.ipynb",  # Notebook 7
}


@pytest.fixture(params=list(APPS))
def jupyter_lab(request, tmp_path):
    """JupyterLab or Notebook 7 on a free port, its files in tmp_path."""
    app = request.param
    pytest.importorskip(app)
    root = tmp_path / "notebooks"
    root.mkdir()
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "review",
                "metadata": {},
                "outputs": [],
                "source": SETUP,
            }
        ],
        "metadata": {
            "kernelspec": {
                "display_name": "Python 3",
                "language": "python",
                "name": "python3",
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "review.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    # no question about Jupyter news over the notebook
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"}), encoding="utf-8"
    )
    port, token = _free_port(), "t0k3n" + os.urandom(8).hex()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "PYTHONPATH": os.pathsep.join(
            [str(__import__("pathlib").Path(__file__).parents[2])]
            + os.environ.get("PYTHONPATH", "").split(os.pathsep)
        ),
    }
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            app,
            "--no-browser",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=root,
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                return True
        except OSError:
            assert process.poll() is None, (tmp_path / "lab.log").read_text()
            return False

    try:
        _wait(up, 90, "JupyterLab")
        yield dict(base=base, token=token, runtime=tmp_path / "runtime", page=APPS[app])
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _kernel_value(lab, code: str) -> str:
    """Run ``code`` in the notebook's kernel (a second client); its output."""
    from jupyter_client import BlockingKernelClient

    url = f"{lab['base']}/api/sessions?token={lab['token']}"
    with urllib.request.urlopen(url) as response:
        (session,) = json.load(response)
    connection = lab["runtime"] / f"kernel-{session['kernel']['id']}.json"
    client = BlockingKernelClient(connection_file=str(connection))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=30)
        out = []
        client.execute_interactive(
            code, timeout=30, output_hook=lambda msg: out.append(msg)
        )
        return "".join(
            m["content"].get("text", "") for m in out if m["msg_type"] == "stream"
        )
    finally:
        client.stop_channels()


def test_widget_labels_in_a_notebook(browser, jupyter_lab):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    lab = jupyter_lab
    browser.get(f"{lab['base']}/{lab['page']}?token={lab['token']}")

    def kernel_idle():
        url = f"{lab['base']}/api/sessions?token={lab['token']}"
        with urllib.request.urlopen(url) as response:
            sessions = json.load(response)
        return sessions and sessions[0]["kernel"]["execution_state"] == "idle"

    _wait(kernel_idle, 120, "the kernel")

    def editor():
        found = browser.find_elements(
            "css selector", ".jp-Notebook .jp-CodeCell .jp-InputArea-editor"
        )
        return found[0] if found and found[0].is_displayed() else None

    _wait(editor, 60, "the cell").click()
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(
        Keys.SHIFT
    ).perform()

    def shown():
        page = browser.execute_script(_READ)
        ok = page and page["shown"] is not None
        return (
            page
            if ok and all(page["panels"][p] == page["shown"] for p in PANELS)
            else None
        )

    page = _wait(shown, 120, "the widget")
    # shown once, though the call returned it (a first view may be replaced)
    _wait(lambda: browser.execute_script(_READ)["n_widgets"] == 1, 20, "one view")
    k = int(page["shown"])
    assert page["labels"][str(k)] == ""
    cells = page["code_cells"]  # Shift+Enter added one below
    # a click in the widget gives it the keys; 3 labels Eye
    browser.find_element(
        "css selector", f".mir-components .mir-item[data-component='{k}']"
    ).click()
    ActionChains(browser).send_keys("3").perform()
    page = _wait(
        lambda: (p := browser.execute_script(_READ))["labels"][str(k)] == "Eye" and p,
        30,
        "the label",
    )
    # the key did not reach JupyterLab (3 would make a Markdown cell)
    assert page["code_cells"] == cells
    # N moves on in the widget
    ActionChains(browser).send_keys("n").perform()
    page = _wait(
        lambda: (p := browser.execute_script(_READ))["shown"] != str(k) and p, 30, "N"
    )
    shots = os.environ.get("MNE_ICALABEL_SCREENSHOTS")
    if shots:  # for the docs: python -m pytest ... with this set to a folder
        name = f"review-{lab['page'].split('/')[0]}.png"
        browser.save_screenshot(os.path.join(shots, name))
    # the kernel has it: ica.labels_, the review's labels and selection
    code = "print(ica.labels_['eog'], review.labels, review.target.state.current)"
    out = _kernel_value(lab, code)
    assert out.strip() == f"[{k}] {{{k}: 'Eye'}} {page['shown']}"
