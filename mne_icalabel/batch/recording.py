"""Label one recording: prepare, fit (or reuse) an ICA, label, write the outputs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _validate_type, logger, verbose

from .._version import __version__
from ..annotation._both import store_both
from ..annotation._classes import add_to_labels, to_mne_key
from ..annotation.policy import ExclusionPolicy
from ..derivatives import (
    FINGERPRINT_KEY,
    POLICY_KEY,
    RecordingFiles,
    data_fingerprint,
    fingerprint_entry,
    ica_fingerprint,
    read_fingerprint,
    read_table,
    write_components,
)
from ..derivatives import save_ica as save_ica_file
from ..methods import get_method, method_names
from ..methods._prepare import prepare_recording
from ..utils._docs import fill_doc
from ..utils._labels import write_labels
from ._preflight import check_recording
from .ica import _check_decim, fit_ica
from .report import make_report

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

    from ..annotation.policy import Decision


def _label(inst, ica: ICA, method: str, backend: str | None = None) -> np.ndarray:
    """Run a network method, store probabilities and labels on ``ica``, return them.

    A method that stores its labels as ICLabel does (every class key, in
    class order) gets them so; any other has its predicted classes added to
    ``ica.labels_`` (:func:`add_to_labels`).
    """
    record = get_method(method)
    proba = record.proba(inst, ica, backend)
    if record.stores_labels:
        write_labels(ica, proba, record.mne_keys)
    else:
        ica.labels_scores_ = proba
        add_to_labels(ica, [record.classes[k] for k in np.argmax(proba, axis=1)])
    return proba


def _annotation_columns(decision: Decision) -> dict[str, list[str]]:
    """Return the policy's decision on each component as TSV annotation columns.

    Per annotation column, one value per component: ``status`` (``bad``
    exactly for the excluded ones), ``status_description``, ``annotate_method``
    (the method, ``iclabel+megnet`` for both), ``annotate_author`` (this
    package and its version) and ``ic_type`` (MNE's key of the class that
    decided the component).
    """
    name = "+".join(get_method(decision.method).networks)
    n = len(decision)
    return dict(
        status=["bad" if e else "good" for e in decision.excluded],
        status_description=list(decision.descriptions),
        annotate_method=[name] * n,
        annotate_author=[f"mne-icalabel {__version__}"] * n,
        ic_type=[to_mne_key(label) for label in decision.labels],
    )


@verbose
@fill_doc
def label_recording(
    inst: BaseRaw | BaseEpochs,
    ica: ICA | None = None,
    method: str = "iclabel",
    *,
    out_dir: str | os.PathLike | None = None,
    basename: str = "recording",
    n_components: int | None = None,
    ica_decim: int | str | None = "auto",
    prepare: bool = True,
    report: bool = True,
    save_ica: bool = True,
    backend: str | dict[str, str] | None = None,
    policy: ExclusionPolicy | None = None,
    discard_manual: bool = False,
    verbose=None,
) -> dict:
    """Label the ICA components of one recording and write the results.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording, as read from disk. It is not modified.
    ica : ICA | None
        A fitted ICA to label; a copy is labelled, ``ica`` is not modified.
        ``None`` fits the ICA the method expects (see :func:`fit_ica`).
    method : ``"iclabel"`` | ``"megnet"`` | ``"both"``
        The labelling method. ``"both"`` (a Raw with EEG and MEG) labels one
        ICA of both channel types with ICLabel (from its EEG maps) and MEGNet
        (from its magnetometer maps): the TSV holds both probability sets and
        a component is excluded when the policy excludes it for either
        network (its ``ic_type`` is then the class that excluded it,
        ICLabel's first; for a kept component, ICLabel's most probable class).
    out_dir : path-like | None
        Folder of the outputs; ``None`` writes nothing.
    basename : str
        Start of the output file names: ``<basename>_components.tsv`` (+ its
        ``.json`` sidecar), ``<basename>_report.html`` and, for an ICA fitted
        here, ``<basename>_ica.fif``.
    %(ica_n_components)s
    %(ica_decim)s
    prepare : bool
        If True (default), filter and re-reference a copy of ``inst`` as the
        method expects (:func:`prepare_recording`) before fitting and
        labelling. Set it to False when ``inst`` is already prepared.
    report : bool
        Also write the HTML report (:func:`make_report`).
    save_ica : bool
        Save an ICA fitted here to ``<basename>_ica.fif``.
    backend : str | dict | None
        The network backend (see :func:`mne_icalabel.iclabel.run_iclabel` and
        :func:`mne_icalabel.megnet.megnet_label_components`); ``None`` picks
        the first available. With ``method="both"``, also a dict giving each
        method its own (``{"iclabel": "numpy", "megnet": "onnx"}``).
    %(policy)s
    %(discard_manual)s
        Without ``ica``, a components TSV with manual rows in ``out_dir``
        raises before anything is fitted or written: pass the ICA those rows
        describe.
    %(verbose)s

    Returns
    -------
    result : dict
        ``"ica"``: the labelled ICA (``labels_scores_`` and ``labels_`` set,
        ``exclude`` = the components written ``bad``); ``"proba"``: ndarray
        (n_components, n_classes), for ``"both"`` a dict of the two methods'
        arrays; ``"labels"``: list of the predicted class names (the combined
        class for ``"both"``); ``"excluded"``: list of the components the
        policy excludes; ``"manual"``: list of the components whose manual
        decision was kept; ``"fitted"``: whether the ICA was fitted here;
        ``"files"``: dict of the written paths (keys ``"tsv"``, ``"json"``,
        ``"report"``, ``"ica"``); ``"policy"``: the policy; ``"decision"``:
        its :class:`~mne_icalabel.annotation.policy.Decision` (before manual
        rows).

    Notes
    -----
    The TSV's ``status`` is ``bad`` exactly for the components the policy
    excludes, except the rows kept from a manual decision;
    ``status_description`` says why (e.g. ``Auto-detected eye blink (p=0.97)
    by iclabel``), ``annotate_method`` is the method and ``annotate_author``
    this package and its version. The sidecar records the policy under
    ``"ExclusionPolicy"`` (:meth:`ExclusionPolicy.to_dict
    <mne_icalabel.annotation.policy.ExclusionPolicy.to_dict>`). The saved ICA's
    ``exclude`` is the TSV's ``bad`` components as written, so that
    :meth:`mne.preprocessing.ICA.apply` removes them; the TSV stays the record
    that counts (a later review edits it, and ``apply`` and
    mne-bids-pipeline read the exclusions from its ``status``).
    """
    from mne.preprocessing import ICA

    _check_option("method", method, method_names())
    ica_decim = _check_decim(ica_decim, "ica_decim")
    _validate_type(ica, (ICA, None), "ica", "ICA or None")
    _validate_type(basename, str, "basename")
    _validate_type(policy, (ExclusionPolicy, None), "policy", "ExclusionPolicy")
    _validate_type(discard_manual, bool, "discard_manual")
    methods = list(get_method(method).networks)
    policy = (ExclusionPolicy() if policy is None else policy).check(methods)
    tsv = out = None
    if out_dir is not None:
        out = RecordingFiles(Path(out_dir).expanduser(), basename)
        tsv = out.tsv
        if ica is None and not discard_manual and tsv.is_file():
            manual = read_table(tsv).manual
            if manual:
                raise RuntimeError(
                    f"{tsv} has components labelled by hand ({manual}) and no ICA "
                    "was given: a new ICA has other components, so those decisions "
                    "would point at the wrong ones. Give the ICA they were made on, "
                    "or discard them (discard_manual=True, --discard-manual)."
                )
    check_recording(inst, method, ica)  # from the info: before any data is read
    data_digest = None
    if tsv is not None:
        data_digest = data_fingerprint(inst)  # as read: before the filters
        if ica is not None and tsv.is_file():
            _check_relabel(tsv, ica, data_digest, discard_manual)
    if prepare:
        # an ICA of EEG and MEG needs both kept, whichever network labels it
        types = set() if ica is None else set(ica.get_channel_types())
        combined = "eeg" in types and bool(types & {"mag", "grad"})
        inst = prepare_recording(inst, "both" if combined else method)
    fitted = ica is None
    if fitted:
        ica = fit_ica(inst, method, n_components, decim=ica_decim)
    else:
        ica = ica.copy()
    if get_method(method).components:
        proba = probabilities = get_method(method).proba(inst, ica, backend)
        decision = policy.decide(proba, method)
        store_both(ica, proba, decision)
        labels = list(decision.labels)
    else:
        proba = _label(inst, ica, method, backend)
        names = get_method(method).classes
        labels = [names[int(k)] for k in np.argmax(proba, axis=1)]
        probabilities = {method: proba}
        decision = policy.decide(proba, method)
    ica.exclude = decision.exclude

    files: dict[str, Path] = {}
    manual: list[int] = []
    if out is not None:
        if fitted and save_ica:
            # before the TSV, whose presence marks the recording as labelled
            # (a run killed in between redoes it); a new ICA keeps no manual
            # row, so its exclude is the decision's
            files["ica"] = save_ica_file(ica, out.ica)
        table = write_components(
            ica,
            tsv,
            probabilities,
            _annotation_columns(decision),
            # a new ICA has other components: nothing of the old file applies
            manual="discard" if discard_manual or fitted else "keep",
            sidecar={
                POLICY_KEY: policy.to_dict(methods),
                FINGERPRINT_KEY: fingerprint_entry(ica, data_digest),
            },
        )
        files["tsv"], files["json"] = out.tsv, out.sidecar
        ica.exclude, manual = table.bad, table.manual
        if report:
            files["report"] = out.report
            make_report(
                inst,
                ica,
                proba,
                method,
                files["report"],
                title=basename,
                policy=policy,
                excluded=ica.exclude,
                decision=decision,
            )
        logger.info(f"Wrote {', '.join(str(f) for f in files.values())}")
    return dict(
        ica=ica,
        proba=proba,
        labels=labels,
        excluded=decision.exclude,
        manual=manual,
        fitted=fitted,
        files=files,
        policy=policy,
        decision=decision,
    )


def _check_relabel(tsv: Path, ica: ICA, data_digest: str, discard_manual: bool) -> None:
    """Refuse to relabel a TSV whose recording or ICA changed since it was written.

    ``ica`` is the one about to be labelled. A recording whose data changed
    since (the ICA describes the old data) is refused; so is another ICA when
    the TSV has manual rows, kept otherwise (they would point at other
    components), unless ``discard_manual``. A sidecar without fingerprints
    (an earlier version) is accepted: this run writes them.
    """
    recorded = read_fingerprint(tsv)  # raises on a sidecar that is not JSON
    if recorded is None:
        logger.info(f"{tsv.name}: no fingerprint recorded yet; written now.")
        return
    if recorded.get("Data") not in (None, data_digest):
        raise RuntimeError(
            f"The recording of {tsv.name} changed since it was labelled (its data "
            "fingerprint differs from the sidecar's): its ICA and decisions describe "
            "the old data. Nothing was written. Fit a new ICA with 'mne-icalabel "
            "bids --overwrite --refit' (and --discard-manual if it has components "
            "labelled by hand), or restore the recording."
        )
    if recorded.get("ICA") in (None, ica_fingerprint(ica)):
        return
    manual = [] if discard_manual else read_table(tsv).manual
    if manual:
        raise RuntimeError(
            f"The ICA is not the one {tsv.name} was written for (their fingerprints "
            f"differ) and the TSV has components labelled by hand ({manual}), which "
            "would point at other components. Nothing was written. Restore the ICA "
            "they were made on, or relabel without them (--discard-manual)."
        )
    logger.info(f"{tsv.name}: its ICA changed since it was labelled; relabelled.")
