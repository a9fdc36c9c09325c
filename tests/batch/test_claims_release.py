"""A run releases each recording's claim as its row arrives, not at its end."""

from __future__ import annotations

from mne_icalabel.batch import _step, label_bids_dataset
from mne_icalabel.derivatives import derivatives_root
from mne_icalabel.derivatives._claims import claim_files

from .conftest import N_COMPONENTS


def test_claim_released_when_its_row_arrives(bids_root, monkeypatch):
    deriv = derivatives_root(bids_root)
    claims_at_start: list[tuple[str, set[str]]] = []
    run_job = _step.run_job

    def recording(job, *args, **kwargs):
        names = {path.name for path in claim_files(deriv)}
        claims_at_start.append((job.key, names))
        return run_job(job, *args, **kwargs)

    monkeypatch.setattr(_step, "run_job", recording)
    summary = label_bids_dataset(
        bids_root, n_components=N_COMPONENTS, n_jobs=1, report=False, verbose="error"
    )
    assert list(summary["status"]) == ["labelled", "labelled"]
    (first, at_first), (second, at_second) = claims_at_start
    # (claim file names hold the quoted recording key)
    assert len(at_first) == 2  # both claimed before any work
    assert len(at_second) == 1  # the first one's row is in: released
    assert claim_files(deriv) == []
