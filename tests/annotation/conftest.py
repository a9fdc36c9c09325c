"""A small fitted ICA with hand-made labels, and a BIDS dataset written by mne-bids."""

from __future__ import annotations

import mne
import numpy as np
import pytest
from mne.preprocessing import ICA

_EEG = ["Fp1", "Fp2", "F3", "F4", "C3", "C4", "O1", "O2"]


@pytest.fixture(scope="session")
def sim_raw() -> mne.io.RawArray:
    """20 s of 8 EEG channels mixing 5 Laplace sources, with a montage."""
    rng = np.random.default_rng(0)
    sources = rng.laplace(size=(5, 2000))
    mixing = rng.standard_normal((len(_EEG), 5))
    data = (mixing @ sources + 0.01 * rng.standard_normal((len(_EEG), 2000))) * 1e-6
    raw = mne.io.RawArray(data, mne.create_info(_EEG, 100.0, "eeg"), verbose=False)
    raw.set_montage("biosemi64", on_missing="ignore")
    raw.filter(1.0, None, verbose=False)
    return raw


@pytest.fixture(scope="session")
def fitted_ica(sim_raw) -> ICA:
    ica = ICA(5, method="fastica", random_state=0, verbose=False)
    return ica.fit(sim_raw, verbose=False)


def _probabilities(n_components: int, n_classes: int, dtype) -> np.ndarray:
    rng = np.random.default_rng(n_classes)
    proba = rng.random((n_components, n_classes)) ** 4
    return (proba / proba.sum(axis=1, keepdims=True)).astype(dtype)


@pytest.fixture
def ica_iclabel(fitted_ica) -> ICA:
    """The ICA with ICLabel-like float32 probabilities and labels set by hand."""
    ica = fitted_ica.copy()
    ica.labels_scores_ = _probabilities(5, 7, np.float32)
    ica.labels_ = {"brain": [0, 3], "eog": [1], "ecg": [], "eog/0/Fp1": [4]}
    return ica


@pytest.fixture
def ica_megnet(fitted_ica) -> ICA:
    """The ICA with MEGNet-like float64 probabilities (no labels_, as MEGNet)."""
    ica = fitted_ica.copy()
    ica.labels_scores_ = _probabilities(5, 4, np.float64)
    return ica


@pytest.fixture(scope="session")
def bids_root(sim_raw, tmp_path_factory):
    """A BIDS dataset with one EEG recording written by mne-bids."""
    import mne_bids

    root = tmp_path_factory.mktemp("bids")
    bids_path = mne_bids.BIDSPath(subject="01", task="rest", datatype="eeg", root=root)
    raw = sim_raw.copy()
    raw.info["line_freq"] = 50.0
    mne_bids.write_raw_bids(
        raw, bids_path, format="BrainVision", allow_preload=True, verbose=False
    )
    return root
