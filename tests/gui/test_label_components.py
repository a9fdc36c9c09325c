"""The labelling window in a real (offscreen) Qt, driven with pytest-qt."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("qtpy")
from qtpy.QtCore import Qt, QTimer  # noqa: E402

from mne_icalabel.annotation import read_components_tsv  # noqa: E402
from mne_icalabel.gui import label_ica_components  # noqa: E402
from mne_icalabel.gui._label_components import ICAComponentLabeler  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EEG_CLASSES = [
    "Brain",
    "Muscle",
    "Eye",
    "Heart",
    "Line Noise",
    "Channel Noise",
    "Other",
]
MNE_KEYS = ["brain", "muscle", "eog", "ecg", "line_noise", "ch_noise", "other"]


def _open(qtbot, inst, ica, **kwargs) -> ICAComponentLabeler:
    window = ICAComponentLabeler(inst, ica, show=True, **kwargs)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    window.view.wait_plots()  # computed in the background
    # shortcuts go to the active window only
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    return window


def _where(ica, component):
    """The class keys of ``ica.labels_`` that list ``component``."""
    return [
        key
        for key in MNE_KEYS + ["eye_movement"]
        if component in ica.labels_.get(key, [])
    ]


def test_label_navigate_relabel_raw(qtbot, eeg_raw, eeg_ica):
    window = _open(qtbot, eeg_raw, eeg_ica)
    assert window.windowTitle().startswith("ICA Component Labeler")
    assert window.labels == EEG_CLASSES
    assert [b.text() for b in window.buttons] == EEG_CLASSES
    assert window.buttons[5].objectName() == "pushButton_channel_noise"
    assert window.list_components.count() == eeg_ica.n_components_ == 6
    assert window.list_components.item(3).text().startswith("ICA003")
    # all seven MNE keys exist from the start, empty
    assert {key: eeg_ica.labels_[key] for key in MNE_KEYS} == dict.fromkeys(
        MNE_KEYS, []
    )
    assert window.selected_component == 0
    # the keys work at once: the list has the keyboard focus
    from qtpy.QtWidgets import QApplication

    assert QApplication.focusWidget() is window.list_components

    # click a class button
    qtbot.mouseClick(window.buttons[2], Qt.MouseButton.LeftButton)
    assert eeg_ica.labels_["eog"] == [0]
    assert window.selected_labels == {0: "Eye"}
    assert window.buttons[2].isChecked()
    assert "Eye" in window.list_components.item(0).text()
    assert window.modified

    # next with N, label with a digit, then with a letter on the next one
    qtbot.keyClick(window.list_components, Qt.Key.Key_N)
    assert window.selected_component == 1
    assert not any(b.isChecked() for b in window.buttons)
    qtbot.keyClick(window.list_components, Qt.Key.Key_2)
    assert eeg_ica.labels_["muscle"] == [1]
    qtbot.keyClick(window.list_components, Qt.Key.Key_Right)
    qtbot.keyClick(window.list_components, Qt.Key.Key_H)
    assert eeg_ica.labels_["ecg"] == [2]
    # the list's own arrow keys and the Next / Previous buttons move too
    qtbot.keyClick(window.list_components, Qt.Key.Key_Down)
    assert window.selected_component == 3
    qtbot.mouseClick(window.button_prev, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.button_prev, Qt.MouseButton.LeftButton)
    assert window.selected_component == 1
    assert window.buttons[1].isChecked()  # muscle, restored on selection
    qtbot.keyClick(window.list_components, Qt.Key.Key_P)
    assert window.selected_component == 0
    assert window.buttons[2].isChecked()
    qtbot.keyClick(window.list_components, Qt.Key.Key_Left)  # stays at the start
    assert window.selected_component == 0

    # relabel component 0: the old label is gone
    qtbot.keyClick(window.list_components, Qt.Key.Key_1)
    assert _where(eeg_ica, 0) == ["brain"]
    assert eeg_ica.labels_["eog"] == []
    assert window.buttons[0].isChecked() and not window.buttons[2].isChecked()
    # reset removes it from every class
    qtbot.keyClick(window.list_components, Qt.Key.Key_0)
    assert _where(eeg_ica, 0) == []
    assert 0 not in window.selected_labels
    assert not any(b.isChecked() for b in window.buttons)
    qtbot.keyClick(window.list_components, Qt.Key.Key_7)
    qtbot.mouseClick(window.button_reset, Qt.MouseButton.LeftButton)
    assert _where(eeg_ica, 0) == []
    assert window.selected_labels == {1: "Muscle", 2: "Heart"}
    assert {k: eeg_ica.labels_[k] for k in ("muscle", "ecg")} == {
        "muscle": [1],
        "ecg": [2],
    }


def test_plots_follow_the_selection(qtbot, eeg_raw, eeg_ica):
    window = _open(qtbot, eeg_raw, eeg_ica)
    data = window.view._data
    sources = eeg_ica.get_sources(eeg_raw).get_data()
    for k in (4, 2):
        window.select_component(k)
        np.testing.assert_allclose(
            window.view.psd_panel.line.get_ydata(), data.psd_db[k]
        )
        np.testing.assert_allclose(
            window.view.topo_panel.images[0].get_array().filled(np.nan),
            data.topo_images[k],
        )
        np.testing.assert_allclose(
            window.view.source_panel.time_line.get_ydata(),
            sources[k, : 10 * 100],
            rtol=2**-24,
        )
        assert f"ICA{k:03d}" in window.header.text()
        assert f"{100 * data.var_ratio['eeg'][k]:.1f} %" in window.header.text()
    # Shift+Right scrolls the time course by one page (10 s)
    qtbot.keyClick(
        window.list_components, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier
    )
    assert window.selected_component == 2
    assert window.time_scroll.value() == 1000
    np.testing.assert_allclose(window.view.source_panel.time_line.get_xdata()[0], 10.0)
    np.testing.assert_allclose(
        window.view.source_panel.time_line.get_ydata(),
        sources[2, 1000:2000],
        rtol=2**-24,
    )


def test_epochs_and_auto_advance(qtbot, eeg_epochs, eeg_ica):
    window = _open(qtbot, eeg_epochs, eeg_ica)
    sources = eeg_ica.get_sources(eeg_epochs).get_data()
    window.select_component(3)
    # the window shows the float64 sources rounded to float32 (2**-24 relative);
    # the ERP is their float32 mean over n epochs: at most (n + 1) roundings of
    # the mean magnitude
    np.testing.assert_allclose(
        window.view.erp_panel.image.get_array(), sources[:, 3], rtol=2**-24
    )
    n_epochs = sources.shape[0]
    bound = (n_epochs + 1) * 2**-24 * np.abs(sources[:, 3]).mean(0)
    np.testing.assert_array_less(
        np.abs(window.view.erp_panel.erp_line.get_ydata() - sources[:, 3].mean(0)),
        bound + 1e-300,
    )
    qtbot.keyClick(window.list_components, Qt.Key.Key_A)
    assert window.checkbox_advance.isChecked() and window.auto_advance
    qtbot.keyClick(window.list_components, Qt.Key.Key_L)
    assert eeg_ica.labels_["line_noise"] == [3]
    assert window.selected_component == 4
    qtbot.keyClick(window.list_components, Qt.Key.Key_C)
    assert eeg_ica.labels_["ch_noise"] == [4]
    assert window.selected_component == 5
    qtbot.keyClick(window.list_components, Qt.Key.Key_O)  # last: stays
    assert eeg_ica.labels_["other"] == [5]
    assert window.selected_component == 5


def test_automatic_probabilities_and_existing_labels(qtbot, eeg_raw, eeg_ica):
    proba = np.full((6, 7), 0.05, np.float32)
    proba[np.arange(6), [0, 2, 2, 3, 6, 1]] = 0.7
    eeg_ica.labels_scores_ = proba
    # labels from before (e.g. find_bads_eog) are shown and replaced cleanly
    eeg_ica.labels_ = {"eog": [1, 4], "eog/0/EOG061": [1], "brain": [1]}
    window = _open(qtbot, eeg_raw, eeg_ica)
    text = window.list_components.item(3).text()
    assert "Heart" in text and "0.70" in text
    assert [label.text() for label in window.view._proba_labels] == [
        "0.70",
        "0.05",
        "0.05",
        "0.05",
        "0.05",
        "0.05",
        "0.05",
    ]
    assert "automatic: Brain (0.70)" in window.header.text()
    assert window.selected_labels == {1: "Brain", 4: "Eye"}
    window.select_component(1)
    assert window.view._proba_labels[2].text() == "0.70"
    qtbot.mouseClick(window.buttons[6], Qt.MouseButton.LeftButton)
    assert _where(eeg_ica, 1) == ["other"]
    assert eeg_ica.labels_["eog"] == [4]
    assert eeg_ica.labels_["eog/0/EOG061"] == [1]  # not a class key: kept


def test_save_reload_and_close(qtbot, eeg_raw, eeg_ica, tmp_path):
    import mne

    tsv = tmp_path / "sub-01_task-rest_components.tsv"
    fname_ica = tmp_path / "sub-01_task-rest_ica.fif"
    window = _open(qtbot, eeg_raw, eeg_ica, tsv_fname=tsv, author="tester")
    window.set_label(0, "Eye")
    window.set_label(3, "Heart")
    qtbot.keyClick(
        window.list_components, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
    )
    assert not window.modified
    assert window.saved_files == [tsv]
    assert tsv.with_suffix(".json").is_file()
    assert not list(tmp_path.glob(".tmp*"))  # no temporary file left behind
    other = eeg_ica.copy()
    other.labels_ = {}
    read_components_tsv(tsv, ica=other)
    assert {k: other.labels_[k] for k in MNE_KEYS} == {
        k: eeg_ica.labels_[k] for k in MNE_KEYS
    }
    assert other.labels_["eog"] == [0] and other.labels_["ecg"] == [3]
    rows = [line.split("\t") for line in tsv.read_text().splitlines()]
    header = rows[0]
    row0 = dict(zip(header, rows[1], strict=True))
    assert row0["annotate_method"] == "manual"
    assert row0["annotate_author"] == "tester"
    assert row0["status"] == "bad"

    # more labels, then close: saved on close, ICA too
    window.ica_fname = fname_ica
    window.set_label(0, "Brain")
    window.close()
    assert not window.isVisible()
    saved = mne.preprocessing.read_ica(fname_ica, verbose=False)
    assert saved.labels_["brain"] == [0] and saved.labels_["eog"] == []
    assert read_components_tsv(tsv)["labels"] == [
        "brain",
        None,
        None,
        "ecg",
        None,
        None,
    ]


def test_failed_save_keeps_window_open(qtbot, eeg_raw, eeg_ica, tmp_path, monkeypatch):
    import mne_icalabel.gui._label_components as module

    def fail(*args, **kwargs):
        raise OSError("disk full")

    window = _open(qtbot, eeg_raw, eeg_ica, tsv_fname=tmp_path / "x_components.tsv")
    window.set_label(2, "Muscle")
    monkeypatch.setattr(module, "write_tsv_atomic", fail)
    window.close()
    assert window.isVisible() and window.modified
    monkeypatch.undo()
    window.close()
    assert not window.isVisible()
    assert read_components_tsv(tmp_path / "x_components.tsv")["labels"][2] == "muscle"


def test_meg_four_classes(qtbot, meg_raw, meg_ica, tmp_path):
    window = _open(qtbot, meg_raw, meg_ica)
    assert window.labels == ["Brain/Other", "Eye Blink", "Heart Beat", "Eye Movement"]
    assert len(window.buttons) == 4
    assert window.view._data.topo_type == "mag"
    assert set(window.view._data.var_ratio) == {"mag", "grad"}
    qtbot.keyClick(window.list_components, Qt.Key.Key_M)
    assert meg_ica.labels_["eye_movement"] == [0]
    qtbot.keyClick(window.list_components, Qt.Key.Key_N)
    qtbot.keyClick(window.list_components, Qt.Key.Key_2)
    assert meg_ica.labels_["eog"] == [1]
    qtbot.keyClick(window.list_components, Qt.Key.Key_5)  # no fifth class
    assert window.selected_labels == {0: "Eye Movement", 1: "Eye Blink"}
    qtbot.keyClick(window.list_components, Qt.Key.Key_B)  # relabel 1
    assert _where(meg_ica, 1) == ["brain"]
    window.tsv_fname = tmp_path / "sub-01_components.tsv"
    window.save()
    other = meg_ica.copy()
    other.labels_ = {}
    assert read_components_tsv(window.tsv_fname, ica=other)["labels"][:2] == [
        "eye_movement",
        "brain",
    ]
    assert other.labels_["eye_movement"] == [0] and other.labels_["brain"] == [1]


def test_label_ica_components_block(qtbot, eeg_raw, eeg_ica):
    window = label_ica_components(eeg_raw, eeg_ica, show=False)
    qtbot.addWidget(window)
    assert isinstance(window, ICAComponentLabeler) and not window.isVisible()
    # block=True runs the event loop until the window closes
    QTimer.singleShot(200, lambda: _close_all(ICAComponentLabeler))
    blocking = label_ica_components(eeg_raw, eeg_ica, show=True, block=True)
    qtbot.addWidget(blocking)
    assert not blocking.isVisible()


def _close_all(cls):
    from qtpy.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, cls) and widget.isVisible():
            widget.close()


def test_invalid_arguments(qtbot, eeg_raw, eeg_ica):
    from mne.preprocessing import ICA

    with pytest.raises(TypeError, match="inst must be an instance of raw or epochs"):
        ICAComponentLabeler(eeg_ica, eeg_ica, show=False)
    with pytest.raises(TypeError, match="ica must be an instance of ICA"):
        ICAComponentLabeler(eeg_raw, eeg_raw, show=False)
    with pytest.raises(ValueError, match="ICA instance should be fitted"):
        ICAComponentLabeler(eeg_raw, ICA(n_components=3), show=False)
    with pytest.raises(ValueError, match="missing from the instance"):
        ICAComponentLabeler(eeg_raw.copy().drop_channels(eeg_raw.ch_names[:1]), eeg_ica)
    window = _open(qtbot, eeg_raw, eeg_ica)
    with pytest.raises(ValueError, match="label must be one of"):
        window.set_label(0, "Eye Blink")
    with pytest.raises(ValueError, match="component must be between 0 and 5"):
        window.set_label(6, "Eye")


def test_missing_qt_binding(monkeypatch, eeg_raw, eeg_ica):
    monkeypatch.setitem(sys.modules, "qtpy", None)  # import qtpy -> ImportError
    with pytest.raises(ImportError, match=r"pip install qtpy PyQt6"):
        label_ica_components(eeg_raw, eeg_ica, show=False)


def test_screenshot(qtbot, eeg_raw, eeg_ica):
    """Save the window as a test artifact (look at it when changing the layout)."""
    eeg_ica.labels_scores_ = np.random.default_rng(0).dirichlet(np.ones(7), 6)
    window = _open(qtbot, eeg_raw, eeg_ica)
    window.set_label(1, "Eye")
    window.select_component(1)
    for canvas in window.view.canvases:
        canvas.draw()
    size = window.size()
    assert size.width() <= 1280 and size.height() <= 800
    ARTIFACTS.mkdir(exist_ok=True)
    fname = ARTIFACTS / "gui_label_components.png"
    assert window.grab().save(str(fname))
    assert fname.stat().st_size > 10_000
