"""Property-based tests of ``features.get_topomaps`` (see tests/_properties)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mne_icalabel.features import get_topomaps

from .._properties import (
    assert_unchanged,
    call,
    eeg_cases,
    meg_cases,
    property_settings,
    snapshot,
)


@st.composite
def topomap_cases(draw) -> dict:
    """An EEG or MEG ICA, possibly with missing positions, and the arguments."""
    case = draw(st.one_of(eeg_cases(kind="raw"), meg_cases()))
    ica = case["ica"]
    positions = draw(st.sampled_from(["ok", "ok", "nan_one", "zero_one", "none"]))
    chs = ica.info["chs"]
    if positions == "nan_one":
        chs[draw(st.integers(0, len(chs) - 1))]["loc"][:3] = np.nan
    elif positions == "zero_one":
        chs[draw(st.integers(0, len(chs) - 1))]["loc"][:3] = 0.0
    elif positions == "none":
        for ch in chs:
            ch["loc"][:] = np.nan
    n = ica.n_components_
    picks = draw(
        st.one_of(
            st.none(),
            st.integers(-n, n - 1),
            st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True),
            st.integers(n, n + 3),  # out of range: our IndexError
        )
    )
    kwargs = {
        "picks": picks,
        "res": draw(st.integers(1, 40)),
        "image_interp": draw(st.sampled_from(["cubic", "linear", "nearest"])),
        "border": draw(st.one_of(st.just("mean"), st.floats(-1, 1))),
        "extrapolate": draw(st.sampled_from(["auto", "box", "local", "head"])),
    }
    return {"ica": ica, "kwargs": kwargs, "positions": positions, **case}


@property_settings(max_examples=30)
@given(case=topomap_cases())
def test_get_topomaps(case):
    """Images in [-1, 1] per data channel type, or one of our errors."""
    ica, kwargs = case["ica"], case["kwargs"]
    before = snapshot(case["inst"], ica)
    result, error = call(get_topomaps, ica, **kwargs)
    assert_unchanged(before, case["inst"], ica)
    if error is not None:
        return
    types = set(ica.get_channel_types())
    assert set(result) == types & {"eeg", "mag", "grad"}
    picks = kwargs["picks"]
    n_picks = ica.n_components_ if picks is None else np.atleast_1d(picks).size
    res = kwargs["res"]
    for images in result.values():
        assert images.shape == (n_picks, res, res)
        assert np.isfinite(images).all()
        assert np.abs(images).max() <= 1.0
