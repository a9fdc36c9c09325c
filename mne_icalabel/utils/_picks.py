"""Which channels of an ICA each labelling method reads its maps from.

ICLabel draws its topographic feature from the EEG channels, MEGNet its
images from the magnetometers. A decomposition fitted on several channel types
(e.g. EEG and MEG together) is labelled from the rows of its mixing matrix
that belong to the method's channel type; the component time courses use all
channels, as the ICA defines them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import logger, warn

if TYPE_CHECKING:
    from mne.preprocessing import ICA
    from numpy.typing import NDArray


@dataclass(frozen=True)
class MapChannels:
    """The channels of an ICA a network reads its maps from.

    Attributes
    ----------
    network : str
        The network's name, in messages (``"ICLabel"``).
    ch_type : str
        The channel type of the maps (``"eeg"``, ``"mag"``).
    description : str
        Those channels in messages (``"EEG channels"``, ``"magnetometers"``).
    modality : str
        The data of the decompositions it was trained on (``"EEG"``).
    trained : tuple of str
        Their channel types; an ICA of others too is "combined".
    fix : str
        How to fit an ICA it can label, when it has none of those channels.
    """

    network: str
    ch_type: str
    description: str
    modality: str
    trained: tuple[str, ...]
    fix: str


def ica_channel_types(ica: ICA) -> list[str]:
    """Return the data channel types of the ICA, in order of first appearance."""
    from mne._fiff.pick import _pick_data_channels

    idx = _pick_data_channels(ica.info, exclude=())
    return list(dict.fromkeys(ica.info.get_channel_types(picks=idx)))


def ica_type_picks(ica: ICA, ch_type: str) -> NDArray[np.intp]:
    """Return the indices (in ``ica.ch_names``) of the channels of ``ch_type``."""
    types = np.array(ica.get_channel_types())
    return np.flatnonzero(types == ch_type)


def method_picks(ica: ICA, maps: MapChannels) -> NDArray[np.intp]:
    """Return the indices of the ICA channels whose maps a network uses.

    Warns once when the ICA was fitted on channel types the method was not
    trained with (e.g. EEG and MEG together), and says which channels the
    maps come from.

    Raises
    ------
    RuntimeError
        If the ICA has no channel of the method's type.
    """
    picks = ica_type_picks(ica, maps.ch_type)
    types = ica_channel_types(ica)
    name, needs = maps.network, maps.description
    if picks.size == 0:
        raise RuntimeError(
            f"{name} needs {needs}: the ICA was fitted on {', '.join(types) or 'no'}"
            f" channels only, without any {needs.removesuffix('s')}. {maps.fix}."
        )
    others = [t for t in types if t not in maps.trained]
    if others:
        warn(
            f"The ICA was fitted on {' and '.join(types)} channels together. "
            f"{name} was trained on {maps.modality}-only "
            f"decompositions: its maps are taken from the {picks.size} "
            f"{needs} of the mixing matrix (the {', '.join(others)} "
            "rows are ignored), the time courses from all channels. The labels "
            "may be less reliable than for a decomposition of one modality."
        )
    logger.info("%s uses the maps of %d %s of the ICA.", name, picks.size, needs)
    return picks


def default_method(inst, ica) -> tuple[str, str]:
    """Pick ICLabel or MEGNet from the channels, and say why.

    The ICA's channels decide when an ICA is given (MEG and EEG: both, MEG:
    MEGNet, EEG: ICLabel); otherwise MEG channels select MEGNet, even next to
    EEG ones (a MEG system's EEG is usually the secondary recording), and EEG
    alone ICLabel.
    """
    if ica is not None:
        types = set(ica.get_channel_types())
        if types & {"mag", "grad"} and "eeg" in types:
            return "both", (
                "the ICA was fitted on MEG and EEG channels: MEGNet labels its "
                "magnetometer maps, ICLabel its EEG maps"
            )
        if types & {"mag", "grad"}:
            return "megnet", "the ICA was fitted on MEG channels"
        if "eeg" in types:
            return "iclabel", "the ICA was fitted on EEG channels"
    if "meg" in inst:
        extra = (
            ", EEG ones too (--method both labels one ICA of both with both networks)"
            if "eeg" in inst
            else ""
        )
        return "megnet", f"MEG channels found{extra}"
    return "iclabel", "no MEG channels"
