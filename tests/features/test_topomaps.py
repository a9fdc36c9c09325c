"""Topomap images of the components, against a per-component computation."""

from __future__ import annotations

import mne
import numpy as np
import pytest
from mne.channels.layout import _find_topomap_coords
from mne.preprocessing import ICA
from mne.viz.topomap import _check_extrapolate, _make_head_outlines, _setup_interp

from mne_icalabel.features import get_topomaps
from mne_icalabel.features import topomaps as topomaps_module

_EEG = ["Fp1", "Fp2", "F3", "F4", "Fz", "C3", "C4", "Cz", "P3", "P4", "O1", "O2"]


def _fit_ica(raw: mne.io.BaseRaw, n_components: int = 5, tol: float = 1e-4) -> ICA:
    ica = ICA(
        n_components,
        method="fastica",
        fit_params=dict(tol=tol),
        random_state=0,
        verbose=False,
    )
    return ica.fit(raw, verbose=False)


def _simulated_raw(ch_names: list[str]) -> mne.io.RawArray:
    rng = np.random.default_rng(0)
    sources = rng.laplace(size=(5, 3000))
    mixing = rng.standard_normal((len(ch_names), 5))
    data = (mixing @ sources + 0.01 * rng.standard_normal((len(ch_names), 3000))) * 1e-6
    raw = mne.io.RawArray(data, mne.create_info(ch_names, 100.0, "eeg"), verbose=False)
    raw.filter(1.0, None, verbose=False)
    return raw


@pytest.fixture(scope="module")
def ica_eeg() -> ICA:
    raw = _simulated_raw(_EEG)
    raw.set_montage("biosemi64", on_missing="ignore")
    return _fit_ica(raw, tol=0.5)  # the maps need not be converged


@pytest.fixture(scope="module")
def ica_meg(shared_data) -> ICA:
    raw = mne.io.read_raw_fif(
        shared_data / "meg" / "sample_audvis_trunc_raw_sss.fif", verbose=False
    )
    # 1 s of data: fit on the first 30 MEG channels and 3 EEG channels
    raw.pick(raw.ch_names[:60:2] + ["EEG 001", "EEG 002", "EEG 003"]).load_data()
    return _fit_ica(raw, tol=0.5)  # the maps need not be converged


def _direct(ica: ICA, ch_type: str, comps, res, image_interp, border, extrapolate):
    """The images computed one component at a time with MNE's helpers."""
    data = ica.mixing_matrix_.T @ ica.pca_components_[: ica.n_components_]
    sel = mne.pick_types(
        ica.info,
        meg=ch_type if ch_type != "eeg" else False,
        eeg=ch_type == "eeg",
        exclude=(),
    )
    info = mne.pick_info(ica.info, sel)
    sphere = np.array([0.0, 0.0, 0.0, 0.095])
    pos = _find_topomap_coords(
        info, picks=np.arange(sel.size), sphere=sphere, ignore_overlap=True
    )
    extrapolate = _check_extrapolate(extrapolate, ch_type)
    outlines = _make_head_outlines(sphere, pos, None, (0.0, 0.0))
    out = []
    for k in comps:
        _, Xi, Yi, interp = _setup_interp(
            pos, res, image_interp, extrapolate, outlines, border
        )
        interp.set_values(data[k, sel])
        image = np.flipud(interp.set_locations(Xi, Yi)())
        image = np.nan_to_num(image)
        out.append(image / np.abs(image).max())
    return np.array(out)


@pytest.mark.parametrize(
    ("image_interp", "border", "extrapolate"),
    [
        ("cubic", "mean", "auto"),
        ("linear", "mean", "box"),
        ("cubic", 0.0, "local"),
        ("nearest", 0.5, "head"),
    ],
)
def test_eeg_matches_direct_computation(ica_eeg, image_interp, border, extrapolate):
    maps = get_topomaps(
        ica_eeg,
        res=32,
        image_interp=image_interp,
        border=border,
        extrapolate=extrapolate,
    )
    assert list(maps) == ["eeg"]
    assert maps["eeg"].shape == (5, 32, 32)
    assert maps["eeg"].dtype == np.float64
    expected = _direct(ica_eeg, "eeg", range(5), 32, image_interp, border, extrapolate)
    np.testing.assert_allclose(maps["eeg"], expected, rtol=1e-10, atol=1e-12)
    # normalised: each image reaches +1 or -1
    assert np.allclose(np.abs(maps["eeg"]).max(axis=(1, 2)), 1.0)


def test_defaults_and_orientation(ica_eeg):
    maps = get_topomaps(ica_eeg)["eeg"]
    assert maps.shape == (5, 64, 64)
    # the first row is the front of the head: a map with only Fp1/Fp2 active
    ica = ica_eeg.copy()
    ica.pca_components_ = np.zeros_like(ica.pca_components_)
    front = [ica.ch_names.index(ch) for ch in ("Fp1", "Fp2")]
    ica.pca_components_[:, front] = 1.0
    ica.mixing_matrix_ = np.eye(ica.n_components_)
    image = get_topomaps(ica, picks=0)["eeg"][0]
    assert np.abs(image[:32]).sum() > 5 * np.abs(image[32:]).sum()


def test_loop_fallback_gives_same_images(ica_eeg, monkeypatch):
    fast = get_topomaps(ica_eeg, res=24)["eeg"]
    monkeypatch.setattr(
        topomaps_module, "_values_with_extra_points", lambda interp, values: None
    )
    slow = get_topomaps(ica_eeg, res=24)["eeg"]
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("picks", "expected"),
    [
        (None, [0, 1, 2, 3, 4]),
        (2, [2]),
        ([4, 0], [4, 0]),
        (slice(1, 3), [1, 2]),
        (np.array([3]), [3]),
        (-1, [4]),
    ],
)
def test_picks(ica_eeg, picks, expected):
    full = get_topomaps(ica_eeg, res=16)["eeg"]
    maps = get_topomaps(ica_eeg, picks=picks, res=16)["eeg"]
    np.testing.assert_array_equal(maps, full[expected])


def test_invalid_arguments(ica_eeg):
    with pytest.raises(TypeError, match="Strings are not supported"):
        get_topomaps(ica_eeg, picks="eeg")
    with pytest.raises(TypeError, match="Strings are not supported"):
        get_topomaps(ica_eeg, picks=["ICA000"])
    with pytest.raises(IndexError, match="among the 5 independent components"):
        get_topomaps(ica_eeg, picks=5)
    with pytest.raises(IndexError, match="among the 5"):
        get_topomaps(ica_eeg, picks=[0, -6])
    with pytest.raises(TypeError, match="picks must be"):
        get_topomaps(ica_eeg, picks=1 + 2j)
    with pytest.raises(ValueError, match="at least one component"):
        get_topomaps(ica_eeg, picks=[])
    with pytest.raises(TypeError, match="res must be an int"):
        get_topomaps(ica_eeg, res=True)
    with pytest.raises(TypeError, match="res must be an int"):
        get_topomaps(ica_eeg, res=32.0)
    with pytest.raises(ValueError, match="strictly positive integer. Provided '0'"):
        get_topomaps(ica_eeg, res=0)
    with pytest.raises(ValueError, match="image_interp"):
        get_topomaps(ica_eeg, image_interp="bicubic")
    with pytest.raises(ValueError, match="border"):
        get_topomaps(ica_eeg, border="median")
    with pytest.raises(ValueError, match="extrapolate"):
        get_topomaps(ica_eeg, extrapolate="far")
    with pytest.raises(TypeError, match="ica must be an instance of ICA"):
        get_topomaps(np.zeros((5, 5)))
    with pytest.raises(RuntimeError, match="not fitted"):
        get_topomaps(ICA(5))


def test_missing_positions(ica_eeg):
    ica = ica_eeg.copy()
    ica.info.set_montage(None)
    with pytest.raises(ValueError, match="Montage is not set"):
        get_topomaps(ica)
    ica = ica_eeg.copy()
    with ica.info._unlock():
        ica.info["chs"][3]["loc"][:3] = np.nan
    with pytest.raises(ValueError, match=r"Channel position for \['F4'\] is missing"):
        get_topomaps(ica)


def test_meg_and_eeg(ica_meg):
    maps = get_topomaps(ica_meg, picks=[0, 3], res=20)
    # types in order of first appearance in the info
    assert list(maps) == ["grad", "mag", "eeg"]
    for ch_type, images in maps.items():
        assert images.shape == (2, 20, 20)
        expected = _direct(ica_meg, ch_type, [0, 3], 20, "cubic", "mean", "auto")
        np.testing.assert_allclose(images, expected, rtol=1e-10, atol=1e-12)
