"""Fixtures shared by the fault tests."""

from __future__ import annotations

import shutil

import pytest

from ._writers import APPLY_ARGS, BIDS_ARGS, outputs, run, write_dataset


@pytest.fixture(scope="session")
def writers_reference(tmp_path_factory):
    """The two-recording dataset of ``_writers``, and its outputs after
    uninterrupted bids and apply runs: ``(template, labelled, cleaned)``.
    """
    template = write_dataset(tmp_path_factory.mktemp("two") / "ds")
    root = tmp_path_factory.mktemp("ref") / "ds"
    shutil.copytree(template, root)
    done, _ = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    labelled = outputs(root)
    done, _ = run("apply", root, *APPLY_ARGS)
    assert done.returncode == 0, done.stderr
    return template, labelled, outputs(root)
