"""``apply`` killed with SIGKILL at random points, then rerun (issue 18).

On the two-recording dataset of the two-writer tests, labelled once by
``bids``. Kill points: while a cleaned recording is written (MNE writes it
into a temporary folder, then it is moved into place through a temporary
name), while its sidecar is written (the sidecar, written last, marks it
done), between the two recordings (the first sidecar has just appeared),
while ``summary.tsv`` is written, and at seeded random times. After each kill
every file under ``derivatives/`` is read whole (a cleaned recording sample by
sample); the rerun cleans only the recordings without their sidecar and ends
byte-identical to an uninterrupted run.

``summary.tsv`` legitimately differs: its ``seconds`` are timings, and a
recording finished before the kill is ``skipped`` by the rerun (with only its
cleaned file as ``outputs``) where the uninterrupted run says ``applied``;
its other columns are compared.
"""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

import pytest

from mne_icalabel.derivatives._layout import derivatives_root

from ._kill import (
    after,
    kill_and_resume,
    poll,
    report_counts,
    temporaries,
    writing,
)
from ._writers import APPLY_ARGS, BIDS_ARGS, outputs, run
from ._writers import write_dataset as _write

N_RANDOM_KILLS = 3
COUNTS = dict(kills=0, files_checked=0, resumes=0, identical=0)
#: the sidecar of a cleaned recording marks it done (it is written last)
FINISHED = "*_desc-clean_eeg.json"
#: the summary columns that do not depend on timing or on what was skipped
SAME = ("recording", "step", "reference", "n_excluded", "excluded", "error")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The labelled dataset, the outputs of an uninterrupted ``apply``, its time."""
    template = _write(tmp_path_factory.mktemp("kill-apply") / "ds")
    done, _ = run("bids", template, *BIDS_ARGS)
    assert done.returncode == 0, done.stderr
    root = tmp_path_factory.mktemp("ref") / "ds"
    shutil.copytree(template, root)
    done, elapsed = run("apply", root, *APPLY_ARGS)
    assert done.returncode == 0, done.stderr
    return template, outputs(root), _summary(root), elapsed


def _summary(root):
    with open(derivatives_root(root) / "summary.tsv", encoding="utf-8") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


def _resume(reference, root, kill_at) -> None:
    template, expected, summary, _ = reference
    done = kill_and_resume(
        template, expected, root, "apply", APPLY_ARGS, kill_at, FINISHED, COUNTS
    )
    got = _summary(root)
    assert [{c: r[c] for c in SAME} for r in got] == [
        {c: r[c] for c in SAME} for r in summary
    ]
    # the labelling rows are kept as bids wrote them
    assert [r for r in got if r["step"] == "label"] == [
        r for r in summary if r["step"] == "label"
    ]
    # the recordings cleaned before the kill are skipped, the others cleaned
    stems = [Path(name).name.removesuffix(FINISHED[1:]) for name in done]
    for row in got:
        if row["step"] == "apply":
            skipped = any(f"/{stem}_eeg." in row["recording"] for stem in stems)
            assert row["status"] == ("skipped" if skipped else "applied"), row


def _writing_folder(deriv) -> bool:
    """MNE is writing a cleaned recording into a temporary folder."""
    return any(path.is_dir() for path in temporaries(deriv))


def _first_done(deriv) -> bool:
    """The first recording's sidecar is there: between the two recordings."""
    return any(not path.name.startswith(".tmp-") for path in deriv.rglob(FINISHED))


KILL_POINTS = {
    "writing the recording": _writing_folder,
    "moving it into place": lambda deriv: writing(deriv, "_desc-clean_eeg.fif"),
    "writing its sidecar": lambda deriv: writing(deriv, "_desc-clean_eeg.json"),
    "between recordings": _first_done,
    "writing summary.tsv": lambda deriv: writing(deriv, "summary.tsv"),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_while_writing(reference, tmp_path, point):
    condition = KILL_POINTS[point]

    def kill_at(process, deriv):
        return poll(process, lambda: condition(deriv))

    _resume(reference, tmp_path / "ds", kill_at)


@pytest.mark.parametrize("seed", range(N_RANDOM_KILLS))
def test_killed_at_random_time(reference, tmp_path, seed):
    # the imports take most of the run: the second half has the writes
    fraction = random.Random(seed).uniform(0.5, 0.95)
    _resume(reference, tmp_path / "ds", after(fraction, reference[3]))


def test_counts_for_the_notes(capsys):
    """Print what the kill tests did (run last in this file)."""
    with capsys.disabled():
        print(report_counts("apply kill suite", COUNTS))
