"""Everything a review shows of a recording, computed once for all components.

Switching component in a front end (the Qt window, the browser page) must
only swap arrays in existing plots, so the sources, their power spectra, the
topographic images (one interpolation set up for all maps), the ERP images'
means, the colour limits and the explained variances of all components are
computed here in one vectorised pass. No Qt and no matplotlib in this file:
:func:`compute_plot_data` may run in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from mne import BaseEpochs
from mne.io import BaseRaw
from mne.preprocessing import ICA
from mne.utils import logger
from numpy.typing import NDArray
from scipy.signal import welch

from ..features.topomaps import _SPHERE, _interpolate_topomaps
from ._recording import is_meg_ica  # noqa: F401 (the views ask here)

# preferred channel type for the topographic map, first found wins
_TOPO_TYPES = ("eeg", "mag", "grad")


@dataclass
class TopoMap:
    """The component maps of one channel type, as images."""

    ch_type: str
    images: NDArray | None  # (n_comp, res, res), rows back to front, NaN outside
    extent: tuple[float, ...]  # (xmin, xmax, ymin, ymax), head radius 1
    clip: float  # radius of the disc the images are clipped to
    sensor_pos: NDArray | None  # (n_sensors, 2), head radius 1
    # (n_comp,) colour limit of each image (its largest absolute value);
    # None computes it from the images
    vmax: NDArray | None = None

    def __post_init__(self) -> None:
        if self.vmax is None and self.images is not None:
            flat = np.abs(self.images.reshape(len(self.images), -1))
            finite = np.isfinite(flat)
            vmax = np.where(finite, flat, 0.0).max(axis=1, initial=0.0)
            self.vmax = np.where(vmax > 0, vmax, 1.0)


@dataclass
class ICAPlotData:
    """Arrays shown by the window, one row per component."""

    kind: str  # "raw" or "epochs"
    sfreq: float
    times: NDArray  # (n_times,) seconds, of the raw or of one epoch
    sources: NDArray  # float32, (n_comp, n_times) or (n_epochs, n_comp, n_times)
    freqs: NDArray  # (n_freqs,)
    psd_db: NDArray  # (n_comp, n_freqs), 10 * log10 of the Welch PSD
    topo_type: str | None  # channel type of the topographic map
    topo_images: NDArray | None  # (n_comp, res, res), rows back to front, NaN
    # outside the interpolated area
    topo_extent: tuple[float, ...]  # (xmin, xmax, ymin, ymax), head radius 1
    topo_clip: float  # radius of the disc the images are clipped to
    sensor_pos: NDArray | None  # (n_sensors, 2), head radius 1
    var_ratio: dict[str, NDArray] = field(default_factory=dict)  # type -> (n_comp,)
    epochs_clim: NDArray | None = None  # (n_comp,), colour limit of epochs image
    # the maps of each modality of the ICA (EEG and MEG side by side for an
    # ICA of both); the topo_* fields above are the first of them
    topomaps: list[TopoMap] = field(default_factory=list)
    # the rows of the ERP image: the epochs, or consecutive segments of
    # ``segment_length`` seconds of a Raw (the incomplete last one left out)
    n_segment_times: int = 0  # samples per segment
    segment_var: NDArray | None = None  # (n_comp, n_seg), variance of each one
    segment_dropped: NDArray | None = None  # (n_seg,) bool, overlaps a BAD span
    segment_clim: NDArray | None = None  # (n_comp,), colour limit of the image
    segment_mean: NDArray | None = None  # (n_comp, n_segment_times), image's mean

    @property
    def n_segments(self) -> int:
        """Number of rows of the ERP image."""
        return 0 if self.segment_var is None else self.segment_var.shape[1]

    @property
    def segment_times(self) -> NDArray:
        """Time in seconds of each sample of a segment (an epoch's times)."""
        if self.kind == "epochs":
            return self.times
        return np.arange(self.n_segment_times) / self.sfreq

    def segments(self, k: int) -> NDArray:
        """Return the ERP image of component ``k``, (n_seg, n_segment_times).

        A view of :attr:`sources` (float32), no copy.
        """
        if self.kind == "epochs":
            return self.sources[:, k]
        n = self.n_segments * self.n_segment_times
        return self.sources[k, :n].reshape(self.n_segments, self.n_segment_times)


def compute_plot_data(
    inst: BaseRaw | BaseEpochs,
    ica: ICA,
    res: int = 64,
    fmax: float = 100.0,
    segment_length: float = 2.0,
) -> ICAPlotData:
    """Compute the sources, spectra, topographies and variances of all ICs.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording.
    ica : ICA
        The fitted ICA.
    res : int
        Resolution of the topographic images.
    fmax : float
        Highest frequency of the spectra (capped at Nyquist).
    segment_length : float
        Duration in seconds of the segments a Raw is cut into for the ERP
        image and the variance per segment (Epochs: their epochs).

    Returns
    -------
    data : ICAPlotData
        The arrays.
    """
    sfreq = inst.info["sfreq"]
    # one pass of the unmixing for all components
    sources = ica.get_sources(inst).get_data()  # float64
    kind = "epochs" if isinstance(inst, BaseEpochs) else "raw"
    logger.info(f"Precomputing the plots of {ica.n_components_} ICA components")

    n_times = sources.shape[-1]
    nperseg = int(min(n_times, round(2 * sfreq)))  # 0.5 Hz resolution
    freqs, psd = welch(sources, fs=sfreq, nperseg=nperseg, axis=-1)
    if kind == "epochs":
        psd = psd.mean(axis=0)
    keep = (freqs > 0) & (freqs <= fmax) & (freqs < sfreq / 2)
    freqs = freqs[keep]
    psd_db = 10 * np.log10(np.maximum(psd[:, keep], np.finfo(float).tiny))

    epochs_clim = None
    segments = _segments(inst, sources, segment_length)
    if kind == "epochs":
        epochs_clim = segments["segment_clim"]
        times = inst.times.copy()
        flat = sources.transpose(1, 0, 2).reshape(sources.shape[1], -1)
        data = inst.get_data(picks=ica.ch_names)
        data = data.transpose(1, 0, 2).reshape(data.shape[1], -1)
    else:
        times = inst.times.copy()
        flat = sources
        data = inst.get_data(picks=ica.ch_names)
    var_ratio = _explained_variance(ica, data, flat)
    del data, flat

    # one map per modality: EEG, and MEG from its magnetometers if any (the
    # sensors MEGNet reads), else its gradiometers
    ch_types = ica.get_channel_types()
    present = [t for t in _TOPO_TYPES if t in ch_types]
    if "mag" in present and "grad" in present:
        present.remove("grad")
    topomaps = [TopoMap(t, *_topomap_images(ica, res, t)[1:]) for t in present]
    if topomaps:
        first = topomaps[0]
        topo_type, images, extent = first.ch_type, first.images, first.extent
        clip, pos = first.clip, first.sensor_pos
    else:
        topo_type, images, extent, clip, pos = _topomap_images(ica, res)
    return ICAPlotData(
        kind=kind,
        sfreq=sfreq,
        times=times,
        sources=sources.astype(np.float32),
        freqs=freqs,
        psd_db=psd_db,
        topo_type=topo_type,
        topo_images=images,
        topo_extent=extent,
        topo_clip=clip,
        sensor_pos=pos,
        var_ratio=var_ratio,
        epochs_clim=epochs_clim,
        topomaps=topomaps,
        **segments,
    )


def _segments(inst, sources: NDArray, segment_length: float) -> dict:
    """Cut the sources into the rows of the ERP image; their variance.

    Epochs are their own segments. A Raw is cut into consecutive segments of
    ``segment_length`` seconds, as MNE's ``plot_properties`` does with 2 s
    epochs; a segment is dropped (shown apart) when it overlaps a span
    annotated ``BAD_...``, which MNE's ``reject_by_annotation`` would leave
    out. The variance is that of the float64 sources over each segment's
    samples; the colour limit of each component's image is the 99th
    percentile of the absolute sources.
    """
    if isinstance(inst, BaseEpochs):
        segs = sources.transpose(1, 0, 2)  # (n_comp, n_epochs, n_times)
        n_seg_times = sources.shape[-1]
        dropped = np.zeros(sources.shape[0], bool)
    else:
        n_times = sources.shape[-1]
        n_seg_times = int(
            min(n_times, max(2, round(segment_length * inst.info["sfreq"])))
        )
        n_seg = n_times // n_seg_times
        segs = sources[:, : n_seg * n_seg_times].reshape(len(sources), n_seg, -1)
        dropped = np.zeros(n_seg, bool)
        if any(d.lower().startswith("bad") for d in inst.annotations.description):
            # one channel read with NaN over the BAD spans marks them
            marked = inst.get_data(picks=[0], reject_by_annotation="NaN")[0]
            marked = marked[: n_seg * n_seg_times].reshape(n_seg, -1)
            dropped = np.isnan(marked).any(axis=1)
    variance = segs.var(axis=-1)
    mean = segs.mean(axis=1)  # the curve below the ERP image
    # a colour limit needs no exact percentile: that of evenly spaced samples
    # (at most ~20000 per component, a 99th percentile to about 0.1 point)
    flat = segs.reshape(len(segs), -1)
    step = max(1, flat.shape[1] // 20000)
    clim = np.percentile(np.abs(flat[:, ::step]), 99, axis=1)
    clim[clim == 0] = 1.0
    return dict(
        n_segment_times=n_seg_times,
        segment_var=variance,
        segment_dropped=dropped,
        segment_clim=clim,
        segment_mean=mean,
    )


def _explained_variance(
    ica: ICA, data: NDArray, sources: NDArray
) -> dict[str, NDArray]:
    """Variance of the data explained by each component, per channel type.

    This is the quantity of :meth:`mne.preprocessing.ICA.get_explained_variance_ratio`
    (EEGLAB's pvaf) for every component at once: with the data ``X`` and its
    back-projection from component k alone ``X_k = mean + a_k s_k``, the ratio is
    ``1 - sum_t var_c(X - X_k) / sum_t var_c(X)`` (variance across channels at
    each sample). Expanding the squares, all components need a single matrix
    product ``Xc @ S.T`` instead of one back-projection each.
    """
    comps = ica.get_components()  # (n_ch, n_comp) in pre-whitened units
    mean = ica.pca_mean_ if ica.pca_mean_ is not None else np.zeros(len(comps))
    if ica.noise_cov is None:
        scale = ica.pre_whitener_  # (n_ch, 1)
        patterns = comps * scale
        mean = mean * scale[:, 0]
    else:
        unwhiten = np.linalg.pinv(ica.pre_whitener_)
        patterns = unwhiten @ comps
        mean = unwhiten @ mean
    ss = np.einsum("kt,kt->k", sources, sources)  # sum_t s_k^2
    ch_types = np.array(ica.get_channel_types())
    out = {}
    for ch_type in dict.fromkeys(ch_types):
        sel = np.flatnonzero(ch_types == ch_type)
        x = data[sel]
        n_ch = len(sel)
        xm = x.mean(axis=0)
        den = np.einsum("ct,ct->", x, x) / n_ch - xm @ xm
        xc = x - mean[sel, None]
        a = patterns[sel]  # (n_ch, n_comp)
        g = xc @ sources.T  # (n_ch, n_comp)
        m = xc.mean(axis=0)
        a_bar = a.mean(axis=0)
        num = (np.einsum("ct,ct->", xc, xc) - 2 * np.einsum("ck,ck->k", a, g)) / n_ch
        num += (a * a).sum(axis=0) * ss / n_ch
        num -= m @ m - 2 * a_bar * (m @ sources.T) + a_bar**2 * ss
        out[str(ch_type)] = 1 - num / den
    return out


def _topomap_images(
    ica: ICA, res: int, topo_type: str | None = None
) -> tuple[str | None, NDArray | None, tuple[float, ...], float, NDArray | None]:
    """Interpolate the component maps of one channel type on a grid.

    ``topo_type`` None takes the first of EEG, magnetometers, gradiometers
    present in the ICA.

    Uses the same interpolation as :func:`mne_icalabel.features.get_topomaps`
    (MNE's topomap interpolation, set up once for all components), on the
    maps of :meth:`~mne.preprocessing.ICA.get_components`. Coordinates are
    scaled to a head radius of 1. Returns the channel type, the images (NaN
    outside the interpolated area), their extent ``(xmin, xmax, ymin, ymax)``,
    the radius of the disc they are clipped to, and the sensor positions.
    """
    ch_types = ica.get_channel_types()
    if topo_type is None:
        topo_type = next((t for t in _TOPO_TYPES if t in ch_types), None)
    if topo_type is None:
        return None, None, (-1.0, 1.0, -1.0, 1.0), 1.0, None
    sel = np.array([i for i, t in enumerate(ch_types) if t == topo_type])
    maps = ica.get_components()[sel].T  # (n_comp, n_sel)
    try:
        images, pos, extent = _interpolate_topomaps(maps, ica.info, sel, topo_type, res)
    except ValueError as error:  # missing positions: show no map
        logger.info(f"The topographic maps are not shown: {error}")
        return topo_type, None, (-1.0, 1.0, -1.0, 1.0), 1.0, None
    radius = _SPHERE[3]
    pos = pos / radius
    # MNE clips the map to the head, enlarged to hold sensors beyond it
    clip = max(1.0, 1.01 * float(np.linalg.norm(pos, axis=1).max()))
    return topo_type, images, tuple(v / radius for v in extent), clip, pos
