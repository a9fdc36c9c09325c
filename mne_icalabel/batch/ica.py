"""Prepare a recording and fit the ICA each labelling method expects."""

from __future__ import annotations

from inspect import signature
from typing import TYPE_CHECKING

from mne.utils import _check_option, _validate_type, logger, verbose

from ..utils._docs import fill_doc
from ..utils._imports import has_module

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

#: default number of components fitted, capped by the data rank
N_COMPONENTS = {"iclabel": 20, "megnet": 20, "both": 20}
_METHODS = ("iclabel", "megnet", "both")
RANDOM_STATE = 97


@verbose
@fill_doc
def prepare_recording(
    inst: BaseRaw | BaseEpochs, method: str = "iclabel", *, verbose=None
) -> BaseRaw | BaseEpochs:
    """Filter and re-reference a copy of a recording as a labelling method expects.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording. It is not modified.
    method : ``"iclabel"`` | ``"megnet"`` | ``"both"``
        ICLabel: EEG channels (plus EOG/ECG), band-pass 1-100 Hz, common average
        reference. MEGNet (Raw only): MEG channels (plus EOG/ECG), resampled to
        250 Hz, band-pass 1-100 Hz. ``"both"`` (Raw with EEG and MEG): EEG and
        MEG channels, resampled to 250 Hz, band-pass 1-100 Hz, EEG average
        referenced.
    %(verbose)s

    Returns
    -------
    inst : Raw | Epochs
        The prepared copy, with its data loaded.

    Notes
    -----
    When the sampling frequency is too low for a 100 Hz low-pass (below 200 Hz
    for ICLabel), only the 1 Hz high-pass is applied and the labelling functions
    will warn that the data are not filtered between 1 and 100 Hz.
    """
    from mne import BaseEpochs
    from mne.io import BaseRaw

    _validate_type(inst, (BaseRaw, BaseEpochs), "inst", "Raw or Epochs")
    _check_option("method", method, _METHODS)
    if method != "iclabel":
        _validate_type(inst, BaseRaw, "inst", "Raw (MEGNet does not label Epochs)")
    kinds = dict(
        iclabel=("eeg", "eog", "ecg"),
        megnet=("meg", "eog", "ecg"),
        both=("eeg", "meg", "eog", "ecg"),
    )[method]
    present = set(inst.get_channel_types())
    needed = dict(iclabel=["EEG"], megnet=["MEG"], both=["EEG", "MEG"])[method]
    found = {"EEG": "eeg" in present, "MEG": bool(present & {"mag", "grad"})}
    missing = [what for what in needed if not found[what]]
    if missing:
        other = {"iclabel": "megnet", "megnet": "iclabel", "both": "iclabel or megnet"}
        raise RuntimeError(
            f"Could not find {' and '.join(missing)} channels in the recording, "
            f"which {method} needs; use --method {other[method]} or another "
            "recording."
        )
    inst = inst.copy().pick([k for k in kinds if k in present or k == "meg"])
    inst.load_data()
    if method != "iclabel" and abs(inst.info["sfreq"] - 250.0) > 0.1:
        logger.info(f"Resampling from {inst.info['sfreq']:g} Hz to 250 Hz")
        inst.resample(250.0)
    nyquist = inst.info["sfreq"] / 2.0
    h_freq = 100.0 if nyquist > 100.0 else None
    logger.info(f"Filtering {1.0:g}-{h_freq or nyquist:g} Hz")
    inst.filter(1.0, h_freq, picks=["eeg", "meg", "eog", "ecg"])
    set_reference(inst, fit_reference(method))
    return inst


def fit_reference(method: str) -> str:
    """Return the reference of the data the ICAs fitted here for ``method`` saw.

    ``"average"`` (common average of the good EEG channels) when the ICA has
    EEG channels (ICLabel, both networks), ``"none"`` for MEG alone.
    """
    return "none" if method == "megnet" else "average"


def set_reference(inst, reference: str):
    """Re-reference ``inst`` in place: ``"average"``, or ``"none"``/``"as-is"``.

    The average is computed over the good EEG channels and subtracted from
    them (no projector, ``info["custom_ref_applied"]`` set), as before a fit.
    """
    if reference == "average":
        inst.set_eeg_reference("average", projection=False)
    return inst


def _ica_packages(method: str) -> tuple[str, ...]:
    """Return the optional packages that decide which ICA :func:`fit_ica` runs here.

    A machine that lacks them fits another (equivalent but not identical)
    decomposition, so the jobs of one dataset must all see the same ones.
    """
    return ("picard",) if method == "iclabel" and has_module("picard") else ()


@verbose
@fill_doc
def fit_ica(
    inst: BaseRaw | BaseEpochs,
    method: str = "iclabel",
    n_components: int | None = None,
    *,
    random_state: int = RANDOM_STATE,
    verbose=None,
) -> ICA:
    """Fit the ICA decomposition a labelling method was trained with.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording, prepared with :func:`prepare_recording`.
    method : ``"iclabel"`` | ``"megnet"`` | ``"both"``
        ICLabel expects extended infomax: Picard with ``ortho=False,
        extended=True`` (the same model, faster) when python-picard is installed,
        else MNE's extended infomax. MEGNet expects infomax with 20 components.
        ``"both"`` fits one ICA on the EEG and MEG channels with MNE's extended
        infomax (which both networks accept).
    n_components : int | None
        Number of components; ``None`` uses 20. It is capped by the rank of the
        data (the number of EEG channels minus one after an average reference).
    random_state : int
        Seed of the ICA, so that a recording always gives the same components.
    %(verbose)s

    Returns
    -------
    ica : ICA
        The fitted decomposition.
    """
    from mne.preprocessing import ICA

    _check_option("method", method, _METHODS)
    _validate_type(n_components, ("int-like", None), "n_components")
    picks = dict(iclabel=("eeg",), megnet=("mag", "grad"), both=("eeg", "mag", "grad"))
    picks = picks[method]
    present = set(inst.get_channel_types(picks=list(picks)))
    n_data = sum(1 for kind in inst.get_channel_types() if kind in picks)
    n_bads = sum(1 for ch in inst.info["bads"] if ch in inst.ch_names)
    rank = n_data - n_bads - (0 if method == "megnet" else 1)
    if n_components is None:
        n_components = N_COMPONENTS[method]
    if n_components < 2:
        raise ValueError(f"n_components must be at least 2, got {n_components}.")
    if n_components > rank:
        logger.info(f"Reducing n_components from {n_components} to the rank {rank}")
        n_components = rank
    if "picard" in _ica_packages(method):
        kwargs = dict(method="picard", fit_params=dict(ortho=False, extended=True))
    elif method != "megnet":
        kwargs = dict(method="infomax", fit_params=dict(extended=True))
    else:
        kwargs = dict(method="infomax")
    # MNE >= 1.12 names the seed ``rng``
    seed = "rng" if "rng" in signature(ICA).parameters else "random_state"
    ica = ICA(
        n_components=int(n_components),
        max_iter="auto",
        **kwargs,
        **{seed: random_state},
    )
    ica.fit(inst, picks=sorted(present))
    logger.info(describe_ica(ica))
    return ica


def describe_ica(ica: ICA) -> str:
    """Describe an ICA decomposition in one line.

    Parameters
    ----------
    ica : ICA
        A fitted ICA.

    Returns
    -------
    text : str
        E.g. ``"picard ICA (extended=True, ortho=False), 20 components"``.
    """
    params = ", ".join(
        f"{key}={ica.fit_params[key]}"
        for key in ("extended", "ortho")
        if key in ica.fit_params
    )
    params = f" ({params})" if params else ""
    return f"{ica.method} ICA{params}, {ica.n_components_} components"
