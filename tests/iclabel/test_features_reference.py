"""ICLabel features against the MATLAB/EEGLAB references (ICLABEL.md §8)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.io import loadmat

from mne_icalabel.iclabel import get_iclabel_features
from mne_icalabel.iclabel.features._activations import (
    _compute_ica_activations,
    _retrieve_eeglab_icawinv,
)
from mne_icalabel.iclabel.features._autocorr import (
    _compute_autocorr_feature,
    _eeg_autocorr,
    _eeg_autocorr_fftw,
    _eeg_autocorr_welch,
    _resample,
)
from mne_icalabel.iclabel.features._locations import _mne_to_eeglab_locs
from mne_icalabel.iclabel.features._psd import (
    _compute_psd_feature,
    _eeg_rpsd_constants,
)
from mne_icalabel.iclabel.features._topomap import (
    _eeg_topoplot,
    _gdatav4,
    _topoplot,
)

# Warnings expected on the EEGLAB sets: label 'averef' but no MNE reference
# info, no filter information, ICA imported from EEGLAB.
_EXPECTED_WARNINGS = [
    pytest.mark.filterwarnings("ignore:.*common average reference:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:.*not filtered between 1 and 100 Hz"),
    pytest.mark.filterwarnings("ignore:.*designed with extended infomax"),
]

KINDS = ["raw", "short-raw", "very-short-raw", "epo", "long-epo"]


@pytest.fixture(scope="session")
def eeglab_sets(iclabel_path):
    """Load every EEGLAB set once: {kind: (inst, ica)}."""
    import mne

    out = {}
    for kind in KINDS:
        fname = iclabel_path / "datasets" / f"sample-{kind}.set"
        if kind.endswith("epo"):
            inst = mne.read_epochs_eeglab(fname, verbose="error")
        else:
            inst = mne.io.read_raw_eeglab(fname, preload=True, verbose="error")
        ica = mne.preprocessing.read_ica_eeglab(fname, verbose="error")
        out[kind] = (inst, ica)
    return out


@pytest.fixture(scope="session")
def icaacts(eeglab_sets):
    """EEGLAB's icaact for every set, computed once."""
    out = {}
    for kind, (inst, ica) in eeglab_sets.items():
        _, weights = _retrieve_eeglab_icawinv(ica)
        out[kind] = _compute_ica_activations(inst, ica, weights)
    return out


def _mat(iclabel_path, name, key):
    return loadmat(iclabel_path / name)[key]


@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_icawinv(iclabel_path, eeglab_sets, kind):
    _, ica = eeglab_sets[kind]
    icawinv, weights = _retrieve_eeglab_icawinv(ica)
    ref = loadmat(iclabel_path / "datasets" / f"sample-{kind}.set")["icawinv"]
    assert icawinv.shape == weights.T.shape == (30, 30)
    assert_allclose(icawinv, ref, rtol=0, atol=1e-8)


@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_activations(iclabel_path, icaacts, kind):
    ref = _mat(iclabel_path, f"icaact/icaact-{kind}.mat", "icaact")
    assert icaacts[kind].shape == ref.shape
    assert icaacts[kind].dtype == np.float64
    assert_allclose(icaacts[kind], ref, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_locations(iclabel_path, eeglab_sets, kind):
    inst, ica = eeglab_sets[kind]
    rd, th = _mne_to_eeglab_locs(inst, ica.ch_names)
    loc = _mat(iclabel_path, f"utils/loc-{kind}.mat", "loc")[0, 0]
    assert rd.shape == th.shape == (1, 30)
    assert_allclose(rd, loc["rd"], rtol=0, atol=1e-8)
    assert_allclose(th, loc["th"], rtol=0, atol=1e-8)


@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_gdatav4(iclabel_path, kind):
    ref = _mat(iclabel_path, f"utils/gdatav4-{kind}.mat", "gdatav4")[0, 0]
    # MATLAB: griddata(inty, intx, intValues, yi, xi, 'v4'), Xi varying along
    # columns, i.e. queries (Xi, Yi) = meshgrid(yi, xi).
    xq, yq = np.meshgrid(ref["yi"].ravel(), ref["xi"].ravel())
    assert_allclose(xq, ref["Xi"], rtol=0, atol=1e-8)
    assert_allclose(yq, ref["Yi"], rtol=0, atol=1e-8)
    zi = _gdatav4(ref["inty"], ref["intx"], ref["intValues"][:, 0], xq, yq)
    assert_allclose(zi, ref["Zi"], rtol=0, atol=1e-8)
    # same with 2-D values: columns are interpolated independently
    v2 = np.c_[ref["intValues"], -2 * ref["intValues"]]
    zi2 = _gdatav4(ref["inty"], ref["intx"], v2, xq, yq)
    assert zi2.shape == (32, 32, 2)
    assert_allclose(zi2[..., 1], -2 * ref["Zi"], rtol=1e-10, atol=1e-8)


def test_gdatav4_merges_duplicates():
    """Coincident electrodes are merged into their mean value."""
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-0.5, 0.5, (2, 10))
    v = rng.standard_normal(10)
    xq, yq = np.meshgrid(np.linspace(-0.5, 0.5, 7), np.linspace(-0.5, 0.5, 5))
    ref = _gdatav4(x, y, v, xq, yq)
    # duplicate point 3 with a different value: the spline uses their mean
    x2, y2 = np.r_[x, x[3]], np.r_[y, y[3]]
    v2 = np.r_[v, 1.0]
    v_mean = v.copy()
    v_mean[3] = (v[3] + 1.0) / 2
    assert_allclose(
        _gdatav4(x2, y2, v2, xq, yq), _gdatav4(x, y, v_mean, xq, yq), atol=1e-10
    )
    assert not np.allclose(_gdatav4(x2, y2, v2, xq, yq), ref)
    # the spline interpolates: exact at the (distinct) electrodes
    assert_allclose(_gdatav4(x, y, v, x, y), v, atol=1e-10)


def test_gdatav4_singular_green_matrix():
    """Two points e apart: G is all zeros; the least-squares fallback gives 0."""
    out = _gdatav4([0.0, np.e], [0.0, 0.0], np.array([1.0, 2.0]), [0.5, 1], [0, 0])
    assert_array_equal(out, [0.0, 0.0])


@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_topoplot_first_component(iclabel_path, eeglab_sets, kind):
    inst, ica = eeglab_sets[kind]
    icawinv, _ = _retrieve_eeglab_icawinv(ica)
    rd, th = _mne_to_eeglab_locs(inst, ica.ch_names)
    z = _topoplot(icawinv[:, :1], rd.ravel(), np.radians(th.ravel()))[:, :, 0]
    ref = _mat(iclabel_path, f"topo/topo1-{kind}.mat", "topo1")
    assert np.isnan(ref).sum() == 284
    assert_array_equal(np.isnan(z), np.isnan(ref))
    assert_allclose(z, ref, rtol=0, atol=1e-8, equal_nan=True)


@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_topo_feature(iclabel_path, eeglab_sets, kind):
    inst, ica = eeglab_sets[kind]
    icawinv, _ = _retrieve_eeglab_icawinv(ica)
    rd, th = _mne_to_eeglab_locs(inst, ica.ch_names)
    topo = _eeg_topoplot(icawinv, rd, th)
    ref = _mat(iclabel_path, f"topo/topo-feature-{kind}.mat", "topo")
    assert topo.shape == ref.shape == (32, 32, 1, 30)
    assert topo.dtype == np.float32
    assert_allclose(topo, ref, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("kind", ["raw", "epo", "long-epo"])
def test_psd_constants(iclabel_path, eeglab_sets, icaacts, kind):
    inst, _ = eeglab_sets[kind]
    act = icaacts[kind]
    n_epochs = act.shape[2] if act.ndim == 3 else None
    const = _eeg_rpsd_constants(
        act.shape[0], act.shape[1], inst.info["sfreq"], n_epochs
    )
    ref = _mat(iclabel_path, f"psd/constants-{kind}.mat", "constants")[0, 0]
    for name in ("ncomp", "nfreqs", "n_points", "nyquist"):
        assert getattr(const, name) == int(ref[name][0, 0]), name
    assert_array_equal(const.index, ref["index"].astype(np.intp) - 1)
    # numpy's and MATLAB's Hamming windows differ in the last bit only
    assert_allclose(const.window, ref["window"][0], rtol=0, atol=1e-15)
    assert sorted(const.subset) == sorted(ref["subset"][0] - 1)


@pytest.mark.parametrize("kind", ["raw", "epo", "long-epo"])
def test_psd_feature(iclabel_path, eeglab_sets, icaacts, kind):
    inst, _ = eeglab_sets[kind]
    psd = _compute_psd_feature(icaacts[kind], inst.info["sfreq"])
    ref = _mat(iclabel_path, f"psd/psd-{kind}.mat", "psd")
    assert psd.shape == ref.shape == (1, 100, 1, 30)
    assert psd.dtype == np.float32
    assert_allclose(psd, ref, rtol=1e-5, atol=1e-5)
    step = _mat(iclabel_path, f"psd/psd-step-by-step-{kind}.mat", "psd")
    assert_allclose(psd, step, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    "kind, func, atol",
    [
        ("raw", _eeg_autocorr_welch, 1e-8),
        ("short-raw", _eeg_autocorr, 1e-7),
        ("very-short-raw", _eeg_autocorr, 1e-6),
        ("epo", _eeg_autocorr_fftw, 1e-7),
    ],
)
def test_autocorr(iclabel_path, eeglab_sets, icaacts, kind, func, atol):
    inst, _ = eeglab_sets[kind]
    sfreq = inst.info["sfreq"]
    act = icaacts[kind]
    ref = _mat(iclabel_path, f"autocorr/autocorr-{kind}.mat", "autocorr")
    # the variant chosen by the dispatcher is the one EEGLAB used
    feature = _compute_autocorr_feature(act, sfreq, epoched=act.ndim == 3)
    ac = _resample(func(act, sfreq), sfreq)[:, 1:]
    assert_array_equal(feature[0, :, 0, :], ac.T.astype(np.float32))
    assert feature.shape == ref.shape == (1, 100, 1, 30)
    assert feature.dtype == np.float32
    assert_allclose(feature, ref, rtol=1e-5, atol=atol)


@_EXPECTED_WARNINGS[0]
@_EXPECTED_WARNINGS[1]
@_EXPECTED_WARNINGS[2]
@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_features(iclabel_path, eeglab_sets, kind):
    """Full features (0.99 factor) against ICL_feature_extractor."""
    inst, ica = eeglab_sets[kind]
    data_before = inst.get_data()
    features = get_iclabel_features(inst, ica)
    ref = _mat(iclabel_path, f"features/features-{kind}.mat", "features")[0]
    atols = (1e-8, 1e-6, 1e-8 if kind == "raw" else 1e-4)
    shapes = ((32, 32, 1, 30), (1, 100, 1, 30), (1, 100, 1, 30))
    for feat, expected, atol, shape in zip(features, ref, atols, shapes, strict=True):
        assert feat.shape == expected.shape == shape
        assert feat.dtype == np.float32
        assert_allclose(feat, expected, rtol=1e-5, atol=atol)
    assert_array_equal(inst.get_data(), data_before)


@pytest.mark.parametrize("kind", ["raw", "epo"])
def test_features_warnings(eeglab_sets, kind):
    """The EEGLAB sets trigger the three preprocessing warnings, in order."""
    inst, ica = eeglab_sets[kind]
    with pytest.warns(RuntimeWarning) as record:
        get_iclabel_features(inst, ica)
    messages = [str(w.message) for w in record]
    assert len(messages) == 3
    assert "common average reference" in messages[0]
    assert "not filtered between 1 and 100 Hz" in messages[1]
    # the EEGLAB sample is sampled at 128 Hz: a 100 Hz low-pass is impossible
    assert inst.info["sfreq"] == 128
    assert "use inst.filter(1.0, None)" in messages[1]
    assert "filter(1.0, 100.0)" not in messages[1]
    assert "designed with extended infomax" in messages[2]
