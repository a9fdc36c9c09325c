"""The one interface of the networks' backends: load once, run a batch.

A network (ICLabel, MEGNet) runs on one of several backends. Each backend is a
module of the network's package, named after the backend and imported only
when that backend is used (it may import its package at import time). It
defines:

``WEIGHTS : str``
    The canonical name of the weights file it reads (see
    :func:`mne_icalabel.datasets.weights.get_weights_path`).
``load(fname: Path) -> model``
    Build the network from the verified weights file. Called once per process
    and weights file; :class:`Backends` keeps the result.
``run(model, *arrays) -> ndarray``
    The forward pass of one batch: plain arrays in, probabilities out, no MNE
    object.

A network describes its backends once, with :class:`Backends`: the packages
each one imports (known without importing it), the order in which
``backend=None`` tries them and what to say when a package is missing. The
rest (checking a name, resolving ``None``, loading once, the packages and
weights a batch job needs) is the same for every network. Adding a backend
means adding its module and one :class:`Backend` entry.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from mne.utils import _check_option, _validate_type, logger

from ._imports import has_module, import_optional_dependency


@dataclass(frozen=True)
class Backend:
    """One way to run a network.

    Attributes
    ----------
    name : str
        The backend's name, also the name of its module.
    packages : tuple of str
        The import names it needs, checked in this order.
    missing : str
        Text added to the ImportError when one of ``packages`` is missing
        (``""``: the network's ``missing``).
    optional : tuple of str
        Packages it uses when they are installed (e.g. ``onnx`` to split
        MEGNet's graph); a batch job needs them where the client has them.
    """

    name: str
    packages: tuple[str, ...] = ()
    missing: str = ""
    optional: tuple[str, ...] = ()


class Backends:
    """The backends of one network: name checks, resolution, loading once.

    Parameters
    ----------
    network : str
        The network's display name, for messages (``"ICLabel"``).
    package : str
        The package holding one module per backend.
    backends : iterable of Backend
        In the order of preference of ``backend=None``.
    locate : callable
        ``locate(weights_name) -> Path`` of the verified weights file.
    unavailable : str
        The ImportError message when ``backend=None`` finds no backend.
    aliases : dict of str to str | None
        Other accepted names of backends.
    missing : str
        Text added to the ImportError when a package of a backend is missing,
        ``{backend}`` standing for its name, unless the backend has its own.
    """

    def __init__(
        self,
        network: str,
        package: str,
        backends: Iterable[Backend],
        locate: Callable[[str], Path],
        unavailable: str,
        aliases: Mapping[str, str] | None = None,
        missing: str = "",
    ) -> None:
        self.network = network
        self.package = package
        self._backends = {backend.name: backend for backend in backends}
        self._locate = locate
        self._unavailable = unavailable
        self.aliases = dict(aliases or {})
        self._missing = missing
        # (backend, weights file) -> loaded model
        self._models: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> tuple[str, ...]:
        """The backends, in the order of preference of ``backend=None``."""
        return tuple(self._backends)

    def __getitem__(self, name: str) -> Backend:
        return self._backends[name]

    def check(self, backend: str | None) -> str | None:
        """Return the backend's canonical name (or None); ValueError if unknown."""
        _validate_type(backend, (None, str), "backend")
        backend = self.aliases.get(backend, backend)
        _check_option("backend", backend, (None, *self._backends))
        return backend

    def resolve(self, backend: str | None) -> str:
        """Return the backend to run; its packages are imported here.

        ``None`` is the first backend whose packages are installed. A missing
        package raises an ImportError saying what to pip install.
        """
        backend = self.check(backend)
        if backend is None:
            backend = next(
                (
                    spec.name
                    for spec in self._backends.values()
                    if all(has_module(name) for name in spec.packages)
                ),
                None,
            )
            if backend is None:
                raise ImportError(self._unavailable)
        spec = self._backends[backend]
        extra = spec.missing or self._missing.format(backend=backend)
        for name in spec.packages:
            import_optional_dependency(name, extra=extra)
        return backend

    def packages(self, backend: str) -> tuple[str, ...]:
        """Return the packages a job running ``backend`` imports, as installed here."""
        spec = self._backends[backend]
        return spec.packages + tuple(name for name in spec.optional if has_module(name))

    def module(self, backend: str) -> ModuleType:
        """Import the backend's module (its packages must be installed)."""
        return importlib.import_module(f"{self.package}.{backend}")

    def weights(self, backend: str) -> str:
        """Return the name of the weights file ``backend`` reads."""
        return self.module(backend).WEIGHTS

    def weights_path(self, backend: str) -> Path:
        """Return the verified weights file of ``backend``."""
        return self._locate(self.weights(backend))

    def load(self, backend: str) -> tuple[ModuleType, Any]:
        """Return the backend's module and its network, loading it on first use.

        The weights file is located and hash-checked on every call (cheap: the
        hash is cached by file size and modification time), so a corrupt file
        raises before it is parsed, and a file found elsewhere (another
        ``MNE_ICALABEL_WEIGHTS_PATH``) is loaded anew.
        """
        module = self.module(backend)
        fname = self._locate(module.WEIGHTS)
        key = (backend, str(fname))
        with self._lock:
            if key not in self._models:
                logger.info(
                    f"Loading the {self.network} network ({backend} backend) "
                    f"from {fname}"
                )
                self._models[key] = module.load(fname)
            return module, self._models[key]

    def run(self, backend: str, *arrays):
        """Run one batch on ``backend`` (loaded once): arrays in, arrays out."""
        module, model = self.load(backend)
        return module.run(model, *arrays)
