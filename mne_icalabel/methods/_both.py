"""The record of ``"both"``: ICLabel and MEGNet on one ICA of EEG and MEG."""

from __future__ import annotations

from ._registry import Method, Preparation

BOTH = Method(
    name="both",
    display_name="ICLabel and MEGNet",
    # in the order of the TSV's probability columns
    components=("iclabel", "megnet"),
    # one ICA of both modalities, resampled for MEGNet; extended infomax,
    # which both networks accept
    preparation=Preparation(modalities=("EEG", "MEG"), sfreq=250.0, raw_only=True),
)
