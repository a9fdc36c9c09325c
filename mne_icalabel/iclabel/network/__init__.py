"""The ICLabel network and its backends (torch, onnxruntime, NumPy).

The backend modules import their package at import time and are imported only
when used; see ``_backends`` for the interface they implement.
"""

from ._run import _format_input, run_iclabel
