"""The plots' arrays in the compact form the front end reads.

A recording's arrays that are small per component (spectra, topographic
images, variances per segment, the segment image's mean, colour limits) go
in one JSON document, each array as base64 of little-endian float32 or of
int16 scaled per row (``value = int16 * scale[row]``; -32768 marks NaN).
The time course of one component, from which the page cuts the segment
image too, is fetched on its own as raw int16 bytes (half of float32; 16 bits
are far below what a screen shows), the next components in the list order
ahead of time.
"""

from __future__ import annotations

import base64

import numpy as np

from ..review._plot_data import ICAPlotData

_NAN = -32768
_FULL = 32767


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def pack_f4(array) -> dict:
    """Pack a float32 array as ``{"dtype": "f4", "shape", "data"}``."""
    array = np.asarray(array, dtype="<f4")
    return dict(dtype="f4", shape=list(array.shape), data=_b64(array))


def quantize_rows(array) -> tuple[np.ndarray, np.ndarray]:
    """Scale each row (first axis) of ``array`` to int16; NaN -> -32768.

    Returns the int16 array and the scale of each row (float64).
    """
    array = np.asarray(array, dtype=np.float64)
    flat = array.reshape(len(array), -1)
    finite = np.isfinite(flat)
    peak = np.where(finite, np.abs(flat), 0.0).max(axis=1, initial=0.0)
    scale = np.where(peak > 0, peak / _FULL, 1.0)
    quantized = np.rint(np.where(finite, flat, 0.0) / scale[:, None]).astype("<i2")
    quantized[~finite] = _NAN
    return quantized.reshape(array.shape), scale


def pack_i2(array) -> dict:
    """Pack an array as int16 rows and their scales (:func:`quantize_rows`)."""
    quantized, scale = quantize_rows(array)
    return dict(
        dtype="i2",
        shape=list(quantized.shape),
        scale=scale.tolist(),
        data=_b64(quantized),
    )


def _colormap(name: str = "RdBu_r") -> str:
    """256 RGB colours of a matplotlib colormap (the Qt window's), base64 uint8."""
    from matplotlib import colormaps

    rgb = colormaps[name](np.linspace(0, 1, 256))[:, :3]
    return _b64(np.rint(rgb * 255).astype(np.uint8))


def plot_payload(data: ICAPlotData, data_id: str) -> dict:
    """Everything the panels show for all components but the time courses.

    Parameters
    ----------
    data : ICAPlotData
        The arrays of a recording.
    data_id : str
        The server's name of these arrays (asked for with each time course).

    Returns
    -------
    payload : dict
        JSON-able.
    """
    if data.kind == "epochs":
        n_comp = data.sources.shape[1]
        peak = np.abs(data.sources).max(axis=(0, 2))
    else:
        n_comp = data.sources.shape[0]
        peak = np.abs(data.sources).max(axis=1)
    source_scale = np.where(peak > 0, peak.astype(np.float64) / _FULL, 1.0)
    topomaps = []
    for topo in data.topomaps:
        item = dict(ch_type=topo.ch_type, extent=list(topo.extent), clip=topo.clip)
        if topo.images is not None:
            item["images"] = pack_i2(topo.images)
            item["vmax"] = np.asarray(topo.vmax, float).tolist()
            item["sensors"] = pack_f4(topo.sensor_pos)
        topomaps.append(item)
    n_times = data.sources.shape[-1]
    return dict(
        data_id=data_id,
        kind=data.kind,
        sfreq=float(data.sfreq),
        t0=float(data.times[0]),
        n_components=int(n_comp),
        n_times=int(n_times),
        n_epochs=int(data.sources.shape[0]) if data.kind == "epochs" else 0,
        source_scale=source_scale.tolist(),
        freqs=pack_f4(data.freqs),
        psd_db=pack_f4(data.psd_db),
        topo_type=data.topo_type,
        topomaps=topomaps,
        var_ratio={k: np.asarray(v, float).tolist() for k, v in data.var_ratio.items()},
        n_segments=int(data.n_segments),
        n_segment_times=int(data.n_segment_times),
        segment_t0=float(data.segment_times[0]),
        segment_var=pack_f4(data.segment_var),
        segment_dropped=np.asarray(data.segment_dropped, bool).tolist(),
        segment_clim=np.asarray(data.segment_clim, float).tolist(),
        segment_mean=pack_f4(data.segment_mean),
        colormap=_colormap(),
    )


def component_bytes(data: ICAPlotData, k: int) -> bytes:
    """Return the time course of component ``k`` as little-endian int16 bytes.

    Raw: its ``n_times`` samples; Epochs: its epochs one after the other. The
    scale is :func:`plot_payload`'s ``source_scale[k]``.
    """
    if data.kind == "epochs":
        source = data.sources[:, k, :].ravel()
        peak = np.abs(data.sources[:, k, :]).max()
    else:
        source = data.sources[k]
        peak = np.abs(source).max()
    scale = float(peak) / _FULL if peak > 0 else 1.0  # as plot_payload's
    return np.rint(source.astype(np.float64) / scale).astype("<i2").tobytes()
