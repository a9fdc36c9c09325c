"""Shared pieces of the property-based tests (hypothesis).

The tests draw recordings and ICA decompositions of many shapes and check one
contract for every public entry point: it either returns finite probabilities
(or features) of the documented shape, or raises an error of this package, and
in both cases leaves the caller's objects as they were.

"An error of this package" means: a ``ValueError``, ``RuntimeError`` or
``TypeError`` (``IndexError`` for out-of-range component picks) whose raising
frame (the innermost frame of the traceback) is in ``mne_icalabel``, or in
one of MNE's validators (``mne/utils/check.py``) called directly from
``mne_icalabel`` (``_validate_type``, ``_check_option``, ``_ensure_int`` at
our boundary). An exception raised inside numpy, scipy,
matplotlib or MNE's numerical code is a crash, as is a message asking to
report a bug.

The ICA objects are real :class:`mne.preprocessing.ICA` instances fitted on a
short recording (at most 1000 samples) of the drawn layout, with few
iterations: the test needs a valid decomposition as users have, not a good one.
"""

from __future__ import annotations

import copy
import traceback
import warnings
from functools import cache
from pathlib import Path

import mne
import numpy as np
from hypothesis import HealthCheck, Phase, event, seed, settings
from hypothesis import strategies as st
from mne.utils import object_diff

import mne_icalabel

_PACKAGE = Path(mne_icalabel.__file__).resolve().parent
_MNE_CHECKS = Path(mne.__file__).resolve().parent / "utils" / "check.py"
_SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MEG_INFO = _SHARED_DATA / "meg" / "sample_audvis_trunc_raw_sss.fif"

_SEED = 20261201
EPS32 = float(np.finfo(np.float32).eps)
EPS64 = float(np.finfo(np.float64).eps)


def property_settings(max_examples: int):
    """Reproducible, bounded hypothesis settings.

    A fixed seed and no example database: CI draws the same examples on every
    run and machine (``derandomize=True`` does too, but its draws favoured the
    first values of each strategy: in a trial, none of 40 ICLabel examples
    reached the network). No deadline: an example's time depends on the
    machine's load (2 cores shared). ``too_slow`` is suppressed because one
    example fits an ICA and runs a network (~0.1-1 s), far above hypothesis'
    budget for data generation, which is not what this check is for.
    """
    bounded = settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )

    def decorate(test):
        return seed(_SEED)(bounded(test))

    return decorate


# ---------------------------------------------------------------------------
# the contract
# ---------------------------------------------------------------------------
# Warnings this package emits on purpose (fragments of their messages); any
# other warning (e.g. numpy's "invalid value encountered") is a failure.
OUR_WARNINGS = (
    "common average reference",
    "not filtered between 1 and 100 Hz",
    "ICA instance was fitted with",
    "not sampled at 250 Hz",
    "Line noise detected",
    "too low to detect line noise",
    "MEGNet was designed with 20 components",
)


def _is_ours(filename: str) -> bool:
    return Path(filename).resolve().is_relative_to(_PACKAGE)


def assert_our_error(error: BaseException) -> None:
    """Fail unless ``error`` is a clear error raised by this package."""
    frames = traceback.extract_tb(error.__traceback__)
    where = "".join(traceback.format_exception(error))
    assert isinstance(error, ValueError | RuntimeError | TypeError | IndexError), where
    assert frames, where
    last = Path(frames[-1].filename).resolve()
    from_validator = (
        last == _MNE_CHECKS and len(frames) >= 2 and _is_ours(frames[-2].filename)
    )
    assert _is_ours(str(last)) or from_validator, (
        f"raised outside the package:\n{where}"
    )
    assert "report this as a bug" not in str(error), where
    assert len(str(error)) > 20, where


def assert_our_warnings(record: list) -> None:
    """Fail on any recorded warning that is not one of this package's."""
    others = [
        f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
        for w in record
        if not any(fragment in str(w.message) for fragment in OUR_WARNINGS)
    ]
    assert not others, others


def call(function, *args, **kwargs):
    """Call ``function``; return ``(result, None)`` or ``(None, error)``.

    Warnings are recorded and checked with :func:`assert_our_warnings`; errors
    with :func:`assert_our_error`.
    """
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            result = function(*args, **kwargs)
        except Exception as error:  # checked below: must be one of ours
            assert_our_error(error)
            event(f"error: {str(error)[:60]}")
            return None, error
    assert_our_warnings(record)
    event("result")
    return result, None


ICA_ATTRIBUTES = (
    "unmixing_matrix_",
    "mixing_matrix_",
    "pca_components_",
    "pca_mean_",
    "pca_explained_variance_",
    "pre_whitener_",
    "n_components_",
    "ch_names",
    "labels_",
    "labels_scores_",
    "exclude",
    "info",
    "current_fit",
    "method",
    "fit_params",
)


def snapshot(inst, ica) -> dict:
    """Deep copies of everything of ``inst`` and ``ica`` a call may not change."""
    state = {"data": inst._data.copy(), "info": copy.deepcopy(inst.info)}
    for name in ("annotations", "events"):
        if hasattr(inst, name):
            state[name] = copy.deepcopy(getattr(inst, name))
    for name in ICA_ATTRIBUTES:
        state[f"ica.{name}"] = copy.deepcopy(getattr(ica, name, None))
    return state


def assert_unchanged(before: dict, inst, ica, skip=()) -> None:
    """Compare ``inst`` and ``ica`` with a :func:`snapshot` taken before."""
    after = snapshot(inst, ica)
    assert np.array_equal(before["data"], after["data"], equal_nan=True), "data"
    for key in before:
        if key == "data" or key in skip:
            continue
        diff = object_diff(before[key], after[key])
        assert diff == "", f"{key} changed: {diff}"


def assert_probabilities(proba, n_components: int, n_classes: int, eps: float):
    """Finite probabilities of shape (n_components, n_classes), rows sum to 1.

    Tolerance of the row sums: the network's last step is a softmax
    ``p_i = e_i / S``. Whatever the error of each ``e_i``, the exact quotients
    sum to 1; only the accumulation of ``S`` (``n - 1`` roundings) and the
    divisions (one rounding each) move the sum, by at most ``n * u`` with
    ``u = eps / 2``. ICLabel then averages four softmaxes in float32 (three
    additions, ``3 u``), MEGNet renormalises in float64 (``n u``). Both stay
    below ``n_classes * eps`` of the dtype the final step is computed in.
    """
    proba = np.asarray(proba)
    assert proba.shape == (n_components, n_classes), proba.shape
    assert np.isfinite(proba).all(), proba
    assert (proba >= 0).all() and (proba <= 1).all(), proba
    sums = proba.astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(sums, 1.0, rtol=0, atol=n_classes * eps)


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
DATA_MODES = ("normal", "tiny", "huge", "flat", "flat_channel", "nan", "inf")
_SCALES = {"tiny": 1e-15, "huge": 1e15}


def sources_data(rng, n_channels: int, n_times: int, unit: float) -> np.ndarray:
    """Random mixture of super-Gaussian sources and sinusoids, ``unit`` scale."""
    n_times = max(n_times, 1)
    sources = rng.laplace(size=(n_channels, n_times))
    t = np.arange(n_times)
    freqs = rng.uniform(0.001, 0.2, size=(n_channels, 1))
    sources[: n_channels // 2] += 2 * np.sin(2 * np.pi * freqs[: n_channels // 2] * t)
    mixing = rng.normal(size=(n_channels, n_channels))
    return unit * (mixing @ sources)


def apply_mode(data: np.ndarray, mode: str, rng) -> np.ndarray:
    """Turn well-behaved ``data`` (..., n_channels, n_times) into ``mode``."""
    data = data.copy()
    if mode in _SCALES:
        data *= _SCALES[mode]
    elif mode == "flat":
        data[...] = 0.0
    elif mode == "flat_channel":
        data[..., rng.integers(data.shape[-2]), :] = 0.0
    elif mode in ("nan", "inf"):
        flat = data.reshape(-1)
        flat[rng.integers(flat.size)] = np.nan if mode == "nan" else -np.inf
    return data


def fit_ica(info, data: np.ndarray, n_components: int, method: str, seed: int):
    """A real ICA fitted on ``data`` (n_channels, <=1000 samples) of ``info``.

    Few iterations: the decomposition need not converge, so the convergence
    warnings of the fit itself are silenced here (they are not the package's).
    """
    from mne.preprocessing import ICA

    raw = mne.io.RawArray(data, info, verbose=False)
    fit_params = {"extended": True} if method == "infomax" else {}
    ica = ICA(
        n_components=n_components,
        method=method,
        max_iter=30,
        fit_params=fit_params,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ica.fit(raw, verbose=False)
    return ica


# ---------------------------------------------------------------------------
# EEG
# ---------------------------------------------------------------------------
# "standard_1020" is deprecated (FutureWarning) from MNE 1.13: its successor
# "colin27_1020" where it exists, else the old name.
_1020 = (
    "colin27_1020"
    if "colin27_1020" in mne.channels.get_builtin_montages()
    else "standard_1020"
)
MONTAGES = (_1020, "biosemi64", "easycap-M1", "GSN-HydroCel-129")
EEG_UNIT = 20e-6  # V
MAX_SAMPLES = 20_000  # per channel: minutes at 100 Hz, seconds at 1 kHz


@cache
def montage(name: str):
    return mne.channels.make_standard_montage(name)


def _subset(pool, size: int):
    """Strategy: ``size`` distinct items of ``pool``, in drawn order."""
    return st.lists(st.sampled_from(pool), min_size=size, max_size=size, unique=True)


@st.composite
def eeg_cases(draw, kind: str | None = None) -> dict:
    """A Raw or Epochs EEG recording and an ICA fitted on its layout.

    Returns a dict with ``inst``, ``ica`` and ``params``, the drawn values
    (printed by hypothesis when an example fails).
    """
    params = {}

    def pick(name, strategy):
        params[name] = draw(strategy)
        return params[name]

    name = pick("montage", st.sampled_from(MONTAGES))
    names = montage(name).ch_names
    n_channels = pick("n_channels", st.integers(4, min(70, len(names))))
    picked = pick("channels", _subset(names, n_channels))
    sfreq = pick(
        "sfreq",
        st.one_of(
            st.sampled_from([100.0, 128.0, 250.0, 256.0, 500.0, 512.0, 1000.0]),
            st.floats(100.0, 1000.0),
            st.floats(100.0, 1000.0),
            st.floats(50.0, 100.0, exclude_max=True),  # below ICLabel's minimum
        ),
    )
    n_min = min(int(sfreq // 2), 100) + 1  # ICLabel's shortest recording/epoch
    kind = kind or pick("kind", st.sampled_from(["raw", "epochs"]))
    n_epochs = 1 if kind == "raw" else pick("n_epochs", st.integers(1, 8))
    per_channel = MAX_SAMPLES // n_epochs
    n_times = pick(
        "n_times",
        st.one_of(
            st.integers(max(n_min - 4, 1), n_min + 4),  # around the minimum
            st.integers(n_min, per_channel),
            st.integers(n_min, per_channel),
        ),
    )
    n_bads_fit = pick("bads_fit", st.integers(0, min(3, n_channels - 3)))
    n_good = n_channels - n_bads_fit
    n_components = pick("n_components", st.integers(2, max(2, n_good - 1)))
    method = pick("method", st.sampled_from(["fastica", "infomax"]))
    reference = pick("ref", st.sampled_from(["none", "average", "projection"]))
    mode = pick("data", st.sampled_from(DATA_MODES))
    # changes after the fit: more bad channels, a dropped channel, positions
    bads_after = pick("bads_after", st.integers(0, 2))
    # one draw in five drops a channel of the ICA (our error)
    drop = pick("drop", st.sampled_from([False] * 4 + [True])) and n_channels > 4
    positions = pick("positions", st.sampled_from(["ok"] * 8 + ["nan_one", "none"]))
    seed = pick("seed", st.integers(0, 2**16))

    rng = np.random.default_rng(seed)
    info = mne.create_info(picked, sfreq, "eeg")
    info.set_montage(montage(name), verbose=False)
    info["bads"] = picked[:n_bads_fit]
    base = sources_data(rng, n_channels, 1000, EEG_UNIT)
    fit_data = (
        base
        if mode in ("normal", "flat", "nan", "inf")
        else apply_mode(base, mode, rng)
    )
    fit_raw = mne.io.RawArray(fit_data, info, verbose=False)
    if reference != "none":
        fit_raw.set_eeg_reference(
            "average", projection=reference == "projection", verbose=False
        )
    ica = fit_ica(fit_raw.info, fit_raw.get_data(), n_components, method, seed)

    data = sources_data(rng, n_channels, n_epochs * n_times, EEG_UNIT)
    data = data.reshape(n_channels, n_epochs, n_times).transpose(1, 0, 2)
    data = apply_mode(data, mode, rng)
    inst_info = fit_raw.info.copy()
    with warnings.catch_warnings():  # MNE applying a projector to NaN data
        warnings.simplefilter("ignore", RuntimeWarning)
        if kind == "raw":
            inst = mne.io.RawArray(data[0], inst_info, verbose=False)
        else:
            events = np.c_[
                np.arange(n_epochs) * n_times,
                np.zeros(n_epochs, int),
                np.ones(n_epochs, int),
            ]
            inst = mne.EpochsArray(data, inst_info, events=events, verbose=False)
    extra_bads = [ch for ch in picked[n_bads_fit:][:bads_after]]
    inst.info["bads"] = [*inst.info["bads"], *extra_bads]
    if drop:
        inst.drop_channels([picked[-1]])
    if positions == "nan_one":
        inst.info["chs"][0]["loc"][:3] = np.nan
    elif positions == "none":
        for ch in inst.info["chs"]:
            ch["loc"][:] = np.nan
    return {
        "inst": inst,
        "ica": ica,
        "n_min": n_min,
        "mode": mode,
        "montage": name,
        "params": params,
    }


# ---------------------------------------------------------------------------
# MEG
# ---------------------------------------------------------------------------
MEG_UNITS = {"mag": 1e-12, "grad": 1e-10}  # T, T/m


@cache
def meg_info():
    info = mne.io.read_info(MEG_INFO, verbose=False)
    picks = mne.pick_types(info, meg=True, eog=True, exclude=())
    return mne.pick_info(info, picks)


@st.composite
def meg_cases(draw, min_times: int = 1000, max_times: int = 1000) -> dict:
    """An MEG Raw (magnetometers, gradiometers or both) and an ICA of it.

    ``n_times`` is drawn in ``[min_times, max_times]``; the ICA is fitted on
    the first 1000 samples of a recording of the same layout.
    """
    params = {}

    def pick(name, strategy):
        params[name] = draw(strategy)
        return params[name]

    full = meg_info()
    sensors = pick("sensors", st.sampled_from(["mag", "grad", "both"]))
    mags = list(mne.pick_types(full, meg="mag", exclude=()))
    grads = list(mne.pick_types(full, meg="grad", exclude=()))
    pool = {"mag": mags, "grad": grads, "both": mags + grads}[sensors]
    n_channels = pick(
        "n_channels", st.one_of(st.integers(4, 70), st.just(min(len(pool), 102)))
    )
    picked = sorted(pick("channels", _subset(pool, n_channels)))
    eog = pick("eog", st.booleans())
    picks = picked + (list(mne.pick_types(full, meg=False, eog=True)) if eog else [])
    sfreq = pick("sfreq", st.one_of(st.just(250.0), st.floats(100.0, 1000.0)))
    n_times = pick("n_times", st.integers(min_times, max_times))
    n_bads_fit = pick("bads_fit", st.integers(0, 2))
    n_components = pick(
        "n_components", st.integers(2, max(2, min(n_channels - n_bads_fit - 1, 12)))
    )
    method = pick("method", st.sampled_from(["fastica", "infomax"]))
    mode = pick("data", st.sampled_from(DATA_MODES))
    line_freq = pick("line_freq", st.sampled_from([None, 50.0, 60.0]))
    bads_after = pick("bads_after", st.integers(0, 2))
    drop = pick("drop", st.sampled_from([False] * 4 + [True]))
    seed = pick("seed", st.integers(0, 2**16))

    rng = np.random.default_rng(seed)
    info = mne.pick_info(full, picks)
    with info._unlock():
        info["sfreq"] = sfreq
        info["line_freq"] = line_freq
        info["lowpass"] = sfreq / 2
    meg_names = [info["ch_names"][k] for k in range(n_channels)]
    info["bads"] = meg_names[:n_bads_fit]
    units = np.array(
        [MEG_UNITS.get(ch_type, 1e-6) for ch_type in info.get_channel_types()]
    )[:, None]

    def make(n):
        return units * sources_data(rng, len(picks), n, 1.0) / len(picks) ** 0.5

    base = make(1000)
    fit_data = (
        base
        if mode in ("normal", "flat", "nan", "inf")
        else apply_mode(base, mode, rng)
    )
    ica = fit_ica(info, fit_data, n_components, method, seed)
    data = apply_mode(make(n_times), mode, rng)
    raw = mne.io.RawArray(data, info.copy(), verbose=False)
    raw.info["bads"] = [*raw.info["bads"], *meg_names[n_bads_fit:][:bads_after]]
    if drop:
        raw.drop_channels([meg_names[-1]])
    return {"inst": raw, "ica": ica, "mode": mode, "params": params}
