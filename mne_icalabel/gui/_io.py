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

from ..utils._io import atomic_path


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
    with atomic_path(fname) as tmp:
        ica.save(tmp, overwrite=True, verbose=False)
    logger.info(f"Saved the ICA to {fname}")
    return fname


def write_tsv_atomic(
    ica: ICA, fname, marks: dict[int, str] | None = None, author: str = "n/a"
) -> Path:
    """Write the BIDS components TSV (and its JSON sidecar) in one atomic step.

    The annotation writer fills the TSV from ``ica.labels_`` (and
    ``labels_scores_``), then each component of ``marks`` is marked as
    annotated by hand; both happen on a copy in a temporary folder beside the
    destination, which then replaces the destination files.

    Parameters
    ----------
    ica : ICA
        The ICA whose ``labels_`` (and ``labels_scores_`` if any) are written.
    fname : str | Path | BIDSPath
        Destination TSV, e.g. ``sub-01_task-rest_components.tsv``.
    marks : dict of int to str | None
        Components labelled by hand, mapped to their ``ica.labels_`` key; they
        get ``annotate_method`` ``"manual"`` and ``annotate_author``
        ``author``. Keys the writer does not know (e.g. ``"eye_movement"``)
        are only written this way.
    author : str
        Who labelled the components.

    Returns
    -------
    fname : Path
        The written TSV.
    """
    from ..annotation import mark_component, write_components_tsv

    fname = _as_path(fname)
    fname.parent.mkdir(parents=True, exist_ok=True)
    sidecar = fname.with_suffix(".json")
    tmpdir = Path(tempfile.mkdtemp(prefix=".tmp-mne-icalabel-", dir=fname.parent))
    try:
        if sidecar.exists():  # so the writer merges into the existing sidecar
            shutil.copy2(sidecar, tmpdir / sidecar.name)
        tmp = write_components_tsv(ica, tmpdir / fname.name, verbose=False)
        for comp, key in sorted((marks or {}).items()):
            mark_component(
                comp, tmp, "manual", key, author, strict_label=False, verbose=False
            )
        for written in tmpdir.iterdir():
            os.replace(written, fname.parent / written.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    logger.info(f"Saved the component labels to {fname}")
    return fname
