"""Runs on one dataset at once, as array jobs start them (issue 27).

Real ``mne-icalabel`` processes on a four-subject dataset: runs on different
subjects all proceed; a run whose selection overlaps a live run's refuses the
overlap by name, labels the rest and exits non-zero.
"""

from __future__ import annotations

import csv
import shutil

import pytest

from mne_icalabel.derivatives._layout import derivatives_root

from ..batch.conftest import write_subject
from ._writers import (
    BIDS_ARGS,
    DURATION,
    hold_env,
    outputs,
    run,
    start,
    wait_for_hold,
    wait_for_lock,
)

SUBJECTS = ("01", "02", "03", "04")


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    """The four-subject dataset (32 channels, 30 s each)."""
    root = tmp_path_factory.mktemp("four") / "ds"
    for seed, subject in enumerate(SUBJECTS):
        write_subject(root, subject, seed, duration=DURATION)
    return root


def _summary(root):
    with open(derivatives_root(root) / "summary.tsv", encoding="utf-8") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


def test_disjoint_runs_all_proceed(four, tmp_path):
    """Four ``bids --subject NN`` at once: 4/4 labelled, 4 rows in summary.tsv."""
    root = tmp_path / "ds"
    shutil.copytree(four, root)
    processes = [
        start("bids", root, "--subject", subject, *BIDS_ARGS) for subject in SUBJECTS
    ]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, (out, err)
    rows = _summary(root)
    assert sorted(row["recording"].split("/")[0] for row in rows) == [
        f"sub-{s}" for s in SUBJECTS
    ]
    assert {row["status"] for row in rows} == {"labelled"}
    assert len(list(derivatives_root(root).rglob("*_components.tsv"))) == 4
    # nothing of the runs' claims and locks is left
    assert not list(derivatives_root(root).rglob("*.lock"))
    # the same files as one run over the whole dataset
    whole = tmp_path / "whole"
    shutil.copytree(four, whole)
    done, _ = run("bids", whole, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    assert outputs(root) == outputs(whole)


def test_overlapping_run_refuses_the_overlap(four, tmp_path):
    """A run on 02-03 while one on 01-02 works: 02 refused by name, 03 labelled."""
    root = tmp_path / "ds"
    shutil.copytree(four, root)
    # the first run waits at its first components TSV until released
    env, release = hold_env(tmp_path, "*_components.tsv")
    first = start("bids", root, "--subject", "01", "02", *BIDS_ARGS, env=env)
    try:
        owner = wait_for_lock(first, root)
        # held at its first TSV: past its claims, which it links one after
        # another (the first claim found is not yet its claim on sub-02)
        wait_for_hold(first, tmp_path)
        second, _ = run("bids", root, "--subject", "02", "03", *BIDS_ARGS)
        assert first.poll() is None  # the first run was still working
        assert second.returncode != 0
        assert "refused: sub-02/eeg/sub-02_task-rest_run-01_eeg.vhdr" in second.stdout
        assert f"pid {owner.pid} on host {owner.host}" in second.stdout
        assert owner.started in second.stdout
        tsvs = sorted(
            p.name
            for p in derivatives_root(root).rglob("*_components.tsv")
            if not p.name.startswith(".tmp-")  # the held run's temporary
        )
        # the second run labelled only its own; the first has written nothing yet
        assert tsvs == ["sub-03_task-rest_run-01_components.tsv"]
    finally:
        release.touch()
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, (out, err)
    rows = {row["recording"].split("/")[0]: row["status"] for row in _summary(root)}
    assert rows == {"sub-01": "labelled", "sub-02": "labelled", "sub-03": "labelled"}
    print("concurrent runs: disjoint 4/4 labelled; overlap refused by name")
