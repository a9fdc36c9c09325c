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
