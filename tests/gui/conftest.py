"""Small simulated recordings with a fitted ICA, shared by the GUI tests."""

from __future__ import annotations

import numpy as np
import pytest

_N_COMPONENTS = 6


def _mixed_sources(n_channels: int, n_times: int, sfreq: float, seed: int):
    """Super-Gaussian sources (ICA converges fast on them) mixed to channels."""
    rng = np.random.default_rng(seed)
    sources = rng.laplace(size=(_N_COMPONENTS, n_times))
    times = np.arange(n_times) / sfreq
    sources[0] = 3 * np.sin(2 * np.pi * 10 * times)  # a 10 Hz rhythm
    mixing = rng.normal(size=(n_channels, _N_COMPONENTS))
    noise = 0.01 * rng.normal(size=(n_channels, n_times))
    return mixing @ sources + noise


def _fit_ica(inst):
    from mne.preprocessing import ICA

    ica = ICA(
        n_components=_N_COMPONENTS, method="fastica", max_iter=1000, random_state=0
    )
    ica.fit(inst, verbose=False)
    return ica


@pytest.fixture(scope="session")
def eeg_raw():
    """16-channel EEG, 20 s at 100 Hz, high-passed, with a montage."""
    import mne

    montage = mne.channels.make_standard_montage("easycap-M1")
    ch_names = montage.ch_names[::4][:16]
    info = mne.create_info(ch_names, 100.0, "eeg")
    data = _mixed_sources(len(ch_names), 2000, 100.0, seed=0) * 1e-6
    raw = mne.io.RawArray(data, info, verbose=False)
    raw.set_montage(montage, verbose=False)
    raw.filter(1.0, None, verbose=False)
    return raw


@pytest.fixture(scope="session")
def eeg_ica_fitted(eeg_raw):
    return _fit_ica(eeg_raw)


@pytest.fixture
def eeg_ica(eeg_ica_fitted):
    """A fresh copy per test: the window changes ``labels_``."""
    return eeg_ica_fitted.copy()


@pytest.fixture(scope="session")
def eeg_epochs(eeg_raw):
    import mne

    return mne.make_fixed_length_epochs(eeg_raw, 1.0, preload=True, verbose=False)


@pytest.fixture(scope="session")
def meg_raw(shared_data):
    """MEG-like Raw: every 5th MEG channel (mags and grads) of the sample info."""
    import mne

    info = mne.io.read_info(
        shared_data / "meg" / "sample_audvis_trunc_raw_sss.fif", verbose=False
    )
    info = mne.pick_info(info, mne.pick_types(info, meg=True)[::5])
    n_times = int(10 * info["sfreq"])
    data = _mixed_sources(len(info["ch_names"]), n_times, info["sfreq"], seed=1)
    scale = np.where(np.array(info.get_channel_types()) == "mag", 1e-13, 1e-11)
    raw = mne.io.RawArray(data * scale[:, None], info, verbose=False)
    raw.del_proj()
    raw.filter(1.0, 40.0, verbose=False)
    return raw


@pytest.fixture(scope="session")
def meg_ica_fitted(meg_raw):
    return _fit_ica(meg_raw)


@pytest.fixture
def meg_ica(meg_ica_fitted):
    return meg_ica_fitted.copy()
