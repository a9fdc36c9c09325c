"""Channel types and electrode positions of recordings as amplifiers write them.

Readers of formats without channel types (EDF, BDF, NEDF, ...) type every
channel as EEG, and amplifiers decorate the electrode names: BCI2000 pads them
with dots (``Fc5.``, ``C3..``), EDF+ writers prefix the type (``EEG Fp1``) and
clinical systems suffix the reference (``FP1-REF``, ``T3-LE``). The rules here
come from how MNE and BIDS name things, not from any one file:

- channel types from names: MNE's readers type channels whose names contain
  ``EOG`` (or ``EYE``, EEGLAB's reader), ``ECG`` and ``EMG`` (the ``'auto'``
  options of :func:`mne.io.read_raw_cnt` and :func:`mne.io.read_raw_eeglab`),
  and EDF+'s type prefixes (MNE's ``infer_types``) and the BIDS channel types
  (``channels.tsv``, as mne-bids maps them) name the rest: ``RESP``, ``TEMP``,
  ``GSR``, ``BIO``, ``SAO2``, ``MISC``, ``TRIG``, ``STIM``; ``EKG`` is the
  other spelling of ECG;
- electrode names: the montage's names are matched ignoring case, trailing
  dots, an ``EEG`` type prefix and a reference suffix (``-REF``, ``-LE``,
  ``-A1``, ...), and through MNE's table of old 10-20 names (``T3`` is
  ``T7``, ``M1`` is ``TP9``), passed to :meth:`mne.io.Raw.set_montage` as its
  ``match_alias``;
- a montage chosen automatically: the built-in montage of the installed MNE
  that has every EEG channel, the 10-20 system template first.
"""

from __future__ import annotations

import re
import warnings
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

from mne.utils import logger

from ._advice import fix

#: channel type named by a word anywhere in the name (MNE's readers' 'auto')
_CONTAINS = (("EOG", "eog"), ("EYE", "eog"), ("ECG", "ecg"), ("EKG", "ecg"))
_CONTAINS += (("EMG", "emg"),)
#: channel type named by the first word of the name (EDF+ prefixes, BIDS types)
_FIRST_WORD = {
    "RESP": "resp",
    "TEMP": "temperature",
    "GSR": "gsr",
    "BIO": "bio",
    "SAO2": "bio",
    "MISC": "misc",
    "TRIG": "stim",
    "STIM": "stim",
}
#: the channel types a user can give by name pattern on the command line
SETTABLE_TYPES = ("eeg", "eog", "ecg", "emg", "misc")

_TYPE_PREFIX = re.compile(r"^EEG[\s_-]+", re.IGNORECASE)
# an electrode's reference written after it: Fp1-REF, T3-LE, C3-A1, Cz-AVG
_REF_SUFFIX = re.compile(
    r"[\s_-](REF|LE|RE|AR|AV|AVG|CAR|A1|A2|M1|M2|A12|LM|RM)$", re.IGNORECASE
)
# template montages of the 10-20 system, preferred when several fit: the
# successors of MNE's deprecated standard_* first, the old names on older MNE
_PREFERRED = ("colin27_1020", "colin27_1005", "standard_1020", "standard_1005")


def electrode_name(name: str) -> str:
    """Return the electrode in a channel name: ``'EEG Fp1-REF'`` -> ``'Fp1'``.

    Strips spaces, trailing dots (BCI2000), an ``EEG`` type prefix (EDF+) and
    a reference suffix (``-REF``, ``-LE``, ``-A1``, ...), each only when
    something remains.
    """
    out = name.strip().rstrip(".").strip() or name
    for pattern in (_TYPE_PREFIX, _REF_SUFFIX):
        stripped = pattern.sub("", out)
        out = stripped if stripped else out
    return out


def type_from_name(name: str) -> str | None:
    """Return the channel type a name says (``'HEOG'`` -> ``'eog'``), or None."""
    upper = electrode_name(name).upper()
    for word, kind in _CONTAINS:
        if word in upper:
            return kind
    first = re.split(r"[^A-Z0-9]+", name.strip().upper())[0]
    return _FIRST_WORD.get(first, _FIRST_WORD.get(re.sub(r"\d+$", "", first)))


def match_patterns(ch_names, patterns, option: str) -> list[str]:
    """Return the channels that match any of the glob ``patterns`` (any case).

    Raises
    ------
    ValueError
        If a pattern matches no channel (a typo), naming the channels.
    """
    chosen = []
    for pattern in patterns:
        found = [
            name
            for name in ch_names
            if fnmatchcase(name.lower(), pattern.lower())
            or fnmatchcase(electrode_name(name).lower(), pattern.lower())
        ]
        if not found:
            raise ValueError(
                f"{option} {pattern!r} matches no channel of the recording; its "
                f"channels are {', '.join(ch_names)}. Patterns are matched "
                "ignoring case, with * and ? as wildcards (quote them: 'acc*')."
            )
        chosen += [name for name in found if name not in chosen]
    return chosen


def set_channel_types(
    inst, types=None, drop=(), *, infer: bool = True, keep=()
) -> list[str]:
    """Drop channels and set channel types by name, in place; say what was done.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording; modified in place.
    types : dict | None
        Channel type (``"eeg"``, ``"eog"``, ``"ecg"``, ``"emg"``, ``"misc"``)
        -> glob patterns of the channels of that type. They win over the names.
    drop : sequence of str
        Glob patterns of the channels to drop.
    infer : bool
        Also type the channels typed EEG whose names say another type (see
        :func:`type_from_name`), except those ``types`` names.
    keep : collection of str
        Channels whose type is left as it is (e.g. the EEG channels of a given
        ICA: it was fitted on them as EEG).

    Returns
    -------
    lines : list of str
        One sentence per change, for the command line.
    """
    lines = []
    types = dict(types or {})
    if drop:
        dropped = match_patterns(inst.ch_names, drop, "--drop")
        inst.drop_channels(dropped)
        lines.append(f"Dropped {len(dropped)} channel(s): {', '.join(dropped)}.")
    given: dict[str, str] = {}
    for kind, patterns in types.items():
        for name in match_patterns(inst.ch_names, patterns or (), f"--{kind}"):
            given[name] = kind
    current = dict(zip(inst.ch_names, inst.get_channel_types(), strict=True))
    inferred = {}
    if infer:
        for name, kind in current.items():
            guess = type_from_name(name) if kind == "eeg" else None
            if guess is not None and name not in given and name not in keep:
                inferred[name] = guess
    change = {
        name: kind
        for name, kind in {**inferred, **given}.items()
        if current[name] != kind
    }
    if change:
        with warnings.catch_warnings():
            # MNE warns that a unit changes (V for EEG, V or AU for the others)
            warnings.filterwarnings("ignore", message=".*unit.*changed.*")
            inst.set_channel_types(change, verbose=False)
    if inferred:
        shown = {n: k for n, k in inferred.items() if n in change}
        if shown:
            lines.append(
                "Channel types from their names: "
                + ", ".join(f"{n}: {k}" for n, k in shown.items())
                + " (--eeg NAME keeps one as EEG)."
            )
    explicit = {n: k for n, k in given.items() if n in change}
    if explicit:
        lines.append(
            "Channel types as asked: "
            + ", ".join(f"{n}: {k}" for n, k in explicit.items())
            + "."
        )
    return lines


def _eeg_names(inst, good_only: bool = False) -> list[str]:
    names = [
        name
        for name, kind in zip(inst.ch_names, inst.get_channel_types(), strict=True)
        if kind == "eeg"
    ]
    if good_only:
        names = [name for name in names if name not in inst.info["bads"]]
    return names


@cache
def _aliases() -> dict[str, str]:
    """MNE's table of other names of 10-20 positions, keys in lower case."""
    try:
        from mne._fiff.constants import CHANNEL_LOC_ALIASES
    except ImportError:  # pragma: no cover - older MNE
        return {}
    return {key.lower(): value for key, value in CHANNEL_LOC_ALIASES.items()}


def match_names(ch_names, montage_names) -> dict[str, str]:
    """Map each channel to its electrode of the montage, ignoring decorations.

    Returns ``{channel name: montage name}`` for the channels found (exact
    names first, then :func:`electrode_name` in any case, then MNE's aliases).
    """
    lookup: dict[str, str] = {}
    for name in montage_names:
        lookup.setdefault(name.lower(), name)
    exact = set(montage_names)
    matched = {}
    for ch in ch_names:
        if ch in exact:
            matched[ch] = ch
            continue
        key = electrode_name(ch).lower()
        if key in lookup:
            matched[ch] = lookup[key]
        elif key in _aliases() and _aliases()[key].lower() in lookup:
            matched[ch] = lookup[_aliases()[key].lower()]
    return matched


@cache
def builtin_montages() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return (name, electrode names) of the installed MNE's EEG montages.

    Montages whose name MNE deprecates (it warns when they are made) and the
    fNIRS ones are left out.
    """
    import mne

    out = []
    for name, description in mne.channels.get_builtin_montages(descriptions=True):
        if "fnirs" in description.lower():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                montage = mne.channels.make_standard_montage(name)
            except (FutureWarning, DeprecationWarning):
                continue
        out.append((name, tuple(montage.ch_names)))
    return tuple(out)


def choose_montage(ch_names) -> tuple[str | None, dict[str, str], str]:
    """Choose the built-in montage that has the electrodes of ``ch_names``.

    Returns
    -------
    name : str | None
        The montage with every channel (the first of colin27_1020,
        colin27_1005 (or MNE's older standard_1020, standard_1005) that has
        them, else the one with the fewest electrodes), or None.
    matched : dict
        Channel -> electrode in the montage chosen, or in the one that has the
        most of them when none has all.
    best : str
        The name of that montage.
    """
    ch_names = list(ch_names)
    scores = []
    for rank, (name, electrodes) in enumerate(builtin_montages()):
        matched = match_names(ch_names, electrodes)
        preference = _PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED)
        scores.append((-len(matched), preference, len(electrodes), rank, name, matched))
    if not scores:
        return None, {}, ""
    scores.sort(key=lambda score: score[:4])
    best = scores[0]
    full = len(best[5]) == len(ch_names) and len(ch_names) > 0
    return (best[4] if full else None), best[5], best[4]


def _renamed_montages() -> dict[str, str]:
    """Old montage name (lower case) -> the installed MNE's name for it."""
    try:  # MNE's own table (1.13+)
        from mne.channels.montage import _DEPRECATED_STANDARD_MONTAGES as table
    except ImportError:
        table = {}
    table = dict(table)
    for name, _ in builtin_montages():  # the rule of that table
        if name.startswith("colin27_"):
            table.setdefault(name.replace("colin27_", "standard_", 1), name)
    return {old.lower(): new for old, new in table.items()}


def _read_montage(montage):
    """Return (DigMontage, its name, a note) from a name, a file or a DigMontage."""
    import mne

    if isinstance(montage, mne.channels.DigMontage):
        return montage, "the montage given", ""
    text = str(montage)
    path = Path(text).expanduser()
    if path.is_file():
        if path.name.endswith((".fif", ".fif.gz")):  # DigMontage.save's file
            return mne.channels.read_dig_fif(path), path.name, ""
        return mne.channels.read_custom_montage(path), path.name, ""
    names = [name for name, _ in builtin_montages()]
    lower = {name.lower(): name for name in names}
    if text.lower() in lower:
        name = lower[text.lower()]
        return mne.channels.make_standard_montage(name), name, ""
    # an old name: MNE 1.13 renamed standard_* to colin27_* (same positions),
    # deprecated the old names and removes them in 1.14; use the new one
    renamed = _renamed_montages().get(text.lower())
    if renamed is not None and renamed.lower() in lower:
        name = lower[renamed.lower()]
        return (
            mne.channels.make_standard_montage(name),
            name,
            (f"MNE {mne.__version__}'s name of {text}"),
        )
    raise ValueError(
        f"{text!r} is neither a file nor a montage of MNE {mne.__version__}: "
        f"use one of {', '.join(names)}, or a file of electrode positions that "
        "mne.channels.read_custom_montage reads (.elc, .sfp, .bvef, .loc, ...)."
    )


def set_montage(inst, montage="auto") -> str | None:
    """Set electrode positions on the EEG channels, tolerating their decorations.

    Parameters
    ----------
    inst : Raw | Epochs
        The recording; modified in place.
    montage : ``"auto"`` | str | path-like | DigMontage
        ``"auto"``: keep the positions the file has, else choose the built-in
        montage that has every good EEG channel (:func:`choose_montage`);
        nothing is set when none has them all. A montage name (any case), a
        file :func:`mne.channels.read_custom_montage` reads, or a DigMontage:
        set it. Channels it lacks are left without a position (see
        :func:`missing_positions`).

    Returns
    -------
    line : str | None
        What was done, for the command line; None when nothing was.
    """
    eeg = _eeg_names(inst)
    if not eeg:
        return None
    if isinstance(montage, str) and montage == "auto":
        if not missing_positions(inst, _eeg_names(inst, good_only=True)):
            return None
        name, _, _ = choose_montage(_eeg_names(inst, good_only=True))
        if name is None:
            return None
        digmontage, label, _ = _read_montage(name)
        how = "chosen: it has every EEG channel"
    else:
        digmontage, label, note = _read_montage(montage)
        how = f"{note}; as asked" if note else "as asked"
    matched = match_names(eeg, digmontage.ch_names)
    alias = {ch: target for ch, target in matched.items() if ch != target}
    logger.info(f"Setting the montage {label} on {len(matched)} EEG channels")
    inst.set_montage(
        digmontage,
        match_case=True,
        match_alias=alias,
        on_missing="ignore",
        verbose=False,
    )
    tolerant = (
        f"; {len(alias)} names matched ignoring case and decorations" if alias else ""
    )
    return (
        f"Montage: {label} ({how}; {len(matched)} of {len(eeg)} EEG channels "
        f"placed{tolerant}{fix('', '; --montage chooses another')})."
    )


def missing_positions(inst, names) -> list[str]:
    """Return the channels of ``names`` without a position in ``inst``."""
    import numpy as np

    chs = {ch["ch_name"]: ch for ch in inst.info["chs"]}
    missing = []
    for name in names:
        loc = chs[name]["loc"][:3]
        if not np.isfinite(loc).all() or not np.any(loc):
            missing.append(name)
    return missing


def template_montage() -> str:
    """Return the 10-20 template montage of the installed MNE (for examples)."""
    names = [name for name, _ in builtin_montages()]
    return next((name for name in _PREFERRED if name in names), names[0])


def _listed(names, limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def missing_positions_message(inst, missing, start: str | None = None) -> str:
    """Say which channels lack a position and how to give them one.

    The advice is the command's options when a command runs (see
    :mod:`mne_icalabel.utils._advice`), Python calls otherwise; it names the
    built-in montage that has the most of the EEG channels.
    """
    eeg = _eeg_names(inst, good_only=True)
    n = len(missing)
    if start is None and not missing_positions(inst, eeg) == eeg:
        start = (
            f"{n} of the {len(eeg)} EEG channels ha{'ve' if n != 1 else 's'} no "
            f"position: {_listed(missing)}."
        )
    elif start is None:
        start = (
            f"Montage is not set: none of the {len(eeg)} EEG channels has a position."
        )
    start += " ICLabel draws each component's map from the EEG channels' positions."
    placed = [name for name in eeg if name not in missing]
    name, matched, best = choose_montage(eeg)
    best = name or best
    has = [ch for ch in missing if ch in matched]
    lacks = [ch for ch in missing if ch not in matched]
    parts = [start]
    if not placed and has:
        decorated = any(matched[ch] != ch for ch in has)
        parts.append(
            f"The built-in montage {best} has {len(matched)} of the {len(eeg)} "
            "EEG channels"
            + (" (names matched ignoring case and decorations)" if decorated else "")
            + ": "
            + fix(
                f"inst.set_montage({best!r}, match_case=False)"
                + (
                    " after cleaning the names, e.g. "
                    "inst.rename_channels(lambda name: name.strip().rstrip('.'))"
                    if decorated
                    else ""
                ),
                f"--montage {best}",
            )
            + "."
        )
    if lacks:
        quoted = " ".join(lacks[:12])
        as_dict = ", ".join(f"{ch!r}: 'misc'" for ch in lacks[:3])
        parts.append(
            f"{'No built-in montage has' if not placed else 'The montage lacks'} "
            f"{_listed(lacks)}. If they are not EEG channels, type them: "
            + fix(
                f"inst.set_channel_types({{{as_dict}{', ...' * (len(lacks) > 3)}}})"
                " (or 'eog', 'ecg', 'emg'), or drop them: inst.drop_channels(...)",
                f"--misc {quoted} (or --eog, --ecg, --emg; patterns like 'acc*' "
                f"work), or leave them out: --drop {quoted}",
            )
            + "; otherwise give a montage that has them: "
            + fix(
                "inst.set_montage(mne.channels.read_custom_montage(FILE))",
                "--montage FILE (electrode positions: .elc, .sfp, .bvef, ...)",
            )
            + "."
        )
    elif placed and name is not None:
        parts.append(
            f"The built-in montage {name} has all {len(eeg)} EEG channels: "
            + fix(f"inst.set_montage({name!r}, match_case=False)", f"--montage {name}")
            + "."
        )
    elif placed:
        parts.append(
            "Give a montage that has them: "
            + fix(
                f"inst.set_montage({template_montage()!r}, match_case=False) or a "
                "file read with mne.channels.read_custom_montage",
                "--montage NAME or FILE",
            )
            + "."
        )
    return " ".join(parts)
