"""A kill between the TSV and its sidecar never leaves a TSV under another ICA's name.

A run that finds a components TSV takes the recording as labelled, and the
sidecar's fingerprint names the ICA the TSV describes. Here the write of one
of the two files fails (as a kill would stop it) and what is left on disk is
read as the next run reads it.
"""

from __future__ import annotations

import mne
import numpy as np
import pytest

from mne_icalabel.derivatives import (
    FINGERPRINT_KEY,
    _components,
    read_fingerprint,
    sidecar_path,
)
from mne_icalabel.derivatives._components import write_components
from mne_icalabel.derivatives._fingerprint import ica_fingerprint

pytestmark = pytest.mark.filterwarnings("ignore:The data has not been high-pass")


def _ica(seed: int) -> mne.preprocessing.ICA:
    rng = np.random.default_rng(0)
    info = mne.create_info([f"EEG{i:02d}" for i in range(6)], 100.0, "eeg")
    raw = mne.io.RawArray(1e-5 * rng.laplace(size=(6, 3000)), info, verbose=False)
    ica = mne.preprocessing.ICA(4, random_state=seed, max_iter=500, verbose=False)
    ica.fit(raw, verbose=False)
    ica.labels_ = {"eog": [seed % 4]}
    return ica


def _write(ica, path):
    entry = {FINGERPRINT_KEY: {"ICA": ica_fingerprint(ica)}}
    return write_components(ica, path, {}, sidecar=entry)


class _Killed(Exception):
    pass


def _fail(*args, **kwargs):
    raise _Killed


@pytest.mark.parametrize("killed", ["write_text", "write_json"])
def test_rewrite_for_a_new_ica_killed_between_files(tmp_path, monkeypatch, killed):
    old, new = _ica(1), _ica(2)
    assert ica_fingerprint(old) != ica_fingerprint(new)
    path = tmp_path / "sub-01_task-x_components.tsv"
    _write(old, path)
    old_tsv = path.read_bytes()
    monkeypatch.setattr(_components, killed, _fail)
    with pytest.raises(_Killed):
        _write(new, path)
    recorded = read_fingerprint(path)["ICA"]
    # the old TSV is never left under the new ICA's fingerprint
    assert not (path.read_bytes() == old_tsv and recorded == ica_fingerprint(new))
    # rewritten first, then the sidecar: a failed sidecar leaves the old
    # fingerprint beside the new TSV (a mismatch the next run reports)
    if killed == "write_json":
        assert path.read_bytes() != old_tsv
        assert recorded == ica_fingerprint(old)


def test_new_tsv_killed_before_it_is_written(tmp_path, monkeypatch):
    path = tmp_path / "sub-01_task-x_components.tsv"
    monkeypatch.setattr(_components, "write_text", _fail)
    with pytest.raises(_Killed):
        _write(_ica(1), path)
    # no TSV: the recording is not taken as labelled, the next run redoes it
    assert not path.exists() and sidecar_path(path).is_file()
