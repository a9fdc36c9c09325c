"""Topographic maps of the independent components, as images."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _ensure_int, _validate_type, logger, verbose

from ..utils._checks import _validate_ica
from ..utils._docs import fill_doc
from ..utils._picks import ica_channel_types, ica_type_picks

if TYPE_CHECKING:
    from mne import Info
    from mne.preprocessing import ICA
    from numpy.typing import NDArray

# Same sphere as MNE's default for topomaps: origin (0, 0, 0), radius 95 mm.
_SPHERE = np.array([0.0, 0.0, 0.0, 0.095])


@verbose
@fill_doc
def get_topomaps(
    ica: ICA,
    picks=None,
    res: int = 64,
    image_interp: str = "cubic",
    border: float | str = "mean",
    extrapolate: str = "auto",
    *,
    verbose=None,
) -> dict[str, NDArray[np.float64]]:
    """Get the topographic maps of the independent components as images.

    Parameters
    ----------
    ica : ICA
        A fitted :class:`mne.preprocessing.ICA` instance.
    picks : int | list of int | slice | array of int | None
        Indices of the independent components to compute. ``None`` (default)
        selects all of them. Component names (strings) are not supported.
    res : int
        The resolution of the square images, in pixels (``res x res``).
    image_interp : ``"cubic"`` | ``"linear"`` | ``"nearest"``
        The interpolation between the sensor positions, as in
        :func:`mne.viz.plot_topomap`.
    border : float | ``"mean"``
        Value to extrapolate to on the border of the head. ``"mean"`` uses the
        mean of the neighbouring sensors.
    extrapolate : ``"auto"`` | ``"box"`` | ``"local"`` | ``"head"``
        How to extrapolate outside the sensor positions, as in
        :func:`mne.viz.plot_topomap`. ``"auto"`` means ``"local"`` for MEG
        sensors and ``"head"`` otherwise.
    %(verbose)s

    Returns
    -------
    topomaps : dict of str to ndarray of shape (n_picks, res, res)
        One float64 array per data channel type of the ICA (keys such as
        ``"eeg"``, ``"mag"``, ``"grad"``, in order of first appearance in
        ``ica.info``). Each image is normalised by its largest absolute value,
        so that values lie in ``[-1, 1]``; pixels the interpolation does not
        reach are 0. The first image row is the front of the head (nose up, as
        plotted). The ``"eeg"`` maps are those ICLabel labels, the ``"mag"``
        maps those MEGNet labels, also for an ICA fitted on several channel
        types.

    Notes
    -----
    The maps are the columns of the mixing matrix projected back to the
    sensors, ``(ica.mixing_matrix_.T @ ica.pca_components_[:n_components_])``,
    without undoing the pre-whitening, interpolated on a ``res x res`` grid
    with MNE's topomap interpolation. The sensor positions, the triangulation
    and the border extrapolation depend only on the channels, so they are
    computed once per channel type and all components are interpolated in one
    call.
    """
    _validate_ica(ica)
    picks = _check_component_picks(picks, ica.n_components_)
    res = _ensure_int(res, "res")
    if res <= 0:
        raise ValueError(
            f"The argument 'res' must be a strictly positive integer. Provided '{res}'."
        )
    _check_option("image_interp", image_interp, ("cubic", "linear", "nearest"))
    _validate_type(border, ("numeric", str), "border")
    if isinstance(border, str):
        _check_option("border", border, ("mean",), extra="when a string")
    _check_option("extrapolate", extrapolate, ("auto", "box", "local", "head"))

    # maps on the (pre-whitened) sensors, shape (n_components, n_channels)
    data = ica.mixing_matrix_.T @ ica.pca_components_[: ica.n_components_]
    data = data[picks]
    # only data channels, types in order of first appearance; the same
    # selection as the labelling methods' maps (ICLabel: "eeg", MEGNet: "mag")
    topomaps = {}
    for ch_type in ica_channel_types(ica):
        sel = ica_type_picks(ica, ch_type)
        logger.debug(
            "Computing %d topographic map(s) from %d '%s' channel(s).",
            picks.size,
            sel.size,
            ch_type,
        )
        topomaps[ch_type] = _topomap_images(
            data[:, sel], ica.info, sel, ch_type, res, image_interp, border, extrapolate
        )
    return topomaps


def _check_component_picks(picks, n_components: int) -> NDArray[np.int64]:
    """Validate ``picks`` given as component indices and return them as array."""
    from mne._fiff.pick import _picks_to_idx

    if isinstance(picks, str) or (
        isinstance(picks, list | tuple) and any(isinstance(p, str) for p in picks)
    ):
        raise TypeError(
            "Argument 'picks' must be component indices (int, list of int, slice "
            f"or None). Strings are not supported. Provided {picks!r}."
        )
    try:
        return _picks_to_idx(n_components, picks)
    except IndexError as error:
        raise IndexError(
            f"Argument 'picks' must select among the {n_components} independent "
            f"components (indices from {-n_components} to {n_components - 1}). "
            f"{error}"
        ) from None
    except ValueError as error:
        raise ValueError(
            f"Argument 'picks' must select at least one component. {error}"
        ) from None


def _check_positions(info: Info, sel: NDArray, ch_type: str) -> None:
    """Raise a clear error if sensor positions are missing."""
    pos = np.array([info["chs"][k]["loc"][:3] for k in sel])
    missing = ~np.isfinite(pos).all(axis=1) | (pos == 0).all(axis=1)
    if missing.all():
        raise ValueError(
            f"Montage is not set: the '{ch_type}' channels have no position. Set a "
            "montage on the recording before fitting the ICA, e.g. with "
            "raw.set_montage('easycap-M1'), or on ica.info with "
            "ica.info.set_montage(...)."
        )
    if missing.any():
        names = [info["ch_names"][k] for k in sel[missing]]
        raise ValueError(
            f"Channel position for {names} is missing. Set a montage that contains "
            "every channel, or mark them as bad and refit the ICA without them."
        )


def _topomap_images(
    data: NDArray[np.float64],
    info: Info,
    sel: NDArray,
    ch_type: str,
    res: int,
    image_interp: str,
    border: float | str,
    extrapolate: str,
) -> NDArray[np.float64]:
    """Interpolate maps ``(n_comp, n_sel)`` on a grid; ``(n_comp, res, res)``.

    The images of :func:`get_topomaps`: first row at the front of the head,
    0 outside the interpolated area, each divided by its maximum absolute value.
    """
    images, _, _ = _interpolate_topomaps(
        data, info, sel, ch_type, res, image_interp, border, extrapolate
    )
    # grid rows go from the back of the head (low y) to the front: flip them so
    # that the first row is the front, as an image is displayed
    images = np.nan_to_num(images[:, ::-1, :], nan=0.0)
    scale = np.abs(images).max(axis=(1, 2), keepdims=True)
    np.divide(images, scale, out=images, where=scale > 0)
    return images


def _interpolate_topomaps(
    data: NDArray[np.float64],
    info: Info,
    sel: NDArray,
    ch_type: str,
    res: int,
    image_interp: str = "cubic",
    border: float | str = "mean",
    extrapolate: str = "auto",
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[float, ...]]:
    """Interpolate maps ``(n_comp, n_sel)`` of channels ``sel`` as MNE does.

    Returns
    -------
    images : ndarray, shape (n_comp, res, res)
        Row ``i`` at ``y = linspace(ymin, ymax, res)[i]`` (back to front),
        column ``j`` at ``x = linspace(xmin, xmax, res)[j]`` (left to right);
        NaN outside the interpolated area.
    pos : ndarray, shape (n_sel, 2)
        Sensor positions in the plane, in metres (head radius 0.095).
    extent : tuple of float
        ``(xmin, xmax, ymin, ymax)`` of the grid, in metres.

    Raises
    ------
    ValueError
        If sensor positions are missing.
    """
    from mne import pick_info
    from mne.channels.layout import _find_topomap_coords
    from mne.viz.topomap import (
        _check_extrapolate,
        _make_head_outlines,
        _setup_interp,
    )

    _check_positions(info, sel, ch_type)
    info = pick_info(info, sel)
    pos = _find_topomap_coords(
        info, picks=np.arange(len(sel)), sphere=_SPHERE, ignore_overlap=True
    )
    extrapolate = _check_extrapolate(extrapolate, ch_type)
    outlines = _make_head_outlines(_SPHERE, pos, None, (0.0, 0.0))
    # _setup_interp depends on the positions only: triangulation (with the
    # extra points added outside the sensors) computed once for all components
    extent, Xi, Yi, interp = _setup_interp(
        pos, res, image_interp, extrapolate, outlines, border
    )
    values = _values_with_extra_points(interp, data.T)
    if values is None:  # MNE internals changed: one component at a time
        images = np.stack(
            [interp.set_values(row).set_locations(Xi, Yi)() for row in data]
        )
    else:
        # the interpolators accept trailing dimensions: all components at once
        images = np.moveaxis(interp.interp(interp.tri, values)(Xi, Yi), -1, 0)
    return images, pos, tuple(float(v) for v in extent)


def _values_with_extra_points(interp, values: NDArray) -> NDArray | None:
    """Append the values at MNE's extra (border) points to ``values``.

    ``values`` is ``(n_points, n_components)``. MNE's ``_GridData.set_values``
    does it for one component: each extra point takes the mean of its
    neighbours among the sensors in the triangulation (``border="mean"``;
    extra points without such neighbours take the mean of the other extra
    points) or the constant ``border``. The mean is linear, so it is a matrix
    ``(n_extra, n_points)`` applied to all components at once. Returns None if
    the interpolator does not expose the attributes used here.
    """
    if not all(hasattr(interp, a) for a in ("tri", "n_extra", "border", "interp")):
        return None
    n_points, n_extra = values.shape[0], interp.n_extra
    if not isinstance(interp.border, str):
        extra = np.full((n_extra, values.shape[1]), float(interp.border))
        return np.concatenate((values, extra))
    indptr, indices = interp.tri.vertex_neighbor_vertices
    weights = np.zeros((n_extra, n_points))
    used = np.zeros(n_extra, bool)
    for k in range(n_extra):
        ngb = indices[indptr[n_points + k] : indptr[n_points + k + 1]]
        ngb = ngb[ngb < n_points]
        if ngb.size:
            used[k] = True
            np.add.at(weights[k], ngb, 1.0 / ngb.size)
    if used.any() and not used.all():
        weights[~used] = weights[used].mean(axis=0)
    return np.concatenate((values, weights @ values))
