"""``mne-icalabel label``: label the ICA components of one recording file."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..annotation.policy import ExclusionPolicy
from ..batch._preflight import check_recording
from ..batch.ica import describe_ica
from ..batch.recording import label_recording
from ..methods import get_method, method_names
from ..utils._channels import SETTABLE_TYPES, set_channel_types, set_montage
from ..utils._picks import default_method
from ._common import (
    add_ica_decim,
    add_policy_arguments,
    format_files,
    format_table,
    int_at_least,
    make_subparser,
    policy_options,
)

_EXAMPLES = """  mne-icalabel label sub-01_task-rest_eeg.vhdr
  mne-icalabel label sub-01_task-rest_eeg.vhdr --ica sub-01_task-rest_ica.fif
  mne-icalabel label recording.edf --montage {montage} --out labels/
  mne-icalabel label recording.bdf --misc 'acc*' --drop Status
  mne-icalabel label recording.edf --eog 'LOC*' 'ROC*' --montage positions.elc
  mne-icalabel label sample_audvis_raw.fif --method megnet
  mne-icalabel label sample_audvis_raw.fif --method both
  mne-icalabel label sub-01_task-rest_eeg.vhdr --include brain other --policy argmax"""

_EPOCHS_SUFFIXES = ("-epo.fif", "_epo.fif", "-epo.fif.gz", "_epo.fif.gz")


def add_parser(subparsers, name: str):
    """Register the ``label`` subcommand."""
    parser = make_subparser(
        subparsers,
        name,
        "label the ICA components of one recording",
        "Read a recording (any format MNE reads: Raw or Epochs), prepare it as "
        "the method expects (ICLabel: 1-100 Hz, average reference; MEGNet: "
        "250 Hz, 1-100 Hz; both: 250 Hz, 1-100 Hz, EEG average reference), "
        "fit the ICA the method expects unless --ica is "
        "given, label the components, print them, and write the component TSV "
        "(with all class probabilities) and an HTML report. Channels typed EEG "
        "whose names say otherwise (EOG, ECG, EMG, ...) are retyped; a file "
        "without electrode positions gets the montage of MNE that has every EEG "
        "channel (names matched ignoring case and decorations), said which. "
        "What would fail later (positions, sampling rate, length, channel "
        "types) is checked before the data are read.",
        _EXAMPLES.format(montage=_example_montage()),
    )
    parser.add_argument("input", type=Path, help="the recording file")
    parser.add_argument(
        "--ica", type=Path, metavar="ICA_FILE", help="a fitted ICA (*_ica.fif)"
    )
    parser.add_argument(
        "--method",
        choices=method_names(),
        help="labelling method (default: from the channels of --ica if given, "
        "else megnet when the recording has MEG channels, iclabel otherwise); "
        "both: one ICA of EEG and MEG labelled by both networks, a component "
        "is excluded when either predicts an artifact",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: the folder of INPUT)",
    )
    parser.add_argument(
        "--n-components",
        type=int_at_least(2),
        help="components of the fitted ICA (default: 20, capped by the rank)",
    )
    add_channel_arguments(parser)
    add_ica_decim(parser)
    parser.add_argument(
        "--no-report", action="store_true", help="do not write the HTML report"
    )
    parser.add_argument(
        "--discard-manual",
        action="store_true",
        help="drop the components labelled by hand in an existing TSV of --out "
        "(default: keep them, refreshing their probabilities; refused without "
        "--ica, since a new ICA has other components)",
    )
    add_policy_arguments(parser)
    return parser


def _example_montage() -> str:
    """Return the 10-20 template of the installed MNE, without importing MNE.

    MNE 1.13 renamed ``standard_1020`` to ``colin27_1020`` (the old name warns
    and goes in 1.14); ``--help`` must stay instant, so the version decides.
    """
    from importlib.metadata import version

    from packaging.version import Version

    new = Version(version("mne")).release >= (1, 13)
    return "colin27_1020" if new else "standard_1020"


def _sampling_rate(text: str) -> float:
    """Parse ``--resample``: a positive, finite rate in Hz (argparse type)."""
    try:
        sfreq = float(text)
    except ValueError:
        sfreq = 0.0
    if not 0 < sfreq < float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a sampling rate in Hz above 0, e.g. 100, got {text!r}"
        )
    return sfreq


def add_channel_arguments(parser) -> None:
    """Add the options that type, drop and place the channels of a recording."""
    group = parser.add_argument_group(
        "channels",
        "Channels typed EEG whose names say otherwise are retyped as MNE's "
        "readers and BIDS name them (EOG, HEOG, EYE: eog; ECG, EKG: ecg; EMG: "
        "emg; RESP, TEMP, GSR, MISC, TRIG, ...). PATTERNs match channel names "
        "ignoring case, with * and ? as wildcards (quote them).",
    )
    for kind, what in (
        ("eog", "EOG"),
        ("ecg", "ECG"),
        ("emg", "EMG"),
        ("misc", "not EEG (e.g. accelerometers)"),
        ("eeg", "EEG, whatever their names say"),
    ):
        group.add_argument(
            f"--{kind}",
            nargs="+",
            metavar="PATTERN",
            default=[],
            help=f"the channels that are {what}",
        )
    group.add_argument(
        "--drop",
        nargs="+",
        metavar="PATTERN",
        default=[],
        help="leave these channels out",
    )
    parser.add_argument(
        "--resample",
        type=_sampling_rate,
        metavar="HZ",
        help="resample the recording to HZ first (ICLabel needs 100 Hz or more: "
        "--resample 100 upsamples a slower recording; the labels then see no "
        "power above its original Nyquist frequency)",
    )
    group.add_argument(
        "--montage",
        default="auto",
        metavar="NAME|FILE",
        help="electrode positions: a montage of MNE (e.g. "
        f"{_example_montage()}, biosemi64, GSN-HydroCel-129) or a file "
        "mne.channels.read_custom_montage reads; names are matched ignoring "
        "case, trailing dots, an 'EEG ' prefix and a reference suffix (-REF, "
        "-LE). Default auto: the positions of the file, else the montage of "
        "MNE that has every EEG channel",
    )


def type_channels(inst, args, ica=None) -> list[str]:
    """Drop and type the channels of ``inst`` in place; say what was done.

    The channels a given ICA was fitted on as EEG keep that type.
    """
    types = {kind: getattr(args, kind) for kind in SETTABLE_TYPES}
    keep = ()
    if ica is not None:
        keep = [
            name
            for name, kind in zip(ica.ch_names, ica.get_channel_types(), strict=True)
            if kind == "eeg"
        ]
    return set_channel_types(inst, types, args.drop, keep=keep)


def place_channels(inst, args, method: str) -> list[str]:
    """Set the montage of ``inst`` in place if it needs one; say what was done."""
    if method == "megnet" and args.montage == "auto":
        return []
    line = set_montage(inst, args.montage)
    return [line] if line else []


def _basename(fname: Path) -> str:
    """File name without extension and without a trailing raw/epo/eeg/meg part."""
    name = fname.name
    for ext in (".gz", ".fif", ".vhdr", ".edf", ".bdf", ".set", ".cnt", ".gdf"):
        name = name.removesuffix(ext)
    name = name.split(".")[0] or "recording"
    return re.sub(r"[-_](raw|epo|eeg|meg|ieeg)$", "", name) or name


def read_recording(fname: Path):
    """Read Raw or Epochs from any file MNE reads.

    A Raw is not loaded here: :func:`~mne_icalabel.batch.prepare_recording`
    loads the channels the method needs into its copy, so the data are read
    from disk once, and only those channels.
    """
    import mne

    if not fname.exists():
        raise FileNotFoundError(f"No such file: {fname}")
    if fname.name.endswith(_EPOCHS_SUFFIXES):
        return mne.read_epochs(fname, preload=True, verbose=False)
    try:
        return mne.io.read_raw(fname, preload=False, verbose=False)
    except Exception as raw_error:
        try:
            return mne.read_epochs(fname, preload=True, verbose=False)
        except Exception:
            raise RuntimeError(
                f"MNE could not read {fname} as Raw or Epochs: {raw_error}"
            ) from raw_error


def run(args) -> int:
    """Label one recording."""
    import mne

    policy = ExclusionPolicy(rule=args.policy, **policy_options(args))
    inst = read_recording(args.input)
    ica = None
    if args.ica is not None:
        if not args.ica.is_file():
            raise FileNotFoundError(f"No such ICA file: {args.ica}")
        ica = mne.preprocessing.read_ica(args.ica, verbose=False)
    lines = type_channels(inst, args, ica)
    method = args.method
    if method is None:
        method, reason = default_method(inst, ica)
        print(f"Method: {method} ({reason}; --method chooses another).")
    for line in lines + place_channels(inst, args, method):
        print(line)
    if args.resample is not None:
        if args.resample <= 0:
            raise ValueError(f"--resample must be positive, got {args.resample:g}.")
        print(f"Resampling from {inst.info['sfreq']:g} Hz to {args.resample:g} Hz.")
        inst.load_data(verbose=False).resample(args.resample, verbose=False)
    # from the info alone, before the imports and the reading of the data that
    # the labelling needs (seconds), let alone its filters and ICA fit
    check_recording(inst, method, ica)
    out = args.out if args.out is not None else args.input.parent
    result = label_recording(
        inst,
        ica,
        method,
        out_dir=out,
        basename=_basename(args.input),
        n_components=args.n_components,
        ica_decim=args.ica_decim,
        report=not args.no_report,
        policy=policy,
        discard_manual=args.discard_manual,
    )
    if result["fitted"]:
        expects = get_method(method).display_name
        print(f"Fitted {describe_ica(result['ica'])}, as {expects} expects.")
    else:
        print(f"Using {describe_ica(result['ica'])} from {args.ica}.")
    probabilities = result["proba"]
    if not isinstance(probabilities, dict):
        probabilities = {method: probabilities}
    for key, proba in probabilities.items():
        print(f"Labels from {get_method(key).display_name}:\n")
        labels = [get_method(key).classes[k] for k in proba.argmax(axis=1)]
        print(format_table(labels, proba.max(axis=1)) + "\n")
    if method == "both":
        print("Combined (excluded when the policy excludes it for either network):\n")
        print(", ".join(f"ICA{k:03d} {lab}" for k, lab in enumerate(result["labels"])))
    methods = list(probabilities)
    print(f"\nExclusion policy: {result['policy'].summary(methods)}.")
    excluded = result["ica"].exclude
    print(
        f"Excluded (status 'bad'): {len(excluded)} of {result['ica'].n_components_}"
        + (": " + ", ".join(f"ICA{k:03d}" for k in excluded) if excluded else "")
        + (
            f" ({len(result['manual'])} decided by hand, kept)"
            if result["manual"]
            else ""
        )
        + "."
    )
    print("\nWrote:")
    print(format_files(result["files"]))
    return 0
