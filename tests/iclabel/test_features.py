"""ICLabel features on data built with MNE: shapes, warnings, errors, numerics."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mne_icalabel.iclabel import features as features_module
from mne_icalabel.iclabel.features import _activations as activations_module
from mne_icalabel.iclabel.features import _segments as segments_module
from mne_icalabel.iclabel.features import get_iclabel_features
from mne_icalabel.iclabel.features._autocorr import (
    _eeg_autocorr,
    _eeg_autocorr_fftw,
    _eeg_autocorr_welch,
)
from mne_icalabel.iclabel.features._psd import (
    _eeg_rpsd_compute_psdmed,
    _eeg_rpsd_constants,
)
from mne_icalabel.iclabel.features._topomap import (
    _eeg_topoplot,
    _Geometry,
    _topoplot,
)

CH_NAMES = [
    "Fp1", "Fp2", "AF3", "AF4", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC1",
    "FC2", "FC6", "T7", "C3", "Cz", "C4", "T8", "CP5", "CP1", "CP2", "CP6",
    "P7", "P3", "Pz", "P4", "P8", "PO3", "PO4", "O1", "Oz", "O2",
]  # fmt: skip
SFREQ = 250.0
N_COMPONENTS = 8
CAR_WARNING = "common average reference"
FILTER_WARNING = "not filtered between 1 and 100 Hz"
ICA_WARNING = "designed with extended infomax"


def _make_raw(duration: float = 20.0, seed: int = 0):
    """32-channel 10-20 EEG (colin27): mixed heavy-tailed and rhythmic sources."""
    import mne

    rng = np.random.default_rng(seed)
    n_times = int(duration * SFREQ)
    times = np.arange(n_times) / SFREQ
    sources = rng.laplace(size=(len(CH_NAMES), n_times))
    sources[:4] = np.sin(2 * np.pi * np.array([[6.0], [10.0], [13.0], [21.0]]) * times)
    data = rng.standard_normal((len(CH_NAMES), len(CH_NAMES))) @ sources * 1e-5
    info = mne.create_info(CH_NAMES, SFREQ, "eeg")
    raw = mne.io.RawArray(data, info, verbose="error")
    raw.set_montage(mne.channels.make_standard_montage("colin27_1020"))
    return raw


def _fit_ica(inst, **kwargs):
    from mne.preprocessing import ICA

    picks = kwargs.pop("picks", None)
    kwargs.setdefault("n_components", N_COMPONENTS)
    ica = ICA(
        method="picard",
        fit_params=dict(ortho=False, extended=True),
        rng=0,
        max_iter=200,
        **kwargs,
    )
    ica.fit(inst, picks=picks, verbose="error")
    return ica


@pytest.fixture(scope="session")
def raw_unprocessed():
    """Simulated Raw, unfiltered and unreferenced."""
    return _make_raw()


@pytest.fixture(scope="session")
def raw(raw_unprocessed):
    """Simulated Raw filtered 1-100 Hz with an applied average reference."""
    raw = raw_unprocessed.copy().filter(1.0, 100.0, verbose="error")
    raw.set_eeg_reference("average", verbose="error")
    return raw


@pytest.fixture(scope="session")
def ica(raw):
    """Extended picard ICA of ``raw``."""
    return _fit_ica(raw)


@pytest.fixture(scope="session")
def epochs(raw):
    """Fixed-length 1 s epochs of ``raw``."""
    import mne

    return mne.make_fixed_length_epochs(raw, 1.0, preload=True, verbose="error")


def _state(inst, ica):
    """Snapshot of everything the feature extraction must leave untouched."""
    return dict(
        data=inst.get_data(),
        bads=list(inst.info["bads"]),
        projs=[p["active"] for p in inst.info["projs"]],
        ch_names=list(inst.ch_names),
        unmixing=ica.unmixing_matrix_.copy(),
        mixing=ica.mixing_matrix_.copy(),
        pca=ica.pca_components_.copy(),
        labels=dict(ica.labels_),
        scores=getattr(ica, "labels_scores_", None),
        ica_ch_names=list(ica.ch_names),
    )


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            assert_array_equal(after[key], value, err_msg=key)
        else:
            assert after[key] == value, key


@pytest.mark.parametrize("kind", ["raw", "epochs"])
def test_features_shapes_no_warning(raw, epochs, ica, kind):
    """Well-prepared data: no warning, float32, expected shapes and scales."""
    inst = raw if kind == "raw" else epochs
    before = _state(inst, ica)
    topo, psd, autocorr = get_iclabel_features(inst, ica)  # warnings are errors
    _assert_same_state(before, _state(inst, ica))
    n = ica.n_components_
    assert topo.shape == (32, 32, 1, n)
    assert psd.shape == autocorr.shape == (1, 100, 1, n)
    for feat in (topo, psd, autocorr):
        assert feat.dtype == np.float32
        assert np.isfinite(feat).all()
    # each map and spectrum is normalised to max |.| = 1, then scaled by 0.99:
    # the maximum is float32(0.99) * (1 within float64 rounding), cast to float32;
    # 0.99 is half an ulp (2^-25) from float32(0.99), the product one more ulp
    assert_allclose(np.abs(topo).max(axis=(0, 1, 2)), 0.99, rtol=2**-23)
    assert_allclose(np.abs(psd).max(axis=(0, 1, 2)), 0.99, rtol=2**-23)
    assert (np.abs(autocorr) <= 0.99 * 1.05).all()
    # outside the head the maps are zero: corners of the grid
    assert_array_equal(topo[[0, 0, -1, -1], [0, -1, 0, -1]], 0)


def test_raw_epochs_consistency(raw, epochs, ica):
    """Raw and Epochs share the topographies; spectra are alike."""
    topo_r, psd_r, ac_r = get_iclabel_features(raw, ica)
    topo_e, psd_e, ac_e = get_iclabel_features(epochs, ica)
    assert_array_equal(topo_r, topo_e)
    assert psd_r.shape == psd_e.shape and ac_r.shape == ac_e.shape
    # same signals: the spectra (medians of 39 vs 20 white-ish periodograms)
    # and the autocorrelations agree
    assert np.abs(psd_r - psd_e).mean() < 0.1
    assert np.abs(ac_r - ac_e).mean() < 0.05


def test_logging(raw, ica):
    """The feature extraction logs a summary at the INFO level only."""
    from mne.utils import catch_logging

    with catch_logging() as log:
        get_iclabel_features(raw, ica, verbose="warning")
    assert "Computing ICLabel features" not in log.getvalue()
    with catch_logging() as log:
        get_iclabel_features(raw, ica, verbose="info")
    assert f"ICLabel features of {N_COMPONENTS} components" in log.getvalue()


def test_ica_on_channel_subset(raw):
    """ICA on a subset (and in another order) uses those channels only."""
    picks = CH_NAMES[::-1][:20]
    ica = _fit_ica(raw, picks=picks, n_components=6)
    assert ica.ch_names == picks
    topo, psd, autocorr = get_iclabel_features(raw, ica)
    assert topo.shape == (32, 32, 1, 6)
    # the instance may hold only those channels: same features
    sub = raw.copy().pick(picks)
    for a, b in zip(get_iclabel_features(sub, ica), (topo, psd, autocorr), strict=True):
        assert_array_equal(a, b)


def test_bad_channels(raw, ica):
    """A channel marked bad after the fit is still used (explicit picks)."""
    bad = raw.copy()
    bad.info["bads"] = ["Cz", "O1"]
    before = _state(bad, ica)
    for a, b in zip(
        get_iclabel_features(bad, ica), get_iclabel_features(raw, ica), strict=True
    ):
        assert_array_equal(a, b)
    _assert_same_state(before, _state(bad, ica))
    # an ICA fitted without the bad channels ignores them
    ica_bad = _fit_ica(bad, n_components=6)
    assert "Cz" not in ica_bad.ch_names
    assert get_iclabel_features(bad, ica_bad)[0].shape == (32, 32, 1, 6)


@pytest.mark.parametrize(
    "reference, warns",
    [
        ("none", True),
        ("projector_inactive", True),
        ("projector_active", False),
        ("average", False),
        ("custom", False),
    ],
)
def test_car_warning(raw_unprocessed, reference, warns):
    """The CAR warning depends on the applied reference, not a pending one."""
    inst = raw_unprocessed.copy().filter(1.0, 100.0, verbose="error")
    if reference == "projector_inactive":
        inst.set_eeg_reference("average", projection=True, verbose="error")
        assert not inst.info["projs"][0]["active"]
    elif reference == "projector_active":
        inst.set_eeg_reference("average", projection=True, verbose="error")
        inst.apply_proj(verbose="error")
    elif reference == "average":
        inst.set_eeg_reference("average", verbose="error")
    elif reference == "custom":
        inst.set_eeg_reference(["T7", "T8"], verbose="error")
    ica = _fit_ica(inst, n_components=5)
    before = _state(inst, ica)
    if warns:
        with pytest.warns(RuntimeWarning, match=CAR_WARNING) as record:
            get_iclabel_features(inst, ica)
        assert len(record) == 1
    else:
        get_iclabel_features(inst, ica)  # warnings are errors
    _assert_same_state(before, _state(inst, ica))


@pytest.mark.parametrize("band", [(None, None), (0.5, 100.0), (1.0, 40.0)])
def test_filter_warning(raw_unprocessed, band):
    inst = raw_unprocessed.copy().set_eeg_reference("average", verbose="error")
    if band != (None, None):
        inst.filter(*band, verbose="error")
    ica = _fit_ica(inst, n_components=5)
    with pytest.warns(RuntimeWarning, match=FILTER_WARNING) as record:
        get_iclabel_features(inst, ica)
    assert len(record) == 1
    # at 200 Hz or more a 100 Hz low-pass is possible: the advice is the filter
    # still missing; a lower low-pass cannot be undone, it is said as a fact
    message = str(record[0].message)
    assert inst.info["sfreq"] >= 200
    advice = {
        (None, None): "use inst.filter(1.0, 100.0)",
        (0.5, 100.0): "use inst.filter(1.0, None)",
        (1.0, 40.0): None,
    }[band]
    if advice is None:
        assert "inst.filter" not in message
        assert "low-pass filtered at 40 Hz" in message
        assert "which no filter can undo" in message
    else:
        assert advice in message
    assert "impossible" not in message


@pytest.mark.parametrize("sfreq, advice", [(128.0, True), (200.0, False)])
def test_filter_advice_names_the_nyquist_limit(sfreq, advice):
    """Below 200 Hz, the advice is the high-pass alone, and says why."""
    from mne import create_info

    from mne_icalabel.iclabel.features._checks import _filter_advice

    info = create_info(2, sfreq, "eeg")
    with info._unlock():
        info["highpass"], info["lowpass"] = 0.0, sfreq / 2
    message = _filter_advice(info)
    assert message.startswith("The provided data are not filtered between 1 and 100")
    if advice:
        assert "a 100 Hz low-pass is impossible" in message
        assert "Nyquist frequency is 64 Hz" in message
        assert "use inst.filter(1.0, None)" in message
        assert "covers 1 to 64 Hz only" in message
        assert "filter(1.0, 100.0)" not in message
    else:
        # the low-pass is already at 100 Hz (the Nyquist frequency): the
        # high-pass is the one step left
        assert message.endswith("use inst.filter(1.0, None) before fitting the ICA.")


@pytest.mark.parametrize(
    "sfreq, highpass, lowpass, step, fact",
    [
        # the step taken is not asked again; what is left is a fact
        (128.0, 1.0, 64.0, None, "a 100 Hz low-pass is impossible"),
        # an amplifier's 80 Hz low-pass cannot be raised by a filter
        (500.0, 1.0, 80.0, None, "low-pass filtered at 80 Hz"),
        (500.0, 0.1, 80.0, "inst.filter(1.0, None)", "low-pass filtered at 80 Hz"),
        (500.0, 2.0, 100.0, None, "high-pass filtered at 2 Hz"),
        (1000.0, 1.0, 500.0, "inst.filter(None, 100.0)", None),
        (500.0, 1.0, 100.0, None, None),
    ],
)
def test_filter_advice_only_what_can_be_done(sfreq, highpass, lowpass, step, fact):
    from mne import create_info

    from mne_icalabel.iclabel.features._checks import _filter_advice

    info = create_info(2, sfreq, "eeg")
    with info._unlock():
        info["highpass"], info["lowpass"] = highpass, lowpass
    message = _filter_advice(info)
    if step is None and fact is None:
        assert message is None
        return
    assert message.startswith("The provided data are not filtered between 1 and 100")
    if step is None:
        assert "inst.filter" not in message
    else:
        assert f"use {step} before fitting the ICA" in message
    if fact is None:
        assert "less reliable" not in message
    else:
        assert fact in message
        assert "less reliable" in message


@pytest.mark.parametrize(
    "method, fit_params, warns",
    [
        ("picard", dict(ortho=False, extended=True), False),
        ("picard", dict(ortho=True, extended=True), True),
        ("picard", dict(extended=True), True),
        ("picard", dict(ortho=False), True),
        ("infomax", dict(extended=True), False),
        ("infomax", dict(extended=False), True),
        ("infomax", dict(), True),
        ("fastica", dict(), True),
        ("imported_eeglab", dict(extended=True), True),
    ],
)
def test_ica_method_warning(raw, ica, method, fit_params, warns):
    """The warning logic reads ``ica.method`` and ``ica.fit_params``."""
    ica = ica.copy()
    ica.method = method
    ica.fit_params = fit_params
    if warns:
        with pytest.warns(RuntimeWarning, match=ICA_WARNING) as record:
            get_iclabel_features(raw, ica)
        assert len(record) == 1
    else:
        get_iclabel_features(raw, ica)


def test_warnings_order(raw_unprocessed):
    """CAR, then filter, then ICA method."""
    ica = _fit_ica(raw_unprocessed, n_components=5)
    ica.method = "fastica"
    with pytest.warns(RuntimeWarning) as record:
        get_iclabel_features(raw_unprocessed, ica)
    messages = [str(w.message) for w in record]
    assert len(messages) == 3
    for message, fragment in zip(
        messages, (CAR_WARNING, FILTER_WARNING, ICA_WARNING), strict=True
    ):
        assert fragment in message


def _no_montage(inst):
    return inst.set_montage(None)


def _nan_position(inst):
    with inst.info._unlock():
        for idx in (inst.ch_names.index("Cz"), inst.ch_names.index("Oz")):
            inst.info["chs"][idx]["loc"][:3] = np.nan
    return inst


def _misc_types(inst):
    return inst.set_channel_types(
        {ch: "misc" for ch in inst.ch_names}, on_unit_change="ignore"
    )


def _drop_channel(inst):
    return inst.drop_channels(["Fz"])


def _low_sfreq(inst):
    import mne

    info = mne.create_info(inst.ch_names, 80.0, "eeg")
    out = mne.io.RawArray(inst.get_data()[:, :800], info, verbose="error")
    out.set_montage(mne.channels.make_standard_montage("colin27_1020"))
    return out


def _nan_data(inst):
    inst._data[3, 100] = np.nan
    inst._data[5, 7] = np.inf
    return inst


def _too_short(inst):
    return inst.crop(tmax=0.396)  # 100 samples < 101


@pytest.mark.parametrize(
    "corrupt, exception, match",
    [
        (_misc_types, RuntimeError, "Could not find EEG channels"),
        (_drop_channel, ValueError, r"missing from the instance: \['Fz'\]"),
        (_low_sfreq, ValueError, "Resample the data"),
        (_too_short, ValueError, "at least 101 are needed"),
        (_no_montage, ValueError, "Montage is not set"),
        (_nan_position, ValueError, r"Channel position for \['Cz', 'Oz'\] is missing"),
        (_nan_data, ValueError, "contain 2 NaN or infinite value"),
    ],
)
def test_bad_input(raw, ica, corrupt, exception, match):
    inst = corrupt(raw.copy())
    before = _state(inst, ica)
    with pytest.raises(exception, match=match):
        get_iclabel_features(inst, ica)
    _assert_same_state(before, _state(inst, ica))


@pytest.mark.parametrize("kind", ["raw", "epochs"])
def test_flat_data(raw, epochs, ica, kind):
    """Flat data give a log of 0 in the spectrum: a clear error instead.

    Found by tests/iclabel/test_properties.py (a recording of zeros returned
    NaN features with numpy's divide-by-zero warnings).
    """
    inst = (raw if kind == "raw" else epochs).copy()
    inst._data[..., :] = 0.0
    before = _state(inst, ica)
    with pytest.raises(ValueError, match=r"component\(s\) \[0, 1, .*constant"):
        get_iclabel_features(inst, ica)
    _assert_same_state(before, _state(inst, ica))


def test_bad_input_types_and_unfitted(raw, ica):
    from mne.preprocessing import ICA

    with pytest.raises(TypeError, match="inst must be an instance of Raw or Epochs"):
        get_iclabel_features(raw.get_data(), ica)
    with pytest.raises(TypeError, match="ica must be an instance of ICA"):
        get_iclabel_features(raw, "ica")
    before = _state(raw, ica)
    with pytest.raises(RuntimeError, match="not fitted"):
        get_iclabel_features(raw, ICA(n_components=3))
    _assert_same_state(before, _state(raw, ica))


def test_short_epochs(epochs, ica):
    """Epochs shorter than the spectrum needs raise; just long enough works."""
    short = epochs.copy().crop(tmax=0.396)  # 100 samples
    with pytest.raises(ValueError, match="the epoch has 100 samples at 250 Hz"):
        get_iclabel_features(short, ica)
    ok = epochs.copy().crop(tmax=0.4)  # 101 samples: zero-padded autocorrelation
    topo, psd, autocorr = get_iclabel_features(ok, ica)
    assert psd.shape == autocorr.shape == (1, 100, 1, ica.n_components_)
    assert np.isfinite(psd).all() and np.isfinite(autocorr).all()
    empty = epochs.copy().drop(np.arange(len(epochs)), verbose="error")
    with pytest.raises(ValueError, match="contains no epochs"):
        get_iclabel_features(empty, ica)


# ---------------------------------------------------------------------------
# numerics of the vectorised implementation against literal per-component code
# ---------------------------------------------------------------------------


def _psd_literal(icaact, sfreq):
    """eeg_rpsd written as in ICLABEL.md §4: one component at a time, full FFT."""
    n_epochs = icaact.shape[2] if icaact.ndim == 3 else None
    const = _eeg_rpsd_constants(icaact.shape[0], icaact.shape[1], sfreq, n_epochs)
    out = np.empty((icaact.shape[0], const.nfreqs))
    for c in range(icaact.shape[0]):
        if icaact.ndim == 2:
            seg = icaact[c][const.index]
        else:
            seg = np.concatenate(
                [icaact[c, :, e][const.index] for e in range(n_epochs)], axis=1
            )
        seg = seg[:, const.subset] * const.window[:, None]
        x = np.fft.fft(seg, const.n_points, axis=0)
        p = np.real(x * np.conj(x))[1 : const.nfreqs + 1]
        p *= 2 / (sfreq * np.sum(const.window**2))
        if const.nfreqs == const.nyquist:
            p[-1] /= 2
        out[c] = np.real(20 * np.log10(np.median(p, axis=1)))
    return out


def _autocorr_literal(icaact, sfreq):
    """eeg_autocorr* written as in ICLABEL.md §5 with complex FFTs, per component."""
    fs = int(sfreq)
    n_times = icaact.shape[1]
    out = []
    for c in range(icaact.shape[0]):
        if icaact.ndim == 3:  # epochs
            nfft = 2 ** int(np.ceil(np.log2(2 * n_times - 1)))
            x = np.fft.fft(icaact[c], nfft, axis=0)
            ac = np.fft.ifft(np.mean(np.abs(x) ** 2, axis=1))
        elif n_times / sfreq > 5:  # welch
            n_points = min(n_times, int(3 * sfreq))
            nfft = 2 ** int(np.ceil(np.log2(2 * n_points - 1)))
            starts = np.ceil(
                np.arange(
                    0, (n_times // n_points) * n_points - n_points / 2, n_points / 2
                )
            ).astype(int)
            power = np.mean(
                [
                    np.abs(np.fft.fft(icaact[c, s : s + n_points], nfft)) ** 2
                    for s in starts
                ],
                axis=0,
            )
            ac = np.fft.ifft(power)[: fs + 1]
            r = np.r_[n_points - np.arange(fs), max(1, n_points - fs)]
            out.append(np.real(ac / (ac[0] * r / n_points)))
            continue
        else:  # direct
            nfft = 2 ** int(np.ceil(np.log2(2 * n_times - 1)))
            ac = np.real(np.fft.ifft(np.abs(np.fft.fft(icaact[c], nfft)) ** 2))
        if n_times < sfreq:
            ac = np.r_[ac[:n_times], np.zeros(fs - n_times + 1)]
        else:
            ac = ac[: fs + 1]
        out.append(np.real(ac / ac[0]))
    return np.array(out)


@pytest.mark.parametrize(
    "shape",
    [
        (5, 2600),  # Raw > 5 s: Welch; odd n_points/2 not involved
        (5, 1001),  # Raw <= 5 s: direct
        (5, 180),  # Raw < fs: zero-padded autocorr; PSD bins beyond n_points/2
        (5, 250, 4),  # Epochs of 1 s
        (5, 180, 3),  # short epochs: mirrored PSD bins, zero-padded autocorr
        (5, 643, 2),  # long epochs, several segments per epoch
    ],
)
def test_vectorised_matches_literal(shape):
    rng = np.random.default_rng(42)
    icaact = rng.standard_normal(shape).cumsum(axis=1)
    if icaact.ndim == 3:  # the layout produced by _compute_ica_activations
        icaact = np.moveaxis(np.ascontiguousarray(np.moveaxis(icaact, 2, 1)), 1, 2)
    n_epochs = icaact.shape[2] if icaact.ndim == 3 else None
    const = _eeg_rpsd_constants(icaact.shape[0], icaact.shape[1], SFREQ, n_epochs)
    psd = _eeg_rpsd_compute_psdmed(icaact, SFREQ, const)
    assert_allclose(psd, _psd_literal(icaact, SFREQ), rtol=1e-10, atol=1e-10)
    if icaact.ndim == 3:
        ac = _eeg_autocorr_fftw(icaact, SFREQ)
    elif shape[1] / SFREQ > 5:
        ac = _eeg_autocorr_welch(icaact, SFREQ)
    else:
        ac = _eeg_autocorr(icaact, SFREQ)
    assert ac.shape == (5, int(SFREQ) + 1)
    assert_allclose(ac, _autocorr_literal(icaact, SFREQ), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(7, 5000), (5, 643, 2)])
def test_psd_numpy_1_fallback(shape, monkeypatch):
    """Without numpy 2's rfft(out=), scipy's rfft gives the same spectra."""
    from mne_icalabel.iclabel.features import _psd as psd_module

    icaact = np.random.default_rng(1).standard_normal(shape)
    n_epochs = shape[2] if len(shape) == 3 else None
    const = _eeg_rpsd_constants(shape[0], shape[1], SFREQ, n_epochs)
    expected = _eeg_rpsd_compute_psdmed(icaact, SFREQ, const)
    monkeypatch.setattr(psd_module, "_RFFT_HAS_OUT", False)
    assert_allclose(
        _eeg_rpsd_compute_psdmed(icaact, SFREQ, const), expected, rtol=1e-12
    )


def test_blocks_do_not_change_results(raw, epochs, ica, monkeypatch):
    """Reading the data in chunks and one component at a time: same features."""
    import mne

    ref = [get_iclabel_features(inst, ica) for inst in (raw, epochs)]
    epochs_lazy = mne.Epochs(
        raw, epochs.events, tmin=0, tmax=epochs.tmax, baseline=None, preload=False
    )
    monkeypatch.setattr(segments_module, "_BLOCK_BYTES", 1)
    monkeypatch.setattr(activations_module, "_CHUNK_BYTES", 32 * 8 * 300)
    assert len(segments_module._component_blocks(8, 100)) == 8
    for inst, expected in zip((raw, epochs, epochs_lazy), ref + ref[1:], strict=True):
        for a, b in zip(get_iclabel_features(inst, ica), expected, strict=True):
            # float64 sums blocked differently differ in their last bits; after
            # the float32 cast and the float32 factor 0.99 the features are at
            # most 2 float32 ulps apart (4 u relative, taken as 8 u = 2^-21), or
            # one ulp of the features' scale 1 (2^-23) near zero
            assert_allclose(a, b, rtol=2**-21, atol=2**-23)
    # NaN are counted over all chunks (300 samples here)
    bad = raw.copy()
    bad._data[0, [10, 1000, 4000]] = np.nan
    with pytest.raises(ValueError, match="contain 3 NaN or infinite"):
        get_iclabel_features(bad, ica)


def test_unmixing_paths_agree(raw, ica):
    """Loaded Raw is unmixed without copying its channels; all paths agree.

    The ICA channels as a contiguous run (a view of them is unmixed), as most
    of the channels (zero weights for the others) and as a third of them
    (chunked copies of the picked channels, the path of non-loaded Raw).
    """
    import mne

    _, weights = activations_module._retrieve_eeglab_icawinv(ica)
    expected = weights @ raw.get_data(ica.ch_names) * 1e6
    rng = np.random.default_rng(0)

    def add(inst, names, kind):
        info = mne.create_info(names, SFREQ, kind)
        data = rng.standard_normal((len(names), inst.n_times))
        other = mne.io.RawArray(data, info, verbose="error")
        return inst.copy().add_channels([other], force_update_info=True)

    run = add(raw, ["EOG1", "ECG1"], "misc")  # EEG first, then 2 others
    order = run.ch_names[:5] + ["EOG1"] + run.ch_names[5:32] + ["ECG1"]
    padded = run.copy().reorder_channels(order)  # 2 others among the EEG
    copied = add(padded, [f"MISC{i}" for i in range(64)], "misc")  # 32 of 98
    preloaded = activations_module._preloaded_raw_activations
    assert preloaded(run, ica.ch_names, weights) is not None
    assert preloaded(padded, ica.ch_names, weights) is not None
    assert preloaded(copied, ica.ch_names, weights) is None
    for name, inst in (("run", run), ("padded", padded), ("copied", copied)):
        before = inst.get_data()
        icaact = activations_module._compute_ica_activations(inst, ica, weights)
        assert_allclose(icaact, expected, rtol=1e-10, atol=1e-12, err_msg=name)
        assert_array_equal(inst.get_data(), before)
        # a NaN in a channel outside the ICA does not count (the zero-padded
        # product holds it: the chunked path is used instead)
        inst._data[inst.ch_names.index("EOG1"), 7] = np.nan
        icaact = activations_module._compute_ica_activations(inst, ica, weights)
        assert_allclose(icaact, expected, rtol=1e-10, atol=1e-12, err_msg=name)
        # an infinite value in an ICA channel does
        inst._data[inst.ch_names.index(ica.ch_names[3]), 11] = np.inf
        with pytest.raises(ValueError, match="contain 1 NaN or infinite"):
            activations_module._compute_ica_activations(inst, ica, weights)


def test_topomap_squeeze_quirk():
    """Electrodes below the equator: component 0 keeps the original geometry.

    ``topoplotFast`` squeezes the shared ``rd`` in place, so components >= 1
    see radii squeezed twice. With max rd <= 1/1.02 all components agree.
    """
    rng = np.random.default_rng(1)
    n_ch = 24
    th = rng.uniform(-np.pi, np.pi, n_ch)
    values = np.repeat(rng.standard_normal((n_ch, 1)), 3, axis=1)
    # typical cap: all maps identical
    rd = rng.uniform(0.05, 0.55, n_ch)
    z = _topoplot(values, rd, th)
    # (columns of one lstsq solve agree to rounding, amplified by cond(G))
    assert_allclose(z[..., 0], z[..., 1], rtol=1e-9, atol=1e-10, equal_nan=True)
    assert_allclose(z[..., 1], z[..., 2], rtol=1e-9, atol=1e-10, equal_nan=True)
    # electrodes far below the equator
    rd_low = rd.copy()
    rd_low[:3] = [1.1, 1.05, 0.99]
    z = _topoplot(values, rd_low, th)
    assert_allclose(z[..., 1], z[..., 2], rtol=1e-9, atol=1e-10, equal_nan=True)
    assert not np.allclose(z[..., 0], z[..., 1], equal_nan=True)
    # component 0 == a single call on the original radii
    assert_allclose(
        _topoplot(values[:, :1], rd_low, th)[..., 0], z[..., 0], equal_nan=True
    )
    # components >= 1 == a call on the radii squeezed once (plotrad = 1 -> 0.5)
    z_second = _topoplot(values[:, :1], rd_low * 0.5, th)[..., 0]
    assert_allclose(z[..., 1], z_second, rtol=1e-9, atol=1e-10, equal_nan=True)
    # asymmetric grid: the head mask is tested on the untransposed meshgrid
    geometry = _Geometry.squeeze(rd_low, th)
    assert not np.array_equal(geometry.xi, geometry.yi)
    outside = np.hypot(geometry.xi[None, :], geometry.yi[:, None]) > 0.5
    assert_array_equal(np.isnan(z[..., 0]), outside)
    assert not np.array_equal(outside, outside.T)
    # the grid extends beyond the head; feature maps are finite and normalised
    topo = _eeg_topoplot(values, rd_low[None], np.degrees(th)[None])
    assert topo.shape == (32, 32, 1, 3)
    assert_allclose(np.abs(topo).max(axis=(0, 1, 2)), 1.0)


def test_public_names():
    import mne_icalabel.iclabel

    assert mne_icalabel.iclabel.get_iclabel_features is get_iclabel_features
    assert features_module.get_iclabel_features is get_iclabel_features
    doc = get_iclabel_features.__doc__
    assert "verbose : bool | str | int | None" in doc
    assert "%(" not in doc
