"""The real Slurm of these tests (see ``_slurm.py``), one per session."""

from __future__ import annotations

import os

import pytest

from ._slurm import Slurm, why_unavailable


@pytest.fixture(scope="session")
def slurm():
    """A running one-node Slurm; ``SLURM_CONF`` points at it meanwhile.

    On a machine that cannot run it (not root, packages missing) the tests
    fail with the reason in CI (``CI`` set, as .ci/run runs) and are skipped
    with it elsewhere.
    """
    reason = why_unavailable()
    if reason is not None:
        message = f"Cannot start the Slurm of the tests: {reason}."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = Slurm()
    old = os.environ.get("SLURM_CONF")
    try:
        cluster.start()
        os.environ["SLURM_CONF"] = str(cluster.conf)
        yield cluster
    finally:
        if old is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = old
        cluster.stop()
