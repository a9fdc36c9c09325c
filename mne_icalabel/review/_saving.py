"""A reviewer's saves: the ICA and the components TSV, through the store.

Each file is replaced atomically by :mod:`mne_icalabel.derivatives`: an
interrupted save never leaves a half-written file behind.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import numpy as np
from mne.preprocessing import ICA
from mne.utils import logger

from ..annotation._classes import infer_method
from ..derivatives import mark_components, save_ica


def _as_path(fname) -> Path:
    """Return a Path for a str, Path or mne_bids.BIDSPath."""
    fpath = getattr(fname, "fpath", None)  # BIDSPath
    return Path(fpath if fpath is not None else fname).expanduser().resolve()


def save_ica_atomic(ica: ICA, fname) -> Path:
    """Save ``ica`` to ``fname`` through a temporary file.

    Parameters
    ----------
    ica : ICA
        The ICA to save.
    fname : str | Path
        Destination, e.g. ``sub-01_ica.fif``; overwritten if it exists.

    Returns
    -------
    fname : Path
        The written file.
    """
    fname = save_ica(ica, _as_path(fname))
    logger.info(f"Saved the ICA to {fname}")
    return fname


def default_author() -> str:
    """Return who is labelling: the MNE config ``MNE_ICALABEL_AUTHOR``, else the login.

    ``MNE_ICALABEL_AUTHOR`` is read with :func:`mne.get_config` (so the
    environment variable of that name wins over the config file); without it
    the login name, or ``"n/a"`` where there is none (some containers).
    """
    from mne import get_config

    author = get_config("MNE_ICALABEL_AUTHOR")
    if author and author.strip():
        return author.strip()
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "n/a"


def write_tsv_atomic(
    ica: ICA, fname, marks: dict[int, str | None] | None = None, author: str = "n/a"
) -> Path:
    """Write the BIDS components TSV (and its JSON sidecar) in one atomic step.

    An existing TSV is updated: only the rows of the components in ``marks``
    change (their status and annotation columns); every other row, and every
    other column (e.g. the ``iclabel_*`` and ``megnet_*`` probabilities of an
    ICA of EEG and MEG), is kept as it is in the file. A new TSV is filled
    from ``ica.labels_`` (and ``labels_scores_``), then the components of
    ``marks`` are marked. Both happen on a copy in a temporary folder beside
    the destination, which then replaces the destination files.

    Parameters
    ----------
    ica : ICA
        The ICA whose ``labels_`` (and ``labels_scores_`` if any) fill a new
        TSV; an existing TSV must describe as many components.
    fname : str | Path | BIDSPath
        Destination TSV, e.g. ``sub-01_task-rest_components.tsv``.
    marks : dict of int to str | None | None
        Components labelled by hand, mapped to their ``ica.labels_`` key (None:
        label removed); they get ``annotate_method`` ``"manual"`` and
        ``annotate_author`` ``author`` (a removed label: the defaults, status
        ``"good"``, ``"n/a"``).
    author : str
        Who labelled the components.

    Returns
    -------
    fname : Path
        The written TSV.
    """
    scores = getattr(ica, "labels_scores_", None)
    probabilities = {}
    if scores is not None:
        scores = np.asarray(scores)
        probabilities[infer_method(scores.shape[1], None)] = scores
    return update_tsv_atomic(
        fname,
        marks,
        author,
        n_components=ica.n_components_,
        new=(ica, probabilities),
    )


def update_tsv_atomic(
    fname,
    marks: dict[int, str | None] | None,
    author: str,
    *,
    n_components: int | None = None,
    kept=None,
    sidecar: dict | None = None,
    new: tuple[ICA, dict] | None = None,
) -> Path:
    """Mark components of a components TSV by hand; replace TSV and sidecar.

    Read, change the rows of ``marks`` and set the top-level ``sidecar``
    entries, then replace the TSV and the sidecar
    (:func:`mne_icalabel.derivatives.mark_components`).

    Parameters
    ----------
    fname : str | Path | BIDSPath
        The TSV.
    marks : dict of int to str | None | None
        Components labelled by hand, mapped to their label (None: removed).
    author : str
        Who labelled them.
    n_components : int | None
        If given, the number of rows the TSV must have.
    kept : collection of str | None
        Labels whose components get ``status`` ``"good"`` (None: brain).
    sidecar : dict | None
        Top-level entries to set in the sidecar (e.g. ``{"Review": {...}}``).
    new : tuple | None
        ``(ica, probabilities)`` to start a TSV that does not exist yet;
        None: a missing TSV is an error.

    Returns
    -------
    fname : Path
        The written TSV.
    """
    fname = _as_path(fname)
    if not fname.is_file() and new is None:
        raise FileNotFoundError(f"The components file {fname} does not exist.")
    mark_components(
        fname,
        dict(marks or {}),
        author,
        n_components,
        kept=kept,
        sidecar=sidecar,
        new=new,
    )
    logger.info(f"Saved the component labels to {fname}")
    return fname
