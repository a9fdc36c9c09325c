"""Compare two ICAs of one recording: pair their components, compare the labels.

ICA components have no order nor sign, and the part of the data an ICA cannot
separate (Gaussian sensor noise, when there are more components than sources)
is split arbitrarily: two fits of the same recording with different seeds give
different components there, and different labels. The comparison is therefore
made on the *stable* components: those a full-data refit with another seed
reproduces (paired map correlation of at least ``STABLE``).
"""

from __future__ import annotations

import numpy as np

#: the artifact classes the simulated recordings contain (known sources)
ARTIFACTS = ("eye blink", "heart beat", "muscle artifact")
#: |correlation| of the paired mixing maps above which a component is reproduced
STABLE = 0.9


def match_components(maps_a: np.ndarray, maps_b: np.ndarray):
    """Pair the components of two decompositions by their mixing maps.

    Parameters
    ----------
    maps_a, maps_b : ndarray, shape (n_channels, n_components)
        Mixing maps (``ica.get_components()``) on the same channels. The pairs
        maximise the sum of the absolute correlations (Hungarian algorithm).

    Returns
    -------
    order : ndarray of int, shape (n_components,)
        ``order[i]`` is the component of ``b`` paired with component ``i`` of
        ``a``.
    corr : ndarray, shape (n_components,)
        The absolute correlation of each pair.
    """
    from scipy.optimize import linear_sum_assignment

    a = maps_a - maps_a.mean(axis=0)
    b = maps_b - maps_b.mean(axis=0)
    a = a / np.linalg.norm(a, axis=0)
    b = b / np.linalg.norm(b, axis=0)
    corr = np.abs(a.T @ b)
    rows, cols = linear_sum_assignment(-corr)
    order = np.empty(len(rows), int)
    order[rows] = cols
    return order, corr[rows, order]


def stable_components(maps: np.ndarray, maps_refit: np.ndarray) -> np.ndarray:
    """Return the mask of the components of ``maps`` that a refit reproduces."""
    return match_components(maps, maps_refit)[1] >= STABLE


def compare_labels(maps_a, labels_a, maps_b, labels_b, stable=None) -> dict:
    """Compare the argmax labels of two ICAs of one recording, paired by maps.

    Parameters
    ----------
    maps_a, labels_a : ndarray, list of str
        The reference fit: mixing maps (n_channels, n_components), labels.
    maps_b, labels_b : ndarray, list of str
        The other fit.
    stable : ndarray of bool | None
        The stable components of ``a`` (:func:`stable_components`); ``None``
        counts them all.

    Returns
    -------
    result : dict
        ``"agree"`` / ``"n"``: pairs with the same label / number of pairs,
        over all components; ``"stable_agree"`` / ``"n_stable"``: the same over
        the stable components; ``"artifacts_a"`` / ``"artifacts_b"``: sorted
        labels in :data:`ARTIFACTS` of the stable components of ``a`` and of
        their partners in ``b``; ``"artifacts_same"``: whether those are
        equal pair by pair; ``"min_corr"``: the lowest map correlation of the
        stable pairs.
    """
    order, corr = match_components(maps_a, maps_b)
    labels_a = np.asarray(labels_a)
    labels_b = np.asarray(labels_b)[order]
    stable = np.ones(len(labels_a), bool) if stable is None else np.asarray(stable)
    artifact = stable & (np.isin(labels_a, ARTIFACTS) | np.isin(labels_b, ARTIFACTS))
    return dict(
        agree=int(np.sum(labels_a == labels_b)),
        n=len(labels_a),
        stable_agree=int(np.sum((labels_a == labels_b)[stable])),
        n_stable=int(stable.sum()),
        artifacts_a=sorted(str(x) for x in labels_a[artifact]),
        artifacts_b=sorted(str(x) for x in labels_b[artifact]),
        artifacts_same=bool(np.all(labels_a[artifact] == labels_b[artifact])),
        min_corr=float(corr[stable].min()) if stable.any() else 1.0,
    )


def true_artifacts(ica, labels) -> list[tuple[str, str, float]]:
    """Label the true artifact sources of a recording of ``simulate_eeg_raw``.

    Parameters
    ----------
    ica : ICA
        A fitted ICA of the EEG channels of the simulated recording.
    labels : list of str
        The argmax label of each component.

    Returns
    -------
    found : list of (str, str, float)
        For each simulated artifact source (one blink, one heart, two muscles):
        its class, the label of the component whose map correlates best with
        the source's true map (referenced to the average, as the data), and
        that absolute correlation.
    """
    from mne_icalabel.datasets.simulation.eeg import _artifact_maps

    pos = np.array([ch["loc"][:3] for ch in ica.info["chs"]])
    comps = ica.get_components()
    comps = comps - comps.mean(axis=0)
    comps /= np.linalg.norm(comps, axis=0)
    found = []
    for name, maps in _artifact_maps(pos).items():
        maps = maps - maps.mean(axis=0)
        maps /= np.linalg.norm(maps, axis=0)
        corr = np.abs(maps.T @ comps)  # (n_sources, n_components)
        for row in corr:
            best = int(np.argmax(row))
            found.append((name, str(labels[best]), float(row[best])))
    return found


def artifacts_found(ica, labels) -> list[str]:
    """Return the classes of the true artifact sources an ICA finds and labels.

    A source is found when the component that best matches its map correlates
    with it by at least :data:`STABLE` and is labelled with its class.
    """
    return sorted(
        name
        for name, label, corr in true_artifacts(ica, labels)
        if label == name and corr >= STABLE
    )
