"""A component switch redraws the data artists alone: all of them, nothing stale.

The values the panels show are recomputed here from the ICA (not read from the
view's precomputed arrays), and the picture the canvases hold after a switch is
compared with a full matplotlib draw of the same figures.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qtpy")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from qtpy.QtCore import Qt  # noqa: E402
from scipy.signal import welch  # noqa: E402

from mne_icalabel.features.topomaps import _interpolate_topomaps  # noqa: E402
from mne_icalabel.gui._component_view import ComponentView  # noqa: E402

F32_EPS = 2.0**-24  # one rounding to float32, relative
F64_EPS = 2.0**-53


@pytest.fixture
def view(qtbot, eeg_raw, eeg_ica):
    eeg_ica.labels_scores_ = np.random.default_rng(3).dirichlet(np.ones(7), 6)
    view = ComponentView()
    qtbot.addWidget(view)
    view.set_recording(eeg_raw, eeg_ica)
    view.resize(1100, 700)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()  # shortcuts go to the active window only
    qtbot.waitUntil(view.isActiveWindow, timeout=2000)
    _wait_drawn(qtbot, view)
    return view


def _canvases(view):
    return [c for c in view.canvases if c.isVisible()]


def _wait_drawn(qtbot, view) -> None:
    qtbot.waitUntil(lambda: not any(c._stale for c in _canvases(view)), timeout=5000)


def _full_draw(canvas) -> np.ndarray:
    """Return the pixels of a full draw of every artist of the canvas' figure."""
    for artist in canvas._dynamic:
        artist.set_animated(False)
    try:
        FigureCanvasAgg.draw(canvas)
        return np.asarray(canvas.buffer_rgba()).copy()
    finally:
        for artist in canvas._dynamic:
            artist.set_animated(True)


def _assert_pictures_fresh(view) -> None:
    """The canvases hold what a full draw of their figures gives, pixel for pixel."""
    for canvas in _canvases(view):
        assert canvas._background is not None  # the switch did not draw in full
        shown = np.asarray(canvas.buffer_rgba()).copy()
        np.testing.assert_array_equal(shown, _full_draw(canvas))
        canvas.draw()  # leave the buffer as the view drew it


def _assert_shows(view, raw, ica, k: int) -> None:
    """Every panel's artists hold component ``k``, recomputed from the ICA."""
    sfreq = raw.info["sfreq"]
    sources = ica.get_sources(raw).get_data()[k]  # float64
    # topomap: component k interpolated alone
    sel = np.arange(len(ica.ch_names))
    maps = ica.get_components()[:, [k]].T
    expected, _, _ = _interpolate_topomaps(maps, ica.info, sel, "eeg", 64)
    expected = expected[0]
    vmax = np.nanmax(np.abs(expected))
    topo = view.topo_panel
    image = topo.images[0].get_array().filled(np.nan)
    # the same linear interpolant of the same float64 values, for one map
    # or all at once: a sum of at most 64 terms in another order
    np.testing.assert_allclose(image, expected, rtol=0, atol=64 * F64_EPS * vmax)
    np.testing.assert_allclose(topo.images[0].get_clim(), (-vmax, vmax), rtol=1e-12)
    assert topo.titles[0].get_text() == f"ICA{k:03d} (eeg)"
    # spectrum: Welch with 2 s segments, 0 < f <= 100 Hz below Nyquist
    freqs, psd = welch(sources, fs=sfreq, nperseg=int(round(2 * sfreq)))
    keep = (freqs > 0) & (freqs <= 100) & (freqs < sfreq / 2)
    psd_db = 10 * np.log10(psd[keep])
    line = view.psd_panel.line
    np.testing.assert_allclose(line.get_xdata(), freqs[keep])
    # the same float64 formula: rounding of a few operations on values of
    # magnitude |psd_db|
    np.testing.assert_allclose(
        line.get_ydata(), psd_db, rtol=0, atol=1e3 * F64_EPS * np.abs(psd_db).max()
    )
    lo, hi = view.psd_panel.ax.get_ylim()
    assert lo < psd_db.min() and psd_db.max() < hi
    # time course: the first 10 s window, float32
    n_win = int(10 * sfreq)
    y = view.source_panel.time_line.get_ydata()
    np.testing.assert_allclose(y, sources[:n_win], rtol=F32_EPS)
    lo, hi = view.source_panel.ax.get_ylim()
    assert lo == -hi and hi >= np.abs(y).max()
    # ERP image: consecutive 2 s segments, their mean below
    n_seg_times = int(2 * sfreq)
    n_seg = len(sources) // n_seg_times
    rows = sources[: n_seg * n_seg_times].reshape(n_seg, n_seg_times)
    erp = view.erp_panel
    np.testing.assert_allclose(erp.image.get_array(), rows, rtol=F32_EPS)
    clim = np.percentile(np.abs(rows), 99)
    # the image's colour limit is a percentile of a subsample at most 20000
    # long: with these 2000 samples, of all of them
    np.testing.assert_allclose(erp.image.get_clim(), (-clim, clim), rtol=1e-12)
    # a mean over n_seg float64 values: n_seg + 1 roundings of its magnitude
    bound = (n_seg + 1) * F64_EPS * np.abs(rows).mean(axis=0)
    np.testing.assert_array_less(
        np.abs(erp.erp_line.get_ydata() - rows.mean(axis=0)), bound + 1e-300
    )
    # variance per segment (no span annotated bad: all kept)
    var = view.variance_panel.kept
    np.testing.assert_array_equal(var.get_xdata(), np.arange(n_seg))
    # a two-pass variance of n_seg_times values: as many roundings
    np.testing.assert_allclose(
        var.get_ydata(), rows.var(axis=1), rtol=n_seg_times * F64_EPS
    )
    assert view.variance_panel.dropped.get_ydata().size == 0
    # probabilities: the bar widths, their texts, the most probable in red
    proba = ica.labels_scores_[k]
    (bars,) = view.proba_panel.bars
    (texts,) = view.proba_panel.values
    np.testing.assert_array_equal([bar.get_width() for bar in bars], proba)
    assert [t.get_text() for t in texts] == [f"{p:.2f}" for p in proba]
    red = [bar.get_facecolor()[0] > 0.5 for bar in bars]
    assert red == list(np.arange(len(proba)) == np.argmax(proba))
    assert f"<b>ICA{k:03d}</b>" in view.header.text()


def test_switch_updates_every_panel(qtbot, view, eeg_raw, eeg_ica):
    for k in (3, 1, 5):
        view.select_component(k)
        _wait_drawn(qtbot, view)
        _assert_shows(view, eeg_raw, eeg_ica, k)
        _assert_pictures_fresh(view)


def test_nothing_stale_back_and_forth_and_resized(qtbot, view, eeg_raw, eeg_ica):
    for k in (2, 4, 2, 4, 0):
        view.select_component(k)
        _wait_drawn(qtbot, view)
    _assert_shows(view, eeg_raw, eeg_ica, 0)
    _assert_pictures_fresh(view)
    view.resize(900, 640)
    qtbot.waitUntil(lambda: view.topo_panel.canvas.width() < 400, timeout=2000)
    _wait_drawn(qtbot, view)  # the resize drew in full, a new background
    sizes = [c.get_renderer().width for c in _canvases(view)]
    view.select_component(4)
    _wait_drawn(qtbot, view)
    assert [c.get_renderer().width for c in _canvases(view)] == sizes
    _assert_shows(view, eeg_raw, eeg_ica, 4)
    _assert_pictures_fresh(view)
    # a scroll of the time course, then a switch: the time axis follows
    view.scroll_time(1)
    _wait_drawn(qtbot, view)
    view.select_component(1)
    _wait_drawn(qtbot, view)
    x = view.source_panel.time_line.get_xdata()
    assert x[0] == 10.0
    assert view.source_panel.ax.get_xlim() == (x[0], x[-1])
    _assert_pictures_fresh(view)


def test_keys_switch_the_panels(qtbot, view, eeg_raw, eeg_ica):
    assert view.selected_component == 0
    for key, k in ((Qt.Key.Key_N, 1), (Qt.Key.Key_N, 2), (Qt.Key.Key_P, 1)):
        qtbot.keyClick(view.list_components, key)
        assert view.selected_component == k
        _wait_drawn(qtbot, view)
        assert view.topo_panel.titles[0].get_text() == f"ICA{k:03d} (eeg)"
    _assert_shows(view, eeg_raw, eeg_ica, 1)
    _assert_pictures_fresh(view)
    qtbot.keyClick(view.list_components, Qt.Key.Key_Right)
    _wait_drawn(qtbot, view)
    _assert_shows(view, eeg_raw, eeg_ica, 2)


def test_fixed_axis_labels_clear_every_components_ticks(qtbot, view):
    """The y labels drawn once in the background never overlap a tick label."""
    axes = [
        view.psd_panel.ax,
        view.source_panel.ax,
        view.erp_panel.erp_ax,
        view.variance_panel.ax,
    ]
    places = set()
    for k in range(view.n_components):
        view.select_component(k)
        _wait_drawn(qtbot, view)
        for ax in axes:
            renderer = ax.figure.canvas.get_renderer()
            label = ax.yaxis.label.get_window_extent(renderer)
            ticks = [
                t.get_window_extent(renderer)
                for t in ax.yaxis.get_majorticklabels()
                if t.get_visible() and t.get_text()
            ]
            assert ticks and label.x1 < min(t.x0 for t in ticks)
            assert label.x0 >= 0  # inside the figure
            places.add((id(ax), round(label.x0, 6)))
    assert len(places) == len(axes)  # each label stays where it was drawn
