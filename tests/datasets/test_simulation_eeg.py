"""The simulated EEG recording: layout, determinism and the artifacts it holds."""

import time
from inspect import signature

import mne
import numpy as np
import pytest

from mne_icalabel.datasets.simulation import simulate_eeg_raw
from mne_icalabel.datasets.simulation.eeg import _fit_sphere


@pytest.fixture(scope="module")
def raw64():
    return simulate_eeg_raw(64, duration=30.0, verbose="error")


def _band_power(data, sfreq, low, high):
    freqs = np.fft.rfftfreq(data.shape[-1], 1 / sfreq)
    power = np.abs(np.fft.rfft(data, axis=-1)) ** 2
    return power[..., (freqs >= low) & (freqs < high)].mean(-1)


def test_layout(raw64):
    assert raw64.info["sfreq"] == 250.0
    assert raw64.n_times == 7500
    assert raw64.get_channel_types() == ["eeg"] * 64 + ["eog", "ecg"]
    assert raw64.ch_names[-2:] == ["EOG", "ECG"]
    biosemi = mne.channels.make_standard_montage("biosemi64").ch_names
    assert raw64.ch_names[:64] == biosemi
    pos = np.array([ch["loc"][:3] for ch in raw64.info["chs"][:64]])
    center, radius = _fit_sphere(pos)
    assert np.isclose(radius, 0.095)
    np.testing.assert_allclose(np.linalg.norm(pos - center, axis=1), 0.095)
    assert raw64.info["meas_date"] is not None
    eeg = raw64.get_data(picks="eeg")
    # microvolt-range EEG, in volts
    assert 2e-6 < np.median(eeg.std(1)) < 50e-6


@pytest.mark.parametrize(
    ("n_channels", "montage", "first"),
    [
        (32, None, "Fp1"),
        (20, None, None),
        (128, None, "A1"),
        (19, "standard_1005", None),
    ],
)
def test_channel_counts(n_channels, montage, first):
    raw = simulate_eeg_raw(
        n_channels, 5.0, montage=montage, blinks=False, heartbeat=False, verbose="error"
    )
    assert raw.get_channel_types() == ["eeg"] * n_channels
    assert len(set(raw.ch_names)) == n_channels
    if first is not None:
        assert raw.ch_names[0] == first
    pos = np.array([ch["loc"][:3] for ch in raw.info["chs"]])
    # the subset is spread: no two electrodes closer than 1.5 cm
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1) + np.eye(n_channels)
    assert dist.min() > 0.015


def test_deterministic():
    kwargs = dict(n_channels=16, duration=10.0, verbose="error")
    a = simulate_eeg_raw(**kwargs).get_data()
    b = simulate_eeg_raw(**kwargs).get_data()
    c = simulate_eeg_raw(**kwargs, random_state=1).get_data()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_blinks_and_heartbeat(raw64):
    eog = raw64.get_data(picks="EOG")[0]
    ecg = raw64.get_data(picks="ECG")[0]
    # about one blink every 4 s and 70 beats a minute
    assert 4 <= np.sum(np.diff((eog > eog.max() / 3).astype(int)) == 1) <= 16
    beats = np.sum(np.diff((ecg > ecg.max() / 2).astype(int)) == 1)
    assert 30 <= beats <= 40
    frontal = raw64.get_data(picks=["Fp1"])[0]
    occipital = raw64.get_data(picks=["Oz"])[0]
    assert np.corrcoef(frontal, eog)[0, 1] > 0.8
    assert abs(np.corrcoef(occipital, eog)[0, 1]) < 0.5
    clean = simulate_eeg_raw(64, 30.0, blinks=False, verbose="error")
    assert "EOG" not in clean.ch_names and "ECG" in clean.ch_names
    assert np.abs(clean.get_data(picks="Fp1")).max() < np.abs(frontal).max() / 2


def test_line_noise_and_muscle(raw64):
    sfreq = raw64.info["sfreq"]
    eeg = raw64.get_data(picks="eeg")
    line = _band_power(eeg, sfreq, 49.5, 50.5).mean()
    near = _band_power(eeg, sfreq, 45, 49).mean()
    assert line > 20 * near
    quiet = simulate_eeg_raw(64, 30.0, line_noise=False, muscle=False, verbose="error")
    eeg_quiet = quiet.get_data(picks="eeg")
    assert _band_power(eeg_quiet, sfreq, 49.5, 50.5).mean() < 3 * near
    # muscle: high-frequency power concentrated on temporal electrodes
    temporal = raw64.get_data(picks=["T7", "T8"])
    central = raw64.get_data(picks=["Cz", "Pz"])
    assert (
        _band_power(temporal, sfreq, 60, 100).mean()
        > 10 * _band_power(central, sfreq, 60, 100).mean()
    )
    assert _band_power(eeg_quiet, sfreq, 60, 100).mean() < near


def test_ica_separates_artifacts(raw64):
    raw = raw64.copy().filter(1.0, 100.0, verbose="error")
    raw.set_eeg_reference("average", verbose="error")
    ica = mne.preprocessing.ICA(
        n_components=15,
        method="picard",
        fit_params=dict(ortho=False, extended=True),
        **(
            {"rng": 0}
            if "rng" in signature(mne.preprocessing.ICA).parameters
            else {"random_state": 0}
        ),
    )
    ica.fit(raw, verbose="error")
    sources = ica.get_sources(raw).get_data()
    for name, threshold in (("EOG", 0.9), ("ECG", 0.5)):
        truth = raw.get_data(picks=name)[0]
        corr = [abs(np.corrcoef(s, truth)[0, 1]) for s in sources]
        assert max(corr) > threshold, name


def test_fast():
    start = time.perf_counter()
    raw = simulate_eeg_raw(128, duration=600.0, verbose="error")
    assert time.perf_counter() - start < 15
    assert raw.get_data().shape == (130, 150000)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(n_channels=4), ValueError, "at least 8"),
        (dict(n_channels=300), ValueError, "No BioSemi montage"),
        (dict(n_channels=40, montage="biosemi32"), ValueError, "fewer than"),
        (dict(sfreq=80.0), ValueError, "line noise"),
        (dict(duration=-1.0), ValueError, "positive"),
        (dict(montage=3), TypeError, "montage must be an instance"),
        (dict(blinks="yes"), TypeError, "blinks must be an instance"),
    ],
)
def test_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        simulate_eeg_raw(**kwargs)
