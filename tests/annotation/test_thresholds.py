"""Exclusion rules on hand-made probability matrices, boundaries included."""

from __future__ import annotations

import numpy as np
import pytest

from mne_icalabel.annotation import flag_components, flag_non_included


def _iclabel(rows: dict[int, float], n: int = 6, column: int = 2) -> np.ndarray:
    """(n, 7) probabilities with ``column`` set per row, the rest on 'other'."""
    proba = np.zeros((n, 7))
    proba[:, 6] = 1.0
    for row, value in rows.items():
        proba[row, column] = value
        proba[row, 6] = 1.0 - value
    return proba


# eye blink probabilities: below, at min, inside, just below max, at max (=1)
_EYE = _iclabel({0: 0.8999, 1: 0.9, 2: 0.95, 3: 0.9999, 4: 1.0})


@pytest.mark.parametrize(
    ("inclusive", "expected"),
    [
        ("both", [1, 2, 3, 4]),
        ("neither", [2, 3]),  # EEGLAB: p = 1 escapes [0.9 1]
        ("left", [1, 2, 3]),
        ("right", [2, 3, 4]),
    ],
)
def test_flag_components_boundaries(inclusive, expected):
    flagged = flag_components(_EYE, {"eye blink": (0.9, 1.0)}, inclusive=inclusive)
    assert flagged.tolist() == expected
    assert flagged.dtype == np.int64


def test_flag_components_several_classes_and_aliases():
    proba = _EYE.copy()
    proba[5] = [0.0, 0.92, 0.0, 0.0, 0.0, 0.0, 0.08]  # muscle
    for eye in ("eye blink", "Eye", "eog"):
        flagged = flag_components(proba, {eye: (0.9, 1), "Muscle": [0.9, 1]})
        assert flagged.tolist() == [1, 2, 3, 4, 5]
    # a range on brain: flag the components that are surely not brain
    assert flag_components(proba, {"brain": (0, 0.1)}).tolist() == list(range(6))
    # a degenerate range (min == max) is an equality test
    assert flag_components(proba, {"eye blink": (0.95, 0.95)}).tolist() == [2]
    assert (
        flag_components(proba, {"eye blink": (0.95, 0.95)}, inclusive="left").size == 0
    )


def test_flag_components_megnet():
    proba = np.array(
        [[0.9, 0.05, 0.05, 0.0], [0.1, 0.0, 0.0, 0.9], [0.2, 0.8, 0.0, 0.0]]
    )
    assert flag_components(proba, {"eye movement": (0.9, 1)}).tolist() == [1]
    assert flag_components(
        proba, {"eye blink": (0.5, 1), "heart beat": (0.5, 1)}
    ).tolist() == [2]
    with pytest.raises(
        ValueError, match="Unknown class name .*'eog' for method 'megnet'"
    ):
        flag_components(proba, {"eog": (0.5, 1)})
    with pytest.raises(ValueError, match="have 4 columns but method 'iclabel'"):
        flag_components(proba, {"brain": (0.5, 1)}, method="iclabel")


@pytest.mark.parametrize(
    ("thresholds", "error", "match"),
    [
        ({"eyes": (0.9, 1)}, ValueError, "Unknown class name .*'eyes'.* 'eye blink'"),
        ({"eye blink": (0.9, 1.1)}, ValueError, "max must be between 0 and 1, got 1.1"),
        ({"eye blink": (-0.1, 1)}, ValueError, "min must be between 0 and 1"),
        ({"eye blink": (float("nan"), 1)}, ValueError, "between 0 and 1, got nan"),
        ({"eye blink": (0.95, 0.9)}, ValueError, "min 0.95 > max 0.9"),
        ({"eye blink": (0.9,)}, ValueError, "must be a pair"),
        ({"eye blink": 0.9}, TypeError, "must be a pair"),
        ({"eye blink": "0.9-1"}, TypeError, "must be a pair"),
        ({"eye blink": (True, 1)}, TypeError, "must be a number"),
        ({"eye blink": (0.9, 1), "Eye": (0.5, 1)}, ValueError, "given twice"),
        ({}, ValueError, "is empty"),
        (
            [("eye blink", (0.9, 1))],
            TypeError,
            "thresholds must be an instance of dict",
        ),
    ],
)
def test_flag_components_invalid_thresholds(thresholds, error, match):
    with pytest.raises(error, match=match):
        flag_components(_EYE, thresholds)


def test_invalid_probabilities():
    with pytest.raises(ValueError, match="inclusive"):
        flag_components(_EYE, {"brain": (0, 1)}, inclusive="all")
    with pytest.raises(ValueError, match="expected 7 \\(ICLabel\\) or 4"):
        flag_components(np.full((2, 5), 0.2), {"brain": (0, 1)})
    with pytest.raises(ValueError, match="must be a 2D array"):
        flag_components(np.full(7, 1 / 7), {"brain": (0, 1)})
    with pytest.raises(ValueError, match="NaN or infinite"):
        flag_components(np.full((1, 7), np.nan), {"brain": (0, 1)})
    with pytest.raises(ValueError, match="between 0 and 1"):
        flag_components(np.full((1, 7), 2.0), {"brain": (0, 1)})
    with pytest.raises(ValueError, match="needs an ICA instance"):
        flag_components(_EYE, {"brain": (0, 1)}, add_to_exclude=True)


def test_ica_exclude_only_when_asked(fitted_ica):
    ica = fitted_ica.copy()
    with pytest.raises(ValueError, match="no class probabilities"):
        flag_components(ica, {"eye blink": (0.9, 1)})
    ica.labels_scores_ = _EYE[:5].astype(np.float32)
    ica.exclude = [4, 0]
    flagged = flag_components(ica, {"eye blink": (0.9, 1)})
    # float32(0.9) < 0.9: the thresholds are compared in float32 as well
    assert flagged.tolist() == [1, 2, 3, 4]
    assert ica.exclude == [4, 0]  # never changed by default
    flag_components(ica, {"eye blink": (0.9, 1)}, add_to_exclude=True)
    assert ica.exclude == [4, 0, 1, 2, 3]
    ica.exclude = []
    flag_non_included(ica, add_to_exclude=True)
    assert ica.exclude == [0, 1, 2, 3, 4]  # eye blink is the most probable
    ica.labels_scores_ = _EYE
    with pytest.raises(ValueError, match="has 6 rows but the ICA has 5"):
        flag_non_included(ica)


def test_flag_non_included_argmax_rule():
    proba = np.array(
        [
            [0.5, 0.1, 0.3, 0.0, 0.0, 0.0, 0.1],  # brain
            [0.3, 0.1, 0.4, 0.0, 0.0, 0.0, 0.2],  # eye
            [0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.9],  # other
            [0.0, 0.6, 0.0, 0.0, 0.0, 0.0, 0.4],  # muscle
            [0.4, 0.0, 0.0, 0.4, 0.0, 0.0, 0.2],  # tie brain/heart: first wins
        ]
    )
    assert flag_non_included(proba).tolist() == [1, 3]
    assert flag_non_included(proba, include=["brain"]).tolist() == [1, 2, 3]
    assert flag_non_included(proba, include="Brain").tolist() == [1, 2, 3]
    assert flag_non_included(proba, include=[]).tolist() == [0, 1, 2, 3, 4]
    # an included class reaching its keep threshold (>=) saves the component
    assert flag_non_included(proba, keep_threshold=0.3).tolist() == []
    assert flag_non_included(proba, keep_threshold={"brain": 0.3}).tolist() == [3]
    assert flag_non_included(proba, keep_threshold={"other": 0.4}).tolist() == [1]
    assert flag_non_included(proba, keep_threshold=0.41).tolist() == [1, 3]


def test_flag_non_included_thresholds():
    proba = np.array(
        [
            [0.2, 0.0, 0.8, 0.0, 0.0, 0.0, 0.0],  # eye exactly at 0.8
            [0.21, 0.0, 0.79, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.5],  # heart, half other
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    assert flag_non_included(proba, exclusion_threshold=0.8).tolist() == [0]
    assert flag_non_included(proba, exclusion_threshold=0.5).tolist() == [0, 1, 2]
    # heart at 0.5 but 'other' reaches its keep threshold 0.5
    assert flag_non_included(
        proba, exclusion_threshold=0.5, keep_threshold={"other": 0.5}
    ).tolist() == [0, 1]
    # classes missing from a dict never flag
    assert flag_non_included(
        proba, exclusion_threshold={"heart beat": 0.5}
    ).tolist() == [2]
    assert flag_non_included(proba, exclusion_threshold={"eog": 0.79}).tolist() == [
        0,
        1,
    ]
    assert flag_non_included(proba, exclusion_threshold=0.0).tolist() == [0, 1, 2, 3]
    assert flag_non_included(
        proba, exclusion_threshold=0.0, keep_threshold=1.0
    ).tolist() == [0, 1, 2]
    # MEGNet
    megnet = np.array([[0.3, 0.7, 0.0, 0.0], [0.9, 0.0, 0.1, 0.0]])
    assert flag_non_included(megnet, include=["brain/other"]).tolist() == [0]
    with pytest.raises(ValueError, match="Unknown class name"):
        flag_non_included(megnet)  # 'brain' and 'other' are ICLabel's


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(include=["brian"]), ValueError, "Unknown class name .*'brian'"),
        (dict(include=["brain", "Brain"]), ValueError, "given twice"),
        (dict(include=3), TypeError, "include must be an instance of list of str"),
        (dict(exclusion_threshold=1.5), ValueError, "between 0 and 1, got 1.5"),
        (dict(exclusion_threshold="0.8"), TypeError, "must be a number"),
        (dict(exclusion_threshold={"brain": 0.8}), ValueError, "it is in 'include'"),
        (dict(keep_threshold={"eye blink": 0.8}), ValueError, "it is not in 'include'"),
        (dict(keep_threshold={"other": -1}), ValueError, "between 0 and 1"),
        (dict(method="megnet"), ValueError, "have 7 columns but method 'megnet'"),
    ],
)
def test_flag_non_included_invalid(kwargs, error, match):
    with pytest.raises(error, match=match):
        flag_non_included(_EYE, **kwargs)
