"""Atomic writes of the ICA and of the BIDS components TSV.

A file is written beside its destination under a temporary name, then moved
over the destination with :func:`os.replace` (atomic on one file system): an
interrupted save never leaves a half-written file behind.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import tempfile
from pathlib import Path

from mne.preprocessing import ICA
from mne.utils import logger

from ..utils._io import atomic_path, temporary_prefix, write_text_atomic


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
    from ..annotation import write_components_tsv

    return update_tsv_atomic(
        fname,
        marks,
        author,
        n_components=ica.n_components_,
        create=lambda tmp: write_components_tsv(ica, tmp, verbose=False),
    )


def update_tsv_atomic(
    fname,
    marks: dict[int, str | None] | None,
    author: str,
    *,
    n_components: int | None = None,
    kept=None,
    sidecar: dict | None = None,
    create=None,
) -> Path:
    """Mark components of a components TSV by hand; replace TSV and sidecar.

    The TSV and its JSON sidecar are copied into a temporary folder beside
    them, changed there (:func:`~mne_icalabel.annotation.bids._update_components`:
    read, change the rows of ``marks``, write; then the top-level ``sidecar``
    entries are set in the sidecar), and moved over the originals.

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
    create : callable | None
        Called with the temporary path to write a TSV that does not exist yet;
        None: a missing TSV is an error.

    Returns
    -------
    fname : Path
        The written TSV.
    """
    from ..annotation.bids import _update_components

    fname = _as_path(fname)
    if not fname.is_file() and create is None:
        raise FileNotFoundError(f"The components file {fname} does not exist.")
    fname.parent.mkdir(parents=True, exist_ok=True)
    json_path = fname.with_suffix(".json")
    tmpdir = Path(tempfile.mkdtemp(prefix=temporary_prefix(), dir=fname.parent))
    tmp = tmpdir / fname.name
    try:
        if json_path.exists():  # so the writer merges into the existing sidecar
            shutil.copy2(json_path, tmpdir / json_path.name)
        if fname.is_file():  # read, change the marked rows, write: keep the rest
            shutil.copy2(fname, tmp)
        else:
            create(tmp)
        _update_components(tmp, dict(marks or {}), author, n_components, kept=kept)
        if sidecar:
            tmp_json = tmp.with_suffix(".json")
            content = json.loads(tmp_json.read_text(encoding="utf-8-sig"))
            content.update(sidecar)
            write_text_atomic(
                tmp_json, json.dumps(content, indent=4, ensure_ascii=False) + "\n"
            )
        for written in tmpdir.iterdir():
            os.replace(written, fname.parent / written.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    logger.info(f"Saved the component labels to {fname}")
    return fname
