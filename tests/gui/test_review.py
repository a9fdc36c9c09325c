"""The dataset review window, driven with real key presses (pytest-qt)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("qtpy")
pytest.importorskip("mne_bids")
from qtpy.QtCore import Qt  # noqa: E402
from qtpy.QtWidgets import QApplication, QMessageBox  # noqa: E402

from mne_icalabel.annotation import mark_component, read_components_tsv  # noqa: E402
from mne_icalabel.gui import review_bids_dataset  # noqa: E402
from mne_icalabel.gui._review import ReviewWindow  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
Button = QMessageBox.StandardButton


def _open(qtbot, root, **kwargs) -> ReviewWindow:
    window = review_bids_dataset(root, show=True, **kwargs)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    window.wait_loaded()  # the first recording comes from the worker
    window.activateWindow()  # shortcuts go to the active window only
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.author = "Reviewer One"
    return window


def _answer(monkeypatch, *answers):
    """Make QMessageBox.question return ``answers`` in turn; record the questions."""
    asked = []
    queue = list(answers)

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return queue.pop(0)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def _rows(tsv: Path) -> list[str]:
    return tsv.read_text(encoding="utf-8").splitlines()


def _press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.view.list_components, key, modifier)
    window.wait_loaded()  # PgDn/PgUp to one not loaded ahead yet: in the worker


def _pick_relabel(window, label="Eye"):
    """The first component of the list whose label is not ``label``; select it."""
    view = window.view
    k = next(k for k in view.order if view.labels.get(k) != label)
    view.select_component(k)
    return k


def test_keys_save_next(qtbot, review_root, monkeypatch):
    asked = _answer(monkeypatch)  # any question fails the test (pop from [])
    window = _open(qtbot, review_root)
    view = window.view
    # the keys work at once: the component list has the focus
    assert QApplication.focusWidget() is view.list_components
    assert window.list_recordings.focusPolicy() == Qt.FocusPolicy.NoFocus
    first = window.loaded.entry
    assert window.current_row == 0
    assert "not reviewed" in window.list_recordings.item(0).text()
    # listed most doubtful first, the TSV's labels and exclusions shown
    assert view.order == first.order()
    assert view.selected_component == first.order()[0]
    assert sorted(view.excluded) == [
        k for k, s in enumerate(first.status) if s == "bad"
    ]
    assert len(view.labels) == first.n_components  # all pre-filled from the TSV
    remaining = window.queue.n_remaining
    plural = "s" * (remaining != 1)
    assert window.remaining_label.text() == (
        f"{remaining} doubtful component{plural} remaining"
    )

    tsv = first.recording.tsv
    before = _rows(tsv)
    header = before[0].split("\t")
    k = _pick_relabel(window)
    _press(qtbot, window, Qt.Key.Key_3)  # 3 = Eye
    assert view.labels[k] == "Eye"
    assert k in view.excluded  # an eye component is not kept
    assert window.modified and window.isWindowModified()
    assert _rows(tsv) == before  # nothing written before Ctrl+S

    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.modified
    after = _rows(tsv)
    assert after[0] == before[0]
    for j in range(first.n_components):
        if j != k:
            assert after[j + 1] == before[j + 1]  # other rows: byte for byte
    old, row = before[k + 1].split("\t"), after[k + 1].split("\t")
    value = dict(zip(header, row, strict=True))
    assert value["annotate_method"] == "manual"
    assert value["annotate_author"] == "Reviewer One"
    assert value["ic_type"] == "eog" and value["status"] == "bad"
    proba = [i for i, c in enumerate(header) if c.startswith("iclabel_")]
    assert [row[i] for i in proba] == [old[i] for i in proba]
    review = json.loads(tsv.with_suffix(".json").read_text())["Review"]
    assert review["Author"] == "Reviewer One"
    assert review["Changed"] == [k]
    assert review["Date"].endswith("Z")
    assert "changed" in window.list_recordings.item(0).text()
    assert "1 manual" in window.list_recordings.item(0).text()
    assert window.queue.n_remaining == remaining - first.n_remaining
    assert window.remaining_label.text().startswith(f"{window.queue.n_remaining} ")

    _press(qtbot, window, Qt.Key.Key_PageDown)
    assert window.current_row == 1
    assert window.loaded.entry.key != first.key
    assert QApplication.focusWidget() is view.list_components
    assert view.order == window.loaded.entry.order()
    _press(qtbot, window, Qt.Key.Key_PageDown)  # the last one: stays
    assert window.current_row == 1
    _press(qtbot, window, Qt.Key.Key_PageUp)
    assert window.current_row == 0
    assert view.labels[k] == "Eye"  # as saved
    assert asked == []


def test_label_kept_class_unmarks(qtbot, review_root, monkeypatch):
    _answer(monkeypatch, Button.Discard)
    window = _open(qtbot, review_root)
    view = window.view
    excluded = sorted(view.excluded)
    assert excluded
    k = excluded[0]
    view.select_component(k)
    _press(qtbot, window, Qt.Key.Key_O)  # Other: kept by the default policy
    assert view.labels[k] == "Other"
    assert k not in view.excluded
    _press(qtbot, window, Qt.Key.Key_M)  # Muscle: excluded again
    assert k in view.excluded


def test_unsaved_changes_ask(qtbot, review_root, monkeypatch):
    window = _open(qtbot, review_root)
    view = window.view
    tsv0 = window.loaded.entry.recording.tsv
    before0 = tsv0.read_bytes()
    k = _pick_relabel(window, "Heart")
    _press(qtbot, window, Qt.Key.Key_4)  # Heart

    asked = _answer(monkeypatch, Button.Cancel)
    _press(qtbot, window, Qt.Key.Key_PageDown)
    assert len(asked) == 1 and "not saved" in asked[0]
    assert window.current_row == 0 and window.modified
    assert view.labels[k] == "Heart"

    asked = _answer(monkeypatch, Button.Discard)
    _press(qtbot, window, Qt.Key.Key_PageDown)
    assert len(asked) == 1 and window.current_row == 1
    assert tsv0.read_bytes() == before0
    # a click in the recording list asks too; Save writes then moves
    tsv1 = window.loaded.entry.recording.tsv
    j = _pick_relabel(window, "Muscle")
    _press(qtbot, window, Qt.Key.Key_2)  # Muscle
    asked = _answer(monkeypatch, Button.Save)
    window.list_recordings.setCurrentRow(0)
    window.wait_loaded()  # read again (discarded): in the worker
    assert len(asked) == 1 and window.current_row == 0
    assert read_components_tsv(tsv1)["labels"][j] == "muscle"
    # the discarded label is not shown: the recording was read again
    assert view.labels.get(k) != "Heart"
    assert tsv0.read_bytes() == before0

    # closing with unsaved decisions asks; Cancel keeps the window open
    _press(qtbot, window, Qt.Key.Key_4)
    asked = _answer(monkeypatch, Button.Cancel)
    window.close()
    assert len(asked) == 1 and window.isVisible()
    asked = _answer(monkeypatch, Button.Discard)
    window.close()
    assert len(asked) == 1 and not window.isVisible()
    assert tsv0.read_bytes() == before0


def test_discard_then_load_fails(qtbot, review_root, monkeypatch):
    """Discarded decisions stay gone when the next recording cannot be shown."""
    window = _open(qtbot, review_root)
    window.wait_prefetch()
    view, tsv = window.view, window.loaded.entry.recording.tsv
    labels, excluded = view.labels, view.excluded
    ica_labels = {key: list(comps) for key, comps in view.ica.labels_.items()}
    k = _pick_relabel(window, "Heart")
    _press(qtbot, window, Qt.Key.Key_4)  # Heart
    assert window.modified and view.labels[k] == "Heart"
    second = window.recording_rows[1]
    window._loader.drop(second, cancel=True)  # not read ahead: read on PgDn
    real = window.queue.read

    def read(index):
        if index == second:
            raise OSError("disk gone")
        return real(index)

    monkeypatch.setattr(window.queue, "read", read)
    asked = _answer(monkeypatch, Button.Discard)
    _press(qtbot, window, Qt.Key.Key_PageDown)
    assert len(asked) == 1 and window.current_row == 0  # could not be shown
    assert not window.modified and not window.isWindowModified()
    assert view.labels == labels and view.excluded == excluded
    assert view.ica.labels_ == ica_labels and view.manual_marks() == {}
    assert view.selected_component == k  # its button shows the label loaded
    assert [b.text() for b in view.buttons if b.isChecked()] == (
        [labels[k]] if k in labels else []
    )
    # a later decision and Ctrl+S write that one alone
    j = next(c for c in view.order if c != k)
    view.select_component(j)
    new = "Muscle" if labels.get(j) != "Muscle" else "Eye"
    view.set_label(j, new)
    for box in QApplication.topLevelWidgets():  # "Could not load ...": closed
        if isinstance(box, QMessageBox) and box.isVisible():
            box.close()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.modified
    rows = [line.split("\t") for line in _rows(tsv)]
    method = rows[0].index("annotate_method")
    manual = [i for i, row in enumerate(rows[1:]) if row[method] == "manual"]
    assert manual == [j]
    assert read_components_tsv(tsv)["labels"][k] == ica_labels_key(ica_labels, k)


def ica_labels_key(labels_: dict, k: int):
    """The class key of component ``k`` in an ``ica.labels_`` (None: none)."""
    keys = [key for key, comps in labels_.items() if "/" not in key and k in comps]
    return keys[0] if keys else None


def test_header_escapes_file_values(qtbot, review_root, monkeypatch):
    """The reviewer, the date and the run go into rich text as written."""
    from mne_icalabel.review import ReviewQueue

    for entry in ReviewQueue(review_root).entries:
        json_path = entry.recording.tsv.with_suffix(".json")
        sidecar = json.loads(json_path.read_text(encoding="utf-8"))
        sidecar["Review"] = {"Author": "A <B> & co", "Date": "<i>today</i>"}
        json_path.write_text(json.dumps(sidecar), encoding="utf-8")
    window = _open(qtbot, review_root)
    header = window.recording_header
    assert header.textFormat() == Qt.TextFormat.RichText
    text = header.text()
    assert "reviewed by A &lt;B&gt; &amp; co on &lt;i&gt;today&lt;/i&gt;" in text
    assert "<B>" not in text and "<i>" not in text
    # the run a read-only reason names
    run = "'mne-icalabel bids' <pid 7>"
    monkeypatch.setattr(
        window.queue, "rewriting", lambda: (run, frozenset({window.current_index}))
    )
    window._check_rewriting()
    text = header.text()
    assert "&lt;pid 7&gt;" in text and "<pid 7>" not in text
    assert f"<b>{window.loaded.entry.key}</b>" in text


def test_close_saves_when_asked(qtbot, review_root, monkeypatch):
    window = _open(qtbot, review_root)
    tsv = window.loaded.entry.recording.tsv
    k = _pick_relabel(window, "Line Noise")
    _press(qtbot, window, Qt.Key.Key_5)
    _answer(monkeypatch, Button.Save)
    window.close()
    assert not window.isVisible()
    assert read_components_tsv(tsv)["labels"][k] == "line_noise"


def test_reopen_shows_review(qtbot, review_root, monkeypatch):
    _answer(monkeypatch)
    window = _open(qtbot, review_root)
    first = window.loaded.entry.key
    k = _pick_relabel(window, "Channel Noise")
    _press(qtbot, window, Qt.Key.Key_C)
    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    _press(qtbot, window, Qt.Key.Key_PageDown)
    second = window.loaded.entry.key
    # saving without a change: reviewed
    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    window.close()

    again = _open(qtbot, review_root)
    states = {e.key: e.state for e in again.queue.entries}
    assert states == {first: "changed", second: "reviewed"}
    for row, index in enumerate(again.recording_rows):
        entry = again.queue.entries[index]
        text = again.list_recordings.item(row).text()
        assert text.split("\n")[0] in entry.key and entry.state in text
    assert again.queue.n_remaining == 0
    assert again.remaining_label.text().startswith("0 doubtful")
    index = next(i for i, e in enumerate(again.queue.entries) if e.key == first)
    again.show_recording(index)
    again.wait_loaded()
    assert again.view.labels[k] == "Channel Noise"
    assert "reviewed by Reviewer One" in again.recording_header.text()


def test_changed_on_disk_asks(qtbot, review_root, monkeypatch):
    window = _open(qtbot, review_root)
    tsv = window.loaded.entry.recording.tsv
    k = _pick_relabel(window)
    _press(qtbot, window, Qt.Key.Key_3)
    other = next(j for j in range(window.view.n_components) if j != k)
    mark_component(other, tsv, "manual", "heart beat", "someone else")
    theirs = tsv.read_bytes()

    asked = _answer(monkeypatch, Button.Cancel)
    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(asked) == 1 and "changed on disk" in asked[0]
    assert tsv.read_bytes() == theirs and window.modified
    assert "Review" not in json.loads(tsv.with_suffix(".json").read_text())

    asked = _answer(monkeypatch, Button.Save)
    _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(asked) == 1 and not window.modified
    labels = read_components_tsv(tsv)["labels"]
    assert labels[k] == "eog" and labels[other] == "heart beat"


def test_errors(tmp_path, review_root):
    with pytest.raises(FileNotFoundError, match="not a BIDS dataset"):
        review_bids_dataset(tmp_path, show=False)
    with pytest.raises(RuntimeError, match="mne-icalabel bids"):
        review_bids_dataset(review_root, subjects="99", show=False)
    with pytest.raises(ValueError, match="datatype"):
        review_bids_dataset(review_root, datatype="ieeg", show=False)


def test_close_while_loading_ahead(qtbot, review_root):
    window = _open(qtbot, review_root)
    assert len(window._cache) == 2  # the one shown and the next, loading
    window.close()  # no wait for the background load
    assert not window._cache
    window.deleteLater()
    qtbot.wait(50)


def test_screenshot(qtbot, review_root, monkeypatch):
    _answer(monkeypatch, Button.Discard)
    window = _open(qtbot, review_root)
    window.resize(1560, 760)
    qtbot.wait(300)
    ARTIFACTS.mkdir(exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "review_window.png"))


@pytest.mark.parametrize("shown", [False, True])
def test_dropped_window_runs_nothing(qtbot, review_root, shown):
    import weakref

    from .test_window_lifetime import _collect_and_run

    window = ReviewWindow(review_root, show=shown)
    if shown:
        qtbot.waitExposed(window)
        window.close()
    window.wait_prefetch()  # the background load finished: nothing to deliver
    ref = weakref.ref(window)
    del window
    _collect_and_run(qtbot, ref)
