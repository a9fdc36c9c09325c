"""Shared parameter descriptions, inserted into docstrings with ``fill_doc``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

_F = TypeVar("_F", bound=Callable)

docdict: dict[str, str] = {}

docdict["inst"] = """
inst : Raw | Epochs
    The recording the ICA decomposition was fitted on (or one with the same
    channels). For ICLabel it should be filtered between 1 and 100 Hz and
    re-referenced to a common average reference."""

docdict["ica"] = """
ica : ICA
    A fitted :class:`mne.preprocessing.ICA` instance."""

docdict["raw_meg"] = """
raw : Raw
    The MEG recording the ICA decomposition was fitted on, at least 60 s long
    at 250 Hz (15000 samples), filtered between 1 and 100 Hz."""

docdict["iclabel_backend"] = """
backend : None | ``"torch"`` | ``"onnx"`` | ``"numpy"``
    Which implementation of the ICLabel network runs the forward pass. The
    three run the same float32 network and give the same probabilities up to
    float32 rounding (about 1e-6). ``None`` uses onnxruntime if it is
    installed, else torch, else NumPy: onnxruntime imports in about 0.1 s
    against 1.0-1.2 s for torch, which would otherwise be most of the first
    call in a process. ``"pytorch"`` is accepted as an alias of ``"torch"``."""

docdict["megnet_backend"] = """
backend : None | ``"onnx"`` | ``"torch"``
    Which implementation of the MEGNet network runs the forward pass. ``None``
    uses onnxruntime if it is installed, else torch."""

docdict["add_to_exclude"] = """
add_to_exclude : bool
    If True (and ``inst`` is an ICA), the flagged components are appended
    to ``ica.exclude`` (those already there are kept). The default only
    returns them."""

docdict["flagged"] = """
flagged : ndarray of int, shape (n_flagged,)
    The indices of the flagged components, in ascending order."""

docdict["policy"] = """
policy : ExclusionPolicy | None
    Which components are excluded (``status`` ``bad``), an
    :class:`~mne_icalabel.annotation.policy.ExclusionPolicy`; ``None`` uses
    the default, mne-bids-pipeline's rule (keep brain and other; exclude when
    another class has p >= 0.8 and no kept class p >= 0.3)."""

docdict["include"] = """
include : iterable of str | None
    The classes to keep (mne-bids-pipeline's ``ica_icalabel_include``).
    ``None``: brain and other for ICLabel with the threshold rule, brain
    only with the argmax rule (so that ``rule="argmax"`` alone gives the
    status ``write_components_tsv`` writes: bad unless predicted brain);
    brain/other for MEGNet. For MEGNet, ``"brain"`` and ``"other"`` name
    its class brain/other; a name that is not a class of a method is ignored
    for that method (e.g. ``"muscle artifact"`` for MEGNet), as long as it is
    a class of one of the methods used."""

docdict["exclusion_threshold"] = """
exclusion_threshold : float | dict of str to float | None
    The probability (``>=``) at which a class that is not kept excludes a
    component (mne-bids-pipeline's ``ica_exclusion_thresholds``): one
    value for all such classes, or a value per class, the others keeping
    the default 0.8."""

docdict["class_threshold"] = """
class_threshold : float | dict of str to float | None
    The probability (``>=``) at which a kept class keeps a component that
    would be excluded (mne-bids-pipeline's ``ica_class_thresholds``): one
    value for all kept classes, or a value per class, the others keeping
    the default 0.3."""

docdict["shard"] = """
shard : tuple of int | str | None
    Process only part ``(k, n)`` (or ``"k/n"``) of the selected recordings,
    for array jobs: the recordings sorted by path, dealt out round-robin into
    ``n`` parts; ``k`` counts from 1 (``k = 0`` means ``k = n``, for 0-based
    arrays). The parts do not depend on which recordings are done, so that a
    rerun gives each part the same recordings. ``None`` (default): all."""

docdict["discard_manual"] = """
discard_manual : bool
    If False (default), the rows of an existing components TSV annotated by
    hand (``annotate_method`` ``manual``) keep their label, status,
    description and author, only their probabilities are refreshed, and the
    sidecar's ``"Review"`` entry is kept; a new ICA (whose components are
    others) is then refused. If True, they are dropped with ``"Review"``."""

docdict["bids_root"] = """
bids_root : path-like
    Root of the BIDS dataset (the folder holding ``dataset_description.json``)."""

docdict["bids_root_labelled"] = """
bids_root : path-like
    Root of a BIDS dataset labelled by
    :func:`~mne_icalabel.batch.label_bids_dataset` (``mne-icalabel bids``)."""

docdict["selection"] = """
subjects, sessions, tasks, runs : str | list of str | None
    Keep only these entity values, without their ``sub-`` ... prefixes (e.g.
    ``subjects=["01", "02"]``); ``None`` keeps all."""

docdict["datatype"] = """
datatype : ``"eeg"`` | ``"meg"``
    The data type of the recordings."""

docdict["n_jobs"] = """
n_jobs : int
    Number of recordings processed at once by joblib's local ``loky``
    processes (``-1``: one per CPU core). Ignored with ``dask_scheduler``."""

docdict["author"] = """
author : str | None
    The reviewer, written as ``annotate_author`` of the components labelled
    by hand (and in the sidecar's ``"Review"`` entry of a dataset's review);
    None: ``MNE_ICALABEL_AUTHOR`` (MNE config or environment), else the login
    name."""

docdict["dask_scheduler"] = """
dask_scheduler : str | path-like | distributed.Client | JobqueueCluster | None
    Run on the workers of a Dask distributed cluster: the address of its
    scheduler (e.g. ``"tcp://host:8786"``), its scheduler file (a ``.json``
    path, as ``dask scheduler --scheduler-file`` writes), a connected client,
    or a :class:`~mne_icalabel.batch.JobqueueCluster` (Dask workers submitted
    as Slurm jobs for this run, at most one per recording, cancelled at its
    end). The workers must see the dataset's files at the same path and have this
    package and the optional packages this machine has; the weights verified
    here are sent to the workers that cannot read them."""

docdict["overwrite"] = """
overwrite : bool
    If False (default), the recordings this step did before (see below) are
    skipped, so that an interrupted run resumes where it stopped; if True,
    every recording is done again."""

docdict["summary_tsv"] = """
summary : pandas.DataFrame
    One row per recording of the selection (of its part, with ``shard``), in
    path order: ``recording`` (its path relative to ``bids_root``),
    ``status``, the step's columns below, ``seconds``, ``outputs``,
    ``warnings`` (the first line of each, once) and ``error`` (the
    exception's type and first line, for ``status`` ``"failed"``; the run
    holding it, for ``"refused"``: a recording another live run claims). The
    rows but the refused ones are also written to
    ``derivatives/mne-icalabel/summary.tsv`` (column ``step``), where the rows
    of other runs and of the other step are kept."""

docdict["ica_n_components"] = """
n_components : int | None
    Number of components of an ICA fitted here (see
    :func:`~mne_icalabel.batch.fit_ica`); an ICA given or reused keeps its
    own."""

docdict["ica_decim"] = """
ica_decim : ``"auto"`` | int | None
    The samples an ICA fitted here uses: ``"auto"`` (default) every ``n``-th
    sample, so that at least ``max(60 * n_components**2, 20000)`` remain; an
    int, every ``ica_decim``-th sample; ``None`` or 1, every sample (see
    ``decim`` of :func:`~mne_icalabel.batch.fit_ica`). The labels, the TSV
    and the report use the whole recording."""

docdict["verbose"] = """
verbose : bool | str | int | None
    Control verbosity of the logging output. If ``None``, use the default
    verbosity level. See :func:`mne.verbose` and :ref:`Logging documentation
    <mne:tut-logging>` for more."""

docdict["iclabel_proba"] = """
labels_pred_proba : ndarray of shape (n_components, 7)
    Float32 probabilities of the seven ICLabel classes, in the order brain,
    muscle artifact, eye blink, heart beat, line noise, channel noise, other.
    Each row sums to 1."""

docdict["megnet_proba"] = """
labels_pred_proba : ndarray of shape (n_components, 4)
    Float64 probabilities of the four MEGNet classes, in the order
    brain/other, eye blink, heart beat, eye movement. Each row sums to 1."""


def _indent(text: str, indent: str) -> str:
    lines = text.strip("\n").splitlines()
    return "\n".join(indent + line if line else line for line in lines)


def fill_doc(func: _F) -> _F:
    """Replace ``%(key)s`` placeholders in a docstring by entries of ``docdict``.

    The entry is indented to the level of the placeholder's line.

    Parameters
    ----------
    func : callable
        The function or class whose docstring is filled.

    Returns
    -------
    func : callable
        The same object, with its docstring filled.
    """
    doc = func.__doc__
    if not doc:
        return func
    out = []
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped.startswith("%(") and stripped.endswith(")s"):
            key = stripped[2:-2]
            indent = line[: len(line) - len(line.lstrip())]
            try:
                out.append(_indent(docdict[key], indent))
            except KeyError as error:
                msg = f"Unknown docdict key {key!r} in {func.__qualname__}"
                raise KeyError(msg) from error
        else:
            out.append(line)
    func.__doc__ = "\n".join(out)
    return func
