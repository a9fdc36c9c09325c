"""A simulated MEG recording with known blink and heartbeat, and its ICA."""

from __future__ import annotations

import numpy as np
import pytest

# 90 s = 22500 samples: two chunks (starts 0 and 7500) in the vote.
DURATION = 90.0
SEED = 0


@pytest.fixture(scope="session")
def meg_info_path(shared_data):
    """The Neuromag-306 recording whose info carries the sensor layout."""
    return shared_data / "meg" / "sample_audvis_trunc_raw_sss.fif"


@pytest.fixture(scope="session")
def meg_recording(meg_info_path):
    """Magnetometers + EOG + ECG, filtered 1-100 Hz, notched, with infomax ICA.

    Returns ``(raw, ica, blink_component, heart_component)``; the two
    components are those whose time course correlates best with the simulated
    EOG and ECG traces.
    """
    from mne.preprocessing import ICA

    from mne_icalabel.datasets.simulation import simulate_meg_raw

    raw = simulate_meg_raw(meg_info_path, DURATION, meg="mag", random_state=SEED)
    raw.filter(1.0, 100.0, verbose=False)
    raw.notch_filter(60.0, verbose=False)
    ica = ICA(n_components=20, method="infomax", random_state=88, max_iter=500)
    ica.fit(raw, picks="mag", verbose=False)
    sources = ica.get_sources(raw).get_data()

    def best(kind: str) -> int:
        truth = raw.get_data(picks=kind)[0]
        corr = [abs(np.corrcoef(source, truth)[0, 1]) for source in sources]
        assert max(corr) > 0.6, (kind, max(corr))  # the ICA isolated it
        return int(np.argmax(corr))

    return raw, ica, best("eog"), best("ecg")


@pytest.fixture(scope="session")
def meg_features(meg_recording):
    """``get_megnet_features`` of the simulated recording, computed once."""
    from mne_icalabel.megnet import get_megnet_features

    raw, ica, _, _ = meg_recording
    return get_megnet_features(raw, ica)
