"""Whether the code runs in a Jupyter kernel (imports nothing heavy)."""

from __future__ import annotations

import sys


def in_notebook() -> bool:
    """Tell whether the code runs in a Jupyter kernel (a notebook, VS Code ...).

    IPython is not imported here: a kernel has imported it already.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
