"""Simulated recordings with known sources and artifacts."""

from .eeg import simulate_eeg_raw
from .meg import simulate_meg_raw
