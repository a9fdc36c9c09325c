"""mne-bids-pipeline's ICA steps run unchanged on this package (issue 19).

Its preprocessing, up to ``_06a2_find_ica_artifacts`` (``ica_use_icalabel``),
runs through ``mne_bids_pipeline --steps`` on a simulated 2-subject BIDS
dataset with this package; the labelling step runs again on the same ICA fit
with mne-icalabel 0.10.0 answering, and the step's own ``_run_icalabel`` is
called on the files it read, with each package, for the full probabilities.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mne_bids_pipeline")

from ._checks import check_mne_bids_pipeline  # noqa: E402
from ._dataset import N_COMPONENTS, SUBJECTS  # noqa: E402
from ._harness import PROBA_ATOL  # noqa: E402
from ._registry import PIPELINE_CLASSES  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return check_mne_bids_pipeline(tmp_path_factory.mktemp("mne-bids-pipeline"))


def test_excludes_the_components_of_0_10_0(result):
    ours, theirs = result["pipeline"]["ours"], result["pipeline"]["upstream"]
    for subject in SUBJECTS:
        name = f"sub-{subject}"
        assert ours[name]["excluded"] == theirs[name]["excluded"], name
        # the step's function, called on its inputs, decided what its TSV says
        probe = result["probe"]["ours"]["recordings"][f"{name}_proc-icafit"]
        assert probe["excluded"] == ours[name]["excluded"]
    # the simulation's blinks are excluded: the comparison is not of nothing
    assert all(0 in ours[f"sub-{s}"]["excluded"] for s in SUBJECTS), ours
    print(
        "\nmne-bids-pipeline excluded: "
        + "; ".join(f"sub-{s}: {ours[f'sub-{s}']['excluded']}" for s in SUBJECTS)
        + f" (0.10.0: the same); wall {result['seconds']['ours']:.0f} s"
    )


def test_probabilities_and_labels_of_0_10_0(result):
    comparison = result["comparison"]
    assert comparison["same_labels"], comparison["differences"]
    assert comparison["same_excluded"], comparison["differences"]
    assert comparison["max_abs_dp"] <= PROBA_ATOL, comparison
    assert comparison["passed"]
    print(f"\nmne-bids-pipeline max |dp| vs 0.10.0: {comparison['max_abs_dp']:.2g}")


def test_report_shows_the_iclabel_table(result):
    """Each subject's HTML report has the table, one row per component."""
    ours = result["pipeline"]["ours"]
    for subject in SUBJECTS:
        name = f"sub-{subject}"
        table = ours[name]["table"]
        assert [row[0] for row in table] == [f"ICA{i:03d}" for i in range(N_COMPONENTS)]
        record = result["probe"]["ours"]["recordings"][f"{name}_proc-icafit"]
        proba = np.asarray(record["proba"])
        for i, row in enumerate(table):
            best = PIPELINE_CLASSES[int(proba[i].argmax())]
            assert row[1] == record["labels"][i] == best
            assert row[3] == ("Yes" if i in ours[name]["excluded"] else "No")
            assert row[4:] == [f"{p:0.3f}" for p in proba[i]]
