"""BIDS-like TSV files that describe the independent components.

The three public functions of mne-icalabel's ``annotation`` module; the file
format itself (columns, sidecar, reading and writing) is owned by the
derivatives store, :mod:`mne_icalabel.derivatives`. Neither pandas nor
mne-bids is needed, except that ``mne_bids`` is imported (lazily) when
``fname`` is a :class:`mne_bids.BIDSPath`. Every write is atomic: a failure
leaves any previous file untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _ensure_int, _validate_type, logger, verbose

from ..derivatives._components import (
    check_text,
    mark_one,
    read_table,
    write_components,
)
from ..methods import all_classes, get_method
from ..utils._checks import _validate_ica
from ..utils._docs import fill_doc
from ..utils._imports import import_optional_dependency
from ._classes import CLASSES, infer_method, to_mne_key

if TYPE_CHECKING:
    from typing import Any

    from mne.preprocessing import ICA
    from mne_bids import BIDSPath


@verbose
@fill_doc
def write_components_tsv(
    ica: ICA,
    fname: str | Path | BIDSPath,
    *,
    method: str | None = None,
    verbose=None,
) -> Path:
    """Write a TSV file describing the independent components, with a sidecar.

    Parameters
    ----------
    ica : ICA
        A fitted :class:`mne.preprocessing.ICA` instance. Its ``labels_`` set
        the ``status`` and ``ic_type`` columns; its ``labels_scores_``, if
        present (e.g. set by
        :func:`~mne_icalabel.iclabel.iclabel_label_components`), add one
        column per class probability.
    fname : str | Path | BIDSPath
        The ``.tsv`` file to write, e.g. ``sub-01_task-rest_channels.tsv`` or,
        as in mne-bids-pipeline, ``sub-01_task-rest_proc-ica_components.tsv``.
        A :class:`mne_bids.BIDSPath` without extension gets ``.tsv``; one with
        ``suffix="components"`` must be created with ``check=False`` (mne-bids
        refuses that suffix otherwise). Missing parent folders are created and
        an existing file is replaced.
    method : ``"iclabel"`` | ``"megnet"`` | None
        The method that produced ``ica.labels_scores_``. ``None`` infers it
        from the number of columns (7 for ICLabel, 4 for MEGNet).
    %(verbose)s

    Returns
    -------
    fname : Path
        The path of the TSV file written.

    Notes
    -----
    The columns are ``component`` (0 to ``n_components_ - 1``), ``type``
    (``"ica"``), ``description`` (``"Independent Component"``), ``status``,
    ``status_description``, ``annotate_method``, ``annotate_author`` and
    ``ic_type``, then the probability columns named ``<method>_<class>``
    (e.g. ``iclabel_eye_blink``, ``megnet_brain_other``). For every key of
    ``ica.labels_`` that is one of MNE's label keys (``brain``, ``muscle``,
    ``eog``, ``ecg``, ``line_noise``, ``ch_noise``, ``other``), the listed
    components get ``ic_type`` = the key and ``status`` ``"good"`` for
    ``brain``, ``"bad"`` otherwise; other keys (e.g. ``"eog/0/EOG061"`` from
    :meth:`~mne.preprocessing.ICA.find_bads_eog`) are ignored.

    The JSON sidecar (same name, ``.json``) describes the annotation and
    probability columns. It is created, or merged into an existing sidecar.
    The file stays readable by mne-bids and mne-bids-pipeline, and by
    :func:`read_components_tsv`, which restores the labels and probabilities.
    """
    _validate_ica(ica)
    path = _tsv_path(fname)
    scores = getattr(ica, "labels_scores_", None)
    probabilities = {}
    if scores is not None:
        scores = np.asarray(scores)
        if scores.ndim != 2 or scores.shape[0] != ica.n_components_:
            raise ValueError(
                "ica.labels_scores_ must be an array of shape (n_components, "
                f"n_classes) = ({ica.n_components_}, n_classes), got {scores.shape}."
            )
        probabilities[infer_method(scores.shape[1], method)] = scores
    elif method is not None:
        raise ValueError(
            f"method='{method}' was given but the ICA has no labels_scores_ to write."
        )
    write_components(ica, path, probabilities)
    return path


@verbose
@fill_doc
def mark_component(
    component: int,
    fname: str | Path | BIDSPath,
    method: str,
    label: str,
    author: str,
    strict_label: bool = True,
    *,
    verbose=None,
) -> None:
    """Annotate one component in an existing components TSV file.

    Parameters
    ----------
    component : int
        The component to annotate, a value of the file's ``component`` column.
    fname : str | Path | BIDSPath
        The ``.tsv`` file, written by :func:`write_components_tsv` or by
        mne-bids-pipeline.
    method : str
        How the label was obtained: ``"manual"`` for a human annotation, else the
        name of the automatic method (e.g. ``"iclabel"``).
    label : str
        The class of the component, e.g. ``"eye blink"``.
    author : str
        Who annotated the component.
    strict_label : bool
        If True, ``label`` must be an ICLabel class (``"brain"``, ``"muscle
        artifact"``, ``"eye blink"``, ``"heart beat"``, ``"line noise"``,
        ``"channel noise"``, ``"other"``) or a MEGNet class (``"brain/other"``,
        ``"eye blink"``, ``"heart beat"``, ``"eye movement"``). If False, any
        text is accepted.
    %(verbose)s

    Notes
    -----
    The row of ``component`` gets ``status`` ``"good"`` if ``label`` is
    ``"brain"`` or ``"brain/other"``, ``"bad"`` otherwise;
    ``status_description`` ``"Manually-annotated: <label>"`` if ``method`` is
    ``"manual"``, else ``"Auto-detected with <method>: <label>"``;
    ``annotate_method`` = ``method``; ``annotate_author`` = ``author``;
    ``ic_type`` = ``label``. Missing annotation columns are added; all other
    columns (including probabilities) and rows are kept as they are. The file
    is replaced atomically.
    """
    component = _ensure_int(component, "component")
    for name, value in (("method", method), ("label", label), ("author", author)):
        _validate_type(value, str, name)
        check_text(value, name)
    _validate_type(strict_label, bool, "strict_label")
    if strict_label:
        valid = list(all_classes())
        if label not in valid:
            raise ValueError(
                f"{label!r} is not a valid label. Use one of {valid}, or set "
                "strict_label=False to accept any label."
            )
    path = _tsv_path(fname)
    mark_one(path, component, method, label, author)
    logger.info("Marked component %d of %s as %r.", component, path, label)


@verbose
@fill_doc
def read_components_tsv(
    fname: str | Path | BIDSPath, ica: ICA | None = None, *, verbose=None
) -> dict[str, Any]:
    """Read the labels and probabilities of a components TSV file.

    Parameters
    ----------
    fname : str | Path | BIDSPath
        The ``.tsv`` file, written by :func:`write_components_tsv`,
        :func:`mark_component` or mne-bids-pipeline.
    ica : ICA | None
        If given, a fitted ICA with the same number of components, on which the
        labels (``ica.labels_``) and probabilities (``ica.labels_scores_``) of
        the file are set, in place.
    %(verbose)s

    Returns
    -------
    components : dict
        With the keys:

        - ``"labels"``: list of str | None, the ``ic_type`` of each component
          (None if not annotated, ``"n/a"``, or if the file has no ``ic_type``
          column).
        - ``"status"``: list of str, the ``status`` of each component
          (``"good"`` if the file has no such column).
        - ``"method"``: ``"iclabel"`` | ``"megnet"`` | None, the method of the
          probability columns, None if the file has none.
        - ``"classes"``: list of str | None, the class of each probability
          column.
        - ``"labels_pred_proba"``: ndarray of shape (n_components, n_classes)
          | None, the probabilities (float32 for ICLabel, float64 for MEGNet,
          as the methods return them).
        - ``"probabilities"``: dict, the probabilities of each method in the
          file. A file written for an ICA labelled with both networks (EEG +
          MEG, ``method="both"``) holds ICLabel's and MEGNet's; ``"method"``,
          ``"classes"`` and ``"labels_pred_proba"`` then describe ICLabel's.

    Notes
    -----
    With ``ica``, ``ica.labels_`` is updated from the ``ic_type`` column: each
    label gets the sorted list of its components, ICLabel class names (e.g.
    ``"eye blink"``) being stored under MNE's keys (``"eog"``). The seven MNE
    keys and the labels present in the file are replaced; other keys (e.g.
    ``"eog/0/EOG061"``) are kept. ``ica.labels_scores_`` is set if the file
    has probabilities, and left alone otherwise. ``ica.exclude`` is never
    changed.
    """
    if ica is not None:
        _validate_ica(ica)
    path = _tsv_path(fname)
    table = read_table(path)
    n_components = table.n_components
    if ica is not None and ica.n_components_ != n_components:
        raise ValueError(
            f"The file {path} describes {n_components} components but the ICA has "
            f"{ica.n_components_}. Use the file written for this ICA."
        )
    labels = table.labels
    probabilities = table.probabilities()
    # the first method of the file (ICLabel when both are present)
    method = next(iter(probabilities), None)
    proba = probabilities.get(method)
    if ica is not None:
        _set_on_ica(ica, labels, proba)
    return {
        "labels": labels,
        "status": table.status,
        "method": method,
        "classes": None if method is None else list(CLASSES[method]),
        "labels_pred_proba": proba,
        "probabilities": probabilities,
    }


def _set_on_ica(ica: ICA, labels: list[str | None], proba: np.ndarray | None) -> None:
    """Put the labels and probabilities read from a file on ``ica``."""
    new: dict[str, list[int]] = {key: [] for key in get_method("iclabel").mne_keys}
    for comp, label in enumerate(labels):
        if label is not None:
            new.setdefault(to_mne_key(label), []).append(comp)
    kept = {k: v for k, v in getattr(ica, "labels_", {}).items() if k not in new}
    ica.labels_ = {**kept, **new}
    if proba is not None:
        ica.labels_scores_ = proba


def _tsv_path(fname: str | Path | BIDSPath) -> Path:
    """Return the path of the TSV file ``fname`` (str, Path or BIDSPath)."""
    if type(fname).__module__.split(".")[0] == "mne_bids":
        mne_bids = import_optional_dependency("mne_bids")
        _validate_type(fname, mne_bids.BIDSPath, "fname", "str, Path or BIDSPath")
        if fname.suffix is None:
            raise ValueError(
                "The BIDSPath 'fname' must have a suffix, e.g. suffix='channels' or "
                "suffix='components' (the latter with check=False)."
            )
        if fname.extension is None:
            fname = fname.copy().update(extension=".tsv", check=False)
        fname = fname.fpath
    _validate_type(fname, "path-like", "fname", "str, Path or BIDSPath")
    path = Path(fname).expanduser()
    if path.suffix != ".tsv":
        raise ValueError(
            f"The components file must have the extension '.tsv', got '{path}'."
        )
    return path
