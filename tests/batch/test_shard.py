"""``shard=(k, n)`` / ``--shard K/N``: a deterministic part of the recordings."""

from __future__ import annotations

import random

import pytest

from mne_icalabel.batch._shard import check_shard, parse_shard, select_part
from mne_icalabel.commands.main import main
from mne_icalabel.derivatives._layout import derivatives_root

KEYS = [f"sub-{k:02d}/eeg/sub-{k:02d}_task-rest_eeg.vhdr" for k in range(1, 12)]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 11, 15])
def test_parts_cover_each_recording_once(n):
    """The n parts are disjoint, cover all, differ in size by one at most."""
    shuffled = random.Random(n).sample(KEYS, len(KEYS))
    parts = [select_part(shuffled, (k, n), str) for k in range(1, n + 1)]
    flat = [key for part in parts for key in part]
    assert sorted(flat) == sorted(KEYS) and len(flat) == len(KEYS)
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) <= 1
    # round-robin over the sorted keys, whatever the input order
    assert parts == [sorted(KEYS)[k::n] for k in range(n)]
    # k = 0 is part n (0-based arrays cover every part once too)
    assert select_part(KEYS, check_shard((0, n)), str) == parts[-1]


def test_one_part_per_recording_is_one_recording_each():
    n = len(KEYS)
    assert [select_part(KEYS, (k, n), str) for k in range(1, n + 1)] == [
        [key] for key in sorted(KEYS)
    ]


def test_parse_and_check():
    assert parse_shard("3/8") == (3, 8)
    assert parse_shard(" 0/8 ") == (8, 8)
    assert check_shard("1/1") == (1, 1)
    assert check_shard([2, 4]) == (2, 4)
    assert check_shard(None) is None
    for bad in ("9/8", "-1/8", "1/0", "3", "a/b", "$SLURM_ARRAY_TASK_ID/8", "1/2/3"):
        with pytest.raises(ValueError, match="not a part: expected K/N"):
            parse_shard(bad)
    with pytest.raises(ValueError, match=r"shard=\(5, 4\) is not a part"):
        check_shard((5, 4))
    with pytest.raises(ValueError, match="must be \\(k, n\\)"):
        check_shard((1, 2, 3))
    with pytest.raises(TypeError, match="shard must be an instance of"):
        check_shard(2)


def test_cli_refuses_a_bad_shard(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["bids", str(tmp_path), "--shard", "5/4"])
    assert info.value.code == 2
    assert "'5/4' is not a part" in capsys.readouterr().err
    assert not (tmp_path / "derivatives").exists()


def test_bids_and_apply_run_one_part(bids_root):
    """Part 2/2 of the two subjects labels and cleans sub-02 only; 3/3 is empty."""
    from mne_icalabel.batch import apply_bids_dataset, label_bids_dataset

    deriv = derivatives_root(bids_root)
    summary = label_bids_dataset(
        bids_root, shard=(2, 2), n_components=5, report=False, verbose=False
    )
    assert list(summary["recording"]) == ["sub-02/eeg/sub-02_task-rest_run-01_eeg.vhdr"]
    assert list(summary["status"]) == ["labelled"]
    assert sorted(p.name for p in deriv.rglob("*_components.tsv")) == [
        "sub-02_task-rest_run-01_components.tsv"
    ]
    summary = label_bids_dataset(bids_root, shard="3/3", verbose=False)
    assert summary.empty
    args = ["--shard", "1/2", "--n-components", "5", "--no-report"]
    assert main(["bids", str(bids_root), *args]) == 0
    assert len(list(deriv.rglob("*_components.tsv"))) == 2
    summary = apply_bids_dataset(bids_root, shard=(1, 2), report=False, verbose=False)
    assert list(summary["status"]) == ["applied"]
    assert [p.name for p in deriv.rglob("*_desc-clean_eeg.fif")] == [
        "sub-01_task-rest_run-01_desc-clean_eeg.fif"
    ]
