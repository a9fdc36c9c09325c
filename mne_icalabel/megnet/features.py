"""Features of MEGNet: component time courses and Brainstorm-like topomaps."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mne import pick_types
from mne.utils import _validate_type, logger, verbose, warn
from numpy.typing import NDArray

from ..utils._advice import quiet_by_default
from ..utils._checks import _check_finite, _check_ica_channels, _validate_ica
from ..utils._docs import fill_doc
from ..utils._picks import method_picks
from ._config import MAPS
from ._topomaps import _get_topomaps, _project_sensors

if TYPE_CHECKING:
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

#: Length of one network input (60 s at 250 Hz).
CHUNK_LEN = 15000
SFREQ = 250.0
#: The sources are computed from blocks of time of the ICA channels of at most
#: this many bytes (1700 samples of 306 channels), instead of one copy of all
#: of them (184 MB for 306 channels and 5 min at 250 Hz, as
#: ``ica.get_sources`` makes).
_BLOCK_BYTES = 4 * 1024**2


@quiet_by_default
@verbose
@fill_doc
def get_megnet_features(
    raw: BaseRaw, ica: ICA, *, verbose=None
) -> tuple[NDArray[np.float64], NDArray[np.uint8]]:
    """Extract the time series and topomaps of the components for MEGNet.

    Parameters
    ----------
    %(raw_meg)s
    %(ica)s
    %(verbose)s

    Returns
    -------
    time_series : ndarray of shape (n_components, n_times)
        Float64 time course of each component over the whole recording, not
        rescaled: ``ica.get_sources(raw).get_data()`` up to the order of the
        sums of its products (computed over blocks of time, without a copy of
        all the ICA channels).
    topomaps : ndarray of shape (n_components, 120, 120, 3)
        uint8 RGB image of each component's map at the magnetometers, drawn as
        the images the network was trained on (black outside the head disc).

    Notes
    -----
    The recording should be sampled at 250 Hz, filtered between 1 and 100 Hz,
    free of line noise, and decomposed with infomax ICA into 20 components; a
    warning is emitted otherwise. The number of components is checked on the
    fitted ICA (``ica.n_components_``), not on the ``n_components`` argument
    given to :class:`mne.preprocessing.ICA` as mne-icalabel 0.10 does (a float
    or None there always warned). Only the magnetometers are used for the
    topomaps, even if the ICA was also fitted on gradiometers. An ICA fitted
    on MEG and other channels together (e.g. EEG) is accepted with a warning
    (MEGNet was trained on MEG-only decompositions): the topomaps come from the
    magnetometer rows of the mixing matrix, the time series from all channels.
    """
    mags = _check_raw_and_ica(raw, ica)
    time_series = _ica_sources(raw, ica)
    _check_finite(time_series, "ICA sources of the raw recording")
    values = ica.get_components()[mags]
    _check_finite(values, "ICA component maps (mixing matrix)")
    _warn_if_unusual(raw, ica)

    xyz = np.array([ica.info["chs"][idx]["loc"][:3] for idx in mags])
    logger.info(f"Drawing the topomaps of {values.shape[1]} components.")
    topomaps = _get_topomaps(xyz, values)
    return time_series, topomaps


def _ica_sources(raw: BaseRaw, ica: ICA) -> NDArray[np.float64]:
    """Return ``ica.get_sources(raw).get_data()``, reading blocks of time.

    ``get_sources`` copies every ICA channel of the whole recording before
    unmixing it; here the same transform of MNE (projections, pre-whitening,
    PCA mean, unmixing) is applied to blocks of at most ``_BLOCK_BYTES``, so
    that the sources are the only full-length array. Each sample is computed
    from its own column by the same operations, so the blocks change at most
    the order in which BLAS sums the products (float64 rounding).
    """
    from mne.utils import use_log_level

    n_channels = len(ica.ch_names)
    sources = np.empty((ica.n_components_, raw.n_times))
    step = max(1, _BLOCK_BYTES // (8 * n_channels))
    # MNE would log "Applying projection operator" once per block
    with use_log_level("WARNING"):
        for start in range(0, raw.n_times, step):
            stop = min(start + step, raw.n_times)
            block = raw.get_data(ica.ch_names, start=start, stop=stop)
            sources[:, start:stop] = ica._transform(block)
    return sources


def _check_raw_and_ica(raw: BaseRaw, ica: ICA) -> np.ndarray:
    """Raise an error if ``raw`` and ``ica`` cannot be labelled by MEGNet.

    Returns the indices of the magnetometers among the ICA channels.
    """
    _check_raw(raw)
    _validate_ica(ica)
    _check_ica_channels(raw, ica)
    mags = method_picks(ica, MAPS)
    if len(mags) < 3:
        raise RuntimeError(
            f"MEGNet draws the topomaps from the magnetometers, but the ICA was "
            f"fitted on {len(mags)} magnetometer(s). Fit the ICA on the "
            "magnetometers (e.g. ICA(...).fit(raw, picks='mag')) or on all MEG "
            "channels."
        )
    _check_magnetometer_layout(
        np.array([ica.info["chs"][idx]["loc"][:3] for idx in mags])
    )
    return mags


def _check_raw(raw: BaseRaw) -> None:
    """Raise if ``raw`` is not a Raw with MEG channels and 60 s (from its info)."""
    from mne import BaseEpochs
    from mne.io import BaseRaw

    if isinstance(raw, BaseEpochs):
        raise TypeError(
            "raw must be an instance of Raw, got Epochs. MEGNet needs continuous "
            "data: pass the Raw recording (at least 60 s at 250 Hz) the ICA was "
            "fitted on."
        )
    _validate_type(raw, BaseRaw, "raw", "Raw")
    if "mag" not in raw and "grad" not in raw:
        raise RuntimeError(
            "Could not find MEG channels in the provided Raw instance. MEGNet "
            "labels the components of MEG recordings (magnetometers and "
            "gradiometers); use ICLabel for EEG."
        )
    if raw.n_times < CHUNK_LEN:
        raise RuntimeError(
            f"The provided raw instance has {raw.n_times} points. MEGNet needs at "
            f"least {CHUNK_LEN} points, i.e. a recording of at least 60 s at "
            f"{SFREQ:g} Hz (it is {raw.n_times / raw.info['sfreq']:.1f} s at "
            f"{raw.info['sfreq']:g} Hz)."
        )


def _check_magnetometer_layout(xyz: NDArray[np.float64]) -> None:
    """Raise if the topomap cannot be drawn from magnetometers at ``xyz``.

    The projection stretches the sensors of the convex hull onto the unit
    circle (MEGNET.md §3.3); when every sensor is on the hull, more than three
    points lie on one circle and the Delaunay triangulation of the topomap is
    degenerate. The hull itself needs finite, not collinear positions.
    """
    from scipy.spatial import QhullError

    problem = None
    if not np.isfinite(xyz).all():
        problem = "include missing (NaN or infinite) positions"
    else:
        try:
            pos = _project_sensors(xyz)
        except QhullError:
            problem = "are collinear or repeated"
        else:
            # hull sensors land on radius 1 up to an ulp of new_r * (1 / new_r)
            on_circle = np.abs(np.hypot(pos[:, 0], pos[:, 1]) - 1) < 1e-9
            if len(pos) > 3 and on_circle.all():
                problem = (
                    "all lie on the outline of the layout (no magnetometer inside it)"
                )
    if problem is not None:
        raise RuntimeError(
            f"MEGNet cannot draw the topomaps from the {len(xyz)} magnetometers of "
            f"the ICA: their positions {problem}. MEGNet needs a whole-head "
            "layout: fit the ICA on all magnetometers (ICA(...).fit(raw, "
            "picks='mag')) or on all MEG channels, with their positions from the "
            "recording."
        )


def _warn_if_unusual(raw: BaseRaw, ica: ICA) -> None:
    """Warn about everything that differs from the data MEGNet was trained on."""
    sfreq = raw.info["sfreq"]
    if abs(sfreq - SFREQ) > 0.1:
        warn(
            f"The provided raw instance is not sampled at 250 Hz (sfreq={sfreq:g} "
            "Hz). MEGNet was designed to classify features extracted from an MEG "
            "dataset sampled at 250 Hz (see raw.resample(250)); the labels may be "
            "unreliable."
        )
    message = _filter_message(raw.info)
    if message:
        warn(message)
    if _check_line_noise(raw):
        warn(
            f"Line noise detected at {raw.info['line_freq']:g} Hz. MEGNet was "
            "designed to classify features extracted from an MEG dataset without "
            "line noise; remove it first (see raw.notch_filter)."
        )
    if ica.method != "infomax":
        warn(
            f"The provided ICA instance was fitted with '{ica.method}'. MEGNet was "
            "designed with infomax ICA (method='infomax')."
        )
    if ica.n_components_ != 20:
        warn(
            f"The provided ICA instance has {ica.n_components_} components. MEGNet "
            "was designed with 20 components (ICA(n_components=20))."
        )


def _filter_message(info) -> str | None:
    """Say how the band differs from MEGNet's 1-100 Hz: the step, then facts.

    The filter advised is only what it can still do (a 1 Hz high-pass of data
    high-passed lower, a 100 Hz low-pass of data low-passed higher); a
    narrower band (e.g. an acquisition low-pass below 100 Hz) is said as a
    fact about the labels' reliability, since no filter widens it.
    """
    sfreq, highpass, lowpass = info["sfreq"], info["highpass"], info["lowpass"]

    def above(a, b):  # beyond the rounding of a stored frequency
        return a - b > 1e-3 * max(abs(b), 1.0)

    l_freq = 1 if above(1.0, highpass) else None
    h_freq = 100 if above(lowpass, 100.0) and above(sfreq / 2, 100.0) else None
    facts = []
    if above(100.0, min(lowpass, sfreq / 2)):
        facts.append(f"no power above {min(lowpass, sfreq / 2):g} Hz")
    if above(highpass, 1.0):
        facts.append(f"no power below {highpass:g} Hz")
    if l_freq is None and h_freq is None and not facts:
        return None
    text = (
        "The provided raw instance is not filtered between 1 and 100 Hz "
        f"(highpass={highpass:g} Hz, lowpass={lowpass:g} Hz). MEGNet was "
        "designed to classify features extracted from an MEG dataset "
        "bandpass-filtered between 1 and 100 Hz"
    )
    if l_freq is not None or h_freq is not None:
        text += f" (see raw.filter({l_freq}, {h_freq}))"
    if facts:
        text += (
            f"; the data have {' and '.join(facts)}, which no filter can "
            "restore: the labels may be less reliable"
        )
    return text + "."


def _check_line_noise(
    raw: BaseRaw, *, neighbor_width: int = 4, threshold_factor: float = 10
) -> bool:
    """Tell whether the power at the line frequency stands out of its neighbours.

    Parameters
    ----------
    raw : Raw
        The recording; ``raw.info["line_freq"]`` gives the line frequency.
    neighbor_width : int
        Half-width in Hz of the window around the line frequency.
    threshold_factor : float
        Number of standard deviations above the mean of the other bins of the
        window that the line-frequency bin must exceed on at least one channel.

    Returns
    -------
    detected : bool
        False if ``line_freq`` is None or the sampling rate is too low.
    """
    line_freq = raw.info["line_freq"]
    if line_freq is None:
        return False
    nyquist = raw.info["sfreq"] / 2
    if nyquist < line_freq or nyquist < 2 * line_freq:
        warn(
            f"The sampling rate {raw.info['sfreq']:g} Hz is too low to detect line "
            f"noise at {line_freq:g} Hz and its first harmonic; skipping the check."
        )
        return False
    fmin, fmax = line_freq - neighbor_width, line_freq + neighbor_width
    data, freqs = _welch_band(raw, fmin, fmax)
    line_idx = np.argmin(np.abs(freqs - line_freq))
    others = np.delete(data, line_idx, axis=1)
    mean, std = others.mean(axis=1), others.std(axis=1)
    return bool(np.any(data[:, line_idx] > mean + threshold_factor * std))


def _welch_band(
    raw: BaseRaw, fmin: float, fmax: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Welch power of the good MEG channels in ``[fmin, fmax]``, up to a factor.

    The same spectrum as ``raw.compute_psd(picks="meg", exclude="bads")``
    restricted to the band (MNE's defaults: ``n_fft = min(n_times, 2048)``
    samples per segment, no overlap, periodic Hamming window, mean removed per
    segment, mean over segments), without its constant density scaling. Only
    the few bins of the band are computed, as one product of the segments with
    the windowed Fourier basis of those bins, where MNE transforms every
    channel separately over all frequencies. Recordings that are not loaded,
    or with ``BAD_`` annotations (MNE then skips the annotated spans), use
    ``compute_psd``.
    """
    bad_spans = any(
        desc.lower().startswith("bad") for desc in raw.annotations.description
    )
    if not raw.preload or bad_spans:
        spectrum = raw.compute_psd(
            picks="meg", exclude="bads", fmin=fmin, fmax=fmax, verbose=False
        )
        return spectrum.get_data(fmin=fmin, fmax=fmax, return_freqs=True)
    picks = pick_types(raw.info, meg=True, exclude="bads")
    n_fft = min(raw.n_times, 2048)
    n_seg = raw.n_times // n_fft
    freqs = np.fft.rfftfreq(n_fft, 1.0 / raw.info["sfreq"])
    bins = np.flatnonzero((freqs >= fmin) & (freqs <= fmax))
    if picks.size == 0:  # every MEG channel is bad: nothing to test
        return np.zeros((0, bins.size)), freqs[bins]
    window = np.hamming(n_fft + 1)[:-1]  # periodic, as scipy's "hamming"
    # windowed basis (n_fft, 2 * n_bins): cos and -sin of each bin
    phase = 2 * np.pi * np.outer(np.arange(n_fft), bins) / n_fft
    basis = np.concatenate([np.cos(phase), -np.sin(phase)], axis=1) * window[:, None]
    # the channels from the first to the last MEG one, as a view of the loaded
    # data (picking would copy it); the other channels' rows are dropped
    data = raw._data[picks[0] : picks[-1] + 1, : n_seg * n_fft]
    # (n_seg, n_channels, n_fft): one matrix product per segment over all
    # channels, each a strided view of the data
    data = data.reshape(len(data), n_seg, n_fft).transpose(1, 0, 2)
    spectrum = data @ basis  # (n_seg, n_channels, 2 * n_bins)
    # removing each segment's mean: subtract it times the window's transform
    spectrum -= data.mean(axis=-1, keepdims=True) * basis.sum(axis=0)
    power = spectrum[..., : len(bins)] ** 2 + spectrum[..., len(bins) :] ** 2
    return power.mean(axis=0)[picks - picks[0]], freqs[bins]
