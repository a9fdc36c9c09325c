"""Drive the review page in Chromium and read it back from the DOM."""

from __future__ import annotations

import time

PANELS = ("topomap", "spectrum", "time", "segments", "variance", "probabilities")

_READ = """
const root = document.querySelector('.mir-root');
const items = [...root.querySelectorAll('.mir-components .mir-item')];
const panels = {};
for (const c of root.querySelectorAll('canvas[data-panel]')) {
  const url = c.toDataURL();
  panels[c.dataset.panel] = {component: c.dataset.component ?? null,
                              start: c.dataset.start ?? null,
                              pixels: url.length + ':' + url.slice(-64)};
}
return {
  shown: root.dataset.shown ?? null,
  selected: items.filter(i => i.classList.contains('mir-selected'))
    .map(i => Number(i.dataset.component)),
  order: items.map(i => Number(i.dataset.component)),
  labels: Object.fromEntries(items.map(i => [i.dataset.component, i.dataset.label])),
  checked: [...root.querySelectorAll('button.mir-class.mir-checked')]
    .map(b => b.dataset.label),
  header: root.querySelector('.mir-header').textContent,
  headerComponent: root.querySelector('.mir-header').dataset.component ?? null,
  panels,
  status: root.querySelector('.mir-status').textContent,
  recordingHeader: root.querySelector('.mir-recording-header').textContent,
  readOnly: root.classList.contains('mir-read-only'),
  saveDisabled: root.querySelector('button.mir-save').disabled,
  dialog: root.querySelector('.mir-dialog-text')?.textContent ?? null,
  recordings: [...root.querySelectorAll('.mir-recordings .mir-item')]
    .map(i => i.textContent),
};
"""


def read(driver) -> dict:
    """What the page shows now."""
    return driver.execute_script(_READ)


def wait_until(driver, condition, timeout: float = 20.0, what: str = "") -> dict:
    """Wait until ``condition(read(driver))``; return that reading."""
    end = time.monotonic() + timeout
    while True:
        page = read(driver)
        if condition(page):
            return page
        if time.monotonic() > end:
            logs = driver.get_log("browser")
            raise AssertionError(f"Timed out waiting for {what}: {page}\n{logs}")
        time.sleep(0.05)


def open_review(driver, url: str) -> dict:
    """Open the page; wait until the first component is drawn on every panel."""
    driver.get(url)
    return wait_until(driver, shown_everywhere, 60, "the first component")


def shown_everywhere(page: dict) -> bool:
    """Whether every panel and the header show the component of the list."""
    shown = page["shown"]
    return (
        shown is not None
        and page["selected"] == [int(shown)]
        and page["headerComponent"] == shown
        and all(page["panels"][p]["component"] == shown for p in PANELS)
    )


def press(driver, *keys) -> None:
    """Press keys as a person does (into the page's focused element)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys).perform()


def chord(driver, modifier, key) -> None:
    """Press ``key`` with ``modifier`` held (e.g. Keys.CONTROL, "s")."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).key_down(modifier).send_keys(key).key_up(modifier).perform()


def save(driver) -> None:
    """Press Ctrl+S."""
    from selenium.webdriver.common.keys import Keys

    chord(driver, Keys.CONTROL, "s")


def click(driver, selector: str) -> None:
    """Click the element ``selector`` finds."""
    driver.find_element("css selector", selector).click()


def other_label(page: dict, k: int, names=("Eye", "Muscle", "Brain")) -> str:
    """A class name that component ``k`` does not have."""
    return next(n for n in names if page["labels"][str(k)] != n)
