"""simulate_meg_raw: layout, length, ground-truth channels, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from mne_icalabel.datasets.simulation import simulate_meg_raw


def test_simulate_meg_raw(meg_info_path):
    raw = simulate_meg_raw(meg_info_path, 4.0, n_dipoles=2, random_state=3)
    assert raw.info["sfreq"] == 250.0 and raw.n_times == 1000
    types = raw.get_channel_types()
    assert types.count("mag") == 102 and types.count("grad") == 204
    assert types.count("eog") == 1 and types.count("ecg") == 1
    assert raw.info["line_freq"] == 60.0 and raw.info["highpass"] == 0.0
    # the ground-truth channels hold the simulated blinks and beats
    assert np.ptp(raw.get_data(picks="eog")) > 0
    assert np.ptp(raw.get_data(picks="ecg")) > 0
    mags = raw.get_data(picks="mag")
    assert 1e-13 < np.abs(mags).max() < 1e-10  # tesla: realistic MEG range
    again = simulate_meg_raw(meg_info_path, 4.0, n_dipoles=2, random_state=3)
    np.testing.assert_array_equal(again.get_data(), raw.get_data())
    other = simulate_meg_raw(meg_info_path, 4.0, n_dipoles=2, random_state=4)
    assert not np.array_equal(other.get_data(), raw.get_data())


def test_simulate_meg_raw_options(meg_info_path):
    raw = simulate_meg_raw(
        meg_info_path,
        5.0,
        sfreq=200.0,
        meg="grad",
        blinks=False,
        heartbeat=False,
        sensor_noise=False,
        line_noise=True,
        line_freq=50.0,
    )
    assert raw.get_channel_types().count("grad") == 204
    assert "mag" not in raw and raw.n_times == 1000
    assert np.ptp(raw.get_data(picks=["eog", "ecg"])) == 0
    spectrum = np.abs(np.fft.rfft(raw.get_data(picks="grad"), axis=1)).mean(axis=0)
    assert np.argmax(spectrum[1:]) + 1 == 50 * 5  # 50 Hz at 0.2 Hz resolution
    with pytest.raises(ValueError, match="Invalid value for the 'meg'"):
        simulate_meg_raw(meg_info_path, meg="eeg")
    with pytest.raises(ValueError, match="n_dipoles must be at least 1"):
        simulate_meg_raw(meg_info_path, n_dipoles=0)
