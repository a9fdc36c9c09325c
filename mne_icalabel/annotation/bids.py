"""BIDS-like TSV files that describe the independent components.

The files are plain UTF-8, tab-separated text with a header line, written and
parsed with the standard library: neither pandas nor mne-bids is needed, except
that ``mne_bids`` is imported (lazily) when ``fname`` is a
:class:`mne_bids.BIDSPath`. Every write goes to a temporary file in the same
folder, which is flushed to disk and then renamed over the target, so a failure
leaves any previous file untouched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _ensure_int, _validate_type, logger, verbose

from ..methods import all_classes, get_method, mne_keys
from ..utils._checks import _validate_ica
from ..utils._docs import fill_doc
from ..utils._imports import import_optional_dependency
from ..utils._io import read_json_object, write_text_atomic
from ._classes import CLASSES, GOOD_CLASSES, column_name, infer_method, to_mne_key

if TYPE_CHECKING:
    from typing import Any

    from mne.preprocessing import ICA
    from mne_bids import BIDSPath

_NA = "n/a"
# columns read by mne-bids and mne-bids-pipeline, then the annotation columns
_BIDS_COLUMNS = ("component", "type", "description", "status", "status_description")
_ANNOTATION_COLUMNS = ("annotate_method", "annotate_author", "ic_type")
_COLUMNS = _BIDS_COLUMNS + _ANNOTATION_COLUMNS
# default value of each column, used by mark_component for missing columns
_DEFAULTS = {
    "status": "good",
    "status_description": _NA,
    "annotate_method": _NA,
    "annotate_author": _NA,
    "ic_type": _NA,
}
_SIDECAR = {
    "annotate_method": (
        "Method used to annotate the component: 'manual' for a human annotation, "
        "else the name of the automatic method (e.g. 'iclabel', 'megnet')."
    ),
    "annotate_author": "Name of the person (or program) who annotated the component.",
    "ic_type": (
        "Type of the independent component. Written from an ICA: one of the keys "
        "of mne.preprocessing.ICA.labels_ used by MNE ('brain', 'muscle', 'eog', "
        "'ecg', 'line_noise', 'ch_noise', 'other'). Written by mark_component: the "
        "class name given, e.g. one of the ICLabel classes ('brain', 'muscle "
        "artifact', 'eye blink', 'heart beat', 'line noise', 'channel noise', "
        "'other') or the MEGNet classes ('brain/other', 'eye blink', 'heart beat', "
        "'eye movement'). 'n/a' when not annotated."
    ),
}
_PROBA_COLUMNS = {
    method: tuple(column_name(method, cls) for cls in classes)
    for method, classes in CLASSES.items()
}


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
    return _write_components(ica, path, probabilities)


#: the sidecar entry of a review, kept with the manual rows it describes
_REVIEW_KEY = "Review"
#: the annotation fields of a row, those a manual decision sets
_DECISION_COLUMNS = _BIDS_COLUMNS[3:] + _ANNOTATION_COLUMNS


def _write_components(
    ica: ICA,
    path: Path,
    probabilities: dict,
    decisions: dict[str, list[str]] | None = None,
    *,
    manual: str | None = None,
    sidecar: dict[str, Any] | None = None,
) -> Path:
    """Write the TSV of ``ica`` with the probability columns of each method.

    ``probabilities`` maps a method to its (n_components, n_classes) array;
    several methods (e.g. ICLabel and MEGNet on a combined ICA) give their
    columns one after the other. ``status`` and ``ic_type`` come from
    ``ica.labels_``, unless ``decisions`` gives the values of some of the
    columns ``status``, ``status_description``, ``annotate_method``,
    ``annotate_author`` and ``ic_type`` (a list per column, one value per
    component). ``sidecar`` adds top-level entries to the JSON sidecar.

    ``manual`` says what becomes of an existing file's manual rows (those
    whose ``annotate_method`` is ``"manual"``): ``None`` (the public writer)
    replaces the file as it always did; ``"keep"`` keeps every field of
    those rows but the probabilities, which are refreshed, and the columns
    of other tools for every row, and the sidecar's ``"Review"`` entry;
    ``"discard"`` writes the file afresh and drops ``"Review"``. The existing
    file is read before anything is written, so a file that cannot be kept
    raises and stays as it was.
    """
    n_components = ica.n_components_
    status = ["good"] * n_components
    ic_type = [_NA] * n_components
    keys = set(mne_keys())
    for label, comps in getattr(ica, "labels_", {}).items():
        if label not in keys:
            continue
        for comp in comps:
            comp = _check_index(comp, n_components, f"ica.labels_[{label!r}]")
            status[comp] = "good" if label == "brain" else "bad"
            ic_type[comp] = label
    columns = dict(zip(_DECISION_COLUMNS, ([_NA] * n_components,) * 5, strict=True))
    columns.update(status=status, ic_type=ic_type)
    columns.update(decisions or {})

    header = list(_COLUMNS)
    rows = [
        [str(k), "ica", "Independent Component"]
        + [columns[col][k] for col in _DECISION_COLUMNS]
        for k in range(n_components)
    ]
    for method, scores in probabilities.items():
        header += _PROBA_COLUMNS[method]
        scores = np.asarray(scores).astype(get_method(method).dtype, copy=False)
        for row, values in zip(rows, scores, strict=True):
            row.extend(str(value) for value in values)  # shortest exact repr
    entries = {**_sidecar_entries(probabilities), **(sidecar or {})}

    json_path = path.with_suffix(".json")
    drop = ()
    if manual == "keep" and path.is_file():
        header, rows = _keep_manual_rows(path, header, rows)
    elif manual == "discard":
        drop = (_REVIEW_KEY,)
    # both reads fail before anything is written
    content = _merge_sidecar(json_path, entries, drop=drop)
    # the TSV last: a run that finds it takes the recording as labelled, so a
    # run killed before it redoes the recording
    write_text_atomic(
        json_path, json.dumps(content, indent=4, ensure_ascii=False) + "\n"
    )
    write_text_atomic(path, _format_tsv(header, rows))
    logger.info("Wrote %d components to %s", n_components, path)
    return path


def _statuses(path: Path) -> tuple[list[int], list[int]]:
    """Return the ``bad`` components of a TSV and those annotated by hand."""
    header, rows, components = _read_table(path)

    def where(column: str, value: str) -> list[int]:
        if column not in header:
            return []
        idx = header.index(column)
        return sorted(
            c for c, r in zip(components, rows, strict=True) if r[idx] == value
        )

    return where("status", "bad"), where("annotate_method", "manual")


def _manual_components(path: Path) -> list[int]:
    """Return the components of an existing TSV annotated by hand."""
    return _statuses(path)[1]


def _keep_manual_rows(
    path: Path, header: list[str], rows: list[list[str]]
) -> tuple[list[str], list[list[str]]]:
    """Merge the manual rows and other tools' columns of ``path`` into a new table.

    The new table (``header``, ``rows``, one row per component in order) is
    the automatic result. A row of the file whose ``annotate_method`` is
    ``"manual"`` keeps all its fields but the probability columns (those of
    the new table); the columns the new table does not have and that are not
    probabilities (another tool's) are appended with the file's values.
    """
    old_header, old_rows, components = _check_own_table(path)
    old = dict(zip(components, old_rows, strict=True))
    method_idx = (
        old_header.index("annotate_method") if "annotate_method" in old_header else None
    )
    manual = [
        c
        for c, r in old.items()
        if method_idx is not None and r[method_idx] == "manual"
    ]
    probability = {col for cols in _PROBA_COLUMNS.values() for col in cols}
    extra = [c for c in old_header if c not in header and c not in probability]
    if not manual and not extra:
        return header, rows
    if len(old_rows) != len(rows):
        raise ValueError(
            f"The file {path} describes {len(old_rows)} components but the ICA has "
            f"{len(rows)}: its manual decisions (components {manual}) are for "
            "another ICA. Label with the ICA they were made on, or discard them "
            "(discard_manual=True, --discard-manual)."
        )
    out = [list(row) for row in rows]
    for k, row in enumerate(out):
        previous = old[k]
        if k in manual:
            for j, col in enumerate(header):
                if col in old_header and col not in probability:
                    row[j] = previous[old_header.index(col)]
        row.extend(previous[old_header.index(col)] for col in extra)
    return header + extra, out


def _sidecar_entries(methods) -> dict[str, str]:
    """Describe the annotation columns and the probability columns of ``methods``."""
    sidecar = dict(_SIDECAR)
    for method in methods:
        for col, cls in zip(_PROBA_COLUMNS[method], CLASSES[method], strict=True):
            sidecar[col] = (
                f"Probability (0 to 1) that the component is '{cls}', estimated "
                f"by {get_method(method).display_name}. The '{method}_*' columns "
                "of a row sum to 1."
            )
    return sidecar


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
        _check_text(value, name)
    _validate_type(strict_label, bool, "strict_label")
    if strict_label:
        valid = list(all_classes())
        if label not in valid:
            raise ValueError(
                f"{label!r} is not a valid label. Use one of {valid}, or set "
                "strict_label=False to accept any label."
            )
    path = _tsv_path(fname)
    header, rows, components = _read_table(path)
    if component not in components:
        raise ValueError(
            f"Component {component} is not in {path}, which describes components "
            f"0 to {len(components) - 1}."
        )
    _add_annotation_columns(header, rows)
    _mark_row(header, rows[components.index(component)], method, label, author)
    write_text_atomic(path, _format_tsv(header, rows))
    logger.info("Marked component %d of %s as %r.", component, path, label)


def _add_annotation_columns(header: list[str], rows: list[list[str]]) -> None:
    """Append the missing status and annotation columns, with their defaults."""
    for col in _BIDS_COLUMNS[3:] + _ANNOTATION_COLUMNS:
        if col not in header:
            header.append(col)
            for row in rows:
                row.append(_DEFAULTS[col])


def _mark_row(
    header: list[str],
    row: list[str],
    method: str,
    label: str | None,
    author: str,
    kept=GOOD_CLASSES,
) -> None:
    """Set the status and annotation fields of one row, in place.

    ``label=None`` clears the row's label: its status and annotation fields
    get their defaults (``"good"``, ``"n/a"``). A label in ``kept`` gets
    ``status`` ``"good"``, any other ``"bad"``. Every other field is kept.
    """
    if label is None:
        values = dict(_DEFAULTS)
    else:
        if method == "manual":
            description = f"Manually-annotated: {label}"
        else:
            description = f"Auto-detected with {method}: {label}"
        values = {
            "status": "good" if label in kept else "bad",
            "status_description": description,
            "annotate_method": method,
            "annotate_author": author,
            "ic_type": label,
        }
    for col, value in values.items():
        row[header.index(col)] = value


def _update_components(
    path: Path,
    marks: dict[int, str | None],
    author: str,
    n_components: int | None = None,
    *,
    kept=None,
) -> Path:
    """Mark components of an existing TSV by hand, keeping everything else.

    Read, change, write: the rows of ``marks`` (component to label, None to
    clear its label) get ``annotate_method`` ``"manual"``; every other row,
    and every other column of the marked rows (the probabilities of each
    method present, columns of other tools), is written back as read. The
    TSV is replaced atomically and the sidecar gets the descriptions of the
    annotation and probability columns present. ``n_components``, if given,
    must be the number of rows of the file. ``kept``: the labels whose rows
    get ``status`` ``"good"`` (e.g. the classes an exclusion policy keeps);
    None: brain (and MEGNet's brain/other) only.
    """
    kept = GOOD_CLASSES if kept is None else tuple(kept)
    header, rows, components = _read_table(path)
    if n_components is not None and len(rows) != n_components:
        raise ValueError(
            f"The file {path} describes {len(rows)} components but the ICA has "
            f"{n_components}; it was written for another ICA. Choose another "
            "components file, or move this one away."
        )
    for component in marks:
        _check_index(component, len(rows), "marks")
    _add_annotation_columns(header, rows)
    for component, label in marks.items():
        row = rows[components.index(component)]
        _mark_row(header, row, "manual", label, author, kept)
    methods = [m for m, cols in _PROBA_COLUMNS.items() if cols[0] in header]
    json_path = path.with_suffix(".json")
    sidecar = _merge_sidecar(json_path, _sidecar_entries(methods))
    write_text_atomic(path, _format_tsv(header, rows))
    write_text_atomic(
        json_path, json.dumps(sidecar, indent=4, ensure_ascii=False) + "\n"
    )
    logger.info("Marked %d component(s) of %s by hand.", len(marks), path)
    return path


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
    header, rows, components = _read_table(path)
    order = np.argsort(components)
    rows = [rows[k] for k in order]
    n_components = len(rows)
    if ica is not None and ica.n_components_ != n_components:
        raise ValueError(
            f"The file {path} describes {n_components} components but the ICA has "
            f"{ica.n_components_}. Use the file written for this ICA."
        )

    def column(name: str, default: str) -> list[str]:
        if name not in header:
            return [default] * n_components
        idx = header.index(name)
        return [row[idx] for row in rows]

    labels = [None if v in (_NA, "") else v for v in column("ic_type", _NA)]
    status = column("status", "good")
    probabilities = _read_proba(path, header, rows)
    # the first method of the file (ICLabel when both are present)
    method = next(iter(probabilities), None)
    proba = probabilities.get(method)
    if ica is not None:
        _set_on_ica(ica, labels, proba)
    return {
        "labels": labels,
        "status": status,
        "method": method,
        "classes": None if method is None else list(CLASSES[method]),
        "labels_pred_proba": proba,
        "probabilities": probabilities,
    }


def _read_proba(
    path: Path, header: list[str], rows: list[list[str]]
) -> dict[str, np.ndarray]:
    """Parse the probability columns of each method present, if any."""
    present = {
        method: [col for col in cols if col in header]
        for method, cols in _PROBA_COLUMNS.items()
    }
    out = {}
    for method, cols in present.items():
        if cols:
            out[method] = _read_method_proba(path, header, rows, method, cols)
    return out


def _read_method_proba(
    path: Path, header: list[str], rows: list[list[str]], method: str, cols: list
) -> np.ndarray:
    """Parse and check the probability columns ``cols`` of ``method``."""
    if len(cols) != len(_PROBA_COLUMNS[method]):
        missing = sorted(set(_PROBA_COLUMNS[method]) - set(cols))
        raise ValueError(f"The file {path} misses the probability column(s) {missing}.")
    idx = [header.index(col) for col in _PROBA_COLUMNS[method]]
    try:
        proba = np.array([[float(row[k]) for k in idx] for row in rows])
    except ValueError as error:
        raise ValueError(
            f"The file {path} has a non-numeric probability: {error}."
        ) from None
    # tolerate the rounding of a softmax computed in float32
    if (
        not np.isfinite(proba).all()
        or (proba < -1e-6).any()
        or (proba > 1 + 1e-6).any()
    ):
        raise ValueError(
            f"The file {path} has probabilities that are not between 0 and 1."
        )
    return proba.astype(get_method(method).dtype)


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


def _check_own_table(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Read a components TSV this package wrote; raise if a column of ours is missing.

    Without its ``status`` or ``annotate_method`` column, a file's manual
    decisions cannot be told apart: nothing may be written over it.
    """
    header, rows, components = _read_table(path)
    missing = [col for col in _COLUMNS if col not in header]
    if missing:
        raise ValueError(
            f"The components file {path} has no column {', '.join(map(repr, missing))}"
            " (every TSV of mne-icalabel has them): it was cut or edited, so its "
            "manual decisions cannot be told apart, and it was left as it is. "
            "Restore it, or relabel the recording without its manual decisions "
            "('mne-icalabel bids --overwrite --discard-manual')."
        )
    return header, rows, components


def _read_table(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Read and check a components TSV: header, rows, component numbers."""
    if not path.is_file():
        raise FileNotFoundError(f"The components file {path} does not exist.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            f"The file {path} is not a UTF-8 text file; expected a components TSV."
        ) from None
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ValueError(f"The file {path} is empty; expected a components TSV.")
    header = lines[0].split("\t")
    if "component" not in header:
        raise ValueError(
            f"The file {path} is not a components TSV: it has no 'component' "
            f"column (columns: {header})."
        )
    if len(set(header)) != len(header):
        raise ValueError(f"The file {path} has duplicate columns: {header}.")
    rows = [line.split("\t") for line in lines[1:]]
    for k, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(
                f"Line {k} of {path} has {len(row)} fields but the header has "
                f"{len(header)}; the file is corrupted."
            )
    idx = header.index("component")
    try:
        components = [int(row[idx]) for row in rows]
    except ValueError:
        raise ValueError(
            f"The 'component' column of {path} must hold integers, got "
            f"{[row[idx] for row in rows]}."
        ) from None
    if sorted(components) != list(range(len(rows))):
        raise ValueError(
            f"The 'component' column of {path} must number the components 0 to "
            f"{len(rows) - 1}, each once; got {components}."
        )
    return header, rows, components


def _format_tsv(header: list[str], rows: list[list[str]]) -> str:
    """Format a table as TSV text."""
    return "".join("\t".join(fields) + "\n" for fields in [header, *rows])


def _check_text(value: str, name: str) -> None:
    """Reject text that would break the TSV format."""
    if any(char in value for char in "\t\n\r") or value == "":
        raise ValueError(
            f"The argument '{name}' must be a non-empty text without tabs or line "
            f"breaks, got {value!r}."
        )


def _check_index(comp, n_components: int, what: str) -> int:
    """Check that ``comp`` is a component index."""
    comp = _ensure_int(comp, what)
    if not 0 <= comp < n_components:
        raise ValueError(
            f"{what} lists component {comp}, but the ICA has {n_components} components."
        )
    return comp


def _merge_sidecar(
    json_path: Path, entries: dict[str, Any], drop: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Return the content of the existing sidecar updated with ``entries``.

    The top-level keys of ``drop`` are removed from it.
    """
    content = read_json_object(json_path)
    # drop the description of probability columns that are not written anymore
    stale = {col for cols in _PROBA_COLUMNS.values() for col in cols} - set(entries)
    stale |= set(drop)
    content = {k: v for k, v in content.items() if k not in stale}
    content.update(entries)
    return content
