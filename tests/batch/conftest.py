"""A small simulated BIDS dataset, written once per session with mne-bids."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from mne_icalabel.datasets.simulation import simulate_eeg_raw

SUBJECTS = ("01", "02")
N_COMPONENTS = 10


def write_subject(
    root: Path, subject: str, seed: int, n_channels: int = 32, duration: float = 60.0
) -> Path:
    """Write one simulated recording (32 channels, 60 s); return its data file."""
    from mne_bids import BIDSPath, write_raw_bids

    raw = simulate_eeg_raw(
        n_channels, duration=duration, random_state=seed, verbose=False
    )
    bids_path = BIDSPath(
        subject=subject, task="rest", run="01", datatype="eeg", root=root
    )
    write_raw_bids(
        raw,
        bids_path,
        format="BrainVision",
        allow_preload=True,
        overwrite=True,
        verbose=False,
    )
    return bids_path.fpath


@pytest.fixture(scope="session")
def bids_template(tmp_path_factory) -> Path:
    """Two subjects x one run; copy it before writing derivatives into it."""
    root = tmp_path_factory.mktemp("bids") / "ds"
    for seed, subject in enumerate(SUBJECTS):
        write_subject(root, subject, seed)
    return root


@pytest.fixture
def bids_root(bids_template, tmp_path) -> Path:
    """A fresh copy of the two-subject dataset."""
    root = tmp_path / "ds"
    shutil.copytree(bids_template, root)
    return root


@pytest.fixture(scope="session")
def labelled(tmp_path_factory):
    """A 32-channel recording prepared for ICLabel, with a labelled 10-IC ICA."""
    from mne_icalabel.batch import fit_ica, prepare_recording
    from mne_icalabel.iclabel import iclabel_label_components

    raw = simulate_eeg_raw(32, duration=30.0, random_state=5, verbose=False)
    inst = prepare_recording(raw, "iclabel", verbose=False)
    ica = fit_ica(inst, "iclabel", N_COMPONENTS, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = iclabel_label_components(inst, ica)
    return inst, ica, proba
