"""Fingerprints that tie a components TSV to its ICA and to the recording's data.

The sidecar of a components TSV written by ``bids`` records, under
``"ICAFingerprint"``, two SHA-256 digests:

- ``"ICA"``: of the decomposition: the number of components, the channel
  names and the arrays that define the sources (``pca_mean_``,
  ``pre_whitener_``, ``pca_components_``, ``unmixing_matrix_``), each as
  C-ordered little-endian float64 with its name and shape. Labels and
  ``exclude`` are not part of it: they change as the components are reviewed.
  An ICA read back from its ``.fif`` gives the digest it had when it was saved
  (MNE stores these arrays as float64). ``mixing_matrix_`` is left out: it is
  the pseudo-inverse of ``unmixing_matrix_``, which MNE computes again when it
  reads the file, equal only to rounding (1e-16 apart).
- ``"Data"``: of the recording as read from the dataset, before the filters
  of the batch: the sampling rate, the channel names and every sample
  (float64, time-major, read in blocks of :data:`_BLOCK` samples so that
  memory stays small; the digest does not depend on the block size).

``bids --overwrite`` refuses to relabel a recording whose data changed since
its ICA was labelled, and keeps a TSV's manual rows only on the ICA they were
made on; ``apply`` refuses a TSV that belongs to another ICA or to other data.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import numpy as np

from ..utils._docs import fill_doc

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

#: samples per channel hashed at once (64 channels: 8 MB of float64)
_BLOCK = 16384
_ICA_ARRAYS = (
    "pca_mean_",
    "pre_whitener_",
    "pca_components_",
    "unmixing_matrix_",
)


def _update(digest, name: str, array) -> None:
    """Feed a named array (float64, little-endian, C order) to ``digest``."""
    array = np.ascontiguousarray(array, dtype="<f8")
    digest.update(f"{name}{array.shape}".encode())
    digest.update(memoryview(array).cast("B"))


def _names(digest, names) -> None:
    digest.update(json.dumps(list(names)).encode())


@fill_doc
def ica_fingerprint(ica: ICA) -> str:
    """Return the SHA-256 (hex) of a fitted ICA's decomposition.

    Parameters
    ----------
    %(ica)s

    Returns
    -------
    digest : str
        64 hexadecimal digits.
    """
    digest = hashlib.sha256(b"mne-icalabel ICA 1\n")
    _names(digest, ica.ch_names)
    digest.update(str(int(ica.n_components_)).encode())
    for name in _ICA_ARRAYS:
        value = getattr(ica, name, None)
        if value is not None:
            _update(digest, name, value)
    return digest.hexdigest()


def data_fingerprint(inst: BaseRaw | BaseEpochs) -> str:
    """Return the SHA-256 (hex) of a recording's samples, channels and rate.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording as read (it is not loaded in full if it is not loaded).

    Returns
    -------
    digest : str
        64 hexadecimal digits.
    """
    from mne.io import BaseRaw

    digest = hashlib.sha256(b"mne-icalabel data 1\n")
    _names(digest, inst.ch_names)
    digest.update(repr(float(inst.info["sfreq"])).encode())
    if not isinstance(inst, BaseRaw):
        _update(digest, "epochs", inst.get_data())
        return digest.hexdigest()
    digest.update(str(inst.n_times).encode())
    for start in range(0, inst.n_times, _BLOCK):
        block = inst.get_data(start=start, stop=min(start + _BLOCK, inst.n_times))
        # time-major: the blocks' bytes in turn are those of the whole array's
        # transpose, so the digest does not depend on the block size
        block = np.ascontiguousarray(block.T, dtype="<f8")
        digest.update(memoryview(block).cast("B"))
    return digest.hexdigest()


def fingerprint_entry(ica: ICA, data: str) -> dict[str, str]:
    """Return the sidecar's entry for an ICA and a data digest."""
    return {"ICA": ica_fingerprint(ica), "Data": data}
