"""ICLabel features: topographic map, power spectrum and autocorrelation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mne.utils import logger, verbose

from ...utils._advice import quiet_by_default
from ...utils._checks import _check_ica_channels, _validate_inst_and_ica
from ...utils._docs import fill_doc
from ...utils._picks import method_picks
from .._config import MAPS
from ._activations import _compute_ica_activations, _retrieve_eeglab_icawinv
from ._autocorr import _compute_autocorr_feature
from ._checks import _check_activations, _check_sampling, _warn_preprocessing
from ._locations import _mne_to_eeglab_locs
from ._psd import _compute_psd_feature
from ._topomap import _eeg_topoplot

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

_SCALE = np.float32(0.99)  # ICL_feature_extractor's final factor


@quiet_by_default
@verbose
@fill_doc
def get_iclabel_features(
    inst: BaseRaw | BaseEpochs, ica: ICA, *, verbose=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute the three ICLabel features of each ICA component.

    Parameters
    ----------
    %(inst)s
    %(ica)s
    %(verbose)s

    Returns
    -------
    topo : ndarray of shape (32, 32, 1, n_components)
        Float32 topographic maps, interpolated on a 32 x 32 grid over the head
        (0 outside), each divided by its maximum absolute value.
    psd : ndarray of shape (1, 100, 1, n_components)
        Float32 median log power spectra from 1 to 100 Hz, each divided by its
        maximum absolute value.
    autocorr : ndarray of shape (1, 100, 1, n_components)
        Float32 autocorrelations at lags of 10 to 1000 ms, normalised by lag 0.

    Notes
    -----
    The features reproduce EEGLAB's ``ICL_feature_extractor`` [1]_ and are all
    multiplied by 0.99. The data are converted to µV and unmixed with the ICA
    (``ica.pre_whitener_`` and ``ica.pca_mean_`` are ignored, as in EEGLAB).
    The autocorrelation is computed with Welch's method for Raw longer than
    5 s, on the whole recording for shorter Raw and averaged over epochs for
    Epochs.

    An ICA fitted on EEG and other channels together (e.g. EEG and MEG) is
    accepted with a warning (ICLabel was trained on EEG-only decompositions):
    the topographic map is drawn from the EEG rows of the mixing matrix, with
    the EEG positions, and the time courses unmix all channels of the ICA. Its
    unmixing then includes MNE's scaling of each channel type
    (``ica.pre_whitener_``), expressed in the units of the EEG channels, so
    that the EEG part is what an EEG-only decomposition would give. The
    reference check concerns the EEG channels, as for EEG-only data.

    The data must be sampled at 100 Hz or more and be long enough for the
    spectrum (``min(floor(sfreq / 2), 100) + 1`` samples per recording or
    epoch), be finite, not flat on the ICA's channels (no component may be
    constant), and carry positions for every EEG channel of the ICA. A warning
    is emitted when the data are not referenced to a common average, not
    filtered between 1 and 100 Hz, or when the ICA is not an extended infomax
    (or equivalent picard) decomposition.

    References
    ----------
    .. [1] Pion-Tonachini L, Kreutz-Delgado K, Makeig S (2019). ICLabel: an
       automated electroencephalographic independent component classifier,
       dataset, and website. NeuroImage 198, 181-197.
    """
    from mne import BaseEpochs

    _validate_inst_and_ica(inst, ica)
    if "eeg" not in inst:
        raise RuntimeError(
            "Could not find EEG channels in the provided Raw or Epochs instance. "
            "The ICLabel model was fitted on EEG data and is not suited for other "
            "types of channels; set the channel types with inst.set_channel_types "
            "if they are wrong."
        )
    _check_ica_channels(inst, ica)
    eeg = method_picks(ica, MAPS)
    _check_sampling(inst)
    rd, th = _mne_to_eeglab_locs(inst, [ica.ch_names[k] for k in eeg])
    _warn_preprocessing(inst, ica)

    sfreq = inst.info["sfreq"]
    epoched = isinstance(inst, BaseEpochs)
    icawinv, weights = _retrieve_eeglab_icawinv(ica, ref=int(eeg[0]))
    icaact = _compute_ica_activations(inst, ica, weights)
    _check_activations(icaact)
    logger.info(
        "Computing ICLabel features of %d components from %d channels.",
        icawinv.shape[1],
        icawinv.shape[0],
    )
    topo = _eeg_topoplot(icawinv[eeg], rd, th)
    psd = _compute_psd_feature(icaact, sfreq)
    autocorr = _compute_autocorr_feature(icaact, sfreq, epoched)
    return topo * _SCALE, psd * _SCALE, autocorr * _SCALE
