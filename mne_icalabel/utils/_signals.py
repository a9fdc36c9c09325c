"""SIGTERM as an exception, so that a run stopped at its time limit cleans up.

A batch scheduler ends a job at its wall time with SIGTERM, then SIGKILL a
grace period later (Slurm's ``KillWait``, 30 s by default); ``scancel`` does
the same. Python's default action for SIGTERM ends the process at once: no
``finally`` runs, so a temporary file being written stays behind and the
run's claims on recordings stay until another run finds them stale. Within
:func:`exit_on_sigterm`, SIGTERM instead raises :class:`Terminated` (a
``SystemExit`` of code 143, what the shell reports for a process ended by
SIGTERM) in the main thread: the file being written is abandoned (atomic
writes remove their temporary), the claims are released, and the recordings not
finished lack the file written last (the components TSV, the cleaned file's
sidecar), so the next run does them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mne.utils import logger

#: the exit status of a process ended by SIGTERM (128 + 15)
EXIT_CODE = 128 + signal.SIGTERM


class Terminated(SystemExit):
    """The process received SIGTERM during a run (a time limit, ``scancel``)."""


def _raise_terminated(signum, frame) -> None:
    # one exception only: a second SIGTERM must not interrupt the cleanup
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated(EXIT_CODE)


@contextmanager
def exit_on_sigterm(command: str) -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the block runs.

    Only where SIGTERM has its default action (which would end the process
    without cleaning up) and in the main thread (the only one that receives
    signals): a program with its own handler, or a run inside a Dask worker's
    thread, is left as it is. The previous action is restored afterwards.

    Parameters
    ----------
    command : str
        The run (``"bids"``, ``"apply"``), named in the message logged when it
        is stopped.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    except Terminated:
        logger.warning(
            f"mne-icalabel {command}: stopped by SIGTERM (a time limit or a "
            "cancelled job). The file being written was abandoned and the claims "
            "released; the recordings not finished are not marked done (the file "
            "written last, the components TSV or the cleaned file's sidecar, is "
            "missing) and the next run does them (submit the same command again)."
        )
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
