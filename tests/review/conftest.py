"""The simulated recordings of the GUI tests, for the review model (no Qt)."""

from ..gui.conftest import (  # noqa: F401 (fixtures)
    eeg_epochs,
    eeg_ica,
    eeg_ica_fitted,
    eeg_raw,
    meg_ica,
    meg_ica_fitted,
    meg_raw,
)
