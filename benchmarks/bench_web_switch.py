"""Time a component switch in the browser beside the Qt window, in one run.

64-channel simulated EEG, 10 minutes at 250 Hz, 30 ICs labelled by ICLabel
(the case of ``bench_gui_redraw.py``). The same (raw, ica) is shown

- in the Qt window (offscreen, 1280x800): from ``select_component`` (what the
  ``N`` key calls) until every visible panel's canvas has drawn and Qt has
  painted it;
- in the system's headless Chromium (the page of ``label_ica_components(...,
  frontend="browser")``, 1500x950 window): from the key press (the event's
  time stamp) until every panel is drawn and the frame painted (the page's
  ``performance.now()`` after the next animation frame, read back from the
  page), for the ``N`` key and for clicks on components far away in the list
  (their time course not fetched ahead).

The switches alternate Qt / browser, component by component. First paint:
the time from the navigation's start until the first component is drawn on
every panel, on a recording whose arrays are ready (the server computed them
while the reviewer had the page of the previous one) and cold (the page
opened as the server starts). The machine's load changes absolute times:
compare the ratios. Run as

    python benchmarks/bench_web_switch.py [n_components] [repeats]
"""

import json
import os
import sys
import tempfile
import time
import warnings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from mne.preprocessing import ICA
from qtpy.QtCore import QEvent, QObject
from qtpy.QtWidgets import QApplication
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains

from mne_icalabel.datasets.simulation.eeg import simulate_eeg_raw
from mne_icalabel.gui import label_ica_components
from mne_icalabel.iclabel import iclabel_label_components
from mne_icalabel.web._launch import serve_recording
from mne_icalabel.web._payload import component_bytes, plot_payload

FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync "
    "--window-size=1500,950"
).split()


class _PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.painted: set[int] = set()

    def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.painted.add(id(obj))
        return False


def _stats(ms) -> str:
    ms = np.asarray(ms)
    return f"median {np.median(ms):6.1f} ms, p90 {np.percentile(ms, 90):6.1f} ms"


def _chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp()}")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def _open(driver, url: str) -> float:
    """Open the page; return the first paint (ms since the navigation start)."""
    driver.get(url)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        first = driver.execute_script(
            "return window.mneIcalabel && window.mneIcalabel.firstPaint"
        )
        if first is not None:
            return float(first)
        time.sleep(0.01)
    raise RuntimeError("The page showed no component.")


def _count(driver) -> int:
    """The switches the page has timed so far (it keeps the last ones)."""
    return driver.execute_script("return window.mneIcalabel.perfCount")


def _last(driver) -> dict:
    return driver.execute_script("return window.mneIcalabel.perf.at(-1)")


def main(n_components: int, repeats: int) -> None:
    raw = simulate_eeg_raw(n_channels=64, duration=600.0, sfreq=250.0, verbose=False)
    raw.filter(1.0, 100.0, verbose=False)
    raw.set_eeg_reference("average", verbose=False)
    ica = ICA(n_components=n_components, method="picard", max_iter=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ica.fit(raw.copy().crop(0, 60), verbose=False)
        iclabel_label_components(raw, ica, inplace=True)
    n_ic = ica.n_components_
    print(f"{raw.info['nchan']} channels x {raw.n_times} samples, {n_ic} ICs")

    # the Qt window
    app = QApplication.instance() or QApplication([])
    window = label_ica_components(raw, ica.copy(), show=True, frontend="qt")
    window.resize(1280, 800)
    view = window.view
    view.wait_plots()
    shown = [panel.canvas for panel in view.panels if panel.canvas.isVisible()]
    counter = _PaintCounter()
    for canvas in shown:
        canvas.installEventFilter(counter)

    def flush() -> float:
        ids = {id(c) for c in shown}
        while any(c._stale for c in shown) or not ids <= counter.painted:
            app.processEvents()
        return time.perf_counter()

    def qt_switch(k: int) -> float:
        counter.painted.clear()
        t = time.perf_counter()
        view.select_component(k)
        return 1e3 * (flush() - t)

    counter.painted.clear()
    flush()

    # the browser: a recording whose arrays are ready, then a cold one
    driver = _chromium()
    try:
        server = serve_recording(raw, ica.copy())
        t = time.perf_counter()
        server.session.data_future.result()
        t_arrays = time.perf_counter() - t
        first_ready = [_open(driver, server.url) for _ in range(3)]
        cold = []
        for _ in range(2):
            other = serve_recording(raw, ica.copy())
            cold.append(_open(driver, other.url))
            other.stop()
        _open(driver, server.url)
        data = server.session.data()
        document = len(json.dumps(plot_payload(data, "x")))
        course = len(component_bytes(data, 0))
        print(
            f"first paint (navigation start to every panel drawn): ready arrays "
            f"{_stats(first_ready)}; cold (server just started, arrays computed "
            f"{t_arrays:.2f} s) {_stats(cold)}"
        )
        print(
            f"  sent: the recording's document {document / 1e6:.2f} MB (JSON), "
            f"a time course {course / 1e3:.0f} kB (int16)"
        )

        actions = ActionChains(driver)
        web_n, web_click, qt = [], [], []
        order = list(range(1, n_ic)) + list(range(n_ic - 2, -1, -1))
        rng = np.random.default_rng(0)
        load = os.getloadavg()

        def wait_entry(before: int) -> dict:
            end = time.monotonic() + 30
            while _count(driver) == before:
                if time.monotonic() > end:
                    raise RuntimeError("The page did not switch.")
                time.sleep(0.002)
            return _last(driver)

        def shown_k() -> int:
            script = "return document.querySelector('.mir-root').dataset.shown"
            return int(driver.execute_script(script))

        for _ in range(repeats):
            # from the first component: N to the last, P back to the first
            if shown_k() != 0:
                before = _count(driver)
                driver.find_element(
                    "css selector", ".mir-components .mir-item[data-component='0']"
                ).click()
                wait_entry(before)
            if view.selected_component != 0:
                qt_switch(0)
            for i, k in enumerate(order):
                qt.append(qt_switch(k))
                before = _count(driver)
                actions.send_keys("n" if i < n_ic - 1 else "p").perform()
                web_n.append(wait_entry(before)["painted"])
            # clicks far away in the list: time courses not fetched ahead
            for k in rng.choice(n_ic, 8, replace=False):
                current = shown_k()
                if abs(int(k) - current) < 4:
                    continue
                qt.append(qt_switch(int(k)))
                driver.execute_script(
                    "window.mneIcalabel.sources.delete(arguments[0])", int(k)
                )
                before = _count(driver)
                driver.find_element(
                    "css selector", f".mir-components .mir-item[data-component='{k}']"
                ).click()
                web_click.append(wait_entry(before)["painted"])
        load_after = os.getloadavg()
        print(
            f"per switch (alternating, {len(qt)} Qt, {len(web_n)} + "
            f"{len(web_click)} browser):"
        )
        print(f"  Qt window, select_component     : {_stats(qt)}")
        print(f"  browser, N/P key                : {_stats(web_n)}")
        print(f"  browser, click (fetched then)   : {_stats(web_click)}")
        for name, q in (("median", 50), ("p90", 90)):
            print(
                f"  ratio ({name}): browser key / Qt "
                f"{np.percentile(web_n, q) / np.percentile(qt, q):.2f}"
            )
        print(
            "  load average before "
            + ", ".join(f"{v:.2f}" for v in load)
            + "; after "
            + ", ".join(f"{v:.2f}" for v in load_after)
            + f" ({os.cpu_count()} cores)"
        )
        server.stop()
    finally:
        driver.quit()
        window.close()


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 30,
        int(sys.argv[2]) if len(sys.argv) > 2 else 2,
    )
