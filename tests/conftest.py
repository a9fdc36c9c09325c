"""Shared fixtures: paths to the shared weights and the ICLabel testing dataset.

The weights and the testing dataset are never part of the repository. The test
suite looks for them in ``../shared/data`` (beside the repository) unless the
environment variables ``MNE_ICALABEL_WEIGHTS_PATH`` and
``MNE_ICALABEL_DATASET_TESTING_PATH`` already point somewhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
os.environ.setdefault("MNE_ICALABEL_WEIGHTS_PATH", str(_SHARED_DATA / "weights"))
os.environ.setdefault("MNE_ICALABEL_DATASET_TESTING_PATH", str(_SHARED_DATA))
# Qt must never try to open a real display in the tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder ``../shared/data`` holding weights, MEG info and references."""
    if not _SHARED_DATA.is_dir():
        pytest.fail(f"The shared data folder {_SHARED_DATA} is missing.")
    return _SHARED_DATA


@pytest.fixture(scope="session")
def weights_dir() -> Path:
    """Folder that holds ``ICLabelNet.onnx``, ``ICLabelNet.pt``, ``megnet.onnx``."""
    return Path(os.environ["MNE_ICALABEL_WEIGHTS_PATH"])


@pytest.fixture(scope="session")
def testing_path() -> Path:
    """Root of the ICLabel testing dataset (holds ``iclabel/``)."""
    from mne_icalabel.datasets import icalabel

    path = icalabel.data_path(download=False, update_path=False)
    if path == Path() or not (path / "iclabel").is_dir():
        pytest.fail(
            "The ICLabel testing dataset was not found; set "
            "MNE_ICALABEL_DATASET_TESTING_PATH to the folder that holds "
            "MNE-testing-icalabel-data."
        )
    return path


@pytest.fixture(scope="session")
def iclabel_path(testing_path) -> Path:
    """The ``iclabel`` folder of the testing dataset."""
    return testing_path / "iclabel"


@pytest.fixture(scope="session")
def combined_recording(shared_data) -> dict:
    """Simulated EEG + MEG recording with ICAs fitted on both and on EEG only.

    70 s at 250 Hz (MEGNet needs 60 s), filtered 1-100 Hz, EEG average
    referenced; the blink component of each ICA is the one most correlated
    with the ground-truth EOG channel.
    """
    import numpy as np
    from mne.preprocessing import ICA

    from mne_icalabel.datasets.simulation import simulate_meg_raw

    info = shared_data / "meg" / "sample_audvis_trunc_raw_sss.fif"
    raw = simulate_meg_raw(info, 70.0, eeg=True, random_state=0, verbose=False)
    raw.filter(1.0, 100.0, verbose=False)
    raw.set_eeg_reference("average", verbose=False)
    eog = raw.get_data("eog")[0]
    out = dict(raw=raw)
    for name, picks in (("both", ["eeg", "mag", "grad"]), ("eeg", ["eeg"])):
        ica = ICA(
            20, method="picard", fit_params=dict(extended=True, ortho=False), rng=97
        )
        ica.fit(raw, picks=picks, verbose=False)
        sources = ica.get_sources(raw).get_data()
        corr = [abs(np.corrcoef(s, eog)[0, 1]) for s in sources]
        out[f"ica_{name}"], out[f"blink_{name}"] = ica, int(np.argmax(corr))
    return out
