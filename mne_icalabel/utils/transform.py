"""Coordinate transforms between cartesian, spherical and polar systems."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def pol2cart(theta: ArrayLike, rho: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert polar coordinates to cartesian coordinates.

    Parameters
    ----------
    theta : array-like
        Angle in radians.
    rho : array-like
        Distance to the origin.

    Returns
    -------
    x, y : array
        Cartesian coordinates, ``rho * cos(theta)`` and ``rho * sin(theta)``.
    """
    theta = np.asarray(theta)
    rho = np.asarray(rho)
    return rho * np.cos(theta), rho * np.sin(theta)


def cart2sph(
    x: ArrayLike, y: ArrayLike, z: ArrayLike
) -> tuple[NDArray, NDArray, NDArray]:
    """Convert cartesian coordinates to spherical coordinates.

    Parameters
    ----------
    x, y, z : array-like
        Cartesian coordinates.

    Returns
    -------
    r : array
        Distance to the origin.
    azimuth : array
        Angle in the x-y plane from the +x axis, ``atan2(y, x)``, in radians.
    elevation : array
        Angle from the x-y plane, ``atan2(z, hypot(x, y))``, in radians.
    """
    x, y, z = np.asarray(x), np.asarray(y), np.asarray(z)
    xy = np.hypot(x, y)
    return np.hypot(xy, z), np.arctan2(y, x), np.arctan2(z, xy)


def sph2topo(theta: ArrayLike, phi: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert spherical angles to EEGLAB's polar topographic coordinates.

    Parameters
    ----------
    theta : array-like
        Azimuth in radians.
    phi : array-like
        Elevation in radians.

    Returns
    -------
    angle : array
        Polar angle, ``-theta``, in radians.
    radius : array
        Polar radius, ``(pi / 2 - phi) / pi``: 0 at the vertex, 0.5 on the
        equator of the head sphere.
    """
    theta, phi = np.asarray(theta), np.asarray(phi)
    return -theta, (np.pi / 2 - phi) / np.pi
