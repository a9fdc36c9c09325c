"""The exclusion policy: mne-bids-pipeline's rule, argmax, margins, records."""

import json

import numpy as np
import pytest

from mne_icalabel.annotation._classes import CLASSES
from mne_icalabel.annotation.policy import ExclusionPolicy

_OTHERS = [c for c in CLASSES["iclabel"] if c not in ("brain", "other")]


def _rows(*rows, method="iclabel"):
    """Probability rows from {class: p} dicts, the rest spread evenly."""
    classes = CLASSES[method]
    out = np.zeros((len(rows), len(classes)))
    for k, row in enumerate(rows):
        rest = [c for c in classes if c not in row]
        fill = (1 - sum(row.values())) / len(rest)
        out[k] = [row.get(c, fill) for c in classes]
    return out


def test_default_rule_is_the_pipelines():
    """Excluded when a non-kept class has p >= 0.8 and no kept class p >= 0.3."""
    proba = _rows(
        {"eye blink": 0.85, "brain": 0.1},  # excluded
        {"eye blink": 0.75, "brain": 0.1},  # kept: below 0.8
        {"eye blink": 0.8, "other": 0.1},  # excluded: the bound is included
        {"muscle artifact": 0.6, "brain": 0.35},  # kept: argmax artifact, < 0.8
        {"brain": 0.9},
        {"other": 0.6, "heart beat": 0.3},
    )
    policy = ExclusionPolicy()
    excluded = policy.decide(proba, "iclabel").excluded
    assert excluded.tolist() == [True, False, True, False, False, False]
    # the argmax rule excludes every component whose top class is not kept:
    # by default brain only, as write_components_tsv's status
    argmax = ExclusionPolicy(rule="argmax", include=["brain", "other"])
    assert argmax.decide(proba, "iclabel").excluded.tolist() == [1, 1, 1, 1, 0, 0]
    argmax = ExclusionPolicy(rule="argmax").decide(proba, "iclabel").excluded
    assert argmax.tolist() == [True, True, True, True, False, True]
    desc = policy.decide(proba, "iclabel").descriptions
    assert desc[0] == "Auto-detected eye blink (p=0.85) by iclabel"
    assert desc[4] == "Kept: brain (p=0.90) by iclabel"
    assert "below the exclusion threshold 0.8" in desc[1]


def test_class_threshold_keeps():
    proba = _rows({"eye blink": 0.85, "brain": 0.12}, {"eye blink": 0.6, "brain": 0.4})
    assert ExclusionPolicy().decide(proba, "iclabel").excluded.tolist() == [True, False]
    # a kept class at 0.1 keeps the first one
    policy = ExclusionPolicy(class_threshold={"brain": 0.1})
    assert policy.decide(proba, "iclabel").excluded.tolist() == [False, False]
    assert "brain p=0.12 >= 0.1" in policy.decide(proba, "iclabel").descriptions[0]
    # a lower exclusion threshold for eye blink excludes the second
    policy = ExclusionPolicy(exclusion_threshold={"Eye": 0.5}, class_threshold=0.5)
    assert policy.decide(proba, "iclabel").excluded.tolist() == [True, True]


def test_include_and_megnet():
    proba = _rows({"muscle artifact": 0.9}, method="iclabel")
    policy = ExclusionPolicy(include=["brain", "other", "muscle artifact"])
    assert not policy.decide(proba, "iclabel").excluded[0]
    # for MEGNet, brain and other name its brain/other class
    meg = _rows(
        {"brain/other": 0.1, "eye blink": 0.85}, {"brain/other": 0.9}, method="megnet"
    )
    assert policy.check(["iclabel", "megnet"]) is policy
    assert policy.decide(meg, "megnet").excluded.tolist() == [True, False]
    assert ExclusionPolicy().decide(meg, "megnet").excluded.tolist() == [True, False]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(include=["brian"]), "Unknown class name 'brian'"),
        (dict(include=[]), "at least one class"),
        (dict(exclusion_threshold={"brain": 0.5}), "'brain' is kept"),
        (dict(class_threshold={"eye blink": 0.5}), "'eye blink' is not kept"),
        (dict(exclusion_threshold=1.5), "between 0 and 1"),
        (dict(class_threshold={"brain": float("nan")}), "between 0 and 1"),
        (dict(rule="argmax", exclusion_threshold=0.9), "cannot be used with"),
        (dict(rule="max"), "rule"),
        (dict(include=["muscle artifact"]), "None of the classes"),
    ],
)
def test_invalid(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExclusionPolicy(**kwargs).check(["iclabel", "megnet"])


def test_margin_orders_by_doubt():
    proba = _rows(
        {"eye blink": 0.99, "brain": 0.005},  # sure exclusion
        {"eye blink": 0.81, "brain": 0.1},  # just excluded: margin 0.01
        {"brain": 0.95},  # sure keep
        {"eye blink": 0.78, "brain": 0.1},  # just kept: margin 0.02
    )
    margin = ExclusionPolicy().decide(proba, "iclabel").margin
    np.testing.assert_allclose(margin[[1, 3]], [0.01, 0.02], atol=1e-12)
    assert np.argsort(margin).tolist()[:2] == [1, 3]
    assert (margin >= 0).all()
    # moving a probability by less than the margin never flips the decision
    policy = ExclusionPolicy()
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.full(7, 0.3), size=500)
    m = policy.decide(p, "iclabel").margin
    before = policy.decide(p, "iclabel").excluded
    for col in range(7):
        for sign in (-1, 1):
            q = p.copy()
            q[:, col] = np.clip(q[:, col] + sign * 0.999 * m, 0, 1)
            assert (policy.decide(q, "iclabel").excluded == before).all()


def test_record_round_trip():
    policy = ExclusionPolicy(
        include=("brain", "other"), exclusion_threshold={"eye blink": 0.7}
    )
    content = json.loads(json.dumps(policy.to_dict(["iclabel"])))
    assert content["iclabel"]["ExclusionThresholds"]["eye blink"] == 0.7
    assert content["iclabel"]["ClassThresholds"]["brain"] == 0.3
    again = ExclusionPolicy.from_dict(content)
    p = np.random.default_rng(1).dirichlet(np.full(7, 0.3), size=200)
    assert (
        again.decide(p, "iclabel").excluded == policy.decide(p, "iclabel").excluded
    ).all()
    assert "iclabel keeps brain, other" in policy.summary(["iclabel"])
    argmax = ExclusionPolicy.from_dict(
        ExclusionPolicy(rule="argmax").to_dict(["megnet"])
    )
    assert argmax.rule == "argmax"


def test_deciding_class_is_the_one_that_reached_its_threshold():
    """A lowered threshold excludes for its class, not for the top other one."""
    proba = _rows(
        {"eye blink": 0.35, "muscle artifact": 0.4, "brain": 0.1},
        {"brain": 0.9},
    )
    policy = ExclusionPolicy(exclusion_threshold={"eye blink": 0.3})
    decision = policy.decide(proba, "iclabel")
    assert decision.excluded.tolist() == [True, False]
    assert decision.exclude == [0]
    assert decision.labels == ("eye blink", "brain")
    np.testing.assert_allclose(decision.probability, [0.35, 0.9])
    assert decision.descriptions[0] == "Auto-detected eye blink (p=0.35) by iclabel"
    # the argmax rule: the top class
    argmax = ExclusionPolicy(rule="argmax").decide(proba, "iclabel")
    assert argmax.labels == ("muscle artifact", "brain")
    assert argmax.descriptions[0] == "Auto-detected muscle artifact (p=0.40) by iclabel"


def test_decision_is_one_consistent_record():
    """decide() agrees with flag_non_included and is read-only."""
    from mne_icalabel.annotation import flag_non_included

    p = np.random.default_rng(3).dirichlet(np.full(7, 0.3), size=300)
    policy = ExclusionPolicy(exclusion_threshold={"eye blink": 0.6})
    decision = policy.decide(p, "iclabel")
    flagged = flag_non_included(
        p,
        ["brain", "other"],
        exclusion_threshold={c: 0.6 if c == "eye blink" else 0.8 for c in _OTHERS},
        keep_threshold=0.3,
        verbose=False,
    )
    assert decision.exclude == flagged.tolist()
    assert len(decision) == 300
    excluded = decision.excluded
    assert all(
        d.startswith("Auto-detected" if e else "Kept")
        for d, e in zip(decision.descriptions, excluded, strict=True)
    )
    with pytest.raises(ValueError, match="read-only"):
        decision.excluded[0] = not decision.excluded[0]
    with pytest.raises(ValueError, match="4 columns but method .iclabel. has 7"):
        policy.decide(p[:, :4], "iclabel")
    with pytest.raises(ValueError, match="misses the probabilities of"):
        policy.decide({"iclabel": p}, "both")


@pytest.mark.parametrize("rule", ["threshold", "argmax"])
def test_both_margin_never_flips(rule):
    """No change of one probability smaller than the combined margin flips it."""
    policy = ExclusionPolicy(rule=rule)
    rng = np.random.default_rng(4)
    proba = {
        "iclabel": rng.dirichlet(np.full(7, 0.3), size=400),
        "megnet": rng.dirichlet(np.full(4, 0.3), size=400),
    }
    decision = policy.decide(proba, "both")
    assert np.isfinite(decision.margin).all() and (decision.margin >= 0).all()
    for method, values in proba.items():
        for col in range(values.shape[1]):
            for sign in (-1, 1):
                moved = dict(proba)
                moved[method] = values.copy()
                moved[method][:, col] = np.clip(
                    values[:, col] + sign * 0.999 * decision.margin, 0, 1
                )
                again = policy.decide(moved, "both")
                assert (again.excluded == decision.excluded).all()


def test_pickles():
    """Jobs receive the policy through pickle (loky) and cloudpickle (Dask)."""
    import pickle

    import cloudpickle

    policy = ExclusionPolicy(include=["brain"], exclusion_threshold={"Eye": 0.6})
    policy.check(["iclabel"])  # fills the cache of resolved limits
    proba = np.random.default_rng(2).dirichlet(np.full(7, 0.3), size=100)
    for module in (pickle, cloudpickle):
        again = module.loads(module.dumps(policy))
        assert again == policy
        assert (
            again.decide(proba, "iclabel").excluded
            == policy.decide(proba, "iclabel").excluded
        ).all()
