"""Two runs on one derivatives folder: the second is refused at once (issue 18).

Real ``mne-icalabel`` processes on a two-recording dataset: the first run is
started, the test waits until it holds the lock, then starts the second.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time

import pytest

from mne_icalabel.derivatives._layout import derivatives_root
from mne_icalabel.derivatives._lock import LOCK_NAME

from ._writers import (
    APPLY_ARGS,
    BIDS_ARGS,
    hold_env,
    outputs,
    run,
    start,
    wait_for_lock,
)
from ._writers import write_dataset as _write

#: the refusal must come before any heavy work (issue 18's definition of done)
REFUSED_WITHIN = 2.0


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The dataset, and its outputs after uninterrupted bids and apply runs."""
    template = _write(tmp_path_factory.mktemp("two") / "ds")
    root = tmp_path_factory.mktemp("ref") / "ds"
    shutil.copytree(template, root)
    done, _ = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    labelled = outputs(root)
    done, _ = run("apply", root, *APPLY_ARGS)
    assert done.returncode == 0, done.stderr
    return template, labelled, outputs(root)


def _assert_refused(command, root, args, first):
    """Run a second ``command``; assert a refusal naming ``first``, in time."""
    done, elapsed = run(command, root, *args)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert elapsed < REFUSED_WITHIN, (elapsed, done.stderr)
    message = done.stderr.strip().splitlines()[-1]
    assert f"pid {first.pid} on host {socket.gethostname()}" in message
    assert first.started in message and f"'mne-icalabel {first.command}'" in message
    assert LOCK_NAME in message  # the fix: remove the lock if its owner is gone
    print(f"second {command} refused in {elapsed:.2f} s (limit {REFUSED_WITHIN} s)")
    return elapsed


def test_second_bids_and_apply_refused_during_bids(reference, tmp_path):
    """A bids and an apply started during a bids are refused; its outputs hold."""
    template, labelled, _ = reference
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    # the first run waits, lock held, at its first components TSV until the
    # refusals are done: a fast first run cannot end before them
    env, release = hold_env(tmp_path, "*_components.tsv")
    first = start("bids", root, *BIDS_ARGS, env=env)
    try:
        owner = wait_for_lock(first, root)
        assert owner.command == "bids"
        _assert_refused("bids", root, BIDS_ARGS, owner)
        _assert_refused("apply", root, APPLY_ARGS, owner)
        assert first.poll() is None  # the refusals came while it ran
        # held before its first TSV: the hold is what kept it running
        assert not list(derivatives_root(root).rglob("*_components.tsv"))
    finally:
        release.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert outputs(root) == labelled
    assert not (derivatives_root(root) / LOCK_NAME).exists()


def test_second_apply_and_bids_refused_during_apply(reference, tmp_path):
    """The same against a running apply: refused, its cleaned files as alone."""
    template, labelled, cleaned = reference
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    done, _ = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    env, release = hold_env(tmp_path, "*_desc-clean_eeg.fif")
    first = start("apply", root, *APPLY_ARGS, env=env)
    try:
        owner = wait_for_lock(first, root)
        assert owner.command == "apply"
        _assert_refused("apply", root, APPLY_ARGS, owner)
        _assert_refused("bids", root, (*BIDS_ARGS, "--overwrite"), owner)
        assert first.poll() is None
        assert not list(derivatives_root(root).rglob("*_desc-clean_eeg.fif"))
    finally:
        release.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert outputs(root) == cleaned


def test_stale_lock_of_killed_run_taken_over(reference, tmp_path):
    """A bids killed (SIGKILL) holding the lock: the next run takes it over."""
    template, labelled, _ = reference
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    first = start("bids", root, *BIDS_ARGS)
    owner = wait_for_lock(first, root)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    lock = derivatives_root(root) / LOCK_NAME
    assert lock.is_file()  # left behind by the killed run
    begin = time.monotonic()
    done, _ = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - begin < 120
    assert "Took over the stale lock" in done.stderr
    assert f"pid {owner.pid} is not running" in done.stderr
    assert not lock.exists()
    assert outputs(root) == labelled
