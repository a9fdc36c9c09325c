"""Where a BIDS dataset's recordings are, and where their outputs go.

The recordings are found with mne-bids; the outputs of a recording live under
``<bids_root>/derivatives/mne-icalabel`` in the folder that mirrors the
recording's, named after its entities (``sub-01_task-rest_components.tsv``).
Labelling, reviewing and applying all find their files here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mne.utils import _check_option, _validate_type

from ..utils._docs import fill_doc
from ..utils._imports import import_optional_dependency

if TYPE_CHECKING:
    from mne_bids import BIDSPath

PIPELINE = "mne-icalabel"
_EXCLUDED_EXTENSIONS = {".json", ".tsv", ".vmrk", ".eeg", ".fdt"}


def _as_list(value: str | list[str] | None, name: str) -> list[str] | None:
    _validate_type(value, (str, list, tuple, None), name)
    if value is None:
        return None
    return [value] if isinstance(value, str) else [str(v) for v in value]


@fill_doc
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
    %(bids_root)s
    %(selection)s
    %(datatype)s

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
    bids_root = Path(bids_root).expanduser()
    if not (bids_root / "dataset_description.json").is_file():
        raise FileNotFoundError(
            f"{bids_root} is not a BIDS dataset: it has no dataset_description.json."
        )
    return bids_root


def recording_key(bids_path: BIDSPath) -> str:
    """Path of the recording's data file relative to the dataset root."""
    return Path(bids_path.fpath).relative_to(bids_path.root).as_posix()


@dataclass(frozen=True)
class RecordingFiles:
    """The names of one recording's outputs: ``<folder>/<stem>_<what>``."""

    folder: Path
    stem: str

    @property
    def tsv(self) -> Path:
        """The components TSV (its sidecar: the same name, ``.json``)."""
        return self.folder / f"{self.stem}_components.tsv"

    @property
    def sidecar(self) -> Path:
        return self.tsv.with_suffix(".json")

    @property
    def ica(self) -> Path:
        """The ICA fitted here."""
        return self.folder / f"{self.stem}_ica.fif"

    @property
    def report(self) -> Path:
        return self.folder / f"{self.stem}_report.html"


def output_stem(bids_path: BIDSPath, deriv_root: Path) -> tuple[Path, str]:
    """Folder and basename of the outputs of one recording."""
    root = Path(bids_path.root)
    folder = deriv_root / Path(bids_path.directory).relative_to(root)
    stem = bids_path.copy().update(suffix=None, extension=None, split=None)
    return folder, stem.basename


def recording_files(bids_path: BIDSPath, deriv_root: Path) -> RecordingFiles:
    """Return the names of the outputs of one recording under ``deriv_root``."""
    return RecordingFiles(*output_stem(bids_path, deriv_root))


def clean_path(bids_path: BIDSPath, deriv_root: Path) -> Path:
    """Return the path of the cleaned recording (``<stem>_desc-clean_<dt>.fif``).

    Named with mne-bids (the recording's entities, ``desc-clean``, the
    datatype as suffix), in the recording's folder of ``deriv_root``; its
    sidecar has the same name with ``.json``.
    """
    folder, _ = output_stem(bids_path, deriv_root)
    name = bids_path.copy().update(
        description="clean",
        suffix=bids_path.datatype,
        extension=".fif",
        split=None,
        check=False,
    )
    return folder / name.basename


def ica_described(bids_path: BIDSPath, deriv_root: Path) -> Path | None:
    """Return the ICA a recording's TSV describes: ours, else another pipeline's."""
    ours = recording_files(bids_path, deriv_root).ica
    return ours if ours.is_file() else find_existing_ica(bids_path, deriv_root)


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
    bids_root: str | os.PathLike, **selection
) -> list[LabelledRecording]:
    """Return the recordings of the selection that have a components TSV.

    ``selection`` holds the keyword arguments of :func:`find_recordings`. In
    path order, as :func:`find_recordings`; recordings not labelled yet are
    left out.
    """
    deriv_root = derivatives_root(bids_root)
    out = []
    for bids_path in find_recordings(bids_root, **selection):
        files = recording_files(bids_path, deriv_root)
        if not files.tsv.is_file():
            continue
        out.append(
            LabelledRecording(
                bids_path=bids_path,
                key=recording_key(bids_path),
                tsv=files.tsv,
                ica=ica_described(bids_path, deriv_root),
                ica_fitted_here=files.ica.is_file(),
            )
        )
    return out
