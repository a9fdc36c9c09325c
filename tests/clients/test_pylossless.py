"""pylossless's ICLabel step runs unchanged on this package (issue 19).

``FlaggedICs.label_components(epochs, ica)`` (what ``LosslessPipeline.run_ica``
calls) and ``FlaggedICs.save_tsv``, on the epochs and ICA of each simulated
subject, with this package and with mne-icalabel 0.10.0.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pylossless")

from ._checks import check_label_step  # noqa: E402
from ._dataset import N_COMPONENTS  # noqa: E402
from ._harness import PROBA_ATOL  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return check_label_step("pylossless", tmp_path_factory.mktemp("pylossless"))


def test_labels_and_probabilities_of_0_10_0(result):
    comparison = result["comparison"]
    assert comparison["same_labels"], comparison["differences"]
    assert comparison["max_abs_dp"] <= PROBA_ATOL, comparison
    assert comparison["passed"]
    print(f"\npylossless max |dp| vs 0.10.0: {comparison['max_abs_dp']:.2g}")


def test_its_tsv_reads_what_it_needs(result):
    """The TSV it saves: MNE's label of each component, and its top probability."""
    labels = {"brain", "muscle", "eog", "ecg", "line_noise", "ch_noise", "other"}
    for record in result["probe"]["ours"]["recordings"].values():
        proba = np.asarray(record["proba"])
        assert proba.shape == (N_COMPONENTS, 7)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
        assert set(record["labels"]) <= labels
        np.testing.assert_allclose(record["confidence"], proba.max(axis=1), atol=1e-6)
