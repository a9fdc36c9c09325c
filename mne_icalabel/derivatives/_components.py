"""The components TSV and its JSON sidecar: the one reader and writer.

A components TSV (``<stem>_components.tsv``) has one row per independent
component: the columns mne-bids and mne-bids-pipeline read (``component``,
``type``, ``description``, ``status``, ``status_description``), the
annotation columns (``annotate_method``, ``annotate_author``, ``ic_type``),
then the class probabilities of each method (``<method>_<class>``). The
sidecar (same name, ``.json``) describes these columns and holds the entries
of this package: the exclusion policy, the review and the fingerprints.

The files are plain UTF-8, tab-separated text written with the standard
library. A manual decision (``annotate_method`` ``"manual"``) is data: the
automatic writer keeps it (``manual="keep"``) or, on request, drops it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from mne.utils import _ensure_int, logger

from ..methods import CLASSES, get_method, mne_keys, network_names
from ..utils._io import read_json_object
from ._files import write_json, write_text

if TYPE_CHECKING:
    from mne.preprocessing import ICA

NA = "n/a"
#: columns read by mne-bids and mne-bids-pipeline, then the annotation columns
BIDS_COLUMNS = ("component", "type", "description", "status", "status_description")
ANNOTATION_COLUMNS = ("annotate_method", "annotate_author", "ic_type")
COLUMNS = BIDS_COLUMNS + ANNOTATION_COLUMNS
#: the annotation fields of a row, those a decision sets
DECISION_COLUMNS = BIDS_COLUMNS[3:] + ANNOTATION_COLUMNS
#: default value of each decision column
DEFAULTS = {
    "status": "good",
    "status_description": NA,
    "annotate_method": NA,
    "annotate_author": NA,
    "ic_type": NA,
}
#: the sidecar's entries of this package
POLICY_KEY = "ExclusionPolicy"
REVIEW_KEY = "Review"
FINGERPRINT_KEY = "ICAFingerprint"
_COLUMN_DESCRIPTIONS = {
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


def column_name(method: str, cls: str) -> str:
    """Return the name of the TSV column that holds the probability of ``cls``."""
    return f"{method}_" + re.sub(r"[^0-9a-z]+", "_", cls.lower()).strip("_")


def proba_columns(method: str) -> tuple[str, ...]:
    """Return the probability columns of a registered network method."""
    return tuple(column_name(method, cls) for cls in CLASSES[method])


def _all_proba_columns() -> dict[str, tuple[str, ...]]:
    return {method: proba_columns(method) for method in network_names()}


def good_classes() -> tuple[str, ...]:
    """Return the classes whose components a components file keeps (``good``)."""
    return tuple(
        dict.fromkeys(
            c for name in network_names() for c in get_method(name).argmax_include
        )
    )


def sidecar_path(tsv: Path) -> Path:
    """Return the JSON sidecar of a components TSV."""
    return Path(tsv).with_suffix(".json")


@dataclass
class ComponentsTable:
    """The rows of a components TSV, as text, in the file's order.

    ``components[i]`` is the component of ``rows[i]``.
    """

    path: Path
    header: list[str]
    rows: list[list[str]]
    components: list[int]

    @property
    def n_components(self) -> int:
        return len(self.rows)

    def column(self, name: str, default: str | None = None) -> list[str]:
        """Return the values of a column in component order (``default`` if absent)."""
        ordered = sorted(zip(self.components, self.rows, strict=True))
        if name not in self.header:
            return [default] * len(ordered)
        idx = self.header.index(name)
        return [row[idx] for _, row in ordered]

    def where(self, column: str, value: str) -> list[int]:
        """Return the components whose ``column`` is ``value``, sorted."""
        values = self.column(column)
        return [k for k, v in enumerate(values) if v == value]

    @property
    def bad(self) -> list[int]:
        """The components of status ``bad``."""
        return self.where("status", "bad")

    @property
    def manual(self) -> list[int]:
        """The components annotated by hand."""
        return self.where("annotate_method", "manual")

    @property
    def labels(self) -> list[str | None]:
        """The ``ic_type`` of each component (None when not annotated)."""
        return [None if v in (NA, "", None) else v for v in self.column("ic_type", NA)]

    @property
    def status(self) -> list[str]:
        return self.column("status", "good")

    @property
    def methods(self) -> list[str]:
        """The methods with probability columns in the table."""
        return [m for m, cols in _all_proba_columns().items() if cols[0] in self.header]

    def probabilities(self) -> dict[str, np.ndarray]:
        """Return each method's probabilities, (n_components, n_classes)."""
        out = {}
        ordered = [
            row for _, row in sorted(zip(self.components, self.rows, strict=True))
        ]
        for method, cols in _all_proba_columns().items():
            present = [col for col in cols if col in self.header]
            if present:
                out[method] = self._proba(ordered, method, present)
        return out

    def _proba(self, rows, method: str, present: list[str]) -> np.ndarray:
        columns = proba_columns(method)
        if len(present) != len(columns):
            missing = sorted(set(columns) - set(present))
            raise ValueError(
                f"The file {self.path} misses the probability column(s) {missing}."
            )
        idx = [self.header.index(col) for col in columns]
        try:
            proba = np.array([[float(row[k]) for k in idx] for row in rows])
        except ValueError as error:
            raise ValueError(
                f"The file {self.path} has a non-numeric probability: {error}."
            ) from None
        # tolerate the rounding of a softmax computed in float32
        if (
            not np.isfinite(proba).all()
            or (proba < -1e-6).any()
            or (proba > 1 + 1e-6).any()
        ):
            raise ValueError(
                f"The file {self.path} has probabilities that are not between 0 and 1."
            )
        return proba.astype(get_method(method).dtype)

    def format(self) -> str:
        """Return the table as TSV text."""
        return "".join("\t".join(f) + "\n" for f in [self.header, *self.rows])

    def add_annotation_columns(self) -> None:
        """Append the missing status and annotation columns, with their defaults."""
        for col in DECISION_COLUMNS:
            if col not in self.header:
                self.header.append(col)
                for row in self.rows:
                    row.append(DEFAULTS[col])

    def mark(
        self,
        component: int,
        method: str,
        label: str | None,
        author: str,
        kept=None,
    ) -> None:
        """Set the status and annotation fields of one component's row.

        ``label=None`` clears the row's label: its status and annotation
        fields get their defaults (``"good"``, ``"n/a"``). A label in ``kept``
        gets ``status`` ``"good"``, any other ``"bad"`` (None: the classes of
        :func:`good_classes`). Every other field is kept.
        """
        kept = good_classes() if kept is None else kept
        if label is None:
            values = dict(DEFAULTS)
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
        row = self.rows[self.components.index(component)]
        for col, value in values.items():
            row[self.header.index(col)] = value


def read_table(path: Path) -> ComponentsTable:
    """Read and check a components TSV (of any tool)."""
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
    return ComponentsTable(path, header, rows, components)


def read_own_table(path: Path) -> ComponentsTable:
    """Read a components TSV this package wrote; raise if a column of ours is missing.

    Without its ``status`` or ``annotate_method`` column, a file's manual
    decisions cannot be told apart: nothing may be written over it.
    """
    table = read_table(path)
    missing = [col for col in COLUMNS if col not in table.header]
    if missing:
        raise ValueError(
            f"The components file {path} has no column {', '.join(map(repr, missing))}"
            " (every TSV of mne-icalabel has them): it was cut or edited, so its "
            "manual decisions cannot be told apart, and it was left as it is. "
            "Restore it, or relabel the recording without its manual decisions "
            "('mne-icalabel bids --overwrite --discard-manual')."
        )
    return table


def read_sidecar(tsv: Path, fix: str | None = None) -> dict[str, Any]:
    """Return the sidecar of a components TSV as a dict; ``{}`` when it is missing.

    Raises a ValueError naming the file and ``fix`` if it is not a JSON object.
    """
    fix = fix or (
        "restore it, or relabel the recording with 'mne-icalabel bids --overwrite'"
    )
    return read_json_object(sidecar_path(tsv), fix)


def read_fingerprint(tsv: Path) -> dict[str, str] | None:
    """Return the fingerprints recorded in a TSV's sidecar; None if there are none."""
    entry = read_sidecar(tsv).get(FINGERPRINT_KEY)
    return entry if isinstance(entry, dict) else None


def _labels_table(ica: ICA, path: Path, decisions: dict | None) -> ComponentsTable:
    """Return the table of ``ica``: status and ``ic_type`` from ``ica.labels_``.

    ``decisions`` gives the values of some decision columns (a list per
    column, one value per component) instead.
    """
    n_components = ica.n_components_
    status = ["good"] * n_components
    ic_type = [NA] * n_components
    keys = set(mne_keys())
    for label, comps in getattr(ica, "labels_", {}).items():
        if label not in keys:
            continue
        for comp in comps:
            comp = check_index(comp, n_components, f"ica.labels_[{label!r}]")
            status[comp] = "good" if label == "brain" else "bad"
            ic_type[comp] = label
    columns = {col: [NA] * n_components for col in DECISION_COLUMNS}
    columns.update(status=status, ic_type=ic_type)
    columns.update(decisions or {})
    rows = [
        [str(k), "ica", "Independent Component"]
        + [columns[col][k] for col in DECISION_COLUMNS]
        for k in range(n_components)
    ]
    return ComponentsTable(path, list(COLUMNS), rows, list(range(n_components)))


def _add_probabilities(table: ComponentsTable, probabilities: dict) -> None:
    """Append the probability columns of each method to ``table``."""
    for method, scores in probabilities.items():
        table.header += proba_columns(method)
        scores = np.asarray(scores).astype(get_method(method).dtype, copy=False)
        for row, values in zip(table.rows, scores, strict=True):
            row.extend(str(value) for value in values)  # shortest exact repr


def _keep_manual_rows(new: ComponentsTable, path: Path) -> ComponentsTable:
    """Merge the manual rows and other tools' columns of ``path`` into ``new``.

    A row of the file whose ``annotate_method`` is ``"manual"`` keeps all its
    fields but the probability columns (those of the new table); the columns
    the new table does not have and that are not probabilities (another
    tool's) are appended with the file's values.
    """
    old = read_own_table(path)
    old_rows = dict(zip(old.components, old.rows, strict=True))
    manual = old.manual
    probability = {col for cols in _all_proba_columns().values() for col in cols}
    extra = [c for c in old.header if c not in new.header and c not in probability]
    if not manual and not extra:
        return new
    if old.n_components != new.n_components:
        raise ValueError(
            f"The file {path} describes {old.n_components} components but the ICA "
            f"has {new.n_components}: its manual decisions (components {manual}) are "
            "for another ICA. Label with the ICA they were made on, or discard them "
            "(discard_manual=True, --discard-manual)."
        )
    rows = [list(row) for row in new.rows]
    for k, row in enumerate(rows):
        previous = old_rows[k]
        if k in manual:
            for j, col in enumerate(new.header):
                if col in old.header and col not in probability:
                    row[j] = previous[old.header.index(col)]
        row.extend(previous[old.header.index(col)] for col in extra)
    return ComponentsTable(new.path, new.header + extra, rows, new.components)


def _column_descriptions(methods) -> dict[str, str]:
    """Describe the annotation columns and the probability columns of ``methods``."""
    sidecar = dict(_COLUMN_DESCRIPTIONS)
    for method in methods:
        name = get_method(method).display_name
        for col, cls in zip(proba_columns(method), CLASSES[method], strict=True):
            sidecar[col] = (
                f"Probability (0 to 1) that the component is '{cls}', estimated "
                f"by {name}. The '{method}_*' columns of a row sum to 1."
            )
    return sidecar


def _merged_sidecar(
    tsv: Path, entries: dict[str, Any], drop: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Return the sidecar updated with ``entries``, without the keys of ``drop``."""
    content = read_sidecar(tsv, "fix or delete it")
    # drop the description of probability columns that are not written anymore
    stale = {c for cols in _all_proba_columns().values() for c in cols}
    stale -= set(entries)
    stale |= set(drop)
    content = {k: v for k, v in content.items() if k not in stale}
    content.update(entries)
    return content


def _write(table: ComponentsTable, sidecar: dict[str, Any]) -> None:
    """Write the TSV and its sidecar in the order that a kill between them leaves safe.

    A run that finds the TSV takes the recording as labelled, and the sidecar's
    fingerprint says which ICA the TSV describes. A new TSV comes last: a run
    killed before it redoes the recording. A TSV rewritten (``--overwrite``,
    maybe for a new ICA) comes first, its sidecar last: a run killed between
    them leaves the old fingerprint, which a new ICA does not match (reported,
    with the fix), never the old TSV under the new ICA's fingerprint.
    """
    writes = [
        partial(write_json, sidecar_path(table.path), sidecar, ensure_ascii=False),
        partial(write_text, table.path, table.format()),
    ]
    if table.path.is_file():
        writes.reverse()
    for write in writes:
        write()


def write_components(
    ica: ICA,
    path: Path,
    probabilities: dict,
    decisions: dict[str, list[str]] | None = None,
    *,
    manual: str | None = None,
    sidecar: dict[str, Any] | None = None,
) -> ComponentsTable:
    """Write the TSV of ``ica`` with the probability columns of each method.

    ``probabilities`` maps a method to its (n_components, n_classes) array;
    several methods (e.g. ICLabel and MEGNet on a combined ICA) give their
    columns one after the other. ``status`` and ``ic_type`` come from
    ``ica.labels_``, unless ``decisions`` gives the values of some of the
    decision columns (a list per column, one value per component).
    ``sidecar`` adds top-level entries to the JSON sidecar.

    ``manual`` says what becomes of an existing file's manual rows: ``None``
    (the public writer) replaces the file; ``"keep"`` keeps every field of
    those rows but the probabilities, which are refreshed, and the columns of
    other tools for every row, and the sidecar's ``"Review"`` entry;
    ``"discard"`` writes the file afresh and drops ``"Review"``. The existing
    files are read before anything is written, so a file that cannot be kept
    raises and stays as it was.

    Returns the table as written (the caller needs not read it back).
    """
    table = _labels_table(ica, path, decisions)
    _add_probabilities(table, probabilities)
    entries = {**_column_descriptions(probabilities), **(sidecar or {})}
    drop = ()
    if manual == "keep" and path.is_file():
        table = _keep_manual_rows(table, path)
    elif manual == "discard":
        drop = (REVIEW_KEY,)
    # both reads fail before anything is written
    content = _merged_sidecar(path, entries, drop=drop)
    _write(table, content)
    logger.info("Wrote %d components to %s", table.n_components, path)
    return table


def mark_components(
    path: Path,
    marks: dict[int, str | None],
    author: str,
    n_components: int | None = None,
    *,
    kept=None,
    sidecar: dict[str, Any] | None = None,
    new: tuple[ICA, dict] | None = None,
) -> ComponentsTable:
    """Mark components of an existing TSV by hand, keeping everything else.

    The rows of ``marks`` (component to label, None to clear its label) get
    ``annotate_method`` ``"manual"``; every other row, and every other column
    of the marked rows, is written back as read. The sidecar gets the
    descriptions of the columns present and the top-level entries of
    ``sidecar``. ``n_components``, if given, must be the number of rows of the
    file. ``kept``: the labels whose rows get ``status`` ``"good"`` (None:
    brain, and MEGNet's brain/other). ``new``: ``(ica, probabilities)`` of
    the table to start from when ``path`` does not exist (as
    :func:`write_components` writes it); None: a missing file is an error.
    TSV and sidecar are each replaced atomically.
    """
    kept = good_classes() if kept is None else tuple(kept)
    if new is not None and not path.is_file():
        table = _labels_table(new[0], path, None)
        _add_probabilities(table, new[1])
    else:
        table = read_table(path)
    if n_components is not None and table.n_components != n_components:
        raise ValueError(
            f"The file {path} describes {table.n_components} components but the ICA "
            f"has {n_components}; it was written for another ICA. Choose another "
            "components file, or move this one away."
        )
    for component in marks:
        check_index(component, table.n_components, "marks")
    table.add_annotation_columns()
    for component, label in marks.items():
        table.mark(int(component), "manual", label, author, kept)
    entries = {**_column_descriptions(table.methods), **(sidecar or {})}
    _write(table, _merged_sidecar(path, entries))
    logger.info("Marked %d component(s) of %s by hand.", len(marks), path)
    return table


def mark_one(
    path: Path, component: int, method: str, label: str, author: str
) -> ComponentsTable:
    """Annotate one component of an existing TSV; only its TSV is rewritten."""
    table = read_table(path)
    if component not in table.components:
        raise ValueError(
            f"Component {component} is not in {path}, which describes components "
            f"0 to {table.n_components - 1}."
        )
    table.add_annotation_columns()
    table.mark(component, method, label, author)
    write_text(path, table.format())
    return table


def check_text(value: str, name: str) -> None:
    """Reject text that would break the TSV format."""
    if any(char in value for char in "\t\n\r") or value == "":
        raise ValueError(
            f"The argument '{name}' must be a non-empty text without tabs or line "
            f"breaks, got {value!r}."
        )


def check_index(comp, n_components: int, what: str) -> int:
    """Check that ``comp`` is a component index."""
    comp = _ensure_int(comp, what)
    if not 0 <= comp < n_components:
        raise ValueError(
            f"{what} lists component {comp}, but the ICA has {n_components} components."
        )
    return comp
