"""Prepare a recording and fit the ICA each labelling method expects."""

from __future__ import annotations

from inspect import signature
from typing import TYPE_CHECKING

from mne.utils import _check_option, _ensure_int, _validate_type, logger, verbose, warn

from ..methods import get_method, method_names
from ..utils._advice import fix
from ..utils._docs import fill_doc
from ..utils._imports import has_module

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

RANDOM_STATE = 97
#: ``decim="auto"`` keeps at least this many samples per squared component ...
SAMPLES_PER_COMPONENT2 = 60
#: ... and never fewer than this many samples in all
MIN_FIT_SAMPLES = 20_000
#: fewer samples per squared component than this (the low end of EEGLAB's
#: rule of thumb of 20-30 samples per unmixing weight) warn at any decimation
MIN_SAMPLES_PER_COMPONENT2 = 20


def _check_decim(decim, name: str = "decim") -> int | str | None:
    """Validate a sample budget: ``"auto"``, ``None`` or a positive integer."""
    _validate_type(decim, ("int-like", str, None), name, "'auto', None or an int")
    if isinstance(decim, str):
        _check_option(name, decim, ("auto",))
        return decim
    if decim is None:
        return None
    decim = _ensure_int(decim, name)
    if decim < 1:
        raise ValueError(
            f"{name} must be 'auto', None or at least 1 (1 or None: every sample), "
            f"got {decim}."
        )
    return decim


def _auto_decim(n_samples: int, n_components: int) -> int:
    """Return the decimation of the ICA fit that ``decim="auto"`` chooses.

    Parameters
    ----------
    n_samples : int
        Number of samples the fit may use (after the segments annotated
        ``BAD`` are left out).
    n_components : int
        Number of components fitted.

    Returns
    -------
    decim : int
        The largest step that keeps at least
        ``max(SAMPLES_PER_COMPONENT2 * n_components**2, MIN_FIT_SAMPLES)``
        samples, i.e. ``n_samples // budget``, at least 1 (every sample).

    Notes
    -----
    An ICA of ``n`` components estimates ``n**2`` unmixing weights; EEGLAB's
    rule of thumb asks for 20 to 30 samples per weight, ``k * n**2`` samples
    with ``k`` of 20-30. The budget doubles the upper end (``k = 60``) for a
    margin, and keeps at least 20,000 samples for the PCA that precedes the
    ICA (a covariance of up to 128 channels estimated from 150 times more
    samples than channels). For 20 components that is 24,000 samples: every
    3rd sample of 5 minutes at 250 Hz, every 6th of 10 minutes.
    """
    budget = max(SAMPLES_PER_COMPONENT2 * n_components**2, MIN_FIT_SAMPLES)
    return max(1, int(n_samples) // budget)


def _ica_packages(method: str) -> tuple[str, ...]:
    """Return the optional packages that decide which ICA :func:`fit_ica` runs here.

    A machine that lacks them fits another (equivalent but not identical)
    decomposition, so the jobs of one dataset must all see the same ones.
    """
    picard = get_method(method).preparation.picard
    return ("picard",) if picard and has_module("picard") else ()


@verbose
@fill_doc
def fit_ica(
    inst: BaseRaw | BaseEpochs,
    method: str = "iclabel",
    n_components: int | None = None,
    *,
    decim: int | str | None = "auto",
    reject_by_annotation: bool = True,
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
    decim : ``"auto"`` | int | None
        Fit the unmixing matrix on every ``decim``-th sample. ``"auto"``
        (default) takes the largest step that leaves
        ``max(60 * n_components**2, 20000)`` samples (see Notes); ``None`` or
        1 fits on every sample. The decomposition is always applied to the
        whole recording.
    reject_by_annotation : bool
        Leave the segments annotated ``BAD`` out of the fit (Raw only), as
        :meth:`mne.preprocessing.ICA.fit` does by default; ``decim="auto"``
        counts the samples that remain.
    random_state : int
        Seed of the ICA, so that a recording always gives the same components.
    %(verbose)s

    Returns
    -------
    ica : ICA
        The fitted decomposition.

    Notes
    -----
    The cost of the fit grows with the number of samples, while the number of
    samples an ICA needs grows with the number of weights it estimates,
    ``n_components**2``: a 5-minute recording at 250 Hz has 75,000 samples,
    three times what 20 components need. ``decim="auto"`` keeps
    ``max(60 * n_components**2, 20000)`` samples (twice the upper end of
    EEGLAB's 20-30 samples per weight). Taking every
    ``decim``-th sample needs no anti-aliasing filter: the ICA model is
    instantaneous, so the samples kept are a subset of the same mixture.
    The components are ordered by the variance they explain in the whole
    recording, and the labels are computed from the whole recording.
    """
    from mne import BaseEpochs
    from mne.preprocessing import ICA

    _check_option("method", method, method_names())
    prep = get_method(method).preparation
    _validate_type(n_components, ("int-like", None), "n_components")
    decim = _check_decim(decim)
    _validate_type(reject_by_annotation, bool, "reject_by_annotation")
    picks = prep.fit_types
    present = set(inst.get_channel_types(picks=list(picks)))
    n_data = sum(1 for kind in inst.get_channel_types() if kind in picks)
    n_bads = sum(1 for ch in inst.info["bads"] if ch in inst.ch_names)
    # an average reference removes one dimension
    rank = n_data - n_bads - (1 if prep.reference == "average" else 0)
    if n_components is None:
        n_components = prep.n_components
    if n_components < 2:
        raise ValueError(f"n_components must be at least 2, got {n_components}.")
    if n_components > rank:
        logger.info(f"Reducing n_components from {n_components} to the rank {rank}")
        n_components = rank
    if "picard" in _ica_packages(method):
        kwargs = dict(method="picard", fit_params=dict(ortho=False, extended=True))
    elif prep.extended:
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
    decim = _fit_decim(inst, int(n_components), decim, reject_by_annotation)
    fit_kwargs = dict(picks=sorted(present), decim=None if decim == 1 else decim)
    if not isinstance(inst, BaseEpochs):
        fit_kwargs["reject_by_annotation"] = reject_by_annotation
    ica.fit(inst, **fit_kwargs)
    logger.info(describe_ica(ica))
    return ica


def _fit_decim(inst, n_components: int, decim, reject_by_annotation: bool) -> int:
    """Return the decimation of the fit; warn when it leaves too few samples."""
    from mne import BaseEpochs

    if isinstance(inst, BaseEpochs):
        n_samples = len(inst) * len(inst.times)
    elif reject_by_annotation:  # the samples the fit sees: BAD segments omitted
        n_samples = inst.get_data(picks=[0], reject_by_annotation="omit").shape[1]
    else:
        n_samples = inst.n_times
    if decim == "auto":
        decim = _auto_decim(n_samples, n_components)
    decim = decim or 1
    n_fit = -(-n_samples // decim)
    budget = SAMPLES_PER_COMPONENT2 * n_components**2
    which = "every sample" if decim == 1 else f"1 sample in {decim}"
    logger.info(
        f"Fitting the ICA on {which} ({n_fit} of {n_samples} samples; "
        f"{n_components} components need about {budget})"
    )
    minimum = MIN_SAMPLES_PER_COMPONENT2 * n_components**2
    if n_fit < minimum and n_samples < minimum:  # too short for so many components
        supported = max(2, int((n_samples / MIN_SAMPLES_PER_COMPONENT2) ** 0.5))
        warn(
            f"The ICA of {n_components} components is fitted on {n_fit} samples, "
            f"fewer than the {minimum} ({MIN_SAMPLES_PER_COMPONENT2} x "
            f"{n_components}^2) that the usual rule asks at least: the "
            "decomposition may be unreliable. Fit at most "
            f"{supported} components ("
            + fix(f"n_components={supported}", f"--n-components {supported}")
            + "), or label a longer recording."
        )
    elif decim > 1 and n_fit < budget:  # the decimation left too few
        warn(
            f"The ICA is fitted on {n_fit} samples ({which}), fewer than the "
            f"{budget} ({SAMPLES_PER_COMPONENT2} x {n_components}^2) that "
            f"{n_components} components need; the decomposition may be unreliable. "
            "Use a smaller "
            + fix("decim, or decim='auto'", "--ica-decim, or --ica-decim auto")
            + "."
        )
    return decim


@fill_doc
def describe_ica(ica: ICA) -> str:
    """Describe an ICA decomposition in one line.

    Parameters
    ----------
    %(ica)s

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


def read_ica_file(fname) -> ICA:
    """Read a saved ICA; a file that cannot be read raises naming it and the fix.

    Parameters
    ----------
    fname : path-like
        The ``*_ica.fif`` file.

    Returns
    -------
    ica : ICA
        The ICA.

    Raises
    ------
    RuntimeError
        If the file is truncated or corrupt (e.g. its run was killed while it
        was copied by hand; the batch itself writes it atomically).
    """
    import gc
    import warnings

    from mne.preprocessing import read_ica

    try:
        return read_ica(fname, verbose=False)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error) else ""
        reason = f"{type(error).__name__}: {reason}"
        # MNE's reader leaves the file open when it fails: close it now, by
        # dropping the frames that hold it, rather than warn at a random later time
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            error.__traceback__ = None
            gc.collect()
    raise RuntimeError(
        f"The ICA {fname} cannot be read ({reason}): it is truncated or corrupt. "
        "Restore it from a backup, or fit a new one with 'mne-icalabel bids "
        "--overwrite --refit' (with --discard-manual if its TSV has components "
        "labelled by hand: they describe this ICA)."
    )
