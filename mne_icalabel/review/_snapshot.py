"""The state of a review as plain Python values, for a front end that speaks JSON."""

from __future__ import annotations

import numpy as np


def snapshot(review) -> dict:
    """Return the state of a :class:`~._recording.ComponentsReview` as plain values.

    Parameters
    ----------
    review : ComponentsReview
        The review.

    Returns
    -------
    state : dict
        ``n_components``, ``class_names``, ``class_letters`` (the letter key
        of each class; its digit is its position + 1), ``label_map``,
        ``order``, ``selected``, ``labels`` (component -> class name),
        ``manual``, ``excluded``, ``automatic`` (per component, [class,
        probability] or None), ``modified``, ``read_only``, ``auto_advance``
        and ``scores`` (network title -> {"classes": [...], "values": rows}).
    """
    sets = {}
    if review.has_scores:
        sets[review.score_title] = (review.scores, review.score_names)
    sets.update(review.other_scores)
    return {
        "n_components": review.n_components,
        "class_names": review.class_names,
        "class_letters": review.class_letters,
        "label_map": dict(review.label_map),
        "order": review.order,
        "selected": review.selected,
        "labels": {int(k): v for k, v in sorted(review.labels.items())},
        "manual": review.manual_components,
        "excluded": sorted(review.excluded),
        "automatic": [
            None if (auto := review.automatic(k)) is None else list(auto)
            for k in range(review.n_components)
        ],
        "modified": review.modified,
        "read_only": review.read_only,
        "auto_advance": review.auto_advance,
        "scores": {
            title: {"classes": list(names), "values": np.asarray(p).tolist()}
            for title, (p, names) in sets.items()
        },
    }
