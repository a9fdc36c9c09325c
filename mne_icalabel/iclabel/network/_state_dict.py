"""Read a PyTorch ``state_dict`` file into NumPy arrays, without PyTorch.

``torch.save`` writes a zip archive: ``<root>/data.pkl`` is a pickle of the
dictionary in which every tensor is a call to
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` and
every storage is a *persistent id* ``("storage", <torch.XStorage>, key,
location, numel)`` whose raw bytes are the archive member ``<root>/data/<key>``
(little-endian unless a ``<root>/byteorder`` member says ``big``). This module
resolves those references to NumPy arrays. Only the globals that such a file
needs are allowed, so no other code can run while unpickling.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
from numpy.lib.stride_tricks import as_strided

# torch storage class name -> NumPy dtype (little-endian)
_STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class _StorageType:
    """Stand-in for a ``torch.<X>Storage`` class: only carries the dtype."""

    def __init__(self, name: str) -> None:
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


def _rebuild_tensor(
    storage: np.ndarray,
    offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    *args,
) -> np.ndarray:
    """Build the array ``storage[offset + sum(i_k * stride_k)]`` of shape ``size``.

    The trailing arguments (``requires_grad``, backward hooks, metadata) carry
    nothing a NumPy array needs.
    """
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    if any(s < 0 for s in stride):
        raise pickle.UnpicklingError("Negative tensor strides are not supported.")
    last = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    if all(size) and (offset < 0 or last >= storage.size):
        raise pickle.UnpicklingError(
            f"Tensor of shape {size} (offset {offset}, stride {stride}) does not fit "
            f"in its storage of {storage.size} elements."
        )
    item = storage.itemsize
    view = as_strided(
        storage[offset:], shape=size, strides=tuple(s * item for s in stride)
    )
    return np.array(view, dtype=storage.dtype.newbyteorder("="), order="C")


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, archive: zipfile.ZipFile, root: str, order: str):
        super().__init__(file)
        self._archive = archive
        self._root = root
        self._order = order
        self._storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(
            f"Unsupported object {module}.{name} in a PyTorch state_dict file."
        )

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid
        if kind != "storage" or not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"Unsupported persistent id {pid!r}.")
        if key not in self._storages:
            raw = self._archive.read(f"{self._root}/data/{key}")
            dtype = storage_type.dtype.newbyteorder(self._order)
            self._storages[key] = np.frombuffer(raw, dtype=dtype, count=numel)
        return self._storages[key]


def read_state_dict(fname: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read the tensors of a ``torch.save``-d ``state_dict`` as NumPy arrays.

    Parameters
    ----------
    fname : path-like
        A zip-format file written by ``torch.save(module.state_dict(), fname)``.

    Returns
    -------
    state_dict : dict of str to ndarray
        The tensors, in file order, as C-contiguous native-endian arrays.
    """
    with zipfile.ZipFile(fname) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise pickle.UnpicklingError(
                f"{fname} is not a PyTorch zip archive (no single data.pkl)."
            )
        root = pickles[0][: -len("/data.pkl")]
        order = "<"
        if f"{root}/byteorder" in archive.namelist():
            little = archive.read(f"{root}/byteorder").strip() == b"little"
            order = "<" if little else ">"
        with archive.open(pickles[0]) as fid:
            state = _Unpickler(fid, archive, root, order).load()
    return dict(state)
