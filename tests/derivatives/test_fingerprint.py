"""The fingerprints of an ICA and of a recording's data."""

from __future__ import annotations

import mne
import numpy as np
import pytest

from mne_icalabel.derivatives import _fingerprint
from mne_icalabel.derivatives._fingerprint import data_fingerprint, ica_fingerprint

# white noise, not high-pass filtered: MNE says so when fitting
pytestmark = pytest.mark.filterwarnings("ignore:The data has not been high-pass")


@pytest.fixture(scope="module")
def raw_and_ica():
    rng = np.random.default_rng(0)
    info = mne.create_info([f"EEG{i:02d}" for i in range(8)], 100.0, "eeg")
    raw = mne.io.RawArray(1e-5 * rng.standard_normal((8, 3001)), info, verbose=False)
    ica = mne.preprocessing.ICA(5, random_state=0, max_iter=200, verbose=False)
    ica.fit(raw, verbose=False)
    return raw, ica


def test_ica_fingerprint_survives_the_file(raw_and_ica, tmp_path):
    _, ica = raw_and_ica
    digest = ica_fingerprint(ica)
    assert len(digest) == 64
    fname = tmp_path / "x_ica.fif"
    ica.save(fname, verbose=False)
    read = mne.preprocessing.read_ica(fname, verbose=False)
    # (MNE computes mixing_matrix_ again when reading: left out of the digest)
    assert ica_fingerprint(read) == digest
    # labels and exclusions are not the decomposition
    read.exclude = [1]
    read.labels_ = {"eog": [1]}
    assert ica_fingerprint(read) == digest


def test_ica_fingerprint_sees_another_decomposition(raw_and_ica):
    raw, ica = raw_and_ica
    other = ica.copy()
    other.unmixing_matrix_ = other.unmixing_matrix_.copy()
    other.unmixing_matrix_[0, 0] = np.nextafter(other.unmixing_matrix_[0, 0], 1)
    assert ica_fingerprint(other) != ica_fingerprint(ica)
    refit = mne.preprocessing.ICA(5, random_state=1, max_iter=200, verbose=False)
    refit.fit(raw, verbose=False)
    assert refit.n_components_ == ica.n_components_
    assert ica_fingerprint(refit) != ica_fingerprint(ica)


def test_data_fingerprint(raw_and_ica, monkeypatch):
    raw, _ = raw_and_ica
    digest = data_fingerprint(raw)
    # blocks of any size give the same digest (3001 samples: a partial block)
    monkeypatch.setattr(_fingerprint, "_BLOCK", 1000)
    assert data_fingerprint(raw) == digest
    changed = raw.copy()
    changed._data[3, 2000] += 1e-12
    assert data_fingerprint(changed) != digest
    renamed = raw.copy().rename_channels({"EEG00": "Fp1"})
    assert data_fingerprint(renamed) != digest
    shorter = raw.copy().crop(0, 29.99)
    assert data_fingerprint(shorter) != digest
    epochs = mne.make_fixed_length_epochs(raw, 5.0, preload=True, verbose=False)
    assert len(data_fingerprint(epochs)) == 64


def test_data_fingerprint_of_a_file_not_loaded(raw_and_ica, tmp_path):
    raw, _ = raw_and_ica
    fname = tmp_path / "x_raw.fif"
    raw.save(fname, fmt="double", verbose=False)
    lazy = mne.io.read_raw_fif(fname, preload=False, verbose=False)
    assert data_fingerprint(lazy) == data_fingerprint(raw)
