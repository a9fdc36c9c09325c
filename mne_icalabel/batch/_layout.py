"""Where a BIDS dataset's recordings are, and where their outputs go.

The recordings are found with mne-bids; the outputs of a recording live under
``<bids_root>/derivatives/mne-icalabel`` in the folder that mirrors the
recording's, named after its entities (``sub-01_task-rest_components.tsv``).
Labelling, reviewing and applying all find their files here.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mne.utils import _check_option, _validate_type

from ..utils._imports import import_optional_dependency
from ..utils._io import write_text_atomic

if TYPE_CHECKING:
    from mne_bids import BIDSPath

PIPELINE = "mne-icalabel"
_EXCLUDED_EXTENSIONS = {".json", ".tsv", ".vmrk", ".eeg", ".fdt"}


def _as_list(value: str | list[str] | None, name: str) -> list[str] | None:
    _validate_type(value, (str, list, tuple, None), name)
    if value is None:
        return None
    return [value] if isinstance(value, str) else [str(v) for v in value]


def find_recordings(
    bids_root: str | os.PathLike,
    *,
    subjects: str | list[str] | None = None,
    sessions: str | list[str] | None = None,
    tasks: str | list[str] | None = None,
    runs: str | list[str] | None = None,
    datatype: str = "eeg",
) -> list[BIDSPath]:
    """Find the raw recordings of a BIDS dataset with mne-bids.

    Parameters
    ----------
    bids_root : path-like
        Root of the BIDS dataset.
    subjects, sessions, tasks, runs : str | list of str | None
        Keep only these entity values (without the ``sub-`` … prefixes);
        ``None`` keeps all.
    datatype : ``"eeg"`` | ``"meg"``
        The data type to label.

    Returns
    -------
    bids_paths : list of BIDSPath
        One path per recording (the first part of split files), sorted, with
        ``datatype`` and ``suffix`` set to ``datatype``. Derivatives are not
        searched.
    """
    mne_bids = import_optional_dependency("mne_bids")
    from mne_bids.config import reader

    _check_option("datatype", datatype, ("eeg", "meg"))
    bids_root = check_bids_root(bids_root)
    extensions = sorted({ext.lower() for ext in reader} - _EXCLUDED_EXTENSIONS)
    paths = mne_bids.find_matching_paths(
        bids_root,
        subjects=_as_list(subjects, "subjects"),
        sessions=_as_list(sessions, "sessions"),
        tasks=_as_list(tasks, "tasks"),
        runs=_as_list(runs, "runs"),
        datatypes=datatype,
        suffixes=datatype,
        extensions=extensions + [ext.upper() for ext in extensions],
        ignore_json=True,
    )
    # mne-bids also finds files of derivatives/ (e.g. the cleaned recordings)
    derivatives = (bids_root / "derivatives").resolve()
    paths = [
        p
        for p in paths
        if p.split in (None, "01")
        and not Path(p.fpath).resolve().is_relative_to(derivatives)
    ]
    unique = {str(p.fpath): p for p in paths}
    return [unique[key] for key in sorted(unique)]


def check_bids_root(bids_root: str | os.PathLike) -> Path:
    """Return ``bids_root`` as a Path; raise if it is not a BIDS dataset."""
    bids_root = Path(bids_root)
    if not (bids_root / "dataset_description.json").is_file():
        raise FileNotFoundError(
            f"{bids_root} is not a BIDS dataset: it has no dataset_description.json."
        )
    return bids_root


def recording_key(bids_path: BIDSPath) -> str:
    """Path of the recording's data file relative to the dataset root."""
    return Path(bids_path.fpath).relative_to(bids_path.root).as_posix()


def output_stem(bids_path: BIDSPath, deriv_root: Path) -> tuple[Path, str]:
    """Folder and basename of the outputs of one recording."""
    root = Path(bids_path.root)
    folder = deriv_root / Path(bids_path.directory).relative_to(root)
    stem = bids_path.copy().update(suffix=None, extension=None, split=None)
    return folder, stem.basename


def find_existing_ica(bids_path: BIDSPath, deriv_root: Path) -> Path | None:
    """Find an ICA of this recording saved by another pipeline in ``derivatives/``."""
    root = Path(bids_path.root)
    relative = Path(bids_path.directory).relative_to(root)
    _, stem = output_stem(bids_path, deriv_root)
    for pipeline in sorted((root / "derivatives").glob("*")):
        if pipeline.name == PIPELINE:  # ours are refitted when relabelling
            continue
        found = sorted((pipeline / relative).glob(f"{stem}_*ica.fif"))
        if found:
            return found[0]
    return None


#: the steps that write rows into ``summary.tsv``, in the order rows are listed
STEPS = ("label", "apply")


def read_summary(fname: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read ``summary.tsv``: its columns and rows (values as text).

    A summary written before rows had a ``step`` column holds labelling rows:
    they get ``step`` ``"label"``. A missing file gives no columns and no rows.
    """
    if not fname.is_file():
        return [], []
    with open(fname, encoding="utf-8-sig", newline="") as fid:
        reader = csv.DictReader(fid, delimiter="\t")
        rows = [dict(row) for row in reader]
        columns = list(reader.fieldnames or [])
    if "step" not in columns:
        columns.insert(1 if columns[:1] == ["recording"] else 0, "step")
        for row in rows:
            row["step"] = "label"
    return columns, rows


def write_summary(
    rows: list[dict], fname: Path, columns: tuple[str, ...], *, step: str
) -> None:
    """Write the rows of one step into ``summary.tsv``, keeping the other steps'.

    The rows of ``step`` already in the file are replaced by ``rows``; the
    rows of the other steps are kept as they are. The columns are the union
    of the file's and ``columns`` (``n/a`` where a row has no value), the rows
    sorted by recording, then by step.
    """
    _check_option("step", step, STEPS)
    old_columns, old_rows = read_summary(fname)
    kept = [row for row in old_rows if row.get("step") != step]
    header = list(dict.fromkeys(["recording", "step", *old_columns, *columns]))
    new = [{**row, "step": step} for row in rows]
    order = {name: k for k, name in enumerate(STEPS)}
    merged = sorted(
        kept + new,
        key=lambda row: (str(row.get("recording")), order.get(row.get("step"), 99)),
    )
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, header, delimiter="\t", restval="n/a", lineterminator="\n"
    )
    writer.writeheader()
    for row in merged:
        clean = {
            key: (
                "n/a"
                if val is None
                else str(val).replace("\t", " ").replace("\n", " ") or "n/a"
            )
            for key, val in row.items()
            if key in header
        }
        writer.writerow(clean)
    write_text_atomic(fname, buffer.getvalue())


def write_description(deriv_root: Path, bids_root: Path) -> None:
    from .._version import __version__

    fname = deriv_root / "dataset_description.json"
    description = {
        "Name": "mne-icalabel labels of the independent components",
        "BIDSVersion": "1.9.0",
        "DatasetType": "derivative",
        "GeneratedBy": [
            {
                "Name": PIPELINE,
                "Version": __version__,
                "Description": "ICA fitted with MNE-Python and labelled with "
                "ICLabel (EEG) or MEGNet (MEG).",
                "CodeURL": "https://github.com/mne-tools/mne-icalabel",
            }
        ],
        "SourceDatasets": [{"URL": bids_root.resolve().as_uri()}],
    }
    write_text_atomic(fname, json.dumps(description, indent=4) + "\n")


def derivatives_root(bids_root: str | os.PathLike) -> Path:
    """Return the folder of this package's outputs for a dataset."""
    return Path(bids_root).expanduser() / "derivatives" / PIPELINE


@dataclass(frozen=True)
class LabelledRecording:
    """A recording of the dataset and the outputs of its labelling.

    ``ica`` is the ICA fitted here (``<stem>_ica.fif``), else the one another
    pipeline saved in ``derivatives/`` that ``bids`` labelled, else None.
    """

    bids_path: BIDSPath
    key: str
    tsv: Path
    ica: Path | None
    ica_fitted_here: bool


def find_labelled_recordings(
    bids_root: str | os.PathLike,
    *,
    subjects: str | list[str] | None = None,
    sessions: str | list[str] | None = None,
    tasks: str | list[str] | None = None,
    runs: str | list[str] | None = None,
    datatype: str = "eeg",
) -> list[LabelledRecording]:
    """Return the recordings of the selection that have a components TSV.

    In path order, as :func:`find_recordings`; recordings not labelled yet are
    left out.
    """
    deriv_root = derivatives_root(bids_root)
    out = []
    for bids_path in find_recordings(
        bids_root,
        subjects=subjects,
        sessions=sessions,
        tasks=tasks,
        runs=runs,
        datatype=datatype,
    ):
        folder, stem = output_stem(bids_path, deriv_root)
        tsv = folder / f"{stem}_components.tsv"
        if not tsv.is_file():
            continue
        ours = folder / f"{stem}_ica.fif"
        ica = ours if ours.is_file() else find_existing_ica(bids_path, deriv_root)
        out.append(
            LabelledRecording(
                bids_path=bids_path,
                key=recording_key(bids_path),
                tsv=tsv,
                ica=ica,
                ica_fitted_here=ours.is_file(),
            )
        )
    return out
