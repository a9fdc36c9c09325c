"""The sample budget of the ICA fit: the rule, its parameters, the labels it keeps."""

from __future__ import annotations

import warnings

import mne
import numpy as np
import pytest

from mne_icalabel.batch import fit_ica, label_bids_dataset, prepare_recording
from mne_icalabel.batch.ica import MIN_FIT_SAMPLES, SAMPLES_PER_COMPONENT2, _auto_decim
from mne_icalabel.datasets.simulation import simulate_eeg_raw

from ._agreement import ARTIFACTS, STABLE, artifacts_found, match_components


@pytest.mark.parametrize(
    "n_samples, n_components, decim",
    [
        (75_000, 20, 3),  # 5 min at 250 Hz: 24,000 samples needed
        (150_000, 20, 6),  # 10 min
        (48_000, 20, 2),
        (47_999, 20, 1),  # just short of twice the budget: every sample
        (30_504, 29, 1),  # the EEGLAB sample, 29 components
        (100_000, 5, 5),  # few components: the 20,000-sample floor
        (10, 20, 1),
    ],
)
def test_auto_decim_rule(n_samples, n_components, decim):
    assert _auto_decim(n_samples, n_components) == decim
    budget = max(SAMPLES_PER_COMPONENT2 * n_components**2, MIN_FIT_SAMPLES)
    assert n_samples / decim >= budget or decim == 1
    # the largest such step: one more would leave fewer samples than the budget
    assert n_samples / (decim + 1) < budget


@pytest.fixture(scope="module")
def long_raw():
    """8 channels x 200 s at 250 Hz (50,000 samples), prepared for ICLabel."""
    raw = simulate_eeg_raw(8, duration=200.0, random_state=1, verbose=False)
    return prepare_recording(raw, verbose=False)


def test_fit_ica_decim(long_raw):
    # 4 components: the 20,000-sample floor, 50,000 samples -> every 2nd
    assert fit_ica(long_raw, n_components=4, verbose=False).n_samples_ == 25_000
    for decim in (None, 1):
        ica = fit_ica(long_raw, n_components=4, decim=decim, verbose=False)
        assert ica.n_samples_ == 50_000
    assert fit_ica(long_raw, n_components=4, decim=7, verbose=False).n_samples_ == (
        -(-50_000 // 7)
    )
    # BAD segments are left out, and the rule counts what remains: 80 s good
    bad = long_raw.copy()
    bad.set_annotations(mne.Annotations([10.0], [120.0], ["BAD_motion"]))
    assert fit_ica(bad, n_components=4, verbose=False).n_samples_ == 20_000
    ica = fit_ica(bad, n_components=4, reject_by_annotation=False, verbose=False)
    assert ica.n_samples_ == 25_000
    # an explicit step that leaves fewer samples than the components need
    with pytest.warns(RuntimeWarning, match=r"fitted on 2500 samples .* fewer than"):
        fit_ica(long_raw, n_components=7, decim=20, verbose=False)
    # Epochs: the samples of all epochs count
    epochs = mne.make_fixed_length_epochs(long_raw, 2.0, preload=True, verbose=False)
    assert fit_ica(epochs, n_components=4, verbose=False).n_samples_ == 25_000


@pytest.mark.parametrize(
    "decim, error, match",
    [
        (0, ValueError, "decim must be 'auto', None or at least 1"),
        (-3, ValueError, "decim must be 'auto', None or at least 1"),
        ("fast", ValueError, "Invalid value for the 'decim' parameter"),
        (2.5, TypeError, "decim must be an instance of"),
    ],
)
def test_fit_ica_decim_errors(long_raw, decim, error, match):
    with pytest.raises(error, match=match):
        fit_ica(long_raw, n_components=4, decim=decim)


def test_bids_decim_error_before_any_recording(bids_root):
    deriv = bids_root / "derivatives"
    with pytest.raises(ValueError, match="ica_decim must be 'auto', None or at least"):
        label_bids_dataset(bids_root, ica_decim=0)
    with pytest.raises(TypeError, match="ica_decim must be an instance of"):
        label_bids_dataset(bids_root, ica_decim=[2])
    assert not deriv.exists()


def test_cli_ica_decim(bids_root, capsys):
    """--ica-decim parses auto/none/N; anything else stops before any recording."""
    from mne_icalabel.commands._common import _ica_decim
    from mne_icalabel.commands.main import main

    assert _ica_decim("auto") == "auto"
    assert _ica_decim("None") is None
    assert _ica_decim(" 4 ") == 4
    for text in ("0", "-2", "two", "1.5", ""):
        with pytest.raises(SystemExit) as exit_info:
            main(["bids", str(bids_root), "--ica-decim", text])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "argument --ica-decim: expected auto, none or a positive integer" in err
        assert repr(text) in err
    assert not (bids_root / "derivatives").exists()


def test_decimated_fit_finds_the_same_artifacts():
    """decim='auto' finds and labels the simulated artifacts as the full fit does.

    32 channels x 240 s at 250 Hz (60,000 samples), 13 components (the 13
    simulated sources: with more, the extra components of Gaussian sensor
    noise make picard's convergence depend on the BLAS threads): the rule fits
    on every 3rd sample (the 20,000-sample floor). The components of the two
    fits are paired by their maps; the true blink, heart and muscle sources
    are looked up by their maps (``_agreement.true_artifacts``).
    """
    from mne_icalabel.iclabel import iclabel_label_components
    from mne_icalabel.iclabel._config import ICLABEL_NUMERICAL_TO_STRING

    raw = simulate_eeg_raw(32, duration=240.0, random_state=0, verbose=False)
    inst = prepare_recording(raw, verbose=False)
    fits = {}
    for decim in (None, "auto"):
        ica = fit_ica(inst, n_components=13, decim=decim, verbose=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            proba = iclabel_label_components(inst, ica)
        labels = [ICLABEL_NUMERICAL_TO_STRING[k] for k in proba.argmax(axis=1)]
        fits[decim] = ica, labels
    full, auto = fits[None], fits["auto"]
    assert full[0].n_samples_ == 60_000 and auto[0].n_samples_ == 20_000
    found = artifacts_found(*full)
    assert found == sorted(ARTIFACTS + ("muscle artifact",))  # all 4 sources
    assert artifacts_found(*auto) == found
    # the components both fits find (paired maps correlated >= STABLE) keep
    # their labels, artifacts or not
    order, corr = match_components(full[0].get_components(), auto[0].get_components())
    both = corr >= STABLE
    assert both.sum() == 13  # every simulated source, in both fits
    paired = np.asarray(auto[1])[order]
    np.testing.assert_array_equal(paired[both], np.asarray(full[1])[both])
