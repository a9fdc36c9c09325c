"""Preparing a recording, fitting the ICA a method expects, labelling one file."""

from __future__ import annotations

import mne
import numpy as np
import pytest

from mne_icalabel.batch import fit_ica, label_recording, make_report, prepare_recording
from mne_icalabel.batch.ica import describe_ica
from mne_icalabel.datasets.simulation import simulate_eeg_raw

from .conftest import N_COMPONENTS


@pytest.fixture(scope="module")
def raw():
    return simulate_eeg_raw(16, duration=20.0, random_state=2, verbose=False)


def test_prepare_recording(raw):
    prepared = prepare_recording(raw, "iclabel", verbose=False)
    assert prepared is not raw
    assert prepared.info["highpass"] == 1.0 and prepared.info["lowpass"] == 100.0
    assert prepared.info["custom_ref_applied"]
    np.testing.assert_allclose(prepared.get_data(picks="eeg").mean(0), 0, atol=1e-12)
    assert raw.info["highpass"] == 0.0  # the input is untouched
    assert prepared.get_channel_types() == ["eeg"] * 16 + ["eog", "ecg"]
    # a sampling rate too low for the 100 Hz low-pass: only the high-pass
    low = raw.copy().resample(150.0, verbose=False)
    prepared = prepare_recording(low, verbose=False)
    assert prepared.info["highpass"] == 1.0 and prepared.info["lowpass"] == 75.0
    epochs = mne.make_fixed_length_epochs(raw, 4.0, preload=True, verbose=False)
    assert isinstance(prepare_recording(epochs, verbose=False), mne.BaseEpochs)


def test_prepare_errors(raw):
    with pytest.raises(RuntimeError, match="Could not find MEG channels"):
        prepare_recording(raw, "megnet")
    with pytest.raises(RuntimeError, match="Could not find EEG channels"):
        prepare_recording(raw.copy().pick(["EOG", "ECG"]), "iclabel")
    with pytest.raises(ValueError, match="method"):
        prepare_recording(raw, "manual")
    with pytest.raises(TypeError, match="inst must be an instance of Raw or Epochs"):
        prepare_recording(raw.get_data())
    epochs = mne.make_fixed_length_epochs(raw, 2.0, verbose=False)
    with pytest.raises(TypeError, match="MEGNet does not label Epochs"):
        prepare_recording(epochs, "megnet")


def test_fit_ica(raw):
    prepared = prepare_recording(raw, verbose=False)
    ica = fit_ica(prepared, n_components=6, verbose=False)
    assert ica.n_components_ == 6
    assert ica.method == "picard"
    assert ica.fit_params["extended"] is True and ica.fit_params["ortho"] is False
    assert ica.ch_names == prepared.ch_names[:16]  # EEG only
    assert describe_ica(ica) == "picard ICA (extended=True, ortho=False), 6 components"
    # capped at the rank of average-referenced data
    assert fit_ica(prepared, n_components=40, verbose=False).n_components_ == 15
    # deterministic
    again = fit_ica(prepared, n_components=6, verbose=False)
    np.testing.assert_allclose(again.unmixing_matrix_, ica.unmixing_matrix_)
    with pytest.raises(ValueError, match="at least 2"):
        fit_ica(prepared, n_components=1)
    with pytest.raises(TypeError, match="n_components"):
        fit_ica(prepared, n_components=0.5)


def test_label_recording(raw, tmp_path):
    result = label_recording(
        raw,
        n_components=8,
        out_dir=tmp_path,
        basename="sub-x",
        report=False,
        verbose=False,
    )
    assert result["fitted"] and result["proba"].shape == (8, 7)
    assert len(result["labels"]) == 8
    assert result["ica"].labels_scores_ is result["proba"]
    assert set(result["files"]) == {"tsv", "json", "ica"}
    assert result["files"]["tsv"] == tmp_path / "sub-x_components.tsv"
    assert all(path.is_file() for path in result["files"].values())
    ica = mne.preprocessing.read_ica(result["files"]["ica"], verbose=False)
    # the saved ICA gives the same labels again, and is not modified
    again = label_recording(raw, ica, out_dir=None, verbose=False)
    assert not again["fitted"] and again["files"] == {}
    # ICLabel's scientific bound (1e-5 of EEGLAB's output): the re-read ICA may
    # differ in its last bits, which the float32 network does not amplify past it
    np.testing.assert_allclose(again["proba"], result["proba"], atol=1e-5)
    assert again["ica"] is not ica and not hasattr(ica, "labels_scores_")
    with pytest.raises(TypeError, match="ica must be an instance of ICA or None"):
        label_recording(raw, "ica.fif")


def test_make_report(labelled, tmp_path):
    inst, ica, proba = labelled
    fname = tmp_path / "deep" / "r_report.html"
    report = make_report(inst, ica, proba, fname=fname, title="T", verbose=False)
    assert isinstance(report, mne.Report)
    html = fname.read_text(encoding="utf-8")
    assert "Probabilities" in html and "Topographies" in html and "Time courses" in html
    # one table row per component, with the predicted label of each
    assert html.count("<td>ICA0") == N_COMPONENTS
    labels = ["brain", "muscle artifact", "eye blink", "heart beat"]
    labels += ["line noise", "channel noise", "other"]
    # and the decision of the (default) exclusion policy
    from mne_icalabel.annotation.policy import ExclusionPolicy

    excluded = ExclusionPolicy().decide(proba, "iclabel").excluded
    for k, best in enumerate(np.argmax(proba, axis=1)):
        status = "excluded" if excluded[k] else "kept"
        assert f"<td>ICA{k:03d}</td><td>{status}</td><td style='color:" in html
        assert labels[best] in html
    assert "Exclusion policy: threshold: iclabel keeps brain, other" in html
    # a given list of excluded components (e.g. with manual decisions) wins
    make_report(inst, ica, proba, fname=fname, excluded=[3], verbose=False)
    html = fname.read_text(encoding="utf-8")
    assert html.count("<td>excluded</td>") == 1
    assert "<td>ICA003</td><td>excluded</td>" in html
    with pytest.raises(ValueError, match=r"proba must have shape \(10, 4\)"):
        make_report(inst, ica, proba, "megnet")
    with pytest.raises(ValueError, match="method"):
        make_report(inst, ica, proba, "manual")


def test_label_recording_megnet(shared_data, tmp_path):
    from mne_icalabel.datasets.simulation import simulate_meg_raw

    info = shared_data / "meg" / "sample_audvis_trunc_raw_sss.fif"
    raw = simulate_meg_raw(info, 61.0, meg="mag", verbose=False)
    result = label_recording(
        raw, method="megnet", out_dir=tmp_path, report=False, verbose=False
    )
    ica = result["ica"]
    assert ica.method == "infomax" and ica.n_components_ == 20
    assert result["proba"].shape == (20, 4) and result["proba"].dtype == np.float64
    assert {"eye blink", "heart beat"} <= set(result["labels"])
    blink = result["labels"].index("eye blink")
    assert ica.labels_["eog"] == [blink]
    assert sorted(ica.labels_["brain"] + ica.labels_["eog"] + ica.labels_["ecg"]) == (
        list(range(20))
    )
    with open(result["files"]["tsv"], encoding="utf-8") as fid:
        header = fid.readline().rstrip("\n").split("\t")
    assert header[-4:] == [
        "megnet_brain_other",
        "megnet_eye_blink",
        "megnet_heart_beat",
        "megnet_eye_movement",
    ]
