"""``bids`` killed with SIGKILL at random points, then rerun (issue 18).

Real processes in their own process group (so the kill reaches everything
they started), on the two-recording dataset of the two-writer tests. Kill
points: the moment a temporary file of each kind of output appears (the
process is then writing it: an ICA, a components TSV or its sidecar,
``summary.tsv``), and seeded random times. After each kill every file under
``derivatives/`` is read whole; the rerun redoes only the unfinished
recordings and ends byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import random
import shutil

import pytest

from ._kill import after, kill_and_resume, poll, report_counts, writing
from ._writers import BIDS_ARGS, outputs, run
from ._writers import write_dataset as _write

#: one kill while each of these is being written, then random times
KILL_WHILE_WRITING = ("_ica.fif", "_components.tsv", "_components.json", "summary.tsv")
N_RANDOM_KILLS = 3
COUNTS = dict(kills=0, files_checked=0, resumes=0, identical=0)
#: the components TSV marks a recording labelled (it is written last)
FINISHED = "*_components.tsv"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The dataset and the outputs of an uninterrupted ``bids``, with its time."""
    template = _write(tmp_path_factory.mktemp("kill") / "ds")
    root = tmp_path_factory.mktemp("ref") / "ds"
    shutil.copytree(template, root)
    done, elapsed = run("bids", root, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    return template, outputs(root), elapsed


def _resume(reference, root, kill_at) -> None:
    template, expected, _ = reference
    kill_and_resume(
        template, expected, root, "bids", BIDS_ARGS, kill_at, FINISHED, COUNTS
    )


@pytest.mark.parametrize("suffix", KILL_WHILE_WRITING)
def test_killed_while_writing(reference, tmp_path, suffix):
    def kill_at(process, deriv):
        return poll(process, lambda: writing(deriv, suffix))

    _resume(reference, tmp_path / "ds", kill_at)


@pytest.mark.parametrize("seed", range(N_RANDOM_KILLS))
def test_killed_at_random_time(reference, tmp_path, seed):
    # somewhere in the run after its imports (about a second), seeded
    fraction = random.Random(seed).uniform(0.2, 0.7)
    _resume(reference, tmp_path / "ds", after(fraction, reference[2]))


def test_counts_for_the_notes(capsys):
    """Print what the kill tests did (run last in this file)."""
    with capsys.disabled():
        print(report_counts("bids kill suite", COUNTS))
