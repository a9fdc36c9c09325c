"""The dataset review in a real headless Chromium, served by the real CLI."""

from __future__ import annotations

import pytest

from mne_icalabel.annotation import read_components_tsv
from tests.conftest import REVIEW_N_COMPONENTS

from ._page import (
    PANELS,
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
    # auto-advance: A, then a label moves on
    press(browser, "a")
    press(browser, DIGITS[other_label(page, order[-2])])
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
