"""EEGLAB sets → features → network → probabilities, against MATLAB's ICLabel."""

import json
import subprocess
import sys
import textwrap

import mne
import numpy as np
import pytest
from mne.preprocessing import read_ica_eeglab
from scipy.io import loadmat

from mne_icalabel import label_components
from mne_icalabel.iclabel import iclabel_label_components

_BACKENDS = ["torch", "onnx", "numpy"]
_EXPECTED_WARNINGS = [
    "ignore:.*common average reference.*:RuntimeWarning",
    "ignore:.*not filtered between 1 and 100 Hz.*:RuntimeWarning",
    "ignore:.*designed with extended infomax ICA.*:RuntimeWarning",
]


@pytest.fixture(scope="module", params=["raw", "epo"])
def eeglab_case(request, iclabel_path):
    fname = iclabel_path / "datasets" / f"sample-{request.param}.set"
    if request.param == "raw":
        inst = mne.io.read_raw_eeglab(fname, preload=True)
    else:
        inst = mne.read_epochs_eeglab(fname)
    ica = read_ica_eeglab(fname)
    expected = loadmat(iclabel_path / f"iclabel-output-{request.param}.mat")["labels"]
    return inst, ica, expected


@pytest.mark.filterwarnings(*_EXPECTED_WARNINGS)
@pytest.mark.parametrize("backend", _BACKENDS)
def test_probabilities_match_eeglab(eeglab_case, backend):
    inst, ica, expected = eeglab_case
    proba = iclabel_label_components(inst, ica, inplace=False, backend=backend)
    assert proba.dtype == np.float32
    assert proba.shape == expected.shape == (30, 7)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-5)
    assert not hasattr(ica, "labels_scores_")


@pytest.mark.filterwarnings(*_EXPECTED_WARNINGS)
def test_label_components_dispatch(eeglab_case):
    inst, ica, expected = eeglab_case
    ica = ica.copy()
    result = label_components(inst, ica, method="iclabel")
    predicted = np.argmax(expected, axis=1)
    names = [
        "brain",
        "muscle artifact",
        "eye blink",
        "heart beat",
        "line noise",
        "channel noise",
        "other",
    ]
    assert result["labels"] == [names[k] for k in predicted]
    assert result["y_pred_proba"].dtype == np.float32
    np.testing.assert_allclose(
        result["y_pred_proba"], expected[np.arange(30), predicted], atol=1e-5
    )
    np.testing.assert_allclose(ica.labels_scores_, expected, atol=1e-5)
    assert sorted(k for comps in ica.labels_.values() for k in comps) == list(range(30))


def test_label_components_validates_method(eeglab_case):
    inst, ica, _ = eeglab_case
    with pytest.raises(TypeError, match="method must be an instance of str"):
        label_components(inst, ica, method=1)
    for bad in ("manual", "ICLabel", "unknown"):
        with pytest.raises(
            ValueError, match="Invalid value for the 'method' parameter"
        ):
            label_components(inst, ica, method=bad)


def test_label_components_validates_inst_and_ica(eeglab_case):
    inst, ica, _ = eeglab_case
    with pytest.raises(TypeError, match="inst must be an instance of Raw or Epochs"):
        label_components(inst.get_data(), ica, method="iclabel")
    with pytest.raises(TypeError, match="ica must be an instance of ICA"):
        label_components(inst, None, method="iclabel")
    unfitted = mne.preprocessing.ICA(n_components=5)
    with pytest.raises(RuntimeError, match="The provided ICA instance was not fitted"):
        label_components(inst, unfitted, method="iclabel")


def test_first_call_uses_onnxruntime_without_importing_torch(iclabel_path):
    """With torch and onnxruntime installed, a fresh process never imports torch.

    ``backend=None`` prefers onnxruntime, so ``import mne_icalabel`` and the
    first ``label_components`` leave torch (1 s or more to import) alone, and
    still give EEGLAB's probabilities.
    """
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    fname = iclabel_path / "datasets" / "sample-raw.set"
    script = textwrap.dedent(
        f"""
        import json, sys, warnings
        import mne
        from mne.preprocessing import read_ica_eeglab
        import mne_icalabel

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            raw = mne.io.read_raw_eeglab({str(fname)!r}, preload=True, verbose=False)
            ica = read_ica_eeglab({str(fname)!r}, verbose=False)
            mne_icalabel.label_components(raw, ica, method="iclabel")
        print(json.dumps({{
            "proba": ica.labels_scores_.tolist(),
            "modules": [m for m in ("torch", "onnxruntime") if m in sys.modules],
        }}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["modules"] == ["onnxruntime"]
    expected = loadmat(iclabel_path / "iclabel-output-raw.mat")["labels"]
    np.testing.assert_allclose(np.array(out["proba"]), expected, rtol=0, atol=1e-5)
