"""Two runs on one derivatives folder: the second is refused at once (issue 18).

Real ``mne-icalabel`` processes on a two-recording dataset: the first run is
started, the test waits until it holds the lock, then starts the second.
What is asserted is the order of events, not a time (a loaded machine makes
any time limit fail): the second run is refused while the first is held
before its first output, the refusal names the first run, and the second run
neither dispatched any recording nor changed the derivatives folder. How long
a refusal takes is measured by ``benchmarks/bench_two_writers.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from pathlib import Path

from mne_icalabel.derivatives._claims import claim_files
from mne_icalabel.derivatives._layout import derivatives_root
from mne_icalabel.derivatives._lock import LOCK_NAME

from ._writers import (
    APPLY_ARGS,
    BIDS_ARGS,
    hold_env,
    outputs,
    run,
    start,
    wait_for_hold,
    wait_for_lock,
)


def _files(root: Path) -> dict[str, bytes]:
    """Every file of the derivatives but the lock (its heartbeat touches it)."""
    deriv = derivatives_root(root)
    return {
        p.relative_to(deriv).as_posix(): p.read_bytes()
        for p in sorted(deriv.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


def _assert_refused(command, root, args, first, process):
    """Run a second ``command`` while ``process`` (``first``) is held.

    The refusal names the first run and comes before any work of its own:
    no recording dispatched, the derivatives folder unchanged, and the first
    run still held before its first output when it ends.
    """
    before = _files(root)
    done, _ = run(command, root, *args)
    assert done.returncode == 1, (done.stdout, done.stderr)
    message = done.stderr.strip().splitlines()[-1]
    assert f"pid {first.pid} on host {socket.gethostname()}" in message
    assert first.started in message and f"'mne-icalabel {first.command}'" in message
    assert LOCK_NAME in message  # the fix: remove the lock if its owner is gone
    # refused before doing anything: no recording found, none dispatched
    assert "recording(s)" not in done.stdout + done.stderr
    assert "Labelling" not in done.stderr and "Applying" not in done.stderr
    assert _files(root) == before
    assert process.poll() is None  # the first run was still held meanwhile


def test_second_bids_and_apply_refused_during_bids(writers_reference, tmp_path):
    """A bids and an apply started during a bids are refused; its outputs hold."""
    template, labelled, _ = writers_reference
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    # the first run waits, lock held, at its first output (the dataset
    # description) until the refusals are done: they come before it wrote any
    env, release = hold_env(tmp_path, "*dataset_description.json")
    first = start("bids", root, *BIDS_ARGS, env=env)
    deriv = derivatives_root(root)
    try:
        owner = wait_for_lock(first, root)
        assert owner.command == "bids"
        wait_for_hold(first, tmp_path)
        _assert_refused("bids", root, BIDS_ARGS, owner, first)
        _assert_refused("apply", root, APPLY_ARGS, owner, first)
        # nothing written by the first run yet but its lock and run state
        assert not (deriv / "dataset_description.json").exists()
        assert not [p for p in deriv.iterdir() if p.name.startswith("sub-")]
    finally:
        release.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert outputs(root) == labelled
    assert not (derivatives_root(root) / LOCK_NAME).exists()


def test_second_apply_and_bids_refused_during_apply(writers_reference, tmp_path):
    """The same against a running apply: refused, its cleaned files as alone."""
    template, labelled, cleaned = writers_reference
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    done, _ = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    env, release = hold_env(tmp_path, "*_desc-clean_eeg.fif")
    first = start("apply", root, *APPLY_ARGS, env=env)
    try:
        owner = wait_for_lock(first, root)
        assert owner.command == "apply"
        # held at its first cleaned file (MNE opens it to write, in a
        # temporary folder, after creating a first part's name there)
        wait_for_hold(first, tmp_path)
        _assert_refused("apply", root, APPLY_ARGS, owner, first)
        _assert_refused("bids", root, (*BIDS_ARGS, "--overwrite"), owner, first)
        assert not list(derivatives_root(root).rglob("*_desc-clean_eeg.fif"))
    finally:
        release.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert outputs(root) == cleaned


def test_stale_lock_of_killed_run_taken_over(writers_reference, tmp_path):
    """A bids killed (SIGKILL) holding its claims: the next run takes them over."""
    template, labelled, _ = writers_reference
    root = tmp_path / "ds"
    shutil.copytree(template, root)
    first = start("bids", root, *BIDS_ARGS)
    owner = wait_for_lock(first, root)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    claims = claim_files(derivatives_root(root))
    assert claims  # left behind by the killed run
    begin = time.monotonic()
    done, _ = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - begin < 120
    assert "Took over the stale lock" in done.stderr
    assert f"pid {owner.pid} is not running" in done.stderr
    assert not any(claim.exists() for claim in claims)
    assert outputs(root) == labelled
