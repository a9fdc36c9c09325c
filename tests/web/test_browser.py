"""The dataset review in a real headless Chromium, served by the real CLI."""

from __future__ import annotations

import pytest

from mne_icalabel.annotation import read_components_tsv
from tests.conftest import REVIEW_N_COMPONENTS

from ._page import (
    PANELS,
    chord,
    click,
    open_review,
    other_label,
    press,
    save,
    shown_everywhere,
    wait_until,
)

pytest.importorskip("mne_bids")
DIGITS = {"Brain": "1", "Muscle": "2", "Eye": "3", "Other": "7"}
LETTERS = {"Brain": "b", "Muscle": "m", "Eye": "e", "Other": "o"}


def _tsv_rows(tsv):
    header, *rows = tsv.read_text(encoding="utf-8").splitlines()
    names = header.split("\t")
    return [dict(zip(names, row.split("\t"), strict=True)) for row in rows]


def _first_tsv(served, page):
    key = page["recordingHeader"].split()[0]
    return next(
        served.root.joinpath("derivatives").rglob(
            key.rsplit("/", 1)[-1].rsplit("_", 1)[0] + "_components.tsv"
        )
    )


def test_key_and_click_label(browser, dataset_server):
    page = open_review(browser, dataset_server.url)
    assert len(page["order"]) == REVIEW_N_COMPONENTS
    k = int(page["shown"])
    # a digit labels the selected component; the list and the buttons follow
    target = other_label(page, k)
    press(browser, DIGITS[target])
    page = wait_until(browser, lambda p: p["labels"][str(k)] == target, what="key")
    assert page["checked"] == [target] and page["selected"] == [k]
    assert "unsaved decisions" in page["status"]
    # a letter too
    target = other_label(page, k)
    press(browser, LETTERS[target])
    page = wait_until(browser, lambda p: p["labels"][str(k)] == target, what="letter")
    # a click on a class button
    target = other_label(page, k)
    click(browser, f"button.mir-class[data-label='{target}']")
    page = wait_until(browser, lambda p: p["labels"][str(k)] == target, what="click")
    assert page["checked"] == [target]
    # 0 resets
    press(browser, "0")
    page = wait_until(browser, lambda p: p["labels"][str(k)] == "", what="reset")
    assert page["checked"] == []


def test_list_and_panels_follow_a_switch(browser, dataset_server):
    from selenium.webdriver.common.keys import Keys

    page = open_review(browser, dataset_server.url)
    order = page["order"]
    assert int(page["shown"]) == order[0]
    before = page["panels"]
    press(browser, "n")
    page = wait_until(
        browser,
        lambda p: p["shown"] == str(order[1]) and shown_everywhere(p),
        what="N",
    )
    assert page["header"].startswith(f"ICA{order[1]:03d}")
    # every panel drew the new component: its pixels changed
    for panel in PANELS:
        assert page["panels"][panel]["pixels"] != before[panel]["pixels"], panel
    press(browser, Keys.ARROW_RIGHT)
    wait_until(browser, lambda p: p["shown"] == str(order[2]) and shown_everywhere(p))
    press(browser, "p")
    wait_until(browser, lambda p: p["shown"] == str(order[1]) and shown_everywhere(p))
    # a click in the list
    click(browser, f".mir-components .mir-item[data-component='{order[-1]}']")
    page = wait_until(
        browser, lambda p: p["shown"] == str(order[-1]) and shown_everywhere(p)
    )
    # Shift+arrows scroll the time course
    assert page["panels"]["time"]["start"] == "0"
    chord(browser, Keys.SHIFT, Keys.ARROW_RIGHT)
    page = wait_until(browser, lambda p: p["panels"]["time"]["start"] != "0")
    assert page["shown"] == str(order[-1])  # still the same component
    # PageDown / PageUp: the next and previous recording
    first = page["recordingHeader"].split()[0]
    press(browser, Keys.PAGE_DOWN)
    page = wait_until(
        browser,
        lambda p: first not in p["recordingHeader"] and shown_everywhere(p),
        what="PageDown",
    )
    press(browser, Keys.PAGE_UP)
    page = wait_until(
        browser,
        lambda p: first in p["recordingHeader"] and shown_everywhere(p),
        what="PageUp",
    )
    # auto-advance: A, then a label moves on to the next component of the list
    # (without A a label stays: test_key_and_click_label)
    k = int(page["shown"])
    row = page["order"].index(k)
    assert row + 1 < len(page["order"])  # a next one to move to
    after = page["order"][row + 1]
    target = other_label(page, k)
    press(browser, "a")
    press(browser, DIGITS[target])
    page = wait_until(
        browser,
        lambda p: (
            p["labels"][str(k)] == target
            and p["shown"] == str(after)
            and shown_everywhere(p)
        ),
        what="auto-advance",
    )
    timings = browser.execute_script("return window.mneIcalabel.perf")
    assert len(timings) >= 3 and all(t["painted"] > 0 for t in timings)


def test_save_writes_the_manual_row(browser, dataset_server):
    page = open_review(browser, dataset_server.url)
    k = int(page["shown"])
    target = other_label(page, k)
    press(browser, DIGITS[target])
    wait_until(browser, lambda p: p["labels"][str(k)] == target)
    tsv = _first_tsv(dataset_server, page)
    assert _tsv_rows(tsv)[k]["annotate_method"] != "manual"
    save(browser)
    page = wait_until(browser, lambda p: p["status"].startswith("Saved"), what="save")
    row = _tsv_rows(tsv)[k]
    assert row["annotate_method"] == "manual"
    assert row["annotate_author"] == "Reviewer One"
    assert read_components_tsv(tsv)["status"][k] == (
        "good" if target == "Brain" else "bad"
    )
    assert "unsaved" not in page["status"]
    assert "changed" in page["recordings"][0].split("\n")[1]
    # a new page reads the decision back from the TSV
    page = open_review(browser, dataset_server.url)
    assert page["labels"][str(k)] == target


def test_two_tabs_do_not_overwrite_each_other_silently(browser, dataset_server):
    first = browser.current_window_handle
    page = open_review(browser, dataset_server.url)
    order = page["order"]
    browser.switch_to.new_window("tab")
    second = browser.current_window_handle
    open_review(browser, dataset_server.url)
    tsv = _first_tsv(dataset_server, page)
    # tab 1 labels and saves the first component
    browser.switch_to.window(first)
    press(browser, DIGITS["Muscle"])
    save(browser)
    wait_until(browser, lambda p: p["status"].startswith("Saved"))
    after_first = tsv.read_bytes()
    # tab 2 labels another one and saves: asked, cancels, nothing written
    browser.switch_to.window(second)
    click(browser, f".mir-components .mir-item[data-component='{order[1]}']")
    page = wait_until(browser, lambda p: p["shown"] == str(order[1]))
    press(browser, DIGITS[other_label(page, order[1])])
    click(browser, "button.mir-save")
    page = wait_until(browser, lambda p: p["dialog"] is not None, what="question")
    assert "changed on disk" in page["dialog"]
    click(browser, "button.mir-choice-cancel")
    wait_until(browser, lambda p: p["status"].startswith("Not saved"))
    assert tsv.read_bytes() == after_first
    # saving anyway writes tab 2's decision and keeps tab 1's
    click(browser, "button.mir-save")
    wait_until(browser, lambda p: p["dialog"] is not None)
    click(browser, "button.mir-choice-save")
    wait_until(browser, lambda p: p["status"].startswith("Saved"))
    rows = _tsv_rows(tsv)
    assert rows[order[0]]["annotate_method"] == "manual"
    assert rows[order[1]]["annotate_method"] == "manual"


def test_a_recording_being_rewritten_is_read_only(browser, dataset_server, tmp_path):
    from tests.faults._writers import hold_env, start, wait_for_hold

    page = open_review(browser, dataset_server.url)
    # bids rewrites the recordings in path order: show the last one
    last = max(page["recordings"])
    row = page["recordings"].index(last)
    click(browser, f".mir-recordings .mir-item:nth-child({row + 1})")
    key = last.split("\n")[0]
    page = wait_until(
        browser,
        lambda p: key in p["recordingHeader"] and shown_everywhere(p),
        what="the last recording",
    )
    k = int(page["shown"])
    before = page["labels"][str(k)]
    tsv = next(
        dataset_server.root.joinpath("derivatives").rglob(f"{key}_components.tsv")
    )
    # the run is held at its write of the shown recording's TSV (its claim
    # taken) until released below, however slowly it or the page goes; the
    # shim's own release comes after pytest's per-test timeout (600 s)
    hold = tmp_path / "hold"
    env, release = hold_env(hold, f"*{key}_components.tsv", timeout=600)
    process = start(
        "bids",
        dataset_server.root,
        "--n-components",
        str(REVIEW_N_COMPONENTS),
        "--no-report",
        "--overwrite",
        "--policy",
        "argmax",
        env=env,
    )
    try:
        wait_for_hold(process, hold)
        page = wait_until(browser, lambda p: p["readOnly"], 60, "read-only")
        assert f"pid {process.pid}" in page["recordingHeader"]
        assert "read-only" in page["recordingHeader"] and page["saveDisabled"]
        assert any("being rewritten" in r for r in page["recordings"])
        # a key changes nothing and says why
        press(browser, DIGITS[other_label(page, k)])
        page = wait_until(browser, lambda p: "Not labelled" in p["status"])
        assert page["labels"][str(k)] == before
        assert "unsaved" not in page["status"]
        assert process.poll() is None  # still held: the page saw this run
    finally:
        release.touch()
        try:
            _, err = process.communicate(timeout=120)
        finally:
            process.kill()
    assert process.returncode == 0, err
    # done: writable again, the rewritten files shown
    page = wait_until(browser, lambda p: not p["readOnly"], 30, "writable again")
    assert not page["saveDisabled"]
    press(browser, DIGITS[other_label(page, int(page["shown"]))])
    save(browser)
    wait_until(browser, lambda p: p["status"].startswith("Saved"), what="saved")
    assert "manual" in tsv.read_text(encoding="utf-8")


def test_one_recording_behind_a_path_prefix(browser, tmp_path):
    """``mne_gui_ic_annotation raw ica --browser --base-url P``: label, stop, saved."""
    import mne

    from tests.gui.conftest import _fit_ica, _mixed_sources

    from .conftest import start_server

    montage = mne.channels.make_standard_montage("easycap-M1")
    info = mne.create_info(montage.ch_names[::4][:16], 100.0, "eeg")
    raw = mne.io.RawArray(_mixed_sources(16, 2000, 100.0, 0) * 1e-6, info)
    raw.set_montage(montage)
    raw.filter(1.0, None)
    ica = _fit_ica(raw)
    raw.save(tmp_path / "sub-01_raw.fif")
    ica.save(tmp_path / "sub-01_ica.fif")
    served = start_server(
        str(tmp_path / "sub-01_raw.fif"),
        str(tmp_path / "sub-01_ica.fif"),
        "--author",
        "Jane",
        "--base-url",
        "/user/jane/proxy/8765",
        module="gui",
    )
    try:
        assert served.base.endswith(f":{served.port}/user/jane/proxy/8765/")
        page = open_review(browser, served.url)
        assert page["recordings"] == []  # one recording: no recording list
        assert browser.current_url == served.base  # the token left the URL
        k = int(page["shown"])
        press(browser, "3")  # Eye
        wait_until(browser, lambda p: p["labels"][str(k)] == "Eye")
        output = served.stop()  # SIGTERM: the unsaved labels are saved
    finally:
        served.stop()
    assert "saved" in output
    tsv = tmp_path / "sub-01_components.tsv"
    row = _tsv_rows(tsv)[k]
    assert (row["annotate_method"], row["annotate_author"]) == ("manual", "Jane")
    labels = mne.preprocessing.read_ica(tmp_path / "sub-01_ica.fif").labels_
    assert labels["eog"] == [k]


class _Forwarder:
    """What ``ssh -L PORT:127.0.0.1:SERVER`` does locally: a byte pipe per
    connection from another port (and host name) to the server."""

    def __init__(self, target_port: int) -> None:
        import socket
        import threading

        self.target = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        self.sockets = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        import socket
        import threading

        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                thread = threading.Thread(target=self._pipe, args=(a, b), daemon=True)
                thread.start()
                self.threads.append(thread)

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(2)
                except OSError:
                    pass

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(2)
            except OSError:
                pass
        for thread in self.threads:
            thread.join(5)
        for sock in self.sockets:
            sock.close()


def test_through_a_forwarded_port(browser, dataset_server):
    """Another port and host name in the browser, as over an SSH tunnel."""
    forwarder = _Forwarder(dataset_server.port)
    try:
        url = f"http://localhost:{forwarder.port}/?token={dataset_server.token}"
        page = open_review(browser, url)
        k = int(page["shown"])
        target = other_label(page, k)
        press(browser, DIGITS[target])  # a call from the forwarded origin
        wait_until(browser, lambda p: p["labels"][str(k)] == target)
        press(browser, "n")
        wait_until(browser, lambda p: p["shown"] != str(k) and shown_everywhere(p))
    finally:
        browser.get("about:blank")  # the page is left before the pipes close
        forwarder.close()


_LEAVE = """
const event = new Event('beforeunload', {cancelable: true});
window.dispatchEvent(event);
return event.defaultPrevented;
"""


def test_leaving_asks_while_decisions_are_unsaved(browser, dataset_server):
    """The page's ``beforeunload`` handler asks only while decisions are unsaved.

    Headless Chromium under chromedriver leaves a page without showing the
    browser's question, so the test sends the event the browser sends and
    reads whether the page asked (cancelled it).
    """
    page = open_review(browser, dataset_server.url)
    assert browser.execute_script(_LEAVE) is False  # nothing to lose
    k = int(page["shown"])
    press(browser, DIGITS[other_label(page, k)])
    wait_until(browser, lambda p: "unsaved decisions" in p["status"], what="label")
    assert browser.execute_script(_LEAVE) is True
    save(browser)
    wait_until(browser, lambda p: p["status"].startswith("Saved"), what="save")
    assert browser.execute_script(_LEAVE) is False


def test_the_switch_timings_are_bounded(browser, dataset_server):
    """The page keeps the last timings only (a count of them all for benchmarks)."""
    import time

    page = open_review(browser, dataset_server.url)
    start = int(page["shown"])
    # both time courses fetched: no switch below is overtaken by the next
    app = "window.mneIcalabel"

    def wait_count(count):
        end = time.monotonic() + 30
        while browser.execute_script(f"return {app}.perfCount") != count:
            assert time.monotonic() < end, browser.execute_script(f"return {app}.perf")
            time.sleep(0.05)

    press(browser, "n")
    wait_until(browser, lambda p: p["shown"] != str(start) and shown_everywhere(p))
    wait_count(1)  # the page's first timed switch
    browser.execute_script(f"{app}.perfKept = 3")
    press(browser, "pn" * 4)  # 8 switches
    wait_count(9)
    timings = browser.execute_script(f"return {app}.perf")
    assert [t["key"] for t in timings] == ["n", "p", "n"]
    assert timings[-2]["component"] == start and timings[-1]["painted"] > 0
