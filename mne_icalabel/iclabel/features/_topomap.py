"""Topographic maps of the components: EEGLAB's ``topoplotFast``, vectorised.

The biharmonic spline ("griddata v4") through the electrodes is linear in the
values, and its geometry depends only on the electrode positions: the Green's
matrices are built once and applied to all components at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_GRID_SIZE = 32
_RMAX = 0.5  # head radius in EEGLAB's topoplot units


def _green(distance: np.ndarray) -> np.ndarray:
    """Biharmonic Green's function ``d² (ln d - 1)`` (NaN where ``d == 0``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return distance**2 * (np.log(distance) - 1)


def _merge_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return the (K, C) matrix that merges near-duplicate points (mergepoints2D).

    Points closer than ``spacing(range / 2) ** (1/3)`` in both x and y are
    replaced by their mean. Rows follow MATLAB's walk order: points sorted by
    y, each unconsumed point opening a group with all unconsumed points close
    to it. Applied to the values, the matrix gives the merged values.
    """
    n_points = x.size
    eps_x = np.spacing(0.5 * (x.max() - x.min())) ** (1 / 3)
    eps_y = np.spacing(0.5 * (y.max() - y.min())) ** (1 / 3)
    order = np.argsort(y)
    xs, ys = x[order], y[order]
    close = (np.abs(ys[:, None] - ys[None, :]) < eps_y) & (
        np.abs(xs[:, None] - xs[None, :]) < eps_x
    )
    if np.count_nonzero(close) == n_points:  # no duplicates: a pure reordering
        groups = [[k] for k in range(n_points)]
    else:  # rare: greedy walk over the electrodes (not over grid or components)
        consumed = np.zeros(n_points, dtype=bool)
        groups = []
        for k in range(n_points):
            if consumed[k]:
                continue
            group = np.flatnonzero(close[k] & ~consumed)
            consumed[group] = True
            groups.append(group)
    merge = np.zeros((len(groups), n_points))
    for row, group in enumerate(groups):
        merge[row, order[group]] = 1.0 / len(group)
    return merge


@dataclass(frozen=True)
class _Biharmonic:
    """Biharmonic spline interpolation (MATLAB ``griddata(..., 'v4')``).

    ``green`` is the (K, K) Green's matrix of the merged points, ``green_query``
    the (Q, K) Green's values between query points and merged points and
    ``merge`` the (K, C) merging matrix.
    """

    merge: np.ndarray
    green: np.ndarray
    green_query: np.ndarray

    @classmethod
    def fit(
        cls, x: np.ndarray, y: np.ndarray, xq: np.ndarray, yq: np.ndarray
    ) -> _Biharmonic:
        """Build the operator for points ``(x, y)`` and queries ``(xq, yq)``."""
        merge = _merge_matrix(x, y)
        points = merge @ x + 1j * (merge @ y)
        green = _green(np.abs(points[:, None] - points[None, :]))
        np.fill_diagonal(green, 0.0)
        queries = np.ravel(xq) + 1j * np.ravel(yq)
        distance = np.abs(queries[:, None] - points[None, :])
        green_query = _green(distance)
        green_query[np.isclose(distance, 0)] = 0.0
        return cls(merge=merge, green=green, green_query=green_query)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Interpolate ``values`` (C,) or (C, n) at the Q query points."""
        # w = G \ v for all components at once. MATLAB's "\" on a square
        # matrix is an LU solve; lstsq (SVD, 50x slower) only if G is singular.
        merged = self.merge @ values
        try:
            weights = np.linalg.solve(self.green, merged)
        except np.linalg.LinAlgError:
            weights = np.linalg.lstsq(self.green, merged, rcond=-1)[0]
        return self.green_query @ weights


def _gdatav4(
    x: np.ndarray, y: np.ndarray, v: np.ndarray, xq: np.ndarray, yq: np.ndarray
) -> np.ndarray:
    """Biharmonic interpolation of ``v`` (C,) or (C, n) at ``(xq, yq)``.

    Returns an array of shape ``xq.shape`` (+ ``(n,)`` for 2-D ``v``).
    """
    xq, yq = np.broadcast_arrays(np.asarray(xq, float), np.asarray(yq, float))
    out = _Biharmonic.fit(np.ravel(x), np.ravel(y), xq, yq)(v)
    return out.reshape(xq.shape + np.shape(v)[1:])


@dataclass(frozen=True)
class _Geometry:
    """Electrode coordinates and grid of one ``topoplotFast`` call."""

    x: np.ndarray
    y: np.ndarray
    xi: np.ndarray
    yi: np.ndarray
    rd: np.ndarray  # the squeezed radii, as left in the caller's array

    @classmethod
    def squeeze(cls, rd: np.ndarray, th: np.ndarray) -> _Geometry:
        """Squeeze radii ``rd`` and azimuths ``th`` (radians) into the head."""
        x, y = rd * np.cos(th), rd * np.sin(th)
        plotrad = max(min(1.0, 1.02 * np.max(rd)), 0.5)
        squeezefac = _RMAX / plotrad
        x, y = x * squeezefac, y * squeezefac
        xi = np.linspace(min(-0.5, x.min()), max(0.5, x.max()), _GRID_SIZE)
        yi = np.linspace(min(-0.5, y.min()), max(0.5, y.max()), _GRID_SIZE)
        return cls(x=x, y=y, xi=xi, yi=yi, rd=rd * squeezefac)

    def same_as(self, other: _Geometry) -> bool:
        """Whether both geometries give the same interpolation."""
        return all(
            np.array_equal(getattr(self, name), getattr(other, name))
            for name in ("x", "y", "xi", "yi")
        )

    def interpolate(self, values: np.ndarray) -> np.ndarray:
        """Interpolate ``values`` (C, n) on the grid, NaN outside the head.

        ``Z[i, j, k] = f_k(xi[i], yi[j])``; the mask is tested on the
        untransposed meshgrid, i.e. ``Z[i, j]`` is masked when
        ``hypot(xi[j], yi[i]) > rmax`` (upstream quirk, only visible when the
        grid is not square).
        """
        xq, yq = np.meshgrid(self.xi, self.yi, indexing="ij")
        z = _Biharmonic.fit(self.x, self.y, xq, yq)(values)
        z = z.reshape(_GRID_SIZE, _GRID_SIZE, values.shape[1])
        xg, yg = np.meshgrid(self.xi, self.yi)  # xg[i, j] = xi[j]
        z[np.sqrt(xg**2 + yg**2) > _RMAX] = np.nan
        return z


def _topoplot(values: np.ndarray, rd: np.ndarray, th: np.ndarray) -> np.ndarray:
    """Topographic maps of ``values`` (C, n): float64 (32, 32, n), NaN outside.

    ``rd`` and ``th`` (radians) have shape (C,). Reproduces calling
    ``topoplotFast`` once per component on the same ``rd`` array, which the
    function squeezes in place: component 0 sees the original radii, the
    others the already squeezed ones (identical unless an electrode lies below
    ``rd = 1/1.02``; further squeezes are a fixed point). Hence at most two
    interpolation operators.
    """
    first = _Geometry.squeeze(rd, th)
    rest = _Geometry.squeeze(first.rd, th)
    if values.shape[1] == 1 or first.same_as(rest):
        return first.interpolate(values)
    return np.concatenate(
        [first.interpolate(values[:, :1]), rest.interpolate(values[:, 1:])], axis=2
    )


def _eeg_topoplot(icawinv: np.ndarray, rd: np.ndarray, th: np.ndarray) -> np.ndarray:
    """Topographic feature (32, 32, 1, n) float32 of the columns of ``icawinv``.

    ``rd`` and ``th`` (degrees) come from ``_mne_to_eeglab_locs``. Values
    outside the head are 0 and each map is divided by its maximum absolute
    value.
    """
    topo = _topoplot(icawinv, np.ravel(rd), np.radians(np.ravel(th)))
    topo = np.nan_to_num(topo, nan=0.0)
    topo /= np.max(np.abs(topo), axis=(0, 1))
    return topo[:, :, np.newaxis, :].astype(np.float32)
