"""System and dependency information (``sys_info``)."""

from __future__ import annotations

import platform
import sys
from functools import partial
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path
from typing import IO, TYPE_CHECKING

from mne.utils import _validate_type

if TYPE_CHECKING:
    from packaging.requirements import Requirement

from .._version import __version__


def sys_info(
    fid: IO | None = None, *, extra: bool = False, developer: bool = False
) -> None:
    """Print the system information for debugging.

    Parameters
    ----------
    fid : file-like | None
        The file to write to, passed to :func:`print`. Can be None to use
        :data:`sys.stdout`.
    extra : bool
        If True, also display the optional dependencies, grouped by extra.
    developer : bool
        If True, also display the developer dependency groups read from the
        ``pyproject.toml`` of a source checkout.
    """
    _validate_type(extra, bool, "extra")
    _validate_type(developer, bool, "developer")
    import psutil

    ljust = 26
    out = partial(print, end="", file=fid)
    out("Platform:".ljust(ljust) + platform.platform() + "\n")
    out("Python:".ljust(ljust) + str(sys.version).replace("\n", " ") + "\n")
    out("Executable:".ljust(ljust) + sys.executable + "\n")
    out("CPU:".ljust(ljust) + f"{_cpu_name()}\n")
    out("Physical cores:".ljust(ljust) + f"{psutil.cpu_count(False)}\n")
    out("Logical cores:".ljust(ljust) + f"{psutil.cpu_count(True)}\n")
    out("RAM:".ljust(ljust) + f"{psutil.virtual_memory().total / 2**30:0.1f} GB\n")
    out("SWAP:".ljust(ljust) + f"{psutil.swap_memory().total / 2**30:0.1f} GB\n")
    out("mne-icalabel:".ljust(ljust) + f"{__version__}\n")

    requirements = _package_requirements()
    core = [req for req in requirements if req.marker is None]
    _list_dependencies(out, "Core dependencies", core)
    if extra:
        extras = sorted(
            {
                marker.split("==")[1].strip().strip("'\"")
                for req in requirements
                if req.marker is not None
                for marker in [str(req.marker)]
                if "extra" in marker
            }
        )
        for name in extras:
            group = [
                req
                for req in requirements
                if req.marker is not None
                and req.marker.evaluate({"extra": name})
                and req.name != "mne-icalabel"
            ]
            if group:
                _list_dependencies(out, f"Optional '{name}' dependencies", group)
    if developer:
        for name, group in _developer_groups().items():
            _list_dependencies(out, f"Developer '{name}' dependencies", group)


def _cpu_name() -> str:
    """Return the processor's model name (``platform.processor()`` is often empty).

    On Linux ``platform.processor()`` gives ``""`` or the architecture only; the
    model is the ``model name`` of ``/proc/cpuinfo`` (x86) or its ``Hardware``
    / ``Model`` line (ARM). Else the architecture, else ``"unknown"``.
    """
    name = platform.processor().strip()
    if name and name != platform.machine():
        return name
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fid:
            for line in fid:
                key, sep, value = line.partition(":")
                if sep and key.strip() in ("model name", "Hardware", "Model"):
                    if value.strip():
                        return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        import subprocess

        try:
            found = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found:
            return found
    return name or platform.machine() or "unknown"


def _package_requirements() -> list[Requirement]:
    # imported here: packaging.requirements takes ~40 ms, a half of the import
    # of this package, and only sys_info needs it
    from packaging.requirements import Requirement

    try:
        return [Requirement(req) for req in requires("mne-icalabel") or []]
    except PackageNotFoundError:  # running from a source tree that is not installed
        return []


def _developer_groups() -> dict[str, list[Requirement]]:
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    if not pyproject.exists():
        raise RuntimeError(
            "The developer dependencies are listed in the pyproject.toml of a source "
            "checkout, which was not found; install mne-icalabel from its repository "
            "to use developer=True."
        )
    import tomllib
    from packaging.requirements import Requirement

    with open(pyproject, "rb") as fid:
        data = tomllib.load(fid)
    groups = data.get("dependency-groups", {})
    if not groups:  # this project keeps its development tools as extras
        groups = {
            name: reqs
            for name, reqs in data["project"]["optional-dependencies"].items()
            if name in ("test", "doc")
        }
    return {
        name: [Requirement(req) for req in reqs if isinstance(req, str)]
        for name, reqs in groups.items()
    }


def _list_dependencies(out, title: str, requirements: list[Requirement]) -> None:
    unicode = (getattr(sys.stdout, "encoding", "") or "").lower() == "utf-8"
    # the check mark and its variation selector take one column, not two
    prefix, shown = ("✔︎ ", 2) if unicode else ("", 0)
    out(f"\n{title}\n")
    missing, found = [], []
    for req in requirements:
        spec = f" ({req.specifier})" if str(req.specifier) else ""
        try:
            found.append((f"{req.name}{spec}:", version(req.name), req.name))
        except PackageNotFoundError:
            missing.append(f"{req.name}{spec}")
    # the versions in one column, after the longest name (at least that of the
    # system lines above, 26 columns)
    width = max([26 - shown] + [len(label) + 1 for label, _, _ in found])
    for label, installed, name in found:
        line = prefix + label.ljust(width) + installed
        if name == "matplotlib":
            line += _matplotlib_backend()
        out(line + "\n")
    if missing:
        cross = "✘ " if unicode else ""
        out(f"{cross}Not installed: {', '.join(missing)}\n")


def _matplotlib_backend() -> str:
    if "matplotlib" not in sys.modules:  # do not import pyplot just to report it
        return ""
    import matplotlib

    return f" (backend: {matplotlib.get_backend()})"
