"""Brainstorm-like 120x120 RGB topomaps of MEG components (MEGNET.md §3).

The network was trained on images drawn by ``mne.viz.plot_topomap`` with fixed
arguments and saved as a 120 dpi PNG. We call the same MNE/matplotlib functions,
but draw into one figure that is reused for every component: the sensor
projection, the head outline, the Delaunay triangulation with its extra border
points and the tight bounding box do not depend on the component, so they are
computed once. Only the cubic interpolant, the colour limits and the image data
change. The result is pixel-identical to a new figure per component.

matplotlib and MNE's plotting module are imported inside the functions, so that
``import mne_icalabel`` does not pay for them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_IMAGE_SIZE = 120
# Arguments of mne.viz.plot_topomap used for the training images; everything
# else is MNE's default (cubic interpolation, border="mean", ch_type="eeg").
_SPHERE = (0.0, 0.0, 0.0, 1.0)
_TOPOMAP_KWARGS = dict(
    sensors=False,
    extrapolate="head",
    sphere=list(_SPHERE),
    contours=0,
    res=_IMAGE_SIZE,
    show=False,
    cmap="bwr",
)
_FIGSIZE = 1.3  # inches, at 100 dpi for drawing and 120 dpi for saving
_SAVE_DPI = 120


def _cart2sph(
    x: NDArray[np.float64], y: NDArray[np.float64], z: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Convert Cartesian to spherical coordinates (MATLAB's ``cart2sph``).

    Returns the radius, the azimuth ``atan2(y, x)`` and the elevation
    ``atan2(z, hypot(x, y))``.
    """
    hypot_xy = np.hypot(x, y)
    return np.hypot(hypot_xy, z), np.arctan2(y, x), np.arctan2(z, hypot_xy)


def _project_sensors(xyz: NDArray[np.float64]) -> NDArray[np.float64]:
    """Project 3-D sensor positions to the unit disc as Brainstorm does.

    Parameters
    ----------
    xyz : ndarray of shape (n_sensors, 3)
        Sensor positions in the device frame (metres).

    Returns
    -------
    pos : ndarray of shape (n_sensors, 2)
        2-D positions; the convex-hull sensors lie on the unit circle.
    """
    from scipy.interpolate import interp1d
    from scipy.spatial import ConvexHull

    _, theta, phi = _cart2sph(xyz[:, 0], xyz[:, 1], xyz[:, 2])
    # Elevation -> radius: 0 at the +z pole, 1 at the equator.
    new_r = 1 - 2 * phi / np.pi
    p2 = np.column_stack([new_r * np.cos(theta), new_r * np.sin(theta)])
    border = ConvexHull(p2).vertices
    # Radial stretch that puts the hull sensors on radius 1; the factor of the
    # other sensors is interpolated linearly in angle, made periodic by
    # repeating the hull nodes shifted by -2π and +2π.
    d_border = 1 / new_r[border]
    stretch = interp1d(
        np.concatenate(
            [theta[border] - 2 * np.pi, theta[border], theta[border] + 2 * np.pi]
        ),
        np.tile(d_border, 3),
    )(theta)
    radius = np.minimum(new_r * stretch, 1)
    return np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])


def _make_head_outlines(pos: NDArray[np.float64]) -> dict:
    """Outlines of the topomaps: a circle of radius 1.01, no nose nor ears.

    The clipping mask is the same circle, enlarged if a sensor lies outside it.
    """
    x, y, _, radius = _SPHERE
    angles = np.linspace(0, 2 * np.pi, 101)
    head_x = 1.01 * radius * np.cos(angles) + x
    head_y = 1.01 * radius * np.sin(angles) + y
    mask_scale = max(1.0, 1.01 * np.linalg.norm(pos, axis=1).max() / radius)
    return {
        "head": (head_x, head_y),
        "mask_pos": (mask_scale * head_x, mask_scale * head_y),
        "clip_radius": (radius * mask_scale,) * 2,
        "clip_origin": (0.0, 0.0),
    }


def _color_limits(values: NDArray[np.float64]) -> tuple[float, float]:
    """Colour limits of plot_topomap with ``vlim=(None, None)``.

    ``±max|values|``, or ``[0, max]`` when no value is negative.
    """
    vmax = np.abs(values).max()
    vmin = 0.0 if values.min() >= 0 else -vmax
    return vmin, vmax


class _TopomapRenderer:
    """Draw topomaps of one sensor layout into a single reusable figure.

    Parameters
    ----------
    pos : ndarray of shape (n_sensors, 2)
        2-D sensor positions (see ``_project_sensors``).
    """

    def __init__(self, pos: NDArray[np.float64]) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.pos = pos
        self.outlines = _make_head_outlines(pos)
        # An Agg canvas of our own: no pyplot state, whatever the user's backend.
        self.fig = Figure(figsize=(_FIGSIZE, _FIGSIZE), dpi=100, facecolor="black")
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_subplot(111)
        self.image = None
        self.bbox = None
        self.interp = None
        try:
            # Private MNE helper that plot_topomap itself calls: the Delaunay
            # triangulation and extra border points are shared by all maps.
            from mne.viz.topomap import _setup_interp

            _, self.xi, self.yi, self.interp = _setup_interp(
                pos, _IMAGE_SIZE, "cubic", "head", self.outlines, "mean"
            )
        except Exception:  # pragma: no cover - MNE changed its internals
            self.interp = None

    def _draw_first(self, values: NDArray[np.float64]) -> None:
        """Draw a full topomap with plot_topomap and cache the saved area."""
        from mne.viz import plot_topomap

        self.ax.clear()
        self.image, _ = plot_topomap(
            values, self.pos, outlines=self.outlines, axes=self.ax, **_TOPOMAP_KWARGS
        )
        # savefig(bbox_inches="tight") computes this box at the saving dpi, with
        # a draw; the artists that bound it (head line, clipped image) are the
        # same for every component, so it is computed once.
        original_dpi = self.fig.dpi
        self.fig.set_dpi(_SAVE_DPI)
        try:
            renderer = self.fig.canvas.get_renderer()
            self.fig.draw_without_rendering()
            self.bbox = self.fig.get_tightbbox(renderer).padded(0)
        finally:
            self.fig.set_dpi(original_dpi)

    def _update(self, values: NDArray[np.float64]) -> None:
        """Replace the image data and colour limits of the drawn topomap."""
        if self.interp is None:  # pragma: no cover - fallback: redraw everything
            self._draw_first(values)
            return
        self.interp.set_values(values)
        self.image.set_data(self.interp.set_locations(self.xi, self.yi)())
        self.image.set_clim(*_color_limits(values))

    def _save(self) -> NDArray[np.uint8]:
        """Render the figure as savefig(dpi=120, bbox_inches='tight') would."""
        import io

        buffer = io.BytesIO()
        # Raw RGBA bytes instead of a PNG round trip: same Agg rendering, and
        # PIL's RGBA -> RGB conversion only drops the alpha channel.
        self.fig.savefig(
            buffer, format="rgba", dpi=_SAVE_DPI, bbox_inches=self.bbox, pad_inches=0
        )
        width = int(round(self.bbox.width * _SAVE_DPI))
        height = int(round(self.bbox.height * _SAVE_DPI))
        rgba = np.frombuffer(buffer.getvalue(), np.uint8)
        return rgba.reshape(height, width, 4)[:, :, :3]

    def render(self, values: NDArray[np.float64]) -> NDArray[np.uint8]:
        """Render the maps of several components.

        Parameters
        ----------
        values : ndarray of shape (n_sensors, n_components)
            Values of each component at the sensors.

        Returns
        -------
        images : ndarray of shape (n_components, 120, 120, 3)
            uint8 RGB images, black outside the head disc.
        """
        n_components = values.shape[1]
        images = np.zeros((n_components, _IMAGE_SIZE, _IMAGE_SIZE, 3), np.uint8)
        for k in range(n_components):
            if self.image is None:
                self._draw_first(values[:, k])
            else:
                self._update(values[:, k])
            rgb = self._save()
            if rgb.shape != images.shape[1:]:
                raise RuntimeError(
                    f"The topomap was rendered as {rgb.shape[1]}x{rgb.shape[0]} "
                    "pixels instead of 120x120; check matplotlib's rcParams "
                    "(e.g. savefig.* or figure.* settings). Please report this."
                )
            images[k] = rgb
        return images


def _get_topomaps(
    xyz: NDArray[np.float64], values: NDArray[np.float64]
) -> NDArray[np.uint8]:
    """Render the MEGNet topomaps of all components.

    Parameters
    ----------
    xyz : ndarray of shape (n_mags, 3)
        Magnetometer positions (device frame).
    values : ndarray of shape (n_mags, n_components)
        Component maps at the magnetometers.

    Returns
    -------
    topomaps : ndarray of shape (n_components, 120, 120, 3)
        uint8 RGB images.
    """
    return _TopomapRenderer(_project_sensors(xyz)).render(values)
