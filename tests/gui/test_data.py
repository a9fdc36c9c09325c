"""The arrays precomputed for the window, checked against MNE."""

from __future__ import annotations

import numpy as np
from scipy.signal import welch

from mne_icalabel.review._plot_data import compute_plot_data, is_meg_ica


def test_explained_variance_matches_mne(eeg_raw, eeg_ica):
    data = compute_plot_data(eeg_raw, eeg_ica)
    expected = [
        eeg_ica.get_explained_variance_ratio(eeg_raw, components=[k], ch_type="eeg")[
            "eeg"
        ]
        for k in range(eeg_ica.n_components_)
    ]
    np.testing.assert_allclose(data.var_ratio["eeg"], expected, rtol=1e-7, atol=1e-10)


def test_meg_variance_per_channel_type(meg_raw, meg_ica):
    assert is_meg_ica(meg_ica)
    data = compute_plot_data(meg_raw, meg_ica)
    for ch_type in ("mag", "grad"):
        expected = meg_ica.get_explained_variance_ratio(
            meg_raw, components=[2], ch_type=ch_type
        )[ch_type]
        np.testing.assert_allclose(data.var_ratio[ch_type][2], expected, rtol=1e-6)


def test_sources_and_spectra(eeg_raw, eeg_ica, eeg_epochs):
    data = compute_plot_data(eeg_raw, eeg_ica)
    sources = eeg_ica.get_sources(eeg_raw).get_data()
    # the float64 sources rounded to float32: half an ulp, 2**-24 relative
    np.testing.assert_allclose(data.sources, sources, rtol=2**-24, atol=0)
    assert data.sources.dtype == np.float32
    freqs, psd = welch(sources[4], fs=100.0, nperseg=200)
    keep = (freqs > 0) & (freqs < 50)
    np.testing.assert_allclose(data.freqs, freqs[keep])
    np.testing.assert_allclose(data.psd_db[4], 10 * np.log10(psd[keep]))
    # the 10 Hz rhythm (source 0) peaks at 10 Hz in one of the components
    assert np.any(data.freqs[np.argmax(data.psd_db, axis=1)] == 10.0)

    epochs = compute_plot_data(eeg_epochs, eeg_ica)
    assert epochs.kind == "epochs"
    assert epochs.sources.shape == (len(eeg_epochs), 6, len(eeg_epochs.times))
    assert epochs.psd_db.shape == (6, len(epochs.freqs))
    # one 1-s epoch -> one Welch segment per epoch, averaged over epochs
    _, psd = welch(eeg_ica.get_sources(eeg_epochs).get_data()[:, 1], 100.0, nperseg=100)
    np.testing.assert_allclose(
        epochs.psd_db[1], 10 * np.log10(psd.mean(axis=0)[1:50]), rtol=1e-10
    )


def test_topomap_images_match_the_maps(eeg_raw, eeg_ica):
    """At each sensor the image holds the map's value: position and orientation."""
    data = compute_plot_data(eeg_raw, eeg_ica, res=128)
    maps = eeg_ica.get_components()  # (n_channels, n_components)
    xmin, xmax, ymin, ymax = data.topo_extent
    xgrid, ygrid = np.linspace(xmin, xmax, 128), np.linspace(ymin, ymax, 128)
    col = np.abs(xgrid[None, :] - data.sensor_pos[:, :1]).argmin(axis=1)
    row = np.abs(ygrid[None, :] - data.sensor_pos[:, 1:]).argmin(axis=1)
    for k in range(eeg_ica.n_components_):
        at_sensors = data.topo_images[k][row, col]
        assert np.corrcoef(at_sensors, maps[:, k])[0, 1] > 0.95
    # the front of the head (Fp channels) is up: positive y
    front = [i for i, name in enumerate(eeg_raw.ch_names) if name.startswith("Fp")]
    back = [i for i, name in enumerate(eeg_raw.ch_names) if name.startswith("O")]
    assert front and back
    assert data.sensor_pos[front, 1].min() > 0.5 > -0.5 > data.sensor_pos[back, 1].max()
    # finite over the head (NaN only outside the interpolated area)
    assert np.isfinite(data.topo_images[:, row, col]).all()
    assert data.topo_clip >= 1.0


def test_no_positions(eeg_raw, eeg_ica):
    raw = eeg_raw.copy().set_montage(None)
    ica = eeg_ica.copy()
    ica.info.set_montage(None)
    data = compute_plot_data(raw, ica)
    assert data.topo_images is None and data.topo_type == "eeg"
