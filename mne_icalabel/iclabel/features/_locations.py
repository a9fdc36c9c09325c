"""Electrode positions of an MNE instance in EEGLAB's polar convention."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...utils._channels import missing_positions_message

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw


def _get_channel_positions(inst: BaseRaw | BaseEpochs, picks: list[str]) -> np.ndarray:
    """Return the head-frame positions (C, 3) in metres of the ``picks`` channels.

    Raises
    ------
    ValueError
        If no montage is set or if a picked channel has no position.
    """
    # Info.get_montage reads only the measurement info: no copy of the data.
    montage = inst.info.get_montage()
    ch_pos = {} if montage is None else montage.get_positions()["ch_pos"]
    nan = np.full(3, np.nan)
    pos = np.array([ch_pos.get(name, nan) for name in picks], dtype=np.float64)
    missing = [name for name, p in zip(picks, pos, strict=True) if np.isnan(p).all()]
    if missing:
        start = (
            "Montage is not set."
            if montage is None
            else f"Channel position for {missing} is missing."
        )
        raise ValueError(missing_positions_message(inst, missing, start))
    return pos


def _mne_to_eeglab_locs(
    inst: BaseRaw | BaseEpochs, picks: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Convert channel positions to EEGLAB's polar ``rd`` and ``th`` (degrees).

    Returns
    -------
    rd : array of shape (1, C)
        Polar angle from the vertex divided by pi (0.5 on the head equator).
    th : array of shape (1, C)
        Azimuth in degrees, 0 towards the nose and +90 towards the right ear.
    """
    pos = _get_channel_positions(inst, picks)
    # MNE head frame (+X right, +Y nose, +Z up) -> EEGLAB (x nose, y left, z up)
    x, y, z = pos[:, 1], -pos[:, 0], pos[:, 2]
    # EEGLAB's cart2sph then sph2topo: th = -azimuth, rd = (pi/2 - elevation)/pi
    azimuth = np.arctan2(y, x)
    elevation = np.arctan2(z, np.hypot(x, y))
    th = np.degrees(-azimuth)
    rd = (np.pi / 2 - elevation) / np.pi
    return rd[np.newaxis, :], th[np.newaxis, :]
