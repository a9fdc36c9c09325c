"""The component view shared by the labelling and review windows, with pytest-qt."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qtpy")
from qtpy.QtCore import Qt  # noqa: E402
from qtpy.QtWidgets import QApplication, QMessageBox  # noqa: E402

from mne_icalabel.gui._component_view import ComponentView  # noqa: E402
from mne_icalabel.gui._label_components import ICAComponentLabeler  # noqa: E402

F32_EPS = 2.0**-24  # half an ulp of float32, relative: one rounding to float32


def _view(qtbot, inst, ica, **kwargs) -> ComponentView:
    view = ComponentView()
    qtbot.addWidget(view)
    view.set_recording(inst, ica, **kwargs)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()  # shortcuts go to the active window only
    qtbot.waitUntil(view.isActiveWindow, timeout=2000)
    return view


def _bar_widths(view) -> list[np.ndarray]:
    return [
        np.array([bar.get_width() for bar in bars]) for bars in view.proba_panel.bars
    ]


def test_keys_buttons_and_signals(qtbot, eeg_raw, eeg_ica):
    view = _view(qtbot, eeg_raw, eeg_ica)
    # the keys work at once: the list has the focus
    assert QApplication.focusWidget() is view.list_components
    assert view.selected_component == 0 and view.class_names[2] == "Eye"
    with qtbot.waitSignal(view.labelChanged) as blocker:
        qtbot.keyClick(view.list_components, Qt.Key.Key_3)
    assert blocker.args == [0, "Eye"]
    assert eeg_ica.labels_["eog"] == [0] and view.labels == {0: "Eye"}
    assert view.modified
    with qtbot.waitSignal(view.componentSelected) as blocker:
        qtbot.keyClick(view.list_components, Qt.Key.Key_N)
    assert blocker.args == [1] and view.selected_component == 1
    with qtbot.waitSignal(view.labelChanged) as blocker:
        qtbot.mouseClick(view.buttons[1], Qt.MouseButton.LeftButton)
    assert blocker.args == [1, "Muscle"]
    with qtbot.waitSignal(view.labelChanged) as blocker:
        qtbot.keyClick(view.list_components, Qt.Key.Key_Backspace)
    assert blocker.args == [1, None]
    assert view.manual_marks() == {0: "eog", 1: None}
    view.set_saved()
    assert not view.modified


def test_order_and_excluded(qtbot, eeg_raw, eeg_ica):
    view = _view(qtbot, eeg_raw, eeg_ica, order=[4, 2, 0, 1, 3, 5], excluded=[2])
    texts = [view.list_components.item(r).text() for r in range(6)]
    assert [t[:6] for t in texts] == ["ICA004", "ICA002", "ICA000", "ICA001"] + [
        "ICA003",
        "ICA005",
    ]
    assert view.selected_component == 4  # the first of the list
    # the excluded component is marked and coloured
    assert texts[1].startswith("ICA002x") and not texts[0].startswith("ICA004x")
    item = view.list_components.item(1)
    assert item.foreground().color().name() == "#b22222"
    assert view.list_components.item(0).foreground().style() == Qt.BrushStyle.NoBrush
    # next / previous follow the list
    qtbot.keyClick(view.list_components, Qt.Key.Key_N)
    assert view.selected_component == 2
    assert "excluded by the policy" in view.header.text()
    qtbot.keyClick(view.list_components, Qt.Key.Key_5)  # Line Noise
    assert eeg_ica.labels_["line_noise"] == [2]
    assert "Line Noise" in view.list_components.item(1).text()
    view.select_component(3)
    assert view.list_components.currentRow() == 4
    # a new order keeps the component shown; the marks can change
    view.set_order(None)
    assert view.selected_component == 3 and view.list_components.currentRow() == 3
    view.set_excluded([0, 5])
    assert view.excluded == {0, 5}
    assert view.list_components.item(0).text().startswith("ICA000x")
    assert not view.list_components.item(2).text().startswith("ICA002x")
    with pytest.raises(ValueError, match="order must be a permutation"):
        view.set_order([0, 1, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="excluded must hold component indices"):
        view.set_excluded([6])


def test_set_recording_switches(qtbot, eeg_raw, eeg_epochs, eeg_ica, meg_raw, meg_ica):
    other = eeg_ica.copy()
    other.labels_ = {"ecg": [5]}
    view = _view(qtbot, eeg_raw, eeg_ica)
    qtbot.keyClick(view.list_components, Qt.Key.Key_2)
    image, buttons = view.topo_panel.images[0], list(view.buttons)
    qtbot.keyClick(view.list_components, Qt.Key.Key_Right)
    # another recording of the same layout: same widgets and artists, its labels
    raw2 = eeg_raw.copy()
    raw2._data = raw2._data[:, ::-1].copy()  # other data, same channels
    view.set_recording(raw2, other)
    assert view.topo_panel.images[0] is image and view.buttons == buttons
    assert view.labels == {5: "Heart"} and not view.modified
    assert view.manual_marks() == {}
    assert view.selected_component == 0
    assert eeg_ica.labels_["muscle"] == [0]  # the first ICA keeps its label
    sources = other.get_sources(raw2).get_data()
    np.testing.assert_allclose(
        view.source_panel.time_line.get_ydata(), sources[0, :1000], rtol=F32_EPS
    )
    # Epochs: no time course, the epochs as the ERP image
    view.set_recording(eeg_epochs, other)
    assert not view.source_panel.canvas.isVisible()
    assert not view.time_scroll.isVisible()
    assert view.erp_panel.image.get_array().shape == (len(eeg_epochs), 100)
    # MEG: MEGNet's four classes, their keys
    view.set_recording(meg_raw, meg_ica)
    assert view.class_names == ["Brain/Other", "Eye Blink", "Heart Beat"] + [
        "Eye Movement"
    ]
    assert len(view.buttons) == 4 and view.source_panel.canvas.isVisible()
    qtbot.keyClick(view.list_components, Qt.Key.Key_7)  # no seventh class
    qtbot.keyClick(view.list_components, Qt.Key.Key_M)
    assert view.labels == {0: "Eye Movement"}
    assert meg_ica.labels_["eye_movement"] == [0]
    # back to EEG: seven buttons again, the letters of EEG
    view.set_recording(eeg_raw, eeg_ica)
    assert len(view.buttons) == 7 and view.labels == {0: "Muscle"}
    qtbot.keyClick(view.list_components, Qt.Key.Key_Down)
    qtbot.keyClick(view.list_components, Qt.Key.Key_E)
    assert eeg_ica.labels_["eog"] == [1]


def test_set_recording_checks(qtbot, eeg_raw, eeg_ica):
    from mne.preprocessing import ICA

    view = _view(qtbot, eeg_raw, eeg_ica)
    with pytest.raises(ValueError, match="ICA instance should be fitted"):
        view.set_recording(eeg_raw, ICA(n_components=3))
    with pytest.raises(ValueError, match="order must be a permutation"):
        view.set_recording(eeg_raw, eeg_ica, order=[0, 1])
    # nothing changed
    assert view.ica is eeg_ica and view.list_components.count() == 6


def test_probability_bars(qtbot, combined_recording):
    raw, ica = combined_recording["raw"], combined_recording["ica_both"].copy()
    rng = np.random.default_rng(3)
    iclabel = rng.dirichlet(np.ones(7), ica.n_components_).astype(np.float32)
    megnet = rng.dirichlet(np.ones(4), ica.n_components_)
    ica.labels_scores_ = iclabel
    view = _view(qtbot, raw, ica, scores=dict(iclabel=iclabel, megnet=megnet))
    assert [ax.get_title() for ax in view.proba_panel.axes] == ["ICLabel", "MEGNet"]
    assert not view.button_auto.isVisible()
    for k in (0, 7):
        view.select_component(k)
        widths = _bar_widths(view)
        # matplotlib keeps the width in float64: the values exactly
        np.testing.assert_array_equal(widths[0], iclabel[k].astype(float))
        np.testing.assert_array_equal(widths[1], megnet[k])
        names = [t.get_text() for t in view.proba_panel.axes[1].get_yticklabels()]
        assert names == ["brain/other", "eye blink", "heart beat", "eye movement"]


@pytest.mark.parametrize("kind", ["raw", "epochs"])
def test_erp_image_and_variance(qtbot, eeg_raw, eeg_epochs, eeg_ica, kind):
    inst = eeg_raw if kind == "raw" else eeg_epochs
    view = _view(qtbot, inst, eeg_ica)
    sources = eeg_ica.get_sources(inst).get_data()
    if kind == "raw":  # 20 s at 100 Hz: ten segments of 2 s
        segments = sources[:, :2000].reshape(6, 10, 200)
    else:  # the epochs
        segments = sources.transpose(1, 0, 2)
    n_times = segments.shape[-1]
    for k in (1, 4):
        view.select_component(k)
        rows = view.erp_panel.image.get_array()
        np.testing.assert_allclose(rows, segments[k], rtol=F32_EPS, atol=0)
        x, y = view.variance_panel.kept.get_data()
        np.testing.assert_array_equal(x, np.arange(10 if kind == "raw" else 20))
        # float64 variances of the same samples; summation error n_times eps
        bound = n_times * np.finfo(float).eps
        np.testing.assert_allclose(y, np.var(segments[k], axis=-1), rtol=bound)
        assert len(view.variance_panel.dropped.get_xdata()) == 0


def test_segments_annotated_bad(qtbot, eeg_raw, eeg_ica):
    import mne

    raw = eeg_raw.copy()
    # segments of 2 s: [5.5, 6.5] s touches the third and fourth (2-4, 4-6, 6-8)
    raw.set_annotations(mne.Annotations([5.5, 15.0], [1.0, 0.5], ["BAD_x", "blink"]))
    view = _view(qtbot, raw, eeg_ica)
    view.select_component(2)
    assert list(view.variance_panel.dropped.get_xdata()) == [2, 3]
    assert list(view.variance_panel.kept.get_xdata()) == [0, 1, 4, 5, 6, 7, 8, 9]
    variance = eeg_ica.get_sources(raw).get_data()[2, :2000].reshape(10, 200).var(1)
    bound = 200 * np.finfo(float).eps
    np.testing.assert_allclose(
        view.variance_panel.dropped.get_ydata(), variance[[2, 3]], rtol=bound
    )


def _open_window(qtbot, inst, ica) -> ICAComponentLabeler:
    window = ICAComponentLabeler(inst, ica, show=True)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    window.view.wait_plots()  # computed in the background
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    return window


def test_label_automatically_keeps_manual_labels(qtbot, combined_recording):
    """ICLabel and MEGNet in the window (ICA of EEG and MEG): both run."""
    from mne_icalabel.annotation._both import label_both

    raw, ica = combined_recording["raw"], combined_recording["ica_both"].copy()
    # ICLabel warns about the EEG + MEG decomposition, MEGNet about picard
    with pytest.warns(RuntimeWarning) as caught:
        expected, combined = label_both(raw, ica.copy())
    assert any("fitted on grad and mag and eeg" in str(w.message) for w in caught)
    ica.labels_ = {"brain": [3]}  # a label from before the window
    window = _open_window(qtbot, raw, ica)
    view = window.view
    assert not view.has_scores and view.button_auto.isVisible()
    assert window.action_auto.isEnabled()
    assert view.proba_panel.bars == []  # "no probabilities" instead
    # a label set by hand, then the automatic labelling
    blink = combined_recording["blink_both"]
    manual = next(k for k in range(ica.n_components_) if k not in (3, blink))
    view.select_component(manual)
    qtbot.keyClick(view.list_components, Qt.Key.Key_H)  # Heart
    with qtbot.waitSignal(view.scoresChanged, timeout=60_000):
        qtbot.mouseClick(view.button_auto, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(ica.labels_scores_, expected["iclabel"])
    assert not view.button_auto.isVisible() and not window.action_auto.isEnabled()
    assert window.modified
    # the labels set before are kept, alone
    assert view.labels[manual] == "Heart" and view.labels[3] == "Brain"
    keys = ("brain", "muscle", "eog", "ecg", "line_noise", "ch_noise", "other")
    keys += ("eye_movement",)
    for k, key in ((manual, "ecg"), (3, "brain")):
        assert [c for c in keys if k in ica.labels_.get(c, [])] == [key]
    # every other component got the combined automatic class
    from mne_icalabel.annotation._classes import to_mne_key

    for k, label in enumerate(combined):
        if k not in (manual, 3):
            assert k in ica.labels_[to_mne_key(label)]
    # the bars: both sets, the selected component's probabilities
    view.select_component(blink)
    widths = _bar_widths(view)
    np.testing.assert_array_equal(widths[0], expected["iclabel"][blink].astype(float))
    np.testing.assert_array_equal(widths[1], expected["megnet"][blink])
    assert view._proba_labels[0].text() == f"{expected['iclabel'][blink, 0]:.2f}"


def test_label_automatically_iclabel_in_window(qtbot, eeg_raw, eeg_ica):
    from mne_icalabel.iclabel import iclabel_label_components

    with pytest.warns(RuntimeWarning):  # the test data is not as ICLabel expects
        expected = iclabel_label_components(eeg_raw, eeg_ica.copy(), inplace=False)
    window = _open_window(qtbot, eeg_raw, eeg_ica)
    # a label by hand that is not ICLabel's choice
    idx = (int(np.argmax(expected[1])) + 1) % 7
    name, key = window.labels[idx], window.view.label_map[window.labels[idx]]
    window.set_label(1, name)
    with qtbot.waitSignal(window.view.scoresChanged, timeout=60_000):
        window.action_auto.trigger()  # the Tools menu
    np.testing.assert_array_equal(eeg_ica.labels_scores_, expected)
    assert window.selected_labels[1] == name
    assert [k for k, v in eeg_ica.labels_.items() if 1 in v] == [key]
    # the others: ICLabel's choice
    for k in (0, 2, 3, 4, 5):
        best = window.view.label_map[window.labels[int(np.argmax(expected[k]))]]
        assert [c for c, v in eeg_ica.labels_.items() if k in v] == [best]
    # the network's warnings are shown, not raised
    boxes = [w for w in window.view.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "warned" in boxes[-1].text()
    assert _bar_widths(window.view)[0].tolist() == expected[0].astype(float).tolist()


def test_label_automatically_error_keeps_window(qtbot, eeg_raw, eeg_ica):
    raw = eeg_raw.copy().set_montage(None)
    ica = eeg_ica.copy()
    window = _open_window(qtbot, raw, ica)
    qtbot.mouseClick(window.view.button_auto, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.view.labelling, timeout=60_000)
    boxes = [w for w in window.view.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and boxes[-1].text().startswith("Automatic labelling failed:")
    assert "montage" in boxes[-1].text()
    assert getattr(ica, "labels_scores_", None) is None
    assert window.view.button_auto.isVisible() and not window.modified
    boxes[-1].close()
    window.activateWindow()  # the message box took the focus
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    # the window still works
    qtbot.keyClick(window.list_components, Qt.Key.Key_2)
    assert ica.labels_["muscle"] == [0]


def test_scores_without_labels_scores(qtbot, eeg_raw, eeg_ica):
    """Probabilities read from a TSV (no ``labels_scores_``) fill the view."""
    proba = np.full((6, 7), 0.05)
    proba[np.arange(6), [3, 0, 2, 6, 1, 4]] = 0.7
    assert getattr(eeg_ica, "labels_scores_", None) is None
    view = _view(qtbot, eeg_raw, eeg_ica, scores=dict(iclabel=proba))
    assert view.has_scores and not view.button_auto.isVisible()
    assert "Heart" in view.list_components.item(0).text()
    assert "0.70" in view.list_components.item(0).text()
    assert [ax.get_title() for ax in view.proba_panel.axes] == ["ICLabel"]
    view.select_component(2)
    np.testing.assert_array_equal(_bar_widths(view)[0], proba[2])
    assert "ICLabel:" not in view.header.text()  # shown once, as bars
    # the ICA is not changed by showing them
    assert getattr(eeg_ica, "labels_scores_", None) is None


def test_view_draws_what_the_model_says(qtbot, eeg_raw, eeg_ica):
    """Intents sent to the model by another front end show in the Qt view."""
    view = _view(qtbot, eeg_raw, eeg_ica, order=[4, 2, 0, 1, 3, 5])
    model = view.model
    selected = []
    view.componentSelected.connect(selected.append)
    with qtbot.waitSignal(view.labelChanged) as blocker:
        model.press("E")
    assert blocker.args == [4, "Eye"] and view.buttons[2].isChecked()
    assert "Eye" in view.list_components.item(0).text()
    model.step(1)
    assert selected == [2] and view.list_components.currentRow() == 1
    assert view.header.text().startswith("<b>ICA002</b>")
    model.set_auto_advance(True)
    assert view.checkbox_advance.isChecked()
    model.set_read_only("busy")
    assert not view.buttons[0].isEnabled() and not view.button_reset.isEnabled()
    model.set_read_only(None)
    assert view.buttons[0].isEnabled()
    # a click is an intent to the same model
    qtbot.mouseClick(view.buttons[3], Qt.MouseButton.LeftButton)
    assert model.labels[2] == "Heart" and model.selected == 0  # auto-advance
