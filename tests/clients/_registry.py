"""The tools that call mne-icalabel: what each calls, and how it is checked.

Read off each client's released wheel (the version pinned here). A client
with a ``check`` is run by `_checks` with this package and with mne-icalabel
0.10.0; one without says why in ``reason``. ``in_ci``: its check runs in
``.ci/run`` (the client is in the ``test`` extra of pyproject.toml).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Call:
    """One call a client makes into mne-icalabel."""

    call: str  #: as the client writes it
    where: str  #: the client's module and function
    reads: str  #: what it uses of the result


@dataclass(frozen=True)
class Client:
    """A released tool that calls mne-icalabel."""

    name: str  #: its distribution name
    version: str  #: the release read and run
    calls: tuple[Call, ...]
    how: str  #: what the check runs
    check: str | None = None  #: the function of `_checks` that runs it
    in_ci: bool = False
    reason: str | None = None  #: why it is not run, when ``check`` is None
    notes: tuple[str, ...] = field(default_factory=tuple)


#: ICLabel's classes in the order of its probability columns, as
#: mne-bids-pipeline 1.10.1 hard-codes them (its _ICALABEL_CLASSES)
PIPELINE_CLASSES = (
    "brain",
    "muscle artifact",
    "eye blink",
    "heart beat",
    "line noise",
    "channel noise",
    "other",
)

CLIENTS = (
    Client(
        name="mne-bids-pipeline",
        version="1.10.1",
        calls=(
            Call(
                "iclabel_label_components(inst=epochs, ica=ica, inplace=False)",
                "steps.preprocessing._06a2_find_ica_artifacts._run_icalabel",
                "the (n_components, 7) probability matrix, columns in ICLabel's "
                f"order ({', '.join(PIPELINE_CLASSES)}): its argmax as the label, "
                "its max, "
                "each class against ica_exclusion_thresholds / "
                "ica_class_thresholds; ica.labels_ left as it was",
            ),
        ),
        how=(
            "mne_bids_pipeline --steps init,preprocessing/_01_data_quality,"
            "preprocessing/_04_frequency_filter,preprocessing/_06a1_fit_ica,"
            "preprocessing/_06a2_find_ica_artifacts on 2 simulated subjects "
            "(32 EEG channels, 40 s, task 'ec' with task_is_rest, 10 components); "
            "_06a2 again with 0.10.0 on the same ICA fit; its _run_icalabel on "
            "the epochs and ICA it read, with each package; the components TSVs, "
            "the HTML reports' ICLabel table and the probabilities compared"
        ),
        check="check_mne_bids_pipeline",
        in_ci=True,
    ),
    Client(
        name="pylossless",
        version="0.2.0",
        calls=(
            Call(
                "mne_icalabel.config.ICA_LABELS_TO_MNE",
                "flagging (IC_LABELS, at import), dash (its colour map)",
                "the mapping ICLabel class -> MNE label, in ICLabel's order",
            ),
            Call(
                'mne_icalabel.label_components(epochs, ica, method="iclabel")',
                "flagging.FlaggedICs.label_components (LosslessPipeline.run_ica)",
                "ica.labels_ (MNE label -> components), ica.labels_scores_ "
                "(.max(1) as the confidence), ica._ica_names",
            ),
            Call(
                'mne.utils.check_version("mne_icalabel", "0.5.0")',
                "dash (at import)",
                "the installed version",
            ),
        ),
        how=(
            "FlaggedICs().label_components(epochs, ica) and save_tsv on 2 "
            "simulated subjects (32 EEG channels, 40 s, 1-100 Hz, average "
            "reference, 2 s epochs, 10 components of extended infomax), with "
            "each package; the TSV's labels, confidences and labels_scores_ "
            "compared"
        ),
        check="check_label_step",
        in_ci=True,
    ),
    Client(
        name="mnelab",
        version="1.7.x",
        calls=(),
        how="not run",
        reason=(
            "the package index has mnelab up to 1.4.0 only ('from versions: "
            "... 1.3.1, 1.4.0'), no 1.7.x; mnelab 1.4.0 makes no call into "
            "mne-icalabel (its mnelab/utils/iclabel.py is its own copy of the "
            "feature code; the package is named only in docstrings)"
        ),
    ),
    Client(
        name="autocleaneeg-pipeline",
        version="3.2.1",
        calls=(
            Call(
                'mne_icalabel.label_components(raw, ica, method="iclabel")',
                "functions.ica.ica_processing.classify_ica_components "
                '(method "iclabel", "hybrid", and the fallback of "icvision")',
                "ica.labels_, ica.labels_scores_ (.max(1) as the confidence, "
                "the full rows for 'hybrid'), ica._ica_names",
            ),
        ),
        how="not run",
        reason=(
            "its requirements pin mne-icalabel==0.8.1, so pip refuses it beside "
            "mne-icalabel 0.10 (this package or 0.10.0 alike); 47 of its 56 "
            "requirements are exact pins, torch==2.8.0 among them (from the "
            "package index, a CUDA build of several GB here, where only torch "
            "2.13.0 CPU is on disk), mne==1.10.2, numpy==2.3.3 and scipy==1.16.2: "
            "installed as pinned it replaces the environment under test. Tried "
            "with --no-deps beside this package (its missing imports added "
            "unpinned: loguru, schema, pyprep, PyWavelets, reportlab): importing "
            "autoclean.functions.ica.ica_processing stops in its own code, "
            "before any call into mne-icalabel ('cannot import name "
            "plot_component_for_classification from partially initialized "
            "module autoclean.functions.visualization.icvision_layouts (most "
            "likely due to a circular import)')"
        ),
    ),
    Client(
        name="hypyp",
        version="0.6.2",
        calls=(),
        how="its released code read",
        reason=(
            "makes no call into mne-icalabel: no module of hypyp 0.6.2 names "
            "mne_icalabel, and it does not require it"
        ),
    ),
)


def client(name: str) -> Client:
    """Return the client called ``name``."""
    for entry in CLIENTS:
        if entry.name == name:
            return entry
    raise KeyError(f"No client {name!r}; the clients are {[c.name for c in CLIENTS]}")
