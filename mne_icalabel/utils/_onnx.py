"""onnxruntime inference sessions on the CPU, set up once for all networks."""

from __future__ import annotations

from ._imports import import_optional_dependency
from ._threads import n_threads


def cpu_session(model, extra: str = ""):
    """Create an onnxruntime inference session on the CPU.

    Parameters
    ----------
    model : str | bytes
        Path of an ``.onnx`` file, or a serialised model.
    extra : str
        Text added to the error if onnxruntime is missing.

    Returns
    -------
    session : onnxruntime.InferenceSession
        The session. Its intra-op pool has :func:`~._threads.n_threads` threads
        (onnxruntime's own default is one per physical core of the machine,
        whatever the process's affinity or ``OMP_NUM_THREADS``), and they sleep
        instead of spinning between operators: each operator of these networks
        runs for milliseconds, so spinning saves nothing and burns CPU time that
        other threads or processes could use. Only errors are logged. A
        serialised ``model`` is not kept alive by the session.
    """
    ort = import_optional_dependency("onnxruntime", extra=extra)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = n_threads()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )
    if isinstance(model, bytes) and getattr(session, "_model_bytes", None) is model:
        # onnxruntime's Python class keeps the serialised model for good, only
        # to rebuild the session if another execution provider fails (it says
        # so itself); on the CPU alone it is never used, and it is as large as
        # the weights (23 MB for MEGNet's head).
        session._model_bytes = None
    return session
