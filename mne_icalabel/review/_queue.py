"""The dataset behind the review window: recordings, their state, the order.

No Qt here. A :class:`ReviewQueue` lists the labelled recordings of a BIDS
dataset (:func:`~mne_icalabel.derivatives.find_labelled_recordings`) and,
from their components TSVs and sidecars only (no recording is read, so that
opening a large dataset is fast):

- the state of each recording: ``"not reviewed"`` (its sidecar has no
  ``"Review"`` entry), ``"reviewed"`` (saved from the review window without a
  changed decision) or ``"changed"`` (saved with changed decisions);
- its counts: components, excluded (``status`` ``bad``), labelled by hand
  (``annotate_method`` ``manual``), doubtful;
- the "doubtful first" order of all components of the dataset.

:meth:`ReviewQueue.load` reads one recording as it was labelled (the data
prepared as the ICA saw them) and :meth:`ReviewQueue.save` writes a reviewer's
decisions back, refusing to overwrite a TSV changed on disk since it was
loaded.
"""

from __future__ import annotations

import hashlib
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _validate_type, logger

from ..annotation._classes import GOOD_CLASSES, to_mne_key
from ..annotation.bids import read_components_tsv
from ..annotation.policy import ExclusionPolicy
from ..derivatives import (
    POLICY_KEY,
    REVIEW_KEY,
    LabelledRecording,
    RecordingClaims,
    check_text,
    derivatives_root,
    find_labelled_recordings,
    read_sidecar,
    read_table,
    running_recordings,
)
from ..methods import method_for, method_for_channels
from ..methods._prepare import prepare_recording
from ..utils._docs import fill_doc
from ..utils._io import read_json_object, remove_orphans
from ._saving import update_tsv_atomic

if TYPE_CHECKING:
    from mne import BaseEpochs
    from mne.io import BaseRaw
    from mne.preprocessing import ICA
    from numpy.typing import NDArray

#: the states of a recording, in the order of the review
STATES = ("not reviewed", "reviewed", "changed")
#: the sidecar entries: the policy ``bids`` used, the last review
#: a component is doubtful when its doubt (see :func:`component_doubt`) is
#: below this: a probability change of 0.1 would flip its decision
DOUBTFUL = 0.1
# without a policy record the decision was the most probable class; its
# probability minus this is on the scale of a margin (0.6 -> 0.1)
_TOP_OFFSET = 0.5


class TSVChangedError(RuntimeError):
    """The components TSV (or its sidecar) changed on disk since it was loaded."""


@dataclass(frozen=True)
class Fingerprint:
    """What a file was when it was read: modification time, size, SHA-256.

    Two fingerprints describe the same content when their sizes and hashes
    agree (a file touched but not changed is the same); a missing file has
    size -1.
    """

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        """Fingerprint ``path`` now."""
        try:
            content = Path(path).read_bytes()
            mtime = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            return cls(-1, -1, "")
        return cls(mtime, len(content), hashlib.sha256(content).hexdigest())

    def same_content(self, other: Fingerprint) -> bool:
        """Whether ``other`` describes the same bytes."""
        return (self.size, self.sha256) == (other.size, other.sha256)


def policy_of(sidecar: dict, methods, path: Path) -> ExclusionPolicy | None:
    """Return the policy a sidecar records, checked for ``methods`` (None: none)."""
    record = sidecar.get(POLICY_KEY)
    if record is None:
        return None
    try:
        return ExclusionPolicy.from_dict(record).check(methods)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"The exclusion policy recorded in {path} is invalid ({error}); label "
            "the recording again with 'mne-icalabel bids --overwrite'."
        ) from None


def component_doubt(
    probabilities: dict[str, NDArray], policy: ExclusionPolicy | None
) -> NDArray[np.float64]:
    """How doubtful each component's automatic decision is (small: doubtful).

    With a policy record, the margin of its decision (:meth:`ExclusionPolicy.decide
    <mne_icalabel.annotation.policy.ExclusionPolicy.decide>`, of both networks'
    combined decision when both are present): the smallest change of one
    probability that would flip the decision.
    Without one, the decision was the most probable class, and the doubt is
    the lowest (over the methods) top probability minus 0.5, so that both
    share the threshold :data:`DOUBTFUL`. Without probabilities: infinite
    (nothing says the decision is doubtful).

    Parameters
    ----------
    probabilities : dict of str to ndarray
        Each method's (n_components, n_classes) probabilities.
    policy : ExclusionPolicy | None
        The policy recorded with the decisions.

    Returns
    -------
    doubt : ndarray of float, shape (n_components,)
        The doubt of each component.
    """
    if not probabilities:
        return np.zeros(0)
    if policy is not None:
        if len(probabilities) > 1:
            return policy.decide(probabilities, "both").margin
        ((method, proba),) = probabilities.items()
        return policy.decide(proba, method).margin
    top = [np.max(proba, axis=1) for proba in probabilities.values()]
    return np.min(top, axis=0).astype(np.float64) - _TOP_OFFSET


def kept_labels(policy: ExclusionPolicy, methods) -> tuple[str, ...]:
    """Return the labels a manual decision keeps: the policy's classes, MNE keys.

    A reviewer's label of a class the policy keeps gets ``status`` ``"good"``
    (e.g. ``"other"`` under the default policy), any other ``"bad"``.
    """
    record = policy.to_dict(methods)
    classes = [c for m in methods for c in record[m]["Include"]]
    names = [*GOOD_CLASSES, *classes, *(to_mne_key(c) for c in classes)]
    return tuple(dict.fromkeys(names))


@dataclass
class RecordingEntry:
    """One labelled recording, as its TSV and sidecar describe it.

    Attributes
    ----------
    recording : LabelledRecording
        Where the recording and its outputs are.
    methods : tuple of str
        The methods of the TSV's probability columns.
    labels : list of str | None
        The ``ic_type`` of each component.
    status : list of str
        The ``status`` of each component.
    manual : ndarray of bool
        Whether each component's row was labelled by hand.
    doubt : ndarray of float
        See :func:`component_doubt`.
    review : dict | None
        The sidecar's ``"Review"`` entry.
    has_policy : bool
        Whether the sidecar records the exclusion policy.
    """

    recording: LabelledRecording
    methods: tuple[str, ...]
    labels: list[str | None]
    status: list[str]
    manual: NDArray[np.bool_]
    doubt: NDArray[np.float64]
    review: dict | None
    has_policy: bool

    @property
    def key(self) -> str:
        """The recording's data file relative to the dataset root."""
        return self.recording.key

    @property
    def state(self) -> str:
        """``"not reviewed"``, ``"reviewed"`` or ``"changed"``."""
        if self.review is None:
            return "not reviewed"
        return "changed" if self.review.get("Changed") else "reviewed"

    @property
    def n_components(self) -> int:
        """Number of components."""
        return len(self.status)

    @property
    def n_excluded(self) -> int:
        """Components whose ``status`` is ``bad``."""
        return sum(s == "bad" for s in self.status)

    @property
    def n_manual(self) -> int:
        """Components labelled by hand."""
        return int(self.manual.sum())

    @property
    def doubtful(self) -> NDArray[np.bool_]:
        """Whether each component is doubtful and not yet decided by a person."""
        return (self.doubt < DOUBTFUL) & ~self.manual

    @property
    def n_remaining(self) -> int:
        """Doubtful components still to review (0 once the recording is reviewed)."""
        return 0 if self.review is not None else int(self.doubtful.sum())

    def order(self) -> list[int]:
        """Return the components, most doubtful first, those decided by hand last."""
        return [int(k) for k in np.lexsort((self.doubt, self.manual))]


def read_entry(recording: LabelledRecording) -> RecordingEntry:
    """Describe a labelled recording from its TSV and sidecar (fast: no raw data)."""
    tsv = recording.tsv
    table = read_table(tsv)
    probabilities = table.probabilities()
    manual = np.array(table.column("annotate_method", "")) == "manual"
    sidecar = read_sidecar(tsv, "fix or delete it")
    policy = policy_of(sidecar, list(probabilities), tsv.with_suffix(".json"))
    doubt = component_doubt(probabilities, policy)
    if not probabilities:
        doubt = np.full(table.n_components, np.inf)
    review = sidecar.get(REVIEW_KEY)
    return RecordingEntry(
        recording=recording,
        methods=tuple(probabilities),
        labels=table.labels,
        status=table.status,
        manual=manual.astype(bool),
        doubt=doubt,
        review=review if isinstance(review, dict) else None,
        has_policy=policy is not None,
    )


@dataclass
class LoadedRecording:
    """One recording read for review.

    Attributes
    ----------
    index : int
        Its position in :attr:`ReviewQueue.entries`.
    entry : RecordingEntry
        Its description at load time.
    inst : Raw | None
        The recording, prepared as the ICA saw it
        (:func:`~mne_icalabel.batch.prepare_recording`); None until
        :meth:`ReviewQueue.prepare`.
    ica : ICA
        The ICA, with ``labels_`` and ``labels_scores_`` from the TSV.
    probabilities : dict of str to ndarray
        Each method's probabilities, from the TSV.
    policy : ExclusionPolicy
        The policy recorded in the sidecar (the default one if none).
    method : str
        ``"iclabel"``, ``"megnet"`` or ``"both"``.
    fingerprints : tuple of Fingerprint
        The TSV's and the sidecar's, taken before they were read.
    warnings : list of str
        What reading the recording warned about.
    seconds : dict of str to float
        How long each loading step took.
    raw : Raw | None
        The recording as stored, between :meth:`ReviewQueue.read` and
        :meth:`ReviewQueue.prepare`.
    """

    index: int
    entry: RecordingEntry
    inst: BaseRaw | BaseEpochs | None
    ica: ICA
    probabilities: dict
    policy: ExclusionPolicy
    method: str
    fingerprints: tuple[Fingerprint, Fingerprint]
    warnings: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    raw: BaseRaw | None = field(default=None, repr=False)

    @property
    def excluded(self) -> list[int]:
        """The components whose ``status`` is ``bad``."""
        return [k for k, s in enumerate(self.entry.status) if s == "bad"]

    @property
    def order(self) -> list[int]:
        """The components, most doubtful first."""
        return self.entry.order()

    @property
    def kept(self) -> tuple[str, ...]:
        """The labels a manual decision keeps (``status`` ``"good"``).

        The classes the recorded policy keeps for the TSV's methods; without
        probability columns, the good classes (brain). One rule for what the
        review shows excluded and what a save writes.
        """
        return kept_labels(self.policy, list(self.entry.methods))

    def label_keys(self) -> list[str | None]:
        """Return the ``ica.labels_`` key of each component's label at load time."""
        return [None if lab is None else to_mne_key(lab) for lab in self.entry.labels]


def _method_of(methods: tuple[str, ...], ica: ICA) -> str:
    """Return the method: from the TSV's probabilities, else the ICA's channels."""
    if methods:
        return method_for(methods)
    return method_for_channels(ica.get_channel_types())


@fill_doc
class ReviewQueue:
    """The labelled recordings of a BIDS dataset, for review.

    Parameters
    ----------
    %(bids_root_labelled)s
    %(selection)s
    %(datatype)s

    Raises
    ------
    FileNotFoundError
        If ``bids_root`` is not a BIDS dataset.
    RuntimeError
        If no recording of the selection is labelled.
    """

    def __init__(
        self,
        bids_root,
        *,
        subjects=None,
        sessions=None,
        tasks=None,
        runs=None,
        datatype: str = "eeg",
    ) -> None:
        _validate_type(bids_root, "path-like", "bids_root")
        self.bids_root = Path(bids_root).expanduser()
        if not self.bids_root.is_dir():
            raise FileNotFoundError(
                f"{self.bids_root} is not a BIDS dataset: no such folder."
            )
        selection = dict(subjects=subjects, sessions=sessions, tasks=tasks, runs=runs)
        recordings = find_labelled_recordings(
            self.bids_root, **selection, datatype=datatype
        )
        if not recordings:
            raise RuntimeError(
                f"No labelled {datatype} recording in {self.bids_root} (for this "
                "selection): label the dataset first with "
                f"'mne-icalabel bids {self.bids_root}'."
            )
        self.datatype = datatype
        self.entries: list[RecordingEntry] = [read_entry(rec) for rec in recordings]

    def __len__(self) -> int:
        return len(self.entries)

    def rewriting(self) -> tuple[str, frozenset[int]]:
        """Return the recordings a running ``mne-icalabel bids`` may rewrite.

        Read from the lock and the run state of the derivatives folder
        (:func:`~mne_icalabel.derivatives.running_recordings`): two small files.

        Returns
        -------
        run : str
            The run, e.g. ``"'mne-icalabel bids' (pid 12 on host x, started
            ...)"``; empty when no ``bids`` runs.
        indices : frozenset of int
            The entries it has not finished; all of them until it has listed
            its recordings.
        """
        run = running_recordings(derivatives_root(self.bids_root))
        if run is None or run[0].command != "bids":  # apply writes no TSV
            return "", frozenset()
        owner, pending = run
        indices = (
            range(len(self.entries))
            if pending is None
            else (i for i, entry in enumerate(self.entries) if entry.key in pending)
        )
        return owner.describe(), frozenset(indices)

    def refresh(self, index: int) -> RecordingEntry:
        """Read a recording's TSV and sidecar again; return its new entry."""
        self.entries[index] = read_entry(self.entries[index].recording)
        return self.entries[index]

    @property
    def n_remaining(self) -> int:
        """Doubtful components of the recordings not reviewed yet."""
        return sum(entry.n_remaining for entry in self.entries)

    def order(self) -> list[tuple[int, int]]:
        """All components of the dataset, most doubtful first.

        Returns
        -------
        order : list of (int, int)
            (recording index, component) pairs sorted by doubt (see
            :func:`component_doubt`); components labelled by hand come last.
        """
        pairs = [
            (i, k) for i, e in enumerate(self.entries) for k in range(len(e.doubt))
        ]
        if not pairs:
            return []
        manual = np.array([self.entries[i].manual[k] for i, k in pairs])
        doubt = np.array([self.entries[i].doubt[k] for i, k in pairs])
        return [pairs[j] for j in np.lexsort((doubt, manual))]

    def recording_order(self) -> list[int]:
        """Return the recordings in review order.

        Those not reviewed yet first, each group by its most doubtful
        component still to decide (the order in which :meth:`order` reaches
        them), so that the review starts where the network is least sure.
        """
        first: dict[int, int] = {}
        for rank, (i, _) in enumerate(self.order()):
            first.setdefault(i, rank)
        return sorted(
            range(len(self.entries)),
            key=lambda i: (self.entries[i].review is not None, first.get(i, 0), i),
        )

    def load(self, index: int) -> LoadedRecording:
        """Read one recording as it was labelled, prepared as the ICA saw it.

        :meth:`read`, then :meth:`prepare`.

        Parameters
        ----------
        index : int
            The recording's position in :attr:`entries`.

        Returns
        -------
        loaded : LoadedRecording
            The prepared recording, its ICA (labels and probabilities from the
            TSV), policy and fingerprints.
        """
        return self.prepare(self.read(index))

    def read(self, index: int) -> LoadedRecording:
        """Read a recording's TSV, sidecar, ICA and data header (fast).

        The files' fingerprints are taken before they are read. What reading
        the recording warns about is collected in ``warnings`` (``bids``
        reported it already), so call this from the main thread: Python's
        warning filters are global. The data are read and prepared by
        :meth:`prepare`, which may run in another thread.

        Parameters
        ----------
        index : int
            The recording's position in :attr:`entries`.

        Returns
        -------
        loaded : LoadedRecording
            With ``inst`` None until :meth:`prepare`.
        """
        import mne_bids
        from mne.preprocessing import read_ica

        recording = self.entries[index].recording
        tsv, json_path = recording.tsv, recording.tsv.with_suffix(".json")
        if recording.ica is None or not recording.ica.is_file():
            raise FileNotFoundError(
                f"No ICA found for {recording.key}: neither {tsv.name[:-15]}_ica.fif "
                "beside its components TSV nor one of another pipeline in "
                f"derivatives/. Label it again with 'mne-icalabel bids "
                f"{self.bids_root} --overwrite'."
            )
        start = time.perf_counter()
        fingerprints = (Fingerprint.of(tsv), Fingerprint.of(json_path))
        entry = self.refresh(index)
        ica = read_ica(recording.ica, verbose=False)
        content = read_components_tsv(tsv, ica, verbose=False)
        policy = policy_of(read_json_object(json_path), entry.methods, json_path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            raw = mne_bids.read_raw_bids(recording.bids_path, verbose=False)
        messages = list(dict.fromkeys(str(w.message) for w in caught))
        for message in messages:
            logger.info(f"Reading {recording.key}: {message}")
        return LoadedRecording(
            index=index,
            entry=entry,
            inst=None,
            ica=ica,
            probabilities=content["probabilities"],
            policy=policy if policy is not None else ExclusionPolicy(),
            method=_method_of(entry.methods, ica),
            fingerprints=fingerprints,
            warnings=messages,
            seconds={"read": time.perf_counter() - start},
            raw=raw,
        )

    def prepare(self, loaded: LoadedRecording) -> LoadedRecording:
        """Load and prepare the data of :meth:`read` as the ICA saw them.

        :func:`~mne_icalabel.batch.prepare_recording` with the recording's
        method (``"both"`` for an ICA of EEG and MEG, as ``bids`` does); sets
        ``loaded.inst`` and returns ``loaded``.
        """
        if loaded.inst is not None:
            return loaded
        start = time.perf_counter()
        types = set(loaded.ica.get_channel_types())
        combined = "eeg" in types and bool(types & {"mag", "grad"})
        method = "both" if combined else loaded.method
        loaded.inst = prepare_recording(loaded.raw, method, verbose=False)
        loaded.raw = None
        loaded.seconds["prepare"] = time.perf_counter() - start
        logger.info(f"Loaded {loaded.entry.key} for review")
        return loaded

    def changed_on_disk(self, loaded: LoadedRecording) -> list[Path]:
        """Return the files of ``loaded`` (TSV, sidecar) changed since loading."""
        tsv = loaded.entry.recording.tsv
        paths = (tsv, tsv.with_suffix(".json"))
        return [
            path
            for path, before in zip(paths, loaded.fingerprints, strict=True)
            if not before.same_content(Fingerprint.of(path))
        ]

    def save(
        self,
        loaded: LoadedRecording,
        marks: dict[int, str | None],
        author: str,
        *,
        force: bool = False,
    ) -> RecordingEntry:
        """Write a reviewer's decisions on one recording.

        The components of ``marks`` become manual rows of the TSV
        (``annotate_method`` ``"manual"``, ``annotate_author`` ``author``;
        ``status`` ``"good"`` for a class the policy keeps); every other row,
        and every other column (the probabilities), is written back as read.
        The sidecar gets the ``"Review"`` entry: ``{"Author": author, "Date":
        UTC time, "Changed": [...]}``, where ``Changed`` lists the components
        whose label differs from the one loaded (and those of an earlier
        review). TSV and sidecar are replaced atomically.

        Parameters
        ----------
        loaded : LoadedRecording
            The recording, as :meth:`load` returned it.
        marks : dict of int to str | None
            Components decided by the reviewer, mapped to their ``ica.labels_``
            key (None: label removed).
        author : str
            The reviewer.
        force : bool
            Write even if the TSV or its sidecar changed on disk since loading
            (only the rows of ``marks`` of the current file change).

        Returns
        -------
        entry : RecordingEntry
            The recording's entry, read back.

        Raises
        ------
        TSVChangedError
            If the files changed on disk since loading and ``force`` is False.
        RuntimeError
            If a running ``bids`` (or another review's save) claims the
            recording: the message names it; nothing is written.
        """
        _validate_type(author, str, "author")
        check_text(author, "author")
        changed_files = self.changed_on_disk(loaded)
        if changed_files and not force:
            names = " and ".join(p.name for p in changed_files)
            raise TSVChangedError(
                f"{names} changed on disk since this recording was loaded (another "
                "program or reviewer wrote it); reload the recording to see the "
                "new decisions, or save anyway to write yours over them."
            )
        before = loaded.label_keys()
        previous = (loaded.entry.review or {}).get("Changed") or []
        changed = {int(k) for k in previous}
        changed |= {int(k) for k, key in marks.items() if key != before[int(k)]}
        review = {
            "Author": author,
            "Date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "Changed": sorted(changed),
        }
        tsv = loaded.entry.recording.tsv
        key = loaded.entry.key
        # the recording is claimed while it is written, as a bids run claims
        # it: neither writes over the other (a run that started since the
        # last look at the runs refuses it, or is refused by name here)
        deriv = derivatives_root(self.bids_root)
        with RecordingClaims(deriv, "review", quiet=True) as claims:
            refused = claims.claim([key])
            if refused:
                raise RuntimeError(
                    f"Not saved: {key} is being rewritten by "
                    f"{refused[key].describe()}; save again when it is done."
                )
            # what a save killed mid-write left beside the TSV (never an output)
            for orphan in remove_orphans(tsv.parent):
                logger.info(f"Removed {orphan.name}, left by a killed write.")
            update_tsv_atomic(
                tsv,
                marks,
                author,
                n_components=loaded.ica.n_components_,
                kept=loaded.kept,
                sidecar={REVIEW_KEY: review},
            )
        entry = self.refresh(loaded.index)
        loaded.entry = entry
        json_path = tsv.with_suffix(".json")
        loaded.fingerprints = (Fingerprint.of(tsv), Fingerprint.of(json_path))
        logger.info(f"Saved the review of {entry.key} ({len(marks)} decision(s))")
        return entry
