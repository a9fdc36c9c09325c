"""SIGTERM mid-recording (a time limit, ``scancel``): nothing partial, lock released.

Real ``mne-icalabel`` processes on the two-recording dataset of the two-writer
tests. Each run is held at its write of sub-02's output (a ``sitecustomize``
waiting in ``open()``), after sub-01's outputs are complete, and gets SIGTERM
there, as a batch scheduler sends it at the wall time. The run must abandon
the file, release the lock, exit with 143 and leave sub-02 without outputs;
the same command run again does sub-02 only and ends where an uninterrupted
run ends, file by file.
"""

from __future__ import annotations

import shutil
import signal

from mne_icalabel.derivatives import derivatives_root
from mne_icalabel.derivatives._lock import LOCK_NAME

from ._writers import (
    APPLY_ARGS,
    BIDS_ARGS,
    hold_env,
    outputs,
    run,
    start,
    wait_for_hold,
)


def _terminate_at(command, root, args, pattern, tmp_path):
    """Run ``command`` held at its write of ``pattern``; SIGTERM it there."""
    env, _ = hold_env(tmp_path, pattern)
    process = start(command, root, *args, env=env)
    deriv = derivatives_root(root)
    wait_for_hold(process, tmp_path)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, (out, err)
    assert "stopped by SIGTERM" in out + err, (out, err)
    # nothing partial, nothing held
    assert not list(deriv.rglob(".tmp-*"))
    assert not list(deriv.rglob(f"*{LOCK_NAME}"))  # no claim, no lock left
    return deriv


def test_sigterm_during_bids(writers_reference, tmp_path):
    template, labelled, _ = writers_reference
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    deriv = _terminate_at("bids", root, BIDS_ARGS, "*sub-02_*_components.tsv", tmp_path)
    tsvs = sorted(p.name for p in deriv.rglob("*_components.tsv"))
    assert tsvs == ["sub-01_task-rest_run-01_components.tsv"]
    done, _ = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    assert "1 labelled, 1 skipped" in done.stdout
    assert outputs(root) == labelled


def test_sigterm_during_apply(writers_reference, tmp_path):
    template, labelled, cleaned = writers_reference
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    done, _ = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    deriv = _terminate_at(
        "apply", root, APPLY_ARGS, "sub-02_*_desc-clean_eeg.fif", tmp_path
    )
    assert sorted(p.name for p in deriv.rglob("*_desc-clean_eeg.*")) == [
        "sub-01_task-rest_run-01_desc-clean_eeg.fif",
        "sub-01_task-rest_run-01_desc-clean_eeg.json",
    ]
    done, _ = run("apply", root, *APPLY_ARGS)
    assert done.returncode == 0, done.stderr
    assert "1 applied, 1 skipped" in done.stdout
    assert outputs(root) == cleaned
