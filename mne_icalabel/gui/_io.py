"""Atomic writes of the ICA and of the BIDS components TSV.

A file is written beside its destination under a temporary name, then moved
over the destination with :func:`os.replace` (atomic on one file system): an
interrupted save never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from mne.preprocessing import ICA
from mne.utils import logger


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
    fname = _as_path(fname)
    fname.parent.mkdir(parents=True, exist_ok=True)
    # same ending as the destination, so MNE's naming check sees the same name
    tmp = fname.with_name(f".tmp-{os.getpid()}-{fname.name}")
    try:
        ica.save(tmp, overwrite=True, verbose=False)
        os.replace(tmp, fname)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info(f"Saved the ICA to {fname}")
    return fname


def write_tsv_atomic(ica: ICA, fname) -> Path:
    """Write the BIDS components TSV (and its JSON sidecar) through a temp folder.

    Parameters
    ----------
    ica : ICA
        The ICA whose ``labels_`` (and ``labels_scores_`` if any) are written.
    fname : str | Path | BIDSPath
        Destination TSV, e.g. ``sub-01_task-rest_components.tsv``.

    Returns
    -------
    fname : Path
        The written TSV.
    """
    from ..annotation import write_components_tsv

    fname = _as_path(fname)
    fname.parent.mkdir(parents=True, exist_ok=True)
    sidecar = fname.with_suffix(".json")
    tmpdir = Path(tempfile.mkdtemp(prefix=".tmp-mne-icalabel-", dir=fname.parent))
    try:
        if sidecar.exists():  # so the writer merges into the existing sidecar
            shutil.copy2(sidecar, tmpdir / sidecar.name)
        write_components_tsv(ica, tmpdir / fname.name)
        if not (tmpdir / fname.name).is_file():
            raise RuntimeError(f"The components TSV was not written to {fname}.")
        for written in tmpdir.iterdir():
            os.replace(written, fname.parent / written.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    logger.info(f"Saved the component labels to {fname}")
    return fname
