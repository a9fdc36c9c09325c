"""Import of optional dependencies with a helpful error."""

from __future__ import annotations

import importlib
import importlib.util

# import name -> (pip name, extra of this package that provides it)
_INSTALL_HINTS: dict[str, tuple[str, str]] = {
    "torch": ("torch", "torch"),
    "onnx": ("onnx", "torch"),
    "onnxruntime": ("onnxruntime", "onnx"),
    "qtpy": ("qtpy PyQt6", "gui"),
    "mne_bids": ("mne-bids", "bids"),
    "pandas": ("pandas", "bids"),
    "joblib": ("joblib", "parallel"),
    "distributed": ("dask[distributed]", "parallel"),
    "threadpoolctl": ("threadpoolctl", "parallel"),
    "picard": ("python-picard", "test"),
}


def import_optional_dependency(name: str, extra: str = "", raise_error: bool = True):
    """Import an optional dependency, or say how to install it.

    Parameters
    ----------
    name : str
        The module to import, e.g. ``"torch"`` or ``"onnxruntime"``.
    extra : str
        Text appended to the error message.
    raise_error : bool
        If True, a missing module raises ``ImportError``; if False, ``None`` is
        returned instead.

    Returns
    -------
    module : module | None
        The imported module, or None if it is missing and ``raise_error`` is
        False.
    """
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        if not raise_error:
            return None
        pip_name, pkg_extra = _INSTALL_HINTS.get(name, (name, ""))
        hint = f"pip install {pip_name}"
        if pkg_extra:
            # the checkout's extra: the index's mne-icalabel is another package
            hint += (
                " (or, from a checkout of this repository, "
                f"pip install -e '.[{pkg_extra}]')"
            )
        msg = (
            f"Missing optional dependency '{pip_name.split()[0]}'. {extra} "
            f"Use pip or conda to install it: {hint}."
        ).replace("  ", " ")
        raise ImportError(msg) from error
    return module


def has_module(name: str) -> bool:
    """Tell whether a module can be imported, without importing it.

    Parameters
    ----------
    name : str
        The module name.

    Returns
    -------
    available : bool
        True if ``importlib.util.find_spec`` finds the module.
    """
    return importlib.util.find_spec(name) is not None
