"""MEGNet features: topomaps pixel-identical to the reference recipe, checks."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import mne
import numpy as np
import pytest
from mne.preprocessing import ICA
from numpy.testing import assert_allclose, assert_array_equal

from mne_icalabel.megnet import features as megnet_features
from mne_icalabel.megnet import get_megnet_features
from mne_icalabel.megnet._topomaps import (
    _get_topomaps,
    _make_head_outlines,
    _project_sensors,
)
from mne_icalabel.megnet.features import _check_line_noise, _ica_sources


def _reference_topomap(values, pos, outlines):
    """MEGNET.md §3.5 as written: a new pyplot figure and a PNG per component."""
    import matplotlib.pyplot as plt
    from PIL import Image

    buffer = io.BytesIO()
    fig = plt.figure(figsize=(1.3, 1.3), dpi=100, facecolor="black")
    ax = fig.add_subplot(111)
    im, _ = mne.viz.plot_topomap(
        values,
        pos,
        sensors=False,
        outlines=outlines,
        extrapolate="head",
        sphere=[0, 0, 0, 1],
        contours=0,
        res=120,
        axes=ax,
        show=False,
        cmap="bwr",
    )
    im.figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight", pad_inches=0)
    rgb = np.array(Image.open(buffer).convert("RGB"))
    plt.close(fig)
    return rgb


def _mag_layout(ica):
    mags = mne.pick_types(ica.info, meg="mag")
    xyz = np.array([ica.info["chs"][idx]["loc"][:3] for idx in mags])
    return xyz, ica.get_components()[mags]


def test_projection_puts_hull_on_unit_circle(meg_recording):
    from scipy.spatial import ConvexHull

    xyz, _ = _mag_layout(meg_recording[1])
    pos = _project_sensors(xyz)
    radius = np.linalg.norm(pos, axis=1)
    hull = ConvexHull(pos).vertices
    np.testing.assert_allclose(radius[hull], 1, atol=1e-12)
    assert radius.max() <= 1 + 1e-12 and radius.min() < 0.5
    outlines = _make_head_outlines(pos)
    assert list(outlines) == ["head", "mask_pos", "clip_radius", "clip_origin"]
    np.testing.assert_allclose(outlines["clip_radius"], (1.01, 1.01))


def test_topomaps_pixel_identical_to_reference(meg_recording, meg_features):
    _, ica, _, _ = meg_recording
    xyz, values = _mag_layout(ica)
    pos = _project_sensors(xyz)
    outlines = _make_head_outlines(pos)
    # an all-positive map uses the [0, max] colour range
    values = np.column_stack([values, np.abs(values[:, 0])])
    fast = _get_topomaps(xyz, values)
    reference = np.stack(
        [
            _reference_topomap(values[:, k], pos, outlines)
            for k in range(values.shape[1])
        ]
    )
    assert fast.shape == reference.shape == (21, 120, 120, 3)
    assert fast.dtype == np.uint8
    diff = np.abs(fast.astype(int) - reference).max()
    assert diff == 0, f"max abs pixel difference {diff}"
    np.testing.assert_array_equal(meg_features[1], fast[:20])
    # black outside the head disc, coloured inside
    assert (fast[:, :3, :3] == 0).all()
    assert (fast[:, 55:65, 55:65].sum(axis=-1) > 0).all()


def test_topomaps_in_threads(meg_recording, meg_features):
    xyz, values = _mag_layout(meg_recording[1])
    with ThreadPoolExecutor(2) as pool:
        parts = list(
            pool.map(lambda k: _get_topomaps(xyz, values[:, k : k + 3]), (0, 3))
        )
    np.testing.assert_array_equal(np.concatenate(parts), meg_features[1][:6])


def _assert_sources_close(got, raw, ica):
    """``got`` is ``ica.get_sources(raw)`` up to the order of BLAS's sums.

    Both unmix the same pre-whitened samples ``x`` with the same matrix ``W``
    (MNE's ``unmixing_matrix_ @ pca_components_``); a dot product of K terms
    summed in any order is within ``gamma_K |W| |x|`` of the exact one,
    ``gamma_K = K u / (1 - K u)`` with ``u = 2**-53`` (Higham, Theorem 3.5),
    so two of them differ by at most twice that.
    """
    want = ica.get_sources(raw).get_data()
    n_comp = ica.n_components_
    weights = ica.unmixing_matrix_ @ ica.pca_components_[:n_comp]
    whitened = ica._pre_whiten(raw.get_data(ica.ch_names))
    if ica.pca_mean_ is not None:
        whitened -= ica.pca_mean_[:, None]
    k, u = weights.shape[1], 2.0**-53
    bound = 2 * (k * u / (1 - k * u)) * (np.abs(weights) @ np.abs(whitened))
    assert got.shape == want.shape and got.dtype == np.float64
    assert (np.abs(got - want) <= bound).all()


def test_features(meg_recording, meg_features):
    raw, ica, _, _ = meg_recording
    time_series, topomaps = meg_features
    assert time_series.dtype == np.float64
    assert time_series.shape == (20, raw.n_times)
    _assert_sources_close(time_series, raw, ica)
    assert topomaps.shape == (20, 120, 120, 3) and topomaps.dtype == np.uint8


def test_sources_read_in_blocks(meg_recording, monkeypatch):
    """The sources never need a copy of all the ICA channels of the recording."""
    raw, ica, _, _ = meg_recording
    raw = raw.copy()
    n_channels = len(ica.ch_names)
    # 7 blocks of 3333 samples and a shorter last one
    monkeypatch.setattr(megnet_features, "_BLOCK_BYTES", 8 * n_channels * 3333)
    spans = []
    get_data = raw.get_data

    def spy(*args, **kwargs):
        out = get_data(*args, **kwargs)
        spans.append(out.shape[-1])
        return out

    monkeypatch.setattr(raw, "get_data", spy)
    got = _ica_sources(raw, ica)
    assert max(spans) == 3333 and sum(spans) == raw.n_times
    monkeypatch.undo()
    _assert_sources_close(got, raw, ica)


def _state(raw, ica):
    return raw.get_data().copy(), ica.get_components().copy(), dict(ica.labels_)


def _assert_unchanged(raw, ica, state):
    data, components, labels = state
    np.testing.assert_array_equal(raw.get_data(), data)
    np.testing.assert_array_equal(ica.get_components(), components)
    assert ica.labels_ == labels


def test_bad_inputs(meg_recording):
    raw, ica, _, _ = meg_recording
    state = _state(raw, ica)

    epochs = mne.make_fixed_length_epochs(raw, duration=10.0, verbose=False)
    with pytest.raises(TypeError, match="MEGNet needs continuous data"):
        get_megnet_features(epochs, ica)
    with pytest.raises(TypeError, match="raw must be an instance of Raw"):
        get_megnet_features(raw.get_data(), ica)
    with pytest.raises(TypeError, match="ica must be an instance of ICA"):
        get_megnet_features(raw, "ica")
    with pytest.raises(RuntimeError, match="The provided ICA instance was not fitted"):
        get_megnet_features(raw, ICA(n_components=20))

    eeg = mne.io.RawArray(
        np.zeros((3, 15000)), mne.create_info(3, 250.0, "eeg"), verbose=False
    )
    with pytest.raises(RuntimeError, match="Could not find MEG channels"):
        get_megnet_features(eeg, ica)

    short = raw.copy().crop(0, 50.0, include_tmax=False)
    with pytest.raises(
        RuntimeError, match=r"^The provided raw instance has 12500 points\..*60 s"
    ):
        get_megnet_features(short, ica)

    dropped = raw.copy().drop_channels(raw.ch_names[:2])
    with pytest.raises(ValueError, match="missing from the instance"):
        get_megnet_features(dropped, ica)

    nan = raw.copy()
    nan._data[5, 100:110] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        get_megnet_features(nan, ica)
    _assert_unchanged(raw, ica, state)


def test_ica_without_magnetometers(meg_recording):
    raw, ica, _, _ = meg_recording
    grads = ica.copy()
    with grads.info._unlock():  # pretend the ICA was fitted on gradiometers
        for ch in grads.info["chs"]:
            ch["coil_type"] = mne.io.constants.FIFF.FIFFV_COIL_VV_PLANAR_T1
            ch["unit"] = mne.io.constants.FIFF.FIFF_UNIT_T_M
    with pytest.raises(RuntimeError, match="MEGNet needs magnetometers"):
        get_megnet_features(raw, grads)


@pytest.mark.parametrize(
    "select, match",
    [
        ([0, 40, 80, 101], "all lie on the outline"),  # four hull sensors
        ([0, 0, 0, 1], "collinear or repeated"),
        ("nan", r"missing \(NaN"),
    ],
)
def test_magnetometer_layout_without_topomap(meg_recording, select, match):
    """Layouts whose topomap cannot be triangulated raise a clear error.

    Found by tests/megnet/test_properties.py: an ICA on 4 magnetometers (all on
    the convex hull, hence on the unit circle after the projection) failed
    inside scipy's Qhull (cocircular points).
    """
    raw, ica, _, _ = meg_recording
    odd = ica.copy()
    mags = mne.pick_types(odd.info, meg="mag", exclude=())
    xyz = np.array([odd.info["chs"][k]["loc"][:3] for k in mags])
    with odd.info._unlock():
        for k in mags:
            if select == "nan":
                odd.info["chs"][k]["loc"][:3] = np.nan if k == mags[3] else xyz[k]
            else:  # every magnetometer at one of the selected positions
                odd.info["chs"][k]["loc"][:3] = xyz[select[k % len(select)]]
    state = _state(raw, odd)
    with pytest.raises(RuntimeError, match=match):
        get_megnet_features(raw, odd)
    _assert_unchanged(raw, odd, state)


def _warning_messages(record):
    return " | ".join(str(w.message) for w in record)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ("sfreq", "not sampled at 250 Hz"),
        ("highpass", "not filtered between 1 and 100 Hz"),
        ("line", "Line noise detected at 60 Hz"),
    ],
)
def test_warnings_on_recording(meg_recording, change, fragment):
    raw, ica, _, _ = meg_recording
    raw = raw.copy()
    if change == "sfreq":
        with raw.info._unlock():
            raw.info["sfreq"] = 300.0
    elif change == "highpass":
        with raw.info._unlock():
            raw.info["highpass"] = 0.5
    else:
        # The reference rule compares one Welch bin (n_fft=2048, 0.122 Hz apart
        # at 250 Hz) with its neighbours: a sine midway between two bins, as
        # exactly 60 Hz is, splits its power and is not detected. Put the line
        # on the bin closest to 60 Hz.
        line = round(60 / (250 / 2048)) * 250 / 2048
        mags = mne.pick_types(raw.info, meg="mag")
        raw._data[mags] += 1e-11 * np.sin(2 * np.pi * line * raw.times)
    with pytest.warns(RuntimeWarning) as record:
        get_megnet_features(raw, ica)
    assert len(record) == 1, _warning_messages(record)
    assert fragment in _warning_messages(record)


def test_warnings_on_ica(meg_recording):
    raw, _, _, _ = meg_recording
    pytest.importorskip("picard")
    ica = ICA(n_components=5, method="picard", random_state=0, max_iter=500)
    ica.fit(raw.copy().crop(0, 30), picks="mag", verbose=False)
    n = ica.n_components_
    assert n != 20
    with pytest.warns(RuntimeWarning) as record:
        get_megnet_features(raw, ica)
    messages = _warning_messages(record)
    assert len(record) == 2, messages
    assert "The provided ICA instance was fitted with 'picard'" in messages
    assert f"The provided ICA instance has {n} components" in messages


@pytest.fixture(scope="module")
def two_sines():
    """Two mag channels, 2 s at 1000 Hz: sines at (10, 30) Hz and (30, 80) Hz."""
    times = np.arange(2000) / 1000.0

    def sines(*freqs):
        return sum(np.sin(2 * np.pi * f * times) for f in freqs)

    data = np.stack([sines(10, 30), sines(30, 80)]) * 1e-12
    info = mne.create_info(["MAG1", "MAG2"], 1000.0, "mag")
    return mne.io.RawArray(data, info, verbose=False)


@pytest.mark.parametrize(
    ("line_freq", "expected"),
    [(None, False), (50.0, False), (10.0, True), (30.0, True), (80.0, True)],
)
def test_check_line_noise_reference(two_sines, line_freq, expected):
    raw = two_sines.copy()
    with raw.info._unlock():
        raw.info["line_freq"] = line_freq
    assert _check_line_noise(raw) is expected


def test_check_line_noise_low_sfreq(two_sines):
    raw = two_sines.copy()
    with raw.info._unlock():
        raw.info["line_freq"] = 300.0
    with pytest.warns(RuntimeWarning, match="too low to detect line noise"):
        assert _check_line_noise(raw) is False


@pytest.mark.parametrize("n_times", [1500, 10_000])
def test_welch_band_is_mne_psd(n_times):
    """The band spectrum equals raw.compute_psd's up to its constant scale.

    MEG channels with a bad one and other types among them (the rows of the
    non-MEG and bad channels are dropped), a recording shorter than 2048
    samples, and BAD annotations (MNE's own computation is then used).
    """
    from mne_icalabel.megnet.features import _welch_band

    rng = np.random.default_rng(3)
    names = ["MAG1", "GRAD1", "STI1", "MAG2", "EOG1", "GRAD2", "MAG3"]
    types = ["mag", "grad", "stim", "mag", "eog", "grad", "mag"]
    info = mne.create_info(names, 250.0, types)
    info["bads"] = ["MAG2"]
    times = np.arange(n_times) / 250.0
    data = rng.standard_normal((len(names), n_times)) * 1e-12
    data[:, :] += np.sin(2 * np.pi * 60 * times) * 3e-13 + 2e-12  # line + offset
    raw = mne.io.RawArray(data, info, verbose=False)
    before = raw.get_data()
    for fmin, fmax in ((56.0, 64.0), (1.0, 20.0)):
        expected, freqs = raw.compute_psd(
            picks="meg", exclude="bads", fmin=fmin, fmax=fmax, verbose=False
        ).get_data(fmin=fmin, fmax=fmax, return_freqs=True)
        power, band = _welch_band(raw, fmin, fmax)
        assert_array_equal(band, freqs)
        assert power.shape == expected.shape == (4, len(freqs))
        scale = expected / power
        assert_allclose(scale, scale.flat[0], rtol=1e-10)
    assert_array_equal(raw.get_data(), before)
    # every MEG channel bad: no spectrum, and no line noise detected
    bad = raw.copy()
    bad.info["bads"] = [name for name in names if name[:3] in ("MAG", "GRA")]
    power, band = _welch_band(bad, 56.0, 64.0)
    assert power.shape == (0, len(band))
    with bad.info._unlock():
        bad.info["line_freq"] = 60.0
    assert _check_line_noise(bad) is False
    if n_times < 3 * 2048:
        return
    # annotated bad spans: MNE's computation, which skips them
    raw.set_annotations(mne.Annotations([0.0], [2.0], ["BAD_segment"]))
    power, _ = _welch_band(raw, 56.0, 64.0)
    expected = raw.compute_psd(
        picks="meg", exclude="bads", fmin=56.0, fmax=64.0, verbose=False
    ).get_data()
    assert_array_equal(power, expected)


@pytest.mark.parametrize(
    ("highpass", "lowpass", "step", "fact"),
    [
        (0.5, 100.0, "raw.filter(1, None)", None),  # the low-pass was taken
        (1.0, 80.0, None, "no power above 80 Hz"),  # an acquisition low-pass
        (0.0, 125.0, "raw.filter(1, 100)", None),
        (1.0, 100.0, None, None),
    ],
)
def test_filter_warning_advises_only_what_can_be_done(highpass, lowpass, step, fact):
    from mne_icalabel.megnet.features import _filter_message

    info = mne.create_info(2, 250.0, "mag")
    with info._unlock():
        info["highpass"], info["lowpass"] = highpass, lowpass
    message = _filter_message(info)
    if step is None and fact is None:
        assert message is None
        return
    assert message.startswith("The provided raw instance is not filtered between")
    assert ("raw.filter" in message) == (step is not None)
    if step is not None:
        assert f"(see {step})" in message
    if fact is not None:
        assert fact in message and "less reliable" in message
