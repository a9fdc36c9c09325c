"""The ICLabel testing dataset: EEGLAB sets and MATLAB reference outputs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from mne.utils import verbose

from ..utils._docs import fill_doc

_NAME = "icalabel-testing"
_FOLDER = "MNE-testing-icalabel-data"
_DATASET_PARAMS = dict(
    archive_name="MNE-testing-icalabel-data.zip",
    hash="md5:ea1b188e671fe35a65c2c3cb6c42ccb3",
    url="https://github.com/adam2392/mne-testing-icalabel-data/archive/main.zip",
    folder_name=_FOLDER,
    dataset_name=_NAME,
    config_key="MNE_ICALABEL_DATASET_TESTING_PATH",
)


def has_icalabel_testing_data() -> bool:
    """Tell whether the ICLabel testing dataset is present locally.

    Returns
    -------
    present : bool
        True if :func:`data_path` would return the dataset without downloading.
    """
    return data_path(download=False, update_path=False, verbose=False) != Path()


@verbose
@fill_doc
def data_path(
    path: str | os.PathLike | None = None,
    force_update: bool = False,
    update_path: bool = True,
    download: bool = True,
    verbose=None,
) -> Path:
    """Get the path to the ICLabel testing dataset, downloading it if needed.

    Parameters
    ----------
    path : path-like | None
        Folder holding (or to receive) the ``MNE-testing-icalabel-data`` folder.
        If None, the config key or environment variable
        ``MNE_ICALABEL_DATASET_TESTING_PATH`` is used, then ``MNE_DATA``, then
        ``~/mne_data``.
    force_update : bool
        Force the dataset to be downloaded again even if it exists.
    update_path : bool
        If True, set ``MNE_ICALABEL_DATASET_TESTING_PATH`` in the MNE config to
        the parent folder of the dataset.
    download : bool
        If False and the dataset is absent, return an empty path instead of
        downloading it.
    %(verbose)s

    Returns
    -------
    path : Path
        The dataset root, which holds the ``iclabel`` folder.
    """
    from mne.datasets import fetch_dataset

    processor = None
    if download or force_update:
        import pooch

        processor = pooch.Unzip(extract_dir=f"./{_FOLDER}")
    dpath = fetch_dataset(
        _DATASET_PARAMS,
        path=path,
        force_update=force_update,
        update_path=update_path,
        download=download,
        processor=processor,
    )
    dpath = Path(dpath)
    # the archive of the GitHub repository nests its content one folder deeper
    nested = dpath / "mne-testing-icalabel-data-main"
    if nested.is_dir():
        for item in nested.iterdir():
            shutil.move(str(item), dpath / item.name)
        nested.rmdir()
    return dpath
