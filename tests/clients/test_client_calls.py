"""Each call a client makes into mne-icalabel, exactly as the client writes it.

The calls of ``_registry.CLIENTS``, run on this package without the clients
installed, with what each client reads of the result checked; where the
client reads a constant, it is compared with mne-icalabel 0.10.0's.
"""

from __future__ import annotations

import json
import subprocess
import sys

import mne
import numpy as np
import pytest

from ._checks import write_epochs_inputs
from ._dataset import N_COMPONENTS
from ._harness import client_env, upstream_path
from ._registry import PIPELINE_CLASSES


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    inputs = write_epochs_inputs(tmp_path_factory.mktemp("calls"))
    epochs = mne.read_epochs(inputs / "sub-01_epo.fif", verbose="error")
    ica = mne.preprocessing.read_ica(inputs / "sub-01_ica.fif", verbose="error")
    return epochs, ica


def test_mne_bids_pipeline_iclabel_label_components(fitted):
    from mne_icalabel.iclabel import iclabel_label_components

    epochs, ica = fitted
    ica = ica.copy()
    proba = iclabel_label_components(inst=epochs, ica=ica, inplace=False)
    assert isinstance(proba, np.ndarray) and proba.shape == (N_COMPONENTS, 7)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert ica.labels_ == {}  # inplace=False: the ICA as it was
    assert getattr(ica, "labels_scores_", None) is None
    # its labels: argmax into its class list; with inplace=True the same
    labels = [PIPELINE_CLASSES[i] for i in proba.argmax(axis=1)]
    iclabel_label_components(epochs, ica)
    np.testing.assert_array_equal(ica.labels_scores_, proba)
    assert labels[0] == "eye blink"  # the simulated blink


@pytest.mark.parametrize("inst", ["epochs", "raw"])
def test_label_components_as_pylossless_and_autoclean_read_it(fitted, inst):
    """pylossless passes epochs, autocleaneeg-pipeline a Raw; both read the ICA."""
    import mne_icalabel

    epochs, ica = fitted
    ica = ica.copy()
    if inst == "raw":  # the epochs end to end, as a continuous recording
        data = np.hstack(list(epochs.get_data(copy=True)))
        inst = mne.io.RawArray(data, epochs.info, verbose="error")
    else:
        inst = epochs
    mne_icalabel.label_components(inst, ica, method="iclabel")
    # _icalabel_to_data_frame / _icalabel_to_dataframe
    ic_type = [""] * ica.n_components_
    for label, comps in ica.labels_.items():
        for comp in comps:
            ic_type[comp] = label
    assert "" not in ic_type  # every component has one label
    assert set(ica.labels_) <= set(mne_icalabel.config.ICA_LABELS_TO_MNE.values())
    assert ica.labels_scores_.shape == (ica.n_components_, 7)
    assert len(ica._ica_names) == ica.n_components_
    best = ica.labels_scores_.argmax(1)
    mne_labels = list(mne_icalabel.config.ICA_LABELS_TO_MNE.values())
    assert ic_type == [mne_labels[i] for i in best]


def test_pylossless_constants_are_those_of_0_10_0():
    """IC_LABELS, its dash colour map (zip over the values) and its version check."""
    from mne.utils import check_version

    import mne_icalabel.config

    assert check_version("mne_icalabel", "0.5.0")
    script = (
        "import json, mne_icalabel.config as c; "
        "print(json.dumps(list(c.ICA_LABELS_TO_MNE.items())))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=client_env(upstream_path()),
        cwd=upstream_path(),
        check=True,
    )
    theirs = [tuple(item) for item in json.loads(done.stdout)]
    assert list(mne_icalabel.config.ICA_LABELS_TO_MNE.items()) == theirs
