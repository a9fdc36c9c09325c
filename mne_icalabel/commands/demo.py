"""``mne-icalabel demo``: label the components of a simulated EEG recording."""

from __future__ import annotations

from pathlib import Path

from ..annotation.policy import ExclusionPolicy
from ..batch.ica import describe_ica
from ..batch.recording import label_recording
from ..datasets.simulation import simulate_eeg_raw
from ..methods._prepare import prepare_recording
from ._common import format_files, format_table, make_subparser

_EXAMPLES = """  mne-icalabel demo
  mne-icalabel demo --out /tmp/demo --n-channels 32 --duration 120 --seed 3"""


def add_parser(subparsers, name: str):
    """Register the ``demo`` subcommand."""
    parser = make_subparser(
        subparsers,
        name,
        "label simulated EEG with ICLabel (works offline)",
        "Simulate a 64-channel EEG recording (brain dipoles in a spherical head, "
        "eye blinks, heartbeat, muscle bursts, 50 Hz line noise), filter it "
        "1-100 Hz, re-reference it to the average, fit an extended-infomax ICA, "
        "label it with ICLabel, print the labels and write the component TSV "
        "and an HTML report. Needs the ICLabel weights (see fetch-weights).",
        _EXAMPLES,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("mne-icalabel-demo"),
        metavar="DIR",
        help="output folder (default: ./mne-icalabel-demo)",
    )
    parser.add_argument(
        "--n-channels", type=int, default=64, help="EEG channels (default: 64)"
    )
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds (default: 60)"
    )
    parser.add_argument(
        "--n-components", type=int, default=15, help="ICA components (default: 15)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--no-report", action="store_true", help="do not write the HTML report"
    )
    return parser


def _ground_truth(inst, ica, labels: list[str]) -> list[str]:
    """Say which component matches each ground-truth channel (EOG, ECG)."""
    import numpy as np

    sources = ica.get_sources(inst).get_data()
    lines = []
    for name, what in (("EOG", "blinks"), ("ECG", "heartbeat")):
        if name not in inst.ch_names:
            continue
        truth = inst.get_data(picks=name)[0]
        corr = np.array([abs(np.corrcoef(s, truth)[0, 1]) for s in sources])
        best = int(np.argmax(corr))
        lines.append(
            f"Ground truth, {name} channel ({what}): ICA{best:03d} "
            f"(|r| = {corr[best]:.2f}), labelled '{labels[best]}'."
        )
    return lines


def _policy_effect(proba) -> list[str]:
    """Compare the components the default rule and the argmax rule exclude."""

    def listed(policy) -> str:
        excluded = [f"ICA{k:03d}" for k in policy.decide(proba, "iclabel").exclude]
        return f"{len(excluded)} ({', '.join(excluded) or 'none'})"

    rule = ExclusionPolicy()
    return [
        f"\nExclusion policy ({rule.summary(['iclabel'])}):",
        f"  excluded by the rule (default): {listed(rule)}",
        "  by argmax, brain kept (--policy argmax): "
        f"{listed(ExclusionPolicy(rule='argmax'))}",
        "  by argmax, brain and other kept (--policy argmax --include brain other): "
        f"{listed(ExclusionPolicy(rule='argmax', include=['brain', 'other']))}",
    ]


def run(args) -> int:
    """Run the demo."""
    import time

    start = time.perf_counter()
    raw = simulate_eeg_raw(
        args.n_channels, args.duration, random_state=args.seed, verbose=False
    )
    print(
        f"Simulated {args.n_channels} EEG channels, {args.duration:g} s at "
        f"{raw.info['sfreq']:g} Hz (blinks, heartbeat, muscle, 50 Hz line noise)."
    )
    inst = prepare_recording(raw, "iclabel")
    result = label_recording(
        inst,
        None,
        "iclabel",
        out_dir=args.out,
        basename="sub-demo_task-simulated",
        n_components=args.n_components,
        prepare=False,
        report=not args.no_report,
    )
    print(
        f"Filtered 1-100 Hz, average reference; fitted "
        f"{describe_ica(result['ica'])}, as ICLabel expects.\n"
    )
    proba = result["proba"].max(axis=1)
    print(format_table(result["labels"], proba))
    print()
    for line in _ground_truth(inst, result["ica"], result["labels"]):
        print(line)
    for line in _policy_effect(result["proba"]):
        print(line)
    print(f"\nWrote (in {time.perf_counter() - start:.1f} s):")
    print(format_files(result["files"]))
    return 0
