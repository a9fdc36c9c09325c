"""Damaged files found by a rerun: each reported with the file and the fix.

A labelled two-subject dataset; one file of sub-01 is damaged, then ``bids``
(a rerun, or ``--overwrite``) and ``apply`` run through the command line. The
recording is reported as failed with the file and the fix, its files stay
byte for byte as they were (its manual row included), and sub-02 is processed.
"""

from __future__ import annotations

import json
from pathlib import Path

import mne
import numpy as np
import pytest

from mne_icalabel.annotation import mark_component, read_components_tsv
from mne_icalabel.commands.main import main
from tests.conftest import REVIEW_N_COMPONENTS

pytest.importorskip("mne_bids")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DERIV = Path("derivatives", "mne-icalabel")
STEM = "sub-01/eeg/sub-01_task-rest_run-01"
KEY = f"{STEM}_eeg.vhdr"
OTHER = "sub-02/eeg/sub-02_task-rest_run-01_eeg.vhdr"
BIDS = ("--n-components", str(REVIEW_N_COMPONENTS), "--no-report")


def _outputs(root: Path) -> dict[str, bytes]:
    """Every file of sub-01's derivatives, by name."""
    folder = root / DERIV / "sub-01" / "eeg"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def _failure(text: str, key: str = KEY) -> str:
    lines = [line for line in text.splitlines() if f"failed: {key}:" in line]
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture
def dataset(review_root):
    """The labelled dataset, with a manual decision on sub-01's component 0."""
    tsv = review_root / DERIV / f"{STEM}_components.tsv"
    mark_component(0, tsv, "manual", "eye blink", "Reviewer One", verbose=False)
    return review_root


def _truncate_ica(root):
    fname = root / DERIV / f"{STEM}_ica.fif"
    fname.write_bytes(fname.read_bytes()[: fname.stat().st_size // 2])
    return fname


def _drop_column(root):
    fname = root / DERIV / f"{STEM}_components.tsv"
    lines = fname.read_text(encoding="utf-8").splitlines()
    col = lines[0].split("\t").index("annotate_method")
    rows = [
        "\t".join(f for i, f in enumerate(r.split("\t")) if i != col) for r in lines
    ]
    fname.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return fname


def _break_sidecar(root):
    fname = root / DERIV / f"{STEM}_components.json"
    fname.write_bytes(fname.read_bytes()[:-20])  # cut: not JSON any more
    return fname


def _change_recording(root):
    """Change a few samples of sub-01's data file (same size, same header)."""
    fname = root / f"{STEM}_eeg.eeg"
    data = bytearray(fname.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    fname.write_bytes(bytes(data))
    return fname


def _refit_ica(root):
    """Save another ICA, with the same number of components, over sub-01's."""
    import mne_bids

    fname = root / DERIV / f"{STEM}_ica.fif"
    old = mne.preprocessing.read_ica(fname, verbose=False)
    raw = mne_bids.read_raw_bids(
        mne_bids.get_bids_path_from_fname(root / KEY), verbose=False
    )
    raw.load_data().filter(1.0, None, verbose=False).set_eeg_reference(verbose=False)
    new = mne.preprocessing.ICA(old.n_components_, random_state=99, max_iter=50)
    new.fit(raw.pick(old.ch_names), verbose=False)
    assert not np.allclose(new.unmixing_matrix_, old.unmixing_matrix_)
    new.save(fname, overwrite=True, verbose=False)
    return fname


CASES = {
    # damage: (function, where the rerun finds it, words of the message)
    "truncated ica": (_truncate_ica, ("cannot be read", "truncated or corrupt")),
    "tsv without a column": (_drop_column, ("no column 'annotate_method'",)),
    "sidecar not json": (_break_sidecar, ("is not valid JSON",)),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("overwrite", [False, True], ids=["rerun", "overwrite"])
def test_bids_reports_damage_and_goes_on(dataset, capsys, case, overwrite):
    damage, words = CASES[case]
    fname = damage(dataset)
    before = _outputs(dataset)
    other_tsv = dataset / DERIV / OTHER.replace("_eeg.vhdr", "_components.tsv")
    other_before = other_tsv.read_bytes()
    args = ("bids", str(dataset), *BIDS) + (("--overwrite",) if overwrite else ())
    code, text = _run(capsys, *args)
    assert code != 0
    line = _failure(text)
    assert str(fname.name) in line and all(w in line for w in words), line
    assert "mne-icalabel bids" in line or "Restore" in line  # the fix
    # the damaged recording's files are as they were, its manual row with them
    assert _outputs(dataset) == before
    # the other recording was processed (relabelled, or skipped as up to date)
    assert f"failed: {OTHER}" not in text
    if not overwrite:
        assert other_tsv.read_bytes() == other_before
    assert read_components_tsv(other_tsv)["labels"]
    assert _summary_status(dataset) == {
        KEY: "failed",
        OTHER: "labelled" if overwrite else "skipped",
    }


def _summary_status(root: Path) -> dict[str, str]:
    header, *lines = (root / DERIV / "summary.tsv").read_text("utf-8").splitlines()
    names = header.split("\t")
    rows = [dict(zip(names, line.split("\t"), strict=True)) for line in lines]
    return {row["recording"]: row["status"] for row in rows}


def test_changed_recording_refused_by_overwrite_and_apply(dataset, capsys):
    _change_recording(dataset)
    before = _outputs(dataset)
    code, text = _run(capsys, "bids", str(dataset), *BIDS, "--overwrite")
    assert code != 0
    line = _failure(text)
    assert "changed since it was labelled" in line and "--refit" in line
    assert _outputs(dataset) == before
    code, text = _run(capsys, "apply", str(dataset), "--no-report")
    assert code != 0
    line = _failure(text)
    assert f"The recording {KEY} changed" in line and "--refit" in line
    assert _outputs(dataset) == before  # nothing cleaned for sub-01
    assert f"failed: {OTHER}" not in text


def test_ica_changed_with_same_size(dataset, capsys):
    """Another ICA of as many components: manual rows refused, apply refuses."""
    tsv = dataset / DERIV / f"{STEM}_components.tsv"
    ica_file = _refit_ica(dataset)
    before = _outputs(dataset)
    # a rerun finds it without reading the data
    code, text = _run(capsys, "bids", str(dataset), *BIDS)
    assert code != 0
    line = _failure(text)
    assert "is not the one" in line and ica_file.name in line
    # --overwrite refuses to move the manual decision onto other components
    code, text = _run(capsys, "bids", str(dataset), *BIDS, "--overwrite")
    assert code != 0
    line = _failure(text)
    assert "labelled by hand ([0])" in line and "--discard-manual" in line
    assert _outputs(dataset) == before
    # apply refuses a TSV of another ICA
    code, text = _run(capsys, "apply", str(dataset), "--no-report")
    assert code != 0
    line = _failure(text)
    assert "belongs to another ICA" in line and str(ica_file) in line
    # relabelled without the manual decision: consistent again
    code, text = _run(
        capsys, "bids", str(dataset), *BIDS, "--overwrite", "--discard-manual"
    )
    assert code == 0, text
    fingerprint = json.loads(tsv.with_suffix(".json").read_text())["ICAFingerprint"]
    from mne_icalabel.derivatives._fingerprint import ica_fingerprint

    ica = mne.preprocessing.read_ica(ica_file, verbose=False)
    assert fingerprint["ICA"] == ica_fingerprint(ica)
    assert read_components_tsv(tsv)["labels"][0] is not None
    code, text = _run(capsys, "apply", str(dataset), "--no-report")
    assert code == 0, text
